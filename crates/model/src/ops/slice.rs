//! ONNX `Slice`: `starts`, `ends`, `axes`, `steps` (inputs from opset 10, attributes before),
//! negative indices and steps included. Data movement only.

use super::shape::{numel, ravel, strides, unravel};
use super::{LowerCtx, Lowered};
use crate::graph::{Op, Source};
use crate::ModelError;

/// Lowers a `Slice` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, xs) = ctx.var(0)?;
    let rank = xs.len();
    let (starts, ends, axes, steps) = if ctx.opset >= 10 {
        (
            ctx.const_ints(1, "starts")?,
            ctx.const_ints(2, "ends")?,
            ctx.opt_const_ints(3, "axes")?,
            ctx.opt_const_ints(4, "steps")?,
        )
    } else {
        (
            ctx.attr_ints("starts").unwrap_or_default(),
            ctx.attr_ints("ends").unwrap_or_default(),
            ctx.attr_ints("axes"),
            None,
        )
    };
    let axes = axes.unwrap_or_else(|| (0..starts.len() as i64).collect());
    let steps = steps.unwrap_or_else(|| vec![1; starts.len()]);
    if ends.len() != starts.len() || axes.len() != starts.len() || steps.len() != starts.len() {
        return Err(ctx.err("starts, ends, axes and steps must have the same length"));
    }
    let mut begin = vec![0i64; rank];
    let mut step = vec![1i64; rank];
    for i in 0..starts.len() {
        let a = ctx.axis(axes[i], rank)?;
        let dim = xs[a] as i64;
        if steps[i] == 0 {
            return Err(ctx.err("a step of 0"));
        }
        let mut s = starts[i];
        if s < 0 {
            s += dim;
        }
        s = if steps[i] > 0 { s.clamp(0, dim) } else { s.clamp(0, dim - 1) };
        begin[a] = s;
        step[a] = steps[i];
    }
    let out = &ctx.out_shape;
    let xst = strides(&xs);
    let mut sources = Vec::with_capacity(numel(out));
    for f in 0..numel(out) {
        let o = unravel(f, out);
        let mut i = Vec::with_capacity(rank);
        for d in 0..rank {
            let v = begin[d] + o[d] as i64 * step[d];
            if v < 0 || v >= xs[d] as i64 {
                return Err(ctx.err(format!("output {o:?} reads outside the input {xs:?}")));
            }
            i.push(v as usize);
        }
        sources.push(Source::Wire {
            operand: 0,
            index: ravel(&i, &xst),
        });
    }
    Ok(Lowered::Op(Op::Select { sources }, vec![x]))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn negative_step_reverses() {
        let mut n = ctx_with(
            "Slice",
            vec![
                var("x", &[4]),
                konst(&[1], &[-1.0]),
                konst(&[1], &[-5.0]),
                konst(&[1], &[0.0]),
                konst(&[1], &[-2.0]),
            ],
            &[2],
        );
        n.opset(13);
        assert_eq!(selected(&n.run(super::lower).unwrap()), vec![3, 1]);
    }

    /// A Slice of `x` with one-value starts, ends, axes and steps.
    fn slice(x: &[usize], start: f32, end: f32, axis: f32, step: f32, out: &[usize]) -> TestNode {
        let one = |v: f32| konst(&[1], &[v]);
        ctx_with("Slice", vec![var("x", x), one(start), one(end), one(axis), one(step)], out)
    }

    #[test]
    fn a_step_of_zero_is_refused() {
        let e = slice(&[4], 0.0, 4.0, 0.0, 0.0, &[4]).run(super::lower).unwrap_err();
        assert!(e.to_string().contains("a step of 0"), "{e}");
    }

    #[test]
    fn out_of_range_axes_and_reads_are_named() {
        let e = slice(&[4], 0.0, 4.0, 1.0, 1.0, &[4]).run(super::lower).unwrap_err();
        assert!(e.to_string().contains("axis 1 is out of range for rank 1"), "{e}");
        // an output shape longer than the slice reads past the end
        let e = slice(&[2], 1.0, 2.0, 0.0, 1.0, &[2]).run(super::lower).unwrap_err();
        assert!(e.to_string().contains("output [1] reads outside the input [2]"), "{e}");
    }

    #[test]
    fn lists_of_different_lengths_are_refused() {
        let e = ctx_with("Slice", vec![var("x", &[4]), konst(&[1], &[0.0]), konst(&[2], &[4.0, 4.0])], &[4])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("axes and steps must have the same length"), "{e}");
        // attributes before opset 10
        let mut n = ctx_with("Slice", vec![var("x", &[4])], &[4]);
        n.opset(9);
        n.ints("starts", &[0]);
        n.ints("ends", &[4]);
        n.ints("axes", &[0, 1]);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("must have the same length"), "{e}");
    }
}
