//! Poseidon over BN254's scalar field, natively: the hash that `hashed` visibility publishes
//! (issue 6) and that `zkinfer hash` prints. The in-circuit gate must compute exactly this.
//!
//! Parameters: width 3 (rate 2, capacity 1), x⁵ S-box, 8 full and 57 partial rounds, round
//! constants and MDS matrix from the reference Grain LFSR generation (the first secure MDS) —
//! the set circomlib and the PSE/Axiom stacks use. Sponge (variable length, Section 4.2 of the
//! Poseidon paper): the state starts as `[capacity(part), 0, 0]`; each chunk of up to two
//! values is added to `state[1..]`, a short last chunk is followed by a padding 1, and the state
//! is permuted; when the length is a multiple of two (zero included) one more permutation
//! absorbs the padding 1 alone. The digest is `state[1]`.
//!
//! Domain separation: each hashed part starts from its own capacity value,
//! `2^64 + tag·2^128` with tag 1 for the inputs, 2 for the outputs and 3 for the parameters
//! ([`capacity`]), so a digest of one part never stands in for another part's digest of the
//! same values. `2^64` is the paper's variable-length, one-output domain (what snark-verifier's
//! sponge uses); the tag sits above every domain value the paper defines (`ℓ·2^64 + o − 1` with
//! `ℓ, o < 2^64`), so no zkinfer digest is the plain Poseidon hash of the same values either.

use crate::quantize::Part;
use halo2_axiom::halo2curves::bn256::Fr;
use halo2_axiom::halo2curves::ff::{Field, PrimeField};
use poseidon_primitives::poseidon::primitives::Spec;
use std::sync::OnceLock;

/// State width.
pub const WIDTH: usize = 3;
/// Values absorbed per permutation.
pub const RATE: usize = 2;
/// Full rounds (half before, half after the partial rounds).
pub const FULL_ROUNDS: usize = 8;
/// Partial rounds (S-box on the first state element only).
pub const PARTIAL_ROUNDS: usize = 57;

/// The parameter set, for the reference constant generation.
#[derive(Debug)]
struct Bn254Width3;

impl Spec<Fr, WIDTH, RATE> for Bn254Width3 {
    fn full_rounds() -> usize {
        FULL_ROUNDS
    }
    fn partial_rounds() -> usize {
        PARTIAL_ROUNDS
    }
    fn sbox(val: Fr) -> Fr {
        val.pow_vartime([5])
    }
    fn secure_mds() -> usize {
        0
    }
}

/// Round constants (one row per round) and the MDS matrix.
pub struct Constants {
    /// `FULL_ROUNDS + PARTIAL_ROUNDS` rows of `WIDTH` constants, in round order.
    pub rounds: Vec<[Fr; WIDTH]>,
    /// The MDS matrix.
    pub mds: [[Fr; WIDTH]; WIDTH],
}

/// The constants (generated once).
pub fn constants() -> &'static Constants {
    static C: OnceLock<Constants> = OnceLock::new();
    C.get_or_init(|| {
        let (rounds, mds, _) = Bn254Width3::constants();
        Constants { rounds, mds }
    })
}

/// Whether round `r` is a full round.
pub fn is_full_round(r: usize) -> bool {
    !(FULL_ROUNDS / 2..FULL_ROUNDS / 2 + PARTIAL_ROUNDS).contains(&r)
}

/// One round: add the constants, S-box (every element in a full round, the first in a partial
/// one), multiply by the MDS matrix.
pub fn round(state: &mut [Fr; WIDTH], r: usize) {
    let c = constants();
    for (s, k) in state.iter_mut().zip(&c.rounds[r]) {
        *s += k;
    }
    let n = if is_full_round(r) { WIDTH } else { 1 };
    for s in state.iter_mut().take(n) {
        *s = s.square().square() * *s;
    }
    let mut next = [Fr::ZERO; WIDTH];
    for (out, row) in next.iter_mut().zip(&c.mds) {
        *out = row.iter().zip(state.iter()).map(|(m, s)| *m * s).sum();
    }
    *state = next;
}

/// The Poseidon permutation.
pub fn permute(state: &mut [Fr; WIDTH]) {
    for r in 0..FULL_ROUNDS + PARTIAL_ROUNDS {
        round(state, r);
    }
}

/// The domain tag of a hashed part: 1 for the inputs, 2 for the outputs, 3 for the parameters.
pub fn domain_tag(part: Part) -> u64 {
    match part {
        Part::Input => 1,
        Part::Output => 2,
        Part::Params => 3,
    }
}

/// The initial capacity element of `part`'s hash: `2^64 + tag·2^128` ([`domain_tag`]; see the
/// module documentation).
pub fn capacity(part: Part) -> Fr {
    let two_64 = Fr::from_u128(1 << 64);
    two_64 + Fr::from(domain_tag(part)) * two_64.square()
}

/// The initial sponge state of `part`'s hash: `[capacity(part), 0, 0]`.
pub fn initial_state(part: Part) -> [Fr; WIDTH] {
    [capacity(part), Fr::ZERO, Fr::ZERO]
}

/// The hash of `part`'s `values`: the sponge started from [`initial_state`]`(part)` (see the
/// module documentation).
pub fn hash(part: Part, values: &[Fr]) -> Fr {
    sponge(initial_state(part), values)
}

/// The variable-length sponge over `values` from the initial state `state`.
fn sponge(mut state: [Fr; WIDTH], values: &[Fr]) -> Fr {
    for chunk in values.chunks(RATE) {
        for (s, v) in state[1..].iter_mut().zip(chunk) {
            *s += v;
        }
        if chunk.len() < RATE {
            state[1 + chunk.len()] += Fr::ONE;
        }
        permute(&mut state);
    }
    if values.len().is_multiple_of(RATE) {
        state[1] += Fr::ONE;
        permute(&mut state);
    }
    state[1]
}

/// Permutations [`hash`] runs for `n` values.
pub fn permutations(n: usize) -> usize {
    n / RATE + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fr(s: &str) -> Fr {
        Fr::from_str_vartime(s).expect("decimal")
    }

    /// The reference test vector of the width-3 BN254 parameters (hadeshash): the permutation
    /// of `[0, 1, 2]`.
    #[test]
    fn permutation_matches_the_reference_vector() {
        let mut s = [Fr::ZERO, Fr::ONE, fr("2")];
        permute(&mut s);
        assert_eq!(
            s[0],
            fr("7853200120776062878684798364095072458815029376092732009249414926327459813530")
        );
        assert_eq!(
            s[1],
            fr("7142104613055408817911962100316808866448378443474503659992478482890339429929")
        );
        assert_eq!(
            s[2],
            fr("6549537674122432311777789598043107870002137484850126429160507761192163713804")
        );
    }

    /// The sponge agrees with snark-verifier's native Poseidon (the one its transcripts use)
    /// for every length from 0 to 7, seeded values.
    #[test]
    fn sponge_matches_snark_verifier() {
        use snark_verifier::loader::native::NativeLoader;
        use snark_verifier::util::hash::Poseidon;
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            Fr::from(x)
        };
        for n in 0..8 {
            let values: Vec<Fr> = (0..n).map(|_| next()).collect();
            let mut reference = Poseidon::<Fr, Fr, WIDTH, RATE>::new::<FULL_ROUNDS, PARTIAL_ROUNDS, 0>(&NativeLoader);
            reference.update(&values);
            let plain = [Fr::from_u128(1 << 64), Fr::ZERO, Fr::ZERO];
            assert_eq!(sponge(plain, &values), reference.squeeze(), "{n} values");
        }
    }

    /// The same values hashed as inputs, outputs and parameters give three different digests,
    /// none of them the plain (capacity `2^64`) sponge's.
    #[test]
    fn each_part_hashes_in_its_own_domain() {
        let values: Vec<Fr> = (1..=5u64).map(Fr::from).collect();
        let plain = sponge([Fr::from_u128(1 << 64), Fr::ZERO, Fr::ZERO], &values);
        let digests: Vec<Fr> = [Part::Input, Part::Output, Part::Params]
            .into_iter()
            .map(|part| hash(part, &values))
            .collect();
        for (i, a) in digests.iter().enumerate() {
            assert_ne!(*a, plain);
            for b in &digests[i + 1..] {
                assert_ne!(a, b);
            }
        }
        // the documented constants: 2^64 + tag·2^128
        let two_128 = fr("340282366920938463463374607431768211456");
        let two_64 = fr("18446744073709551616");
        assert_eq!(capacity(Part::Input), two_64 + two_128);
        assert_eq!(capacity(Part::Output), two_64 + two_128 * Fr::from(2));
        assert_eq!(capacity(Part::Params), two_64 + two_128 * Fr::from(3));
        assert_eq!(digests[0], sponge(initial_state(Part::Input), &values));
    }

    #[test]
    fn one_changed_value_changes_the_hash() {
        let a: Vec<Fr> = (1..=10u64).map(Fr::from).collect();
        let mut b = a.clone();
        b[7] += Fr::ONE;
        assert_ne!(hash(Part::Input, &a), hash(Part::Input, &b));
        assert_eq!(permutations(10), 6);
        assert_eq!(permutations(0), 1);
    }
}
