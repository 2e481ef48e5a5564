//! Shared lowering of the variadic `Max` and `Min`: computed operands are combined pairwise
//! (`a + relu(b − a)`), constant operands with one value become a clip table.

use super::elementwise::maps;
use super::{compose, Composite, LowerCtx, Lowered, Operand};
use crate::graph::{Activation, Op, Param};
use crate::ModelError;

/// Lowers `Max` (`max = true`) or `Min`.
pub fn lower(ctx: &LowerCtx, max: bool) -> Result<Lowered, ModelError> {
    let ops: Vec<&Operand> = ctx.inputs.iter().filter(|o| !matches!(o, Operand::Absent)).collect();
    let m = maps(ctx, &ops)?;
    let out = ctx.out_shape.clone();
    let mut c = Composite::new(ctx);
    let mut acc: Option<(String, Vec<usize>)> = None;
    let mut bound: Option<f32> = None;
    for (op, map) in ops.iter().zip(&m) {
        match op {
            Operand::Var { name, .. } => {
                acc = Some(match acc {
                    None => (name.clone(), map.clone()),
                    Some((a, ia)) => {
                        let t = compose::extreme2(&mut c, &a, &ia, name, map, &out, max);
                        (t, (0..map.len()).collect())
                    }
                });
            }
            Operand::Const(t) => {
                let v = t.data.first().copied().unwrap_or(0.0);
                if t.data.iter().any(|&x| x != v) {
                    return Err(ctx.err("a constant operand must hold one value"));
                }
                bound = Some(match bound {
                    None => v,
                    Some(b) if max => b.max(v),
                    Some(b) => b.min(v),
                });
            }
            Operand::Absent => {}
        }
    }
    let Some((name, map)) = acc else {
        return Err(ctx.err("every input is constant"));
    };
    let identity: Vec<usize> = (0..map.len()).collect();
    let name = if map != identity {
        compose::select(&mut c, &name, &map, &out)
    } else {
        name
    };
    match bound {
        Some(b) => {
            let (lo, hi) = if max { (b, f32::INFINITY) } else { (f32::NEG_INFINITY, b) };
            c.add(
                Op::Activation(Activation::Clip {
                    lo: Param::new(lo),
                    hi: Param::new(hi),
                }),
                vec![name],
                out,
            );
        }
        None if c.is_empty() => {
            c.add(Op::View, vec![name], out);
        }
        None => {}
    }
    Ok(c.finish())
}
