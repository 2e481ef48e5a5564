//! The operator's durable state in one SQLite file: the scan cursor (with the hashes of recently
//! scanned blocks, to notice reorgs), and one row per request with its job's state, attempts,
//! proof, transaction and outcome. Every change is one transaction, so a crash leaves the
//! state before or after it; WAL mode lets `status` and the HTTP endpoint read while the
//! service writes.

use super::OperatorError;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where a job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting to be proved.
    Queued,
    /// Published to the job queue (`--queue`): the workers have it; its state is in the queue's
    /// key-value bucket until it ends.
    Dispatched,
    /// Being proved.
    Proving,
    /// Proved; the fulfilment is being sent (its hash is recorded before it leaves).
    Sending,
    /// Fulfilled on chain (by this operator or, as found before sending, by another).
    Done,
    /// Given up: the reason is in `error`.
    Failed,
    /// Its deadline passed before it could be fulfilled.
    Expired,
    /// Its block left the chain in a reorg and the request was not found again.
    Reorged,
}

impl Status {
    /// All statuses, in pipeline order.
    pub const ALL: [Status; 8] = [
        Status::Queued,
        Status::Dispatched,
        Status::Proving,
        Status::Sending,
        Status::Done,
        Status::Failed,
        Status::Expired,
        Status::Reorged,
    ];

    /// The name stored and shown.
    pub fn name(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Dispatched => "dispatched",
            Status::Proving => "proving",
            Status::Sending => "sending",
            Status::Done => "done",
            Status::Failed => "failed",
            Status::Expired => "expired",
            Status::Reorged => "reorged",
        }
    }

    fn parse(s: &str) -> Status {
        Status::ALL.into_iter().find(|x| x.name() == s).unwrap_or(Status::Failed)
    }

    /// Whether nothing more happens to the job (unless a reorg reopens it).
    pub fn is_final(self) -> bool {
        matches!(self, Status::Done | Status::Failed | Status::Expired | Status::Reorged)
    }
}

/// A request as its event carried it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestEvent {
    /// Request id (decimal).
    pub request_id: String,
    /// Model id (`0x` + 32 bytes).
    pub model_id: String,
    /// Key of the public inputs.
    pub input_key: String,
    /// The public inputs (`0x` hex field elements).
    pub public_inputs: Vec<String>,
    /// Where the data is (hashed-input models).
    pub data_uri: String,
    /// Fee (wei, decimal).
    pub fee: String,
    /// Deadline (unix seconds).
    pub deadline: u64,
    /// Gas the requester's callback may use.
    pub callback_gas_limit: u32,
    /// Requester.
    pub requester: String,
    /// Block of the request.
    pub block: u64,
    /// That block's hash.
    pub block_hash: String,
}

/// A job: the request and what became of it.
#[derive(Clone, Debug, Serialize)]
pub struct Job {
    /// The request.
    #[serde(flatten)]
    pub request: RequestEvent,
    /// Where the job is.
    pub status: Status,
    /// Proving attempts so far.
    pub attempts: u32,
    /// Why it failed (or why the last attempt did).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The proof file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<String>,
    /// The proven outputs (field elements, `0x` hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Vec<String>>,
    /// Fulfilment transaction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tx_hash: Option<String>,
    /// Its block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tx_block: Option<u64>,
    /// Gas it used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gas_used: Option<u64>,
    /// Seconds the proof took.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prove_seconds: Option<f64>,
    /// Who handled it last (`local` or a worker's name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
    /// Times the watcher published it to the job queue.
    #[serde(skip_serializing_if = "is_zero")]
    pub dispatches: u32,
    /// First seen (unix seconds).
    pub created_at: u64,
    /// Last change (unix seconds).
    pub updated_at: u64,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Job {
    /// The queue dispatch the job is in (see [`super::queue::JobMessage::generation`]).
    pub fn generation(&self) -> String {
        format!("{}.{}", self.request.block_hash, self.dispatches)
    }
}

/// The state file.
pub struct Store {
    conn: Connection,
    path: String,
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scanned (number INTEGER PRIMARY KEY, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    request_id TEXT PRIMARY KEY,
    model_id TEXT NOT NULL,
    input_key TEXT NOT NULL,
    public_inputs TEXT NOT NULL,
    data_uri TEXT NOT NULL,
    fee TEXT NOT NULL,
    deadline INTEGER NOT NULL,
    callback_gas INTEGER NOT NULL DEFAULT 0,
    dispatches INTEGER NOT NULL DEFAULT 0,
    requester TEXT NOT NULL,
    block INTEGER NOT NULL,
    block_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    proof TEXT,
    outputs TEXT,
    tx_hash TEXT,
    tx_block INTEGER,
    gas_used INTEGER,
    prove_seconds REAL,
    worker TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status);
";

impl Store {
    /// Opens (creating) the state file.
    pub fn open(path: &Path) -> Result<Store, OperatorError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| OperatorError::State {
                path: path.display().to_string(),
                reason: format!("cannot create its folder: {e}"),
            })?;
        }
        let conn = Connection::open(path).map_err(|e| OperatorError::State {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let store = Store {
            conn,
            path: path.display().to_string(),
        };
        store.conn.busy_timeout(Duration::from_secs(10)).map_err(|e| store.err(e))?;
        store
            .conn
            .execute_batch(&format!("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; {SCHEMA}"))
            .map_err(|e| store.err(e))?;
        Ok(store)
    }

    /// Opens an existing state file for reading (`status`, the HTTP endpoint).
    pub fn open_existing(path: &Path) -> Result<Store, OperatorError> {
        if !path.is_file() {
            return Err(OperatorError::State {
                path: path.display().to_string(),
                reason: "does not exist: the operator has not run with this config yet".into(),
            });
        }
        Self::open(path)
    }

    fn err(&self, e: rusqlite::Error) -> OperatorError {
        OperatorError::State {
            path: self.path.clone(),
            reason: e.to_string(),
        }
    }

    /// A value of the meta table.
    pub fn meta(&self, key: &str) -> Result<Option<String>, OperatorError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Sets a value of the meta table.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), OperatorError> {
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, value],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// The last scanned block and its hash.
    pub fn cursor(&self) -> Result<Option<(u64, String)>, OperatorError> {
        self.conn
            .query_row("SELECT number, hash FROM scanned ORDER BY number DESC LIMIT 1", [], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get(1)?))
            })
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Scanned blocks, newest first (the reorg check walks them back to a block still on chain).
    pub fn scanned(&self) -> Result<Vec<(u64, String)>, OperatorError> {
        let mut st = self
            .conn
            .prepare("SELECT number, hash FROM scanned ORDER BY number DESC")
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Records the requests found in blocks up to `block` (hash `hash`) and moves the cursor
    /// there, in one transaction. A request already known keeps its job unless the reorg check
    /// reopened it (status `reorged`): then the event found now replaces it and it is queued
    /// again. Returns the requests that are new (or newly queued).
    pub fn record_scan(&mut self, found: &[RequestEvent], block: u64, hash: &str) -> Result<Vec<String>, OperatorError> {
        let t = now() as i64;
        let path = self.path.clone();
        let err = |e: rusqlite::Error| OperatorError::State {
            path: path.clone(),
            reason: e.to_string(),
        };
        let tx = self.conn.transaction().map_err(err)?;
        let mut fresh = Vec::new();
        for r in found {
            let inputs = serde_json::to_string(&r.public_inputs).expect("strings serialise");
            let n = tx
                .execute(
                    "INSERT INTO jobs (request_id, model_id, input_key, public_inputs, data_uri, fee, deadline, requester, block, block_hash, callback_gas, status, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?12, 'queued', ?11, ?11)
                     ON CONFLICT(request_id) DO UPDATE SET
                        model_id = excluded.model_id, input_key = excluded.input_key, public_inputs = excluded.public_inputs,
                        data_uri = excluded.data_uri, fee = excluded.fee, deadline = excluded.deadline, requester = excluded.requester, callback_gas = excluded.callback_gas,
                        block = excluded.block, block_hash = excluded.block_hash, status = 'queued', attempts = 0, error = NULL,
                        proof = NULL, outputs = NULL, tx_block = NULL, gas_used = NULL, updated_at = excluded.updated_at
                     WHERE jobs.status = 'reorged'",
                    params![
                        r.request_id,
                        r.model_id,
                        r.input_key,
                        inputs,
                        r.data_uri,
                        r.fee,
                        r.deadline as i64,
                        r.requester,
                        r.block as i64,
                        r.block_hash,
                        t,
                        r.callback_gas_limit as i64
                    ],
                )
                .map_err(err)?;
            if n > 0 {
                fresh.push(r.request_id.clone());
            }
        }
        tx.execute(
            "INSERT OR REPLACE INTO scanned (number, hash) VALUES (?1, ?2)",
            params![block as i64, hash],
        )
        .map_err(err)?;
        // the newest 256 scanned blocks are enough to find where a reorg forked
        tx.execute(
            "DELETE FROM scanned WHERE number NOT IN (SELECT number FROM scanned ORDER BY number DESC LIMIT 256)",
            [],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(fresh)
    }

    /// A reorg replaced the blocks after `fork` (the newest scanned block still on chain): the
    /// cursor goes back to it, and every job whose request (or fulfilment) was in a replaced
    /// block is reopened as `reorged` until the rescan finds its request again. Returns the
    /// reopened request ids.
    pub fn rewind(&mut self, fork: u64) -> Result<Vec<String>, OperatorError> {
        let t = now() as i64;
        let path = self.path.clone();
        let err = |e: rusqlite::Error| OperatorError::State {
            path: path.clone(),
            reason: e.to_string(),
        };
        let tx = self.conn.transaction().map_err(err)?;
        tx.execute("DELETE FROM scanned WHERE number > ?1", [fork as i64]).map_err(err)?;
        let ids: Vec<String> = {
            let mut st = tx
                .prepare("SELECT request_id FROM jobs WHERE block > ?1 OR (tx_block IS NOT NULL AND tx_block > ?1)")
                .map_err(err)?;
            let rows = st.query_map([fork as i64], |r| r.get(0)).map_err(err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(err)?
        };
        tx.execute(
            "UPDATE jobs SET status = 'reorged', updated_at = ?2 WHERE block > ?1",
            params![fork as i64, t],
        )
        .map_err(err)?;
        // a fulfilment in a replaced block may be gone: check the request again before trusting it
        tx.execute(
            "UPDATE jobs SET status = 'queued', tx_block = NULL, updated_at = ?2 WHERE block <= ?1 AND tx_block > ?1",
            params![fork as i64, t],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(ids)
    }

    fn row(r: &rusqlite::Row) -> rusqlite::Result<Job> {
        let inputs: String = r.get("public_inputs")?;
        let outputs: Option<String> = r.get("outputs")?;
        Ok(Job {
            request: RequestEvent {
                request_id: r.get("request_id")?,
                model_id: r.get("model_id")?,
                input_key: r.get("input_key")?,
                public_inputs: serde_json::from_str(&inputs).unwrap_or_default(),
                data_uri: r.get("data_uri")?,
                fee: r.get("fee")?,
                deadline: r.get::<_, i64>("deadline")? as u64,
                callback_gas_limit: r.get::<_, i64>("callback_gas")? as u32,
                requester: r.get("requester")?,
                block: r.get::<_, i64>("block")? as u64,
                block_hash: r.get("block_hash")?,
            },
            status: Status::parse(&r.get::<_, String>("status")?),
            attempts: r.get::<_, i64>("attempts")? as u32,
            error: r.get("error")?,
            proof: r.get("proof")?,
            outputs: outputs.and_then(|o| serde_json::from_str(&o).ok()),
            tx_hash: r.get("tx_hash")?,
            tx_block: r.get::<_, Option<i64>>("tx_block")?.map(|b| b as u64),
            gas_used: r.get::<_, Option<i64>>("gas_used")?.map(|g| g as u64),
            prove_seconds: r.get("prove_seconds")?,
            worker: r.get("worker")?,
            dispatches: r.get::<_, i64>("dispatches")? as u32,
            created_at: r.get::<_, i64>("created_at")? as u64,
            updated_at: r.get::<_, i64>("updated_at")? as u64,
        })
    }

    /// One job.
    pub fn job(&self, request_id: &str) -> Result<Option<Job>, OperatorError> {
        self.conn
            .query_row("SELECT * FROM jobs WHERE request_id = ?1", [request_id], Self::row)
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Jobs with `status`, oldest request first.
    pub fn jobs_with(&self, status: Status) -> Result<Vec<Job>, OperatorError> {
        let mut st = self
            .conn
            .prepare("SELECT * FROM jobs WHERE status = ?1 ORDER BY block, CAST(request_id AS INTEGER)")
            .map_err(|e| self.err(e))?;
        let rows = st.query_map([status.name()], Self::row).map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// The newest `limit` jobs.
    pub fn recent(&self, limit: usize) -> Result<Vec<Job>, OperatorError> {
        let mut st = self
            .conn
            .prepare("SELECT * FROM jobs ORDER BY block DESC, CAST(request_id AS INTEGER) DESC LIMIT ?1")
            .map_err(|e| self.err(e))?;
        let rows = st.query_map([limit as i64], Self::row).map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Number of jobs per status.
    pub fn counts(&self) -> Result<Vec<(Status, u64)>, OperatorError> {
        Status::ALL
            .iter()
            .map(|s| {
                self.conn
                    .query_row("SELECT COUNT(*) FROM jobs WHERE status = ?1", [s.name()], |r| r.get::<_, i64>(0))
                    .map(|n| (*s, n as u64))
                    .map_err(|e| self.err(e))
            })
            .collect()
    }

    /// Moves a job to `status`, recording `error` (none clears it).
    pub fn set_status(&self, request_id: &str, status: Status, error: Option<&str>) -> Result<(), OperatorError> {
        self.conn
            .execute(
                "UPDATE jobs SET status = ?2, error = ?3, updated_at = ?4 WHERE request_id = ?1",
                params![request_id, status.name(), error, now() as i64],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// A proving attempt starts: status `proving`, attempts + 1, by `worker`.
    pub fn start_attempt(&self, request_id: &str, worker: &str) -> Result<u32, OperatorError> {
        self.conn
            .execute(
                "UPDATE jobs SET status = 'proving', attempts = attempts + 1, worker = ?2, updated_at = ?3 WHERE request_id = ?1",
                params![request_id, worker, now() as i64],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.job(request_id)?.map(|j| j.attempts).unwrap_or(0))
    }

    /// The proof is made: status `sending`.
    pub fn proved(&self, request_id: &str, proof: &str, outputs: &[String], seconds: f64) -> Result<(), OperatorError> {
        self.conn
            .execute(
                "UPDATE jobs SET status = 'sending', proof = ?2, outputs = ?3, prove_seconds = ?4, error = NULL, updated_at = ?5 WHERE request_id = ?1",
                params![
                    request_id,
                    proof,
                    serde_json::to_string(outputs).expect("strings serialise"),
                    seconds,
                    now() as i64
                ],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// The fulfilment is signed and about to leave (or left): its hash.
    pub fn sending(&self, request_id: &str, tx_hash: &str) -> Result<(), OperatorError> {
        self.conn
            .execute(
                "UPDATE jobs SET tx_hash = ?2, updated_at = ?3 WHERE request_id = ?1",
                params![request_id, tx_hash, now() as i64],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Fulfilled on chain by `tx_hash` in `block` (none when found fulfilled by someone else).
    pub fn done(&self, request_id: &str, tx: Option<(&str, u64, u64)>, note: Option<&str>) -> Result<(), OperatorError> {
        let (hash, block, gas) = match tx {
            Some((h, b, g)) => (Some(h.to_string()), Some(b as i64), Some(g as i64)),
            None => (None, None, None),
        };
        self.conn
            .execute(
                "UPDATE jobs SET status = 'done', tx_hash = COALESCE(?2, tx_hash), tx_block = ?3, gas_used = ?4, error = ?5, updated_at = ?6 WHERE request_id = ?1",
                params![request_id, hash, block, gas, note, now() as i64],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// The job was published to the queue as its `dispatches`-th dispatch.
    pub fn dispatched(&self, request_id: &str, dispatches: u32) -> Result<(), OperatorError> {
        self.conn
            .execute(
                "UPDATE jobs SET status = 'dispatched', dispatches = ?2, error = NULL, updated_at = ?3 WHERE request_id = ?1",
                params![request_id, dispatches as i64, now() as i64],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Jobs a queue-mode run left dispatched go back to `queued` (a run without the queue
    /// proves them itself; the chain says if a worker already fulfilled one); returns how many.
    pub fn undispatch(&self) -> Result<usize, OperatorError> {
        self.conn
            .execute(
                "UPDATE jobs SET status = 'queued', updated_at = ?1 WHERE status = 'dispatched'",
                [now() as i64],
            )
            .map_err(|e| self.err(e))
    }

    /// Records what the queue's workers report about a dispatched job.
    pub fn apply_state(&self, request_id: &str, st: &super::queue::JobState) -> Result<(), OperatorError> {
        let status = st.status.unwrap_or(Status::Dispatched);
        self.conn
            .execute(
                "UPDATE jobs SET status = ?2, attempts = ?3, error = ?4, tx_hash = ?5, tx_block = ?6, gas_used = ?7,
                    prove_seconds = ?8, outputs = ?9, worker = ?10, updated_at = ?11 WHERE request_id = ?1",
                params![
                    request_id,
                    status.name(),
                    st.attempts as i64,
                    st.error,
                    st.tx_hash,
                    st.tx_block.map(|b| b as i64),
                    st.gas_used.map(|g| g as i64),
                    st.prove_seconds,
                    st.outputs.as_ref().map(|o| serde_json::to_string(o).expect("strings serialise")),
                    st.worker,
                    now() as i64
                ],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Jobs left `proving` by a process that stopped go back to the queue (their attempt
    /// counts); returns how many.
    pub fn requeue_interrupted(&self) -> Result<usize, OperatorError> {
        self.conn
            .execute(
                "UPDATE jobs SET status = 'queued', updated_at = ?1 WHERE status = 'proving'",
                [now() as i64],
            )
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: u64, block: u64, key: &str) -> RequestEvent {
        RequestEvent {
            request_id: id.to_string(),
            model_id: "0x01".into(),
            input_key: key.into(),
            public_inputs: vec!["0x05".into()],
            data_uri: String::new(),
            fee: "0".into(),
            deadline: 99,
            callback_gas_limit: 0,
            requester: "0xaa".into(),
            block,
            block_hash: format!("0xb{block}"),
        }
    }

    #[test]
    fn scans_are_idempotent_and_reorgs_reopen_jobs() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("state/op.sqlite")).unwrap();
        assert_eq!(s.cursor().unwrap(), None);
        let fresh = s.record_scan(&[event(1, 10, "0xk1"), event(2, 11, "0xk2")], 12, "0xh12").unwrap();
        assert_eq!(fresh, ["1", "2"]);
        // the same events again (a restart rescanning): nothing new, nothing reset
        s.start_attempt("1", "local").unwrap();
        assert!(s.record_scan(&[event(1, 10, "0xk1")], 12, "0xh12").unwrap().is_empty());
        assert_eq!(s.job("1").unwrap().unwrap().status, Status::Proving);
        assert_eq!(s.requeue_interrupted().unwrap(), 1);
        let j = s.job("1").unwrap().unwrap();
        assert_eq!((j.status, j.attempts), (Status::Queued, 1));
        s.proved("2", "/p/2.json", &["0x07".into()], 0.5).unwrap();
        s.sending("2", "0xt2").unwrap();
        s.done("2", Some(("0xt2", 13, 500_000)), None).unwrap();
        s.record_scan(&[], 14, "0xh14").unwrap();
        assert_eq!(s.cursor().unwrap(), Some((14, "0xh14".into())));
        // a reorg after block 10: request 2 (block 11) is reopened, request 1 stays
        let reopened = s.rewind(10).unwrap();
        assert_eq!(reopened, ["2"]);
        assert_eq!(s.job("2").unwrap().unwrap().status, Status::Reorged);
        assert_eq!(s.job("1").unwrap().unwrap().status, Status::Queued);
        assert_eq!(s.cursor().unwrap(), None, "scanned blocks after the fork are forgotten");
        // the rescan finds request 2 again, now with other inputs: queued afresh
        let fresh = s.record_scan(&[event(2, 12, "0xk2b")], 15, "0xh15").unwrap();
        assert_eq!(fresh, ["2"]);
        let j = s.job("2").unwrap().unwrap();
        // the old fulfilment's hash stays: it is looked up before the request is proved again
        assert_eq!(
            (j.status, j.request.input_key.as_str(), j.tx_hash.as_deref()),
            (Status::Queued, "0xk2b", Some("0xt2"))
        );
        let counts = s.counts().unwrap();
        assert_eq!(counts.iter().find(|(st, _)| *st == Status::Queued).unwrap().1, 2);
    }
}
