//! The halo2 [`Circuit`] implementation: copies a [`Plan`] into the assignment.

use super::chips::poseidon::gate;
use super::config::{CircuitShape, ZkConfig};
use super::fe;
use super::plan::{Col, Plan, PublicCell, Sel};
use halo2_axiom::circuit::{Cell, Layouter, SimpleFloorPlanner, Value};
use halo2_axiom::halo2curves::bn256::Fr;
use halo2_axiom::plonk::{Circuit, ConstraintSystem, Error};
use std::sync::Arc;

/// A model's circuit: the layout, with or without witness values.
#[derive(Clone, Debug)]
pub struct ModelCircuit {
    /// The layout.
    pub plan: Arc<Plan>,
}

impl ModelCircuit {
    /// Wraps a plan.
    pub fn new(plan: Plan) -> Self {
        ModelCircuit { plan: Arc::new(plan) }
    }
}

impl Circuit<Fr> for ModelCircuit {
    type Config = ZkConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = CircuitShape;

    fn params(&self) -> CircuitShape {
        self.plan.shape
    }

    fn configure_with_params(meta: &mut ConstraintSystem<Fr>, shape: CircuitShape) -> ZkConfig {
        ZkConfig::configure(meta, shape)
    }

    fn without_witnesses(&self) -> Self {
        let mut plan = (*self.plan).clone();
        plan.has_witness = false;
        ModelCircuit { plan: Arc::new(plan) }
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> ZkConfig {
        ZkConfig::configure(meta, CircuitShape::default())
    }

    fn synthesize(&self, config: ZkConfig, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
        let plan = &self.plan;
        layouter.assign_table(
            || "lookup tables",
            |mut table| {
                for (i, (t, f, v)) in plan.table.iter().enumerate() {
                    let tf = fe(*t as i128);
                    let cols = [tf, tf * fe(*f), tf * fe(*v)];
                    for (col, val) in config.table.iter().zip(cols) {
                        table.assign_cell(|| "table", *col, i, || Value::known(val))?;
                    }
                }
                Ok(())
            },
        )?;
        let known = plan.has_witness;
        let value = |v: i128| if known { Value::known(fe(v)) } else { Value::unknown() };
        let cells = layouter.assign_region(
            || "model",
            |mut region| {
                let mut x_cells: Vec<Cell> = Vec::with_capacity(plan.rows.len());
                let mut acc_cells: Vec<Cell> = Vec::with_capacity(plan.rows.len());
                // `p` cells by row (rows with a param gate only)
                let mut p_cells: Vec<Option<Cell>> = Vec::new();
                let home = |wire: u32, x: &[Cell], acc: &[Cell], p: &[Option<Cell>]| -> Result<Cell, Error> {
                    match plan.homes.get(wire as usize).copied().flatten() {
                        Some((Col::X, r)) => Ok(x[r]),
                        Some((Col::Acc, r)) => Ok(acc[r]),
                        Some((Col::P, r)) => p.get(r).copied().flatten().ok_or(Error::Synthesis),
                        None => Err(Error::Synthesis),
                    }
                };
                for (r, row) in plan.rows.iter().enumerate() {
                    match row.sel {
                        Sel::None => {}
                        Sel::Start => config.s_start.enable(&mut region, r)?,
                        Sel::Mac => config.s_mac.enable(&mut region, r)?,
                        Sel::Rescale => config.s_rescale.enable(&mut region, r)?,
                        Sel::Product => config.s_product.enable(&mut region, r)?,
                        // a dot row needs the gate and its lanes (shape `dot`, wide)
                        Sel::Dot => config
                            .s_dot
                            .filter(|_| !config.lanes.is_empty())
                            .ok_or(Error::Synthesis)?
                            .enable(&mut region, r)?,
                        Sel::StartParam => config.s_start_param.ok_or(Error::Synthesis)?.enable(&mut region, r)?,
                        Sel::MacParam => config.s_mac_param.ok_or(Error::Synthesis)?.enable(&mut region, r)?,
                    }
                    if matches!(row.sel, Sel::StartParam | Sel::MacParam) {
                        let col = config.p.ok_or(Error::Synthesis)?;
                        p_cells.resize(r, None);
                        p_cells.push(Some(region.assign_advice(col, r, value(row.p)).cell()));
                    }
                    if row.w != 0 {
                        region.assign_fixed(config.w, r, fe(row.w));
                    }
                    if row.tag != 0 {
                        region.assign_fixed(config.tag, r, fe(row.tag as i128));
                    }
                    let xc = region.assign_advice(config.x, r, value(row.x.value)).cell();
                    let ac = region.assign_advice(config.acc, r, value(row.acc.value)).cell();
                    if let Some(w) = row.x.copy_of {
                        region.constrain_equal(xc, home(w, &x_cells, &acc_cells, &p_cells)?);
                    }
                    if let Some(w) = row.acc.copy_of {
                        region.constrain_equal(ac, home(w, &x_cells, &acc_cells, &p_cells)?);
                    }
                    if row.lanes != super::plan::NO_LANES {
                        let start = row.lanes as usize;
                        let cells = plan.lanes.get(start..start + config.lanes.len()).ok_or(Error::Synthesis)?;
                        for (&(ycol, wcol), (cell, weight)) in config.lanes.iter().zip(cells) {
                            if *weight != 0 {
                                region.assign_fixed(wcol, r, fe(*weight));
                            }
                            let yc = region.assign_advice(ycol, r, value(cell.value)).cell();
                            if let Some(w) = cell.copy_of {
                                region.constrain_equal(yc, home(w, &x_cells, &acc_cells, &p_cells)?);
                            }
                        }
                    }
                    x_cells.push(xc);
                    acc_cells.push(ac);
                }
                let mut bound_cells = Vec::with_capacity(plan.bound_rows.len());
                for (&r, v) in plan.bound_rows.iter().zip(&plan.bound_values) {
                    let v = if known { Value::known(*v) } else { Value::unknown() };
                    bound_cells.push(region.assign_advice(config.acc, r, v).cell());
                }
                // The sponge rows share the region's rows in columns of their own.
                let mut digest_cells = Vec::with_capacity(plan.poseidon.len());
                if !plan.poseidon.is_empty() {
                    let p = config.poseidon.as_ref().ok_or(Error::Synthesis)?;
                    let fvalue = |v: Fr| if known { Value::known(v) } else { Value::unknown() };
                    for (r, row) in plan.poseidon.iter().enumerate() {
                        for (bit, sel) in [
                            (gate::INIT, p.q_init),
                            (gate::ABSORB, p.q_absorb),
                            (gate::FULL, p.q_full),
                            (gate::PARTIAL, p.q_partial),
                            (gate::FINAL, p.q_final),
                        ] {
                            if row.gates & bit != 0 {
                                sel.enable(&mut region, r)?;
                            }
                        }
                        for (col, v) in p.c.iter().zip(row.c) {
                            if v != Fr::zero() {
                                region.assign_fixed(*col, r, v);
                            }
                        }
                        for (col, v) in p.s.iter().zip(row.s) {
                            region.assign_advice(*col, r, fvalue(v));
                        }
                        let mut a_cells = Vec::with_capacity(3);
                        for (col, v) in p.a.iter().zip(row.a) {
                            a_cells.push(region.assign_advice(*col, r, fvalue(v)).cell());
                        }
                        for (cell, wire) in a_cells.iter().zip(row.copies) {
                            if let Some(w) = wire {
                                region.constrain_equal(*cell, home(w, &x_cells, &acc_cells, &p_cells)?);
                            }
                        }
                        digest_cells.push(a_cells[0]);
                    }
                }
                plan.public
                    .iter()
                    .map(|p| match *p {
                        PublicCell::Wire(w) => home(w, &x_cells, &acc_cells, &p_cells),
                        PublicCell::Digest { row, .. } => Ok(digest_cells[row]),
                        PublicCell::Bound(i) => Ok(bound_cells[i]),
                    })
                    .collect::<Result<Vec<_>, _>>()
            },
        )?;
        for (i, cell) in cells.into_iter().enumerate() {
            layouter.constrain_instance(cell, config.instance, i);
        }
        Ok(())
    }
}
