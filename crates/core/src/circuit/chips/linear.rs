//! Linear combinations (matrix products, sums, bias): one row per term.
//!
//! ```text
//! row r0      s_start  acc = bias        (w = bias)
//! row r0+i    s_mac    acc = acc[-1] + w·x   (x copied from the term's wire, w = weight)
//! ```
//! The result is `acc` on the last row.
//!
//! With hashed params, a step whose weights or constant are model parameters uses the param
//! gates instead: the parameter sits in advice column `p` (copied into the params hash), the
//! fixed `w` holds only the structural part of the constant (a rounding offset), and each row
//! takes one term:
//!
//! ```text
//! row r0      s_start_param  acc = w + p              (p = the constant's parameter)
//! row r0+i    s_mac_param    acc = acc[-1] + p·x      (p = the weight; or s_mac, w·x, when
//!                                                      only the constant is a parameter)
//! ```
//! `p` enters only rows whose param gate is on, and every such cell is hashed, so a prover
//! cannot change the computation without changing the params hash.

use super::super::config::ZkConfig;
use super::super::plan::{Cell, PlanBuilder, Sel};
use crate::quantize::{ParamUse, Wire};
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
        for &(y, w2) in &c.lanes {
            sum = sum - m.query_fixed(w2, Rotation::cur()) * m.query_advice(y, Rotation::cur());
        }
        vec![s * sum]
    });
    if let (Some(p), Some(s_start), Some(s_mac)) = (c.p, c.s_start_param, c.s_mac_param) {
        meta.create_gate("linear start (param)", |m| {
            let s = m.query_selector(s_start);
            let acc = m.query_advice(c.acc, Rotation::cur());
            let w = m.query_fixed(c.w, Rotation::cur());
            let p = m.query_advice(p, Rotation::cur());
            vec![s * (acc - w - p)]
        });
        meta.create_gate("linear accumulate (param)", |m| {
            let s = m.query_selector(s_mac);
            let acc = m.query_advice(c.acc, Rotation::cur());
            let prev = m.query_advice(c.acc, Rotation::prev());
            let p = m.query_advice(p, Rotation::cur());
            let x = m.query_advice(c.x, Rotation::cur());
            vec![s * (acc - prev - p * x)]
        });
    }
}

/// Lays out `out = bias + Σ w·x`; the result's home is `acc` on the last row. In the wide
/// shape each row takes two terms (`w·x + w2·y`). With `params`, the parameters go to `p`
/// cells (see the module docs).
pub fn layout(b: &mut PlanBuilder, out: Wire, terms: &[(Wire, i64)], bias: i128, params: Option<ParamUse>) {
    if let Some(u) = params {
        return layout_params(b, out, terms, bias, u);
    }
    let mut sum = bias;
    b.push(Sel::Start, bias, 0, Cell::free(0), Cell::free(bias));
    let per_row = b.shape().terms_per_row();
    for chunk in terms.chunks(per_row) {
        let (wire, weight) = chunk[0];
        let v = b.value(wire);
        sum += v * weight as i128;
        let lanes: Vec<(Cell, i128)> = chunk[1..]
            .iter()
            .map(|&(w2, c2)| {
                let v2 = b.value(w2);
                sum += v2 * c2 as i128;
                (Cell::copy(w2, v2), c2 as i128)
            })
            .collect();
        b.push(Sel::Mac, weight as i128, 0, Cell::copy(wire, v), Cell::free(sum));
        if !lanes.is_empty() {
            b.set_lanes(&lanes);
        }
    }
    b.set_home_acc(out);
}

/// The param-gate layout of a step with model parameters, one term per row.
fn layout_params(b: &mut PlanBuilder, out: Wire, terms: &[(Wire, i64)], bias: i128, u: ParamUse) {
    let mut sum = bias;
    b.push(Sel::StartParam, u.offset, 0, Cell::free(0), Cell::free(bias));
    b.set_param(bias - u.offset);
    for &(wire, weight) in terms {
        let v = b.value(wire);
        sum += v * weight as i128;
        if u.weights {
            b.push(Sel::MacParam, 0, 0, Cell::copy(wire, v), Cell::free(sum));
            b.set_param(weight as i128);
        } else {
            b.push(Sel::Mac, weight as i128, 0, Cell::copy(wire, v), Cell::free(sum));
        }
    }
    b.set_home_acc(out);
}

#[cfg(test)]
mod tests {
    use crate::circuit::mock::tests::{mock_single, tamper_acc};

    #[test]
    fn wide_rows_take_several_terms_and_every_lane_is_constrained() {
        let (program, witness) = crate::circuit::mock::tests::linear_program();
        for terms in [2, 4, 8, 16] {
            let wide = crate::circuit::CircuitShape::default().with_terms(terms);
            assert_eq!(wide.terms_per_row(), terms);
            crate::circuit::mock::tests::mock_shape(&program, &witness, wide, |_| {}).expect("satisfied");
            // the second term sits in the first lane: changing its value breaks the gate or the
            // copy from its wire
            let err = crate::circuit::mock::tests::mock_shape(&program, &witness, wide, |p| {
                let r = p.rows.iter().position(|row| row.sel == crate::circuit::plan::Sel::Mac).unwrap();
                let lane = p.rows[r].lanes as usize;
                p.lanes[lane].0.value += 1;
            })
            .unwrap_err();
            assert!(
                err.contains("linear accumulate") || err.contains("copy constraint"),
                "{terms}: {err}"
            );
            // an unused lane (weight 0) may hold anything without changing the sum; a weight
            // moved onto it breaks the gate
            if terms > 2 {
                crate::circuit::mock::tests::mock_shape(&program, &witness, wide, |p| {
                    let r = p.rows.iter().position(|row| row.sel == crate::circuit::plan::Sel::Mac).unwrap();
                    let lane = p.rows[r].lanes as usize;
                    p.lanes[lane + 1].0.value += 7;
                })
                .expect("a free cell times weight 0");
                let err = crate::circuit::mock::tests::mock_shape(&program, &witness, wide, |p| {
                    let r = p.rows.iter().position(|row| row.sel == crate::circuit::plan::Sel::Mac).unwrap();
                    let lane = p.rows[r].lanes as usize;
                    p.lanes[lane + 1] = (crate::circuit::plan::Cell::free(1), 3);
                })
                .unwrap_err();
                assert!(err.contains("linear accumulate"), "{terms}: {err}");
            }
        }
    }

    #[test]
    fn lanes_of_a_batch_member_are_constrained_after_renumbering() {
        let (mut program, witness) = crate::circuit::mock::tests::linear_program();
        program.batch = 3;
        let shape = crate::circuit::CircuitShape::default().with_terms(8);
        crate::circuit::mock::tests::mock_shape(&program, &witness, shape, |_| {}).expect("satisfied");
        // the third member's lane cell: its copy points past the first two members' wires
        let err = crate::circuit::mock::tests::mock_shape(&program, &witness, shape, |p| {
            let r = p
                .rows
                .iter()
                .enumerate()
                .filter(|(_, row)| row.sel == crate::circuit::plan::Sel::Mac)
                .nth(2)
                .unwrap()
                .0;
            let lane = p.rows[r].lanes as usize;
            assert!(p.lanes[lane].0.copy_of.is_some() && lane >= 2 * 7, "a renumbered lane");
            p.lanes[lane].0.value += 1;
        })
        .unwrap_err();
        assert!(err.contains("linear accumulate") || err.contains("copy constraint"), "{err}");
    }

    #[test]
    fn the_rows_of_every_shape_follow_from_one_layout() {
        use crate::circuit::plan::{count_rows, linear_rows_saved};
        let mut programs = vec![crate::circuit::mock::tests::linear_program().0, hashed_params().0];
        // a longer sum: 11 terms
        let (mut long, _) = crate::circuit::mock::tests::linear_program();
        if let crate::quantize::StepKind::Linear { terms, .. } = &mut long.steps[0].kind {
            let t = terms.clone();
            for i in 0..9 {
                terms.push(t[i % 2]);
            }
        }
        programs.push(long);
        for p in &programs {
            let base = crate::circuit::CircuitShape {
                params: p.visibility.params_in_advice(),
                poseidon: p.visibility.hashes(),
                ..Default::default()
            };
            let narrow = count_rows(p, base);
            for terms in [2, 4, 8, 16] {
                let shape = base.with_terms(terms);
                assert_eq!(count_rows(p, shape), narrow - linear_rows_saved(p, terms), "{terms}");
            }
        }
    }

    /// The linear test program (out = 3 + 2·a − 5·b) with hashed params: its weights and
    /// constant are parameters.
    fn hashed_params() -> (crate::quantize::Program, crate::quantize::Witness) {
        let (mut p, w) = crate::circuit::mock::tests::linear_program();
        p.visibility.params = crate::quantize::Vis::Hashed;
        for s in &mut p.steps {
            if let crate::quantize::StepKind::Linear { params, .. } = &mut s.kind {
                *params = Some(crate::quantize::ParamUse { weights: true, offset: 1 });
            }
        }
        (p, w)
    }

    fn params_shape(wide: bool) -> crate::circuit::CircuitShape {
        crate::circuit::CircuitShape {
            wide,
            terms: 0,
            poseidon: true,
            params: true,
            dot: false,
        }
    }

    #[test]
    fn hashed_params_are_advice_cells_the_params_hash_commits_to() {
        use crate::circuit::mock::tests::mock_shape;
        use crate::circuit::plan::{Plan, Sel};
        use halo2_axiom::halo2curves::ff::Field;
        let (p, w) = hashed_params();
        // parameters: the constant 3 less its structural offset 1, then the weights 2, −5
        assert_eq!(p.param_values(), vec![2, 2, -5]);
        for wide in [false, true] {
            mock_shape(&p, &w, params_shape(wide), |_| {}).expect("honest witness satisfies the gates");
        }
        let plan = Plan::new(&p, Some(&w), params_shape(false));
        let values: Vec<_> = p.param_values().into_iter().map(crate::circuit::fe).collect();
        assert_eq!(
            plan.instance_values().last(),
            Some(&crate::circuit::poseidon::hash(crate::quantize::Part::Params, &values))
        );
        // another weight in a `p` cell (the running sum adjusted to match) breaks the copy into
        // the sponge: the computation cannot use weights other than the hashed ones
        let err = mock_shape(&p, &w, params_shape(false), |plan| {
            let r = plan.rows.iter().position(|row| row.sel == Sel::MacParam).unwrap();
            plan.rows[r].p += 1;
            let x = plan.rows[r].x.value;
            for row in plan.rows[r..].iter_mut().filter(|row| row.sel != Sel::None) {
                row.acc.value += x;
            }
        })
        .unwrap_err();
        assert!(err.contains("copy constraint"), "{err}");
        // a wrong running sum with the hashed weights breaks the param gate
        let err = mock_shape(&p, &w, params_shape(false), |plan| {
            let r = plan.rows.iter().position(|row| row.sel == Sel::MacParam).unwrap();
            plan.rows[r].acc.value += 1;
        })
        .unwrap_err();
        assert!(err.contains("linear accumulate (param)"), "{err}");
        // a wrong params hash instance is refused
        let err = mock_shape(&p, &w, params_shape(false), |plan| {
            for c in plan.public.iter_mut() {
                if let crate::circuit::plan::PublicCell::Digest { value, .. } = c {
                    *value += crate::circuit::Fr::ONE;
                }
            }
        })
        .unwrap_err();
        assert!(err.contains("instance") || err.contains("copy"), "{err}");
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
