//! ONNX `Softsign`: element-wise x / (1 + |x|). Proven with one lookup table over the calibrated input range.

use super::{unary, LowerCtx, Lowered};
use crate::graph::Activation;
use crate::ModelError;

/// Lowers a `Softsign` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    unary(ctx, Activation::Softsign)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn lowers_to_its_table() {
        let f = unary_of(super::lower, "Softsign");
        assert_eq!(f.name(), "softsign");
    }
}
