//! The oracle operator's service (`zkinfer operator`): it watches an InferenceOracle for
//! inference requests (at a confirmation depth, resuming from its cursor, rewinding after
//! reorgs), proves each with the model's build, and fulfils it with a transaction, checking on
//! chain first that the request is still open so that a restart never posts twice. Its state
//! lives in one SQLite file ([`store`]); it serves `/metrics`, `/healthz` and `/jobs/{id}`
//! ([`http`]).

pub mod config;
pub mod http;
pub mod job;
pub mod oracle;
pub mod queue;
pub mod service;
pub mod store;
pub mod worker;

pub use config::Config;
pub use service::{run, status, RunOptions, RunReport, StatusReport};

/// Errors of the operator.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// The config file cannot be used.
    #[error("operator config {path}: {reason}")]
    Config {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The state file cannot be used.
    #[error("operator state {path}: {reason}")]
    State {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A served model's build does not match the oracle's registration, or cannot be loaded.
    #[error("model {model}: {reason}")]
    Model {
        /// The model id as configured.
        model: String,
        /// What is wrong.
        reason: String,
    },
    /// The oracle or the chain cannot be used.
    #[error(transparent)]
    Chain(#[from] crate::chain::ChainError),
    /// The NATS server cannot be used.
    #[error("NATS {url}: {reason}")]
    Queue {
        /// Server URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The HTTP endpoint cannot start.
    #[error("operator endpoint: {0}")]
    Http(String),
}
