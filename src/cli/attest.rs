//! `zkinfer attest BUILD --data FILE --subject ADDR --expires 90d (--deployment RECORD | --gate ADDR --chain-id N)`

use super::deploy::KeyArgs;
use super::report::{Render, Reporter};
use crate::chain::parse_address;
use crate::pipeline::attest::{attest, now, parse_time, AttestOptions, AttestReport, GateRef};
use crate::pipeline::BuildDir;
use std::path::PathBuf;

/// Arguments of `attest`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Build directory of the model the gate uses (compiled with `--input hashed`): its
    /// quantization decides the hash.
    pub build_dir: PathBuf,
    /// The borrower's features (EZKL input format, one sample), as the provider holds them.
    #[arg(long)]
    pub data: PathBuf,
    /// The borrower's address.
    #[arg(long)]
    pub subject: String,
    /// When the attestation expires: unix seconds, or a duration from now (90d, 12h, 30m, 45s).
    #[arg(long)]
    pub expires: String,
    /// When it was issued (unix seconds; default now).
    #[arg(long)]
    pub issued_at: Option<u64>,
    /// Deployment record with the CreditGate (gives its address and chain id).
    #[arg(long, required_unless_present = "gate", conflicts_with = "gate")]
    pub deployment: Option<PathBuf>,
    /// The CreditGate's address (with --chain-id), instead of --deployment.
    #[arg(long, requires = "chain_id")]
    pub gate: Option<String>,
    /// The gate's chain id (with --gate).
    #[arg(long, requires = "gate")]
    pub chain_id: Option<u64>,
    /// The attestation file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// The provider's signing key.
    #[command(flatten)]
    pub key: KeyArgs,
}

/// Runs `attest`.
pub fn run(a: Args, r: &Reporter) -> anyhow::Result<()> {
    let t = now();
    let expires_at = parse_time(&a.expires, t).map_err(|e| anyhow::anyhow!("--expires: {e}"))?;
    let gate = match (a.deployment, a.gate, a.chain_id) {
        (Some(rec), _, _) => GateRef::Record(rec),
        (None, Some(g), Some(chain_id)) => GateRef::Address {
            chain_id,
            gate: parse_address("--gate", &g)?,
        },
        _ => anyhow::bail!("say which gate the attestation is for: --deployment RECORD, or --gate ADDRESS --chain-id N"),
    };
    let opts = AttestOptions {
        data: a.data,
        subject: parse_address("--subject", &a.subject)?,
        issued_at: a.issued_at,
        expires_at,
        gate,
        key: a.key.source()?,
        out: a.out,
    };
    let report = attest(&BuildDir(a.build_dir), &opts, r)?;
    r.emit(&report);
    Ok(())
}

impl Render for AttestReport {
    fn title(&self) -> String {
        format!("attestation written to {}", self.out)
    }
    fn rows(&self) -> Vec<(String, String)> {
        vec![
            ("provider".into(), self.provider.clone()),
            ("subject".into(), self.subject.clone()),
            ("input hash".into(), self.input_hash.clone()),
            ("input schema".into(), self.schema.clone()),
            (
                "valid".into(),
                format!("from {} until {} (unix seconds)", self.issued_at, self.expires_at),
            ),
            ("gate".into(), format!("{} on chain {}", self.gate, self.chain_id)),
            ("EIP-712 digest".into(), self.digest.clone()),
        ]
    }
}
