//! `ai.onnx.ml` `TreeEnsembleRegressor`: the ensemble's target scores ([`super::tree`]) with
//! the `SUM` or `AVERAGE` aggregate and the base values. As in ONNX Runtime, a single target
//! takes no `post_transform` (only PROBIT would apply, and it is refused); several targets take
//! it per target.

use super::classify;
use super::{tree, Composite, LowerCtx, Lowered};
use crate::model::ModelError;

/// Lowers a `TreeEnsembleRegressor` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, features) = classify::input_row(ctx)?;
    let n = ctx.attr_int("n_targets", 1).max(1) as usize;
    let forest = tree::parse(ctx, "target", features, n)?;
    let base = ctx.attr_floats("base_values")?.unwrap_or_default();
    if !base.is_empty() && base.len() != n {
        return Err(ctx.err(format!("`base_values` has {} values for {n} targets", base.len())));
    }
    let factor = match ctx.attr_str("aggregate_function", "SUM").as_str() {
        "SUM" => 1.0,
        "AVERAGE" => 1.0 / forest.trees() as f64,
        other @ ("MIN" | "MAX") => {
            return Err(ctx.unsupported_form(format!("`aggregate_function` {other} is not supported (SUM and AVERAGE are)")))
        }
        other => return Err(ctx.err(format!("unknown `aggregate_function` {other:?}"))),
    };
    let post = classify::post(ctx)?;
    let mut c = Composite::new(ctx);
    let s = tree::scores(ctx, &mut c, &x, &forest, n, factor, &base)?;
    let y = if n == 1 { s } else { classify::transform(&mut c, &s, n, post) };
    let (name, shape) = classify::output(ctx, 0).ok_or_else(|| ctx.err("its output is unnamed"))?;
    classify::write(&mut c, &y, &name, &shape);
    Ok(c.finish())
}
