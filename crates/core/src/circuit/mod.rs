//! The Halo2 circuit (halo2-axiom, KZG on BN254) that proves a fixed-point [`Program`].
//!
//! Columns: two advice columns `x` and `acc`, one fixed weight/constant column `w`, one fixed
//! lookup `tag` column, the three lookup table columns and one instance column; the chips in
//! [`chips`] define the gates. The layout ([`plan::Plan`]) turns a program into rows once, in
//! Rust, and synthesis only copies it into the assignment.

pub mod chips;
pub mod config;
pub mod mock;
pub mod plan;
pub mod poseidon;
pub mod synth;

pub use config::{CircuitShape, ZkConfig};
pub use mock::{mock_prove, MockReport};
pub use plan::Plan;
pub use synth::ModelCircuit;

use crate::quantize::Program;
use halo2_axiom::halo2curves::bn256::Fr;
use halo2_axiom::halo2curves::ff::PrimeField;
use halo2_axiom::plonk::{Circuit, ConstraintSystem};

/// Largest circuit size zkinfer builds.
pub const MAX_K: u32 = 26;

/// Errors of the circuit stage.
#[derive(Debug, thiserror::Error)]
pub enum CircuitError {
    /// The circuit needs more rows than the largest supported size.
    #[error("the circuit needs {rows} rows, more than 2^{max} allows")]
    TooLarge {
        /// Rows needed.
        rows: usize,
        /// Largest k.
        max: u32,
    },
    /// halo2 refused the assignment.
    #[error("circuit synthesis failed: {0}")]
    Synthesis(String),
    /// The mock prover found unsatisfied constraints.
    #[error("the circuit is not satisfied: {0}")]
    Unsatisfied(String),
}

/// Rows halo2 reserves at the end of the domain (blinding rows and the last-row marker).
pub fn reserved_rows(shape: CircuitShape) -> usize {
    let mut cs = ConstraintSystem::<Fr>::default();
    let _ = ModelCircuit::configure_with_params(&mut cs, shape);
    cs.minimum_rows()
}

/// Rows the program's layout uses in `shape` (gates, tables or public values, whichever is
/// largest), from its gate rows at one term per linear row (`narrow_rows`, [`plan::count_rows`]):
/// only linear steps change with the terms per row.
pub fn rows_needed(program: &Program, shape: CircuitShape, narrow_rows: usize) -> usize {
    let gate_rows =
        narrow_rows - plan::linear_rows_saved(program, shape.terms_per_row()) - plan::dot_rows_saved(program, shape.terms_per_row());
    // a batch: its members' rows one after the other, and the member count's row (a member's
    // layout does not read `batch`, so the program is laid out as it is)
    let n = program.batch.max(1);
    let extra = usize::from(n > 1);
    // the instance column needs a row per public value too (outputs copied straight from
    // inputs, e.g. a Pad or Tile, can outnumber the gate rows)
    (n * gate_rows + extra)
        .max(n * plan::count_hash_rows(program))
        .max(program.table_rows())
        .max(program.num_instances())
}

/// The size of a program in one shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sizing {
    /// Circuit size.
    pub k: u32,
    /// Rows used.
    pub rows: usize,
    /// Column layout.
    pub shape: CircuitShape,
}

/// Size of the program in a given shape.
pub fn size_in(program: &Program, shape: CircuitShape) -> Sizing {
    size_given(program, shape, plan::count_rows(program, shape.with_terms(1)))
}

fn size_given(program: &Program, shape: CircuitShape, narrow_rows: usize) -> Sizing {
    let rows = rows_needed(program, shape, narrow_rows);
    let total = rows + reserved_rows(shape);
    let mut k = 4;
    while (1usize << k) < total {
        k += 1;
    }
    Sizing { k, rows, shape }
}

/// What the sizer optimises when it picks a column layout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Optimize {
    /// Verification gas: the narrow shape unless two terms per row lower `k` (fewest columns,
    /// so fewest commitments for the verifier).
    Gas,
    /// Proving time: the shape (1, 2, 4, 8 or 16 terms per linear row) with the lowest expected
    /// prove time (see [`crate::proof::estimate`]).
    Prove,
    /// `gas` for circuits up to k 16, `prove` above (where proving time dominates).
    #[default]
    Auto,
}

impl std::fmt::Display for Optimize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Optimize::Gas => "gas",
            Optimize::Prove => "prove",
            Optimize::Auto => "auto",
        })
    }
}

/// Largest k at which `Optimize::Auto` keeps the gas layout.
pub const AUTO_GAS_MAX_K: u32 = 16;

/// Smallest circuit for the program with the default choice of layout ([`Optimize::Auto`]).
pub fn size(program: &Program) -> Sizing {
    size_for(program, Optimize::Auto)
}

/// The circuit for the program: its layout picked for `optimize` (see [`Optimize`]).
pub fn size_for(program: &Program, optimize: Optimize) -> Sizing {
    let base = CircuitShape {
        wide: false,
        terms: 0,
        poseidon: program.visibility.hashes(),
        params: program.visibility.params_in_advice(),
        dot: program.has_dot(),
    };
    let narrow_rows = plan::count_rows(program, CircuitShape { dot: false, ..base });
    let sized = |terms: usize| size_given(program, base.with_terms(terms), narrow_rows);
    let wide = sized(2);
    // dot steps need lanes: no narrow layout
    let narrow = if base.dot { wide } else { sized(1) };
    let gas = if wide.k < narrow.k { wide } else { narrow };
    // params in advice take one term per row whatever the shape: no wider layout helps
    let fastest = || {
        let terms: &[usize] = match (base.params, base.dot) {
            (true, false) => &[1, 2],
            (true, true) => &[2],
            (false, false) => &[1, 2, 4, 8, 16],
            (false, true) => &[2, 4, 8, 16],
        };
        let cost = |s: &Sizing| crate::proof::estimate::estimate(s.k, s.shape, 1).prove_seconds;
        terms
            .iter()
            .map(|&t| sized(t))
            .map(|s| (cost(&s), s))
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .expect("at least one layout")
            .1
    };
    match optimize {
        Optimize::Gas => gas,
        Optimize::Auto if gas.k <= AUTO_GAS_MAX_K => gas,
        Optimize::Prove | Optimize::Auto => fastest(),
    }
}

/// Converts a signed integer to a field element (negative values as `p - |v|`).
pub fn fe(v: i128) -> Fr {
    if v >= 0 {
        Fr::from_u128(v as u128)
    } else {
        -Fr::from_u128(v.unsigned_abs())
    }
}
