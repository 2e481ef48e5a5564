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
/// The workers' durable consumer of one oracle is `zkinfer-workers-<chain id>-<oracle>`.
pub const CONSUMER_PREFIX: &str = "zkinfer-workers";

/// How to reach the NATS server (or cluster).
#[derive(Clone, Debug)]
pub struct QueueOptions {
    /// Server URL(s), comma-separated (`nats://host:4222`, `tls://host:4222`).
    pub url: String,
    /// A `.creds` file (NATS decentralised auth: JWT + NKey).
    pub credentials: Option<PathBuf>,
    /// A CA certificate to trust for TLS.
    pub ca: Option<PathBuf>,
    /// How long a job may go unacknowledged before it is delivered again (a worker holding
    /// a job reports progress every third of it).
    pub ack_wait: Duration,
    /// Replicas of the stream and the bucket (1 on a single server, 3 on a cluster).
    pub replicas: usize,
}

/// What the stream carries: a request and the dispatch it belongs to.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobMessage {
    /// The request.
    pub request: RequestEvent,
    /// The dispatch: the request's block hash and how many times the watcher dispatched it.
    /// A delivery of an older dispatch is dropped; a state of an older dispatch is ignored.
    pub generation: String,
}

/// A job's state as every machine sees it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct JobState {
    /// The dispatch this state belongs to ([`JobMessage::generation`]).
    #[serde(default)]
    pub generation: String,
    /// Where the job is.
    pub status: Option<Status>,
    /// The worker that last held it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
    /// Proofs started so far.
    pub attempts: u32,
    /// Why it failed (or why the last attempt did).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The fulfilment transaction (also one sent for an earlier dispatch: it is looked up
    /// before the request is proved again).
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
    consumer_name: String,
    url: String,
}

/// A job handed to this worker.
pub struct Delivery {
    msg: jetstream::Message,
    /// The request.
    pub request: RequestEvent,
    /// The dispatch it belongs to.
    pub generation: String,
    /// How many times it was delivered (1 the first time).
    pub delivered: u32,
}

/// Reports progress on a job to the server until dropped, so a job that takes longer than
/// `ack_wait` (a long proof, a slow receipt) is not delivered to another worker meanwhile.
pub struct Holding {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Holding {
    fn drop(&mut self) {
        self.task.abort();
    }
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
            let mut o = async_nats::ConnectOptions::new().connection_timeout(Duration::from_secs(5));
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
                num_replicas: opts.replicas.max(1),
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
                        num_replicas: opts.replicas.max(1),
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
            consumer_name: format!("{CONSUMER_PREFIX}-{chain_id}-{oracle}"),
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

    /// Publishes a request as a job of dispatch `generation`; the same dispatch published
    /// again (a watcher that stopped between publishing and recording it) is dropped by the
    /// stream's deduplication. Returns whether the stream took it as new.
    pub fn publish(&self, request: &RequestEvent, generation: &str) -> Result<bool, OperatorError> {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(
            "Nats-Msg-Id",
            format!("{}.{}.{generation}", self.key_prefix, request.request_id).as_str(),
        );
        let payload = serde_json::to_vec(&JobMessage {
            request: request.clone(),
            generation: generation.to_string(),
        })
        .expect("serialisable");
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
                    &self.consumer_name,
                    consumer::pull::Config {
                        durable_name: Some(self.consumer_name.clone()),
                        ack_policy: consumer::AckPolicy::Explicit,
                        ack_wait: self.ack_wait,
                        filter_subject: self.subject.clone(),
                        ..Default::default()
                    },
                )
                .await
                .map_err(|e| self.err("cannot create the workers' consumer", e))
            })?;
            let existing = c.cached_info().config.ack_wait;
            if existing != self.ack_wait {
                return Err(self.err(
                    &format!(
                        "the consumer {} exists with ack_wait {} s, not the config's {} s",
                        self.consumer_name,
                        existing.as_secs(),
                        self.ack_wait.as_secs()
                    ),
                    "delete it (`nats consumer rm ZKINFER_JOBS NAME`) while no worker runs, or use the same ack_wait_seconds",
                ));
            }
            self.consumer = Some(c);
        }
        let consumer = self.consumer.as_ref().expect("set above");
        let fetched = self.rt.block_on(async {
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
        });
        let msg = match fetched {
            Ok(m) => m,
            Err(e) => {
                // the consumer may be gone (deleted, server restarted without its store): look
                // it up again next time
                self.consumer = None;
                return Err(e);
            }
        };
        let Some(msg) = msg else { return Ok(None) };
        let delivered = msg.info().map(|i| i.delivered.max(1) as u32).unwrap_or(1);
        match serde_json::from_slice::<JobMessage>(&msg.payload) {
            Ok(m) => Ok(Some(Delivery {
                msg,
                request: m.request,
                generation: m.generation,
                delivered,
            })),
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

    /// Reports progress on `d` every third of `ack_wait` until the returned guard is dropped.
    pub fn hold(&self, d: &Delivery) -> Holding {
        let msg = d.msg.clone();
        let period = (self.ack_wait / 3).max(Duration::from_millis(200));
        Holding {
            task: self.rt.spawn(async move {
                loop {
                    tokio::time::sleep(period).await;
                    let _ = msg.ack_with(AckKind::Progress).await;
                }
            }),
        }
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
        match v {
            None => Ok(None),
            Some(b) => serde_json::from_slice(&b)
                .map(Some)
                .map_err(|e| self.err(&format!("the state of request {request_id} is not a job state"), e)),
        }
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
