//! `demo`: the whole chain on the bundled credit-scoring model.

use super::compile::{compile, CompileOptions};
use super::deploy::{deploy, ChainOptions, DeployOptions, DeployReport, GateOptions};
use super::gas::{gas, GasReport};
use super::prove::prove_with;
use super::setup::setup;
use super::submit::{submit, SubmitOptions, SubmitReport};
use super::verifier::{write_verifier, VerifierOptions};
use super::verify::verify;
use super::{BuildDir, Error, Progress, INSECURE_SRS_WARNING};
use crate::chain::{KeySource, RpcOptions, TxOptions};
use crate::model::{InputData, LoadedModel};
use crate::proof::artifact::write_atomic;
use crate::proof::SrsSource;
use crate::quantize::CalibrateOptions;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The demo CreditGate's approval threshold on the model's score (a logit: approve at ≥ 0).
const GATE_THRESHOLD: f64 = 0.0;
/// The bundled credit-scoring model: Gemm 10→32, Relu, Gemm 32→1.
pub const CREDIT_MODEL: &[u8] = include_bytes!("../../models/credit_mlp.onnx");
/// Its sample input.
pub const CREDIT_INPUT: &str = include_str!("../../models/credit_mlp.input.json");

/// What the demo did.
#[derive(Clone, Debug, Serialize)]
pub struct DemoReport {
    /// Build directory.
    pub build_dir: String,
    /// Model description.
    pub model: String,
    /// Circuit size.
    pub k: u32,
    /// Rows used.
    pub rows: usize,
    /// Input/activation scale exponent.
    pub input_scale: u32,
    /// Seconds: compile (import + calibration).
    pub compile_seconds: f64,
    /// Seconds: SRS + key generation.
    pub setup_seconds: f64,
    /// Seconds: proving.
    pub prove_seconds: f64,
    /// Seconds: verification.
    pub verify_seconds: f64,
    /// Proof size.
    pub proof_bytes: usize,
    /// The proven credit score (dequantized circuit output).
    pub score: f64,
    /// tract's float output on the same input.
    pub float_score: f64,
    /// |score − float| / |float|.
    pub relative_error: f64,
    /// Whether the proof verified.
    pub verified: bool,
    /// Always true: the demo uses the development SRS.
    pub insecure_dev_srs: bool,
    /// The insecurity warning.
    pub warning: String,
    /// Proof file.
    pub proof_path: String,
    /// The generated Solidity verifier run on the proof in revm (absent when no solc is found).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gas: Option<GasReport>,
    /// Where the verifier's Solidity was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verifier_dir: Option<String>,
    /// Why the EVM step was skipped, when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evm_skipped: Option<String>,
    /// The borrower's address bound into the proof.
    pub borrower: String,
    /// The on-chain half (with `--rpc-url`): deployment and the borrower's submission.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain: Option<DemoChain>,
}

/// The demo's on-chain half.
#[derive(Clone, Debug, Serialize)]
pub struct DemoChain {
    /// The deployment of the verifier and the CreditGate.
    pub deploy: DeployReport,
    /// The borrower's `requestCredit`.
    pub submit: SubmitReport,
}

/// anvil's well-known development keys #0 (the lender, who deploys) and #1 (the borrower).
pub const ANVIL_KEYS: [&str; 2] = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
];

/// The borrower the demo proves for: the address of [`ANVIL_KEYS`]\[1\].
pub const DEMO_BORROWER: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

/// Runs compile → setup (development SRS) → prove → verify → Solidity verifier → revm gas on
/// the bundled model in `out`.
///
/// With `rpc_url` (a local anvil, chain 31337) it then deploys the verifier and a CreditGate with
/// anvil's key #0 and submits the proof as the borrower (key #1), like `zkinfer deploy` and
/// `zkinfer submit`.
pub fn demo(out: &Path, rpc_url: Option<&str>, progress: &dyn Progress) -> Result<DemoReport, Error> {
    let dir = BuildDir(out.to_path_buf());
    std::fs::create_dir_all(out).map_err(|e| dir.err(format!("cannot create: {e}")))?;
    let model = out.join("credit_mlp.onnx");
    let input = out.join("credit_mlp.input.json");
    write_atomic(&model, CREDIT_MODEL)?;
    write_atomic(&input, CREDIT_INPUT.as_bytes())?;
    let opts = CompileOptions {
        model: model.clone(),
        data: vec![input.clone()],
        out: out.to_path_buf(),
        like: None,
        calibration: CalibrateOptions {
            bound: vec!["account".into()],
            // the fidelity report counts samples whose approval the quantization would flip
            decision_threshold: Some(GATE_THRESHOLD),
            ..Default::default()
        },
    };
    let c = compile(&opts, progress)?;
    let s = setup(&dir, &SrsSource::Dev, progress)?;
    let proof_path = out.join("proof.json");
    let p = prove_with(&dir, &input, &proof_path, &[format!("account={DEMO_BORROWER}")], progress)?;
    let v = verify(&dir, &proof_path, progress)?;
    // The EVM half: generate, compile, run in revm. Without any solc the demo still reports the
    // proof and says how to get the bundled compiler.
    let opts = VerifierOptions::default();
    let (gas, verifier_dir, evm_skipped) = match crate::evm::find_solc(None) {
        Err(e) => (
            None,
            None,
            Some(format!(
                "{e}; run `npm install` in the zkinfer checkout (or use `bash scripts/demo`)"
            )),
        ),
        Ok(_) => {
            let vdir = out.join("verifier");
            write_verifier(&dir, &vdir, &opts, progress)?;
            (
                Some(gas(&dir, &proof_path, &opts, progress)?),
                Some(vdir.display().to_string()),
                None,
            )
        }
    };
    let chain = match (rpc_url, &evm_skipped) {
        (Some(_), Some(why)) => return Err(Error::Usage(format!("--rpc-url needs a solc for the verifier: {why}"))),
        (Some(url), None) => Some(on_chain(&dir, &proof_path, url, progress)?),
        (None, _) => None,
    };
    let loaded = LoadedModel::from_bytes(CREDIT_MODEL, "credit_mlp.onnx", None)?;
    let data = InputData::parse(CREDIT_INPUT, "credit_mlp.input.json")?;
    let float_score = loaded.run_float(&data.inputs)?[0][0];
    let score = p.outputs[0].values[0];
    Ok(DemoReport {
        build_dir: out.display().to_string(),
        model: "credit_mlp (Gemm 10→32, Relu, Gemm 32→1)".into(),
        k: c.k,
        rows: c.rows,
        input_scale: c.input_scale,
        compile_seconds: c.seconds,
        setup_seconds: s.srs_seconds + s.keygen_seconds,
        prove_seconds: p.prove_seconds,
        verify_seconds: v.seconds,
        proof_bytes: p.proof_bytes,
        score,
        float_score,
        relative_error: (score - float_score).abs() / float_score.abs().max(1e-12),
        verified: v.verified,
        insecure_dev_srs: true,
        warning: INSECURE_SRS_WARNING.into(),
        proof_path: proof_path.display().to_string(),
        gas,
        verifier_dir,
        evm_skipped,
        borrower: DEMO_BORROWER.into(),
        chain,
    })
}

fn on_chain(dir: &BuildDir, proof: &Path, url: &str, progress: &dyn Progress) -> Result<DemoChain, Error> {
    let chain = |key: &str| ChainOptions {
        rpc: RpcOptions::new(url),
        chain_id: Some(31337),
        tx: TxOptions::default(),
        key: KeySource::PrivateKey(key.into()),
    };
    let deployed = deploy(
        dir,
        &DeployOptions {
            verifier: VerifierOptions::default(),
            chain: chain(ANVIL_KEYS[0]),
            record: None,
            credit_gate: Some(GateOptions {
                threshold: GATE_THRESHOLD,
                validity_seconds: 30 * 86_400,
            }),
            dry_run: false,
            force: false,
            allow_insecure_srs: false,
        },
        progress,
    )?;
    let record = deployed.record.clone().map(PathBuf::from);
    let submitted = submit(
        proof,
        &SubmitOptions {
            chain: chain(ANVIL_KEYS[1]),
            to: None,
            record,
            target: None,
            model_id: None,
            dry_run: false,
        },
        progress,
    )?;
    Ok(DemoChain {
        deploy: deployed,
        submit: submitted,
    })
}
