//! `zkinfer calldata PROOF`

use super::report::{Render, Reporter};
use crate::pipeline::calldata::{calldata, CalldataReport};
use std::path::PathBuf;

/// Arguments of `calldata`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Proof file.
    pub proof: PathBuf,
    /// Print only this value, raw (for shell variables): `calldata`, `proof` or `instances`
    /// (a `[0x…,0x…]` array, as `cast send` takes it).
    #[arg(long, value_enum)]
    pub field: Option<Field>,
}

/// A single value to print.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Field {
    /// The whole ABI-encoded verifyProof call.
    Calldata,
    /// The proof bytes.
    Proof,
    /// The instances array.
    Instances,
}

/// Runs `calldata`.
pub fn run(a: Args, r: &Reporter) -> anyhow::Result<()> {
    let report = calldata(&a.proof)?;
    match a.field {
        Some(Field::Calldata) => println!("{}", report.calldata),
        Some(Field::Proof) => println!("{}", report.proof),
        Some(Field::Instances) => println!("{}", report.instances),
        None => r.emit(&report),
    }
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
        let mut rows = vec![
            ("selector".into(), self.selector.clone()),
            ("size".into(), format!("{} bytes ({} non-zero)", self.bytes, self.nonzero_bytes)),
            ("instances".into(), self.instances.clone()),
        ];
        for s in &self.instance_layout {
            rows.push((super::report::instance_range(s), super::report::instance_meaning(s)));
        }
        rows.push(("calldata".into(), self.calldata.clone()));
        rows
    }
}
