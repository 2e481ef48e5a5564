//! zkinfer's Solidity and EVM stages: [`solidity`] generates the verifier contract from a
//! verifying key (values computed in Rust, filled into the templates in `templates/`), and
//! [`evm`] compiles it with solc (`foundry-compilers`) and runs it in an in-process `revm` with
//! a gas report.
#![warn(missing_docs)]

pub mod evm;
pub mod solidity;
