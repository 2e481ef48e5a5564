//! ONNX `Exp`: element-wise eˣ (table output carries extra fractional bits). Proven with one lookup table over the calibrated input range.

use super::{unary, LowerCtx, Lowered};
use crate::graph::Activation;
use crate::ModelError;

/// Lowers a `Exp` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    unary(ctx, Activation::Exp)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn lowers_to_its_table() {
        let f = unary_of(super::lower, "Exp");
        assert_eq!(f.name(), "exp");
    }
}
