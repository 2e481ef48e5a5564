//! The browser prover end to end: the credit build (`--input hashed --bind account`) exported
//! with `export-web`, web/ served over HTTP, and headless Chromium (Debian's `chromium`,
//! driven by the pinned `puppeteer-core`) proving in the page. The page's proof verifies
//! natively and in revm; a tampered one is refused by the page, natively and in revm; with one
//! seed, the page's and the native prover's proofs both verify with the same instances. Then the
//! page sends `requestCredit` to a CreditGate on anvil through an injected wallet provider.
//!
//! The first test serves the page cross-origin isolated (it proves on threads, web/pkg-threads),
//! the second not (one thread, web/pkg).
//!
//! Needs `bash scripts/build-web` (web/pkg, web/pkg-threads) and chromium: `scripts/test` provides both.

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use zkinfer::pipeline::compile::{compile, CompileOptions};
use zkinfer::pipeline::setup::setup;
use zkinfer::pipeline::Silent;
use zkinfer::quantize::CalibrateOptions;

/// anvil's account #1: the borrower.
const BORROWER: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return p.into();
    }
    for p in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(p).exists() {
            return p.into();
        }
    }
    panic!("no chromium: `apt-get install chromium` (scripts/test does it as root) or set CHROMIUM");
}

/// Serves `site` on a free port from a thread (static files, the MIME types module workers and
/// wasm streaming need). `isolated`: with the COOP/COEP headers that make the page
/// cross-origin isolated, so it proves on threads (web/pkg-threads).
fn serve(site: PathBuf, isolated: bool) -> u16 {
    let server = tiny_http::Server::http("127.0.0.1:0").expect("binds");
    let port = server.server_addr().to_ip().expect("ip").port();
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            let path = request.url().split('?').next().unwrap_or("/").trim_start_matches('/').to_string();
            let file = site.join(if path.is_empty() { "index.html" } else { &path });
            let inside = file.canonicalize().map(|f| f.starts_with(&site)).unwrap_or(false);
            let response = match std::fs::read(&file) {
                Ok(bytes) if inside => {
                    let mime = match file.extension().and_then(|e| e.to_str()) {
                        Some("html") => "text/html; charset=utf-8",
                        Some("js") | Some("mjs") => "text/javascript",
                        Some("wasm") => "application/wasm",
                        Some("json") => "application/json",
                        _ => "application/octet-stream",
                    };
                    let header = |k: &str, v: &str| tiny_http::Header::from_bytes(k, v).expect("header");
                    let mut response = tiny_http::Response::from_data(bytes).with_header(header("Content-Type", mime));
                    if isolated {
                        response.add_header(header("Cross-Origin-Opener-Policy", "same-origin"));
                        response.add_header(header("Cross-Origin-Embedder-Policy", "require-corp"));
                    }
                    response.boxed()
                }
                _ => tiny_http::Response::from_string("not found").with_status_code(404).boxed(),
            };
            let _ = request.respond(response);
        }
    });
    port
}

/// Copies the directory `from` into `to`, recursively.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// The site: web/'s page, module and worker, the built wasm (web/pkg, web/pkg-threads) and
/// `bundle/`.
fn site(tmp: &Path, build: &Path) -> PathBuf {
    let site = tmp.join("site");
    let web = root().join("web");
    for pkg in ["pkg", "pkg-threads"] {
        assert!(
            web.join(pkg).join("zkinfer_wasm_bg.wasm").exists(),
            "web/{pkg} is not built: run `bash scripts/build-web` (scripts/test does)"
        );
        copy_dir(&web.join(pkg), &site.join(pkg));
    }
    for f in ["index.html", "zkinfer.js", "worker.js"] {
        std::fs::copy(web.join(f), site.join(f)).unwrap();
    }
    let out = common::zkinfer(&[
        "export-web",
        build.to_str().unwrap(),
        "--out",
        site.join("bundle").to_str().unwrap(),
        "--json",
    ]);
    assert!(out.status.success(), "export-web: {}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["bound"], serde_json::json!(["account"]));
    site.canonicalize().unwrap()
}

/// Runs the page in Chromium at `url` and returns what it made, page errors included.
fn drive_raw(url: &str, input: &Path, attestation: Option<&Path>, rpc: Option<&str>) -> Value {
    drive_env(url, input, attestation, rpc.map(|r| ("RPC_URL", r.to_string())))
}

fn drive_env(url: &str, input: &Path, attestation: Option<&Path>, env: Option<(&str, String)>) -> Value {
    let mut cmd = Command::new("node");
    cmd.arg(root().join("tests/browser/drive.mjs"))
        .arg(url)
        .arg(chromium())
        .arg(input)
        .arg(BORROWER);
    if let Some(a) = attestation {
        cmd.arg(a);
    }
    if let Some((k, v)) = env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("node runs");
    assert!(
        out.status.success(),
        "the page run failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).expect("the driver prints JSON")
}

/// [`drive_raw`] of a run that must not fail in the page.
fn drive(url: &str, input: &Path, attestation: Option<&Path>) -> Value {
    let v = drive_raw(url, input, attestation, None);
    assert_eq!(v["errors"], serde_json::json!([]), "page errors: {v}");
    v
}

/// The build's native proof file with the proof and instances replaced by `proof`'s.
fn proof_file_of(native: &Path, proof: &Value, out: &Path) {
    let mut file: Value = serde_json::from_slice(&std::fs::read(native).unwrap()).unwrap();
    file["proof"] = proof["proof"].clone();
    file["instances"] = proof["instances"].clone();
    std::fs::write(out, serde_json::to_vec_pretty(&file).unwrap()).unwrap();
}

/// The attested-credit build (`--input hashed --bind account`, dev SRS) in `tmp/credit`.
fn credit_build(tmp: &Path) -> PathBuf {
    let build = tmp.join("credit");
    compile(
        &CompileOptions {
            model: common::model("credit_mlp.onnx"),
            data: vec![common::model("credit_mlp.input.json")],
            out: build.clone(),
            like: None,
            batch: 1,
            optimize: Default::default(),
            calibration: CalibrateOptions {
                visibility: zkinfer::quantize::Visibility {
                    input: zkinfer::quantize::Vis::Hashed,
                    ..Default::default()
                },
                bound: vec!["account".into()],
                ..Default::default()
            },
        },
        &Silent,
    )
    .expect("compiles");
    setup(
        &zkinfer::pipeline::BuildDir(build.clone()),
        &zkinfer::proof::SrsSource::Dev,
        &Silent,
    )
    .expect("setup");
    build
}

#[test]
fn the_page_proves_the_credit_model_and_its_proofs_verify_natively_and_in_revm() {
    let tmp = tempfile::tempdir().unwrap();
    let build = credit_build(tmp.path());
    let dir = zkinfer::pipeline::BuildDir(build.clone());
    let native = tmp.path().join("native.json");
    zkinfer::pipeline::prove::prove_with(
        &dir,
        &common::model("credit_mlp.input.json"),
        &native,
        &[format!("account={BORROWER}")],
        &Silent,
    )
    .expect("proves natively");
    let native_file: Value = serde_json::from_slice(&std::fs::read(&native).unwrap()).unwrap();

    let site = site(tmp.path(), &build);
    // cross-origin isolated: the page proves on every core with web/pkg-threads
    let port = serve(site.clone(), true);
    let input = common::model("credit_mlp.input.json");
    let page = drive(&format!("http://127.0.0.1:{port}/index.html"), &input, None);
    eprintln!("the page shows: {}", page["result"]);
    // by default every core the browser reports (at most 16)
    let cores = page["hardwareConcurrency"].as_u64().unwrap().min(16);
    assert_eq!(page["threads"], cores, "{page}");
    assert!(page["threadsUnavailable"].is_null(), "{page}");
    // two threads asked for, whatever the machine: pkg-threads proves and verifies
    let probe = drive_env(
        &format!("http://127.0.0.1:{port}/index.html"),
        &input,
        None,
        Some(("PROBE_THREADS", "2".into())),
    );
    assert_eq!(probe["threads"], 2, "{probe}");
    assert!(probe["threadsUnavailable"].is_null() && probe["proved"] == true, "{probe}");
    let proof = &page["proof"];
    // the same public values as the native proof (proofs differ by their blinding)
    assert_eq!(proof["instances"], native_file["instances"]);
    assert!(page["result"].as_str().unwrap().contains("bytes"), "{page}");
    for what in ["tampered", "otherAccount"] {
        let why = page[what].as_str().unwrap();
        assert!(why.contains("rejected") || why.contains("pairing"), "{what}: {page}");
    }

    // the page's proof: accepted natively and by the generated verifier in revm
    let from_page = tmp.path().join("page.json");
    proof_file_of(&native, proof, &from_page);
    let verified = common::zkinfer(&["verify", build.to_str().unwrap(), from_page.to_str().unwrap()]);
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));
    let gas = common::zkinfer(&["gas", build.to_str().unwrap(), from_page.to_str().unwrap(), "--json"]);
    assert!(gas.status.success(), "{}", String::from_utf8_lossy(&gas.stderr));
    let gas: Value = serde_json::from_slice(&gas.stdout).unwrap();
    assert_eq!(gas["accepted"], true);
    // its calldata is verifyProof's of that proof
    let calldata = zkinfer::solidity::encode_verify_call(
        &hex::decode(&proof["proof"].as_str().unwrap()[2..]).unwrap(),
        &proof["instances"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| {
                let mut b = [0u8; 32];
                b.copy_from_slice(&hex::decode(&w.as_str().unwrap()[2..]).unwrap());
                b
            })
            .collect::<Vec<_>>(),
    );
    assert_eq!(page["calldata"].as_str().unwrap(), format!("0x{}", hex::encode(calldata)));

    // tampered: one proof byte, and the bound account, refused natively and in revm
    let mut bad = proof.clone();
    let p = bad["proof"].as_str().unwrap().to_string();
    let at = 2 + (p.len() - 2) / 2;
    let flipped = format!("{:02x}", u8::from_str_radix(&p[at..at + 2], 16).unwrap() ^ 1);
    bad["proof"] = Value::String(format!("{}{}{}", &p[..at], flipped, &p[at + 2..]));
    let mut other_account = proof.clone();
    let n = other_account["instances"].as_array().unwrap().len();
    let layout = native_file["instance_layout"].as_array().unwrap();
    let bound_at = layout.iter().find(|s| s["kind"] == "bound").expect("a bound slot")["start"]
        .as_u64()
        .unwrap() as usize;
    assert!(bound_at < n);
    other_account["instances"][bound_at] = Value::String(format!("0x{}", "0".repeat(62) + "01"));
    for (what, forged) in [("tampered proof byte", bad), ("another account", other_account)] {
        let f = tmp.path().join("forged.json");
        proof_file_of(&native, &forged, &f);
        let v = common::zkinfer(&["verify", build.to_str().unwrap(), f.to_str().unwrap()]);
        assert!(!v.status.success(), "{what}: verify accepted it");
        let why = String::from_utf8_lossy(&v.stderr);
        assert!(
            why.contains("rejected") || why.contains("pairing") || why.contains("malformed"),
            "{what}: {why}"
        );
        let g = common::zkinfer(&["gas", build.to_str().unwrap(), f.to_str().unwrap()]);
        assert!(!g.status.success(), "{what}: the EVM verifier accepted it");
        assert!(
            String::from_utf8_lossy(&g.stderr).contains("reject"),
            "{what}: {}",
            String::from_utf8_lossy(&g.stderr)
        );
    }

    // every entry point of the page's prover with bad arguments: each refused naming what is
    // wrong (an error, not a trap), and the prover still proves afterwards
    let bad = drive_env(
        &format!("http://127.0.0.1:{port}/index.html"),
        &input,
        None,
        Some(("BAD_CALLS", "1".into())),
    );
    let expected = [
        ("notJson", "input: not an input file"),
        ("noInputData", "missing field `input_data`"),
        ("twoInputs", "2 lists given, the model has 1 input"),
        ("shortInput", "input `input`: 9 values given, it takes 10"),
        ("textFeature", "invalid type: string"),
        ("hugeFeature", "value #0 = 1000000000000000000000000000000 is not representable"),
        ("noAccount", "this build binds `account`: give it a value"),
        ("badAccount", "bind account=0x12zz: expected up to 64 hex digits"),
        ("wideAccount", "is not below the field modulus"),
        ("unknownBind", "bind nonce: this build binds account"),
        ("shortSeed", "seed: 32 bytes"),
        ("hashNotJson", "input: not an input file"),
        ("verifyNotHex", "proof: expected 0x-hex"),
        ("verifyOddHex", "proof: Odd number of digits"),
        ("verifyEmpty", "malformed proof bytes"),
        ("verifyTruncated", "malformed proof bytes"),
        ("verifyFewInstances", "2 instances given, this build's proofs have 3"),
        ("verifyManyInstances", "4 instances given, this build's proofs have 3"),
        ("verifyInstanceNotField", "instance 0 (0xffff"),
        ("calldataBadInstances", "instance 0 (x): expected a decimal number or 0x-hex"),
        ("attestationNotJson", "attestation: not JSON"),
        ("attestationEmpty", "attestation: typed_data.message"),
        ("viewsBadAddress", "borrower: expected 20 bytes"),
        ("attestationOtherHash", "the proof is about features with hash"),
        ("attestationOtherSubject", "the proof is bound to account"),
        ("attestationShortSignature", "attestation signature: 64 bytes, expected 65"),
    ];
    let refused = bad["refused"].as_object().expect("refusals");
    assert_eq!(refused.len(), expected.len(), "{bad}");
    for (case, phrase) in expected {
        let message = refused[case].as_str().unwrap();
        assert!(
            message.starts_with("ZkinferError: ") && message.contains(phrase),
            "{case}: {message}"
        );
    }
    assert!(bad["after"].is_number(), "the prover did not prove after the bad calls: {bad}");
    assert_eq!(bad["attested"], true, "the unchanged attestation was refused: {bad}");

    // with one seed, the page's and the native prover's proofs both verify and carry the same
    // instances (halo2 0.5's lookup argument sorts through a randomly seeded HashMap, so equal
    // randomness does not make equal bytes even between two native runs)
    let seed = [7u8; 32];
    let page = drive_env(
        &format!("http://127.0.0.1:{port}/index.html"),
        &input,
        None,
        Some(("SEED", format!("0x{}", hex::encode(seed)))),
    );
    let bundle_dir = site.join("bundle");
    let read = |f: &str| std::fs::read(bundle_dir.join(f)).unwrap();
    let bundle =
        zkinfer::proof::bundle::Bundle::from_bytes(&read("zkinfer-web.json"), &read("program.json"), &read("pk.bin"), &read("kzg.srs"))
            .expect("the exported bundle loads");
    let data = zkinfer::model::InputData::from_file(&input).unwrap();
    let witnesses = zkinfer::proof::inference::witnesses(&bundle.program, &[data.inputs]).unwrap();
    let account = zkinfer::proof::inference::parse_field(BORROWER).unwrap();
    let native_seeded = zkinfer::proof::inference::prove_samples(
        &bundle.program,
        bundle.manifest.shape,
        &bundle.params,
        &bundle.pk,
        &witnesses,
        &[vec![account]],
        <rand_chacha::ChaCha20Rng as rand::SeedableRng>::from_seed(seed),
    )
    .unwrap();
    let native_instances: Vec<String> = native_seeded
        .instances
        .iter()
        .map(zkinfer::proof::proof_file::encode_instance)
        .collect();
    assert_eq!(page["proof"]["instances"], serde_json::json!(native_instances));
    let seeded = tmp.path().join("seeded.json");
    proof_file_of(&native, &page["proof"], &seeded);
    let v = common::zkinfer(&["verify", build.to_str().unwrap(), seeded.to_str().unwrap()]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    zkinfer::proof::verify(&bundle.params, bundle.pk.get_vk(), &native_seeded.proof, &native_seeded.instances)
        .expect("native seeded proof verifies");
}

/// anvil's account #0 deploys; #3 is the data provider the gate trusts.
const PROVIDER_KEY: &str = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";
const PROVIDER: &str = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";

#[test]
fn the_page_sends_request_credit_to_anvil_and_the_gate_approves() {
    use zkinfer::chain::contracts::{Abi, ICreditGate};
    use zkinfer::chain::{Address, Rpc, RpcOptions};
    let tmp = tempfile::tempdir().unwrap();
    let build = credit_build(tmp.path());
    let b = build.to_str().unwrap();
    let anvil = common::start_anvil(31337);
    let record = tmp.path().join("gate.json");
    let r = record.to_str().unwrap();
    let args = common::credit_gate_deploy_args(b, &anvil.url, PROVIDER, r);
    let deployed = common::zkinfer(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(deployed.status.success(), "deploy: {}", String::from_utf8_lossy(&deployed.stderr));
    let attestation = tmp.path().join("attestation.json");
    let input = common::model("credit_mlp.input.json");
    let attested = common::zkinfer(&[
        "attest",
        b,
        "--data",
        input.to_str().unwrap(),
        "--subject",
        BORROWER,
        "--expires",
        "90d",
        "--deployment",
        r,
        "--private-key",
        PROVIDER_KEY,
        "--out",
        attestation.to_str().unwrap(),
    ]);
    assert!(attested.status.success(), "attest: {}", String::from_utf8_lossy(&attested.stderr));
    let a: Value = serde_json::from_slice(&std::fs::read(&attestation).unwrap()).unwrap();
    let gate: Address = a["typed_data"]["domain"]["verifyingContract"].as_str().unwrap().parse().unwrap();
    let borrower: Address = BORROWER.parse().unwrap();
    let rpc = Rpc::connect(RpcOptions::new(&anvil.url)).unwrap();
    let approved =
        || -> bool { zkinfer::chain::tx::view(&rpc, borrower, gate, ICreditGate::isApprovedCall { borrower }, Abi::CreditGate).unwrap() };
    assert!(!approved());

    let site = site(tmp.path(), &build);
    // not isolated: the page proves on one thread with web/pkg
    let port = serve(site, false);
    let url = format!("http://127.0.0.1:{port}/index.html");

    // made-up features that score higher: the page refuses them before proving (their hash is
    // not the attested one), and nothing is sent
    let made_up = drive_raw(&url, &common::model("credit_mlp.madeup.json"), Some(&attestation), Some(&anvil.url));
    let errors = made_up["errors"].to_string();
    assert!(errors.contains("the attestation is for"), "{made_up}");
    assert!(made_up["receipt"].is_null() && made_up["proof"].is_null(), "{made_up}");
    assert!(!approved());

    // the attested features: proved in the page, requestCredit sent through the injected
    // provider (anvil signs for its account #1, the borrower), the approval recorded
    let page = drive_raw(&url, &input, Some(&attestation), Some(&anvil.url));
    assert_eq!(page["errors"], serde_json::json!([]), "{page}");
    assert_eq!(page["threads"], 1, "{page}");
    assert!(page["threadsUnavailable"].is_null(), "{page}");

    // asked for two threads in a page that is not isolated: one thread, saying why; zero
    // threads: refused
    let probe = drive_env(&url, &input, None, Some(("PROBE_THREADS", "2".into())));
    assert_eq!(probe["threads"], 1, "{probe}");
    assert!(
        probe["threadsUnavailable"].as_str().unwrap().contains("not cross-origin isolated"),
        "{probe}"
    );
    let probe = drive_env(&url, &input, None, Some(("PROBE_THREADS", "0".into())));
    assert!(
        probe["error"].as_str().unwrap().contains("threads: 0 is not a whole number"),
        "{probe}"
    );
    assert_eq!(page["receipt"]["status"], "0x1", "{page}");
    assert_eq!(
        page["receipt"]["to"].as_str().unwrap().to_lowercase(),
        format!("{gate:?}").to_lowercase()
    );
    assert!(page["sent"].as_str().unwrap().contains("approved on chain"), "{page}");
    assert!(approved(), "the gate recorded no approval: {page}");
}
