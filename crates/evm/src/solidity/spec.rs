//! What a verifier must know about a circuit, read from its verifying key: column and query
//! counts, the permutation's chunking, the quotient's size, and from those the exact proof
//! layout. The Solidity generator builds on this.

use halo2_axiom::halo2curves::bn256::G1Affine;
use halo2_axiom::plonk::VerifyingKey;
use serde::Serialize;

/// Shape of a circuit's proof and verification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerifierSpec {
    /// Circuit size.
    pub k: u32,
    /// Public instances.
    pub num_instances: usize,
    /// Advice columns (one commitment each).
    pub num_advice: usize,
    /// Fixed columns after selector compression (commitments in the vk).
    pub num_fixed: usize,
    /// Lookup arguments.
    pub num_lookups: usize,
    /// Advice queries as (column, rotation).
    pub advice_queries: Vec<(usize, i32)>,
    /// Fixed queries as (column, rotation).
    pub fixed_queries: Vec<(usize, i32)>,
    /// Columns in the permutation (one sigma commitment each).
    pub permutation_columns: usize,
    /// Columns per permutation product (degree − 2).
    pub permutation_chunk: usize,
    /// Permutation product polynomials.
    pub permutation_sets: usize,
    /// Degree of the constraint system.
    pub degree: usize,
    /// Pieces of the quotient polynomial (degree − 1).
    pub quotient_pieces: usize,
    /// Blinding rows.
    pub blinding_factors: usize,
}

impl VerifierSpec {
    /// Reads the spec of `vk` for proofs with `num_instances` public values.
    pub fn from_vk(vk: &VerifyingKey<G1Affine>, num_instances: usize) -> Self {
        let cs = vk.cs();
        let degree = cs.degree();
        let permutation_columns = cs.permutation().get_columns().len();
        let permutation_chunk = degree - 2;
        VerifierSpec {
            k: vk.get_domain().k(),
            num_instances,
            num_advice: cs.num_advice_columns(),
            num_fixed: vk.fixed_commitments().len(),
            num_lookups: cs.lookups().len(),
            advice_queries: cs.advice_queries().iter().map(|(c, r)| (c.index(), r.0)).collect(),
            fixed_queries: cs.fixed_queries().iter().map(|(c, r)| (c.index(), r.0)).collect(),
            permutation_columns,
            permutation_chunk,
            permutation_sets: permutation_columns.div_ceil(permutation_chunk),
            degree,
            quotient_pieces: degree - 1,
            blinding_factors: cs.blinding_factors(),
        }
    }

    /// G1 points in a proof, in transcript order: advice, lookup permuted input and table,
    /// permutation products, lookup products, the vanishing random polynomial, the quotient
    /// pieces, and SHPLONK's two opening points.
    pub fn proof_points(&self) -> usize {
        self.num_advice + 2 * self.num_lookups + self.permutation_sets + self.num_lookups + 1 + self.quotient_pieces + 2
    }

    /// Scalars in a proof: advice and fixed evaluations, the random polynomial's, the sigma
    /// evaluations, the permutation products' (at x, ωx, and ω^last·x for all but the last
    /// set), and five per lookup.
    pub fn proof_scalars(&self) -> usize {
        self.advice_queries.len() + self.fixed_queries.len() + 1 + self.permutation_columns + 3 * self.permutation_sets - 1
            + 5 * self.num_lookups
    }

    /// Exact proof length in bytes (points 64, scalars 32).
    pub fn proof_len(&self) -> usize {
        64 * self.proof_points() + 32 * self.proof_scalars()
    }

    /// Points in the verifier's final multi-scalar multiplication: every commitment (proof and
    /// vk) plus the G1 generator; each costs an ecMul on the EVM.
    pub fn msm_terms(&self) -> usize {
        self.proof_points() + self.num_fixed + self.permutation_columns + 1
    }
}
