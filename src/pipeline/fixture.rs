//! `fixture`: a forge-ready JSON fixture of a proof (proof bytes, instances, bound values,
//! outputs), for Solidity tests against the generated verifier and consumer contracts.

use super::settings::{read_program, Settings};
use super::{BuildDir, Error};
use crate::proof::artifact::write_atomic;
use crate::proof::proof_file::encode_instance;
use crate::proof::{OutputValues, ProofFile};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The fixture file (also the command's report).
#[derive(Clone, Debug, Serialize)]
pub struct Fixture {
    /// zkinfer's vk hash (the verifier's `VK_HASH`).
    pub vk_hash: String,
    /// Proof bytes, `0x`-hex (`vm.parseJsonBytes(json, ".proof")`).
    pub proof: String,
    /// Instances as `0x`-prefixed uint256 (`vm.parseJsonUintArray(json, ".instances")`).
    pub instances: Vec<String>,
    /// Number of output instances (they come first; in a batch, first in each member's run).
    pub num_outputs: usize,
    /// Inferences per proof: 1, or with `compile --batch N` N, the instances then being the
    /// number of real members followed by N runs of `member_instances`.
    pub batch: usize,
    /// Instances of one inference.
    pub member_instances: usize,
    /// Bound public values by name (e.g. `account`), `0x`-hex.
    pub bound: BTreeMap<String, String>,
    /// Dequantized outputs.
    pub outputs: Vec<OutputValues>,
    /// True when made with the insecure development SRS.
    pub insecure_dev_srs: bool,
    /// The build's input schema id (see `attest::input_schema`), when it hashes its input:
    /// what a CreditGate requires attestations to name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_schema: Option<String>,
}

/// Writes the fixture of the proof in `proof_path` (made with the build in `dir`) to `out`.
pub fn fixture(dir: &BuildDir, proof_path: &Path, out: &Path) -> Result<Fixture, Error> {
    let settings = Settings::read(dir)?;
    let program = read_program(dir, &settings)?;
    let setup = settings
        .setup
        .clone()
        .ok_or_else(|| dir.err("has no keys; run `zkinfer setup` first"))?;
    let file = ProofFile::read(proof_path)?;
    super::settings::check_proof_circuit(&file, &setup.vk_hash)?;
    let proof = file.proof_bytes(proof_path)?;
    let inst = file.instance_values(proof_path)?;
    if inst.len() != settings.num_instances {
        return Err(Error::Usage(format!(
            "{} has {} instances; this circuit has {}",
            proof_path.display(),
            inst.len(),
            settings.num_instances
        )));
    }
    let words: Vec<String> = inst.iter().map(encode_instance).collect();
    let first_bound = words.len() - program.bound.len();
    let bound = program.bound.iter().cloned().zip(words[first_bound..].iter().cloned()).collect();
    let f = Fixture {
        vk_hash: setup.vk_hash.clone(),
        proof: format!("0x{}", hex::encode(proof)),
        instances: words,
        num_outputs: program.outputs.iter().map(|o| o.wires.len()).sum(),
        batch: program.batch,
        member_instances: program.member_instances(),
        bound,
        outputs: file.outputs.clone(),
        insecure_dev_srs: file.insecure_dev_srs,
        input_schema: (settings.visibility.input == crate::quantize::Vis::Hashed)
            .then(|| super::attest::input_schema(&program).to_string()),
    };
    let json = serde_json::to_string_pretty(&f).expect("serialisable") + "\n";
    write_atomic(out, json.as_bytes())?;
    Ok(f)
}
