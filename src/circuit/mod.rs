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
pub mod synth;

pub use config::ZkConfig;
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
pub fn reserved_rows() -> usize {
    let mut cs = ConstraintSystem::<Fr>::default();
    let _ = ModelCircuit::configure(&mut cs);
    cs.minimum_rows()
}

/// Rows the program's layout uses (gates or tables, whichever is larger).
pub fn rows_needed(program: &Program) -> usize {
    plan::count_rows(program).max(program.table_rows())
}

/// Smallest `k` that fits the program, and the rows it uses.
pub fn size(program: &Program) -> (u32, usize) {
    let rows = rows_needed(program);
    let total = rows + reserved_rows();
    let mut k = 4;
    while (1usize << k) < total {
        k += 1;
    }
    (k, rows)
}

/// Converts a signed integer to a field element (negative values as `p - |v|`).
pub fn fe(v: i128) -> Fr {
    if v >= 0 {
        Fr::from_u128(v as u128)
    } else {
        -Fr::from_u128(v.unsigned_abs())
    }
}
