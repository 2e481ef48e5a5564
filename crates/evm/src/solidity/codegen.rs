//! Computes, in Rust, every circuit-specific part of the verifier: the memory map, the
//! transcript's absorb/squeeze schedule, the constraint evaluation, SHPLONK's rotation-set
//! arithmetic and the final MSM. The contract skeleton lives in `templates/`.

use super::expr::{emit_shallow, fold, fold_with, lit, word, Leaves};
use super::queries::{omega_pow, Com, Eval, ProofLayout};
use super::SolidityError;
use halo2_axiom::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_axiom::halo2curves::ff::{Field, PrimeField};
use halo2_axiom::halo2curves::group::prime::PrimeCurveAffine;
use halo2_axiom::plonk::{Any, VerifyingKey};
use halo2_axiom::poly::kzg::commitment::ParamsKZG;
use std::fmt::Write;

/// Calldata offset of the proof bytes in a canonical `verifyProof(bytes,uint256[])` call.
pub const PROOF_CD: usize = 0x64;
/// First memory slot for named values (below: precompile scratch).
const MEM_START: usize = 0x200;

/// One absorb-then-squeeze step of the transcript.
#[derive(Clone, Debug)]
pub struct Squeeze {
    /// Name of the challenge.
    pub name: &'static str,
    /// Memory slot receiving the challenge.
    pub slot: String,
    /// Calldata range of proof bytes absorbed before squeezing (may be empty).
    pub from: String,
    /// Length in bytes of that range.
    pub len: usize,
}

/// Everything circuit-specific the templates render.
#[derive(Clone, Debug)]
pub struct VerifierParts {
    /// Proof length in bytes.
    pub proof_len: usize,
    /// Public instances.
    pub num_instances: usize,
    /// Exact calldata size of a canonical call.
    pub calldata_size: usize,
    /// Calldata offset of the instances' length word.
    pub instances_len_cd: usize,
    /// Calldata offset of the first instance.
    pub instances_cd: usize,
    /// Calldata ranges holding G1 points: (start, end).
    pub point_ranges: Vec<(usize, usize)>,
    /// Calldata range holding scalars.
    pub scalar_range: (usize, usize),
    /// The transcript schedule (first entry also absorbs the vk digest and instances).
    pub squeezes: Vec<Squeeze>,
    /// Memory used for the transcript buffer.
    pub transcript_buf: usize,
    /// Yul: everything between the transcript and the MSM.
    pub compute: String,
    /// Yul: the MSM into the accumulator at 0x00.
    pub msm: String,
    /// Yul: the pairing check, setting `ok`.
    pub pairing: String,
    /// Verifying-key words (digest, commitments, G2 points) as 32-byte values.
    pub vk_words: Vec<[u8; 32]>,
    /// Memory offset where the proof bytes are copied.
    pub proof_mem: usize,
    /// Memory offset where a separate verifying key is copied.
    pub vk_mem: usize,
    /// MSM terms (each one ecMul + ecAdd).
    pub msm_terms: usize,
    /// Entries of the batch inversion.
    pub inversions: usize,
    /// Named memory slots (for debugging against the reference verifier).
    pub slots: Vec<(String, usize)>,
    /// End of the memory the verifier uses.
    pub mem_end: usize,
}

struct Gen<'a> {
    l: &'a ProofLayout,
    /// Where the proof bytes are copied (reads go through memory, see `barrier` in the template).
    proof_mem: usize,
    separate: bool,
    next: usize,
    words: Vec<[u8; 32]>,
    vk_mem: usize,
}

impl Gen<'_> {
    fn alloc(&mut self, words: usize) -> usize {
        let at = self.next;
        self.next += 32 * words;
        at
    }

    fn slot(&mut self) -> String {
        format!("{:#x}", self.alloc(1))
    }

    fn vk_word(&self, i: usize) -> String {
        if self.separate {
            format!("mload({:#x})", self.vk_mem + 32 * i)
        } else {
            word(&self.words[i])
        }
    }

    fn scalar(&self, i: usize) -> String {
        format!("mload({:#x})", self.proof_mem + self.l.scalar_offset(i))
    }

    fn eval(&self, e: Eval, expected_h: &str) -> String {
        match e {
            Eval::Proof(i) => self.scalar(i),
            Eval::ExpectedQuotient => format!("mload({expected_h})"),
        }
    }

    fn query_index(list: &[(usize, i32)], column: usize, rotation: i32, kind: &str) -> Result<usize, SolidityError> {
        list.iter()
            .position(|&(c, r)| c == column && r == rotation)
            .ok_or_else(|| SolidityError::Unsupported(format!("{kind} column {column} is not queried at rotation {rotation}")))
    }
}

struct EvalLeaves<'a> {
    gen: &'a Gen<'a>,
    instance_eval: String,
}

impl Leaves for EvalLeaves<'_> {
    fn fixed(&self, column: usize, rotation: i32) -> Result<String, SolidityError> {
        let i = Gen::query_index(&self.gen.l.spec.fixed_queries, column, rotation, "fixed")?;
        Ok(self.gen.scalar(self.gen.l.fixed_evals + i))
    }
    fn advice(&self, column: usize, rotation: i32) -> Result<String, SolidityError> {
        let i = Gen::query_index(&self.gen.l.spec.advice_queries, column, rotation, "advice")?;
        Ok(self.gen.scalar(self.gen.l.advice_evals + i))
    }
    fn instance(&self) -> String {
        format!("mload({})", self.instance_eval)
    }
}

/// Computes the verifier's parts for `vk` (with the SRS's G1 generator and G2 points from
/// `params`). With `separate`, verifying-key values are read from memory filled from the
/// verifying-key contract; otherwise they are literals.
pub fn generate(
    vk: &VerifyingKey<G1Affine>,
    params: &ParamsKZG<Bn256>,
    num_instances: usize,
    separate: bool,
) -> Result<VerifierParts, SolidityError> {
    let l = ProofLayout::new(vk, num_instances)?;
    let spec = &l.spec;
    let domain = vk.get_domain();
    let omega = domain.get_omega();
    let omega_inv = domain.get_omega_inv();
    let n = 1u64 << spec.k;
    let n_inv = Fr::from(n).invert().expect("n is invertible");

    // Verifying-key words: digest, fixed commitments, sigma commitments, G1, s·G2, −G2 (the
    // words the verifier identity `VK_HASH` covers).
    let words = zkinfer_core::proof::keys::verifier_key_words(vk, params);
    let fixed_at = 1;
    let sigma_at = fixed_at + 2 * vk.fixed_commitments().len();
    let g1_at = sigma_at + 2 * vk.permutation().commitments().len();
    let s_g2_at = g1_at + 2;
    let neg_g2_at = s_g2_at + 4;
    debug_assert_eq!(words.len(), neg_g2_at + 4);

    let mut g = Gen {
        l: &l,
        proof_mem: 0,
        separate,
        next: MEM_START,
        words,
        vk_mem: 0,
    };
    g.vk_mem = g.alloc(g.words.len());
    g.proof_mem = g.alloc(spec.proof_len() / 32);
    // Scratch for folding long chains in loops (see `fold_with`).
    let scratch = g.alloc(super::expr::SPILL_SLOTS);

    let proof_len = spec.proof_len();
    let instances_len_cd = PROOF_CD + proof_len;
    let instances_cd = instances_len_cd + 32;
    let calldata_size = instances_cd + 32 * num_instances;
    let cd = |off: usize| PROOF_CD + off;

    // Transcript schedule.
    let mut squeezes = Vec::new();
    let mut sq = |g: &mut Gen, name: &'static str, from: usize, to: usize| -> String {
        let slot = g.slot();
        squeezes.push(Squeeze {
            name,
            slot: slot.clone(),
            from: format!("{:#x}", cd(from)),
            len: to - from,
        });
        slot
    };
    let theta = sq(&mut g, "theta", 0, l.point_offset(l.first_lookup_permuted));
    let beta = sq(
        &mut g,
        "beta",
        l.point_offset(l.first_lookup_permuted),
        l.point_offset(l.first_perm_z),
    );
    let gamma = sq(&mut g, "gamma", 0, 0);
    let y = sq(&mut g, "y", l.point_offset(l.first_perm_z), l.point_offset(l.first_quotient));
    let x = sq(&mut g, "x", l.point_offset(l.first_quotient), l.scalars_start);
    let sy = sq(&mut g, "shplonk_y", l.scalars_start, l.shplonk_start);
    let v = sq(&mut g, "shplonk_v", 0, 0);
    let u = sq(&mut g, "shplonk_u", l.shplonk_start, l.shplonk_start + 64);
    let max_chunk = squeezes.iter().map(|s| s.len).max().unwrap_or(0);

    let mut c = String::new();
    macro_rules! line { ($($t:tt)*) => { writeln!(c, $($t)*).expect("write to string") } }

    // x^n and u − ωʳ·x for every rotation in the super point set.
    let xn = g.slot();
    line!("{{");
    line!("let x := mload({x})");
    line!("let xn := x");
    line!(
        "for {{ let i := 0 }} lt(i, {}) {{ i := add(i, 1) }} {{ xn := mulmod(xn, xn, R) }}",
        spec.k
    );
    line!("mstore({xn}, xn)");
    line!("let u := mload({u})");
    let mut umx = Vec::new();
    for &r in &l.super_rots {
        let s = g.slot();
        let w = omega_pow(omega, omega_inv, r);
        if r == 0 {
            line!("mstore({s}, addmod(u, sub(R, x), R))");
        } else {
            line!("mstore({s}, addmod(u, sub(R, mulmod({}, x, R)), R))", lit(&w));
        }
        umx.push((r, s));
    }
    let umx_of = |r: i32| {
        umx.iter()
            .find(|(q, _)| *q == r)
            .map(|(_, s)| format!("mload({s})"))
            .expect("super rotation")
    };

    // Batch inversion: xⁿ − 1, x, z_diff_0, x − ω⁻ʲ (j = 1..=b+1), x − 1 (for l_0), and
    // P = Π (x − ωⁱ) over the instance rows, whose prefix products are kept so that one
    // backward pass yields each 1/(x − ωⁱ) (two words and ~120 gas per instance).
    let b = spec.blinding_factors;
    let m = num_instances;
    let count = 3 + (b + 1) + 2;
    let den = g.alloc(count);
    let den_at = |i: usize| format!("{:#x}", den + 32 * i);
    let prefix = g.alloc(count);
    let inst_prefix = g.alloc(m.max(1));
    let set0 = &l.sets[0];
    let z_diff_0: Vec<String> = l.super_rots.iter().filter(|r| !set0.rots.contains(r)).map(|&r| umx_of(r)).collect();
    line!("mstore({}, addmod(xn, sub(R, 1), R))", den_at(0));
    line!("mstore({}, x)", den_at(1));
    line!("{{\n{}mstore({}, p)\n}}", fold("p", "mulmod", &z_diff_0, "1", scratch), den_at(2));
    for j in 1..=b + 1 {
        let w = omega_pow(omega, omega_inv, -(j as i32));
        line!("mstore({}, addmod(x, sub(R, {}), R))", den_at(2 + j), lit(&w));
    }
    let rows_at = 3 + b + 1;
    line!("mstore({}, addmod(x, sub(R, 1), R))", den_at(rows_at));
    line!("{{");
    line!("    let w := 1");
    line!("    let acc := 1");
    line!(
        "    for {{ let p := {inst_prefix:#x} }} lt(p, {:#x}) {{ p := add(p, 0x20) }} {{ mstore(p, acc) acc := mulmod(acc, addmod(x, sub(R, w), R), R) w := mulmod(w, {}, R) }}",
        inst_prefix + 32 * m,
        lit(&omega)
    );
    line!("    mstore({}, acc)", den_at(rows_at + 1));
    line!("}}");
    line!("}}");
    line!("batch_invert({:#x}, {:#x}, {count})", den, prefix);

    // Lagrange values: l_0, l_last, l_blind, and the instance evaluation.
    let common = g.slot();
    let l_0 = g.slot();
    let l_last = g.slot();
    let l_blind = g.slot();
    let active = g.slot();
    let inst_eval = g.slot();
    line!("{{");
    line!("let common := mulmod(addmod(mload({xn}), sub(R, 1), R), {}, R)", lit(&n_inv));
    line!("mstore({common}, common)");
    line!("mstore({l_0}, mulmod(common, mload({}), R))", den_at(rows_at));
    let w_last = omega_pow(omega, omega_inv, -(b as i32 + 1));
    line!(
        "mstore({l_last}, mulmod(mulmod(common, {}, R), mload({}), R))",
        lit(&w_last),
        den_at(2 + b + 1)
    );
    let blind_terms: Vec<String> = (1..=b)
        .map(|j| {
            format!(
                "mulmod({}, mload({}), R)",
                lit(&omega_pow(omega, omega_inv, -(j as i32))),
                den_at(2 + j)
            )
        })
        .collect();
    line!(
        "{{\n{}mstore({l_blind}, mulmod(common, s, R))\n}}",
        fold("s", "addmod", &blind_terms, "0", scratch)
    );
    line!("mstore({active}, addmod(1, sub(R, addmod(mload({l_last}), mload({l_blind}), R)), R))");
    // Σ instᵢ·ωⁱ/(x − ωⁱ) backwards from the last row (1/(x − ωⁱ) = 1/P · prefixᵢ, then
    // 1/P·(x − ωⁱ) is the inverse of the next prefix), times (xⁿ − 1)/n.
    let omega_last = omega_pow(omega, omega_inv, m.max(1) as i32 - 1);
    line!("{{");
    line!("    let x := mload({x})");
    line!("    let acc := 0");
    line!("    let inv := mload({})", den_at(rows_at + 1));
    line!("    let w := {}", lit(&omega_last));
    line!("    let c := {:#x}", instances_cd + 32 * m);
    line!("    for {{ let p := {:#x} }} gt(p, {inst_prefix:#x}) {{}} {{", inst_prefix + 32 * m);
    line!("        p := sub(p, 0x20)");
    line!("        c := sub(c, 0x20)");
    line!("        let v := calldataload(c)");
    line!("        if iszero(lt(v, R)) {{ fail(29, \"zkinfer: instance not below r\") }}");
    line!("        acc := addmod(acc, mulmod(v, mulmod(w, mulmod(inv, mload(p), R), R), R), R)");
    line!("        inv := mulmod(inv, addmod(x, sub(R, w), R), R)");
    line!("        w := mulmod(w, {}, R)", lit(&omega_inv));
    line!("    }}");
    line!("    mstore({inst_eval}, mulmod(acc, mload({common}), R))");
    line!("}}");
    line!("}}");

    // The constraints, folded with y (Horner, first expression highest), divided by xⁿ − 1.
    // Each constraint is a block of statements leaving its value in `e`.
    let tmp = g.alloc(super::expr::SPILL_SLOTS);
    let bx = g.slot();
    let mut exprs: Vec<String> = Vec::new();
    {
        let leaves = EvalLeaves {
            gen: &g,
            instance_eval: inst_eval.clone(),
        };
        let shallow = |e: &halo2_axiom::plonk::Expression<Fr>| -> Result<String, SolidityError> {
            let mut stmts = Vec::new();
            let code = emit_shallow(e, &leaves, tmp, &mut stmts)?;
            stmts.push(format!("let e := {code}"));
            Ok(stmts.join("\n"))
        };
        for gate in vk.cs().gates() {
            for p in gate.polynomials() {
                exprs.push(shallow(p)?);
            }
        }
        // Permutation argument.
        let m = |s: &str| format!("mload({s})");
        let sets = spec.permutation_sets;
        let chunk = spec.permutation_chunk;
        if sets > 0 {
            let (z0, _, _) = l.perm_set_evals(0);
            exprs.push(format!("let e := mulmod({}, addmod(1, sub(R, {}), R), R)", m(&l_0), g.scalar(z0)));
            let (zl, _, _) = l.perm_set_evals(sets - 1);
            let zl = g.scalar(zl);
            exprs.push(format!(
                "let e := mulmod(addmod(mulmod({zl}, {zl}, R), sub(R, {zl}), R), {}, R)",
                m(&l_last)
            ));
            for s in 1..sets {
                let (z, _, _) = l.perm_set_evals(s);
                let (_, _, prev_last) = l.perm_set_evals(s - 1);
                exprs.push(format!(
                    "let e := mulmod(addmod({}, sub(R, {}), R), {}, R)",
                    g.scalar(z),
                    g.scalar(prev_last.expect("not last")),
                    m(&l_0)
                ));
            }
            let col_eval = |kind: &Any, col: usize| -> Result<String, SolidityError> {
                match kind {
                    Any::Advice(_) => leaves.advice(col, 0),
                    Any::Fixed => leaves.fixed(col, 0),
                    Any::Instance => Ok(leaves.instance()),
                }
            };
            for s in 0..sets {
                let (z, z_next, _) = l.perm_set_evals(s);
                let mut lefts = vec![g.scalar(z_next)];
                let mut rights = vec![g.scalar(z)];
                for (j, (kind, col)) in l.perm_columns.iter().enumerate().skip(s * chunk).take(chunk) {
                    let e = col_eval(kind, *col)?;
                    lefts.push(format!(
                        "addmod(addmod({e}, mulmod({}, {}, R), R), {}, R)",
                        m(&beta),
                        g.scalar(l.sigma_evals + j),
                        m(&gamma)
                    ));
                    let delta_j = Fr::DELTA.pow_vartime([j as u64]);
                    rights.push(format!(
                        "addmod(addmod({e}, mulmod({}, {}, R), R), {}, R)",
                        m(&bx),
                        lit(&delta_j),
                        m(&gamma)
                    ));
                }
                let mut b = fold("left", "mulmod", &lefts, "1", scratch);
                b += &fold("right", "mulmod", &rights, "1", scratch);
                b += &format!("let e := mulmod(addmod(left, sub(R, right), R), {}, R)", m(&active));
                exprs.push(b);
            }
        }
        // Lookup arguments.
        for (li, arg) in vk.cs().lookups().iter().enumerate() {
            let [z, z_next, a, a_prev, t] = l.lookup_eval(li).map(|i| g.scalar(i));
            let compress = |var: &str, list: &[halo2_axiom::plonk::Expression<Fr>]| -> Result<String, SolidityError> {
                let mut pre = String::new();
                let mut terms = Vec::new();
                for e in list {
                    let mut stmts = Vec::new();
                    let code = emit_shallow(e, &leaves, tmp, &mut stmts)?;
                    if stmts.is_empty() {
                        terms.push(code);
                    } else {
                        // Spilled temporaries are reused: materialise this term now (in the
                        // scratch area's upper half; folds use the lower half).
                        if terms.len() >= super::expr::SPILL_SLOTS / 2 {
                            return Err(SolidityError::Unsupported("a lookup with more than 32 input expressions".into()));
                        }
                        let at = scratch + 32 * (super::expr::SPILL_SLOTS - 1 - terms.len());
                        for st in stmts {
                            pre += &st;
                            pre.push('\n');
                        }
                        pre += &format!("mstore({at:#x}, {code})\n");
                        terms.push(format!("mload({at:#x})"));
                    }
                }
                Ok(pre
                    + &fold_with(
                        var,
                        &format!("addmod(mulmod({{acc}}, {}, R), {{term}}, R)", m(&theta)),
                        &terms,
                        "0",
                        scratch,
                    ))
            };
            exprs.push(format!("let e := mulmod({}, addmod(1, sub(R, {z}), R), R)", m(&l_0)));
            exprs.push(format!(
                "let e := mulmod({}, addmod(mulmod({z}, {z}, R), sub(R, {z}), R), R)",
                m(&l_last)
            ));
            let mut b = compress("input", arg.input_expressions())?;
            b += &compress("table", arg.table_expressions())?;
            b += &format!(
                "let e := mulmod(mulmod({z}, addmod(input, {}, R), R), addmod(table, {}, R), R)\n",
                m(&beta),
                m(&gamma)
            );
            b += &format!(
                "e := addmod(mulmod(mulmod({z_next}, addmod({a}, {}, R), R), addmod({t}, {}, R), R), sub(R, e), R)\n",
                m(&beta),
                m(&gamma)
            );
            b += &format!("e := mulmod(e, {}, R)", m(&active));
            exprs.push(b);
            exprs.push(format!("let e := mulmod({}, addmod({a}, sub(R, {t}), R), R)", m(&l_0)));
            exprs.push(format!(
                "let e := mulmod(mulmod(addmod({a}, sub(R, {t}), R), addmod({a}, sub(R, {a_prev}), R), R), {}, R)",
                m(&active)
            ));
        }
    }
    let expected_h = g.slot();
    line!("mstore({bx}, mulmod(mload({beta}), mload({x}), R))");
    // Each constraint's value goes to its own memory word; a loop then folds them (a loop keeps
    // the optimizer from inlining the whole chain into one expression too deep for the stack).
    let values = g.alloc(exprs.len());
    for (i, e) in exprs.iter().enumerate() {
        line!("{{");
        for st in e.lines() {
            line!("    {st}");
        }
        line!("    mstore({:#x}, e)", values + 32 * i);
        line!("}}");
    }
    line!("{{");
    line!("    let y := mload({y})");
    line!("    let h := 0");
    line!(
        "    for {{ let p := {values:#x} }} lt(p, {:#x}) {{ p := add(p, 0x20) }} {{ h := addmod(mulmod(h, y, R), mload(p), R) }}",
        values + 32 * exprs.len()
    );
    line!("    mstore({expected_h}, mulmod(h, mload({}), R))", den_at(0));
    line!("}}");

    // SHPLONK: per rotation set, its factor (vⁱ·z_diff_i/z_diff_0), its interpolation weights at
    // u, and its contribution to r.
    let max_coms = l.sets.iter().map(|s| s.coms.len()).max().unwrap_or(1);
    let ypow = g.alloc(max_coms);
    let ypow_at = |j: usize| format!("{:#x}", ypow + 32 * j);
    line!("{{");
    line!("    let sy := mload({sy})");
    line!("    let p := 1");
    line!(
        "    for {{ let a := {ypow:#x} }} lt(a, {:#x}) {{ a := add(a, 0x20) }} {{ mstore(a, p) p := mulmod(p, sy, R) }}",
        ypow + 32 * max_coms
    );
    line!("}}");
    let z0 = g.slot();
    let z0_terms: Vec<String> = set0.rots.iter().map(|&r| umx_of(r)).collect();
    line!("{{\n{}mstore({z0}, p)\n}}", fold("p", "mulmod", &z0_terms, "1", scratch));
    let r_outer = g.slot();
    let vpow = g.slot();
    let mut factors = Vec::new();
    line!("mstore({r_outer}, 0)");
    line!("mstore({vpow}, 1)");
    let xinv = den_at(1);
    for (i, set) in l.sets.iter().enumerate() {
        line!("{{");
        let factor = if i == 0 {
            None
        } else {
            let f = g.slot();
            line!("    let vp := mulmod(mload({vpow}), mload({v}), R)");
            line!("    mstore({vpow}, vp)");
            let diff: Vec<String> = l.super_rots.iter().filter(|r| !set.rots.contains(r)).map(|&r| umx_of(r)).collect();
            for st in fold("d", "mulmod", &diff, "1", scratch).lines() {
                line!("    {st}");
            }
            line!("    mstore({f}, mulmod(mulmod(vp, d, R), mload({}), R))", den_at(2));
            Some(f)
        };
        // Interpolation weights.
        let m_pts = set.rots.len();
        let weights: Vec<String> = if m_pts == 1 {
            vec![]
        } else {
            let pts: Vec<Fr> = set.rots.iter().map(|&r| omega_pow(omega, omega_inv, r)).collect();
            let mut ws = Vec::new();
            for k in 0..m_pts {
                let mut d = Fr::ONE;
                for j in 0..m_pts {
                    if j != k {
                        d *= pts[k] - pts[j];
                    }
                }
                let d_inv = d.invert().expect("distinct rotations");
                let mut terms: Vec<String> = (0..m_pts).filter(|&j| j != k).map(|j| umx_of(set.rots[j])).collect();
                for _ in 0..m_pts - 1 {
                    terms.push(format!("mload({xinv})"));
                }
                terms.push(lit(&d_inv));
                let s = g.slot();
                line!("    {{");
                for st in fold("w", "mulmod", &terms, "1", scratch).lines() {
                    line!("        {st}");
                }
                line!("        mstore({s}, w)");
                line!("    }}");
                ws.push(s);
            }
            ws
        };
        // r_inner = Σ_j yʲ · r_j(u).
        line!("    let r_inner := 0");
        for (j, (_, evals)) in set.coms.iter().enumerate() {
            line!("    {{");
            if m_pts == 1 {
                line!("        let r_j := {}", g.eval(evals[0], &expected_h));
            } else {
                let terms: Vec<String> = evals
                    .iter()
                    .zip(&weights)
                    .map(|(e, w)| format!("mulmod({}, mload({w}), R)", g.eval(*e, &expected_h)))
                    .collect();
                for st in fold("r_j", "addmod", &terms, "0", scratch).lines() {
                    line!("        {st}");
                }
            }
            if j == 0 {
                line!("        r_inner := addmod(r_inner, r_j, R)");
            } else {
                line!("        r_inner := addmod(r_inner, mulmod(r_j, mload({}), R), R)", ypow_at(j));
            }
            line!("    }}");
        }
        match &factor {
            None => line!("    mstore({r_outer}, addmod(mload({r_outer}), r_inner, R))"),
            Some(f) => line!("    mstore({r_outer}, addmod(mload({r_outer}), mulmod(r_inner, mload({f}), R), R))"),
        }
        line!("}}");
        factors.push(factor);
    }

    // The MSM: Σ factor_i·yʲ·C_ij − r·G1 − z_0·W + u·W'.
    let mut msm = String::new();
    let mut terms = 0;
    macro_rules! mline { ($($t:tt)*) => { writeln!(msm, $($t)*).expect("write to string") } }
    mline!("mstore(0x00, 0)");
    mline!("mstore(0x20, 0)");
    for (i, set) in l.sets.iter().enumerate() {
        for (j, (com, _)) in set.coms.iter().enumerate() {
            let coeff = match (&factors[i], j) {
                (None, 0) => "1".to_string(),
                (None, j) => format!("mload({})", ypow_at(j)),
                (Some(f), 0) => format!("mload({f})"),
                (Some(f), j) => format!("mulmod(mload({f}), mload({}), R)", ypow_at(j)),
            };
            let point = |g: &Gen, com: Com| -> (String, String) {
                match com {
                    Com::Fixed(c) => (g.vk_word(fixed_at + 2 * c), g.vk_word(fixed_at + 2 * c + 1)),
                    Com::Sigma(c) => (g.vk_word(sigma_at + 2 * c), g.vk_word(sigma_at + 2 * c + 1)),
                    other => {
                        let p = g.l.proof_point(other).expect("proof point");
                        let off = PROOF_CD + g.l.point_offset(p);
                        (
                            format!("mload({:#x})", g.proof_mem + off - PROOF_CD),
                            format!("mload({:#x})", g.proof_mem + off - PROOF_CD + 32),
                        )
                    }
                }
            };
            if *com == Com::Quotient {
                mline!("{{");
                mline!("    let c := {coeff}");
                for t in 0..spec.quotient_pieces {
                    let off = PROOF_CD + l.point_offset(l.first_quotient + t);
                    mline!(
                        "    ec_mul_acc(mload({:#x}), mload({:#x}), c)",
                        g.proof_mem + off - PROOF_CD,
                        g.proof_mem + off - PROOF_CD + 32
                    );
                    terms += 1;
                    if t + 1 < spec.quotient_pieces {
                        mline!("    c := mulmod(c, mload({xn}), R)");
                    }
                }
                mline!("}}");
            } else {
                // A verifying-key commitment to the zero polynomial (e.g. a selector no row
                // enables) is the point at infinity and adds nothing: skip its ecMul.
                let zero = match com {
                    Com::Fixed(c) => bool::from(vk.fixed_commitments()[*c].is_identity()),
                    Com::Sigma(c) => bool::from(vk.permutation().commitments()[*c].is_identity()),
                    _ => false,
                };
                if !zero {
                    let (px, py) = point(&g, *com);
                    mline!("ec_mul_acc({px}, {py}, {coeff})");
                    terms += 1;
                }
            }
        }
    }
    mline!(
        "ec_mul_acc({}, {}, sub(R, mload({r_outer})))",
        g.vk_word(g1_at),
        g.vk_word(g1_at + 1)
    );

    mline!(
        "ec_mul_acc(mload({:#x}), mload({:#x}), sub(R, mload({z0})))",
        g.proof_mem + l.shplonk_start,
        g.proof_mem + l.shplonk_start + 32
    );
    mline!(
        "ec_mul_acc(mload({:#x}), mload({:#x}), mload({u}))",
        g.proof_mem + l.shplonk_start + 64,
        g.proof_mem + l.shplonk_start + 96
    );
    terms += 3;

    // Pairing: e(W', s·G2) · e(MSM, −G2) = 1.
    let pair = g.alloc(12);
    let mut pairing = String::new();
    macro_rules! pline { ($($t:tt)*) => { writeln!(pairing, $($t)*).expect("write to string") } }
    pline!("mstore({:#x}, mload({:#x}))", pair, g.proof_mem + l.shplonk_start + 64);
    pline!("mstore({:#x}, mload({:#x}))", pair + 32, g.proof_mem + l.shplonk_start + 96);
    for i in 0..4 {
        pline!("mstore({:#x}, {})", pair + 64 + 32 * i, g.vk_word(s_g2_at + i));
    }
    pline!("mstore({:#x}, mload(0x00))", pair + 192);
    pline!("mstore({:#x}, mload(0x20))", pair + 224);
    for i in 0..4 {
        pline!("mstore({:#x}, {})", pair + 256 + 32 * i, g.vk_word(neg_g2_at + i));
    }
    // (Yul evaluates arguments right to left: read the result only after the call.)
    pline!("let success := staticcall(gas(), 0x08, {pair:#x}, 0x180, 0x00, 0x20)");
    pline!("ok := and(success, eq(mload(0x00), 1))");

    let transcript_buf = g.alloc(0);
    // An opaque memory write before every top-level block: the optimizer cannot carry values
    // from one block to the next in stack slots (which overflows the stack on larger circuits).
    let c: String = c
        .lines()
        .map(|l| if l == "{" { "barrier()\n{\n".to_string() } else { format!("{l}\n") })
        .collect();
    let scalars = (cd(l.scalars_start), cd(l.shplonk_start));
    Ok(VerifierParts {
        proof_len,
        num_instances,
        calldata_size,
        instances_len_cd,
        instances_cd,
        point_ranges: vec![(cd(0), cd(l.scalars_start)), (cd(l.shplonk_start), cd(l.shplonk_start + 128))],
        scalar_range: scalars,
        squeezes,
        transcript_buf,
        compute: c,
        msm,
        pairing,
        vk_words: g.words.clone(),
        vk_mem: g.vk_mem,
        proof_mem: g.proof_mem,
        msm_terms: terms,
        inversions: count,
        slots: [
            ("xn", &xn),
            ("l_0", &l_0),
            ("l_last", &l_last),
            ("l_blind", &l_blind),
            ("instance_eval", &inst_eval),
            ("expected_h", &expected_h),
            ("z0", &z0),
            ("r_outer", &r_outer),
        ]
        .iter()
        .map(|(n, s)| {
            (
                n.to_string(),
                usize::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex slot"),
            )
        })
        .collect(),
        mem_end: transcript_buf + 32 + 32 * num_instances + max_chunk,
    })
}
