//! The row layout of a program: computed once in Rust, then copied into halo2's assignment.

use super::chips;
use super::chips::poseidon::PoseidonRow;
use super::config::CircuitShape;
use crate::quantize::{Part, Program, PublicSource, StepKind, Wire, Witness};
use halo2_axiom::halo2curves::bn256::Fr;
use halo2_axiom::halo2curves::ff::Field;

/// Which gate a row enables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sel {
    /// None.
    None,
    /// Linear start.
    Start,
    /// Linear accumulate.
    Mac,
    /// Rescale.
    Rescale,
    /// Product.
    Product,
    /// Linear start with a parameter constant (`acc = w + p`).
    StartParam,
    /// Linear accumulate with a parameter weight (`acc = acc[-1] + p·x`).
    MacParam,
    /// Dot-product accumulate (`acc = acc[-1] + w·x·y1 + …`).
    Dot,
}

/// An advice cell: its value and, if it is a copy, the wire it must equal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cell {
    /// Integer value (0 without a witness).
    pub value: i128,
    /// Wire whose home cell this one is constrained to equal.
    pub copy_of: Option<Wire>,
}

impl Cell {
    /// A cell with no copy constraint.
    pub fn free(value: i128) -> Self {
        Cell { value, copy_of: None }
    }
    /// A cell constrained to equal `wire`'s home cell.
    pub fn copy(wire: Wire, value: i128) -> Self {
        Cell {
            value,
            copy_of: Some(wire),
        }
    }
}

/// Advice column of a home cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Col {
    /// `x`
    X,
    /// `acc`
    Acc,
    /// `p` (a model parameter, hashed params only)
    P,
}

/// [`Row::lanes`] of a row without further terms.
pub const NO_LANES: u32 = u32::MAX;

/// One row of the layout.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Enabled gate.
    pub sel: Sel,
    /// Fixed weight/constant.
    pub w: i128,
    /// Lookup tag.
    pub tag: u64,
    /// `x` cell.
    pub x: Cell,
    /// `acc` cell.
    pub acc: Cell,
    /// Where this row's further terms (wide shapes: `y`/`w2`, …) start in [`Plan::lanes`]
    /// ([`NO_LANES`]: none; the lane cells hold zero).
    pub lanes: u32,
    /// Model parameter in `p` (rows with a param gate only).
    pub p: i128,
    /// Index into [`Plan::nodes`] of the graph node this row belongs to.
    pub node: u32,
}

/// The cell a public instance is copied from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PublicCell {
    /// A wire's home cell.
    Wire(Wire),
    /// The digest cell (`a0`) of a sponge row, and the digest.
    Digest {
        /// Row in [`Plan::poseidon`].
        row: usize,
        /// The digest (zero without a witness).
        value: Fr,
    },
    /// The `i`-th bound value's cell.
    Bound(usize),
}

/// The full layout.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Rows from row 0.
    pub rows: Vec<Row>,
    /// The further terms of wide linear rows: `terms_per_row − 1` consecutive (multiplicand
    /// cell, weight) pairs per row that has them, from [`Row::lanes`].
    pub lanes: Vec<(Cell, i128)>,
    /// Home cell of each wire (where it is defined), then of each model parameter with hashed
    /// params (pseudo-wires numbered from [`Program::num_wires`] in
    /// [`Program::param_values`] order).
    pub homes: Vec<Option<(Col, usize)>>,
    /// Where each public instance comes from, in order.
    pub public: Vec<PublicCell>,
    /// Rows of the Poseidon columns (empty unless something is hashed).
    pub poseidon: Vec<PoseidonRow>,
    /// Table entries `(tag, f(v), v)`.
    pub table: Vec<(u64, i128, i128)>,
    /// Node names referred to by rows.
    pub nodes: Vec<String>,
    /// Whether cell values come from a witness.
    pub has_witness: bool,
    /// Column layout.
    pub shape: CircuitShape,
    /// Rows whose `acc` holds a bound public value, in [`Program::bound`] order.
    pub bound_rows: Vec<usize>,
    /// The bound values (zero until [`Plan::bind`]).
    pub bound_values: Vec<Fr>,
}

/// Incremental construction of a [`Plan`], used by the chips.
pub struct PlanBuilder<'a> {
    rows: Vec<Row>,
    lanes: Vec<(Cell, i128)>,
    homes: Vec<Option<(Col, usize)>>,
    values: Option<&'a [i128]>,
    node: u32,
    shape: CircuitShape,
    poseidon: Vec<PoseidonRow>,
    /// Pseudo-wires of the model parameters laid out so far, and their values.
    params: Vec<(Wire, i128)>,
    num_wires: usize,
}

impl<'a> PlanBuilder<'a> {
    /// A wire's witness value (0 without a witness); a parameter pseudo-wire's value.
    pub fn value(&self, w: Wire) -> i128 {
        match (w as usize).checked_sub(self.num_wires) {
            Some(i) => self.params[i].1,
            None => self.values.map(|v| v[w as usize]).unwrap_or(0),
        }
    }
    /// Puts the next model parameter in the last row's `p` cell, its home.
    pub fn set_param(&mut self, value: i128) {
        let wire = (self.num_wires + self.params.len()) as Wire;
        self.params.push((wire, value));
        let row = self.rows.len() - 1;
        self.rows[row].p = value;
        self.homes.push(Some((Col::P, row)));
    }
    /// The column layout being built.
    pub fn shape(&self) -> CircuitShape {
        self.shape
    }
    /// Appends a row.
    pub fn push(&mut self, sel: Sel, w: i128, tag: u64, x: Cell, acc: Cell) {
        self.rows.push(Row {
            sel,
            w,
            tag,
            x,
            acc,
            lanes: NO_LANES,
            p: 0,
            node: self.node,
        });
    }
    /// Sets the further multiplicands and weights of the last row (wide shapes; at most
    /// `terms_per_row − 1`, the rest zero).
    pub fn set_lanes(&mut self, lanes: &[(Cell, i128)]) {
        let per_row = self.shape.terms_per_row() - 1;
        assert!(lanes.len() <= per_row, "more lanes than the shape has");
        let start = self.lanes.len() as u32;
        self.lanes.extend_from_slice(lanes);
        self.lanes.resize(start as usize + per_row, (Cell::free(0), 0));
        self.rows.last_mut().expect("a row").lanes = start;
    }
    /// Makes the last row's `acc` the home of `wire`.
    pub fn set_home_acc(&mut self, wire: Wire) {
        self.homes[wire as usize] = Some((Col::Acc, self.rows.len() - 1));
    }
    /// Appends a row to the Poseidon columns; returns its index.
    pub fn push_poseidon(&mut self, row: PoseidonRow) -> usize {
        self.poseidon.push(row);
        self.poseidon.len() - 1
    }
    /// The Poseidon rows laid out so far.
    pub fn poseidon_rows(&self) -> &[PoseidonRow] {
        &self.poseidon
    }
    /// A builder over bare wire values (for chip tests).
    #[cfg(test)]
    pub fn for_values(values: &'a [i128]) -> PlanBuilder<'a> {
        PlanBuilder {
            rows: Vec::new(),
            lanes: Vec::new(),
            homes: vec![None; values.len()],
            values: Some(values),
            node: 0,
            shape: CircuitShape::default(),
            poseidon: Vec::new(),
            params: Vec::new(),
            num_wires: values.len(),
        }
    }
    /// Makes the last row's `x` the home of `wire`.
    pub fn set_home_x(&mut self, wire: Wire) {
        self.homes[wire as usize] = Some((Col::X, self.rows.len() - 1));
    }
}

/// Lays out the rows of `program` (values from `witness` when given).
fn layout_rows<'a>(program: &Program, witness: Option<&'a Witness>, shape: CircuitShape) -> (PlanBuilder<'a>, Vec<String>) {
    let mut b = PlanBuilder {
        rows: Vec::new(),
        lanes: Vec::new(),
        homes: vec![None; program.num_wires],
        values: witness.map(|w| w.values.as_slice()),
        node: 0,
        shape,
        poseidon: Vec::new(),
        params: Vec::new(),
        num_wires: program.num_wires,
    };
    let mut nodes: Vec<String> = Vec::new();
    let node_index = |name: &str, nodes: &mut Vec<String>| -> u32 {
        if nodes.last().map(|n| n != name).unwrap_or(true) {
            nodes.push(name.to_string());
        }
        (nodes.len() - 1) as u32
    };
    for input in &program.inputs {
        b.node = node_index(&input.name, &mut nodes);
        for w in &input.wires {
            match &input.split {
                Some(s) => {
                    let rem: Vec<(u64, u32)> = program
                        .rem_chunks(s.rem_table, &s.rem_high)
                        .expect("checked program")
                        .into_iter()
                        .map(|(t, bits)| (t as u64 + 1, bits))
                        .collect();
                    chips::lookup::layout_split_input(&mut b, *w, s.bits, input.table as u64 + 1, &rem)
                }
                None => chips::lookup::layout_input(&mut b, *w, input.table as u64 + 1),
            }
        }
    }
    let uses = program.use_counts();
    let mut last_out: Option<Wire> = None;
    for step in &program.steps {
        b.node = node_index(&step.node, &mut nodes);
        match &step.kind {
            StepKind::Linear { out, terms, bias, params } => chips::linear::layout(&mut b, *out, terms, *bias, *params),
            StepKind::Product { out, a, b: bb, bias } => chips::product::layout(&mut b, *out, *a, *bb, *bias),
            StepKind::Dot { out, pairs, bias } => chips::dot::layout(&mut b, *out, pairs, *bias as i128),
            StepKind::Lookup {
                out,
                input,
                shift,
                table,
                rem_table,
                rem_high,
            } => {
                // The previous row's acc holds the input when the step right before produced
                // it into acc and nothing else reads it.
                let fused = last_out == Some(*input)
                    && uses[*input as usize] == 1
                    && b.homes[*input as usize] == Some((Col::Acc, b.rows.len() - 1));
                let kind = program.tables[*table].kind;
                // the remainder's chunks, top down: (tag, bits); a program from disk passed
                // `check_structure`, which checks that the chunk tables exist and add up, and
                // `build` makes only such programs
                let rem: Vec<(u64, u32)> = if rem_high.is_empty() {
                    vec![(*rem_table as u64 + 1, *shift)]
                } else {
                    program
                        .rem_chunks(*rem_table, rem_high)
                        .expect("remainder chunks checked by Program::check_structure")
                        .into_iter()
                        .map(|(t, bits)| (t as u64 + 1, bits))
                        .collect()
                };
                chips::lookup::layout(&mut b, *out, *input, *shift, kind, *table as u64 + 1, &rem, fused);
            }
        }
        last_out = Some(step.kind.out());
    }
    // Bound public values: one free row each, copied to its instance row.
    for name in &program.bound {
        b.node = node_index(name, &mut nodes);
        b.push(Sel::None, 0, 0, Cell::free(0), Cell::free(0));
    }
    (b, nodes)
}

/// Lays out the sponge of each hashed part; returns the digest cells in part order.
fn layout_hashes(b: &mut PlanBuilder, program: &Program) -> Vec<PublicCell> {
    debug_assert_eq!(b.params.len(), program.part_wires(Part::Params).len(), "one p cell per parameter");
    program
        .hashed_parts()
        .into_iter()
        .map(|part| {
            let (row, value) = chips::poseidon::layout(b, part, &program.part_wires(part));
            PublicCell::Digest { row, value }
        })
        .collect()
}

/// Number of rows the gates of `program` use.
pub fn count_rows(program: &Program, shape: CircuitShape) -> usize {
    layout_rows(program, None, shape).0.rows.len()
}

/// Rows that `terms` terms per linear row save over one (linear steps without parameters:
/// `n` terms take `⌈n/terms⌉` rows instead of `n`): only linear steps depend on the terms per
/// row, so one layout sizes every shape.
pub fn linear_rows_saved(program: &Program, terms: usize) -> usize {
    program
        .steps
        .iter()
        .map(|s| match &s.kind {
            StepKind::Linear {
                terms: t, params: None, ..
            } => t.len() - t.len().div_ceil(terms),
            _ => 0,
        })
        .sum()
}

/// Rows that `terms` terms per row save on dot steps over the one pair per row they are counted
/// with in the narrow layout (`terms/2` pairs per row).
pub fn dot_rows_saved(program: &Program, terms: usize) -> usize {
    let per_row = chips::dot::pairs_per_row(terms);
    program
        .steps
        .iter()
        .map(|s| match &s.kind {
            StepKind::Dot { pairs, .. } => pairs.len() - pairs.len().div_ceil(per_row),
            _ => 0,
        })
        .sum()
}

/// Number of rows the Poseidon columns use (zero when nothing is hashed).
pub fn count_hash_rows(program: &Program) -> usize {
    program
        .hashed_parts()
        .into_iter()
        .map(|part| chips::poseidon::rows_for(program.part_wires(part).len()))
        .sum()
}

impl Plan {
    /// Builds the layout of `program`, with cell values from `witness` when given. A batch
    /// program (`batch > 1`) is laid out as `batch` members, each on `witness` (all real);
    /// [`Plan::batch`] lays out members on witnesses of their own.
    pub fn new(program: &Program, witness: Option<&Witness>, shape: CircuitShape) -> Plan {
        if program.batch > 1 {
            let plans = (0..program.batch).map(|_| Plan::single(program, witness, shape)).collect();
            return Plan::batch(plans, program.batch);
        }
        Plan::single(program, witness, shape)
    }

    /// The layout of one inference (`program.batch` is not read).
    fn single(program: &Program, witness: Option<&Witness>, shape: CircuitShape) -> Plan {
        let (mut b, nodes) = layout_rows(program, witness, shape);
        let n = b.rows.len();
        let bound_rows: Vec<usize> = (n - program.bound.len()..n).collect();
        let digests = layout_hashes(&mut b, program);
        let public = program
            .public_sources()
            .into_iter()
            .map(|s| match s {
                PublicSource::Wire(w) => PublicCell::Wire(w),
                PublicSource::Hash(i) => digests[i],
                PublicSource::Bound(i) => PublicCell::Bound(i),
            })
            .collect();
        let mut table = vec![(0u64, 0i128, 0i128)];
        for (t, spec) in program.tables.iter().enumerate() {
            for v in spec.lo..=spec.hi {
                table.push((t as u64 + 1, spec.kind.apply(v) as i128, v as i128));
            }
        }
        Plan {
            rows: b.rows,
            lanes: b.lanes,
            homes: b.homes,
            public,
            poseidon: b.poseidon,
            table,
            nodes,
            has_witness: witness.is_some(),
            shape,
            bound_values: vec![Fr::ZERO; bound_rows.len()],
            bound_rows,
        }
    }

    /// Lays out the members of a batch one after the other over one set of lookup tables:
    /// each member's wires are renumbered past the previous members', and the first instance
    /// is `real`, the number of real members, held in a free cell of its own after the
    /// members' rows. Each member keeps its own instances (in member order) and bound values.
    pub fn batch(members: Vec<Plan>, real: usize) -> Plan {
        let first = members.first().expect("a batch has members");
        let (table, shape, has_witness) = (first.table.clone(), first.shape, first.has_witness);
        assert!(members.iter().all(|m| m.shape == shape), "batch members share one layout");
        let mut out = Plan {
            rows: Vec::new(),
            lanes: Vec::new(),
            homes: Vec::new(),
            public: Vec::new(),
            poseidon: Vec::new(),
            table,
            nodes: Vec::new(),
            has_witness,
            shape,
            bound_rows: Vec::new(),
            bound_values: Vec::new(),
        };
        let mut member_public = Vec::new();
        for (m, mut p) in members.into_iter().enumerate() {
            let wires = out.homes.len() as Wire;
            let rows = out.rows.len();
            let sponge = out.poseidon.len();
            let bound = out.bound_values.len();
            let nodes = out.nodes.len() as u32;
            let lanes = out.lanes.len() as u32;
            let shift = |c: &mut Cell| c.copy_of = c.copy_of.map(|w| w + wires);
            for r in &mut p.rows {
                shift(&mut r.x);
                shift(&mut r.acc);
                if r.lanes != NO_LANES {
                    r.lanes += lanes;
                }
                r.node += nodes;
            }
            for (c, _) in &mut p.lanes {
                shift(c);
            }
            out.lanes.extend(p.lanes);
            for r in &mut p.poseidon {
                r.copies.iter_mut().for_each(|c| *c = c.map(|w| w + wires));
            }
            out.homes.extend(p.homes.iter().map(|h| h.map(|(c, r)| (c, r + rows))));
            member_public.extend(p.public.iter().map(|c| match *c {
                PublicCell::Wire(w) => PublicCell::Wire(w + wires),
                PublicCell::Digest { row, value } => PublicCell::Digest { row: row + sponge, value },
                PublicCell::Bound(i) => PublicCell::Bound(i + bound),
            }));
            out.bound_rows.extend(p.bound_rows.iter().map(|r| r + rows));
            out.bound_values.extend(p.bound_values);
            out.nodes.extend(p.nodes.into_iter().map(|n| format!("{n} (member {m})")));
            out.rows.extend(p.rows);
            out.poseidon.extend(p.poseidon);
        }
        // the member count: a free cell copied to instance 0
        let count = out.bound_values.len();
        out.nodes.push("members".into());
        out.rows.push(Row {
            sel: Sel::None,
            w: 0,
            tag: 0,
            x: Cell::free(0),
            acc: Cell::free(real as i128),
            lanes: NO_LANES,
            p: 0,
            node: (out.nodes.len() - 1) as u32,
        });
        out.bound_rows.push(out.rows.len() - 1);
        out.bound_values.push(Fr::from(real as u64));
        out.public.push(PublicCell::Bound(count));
        out.public.extend(member_public);
        out
    }

    /// Sets the bound public values (one per [`Program::bound`] name, in order).
    pub fn bind(&mut self, values: Vec<Fr>) {
        assert_eq!(values.len(), self.bound_rows.len(), "one value per bound name");
        self.bound_values = values;
    }

    /// The public instance values, in order (zeros without a witness; bound values once
    /// bound).
    pub fn instance_values(&self) -> Vec<Fr> {
        self.public
            .iter()
            .map(|p| match *p {
                PublicCell::Wire(w) => {
                    let v = match self.homes[w as usize] {
                        Some((Col::X, r)) => self.rows[r].x.value,
                        Some((Col::Acc, r)) => self.rows[r].acc.value,
                        Some((Col::P, r)) => self.rows[r].p,
                        None => 0,
                    };
                    super::fe(v)
                }
                PublicCell::Digest { value, .. } => value,
                PublicCell::Bound(i) => self.bound_values[i],
            })
            .collect()
    }

    /// Name of the node that owns `row`, if any.
    pub fn node_at(&self, row: usize) -> Option<&str> {
        self.rows.get(row).and_then(|r| self.nodes.get(r.node as usize)).map(|s| s.as_str())
    }
}
