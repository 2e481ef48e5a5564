//! ONNX `HardSigmoid`: element-wise clamp(alpha·x + beta, 0, 1) (attributes `alpha` 0.2, `beta` 0.5). Proven with one lookup table over the calibrated input range.

use super::{unary, LowerCtx, Lowered};
use crate::graph::{Activation, Param};
use crate::ModelError;

/// Lowers a `HardSigmoid` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    unary(
        ctx,
        Activation::HardSigmoid {
            alpha: Param::new(ctx.attr_float("alpha", 0.2)),
            beta: Param::new(ctx.attr_float("beta", 0.5)),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn lowers_to_its_table() {
        let f = unary_of(super::lower, "HardSigmoid");
        assert_eq!(f.name(), "hardsigmoid");
    }
}
