//! `settings.json` of a build directory.

use super::{BuildDir, Error, VERSION};
use crate::circuit::CircuitShape;
use crate::proof::artifact::write_atomic;
use crate::quantize::{FidelityReport, InstanceSlot, Program, TableKind, Visibility};
use serde::{Deserialize, Serialize};

/// One lookup table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableInfo {
    /// Function.
    pub kind: TableKind,
    /// Smallest input.
    pub lo: i64,
    /// Largest input.
    pub hi: i64,
}

/// A tensor's name, shape and scale.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TensorInfo {
    /// Name.
    pub name: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// Fixed-point scale exponent.
    pub scale: u32,
}

/// What `setup` recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SetupInfo {
    /// True for the development SRS.
    pub insecure_dev_srs: bool,
    /// Where the SRS came from.
    pub srs_source: String,
    /// Keccak-256 of the verifying key.
    pub vk_hash: String,
    /// SHA-256 of `pk.bin`, checked before it is parsed.
    pub pk_sha256: String,
    /// SHA-256 of `vk.bin`, checked before it is parsed.
    pub vk_sha256: String,
    /// SHA-256 of the SRS file given to setup (the `.ptau` or params file as given to
    /// `--srs`; with `--dev-srs` alone, the cached development SRS file of size k). Empty in
    /// settings written before zkinfer recorded it.
    #[serde(default)]
    pub srs_sha256: String,
    /// Blake2b-512 of the same file (snarkjs publishes its `.ptau` files' hashes in Blake2b).
    #[serde(default)]
    pub srs_blake2b: String,
    /// Its format: `ptau`, `halo2-raw`, `halo2-compressed` or `dev`.
    #[serde(default)]
    pub srs_format: String,
    /// The known public ceremony file the SRS is (by its published hash) or was imported from
    /// (recorded by `srs import` on this machine); absent for any other SRS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub srs_known_ceremony: Option<String>,
}

/// The circuit settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// zkinfer version.
    pub zkinfer_version: String,
    /// Model file as given to `compile`.
    pub model_path: String,
    /// SHA-256 of the model file.
    pub model_sha256: String,
    /// Circuit size.
    pub k: u32,
    /// Rows used.
    pub rows: usize,
    /// Column layout of the circuit.
    pub shape: CircuitShape,
    /// SHA-256 of `program.json`, checked before it is used.
    pub program_sha256: String,
    /// Input and activation scale exponent.
    pub input_scale: u32,
    /// Weight scale exponent.
    pub param_scale: u32,
    /// Largest chunk of a rescale remainder's range check, when large remainders are checked
    /// in chunks (see `quantize::remainder`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rem_bits: Option<u32>,
    /// Who sees the inputs, outputs and parameters.
    pub visibility: Visibility,
    /// Lookup tables.
    pub tables: Vec<TableInfo>,
    /// Inputs.
    pub inputs: Vec<TensorInfo>,
    /// Outputs.
    pub outputs: Vec<TensorInfo>,
    /// Number of public instances.
    pub num_instances: usize,
    /// What each public instance is (name, kind, scale), in order.
    pub instance_layout: Vec<InstanceSlot>,
    /// With hashed (or public) params: the params hash (model commitment) of this build's model,
    /// `0x` hex; `verify` accepts proofs of this model only, unless told otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params_hash: Option<String>,
    /// Fidelity on the calibration samples.
    pub fidelity: FidelityReport,
    /// Set by `setup`.
    pub setup: Option<SetupInfo>,
}

impl Settings {
    /// Settings describing a compiled program.
    pub fn new(
        program: &Program,
        model_path: &str,
        model_sha256: &str,
        k: u32,
        rows: usize,
        fidelity: FidelityReport,
        param_scale: u32,
    ) -> Self {
        let info = |name: &str, shape: &[usize], scale| TensorInfo {
            name: name.into(),
            shape: shape.to_vec(),
            scale,
        };
        Settings {
            zkinfer_version: VERSION.into(),
            model_path: model_path.into(),
            model_sha256: model_sha256.into(),
            k,
            rows,
            input_scale: program.inputs.first().map(|i| i.scale).unwrap_or(0),
            param_scale,
            rem_bits: None,
            visibility: program.visibility,
            tables: program
                .tables
                .iter()
                .map(|t| TableInfo {
                    kind: t.kind,
                    lo: t.lo,
                    hi: t.hi,
                })
                .collect(),
            inputs: program.inputs.iter().map(|i| info(&i.name, &i.shape, i.scale)).collect(),
            outputs: program.outputs.iter().map(|o| info(&o.name, &o.shape, o.scale)).collect(),
            num_instances: program.num_instances(),
            instance_layout: program.instance_layout(),
            params_hash: None,
            shape: CircuitShape::default(),
            program_sha256: String::new(),
            fidelity,
            setup: None,
        }
    }

    /// Reads the settings of a build directory.
    pub fn read(dir: &BuildDir) -> Result<Self, Error> {
        let path = dir.settings();
        let text =
            std::fs::read_to_string(&path).map_err(|e| dir.err(format!("cannot read settings.json ({e}); run `zkinfer compile` first")))?;
        let s: Settings = serde_json::from_str(&text)
            .map_err(|e| dir.err(format!("settings.json is malformed or from another zkinfer build: {e}; recompile")))?;
        if s.zkinfer_version != VERSION {
            return Err(dir.err(format!("was made by zkinfer {}, this is {VERSION}; recompile", s.zkinfer_version)));
        }
        s.shape
            .check()
            .map_err(|e| dir.err(format!("settings.json's shape {e}; recompile")))?;
        Ok(s)
    }

    /// Writes the settings atomically.
    pub fn write(&self, dir: &BuildDir) -> Result<(), Error> {
        write_atomic(
            &dir.settings(),
            serde_json::to_string_pretty(self).expect("serialisable").as_bytes(),
        )?;
        Ok(())
    }
}

/// Hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Checks that a key file is the one `setup` recorded, before anything parses it.
pub fn check_key_file(dir: &BuildDir, path: &std::path::Path, expected: &str) -> Result<(), Error> {
    read_key_file(dir, path, expected).map(|_| ())
}

/// Reads a key file after checking it is the one `setup` recorded; returns its bytes.
pub fn read_key_file(dir: &BuildDir, path: &std::path::Path, expected: &str) -> Result<Vec<u8>, Error> {
    let bytes = crate::proof::artifact::read(path)?;
    if sha256_hex(&bytes) != expected {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        return Err(dir.err(format!(
            "{name} is not the file setup wrote for this build (SHA-256 differs from settings.json); rerun `zkinfer setup`"
        )));
    }
    Ok(bytes)
}

/// Reads `vk.bin` after checking it is the file setup wrote and that, with the build's SRS
/// `params`, it has the verifier identity setup recorded ([`crate::proof::vk_hash`]); returns
/// the key and its identity.
pub fn load_vk(
    dir: &BuildDir,
    settings: &Settings,
    setup: &SetupInfo,
    params: &halo2_axiom::poly::kzg::commitment::ParamsKZG<halo2_axiom::halo2curves::bn256::Bn256>,
) -> Result<(halo2_axiom::plonk::VerifyingKey<halo2_axiom::halo2curves::bn256::G1Affine>, String), Error> {
    check_key_file(dir, &dir.vk(), &setup.vk_sha256)?;
    let vk = crate::proof::read_vk(&dir.vk(), settings.shape)?;
    let hash = crate::proof::vk_hash(&vk, params);
    if hash != setup.vk_hash {
        return Err(
            dir.err("vk.bin and kzg.srs do not match the verifying key and SRS recorded by setup (vk hash differs); rerun `zkinfer setup`")
        );
    }
    Ok((vk, hash))
}

/// Refuses a proof file made for another circuit than the one with vk hash `vk_hash`.
pub fn check_proof_circuit(file: &crate::proof::ProofFile, vk_hash: &str) -> Result<(), Error> {
    if file.vk_hash != vk_hash {
        return Err(crate::proof::ProofError::Rejected(format!(
            "the proof was made for another circuit (its vk hash is {}, this build's is {vk_hash})",
            file.vk_hash
        ))
        .into());
    }
    Ok(())
}

/// Reads `program.json` and checks it matches the settings.
pub fn read_program(dir: &BuildDir, settings: &Settings) -> Result<Program, Error> {
    read_program_text(dir, settings).map(|(p, _)| p)
}

/// [`read_program`], also returning the file's text as checked.
pub fn read_program_text(dir: &BuildDir, settings: &Settings) -> Result<(Program, String), Error> {
    let text = std::fs::read_to_string(dir.program())
        .map_err(|e| dir.err(format!("cannot read program.json ({e}); run `zkinfer compile` first")))?;
    if sha256_hex(text.as_bytes()) != settings.program_sha256 {
        return Err(dir.err("program.json does not match settings.json (edited, or a failed compile); recompile"));
    }
    let p: Program = serde_json::from_str(&text).map_err(|e| dir.err(format!("program.json is malformed: {e}")))?;
    if p.instance_layout() != settings.instance_layout || p.tables.len() != settings.tables.len() {
        return Err(dir.err("program.json does not match settings.json; recompile"));
    }
    p.check_structure()
        .map_err(|e| dir.err(format!("program.json is inconsistent ({e}); recompile")))?;
    Ok((p, text))
}
