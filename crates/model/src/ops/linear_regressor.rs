//! `ai.onnx.ml` `LinearRegressor`: `X·Wᵀ + b` per target; as in ONNX Runtime a single target
//! takes no `post_transform`, several take it per target.

use super::classify;
use super::{Composite, LowerCtx, Lowered};
use crate::ModelError;

/// Lowers a `LinearRegressor` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, features) = classify::input_row(ctx)?;
    let t = ctx.attr_int("targets", 1).max(1) as usize;
    let coef = ctx
        .attr_floats("coefficients")?
        .ok_or_else(|| ctx.err("missing attribute `coefficients`"))?;
    let intercepts = ctx.attr_floats("intercepts")?.unwrap_or_else(|| vec![0.0; t]);
    if coef.len() != t * features || intercepts.len() != t {
        return Err(ctx.err(format!(
            "`coefficients` has {} values and `intercepts` {}: expected {t} × {features} and {t} (targets × features)",
            coef.len(),
            intercepts.len()
        )));
    }
    let post = classify::post(ctx)?;
    let mut c = Composite::new(ctx);
    let s = classify::dense(&mut c, &x, &coef, &intercepts, features);
    let y = if t == 1 { s } else { classify::transform(&mut c, &s, t, post) };
    classify::write_regressor(&mut c, ctx, &y);
    Ok(c.finish())
}
