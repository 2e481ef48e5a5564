//! ONNX `BatchNormalization` (inference mode): a per-channel affine map
//! `y = scale·(x − mean)/√(var + eps) + B` with all four parameters constant, so one linear
//! combination per element.

use super::shape::{numel, unravel};
use super::{LowerCtx, Lowered};
use crate::graph::{LinTerm, Op};
use crate::ModelError;

/// Lowers a `BatchNormalization` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    if ctx.attr_int("training_mode", 0) != 0 || ctx.outputs.len() > 1 {
        return Err(ctx.err("training mode (running statistics outputs) is not supported; export the model in eval mode"));
    }
    let (x, xs) = ctx.var(0)?;
    if xs.len() < 2 {
        return Err(ctx.err(format!("expects X as [N, C, …]; got {xs:?}")));
    }
    let c = xs[1];
    let names = ["scale", "B", "input_mean", "input_var"];
    let mut p = Vec::new();
    for (i, what) in names.iter().enumerate() {
        let t = ctx.konst(i + 1, what)?;
        if t.data.len() != c {
            return Err(ctx.err(format!("{what} has {} values for {c} channels", t.data.len())));
        }
        p.push(t);
    }
    let eps = ctx.attr_float("epsilon", 1e-5) as f64;
    let a: Vec<f64> = (0..c).map(|k| p[0].data[k] as f64 / (p[3].data[k] as f64 + eps).sqrt()).collect();
    let b: Vec<f64> = (0..c).map(|k| p[1].data[k] as f64 - p[2].data[k] as f64 * a[k]).collect();
    let mut rows = Vec::with_capacity(numel(&xs));
    let mut bias = Vec::with_capacity(numel(&xs));
    for f in 0..numel(&xs) {
        let k = unravel(f, &xs)[1];
        rows.push(vec![LinTerm {
            operand: 0,
            index: f,
            coeff: a[k] as f32,
        }]);
        bias.push(b[k] as f32);
    }
    Ok(Lowered::Op(Op::Linear { exact: false, rows, bias }, vec![x]))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::graph::Op;
    use crate::ops::{Lowered, Operand};

    #[test]
    fn folds_statistics_into_an_affine_map() {
        let one = |v: f32| konst(&[1], &[v]);
        let mut n = ctx_with(
            "BatchNormalization",
            vec![var("x", &[1, 1, 2]), one(2.0), one(1.0), one(3.0), one(4.0)],
            &[1, 1, 2],
        );
        n.float("epsilon", 0.0);
        let Lowered::Op(Op::Linear { rows, bias, .. }, _) = n.run(super::lower).unwrap() else {
            panic!()
        };
        assert_eq!(rows[0][0].coeff, 1.0); // 2 / √4
        assert_eq!(bias, vec![-2.0, -2.0]); // 1 − 3·1
    }

    /// X then scale, B, mean and var with `c` values each.
    fn inputs(x: &[usize], c: usize) -> Vec<Operand> {
        let mut v = vec![var("x", x)];
        v.extend((0..4).map(|_| konst(&[c], &vec![1.0; c])));
        v
    }

    #[test]
    fn training_mode_is_refused() {
        let mut n = ctx_with("BatchNormalization", inputs(&[1, 1, 2], 1), &[1, 1, 2]);
        n.int("training_mode", 1);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("training mode (running statistics outputs)"), "{e}");
        // the running statistics outputs requested without the attribute
        let mut n = ctx_with("BatchNormalization", inputs(&[1, 1, 2], 1), &[1, 1, 2]);
        n.outputs(&[&[1, 1, 2], &[1], &[1]]);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("training mode (running statistics outputs)"), "{e}");
    }

    #[test]
    fn bad_shapes_and_parameters_are_named() {
        let e = ctx_with("BatchNormalization", inputs(&[2], 2), &[2]).run(super::lower).unwrap_err();
        assert!(e.to_string().contains("expects X as [N, C, …]; got [2]"), "{e}");
        let e = ctx_with("BatchNormalization", inputs(&[1, 1, 2], 2), &[1, 1, 2])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("scale has 2 values for 1 channels"), "{e}");
        let mut ins = inputs(&[1, 1, 2], 1);
        ins[3] = var("mean", &[1]);
        let e = ctx_with("BatchNormalization", ins, &[1, 1, 2]).run(super::lower).unwrap_err();
        assert!(e.to_string().contains("input_mean (input #3) must be a constant"), "{e}");
    }
}
