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
/// largest).
pub fn rows_needed(program: &Program, shape: CircuitShape) -> usize {
    // a batch: its members' rows one after the other, and the member count's row (a member's
    // layout does not read `batch`, so the program is laid out as it is)
    let n = program.batch.max(1);
    let extra = usize::from(n > 1);
    // the instance column needs a row per public value too (outputs copied straight from
    // inputs, e.g. a Pad or Tile, can outnumber the gate rows)
    (n * plan::count_rows(program, shape) + extra)
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
    let rows = rows_needed(program, shape);
    let total = rows + reserved_rows(shape);
    let mut k = 4;
    while (1usize << k) < total {
        k += 1;
    }
    Sizing { k, rows, shape }
}

/// Smallest circuit for the program: the narrow shape unless the wide one lowers `k`.
pub fn size(program: &Program) -> Sizing {
    let poseidon = program.visibility.hashes();
    let params = program.visibility.params_in_advice();
    let narrow = size_in(
        program,
        CircuitShape {
            wide: false,
            poseidon,
            params,
        },
    );
    let wide = size_in(
        program,
        CircuitShape {
            wide: true,
            poseidon,
            params,
        },
    );
    if wide.k < narrow.k {
        wide
    } else {
        narrow
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
