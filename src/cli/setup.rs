//! `zkinfer setup DIR (--dev-srs | --srs FILE | --srs FILE --dev-srs)`

use super::report::{secs, Render, Reporter};
use crate::pipeline::setup::{setup, SetupReport};
use crate::pipeline::BuildDir;
use crate::proof::SrsSource;
use std::path::PathBuf;

/// Arguments of `setup`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Build directory made by `compile`.
    #[arg(default_value = "build")]
    pub build_dir: PathBuf,
    /// Use the cached development SRS (INSECURE: its secret is public). With --srs FILE: FILE
    /// is the development SRS (e.g. a copy of the cached one); the keys are labelled insecure.
    #[arg(long)]
    pub dev_srs: bool,
    /// SRS file: a snarkjs powers-of-tau file (.ptau, e.g. powersOfTau28_hez_final_12.ptau)
    /// or a halo2 KZG params file (e.g. from `zkinfer srs import`), with at least 2^k powers.
    /// Checked before use: fully the first time, then on the record of that check (by SHA-256).
    /// The development SRS is refused here unless --dev-srs is also given.
    #[arg(long)]
    pub srs: Option<PathBuf>,
}

/// Runs `setup`.
pub fn run(a: Args, r: &Reporter) -> anyhow::Result<()> {
    let source = match (a.dev_srs, a.srs) {
        (true, None) => SrsSource::Dev,
        (true, Some(p)) => SrsSource::DevFile(p),
        (false, Some(p)) => SrsSource::File(p),
        (false, None) => {
            anyhow::bail!("choose an SRS: --srs FILE (a .ptau ceremony file or halo2 KZG params) or --dev-srs (insecure, for development)")
        }
    };
    let report = setup(&BuildDir(a.build_dir), &source, r)?;
    r.emit(&report);
    Ok(())
}

impl Render for SetupReport {
    fn title(&self) -> String {
        format!("keys written to {}", self.build_dir)
    }
    fn rows(&self) -> Vec<(String, String)> {
        vec![
            ("k".into(), self.k.to_string()),
            ("SRS".into(), self.srs.clone()),
            ("SRS SHA-256".into(), format!("{} ({})", self.srs_sha256, self.srs_format)),
            (
                "known ceremony".into(),
                self.srs_known_ceremony.clone().unwrap_or_else(|| "no".into()),
            ),
            ("SRS checks".into(), self.srs_checks.clone()),
            ("vk hash".into(), self.vk_hash.clone()),
            ("pk / vk size".into(), format!("{} / {} bytes", self.pk_bytes, self.vk_bytes)),
            ("SRS time".into(), secs(self.srs_seconds)),
            ("keygen time".into(), secs(self.keygen_seconds)),
        ]
    }
    fn warnings(&self) -> Vec<String> {
        let mut w: Vec<String> = self.warning.iter().cloned().collect();
        if !self.insecure_dev_srs && self.srs_known_ceremony.is_none() {
            w.push(format!("the SRS ({}) is not a known public ceremony file: the keys are only as trustworthy as whoever made it (`zkinfer srs info` tells what it is)", self.srs));
        }
        w
    }
}
