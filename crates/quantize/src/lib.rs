//! Quantization: lowering the op graph of an imported model ([`zkinfer_model::Graph`]) to the
//! fixed-point integer [`Program`] of `zkinfer-core`, and calibrating its scales and lookup
//! ranges on sample data.
//!
//! The program format, its evaluation (the witness) and its tables live in
//! [`zkinfer_core::quantize`] (they are what the prover needs, also in the browser); they are
//! re-exported here so one path names the whole stage.
#![warn(missing_docs)]

pub mod build;
pub mod calibrate;

pub use build::{build, QuantConfig};
pub use calibrate::{calibrate, CalibrateOptions, Calibrated, FidelityReport, Target, WhenInaccurate};
pub use zkinfer_core::quantize::{activation, bounds, eval, program, remainder, tables};
pub use zkinfer_core::quantize::{
    Activation, InstanceKind, InstanceSlot, Param, ParamUse, Part, Program, PublicSource, QuantizeError, SizeFn, Step, StepKind, TableKind,
    TableSpec, Vis, Visibility, Wire, Witness,
};
