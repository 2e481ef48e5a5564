//! A native verifier that follows the generated contract's computation step by step (same
//! layout, same transcript schedule, same formulas), used to test the generator: it must agree
//! with halo2's own verifier, and its intermediate values locate a divergence in the EVM code.

use super::queries::{omega_pow, Com, Eval, ProofLayout};
use super::SolidityError;
use halo2_axiom::halo2curves::bn256::G2Prepared;
use halo2_axiom::halo2curves::bn256::{Bn256, Fr, G1Affine, G1};
use halo2_axiom::halo2curves::ff::{Field, PrimeField};
use halo2_axiom::halo2curves::group::{Curve, Group};
use halo2_axiom::halo2curves::pairing::{MillerLoopResult, MultiMillerLoop};
use halo2_axiom::plonk::{Any, VerifyingKey};
use halo2_axiom::poly::commitment::ParamsProver;
use halo2_axiom::poly::kzg::commitment::ParamsKZG;
use halo2_axiom::transcript::EncodedChallenge;
use zkinfer_core::proof::transcript::{point_from_bytes, scalar_bytes, scalar_from_bytes, squeeze};

/// Intermediate values of a reference verification.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// Challenges in squeeze order: theta, beta, gamma, y, x, shplonk y, v, u.
    pub challenges: Vec<Fr>,
    /// l_0, l_last, l_blind.
    pub lagrange: [Fr; 3],
    /// Instance evaluation at x.
    pub instance_eval: Fr,
    /// Constraint values in fold order.
    pub constraints: Vec<Fr>,
    /// Expected quotient evaluation.
    pub expected_h: Fr,
    /// SHPLONK's r and z_0.
    pub r_outer: Fr,
    /// z_0.
    pub z0: Fr,
    /// The pairing check's result.
    pub accepted: bool,
}

/// Runs the reference verification of `proof` for `instances`.
pub fn verify(vk: &VerifyingKey<G1Affine>, params: &ParamsKZG<Bn256>, proof: &[u8], instances: &[Fr]) -> Result<Trace, SolidityError> {
    let l = ProofLayout::new(vk, instances.len())?;
    let spec = &l.spec;
    let bad = |m: &str| SolidityError::Unsupported(format!("malformed proof: {m}"));
    if proof.len() != spec.proof_len() {
        return Err(bad("length"));
    }
    let scalar = |i: usize| -> Result<Fr, SolidityError> {
        let o = l.scalar_offset(i);
        scalar_from_bytes(proof[o..o + 32].try_into().expect("32")).map_err(|_| bad("scalar"))
    };
    let point_at = |o: usize| -> Result<G1Affine, SolidityError> {
        point_from_bytes(proof[o..o + 64].try_into().expect("64")).map_err(|_| bad("point"))
    };
    let mut t = Trace::default();
    // Transcript.
    let mut buf = scalar_bytes(&vk.transcript_repr()).to_vec();
    for i in instances {
        buf.extend_from_slice(&scalar_bytes(i));
    }
    let ranges = [
        (0, l.point_offset(l.first_lookup_permuted)),
        (l.point_offset(l.first_lookup_permuted), l.point_offset(l.first_perm_z)),
        (0, 0),
        (l.point_offset(l.first_perm_z), l.point_offset(l.first_quotient)),
        (l.point_offset(l.first_quotient), l.scalars_start),
        (l.scalars_start, l.shplonk_start),
        (0, 0),
        (l.shplonk_start, l.shplonk_start + 64),
    ];
    for (a, b) in ranges {
        buf.extend_from_slice(&proof[a..b]);
        let (h, c) = squeeze(&buf);
        buf = h.to_vec();
        t.challenges.push(c.get_scalar());
    }
    let [theta, beta, gamma, y, x, sy, v, u] = <[Fr; 8]>::try_from(t.challenges.clone()).expect("8");
    let domain = vk.get_domain();
    let (omega, omega_inv) = (domain.get_omega(), domain.get_omega_inv());
    let n = 1u64 << spec.k;
    let xn = x.pow_vartime([n]);
    let common = (xn - Fr::ONE) * Fr::from(n).invert().unwrap();
    let lag = |r: i32| {
        let w = omega_pow(omega, omega_inv, r);
        w * common * (x - w).invert().unwrap()
    };
    let b = spec.blinding_factors as i32;
    let l_0 = lag(0);
    let l_last = lag(-(b + 1));
    let l_blind: Fr = (1..=b).map(|j| lag(-j)).sum();
    t.lagrange = [l_0, l_last, l_blind];
    let inst_eval: Fr = instances.iter().enumerate().map(|(i, v)| *v * lag(i as i32)).sum();
    t.instance_eval = inst_eval;
    let active = Fr::ONE - (l_last + l_blind);
    let fixed = |c: usize, r: i32| spec.fixed_queries.iter().position(|&q| q == (c, r)).map(|i| l.fixed_evals + i);
    let advice = |c: usize, r: i32| spec.advice_queries.iter().position(|&q| q == (c, r)).map(|i| l.advice_evals + i);
    let ev = |e: &halo2_axiom::plonk::Expression<Fr>| -> Result<Fr, SolidityError> {
        let fail = std::cell::Cell::new(false);
        let val = e.evaluate(
            &|c| c,
            &|_| {
                fail.set(true);
                Fr::ZERO
            },
            &|q| {
                fixed(q.column_index(), q.rotation().0)
                    .and_then(|i| scalar(i).ok())
                    .unwrap_or_else(|| {
                        fail.set(true);
                        Fr::ZERO
                    })
            },
            &|q| {
                advice(q.column_index(), q.rotation().0)
                    .and_then(|i| scalar(i).ok())
                    .unwrap_or_else(|| {
                        fail.set(true);
                        Fr::ZERO
                    })
            },
            &|_| inst_eval,
            &|_| {
                fail.set(true);
                Fr::ZERO
            },
            &|a| -a,
            &|a, b| a + b,
            &|a, b| a * b,
            &|a, s| a * s,
        );
        if fail.get() {
            return Err(bad("expression"));
        }
        Ok(val)
    };
    let mut cons = Vec::new();
    for g in vk.cs().gates() {
        for p in g.polynomials() {
            cons.push(ev(p)?);
        }
    }
    let sets = spec.permutation_sets;
    if sets > 0 {
        cons.push(l_0 * (Fr::ONE - scalar(l.perm_set_evals(0).0)?));
        let zl = scalar(l.perm_set_evals(sets - 1).0)?;
        cons.push((zl.square() - zl) * l_last);
        for s in 1..sets {
            cons.push((scalar(l.perm_set_evals(s).0)? - scalar(l.perm_set_evals(s - 1).2.expect("last"))?) * l_0);
        }
        for s in 0..sets {
            let (z, zn, _) = l.perm_set_evals(s);
            let mut left = scalar(zn)?;
            let mut right = scalar(z)?;
            for (j, (kind, col)) in l
                .perm_columns
                .iter()
                .enumerate()
                .skip(s * spec.permutation_chunk)
                .take(spec.permutation_chunk)
            {
                let e = match kind {
                    Any::Advice(_) => scalar(advice(*col, 0).ok_or_else(|| bad("perm"))?)?,
                    Any::Fixed => scalar(fixed(*col, 0).ok_or_else(|| bad("perm"))?)?,
                    Any::Instance => inst_eval,
                };
                left *= e + beta * scalar(l.sigma_evals + j)? + gamma;
                right *= e + beta * x * Fr::DELTA.pow_vartime([j as u64]) + gamma;
            }
            cons.push((left - right) * active);
        }
    }
    for (li, arg) in vk.cs().lookups().iter().enumerate() {
        let [z, zn, a, ap, s] = l.lookup_eval(li).map(scalar);
        let (z, zn, a, ap, s) = (z?, zn?, a?, ap?, s?);
        let compress = |list: &[halo2_axiom::plonk::Expression<Fr>]| -> Result<Fr, SolidityError> {
            let mut acc = Fr::ZERO;
            for e in list {
                acc = acc * theta + ev(e)?;
            }
            Ok(acc)
        };
        let input = compress(arg.input_expressions())?;
        let table = compress(arg.table_expressions())?;
        cons.push(l_0 * (Fr::ONE - z));
        cons.push(l_last * (z.square() - z));
        cons.push((zn * (a + beta) * (s + gamma) - z * (input + beta) * (table + gamma)) * active);
        cons.push(l_0 * (a - s));
        cons.push((a - s) * (a - ap) * active);
    }
    let h = cons.iter().fold(Fr::ZERO, |h, c| h * y + c);
    t.constraints = cons;
    let expected_h = h * (xn - Fr::ONE).invert().unwrap();
    t.expected_h = expected_h;
    // SHPLONK.
    let umx = |r: i32| u - omega_pow(omega, omega_inv, r) * x;
    let evalv = |e: Eval| -> Result<Fr, SolidityError> {
        match e {
            Eval::Proof(i) => scalar(i),
            Eval::ExpectedQuotient => Ok(expected_h),
        }
    };
    let z_diff = |rots: &[i32]| -> Fr { l.super_rots.iter().filter(|r| !rots.contains(r)).map(|&r| umx(r)).product() };
    let z0_diff_inv = z_diff(&l.sets[0].rots).invert().unwrap();
    let z0: Fr = l.sets[0].rots.iter().map(|&r| umx(r)).product();
    t.z0 = z0;
    let mut msm: Vec<(Fr, G1Affine)> = Vec::new();
    let mut r_outer = Fr::ZERO;
    let mut vp = Fr::ONE;
    for (i, set) in l.sets.iter().enumerate() {
        let factor = if i == 0 { Fr::ONE } else { vp * z_diff(&set.rots) * z0_diff_inv };
        vp *= v;
        let pts: Vec<Fr> = set.rots.iter().map(|&r| omega_pow(omega, omega_inv, r) * x).collect();
        let weights: Vec<Fr> = (0..pts.len())
            .map(|k| {
                (0..pts.len())
                    .filter(|&j| j != k)
                    .map(|j| (u - pts[j]) * (pts[k] - pts[j]).invert().unwrap())
                    .product()
            })
            .collect();
        let mut yp = Fr::ONE;
        let mut r_inner = Fr::ZERO;
        for (com, evals) in &set.coms {
            let mut r_j = Fr::ZERO;
            for (e, w) in evals.iter().zip(&weights) {
                r_j += evalv(*e)? * w;
            }
            r_inner += yp * r_j;
            let c = factor * yp;
            match com {
                Com::Fixed(k) => msm.push((c, vk.fixed_commitments()[*k])),
                Com::Sigma(k) => msm.push((c, vk.permutation().commitments()[*k])),
                Com::Quotient => {
                    let mut cc = c;
                    for q in 0..spec.quotient_pieces {
                        msm.push((cc, point_at(l.point_offset(l.first_quotient + q))?));
                        cc *= xn;
                    }
                }
                other => msm.push((c, point_at(l.point_offset(l.proof_point(*other).expect("proof point")))?)),
            }
            yp *= sy;
        }
        r_outer += factor * r_inner;
    }
    t.r_outer = r_outer;
    let w1 = point_at(l.shplonk_start)?;
    let w2 = point_at(l.shplonk_start + 64)?;
    msm.push((-r_outer, params.get_g()[0]));
    msm.push((-z0, w1));
    msm.push((u, w2));
    let right: G1 = msm.iter().fold(G1::identity(), |acc, (s, p)| acc + *p * s);
    let s_g2 = G2Prepared::from(params.s_g2());
    let n_g2 = G2Prepared::from(-params.g2());
    let res = Bn256::multi_miller_loop(&[(&w2, &s_g2), (&right.to_affine(), &n_g2)]).final_exponentiation();
    t.accepted = bool::from(res.is_identity());
    let _ = sy;
    Ok(t)
}
