//! ONNX `Gelu`: element-wise x·Φ(x) (attribute `approximate`: `none` or `tanh`). Proven with one lookup table over the calibrated input range.

use super::{unary, LowerCtx, Lowered};
use crate::graph::Activation;
use crate::ModelError;

/// Lowers a `Gelu` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    unary(ctx, gelu(ctx)?)
}

fn gelu(ctx: &LowerCtx) -> Result<Activation, ModelError> {
    match ctx.attr_str("approximate", "none").as_str() {
        "none" => Ok(Activation::Gelu { tanh: false }),
        "tanh" => Ok(Activation::Gelu { tanh: true }),
        other => Err(ctx.err(format!("approximate = `{other}` is not one of `none`, `tanh`"))),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn lowers_to_its_table() {
        let f = unary_of(super::lower, "Gelu");
        assert_eq!(f.name(), "gelu");
    }

    #[test]
    fn unknown_approximation_is_named() {
        let mut n = ctx_with("Gelu", vec![var("x", &[2])], &[2]);
        n.opset(20);
        n.string("approximate", "fast");
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("approximate = `fast` is not one of `none`, `tanh`"), "{e}");
    }
}
