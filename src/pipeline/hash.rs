//! `hash`: the Poseidon hash of an input file's values (or of the outputs the model computes
//! from it), exactly as the circuit of a build computes it for `hashed` visibility.

use super::prove::witness_for;
use super::settings::{read_program, Settings};
use super::{BuildDir, Error};
use crate::circuit::{fe, poseidon};
use crate::proof::proof_file::encode_instance;
use crate::quantize::{Part, Vis};
use serde::Serialize;
use std::path::Path;

/// The hash of one part.
#[derive(Clone, Debug, Serialize)]
pub struct HashReport {
    /// `input` or `output`.
    pub part: Part,
    /// Input file.
    pub data: String,
    /// The hash, `0x` + 64 hex digits (the instance a proof with this part `hashed` carries).
    pub hash: String,
    /// Decimal form of the hash (what a uint256 literal in Solidity takes).
    pub hash_decimal: String,
    /// Number of hashed values.
    pub values: usize,
    /// Fixed-point scale exponents of the hashed tensors, in order.
    pub scales: Vec<u32>,
    /// The build's visibility of this part.
    pub visibility: Vis,
    /// Index of the hash among the proof's instances, when this build hashes the part.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_index: Option<usize>,
}

/// Hashes `part` (`input` or `output`) of the sample in `data` with the build's quantization:
/// the values are the fixed-point integers the circuit holds (negative ones as `r − |v|`),
/// tensor after tensor, row-major.
pub fn hash(dir: &BuildDir, data: &Path, part: Part) -> Result<HashReport, Error> {
    let settings = Settings::read(dir)?;
    let program = read_program(dir, &settings)?;
    if part == Part::Params {
        return Err(Error::Usage("hash: the parts are `input` and `output`".into()));
    }
    // the whole model is evaluated, so an input outside the calibrated ranges is refused here
    // as it would be by `prove`
    let witness = witness_for(&program, data)?;
    let wires = program.part_wires(part);
    let values: Vec<_> = wires.iter().map(|w| fe(witness.values[*w as usize])).collect();
    let digest = poseidon::hash(&values);
    let (visibility, kind, scales) = match part {
        Part::Input => (
            program.visibility.input,
            crate::quantize::InstanceKind::InputHash,
            program.inputs.iter().map(|i| i.scale).collect(),
        ),
        _ => (
            program.visibility.output,
            crate::quantize::InstanceKind::OutputHash,
            program.outputs.iter().map(|o| o.scale).collect(),
        ),
    };
    let instance_index = settings.instance_layout.iter().find(|s| s.kind == kind).map(|s| s.start);
    let hex = encode_instance(&digest);
    let decimal = num_bigint::BigUint::parse_bytes(&hex.as_bytes()[2..], 16).expect("hex").to_string();
    Ok(HashReport {
        part,
        data: data.display().to_string(),
        hash: hex,
        hash_decimal: decimal,
        values: values.len(),
        scales,
        visibility,
        instance_index,
    })
}
