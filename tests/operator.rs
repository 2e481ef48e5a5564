//! `zkinfer operator` against a real anvil: requests made on chain are fulfilled with verified
//! results equal to a local proof's; a malformed request and one for a model the operator does
//! not serve are marked failed with the reason while the service keeps going; the operator
//! killed with SIGKILL mid-run and restarted fulfils every request exactly once (its account
//! sends exactly one transaction per request); SIGTERM stops it cleanly; a reorg (anvil's
//! snapshot and revert) that drops a served request and its fulfilment makes it serve the
//! request mined in its place, once.

mod common;

use alloy::primitives::Address;
use alloy::primitives::{B256, U256};
use alloy::sol_types::SolCall;
use common::oracle::*;
use common::{free_port, zkinfer};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use zkinfer::chain::contracts::{Abi, IInferenceOracle};
use zkinfer::chain::tx::view;

#[test]
fn the_operator_fulfils_requests_exactly_once_through_kills_and_reorgs() {
    let Setup {
        tmp,
        samples,
        other,
        c,
        anvil: _anvil,
    } = setup_oracle(&[OPERATOR_KEY]);
    let port = free_port();
    let config = tmp.path().join("operator.toml");
    std::fs::write(
        &config,
        format!(
            "rpc_url = \"{}\"\nchain_id = 31337\noracle = \"{:#x}\"\nprivate_key_env = \"ZKINFER_TEST_OPERATOR_KEY\"\nlisten = \"127.0.0.1:{port}\"\nconfirmations = 1\npoll_interval_ms = 200\nmax_attempts = 2\n\n[[models]]\nid = \"credit-v1\"\nbuild = \"build\"\n",
            c.url, c.oracle
        ),
    )
    .unwrap();

    // 1. two good requests, a malformed one, one for a model this operator does not serve
    request(&c, c.model, &samples[0].0, "");
    request(&c, c.model, &samples[1].0, "");
    let mut bad = samples[2].0.clone();
    bad[0] = U256::from(1u64 << 40); // far outside the calibrated input range
    request(&c, c.model, &bad, "");
    request(&c, other, &samples[2].0, "");
    let report = run_until_idle(&config);
    assert_eq!(report["requests_seen"], 4, "{report}");
    assert_eq!(report["fulfilled"], 2, "{report}");
    assert_eq!(report["failed"], 2, "{report}");
    let status = zkinfer(&["--json", "operator", "status", "--config", config.to_str().unwrap()]);
    assert!(status.status.success());
    let status: Value = serde_json::from_slice(&status.stdout).unwrap();
    let jobs = status["jobs"].as_array().unwrap();
    let find = |id: &str| {
        jobs.iter()
            .find(|j| j["request_id"] == id)
            .unwrap_or_else(|| panic!("job {id}: {status}"))
    };
    assert_eq!(find("1")["status"], "done");
    assert_eq!(find("2")["status"], "done");
    eprintln!("request 3: {}", find("3")["error"]);
    assert_eq!(find("3")["status"], "failed");
    assert!(find("3")["error"].as_str().unwrap().contains("attempts"), "{}", find("3"));
    assert_eq!(find("4")["status"], "failed");
    assert!(find("4")["error"].as_str().unwrap().contains("not served"), "{}", find("4"));
    for (i, (inputs, score)) in samples.iter().take(2).enumerate() {
        let (outputs, _, by) = {
            let r = view(
                &c.rpc,
                Address::ZERO,
                c.oracle,
                IInferenceOracle::latestCall {
                    modelId: c.model,
                    key: key_of(inputs),
                },
                Abi::InferenceOracle,
            )
            .unwrap();
            (r.outputs, r.blockNumber, r.operator)
        };
        assert_eq!(outputs, vec![*score], "request {} carries the score the local proof proves", i + 1);
        assert_eq!(by, signer(OPERATOR_KEY).address());
    }
    assert_eq!((status_of(&c, 1), status_of(&c, 2), status_of(&c, 3)), (2, 2, 1));
    // the result on chain is what `zkinfer verify` of the operator's proof reports
    let proof = find("1")["proof"].as_str().expect("the job names its proof").to_string();
    let verified = zkinfer(&["--json", "verify", tmp.path().join("build").to_str().unwrap(), &proof]);
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));
    let verified: Value = serde_json::from_slice(&verified.stdout).unwrap();
    let out = &verified["outputs"][0];
    let fixed = out["values"][0].as_f64().unwrap() * 2f64.powi(out["scale"].as_i64().unwrap() as i32);
    assert_eq!(signed(samples[0].1) as f64, fixed.round(), "verify: {verified}");
    assert_eq!(operator_nonce(&c), 2, "one transaction per fulfilled request");

    // 2. the long-running service, killed with SIGKILL while it works, then restarted
    let log1 = tmp.path().join("run1.log");
    let mut op = spawn(&config, &log1);
    for s in samples.iter().skip(2).take(4) {
        request(&c, c.model, &s.0, "");
    }
    wait_for("the operator to pick up request 5", 60, || job(port, 5).is_some());
    std::thread::sleep(Duration::from_millis(150));
    op.kill().unwrap();
    op.wait().unwrap();
    let killed_at: Vec<String> = (5..=8).map(|i| job_status_from_file(&config, i)).collect();
    eprintln!("jobs 5..8 when killed: {killed_at:?}");
    let log2 = tmp.path().join("run2.log");
    let mut op = spawn(&config, &log2);
    wait_for("requests 5 to 8 to be fulfilled", 120, || {
        (5..=8).all(|i| job(port, i).is_some_and(|j| j["status"] == "done"))
    });
    let (code, metrics) = http_get(port, "/metrics").unwrap();
    assert_eq!(code, 200);
    assert!(metrics.contains("zkinfer_operator_jobs{status=\"done\"} 6"), "{metrics}");
    assert!(metrics.contains("zkinfer_operator_prove_seconds_count"), "{metrics}");
    assert_eq!(http_get(port, "/healthz").unwrap().0, 200);
    assert_eq!(http_get(port, "/jobs/99").unwrap().0, 404);
    // SIGTERM: a clean stop
    Command::new("kill").args(["-TERM", &op.id().to_string()]).status().unwrap();
    let start = Instant::now();
    let code = loop {
        if let Some(s) = op.try_wait().unwrap() {
            break s;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "no clean stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(code.success(), "SIGTERM exits 0: {}", std::fs::read_to_string(&log2).unwrap());
    let f = fulfilments(&c);
    for id in 1..=8u64 {
        let n = f.iter().filter(|(i, _)| *i == id).count();
        let want = usize::from(!matches!(id, 3 | 4));
        assert_eq!(n, want, "request {id} fulfilled {n} times (jobs when killed: {killed_at:?})");
    }
    assert_eq!(
        operator_nonce(&c),
        6,
        "exactly one transaction per request across the kill (jobs when killed: {killed_at:?})"
    );

    // 3. a reorg drops a served request and its fulfilment; another request takes its id
    let snap = raw_rpc(&c.url, "evm_snapshot", serde_json::json!([]));
    let nine = request(&c, c.model, &samples[2].0, "");
    assert_eq!(nine, U256::from(9));
    let report = run_until_idle(&config);
    assert_eq!(report["fulfilled"], 1, "{report}");
    assert_eq!(status_of(&c, 9), 2);
    assert_eq!(raw_rpc(&c.url, "evm_revert", serde_json::json!([snap])), Value::Bool(true));
    assert_eq!(status_of(&c, 9), 0, "the revert dropped request 9");
    let again = request(&c, c.model, &samples[5].0, "");
    assert_eq!(again, U256::from(9), "the new request takes the id");
    let report = run_until_idle(&config);
    assert_eq!(report["fulfilled"], 1, "{report}");
    let f = fulfilments(&c);
    let nines: Vec<&(u64, B256)> = f.iter().filter(|(i, _)| *i == 9).collect();
    assert_eq!(nines.len(), 1, "{f:?}");
    assert_eq!(nines[0].1, key_of(&samples[5].0), "the request mined after the reorg was served");
    assert_eq!(operator_nonce(&c), 7);

    // 4. a request asking for more callback gas than the operator pays for is not served
    let ten = request_with(&c, c.model, &samples[4].0, "", 300_000);
    let report = run_until_idle(&config);
    assert_eq!(
        (report["fulfilled"].as_u64(), report["failed"].as_u64()),
        (Some(0), Some(1)),
        "{report}"
    );
    let j = job_status_json(&config, ten.to::<u64>());
    assert!(j["error"].as_str().unwrap_or("").contains("max_callback_gas"), "{j}");
    assert_eq!(status_of(&c, 10), 1, "still open: another operator may take it");
    assert_eq!(operator_nonce(&c), 7, "nothing sent");

    // 5. the owner registers the model again: an earlier request is not answered with it (the
    // oracle would refuse: ModelChanged), a later one is
    let eleven = request(&c, c.model, &samples[4].0, "");
    let m = view(
        &c.rpc,
        Address::ZERO,
        c.oracle,
        IInferenceOracle::modelsCall { modelId: c.model },
        Abi::InferenceOracle,
    )
    .unwrap();
    exec(
        &c.rpc,
        DEPLOYER_KEY,
        Some(c.oracle),
        IInferenceOracle::registerModelCall {
            modelId: c.model,
            verifier: m.verifier,
            vkHash: m.vkHash,
            numOutputs: 1,
            numInstances: 11,
        }
        .abi_encode(),
    );
    let twelve = request(&c, c.model, &samples[4].0, "");
    let report = run_until_idle(&config);
    assert_eq!(
        (report["fulfilled"].as_u64(), report["failed"].as_u64()),
        (Some(1), Some(1)),
        "{report}"
    );
    let j = job_status_json(&config, eleven.to::<u64>());
    assert!(j["error"].as_str().unwrap_or("").contains("registered again"), "{j}");
    assert_eq!(
        status_of(&c, eleven.to::<u64>()),
        1,
        "request 11 stays open (refundable after its deadline)"
    );
    assert_eq!(status_of(&c, twelve.to::<u64>()), 2);
    assert_eq!(operator_nonce(&c), 8);
}

/// A job as `operator status` shows it (the service is not running); null if unseen.
fn job_status_json(config: &Path, id: u64) -> Value {
    let out = zkinfer(&[
        "--json",
        "operator",
        "status",
        "--config",
        config.to_str().unwrap(),
        "--limit",
        "100",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    v["jobs"]
        .as_array()
        .and_then(|j| j.iter().find(|j| j["request_id"].as_str() == Some(id.to_string().as_str())))
        .cloned()
        .unwrap_or(Value::Null)
}

/// A job's status read with `operator status`.
fn job_status_from_file(config: &Path, id: u64) -> String {
    job_status_json(config, id)["status"].as_str().unwrap_or("unseen").to_string()
}

/// anvil stopped mid-run (its state kept with `--state`) and started again on the same port:
/// the operator keeps running, counts the failed polls, and serves the next request.
#[test]
fn the_operator_waits_for_a_stopped_node_and_resumes() {
    let keep = tempfile::tempdir().unwrap();
    let state = keep.path().join("anvil-state.json");
    let state_arg = state.to_str().unwrap().to_string();
    let Setup {
        tmp, samples, c, anvil, ..
    } = setup_oracle_with(&[OPERATOR_KEY], &["--state", &state_arg], 1);
    let port = free_port();
    let config = tmp.path().join("operator.toml");
    std::fs::write(
        &config,
        format!(
            "rpc_url = \"{}\"\noracle = \"{:#x}\"\nprivate_key_env = \"ZKINFER_TEST_OPERATOR_KEY\"\nlisten = \"127.0.0.1:{port}\"\nconfirmations = 1\npoll_interval_ms = 200\n\n[[models]]\nid = \"credit-v1\"\nbuild = \"build\"\n",
            c.url, c.oracle
        ),
    )
    .unwrap();
    let log = tmp.path().join("op.log");
    let mut op = spawn(&config, &log);
    request(&c, c.model, &samples[0].0, "");
    wait_for("request 1 to be fulfilled", 60, || {
        job(port, 1).is_some_and(|j| j["status"] == "done")
    });
    // the node goes away (SIGTERM: anvil writes its state) ...
    let anvil_port = anvil.port;
    let mut anvil = anvil;
    Command::new("kill")
        .args(["-TERM", &anvil.child.id().to_string()])
        .status()
        .unwrap();
    anvil.child.wait().unwrap();
    std::thread::sleep(Duration::from_secs(4));
    assert!(op.try_wait().unwrap().is_none(), "the operator keeps running without its node");
    // ... and comes back with its chain
    let _anvil = common::start_anvil_on(anvil_port, 31337, &["--state", &state_arg]);
    drop(anvil);
    request(&c, c.model, &samples[1].0, "");
    wait_for("request 2 to be fulfilled after the restart", 120, || {
        job(port, 2).is_some_and(|j| j["status"] == "done")
    });
    let (_, metrics) = http_get(port, "/metrics").unwrap();
    let errors: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("zkinfer_operator_rpc_errors_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    assert!(errors > 0, "the outage shows in the metrics: {metrics}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("unreachable"), "{text}");
    let f = fulfilments(&c);
    assert_eq!(f.iter().filter(|(i, _)| *i == 1).count(), 1, "{f:?}");
    assert_eq!(f.iter().filter(|(i, _)| *i == 2).count(), 1, "{f:?}");
    assert_eq!(operator_nonce(&c), 2);
    Command::new("kill").args(["-TERM", &op.id().to_string()]).status().unwrap();
    assert!(op.wait().unwrap().success());
}

/// A `--batch 4` build: the operator waits up to `batch_flush_ms` to fill a batch, then answers
/// the requests it has with one proof and one `fulfilBatch` transaction; the results are the
/// locally proven scores.
#[test]
fn a_batch_build_answers_several_requests_with_one_transaction() {
    let Setup {
        tmp,
        samples,
        c,
        anvil: _anvil,
        ..
    } = setup_oracle_with(&[OPERATOR_KEY], &[], 4);
    let config = tmp.path().join("operator.toml");
    std::fs::write(
        &config,
        format!(
            "rpc_url = \"{}\"\noracle = \"{:#x}\"\nprivate_key_env = \"ZKINFER_TEST_OPERATOR_KEY\"\nlisten = \"127.0.0.1:{}\"\nconfirmations = 1\npoll_interval_ms = 200\nbatch_flush_ms = 1000\n\n[[models]]\nid = \"credit-v1\"\nbuild = \"build\"\n",
            c.url,
            c.oracle,
            free_port()
        ),
    )
    .unwrap();
    for s in samples.iter().take(3) {
        request(&c, c.model, &s.0, "");
    }
    let report = run_until_idle(&config);
    assert_eq!(report["fulfilled"], 3, "{report}");
    assert_eq!(operator_nonce(&c), 1, "three requests, one fulfilBatch");
    for (id, (inputs, score)) in samples.iter().take(3).enumerate() {
        assert_eq!(status_of(&c, id as u64 + 1), 2);
        let r = view(
            &c.rpc,
            Address::ZERO,
            c.oracle,
            IInferenceOracle::latestCall {
                modelId: c.model,
                key: key_of(inputs),
            },
            Abi::InferenceOracle,
        )
        .unwrap();
        assert_eq!(r.outputs, vec![*score], "request {}", id + 1);
    }
    let f = fulfilments(&c);
    assert_eq!(f.len(), 3, "{f:?}");
}

/// A field element as a signed integer (values above r/2 are negative).
fn signed(v: U256) -> i128 {
    let r = U256::from_str_radix("30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001", 16).unwrap();
    if v > r >> 1 {
        -(r - v).to::<i128>()
    } else {
        v.to::<i128>()
    }
}

/// A model whose inputs are hashed: a request carries the input commitment and points to the
/// data (`file:NAME` under the operator's `data_dir`); the operator proves on that data and the
/// oracle accepts only a proof of the committed inputs. Data that does not match the commitment,
/// or a name outside the data folder, fails the request with the reason.
#[test]
fn hashed_inputs_are_read_from_the_requests_data_uri() {
    let Setup {
        tmp,
        samples,
        c,
        anvil: _anvil,
        ..
    } = setup_oracle_full(&[OPERATOR_KEY], &[], 1, zkinfer::quantize::Vis::Hashed);
    assert_eq!(samples[0].0.len(), 1, "one public input: the commitment");
    let config = tmp.path().join("operator.toml");
    std::fs::write(
        &config,
        format!(
            "rpc_url = \"{}\"\noracle = \"{:#x}\"\nprivate_key_env = \"ZKINFER_TEST_OPERATOR_KEY\"\nlisten = \"127.0.0.1:{}\"\nconfirmations = 1\npoll_interval_ms = 200\ndata_dir = \".\"\n\n[[models]]\nid = \"credit-v1\"\nbuild = \"build\"\n",
            c.url,
            c.oracle,
            free_port()
        ),
    )
    .unwrap();
    request(&c, c.model, &samples[0].0, "file:sample0.json");
    // the commitment of sample 0 with the data of sample 1
    request(&c, c.model, &samples[0].0, "file:sample1.json");
    request(&c, c.model, &samples[1].0, "file:../outside.json");
    request(&c, c.model, &samples[1].0, "");
    let report = run_until_idle(&config);
    assert_eq!(
        (report["fulfilled"].as_u64(), report["failed"].as_u64()),
        (Some(1), Some(3)),
        "{report}"
    );
    assert_eq!(status_of(&c, 1), 2);
    let r = view(
        &c.rpc,
        Address::ZERO,
        c.oracle,
        IInferenceOracle::latestCall {
            modelId: c.model,
            key: key_of(&samples[0].0),
        },
        Abi::InferenceOracle,
    )
    .unwrap();
    assert_eq!(r.outputs, vec![samples[0].1]);
    for (id, needle) in [(2, "do not match"), (3, "inside the data folder"), (4, "dataUri")] {
        let j = job_status_json(&config, id);
        assert!(j["error"].as_str().unwrap_or("").contains(needle), "request {id}: {j}");
        assert_eq!(status_of(&c, id), 1);
    }
    assert_eq!(operator_nonce(&c), 1);
}
