//! Solidity side: the verifier generator (from a verifying key to a contract with
//! `verifyProof(bytes proof, uint256[] instances) returns (bool)`) and the calldata of that call.
//!
//! [`queries`] reads the proof layout and opening structure from the vk, [`codegen`] computes the
//! circuit-specific Yul, [`render`] fills the templates in `templates/`.

pub use zkinfer_core::calldata;
pub mod codegen;
pub mod expr;
pub mod queries;
pub mod reference;
pub mod render;
pub mod spec;

pub use calldata::{encode_verify_call, VERIFY_SIGNATURE};
pub use render::{render, Layout, VerifierSources};
pub use spec::VerifierSpec;

/// Errors of the Solidity stage.
#[derive(Debug, thiserror::Error)]
pub enum SolidityError {
    /// The circuit uses a feature the generator does not handle.
    #[error("the verifier generator does not support {0}")]
    Unsupported(String),
    /// The contract name is not a Solidity identifier.
    #[error("`{0}` is not a valid Solidity contract name (letters, digits and _, not starting with a digit)")]
    Name(String),
    /// A template failed to render.
    #[error("template rendering failed: {0}")]
    Template(String),
}
