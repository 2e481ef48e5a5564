//! ONNX `LeakyRelu`: element-wise x ≥ 0 ? x : alpha·x (attribute `alpha`, default 0.01). Proven with one lookup table over the calibrated input range.

use super::{unary, LowerCtx, Lowered};
use crate::graph::{Activation, Param};
use crate::ModelError;

/// Lowers a `LeakyRelu` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    unary(
        ctx,
        Activation::LeakyRelu {
            alpha: Param::new(ctx.attr_float("alpha", 0.01)),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn lowers_to_its_table() {
        let f = unary_of(super::lower, "LeakyRelu");
        assert_eq!(f.name(), "leakyrelu");
    }
}
