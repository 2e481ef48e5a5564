//! Proving and verifying keys: generation and checksummed files.

use super::artifact::{read, seal, unseal, write_atomic};
use super::ProofError;
use crate::circuit::{CircuitShape, ModelCircuit};
use halo2_axiom::halo2curves::bn256::{Bn256, G1Affine};
use halo2_axiom::plonk::{keygen_pk, keygen_vk_custom, ProvingKey, VerifyingKey};
use halo2_axiom::poly::kzg::commitment::ParamsKZG;
use halo2_axiom::SerdeFormat;
use sha3::{Digest, Keccak256};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

const FORMAT: SerdeFormat = SerdeFormat::RawBytes;

/// Generates the verifying and proving keys (selectors compressed into fixed columns).
pub fn keygen(params: &ParamsKZG<Bn256>, circuit: &ModelCircuit) -> Result<ProvingKey<G1Affine>, ProofError> {
    let empty = {
        use halo2_axiom::plonk::Circuit;
        circuit.without_witnesses()
    };
    let vk = keygen_vk_custom(params, &empty, true).map_err(|e| ProofError::Keygen(format!("{e:?}")))?;
    keygen_pk(params, vk, &empty).map_err(|e| ProofError::Keygen(format!("{e:?}")))
}

/// `0x`-prefixed Keccak-256 of the verifying key's serialisation.
pub fn vk_hash(vk: &VerifyingKey<G1Affine>) -> String {
    format!("0x{}", hex::encode(Keccak256::digest(vk.to_bytes(FORMAT))))
}

fn label(kind: &str, insecure: bool) -> String {
    if insecure {
        format!("{kind};dev-insecure")
    } else {
        kind.to_string()
    }
}

/// Writes a sealed file and returns the hex SHA-256 of the bytes written.
fn write_sealed(path: &Path, label: &str, payload: &[u8]) -> Result<String, ProofError> {
    use sha2::Digest;
    let bytes = seal(label, payload);
    write_atomic(path, &bytes)?;
    Ok(hex::encode(sha2::Sha256::digest(&bytes)))
}

/// Writes a proving key; `insecure` labels a key made with the development SRS. Returns the
/// file's hex SHA-256.
pub fn write_pk(path: &Path, pk: &ProvingKey<G1Affine>, insecure: bool) -> Result<String, ProofError> {
    write_sealed(path, &label("pk", insecure), &pk.to_bytes(FORMAT))
}

/// Writes a verifying key; `insecure` labels a key made with the development SRS. Returns the
/// file's hex SHA-256.
pub fn write_vk(path: &Path, vk: &VerifyingKey<G1Affine>, insecure: bool) -> Result<String, ProofError> {
    write_sealed(path, &label("vk", insecure), &vk.to_bytes(FORMAT))
}

fn parse<T>(path: &Path, what: &str, f: impl FnOnce() -> std::io::Result<T>) -> Result<T, ProofError> {
    let err = |reason: String| ProofError::File {
        path: path.display().to_string(),
        reason,
    };
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(err(format!("is not a valid {what} for this zkinfer version: {e}"))),
        Err(_) => Err(err(format!("is not a valid {what} for this zkinfer version (parse failure)"))),
    }
}

/// Reads a proving key.
pub fn read_pk(path: &Path, shape: CircuitShape) -> Result<ProvingKey<G1Affine>, ProofError> {
    let bytes = read(path)?;
    let payload = unseal(path, "pk", &bytes)?;
    parse(path, "proving key", || {
        ProvingKey::from_bytes::<ModelCircuit>(payload, FORMAT, shape)
    })
}

/// Reads a verifying key.
pub fn read_vk(path: &Path, shape: CircuitShape) -> Result<VerifyingKey<G1Affine>, ProofError> {
    let bytes = read(path)?;
    let payload = unseal(path, "vk", &bytes)?;
    parse(path, "verifying key", || {
        VerifyingKey::from_bytes::<ModelCircuit>(payload, FORMAT, shape)
    })
}
