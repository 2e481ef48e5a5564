//! Shared lowering of the comparisons (`Greater`, `Less`, `Equal`, `GreaterOrEqual`,
//! `LessOrEqual`): the difference of the operands (either may be constant) through a 0/1 flag
//! table. The flags are integers at scale 0, ready for `Where` or arithmetic.

use super::elementwise::{maps, signed_sum, SignedSum};
use super::{Composite, LowerCtx, Lowered};
use crate::graph::{Activation, Op};
use crate::ModelError;

/// Lowers `flag(sign·(a − b))`.
pub fn lower(ctx: &LowerCtx, flag: Activation, sign: f32) -> Result<Lowered, ModelError> {
    let (a, b) = (ctx.input(0)?, ctx.input(1)?);
    let m = maps(ctx, &[a, b])?;
    let n = m[0].len();
    let SignedSum { rows, bias, names } = signed_sum(&[a, b], &m, &[sign, -sign], n);
    if names.is_empty() {
        return Err(ctx.err("both operands are constant"));
    }
    let mut c = Composite::new(ctx);
    let d = c.add(Op::Linear { exact: true, rows, bias }, names, ctx.out_shape.clone());
    c.add(Op::Activation(flag), vec![d], ctx.out_shape.clone());
    Ok(c.finish())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn two_constants_are_refused() {
        let e = ctx_with("Greater", vec![konst(&[2], &[1.0, 2.0]), konst(&[], &[1.0])], &[2])
            .run(super::super::greater::lower)
            .unwrap_err();
        assert!(e.to_string().contains("both operands are constant"), "{e}");
    }

    #[test]
    fn operands_that_do_not_broadcast_are_named() {
        let e = ctx_with("Less", vec![var("a", &[2]), var("b", &[3])], &[2])
            .run(super::super::less::lower)
            .unwrap_err();
        assert!(e.to_string().contains("input #1 of shape [3] does not broadcast to"), "{e}");
    }
}
