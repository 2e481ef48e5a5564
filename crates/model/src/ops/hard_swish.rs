//! ONNX `HardSwish`: element-wise x · clamp(x/6 + 1/2, 0, 1). Proven with one lookup table over the calibrated input range.

use super::{unary, LowerCtx, Lowered};
use crate::graph::Activation;
use crate::ModelError;

/// Lowers a `HardSwish` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    unary(ctx, Activation::HardSwish)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn lowers_to_its_table() {
        let f = unary_of(super::lower, "HardSwish");
        assert_eq!(f.name(), "hardswish");
    }
}
