//! ONNX `Squeeze`: removes size-1 axes; a view (the data order is unchanged).

use super::{LowerCtx, Lowered};
use crate::graph::Op;
use crate::ModelError;

/// Lowers a `Squeeze` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    Ok(Lowered::Op(Op::View, vec![ctx.unary_var()?]))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn is_a_view() {
        let l = ctx_with("Squeeze", vec![var("x", &[1, 3])], &[3]).run(super::lower).unwrap();
        assert_eq!(graph_ops(&l), vec!["View"]);
    }
}
