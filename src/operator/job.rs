//! From a request to a proof: the model's build, the sample the request describes (its public
//! inputs, or the data file its data URI names), the bound values, the proof, and the check
//! that the proof's public inputs are the request's (same input key) before anything is sent.

use super::config::ModelConfig;
use super::store::RequestEvent;
use crate::model::data::InputData;
use crate::pipeline::prove::prove_with;
use crate::pipeline::settings::{read_program, Settings};
use crate::pipeline::{BuildDir, Silent};
use crate::proof::proof_file::signed_value;
use crate::proof::ProofFile;
use crate::quantize::{InstanceKind, InstanceSlot, Program};
use alloy::primitives::{keccak256, B256, U256};
use std::path::{Path, PathBuf};

/// A build the operator proves a model with.
#[derive(Clone, Debug)]
pub struct ModelBuild {
    /// The model as configured.
    pub config: ModelConfig,
    /// Its build folder.
    pub dir: BuildDir,
    /// One inference's program.
    pub member: Program,
    /// One inference's instance slots.
    pub layout: Vec<InstanceSlot>,
    /// Inferences per proof (1: not a batch build).
    pub batch: usize,
    /// Instances per inference.
    pub instances: usize,
    /// Leading output instances per inference.
    pub outputs: usize,
    /// The build's verifying-key hash.
    pub vk_hash: String,
}

impl ModelBuild {
    /// Loads the build of `config`: it must be compiled and set up.
    pub fn load(config: &ModelConfig) -> Result<ModelBuild, String> {
        let dir = BuildDir(config.build.clone());
        let settings = Settings::read(&dir).map_err(|e| e.to_string())?;
        let setup = settings
            .setup
            .clone()
            .ok_or_else(|| format!("build {} has no keys; run `zkinfer setup` on it", config.build.display()))?;
        let program = read_program(&dir, &settings).map_err(|e| e.to_string())?;
        let member = program.member();
        let layout = member.instance_layout();
        let instances = layout.iter().map(|s| s.len).sum();
        let outputs = layout
            .iter()
            .take_while(|s| matches!(s.kind, InstanceKind::Output | InstanceKind::OutputHash))
            .map(|s| s.len)
            .sum();
        Ok(ModelBuild {
            config: config.clone(),
            dir,
            batch: program.batch.max(1),
            member,
            layout,
            instances,
            outputs,
            vk_hash: setup.vk_hash,
        })
    }
}

/// What proving one request needs: the sample and the bound values.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// One flat list per model input.
    pub inputs: Vec<Vec<f64>>,
    /// `NAME=VALUE` per bound name.
    pub bind: Vec<String>,
}

fn field(text: &str) -> Result<U256, String> {
    text.parse::<U256>()
        .map_err(|e| format!("public input {text} is not a number: {e}"))
}

/// The sample a request describes: public inputs are taken from the request (fixed point at
/// their scale), other inputs from the data its URI names; bound values from the request.
pub fn sample_for(build: &ModelBuild, request: &RequestEvent, data_dir: Option<&Path>) -> Result<Sample, String> {
    let expected = build.instances - build.outputs;
    if request.public_inputs.len() != expected {
        return Err(format!(
            "the request carries {} public input(s) but model {} takes {expected} after its {} output(s)",
            request.public_inputs.len(),
            build.config.name,
            build.outputs
        ));
    }
    let data = if request.data_uri.is_empty() {
        None
    } else {
        Some(read_data_uri(&request.data_uri, data_dir)?)
    };
    let sizes: Vec<usize> = build.member.inputs.iter().map(|i| i.wires.len()).collect();
    let mut inputs: Vec<Option<Vec<f64>>> = match &data {
        Some(d) => {
            let samples = d
                .samples(&sizes, &request.data_uri)
                .map_err(|e| format!("the request's data: {e}"))?;
            if samples.len() != 1 {
                return Err(format!(
                    "the request's data {} holds {} samples; a request is one inference",
                    request.data_uri,
                    samples.len()
                ));
            }
            samples[0].iter().cloned().map(Some).collect()
        }
        None => vec![None; sizes.len()],
    };
    let mut bind = Vec::new();
    for slot in build.layout.iter().filter(|s| s.start >= build.outputs) {
        let at = slot.start - build.outputs;
        let values = &request.public_inputs[at..at + slot.len];
        match slot.kind {
            InstanceKind::Input => {
                let i = build
                    .member
                    .inputs
                    .iter()
                    .position(|x| x.name == slot.name)
                    .ok_or_else(|| format!("the build's instance layout names input {} that the model does not have", slot.name))?;
                let scale = slot.scale.unwrap_or(build.member.inputs[i].scale);
                let mut list = Vec::with_capacity(values.len());
                for v in values {
                    let fe = crate::pipeline::prove::parse_field(v).map_err(|e| format!("public input {v} {e}"))?;
                    let int = signed_value(&fe)
                        .ok_or_else(|| format!("public input {v} of {} is not a fixed-point value (too large)", slot.name))?;
                    list.push(int as f64 / 2f64.powi(scale as i32));
                }
                // the request's public values win over a data file's (the input key decides)
                inputs[i] = Some(list);
            }
            InstanceKind::Bound => {
                for v in values {
                    field(v)?;
                    bind.push(format!("{}={v}", slot.name));
                }
            }
            InstanceKind::InputHash if data.is_none() => {
                return Err(format!(
                    "model {} commits to its inputs (hashed); the request must say where the data is (dataUri), and it is empty",
                    build.config.name
                ))
            }
            _ => {}
        }
    }
    let inputs = inputs
        .into_iter()
        .zip(&build.member.inputs)
        .map(|(v, i)| {
            v.ok_or_else(|| {
                format!(
                    "model input {} is not public, so the request must point to its data (dataUri), and it is empty",
                    i.name
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Sample { inputs, bind })
}

/// Reads the data a request's URI names: `data:,{json}` inline, or `file:NAME` (a file under
/// the configured data folder; no `..`, no absolute paths).
pub fn read_data_uri(uri: &str, data_dir: Option<&Path>) -> Result<InputData, String> {
    if let Some(rest) = uri.strip_prefix("data:") {
        let (_, body) = rest
            .split_once(',')
            .ok_or_else(|| format!("data URI {uri}: no ',' before the data"))?;
        return InputData::parse(body, "the request's data URI").map_err(|e| e.to_string());
    }
    if let Some(name) = uri.strip_prefix("file:") {
        let dir =
            data_dir.ok_or_else(|| format!("the request's data is {uri}, but the operator has no data_dir to look it up in (config)"))?;
        let name = name.trim_start_matches("//");
        let rel = Path::new(name);
        if name.is_empty() || rel.is_absolute() || rel.components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
            return Err(format!("data URI {uri}: the name must be a relative path inside the data folder"));
        }
        let path = dir.join(rel);
        return InputData::from_file(&path).map_err(|e| e.to_string());
    }
    Err(format!(
        "data URI {uri}: unsupported scheme (the operator reads `data:,JSON` and `file:NAME` under its data_dir)"
    ))
}

/// The input key of public inputs: keccak256 of their 32-byte big-endian concatenation.
pub fn input_key(values: &[U256]) -> B256 {
    let mut bytes = Vec::with_capacity(32 * values.len());
    for v in values {
        bytes.extend_from_slice(&v.to_be_bytes::<32>());
    }
    keccak256(bytes)
}

/// A proof for a request (or a batch of them).
#[derive(Clone, Debug)]
pub struct Proved {
    /// The proof file.
    pub path: PathBuf,
    /// Proof bytes.
    pub proof: Vec<u8>,
    /// All instances.
    pub instances: Vec<U256>,
    /// Each request's outputs (`0x` hex), in order.
    pub outputs: Vec<Vec<String>>,
    /// Seconds proving took.
    pub seconds: f64,
}

/// Why proving requests failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProveFailure {
    /// Proving again cannot help: the request (`request`, its id) does not describe what its
    /// key commits to.
    Mismatch {
        /// The request.
        request: String,
        /// What is wrong.
        reason: String,
    },
    /// Something that may pass on another attempt.
    Other(String),
}

impl std::fmt::Display for ProveFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProveFailure::Mismatch { reason, .. } | ProveFailure::Other(reason) => f.write_str(reason),
        }
    }
}

/// Proves `samples` (one per request; for a batch build, 1..=batch of them) into `out`, and
/// checks each member's public inputs against its request's input key.
pub fn prove_requests(build: &ModelBuild, requests: &[&RequestEvent], samples: &[Sample], out: &Path) -> Result<Proved, ProveFailure> {
    let o = ProveFailure::Other;
    let dir = out.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| o(format!("cannot create {}: {e}", dir.display())))?;
    let data = InputData {
        inputs: (0..build.member.inputs.len())
            .map(|i| samples.iter().flat_map(|s| s.inputs[i].iter().copied()).collect())
            .collect(),
    };
    let input = out.with_extension("input.json");
    std::fs::write(&input, data.to_json()).map_err(|e| o(format!("cannot write {}: {e}", input.display())))?;
    let bind: Vec<String> = if build.batch > 1 {
        // one value per sample: NAME=V1,V2,...
        let names: Vec<String> = samples[0]
            .bind
            .iter()
            .map(|b| b.split_once('=').map(|(n, _)| n.to_string()).unwrap_or_default())
            .collect();
        names
            .iter()
            .enumerate()
            .map(|(k, name)| {
                let values: Vec<&str> = samples
                    .iter()
                    .map(|s| s.bind[k].split_once('=').map(|(_, v)| v).unwrap_or(""))
                    .collect();
                format!("{name}={}", values.join(","))
            })
            .collect()
    } else {
        samples[0].bind.clone()
    };
    let start = std::time::Instant::now();
    prove_with(&build.dir, &input, out, &bind, &Silent).map_err(|e| o(e.to_string()))?;
    let seconds = start.elapsed().as_secs_f64();
    let file = ProofFile::read(out).map_err(|e| o(e.to_string()))?;
    let proof = file.proof_bytes(out).map_err(|e| o(e.to_string()))?;
    let instances: Vec<U256> = file
        .instance_values(out)
        .map_err(|e| o(e.to_string()))?
        .iter()
        .map(|v| U256::from_be_bytes(crate::proof::transcript::scalar_bytes(v)))
        .collect();
    let first = usize::from(build.batch > 1);
    let mut outputs = Vec::new();
    for (m, r) in requests.iter().enumerate() {
        let at = first + m * build.instances;
        let member = &instances[at..at + build.instances];
        let key = input_key(&member[build.outputs..]);
        if format!("{key:#x}") != r.input_key.to_lowercase() {
            return Err(ProveFailure::Mismatch {
                request: r.request_id.clone(),
                reason: format!(
                    "the proof's public inputs do not match request {} (input key {key:#x}, the request's {}): its data is not what it commits to, or its values are not representable at the model's input scale",
                    r.request_id, r.input_key
                ),
            });
        }
        outputs.push(member[..build.outputs].iter().map(|v| format!("{v:#x}")).collect());
    }
    Ok(Proved {
        path: out.to_path_buf(),
        proof,
        instances,
        outputs,
        seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_uris_stay_inside_the_data_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.json"), r#"{"input_data": [[1.0, 2.0]]}"#).unwrap();
        let d = read_data_uri("file:a.json", Some(dir.path())).unwrap();
        assert_eq!(d.inputs, vec![vec![1.0, 2.0]]);
        let d = read_data_uri(r#"data:application/json,{"input_data": [[3.0]]}"#, None).unwrap();
        assert_eq!(d.inputs, vec![vec![3.0]]);
        for (uri, needle) in [
            ("file:../secret.json", "inside the data folder"),
            ("file:/etc/passwd", "inside the data folder"),
            ("file:a.json", "no data_dir"),
            ("https://example.com/x.json", "unsupported scheme"),
            ("data:{}", "no ','"),
        ] {
            let dir_arg = if needle == "no data_dir" { None } else { Some(dir.path()) };
            let e = read_data_uri(uri, dir_arg).err().unwrap_or_else(|| panic!("{uri} accepted"));
            assert!(e.contains(needle), "{uri}: {e}");
        }
    }

    #[test]
    fn input_keys_match_the_oracles() {
        // keccak256(abi.encodePacked(uint256[] [1, 2]))
        let k = input_key(&[U256::from(1), U256::from(2)]);
        let mut b = [0u8; 64];
        b[31] = 1;
        b[63] = 2;
        assert_eq!(k, keccak256(b));
        assert_eq!(input_key(&[]), keccak256([]));
    }
}
