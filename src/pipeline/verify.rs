//! `verify`: check a proof file against a build directory's verifying key.

use super::settings::Settings;
use super::{step, BuildDir, Error, Progress, INSECURE_SRS_WARNING};
use crate::proof::proof_file::dequantize;
use crate::proof::{self, srs, OutputValues, ProofFile};
use crate::quantize::InstanceKind;
use halo2_axiom::halo2curves::bn256::Fr;
use serde::Serialize;
use std::path::Path;

/// What `verify` found.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyReport {
    /// Always true in a returned report (rejection is an error).
    pub verified: bool,
    /// Proof file.
    pub proof_path: String,
    /// Verifying key hash.
    pub vk_hash: String,
    /// Public outputs the proof attests to.
    pub outputs: Vec<OutputValues>,
    /// Hash instances the proof attests to, by name (`inputs`, `outputs`).
    pub hashes: Vec<(String, String)>,
    /// Seconds of verification.
    pub seconds: f64,
    /// True for the development SRS.
    pub insecure_dev_srs: bool,
    /// Warning when insecure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// Decodes the public output instances (their slots of the settings' instance layout) with
/// the settings' scales; empty when the outputs are hashed or private.
pub fn outputs_from_instances(settings: &Settings, instances: &[Fr]) -> Result<Vec<OutputValues>, String> {
    let mut out = Vec::new();
    for slot in settings.instance_layout.iter().filter(|s| s.kind == InstanceKind::Output) {
        let o = settings
            .outputs
            .iter()
            .find(|o| o.name == slot.name)
            .ok_or_else(|| format!("settings.json names no output `{}`", slot.name))?;
        let slice = instances
            .get(slot.start..slot.start + slot.len)
            .ok_or_else(|| "fewer instances than outputs".to_string())?;
        let values =
            dequantize(slice, o.scale).ok_or_else(|| format!("output `{}` has an instance too large for a fixed-point value", o.name))?;
        out.push(OutputValues {
            name: o.name.clone(),
            shape: o.shape.clone(),
            scale: o.scale,
            values,
        });
    }
    Ok(out)
}

/// Verifies the proof in `proof_path` with the keys of `dir`.
pub fn verify(dir: &BuildDir, proof_path: &Path, progress: &dyn Progress) -> Result<VerifyReport, Error> {
    let settings = Settings::read(dir)?;
    let setup = settings
        .setup
        .clone()
        .ok_or_else(|| dir.err("has no keys; run `zkinfer setup` first"))?;
    let file = ProofFile::read(proof_path)?;
    let proof_bytes = file.proof_bytes(proof_path)?;
    let instances = file.instance_values(proof_path)?;
    if instances.len() != settings.num_instances {
        return Err(proof::ProofError::ProofFile {
            path: proof_path.display().to_string(),
            reason: format!("has {} instances; this circuit has {}", instances.len(), settings.num_instances),
        }
        .into());
    }
    let (vk, hash) = super::settings::load_vk(dir, &settings, &setup)?;
    super::settings::check_proof_circuit(&file, &hash)?;
    // The outputs shown are decoded from the verified instances, never taken from the file's
    // free-text `outputs` field; a file whose field disagrees with its instances is refused.
    let outputs = outputs_from_instances(&settings, &instances).map_err(|reason| proof::ProofError::ProofFile {
        path: proof_path.display().to_string(),
        reason,
    })?;
    if file.instance_layout != settings.instance_layout {
        return Err(proof::ProofError::ProofFile {
            path: proof_path.display().to_string(),
            reason: "its `instance_layout` does not match this build's (another build, or an edited file)".into(),
        }
        .into());
    }
    if file.outputs != outputs {
        return Err(proof::ProofError::ProofFile {
            path: proof_path.display().to_string(),
            reason: "its `outputs` field does not match its instances (edited file?)".into(),
        }
        .into());
    }
    let params = srs::read_params(&dir.srs(), Some(settings.k))?;
    let (result, seconds) = step(progress, "verifying", || proof::verify(&params, &vk, &proof_bytes, &instances));
    result?;
    Ok(VerifyReport {
        verified: true,
        proof_path: proof_path.display().to_string(),
        vk_hash: hash,
        outputs,
        hashes: super::prove::instance_hashes(&settings.instance_layout, &instances),
        seconds,
        insecure_dev_srs: setup.insecure_dev_srs,
        warning: setup.insecure_dev_srs.then(|| INSECURE_SRS_WARNING.to_string()),
    })
}
