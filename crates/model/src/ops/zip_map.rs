//! `ai.onnx.ml` `ZipMap`: the class probabilities as a list of label → probability maps. A
//! proof carries the probability tensor it wraps, in label order (onnxruntime's maps are read
//! the same way for the reference).

use super::{LowerCtx, Lowered};
use crate::graph::Op;
use crate::ModelError;

/// Lowers a `ZipMap` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    Ok(Lowered::Op(Op::View, vec![ctx.unary_var()?]))
}
