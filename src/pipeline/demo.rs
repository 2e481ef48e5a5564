//! `demo`: the whole chain on the bundled credit-scoring model.

use super::attest::{attest, AttestOptions, AttestReport, GateRef};
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
/// Its sample input: the borrower's real features, which the data provider attests.
pub const CREDIT_INPUT: &str = include_str!("../../models/credit_mlp.input.json");
/// Features the borrower makes up to score higher: a valid proof, on data nobody attested.
pub const MADE_UP_INPUT: &str = include_str!("../../models/credit_mlp.madeup.json");

/// The gradient-boosted credit model (XGBoost, exported with onnxmltools by
/// `scripts/ml_models.py`): its calibration samples and one applicant.
pub const TREES_MODEL: &[u8] = include_bytes!("../../models/credit_gbdt.onnx");
/// Its calibration samples (32 held-out applicants).
pub const TREES_SAMPLES: &str = include_str!("../../models/credit_gbdt.input.json");
/// The applicant the demo proves for.
pub const TREES_APPLICANT: &str = include_str!("../../models/credit_gbdt.applicant.json");

/// The demo's second model: gradient-boosted trees, the model credit teams ship.
#[derive(Clone, Debug, Serialize)]
pub struct DemoTrees {
    /// Model description.
    pub model: String,
    /// Circuit size.
    pub k: u32,
    /// Rows used.
    pub rows: usize,
    /// Scale exponent of the weights and activations (inputs compared by splits are finer).
    pub input_scale: u32,
    /// Seconds: compile (import + calibration against the reference).
    pub compile_seconds: f64,
    /// Seconds: SRS + key generation.
    pub setup_seconds: f64,
    /// Seconds: proving.
    pub prove_seconds: f64,
    /// Seconds: verification.
    pub verify_seconds: f64,
    /// Proof size.
    pub proof_bytes: usize,
    /// The proven label (1: default predicted).
    pub label: f64,
    /// The proven probability of default.
    pub p_default: f64,
    /// The reference runtime's label and probability of default on the same applicant.
    pub reference_label: f64,
    /// See `reference_label`.
    pub reference_p_default: f64,
    /// What computed the reference (onnxruntime and its version).
    pub reference: String,
    /// Whether the proof verified.
    pub verified: bool,
    /// The generated Solidity verifier run on the proof in revm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gas: Option<GasReport>,
}

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
    /// The gradient-boosted credit model, proved beside the MLP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trees: Option<DemoTrees>,
    /// Why the trees part was skipped, when it was (no onnxruntime for the reference).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trees_skipped: Option<String>,
}

/// The demo's on-chain half.
#[derive(Clone, Debug, Serialize)]
pub struct DemoChain {
    /// The deployment of the verifier and the CreditGate (trusting the demo's data provider).
    pub deploy: DeployReport,
    /// The provider's attestation of the borrower's features.
    pub attestation: AttestReport,
    /// The borrower's `requestCredit` with the attested proof.
    pub submit: SubmitReport,
    /// The borrower's attempt with a proof on made-up features.
    pub made_up: MadeUpAttempt,
}

/// A proof on made-up features, and the gate's refusal.
#[derive(Clone, Debug, Serialize)]
pub struct MadeUpAttempt {
    /// The proven score on the made-up features (higher than the real one).
    pub score: f64,
    /// Whether the proof itself verifies (it does: it is a valid proof of other data).
    pub verified: bool,
    /// Why the gate refused it (from the simulated call; nothing was sent).
    pub refused: String,
}

/// anvil's well-known development keys #0 (the lender, who deploys), #1 (the borrower) and
/// #2 (the data provider, who attests the borrower's features).
pub const ANVIL_KEYS: [&str; 3] = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
];

/// The demo's data provider: the address of [`ANVIL_KEYS`]\[2\].
pub const DEMO_PROVIDER: &str = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";

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
        batch: 1,
        optimize: Default::default(),
        calibration: CalibrateOptions {
            // the input is hashed: the proof carries the hash a data provider attests
            visibility: crate::quantize::Visibility {
                input: crate::quantize::Vis::Hashed,
                ..Default::default()
            },
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
        (Some(url), None) => Some(on_chain(&dir, &input, &proof_path, url, progress)?),
        (None, _) => None,
    };
    let loaded = LoadedModel::from_bytes(CREDIT_MODEL, "credit_mlp.onnx", None)?;
    let data = InputData::parse(CREDIT_INPUT, "credit_mlp.input.json")?;
    let float_score = loaded.run_float(&data.inputs)?[0][0];
    let score = p.outputs[0].values[0];
    let (trees, trees_skipped) = match trees(&out.join("gbdt"), evm_skipped.is_none(), progress) {
        Ok(t) => (Some(t), None),
        Err(Error::Model(e @ crate::model::ModelError::Reference(_))) => {
            (None, Some(format!("{e}; `bash scripts/demo` installs onnxruntime into .venv")))
        }
        Err(Error::Quantize(crate::quantize::QuantizeError::Model(e)))
            if matches!(
                e.downcast_ref::<crate::model::ModelError>(),
                Some(crate::model::ModelError::Reference(_))
            ) =>
        {
            (None, Some(format!("{e}; `bash scripts/demo` installs onnxruntime into .venv")))
        }
        Err(e) => return Err(e),
    };
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
        trees,
        trees_skipped,
    })
}

/// The gradient-boosted credit model: compile on its calibration samples (onnxruntime as the
/// float reference), set up, prove one applicant, verify, and run the Solidity verifier in
/// revm when `evm`.
fn trees(out: &Path, evm: bool, progress: &dyn Progress) -> Result<DemoTrees, Error> {
    let dir = BuildDir(out.to_path_buf());
    std::fs::create_dir_all(out).map_err(|e| dir.err(format!("cannot create: {e}")))?;
    let model = out.join("credit_gbdt.onnx");
    let samples = out.join("credit_gbdt.input.json");
    let applicant = out.join("credit_gbdt.applicant.json");
    write_atomic(&model, TREES_MODEL)?;
    write_atomic(&samples, TREES_SAMPLES.as_bytes())?;
    write_atomic(&applicant, TREES_APPLICANT.as_bytes())?;
    let opts = CompileOptions {
        model,
        data: vec![samples],
        out: out.to_path_buf(),
        like: None,
        batch: 1,
        optimize: Default::default(),
        calibration: CalibrateOptions::default(),
    };
    let c = compile(&opts, progress)?;
    let s = setup(&dir, &SrsSource::Dev, progress)?;
    let proof = out.join("proof.json");
    let p = prove_with(&dir, &applicant, &proof, &[], progress)?;
    let v = verify(&dir, &proof, progress)?;
    let gas = if evm {
        Some(gas(&dir, &proof, &VerifierOptions::default(), progress)?)
    } else {
        None
    };
    let loaded = LoadedModel::from_bytes(TREES_MODEL, "credit_gbdt.onnx", None)?;
    let data = InputData::parse(TREES_APPLICANT, "credit_gbdt.applicant.json")?;
    let reference = loaded.run_float(&data.inputs)?;
    let value = |name: &str, i: usize| {
        p.outputs
            .iter()
            .find(|o| o.name == name)
            .and_then(|o| o.values.get(i).copied())
            .unwrap_or(f64::NAN)
    };
    Ok(DemoTrees {
        model: "credit_gbdt (XGBoost, 30 trees of depth ≤ 4, exported with onnxmltools)".into(),
        k: c.k,
        rows: c.rows,
        input_scale: c.input_scale,
        compile_seconds: c.seconds,
        setup_seconds: s.srs_seconds + s.keygen_seconds,
        prove_seconds: p.prove_seconds,
        verify_seconds: v.seconds,
        proof_bytes: p.proof_bytes,
        label: value("label", 0),
        p_default: value("probabilities", 1),
        reference_label: reference[0][0],
        reference_p_default: reference[1][1],
        reference: loaded.reference(),
        verified: v.verified,
        gas,
    })
}

fn on_chain(dir: &BuildDir, input: &Path, proof: &Path, url: &str, progress: &dyn Progress) -> Result<DemoChain, Error> {
    let chain = |key: &str| ChainOptions {
        rpc: RpcOptions::new(url),
        chain_id: Some(31337),
        tx: TxOptions::default(),
        key: KeySource::PrivateKey(key.into()),
    };
    let provider = crate::chain::parse_address("provider", DEMO_PROVIDER)?;
    let borrower = crate::chain::parse_address("borrower", DEMO_BORROWER)?;
    let deployed = deploy(
        dir,
        &DeployOptions {
            verifier: VerifierOptions::default(),
            chain: chain(ANVIL_KEYS[0]),
            record: None,
            credit_gate: Some(GateOptions {
                threshold: GATE_THRESHOLD,
                validity_seconds: 30 * 86_400,
                providers: vec![provider],
            }),
            dry_run: false,
            force: false,
            allow_insecure_srs: false,
            accept_srs: None,
        },
        progress,
    )?;
    let record = deployed
        .record
        .clone()
        .map(PathBuf::from)
        .ok_or_else(|| Error::Usage("the deployment wrote no record".into()))?;
    // The provider attests the borrower's real features for this gate, for 90 days. The expiry
    // follows the chain's clock (anvil's may run ahead of this machine's).
    let rpc = crate::chain::Rpc::connect(RpcOptions::new(url))?;
    let chain_now = rpc.latest_timestamp()?;
    let attestation_path = dir.0.join("attestation.json");
    let attestation = attest(
        dir,
        &AttestOptions {
            data: input.to_path_buf(),
            subject: borrower,
            issued_at: Some(chain_now.saturating_sub(60)),
            expires_at: chain_now + 90 * 86_400,
            gate: GateRef::Record(record.clone()),
            key: KeySource::PrivateKey(ANVIL_KEYS[2].into()),
            out: attestation_path.clone(),
        },
        progress,
    )?;
    let submit_opts = SubmitOptions {
        chain: chain(ANVIL_KEYS[1]),
        to: None,
        record: Some(record),
        target: None,
        model_id: None,
        attestation: Some(attestation_path),
        dry_run: false,
    };
    let submitted = submit(proof, &submit_opts, progress)?;
    // The same borrower proves on made-up features that score higher: the proof is valid, but
    // the gate refuses it because nobody attested those features.
    let made_up_input = dir.0.join("credit_mlp.madeup.json");
    write_atomic(&made_up_input, MADE_UP_INPUT.as_bytes())?;
    let made_up_proof = dir.0.join("proof.madeup.json");
    let p = prove_with(dir, &made_up_input, &made_up_proof, &[format!("account={DEMO_BORROWER}")], progress)?;
    let v = verify(dir, &made_up_proof, progress)?;
    let refused = match submit(&made_up_proof, &submit_opts, progress) {
        Err(Error::Chain(e @ crate::chain::ChainError::WouldRevert { .. })) => e.to_string(),
        Err(e) => return Err(e),
        Ok(r) => {
            return Err(Error::Usage(format!(
                "the gate approved a proof on made-up features (tx {:?}): this must never happen",
                r.tx_hash
            )))
        }
    };
    Ok(DemoChain {
        deploy: deployed,
        attestation,
        submit: submitted,
        made_up: MadeUpAttempt {
            score: p.outputs[0].values[0],
            verified: v.verified,
            refused,
        },
    })
}
