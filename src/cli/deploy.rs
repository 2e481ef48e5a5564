//! `zkinfer deploy DIR --rpc-url URL [--credit-gate --threshold T]`

use super::report::{Render, Reporter};
use super::verifier::GenArgs;
use crate::chain::{KeySource, RpcOptions, TxOptions};
use crate::pipeline::deploy::{deploy, ChainOptions, DeployOptions, DeployReport, GateOptions};
use crate::pipeline::BuildDir;
use std::path::PathBuf;
use std::time::Duration;

/// The signing key: a keystore if given, else the private key.
#[derive(clap::Args, Debug)]
pub struct KeyArgs {
    /// Hex private key of the sender. Prefer $ZKINFER_PRIVATE_KEY or --keystore: a key on the
    /// command line can be read by other users of the machine.
    #[arg(long, env = "ZKINFER_PRIVATE_KEY", hide_env_values = true)]
    pub private_key: Option<String>,
    /// Encrypted JSON keystore of the sender (geth/cast format); takes precedence over a
    /// private key.
    #[arg(long)]
    pub keystore: Option<PathBuf>,
    /// File whose first line is the keystore password (else $ZKINFER_KEYSTORE_PASSWORD, else a
    /// prompt).
    #[arg(long, requires = "keystore")]
    pub password_file: Option<PathBuf>,
}

impl KeyArgs {
    /// The key source.
    pub fn source(&self) -> anyhow::Result<KeySource> {
        match (&self.keystore, &self.private_key) {
            (Some(path), _) => Ok(KeySource::Keystore {
                path: path.clone(),
                password_file: self.password_file.clone(),
            }),
            (None, Some(k)) => Ok(KeySource::PrivateKey(k.clone())),
            (None, None) => anyhow::bail!("no signing key: pass --keystore FILE or --private-key HEX, or set ZKINFER_PRIVATE_KEY"),
        }
    }
}

/// Endpoint, chain and waiting options shared by `deploy` and `submit`.
#[derive(clap::Args, Debug)]
pub struct ChainArgs {
    /// JSON-RPC endpoint (http or https).
    #[arg(long, env = "ZKINFER_RPC_URL", default_value = "http://127.0.0.1:8545")]
    pub rpc_url: String,
    /// Refuse to send unless the endpoint serves this chain id.
    #[arg(long)]
    pub chain_id: Option<u64>,
    /// Blocks that must include each transaction before it counts.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub confirmations: u64,
    /// Seconds to wait for each transaction's confirmations.
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
    /// Attempts per RPC request when the endpoint is unreachable, times out or rate-limits.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub rpc_attempts: u32,
    /// Signing key.
    #[command(flatten)]
    pub key: KeyArgs,
}

impl ChainArgs {
    /// The library options.
    pub fn options(&self) -> anyhow::Result<ChainOptions> {
        let mut rpc = RpcOptions::new(&self.rpc_url);
        rpc.attempts = self.rpc_attempts;
        Ok(ChainOptions {
            rpc,
            chain_id: self.chain_id,
            tx: TxOptions {
                confirmations: self.confirmations,
                timeout: Duration::from_secs(self.timeout),
                ..TxOptions::default()
            },
            key: self.key.source()?,
        })
    }
}

/// Arguments of `deploy`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Build directory with the verifying key.
    pub build_dir: PathBuf,
    /// Chain and key.
    #[command(flatten)]
    pub chain: ChainArgs,
    /// Verifier generation options.
    #[command(flatten)]
    pub gen: GenArgs,
    /// Deployment record to write and to check on a re-run (default
    /// <build>/deployments/<chain id>.json).
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// Also deploy a CreditGate pinned to the verifier (the build needs `compile --input hashed
    /// --bind account`).
    #[arg(long, requires = "threshold")]
    pub credit_gate: bool,
    /// CreditGate's minimum score, in the model's output units (e.g. 0.6).
    #[arg(long, requires = "credit_gate", allow_negative_numbers = true)]
    pub threshold: Option<f64>,
    /// How long a CreditGate approval lasts, in days (never beyond the attestation's expiry).
    #[arg(long, default_value_t = 30.0, requires = "credit_gate")]
    pub validity_days: f64,
    /// A data provider whose attestations the CreditGate trusts (repeatable).
    #[arg(long = "provider", value_name = "ADDRESS", requires = "credit_gate")]
    pub providers: Vec<String>,
    /// Estimate and show what would be deployed; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Deploy again even if the record's contracts are on chain (overwrites the record).
    #[arg(long)]
    pub force: bool,
    /// Allow a verifier made with the development SRS on a chain other than a local one
    /// (31337, 1337): anyone can forge proofs for it.
    #[arg(long)]
    pub allow_insecure_srs: bool,
    /// On a chain other than a local one, accept the build's SRS although it is no known public
    /// ceremony file: give its SHA-256 (settings.json's setup.srs_sha256, `zkinfer srs info`).
    #[arg(long, value_name = "SHA256")]
    pub accept_srs: Option<String>,
}

/// Runs `deploy`.
pub fn run(a: Args, r: &Reporter) -> anyhow::Result<()> {
    let days = a.validity_days;
    if !(days.is_finite() && days > 0.0 && days <= 3650.0) {
        anyhow::bail!("--validity-days must be more than 0 and at most 3650 (got {days})");
    }
    let providers = a
        .providers
        .iter()
        .map(|p| crate::chain::parse_address("--provider", p))
        .collect::<Result<Vec<_>, _>>()?;
    let opts = DeployOptions {
        verifier: a.gen.options(),
        chain: a.chain.options()?,
        record: a.record,
        credit_gate: a.threshold.map(|threshold| GateOptions {
            threshold,
            validity_seconds: (days * 86_400.0).round() as u64,
            providers,
        }),
        dry_run: a.dry_run,
        force: a.force,
        allow_insecure_srs: a.allow_insecure_srs,
        accept_srs: a.accept_srs,
    };
    let report = deploy(&BuildDir(a.build_dir), &opts, r)?;
    r.emit(&report);
    Ok(())
}

impl Render for DeployReport {
    fn title(&self) -> String {
        if self.dry_run {
            format!("deployment plan on chain {} (dry run: nothing sent)", self.chain_id)
        } else {
            format!("deployed on chain {} ({} transaction(s) sent)", self.chain_id, self.transactions)
        }
    }
    fn rows(&self) -> Vec<(String, String)> {
        let mut rows = vec![("deployer".into(), self.deployer.clone()), ("vk hash".into(), self.vk_hash.clone())];
        rows.push((
            "SRS".into(),
            match (&self.srs_known_ceremony, self.srs_sha256.as_str()) {
                (Some(c), h) => format!("{c} (known public ceremony; SHA-256 {h})"),
                (None, "") => "not recorded (set up by an older zkinfer)".into(),
                (None, h) => format!("SHA-256 {h} (not a known public ceremony file)"),
            },
        ));
        for c in &self.contracts {
            let mut v = format!("{}: {}", c.name, c.action);
            if let Some(a) = &c.address {
                v.push_str(&format!(" at {a}"));
            }
            if let (Some(t), Some(b)) = (&c.tx_hash, c.block) {
                v.push_str(&format!(" (tx {t}, block {b})"));
            }
            if let Some(g) = c.gas {
                v.push_str(&format!(", {g} gas{}", if self.dry_run { " estimated" } else { "" }));
            }
            rows.push((c.role.replace('_', " "), v));
        }
        if let Some(p) = &self.credit_gate_policy {
            rows.push((
                "gate policy".into(),
                format!(
                    "score ≥ {} ({} at scale {}), approvals last {} days",
                    p.threshold as f64 / 2f64.powi(p.scale as i32),
                    p.threshold,
                    p.scale,
                    p.validity_seconds as f64 / 86_400.0
                ),
            ));
            rows.push(("input schema".into(), p.schema.clone()));
            rows.push((
                "data providers".into(),
                if p.providers.is_empty() {
                    "none".into()
                } else {
                    p.providers.join(", ")
                },
            ));
        }
        if let Some(rec) = &self.record {
            rows.push(("record".into(), rec.clone()));
        }
        rows
    }
    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }
}
