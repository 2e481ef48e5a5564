//! The KZG structured reference string: a cached, deterministic development SRS (insecure:
//! its secret is derived from a public seed) or a file: a snarkjs powers-of-tau file or a
//! halo2 KZG params file, checked before use ([`super::srs_check`]). The build directory's
//! `kzg.srs` is halo2's raw serialisation, written and read here.

use super::artifact::write_atomic;
use super::ceremony::hash_file;
use super::srs_check::{check_file, open_for, phase, DevPolicy, SrsIdentity, Tick};
use super::ProofError;
use halo2_axiom::halo2curves::bn256::{Bn256, Fr, G1Affine, G2Affine};
use halo2_axiom::halo2curves::ff::Field;
use halo2_axiom::halo2curves::group::Curve;
use halo2_axiom::halo2curves::pairing::Engine;
use halo2_axiom::poly::commitment::{Params, ParamsProver};
use halo2_axiom::poly::kzg::commitment::ParamsKZG;
use halo2_axiom::SerdeFormat;
use rand::SeedableRng;
use std::path::{Path, PathBuf};

/// Seed of the development SRS. Anyone can recompute its secret: never use it in production.
const DEV_SEED: u64 = 0x7a6b_696e_6665_7231;

/// Where an SRS comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SrsSource {
    /// The deterministic development SRS (insecure).
    Dev,
    /// A snarkjs `.ptau` file or a halo2 KZG params file; refused when it is the development
    /// SRS (see [`is_dev`]).
    File(PathBuf),
    /// A params file the user declares to be the development SRS (`--srs FILE --dev-srs`):
    /// loaded from the file and labelled insecure; refused when it is not the development SRS.
    DevFile(PathBuf),
}

/// Loaded parameters and where they came from.
#[derive(Debug)]
pub struct Srs {
    /// Parameters downsized to the circuit's `k`.
    pub params: ParamsKZG<Bn256>,
    /// Whether this is the insecure development SRS.
    pub insecure: bool,
    /// The SRS file's hashes, format and known ceremony (for `--dev-srs` alone: the cached
    /// development SRS file of size `k`, format `dev`).
    pub identity: SrsIdentity,
    /// Whether a record of an earlier full check vouched for the file (see
    /// [`super::srs_check`]); false when the checks ran now, or for the built-in development SRS.
    pub from_record: bool,
}

/// Why the development SRS is refused as a production SRS.
pub(crate) const DEV_REFUSAL: &str = "is the development SRS, whose secret is public (anyone can forge proofs against keys made with it); refusing to label its keys secure. Pass --dev-srs (alone, or with --srs FILE) to use it for development (keys labelled insecure), or give a ceremony SRS";
/// Why a file declared as the development SRS is refused when it is not.
pub(crate) const NOT_DEV: &str = "is not the development SRS, but --dev-srs says it is; drop --dev-srs to use it as a production SRS";

/// The cache directory: `$ZKINFER_CACHE`, else `$XDG_CACHE_HOME/zkinfer`, else `~/.cache/zkinfer`.
pub fn cache_dir() -> PathBuf {
    if let Ok(d) = std::env::var("ZKINFER_CACHE") {
        return PathBuf::from(d);
    }
    if let Ok(d) = std::env::var("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("zkinfer");
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| ".".into());
    PathBuf::from(home).join(".cache").join("zkinfer")
}

/// Size in bytes of a params file of size `k` in halo2's raw serialisation.
pub fn file_len(k: u32) -> u64 {
    4 + 2 * (1u64 << k) * 64 + 2 * 128
}

impl Srs {
    /// Loads an SRS for circuits of size `k`.
    pub fn load(source: &SrsSource, k: u32) -> Result<Srs, ProofError> {
        Self::load_with(source, k, &|_, _, _| {})
    }

    /// Loads an SRS for circuits of size `k`, reporting progress. A file (a snarkjs `.ptau` or
    /// a halo2 params file) is hashed and its first 2^k powers checked (see
    /// [`super::srs_check`]): fully the first time, then on the strength of the record of
    /// that check. The development SRS is refused as a file unless declared
    /// ([`SrsSource::DevFile`]).
    pub fn load_with(source: &SrsSource, k: u32, tick: Tick) -> Result<Srs, ProofError> {
        let (path, dev) = match source {
            SrsSource::Dev => {
                let params = dev(k)?;
                let h = hash_file(&dev_path(k), &|d, t| tick(phase::HASH, d, t))?;
                return Ok(Srs {
                    params,
                    insecure: true,
                    identity: SrsIdentity {
                        sha256: h.sha256,
                        blake2b: h.blake2b,
                        format: "dev".into(),
                        known_ceremony: None,
                    },
                    from_record: false,
                });
            }
            SrsSource::File(p) => (p, DevPolicy::Refuse),
            SrsSource::DevFile(p) => (p, DevPolicy::Require),
        };
        let file = open_for(path, k, "the circuit needs k")?;
        let checked = check_file(file, k, dev, true, true, tick)?;
        let (insecure, from_record, identity) = (checked.scan.is_dev, checked.from_record, checked.identity.clone());
        Ok(Srs {
            params: checked.into_params(),
            insecure,
            identity,
            from_record,
        })
    }
}

/// `s·G1` of the development SRS: its `g[1]`, the same at every `k` (the secret `s` is the
/// first value drawn from the seeded generator, before `k` matters).
pub fn dev_s_g1() -> G1Affine {
    let s = Fr::random(rand_chacha::ChaCha20Rng::seed_from_u64(DEV_SEED));
    (G1Affine::generator() * s).to_affine()
}

/// Whether `params` are made with the development SRS's secret (any size, downsized or not):
/// their first G1 power is the development SRS's `s·G1`. Params read by [`read_params`] have
/// `g[0] = G1` and the same `s` in their G2 part, so `g[1]` determines the secret.
pub fn is_dev(params: &ParamsKZG<Bn256>) -> bool {
    params.get_g().get(1) == Some(&dev_s_g1())
}

/// Where the development SRS of size `k` is cached.
pub fn dev_path(k: u32) -> PathBuf {
    cache_dir().join("srs").join(format!("dev-insecure-k{k}.srs"))
}

/// The development SRS of size `k`, generated once and cached.
pub fn dev(k: u32) -> Result<ParamsKZG<Bn256>, ProofError> {
    let path = dev_path(k);
    if path.exists() {
        if let Ok(p) = read_params(&path, Some(k)) {
            return Ok(p);
        }
        // a damaged cache entry is regenerated
    }
    let params = super::srs_gen::params_of_seed(k, DEV_SEED);
    write_params(&path, &params)?;
    Ok(params)
}

/// Writes params in halo2's raw serialisation, atomically.
pub fn write_params(path: &Path, params: &ParamsKZG<Bn256>) -> Result<(), ProofError> {
    let mut buf = Vec::with_capacity(file_len(params.k()) as usize);
    params.write_custom(&mut buf, SerdeFormat::RawBytes).map_err(|e| ProofError::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    write_atomic(path, &buf)
}

/// Reads a params file, checks it is whole and consistent, and downsizes it to `k`.
pub fn read_params(path: &Path, k: Option<u32>) -> Result<ParamsKZG<Bn256>, ProofError> {
    let err = |reason: String| ProofError::Srs {
        path: path.display().to_string(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| err(format!("cannot read: {e}")))?;
    params_from_bytes(&path.display().to_string(), &bytes, k)
}

/// [`read_params`] of the bytes of a params file; `origin` names them in errors.
pub fn params_from_bytes(origin: &str, bytes: &[u8], k: Option<u32>) -> Result<ParamsKZG<Bn256>, ProofError> {
    let err = |reason: String| ProofError::Srs {
        path: origin.to_string(),
        reason,
    };
    if bytes.len() < 4 {
        return Err(err("is truncated (no header)".into()));
    }
    let file_k = u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes"));
    if file_k == 0 || file_k > 28 {
        return Err(err(format!("header says k = {file_k}; not a halo2 KZG params file")));
    }
    if bytes.len() as u64 != file_len(file_k) {
        return Err(err(format!(
            "has {} bytes; a k = {file_k} params file has {} (truncated or not raw halo2 params)",
            bytes.len(),
            file_len(file_k)
        )));
    }
    if let Some(k) = k {
        if file_k < k {
            return Err(err(format!("holds 2^{file_k} points but the circuit needs k = {k} (2^{k} points)")));
        }
    }
    let mut params =
        ParamsKZG::<Bn256>::read_custom(&mut &bytes[..], SerdeFormat::RawBytes).map_err(|e| err(format!("is corrupted: {e}")))?;
    check_consistency(&params).map_err(err)?;
    if let Some(k) = k {
        if k < file_k {
            params.downsize(k);
        }
    }
    Ok(params)
}

/// Checks `e(g₁, [1]₂) = e(g₀, [s]₂)`: the first two powers agree with the G2 part.
fn check_consistency(params: &ParamsKZG<Bn256>) -> Result<(), String> {
    let g = params.get_g();
    if g.len() < 2 {
        return Err("holds fewer than two G1 points".into());
    }
    let lhs = Bn256::pairing(&g[1], &params.g2());
    let rhs = Bn256::pairing(&g[0], &params.s_g2());
    if lhs != rhs || g[0] != G1Affine::generator() || params.g2() != G2Affine::generator() {
        return Err("is inconsistent: its G1 and G2 powers do not match (corrupted file?)".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_roundtrip_and_damage_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.srs");
        let params = ParamsKZG::<Bn256>::setup(4, rand_chacha::ChaCha20Rng::seed_from_u64(1));
        write_params(&path, &params).unwrap();
        let back = read_params(&path, Some(3)).unwrap();
        assert_eq!(back.k(), 3);
        let e = read_params(&path, Some(5)).unwrap_err().to_string();
        assert!(e.contains("needs k = 5"), "{e}");
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 10]).unwrap();
        assert!(read_params(&path, Some(4)).unwrap_err().to_string().contains("truncated"));
        let mut bad = bytes.clone();
        bad[4 + 64 + 5] ^= 0x10; // second G1 point
        std::fs::write(&path, &bad).unwrap();
        let e = read_params(&path, Some(4)).unwrap_err().to_string();
        assert!(e.contains("corrupted") || e.contains("inconsistent"), "{e}");
    }

    #[test]
    fn the_development_srs_is_recognised_at_every_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.srs");
        for k in [3, 4, 6] {
            let dev = ParamsKZG::<Bn256>::setup(k, rand_chacha::ChaCha20Rng::seed_from_u64(DEV_SEED));
            assert!(is_dev(&dev), "k = {k}");
            write_params(&path, &dev).unwrap();
            // as a file, downsized to a smaller circuit or not: refused unless declared
            for circuit_k in [3, k] {
                let e = Srs::load(&SrsSource::File(path.clone()), circuit_k).unwrap_err().to_string();
                assert!(
                    e.contains("p.srs") && e.contains("development SRS") && e.contains("secret is public") && e.contains("--dev-srs"),
                    "{e}"
                );
                let srs = Srs::load(&SrsSource::DevFile(path.clone()), circuit_k).unwrap();
                assert!(srs.insecure && srs.params.k() == circuit_k);
            }
        }
        // params of another secret: accepted as a file, refused as a declared dev SRS
        let other = ParamsKZG::<Bn256>::setup(5, rand_chacha::ChaCha20Rng::seed_from_u64(DEV_SEED + 1));
        assert!(!is_dev(&other));
        write_params(&path, &other).unwrap();
        let srs = Srs::load(&SrsSource::File(path.clone()), 4).unwrap();
        assert!(!srs.insecure && srs.params.k() == 4);
        let e = Srs::load(&SrsSource::DevFile(path.clone()), 4).unwrap_err().to_string();
        assert!(e.contains("is not the development SRS"), "{e}");
    }
}
