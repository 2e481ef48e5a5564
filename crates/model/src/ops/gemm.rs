//! ONNX `Gemm`: `Y = alpha · A' · B' + beta · C` (transposes by `transA`/`transB`). A constant
//! A or B (weights) gives one linear combination per output; two computed operands give
//! element products summed per output. `C` (optional) is broadcast and may be constant or
//! computed.

use super::broadcast::index_map;
use super::matmul::{as_2d, lower_pairs, Side};
use super::{Composite, LowerCtx, Lowered, Operand};
use crate::graph::{LinTerm, Op};
use crate::ModelError;

/// Lowers a `Gemm` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (a, b) = (ctx.input(0)?, ctx.input(1)?);
    let alpha = ctx.attr_float("alpha", 1.0);
    let beta = ctx.attr_float("beta", 1.0);
    let ta = ctx.attr_int("transA", 0) != 0;
    let tb = ctx.attr_int("transB", 0) != 0;
    let (ra, ca) = as_2d(ctx, a.shape().unwrap_or(&[]), true)?;
    let (rb, cb) = as_2d(ctx, b.shape().unwrap_or(&[]), false)?;
    let a = Side {
        op: a,
        dims: if ta { (ca, ra) } else { (ra, ca) },
        transposed: ta,
    };
    let b = Side {
        op: b,
        dims: if tb { (cb, rb) } else { (rb, cb) },
        transposed: tb,
    };
    let (m, n) = (a.dims.0, b.dims.1);
    let k = a.dims.1;
    if k != b.dims.0 {
        return Err(ctx.err(format!("inner dimensions differ: {k} vs {}", b.dims.0)));
    }
    let pairs: Vec<Vec<(usize, usize)>> = (0..m * n)
        .map(|o| (0..k).map(|i| (a.index(o / n, i), b.index(i, o % n))).collect())
        .collect();
    let mut c = Composite::new(ctx);
    let c_in = ctx.inputs.get(2).cloned().unwrap_or(Operand::Absent);
    let map = |shape: &[usize]| {
        index_map(shape, &[m, n]).ok_or_else(|| ctx.err(format!("bias C of shape {shape:?} does not broadcast to [{m}, {n}]")))
    };
    let bias = match &c_in {
        Operand::Const(t) => map(&t.shape)?.iter().map(|&i| beta * t.data[i]).collect(),
        _ => vec![0.0; m * n],
    };
    let prod = lower_pairs(ctx, &mut c, a.op, b.op, &pairs, alpha, bias)?;
    if let Operand::Var { name, shape } = c_in {
        let rows = map(&shape)?
            .iter()
            .enumerate()
            .map(|(o, &i)| {
                vec![
                    LinTerm {
                        operand: 0,
                        index: o,
                        coeff: 1.0,
                    },
                    LinTerm {
                        operand: 1,
                        index: i,
                        coeff: beta,
                    },
                ]
            })
            .collect();
        c.add(
            Op::Linear {
                exact: beta == 1.0,
                rows,
                bias: vec![0.0; m * n],
            },
            vec![prod, name],
            ctx.out_shape.clone(),
        );
    }
    Ok(c.finish())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::Lowered;
    use crate::graph::Op;

    #[test]
    fn trans_b_alpha_beta_and_bias() {
        // x[1,2], W stored [3,2] with transB=1, C[3]
        let w = konst(&[3, 2], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let c = konst(&[3], &[0.1, 0.2, 0.3]);
        let mut n = ctx_with("Gemm", vec![var("x", &[1, 2]), w, c], &[1, 3]);
        n.int("transB", 1);
        n.float("alpha", 2.0);
        n.float("beta", 10.0);
        let Lowered::Op(Op::Linear { rows, bias, .. }, _) = n.run(super::lower).unwrap() else {
            panic!()
        };
        let coeffs: Vec<Vec<f32>> = rows.iter().map(|r| r.iter().map(|t| t.coeff).collect()).collect();
        assert_eq!(coeffs, vec![vec![2.0, 4.0], vec![6.0, 8.0], vec![10.0, 12.0]]);
        assert_eq!(bias, vec![1.0, 2.0, 3.0]);
    }

    #[test]
    fn bad_operand_shapes_are_named() {
        let w = || konst(&[2, 3], &[1.0; 6]);
        let e = ctx_with("Gemm", vec![var("x", &[]), w()], &[1, 3]).run(super::lower).unwrap_err();
        assert!(e.to_string().contains("scalar operand of a matrix product"), "{e}");
        let e = ctx_with("Gemm", vec![var("x", &[2, 1, 2]), w()], &[1, 3])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("product over shape [2, 1, 2] is not supported"), "{e}");
        let e = ctx_with("Gemm", vec![var("x", &[1, 3]), w()], &[1, 3])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("inner dimensions differ: 3 vs 2"), "{e}");
        // transB reads W [2, 3] as [3, 2]
        let mut n = ctx_with("Gemm", vec![var("x", &[1, 2]), w()], &[1, 2]);
        n.int("transB", 1);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("inner dimensions differ: 2 vs 3"), "{e}");
    }

    #[test]
    fn a_bias_that_does_not_broadcast_is_named() {
        let w = || konst(&[2, 3], &[1.0; 6]);
        let e = ctx_with("Gemm", vec![var("x", &[1, 2]), w(), konst(&[2], &[0.0; 2])], &[1, 3])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("bias C of shape [2] does not broadcast to [1, 3]"), "{e}");
        let e = ctx_with("Gemm", vec![var("x", &[1, 2]), w(), var("c", &[2, 1])], &[1, 3])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("bias C of shape [2, 1] does not broadcast to [1, 3]"), "{e}");
    }

    #[test]
    fn two_constants_are_refused() {
        let e = ctx_with("Gemm", vec![konst(&[1, 2], &[1.0, 2.0]), konst(&[2, 1], &[3.0, 4.0])], &[1, 1])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("both operands are constant"), "{e}");
    }
}
