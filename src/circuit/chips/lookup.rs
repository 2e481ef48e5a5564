//! Rescaling, activations and range checks through one lookup argument.
//!
//! Every row looks up `(tag, tag·x, tag·acc)` in the table columns, which hold
//! `(t, t·f(v), t·v)` for each table `t` and input `v` in its calibrated range, plus the
//! all-zero row used by rows with tag 0.
//!
//! ```text
//! row b-1             acc = input (the end of a linear chain, or a copied cell)
//! row b   s_rescale   acc = q, x = f(q), tag = function table, w = 2^shift
//! row b+1             acc = x = remainder, tag = remainder table [0, 2^shift)
//! ```
//! with the gate `acc[-1] = w·acc + acc[+1]`: `input = 2^shift·q + rem`. The function table
//! bounds `q` and the remainder table bounds `rem`, so the division is exact and unique.

use super::super::config::ZkConfig;
use super::super::plan::{Cell, PlanBuilder, Sel};
use crate::quantize::{TableKind, Wire};
use halo2_axiom::halo2curves::bn256::Fr;
use halo2_axiom::plonk::ConstraintSystem;
use halo2_axiom::poly::Rotation;

/// Registers the rescale gate and the lookup argument.
pub fn configure(meta: &mut ConstraintSystem<Fr>, c: &ZkConfig) {
    meta.create_gate("rescale", |m| {
        let s = m.query_selector(c.s_rescale);
        let input = m.query_advice(c.acc, Rotation::prev());
        let q = m.query_advice(c.acc, Rotation::cur());
        let rem = m.query_advice(c.acc, Rotation::next());
        let w = m.query_fixed(c.w, Rotation::cur());
        vec![s * (input - w * q - rem)]
    });
    meta.lookup("table", |m| {
        let tag = m.query_fixed(c.tag, Rotation::cur());
        let x = m.query_advice(c.x, Rotation::cur());
        let acc = m.query_advice(c.acc, Rotation::cur());
        vec![(tag.clone(), c.table[0]), (tag.clone() * x, c.table[1]), (tag * acc, c.table[2])]
    });
}

/// Lays out a range check of a model input: `x = acc = v` looked up in an identity table.
/// The input's home is `x`.
pub fn layout_input(b: &mut PlanBuilder, wire: Wire, tag: u64) {
    let v = b.value(wire);
    b.push(Sel::None, 0, tag, Cell::free(v), Cell::free(v));
    b.set_home_x(wire);
}

/// Lays out `out = f(floor(input / 2^shift))`. With `fused`, the previous row's `acc` already
/// holds the input; otherwise a row copying it is added first. The output's home is `x`.
#[allow(clippy::too_many_arguments)]
pub fn layout(b: &mut PlanBuilder, out: Wire, input: Wire, shift: u32, kind: TableKind, tag: u64, rem_tag: u64, fused: bool) {
    let v = b.value(input);
    if !fused {
        b.push(Sel::None, 0, 0, Cell::free(0), Cell::copy(input, v));
    }
    let q = v.div_euclid(1i128 << shift);
    let rem = v - (q << shift);
    let f = i64::try_from(q).map(|q| kind.apply(q) as i128).unwrap_or(0);
    b.push(Sel::Rescale, 1i128 << shift, tag, Cell::free(f), Cell::free(q));
    b.set_home_x(out);
    b.push(Sel::None, 0, rem_tag, Cell::free(rem), Cell::free(rem));
}

#[cfg(test)]
mod tests {
    use crate::circuit::mock::tests::*;
    use crate::circuit::plan::Sel;

    #[test]
    fn honest_rescale_and_relu_pass() {
        let (program, witness) = relu_program(&[37, -90]);
        mock_single(&program, &witness).expect("satisfied");
    }

    #[test]
    fn a_wrong_quotient_is_rejected() {
        // q off by one with the remainder adjusted keeps the rescale gate but leaves the
        // remainder range; a bare change of q breaks the gate.
        let (program, witness) = relu_program(&[37, -90]);
        let err = tamper_acc(&program, &witness, |row| row.sel == Sel::Rescale).unwrap_err();
        assert!(err.contains("rescale") || err.contains("lookup"), "{err}");
    }

    #[test]
    fn a_wrong_activation_output_is_rejected() {
        let (program, witness) = relu_program(&[37, -90]);
        let err = tamper_x(&program, &witness, |row| row.sel == Sel::Rescale).unwrap_err();
        assert!(err.contains("lookup"), "{err}");
    }

    #[test]
    fn a_reciprocal_or_exp_table_admits_only_its_value() {
        use crate::model::graph::Activation;
        use crate::quantize::TableKind;
        // Div by a computed tensor is a reciprocal lookup times a product: the reciprocal is
        // fixed by the table (no free quotient), the product by its gate.
        for f in [Activation::Reciprocal, Activation::Exp, Activation::Log] {
            let kind = TableKind::Func {
                f,
                input_scale: 2,
                output_scale: 6,
            };
            let (program, witness) = table_program(&[37, -90, 5], kind);
            mock_single(&program, &witness).expect("honest witness");
            let err = tamper_x(&program, &witness, |row| row.sel == Sel::Rescale).unwrap_err();
            assert!(err.contains("lookup"), "{f:?}: {err}");
            let err = shift_quotient(&program, &witness).unwrap_err();
            assert!(err.contains("lookup"), "{f:?}: {err}");
        }
    }

    #[test]
    fn an_out_of_range_remainder_is_rejected() {
        // rem + 2^shift with q - 1 satisfies the rescale gate, so only the remainder table
        // can catch it.
        let (program, witness) = relu_program(&[37]);
        let err = shift_quotient(&program, &witness).unwrap_err();
        assert!(err.contains("lookup"), "{err}");
    }
}
