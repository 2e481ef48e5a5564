//! `submit`: send a proof to a deployed verifier, CreditGate or InferenceOracle. The call is
//! simulated first (`eth_call` from the sender) and a revert stops it with the decoded reason,
//! so a proof the contract refuses costs nothing; then one transaction is signed, sent, waited
//! for and checked.

use super::deploy::ChainOptions;
use super::Error;
use super::{step, Progress};
use crate::chain::contracts::Abi;
use crate::chain::contracts::{ICreditGate, IInferenceOracle, IZkinferVerifier};
use crate::chain::tx::{prepare, send, simulate, Call};
use crate::chain::{hex0x, ChainError, DeploymentRecord, Rpc};
use crate::proof::ProofFile;
use alloy::primitives::{keccak256, Address, Bytes, B256, U256};
use alloy::sol_types::{SolCall, SolEvent};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The kind of contract a proof goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// `verifyProof(bytes,uint256[])` of a generated verifier (a view: the transaction only
    /// measures gas on chain).
    Verifier,
    /// `CreditGate.requestCredit(bytes,uint256[],Attestation,bytes)`.
    CreditGate,
    /// `InferenceOracle.post(bytes32,bytes,uint256[])`.
    InferenceOracle,
}

impl Target {
    /// The role name in deployment records.
    pub fn role(self) -> &'static str {
        match self {
            Target::Verifier => "verifier",
            Target::CreditGate => "credit_gate",
            Target::InferenceOracle => "inference_oracle",
        }
    }
}

/// What `submit` does.
#[derive(Clone, Debug)]
pub struct SubmitOptions {
    /// Chain.
    pub chain: ChainOptions,
    /// Contract address (else from the record).
    pub to: Option<Address>,
    /// Deployment record to take the address from.
    pub record: Option<PathBuf>,
    /// Contract kind (default: the record's CreditGate if it has one, else the verifier).
    pub target: Option<Target>,
    /// Model id for the oracle (`0x` + 32 bytes, or a name hashed with keccak256).
    pub model_id: Option<String>,
    /// The attestation of the borrower's features, for a CreditGate.
    pub attestation: Option<PathBuf>,
    /// Simulate and estimate only.
    pub dry_run: bool,
}

/// The report of `submit`.
#[derive(Clone, Debug, Serialize)]
pub struct SubmitReport {
    /// Contract kind.
    pub target: Target,
    /// Contract address.
    pub contract: String,
    /// Sender.
    pub from: String,
    /// Chain id.
    pub chain_id: u64,
    /// Nothing was sent.
    pub dry_run: bool,
    /// Transaction hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tx_hash: Option<String>,
    /// Block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block: Option<u64>,
    /// Gas used (or estimated in a dry run).
    pub gas: u64,
    /// Score the gate recorded (fixed point), for CreditGate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score_fixed: Option<String>,
    /// The score in model units, for CreditGate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Approval expiry (unix seconds), for CreditGate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_until: Option<u64>,
    /// The data provider whose attestation the gate accepted, for CreditGate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Input key the oracle stored the outputs under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_key: Option<String>,
    /// A batch proof posted to the oracle: the input key of each real member, in member order
    /// (padding members are not stored).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub input_keys: Vec<String>,
}

/// The oracle model id of `text`: 32 bytes of hex as is, else keccak256 of the text.
pub fn model_id(text: &str) -> B256 {
    text.parse::<B256>().unwrap_or_else(|_| keccak256(text.as_bytes()))
}

/// Runs `submit` for the proof in `proof_path`.
pub fn submit(proof_path: &Path, opts: &SubmitOptions, progress: &dyn Progress) -> Result<SubmitReport, Error> {
    let file = ProofFile::read(proof_path)?;
    let proof = file.proof_bytes(proof_path)?;
    let instances: Vec<U256> = file
        .instance_values(proof_path)?
        .iter()
        .map(|v| U256::from_be_bytes(crate::proof::transcript::scalar_bytes(v)))
        .collect();
    let record = opts.record.as_deref().map(DeploymentRecord::read).transpose()?;
    let target = match (opts.target, &record) {
        (Some(t), _) => t,
        (None, Some(r)) if r.get("credit_gate").is_some() => Target::CreditGate,
        (None, Some(r)) if r.get("inference_oracle").is_some() => Target::InferenceOracle,
        _ => Target::Verifier,
    };
    let to = match (opts.to, &record) {
        (Some(a), _) => a,
        (None, Some(r)) => {
            let c = r.get(target.role()).ok_or_else(|| ChainError::Record {
                path: opts.record.as_ref().expect("record given").display().to_string(),
                reason: format!(
                    "has no {} (it has {})",
                    target.role(),
                    r.contracts.iter().map(|c| c.role.as_str()).collect::<Vec<_>>().join(", ")
                ),
            })?;
            crate::chain::parse_address("record", &c.address)?
        }
        (None, None) => {
            return Err(Error::Usage(
                "say where to send the proof: --to ADDRESS or --deployment RECORD".into(),
            ))
        }
    };
    if let Some(r) = &record {
        if r.vk_hash != file.vk_hash {
            return Err(Error::Usage(format!(
                "the proof {} was made for verifying key {}, but the deployment's verifier checks {}; it would be refused",
                proof_path.display(),
                file.vk_hash,
                r.vk_hash
            )));
        }
    }
    // The attestation a CreditGate needs: intact and made for this gate, checked before
    // anything goes to the node (its chain once the node says which chain it serves).
    let attested = match (target, &opts.attestation) {
        (Target::CreditGate, Some(path)) => Some((path, super::attest::attestation_for(path, to)?)),
        (Target::CreditGate, None) => {
            return Err(Error::Usage(
                "a CreditGate takes the proof with the data provider's attestation of the features: pass --attestation FILE (from `zkinfer attest`)".into(),
            ))
        }
        (_, Some(_)) => {
            return Err(Error::Usage(format!(
                "--attestation is for a CreditGate; this proof goes to a {}",
                target.role().replace('_', " ")
            )))
        }
        (_, None) => None,
    };
    let signer = opts.chain.key.signer()?;
    let from = signer.address();
    let rpc = Rpc::connect(opts.chain.rpc.clone())?;
    let chain_id = step(progress, "connecting", || rpc.check_chain(opts.chain.chain_id)).0?;
    let attested = match attested {
        Some((path, a)) => {
            super::attest::check_attestation_chain(path, &a, chain_id)?;
            Some(a)
        }
        None => None,
    };
    if let Some(r) = &record {
        if r.chain_id != chain_id {
            return Err(ChainError::ChainId {
                url: crate::chain::rpc::redact(&opts.chain.rpc.url),
                expected: r.chain_id,
                actual: chain_id,
            }
            .into());
        }
    }
    let code = rpc.code(to)?;
    if code.is_empty() {
        return Err(ChainError::Code(format!("there is no contract at {} on chain {chain_id}", hex0x(to.as_slice()))).into());
    }
    if let Some(c) = record
        .as_ref()
        .and_then(|r| r.contracts.iter().find(|c| c.address.eq_ignore_ascii_case(&hex0x(to.as_slice()))))
    {
        if keccak256(&code).to_string() != c.code_hash {
            return Err(ChainError::Code(format!(
                "the code at {} is not the {} the record describes (code hash {}, recorded {}); redeploy with `zkinfer deploy`",
                c.address,
                c.name,
                keccak256(&code),
                c.code_hash
            ))
            .into());
        }
    }
    let proof = Bytes::from(proof);
    // a batch proof (its first slot counts the real members) goes to the oracle's postBatch
    let is_batch = file
        .instance_layout
        .first()
        .is_some_and(|s| s.kind == crate::quantize::InstanceKind::Members);
    let (data, function, abi) = match target {
        Target::Verifier => (
            IZkinferVerifier::verifyProofCall { proof, instances }.abi_encode(),
            "verifyProof",
            Abi::Verifier,
        ),
        Target::CreditGate => {
            let a = attested.expect("read above for a CreditGate");
            let data = ICreditGate::requestCreditCall {
                proof,
                instances,
                attestation: a.attestation,
                signature: Bytes::from(a.signature),
            }
            .abi_encode();
            (data, "requestCredit", Abi::CreditGate)
        }
        Target::InferenceOracle => {
            let id = opts
                .model_id
                .as_deref()
                .ok_or_else(|| Error::Usage("--model-id is needed to post to an InferenceOracle".into()))?;
            if is_batch {
                let data = IInferenceOracle::postBatchCall {
                    modelId: model_id(id),
                    proof,
                    instances,
                }
                .abi_encode();
                (data, "postBatch", Abi::InferenceOracle)
            } else {
                let data = IInferenceOracle::postCall {
                    modelId: model_id(id),
                    proof,
                    instances,
                }
                .abi_encode();
                (data, "post", Abi::InferenceOracle)
            }
        }
    };
    let what = format!("{function} on {}", hex0x(to.as_slice()));
    let call = Call {
        what: what.clone(),
        from,
        to: Some(to),
        data,
        abi,
    };
    let (sim, _) = step(progress, "simulating the call (eth_call)", || simulate(&rpc, &call));
    let returned = sim?;
    if target == Target::Verifier {
        let ok = IZkinferVerifier::verifyProofCall::abi_decode_returns(&returned).unwrap_or(false);
        if !ok {
            return Err(ChainError::WouldRevert {
                what,
                reason: "the verifier returned false: the proof does not verify for these instances".into(),
            }
            .into());
        }
    }
    let score_scale = file.outputs.first().map(|o| o.scale);
    let score_of = |v: alloy::primitives::I256| {
        let s: f64 = v.to_string().parse().unwrap_or(f64::NAN);
        (v.to_string(), score_scale.map(|sc| s / 2f64.powi(sc as i32)))
    };
    let mut report = SubmitReport {
        target,
        contract: hex0x(to.as_slice()),
        from: hex0x(from.as_slice()),
        chain_id,
        dry_run: opts.dry_run,
        tx_hash: None,
        block: None,
        gas: 0,
        score_fixed: None,
        score: None,
        approved_until: None,
        provider: None,
        input_key: None,
        input_keys: Vec::new(),
    };
    if target == Target::CreditGate {
        if let Ok(s) = ICreditGate::requestCreditCall::abi_decode_returns(&returned) {
            let (fixed, score) = score_of(s);
            report.score_fixed = Some(fixed);
            report.score = score;
        }
    }
    let p = prepare(&rpc, chain_id, call, &opts.chain.tx)?;
    if opts.dry_run {
        progress.note(&format!(
            "the call succeeds; it would use about {} gas; nothing sent (--dry-run)",
            p.gas_estimate
        ));
        report.gas = p.gas_estimate;
        return Ok(report);
    }
    let (mined, _) = step(progress, &format!("sending {what}"), || {
        send(&rpc, &p, &signer, &opts.chain.tx, &mut |h| {
            progress.note(&format!("sending {h}"));
            Ok(())
        })
    });
    let mined = mined?;
    // Only the target's own events count (a verifier or token it calls could emit look-alikes).
    for log in mined.logs.iter().filter(|l| l.address() == to) {
        if let Ok(e) = ICreditGate::Approved::decode_log_data(log.data()) {
            let (fixed, score) = score_of(e.score);
            report.score_fixed = Some(fixed);
            report.score = score;
            report.approved_until = Some(e.expiresAt);
            report.provider = Some(e.provider.to_checksum(None));
        }
        if let Ok(e) = IInferenceOracle::OutputPosted::decode_log_data(log.data()) {
            report.input_keys.push(e.inputKey.to_string());
        }
    }
    // one key for a single post; a batch lists its members' keys
    if !is_batch {
        report.input_key = report.input_keys.pop();
    }
    report.tx_hash = Some(mined.tx_hash);
    report.block = Some(mined.block);
    report.gas = mined.gas_used;
    Ok(report)
}
