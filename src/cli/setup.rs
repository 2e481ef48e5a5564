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
    /// KZG params file in halo2's serialisation (size ≥ 2^k). The development SRS is refused
    /// here unless --dev-srs is also given.
    #[arg(long)]
    pub srs: Option<PathBuf>,
}

/// Runs `setup`.
pub fn run(a: Args, r: &Reporter) -> anyhow::Result<()> {
    let source = match (a.dev_srs, a.srs) {
        (true, None) => SrsSource::Dev,
        (true, Some(p)) => SrsSource::DevFile(p),
        (false, Some(p)) => SrsSource::File(p),
        (false, None) => anyhow::bail!("choose an SRS: --srs FILE (halo2 KZG params) or --dev-srs (insecure, for development)"),
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
            ("vk hash".into(), self.vk_hash.clone()),
            ("pk / vk size".into(), format!("{} / {} bytes", self.pk_bytes, self.vk_bytes)),
            ("SRS time".into(), secs(self.srs_seconds)),
            ("keygen time".into(), secs(self.keygen_seconds)),
        ]
    }
    fn warnings(&self) -> Vec<String> {
        self.warning.iter().cloned().collect()
    }
}
