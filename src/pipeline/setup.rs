//! `setup`: SRS, proving key and verifying key.

use super::settings::{read_program, Settings, SetupInfo};
use super::srs::Phases;
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
    /// SHA-256 of the SRS file (as recorded in settings.json).
    pub srs_sha256: String,
    /// Its format: `ptau`, `halo2-raw`, `halo2-compressed` or `dev`.
    pub srs_format: String,
    /// The known public ceremony file it is or was imported from.
    pub srs_known_ceremony: Option<String>,
    /// How the SRS file was checked: fully now, or on the record of an earlier full check.
    pub srs_checks: String,
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
    // the layout must fit the circuit settings.json names (halo2 would panic on a short one)
    if program.has_dot() != settings.shape.dot {
        return Err(dir.err(format!(
            "settings.json's layout {} the dot gate but the program {} dot steps; recompile",
            if settings.shape.dot { "has" } else { "lacks" },
            if program.has_dot() { "has" } else { "has no" }
        )));
    }
    let needed = crate::circuit::size_in(&program, settings.shape);
    if needed.k > settings.k {
        return Err(dir.err(format!(
            "settings.json says k = {} but the program needs k = {} in its layout ({} rows); recompile",
            settings.k, needed.k, needed.rows
        )));
    }
    super::check_memory(settings.k, settings.shape, crate::proof::estimate::Step::Setup, progress)?;
    // a file is hashed and checked (fully once, then on the record of that check), phase by
    // phase with a progress bar
    let t = std::time::Instant::now();
    let srs = match source {
        SrsSource::Dev => {
            let what = format!("generating or loading the development SRS (k = {})", settings.k);
            step(progress, &what, || Srs::load(source, settings.k)).0
        }
        SrsSource::File(_) | SrsSource::DevFile(_) => Phases::new(progress).run(|tick| Srs::load_with(source, settings.k, tick)),
    };
    let srs = srs?;
    let srs_seconds = t.elapsed().as_secs_f64();
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
            srs_sha256: srs.identity.sha256.clone(),
            srs_blake2b: srs.identity.blake2b.clone(),
            srs_format: srs.identity.format.clone(),
            srs_known_ceremony: srs.identity.known_ceremony.clone(),
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
        srs_sha256: srs.identity.sha256.clone(),
        srs_format: srs.identity.format.clone(),
        srs_known_ceremony: srs.identity.known_ceremony.clone(),
        srs_checks: match source {
            SrsSource::Dev => "development SRS (generated by zkinfer)".into(),
            _ if srs.from_record => format!(
                "recorded: this file passed the full checks before ({})",
                crate::proof::srs_check::records_dir()
                    .join(format!("{}.json", srs.identity.sha256))
                    .display()
            ),
            _ => format!("full: the first 2^{} powers checked now, and recorded", settings.k),
        },
        insecure_dev_srs: srs.insecure,
        warning: srs.insecure.then(|| INSECURE_SRS_WARNING.to_string()),
        vk_hash: hash,
        pk_bytes: size(dir.pk()),
        vk_bytes: size(dir.vk()),
        srs_seconds,
        keygen_seconds,
    })
}
