//! A blocking JSON-RPC client over alloy's HTTP provider, with per-request timeouts and bounded
//! retries of transient failures.

use super::{hex0x, ChainError};
use alloy::network::Ethereum;
use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::providers::{Provider, RootProvider};
use alloy::rpc::client::RpcClient;
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::transports::http::reqwest;
use alloy::transports::{RpcError, TransportErrorKind, TransportResult};
use std::future::{Future, IntoFuture};
use std::time::Duration;

/// How to reach the endpoint.
#[derive(Clone, Debug)]
pub struct RpcOptions {
    /// Endpoint URL (http or https).
    pub url: String,
    /// Timeout of one HTTP request.
    pub request_timeout: Duration,
    /// Attempts per request when failures are transient (≥ 1).
    pub attempts: u32,
    /// Delay before the first retry; doubled each time, at most 8 s.
    pub backoff: Duration,
}

impl RpcOptions {
    /// Options with the defaults: 30 s per request, 4 attempts, 500 ms first backoff.
    pub fn new(url: &str) -> Self {
        RpcOptions {
            url: url.to_string(),
            request_timeout: Duration::from_secs(30),
            attempts: 4,
            backoff: Duration::from_millis(500),
        }
    }
}

/// What an `eth_call` (or gas estimate) gave: the return data, or the revert data.
#[derive(Clone, Debug)]
pub enum CallResult {
    /// Returned data.
    Success(Vec<u8>),
    /// Reverted; the revert data (may be empty) and the node's message.
    Revert(Vec<u8>, String),
}

/// The blocking client.
pub struct Rpc {
    rt: tokio::runtime::Runtime,
    provider: RootProvider<Ethereum>,
    opts: RpcOptions,
}

/// Whether an RPC failure is worth retrying: the request may not have reached the node, or the
/// node asked to slow down.
fn transient(e: &RpcError<TransportErrorKind>) -> Option<Duration> {
    match e {
        RpcError::Transport(kind) => match kind {
            TransportErrorKind::HttpErrorWithRetryAfter { error, retry_after } if error.status >= 400 => {
                Some((*retry_after).min(Duration::from_secs(8)))
            }
            TransportErrorKind::HttpError(h) if matches!(h.status, 429 | 502 | 503 | 504) => Some(Duration::ZERO),
            TransportErrorKind::Custom(inner) => {
                let is_io = inner
                    .downcast_ref::<reqwest::Error>()
                    .map(|r| r.is_connect() || r.is_timeout() || r.is_request())
                    .unwrap_or(false);
                (is_io || kind.is_retry_err()).then_some(Duration::ZERO)
            }
            other => other.is_retry_err().then_some(Duration::ZERO),
        },
        RpcError::ErrorResp(p) if p.is_retry_err() => Some(Duration::ZERO),
        _ => None,
    }
}

/// The innermost message of an error chain (reqwest hides "Connection refused" in a source).
fn describe(e: &RpcError<TransportErrorKind>) -> String {
    let mut msg = e.to_string();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = src {
        let m = s.to_string();
        if !msg.contains(&m) {
            msg = format!("{msg}: {m}");
        }
        src = s.source();
    }
    msg
}

/// The URL as shown in messages: scheme, host and port only when it has a path, query or user
/// info, which often carry an API key.
pub fn redact(url: &str) -> String {
    match url.parse::<reqwest::Url>() {
        Ok(u) => {
            let secret =
                (u.path() != "/" && !u.path().is_empty()) || u.query().is_some() || !u.username().is_empty() || u.password().is_some();
            let base = format!(
                "{}://{}{}",
                u.scheme(),
                u.host_str().unwrap_or(""),
                u.port().map(|p| format!(":{p}")).unwrap_or_default()
            );
            if secret {
                format!("{base}/…")
            } else {
                base
            }
        }
        Err(_) => "(invalid URL)".into(),
    }
}

impl Rpc {
    /// Connects (lazily: the first request reaches the node).
    pub fn connect(opts: RpcOptions) -> Result<Self, ChainError> {
        let url: reqwest::Url = opts
            .url
            .parse()
            .map_err(|e| ChainError::Usage(format!("--rpc-url is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ChainError::Usage(format!(
                "--rpc-url {}: only http:// and https:// endpoints are supported",
                redact(&opts.url)
            )));
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ChainError::Usage(format!("cannot start the async runtime: {e}")))?;
        let http = reqwest::Client::builder()
            .timeout(opts.request_timeout)
            .connect_timeout(opts.request_timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| ChainError::Usage(format!("cannot build the HTTP client: {e}")))?;
        let provider = {
            let _guard = rt.enter();
            RootProvider::new(RpcClient::new_http_with_client(http, url))
        };
        Ok(Rpc {
            rt,
            provider,
            opts: RpcOptions {
                attempts: opts.attempts.max(1),
                ..opts
            },
        })
    }

    /// Runs a future on the client's runtime (signing needs one).
    pub fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// Runs `f` until it succeeds, fails for good, or the attempts are used up.
    fn retry<T, F, Fut>(&self, method: &str, f: F) -> Result<TransportResult<T>, ChainError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = TransportResult<T>>,
    {
        let mut delay = self.opts.backoff;
        for attempt in 1..=self.opts.attempts {
            let result = self.rt.block_on(f());
            match &result {
                Err(e) => match transient(e) {
                    Some(hint) if attempt < self.opts.attempts => {
                        std::thread::sleep(delay.max(hint));
                        delay = (delay * 2).min(Duration::from_secs(8));
                    }
                    Some(_) => {
                        return Err(ChainError::Rpc {
                            url: redact(&self.opts.url),
                            method: method.into(),
                            attempts: attempt,
                            reason: describe(e),
                        })
                    }
                    None => return Ok(result),
                },
                Ok(_) => return Ok(result),
            }
        }
        unreachable!("attempts ≥ 1")
    }

    /// Like [`Rpc::retry`], any non-transient error also being a [`ChainError::Rpc`].
    fn request<T, F, Fut>(&self, method: &str, f: F) -> Result<T, ChainError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = TransportResult<T>>,
    {
        self.retry(method, f)?.map_err(|e| ChainError::Rpc {
            url: redact(&self.opts.url),
            method: method.into(),
            attempts: 1,
            reason: describe(&e),
        })
    }

    /// `eth_chainId`.
    pub fn chain_id(&self) -> Result<u64, ChainError> {
        self.request("eth_chainId", || self.provider.get_chain_id().into_future())
    }

    /// Checks the chain id against `expected` (if any); returns the served one.
    pub fn check_chain(&self, expected: Option<u64>) -> Result<u64, ChainError> {
        let actual = self.chain_id()?;
        match expected {
            Some(e) if e != actual => Err(ChainError::ChainId {
                url: redact(&self.opts.url),
                expected: e,
                actual,
            }),
            _ => Ok(actual),
        }
    }

    /// `eth_getTransactionCount(address, "pending")`.
    pub fn pending_nonce(&self, address: Address) -> Result<u64, ChainError> {
        self.request("eth_getTransactionCount", || {
            self.provider.get_transaction_count(address).pending().into_future()
        })
    }

    /// `eth_getTransactionCount(address, "latest")`.
    pub fn nonce(&self, address: Address) -> Result<u64, ChainError> {
        self.request("eth_getTransactionCount", || {
            self.provider.get_transaction_count(address).into_future()
        })
    }

    /// `eth_getBalance`.
    pub fn balance(&self, address: Address) -> Result<U256, ChainError> {
        self.request("eth_getBalance", || self.provider.get_balance(address).into_future())
    }

    /// `eth_getCode` at the latest block.
    pub fn code(&self, address: Address) -> Result<Vec<u8>, ChainError> {
        self.request("eth_getCode", || self.provider.get_code_at(address).into_future())
            .map(|b: Bytes| b.to_vec())
    }

    /// `eth_blockNumber`.
    pub fn block_number(&self) -> Result<u64, ChainError> {
        self.request("eth_blockNumber", || self.provider.get_block_number().into_future())
    }

    /// The timestamp of the latest block (unix seconds).
    pub fn latest_timestamp(&self) -> Result<u64, ChainError> {
        use alloy::network::BlockResponse;
        let block = self.request("eth_getBlockByNumber", || {
            self.provider
                .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
                .into_future()
        })?;
        let block = block.ok_or_else(|| ChainError::Rpc {
            url: redact(&self.opts.url),
            method: "eth_getBlockByNumber".into(),
            attempts: 1,
            reason: "the node has no latest block".into(),
        })?;
        Ok(block.header().timestamp)
    }

    /// EIP-1559 fees: (max fee per gas, max priority fee per gas).
    pub fn fees(&self) -> Result<(u128, u128), ChainError> {
        let est = self.request("eth_feeHistory", || self.provider.estimate_eip1559_fees())?;
        Ok((est.max_fee_per_gas, est.max_priority_fee_per_gas))
    }

    fn call_like<F, Fut>(&self, method: &str, f: F) -> Result<CallResult, ChainError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = TransportResult<Vec<u8>>>,
    {
        match self.retry(method, f)? {
            Ok(data) => Ok(CallResult::Success(data)),
            Err(RpcError::ErrorResp(p)) if p.message.contains("revert") || p.as_revert_data().is_some() => Ok(CallResult::Revert(
                p.as_revert_data().map(|b| b.to_vec()).unwrap_or_default(),
                p.message.to_string(),
            )),
            Err(e) => Err(ChainError::Rpc {
                url: redact(&self.opts.url),
                method: method.into(),
                attempts: 1,
                reason: describe(&e),
            }),
        }
    }

    /// `eth_call` at the latest block.
    pub fn call(&self, tx: &TransactionRequest) -> Result<CallResult, ChainError> {
        self.call_like("eth_call", || async { self.provider.call(tx.clone()).await.map(|b| b.to_vec()) })
    }

    /// `eth_estimateGas`: the estimate, or the revert.
    pub fn estimate_gas(&self, tx: &TransactionRequest) -> Result<Result<u64, CallResult>, ChainError> {
        let r = self.call_like("eth_estimateGas", || async {
            self.provider.estimate_gas(tx.clone()).await.map(|g| g.to_be_bytes().to_vec())
        })?;
        Ok(match r {
            CallResult::Success(b) => Ok(u64::from_be_bytes(b.try_into().expect("8 bytes"))),
            revert => Err(revert),
        })
    }

    /// `eth_getTransactionReceipt`.
    pub fn receipt(&self, hash: B256) -> Result<Option<TransactionReceipt>, ChainError> {
        self.request("eth_getTransactionReceipt", || {
            self.provider.get_transaction_receipt(hash).into_future()
        })
    }

    /// Whether the node knows the transaction (pending or mined).
    pub fn knows_transaction(&self, hash: B256) -> Result<bool, ChainError> {
        self.request("eth_getTransactionByHash", || async {
            self.provider
                .client()
                .request::<_, Option<serde_json::Value>>("eth_getTransactionByHash", (hash,))
                .await
        })
        .map(|t| t.is_some_and(|v| !v.is_null()))
    }

    /// `eth_sendRawTransaction` of signed bytes whose hash is `hash`. A transient failure re-sends
    /// the same bytes (the node deduplicates them); if the node then says the transaction is
    /// known or its nonce used, it is looked up by hash, so success is reported only for this
    /// transaction and nothing is sent twice.
    pub fn send_raw(&self, raw: &[u8], hash: B256, from: Address, nonce: u64, what: &str) -> Result<(), ChainError> {
        let raw = Bytes::copy_from_slice(raw);
        let result = self.retry("eth_sendRawTransaction", || async {
            self.provider
                .client()
                .request::<_, B256>("eth_sendRawTransaction", (raw.clone(),))
                .await
        })?;
        let err = match result {
            Ok(h) if h == hash => return Ok(()),
            Ok(h) => {
                return Err(ChainError::Refused {
                    what: what.into(),
                    reason: format!("the node returned hash {h}, not the signed transaction's {hash}"),
                })
            }
            Err(e) => e,
        };
        let message = match &err {
            RpcError::ErrorResp(p) => p.message.to_lowercase(),
            other => describe(other).to_lowercase(),
        };
        let known = [
            "already known",
            "alreadyknown",
            "known transaction",
            "already imported",
            "nonce too low",
        ];
        if known.iter().any(|k| message.contains(k)) && self.knows_transaction(hash)? {
            return Ok(());
        }
        let from = hex0x(from.as_slice());
        Err(if message.contains("nonce too low") {
            ChainError::Nonce(format!(
                "{what}: nonce {nonce} of {from} is already used: another transaction from this account was mined after the nonce was read. Nothing was sent; run the command again"
            ))
        } else if message.contains("replacement transaction underpriced") {
            ChainError::Nonce(format!(
                "{what}: a pending transaction from {from} already has nonce {nonce}; wait for it to be mined (or replace it) and run the command again"
            ))
        } else if message.contains("nonce too high") {
            ChainError::Nonce(format!(
                "{what}: nonce {nonce} of {from} is ahead of the chain's; an earlier transaction from this account is missing"
            ))
        } else if message.contains("insufficient funds") {
            ChainError::Refused {
                what: what.into(),
                reason: format!("account {from} cannot pay for it (insufficient funds)"),
            }
        } else {
            ChainError::Refused {
                what: what.into(),
                reason: describe(&err),
            }
        })
    }

    /// `eth_getLogs` of `address` with first topic `topic0` in blocks `from..=to`.
    pub fn logs(&self, address: Address, topic0: B256, from: u64, to: u64) -> Result<Vec<alloy::rpc::types::Log>, ChainError> {
        let filter = alloy::rpc::types::Filter::new()
            .address(address)
            .event_signature(topic0)
            .from_block(from)
            .to_block(to);
        self.request("eth_getLogs", || self.provider.get_logs(&filter).into_future())
    }

    /// The hash of block `number` (`None` if the node has no such block).
    pub fn block_hash(&self, number: u64) -> Result<Option<B256>, ChainError> {
        use alloy::network::BlockResponse;
        let block = self.request("eth_getBlockByNumber", || {
            self.provider
                .get_block_by_number(alloy::eips::BlockNumberOrTag::Number(number))
                .into_future()
        })?;
        Ok(block.map(|b| b.header().hash))
    }

    /// Sleeps between polls (not inside the runtime).
    pub fn pause(&self, d: Duration) {
        std::thread::sleep(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_other_url_schemes() {
        let e = Rpc::connect(RpcOptions::new("ws://127.0.0.1:8545")).err().expect("refused");
        assert!(e.to_string().contains("only http:// and https://"), "{e}");
        let e = Rpc::connect(RpcOptions::new("not a url")).err().expect("refused");
        assert!(e.to_string().contains("is not a URL"), "{e}");
    }

    /// A JSON-RPC server on a free port answering each request with the next scripted
    /// (HTTP status, JSON-RPC result-or-error) for its method; returns the URL and a log of the
    /// methods called.
    fn scripted(script: Vec<(&'static str, u16, serde_json::Value)>) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = log.clone();
        std::thread::spawn(move || {
            let mut script = std::collections::VecDeque::from(script);
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut writer = stream;
                loop {
                    let mut len = 0usize;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            break;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        let lower = line.to_ascii_lowercase();
                        if let Some(v) = lower.strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap_or(0);
                        }
                    }
                    if len == 0 {
                        break;
                    }
                    let mut body = vec![0u8; len];
                    reader.read_exact(&mut body).expect("body");
                    let req: serde_json::Value = serde_json::from_slice(&body).expect("json");
                    let method = req["method"].as_str().unwrap_or("").to_string();
                    let entry = match req["params"][0].as_str() {
                        Some(p) if method == "eth_sendRawTransaction" => format!("{method} {p}"),
                        _ => method.clone(),
                    };
                    seen.lock().expect("log").push(entry);
                    let pos = script.iter().position(|(m, _, _)| *m == method);
                    let (status, answer) = match pos.and_then(|i| script.remove(i)) {
                        Some((_, status, answer)) => (status, answer),
                        None => (200, serde_json::json!({"result": null})),
                    };
                    // A string is sent as the raw body (a proxy's error page).
                    let text = match answer {
                        serde_json::Value::String(raw) => raw,
                        mut resp => {
                            resp["jsonrpc"] = "2.0".into();
                            resp["id"] = req["id"].clone();
                            resp.to_string()
                        }
                    };
                    let head = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                        text.len()
                    );
                    if writer
                        .write_all(head.as_bytes())
                        .and_then(|_| writer.write_all(text.as_bytes()))
                        .is_err()
                    {
                        break;
                    }
                }
            }
        });
        (url, log)
    }

    fn fast(url: &str) -> Rpc {
        let mut opts = RpcOptions::new(url);
        opts.backoff = Duration::from_millis(10);
        Rpc::connect(opts).expect("client")
    }

    #[test]
    fn rate_limits_are_retried_then_succeed() {
        let (url, log) = scripted(vec![
            (
                "eth_chainId",
                429,
                serde_json::json!({"error": {"code": 429, "message": "slow down"}}),
            ),
            ("eth_chainId", 503, serde_json::json!("<html>503 Service Unavailable</html>")),
            ("eth_chainId", 200, serde_json::json!({"result": "0x7a69"})),
        ]);
        assert_eq!(fast(&url).chain_id().expect("third attempt"), 31337);
        assert_eq!(log.lock().expect("log").len(), 3);
    }

    #[test]
    fn nonce_refusals_are_explained_and_not_resent() {
        let hash = B256::repeat_byte(0xab);
        let from = Address::repeat_byte(0x11);
        for (message, words) in [
            ("nonce too low", "is already used"),
            ("replacement transaction underpriced", "already has nonce 7"),
            ("nonce too high", "is ahead of the chain"),
        ] {
            let (url, log) = scripted(vec![(
                "eth_sendRawTransaction",
                200,
                serde_json::json!({"error": {"code": -32000, "message": message}}),
            )]);
            let e = fast(&url)
                .send_raw(&[0x02, 0x01], hash, from, 7, "deploying X")
                .expect_err("refused");
            assert!(matches!(e, ChainError::Nonce(_)), "{e:?}");
            assert!(e.to_string().contains(words), "{e}");
            let calls = log.lock().expect("log").clone();
            assert_eq!(
                calls.iter().filter(|m| m.starts_with("eth_sendRawTransaction")).count(),
                1,
                "{calls:?}"
            );
        }
        // A node that says "already known" for a transaction it cannot find is not a success.
        let (url, _) = scripted(vec![(
            "eth_sendRawTransaction",
            200,
            serde_json::json!({"error": {"code": -32000, "message": "already known"}}),
        )]);
        let e = fast(&url).send_raw(&[0x02], hash, from, 7, "x").expect_err("refused");
        assert!(matches!(e, ChainError::Refused { .. }), "{e:?}");
    }

    #[test]
    fn a_transient_failure_resends_the_same_bytes_and_a_known_hash_is_success() {
        let hash = B256::repeat_byte(0xcd);
        let (url, log) = scripted(vec![
            ("eth_sendRawTransaction", 502, serde_json::json!("<html>502 Bad Gateway</html>")),
            (
                "eth_sendRawTransaction",
                200,
                serde_json::json!({"error": {"code": -32000, "message": "already known"}}),
            ),
            (
                "eth_getTransactionByHash",
                200,
                serde_json::json!({"result": {"hash": hash.to_string()}}),
            ),
        ]);
        fast(&url)
            .send_raw(&[0x02, 0xaa], hash, Address::ZERO, 0, "x")
            .expect("the node has it: success");
        let calls = log.lock().expect("log").clone();
        assert_eq!(
            calls,
            [
                "eth_sendRawTransaction 0x02aa",
                "eth_sendRawTransaction 0x02aa",
                "eth_getTransactionByHash"
            ]
        );
    }

    #[test]
    fn urls_with_paths_or_credentials_are_redacted() {
        assert_eq!(redact("http://127.0.0.1:8545"), "http://127.0.0.1:8545");
        assert_eq!(redact("https://mainnet.example.io/v3/SECRET"), "https://mainnet.example.io/…");
        assert_eq!(redact("https://user:pw@node.example.io"), "https://node.example.io/…");
        assert_eq!(redact("https://node.example.io/?key=SECRET"), "https://node.example.io/…");
    }

    #[test]
    fn a_closed_port_is_an_rpc_error_after_the_bounded_attempts() {
        // Bind then drop a listener: the port is closed for the duration of the test.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let mut opts = RpcOptions::new(&format!("http://127.0.0.1:{port}"));
        opts.attempts = 2;
        opts.backoff = Duration::from_millis(10);
        let rpc = Rpc::connect(opts).expect("client");
        match rpc.chain_id() {
            Err(ChainError::Rpc { attempts, reason, .. }) => {
                assert_eq!(attempts, 2);
                assert!(reason.to_lowercase().contains("connect"), "{reason}");
            }
            other => panic!("expected an RPC error, got {other:?}"),
        }
    }
}
