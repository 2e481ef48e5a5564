//! `ai.onnx.ml` `TreeEnsembleClassifier` (scikit-learn's gradient boosting and random forests,
//! XGBoost, LightGBM): the ensemble's class scores ([`super::tree`]), then ONNX Runtime's
//! rules for the label and the probabilities — for two classes with one score column, the
//! label is the side of 0.5 (all leaf weights non-negative) or of 0, and the second column is
//! `1 − p` or the mirrored score.

use super::classify::{self, Post, Second};
use super::{tree, Composite, LowerCtx, Lowered};
use crate::ModelError;

/// Lowers a `TreeEnsembleClassifier` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, features) = classify::input_row(ctx)?;
    let labels = classify::labels(ctx, "classlabels_int64s")?;
    let n = labels.len();
    let forest = tree::parse(ctx, "class", features, n)?;
    let base = ctx.attr_floats("base_values")?.unwrap_or_default();
    let post = classify::post(ctx)?;
    if !base.is_empty() && base.len() != n && !(n == 2 && base.len() == 1) {
        return Err(ctx.err(format!("`base_values` has {} values for {n} classes", base.len())));
    }
    let weighted = forest.weighted_outputs();
    let mut c = Composite::new(ctx);
    let (label, probs) = if n != 2 {
        let s = tree::scores(ctx, &mut c, &x, &forest, n, 1.0, &base)?;
        let label = classify::label_of_max(&mut c, &s, n, &labels, &[1]);
        (label, classify::transform(&mut c, &s, n, post))
    } else {
        let has1 = weighted.contains(&1);
        let binary = weighted.len() == 1;
        if weighted.len() == 2 {
            // ONNX Runtime then decides per sample whether a class "has a score" (whether a
            // reached leaf carries a weight for it), which no exporter relies on
            return Err(ctx.unsupported_form(
                "two classes with leaf weights for both (`class_ids` 0 and 1): exporters give binary ensembles one score column; re-export with weights for one class",
            ));
        }
        // the scores ONNX Runtime keeps: [p0] or [p0, p1] (base values added)
        let cols = if has1 || base.len() == 2 { 2 } else { 1 };
        let mut b = base.clone();
        b.resize(cols, 0.0);
        if base.len() == 1 {
            b = vec![base[0], 0.0][..cols].to_vec();
        }
        let s = tree::scores(ctx, &mut c, &x, &forest, cols, 1.0, &b)?;
        // the score that decides: p1 when class 1 has weights, else p0
        let at = if has1 { 1 } else { 0 };
        let (threshold, pair) = if binary && forest.weights_nonnegative() {
            (0.5, labels.clone())
        } else if binary {
            (0.0, labels.clone())
        } else {
            (0.0, vec![0, 1])
        };
        let label = classify::label_above(&mut c, &s, at, threshold, [pair[0], pair[1]], &[1]);
        let probs = if cols == 2 {
            classify::transform(&mut c, &s, 2, post)
        } else {
            // as onnxruntime 1.32 writes one score column: LOGISTIC mirrors it through the
            // sigmoid, otherwise [1 − s, s] for non-negative weights and [−s, s] for mixed ones
            let how = if post == Post::Logistic || !forest.weights_nonnegative() {
                Second::Mirror
            } else {
                Second::Complement
            };
            classify::second_class(&mut c, &s, 0, how, post)
        };
        (label, probs)
    };
    classify::write_classifier(&mut c, ctx, &label, &probs);
    Ok(c.finish())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    /// One stump on feature 0 at 0.5 (≤: leaf weight `lo`, else `hi`), weights for class 0.
    fn stump(lo: f32, hi: f32, post: &str, base: &[f32]) -> TestNode {
        let mut n = ctx_with("TreeEnsembleClassifier", vec![var("x", &[1, 1])], &[1]);
        n.outputs(&[&[1], &[1, 2]]);
        n.ints("nodes_treeids", &[0, 0, 0]);
        n.ints("nodes_nodeids", &[0, 1, 2]);
        n.ints("nodes_featureids", &[0, 0, 0]);
        n.strings("nodes_modes", &["BRANCH_LEQ", "LEAF", "LEAF"]);
        n.floats("nodes_values", &[0.5, 0.0, 0.0]);
        n.ints("nodes_truenodeids", &[1, 0, 0]);
        n.ints("nodes_falsenodeids", &[2, 0, 0]);
        n.ints("class_treeids", &[0, 0]);
        n.ints("class_nodeids", &[1, 2]);
        n.ints("class_ids", &[0, 0]);
        n.floats("class_weights", &[lo, hi]);
        n.ints("classlabels_int64s", &[0, 1]);
        n.string("post_transform", post);
        if !base.is_empty() {
            n.floats("base_values", base);
        }
        n
    }

    fn outputs(n: &TestNode, x: f64) -> (Vec<f64>, Vec<f64>) {
        let l = n.run(super::lower).unwrap();
        let env = eval_all(&l, &[("x", vec![x])]);
        (env["y"].clone(), env["y1"].clone())
    }

    fn sigmoid(s: f64) -> f64 {
        1.0 / (1.0 + (-s).exp())
    }

    #[test]
    fn binary_scores_follow_onnxruntime() {
        // mixed weights + LOGISTIC (XGBoost, LightGBM, GradientBoosting): label s > 0,
        // probabilities [σ(−s), σ(s)]
        let n = stump(-0.8, 0.6, "LOGISTIC", &[0.1]);
        for (x, s) in [(0.0, -0.7), (1.0, 0.7)] {
            let (label, p) = outputs(&n, x);
            assert_eq!(label, vec![if s > 0.0 { 1.0 } else { 0.0 }]);
            assert!((p[0] - sigmoid(-s)).abs() < 1e-6 && (p[1] - sigmoid(s)).abs() < 1e-6, "{p:?}");
        }
        // non-negative weights, NONE (random forests): label s > 0.5, probabilities [1 − s, s]
        let n = stump(0.3, 0.7, "NONE", &[]);
        let (label, p) = outputs(&n, 0.0);
        assert_eq!(label, vec![0.0]);
        assert!((p[0] - 0.7).abs() < 1e-6 && (p[1] - 0.3).abs() < 1e-6, "{p:?}");
        let (label, _) = outputs(&n, 1.0);
        assert_eq!(label, vec![1.0]);
        // mixed weights, NONE: [−s, s]
        let n = stump(-0.5, 0.5, "NONE", &[]);
        let (_, p) = outputs(&n, 1.0);
        assert_eq!(p, vec![-0.5, 0.5]);
    }

    #[test]
    fn unsupported_forms_name_the_attribute() {
        let mut n = stump(0.3, 0.7, "NONE", &[]);
        n.ints("class_ids", &[0, 1]);
        let e = n.run(super::lower).unwrap_err().to_string();
        assert!(e.contains("`class_ids` 0 and 1"), "{e}");
        let mut n = stump(0.3, 0.7, "PROBIT", &[]);
        n.string("post_transform", "PROBIT");
        let e = n.run(super::lower).unwrap_err().to_string();
        assert!(e.contains("`post_transform` PROBIT is not supported"), "{e}");
        let mut n = stump(0.3, 0.7, "NONE", &[]);
        n.strings("classlabels_strings", &["good", "bad"]);
        let e = n.run(super::lower).unwrap_err().to_string();
        assert!(e.contains("`classlabels_strings`"), "{e}");
    }

    #[test]
    fn several_classes_take_the_label_of_the_largest_score() {
        let mut n = ctx_with("TreeEnsembleClassifier", vec![var("x", &[1, 1])], &[1]);
        n.outputs(&[&[1], &[1, 3]]);
        n.ints("nodes_treeids", &[0, 0, 0]);
        n.ints("nodes_nodeids", &[0, 1, 2]);
        n.ints("nodes_featureids", &[0, 0, 0]);
        n.strings("nodes_modes", &["BRANCH_LT", "LEAF", "LEAF"]);
        n.floats("nodes_values", &[0.5, 0.0, 0.0]);
        n.ints("nodes_truenodeids", &[1, 0, 0]);
        n.ints("nodes_falsenodeids", &[2, 0, 0]);
        n.ints("class_treeids", &[0, 0, 0, 0]);
        n.ints("class_nodeids", &[1, 1, 2, 2]);
        n.ints("class_ids", &[0, 2, 1, 2]);
        n.floats("class_weights", &[2.0, 1.0, 3.0, 0.5]);
        n.ints("classlabels_int64s", &[7, 8, 9]);
        n.string("post_transform", "SOFTMAX");
        let l = n.run(super::lower).unwrap();
        let env = eval_all(&l, &[("x", vec![0.0])]);
        assert_eq!(env["y"], vec![7.0]);
        let e = [2f64.exp(), 1.0, 1f64.exp()];
        let sum: f64 = e.iter().sum();
        for (p, q) in env["y1"].iter().zip(e) {
            assert!((p - q / sum).abs() < 1e-6, "{:?}", env["y1"]);
        }
        let env = eval_all(&l, &[("x", vec![1.0])]);
        assert_eq!(env["y"], vec![8.0]);
    }
}
