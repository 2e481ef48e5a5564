//! ONNX `Elu`: element-wise x ≥ 0 ? x : alpha·(eˣ − 1) (attribute `alpha`, default 1). Proven with one lookup table over the calibrated input range.

use super::{unary, LowerCtx, Lowered};
use crate::graph::{Activation, Param};
use crate::ModelError;

/// Lowers a `Elu` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    unary(
        ctx,
        Activation::Elu {
            alpha: Param::new(ctx.attr_float("alpha", 1.0)),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn lowers_to_its_table() {
        let f = unary_of(super::lower, "Elu");
        assert_eq!(f.name(), "elu");
    }
}
