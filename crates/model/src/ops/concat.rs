//! ONNX `Concat`: joins tensors along `axis`; operands may be computed or constant. Data
//! movement only (constants become constant cells).

use super::shape::{numel, ravel, strides, unravel};
use super::{LowerCtx, Lowered, Operand};
use crate::graph::{Op, Source};
use crate::ModelError;

/// Lowers a `Concat` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let out = &ctx.out_shape;
    let axis = ctx.axis(ctx.attr_int("axis", 0), out.len())?;
    let mut names = Vec::new();
    // (offset along axis, length along axis, operand)
    let mut parts = Vec::new();
    let mut offset = 0;
    for (i, op) in ctx.inputs.iter().enumerate() {
        let shape = op.shape().ok_or_else(|| ctx.err(format!("input #{i} is empty")))?.to_vec();
        if shape.len() != out.len() || shape.iter().zip(out).enumerate().any(|(d, (a, b))| d != axis && a != b) {
            return Err(ctx.err(format!(
                "input #{i} of shape {shape:?} does not fit the output {out:?} on axis {axis}"
            )));
        }
        let slot = match op {
            Operand::Var { name, .. } => {
                names.push(name.clone());
                Some(names.len() - 1)
            }
            _ => None,
        };
        parts.push((offset, shape[axis], shape, slot, i));
        offset += parts.last().map(|p| p.1).unwrap_or(0);
    }
    if names.is_empty() {
        return Err(ctx.err("every input is constant"));
    }
    let sources = (0..numel(out))
        .map(|f| {
            let mut o = unravel(f, out);
            let (off, _, shape, slot, i) = parts.iter().find(|p| o[axis] >= p.0 && o[axis] < p.0 + p.1).expect("covered");
            o[axis] -= off;
            let index = ravel(&o, &strides(shape));
            match (slot, &ctx.inputs[*i]) {
                (Some(operand), _) => Source::Wire { operand: *operand, index },
                (None, Operand::Const(t)) => Source::Const(t.data[index]),
                _ => Source::Const(0.0),
            }
        })
        .collect();
    Ok(Lowered::Op(Op::Select { sources }, names))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::graph::{Op, Source};
    use crate::ops::{Lowered, Operand};

    #[test]
    fn variable_and_constant_along_axis_1() {
        let mut n = ctx_with("Concat", vec![var("a", &[1, 2]), konst(&[1, 1], &[7.0])], &[1, 3]);
        n.int("axis", 1);
        let Lowered::Op(Op::Select { sources }, _) = n.run(super::lower).unwrap() else {
            panic!()
        };
        assert_eq!(sources[2], Source::Const(7.0));
        assert_eq!(sources[1], Source::Wire { operand: 0, index: 1 });
    }

    #[test]
    fn inputs_that_do_not_fit_are_named() {
        let mut n = ctx_with("Concat", vec![var("a", &[1, 2]), var("b", &[2, 1])], &[1, 3]);
        n.int("axis", 1);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("[2, 1] does not fit the output [1, 3] on axis 1"), "{e}");
        let mut n = ctx_with("Concat", vec![var("a", &[2]), var("b", &[1, 1])], &[1, 3]);
        n.int("axis", 1);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("input #0 of shape [2] does not fit"), "{e}");
        let mut n = ctx_with("Concat", vec![var("a", &[1, 2]), Operand::Absent], &[1, 2]);
        n.int("axis", 1);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("input #1 is empty"), "{e}");
        let mut n = ctx_with("Concat", vec![var("a", &[1, 2]), var("b", &[1, 1])], &[1, 3]);
        n.int("axis", 2);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("axis 2 is out of range for rank 2"), "{e}");
    }

    #[test]
    fn every_input_constant_is_refused() {
        let mut n = ctx_with("Concat", vec![konst(&[1, 1], &[1.0]), konst(&[1, 2], &[2.0, 3.0])], &[1, 3]);
        n.int("axis", 1);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("every input is constant"), "{e}");
    }
}
