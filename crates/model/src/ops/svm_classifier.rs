//! `ai.onnx.ml` `SVMClassifier` with the linear kernel and two classes (scikit-learn's
//! SVC(kernel="linear")): the decision value `s = Σ_i coef_i·⟨x, sv_i⟩ + rho` collapsed to one
//! weighted sum ([`super::svm`]), then ONNX Runtime's rules: the label is the first class when
//! `s > 0` (libsvm's convention), the scores are `[−s, s]` (or `[1 − s, s]` with a
//! `post_transform`). Platt probabilities (`prob_a`, `prob_b`), one-vs-one voting over more
//! classes and liblinear mode (no support vectors) are refused, naming what.

use super::classify::{self, Post, Second};
use super::{svm, Composite, LowerCtx, Lowered};
use crate::ModelError;

/// Lowers an `SVMClassifier` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, features) = classify::input_row(ctx)?;
    svm::linear_kernel(ctx)?;
    let labels = classify::labels(ctx, "classlabels_ints")?;
    if ctx.attr_floats("prob_a")?.is_some_and(|p| !p.is_empty()) {
        return Err(
            ctx.unsupported_form("Platt probabilities (`prob_a`, `prob_b`, from probability=True) are not supported; export without them")
        );
    }
    let per_class = ctx.attr_ints("vectors_per_class").unwrap_or_default();
    if per_class.is_empty() {
        return Err(ctx.unsupported_form(
            "an SVMClassifier without support vectors (liblinear mode, `vectors_per_class` absent) is not supported; LinearSVC exports as LinearClassifier, which is",
        ));
    }
    if labels.len() != 2 || per_class.len() != 2 {
        return Err(ctx.unsupported_form(format!(
            "{} classes: one-vs-one voting is not supported, only two classes",
            labels.len()
        )));
    }
    if per_class.iter().any(|&v| v < 0) {
        return Err(ctx.err(format!("`vectors_per_class` {per_class:?} has a negative count")));
    }
    let n: usize = per_class.iter().map(|&v| v as usize).sum();
    let coef = ctx
        .attr_floats("coefficients")?
        .ok_or_else(|| ctx.err("missing attribute `coefficients`"))?;
    let sv = ctx
        .attr_floats("support_vectors")?
        .ok_or_else(|| ctx.err("missing attribute `support_vectors`"))?;
    let rho = ctx.attr_floats("rho")?.and_then(|r| r.first().copied()).unwrap_or(0.0);
    let w = svm::collapse(ctx, &coef, &sv, n, features)?;
    let post = classify::post(ctx)?;
    let mut c = Composite::new(ctx);
    let s = classify::dense(&mut c, &x, &w, &[rho], features);
    let label = classify::label_above(&mut c, &s, 0, 0.0, [labels[1], labels[0]], &[1]);
    let how = if post == Post::None { Second::Mirror } else { Second::Complement };
    let probs = classify::second_class(&mut c, &s, 0, how, Post::None);
    classify::write_classifier(&mut c, ctx, &label, &probs);
    Ok(c.finish())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    fn node() -> TestNode {
        let mut n = ctx_with("SVMClassifier", vec![var("x", &[1, 2])], &[1]);
        n.outputs(&[&[1], &[1, 2]]);
        n.ints("classlabels_ints", &[0, 1]);
        n.ints("vectors_per_class", &[1, 1]);
        n.floats("support_vectors", &[1.0, 0.0, 0.0, 1.0]);
        n.floats("coefficients", &[1.0, -1.0]);
        n.floats("rho", &[0.5]);
        n
    }

    #[test]
    fn the_first_class_wins_on_a_positive_decision_value() {
        // s = x0 − x1 + 0.5
        let l = node().run(super::lower).unwrap();
        let env = eval_all(&l, &[("x", vec![1.0, 0.0])]);
        assert_eq!(env["y"], vec![0.0]);
        assert_eq!(env["y1"], vec![-1.5, 1.5]);
        let env = eval_all(&l, &[("x", vec![0.0, 2.0])]);
        assert_eq!(env["y"], vec![1.0]);
    }

    #[test]
    fn unsupported_forms_name_what() {
        let mut n = node();
        n.string("kernel_type", "RBF");
        assert!(n.run(super::lower).unwrap_err().to_string().contains("`kernel_type` RBF"));
        let mut n = node();
        n.floats("prob_a", &[1.0]);
        assert!(n.run(super::lower).unwrap_err().to_string().contains("`prob_a`"));
        let mut n = node();
        n.ints("classlabels_ints", &[0, 1, 2]);
        n.ints("vectors_per_class", &[1, 1, 0]);
        assert!(n.run(super::lower).unwrap_err().to_string().contains("one-vs-one"));
    }
}
