//! `zkinfer verify DIR PROOF`

use super::prove::output_rows;
use super::report::{secs, Render, Reporter};
use crate::pipeline::verify::{verify_with, ModelCheck, VerifyOptions, VerifyReport};
use crate::pipeline::BuildDir;
use std::path::PathBuf;

/// Arguments of `verify`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Build directory with the verifying key.
    pub build_dir: PathBuf,
    /// Proof file.
    pub proof: PathBuf,
    /// With params hashed or public: also accept proofs of the model with this params hash
    /// (repeatable; `zkinfer hash DIR --part params` prints a build's). Without it, only this
    /// build's own model is accepted.
    #[arg(long, value_name = "HASH")]
    pub params_hash: Vec<String>,
    /// With params not fixed: accept a proof of any model of this architecture. Needed for a
    /// build with `--params private`, whose proofs commit to no model (refused without it).
    #[arg(long, conflicts_with = "params_hash")]
    pub any_model: bool,
}

/// Runs `verify`; a rejected proof is an error (non-zero exit).
pub fn run(a: Args, r: &Reporter) -> anyhow::Result<()> {
    let dir = BuildDir(a.build_dir);
    let models = if a.any_model {
        ModelCheck::Any
    } else if a.params_hash.is_empty() {
        ModelCheck::ThisBuild
    } else {
        // the build's own model stays accepted (see ModelCheck::Approved)
        ModelCheck::Approved(a.params_hash)
    };
    let report = verify_with(&dir, &a.proof, &VerifyOptions { models }, r)?;
    r.emit(&report);
    Ok(())
}

impl Render for VerifyReport {
    fn title(&self) -> String {
        format!("proof {} verified", self.proof_path)
    }
    fn rows(&self) -> Vec<(String, String)> {
        let mut rows = vec![("vk hash".into(), self.vk_hash.clone()), ("time".into(), secs(self.seconds))];
        rows.extend(output_rows(
            &self.outputs,
            self.batch,
            self.members,
            "the rest are padding, not results",
        ));
        for (name, h) in &self.hashes {
            rows.push((format!("hash of the {name}"), h.clone()));
        }
        if let Some(m) = &self.model {
            let hash = m.params_hash.as_deref().unwrap_or("-");
            rows.push(("model".into(), format!("params hash {hash}: {}", m.checked)));
        }
        rows
    }
    fn warnings(&self) -> Vec<String> {
        let mut w: Vec<String> = self.warning.iter().cloned().collect();
        if let Some(m) = &self.model {
            if m.checked.starts_with("not checked") {
                w.push(format!("which model made this proof: {}", m.checked));
            }
        }
        w
    }
}
