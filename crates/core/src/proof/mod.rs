//! The proof system: KZG SRS, proving and verifying keys, SHPLONK proofs over an EVM-friendly
//! Keccak transcript, and the files that carry them.

pub mod artifact;
pub mod bundle;
pub mod ceremony;
pub mod estimate;
pub mod inference;
pub mod keys;
pub mod proof_file;
pub mod prover;
pub mod srs;
pub mod srs_check;
pub mod srs_gen;
pub mod transcript;

pub use keys::{keygen, read_pk, read_vk, vk_hash, write_pk, write_vk};
pub use proof_file::{OutputValues, ProofFile};
pub use prover::{prove, verify};
pub use srs::{Srs, SrsSource};
pub use transcript::{EvmChallenge, EvmTranscript};

/// Errors of the proof system stage.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    /// A file could not be read or written.
    #[error("{path}: {reason}")]
    File {
        /// File path.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// An SRS file does not fit the circuit or is damaged.
    #[error("SRS {path}: {reason}")]
    Srs {
        /// File path.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Key generation failed.
    #[error("key generation failed: {0}")]
    Keygen(String),
    /// Proving failed.
    #[error("proving failed: {0}")]
    Prove(String),
    /// The proof does not verify.
    #[error("proof rejected: {0}")]
    Rejected(String),
    /// A proof file is malformed.
    #[error("proof file {path}: {reason}")]
    ProofFile {
        /// File path.
        path: String,
        /// What is wrong.
        reason: String,
    },
}
