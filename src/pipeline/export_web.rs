//! `export-web`: the files a browser prover needs of a build (program, proving key, SRS) and
//! their manifest `zkinfer-web.json`, checked before anything is written.

use super::settings::{read_key_file, read_program_text, Settings};
use super::{BuildDir, Error, INSECURE_SRS_WARNING, VERSION};
use crate::proof::artifact::{read, write_atomic};
use crate::proof::bundle::{self, Bundle};
use serde::Serialize;
use std::path::Path;

/// What `export-web` wrote.
#[derive(Clone, Debug, Serialize)]
pub struct ExportWebReport {
    /// Output directory.
    pub out_dir: String,
    /// Files written, with their sizes in bytes.
    pub files: Vec<(String, u64)>,
    /// The verifier identity the page's proofs are for.
    pub vk_hash: String,
    /// Names the page binds when proving.
    pub bound: Vec<String>,
    /// True for the development SRS.
    pub insecure_dev_srs: bool,
    /// Warning when insecure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// Exports `dir` into `out` (created if missing). Refuses a build without keys; the written
/// bundle is loaded back the way the browser loads it before the manifest is written last.
pub fn export_web(dir: &BuildDir, out: &Path) -> Result<ExportWebReport, Error> {
    let settings = Settings::read(dir)?;
    let setup = settings
        .setup
        .clone()
        .ok_or_else(|| dir.err("has no keys; run `zkinfer setup` first"))?;
    let (program, program_text) = read_program_text(dir, &settings)?;
    let program_bytes = program_text.into_bytes();
    let pk = read_key_file(dir, &dir.pk(), &setup.pk_sha256)?;
    let srs = read(&dir.srs())?;
    let manifest = bundle::manifest(
        VERSION,
        &program,
        settings.k,
        settings.shape,
        &setup.vk_hash,
        setup.insecure_dev_srs,
        &program_bytes,
        &pk,
        &srs,
    );
    let manifest_bytes = serde_json::to_vec_pretty(&manifest).expect("manifest serializes");
    // what the browser will do, here first: every file checked and the verifier identity rebuilt
    Bundle::from_bytes(&manifest_bytes, &program_bytes, &pk, &srs)?;
    std::fs::create_dir_all(out).map_err(|e| Error::Usage(format!("cannot create {}: {e}", out.display())))?;
    let files = [
        (bundle::PROGRAM, &program_bytes),
        (bundle::PK, &pk),
        (bundle::SRS, &srs),
        (bundle::MANIFEST, &manifest_bytes),
    ];
    for (name, bytes) in files {
        write_atomic(&out.join(name), bytes)?;
    }
    Ok(ExportWebReport {
        out_dir: out.display().to_string(),
        files: files.iter().map(|(n, b)| (n.to_string(), b.len() as u64)).collect(),
        vk_hash: setup.vk_hash,
        bound: program.bound.clone(),
        insecure_dev_srs: setup.insecure_dev_srs,
        warning: setup.insecure_dev_srs.then(|| INSECURE_SRS_WARNING.to_string()),
    })
}
