//! Shared lowering of the boolean ops `And`, `Or`, `Xor` (and `Not`): on 0/1 values they are
//! polynomials, `a·b`, `a + b − a·b` and `a + b − 2·a·b`, with a constant operand folded in.
//! Tree conversions (Hummingbird-style) combine comparison flags with them.

use super::elementwise::maps;
use super::{Composite, LowerCtx, Lowered, Operand};
use crate::graph::{LinTerm, Op};
use crate::ModelError;

/// Which boolean op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Logic {
    /// a ∧ b
    And,
    /// a ∨ b
    Or,
    /// a ⊕ b
    Xor,
}

/// `(coefficient of a + b, coefficient of a·b)` of each op.
fn poly(op: Logic) -> (f32, f32) {
    match op {
        Logic::And => (0.0, 1.0),
        Logic::Or => (1.0, -1.0),
        Logic::Xor => (1.0, -2.0),
    }
}

/// Lowers a binary boolean op.
pub fn lower(ctx: &LowerCtx, op: Logic) -> Result<Lowered, ModelError> {
    let (a, b) = (ctx.input(0)?, ctx.input(1)?);
    let m = maps(ctx, &[a, b])?;
    let n = m[0].len();
    let (lin, prod) = poly(op);
    let term = |operand, index, coeff| LinTerm { operand, index, coeff };
    let bit = |t: &crate::Tensor, i: usize| if t.data[i] != 0.0 { 1.0 } else { 0.0 };
    let mut c = Composite::new(ctx);
    match (a, b) {
        (Operand::Var { name: na, .. }, Operand::Var { name: nb, .. }) => {
            let pairs = m[0].iter().copied().zip(m[1].iter().copied()).collect();
            let p = c.add(Op::Product { pairs }, vec![na.clone(), nb.clone()], ctx.out_shape.clone());
            if op == Logic::And {
                return Ok(c.finish());
            }
            let rows = (0..n)
                .map(|i| vec![term(0, m[0][i], lin), term(1, m[1][i], lin), term(2, i, prod)])
                .collect();
            c.add(
                Op::Linear {
                    exact: true,
                    rows,
                    bias: vec![0.0; n],
                },
                vec![na.clone(), nb.clone(), p],
                ctx.out_shape.clone(),
            );
        }
        (Operand::Var { name, .. }, Operand::Const(k)) | (Operand::Const(k), Operand::Var { name, .. }) => {
            // with b constant: (lin + prod·b)·a + lin·b
            let (mv, mk) = if matches!(a, Operand::Var { .. }) {
                (&m[0], &m[1])
            } else {
                (&m[1], &m[0])
            };
            let rows = (0..n).map(|i| vec![term(0, mv[i], lin + prod * bit(k, mk[i]))]).collect();
            let bias = (0..n).map(|i| lin * bit(k, mk[i])).collect();
            c.add(Op::Linear { exact: true, rows, bias }, vec![name.clone()], ctx.out_shape.clone());
        }
        _ => return Err(ctx.err("both operands are constant")),
    }
    Ok(c.finish())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn truth_tables_with_variables_and_constants() {
        let cases: [(super::super::LowerFn, &str, [f64; 4]); 3] = [
            (super::super::and::lower, "And", [0.0, 0.0, 0.0, 1.0]),
            (super::super::or::lower, "Or", [0.0, 1.0, 1.0, 1.0]),
            (super::super::xor::lower, "Xor", [0.0, 1.0, 1.0, 0.0]),
        ];
        for (f, op, want) in cases {
            let l = run(f, op, vec![var("a", &[4]), var("b", &[4])], &[4]).unwrap();
            assert_eq!(
                eval_lowered(&l, &[("a", vec![0.0, 0.0, 1.0, 1.0]), ("b", vec![0.0, 1.0, 0.0, 1.0])]),
                want,
                "{op}"
            );
            // b constant
            let l = run(f, op, vec![var("a", &[4]), konst(&[4], &[0.0, 1.0, 0.0, 1.0])], &[4]).unwrap();
            assert_eq!(eval_lowered(&l, &[("a", vec![0.0, 0.0, 1.0, 1.0])]), want, "{op} with a constant");
        }
        let l = run(super::super::not::lower, "Not", vec![var("a", &[2])], &[2]).unwrap();
        assert_eq!(eval_lowered(&l, &[("a", vec![0.0, 1.0])]), vec![1.0, 0.0]);
    }
}
