//! Helpers for element-wise ops over broadcast operands that may be computed or constant.

use super::broadcast::index_map;
use super::{LowerCtx, Operand};
use crate::model::ModelError;

/// Each operand's flat index for every output element (numpy broadcasting).
pub fn maps(ctx: &LowerCtx, ops: &[&Operand]) -> Result<Vec<Vec<usize>>, ModelError> {
    ops.iter()
        .enumerate()
        .map(|(i, op)| {
            let shape = op.shape().unwrap_or(&[]);
            index_map(shape, &ctx.out_shape).ok_or_else(|| {
                ctx.err(format!(
                    "input #{i} of shape {shape:?} does not broadcast to the output shape {:?}",
                    ctx.out_shape
                ))
            })
        })
        .collect()
}
