//! The fixed-point integer [`Program`] a model is lowered into (by the `zkinfer-quantize`
//! crate), evaluating it (the witness), and its lookup tables.
//!
//! Values are integers `v` standing for `v / 2^scale`. Linear steps multiply by weights
//! quantized at the parameter scale, so scales add up; before a nonlinearity (and before a
//! weight layer whose input scale has grown too large) a lookup step divides by a power of two
//! with a range-checked remainder, rounding to nearest.

pub mod activation;
pub mod bounds;
pub mod eval;
pub mod program;
pub mod remainder;
pub mod tables;

pub use activation::{Activation, Param};
pub use eval::Witness;
pub use program::{InstanceKind, InstanceSlot, ParamUse, Part, Program, PublicSource, Step, StepKind, Vis, Visibility, Wire};
pub use tables::{TableKind, TableSpec};

/// Errors of the quantization stage and of witness generation.
#[derive(Debug, thiserror::Error)]
pub enum QuantizeError {
    /// A value left a lookup table's calibrated range while generating the witness.
    #[error("node `{node}`: value {value} is outside the calibrated {table} range [{lo}, {hi}] (calibrated on the sample data); recompile with data that covers this input or a larger --range-margin")]
    OutOfRange {
        /// Node name.
        node: String,
        /// Table description.
        table: String,
        /// Offending (quantized) value.
        value: i128,
        /// Lower bound.
        lo: i64,
        /// Upper bound.
        hi: i64,
    },
    /// A value grew beyond what the circuit can represent safely.
    #[error("node `{node}`: intermediate value {value} exceeds the safe bound ±2^{bits}; use smaller scales")]
    Overflow {
        /// Node name.
        node: String,
        /// Offending value.
        value: i128,
        /// Bound exponent.
        bits: u32,
    },
    /// Input data does not fit the program.
    #[error("input `{name}`: {reason}")]
    Input {
        /// Input name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// `compile --like`: the model is not of the reference build's architecture.
    #[error("the model's architecture differs from the reference build's ({difference}); --like needs a model of the same architecture (same ops, shapes and constants other than the hashed parameters)")]
    Architecture {
        /// Where they differ.
        difference: String,
    },
    /// Lowering a graph node into fixed-point steps failed.
    #[error("node `{node}`: {reason}")]
    Node {
        /// Node name.
        node: String,
        /// What is wrong.
        reason: String,
    },
    /// No scale choice satisfied the constraints.
    #[error("calibration failed: {0}")]
    Calibration(String),
    /// Float reference inference failed (the model import stage's error).
    #[error(transparent)]
    Model(Box<dyn std::error::Error + Send + Sync>),
}

/// Sizes a candidate program: its `k` and gate rows (the circuit stage's sizer, passed down so
/// quantization choices can weigh circuit size).
pub type SizeFn<'a> = &'a dyn Fn(&Program) -> (u32, usize);
