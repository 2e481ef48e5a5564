//! `ai.onnx.ml` `OneHotEncoder` on integer categories (`cats_int64s`): one 0/1 flag
//! `[x = category]` per element and category, on a new last axis. String categories are
//! refused when the model is read (see `model::ml`), and so is `zeros = 0`: onnxruntime then
//! fails on an unknown category, which a proof cannot mirror.

use super::{LowerCtx, Lowered};
use crate::graph::{Check, Cmp, Op};
use crate::ModelError;

/// Lowers a `OneHotEncoder` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, xs) = ctx.var(0)?;
    if xs.len() != 2 {
        return Err(ctx.unsupported_form(format!("an input of rank {} (onnxruntime takes [N, F])", xs.len())));
    }
    // onnxruntime truncates float inputs to integers; zkinfer compares exactly, so it takes
    // integer inputs (skl2onnx casts the columns first)
    let integer = ctx
        .input_types
        .first()
        .copied()
        .flatten()
        .is_some_and(|t| crate::elem::integer_range(t).is_some() && t != crate::elem::ty::BOOL);
    if !integer {
        return Err(ctx.unsupported_form("its input is not of an integer type (cast the categorical columns to int64 first)"));
    }
    let cats = ctx
        .attr_ints("cats_int64s")
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ctx.unsupported_form("only integer categories (`cats_int64s`) are supported"))?;
    if ctx.attr_int("zeros", 1) == 0 {
        return Err(ctx.unsupported_form(
            "`zeros` = 0 makes an unknown category an error, which a proof cannot mirror; export with handle_unknown='ignore'",
        ));
    }
    if let Some(bad) = cats.iter().find(|v| v.unsigned_abs() > 1 << 24) {
        return Err(ctx.unsupported_form(format!("category {bad} in `cats_int64s` is beyond ±2^24")));
    }
    let n: usize = xs.iter().product();
    let checks = (0..n)
        .flat_map(|index| {
            cats.iter().map(move |&c| Check {
                index,
                threshold: c as f32,
                cmp: Cmp::Eq,
            })
        })
        .collect();
    Ok(Lowered::Op(Op::Threshold { checks, fixed: false }, vec![x]))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn one_flag_per_category_on_a_new_axis() {
        let mut n = ctx_with("OneHotEncoder", vec![var("x", &[1, 2])], &[1, 2, 3]);
        n.ints("cats_int64s", &[1, 5, 7]);
        assert!(n.run(super::lower).unwrap_err().to_string().contains("integer type"));
        n.input_types(&[Some(crate::elem::ty::INT64)]);
        let l = n.run(super::lower).unwrap();
        assert_eq!(eval_lowered(&l, &[("x", vec![5.0, 2.0])]), vec![0.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
        n.int("zeros", 0);
        assert!(n.run(super::lower).unwrap_err().to_string().contains("`zeros` = 0"));
    }
}
