//! `ai.onnx.ml` `TreeEnsembleClassifier` (scikit-learn's gradient boosting and random forests,
//! XGBoost, LightGBM): the ensemble's class scores ([`super::tree`]), then ONNX Runtime's
//! rules for the label and the probabilities — for two classes with one score column, the
//! label is the side of 0.5 (all leaf weights non-negative) or of 0, and the second column is
//! `1 − p` or the mirrored score.

use super::classify::{self, Post, Second};
use super::{tree, Composite, LowerCtx, Lowered};
use crate::model::ModelError;

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
    if let Some((name, shape)) = classify::output(ctx, 0) {
        classify::write(&mut c, &label, &name, &shape);
    }
    if let Some((name, shape)) = classify::output(ctx, 1) {
        classify::write(&mut c, &probs, &name, &shape);
    }
    Ok(c.finish())
}
