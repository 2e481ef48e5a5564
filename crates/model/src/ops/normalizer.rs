//! `ai.onnx.ml` `Normalizer`: each row divided by its `MAX`, `L1` (Σ|x|) or `L2` (√Σx²)
//! norm; the norm is a sum or a running maximum, its inverse a lookup table (1/x or 1/√x),
//! the division a product.

use super::compose::{self, groups_over};
use super::{Composite, LowerCtx, Lowered};
use crate::graph::{Activation, Op, Param};
use crate::ModelError;

/// Lowers a `Normalizer` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, xs) = ctx.var(0)?;
    let rank = xs.len().max(1);
    let (groups, group_of) = groups_over(&xs, &[rank - 1]);
    let g = [groups.len()];
    let mut c = Composite::new(ctx);
    let inv = match ctx.attr_str("norm", "MAX").as_str() {
        "MAX" => {
            let m = compose::extreme(&mut c, &x, &groups, &g, true);
            c.add(Op::Activation(Activation::Reciprocal), vec![m], g.to_vec())
        }
        "L1" => {
            let a = c.add(Op::Activation(Activation::Abs), vec![x.clone()], xs.clone());
            let s = compose::sum(&mut c, &a, &groups, 1.0, &g);
            c.add(Op::Activation(Activation::Reciprocal), vec![s], g.to_vec())
        }
        "L2" => {
            let n: usize = xs.iter().product();
            let sq = c.add(
                Op::Product {
                    pairs: (0..n).map(|i| (i, i)).collect(),
                },
                vec![x.clone(), x.clone()],
                xs.clone(),
            );
            let s = compose::sum(&mut c, &sq, &groups, 1.0, &g);
            c.add(Op::Activation(Activation::Rsqrt { eps: Param::new(0.0) }), vec![s], g.to_vec())
        }
        other => return Err(ctx.err(format!("unknown `norm` {other:?} (MAX, L1 or L2)"))),
    };
    c.add(
        Op::Product {
            pairs: group_of.iter().enumerate().map(|(i, &k)| (i, k)).collect(),
        },
        vec![x, inv],
        xs,
    );
    Ok(c.finish())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn each_norm_divides_each_row() {
        let x = vec![3.0, -4.0, 1.0, 2.0];
        for (norm, want) in [
            ("L1", [3.0 / 7.0, -4.0 / 7.0, 1.0 / 3.0, 2.0 / 3.0]),
            ("L2", [0.6, -0.8, 1.0 / 5f64.sqrt(), 2.0 / 5f64.sqrt()]),
            ("MAX", [1.0, -4.0 / 3.0, 0.5, 1.0]),
        ] {
            let mut n = ctx_with("Normalizer", vec![var("x", &[2, 2])], &[2, 2]);
            n.string("norm", norm);
            let got = eval_lowered(&n.run(super::lower).unwrap(), &[("x", x.clone())]);
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() < 1e-6, "{norm}: {got:?}");
            }
        }
    }
}
