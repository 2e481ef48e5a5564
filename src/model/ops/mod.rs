//! One file per supported ONNX op, registered by name in [`REGISTRY`].
//!
//! Each op file exposes `lower(&LowerCtx) -> Result<Lowered, ModelError>`. The loader looks the
//! node's op type up in the table; an op type that is not there is
//! [`ModelError::UnsupportedOp`]. Nodes whose outputs tract folds to constants (for example
//! shape arithmetic feeding a Reshape) never reach the table.

mod add;
mod broadcast;
mod constant;
mod flatten;
mod gemm;
mod identity;
mod matmul;
mod mul;
mod relu;
mod reshape;
mod sigmoid;
mod sub;

use super::graph::{Op, Tensor};
use super::ModelError;
use tract_onnx::pb::NodeProto;

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

/// A lowering function.
pub type LowerFn = fn(&LowerCtx) -> Result<Lowered, ModelError>;

/// The op table: ONNX op type → lowering function.
pub const REGISTRY: &[(&str, LowerFn)] = &[
    ("Add", add::lower),
    ("Constant", constant::lower),
    ("Flatten", flatten::lower),
    ("Gemm", gemm::lower),
    ("Identity", identity::lower),
    ("MatMul", matmul::lower),
    ("Mul", mul::lower),
    ("Relu", relu::lower),
    ("Reshape", reshape::lower),
    ("Sigmoid", sigmoid::lower),
    ("Sub", sub::lower),
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
            out_shape,
        })
    }
}
