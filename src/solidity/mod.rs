//! Solidity side of the verifier: the calling convention of generated verifiers
//! (`verifyProof(bytes proof, uint256[] instances) returns (bool)`) and its calldata. The
//! verifier generator itself lands here next.

pub mod calldata;
pub mod spec;

pub use calldata::{encode_verify_call, VERIFY_SIGNATURE};
pub use spec::VerifierSpec;
