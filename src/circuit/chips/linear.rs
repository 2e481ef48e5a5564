//! Linear combinations (matrix products, sums, bias): one row per term.
//!
//! ```text
//! row r0      s_start  acc = bias        (w = bias)
//! row r0+i    s_mac    acc = acc[-1] + w·x   (x copied from the term's wire, w = weight)
//! ```
//! The result is `acc` on the last row.

use super::super::config::ZkConfig;
use super::super::plan::{Cell, PlanBuilder, Sel};
use crate::quantize::Wire;
use halo2_axiom::halo2curves::bn256::Fr;
use halo2_axiom::plonk::ConstraintSystem;
use halo2_axiom::poly::Rotation;

/// Registers the start and accumulate gates.
pub fn configure(meta: &mut ConstraintSystem<Fr>, c: &ZkConfig) {
    meta.create_gate("linear start", |m| {
        let s = m.query_selector(c.s_start);
        let acc = m.query_advice(c.acc, Rotation::cur());
        let w = m.query_fixed(c.w, Rotation::cur());
        vec![s * (acc - w)]
    });
    meta.create_gate("linear accumulate", |m| {
        let s = m.query_selector(c.s_mac);
        let acc = m.query_advice(c.acc, Rotation::cur());
        let prev = m.query_advice(c.acc, Rotation::prev());
        let w = m.query_fixed(c.w, Rotation::cur());
        let x = m.query_advice(c.x, Rotation::cur());
        vec![s * (acc - prev - w * x)]
    });
}

/// Lays out `out = bias + Σ w·x`; the result's home is `acc` on the last row.
pub fn layout(b: &mut PlanBuilder, out: Wire, terms: &[(Wire, i64)], bias: i128) {
    let mut sum = bias;
    b.push(Sel::Start, bias, 0, Cell::free(0), Cell::free(bias));
    for (wire, weight) in terms {
        let v = b.value(*wire);
        sum += v * *weight as i128;
        b.push(Sel::Mac, *weight as i128, 0, Cell::copy(*wire, v), Cell::free(sum));
    }
    b.set_home_acc(out);
}

#[cfg(test)]
mod tests {
    use crate::circuit::mock::tests::{mock_single, tamper_acc};

    #[test]
    fn linear_combination_is_constrained() {
        // out = 3 + 2·a - 5·b with a = 4, b = 1: satisfied as laid out
        let (program, witness) = crate::circuit::mock::tests::linear_program();
        mock_single(&program, &witness).expect("honest witness satisfies the gates");
        // a wrong running sum breaks "linear accumulate"
        let err = tamper_acc(&program, &witness, |row| row.sel == crate::circuit::plan::Sel::Mac).unwrap_err();
        assert!(err.contains("linear accumulate"), "{err}");
    }
}
