//! The operator's HTTP endpoint: `/metrics` (Prometheus / OpenMetrics text from the official
//! client), `/healthz` (200 while the chain was reached recently, else 503) and
//! `GET /jobs/{request id}` (the job as JSON, read from the state file).

use super::store::{Status, Store};
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Label of the jobs gauge.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabel {
    /// Job status.
    pub status: String,
}

/// The service's metrics.
pub struct Metrics {
    registry: Registry,
    /// Requests found on chain.
    pub requests_seen: Counter,
    /// Jobs per status.
    pub jobs: Family<StatusLabel, Gauge>,
    /// Seconds per proof.
    pub prove_seconds: Histogram,
    /// Gas used by fulfilment transactions.
    pub gas_spent: Counter,
    /// Requests fulfilled by this operator.
    pub fulfilled: Counter,
    /// Jobs given up.
    pub failed: Counter,
    /// Wallet balance (ether).
    pub wallet_balance_eth: Gauge<f64, AtomicU64>,
    /// Latest block scanned.
    pub scanned_block: Gauge,
    /// Chain head seen.
    pub head_block: Gauge,
    /// Failed RPC polls.
    pub rpc_errors: Counter,
    /// Reorgs noticed below the confirmation depth.
    pub reorgs: Counter,
    /// Unix seconds of the last poll that reached the chain.
    pub last_poll: AtomicU64,
}

impl Metrics {
    /// Registers the metrics under `zkinfer_operator_`.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("zkinfer_operator");
        let m = Metrics {
            requests_seen: Counter::default(),
            jobs: Family::default(),
            prove_seconds: Histogram::new(exponential_buckets(0.05, 2.0, 12)),
            gas_spent: Counter::default(),
            fulfilled: Counter::default(),
            failed: Counter::default(),
            wallet_balance_eth: Gauge::default(),
            scanned_block: Gauge::default(),
            head_block: Gauge::default(),
            rpc_errors: Counter::default(),
            reorgs: Counter::default(),
            last_poll: AtomicU64::new(0),
            registry: Registry::default(),
        };
        registry.register("requests_seen", "Inference requests found on chain", m.requests_seen.clone());
        registry.register("jobs", "Jobs in the state file, per status", m.jobs.clone());
        registry.register("prove_seconds", "Seconds per proof", m.prove_seconds.clone());
        registry.register(
            "gas_spent",
            "Gas used by this operator's fulfilment transactions",
            m.gas_spent.clone(),
        );
        registry.register("fulfilled", "Requests fulfilled by this operator", m.fulfilled.clone());
        registry.register("failed", "Jobs given up (reason in GET /jobs/{id})", m.failed.clone());
        registry.register(
            "wallet_balance_eth",
            "Balance of the operator's account (ether)",
            m.wallet_balance_eth.clone(),
        );
        registry.register("scanned_block", "Latest block scanned for requests", m.scanned_block.clone());
        registry.register("head_block", "Chain head at the last poll", m.head_block.clone());
        registry.register("rpc_errors", "Polls that could not reach the chain", m.rpc_errors.clone());
        registry.register("reorgs", "Reorgs deeper than the confirmation depth noticed", m.reorgs.clone());
        Metrics { registry, ..m }
    }

    /// Sets the jobs gauge from the state file's counts.
    pub fn set_counts(&self, counts: &[(Status, u64)]) {
        for (s, n) in counts {
            self.jobs.get_or_create(&StatusLabel { status: s.name().into() }).set(*n as i64);
        }
    }

    /// The metrics in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String");
        out
    }

    /// Notes a poll that reached the chain.
    pub fn polled(&self) {
        let t = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        self.last_poll.store(t, Ordering::Relaxed);
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Serves the endpoint on `listen` in a background thread; returns the bound address.
pub fn serve(listen: &str, metrics: Arc<Metrics>, state: PathBuf, stale_after: Duration) -> Result<String, String> {
    let server = tiny_http::Server::http(listen).map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = server
        .server_addr()
        .to_ip()
        .map(|a| a.to_string())
        .unwrap_or_else(|| listen.to_string());
    std::thread::Builder::new()
        .name("operator-http".into())
        .spawn(move || {
            let store = Store::open_existing(&state).ok();
            for req in server.incoming_requests() {
                let (code, ctype, body) = answer(req.method(), req.url(), &metrics, store.as_ref(), stale_after);
                let header = tiny_http::Header::from_bytes(&b"Content-Type"[..], ctype.as_bytes()).expect("valid header");
                let _ = req.respond(tiny_http::Response::from_string(body).with_status_code(code).with_header(header));
            }
        })
        .map_err(|e| format!("cannot start the HTTP thread: {e}"))?;
    Ok(addr)
}

const JSON: &str = "application/json";

fn answer(method: &tiny_http::Method, url: &str, m: &Metrics, store: Option<&Store>, stale_after: Duration) -> (u16, &'static str, String) {
    if *method != tiny_http::Method::Get {
        return (405, JSON, r#"{"error":"only GET"}"#.into());
    }
    let path = url.split('?').next().unwrap_or(url);
    match path {
        "/metrics" => {
            if let Some(s) = store {
                if let Ok(c) = s.counts() {
                    m.set_counts(&c);
                }
            }
            (200, "application/openmetrics-text; version=1.0.0; charset=utf-8", m.render())
        }
        "/healthz" => {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            let last = m.last_poll.load(Ordering::Relaxed);
            let age = now.saturating_sub(last);
            let ok = last > 0 && age <= stale_after.as_secs();
            let body = serde_json::json!({
                "ok": ok,
                "last_poll_seconds_ago": (last > 0).then_some(age),
                "scanned_block": m.scanned_block.get(),
                "head_block": m.head_block.get(),
            });
            (if ok { 200 } else { 503 }, JSON, body.to_string())
        }
        p if p.starts_with("/jobs/") => {
            let id = &p["/jobs/".len()..];
            match store.map(|s| s.job(id)) {
                Some(Ok(Some(job))) => (200, JSON, serde_json::to_string(&job).expect("serialisable")),
                Some(Ok(None)) => (
                    404,
                    JSON,
                    serde_json::json!({ "error": format!("no job for request {id}") }).to_string(),
                ),
                Some(Err(e)) => (500, JSON, serde_json::json!({ "error": e.to_string() }).to_string()),
                None => (503, JSON, r#"{"error":"the state file is not open"}"#.into()),
            }
        }
        _ => (
            404,
            JSON,
            r#"{"error":"not found: try /metrics, /healthz or /jobs/{request id}"}"#.into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::new();
        m.requests_seen.inc();
        m.prove_seconds.observe(0.3);
        m.set_counts(&[(Status::Done, 3)]);
        let text = m.render();
        assert!(text.contains("zkinfer_operator_requests_seen_total 1"), "{text}");
        assert!(text.contains("zkinfer_operator_jobs{status=\"done\"} 3"), "{text}");
        assert!(text.contains("zkinfer_operator_prove_seconds_count 1"), "{text}");
        let (code, _, body) = answer(&tiny_http::Method::Get, "/healthz", &m, None, Duration::from_secs(30));
        assert_eq!(code, 503, "never polled: {body}");
        m.polled();
        let (code, _, _) = answer(&tiny_http::Method::Get, "/healthz", &m, None, Duration::from_secs(30));
        assert_eq!(code, 200);
        let (code, _, _) = answer(&tiny_http::Method::Get, "/nope", &m, None, Duration::from_secs(30));
        assert_eq!(code, 404);
    }
}
