//! ONNX `LSTM`: a long short-term memory layer, unrolled over its sequence (see [`super::recurrent`]).

use super::recurrent::{self, Cell};
use super::{LowerCtx, Lowered};
use crate::ModelError;

/// Lowers an `LSTM` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    recurrent::lower(ctx, Cell::Lstm)
}
