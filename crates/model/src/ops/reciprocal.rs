//! ONNX `Reciprocal`: element-wise 1/x, a lookup table: the output is fully determined by the input (no free quotient). Proven with one lookup table over the calibrated input range.

use super::{unary, LowerCtx, Lowered};
use crate::graph::Activation;
use crate::ModelError;

/// Lowers a `Reciprocal` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    unary(ctx, Activation::Reciprocal)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn lowers_to_its_table() {
        let f = unary_of(super::lower, "Reciprocal");
        assert_eq!(f.name(), "reciprocal");
    }
}
