//! `zkinfer calldata PROOF`

use super::report::{Render, Reporter};
use crate::pipeline::calldata::{calldata, CalldataReport};
use std::path::PathBuf;

/// Arguments of `calldata`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Proof file.
    pub proof: PathBuf,
}

/// Runs `calldata`.
pub fn run(a: Args, r: &Reporter) -> anyhow::Result<()> {
    let report = calldata(&a.proof)?;
    r.emit(&report);
    Ok(())
}

impl Render for CalldataReport {
    fn warnings(&self) -> Vec<String> {
        if self.insecure_dev_srs {
            vec![crate::pipeline::INSECURE_SRS_WARNING.to_string()]
        } else {
            vec![]
        }
    }
    fn title(&self) -> String {
        format!("{} calldata", self.function)
    }
    fn rows(&self) -> Vec<(String, String)> {
        vec![
            ("selector".into(), self.selector.clone()),
            ("size".into(), format!("{} bytes ({} non-zero)", self.bytes, self.nonzero_bytes)),
            ("calldata".into(), self.calldata.clone()),
        ]
    }
}
