//! `zkinfer operator run --config FILE`, `zkinfer operator status --config FILE`

use super::report::{Render, Reporter};
use crate::operator::worker::{run as run_worker, WorkerOptions, WorkerReport};
use crate::operator::{run as run_service, status, Config, RunOptions, RunReport, StatusReport};
use std::path::PathBuf;

/// Arguments of `operator`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: OperatorCommand,
}

/// `operator` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum OperatorCommand {
    /// Watch the oracle for requests, prove and fulfil them, until SIGTERM (logs on stderr,
    /// JSON lines with --json; /metrics, /healthz and /jobs/{id} on the config's `listen`).
    Run {
        /// The operator's config file (TOML; see README "Oracle operators").
        #[arg(long)]
        config: PathBuf,
        /// Stop once the chain head is scanned and no job is left (scripts, cron, tests).
        #[arg(long)]
        exit_when_idle: bool,
        /// Scale out: publish jobs to this NATS JetStream server (`nats://HOST:PORT`) for
        /// `operator worker`s instead of proving here (default: the config's `queue`).
        #[arg(long)]
        queue: Option<String>,
    },
    /// Pull proving jobs from the NATS JetStream queue, prove, fulfil from this worker's
    /// operator account (the config's key), until SIGTERM.
    Worker {
        /// The operator's config file (models, chain, oracle, key).
        #[arg(long)]
        config: PathBuf,
        /// The NATS server (default: the config's `queue`).
        #[arg(long)]
        queue: Option<String>,
        /// This worker's name in job states and logs (default: host name and process id).
        #[arg(long)]
        name: Option<String>,
        /// Stop after this many seconds without a job.
        #[arg(long, value_name = "SECONDS")]
        exit_when_idle: Option<u64>,
        /// Fault injection for tests: wait this long after proving, before sending.
        #[arg(long, hide = true, value_name = "MS")]
        hold_after_prove_ms: Option<u64>,
    },
    /// Show the state file's cursor, job counts and newest jobs (no chain access, no key).
    Status {
        /// The operator's config file.
        #[arg(long)]
        config: PathBuf,
        /// Newest jobs to list.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

/// Runs `operator`.
pub fn run(a: Args, r: &Reporter) -> anyhow::Result<()> {
    match a.command {
        OperatorCommand::Run {
            config,
            exit_when_idle,
            queue,
        } => {
            let cfg = Config::read(&config)?;
            let report = run_service(
                &cfg,
                &RunOptions {
                    exit_when_idle,
                    json_logs: r.is_json(),
                    quiet: r.is_quiet(),
                    queue: cfg.queue_options(queue.as_deref()),
                },
            )?;
            r.emit(&report);
        }
        OperatorCommand::Worker {
            config,
            queue,
            name,
            exit_when_idle,
            hold_after_prove_ms,
        } => {
            let cfg = Config::read(&config)?;
            let queue = cfg.queue_options(queue.as_deref()).ok_or_else(|| {
                anyhow::anyhow!(
                    "a worker needs a queue: --queue nats://HOST:PORT, or `queue` in {}",
                    config.display()
                )
            })?;
            let name = name.unwrap_or_else(|| {
                let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
                format!("{}-{}", host.trim(), std::process::id())
            });
            let report = run_worker(
                &cfg,
                &WorkerOptions {
                    queue,
                    name,
                    idle_exit: exit_when_idle.map(std::time::Duration::from_secs),
                    json_logs: r.is_json(),
                    quiet: r.is_quiet(),
                    hold_after_prove: hold_after_prove_ms.map(std::time::Duration::from_millis),
                },
            )?;
            r.emit(&report);
        }
        OperatorCommand::Status { config, limit } => r.emit(&status(&config, limit)?),
    }
    Ok(())
}

impl Render for RunReport {
    fn title(&self) -> String {
        format!("operator {} stopped: {}", self.operator, self.stopped)
    }
    fn rows(&self) -> Vec<(String, String)> {
        vec![
            ("requests seen".into(), self.requests_seen.to_string()),
            ("fulfilled".into(), self.fulfilled.to_string()),
            ("failed".into(), self.failed.to_string()),
            (
                "scanned to block".into(),
                self.scanned_block.map(|b| b.to_string()).unwrap_or_else(|| "-".into()),
            ),
            ("state".into(), self.state.clone()),
        ]
    }
}

impl Render for WorkerReport {
    fn title(&self) -> String {
        format!("worker {} ({}) stopped: {}", self.worker, self.operator, self.stopped)
    }
    fn rows(&self) -> Vec<(String, String)> {
        vec![
            ("jobs taken".into(), self.jobs.to_string()),
            ("fulfilled".into(), self.fulfilled.to_string()),
            ("failed".into(), self.failed.to_string()),
        ]
    }
}

impl Render for StatusReport {
    fn title(&self) -> String {
        format!("operator state {}", self.state)
    }
    fn rows(&self) -> Vec<(String, String)> {
        let mut rows = vec![
            (
                "oracle".into(),
                format!(
                    "{} on chain {}",
                    self.oracle.as_deref().unwrap_or("-"),
                    self.chain_id.as_deref().unwrap_or("-")
                ),
            ),
            (
                "scanned to block".into(),
                self.scanned_block.map(|b| b.to_string()).unwrap_or_else(|| "-".into()),
            ),
            (
                "jobs".into(),
                self.counts
                    .iter()
                    .filter(|(_, n)| **n > 0)
                    .map(|(s, n)| format!("{n} {s}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ];
        for j in &self.jobs {
            let mut v = j.status.name().to_string();
            if let Some(t) = &j.tx_hash {
                v.push_str(&format!(" tx {t}"));
            }
            if let Some(e) = &j.error {
                v.push_str(&format!(": {e}"));
            }
            rows.push((format!("request {}", j.request.request_id), v));
        }
        rows
    }
}
