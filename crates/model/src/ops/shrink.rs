//! ONNX `Shrink`: element-wise x < −lambd ? x + bias : x > lambd ? x − bias : 0. Proven with one lookup table over the calibrated input range.

use super::{unary, LowerCtx, Lowered};
use crate::graph::{Activation, Param};
use crate::ModelError;

/// Lowers a `Shrink` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    unary(
        ctx,
        Activation::Shrink {
            bias: Param::new(ctx.attr_float("bias", 0.0)),
            lambd: Param::new(ctx.attr_float("lambd", 0.5)),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn lowers_to_its_table() {
        let f = unary_of(super::lower, "Shrink");
        assert_eq!(f.name(), "shrink");
    }
}
