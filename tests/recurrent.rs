//! Recurrent layers from ONNX to a verified proof: an LSTM (bidirectional, peepholes), a GRU
//! (reverse, `linear_before_reset`) and an RNN (batch first, ReLU) are compiled against
//! onnxruntime's float outputs (tract 0.23.9 computes some of these wrongly; for the
//! batch-first layer, which onnxruntime refuses, zkinfer's own float graph), proved with the
//! development SRS and verified; a changed output is refused.

mod common;

use tract_onnx::pb;
use zkinfer::pipeline::compile::{compile, CompileOptions};
use zkinfer::pipeline::prove::prove;
use zkinfer::pipeline::setup::setup;
use zkinfer::pipeline::verify::verify;
use zkinfer::pipeline::{BuildDir, Settings, Silent};
use zkinfer::proof::proof_file::ProofFile;
use zkinfer::proof::SrsSource;

/// Seeded weights in [-0.5, 0.5).
fn weights(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        })
        .collect()
}

fn attr_int(name: &str, i: i64) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: 2,
        i,
        ..Default::default()
    }
}

fn attr_str(name: &str, s: &str) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: 3,
        s: s.as_bytes().to_vec(),
        ..Default::default()
    }
}

fn attr_strs(name: &str, v: &[&str]) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: 8,
        strings: v.iter().map(|s| s.as_bytes().to_vec()).collect(),
        ..Default::default()
    }
}

struct Layer<'a> {
    op: &'a str,
    gates: usize,
    dirs: usize,
    attrs: Vec<pb::AttributeProto>,
    peepholes: bool,
    batch_first: bool,
}

/// Compiles, sets up, proves and verifies `layer` (input 2, hidden 3, sequence 3, batch 1)
/// on seeded inputs; returns the build and proof paths and the compile report's fidelity.
fn prove_layer(layer: Layer) -> (tempfile::TempDir, BuildDir, std::path::PathBuf) {
    let (input, hidden, seq) = (2usize, 3usize, 3usize);
    let (g, d) = (layer.gates, layer.dirs);
    let mut inits = vec![
        common::init(
            "w",
            &[d as i64, (g * hidden) as i64, input as i64],
            weights(d * g * hidden * input, 1),
        ),
        common::init(
            "r",
            &[d as i64, (g * hidden) as i64, hidden as i64],
            weights(d * g * hidden * hidden, 2),
        ),
        common::init("b", &[d as i64, (2 * g * hidden) as i64], weights(d * 2 * g * hidden, 3)),
    ];
    let mut inputs = vec!["x", "w", "r", "b"];
    if layer.peepholes {
        inits.push(common::init("p", &[d as i64, (3 * hidden) as i64], weights(d * 3 * hidden, 4)));
        inputs.extend(["", "", "", "p"]);
    }
    let mut node = common::node("layer", layer.op, &inputs, &["y"]);
    node.attribute = layer.attrs;
    node.attribute.push(attr_int("hidden_size", hidden as i64));
    let (x_shape, y_shape): (Vec<i64>, Vec<i64>) = if layer.batch_first {
        (vec![1, seq as i64, input as i64], vec![1, seq as i64, d as i64, hidden as i64])
    } else {
        (vec![seq as i64, 1, input as i64], vec![seq as i64, d as i64, 1, hidden as i64])
    };
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("layer.onnx");
    std::fs::write(
        &model,
        common::onnx_model_at(14, ("x", &x_shape), ("y", &y_shape), vec![node], inits),
    )
    .unwrap();
    let data = tmp.path().join("input.json");
    let samples: Vec<Vec<f32>> = (0..3)
        .map(|s| weights(seq * input, 10 + s).iter().map(|v| 2.0 * v).collect())
        .collect();
    std::fs::write(&data, serde_json::json!({ "input_data": [samples[0]] }).to_string()).unwrap();
    let calib = tmp.path().join("calibration.json");
    let flat: Vec<f32> = samples.concat();
    std::fs::write(&calib, serde_json::json!({ "input_data": [flat] }).to_string()).unwrap();
    let dir = BuildDir(tmp.path().join("build"));
    let opts = CompileOptions {
        model,
        data: vec![calib],
        out: dir.path().to_path_buf(),
        like: None,
        batch: 1,
        optimize: Default::default(),
        calibration: Default::default(),
    };
    let report = compile(&opts, &Silent).unwrap_or_else(|e| panic!("{}: {e}", layer.op));
    // onnxruntime 1.32 refuses batch-first layers: zkinfer's own float graph is their reference
    let want = if layer.batch_first { "zkinfer float graph" } else { "onnxruntime" };
    assert!(report.fidelity.reference.starts_with(want), "{}", report.fidelity.reference);
    assert!(report.fidelity.within_tolerance, "{}: {:?}", layer.op, report.fidelity);
    assert!(report.k <= 14, "{}: k {}", layer.op, report.k);
    setup(&dir, &SrsSource::Dev, &Silent).expect("setup");
    let proof = tmp.path().join("proof.json");
    prove(&dir, &data, &proof, &Silent).expect("proves");
    verify(&dir, &proof, &Silent).unwrap_or_else(|e| panic!("{}: {e}", layer.op));
    (tmp, dir, proof)
}

/// The proof with its first output instance changed (the file kept self-consistent) is refused.
fn refuses_a_changed_output(tmp: &tempfile::TempDir, dir: &BuildDir, proof: &std::path::Path) {
    let mut file = ProofFile::read(proof).unwrap();
    let settings = Settings::read(dir).unwrap();
    let mut inst = file.instance_values(proof).unwrap();
    inst[0] += halo2_axiom::halo2curves::bn256::Fr::one();
    file.instances[0] = zkinfer::proof::proof_file::encode_instance(&inst[0]);
    file.outputs = zkinfer::pipeline::verify::outputs_from_instances(&settings, &inst).unwrap();
    let edited = tmp.path().join("edited.json");
    file.write(&edited).unwrap();
    let e = verify(dir, &edited, &Silent).unwrap_err().to_string();
    assert!(e.contains("proof rejected"), "{e}");
}

#[test]
fn a_bidirectional_lstm_with_peepholes_proves_and_verifies() {
    let (tmp, dir, proof) = prove_layer(Layer {
        op: "LSTM",
        gates: 4,
        dirs: 2,
        attrs: vec![attr_str("direction", "bidirectional")],
        peepholes: true,
        batch_first: false,
    });
    refuses_a_changed_output(&tmp, &dir, &proof);
}

#[test]
fn a_reverse_gru_with_linear_before_reset_proves_and_verifies() {
    let (tmp, dir, proof) = prove_layer(Layer {
        op: "GRU",
        gates: 3,
        dirs: 1,
        attrs: vec![attr_str("direction", "reverse"), attr_int("linear_before_reset", 1)],
        peepholes: false,
        batch_first: false,
    });
    refuses_a_changed_output(&tmp, &dir, &proof);
}

#[test]
fn a_batch_first_relu_rnn_proves_and_verifies() {
    // tract 0.23.9 would compute tanh here
    prove_layer(Layer {
        op: "RNN",
        gates: 1,
        dirs: 1,
        attrs: vec![attr_int("layout", 1), attr_strs("activations", &["Relu"])],
        peepholes: false,
        batch_first: true,
    });
}
