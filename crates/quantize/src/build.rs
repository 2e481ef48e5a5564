//! Lowering the op graph into a fixed-point [`Program`].

use super::program::{ParamUse, ProgInput, ProgOutput, Program, Step, StepKind, Visibility, Wire};
use super::tables::{TableKind, TableSpec};
use super::QuantizeError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use zkinfer_model::graph::{Activation, Check, Cmp, Graph, Node, Op, Source};

pub use zkinfer_core::quantize::program::MAX_SHIFT;

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
    /// Remainders of rescales by more than 2^rem_bits are range-checked in chunks of at most
    /// this many bits (see [`super::remainder`]); `None`: one table per shift.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rem_bits: Option<u32>,
    /// The integer cut of each check of each [`Op::Threshold`] node (by output tensor), chosen
    /// by calibration so that the samples fall on the float model's side of every split (see
    /// [`CutSite`]); a node without an entry uses [`default_cut`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub cuts: BTreeMap<String, Vec<i64>>,
    /// Extra bits splits shift off their differences before reading the sign, so that the
    /// flag table stays small for wide operands (a feature in dollars); set by calibration.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub split_shift: u32,
}

fn is_zero(v: &u32) -> bool {
    *v == 0
}

/// A split of an [`Op::Threshold`] node as built: the wire holding its quantized operand, for
/// calibration to place the cut between the samples.
#[derive(Clone, Debug, PartialEq)]
pub struct CutSite {
    /// The node's output tensor (the key of [`QuantConfig::cuts`]).
    pub tensor: String,
    /// ONNX node name.
    pub node: String,
    /// The operand tensor (float values by name in [`zkinfer_model::Graph::eval_float`]).
    pub operand: String,
    /// Which check of the node.
    pub check: usize,
    /// The check.
    pub spec: Check,
    /// The wire holding the quantized operand element.
    pub wire: Wire,
    /// Its scale.
    pub scale: u32,
    /// The cut the program uses.
    pub cut: i64,
}

/// The integer cut of a check on a value at `scale` without sample data: the flag is
/// `[x ≤ cut]` (order comparisons on the low side), `[x > cut]` (high side) or `[x = cut]`.
/// A value equal to the threshold quantizes exactly as the threshold does (`round(t·2^s)`),
/// so it lands on the comparison's side: the cut is that integer for `≤` and `>`, one below
/// for `<` and `≥` (XGBoost's thresholds are data values, and integer features meet them).
pub fn default_cut(c: &Check, scale: u32) -> Option<i64> {
    let t = (c.threshold as f64 * 2f64.powi(scale as i32)).round();
    let cut = match c.cmp {
        Cmp::Le | Cmp::Gt | Cmp::Eq | Cmp::Ne => t,
        Cmp::Lt | Cmp::Ge => t - 1.0,
    };
    (cut.is_finite() && cut.abs() < 2f64.powi(62)).then_some(cut as i64)
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
            rem_bits: None,
            cuts: BTreeMap::new(),
            split_shift: 0,
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
    /// The splits of threshold nodes, in build order.
    sites: Vec<CutSite>,
}

/// Most extra coefficient bits [`small_coefficient_bits`] gives a node.
pub const MAX_COEFF_EXTRA_BITS: u32 = 12;

/// Extra scale bits for the coefficients of a weight node whose coefficients are all small.
///
/// A mean's 1/n or a division by a constant n has one coefficient; at the parameter scale
/// 2^p it keeps only about p − log2(n) significant bits (1/60 at 2^13 is 137/8192, 0.34% off),
/// and every output of the node carries that relative error. Such a node gets its coefficients
/// at 2^(p + extra), where `extra` lifts the largest coefficient to at least 2^-4 of the scale,
/// the precision weight layers with weights down to 1/16 have anyway: a layer whose largest
/// coefficient is at least 1/16 (every ordinary weight layer) is built exactly as before.
/// The larger product scale costs rescale bits, which chunked remainders keep cheap.
///
/// With parameters in advice the circuit must not depend on the weights' values, so callers
/// use 0 there.
fn small_coefficient_bits(rows: &[Vec<zkinfer_model::graph::LinTerm>]) -> u32 {
    let c_max = rows.iter().flatten().map(|t| t.coeff.abs()).fold(0f32, f32::max);
    if !(c_max.is_finite() && c_max > 0.0) {
        return 0;
    }
    // the least `extra` with c_max · 2^extra ≥ 2^-4
    let extra = (-(c_max as f64).log2()).ceil() - 4.0;
    extra.clamp(0.0, MAX_COEFF_EXTRA_BITS as f64) as u32
}

/// Extra coefficient bits for a weighted sum of integers (0/1 flags, tree leaf indicators):
/// its rounding errors add up over the terms of a row (a tree ensemble's output sums one leaf
/// value per tree), so the weights get `⌈log2(terms)⌉ + 1` more bits, at most
/// [`MAX_COEFF_EXTRA_BITS`], keeping the sum's error within a quarter of the output's last bit.
/// The consumer's rescale takes the bits off again.
fn integer_sum_bits(rows: &[Vec<zkinfer_model::graph::LinTerm>]) -> u32 {
    let terms = rows.iter().map(|r| r.len()).max().unwrap_or(0).max(1);
    ((terms as f64).log2().ceil() as u32 + 1).min(MAX_COEFF_EXTRA_BITS)
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
        TableSpec::find_or_add(&mut self.tables, kind)
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
                        params: None,
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
                    rem_high: Vec::new(),
                },
            });
        }
        Ok(QTensor {
            wires: outs,
            scale: out_scale,
            pre_rounded: None,
        })
    }

    /// The 0/1 flags of a threshold node. Each check compares the quantized operand `x` with
    /// its integer cut exactly: `[cut − x ≥ 0]` (low side), `[x − cut − 1 ≥ 0]` (high side),
    /// `[x − cut ≥ 0] − [x − cut − 1 ≥ 0]` for `=` and one minus that for `≠`. A sign is read
    /// as the sign of `⌊d / 2^m⌋` with `m = min(scale, SPLIT_INPUT_SCALE)`, so the flag table
    /// spans the difference at a few bits of precision, not at the operand's scale, and no
    /// rounding can move a value across the cut.
    fn threshold(&mut self, node: &Node, x: &QTensor, checks: &[Check], fixed: bool) -> Result<QTensor, QuantizeError> {
        let err = |reason: String| QuantizeError::Node {
            node: node.name.clone(),
            reason,
        };
        // a value far finer than the splits need (products of products) is rescaled first
        let x = if x.scale > SPLIT_INPUT_SCALE + 8 {
            self.lookup(&node.name, x, None)?
        } else {
            x.clone()
        };
        let cuts = self.cfg.cuts.get(&node.output);
        if let Some(c) = cuts.filter(|c| c.len() != checks.len()) {
            return Err(err(format!(
                "has {} splits but the configuration gives {} cuts",
                checks.len(),
                c.len()
            )));
        }
        let m = (x.scale.min(SPLIT_INPUT_SCALE) + self.cfg.split_shift).min(MAX_SHIFT);
        let mut wires = Vec::with_capacity(checks.len());
        for (i, c) in checks.iter().enumerate() {
            let xw = *x
                .wires
                .get(c.index)
                .ok_or_else(|| err(format!("split #{i} reads element {} of {}", c.index, x.wires.len())))?;
            let cut = match cuts {
                Some(v) => v[i],
                None => default_cut(c, x.scale).ok_or_else(|| {
                    err(format!(
                        "threshold {} of split #{i} is too large for scale 2^{}",
                        c.threshold, x.scale
                    ))
                })?,
            };
            if !fixed {
                self.sites.push(CutSite {
                    tensor: node.output.clone(),
                    node: node.name.clone(),
                    operand: node.inputs[0].clone(),
                    check: i,
                    spec: *c,
                    wire: xw,
                    scale: x.scale,
                    cut,
                });
            }
            let cut = cut as i128;
            let f = match c.cmp {
                Cmp::Le | Cmp::Lt => self.nonnegative(&node.name, xw, -1, cut, m),
                Cmp::Ge | Cmp::Gt => self.nonnegative(&node.name, xw, 1, -cut - 1, m),
                Cmp::Eq | Cmp::Ne => {
                    let ge = self.nonnegative(&node.name, xw, 1, -cut, m);
                    let gt = self.nonnegative(&node.name, xw, 1, -cut - 1, m);
                    let (sign, bias) = if c.cmp == Cmp::Eq { (1, 0) } else { (-1, 1) };
                    let out = self.wires(1)[0];
                    self.steps.push(Step {
                        node: node.name.clone(),
                        kind: StepKind::Linear {
                            out,
                            terms: vec![(ge, sign), (gt, -sign)],
                            bias,
                            params: None,
                        },
                    });
                    out
                }
            };
            wires.push(f);
        }
        Ok(QTensor {
            wires,
            scale: 0,
            pre_rounded: None,
        })
    }

    /// `[w·x + bias ≥ 0]`, read as the sign of `⌊(w·x + bias) / 2^m⌋`.
    fn nonnegative(&mut self, node: &str, x: Wire, w: i64, bias: i128, m: u32) -> Wire {
        let d = self.wires(1)[0];
        self.steps.push(Step {
            node: node.to_string(),
            kind: StepKind::Linear {
                out: d,
                terms: vec![(x, w)],
                bias,
                params: None,
            },
        });
        let table = self.table(TableKind::Func {
            f: Activation::NonNegative,
            input_scale: 0,
            output_scale: 0,
        });
        let rem_table = self.table(TableKind::Remainder { bits: m });
        let out = self.wires(1)[0];
        self.steps.push(Step {
            node: node.to_string(),
            kind: StepKind::Lookup {
                out,
                input: d,
                shift: m,
                table,
                rem_table,
                rem_high: Vec::new(),
            },
        });
        out
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
            kind: StepKind::Linear {
                out,
                terms: vec![],
                bias,
                params: None,
            },
        });
        self.constants.insert((c.to_bits(), scale), out);
        Ok(out)
    }

    /// `n` steps of products of two operands at `scale` (their scales added), each made by
    /// `make(out, k, bias)`: the bias is the rounding offset of the rescale the single consumer
    /// will apply, if one is planned, so the product carries it instead of a separate step.
    fn products(&mut self, node: &Node, scale: u32, n: usize, make: impl Fn(Wire, usize, i64) -> StepKind) -> QTensor {
        let planned = self.planned_shift(&node.output, scale);
        let bias = planned.map(|s| 1i64 << (s - 1)).unwrap_or(0);
        let outs = self.wires(n);
        for (k, o) in outs.iter().enumerate() {
            self.steps.push(Step {
                node: node.name.clone(),
                kind: make(*o, k, bias),
            });
        }
        QTensor {
            wires: outs,
            scale,
            pre_rounded: planned,
        }
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
                    params: None,
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
            Op::Threshold { checks, fixed } => self.threshold(node, &operands[0], checks, *fixed)?,
            Op::Product { pairs } => {
                let (a, b) = (&operands[0], &operands[1]);
                self.products(node, a.scale + b.scale, pairs.len(), |out, k, bias| StepKind::Product {
                    out,
                    a: a.wires[pairs[k].0],
                    b: b.wires[pairs[k].1],
                    bias,
                })
            }
            Op::Dot { groups } => {
                let (a, b) = (&operands[0], &operands[1]);
                self.products(node, a.scale + b.scale, groups.len(), |out, k, bias| StepKind::Dot {
                    out,
                    pairs: groups[k].iter().map(|&(i, j)| (a.wires[i], b.wires[j])).collect(),
                    bias,
                })
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
                let p = if *exact {
                    0
                } else {
                    let extra = if self.cfg.visibility.params_in_advice() {
                        0
                    } else if operands.iter().all(|t| t.scale == 0) {
                        integer_sum_bits(rows)
                    } else {
                        small_coefficient_bits(rows)
                    };
                    // keep the consumer's rescale within MAX_SHIFT
                    let room = (self.cfg.input_scale + MAX_SHIFT).saturating_sub(s_max + self.cfg.param_scale);
                    self.cfg.param_scale + extra.min(room)
                };
                let scale = s_max + p;
                let planned = self.planned_shift(&node.output, scale);
                let half = planned.map(|s| 1i128 << (s - 1)).unwrap_or(0);
                // With params not fixed (hashed, public, private) the weights of weight layers
                // and the constants of weight layers and of Add/Sub with a constant operand are
                // parameters: they keep their places even when zero, so the circuit depends on
                // the architecture only.
                let advice = self.cfg.visibility.params_in_advice();
                let param_bias = advice && (!exact || (matches!(node.op_type.as_str(), "Add" | "Sub") && node.inputs.len() == 1));
                let params = param_bias.then_some(ParamUse {
                    weights: !exact,
                    offset: half,
                });
                let outs = self.wires(rows.len());
                for ((o, row), b) in outs.iter().zip(rows).zip(bias) {
                    let mut terms = Vec::with_capacity(row.len());
                    for t in row {
                        let src = &operands[t.operand];
                        let shift = p + s_max - src.scale;
                        let w = round_i64(&node.name, t.coeff as f64 * 2f64.powi(shift as i32))?;
                        if w != 0 || params.is_some_and(|u| u.weights) {
                            terms.push((src.wires[t.index], w));
                        }
                    }
                    let bq = round_i64(&node.name, *b as f64 * 2f64.powi(scale as i32))? as i128 + half;
                    self.steps.push(Step {
                        node: node.name.clone(),
                        kind: StepKind::Linear {
                            out: *o,
                            terms,
                            bias: bq,
                            params,
                        },
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

/// The scale inputs that tree splits compare directly are quantized at, at least: splits
/// decide on the input's own value, so its quantum bounds how close to a threshold a sample
/// may lie and still fall on the float model's side (2^-10 resolves the third decimal). The
/// comparisons cost no table rows at this scale (see [`Builder::threshold`]); other consumers
/// rescale the inputs to the base scale as they would any finer value.
pub const SPLIT_INPUT_SCALE: u32 = 10;

/// The inputs' scale: the base scale, or [`SPLIT_INPUT_SCALE`] when a split reads an input
/// (through views and selections only).
fn input_scale(graph: &Graph, cfg: &QuantConfig) -> u32 {
    let mut raw: std::collections::HashSet<&str> = graph.inputs.iter().map(|i| i.name.as_str()).collect();
    let mut split = false;
    for n in &graph.nodes {
        let reads_raw = n.inputs.iter().all(|i| raw.contains(i.as_str()));
        match &n.op {
            Op::View | Op::Select { .. } if reads_raw => {
                raw.insert(&n.output);
            }
            Op::Threshold { .. } if n.inputs.first().is_some_and(|i| raw.contains(i.as_str())) => split = true,
            _ => {}
        }
    }
    if split {
        cfg.input_scale.max(SPLIT_INPUT_SCALE)
    } else {
        cfg.input_scale
    }
}

/// Lowers `graph` to a program with the given scales. Table ranges other than remainders are
/// left empty for [`super::calibrate`] to set.
pub fn build(graph: &Graph, cfg: &QuantConfig) -> Result<Program, QuantizeError> {
    build_with_sites(graph, cfg).map(|(p, _)| p)
}

/// [`build`], also returning where each threshold split's operand lives.
pub fn build_with_sites(graph: &Graph, cfg: &QuantConfig) -> Result<(Program, Vec<CutSite>), QuantizeError> {
    if cfg.visibility.params_in_advice() {
        if let Some(n) = graph.nodes.iter().find(|n| matches!(n.op, Op::Threshold { .. })) {
            return Err(QuantizeError::Node {
                node: n.name.clone(),
                reason: format!(
                    "its splits' thresholds are part of the circuit, so parameters in advice (--params {}) cannot stand for another model of this architecture; tree models take --params fixed (a retrained forest gets its own verifier)",
                    cfg.visibility.params
                ),
            });
        }
    }
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
        sites: Vec::new(),
    };
    let mut inputs = Vec::new();
    let in_scale = input_scale(graph, cfg);
    for gi in &graph.inputs {
        let wires = b.wires(gi.len());
        let table = b.table(TableKind::Input);
        b.tensors.insert(
            gi.name.clone(),
            QTensor {
                wires: wires.clone(),
                scale: in_scale,
                pre_rounded: None,
            },
        );
        inputs.push(ProgInput {
            name: gi.name.clone(),
            shape: gi.shape.clone(),
            scale: in_scale,
            wires,
            table,
            split: None,
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
    let mut program = Program {
        num_wires: b.num_wires,
        inputs,
        steps: b.steps,
        outputs,
        tables: b.tables,
        visibility: cfg.visibility,
        bound: Vec::new(),
        batch: 1,
    };
    if let Some(bits) = cfg.rem_bits {
        super::remainder::split_remainders(&mut program, bits);
    }
    Ok((program, b.sites))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Vis;
    use zkinfer_model::graph::{GraphInput, LinTerm};

    /// x (n values) → one split per (element, comparison) at `t`.
    fn splits(n: usize, t: f32) -> Graph {
        let cmps = [Cmp::Le, Cmp::Lt, Cmp::Ge, Cmp::Gt, Cmp::Eq, Cmp::Ne];
        let checks: Vec<Check> = (0..n)
            .flat_map(|index| cmps.iter().map(move |&cmp| Check { index, threshold: t, cmp }))
            .collect();
        let len = checks.len();
        Graph {
            inputs: vec![GraphInput {
                name: "x".into(),
                shape: vec![n],
            }],
            outputs: vec![("f".into(), vec![len])],
            nodes: vec![Node {
                name: "split".into(),
                op_type: "TreeEnsembleRegressor".into(),
                op: Op::Threshold { checks, fixed: false },
                inputs: vec!["x".into()],
                output: "f".into(),
                shape: vec![len],
            }],
        }
    }

    #[test]
    fn splits_decide_as_floats_do_at_and_around_the_threshold() {
        use crate::eval::{evaluate, quantize_inputs};
        for t in [0.3f32, -1.25, 7.0, 0.0009765625] {
            let g = splits(5, t);
            let step = 2f64.powi(-(SPLIT_INPUT_SCALE as i32));
            let xs: Vec<f64> = vec![t as f64, t as f64 - step, t as f64 + step, t as f64 - 0.01, t as f64 + 0.01];
            for scale in [2, 6, 12] {
                let cfg = QuantConfig::with_scale(scale, Visibility::default());
                let p = build(&g, &cfg).unwrap();
                assert_eq!(
                    p.inputs[0].scale,
                    scale.max(SPLIT_INPUT_SCALE),
                    "inputs compared by splits are quantized finely"
                );
                let q = quantize_inputs(&p, std::slice::from_ref(&xs)).unwrap();
                let (w, _) = evaluate(&p, &q, false).unwrap();
                let got = &w.dequantized_outputs(&p)[0];
                let Op::Threshold { checks, .. } = &g.nodes[0].op else {
                    unreachable!()
                };
                for (c, f) in checks.iter().zip(got) {
                    let want = c.cmp.holds(xs[c.index], c.threshold) as u8 as f64;
                    assert_eq!(*f, want, "t = {t}, scale {scale}: {:?} of {}", c.cmp, xs[c.index]);
                }
            }
        }
    }

    /// x (2 values) → Gemm-like layer with weights `w` and bias → Add of a constant.
    fn graph(w: [f32; 2], b: f32, c: f32) -> Graph {
        let term = |index, coeff| LinTerm { operand: 0, index, coeff };
        let node = |name: &str, op_type: &str, op, input: &str, output: &str| Node {
            name: name.into(),
            op_type: op_type.into(),
            op,
            inputs: vec![input.into()],
            output: output.into(),
            shape: vec![1],
        };
        Graph {
            inputs: vec![GraphInput {
                name: "x".into(),
                shape: vec![2],
            }],
            outputs: vec![("z".into(), vec![1])],
            nodes: vec![
                node(
                    "dense",
                    "Gemm",
                    Op::Linear {
                        exact: false,
                        rows: vec![vec![term(0, w[0]), term(1, w[1])]],
                        bias: vec![b],
                    },
                    "x",
                    "y",
                ),
                node(
                    "shift",
                    "Add",
                    Op::Linear {
                        exact: true,
                        rows: vec![vec![term(0, 1.0)]],
                        bias: vec![c],
                    },
                    "y",
                    "z",
                ),
            ],
        }
    }

    fn hashed() -> QuantConfig {
        QuantConfig::with_scale(
            4,
            Visibility {
                params: Vis::Hashed,
                ..Default::default()
            },
        )
    }

    #[test]
    fn small_coefficients_get_extra_bits_and_weight_layers_do_not() {
        let cfg = QuantConfig::with_scale(13, Default::default());
        let weights = |p: &Program| match &p.steps[0].kind {
            StepKind::Linear { terms, .. } => terms.iter().map(|t| t.1).collect::<Vec<_>>(),
            _ => unreachable!(),
        };
        // a mean of 60 values: 1/60 at 2^15 (546, 0.02% off) rather than at 2^13 (137, 0.34% off)
        let mean = build(&graph([1.0 / 60.0, 1.0 / 60.0], 0.0, 0.0), &cfg).unwrap();
        assert_eq!(weights(&mean), vec![546, 546]);
        let w = 546.0 / 2f64.powi(15);
        assert!(((w - 1.0 / 60.0) * 60.0).abs() < 3e-4);
        // a largest weight of 1/16 or more: the parameter scale, as before
        let dense = build(&graph([1.0 / 16.0, -0.01], 0.0, 0.0), &cfg).unwrap();
        assert_eq!(weights(&dense), vec![512, -82]);
        assert_eq!(small_coefficient_bits(&[vec![]]), 0);
        let row = |c: f32| {
            vec![vec![LinTerm {
                operand: 0,
                index: 0,
                coeff: c,
            }]]
        };
        assert_eq!(small_coefficient_bits(&row(0.05)), 1);
        assert_eq!(small_coefficient_bits(&row(-1.0 / 768.0)), 6);
        assert_eq!(small_coefficient_bits(&row(1e-30)), MAX_COEFF_EXTRA_BITS);
        // parameters in advice: the circuit may not depend on the weights' values
        let hashed = QuantConfig {
            param_scale: 13,
            input_scale: 13,
            ..hashed()
        };
        let hashed_mean = build(&graph([1.0 / 60.0, 1.0 / 60.0], 0.0, 0.0), &hashed).unwrap();
        assert_eq!(weights(&hashed_mean), vec![137, 137]);
    }

    #[test]
    fn hashed_params_keep_zero_weights_and_one_skeleton_per_architecture() {
        // fixed params drop a zero weight; hashed params keep its place
        let fixed = build(&graph([0.5, 0.0], 0.25, 1.0), &QuantConfig::with_scale(4, Default::default())).unwrap();
        let a = build(&graph([0.5, 0.0], 0.25, 1.0), &hashed()).unwrap();
        let terms = |p: &Program| match &p.steps[0].kind {
            StepKind::Linear { terms, .. } => terms.len(),
            _ => unreachable!(),
        };
        assert_eq!((terms(&fixed), terms(&a)), (1, 2));
        assert_eq!(fixed.param_count(), 0);
        // the layer's bias (2^8 scale) and weights (2^4), then the Add's constant (2^8)
        assert_eq!(a.param_values(), vec![64, 8, 0, 256]);
        // other weights and constants: the same skeleton; another structure: a difference
        let b = build(&graph([-1.0, 2.0], 0.0, -3.0), &hashed()).unwrap();
        assert_ne!(a.param_values(), b.param_values());
        assert_eq!(a.architecture_difference(&b), None);
        let mut c = build(&graph([0.5, 0.0], 0.25, 1.0), &hashed()).unwrap();
        c.steps.swap(0, 1);
        assert!(a.architecture_difference(&c).unwrap().contains("step 0"));
        // with fixed params other weights are another circuit
        let fixed_b = build(&graph([-1.0, 2.0], 0.0, -3.0), &QuantConfig::with_scale(4, Default::default())).unwrap();
        assert!(fixed.architecture_difference(&fixed_b).is_some());
    }
}
