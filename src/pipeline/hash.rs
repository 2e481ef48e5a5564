//! `hash`: the Poseidon hash of an input file's values, of the outputs the model computes from
//! them, or of the build's model parameters, exactly as the circuit of a build computes it for
//! `hashed` visibility.

use super::prove::witness_for;
use super::settings::{read_program, Settings};
use super::{BuildDir, Error};
use crate::circuit::{fe, poseidon};
use crate::proof::proof_file::encode_instance;
use crate::quantize::{Part, Program, Vis};
use halo2_axiom::halo2curves::bn256::Fr;
use serde::Serialize;
use std::path::Path;

/// The hash of one part.
#[derive(Clone, Debug, Serialize)]
pub struct HashReport {
    /// `input`, `output` or `params`.
    pub part: Part,
    /// Input file (none for the parameters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// The hash, `0x` + 64 hex digits (the instance a proof with this part `hashed` carries).
    pub hash: String,
    /// Decimal form of the hash (what a uint256 literal in Solidity takes).
    pub hash_decimal: String,
    /// Number of hashed values.
    pub values: usize,
    /// Fixed-point scale exponents of the hashed tensors, in order (none for the parameters).
    pub scales: Vec<u32>,
    /// The build's visibility of this part.
    pub visibility: Vis,
    /// Index of the hash among the proof's instances, when this build hashes the part.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_index: Option<usize>,
}

/// The params hash of a program: the Poseidon hash (in the params domain) of
/// [`Program::param_values`] (the model commitment a proof with hashed params carries).
pub fn params_hash(program: &Program) -> Fr {
    let values: Vec<Fr> = program.param_values().into_iter().map(fe).collect();
    poseidon::hash(Part::Params, &values)
}

/// Hashes `part` in its domain ([`poseidon::capacity`]) with the build's quantization: for
/// `input`/`output`, of the sample in `data` (the fixed-point integers the circuit holds,
/// negative ones as `r − |v|`, tensor after tensor, row-major); for `params`, the build's
/// quantized model parameters.
pub fn hash(dir: &BuildDir, data: Option<&Path>, part: Part) -> Result<HashReport, Error> {
    let settings = Settings::read(dir)?;
    let program = read_program(dir, &settings)?;
    let values: Vec<Fr> = match (part, data) {
        (Part::Params, None) => program.param_values().into_iter().map(fe).collect(),
        (Part::Params, Some(_)) => {
            return Err(Error::Usage(
                "hash --part params hashes the build's own parameters; drop --data".into(),
            ))
        }
        (_, None) => return Err(Error::Usage(format!("hash --part {} needs --data FILE", part.as_str()))),
        (_, Some(data)) => {
            // the whole model is evaluated, so an input outside the calibrated ranges is
            // refused here as it would be by `prove`
            let witness = witness_for(&program, data)?;
            program.part_wires(part).iter().map(|w| fe(witness.values[*w as usize])).collect()
        }
    };
    let digest = poseidon::hash(part, &values);
    let (visibility, kind, scales) = program.part_info(part);
    let instance_index = settings.instance_layout.iter().find(|s| s.kind == kind).map(|s| s.start);
    let hex = encode_instance(&digest);
    let decimal = num_bigint::BigUint::parse_bytes(&hex.as_bytes()[2..], 16).expect("hex").to_string();
    Ok(HashReport {
        part,
        data: data.map(|d| d.display().to_string()),
        hash: hex,
        hash_decimal: decimal,
        values: values.len(),
        scales,
        visibility,
        instance_index,
    })
}
