//! The web bundle: what a browser prover needs of a build (`zkinfer export-web`), described by
//! `zkinfer-web.json`, and loading it from bytes with every file checked against it.
//!
//! The bundle holds the program, the proving key and the SRS (all public: a proving key and an
//! SRS let anyone prove, not forge) and nothing of the build's secrets or samples.

use super::keys::pk_from_bytes;
use super::srs::params_from_bytes;
use super::{vk_hash, ProofError};
use crate::circuit::CircuitShape;
use crate::quantize::{InstanceSlot, Program};
use halo2_axiom::halo2curves::bn256::{Bn256, G1Affine};
use halo2_axiom::plonk::ProvingKey;
use halo2_axiom::poly::kzg::commitment::ParamsKZG;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// File name of the manifest in an exported directory.
pub const MANIFEST: &str = "zkinfer-web.json";
/// File name of the program.
pub const PROGRAM: &str = "program.json";
/// File name of the proving key.
pub const PK: &str = "pk.bin";
/// File name of the SRS (halo2 raw params at the circuit's k).
pub const SRS: &str = "kzg.srs";

/// One model input or output as the page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TensorDesc {
    /// Name.
    pub name: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// Fixed-point scale (values are integers over 2^scale).
    pub scale: u32,
}

/// `zkinfer-web.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebManifest {
    /// zkinfer version that exported it.
    pub zkinfer_version: String,
    /// Circuit size.
    pub k: u32,
    /// Column layout.
    pub shape: CircuitShape,
    /// The verifier identity (`VK_HASH` of the generated verifier).
    pub vk_hash: String,
    /// True when made with the development SRS (anyone can forge proofs for it).
    pub insecure_dev_srs: bool,
    /// The model inputs.
    pub inputs: Vec<TensorDesc>,
    /// The model outputs.
    pub outputs: Vec<TensorDesc>,
    /// Names bound to public values at proving time (`--bind`), in order.
    pub bound: Vec<String>,
    /// The public instances' layout.
    pub instance_layout: Vec<InstanceSlot>,
    /// Hex SHA-256 of `program.json`.
    pub program_sha256: String,
    /// Hex SHA-256 of `pk.bin`.
    pub pk_sha256: String,
    /// Hex SHA-256 of `kzg.srs`.
    pub srs_sha256: String,
    /// Sizes in bytes of the three files (for progress while downloading).
    pub sizes: FileSizes,
}

/// Sizes of the bundle's files.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileSizes {
    /// `program.json`.
    pub program: u64,
    /// `pk.bin`.
    pub pk: u64,
    /// `kzg.srs`.
    pub srs: u64,
}

/// A loaded bundle: the program, keys and SRS, each checked against the manifest.
pub struct Bundle {
    /// The manifest.
    pub manifest: WebManifest,
    /// The program.
    pub program: Program,
    /// The SRS at the circuit's k.
    pub params: ParamsKZG<Bn256>,
    /// The proving key.
    pub pk: ProvingKey<G1Affine>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn bundle_err(reason: String) -> ProofError {
    ProofError::File {
        path: MANIFEST.into(),
        reason,
    }
}

/// Checks `bytes` (the file `name`) against its recorded hash.
fn check_file(name: &str, bytes: &[u8], expected: &str) -> Result<(), ProofError> {
    if sha256_hex(bytes) != expected {
        return Err(ProofError::File {
            path: name.into(),
            reason: format!("is not the file {MANIFEST} describes (SHA-256 differs); export the build again or fetch the matching files"),
        });
    }
    Ok(())
}

impl Bundle {
    /// Loads a bundle from the bytes of its four files; refuses any file the manifest does
    /// not describe and a proving key whose verifier identity is not the manifest's.
    pub fn from_bytes(manifest: &[u8], program: &[u8], pk: &[u8], srs: &[u8]) -> Result<Bundle, ProofError> {
        let manifest: WebManifest =
            serde_json::from_slice(manifest).map_err(|e| bundle_err(format!("is not a zkinfer web manifest: {e}")))?;
        manifest.shape.check().map_err(|e| bundle_err(format!("shape: {e}")))?;
        check_file(PROGRAM, program, &manifest.program_sha256)?;
        check_file(PK, pk, &manifest.pk_sha256)?;
        check_file(SRS, srs, &manifest.srs_sha256)?;
        let program: Program = serde_json::from_slice(program).map_err(|e| ProofError::File {
            path: PROGRAM.into(),
            reason: format!("is malformed: {e}"),
        })?;
        program.check_structure().map_err(|e| ProofError::File {
            path: PROGRAM.into(),
            reason: format!("is inconsistent: {e}"),
        })?;
        if program.instance_layout() != manifest.instance_layout {
            return Err(bundle_err(
                "its instance layout is not the program's; export the build again".into(),
            ));
        }
        let (inputs, outputs) = tensors(&program);
        if manifest.inputs != inputs || manifest.outputs != outputs || manifest.bound != program.bound {
            return Err(bundle_err(
                "its inputs, outputs or bound names are not the program's; export the build again".into(),
            ));
        }
        let params = params_from_bytes(SRS, srs, Some(manifest.k))?;
        let pk = pk_from_bytes(PK, pk, manifest.shape)?;
        let key_k = pk.get_vk().get_domain().k();
        if key_k != manifest.k {
            return Err(bundle_err(format!(
                "says k = {}, the proving key is for k = {key_k}; export the build again",
                manifest.k
            )));
        }
        if super::srs::is_dev(&params) != manifest.insecure_dev_srs {
            return Err(bundle_err(
                "misstates whether the SRS is the development one (whose secret is public); export the build again".into(),
            ));
        }
        let hash = vk_hash(pk.get_vk(), &params);
        if hash != manifest.vk_hash {
            return Err(bundle_err(format!(
                "the proving key and SRS make the verifier {hash}, the manifest names {}",
                manifest.vk_hash
            )));
        }
        Ok(Bundle {
            manifest,
            program,
            params,
            pk,
        })
    }
}

/// The program's inputs and outputs as the manifest describes them.
fn tensors(program: &Program) -> (Vec<TensorDesc>, Vec<TensorDesc>) {
    let desc = |name: &str, shape: &[usize], scale: u32| TensorDesc {
        name: name.into(),
        shape: shape.to_vec(),
        scale,
    };
    (
        program.inputs.iter().map(|i| desc(&i.name, &i.shape, i.scale)).collect(),
        program.outputs.iter().map(|o| desc(&o.name, &o.shape, o.scale)).collect(),
    )
}

/// The manifest of a build's files: `program`, `pk` and `srs` are the bytes being exported.
#[allow(clippy::too_many_arguments)]
pub fn manifest(
    version: &str,
    program: &Program,
    k: u32,
    shape: CircuitShape,
    vk_hash: &str,
    insecure_dev_srs: bool,
    program_bytes: &[u8],
    pk: &[u8],
    srs: &[u8],
) -> WebManifest {
    let (inputs, outputs) = tensors(program);
    WebManifest {
        zkinfer_version: version.into(),
        k,
        shape,
        vk_hash: vk_hash.into(),
        insecure_dev_srs,
        inputs,
        outputs,
        bound: program.bound.clone(),
        instance_layout: program.instance_layout(),
        program_sha256: sha256_hex(program_bytes),
        pk_sha256: sha256_hex(pk),
        srs_sha256: sha256_hex(srs),
        sizes: FileSizes {
            program: program_bytes.len() as u64,
            pk: pk.len() as u64,
            srs: srs.len() as u64,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::mock::tests::linear_program;
    use crate::circuit::{ModelCircuit, Plan};
    use crate::proof::keygen;
    use halo2_axiom::halo2curves::bn256::Fr;
    use halo2_axiom::SerdeFormat;
    use rand_chacha::rand_core::SeedableRng;

    struct Files {
        manifest: Vec<u8>,
        program: Vec<u8>,
        pk: Vec<u8>,
        srs: Vec<u8>,
    }

    fn files() -> (Files, WebManifest) {
        let (p, _) = linear_program();
        let shape = CircuitShape::default();
        let k = crate::circuit::size_in(&p, shape).k;
        let params = ParamsKZG::<Bn256>::setup(k, rand_chacha::ChaCha20Rng::seed_from_u64(3));
        let pk = keygen(&params, &ModelCircuit::new(Plan::new(&p, None, shape))).expect("keygen");
        let dir = tempfile::tempdir().unwrap();
        crate::proof::write_pk(&dir.path().join("pk.bin"), &pk, false).unwrap();
        let pk_bytes = std::fs::read(dir.path().join("pk.bin")).unwrap();
        let mut srs = Vec::new();
        params.write_custom(&mut srs, SerdeFormat::RawBytes).unwrap();
        let program = serde_json::to_vec(&p).unwrap();
        let m = manifest(
            "test",
            &p,
            k,
            shape,
            &vk_hash(pk.get_vk(), &params),
            false,
            &program,
            &pk_bytes,
            &srs,
        );
        let manifest = serde_json::to_vec(&m).unwrap();
        (
            Files {
                manifest,
                program,
                pk: pk_bytes,
                srs,
            },
            m,
        )
    }

    fn load(f: &Files) -> Result<Bundle, ProofError> {
        Bundle::from_bytes(&f.manifest, &f.program, &f.pk, &f.srs)
    }

    #[test]
    fn a_bundle_loads_and_proves_and_every_tampered_part_is_refused() {
        let (f, m) = files();
        let b = load(&f).expect("loads");
        // it proves, and the proof verifies
        let sample: Vec<Vec<f64>> = b.program.inputs.iter().map(|i| vec![0.25; i.wires.len()]).collect();
        let w = crate::proof::inference::witnesses(&b.program, &[sample]).expect("evaluates");
        let proved = crate::proof::inference::prove_samples(
            &b.program,
            m.shape,
            &b.params,
            &b.pk,
            &w,
            &[vec![]],
            rand_chacha::ChaCha20Rng::seed_from_u64(9),
        )
        .expect("proves");
        crate::proof::verify(&b.params, b.pk.get_vk(), &proved.proof, &proved.instances).expect("verifies");
        let mut bad = proved.instances.clone();
        bad[0] += Fr::from(1);
        assert!(crate::proof::verify(&b.params, b.pk.get_vk(), &proved.proof, &bad).is_err());
        // a bound list the build does not take is an error, not a panic
        assert!(crate::proof::inference::prove_samples(
            &b.program,
            m.shape,
            &b.params,
            &b.pk,
            &w,
            &[vec![Fr::from(1)]],
            rand_chacha::ChaCha20Rng::seed_from_u64(9)
        )
        .is_err());
        assert!(!m.instance_layout.is_empty() && !m.outputs.is_empty());

        let refused = |f: Files, needle: &str| {
            let e = load(&f)
                .err()
                .unwrap_or_else(|| panic!("accepted a bundle that should fail with {needle}"));
            assert!(e.to_string().contains(needle), "{e} (expected {needle})");
        };
        let with = |edit: &dyn Fn(&mut WebManifest)| {
            let mut m = m.clone();
            edit(&mut m);
            Files {
                manifest: serde_json::to_vec(&m).unwrap(),
                program: f.program.clone(),
                pk: f.pk.clone(),
                srs: f.srs.clone(),
            }
        };
        // each file against its hash
        for (i, name) in [PROGRAM, PK, SRS].iter().enumerate() {
            let mut g = Files {
                manifest: f.manifest.clone(),
                program: f.program.clone(),
                pk: f.pk.clone(),
                srs: f.srs.clone(),
            };
            let bytes = match i {
                0 => &mut g.program,
                1 => &mut g.pk,
                _ => &mut g.srs,
            };
            let at = bytes.len() / 2;
            bytes[at] ^= 1;
            refused(g, &format!("{name}: is not the file"));
        }
        refused(
            Files {
                manifest: b"{}".to_vec(),
                program: f.program.clone(),
                pk: f.pk.clone(),
                srs: f.srs.clone(),
            },
            "not a zkinfer web manifest",
        );
        refused(with(&|m| m.vk_hash = format!("0x{}", "00".repeat(32))), "the manifest names");
        refused(with(&|m| m.insecure_dev_srs = true), "development one");
        refused(with(&|m| m.bound = vec!["account".into()]), "bound names are not the program's");
        refused(with(&|m| m.outputs[0].scale += 1), "not the program's");
        refused(
            with(&|m| {
                m.instance_layout.pop();
            }),
            "instance layout",
        );
        refused(with(&|m| m.shape.terms = 3), "not a layout zkinfer makes");
        // a larger k: the SRS file holds only 2^k points, so it is refused as too small
        refused(with(&|m| m.k += 1), "needs k");
        // a smaller k: the SRS is cut down to it, and the proving key says otherwise
        refused(with(&|m| m.k -= 1), "the proving key is for k");
    }
}
