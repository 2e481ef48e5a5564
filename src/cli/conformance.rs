//! `zkinfer conformance [DATA] --out DIR`

use super::report::{Render, Reporter};
use crate::pipeline::conformance::{conformance, find_data, write_report, ConformanceOptions, ConformanceReport, Status};
use crate::quantize::Target;
use std::path::PathBuf;

/// Arguments of `conformance`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The ONNX backend test data (`onnx/backend/test/data`; default: $ZKINFER_ONNX_DATA, else
    /// the installed `onnx` wheel's).
    pub data: Option<PathBuf>,
    /// Directory for manifest.json and REPORT.md.
    #[arg(long, short, default_value = "conformance")]
    pub out: PathBuf,
    /// Suite to run (repeatable; default: node, pytorch-converted, pytorch-operator, simple).
    #[arg(long)]
    pub suite: Vec<String>,
    /// Only cases whose name contains this (repeatable).
    #[arg(long)]
    pub filter: Vec<String>,
    /// Stop after this many cases.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Calibration target: accuracy (largest scales that fit; slower) or resources (smallest
    /// circuit within the calibration tolerance).
    #[arg(long, value_enum, default_value = "accuracy")]
    pub target: Target,
}

/// Runs `conformance`: failing cases are reported, not an error.
pub fn run(a: Args, r: &Reporter) -> anyhow::Result<()> {
    let data = match a.data {
        Some(d) => d,
        None => find_data()?,
    };
    let opts = ConformanceOptions {
        data,
        suites: a.suite,
        filter: a.filter,
        limit: a.limit,
        target: a.target,
    };
    let report = conformance(&opts, r)?;
    write_report(&report, &a.out)?;
    r.emit(&report);
    Ok(())
}

impl Render for ConformanceReport {
    fn title(&self) -> String {
        format!("ONNX conformance: {}", self.summary())
    }
    fn rows(&self) -> Vec<(String, String)> {
        self.cases
            .iter()
            .filter(|c| c.status != Status::Pass)
            .map(|c| {
                let what = match (&c.status, c.unsupported_ops.is_empty()) {
                    (Status::Unsupported, false) => format!("unsupported: {}", c.unsupported_ops.join(", ")),
                    (Status::Unsupported, true) => format!("unsupported: {}", c.error.clone().unwrap_or_default()),
                    _ => format!("FAIL: {}", c.error.clone().unwrap_or_default()),
                };
                (format!("{}/{}", c.suite, c.name), what.chars().take(160).collect())
            })
            .collect()
    }
}
