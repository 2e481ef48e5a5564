//! `prove`: witness from an input file, proof, native self-check, proof file.

use super::settings::{read_program, Settings};
use super::{step, BuildDir, Error, Progress, INSECURE_SRS_WARNING, VERSION};
use crate::circuit::{fe, ModelCircuit, Plan};
use crate::model::InputData;
use crate::proof::proof_file::encode_instance;
use crate::proof::{self, read_pk, srs, vk_hash, OutputValues, ProofFile};
use crate::quantize::eval::{evaluate, quantize_inputs};
use crate::quantize::{Program, Witness};
use serde::Serialize;
use std::path::Path;

/// What `prove` did.
#[derive(Clone, Debug, Serialize)]
pub struct ProveReport {
    /// Proof file written.
    pub proof_path: String,
    /// Circuit size.
    pub k: u32,
    /// Rows used.
    pub rows: usize,
    /// Proof size in bytes.
    pub proof_bytes: usize,
    /// Seconds of witness generation.
    pub witness_seconds: f64,
    /// Seconds of proving.
    pub prove_seconds: f64,
    /// Seconds of the native self-check.
    pub verify_seconds: f64,
    /// Dequantized outputs.
    pub outputs: Vec<OutputValues>,
    /// True for the development SRS.
    pub insecure_dev_srs: bool,
    /// Warning when insecure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// Reads one sample from an input file and evaluates the program on it.
pub fn witness_for(program: &Program, input: &Path) -> Result<Witness, Error> {
    let data = InputData::from_file(input)?;
    let sizes: Vec<usize> = program.inputs.iter().map(|i| i.wires.len()).collect();
    let samples = data.samples(&sizes, &input.display().to_string())?;
    if samples.len() != 1 {
        return Err(Error::Usage(format!(
            "{} holds {} samples; prove and mock take exactly one",
            input.display(),
            samples.len()
        )));
    }
    let q = quantize_inputs(program, &samples[0])?;
    Ok(evaluate(program, &q, true)?.0)
}

/// Proves the model on the input in `input` and writes the proof file to `out`.
pub fn prove(dir: &BuildDir, input: &Path, out: &Path, progress: &dyn Progress) -> Result<ProveReport, Error> {
    let settings = Settings::read(dir)?;
    let setup = settings
        .setup
        .clone()
        .ok_or_else(|| dir.err("has no keys; run `zkinfer setup` first"))?;
    let program = read_program(dir, &settings)?;
    let (witness, witness_seconds) = step(progress, "computing the witness", || witness_for(&program, input));
    let witness = witness?;
    super::settings::check_key_file(dir, &dir.pk(), &setup.pk_sha256)?;
    let (loaded, _) = step(progress, "loading SRS and proving key", || -> Result<_, Error> {
        Ok((srs::read_params(&dir.srs(), Some(settings.k))?, read_pk(&dir.pk(), settings.shape)?))
    });
    let (params, pk) = loaded?;
    if vk_hash(pk.get_vk()) != setup.vk_hash {
        return Err(dir.err("pk.bin does not match the verifying key recorded by setup; rerun `zkinfer setup`"));
    }
    let instances: Vec<_> = witness.instances(&program).into_iter().map(fe).collect();
    let circuit = ModelCircuit::new(Plan::new(&program, Some(&witness), settings.shape));
    let (proof, prove_seconds) = step(progress, "proving", || {
        proof::prove(&params, &pk, circuit, &instances, rand::rngs::OsRng)
    });
    let proof = proof?;
    let (checked, verify_seconds) = step(progress, "verifying natively", || {
        proof::verify(&params, pk.get_vk(), &proof, &instances)
    });
    checked?;
    let outputs: Vec<OutputValues> = program
        .outputs
        .iter()
        .zip(witness.dequantized_outputs(&program))
        .map(|(o, values)| OutputValues {
            name: o.name.clone(),
            shape: o.shape.clone(),
            scale: o.scale,
            values,
        })
        .collect();
    let file = ProofFile {
        zkinfer_version: VERSION.into(),
        proof: format!("0x{}", hex::encode(&proof)),
        instances: instances.iter().map(encode_instance).collect(),
        outputs: outputs.clone(),
        vk_hash: setup.vk_hash.clone(),
        k: settings.k,
        insecure_dev_srs: setup.insecure_dev_srs,
    };
    file.write(out)?;
    Ok(ProveReport {
        proof_path: out.display().to_string(),
        k: settings.k,
        rows: settings.rows,
        proof_bytes: proof.len(),
        witness_seconds,
        prove_seconds,
        verify_seconds,
        outputs,
        insecure_dev_srs: setup.insecure_dev_srs,
        warning: setup.insecure_dev_srs.then(|| INSECURE_SRS_WARNING.to_string()),
    })
}
