//! `gas`: deploy a build's generated verifier in an in-process EVM (revm), call `verifyProof`
//! with a proof, and report what it costs and where the gas goes.

use super::verifier::{build_verifier, BuiltVerifier, VerifierOptions, EIP170_LIMIT};
use super::{step, BuildDir, Error, Progress};
use crate::evm::{intrinsic_gas, CallOutcome, GasProfile, LocalEvm};
use crate::proof::transcript::scalar_bytes;
use crate::proof::{self, ProofFile};
use crate::solidity::{encode_verify_call, Layout};
use serde::Serialize;
use std::path::Path;

/// The gas report.
#[derive(Clone, Debug, Serialize)]
pub struct GasReport {
    /// Verifier layout.
    pub layout: Layout,
    /// Why that layout.
    pub layout_reason: String,
    /// Gas of deploying everything (verifier + verifying-key contract).
    pub deploy_gas: u64,
    /// Gas of deploying the verifying-key contract (separate layout).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deploy_gas_vk: Option<u64>,
    /// Verifier runtime bytes.
    pub runtime_bytes: usize,
    /// Verifying-key contract runtime bytes (separate layout).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vk_runtime_bytes: Option<usize>,
    /// EIP-170 limit.
    pub runtime_limit: usize,
    /// Gas of the whole verify transaction (intrinsic + calldata + execution).
    pub verify_tx_gas: u64,
    /// Intrinsic part: 21,000 plus calldata (4 per zero byte, 16 per non-zero byte).
    pub intrinsic_gas: u64,
    /// Execution part.
    pub execution_gas: u64,
    /// Calldata bytes.
    pub calldata_bytes: usize,
    /// Non-zero calldata bytes.
    pub calldata_nonzero_bytes: usize,
    /// Execution gas by category.
    pub breakdown: GasProfile,
    /// Points in the verifier's MSM (one ecMul + ecAdd each).
    pub msm_terms: usize,
    /// The verifier's answer (always true in a returned report).
    pub accepted: bool,
}

/// Decodes a revert's `Error(string)` reason, or describes the raw bytes.
pub fn revert_reason(out: &CallOutcome) -> String {
    let d = &out.output;
    if d.len() >= 68 && d[..4] == [0x08, 0xc3, 0x79, 0xa0] {
        let len = usize::from_be_bytes(d[60..68].try_into().expect("8 bytes"));
        if let Some(s) = d.get(68..68 + len) {
            return String::from_utf8_lossy(s).into_owned();
        }
    }
    match &out.failure {
        Some(f) if d.is_empty() => f.clone(),
        _ => format!("0x{}", hex::encode(d)),
    }
}

/// Deploys `built` into `evm`; returns the verifier's address and the deploy gas (total,
/// verifying-key part).
pub fn deploy(evm: &mut LocalEvm, built: &BuiltVerifier) -> Result<(revm::primitives::Address, u64, Option<u64>), Error> {
    match &built.vk_contract {
        None => {
            let d = evm.deploy(&built.verifier.bytecode)?;
            Ok((d.address, d.gas_used, None))
        }
        Some(vk) => {
            let k = evm.deploy(&vk.bytecode)?;
            if built.sources.vk_runtime.as_deref() != Some(&evm.code(k.address)[..]) {
                return Err(Error::Usage(
                    "the deployed verifying-key contract's code differs from the expected bytes".into(),
                ));
            }
            let mut code = built.verifier.bytecode.clone();
            let mut arg = [0u8; 32];
            arg[12..].copy_from_slice(k.address.as_slice());
            code.extend_from_slice(&arg);
            let d = evm.deploy(&code)?;
            Ok((d.address, d.gas_used + k.gas_used, Some(k.gas_used)))
        }
    }
}

/// Runs the gas report for the proof in `proof_path`.
pub fn gas(dir: &BuildDir, proof_path: &Path, opts: &VerifierOptions, progress: &dyn Progress) -> Result<GasReport, Error> {
    let built = build_verifier(dir, opts, progress)?;
    let file = ProofFile::read(proof_path)?;
    super::settings::check_proof_circuit(&file, &built.vk_hash)?;
    let proof_bytes = file.proof_bytes(proof_path)?;
    let instances: Vec<[u8; 32]> = file.instance_values(proof_path)?.iter().map(scalar_bytes).collect();
    let calldata = encode_verify_call(&proof_bytes, &instances);
    let (result, _) = step(progress, "running the verifier in revm", || -> Result<_, Error> {
        let mut evm = LocalEvm::new();
        let deployed = deploy(&mut evm, &built)?;
        let (out, profile) = evm.call_profiled(deployed.0, &calldata)?;
        Ok((deployed, out, profile))
    });
    let ((_, deploy_gas, deploy_gas_vk), out, mut breakdown) = result?;
    let accepted = out.success && out.output.len() == 32 && out.output[31] == 1;
    if !accepted {
        let why = if out.success {
            "returned false".to_string()
        } else {
            format!("reverted: {}", revert_reason(&out))
        };
        return Err(proof::ProofError::Rejected(format!("the EVM verifier rejected the proof ({why})")).into());
    }
    let intrinsic = intrinsic_gas(&calldata);
    breakdown.close(out.gas_used - intrinsic);
    Ok(GasReport {
        layout: built.sources.layout,
        layout_reason: built.layout_reason.clone(),
        deploy_gas,
        deploy_gas_vk,
        runtime_bytes: built.verifier.deployed_bytecode.len(),
        vk_runtime_bytes: built.sources.vk_runtime.as_ref().map(|c| c.len()),
        runtime_limit: EIP170_LIMIT,
        verify_tx_gas: out.gas_used,
        intrinsic_gas: intrinsic,
        execution_gas: out.gas_used - intrinsic,
        calldata_bytes: calldata.len(),
        calldata_nonzero_bytes: calldata.iter().filter(|&&b| b != 0).count(),
        breakdown,
        msm_terms: built.sources.parts.msm_terms,
        accepted,
    })
}
