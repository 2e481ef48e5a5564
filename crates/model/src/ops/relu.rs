//! ONNX `Relu`: element-wise max(x, 0), proven with a lookup table over the calibrated range.

use super::{LowerCtx, Lowered};
use crate::graph::{Activation, Op};
use crate::ModelError;

/// Lowers a `Relu` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    Ok(Lowered::Op(Op::Activation(Activation::Relu), vec![ctx.unary_var()?]))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::graph::*;
    use crate::ops::Lowered;

    #[test]
    fn lowers_a_variable_input() {
        let l = run(super::lower, "Relu", vec![var("x", &[1, 4])], &[1, 4]).unwrap();
        assert!(
            matches!(l, Lowered::Op(Op::Activation(Activation::Relu), ref i) if i == &vec!["x".to_string()]),
            "{l:?}"
        );
    }
}
