//! The Poseidon sponge in the circuit: the hash that `hashed` visibility publishes, computed
//! exactly as [`crate::circuit::poseidon::hash`] does natively, one round per row in columns of
//! its own beside the model's rows.
//!
//! ```text
//! row        s0 s1 s2                a0 a1 a2              c0 c1 c2                gates
//! 0          d 0 0                   m0 m1 ·               f0 f1 d                 init, absorb
//! 1 ..= 65   state before round r    (s_j + c_j)^2         round r's constants     full / partial
//! 66         state after the perm.   m2 m3 ·               f0 f1 ·                 absorb
//! …
//! last       final state             s1 (the digest)                               final
//! ```
//!
//! Absorb rows add the copied values `a0`, `a1` to `s1`, `s2` where the fixed flags `f0`, `f1`
//! say a value is present, and the sponge's padding 1 where they say it is not:
//! `s1' = s1 + f0·a0 + (1 − f0)`, `s2' = s2 + f1·a1 + f0·(1 − f1)`, `s0' = s0`. A round row keeps
//! every gate at degree 4 by committing the squares `a_j = (s_j + c_j)^2`: a full round checks
//! `s_k' = Σ_j M_kj·a_j^2·(s_j + c_j)`, a partial round applies the S-box to `s0` only.
//! The `a0`, `a1` cells of absorb rows are copy-constrained to the hashed wires and the final
//! row's `a0` to its instance, so the published digest is the hash of exactly those values.
//!
//! The first row's `c2` holds the part's domain constant `d` ([`capacity`]: `2^64 + tag·2^128`)
//! and the init gate checks `s0 = c2`, `s1 = s2 = 0`: the initial state is fixed by the
//! verifying key (fixed columns are committed in it), so a prover cannot start an input hash in
//! the params domain or the reverse.

use super::super::plan::PlanBuilder;
use super::super::poseidon::{capacity, constants, initial_state, is_full_round, round, FULL_ROUNDS, PARTIAL_ROUNDS, RATE, WIDTH};
use crate::quantize::{Part, Wire};
use halo2_axiom::halo2curves::bn256::Fr;
use halo2_axiom::halo2curves::ff::Field;
use halo2_axiom::plonk::{Advice, Column, ConstraintSystem, Expression, Fixed, Selector};
use halo2_axiom::poly::Rotation;

/// Rounds per permutation.
const ROUNDS: usize = FULL_ROUNDS + PARTIAL_ROUNDS;

/// Rows one permutation takes: its absorb row and one row per round.
pub const ROWS_PER_PERMUTATION: usize = ROUNDS + 1;

/// The sponge's columns and selectors.
#[derive(Clone, Debug)]
pub struct PoseidonConfig {
    /// The state.
    pub s: [Column<Advice>; WIDTH],
    /// Squares of round rows; absorbed values (`a0`, `a1`) and the digest (`a0`).
    pub a: [Column<Advice>; WIDTH],
    /// Round constants of round rows; presence flags of absorb rows (`c0`, `c1`) and, on a
    /// sponge's first row, its domain constant (`c2`).
    pub c: [Column<Fixed>; WIDTH],
    /// The initial state `[c2, 0, 0]` (`c2` the part's domain constant).
    pub q_init: Selector,
    /// Absorbs up to two values (or the padding).
    pub q_absorb: Selector,
    /// A full round.
    pub q_full: Selector,
    /// A partial round.
    pub q_partial: Selector,
    /// Exposes `s1` in `a0`.
    pub q_final: Selector,
}

/// Gates a row enables (bit set).
pub mod gate {
    /// Initial state.
    pub const INIT: u8 = 1;
    /// Absorption.
    pub const ABSORB: u8 = 2;
    /// Full round.
    pub const FULL: u8 = 4;
    /// Partial round.
    pub const PARTIAL: u8 = 8;
    /// Digest output.
    pub const FINAL: u8 = 16;
}

/// One row of the sponge's columns.
#[derive(Clone, Debug, PartialEq)]
pub struct PoseidonRow {
    /// Enabled gates ([`gate`] bits).
    pub gates: u8,
    /// State cells.
    pub s: [Fr; WIDTH],
    /// Auxiliary cells.
    pub a: [Fr; WIDTH],
    /// Fixed cells.
    pub c: [Fr; WIDTH],
    /// Wires that `a0` and `a1` are copies of.
    pub copies: [Option<Wire>; 2],
}

impl PoseidonRow {
    fn new(gates: u8, s: [Fr; WIDTH]) -> Self {
        PoseidonRow {
            gates,
            s,
            a: [Fr::ZERO; WIDTH],
            c: [Fr::ZERO; WIDTH],
            copies: [None, None],
        }
    }
}

/// Allocates the sponge's columns and registers its gates.
pub fn configure(meta: &mut ConstraintSystem<Fr>) -> PoseidonConfig {
    let s = [meta.advice_column(), meta.advice_column(), meta.advice_column()];
    let a = [meta.advice_column(), meta.advice_column(), meta.advice_column()];
    let c = [meta.fixed_column(), meta.fixed_column(), meta.fixed_column()];
    meta.enable_equality(a[0]);
    meta.enable_equality(a[1]);
    let cfg = PoseidonConfig {
        s,
        a,
        c,
        q_init: meta.selector(),
        q_absorb: meta.selector(),
        q_full: meta.selector(),
        q_partial: meta.selector(),
        q_final: meta.selector(),
    };
    let mds = constants().mds;
    let constant = |v: Fr| Expression::Constant(v);
    meta.create_gate("poseidon init", |m| {
        let q = m.query_selector(cfg.q_init);
        let s: Vec<_> = cfg.s.iter().map(|c| m.query_advice(*c, Rotation::cur())).collect();
        let domain = m.query_fixed(cfg.c[2], Rotation::cur());
        vec![q.clone() * (s[0].clone() - domain), q.clone() * s[1].clone(), q * s[2].clone()]
    });
    meta.create_gate("poseidon absorb", |m| {
        let q = m.query_selector(cfg.q_absorb);
        let s: Vec<_> = cfg.s.iter().map(|c| m.query_advice(*c, Rotation::cur())).collect();
        let next: Vec<_> = cfg.s.iter().map(|c| m.query_advice(*c, Rotation::next())).collect();
        let a0 = m.query_advice(cfg.a[0], Rotation::cur());
        let a1 = m.query_advice(cfg.a[1], Rotation::cur());
        let f0 = m.query_fixed(cfg.c[0], Rotation::cur());
        let f1 = m.query_fixed(cfg.c[1], Rotation::cur());
        let one = constant(Fr::ONE);
        vec![
            q.clone() * (next[0].clone() - s[0].clone()),
            q.clone() * (next[1].clone() - s[1].clone() - f0.clone() * a0 - (one.clone() - f0.clone())),
            q * (next[2].clone() - s[2].clone() - f1.clone() * a1 - f0 * (one - f1)),
        ]
    });
    for (name, sel, sboxes) in [
        ("poseidon full round", cfg.q_full, WIDTH),
        ("poseidon partial round", cfg.q_partial, 1),
    ] {
        meta.create_gate(name, |m| {
            let q = m.query_selector(sel);
            let t: Vec<_> = (0..WIDTH)
                .map(|j| m.query_advice(cfg.s[j], Rotation::cur()) + m.query_fixed(cfg.c[j], Rotation::cur()))
                .collect();
            let a: Vec<_> = cfg.a.iter().map(|c| m.query_advice(*c, Rotation::cur())).collect();
            let next: Vec<_> = cfg.s.iter().map(|c| m.query_advice(*c, Rotation::next())).collect();
            // S-box outputs: a_j^2·t_j = t_j^5 where a_j = t_j^2; the identity elsewhere.
            let sbox: Vec<_> = (0..WIDTH)
                .map(|j| {
                    if j < sboxes {
                        a[j].clone() * a[j].clone() * t[j].clone()
                    } else {
                        t[j].clone()
                    }
                })
                .collect();
            let mut polys: Vec<Expression<Fr>> = (0..sboxes)
                .map(|j| q.clone() * (a[j].clone() - t[j].clone() * t[j].clone()))
                .collect();
            for (k, row) in mds.iter().enumerate() {
                let mixed = (0..WIDTH)
                    .map(|j| sbox[j].clone() * constant(row[j]))
                    .reduce(|x, y| x + y)
                    .expect("width > 0");
                polys.push(q.clone() * (next[k].clone() - mixed));
            }
            polys
        });
    }
    meta.create_gate("poseidon digest", |m| {
        let q = m.query_selector(cfg.q_final);
        let a0 = m.query_advice(cfg.a[0], Rotation::cur());
        let s1 = m.query_advice(cfg.s[1], Rotation::cur());
        vec![q * (a0 - s1)]
    });
    cfg
}

/// Rows the hash of `n` values takes.
pub fn rows_for(n: usize) -> usize {
    super::super::poseidon::permutations(n) * ROWS_PER_PERMUTATION + 1
}

/// Lays out `part`'s hash of `wires` (values from the builder's witness, zero without one) after
/// the builder's sponge rows, the first row's `c2` holding the part's domain constant; returns
/// the row whose `a0` holds the digest, and the digest.
pub fn layout(b: &mut PlanBuilder, part: Part, wires: &[Wire]) -> (usize, Fr) {
    let consts = constants();
    let values: Vec<(Wire, Fr)> = wires.iter().map(|w| (*w, super::super::fe(b.value(*w)))).collect();
    let mut chunks: Vec<&[(Wire, Fr)]> = values.chunks(RATE).collect();
    if values.len().is_multiple_of(RATE) {
        chunks.push(&[]);
    }
    let mut state = initial_state(part);
    for (p, chunk) in chunks.iter().enumerate() {
        let mut row = PoseidonRow::new(gate::ABSORB | if p == 0 { gate::INIT } else { 0 }, state);
        if p == 0 {
            row.c[2] = capacity(part);
        }
        for (i, (wire, v)) in chunk.iter().enumerate() {
            row.a[i] = *v;
            row.c[i] = Fr::ONE;
            row.copies[i] = Some(*wire);
        }
        b.push_poseidon(row);
        // the absorption the gate checks: values where present, then the padding 1
        match chunk {
            [m0, m1] => {
                state[1] += m0.1;
                state[2] += m1.1;
            }
            [m0] => {
                state[1] += m0.1;
                state[2] += Fr::ONE;
            }
            _ => state[1] += Fr::ONE,
        }
        for r in 0..ROUNDS {
            let full = is_full_round(r);
            let mut row = PoseidonRow::new(if full { gate::FULL } else { gate::PARTIAL }, state);
            row.c = consts.rounds[r];
            let sboxes = if full { WIDTH } else { 1 };
            for ((a, s), c) in row.a.iter_mut().zip(&state).zip(&consts.rounds[r]).take(sboxes) {
                *a = (*s + c).square();
            }
            b.push_poseidon(row);
            round(&mut state, r);
        }
    }
    let mut last = PoseidonRow::new(gate::FINAL, state);
    last.a[0] = state[1];
    let at = b.push_poseidon(last);
    (at, state[1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::poseidon::hash;

    #[test]
    fn layout_rows_and_digest_match_the_native_hash() {
        for part in [Part::Input, Part::Output, Part::Params] {
            for n in 0..6usize {
                let values: Vec<i128> = (0..n as i128).map(|i| 3 * i - 4).collect();
                let mut b = PlanBuilder::for_values(&values);
                let wires: Vec<Wire> = (0..n as u32).collect();
                let (at, digest) = layout(&mut b, part, &wires);
                let rows = b.poseidon_rows();
                assert_eq!(rows.len(), rows_for(n));
                assert_eq!(at, rows.len() - 1);
                let fes: Vec<Fr> = values.iter().map(|v| crate::circuit::fe(*v)).collect();
                assert_eq!(digest, hash(part, &fes), "{part:?}, n = {n}");
                assert_eq!(rows[0].s, initial_state(part));
                assert_eq!(rows[0].c[2], capacity(part), "the domain constant is in the fixed column");
                assert!(rows[1..].iter().all(|r| r.gates & gate::INIT == 0), "one init row");
            }
        }
    }

    use crate::circuit::mock::tests::{linear_program, mock_shape};
    use crate::circuit::plan::{Plan, PublicCell};
    use crate::circuit::CircuitShape;
    use crate::quantize::eval::evaluate;
    use crate::quantize::{Program, Vis, Witness};

    const SHAPE: CircuitShape = CircuitShape {
        wide: false,
        terms: 0,
        poseidon: true,
        params: false,
        dot: false,
    };

    /// The linear test program with hashed inputs and outputs.
    fn hashed() -> (Program, Witness) {
        let (mut p, w) = linear_program();
        p.visibility.input = Vis::Hashed;
        p.visibility.output = Vis::Hashed;
        (p, w)
    }

    fn digest_rows(plan: &Plan) -> Vec<usize> {
        plan.public
            .iter()
            .filter_map(|c| match c {
                PublicCell::Digest { row, .. } => Some(*row),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn honest_hashes_pass_and_publish_the_native_hash() {
        let (p, w) = hashed();
        mock_shape(&p, &w, SHAPE, |_| {}).expect("satisfied");
        let plan = Plan::new(&p, Some(&w), SHAPE);
        let inputs: Vec<Fr> = p.inputs[0]
            .wires
            .iter()
            .map(|x| crate::circuit::fe(w.values[*x as usize]))
            .collect();
        let outputs: Vec<Fr> = p.outputs[0]
            .wires
            .iter()
            .map(|x| crate::circuit::fe(w.values[*x as usize]))
            .collect();
        // outputs' hash first, then the inputs', each in its own domain
        assert_eq!(
            plan.instance_values(),
            vec![hash(Part::Output, &outputs), hash(Part::Input, &inputs)]
        );
        assert_ne!(hash(Part::Input, &inputs), hash(Part::Output, &inputs));
    }

    /// A sponge started from another part's domain constant (every row after it consistent, the
    /// instance its digest) fails the init gate: the initial state is constrained by the fixed
    /// column `c2`, which is part of the circuit (the verifying key), not of the witness.
    #[test]
    fn a_sponge_started_in_another_parts_domain_is_rejected() {
        let (p, w) = hashed();
        // what keygen commits: the domain constants of the outputs' and the inputs' sponges
        let keyed = Plan::new(&p, None, SHAPE);
        let output_rows = rows_for(p.part_wires(Part::Output).len());
        assert_eq!(keyed.poseidon[0].c[2], capacity(Part::Output));
        assert_eq!(keyed.poseidon[output_rows].c[2], capacity(Part::Input));
        for (start, part, wires) in [
            (output_rows, Part::Input, p.part_wires(Part::Input)),
            (0, Part::Output, p.part_wires(Part::Output)),
        ] {
            for other in [Part::Input, Part::Output, Part::Params].into_iter().filter(|o| *o != part) {
                let values: Vec<i128> = wires.iter().map(|x| w.values[*x as usize]).collect();
                let mut b = PlanBuilder::for_values(&values);
                let local: Vec<Wire> = (0..values.len() as u32).collect();
                let (at, digest) = layout(&mut b, other, &local);
                let forged = b.poseidon_rows().to_vec();
                // only witness cells change: the state and the auxiliary cells of every row
                let err = mock_shape(&p, &w, SHAPE, |plan| {
                    for (row, f) in plan.poseidon[start..].iter_mut().zip(&forged) {
                        row.s = f.s;
                        row.a = f.a;
                    }
                    for c in plan.public.iter_mut() {
                        if let PublicCell::Digest { row, value } = c {
                            if *row == start + at {
                                *value = digest;
                            }
                        }
                    }
                })
                .unwrap_err();
                assert!(err.contains("poseidon init"), "{part:?} hashed in the {other:?} domain: {err}");
                // everything else is consistent: the init gate alone refuses it
                assert!(!err.contains("round") && !err.contains("copy") && !err.contains("absorb"), "{err}");
            }
        }
    }

    #[test]
    fn a_wrong_hash_instance_is_rejected() {
        let (p, w) = hashed();
        let err = mock_shape(&p, &w, SHAPE, |plan| {
            for c in plan.public.iter_mut() {
                if let PublicCell::Digest { value, .. } = c {
                    *value += Fr::ONE;
                }
            }
        })
        .unwrap_err();
        assert!(err.contains("instance") || err.contains("copy"), "{err}");
    }

    #[test]
    fn the_hash_of_other_values_cannot_stand_in_for_the_inputs() {
        // a prover who hashes a different input (every sponge row consistent with it) breaks
        // the copy constraints that tie the absorbed cells to the model's input cells
        let (p, w) = hashed();
        let (other, _) = evaluate(&p, &[vec![5, -7]], true).expect("evaluates");
        let forged = Plan::new(&p, Some(&other), SHAPE);
        let err = mock_shape(&p, &w, SHAPE, |plan| {
            plan.poseidon = forged.poseidon.clone();
            plan.public = forged.public.clone();
        })
        .unwrap_err();
        assert!(err.contains("copy constraint"), "{err}");
    }

    #[test]
    fn a_tampered_round_is_rejected() {
        let (p, w) = hashed();
        for (col, gate_name) in [(0usize, "poseidon full round"), (1, "poseidon partial round")] {
            let err = mock_shape(&p, &w, SHAPE, |plan| {
                // the state of the first round row of the wanted kind, then everything after
                // recomputed would still differ from the round's output: change one cell only
                let want = if col == 0 { gate::FULL } else { gate::PARTIAL };
                let r = plan.poseidon.iter().position(|row| row.gates & want != 0).expect("a round row");
                plan.poseidon[r + 1].s[col] += Fr::ONE;
            })
            .unwrap_err();
            assert!(err.contains(gate_name), "{gate_name}: {err}");
        }
        // the digest cell must be the final state's s1
        let err = mock_shape(&p, &w, SHAPE, |plan| {
            let r = digest_rows(plan)[0];
            plan.poseidon[r].s[1] += Fr::ONE;
        })
        .unwrap_err();
        assert!(err.contains("poseidon"), "{err}");
    }

    #[test]
    fn the_gates_stay_within_the_circuits_degree() {
        use halo2_axiom::plonk::ConstraintSystem;
        let degree = |shape| {
            let mut cs = ConstraintSystem::<Fr>::default();
            crate::circuit::ZkConfig::configure(&mut cs, shape);
            cs.degree()
        };
        assert_eq!(degree(SHAPE), degree(CircuitShape::default()));
    }
}
