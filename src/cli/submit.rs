//! `zkinfer submit PROOF (--deployment RECORD | --to ADDRESS) [--target ...]`

use super::deploy::ChainArgs;
use super::report::{Render, Reporter};
use crate::chain::parse_address;
use crate::pipeline::submit::{submit, SubmitOptions, SubmitReport, Target};
use std::path::PathBuf;

/// Contract kinds.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum TargetArg {
    /// A generated verifier's verifyProof (a view; the transaction measures gas on chain).
    Verifier,
    /// CreditGate.requestCredit (needs --attestation): the sender must be the account bound
    /// into the proof and the attestation's subject.
    CreditGate,
    /// InferenceOracle.post (needs --model-id; the sender must be an operator).
    Oracle,
}

/// Arguments of `submit`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Proof file.
    pub proof: PathBuf,
    /// Deployment record written by `zkinfer deploy` (gives the address and the chain).
    #[arg(long, required_unless_present = "to")]
    pub deployment: Option<PathBuf>,
    /// Contract address (instead of, or overriding, the record's).
    #[arg(long)]
    pub to: Option<String>,
    /// Contract kind (default: the record's CreditGate if it has one, else a verifier).
    #[arg(long, value_enum)]
    pub target: Option<TargetArg>,
    /// InferenceOracle model id: 0x + 32 bytes, or a name (its keccak256 is used).
    #[arg(long)]
    pub model_id: Option<String>,
    /// Attestation file of the borrower's features (`zkinfer attest`); needed by a CreditGate.
    #[arg(long)]
    pub attestation: Option<PathBuf>,
    /// Simulate and estimate only; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Chain and key.
    #[command(flatten)]
    pub chain: ChainArgs,
}

/// Runs `submit`.
pub fn run(a: Args, r: &Reporter) -> anyhow::Result<()> {
    let opts = SubmitOptions {
        chain: a.chain.options()?,
        to: a.to.as_deref().map(|t| parse_address("--to", t)).transpose()?,
        record: a.deployment,
        target: a.target.map(|t| match t {
            TargetArg::Verifier => Target::Verifier,
            TargetArg::CreditGate => Target::CreditGate,
            TargetArg::Oracle => Target::InferenceOracle,
        }),
        model_id: a.model_id,
        attestation: a.attestation,
        dry_run: a.dry_run,
    };
    let report = submit(&a.proof, &opts, r)?;
    r.emit(&report);
    Ok(())
}

impl Render for SubmitReport {
    fn title(&self) -> String {
        if self.dry_run {
            format!("the proof would be accepted by {} (dry run: nothing sent)", self.contract)
        } else {
            format!("proof accepted on chain {}", self.chain_id)
        }
    }
    fn rows(&self) -> Vec<(String, String)> {
        let mut rows = vec![
            ("contract".into(), format!("{} ({:?})", self.contract, self.target)),
            ("from".into(), self.from.clone()),
        ];
        if let Some(t) = &self.tx_hash {
            rows.push(("transaction".into(), t.clone()));
        }
        if let Some(b) = self.block {
            rows.push(("block".into(), b.to_string()));
        }
        rows.push((
            if self.dry_run { "gas (estimate)" } else { "gas used" }.into(),
            self.gas.to_string(),
        ));
        if let (Some(s), Some(f)) = (self.score, &self.score_fixed) {
            rows.push(("score".into(), format!("{s} (fixed point {f})")));
        }
        if let Some(t) = self.approved_until {
            rows.push(("approved until".into(), format!("{t} (unix time)")));
        }
        if let Some(k) = &self.input_key {
            rows.push(("input key".into(), k.clone()));
        }
        for (m, k) in self.input_keys.iter().enumerate() {
            rows.push((format!("input key, member {m}"), k.clone()));
        }
        rows
    }
}
