//! Dot products of two computed vectors (`Σ a·b`, the products of a matrix product of two
//! computed operands), several pairs per row in the wide shapes.
//!
//! ```text
//! row r0      s_start  acc = bias        (w = bias)
//! row r0+i    s_dot    acc = acc[-1] + w·x·y1 + w2₂·y2·y3 + … + w2ₜ₋₂·yₜ₋₂·yₜ₋₁
//! ```
//! With `t` advice multiplicand columns (`x` and the lanes `y1 … yₜ₋₁`) a row takes `t/2` pairs
//! `(x, y1), (y2, y3), …`; each pair's fixed enable (`w` for the first, the `w2` of its first
//! lane for the others) is 1 on the pairs a row uses and 0 on the rest, so free cells of an
//! unused pair cannot move the sum. Every used factor is a copy of its wire. The result is `acc`
//! on the last row. The gate exists only in shapes with `dot` (programs with dot steps).

use super::super::config::ZkConfig;
use super::super::plan::{Cell, PlanBuilder, Sel};
use crate::quantize::Wire;
use halo2_axiom::halo2curves::bn256::Fr;
use halo2_axiom::plonk::{ConstraintSystem, Selector};
use halo2_axiom::poly::Rotation;

/// Registers the dot gate on `s_dot`.
pub fn configure(meta: &mut ConstraintSystem<Fr>, c: &ZkConfig, s_dot: Selector) {
    meta.create_gate("dot", |m| {
        let s = m.query_selector(s_dot);
        let acc = m.query_advice(c.acc, Rotation::cur());
        let prev = m.query_advice(c.acc, Rotation::prev());
        let w = m.query_fixed(c.w, Rotation::cur());
        let x = m.query_advice(c.x, Rotation::cur());
        let mut sum = acc - prev;
        if let Some(&(y1, _)) = c.lanes.first() {
            sum = sum - w * x * m.query_advice(y1, Rotation::cur());
        }
        for pair in c.lanes[1..].chunks(2) {
            if let [(u, enable), (v, _)] = pair {
                let e = m.query_fixed(*enable, Rotation::cur());
                sum = sum - e * m.query_advice(*u, Rotation::cur()) * m.query_advice(*v, Rotation::cur());
            }
        }
        vec![s * sum]
    });
}

/// Pairs one row of `shape` takes (at least one: the narrow shape has no dot gate, and its
/// layout of a dot step only counts rows; synthesis refuses it).
pub fn pairs_per_row(terms_per_row: usize) -> usize {
    (terms_per_row / 2).max(1)
}

/// Lays out `out = bias + Σ a·b`; the result's home is `acc` on the last row.
pub fn layout(b: &mut PlanBuilder, out: Wire, pairs: &[(Wire, Wire)], bias: i128) {
    let mut sum = bias;
    b.push(Sel::Start, bias, 0, Cell::free(0), Cell::free(bias));
    let wide = b.shape().wide;
    for chunk in pairs.chunks(pairs_per_row(b.shape().terms_per_row())) {
        let (a0, b0) = chunk[0];
        let (va, vb) = (b.value(a0), b.value(b0));
        sum += va * vb;
        let mut lanes = vec![(Cell::copy(b0, vb), 0)];
        for &(a, c) in &chunk[1..] {
            let (v1, v2) = (b.value(a), b.value(c));
            sum += v1 * v2;
            lanes.push((Cell::copy(a, v1), 1));
            lanes.push((Cell::copy(c, v2), 0));
        }
        b.push(Sel::Dot, 1, 0, Cell::copy(a0, va), Cell::free(sum));
        if wide {
            b.set_lanes(&lanes);
        }
    }
    b.set_home_acc(out);
}

#[cfg(test)]
mod tests {
    use crate::circuit::mock::tests::{dot_program, mock_shape};
    use crate::circuit::plan::{Sel, NO_LANES};
    use crate::circuit::CircuitShape;

    fn shape(terms: usize) -> CircuitShape {
        CircuitShape {
            dot: true,
            ..CircuitShape::default().with_terms(terms)
        }
    }

    #[test]
    fn the_sum_of_products_is_constrained_in_every_wide_shape() {
        let (p, w) = dot_program();
        // 3·8 − 4·9 − 5·10... evaluated by the quantizer: 2 + 24 − 36 − 50 + 66 − 84
        assert_eq!(w.values[10], 2 + 3 * 8 - 4 * 9 - 5 * 10 + 6 * 11 - 7 * 12);
        for terms in [2, 4, 8, 16] {
            mock_shape(&p, &w, shape(terms), |_| {}).unwrap_or_else(|e| panic!("terms {terms}: {e}"));
            // a changed running sum breaks the gate
            let err = mock_shape(&p, &w, shape(terms), |plan| {
                let r = plan.rows.iter().position(|r| r.sel == Sel::Dot).unwrap();
                plan.rows[r].acc.value += 1;
            })
            .unwrap_err();
            assert!(err.contains("dot"), "terms {terms}: {err}");
            // a factor that is not its wire's value breaks the copy
            let err = mock_shape(&p, &w, shape(terms), |plan| {
                let r = plan.rows.iter().position(|r| r.sel == Sel::Dot).unwrap();
                plan.rows[r].x.value += 1;
            })
            .unwrap_err();
            assert!(!err.is_empty());
        }
    }

    #[test]
    fn free_cells_of_an_unused_pair_cannot_move_the_sum() {
        let (p, w) = dot_program();
        // 16 terms: 8 pairs per row, 5 used; the sixth pair's cells are lanes 9 and 10
        let last_dot = |plan: &crate::circuit::plan::Plan| plan.rows.iter().rposition(|r| r.sel == Sel::Dot).unwrap();
        let set_unused = |plan: &mut crate::circuit::plan::Plan, shift_acc: i128| {
            let r = last_dot(plan);
            let start = plan.rows[r].lanes as usize;
            assert_ne!(plan.rows[r].lanes, NO_LANES);
            plan.lanes[start + 9].0.value = 1;
            plan.lanes[start + 10].0.value = 5;
            assert_eq!(plan.lanes[start + 9].1, 0, "an unused pair's enable is 0");
            plan.rows[r].acc.value += shift_acc;
        };
        // values in unused cells are ignored ...
        mock_shape(&p, &w, shape(16), |plan| set_unused(plan, 0)).expect("unused pairs do not count");
        // ... so they cannot pay for a changed sum
        let err = mock_shape(&p, &w, shape(16), |plan| set_unused(plan, 5)).unwrap_err();
        assert!(err.contains("dot"), "{err}");
    }

    #[test]
    fn a_dot_program_does_not_synthesize_without_the_gate_or_its_lanes() {
        let (p, w) = dot_program();
        for shape in [CircuitShape::default(), CircuitShape::default().with_terms(4)] {
            let err = mock_shape(&p, &w, shape, |_| {}).unwrap_err();
            assert!(err.contains("synthesis"), "{shape:?}: {err}");
        }
        assert!(CircuitShape {
            dot: true,
            ..CircuitShape::default()
        }
        .check()
        .unwrap_err()
        .contains("narrow"));
    }

    #[test]
    fn the_gate_stays_within_the_circuits_degree() {
        use halo2_axiom::halo2curves::bn256::Fr;
        use halo2_axiom::plonk::ConstraintSystem;
        let degree = |shape| {
            let mut cs = ConstraintSystem::<Fr>::default();
            crate::circuit::ZkConfig::configure(&mut cs, shape);
            cs.degree()
        };
        for terms in [2, 16] {
            assert_eq!(degree(shape(terms)), degree(CircuitShape::default().with_terms(terms)));
        }
    }
}
