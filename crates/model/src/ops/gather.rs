//! ONNX `Gather`. Constant indices (negative ones count from the end) are data movement.
//! Indices computed from the model inputs (an embedding lookup, a class picked by ArgMax)
//! become one-hot rows: for index `q` and row `r`, the flag `[idx_q = r]` (a subtraction and
//! a zero-test lookup), then each output is `Σ_r flag · data[r]`: one linear combination
//! over a constant table, products then sums over computed data. A negative computed index
//! counts from the end (a second flag `[idx_q = r − len]`); an index outside `−len..len`
//! selects no row and gives zeros.

use super::matmul::lower_pairs;
use super::shape::{moved, numel, ravel, strides, unravel};
use super::{Composite, LowerCtx, Lowered, Operand};
use crate::graph::{Activation, LinTerm, Op};
use crate::ModelError;

/// Output element → (flag, data) flat index pairs of a computed-index gather.
fn one_hot_pairs(xs: &[usize], axis: usize, qs: &[usize], out: &[usize]) -> Vec<Vec<(usize, usize)>> {
    let rows = xs[axis];
    let xst = strides(xs);
    let qst = strides(qs);
    let qr = qs.len();
    (0..numel(out))
        .map(|f| {
            let o = unravel(f, out);
            let q = ravel(&o[axis..axis + qr], &qst);
            (0..rows)
                .map(|r| {
                    let mut i: Vec<usize> = o[..axis].to_vec();
                    i.push(r);
                    i.extend(&o[axis + qr..]);
                    (q * rows + r, ravel(&i, &xst))
                })
                .collect()
        })
        .collect()
}

/// A gather whose indices are computed: one-hot flags, then a product with the data.
fn lower_computed(ctx: &LowerCtx, data: &Operand, idx: &str, qs: &[usize]) -> Result<Lowered, ModelError> {
    let xs = data.shape().unwrap_or(&[]).to_vec();
    let axis = ctx.axis(ctx.attr_int("axis", 0), xs.len())?;
    let rows = xs[axis];
    let out = ctx.out_shape.clone();
    let nq = numel(qs);
    ctx.check_terms(
        nq.saturating_mul(rows)
            .saturating_mul(4)
            .saturating_add(numel(&out).saturating_mul(rows)),
    )?;
    let mut c = Composite::new(ctx);
    // idx − r and idx − (r − len): a negative index counts from the end
    let n = nq * rows;
    let (diff_rows, bias): (Vec<Vec<LinTerm>>, Vec<f32>) = (0..2 * n)
        .map(|k| {
            let term = LinTerm {
                operand: 0,
                index: (k % n) / rows,
                coeff: 1.0,
            };
            let r = (k % rows) as f32;
            (vec![term], if k < n { -r } else { rows as f32 - r })
        })
        .unzip();
    let d = c.add(
        Op::Linear {
            exact: true,
            rows: diff_rows,
            bias,
        },
        vec![idx.to_string()],
        vec![2 * n],
    );
    let z = c.add(Op::Activation(Activation::Zero), vec![d], vec![2 * n]);
    let either = (0..n)
        .map(|k| {
            vec![
                LinTerm {
                    operand: 0,
                    index: k,
                    coeff: 1.0,
                },
                LinTerm {
                    operand: 0,
                    index: n + k,
                    coeff: 1.0,
                },
            ]
        })
        .collect();
    let flags = c.add(
        Op::Linear {
            exact: true,
            rows: either,
            bias: vec![0.0; n],
        },
        vec![z],
        vec![nq, rows],
    );
    let flags = Operand::Var {
        name: flags,
        shape: vec![nq, rows],
    };
    let pairs = one_hot_pairs(&xs, axis, qs, &out);
    let n = pairs.len();
    lower_pairs(ctx, &mut c, &flags, data, &pairs, 1.0, vec![0.0; n])?;
    Ok(c.finish())
}

/// Lowers a `Gather` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    if let Operand::Var { name, shape } = ctx.input(1)? {
        return lower_computed(ctx, ctx.input(0)?, name, shape);
    }
    let (x, xs) = ctx.var(0)?;
    let idx_t = ctx.konst(1, "indices")?;
    let axis = ctx.axis(ctx.attr_int("axis", 0), xs.len())?;
    let dim = xs[axis] as i64;
    let idx: Vec<usize> = idx_t
        .data
        .iter()
        .map(|&v| {
            let i = v as i64;
            let j = if i < 0 { i + dim } else { i };
            if j < 0 || j >= dim {
                Err(ctx.err(format!("index {i} is out of range for axis {axis} of size {dim}")))
            } else {
                Ok(j as usize)
            }
        })
        .collect::<Result<_, _>>()?;
    let out = &ctx.out_shape;
    let qr = idx_t.shape.len();
    let ist = strides(&idx_t.shape);
    Ok(moved(x, &xs, out, |o| {
        let mut i: Vec<usize> = o[..axis].to_vec();
        i.push(idx[ravel(&o[axis..axis + qr], &ist)]);
        i.extend(&o[axis + qr..]);
        i
    }))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn picks_columns() {
        let mut n = ctx_with("Gather", vec![var("x", &[2, 3]), konst(&[2], &[2.0, -3.0])], &[2, 2]);
        n.int("axis", 1);
        assert_eq!(selected(&n.run(super::lower).unwrap()), vec![2, 0, 5, 3]);
    }

    #[test]
    fn computed_indices_pick_rows_of_a_table_or_of_computed_data() {
        // an embedding table [3, 2] and two computed indices
        let table = konst(&[3, 2], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let l = ctx_with("Gather", vec![table, var("i", &[2])], &[2, 2]).run(super::lower).unwrap();
        assert_eq!(eval_lowered(&l, &[("i", vec![2.0, 0.0])]), vec![5.0, 6.0, 1.0, 2.0]);
        assert_eq!(eval_lowered(&l, &[("i", vec![-1.0, -3.0])]), vec![5.0, 6.0, 1.0, 2.0]);
        // columns of computed data, axis 1
        let mut n = ctx_with("Gather", vec![var("x", &[2, 3]), var("i", &[1])], &[2, 1]);
        n.int("axis", 1);
        let l = n.run(super::lower).unwrap();
        let x = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        assert_eq!(eval_lowered(&l, &[("x", x), ("i", vec![1.0])]), vec![2.0, 5.0]);
    }

    #[test]
    fn out_of_range_index_is_named() {
        let e = ctx_with("Gather", vec![var("x", &[2]), konst(&[1], &[5.0])], &[1])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("index 5 is out of range for axis 0 of size 2"), "{e}");
    }
}
