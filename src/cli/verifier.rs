//! `zkinfer verifier DIR --out OUT`

use super::report::{Render, Reporter};
use crate::pipeline::verifier::{write_verifier, VerifierOptions, VerifierReport, DEFAULT_NAME};
use crate::pipeline::BuildDir;
use crate::solidity::Layout;
use std::path::PathBuf;

/// How the verifying key is laid out.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum LayoutArg {
    /// Embedded when the verifier fits under EIP-170's 24,576 bytes, else separate.
    Auto,
    /// One contract with the verifying key in its code.
    Embedded,
    /// A verifier plus a verifying-key contract.
    Separate,
}

/// Options shared by `verifier` and `gas`.
#[derive(clap::Args, Debug)]
pub struct GenArgs {
    /// Verifying-key layout.
    #[arg(long, value_enum, default_value = "auto")]
    pub layout: LayoutArg,
    /// Contract name (the verifying-key contract gets the suffix `Key`).
    #[arg(long, default_value = DEFAULT_NAME)]
    pub name: String,
    /// solc binary (else $SOLC, solc on PATH, then the bundled solcjs).
    #[arg(long)]
    pub solc: Option<PathBuf>,
    /// Optimizer runs.
    #[arg(long, default_value_t = 1)]
    pub optimizer_runs: usize,
    /// Write a contract whose runtime exceeds EIP-170's limit anyway.
    #[arg(long)]
    pub allow_oversize: bool,
}

impl GenArgs {
    /// The library options.
    pub fn options(&self) -> VerifierOptions {
        VerifierOptions {
            layout: match self.layout {
                LayoutArg::Auto => None,
                LayoutArg::Embedded => Some(Layout::Embedded),
                LayoutArg::Separate => Some(Layout::Separate),
            },
            name: self.name.clone(),
            solc: self.solc.clone(),
            optimizer_runs: self.optimizer_runs,
            allow_oversize: self.allow_oversize,
        }
    }
}

/// Arguments of `verifier`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Build directory with the verifying key.
    pub build_dir: PathBuf,
    /// Output directory for the .sol files and their ABI/bytecode JSON.
    #[arg(long)]
    pub out: PathBuf,
    /// Verifier generation options.
    #[command(flatten)]
    pub gen: GenArgs,
}

/// Runs `verifier`.
pub fn run(a: Args, r: &Reporter) -> anyhow::Result<()> {
    let report = write_verifier(&BuildDir(a.build_dir), &a.out, &a.gen.options(), r)?;
    r.emit(&report);
    Ok(())
}

impl Render for VerifierReport {
    fn title(&self) -> String {
        format!("verifier written ({} layout)", self.layout)
    }
    fn rows(&self) -> Vec<(String, String)> {
        let mut rows = vec![
            ("layout".into(), self.layout_reason.clone()),
            ("runtime bytes".into(), format!("{} of {}", self.runtime_bytes, self.runtime_limit)),
        ];
        if let Some(v) = self.vk_runtime_bytes {
            rows.push(("vk contract bytes".into(), v.to_string()));
        }
        rows.push(("proof bytes".into(), self.proof_bytes.to_string()));
        rows.push(("public instances".into(), self.num_instances.to_string()));
        rows.push(("vk hash".into(), self.vk_hash.clone()));
        rows.push(("solc".into(), self.solc.clone()));
        for f in &self.files {
            rows.push(("wrote".into(), f.clone()));
        }
        rows
    }
}
