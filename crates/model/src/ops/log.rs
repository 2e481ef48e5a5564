//! ONNX `Log`: element-wise natural logarithm (the table maps x ≤ 0 to ln of the smallest positive step). Proven with one lookup table over the calibrated input range.

use super::{unary, LowerCtx, Lowered};
use crate::graph::Activation;
use crate::ModelError;

/// Lowers a `Log` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    unary(ctx, Activation::Log)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn lowers_to_its_table() {
        let f = unary_of(super::lower, "Log");
        assert_eq!(f.name(), "log");
    }
}
