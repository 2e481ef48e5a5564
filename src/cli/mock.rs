//! `zkinfer mock DIR --input FILE`

use super::report::{Render, Reporter};
use crate::circuit::MockReport;
use crate::pipeline::mock::mock;
use crate::pipeline::BuildDir;
use std::path::PathBuf;

/// Arguments of `mock`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Build directory made by `compile`.
    #[arg(default_value = "build")]
    pub build_dir: PathBuf,
    /// Input data (EZKL format, one sample).
    #[arg(long, short)]
    pub input: PathBuf,
}

/// Runs `mock`; unsatisfied constraints are an error (non-zero exit).
pub fn run(a: Args, r: &Reporter) -> anyhow::Result<()> {
    let report = mock(&BuildDir(a.build_dir), &a.input, r)?;
    if report.satisfied {
        r.emit(&report);
        return Ok(());
    }
    // one document on stdout with --json: the error (which names every failure) only
    if !r.is_json() {
        r.emit(&report);
    }
    anyhow::bail!("{} constraint(s) fail: {}", report.failure_count, report.failures.join("; "));
}

impl Render for MockReport {
    fn title(&self) -> String {
        if self.satisfied {
            "mock prover: all constraints satisfied".into()
        } else {
            format!("mock prover: {} failure(s)", self.failure_count)
        }
    }
    fn rows(&self) -> Vec<(String, String)> {
        let mut rows = vec![("k".into(), self.k.to_string()), ("rows".into(), self.rows.to_string())];
        for (i, f) in self.failures.iter().enumerate() {
            rows.push((format!("failure {}", i + 1), f.clone()));
        }
        rows
    }
}
