//! The shared lowering of ONNX's recurrent ops (`RNN`, `GRU`, `LSTM`): the sequence is unrolled
//! into one cell step after another. Each step is a few linear layers over the step's input and
//! the previous hidden (and cell) state, gate activations as lookup tables and element-wise
//! products; the outputs `Y`, `Y_h` and `Y_c` are copies of the step states.
//!
//! Covered: forward, reverse and bidirectional directions, both layouts, constant sequence
//! lengths (shorter sequences stop early, their `Y` rows are zero and `Y_h` is their last step,
//! or zero for a sequence of length 0, as onnxruntime has it),
//! computed or constant initial states, LSTM peepholes, GRU's `linear_before_reset`, and the
//! activations `Sigmoid`, `Tanh`, `Relu`, `LeakyRelu`, `HardSigmoid`, `Elu`, `Softsign`,
//! `Softplus`, `Affine` and `ScaledTanh` (their `activation_alpha`/`activation_beta` values
//! consumed in order by the functions that take them). Refused with a named reason: the `clip`
//! attribute, LSTM's `input_forget`, `ThresholdedRelu` and computed weights or sequence lengths.

use super::{Composite, LowerCtx, Lowered, Operand};
use crate::graph::{Activation, LinTerm, Op, Param, Source};
use crate::{ModelError, Tensor};

/// Which recurrent cell a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cell {
    /// `RNN`: `H = f(X·Wᵀ + H·Rᵀ + Wb + Rb)`.
    Rnn,
    /// `GRU`: update and reset gates, a candidate state.
    Gru,
    /// `LSTM`: input, output, forget gates and a cell state.
    Lstm,
}

impl Cell {
    /// Gate blocks in `W` and `R` (ONNX order: GRU z, r, h; LSTM i, o, f, c).
    fn gates(self) -> usize {
        match self {
            Cell::Rnn => 1,
            Cell::Gru => 3,
            Cell::Lstm => 4,
        }
    }

    /// The default activations of one direction.
    fn default_activations(self) -> &'static [&'static str] {
        match self {
            Cell::Rnn => &["Tanh"],
            Cell::Gru => &["Sigmoid", "Tanh"],
            Cell::Lstm => &["Sigmoid", "Tanh", "Tanh"],
        }
    }
}

/// An activation function of a recurrent cell.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Func {
    /// One lookup table.
    Table(Activation),
    /// `alpha·x + beta`.
    Affine { alpha: f32, beta: f32 },
    /// `alpha·tanh(beta·x)`.
    ScaledTanh { alpha: f32, beta: f32 },
}

/// Reads the `activations` attribute (with its alpha and beta lists) into one list per
/// direction.
fn activations(ctx: &LowerCtx, cell: Cell, dirs: usize) -> Result<Vec<Vec<Func>>, ModelError> {
    let per = cell.default_activations().len();
    let names = ctx.attr_strs("activations").unwrap_or_else(|| {
        (0..dirs)
            .flat_map(|_| cell.default_activations().iter().map(|s| s.to_string()))
            .collect()
    });
    if names.len() != per * dirs {
        return Err(ctx.err(format!(
            "`activations` lists {} functions; a {} with {dirs} direction(s) takes {}",
            names.len(),
            ctx.proto.op_type,
            per * dirs
        )));
    }
    let alphas = ctx.attr_floats("activation_alpha")?.unwrap_or_default();
    let betas = ctx.attr_floats("activation_beta")?.unwrap_or_default();
    let (mut ai, mut bi) = (alphas.iter(), betas.iter());
    let mut alpha = |d: f32| ai.next().map(|&v| v as f32).unwrap_or(d);
    let mut beta = |d: f32| bi.next().map(|&v| v as f32).unwrap_or(d);
    let mut funcs = Vec::new();
    for name in &names {
        let f = match name.to_ascii_lowercase().as_str() {
            "sigmoid" => Func::Table(Activation::Sigmoid),
            "tanh" => Func::Table(Activation::Tanh),
            "relu" => Func::Table(Activation::Relu),
            "softsign" => Func::Table(Activation::Softsign),
            "softplus" => Func::Table(Activation::Softplus),
            "leakyrelu" => Func::Table(Activation::LeakyRelu {
                alpha: Param::new(alpha(0.01)),
            }),
            "elu" => Func::Table(Activation::Elu {
                alpha: Param::new(alpha(1.0)),
            }),
            "hardsigmoid" => {
                let a = alpha(0.2);
                Func::Table(Activation::HardSigmoid {
                    alpha: Param::new(a),
                    beta: Param::new(beta(0.5)),
                })
            }
            "affine" => {
                let a = alpha(1.0);
                Func::Affine { alpha: a, beta: beta(0.0) }
            }
            "scaledtanh" => {
                let a = alpha(1.0);
                Func::ScaledTanh { alpha: a, beta: beta(1.0) }
            }
            "thresholdedrelu" => return Err(ctx.unsupported_form("the activation ThresholdedRelu is not supported in recurrent cells")),
            other => return Err(ctx.err(format!("unknown activation `{other}`"))),
        };
        funcs.push(f);
    }
    Ok(funcs.chunks(per).map(|c| c.to_vec()).collect())
}

/// Applies `f` to every element of `x`.
fn apply(c: &mut Composite, f: Func, x: String, shape: &[usize]) -> String {
    let n: usize = shape.iter().product();
    let scale = |c: &mut Composite, x: String, alpha: f32, beta: f32| {
        let rows = (0..n)
            .map(|i| {
                vec![LinTerm {
                    operand: 0,
                    index: i,
                    coeff: alpha,
                }]
            })
            .collect();
        c.add(
            Op::Linear {
                exact: alpha == 1.0 && beta == 0.0,
                rows,
                bias: vec![beta; n],
            },
            vec![x],
            shape.to_vec(),
        )
    };
    match f {
        Func::Table(a) => c.add(Op::Activation(a), vec![x], shape.to_vec()),
        Func::Affine { alpha, beta } => scale(c, x, alpha, beta),
        Func::ScaledTanh { alpha, beta } => {
            let y = scale(c, x, beta, 0.0);
            let t = c.add(Op::Activation(Activation::Tanh), vec![y], shape.to_vec());
            scale(c, t, alpha, 0.0)
        }
    }
}

/// A hidden or cell state: element `(b, k)` of a variable tensor at `base[b] + k`, or constants
/// (`b·hidden + k`).
#[derive(Clone, Debug)]
enum State {
    Var { name: String, base: Vec<usize> },
    Const(Vec<f32>),
}

/// A linear layer under construction: operands by name, one row per output element.
struct Lin {
    names: Vec<String>,
    rows: Vec<Vec<LinTerm>>,
    bias: Vec<f32>,
}

impl Lin {
    fn new(n: usize) -> Self {
        Lin {
            names: Vec::new(),
            rows: vec![Vec::new(); n],
            bias: vec![0.0; n],
        }
    }

    fn term(&mut self, row: usize, name: &str, index: usize, coeff: f32) {
        if coeff == 0.0 {
            return;
        }
        let operand = super::operand_index(&mut self.names, name);
        self.rows[row].push(LinTerm { operand, index, coeff });
    }

    /// `coeff ·` element `(b, k)` of a state.
    fn state(&mut self, row: usize, s: &State, b: usize, k: usize, hidden: usize, coeff: f32) {
        match s {
            State::Var { name, base } => self.term(row, name, base[b] + k, coeff),
            State::Const(v) => self.bias[row] += coeff * v[b * hidden + k],
        }
    }

    /// Adds the layer; `exact` when every coefficient is ±1.
    fn add(self, c: &mut Composite, shape: Vec<usize>) -> String {
        let exact = self.rows.iter().flatten().all(|t| t.coeff == 1.0 || t.coeff == -1.0);
        self.add_as(c, shape, exact)
    }

    /// Adds the layer as a sum that rescales its operands (not `exact`): a state that is a sum
    /// of products would otherwise gain the scale of a product at every step.
    fn add_rescaled(self, c: &mut Composite, shape: Vec<usize>) -> String {
        self.add_as(c, shape, false)
    }

    fn add_as(self, c: &mut Composite, shape: Vec<usize>, exact: bool) -> String {
        c.add(
            Op::Linear {
                exact,
                rows: self.rows,
                bias: self.bias,
            },
            self.names,
            shape,
        )
    }
}

/// Where a batch's state row lives: a step tensor and the row's first index in it.
type At = (String, usize);

/// The node's constants and dimensions.
struct Dims<'a> {
    x: String,
    layout_batch_first: bool,
    seq: usize,
    batch: usize,
    input: usize,
    hidden: usize,
    dirs: usize,
    w: &'a Tensor,
    r: &'a Tensor,
    /// `[dirs, 2·gates·hidden]` (zeros when absent).
    b: Vec<f32>,
    gates: usize,
}

impl Dims<'_> {
    fn x_index(&self, t: usize, b: usize, k: usize) -> usize {
        if self.layout_batch_first {
            (b * self.seq + t) * self.input + k
        } else {
            (t * self.batch + b) * self.input + k
        }
    }

    /// Flat index of `(d, b, k)` in an initial state or `Y_h`/`Y_c`.
    fn state_index(&self, d: usize, b: usize, k: usize) -> usize {
        if self.layout_batch_first {
            (b * self.dirs + d) * self.hidden + k
        } else {
            (d * self.batch + b) * self.hidden + k
        }
    }

    fn state_shape(&self) -> Vec<usize> {
        if self.layout_batch_first {
            vec![self.batch, self.dirs, self.hidden]
        } else {
            vec![self.dirs, self.batch, self.hidden]
        }
    }

    fn y_index(&self, t: usize, d: usize, b: usize, k: usize) -> usize {
        if self.layout_batch_first {
            ((b * self.seq + t) * self.dirs + d) * self.hidden + k
        } else {
            ((t * self.dirs + d) * self.batch + b) * self.hidden + k
        }
    }

    fn y_shape(&self) -> Vec<usize> {
        if self.layout_batch_first {
            vec![self.batch, self.seq, self.dirs, self.hidden]
        } else {
            vec![self.seq, self.dirs, self.batch, self.hidden]
        }
    }

    /// Adds gate `q`'s pre-activation of unit `j` for batch `b` at time `t` to `row`: the input
    /// weights, `Wb`, and (with `recurrent`) the recurrent weights on `h` and `Rb`.
    #[allow(clippy::too_many_arguments)]
    fn gate(&self, lin: &mut Lin, row: usize, d: usize, q: usize, j: usize, b: usize, t: usize, h: Option<&State>) {
        let (gh, hs, is) = (self.gates * self.hidden, self.hidden, self.input);
        let unit = q * hs + j;
        for k in 0..is {
            lin.term(row, &self.x, self.x_index(t, b, k), self.w.data[(d * gh + unit) * is + k]);
        }
        lin.bias[row] += self.b[d * 2 * gh + unit];
        if let Some(h) = h {
            for k in 0..hs {
                lin.state(row, h, b, k, hs, self.r.data[(d * gh + unit) * hs + k]);
            }
            lin.bias[row] += self.b[d * 2 * gh + gh + unit];
        }
    }
}

/// `gate[idx(p, k)] · s(b, k)` for the active batches (`None` when `s` is constant zero).
fn times_state(
    c: &mut Composite,
    gate: &str,
    idx: impl Fn(usize, usize) -> usize,
    s: &State,
    active: &[usize],
    hs: usize,
) -> Option<String> {
    let shape = vec![active.len(), hs];
    match s {
        State::Var { name, base } => {
            let pairs = active
                .iter()
                .enumerate()
                .flat_map(|(p, &b)| (0..hs).map(move |k| (p, b, k)))
                .map(|(p, b, k)| (idx(p, k), base[b] + k))
                .collect();
            Some(c.add(Op::Product { pairs }, vec![gate.to_string(), name.clone()], shape))
        }
        State::Const(v) => {
            if v.iter().all(|&x| x == 0.0) {
                return None;
            }
            let mut lin = Lin::new(active.len() * hs);
            for (p, &b) in active.iter().enumerate() {
                for k in 0..hs {
                    lin.term(p * hs + k, gate, idx(p, k), v[b * hs + k]);
                }
            }
            Some(lin.add(c, shape))
        }
    }
}

/// Reads an optional initial state (slot `i`): constant, computed, or zeros when absent.
fn initial(ctx: &LowerCtx, i: usize, what: &str, dims: &Dims) -> Result<Vec<State>, ModelError> {
    let want = dims.state_shape();
    let bases = |d: usize| (0..dims.batch).map(|b| dims.state_index(d, b, 0)).collect::<Vec<_>>();
    match ctx.inputs.get(i) {
        None | Some(Operand::Absent) => Ok(vec![State::Const(vec![0.0; dims.batch * dims.hidden]); dims.dirs]),
        Some(op) => {
            let shape = op.shape().unwrap_or(&[]);
            if shape != want.as_slice() {
                return Err(ctx.err(format!("{what} (input #{i}) has shape {shape:?}, expected {want:?}")));
            }
            Ok((0..dims.dirs)
                .map(|d| match op {
                    Operand::Var { name, .. } => State::Var {
                        name: name.clone(),
                        base: bases(d),
                    },
                    Operand::Const(t) => State::Const(bases(d).iter().flat_map(|&o| t.data[o..o + dims.hidden].to_vec()).collect()),
                    Operand::Absent => unreachable!("matched above"),
                })
                .collect())
        }
    }
}

fn check_shape(ctx: &LowerCtx, t: &Tensor, what: &str, i: usize, want: &[usize]) -> Result<(), ModelError> {
    if t.shape != want {
        return Err(ctx.err(format!("{what} (input #{i}) has shape {:?}, expected {want:?}", t.shape)));
    }
    Ok(())
}

/// Lowers an `RNN`, `GRU` or `LSTM` node.
pub fn lower(ctx: &LowerCtx, cell: Cell) -> Result<Lowered, ModelError> {
    let layout = ctx.attr_int("layout", 0);
    if layout != 0 && layout != 1 {
        return Err(ctx.err(format!("layout {layout} is neither 0 nor 1")));
    }
    if ctx.has_attr("clip") {
        return Err(ctx.unsupported_form("the `clip` attribute (cell clipping) is not supported"));
    }
    if cell == Cell::Lstm && ctx.attr_int("input_forget", 0) != 0 {
        return Err(ctx.unsupported_form("`input_forget` (coupled input and forget gates) is not supported"));
    }
    let (x, xs) = ctx.var(0)?;
    if xs.len() != 3 {
        return Err(ctx.err(format!("X has shape {xs:?}; it must have rank 3")));
    }
    let batch_first = layout == 1;
    let (seq, batch, input) = if batch_first {
        (xs[1], xs[0], xs[2])
    } else {
        (xs[0], xs[1], xs[2])
    };
    let direction = ctx.attr_str("direction", "forward");
    let reversed: Vec<bool> = match direction.as_str() {
        "forward" => vec![false],
        "reverse" => vec![true],
        "bidirectional" => vec![false, true],
        other => return Err(ctx.err(format!("direction `{other}` is not forward, reverse or bidirectional"))),
    };
    let dirs = reversed.len();
    let gates = cell.gates();
    let w = ctx.konst(1, "W")?;
    let r = ctx.konst(2, "R")?;
    let hidden = match ctx.attr_int("hidden_size", 0) {
        h if h > 0 => h as usize,
        _ => w.shape.get(1).copied().unwrap_or(0) / gates,
    };
    if hidden == 0 {
        return Err(ctx.err("hidden_size is 0"));
    }
    if gates.checked_mul(hidden).and_then(|g| g.checked_mul(input.max(hidden))).is_none() {
        return Err(ctx.err(format!("hidden_size {hidden} is too large")));
    }
    check_shape(ctx, w, "W", 1, &[dirs, gates * hidden, input])?;
    check_shape(ctx, r, "R", 2, &[dirs, gates * hidden, hidden])?;
    let b = match ctx.opt_konst(3, "B")? {
        Some(t) => {
            check_shape(ctx, t, "B", 3, &[dirs, 2 * gates * hidden])?;
            t.data.clone()
        }
        None => vec![0.0; dirs * 2 * gates * hidden],
    };
    let lens: Vec<usize> = match ctx.opt_const_ints(4, "sequence_lens")? {
        Some(v) => {
            if v.len() != batch {
                return Err(ctx.err(format!("sequence_lens has {} values for a batch of {batch}", v.len())));
            }
            v.iter()
                .map(|&l| {
                    usize::try_from(l)
                        .ok()
                        .filter(|&l| l <= seq)
                        .ok_or_else(|| ctx.err(format!("sequence length {l} is outside 0..={seq}")))
                })
                .collect::<Result<_, _>>()?
        }
        None => vec![seq; batch],
    };
    if lens.iter().all(|&l| l == 0) {
        return Err(ctx.err("every sequence length is 0"));
    }
    let per_step = (gates * hidden).saturating_mul(input.saturating_add(hidden).saturating_add(4));
    ctx.check_terms(seq.saturating_mul(dirs).saturating_mul(batch).saturating_mul(per_step))?;
    let dims = Dims {
        x,
        layout_batch_first: batch_first,
        seq,
        batch,
        input,
        hidden,
        dirs,
        w,
        r,
        b,
        gates,
    };
    let funcs = activations(ctx, cell, dirs)?;
    let h0 = initial(ctx, 5, "initial_h", &dims)?;
    let (c0, peep) = if cell == Cell::Lstm {
        let p = match ctx.opt_konst(7, "P")? {
            Some(t) => {
                check_shape(ctx, t, "P", 7, &[dirs, 3 * hidden])?;
                Some(t.data.clone())
            }
            None => None,
        };
        (initial(ctx, 6, "initial_c", &dims)?, p)
    } else {
        (Vec::new(), None)
    };
    let linear_before_reset = cell == Cell::Gru && ctx.attr_int("linear_before_reset", 0) != 0;
    let hs = hidden;
    let mut c = Composite::new(ctx);
    // per direction: the state each batch ends with, and where Y's (t, b) row lives
    let mut last_h = Vec::new();
    let mut last_c = Vec::new();
    let mut y_rows: Vec<Vec<Vec<Option<At>>>> = vec![vec![vec![None; batch]; seq]; dirs];
    for (d, &rev) in reversed.iter().enumerate() {
        let f = &funcs[d];
        let mut h = h0[d].clone();
        let mut cs = c0.get(d).cloned();
        let mut h_end = vec![None; batch];
        let mut c_end = vec![None; batch];
        for s in 0..seq {
            let active: Vec<usize> = (0..batch).filter(|&b| lens[b] > s).collect();
            if active.is_empty() {
                break;
            }
            let time = |b: usize| if rev { lens[b] - 1 - s } else { s };
            let na = active.len();
            let (new_h, new_c) = match cell {
                Cell::Rnn => {
                    let mut lin = Lin::new(na * hs);
                    for (p, &bb) in active.iter().enumerate() {
                        for j in 0..hs {
                            dims.gate(&mut lin, p * hs + j, d, 0, j, bb, time(bb), Some(&h));
                        }
                    }
                    let pre = lin.add(&mut c, vec![na, hs]);
                    (apply(&mut c, f[0], pre, &[na, hs]), None)
                }
                Cell::Gru => {
                    // z (slot 0) and r (slot 1)
                    let mut lin = Lin::new(na * 2 * hs);
                    for (p, &bb) in active.iter().enumerate() {
                        for q in 0..2 {
                            for j in 0..hs {
                                dims.gate(&mut lin, (p * 2 + q) * hs + j, d, q, j, bb, time(bb), Some(&h));
                            }
                        }
                    }
                    let pre = lin.add(&mut c, vec![na, 2 * hs]);
                    let zr = apply(&mut c, f[0], pre, &[na, 2 * hs]);
                    let r_at = |p: usize, k: usize| (p * 2 + 1) * hs + k;
                    let gh = gates * hs;
                    let mut lin = Lin::new(na * hs);
                    for (p, &bb) in active.iter().enumerate() {
                        for j in 0..hs {
                            dims.gate(&mut lin, p * hs + j, d, 2, j, bb, time(bb), None);
                            // Rbh
                            lin.bias[p * hs + j] += dims.b[d * 2 * gh + gh + 2 * hs + j];
                        }
                    }
                    let rh_weight = |j: usize, k: usize| dims.r.data[(d * gh + 2 * hs + j) * hs + k];
                    if !linear_before_reset {
                        // (r ⊙ H)·Rhᵀ
                        if let Some(rh) = times_state(&mut c, &zr, r_at, &h, &active, hs) {
                            for p in 0..na {
                                for j in 0..hs {
                                    for k in 0..hs {
                                        lin.term(p * hs + j, &rh, p * hs + k, rh_weight(j, k));
                                    }
                                }
                            }
                        }
                    } else {
                        // r ⊙ (H·Rhᵀ + Rbh): Rbh moves inside the product
                        let mut hr = Lin::new(na * hs);
                        for (p, &bb) in active.iter().enumerate() {
                            for j in 0..hs {
                                lin.bias[p * hs + j] -= dims.b[d * 2 * gh + gh + 2 * hs + j];
                                hr.bias[p * hs + j] = dims.b[d * 2 * gh + gh + 2 * hs + j];
                                for k in 0..hs {
                                    hr.state(p * hs + j, &h, bb, k, hs, rh_weight(j, k));
                                }
                            }
                        }
                        let hr_state = if hr.names.is_empty() {
                            // constant: expand to the batch layout times_state reads
                            let mut v = vec![0.0; batch * hs];
                            for (p, &bb) in active.iter().enumerate() {
                                v[bb * hs..(bb + 1) * hs].copy_from_slice(&hr.bias[p * hs..(p + 1) * hs]);
                            }
                            State::Const(v)
                        } else {
                            let mut base = vec![0; batch];
                            for (p, &bb) in active.iter().enumerate() {
                                base[bb] = p * hs;
                            }
                            State::Var {
                                name: hr.add(&mut c, vec![na, hs]),
                                base,
                            }
                        };
                        if let Some(rr) = times_state(&mut c, &zr, r_at, &hr_state, &active, hs) {
                            for p in 0..na {
                                for j in 0..hs {
                                    lin.term(p * hs + j, &rr, p * hs + j, 1.0);
                                }
                            }
                        }
                    }
                    let pre_h = lin.add(&mut c, vec![na, hs]);
                    let ht = apply(&mut c, f[1], pre_h, &[na, hs]);
                    // H = ht + z ⊙ (H_prev − ht)
                    let mut diff = Lin::new(na * hs);
                    for (p, &bb) in active.iter().enumerate() {
                        for k in 0..hs {
                            diff.state(p * hs + k, &h, bb, k, hs, 1.0);
                            diff.term(p * hs + k, &ht, p * hs + k, -1.0);
                        }
                    }
                    let diff = diff.add(&mut c, vec![na, hs]);
                    let pairs = (0..na).flat_map(|p| (0..hs).map(move |k| (p * 2 * hs + k, p * hs + k))).collect();
                    let zd = c.add(Op::Product { pairs }, vec![zr.clone(), diff], vec![na, hs]);
                    let mut sum = Lin::new(na * hs);
                    for i in 0..na * hs {
                        sum.term(i, &ht, i, 1.0);
                        sum.term(i, &zd, i, 1.0);
                    }
                    (sum.add_rescaled(&mut c, vec![na, hs]), None)
                }
                Cell::Lstm => {
                    let cprev = cs.clone().expect("an LSTM has a cell state");
                    let p_at = |which: usize, j: usize| peep.as_ref().map_or(0.0, |p| p[d * 3 * hs + which * hs + j]);
                    // sigmoid-side gates: i (slot 0), f (slot 1), and o (slot 2) unless its
                    // peephole needs the new cell state
                    let o_inline = peep.is_none();
                    let sig_gates: Vec<usize> = if o_inline { vec![0, 2, 1] } else { vec![0, 2] };
                    let ns = sig_gates.len();
                    let mut lin = Lin::new(na * ns * hs);
                    for (p, &bb) in active.iter().enumerate() {
                        for (slot, &q) in sig_gates.iter().enumerate() {
                            for j in 0..hs {
                                let row = (p * ns + slot) * hs + j;
                                dims.gate(&mut lin, row, d, q, j, bb, time(bb), Some(&h));
                                // peepholes: P = [p_i, p_o, p_f]
                                match q {
                                    0 => lin.state(row, &cprev, bb, j, hs, p_at(0, j)),
                                    2 => lin.state(row, &cprev, bb, j, hs, p_at(2, j)),
                                    _ => {}
                                }
                            }
                        }
                    }
                    let pre = lin.add(&mut c, vec![na, ns * hs]);
                    let sig = apply(&mut c, f[0], pre, &[na, ns * hs]);
                    let mut lin = Lin::new(na * hs);
                    for (p, &bb) in active.iter().enumerate() {
                        for j in 0..hs {
                            dims.gate(&mut lin, p * hs + j, d, 3, j, bb, time(bb), Some(&h));
                        }
                    }
                    let pre_c = lin.add(&mut c, vec![na, hs]);
                    let g = apply(&mut c, f[1], pre_c, &[na, hs]);
                    // C = f ⊙ C_prev + i ⊙ g
                    let fc = times_state(&mut c, &sig, |p, k| (p * ns + 1) * hs + k, &cprev, &active, hs);
                    let pairs = (0..na).flat_map(|p| (0..hs).map(move |k| (p * ns * hs + k, p * hs + k))).collect();
                    let ig = c.add(Op::Product { pairs }, vec![sig.clone(), g], vec![na, hs]);
                    let cell_state = match fc {
                        Some(fc) => {
                            let mut sum = Lin::new(na * hs);
                            for i in 0..na * hs {
                                sum.term(i, &fc, i, 1.0);
                                sum.term(i, &ig, i, 1.0);
                            }
                            sum.add_rescaled(&mut c, vec![na, hs])
                        }
                        None => ig,
                    };
                    let (o, o_at): (String, Box<dyn Fn(usize, usize) -> usize>) = if o_inline {
                        (sig.clone(), Box::new(move |p, k| (p * ns + 2) * hs + k))
                    } else {
                        let mut lin = Lin::new(na * hs);
                        for (p, &bb) in active.iter().enumerate() {
                            for j in 0..hs {
                                dims.gate(&mut lin, p * hs + j, d, 1, j, bb, time(bb), Some(&h));
                                lin.term(p * hs + j, &cell_state, p * hs + j, p_at(1, j));
                            }
                        }
                        let pre_o = lin.add(&mut c, vec![na, hs]);
                        (apply(&mut c, f[0], pre_o, &[na, hs]), Box::new(move |p, k| p * hs + k))
                    };
                    let hc = apply(&mut c, f[2], cell_state.clone(), &[na, hs]);
                    let pairs = (0..na)
                        .flat_map(|p| (0..hs).map(move |k| (p, k)))
                        .map(|(p, k)| (o_at(p, k), p * hs + k))
                        .collect();
                    let new_h = c.add(Op::Product { pairs }, vec![o, hc], vec![na, hs]);
                    (new_h, Some(cell_state))
                }
            };
            let mut base = vec![0; batch];
            for (p, &bb) in active.iter().enumerate() {
                base[bb] = p * hs;
                y_rows[d][time(bb)][bb] = Some((new_h.clone(), p * hs));
                h_end[bb] = Some((new_h.clone(), p * hs));
                if let Some(nc) = &new_c {
                    c_end[bb] = Some((nc.clone(), p * hs));
                }
            }
            h = State::Var { name: new_h, base };
            if let Some(nc) = new_c {
                let mut base = vec![0; batch];
                for (p, &bb) in active.iter().enumerate() {
                    base[bb] = p * hs;
                }
                cs = Some(State::Var { name: nc, base });
            }
        }
        last_h.push(h_end);
        if cell == Cell::Lstm {
            last_c.push(c_end);
        }
    }
    // the outputs, by position (an empty name is an absent output)
    let named = |k: usize| ctx.proto.output.get(k).filter(|n| !n.is_empty()).cloned();
    let mut wanted = 0;
    if let Some(y) = named(0) {
        wanted += 1;
        let shape = dims.y_shape();
        let mut names: Vec<String> = Vec::new();
        let mut sources = vec![Source::Const(0.0); shape.iter().product()];
        for (d, rows) in y_rows.iter().enumerate() {
            for (t, row) in rows.iter().enumerate() {
                for (bb, at) in row.iter().enumerate() {
                    if let Some((name, base)) = at {
                        let operand = super::operand_index(&mut names, name);
                        for k in 0..hs {
                            sources[dims.y_index(t, d, bb, k)] = Source::Wire { operand, index: base + k };
                        }
                    }
                }
            }
        }
        c.add_output(Op::Select { sources }, names, shape, &y);
    }
    for (slot, states) in [(1, &last_h), (2, &last_c)] {
        let Some(out) = named(slot) else { continue };
        if states.is_empty() {
            return Err(ctx.err(format!("output #{slot} is only an LSTM's")));
        }
        wanted += 1;
        let mut names: Vec<String> = Vec::new();
        let mut sources = vec![Source::Const(0.0); dirs * batch * hs];
        for (d, ends) in states.iter().enumerate() {
            for (bb, end) in ends.iter().enumerate() {
                for k in 0..hs {
                    // a sequence of length 0 ends with zeros (onnxruntime's reading)
                    sources[dims.state_index(d, bb, k)] = match end {
                        Some((name, base)) => Source::Wire {
                            operand: super::operand_index(&mut names, name),
                            index: base + k,
                        },
                        None => Source::Const(0.0),
                    };
                }
            }
        }
        c.add_output(Op::Select { sources }, names, dims.state_shape(), &out);
    }
    if wanted == 0 {
        return Err(ctx.err("none of its outputs is named"));
    }
    Ok(c.finish())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::Cell;
    use crate::ops::{Lowered, Operand};
    use std::collections::HashMap;

    /// Seeded values in [-1, 1).
    fn values(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    /// Runs the lowered graph in floating point.
    fn eval(l: &Lowered, inputs: &[(&str, Vec<f32>)]) -> HashMap<String, Vec<f64>> {
        let mut v: HashMap<String, Vec<f64>> = inputs
            .iter()
            .map(|(n, x)| (n.to_string(), x.iter().map(|&a| a as f64).collect()))
            .collect();
        let Lowered::Graph(g) = l else { panic!("{l:?}") };
        for s in g {
            let xs: Vec<&[f64]> = s.inputs.iter().map(|n| v[n].as_slice()).collect();
            let out = s.op.eval_float(&xs);
            assert_eq!(out.len(), s.shape.iter().product::<usize>(), "{}", s.output);
            v.insert(s.output.clone(), out);
        }
        v
    }

    fn lowering(cell: Cell) -> crate::ops::LowerFn {
        match cell {
            Cell::Lstm => crate::ops::lstm::lower,
            Cell::Gru => crate::ops::gru::lower,
            Cell::Rnn => crate::ops::rnn::lower,
        }
    }

    fn sig(x: f64) -> f64 {
        1.0 / (1.0 + (-x).exp())
    }

    /// The spec's equations, written out directly (layout 0): Y, Y_h, Y_c.
    #[allow(clippy::too_many_arguments)]
    fn reference(
        cell: Cell,
        x: &[f32],
        (seq, batch, input, hidden, dirs): (usize, usize, usize, usize, usize),
        w: &[f32],
        r: &[f32],
        b: &[f32],
        lens: &[usize],
        h0: &[f32],
        c0: &[f32],
        p: Option<&[f32]>,
        lbr: bool,
        reverse: bool,
    ) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let g = cell.gates();
        let gh = g * hidden;
        let mut y = vec![0.0; seq * dirs * batch * hidden];
        let mut yh = vec![0.0; dirs * batch * hidden];
        let mut yc = vec![0.0; dirs * batch * hidden];
        for d in 0..dirs {
            let rev = (dirs == 2 && d == 1) || reverse;
            for bb in 0..batch {
                let mut h: Vec<f64> = (0..hidden).map(|k| h0[(d * batch + bb) * hidden + k] as f64).collect();
                let mut c: Vec<f64> = (0..hidden).map(|k| c0[(d * batch + bb) * hidden + k] as f64).collect();
                for s in 0..lens[bb] {
                    let t = if rev { lens[bb] - 1 - s } else { s };
                    // pre[q][j] = x·W + Wb (+ h·R + Rb)
                    let xw = |q: usize, j: usize| -> f64 {
                        let u = q * hidden + j;
                        (0..input)
                            .map(|k| x[(t * batch + bb) * input + k] as f64 * w[(d * gh + u) * input + k] as f64)
                            .sum::<f64>()
                            + b[d * 2 * gh + u] as f64
                    };
                    let hr = |h: &[f64], q: usize, j: usize| -> f64 {
                        let u = q * hidden + j;
                        (0..hidden).map(|k| h[k] * r[(d * gh + u) * hidden + k] as f64).sum::<f64>() + b[d * 2 * gh + gh + u] as f64
                    };
                    let new_h: Vec<f64> = match cell {
                        Cell::Rnn => (0..hidden).map(|j| (xw(0, j) + hr(&h, 0, j)).tanh()).collect(),
                        Cell::Gru => {
                            let z: Vec<f64> = (0..hidden).map(|j| sig(xw(0, j) + hr(&h, 0, j))).collect();
                            let rr: Vec<f64> = (0..hidden).map(|j| sig(xw(1, j) + hr(&h, 1, j))).collect();
                            let ht: Vec<f64> = if lbr {
                                (0..hidden).map(|j| (xw(2, j) + rr[j] * hr(&h, 2, j)).tanh()).collect()
                            } else {
                                let rh: Vec<f64> = (0..hidden).map(|k| rr[k] * h[k]).collect();
                                (0..hidden).map(|j| (xw(2, j) + hr(&rh, 2, j)).tanh()).collect()
                            };
                            (0..hidden).map(|j| (1.0 - z[j]) * ht[j] + z[j] * h[j]).collect()
                        }
                        Cell::Lstm => {
                            let pp = |which: usize, j: usize| p.map_or(0.0, |p| p[d * 3 * hidden + which * hidden + j] as f64);
                            let i: Vec<f64> = (0..hidden).map(|j| sig(xw(0, j) + hr(&h, 0, j) + pp(0, j) * c[j])).collect();
                            let f: Vec<f64> = (0..hidden).map(|j| sig(xw(2, j) + hr(&h, 2, j) + pp(2, j) * c[j])).collect();
                            let gg: Vec<f64> = (0..hidden).map(|j| (xw(3, j) + hr(&h, 3, j)).tanh()).collect();
                            let nc: Vec<f64> = (0..hidden).map(|j| f[j] * c[j] + i[j] * gg[j]).collect();
                            let o: Vec<f64> = (0..hidden).map(|j| sig(xw(1, j) + hr(&h, 1, j) + pp(1, j) * nc[j])).collect();
                            c = nc;
                            (0..hidden).map(|j| o[j] * c[j].tanh()).collect()
                        }
                    };
                    h = new_h;
                    for k in 0..hidden {
                        y[((t * dirs + d) * batch + bb) * hidden + k] = h[k];
                    }
                }
                // a sequence of length 0 ends with zeros, as onnxruntime has it
                if lens[bb] > 0 {
                    for k in 0..hidden {
                        yh[(d * batch + bb) * hidden + k] = h[k];
                        yc[(d * batch + bb) * hidden + k] = c[k];
                    }
                }
            }
        }
        (y, yh, yc)
    }

    fn close(a: &[f64], b: &[f64], what: &str) {
        assert_eq!(a.len(), b.len(), "{what}");
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!((x - y).abs() < 1e-6, "{what}[{i}]: {x} vs {y}");
        }
    }

    /// A recurrent node with seeded weights: direction, sequence lengths, a computed initial
    /// hidden state, a constant initial cell state and peepholes (LSTM), against `reference`.
    fn check(cell: Cell, direction: &str, lens: Option<&[usize]>, lbr: bool, peepholes: bool) {
        let (seq, batch, input, hidden) = (3, 2, 3, 2);
        let dirs = if direction == "bidirectional" { 2 } else { 1 };
        let g = cell.gates();
        let x = values(seq * batch * input, 1);
        let w = values(dirs * g * hidden * input, 2);
        let r = values(dirs * g * hidden * hidden, 3);
        let b = values(dirs * 2 * g * hidden, 4);
        let h0 = values(dirs * batch * hidden, 5);
        let c0 = values(dirs * batch * hidden, 6);
        let p = values(dirs * 3 * hidden, 7);
        let all = vec![seq; batch];
        let lens = lens.unwrap_or(&all);
        let mut inputs = vec![
            var("x", &[seq, batch, input]),
            konst(&[dirs, g * hidden, input], &w),
            konst(&[dirs, g * hidden, hidden], &r),
            konst(&[dirs, 2 * g * hidden], &b),
            konst(&[batch], &lens.iter().map(|&l| l as f32).collect::<Vec<_>>()),
            var("h0", &[dirs, batch, hidden]),
        ];
        let mut shapes: Vec<Vec<usize>> = vec![vec![seq, dirs, batch, hidden], vec![dirs, batch, hidden]];
        if cell == Cell::Lstm {
            inputs.push(konst(&[dirs, batch, hidden], &c0));
            inputs.push(if peepholes {
                konst(&[dirs, 3 * hidden], &p)
            } else {
                Operand::Absent
            });
            shapes.push(vec![dirs, batch, hidden]);
        }
        let mut n = ctx_with("LSTM", inputs, &shapes[0]);
        n.string("direction", direction);
        n.int("hidden_size", hidden as i64);
        n.int("linear_before_reset", lbr as i64);
        n.outputs(&shapes.iter().map(|s| s.as_slice()).collect::<Vec<_>>());
        let l = n.run(lowering(cell)).unwrap();
        let got = eval(&l, &[("x", x.clone()), ("h0", h0.clone())]);
        let zeros = vec![0.0; c0.len()];
        let c0 = if cell == Cell::Lstm { &c0 } else { &zeros };
        let p = (cell == Cell::Lstm && peepholes).then_some(p.as_slice());
        let (y, yh, yc) = reference(
            cell,
            &x,
            (seq, batch, input, hidden, dirs),
            &w,
            &r,
            &b,
            lens,
            &h0,
            c0,
            p,
            lbr,
            direction == "reverse",
        );
        let what = format!("{cell:?} {direction} {lens:?} linear_before_reset {lbr} peepholes {peepholes}");
        close(&got["y"], &y, &format!("{what}: Y"));
        close(&got["y1"], &yh, &format!("{what}: Y_h"));
        if cell == Cell::Lstm {
            close(&got["y2"], &yc, &format!("{what}: Y_c"));
        }
    }

    #[test]
    fn lstm_matches_the_equations() {
        check(Cell::Lstm, "forward", None, false, false);
        check(Cell::Lstm, "bidirectional", Some(&[3, 1]), false, true);
        check(Cell::Lstm, "reverse", Some(&[2, 3]), false, true);
    }

    #[test]
    fn gru_matches_the_equations_with_and_without_linear_before_reset() {
        check(Cell::Gru, "forward", None, false, false);
        check(Cell::Gru, "bidirectional", Some(&[1, 3]), true, false);
        check(Cell::Gru, "reverse", None, true, false);
    }

    #[test]
    fn rnn_matches_the_equations() {
        check(Cell::Rnn, "forward", Some(&[3, 0]), false, false);
        check(Cell::Rnn, "bidirectional", None, false, false);
    }

    #[test]
    fn zero_initial_state_needs_no_products_in_the_first_step() {
        let x = var("x", &[1, 1, 2]);
        let mut n = ctx_with(
            "LSTM",
            vec![x, konst(&[1, 4, 2], &[0.5; 8]), konst(&[1, 4, 1], &[0.5; 4])],
            &[1, 1, 1, 1],
        );
        n.outputs(&[&[1, 1, 1, 1]]);
        let l = n.run(lowering(Cell::Lstm)).unwrap();
        // sigmoid gates, cell candidate, i⊙g (f⊙C0 is zero), tanh(C), o⊙tanh(C), Y
        assert_eq!(
            graph_ops(&l),
            vec![
                "Linear",
                "Activation",
                "Linear",
                "Activation",
                "Product",
                "Activation",
                "Product",
                "Select"
            ]
        );
    }

    #[test]
    fn unsupported_forms_and_bad_shapes_are_named() {
        let run = |op: &str, set: &dyn Fn(&mut TestNode), inputs: Vec<Operand>, cell: Cell| {
            let mut n = ctx_with(op, inputs, &[1, 1, 1, 1]);
            set(&mut n);
            n.run(lowering(cell)).unwrap_err().to_string()
        };
        let lstm = || vec![var("x", &[1, 1, 2]), konst(&[1, 4, 2], &[0.5; 8]), konst(&[1, 4, 1], &[0.5; 4])];
        let e = run("LSTM", &|n| n.float("clip", 1.0), lstm(), Cell::Lstm);
        assert!(e.contains("`clip` attribute"), "{e}");
        let e = run("LSTM", &|n| n.int("input_forget", 1), lstm(), Cell::Lstm);
        assert!(e.contains("input_forget"), "{e}");
        let e = run("LSTM", &|n| n.string("direction", "sideways"), lstm(), Cell::Lstm);
        assert!(e.contains("direction `sideways`"), "{e}");
        let e = run("LSTM", &|n| n.strings("activations", &["Sigmoid", "Tanh"]), lstm(), Cell::Lstm);
        assert!(
            e.contains("`activations` lists 2 functions; a LSTM with 1 direction(s) takes 3"),
            "{e}"
        );
        let e = run(
            "LSTM",
            &|n| n.strings("activations", &["ThresholdedRelu", "Tanh", "Tanh"]),
            lstm(),
            Cell::Lstm,
        );
        assert!(e.contains("ThresholdedRelu is not supported"), "{e}");
        let e = run(
            "GRU",
            &|_| {},
            vec![var("x", &[1, 1, 2]), konst(&[1, 3, 3], &[0.5; 9]), konst(&[1, 3, 1], &[0.5; 3])],
            Cell::Gru,
        );
        assert!(e.contains("W (input #1) has shape [1, 3, 3], expected [1, 3, 2]"), "{e}");
        let mut inputs = lstm();
        inputs.push(Operand::Absent);
        inputs.push(var("lens", &[1]));
        let e = run("LSTM", &|_| {}, inputs, Cell::Lstm);
        assert!(e.contains("sequence_lens (input #4) must be a constant"), "{e}");
        let mut inputs = lstm();
        inputs.push(Operand::Absent);
        inputs.push(konst(&[1], &[2.0]));
        let e = run("LSTM", &|_| {}, inputs, Cell::Lstm);
        assert!(e.contains("sequence length 2 is outside 0..=1"), "{e}");
        let e = run("LSTM", &|n| n.int("hidden_size", 1 << 62), lstm(), Cell::Lstm);
        assert!(e.contains("hidden_size 4611686018427387904 is too large"), "{e}");
        let e = run("LSTM", &|n| n.int("layout", 2), lstm(), Cell::Lstm);
        assert!(e.contains("layout 2 is neither 0 nor 1"), "{e}");
        let mut flat = lstm();
        flat[0] = var("x", &[1, 2]);
        let e = run("LSTM", &|_| {}, flat, Cell::Lstm);
        assert!(e.contains("X has shape [1, 2]; it must have rank 3"), "{e}");
        let e = run(
            "LSTM",
            &|n| n.strings("activations", &["Sigmoid", "Tanh", "Cosh"]),
            lstm(),
            Cell::Lstm,
        );
        assert!(e.contains("unknown activation `cosh`"), "{e}");
        let with_lens = |lens: &[f32]| {
            let mut inputs = lstm();
            inputs.push(Operand::Absent);
            inputs.push(konst(&[lens.len()], lens));
            inputs
        };
        let e = run("LSTM", &|_| {}, with_lens(&[1.0, 1.0]), Cell::Lstm);
        assert!(e.contains("sequence_lens has 2 values for a batch of 1"), "{e}");
        let e = run("LSTM", &|_| {}, with_lens(&[0.0]), Cell::Lstm);
        assert!(e.contains("every sequence length is 0"), "{e}");
        let mut inputs = with_lens(&[1.0]);
        inputs.push(var("h0", &[2, 1, 1]));
        let e = run("LSTM", &|_| {}, inputs, Cell::Lstm);
        assert!(e.contains("initial_h (input #5) has shape [2, 1, 1], expected [1, 1, 1]"), "{e}");
        let mut inputs = lstm();
        inputs.extend([
            Operand::Absent,
            Operand::Absent,
            Operand::Absent,
            Operand::Absent,
            konst(&[1, 2], &[0.5; 2]),
        ]);
        let e = run("LSTM", &|_| {}, inputs, Cell::Lstm);
        assert!(e.contains("P (input #7) has shape [1, 2], expected [1, 3]"), "{e}");
        // a node whose outputs are all unnamed (the test node names none)
        let e = run("LSTM", &|_| {}, lstm(), Cell::Lstm);
        assert!(e.contains("none of its outputs is named"), "{e}");
        let e = run(
            "RNN",
            &|_| {},
            vec![var("x", &[1, 1, 2]), var("w", &[1, 1, 2]), konst(&[1, 1, 1], &[0.5])],
            Cell::Rnn,
        );
        assert!(e.contains("W (input #1) must be a constant"), "{e}");
    }
}
