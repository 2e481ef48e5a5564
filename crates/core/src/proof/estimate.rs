//! What setting up and proving a circuit will cost, before it starts: peak memory and time
//! from the circuit's size and column set, and whether this machine has the memory.
//!
//! halo2's keys and prover hold a fixed number of length-2^k polynomials per column (values,
//! coefficients, one extended-domain part at a time during the quotient, the quotient itself
//! over the extended domain, the SRS points), so peak memory is linear in 2^k with a slope set
//! by the column set. [`weight`] counts those polynomials from the constraint system; the
//! bytes per counted polynomial and the seconds per row were measured on this project's
//! circuits (2-core machine, release build; `bench/scale.json` records estimate next to
//! measurement for every model of the sweep).

use crate::circuit::{CircuitShape, ModelCircuit};
use halo2_axiom::halo2curves::bn256::Fr;
use halo2_axiom::plonk::{Circuit, ConstraintSystem};
use serde::Serialize;

/// Peak memory of `setup` per counted polynomial row, bytes (measured: 55.5–56.6 for the wide
/// shape at k 17 and 18, 50 with Poseidon columns; the larger figure is kept).
const SETUP_BYTES_PER_WEIGHT: f64 = 56.0;
/// Peak memory of `prove` per counted polynomial row, bytes (measured: 43–45 wide, 38 with
/// Poseidon columns).
const PROVE_BYTES_PER_WEIGHT: f64 = 45.0;
/// Memory that does not grow with the circuit (the binary, the runtime, small tables), MB.
const BASE_MB: f64 = 25.0;
/// Prover seconds per counted polynomial row and per doubling of the domain (FFTs and MSMs
/// cost n·log n), on one core (measured: 1.57–1.60e-7 at k 17 and 18, both shapes).
const PROVE_SECONDS_PER_WEIGHT: f64 = 1.6e-7;
/// Key generation seconds per counted polynomial row and per doubling, on one core (measured:
/// 6.6–7.5e-8; the SRS already made).
const SETUP_SECONDS_PER_WEIGHT: f64 = 7.5e-8;

/// The expected cost of a circuit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Estimate {
    /// Circuit size.
    pub k: u32,
    /// Length-2^k polynomials the keys and prover hold at their peak ([`weight`]).
    pub weight: f64,
    /// Expected peak resident memory of `setup`, MB (the SRS, the keys, key generation).
    pub setup_peak_mb: f64,
    /// Expected peak resident memory of `prove`, MB.
    pub prove_peak_mb: f64,
    /// Expected seconds of key generation (the SRS already made).
    pub setup_seconds: f64,
    /// Expected seconds of one proof.
    pub prove_seconds: f64,
    /// Threads the time estimates assume.
    pub threads: usize,
}

/// Counts the length-2^k polynomials halo2 holds per row at the prover's peak for a circuit of
/// this column set: per advice, fixed, instance and permutation column its values and
/// coefficients and an extended-domain part; per lookup its permuted columns and product; the
/// permutation's product chunks; the quotient over the extended domain; the SRS points (two
/// G1 points per row, four field elements' worth).
pub fn weight(shape: CircuitShape) -> f64 {
    let mut cs = ConstraintSystem::<Fr>::default();
    let _ = ModelCircuit::configure_with_params(&mut cs, shape);
    let degree = cs.degree().max(3);
    let extended = (degree - 1).next_power_of_two() as f64;
    let advice = cs.num_advice_columns() as f64;
    // selectors end up compressed into a few fixed columns; count them as one per four
    let fixed = cs.num_fixed_columns() as f64 + (cs.num_selectors() as f64 / 4.0).ceil();
    let instance = cs.num_instance_columns() as f64;
    let permutation = cs.permutation().get_columns().len() as f64;
    let chunk = (degree - 2).max(1) as f64;
    let products = (permutation / chunk).ceil();
    let lookups = cs.lookups().len() as f64;
    3.0 * (advice + fixed + instance + permutation) + 3.0 * 3.0 + 7.0 * lookups + 3.0 * products + extended + 4.0
}

/// The expected cost of a circuit of size `k` and this column set, with `threads` prover
/// threads.
pub fn estimate(k: u32, shape: CircuitShape, threads: usize) -> Estimate {
    let w = weight(shape);
    let n = (1u64 << k) as f64;
    let threads = threads.max(1);
    let mb = |bytes_per: f64| BASE_MB + w * n * bytes_per / 1e6;
    Estimate {
        k,
        weight: w,
        setup_peak_mb: mb(SETUP_BYTES_PER_WEIGHT),
        prove_peak_mb: mb(PROVE_BYTES_PER_WEIGHT),
        setup_seconds: SETUP_SECONDS_PER_WEIGHT * w * n * k as f64 / threads as f64,
        prove_seconds: PROVE_SECONDS_PER_WEIGHT * w * n * k as f64 / threads as f64,
        threads,
    }
}

/// The prover's threads: `RAYON_NUM_THREADS` when set, else the machine's cores.
pub fn prover_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&t: &usize| t > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
}

/// Memory this process can use, MB: the smallest of the system's available memory
/// (`MemAvailable`), the cgroup's limit less its usage, and `ZKINFER_MEMORY_LIMIT_MB` (a budget
/// the user sets, e.g. for several provers sharing a machine); `None` where none is known.
pub fn available_memory_mb() -> Option<f64> {
    let budget = std::env::var("ZKINFER_MEMORY_LIMIT_MB")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| *v > 0.0);
    let system = system_memory_mb();
    match (system, budget) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn system_memory_mb() -> Option<f64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok().and_then(|t| {
        t.lines()
            .find(|l| l.starts_with("MemAvailable:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
    });
    let read = |p: &str| std::fs::read_to_string(p).ok().and_then(|t| t.trim().parse::<f64>().ok());
    let cgroup = match (read("/sys/fs/cgroup/memory.max"), read("/sys/fs/cgroup/memory.current")) {
        (Some(max), Some(cur)) => Some((max - cur).max(0.0) / 1_048_576.0),
        _ => None,
    };
    match (meminfo, cgroup) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Which step a memory check is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Key generation.
    Setup,
    /// Proving.
    Prove,
}

impl Estimate {
    /// Expected peak memory of `step`, MB.
    pub fn peak_mb(&self, step: Step) -> f64 {
        match step {
            Step::Setup => self.setup_peak_mb,
            Step::Prove => self.prove_peak_mb,
        }
    }

    /// Expected seconds of `step`.
    pub fn seconds(&self, step: Step) -> f64 {
        match step {
            Step::Setup => self.setup_seconds,
            Step::Prove => self.prove_seconds,
        }
    }

    /// `Err` with the estimate when `step` is expected to need more memory than `available_mb`
    /// (with a 10% margin: the estimate is a model, not a measurement).
    pub fn fits(&self, step: Step, available_mb: Option<f64>) -> Result<(), String> {
        let need = self.peak_mb(step);
        match available_mb {
            Some(have) if need * 1.1 > have => Err(format!(
                "{} at k {} needs about {} of memory and this machine has {} available",
                match step {
                    Step::Setup => "setup",
                    Step::Prove => "proving",
                },
                self.k,
                mb_text(need),
                mb_text(have)
            )),
            _ => Ok(()),
        }
    }

    /// `Err` when either step is expected not to fit (see [`Estimate::fits`]).
    pub fn fits_both(&self, available_mb: Option<f64>) -> Result<(), String> {
        self.fits(Step::Setup, available_mb)?;
        self.fits(Step::Prove, available_mb)
    }
}

/// `1.2 GB` or `350 MB`.
pub fn mb_text(mb: f64) -> String {
    if mb >= 1000.0 {
        format!("{:.1} GB", mb / 1000.0)
    } else {
        format!("{mb:.0} MB")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_grows_with_rows_and_columns() {
        let narrow = CircuitShape::default();
        let wide = CircuitShape { wide: true, ..narrow };
        let hashed = CircuitShape { poseidon: true, ..wide };
        assert!(weight(narrow) < weight(wide) && weight(wide) < weight(hashed));
        let (a, b) = (estimate(16, wide, 2), estimate(17, wide, 2));
        let ratio = (b.prove_peak_mb - BASE_MB) / (a.prove_peak_mb - BASE_MB);
        assert!((ratio - 2.0).abs() < 1e-9, "{ratio}");
        assert!(b.prove_seconds > 2.0 * a.prove_seconds);
        assert!(estimate(17, wide, 1).prove_seconds > 1.9 * b.prove_seconds);
    }

    #[test]
    fn a_circuit_that_does_not_fit_says_what_it_needs() {
        let e = estimate(24, CircuitShape::default(), 2);
        let why = e.fits(Step::Prove, Some(1000.0)).unwrap_err();
        assert!(
            why.contains("proving at k 24 needs about") && why.contains("1.0 GB available"),
            "{why}"
        );
        assert!(e.fits(Step::Prove, None).is_ok());
        assert!(estimate(10, CircuitShape::default(), 2).fits_both(Some(1000.0)).is_ok());
    }
}
