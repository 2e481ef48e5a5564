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
        let mut sum = acc - prev - w * x;
        if let (Some(y), Some(w2)) = (c.y, c.w2) {
            sum = sum - m.query_fixed(w2, Rotation::cur()) * m.query_advice(y, Rotation::cur());
        }
        vec![s * sum]
    });
}

/// Lays out `out = bias + Σ w·x`; the result's home is `acc` on the last row. In the wide
/// shape each row takes two terms (`w·x + w2·y`).
pub fn layout(b: &mut PlanBuilder, out: Wire, terms: &[(Wire, i64)], bias: i128) {
    let mut sum = bias;
    b.push(Sel::Start, bias, 0, Cell::free(0), Cell::free(bias));
    let per_row = if b.shape().wide { 2 } else { 1 };
    for chunk in terms.chunks(per_row) {
        let (wire, weight) = chunk[0];
        let v = b.value(wire);
        sum += v * weight as i128;
        let second = chunk.get(1).map(|(w2, c2)| {
            let v2 = b.value(*w2);
            sum += v2 * *c2 as i128;
            (Cell::copy(*w2, v2), *c2 as i128)
        });
        b.push(Sel::Mac, weight as i128, 0, Cell::copy(wire, v), Cell::free(sum));
        if let Some((cell, c2)) = second {
            b.set_second(cell, c2);
        }
    }
    b.set_home_acc(out);
}

#[cfg(test)]
mod tests {
    use crate::circuit::mock::tests::{mock_single, tamper_acc};

    #[test]
    fn wide_rows_take_two_terms_and_are_constrained() {
        let (program, witness) = crate::circuit::mock::tests::linear_program();
        let wide = crate::circuit::CircuitShape {
            wide: true,
            ..Default::default()
        };
        crate::circuit::mock::tests::mock_shape(&program, &witness, wide, |_| {}).expect("satisfied");
        let err = crate::circuit::mock::tests::mock_shape(&program, &witness, wide, |p| {
            let r = p.rows.iter().position(|row| row.sel == crate::circuit::plan::Sel::Mac).unwrap();
            p.rows[r].y.value += 1;
        })
        .unwrap_err();
        assert!(err.contains("linear accumulate") || err.contains("copy constraint"), "{err}");
    }

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
