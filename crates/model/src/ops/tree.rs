//! Shared lowering of the tree ensembles (`TreeEnsembleClassifier`, `TreeEnsembleRegressor`).
//!
//! * **Splits.** Every split compares one feature with a threshold. Equal splits (same
//!   feature, threshold and comparison, after `>`/`≥`/`≠` are turned into `≤`/`<`/`=` with the
//!   branches swapped) are merged across all trees and computed once, as 0/1 flags of one
//!   [`Op::Threshold`] node; quantization places each cut between the calibration samples.
//! * **The leaf.** Each tree's root has indicator 1; a split's "true" child gets
//!   `I·f` (a product of its parent's indicator with the split's flag; the flag itself below the
//!   root) and its "false" child `I − I·f`. Flags are 0/1, so exactly one leaf per tree has
//!   indicator 1 and every other leaf 0: the choice of leaf is determined by the input, not by
//!   the prover. Indicators are linear forms; only those of internal nodes are materialised
//!   (a product needs one wire), a leaf's goes straight into the sum.
//! * **The sum.** Each output (class or target) is `Σ weight · indicator` over all leaves, times
//!   the aggregate factor (1, or 1/trees for `AVERAGE`), plus its base value: one weighted sum.

use super::{Composite, LowerCtx};
use crate::graph::{Check, Cmp, LinTerm, Op, Source};
use crate::ModelError;
use std::collections::{BTreeMap, HashMap};

/// One node of a parsed ensemble.
#[derive(Clone, Debug)]
enum TNode {
    Split {
        check: Check,
        /// Child when the check holds.
        yes: usize,
        /// Child otherwise.
        no: usize,
    },
    Leaf {
        /// (output, weight)
        weights: Vec<(usize, f64)>,
    },
}

/// A tree ensemble read from a node's attributes.
#[derive(Clone, Debug)]
pub struct Forest {
    nodes: Vec<TNode>,
    roots: Vec<usize>,
}

impl Forest {
    /// Number of trees.
    pub fn trees(&self) -> usize {
        self.roots.len()
    }

    /// Whether every leaf weight is non-negative (ONNX Runtime's `weights_are_all_positive`).
    pub fn weights_nonnegative(&self) -> bool {
        self.nodes.iter().all(|n| match n {
            TNode::Leaf { weights } => weights.iter().all(|&(_, w)| w >= 0.0),
            TNode::Split { .. } => true,
        })
    }

    /// The outputs some leaf has a weight for.
    pub fn weighted_outputs(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self
            .nodes
            .iter()
            .flat_map(|n| match n {
                TNode::Leaf { weights } => weights.iter().map(|w| w.0).collect(),
                TNode::Split { .. } => vec![],
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// Reads the ensemble: `nodes_*` attributes for the structure, `<prefix>_*` (`class` or
/// `target`) for the leaf weights; `features` is the length of the input row and `outputs` the
/// number of classes or targets.
pub fn parse(ctx: &LowerCtx, prefix: &str, features: usize, outputs: usize) -> Result<Forest, ModelError> {
    let ints =
        |name: &str| -> Result<Vec<i64>, ModelError> { ctx.attr_ints(name).ok_or_else(|| ctx.err(format!("missing attribute `{name}`"))) };
    let tree_ids = ints("nodes_treeids")?;
    let node_ids = ints("nodes_nodeids")?;
    let feature_ids = ints("nodes_featureids")?;
    let yes_ids = ints("nodes_truenodeids")?;
    let no_ids = ints("nodes_falsenodeids")?;
    let modes = ctx
        .attr_strs("nodes_modes")
        .ok_or_else(|| ctx.err("missing attribute `nodes_modes`"))?;
    let values = ctx
        .attr_floats("nodes_values")?
        .ok_or_else(|| ctx.err("missing attribute `nodes_values` (or `nodes_values_as_tensor`)"))?;
    let n = tree_ids.len();
    for (name, len) in [
        ("nodes_nodeids", node_ids.len()),
        ("nodes_featureids", feature_ids.len()),
        ("nodes_truenodeids", yes_ids.len()),
        ("nodes_falsenodeids", no_ids.len()),
        ("nodes_modes", modes.len()),
        ("nodes_values", values.len()),
    ] {
        if len != n {
            return Err(ctx.err(format!("attribute `{name}` has {len} entries, `nodes_treeids` {n}")));
        }
    }
    if n == 0 {
        return Err(ctx.err("the ensemble has no nodes"));
    }
    let mut index: HashMap<(i64, i64), usize> = HashMap::new();
    for i in 0..n {
        if index.insert((tree_ids[i], node_ids[i]), i).is_some() {
            return Err(ctx.err(format!(
                "node {} of tree {} appears twice in `nodes_nodeids`",
                node_ids[i], tree_ids[i]
            )));
        }
    }
    let child = |i: usize, id: i64, which: &str| -> Result<usize, ModelError> {
        index.get(&(tree_ids[i], id)).copied().ok_or_else(|| {
            ctx.err(format!(
                "node {} of tree {} names {which} node {id} (`nodes_{which}nodeids`), which the tree does not have",
                node_ids[i], tree_ids[i]
            ))
        })
    };
    let mut nodes = Vec::with_capacity(n);
    for i in 0..n {
        let (cmp, swap) = match modes[i].as_str() {
            "LEAF" => {
                nodes.push(TNode::Leaf { weights: vec![] });
                continue;
            }
            "BRANCH_LEQ" => (Cmp::Le, false),
            "BRANCH_LT" => (Cmp::Lt, false),
            "BRANCH_GTE" => (Cmp::Lt, true),
            "BRANCH_GT" => (Cmp::Le, true),
            "BRANCH_EQ" => (Cmp::Eq, false),
            "BRANCH_NEQ" => (Cmp::Eq, true),
            other => {
                return Err(ctx.unsupported_form(format!(
                    "node {} of tree {} has `nodes_modes` {other:?}; the modes are BRANCH_LEQ, BRANCH_LT, BRANCH_GTE, BRANCH_GT, BRANCH_EQ, BRANCH_NEQ and LEAF",
                    node_ids[i], tree_ids[i]
                )))
            }
        };
        let f = feature_ids[i];
        if f < 0 || f as usize >= features {
            return Err(ctx.err(format!(
                "node {} of tree {} splits on feature {f} (`nodes_featureids`), but the input has {features} features",
                node_ids[i], tree_ids[i]
            )));
        }
        let threshold = f32_threshold(values[i], cmp);
        if !threshold.is_finite() {
            return Err(ctx.err(format!("node {} of tree {} has threshold {}", node_ids[i], tree_ids[i], values[i])));
        }
        let (y, no) = (child(i, yes_ids[i], "true")?, child(i, no_ids[i], "false")?);
        let (yes, no) = if swap { (no, y) } else { (y, no) };
        nodes.push(TNode::Split {
            check: Check {
                index: f as usize,
                threshold,
                cmp,
            },
            yes,
            no,
        });
    }
    // leaf weights
    let w_trees = ints(&format!("{prefix}_treeids"))?;
    let w_nodes = ints(&format!("{prefix}_nodeids"))?;
    let w_ids = ints(&format!("{prefix}_ids"))?;
    let w_values = ctx
        .attr_floats(&format!("{prefix}_weights"))?
        .ok_or_else(|| ctx.err(format!("missing attribute `{prefix}_weights` (or `{prefix}_weights_as_tensor`)")))?;
    if [w_nodes.len(), w_ids.len(), w_values.len()].iter().any(|&l| l != w_trees.len()) {
        return Err(ctx.err(format!(
            "attributes `{prefix}_treeids`, `{prefix}_nodeids`, `{prefix}_ids` and `{prefix}_weights` differ in length"
        )));
    }
    for k in 0..w_trees.len() {
        let at = *index.get(&(w_trees[k], w_nodes[k])).ok_or_else(|| {
            ctx.err(format!(
                "`{prefix}_nodeids` names node {} of tree {}, which does not exist",
                w_nodes[k], w_trees[k]
            ))
        })?;
        let o = w_ids[k];
        if o < 0 || o as usize >= outputs {
            return Err(ctx.err(format!("`{prefix}_ids` has output {o}, but the node has {outputs}")));
        }
        match &mut nodes[at] {
            TNode::Leaf { weights } => weights.push((o as usize, w_values[k])),
            TNode::Split { .. } => {
                return Err(ctx.unsupported_form(format!(
                    "`{prefix}_nodeids` gives a weight to node {} of tree {}, which is a split, not a leaf",
                    w_nodes[k], w_trees[k]
                )))
            }
        }
    }
    // roots: per tree, the node no other node names as a child
    let mut is_child = vec![false; n];
    for node in &nodes {
        if let TNode::Split { yes, no, .. } = node {
            is_child[*yes] = true;
            is_child[*no] = true;
        }
    }
    let mut roots: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for i in 0..n {
        roots.entry(tree_ids[i]).or_default();
        if !is_child[i] {
            roots.get_mut(&tree_ids[i]).expect("entry").push(i);
        }
    }
    let mut root_list = Vec::new();
    for (t, r) in roots {
        match r.as_slice() {
            [one] => root_list.push(*one),
            _ => return Err(ctx.err(format!("tree {t} has {} root nodes (nodes no split points to)", r.len()))),
        }
    }
    // every node reached once from its root (no cycles, no sharing)
    let mut seen = vec![false; n];
    let mut stack: Vec<usize> = root_list.clone();
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            return Err(ctx.err(format!(
                "node {} of tree {} is reached twice: the trees are not trees",
                node_ids[i], tree_ids[i]
            )));
        }
        if let TNode::Split { yes, no, .. } = nodes[i] {
            stack.push(yes);
            stack.push(no);
        }
    }
    if let Some(i) = seen.iter().position(|s| !s) {
        return Err(ctx.err(format!(
            "node {} of tree {} is not reachable from the tree's root: the trees are not trees",
            node_ids[i], tree_ids[i]
        )));
    }
    Ok(Forest { nodes, roots: root_list })
}

/// The single-precision threshold that decides every single-precision input as `t` (a double,
/// from `nodes_values_as_tensor`) does: `x ≤ t` ⟺ `x ≤ t↓` (the largest float at most `t`),
/// `x < t` ⟺ `x < t↑` (the smallest float at least `t`); `=` keeps the nearest float (a
/// double between floats equals no input, the nearest float at most one).
fn f32_threshold(t: f64, cmp: Cmp) -> f32 {
    let near = t as f32;
    if near as f64 == t || !t.is_finite() {
        return near;
    }
    match cmp {
        Cmp::Le | Cmp::Gt if near as f64 > t => f32_before(near),
        Cmp::Lt | Cmp::Ge if (near as f64) < t => f32_after(near),
        _ => near,
    }
}

/// The float just below `v` (finite, non-zero neighbourhood handled by the bit pattern).
fn f32_before(v: f32) -> f32 {
    if v == 0.0 {
        -f32::from_bits(1)
    } else if v > 0.0 {
        f32::from_bits(v.to_bits() - 1)
    } else {
        f32::from_bits(v.to_bits() + 1)
    }
}

/// The float just above `v`.
fn f32_after(v: f32) -> f32 {
    -f32_before(-v)
}

/// A linear form over single elements of named tensors, plus a constant.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_thresholds_decide_single_precision_inputs_as_the_double_does() {
        for t in [0.300000000001f64, -0.300000000001, 2.5e-8, -7.123456789, 1e-40] {
            for cmp in [Cmp::Le, Cmp::Lt] {
                let f = f32_threshold(t, cmp);
                let x0 = t as f32;
                for x in [
                    f32_before(f32_before(x0)),
                    f32_before(x0),
                    x0,
                    f32_after(x0),
                    f32_after(f32_after(x0)),
                ] {
                    let want = match cmp {
                        Cmp::Le => (x as f64) <= t,
                        _ => (x as f64) < t,
                    };
                    assert_eq!(cmp.holds(x as f64, f), want, "t = {t}, {cmp:?}, x = {x}");
                }
            }
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Form {
    terms: Vec<(String, usize, f64)>,
    constant: f64,
}

impl Form {
    fn one() -> Self {
        Form {
            terms: vec![],
            constant: 1.0,
        }
    }
    fn at(t: &str, i: usize) -> Self {
        Form {
            terms: vec![(t.to_string(), i, 1.0)],
            constant: 0.0,
        }
    }
    /// A single element with coefficient 1 (usable as a product operand as it is).
    fn single(&self) -> Option<(&str, usize)> {
        match self.terms.as_slice() {
            [(t, i, c)] if *c == 1.0 && self.constant == 0.0 => Some((t.as_str(), *i)),
            _ => None,
        }
    }
    fn minus(&self, t: &str, i: usize) -> Self {
        let mut f = self.clone();
        f.terms.push((t.to_string(), i, -1.0));
        f
    }
}

/// Operand list of a node reading single elements of several tensors: `(operands, index of
/// each tensor)`.
fn operands<'a>(names: impl Iterator<Item = &'a str>) -> (Vec<String>, HashMap<String, usize>) {
    let mut list: Vec<String> = Vec::new();
    let mut at = HashMap::new();
    for n in names {
        if !at.contains_key(n) {
            at.insert(n.to_string(), list.len());
            list.push(n.to_string());
        }
    }
    (list, at)
}

/// Adds the ensemble's raw scores to `c`: for each output `o`,
/// `factor · Σ leaf weight · indicator + base[o]`, as a tensor of shape `[1, outputs]`.
pub fn scores(
    ctx: &LowerCtx,
    c: &mut Composite,
    x: &str,
    forest: &Forest,
    outputs: usize,
    factor: f64,
    base: &[f64],
) -> Result<String, ModelError> {
    // splits, merged
    let mut checks: Vec<Check> = Vec::new();
    let mut check_of: HashMap<(usize, u32, Cmp), usize> = HashMap::new();
    for node in &forest.nodes {
        if let TNode::Split { check, .. } = node {
            check_of
                .entry((check.index, check.threshold.to_bits(), check.cmp))
                .or_insert_with(|| {
                    checks.push(*check);
                    checks.len() - 1
                });
        }
    }
    let splits = forest.nodes.len() - forest.nodes.iter().filter(|n| matches!(n, TNode::Leaf { .. })).count();
    ctx.check_terms(splits.saturating_mul(8) + checks.len().saturating_mul(6))?;
    let flags = if checks.is_empty() {
        String::new()
    } else {
        let n = checks.len();
        c.add(
            Op::Threshold {
                checks: checks.clone(),
                fixed: false,
            },
            vec![x.to_string()],
            vec![n],
        )
    };
    let flag_of = |check: &Check| check_of[&(check.index, check.threshold.to_bits(), check.cmp)];

    // indicators, level by level
    let mut sums: Vec<Form> = vec![Form::default(); outputs];
    let add_leaf = |weights: &[(usize, f64)], ind: &Form, sums: &mut Vec<Form>| {
        for &(o, w) in weights {
            let w = w * factor;
            sums[o].constant += w * ind.constant;
            for (t, i, c) in &ind.terms {
                sums[o].terms.push((t.clone(), *i, w * c));
            }
        }
    };
    let mut level: Vec<(usize, Form)> = forest.roots.iter().map(|&r| (r, Form::one())).collect();
    while !level.is_empty() {
        // leaves of this level go to the sums; splits need their indicator as one wire
        let mut splits: Vec<(usize, Form)> = Vec::new();
        for (i, ind) in level {
            match &forest.nodes[i] {
                TNode::Leaf { weights } => add_leaf(weights, &ind, &mut sums),
                TNode::Split { .. } => splits.push((i, ind)),
            }
        }
        if splits.is_empty() {
            break;
        }
        // materialise the indicators that are not single wires (one linear node)
        let pending: Vec<usize> = (0..splits.len())
            .filter(|&k| splits[k].1.single().is_none() && !(splits[k].1.terms.is_empty() && splits[k].1.constant == 1.0))
            .collect();
        let mut wire: Vec<Option<(String, usize)>> = splits.iter().map(|(_, f)| f.single().map(|(t, i)| (t.to_string(), i))).collect();
        if !pending.is_empty() {
            let (ops, at) = operands(pending.iter().flat_map(|&k| splits[k].1.terms.iter().map(|t| t.0.as_str())));
            let rows = pending
                .iter()
                .map(|&k| {
                    splits[k]
                        .1
                        .terms
                        .iter()
                        .map(|(t, i, coeff)| LinTerm {
                            operand: at[t],
                            index: *i,
                            coeff: *coeff as f32,
                        })
                        .collect()
                })
                .collect();
            let bias = pending.iter().map(|&k| splits[k].1.constant as f32).collect();
            let m = c.add(Op::Linear { exact: true, rows, bias }, ops, vec![pending.len()]);
            for (j, &k) in pending.iter().enumerate() {
                wire[k] = Some((m.clone(), j));
            }
        }
        // products of the non-root indicators with their flags (one product node over a merged
        // operand: a select costs no rows)
        let prod: Vec<usize> = (0..splits.len()).filter(|&k| wire[k].is_some()).collect();
        let mut product_name = String::new();
        if !prod.is_empty() {
            let (ops, at) = operands(prod.iter().map(|&k| wire[k].as_ref().expect("wire").0.as_str()));
            let sources = prod
                .iter()
                .map(|&k| {
                    let (t, i) = wire[k].as_ref().expect("wire");
                    Source::Wire { operand: at[t], index: *i }
                })
                .collect();
            let merged = c.add(Op::Select { sources }, ops, vec![prod.len()]);
            let pairs = prod
                .iter()
                .enumerate()
                .map(|(j, &k)| {
                    let TNode::Split { check, .. } = &forest.nodes[splits[k].0] else {
                        unreachable!()
                    };
                    (j, flag_of(check))
                })
                .collect();
            product_name = c.add(Op::Product { pairs }, vec![merged, flags.clone()], vec![prod.len()]);
        }
        let mut next = Vec::new();
        let mut p = 0;
        for (k, (i, _)) in splits.iter().enumerate() {
            let TNode::Split { check, yes, no } = &forest.nodes[*i] else {
                unreachable!()
            };
            match &wire[k] {
                None => {
                    // the root: I = 1
                    let f = flag_of(check);
                    next.push((*yes, Form::at(&flags, f)));
                    let mut not = Form::one();
                    not.terms.push((flags.clone(), f, -1.0));
                    next.push((*no, not));
                }
                Some((t, w)) => {
                    next.push((*yes, Form::at(&product_name, p)));
                    next.push((*no, Form::at(t, *w).minus(&product_name, p)));
                    p += 1;
                }
            }
        }
        level = next;
    }

    // the weighted sums, equal terms merged
    let (ops, at) = operands(sums.iter().flat_map(|s| s.terms.iter().map(|t| t.0.as_str())));
    let mut rows = Vec::with_capacity(outputs);
    let mut bias = Vec::with_capacity(outputs);
    for (o, s) in sums.iter().enumerate() {
        let mut merged: BTreeMap<(usize, usize), f64> = BTreeMap::new();
        for (t, i, w) in &s.terms {
            *merged.entry((at[t], *i)).or_default() += w;
        }
        rows.push(
            merged
                .into_iter()
                .filter(|(_, w)| *w != 0.0)
                .map(|((operand, index), w)| LinTerm {
                    operand,
                    index,
                    coeff: w as f32,
                })
                .collect::<Vec<_>>(),
        );
        bias.push((s.constant + base.get(o).copied().unwrap_or(0.0)) as f32);
    }
    if ops.is_empty() {
        return Err(ctx.unsupported_form("every tree is a single leaf: the output does not depend on the input"));
    }
    Ok(c.add(Op::Linear { exact: false, rows, bias }, ops, vec![1, outputs]))
}
