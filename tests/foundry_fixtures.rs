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
use zkinfer::quantize::CalibrateOptions;

/// The borrower the committed credit fixtures are made for.
const ACCOUNT: &str = "0xb0b0000000000000000000000000000000000b0b";

struct Spec {
    fixture: &'static str,
    verifier: Option<&'static str>,
    scale: Option<u32>,
    bind_account: bool,
    public_input: bool,
    /// `--params hashed`.
    hashed_params: bool,
    /// The credit model with one weight changed, compiled `--like` the previous spec's build.
    changed_weight: bool,
}

const SPECS: [Spec; 5] = [
    // The approved credit model: instances [score, account].
    Spec {
        fixture: "credit.json",
        verifier: Some("CreditVerifier"),
        scale: None,
        bind_account: true,
        public_input: false,
        hashed_params: false,
        changed_weight: false,
    },
    // The same architecture quantized differently: another model (another vk), same layout.
    Spec {
        fixture: "credit_other_model.json",
        verifier: None,
        scale: Some(8),
        bind_account: true,
        public_input: false,
        hashed_params: false,
        changed_weight: false,
    },
    // For the oracle: instances [score, 10 public inputs].
    Spec {
        fixture: "credit_oracle.json",
        verifier: Some("CreditOracleVerifier"),
        scale: None,
        bind_account: false,
        public_input: true,
        hashed_params: false,
        changed_weight: false,
    },
    // Hashed params: instances [score, params hash]; one verifier for the architecture.
    Spec {
        fixture: "credit_params.json",
        verifier: Some("CreditModelVerifier"),
        scale: None,
        bind_account: false,
        public_input: false,
        hashed_params: true,
        changed_weight: false,
    },
    // Another model of that architecture (one weight changed), compiled --like it: same vk,
    // another params hash.
    Spec {
        fixture: "credit_params_other.json",
        verifier: None,
        scale: None,
        bind_account: false,
        public_input: false,
        hashed_params: true,
        changed_weight: true,
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
        data: vec![common::model("credit_mlp.input.json")],
        out: out.clone(),
        like,
        calibration: CalibrateOptions {
            scale: spec.scale,
            visibility: zkinfer::quantize::Visibility {
                input: if spec.public_input {
                    zkinfer::quantize::Vis::Public
                } else {
                    zkinfer::quantize::Vis::Private
                },
                params: if spec.hashed_params {
                    zkinfer::quantize::Vis::Hashed
                } else {
                    zkinfer::quantize::Vis::Fixed
                },
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
        let dir = build(spec, tmp.path(), previous.as_ref());
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
            prove_with(&dir, &common::model("credit_mlp.input.json"), &proof, &bind, &Silent).expect("proves");
            std::fs::create_dir_all(fixture_path.parent().unwrap()).unwrap();
            fixture(&dir, &proof, &fixture_path).expect("fixture");
        }
        // The committed proof must verify against today's key.
        let f: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&fixture_path).expect("committed fixture")).unwrap();
        let settings = Settings::read(&dir).unwrap();
        let vk = read_vk(&dir.vk(), settings.shape).unwrap();
        let params = srs::read_params(&dir.srs(), Some(settings.k)).unwrap();
        assert_eq!(f["vk_hash"], vk_hash(&vk), "{} is stale (vk hash)", spec.fixture);
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
        hashes.push(vk_hash(&vk));
        previous = Some(dir);
    }
    assert_ne!(hashes[0], hashes[1], "the other model has another verifying key");
    assert_eq!(hashes[3], hashes[4], "hashed params: one verifying key for both models");
}
