//! `zkinfer deploy` and `zkinfer submit` against a real anvil (the npm package's binary) on a
//! free port: deployment with code checks and an idempotent re-run, a data provider's attestation
//! and a valid proof on the attested features accepted by CreditGate, refused proofs (on made-up
//! features, tampered, another borrower's, another model's, an unknown provider's attestation)
//! leaving no trace,
//! and clear errors for a wrong chain, a development SRS on a public chain, and a stopped node.

mod common;

use common::{assert_fails, start_anvil, zkinfer};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use zkinfer::chain::contracts::{Abi, ICreditGate};
use zkinfer::chain::tx::view;
use zkinfer::chain::{Address, Call, Rpc, RpcOptions};
use zkinfer::pipeline::compile::{compile, CompileOptions};
use zkinfer::pipeline::prove::prove_with;
use zkinfer::pipeline::setup::setup;
use zkinfer::pipeline::{BuildDir, Silent};
use zkinfer::proof::ProofFile;
use zkinfer::quantize::CalibrateOptions;

/// anvil's well-known development keys #0 (deployer), #1 (borrower), and account #2.
const DEPLOYER_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const BORROWER_KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const BORROWER: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const OTHER_BORROWER: &str = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
/// anvil's key #3: the data provider the gate trusts.
const PROVIDER_KEY: &str = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";
const PROVIDER: &str = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";

/// The credit model compiled into `out` with `calibration`.
fn compile_credit(out: &Path, calibration: CalibrateOptions) {
    let opts = CompileOptions {
        model: common::model("credit_mlp.onnx"),
        data: vec![common::model("credit_mlp.input.json")],
        out: out.to_path_buf(),
        like: None,
        batch: 1,
        optimize: Default::default(),
        calibration,
    };
    compile(&opts, &Silent).expect("compiles");
}

/// The credit model for a CreditGate (`--input hashed --bind account`), set up.
fn build(tmp: &Path, name: &str, scale: Option<u32>) -> BuildDir {
    let out = tmp.join(name);
    compile_credit(
        &out,
        CalibrateOptions {
            scale,
            visibility: zkinfer::quantize::Visibility {
                input: zkinfer::quantize::Vis::Hashed,
                ..Default::default()
            },
            bound: vec!["account".into()],
            ..Default::default()
        },
    );
    let dir = BuildDir(out);
    setup(&dir, &zkinfer::proof::SrsSource::Dev, &Silent).expect("setup");
    dir
}

fn prove_for(dir: &BuildDir, account: &str, out: &Path) -> PathBuf {
    prove_on(dir, "credit_mlp.input.json", account, out)
}

fn prove_on(dir: &BuildDir, data: &str, account: &str, out: &Path) -> PathBuf {
    prove_with(dir, &common::model(data), out, &[format!("account={account}")], &Silent).expect("proves");
    out.to_path_buf()
}

fn json(out: &std::process::Output) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "command failed: {}\nstdout: {stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn rpc(url: &str) -> Rpc {
    Rpc::connect(RpcOptions::new(url)).expect("client")
}

fn is_approved(url: &str, gate: Address, who: Address) -> bool {
    view(&rpc(url), who, gate, ICreditGate::isApprovedCall { borrower: who }, Abi::CreditGate).expect("isApproved")
}

#[test]
fn deploy_and_submit_on_anvil() {
    let tmp = tempfile::tempdir().unwrap();
    let model = build(tmp.path(), "credit", None);
    let other_model = build(tmp.path(), "credit_scale8", Some(8));
    let good = prove_for(&model, BORROWER, &tmp.path().join("good.json"));
    let others = prove_for(&model, OTHER_BORROWER, &tmp.path().join("other_borrower.json"));
    let foreign = prove_for(&other_model, BORROWER, &tmp.path().join("other_model.json"));
    // The borrower's proof on features nobody attested (made up to score higher).
    let made_up = prove_on(&model, "credit_mlp.madeup.json", BORROWER, &tmp.path().join("made_up.json"));
    let tampered = tmp.path().join("tampered.json");
    {
        let mut f = ProofFile::read(&good).unwrap();
        // Flip a low hex digit of the last evaluation, before the two final opening points
        // (2 × 64 bytes): the scalar stays canonical, so the pairing check is what fails.
        let i = f.proof.len() - 2 * 128 - 5;
        let c = if &f.proof[i..i + 1] == "1" { "2" } else { "1" };
        f.proof.replace_range(i..i + 1, c);
        f.write(&tampered).unwrap();
    }

    let anvil = start_anvil(31337);
    let url = anvil.url.as_str();
    let record = tmp.path().join("deployments/credit.json");
    let deploy_args = |extra: &[&str]| -> Vec<String> {
        let mut v = common::credit_gate_deploy_args(s(&model.0), url, PROVIDER, s(&record));
        v.extend(extra.iter().map(|x| x.to_string()));
        v
    };
    let run = |args: &[String]| zkinfer(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let deployer: Address = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266".parse().unwrap();
    let borrower: Address = BORROWER.parse().unwrap();
    let client = rpc(url);

    // A wrong --chain-id stops before anything is sent.
    let out = run(&deploy_args(&["--chain-id", "1"]));
    assert_fails(&out, &["serves chain 31337, not chain 1"]);
    assert!(!record.exists());

    // A dry run estimates and sends nothing.
    let plan = json(&run(&deploy_args(&["--dry-run"])));
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["contracts"][0]["action"], "would deploy");
    assert!(plan["contracts"][0]["gas"].as_u64().unwrap() > 1_000_000);
    assert!(!record.exists(), "a dry run writes no record");
    assert_eq!(client.nonce(deployer).unwrap(), 0);

    // Deploy: verifier + CreditGate, code checked, record written.
    let first = json(&run(&deploy_args(&[])));
    assert_eq!(first["transactions"], 2, "{first}");
    assert_eq!(first["chain_id"], 31337);
    let roles: Vec<&str> = first["contracts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["verifier", "credit_gate"]);
    for c in first["contracts"].as_array().unwrap() {
        assert_eq!(c["action"], "deployed");
    }
    let rec: Value = serde_json::from_str(&std::fs::read_to_string(&record).unwrap()).unwrap();
    assert_eq!(rec["chain_id"], 31337);
    assert_eq!(rec["vk_hash"], first["vk_hash"]);
    assert_eq!(rec["credit_gate_policy"]["validity_seconds"], 7 * 86_400);
    assert_eq!(rec["credit_gate_policy"]["providers"][0], PROVIDER);
    let gate: Address = rec["contracts"][1]["address"].as_str().unwrap().parse().unwrap();
    let verifier: Address = rec["contracts"][0]["address"].as_str().unwrap().parse().unwrap();
    assert_eq!(client.nonce(deployer).unwrap(), 2);
    let code = client.code(verifier).unwrap();
    assert_eq!(
        alloy::primitives::keccak256(&code).to_string(),
        rec["contracts"][0]["code_hash"].as_str().unwrap()
    );

    // Re-running sends nothing, and says so.
    let out = run(&deploy_args(&[]));
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        stderr.contains("is already deployed at") && stderr.contains("nothing sent"),
        "{stderr}"
    );
    let again = json(&out);
    assert_eq!(again["transactions"], 0);
    for c in again["contracts"].as_array().unwrap() {
        assert_eq!(c["action"], "already deployed");
    }
    assert_eq!(client.nonce(deployer).unwrap(), 2);
    // Contracts of the record that hold other code (another optimizer setting) or another policy
    // are not silently replaced.
    assert_fails(&run(&deploy_args(&["--optimizer-runs", "200"])), &["holds other code", "--force"]);
    let mut other_policy = deploy_args(&[]);
    let t = other_policy.iter().position(|a| a == "-1000").unwrap();
    other_policy[t] = "-999".into();
    assert_fails(&run(&other_policy), &["is configured differently", "setPolicy"]);
    assert_eq!(client.nonce(deployer).unwrap(), 2);
    // A record for another model is not silently overwritten.
    let out = zkinfer(&[
        "deploy",
        s(&other_model.0),
        "--rpc-url",
        url,
        "--private-key",
        DEPLOYER_KEY,
        "--record",
        s(&record),
    ]);
    assert_fails(&out, &["records a verifier of another verifying key", "--force"]);

    // The data provider attests the borrower's real features for this gate.
    let attest = |key: &str, out: &Path| {
        zkinfer(&[
            "--json",
            "attest",
            s(&model.0),
            "--data",
            s(&common::model("credit_mlp.input.json")),
            "--subject",
            BORROWER,
            "--expires",
            "30d",
            "--deployment",
            s(&record),
            "--private-key",
            key,
            "--out",
            s(out),
        ])
    };
    let attestation = tmp.path().join("attestation.json");
    let att = json(&attest(PROVIDER_KEY, &attestation));
    assert_eq!(att["provider"], PROVIDER);
    assert_eq!(att["gate"].as_str().unwrap(), rec["contracts"][1]["address"].as_str().unwrap());
    let good_instances = ProofFile::read(&good).unwrap().instances;
    assert_eq!(
        att["input_hash"].as_str().unwrap(),
        good_instances[1],
        "the hash the circuit publishes"
    );
    assert_eq!(att["schema"], rec["credit_gate_policy"]["schema"]);
    // The gate computes the same EIP-712 digest the provider signed.
    let file: zkinfer::chain::attest::AttestationFile = serde_json::from_str(&std::fs::read_to_string(&attestation).unwrap()).unwrap();
    let read = zkinfer::chain::attest::AttestationFile::read(&attestation).unwrap();
    let on_chain_digest = view(
        &client,
        borrower,
        gate,
        ICreditGate::attestationDigestCall {
            a: read.attestation.clone(),
        },
        Abi::CreditGate,
    )
    .expect("attestationDigest");
    assert_eq!(on_chain_digest.to_string(), file.digest);
    // Someone the gate does not trust (the deployer's key) attests too.
    let untrusted = tmp.path().join("untrusted.json");
    json(&attest(DEPLOYER_KEY, &untrusted));

    // Refusals: simulated first, nothing sent, nothing recorded.
    let submit_plain = |proof: &Path, extra: &[&str]| {
        let mut v = vec![
            "--json",
            "submit",
            s(proof),
            "--deployment",
            s(&record),
            "--rpc-url",
            url,
            "--private-key",
            BORROWER_KEY,
        ];
        v.extend_from_slice(extra);
        zkinfer(&v)
    };
    let submit_with =
        |proof: &Path, attestation: &Path, extra: &[&str]| submit_plain(proof, &[&["--attestation", s(attestation)], extra].concat());
    let submit = |proof: &Path, extra: &[&str]| submit_with(proof, &attestation, extra);
    // The point: a valid proof on made-up features is refused, with the reason.
    let out = submit(&made_up, &[]);
    assert_fails(
        &out,
        &["requestCredit", "would revert", "InputNotAttested", &good_instances[1][2..]],
    );
    assert!(
        zkinfer::pipeline::verify::verify(&model, &made_up, &Silent).unwrap().verified,
        "the made-up proof itself is valid"
    );
    assert_fails(&submit_with(&good, &untrusted, &[]), &["UnknownProvider", "0xf39F"]);
    assert_fails(&submit_plain(&good, &[]), &["--attestation FILE"]);
    assert_fails(&submit(&tampered, &[]), &["requestCredit", "would revert", "InvalidProof"]);
    assert_fails(&submit(&others, &[]), &["WrongBorrower", &OTHER_BORROWER[2..].to_lowercase()]);
    assert_fails(&submit(&foreign, &[]), &["was made for verifying key", "would be refused"]);
    let gate_hex = format!("{gate:#x}");
    assert_fails(
        &zkinfer(&[
            "submit",
            s(&foreign),
            "--to",
            &gate_hex,
            "--target",
            "credit-gate",
            "--rpc-url",
            url,
            "--private-key",
            BORROWER_KEY,
            "--attestation",
            s(&attestation),
        ]),
        // the other model quantizes the features differently: another input hash
        &["InputNotAttested"],
    );
    assert_eq!(client.nonce(borrower).unwrap(), 0, "a refused proof sends no transaction");
    assert!(!is_approved(url, gate, borrower));

    // A keystore signs too (dry run: simulated and estimated only).
    let ks_dir = tmp.path().join("keys");
    std::fs::create_dir_all(&ks_dir).unwrap();
    let key_bytes: [u8; 32] = hex::decode(&BORROWER_KEY[2..]).unwrap().try_into().unwrap();
    alloy::signers::local::PrivateKeySigner::encrypt_keystore(&ks_dir, &mut rand::thread_rng(), key_bytes, "pw", Some("borrower.json"))
        .unwrap();
    std::fs::write(ks_dir.join("pw.txt"), "pw\n").unwrap();
    let dry = json(&zkinfer(&[
        "--json",
        "submit",
        s(&good),
        "--deployment",
        s(&record),
        "--rpc-url",
        url,
        "--keystore",
        s(&ks_dir.join("borrower.json")),
        "--password-file",
        s(&ks_dir.join("pw.txt")),
        "--attestation",
        s(&attestation),
        "--dry-run",
    ]));
    assert_eq!(dry["dry_run"], true);
    assert!(dry["gas"].as_u64().unwrap() > 300_000);
    assert_eq!(client.nonce(borrower).unwrap(), 0);

    // The valid proof: status 1, approval recorded.
    let ok = json(&submit(&good, &[]));
    assert_eq!(ok["target"], "credit_gate");
    assert!(ok["tx_hash"].as_str().unwrap().starts_with("0x"));
    assert!(ok["block"].as_u64().unwrap() >= 3);
    assert!(ok["gas"].as_u64().unwrap() > 300_000);
    assert!(ok["approved_until"].as_u64().unwrap() > 0);
    assert_eq!(ok["provider"], PROVIDER);
    let expected_score = ProofFile::read(&good).unwrap().outputs[0].values[0];
    assert!((ok["score"].as_f64().unwrap() - expected_score).abs() < 1e-9, "{ok}");
    assert!(is_approved(url, gate, borrower));
    assert_eq!(client.nonce(borrower).unwrap(), 1);
    // Each attestation approves once.
    assert_fails(&submit(&good, &[]), &["AttestationAlreadyUsed"]);
    assert_eq!(client.nonce(borrower).unwrap(), 1);

    // Straight to the verifier (a view call sent as a transaction: gas measured on chain).
    let to_verifier = |proof: &Path| submit_plain(proof, &["--target", "verifier"]);
    // An attestation is for a gate: given with another target it is a mistake, said so.
    assert_fails(&submit(&good, &["--target", "verifier"]), &["--attestation is for a CreditGate"]);
    let v = json(&to_verifier(&good));
    assert_eq!(v["target"], "verifier");
    assert_eq!(v["contract"].as_str().unwrap(), format!("{verifier:#x}"));
    assert_fails(&to_verifier(&tampered), &["the verifier returned false"]);

    // An InferenceOracle (deployed and configured through the library): only operators post.
    use alloy::sol_types::SolCall;
    use zkinfer::chain::contracts::{compile_oracle, IInferenceOracle};
    use zkinfer::chain::tx::{prepare, send};
    use zkinfer::chain::{KeySource, TxOptions};
    let solc = zkinfer::evm::find_solc(None).expect("solc");
    let oracle_code = compile_oracle(&solc).expect("compiles");
    let owner = KeySource::PrivateKey(DEPLOYER_KEY.into()).signer().unwrap();
    let txo = TxOptions::default();
    let exec = |to: Option<Address>, data: Vec<u8>| {
        let call = Call {
            what: "oracle set-up".into(),
            from: deployer,
            to,
            data,
            abi: Abi::InferenceOracle,
        };
        let p = prepare(&client, 31337, call, &txo).expect("prepared");
        send(&client, &p, &owner, &txo, &mut |_| Ok(())).expect("mined")
    };
    let oracle: Address = exec(None, oracle_code.bytecode.clone()).contract_address.unwrap().parse().unwrap();
    let vk: alloy::primitives::B256 = first["vk_hash"].as_str().unwrap().parse().unwrap();
    let model_id = alloy::primitives::keccak256("credit");
    exec(
        Some(oracle),
        IInferenceOracle::registerModelCall {
            modelId: model_id,
            verifier,
            vkHash: vk,
            numOutputs: 1,
            numInstances: 3,
        }
        .abi_encode(),
    );
    exec(
        Some(oracle),
        IInferenceOracle::setOperatorCall {
            operator: deployer,
            allowed: true,
        }
        .abi_encode(),
    );
    let oracle_hex = format!("{oracle:#x}");
    let post = |key: &str| {
        zkinfer(&[
            "--json",
            "submit",
            s(&good),
            "--to",
            &oracle_hex,
            "--target",
            "oracle",
            "--model-id",
            "credit",
            "--rpc-url",
            url,
            "--private-key",
            key,
        ])
    };
    assert_fails(&post(BORROWER_KEY), &["NotOperator"]);
    let posted = json(&post(DEPLOYER_KEY));
    assert_eq!(posted["target"], "inference_oracle");
    // The outputs are stored under keccak256 of the public values after the outputs:
    // [inputHash, account].
    let mut words = hex::decode(&good_instances[1][2..]).unwrap();
    let mut account_word = [0u8; 32];
    account_word[12..].copy_from_slice(borrower.as_slice());
    words.extend_from_slice(&account_word);
    let key = alloy::primitives::keccak256(words);
    assert_eq!(posted["input_key"].as_str().unwrap(), key.to_string());
    let latest = view(
        &client,
        deployer,
        oracle,
        IInferenceOracle::latestCall { modelId: model_id, key },
        Abi::InferenceOracle,
    )
    .expect("latest");
    let instances = ProofFile::read(&good).unwrap().instances;
    assert_eq!(format!("{:#066x}", latest.outputs[0]), instances[0]);
    assert_eq!(latest.blockNumber, posted["block"].as_u64().unwrap());
}

/// `zkinfer --json deploy MODEL --layout separate --record RECORD EXTRA…` with the deployer's key
/// in `$ZKINFER_PRIVATE_KEY`.
fn deploy_separate(model: &BuildDir, url: &str, record: &Path, extra: &[&str]) -> std::process::Output {
    let mut v = vec![
        "--json",
        "deploy",
        s(&model.0),
        "--rpc-url",
        url,
        "--layout",
        "separate",
        "--record",
        s(record),
    ];
    v.extend_from_slice(extra);
    Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(&v)
        .env("ZKINFER_PRIVATE_KEY", DEPLOYER_KEY)
        .output()
        .unwrap()
}

#[test]
fn public_chains_stopped_nodes_and_the_separate_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let model = build(tmp.path(), "credit", None);
    let proof = prove_for(&model, BORROWER, &tmp.path().join("p.json"));
    let anvil = start_anvil(99);
    let url = anvil.url.clone();
    let url2 = url.clone();
    let record = tmp.path().join("sep.json");
    let deploy = |extra: &[&str]| deploy_separate(&model, &url, &record, extra);
    // A development-SRS verifier is refused on a chain that is not a local one.
    assert_fails(&deploy(&[]), &["refusing to deploy to chain 99", "development SRS"]);
    assert!(!record.exists());
    // Separate layout: the key contract first, the verifier's immutable checked.
    let d = json(&deploy(&["--allow-insecure-srs"]));
    let roles: Vec<&str> = d["contracts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["verifying_key", "verifier"]);
    assert_eq!(d["transactions"], 2);
    assert!(d["warnings"][0].as_str().unwrap().contains("INSECURE"));
    let again = json(&deploy(&["--allow-insecure-srs"]));
    assert_eq!(again["transactions"], 0);
    let v = json(&zkinfer(&[
        "--json",
        "submit",
        s(&proof),
        "--deployment",
        s(&record),
        "--rpc-url",
        &url,
        "--private-key",
        BORROWER_KEY,
    ]));
    assert_eq!(v["target"], "verifier");
    assert_eq!(v["chain_id"], 99);

    // An SRS that is no known ceremony file (here: halo2 params of a secret only this test
    // knows) is refused off local chains unless accepted by its SHA-256.
    let own = build(tmp.path(), "credit_own_srs", None);
    let srs_file = tmp.path().join("private_ceremony.srs");
    {
        use halo2_axiom::halo2curves::bn256::Bn256;
        use halo2_axiom::poly::commitment::Params;
        use halo2_axiom::poly::kzg::commitment::ParamsKZG;
        use rand::SeedableRng;
        let k = zkinfer::pipeline::Settings::read(&own).unwrap().k;
        let params = ParamsKZG::<Bn256>::setup(k, rand_chacha::ChaCha20Rng::seed_from_u64(7));
        let mut f = std::fs::File::create(&srs_file).unwrap();
        params.write(&mut f).unwrap();
    }
    let out = zkinfer(&["--json", "setup", s(&own.0), "--srs", s(&srs_file)]);
    let set = json(&out);
    let sha = zkinfer::pipeline::Settings::read(&own).unwrap().setup.unwrap().srs_sha256;
    assert!(!sha.is_empty(), "{set}");
    let fresh = tmp.path().join("unknown.json");
    let deploy_unknown = |extra: &[&str]| deploy_separate(&own, &url2, &fresh, extra);
    assert_fails(
        &deploy_unknown(&["--dry-run"]),
        &[
            "refusing to deploy to chain 99",
            "not a known public ceremony",
            &format!("--accept-srs {sha}"),
        ],
    );
    assert_fails(
        &deploy_unknown(&["--dry-run", "--accept-srs", &"00".repeat(32)]),
        &["not a known public ceremony"],
    );
    let plan = json(&deploy_unknown(&["--dry-run", "--accept-srs", &sha]));
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["srs_sha256"], sha.as_str(), "the deployment names its SRS");
    assert!(plan.get("srs_known_ceremony").is_none());

    // A stopped node: a clear error after the bounded retries, exit code 1.
    drop(anvil);
    let started = Instant::now();
    let out = zkinfer(&[
        "submit",
        s(&proof),
        "--deployment",
        s(&record),
        "--rpc-url",
        &url,
        "--private-key",
        BORROWER_KEY,
        "--rpc-attempts",
        "2",
    ]);
    assert_fails(&out, &[&format!("RPC {url}"), "eth_chainId failed after 2 attempt(s)"]);
    assert!(started.elapsed() < Duration::from_secs(60));
    // A new node (same chain id) where the recorded contracts have no code: an earlier run's
    // pending key-contract deployment that did land is adopted, the rest is deployed again.
    let anvil = start_anvil(99);
    let url = anvil.url.clone();
    let built = zkinfer::pipeline::verifier::build_verifier(
        &model,
        &zkinfer::pipeline::verifier::VerifierOptions {
            layout: Some(zkinfer::solidity::Layout::Separate),
            ..Default::default()
        },
        &Silent,
    )
    .unwrap();
    let client = rpc(&url);
    let deployer: Address = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266".parse().unwrap();
    let signer = zkinfer::chain::KeySource::PrivateKey(DEPLOYER_KEY.into()).signer().unwrap();
    let txo = zkinfer::chain::TxOptions::default();
    let call = Call {
        what: "key contract".into(),
        from: deployer,
        to: None,
        data: built.vk_contract.as_ref().unwrap().bytecode.clone(),
        abi: Abi::Verifier,
    };
    let p = zkinfer::chain::tx::prepare(&client, 99, call, &txo).unwrap();
    let mined = zkinfer::chain::tx::send(&client, &p, &signer, &txo, &mut |_| Ok(())).unwrap();
    let mut rec: Value = serde_json::from_str(&std::fs::read_to_string(&record).unwrap()).unwrap();
    rec["pending"] = serde_json::json!([{
        "role": "verifying_key", "tx_hash": mined.tx_hash, "from": format!("{deployer:#x}"), "nonce": 0
    }]);
    std::fs::write(&record, rec.to_string()).unwrap();
    let out = deploy_separate(&model, &url, &record, &["--allow-insecure-srs"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(stderr.contains("sent by an earlier run") && stderr.contains("recorded"), "{stderr}");
    assert!(stderr.contains("has no code on chain now"), "{stderr}");
    let redeployed = json(&out);
    assert_eq!(redeployed["transactions"], 1, "only the verifier is deployed again: {redeployed}");
    assert_eq!(
        redeployed["contracts"][0]["address"].as_str().unwrap(),
        mined.contract_address.unwrap()
    );
    let rec: Value = serde_json::from_str(&std::fs::read_to_string(&record).unwrap()).unwrap();
    assert!(rec.get("pending").is_none(), "{rec}");
    assert_eq!(client.nonce(deployer).unwrap(), 2);
    drop(anvil);

    // No signing key at all.
    let out = Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(["submit", s(&proof), "--deployment", s(&record), "--rpc-url", &url])
        .env_remove("ZKINFER_PRIVATE_KEY")
        .output()
        .unwrap();
    assert_fails(&out, &["no signing key"]);
}

/// The Rust declarations of the consumer contracts' ABI (used to encode calls and decode
/// reverts and events) name exactly the functions, errors and events solc finds in the sources.
#[test]
fn consumer_abi_declarations_match_the_sources() {
    use std::collections::BTreeSet;
    use zkinfer::chain::contracts::{compile_oracle, credit_gate, IInferenceOracle};
    let solc = zkinfer::evm::find_solc(None).expect("solc");
    let oracle = compile_oracle(&solc).expect("compiles");
    let gate = credit_gate().expect("the committed CreditGate");
    // A parameter's canonical type: tuples (structs) spelled out as their components.
    fn canonical(p: &Value) -> String {
        let t = p["type"].as_str().unwrap();
        match t.strip_prefix("tuple") {
            Some(suffix) => {
                let parts: Vec<String> = p["components"].as_array().unwrap().iter().map(canonical).collect();
                format!("({}){suffix}", parts.join(","))
            }
            None => t.to_string(),
        }
    }
    let selectors = |abi: &Value, kind: &str| -> BTreeSet<Vec<u8>> {
        abi.as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == kind)
            .map(|e| {
                let types: Vec<String> = e["inputs"].as_array().unwrap().iter().map(canonical).collect();
                let sig = format!("{}({})", e["name"].as_str().unwrap(), types.join(","));
                let h = alloy::primitives::keccak256(sig.as_bytes());
                if kind == "event" {
                    h.to_vec()
                } else {
                    h[..4].to_vec()
                }
            })
            .collect()
    };
    let set4 = |s: &[[u8; 4]]| s.iter().map(|x| x.to_vec()).collect::<BTreeSet<_>>();
    let set32 = |s: &[[u8; 32]]| s.iter().map(|x| x.to_vec()).collect::<BTreeSet<_>>();
    assert_eq!(selectors(&gate.abi, "function"), set4(ICreditGate::ICreditGateCalls::SELECTORS));
    assert_eq!(selectors(&gate.abi, "error"), set4(ICreditGate::ICreditGateErrors::SELECTORS));
    assert_eq!(selectors(&gate.abi, "event"), set32(ICreditGate::ICreditGateEvents::SELECTORS));
    assert_eq!(
        selectors(&oracle.abi, "function"),
        set4(IInferenceOracle::IInferenceOracleCalls::SELECTORS)
    );
    assert_eq!(
        selectors(&oracle.abi, "error"),
        set4(IInferenceOracle::IInferenceOracleErrors::SELECTORS)
    );
    assert_eq!(
        selectors(&oracle.abi, "event"),
        set32(IInferenceOracle::IInferenceOracleEvents::SELECTORS)
    );
}

/// The demo's on-chain half (what `bash scripts/demo` runs): deploy and submit on anvil.
#[test]
fn demo_deploys_and_submits_on_anvil() {
    let tmp = tempfile::tempdir().unwrap();
    let anvil = start_anvil(31337);
    let out = tmp.path().join("demo");
    let v = json(&zkinfer(&["--json", "demo", "--out", s(&out), "--rpc-url", &anvil.url]));
    assert_eq!(v["verified"], true);
    assert_eq!(v["chain"]["deploy"]["transactions"], 2);
    assert_eq!(v["chain"]["submit"]["target"], "credit_gate");
    assert_eq!(v["chain"]["submit"]["from"].as_str().unwrap(), BORROWER.to_lowercase());
    assert!(v["chain"]["submit"]["approved_until"].as_u64().unwrap() > 0);
    assert_eq!(v["chain"]["attestation"]["subject"], BORROWER);
    // The made-up proof verifies, scores higher, and is refused for its data.
    assert_eq!(v["chain"]["made_up"]["verified"], true);
    assert!(v["chain"]["made_up"]["score"].as_f64().unwrap() > v["score"].as_f64().unwrap());
    assert!(
        v["chain"]["made_up"]["refused"].as_str().unwrap().contains("InputNotAttested"),
        "{}",
        v["chain"]["made_up"]
    );
    let gate: Address = v["chain"]["submit"]["contract"].as_str().unwrap().parse().unwrap();
    assert!(is_approved(&anvil.url, gate, BORROWER.parse().unwrap()));
    assert!(out.join("deployments/31337.json").is_file());
}

/// Confirmations that never come (anvil mines only on demand) time out naming the transaction;
/// the record keeps it as pending, and the next run finds it mined and records it instead of
/// deploying a second verifier.
#[test]
fn a_timed_out_deployment_is_settled_by_the_next_run() {
    let tmp = tempfile::tempdir().unwrap();
    let model = build(tmp.path(), "credit", None);
    let anvil = start_anvil(31337);
    let record = tmp.path().join("rec.json");
    let deploy = |extra: &[&str]| {
        let mut v = vec!["--json", "deploy", s(&model.0), "--rpc-url", &anvil.url, "--record", s(&record)];
        v.extend_from_slice(extra);
        Command::new(env!("CARGO_BIN_EXE_zkinfer"))
            .args(&v)
            .env("ZKINFER_PRIVATE_KEY", DEPLOYER_KEY)
            .output()
            .unwrap()
    };
    let out = deploy(&["--confirmations", "3", "--timeout", "1"]);
    assert_fails(
        &out,
        &["was sent but not mined with 3 confirmation(s) within 1 s", "look it up by its hash"],
    );
    let rec: Value = serde_json::from_str(&std::fs::read_to_string(&record).unwrap()).unwrap();
    assert_eq!(rec["pending"][0]["role"], "verifier", "{rec}");
    let hash = rec["pending"][0]["tx_hash"].as_str().unwrap().to_string();
    assert!(String::from_utf8_lossy(&out.stderr).contains(&hash));

    let out = deploy(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(stderr.contains(&format!("sent by an earlier run ({hash}) was mined")), "{stderr}");
    let v = json(&out);
    assert_eq!(v["transactions"], 0, "{v}");
    assert_eq!(v["contracts"][0]["tx_hash"].as_str().unwrap(), hash);
    let deployer: Address = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266".parse().unwrap();
    assert_eq!(rpc(&anvil.url).nonce(deployer).unwrap(), 1, "one verifier deployed, not two");
}

/// Bad requests to deploy and submit: each refused with a message naming what is wrong, before
/// anything is sent.
#[test]
fn bad_deploy_and_submit_requests_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let model = build(tmp.path(), "credit", None);
    let proof = prove_for(&model, BORROWER, &tmp.path().join("p.json"));
    // A build without the bound account cannot back a CreditGate (checked before connecting).
    let plain = tmp.path().join("plain");
    compile_credit(&plain, CalibrateOptions::default());
    setup(&BuildDir(plain.clone()), &zkinfer::proof::SrsSource::Dev, &Silent).unwrap();
    let key = ["--private-key", DEPLOYER_KEY];
    let mut args = vec!["deploy", s(&plain), "--credit-gate", "--threshold", "0"];
    args.extend_from_slice(&key);
    assert_fails(
        &zkinfer(&args),
        &[
            "CreditGate needs public instances [score, inputHash, account]",
            "--input hashed",
            "this build's instances: output `output` ×1)",
        ],
    );
    // Nor a build whose weights the prover picks (private params): any score could be proven.
    let private = tmp.path().join("private");
    compile_credit(
        &private,
        CalibrateOptions {
            visibility: zkinfer::quantize::Visibility {
                input: zkinfer::quantize::Vis::Hashed,
                params: zkinfer::quantize::Vis::Private,
                ..Default::default()
            },
            bound: vec!["account".into()],
            ..Default::default()
        },
    );
    let mut args = vec!["deploy", s(&private), "--credit-gate", "--threshold", "0"];
    args.extend_from_slice(&key);
    assert_fails(&zkinfer(&args), &["its params are private", "cannot back a CreditGate"]);
    let mut args = vec![
        "deploy",
        s(&model.0),
        "--credit-gate",
        "--threshold",
        "0",
        "--validity-days",
        "4000",
    ];
    args.extend_from_slice(&key);
    assert_fails(&zkinfer(&args), &["--validity-days must be more than 0 and at most 3650"]);
    let missing = tmp.path().join("none.json");
    assert_fails(
        &zkinfer(&["deploy", s(&model.0), "--keystore", s(&missing), "--password-file", s(&missing)]),
        &["keystore", "does not exist"],
    );

    // attest: offline, each bad request named, nothing written.
    let gate = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    let att = tmp.path().join("att.json");
    let attest = |build: &Path, extra: &[&str]| {
        let data = common::model("credit_mlp.input.json");
        let mut v = vec![
            "attest",
            s(build),
            "--data",
            s(&data),
            "--subject",
            BORROWER,
            "--private-key",
            PROVIDER_KEY,
            "--out",
            s(&att),
        ];
        v.extend_from_slice(extra);
        zkinfer(&v)
    };
    let ok_gate = ["--gate", gate, "--chain-id", "31337"];
    fn with<'a>(gate: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        [gate, extra].concat()
    }
    assert_fails(
        &attest(&plain, &with(&ok_gate, &["--expires", "30d"])),
        &["its input is private", "--input hashed"],
    );
    assert_fails(
        &attest(&model.0, &with(&ok_gate, &["--expires", "tomorrow"])),
        &["--expires", "`tomorrow`", "90d"],
    );
    assert_fails(
        &attest(&model.0, &with(&ok_gate, &["--expires", "1000", "--issued-at", "2000"])),
        &["would expire (1000) before it is issued (2000)"],
    );
    let out = attest(&model.0, &["--expires", "30d"]);
    assert_eq!(out.status.code(), Some(2), "a usage error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--deployment"));
    assert_fails(
        &attest(&model.0, &["--expires", "30d", "--deployment", s(&missing)]),
        &["none.json", "cannot read"],
    );
    let wide = tmp.path().join("wide.json");
    std::fs::write(&wide, r#"{"input_data": [[9.0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]}"#).unwrap();
    let data_arg = ["--data", s(&wide)];
    let mut v = vec![
        "attest",
        s(&model.0),
        "--subject",
        BORROWER,
        "--private-key",
        PROVIDER_KEY,
        "--out",
        s(&att),
    ];
    v.extend_from_slice(&data_arg);
    v.extend_from_slice(&with(&ok_gate, &["--expires", "30d"]));
    // Features outside the build's calibrated input range cannot be hashed as the circuit would.
    assert_fails(&zkinfer(&v), &["outside"]);
    assert!(!att.exists(), "no attestation written by a refused request");
    // A good one, then tampered copies are refused before anything is sent.
    assert!(attest(&model.0, &with(&ok_gate, &["--expires", "30d"])).status.success());
    let text = std::fs::read_to_string(&att).unwrap();
    let edited = tmp.path().join("edited.json");
    std::fs::write(&edited, text.replace("\"issuedAt\": ", "\"issuedAt\": 1")).unwrap();
    let submit = |a: &Path, to: &str| {
        zkinfer(&[
            "submit",
            s(&proof),
            "--to",
            to,
            "--target",
            "credit-gate",
            "--attestation",
            s(a),
            "--rpc-url",
            "http://127.0.0.1:9",
            "--rpc-attempts",
            "1",
            "--private-key",
            BORROWER_KEY,
        ])
    };
    assert_fails(&submit(&edited, gate), &["edited.json", "was edited"]);
    assert_fails(
        &submit(&att, "0x0000000000000000000000000000000000000001"),
        &["is for the gate at 0x5FbDB2315678afecb367f032d93F642f64180aa3, not for"],
    );

    let anvil = start_anvil(31337);
    // A build with hashed params: deploy says its verifier accepts any model of the
    // architecture and how to pin the approved one.
    let hashed = tmp.path().join("hashed");
    compile_credit(
        &hashed,
        CalibrateOptions {
            visibility: zkinfer::quantize::Visibility {
                params: zkinfer::quantize::Vis::Hashed,
                ..Default::default()
            },
            ..Default::default()
        },
    );
    setup(&BuildDir(hashed.clone()), &zkinfer::proof::SrsSource::Dev, &Silent).unwrap();
    let plan = json(&zkinfer(&[
        "--json",
        "deploy",
        s(&hashed),
        "--dry-run",
        "--rpc-url",
        &anvil.url,
        "--private-key",
        DEPLOYER_KEY,
    ]));
    let warned = plan["warnings"].as_array().unwrap().iter().any(|w| {
        let w = w.as_str().unwrap();
        w.contains("accepts proofs of any model") && w.contains("ApprovedModelVerifier") && w.contains("paramsIndex 1")
    });
    assert!(warned, "{plan}");
    let nobody = "0x00000000000000000000000000000000000000aa";
    assert_fails(
        &zkinfer(&[
            "submit",
            s(&proof),
            "--to",
            nobody,
            "--rpc-url",
            &anvil.url,
            "--private-key",
            BORROWER_KEY,
        ]),
        &["there is no contract at 0x00000000000000000000000000000000000000aa on chain 31337"],
    );
    // An account without funds is stopped before signing.
    let record = tmp.path().join("rec.json");
    let d = json(&zkinfer(&[
        "--json",
        "deploy",
        s(&model.0),
        "--rpc-url",
        &anvil.url,
        "--private-key",
        DEPLOYER_KEY,
        "--record",
        s(&record),
    ]));
    let verifier = d["contracts"][0]["address"].as_str().unwrap().to_string();
    let poor = "0x1111111111111111111111111111111111111111111111111111111111111111";
    assert_fails(
        &zkinfer(&[
            "submit",
            s(&proof),
            "--deployment",
            s(&record),
            "--rpc-url",
            &anvil.url,
            "--private-key",
            poor,
        ]),
        &["holds 0 wei but", "may cost up to"],
    );
    // The oracle needs a model id; the record has no gate to default to.
    assert_fails(
        &zkinfer(&[
            "submit",
            s(&proof),
            "--to",
            &verifier,
            "--target",
            "oracle",
            "--rpc-url",
            &anvil.url,
            "--private-key",
            BORROWER_KEY,
        ]),
        &["--model-id is needed"],
    );
    assert_fails(
        &zkinfer(&[
            "submit",
            s(&proof),
            "--deployment",
            s(&record),
            "--target",
            "credit-gate",
            "--rpc-url",
            &anvil.url,
            "--private-key",
            BORROWER_KEY,
        ]),
        &["has no credit_gate (it has verifier)"],
    );
    // A record of another chain.
    let other = start_anvil(5);
    assert_fails(
        &zkinfer(&[
            "submit",
            s(&proof),
            "--deployment",
            s(&record),
            "--rpc-url",
            &other.url,
            "--private-key",
            BORROWER_KEY,
        ]),
        &["serves chain 5, not chain 31337"],
    );
}

/// A batch proof (`compile --batch 4 --input public`, 3 real members) posted to an
/// InferenceOracle on anvil with `zkinfer submit --target oracle`: one transaction stores each
/// real member under its own key, the padding member under none; a tampered member is refused
/// in the simulation and nothing is sent.
#[test]
fn a_batch_is_posted_to_the_oracle_on_anvil() {
    use alloy::sol_types::SolCall;
    use zkinfer::chain::contracts::{compile_oracle, IInferenceOracle};
    use zkinfer::chain::tx::{prepare, send};
    use zkinfer::chain::{KeySource, TxOptions};
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("batch");
    let samples = common::model("credit_mlp.batch.json");
    compile(
        &CompileOptions {
            model: common::model("credit_mlp.onnx"),
            data: vec![samples.clone()],
            out: out.clone(),
            like: None,
            batch: 4,
            optimize: Default::default(),
            calibration: CalibrateOptions {
                visibility: zkinfer::quantize::Visibility {
                    input: zkinfer::quantize::Vis::Public,
                    ..Default::default()
                },
                ..Default::default()
            },
        },
        &Silent,
    )
    .expect("compiles");
    let dir = BuildDir(out);
    setup(&dir, &zkinfer::proof::SrsSource::Dev, &Silent).expect("setup");
    let good = tmp.path().join("batch.json");
    prove_with(&dir, &samples, &good, &[], &Silent).expect("proves");
    let file = ProofFile::read(&good).unwrap();
    assert_eq!(file.instances.len(), 1 + 4 * 11, "count, then [score, 10 inputs] per member");
    let tampered = tmp.path().join("tampered.json");
    {
        let mut f = file.clone();
        // member 1's score
        f.instances[1 + 11] = format!("0x{:064x}", 12345);
        f.write(&tampered).unwrap();
    }

    let anvil = start_anvil(31337);
    let url = anvil.url.as_str();
    let deployed = json(&zkinfer(&[
        "--json",
        "deploy",
        s(&dir.0),
        "--rpc-url",
        url,
        "--private-key",
        DEPLOYER_KEY,
    ]));
    let verifier: Address = deployed["contracts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["role"] == "verifier")
        .expect("a verifier was deployed")["address"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let client = rpc(url);
    let deployer: Address = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266".parse().unwrap();
    let solc = zkinfer::evm::find_solc(None).expect("solc");
    let oracle_code = compile_oracle(&solc).expect("compiles");
    let owner = KeySource::PrivateKey(DEPLOYER_KEY.into()).signer().unwrap();
    let txo = TxOptions::default();
    let exec = |to: Option<Address>, data: Vec<u8>| {
        let call = Call {
            what: "oracle set-up".into(),
            from: deployer,
            to,
            data,
            abi: Abi::InferenceOracle,
        };
        let p = prepare(&client, 31337, call, &txo).expect("prepared");
        send(&client, &p, &owner, &txo, &mut |_| Ok(())).expect("mined")
    };
    let oracle: Address = exec(None, oracle_code.bytecode.clone()).contract_address.unwrap().parse().unwrap();
    let vk: alloy::primitives::B256 = file.vk_hash.parse().unwrap();
    let model_id = alloy::primitives::keccak256("credit-batch");
    exec(
        Some(oracle),
        IInferenceOracle::registerBatchModelCall {
            modelId: model_id,
            verifier,
            vkHash: vk,
            numOutputs: 1,
            numInstances: 11,
            batch: 4,
        }
        .abi_encode(),
    );
    exec(
        Some(oracle),
        IInferenceOracle::setOperatorCall {
            operator: deployer,
            allowed: true,
        }
        .abi_encode(),
    );
    let oracle_hex = format!("{oracle:#x}");
    let post = |proof: &Path| {
        zkinfer(&[
            "--json",
            "submit",
            s(proof),
            "--to",
            &oracle_hex,
            "--target",
            "oracle",
            "--model-id",
            "credit-batch",
            "--rpc-url",
            url,
            "--private-key",
            DEPLOYER_KEY,
        ])
    };
    let nonce = client.nonce(deployer).unwrap();
    assert_fails(&post(&tampered), &["InvalidProof"]);
    assert_eq!(client.nonce(deployer).unwrap(), nonce, "the refused batch sent nothing");
    let posted = json(&post(&good));
    let keys = posted["input_keys"].as_array().expect("one key per real member");
    assert_eq!(keys.len(), 3, "the padding member is not stored: {posted}");
    let word = |i: usize| hex::decode(&file.instances[i][2..]).unwrap();
    for (m, key) in keys.iter().enumerate() {
        // the key of member m: keccak256 of its 10 public inputs
        let inputs: Vec<u8> = (0..10).flat_map(|j| word(1 + 11 * m + 1 + j)).collect();
        let expected = alloy::primitives::keccak256(&inputs);
        assert_eq!(key.as_str().unwrap(), expected.to_string(), "member {m}'s key");
        let latest = view(
            &client,
            deployer,
            oracle,
            IInferenceOracle::latestCall {
                modelId: model_id,
                key: expected,
            },
            Abi::InferenceOracle,
        )
        .expect("latest");
        assert_eq!(
            format!("{:#066x}", latest.outputs[0]),
            file.instances[1 + 11 * m],
            "member {m}'s proven score"
        );
        assert_eq!(latest.blockNumber, posted["block"].as_u64().unwrap());
    }
}
