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
    /// Public outputs the proof attests to (in a batch, of every member, padding included:
    /// see `members`).
    pub outputs: Vec<OutputValues>,
    /// Inferences per proof (1 unless the build was compiled with `--batch`).
    pub batch: usize,
    /// Real members of a batch proof (its first instance): members from here on are padding.
    pub members: usize,
    /// Hash instances the proof attests to, by name (`outputs`, `inputs`, `params`).
    pub hashes: Vec<(String, String)>,
    /// Which model the proof was made with, when the parameters are not fixed: the params hash
    /// (for public params, computed from their instances) and how it was checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelIdentity>,
    /// Seconds of verification.
    pub seconds: f64,
    /// True for the development SRS.
    pub insecure_dev_srs: bool,
    /// Warning when insecure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// Which models a proof may have been made with (builds whose params are not fixed, where the
/// verifying key belongs to the architecture, not to one model).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ModelCheck {
    /// This build's own parameters (its `params_hash`). A build with private params has no
    /// params hash (its proofs commit to no model), so its proofs are refused.
    #[default]
    ThisBuild,
    /// This build's own parameters or any of these params hashes (`0x` hex).
    Approved(Vec<String>),
    /// Any model of the architecture (nothing checked); the only way to accept a proof of a
    /// build with private params.
    Any,
}

/// The model a proof was made with.
#[derive(Clone, Debug, Serialize)]
pub struct ModelIdentity {
    /// Params hash of the proof's model (`0x` hex); none when the params are private.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub params_hash: Option<String>,
    /// `this build's`, `approved` or `not checked (--any-model…)` (which, for private params,
    /// says that the proof commits to no model).
    pub checked: String,
}

/// Options of [`verify_with`].
#[derive(Clone, Debug, Default)]
pub struct VerifyOptions {
    /// Which models to accept.
    pub models: ModelCheck,
}

/// The params hash a proof's instances name: the hash instance, or the hash of the public
/// parameter instances; `None` when the params are fixed or private.
fn proof_params_hash(settings: &Settings, instances: &[Fr]) -> Option<String> {
    use crate::proof::proof_file::encode_instance;
    let slot = settings
        .instance_layout
        .iter()
        .find(|s| matches!(s.kind, InstanceKind::ParamsHash | InstanceKind::Params))?;
    let values = instances.get(slot.start..slot.start + slot.len)?;
    Some(encode_instance(&match slot.kind {
        InstanceKind::ParamsHash => values[0],
        _ => crate::circuit::poseidon::hash(crate::quantize::Part::Params, values),
    }))
}

/// Checks the proof's model against `check` (after the proof verified).
fn check_model(settings: &Settings, instances: &[Fr], check: &ModelCheck) -> Result<Option<ModelIdentity>, Error> {
    use crate::quantize::Vis;
    let params = settings.visibility.params;
    if params == Vis::Fixed {
        return Ok(None);
    }
    let hash = proof_params_hash(settings, instances);
    let checked = match (check, &hash) {
        (ModelCheck::Any, None) => {
            "not checked (--any-model; private params: the proof does not commit to any model, any weights pass)"
        }
        (ModelCheck::Any, Some(_)) => "not checked (--any-model)",
        (_, None) if params == Vis::Private => {
            return Err(proof::ProofError::Rejected(
                "the proof is valid but this build was compiled with `--params private`: the proof does not commit to any model, so its prover chose the weights freely (zero weights and a bias give any output). Pass --any-model to accept it anyway (the model is then unchecked), or compile with --params hashed to commit to the weights".into(),
            )
            .into())
        }
        (_, None) => {
            return Err(proof::ProofError::Rejected(format!(
                "this build's params are {params} but its instance layout has no params instance (edited settings.json?)"
            ))
            .into())
        }
        (ModelCheck::ThisBuild | ModelCheck::Approved(_), Some(h)) if Some(h) == settings.params_hash.as_ref() => "this build's",
        (ModelCheck::Approved(list), Some(h)) if list.iter().any(|a| a.eq_ignore_ascii_case(h)) => "approved",
        (ModelCheck::ThisBuild, Some(h)) => {
            return Err(proof::ProofError::Rejected(format!(
                "the proof is valid but was made with other model parameters (params hash {h}; this build's is {}); to accept that model pass --params-hash {h}, or --any-model",
                settings.params_hash.as_deref().unwrap_or("not recorded")
            ))
            .into())
        }
        (ModelCheck::Approved(list), Some(h)) => {
            return Err(proof::ProofError::Rejected(format!(
                "the proof is valid but its model (params hash {h}) is not among the approved ones ({})",
                list.join(", ")
            ))
            .into())
        }
    };
    Ok(Some(ModelIdentity {
        params_hash: hash,
        checked: checked.into(),
    }))
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
            member: slot.member,
        });
    }
    Ok(out)
}

/// Verifies the proof in `proof_path` with the keys of `dir`; with params not fixed, the proof
/// must also have been made with this build's parameters (with private params, which commit to
/// no model, it is refused: see [`ModelCheck`]).
pub fn verify(dir: &BuildDir, proof_path: &Path, progress: &dyn Progress) -> Result<VerifyReport, Error> {
    verify_with(dir, proof_path, &VerifyOptions::default(), progress)
}

/// [`verify`] with a choice of accepted models.
pub fn verify_with(dir: &BuildDir, proof_path: &Path, opts: &VerifyOptions, progress: &dyn Progress) -> Result<VerifyReport, Error> {
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
    let params = srs::read_params(&dir.srs(), Some(settings.k))?;
    let (vk, hash) = super::settings::load_vk(dir, &settings, &setup, &params)?;
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
    // a batch's member count is the prover's claim (bound by the proof, not computed by the
    // circuit): a count outside 1..=batch is not a batch anyone may read results from
    let batch = settings.instance_layout.iter().filter_map(|s| s.member).max().map_or(1, |m| m + 1);
    let members = match settings.instance_layout.first() {
        Some(s) if s.kind == InstanceKind::Members => {
            let n = crate::proof::proof_file::signed_value(&instances[s.start])
                .filter(|n| (1..=batch as i128).contains(n))
                .ok_or_else(|| proof::ProofError::ProofFile {
                    path: proof_path.display().to_string(),
                    reason: format!("its member count (instance #0) is not between 1 and the batch size {batch}"),
                })?;
            n as usize
        }
        _ => 1,
    };
    let (result, seconds) = step(progress, "verifying", || proof::verify(&params, &vk, &proof_bytes, &instances));
    result?;
    let model = check_model(&settings, &instances, &opts.models)?;
    Ok(VerifyReport {
        verified: true,
        proof_path: proof_path.display().to_string(),
        vk_hash: hash,
        outputs,
        batch,
        members,
        hashes: super::prove::instance_hashes(&settings.instance_layout, &instances),
        model,
        seconds,
        insecure_dev_srs: setup.insecure_dev_srs,
        warning: setup.insecure_dev_srs.then(|| INSECURE_SRS_WARNING.to_string()),
    })
}
