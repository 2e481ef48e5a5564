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
pub use zkinfer_core::quantize::activation::{Activation, Param};

/// Where an element of a [`Op::Select`] output comes from.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Source {
    /// Element `index` of variable operand `operand`.
    Wire {
        /// Operand number.
        operand: usize,
        /// Flat index.
        index: usize,
    },
    /// A constant value.
    Const(f32),
}

/// How a [`Check`] compares a value with its threshold (ONNX tree ensembles' `nodes_modes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Cmp {
    /// `x ≤ t` (`BRANCH_LEQ`)
    Le,
    /// `x < t` (`BRANCH_LT`)
    Lt,
    /// `x ≥ t` (`BRANCH_GTE`)
    Ge,
    /// `x > t` (`BRANCH_GT`)
    Gt,
    /// `x = t` (`BRANCH_EQ`)
    Eq,
    /// `x ≠ t` (`BRANCH_NEQ`)
    Ne,
}

impl Cmp {
    /// The decision on floats, as ONNX runtimes take it (in single precision).
    pub fn holds(self, x: f64, t: f32) -> bool {
        let x = x as f32;
        match self {
            Cmp::Le => x <= t,
            Cmp::Lt => x < t,
            Cmp::Ge => x >= t,
            Cmp::Gt => x > t,
            Cmp::Eq => x == t,
            Cmp::Ne => x != t,
        }
    }

    /// For the order comparisons: whether the flag is 1 on the low side (`x ≤ cut`).
    pub fn low_side(self) -> bool {
        matches!(self, Cmp::Le | Cmp::Lt | Cmp::Eq)
    }
}

/// One 0/1 decision of an [`Op::Threshold`]: `x[index] cmp threshold`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// Flat index into operand 0.
    pub index: usize,
    /// The threshold (single precision, as the model stores it).
    pub threshold: f32,
    /// The comparison.
    pub cmp: Cmp,
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
    /// `out[i] = Σ a[p.0] · b[p.1]` over the index pairs `groups[i]` of two variable operands
    /// (a matrix product of two computed operands; proven with the dot gate).
    Dot {
        /// Index pairs into operand 0 and operand 1, per output element (none empty).
        groups: Vec<Vec<(usize, usize)>>,
    },
    /// Element-wise activation of operand 0.
    Activation(Activation),
    /// Same data as operand 0 with another shape (Reshape, Flatten, Identity).
    View,
    /// Each output element copied from an operand element or a constant: data movement
    /// (Transpose, Concat, Slice, Gather, Pad, Expand, Tile); no arithmetic.
    Select {
        /// Source of each output element.
        sources: Vec<Source>,
    },
    /// A 0/1 flag (scale 0) per check of operand 0 against a constant threshold: the splits of
    /// decision trees. Quantization chooses each threshold's integer cut so that calibration
    /// samples fall on the side the float model puts them on.
    Threshold {
        /// One check per output element.
        checks: Vec<Check>,
        /// Keep the cuts where the thresholds round to (decisions on computed scores, such as
        /// a classifier's label: quantized ties then go as the quantized scores say) instead of
        /// letting calibration move them between the samples (splits on features).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        fixed: bool,
    },
}

impl Op {
    /// Evaluates the op in floating point on its variable operands' values.
    pub fn eval_float(&self, x: &[&[f64]]) -> Vec<f64> {
        match self {
            Op::Linear { rows, bias, .. } => rows
                .iter()
                .zip(bias)
                .map(|(r, &b)| r.iter().map(|t| t.coeff as f64 * x[t.operand][t.index]).sum::<f64>() + b as f64)
                .collect(),
            Op::Product { pairs } => pairs.iter().map(|&(i, j)| x[0][i] * x[1][j]).collect(),
            Op::Dot { groups } => groups.iter().map(|g| g.iter().map(|&(i, j)| x[0][i] * x[1][j]).sum()).collect(),
            Op::Activation(f) => x[0].iter().map(|&v| f.eval(v)).collect(),
            Op::View => x[0].to_vec(),
            Op::Select { sources } => sources
                .iter()
                .map(|s| match *s {
                    Source::Wire { operand, index } => x[operand][index],
                    Source::Const(c) => c as f64,
                })
                .collect(),
            Op::Threshold { checks, .. } => checks
                .iter()
                .map(|c| if c.cmp.holds(x[0][c.index], c.threshold) { 1.0 } else { 0.0 })
                .collect(),
        }
    }
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

impl Graph {
    /// Evaluates the lowered graph in floating point on one sample (a flat list per input):
    /// the value of every tensor, by name. This is zkinfer's own reading of the model, used
    /// where the quantizer needs intermediate values (tree thresholds) and as the float
    /// reference when no runtime can run the model.
    pub fn eval_float(&self, sample: &[Vec<f64>]) -> std::collections::HashMap<String, Vec<f64>> {
        let mut env: std::collections::HashMap<String, Vec<f64>> =
            self.inputs.iter().zip(sample).map(|(i, v)| (i.name.clone(), v.clone())).collect();
        for n in &self.nodes {
            let x: Vec<&[f64]> = n.inputs.iter().map(|i| env.get(i).map(|v| v.as_slice()).unwrap_or(&[])).collect();
            let y = n.op.eval_float(&x);
            env.insert(n.output.clone(), y);
        }
        env
    }
}
