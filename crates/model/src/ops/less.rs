//! ONNX `Less`: a < b as a 0/1 flag (see `compare`).

use super::{compare, LowerCtx, Lowered};
use crate::graph::Activation;
use crate::ModelError;

/// Lowers a `Less` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    compare::lower(ctx, Activation::Positive, -1.0)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::graph::Activation;

    #[test]
    fn difference_then_flag() {
        let l = ctx_with("Less", vec![var("a", &[2]), konst(&[], &[1.0])], &[2])
            .run(super::lower)
            .unwrap();
        assert_eq!(graph_ops(&l), vec!["Linear", "Activation"]);
        assert_eq!(last_activation(&l), Activation::Positive);
    }
}
