//! ONNX `Tile`: repeats the input along each axis (`repeats` constant). Data movement only.

use super::shape::moved;
use super::{LowerCtx, Lowered};
use crate::ModelError;

/// Lowers a `Tile` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, xs) = ctx.var(0)?;
    let out = &ctx.out_shape;
    if out.len() != xs.len() {
        return Err(ctx.err(format!("output rank {} differs from the input rank {}", out.len(), xs.len())));
    }
    Ok(moved(x, &xs, out, |o| o.iter().zip(&xs).map(|(o, n)| o % n).collect()))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn repeats_the_whole_input() {
        let l = ctx_with("Tile", vec![var("x", &[2]), konst(&[1], &[2.0])], &[4])
            .run(super::lower)
            .unwrap();
        assert_eq!(selected(&l), vec![0, 1, 0, 1]);
    }

    #[test]
    fn a_rank_change_is_refused() {
        let e = ctx_with("Tile", vec![var("x", &[2]), konst(&[1], &[2.0])], &[2, 2])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("output rank 2 differs from the input rank 1"), "{e}");
    }
}
