//! Shared helpers of the integration tests.
#![allow(dead_code)]

pub mod oracle;

use prost::Message;
use std::path::{Path, PathBuf};
use std::process::Output;
use tract_onnx::pb;
use zkinfer::pipeline::compile::{compile, CompileOptions};
use zkinfer::pipeline::prove::prove;
use zkinfer::pipeline::setup::setup;
use zkinfer::pipeline::{BuildDir, Silent};
use zkinfer::proof::SrsSource;
use zkinfer::quantize::CalibrateOptions;

/// Repository path of a bundled model file.
pub fn model(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models").join(name)
}

/// A compiled, set-up build directory with one proof.
pub struct Built {
    pub tmp: tempfile::TempDir,
    pub dir: BuildDir,
    pub proof: PathBuf,
    pub input: PathBuf,
}

/// Compiles, sets up (dev SRS) and proves a bundled model.
pub fn build(name: &str) -> Built {
    build_with(name, CalibrateOptions::default())
}

/// Like [`build`] with calibration options.
pub fn build_with(name: &str, calibration: CalibrateOptions) -> Built {
    build_from(model(&format!("{name}.onnx")), model(&format!("{name}.input.json")), calibration)
}

/// Compiles `onnx` calibrated on `input` (which it then proves), sets up (dev SRS), proves.
pub fn build_from(onnx: PathBuf, input: PathBuf, calibration: CalibrateOptions) -> Built {
    build_optimized(onnx, input, calibration, Default::default())
}

/// Like [`build_from`] with the layout picked for `optimize`.
pub fn build_optimized(onnx: PathBuf, input: PathBuf, calibration: CalibrateOptions, optimize: zkinfer::circuit::Optimize) -> Built {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("build");
    let opts = CompileOptions {
        model: onnx,
        data: vec![input.clone()],
        out: out.clone(),
        like: None,
        batch: 1,
        optimize,
        calibration,
    };
    compile(&opts, &Silent).expect("compiles");
    let dir = BuildDir(out);
    setup(&dir, &SrsSource::Dev, &Silent).expect("setup");
    let proof = tmp.path().join("proof.json");
    prove(&dir, &input, &proof, &Silent).expect("proves");
    Built { tmp, dir, proof, input }
}

/// Runs the zkinfer binary.
pub fn zkinfer(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(args)
        .output()
        .expect("runs")
}

/// Asserts a failed run with a message containing every needle, and no panic.
pub fn assert_fails(out: &Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "expected failure, got success; stderr: {stderr}");
    assert_eq!(out.status.code(), Some(1), "exit code; stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    for n in needles {
        assert!(stderr.contains(n), "stderr lacks {n:?}: {stderr}");
    }
}

fn value_info(name: &str, dims: &[i64]) -> pb::ValueInfoProto {
    use pb::tensor_shape_proto::{dimension::Value as D, Dimension};
    let shape = pb::TensorShapeProto {
        dim: dims
            .iter()
            .map(|d| Dimension {
                value: Some(D::DimValue(*d)),
                ..Default::default()
            })
            .collect(),
    };
    pb::ValueInfoProto {
        name: name.into(),
        r#type: Some(pb::TypeProto {
            value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                elem_type: 1,
                shape: Some(shape),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A float initializer.
pub fn init(name: &str, dims: &[i64], data: Vec<f32>) -> pb::TensorProto {
    pb::TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: 1,
        float_data: data,
        ..Default::default()
    }
}

/// A node.
pub fn node(name: &str, op: &str, inputs: &[&str], outputs: &[&str]) -> pb::NodeProto {
    pb::NodeProto {
        name: name.into(),
        op_type: op.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: outputs.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

/// Encodes a one-input one-output ONNX model (opset 13).
pub fn onnx_model(input: (&str, &[i64]), output: (&str, &[i64]), nodes: Vec<pb::NodeProto>, inits: Vec<pb::TensorProto>) -> Vec<u8> {
    onnx_model_at(13, input, output, nodes, inits)
}

/// Like [`onnx_model`] at another default-domain opset.
pub fn onnx_model_at(
    opset: i64,
    input: (&str, &[i64]),
    output: (&str, &[i64]),
    nodes: Vec<pb::NodeProto>,
    inits: Vec<pb::TensorProto>,
) -> Vec<u8> {
    let graph = pb::GraphProto {
        name: "g".into(),
        node: nodes,
        initializer: inits,
        input: vec![value_info(input.0, input.1)],
        output: vec![value_info(output.0, output.1)],
        ..Default::default()
    };
    let model = pb::ModelProto {
        ir_version: 7,
        opset_import: vec![pb::OperatorSetIdProto {
            domain: String::new(),
            version: opset,
        }],
        graph: Some(graph),
        ..Default::default()
    };
    model.encode_to_vec()
}

/// `model` with the first value of its first weight initializer (more than one value) changed
/// to `value`, written to `path`.
pub fn with_changed_weight(model: &std::path::Path, path: &std::path::Path, value: f32) {
    let mut m = pb::ModelProto::decode(std::fs::read(model).unwrap().as_slice()).unwrap();
    let graph = m.graph.as_mut().unwrap();
    let t = graph
        .initializer
        .iter_mut()
        .find(|t| t.dims.iter().product::<i64>() > 1)
        .expect("a weight initializer");
    if t.float_data.is_empty() {
        let mut raw = t.raw_data.clone();
        raw[..4].copy_from_slice(&value.to_le_bytes());
        t.raw_data = raw;
    } else {
        t.float_data[0] = value;
    }
    std::fs::write(path, m.encode_to_vec()).unwrap();
}

/// A running anvil (the npm package's binary), killed when dropped.
pub struct Anvil {
    /// The process.
    pub child: std::process::Child,
    /// Its JSON-RPC URL.
    pub url: String,
    /// Its port.
    pub port: u16,
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The anvil binary of the npm package `@foundry-rs/anvil`.
pub fn anvil_binary() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("node_modules/@foundry-rs");
    std::fs::read_dir(&dir)
        .ok()
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin/anvil"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("no anvil binary under {}: run `npm install` (scripts/test does)", dir.display()))
}

/// A free local TCP port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts anvil on a free port.
pub fn start_anvil(chain_id: u64) -> Anvil {
    start_anvil_on(free_port(), chain_id, &[])
}

/// Starts anvil on `port` with `extra` arguments and waits until it listens.
pub fn start_anvil_on(port: u16, chain_id: u64, extra: &[&str]) -> Anvil {
    use std::time::{Duration, Instant};
    let child = std::process::Command::new(anvil_binary())
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--chain-id",
            &chain_id.to_string(),
            "--quiet",
        ])
        .args(extra)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("anvil starts");
    let anvil = Anvil {
        child,
        url: format!("http://127.0.0.1:{port}"),
        port,
    };
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(30), "anvil did not listen on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
    anvil
}

/// `zkinfer --json deploy BUILD --credit-gate` arguments of the integration tests: a
/// CreditGate approving scores above -1000, attestations valid 7 days, signed by `provider`,
/// deployed with anvil's key #0, the record written to `record`.
pub fn credit_gate_deploy_args(build: &str, rpc_url: &str, provider: &str, record: &str) -> Vec<String> {
    [
        "--json",
        "deploy",
        build,
        "--rpc-url",
        rpc_url,
        "--private-key",
        oracle::DEPLOYER_KEY,
        "--credit-gate",
        "--threshold",
        "-1000",
        "--validity-days",
        "7",
        "--provider",
        provider,
        "--record",
        record,
    ]
    .iter()
    .map(|x| x.to_string())
    .collect()
}
