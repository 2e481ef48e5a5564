//! The proof file (JSON): proof bytes, public instances, dequantized outputs, vk hash.

use super::artifact::write_atomic;
use super::transcript::{scalar_bytes, scalar_from_bytes};
use super::ProofError;
use halo2_axiom::halo2curves::bn256::Fr;
use halo2_axiom::halo2curves::ff::PrimeField;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Dequantized values of one model output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputValues {
    /// Output name.
    pub name: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// Fixed-point scale exponent of the instances.
    pub scale: u32,
    /// Dequantized values.
    pub values: Vec<f64>,
    /// The batch member (batch proofs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<usize>,
}

/// A proof and what it proves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProofFile {
    /// zkinfer version that made it.
    pub zkinfer_version: String,
    /// Proof bytes, `0x`-prefixed hex.
    pub proof: String,
    /// Public instances: `0x`-prefixed 32-byte big-endian integers below the field modulus.
    pub instances: Vec<String>,
    /// What each instance is: name, kind (`output`, `input`, `output_hash`, `input_hash`,
    /// `bound`), fixed-point scale of values, first index and count.
    pub instance_layout: Vec<crate::quantize::InstanceSlot>,
    /// Dequantized public outputs (empty when the outputs are hashed or private).
    pub outputs: Vec<OutputValues>,
    /// Keccak-256 of the verifying key the proof was made for.
    pub vk_hash: String,
    /// Circuit size.
    pub k: u32,
    /// True when made with the insecure development SRS.
    pub insecure_dev_srs: bool,
    /// SHA-256 of the SRS file the keys were made from (settings.json's `setup.srs_sha256`);
    /// absent in files made before zkinfer recorded it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub srs_sha256: String,
    /// The known public ceremony file that SRS is or was imported from (settings.json's
    /// `setup.srs_known_ceremony`); absent for any other SRS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub srs_known_ceremony: Option<String>,
}

/// Reads a field element as a signed integer: values above (r − 1)/2 are negative. `None` when
/// the magnitude does not fit in an `i128` (no honest instance is that large).
pub fn signed_value(v: &Fr) -> Option<i128> {
    let neg = -*v;
    let small = |f: &Fr| -> Option<i128> {
        let b = f.to_repr();
        if b[16..].iter().any(|&x| x != 0) || b[15] & 0x80 != 0 {
            return None;
        }
        Some(i128::from_le_bytes(b[..16].try_into().expect("16 bytes")))
    };
    small(v).or_else(|| small(&neg).map(|m| -m))
}

/// Dequantized values of instances at a scale.
pub fn dequantize(values: &[Fr], scale: u32) -> Option<Vec<f64>> {
    let m = 2f64.powi(scale as i32);
    values.iter().map(|v| signed_value(v).map(|i| i as f64 / m)).collect()
}

/// Encodes an instance as `0x` + 64 hex digits.
pub fn encode_instance(v: &Fr) -> String {
    format!("0x{}", hex::encode(scalar_bytes(v)))
}

fn decode_hex(s: &str) -> Result<Vec<u8>, String> {
    let h = s.strip_prefix("0x").ok_or_else(|| "missing 0x prefix".to_string())?;
    hex::decode(h).map_err(|e| format!("invalid hex: {e}"))
}

impl ProofFile {
    /// Reads and parses a proof file.
    pub fn read(path: &Path) -> Result<Self, ProofError> {
        let err = |reason: String| ProofError::ProofFile {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
        serde_json::from_str(&text).map_err(|e| err(format!("not a zkinfer proof file: {e}")))
    }

    /// Writes the file atomically.
    pub fn write(&self, path: &Path) -> Result<(), ProofError> {
        let text = serde_json::to_string_pretty(self).expect("serialisable");
        write_atomic(path, text.as_bytes())
    }

    /// Decoded proof bytes.
    pub fn proof_bytes(&self, path: &Path) -> Result<Vec<u8>, ProofError> {
        decode_hex(&self.proof).map_err(|r| ProofError::ProofFile {
            path: path.display().to_string(),
            reason: format!("field `proof`: {r}"),
        })
    }

    /// Decoded instances; each must be exactly 32 bytes and below the field modulus r.
    pub fn instance_values(&self, path: &Path) -> Result<Vec<Fr>, ProofError> {
        self.instances
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let err = |r: String| ProofError::ProofFile {
                    path: path.display().to_string(),
                    reason: format!("instance #{i}: {r}"),
                };
                let b = decode_hex(s).map_err(err)?;
                let arr: [u8; 32] = b
                    .as_slice()
                    .try_into()
                    .map_err(|_| err(format!("{} bytes, expected 32", b.len())))?;
                scalar_from_bytes(&arr).map_err(|e| err(e.to_string()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(instances: Vec<String>) -> ProofFile {
        ProofFile {
            zkinfer_version: "t".into(),
            proof: "0x00".into(),
            instances,
            instance_layout: vec![],
            outputs: vec![],
            vk_hash: "0x".into(),
            k: 4,
            insecure_dev_srs: true,
            srs_sha256: String::new(),
            srs_known_ceremony: None,
        }
    }

    #[test]
    fn signed_values_and_dequantization() {
        assert_eq!(signed_value(&-Fr::from(5u64)), Some(-5));
        assert_eq!(signed_value(&Fr::from(7u64)), Some(7));
        assert_eq!(signed_value(&Fr::from_u128(1u128 << 127)), None);
        assert_eq!(dequantize(&[-Fr::from(3u64), Fr::from(8u64)], 2), Some(vec![-0.75, 2.0]));
    }

    #[test]
    fn instances_roundtrip_and_out_of_field_values_are_rejected() {
        let v = -Fr::from(5u64);
        let f = file(vec![encode_instance(&v)]);
        assert_eq!(f.instance_values(Path::new("p")).unwrap(), vec![v]);
        // r itself
        let r = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001".to_string();
        let e = file(vec![r]).instance_values(Path::new("p")).unwrap_err().to_string();
        assert!(e.contains("instance #0") && e.contains("modulus r"), "{e}");
        let e = file(vec!["0x1234".into()]).instance_values(Path::new("p")).unwrap_err().to_string();
        assert!(e.contains("2 bytes, expected 32"), "{e}");
    }
}
