//! ONNX `Max` (variadic, broadcasting): see the shared lowering in `extremum`.

use super::{extremum, LowerCtx, Lowered};
use crate::ModelError;

/// Lowers a `Max` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    extremum::lower(ctx, true)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn two_inputs_one_comparison() {
        let l = ctx_with("Max", vec![var("a", &[2]), var("b", &[2])], &[2])
            .run(super::lower)
            .unwrap();
        assert_eq!(graph_ops(&l), vec!["Linear", "Activation", "Linear"]);
        let l = ctx_with("Max", vec![var("a", &[2]), konst(&[], &[0.0])], &[2])
            .run(super::lower)
            .unwrap();
        assert_eq!(activation_of(&l).name(), "clip");
    }

    #[test]
    fn constants_must_hold_one_value_and_one_input_must_be_computed() {
        let e = ctx_with("Max", vec![var("a", &[2]), konst(&[2], &[0.0, 1.0])], &[2])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("a constant operand must hold one value"), "{e}");
        let e = ctx_with("Max", vec![konst(&[], &[0.0]), konst(&[2], &[1.0, 1.0])], &[2])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("every input is constant"), "{e}");
    }

    #[test]
    fn operands_that_do_not_broadcast_are_named() {
        let e = ctx_with("Max", vec![var("a", &[2]), var("b", &[3])], &[2])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("input #1 of shape [3] does not broadcast to"), "{e}");
    }
}
