//! ONNX `ArgMax` (`axis`, `keepdims`, `select_last_index`): see [`super::arg_extreme`].

use super::{arg_extreme, LowerCtx, Lowered};
use crate::ModelError;

/// Lowers an `ArgMax` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    arg_extreme::lower(ctx, true)
}
