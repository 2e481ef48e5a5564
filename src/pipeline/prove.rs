//! `prove`: witness from an input file, proof, native self-check, proof file.

use super::settings::{read_program, Settings};
use super::{step, BuildDir, Error, Progress, INSECURE_SRS_WARNING, VERSION};
use crate::circuit::{ModelCircuit, Plan};
use crate::model::InputData;
use crate::proof::proof_file::encode_instance;
use crate::proof::{self, read_pk, srs, vk_hash, OutputValues, ProofFile};
use crate::quantize::eval::{evaluate, quantize_inputs};
use crate::quantize::{InstanceSlot, Program, Vis, Witness};
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

/// The hash instances of a proof: `(name, 0x-hex)` for each hash slot of the layout.
pub fn instance_hashes(layout: &[InstanceSlot], instances: &[Fr]) -> Vec<(String, String)> {
    layout
        .iter()
        .filter(|s| s.kind.is_hash())
        .map(|s| {
            let name = match s.member {
                Some(m) => format!("{} (member {m})", s.name),
                None => s.name.clone(),
            };
            (name, encode_instance(&instances[s.start]))
        })
        .collect()
}

/// The samples of an input file, each evaluated by the program, when there are at least one
/// and at most `most`; `what` says what takes them in the error.
fn witnesses(program: &Program, input: &Path, most: usize, what: &str) -> Result<Vec<Witness>, Error> {
    let data = InputData::from_file(input)?;
    let sizes: Vec<usize> = program.inputs.iter().map(|i| i.wires.len()).collect();
    let samples = data.samples(&sizes, &input.display().to_string())?;
    if samples.is_empty() || samples.len() > most {
        return Err(Error::Usage(format!("{} holds {} samples; {what}", input.display(), samples.len())));
    }
    samples
        .iter()
        .map(|s| {
            let q = quantize_inputs(program, s)?;
            Ok(evaluate(program, &q, true)?.0)
        })
        .collect()
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
    let mut values: Vec<Option<Fr>> = vec![None; program.bound.len()];
    for g in given {
        let (name, value) = g
            .split_once('=')
            .ok_or_else(|| Error::Usage(format!("--bind {g:?}: expected NAME=VALUE")))?;
        let i = program.bound.iter().position(|b| b == name).ok_or_else(|| {
            Error::Usage(if program.bound.is_empty() {
                format!("--bind {name}: this build binds no public values (compile with --bind {name})")
            } else {
                format!("--bind {name}: this build binds {}", program.bound.join(", "))
            })
        })?;
        if values[i].is_some() {
            return Err(Error::Usage(format!("--bind {name} is given twice")));
        }
        values[i] = Some(parse_field(value).map_err(|why| Error::Usage(format!("--bind {name}={value}: {why}")))?);
    }
    values
        .into_iter()
        .zip(&program.bound)
        .map(|(v, name)| v.ok_or_else(|| Error::Usage(format!("this build binds `{name}`: pass --bind {name}=VALUE"))))
        .collect()
}

/// A field element from `0x`-hex or decimal text, refusing values ≥ r (never reduced).
pub fn parse_field(text: &str) -> Result<Fr, String> {
    let n = if let Some(h) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        if h.is_empty() || h.len() > 64 || !h.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err("expected up to 64 hex digits after 0x".into());
        }
        num_bigint::BigUint::parse_bytes(h.as_bytes(), 16).ok_or("not hex")?
    } else {
        if text.is_empty() || !text.chars().all(|c| c.is_ascii_digit()) {
            return Err("expected a decimal number or 0x-hex".into());
        }
        num_bigint::BigUint::parse_bytes(text.as_bytes(), 10).ok_or("not decimal")?
    };
    let bytes = n.to_bytes_be();
    if bytes.len() > 32 {
        return Err("does not fit in 256 bits".into());
    }
    let mut be = [0u8; 32];
    be[32 - bytes.len()..].copy_from_slice(&bytes);
    crate::proof::transcript::scalar_from_bytes(&be).map_err(|_| "is not below the field modulus r".to_string())
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
    // a batch's padding members repeat the last real member
    let mut plans: Vec<Plan> = (0..batch)
        .map(|m| {
            let i = m.min(members - 1);
            let mut plan = Plan::new(&member, Some(&witnesses[i]), settings.shape);
            plan.bind(bound[i].clone());
            plan
        })
        .collect();
    let plan = if batch > 1 {
        Plan::batch(plans, members)
    } else {
        plans.pop().expect("one plan")
    };
    let instances = plan.instance_values();
    let circuit = ModelCircuit::new(plan);
    let (proof, prove_seconds) = step(progress, "proving", || {
        proof::prove(&params, &pk, circuit, &instances, rand::rngs::OsRng)
    });
    let proof = proof?;
    let (checked, verify_seconds) = step(progress, "verifying natively", || {
        proof::verify(&params, pk.get_vk(), &proof, &instances)
    });
    checked?;
    let outputs: Vec<OutputValues> = (0..batch)
        .flat_map(|m| {
            let w = &witnesses[m.min(members - 1)];
            program
                .outputs
                .iter()
                .zip(w.dequantized_outputs(&member))
                .map(move |(o, values)| OutputValues {
                    name: o.name.clone(),
                    shape: o.shape.clone(),
                    scale: o.scale,
                    values,
                    member: (batch > 1).then_some(m),
                })
        })
        .collect();
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
