//! `ai.onnx.ml` `Binarizer`: `x > threshold ? 1 : 0` per element, a tree-style split (its cut
//! placed between the calibration samples).

use super::{LowerCtx, Lowered};
use crate::graph::{Check, Cmp, Op};
use crate::ModelError;

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
    Ok(Lowered::Op(Op::Threshold { checks, fixed: false }, vec![x]))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn above_the_threshold_is_one() {
        let mut n = ctx_with("Binarizer", vec![var("x", &[3])], &[3]);
        n.float("threshold", 1.0);
        assert_eq!(
            eval_lowered(&n.run(super::lower).unwrap(), &[("x", vec![0.5, 1.0, 1.5])]),
            vec![0.0, 0.0, 1.0]
        );
    }
}
