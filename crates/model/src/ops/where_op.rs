//! ONNX `Where`: `y + c·(x − y)` for a computed 0/1 condition `c` (a comparison); `x` and `y`
//! may be computed or constant. One product per element.

use super::elementwise::{maps, signed_sum, SignedSum};
use super::{Composite, LowerCtx, Lowered, Operand};
use crate::graph::{LinTerm, Op};
use crate::ModelError;

/// Lowers a `Where` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (cond, x, y) = (ctx.input(0)?, ctx.input(1)?, ctx.input(2)?);
    let Operand::Var { name: cn, .. } = cond else {
        return Err(ctx.err("a constant condition should have been folded; the condition must be computed"));
    };
    let m = maps(ctx, &[cond, x, y])?;
    let n = m[0].len();
    let out = ctx.out_shape.clone();
    // d = x − y
    let SignedSum { rows, bias, names } = signed_sum(&[x, y], &m[1..], &[1.0, -1.0], n);
    let mut c = Composite::new(ctx);
    let p = if names.is_empty() {
        // both constant: c·d with constant d
        let rows = m[0]
            .iter()
            .zip(&bias)
            .map(|(&i, &d)| {
                vec![LinTerm {
                    operand: 0,
                    index: i,
                    coeff: d,
                }]
            })
            .collect();
        c.add(
            Op::Linear {
                exact: false,
                rows,
                bias: vec![0.0; n],
            },
            vec![cn.clone()],
            out.clone(),
        )
    } else {
        let d = c.add(Op::Linear { exact: true, rows, bias }, names, out.clone());
        c.add(
            Op::Product {
                pairs: m[0].iter().copied().zip(0..n).collect(),
            },
            vec![cn.clone(), d],
            out.clone(),
        )
    };
    // + y
    match y {
        Operand::Var { name, .. } => {
            let rows = m[2]
                .iter()
                .enumerate()
                .map(|(k, &i)| {
                    vec![
                        LinTerm {
                            operand: 0,
                            index: k,
                            coeff: 1.0,
                        },
                        LinTerm {
                            operand: 1,
                            index: i,
                            coeff: 1.0,
                        },
                    ]
                })
                .collect();
            c.add(
                Op::Linear {
                    exact: true,
                    rows,
                    bias: vec![0.0; n],
                },
                vec![p, name.clone()],
                out,
            );
        }
        Operand::Const(t) => {
            let rows = (0..n)
                .map(|k| {
                    vec![LinTerm {
                        operand: 0,
                        index: k,
                        coeff: 1.0,
                    }]
                })
                .collect();
            let bias = m[2].iter().map(|&i| t.data[i]).collect();
            c.add(Op::Linear { exact: true, rows, bias }, vec![p], out);
        }
        Operand::Absent => return Err(ctx.err("missing input #2")),
    }
    Ok(c.finish())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn select_by_product() {
        let l = ctx_with("Where", vec![var("c", &[2]), var("x", &[2]), konst(&[], &[0.0])], &[2])
            .run(super::lower)
            .unwrap();
        assert_eq!(graph_ops(&l), vec!["Linear", "Product", "Linear"]);
    }

    #[test]
    fn a_constant_condition_is_refused() {
        let e = ctx_with("Where", vec![konst(&[2], &[1.0, 0.0]), var("x", &[2]), var("y", &[2])], &[2])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("a constant condition should have been folded"), "{e}");
    }

    #[test]
    fn operands_that_do_not_broadcast_are_named() {
        let e = ctx_with("Where", vec![var("c", &[2]), var("x", &[3]), konst(&[], &[0.0])], &[2])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("input #1 of shape [3] does not broadcast to"), "{e}");
    }
}
