//! `ai.onnx.ml` `Scaler` (scikit-learn's StandardScaler, MinMaxScaler, RobustScaler in a
//! pipeline): `(x − offset) · scale` per feature, one weighted term per element.

use super::{LowerCtx, Lowered};
use crate::graph::{LinTerm, Op};
use crate::ModelError;

/// Lowers a `Scaler` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, xs) = ctx.var(0)?;
    let f = xs.last().copied().unwrap_or(1);
    let n: usize = xs.iter().product();
    let get = |name: &str, default: f64| -> Result<Vec<f64>, ModelError> {
        let v = ctx.attr_floats(name)?.unwrap_or_else(|| vec![default]);
        if v.len() != 1 && v.len() != f {
            return Err(ctx.err(format!("`{name}` has {} values for {f} features", v.len())));
        }
        Ok(v)
    };
    let (offset, scale) = (get("offset", 0.0)?, get("scale", 1.0)?);
    let at = |v: &[f64], i: usize| if v.len() == 1 { v[0] } else { v[i % f] };
    let rows = (0..n)
        .map(|i| {
            vec![LinTerm {
                operand: 0,
                index: i,
                coeff: at(&scale, i) as f32,
            }]
        })
        .collect();
    let bias = (0..n).map(|i| (-at(&offset, i) * at(&scale, i)) as f32).collect();
    Ok(Lowered::Op(Op::Linear { exact: false, rows, bias }, vec![x]))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn offset_then_scale_per_feature_or_shared() {
        let mut n = ctx_with("Scaler", vec![var("x", &[1, 3])], &[1, 3]);
        n.floats("offset", &[1.0, 2.0, 3.0]);
        n.floats("scale", &[0.5]);
        let l = n.run(super::lower).unwrap();
        assert_eq!(eval_lowered(&l, &[("x", vec![3.0, 2.0, 1.0])]), vec![1.0, 0.0, -1.0]);
        n.floats("scale", &[0.5, 0.25]);
        assert!(n
            .run(super::lower)
            .unwrap_err()
            .to_string()
            .contains("`scale` has 2 values for 3 features"));
    }
}
