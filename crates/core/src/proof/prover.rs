//! Creating and checking SHPLONK proofs with the EVM transcript.

use super::transcript::{EvmChallenge, EvmTranscript};
use super::ProofError;
use crate::circuit::ModelCircuit;
use halo2_axiom::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_axiom::plonk::{create_proof, verify_proof, ProvingKey, VerifyingKey};
use halo2_axiom::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_axiom::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
use halo2_axiom::poly::kzg::strategy::SingleStrategy;
use halo2_axiom::transcript::{TranscriptReadBuffer, TranscriptWriterBuffer};
use rand::RngCore;

/// Proves `circuit` (built with a witness) for the public `instances`. The blinding randomness
/// comes from `rng`: use the OS generator for real proofs.
pub fn prove(
    params: &ParamsKZG<Bn256>,
    pk: &ProvingKey<G1Affine>,
    circuit: ModelCircuit,
    instances: &[Fr],
    rng: impl RngCore,
) -> Result<Vec<u8>, ProofError> {
    let mut transcript = <EvmTranscript<Vec<u8>> as TranscriptWriterBuffer<_, G1Affine, EvmChallenge>>::init(Vec::new());
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, EvmChallenge, _, _, _>(
        params,
        pk,
        &[circuit],
        &[&[instances]],
        rng,
        &mut transcript,
    )
    .map_err(|e| ProofError::Prove(format!("{e:?}")))?;
    Ok(transcript.finalize())
}

/// Verifies `proof` for `instances` against `vk`. Trailing bytes after the proof are rejected.
pub fn verify(params: &ParamsKZG<Bn256>, vk: &VerifyingKey<G1Affine>, proof: &[u8], instances: &[Fr]) -> Result<(), ProofError> {
    let mut reader = proof;
    let mut transcript = <EvmTranscript<&mut &[u8]> as TranscriptReadBuffer<_, G1Affine, EvmChallenge>>::init(&mut reader);
    let strategy = SingleStrategy::new(params);
    let result = verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, EvmChallenge, _, _>(
        params,
        vk,
        strategy,
        &[&[instances]],
        &mut transcript,
    );
    match result {
        Ok(()) => {}
        Err(halo2_axiom::plonk::Error::Transcript(e)) => return Err(ProofError::Rejected(format!("malformed proof bytes: {e}"))),
        Err(halo2_axiom::plonk::Error::ConstraintSystemFailure) => {
            return Err(ProofError::Rejected(
                "the pairing check failed (proof, instances and verifying key do not match)".into(),
            ))
        }
        Err(e) => return Err(ProofError::Rejected(format!("{e:?}"))),
    }
    drop(transcript);
    if !reader.is_empty() {
        return Err(ProofError::Rejected(format!("{} unexpected bytes after the proof", reader.len())));
    }
    Ok(())
}
