//! The operator's config file (TOML). Paths in it are relative to the file's folder.
//!
//! ```toml
//! rpc_url = "http://127.0.0.1:8545"
//! chain_id = 31337                  # optional: refuse any other chain
//! oracle = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
//! private_key_env = "OPERATOR_KEY"  # or: keystore = "operator.json" (+ password_file)
//! state = "operator.sqlite"         # the operator's state (default next to the config)
//! listen = "127.0.0.1:9464"         # /metrics, /healthz, /jobs/{id}
//! confirmations = 2                 # a request is served once this many blocks include it
//!
//! [[models]]
//! id = "credit-v1"                  # the oracle model id (a name is hashed with keccak256)
//! build = "build/credit-oracle"     # the build that proves it (compile + setup)
//! ```

use super::OperatorError;
use crate::chain::KeySource;
use alloy::primitives::{Address, B256};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The config file as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    rpc_url: String,
    chain_id: Option<u64>,
    oracle: String,
    private_key_env: Option<String>,
    keystore: Option<PathBuf>,
    password_file: Option<PathBuf>,
    state: Option<PathBuf>,
    #[serde(default = "default_listen")]
    listen: String,
    #[serde(default = "default_confirmations")]
    confirmations: u64,
    #[serde(default = "default_poll_ms")]
    poll_interval_ms: u64,
    #[serde(default)]
    start_block: u64,
    #[serde(default = "default_log_range")]
    max_log_range: u64,
    data_dir: Option<PathBuf>,
    #[serde(default = "default_attempts")]
    max_attempts: u32,
    #[serde(default)]
    low_balance_eth: f64,
    #[serde(default = "default_tx_confirmations")]
    tx_confirmations: u64,
    #[serde(default = "default_tx_timeout")]
    tx_timeout_seconds: u64,
    #[serde(default = "default_flush_ms")]
    batch_flush_ms: u64,
    #[serde(default)]
    min_fee_wei: Option<String>,
    #[serde(default = "default_max_callback_gas")]
    max_callback_gas: u32,
    queue: Option<String>,
    nats_credentials: Option<PathBuf>,
    nats_ca: Option<PathBuf>,
    #[serde(default = "default_ack_wait")]
    ack_wait_seconds: u64,
    #[serde(default = "default_replicas")]
    nats_replicas: usize,
    models: Vec<RawModel>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    id: String,
    build: PathBuf,
}

fn default_listen() -> String {
    "127.0.0.1:9464".into()
}
fn default_confirmations() -> u64 {
    2
}
fn default_poll_ms() -> u64 {
    1000
}
fn default_log_range() -> u64 {
    2000
}
fn default_attempts() -> u32 {
    3
}
fn default_tx_confirmations() -> u64 {
    1
}
fn default_tx_timeout() -> u64 {
    120
}
fn default_flush_ms() -> u64 {
    5000
}
fn default_replicas() -> usize {
    1
}
fn default_ack_wait() -> u64 {
    60
}
fn default_max_callback_gas() -> u32 {
    200_000
}

/// A model the operator serves.
#[derive(Clone, Debug)]
pub struct ModelConfig {
    /// The id as written.
    pub name: String,
    /// The oracle model id.
    pub id: B256,
    /// Its build folder.
    pub build: PathBuf,
}

/// The operator's configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// The config file.
    pub path: PathBuf,
    /// JSON-RPC endpoint.
    pub rpc_url: String,
    /// Required chain id.
    pub chain_id: Option<u64>,
    /// The InferenceOracle.
    pub oracle: Address,
    /// The signing key.
    pub key: KeySource,
    /// The SQLite state file.
    pub state: PathBuf,
    /// Address of the HTTP endpoint (`host:port`; port 0 picks a free one).
    pub listen: String,
    /// Blocks that must include a request before it is served (1 = as soon as it is mined).
    pub confirmations: u64,
    /// Pause between polls of the chain.
    pub poll_interval: Duration,
    /// First block to scan when the state is new.
    pub start_block: u64,
    /// Most blocks per `eth_getLogs`.
    pub max_log_range: u64,
    /// Where `file:` data URIs of requests are looked up (none: such requests fail).
    pub data_dir: Option<PathBuf>,
    /// Attempts per job before it is marked failed.
    pub max_attempts: u32,
    /// Warn when the wallet holds less (ether).
    pub low_balance_eth: f64,
    /// Confirmations of a fulfilment transaction.
    pub tx_confirmations: u64,
    /// How long to wait for a fulfilment to be mined.
    pub tx_timeout: Duration,
    /// How long a partly filled batch waits for more requests.
    pub batch_flush: Duration,
    /// Requests paying less (wei) are not served.
    pub min_fee_wei: alloy::primitives::U256,
    /// Requests asking for a larger callback gas limit are not served (the operator pays it).
    pub max_callback_gas: u32,
    /// The NATS JetStream queue (`nats://host:4222`) of a scaled-out operator, if any.
    pub queue: Option<String>,
    /// A NATS `.creds` file.
    pub nats_credentials: Option<PathBuf>,
    /// A CA certificate for the NATS server's TLS.
    pub nats_ca: Option<PathBuf>,
    /// How long a queued job may go unacknowledged before it is delivered again.
    pub ack_wait: Duration,
    /// Replicas of the job stream and bucket.
    pub nats_replicas: usize,
    /// The models served.
    pub models: Vec<ModelConfig>,
}

impl Config {
    /// Reads and checks `path`.
    pub fn read(path: &Path) -> Result<Config, OperatorError> {
        let bad = |reason: String| OperatorError::Config {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read it: {e}")))?;
        Self::parse(&text, path)
    }

    /// Parses config text; relative paths are taken from `path`'s folder.
    pub fn parse(text: &str, path: &Path) -> Result<Config, OperatorError> {
        let bad = |reason: String| OperatorError::Config {
            path: path.display().to_string(),
            reason,
        };
        let raw: Raw = toml::from_str(text).map_err(|e| bad(e.to_string().trim().to_string()))?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let at = |p: &Path| if p.is_absolute() { p.to_path_buf() } else { base.join(p) };
        let oracle = crate::chain::parse_address("oracle", &raw.oracle).map_err(|e| bad(e.to_string()))?;
        let key = match (&raw.private_key_env, &raw.keystore) {
            (Some(var), None) => {
                let value = std::env::var(var).map_err(|_| {
                    bad(format!(
                        "private_key_env names ${var}, which is not set; export the operator's key in it"
                    ))
                })?;
                KeySource::PrivateKey(value)
            }
            (None, Some(ks)) => KeySource::Keystore {
                path: at(ks),
                password_file: raw.password_file.as_deref().map(at),
            },
            (Some(_), Some(_)) => return Err(bad("give either private_key_env or keystore, not both".into())),
            (None, None) => {
                return Err(bad(
                    "no signing key: set private_key_env = \"VAR\" (the key in $VAR) or keystore = \"FILE\"".into(),
                ))
            }
        };
        if raw.models.is_empty() {
            return Err(bad("no [[models]]: name at least one model id and its build".into()));
        }
        if raw.confirmations == 0 || raw.tx_confirmations == 0 {
            return Err(bad(
                "confirmations and tx_confirmations count blocks including the transaction's: at least 1".into(),
            ));
        }
        if raw.max_log_range == 0 || raw.max_attempts == 0 {
            return Err(bad("max_log_range and max_attempts must be at least 1".into()));
        }
        if !raw.low_balance_eth.is_finite() || raw.low_balance_eth < 0.0 {
            return Err(bad(format!(
                "low_balance_eth must be a non-negative number, not {}",
                raw.low_balance_eth
            )));
        }
        let min_fee_wei = match raw.min_fee_wei.as_deref() {
            None => alloy::primitives::U256::ZERO,
            Some(t) => t
                .trim()
                .parse::<alloy::primitives::U256>()
                .map_err(|e| bad(format!("min_fee_wei must be a whole number of wei (a string), not {t:?}: {e}")))?,
        };
        let mut models: Vec<ModelConfig> = Vec::new();
        for m in &raw.models {
            let id = crate::pipeline::submit::model_id(&m.id);
            if models.iter().any(|o| o.id == id) {
                return Err(bad(format!("model {} is listed twice", m.id)));
            }
            models.push(ModelConfig {
                name: m.id.clone(),
                id,
                build: at(&m.build),
            });
        }
        Ok(Config {
            path: path.to_path_buf(),
            rpc_url: raw.rpc_url,
            chain_id: raw.chain_id,
            oracle,
            key,
            state: at(raw.state.as_deref().unwrap_or(Path::new("operator.sqlite"))),
            listen: raw.listen,
            confirmations: raw.confirmations,
            poll_interval: Duration::from_millis(raw.poll_interval_ms.max(10)),
            start_block: raw.start_block,
            max_log_range: raw.max_log_range,
            data_dir: raw.data_dir.as_deref().map(at),
            max_attempts: raw.max_attempts,
            low_balance_eth: raw.low_balance_eth,
            tx_confirmations: raw.tx_confirmations,
            tx_timeout: Duration::from_secs(raw.tx_timeout_seconds.max(1)),
            batch_flush: Duration::from_millis(raw.batch_flush_ms),
            min_fee_wei,
            max_callback_gas: raw.max_callback_gas,
            queue: raw.queue,
            nats_credentials: raw.nats_credentials.as_deref().map(at),
            nats_ca: raw.nats_ca.as_deref().map(at),
            ack_wait: Duration::from_secs(raw.ack_wait_seconds.max(1)),
            nats_replicas: raw.nats_replicas.max(1),
            models,
        })
    }

    /// The queue options, with `url` (from the command line) over the file's `queue`; none if
    /// neither names one.
    pub fn queue_options(&self, url: Option<&str>) -> Option<crate::operator::queue::QueueOptions> {
        let url = url.map(str::to_string).or_else(|| self.queue.clone())?;
        Some(crate::operator::queue::QueueOptions {
            url,
            credentials: self.nats_credentials.clone(),
            ca: self.nats_ca.clone(),
            ack_wait: self.ack_wait,
            replicas: self.nats_replicas,
        })
    }

    /// The state file of a config file, without reading keys (for `operator status`).
    pub fn state_of(path: &Path) -> Result<PathBuf, OperatorError> {
        #[derive(Deserialize)]
        struct StateOnly {
            state: Option<PathBuf>,
        }
        let text = std::fs::read_to_string(path).map_err(|e| OperatorError::Config {
            path: path.display().to_string(),
            reason: format!("cannot read it: {e}"),
        })?;
        let raw: StateOnly = toml::from_str(&text).map_err(|e| OperatorError::Config {
            path: path.display().to_string(),
            reason: e.to_string().trim().to_string(),
        })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let p = raw.state.unwrap_or_else(|| PathBuf::from("operator.sqlite"));
        Ok(if p.is_absolute() { p } else { base.join(p) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

    fn parse(text: &str) -> Result<Config, OperatorError> {
        Config::parse(text, Path::new("/srv/op/operator.toml"))
    }

    #[test]
    fn reads_a_config_with_defaults_and_relative_paths() {
        std::env::set_var("ZKINFER_TEST_OPERATOR_KEY", KEY);
        let c = parse(
            r#"
rpc_url = "http://127.0.0.1:8545"
oracle = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
private_key_env = "ZKINFER_TEST_OPERATOR_KEY"
[[models]]
id = "credit-v1"
build = "build/credit"
"#,
        )
        .expect("parses");
        assert_eq!(c.state, Path::new("/srv/op/operator.sqlite"));
        assert_eq!(c.models[0].build, Path::new("/srv/op/build/credit"));
        assert_eq!(c.models[0].id, alloy::primitives::keccak256("credit-v1"));
        assert_eq!(c.confirmations, 2);
        assert_eq!(c.listen, "127.0.0.1:9464");
    }

    #[test]
    fn names_what_is_wrong() {
        std::env::set_var("ZKINFER_TEST_OPERATOR_KEY2", KEY);
        let base = "rpc_url = \"http://x\"\noracle = \"0x5FbDB2315678afecb367f032d93F642f64180aa3\"\n";
        let cases = [
            (format!("{base}[[models]]\nid=\"a\"\nbuild=\"b\"\n"), "no signing key"),
            (
                format!("{base}private_key_env = \"ZKINFER_TEST_UNSET_VAR\"\n[[models]]\nid=\"a\"\nbuild=\"b\"\n"),
                "$ZKINFER_TEST_UNSET_VAR, which is not set",
            ),
            (format!("{base}private_key_env = \"ZKINFER_TEST_OPERATOR_KEY2\"\nmodels = []\n"), "no [[models]]"),
            (
                format!("{base}private_key_env = \"ZKINFER_TEST_OPERATOR_KEY2\"\nconfirmations = 0\n[[models]]\nid=\"a\"\nbuild=\"b\"\n"),
                "at least 1",
            ),
            (
                format!("{base}private_key_env = \"ZKINFER_TEST_OPERATOR_KEY2\"\n[[models]]\nid=\"a\"\nbuild=\"b\"\n[[models]]\nid=\"a\"\nbuild=\"c\"\n"),
                "listed twice",
            ),
            (format!("{base}private_key_env = \"ZKINFER_TEST_OPERATOR_KEY2\"\ncolour = 1\n"), "colour"),
            (
                "rpc_url = \"http://x\"\noracle = \"0x12\"\nprivate_key_env = \"ZKINFER_TEST_OPERATOR_KEY2\"\n[[models]]\nid=\"a\"\nbuild=\"b\"\n".to_string(),
                "oracle",
            ),
            ("rpc_url = \"http://x\"\n".to_string(), "missing field `oracle`"),
        ];
        for (text, needle) in cases {
            let e = parse(&text).err().unwrap_or_else(|| panic!("accepted:\n{text}"));
            let m = e.to_string();
            assert!(m.contains(needle) && m.contains("/srv/op/operator.toml"), "{needle}: {m}");
        }
    }
}
