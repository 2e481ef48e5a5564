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
//!
//! A remainder checked in chunks (`quantize::remainder`) peels its chunks off from the top with
//! the same gate, so every intermediate value is fixed by the next split:
//!
//! ```text
//! row b+1             acc = R_0 = rem (no lookup)
//! row b+2 s_rescale   acc = x = r_1, tag = chunk table, w = 2^(bits below r_1)
//! row b+3             acc = R_1 = what is left (no lookup), split again like R_0 …
//! row b+2n-1          acc = x = r_n, tag = the lowest chunk's table (for n = 2: row b+3)
//! ```

use super::super::config::ZkConfig;
use super::super::plan::{Cell, PlanBuilder, Sel};
use crate::quantize::remainder::split_value;
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

/// Lays out the two-part range check of a wide input `v = 2^bits·q + r`: a row holding `v` in
/// `acc` (its home), the rescale row with `q` looked up in the input table, and `r`'s rows,
/// chunk by chunk from the top down as in [`layout`]; the rescale gates tie them together.
pub fn layout_split_input(b: &mut PlanBuilder, wire: Wire, bits: u32, tag: u64, rem: &[(u64, u32)]) {
    assert_eq!(rem.iter().map(|r| r.1).sum::<u32>(), bits, "remainder chunks must cover the split");
    let v = b.value(wire);
    b.push(Sel::None, 0, 0, Cell::free(0), Cell::free(v));
    b.set_home_acc(wire);
    let q = v.div_euclid(1i128 << bits);
    b.push(Sel::Rescale, 1i128 << bits, tag, Cell::free(q), Cell::free(q));
    remainder_rows(b, v - (q << bits), rem);
}

/// The rows checking a remainder `rest` in the chunks `rem` (`(table tag, bits)`, top down):
/// each higher chunk splits what is left with the rescale gate, the lowest is looked up.
fn remainder_rows(b: &mut PlanBuilder, mut rest: i128, rem: &[(u64, u32)]) {
    let bits: Vec<u32> = rem.iter().map(|r| r.1).collect();
    let parts = split_value(rest, &bits);
    let mut below: u32 = bits.iter().sum();
    for (i, (&(rem_tag, b_i), &part)) in rem.iter().zip(&parts).enumerate() {
        below -= b_i;
        if i + 1 < rem.len() {
            // R = 2^below·part + (what is left below), stated by the gate on the part's row
            b.push(Sel::None, 0, 0, Cell::free(0), Cell::free(rest));
            b.push(Sel::Rescale, 1i128 << below, rem_tag, Cell::free(part), Cell::free(part));
            rest -= part << below;
        } else {
            b.push(Sel::None, 0, rem_tag, Cell::free(part), Cell::free(part));
        }
    }
}

/// Lays out `out = f(floor(input / 2^shift))`. With `fused`, the previous row's `acc` already
/// holds the input; otherwise a row copying it is added first. The output's home is `x`.
/// `rem` lists the remainder's chunks from the top down as `(table tag, bits)`; one chunk of
/// `shift` bits checks it whole.
#[allow(clippy::too_many_arguments)]
pub fn layout(b: &mut PlanBuilder, out: Wire, input: Wire, shift: u32, kind: TableKind, tag: u64, rem: &[(u64, u32)], fused: bool) {
    // without chunks that cover the shift exactly, the rescale gate would read a remainder
    // no table bounds
    assert_eq!(rem.iter().map(|r| r.1).sum::<u32>(), shift, "remainder chunks must cover the shift");
    assert!(!rem.is_empty(), "a rescale needs a remainder row");
    let v = b.value(input);
    if !fused {
        b.push(Sel::None, 0, 0, Cell::free(0), Cell::copy(input, v));
    }
    let q = v.div_euclid(1i128 << shift);
    let f = i64::try_from(q).map(|q| kind.apply(q) as i128).unwrap_or(0);
    b.push(Sel::Rescale, 1i128 << shift, tag, Cell::free(f), Cell::free(q));
    b.set_home_x(out);
    remainder_rows(b, v - (q << shift), rem);
}

#[cfg(test)]
mod tests {
    use crate::circuit::mock::tests::*;
    use crate::circuit::plan::Sel;

    #[test]
    fn split_inputs_are_bound_to_their_parts() {
        use crate::circuit::mock::tests::split_input_program;
        let (program, witness) = split_input_program(&[17, -20, 31, -32]);
        mock_single(&program, &witness).expect("satisfied");
        // another input value under the same parts breaks the rescale gate
        let home = |row: &crate::circuit::plan::Row| row.sel == Sel::None && row.tag == 0 && row.acc.value == 17;
        let err = tamper_acc(&program, &witness, home).unwrap_err();
        assert!(err.contains("rescale"), "{err}");
        // a high part moved into the low part leaves the remainder table
        let err = shift_quotient(&program, &witness).unwrap_err();
        assert!(err.contains("lookup"), "{err}");
        // a value beyond the parts' range is refused when the witness is made
        let p = split_input_program(&[1]).0;
        let e = crate::quantize::eval::evaluate(&p, &[vec![32]], true).unwrap_err();
        assert!(e.to_string().contains("in"), "{e}");
    }

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
        use crate::quantize::Activation;
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
    fn a_remainder_checked_in_chunks_admits_only_the_true_division() {
        use crate::circuit::plan::Plan;
        use crate::quantize::remainder::split_remainders;
        use crate::quantize::TableKind;
        // 10·37 + 4 = 374 = 8·46 + 6, the remainder 6 checked as 2 bits (3) over 1 bit (0)
        let (mut program, witness) = relu_program(&[37]);
        split_remainders(&mut program, 2);
        let kinds: Vec<TableKind> = program.tables.iter().map(|t| t.kind).collect();
        assert!(kinds.contains(&TableKind::Remainder { bits: 2 }) && kinds.contains(&TableKind::Remainder { bits: 1 }));
        assert!(!kinds.contains(&TableKind::Remainder { bits: 3 }), "{kinds:?}");
        mock_single(&program, &witness).expect("honest witness");
        // rows: q, R = rem, r_hi (its own split), r_lo
        let edit = |f: &dyn Fn(&mut Plan, usize)| {
            mock_shape(&program, &witness, Default::default(), |plan| {
                let r = plan.rows.iter().position(|row| row.sel == Sel::Rescale).expect("a rescale");
                assert_eq!(
                    [
                        plan.rows[r].acc.value,
                        plan.rows[r + 1].acc.value,
                        plan.rows[r + 2].acc.value,
                        plan.rows[r + 3].acc.value
                    ],
                    [46, 6, 3, 0]
                );
                f(plan, r)
            })
        };
        // q − 1 with the remainder 14 = 2·7 + 0: r_hi leaves its 2-bit table
        let err = edit(&|p, r| {
            p.rows[r].acc.value -= 1;
            p.rows[r].x.value -= 1;
            p.rows[r + 1].acc.value += 8;
            p.rows[r + 2].acc.value += 4;
            p.rows[r + 2].x.value += 4;
        })
        .unwrap_err();
        assert!(err.contains("lookup"), "{err}");
        // one unit moved from r_hi into r_lo (6 = 2·2 + 2): r_lo leaves its 1-bit table
        let err = edit(&|p, r| {
            p.rows[r + 2].acc.value -= 1;
            p.rows[r + 2].x.value -= 1;
            p.rows[r + 3].acc.value += 2;
            p.rows[r + 3].x.value += 2;
        })
        .unwrap_err();
        assert!(err.contains("lookup"), "{err}");
        // the intermediate R is not free: another value breaks a rescale gate
        let err = edit(&|p, r| p.rows[r + 1].acc.value += 1).unwrap_err();
        assert!(err.contains("rescale"), "{err}");
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
