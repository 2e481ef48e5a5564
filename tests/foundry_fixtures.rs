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
}

const SPECS: [Spec; 3] = [
    // The approved credit model: instances [score, account].
    Spec {
        fixture: "credit.json",
        verifier: Some("CreditVerifier"),
        scale: None,
        bind_account: true,
        public_input: false,
    },
    // The same architecture quantized differently: another model (another vk), same layout.
    Spec {
        fixture: "credit_other_model.json",
        verifier: None,
        scale: Some(8),
        bind_account: true,
        public_input: false,
    },
    // For the oracle: instances [score, 10 public inputs].
    Spec {
        fixture: "credit_oracle.json",
        verifier: Some("CreditOracleVerifier"),
        scale: None,
        bind_account: false,
        public_input: true,
    },
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn build(spec: &Spec, tmp: &Path) -> BuildDir {
    let out = tmp.join(spec.fixture.trim_end_matches(".json"));
    let opts = CompileOptions {
        model: common::model("credit_mlp.onnx"),
        data: vec![common::model("credit_mlp.input.json")],
        out: out.clone(),
        like: None,
        calibration: CalibrateOptions {
            scale: spec.scale,
            visibility: zkinfer::quantize::Visibility {
                input: if spec.public_input {
                    zkinfer::quantize::Vis::Public
                } else {
                    zkinfer::quantize::Vis::Private
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
    for spec in &SPECS {
        let dir = build(spec, tmp.path());
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
    }
    assert_ne!(hashes[0], hashes[1], "the other model has another verifying key");
}
