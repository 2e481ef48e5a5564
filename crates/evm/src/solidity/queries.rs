//! The verifier's view of a proof: where each commitment and evaluation sits in the proof
//! bytes, the list of opening queries in the order halo2's verifier builds it, and SHPLONK's
//! grouping of those queries into rotation sets.
//!
//! Everything here mirrors `halo2_axiom::plonk::verify_proof` and
//! `VerifierSHPLONK::verify_proof` (version 0.5.3) structurally: the generator only has to
//! turn it into code.

use super::spec::VerifierSpec;
use super::SolidityError;
use halo2_axiom::halo2curves::bn256::{Fr, G1Affine};
use halo2_axiom::plonk::{Any, VerifyingKey};

/// A commitment the verifier opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Com {
    /// Advice column (proof point).
    Advice(usize),
    /// Lookup permuted input A' (proof point).
    LookupInput(usize),
    /// Lookup permuted table S' (proof point).
    LookupTable(usize),
    /// Permutation product of a chunk (proof point).
    PermZ(usize),
    /// Lookup product (proof point).
    LookupZ(usize),
    /// Vanishing argument's random polynomial (proof point).
    Random,
    /// The quotient: Σ xⁿᵗ·Hₜ over the proof's quotient pieces.
    Quotient,
    /// Fixed column (vk).
    Fixed(usize),
    /// Permutation sigma (vk).
    Sigma(usize),
}

/// Where a queried value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Eval {
    /// The proof's scalar number `i` (0-based among the proof's scalars).
    Proof(usize),
    /// The quotient evaluation the verifier computes from the constraints.
    ExpectedQuotient,
}

/// One opening query: commitment, rotation (the point is ωʳ·x), value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Query {
    /// Commitment.
    pub com: Com,
    /// Rotation.
    pub rot: i32,
    /// Claimed value.
    pub eval: Eval,
}

/// Commitments opened at the same set of points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RotationSet {
    /// Rotations (sorted).
    pub rots: Vec<i32>,
    /// Commitments in first-query order, each with its value at every rotation of `rots`.
    pub coms: Vec<(Com, Vec<Eval>)>,
}

/// Proof layout and query structure of one circuit.
#[derive(Clone, Debug)]
pub struct ProofLayout {
    /// The spec it was read from.
    pub spec: VerifierSpec,
    /// Index of the first proof point of each kind.
    pub first_lookup_permuted: usize,
    /// First permutation product point.
    pub first_perm_z: usize,
    /// First lookup product point.
    pub first_lookup_z: usize,
    /// The random polynomial's point.
    pub random: usize,
    /// First quotient piece.
    pub first_quotient: usize,
    /// Points before the scalars.
    pub points_before_scalars: usize,
    /// Byte offset of the first scalar.
    pub scalars_start: usize,
    /// Byte offset of SHPLONK's first point (just after the scalars).
    pub shplonk_start: usize,
    /// Scalar index of each advice query's value.
    pub advice_evals: usize,
    /// First fixed evaluation.
    pub fixed_evals: usize,
    /// The random polynomial's evaluation.
    pub random_eval: usize,
    /// First sigma evaluation.
    pub sigma_evals: usize,
    /// First permutation product evaluation.
    pub perm_evals: usize,
    /// First lookup evaluation.
    pub lookup_evals: usize,
    /// The queries in halo2's order.
    pub queries: Vec<Query>,
    /// SHPLONK rotation sets in halo2's order.
    pub sets: Vec<RotationSet>,
    /// Every distinct rotation (sorted).
    pub super_rots: Vec<i32>,
    /// Columns of the permutation as (kind, column index).
    pub perm_columns: Vec<(Any, usize)>,
}

impl ProofLayout {
    /// Byte offset of proof point `i` (before the scalars).
    pub fn point_offset(&self, i: usize) -> usize {
        64 * i
    }

    /// Byte offset of proof scalar `i`.
    pub fn scalar_offset(&self, i: usize) -> usize {
        self.scalars_start + 32 * i
    }

    /// Proof point of a commitment that lives in the proof (not the quotient or the vk).
    pub fn proof_point(&self, com: Com) -> Option<usize> {
        Some(match com {
            Com::Advice(i) => i,
            Com::LookupInput(l) => self.first_lookup_permuted + 2 * l,
            Com::LookupTable(l) => self.first_lookup_permuted + 2 * l + 1,
            Com::PermZ(s) => self.first_perm_z + s,
            Com::LookupZ(l) => self.first_lookup_z + l,
            Com::Random => self.random,
            Com::Quotient | Com::Fixed(_) | Com::Sigma(_) => return None,
        })
    }

    /// Scalar index of the evaluation of permutation set `s`: (at x, at ωx, at ω^last·x).
    pub fn perm_set_evals(&self, s: usize) -> (usize, usize, Option<usize>) {
        let base = self.perm_evals + 3 * s;
        let last = (s + 1 < self.spec.permutation_sets).then_some(base + 2);
        (base, base + 1, last)
    }

    /// Scalar indices of lookup `l`: (z, z at ωx, A', A' at ω⁻¹x, S').
    pub fn lookup_eval(&self, l: usize) -> [usize; 5] {
        let b = self.lookup_evals + 5 * l;
        [b, b + 1, b + 2, b + 3, b + 4]
    }

    /// Reads the layout of `vk`'s proofs.
    pub fn new(vk: &VerifyingKey<G1Affine>, num_instances: usize) -> Result<Self, SolidityError> {
        let spec = VerifierSpec::from_vk(vk, num_instances);
        let cs = vk.cs();
        let unsupported = |what: &str| SolidityError::Unsupported(what.to_string());
        if cs.num_challenges() > 0 || cs.advice_column_phase().iter().any(|&p| p != 0) {
            return Err(unsupported("challenges or multi-phase advice"));
        }
        if cs.num_instance_columns() != 1 {
            return Err(unsupported("a number of instance columns other than one"));
        }
        if cs.instance_queries().iter().any(|(_, r)| r.0 != 0) {
            return Err(unsupported("instance queries at a rotation other than 0"));
        }
        let l_count = spec.num_lookups;
        let first_lookup_permuted = spec.num_advice;
        let first_perm_z = first_lookup_permuted + 2 * l_count;
        let first_lookup_z = first_perm_z + spec.permutation_sets;
        let random = first_lookup_z + l_count;
        let first_quotient = random + 1;
        let points_before_scalars = first_quotient + spec.quotient_pieces;
        let scalars_start = 64 * points_before_scalars;
        let advice_evals = 0;
        let fixed_evals = spec.advice_queries.len();
        let random_eval = fixed_evals + spec.fixed_queries.len();
        let sigma_evals = random_eval + 1;
        let perm_evals = sigma_evals + spec.permutation_columns;
        let lookup_evals = perm_evals + 3 * spec.permutation_sets - 1;
        let shplonk_start = scalars_start + 32 * spec.proof_scalars();
        let perm_columns = cs
            .permutation()
            .get_columns()
            .iter()
            .map(|c| (*c.column_type(), c.index()))
            .collect();
        let mut layout = ProofLayout {
            spec,
            first_lookup_permuted,
            first_perm_z,
            first_lookup_z,
            random,
            first_quotient,
            points_before_scalars,
            scalars_start,
            shplonk_start,
            advice_evals,
            fixed_evals,
            random_eval,
            sigma_evals,
            perm_evals,
            lookup_evals,
            queries: Vec::new(),
            sets: Vec::new(),
            super_rots: Vec::new(),
            perm_columns,
        };
        layout.queries = layout.build_queries();
        let (sets, super_rots) = group(&layout.queries);
        layout.sets = sets;
        layout.super_rots = super_rots;
        debug_assert_eq!(layout.shplonk_start + 128, layout.spec.proof_len());
        Ok(layout)
    }

    /// The rotation of the permutation's "last" query: −(blinding + 1).
    pub fn last_rot(&self) -> i32 {
        -(self.spec.blinding_factors as i32 + 1)
    }

    fn build_queries(&self) -> Vec<Query> {
        let s = &self.spec;
        let mut q = Vec::new();
        let push = |q: &mut Vec<Query>, com, rot, i| {
            q.push(Query {
                com,
                rot,
                eval: Eval::Proof(i),
            })
        };
        for (i, &(col, rot)) in s.advice_queries.iter().enumerate() {
            push(&mut q, Com::Advice(col), rot, self.advice_evals + i);
        }
        for set in 0..s.permutation_sets {
            let (at, next, _) = self.perm_set_evals(set);
            push(&mut q, Com::PermZ(set), 0, at);
            push(&mut q, Com::PermZ(set), 1, next);
        }
        for set in (0..s.permutation_sets).rev().skip(1) {
            let (_, _, last) = self.perm_set_evals(set);
            push(&mut q, Com::PermZ(set), self.last_rot(), last.expect("not the last set"));
        }
        for l in 0..s.num_lookups {
            let [z, z_next, a, a_prev, t] = self.lookup_eval(l);
            push(&mut q, Com::LookupZ(l), 0, z);
            push(&mut q, Com::LookupInput(l), 0, a);
            push(&mut q, Com::LookupTable(l), 0, t);
            push(&mut q, Com::LookupInput(l), -1, a_prev);
            push(&mut q, Com::LookupZ(l), 1, z_next);
        }
        for (i, &(col, rot)) in s.fixed_queries.iter().enumerate() {
            push(&mut q, Com::Fixed(col), rot, self.fixed_evals + i);
        }
        for i in 0..s.permutation_columns {
            push(&mut q, Com::Sigma(i), 0, self.sigma_evals + i);
        }
        q.push(Query {
            com: Com::Quotient,
            rot: 0,
            eval: Eval::ExpectedQuotient,
        });
        push(&mut q, Com::Random, 0, self.random_eval);
        q
    }
}

/// SHPLONK's grouping (`construct_intermediate_sets`): commitments in first-query order get
/// their set of rotations; sets are listed in the order of their first commitment.
fn group(queries: &[Query]) -> (Vec<RotationSet>, Vec<i32>) {
    let mut per_com: Vec<(Com, Vec<i32>)> = Vec::new();
    for q in queries {
        match per_com.iter_mut().find(|(c, _)| *c == q.com) {
            Some((_, rots)) => {
                if !rots.contains(&q.rot) {
                    rots.push(q.rot)
                }
            }
            None => per_com.push((q.com, vec![q.rot])),
        }
    }
    let mut sets: Vec<RotationSet> = Vec::new();
    for (com, mut rots) in per_com {
        rots.sort_unstable();
        let evals = rots
            .iter()
            .map(|r| queries.iter().find(|q| q.com == com && q.rot == *r).expect("queried").eval)
            .collect();
        match sets.iter_mut().find(|s| s.rots == rots) {
            Some(set) => set.coms.push((com, evals)),
            None => sets.push(RotationSet {
                rots,
                coms: vec![(com, evals)],
            }),
        }
    }
    let mut super_rots: Vec<i32> = queries.iter().map(|q| q.rot).collect();
    super_rots.sort_unstable();
    super_rots.dedup();
    (sets, super_rots)
}

/// ω^rot in the scalar field.
pub fn omega_pow(omega: Fr, omega_inv: Fr, rot: i32) -> Fr {
    use halo2_axiom::halo2curves::ff::Field;
    let base = if rot >= 0 { omega } else { omega_inv };
    base.pow_vartime([rot.unsigned_abs() as u64])
}
