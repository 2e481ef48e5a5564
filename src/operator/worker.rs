//! `zkinfer operator worker`: pulls proving jobs from the NATS JetStream queue the watcher
//! (`operator run --queue`) fills, proves each with the model's build, fulfils it from this
//! worker's own operator account, records the job's state in the queue's key-value bucket and
//! acknowledges it. A worker that dies mid-job never acknowledges it, so the stream delivers it
//! again after `ack_wait` to another worker; that worker first looks up any fulfilment the
//! first one recorded, then reads the request on chain, so a request is fulfilled once.

use super::config::Config;
use super::job::{prove_requests, sample_for, ModelBuild, ProveFailure};
use super::oracle::{Lookup, OnChain, Oracle, Sent};
use super::queue::{Delivery, JobState, Queue, QueueOptions};
use super::service::Log;
use super::store::Status;
use super::OperatorError;
use crate::chain::ChainError;
use alloy::primitives::{B256, U256};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How `operator worker` behaves.
#[derive(Clone, Debug)]
pub struct WorkerOptions {
    /// The queue.
    pub queue: QueueOptions,
    /// This worker's name (in job states and logs).
    pub name: String,
    /// Stop after this long without a job (none: run until SIGTERM).
    pub idle_exit: Option<Duration>,
    /// Log lines as JSON objects.
    pub json_logs: bool,
    /// Log only warnings and errors.
    pub quiet: bool,
    /// Fault injection for tests: wait this long after proving, before sending.
    pub hold_after_prove: Option<Duration>,
}

/// What a worker did (shown when it stops).
#[derive(Clone, Debug, Serialize)]
pub struct WorkerReport {
    /// The worker's name.
    pub worker: String,
    /// Its operator account.
    pub operator: String,
    /// Jobs taken from the queue.
    pub jobs: u64,
    /// Requests it fulfilled.
    pub fulfilled: u64,
    /// Jobs it gave up.
    pub failed: u64,
    /// Why it stopped.
    pub stopped: String,
}

struct Worker<'a> {
    cfg: &'a Config,
    opts: &'a WorkerOptions,
    oracle: Oracle,
    queue: Queue,
    builds: BTreeMap<B256, ModelBuild>,
    log: Log,
    stop: Arc<AtomicBool>,
    report: WorkerReport,
}

/// Runs a worker until SIGTERM/SIGINT (or until idle for `idle_exit`).
pub fn run(cfg: &Config, opts: &WorkerOptions) -> Result<WorkerReport, OperatorError> {
    let log = Log {
        json: opts.json_logs,
        quiet: opts.quiet,
    };
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, stop.clone()).map_err(|e| OperatorError::Http(format!("cannot handle signals: {e}")))?;
    }
    let mut builds = BTreeMap::new();
    for m in &cfg.models {
        let b = ModelBuild::load(m).map_err(|reason| OperatorError::Model {
            model: m.name.clone(),
            reason,
        })?;
        if b.batch > 1 {
            return Err(OperatorError::Model {
                model: m.name.clone(),
                reason: "is a batch build: batch builds are served by `operator run` itself, not by queue workers".into(),
            });
        }
        builds.insert(m.id, b);
    }
    let mut oracle = Oracle::new(cfg)?;
    // the chain may be down when the worker starts: wait for it
    let chain_id = loop {
        match oracle.check(cfg, &builds) {
            Ok(id) => break id,
            Err(e @ OperatorError::Chain(ChainError::Rpc { .. })) => {
                log.warn("the chain is unreachable; waiting", serde_json::json!({ "error": e.to_string() }));
                std::thread::sleep(Duration::from_secs(2));
                if stop.load(Ordering::Relaxed) {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
    };
    // the queue may not be up yet either: wait for it
    let queue = loop {
        match Queue::connect(&opts.queue, chain_id, &format!("{:#x}", cfg.oracle)) {
            Ok(q) => break q,
            Err(e) => {
                log.warn("the queue is unreachable; waiting", serde_json::json!({ "error": e.to_string() }));
                std::thread::sleep(Duration::from_secs(2));
                if stop.load(Ordering::Relaxed) {
                    return Err(e);
                }
            }
        }
    };
    let report = WorkerReport {
        worker: opts.name.clone(),
        operator: format!("{:#x}", oracle.from),
        jobs: 0,
        fulfilled: 0,
        failed: 0,
        stopped: String::new(),
    };
    let mut w = Worker {
        cfg,
        opts,
        oracle,
        queue,
        builds,
        log,
        stop: stop.clone(),
        report,
    };
    w.log.info(
        "worker started",
        serde_json::json!({ "worker": opts.name, "operator": w.report.operator, "queue": opts.queue.url, "chain_id": chain_id }),
    );
    let mut last_job = Instant::now();
    let stopped = loop {
        if stop.load(Ordering::Relaxed) {
            break "stopped by a signal".to_string();
        }
        if opts.idle_exit.is_some_and(|d| last_job.elapsed() > d) {
            break "idle: no job for a while".to_string();
        }
        let d = match w.queue.next(Duration::from_secs(1)) {
            Ok(Some(d)) => d,
            Ok(None) => continue,
            Err(e) => {
                w.log
                    .warn("cannot take a job; retrying", serde_json::json!({ "error": e.to_string() }));
                std::thread::sleep(Duration::from_secs(2));
                continue;
            }
        };
        w.report.jobs += 1;
        if let Err(e) = w.handle(&d) {
            // the node (or the queue) failed: the job goes back for a later delivery, with the
            // reason recorded (it does not count as an attempt)
            if let Ok(Some(mut st)) = w.queue.state(&d.request.request_id) {
                if st.generation == d.generation {
                    st.error = Some(e.to_string());
                    let _ = w.queue.put_state(&d.request.request_id, &st);
                }
            }
            w.log.warn(
                "job interrupted; returned to the queue",
                serde_json::json!({ "request": d.request.request_id, "error": e.to_string() }),
            );
            let _ = w.queue.nak(&d, Duration::from_secs(5));
            std::thread::sleep(Duration::from_secs(1));
        }
        last_job = Instant::now();
    };
    w.log.info("worker stopped", serde_json::json!({ "why": stopped }));
    w.report.stopped = stopped;
    Ok(w.report)
}

impl Worker<'_> {
    fn state(&self, d: &Delivery) -> Result<JobState, OperatorError> {
        Ok(self.queue.state(&d.request.request_id)?.unwrap_or_default())
    }

    /// Records a final state and acknowledges the job.
    fn settle(&mut self, d: &Delivery, status: Status, why: Option<&str>) -> Result<(), OperatorError> {
        let mut st = self.state(d)?;
        st.generation = d.generation.clone();
        st.status = Some(status);
        st.worker = Some(self.opts.name.clone());
        st.error = why.map(str::to_string);
        if status == Status::Done && st.tx_block.is_none() {
            // found fulfilled on chain, not by a transaction of this job's
            st.tx_hash = None;
            st.gas_used = None;
        }
        self.queue.put_state(&d.request.request_id, &st)?;
        self.queue.ack(d)?;
        if status == Status::Failed {
            self.report.failed += 1;
            self.log
                .warn("request failed", serde_json::json!({ "request": d.request.request_id, "why": why }));
        } else {
            self.log.info(
                "request settled",
                serde_json::json!({ "request": d.request.request_id, "status": status.name(), "why": why }),
            );
        }
        Ok(())
    }

    fn handle(&mut self, d: &Delivery) -> Result<(), OperatorError> {
        let id = d.request.request_id.clone();
        let mut st = self.state(d)?;
        if !st.generation.is_empty() && st.generation != d.generation {
            // a delivery of an earlier dispatch (the watcher dispatched the request again after
            // a reorg): the newer one is the job
            self.queue.ack(d)?;
            self.log.info(
                "dropped a job of an earlier dispatch",
                serde_json::json!({ "request": id, "generation": d.generation, "current": st.generation }),
            );
            return Ok(());
        }
        st.generation = d.generation.clone();
        // a fulfilment an earlier delivery (or dispatch) sent: its outcome decides
        if let Some(h) = st.tx_hash.as_deref().and_then(|h| h.parse::<B256>().ok()) {
            match self.oracle.lookup(h)? {
                Lookup::Mined { block, gas_used } => {
                    st.tx_block = Some(block);
                    st.gas_used = Some(gas_used);
                    st.status = Some(Status::Done);
                    self.queue.put_state(&id, &st)?;
                    self.queue.ack(d)?;
                    self.log.info(
                        "fulfilment found mined",
                        serde_json::json!({ "request": id, "tx": format!("{h:#x}") }),
                    );
                    return Ok(());
                }
                Lookup::Pending => {
                    self.log.warn(
                        "a fulfilment of this request is still pending; waiting",
                        serde_json::json!({ "request": id, "tx": format!("{h:#x}"), "since": st.updated_at }),
                    );
                    self.queue.nak(d, Duration::from_secs(5))?;
                    return Ok(());
                }
                Lookup::Gone => {
                    st.tx_hash = None;
                }
            }
        }
        let now = self.oracle.now()?;
        if let OnChain::Settled(s, why) = self.oracle.on_chain(&d.request, now)? {
            if s == Status::Reorged
                && self.oracle.rpc.block_hash(d.request.block)?.map(|h| format!("{h:#x}")) == Some(d.request.block_hash.clone())
            {
                // the request's block is still on chain: this node lags the watcher's
                self.queue.nak(d, Duration::from_secs(5))?;
                return Ok(());
            }
            return self.settle(d, s, Some(&why));
        }
        let fee: U256 = d.request.fee.parse().unwrap_or_default();
        if fee < self.cfg.min_fee_wei {
            let why = format!(
                "its fee, {fee} wei, is below this operator's min_fee_wei ({})",
                self.cfg.min_fee_wei
            );
            return self.settle(d, Status::Failed, Some(&why));
        }
        if d.request.callback_gas_limit > self.cfg.max_callback_gas {
            let why = format!(
                "its callback gas limit, {}, is above this operator's max_callback_gas ({})",
                d.request.callback_gas_limit, self.cfg.max_callback_gas
            );
            return self.settle(d, Status::Failed, Some(&why));
        }
        if st.attempts >= self.cfg.max_attempts {
            let why = format!(
                "gave up after {} attempts: {}",
                st.attempts,
                st.error.clone().unwrap_or_else(|| "a worker stopped while holding it".into())
            );
            return self.settle(d, Status::Failed, Some(&why));
        }
        let model: B256 = d.request.model_id.parse().unwrap_or_default();
        let Some(build) = self.builds.get(&model).cloned() else {
            // another worker may serve it: this one's config differs from the watcher's
            self.log.warn(
                "a job for a model this worker does not serve; returned to the queue",
                serde_json::json!({ "request": id, "model": d.request.model_id }),
            );
            self.queue.nak(d, Duration::from_secs(30))?;
            return Ok(());
        };
        let sample = match sample_for(&build, &d.request, self.cfg.data_dir.as_deref()) {
            Ok(s) => s,
            Err(why) => return self.settle(d, Status::Failed, Some(&why)),
        };
        st = JobState {
            generation: d.generation.clone(),
            status: Some(Status::Proving),
            worker: Some(self.opts.name.clone()),
            attempts: st.attempts + 1,
            ..Default::default()
        };
        self.queue.put_state(&id, &st)?;
        // progress reports keep the job with this worker while it proves and sends
        let _holding = self.queue.hold(d);
        self.log
            .info("proving", serde_json::json!({ "request": id, "delivery": d.delivered }));
        let out = self
            .cfg
            .state
            .with_extension("jobs")
            .join(&self.opts.name)
            .join(format!("request-{id}.proof.json"));
        let proved = match prove_requests(&build, &[&d.request], &[sample], &out) {
            Ok(p) => p,
            Err(f @ ProveFailure::Mismatch { .. }) => return self.settle(d, Status::Failed, Some(&f.to_string())),
            Err(ProveFailure::Other(why)) => {
                st.status = Some(Status::Queued);
                st.error = Some(why.clone());
                self.queue.put_state(&id, &st)?;
                self.log.warn(
                    "proving failed; returned to the queue",
                    serde_json::json!({ "request": id, "error": why }),
                );
                self.queue.nak(d, Duration::from_secs(1))?;
                return Ok(());
            }
        };
        st.status = Some(Status::Sending);
        st.prove_seconds = Some(proved.seconds);
        st.outputs = proved.outputs.first().cloned();
        self.queue.put_state(&id, &st)?;
        if let Some(hold) = self.opts.hold_after_prove {
            std::thread::sleep(hold);
        }
        if self.stop.load(Ordering::Relaxed) {
            // stopping: release the job to another worker rather than start a transaction
            self.queue.nak(d, Duration::ZERO)?;
            return Ok(());
        }
        let queue = &self.queue;
        let name = self.opts.name.clone();
        let recorded = st.clone();
        let sent = self.oracle.fulfil(&build, &[&d.request], &proved, &mut |h| {
            let mut s = recorded.clone();
            s.tx_hash = Some(format!("{h:#x}"));
            s.worker = Some(name.clone());
            queue.put_state(&id, &s).map_err(|e| ChainError::Usage(e.to_string()))
        })?;
        let mut st = self.state(d)?;
        match sent {
            Sent::Mined {
                tx_hash,
                block,
                gas_used,
                callbacks,
            } => {
                st.status = Some(Status::Done);
                st.tx_hash = Some(tx_hash.clone());
                st.tx_block = Some(block);
                st.gas_used = Some(gas_used);
                self.queue.put_state(&id, &st)?;
                self.queue.ack(d)?;
                self.report.fulfilled += 1;
                self.log.info(
                    "fulfilled",
                    serde_json::json!({ "request": id, "tx": tx_hash, "block": block, "gas": gas_used, "prove_s": proved.seconds, "callbacks_ok": callbacks }),
                );
            }
            Sent::Unconfirmed(e) => {
                self.log
                    .warn("fulfilment not confirmed yet", serde_json::json!({ "request": id, "error": e }));
                self.queue.nak(d, Duration::from_secs(5))?;
            }
            Sent::Refused(why) | Sent::Reverted(why) => {
                let now = self.oracle.now()?;
                match self.oracle.on_chain(&d.request, now)? {
                    OnChain::Settled(s, w) => self.settle(d, s, Some(&w))?,
                    OnChain::Open => {
                        st.status = Some(Status::Queued);
                        st.tx_hash = None;
                        st.error = Some(format!("the fulfilment was refused: {why}"));
                        self.queue.put_state(&id, &st)?;
                        self.queue.nak(d, Duration::from_secs(1))?;
                    }
                }
            }
            Sent::NotSent(e) => {
                st.error = Some(e.clone());
                self.queue.put_state(&id, &st)?;
                self.log
                    .warn("cannot send the fulfilment", serde_json::json!({ "request": id, "error": e }));
                self.queue.nak(d, Duration::from_secs(5))?;
            }
        }
        Ok(())
    }
}
