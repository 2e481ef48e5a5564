//! The fixed-point program: wires holding integers and the steps that compute them.

use super::tables::TableSpec;
use serde::{Deserialize, Serialize};

/// Index of a value in the program.
pub type Wire = u32;

/// A model input: its wires, scale and the table that range-checks it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProgInput {
    /// Tensor name.
    pub name: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// Fixed-point scale exponent.
    pub scale: u32,
    /// One wire per element.
    pub wires: Vec<Wire>,
    /// Range-check table (an identity table over the calibrated input range).
    pub table: usize,
}

/// A model output: its wires and scale.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProgOutput {
    /// Tensor name.
    pub name: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// Fixed-point scale exponent.
    pub scale: u32,
    /// One wire per element.
    pub wires: Vec<Wire>,
}

/// What a step computes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum StepKind {
    /// `out = bias + Σ w·x` over earlier wires.
    Linear {
        /// Output wire.
        out: Wire,
        /// (input wire, integer weight).
        terms: Vec<(Wire, i64)>,
        /// Integer constant.
        bias: i128,
    },
    /// `out = a·b + bias`.
    Product {
        /// Output wire.
        out: Wire,
        /// First factor.
        a: Wire,
        /// Second factor.
        b: Wire,
        /// Integer constant (the rounding offset when a rescale follows).
        bias: i64,
    },
    /// `q = floor(input / 2^shift)` with remainder in `[0, 2^shift)`, then `out = table(q)`.
    /// The input already carries the rounding offset `2^(shift-1)`.
    Lookup {
        /// Output wire.
        out: Wire,
        /// Input wire.
        input: Wire,
        /// Power-of-two divisor exponent.
        shift: u32,
        /// Function table (index into `Program::tables`).
        table: usize,
        /// Remainder range table (index into `Program::tables`).
        rem_table: usize,
    },
}

impl StepKind {
    /// The wire this step defines.
    pub fn out(&self) -> Wire {
        match self {
            StepKind::Linear { out, .. } | StepKind::Product { out, .. } | StepKind::Lookup { out, .. } => *out,
        }
    }
}

/// A step with the graph node it came from (for error messages).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Originating node name.
    pub node: String,
    /// The computation.
    pub kind: StepKind,
}

/// A complete fixed-point program.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Program {
    /// Number of wires.
    pub num_wires: usize,
    /// Model inputs.
    pub inputs: Vec<ProgInput>,
    /// Steps in evaluation order.
    pub steps: Vec<Step>,
    /// Model outputs.
    pub outputs: Vec<ProgOutput>,
    /// Lookup tables; table `i` has tag `i + 1` in the circuit.
    pub tables: Vec<TableSpec>,
    /// Whether the inputs are public instances (after the outputs).
    pub public_input: bool,
    /// Names of extra public values bound into the proof after the outputs and public inputs
    /// (e.g. `account`: the address a proof is made for). The prover supplies them; the
    /// circuit copies each into a cell, so a proof holds for exactly those values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bound: Vec<String>,
}

impl Program {
    /// Total number of rows the lookup tables need (including the all-zero row).
    pub fn table_rows(&self) -> usize {
        1 + self.tables.iter().map(|t| t.len()).sum::<usize>()
    }

    /// Wires exposed as public instances, in order: the outputs, then the inputs when public.
    pub fn instance_wires(&self) -> Vec<Wire> {
        let mut wires: Vec<Wire> = self.outputs.iter().flat_map(|o| o.wires.iter().copied()).collect();
        if self.public_input {
            wires.extend(self.inputs.iter().flat_map(|i| i.wires.iter().copied()));
        }
        wires
    }

    /// Number of public instance values (wires, then bound values).
    pub fn num_instances(&self) -> usize {
        self.instance_wires().len() + self.bound.len()
    }

    /// How many steps read each wire (plus one per output use), for layout decisions.
    pub fn use_counts(&self) -> Vec<u32> {
        let mut uses = vec![0u32; self.num_wires];
        for s in &self.steps {
            match &s.kind {
                StepKind::Linear { terms, .. } => terms.iter().for_each(|(w, _)| uses[*w as usize] += 1),
                StepKind::Product { a, b, .. } => {
                    uses[*a as usize] += 1;
                    uses[*b as usize] += 1;
                }
                StepKind::Lookup { input, .. } => uses[*input as usize] += 1,
            }
        }
        for o in &self.outputs {
            o.wires.iter().for_each(|w| uses[*w as usize] += 1);
        }
        uses
    }
}
