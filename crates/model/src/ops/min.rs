//! ONNX `Min` (variadic, broadcasting): see the shared lowering in `extremum`.

use super::{extremum, LowerCtx, Lowered};
use crate::ModelError;

/// Lowers a `Min` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    extremum::lower(ctx, false)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn two_inputs_one_comparison() {
        let l = ctx_with("Min", vec![var("a", &[2]), var("b", &[2])], &[2])
            .run(super::lower)
            .unwrap();
        assert_eq!(graph_ops(&l), vec!["Linear", "Activation", "Linear"]);
        let l = ctx_with("Min", vec![var("a", &[2]), konst(&[], &[0.0])], &[2])
            .run(super::lower)
            .unwrap();
        assert_eq!(activation_of(&l).name(), "clip");
    }
}
