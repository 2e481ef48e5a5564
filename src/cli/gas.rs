//! `zkinfer gas DIR PROOF`

use super::report::{Render, Reporter};
use super::verifier::GenArgs;
use crate::pipeline::gas::{gas, GasReport};
use crate::pipeline::BuildDir;
use std::path::PathBuf;

/// Arguments of `gas`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Build directory with the verifying key.
    pub build_dir: PathBuf,
    /// Proof file.
    pub proof: PathBuf,
    /// Verifier generation options.
    #[command(flatten)]
    pub gen: GenArgs,
}

/// Runs `gas`: a proof the EVM verifier rejects is an error.
pub fn run(a: Args, r: &Reporter) -> anyhow::Result<()> {
    let report = gas(&BuildDir(a.build_dir), &a.proof, &a.gen.options(), r)?;
    r.emit(&report);
    Ok(())
}

fn thousands(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Render for GasReport {
    fn title(&self) -> String {
        format!("EVM verifier gas ({} layout, revm)", self.layout)
    }
    fn rows(&self) -> Vec<(String, String)> {
        let g = thousands;
        let mut rows = vec![
            ("verify transaction".into(), format!("{} gas", g(self.verify_tx_gas))),
            (
                "  intrinsic + calldata".into(),
                format!(
                    "{} gas ({} bytes, {} non-zero)",
                    g(self.intrinsic_gas),
                    self.calldata_bytes,
                    self.calldata_nonzero_bytes
                ),
            ),
            ("  execution".into(), format!("{} gas", g(self.execution_gas))),
        ];
        for (name, p) in &self.breakdown.precompiles {
            rows.push((format!("    {name}"), format!("{} gas in {} calls", g(p.gas), p.calls)));
        }
        rows.push(("    keccak (transcript)".into(), format!("{} gas", g(self.breakdown.keccak))));
        rows.push(("    addmod/mulmod".into(), format!("{} gas", g(self.breakdown.field_arithmetic))));
        rows.push(("    calldata/memory".into(), format!("{} gas", g(self.breakdown.data_access))));
        rows.push(("    other opcodes".into(), format!("{} gas", g(self.breakdown.other_opcodes))));
        rows.push(("    call opcodes".into(), format!("{} gas", g(self.breakdown.call_overhead))));
        rows.push(("MSM terms".into(), self.msm_terms.to_string()));
        rows.push(("deploy".into(), format!("{} gas", g(self.deploy_gas))));
        rows.push((
            "runtime bytecode".into(),
            format!("{} of {} bytes", self.runtime_bytes, self.runtime_limit),
        ));
        if let Some(v) = self.vk_runtime_bytes {
            rows.push(("vk contract bytecode".into(), format!("{v} bytes")));
        }
        rows.push(("layout".into(), self.layout_reason.clone()));
        rows
    }
}
