//! zkinfer's prover core: the fixed-point program a model is lowered into, its Halo2 circuit,
//! and keys, proofs and their calldata.
//!
//! The pipeline inside: [`quantize`] (the program and its witness) → [`circuit`] (Halo2
//! circuit, sizing) → [`proof`] (SRS, keys, prove, verify, transcript) → [`calldata`] (the
//! verifier's ABI). Nothing here loads ONNX, compiles Solidity, runs an EVM or talks to a chain,
//! so the crate builds for `wasm32-unknown-unknown` (the browser prover, `zkinfer-wasm`) with
//! its default `multicore` feature off.
#![warn(missing_docs)]

pub mod calldata;
pub mod circuit;
pub mod proof;
pub mod quantize;
