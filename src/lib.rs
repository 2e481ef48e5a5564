//! zkinfer: zero-knowledge proofs of ONNX model inference, checkable on-chain.
//!
//! The pipeline, one crate per stage and one module per stage here (re-exported, so
//! `zkinfer::proof::…` and the like name the whole toolkit): [`model`] (ONNX import,
//! `zkinfer-model`) → [`quantize`] (fixed point, calibration, `zkinfer-quantize`) → [`circuit`]
//! (Halo2 circuit) → [`proof`] (SRS, keys, prove, verify; both in `zkinfer-core`, which builds
//! for wasm32) → [`solidity`] → [`evm`] (verifier generator, solc, revm: `zkinfer-evm`) →
//! [`chain`] (alloy: `zkinfer-chain`) → [`pipeline`], [`operator`] and [`cli`] (this crate).
#![warn(missing_docs)]

pub use zkinfer_chain as chain;
pub use zkinfer_core::{calldata, circuit, proof};
pub use zkinfer_evm::{evm, solidity};
pub use zkinfer_model as model;
pub use zkinfer_quantize as quantize;

pub mod cli;
pub mod operator;
pub mod pipeline;
