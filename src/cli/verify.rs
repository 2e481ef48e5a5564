//! `zkinfer verify DIR PROOF`

use super::prove::values;
use super::report::{secs, Render, Reporter};
use crate::pipeline::verify::{verify, VerifyReport};
use crate::pipeline::BuildDir;
use std::path::PathBuf;

/// Arguments of `verify`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Build directory with the verifying key.
    pub build_dir: PathBuf,
    /// Proof file.
    pub proof: PathBuf,
}

/// Runs `verify`; a rejected proof is an error (non-zero exit).
pub fn run(a: Args, r: &Reporter) -> anyhow::Result<()> {
    let report = verify(&BuildDir(a.build_dir), &a.proof, r)?;
    r.emit(&report);
    Ok(())
}

impl Render for VerifyReport {
    fn title(&self) -> String {
        format!("proof {} verified", self.proof_path)
    }
    fn rows(&self) -> Vec<(String, String)> {
        let mut rows = vec![("vk hash".into(), self.vk_hash.clone()), ("time".into(), secs(self.seconds))];
        for o in &self.outputs {
            rows.push((format!("output `{}`", o.name), values(&o.values)));
        }
        for (name, h) in &self.hashes {
            rows.push((format!("hash of the {name}"), h.clone()));
        }
        rows
    }
    fn warnings(&self) -> Vec<String> {
        self.warning.iter().cloned().collect()
    }
}
