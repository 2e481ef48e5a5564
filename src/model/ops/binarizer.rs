//! `ai.onnx.ml` `Binarizer`: `x > threshold ? 1 : 0` per element, a tree-style split (its cut
//! placed between the calibration samples).

use super::{LowerCtx, Lowered};
use crate::model::graph::{Check, Cmp, Op};
use crate::model::ModelError;

/// Lowers a `Binarizer` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, xs) = ctx.var(0)?;
    let threshold = ctx.attr_float("threshold", 0.0);
    let n: usize = xs.iter().product();
    let checks = (0..n)
        .map(|index| Check {
            index,
            threshold,
            cmp: Cmp::Gt,
        })
        .collect();
    Ok(Lowered::Op(Op::Threshold { checks }, vec![x]))
}
