//! Shared set-up of the operator tests: the credit model as the oracle takes it, anvil, the
//! verifier, an InferenceOracle, and helpers to make requests and read the outcome.

use super::{free_port, start_anvil_on, zkinfer, Anvil};
use alloy::primitives::{keccak256, Address, B256, U256};
use alloy::sol_types::{SolCall, SolEvent};
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

/// anvil's key #3: a second operator (a second worker).
pub const OPERATOR2_KEY: &str = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";

/// anvil's development keys: #0 deploys and owns the oracle, #1 requests, #2 operates.
pub const DEPLOYER_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
pub const REQUESTER_KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
pub const OPERATOR_KEY: &str = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";

pub struct Chain {
    /// anvil's URL.
    pub url: String,
    /// A client.
    pub rpc: Rpc,
    /// The oracle.
    pub oracle: Address,
    /// The served model's id.
    pub model: B256,
}

pub fn signer(key: &str) -> alloy::signers::local::PrivateKeySigner {
    KeySource::PrivateKey(key.into()).signer().unwrap()
}

pub fn exec(rpc: &Rpc, key: &str, to: Option<Address>, data: Vec<u8>) -> Mined {
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
pub fn raw_rpc(url: &str, method: &str, params: Value) -> Value {
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
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let code = out.split(' ').nth(1)?.parse().ok()?;
    Some((code, out.split("\r\n\r\n").nth(1).unwrap_or("").to_string()))
}

pub fn request(c: &Chain, model: B256, inputs: &[U256], uri: &str) -> U256 {
    request_with(c, model, inputs, uri, 0)
}

pub fn request_with(c: &Chain, model: B256, inputs: &[U256], uri: &str, callback_gas: u32) -> U256 {
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
pub fn fulfilments(c: &Chain) -> Vec<(u64, B256)> {
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

pub fn key_of(inputs: &[U256]) -> B256 {
    let mut b = Vec::new();
    for v in inputs {
        b.extend_from_slice(&v.to_be_bytes::<32>());
    }
    keccak256(b)
}

pub fn status_of(c: &Chain, id: u64) -> u8 {
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

pub fn operator_nonce(c: &Chain) -> u64 {
    nonce_of(c, OPERATOR_KEY)
}

/// The number of transactions `key`'s account sent.
pub fn nonce_of(c: &Chain, key: &str) -> u64 {
    c.rpc.nonce(signer(key).address()).unwrap()
}

pub fn operator(config: &Path, extra: &[&str]) -> Command {
    operator_cmd(config, "run", extra, OPERATOR_KEY)
}

/// `zkinfer --json operator SUB --config CONFIG EXTRA…` with the operator key `key`.
pub fn operator_cmd(config: &Path, sub: &str, extra: &[&str], key: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zkinfer"));
    cmd.args(["--json", "operator", sub, "--config", config.to_str().unwrap()])
        .args(extra)
        .env("ZKINFER_TEST_OPERATOR_KEY", key);
    cmd
}

/// Runs the operator until it is idle; its report.
pub fn run_until_idle(config: &Path) -> Value {
    let out = operator(config, &["--exit-when-idle"]).output().expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "operator failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

pub fn spawn(config: &Path, log: &Path) -> Child {
    operator(config, &[])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("starts")
}

pub fn job(port: u16, id: u64) -> Option<Value> {
    match http_get(port, &format!("/jobs/{id}")) {
        Some((200, body)) => serde_json::from_str(&body).ok(),
        _ => None,
    }
}

pub fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < Duration::from_secs(secs), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The credit model (public inputs) compiled and set up, `count` distinct samples proved locally
/// (their public inputs and scores), anvil with its verifier, an InferenceOracle serving it as
/// `credit-v1` (and the same verifier as `other-model`, which no test operator serves), and
/// the accounts of `operators` allowed to fulfil.
pub struct Setup {
    /// Scratch folder (the build is `build/` in it).
    pub tmp: tempfile::TempDir,
    /// The samples: public inputs, score.
    pub samples: Vec<(Vec<U256>, U256)>,
    /// The other registered model.
    pub other: B256,
    /// The chain.
    pub c: Chain,
    /// anvil (stops when dropped).
    pub anvil: Anvil,
}

/// Builds the [`Setup`].
pub fn setup_oracle(operators: &[&str]) -> Setup {
    setup_oracle_with(operators, &[], 1)
}

/// Builds the [`Setup`], anvil started with `anvil_args`, the model compiled with `--batch
/// batch` (registered with `registerBatchModel` when above 1).
pub fn setup_oracle_with(operators: &[&str], anvil_args: &[&str], batch: usize) -> Setup {
    setup_oracle_full(operators, anvil_args, batch, zkinfer::quantize::Vis::Public)
}

/// Builds the [`Setup`] with the model's input `input` (public, or hashed: the requests then
/// carry the input commitment and point to `sample<i>.json` in the scratch folder).
pub fn setup_oracle_full(operators: &[&str], anvil_args: &[&str], batch: usize, input: zkinfer::quantize::Vis) -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    // the credit model as the oracle takes it: public inputs, the score public
    let build = tmp.path().join("build");
    let batch_samples = super::model("credit_mlp.batch.json");
    compile(
        &CompileOptions {
            model: super::model("credit_mlp.onnx"),
            data: vec![batch_samples.clone()],
            out: build.clone(),
            like: None,
            batch,
            optimize: Default::default(),
            calibration: CalibrateOptions {
                visibility: zkinfer::quantize::Visibility {
                    input,
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
        // a batch proof starts with its member count; member 0 is this sample
        let at = usize::from(batch > 1);
        let per = (v.len() - at) / batch;
        samples.push((v[at + 1..at + per].to_vec(), v[at]));
    }
    let per_member = samples[0].0.len() as u32 + 1;
    let settings = zkinfer::pipeline::settings::Settings::read(&dir).unwrap();
    let vk: B256 = settings.setup.unwrap().vk_hash.parse().unwrap();

    // the chain: a verifier (zkinfer deploy), an oracle with the model and the operator
    let anvil = start_anvil_on(free_port(), 31337, anvil_args);
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
        let data = if batch > 1 {
            IInferenceOracle::registerBatchModelCall {
                modelId: id,
                verifier,
                vkHash: vk,
                numOutputs: 1,
                numInstances: per_member,
                batch: batch as u32,
            }
            .abi_encode()
        } else {
            IInferenceOracle::registerModelCall {
                modelId: id,
                verifier,
                vkHash: vk,
                numOutputs: 1,
                numInstances: per_member,
            }
            .abi_encode()
        };
        exec(&rpc, DEPLOYER_KEY, Some(oracle), data);
    }
    for key in operators {
        exec(
            &rpc,
            DEPLOYER_KEY,
            Some(oracle),
            IInferenceOracle::setOperatorCall {
                operator: signer(key).address(),
                allowed: true,
            }
            .abi_encode(),
        );
    }
    let c = Chain { url, rpc, oracle, model };
    Setup {
        tmp,
        samples,
        other,
        c,
        anvil,
    }
}
