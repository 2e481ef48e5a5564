//! The EVM side: finding solc, compiling Solidity with `foundry-compilers`, and running
//! bytecode in an in-process `revm` with gas accounting.

pub mod compile;
pub mod exec;
pub mod profile;
pub mod solc;

pub use compile::{compile, compile_with, Compiled};
pub use exec::{intrinsic_gas, CallOutcome, Deployed, LocalEvm};
pub use profile::GasProfile;
pub use solc::find_solc;

/// Errors of the EVM stage.
#[derive(Debug, thiserror::Error)]
pub enum EvmError {
    /// No usable solc was found.
    #[error("no solc found (tried: {tried}); pass --solc PATH, set $SOLC, put solc on PATH, or run `npm ci` in the zkinfer checkout for the bundled solcjs")]
    SolcNotFound {
        /// What was tried, in order.
        tried: String,
    },
    /// solc could not be run or its output not read.
    #[error("solc at {path}: {reason}")]
    Solc {
        /// Compiler path.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The source did not compile.
    #[error("compilation failed:\n{0}")]
    Compile(String),
    /// Deployment failed in the EVM.
    #[error("deployment failed: {0}")]
    Deploy(String),
    /// A call could not be executed (not a revert: a revert is a [`CallOutcome`]).
    #[error("EVM call failed: {0}")]
    Call(String),
}
