//! Shared lowering of `ArgMax` and `ArgMin`: the index of the extreme along one axis, as a
//! small integer (scale 0).
//!
//! Per group (all elements sharing the other coordinates): the running extreme `m`, then a
//! flag `f_k = [s·(x_k − m) ≥ 0]` (1 where element `k` attains the extreme, `s` = ±1), then
//! the first index holding a flag as `min_k (n + (k − n)·f_k)` (or the last as
//! `max_k (−1 + (k + 1)·f_k)` with `select_last_index`). Every step is a linear combination or
//! a lookup, so the index is as constrained as the comparisons that choose it: ties in the
//! quantized values resolve like ONNX ties do.

use super::compose::{self, groups_over};
use super::{Composite, LowerCtx, Lowered, ROWS_PER_MAX};
use crate::graph::{Activation, LinTerm, Op};
use crate::ModelError;

/// Lowers `ArgMax` (`max = true`) or `ArgMin`.
pub fn lower(ctx: &LowerCtx, max: bool) -> Result<Lowered, ModelError> {
    let (x, xs) = ctx.var(0)?;
    let axis = ctx.axis(ctx.attr_int("axis", 0), xs.len())?;
    let last = ctx.attr_int("select_last_index", 0) != 0;
    let n = xs[axis];
    let total: usize = xs.iter().product();
    ctx.check_terms(total.saturating_mul(3 * ROWS_PER_MAX))?;
    let out = ctx.out_shape.clone();
    let groups = total / n.max(1);
    if out.iter().product::<usize>() != groups {
        return Err(ctx.err(format!("output shape {out:?} does not match {groups} groups")));
    }
    let mut c = Composite::new(ctx);
    index_of_extreme(&mut c, &x, &xs, axis, max, last, &out);
    Ok(c.finish())
}

/// Adds the index of the extreme of `x` (shape `xs`) along `axis` to `c` (the first one, or
/// the last with `last`); returns the tensor (shape `out`).
pub(super) fn index_of_extreme(c: &mut Composite, x: &str, xs: &[usize], axis: usize, max: bool, last: bool, out: &[usize]) -> String {
    let x = x.to_string();
    let xs = xs.to_vec();
    let n = xs[axis];
    let total: usize = xs.iter().product();
    let (groups, group_of) = groups_over(&xs, &[axis]);
    let gshape = vec![groups.len()];
    let m = compose::extreme(c, &x, &groups, &gshape, max);
    let s = if max { 1.0 } else { -1.0 };
    let term = |operand, index, coeff| LinTerm { operand, index, coeff };
    let rows = group_of
        .iter()
        .enumerate()
        .map(|(i, &g)| vec![term(0, i, s), term(1, g, -s)])
        .collect();
    let d = c.add(
        Op::Linear {
            exact: true,
            rows,
            bias: vec![0.0; total],
        },
        vec![x, m],
        xs.clone(),
    );
    let flags = c.add(Op::Activation(Activation::NonNegative), vec![d], xs.clone());
    // position of each element along the axis
    let mut pos = vec![0usize; total];
    for g in &groups {
        for (k, &i) in g.iter().enumerate() {
            pos[i] = k;
        }
    }
    let (rows, bias): (Vec<Vec<LinTerm>>, Vec<f32>) = pos
        .iter()
        .enumerate()
        .map(|(i, &k)| {
            if last {
                (vec![term(0, i, k as f32 + 1.0)], -1.0)
            } else {
                (vec![term(0, i, k as f32 - n as f32)], n as f32)
            }
        })
        .unzip();
    let cand = c.add(Op::Linear { exact: true, rows, bias }, vec![flags], xs.clone());
    compose::extreme(c, &cand, &groups, out, last)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    fn arg(max: bool, shape: &[usize], data: &[f64], axis: i64, last: bool, out: &[usize]) -> Vec<f64> {
        let mut n = ctx_with(if max { "ArgMax" } else { "ArgMin" }, vec![var("x", shape)], out);
        n.int("axis", axis);
        n.int("select_last_index", last as i64);
        let f = if max {
            super::super::argmax::lower
        } else {
            super::super::argmin::lower
        };
        let l = n.run(f).unwrap();
        eval_lowered(&l, &[("x", data.to_vec())])
    }

    #[test]
    fn first_index_of_the_maximum_along_each_axis() {
        let x = [1.0, 5.0, 5.0, -2.0, 0.5, 3.0];
        assert_eq!(arg(true, &[2, 3], &x, 1, false, &[2, 1]), vec![1.0, 2.0]);
        assert_eq!(arg(true, &[2, 3], &x, 0, false, &[1, 3]), vec![0.0, 0.0, 0.0]);
        assert_eq!(arg(true, &[2, 3], &x, -1, false, &[2]), vec![1.0, 2.0]);
    }

    #[test]
    fn last_index_and_minimum() {
        let x = [1.0, 5.0, 5.0, -2.0, -2.0, 3.0];
        assert_eq!(arg(true, &[2, 3], &x, 1, true, &[2, 1]), vec![2.0, 2.0]);
        assert_eq!(arg(false, &[2, 3], &x, 1, false, &[2, 1]), vec![0.0, 0.0]);
        assert_eq!(arg(false, &[2, 3], &x, 1, true, &[2, 1]), vec![0.0, 1.0]);
    }

    #[test]
    fn axis_out_of_range_is_named() {
        let mut n = ctx_with("ArgMax", vec![var("x", &[2, 3])], &[2]);
        n.int("axis", 2);
        let e = n.run(super::super::argmax::lower).unwrap_err();
        assert!(e.to_string().contains("axis 2 is out of range for rank 2"), "{e}");
    }
}
