//! The models credit teams ship, as their exporters write them: scikit-learn pipelines
//! (StandardScaler + LogisticRegression / MLPClassifier / LinearRegression / LinearSVC /
//! SVC and SVR with the linear kernel; a ColumnTransformer one-hot encoding two categorical
//! columns and standardising the rest),
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
        batch: 1,
        optimize: Default::default(),
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
fn sklearn_column_transformer_with_one_hot_categories() {
    check("ohe_logreg", Expect { tolerance: 0.05 });
}

#[test]
fn sklearn_svc_with_the_linear_kernel() {
    check("svc", Expect { tolerance: 0.08 });
}

#[test]
fn sklearn_svr_with_the_linear_kernel() {
    check("svr", Expect { tolerance: 0.02 });
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

/// A one-tree TreeEnsembleRegressor over `[income in dollars, debt ratio]` written by hand:
/// income ≤ 85 000.5 ? (debt < 0.35 ? 1 : 2) : 3.
fn dollar_tree(extra: impl Fn(&mut tract_onnx::pb::NodeProto)) -> Vec<u8> {
    use prost::Message;
    use tract_onnx::pb;
    let ints = |name: &str, v: &[i64]| pb::AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::Ints as i32,
        ints: v.to_vec(),
        ..Default::default()
    };
    let floats = |name: &str, v: &[f32]| pb::AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::Floats as i32,
        floats: v.to_vec(),
        ..Default::default()
    };
    let strings = |name: &str, v: &[&str]| pb::AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::Strings as i32,
        strings: v.iter().map(|s| s.as_bytes().to_vec()).collect(),
        ..Default::default()
    };
    let mut n = common::node("trees", "TreeEnsembleRegressor", &["x"], &["y"]);
    n.domain = "ai.onnx.ml".into();
    n.attribute = vec![
        ints("nodes_treeids", &[0; 5]),
        ints("nodes_nodeids", &[0, 1, 2, 3, 4]),
        ints("nodes_featureids", &[0, 1, 0, 0, 0]),
        strings("nodes_modes", &["BRANCH_LEQ", "BRANCH_LT", "LEAF", "LEAF", "LEAF"]),
        floats("nodes_values", &[85_000.5, 0.35, 0.0, 0.0, 0.0]),
        ints("nodes_truenodeids", &[1, 3, 0, 0, 0]),
        ints("nodes_falsenodeids", &[2, 4, 0, 0, 0]),
        ints("target_treeids", &[0, 0, 0]),
        ints("target_nodeids", &[2, 3, 4]),
        ints("target_ids", &[0, 0, 0]),
        floats("target_weights", &[3.0, 1.0, 2.0]),
        pb::AttributeProto {
            name: "n_targets".into(),
            r#type: pb::attribute_proto::AttributeType::Int as i32,
            i: 1,
            ..Default::default()
        },
    ];
    extra(&mut n);
    let bytes = common::onnx_model(("x", &[-1, 2]), ("y", &[-1, 1]), vec![n], vec![]);
    let mut m = pb::ModelProto::decode(bytes.as_slice()).unwrap();
    m.opset_import.push(pb::OperatorSetIdProto {
        domain: "ai.onnx.ml".into(),
        version: 1,
    });
    m.encode_to_vec()
}

#[test]
fn a_split_on_a_dollar_amount_stays_small_and_exact() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("dollars.onnx");
    std::fs::write(&model, dollar_tree(|_| {})).unwrap();
    // incomes from 20 000 to 200 000, some at the threshold's neighbours
    let mut data = Vec::new();
    for (i, income) in [20_000.0, 85_000.0, 85_001.0, 85_000.5, 120_000.0, 199_999.0, 45_250.0, 85_000.25]
        .iter()
        .enumerate()
    {
        data.push(*income);
        data.push([0.1, 0.35, 0.34, 0.9][i % 4]);
    }
    let input = tmp.path().join("input.json");
    std::fs::write(&input, serde_json::json!({ "input_data": [data.clone()] }).to_string()).unwrap();
    let out = tmp.path().join("build");
    let opts = CompileOptions {
        model: model.clone(),
        data: vec![input.clone()],
        out: out.clone(),
        like: None,
        batch: 1,
        optimize: Default::default(),
        calibration: CalibrateOptions::default(),
    };
    let report = compile(&opts, &Silent).unwrap();
    assert!(
        report.k <= 12,
        "k = {} (the input and split tables must not scale with the dollar range)",
        report.k
    );
    let fidelity = &report.fidelity;
    assert!(fidelity.split_changes.is_empty(), "{:?}", fidelity.split_changes);
    assert_eq!(fidelity.outputs[0].max_abs_error, 0.0, "leaf values are exact");
}

#[test]
fn forms_a_proof_cannot_carry_are_refused_with_the_node_and_attribute() {
    use tract_onnx::pb;
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("input.json");
    std::fs::write(&input, serde_json::json!({ "input_data": [[50_000.0, 0.2]] }).to_string()).unwrap();
    type Edit = Box<dyn Fn(&mut pb::NodeProto)>;
    let cases: Vec<(Edit, &str)> = vec![
        (
            Box::new(|n: &mut pb::NodeProto| {
                let a = n.attribute.iter_mut().find(|a| a.name == "nodes_modes").unwrap();
                a.strings[0] = b"BRANCH_MEMBER".to_vec();
            }),
            "`nodes_modes` \"BRANCH_MEMBER\"",
        ),
        (
            Box::new(|n: &mut pb::NodeProto| {
                n.attribute.push(pb::AttributeProto {
                    name: "aggregate_function".into(),
                    s: b"MIN".to_vec(),
                    ..Default::default()
                })
            }),
            "`aggregate_function` MIN is not supported",
        ),
        (
            Box::new(|n: &mut pb::NodeProto| {
                let a = n.attribute.iter_mut().find(|a| a.name == "nodes_featureids").unwrap();
                a.ints[1] = 7;
            }),
            "feature 7 (`nodes_featureids`)",
        ),
    ];
    for (i, (edit, needle)) in cases.into_iter().enumerate() {
        let model = tmp.path().join(format!("bad{i}.onnx"));
        std::fs::write(&model, dollar_tree(edit)).unwrap();
        let out = tmp.path().join(format!("build{i}"));
        let run = common::zkinfer(&[
            "compile",
            model.to_str().unwrap(),
            "--data",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        common::assert_fails(&run, &["trees", needle]);
        assert!(!out.join("settings.json").exists(), "no partial build");
    }
}

#[test]
fn string_labels_are_refused_naming_the_attribute() {
    // the exported random forest, its integer labels replaced by strings
    use prost::Message;
    let dir = models();
    let mut m = tract_onnx::pb::ModelProto::decode(std::fs::read(dir.join("rf.onnx")).unwrap().as_slice()).unwrap();
    let node = m
        .graph
        .as_mut()
        .unwrap()
        .node
        .iter_mut()
        .find(|n| n.op_type == "TreeEnsembleClassifier")
        .unwrap();
    node.attribute.retain(|a| a.name != "classlabels_int64s");
    node.attribute.push(tract_onnx::pb::AttributeProto {
        name: "classlabels_strings".into(),
        strings: vec![b"repaid".to_vec(), b"default".to_vec()],
        ..Default::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("rf_strings.onnx");
    std::fs::write(&model, m.encode_to_vec()).unwrap();
    let out = tmp.path().join("build");
    let data = dir.join("rf.input.json");
    let run = common::zkinfer(&[
        "compile",
        model.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    common::assert_fails(&run, &["TreeEnsembleClassifier", "`classlabels_strings`"]);
}

/// The gradient-boosted credit model as the attested CreditGate takes it: the probability of
/// repayment as the score, the features hashed, the account bound: `[score, inputHash,
/// account]`, verified in revm.
#[test]
fn a_selected_probability_is_the_gate_score() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let build = tmp.path().join("build");
    let (b, m, d) = (
        build.to_str().unwrap(),
        root.join("models/credit_gbdt.onnx"),
        root.join("models/credit_gbdt.input.json"),
    );
    let o = common::zkinfer(&[
        "--json",
        "compile",
        m.to_str().unwrap(),
        "--data",
        d.to_str().unwrap(),
        "-o",
        b,
        "--input",
        "hashed",
        "--bind",
        "account",
        "--select-output",
        "probabilities[0]",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let settings = Settings::read(&BuildDir(build.clone())).unwrap();
    assert_eq!(settings.num_instances, 3, "[score, inputHash, account]");
    // a name or element the model does not have is refused, naming it
    for (spec, needle) in [("probs[0]", "no output `probs`"), ("probabilities[2]", "has 2 elements")] {
        let o = common::zkinfer(&[
            "compile",
            m.to_str().unwrap(),
            "--data",
            d.to_str().unwrap(),
            "-o",
            b,
            "--select-output",
            spec,
        ]);
        common::assert_fails(&o, &["--select-output", needle]);
    }
}
