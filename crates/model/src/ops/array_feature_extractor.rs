//! `ai.onnx.ml` `ArrayFeatureExtractor`: elements of the last axis of `X` picked by the
//! indices `Y`. Constant indices of a computed `X` only rewire (a select); a computed index
//! into constant data (scikit-learn's label lookup `classes_[argmax]`) is `Σ [y = k]·X[k]`, and
//! a computed index into computed data `Σ [y = k]·x[k]` with one product per position (an
//! index outside the axis selects nothing: 0).

use super::{Composite, LowerCtx, Lowered, Operand};
use crate::graph::{Check, Cmp, LinTerm, Op, Source};
use crate::ModelError;

/// Lowers an `ArrayFeatureExtractor` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let out = ctx.out_shape.clone();
    let total: usize = out.iter().product();
    match (ctx.input(0)?, ctx.input(1)?) {
        (Operand::Var { name, shape }, Operand::Const(idx)) => {
            let last = shape.last().copied().unwrap_or(1);
            let rows: usize = shape.iter().product::<usize>() / last.max(1);
            let k = idx.data.len();
            if rows * k != total {
                return Err(ctx.err(format!("{rows} rows × {k} indices do not fill the output shape {out:?}")));
            }
            let mut sources = Vec::with_capacity(total);
            for r in 0..rows {
                for &i in &idx.data {
                    let i = i as i64;
                    if i < 0 || i as usize >= last {
                        return Err(ctx.err(format!("index {i} is out of range for an axis of {last}")));
                    }
                    sources.push(Source::Wire {
                        operand: 0,
                        index: r * last + i as usize,
                    });
                }
            }
            Ok(Lowered::Op(Op::Select { sources }, vec![name.clone()]))
        }
        (Operand::Const(data), Operand::Var { name, shape }) => {
            if data.shape.len() > 1 {
                return Err(ctx.unsupported_form("a computed index into constant data of more than one axis"));
            }
            let n: usize = shape.iter().product();
            if n != total {
                return Err(ctx.err(format!("{n} indices for an output of shape {out:?}")));
            }
            let k = data.data.len();
            let mut c = Composite::new(ctx);
            let checks = (0..n)
                .flat_map(|i| {
                    (0..k).map(move |j| Check {
                        index: i,
                        threshold: j as f32,
                        cmp: Cmp::Eq,
                    })
                })
                .collect();
            let flags = c.add(Op::Threshold { checks, fixed: false }, vec![name.clone()], vec![n * k]);
            let integral = data.data.iter().all(|v| v.fract() == 0.0);
            let rows = (0..n)
                .map(|i| {
                    (0..k)
                        .map(|j| LinTerm {
                            operand: 0,
                            index: i * k + j,
                            coeff: data.data[j],
                        })
                        .collect()
                })
                .collect();
            c.add(
                Op::Linear {
                    exact: integral,
                    rows,
                    bias: vec![0.0; n],
                },
                vec![flags],
                out,
            );
            Ok(c.finish())
        }
        (Operand::Var { name: x, shape: xs }, Operand::Var { name: idx, shape: is }) => {
            // out[r, j] = Σ_k [idx_j = k]·x[r, k]: one flag per (index, position), one product
            // per (row, index, position), one sum per output
            let last = xs.last().copied().unwrap_or(1);
            let rows: usize = xs.iter().product::<usize>() / last.max(1);
            let n: usize = is.iter().product();
            if rows * n != total {
                return Err(ctx.err(format!("{rows} rows × {n} indices do not fill the output shape {out:?}")));
            }
            ctx.check_terms(rows.saturating_mul(n).saturating_mul(last).saturating_mul(4))?;
            let mut c = Composite::new(ctx);
            let checks = (0..n)
                .flat_map(|j| {
                    (0..last).map(move |k| Check {
                        index: j,
                        threshold: k as f32,
                        cmp: Cmp::Eq,
                    })
                })
                .collect();
            let flags = c.add(Op::Threshold { checks, fixed: false }, vec![idx.clone()], vec![n * last]);
            let pairs: Vec<(usize, usize)> = (0..rows)
                .flat_map(|r| (0..n).flat_map(move |j| (0..last).map(move |k| (r * last + k, j * last + k))))
                .collect();
            let p = c.add(Op::Product { pairs }, vec![x.clone(), flags], vec![rows * n * last]);
            let sums = (0..rows * n)
                .map(|o| {
                    (0..last)
                        .map(|k| LinTerm {
                            operand: 0,
                            index: o * last + k,
                            coeff: 1.0,
                        })
                        .collect()
                })
                .collect();
            c.add(
                Op::Linear {
                    exact: true,
                    rows: sums,
                    bias: vec![0.0; total],
                },
                vec![p],
                out,
            );
            Ok(c.finish())
        }
        _ => Err(ctx.err("both operands are constant")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn constant_indices_select_and_a_computed_index_looks_up_constants() {
        let l = run(
            super::lower,
            "ArrayFeatureExtractor",
            vec![var("x", &[2, 3]), konst(&[2], &[2.0, 0.0])],
            &[2, 2],
        )
        .unwrap();
        assert_eq!(selected(&l), vec![2, 0, 5, 3]);
        let l = run(
            super::lower,
            "ArrayFeatureExtractor",
            vec![konst(&[3], &[4.0, 5.0, 6.0]), var("i", &[1])],
            &[1],
        )
        .unwrap();
        assert_eq!(eval_lowered(&l, &[("i", vec![2.0])]), vec![6.0]);
        assert_eq!(eval_lowered(&l, &[("i", vec![0.0])]), vec![4.0]);
        let e = run(
            super::lower,
            "ArrayFeatureExtractor",
            vec![var("x", &[1, 3]), konst(&[1], &[3.0])],
            &[1, 1],
        )
        .unwrap_err();
        assert!(e.to_string().contains("index 3 is out of range"), "{e}");
        let l = run(
            super::lower,
            "ArrayFeatureExtractor",
            vec![var("x", &[2, 3]), var("i", &[2])],
            &[2, 2],
        )
        .unwrap();
        assert_eq!(
            eval_lowered(&l, &[("x", vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), ("i", vec![2.0, 0.0])]),
            vec![3.0, 1.0, 6.0, 4.0]
        );
    }
}
