//! `calldata`: the ABI-encoded `verifyProof(bytes,uint256[])` call for a proof file.

use super::Error;
use crate::proof::ProofFile;
use crate::solidity::{calldata::selector, encode_verify_call, VERIFY_SIGNATURE};
use serde::Serialize;
use std::path::Path;

/// The encoded call.
#[derive(Clone, Debug, Serialize)]
pub struct CalldataReport {
    /// Function signature.
    pub function: String,
    /// Its selector, `0x`-hex.
    pub selector: String,
    /// The whole calldata, `0x`-hex.
    pub calldata: String,
    /// Calldata length in bytes.
    pub bytes: usize,
    /// Non-zero bytes (16 gas each in the transaction's intrinsic cost; zero bytes cost 4).
    pub nonzero_bytes: usize,
    /// The proof bytes, `0x`-hex (the call's first argument).
    pub proof: String,
    /// The instances as a `[0x…,0x…]` array literal (the second argument; what `cast` takes).
    pub instances: String,
    /// What each instance is (name, kind, scale, first index, count).
    pub instance_layout: Vec<crate::quantize::InstanceSlot>,
    /// True when the proof was made with the insecure development SRS.
    pub insecure_dev_srs: bool,
}

/// Encodes the verifier call for the proof in `proof_path`.
pub fn calldata(proof_path: &Path) -> Result<CalldataReport, Error> {
    let file = ProofFile::read(proof_path)?;
    let proof = file.proof_bytes(proof_path)?;
    let values = file.instance_values(proof_path)?;
    let instances: Vec<[u8; 32]> = values.iter().map(crate::proof::transcript::scalar_bytes).collect();
    let data = encode_verify_call(&proof, &instances);
    let encoded: Vec<String> = values.iter().map(crate::proof::proof_file::encode_instance).collect();
    let array = format!("[{}]", encoded.join(","));
    Ok(CalldataReport {
        function: VERIFY_SIGNATURE.into(),
        selector: format!("0x{}", hex::encode(selector())),
        calldata: format!("0x{}", hex::encode(&data)),
        bytes: data.len(),
        nonzero_bytes: data.iter().filter(|&&b| b != 0).count(),
        proof: format!("0x{}", hex::encode(&proof)),
        instances: array,
        instance_layout: file.instance_layout.clone(),
        insecure_dev_srs: file.insecure_dev_srs,
    })
}
