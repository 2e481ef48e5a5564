//! `setup`: SRS, proving key and verifying key.

use super::settings::{read_program, Settings, SetupInfo};
use super::{step, BuildDir, Error, Progress, INSECURE_SRS_WARNING};
use crate::circuit::{ModelCircuit, Plan};
use crate::proof::artifact::write_atomic;
use crate::proof::{keygen, srs, vk_hash, write_pk, write_vk, Srs, SrsSource};
use serde::Serialize;

/// File written beside keys made with the development SRS.
pub const INSECURE_MARKER: &str = "INSECURE-DEV-SRS.txt";

/// What `setup` did.
#[derive(Clone, Debug, Serialize)]
pub struct SetupReport {
    /// Build directory.
    pub build_dir: String,
    /// Circuit size.
    pub k: u32,
    /// SRS source.
    pub srs: String,
    /// True for the development SRS.
    pub insecure_dev_srs: bool,
    /// Warning when insecure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    /// Keccak-256 of the verifying key.
    pub vk_hash: String,
    /// Size of pk.bin.
    pub pk_bytes: u64,
    /// Size of vk.bin.
    pub vk_bytes: u64,
    /// Seconds to load or generate the SRS.
    pub srs_seconds: f64,
    /// Seconds of key generation.
    pub keygen_seconds: f64,
}

/// Runs setup on a compiled build directory.
pub fn setup(dir: &BuildDir, source: &SrsSource, progress: &dyn Progress) -> Result<SetupReport, Error> {
    let mut settings = Settings::read(dir)?;
    let program = read_program(dir, &settings)?;
    let what = match source {
        SrsSource::Dev => format!("generating or loading the development SRS (k = {})", settings.k),
        SrsSource::File(p) => format!("loading SRS {}", p.display()),
        SrsSource::DevFile(p) => format!("loading the development SRS from {}", p.display()),
    };
    let (srs, srs_seconds) = step(progress, &what, || Srs::load(source, settings.k));
    let srs = srs?;
    let circuit = ModelCircuit::new(Plan::new(&program, None, settings.shape));
    let (pk, keygen_seconds) = step(progress, "generating proving and verifying keys", || keygen(&srs.params, &circuit));
    let pk = pk?;
    let marker = dir.path().join(INSECURE_MARKER);
    let written = [dir.srs(), dir.vk(), dir.pk(), marker.clone()];
    let _ = std::fs::remove_file(&marker);
    let hash = vk_hash(pk.get_vk(), &srs.params);
    let srs_source = match source {
        SrsSource::Dev => "development SRS (insecure)".to_string(),
        SrsSource::File(p) => p.display().to_string(),
        SrsSource::DevFile(p) => format!("development SRS (insecure) from {}", p.display()),
    };
    let result = (|| -> Result<(), Error> {
        srs::write_params(&dir.srs(), &srs.params)?;
        let vk_sha256 = write_vk(&dir.vk(), pk.get_vk(), srs.insecure)?;
        let pk_sha256 = write_pk(&dir.pk(), &pk, srs.insecure)?;
        if srs.insecure {
            write_atomic(
                &marker,
                format!("{INSECURE_SRS_WARNING}.\nkzg.srs, vk.bin and pk.bin in this directory were made with it.\n").as_bytes(),
            )?;
        }
        settings.setup = Some(SetupInfo {
            insecure_dev_srs: srs.insecure,
            srs_source: srs_source.clone(),
            vk_hash: hash.clone(),
            pk_sha256,
            vk_sha256,
        });
        settings.write(dir)
    })();
    if let Err(e) = result {
        for f in &written {
            let _ = std::fs::remove_file(f);
        }
        return Err(e);
    }
    let size = |p: std::path::PathBuf| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    Ok(SetupReport {
        build_dir: dir.path().display().to_string(),
        k: settings.k,
        srs: srs_source,
        insecure_dev_srs: srs.insecure,
        warning: srs.insecure.then(|| INSECURE_SRS_WARNING.to_string()),
        vk_hash: hash,
        pk_bytes: size(dir.pk()),
        vk_bytes: size(dir.vk()),
        srs_seconds,
        keygen_seconds,
    })
}
