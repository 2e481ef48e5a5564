//! Element-wise product of two variables.
//!
//! ```text
//! row p      s_product  x = a, acc = b (both copied), w = constant
//! row p+1               acc = a·b + w
//! ```

use super::super::config::ZkConfig;
use super::super::plan::{Cell, PlanBuilder, Sel};
use crate::quantize::Wire;
use halo2_axiom::halo2curves::bn256::Fr;
use halo2_axiom::plonk::ConstraintSystem;
use halo2_axiom::poly::Rotation;

/// Registers the product gate.
pub fn configure(meta: &mut ConstraintSystem<Fr>, c: &ZkConfig) {
    meta.create_gate("product", |m| {
        let s = m.query_selector(c.s_product);
        let x = m.query_advice(c.x, Rotation::cur());
        let acc = m.query_advice(c.acc, Rotation::cur());
        let next = m.query_advice(c.acc, Rotation::next());
        let w = m.query_fixed(c.w, Rotation::cur());
        vec![s * (next - x * acc - w)]
    });
}

/// Lays out `out = a·b + bias`; the result's home is `acc` on the second row.
pub fn layout(b: &mut PlanBuilder, out: Wire, a: Wire, bb: Wire, bias: i64) {
    let (va, vb) = (b.value(a), b.value(bb));
    b.push(Sel::Product, bias as i128, 0, Cell::copy(a, va), Cell::copy(bb, vb));
    b.push(Sel::None, 0, 0, Cell::free(0), Cell::free(va * vb + bias as i128));
    b.set_home_acc(out);
}

#[cfg(test)]
mod tests {
    use crate::circuit::mock::tests::{mock_single, tamper_acc};

    #[test]
    fn product_is_constrained() {
        let (program, witness) = crate::circuit::mock::tests::product_program();
        mock_single(&program, &witness).expect("honest witness satisfies the gates");
        let err = tamper_acc(&program, &witness, |row| row.sel == crate::circuit::plan::Sel::Product).unwrap_err();
        assert!(err.contains("product"), "{err}");
    }
}
