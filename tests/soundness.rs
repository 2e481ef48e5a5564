//! Negative tests of the native verifier and the circuit: tampered proofs, instances and
//! witnesses must be rejected.

mod common;
use common::*;
use zkinfer::circuit::mock::mock_plan;
use zkinfer::circuit::plan::Sel;
use zkinfer::circuit::Plan;
use zkinfer::pipeline::prove::witness_for;
use zkinfer::pipeline::settings::read_program;
use zkinfer::pipeline::Settings;
use zkinfer::proof::{read_vk, srs, verify, ProofFile};

struct Loaded {
    params: halo2_axiom::poly::kzg::commitment::ParamsKZG<halo2_axiom::halo2curves::bn256::Bn256>,
    vk: halo2_axiom::plonk::VerifyingKey<halo2_axiom::halo2curves::bn256::G1Affine>,
    proof: Vec<u8>,
    instances: Vec<halo2_axiom::halo2curves::bn256::Fr>,
}

fn load(b: &Built) -> Loaded {
    let s = Settings::read(&b.dir).unwrap();
    let file = ProofFile::read(&b.proof).unwrap();
    Loaded {
        params: srs::read_params(&b.dir.srs(), Some(s.k)).unwrap(),
        vk: read_vk(&b.dir.vk(), s.shape).unwrap(),
        proof: file.proof_bytes(&b.proof).unwrap(),
        instances: file.instance_values(&b.proof).unwrap(),
    }
}

#[test]
fn every_mutated_proof_word_is_rejected() {
    let b = build("credit_mlp");
    let l = load(&b);
    verify(&l.params, &l.vk, &l.proof, &l.instances).expect("the honest proof verifies");
    assert_eq!(l.proof.len() % 32, 0);
    let words = l.proof.len() / 32;
    for w in 0..words {
        for (byte, mask) in [(31usize, 0x01u8), (0, 0x80), (16, 0xff)] {
            let mut p = l.proof.clone();
            p[w * 32 + byte] ^= mask;
            assert!(
                verify(&l.params, &l.vk, &p, &l.instances).is_err(),
                "word {w} of {words} (byte {byte} ^ {mask:#x}) accepted"
            );
        }
    }
}

#[test]
fn changed_public_output_is_rejected() {
    let b = build("credit_mlp");
    let l = load(&b);
    let mut inst = l.instances.clone();
    inst[0] += halo2_axiom::halo2curves::bn256::Fr::one();
    let e = verify(&l.params, &l.vk, &l.proof, &inst).unwrap_err().to_string();
    assert!(e.contains("proof rejected"), "{e}");
    // and through the CLI, with the proof file edited
    let mut file = ProofFile::read(&b.proof).unwrap();
    file.instances[0] = zkinfer::proof::proof_file::encode_instance(&inst[0]);
    // keep the file self-consistent so the rejection comes from the proof check itself
    let settings = Settings::read(&b.dir).unwrap();
    file.outputs = zkinfer::pipeline::verify::outputs_from_instances(&settings, &inst).unwrap();
    let edited = b.tmp.path().join("edited.json");
    file.write(&edited).unwrap();
    let out = zkinfer(&["verify", b.dir.path().to_str().unwrap(), edited.to_str().unwrap()]);
    assert_fails(&out, &["proof rejected", "pairing check failed"]);
}

#[test]
fn edited_output_values_are_refused_not_displayed() {
    let b = build("credit_mlp");
    let mut file = ProofFile::read(&b.proof).unwrap();
    file.outputs[0].values[0] = 0.99;
    let edited = b.tmp.path().join("outputs.json");
    file.write(&edited).unwrap();
    let out = zkinfer(&["verify", b.dir.path().to_str().unwrap(), edited.to_str().unwrap()]);
    assert_fails(&out, &["`outputs` field does not match its instances"]);
    // the report's outputs are the ones decoded from the verified instances
    let ok = zkinfer(&["--json", "verify", b.dir.path().to_str().unwrap(), b.proof.to_str().unwrap()]);
    assert!(ok.status.success());
    let v: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    let shown = v["outputs"][0]["values"][0].as_f64().unwrap();
    assert_eq!(shown, ProofFile::read(&b.proof).unwrap().outputs[0].values[0]);
}

#[test]
fn wrong_lengths_and_trailing_bytes_are_rejected() {
    let b = build("credit_mlp");
    let l = load(&b);
    for cut in [1usize, 32] {
        let e = verify(&l.params, &l.vk, &l.proof[..l.proof.len() - cut], &l.instances)
            .unwrap_err()
            .to_string();
        assert!(e.contains("proof rejected"), "{e}");
    }
    let mut longer = l.proof.clone();
    longer.extend_from_slice(&[0u8; 32]);
    let e = verify(&l.params, &l.vk, &longer, &l.instances).unwrap_err().to_string();
    assert!(e.contains("unexpected bytes after the proof"), "{e}");
    let mut fewer = l.instances.clone();
    fewer.push(halo2_axiom::halo2curves::bn256::Fr::one());
    assert!(verify(&l.params, &l.vk, &l.proof, &fewer).is_err());
}

#[test]
fn instance_at_or_above_the_field_modulus_is_refused() {
    let b = build("credit_mlp");
    let mut file = ProofFile::read(&b.proof).unwrap();
    // instance + r does not fit below 2^256 for every value, so use r + the value's low limb
    file.instances[0] = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001".into();
    let edited = b.tmp.path().join("big.json");
    file.write(&edited).unwrap();
    let out = zkinfer(&["verify", b.dir.path().to_str().unwrap(), edited.to_str().unwrap()]);
    assert_fails(&out, &["instance #0", "modulus r"]);
}

#[test]
fn proof_for_another_circuit_is_rejected() {
    let credit = build("credit_mlp");
    let sigmoid = build("mlp_sigmoid");
    // cryptographically: the credit proof against the sigmoid vk (instances padded to fit)
    let c = load(&credit);
    let s = load(&sigmoid);
    let mut inst = c.instances.clone();
    inst.resize(s.instances.len(), halo2_axiom::halo2curves::bn256::Fr::zero());
    assert!(verify(&s.params, &s.vk, &c.proof, &inst).is_err());
    // through the CLI: the vk hash check names the problem
    let out = zkinfer(&["verify", sigmoid.dir.path().to_str().unwrap(), credit.proof.to_str().unwrap()]);
    assert_fails(&out, &["has 1 instances; this circuit has 8"]);
    let mut file = ProofFile::read(&credit.proof).unwrap();
    file.instances = ProofFile::read(&sigmoid.proof).unwrap().instances;
    let edited = credit.tmp.path().join("other.json");
    file.write(&edited).unwrap();
    let out = zkinfer(&["verify", sigmoid.dir.path().to_str().unwrap(), edited.to_str().unwrap()]);
    assert_fails(&out, &["made for another circuit"]);
}

#[test]
fn mock_prover_names_a_broken_constraint() {
    let b = build("credit_mlp");
    let settings = Settings::read(&b.dir).unwrap();
    let program = read_program(&b.dir, &settings).unwrap();
    let witness = witness_for(&program, &b.input).unwrap();
    let honest = mock_plan(Plan::new(&program, Some(&witness), settings.shape), settings.k).unwrap();
    assert!(honest.satisfied, "{:?}", honest.failures);

    let mut plan = Plan::new(&program, Some(&witness), settings.shape);
    let r = plan.rows.iter().rposition(|row| row.sel == Sel::Mac).unwrap();
    plan.rows[r].acc.value += 1;
    let report = mock_plan(plan, settings.k).unwrap();
    assert!(!report.satisfied);
    let first = &report.failures[0];
    assert!(
        first.contains("linear accumulate") && first.contains(&format!("row {r}")) && first.contains("node `"),
        "{first}"
    );
}
