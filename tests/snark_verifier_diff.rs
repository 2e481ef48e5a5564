//! Differential test: the EVM verifier that snark-verifier 0.2.7 (Axiom) generates for the same
//! verifying key accepts zkinfer's proofs. This pins the transcript (Keccak, EVM encoding) and
//! the SHPLONK opening to an independent implementation; both verifiers' gas is reported.

mod common;

use halo2_axiom::halo2curves::bn256::{Bn256, Fq, Fr};
use snark_verifier::loader::evm::{encode_calldata, EvmLoader};
use snark_verifier::pcs::kzg::{Bdfg21, KzgAs};
use snark_verifier::system::halo2::{compile, transcript::evm::EvmTranscript, Config};
use snark_verifier::verifier::{self, SnarkVerifier};
use std::rc::Rc;
use zkinfer::evm::{compile_with, find_solc, LocalEvm};
use zkinfer::pipeline::gas::deploy;
use zkinfer::pipeline::verifier::{build_verifier, VerifierOptions};
use zkinfer::pipeline::{Settings, Silent};
use zkinfer::proof::transcript::scalar_bytes;
use zkinfer::proof::{read_vk, srs, ProofFile};
use zkinfer::solidity::encode_verify_call;

type PlonkVerifier = verifier::plonk::PlonkVerifier<KzgAs<Bn256, Bdfg21>>;

fn differential(model: &str) {
    differential_of(&common::build(model), model);
}

fn differential_of(built: &common::Built, model: &str) {
    let settings = Settings::read(&built.dir).unwrap();
    let vk = read_vk(&built.dir.vk(), settings.shape).unwrap();
    let params = srs::read_params(&built.dir.srs(), Some(settings.k)).unwrap();
    let file = ProofFile::read(&built.proof).unwrap();
    let proof = file.proof_bytes(&built.proof).unwrap();
    let instances: Vec<Fr> = file.instance_values(&built.proof).unwrap();

    // snark-verifier's generated verifier for the same vk.
    use halo2_axiom::poly::commitment::ParamsProver;
    let protocol = compile(&params, &vk, Config::kzg().with_num_instance(vec![instances.len()]));
    let dk = (params.get_g()[0], params.g2(), params.s_g2()).into();
    let loader = EvmLoader::new::<Fq, Fr>();
    let protocol = protocol.loaded(&loader);
    let mut transcript = EvmTranscript::<_, Rc<EvmLoader>, _, _>::new(&loader);
    let loaded = transcript.load_instances(vec![instances.len()]);
    let p = PlonkVerifier::read_proof(&dk, &protocol, &loaded, &mut transcript).unwrap();
    PlonkVerifier::verify(&dk, &protocol, &loaded, &p).unwrap();
    // It pins solc 0.8.19 exactly; the project's solc is 0.8.30.
    let code = loader
        .solidity_code()
        .replace("pragma solidity 0.8.19;", "pragma solidity ^0.8.19;");
    let solc = find_solc(None).expect("solc");
    // Its generated Yul overflows the stack under solc's optimizer; it is meant to be compiled
    // without (as its own `compile_solidity` does).
    let compiled = compile_with(&solc, &[("Halo2Verifier.sol", &code)], None).expect("snark-verifier's verifier compiles");
    let reference = compiled.iter().find(|c| c.name == "Halo2Verifier").unwrap();
    let mut evm = LocalEvm::new();
    let r = evm.deploy(&reference.bytecode).unwrap();
    let calldata = encode_calldata(std::slice::from_ref(&instances), &proof);
    let out = evm.call(r.address, &calldata).unwrap();
    assert!(out.success, "snark-verifier's EVM verifier accepts zkinfer's {model} proof");
    // A tampered proof is refused by it too.
    let mut bad = proof.clone();
    let l = bad.len();
    bad[l - 200] ^= 1;
    assert!(
        !evm.call(r.address, &encode_calldata(std::slice::from_ref(&instances), &bad))
            .unwrap()
            .success
    );

    // zkinfer's verifier on the same proof.
    let v = build_verifier(&built.dir, &VerifierOptions::default(), &Silent).unwrap();
    let (addr, _, _) = deploy(&mut evm, &v).unwrap();
    let inst: Vec<[u8; 32]> = instances.iter().map(scalar_bytes).collect();
    let ours = evm.call(addr, &encode_verify_call(&proof, &inst)).unwrap();
    assert!(ours.success && ours.output[31] == 1);
    eprintln!(
        "{model}: verify gas zkinfer {} vs snark-verifier {}; runtime bytes {} vs {}",
        ours.gas_used,
        out.gas_used,
        v.verifier.deployed_bytecode.len(),
        r.runtime_size
    );
}

#[test]
fn snark_verifier_accepts_credit_proofs() {
    differential("credit_mlp");
}

#[test]
fn snark_verifier_accepts_mlp_64_proofs() {
    differential("mlp_64");
}

#[test]
fn snark_verifier_accepts_hashed_input_proofs() {
    // the Poseidon columns and gates: another constraint system for both generators
    use zkinfer::quantize::{CalibrateOptions, Vis, Visibility};
    let built = common::build_with(
        "credit_mlp",
        CalibrateOptions {
            visibility: Visibility {
                input: Vis::Hashed,
                ..Default::default()
            },
            ..Default::default()
        },
    );
    differential_of(&built, "credit_mlp --input hashed");
}
