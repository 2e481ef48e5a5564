//! `ai.onnx.ml` `LabelEncoder` on numeric categories: each element equal to a key becomes its
//! value, any other the default, as `default + Σ_k [x = key_k]·(value_k − default)`. String
//! keys or values are refused (a proof carries numbers).

use super::{Composite, LowerCtx, Lowered};
use crate::graph::{Check, Cmp, LinTerm, Op};
use crate::ModelError;

/// Lowers a `LabelEncoder` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, xs) = ctx.var(0)?;
    for a in ["keys_strings", "values_strings"] {
        if ctx.attr_strs(a).is_some_and(|s| !s.is_empty()) {
            return Err(ctx.unsupported_form(format!("string categories (`{a}`) are not supported; encode them as integers")));
        }
    }
    let keys: Vec<f64> = match ctx.attr_ints("keys_int64s") {
        Some(k) if !k.is_empty() => k.iter().map(|&v| v as f64).collect(),
        _ => ctx
            .attr_floats("keys_floats")?
            .ok_or_else(|| ctx.err("missing attribute `keys_int64s` (or `keys_floats`)"))?,
    };
    let (values, default): (Vec<f64>, f64) = match ctx.attr_ints("values_int64s") {
        Some(v) if !v.is_empty() => (v.iter().map(|&v| v as f64).collect(), ctx.attr_int("default_int64", -1) as f64),
        _ => (
            ctx.attr_floats("values_floats")?
                .ok_or_else(|| ctx.err("missing attribute `values_int64s` (or `values_floats`)"))?,
            ctx.attr_float("default_float", -0.0) as f64,
        ),
    };
    if keys.len() != values.len() || keys.is_empty() {
        return Err(ctx.err(format!("{} keys and {} values", keys.len(), values.len())));
    }
    // keys are compared as single-precision values: two that round alike would both match
    let mut seen = std::collections::HashSet::new();
    for &k in &keys {
        if (k as f32) as f64 != k || !seen.insert((k as f32).to_bits()) {
            return Err(ctx.unsupported_form(format!("key {k} is not a distinct single-precision value")));
        }
    }
    let n: usize = xs.iter().product();
    let k = keys.len();
    let mut c = Composite::new(ctx);
    let checks = (0..n)
        .flat_map(|i| {
            keys.iter().map(move |&t| Check {
                index: i,
                threshold: t as f32,
                cmp: Cmp::Eq,
            })
        })
        .collect();
    let flags = c.add(Op::Threshold { checks, fixed: false }, vec![x], vec![n * k]);
    let integral = values.iter().chain([&default]).all(|v| v.fract() == 0.0);
    let rows = (0..n)
        .map(|i| {
            (0..k)
                .map(|j| LinTerm {
                    operand: 0,
                    index: i * k + j,
                    coeff: (values[j] - default) as f32,
                })
                .collect()
        })
        .collect();
    c.add(
        Op::Linear {
            exact: integral,
            rows,
            bias: vec![default as f32; n],
        },
        vec![flags],
        xs,
    );
    Ok(c.finish())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn keys_map_to_values_and_others_to_the_default() {
        let mut n = ctx_with("LabelEncoder", vec![var("x", &[3])], &[3]);
        n.ints("keys_int64s", &[1, 2]);
        n.ints("values_int64s", &[10, 20]);
        n.int("default_int64", -1);
        let l = n.run(super::lower).unwrap();
        assert_eq!(eval_lowered(&l, &[("x", vec![2.0, 1.0, 5.0])]), vec![20.0, 10.0, -1.0]);
        n.strings("keys_strings", &["a", "b"]);
        let e = n.run(super::lower).unwrap_err().to_string();
        assert!(e.contains("string categories (`keys_strings`)"), "{e}");
    }
}
