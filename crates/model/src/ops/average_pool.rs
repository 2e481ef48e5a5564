//! ONNX `AveragePool` (N-D; strides, padding, ceil_mode, count_include_pad): a linear
//! combination with weight 1/count over each window.

use super::pool::pool_windows;
use super::{LowerCtx, Lowered};
use crate::graph::{LinTerm, Op};
use crate::ModelError;

/// Lowers an `AveragePool` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, xs) = ctx.var(0)?;
    let windows = pool_windows(ctx, &xs, &ctx.out_shape)?;
    let include_pad = ctx.attr_int("count_include_pad", 0) != 0;
    let rows: Vec<Vec<LinTerm>> = windows
        .iter()
        .map(|w| {
            let count = if include_pad { w.padded_count } else { w.inside.len() };
            let coeff = 1.0 / count as f32;
            w.inside.iter().map(|&index| LinTerm { operand: 0, index, coeff }).collect()
        })
        .collect();
    let n = rows.len();
    Ok(Lowered::Op(
        Op::Linear {
            exact: false,
            rows,
            bias: vec![0.0; n],
        },
        vec![x],
    ))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::graph::Op;
    use crate::ops::Lowered;

    #[test]
    fn padding_counts_only_when_asked() {
        for (include, w) in [(0, 0.5f32), (1, 1.0 / 3.0)] {
            let mut n = ctx_with("AveragePool", vec![var("x", &[1, 1, 2])], &[1, 1, 1]);
            n.ints("kernel_shape", &[3]);
            n.ints("pads", &[1, 0]);
            n.int("count_include_pad", include);
            let Lowered::Op(Op::Linear { rows, .. }, _) = n.run(super::lower).unwrap() else {
                panic!()
            };
            assert_eq!(rows[0].iter().map(|t| t.coeff).collect::<Vec<_>>(), vec![w, w]);
        }
    }
}
