//! Fast generation of KZG params of a known secret (the development SRS and test SRSs).
//!
//! halo2's `ParamsKZG::setup` walks the powers `sⁱ·G` by one full scalar multiplication per
//! point (and a field inversion per Lagrange point), about 280 s for 2^20 powers on two cores.
//! Here the scalars `sⁱ` and `Lᵢ(s)` are computed first (field arithmetic, the inversions
//! batched), then every point is one fixed-base multiplication of the generator: a table of
//! `d·2^(c·w)·G` for every c-bit digit `d` of every window `w` turns a multiplication into
//! ⌈254/c⌉ mixed additions. The points are the same as `setup`'s for the same secret (tested),
//! so files and verifying-key hashes do not change.

use halo2_axiom::arithmetic::parallelize;
use halo2_axiom::halo2curves::bn256::{Bn256, Fr, G1Affine, G2Affine, G1};
use halo2_axiom::halo2curves::ff::{BatchInvert, Field, PrimeField};
use halo2_axiom::halo2curves::group::prime::PrimeCurveAffine;
use halo2_axiom::halo2curves::group::{Curve, Group};
use halo2_axiom::poly::kzg::commitment::ParamsKZG;
use rand::SeedableRng;

/// A table for multiplying one fixed point by many scalars.
struct FixedBase {
    /// Bits per window.
    c: usize,
    /// Number of windows (⌈256 / c⌉).
    windows: usize,
    /// `table[w·2^c + d] = d·2^(c·w)·G` (entry 0 of each window unused).
    table: Vec<G1Affine>,
}

impl FixedBase {
    fn new(base: G1, c: usize) -> FixedBase {
        let windows = 256usize.div_ceil(c);
        let size = 1usize << c;
        let mut bases = Vec::with_capacity(windows);
        let mut b = base;
        for _ in 0..windows {
            bases.push(b);
            for _ in 0..c {
                b = b.double();
            }
        }
        let mut proj = vec![G1::identity(); windows * size];
        parallelize(&mut proj, |chunk, start| {
            let mut acc = G1::identity();
            for (i, p) in chunk.iter_mut().enumerate() {
                let (w, d) = ((start + i) / size, (start + i) % size);
                acc = if i == 0 || d == 0 {
                    bases[w] * Fr::from(d as u64)
                } else {
                    acc + bases[w]
                };
                *p = acc;
            }
        });
        let mut table = vec![G1Affine::identity(); proj.len()];
        parallelize(&mut table, |chunk, start| {
            G1::batch_normalize(&proj[start..start + chunk.len()], chunk)
        });
        FixedBase { c, windows, table }
    }

    /// `s·G`.
    fn mul(&self, s: &Fr) -> G1 {
        let repr = s.to_repr();
        let bytes = repr.as_ref();
        let bit = |i: usize| -> usize {
            if i >= 256 {
                0
            } else {
                ((bytes[i / 8] >> (i % 8)) & 1) as usize
            }
        };
        let mut acc = G1::identity();
        for w in 0..self.windows {
            let digit = (0..self.c).fold(0usize, |d, j| d | (bit(w * self.c + j) << j));
            if digit != 0 {
                acc += self.table[(w << self.c) + digit];
            }
        }
        acc
    }

    /// `sᵢ·G` for every scalar, as affine points.
    fn mul_all(&self, scalars: &[Fr]) -> Vec<G1Affine> {
        let mut out = vec![G1Affine::identity(); scalars.len()];
        parallelize(&mut out, |chunk, start| {
            let proj: Vec<G1> = scalars[start..start + chunk.len()].iter().map(|s| self.mul(s)).collect();
            G1::batch_normalize(&proj, chunk);
        });
        out
    }
}

/// halo2's primitive 2^k-th root of unity (its `EvaluationDomain`'s ω).
fn omega(k: u32) -> Fr {
    let mut w = Fr::ROOT_OF_UNITY;
    for _ in k..Fr::S {
        w = w.square();
    }
    w
}

/// `[s⁰, s¹, …, s^(n−1)]`.
fn powers(s: Fr, n: usize) -> Vec<Fr> {
    let mut out = vec![Fr::ZERO; n];
    parallelize(&mut out, |chunk, start| {
        let mut x = s.pow_vartime([start as u64]);
        for v in chunk.iter_mut() {
            *v = x;
            x *= s;
        }
    });
    out
}

/// The Lagrange basis polynomials of the size-n domain at `s`: `Lᵢ(s) = (sⁿ − 1)/n · ωⁱ/(s − ωⁱ)`
/// (`None` when `s` is a point of the domain, which a random secret is not but a chosen one
/// could be).
fn lagrange_at(s: Fr, k: u32) -> Option<Vec<Fr>> {
    let n = 1usize << k;
    let w = omega(k);
    let n_inv = Option::<Fr>::from(Fr::from(n as u64).invert())?;
    let multiplier = (s.pow_vartime([n as u64]) - Fr::ONE) * n_inv;
    let mut out = vec![Fr::ZERO; n];
    let flag = std::sync::atomic::AtomicBool::new(false);
    parallelize(&mut out, |chunk, start| {
        let mut wi = w.pow_vartime([start as u64]);
        let mut roots = Vec::with_capacity(chunk.len());
        for v in chunk.iter_mut() {
            *v = s - wi;
            roots.push(wi);
            wi *= w;
        }
        if chunk.iter().any(|d| bool::from(d.is_zero())) {
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
            return;
        }
        chunk.iter_mut().batch_invert();
        for (v, r) in chunk.iter_mut().zip(roots) {
            *v *= multiplier * r;
        }
    });
    (!flag.into_inner()).then_some(out)
}

/// KZG params of size `k` for the secret `s`: the same points as halo2's
/// `ParamsKZG::setup(k, rng)` when `s` is the first value drawn from `rng`. Panics when `s`
/// is 0 or a 2^k-th root of unity (a secret no generator draws in practice; callers pass
/// seeded random secrets).
pub fn params_of_secret(k: u32, s: Fr) -> ParamsKZG<Bn256> {
    assert!(k <= Fr::S, "k = {k} is above the field's 2-adicity");
    assert!(!bool::from(s.is_zero()), "a zero secret");
    let n = 1usize << k;
    let lagrange = lagrange_at(s, k).expect("the secret is a root of unity of the domain");
    let table = FixedBase::new(G1::generator(), if k >= 14 { 16 } else { 8 });
    let g = table.mul_all(&powers(s, n));
    let g_lagrange = table.mul_all(&lagrange);
    drop(table);
    let g2 = G2Affine::generator();
    let s_g2 = (g2 * s).to_affine();
    // `from_parts` takes an instance only to be a method; a size-1 SRS is the cheapest one
    let seed = ParamsKZG::<Bn256>::setup(0, rand_chacha::ChaCha20Rng::from_seed([7; 32]));
    seed.from_parts(k, g, Some(g_lagrange), g2, s_g2)
}

/// KZG params of size `k` whose secret is the first value drawn from a ChaCha20 generator
/// seeded with `seed`: the points of `ParamsKZG::setup(k, ChaCha20Rng::seed_from_u64(seed))`.
pub fn params_of_seed(k: u32, seed: u64) -> ParamsKZG<Bn256> {
    params_of_secret(k, Fr::random(rand_chacha::ChaCha20Rng::seed_from_u64(seed)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_axiom::poly::commitment::Params;
    use halo2_axiom::SerdeFormat;

    fn bytes(p: &ParamsKZG<Bn256>) -> Vec<u8> {
        let mut b = Vec::new();
        p.write_custom(&mut b, SerdeFormat::RawBytes).unwrap();
        b
    }

    #[test]
    fn the_same_points_as_halo2_setup() {
        for (k, seed) in [(1, 5), (4, 1), (9, 0x7a6b_696e_6665_7231)] {
            let ours = params_of_seed(k, seed);
            let theirs = ParamsKZG::<Bn256>::setup(k, rand_chacha::ChaCha20Rng::seed_from_u64(seed));
            assert_eq!(ours.k(), k);
            assert!(bytes(&ours) == bytes(&theirs), "k = {k}, seed {seed}");
        }
        // the wide-window table (k ≥ 14) against plain scalar multiplication
        let table = FixedBase::new(G1::generator(), 16);
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
        for s in [Fr::ZERO, Fr::ONE, -Fr::ONE, Fr::random(&mut rng), Fr::random(&mut rng)] {
            assert_eq!(table.mul(&s).to_affine(), (G1::generator() * s).to_affine());
        }
    }

    #[test]
    fn a_secret_in_the_domain_is_refused() {
        assert!(lagrange_at(omega(3).pow_vartime([5]), 3).is_none());
        assert!(lagrange_at(Fr::from(12345), 3).is_some());
    }
}
