//! `zkinfer prove DIR --input FILE --out PROOF`

use super::report::{secs, Render, Reporter};
use crate::pipeline::prove::{prove_with, ProveReport};
use crate::pipeline::BuildDir;
use std::path::PathBuf;

/// Arguments of `prove`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Build directory with keys.
    #[arg(default_value = "build")]
    pub build_dir: PathBuf,
    /// Input data (EZKL format, one sample).
    #[arg(long, short)]
    pub input: PathBuf,
    /// Proof file to write.
    #[arg(long, short, default_value = "proof.json")]
    pub out: PathBuf,
    /// Value of a public value the build binds (`compile --bind NAME`): NAME=VALUE, VALUE in
    /// 0x-hex (an address, say) or decimal, below the field modulus. Repeatable.
    #[arg(long = "bind", value_name = "NAME=VALUE")]
    pub bind: Vec<String>,
}

/// Runs `prove`.
pub fn run(a: Args, r: &Reporter) -> anyhow::Result<()> {
    let report = prove_with(&BuildDir(a.build_dir), &a.input, &a.out, &a.bind, r)?;
    r.emit(&report);
    Ok(())
}

/// Formats output values compactly.
pub fn values(v: &[f64]) -> String {
    let shown: Vec<String> = v.iter().take(8).map(|x| format!("{x:.6}")).collect();
    if v.len() > 8 {
        format!("[{}, … {} more]", shown.join(", "), v.len() - 8)
    } else {
        format!("[{}]", shown.join(", "))
    }
}

/// Table rows of proven outputs: with a batch, a line on its members and each real member's
/// outputs (padding members are not shown; `padding` says what they are).
pub fn output_rows(outputs: &[crate::proof::OutputValues], batch: usize, members: usize, padding: &str) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    if batch > 1 {
        rows.push(("batch".into(), format!("{members} real members of {batch} ({padding})")));
    }
    for o in outputs {
        match o.member {
            Some(m) if m >= members => continue,
            Some(m) => rows.push((format!("output `{}`, member {m}", o.name), values(&o.values))),
            None => rows.push((format!("output `{}`", o.name), values(&o.values))),
        }
    }
    rows
}

impl Render for ProveReport {
    fn title(&self) -> String {
        format!("proof written to {}", self.proof_path)
    }
    fn rows(&self) -> Vec<(String, String)> {
        let mut rows = vec![
            ("k / rows".into(), format!("{} / {}", self.k, self.rows)),
            ("proof size".into(), format!("{} bytes", self.proof_bytes)),
            ("witness time".into(), secs(self.witness_seconds)),
            ("prove time".into(), secs(self.prove_seconds)),
            ("verified natively".into(), format!("yes ({})", secs(self.verify_seconds))),
        ];
        rows.extend(output_rows(
            &self.outputs,
            self.batch,
            self.members,
            "the rest repeat the last and are marked padding",
        ));
        for (name, h) in &self.hashes {
            rows.push((format!("hash of the {name}"), h.clone()));
        }
        rows
    }
    fn warnings(&self) -> Vec<String> {
        self.warning.iter().cloned().collect()
    }
}
