//! Model import: ONNX file → tract (shape inference, float reference) → zkinfer op graph.
//!
//! The import stage reads the protobuf, checks every node against the op registry
//! ([`ops::REGISTRY`]), fixes the input shapes (batch 1; symbolic dims resolved from the sample
//! data), lets tract infer every tensor's shape and constant value, and lowers each node into a
//! [`graph::Op`]. Unsupported ops are a typed error naming the op type and the node.
#![warn(missing_docs)]

pub mod data;
pub mod elem;
pub mod fuse;
pub mod graph;
pub mod ml;
pub mod onnx;
pub mod ops;
pub mod reference;

pub use data::InputData;
pub use graph::{Graph, LinTerm, Node, Op, Tensor};
pub use onnx::LoadedModel;

/// Errors of the model import stage.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The model file could not be read.
    #[error("cannot read model file {path}: {source}")]
    Io {
        /// File path.
        path: String,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The file is not a decodable ONNX protobuf or its graph is inconsistent.
    #[error("{path} is not a valid ONNX model: {reason}")]
    Malformed {
        /// File path.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A node uses an op type zkinfer does not support.
    #[error("unsupported ONNX op `{op_type}` at node `{node}` (supported ops: {supported})")]
    UnsupportedOp {
        /// ONNX op type.
        op_type: String,
        /// Node name.
        node: String,
        /// Comma-separated list of supported op types.
        supported: String,
    },
    /// A supported op is used in a form zkinfer cannot lower (attribute, operand kind, shape).
    #[error("node `{node}` ({op_type}): {reason}")]
    InvalidNode {
        /// Node name.
        node: String,
        /// ONNX op type.
        op_type: String,
        /// What is wrong.
        reason: String,
    },
    /// A supported op in a form zkinfer does not prove (its semantics differ from the
    /// real-valued computation the circuit holds, or the form is refused by design).
    #[error("node `{node}` ({op_type}): {reason}")]
    UnsupportedForm {
        /// Node name.
        node: String,
        /// ONNX op type.
        op_type: String,
        /// What is not supported.
        reason: String,
    },
    /// An output selection (`compile --select-output`) names no output or element of the model.
    #[error("--select-output {spec}: {reason}")]
    Output {
        /// The selection as given.
        spec: String,
        /// What is wrong.
        reason: String,
    },
    /// A model input cannot be given a concrete shape.
    #[error("model input `{name}`: {reason}")]
    Input {
        /// Input name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// Shape or type inference failed in tract.
    #[error("shape inference failed: {0}")]
    Shape(String),
    /// Float reference inference with onnxruntime failed (models with `ai.onnx.ml` operators).
    #[error("reference inference with onnxruntime failed: {0}")]
    Reference(String),
    /// Float reference inference with tract failed.
    #[error("reference inference with tract failed: {0}")]
    Tract(String),
    /// A sample/input data file is missing, malformed or does not fit the model.
    #[error("data file {path}: {reason}")]
    Data {
        /// File path (or `<memory>`).
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// A float reference failure during quantization is the quantization stage's error.
impl From<ModelError> for zkinfer_core::quantize::QuantizeError {
    fn from(e: ModelError) -> Self {
        zkinfer_core::quantize::QuantizeError::Model(Box::new(e))
    }
}
