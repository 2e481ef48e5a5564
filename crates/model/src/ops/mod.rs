//! One file per supported ONNX op, registered by name in [`REGISTRY`].
//!
//! Each op file exposes `lower(&LowerCtx) -> Result<Lowered, ModelError>`. The loader looks the
//! node's op type up in the table; an op type that is not there is
//! [`ModelError::UnsupportedOp`]. Nodes whose outputs tract folds to constants (for example
//! shape arithmetic feeding a Reshape) never reach the table.

mod abs;
mod add;
mod and;
mod arg_extreme;
mod argmax;
mod argmin;
mod array_feature_extractor;
mod average_pool;
mod batch_normalization;
mod binarizer;
mod broadcast;
pub(crate) mod cast;
mod classify;
mod clip;
mod compare;
mod compose;
mod concat;
mod constant;
mod conv;
mod conv_transpose;
mod div;
mod einsum;
mod elementwise;
mod elu;
mod equal;
mod erf;
mod exp;
mod expand;
mod extremum;
mod flatten;
mod gather;
mod gelu;
mod gemm;
mod global_average_pool;
mod global_max_pool;
mod greater;
mod greater_or_equal;
mod gru;
mod hard_sigmoid;
mod hard_swish;
mod identity;
mod imputer;
mod instance_normalization;
mod label_encoder;
mod layer_normalization;
mod leaky_relu;
mod less;
mod less_or_equal;
mod linear_classifier;
mod linear_regressor;
mod log;
mod log_softmax;
mod logic;
mod lstm;
mod matmul;
mod max;
mod max_pool;
mod min;
mod mul;
mod neg;
mod normalize;
mod normalizer;
mod not;
mod one_hot_encoder;
mod or;
mod pad;
mod pool;
mod pow;
mod prelu;
mod reciprocal;
mod recurrent;
mod reduce;
mod reduce_max;
mod reduce_mean;
mod reduce_min;
mod reduce_sum;
mod relu;
mod reshape;
mod rnn;
mod scaler;
mod selu;
mod shape;
mod shrink;
mod sigmoid;
mod sign;
mod slice;
mod softmax;
mod softplus;
mod softsign;
mod split;
mod sqrt;
mod squeeze;
mod sub;
mod sum;
mod svm;
mod svm_classifier;
mod svm_regressor;
mod tanh;
mod tile;
mod transpose;
mod tree;
mod tree_ensemble_classifier;
mod tree_ensemble_regressor;
mod unsqueeze;
mod where_op;
mod xor;
mod zip_map;

use super::graph::{Activation, Op, Tensor};
use super::ModelError;
use tract_onnx::pb::NodeProto;

/// The most circuit rows one node may lower into (2^24: proving beyond that needs more memory
/// than a prover machine has; checked before the lowering is built).
pub const MAX_TERMS: usize = 1 << 24;

/// Rows per element of a running maximum step (subtract, relu lookup, add).
pub const ROWS_PER_MAX: usize = 8;

/// An operand of an ONNX node as seen by the lowering code.
#[derive(Clone, Debug)]
pub enum Operand {
    /// A tensor computed from the model inputs.
    Var {
        /// Tensor name.
        name: String,
        /// Concrete shape.
        shape: Vec<usize>,
    },
    /// A tensor whose value is known at compile time.
    Const(Tensor),
    /// An optional input left empty.
    Absent,
}

impl Operand {
    /// Shape of a present operand.
    pub fn shape(&self) -> Option<&[usize]> {
        match self {
            Operand::Var { shape, .. } => Some(shape),
            Operand::Const(t) => Some(&t.shape),
            Operand::Absent => None,
        }
    }
}

/// What a node lowers into.
#[derive(Clone, Debug)]
pub enum Lowered {
    /// A computation over variable operands (their tensor names, in operand order).
    Op(Op, Vec<String>),
    /// A constant tensor.
    Const(Tensor),
    /// Several computations; the last one produces the node's output (see [`Composite`]).
    Graph(Vec<SubNode>),
}

/// One computation of a composite lowering.
#[derive(Clone, Debug)]
pub struct SubNode {
    /// The operation.
    pub op: Op,
    /// Variable operand tensor names.
    pub inputs: Vec<String>,
    /// Output tensor name.
    pub output: String,
    /// Output shape.
    pub shape: Vec<usize>,
}

/// Builds a composite lowering: intermediate tensors are named `<output>#<i>`, the last
/// computation writes the node's output tensor.
pub struct Composite {
    out: String,
    nodes: Vec<SubNode>,
}

impl Composite {
    /// An empty composite for the node of `ctx`.
    pub fn new(ctx: &LowerCtx) -> Self {
        Composite {
            out: ctx.output.to_string(),
            nodes: Vec::new(),
        }
    }

    /// Whether nothing was added yet.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Adds a computation and returns the name of its output tensor.
    pub fn add(&mut self, op: Op, inputs: Vec<String>, shape: Vec<usize>) -> String {
        let output = format!("{}#{}", self.out, self.nodes.len());
        self.nodes.push(SubNode {
            op,
            inputs,
            output: output.clone(),
            shape,
        });
        output
    }

    /// Adds a computation that writes the node's output tensor `name` (one of several
    /// outputs, see [`LowerCtx::outputs`]).
    pub fn add_output(&mut self, op: Op, inputs: Vec<String>, shape: Vec<usize>, name: &str) {
        self.nodes.push(SubNode {
            op,
            inputs,
            output: name.to_string(),
            shape,
        });
    }

    fn is_temp(&self, name: &str) -> bool {
        name.strip_prefix(self.out.as_str()).is_some_and(|r| r.starts_with('#'))
    }

    /// The lowering; the last computation's output becomes the node's output unless it
    /// was added with [`Composite::add_output`].
    pub fn finish(mut self) -> Lowered {
        if self.nodes.len() == 1 && (self.nodes[0].output == self.out || self.is_temp(&self.nodes[0].output)) {
            let n = self.nodes.pop().expect("one node");
            return Lowered::Op(n.op, n.inputs);
        }
        let temp = self.nodes.last().is_some_and(|l| self.is_temp(&l.output));
        if let Some(last) = self.nodes.last_mut().filter(|_| temp) {
            last.output = self.out;
        }
        Lowered::Graph(self.nodes)
    }
}

/// The operand number of tensor `name` in a node's operand list `names`, appending it when it is
/// not there yet.
pub(crate) fn operand_index(names: &mut Vec<String>, name: &str) -> usize {
    names.iter().position(|n| n == name).unwrap_or_else(|| {
        names.push(name.to_string());
        names.len() - 1
    })
}

/// Everything an op's lowering function may look at.
pub struct LowerCtx<'a> {
    /// Node name.
    pub node: &'a str,
    /// The ONNX node.
    pub proto: &'a NodeProto,
    /// Operands, one per ONNX input slot.
    pub inputs: Vec<Operand>,
    /// Output shape inferred by tract.
    pub out_shape: Vec<usize>,
    /// Output tensor name (the first output).
    pub output: &'a str,
    /// Every output of the node (name, shape when tract knows it); most ops produce only the
    /// first, and a later reader of another one gets an error naming it.
    pub outputs: Vec<(String, Option<Vec<usize>>)>,
    /// The model's default-domain opset version.
    pub opset: i64,
    /// The ONNX element type of each input, where the model states or implies it (declared
    /// inputs, initializers, value infos, casts, comparisons; see `onnx::check_forms`).
    pub input_types: Vec<Option<i32>>,
}

impl LowerCtx<'_> {
    /// An [`ModelError::InvalidNode`] for this node.
    pub fn err(&self, reason: impl Into<String>) -> ModelError {
        ModelError::InvalidNode {
            node: self.node.to_string(),
            op_type: self.proto.op_type.clone(),
            reason: reason.into(),
        }
    }

    /// A [`ModelError::UnsupportedForm`] for this node: a supported op in a form zkinfer does
    /// not prove.
    pub fn unsupported_form(&self, reason: impl Into<String>) -> ModelError {
        ModelError::UnsupportedForm {
            node: self.node.to_string(),
            op_type: self.proto.op_type.clone(),
            reason: reason.into(),
        }
    }

    /// Operand `i`, or an error if the slot is missing.
    pub fn input(&self, i: usize) -> Result<&Operand, ModelError> {
        match self.inputs.get(i) {
            Some(Operand::Absent) | None => Err(self.err(format!("missing input #{i}"))),
            Some(op) => Ok(op),
        }
    }

    /// Integer attribute with a default.
    pub fn attr_int(&self, name: &str, default: i64) -> i64 {
        self.proto.attribute.iter().find(|a| a.name == name).map(|a| a.i).unwrap_or(default)
    }

    /// Integer list attribute (`None` when absent).
    pub fn attr_ints(&self, name: &str) -> Option<Vec<i64>> {
        self.proto.attribute.iter().find(|a| a.name == name).map(|a| a.ints.clone())
    }

    /// String attribute with a default.
    pub fn attr_str(&self, name: &str, default: &str) -> String {
        self.proto
            .attribute
            .iter()
            .find(|a| a.name == name)
            .map(|a| String::from_utf8_lossy(&a.s).into_owned())
            .unwrap_or_else(|| default.to_string())
    }

    /// Whether the node sets attribute `name`.
    pub fn has_attr(&self, name: &str) -> bool {
        self.proto.attribute.iter().any(|a| a.name == name)
    }

    /// The variable operand at slot `i` (name, shape), or an error naming the slot.
    pub fn var(&self, i: usize) -> Result<(String, Vec<usize>), ModelError> {
        match self.input(i)? {
            Operand::Var { name, shape } => Ok((name.clone(), shape.clone())),
            _ => Err(self.err(format!("input #{i} must be computed from the model inputs"))),
        }
    }

    /// The constant operand at slot `i`, or an error naming what it must be.
    pub fn konst(&self, i: usize, what: &str) -> Result<&Tensor, ModelError> {
        match self.input(i)? {
            Operand::Const(t) => Ok(t),
            _ => Err(self.err(format!(
                "{what} (input #{i}) must be a constant; computed values are not supported there"
            ))),
        }
    }

    /// Optional constant at slot `i` (`None` when the slot is empty or missing).
    pub fn opt_konst(&self, i: usize, what: &str) -> Result<Option<&Tensor>, ModelError> {
        match self.inputs.get(i) {
            None | Some(Operand::Absent) => Ok(None),
            Some(Operand::Const(t)) => Ok(Some(t)),
            Some(Operand::Var { .. }) => Err(self.err(format!(
                "{what} (input #{i}) must be a constant; computed values are not supported there"
            ))),
        }
    }

    /// Refuses a lowering that would need more than [`MAX_TERMS`] multiply-accumulate terms
    /// (each one a circuit row) before building it.
    pub fn check_terms(&self, terms: usize) -> Result<(), ModelError> {
        if terms > MAX_TERMS {
            return Err(self.err(format!(
                "needs about {terms} circuit rows, more than the 2^24 one node may use (use a smaller input, batch or kernel)"
            )));
        }
        Ok(())
    }

    /// The integer values of the constant at slot `i`.
    pub fn const_ints(&self, i: usize, what: &str) -> Result<Vec<i64>, ModelError> {
        Ok(self.konst(i, what)?.data.iter().map(|&v| v as i64).collect())
    }

    /// The integer values of the optional constant at slot `i`.
    pub fn opt_const_ints(&self, i: usize, what: &str) -> Result<Option<Vec<i64>>, ModelError> {
        Ok(self.opt_konst(i, what)?.map(|t| t.data.iter().map(|&v| v as i64).collect()))
    }

    /// An axis attribute or input value normalised into `0..rank`.
    pub fn axis(&self, axis: i64, rank: usize) -> Result<usize, ModelError> {
        let a = if axis < 0 { axis + rank as i64 } else { axis };
        if a < 0 || a >= rank as i64 {
            return Err(self.err(format!("axis {axis} is out of range for rank {rank}")));
        }
        Ok(a as usize)
    }

    /// Float list attribute, or its double-precision `<name>_as_tensor` form (`None` when
    /// both are absent).
    pub fn attr_floats(&self, name: &str) -> Result<Option<Vec<f64>>, ModelError> {
        if let Some(a) = self.proto.attribute.iter().find(|a| a.name == name) {
            return Ok(Some(a.floats.iter().map(|&v| v as f64).collect()));
        }
        let tensor = format!("{name}_as_tensor");
        match self.proto.attribute.iter().find(|a| a.name == tensor).and_then(|a| a.t.as_ref()) {
            Some(t) => super::elem::tensor_values(t, &tensor)
                .map(Some)
                .map_err(|e| self.err(format!("attribute `{tensor}`: {e}"))),
            None => Ok(None),
        }
    }

    /// String list attribute (`None` when absent).
    pub fn attr_strs(&self, name: &str) -> Option<Vec<String>> {
        self.proto
            .attribute
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.strings.iter().map(|s| String::from_utf8_lossy(s).into_owned()).collect())
    }

    /// Float attribute with a default.
    pub fn attr_float(&self, name: &str, default: f32) -> f32 {
        self.proto.attribute.iter().find(|a| a.name == name).map(|a| a.f).unwrap_or(default)
    }

    /// The single variable operand of a unary op.
    pub fn unary_var(&self) -> Result<String, ModelError> {
        match self.input(0)? {
            Operand::Var { name, .. } => Ok(name.clone()),
            _ => Err(self.err("input #0 must be computed from the model inputs")),
        }
    }
}

/// A unary op proven by one lookup table of `f`.
pub fn unary(ctx: &LowerCtx, f: Activation) -> Result<Lowered, ModelError> {
    Ok(Lowered::Op(Op::Activation(f), vec![ctx.unary_var()?]))
}

/// A lowering function.
pub type LowerFn = fn(&LowerCtx) -> Result<Lowered, ModelError>;

/// The op table: ONNX op type → lowering function.
pub const REGISTRY: &[(&str, LowerFn)] = &[
    ("Abs", abs::lower),
    ("Add", add::lower),
    ("And", and::lower),
    ("ArgMax", argmax::lower),
    ("ArgMin", argmin::lower),
    ("ArrayFeatureExtractor", array_feature_extractor::lower),
    ("AveragePool", average_pool::lower),
    ("BatchNormalization", batch_normalization::lower),
    ("Binarizer", binarizer::lower),
    ("Cast", cast::lower),
    ("Clip", clip::lower),
    ("Concat", concat::lower),
    ("Constant", constant::lower),
    ("Conv", conv::lower),
    ("ConvTranspose", conv_transpose::lower),
    ("Div", div::lower),
    ("Einsum", einsum::lower),
    ("Elu", elu::lower),
    ("Equal", equal::lower),
    ("Erf", erf::lower),
    ("Exp", exp::lower),
    ("Expand", expand::lower),
    ("Flatten", flatten::lower),
    ("Gather", gather::lower),
    ("Gelu", gelu::lower),
    ("Gemm", gemm::lower),
    ("GlobalAveragePool", global_average_pool::lower),
    ("GlobalMaxPool", global_max_pool::lower),
    ("GRU", gru::lower),
    ("Greater", greater::lower),
    ("GreaterOrEqual", greater_or_equal::lower),
    ("HardSigmoid", hard_sigmoid::lower),
    ("HardSwish", hard_swish::lower),
    ("Identity", identity::lower),
    ("Imputer", imputer::lower),
    ("InstanceNormalization", instance_normalization::lower),
    ("LabelEncoder", label_encoder::lower),
    ("LayerNormalization", layer_normalization::lower),
    ("LeakyRelu", leaky_relu::lower),
    ("Less", less::lower),
    ("LessOrEqual", less_or_equal::lower),
    ("LinearClassifier", linear_classifier::lower),
    ("LinearRegressor", linear_regressor::lower),
    ("Log", log::lower),
    ("LogSoftmax", log_softmax::lower),
    ("LSTM", lstm::lower),
    ("MatMul", matmul::lower),
    ("Max", max::lower),
    ("MaxPool", max_pool::lower),
    ("Min", min::lower),
    ("Mul", mul::lower),
    ("Neg", neg::lower),
    ("Normalizer", normalizer::lower),
    ("Not", not::lower),
    ("OneHotEncoder", one_hot_encoder::lower),
    ("Or", or::lower),
    ("PRelu", prelu::lower),
    ("Pad", pad::lower),
    ("Pow", pow::lower),
    ("Reciprocal", reciprocal::lower),
    ("ReduceMax", reduce_max::lower),
    ("ReduceMean", reduce_mean::lower),
    ("ReduceMin", reduce_min::lower),
    ("ReduceSum", reduce_sum::lower),
    ("Relu", relu::lower),
    ("Reshape", reshape::lower),
    ("RNN", rnn::lower),
    ("SVMClassifier", svm_classifier::lower),
    ("SVMRegressor", svm_regressor::lower),
    ("Scaler", scaler::lower),
    ("Selu", selu::lower),
    ("Shrink", shrink::lower),
    ("Sigmoid", sigmoid::lower),
    ("Sign", sign::lower),
    ("Slice", slice::lower),
    ("Softmax", softmax::lower),
    ("Softplus", softplus::lower),
    ("Softsign", softsign::lower),
    ("Split", split::lower),
    ("Sqrt", sqrt::lower),
    ("Squeeze", squeeze::lower),
    ("Sub", sub::lower),
    ("Sum", sum::lower),
    ("Tanh", tanh::lower),
    ("Tile", tile::lower),
    ("Transpose", transpose::lower),
    ("TreeEnsembleClassifier", tree_ensemble_classifier::lower),
    ("TreeEnsembleRegressor", tree_ensemble_regressor::lower),
    ("Unsqueeze", unsqueeze::lower),
    ("Where", where_op::lower),
    ("Xor", xor::lower),
    ("ZipMap", zip_map::lower),
];

/// Looks an op type up in the registry.
pub fn lookup(op_type: &str) -> Option<LowerFn> {
    REGISTRY.iter().find(|(name, _)| *name == op_type).map(|(_, f)| *f)
}

/// Comma-separated names of all supported op types.
pub fn supported_list() -> String {
    REGISTRY.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
pub(crate) mod test_util {
    use super::*;

    /// A context for unit tests of lowering functions.
    pub fn ctx(op_type: &str, inputs: Vec<Operand>, out_shape: Vec<usize>) -> (NodeProto, Vec<Operand>, Vec<usize>) {
        let proto = NodeProto {
            op_type: op_type.into(),
            name: "n".into(),
            ..Default::default()
        };
        (proto, inputs, out_shape)
    }

    /// A variable operand.
    pub fn var(name: &str, shape: &[usize]) -> Operand {
        Operand::Var {
            name: name.into(),
            shape: shape.to_vec(),
        }
    }

    /// A constant operand.
    pub fn konst(shape: &[usize], data: &[f32]) -> Operand {
        Operand::Const(Tensor {
            shape: shape.to_vec(),
            data: data.to_vec(),
        })
    }

    /// Runs a lowering function on a test context.
    pub fn run(f: LowerFn, op_type: &str, inputs: Vec<Operand>, out_shape: &[usize]) -> Result<Lowered, ModelError> {
        let (proto, inputs, out_shape) = ctx(op_type, inputs, out_shape.to_vec());
        f(&LowerCtx {
            node: "n",
            proto: &proto,
            inputs,
            outputs: vec![("y".into(), Some(out_shape.clone()))],
            out_shape,
            output: "y",
            opset: 13,
            input_types: vec![],
        })
    }

    /// A node under test with attributes.
    pub struct TestNode {
        proto: NodeProto,
        inputs: Vec<Operand>,
        out: Vec<usize>,
        outputs: Vec<(String, Option<Vec<usize>>)>,
        opset: i64,
        input_types: Vec<Option<i32>>,
    }

    /// A test node of `op_type` with operands and output shape (opset 13).
    pub fn ctx_with(op_type: &str, inputs: Vec<Operand>, out: &[usize]) -> TestNode {
        let (proto, inputs, out) = ctx(op_type, inputs, out.to_vec());
        TestNode {
            proto,
            inputs,
            outputs: vec![("y".into(), Some(out.clone()))],
            out,
            opset: 13,
            input_types: vec![],
        }
    }

    impl TestNode {
        /// Declares the ONNX element types of the inputs.
        pub fn input_types(&mut self, types: &[Option<i32>]) {
            self.input_types = types.to_vec();
        }
        fn set(&mut self, a: tract_onnx::pb::AttributeProto) {
            self.proto.attribute.retain(|x| x.name != a.name);
            self.proto.attribute.push(a);
        }
        /// Sets an integer attribute.
        pub fn int(&mut self, name: &str, i: i64) {
            self.set(tract_onnx::pb::AttributeProto {
                name: name.into(),
                i,
                ..Default::default()
            });
        }
        /// Sets an integer list attribute.
        pub fn ints(&mut self, name: &str, v: &[i64]) {
            self.set(tract_onnx::pb::AttributeProto {
                name: name.into(),
                ints: v.to_vec(),
                ..Default::default()
            });
        }
        /// Sets a float attribute.
        pub fn float(&mut self, name: &str, f: f32) {
            self.set(tract_onnx::pb::AttributeProto {
                name: name.into(),
                f,
                ..Default::default()
            });
        }
        /// Sets a float list attribute.
        pub fn floats(&mut self, name: &str, v: &[f32]) {
            self.set(tract_onnx::pb::AttributeProto {
                name: name.into(),
                floats: v.to_vec(),
                ..Default::default()
            });
        }
        /// Sets a string list attribute.
        pub fn strings(&mut self, name: &str, v: &[&str]) {
            self.set(tract_onnx::pb::AttributeProto {
                name: name.into(),
                strings: v.iter().map(|s| s.as_bytes().to_vec()).collect(),
                ..Default::default()
            });
        }
        /// Sets a string attribute.
        pub fn string(&mut self, name: &str, v: &str) {
            self.set(tract_onnx::pb::AttributeProto {
                name: name.into(),
                s: v.as_bytes().to_vec(),
                ..Default::default()
            });
        }
        /// Sets the opset version.
        pub fn opset(&mut self, v: i64) {
            self.opset = v;
        }
        /// Declares the node's outputs (the first is `y` with the node's output shape).
        pub fn outputs(&mut self, shapes: &[&[usize]]) {
            self.outputs = shapes
                .iter()
                .enumerate()
                .map(|(i, s)| (if i == 0 { "y".to_string() } else { format!("y{i}") }, Some(s.to_vec())))
                .collect();
            self.proto.output = self.outputs.iter().map(|(n, _)| n.clone()).collect();
        }
        /// Leaves output `k` of the node unnamed (an absent optional output).
        pub fn absent_output(&mut self, k: usize) {
            self.proto.output[k].clear();
            self.outputs.retain(|(n, _)| n != &format!("y{k}"));
        }
        /// Runs a lowering function.
        pub fn run(&self, f: LowerFn) -> Result<Lowered, ModelError> {
            f(&LowerCtx {
                node: "n",
                proto: &self.proto,
                inputs: self.inputs.clone(),
                out_shape: self.out.clone(),
                output: "y",
                outputs: self.outputs.clone(),
                opset: self.opset,
                input_types: self.input_types.clone(),
            })
        }
    }

    fn op_name(op: &Op) -> &'static str {
        match op {
            Op::Linear { .. } => "Linear",
            Op::Product { .. } => "Product",
            Op::Dot { .. } => "Dot",
            Op::Activation(_) => "Activation",
            Op::View => "View",
            Op::Select { .. } => "Select",
            Op::Threshold { .. } => "Threshold",
        }
    }

    /// The kinds of the lowered ops, in order.
    pub fn graph_ops(l: &Lowered) -> Vec<&'static str> {
        match l {
            Lowered::Op(op, _) => vec![op_name(op)],
            Lowered::Graph(g) => g.iter().map(|n| op_name(&n.op)).collect(),
            Lowered::Const(_) => vec![],
        }
    }

    /// The activation of a single-op lowering.
    pub fn activation_of(l: &Lowered) -> Activation {
        match l {
            Lowered::Op(Op::Activation(f), _) => *f,
            other => panic!("not an activation: {other:?}"),
        }
    }

    /// The last activation of a lowering.
    pub fn last_activation(l: &Lowered) -> Activation {
        match l {
            Lowered::Graph(g) => g
                .iter()
                .rev()
                .find_map(|n| if let Op::Activation(f) = n.op { Some(f) } else { None })
                .expect("an activation"),
            other => activation_of(other),
        }
    }

    /// The activation a unary op lowers to.
    pub fn unary_of(f: LowerFn, op_type: &str) -> Activation {
        activation_of(&ctx_with(op_type, vec![var("x", &[2])], &[2]).run(f).unwrap())
    }

    /// Evaluates a lowering in floating point: `inputs` holds the values of the variable
    /// operands by tensor name; returns the node's output.
    pub fn eval_lowered(l: &Lowered, inputs: &[(&str, Vec<f64>)]) -> Vec<f64> {
        use std::collections::HashMap;
        let mut env: HashMap<String, Vec<f64>> = inputs.iter().map(|(n, v)| (n.to_string(), v.clone())).collect();
        let nodes: Vec<(Op, Vec<String>, String)> = match l {
            Lowered::Op(op, ins) => vec![(op.clone(), ins.clone(), "y".into())],
            Lowered::Graph(g) => g.iter().map(|n| (n.op.clone(), n.inputs.clone(), n.output.clone())).collect(),
            Lowered::Const(t) => return t.data.iter().map(|&v| v as f64).collect(),
        };
        let mut last = Vec::new();
        for (op, ins, out) in nodes {
            let x: Vec<&[f64]> = ins.iter().map(|n| env[n].as_slice()).collect();
            let y = op.eval_float(&x);
            env.insert(out, y.clone());
            last = y;
        }
        last
    }

    /// Evaluates a lowering in floating point; returns every tensor it computes, by name
    /// (outputs written with `Composite::add_output` under their own names, a single op's
    /// output as `y`).
    pub fn eval_all(l: &Lowered, inputs: &[(&str, Vec<f64>)]) -> std::collections::HashMap<String, Vec<f64>> {
        let mut env: std::collections::HashMap<String, Vec<f64>> = inputs.iter().map(|(n, v)| (n.to_string(), v.clone())).collect();
        let nodes: Vec<(Op, Vec<String>, String)> = match l {
            Lowered::Op(op, ins) => vec![(op.clone(), ins.clone(), "y".into())],
            Lowered::Graph(g) => g.iter().map(|n| (n.op.clone(), n.inputs.clone(), n.output.clone())).collect(),
            Lowered::Const(t) => return [("y".to_string(), t.data.iter().map(|&v| v as f64).collect())].into(),
        };
        for (op, ins, out) in nodes {
            let x: Vec<&[f64]> = ins.iter().map(|n| env[n].as_slice()).collect();
            let y = op.eval_float(&x);
            env.insert(out, y);
        }
        env
    }

    /// The operand-0 indices of a single Select lowering.
    pub fn selected(l: &Lowered) -> Vec<usize> {
        match l {
            Lowered::Op(Op::Select { sources }, _) => sources
                .iter()
                .map(|s| match s {
                    crate::graph::Source::Wire { index, .. } => *index,
                    crate::graph::Source::Const(_) => usize::MAX,
                })
                .collect(),
            other => panic!("not a select: {other:?}"),
        }
    }
}
