//! `ai.onnx.ml` `LinearClassifier` (scikit-learn's LogisticRegression, LinearSVC, SGD
//! classifiers): scores `X·Wᵀ + b`, the label of the largest score (for one score column, of
//! its sign), and the scores through `post_transform` — with ONNX Runtime's rule that one score
//! column and two labels become `[1 − s, s]`.

use super::classify::{self, Second};
use super::{Composite, LowerCtx, Lowered};
use crate::ModelError;

/// Lowers a `LinearClassifier` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, features) = classify::input_row(ctx)?;
    let labels = classify::labels(ctx, "classlabels_ints")?;
    let coef = ctx
        .attr_floats("coefficients")?
        .ok_or_else(|| ctx.err("missing attribute `coefficients`"))?;
    let intercepts = ctx.attr_floats("intercepts")?.unwrap_or_default();
    let e = intercepts.len();
    if e == 0 || coef.len() != e * features {
        return Err(ctx.err(format!(
            "`coefficients` has {} values, `intercepts` {e}: expected {e} × {features} (classes × features)",
            coef.len()
        )));
    }
    let post = classify::post(ctx)?;
    let mut c = Composite::new(ctx);
    let s = classify::dense(&mut c, &x, &coef, &intercepts, features);
    let (label, probs) = if e == 1 {
        let pair = if labels.len() == 2 { [labels[0], labels[1]] } else { [0, 1] };
        let label = classify::label_above(&mut c, &s, 0, 0.0, pair, &[1]);
        let probs = if labels.len() == 2 {
            classify::second_class(&mut c, &s, 0, Second::Complement, post)
        } else {
            s.clone()
        };
        (label, probs)
    } else {
        if labels.len() != e {
            return Err(ctx.err(format!("{} class labels for {e} score columns", labels.len())));
        }
        let label = classify::label_of_max(&mut c, &s, e, &labels, &[1]);
        (label, classify::transform(&mut c, &s, e, post))
    };
    classify::write_classifier(&mut c, ctx, &label, &probs);
    Ok(c.finish())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    fn node(coef: &[f32], intercepts: &[f32], labels: &[i64], post: &str, classes: usize) -> TestNode {
        let mut n = ctx_with("LinearClassifier", vec![var("x", &[1, 2])], &[1]);
        n.outputs(&[&[1], &[1, classes]]);
        n.floats("coefficients", coef);
        n.floats("intercepts", intercepts);
        n.ints("classlabels_ints", labels);
        n.string("post_transform", post);
        n
    }

    #[test]
    fn one_score_column_is_widened_as_onnxruntime_does() {
        // s = x0 − 2·x1 + 0.5; label by its sign; scores [1 − s, s] whatever the transform
        let l = node(&[1.0, -2.0], &[0.5], &[3, 5], "LOGISTIC", 2).run(super::lower).unwrap();
        let env = eval_all(&l, &[("x", vec![1.0, 1.0])]);
        assert_eq!(env["y"], vec![3.0]);
        assert_eq!(env["y1"], vec![1.5, -0.5]);
        let env = eval_all(&l, &[("x", vec![2.0, 0.0])]);
        assert_eq!(env["y"], vec![5.0]);
    }

    #[test]
    fn two_rows_take_the_argmax_and_the_logistic_per_score() {
        // scikit-learn's binary LogisticRegression: rows −w and w
        let l = node(&[-1.0, 0.5, 1.0, -0.5], &[-0.25, 0.25], &[0, 1], "LOGISTIC", 2)
            .run(super::lower)
            .unwrap();
        let env = eval_all(&l, &[("x", vec![1.0, 0.0])]);
        assert_eq!(env["y"], vec![1.0]);
        let s: f64 = 1.25;
        assert!((env["y1"][1] - 1.0 / (1.0 + (-s).exp())).abs() < 1e-6);
        assert!((env["y1"][0] - 1.0 / (1.0 + s.exp())).abs() < 1e-6);
    }

    #[test]
    fn mismatched_coefficients_are_named() {
        let e = node(&[1.0, 2.0, 3.0], &[0.0, 1.0], &[0, 1], "NONE", 2)
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("`coefficients` has 3 values"), "{e}");
    }
}
