//! Lowering the op graph into a fixed-point [`Program`].

use super::program::{ProgInput, ProgOutput, Program, Step, StepKind, Visibility, Wire};
use super::tables::{TableKind, TableSpec};
use super::QuantizeError;
use crate::model::graph::{Activation, Graph, Node, Op, Source};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Largest power-of-two divisor of a rescale (remainder tables stay small and shifts fit i64).
pub const MAX_SHIFT: u32 = 40;

/// Scale choices for one build.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuantConfig {
    /// Scale exponent of the inputs, and of activations after each rescale.
    pub input_scale: u32,
    /// Scale exponent of the weights.
    pub param_scale: u32,
    /// Extra output bits of sigmoid tables beyond the input scale (free precision: the table
    /// size depends only on the input range).
    pub sigmoid_extra_bits: u32,
    /// A weight layer whose input scale exceeds `input_scale + max_extra_bits` rescales first.
    pub max_extra_bits: u32,
    /// Who sees the inputs, outputs and parameters.
    pub visibility: Visibility,
}

impl QuantConfig {
    /// Defaults with one scale for inputs and weights.
    pub fn with_scale(scale: u32, visibility: Visibility) -> Self {
        QuantConfig {
            input_scale: scale,
            param_scale: scale,
            sigmoid_extra_bits: 4,
            max_extra_bits: 4,
            visibility,
        }
    }
}

#[derive(Clone)]
struct QTensor {
    wires: Vec<Wire>,
    scale: u32,
    /// When set, the wires hold `value + 2^(shift-1)`, ready for a rescale by `shift`.
    pre_rounded: Option<u32>,
}

struct Builder<'a> {
    graph: &'a Graph,
    cfg: &'a QuantConfig,
    num_wires: usize,
    steps: Vec<Step>,
    tables: Vec<TableSpec>,
    tensors: HashMap<String, QTensor>,
    consumers: HashMap<String, Vec<usize>>,
    /// Constant wires by (value bits, scale).
    constants: HashMap<(u32, u32), Wire>,
}

fn round_i64(node: &str, x: f64) -> Result<i64, QuantizeError> {
    let r = x.round();
    if !r.is_finite() || r.abs() >= 2f64.powi(62) {
        return Err(QuantizeError::Node {
            node: node.to_string(),
            reason: format!("constant {x} is too large for the chosen scale"),
        });
    }
    Ok(r as i64)
}

impl Builder<'_> {
    fn wires(&mut self, n: usize) -> Vec<Wire> {
        let start = self.num_wires as Wire;
        self.num_wires += n;
        (start..start + n as Wire).collect()
    }

    fn table(&mut self, kind: TableKind) -> usize {
        if let Some(i) = self.tables.iter().position(|t| t.kind == kind) {
            return i;
        }
        let (lo, hi) = match kind {
            TableKind::Remainder { bits } => (0, (1i64 << bits) - 1),
            _ => (0, 0), // set by calibration
        };
        self.tables.push(TableSpec { kind, lo, hi });
        self.tables.len() - 1
    }

    fn tensor(&self, node: &Node, name: &str) -> Result<QTensor, QuantizeError> {
        self.tensors.get(name).cloned().ok_or_else(|| QuantizeError::Node {
            node: node.name.clone(),
            reason: format!("reads unknown tensor `{name}`"),
        })
    }

    /// The rescale shift the single consumer of `name` will apply to it, if any, so that the
    /// producer can add the rounding offset to its constant instead of a separate step.
    fn planned_shift(&self, name: &str, scale: u32) -> Option<u32> {
        if self.graph.outputs.iter().any(|(o, _)| o == name) {
            return None;
        }
        let cons = self.consumers.get(name)?;
        if cons.len() != 1 {
            return None;
        }
        let base = self.cfg.input_scale;
        let shift = match &self.graph.nodes[cons[0]].op {
            Op::Activation(_) if scale > base => scale - base,
            Op::Linear { exact: false, .. } if scale > base + self.cfg.max_extra_bits => scale - base,
            _ => return None,
        };
        // an oversized shift is refused by `lookup`, with the node's name
        (shift <= MAX_SHIFT).then_some(shift)
    }

    /// Rescales `t` to at most the base scale and applies `kind` (identity, relu, sigmoid).
    fn lookup(&mut self, node: &str, t: &QTensor, act: Option<Activation>) -> Result<QTensor, QuantizeError> {
        let base = self.cfg.input_scale;
        let shift = t.scale.saturating_sub(base);
        if shift > MAX_SHIFT {
            return Err(QuantizeError::Node {
                node: node.to_string(),
                reason: format!(
                    "its input has scale 2^{} (products of products?); rescaling by 2^{shift} exceeds the supported 2^{MAX_SHIFT}",
                    t.scale
                ),
            });
        }
        let in_scale = t.scale - shift;
        let mut inputs = t.wires.clone();
        if shift > 0 && t.pre_rounded != Some(shift) {
            let half = 1i128 << (shift - 1);
            let outs = self.wires(inputs.len());
            for (o, i) in outs.iter().zip(&inputs) {
                self.steps.push(Step {
                    node: node.to_string(),
                    kind: StepKind::Linear {
                        out: *o,
                        terms: vec![(*i, 1)],
                        bias: half,
                    },
                });
            }
            inputs = outs;
        }
        let (kind, out_scale) = match act {
            None => (TableKind::Identity, in_scale),
            Some(Activation::Relu) => (TableKind::Relu, in_scale),
            Some(Activation::Sigmoid) => {
                let out = base + self.cfg.sigmoid_extra_bits;
                (
                    TableKind::Sigmoid {
                        input_scale: in_scale,
                        output_scale: out,
                    },
                    out,
                )
            }
            Some(f) => {
                let out = if f.is_flag() {
                    0
                } else if f.refines() {
                    base + self.cfg.sigmoid_extra_bits
                } else {
                    in_scale
                };
                (
                    TableKind::Func {
                        f,
                        input_scale: in_scale,
                        output_scale: out,
                    },
                    out,
                )
            }
        };
        let table = self.table(kind);
        let rem_table = self.table(TableKind::Remainder { bits: shift });
        let outs = self.wires(inputs.len());
        for (o, i) in outs.iter().zip(&inputs) {
            self.steps.push(Step {
                node: node.to_string(),
                kind: StepKind::Lookup {
                    out: *o,
                    input: *i,
                    shift,
                    table,
                    rem_table,
                },
            });
        }
        Ok(QTensor {
            wires: outs,
            scale: out_scale,
            pre_rounded: None,
        })
    }

    /// A wire holding the constant `c` at `scale` (one per value and scale).
    fn constant(&mut self, node: &str, c: f32, scale: u32) -> Result<Wire, QuantizeError> {
        if let Some(w) = self.constants.get(&(c.to_bits(), scale)) {
            return Ok(*w);
        }
        let bias = round_i64(node, c as f64 * 2f64.powi(scale as i32))? as i128;
        let out = self.wires(1)[0];
        self.steps.push(Step {
            node: node.to_string(),
            kind: StepKind::Linear { out, terms: vec![], bias },
        });
        self.constants.insert((c.to_bits(), scale), out);
        Ok(out)
    }

    /// `t` multiplied up to `scale` (exact: a power-of-two weight per element).
    fn align(&mut self, node: &str, t: &QTensor, scale: u32) -> QTensor {
        if t.scale >= scale {
            return t.clone();
        }
        let m = 1i64 << (scale - t.scale);
        let outs = self.wires(t.wires.len());
        for (o, i) in outs.iter().zip(&t.wires) {
            self.steps.push(Step {
                node: node.to_string(),
                kind: StepKind::Linear {
                    out: *o,
                    terms: vec![(*i, m)],
                    bias: 0,
                },
            });
        }
        QTensor {
            wires: outs,
            scale,
            pre_rounded: None,
        }
    }

    fn node(&mut self, node: &Node) -> Result<(), QuantizeError> {
        let mut operands = node.inputs.iter().map(|n| self.tensor(node, n)).collect::<Result<Vec<_>, _>>()?;
        let out = match &node.op {
            Op::View => {
                let t = &operands[0];
                QTensor {
                    wires: t.wires.clone(),
                    scale: t.scale,
                    pre_rounded: None,
                }
            }
            Op::Select { sources } => {
                let scale = operands.iter().map(|t| t.scale).max().unwrap_or(self.cfg.input_scale);
                for t in operands.iter_mut() {
                    *t = self.align(&node.name, t, scale);
                }
                let mut wires = Vec::with_capacity(sources.len());
                for s in sources {
                    wires.push(match *s {
                        Source::Wire { operand, index } => operands[operand].wires[index],
                        Source::Const(c) => self.constant(&node.name, c, scale)?,
                    });
                }
                QTensor {
                    wires,
                    scale,
                    pre_rounded: None,
                }
            }
            Op::Activation(a) => self.lookup(&node.name, &operands[0], Some(*a))?,
            Op::Product { pairs } => {
                let (a, b) = (&operands[0], &operands[1]);
                let scale = a.scale + b.scale;
                let planned = self.planned_shift(&node.output, scale);
                let bias = planned.map(|s| 1i64 << (s - 1)).unwrap_or(0);
                let outs = self.wires(pairs.len());
                for (o, (i, j)) in outs.iter().zip(pairs) {
                    self.steps.push(Step {
                        node: node.name.clone(),
                        kind: StepKind::Product {
                            out: *o,
                            a: a.wires[*i],
                            b: b.wires[*j],
                            bias,
                        },
                    });
                }
                QTensor {
                    wires: outs,
                    scale,
                    pre_rounded: planned,
                }
            }
            Op::Linear { exact, rows, bias } => {
                if !exact {
                    for t in operands.iter_mut() {
                        if t.scale > self.cfg.input_scale + self.cfg.max_extra_bits {
                            *t = self.lookup(&node.name, t, None)?;
                        }
                    }
                }
                let s_max = operands.iter().map(|t| t.scale).max().unwrap_or(self.cfg.input_scale);
                let p = if *exact { 0 } else { self.cfg.param_scale };
                let scale = s_max + p;
                let planned = self.planned_shift(&node.output, scale);
                let half = planned.map(|s| 1i128 << (s - 1)).unwrap_or(0);
                let outs = self.wires(rows.len());
                for ((o, row), b) in outs.iter().zip(rows).zip(bias) {
                    let mut terms = Vec::with_capacity(row.len());
                    for t in row {
                        let src = &operands[t.operand];
                        let shift = p + s_max - src.scale;
                        let w = round_i64(&node.name, t.coeff as f64 * 2f64.powi(shift as i32))?;
                        if w != 0 {
                            terms.push((src.wires[t.index], w));
                        }
                    }
                    let bq = round_i64(&node.name, *b as f64 * 2f64.powi(scale as i32))? as i128 + half;
                    self.steps.push(Step {
                        node: node.name.clone(),
                        kind: StepKind::Linear { out: *o, terms, bias: bq },
                    });
                }
                QTensor {
                    wires: outs,
                    scale,
                    pre_rounded: planned,
                }
            }
        };
        self.tensors.insert(node.output.clone(), out);
        Ok(())
    }
}

/// Lowers `graph` to a program with the given scales. Table ranges other than remainders are
/// left empty for [`super::calibrate`] to set.
pub fn build(graph: &Graph, cfg: &QuantConfig) -> Result<Program, QuantizeError> {
    let mut consumers: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, n) in graph.nodes.iter().enumerate() {
        for inp in &n.inputs {
            let list = consumers.entry(inp.clone()).or_default();
            if !list.contains(&i) {
                list.push(i);
            }
        }
    }
    let mut b = Builder {
        graph,
        cfg,
        num_wires: 0,
        steps: vec![],
        tables: vec![],
        tensors: HashMap::new(),
        consumers,
        constants: HashMap::new(),
    };
    let mut inputs = Vec::new();
    for gi in &graph.inputs {
        let wires = b.wires(gi.len());
        let table = b.table(TableKind::Input);
        b.tensors.insert(
            gi.name.clone(),
            QTensor {
                wires: wires.clone(),
                scale: cfg.input_scale,
                pre_rounded: None,
            },
        );
        inputs.push(ProgInput {
            name: gi.name.clone(),
            shape: gi.shape.clone(),
            scale: cfg.input_scale,
            wires,
            table,
        });
    }
    for node in &graph.nodes {
        b.node(node)?;
    }
    let mut outputs = Vec::new();
    for (name, shape) in &graph.outputs {
        let t = b.tensors.get(name).ok_or_else(|| QuantizeError::Node {
            node: name.clone(),
            reason: "output tensor was not computed".into(),
        })?;
        outputs.push(ProgOutput {
            name: name.clone(),
            shape: shape.clone(),
            scale: t.scale,
            wires: t.wires.clone(),
        });
    }
    Ok(Program {
        num_wires: b.num_wires,
        inputs,
        steps: b.steps,
        outputs,
        tables: b.tables,
        visibility: cfg.visibility,
        bound: Vec::new(),
    })
}
