//! Production SRS files: a real powers-of-tau ceremony made with snarkjs (pinned in
//! package.json) is imported, checked, and sets up the credit model, whose proofs verify
//! natively and in revm with the ceremony's τ·G2 in the verifier; damaged files and a file of
//! another curve are refused with the reason and nothing written; halo2 params of a known
//! secret round-trip; the development SRS given as a file is recognised.

mod common;

use common::model;
use halo2_axiom::halo2curves::bn256::{Bn256, Fr, G2Affine};
use halo2_axiom::halo2curves::ff::{Field, PrimeField};
use halo2_axiom::halo2curves::group::Curve;
use halo2_axiom::poly::commitment::{Params, ParamsProver};
use halo2_axiom::poly::kzg::commitment::ParamsKZG;
use halo2_axiom::SerdeFormat;
use num_bigint::BigUint;
use rand::SeedableRng;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Runs snarkjs from node_modules (installed by `npm install`, pinned in package.json).
fn snarkjs(dir: &Path, args: &[&str]) {
    let bin = root().join("node_modules/.bin/snarkjs");
    assert!(bin.exists(), "no {}: run `npm install` (scripts/test does)", bin.display());
    let o = Command::new(&bin).args(args).current_dir(dir).output().expect("runs snarkjs");
    assert!(
        o.status.success(),
        "snarkjs {args:?} failed: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The ceremony, made once for all tests: a new powers of tau at the credit model's k, two
/// contributions, a beacon, prepared for phase 2.
struct Ceremony {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    ptau: PathBuf,
    power: u32,
}

fn ceremony() -> &'static Ceremony {
    static C: OnceLock<Ceremony> = OnceLock::new();
    C.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        // the power the credit model needs: its k
        let build = dir.join("k");
        let opts = zkinfer::pipeline::compile::CompileOptions {
            model: model("credit_mlp.onnx"),
            data: vec![model("credit_mlp.input.json")],
            out: build,
            like: None,
            batch: 1,
            optimize: Default::default(),
            calibration: Default::default(),
        };
        let power = zkinfer::pipeline::compile::compile(&opts, &zkinfer::pipeline::Silent).unwrap().k;
        assert!(power <= 12, "the credit model's k is {power}: the ceremony would be slow");
        let p = power.to_string();
        snarkjs(&dir, &["powersoftau", "new", "bn128", &p, "pot_0.ptau"]);
        snarkjs(
            &dir,
            &[
                "powersoftau",
                "contribute",
                "pot_0.ptau",
                "pot_1.ptau",
                "--name=first",
                "-e=first contributor's entropy",
            ],
        );
        snarkjs(
            &dir,
            &[
                "powersoftau",
                "contribute",
                "pot_1.ptau",
                "pot_2.ptau",
                "--name=second",
                "-e=second contributor's entropy",
            ],
        );
        snarkjs(
            &dir,
            &[
                "powersoftau",
                "beacon",
                "pot_2.ptau",
                "pot_beacon.ptau",
                "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                "10",
                "-n=final beacon",
            ],
        );
        snarkjs(&dir, &["powersoftau", "prepare", "phase2", "pot_beacon.ptau", "pot_final.ptau"]);
        Ceremony {
            ptau: dir.join("pot_final.ptau"),
            dir,
            _tmp: tmp,
            power,
        }
    })
}

/// Runs zkinfer with its own cache directory (check records, development SRS).
fn zk(cache: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(args)
        .env("ZKINFER_CACHE", cache)
        .output()
        .expect("runs zkinfer")
}

/// Runs zkinfer with `--json` and returns the document; the run must succeed.
fn zk_json(cache: &Path, args: &[&str]) -> Value {
    let mut a = vec!["--json"];
    a.extend_from_slice(args);
    let o = zk(cache, &a);
    assert!(
        o.status.success(),
        "zkinfer {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("JSON")
}

/// Compiles the credit model into `out` (`zkinfer compile`, which must succeed); returns its
/// report.
fn compile_credit(cache: &Path, out: &Path) -> Value {
    zk_json(
        cache,
        &[
            "compile",
            s(&model("credit_mlp.onnx")),
            "--data",
            s(&model("credit_mlp.input.json")),
            "--out",
            s(out),
        ],
    )
}

/// The sections of a `.ptau` file: (id, data offset, size), read here independently of zkinfer.
fn sections(bytes: &[u8]) -> Vec<(u32, usize, usize)> {
    let n = u32::from_le_bytes(bytes[8..12].try_into().unwrap());
    let mut pos = 12;
    let mut out = Vec::new();
    for _ in 0..n {
        let id = u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap());
        let size = u64::from_le_bytes(bytes[pos + 4..pos + 12].try_into().unwrap()) as usize;
        out.push((id, pos + 12, size));
        pos += 12 + size;
    }
    out
}

fn section(bytes: &[u8], id: u32) -> usize {
    sections(bytes).iter().find(|s| s.0 == id).expect("section").1
}

/// τ·G2 of a `.ptau` file decoded by snarkjs' own libraries (ffjavascript, binfileutils):
/// [[x.c0, x.c1], [y.c0, y.c1]] as decimal strings.
fn tau_g2_by_snarkjs(ptau: &Path, dir: &Path) -> [[BigUint; 2]; 2] {
    let script = dir.join("tau_g2.cjs");
    std::fs::write(
        &script,
        r#"const nm = process.argv[2];
const ff = require(nm + "/ffjavascript");
const bfu = require(nm + "/@iden3/binfileutils");
(async () => {
  const { fd, sections } = await bfu.readBinFile(process.argv[3], "ptau", 1);
  const curve = await ff.buildBn128(true);
  const size = curve.G2.F.n8 * 2;
  const p = curve.G2.toObject(curve.G2.fromRprLEM(await fd.read(size, sections[3][0].p + size), 0));
  console.log(JSON.stringify(p.slice(0, 2).map((c) => c.map((x) => x.toString()))));
  await fd.close();
  await curve.terminate();
})();
"#,
    )
    .unwrap();
    let o = Command::new("node")
        .arg(&script)
        .arg(root().join("node_modules"))
        .arg(ptau)
        .output()
        .expect("runs node");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Vec<Vec<String>> = serde_json::from_slice(&o.stdout).unwrap();
    let n = |s: &str| s.parse::<BigUint>().unwrap();
    [[n(&v[0][0]), n(&v[0][1])], [n(&v[1][0]), n(&v[1][1])]]
}

/// A 32-byte word as the generated Solidity writes it (`0x` and no leading zeros).
fn sol_word(x: &BigUint) -> String {
    format!("0x{}", x.to_str_radix(16))
}

fn sha256_hex(p: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(p).unwrap()))
}

#[test]
fn a_snarkjs_ceremony_sets_up_the_credit_model_whose_proofs_verify_natively_and_on_the_evm() {
    let c = ceremony();
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let k = c.power;

    // what it is
    let info = zk_json(&cache, &["srs", "info", s(&c.ptau)]);
    assert_eq!(info["format"], "ptau", "{info}");
    assert_eq!(info["power"], k);
    assert_eq!(info["ptau"]["contributions"], 3, "two contributions and a beacon: {info}");
    assert_eq!(info["ptau"]["prepared_phase2"], true);
    assert_eq!(info["development_srs"], false);
    assert!(info["known_ceremony"].is_null());
    assert!(info["checked"].is_null(), "nothing checked yet: {info}");
    assert_eq!(info["sha256"], sha256_hex(&c.ptau));
    assert_eq!(info["blake2b"].as_str().unwrap().len(), 128);

    // the ceremony's τ·G2 as snarkjs decodes it, and as the verifier must embed it
    let tau = tau_g2_by_snarkjs(&c.ptau, tmp.path());
    let words = [&tau[0][1], &tau[0][0], &tau[1][1], &tau[1][0]]; // x.c1, x.c0, y.c1, y.c0
    let padded: Vec<String> = words.iter().map(|w| format!("0x{:0>64}", w.to_str_radix(16))).collect();
    assert_eq!(info["s_g2"], serde_json::json!(padded), "srs info's τ·G2 is snarkjs'");

    // setup straight from the .ptau: the full check the first time, the record afterwards
    let build = tmp.path().join("build");
    let compiled = compile_credit(&cache, &build);
    assert_eq!(compiled["k"], k);
    let setup = zk_json(&cache, &["setup", s(&build), "--srs", s(&c.ptau)]);
    assert_eq!(setup["insecure_dev_srs"], false, "{setup}");
    assert!(setup["srs_checks"].as_str().unwrap().starts_with("full"), "{setup}");
    assert_eq!(setup["srs_sha256"], sha256_hex(&c.ptau));
    assert_eq!(setup["srs_format"], "ptau");
    let vk_hash = setup["vk_hash"].clone();
    let again = zk_json(&cache, &["setup", s(&build), "--srs", s(&c.ptau)]);
    assert!(again["srs_checks"].as_str().unwrap().starts_with("recorded"), "{again}");
    assert_eq!(again["vk_hash"], vk_hash);
    let settings: Value = serde_json::from_str(&std::fs::read_to_string(build.join("settings.json")).unwrap()).unwrap();
    let si = &settings["setup"];
    assert_eq!(si["srs_sha256"], sha256_hex(&c.ptau), "{si}");
    assert_eq!(si["srs_blake2b"], info["blake2b"]);
    assert_eq!(si["srs_format"], "ptau");
    assert!(si.get("srs_known_ceremony").is_none(), "a private ceremony is no known one: {si}");
    assert!(!build.join("INSECURE-DEV-SRS.txt").exists());

    // prove, verify natively, and in revm; the verifier embeds the ceremony's τ·G2
    let proof = tmp.path().join("proof.json");
    zk_json(
        &cache,
        &[
            "prove",
            s(&build),
            "--input",
            s(&model("credit_mlp.input.json")),
            "--out",
            s(&proof),
        ],
    );
    let pf: Value = serde_json::from_str(&std::fs::read_to_string(&proof).unwrap()).unwrap();
    assert_eq!(pf["srs_sha256"], sha256_hex(&c.ptau), "the proof file names the SRS");
    assert_eq!(pf["insecure_dev_srs"], false);
    let verified = zk_json(&cache, &["verify", s(&build), s(&proof)]);
    assert_eq!(verified["verified"], true, "{verified}");
    let sol_dir = tmp.path().join("sol");
    zk_json(&cache, &["verifier", s(&build), "--out", s(&sol_dir)]);
    let sol = std::fs::read_to_string(sol_dir.join("ZkinferVerifier.sol")).unwrap();
    let mut at = 0;
    for w in words {
        let word = sol_word(w);
        let i = sol[at..]
            .find(&word)
            .unwrap_or_else(|| panic!("the verifier lacks τ·G2's word {word}"));
        at += i + word.len(); // in order: x.c1, x.c0, y.c1, y.c0
    }
    let gas = zk_json(&cache, &["gas", s(&build), s(&proof)]);
    assert_eq!(gas["accepted"], true, "{gas}");
    let params = zkinfer::proof::srs::read_params(&build.join("kzg.srs"), Some(k)).unwrap();
    let s_g2 = params.s_g2();
    assert_eq!(
        [&s_g2.x.c1, &s_g2.x.c0, &s_g2.y.c1, &s_g2.y.c0].map(|f| BigUint::from_bytes_le(f.to_repr().as_ref())),
        words.map(|w| w.clone()),
        "the build's SRS holds the ceremony's τ·G2"
    );

    // srs import: the params zkinfer loads, from the same ceremony; the same keys
    let imported = tmp.path().join("ceremony.srs");
    let report = zk_json(&cache, &["srs", "import", s(&c.ptau), "--out", s(&imported)]);
    assert_eq!(report["k"], k, "{report}");
    assert_eq!(report["checked"]["g1_powers"], 1u64 << k);
    assert_eq!(report["checked"]["g2_powers"], 1u64 << k);
    assert_eq!(
        report["checked"]["lagrange"], "section12",
        "the prepared file's Lagrange basis, checked: {report}"
    );
    assert_eq!(report["s_g2"], serde_json::json!(padded));
    assert_eq!(report["out_sha256"], sha256_hex(&imported));
    assert_eq!(std::fs::metadata(&imported).unwrap().len(), zkinfer::proof::srs::file_len(k));
    let build2 = tmp.path().join("build2");
    compile_credit(&cache, &build2);
    let setup2 = zk_json(&cache, &["setup", s(&build2), "--srs", s(&imported)]);
    assert!(
        setup2["srs_checks"].as_str().unwrap().starts_with("recorded"),
        "import recorded its output: {setup2}"
    );
    assert_eq!(setup2["vk_hash"], vk_hash, "the imported params are the ceremony's");
    assert_eq!(setup2["srs_format"], "halo2-raw");
    let checked = zk_json(&cache, &["srs", "check", s(&imported)]);
    assert_eq!(checked["checked"]["lagrange"], "file");
    let info2 = zk_json(&cache, &["srs", "info", s(&imported)]);
    assert_eq!(info2["checked"]["imported_from"]["sha256"], sha256_hex(&c.ptau), "{info2}");

    // the same ceremony before `prepare phase2` (no Lagrange sections): the basis is computed,
    // and the params are the same
    let unprepared = tmp.path().join("unprepared.srs");
    let r = zk_json(
        &cache,
        &["srs", "import", s(&c.dir.join("pot_beacon.ptau")), "--out", s(&unprepared)],
    );
    assert_eq!(r["checked"]["lagrange"], "computed", "{r}");
    assert!(std::fs::read(&unprepared).unwrap() == std::fs::read(&imported).unwrap());

    // fewer powers: a smaller circuit's SRS, the first 2^(k−2) powers
    let small = tmp.path().join("small.srs");
    let r = zk_json(
        &cache,
        &["srs", "import", s(&c.ptau), "--out", s(&small), "--k", &(k - 2).to_string()],
    );
    assert_eq!(r["k"], k - 2);
    let mut full = zkinfer::proof::srs::read_params(&imported, None).unwrap();
    full.downsize(k - 2);
    let mut expect = Vec::new();
    full.write_custom(&mut expect, SerdeFormat::RawBytes).unwrap();
    assert!(std::fs::read(&small).unwrap() == expect, "--k keeps the first powers");
    let o = zk(
        &cache,
        &[
            "srs",
            "import",
            s(&c.ptau),
            "--out",
            s(&tmp.path().join("big.srs")),
            "--k",
            &(k + 1).to_string(),
        ],
    );
    common::assert_fails(&o, &["pot_final.ptau", &format!("holds 2^{k} powers; --k {} needs", k + 1)]);
}

/// A damaged copy of the ceremony: `f` edits the bytes.
fn damaged(dir: &Path, name: &str, f: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let mut bytes = std::fs::read(&ceremony().ptau).unwrap();
    f(&mut bytes);
    let p = dir.join(name);
    std::fs::write(&p, &bytes).unwrap();
    p
}

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// `srs import`, `srs check` and `setup --srs` (when the file is big enough for the credit
/// model) all refuse `file`, naming it and the reason, and nothing is written.
fn refused(file: &Path, needles: &[&str]) {
    refused_by(file, needles, true)
}

fn refused_by(file: &Path, needles: &[&str], setup: bool) {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let out_dir = tmp.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let out = out_dir.join("params.srs");
    let name = file.file_name().unwrap().to_str().unwrap();
    let mut all = vec![name];
    all.extend_from_slice(needles);
    let o = zk(&cache, &["srs", "import", s(file), "--out", s(&out)]);
    common::assert_fails(&o, &all);
    assert!(listing(&out_dir).is_empty(), "written on a refused import: {:?}", listing(&out_dir));
    let o = zk(&cache, &["--json", "srs", "check", s(file)]);
    common::assert_fails(&o, &all);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["error"].as_str().unwrap().contains(needles[0]), "{v}");
    assert!(
        !cache.join("srs/checked").exists() || listing(&cache.join("srs/checked")).is_empty(),
        "a refused file is not recorded as checked"
    );
    if !setup {
        return;
    }
    // setup with it: no keys
    let build = tmp.path().join("build");
    compile_credit(&cache, &build);
    let o = zk(&cache, &["setup", s(&build), "--srs", s(file)]);
    common::assert_fails(&o, &all);
    for f in ["kzg.srs", "pk.bin", "vk.bin"] {
        assert!(!build.join(f).exists(), "{f} written on a refused setup");
    }
}

#[test]
fn damaged_ceremony_files_and_another_curve_are_refused_naming_what_is_wrong() {
    let c = ceremony();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let bytes = std::fs::read(&c.ptau).unwrap();
    let (g1, g2) = (section(&bytes, 2), section(&bytes, 3));

    // a G1 power replaced by another valid point (the next power): the pairing check
    let f = damaged(d, "g1_swapped.ptau", |b| b.copy_within(g1 + 6 * 64..g1 + 7 * 64, g1 + 5 * 64));
    refused(
        &f,
        &[&format!(
            "G1 power #5 (τ^5·G1, section 2) at byte {} is not τ times G1 power #4",
            g1 + 5 * 64
        )],
    );
    // a G1 power with a flipped bit: not on the curve
    let f = damaged(d, "g1_flipped.ptau", |b| b[g1 + 7 * 64 + 32] ^= 1);
    refused(&f, &["G1 power #7 (τ^7·G1, section 2)", "is not on the BN254 curve"]);
    // a G2 power replaced by another valid point
    let f = damaged(d, "g2_swapped.ptau", |b| b.copy_within(g2 + 4 * 128..g2 + 5 * 128, g2 + 3 * 128));
    refused(
        &f,
        &[&format!(
            "G2 power #3 (τ^3·G2, section 3) at byte {} does not match G1 power #3",
            g2 + 3 * 128
        )],
    );
    // τ·G2 itself (what the verifier would embed) replaced by τ²·G2
    let f = damaged(d, "tau_g2.ptau", |b| b.copy_within(g2 + 2 * 128..g2 + 3 * 128, g2 + 128));
    refused(&f, &["G2 power #1 (τ^1·G2, section 3) does not match the G1 powers"]);
    // truncated inside the G1 powers
    let f = damaged(d, "truncated.ptau", |b| b.truncate(g1 + 100 * 64 + 17));
    refused(&f, &["is truncated: section 2 (tauG1) needs"]);
    // another curve
    snarkjs(d, &["powersoftau", "new", "bls12-381", "4", "bls.ptau"]);
    refused(&d.join("bls.ptau"), &["BLS12-381", "not BN254"]);
    // a fresh ceremony without contributions: the secret is 1
    let p = c.dir.join("pot_0.ptau");
    refused(&p, &["the secret is 1"]);
}

#[test]
fn halo2_params_of_a_known_secret_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let k = 6;
    // ParamsKZG::setup draws its secret first from the generator: a known secret
    let s_known = Fr::random(rand_chacha::ChaCha20Rng::seed_from_u64(42));
    let params = ParamsKZG::<Bn256>::setup(k, rand_chacha::ChaCha20Rng::seed_from_u64(42));
    assert_eq!(params.s_g2(), (G2Affine::generator() * s_known).to_affine());
    let raw = tmp.path().join("raw.srs");
    zkinfer::proof::srs::write_params(&raw, &params).unwrap();
    let mut compressed_bytes = Vec::new();
    params.write_custom(&mut compressed_bytes, SerdeFormat::Processed).unwrap();
    let compressed = tmp.path().join("compressed.srs");
    std::fs::write(&compressed, &compressed_bytes).unwrap();

    for (file, format) in [(&raw, "halo2-raw"), (&compressed, "halo2-compressed")] {
        let out = tmp.path().join(format!("{format}.out.srs"));
        let r = zk_json(&cache, &["srs", "import", s(file), "--out", s(&out)]);
        assert_eq!(r["source_format"], format, "{r}");
        assert_eq!(r["k"], k);
        assert_eq!(r["checked"]["lagrange"], "file", "{r}");
        assert!(
            std::fs::read(&out).unwrap() == std::fs::read(&raw).unwrap(),
            "{format}: the same params come back"
        );
        let info = zk_json(&cache, &["srs", "info", s(&out)]);
        assert_eq!(info["development_srs"], false);
        assert_eq!(info["power"], k);
    }
    // a smaller size: halo2's own downsize
    let out = tmp.path().join("k4.srs");
    zk_json(&cache, &["srs", "import", s(&raw), "--out", s(&out), "--k", "4"]);
    let mut small = params.clone();
    small.downsize(4);
    let mut expect = Vec::new();
    small.write_custom(&mut expect, SerdeFormat::RawBytes).unwrap();
    assert!(std::fs::read(&out).unwrap() == expect);
    // a damaged params file: one G1 power of another secret
    let mut g = params.get_g().to_vec();
    g[9] = (g[9] * Fr::from(3)).to_affine();
    let bad = params.from_parts(k, g, None, params.g2(), params.s_g2());
    let bad_path = tmp.path().join("bad.srs");
    zkinfer::proof::srs::write_params(&bad_path, &bad).unwrap();
    refused_by(
        &bad_path,
        &["G1 power #9 (g[9] = s^9·G1) at byte 580 is not τ times G1 power #8"],
        false,
    );
}

#[test]
fn the_development_srs_as_a_file_is_recognised_and_refused_without_dev_srs() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let dev = tmp.path().join("dev.srs");
    zkinfer::proof::srs::write_params(&dev, &zkinfer::proof::srs::dev(11).unwrap()).unwrap();
    let info = zk_json(&cache, &["srs", "info", s(&dev)]);
    assert_eq!(info["development_srs"], true, "{info}");
    assert!(info["warnings"][0].as_str().unwrap().contains("INSECURE"));
    let out = tmp.path().join("out.srs");
    for args in [vec!["srs", "import", s(&dev), "--out", s(&out)], vec!["srs", "check", s(&dev)]] {
        let o = zk(&cache, &args);
        common::assert_fails(&o, &["dev.srs", "is the development SRS", "secret is public", "--dev-srs"]);
        assert!(!out.exists());
    }
    // declared: accepted, and said to be insecure
    let r = zk_json(&cache, &["srs", "import", s(&dev), "--out", s(&out), "--k", "10", "--dev-srs"]);
    assert_eq!(r["development_srs"], true);
    assert!(r["warnings"][0].as_str().unwrap().contains("INSECURE"));
    // the imported copy is still the development SRS: refused by setup without --dev-srs
    let build = tmp.path().join("build");
    compile_credit(&cache, &build);
    let o = zk(&cache, &["setup", s(&build), "--srs", s(&out)]);
    common::assert_fails(&o, &["out.srs", "development SRS", "--dev-srs"]);
    let v = zk_json(&cache, &["setup", s(&build), "--srs", s(&out), "--dev-srs"]);
    assert_eq!(v["insecure_dev_srs"], true);
}
