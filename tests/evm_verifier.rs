//! Generated Solidity verifiers, compiled with solc and run in revm against real proofs.

mod common;

use zkinfer::evm::LocalEvm;
use zkinfer::pipeline::verifier::{build_verifier, VerifierOptions};
use zkinfer::pipeline::Silent;
use zkinfer::proof::ProofFile;
use zkinfer::solidity::encode_verify_call;

fn calldata(built: &common::Built) -> Vec<u8> {
    let file = ProofFile::read(&built.proof).unwrap();
    let proof = file.proof_bytes(&built.proof).unwrap();
    let inst: Vec<[u8; 32]> = file
        .instance_values(&built.proof)
        .unwrap()
        .iter()
        .map(zkinfer::proof::transcript::scalar_bytes)
        .collect();
    encode_verify_call(&proof, &inst)
}

#[test]
fn credit_verifier_accepts_a_real_proof() {
    let built = common::build("credit_mlp");
    let v = build_verifier(&built.dir, &VerifierOptions::default(), &Silent).expect("verifier");
    std::fs::write("/tmp/Verifier.sol", &v.sources.verifier).unwrap();
    let mut evm = LocalEvm::new();
    let d = evm.deploy(&v.verifier.bytecode).expect("deploys");
    let out = evm.call(d.address, &calldata(&built)).unwrap();
    eprintln!("{out:?} runtime {}", d.runtime_size);
    assert!(out.success);
    assert_eq!(out.output[31], 1);
}

#[test]
fn reference_verifier_accepts_credit() {
    let built = common::build("credit_mlp");
    let settings = zkinfer::pipeline::Settings::read(&built.dir).unwrap();
    let vk = zkinfer::proof::read_vk(&built.dir.vk(), settings.shape).unwrap();
    let params = zkinfer::proof::srs::read_params(&built.dir.srs(), Some(settings.k)).unwrap();
    let file = ProofFile::read(&built.proof).unwrap();
    let proof = file.proof_bytes(&built.proof).unwrap();
    let inst = file.instance_values(&built.proof).unwrap();
    let t = zkinfer::solidity::reference::verify(&vk, &params, &proof, &inst).unwrap();
    eprintln!("{t:?}");
    assert!(t.accepted);
}

#[test]
fn debug_compare_credit() {
    let built = common::build("credit_mlp");
    let settings = zkinfer::pipeline::Settings::read(&built.dir).unwrap();
    let vk = zkinfer::proof::read_vk(&built.dir.vk(), settings.shape).unwrap();
    let params = zkinfer::proof::srs::read_params(&built.dir.srs(), Some(settings.k)).unwrap();
    let file = ProofFile::read(&built.proof).unwrap();
    let proof = file.proof_bytes(&built.proof).unwrap();
    let inst = file.instance_values(&built.proof).unwrap();
    let t = zkinfer::solidity::reference::verify(&vk, &params, &proof, &inst).unwrap();
    let src = zkinfer::solidity::render::render_debug(&vk, &params, inst.len(), zkinfer::solidity::Layout::Embedded).unwrap();
    let solc = zkinfer::evm::find_solc(None).unwrap();
    let c = zkinfer::evm::compile(&solc, &[("V.sol", &src.verifier)], 1).unwrap();
    let mut evm = LocalEvm::new();
    let d = evm.deploy(&c[0].bytecode).unwrap();
    let out = evm.call(d.address, &calldata(&built)).unwrap();
    let mem = out.output;
    let word = |at: usize| zkinfer::proof::transcript::scalar_from_bytes(mem[at..at + 32].try_into().unwrap()).ok();
    for (i, s) in src.parts.squeezes.iter().enumerate() {
        let at = usize::from_str_radix(s.slot.trim_start_matches("0x"), 16).unwrap();
        eprintln!("{} evm {:?} ref {:?}", s.name, word(at), t.challenges[i]);
    }
    for (n, at) in &src.parts.slots {
        eprintln!("{n} evm {:?}", word(*at));
    }
    eprintln!(
        "ref lagrange {:?} inst {:?} h {:?} z0 {:?} r {:?}",
        t.lagrange, t.instance_eval, t.expected_h, t.z0, t.r_outer
    );
}
