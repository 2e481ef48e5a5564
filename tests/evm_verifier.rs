//! Generated Solidity verifiers, compiled with solc and run in revm against real proofs:
//! acceptance for the bundled models in both layouts, the reference verifier, and rejection of
//! tampered proofs and instances with the native verifier agreeing on every case.

mod common;

use halo2_axiom::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_axiom::plonk::VerifyingKey;
use halo2_axiom::poly::kzg::commitment::ParamsKZG;
use revm::primitives::Address;
use zkinfer::evm::{CallOutcome, LocalEvm};
use zkinfer::pipeline::gas::{deploy, revert_reason};
use zkinfer::pipeline::verifier::{build_verifier, BuiltVerifier, VerifierOptions};
use zkinfer::pipeline::{Settings, Silent};
use zkinfer::proof::transcript::{scalar_bytes, scalar_from_bytes};
use zkinfer::proof::{read_vk, srs, ProofFile};
use zkinfer::solidity::{encode_verify_call, Layout};

/// The scalar field modulus r, big-endian.
const R: [u8; 32] = [
    0x30, 0x64, 0x4e, 0x72, 0xe1, 0x31, 0xa0, 0x29, 0xb8, 0x50, 0x45, 0xb6, 0x81, 0x81, 0x58, 0x5d, 0x28, 0x33, 0xe8, 0x48, 0x79, 0xb9,
    0x70, 0x91, 0x43, 0xe1, 0xf5, 0x93, 0xf0, 0x00, 0x00, 0x01,
];
/// The base field modulus q, big-endian.
const Q: [u8; 32] = [
    0x30, 0x64, 0x4e, 0x72, 0xe1, 0x31, 0xa0, 0x29, 0xb8, 0x50, 0x45, 0xb6, 0x81, 0x81, 0x58, 0x5d, 0x97, 0x81, 0x6a, 0x91, 0x68, 0x71,
    0xca, 0x8d, 0x3c, 0x20, 0x8c, 0x16, 0xd8, 0x7c, 0xfd, 0x47,
];

fn add_be(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let s = a[i] as u16 + b[i] as u16 + carry;
        out[i] = s as u8;
        carry = s >> 8;
    }
    out
}

struct Case {
    built: common::Built,
    vk: VerifyingKey<G1Affine>,
    params: ParamsKZG<Bn256>,
    proof: Vec<u8>,
    instances: Vec<[u8; 32]>,
}

fn case(model: &str) -> Case {
    case_of(common::build(model))
}

fn case_of(built: common::Built) -> Case {
    let settings = Settings::read(&built.dir).unwrap();
    let vk = read_vk(&built.dir.vk(), settings.shape).unwrap();
    let params = srs::read_params(&built.dir.srs(), Some(settings.k)).unwrap();
    let file = ProofFile::read(&built.proof).unwrap();
    let proof = file.proof_bytes(&built.proof).unwrap();
    let instances = file.instance_values(&built.proof).unwrap().iter().map(scalar_bytes).collect();
    Case {
        built,
        vk,
        params,
        proof,
        instances,
    }
}

impl Case {
    fn verifier(&self, layout: Layout) -> BuiltVerifier {
        let opts = VerifierOptions {
            layout: Some(layout),
            ..Default::default()
        };
        build_verifier(&self.built.dir, &opts, &Silent).expect("verifier builds")
    }

    /// Native verdict: instances must parse below r, then halo2 verifies.
    fn native(&self, proof: &[u8], instances: &[[u8; 32]]) -> bool {
        let inst: Result<Vec<Fr>, _> = instances.iter().map(scalar_from_bytes).collect();
        match inst {
            Ok(inst) => zkinfer::proof::verify(&self.params, &self.vk, proof, &inst).is_ok(),
            Err(_) => false,
        }
    }
}

fn accepted(out: &CallOutcome) -> bool {
    out.success && out.output.len() == 32 && out.output[31] == 1 && out.output[..31].iter().all(|&b| b == 0)
}

fn deployed(c: &Case, layout: Layout) -> (LocalEvm, Address, BuiltVerifier) {
    let v = c.verifier(layout);
    let mut evm = LocalEvm::new();
    let (addr, _, _) = deploy(&mut evm, &v).expect("deploys");
    (evm, addr, v)
}

fn accepts_in_both_layouts(model: &str) {
    let c = case(model);
    let t = zkinfer::solidity::reference::verify(
        &c.vk,
        &c.params,
        &c.proof,
        &c.instances.iter().map(|i| scalar_from_bytes(i).unwrap()).collect::<Vec<_>>(),
    )
    .expect("reference runs");
    assert!(t.accepted, "the reference verifier accepts the {model} proof");
    for layout in [Layout::Embedded, Layout::Separate] {
        let (mut evm, addr, v) = deployed(&c, layout);
        assert!(v.verifier.deployed_bytecode.len() <= 24_576);
        let out = evm.call(addr, &encode_verify_call(&c.proof, &c.instances)).unwrap();
        assert!(accepted(&out), "{model} {layout}: {out:?} {}", revert_reason(&out));
        assert!(c.native(&c.proof, &c.instances));
        // Users compile the generated file in their own projects: it must also build (and
        // verify) without the optimizer, forge's default.
        let file = format!("{}.sol", v.sources.verifier_name);
        let plain =
            zkinfer::evm::compile_with(&v.solc, &[(file.as_str(), v.sources.verifier.as_str())], None).expect("compiles unoptimized");
        if layout == Layout::Embedded {
            let mut evm = LocalEvm::new();
            let d = evm.deploy(&plain[0].bytecode).unwrap();
            assert!(accepted(&evm.call(d.address, &encode_verify_call(&c.proof, &c.instances)).unwrap()));
        }
    }
}

#[test]
fn credit_proof_verifies_on_the_evm_in_both_layouts() {
    accepts_in_both_layouts("credit_mlp");
}

#[test]
fn mlp_64_proof_verifies_on_the_evm_in_both_layouts() {
    accepts_in_both_layouts("mlp_64");
}

#[test]
fn sigmoid_proof_verifies_on_the_evm_in_both_layouts() {
    accepts_in_both_layouts("mlp_sigmoid");
}

#[test]
fn a_proof_with_several_terms_per_linear_row_verifies_on_the_evm_and_tampering_is_refused() {
    // mlp_64 laid out for proving time: 4 or 8 terms per linear row (lane columns y1.. / w1..)
    let built = common::build_optimized(
        common::model("mlp_64.onnx"),
        common::model("mlp_64.input.json"),
        Default::default(),
        zkinfer::circuit::Optimize::Prove,
    );
    let settings = Settings::read(&built.dir).unwrap();
    assert!(settings.shape.terms_per_row() >= 4, "{:?}", settings.shape);
    let c = case_of(built);
    assert!(c.native(&c.proof, &c.instances));
    for layout in [Layout::Embedded, Layout::Separate] {
        let (mut evm, addr, v) = deployed(&c, layout);
        assert!(v.verifier.deployed_bytecode.len() <= 24_576);
        let out = evm.call(addr, &encode_verify_call(&c.proof, &c.instances)).unwrap();
        assert!(accepted(&out), "{layout}: {out:?} {}", revert_reason(&out));
        // every word of the proof flipped, and each output changed: refused by both verifiers
        for w in 0..c.proof.len() / 32 {
            let mut p = c.proof.clone();
            p[32 * w + 31] ^= 1;
            refuse(&c, &mut evm, addr, &p, &c.instances, &format!("word {w} flipped ({layout})"));
        }
        for i in 0..c.instances.len() {
            let mut inst = c.instances.clone();
            inst[i][31] ^= 1;
            refuse(&c, &mut evm, addr, &c.proof, &inst, &format!("instance {i} changed ({layout})"));
        }
    }
}

/// `VK_HASH()` of the contract at `addr`.
fn vk_hash_on_chain(evm: &mut LocalEvm, addr: Address) -> String {
    let selector = &alloy::primitives::keccak256("VK_HASH()")[..4];
    let out = evm.call(addr, selector).unwrap();
    assert!(out.success && out.output.len() == 32, "{out:?}");
    format!("0x{}", hex::encode(&out.output))
}

/// The generated verifier's `VK_HASH()` is zkinfer's identity of the key *and* the SRS points it
/// pairs with (the value in settings.json and proof files), in both layouts; the same verifying
/// key rendered with another s·G2 is another verifier, with another `VK_HASH`, that refuses the
/// proof.
#[test]
fn the_verifiers_vk_hash_is_the_identity_of_its_key_and_srs() {
    use halo2_axiom::halo2curves::group::Curve;
    use halo2_axiom::poly::commitment::ParamsProver;
    let c = case("credit_mlp");
    let id = zkinfer::proof::vk_hash(&c.vk, &c.params);
    let settings = Settings::read(&c.built.dir).unwrap();
    assert_eq!(settings.setup.unwrap().vk_hash, id, "settings.json");
    assert_eq!(ProofFile::read(&c.built.proof).unwrap().vk_hash, id, "proof file");
    for layout in [Layout::Embedded, Layout::Separate] {
        let (mut evm, addr, v) = deployed(&c, layout);
        assert_eq!(v.vk_hash, id);
        assert_eq!(vk_hash_on_chain(&mut evm, addr), id, "{layout}");
    }
    // another s·G2, everything else (vk bytes, G1 powers, G2) the same
    let k = c.vk.get_domain().k();
    let s_g2 = (c.params.s_g2() * Fr::from(3)).to_affine();
    let other = c.params.from_parts(k, c.params.get_g().to_vec(), None, c.params.g2(), s_g2);
    let other_id = zkinfer::proof::vk_hash(&c.vk, &other);
    assert_ne!(other_id, id);
    let num_instances = c.instances.len();
    let sources = zkinfer::solidity::render(&c.vk, &other, num_instances, Layout::Embedded, "OtherSrs", "test").unwrap();
    assert!(
        sources.verifier.contains(&format!("VK_HASH = {other_id};")),
        "the constant is the new identity"
    );
    let solc = c.verifier(Layout::Embedded).solc;
    let compiled = zkinfer::evm::compile_with(&solc, &[("OtherSrs.sol", sources.verifier.as_str())], Some(1)).unwrap();
    let mut evm = LocalEvm::new();
    let d = evm.deploy(&compiled[0].bytecode).unwrap();
    assert_eq!(vk_hash_on_chain(&mut evm, d.address), other_id);
    assert!(!accepted(
        &evm.call(d.address, &encode_verify_call(&c.proof, &c.instances)).unwrap()
    ));
}

/// Runs one tampered call on the EVM and natively; both must refuse. Returns the EVM outcome.
fn refuse(c: &Case, evm: &mut LocalEvm, addr: Address, proof: &[u8], instances: &[[u8; 32]], what: &str) -> CallOutcome {
    let out = evm.call(addr, &encode_verify_call(proof, instances)).unwrap();
    assert!(!accepted(&out), "EVM accepted {what}");
    assert!(!c.native(proof, instances), "native verifier accepted {what}");
    out
}

#[test]
fn tampered_proofs_and_instances_are_refused_by_evm_and_native_alike() {
    let c = case("credit_mlp");
    for layout in [Layout::Embedded, Layout::Separate] {
        let (mut evm, addr, _) = deployed(&c, layout);
        // Every 32-byte word of the proof, three ways.
        for w in 0..c.proof.len() / 32 {
            for how in 0..3 {
                let mut p = c.proof.clone();
                match how {
                    0 => p[32 * w + 31] ^= 1,
                    1 => p[32 * w] ^= 0x80,
                    _ => p[32 * w..32 * w + 32].copy_from_slice(&[0u8; 32]),
                }
                if p == c.proof {
                    continue; // the word was already zero (e.g. the evaluation of an all-zero column)
                }
                refuse(&c, &mut evm, addr, &p, &c.instances, &format!("word {w} mutated ({how}, {layout})"));
            }
        }
        // Instances: + r, ≥ r, another valid value.
        for i in 0..c.instances.len() {
            let mut inst = c.instances.clone();
            inst[i] = add_be(&inst[i], &R);
            let out = refuse(&c, &mut evm, addr, &c.proof, &inst, "instance + r");
            assert_eq!(revert_reason(&out), "zkinfer: instance not below r");
            inst[i] = [0xff; 32];
            refuse(&c, &mut evm, addr, &c.proof, &inst, "instance 2^256-1");
            inst[i] = c.instances[i];
            inst[i][31] ^= 1;
            let out = refuse(&c, &mut evm, addr, &c.proof, &inst, "another instance value");
            assert!(out.success, "a well-formed wrong instance returns false rather than reverting");
        }
        // Points: (0,0), off the curve, x = q.
        let point_offsets = [0usize, 64, c.proof.len() - 128, c.proof.len() - 64];
        for &o in &point_offsets {
            let mut p = c.proof.clone();
            p[o..o + 64].copy_from_slice(&[0u8; 64]);
            let out = refuse(&c, &mut evm, addr, &p, &c.instances, "point at infinity");
            assert_eq!(revert_reason(&out), "zkinfer: point at infinity");
            let mut p = c.proof.clone();
            p[o + 63] ^= 1;
            let out = refuse(&c, &mut evm, addr, &p, &c.instances, "point off the curve");
            assert_eq!(revert_reason(&out), "zkinfer: point not on curve");
            let mut p = c.proof.clone();
            p[o..o + 32].copy_from_slice(&Q);
            let out = refuse(&c, &mut evm, addr, &p, &c.instances, "x = q");
            assert_eq!(revert_reason(&out), "zkinfer: coordinate not below q");
        }
        // A scalar ≥ r.
        let first_scalar = c.proof.len() - 128 - 32;
        let mut p = c.proof.clone();
        p[first_scalar..first_scalar + 32].copy_from_slice(&R);
        let out = refuse(&c, &mut evm, addr, &p, &c.instances, "scalar = r");
        assert_eq!(revert_reason(&out), "zkinfer: scalar not below r");
        // Lengths.
        for (p, what) in [
            (c.proof[..c.proof.len() - 1].to_vec(), "truncated by 1"),
            (c.proof[..c.proof.len() - 32].to_vec(), "truncated by 32"),
            ([c.proof.clone(), vec![0u8; 32]].concat(), "32 bytes appended"),
        ] {
            refuse(&c, &mut evm, addr, &p, &c.instances, what);
        }
        refuse(
            &c,
            &mut evm,
            addr,
            &c.proof,
            &c.instances[..c.instances.len() - 1],
            "one instance missing",
        );
        refuse(
            &c,
            &mut evm,
            addr,
            &c.proof,
            &[c.instances.clone(), vec![[0u8; 32]]].concat(),
            "one instance extra",
        );
        // Trailing calldata after a valid call.
        let mut data = encode_verify_call(&c.proof, &c.instances);
        data.extend_from_slice(&[0u8; 32]);
        let out = evm.call(addr, &data).unwrap();
        assert!(!accepted(&out));
        assert_eq!(revert_reason(&out), "zkinfer: bad calldata length");
        // The untouched call still verifies on this deployment.
        assert!(accepted(&evm.call(addr, &encode_verify_call(&c.proof, &c.instances)).unwrap()));
    }
}

#[test]
fn separate_verifier_refuses_a_verifying_key_contract_of_another_circuit() {
    let c = case("credit_mlp");
    let other = case("mlp_sigmoid");
    let v = c.verifier(Layout::Separate);
    let wrong_key = other.verifier(Layout::Separate);
    let mut evm = LocalEvm::new();
    let k = evm.deploy(&wrong_key.vk_contract.as_ref().unwrap().bytecode).unwrap();
    let mut code = v.verifier.bytecode.clone();
    let mut arg = [0u8; 32];
    arg[12..].copy_from_slice(k.address.as_slice());
    code.extend_from_slice(&arg);
    let d = evm.deploy(&code).unwrap();
    let out = evm.call(d.address, &encode_verify_call(&c.proof, &c.instances)).unwrap();
    assert!(!accepted(&out));
    assert_eq!(revert_reason(&out), "zkinfer: wrong verifying key");
}

#[test]
fn verifier_of_another_circuit_refuses_the_proof() {
    let c = case("credit_mlp");
    let other = case("mlp_sigmoid");
    let (mut evm, addr, _) = deployed(&other, Layout::Embedded);
    let out = evm.call(addr, &encode_verify_call(&c.proof, &c.instances)).unwrap();
    assert!(!accepted(&out));
}

/// The generated Solidity for the credit model is checked in; a change to the generator or the
/// circuit shows up in review as a diff. Regenerate with `UPDATE_SNAPSHOTS=1 cargo test --test
/// evm_verifier credit_verifier_matches_its_snapshot`.
#[test]
fn credit_verifier_matches_its_snapshot() {
    let c = case("credit_mlp");
    let v = c.verifier(Layout::Embedded);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/credit_verifier.sol");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &v.sources.verifier).unwrap();
    }
    let expected = std::fs::read_to_string(&path).expect("snapshot exists (UPDATE_SNAPSHOTS=1 to create)");
    assert!(
        expected == v.sources.verifier,
        "generated verifier differs from tests/snapshots/credit_verifier.sol; review and rerun with UPDATE_SNAPSHOTS=1"
    );
}

#[test]
fn cli_writes_the_verifier_and_reports_gas() {
    let c = case("credit_mlp");
    let dir = c.built.dir.0.to_str().unwrap().to_string();
    let out = c.built.tmp.path().join("sol");
    let o = common::zkinfer(&["verifier", &dir, "--out", out.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["layout"], "embedded");
    assert!(j["runtime_bytes"].as_u64().unwrap() <= 24_576);
    let sol = std::fs::read_to_string(out.join("ZkinferVerifier.sol")).unwrap();
    assert!(sol.contains("function verifyProof(bytes calldata, uint256[] calldata) external view returns (bool)"));
    let abi: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("ZkinferVerifier.json")).unwrap()).unwrap();
    let names: Vec<&str> = abi["abi"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"verifyProof") && names.contains(&"VK_HASH"), "{names:?}");

    let o = common::zkinfer(&["gas", &dir, c.built.proof.to_str().unwrap(), "--layout", "separate", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let g: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(g["accepted"], true);
    assert_eq!(g["layout"], "separate");
    let tx = g["verify_tx_gas"].as_u64().unwrap();
    let exec = g["execution_gas"].as_u64().unwrap();
    assert_eq!(tx, exec + g["intrinsic_gas"].as_u64().unwrap());
    let b = &g["breakdown"];
    let pre: u64 = b["precompiles"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p["gas"].as_u64().unwrap())
        .sum();
    let parts = pre
        + ["keccak", "field_arithmetic", "data_access", "other_opcodes", "call_overhead"]
            .iter()
            .map(|k| b[*k].as_u64().unwrap())
            .sum::<u64>();
    assert_eq!(parts, exec, "the breakdown adds up to the execution gas");
    assert_eq!(b["precompiles"]["ecPairing"]["calls"], 1);
    assert!(g["vk_runtime_bytes"].as_u64().unwrap() > 0);
}

#[test]
fn cli_gas_and_verifier_refuse_bad_requests() {
    let c = case("credit_mlp");
    let other = case("mlp_sigmoid");
    let dir = c.built.dir.0.to_str().unwrap().to_string();
    let o = common::zkinfer(&["gas", &dir, other.built.proof.to_str().unwrap()]);
    common::assert_fails(&o, &["made for another circuit"]);
    let out = c.built.tmp.path().join("sol-bad");
    let o = common::zkinfer(&["verifier", &dir, "--out", out.to_str().unwrap(), "--name", "9Verifier"]);
    common::assert_fails(&o, &["not a valid Solidity contract name"]);
    assert!(!out.join("9Verifier.sol").exists());
    let o = common::zkinfer(&["verifier", &dir, "--out", out.to_str().unwrap(), "--solc", "/nonexistent/solc"]);
    common::assert_fails(&o, &["/nonexistent/solc", "no such file"]);
    let o = common::zkinfer(&["verifier", c.built.tmp.path().to_str().unwrap(), "--out", out.to_str().unwrap()]);
    common::assert_fails(&o, &["settings.json"]);
}

#[test]
fn a_bound_account_is_part_of_what_the_proof_proves() {
    use zkinfer::pipeline::compile::{compile, CompileOptions};
    use zkinfer::pipeline::prove::prove_with;
    use zkinfer::pipeline::setup::setup;
    use zkinfer::pipeline::BuildDir;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("build");
    let input = common::model("credit_mlp.input.json");
    let opts = CompileOptions {
        model: common::model("credit_mlp.onnx"),
        data: vec![input.clone()],
        out: out.clone(),
        like: None,
        batch: 1,
        optimize: Default::default(),
        calibration: zkinfer::quantize::CalibrateOptions {
            bound: vec!["account".into()],
            ..Default::default()
        },
    };
    compile(&opts, &Silent).unwrap();
    let dir = BuildDir(out);
    setup(&dir, &zkinfer::proof::SrsSource::Dev, &Silent).unwrap();
    let proof_path = tmp.path().join("proof.json");
    let account = "0x1111111111111111111111111111111111111111";
    let e = prove_with(&dir, &input, &proof_path, &[], &Silent).unwrap_err();
    assert!(e.to_string().contains("--bind account="), "{e}");
    prove_with(&dir, &input, &proof_path, &[format!("account={account}")], &Silent).unwrap();
    let file = ProofFile::read(&proof_path).unwrap();
    assert_eq!(file.instances.len(), 2, "score, then the account");
    let inst = file.instance_values(&proof_path).unwrap();
    assert_eq!(scalar_bytes(&inst[1])[12..], hex::decode(&account[2..]).unwrap()[..]);
    zkinfer::pipeline::verify::verify(&dir, &proof_path, &Silent).expect("verifies");

    // Another account: refused natively and on the EVM.
    let settings = Settings::read(&dir).unwrap();
    let vk = read_vk(&dir.vk(), settings.shape).unwrap();
    let params = srs::read_params(&dir.srs(), Some(settings.k)).unwrap();
    let proof = file.proof_bytes(&proof_path).unwrap();
    let mut other = inst.clone();
    other[1] += Fr::from(1);
    assert!(zkinfer::proof::verify(&params, &vk, &proof, &inst).is_ok());
    assert!(zkinfer::proof::verify(&params, &vk, &proof, &other).is_err());
    let v = build_verifier(&dir, &VerifierOptions::default(), &Silent).unwrap();
    let mut evm = LocalEvm::new();
    let (addr, _, _) = deploy(&mut evm, &v).unwrap();
    let enc = |i: &[Fr]| encode_verify_call(&proof, &i.iter().map(scalar_bytes).collect::<Vec<_>>());
    assert!(accepted(&evm.call(addr, &enc(&inst)).unwrap()));
    assert!(!accepted(&evm.call(addr, &enc(&other)).unwrap()));

    // A value at or above the field modulus is refused, not reduced.
    let r_hex = format!("account=0x{}", hex::encode(R));
    let e = prove_with(&dir, &input, &tmp.path().join("p2.json"), &[r_hex], &Silent).unwrap_err();
    assert!(e.to_string().contains("not below the field modulus"), "{e}");
    let e = prove_with(&dir, &input, &tmp.path().join("p2.json"), &["user=1".into()], &Silent).unwrap_err();
    assert!(e.to_string().contains("binds account"), "{e}");
    assert!(!tmp.path().join("p2.json").exists());
}

/// x⁴ by two products: at scale 7 its rescale divides by 2^21. Calibration checks that
/// remainder in chunks (one 2^21-row table would set k to 22 on its own); the proof verifies
/// natively and on the EVM, and tampering is refused by both.
#[test]
fn a_proof_whose_remainders_are_checked_in_chunks_verifies_on_the_evm() {
    use zkinfer::quantize::{CalibrateOptions, TableKind};
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("quartic.onnx");
    let nodes = vec![
        common::node("square", "Mul", &["x", "x"], &["a"]),
        common::node("fourth", "Mul", &["a", "a"], &["b"]),
        common::node("relu", "Relu", &["b"], &["y"]),
    ];
    std::fs::write(&model, common::onnx_model(("x", &[1, 4]), ("y", &[1, 4]), nodes, vec![])).unwrap();
    let input = tmp.path().join("input.json");
    std::fs::write(&input, r#"{"input_data": [[0.5, -1.25, 1.5, 0.75]]}"#).unwrap();
    let calibration = CalibrateOptions {
        scale: Some(7),
        ..Default::default()
    };
    let built = common::build_from(model, input, calibration);
    let settings = Settings::read(&built.dir).unwrap();
    let bits = settings.rem_bits.expect("remainders checked in chunks");
    let chunks: Vec<u32> = settings
        .tables
        .iter()
        .filter_map(|t| match t.kind {
            TableKind::Remainder { bits } => Some(bits),
            _ => None,
        })
        .collect();
    assert!(!chunks.is_empty() && chunks.iter().all(|b| *b <= bits && *b < 21), "{chunks:?}");
    assert!(settings.k <= 12, "k {}", settings.k);
    let c = case_of(built);
    let file = ProofFile::read(&c.built.proof).unwrap();
    let expected = [0.0625, 2.44140625, 5.0625, 0.31640625];
    for (p, e) in file.outputs[0].values.iter().zip(expected) {
        assert!((p - e).abs() <= 1.0 / 128.0, "proven {p}, x⁴ = {e}");
    }
    let (mut evm, addr, _) = deployed(&c, Layout::Embedded);
    assert!(accepted(&evm.call(addr, &encode_verify_call(&c.proof, &c.instances)).unwrap()));
    assert!(c.native(&c.proof, &c.instances));
    let mut inst = c.instances.clone();
    inst[1][31] ^= 1;
    refuse(&c, &mut evm, addr, &c.proof, &inst, "another output value");
    let mut p = c.proof.clone();
    p[100] ^= 1;
    refuse(&c, &mut evm, addr, &p, &c.instances, "a changed proof byte");
}

/// A batch of 4 credit inferences with hashed inputs and bound accounts, 3 of them real: the
/// member count comes first, each member's [score, inputHash, account] after it, the padding
/// member repeats the last real one; native and EVM verifiers accept it and refuse a tampered
/// member, a changed member count and swapped members.
#[test]
fn a_batch_proof_carries_each_member_and_refuses_tampering() {
    use zkinfer::pipeline::compile::{compile, CompileOptions};
    use zkinfer::pipeline::prove::prove_with;
    use zkinfer::pipeline::setup::setup;
    use zkinfer::pipeline::BuildDir;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("build");
    let samples = common::model("credit_mlp.batch.json");
    let opts = CompileOptions {
        model: common::model("credit_mlp.onnx"),
        data: vec![samples.clone()],
        out: out.clone(),
        like: None,
        batch: 4,
        optimize: Default::default(),
        calibration: zkinfer::quantize::CalibrateOptions {
            bound: vec!["account".into()],
            visibility: zkinfer::quantize::Visibility {
                input: zkinfer::quantize::Vis::Hashed,
                ..Default::default()
            },
            ..Default::default()
        },
    };
    // weights in advice would let each member commit to weights of its own: refused
    let mut hashed = opts.clone();
    hashed.calibration.visibility.params = zkinfer::quantize::Vis::Hashed;
    hashed.out = tmp.path().join("hashed");
    let e = compile(&hashed, &Silent).unwrap_err();
    assert!(e.to_string().contains("--batch 4 needs --params fixed"), "{e}");
    assert!(!hashed.out.exists());
    compile(&opts, &Silent).unwrap();
    let dir = BuildDir(out);
    setup(&dir, &zkinfer::proof::SrsSource::Dev, &Silent).unwrap();
    let proof_path = tmp.path().join("proof.json");
    let accounts = [
        "0x1111111111111111111111111111111111111111",
        "0x2222222222222222222222222222222222222222",
        "0x3333333333333333333333333333333333333333",
    ];
    // one value per sample, or a clear error
    let e = prove_with(&dir, &samples, &proof_path, &[format!("account={}", accounts[0])], &Silent).unwrap_err();
    assert!(e.to_string().contains("1 values for 3 batch members"), "{e}");
    prove_with(&dir, &samples, &proof_path, &[format!("account={}", accounts.join(","))], &Silent).unwrap();
    let file = ProofFile::read(&proof_path).unwrap();
    let inst = file.instance_values(&proof_path).unwrap();
    assert_eq!(inst.len(), 1 + 4 * 3, "count, then [score, inputHash, account] per member");
    assert_eq!(inst[0], Fr::from(3), "three real members");
    for (m, a) in accounts.iter().enumerate() {
        assert_eq!(
            scalar_bytes(&inst[1 + 3 * m + 2])[12..],
            hex::decode(&a[2..]).unwrap()[..],
            "member {m}'s account"
        );
    }
    assert_eq!(inst[10..13], inst[7..10], "the padding member repeats the last real one");
    assert_ne!(inst[2], inst[5], "members hash inputs of their own");
    // each member's input hash is the hash `zkinfer hash` gives for its sample alone
    let single = tempfile::NamedTempFile::new().unwrap();
    let data: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&samples).unwrap()).unwrap();
    let flat = data["input_data"][0].as_array().unwrap();
    std::fs::write(
        single.path(),
        serde_json::json!({ "input_data": [flat[10..20].to_vec()] }).to_string(),
    )
    .unwrap();
    let h = zkinfer::pipeline::hash::hash(&dir, Some(single.path()), zkinfer::quantize::Part::Input).unwrap();
    assert_eq!(
        h.hash,
        zkinfer::proof::proof_file::encode_instance(&inst[5]),
        "member 1's input hash"
    );
    let report = zkinfer::pipeline::verify::verify(&dir, &proof_path, &Silent).expect("verifies");
    assert_eq!(report.outputs.len(), 4, "one output per member, padding included");
    assert_eq!(report.outputs[3].member, Some(3));
    assert_eq!((report.batch, report.members), (4, 3));

    let settings = Settings::read(&dir).unwrap();
    let vk = read_vk(&dir.vk(), settings.shape).unwrap();
    let params = srs::read_params(&dir.srs(), Some(settings.k)).unwrap();
    let proof = file.proof_bytes(&proof_path).unwrap();
    let v = build_verifier(&dir, &VerifierOptions::default(), &Silent).unwrap();
    let mut evm = LocalEvm::new();
    let (addr, _, _) = deploy(&mut evm, &v).unwrap();
    let enc = |i: &[Fr]| encode_verify_call(&proof, &i.iter().map(scalar_bytes).collect::<Vec<_>>());
    assert!(zkinfer::proof::verify(&params, &vk, &proof, &inst).is_ok());
    assert!(accepted(&evm.call(addr, &enc(&inst)).unwrap()));
    let mut bad: Vec<(String, Vec<Fr>)> = Vec::new();
    for at in [0, 1, 2, 3, 5, 6, 9, 10, 12] {
        let mut t = inst.clone();
        t[at] += Fr::from(1);
        bad.push((format!("instance {at} changed"), t));
    }
    let mut swapped = inst.clone();
    for j in 0..3 {
        swapped.swap(1 + j, 4 + j);
    }
    bad.push(("members 0 and 1 swapped".into(), swapped));
    for (what, t) in bad {
        assert!(
            zkinfer::proof::verify(&params, &vk, &proof, &t).is_err(),
            "native verifier accepted {what}"
        );
        assert!(!accepted(&evm.call(addr, &enc(&t)).unwrap()), "EVM accepted {what}");
    }

    // an instance at or above r (v + r, the same residue) is refused, not reduced: the count,
    // and the last instance (the first the backward evaluation loop reads)
    for at in [0, inst.len() - 1] {
        let mut words: Vec<[u8; 32]> = inst.iter().map(scalar_bytes).collect();
        words[at] = add_be(&words[at], &R);
        let out = evm.call(addr, &encode_verify_call(&proof, &words)).unwrap();
        assert!(!accepted(&out), "EVM accepted instance {at} + r");
        assert!(revert_reason(&out).contains("instance not below r"), "{}", revert_reason(&out));
    }

    // The count is the prover's statement: a proof claiming 0 real members verifies as a proof
    // (every member is a checked inference) but `verify` refuses to read it as a batch.
    {
        use zkinfer::circuit::{ModelCircuit, Plan};
        let program = zkinfer::pipeline::settings::read_program(&dir, &settings).unwrap();
        let member = program.member();
        let w = zkinfer::pipeline::prove::batch_witnesses(&member, &samples, 4).unwrap();
        let plans: Vec<Plan> = (0..4)
            .map(|m| {
                let mut p = Plan::new(&member, Some(&w[m.min(2)]), settings.shape);
                p.bind(vec![inst[1 + 3 * m.min(2) + 2]]);
                p
            })
            .collect();
        let plan = Plan::batch(plans, 0);
        let zero = plan.instance_values();
        assert_eq!(zero[0], Fr::from(0));
        let pk = zkinfer::proof::read_pk(&dir.pk(), settings.shape).unwrap();
        let forged = zkinfer::proof::prove(&params, &pk, ModelCircuit::new(plan), &zero, rand::rngs::OsRng).unwrap();
        let mut f = file.clone();
        f.proof = format!("0x{}", hex::encode(&forged));
        f.instances = zero.iter().map(zkinfer::proof::proof_file::encode_instance).collect();
        let zero_path = tmp.path().join("zero.json");
        f.write(&zero_path).unwrap();
        let e = zkinfer::pipeline::verify::verify(&dir, &zero_path, &Silent).unwrap_err();
        assert!(
            e.to_string()
                .contains("member count (instance #0) is not between 1 and the batch size 4"),
            "{e}"
        );
    }

    // more samples than the batch holds: refused, nothing written
    let five = tmp.path().join("five.json");
    let mut many = flat.clone();
    many.extend(flat[..20].iter().cloned());
    std::fs::write(&five, serde_json::json!({ "input_data": [many] }).to_string()).unwrap();
    let p2 = tmp.path().join("p2.json");
    let e = prove_with(&dir, &five, &p2, &[format!("account={}", [accounts[0]; 5].join(","))], &Silent).unwrap_err();
    assert!(
        e.to_string().contains("holds 5 samples; this build proves batches of 1 to 4"),
        "{e}"
    );
    assert!(!p2.exists());
}

/// One causal attention head over four tokens, `softmax(mask(q·kᵀ))·x` with `q = x·Wq`,
/// `k = x·Wk` and the future masked to −10 by a `Where` on a constant condition: both products
/// of two computed matrices are dot steps, laid out several pairs per row by the dot gate. The
/// proof verifies natively and on the EVM, and tampering is refused by both verifiers.
#[test]
fn a_proof_with_dot_products_of_computed_matrices_verifies_on_the_evm() {
    use zkinfer::quantize::program::StepKind;
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("attention.onnx");
    let weights = |seed: u32| {
        (0..32)
            .map(|i| (((i * 7 + seed * 13) % 11) as f32 - 5.0) / 10.0)
            .collect::<Vec<f32>>()
    };
    let nodes = vec![
        common::node("q", "MatMul", &["x", "wq"], &["q"]),
        common::node("k", "MatMul", &["x", "wk"], &["k"]),
        common::node("kt", "Transpose", &["k"], &["kt"]),
        common::node("scores", "MatMul", &["q", "kt"], &["s"]),
        common::node("mask", "Where", &["causal", "s", "minus10"], &["m"]),
        common::node("softmax", "Softmax", &["m"], &["p"]),
        common::node("mix", "MatMul", &["p", "x"], &["y"]),
    ];
    let causal = tract_onnx::pb::TensorProto {
        name: "causal".into(),
        dims: vec![4, 4],
        data_type: 9,
        int32_data: (0..16).map(|i| i32::from(i % 4 <= i / 4)).collect(),
        ..Default::default()
    };
    let inits = vec![
        common::init("wq", &[8, 4], weights(1)),
        common::init("wk", &[8, 4], weights(2)),
        common::init("minus10", &[], vec![-10.0]),
        causal,
    ];
    std::fs::write(&model, common::onnx_model(("x", &[4, 8]), ("y", &[4, 8]), nodes, inits)).unwrap();
    let input = tmp.path().join("input.json");
    let x: Vec<f32> = (0..32).map(|i| (((i * 5) % 9) as f32 - 4.0) / 4.0).collect();
    std::fs::write(&input, serde_json::json!({ "input_data": [x] }).to_string()).unwrap();
    let built = common::build_from(model, input, Default::default());
    let settings = Settings::read(&built.dir).unwrap();
    assert!(settings.shape.dot && settings.shape.wide, "{:?}", settings.shape);
    let program = zkinfer::pipeline::settings::read_program(&built.dir, &settings).unwrap();
    let dots = program.steps.iter().filter(|s| matches!(s.kind, StepKind::Dot { .. })).count();
    assert_eq!(dots, 16 + 32, "one per output of q·kᵀ [4, 4] and of p·x [4, 8]");
    let c = case_of(built);
    assert!(c.native(&c.proof, &c.instances));
    let (mut evm, addr, _) = deployed(&c, Layout::Embedded);
    let out = evm.call(addr, &encode_verify_call(&c.proof, &c.instances)).unwrap();
    assert!(accepted(&out), "{out:?} {}", revert_reason(&out));
    for i in [0, 5, 31] {
        let mut inst = c.instances.clone();
        inst[i][31] ^= 1;
        refuse(&c, &mut evm, addr, &c.proof, &inst, &format!("output {i} changed"));
    }
    for w in (0..c.proof.len() / 32).step_by(7) {
        let mut p = c.proof.clone();
        p[32 * w + 31] ^= 1;
        refuse(&c, &mut evm, addr, &p, &c.instances, &format!("proof word {w} flipped"));
    }
}
