//! Scale-out on NATS JetStream: the watcher publishes each request to a work-queue stream
//! (`ZKINFER_JOBS`, deduplicated by request id and block hash through `Nats-Msg-Id`), any number
//! of workers pull from one durable consumer (a job not acknowledged within `ack_wait` is
//! delivered again, to whichever worker asks next), and each job's state lives in a key-value
//! bucket (`zkinfer_jobs`) that every machine reads.

use super::store::{RequestEvent, Status};
use super::OperatorError;
use async_nats::jetstream::{self, consumer, kv, stream, AckKind};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The stream of proving jobs.
pub const STREAM: &str = "ZKINFER_JOBS";
/// The key-value bucket of job states.
pub const BUCKET: &str = "zkinfer_jobs";
/// The workers' durable consumer.
pub const CONSUMER: &str = "zkinfer-workers";

/// How to reach the NATS server (or cluster).
#[derive(Clone, Debug)]
pub struct QueueOptions {
    /// Server URL(s), comma-separated (`nats://host:4222`, `tls://host:4222`).
    pub url: String,
    /// A `.creds` file (NATS decentralised auth: JWT + NKey).
    pub credentials: Option<PathBuf>,
    /// A CA certificate to trust for TLS.
    pub ca: Option<PathBuf>,
    /// How long a job may go unacknowledged before it is delivered again.
    pub ack_wait: Duration,
}

/// A job's state as every machine sees it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct JobState {
    /// Where the job is.
    pub status: Option<Status>,
    /// The worker that last held it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
    /// Deliveries so far.
    pub attempts: u32,
    /// Why it failed (or why the last attempt did).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The fulfilment transaction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tx_hash: Option<String>,
    /// Its block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tx_block: Option<u64>,
    /// Its gas.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gas_used: Option<u64>,
    /// Seconds the proof took.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prove_seconds: Option<f64>,
    /// The proven outputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Vec<String>>,
    /// Unix seconds of the change.
    pub updated_at: u64,
}

/// A connection to the queue for one oracle.
pub struct Queue {
    rt: tokio::runtime::Runtime,
    js: jetstream::Context,
    kv: kv::Store,
    subject: String,
    key_prefix: String,
    ack_wait: Duration,
    consumer: Option<consumer::PullConsumer>,
    url: String,
}

/// A job handed to this worker.
pub struct Delivery {
    msg: jetstream::Message,
    /// The request.
    pub request: RequestEvent,
    /// How many times it was delivered (1 the first time).
    pub delivered: u32,
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl Queue {
    /// Connects, creating the stream and the bucket if they do not exist.
    pub fn connect(opts: &QueueOptions, chain_id: u64, oracle: &str) -> Result<Queue, OperatorError> {
        let url = opts.url.clone();
        let err = |what: &str, e: String| OperatorError::Queue {
            url: url.clone(),
            reason: format!("{what}: {e}"),
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| err("cannot start the async runtime", e.to_string()))?;
        let oracle = oracle.trim_start_matches("0x").to_lowercase();
        let (js, kv) = rt.block_on(async {
            let mut o = async_nats::ConnectOptions::new()
                .connection_timeout(Duration::from_secs(5))
                .retry_on_initial_connect();
            if let Some(c) = &opts.credentials {
                o = o
                    .credentials_file(c)
                    .await
                    .map_err(|e| err(&format!("credentials file {}", c.display()), e.to_string()))?;
            }
            if let Some(ca) = &opts.ca {
                o = o.add_root_certificates(ca.clone()).require_tls(true);
            }
            let client = tokio::time::timeout(Duration::from_secs(15), o.connect(opts.url.as_str()))
                .await
                .map_err(|_| err("cannot connect", "no answer within 15 s".into()))?
                .map_err(|e| err("cannot connect", e.to_string()))?;
            let js = jetstream::new(client);
            js.get_or_create_stream(stream::Config {
                name: STREAM.into(),
                subjects: vec!["zkinfer.jobs.>".into()],
                retention: stream::RetentionPolicy::WorkQueue,
                duplicate_window: Duration::from_secs(24 * 3600),
                ..Default::default()
            })
            .await
            .map_err(|e| {
                err(
                    &format!("cannot create the stream {STREAM} (is JetStream enabled: nats-server -js?)"),
                    e.to_string(),
                )
            })?;
            let kv = match js.get_key_value(BUCKET).await {
                Ok(kv) => kv,
                Err(_) => js
                    .create_key_value(kv::Config {
                        bucket: BUCKET.into(),
                        history: 1,
                        ..Default::default()
                    })
                    .await
                    .map_err(|e| err(&format!("cannot create the bucket {BUCKET}"), e.to_string()))?,
            };
            Ok::<_, OperatorError>((js, kv))
        })?;
        Ok(Queue {
            rt,
            js,
            kv,
            subject: format!("zkinfer.jobs.{chain_id}.{oracle}"),
            key_prefix: format!("{chain_id}.{oracle}"),
            ack_wait: opts.ack_wait,
            consumer: None,
            url: opts.url.clone(),
        })
    }

    fn err(&self, what: &str, e: impl std::fmt::Display) -> OperatorError {
        OperatorError::Queue {
            url: self.url.clone(),
            reason: format!("{what}: {e}"),
        }
    }

    fn key(&self, request_id: &str) -> String {
        format!("{}.{request_id}", self.key_prefix)
    }

    /// Publishes a request as a job; a request already published from the same block is
    /// dropped by the stream (deduplication). Returns whether the stream took it as new.
    pub fn publish(&self, request: &RequestEvent) -> Result<bool, OperatorError> {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(
            "Nats-Msg-Id",
            format!("{}.{}.{}", self.key_prefix, request.request_id, request.block_hash).as_str(),
        );
        let payload = serde_json::to_vec(request).expect("serialisable");
        let ack = self.rt.block_on(async {
            let fut = self
                .js
                .publish_with_headers(self.subject.clone(), headers, payload.into())
                .await
                .map_err(|e| self.err("cannot publish a job", e))?;
            fut.await.map_err(|e| self.err("the stream did not confirm a job", e))
        })?;
        Ok(!ack.duplicate)
    }

    /// The next job for this worker, waiting at most `wait`.
    pub fn next(&mut self, wait: Duration) -> Result<Option<Delivery>, OperatorError> {
        if self.consumer.is_none() {
            let c = self.rt.block_on(async {
                let s = self.js.get_stream(STREAM).await.map_err(|e| self.err("no job stream", e))?;
                s.get_or_create_consumer(
                    CONSUMER,
                    consumer::pull::Config {
                        durable_name: Some(CONSUMER.into()),
                        ack_policy: consumer::AckPolicy::Explicit,
                        ack_wait: self.ack_wait,
                        filter_subject: "zkinfer.jobs.>".into(),
                        ..Default::default()
                    },
                )
                .await
                .map_err(|e| self.err("cannot create the workers' consumer", e))
            })?;
            self.consumer = Some(c);
        }
        let consumer = self.consumer.as_ref().expect("set above");
        let msg = self.rt.block_on(async {
            let mut batch = consumer
                .fetch()
                .max_messages(1)
                .expires(wait)
                .messages()
                .await
                .map_err(|e| self.err("cannot fetch a job", e))?;
            match batch.next().await {
                Some(Ok(m)) => Ok(Some(m)),
                Some(Err(e)) => Err(self.err("cannot fetch a job", e)),
                None => Ok(None),
            }
        })?;
        let Some(msg) = msg else { return Ok(None) };
        let delivered = msg.info().map(|i| i.delivered.max(1) as u32).unwrap_or(1);
        match serde_json::from_slice::<RequestEvent>(&msg.payload) {
            Ok(request) => Ok(Some(Delivery { msg, request, delivered })),
            Err(e) => {
                // not a job: acknowledged so it is not delivered forever
                let _ = self.rt.block_on(msg.ack());
                Err(self.err("a message on the job stream is not a job (acknowledged and dropped)", e))
            }
        }
    }

    /// The job is finished (whatever the outcome): it is not delivered again.
    pub fn ack(&self, d: &Delivery) -> Result<(), OperatorError> {
        self.rt
            .block_on(d.msg.double_ack())
            .map_err(|e| self.err("cannot acknowledge a job", e))
    }

    /// The job goes back to the queue, to be delivered again after `delay`.
    pub fn nak(&self, d: &Delivery, delay: Duration) -> Result<(), OperatorError> {
        self.rt
            .block_on(d.msg.ack_with(AckKind::Nak(Some(delay))))
            .map_err(|e| self.err("cannot return a job", e))
    }

    /// A request's job state.
    pub fn state(&self, request_id: &str) -> Result<Option<JobState>, OperatorError> {
        let v = self
            .rt
            .block_on(self.kv.get(self.key(request_id)))
            .map_err(|e| self.err("cannot read a job's state", e))?;
        Ok(v.and_then(|b| serde_json::from_slice(&b).ok()))
    }

    /// Records a request's job state.
    pub fn put_state(&self, request_id: &str, state: &JobState) -> Result<(), OperatorError> {
        let mut s = state.clone();
        s.updated_at = now();
        let bytes = serde_json::to_vec(&s).expect("serialisable");
        self.rt
            .block_on(self.kv.put(self.key(request_id), bytes.into()))
            .map(|_| ())
            .map_err(|e| self.err("cannot record a job's state", e))
    }
}
