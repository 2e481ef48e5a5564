//! The fixed-point program: wires holding integers and the steps that compute them.

use super::tables::TableSpec;
use serde::{Deserialize, Serialize};

/// Largest power-of-two divisor of a rescale (remainder tables stay small and shifts fit i64).
pub const MAX_SHIFT: u32 = 40;

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
    /// Range-check table (an identity table over the calibrated input range, or over its
    /// high part when `split` is set).
    pub table: usize,
    /// Inputs whose range is too wide for one table are checked in two parts,
    /// `v = 2^bits·q + r` with `q` in `table` and `r` in a remainder table (see
    /// [`InputSplit`]); `None`: `v` itself is looked up in `table`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<InputSplit>,
}

/// The two-part range check of wide inputs: the bound on `v` becomes
/// `[2^bits·lo, 2^bits·(hi + 1))` for `q ∈ [lo, hi]`; the low part is checked in chunks of at
/// most 12 bits, so no table grows with the input's range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputSplit {
    /// Bits of the low part.
    pub bits: u32,
    /// The remainder table checking the low part (its lowest chunk when `rem_high` is set).
    pub rem_table: usize,
    /// The low part's higher chunks, from the top down (as [`StepKind::Lookup`]'s).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rem_high: Vec<usize>,
}

impl ProgInput {
    /// The high part and the low part `v` is checked as (`(v, 0)` without a split).
    pub fn parts(&self, v: i128) -> (i128, i128) {
        match &self.split {
            Some(s) => {
                let q = v.div_euclid(1i128 << s.bits);
                (q, v - (q << s.bits))
            }
            None => (v, 0),
        }
    }
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
        /// Which of the weights and the constant are model parameters (with hashed params:
        /// advice cells the params hash commits to, instead of circuit constants).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        params: Option<ParamUse>,
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
    /// `out = Σ a·b + bias` over pairs of wires (a product of two computed matrices): several
    /// pairs per row in the wide shapes (the `dot` gate, see `circuit::chips::dot`).
    Dot {
        /// Output wire.
        out: Wire,
        /// The factor pairs.
        pairs: Vec<(Wire, Wire)>,
        /// Integer constant (the rounding offset when a rescale follows).
        bias: i64,
    },
    /// `q = floor(input / 2^shift)` with remainder in `[0, 2^shift)`, then `out = table(q)`.
    /// The input already carries the rounding offset `2^(shift-1)`.
    ///
    /// A large remainder is range-checked in chunks (limbs): `rem_high` lists the tables of
    /// its upper chunks from the top down, `rem_table` checks the lowest; their bits add up to
    /// `shift` (see [`Program::rem_chunks`]).
    Lookup {
        /// Output wire.
        out: Wire,
        /// Input wire.
        input: Wire,
        /// Power-of-two divisor exponent.
        shift: u32,
        /// Function table (index into `Program::tables`).
        table: usize,
        /// Remainder range table (index into `Program::tables`): of the whole remainder, or
        /// of its lowest chunk when `rem_high` is not empty.
        rem_table: usize,
        /// Range tables of the remainder's upper chunks, from the top down (empty: one chunk).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        rem_high: Vec<usize>,
    },
}

impl StepKind {
    /// The wire this step defines.
    pub fn out(&self) -> Wire {
        match self {
            StepKind::Linear { out, .. } | StepKind::Product { out, .. } | StepKind::Dot { out, .. } | StepKind::Lookup { out, .. } => *out,
        }
    }
}

/// The model parameters of a linear step (with `hashed` params).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamUse {
    /// The term weights are parameters (weight layers); otherwise only the constant is.
    pub weights: bool,
    /// The part of the constant that is structure, not a parameter (the rounding offset of a
    /// rescale that follows): the parameter is `bias - offset`.
    pub offset: i128,
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
    /// Who sees the inputs, outputs and parameters.
    pub visibility: Visibility,
    /// Names of extra public values bound into the proof after the outputs, inputs and params
    /// (e.g. `account`: the address a proof is made for). The prover supplies them; the
    /// circuit copies each into a cell, so a proof holds for exactly those values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bound: Vec<String>,
    /// Inferences proved together (`compile --batch N`): the circuit lays the program out
    /// `batch` times over shared lookup tables. The instances are then the number of real
    /// members first, and each member's instances after it (see [`Program::instance_layout`]).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub batch: usize,
}

fn one() -> usize {
    1
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

impl Program {
    /// Total number of rows the lookup tables need (including the all-zero row).
    pub fn table_rows(&self) -> usize {
        1 + self.tables.iter().map(|t| t.len()).sum::<usize>()
    }

    /// The parts hashed in the circuit, in instance order: the outputs, the inputs and the
    /// parameters, each when its visibility is `hashed`.
    pub fn hashed_parts(&self) -> Vec<Part> {
        self.parts()
            .into_iter()
            .filter(|(_, v)| *v == Vis::Hashed)
            .map(|(p, _)| p)
            .collect()
    }

    /// The parts in instance order with their visibility.
    fn parts(&self) -> [(Part, Vis); 3] {
        [
            (Part::Output, self.visibility.output),
            (Part::Input, self.visibility.input),
            (Part::Params, self.visibility.params),
        ]
    }

    /// A part's visibility, the instance kind of its hash, and the scales of its tensors
    /// (none for the parameters, whose scales vary by layer).
    pub fn part_info(&self, part: Part) -> (Vis, InstanceKind, Vec<u32>) {
        match part {
            Part::Input => (
                self.visibility.input,
                InstanceKind::InputHash,
                self.inputs.iter().map(|i| i.scale).collect(),
            ),
            Part::Output => (
                self.visibility.output,
                InstanceKind::OutputHash,
                self.outputs.iter().map(|o| o.scale).collect(),
            ),
            Part::Params => (self.visibility.params, InstanceKind::ParamsHash, Vec::new()),
        }
    }

    /// The wires of a part, flattened in order: inputs and outputs tensor by tensor, row-major;
    /// parameters (when not fixed) as pseudo-wires numbered from `num_wires` in
    /// [`Program::param_values`] order, whose home cells the circuit lays out in its `p`
    /// column. Fixed parameters have none (they are constants of the circuit).
    pub fn part_wires(&self, part: Part) -> Vec<Wire> {
        match part {
            Part::Input => self.inputs.iter().flat_map(|i| i.wires.iter().copied()).collect(),
            Part::Output => self.outputs.iter().flat_map(|o| o.wires.iter().copied()).collect(),
            Part::Params if self.visibility.params_in_advice() => (0..self.param_count()).map(|i| (self.num_wires + i) as Wire).collect(),
            Part::Params => Vec::new(),
        }
    }

    /// The model parameters in the order the params hash takes them: step by step, each
    /// linear step's constant and then its weights (when they are parameters).
    pub fn param_values(&self) -> Vec<i128> {
        let mut out = Vec::new();
        for s in &self.steps {
            if let StepKind::Linear {
                terms,
                bias,
                params: Some(p),
                ..
            } = &s.kind
            {
                out.push(bias - p.offset);
                if p.weights {
                    out.extend(terms.iter().map(|(_, w)| *w as i128));
                }
            }
        }
        out
    }

    /// Number of model parameters that hashed params commit to.
    pub fn param_count(&self) -> usize {
        self.steps
            .iter()
            .map(|s| match &s.kind {
                StepKind::Linear {
                    terms, params: Some(p), ..
                } => 1 + if p.weights { terms.len() } else { 0 },
                _ => 0,
            })
            .sum()
    }

    /// The program with every model parameter set to zero: what two models of one
    /// architecture share (their circuits, and so their verifying keys, are equal exactly when
    /// their skeletons are).
    pub fn skeleton(&self) -> Program {
        let mut p = self.clone();
        for s in &mut p.steps {
            if let StepKind::Linear {
                terms,
                bias,
                params: Some(u),
                ..
            } = &mut s.kind
            {
                if u.weights {
                    terms.iter_mut().for_each(|t| t.1 = 0);
                }
                *bias = u.offset;
            }
        }
        p
    }

    /// Where `self` and `other` differ as architectures (see [`Program::skeleton`]), in words;
    /// `None` when they are the same.
    pub fn architecture_difference(&self, other: &Program) -> Option<String> {
        let (a, b) = (self.skeleton(), other.skeleton());
        if a == b {
            return None;
        }
        let io = |p: &Program| {
            let i: Vec<_> = p.inputs.iter().map(|i| (&i.name, &i.shape, i.scale)).collect();
            let o: Vec<_> = p.outputs.iter().map(|o| (&o.name, &o.shape, o.scale)).collect();
            format!("{i:?} → {o:?}")
        };
        if io(&a) != io(&b) {
            return Some(format!("inputs/outputs differ: {} vs {}", io(&a), io(&b)));
        }
        if let Some((i, (x, y))) = a.steps.iter().zip(&b.steps).enumerate().find(|(_, (x, y))| x != y) {
            let what = match (&x.kind, &y.kind) {
                (StepKind::Linear { params: None, .. }, StepKind::Linear { params: None, .. }) => {
                    "a constant that is not a parameter differs"
                }
                _ => "the computation differs",
            };
            return Some(format!("step {i} (node `{}` vs `{}`): {what}", x.node, y.node));
        }
        if a.steps.len() != b.steps.len() {
            return Some(format!("{} steps vs {}", a.steps.len(), b.steps.len()));
        }
        if a.tables != b.tables {
            return Some("the lookup tables differ".into());
        }
        if a.visibility != b.visibility || a.bound != b.bound {
            return Some("the visibility or bound values differ".into());
        }
        Some("the programs differ".into())
    }

    /// What each public instance is, in order: the outputs (their values when public, one
    /// hash when hashed), the inputs likewise, the parameters likewise, then the bound values.
    ///
    /// A batch (`batch > 1`) starts with the `members` instance, the number of real members
    /// `m` (members `m..batch` are padding: copies of a real member that no consumer may take
    /// for a result); then each member's instances in this order, with `member` set.
    pub fn instance_layout(&self) -> Vec<InstanceSlot> {
        if self.batch <= 1 {
            return self.member_layout(0, None);
        }
        let mut slots = vec![InstanceSlot {
            name: "members".into(),
            kind: InstanceKind::Members,
            scale: None,
            start: 0,
            len: 1,
            member: None,
        }];
        let per = self.member_instances();
        for m in 0..self.batch {
            slots.extend(self.member_layout(1 + m * per, Some(m)));
        }
        slots
    }

    /// Public instances of one inference (one member of a batch).
    pub fn member_instances(&self) -> usize {
        self.member_layout(0, None).iter().map(|s| s.len).sum()
    }

    /// The program of one member of a batch (`self` when it is not one).
    pub fn member(&self) -> Program {
        Program { batch: 1, ..self.clone() }
    }

    /// One inference's slots, from instance `start`.
    fn member_layout(&self, start: usize, member: Option<usize>) -> Vec<InstanceSlot> {
        let mut slots = Vec::new();
        let mut start = start;
        let mut push = |name: &str, kind: InstanceKind, scale: Option<u32>, len: usize| {
            slots.push(InstanceSlot {
                name: name.to_string(),
                kind,
                scale,
                start,
                len,
                member,
            });
            start += len;
        };
        match self.visibility.output {
            Vis::Public => self
                .outputs
                .iter()
                .for_each(|o| push(&o.name, InstanceKind::Output, Some(o.scale), o.wires.len())),
            Vis::Hashed => push("outputs", InstanceKind::OutputHash, None, 1),
            _ => {}
        }
        match self.visibility.input {
            Vis::Public => self
                .inputs
                .iter()
                .for_each(|i| push(&i.name, InstanceKind::Input, Some(i.scale), i.wires.len())),
            Vis::Hashed => push("inputs", InstanceKind::InputHash, None, 1),
            _ => {}
        }
        match self.visibility.params {
            Vis::Public => push("params", InstanceKind::Params, None, self.param_count()),
            Vis::Hashed => push("params", InstanceKind::ParamsHash, None, 1),
            _ => {}
        }
        for name in &self.bound {
            push(name, InstanceKind::Bound, None, 1);
        }
        slots
    }

    /// Where each public instance of one inference comes from, in order (see
    /// [`Program::instance_layout`]; a batch repeats them per member after its `members`
    /// instance).
    pub fn public_sources(&self) -> Vec<PublicSource> {
        let mut out = Vec::new();
        let mut hash = 0;
        let mut part = |vis: Vis, wires: &mut dyn Iterator<Item = Wire>, out: &mut Vec<PublicSource>| match vis {
            Vis::Public => out.extend(wires.map(PublicSource::Wire)),
            Vis::Hashed => {
                out.push(PublicSource::Hash(hash));
                hash += 1;
            }
            _ => {}
        };
        part(self.visibility.output, &mut self.part_wires(Part::Output).into_iter(), &mut out);
        part(self.visibility.input, &mut self.part_wires(Part::Input).into_iter(), &mut out);
        part(self.visibility.params, &mut self.part_wires(Part::Params).into_iter(), &mut out);
        out.extend((0..self.bound.len()).map(PublicSource::Bound));
        out
    }

    /// Number of public instance values.
    pub fn num_instances(&self) -> usize {
        self.instance_layout().iter().map(|s| s.len).sum()
    }

    /// Checks that every wire a step, input or output names exists and that steps read only
    /// wires defined before them, and that table indices exist: a program read from disk is
    /// laid out only when this holds.
    pub fn check_structure(&self) -> Result<(), String> {
        let mut defined = vec![false; self.num_wires];
        fn define(defined: &mut [bool], w: Wire, what: &str) -> Result<(), String> {
            let n = defined.len();
            match defined.get_mut(w as usize) {
                Some(d) if !*d => {
                    *d = true;
                    Ok(())
                }
                Some(_) => Err(format!("{what} redefines wire {w}")),
                None => Err(format!("{what} names wire {w} of {n}")),
            }
        }
        for i in &self.inputs {
            if i.table >= self.tables.len() {
                return Err(format!("input `{}` names table {} of {}", i.name, i.table, self.tables.len()));
            }
            if let Some(s) = &i.split {
                match self.rem_chunks(s.rem_table, &s.rem_high) {
                    Ok(c) if c.iter().map(|c| c.1).sum::<u32>() == s.bits && (1..=MAX_SHIFT).contains(&s.bits) => {}
                    _ => {
                        return Err(format!(
                            "input `{}` splits off {} bits without their remainder table",
                            i.name, s.bits
                        ))
                    }
                }
            }
            for w in &i.wires {
                define(&mut defined, *w, &format!("input `{}`", i.name))?;
            }
        }
        for (n, s) in self.steps.iter().enumerate() {
            let what = format!("step {n} (node `{}`)", s.node);
            let reads: Vec<Wire> = match &s.kind {
                StepKind::Linear { terms, .. } => terms.iter().map(|(w, _)| *w).collect(),
                StepKind::Product { a, b, .. } => vec![*a, *b],
                StepKind::Dot { pairs, .. } => {
                    if pairs.is_empty() {
                        return Err(format!("{what} is a dot product of no pairs"));
                    }
                    pairs.iter().flat_map(|&(a, b)| [a, b]).collect()
                }
                StepKind::Lookup {
                    input,
                    shift,
                    table,
                    rem_table,
                    rem_high,
                    ..
                } => {
                    if *table >= self.tables.len() {
                        return Err(format!("{what} names a table beyond the {}", self.tables.len()));
                    }
                    let chunks = self.rem_chunks(*rem_table, rem_high).map_err(|e| format!("{what}: {e}"))?;
                    let bits: u32 = chunks.iter().map(|c| c.1).sum();
                    if bits != *shift {
                        return Err(format!("{what}: its remainder tables cover {bits} bits, its shift is {shift}"));
                    }
                    if *shift > MAX_SHIFT {
                        return Err(format!("{what}: its shift {shift} exceeds the supported {MAX_SHIFT} bits"));
                    }
                    vec![*input]
                }
            };
            for r in reads {
                if !defined.get(r as usize).copied().unwrap_or(false) {
                    return Err(format!("{what} reads wire {r} before it is defined"));
                }
            }
            define(&mut defined, s.kind.out(), &what)?;
        }
        for o in &self.outputs {
            if let Some(w) = o.wires.iter().find(|w| !defined.get(**w as usize).copied().unwrap_or(false)) {
                return Err(format!("output `{}` names undefined wire {w}", o.name));
            }
        }
        Ok(())
    }

    /// The remainder chunks of a lookup step, from the top down: `(table, bits)` for each of
    /// `rem_high` and then `rem_table`. An error names a table that does not exist or is not a
    /// remainder range.
    pub fn rem_chunks(&self, rem_table: usize, rem_high: &[usize]) -> Result<Vec<(usize, u32)>, String> {
        rem_high
            .iter()
            .chain(std::iter::once(&rem_table))
            .map(|&t| match self.tables.get(t) {
                Some(s) => match s.kind {
                    super::tables::TableKind::Remainder { bits } if bits < 63 && (s.lo, s.hi) == (0, (1i64 << bits) - 1) => Ok((t, bits)),
                    super::tables::TableKind::Remainder { bits } => Err(format!(
                        "table {t} ({}) holds [{}, {}] instead of [0, 2^{bits})",
                        s.kind.describe(),
                        s.lo,
                        s.hi
                    )),
                    k => Err(format!("table {t} ({}) is not a remainder range", k.describe())),
                },
                None => Err(format!("names table {t} beyond the {}", self.tables.len())),
            })
            .collect()
    }

    /// Whether a step is a [`StepKind::Dot`] (the circuit then needs the `dot` gate).
    pub fn has_dot(&self) -> bool {
        self.steps.iter().any(|s| matches!(s.kind, StepKind::Dot { .. }))
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
                StepKind::Dot { pairs, .. } => pairs.iter().for_each(|&(a, b)| {
                    uses[a as usize] += 1;
                    uses[b as usize] += 1;
                }),
                StepKind::Lookup { input, .. } => uses[*input as usize] += 1,
            }
        }
        for o in &self.outputs {
            o.wires.iter().for_each(|w| uses[*w as usize] += 1);
        }
        uses
    }
}

/// Who sees one part of the model (its inputs, outputs or parameters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Vis {
    /// The values are public instances of the proof.
    Public,
    /// The values are witness only; the proof does not reveal them.
    Private,
    /// Parameters only: baked into the circuit as constants and committed in the vk.
    Fixed,
    /// The values stay private; their Poseidon hash, computed in the circuit, is a public
    /// instance.
    Hashed,
}

impl Vis {
    /// The lowercase name used on the command line and in settings.json.
    pub fn as_str(self) -> &'static str {
        match self {
            Vis::Public => "public",
            Vis::Private => "private",
            Vis::Fixed => "fixed",
            Vis::Hashed => "hashed",
        }
    }
}

impl std::fmt::Display for Vis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A part of the model whose visibility is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    /// The model inputs.
    Input,
    /// The model outputs.
    Output,
    /// The weights and biases.
    Params,
}

impl Part {
    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Part::Input => "input",
            Part::Output => "output",
            Part::Params => "params",
        }
    }
}

/// Visibility of the inputs, outputs and parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visibility {
    /// Inputs: public, private or hashed.
    pub input: Vis,
    /// Outputs: public, private or hashed.
    pub output: Vis,
    /// Parameters: fixed, hashed, public or private.
    pub params: Vis,
}

impl Default for Visibility {
    /// Private inputs, public outputs, fixed parameters.
    fn default() -> Self {
        Visibility {
            input: Vis::Private,
            output: Vis::Public,
            params: Vis::Fixed,
        }
    }
}

impl Visibility {
    /// Refuses combinations zkinfer does not build, naming the part and what it accepts.
    pub fn check(&self) -> Result<(), String> {
        let allowed = |part: Part, v: Vis, ok: &[Vis]| {
            if ok.contains(&v) {
                Ok(())
            } else {
                let names: Vec<&str> = ok.iter().map(|v| v.as_str()).collect();
                Err(format!(
                    "{} visibility `{v}` is not available; choose one of {}",
                    part.as_str(),
                    names.join(", ")
                ))
            }
        };
        allowed(Part::Input, self.input, &[Vis::Public, Vis::Private, Vis::Hashed])?;
        allowed(Part::Output, self.output, &[Vis::Public, Vis::Private, Vis::Hashed])?;
        allowed(Part::Params, self.params, &[Vis::Fixed, Vis::Hashed, Vis::Public, Vis::Private])?;
        Ok(())
    }

    /// Whether the parameters are advice cells (any visibility but `fixed`): the circuit then
    /// belongs to the architecture, not to one model.
    pub fn params_in_advice(&self) -> bool {
        self.params != Vis::Fixed
    }

    /// Whether the circuit computes a hash.
    pub fn hashes(&self) -> bool {
        [self.input, self.output, self.params].contains(&Vis::Hashed)
    }
}

/// What a public instance holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstanceKind {
    /// Output values (fixed point at `scale`).
    Output,
    /// Input values (fixed point at `scale`).
    Input,
    /// Poseidon hash of all output values.
    OutputHash,
    /// Poseidon hash of all input values.
    InputHash,
    /// Poseidon hash of the model parameters (the model commitment).
    ParamsHash,
    /// The model parameters (quantized integers, [`Program::param_values`] order).
    Params,
    /// A value the prover binds the proof to (`compile --bind`).
    Bound,
    /// The number of real members of a batch proof (the rest are padding).
    Members,
}

impl InstanceKind {
    /// Whether the instance is a Poseidon hash.
    pub fn is_hash(self) -> bool {
        matches!(self, InstanceKind::OutputHash | InstanceKind::InputHash | InstanceKind::ParamsHash)
    }
}

/// A run of public instances with one meaning.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceSlot {
    /// Tensor name, `inputs`/`outputs`/`params` for a hash (`params` also for public
    /// parameters), or the bound name.
    pub name: String,
    /// What the values are.
    pub kind: InstanceKind,
    /// Fixed-point scale exponent of values (none for hashes and bound values).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub scale: Option<u32>,
    /// Index of the first instance.
    pub start: usize,
    /// Number of instances.
    pub len: usize,
    /// The batch member the values belong to (batch proofs only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub member: Option<usize>,
}

/// Where one public instance comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PublicSource {
    /// A wire's value.
    Wire(Wire),
    /// The digest of the `i`-th of [`Program::hashed_parts`].
    Hash(usize),
    /// The `i`-th bound value.
    Bound(usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structure_check_names_undefined_wires_and_tables() {
        let (p, _) = crate::circuit::mock::tests::linear_program();
        assert_eq!(p.check_structure(), Ok(()));
        let mut bad = p.clone();
        if let StepKind::Linear { terms, .. } = &mut bad.steps[0].kind {
            terms[0].0 = 99;
        }
        assert!(bad.check_structure().unwrap_err().contains("reads wire 99 before it is defined"));
        let mut bad = p.clone();
        bad.outputs[0].wires[0] = 7;
        assert!(bad.check_structure().unwrap_err().contains("output"));
        let mut bad = p.clone();
        bad.inputs[0].table = 5;
        assert!(bad.check_structure().unwrap_err().contains("table 5"));
        let mut bad = p;
        bad.steps.push(bad.steps[0].clone());
        assert!(bad.check_structure().unwrap_err().contains("redefines"));
    }

    #[test]
    fn structure_check_names_remainder_chunks_that_do_not_cover_the_shift() {
        let (p, _) = crate::circuit::mock::tests::relu_program(&[3]);
        let lookup = p.steps.iter().position(|s| matches!(s.kind, StepKind::Lookup { .. })).unwrap();
        let set = |rem_high: Vec<usize>| {
            let mut q = p.clone();
            if let StepKind::Lookup { rem_high: h, .. } = &mut q.steps[lookup].kind {
                *h = rem_high;
            }
            q.check_structure()
        };
        assert_eq!(set(vec![]), Ok(()));
        // another 3-bit chunk on top: 6 bits for a shift of 3
        assert!(set(vec![2]).unwrap_err().contains("cover 6 bits, its shift is 3"));
        // the relu table is no remainder range
        assert!(set(vec![1]).unwrap_err().contains("is not a remainder range"));
        assert!(set(vec![9]).unwrap_err().contains("table 9 beyond"));
        // a remainder table whose range is not [0, 2^bits)
        let mut wide = p.clone();
        wide.tables[2].hi += 1;
        assert!(wide.check_structure().unwrap_err().contains("instead of [0, 2^3)"));
    }
}
