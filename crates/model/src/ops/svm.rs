//! What `SVMClassifier` and `SVMRegressor` share: the kernel. Only the linear kernel is
//! supported; with it, `Σ_i coef_i·⟨x, sv_i⟩` is `⟨x, Σ_i coef_i·sv_i⟩`, so any number of
//! support vectors collapses to one weight vector (computed in double precision) and the model
//! is a single weighted sum.

use super::LowerCtx;
use crate::ModelError;

/// Refuses kernels other than `LINEAR`, naming the attribute.
pub fn linear_kernel(ctx: &LowerCtx) -> Result<(), ModelError> {
    match ctx.attr_str("kernel_type", "LINEAR").as_str() {
        "LINEAR" => Ok(()),
        other @ ("POLY" | "RBF" | "SIGMOID") => Err(ctx.unsupported_form(format!(
            "`kernel_type` {other} is not supported: only the linear kernel, whose support vectors collapse to one weight vector"
        ))),
        other => Err(ctx.err(format!("unknown `kernel_type` {other:?}"))),
    }
}

/// `Σ_i coef[i]·sv_i` over `n` support vectors of `features` values each (`sv` row-major).
pub fn collapse(ctx: &LowerCtx, coef: &[f64], sv: &[f64], n: usize, features: usize) -> Result<Vec<f64>, ModelError> {
    if n.checked_mul(features) != Some(sv.len()) || coef.len() < n {
        return Err(ctx.err(format!(
            "`support_vectors` has {} values and `coefficients` {}: expected {n} vectors of {features} features",
            sv.len(),
            coef.len()
        )));
    }
    let mut w = vec![0f64; features];
    for (i, &c) in coef[..n].iter().enumerate() {
        for (j, wj) in w.iter_mut().enumerate() {
            *wj += c * sv[i * features + j];
        }
    }
    Ok(w)
}
