//! Proving and verifying keys: generation and checksummed files.

use super::artifact::{read, seal, unseal_named, write_atomic};
use super::transcript::{point_bytes, scalar_bytes};
use super::ProofError;
use crate::circuit::{CircuitShape, ModelCircuit};
use halo2_axiom::halo2curves::bn256::{Bn256, Fq, G1Affine, G2Affine};
use halo2_axiom::halo2curves::ff::PrimeField;
use halo2_axiom::plonk::{keygen_pk, keygen_vk_custom, ProvingKey, VerifyingKey};
use halo2_axiom::poly::commitment::ParamsProver;
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

/// Domain tag that starts the preimage of [`vk_hash`] (ASCII, no terminator).
pub const VK_HASH_TAG: &[u8] = b"zkinfer/vk-hash/v2";

/// Big-endian encoding of a base-field element.
fn fq_word(f: &Fq) -> [u8; 32] {
    let mut b = f.to_repr();
    b.reverse();
    b
}

/// The four words of a G2 point in the pairing precompile's order (x.c1, x.c0, y.c1, y.c0).
fn g2_words(p: &G2Affine) -> [[u8; 32]; 4] {
    [fq_word(&p.x.c1), fq_word(&p.x.c0), fq_word(&p.y.c1), fq_word(&p.y.c0)]
}

/// The two words `x`, `y` of a G1 point (zero words for the point at infinity).
fn g1_words(p: &G1Affine) -> [[u8; 32]; 2] {
    let b = point_bytes(p);
    let mut x = [0u8; 32];
    let mut y = [0u8; 32];
    x.copy_from_slice(&b[..32]);
    y.copy_from_slice(&b[32..]);
    [x, y]
}

/// The 32-byte words a generated Solidity verifier embeds for `vk` and the SRS `params` (the
/// separate layout's key contract holds exactly these): the vk digest (`transcript_repr`, which
/// halo2 computes over the domain, the constraint system and the commitments), each fixed
/// commitment `x, y`, each permutation commitment `x, y`, the SRS's G1 generator `x, y`, `s·G2`
/// and `−G2` (each `x.c1, x.c0, y.c1, y.c0`, the pairing precompile's order). All big-endian.
pub fn verifier_key_words(vk: &VerifyingKey<G1Affine>, params: &ParamsKZG<Bn256>) -> Vec<[u8; 32]> {
    let mut words = vec![scalar_bytes(&vk.transcript_repr())];
    for c in vk.fixed_commitments().iter().chain(vk.permutation().commitments()) {
        words.extend(g1_words(c));
    }
    words.extend(g1_words(&params.get_g()[0]));
    words.extend(g2_words(&params.s_g2()));
    words.extend(g2_words(&(-params.g2())));
    words
}

/// The verifier identity (`VK_HASH` of the generated verifier, `vk_hash` in settings.json,
/// proof files, fixtures and deployment records): `0x`-prefixed
/// `Keccak-256(VK_HASH_TAG ‖ vk bytes ‖ verifier_key_words(vk, params))`, the vk bytes being
/// halo2's raw serialisation (vk.bin's payload). It covers everything that decides whether a
/// verifier accepts: the key, the constraint system (through the digest) and the SRS points
/// the pairing uses (G1, s·G2, G2), so verifiers made with another SRS have other identities.
pub fn vk_hash(vk: &VerifyingKey<G1Affine>, params: &ParamsKZG<Bn256>) -> String {
    let mut h = Keccak256::new();
    h.update(VK_HASH_TAG);
    h.update(vk.to_bytes(FORMAT));
    for w in verifier_key_words(vk, params) {
        h.update(w);
    }
    format!("0x{}", hex::encode(h.finalize()))
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

fn parse<T>(origin: &str, what: &str, f: impl FnOnce() -> std::io::Result<T>) -> Result<T, ProofError> {
    let err = |reason: String| ProofError::File {
        path: origin.to_string(),
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
    pk_from_bytes(&path.display().to_string(), &read(path)?, shape)
}

/// Parses the bytes of a proving key file (`pk.bin`); `origin` names them in errors.
pub fn pk_from_bytes(origin: &str, bytes: &[u8], shape: CircuitShape) -> Result<ProvingKey<G1Affine>, ProofError> {
    let payload = unseal_named(origin, "pk", bytes)?;
    parse(origin, "proving key", || {
        ProvingKey::from_bytes::<ModelCircuit>(payload, FORMAT, shape)
    })
}

/// Reads a verifying key.
pub fn read_vk(path: &Path, shape: CircuitShape) -> Result<VerifyingKey<G1Affine>, ProofError> {
    let origin = path.display().to_string();
    let bytes = read(path)?;
    let payload = unseal_named(&origin, "vk", &bytes)?;
    parse(&origin, "verifying key", || {
        VerifyingKey::from_bytes::<ModelCircuit>(payload, FORMAT, shape)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::mock::tests::linear_program;
    use crate::circuit::plan::Plan;
    use halo2_axiom::halo2curves::bn256::{Fr, G2};
    use halo2_axiom::halo2curves::group::Curve;
    use rand_chacha::rand_core::SeedableRng;

    /// The identity covers the SRS points the verifier embeds: the same verifying key (same
    /// bytes) with another `s·G2`, another G2 generator or another G1 generator is another
    /// verifier, and gets another identity; an SRS of another secret also changes it.
    #[test]
    fn the_vk_hash_covers_the_srs_points() {
        let (p, _) = linear_program();
        let shape = CircuitShape::default();
        let k = crate::circuit::size_in(&p, shape).k;
        let params = ParamsKZG::<Bn256>::setup(k, rand_chacha::ChaCha20Rng::seed_from_u64(1));
        let pk = keygen(&params, &ModelCircuit::new(Plan::new(&p, None, shape))).expect("keygen");
        let vk = pk.get_vk();
        let id = vk_hash(vk, &params);
        assert_eq!(id, vk_hash(vk, &params), "deterministic");
        assert_eq!(id.len(), 66);
        let words = verifier_key_words(vk, &params);
        assert_eq!(
            words.len(),
            1 + 2 * (vk.fixed_commitments().len() + vk.permutation().commitments().len()) + 2 + 4 + 4
        );

        let g = params.get_g().to_vec();
        let other_s_g2 = (params.s_g2() * Fr::from(7)).to_affine();
        let other_g2 = (G2::generator() * Fr::from(5)).to_affine();
        let mut other_g = g.clone();
        other_g[0] = (other_g[0] * Fr::from(3)).to_affine();
        let variants = [
            ("s·G2", params.from_parts(k, g.clone(), None, params.g2(), other_s_g2)),
            ("G2", params.from_parts(k, g.clone(), None, other_g2, params.s_g2())),
            ("G1", params.from_parts(k, other_g, None, params.g2(), params.s_g2())),
        ];
        let mut ids = vec![id.clone()];
        for (what, other) in &variants {
            let other_id = vk_hash(vk, other);
            assert!(!ids.contains(&other_id), "another {what} must change the identity");
            ids.push(other_id);
        }
        // the same circuit keyed with an SRS of another secret
        let params_b = ParamsKZG::<Bn256>::setup(k, rand_chacha::ChaCha20Rng::seed_from_u64(2));
        let pk_b = keygen(&params_b, &ModelCircuit::new(Plan::new(&p, None, shape))).expect("keygen");
        assert_ne!(vk_hash(pk_b.get_vk(), &params_b), id);
        let plain = format!("0x{}", hex::encode(Keccak256::digest(vk.to_bytes(FORMAT))));
        assert_ne!(id, plain, "not the old key-bytes-only hash");
    }
}
