//! `zkinfer operator` against a real anvil: requests made on chain are fulfilled with verified
//! results equal to a local proof's; a malformed request and one for a model the operator does
//! not serve are marked failed with the reason while the service keeps going; the operator
//! killed with SIGKILL mid-run and restarted fulfils every request exactly once (its account
//! sends exactly one transaction per request); SIGTERM stops it cleanly; a reorg (anvil's
//! snapshot and revert) that drops a served request and its fulfilment makes it serve the
//! request mined in its place, once.

mod common;

use alloy::primitives::{keccak256, Address, B256, U256};
use alloy::sol_types::{SolCall, SolEvent};
use common::{free_port, start_anvil, zkinfer};
use serde_json::Value;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use zkinfer::chain::contracts::{compile_oracle, Abi, IInferenceOracle};
use zkinfer::chain::tx::{prepare, send, view};
use zkinfer::chain::{Call, KeySource, Mined, Rpc, RpcOptions, TxOptions};
use zkinfer::pipeline::compile::{compile, CompileOptions};
use zkinfer::pipeline::prove::prove_with;
use zkinfer::pipeline::setup::setup;
use zkinfer::pipeline::{BuildDir, Silent};
use zkinfer::proof::ProofFile;
use zkinfer::quantize::CalibrateOptions;

/// anvil's development keys: #0 deploys and owns the oracle, #1 requests, #2 operates.
const DEPLOYER_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const REQUESTER_KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const OPERATOR_KEY: &str = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";

struct Chain {
    url: String,
    rpc: Rpc,
    oracle: Address,
    model: B256,
}

fn signer(key: &str) -> alloy::signers::local::PrivateKeySigner {
    KeySource::PrivateKey(key.into()).signer().unwrap()
}

fn exec(rpc: &Rpc, key: &str, to: Option<Address>, data: Vec<u8>) -> Mined {
    let s = signer(key);
    let call = Call {
        what: "test transaction".into(),
        from: s.address(),
        to,
        data,
        abi: Abi::InferenceOracle,
    };
    let txo = TxOptions::default();
    let p = prepare(rpc, 31337, call, &txo).expect("prepared");
    send(rpc, &p, &s, &txo, &mut |_| Ok(())).expect("mined")
}

/// A raw JSON-RPC call (anvil's snapshot/revert/mine).
fn raw_rpc(url: &str, method: &str, params: Value) -> Value {
    let addr = url.trim_start_matches("http://");
    let body = serde_json::json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }).to_string();
    let mut s = std::net::TcpStream::connect(addr).expect("connects");
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let json = out.split("\r\n\r\n").nth(1).expect("a body");
    let v: Value = serde_json::from_str(json.trim()).unwrap_or_else(|e| panic!("{method}: {e}: {out}"));
    v["result"].clone()
}

/// GET on the operator's endpoint: (status code, body); none while it does not listen.
fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let code = out.split(' ').nth(1)?.parse().ok()?;
    Some((code, out.split("\r\n\r\n").nth(1).unwrap_or("").to_string()))
}

fn request(c: &Chain, model: B256, inputs: &[U256], uri: &str) -> U256 {
    request_with(c, model, inputs, uri, 0)
}

fn request_with(c: &Chain, model: B256, inputs: &[U256], uri: &str, callback_gas: u32) -> U256 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let m = exec(
        &c.rpc,
        REQUESTER_KEY,
        Some(c.oracle),
        IInferenceOracle::requestCall {
            modelId: model,
            publicInputs: inputs.to_vec(),
            dataUri: uri.into(),
            deadline: now + 3600,
            callbackGasLimit: callback_gas,
        }
        .abi_encode(),
    );
    let e = m
        .logs
        .iter()
        .find_map(|l| IInferenceOracle::InferenceRequested::decode_log_data(l.data()).ok())
        .expect("InferenceRequested");
    e.requestId
}

/// Each RequestFulfilled event on chain: (request id, input key).
fn fulfilments(c: &Chain) -> Vec<(u64, B256)> {
    let head = c.rpc.block_number().unwrap();
    c.rpc
        .logs(c.oracle, IInferenceOracle::RequestFulfilled::SIGNATURE_HASH, 0, head)
        .unwrap()
        .iter()
        .map(|l| {
            let e = IInferenceOracle::RequestFulfilled::decode_log_data(l.data()).unwrap();
            (e.requestId.to::<u64>(), e.inputKey)
        })
        .collect()
}

fn key_of(inputs: &[U256]) -> B256 {
    let mut b = Vec::new();
    for v in inputs {
        b.extend_from_slice(&v.to_be_bytes::<32>());
    }
    keccak256(b)
}

fn status_of(c: &Chain, id: u64) -> u8 {
    view(
        &c.rpc,
        Address::ZERO,
        c.oracle,
        IInferenceOracle::requestsCall { requestId: U256::from(id) },
        Abi::InferenceOracle,
    )
    .unwrap()
    .status
}

fn operator_nonce(c: &Chain) -> u64 {
    c.rpc.nonce(signer(OPERATOR_KEY).address()).unwrap()
}

fn operator(config: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zkinfer"));
    cmd.args(["--json", "operator", "run", "--config", config.to_str().unwrap()])
        .args(extra)
        .env("ZKINFER_TEST_OPERATOR_KEY", OPERATOR_KEY);
    cmd
}

/// Runs the operator until it is idle; its report.
fn run_until_idle(config: &Path) -> Value {
    let out = operator(config, &["--exit-when-idle"]).output().expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "operator failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

fn spawn(config: &Path, log: &Path) -> Child {
    operator(config, &[])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("starts")
}

fn job(port: u16, id: u64) -> Option<Value> {
    match http_get(port, &format!("/jobs/{id}")) {
        Some((200, body)) => serde_json::from_str(&body).ok(),
        _ => None,
    }
}

fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < Duration::from_secs(secs), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_operator_fulfils_requests_exactly_once_through_kills_and_reorgs() {
    let tmp = tempfile::tempdir().unwrap();
    // the credit model as the oracle takes it: public inputs, the score public
    let build = tmp.path().join("build");
    let batch_samples = common::model("credit_mlp.batch.json");
    compile(
        &CompileOptions {
            model: common::model("credit_mlp.onnx"),
            data: vec![batch_samples.clone()],
            out: build.clone(),
            like: None,
            batch: 1,
            calibration: CalibrateOptions {
                visibility: zkinfer::quantize::Visibility {
                    input: zkinfer::quantize::Vis::Public,
                    ..Default::default()
                },
                ..Default::default()
            },
        },
        &Silent,
    )
    .expect("compiles");
    let dir = BuildDir(build.clone());
    setup(&dir, &zkinfer::proof::SrsSource::Dev, &Silent).expect("setup");
    // six distinct samples, each proved locally: its public inputs and the score to expect
    let data = zkinfer::model::data::InputData::from_file(&batch_samples).unwrap();
    let base: Vec<Vec<f64>> = data.inputs[0].chunks(10).map(|c| c.to_vec()).collect();
    let mut samples: Vec<(Vec<U256>, U256)> = Vec::new();
    for (i, s) in base.iter().chain(base.iter()).enumerate() {
        let s: Vec<f64> = if i < 3 { s.clone() } else { s.iter().map(|x| x * 0.5).collect() };
        let input = tmp.path().join(format!("sample{i}.json"));
        std::fs::write(&input, serde_json::json!({ "input_data": [s] }).to_string()).unwrap();
        let proof = tmp.path().join(format!("local{i}.json"));
        prove_with(&dir, &input, &proof, &[], &Silent).expect("proves locally");
        let f = ProofFile::read(&proof).unwrap();
        let v: Vec<U256> = f.instances.iter().map(|x| x.parse().unwrap()).collect();
        samples.push((v[1..].to_vec(), v[0]));
    }
    let settings = zkinfer::pipeline::settings::Settings::read(&dir).unwrap();
    let vk: B256 = settings.setup.unwrap().vk_hash.parse().unwrap();

    // the chain: a verifier (zkinfer deploy), an oracle with the model and the operator
    let anvil = start_anvil(31337);
    let url = anvil.url.clone();
    let deployed = zkinfer(&[
        "--json",
        "deploy",
        build.to_str().unwrap(),
        "--rpc-url",
        &url,
        "--private-key",
        DEPLOYER_KEY,
    ]);
    assert!(deployed.status.success(), "{}", String::from_utf8_lossy(&deployed.stderr));
    let deployed: Value = serde_json::from_slice(&deployed.stdout).unwrap();
    let verifier: Address = deployed["contracts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["role"] == "verifier")
        .unwrap()["address"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let rpc = Rpc::connect(RpcOptions::new(&url)).unwrap();
    let solc = zkinfer::evm::find_solc(None).expect("solc");
    let oracle: Address = exec(&rpc, DEPLOYER_KEY, None, compile_oracle(&solc).unwrap().bytecode)
        .contract_address
        .unwrap()
        .parse()
        .unwrap();
    let model = keccak256("credit-v1");
    let other = keccak256("other-model");
    for id in [model, other] {
        exec(
            &rpc,
            DEPLOYER_KEY,
            Some(oracle),
            IInferenceOracle::registerModelCall {
                modelId: id,
                verifier,
                vkHash: vk,
                numOutputs: 1,
                numInstances: 11,
            }
            .abi_encode(),
        );
    }
    exec(
        &rpc,
        DEPLOYER_KEY,
        Some(oracle),
        IInferenceOracle::setOperatorCall {
            operator: signer(OPERATOR_KEY).address(),
            allowed: true,
        }
        .abi_encode(),
    );
    let c = Chain { url, rpc, oracle, model };
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
