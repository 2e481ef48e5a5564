//! ONNX `Clip`: min(max(x, min), max) with constant bounds (inputs from opset 11, attributes
//! before; an absent bound is unbounded). One lookup table.

use super::{unary, LowerCtx, Lowered};
use crate::graph::{Activation, Param};
use crate::ModelError;

/// Lowers a `Clip` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (lo, hi) = if ctx.opset >= 11 {
        let scalar = |i, what| -> Result<Option<f32>, ModelError> { Ok(ctx.opt_konst(i, what)?.and_then(|t| t.data.first().copied())) };
        (
            scalar(1, "min")?.unwrap_or(f32::NEG_INFINITY),
            scalar(2, "max")?.unwrap_or(f32::INFINITY),
        )
    } else {
        (ctx.attr_float("min", f32::NEG_INFINITY), ctx.attr_float("max", f32::INFINITY))
    };
    unary(
        ctx,
        Activation::Clip {
            lo: Param::new(lo),
            hi: Param::new(hi),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::graph::Activation;

    #[test]
    fn bounds_from_inputs() {
        let mut n = ctx_with("Clip", vec![var("x", &[2]), konst(&[], &[-1.0]), konst(&[], &[2.0])], &[2]);
        n.opset(13);
        let f = activation_of(&n.run(super::lower).unwrap());
        assert!(matches!(f, Activation::Clip { .. }));
        assert_eq!(f.eval(5.0), 2.0);
        assert_eq!(f.eval(-5.0), -1.0);
    }
}
