//! The commands' library side: each function runs one step of the workflow on a build
//! directory and returns a serialisable report. The CLI only parses arguments and prints.
//!
//! A build directory holds `settings.json` (scales, k, visibility, tables, model hash, tool
//! version), `program.json` (the fixed-point program), and after `setup`: `kzg.srs`, `vk.bin`
//! and `pk.bin`.

pub mod attest;
pub mod bench;
pub mod calldata;
pub mod compile;
pub mod conformance;
pub mod demo;
pub mod deploy;
pub mod export_web;
pub mod fixture;
pub mod gas;
pub mod hash;
pub mod mock;
pub mod prove;
pub mod settings;
pub mod setup;
pub mod srs;
pub mod submit;
pub mod verifier;
pub mod verify;

pub use settings::Settings;

use crate::circuit::CircuitError;
use crate::model::ModelError;
use crate::proof::ProofError;
use crate::quantize::QuantizeError;
use std::path::{Path, PathBuf};

/// zkinfer's version, recorded in every artifact.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Warning attached to everything made with the development SRS.
pub const INSECURE_SRS_WARNING: &str =
    "INSECURE: made with the development SRS, whose secret is public; anyone can forge proofs for it. Use `setup --srs FILE` for production";

/// Any error of the workflow.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Model import.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Quantization or witness generation.
    #[error(transparent)]
    Quantize(#[from] QuantizeError),
    /// Circuit.
    #[error(transparent)]
    Circuit(#[from] CircuitError),
    /// Proof system.
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// Verifier generation.
    #[error(transparent)]
    Solidity(#[from] crate::solidity::SolidityError),
    /// Compilation or execution on the EVM.
    #[error(transparent)]
    Evm(#[from] crate::evm::EvmError),
    /// A real chain (RPC, keys, transactions, deployment records).
    #[error(transparent)]
    Chain(#[from] crate::chain::ChainError),
    /// A build directory is missing a file or holds an inconsistent one.
    #[error("build directory {path}: {reason}")]
    BuildDir {
        /// Directory.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Options that do not fit together.
    #[error("{0}")]
    Usage(String),
    /// The step is expected to need more memory than the machine has.
    #[error("not enough memory: {0}; a smaller --max-k, --tolerance or --scale at compile makes a smaller circuit (set ZKINFER_SKIP_MEMORY_CHECK=1 to try anyway)")]
    Memory(String),
}

/// Before a long step: tells the user what it is expected to cost, and refuses it up front
/// when the machine does not have the memory (unless `ZKINFER_SKIP_MEMORY_CHECK` is set), so a
/// circuit that cannot fit fails with the estimate instead of meeting the OOM killer.
pub(crate) fn check_memory(
    k: u32,
    shape: crate::circuit::CircuitShape,
    what: crate::proof::estimate::Step,
    progress: &dyn Progress,
) -> Result<crate::proof::estimate::Estimate, Error> {
    use crate::proof::estimate::{available_memory_mb, estimate, mb_text, prover_threads};
    let e = estimate(k, shape, prover_threads());
    let available = available_memory_mb();
    progress.note(&format!(
        "expected for k {}: about {} peak memory{}, about {:.0} s on {} thread(s)",
        k,
        mb_text(e.peak_mb(what)),
        available.map(|a| format!(" (of {} available)", mb_text(a))).unwrap_or_default(),
        e.seconds(what).max(1.0),
        e.threads
    ));
    if std::env::var_os("ZKINFER_SKIP_MEMORY_CHECK").is_none() {
        e.fits(what, available).map_err(Error::Memory)?;
    }
    Ok(e)
}

/// Receives progress of long steps (a spinner on a terminal, nothing otherwise).
pub trait Progress {
    /// A step starts.
    fn start(&self, _what: &str) {}
    /// The current step ends.
    fn done(&self, _what: &str, _seconds: f64) {}
    /// The current step ends with an error (reported by the caller).
    fn failed(&self, _what: &str, _seconds: f64) {}
    /// A line for the user about what is happening (what will be sent, what was found).
    fn note(&self, _message: &str) {}
    /// The current step advanced to `done` of `total` units (a progress bar on a terminal).
    fn advance(&self, _done: u64, _total: u64) {}
}

/// A [`Progress`] that shows nothing.
pub struct Silent;
impl Progress for Silent {}

/// Runs `f` as a named step; an `Err` ends it as failed.
pub fn step<T, E>(p: &dyn Progress, what: &str, f: impl FnOnce() -> Result<T, E>) -> (Result<T, E>, f64) {
    p.start(what);
    let t = std::time::Instant::now();
    let out = f();
    let s = t.elapsed().as_secs_f64();
    if out.is_ok() {
        p.done(what, s);
    } else {
        p.failed(what, s);
    }
    (out, s)
}

/// Paths inside a build directory.
#[derive(Clone, Debug)]
pub struct BuildDir(pub PathBuf);

impl BuildDir {
    /// `settings.json`
    pub fn settings(&self) -> PathBuf {
        self.0.join("settings.json")
    }
    /// `program.json`
    pub fn program(&self) -> PathBuf {
        self.0.join("program.json")
    }
    /// `pk.bin`
    pub fn pk(&self) -> PathBuf {
        self.0.join("pk.bin")
    }
    /// `vk.bin`
    pub fn vk(&self) -> PathBuf {
        self.0.join("vk.bin")
    }
    /// `kzg.srs`
    pub fn srs(&self) -> PathBuf {
        self.0.join("kzg.srs")
    }
    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
    /// An error about this directory.
    pub fn err(&self, reason: impl Into<String>) -> Error {
        Error::BuildDir {
            path: self.0.display().to_string(),
            reason: reason.into(),
        }
    }
}
