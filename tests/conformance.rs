//! The ONNX backend conformance runner on a fast subset of the `onnx` wheel's test data
//! (`scripts/test` installs the pinned wheel into `.venv/`; the full run is
//! `zkinfer conformance --out conformance`).

mod common;

use serde_json::Value;
use zkinfer::pipeline::conformance::{conformance, find_data, write_report, ConformanceOptions, Status};
use zkinfer::pipeline::Silent;

fn data() -> std::path::PathBuf {
    find_data().unwrap_or_else(|e| panic!("{e} (scripts/test installs it into .venv/)"))
}

#[test]
fn fast_subset_passes_and_unsupported_ops_are_named() {
    let opts = ConformanceOptions {
        data: data(),
        suites: vec!["simple".into(), "pytorch-operator".into(), "pytorch-converted".into()],
        filter: vec![
            "test_single_relu_model".into(),
            "test_operator_flatten".into(),
            "test_Linear".into(),
            "test_operator_exp".into(),
            "test_operator_mm".into(),
            "test_operator_chunk".into(),
            "test_operator_add_broadcast".into(),
            "test_Conv2d_depthwise_strided".into(),
            "test_AvgPool2d_stride".into(),
            "test_Softmax".into(),
            "test_PReLU_1d_multiparam".into(),
        ],
        limit: None,
        target: zkinfer::quantize::Target::Resources,
    };
    let report = conformance(&opts, &Silent).expect("runs");
    let case = |name: &str| {
        report
            .cases
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no case {name}: {:?}", report.cases.iter().map(|c| &c.name).collect::<Vec<_>>()))
    };
    for name in [
        "test_single_relu_model",
        "test_operator_flatten",
        "test_Linear",
        "test_Linear_no_bias",
        "test_operator_mm",
        "test_operator_exp",
        "test_Conv2d_depthwise_strided",
        "test_AvgPool2d_stride",
        "test_Softmax",
        "test_PReLU_1d_multiparam",
    ] {
        let c = case(name);
        assert_eq!(c.status, Status::Pass, "{name}: {:?}", c.error);
        assert!(
            c.max_abs_error.unwrap() <= 4.0 * 0.5f64.powi(c.scale.unwrap() as i32) + 0.01,
            "{c:?}"
        );
    }
    // Split (several outputs) is not in the table: named as unsupported
    let chunk = case("test_operator_chunk");
    assert_eq!(chunk.status, Status::Unsupported);
    assert_eq!(chunk.unsupported_ops, ["Split"]);
    assert!(!chunk.in_scope);
    // uninitialised memory (≈1e198) saved as test input: reported as such, outside the scope count
    let bad = case("test_operator_add_broadcast");
    assert_eq!(bad.status, Status::BadData);
    assert!(bad.error.as_deref().unwrap().contains("no fixed-point representation"), "{bad:?}");
    assert_eq!(
        report.passed + report.failed + report.unsupported + report.bad_data,
        report.cases.len()
    );
    assert_eq!(report.in_scope_passed, report.passed);
    assert!(report
        .summary()
        .starts_with(&format!("{} passed, {} failed", report.passed, report.failed)));

    let tmp = tempfile::tempdir().unwrap();
    let files = write_report(&report, tmp.path()).expect("written");
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
    assert_eq!(manifest["cases"].as_array().unwrap().len(), report.cases.len());
    let md = std::fs::read_to_string(&files[1]).unwrap();
    assert!(md.contains(&report.summary()) && md.contains("Split (1)"), "{md}");
}

#[test]
fn cli_runs_a_case_and_refuses_a_missing_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("conf");
    let o = common::zkinfer(&[
        "--json",
        "conformance",
        data().to_str().unwrap(),
        "--suite",
        "simple",
        "--filter",
        "test_single_relu_model",
        "--target",
        "resources",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["passed"], 1);
    assert!(out.join("REPORT.md").is_file() && out.join("manifest.json").is_file());
    let o = common::zkinfer(&["conformance", "/nonexistent/onnx/data", "--out", out.to_str().unwrap()]);
    common::assert_fails(&o, &["/nonexistent/onnx/data is not a directory"]);
}

/// Every case of the data set ends in a verdict with a typed error, never a panic.
#[test]
fn no_case_panics() {
    let opts = ConformanceOptions {
        data: data(),
        suites: vec![],
        filter: vec![],
        limit: None,
        target: zkinfer::quantize::Target::Resources,
    };
    let report = conformance(&opts, &Silent).expect("runs");
    assert!(report.cases.len() >= 100, "{}", report.summary());
    for c in &report.cases {
        let e = c.error.as_deref().unwrap_or("");
        assert!(!e.contains("panic"), "{}/{}: {e}", c.suite, c.name);
        assert!(c.status == Status::Pass || !e.is_empty(), "{}/{} has no reason", c.suite, c.name);
    }
}
