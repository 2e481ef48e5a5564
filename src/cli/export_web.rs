//! `zkinfer export-web DIR --out WEBDIR`

use super::report::{Render, Reporter};
use crate::pipeline::export_web::{export_web, ExportWebReport};
use crate::pipeline::BuildDir;
use std::path::PathBuf;

/// Arguments of `export-web`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Build directory (after `setup`).
    pub build_dir: PathBuf,
    /// Directory the page serves the files from (created if missing).
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `export-web`.
pub fn run(a: Args, r: &Reporter) -> anyhow::Result<()> {
    let report = export_web(&BuildDir(a.build_dir), &a.out)?;
    r.emit(&report);
    Ok(())
}

impl Render for ExportWebReport {
    fn title(&self) -> String {
        format!("Web bundle written to {}", self.out_dir)
    }
    fn rows(&self) -> Vec<(String, String)> {
        let mut rows: Vec<(String, String)> = self.files.iter().map(|(n, b)| (n.clone(), format!("{b} bytes"))).collect();
        rows.push(("vk hash".into(), self.vk_hash.clone()));
        if !self.bound.is_empty() {
            rows.push(("bound at proving".into(), self.bound.join(", ")));
        }
        rows
    }
    fn warnings(&self) -> Vec<String> {
        self.warning.iter().cloned().collect()
    }
}
