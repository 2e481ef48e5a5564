//! ONNX `Or` on 0/1 values: `a + b − a·b` (see [`super::logic`]).

use super::logic::{self, Logic};
use super::{LowerCtx, Lowered};
use crate::ModelError;

/// Lowers an `Or` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    logic::lower(ctx, Logic::Or)
}
