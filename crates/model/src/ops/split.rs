//! ONNX `Split`: one input cut into consecutive parts along an axis, one output per part.
//! Part sizes come from `split` (an attribute before opset 13, an input from 13), or are equal
//! (`num_outputs` from opset 18, else the number of outputs; an uneven last part from 18).
//! Pure data movement: each output is a selection of the input.

use super::shape::{numel, ravel, strides, unravel};
use super::{Composite, LowerCtx, Lowered};
use crate::graph::{Op, Source};
use crate::ModelError;

/// Lowers a `Split` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, xs) = ctx.var(0)?;
    let axis = ctx.axis(ctx.attr_int("axis", 0), xs.len())?;
    let n = xs[axis];
    let parts = ctx.outputs.len();
    let given = if ctx.opset >= 13 {
        ctx.opt_const_ints(1, "split")?
    } else {
        ctx.attr_ints("split")
    };
    let sizes: Vec<usize> = match given {
        Some(s) if !s.is_empty() => {
            if s.len() != parts || s.iter().any(|&v| v < 0) || s.iter().sum::<i64>() != n as i64 {
                return Err(ctx.err(format!(
                    "split sizes {s:?} must be {parts} non-negative values adding up to {n} (axis {axis})"
                )));
            }
            s.iter().map(|&v| v as usize).collect()
        }
        _ => {
            let k = ctx.attr_int("num_outputs", parts as i64);
            if k != parts as i64 || k <= 0 {
                return Err(ctx.err(format!("num_outputs is {k} but the node has {parts} outputs")));
            }
            let step = n.div_ceil(parts);
            if ctx.opset < 18 && n % parts != 0 {
                return Err(ctx.err(format!("axis {axis} of size {n} does not split into {parts} equal parts")));
            }
            (0..parts).map(|i| step.min(n.saturating_sub(i * step))).collect()
        }
    };
    if let Some(i) = sizes.iter().position(|&v| v == 0) {
        return Err(ctx.err(format!("part #{i} of the split is empty; empty tensors are not supported")));
    }
    let xst = strides(&xs);
    let mut c = Composite::new(ctx);
    let mut start = 0;
    for ((name, known), &len) in ctx.outputs.iter().zip(&sizes) {
        let mut shape = xs.clone();
        shape[axis] = len;
        if let Some(k) = known.as_ref().filter(|k| numel(k) != numel(&shape)) {
            return Err(ctx.err(format!("output `{name}` has shape {k:?}, the split gives {shape:?}")));
        }
        let idx: Vec<usize> = (0..numel(&shape))
            .map(|f| {
                let mut i = unravel(f, &shape);
                i[axis] += start;
                ravel(&i, &xst)
            })
            .collect();
        let sources = idx.into_iter().map(|index| Source::Wire { operand: 0, index }).collect();
        c.add_output(Op::Select { sources }, vec![x.clone()], shape, name);
        start += len;
    }
    Ok(c.finish())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    fn outputs(n: &TestNode) -> Vec<(String, Vec<f64>)> {
        let l = n.run(super::lower).unwrap();
        let super::Lowered::Graph(g) = &l else { panic!("{l:?}") };
        let x: Vec<f64> = (0..6).map(|v| v as f64).collect();
        g.iter()
            .map(|s| {
                let one = super::Lowered::Op(s.op.clone(), s.inputs.clone());
                (s.output.clone(), eval_lowered(&one, &[("x", x.clone())]))
            })
            .collect()
    }

    #[test]
    fn equal_and_given_parts() {
        let mut n = ctx_with("Split", vec![var("x", &[2, 3])], &[1, 3]);
        n.outputs(&[&[1, 3], &[1, 3]]);
        let o = outputs(&n);
        assert_eq!(o[0], ("y".to_string(), vec![0.0, 1.0, 2.0]));
        assert_eq!(o[1], ("y1".to_string(), vec![3.0, 4.0, 5.0]));
        let mut n = ctx_with("Split", vec![var("x", &[2, 3]), konst(&[2], &[1.0, 2.0])], &[2, 1]);
        n.int("axis", 1);
        n.outputs(&[&[2, 1], &[2, 2]]);
        let o = outputs(&n);
        assert_eq!(o[0].1, vec![0.0, 3.0]);
        assert_eq!(o[1].1, vec![1.0, 2.0, 4.0, 5.0]);
    }

    #[test]
    fn uneven_parts_from_opset_18() {
        let mut n = ctx_with("Split", vec![var("x", &[6])], &[3]);
        n.opset(18);
        n.int("num_outputs", 2);
        n.outputs(&[&[3], &[3]]);
        assert_eq!(outputs(&n)[1].1, vec![3.0, 4.0, 5.0]);
        let mut n = ctx_with("Split", vec![var("x", &[5])], &[2]);
        n.opset(18);
        n.int("num_outputs", 3);
        n.outputs(&[&[2], &[2], &[1]]);
        let l = n.run(super::lower).unwrap();
        assert_eq!(graph_ops(&l).len(), 3);
        let mut n = ctx_with("Split", vec![var("x", &[5])], &[2]);
        n.outputs(&[&[2], &[3]]);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("does not split into 2 equal parts"), "{e}");
    }

    #[test]
    fn bad_sizes_are_named() {
        let mut n = ctx_with("Split", vec![var("x", &[4]), konst(&[2], &[1.0, 2.0])], &[1]);
        n.outputs(&[&[1], &[2]]);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("must be 2 non-negative values adding up to 4"), "{e}");
        let mut n = ctx_with("Split", vec![var("x", &[4])], &[2]);
        n.opset(18);
        n.int("num_outputs", 3);
        n.outputs(&[&[2], &[2]]);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("num_outputs is 3 but the node has 2 outputs"), "{e}");
        let mut n = ctx_with("Split", vec![var("x", &[3]), konst(&[2], &[3.0, 0.0])], &[3]);
        n.outputs(&[&[3], &[0]]);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("part #1 of the split is empty"), "{e}");
        let mut n = ctx_with("Split", vec![var("x", &[4])], &[2]);
        n.outputs(&[&[2], &[3]]);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("output `y1` has shape [3], the split gives [2]"), "{e}");
    }
}
