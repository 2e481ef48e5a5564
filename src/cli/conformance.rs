//! `zkinfer conformance [DATA] --out DIR`

use super::report::{Render, Reporter};
use crate::pipeline::conformance::{
    conformance, find_data, run_case, write_report, ConformanceOptions, ConformanceReport, Isolation, Status,
};
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
    /// Wall-clock limit per case in seconds: each case runs in a child process, and one that
    /// runs longer fails, naming the limit.
    #[arg(long, default_value_t = 600, value_name = "SECS")]
    pub case_timeout: u64,
    /// Continue a stopped run: the cases already in OUT/cases.jsonl (every finished case is
    /// appended there) are taken from it, the rest are run.
    #[arg(long)]
    pub resume: bool,
    /// Internal: run the one case in this directory and write its result as JSON to
    /// `--run-case-out` (how the runner isolates cases).
    #[arg(long, hide = true, requires_all = ["run_case_suite", "run_case_out"])]
    pub run_case: Option<PathBuf>,
    /// Internal: the suite of `--run-case`.
    #[arg(long, hide = true)]
    pub run_case_suite: Option<String>,
    /// Internal: where `--run-case` writes its result.
    #[arg(long, hide = true)]
    pub run_case_out: Option<PathBuf>,
}

/// Runs `conformance`: failing cases are reported, not an error.
pub fn run(a: Args, r: &Reporter) -> anyhow::Result<()> {
    if let (Some(case), Some(suite), Some(out)) = (&a.run_case, &a.run_case_suite, &a.run_case_out) {
        let result = run_case(suite, case, a.target);
        std::fs::write(out, serde_json::to_vec(&result)?)?;
        return Ok(());
    }
    if a.case_timeout == 0 {
        anyhow::bail!("--case-timeout must be at least 1 second");
    }
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
        isolate: Some(Isolation {
            exe: std::env::current_exe()?,
            timeout_secs: a.case_timeout,
        }),
        journal: Some(a.out.join("cases.jsonl")),
        resume: a.resume,
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
                    (Status::BadData, _) => format!("bad data: {}", c.error.clone().unwrap_or_default()),
                    _ => format!("FAIL: {}", c.error.clone().unwrap_or_default()),
                };
                (format!("{}/{}", c.suite, c.name), what.chars().take(160).collect())
            })
            .collect()
    }
}
