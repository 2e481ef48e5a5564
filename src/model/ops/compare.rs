//! Shared lowering of the comparisons (`Greater`, `Less`, `Equal`, `GreaterOrEqual`,
//! `LessOrEqual`): the difference of the operands (either may be constant) through a 0/1 flag
//! table. The flags are integers at scale 0, ready for `Where` or arithmetic.

use super::elementwise::{maps, signed_sum, SignedSum};
use super::{Composite, LowerCtx, Lowered};
use crate::model::graph::{Activation, Op};
use crate::model::ModelError;

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
