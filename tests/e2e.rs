//! End to end: compile, set up, prove and verify the bundled models, natively.

mod common;
use common::*;
use zkinfer::model::{InputData, LoadedModel};
use zkinfer::pipeline::verify::verify;
use zkinfer::pipeline::Silent;
use zkinfer::proof::ProofFile;

fn check_model(name: &str) {
    let b = build(name);
    let report = verify(&b.dir, &b.proof, &Silent).expect("verifies");
    assert!(report.verified);
    // proven outputs match tract's float outputs within 1% of the largest magnitude
    let loaded = LoadedModel::load(&model(&format!("{name}.onnx")), None).unwrap();
    let data = InputData::from_file(&b.input).unwrap();
    let float = loaded.run_float(&data.inputs).unwrap();
    let file = ProofFile::read(&b.proof).unwrap();
    let proven = &file.outputs[0].values;
    let max = float[0].iter().fold(0f64, |m, v| m.max(v.abs()));
    for (p, f) in proven.iter().zip(&float[0]) {
        assert!((p - f).abs() <= 0.01 * max, "{name}: proven {p} vs float {f}");
    }
    assert!(file.insecure_dev_srs);
    // every artifact made with the development SRS says so
    assert!(b.dir.path().join("INSECURE-DEV-SRS.txt").exists());
    for f in [b.dir.vk(), b.dir.pk()] {
        let head = std::fs::read(&f).unwrap();
        assert!(String::from_utf8_lossy(&head[..64]).contains("dev-insecure"), "{}", f.display());
    }
    let settings = zkinfer::pipeline::Settings::read(&b.dir).unwrap();
    assert!(settings.setup.unwrap().insecure_dev_srs);
    assert_eq!(file.instances.len(), float[0].len());
}

#[test]
fn credit_model_proves_and_verifies() {
    check_model("credit_mlp");
}

#[test]
fn sigmoid_model_proves_and_verifies() {
    check_model("mlp_sigmoid");
}

#[test]
fn mlp64_model_uses_the_wide_shape_and_verifies() {
    check_model("mlp_64");
    let b = build("mlp_64");
    let s = zkinfer::pipeline::Settings::read(&b.dir).unwrap();
    assert!(s.shape.wide, "two terms per linear row lower k for this model");
    assert!(s.k <= 13, "k = {}", s.k);
}

#[test]
fn credit_model_stays_small() {
    let b = build("credit_mlp");
    let s = zkinfer::pipeline::Settings::read(&b.dir).unwrap();
    assert!(s.k <= 12, "k = {}", s.k);
    let file = ProofFile::read(&b.proof).unwrap();
    assert!(file.proof_bytes(&b.proof).unwrap().len() <= 3072);
}

#[test]
fn public_input_mode_exposes_the_input_as_instances() {
    let opts = zkinfer::quantize::CalibrateOptions {
        visibility: zkinfer::quantize::Visibility {
            input: zkinfer::quantize::Vis::Public,
            ..Default::default()
        },
        ..Default::default()
    };
    let b = build_with("credit_mlp", opts);
    verify(&b.dir, &b.proof, &Silent).expect("verifies");
    let file = ProofFile::read(&b.proof).unwrap();
    assert_eq!(file.instances.len(), 1 + 10);
}

#[test]
fn calldata_command_encodes_the_proof_and_instances() {
    let b = build("credit_mlp");
    let o = zkinfer(&["--json", "calldata", b.proof.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let file = ProofFile::read(&b.proof).unwrap();
    let proof = file.proof_bytes(&b.proof).unwrap();
    // selector, 2 offsets, proof length + padded proof, instance count + instances
    assert_eq!(
        v["bytes"].as_u64().unwrap() as usize,
        4 + 64 + 32 + proof.len().div_ceil(32) * 32 + 32 + 32 * file.instances.len()
    );
    let hexdata = v["calldata"].as_str().unwrap();
    assert!(hexdata.starts_with(v["selector"].as_str().unwrap()));
    assert!(hexdata.contains(&file.proof[2..]));
    assert!(hexdata.ends_with(&file.instances.last().unwrap()[2..]));
}

#[test]
fn demo_command_runs_and_reports_json() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("demo");
    let o = zkinfer(&["demo", "--json", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    assert_eq!(v["verified"], true);
    assert!(v["k"].as_u64().unwrap() <= 12);
    assert!(v["relative_error"].as_f64().unwrap() < 0.01);
    assert_eq!(v["insecure_dev_srs"], true);
    assert!(String::from_utf8_lossy(&o.stderr).contains("INSECURE"));
    // the gradient-boosted model beside the MLP, against onnxruntime (scripts/test fills .venv)
    let t = &v["trees"];
    assert_eq!(t["verified"], true, "{v}");
    assert!(t["k"].as_u64().unwrap() <= 12);
    assert_eq!(t["label"], t["reference_label"]);
    assert!((t["p_default"].as_f64().unwrap() - t["reference_p_default"].as_f64().unwrap()).abs() < 0.01);
    assert!(t["reference"].as_str().unwrap().starts_with("onnxruntime"));
}

#[test]
fn calibration_uses_every_sample_and_targets_differ() {
    use zkinfer::pipeline::compile::{compile, CompileOptions};
    use zkinfer::quantize::{CalibrateOptions, Target};
    let tmp = tempfile::tempdir().unwrap();
    // three samples back to back in one list, plus a second file with one more
    let one = InputData::from_file(&model("credit_mlp.input.json")).unwrap();
    let mut three = one.inputs[0].clone();
    three.extend(one.inputs[0].iter().map(|v| -v));
    three.extend(one.inputs[0].iter().map(|v| v * 0.5));
    let d1 = tmp.path().join("three.json");
    std::fs::write(&d1, InputData { inputs: vec![three] }.to_json()).unwrap();
    let run = |target: Target, out: &str| {
        let opts = CompileOptions {
            model: model("credit_mlp.onnx"),
            data: vec![d1.clone(), model("credit_mlp.input.json")],
            out: tmp.path().join(out),
            like: None,
            batch: 1,
            optimize: Default::default(),
            calibration: CalibrateOptions {
                target,
                ..Default::default()
            },
        };
        compile(&opts, &zkinfer::pipeline::Silent).unwrap()
    };
    let resources = run(Target::Resources, "r");
    assert_eq!(resources.fidelity.samples, 4);
    assert!(resources.fidelity.within_tolerance);
    let accuracy = run(Target::Accuracy, "a");
    assert!(
        accuracy.input_scale > resources.input_scale,
        "{} vs {}",
        accuracy.input_scale,
        resources.input_scale
    );
    assert!(accuracy.k >= resources.k);
    let worst = |r: &zkinfer::pipeline::compile::CompileReport| r.fidelity.outputs[0].max_abs_error;
    assert!(worst(&accuracy) <= worst(&resources));
}
