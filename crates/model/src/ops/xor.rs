//! ONNX `Xor` on 0/1 values: `a + b − 2·a·b` (see [`super::logic`]).

use super::logic::{self, Logic};
use super::{LowerCtx, Lowered};
use crate::ModelError;

/// Lowers an `Xor` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    logic::lower(ctx, Logic::Xor)
}
