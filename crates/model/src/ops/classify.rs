//! What the `ai.onnx.ml` classifiers and regressors share: the `post_transform` of the scores,
//! ONNX Runtime's binary-class rules (one score becomes two columns), and labels as the
//! integer outputs a proof carries.

use super::arg_extreme::index_of_extreme;
use super::softmax::shifted;
use super::{compose, Composite, LowerCtx};
use crate::graph::{Activation, Check, Cmp, LinTerm, Op};
use crate::ModelError;

/// A `post_transform`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Post {
    /// Scores as they are.
    None,
    /// `1 / (1 + e^−s)` per score.
    Logistic,
    /// Softmax over the scores.
    Softmax,
}

/// Reads `post_transform`; `SOFTMAX_ZERO` and `PROBIT` are refused, naming the attribute.
pub fn post(ctx: &LowerCtx) -> Result<Post, ModelError> {
    match ctx.attr_str("post_transform", "NONE").as_str() {
        "NONE" => Ok(Post::None),
        "LOGISTIC" => Ok(Post::Logistic),
        "SOFTMAX" => Ok(Post::Softmax),
        other @ ("SOFTMAX_ZERO" | "PROBIT") => Err(ctx.unsupported_form(format!(
            "`post_transform` {other} is not supported (NONE, LOGISTIC and SOFTMAX are)"
        ))),
        other => Err(ctx.err(format!("unknown `post_transform` {other:?}"))),
    }
}

/// The integer class labels (`attr`, usually `classlabels_int64s`, or `classlabels_ints` for
/// LinearClassifier); string labels are refused: a proof's outputs are numbers.
pub fn labels(ctx: &LowerCtx, attr: &str) -> Result<Vec<i64>, ModelError> {
    if ctx.attr_strs("classlabels_strings").is_some_and(|s| !s.is_empty()) {
        return Err(ctx.unsupported_form(
            "its class labels are strings (`classlabels_strings`); a proof carries numbers: export the model with integer class labels",
        ));
    }
    match ctx.attr_ints(attr) {
        Some(l) if !l.is_empty() => {
            // labels are computed as small integers: beyond 2^24 a float would round them
            // and their differences, within single precision
            if let Some(bad) = l.iter().find(|v| v.unsigned_abs() > 1 << 23) {
                return Err(ctx.unsupported_form(format!("class label {bad} in `{attr}` is beyond ±2^23")));
            }
            Ok(l)
        }
        _ => Err(ctx.err(format!("missing attribute `{attr}` (the class labels)"))),
    }
}

/// `post` applied to each of the `n` scores of `s` (shape `[1, n]`).
pub fn transform(c: &mut Composite, s: &str, n: usize, post: Post) -> String {
    let shape = vec![1, n];
    match post {
        Post::None => s.to_string(),
        Post::Logistic => c.add(Op::Activation(Activation::Sigmoid), vec![s.to_string()], shape),
        Post::Softmax => {
            let groups = vec![(0..n).collect::<Vec<_>>()];
            let group_of = vec![0; n];
            let d = shifted(c, s, &shape, &groups, &group_of);
            let e = c.add(Op::Activation(Activation::Exp), vec![d], shape.clone());
            let sum = compose::sum(c, &e, &groups, 1.0, &[1]);
            let r = c.add(Op::Activation(Activation::Reciprocal), vec![sum], vec![1]);
            c.add(
                Op::Product {
                    pairs: (0..n).map(|i| (i, 0)).collect(),
                },
                vec![e, r],
                shape,
            )
        }
    }
}

/// How ONNX Runtime widens one binary score `s` to two columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Second {
    /// `[1 − s, s]` (no transform).
    Complement,
    /// `[σ(−s), σ(s)]` with LOGISTIC, else `[−s, s]`.
    Mirror,
}

/// The two columns of one binary score `s` (element `at` of its tensor).
pub fn second_class(c: &mut Composite, s: &str, at: usize, how: Second, post: Post) -> String {
    let t = |coeff| {
        vec![LinTerm {
            operand: 0,
            index: at,
            coeff,
        }]
    };
    let (rows, bias) = match how {
        Second::Complement => (vec![t(-1.0), t(1.0)], vec![1.0, 0.0]),
        Second::Mirror => (vec![t(-1.0), t(1.0)], vec![0.0, 0.0]),
    };
    let two = c.add(Op::Linear { exact: true, rows, bias }, vec![s.to_string()], vec![1, 2]);
    match (how, post) {
        (Second::Mirror, Post::Logistic) => c.add(Op::Activation(Activation::Sigmoid), vec![two], vec![1, 2]),
        _ => two,
    }
}

/// The label of the largest of the `n` scores of `s` (the first on ties), shape `out`. Two
/// scores need no running maximum: the label is the side of 0 of their difference, a split
/// whose flag table spans the difference at a few bits (see `quantize::build`).
pub fn label_of_max(c: &mut Composite, s: &str, n: usize, labels: &[i64], out: &[usize]) -> String {
    if n == 2 {
        let t = |index, coeff| LinTerm { operand: 0, index, coeff };
        let d = c.add(
            Op::Linear {
                exact: true,
                rows: vec![vec![t(1, 1.0), t(0, -1.0)]],
                bias: vec![0.0],
            },
            vec![s.to_string()],
            vec![1],
        );
        return label_above(c, &d, 0, 0.0, [labels[0], labels[1]], out);
    }
    let idx = index_of_extreme(c, s, &[1, n], 1, true, false, &[1]);
    map_labels(c, &idx, labels, out)
}

/// `labels[i]` for the index `i` in `idx` (shape `[1]`).
fn map_labels(c: &mut Composite, idx: &str, labels: &[i64], out: &[usize]) -> String {
    if labels.iter().enumerate().all(|(i, &l)| l == i as i64) {
        return c.add(Op::View, vec![idx.to_string()], out.to_vec());
    }
    // one flag per class, then the weighted sum of the labels
    let checks = (0..labels.len())
        .map(|k| Check {
            index: 0,
            threshold: k as f32,
            cmp: Cmp::Eq,
        })
        .collect();
    let flags = c.add(Op::Threshold { checks, fixed: false }, vec![idx.to_string()], vec![labels.len()]);
    let row = labels
        .iter()
        .enumerate()
        .map(|(k, &l)| LinTerm {
            operand: 0,
            index: k,
            coeff: l as f32,
        })
        .collect();
    c.add(
        Op::Linear {
            exact: true,
            rows: vec![row],
            bias: vec![0.0],
        },
        vec![flags],
        out.to_vec(),
    )
}

/// `s[at] > threshold ? labels[1] : labels[0]` (ONNX Runtime's binary rule), shape `out`.
pub fn label_above(c: &mut Composite, s: &str, at: usize, threshold: f32, labels: [i64; 2], out: &[usize]) -> String {
    let check = Check {
        index: at,
        threshold,
        cmp: Cmp::Gt,
    };
    let flag = c.add(
        Op::Threshold {
            checks: vec![check],
            fixed: true,
        },
        vec![s.to_string()],
        vec![1],
    );
    c.add(
        Op::Linear {
            exact: true,
            rows: vec![vec![LinTerm {
                operand: 0,
                index: 0,
                coeff: (labels[1] - labels[0]) as f32,
            }]],
            bias: vec![labels[0] as f32],
        },
        vec![flag],
        out.to_vec(),
    )
}

/// `X·Wᵀ + b` over the input row `x`: `coef` holds `bias.len()` rows of `features` weights
/// (row-major); shape `[1, rows]`.
pub fn dense(c: &mut Composite, x: &str, coef: &[f64], bias: &[f64], features: usize) -> String {
    let n = bias.len();
    let rows = (0..n)
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
    let bias = bias.iter().map(|&b| b as f32).collect();
    c.add(Op::Linear { exact: false, rows, bias }, vec![x.to_string()], vec![1, n])
}

/// Writes a classifier's label (output 0) and scores (output 1), those the model uses.
pub fn write_classifier(c: &mut Composite, ctx: &LowerCtx, label: &str, scores: &str) {
    for (k, t) in [(0, label), (1, scores)] {
        if let Some((name, shape)) = output(ctx, k) {
            write(c, t, &name, &shape);
        }
    }
}

/// Writes a regressor's value to its output.
pub fn write_regressor(c: &mut Composite, ctx: &LowerCtx, y: &str) {
    let (name, shape) = output(ctx, 0).unwrap_or_else(|| (ctx.output.to_string(), ctx.out_shape.clone()));
    write(c, y, &name, &shape);
}

/// The name and shape of output `k` of the node, when the model uses it.
pub fn output(ctx: &LowerCtx, k: usize) -> Option<(String, Vec<usize>)> {
    let name = ctx.proto.output.get(k).filter(|n| !n.is_empty())?;
    let shape = ctx.outputs.iter().find(|(n, _)| n == name).and_then(|(_, s)| s.clone())?;
    Some((name.clone(), shape))
}

/// Writes `tensor` to the node's output `name` with `shape` (a view: no rows).
pub fn write(c: &mut Composite, tensor: &str, name: &str, shape: &[usize]) {
    c.add_output(Op::View, vec![tensor.to_string()], shape.to_vec(), name);
}

/// The input row of a classifier or regressor: the variable operand, its number of features
/// (the last dimension), and an error when it holds more than one row.
pub fn input_row(ctx: &LowerCtx) -> Result<(String, usize), ModelError> {
    let (x, xs) = ctx.var(0)?;
    let total: usize = xs.iter().product();
    let f = xs.last().copied().unwrap_or(1);
    if total != f {
        return Err(ctx.err(format!(
            "input of shape {xs:?} holds {} rows; zkinfer proves one sample (batch 1)",
            total / f.max(1)
        )));
    }
    Ok((x, f))
}
