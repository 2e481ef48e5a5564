//! ONNX `ReduceSum` over the given axes (all by default; see `reduce`).

use super::reduce::{self, Reduce};
use super::{LowerCtx, Lowered};
use crate::ModelError;

/// Lowers a `ReduceSum` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    reduce::lower(ctx, Reduce::Sum, 13)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn reduces_the_attribute_axes() {
        let mut n = ctx_with("ReduceSum", vec![var("x", &[2, 3])], &[2, 1]);
        n.opset(11);
        n.ints("axes", &[1]);
        let l = n.run(super::lower).unwrap();
        assert!(!graph_ops(&l).is_empty());
    }
}
