//! `ai.onnx.ml` `Imputer`: elements equal to `replaced_value_*` become the feature's imputed
//! value. The default replaced value is NaN, which a quantized input never is: the node is
//! then the identity. A numeric replaced value `r` gives `x + [x = r]·(v − r)`.

use super::{Composite, LowerCtx, Lowered};
use crate::graph::{Check, Cmp, LinTerm, Op};
use crate::ModelError;

/// Lowers an `Imputer` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, xs) = ctx.var(0)?;
    let f = xs.last().copied().unwrap_or(1);
    let n: usize = xs.iter().product();
    let (values, replaced) = match ctx.attr_floats("imputed_value_floats")? {
        Some(v) if !v.is_empty() => (v, ctx.attr_float("replaced_value_float", f32::NAN) as f64),
        _ => match ctx.attr_ints("imputed_value_int64s") {
            Some(v) if !v.is_empty() => (
                v.iter().map(|&i| i as f64).collect(),
                ctx.attr_int("replaced_value_int64", 0) as f64,
            ),
            _ => return Err(ctx.err("missing attribute `imputed_value_floats` (or `imputed_value_int64s`)")),
        },
    };
    if values.len() != 1 && values.len() != f {
        return Err(ctx.err(format!("{} imputed values for {f} features", values.len())));
    }
    if replaced.is_nan() {
        return Ok(Lowered::Op(Op::View, vec![x]));
    }
    let at = |i: usize| if values.len() == 1 { values[0] } else { values[i % f] };
    let mut c = Composite::new(ctx);
    let checks = (0..n)
        .map(|index| Check {
            index,
            threshold: replaced as f32,
            cmp: Cmp::Eq,
        })
        .collect();
    let flags = c.add(Op::Threshold { checks, fixed: false }, vec![x.clone()], xs.clone());
    let rows = (0..n)
        .map(|i| {
            vec![
                LinTerm {
                    operand: 0,
                    index: i,
                    coeff: 1.0,
                },
                LinTerm {
                    operand: 1,
                    index: i,
                    coeff: (at(i) - replaced) as f32,
                },
            ]
        })
        .collect();
    c.add(
        Op::Linear {
            exact: false,
            rows,
            bias: vec![0.0; n],
        },
        vec![x, flags],
        xs,
    );
    Ok(c.finish())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn a_numeric_replaced_value_is_imputed_and_nan_is_the_identity() {
        let mut n = ctx_with("Imputer", vec![var("x", &[1, 2])], &[1, 2]);
        n.floats("imputed_value_floats", &[5.0, 7.0]);
        n.float("replaced_value_float", -1.0);
        let l = n.run(super::lower).unwrap();
        assert_eq!(eval_lowered(&l, &[("x", vec![-1.0, 2.0])]), vec![5.0, 2.0]);
        assert_eq!(eval_lowered(&l, &[("x", vec![3.0, -1.0])]), vec![3.0, 7.0]);
        let mut n = ctx_with("Imputer", vec![var("x", &[1, 2])], &[1, 2]);
        n.floats("imputed_value_floats", &[5.0]);
        assert_eq!(graph_ops(&n.run(super::lower).unwrap()), vec!["View"]);
    }
}
