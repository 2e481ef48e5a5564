//! ONNX `Selu`: element-wise gamma·(x > 0 ? x : alpha·(eˣ − 1)) (attributes `alpha`, `gamma`). Proven with one lookup table over the calibrated input range.

use super::{unary, LowerCtx, Lowered};
use crate::graph::{Activation, Param};
use crate::ModelError;

/// Lowers a `Selu` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    unary(
        ctx,
        Activation::Selu {
            alpha: Param::new(ctx.attr_float("alpha", 1.673_263_2)),
            gamma: Param::new(ctx.attr_float("gamma", 1.050_701)),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn lowers_to_its_table() {
        let f = unary_of(super::lower, "Selu");
        assert_eq!(f.name(), "selu");
    }
}
