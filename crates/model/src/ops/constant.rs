//! ONNX `Constant`: its value is read by tract's analysis, so the node always folds to a
//! constant before lowering; reaching this function means tract could not evaluate it.

use super::{LowerCtx, Lowered};
use crate::ModelError;

/// Lowers a `Constant` node (only reached when its value is unknown).
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    Err(ctx.err("the constant's value could not be read (unsupported attribute type?)"))
}
