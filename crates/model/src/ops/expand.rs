//! ONNX `Expand`: numpy broadcasting of the input to the target shape. Data movement only.

use super::broadcast::index_map;
use super::{LowerCtx, Lowered};
use crate::graph::{Op, Source};
use crate::ModelError;

/// Lowers an `Expand` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, xs) = ctx.var(0)?;
    let map = index_map(&xs, &ctx.out_shape)
        .ok_or_else(|| ctx.err(format!("input of shape {xs:?} does not broadcast to {:?}", ctx.out_shape)))?;
    let sources = map.into_iter().map(|index| Source::Wire { operand: 0, index }).collect();
    Ok(Lowered::Op(Op::Select { sources }, vec![x]))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn repeats_size_one_axes() {
        let l = ctx_with("Expand", vec![var("x", &[2, 1]), konst(&[2], &[2.0, 3.0])], &[2, 3])
            .run(super::lower)
            .unwrap();
        assert_eq!(selected(&l), vec![0, 0, 0, 1, 1, 1]);
    }

    #[test]
    fn shapes_that_do_not_broadcast_are_named() {
        let e = ctx_with("Expand", vec![var("x", &[3]), konst(&[1], &[2.0])], &[2])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("input of shape [3] does not broadcast to [2]"), "{e}");
    }
}
