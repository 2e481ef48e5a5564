//! `ai.onnx.ml` `SVMRegressor` with the linear kernel (scikit-learn's SVR(kernel="linear"),
//! LinearSVR): `⟨x, w⟩ + rho` with `w` collapsed from the support vectors ([`super::svm`]), or
//! the coefficients themselves without support vectors; a one-class model outputs `±1` (the
//! side of 0).

use super::classify;
use super::{svm, Composite, LowerCtx, Lowered};
use crate::ModelError;

/// Lowers an `SVMRegressor` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, features) = classify::input_row(ctx)?;
    svm::linear_kernel(ctx)?;
    if classify::post(ctx)? != classify::Post::None {
        return Err(ctx.unsupported_form("a `post_transform` on an SVMRegressor is not supported"));
    }
    let coef = ctx
        .attr_floats("coefficients")?
        .ok_or_else(|| ctx.err("missing attribute `coefficients`"))?;
    let rho = ctx.attr_floats("rho")?.and_then(|r| r.first().copied()).unwrap_or(0.0);
    let n = ctx.attr_int("n_supports", 0).max(0) as usize;
    let w = if n > 0 {
        let sv = ctx
            .attr_floats("support_vectors")?
            .ok_or_else(|| ctx.err("missing attribute `support_vectors`"))?;
        svm::collapse(ctx, &coef, &sv, n, features)?
    } else if coef.len() == features {
        coef
    } else {
        return Err(ctx.err(format!("`coefficients` has {} values for {features} features", coef.len())));
    };
    let mut c = Composite::new(ctx);
    let s = classify::dense(&mut c, &x, &w, &[rho], features);
    let y = if ctx.attr_int("one_class", 0) != 0 {
        classify::label_above(&mut c, &s, 0, 0.0, [-1, 1], &[1, 1])
    } else {
        s
    };
    classify::write_regressor(&mut c, ctx, &y);
    Ok(c.finish())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn support_vectors_collapse_and_other_kernels_are_refused() {
        let mut n = ctx_with("SVMRegressor", vec![var("x", &[1, 2])], &[1, 1]);
        n.floats("coefficients", &[0.5, -1.0, 2.0]);
        n.floats("support_vectors", &[1.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
        n.int("n_supports", 3);
        n.floats("rho", &[0.25]);
        let l = n.run(super::lower).unwrap();
        // w = 0.5·(1, 0) − (0, 1) + 2·(1, 1) = (2.5, 1)
        assert_eq!(eval_lowered(&l, &[("x", vec![2.0, -1.0])]), vec![4.25]);
        n.int("one_class", 1);
        let l = n.run(super::lower).unwrap();
        assert_eq!(eval_lowered(&l, &[("x", vec![2.0, -1.0])]), vec![1.0]);
        assert_eq!(eval_lowered(&l, &[("x", vec![-2.0, -1.0])]), vec![-1.0]);
        n.string("kernel_type", "RBF");
        let e = n.run(super::lower).unwrap_err().to_string();
        assert!(e.contains("`kernel_type` RBF is not supported"), "{e}");
    }
}
