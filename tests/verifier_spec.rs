//! The verifier spec read from a vk predicts the exact proof layout of real proofs.

mod common;
use common::*;
use zkinfer::pipeline::Settings;
use zkinfer::proof::{read_vk, ProofFile};
use zkinfer::solidity::VerifierSpec;

fn spec_of(b: &Built) -> (VerifierSpec, usize) {
    let s = Settings::read(&b.dir).unwrap();
    let vk = read_vk(&b.dir.vk(), s.shape).unwrap();
    let proof = ProofFile::read(&b.proof).unwrap().proof_bytes(&b.proof).unwrap();
    (VerifierSpec::from_vk(&vk, s.num_instances), proof.len())
}

#[test]
fn predicted_proof_length_matches_real_proofs_in_both_shapes() {
    for model in ["credit_mlp", "mlp_64"] {
        let b = build(model);
        let (spec, len) = spec_of(&b);
        assert_eq!(spec.proof_len(), len, "{model}: {spec:?}");
        assert_eq!(spec.num_lookups, 1);
        assert_eq!(spec.num_advice, if model == "mlp_64" { 3 } else { 2 });
    }
}

#[test]
fn credit_circuit_counts_for_gas_planning() {
    let b = build("credit_mlp");
    let (spec, _) = spec_of(&b);
    assert_eq!(spec.k, 10);
    assert_eq!(spec.permutation_columns, 3); // x, acc, instance
    assert_eq!(spec.permutation_sets, 1);
    // every commitment is an ecMul in the EVM verifier's MSM; record the budget
    assert!(spec.msm_terms() <= 26, "{} MSM terms: {spec:?}", spec.msm_terms());
}
