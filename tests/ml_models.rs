//! The models credit teams ship, as their exporters write them: scikit-learn pipelines
//! (StandardScaler + LogisticRegression / MLPClassifier / LinearRegression / LinearSVC),
//! GradientBoosting and RandomForest (skl2onnx), XGBoost and LightGBM (onnxmltools).
//! `scripts/ml_models.py` (pinned packages in `.venv`, installed by `scripts/test`) trains and
//! exports them with a fixed seed and writes onnxruntime's outputs on held-out samples.
//!
//! For each model: compile on its calibration samples (circuits of k ≤ 12), compare the
//! quantized outputs on every held-out sample with onnxruntime (labels equal, scores within
//! the tolerance), prove one sample, verify natively and in revm, and refuse a proof whose
//! label instance was changed, natively and in the EVM.

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use zkinfer::evm::LocalEvm;
use zkinfer::pipeline::compile::{compile, CompileOptions};
use zkinfer::pipeline::gas::deploy;
use zkinfer::pipeline::prove::prove;
use zkinfer::pipeline::settings::read_program;
use zkinfer::pipeline::setup::setup;
use zkinfer::pipeline::verifier::{build_verifier, VerifierOptions};
use zkinfer::pipeline::verify::verify;
use zkinfer::pipeline::{BuildDir, Settings, Silent};
use zkinfer::proof::transcript::scalar_bytes;
use zkinfer::proof::ProofFile;
use zkinfer::proof::SrsSource;
use zkinfer::quantize::eval::{evaluate, quantize_inputs};
use zkinfer::quantize::CalibrateOptions;
use zkinfer::solidity::{encode_verify_call, Layout};

/// The generated models (once per test run, cached by the script's hash).
fn models() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let script = root.join("scripts/ml_models.py");
        let hash = {
            use sha2::Digest;
            hex::encode(&sha2::Sha256::digest(std::fs::read(&script).unwrap())[..8])
        };
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("ml-models-{hash}"));
        if !dir.join("done").exists() {
            let python = zkinfer::model::reference::python();
            let out = std::process::Command::new(&python)
                .arg(&script)
                .arg("--out")
                .arg(&dir)
                .output()
                .unwrap_or_else(|e| panic!("cannot run {} ({e}); scripts/test installs .venv", python.display()));
            assert!(
                out.status.success(),
                "scripts/ml_models.py failed (scripts/test installs its packages into .venv): {}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::fs::write(dir.join("done"), "").unwrap();
        }
        dir
    })
}

struct Expect {
    /// Largest error of the score output, relative to its largest magnitude.
    tolerance: f64,
}

fn check(name: &str, expect: Expect) {
    let dir = models();
    let tmp = tempfile::tempdir().unwrap();
    let build = BuildDir(tmp.path().join("build"));
    let opts = CompileOptions {
        model: dir.join(format!("{name}.onnx")),
        data: vec![dir.join(format!("{name}.input.json"))],
        out: build.path().to_path_buf(),
        like: None,
        calibration: CalibrateOptions {
            max_k: 12,
            tolerance: expect.tolerance,
            ..Default::default()
        },
    };
    let report = compile(&opts, &Silent).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(report.k <= 12, "{name}: k = {}", report.k);
    assert!(
        report.fidelity.reference.starts_with("onnxruntime 1.32"),
        "{name}: {}",
        report.fidelity.reference
    );

    // every held-out sample: the quantized outputs (what a proof carries) against onnxruntime
    let test: Value = serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.test.json"))).unwrap()).unwrap();
    let settings = Settings::read(&build).unwrap();
    let program = read_program(&build, &settings).unwrap();
    let samples = test["samples"].as_array().unwrap();
    assert!(samples.len() >= 16);
    // tolerances are relative to the largest magnitude of each output over all samples
    let largest = |name: &str| -> f64 {
        test["outputs"][name]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|v| v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap().abs()))
            .fold(1e-9, f64::max)
    };
    for (i, s) in samples.iter().enumerate() {
        let x: Vec<f64> = s.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let q = quantize_inputs(&program, &[x]).unwrap();
        let (w, _) = evaluate(&program, &q, true).unwrap_or_else(|e| panic!("{name} sample {i}: {e}"));
        let outs = w.dequantized_outputs(&program);
        for (o, values) in program.outputs.iter().zip(&outs) {
            let want: Vec<f64> = test["outputs"][&o.name][i]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            assert_eq!(values.len(), want.len(), "{name} `{}`", o.name);
            if o.name == "label" {
                assert_eq!(values, &want, "{name} sample {i}: label");
            } else {
                let max = largest(&o.name);
                for (a, b) in values.iter().zip(&want) {
                    assert!(
                        (a - b).abs() <= expect.tolerance * max,
                        "{name} sample {i} `{}`: {a} vs {b}",
                        o.name
                    );
                }
            }
        }
    }

    // one proof: natively and in the EVM, and a changed label is refused by both
    let sample: Vec<f64> = samples[0].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let input = tmp.path().join("input.json");
    std::fs::write(&input, serde_json::json!({ "input_data": [sample] }).to_string()).unwrap();
    setup(&build, &SrsSource::Dev, &Silent).unwrap();
    let proof_path = tmp.path().join("proof.json");
    prove(&build, &input, &proof_path, &Silent).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(verify(&build, &proof_path, &Silent).unwrap().verified);
    let file = ProofFile::read(&proof_path).unwrap();
    if let Some(label) = file.outputs.iter().find(|o| o.name == "label") {
        let want = test["outputs"]["label"][0][0].as_f64().unwrap();
        assert_eq!(label.values, vec![want], "{name}: proven label");
    }
    let proof = file.proof_bytes(&proof_path).unwrap();
    let instances: Vec<[u8; 32]> = file.instance_values(&proof_path).unwrap().iter().map(scalar_bytes).collect();
    let verifier = build_verifier(
        &build,
        &VerifierOptions {
            layout: Some(Layout::Embedded),
            ..Default::default()
        },
        &Silent,
    )
    .unwrap();
    let mut evm = LocalEvm::new();
    let (addr, _, _) = deploy(&mut evm, &verifier).unwrap();
    let accepted = |evm: &mut LocalEvm, inst: &[[u8; 32]]| {
        let out = evm.call(addr, &encode_verify_call(&proof, inst)).unwrap();
        out.success && out.output.len() == 32 && out.output[31] == 1
    };
    assert!(accepted(&mut evm, &instances), "{name}: the EVM verifier accepts the proof");
    // the first instance is the first output (the label, or the regression value) + 1
    let mut changed = instances.clone();
    let v = zkinfer::proof::transcript::scalar_from_bytes(&changed[0]).unwrap() + halo2_axiom::halo2curves::bn256::Fr::one();
    changed[0] = scalar_bytes(&v);
    assert!(!accepted(&mut evm, &changed), "{name}: a changed output is refused in the EVM");
    let vk = zkinfer::proof::read_vk(&build.vk(), settings.shape).unwrap();
    let params = zkinfer::proof::srs::read_params(&build.srs(), Some(settings.k)).unwrap();
    let inst: Vec<_> = changed
        .iter()
        .map(|c| zkinfer::proof::transcript::scalar_from_bytes(c).unwrap())
        .collect();
    assert!(
        zkinfer::proof::verify(&params, &vk, &proof, &inst).is_err(),
        "{name}: refused natively"
    );
}

#[test]
fn sklearn_logistic_regression_pipeline() {
    check("logreg", Expect { tolerance: 0.05 });
}

#[test]
fn sklearn_mlp_pipeline() {
    check("mlp", Expect { tolerance: 0.03 });
}

#[test]
fn sklearn_linear_regression_pipeline() {
    check("linreg", Expect { tolerance: 0.02 });
}

#[test]
fn sklearn_linear_svc_pipeline() {
    check("svm", Expect { tolerance: 0.08 });
}

#[test]
fn sklearn_gradient_boosting_classifier() {
    check("gb", Expect { tolerance: 0.01 });
}

#[test]
fn sklearn_gradient_boosting_regressor() {
    check("gb_reg", Expect { tolerance: 0.01 });
}

#[test]
fn sklearn_random_forest() {
    check("rf", Expect { tolerance: 0.01 });
}

#[test]
fn xgboost_classifier() {
    check("xgb", Expect { tolerance: 0.01 });
}

#[test]
fn lightgbm_classifier() {
    check("lgbm", Expect { tolerance: 0.01 });
}
