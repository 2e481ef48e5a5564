//! Numpy-style broadcasting of element-wise binary ops (shared by Add, Sub and Mul).

use super::{LowerCtx, Operand};
use crate::graph::{LinTerm, Op};
use crate::ModelError;

/// For each flat index of `out`, the flat index of an input of shape `shape` under numpy
/// broadcasting (shapes aligned at the right, size-1 dims repeated).
pub fn index_map(shape: &[usize], out: &[usize]) -> Option<Vec<usize>> {
    if shape.len() > out.len() {
        return None;
    }
    let pad = out.len() - shape.len();
    let full: Vec<usize> = std::iter::repeat_n(1, pad).chain(shape.iter().copied()).collect();
    for (d, o) in full.iter().zip(out) {
        if *d != 1 && d != o {
            return None;
        }
    }
    let total: usize = out.iter().product();
    let mut strides = vec![0usize; full.len()];
    let mut acc = 1;
    for i in (0..full.len()).rev() {
        strides[i] = if full[i] == 1 { 0 } else { acc };
        acc *= full[i];
    }
    let mut map = Vec::with_capacity(total);
    let mut idx = vec![0usize; out.len()];
    for _ in 0..total {
        map.push(idx.iter().zip(&strides).map(|(i, s)| i * s).sum());
        for d in (0..out.len()).rev() {
            idx[d] += 1;
            if idx[d] < out[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    Some(map)
}

/// Kind of element-wise binary op.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Binary {
    /// a + b
    Add,
    /// a - b
    Sub,
    /// a · b
    Mul,
}

/// Lowers an element-wise binary op with broadcasting.
pub fn lower(ctx: &LowerCtx, kind: Binary) -> Result<super::Lowered, ModelError> {
    let a = ctx.input(0)?;
    let b = ctx.input(1)?;
    let out = &ctx.out_shape;
    let map = |op: &Operand, i: usize| {
        index_map(op.shape().unwrap_or(&[]), out).ok_or_else(|| {
            ctx.err(format!(
                "input #{i} of shape {:?} does not broadcast to the output shape {out:?}",
                op.shape().unwrap_or(&[])
            ))
        })
    };
    let (ma, mb) = (map(a, 0)?, map(b, 1)?);
    let sign_b = if kind == Binary::Sub { -1.0 } else { 1.0 };
    let term = |operand, index, coeff| LinTerm { operand, index, coeff };
    let op = match (a, b) {
        (Operand::Var { name: na, .. }, Operand::Var { name: nb, .. }) => {
            let inputs = vec![na.clone(), nb.clone()];
            if kind == Binary::Mul {
                let pairs = ma.iter().copied().zip(mb.iter().copied()).collect();
                return Ok(super::Lowered::Op(Op::Product { pairs }, inputs));
            }
            let rows = ma
                .iter()
                .zip(&mb)
                .map(|(&ia, &ib)| vec![term(0, ia, 1.0), term(1, ib, sign_b)])
                .collect();
            (
                Op::Linear {
                    exact: true,
                    rows,
                    bias: vec![0.0; out.iter().product()],
                },
                inputs,
            )
        }
        (Operand::Var { name, .. }, Operand::Const(c)) | (Operand::Const(c), Operand::Var { name, .. }) => {
            let var_first = matches!(a, Operand::Var { .. });
            let (mv, mc) = if var_first { (&ma, &mb) } else { (&mb, &ma) };
            let inputs = vec![name.clone()];
            match kind {
                Binary::Mul => {
                    let rows = mv.iter().zip(mc).map(|(&iv, &ic)| vec![term(0, iv, c.data[ic])]).collect();
                    (
                        Op::Linear {
                            exact: false,
                            rows,
                            bias: vec![0.0; mv.len()],
                        },
                        inputs,
                    )
                }
                Binary::Add | Binary::Sub => {
                    // var ± c, or c - var
                    let (coeff, csign) = match (kind, var_first) {
                        (Binary::Sub, true) => (1.0, -1.0),
                        (Binary::Sub, false) => (-1.0, 1.0),
                        _ => (1.0, 1.0),
                    };
                    let rows = mv.iter().map(|&iv| vec![term(0, iv, coeff)]).collect();
                    let bias = mc.iter().map(|&ic| csign * c.data[ic]).collect();
                    (Op::Linear { exact: true, rows, bias }, inputs)
                }
            }
        }
        _ => return Err(ctx.err("both operands are constant or absent")),
    };
    Ok(super::Lowered::Op(op.0, op.1))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{ctx_with, konst, var};
    use super::*;

    #[test]
    fn broadcasts_rows_and_columns() {
        assert_eq!(index_map(&[3], &[2, 3]).unwrap(), vec![0, 1, 2, 0, 1, 2]);
        assert_eq!(index_map(&[2, 1], &[2, 3]).unwrap(), vec![0, 0, 0, 1, 1, 1]);
        assert_eq!(index_map(&[], &[2]).unwrap(), vec![0, 0]);
        assert!(index_map(&[4], &[2, 3]).is_none());
    }

    #[test]
    fn operands_that_do_not_broadcast_are_named() {
        let add = super::super::add::lower;
        let e = ctx_with("Add", vec![var("a", &[2, 3]), var("b", &[2])], &[2, 3])
            .run(add)
            .unwrap_err();
        assert!(e.to_string().contains("input #1 of shape [2] does not broadcast to"), "{e}");
        let e = ctx_with("Add", vec![konst(&[4], &[0.0; 4]), var("b", &[3])], &[3])
            .run(add)
            .unwrap_err();
        assert!(e.to_string().contains("input #0 of shape [4] does not broadcast to"), "{e}");
    }

    #[test]
    fn two_constants_are_refused() {
        let e = ctx_with("Mul", vec![konst(&[1], &[2.0]), konst(&[1], &[3.0])], &[1])
            .run(super::super::mul::lower)
            .unwrap_err();
        assert!(e.to_string().contains("both operands are constant or absent"), "{e}");
    }
}
