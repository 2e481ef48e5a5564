//! ONNX `Not` on 0/1 values: `1 − x`.

use super::{LowerCtx, Lowered};
use crate::graph::{LinTerm, Op};
use crate::ModelError;

/// Lowers a `Not` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let x = ctx.unary_var()?;
    let n: usize = ctx.out_shape.iter().product();
    let rows = (0..n)
        .map(|i| {
            vec![LinTerm {
                operand: 0,
                index: i,
                coeff: -1.0,
            }]
        })
        .collect();
    Ok(Lowered::Op(
        Op::Linear {
            exact: true,
            rows,
            bias: vec![1.0; n],
        },
        vec![x],
    ))
}
