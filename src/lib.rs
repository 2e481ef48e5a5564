//! zkinfer: zero-knowledge proofs of ONNX model inference, checkable on-chain.
//!
//! The pipeline, one module per stage: [`model`] (ONNX import) → [`quantize`] (fixed point,
//! calibration) → [`circuit`] (Halo2 circuit) → [`proof`] (SRS, keys, prove, verify) →
//! [`cli`] (commands and the reporter).
#![warn(missing_docs)]

pub mod chain;
pub mod circuit;
pub mod cli;
pub mod evm;
pub mod model;
pub mod operator;
pub mod pipeline;
pub mod proof;
pub mod quantize;
pub mod solidity;
