//! `srs import`, `srs check`, `srs info`: production SRS files (snarkjs `.ptau` ceremony files
//! and halo2 KZG params files) turned into the params zkinfer loads, checked, and described.
//! The work is in [`crate::proof::ceremony`] (formats, hashes, known ceremonies) and
//! [`crate::proof::srs_check`] (checks, import, records).

use super::{Error, Progress, INSECURE_SRS_WARNING};
use crate::proof::ceremony::{known_ceremony, KnownCeremony, SrsFile, SrsFormat};
use crate::proof::srs_check::{self, g2_evm_words, CheckRecord, Checked, DevPolicy, LagrangeSource, Origin};
use serde::Serialize;
use std::cell::RefCell;
use std::path::Path;
use std::time::Instant;

/// Turns the phases reported by the SRS code into steps of a [`Progress`] (one step per phase,
/// with a progress bar).
pub struct Phases<'a> {
    progress: &'a dyn Progress,
    current: RefCell<Option<(&'static str, Instant)>>,
}

impl<'a> Phases<'a> {
    /// Phases reported to `progress`.
    pub fn new(progress: &'a dyn Progress) -> Self {
        Phases {
            progress,
            current: RefCell::new(None),
        }
    }

    /// A phase advanced (a new phase ends the previous one).
    pub fn tick(&self, what: &'static str, done: u64, total: u64) {
        let mut cur = self.current.borrow_mut();
        if cur.map(|c| c.0) != Some(what) {
            if let Some((prev, t)) = cur.take() {
                self.progress.done(prev, t.elapsed().as_secs_f64());
            }
            self.progress.start(what);
            *cur = Some((what, Instant::now()));
        }
        self.progress.advance(done, total);
    }

    /// Ends the last phase, as done or failed.
    pub fn finish(&self, ok: bool) {
        if let Some((prev, t)) = self.current.borrow_mut().take() {
            if ok {
                self.progress.done(prev, t.elapsed().as_secs_f64());
            } else {
                self.progress.failed(prev, t.elapsed().as_secs_f64());
            }
        }
    }

    /// Runs `f` with this as its tick, ending the last phase after it.
    pub fn run<T, E>(&self, f: impl FnOnce(&dyn Fn(&'static str, u64, u64)) -> Result<T, E>) -> Result<T, E> {
        let out = f(&|w, d, t| self.tick(w, d, t));
        self.finish(out.is_ok());
        out
    }
}

/// A known public ceremony file, in reports.
#[derive(Clone, Debug, Serialize)]
pub struct KnownFile {
    /// Its file name.
    pub file: String,
    /// log2 of its number of powers.
    pub power: u32,
    /// Where it comes from and where its hash is published.
    pub source: String,
}

impl From<&KnownCeremony> for KnownFile {
    fn from(c: &KnownCeremony) -> Self {
        KnownFile {
            file: c.file.into(),
            power: c.power,
            source: c.source.into(),
        }
    }
}

/// What the checks covered.
#[derive(Clone, Debug, Serialize)]
pub struct CheckCoverage {
    /// G1 powers read, validated and checked against τ·G2.
    pub g1_powers: u64,
    /// G2 powers checked against the G1 powers (`.ptau` files).
    pub g2_powers: u64,
    /// Where the Lagrange basis comes from (`file`, `section12`: checked against the
    /// powers; `computed`: from them); absent when the powers were not kept (`srs check` of
    /// a `.ptau` file streams).
    pub lagrange: Option<LagrangeSource>,
}

fn coverage(c: &Checked) -> CheckCoverage {
    CheckCoverage {
        g1_powers: 1u64 << c.scan.k,
        g2_powers: c.scan.g2_powers,
        lagrange: c.lagrange.as_ref().map(|l| l.1),
    }
}

const UNKNOWN_WARNING: &str = "not a known public ceremony file: the SRS is only as trustworthy as whoever made it (someone who knows its secret can forge proofs). The README's \"Production SRS\" section lists the known files";

fn policy(allow_dev: bool) -> DevPolicy {
    if allow_dev {
        DevPolicy::Allow
    } else {
        DevPolicy::Refuse
    }
}

fn warnings(is_dev: bool, known: bool) -> Vec<String> {
    if is_dev {
        vec![INSECURE_SRS_WARNING.to_string()]
    } else if !known {
        vec![UNKNOWN_WARNING.to_string()]
    } else {
        vec![]
    }
}

/// What `srs import` did.
#[derive(Clone, Debug, Serialize)]
pub struct ImportReport {
    /// The file imported.
    pub source: String,
    /// Its format (`ptau`, `halo2-raw`, `halo2-compressed`).
    pub source_format: String,
    /// Its format in words.
    pub source_description: String,
    /// Its SHA-256.
    pub source_sha256: String,
    /// Its Blake2b-512.
    pub source_blake2b: String,
    /// The known public ceremony file it is, if any.
    pub known_ceremony: Option<KnownFile>,
    /// The params file written (halo2 raw format).
    pub out: String,
    /// Powers kept: 2^k.
    pub k: u32,
    /// Size of the params file.
    pub out_bytes: u64,
    /// SHA-256 of the params file (what `setup --srs` records).
    pub out_sha256: String,
    /// Blake2b-512 of the params file.
    pub out_blake2b: String,
    /// What was checked.
    pub checked: CheckCoverage,
    /// τ·G2 as the verifier embeds it (x.c1, x.c0, y.c1, y.c0).
    pub s_g2: [String; 4],
    /// Whether it is the development SRS (only with `--dev-srs`).
    pub development_srs: bool,
    /// Seconds, hashing to writing.
    pub seconds: f64,
    /// Warnings (development SRS, unknown ceremony).
    pub warnings: Vec<String>,
}

/// Imports the first 2^k powers (all without `k`) of a `.ptau` or halo2 params file into a
/// checked halo2 params file at `out`. Nothing is written when a check fails.
pub fn import(source: &Path, out: &Path, k: Option<u32>, allow_dev: bool, progress: &dyn Progress) -> Result<ImportReport, Error> {
    let t = Instant::now();
    let phases = Phases::new(progress);
    let i = phases.run(|tick| srs_check::import(source, out, k, policy(allow_dev), tick))?;
    let known = known_ceremony(&i.source.identity.blake2b);
    Ok(ImportReport {
        source: source.display().to_string(),
        source_format: i.source.file.format.id().into(),
        source_description: i.source.file.format.describe(),
        source_sha256: i.source.identity.sha256.clone(),
        source_blake2b: i.source.identity.blake2b.clone(),
        known_ceremony: known.map(KnownFile::from),
        out: out.display().to_string(),
        k: i.source.scan.k,
        out_bytes: i.out_bytes,
        out_sha256: i.out_hashes.sha256.clone(),
        out_blake2b: i.out_hashes.blake2b.clone(),
        checked: coverage(&i.source),
        s_g2: g2_evm_words(&i.source.scan.s_g2),
        development_srs: i.source.scan.is_dev,
        seconds: t.elapsed().as_secs_f64(),
        warnings: warnings(i.source.scan.is_dev, known.is_some()),
    })
}

/// What `srs check` found.
#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    /// The file.
    pub file: String,
    /// Its format (`ptau`, `halo2-raw`, `halo2-compressed`).
    pub format: String,
    /// Its format in words.
    pub description: String,
    /// The first 2^k powers were checked.
    pub k: u32,
    /// SHA-256 of the file.
    pub sha256: String,
    /// Blake2b-512 of the file.
    pub blake2b: String,
    /// The known public ceremony file it is, or (recorded by `srs import` on this machine)
    /// was imported from.
    pub known_ceremony: Option<String>,
    /// Whether it is the development SRS (only with `--dev-srs`).
    pub development_srs: bool,
    /// What was checked.
    pub checked: CheckCoverage,
    /// τ·G2 as the verifier embeds it (x.c1, x.c0, y.c1, y.c0).
    pub s_g2: [String; 4],
    /// Where the check is recorded (`setup --srs` then skips the pairing checks).
    pub record: String,
    /// Seconds, hashing included.
    pub seconds: f64,
    /// Warnings (development SRS, unknown ceremony).
    pub warnings: Vec<String>,
}

/// Checks the first 2^k powers (all without `k`) of an SRS file, always fully, and records it.
pub fn check(path: &Path, k: Option<u32>, allow_dev: bool, progress: &dyn Progress) -> Result<CheckReport, Error> {
    let t = Instant::now();
    let file = SrsFile::open(path)?;
    let k = k.unwrap_or(file.max_k());
    let file = srs_check::open_for(path, k, "--k needs k")?;
    // a halo2 file checked at its own size: its Lagrange points are compared with the FFT of
    // its powers, which needs them all in memory; otherwise the check streams
    let keep = file.has_lagrange() && k == file.max_k();
    let phases = Phases::new(progress);
    let c = phases.run(|tick| srs_check::check_file(file, k, policy(allow_dev), keep, false, tick))?;
    Ok(CheckReport {
        file: path.display().to_string(),
        format: c.file.format.id().into(),
        description: c.file.format.describe(),
        k,
        sha256: c.identity.sha256.clone(),
        blake2b: c.identity.blake2b.clone(),
        known_ceremony: c.identity.known_ceremony.clone(),
        development_srs: c.scan.is_dev,
        checked: coverage(&c),
        s_g2: g2_evm_words(&c.scan.s_g2),
        record: srs_check::records_dir()
            .join(format!("{}.json", c.identity.sha256))
            .display()
            .to_string(),
        seconds: t.elapsed().as_secs_f64(),
        warnings: warnings(c.scan.is_dev, c.identity.known_ceremony.is_some()),
    })
}

/// The `.ptau` header's figures.
#[derive(Clone, Debug, Serialize)]
pub struct PtauFacts {
    /// log2 of the number of powers in the file.
    pub power: u32,
    /// The power of the ceremony it was cut from.
    pub ceremony_power: u32,
    /// Contributions recorded in the file.
    pub contributions: u32,
    /// Whether it holds the Lagrange sections of `prepare phase2`.
    pub prepared_phase2: bool,
}

/// An earlier check of the file on this machine.
#[derive(Clone, Debug, Serialize)]
pub struct RecordFacts {
    /// The first 2^k powers were checked.
    pub k: u32,
    /// When (Unix seconds).
    pub checked_at: u64,
    /// By which zkinfer version.
    pub zkinfer_version: String,
    /// For a file written by `srs import`: the file it came from.
    pub imported_from: Option<Origin>,
}

impl From<&CheckRecord> for RecordFacts {
    fn from(r: &CheckRecord) -> Self {
        RecordFacts {
            k: r.k,
            checked_at: r.checked_at,
            zkinfer_version: r.zkinfer_version.clone(),
            imported_from: r.imported_from.clone(),
        }
    }
}

/// What `srs info` says about a file.
#[derive(Clone, Debug, Serialize)]
pub struct InfoReport {
    /// The file.
    pub file: String,
    /// Its size.
    pub bytes: u64,
    /// Its format (`ptau`, `halo2-raw`, `halo2-compressed`).
    pub format: String,
    /// Its format in words.
    pub description: String,
    /// log2 of the number of powers a circuit can use (the largest k it serves).
    pub power: u32,
    /// For a `.ptau` file, its header.
    pub ptau: Option<PtauFacts>,
    /// SHA-256 of the file.
    pub sha256: String,
    /// Blake2b-512 of the file (`b2sum`; what snarkjs publishes).
    pub blake2b: String,
    /// Whether it is zkinfer's development SRS (its secret is public).
    pub development_srs: bool,
    /// The known public ceremony file it is, by its published Blake2b.
    pub known_ceremony: Option<KnownFile>,
    /// The known public ceremony file it was imported from (recorded by `srs import` on this
    /// machine).
    pub imported_from_known_ceremony: Option<String>,
    /// An earlier full check on this machine (`srs check`, `srs import`, `setup --srs`).
    pub checked: Option<RecordFacts>,
    /// τ·G2 as stored, in the verifier's word order (x.c1, x.c0, y.c1, y.c0); not checked here.
    pub s_g2: [String; 4],
    /// Warnings (development SRS, unknown ceremony).
    pub warnings: Vec<String>,
}

/// Describes an SRS file without checking its points (see `srs check`).
pub fn info(path: &Path, progress: &dyn Progress) -> Result<InfoReport, Error> {
    let phases = Phases::new(progress);
    let i = phases.run(|tick| srs_check::info(path, tick))?;
    let ptau = match i.file.format {
        SrsFormat::Ptau {
            power,
            ceremony_power,
            contributions,
            phase2,
        } => Some(PtauFacts {
            power,
            ceremony_power,
            contributions,
            prepared_phase2: phase2,
        }),
        SrsFormat::Halo2 { .. } => None,
    };
    let imported = i
        .record
        .as_ref()
        .and_then(|r| r.imported_from.as_ref())
        .and_then(|o| o.known_ceremony.clone());
    let known = i.known.is_some() || imported.is_some();
    Ok(InfoReport {
        file: path.display().to_string(),
        bytes: i.file.len,
        format: i.file.format.id().into(),
        description: i.file.format.describe(),
        power: i.file.max_k(),
        ptau,
        sha256: i.hashes.sha256.clone(),
        blake2b: i.hashes.blake2b.clone(),
        development_srs: i.is_dev,
        known_ceremony: i.known.map(KnownFile::from),
        imported_from_known_ceremony: imported,
        checked: i.record.as_ref().map(RecordFacts::from),
        s_g2: g2_evm_words(&i.s_g2),
        warnings: warnings(i.is_dev, known),
    })
}
