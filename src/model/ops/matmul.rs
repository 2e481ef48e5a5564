//! ONNX `MatMul` with one constant operand (weights), 1-D or 2-D (leading dims of size 1).

use super::{LowerCtx, Lowered, Operand};
use crate::model::graph::{LinTerm, Op};
use crate::model::ModelError;

/// A 2-D view of a matrix operand.
pub(super) struct Side<'a> {
    /// The operand.
    pub op: &'a Operand,
    /// Rows, columns.
    pub dims: (usize, usize),
    /// Whether the stored layout is transposed relative to `dims`.
    pub transposed: bool,
}

impl Side<'_> {
    /// Flat index of element (r, c) in the stored tensor.
    pub fn index(&self, r: usize, c: usize) -> usize {
        if self.transposed {
            c * self.dims.0 + r
        } else {
            r * self.dims.1 + c
        }
    }
}

/// Reduces a shape to 2-D: leading dims must be 1; a 1-D vector becomes a row (left operand)
/// or a column (right operand).
pub(super) fn as_2d(ctx: &LowerCtx, shape: &[usize], left: bool) -> Result<(usize, usize), ModelError> {
    match shape.len() {
        0 => Err(ctx.err("scalar operand of a matrix product")),
        1 => Ok(if left { (1, shape[0]) } else { (shape[0], 1) }),
        n => {
            if shape[..n - 2].iter().any(|&d| d != 1) {
                return Err(ctx.err(format!("batched matrix product over shape {shape:?} is not supported")));
            }
            Ok((shape[n - 2], shape[n - 1]))
        }
    }
}

/// Linear rows of `alpha · A·B` where exactly one of A, B is variable. Returns the rows
/// (M·N of them, row-major) and the variable tensor's name.
pub(super) fn product_rows(ctx: &LowerCtx, a: &Side, b: &Side, alpha: f32) -> Result<(Vec<Vec<LinTerm>>, String), ModelError> {
    let (m, k) = a.dims;
    let (k2, n) = b.dims;
    if k != k2 {
        return Err(ctx.err(format!("inner dimensions differ: {k} vs {k2}")));
    }
    let (var_name, var_is_a, konst) = match (a.op, b.op) {
        (Operand::Var { name, .. }, Operand::Const(c)) => (name.clone(), true, c),
        (Operand::Const(c), Operand::Var { name, .. }) => (name.clone(), false, c),
        (Operand::Var { .. }, Operand::Var { .. }) => {
            return Err(
                ctx.err("both operands are computed from the model inputs; only products with a constant (weight) operand are supported")
            )
        }
        _ => return Err(ctx.err("operands must be one variable and one constant tensor")),
    };
    let mut rows = Vec::with_capacity(m * n);
    for r in 0..m {
        for c in 0..n {
            let row = (0..k)
                .map(|i| {
                    let (vi, ci) = if var_is_a {
                        (a.index(r, i), b.index(i, c))
                    } else {
                        (b.index(i, c), a.index(r, i))
                    };
                    LinTerm {
                        operand: 0,
                        index: vi,
                        coeff: alpha * konst.data[ci],
                    }
                })
                .collect();
            rows.push(row);
        }
    }
    Ok((rows, var_name))
}

/// Lowers a `MatMul` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (a, b) = (ctx.input(0)?, ctx.input(1)?);
    let sa = as_2d(ctx, a.shape().unwrap_or(&[]), true)?;
    let sb = as_2d(ctx, b.shape().unwrap_or(&[]), false)?;
    let a = Side {
        op: a,
        dims: sa,
        transposed: false,
    };
    let b = Side {
        op: b,
        dims: sb,
        transposed: false,
    };
    let (rows, name) = product_rows(ctx, &a, &b, 1.0)?;
    let len = rows.len();
    Ok(Lowered::Op(
        Op::Linear {
            exact: false,
            rows,
            bias: vec![0.0; len],
        },
        vec![name],
    ))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::model::graph::Op;
    use crate::model::ops::Lowered;

    #[test]
    fn vector_times_weight_matrix() {
        // x[1,2] · W[2,3]
        let w = konst(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let l = run(super::lower, "MatMul", vec![var("x", &[1, 2]), w], &[1, 3]).unwrap();
        let Lowered::Op(Op::Linear { rows, .. }, _) = l else { panic!() };
        let coeffs: Vec<Vec<f32>> = rows.iter().map(|r| r.iter().map(|t| t.coeff).collect()).collect();
        assert_eq!(coeffs, vec![vec![1.0, 4.0], vec![2.0, 5.0], vec![3.0, 6.0]]);
    }

    #[test]
    fn two_variables_is_a_clear_error() {
        let e = run(super::lower, "MatMul", vec![var("a", &[1, 2]), var("b", &[2, 1])], &[1, 1]).unwrap_err();
        assert!(e.to_string().contains("both operands are computed from the model inputs"), "{e}");
    }
}
