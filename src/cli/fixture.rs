//! `zkinfer fixture DIR PROOF --out FILE`

use super::report::{Render, Reporter};
use crate::pipeline::fixture::{fixture, Fixture};
use crate::pipeline::BuildDir;
use std::path::PathBuf;

/// Arguments of `fixture`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Build directory the proof was made with.
    pub build_dir: PathBuf,
    /// Proof file.
    pub proof: PathBuf,
    /// Fixture file to write (JSON).
    #[arg(long, short)]
    pub out: PathBuf,
}

/// Runs `fixture`.
pub fn run(a: Args, r: &Reporter) -> anyhow::Result<()> {
    let f = fixture(&BuildDir(a.build_dir), &a.proof, &a.out)?;
    r.emit(&f);
    Ok(())
}

impl Render for Fixture {
    fn title(&self) -> String {
        "forge fixture written".into()
    }
    fn rows(&self) -> Vec<(String, String)> {
        let mut rows = vec![
            ("vk hash".into(), self.vk_hash.clone()),
            ("proof bytes".into(), ((self.proof.len() - 2) / 2).to_string()),
            (
                "instances".into(),
                format!("{} ({} outputs first)", self.instances.len(), self.num_outputs),
            ),
        ];
        for (n, v) in &self.bound {
            rows.push((format!("bound {n}"), v.clone()));
        }
        rows
    }
}
