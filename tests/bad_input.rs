//! Every bad input gets a clear error, exit code 1, no panic and no partial artifact.

mod common;
use common::*;
use std::path::Path;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn malformed_onnx_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let m = write(tmp.path(), "bad.onnx", b"\x08\x07this is not a protobuf \xff\xff\xff");
    let out_dir = tmp.path().join("out");
    let o = zkinfer(&["compile", s(&m), "--data", s(&model("credit_mlp.input.json")), "--out", s(&out_dir)]);
    assert_fails(&o, &["bad.onnx", "is not a valid ONNX model"]);
    assert!(!out_dir.join("settings.json").exists());
}

#[test]
fn missing_model_file_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let o = zkinfer(&[
        "compile",
        s(&tmp.path().join("nope.onnx")),
        "--data",
        s(&model("credit_mlp.input.json")),
        "--out",
        s(&tmp.path().join("o")),
    ]);
    assert_fails(&o, &["cannot read model file", "nope.onnx"]);
}

#[test]
fn unsupported_op_names_the_op_and_node() {
    let tmp = tempfile::tempdir().unwrap();
    let bytes = onnx_model(
        ("x", &[1, 4]),
        ("y", &[1, 4]),
        vec![node("my_hardmax", "Hardmax", &["x"], &["y"])],
        vec![],
    );
    let m = write(tmp.path(), "hardmax.onnx", &bytes);
    let d = write(tmp.path(), "d.json", br#"{"input_data": [[0.1, 0.2, 0.3, 0.4]]}"#);
    let out_dir = tmp.path().join("out");
    let o = zkinfer(&["compile", s(&m), "--data", s(&d), "--out", s(&out_dir)]);
    assert_fails(&o, &["unsupported ONNX op `Hardmax` at node `my_hardmax`", "supported ops: Abs"]);
    assert!(!out_dir.exists() || !out_dir.join("settings.json").exists());
}

#[test]
fn constant_folded_shape_ops_are_accepted() {
    // Shape → Reshape chains (as PyTorch exports them) fold to constants and need no support.
    let tmp = tempfile::tempdir().unwrap();
    let nodes = vec![
        node("shape", "Shape", &["x"], &["s"]),
        node("reshape", "Reshape", &["x", "s"], &["r"]),
        node("relu", "Relu", &["r"], &["y"]),
    ];
    let bytes = onnx_model(("x", &[1, 4]), ("y", &[1, 4]), nodes, vec![]);
    let m = write(tmp.path(), "shape.onnx", &bytes);
    let d = write(tmp.path(), "d.json", br#"{"input_data": [[0.1, -0.2, 0.3, -0.4]]}"#);
    let o = zkinfer(&["compile", s(&m), "--data", s(&d), "--out", s(&tmp.path().join("out"))]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn bad_input_data_is_reported_and_leaves_no_proof() {
    let b = build("credit_mlp");
    let t = b.tmp.path();
    let cases: Vec<(&str, &[u8], Vec<&str>)> = vec![
        (
            "short.json",
            br#"{"input_data": [[1, 2, 3]]}"#,
            vec!["has 3 values; the model input takes 10"],
        ),
        (
            "text.json",
            br#"{"input_data": [[1, 2, "abc", 4, 5, 6, 7, 8, 9, 10]]}"#,
            vec!["input_data[0][2] is \"abc\", not a number"],
        ),
        ("nojson.json", b"{not json", vec!["not valid JSON"]),
        ("nofield.json", br#"{"data": [[1]]}"#, vec!["missing the `input_data` field"]),
        (
            "two.json",
            br#"{"input_data": [[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]]}"#,
            vec!["holds 2 samples; prove and mock take exactly one"],
        ),
    ];
    for (name, body, needles) in cases {
        let input = write(t, name, body);
        let proof = t.join(format!("{name}.proof.json"));
        let o = zkinfer(&["prove", s(b.dir.path()), "--input", s(&input), "--out", s(&proof)]);
        assert_fails(&o, &needles);
        assert!(!proof.exists(), "{name}: a proof file was left behind");
    }
}

#[test]
fn input_outside_the_calibrated_range_names_node_and_bound() {
    let b = build("credit_mlp");
    let input = write(b.tmp.path(), "big.json", br#"{"input_data": [[100, 0, 0, 0, 0, 0, 0, 0, 0, 0]]}"#);
    let proof = b.tmp.path().join("big.proof.json");
    let o = zkinfer(&["prove", s(b.dir.path()), "--input", s(&input), "--out", s(&proof)]);
    assert_fails(&o, &["node `input`", "outside the calibrated input range [", "--range-margin"]);
    assert!(!proof.exists());
}

#[test]
fn hidden_value_outside_a_lookup_range_names_the_node() {
    // y = relu(x·x): calibrated on x = 0.5 (x² = 0.25), proven on x = 0.9 (x² = 0.81 > 2·0.25)
    let tmp = tempfile::tempdir().unwrap();
    let nodes = vec![node("square", "Mul", &["x", "x"], &["sq"]), node("act", "Relu", &["sq"], &["y"])];
    let m = write(tmp.path(), "sq.onnx", &onnx_model(("x", &[1, 1]), ("y", &[1, 1]), nodes, vec![]));
    let d = write(tmp.path(), "d.json", br#"{"input_data": [[0.5]]}"#);
    let out_dir = tmp.path().join("out");
    let o = zkinfer(&["compile", s(&m), "--data", s(&d), "--out", s(&out_dir), "--scale", "6"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(zkinfer(&["setup", s(&out_dir), "--dev-srs"]).status.success());
    let ok = write(tmp.path(), "ok.json", br#"{"input_data": [[0.5]]}"#);
    assert!(zkinfer(&["prove", s(&out_dir), "-i", s(&ok), "-o", s(&tmp.path().join("p.json"))])
        .status
        .success());
    let big = write(tmp.path(), "big.json", br#"{"input_data": [[0.9]]}"#);
    let o = zkinfer(&["prove", s(&out_dir), "-i", s(&big), "-o", s(&tmp.path().join("p2.json"))]);
    assert_fails(&o, &["node `act`", "outside the calibrated relu input range [-32, 32]"]);
}

#[test]
fn damaged_keys_proofs_and_srs_are_reported() {
    let b = build("credit_mlp");
    let dir = s(b.dir.path()).to_string();
    let verify = |proof: &Path| zkinfer(&["verify", &dir, s(proof)]);

    // truncated proving key
    let pk = std::fs::read(b.dir.pk()).unwrap();
    std::fs::write(b.dir.pk(), &pk[..pk.len() / 2]).unwrap();
    let p2 = b.tmp.path().join("p2.json");
    assert_fails(
        &zkinfer(&["prove", &dir, "-i", s(&b.input), "-o", s(&p2)]),
        &["pk.bin", "not the file setup wrote"],
    );
    assert!(!p2.exists());
    std::fs::write(b.dir.pk(), &pk).unwrap();

    // corrupted verifying key
    let vk = std::fs::read(b.dir.vk()).unwrap();
    let mut bad = vk.clone();
    let n = bad.len();
    bad[n - 7] ^= 0x55;
    std::fs::write(b.dir.vk(), &bad).unwrap();
    assert_fails(&verify(&b.proof), &["vk.bin", "not the file setup wrote"]);
    std::fs::write(b.dir.vk(), b"not a key").unwrap();
    assert_fails(&verify(&b.proof), &["vk.bin", "not the file setup wrote"]);
    std::fs::write(b.dir.vk(), &vk).unwrap();

    // truncated and corrupted SRS
    let srs = std::fs::read(b.dir.srs()).unwrap();
    std::fs::write(b.dir.srs(), &srs[..srs.len() - 100]).unwrap();
    assert_fails(&verify(&b.proof), &["SRS", "truncated"]);
    let mut bad = srs.clone();
    bad[4 + 64 + 10] ^= 0x01;
    std::fs::write(b.dir.srs(), &bad).unwrap();
    assert_fails(&verify(&b.proof), &["SRS", "kzg.srs"]);
    std::fs::write(b.dir.srs(), &srs).unwrap();

    // truncated proof file, non-hex proof, damaged proof bytes
    let text = std::fs::read_to_string(&b.proof).unwrap();
    let t1 = write(b.tmp.path(), "t1.json", &text.as_bytes()[..text.len() / 2]);
    assert_fails(&verify(&t1), &["not a zkinfer proof file"]);
    let mut file = zkinfer::proof::ProofFile::read(&b.proof).unwrap();
    file.proof = "0xzz".into();
    file.write(&b.tmp.path().join("t2.json")).unwrap();
    assert_fails(&verify(&b.tmp.path().join("t2.json")), &["field `proof`", "invalid hex"]);
    let mut file = zkinfer::proof::ProofFile::read(&b.proof).unwrap();
    file.proof = file.proof[..file.proof.len() - 64].to_string();
    file.write(&b.tmp.path().join("t3.json")).unwrap();
    assert_fails(&verify(&b.tmp.path().join("t3.json")), &["proof rejected"]);

    // everything restored: the original proof still verifies
    assert!(verify(&b.proof).status.success());
}

#[test]
fn keys_and_program_of_another_build_are_refused_before_parsing() {
    let credit = build("credit_mlp");
    let wide = build("mlp_64");
    let dir = s(credit.dir.path()).to_string();
    std::fs::copy(wide.dir.pk(), credit.dir.pk()).unwrap();
    let p = credit.tmp.path().join("p.json");
    let o = zkinfer(&["prove", &dir, "-i", s(&credit.input), "-o", s(&p)]);
    assert_fails(&o, &["pk.bin is not the file setup wrote"]);
    assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"));
    std::fs::copy(wide.dir.program(), credit.dir.program()).unwrap();
    let o = zkinfer(&["mock", &dir, "-i", s(&credit.input)]);
    assert_fails(&o, &["program.json does not match settings.json"]);
}

#[test]
fn oversized_rescales_are_refused_with_the_node() {
    // x^8 at scale 9 would need a 2^63 rescale before the relu
    let tmp = tempfile::tempdir().unwrap();
    let nodes = vec![
        node("a", "Mul", &["x", "x"], &["a"]),
        node("b", "Mul", &["a", "a"], &["b"]),
        node("c", "Mul", &["b", "b"], &["c"]),
        node("act", "Relu", &["c"], &["y"]),
    ];
    let m = write(tmp.path(), "pow.onnx", &onnx_model(("x", &[1, 1]), ("y", &[1, 1]), nodes, vec![]));
    let d = write(tmp.path(), "d.json", br#"{"input_data": [[0.5]]}"#);
    let o = zkinfer(&["compile", s(&m), "--data", s(&d), "--out", s(&tmp.path().join("o")), "--scale", "9"]);
    assert_fails(&o, &["node `act`", "exceeds the supported 2^40"]);
}

#[test]
fn usage_errors_with_json_print_json() {
    let o = zkinfer(&["--json", "compile"]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert!(v["error"].as_str().unwrap().contains("required"));
}

#[test]
fn srs_file_too_small_for_the_circuit_is_reported() {
    let b = build("mlp_sigmoid"); // k = 11
    let small = b.tmp.path().join("small.srs");
    zkinfer::proof::srs::write_params(&small, &zkinfer::proof::srs::dev(5).unwrap()).unwrap();
    let o = zkinfer(&["setup", s(b.dir.path()), "--srs", s(&small)]);
    assert_fails(&o, &["small.srs", "holds 2^5 points but the circuit needs k = "]);
}

#[test]
fn the_development_srs_given_as_a_file_is_refused_unless_dev_srs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("build");
    let (m, d) = (model("credit_mlp.onnx"), model("credit_mlp.input.json"));
    assert!(zkinfer(&["compile", s(&m), "--data", s(&d), "--out", s(&out)]).status.success());
    let dir = zkinfer::pipeline::BuildDir(out.clone());
    let k = zkinfer::pipeline::Settings::read(&dir).unwrap().k;
    // the cached development SRS, one size larger than the circuit needs
    zkinfer::proof::srs::dev(k + 1).unwrap();
    let dev = zkinfer::proof::srs::cache_dir()
        .join("srs")
        .join(format!("dev-insecure-k{}.srs", k + 1));
    let o = zkinfer(&["setup", s(&out), "--srs", s(&dev)]);
    assert_fails(
        &o,
        &[
            &format!("dev-insecure-k{}.srs", k + 1),
            "development SRS",
            "secret is public",
            "--dev-srs",
        ],
    );
    for f in [dir.srs(), dir.vk(), dir.pk(), out.join("INSECURE-DEV-SRS.txt")] {
        assert!(!f.exists(), "{} written on a refused setup", f.display());
    }
    assert!(zkinfer::pipeline::Settings::read(&dir).unwrap().setup.is_none());

    // `--srs FILE --dev-srs`: the user knows; the keys are labelled insecure as with --dev-srs
    let o = zkinfer(&["--json", "setup", s(&out), "--srs", s(&dev), "--dev-srs"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["insecure_dev_srs"], true, "{v}");
    assert!(out.join("INSECURE-DEV-SRS.txt").exists());

    // params from another secret are accepted and the keys are not labelled insecure
    let other = tmp.path().join("other.srs");
    let params = halo2_axiom::poly::kzg::commitment::ParamsKZG::<halo2_axiom::halo2curves::bn256::Bn256>::setup(
        k,
        <rand_chacha::ChaCha20Rng as rand::SeedableRng>::seed_from_u64(7),
    );
    zkinfer::proof::srs::write_params(&other, &params).unwrap();
    let o = zkinfer(&["setup", s(&out), "--srs", s(&other), "--dev-srs"]);
    assert_fails(&o, &["other.srs", "is not the development SRS"]);
    let o = zkinfer(&["--json", "setup", s(&out), "--srs", s(&other)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["insecure_dev_srs"], false, "{v}");
    assert!(!out.join("INSECURE-DEV-SRS.txt").exists());
}

#[test]
fn setup_needs_an_srs_choice() {
    let b = build("credit_mlp");
    let o = zkinfer(&["setup", s(b.dir.path())]);
    assert_fails(&o, &["choose an SRS", "--dev-srs"]);
}

#[test]
fn commands_on_an_empty_directory_explain_what_is_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let o = zkinfer(&["prove", s(tmp.path()), "-i", s(&model("credit_mlp.input.json"))]);
    assert_fails(&o, &["cannot read settings.json", "zkinfer compile"]);
}

#[test]
fn json_mode_reports_errors_as_json() {
    let tmp = tempfile::tempdir().unwrap();
    let o = zkinfer(&["--json", "prove", s(tmp.path()), "-i", "x.json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON error on stdout");
    assert!(v["error"].as_str().unwrap().contains("settings.json"));
}

fn zkinfer_env(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("runs")
}

#[test]
fn no_circuit_within_max_k_meets_the_tolerance_policy_decides() {
    // the credit model: within k ≤ 9 the best error is ~5% (scale 5); 1% needs scale 6 at k 10
    let tmp = tempfile::tempdir().unwrap();
    let data = model("credit_mlp.input.json");
    let compile = |policy: &str, out: &str, env: &[(&str, &str)]| {
        let out = tmp.path().join(out);
        let o = zkinfer_env(
            &[
                "--json",
                "compile",
                s(&model("credit_mlp.onnx")),
                "--data",
                s(&data),
                "--out",
                s(&out),
                "--max-k",
                "9",
                "--if-inaccurate",
                policy,
            ],
            env,
        );
        (o, out)
    };
    // grow (the default): the smallest accurate circuit above --max-k, and the report says why
    let (o, out) = compile("grow", "grow", &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["k"], 10);
    assert_eq!(r["fidelity"]["within_tolerance"], true);
    let why = r["above_max_k"].as_str().unwrap();
    assert!(
        why.contains("k 10 is above --max-k 9") && why.contains("the best within k ≤ 9 is scale 5"),
        "{why}"
    );
    assert!(r["estimate"]["prove_peak_mb"].as_f64().unwrap() > 0.0);
    assert!(out.join("settings.json").exists());

    // error: fails naming the best error within --max-k and the k the tolerance needs; nothing written
    let (o, out) = compile("error", "error", &[]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let e = v["error"].as_str().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        e.contains("no circuit with k ≤ 9 keeps the outputs within the tolerance")
            && e.contains("scale 5 (k 9)")
            && e.contains("needs scale 6 at k 10"),
        "{e}"
    );
    assert!(!out.join("settings.json").exists());

    // accept: the inaccurate circuit within --max-k, reported as such
    let (o, _) = compile("accept", "accept", &[]);
    assert!(o.status.success());
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["k"], 9);
    assert_eq!(r["fidelity"]["within_tolerance"], false);
    assert!(r.get("above_max_k").is_none());

    // grow, but the larger circuit does not fit the memory budget: an error with the estimate
    let (o, out) = compile("grow", "budget", &[("ZKINFER_MEMORY_LIMIT_MB", "5")]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let e = v["error"].as_str().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        e.contains("no larger one that does fits this machine") && e.contains("k 10 needs about") && e.contains("5 MB available"),
        "{e}"
    );
    assert!(!out.join("settings.json").exists());
}

#[test]
fn setup_and_prove_refuse_up_front_what_the_memory_cannot_hold() {
    let b = build("credit_mlp");
    let o = zkinfer_env(&["setup", s(b.dir.path()), "--dev-srs"], &[("ZKINFER_MEMORY_LIMIT_MB", "4")]);
    assert_fails(
        &o,
        &[
            "not enough memory",
            "setup at k",
            "needs about",
            "4 MB available",
            "ZKINFER_SKIP_MEMORY_CHECK",
        ],
    );
    let out = b.tmp.path().join("p2.json");
    let prove = |env: &[(&str, &str)]| zkinfer_env(&["prove", s(b.dir.path()), "--input", s(&b.input), "--out", s(&out)], env);
    let o = prove(&[("ZKINFER_MEMORY_LIMIT_MB", "4")]);
    assert_fails(&o, &["not enough memory", "proving at k", "4 MB available"]);
    assert!(!out.exists());
    // the check can be skipped; the note says what is expected
    let o = prove(&[("ZKINFER_MEMORY_LIMIT_MB", "4"), ("ZKINFER_SKIP_MEMORY_CHECK", "1")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("expected for k"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.exists());
}

#[test]
fn an_edited_layout_or_size_in_settings_is_refused_before_keygen() {
    let b = build("credit_mlp");
    let path = b.dir.path().join("settings.json");
    let original: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = original.clone();
        f(&mut v);
        std::fs::write(&path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    };
    // a layout zkinfer does not make
    edit(&|v| v["shape"]["terms"] = 3.into());
    let o = zkinfer(&["setup", s(b.dir.path()), "--dev-srs"]);
    assert_fails(&o, &["settings.json's shape", "not a layout zkinfer makes"]);
    edit(&|v| {
        v["shape"]["wide"] = false.into();
        v["shape"]["terms"] = 8.into();
    });
    assert_fails(&zkinfer(&["setup", s(b.dir.path()), "--dev-srs"]), &["not a layout zkinfer makes"]);
    // a k too small for the program: a clear error, not a panic inside halo2
    edit(&|v| v["k"] = 6.into());
    let o = zkinfer(&["setup", s(b.dir.path()), "--dev-srs"]);
    assert_fails(&o, &["settings.json says k = 6 but the program needs k = 10"]);
}

#[test]
fn export_web_refuses_a_build_without_keys_or_with_a_changed_key_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("compiled");
    let out = tmp.path().join("site");
    let c = zkinfer(&[
        "compile",
        s(&model("credit_mlp.onnx")),
        "--data",
        s(&model("credit_mlp.input.json")),
        "--out",
        s(&dir),
    ]);
    assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stderr));
    let o = zkinfer(&["export-web", s(&dir), "--out", s(&out)]);
    assert_fails(&o, &["has no keys", "zkinfer setup"]);
    assert!(!out.exists(), "nothing written");

    let b = build("credit_mlp");
    let pk = b.dir.path().join("pk.bin");
    let mut bytes = std::fs::read(&pk).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 1;
    std::fs::write(&pk, bytes).unwrap();
    let o = zkinfer(&["export-web", s(b.dir.path()), "--out", s(&out)]);
    assert_fails(&o, &["pk.bin is not the file setup wrote"]);
    assert!(!out.exists(), "nothing written");
}
