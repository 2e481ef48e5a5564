//! The service loop: poll the chain, scan new blocks for requests (rewinding after a reorg),
//! finish fulfilments in flight, prove and fulfil queued requests, keep the metrics; stop
//! cleanly on SIGTERM or SIGINT after the job in hand.

use super::config::Config;
use super::http::{serve, Metrics};
use super::job::{prove_requests, sample_for, ModelBuild, ProveFailure, Proved};
use super::oracle::{Lookup, OnChain, Oracle, Sent};
use super::queue::{Queue, QueueOptions};
use super::store::{Job, RequestEvent, Status, Store};
use super::OperatorError;
use crate::chain::contracts::IInferenceOracle;
use crate::chain::ChainError;
use alloy::primitives::{B256, U256};
use alloy::sol_types::SolEvent;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How `operator run` behaves.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Stop once the chain head is scanned and no job is left to do (for scripts and tests).
    pub exit_when_idle: bool,
    /// Log lines as JSON objects.
    pub json_logs: bool,
    /// Log only warnings and errors.
    pub quiet: bool,
    /// Publish jobs to this NATS JetStream queue for `operator worker`s instead of proving here.
    pub queue: Option<QueueOptions>,
}

/// What a run did (shown when it stops).
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// The state file.
    pub state: String,
    /// The HTTP endpoint's address.
    pub listen: String,
    /// The operator's account.
    pub operator: String,
    /// Requests found during the run.
    pub requests_seen: u64,
    /// Requests this run fulfilled.
    pub fulfilled: u64,
    /// Jobs this run gave up.
    pub failed: u64,
    /// Latest block scanned.
    pub scanned_block: Option<u64>,
    /// Why it stopped.
    pub stopped: String,
}

/// `operator status`: the state file's cursor, job counts and newest jobs.
#[derive(Clone, Debug, Serialize)]
pub struct StatusReport {
    /// The state file.
    pub state: String,
    /// Latest block scanned.
    pub scanned_block: Option<u64>,
    /// The chain and oracle the state belongs to.
    pub chain_id: Option<String>,
    /// The oracle.
    pub oracle: Option<String>,
    /// Jobs per status.
    pub counts: BTreeMap<String, u64>,
    /// The newest jobs.
    pub jobs: Vec<Job>,
}

/// Reads the state of the operator configured in `config` (no chain access, no key).
pub fn status(config: &Path, limit: usize) -> Result<StatusReport, OperatorError> {
    let state = Config::state_of(config)?;
    let store = Store::open_existing(&state)?;
    Ok(StatusReport {
        state: state.display().to_string(),
        scanned_block: store.cursor()?.map(|c| c.0),
        chain_id: store.meta("chain_id")?,
        oracle: store.meta("oracle")?,
        counts: store.counts()?.into_iter().map(|(s, n)| (s.name().to_string(), n)).collect(),
        jobs: store.recent(limit)?,
    })
}

/// Structured log lines on stderr.
pub(super) struct Log {
    pub(super) json: bool,
    pub(super) quiet: bool,
}

impl Log {
    fn line(&self, level: &str, msg: &str, fields: serde_json::Value) {
        if self.quiet && level == "info" {
            return;
        }
        let ts = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
        if self.json {
            let mut obj = serde_json::json!({ "ts": ts, "level": level, "msg": msg });
            if let (Some(o), serde_json::Value::Object(f)) = (obj.as_object_mut(), fields) {
                o.extend(f);
            }
            eprintln!("{obj}");
        } else {
            let extra = match fields {
                serde_json::Value::Object(f) if !f.is_empty() => format!(
                    " {}",
                    f.iter()
                        .map(|(k, v)| format!("{k}={}", v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                _ => String::new(),
            };
            eprintln!("{level:>5} {msg}{extra}");
        }
    }
    pub(super) fn info(&self, msg: &str, fields: serde_json::Value) {
        self.line("info", msg, fields)
    }
    pub(super) fn warn(&self, msg: &str, fields: serde_json::Value) {
        self.line("warn", msg, fields)
    }
}

struct Service<'a> {
    cfg: &'a Config,
    oracle: Oracle,
    queue: Option<Queue>,
    store: Store,
    builds: BTreeMap<B256, ModelBuild>,
    metrics: Arc<Metrics>,
    stop: Arc<AtomicBool>,
    log: Log,
    jobs_dir: PathBuf,
    low_balance_warned: Option<Instant>,
    seen: u64,
    fulfilled: u64,
    failed: u64,
}

/// Whether a chain error is the node being unreachable (wait and retry) rather than a verdict.
fn unreachable(e: &OperatorError) -> bool {
    matches!(e, OperatorError::Chain(ChainError::Rpc { .. }))
}

/// Runs the service until SIGTERM/SIGINT (or, with `exit_when_idle`, until nothing is left).
pub fn run(cfg: &Config, opts: &RunOptions) -> Result<RunReport, OperatorError> {
    let log = Log {
        json: opts.json_logs,
        quiet: opts.quiet,
    };
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, stop.clone()).map_err(|e| OperatorError::Http(format!("cannot handle signals: {e}")))?;
    }
    let oracle = Oracle::new(cfg)?;
    let mut builds = BTreeMap::new();
    for m in &cfg.models {
        let b = ModelBuild::load(m).map_err(|reason| OperatorError::Model {
            model: m.name.clone(),
            reason,
        })?;
        builds.insert(m.id, b);
    }
    let store = Store::open(&cfg.state)?;
    let jobs_dir = cfg.state.with_extension("jobs");
    let metrics = Arc::new(Metrics::new());
    let mut s = Service {
        cfg,
        oracle,
        queue: None,
        store,
        builds,
        metrics: metrics.clone(),
        stop: stop.clone(),
        log,
        jobs_dir,
        low_balance_warned: None,
        seen: 0,
        fulfilled: 0,
        failed: 0,
    };
    // the chain may be down when the service starts: wait for it
    loop {
        match s.connect() {
            Ok(()) => break,
            Err(e) if unreachable(&e) => {
                s.metrics.rpc_errors.inc();
                s.log
                    .warn("the chain is unreachable; waiting", serde_json::json!({ "error": e.to_string() }));
                if s.sleep(Duration::from_secs(2)) {
                    return Ok(s.report("stopped by a signal while waiting for the chain".into(), String::new()));
                }
            }
            Err(e) => return Err(e),
        }
    }
    if let Some(q) = &opts.queue {
        if s.builds.values().any(|b| b.batch > 1) {
            return Err(OperatorError::Http(
                "batch builds are served by `operator run` itself; --queue dispatches single-inference builds only".into(),
            ));
        }
        // the queue may not be up yet either: wait for it as for the chain
        loop {
            match Queue::connect(q, s.oracle.chain_id, &format!("{:#x}", cfg.oracle)) {
                Ok(queue) => {
                    s.queue = Some(queue);
                    break;
                }
                Err(e) => {
                    s.log
                        .warn("the queue is unreachable; waiting", serde_json::json!({ "error": e.to_string() }));
                    if s.sleep(Duration::from_secs(2)) {
                        return Ok(s.report("stopped by a signal while waiting for the queue".into(), String::new()));
                    }
                }
            }
        }
    }
    if opts.queue.is_none() {
        let n = s.store.undispatch()?;
        if n > 0 {
            s.log.info(
                "jobs a queue-mode run dispatched are proved here now",
                serde_json::json!({ "jobs": n }),
            );
        }
    }
    let requeued = s.store.requeue_interrupted()?;
    if requeued > 0 {
        s.log
            .info("requeued jobs a stopped run left proving", serde_json::json!({ "jobs": requeued }));
    }
    let stale = cfg.poll_interval * 3 + Duration::from_secs(30);
    let listen = serve(&cfg.listen, metrics, cfg.state.clone(), stale).map_err(OperatorError::Http)?;
    s.log.info(
        "operator started",
        serde_json::json!({ "operator": format!("{:#x}", s.oracle.from), "oracle": format!("{:#x}", cfg.oracle), "chain_id": s.oracle.chain_id, "queue": opts.queue.as_ref().map(|q| q.url.clone()), "listen": listen, "state": cfg.state.display().to_string() }),
    );
    let mut backoff = Duration::from_secs(1);
    let stopped = loop {
        if stop.load(Ordering::Relaxed) {
            break "stopped by a signal".to_string();
        }
        match s.tick() {
            Ok((busy, idle)) => {
                backoff = Duration::from_secs(1);
                if opts.exit_when_idle && idle {
                    break "idle: the head is scanned and no job is left".to_string();
                }
                if !busy && s.sleep(cfg.poll_interval) {
                    break "stopped by a signal".to_string();
                }
            }
            // the chain (or the node, or the queue) failing is never fatal: the service waits
            // and resumes
            Err(e @ (OperatorError::Chain(_) | OperatorError::Queue { .. })) => {
                s.metrics.rpc_errors.inc();
                s.log.warn(
                    "the chain or the queue is unreachable; retrying",
                    serde_json::json!({ "error": e.to_string(), "retry_in_s": backoff.as_secs() }),
                );
                if s.sleep(backoff) {
                    break "stopped by a signal".to_string();
                }
                backoff = (backoff * 2).min(Duration::from_secs(30));
            }
            Err(e) => return Err(e),
        }
    };
    s.log.info("operator stopped", serde_json::json!({ "why": stopped }));
    Ok(s.report(stopped, listen))
}

impl Service<'_> {
    fn report(&self, stopped: String, listen: String) -> RunReport {
        RunReport {
            state: self.cfg.state.display().to_string(),
            listen,
            operator: format!("{:#x}", self.oracle.from),
            requests_seen: self.seen,
            fulfilled: self.fulfilled,
            failed: self.failed,
            scanned_block: self.store.cursor().ok().flatten().map(|c| c.0),
            stopped,
        }
    }

    /// Sleeps `d` unless a signal arrives first; true if it did.
    fn sleep(&self, d: Duration) -> bool {
        let end = Instant::now() + d;
        while Instant::now() < end {
            if self.stop.load(Ordering::Relaxed) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50).min(end - Instant::now()));
        }
        self.stop.load(Ordering::Relaxed)
    }

    /// Checks the chain, the oracle, the operator's role and each model's registration.
    fn connect(&mut self) -> Result<(), OperatorError> {
        let chain_id = self.oracle.check(self.cfg, &self.builds)?;
        let oracle = format!("{:#x}", self.cfg.oracle);
        for (key, value) in [("chain_id", chain_id.to_string()), ("oracle", oracle.clone())] {
            match self.store.meta(key)? {
                Some(v) if v != value => {
                    return Err(OperatorError::State {
                        path: self.cfg.state.display().to_string(),
                        reason: format!(
                            "belongs to {key} {v}, but the config now names {value}; use another state file for another oracle"
                        ),
                    })
                }
                Some(_) => {}
                None => self.store.set_meta(key, &value)?,
            }
        }
        Ok(())
    }

    /// One round; returns (did work, idle).
    fn tick(&mut self) -> Result<(bool, bool), OperatorError> {
        let head = self.oracle.rpc.block_number()?;
        self.metrics.head_block.set(head as i64);
        let safe = (head + 1).checked_sub(self.cfg.confirmations);
        if let Some(safe) = safe {
            self.scan(safe)?;
        }
        self.metrics.polled();
        self.check_balance();
        let busy = self.work()?;
        self.metrics.set_counts(&self.store.counts()?);
        let pending = self
            .store
            .counts()?
            .iter()
            .any(|(s, n)| *n > 0 && matches!(s, Status::Queued | Status::Dispatched | Status::Proving | Status::Sending));
        let scanned = self.store.cursor()?.map(|c| c.0);
        let caught_up = match safe {
            Some(s) => scanned.is_some_and(|c| c >= s),
            None => true,
        };
        Ok((busy, caught_up && !pending && !busy))
    }

    fn check_balance(&mut self) {
        let Some(eth) = self.oracle.balance_eth() else { return };
        self.metrics.wallet_balance_eth.set(eth);
        if eth < self.cfg.low_balance_eth && self.low_balance_warned.is_none_or(|t| t.elapsed() > Duration::from_secs(600)) {
            self.log.warn(
                "the operator's balance is low",
                serde_json::json!({ "balance_eth": eth, "threshold_eth": self.cfg.low_balance_eth, "account": format!("{:#x}", self.oracle.from) }),
            );
            self.low_balance_warned = Some(Instant::now());
        }
    }

    /// Scans blocks up to `safe` for requests, first rewinding past a reorg.
    fn scan(&mut self, safe: u64) -> Result<(), OperatorError> {
        if let Some((n, h)) = self.store.cursor()? {
            let on_chain = self.oracle.rpc.block_hash(n)?.map(|x| format!("{x:#x}"));
            if on_chain.as_deref() != Some(h.as_str()) {
                let mut fork = None;
                for (m, hm) in self.store.scanned()? {
                    if self.oracle.rpc.block_hash(m)?.map(|x| format!("{x:#x}")).as_deref() == Some(hm.as_str()) {
                        fork = Some(m);
                        break;
                    }
                }
                let fork = fork.unwrap_or(self.cfg.start_block.saturating_sub(1));
                let reopened = self.store.rewind(fork)?;
                self.metrics.reorgs.inc();
                self.log.warn(
                    "reorg: block hashes changed; rescanning",
                    serde_json::json!({ "from_block": fork + 1, "scanned_block": n, "jobs_reopened": reopened }),
                );
            }
        }
        let mut from = match self.store.cursor()? {
            Some((n, _)) => n + 1,
            None => self.cfg.start_block,
        };
        while from <= safe {
            let to = safe.min(from + self.cfg.max_log_range - 1);
            let before = self.oracle.rpc.block_hash(to)?;
            let logs = self
                .oracle
                .rpc
                .logs(self.cfg.oracle, IInferenceOracle::InferenceRequested::SIGNATURE_HASH, from, to)?;
            let after = self.oracle.rpc.block_hash(to)?;
            let Some(hash) = after.filter(|a| Some(*a) == before) else {
                // the range changed under the scan: take it again next round
                return Ok(());
            };
            let mut found = Vec::new();
            for l in &logs {
                let Ok(e) = IInferenceOracle::InferenceRequested::decode_log(&l.inner) else {
                    self.log.warn(
                        "a log with the InferenceRequested topic does not decode; skipped",
                        serde_json::json!({ "block": l.block_number, "tx": l.transaction_hash.map(|h| format!("{h:#x}")) }),
                    );
                    continue;
                };
                found.push(RequestEvent {
                    request_id: e.requestId.to_string(),
                    model_id: format!("{:#x}", e.modelId),
                    input_key: format!("{:#x}", e.inputKey),
                    public_inputs: e.publicInputs.iter().map(|v| format!("{v:#x}")).collect(),
                    data_uri: e.dataUri.clone(),
                    fee: e.fee.to_string(),
                    deadline: e.deadline,
                    callback_gas_limit: e.callbackGasLimit,
                    requester: format!("{:#x}", e.requester),
                    block: l.block_number.unwrap_or(to),
                    block_hash: l.block_hash.map(|h| format!("{h:#x}")).unwrap_or_default(),
                });
            }
            let fresh = self.store.record_scan(&found, to, &format!("{hash:#x}"))?;
            for id in &fresh {
                self.seen += 1;
                self.metrics.requests_seen.inc();
                self.log.info("request found", serde_json::json!({ "request": id }));
            }
            self.metrics.scanned_block.set(to as i64);
            from = to + 1;
        }
        Ok(())
    }

    fn settle(&mut self, job: &Job, status: Status, why: &str) -> Result<(), OperatorError> {
        let id = &job.request.request_id;
        match status {
            Status::Done => self.store.done(id, None, Some(why))?,
            Status::Failed => {
                self.failed += 1;
                self.metrics.failed.inc();
                self.store.set_status(id, status, Some(why))?;
            }
            _ => self.store.set_status(id, status, Some(why))?,
        }
        let f = serde_json::json!({ "request": id, "status": status.name(), "why": why });
        if status == Status::Failed {
            self.log.warn("request failed", f);
        } else {
            self.log.info("request settled", f);
        }
        Ok(())
    }

    /// Finishes fulfilments in flight, then proves and fulfils queued requests.
    fn work(&mut self) -> Result<bool, OperatorError> {
        if let Some(q) = self.queue.take() {
            let r = self.dispatch(&q);
            self.queue = Some(q);
            return r;
        }
        let mut busy = false;
        // fulfilments a stopped run (or a lost receipt) left behind, grouped by proof
        let mut sending: BTreeMap<String, Vec<Job>> = BTreeMap::new();
        for j in self.store.jobs_with(Status::Sending)? {
            sending.entry(j.proof.clone().unwrap_or_default()).or_default().push(j);
        }
        for (_, jobs) in sending {
            busy |= self.finish(jobs)?;
        }
        let mut queued: BTreeMap<String, Vec<Job>> = BTreeMap::new();
        for j in self.store.jobs_with(Status::Queued)? {
            queued.entry(j.request.model_id.clone()).or_default().push(j);
        }
        for (model, jobs) in queued {
            let id: B256 = model.parse().unwrap_or_default();
            let Some(build) = self.builds.get(&id).cloned() else {
                let served: Vec<&str> = self.cfg.models.iter().map(|m| m.name.as_str()).collect();
                for j in &jobs {
                    self.settle(
                        j,
                        Status::Failed,
                        &format!("model {model} is not served by this operator (it serves {})", served.join(", ")),
                    )?;
                }
                busy = true;
                continue;
            };
            let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            // fresh requests are batched; one whose attempt failed is served alone from then on,
            // so a request that cannot be proved does not keep failing the others of its batch
            let (fresh, retried): (Vec<Job>, Vec<Job>) = jobs.into_iter().partition(|j| j.attempts == 0);
            let mut groups: Vec<(Vec<Job>, bool)> = fresh.chunks(build.batch).map(|c| (c.to_vec(), true)).collect();
            groups.extend(retried.into_iter().map(|j| (vec![j], false)));
            for (group, fill) in groups {
                if self.stop.load(Ordering::Relaxed) {
                    return Ok(busy);
                }
                let oldest = group.iter().map(|j| j.created_at).min().unwrap_or(now);
                if fill && group.len() < build.batch && now < oldest + self.cfg.batch_flush.as_secs() {
                    continue; // wait for more requests to fill the batch
                }
                self.serve(&build, &group)?;
                busy = true;
            }
        }
        Ok(busy)
    }

    /// Queue mode: publishes queued requests as jobs, and takes the final states the workers
    /// record into the state file.
    fn dispatch(&mut self, q: &Queue) -> Result<bool, OperatorError> {
        let mut busy = false;
        // fulfilments a run without the queue left in flight are finished here
        for j in self.store.jobs_with(Status::Sending)? {
            busy |= self.finish(vec![j])?;
        }
        for j in self.store.jobs_with(Status::Queued)? {
            let id: B256 = j.request.model_id.parse().unwrap_or_default();
            if !self.builds.contains_key(&id) {
                let served: Vec<&str> = self.cfg.models.iter().map(|m| m.name.as_str()).collect();
                let why = format!(
                    "model {} is not served by this operator (it serves {})",
                    j.request.model_id,
                    served.join(", ")
                );
                self.settle(&j, Status::Failed, &why)?;
                continue;
            }
            // a new dispatch (the first, or after a reorg reopened the job) gets a new generation,
            // so the stream does not drop it as a duplicate and workers drop older deliveries;
            // a fulfilment sent for an earlier dispatch stays recorded (it is looked up first)
            let dispatches = j.dispatches + 1;
            let generation = format!("{}.{dispatches}", j.request.block_hash);
            let prev = q.state(&j.request.request_id)?.unwrap_or_default();
            if prev.generation != generation {
                q.put_state(
                    &j.request.request_id,
                    &super::queue::JobState {
                        generation: generation.clone(),
                        status: Some(Status::Dispatched),
                        tx_hash: prev.tx_hash.or(j.tx_hash.clone()),
                        ..Default::default()
                    },
                )?;
            }
            let fresh = q.publish(&j.request, &generation)?;
            self.store.dispatched(&j.request.request_id, dispatches)?;
            self.log.info(
                "dispatched",
                serde_json::json!({ "request": j.request.request_id, "generation": generation, "duplicate": !fresh }),
            );
            busy = true;
        }
        for j in self.store.jobs_with(Status::Dispatched)? {
            let Some(st) = q.state(&j.request.request_id)? else { continue };
            let Some(status) = st.status.filter(|s| s.is_final()) else {
                continue;
            };
            self.store.apply_state(&j.request.request_id, &st)?;
            match status {
                Status::Done if st.tx_hash.is_some() => {
                    self.fulfilled += 1;
                    self.metrics.fulfilled.inc();
                    self.metrics.gas_spent.inc_by(st.gas_used.unwrap_or(0));
                }
                Status::Failed => {
                    self.failed += 1;
                    self.metrics.failed.inc();
                }
                _ => {}
            }
            if let Some(p) = st.prove_seconds {
                self.metrics.prove_seconds.observe(p);
            }
            self.log.info(
                "settled by a worker",
                serde_json::json!({ "request": j.request.request_id, "status": status.name(), "worker": st.worker, "tx": st.tx_hash, "why": st.error }),
            );
            busy = true;
        }
        Ok(busy)
    }

    /// Proves and fulfils a group of queued requests (one, or up to a batch).
    fn serve(&mut self, build: &ModelBuild, group: &[Job]) -> Result<(), OperatorError> {
        let now = self.oracle.now()?;
        let mut live = Vec::new();
        let mut samples = Vec::new();
        for j in group {
            // a fulfilment sent before (then reorganised away, or refused) may still be mined
            if let Some(h) = j.tx_hash.as_deref().and_then(|h| h.parse::<B256>().ok()) {
                match self.oracle.lookup(h)? {
                    Lookup::Pending => continue,
                    Lookup::Mined { .. } | Lookup::Gone => {}
                }
            }
            match self.oracle.on_chain(&j.request, now)? {
                OnChain::Settled(s, why) => {
                    self.settle(j, s, &why)?;
                    continue;
                }
                OnChain::Open => {}
            }
            if j.attempts >= self.cfg.max_attempts {
                let why = format!(
                    "gave up after {} attempts: {}",
                    j.attempts,
                    j.error.clone().unwrap_or_else(|| "no reason recorded".into())
                );
                self.settle(j, Status::Failed, &why)?;
                continue;
            }
            // requests this operator does not take on (its prices): failed with the reason
            let fee: U256 = j.request.fee.parse().unwrap_or_default();
            if fee < self.cfg.min_fee_wei {
                let why = format!(
                    "its fee, {fee} wei, is below this operator's min_fee_wei ({})",
                    self.cfg.min_fee_wei
                );
                self.settle(j, Status::Failed, &why)?;
                continue;
            }
            if j.request.callback_gas_limit > self.cfg.max_callback_gas {
                let why = format!(
                    "its callback gas limit, {}, is above this operator's max_callback_gas ({})",
                    j.request.callback_gas_limit, self.cfg.max_callback_gas
                );
                self.settle(j, Status::Failed, &why)?;
                continue;
            }
            match sample_for(build, &j.request, self.cfg.data_dir.as_deref()) {
                Ok(s) => {
                    live.push(j.clone());
                    samples.push(s);
                }
                Err(why) => self.settle(j, Status::Failed, &why)?,
            }
        }
        if live.is_empty() {
            return Ok(());
        }
        for j in &live {
            self.store.start_attempt(&j.request.request_id, "local")?;
        }
        let ids: Vec<&str> = live.iter().map(|j| j.request.request_id.as_str()).collect();
        let out = self.jobs_dir.join(format!("request-{}.proof.json", ids.join("-")));
        self.log
            .info("proving", serde_json::json!({ "requests": ids, "model": build.config.name }));
        let requests: Vec<&RequestEvent> = live.iter().map(|j| &j.request).collect();
        match prove_requests(build, &requests, &samples, &out) {
            Ok(p) => {
                self.metrics.prove_seconds.observe(p.seconds);
                for (j, outputs) in live.iter().zip(&p.outputs) {
                    self.store
                        .proved(&j.request.request_id, &out.display().to_string(), outputs, p.seconds)?;
                }
                let jobs: Vec<Job> = live
                    .iter()
                    .filter_map(|j| self.store.job(&j.request.request_id).ok().flatten())
                    .collect();
                self.fulfil(build, &jobs, &p)
            }
            Err(failure) => {
                let why = failure.to_string();
                for j in &live {
                    let j = self.store.job(&j.request.request_id)?.unwrap_or_else(|| j.clone());
                    // a request whose data does not match its commitment fails at once; the
                    // others of its batch are proved again (alone, see `work`)
                    if matches!(&failure, ProveFailure::Mismatch { request, .. } if *request == j.request.request_id) {
                        self.settle(&j, Status::Failed, &why)?;
                    } else if j.attempts >= self.cfg.max_attempts {
                        self.settle(&j, Status::Failed, &format!("gave up after {} attempts: {why}", j.attempts))?;
                    } else {
                        self.store.set_status(&j.request.request_id, Status::Queued, Some(&why))?;
                        self.log.warn(
                            "proving failed; will retry",
                            serde_json::json!({ "request": j.request.request_id, "error": why }),
                        );
                    }
                }
                Ok(())
            }
        }
    }

    /// A job in `sending`: the transaction a previous round sent is looked up; if it is mined
    /// the job is done, if it is pending it is left alone, else the request is checked on
    /// chain and the stored proof sent again.
    fn finish(&mut self, jobs: Vec<Job>) -> Result<bool, OperatorError> {
        let first = &jobs[0];
        if let Some(h) = first.tx_hash.as_deref().and_then(|h| h.parse::<B256>().ok()) {
            match self.oracle.lookup(h)? {
                Lookup::Mined { block, gas_used } => {
                    for j in &jobs {
                        self.store.done(
                            &j.request.request_id,
                            Some((&format!("{h:#x}"), block, gas_used / jobs.len() as u64)),
                            None,
                        )?;
                        self.fulfilled += 1;
                        self.metrics.fulfilled.inc();
                    }
                    self.metrics.gas_spent.inc_by(gas_used);
                    self.log.info(
                        "fulfilment found mined",
                        serde_json::json!({ "tx": format!("{h:#x}"), "block": block }),
                    );
                    return Ok(true);
                }
                Lookup::Pending => return Ok(false),
                Lookup::Gone => {}
            }
        }
        let now = self.oracle.now()?;
        let mut open = Vec::new();
        for j in &jobs {
            match self.oracle.on_chain(&j.request, now)? {
                OnChain::Settled(s, why) => self.settle(j, s, &why)?,
                OnChain::Open => open.push(j.clone()),
            }
        }
        if open.is_empty() {
            return Ok(true);
        }
        let build = self
            .builds
            .get(&open[0].request.model_id.parse::<B256>().unwrap_or_default())
            .cloned();
        let proof_path = PathBuf::from(open[0].proof.clone().unwrap_or_default());
        let proved = crate::proof::ProofFile::read(&proof_path).ok().and_then(|f| {
            let proof = f.proof_bytes(&proof_path).ok()?;
            let instances = f
                .instance_values(&proof_path)
                .ok()?
                .iter()
                .map(|v| U256::from_be_bytes(crate::proof::transcript::scalar_bytes(v)))
                .collect();
            Some(Proved {
                path: proof_path.clone(),
                proof,
                instances,
                outputs: Vec::new(),
                seconds: 0.0,
            })
        });
        match (build, proved) {
            // a batch proof is only usable with all of its members still open (and all present)
            (Some(b), Some(p)) if open.len() == jobs.len() && (b.batch == 1 || p.instances.first() == Some(&U256::from(jobs.len()))) => {
                self.fulfil(&b, &open, &p)?;
            }
            _ => {
                for j in &open {
                    self.store.set_status(
                        &j.request.request_id,
                        Status::Queued,
                        Some("proving again: the stored proof cannot be sent"),
                    )?;
                }
            }
        }
        Ok(true)
    }

    /// Sends the fulfilment of `jobs` with proof `p` and records the outcome.
    fn fulfil(&mut self, build: &ModelBuild, jobs: &[Job], p: &Proved) -> Result<(), OperatorError> {
        let names: Vec<&str> = jobs.iter().map(|j| j.request.request_id.as_str()).collect();
        let reqs: Vec<&RequestEvent> = jobs.iter().map(|j| &j.request).collect();
        let store = &self.store;
        let sent = self.oracle.fulfil(build, &reqs, p, &mut |h| {
            for j in jobs {
                store
                    .sending(&j.request.request_id, &format!("{h:#x}"))
                    .map_err(|e| ChainError::Usage(e.to_string()))?;
            }
            Ok(())
        })?;
        match sent {
            Sent::Mined {
                tx_hash,
                block,
                gas_used,
                callbacks,
            } => {
                for j in jobs {
                    self.store
                        .done(&j.request.request_id, Some((&tx_hash, block, gas_used / jobs.len() as u64)), None)?;
                    self.fulfilled += 1;
                    self.metrics.fulfilled.inc();
                }
                self.metrics.gas_spent.inc_by(gas_used);
                self.log.info(
                    "fulfilled",
                    serde_json::json!({ "requests": names, "tx": tx_hash, "block": block, "gas": gas_used, "prove_s": p.seconds, "callbacks_ok": callbacks }),
                );
            }
            // the transaction may be out there: the next round looks it up by its hash
            Sent::Unconfirmed(e) => {
                self.log
                    .warn("fulfilment not confirmed yet", serde_json::json!({ "requests": names, "error": e }));
            }
            // the chain decides: a request settled meanwhile is recorded as such; an open one is
            // proved again (an attempt), and fails after max_attempts
            Sent::Refused(why) | Sent::Reverted(why) => {
                let now = self.oracle.now()?;
                for j in jobs {
                    match self.oracle.on_chain(&j.request, now)? {
                        OnChain::Settled(s, why) => self.settle(j, s, &why)?,
                        OnChain::Open => self.store.set_status(
                            &j.request.request_id,
                            Status::Queued,
                            Some(&format!("the fulfilment was refused: {why}")),
                        )?,
                    }
                }
            }
            // e.g. the account cannot pay: the job stays in `sending` and is tried each round
            Sent::NotSent(e) => {
                self.log.warn(
                    "cannot send the fulfilment yet",
                    serde_json::json!({ "requests": names, "error": e }),
                );
            }
        }
        Ok(())
    }
}

/// The jobs folder of a state file (proofs and their inputs).
pub fn jobs_dir(state: &Path) -> PathBuf {
    state.with_extension("jobs")
}
