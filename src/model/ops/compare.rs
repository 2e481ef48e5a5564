//! Shared lowering of the comparisons (`Greater`, `Less`, `Equal`, `GreaterOrEqual`,
//! `LessOrEqual`): the difference of the operands (either may be constant) through a 0/1 flag
//! table. The flags are integers at scale 0, ready for `Where` or arithmetic.

use super::elementwise::maps;
use super::{Composite, LowerCtx, Lowered, Operand};
use crate::model::graph::{Activation, LinTerm, Op};
use crate::model::ModelError;

/// Lowers `flag(sign·(a − b))`.
pub fn lower(ctx: &LowerCtx, flag: Activation, sign: f32) -> Result<Lowered, ModelError> {
    let (a, b) = (ctx.input(0)?, ctx.input(1)?);
    let m = maps(ctx, &[a, b])?;
    let n = m[0].len();
    let mut rows = vec![Vec::new(); n];
    let mut bias = vec![0.0f32; n];
    let mut names = Vec::new();
    for ((op, map), s) in [a, b].iter().zip(&m).zip([sign, -sign]) {
        match op {
            Operand::Var { name, .. } => {
                names.push(name.clone());
                for (row, &i) in rows.iter_mut().zip(map) {
                    row.push(LinTerm {
                        operand: names.len() - 1,
                        index: i,
                        coeff: s,
                    });
                }
            }
            Operand::Const(t) => bias.iter_mut().zip(map).for_each(|(v, &i)| *v += s * t.data[i]),
            Operand::Absent => {}
        }
    }
    if names.is_empty() {
        return Err(ctx.err("both operands are constant"));
    }
    let mut c = Composite::new(ctx);
    let d = c.add(Op::Linear { exact: true, rows, bias }, names, ctx.out_shape.clone());
    c.add(Op::Activation(flag), vec![d], ctx.out_shape.clone());
    Ok(c.finish())
}
