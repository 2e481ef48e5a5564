//! Benchmark of one model: compile, setup, prove and verify times, proof size, peak memory.

use super::compile::{compile, CompileOptions};
use super::prove::prove;
use super::setup::setup;
use super::verify::verify;
use super::{BuildDir, Error, Progress, Silent};
use crate::proof::SrsSource;
use crate::quantize::CalibrateOptions;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Figures for one model.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BenchResult {
    /// Model file name.
    pub model: String,
    /// Circuit size.
    pub k: u32,
    /// Rows used.
    pub rows: usize,
    /// Seconds: import + calibration.
    pub compile_seconds: f64,
    /// Seconds: key generation (SRS already cached).
    pub setup_seconds: f64,
    /// Seconds: proving (best of the runs).
    pub prove_seconds: f64,
    /// Seconds: native verification (best of the runs).
    pub verify_seconds: f64,
    /// Proof size.
    pub proof_bytes: usize,
    /// Peak resident memory of the process, MB.
    pub peak_rss_mb: f64,
    /// Worst relative output error on the sample.
    pub max_rel_error: f64,
    /// Always true: benchmarks use the insecure development SRS.
    pub insecure_dev_srs: bool,
    /// The generated Solidity verifier in revm (absent when no solc was found).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evm: Option<EvmFigures>,
}

/// The EVM verifier's figures for one model.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EvmFigures {
    /// Layout chosen.
    pub layout: String,
    /// Gas of the verify transaction (intrinsic + calldata + execution).
    pub verify_tx_gas: u64,
    /// Execution gas alone.
    pub execution_gas: u64,
    /// Calldata bytes.
    pub calldata_bytes: usize,
    /// Deploy gas (all contracts).
    pub deploy_gas: u64,
    /// Verifier runtime bytes.
    pub runtime_bytes: usize,
    /// MSM terms.
    pub msm_terms: usize,
}

/// Peak resident set size of this process in MB (Linux; 0 elsewhere).
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Benchmarks one model with its sample input in the work directory `work`.
pub fn bench_one(model: &Path, input: &Path, work: &Path, runs: usize, progress: &dyn Progress) -> Result<BenchResult, Error> {
    let opts = CompileOptions {
        model: model.to_path_buf(),
        data: vec![input.to_path_buf()],
        out: work.to_path_buf(),
        calibration: CalibrateOptions::default(),
    };
    let c = compile(&opts, progress)?;
    let dir = BuildDir(work.to_path_buf());
    // generate the SRS outside the measured setup
    crate::proof::srs::dev(c.k)?;
    let s = setup(&dir, &SrsSource::Dev, progress)?;
    let proof_path = work.join("proof.json");
    let (mut prove_s, mut verify_s, mut bytes) = (f64::MAX, f64::MAX, 0);
    for _ in 0..runs.max(1) {
        let p = prove(&dir, input, &proof_path, progress)?;
        let v = verify(&dir, &proof_path, &Silent)?;
        prove_s = prove_s.min(p.prove_seconds);
        verify_s = verify_s.min(v.seconds);
        bytes = p.proof_bytes;
    }
    let evm = match crate::evm::find_solc(None) {
        Err(_) => None,
        Ok(_) => {
            let g = super::gas::gas(&dir, &proof_path, &super::verifier::VerifierOptions::default(), &Silent)?;
            Some(EvmFigures {
                layout: g.layout.to_string(),
                verify_tx_gas: g.verify_tx_gas,
                execution_gas: g.execution_gas,
                calldata_bytes: g.calldata_bytes,
                deploy_gas: g.deploy_gas,
                runtime_bytes: g.runtime_bytes,
                msm_terms: g.msm_terms,
            })
        }
    };
    Ok(BenchResult {
        model: model.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        k: c.k,
        rows: c.rows,
        compile_seconds: c.seconds,
        setup_seconds: s.keygen_seconds,
        prove_seconds: prove_s,
        verify_seconds: verify_s,
        proof_bytes: bytes,
        peak_rss_mb: peak_rss_mb(),
        max_rel_error: c.fidelity.outputs.iter().map(|o| o.max_rel_error).fold(0.0, f64::max),
        insecure_dev_srs: true,
        evm,
    })
}
