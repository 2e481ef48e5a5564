//! ONNX `Div` with broadcasting. By a constant: a linear combination with weight 1/c. By a
//! computed tensor: a product with its reciprocal, and the reciprocal is a lookup table, so
//! the quotient is fully determined by the divisor (there is no free quotient to forge).

use super::elementwise::maps;
use super::{Composite, LowerCtx, Lowered, Operand};
use crate::graph::{Activation, LinTerm, Op};
use crate::ModelError;

/// Lowers a `Div` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (a, b) = (ctx.input(0)?, ctx.input(1)?);
    let m = maps(ctx, &[a, b])?;
    let n = m[0].len();
    let out = ctx.out_shape.clone();
    let term = |index, coeff| LinTerm { operand: 0, index, coeff };
    match (a, b) {
        (Operand::Var { name, .. }, Operand::Const(c)) => {
            if let Some(i) = m[1].iter().position(|&j| c.data[j] == 0.0) {
                return Err(ctx.err(format!("division by the constant 0 (output element #{i})")));
            }
            let rows = m[0].iter().zip(&m[1]).map(|(&i, &j)| vec![term(i, 1.0 / c.data[j])]).collect();
            Ok(Lowered::Op(
                Op::Linear {
                    exact: false,
                    rows,
                    bias: vec![0.0; n],
                },
                vec![name.clone()],
            ))
        }
        (_, Operand::Var { name: nb, shape: sb }) => {
            let mut c = Composite::new(ctx);
            let r = c.add(Op::Activation(Activation::Reciprocal), vec![nb.clone()], sb.clone());
            match a {
                Operand::Var { name: na, .. } => {
                    let pairs = m[0].iter().copied().zip(m[1].iter().copied()).collect();
                    c.add(Op::Product { pairs }, vec![na.clone(), r], out);
                }
                Operand::Const(k) => {
                    let rows = m[0].iter().zip(&m[1]).map(|(&i, &j)| vec![term(j, k.data[i])]).collect();
                    c.add(
                        Op::Linear {
                            exact: false,
                            rows,
                            bias: vec![0.0; n],
                        },
                        vec![r],
                        out,
                    );
                }
                Operand::Absent => return Err(ctx.err("missing input #0")),
            }
            Ok(c.finish())
        }
        _ => Err(ctx.err("both operands are constant")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn by_a_constant_is_linear_by_a_variable_is_a_reciprocal_product() {
        let l = ctx_with("Div", vec![var("a", &[2]), konst(&[], &[4.0])], &[2])
            .run(super::lower)
            .unwrap();
        assert_eq!(graph_ops(&l), vec!["Linear"]);
        let l = ctx_with("Div", vec![var("a", &[2]), var("b", &[2])], &[2])
            .run(super::lower)
            .unwrap();
        assert_eq!(graph_ops(&l), vec!["Activation", "Product"]);
        let e = ctx_with("Div", vec![var("a", &[2]), konst(&[], &[0.0])], &[2])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("division by the constant 0"), "{e}");
    }

    #[test]
    fn two_constants_are_refused() {
        let e = ctx_with("Div", vec![konst(&[2], &[1.0, 2.0]), konst(&[], &[4.0])], &[2])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("both operands are constant"), "{e}");
    }

    #[test]
    fn operands_that_do_not_broadcast_are_named() {
        let e = ctx_with("Div", vec![var("a", &[3]), var("b", &[2])], &[3])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("input #1 of shape [2] does not broadcast to"), "{e}");
    }
}
