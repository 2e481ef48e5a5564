//! `ai.onnx.ml` `LinearClassifier` (scikit-learn's LogisticRegression, LinearSVC, SGD
//! classifiers): scores `X·Wᵀ + b`, the label of the largest score (for one score column, of
//! its sign), and the scores through `post_transform` — with ONNX Runtime's rule that one score
//! column and two labels become `[1 − s, s]`.

use super::classify::{self, Second};
use super::{Composite, LowerCtx, Lowered};
use crate::model::graph::{LinTerm, Op};
use crate::model::ModelError;

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
    let rows = (0..e)
        .map(|k| {
            (0..features)
                .map(|j| LinTerm {
                    operand: 0,
                    index: j,
                    coeff: coef[k * features + j] as f32,
                })
                .collect()
        })
        .collect();
    let bias = intercepts.iter().map(|&b| b as f32).collect();
    let s = c.add(Op::Linear { exact: false, rows, bias }, vec![x], vec![1, e]);
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
    if let Some((name, shape)) = classify::output(ctx, 0) {
        classify::write(&mut c, &label, &name, &shape);
    }
    if let Some((name, shape)) = classify::output(ctx, 1) {
        classify::write(&mut c, &probs, &name, &shape);
    }
    Ok(c.finish())
}
