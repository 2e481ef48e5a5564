//! The Foundry project's committed generated verifiers (`contracts/generated/`) and proof
//! fixtures (`fixtures/`) must match what zkinfer makes today, so `forge test` (which runs
//! without Rust) tests the real thing. `UPDATE_FIXTURES=1 cargo test --test foundry_fixtures`
//! regenerates them.

mod common;

use std::path::{Path, PathBuf};
use zkinfer::pipeline::compile::{compile, CompileOptions};
use zkinfer::pipeline::fixture::fixture;
use zkinfer::pipeline::prove::prove_with;
use zkinfer::pipeline::setup::setup;
use zkinfer::pipeline::verifier::{build_verifier, VerifierOptions};
use zkinfer::pipeline::{BuildDir, Settings, Silent};
use zkinfer::proof::{read_vk, srs, vk_hash};
use zkinfer::quantize::{CalibrateOptions, Vis};

/// The borrower the committed credit fixtures are made for.
const ACCOUNT: &str = "0xb0b0000000000000000000000000000000000b0b";

struct Spec {
    fixture: &'static str,
    verifier: Option<&'static str>,
    scale: Option<u32>,
    bind_account: bool,
    /// `--input`.
    input_vis: Vis,
    /// `--params`.
    params_vis: Vis,
    /// The credit model with one weight changed, compiled `--like` the previous spec's build.
    changed_weight: bool,
    /// The previous spec's build, proved on another input.
    reuse_previous: bool,
    /// `--batch` (the proof takes every sample of `data`, calibration too).
    batch: usize,
    /// The proof's input file (under models/).
    data: &'static str,
}

const SPECS: [Spec; 7] = [
    // The approved credit model for CreditGate: instances [score, inputHash, account], on the
    // borrower's real (attested) features.
    Spec {
        fixture: "credit.json",
        verifier: Some("CreditVerifier"),
        scale: None,
        bind_account: true,
        input_vis: Vis::Hashed,
        params_vis: Vis::Fixed,
        changed_weight: false,
        reuse_previous: false,
        batch: 1,
        data: "credit_mlp.input.json",
    },
    // The same build and borrower, proved on made-up features that score higher.
    Spec {
        fixture: "credit_madeup.json",
        verifier: None,
        scale: None,
        bind_account: true,
        input_vis: Vis::Hashed,
        params_vis: Vis::Fixed,
        changed_weight: false,
        reuse_previous: true,
        batch: 1,
        data: "credit_mlp.madeup.json",
    },
    // The same architecture quantized differently: another model (another vk), same layout.
    Spec {
        fixture: "credit_other_model.json",
        verifier: None,
        scale: Some(8),
        bind_account: true,
        input_vis: Vis::Hashed,
        params_vis: Vis::Fixed,
        changed_weight: false,
        reuse_previous: false,
        batch: 1,
        data: "credit_mlp.input.json",
    },
    // For the oracle: instances [score, 10 public inputs].
    Spec {
        fixture: "credit_oracle.json",
        verifier: Some("CreditOracleVerifier"),
        scale: None,
        bind_account: false,
        input_vis: Vis::Public,
        params_vis: Vis::Fixed,
        changed_weight: false,
        reuse_previous: false,
        batch: 1,
        data: "credit_mlp.input.json",
    },
    // Hashed params: instances [score, params hash]; one verifier for the architecture.
    Spec {
        fixture: "credit_params.json",
        verifier: Some("CreditModelVerifier"),
        scale: None,
        bind_account: false,
        input_vis: Vis::Private,
        params_vis: Vis::Hashed,
        changed_weight: false,
        reuse_previous: false,
        batch: 1,
        data: "credit_mlp.input.json",
    },
    // Another model of that architecture (one weight changed), compiled --like it: same vk,
    // another params hash.
    Spec {
        fixture: "credit_params_other.json",
        verifier: None,
        scale: None,
        bind_account: false,
        input_vis: Vis::Private,
        params_vis: Vis::Hashed,
        changed_weight: true,
        reuse_previous: false,
        batch: 1,
        data: "credit_mlp.input.json",
    },
    // For the oracle's batch post: 4 inferences per proof with public inputs, 3 of them real.
    Spec {
        fixture: "credit_batch.json",
        verifier: Some("CreditBatchVerifier"),
        scale: None,
        bind_account: false,
        input_vis: Vis::Public,
        params_vis: Vis::Fixed,
        changed_weight: false,
        reuse_previous: false,
        batch: 4,
        data: "credit_mlp.batch.json",
    },
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn build(spec: &Spec, tmp: &Path, previous: Option<&BuildDir>) -> BuildDir {
    let out = tmp.join(spec.fixture.trim_end_matches(".json"));
    let (model, like) = if spec.changed_weight {
        let m = tmp.join("credit_changed.onnx");
        common::with_changed_weight(&common::model("credit_mlp.onnx"), &m, 0.125);
        (m, Some(previous.expect("a reference build").path().to_path_buf()))
    } else {
        (common::model("credit_mlp.onnx"), None)
    };
    let opts = CompileOptions {
        model,
        data: vec![common::model(if spec.batch > 1 { spec.data } else { "credit_mlp.input.json" })],
        out: out.clone(),
        like,
        batch: spec.batch,
        optimize: Default::default(),
        calibration: CalibrateOptions {
            scale: spec.scale,
            visibility: zkinfer::quantize::Visibility {
                input: spec.input_vis,
                params: spec.params_vis,
                ..Default::default()
            },
            bound: if spec.bind_account { vec!["account".into()] } else { vec![] },
            ..Default::default()
        },
    };
    compile(&opts, &Silent).expect("compiles");
    let dir = BuildDir(out);
    setup(&dir, &zkinfer::proof::SrsSource::Dev, &Silent).expect("setup");
    dir
}

#[test]
fn committed_verifiers_and_fixtures_are_current() {
    let update = std::env::var_os("UPDATE_FIXTURES").is_some();
    let tmp = tempfile::tempdir().unwrap();
    let mut hashes = Vec::new();
    let mut previous: Option<BuildDir> = None;
    for spec in &SPECS {
        let dir = if spec.reuse_previous {
            previous.clone().expect("a previous build")
        } else {
            build(spec, tmp.path(), previous.as_ref())
        };
        let fixture_path = root().join("fixtures").join(spec.fixture);
        if let Some(name) = spec.verifier {
            let v = build_verifier(
                &dir,
                &VerifierOptions {
                    name: name.into(),
                    ..Default::default()
                },
                &Silent,
            )
            .expect("verifier");
            let sol = root().join("contracts/generated").join(format!("{name}.sol"));
            if update {
                std::fs::create_dir_all(sol.parent().unwrap()).unwrap();
                std::fs::write(&sol, &v.sources.verifier).unwrap();
            }
            let committed = std::fs::read_to_string(&sol).expect("committed verifier (UPDATE_FIXTURES=1 creates it)");
            assert!(
                committed == v.sources.verifier,
                "{} is stale: regenerate with UPDATE_FIXTURES=1 cargo test --test foundry_fixtures",
                sol.display()
            );
        }
        if update {
            let proof = tmp.path().join(format!("{}.proof.json", spec.fixture));
            let bind = if spec.bind_account {
                vec![format!("account={ACCOUNT}")]
            } else {
                vec![]
            };
            prove_with(&dir, &common::model(spec.data), &proof, &bind, &Silent).expect("proves");
            std::fs::create_dir_all(fixture_path.parent().unwrap()).unwrap();
            fixture(&dir, &proof, &fixture_path).expect("fixture");
        }
        // The committed proof must verify against today's key.
        let f: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&fixture_path).expect("committed fixture")).unwrap();
        let settings = Settings::read(&dir).unwrap();
        let vk = read_vk(&dir.vk(), settings.shape).unwrap();
        let params = srs::read_params(&dir.srs(), Some(settings.k)).unwrap();
        assert_eq!(f["vk_hash"], vk_hash(&vk, &params), "{} is stale (vk hash)", spec.fixture);
        let proof = hex::decode(f["proof"].as_str().unwrap().trim_start_matches("0x")).unwrap();
        let inst: Vec<_> = f["instances"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let b: [u8; 32] = hex::decode(s.as_str().unwrap().trim_start_matches("0x"))
                    .unwrap()
                    .try_into()
                    .unwrap();
                zkinfer::proof::transcript::scalar_from_bytes(&b).unwrap()
            })
            .collect();
        zkinfer::proof::verify(&params, &vk, &proof, &inst).unwrap_or_else(|e| panic!("{} does not verify: {e}", spec.fixture));
        if spec.bind_account {
            assert_eq!(f["bound"]["account"].as_str().unwrap(), format!("0x{:0>64}", &ACCOUNT[2..]));
        }
        hashes.push(vk_hash(&vk, &params));
        previous = Some(dir);
    }
    assert_eq!(hashes[0], hashes[1], "the made-up proof is for the same model");
    assert_ne!(hashes[0], hashes[2], "the other model has another verifying key");
    assert_eq!(hashes[4], hashes[5], "hashed params: one verifying key for both models");
}

/// `contracts/compiled/CreditGate.json` (what `deploy` embeds) is CreditGate as compiled today
/// from contracts/ and the pinned OpenZeppelin Contracts in node_modules.
#[test]
fn committed_credit_gate_artifact_is_current() {
    let solc = zkinfer::evm::find_solc(None).expect("solc");
    let oz = root().join("node_modules/@openzeppelin/contracts");
    assert!(oz.is_dir(), "OpenZeppelin Contracts are not installed: run `npm install`");
    let (gate, json) = zkinfer::chain::contracts::credit_gate_artifact(&solc, &root().join("contracts"), &oz).expect("compiles");
    let path = root().join("contracts/compiled/CreditGate.json");
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        std::fs::write(&path, &json).unwrap();
    }
    let committed = zkinfer::chain::contracts::credit_gate().expect("the committed artifact parses");
    assert!(
        committed.bytecode == gate.bytecode && committed.deployed_bytecode == gate.deployed_bytecode,
        "{} is stale: regenerate with UPDATE_FIXTURES=1 cargo test --test foundry_fixtures",
        path.display()
    );
    assert_eq!(committed.immutable_slots, gate.immutable_slots);
    assert!(!gate.immutable_slots.is_empty(), "EIP712's cached domain is immutable");
}
