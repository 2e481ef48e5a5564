//! ONNX `ReduceMax` over the given axes (all by default; see `reduce`).

use super::reduce::{self, Reduce};
use super::{LowerCtx, Lowered};
use crate::ModelError;

/// Lowers a `ReduceMax` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    reduce::lower(ctx, Reduce::Max, 18)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn reduces_the_attribute_axes() {
        let mut n = ctx_with("ReduceMax", vec![var("x", &[2, 3])], &[2, 1]);
        n.opset(11);
        n.ints("axes", &[1]);
        let l = n.run(super::lower).unwrap();
        assert!(!graph_ops(&l).is_empty());
    }

    #[test]
    fn an_empty_set_is_an_unsupported_form_not_a_panic() {
        let mut n = ctx_with("ReduceMax", vec![var("x", &[2, 0, 4])], &[2, 1, 4]);
        n.opset(11);
        n.ints("axes", &[1]);
        let e = n.run(super::lower).unwrap_err();
        assert!(matches!(e, crate::ModelError::UnsupportedForm { .. }), "{e:?}");
        assert!(e.to_string().contains("empty set"), "{e}");
    }
}
