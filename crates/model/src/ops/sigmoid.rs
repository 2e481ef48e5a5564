//! ONNX `Sigmoid`: element-wise logistic function, proven with a lookup table over the calibrated range.

use super::{LowerCtx, Lowered};
use crate::graph::{Activation, Op};
use crate::ModelError;

/// Lowers a `Sigmoid` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    Ok(Lowered::Op(Op::Activation(Activation::Sigmoid), vec![ctx.unary_var()?]))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::graph::*;
    use crate::ops::Lowered;

    #[test]
    fn lowers_a_variable_input() {
        let l = run(super::lower, "Sigmoid", vec![var("x", &[1, 4])], &[1, 4]).unwrap();
        assert!(
            matches!(l, Lowered::Op(Op::Activation(Activation::Sigmoid), ref i) if i == &vec!["x".to_string()]),
            "{l:?}"
        );
    }
}
