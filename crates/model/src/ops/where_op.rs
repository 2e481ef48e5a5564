//! ONNX `Where`: `y + c·(x − y)` for a computed 0/1 condition `c` (a comparison); `x` and `y`
//! may be computed or constant. One product per element. With a constant condition (a mask,
//! as in an attention layer's `masked_fill`) each element is copied from `x` or `y`: data
//! movement only.

use super::elementwise::{maps, signed_sum, SignedSum};
use super::{Composite, LowerCtx, Lowered, Operand};
use crate::graph::{LinTerm, Op, Source};
use crate::{ModelError, Tensor};

/// Lowers a `Where` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (cond, x, y) = (ctx.input(0)?, ctx.input(1)?, ctx.input(2)?);
    let m = maps(ctx, &[cond, x, y])?;
    let cn = match cond {
        Operand::Var { name, .. } => name,
        Operand::Const(mask) => return select_by_mask(ctx, mask, [x, y], &m),
        Operand::Absent => return Err(ctx.err("missing input #0")),
    };
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

/// `out[i] = mask[i] ? x[i] : y[i]` for a constant mask: a copy from the chosen operand, or the
/// chosen constant (which must be finite: a `masked_fill` with −∞ has no fixed-point value).
fn select_by_mask(ctx: &LowerCtx, mask: &Tensor, xy: [&Operand; 2], m: &[Vec<usize>]) -> Result<Lowered, ModelError> {
    let mut names: Vec<String> = Vec::new();
    let mut sources = Vec::with_capacity(m[0].len());
    for (i, &mi) in m[0].iter().enumerate() {
        let pick = if mask.data[mi] != 0.0 { 0 } else { 1 };
        let index = m[1 + pick][i];
        sources.push(match xy[pick] {
            Operand::Var { name, .. } => {
                let operand = super::operand_index(&mut names, name);
                Source::Wire { operand, index }
            }
            Operand::Const(t) => {
                let v = t.data[index];
                if !v.is_finite() {
                    return Err(ctx.unsupported_form(format!(
                        "the condition selects the constant {v} from input #{} (element {index}), which has no fixed-point value; mask with a finite value such as -10",
                        1 + pick
                    )));
                }
                Source::Const(v)
            }
            Operand::Absent => return Err(ctx.err(format!("missing input #{}", 1 + pick))),
        });
    }
    if names.is_empty() {
        let data = sources
            .iter()
            .map(|s| match s {
                Source::Const(v) => *v,
                Source::Wire { .. } => unreachable!("no computed operand"),
            })
            .collect();
        return Ok(Lowered::Const(Tensor {
            shape: ctx.out_shape.clone(),
            data,
        }));
    }
    Ok(Lowered::Op(Op::Select { sources }, names))
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
    fn a_constant_condition_copies_from_the_chosen_operand() {
        use crate::graph::{Op, Source};
        use crate::ops::Lowered;
        // a causal mask over a broadcast 2×2: x where the mask is 1, the constant −10 elsewhere
        let l = ctx_with(
            "Where",
            vec![konst(&[2, 2], &[1.0, 0.0, 1.0, 1.0]), var("x", &[2, 2]), konst(&[], &[-10.0])],
            &[2, 2],
        )
        .run(super::lower)
        .unwrap();
        let Lowered::Op(Op::Select { sources }, names) = l else {
            panic!("{l:?}")
        };
        assert_eq!(names, ["x"]);
        let w = |index| Source::Wire { operand: 0, index };
        assert_eq!(sources, vec![w(0), Source::Const(-10.0), w(2), w(3)]);
        // both computed: one select over two operands
        let l = ctx_with("Where", vec![konst(&[2], &[0.0, 1.0]), var("x", &[2]), var("y", &[2])], &[2])
            .run(super::lower)
            .unwrap();
        let Lowered::Op(Op::Select { sources }, names) = l else {
            panic!("{l:?}")
        };
        assert_eq!(names, ["y", "x"]);
        assert_eq!(sources, vec![w(0), Source::Wire { operand: 1, index: 1 }]);
    }

    #[test]
    fn a_mask_selecting_minus_infinity_is_refused_by_name() {
        let e = ctx_with(
            "Where",
            vec![konst(&[2], &[1.0, 0.0]), var("x", &[2]), konst(&[], &[f32::NEG_INFINITY])],
            &[2],
        )
        .run(super::lower)
        .unwrap_err();
        assert!(e.to_string().contains("selects the constant -inf from input #2"), "{e}");
    }

    #[test]
    fn operands_that_do_not_broadcast_are_named() {
        let e = ctx_with("Where", vec![var("c", &[2]), var("x", &[3]), konst(&[], &[0.0])], &[2])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("input #1 of shape [3] does not broadcast to"), "{e}");
    }
}
