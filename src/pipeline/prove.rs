//! `prove`: witness from an input file, proof, native self-check, proof file.

use super::settings::{read_program, Settings};
use super::{step, BuildDir, Error, Progress, INSECURE_SRS_WARNING, VERSION};
use crate::model::InputData;
use crate::proof::inference::{self, BindError};
use crate::proof::proof_file::encode_instance;
use crate::proof::{self, read_pk, srs, vk_hash, OutputValues, ProofFile};
use crate::quantize::{Program, Vis, Witness};
use halo2_axiom::halo2curves::bn256::Fr;
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
    /// Dequantized outputs (computed by the prover; in the proof file only when public).
    pub outputs: Vec<OutputValues>,
    /// The hash instances, by name (`outputs`, `inputs`, `params`), as `0x` hex.
    pub hashes: Vec<(String, String)>,
    /// Inferences per proof (1 unless compiled with `--batch`).
    pub batch: usize,
    /// Real members of a batch proof (the samples given); the rest are padding.
    pub members: usize,
    /// True for the development SRS.
    pub insecure_dev_srs: bool,
    /// Warning when insecure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

pub use crate::proof::inference::{instance_hashes, parse_field};

/// The samples of an input file, each evaluated by the program, when there are at least one
/// and at most `most`; `what` says what takes them in the error.
fn witnesses(program: &Program, input: &Path, most: usize, what: &str) -> Result<Vec<Witness>, Error> {
    let data = InputData::from_file(input)?;
    let sizes: Vec<usize> = program.inputs.iter().map(|i| i.wires.len()).collect();
    let samples = data.samples(&sizes, &input.display().to_string())?;
    if samples.is_empty() || samples.len() > most {
        return Err(Error::Usage(format!("{} holds {} samples; {what}", input.display(), samples.len())));
    }
    Ok(inference::witnesses(program, &samples)?)
}

/// Reads one sample from an input file and evaluates the program on it.
pub fn witness_for(program: &Program, input: &Path) -> Result<Witness, Error> {
    let mut w = witnesses(program, input, 1, "prove and mock take exactly one")?;
    Ok(w.pop().expect("one sample"))
}

/// Reads the samples of an input file for a batch of `batch` inferences (at least one, at most
/// `batch`) and evaluates the program on each.
pub fn batch_witnesses(member: &Program, input: &Path, batch: usize) -> Result<Vec<Witness>, Error> {
    witnesses(member, input, batch, &format!("this build proves batches of 1 to {batch}"))
}

/// Bound values of each real member of a batch: `NAME=V1,V2,…` with one value per member.
pub fn parse_batch_bindings(program: &Program, given: &[String], members: usize) -> Result<Vec<Vec<Fr>>, Error> {
    let mut per: Vec<Vec<String>> = vec![Vec::new(); members];
    for g in given {
        let (name, values) = g
            .split_once('=')
            .ok_or_else(|| Error::Usage(format!("--bind {g:?}: expected NAME=VALUE[,VALUE…]")))?;
        let values: Vec<&str> = values.split(',').collect();
        if values.len() != members {
            return Err(Error::Usage(format!(
                "--bind {name}: {} values for {members} batch members; give one per sample, comma-separated",
                values.len()
            )));
        }
        for (p, v) in per.iter_mut().zip(values) {
            p.push(format!("{name}={v}"));
        }
    }
    per.iter().map(|g| parse_bindings(program, g)).collect()
}

/// Proves the model on the input in `input` and writes the proof file to `out`.
pub fn prove(dir: &BuildDir, input: &Path, out: &Path, progress: &dyn Progress) -> Result<ProveReport, Error> {
    prove_with(dir, input, out, &[], progress)
}

/// Parses `NAME=VALUE` bindings against the program's bound names: every name exactly once;
/// VALUE is `0x`-hex (at most 32 bytes) or decimal, below the field modulus r.
pub fn parse_bindings(program: &Program, given: &[String]) -> Result<Vec<Fr>, Error> {
    let mut pairs = Vec::with_capacity(given.len());
    for g in given {
        pairs.push(
            g.split_once('=')
                .ok_or_else(|| Error::Usage(format!("--bind {g:?}: expected NAME=VALUE")))?,
        );
    }
    inference::bind_values(program, &pairs).map_err(|e| {
        Error::Usage(match e {
            BindError::Unknown { name, known } if known.is_empty() => {
                format!("--bind {name}: this build binds no public values (compile with --bind {name})")
            }
            BindError::Unknown { name, known } => format!("--bind {name}: this build binds {}", known.join(", ")),
            BindError::Twice(name) => format!("--bind {name} is given twice"),
            BindError::Missing(name) => format!("this build binds `{name}`: pass --bind {name}=VALUE"),
            BindError::Value { name, value, why } => format!("--bind {name}={value}: {why}"),
        })
    })
}

/// [`prove`] with values for the build's bound public names (`NAME=VALUE`).
pub fn prove_with(dir: &BuildDir, input: &Path, out: &Path, bind: &[String], progress: &dyn Progress) -> Result<ProveReport, Error> {
    let settings = Settings::read(dir)?;
    let setup = settings
        .setup
        .clone()
        .ok_or_else(|| dir.err("has no keys; run `zkinfer setup` first"))?;
    let program = read_program(dir, &settings)?;
    super::check_memory(settings.k, settings.shape, crate::proof::estimate::Step::Prove, progress)?;
    let member = program.member();
    let batch = program.batch.max(1);
    let (witnesses, witness_seconds) = step(progress, "computing the witness", || {
        if batch > 1 {
            batch_witnesses(&member, input, batch)
        } else {
            witness_for(&program, input).map(|w| vec![w])
        }
    });
    let witnesses = witnesses?;
    let members = witnesses.len();
    let bound = if batch > 1 {
        parse_batch_bindings(&member, bind, members)?
    } else {
        vec![parse_bindings(&program, bind)?]
    };
    super::settings::check_key_file(dir, &dir.pk(), &setup.pk_sha256)?;
    let (loaded, _) = step(progress, "loading SRS and proving key", || -> Result<_, Error> {
        Ok((srs::read_params(&dir.srs(), Some(settings.k))?, read_pk(&dir.pk(), settings.shape)?))
    });
    let (params, pk) = loaded?;
    if vk_hash(pk.get_vk(), &params) != setup.vk_hash {
        return Err(
            dir.err("pk.bin and kzg.srs do not match the verifying key and SRS recorded by setup (vk hash differs); rerun `zkinfer setup`")
        );
    }
    let (proved, prove_seconds) = step(progress, "proving", || {
        inference::prove_samples(&program, settings.shape, &params, &pk, &witnesses, &bound, rand::rngs::OsRng)
    });
    let inference::Proved { proof, instances } = proved?;
    let (checked, verify_seconds) = step(progress, "verifying natively", || {
        proof::verify(&params, pk.get_vk(), &proof, &instances)
    });
    checked?;
    let outputs = inference::outputs(&program, &witnesses);
    let layout = program.instance_layout();
    let hashes = instance_hashes(&layout, &instances);
    let file = ProofFile {
        zkinfer_version: VERSION.into(),
        proof: format!("0x{}", hex::encode(&proof)),
        instances: instances.iter().map(encode_instance).collect(),
        instance_layout: layout,
        // only what the instances prove: public outputs (hashed or private ones stay out)
        outputs: if program.visibility.output == Vis::Public {
            outputs.clone()
        } else {
            Vec::new()
        },
        vk_hash: setup.vk_hash.clone(),
        k: settings.k,
        insecure_dev_srs: setup.insecure_dev_srs,
        srs_sha256: setup.srs_sha256.clone(),
        srs_known_ceremony: setup.srs_known_ceremony.clone(),
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
        hashes,
        batch,
        members,
        insecure_dev_srs: setup.insecure_dev_srs,
        warning: setup.insecure_dev_srs.then(|| INSECURE_SRS_WARNING.to_string()),
    })
}
