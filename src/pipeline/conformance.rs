//! `conformance`: run the ONNX backend test cases (each a model with inputs and expected
//! outputs, as shipped in the `onnx` Python wheel under `onnx/backend/test/data/`) through the
//! whole pipeline — compile (calibrated on the case's input), setup, prove, verify — and compare
//! the proven, dequantized outputs with the expected ones.

use super::compile::{compile, CompileOptions};
use super::prove::prove;
use super::setup::setup;
use super::verify::verify;
use super::{BuildDir, Error, Progress, Silent};
use crate::model::InputData;
use crate::proof::SrsSource;
use crate::quantize::CalibrateOptions;
use prost::Message;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tract_onnx::pb::TensorProto;
use tract_onnx::prelude::Framework;

/// Scales below this one do not widen the comparison tolerance (see [`CaseResult::scale`]).
pub const TOLERANCE_SCALE_FLOOR: u32 = 8;

/// The suites the runner looks for under the data directory.
pub const SUITES: [&str; 4] = ["node", "pytorch-converted", "pytorch-operator", "simple"];

/// What to run.
#[derive(Clone, Debug)]
pub struct ConformanceOptions {
    /// `onnx/backend/test/data`.
    pub data: PathBuf,
    /// Suites to run (default: every one of [`SUITES`] present).
    pub suites: Vec<String>,
    /// Only cases whose name contains one of these (all when empty).
    pub filter: Vec<String>,
    /// Stop after this many cases.
    pub limit: Option<usize>,
    /// Calibration target for every case.
    pub target: crate::quantize::Target,
    /// Run each case in a child process with a time limit (its memory and any abort stay
    /// there); `None` runs the cases in this process.
    pub isolate: Option<Isolation>,
    /// A JSON-lines file each finished case is appended to, so a long run that stops early
    /// leaves its results behind.
    pub journal: Option<PathBuf>,
    /// Take the cases already in the journal from it instead of running them again.
    pub resume: bool,
}

/// How isolated cases run.
#[derive(Clone, Debug)]
pub struct Isolation {
    /// The zkinfer executable (runs `conformance --run-case`).
    pub exe: PathBuf,
    /// Wall-clock limit per case, in seconds; a case that exceeds it fails, naming the limit.
    pub timeout_secs: u64,
}

/// A case's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Proved, verified, and the outputs match.
    Pass,
    /// An error, a failed verification, or outputs outside the tolerance.
    Fail,
    /// The model uses an op (or an input type) zkinfer does not support.
    Unsupported,
    /// The case's own data cannot be represented in fixed point (non-finite values or
    /// magnitudes ≥ 2^40, e.g. uninitialised memory saved as test input).
    BadData,
}

impl Status {
    /// The name used in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Unsupported => "unsupported",
            Status::BadData => "bad_data",
        }
    }
}

/// The op coverage list of the conformance goal: a case is in scope when every op it uses is
/// here (the issue's list plus the ops zkinfer supported before it).
pub const SCOPE_OPS: &[&str] = &[
    "Add",
    "ArgMax",
    "AveragePool",
    "BatchNormalization",
    "Cast",
    "Clip",
    "Concat",
    "Constant",
    "Conv",
    "ConvTranspose",
    "Div",
    "Einsum",
    "Elu",
    "Equal",
    "Erf",
    "Exp",
    "Flatten",
    "Gather",
    "Gelu",
    "Gemm",
    "GlobalAveragePool",
    "Greater",
    "GreaterOrEqual",
    "HardSigmoid",
    "HardSwish",
    "Identity",
    "LayerNormalization",
    "LeakyRelu",
    "Less",
    "LessOrEqual",
    "Log",
    "LogSoftmax",
    "MatMul",
    "MaxPool",
    "Mul",
    "Pad",
    "PRelu",
    "Reciprocal",
    "ReduceMax",
    "ReduceMean",
    "ReduceSum",
    "Relu",
    "Reshape",
    "Sigmoid",
    "Slice",
    "Softmax",
    "Sqrt",
    "Squeeze",
    "Sub",
    "Tanh",
    "Transpose",
    "Unsqueeze",
    "Where",
];

/// One case.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CaseResult {
    /// Suite.
    pub suite: String,
    /// Case (directory) name.
    pub name: String,
    /// Outcome.
    pub status: Status,
    /// The model's op types.
    pub ops: Vec<String>,
    /// Its op types that are not in zkinfer's table.
    pub unsupported_ops: Vec<String>,
    /// Whether every op is in [`SCOPE_OPS`].
    pub in_scope: bool,
    /// The error or mismatch, when not passing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Largest |proven − expected| over the outputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_abs_error: Option<f64>,
    /// Circuit size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<u32>,
    /// Activation (input) scale chosen by calibration: the tolerance is
    /// 4 · 2^-max(scale, 8) + 1% of |expected|.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<u32>,
    /// Graph inputs after the first that were fixed to the case's data (made initializers):
    /// the `node` cases feed weights, pads, shapes and axes as inputs, where a model holds
    /// constants; a case that does not compile with them computed is retried this way.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixed_inputs: Vec<String>,
}

/// The run.
#[derive(Clone, Debug, Serialize)]
pub struct ConformanceReport {
    /// Data directory.
    pub data: String,
    /// Calibration target.
    pub target: crate::quantize::Target,
    /// Cases passed.
    pub passed: usize,
    /// Cases failed.
    pub failed: usize,
    /// Cases with unsupported ops or input types.
    pub unsupported: usize,
    /// Cases whose data is not representable.
    pub bad_data: usize,
    /// Cases in scope (every op in [`SCOPE_OPS`]) with representable data.
    pub in_scope: usize,
    /// Of those, how many pass.
    pub in_scope_passed: usize,
    /// Every case.
    pub cases: Vec<CaseResult>,
}

impl ConformanceReport {
    /// `N passed, N failed` (and the unsupported count).
    pub fn summary(&self) -> String {
        let pct = if self.in_scope > 0 {
            100.0 * self.in_scope_passed as f64 / self.in_scope as f64
        } else {
            0.0
        };
        format!(
            "{} passed, {} failed ({} unsupported, {} with unrepresentable data, {} cases); in scope: {} of {} pass ({pct:.1}%)",
            self.passed,
            self.failed,
            self.unsupported,
            self.bad_data,
            self.cases.len(),
            self.in_scope_passed,
            self.in_scope
        )
    }
}

/// Finds the backend test data of an installed `onnx` wheel: `$ZKINFER_ONNX_DATA`, else asks
/// `python3` (or the project's `.venv/bin/python`).
pub fn find_data() -> Result<PathBuf, Error> {
    if let Ok(p) = std::env::var("ZKINFER_ONNX_DATA") {
        return Ok(PathBuf::from(p));
    }
    let script = "import onnx, os; print(os.path.join(os.path.dirname(onnx.__file__), 'backend', 'test', 'data'))";
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    let pythons = [venv.display().to_string(), "python3".to_string()];
    for py in &pythons {
        if let Ok(out) = std::process::Command::new(py).args(["-c", script]).output() {
            if out.status.success() {
                let p = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
                if p.is_dir() {
                    return Ok(p);
                }
            }
        }
    }
    Err(Error::Usage(
        "no ONNX backend test data: pass its directory, set ZKINFER_ONNX_DATA, or `pip install onnx` (it ships onnx/backend/test/data)"
            .into(),
    ))
}

fn read_tensors(dir: &Path, prefix: &str) -> Result<Vec<Vec<f64>>, String> {
    let mut out = Vec::new();
    for i in 0.. {
        let p = dir.join(format!("{prefix}_{i}.pb"));
        if !p.is_file() {
            break;
        }
        let bytes = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        let t = TensorProto::decode(&bytes[..]).map_err(|e| format!("{}: not a TensorProto: {e}", p.display()))?;
        out.push(crate::model::elem::tensor_values(&t, &format!("{prefix}_{i}"))?);
    }
    Ok(out)
}

/// Runs one case directory (with `model.onnx` and `test_data_set_0/`).
pub fn run_case(suite: &str, case: &Path, target: crate::quantize::Target) -> CaseResult {
    let name = case.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut r = CaseResult {
        suite: suite.into(),
        name,
        status: Status::Fail,
        ops: vec![],
        unsupported_ops: vec![],
        in_scope: false,
        error: None,
        max_abs_error: None,
        k: None,
        scale: None,
        fixed_inputs: vec![],
    };
    let model = case.join("model.onnx");
    match std::fs::read(&model)
        .map_err(|e| e.to_string())
        .and_then(|b| tract_onnx::onnx().proto_model_for_read(&mut &b[..]).map_err(|e| e.to_string()))
    {
        Ok(proto) => {
            let mut ops: Vec<String> = proto.graph.iter().flat_map(|g| g.node.iter().map(|n| n.op_type.clone())).collect();
            ops.sort();
            ops.dedup();
            r.unsupported_ops = ops.iter().filter(|o| crate::model::ops::lookup(o).is_none()).cloned().collect();
            r.in_scope = ops.iter().all(|o| SCOPE_OPS.contains(&o.as_str()));
            r.ops = ops;
        }
        Err(e) => {
            r.error = Some(format!("{}: {e}", model.display()));
            return r;
        }
    }
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| prove_case(case, target, &mut r)));
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err((status, e))) => {
            r.status = status;
            r.error = Some(e);
        }
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            r.status = Status::Fail;
            r.error = Some(format!("panic (a bug in zkinfer): {msg}"));
        }
    }
    r
}

/// Runs one case in a child process (`zkinfer conformance --run-case`) under the time limit.
pub fn run_case_isolated(iso: &Isolation, suite: &str, case: &Path, target: crate::quantize::Target) -> CaseResult {
    let name = case.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let failed = |error: String| CaseResult {
        suite: suite.into(),
        name: name.clone(),
        status: Status::Fail,
        ops: vec![],
        unsupported_ops: vec![],
        in_scope: false,
        error: Some(error),
        max_abs_error: None,
        k: None,
        scale: None,
        fixed_inputs: vec![],
    };
    let tmp = match tempfile::tempdir() {
        Ok(t) => t,
        Err(e) => return failed(format!("temporary directory: {e}")),
    };
    let out = tmp.path().join("case.json");
    let target_name = match target {
        crate::quantize::Target::Resources => "resources",
        crate::quantize::Target::Accuracy => "accuracy",
    };
    let child = std::process::Command::new(&iso.exe)
        .arg("conformance")
        .arg("--quiet")
        .arg("--run-case")
        .arg(case)
        .arg("--run-case-suite")
        .arg(suite)
        .arg("--run-case-out")
        .arg(&out)
        .arg("--target")
        .arg(target_name)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return failed(format!("cannot start {}: {e}", iso.exe.display())),
    };
    // stderr is read on a thread so a chatty child cannot block on a full pipe
    let stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut s) = stderr {
            use std::io::Read;
            let _ = s.read_to_string(&mut text);
        }
        text
    });
    let start = std::time::Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break Ok(st),
            Ok(None) if start.elapsed().as_secs() >= iso.timeout_secs => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!(
                    "exceeded the per-case time limit of {} s (conformance --case-timeout)",
                    iso.timeout_secs
                ));
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(50)),
            Err(e) => break Err(format!("waiting for the case process: {e}")),
        }
    };
    let stderr = reader.join().unwrap_or_default();
    match status {
        Err(e) => failed(e),
        Ok(st) => match std::fs::read_to_string(&out)
            .ok()
            .and_then(|t| serde_json::from_str::<CaseResult>(&t).ok())
        {
            Some(r) => r,
            None => {
                let tail: String = stderr.lines().rev().take(3).collect::<Vec<_>>().join(" | ");
                failed(format!("the case process ended ({st}) without a result: {tail}"))
            }
        },
    }
}

fn prove_case(case: &Path, target: crate::quantize::Target, r: &mut CaseResult) -> Result<(), (Status, String)> {
    let data_dir = case.join("test_data_set_0");
    let unsupported = |e: String| (Status::Unsupported, e);
    let inputs = read_tensors(&data_dir, "input").map_err(unsupported)?;
    let expected = read_tensors(&data_dir, "output").map_err(unsupported)?;
    if expected.is_empty() {
        return Err((
            Status::BadData,
            format!("{}: no output_0.pb (the case ships no expected outputs)", data_dir.display()),
        ));
    }
    if inputs.is_empty() {
        return Err((
            Status::Unsupported,
            "the model takes no inputs (its outputs are constants): there is nothing to prove".into(),
        ));
    }
    for (what, lists) in [("input", &inputs), ("output", &expected)] {
        for (i, list) in lists.iter().enumerate() {
            if let Some((j, v)) = list.iter().enumerate().find(|(_, v)| !v.is_finite() || v.abs() >= 2f64.powi(40)) {
                return Err((
                    Status::BadData,
                    format!("{what}_{i}.pb value #{j} = {v:e} has no fixed-point representation (non-finite or ≥ 2^40; uninitialised memory in the test data?)"),
                ));
            }
        }
    }
    let tmp = tempfile::tempdir().map_err(|e| (Status::Fail, format!("temporary directory: {e}")))?;
    let model = case.join("model.onnx");
    match attempt(&model, &inputs, &expected, target, tmp.path(), r) {
        Err(Attempt::Compile(_, first)) if inputs.len() > 1 => {
            let (fixed, names) = fix_inputs(&model, &data_dir, tmp.path()).map_err(|e| (Status::Fail, e))?;
            r.fixed_inputs = names;
            attempt(&fixed, &inputs[..1], &expected, target, tmp.path(), r).map_err(|a| {
                let (status, e) = a.into_parts();
                let names = r.fixed_inputs.join(", ");
                (status, format!("{e} (with inputs {names} fixed; with them computed: {first})"))
            })
        }
        other => other.map_err(Attempt::into_parts),
    }
}

/// Why an attempt failed: while compiling (the model's form; worth retrying with fixed
/// inputs), or later.
enum Attempt {
    Compile(Status, String),
    Later(Status, String),
}

impl Attempt {
    fn into_parts(self) -> (Status, String) {
        match self {
            Attempt::Compile(s, e) | Attempt::Later(s, e) => (s, e),
        }
    }
}

/// The case's model with graph inputs 1.. turned into initializers holding the case's data.
fn fix_inputs(model: &Path, data_dir: &Path, tmp: &Path) -> Result<(PathBuf, Vec<String>), String> {
    use prost::Message;
    let bytes = std::fs::read(model).map_err(|e| e.to_string())?;
    let mut proto = tract_onnx::pb::ModelProto::decode(&bytes[..]).map_err(|e| e.to_string())?;
    let graph = proto.graph.as_mut().ok_or("the model has no graph")?;
    let inits: Vec<String> = graph.initializer.iter().map(|t| t.name.clone()).collect();
    let runtime: Vec<usize> = (0..graph.input.len()).filter(|&i| !inits.contains(&graph.input[i].name)).collect();
    let mut names = Vec::new();
    for (j, &i) in runtime.iter().enumerate().skip(1).rev() {
        let name = graph.input[i].name.clone();
        let file = data_dir.join(format!("input_{j}.pb"));
        let raw = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let mut t = tract_onnx::pb::TensorProto::decode(&raw[..]).map_err(|e| format!("{}: {e}", file.display()))?;
        t.name = name.clone();
        graph.initializer.push(t);
        graph.input.remove(i);
        names.insert(0, name);
    }
    let out = tmp.join("model-fixed-inputs.onnx");
    std::fs::write(&out, proto.encode_to_vec()).map_err(|e| e.to_string())?;
    Ok((out, names))
}

/// Compiles, sets up, proves and verifies `model` on `inputs` and compares with `expected`.
fn attempt(
    model: &Path,
    inputs: &[Vec<f64>],
    expected: &[Vec<f64>],
    target: crate::quantize::Target,
    tmp: &Path,
    r: &mut CaseResult,
) -> Result<(), Attempt> {
    let later = |(s, e): (Status, String)| Attempt::Later(s, e);
    let input = tmp.join("input.json");
    std::fs::write(&input, InputData { inputs: inputs.to_vec() }.to_json()).map_err(|e| Attempt::Later(Status::Fail, e.to_string()))?;
    let dir = BuildDir(tmp.join("build"));
    // A failure in a model with ops outside the table is put down to them.
    let has_unsupported = !r.unsupported_ops.is_empty();
    let classify = |e: Error| match &e {
        Error::Model(crate::model::ModelError::UnsupportedOp { .. } | crate::model::ModelError::UnsupportedForm { .. }) => {
            (Status::Unsupported, e.to_string())
        }
        _ if has_unsupported => (Status::Unsupported, e.to_string()),
        _ => (Status::Fail, e.to_string()),
    };
    let opts = CompileOptions {
        model: model.to_path_buf(),
        data: vec![input.clone()],
        out: dir.0.clone(),
        like: None,
        batch: 1,
        optimize: Default::default(),
        calibration: CalibrateOptions {
            target,
            // the per-element check below is stricter than calibration's default 1% of the
            // largest output; ask calibration for more headroom
            tolerance: 0.001,
            // the per-element check below decides; a case is never grown past --max-k
            when_inaccurate: crate::quantize::WhenInaccurate::Accept,
            ..Default::default()
        },
    };
    let c = compile(&opts, &Silent).map_err(|e| {
        let retry = matches!(e, Error::Model(_));
        let (s, m) = classify(e);
        if retry && s == Status::Fail {
            Attempt::Compile(s, m)
        } else {
            Attempt::Later(s, m)
        }
    })?;
    r.k = Some(c.k);
    r.scale = Some(c.input_scale);
    // a coarse scale (chosen when the outputs are nearly exact there) does not widen the
    // tolerance beyond 4 · 2^-8: a wrong small integer must not pass as rounding
    let step = 0.5f64.powi(c.input_scale.max(TOLERANCE_SCALE_FLOOR) as i32);
    setup(&dir, &SrsSource::Dev, &Silent).map_err(|e| later(classify(e)))?;
    let proof = tmp.join("proof.json");
    let p = prove(&dir, &input, &proof, &Silent).map_err(|e| later(classify(e)))?;
    let v = verify(&dir, &proof, &Silent).map_err(|e| later(classify(e)))?;
    if !v.verified {
        return Err(Attempt::Later(Status::Fail, "the proof did not verify".into()));
    }
    if p.outputs.len() != expected.len() {
        return Err(Attempt::Later(
            Status::Fail,
            format!("{} proven outputs, {} expected", p.outputs.len(), expected.len()),
        ));
    }
    let mut worst = 0f64;
    let mut mismatch = None;
    for (o, want) in p.outputs.iter().zip(expected) {
        if o.values.len() != want.len() {
            return Err(Attempt::Later(
                Status::Fail,
                format!("output `{}`: {} values, {} expected", o.name, o.values.len(), want.len()),
            ));
        }
        for (i, (&got, &exp)) in o.values.iter().zip(want).enumerate() {
            let err = (got - exp).abs();
            worst = worst.max(err);
            if err > 4.0 * step + 0.01 * exp.abs() && mismatch.is_none() {
                mismatch = Some(format!(
                    "output `{}`[{i}]: proven {got}, expected {exp} (|error| {err:.3e} > 4·2^-{} + 1%)",
                    o.name,
                    c.input_scale.max(TOLERANCE_SCALE_FLOOR)
                ));
            }
        }
    }
    r.max_abs_error = Some(worst);
    match mismatch {
        Some(m) => Err(Attempt::Later(Status::Fail, m)),
        None => {
            r.status = Status::Pass;
            Ok(())
        }
    }
}

/// Runs the cases.
pub fn conformance(opts: &ConformanceOptions, progress: &dyn Progress) -> Result<ConformanceReport, Error> {
    if !opts.data.is_dir() {
        return Err(Error::Usage(format!("{} is not a directory", opts.data.display())));
    }
    let suites: Vec<String> = if opts.suites.is_empty() {
        SUITES
            .iter()
            .map(|s| s.to_string())
            .filter(|s| opts.data.join(s).is_dir())
            .collect()
    } else {
        opts.suites.clone()
    };
    let mut cases = Vec::new();
    for suite in &suites {
        let dir = opts.data.join(suite);
        let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| Error::Usage(format!("suite {}: {e}", dir.display())))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.join("model.onnx").is_file())
            .filter(|p| {
                let n = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                opts.filter.is_empty() || opts.filter.iter().any(|f| n.contains(f.as_str()))
            })
            .collect();
        names.sort();
        cases.extend(names.into_iter().map(|p| (suite.clone(), p)));
    }
    if let Some(l) = opts.limit {
        cases.truncate(l);
    }
    let total = cases.len();
    let mut results = Vec::new();
    let mut done: std::collections::HashMap<(String, String), CaseResult> = Default::default();
    if let Some(j) = &opts.journal {
        let jerr = |e: std::io::Error| Error::Usage(format!("journal {}: {e}", j.display()));
        if opts.resume && j.is_file() {
            let text = std::fs::read_to_string(j).map_err(jerr)?;
            // a line cut short by a stopped run is skipped (the case runs again)
            for r in text.lines().filter_map(|l| serde_json::from_str::<CaseResult>(l).ok()) {
                done.insert((r.suite.clone(), r.name.clone()), r);
            }
        } else {
            if let Some(parent) = j.parent() {
                std::fs::create_dir_all(parent).map_err(jerr)?;
            }
            std::fs::write(j, "").map_err(jerr)?;
        }
    }
    for (i, (suite, case)) in cases.iter().enumerate() {
        let name = case.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let label = format!("[{}/{total}] {suite}/{name}", i + 1);
        if let Some(r) = done.remove(&(suite.clone(), name)) {
            progress.done(&format!("{label}: {} (from the journal)", r.status.as_str()), 0.0);
            results.push(r);
            continue;
        }
        progress.start(&label);
        let t = std::time::Instant::now();
        let r = match &opts.isolate {
            Some(iso) => run_case_isolated(iso, suite, case, opts.target),
            None => run_case(suite, case, opts.target),
        };
        let what = format!("{label}: {}", r.status.as_str());
        progress.done(&what, t.elapsed().as_secs_f64());
        if let Some(j) = &opts.journal {
            use std::io::Write;
            let line = serde_json::to_string(&r).expect("serialisable");
            std::fs::OpenOptions::new()
                .append(true)
                .open(j)
                .and_then(|mut f| writeln!(f, "{line}"))
                .map_err(|e| Error::Usage(format!("journal {}: {e}", j.display())))?;
        }
        results.push(r);
    }
    let count = |s: Status| results.iter().filter(|r| r.status == s).count();
    let (in_scope_passed, in_scope) = scope_counts(&results);
    Ok(ConformanceReport {
        data: opts.data.display().to_string(),
        target: opts.target,
        passed: count(Status::Pass),
        failed: count(Status::Fail),
        unsupported: count(Status::Unsupported),
        bad_data: count(Status::BadData),
        in_scope,
        in_scope_passed,
        cases: results,
    })
}

/// `(passed, total)` over the in-scope cases whose data is representable: the rate the summary
/// and the per-suite table report.
fn scope_counts<'a>(cases: impl IntoIterator<Item = &'a CaseResult>) -> (usize, usize) {
    cases
        .into_iter()
        .filter(|c| c.in_scope && c.status != Status::BadData)
        .fold((0, 0), |(p, n), c| (p + usize::from(c.status == Status::Pass), n + 1))
}

/// Per-suite counts as a Markdown table: cases, each status, and the in-scope pass rate.
fn suite_table(cases: &[CaseResult]) -> String {
    let mut suites: Vec<&str> = cases.iter().map(|c| c.suite.as_str()).collect();
    suites.sort_unstable();
    suites.dedup();
    let mut md =
        String::from("| suite | cases | passed | failed | unsupported | bad data | in scope: passed |\n|---|---|---|---|---|---|---|\n");
    for suite in suites {
        let of: Vec<&CaseResult> = cases.iter().filter(|c| c.suite == suite).collect();
        let count = |s: Status| of.iter().filter(|c| c.status == s).count();
        let (scoped_pass, scoped) = scope_counts(of.iter().copied());
        let rate = if scoped == 0 {
            "—".to_string()
        } else {
            format!("{scoped_pass} of {scoped} ({:.1}%)", 100.0 * scoped_pass as f64 / scoped as f64)
        };
        md.push_str(&format!(
            "| {suite} | {} | {} | {} | {} | {} | {rate} |\n",
            of.len(),
            count(Status::Pass),
            count(Status::Fail),
            count(Status::Unsupported),
            count(Status::BadData)
        ));
    }
    md.push('\n');
    md
}

/// Writes `manifest.json` and `REPORT.md` into `out`.
pub fn write_report(report: &ConformanceReport, out: &Path) -> Result<Vec<PathBuf>, Error> {
    std::fs::create_dir_all(out).map_err(|e| Error::Usage(format!("cannot create {}: {e}", out.display())))?;
    let manifest = out.join("manifest.json");
    let json = serde_json::to_string_pretty(report).expect("serialisable");
    crate::proof::artifact::write_atomic(&manifest, json.as_bytes())?;
    let mut md = String::new();
    md.push_str("# ONNX backend conformance\n\n");
    let target = serde_json::to_value(report.target)
        .expect("target")
        .as_str()
        .unwrap_or("")
        .to_string();
    if report.cases.iter().any(|c| c.suite == "node") {
        md.push_str("Regenerate with (the `node` suite is generated from the `onnx` wheel's case code, the other\n");
        md.push_str("suites are the wheel's `onnx/backend/test/data/`):\n\n```sh\n");
        md.push_str(".venv/bin/python scripts/onnx_node_data.py conformance-data\n");
        md.push_str(&format!(
            "zkinfer conformance conformance-data --out conformance --target {target}\n```\n\n"
        ));
    } else {
        md.push_str(&format!(
            "Regenerate with `zkinfer conformance --out conformance --target {target}` (the data comes from the `onnx` wheel,\n"
        ));
        md.push_str("`onnx/backend/test/data/`). ");
    }
    md.push_str("Each case is compiled (calibrated on its own input), set up with\n");
    md.push_str(&format!(
        "the development SRS, proved and verified (calibration target: {target}); a case passes when every\n"
    ));
    md.push_str("proven output is within 4 · 2^-max(scale, 8) + 1% of the expected value, scale being the\n");
    md.push_str("activation scale calibration chose. A case is *in scope* when every op it uses is in zkinfer's op\n");
    md.push_str("coverage list (`SCOPE_OPS` in `src/pipeline/conformance.rs`); cases whose own data has no\n");
    md.push_str("fixed-point representation (non-finite, or ≥ 2^40) are reported as `bad_data` and left out.\n\n");
    md.push_str(&format!("**{}**\n\n", report.summary()));
    md.push_str(&suite_table(&report.cases));
    let failures: Vec<&CaseResult> = report.cases.iter().filter(|c| c.status == Status::Fail).collect();
    if !failures.is_empty() {
        md.push_str("Failing cases (in scope first):\n\n");
        let (inside, outside): (Vec<&CaseResult>, Vec<&CaseResult>) = failures.into_iter().partition(|c| c.in_scope);
        for c in inside.iter().chain(&outside) {
            let error: String = c.error.clone().unwrap_or_default().replace('\n', " ").chars().take(200).collect();
            let scope = if c.in_scope { "in scope" } else { "not in scope" };
            md.push_str(&format!("- {}/{} ({scope}): {error}\n", c.suite, c.name));
        }
        md.push('\n');
    }
    let fixed = report
        .cases
        .iter()
        .filter(|c| c.status == Status::Pass && !c.fixed_inputs.is_empty())
        .count();
    if fixed > 0 {
        md.push_str(&format!(
            "{fixed} of the passes are `node` cases that feed weights, pads, shapes or axes as graph inputs where a model \
             holds constants: they did not compile with those computed and pass with inputs after the first fixed to \
             the case's data (marked *inputs fixed*).\n\n"
        ));
    }
    let mut by_op: std::collections::BTreeMap<&str, usize> = Default::default();
    for c in &report.cases {
        for o in &c.unsupported_ops {
            *by_op.entry(o.as_str()).or_default() += 1;
        }
    }
    if !by_op.is_empty() {
        md.push_str("Unsupported ops (cases using each):\n\n");
        let mut ops: Vec<_> = by_op.into_iter().collect();
        ops.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let list: Vec<String> = ops.iter().map(|(o, n)| format!("{o} ({n})")).collect();
        md.push_str(&list.join(", "));
        md.push_str("\n\n");
    }
    md.push_str("| suite | case | in scope | status | detail |\n|---|---|---|---|---|\n");
    for c in &report.cases {
        let detail = match c.status {
            Status::Pass => format!(
                "k = {}, scale 2^{}, max error {:.2e}{}",
                c.k.unwrap_or(0),
                c.scale.unwrap_or(0),
                c.max_abs_error.unwrap_or(0.0),
                if c.fixed_inputs.is_empty() {
                    String::new()
                } else {
                    format!("; inputs fixed: {}", c.fixed_inputs.join(", "))
                }
            ),
            Status::Unsupported if !c.unsupported_ops.is_empty() => format!("ops: {}", c.unsupported_ops.join(", ")),
            _ => c.error.clone().unwrap_or_default(),
        };
        let detail = detail.replace('|', "\\|").replace('\n', " ");
        let detail: String = detail.chars().take(300).collect();
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            c.suite,
            c.name,
            if c.in_scope { "yes" } else { "no" },
            c.status.as_str(),
            detail
        ));
    }
    let report_md = out.join("REPORT.md");
    crate::proof::artifact::write_atomic(&report_md, md.as_bytes())?;
    Ok(vec![manifest, report_md])
}
