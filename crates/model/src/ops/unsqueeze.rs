//! ONNX `Unsqueeze`: inserts size-1 axes; a view (the data order is unchanged).

use super::{LowerCtx, Lowered};
use crate::graph::Op;
use crate::ModelError;

/// Lowers an `Unsqueeze` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    Ok(Lowered::Op(Op::View, vec![ctx.unary_var()?]))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn is_a_view() {
        let l = ctx_with("Unsqueeze", vec![var("x", &[3])], &[1, 3]).run(super::lower).unwrap();
        assert_eq!(graph_ops(&l), vec!["View"]);
    }
}
