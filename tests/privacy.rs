//! Privacy modes end to end: each visibility combination used in practice is compiled, set up,
//! proven, verified natively and by the generated Solidity verifier in revm; hash instances
//! equal what `zkinfer hash` prints, and change with the data they commit to.

mod common;

use common::*;
use halo2_axiom::halo2curves::bn256::Fr;
use revm::primitives::Address;
use zkinfer::evm::LocalEvm;
use zkinfer::model::InputData;
use zkinfer::pipeline::gas::deploy;
use zkinfer::pipeline::prove::prove;
use zkinfer::pipeline::verifier::{build_verifier, VerifierOptions};
use zkinfer::pipeline::verify::{verify, verify_with, ModelCheck, VerifyOptions};
use zkinfer::pipeline::{Settings, Silent};
use zkinfer::proof::transcript::scalar_bytes;
use zkinfer::proof::{read_vk, srs, ProofFile};
use zkinfer::quantize::{CalibrateOptions, InstanceKind, Vis, Visibility};
use zkinfer::solidity::encode_verify_call;

/// The credit model compiled with `visibility`, set up and proven.
fn built_as(visibility: Visibility) -> Built {
    build_with(
        "credit_mlp",
        CalibrateOptions {
            visibility,
            ..Default::default()
        },
    )
}

fn built(input: Vis, output: Vis) -> Built {
    built_as(Visibility {
        input,
        output,
        ..Default::default()
    })
}

fn with_params(params: Vis) -> Built {
    built_as(Visibility {
        params,
        ..Default::default()
    })
}

/// `zkinfer compile MODEL --data DATA --like LIKE` with extra arguments.
fn compile_like(model: &std::path::Path, data: &std::path::Path, like: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "compile",
        model.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--like",
        like.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    zkinfer(&args)
}

/// The proof bytes and instances of a proof file.
fn read_proof(path: &std::path::Path) -> (Vec<u8>, Vec<Fr>) {
    let f = ProofFile::read(path).unwrap();
    (f.proof_bytes(path).unwrap(), f.instance_values(path).unwrap())
}

/// The generated verifier of a build, deployed in a fresh revm.
struct Evm {
    evm: LocalEvm,
    addr: Address,
}

impl Evm {
    fn new(b: &Built) -> Self {
        let v = build_verifier(&b.dir, &VerifierOptions::default(), &Silent).expect("verifier builds");
        assert!(v.verifier.deployed_bytecode.len() <= 24_576, "within EIP-170");
        let mut evm = LocalEvm::new();
        let (addr, _, _) = deploy(&mut evm, &v).expect("deploys");
        Evm { evm, addr }
    }

    /// Whether `verifyProof` returns true.
    fn accepts(&mut self, proof: &[u8], instances: &[Fr]) -> bool {
        let words: Vec<[u8; 32]> = instances.iter().map(scalar_bytes).collect();
        let out = self.evm.call(self.addr, &encode_verify_call(proof, &words)).unwrap();
        out.success && out.output.len() == 32 && out.output[31] == 1 && out.output[..31].iter().all(|&b| b == 0)
    }
}

/// Whether the native verifier accepts.
fn native(b: &Built, proof: &[u8], instances: &[Fr]) -> bool {
    let settings = Settings::read(&b.dir).unwrap();
    let vk = read_vk(&b.dir.vk(), settings.shape).unwrap();
    let params = srs::read_params(&b.dir.srs(), Some(settings.k)).unwrap();
    zkinfer::proof::verify(&params, &vk, proof, instances).is_ok()
}

fn kinds(b: &Built) -> Vec<(InstanceKind, usize)> {
    let settings = Settings::read(&b.dir).unwrap();
    settings.instance_layout.iter().map(|s| (s.kind, s.len)).collect()
}

/// `zkinfer hash --json` of a part of a data file.
fn cli_hash(b: &Built, data: &std::path::Path, part: &str) -> String {
    let o = zkinfer(&[
        "--json",
        "hash",
        b.dir.path().to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--part",
        part,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["hash"].as_str().unwrap().to_string()
}

/// The bundled input with its first value halved (inside the calibrated range).
fn changed_input(b: &Built) -> std::path::PathBuf {
    let mut data = InputData::from_file(&b.input).unwrap();
    data.inputs[0][0] *= 0.5;
    let path = b.tmp.path().join("changed.json");
    std::fs::write(&path, data.to_json()).unwrap();
    path
}

fn hex(v: &Fr) -> String {
    zkinfer::proof::proof_file::encode_instance(v)
}

#[test]
fn private_input_and_public_output_verify_natively_and_on_the_evm() {
    let b = built(Vis::Private, Vis::Public);
    assert_eq!(kinds(&b), [(InstanceKind::Output, 1)]);
    let report = verify(&b.dir, &b.proof, &Silent).expect("verifies");
    assert_eq!(report.outputs.len(), 1);
    let (proof, inst) = read_proof(&b.proof);
    assert!(native(&b, &proof, &inst));
    let mut evm = Evm::new(&b);
    assert!(evm.accepts(&proof, &inst));
    let mut wrong = inst.clone();
    wrong[0] += Fr::from(1u64);
    assert!(!evm.accepts(&proof, &wrong) && !native(&b, &proof, &wrong));
}

#[test]
fn hashed_input_commits_to_the_data_and_a_changed_value_changes_the_hash() {
    let b = built(Vis::Hashed, Vis::Public);
    assert_eq!(kinds(&b), [(InstanceKind::Output, 1), (InstanceKind::InputHash, 1)]);
    let report = verify(&b.dir, &b.proof, &Silent).expect("verifies");
    let (proof, inst) = read_proof(&b.proof);
    // the hash `zkinfer hash` prints is the proof's instance
    assert_eq!(cli_hash(&b, &b.input, "input"), hex(&inst[1]));
    assert_eq!(report.hashes, vec![("inputs".to_string(), hex(&inst[1]))]);
    let mut evm = Evm::new(&b);
    assert!(evm.accepts(&proof, &inst) && native(&b, &proof, &inst));

    // one changed input value: another hash, and the old proof does not verify against it
    let changed = changed_input(&b);
    let new_hash = cli_hash(&b, &changed, "input");
    assert_ne!(new_hash, hex(&inst[1]));
    let new_proof_path = b.tmp.path().join("changed.proof.json");
    prove(&b.dir, &changed, &new_proof_path, &Silent).expect("proves the changed input");
    let (new_proof, new_inst) = read_proof(&new_proof_path);
    assert_eq!(hex(&new_inst[1]), new_hash);
    assert!(evm.accepts(&new_proof, &new_inst) && native(&b, &new_proof, &new_inst));
    let mut old_with_new_hash = inst.clone();
    old_with_new_hash[1] = new_inst[1];
    assert!(
        !evm.accepts(&proof, &old_with_new_hash),
        "EVM accepted the old proof for the new data"
    );
    assert!(
        !native(&b, &proof, &old_with_new_hash),
        "native verifier accepted the old proof for the new data"
    );
    // the proof file names its instances
    let file = ProofFile::read(&b.proof).unwrap();
    assert_eq!(file.instance_layout[1].name, "inputs");
    assert_eq!(file.instance_layout[0].scale, Some(file.outputs[0].scale));
    // a proof file whose instance layout is not the build's is refused, naming the field
    let mut edited = file.clone();
    edited.instance_layout[1].kind = InstanceKind::OutputHash;
    let edited_path = b.tmp.path().join("edited.proof.json");
    edited.write(&edited_path).unwrap();
    let err = verify(&b.dir, &edited_path, &Silent).unwrap_err().to_string();
    assert!(err.contains("`instance_layout` does not match"), "{err}");
}

#[test]
fn the_hashing_verifier_refuses_tampered_proofs_and_instances_like_the_native_one() {
    let b = built(Vis::Hashed, Vis::Public);
    let (proof, inst) = read_proof(&b.proof);
    let mut evm = Evm::new(&b);
    let refused = |evm: &mut Evm, p: &[u8], i: &[Fr], what: &str| {
        assert!(!evm.accepts(p, i), "EVM accepted {what}");
        assert!(!native(&b, p, i), "native verifier accepted {what}");
    };
    // every 32-byte word of the proof, low bit flipped
    for w in 0..proof.len() / 32 {
        let mut p = proof.clone();
        p[32 * w + 31] ^= 1;
        refused(&mut evm, &p, &inst, &format!("proof word {w} flipped"));
    }
    // wrong lengths
    refused(&mut evm, &proof[..proof.len() - 32], &inst, "a truncated proof");
    let mut longer = proof.clone();
    longer.extend_from_slice(&[0u8; 32]);
    refused(&mut evm, &longer, &inst, "a proof with a trailing word");
    refused(&mut evm, &proof, &inst[..1], "a missing instance");
    // the hash instance + r (the same field element, not canonical): the EVM reverts
    let words: Vec<[u8; 32]> = inst.iter().map(scalar_bytes).collect();
    let mut over = words.clone();
    let r = hex::decode("30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001").unwrap();
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let s = over[1][i] as u16 + r[i] as u16 + carry;
        over[1][i] = s as u8;
        carry = s >> 8;
    }
    if carry == 0 {
        let out = evm.evm.call(evm.addr, &encode_verify_call(&proof, &over)).unwrap();
        assert!(!out.success, "an instance ≥ r reverts");
    }
    assert!(evm.accepts(&proof, &inst), "the untampered proof still verifies");
}

#[test]
fn hashed_output_and_public_input_publish_the_outputs_hash() {
    let b = built(Vis::Public, Vis::Hashed);
    assert_eq!(kinds(&b), [(InstanceKind::OutputHash, 1), (InstanceKind::Input, 10)]);
    verify(&b.dir, &b.proof, &Silent).expect("verifies");
    let (proof, inst) = read_proof(&b.proof);
    assert_eq!(cli_hash(&b, &b.input, "output"), hex(&inst[0]));
    let file = ProofFile::read(&b.proof).unwrap();
    assert!(file.outputs.is_empty(), "hashed outputs are not written in clear");
    let mut evm = Evm::new(&b);
    assert!(evm.accepts(&proof, &inst) && native(&b, &proof, &inst));
    let mut wrong = inst.clone();
    wrong[0] += Fr::from(1u64);
    assert!(!evm.accepts(&proof, &wrong) && !native(&b, &proof, &wrong));
}

#[test]
fn visibility_errors_name_the_part() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("b");
    let m = model("credit_mlp.onnx");
    let d = model("credit_mlp.input.json");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "compile",
            m.to_str().unwrap(),
            "--data",
            d.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        a.extend_from_slice(extra);
        a.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let run = |extra: &[&str]| {
        let a = args(extra);
        zkinfer(&a.iter().map(|s| s.as_str()).collect::<Vec<_>>())
    };
    assert_fails(
        &run(&["--input", "fixed"]),
        &["input visibility `fixed`", "public, private, hashed"],
    );
    assert_fails(&run(&["--output", "fixed"]), &["output visibility `fixed`"]);
    assert!(!out.exists(), "nothing written on a refused visibility");
}

fn cli_params_hash(dir: &zkinfer::pipeline::BuildDir) -> String {
    let o = zkinfer(&["--json", "hash", dir.path().to_str().unwrap(), "--part", "params"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["hash"].as_str().unwrap().to_string()
}

#[test]
fn hashed_params_commit_to_the_model_and_one_verifier_serves_its_architecture() {
    let a = with_params(Vis::Hashed);
    assert_eq!(kinds(&a), [(InstanceKind::Output, 1), (InstanceKind::ParamsHash, 1)]);
    let report = verify(&a.dir, &a.proof, &Silent).expect("verifies");
    let (proof, inst) = read_proof(&a.proof);
    // the params hash: in settings.json, printed by `zkinfer hash --part params`, in the proof
    let settings_a = Settings::read(&a.dir).unwrap();
    let hash_a = cli_params_hash(&a.dir);
    assert_eq!(settings_a.params_hash.as_deref(), Some(hash_a.as_str()));
    assert_eq!(hex(&inst[1]), hash_a);
    assert_eq!(report.hashes, vec![("params".to_string(), hash_a.clone())]);
    let mut evm = Evm::new(&a);
    assert!(evm.accepts(&proof, &inst) && native(&a, &proof, &inst));
    let mut wrong = inst.clone();
    wrong[1] += Fr::from(1u64);
    assert!(!evm.accepts(&proof, &wrong) && !native(&a, &proof, &wrong));

    // model B: the same architecture with one weight changed, compiled --like A
    let model_b = a.tmp.path().join("credit_b.onnx");
    with_changed_weight(&model("credit_mlp.onnx"), &model_b, 0.125);
    let dir_b = a.tmp.path().join("build_b");
    let o = compile_like(&model_b, &a.input, a.dir.path(), &["--out", dir_b.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let b = zkinfer::pipeline::BuildDir(dir_b.clone());
    zkinfer::pipeline::setup::setup(&b, &zkinfer::proof::SrsSource::Dev, &Silent).expect("setup B");
    let settings_b = Settings::read(&b).unwrap();
    assert_eq!(
        settings_b.setup.as_ref().unwrap().vk_hash,
        settings_a.setup.as_ref().unwrap().vk_hash,
        "one verifying key for both models"
    );
    let hash_b = cli_params_hash(&b);
    assert_ne!(hash_b, hash_a, "one changed weight changes the params hash");
    let proof_b_path = a.tmp.path().join("b.proof.json");
    prove(&b, &a.input, &proof_b_path, &Silent).expect("proves with model B");
    let (proof_b, inst_b) = read_proof(&proof_b_path);
    assert_eq!(hex(&inst_b[1]), hash_b);
    // A's verifier contract accepts B's proof: it names B's params hash
    assert!(evm.accepts(&proof_b, &inst_b) && native(&a, &proof_b, &inst_b));
    // `zkinfer verify` with A's build refuses it unless B's model is approved (or any model)
    let err = verify(&a.dir, &proof_b_path, &Silent).unwrap_err().to_string();
    assert!(err.contains("other model parameters") && err.contains(&hash_b), "{err}");
    let approved = VerifyOptions {
        models: ModelCheck::Approved(vec![hash_b.clone()]),
    };
    let r = verify_with(&a.dir, &proof_b_path, &approved, &Silent).expect("B's model approved");
    assert_eq!(r.model.unwrap().params_hash.as_deref(), Some(hash_b.as_str()));
    let elsewhere = VerifyOptions {
        models: ModelCheck::Approved(vec![format!("0x{}", "0".repeat(64))]),
    };
    let err = verify_with(&a.dir, &proof_b_path, &elsewhere, &Silent).unwrap_err().to_string();
    assert!(err.contains("is not among the approved ones") && err.contains(&hash_b), "{err}");
    // hash usage: params take no --data, inputs need it
    let dir_a_str = a.dir.path().to_str().unwrap();
    assert_fails(
        &zkinfer(&["hash", dir_a_str, "--part", "params", "--data", a.input.to_str().unwrap()]),
        &["hash --part params hashes the build's own parameters; drop --data"],
    );
    assert_fails(&zkinfer(&["hash", dir_a_str]), &["hash --part input needs --data FILE"]);
    // approving other models keeps the build's own accepted
    let own = verify_with(&a.dir, &a.proof, &approved, &Silent).expect("A's own model");
    assert_eq!(own.model.unwrap().checked, "this build's");
    let any = VerifyOptions { models: ModelCheck::Any };
    verify_with(&a.dir, &proof_b_path, &any, &Silent).expect("any model");
    let (proof_path_b, dir_a) = (proof_b_path.to_str().unwrap(), a.dir.path().to_str().unwrap());
    assert_fails(
        &zkinfer(&["verify", dir_a, proof_path_b]),
        &["other model parameters", "--params-hash"],
    );
    let o = zkinfer(&["verify", dir_a, proof_path_b, "--params-hash", &hash_b]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // B's proof presented as a proof of the approved model A (A's params hash) is refused
    let mut as_a = inst_b.clone();
    as_a[1] = inst[1];
    assert!(!evm.accepts(&proof_b, &as_a), "EVM accepted model B's proof under A's hash");
    assert!(
        !native(&a, &proof_b, &as_a),
        "native verifier accepted model B's proof under A's hash"
    );

    // --like refuses another architecture and a build whose params are fixed
    let other = a.tmp.path().join("other");
    let o = compile_like(
        &model("mlp_64.onnx"),
        &model("mlp_64.input.json"),
        a.dir.path(),
        &["--out", other.to_str().unwrap()],
    );
    assert_fails(&o, &["architecture differs"]);
    assert!(!other.exists(), "nothing written");
    let fixed = built(Vis::Private, Vis::Public);
    let o = compile_like(&model_b, &a.input, fixed.dir.path(), &["--out", other.to_str().unwrap()]);
    assert_fails(&o, &["--params hashed", "params are fixed"]);
    // a reference whose settings.json names a remainder chunk size its program.json was not
    // split with is refused, naming the field
    let edited = a.tmp.path().join("edited");
    std::fs::create_dir_all(&edited).unwrap();
    std::fs::copy(a.dir.path().join("program.json"), edited.join("program.json")).unwrap();
    let mut settings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.dir.path().join("settings.json")).unwrap()).unwrap();
    assert!(settings.get("rem_bits").is_none(), "the credit model needs no remainder chunks");
    settings["rem_bits"] = 10.into();
    std::fs::write(edited.join("settings.json"), settings.to_string()).unwrap();
    let o = compile_like(&model_b, &a.input, &edited, &["--out", other.to_str().unwrap()]);
    assert_fails(&o, &["rem_bits (Some(10)) does not match program.json", "not checked in chunks"]);
    assert!(!other.exists(), "nothing written");
    // --like takes the scales from the reference build
    let o = compile_like(&model_b, &a.input, a.dir.path(), &["--scale", "6"]);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("--scale"));
}

#[test]
fn public_params_are_instances_in_program_order() {
    let b = with_params(Vis::Public);
    let settings = Settings::read(&b.dir).unwrap();
    let program = zkinfer::pipeline::settings::read_program(&b.dir, &settings).unwrap();
    let n = program.param_count();
    assert!(n > 100, "the credit model's weights and biases: {n}");
    assert_eq!(kinds(&b), [(InstanceKind::Output, 1), (InstanceKind::Params, n)]);
    verify(&b.dir, &b.proof, &Silent).expect("verifies");
    let (proof, inst) = read_proof(&b.proof);
    // the instances after the score are the quantized parameters, in program order
    let want: Vec<Fr> = program.param_values().into_iter().map(zkinfer::circuit::fe).collect();
    assert_eq!(inst[1..], want[..]);
    let mut evm = Evm::new(&b);
    assert!(evm.accepts(&proof, &inst) && native(&b, &proof, &inst));
    // another weight in the instances: refused
    let mut wrong = inst.clone();
    wrong[1 + n / 2] += Fr::from(1u64);
    assert!(!evm.accepts(&proof, &wrong) && !native(&b, &proof, &wrong));
}

#[test]
fn private_params_proofs_are_refused_unless_any_model() {
    // private params: only the score is public; the proof commits to no model (the prover
    // picks the weights), so verify refuses it unless told --any-model
    let p = with_params(Vis::Private);
    assert_eq!(kinds(&p), [(InstanceKind::Output, 1)]);
    let (proof, inst) = read_proof(&p.proof);
    assert!(native(&p, &proof, &inst), "the proof itself is valid");
    let err = verify(&p.dir, &p.proof, &Silent).unwrap_err().to_string();
    assert!(
        err.contains("--params private") && err.contains("does not commit to any model") && err.contains("--any-model"),
        "{err}"
    );
    let approved = VerifyOptions {
        models: ModelCheck::Approved(vec![format!("0x{}", "0".repeat(64))]),
    };
    let err = verify_with(&p.dir, &p.proof, &approved, &Silent).unwrap_err().to_string();
    assert!(err.contains("does not commit to any model"), "{err}");
    let any = VerifyOptions { models: ModelCheck::Any };
    let r = verify_with(&p.dir, &p.proof, &any, &Silent).expect("accepted with --any-model");
    let m = r.model.expect("the model check is reported");
    assert!(m.params_hash.is_none() && m.checked.starts_with("not checked"), "{m:?}");
    let (dir, proof_path) = (p.dir.path().to_str().unwrap(), p.proof.to_str().unwrap());
    assert_fails(
        &zkinfer(&["verify", dir, proof_path]),
        &["does not commit to any model", "--any-model"],
    );
    let o = zkinfer(&["verify", dir, proof_path, "--any-model"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not checked"));
    // and compile says what that means
    let out = p.tmp.path().join("again");
    let o = zkinfer(&[
        "compile",
        model("credit_mlp.onnx").to_str().unwrap(),
        "--data",
        p.input.to_str().unwrap(),
        "--params",
        "private",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("params are private and not committed"));
}
