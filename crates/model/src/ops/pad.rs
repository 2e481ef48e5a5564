//! ONNX `Pad`: `constant` (any value), `reflect`, `edge` and `wrap` modes; pads from the input
//! (opset ≥ 11, with optional `axes` from 18) or the attribute; negative pads crop. Data
//! movement only (the padding value becomes a constant cell).

use super::shape::{numel, ravel, strides, unravel};
use super::{LowerCtx, Lowered};
use crate::graph::{Op, Source};
use crate::ModelError;

/// Lowers a `Pad` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, xs) = ctx.var(0)?;
    let rank = xs.len();
    let (pads, value, axes) = if ctx.opset >= 11 {
        let v = ctx
            .opt_konst(2, "constant_value")?
            .and_then(|t| t.data.first().copied())
            .unwrap_or(0.0);
        (ctx.const_ints(1, "pads")?, v, ctx.opt_const_ints(3, "axes")?)
    } else {
        (ctx.attr_ints("pads").unwrap_or_default(), ctx.attr_float("value", 0.0), None)
    };
    let axes: Vec<usize> = match axes {
        Some(a) => a.iter().map(|&v| ctx.axis(v, rank)).collect::<Result<_, _>>()?,
        None => (0..rank).collect(),
    };
    if pads.len() != 2 * axes.len() {
        return Err(ctx.err(format!("pads {pads:?} must hold {} values", 2 * axes.len())));
    }
    let mut begin = vec![0i64; rank];
    for (i, &a) in axes.iter().enumerate() {
        begin[a] = pads[i];
    }
    let mode = ctx.attr_str("mode", "constant");
    if !["constant", "reflect", "edge", "wrap"].contains(&mode.as_str()) {
        return Err(ctx.err(format!("mode `{mode}` is not one of constant, reflect, edge, wrap")));
    }
    let out = &ctx.out_shape;
    let xst = strides(&xs);
    let mut sources = Vec::with_capacity(numel(out));
    for f in 0..numel(out) {
        let o = unravel(f, out);
        let mut i = Vec::with_capacity(rank);
        let mut outside = false;
        for d in 0..rank {
            let n = xs[d] as i64;
            let mut p = o[d] as i64 - begin[d];
            if p < 0 || p >= n {
                match mode.as_str() {
                    "constant" => outside = true,
                    "edge" => p = p.clamp(0, n - 1),
                    "wrap" => p = p.rem_euclid(n),
                    _ => {
                        // reflect (without repeating the edge)
                        if n == 1 {
                            p = 0;
                        } else {
                            let period = 2 * (n - 1);
                            p = p.rem_euclid(period);
                            if p >= n {
                                p = period - p;
                            }
                        }
                    }
                }
            }
            i.push(p.max(0) as usize);
        }
        sources.push(if outside {
            Source::Const(value)
        } else {
            Source::Wire {
                operand: 0,
                index: ravel(&i, &xst),
            }
        });
    }
    Ok(Lowered::Op(Op::Select { sources }, vec![x]))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::graph::{Op, Source};
    use crate::ops::{Lowered, Operand};

    #[test]
    fn reflect_and_edge_and_constant() {
        for (mode, want) in [("reflect", vec![1, 0, 1, 2, 1]), ("edge", vec![0, 0, 1, 2, 2])] {
            let mut n = ctx_with("Pad", vec![var("x", &[3]), konst(&[2], &[1.0, 1.0])], &[5]);
            n.opset(13);
            n.string("mode", mode);
            assert_eq!(selected(&n.run(super::lower).unwrap()), want, "{mode}");
        }
        let mut n = ctx_with("Pad", vec![var("x", &[1]), konst(&[2], &[0.0, 1.0]), konst(&[], &[2.5])], &[2]);
        n.opset(13);
        let Lowered::Op(Op::Select { sources }, _) = n.run(super::lower).unwrap() else {
            panic!()
        };
        assert_eq!(sources[1], Source::Const(2.5));
    }

    #[test]
    fn bad_mode_is_named() {
        let mut n = ctx_with("Pad", vec![var("x", &[3]), konst(&[2], &[1.0, 1.0])], &[5]);
        n.string("mode", "symmetric");
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("mode `symmetric` is not one of constant, reflect"), "{e}");
    }

    #[test]
    fn bad_pads_and_axes_are_named() {
        let e = ctx_with("Pad", vec![var("x", &[3]), konst(&[1], &[1.0])], &[4])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("pads [1] must hold 2 values"), "{e}");
        // the pads attribute before opset 11
        let mut n = ctx_with("Pad", vec![var("x", &[2, 2])], &[4, 2]);
        n.opset(2);
        n.ints("pads", &[1, 1]);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("pads [1, 1] must hold 4 values"), "{e}");
        let e = ctx_with("Pad", vec![var("x", &[3]), var("p", &[2])], &[5])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("pads (input #1) must be a constant"), "{e}");
        // axes (opset 18) out of range
        let ins = vec![var("x", &[3]), konst(&[2], &[1.0, 1.0]), Operand::Absent, konst(&[1], &[1.0])];
        let mut n = ctx_with("Pad", ins, &[5]);
        n.opset(18);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("axis 1 is out of range for rank 1"), "{e}");
    }
}
