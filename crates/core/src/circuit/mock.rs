//! Running halo2's MockProver and reporting failures in words.

use super::plan::Plan;
use super::synth::ModelCircuit;
use super::CircuitError;
use crate::quantize::{Program, Witness};
use halo2_axiom::dev::{FailureLocation, MockProver, VerifyFailure};
use serde::Serialize;

/// Outcome of a mock proving run.
#[derive(Clone, Debug, Serialize)]
pub struct MockReport {
    /// Circuit size.
    pub k: u32,
    /// Rows used.
    pub rows: usize,
    /// Whether every constraint holds.
    pub satisfied: bool,
    /// Failures, in words (at most 20).
    pub failures: Vec<String>,
    /// Total number of failures.
    pub failure_count: usize,
}

fn row_of(loc: &FailureLocation) -> usize {
    match loc {
        FailureLocation::InRegion { offset, .. } => *offset,
        FailureLocation::OutsideRegion { row } => *row,
    }
}

/// Describes a failure with the node that owns the row.
pub fn describe(f: &VerifyFailure, plan: &Plan) -> String {
    let at = |row: usize| match plan.node_at(row) {
        Some(n) => format!("row {row} (node `{n}`)"),
        None => format!("row {row}"),
    };
    match f {
        VerifyFailure::ConstraintNotSatisfied { constraint, location, .. } => {
            format!("constraint {constraint} is not satisfied at {}", at(row_of(location)))
        }
        VerifyFailure::Lookup { name, location, .. } => {
            format!(
                "lookup `{name}` fails at {}: the value is not in its table (out of range or wrong function output)",
                at(row_of(location))
            )
        }
        VerifyFailure::Permutation { column, location } => {
            format!(
                "copy constraint on column {column} fails at {}: a copied value differs from its source",
                at(row_of(location))
            )
        }
        other => other.to_string(),
    }
}

/// Runs the MockProver on a plan built with a witness.
pub fn mock_plan(plan: Plan, k: u32) -> Result<MockReport, CircuitError> {
    let rows = plan.rows.len();
    let instances = plan.instance_values();
    let circuit = ModelCircuit::new(plan);
    let prover = MockProver::run(k, &circuit, vec![instances]).map_err(|e| CircuitError::Synthesis(e.to_string()))?;
    let (satisfied, failures, count) = match prover.verify() {
        Ok(()) => (true, vec![], 0),
        Err(fs) => (false, fs.iter().take(20).map(|f| describe(f, &circuit.plan)).collect(), fs.len()),
    };
    Ok(MockReport {
        k,
        rows,
        satisfied,
        failures,
        failure_count: count,
    })
}

/// Runs the MockProver on `program` with `witness` at size `k`.
pub fn mock_prove(program: &Program, witness: &Witness, k: u32, shape: super::CircuitShape) -> Result<MockReport, CircuitError> {
    mock_plan(Plan::new(program, Some(witness), shape), k)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::circuit::plan::{Row, Sel};
    use crate::quantize::eval::evaluate;
    use crate::quantize::program::{ProgInput, ProgOutput, Step, StepKind};
    use crate::quantize::{TableKind, TableSpec};

    fn program(n_inputs: usize, steps: Vec<StepKind>, tables: Vec<TableSpec>, outputs: Vec<u32>, num_wires: usize) -> Program {
        Program {
            num_wires,
            inputs: vec![ProgInput {
                name: "in".into(),
                shape: vec![n_inputs],
                scale: 0,
                wires: (0..n_inputs as u32).collect(),
                table: 0,
                split: None,
            }],
            steps: steps.into_iter().map(|kind| Step { node: "step".into(), kind }).collect(),
            outputs: vec![ProgOutput {
                name: "out".into(),
                shape: vec![outputs.len()],
                scale: 0,
                wires: outputs,
            }],
            tables,
            visibility: Default::default(),
            bound: Vec::new(),
            batch: 1,
        }
    }

    fn range() -> TableSpec {
        TableSpec {
            kind: TableKind::Input,
            lo: -100,
            hi: 100,
        }
    }

    fn with_witness(p: Program, inputs: Vec<i128>) -> (Program, Witness) {
        let (w, _) = evaluate(&p, &[inputs], true).expect("evaluates");
        (p, w)
    }

    /// out = 3 + 2·a − 5·b with a = 4, b = 1.
    pub fn linear_program() -> (Program, Witness) {
        let p = program(
            2,
            vec![StepKind::Linear {
                out: 2,
                terms: vec![(0, 2), (1, -5)],
                bias: 3,
                params: None,
            }],
            vec![range()],
            vec![2],
            3,
        );
        with_witness(p, vec![4, 1])
    }

    /// out = a·b + 1.
    pub fn product_program() -> (Program, Witness) {
        let p = program(
            2,
            vec![StepKind::Product {
                out: 2,
                a: 0,
                b: 1,
                bias: 1,
            }],
            vec![range()],
            vec![2],
            3,
        );
        with_witness(p, vec![6, -7])
    }

    /// out = 2 + Σ x_i·x_{i+5} over five pairs of ten inputs (a dot step).
    pub fn dot_program() -> (Program, Witness) {
        let p = program(
            10,
            vec![StepKind::Dot {
                out: 10,
                pairs: (0..5).map(|i| (i, i + 5)).collect(),
                bias: 2,
            }],
            vec![range()],
            vec![10],
            11,
        );
        with_witness(p, vec![3, -4, 5, 6, -7, 8, 9, -10, 11, 12])
    }

    /// y_i = relu(round(10·x_i / 8)) for each input.
    pub fn relu_program(xs: &[i128]) -> (Program, Witness) {
        table_program(xs, TableKind::Relu)
    }

    /// y_i = f(round(10·x_i / 8)) for each input, `f` the table `kind`.
    pub fn table_program(xs: &[i128], kind: TableKind) -> (Program, Witness) {
        let n = xs.len() as u32;
        let mut steps = vec![];
        let mut outs = vec![];
        for i in 0..n {
            let (y, o) = (n + 2 * i, n + 2 * i + 1);
            steps.push(StepKind::Linear {
                out: y,
                terms: vec![(i, 10)],
                bias: 4,
                params: None,
            });
            steps.push(StepKind::Lookup {
                out: o,
                input: y,
                shift: 3,
                table: 1,
                rem_table: 2,
                rem_high: Vec::new(),
            });
            outs.push(o);
        }
        let tables = vec![
            range(),
            TableSpec { kind, lo: -200, hi: 200 },
            TableSpec {
                kind: TableKind::Remainder { bits: 3 },
                lo: 0,
                hi: 7,
            },
        ];
        let p = program(xs.len(), steps, tables, outs, (3 * n) as usize);
        with_witness(p, xs.to_vec())
    }

    fn run(plan: Plan, program: &Program) -> Result<(), String> {
        let k = crate::circuit::size_in(program, plan.shape).k;
        let r = mock_plan(plan, k).map_err(|e| e.to_string())?;
        if r.satisfied {
            Ok(())
        } else {
            Err(r.failures.join("\n"))
        }
    }

    /// Inputs checked in two parts (`v = 8·q + r`, q ∈ [−4, 3], r ∈ [0, 7]) feeding
    /// `out_i = 2·v_i + 1`.
    pub fn split_input_program(xs: &[i128]) -> (Program, Witness) {
        use crate::quantize::program::InputSplit;
        let n = xs.len() as u32;
        let steps = (0..n)
            .map(|i| StepKind::Linear {
                out: n + i,
                terms: vec![(i, 2)],
                bias: 1,
                params: None,
            })
            .collect();
        let tables = vec![
            TableSpec {
                kind: TableKind::Input,
                lo: -4,
                hi: 3,
            },
            TableSpec {
                kind: TableKind::Remainder { bits: 3 },
                lo: 0,
                hi: 7,
            },
        ];
        let mut p = program(xs.len(), steps, tables, (n..2 * n).collect(), (2 * n) as usize);
        p.inputs[0].split = Some(InputSplit {
            bits: 3,
            rem_table: 1,
            rem_high: Vec::new(),
        });
        with_witness(p, xs.to_vec())
    }

    /// Mock-proves an honest witness.
    pub fn mock_single(program: &Program, witness: &Witness) -> Result<(), String> {
        run(Plan::new(program, Some(witness), Default::default()), program)
    }

    /// Mock-proves in a given shape after `edit`ing the plan.
    pub fn mock_shape(
        program: &Program,
        witness: &Witness,
        shape: crate::circuit::CircuitShape,
        edit: impl Fn(&mut Plan),
    ) -> Result<(), String> {
        let mut plan = Plan::new(program, Some(witness), shape);
        edit(&mut plan);
        run(plan, program)
    }

    fn tamper(program: &Program, witness: &Witness, pred: impl Fn(&Row) -> bool, edit: impl Fn(&mut Plan, usize)) -> Result<(), String> {
        let mut plan = Plan::new(program, Some(witness), Default::default());
        let r = plan.rows.iter().position(pred).expect("a matching row");
        edit(&mut plan, r);
        run(plan, program)
    }

    /// Adds one to `acc` on the first row matching `pred`.
    pub fn tamper_acc(program: &Program, witness: &Witness, pred: impl Fn(&Row) -> bool) -> Result<(), String> {
        tamper(program, witness, pred, |p, r| p.rows[r].acc.value += 1)
    }

    /// Adds one to `x` on the first row matching `pred`.
    pub fn tamper_x(program: &Program, witness: &Witness, pred: impl Fn(&Row) -> bool) -> Result<(), String> {
        tamper(program, witness, pred, |p, r| p.rows[r].x.value += 1)
    }

    /// Moves one unit of the first rescale's quotient into its remainder (q−1, rem+2^shift),
    /// keeping the rescale gate and the activation output consistent.
    pub fn shift_quotient(program: &Program, witness: &Witness) -> Result<(), String> {
        tamper(
            program,
            witness,
            |row| row.sel == Sel::Rescale,
            |p, r| {
                let k = p.rows[r].w;
                p.rows[r].acc.value -= 1;
                p.rows[r].x.value = p.rows[r].acc.value.max(0);
                p.rows[r + 1].acc.value += k;
                p.rows[r + 1].x.value += k;
            },
        )
    }
}
