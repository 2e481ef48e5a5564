//! ONNX `RNN`: a simple recurrent layer, unrolled over its sequence (see [`super::recurrent`]).

use super::recurrent::{self, Cell};
use super::{LowerCtx, Lowered};
use crate::ModelError;

/// Lowers an `RNN` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    recurrent::lower(ctx, Cell::Rnn)
}
