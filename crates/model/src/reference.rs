//! Float reference outputs from onnxruntime, for models tract cannot run (the `ai.onnx.ml`
//! operators of scikit-learn, XGBoost and LightGBM exports).
//!
//! onnxruntime is the reference runtime of `ai.onnx.ml`. zkinfer runs it through its Python
//! package: `$ZKINFER_PYTHON`, else the checkout's `.venv/bin/python` (which `scripts/test`
//! fills from `requirements-conformance.txt`), else `python3` on `PATH`. The model and the
//! samples go in as files and JSON; each sample runs with batch 1, single-threaded.

use super::ModelError;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The Python program that runs the model: reads a request on stdin, prints the outputs as JSON.
const RUNNER: &str = r#"
import json, sys
import numpy as np
import onnxruntime as ort
req = json.load(sys.stdin)
opts = ort.SessionOptions()
opts.intra_op_num_threads = 1
opts.inter_op_num_threads = 1
sess = ort.InferenceSession(req["model"], opts, providers=["CPUExecutionProvider"])
types = {i.name: i.type for i in sess.get_inputs()}
dtypes = {"tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(int64)": np.int64,
          "tensor(int32)": np.int32, "tensor(float16)": np.float16, "tensor(bool)": np.bool_}
def flat(r):
    if isinstance(r, list):  # ZipMap: a list of {label: probability}
        return [float(v) for d in r for v in d.values()]
    return np.asarray(r, dtype=np.float64).ravel().tolist()
outs = []
for sample in req["samples"]:
    feed = {}
    for name, shape, vals in zip(req["inputs"], req["shapes"], sample):
        t = types.get(name)
        if t not in dtypes:
            raise SystemExit("input %s has type %s, which zkinfer cannot feed" % (name, t))
        feed[name] = np.array(vals, dtype=np.float64).astype(dtypes[t]).reshape(shape)
    outs.append([flat(r) for r in sess.run(req["outputs"], feed)])
print(json.dumps({"version": ort.__version__, "outputs": outs}))
"#;

/// The Python interpreter to run onnxruntime with.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("ZKINFER_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    if venv.exists() {
        return venv;
    }
    PathBuf::from("python3")
}

/// Float outputs per sample: one flat list per output.
pub type Outputs = Vec<Vec<Vec<f64>>>;

/// The float outputs of `model` (ONNX bytes) on each sample, named outputs in order, with the
/// runtime's version string.
pub fn run(
    model: &[u8],
    inputs: &[(String, Vec<usize>)],
    outputs: &[String],
    samples: &[Vec<Vec<f64>>],
) -> Result<(String, Outputs), ModelError> {
    let fail = |reason: String| ModelError::Reference(reason);
    let mut file = tempfile::Builder::new()
        .prefix("zkinfer-reference-")
        .suffix(".onnx")
        .tempfile()
        .map_err(|e| fail(format!("cannot write a temporary model file ({e})")))?;
    file.write_all(model)
        .map_err(|e| fail(format!("cannot write a temporary model file ({e})")))?;
    let request = serde_json::json!({
        "model": file.path(),
        "inputs": inputs.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        "shapes": inputs.iter().map(|(_, s)| s).collect::<Vec<_>>(),
        "outputs": outputs,
        "samples": samples,
    });
    let py = python();
    let mut child = Command::new(&py)
        .arg("-c")
        .arg(RUNNER)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            fail(format!(
                "cannot start {} ({e}); set ZKINFER_PYTHON to a Python with onnxruntime (`pip install onnxruntime`)",
                py.display()
            ))
        })?;
    let body = serde_json::to_vec(&request).map_err(|e| fail(e.to_string()))?;
    // a writer thread: the child may fill its stdout pipe before reading all of stdin
    let mut stdin = child.stdin.take().expect("piped stdin");
    let writer = std::thread::spawn(move || stdin.write_all(&body));
    let out = child
        .wait_with_output()
        .map_err(|e| fail(format!("{} failed ({e})", py.display())))?;
    let _ = writer.join();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string();
        if err.contains("No module named 'onnxruntime'") || err.contains("No module named 'numpy'") {
            return Err(fail(format!(
                "{} has no onnxruntime ({last}); install it (`pip install onnxruntime`) or set ZKINFER_PYTHON to a Python that has it",
                py.display()
            )));
        }
        return Err(fail(format!("onnxruntime could not run the model: {last}")));
    }
    #[derive(serde::Deserialize)]
    struct Reply {
        version: String,
        outputs: Vec<Vec<Vec<f64>>>,
    }
    let reply: Reply = serde_json::from_slice(&out.stdout).map_err(|e| fail(format!("unreadable reply from onnxruntime ({e})")))?;
    if reply.outputs.len() != samples.len() {
        return Err(fail(format!(
            "onnxruntime answered {} of {} samples",
            reply.outputs.len(),
            samples.len()
        )));
    }
    Ok((format!("onnxruntime {}", reply.version), reply.outputs))
}
