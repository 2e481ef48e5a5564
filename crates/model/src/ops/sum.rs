//! ONNX `Sum` (variadic, broadcasting): an exact linear combination of the computed operands
//! plus the constant ones.

use super::elementwise::{maps, signed_sum, SignedSum};
use super::{LowerCtx, Lowered, Operand};
use crate::graph::Op;
use crate::ModelError;

/// Lowers a `Sum` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let ops: Vec<&Operand> = ctx.inputs.iter().filter(|o| !matches!(o, Operand::Absent)).collect();
    let m = maps(ctx, &ops)?;
    let n = ctx.out_shape.iter().product();
    let SignedSum { rows, bias, names } = signed_sum(&ops, &m, &vec![1.0; ops.len()], n);
    if names.is_empty() {
        return Err(ctx.err("every input is constant"));
    }
    Ok(Lowered::Op(Op::Linear { exact: true, rows, bias }, names))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn three_terms() {
        let l = ctx_with("Sum", vec![var("a", &[2]), var("b", &[1]), konst(&[], &[1.0])], &[2])
            .run(super::lower)
            .unwrap();
        assert_eq!(graph_ops(&l), vec!["Linear"]);
    }

    #[test]
    fn every_input_constant_is_refused() {
        let e = ctx_with("Sum", vec![konst(&[2], &[1.0, 2.0]), konst(&[], &[1.0])], &[2])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("every input is constant"), "{e}");
    }
}
