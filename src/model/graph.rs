//! zkinfer's own op graph: the small set of operations every supported ONNX op lowers into.

use serde::{Deserialize, Serialize};

/// A constant float tensor in row-major order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tensor {
    /// Dimensions.
    pub shape: Vec<usize>,
    /// Row-major values.
    pub data: Vec<f32>,
}

impl Tensor {
    /// Number of elements implied by the shape.
    pub fn len(&self) -> usize {
        self.data.len()
    }
    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// One term of a linear combination: `coeff · inputs[operand][index]`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinTerm {
    /// Which variable operand of the node (index into `Node::inputs`).
    pub operand: usize,
    /// Flat index into that operand.
    pub index: usize,
    /// Coefficient.
    pub coeff: f32,
}

/// Element-wise activation functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Activation {
    /// max(x, 0)
    Relu,
    /// 1 / (1 + e^-x)
    Sigmoid,
}

/// A lowered operation. Every output element is defined over flat indices of the variable
/// operands named in [`Node::inputs`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Op {
    /// `out[i] = Σ rows[i] coeff·x + bias[i]`. With `exact`, coefficients are small integers
    /// (±1, from Add/Sub) applied without a parameter scale; otherwise they are model weights.
    Linear {
        /// Whether coefficients are exact small integers.
        exact: bool,
        /// Terms of each output element.
        rows: Vec<Vec<LinTerm>>,
        /// Constant added to each output element.
        bias: Vec<f32>,
    },
    /// `out[i] = a[pairs[i].0] · b[pairs[i].1]` for two variable operands.
    Product {
        /// Index pairs into operand 0 and operand 1.
        pairs: Vec<(usize, usize)>,
    },
    /// Element-wise activation of operand 0.
    Activation(Activation),
    /// Same data as operand 0 with another shape (Reshape, Flatten, Identity).
    View,
}

/// A node of the lowered graph.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// ONNX node name (or a generated one when the model leaves it empty).
    pub name: String,
    /// ONNX op type it came from.
    pub op_type: String,
    /// The lowered operation.
    pub op: Op,
    /// Variable operand tensor names.
    pub inputs: Vec<String>,
    /// Output tensor name.
    pub output: String,
    /// Output shape.
    pub shape: Vec<usize>,
}

/// A model input with its fixed shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GraphInput {
    /// Tensor name.
    pub name: String,
    /// Concrete shape (batch fixed to 1).
    pub shape: Vec<usize>,
}

impl GraphInput {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }
    /// Whether the input has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The lowered graph, nodes in topological order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Graph {
    /// Model inputs.
    pub inputs: Vec<GraphInput>,
    /// Output tensor names with their shapes.
    pub outputs: Vec<(String, Vec<usize>)>,
    /// Nodes in topological order.
    pub nodes: Vec<Node>,
}
