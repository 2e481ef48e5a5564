//! Graph clean-up after lowering: chains of linear layers folded into one.
//!
//! An exact linear node (sums and differences of at most two terms plus a constant: the `Add`
//! of a bias, a residual sum, the `Sub` of a mean an exported model spells as separate nodes)
//! whose output only one other linear node reads, once, is substituted into its reader (into a
//! weighted reader only when its rows have one term: a weighted layer rescales each operand it
//! reads, and two operands in place of their sum could cost a rescale more). The
//! circuit then computes one weighted sum instead of two, with one rescale fewer: fewer rows,
//! and no rounding in between. Only exact nodes are folded: their ±1 coefficients leave the
//! reader's weights as they are (folding a scaling such as a StandardScaler's 1/σ into the
//! next layer's weights would make small weights smaller, and cost precision), and weight
//! matrices are never multiplied into new ones.

use crate::graph::{Graph, LinTerm, Op};
use std::collections::HashMap;

/// Terms a linear node's rows may have at most for it to be folded into its reader.
const SHORT_ROW: usize = 2;

/// Folds short exact linear nodes into their single linear reader (see the module docs); returns
/// how many nodes it removed.
pub fn fuse_linear(graph: &mut Graph) -> usize {
    let mut removed = 0;
    loop {
        let Some((m, n)) = candidate(graph) else { return removed };
        let inner = graph.nodes.remove(m);
        let reader = &mut graph.nodes[n - 1];
        substitute(reader, &inner);
        removed += 1;
    }
}

/// The first pair (producer index, reader index) that can be folded.
fn candidate(graph: &Graph) -> Option<(usize, usize)> {
    let mut readers: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, node) in graph.nodes.iter().enumerate() {
        for input in &node.inputs {
            readers.entry(input.as_str()).or_default().push(i);
        }
    }
    let outputs: Vec<&str> = graph.outputs.iter().map(|(o, _)| o.as_str()).collect();
    graph.nodes.iter().enumerate().find_map(|(m, node)| {
        let Op::Linear { rows, exact: true, .. } = &node.op else {
            return None;
        };
        if rows.iter().any(|r| r.len() > SHORT_ROW) || outputs.contains(&node.output.as_str()) {
            return None;
        }
        let r = readers.get(node.output.as_str())?;
        let [n] = r.as_slice() else { return None };
        let reader = &graph.nodes[*n];
        let Op::Linear {
            rows: outer,
            exact: outer_exact,
            ..
        } = &reader.op
        else {
            return None;
        };
        // a weighted (non-exact) reader rescales each operand it reads at a fine scale: folding
        // a sum of two into it could trade one rescale of the sum for one per operand, so only
        // single-term rows (a bias, a sign) fold into a weighted reader
        if !outer_exact && rows.iter().any(|r| r.len() > 1) {
            return None;
        }
        let slot = reader.inputs.iter().position(|i| *i == node.output)?;
        // the folded rows must not have more terms than the two had
        let before: usize = outer.iter().map(|r| r.len()).sum::<usize>() + rows.iter().map(|r| r.len()).sum::<usize>();
        let after: usize = outer
            .iter()
            .map(|r| {
                r.iter()
                    .map(|t| if t.operand == slot { rows[t.index].len() } else { 1 })
                    .sum::<usize>()
            })
            .sum();
        (after <= before).then_some((m, *n))
    })
}

/// Replaces `reader`'s terms on `inner`'s output by `inner`'s rows.
fn substitute(reader: &mut crate::graph::Node, inner: &crate::graph::Node) {
    let Op::Linear {
        rows: in_rows,
        bias: in_bias,
        exact: in_exact,
    } = &inner.op
    else {
        unreachable!("a linear producer")
    };
    let slot = reader.inputs.iter().position(|i| *i == inner.output).expect("reads it");
    // operands: the reader's own (less the folded one), then the inner node's
    let mut names: Vec<String> = reader.inputs.iter().filter(|i| **i != inner.output).cloned().collect();
    let own: Vec<usize> = (0..reader.inputs.len())
        .map(|o| if o < slot { o } else { o.wrapping_sub(1) })
        .collect();
    let inner_to: Vec<usize> = inner
        .inputs
        .iter()
        .map(|name| crate::ops::operand_index(&mut names, name))
        .collect();
    let Op::Linear { rows, bias, exact } = &mut reader.op else {
        unreachable!("a linear reader")
    };
    for (row, b) in rows.iter_mut().zip(bias.iter_mut()) {
        let mut terms: Vec<LinTerm> = Vec::with_capacity(row.len());
        let mut at: HashMap<(usize, usize), usize> = HashMap::with_capacity(row.len());
        let mut add = |operand: usize, index: usize, coeff: f32| match at.get(&(operand, index)) {
            Some(&k) => terms[k].coeff += coeff,
            None => {
                at.insert((operand, index), terms.len());
                terms.push(LinTerm { operand, index, coeff });
            }
        };
        for t in row.iter() {
            if t.operand == slot {
                for u in &in_rows[t.index] {
                    add(inner_to[u.operand], u.index, t.coeff * u.coeff);
                }
                *b += t.coeff * in_bias[t.index];
            } else {
                add(own[t.operand], t.index, t.coeff);
            }
        }
        terms.retain(|t| t.coeff != 0.0);
        *row = terms;
    }
    *exact = *exact && *in_exact;
    reader.inputs = names;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{GraphInput, Node};

    fn lin(name: &str, inputs: &[&str], rows: Vec<Vec<(usize, usize, f32)>>, bias: Vec<f32>, exact: bool) -> Node {
        Node {
            name: name.into(),
            op_type: "T".into(),
            op: Op::Linear {
                exact,
                rows: rows
                    .into_iter()
                    .map(|r| {
                        r.into_iter()
                            .map(|(operand, index, coeff)| LinTerm { operand, index, coeff })
                            .collect()
                    })
                    .collect(),
                bias,
            },
            inputs: inputs.iter().map(|s| s.to_string()).collect(),
            output: name.into(),
            shape: vec![2],
        }
    }

    fn graph(nodes: Vec<Node>, out: &str) -> Graph {
        Graph {
            inputs: vec![GraphInput {
                name: "x".into(),
                shape: vec![2],
            }],
            outputs: vec![(out.into(), vec![2])],
            nodes,
        }
    }

    #[test]
    fn a_bias_then_a_weighted_sum_become_one_layer_with_the_same_values() {
        // a = x + 1 (elementwise); y = x + 3·a (the reader also reads x itself)
        let a = lin("a", &["x"], vec![vec![(0, 0, 1.0)], vec![(0, 1, 1.0)]], vec![1.0, 1.0], true);
        let y = lin(
            "y",
            &["x", "a"],
            vec![vec![(0, 0, 1.0), (1, 0, 3.0)], vec![(1, 1, 3.0)]],
            vec![0.0, 2.0],
            false,
        );
        let mut g = graph(vec![a, y], "y");
        let before = g.eval_float(&[vec![2.0, -4.0]])["y"].clone();
        assert_eq!(fuse_linear(&mut g), 1);
        assert_eq!(g.nodes.len(), 1);
        assert_eq!(g.nodes[0].inputs, ["x"]);
        let Op::Linear { rows, .. } = &g.nodes[0].op else { panic!() };
        assert_eq!(rows[0].len(), 1, "x and 3·x merge into one term: {rows:?}");
        assert_eq!(g.eval_float(&[vec![2.0, -4.0]])["y"], before);
    }

    #[test]
    fn shared_outputs_long_rows_and_other_readers_are_left_alone() {
        // `a` is a graph output
        let a = || lin("a", &["x"], vec![vec![(0, 0, 2.0)], vec![(0, 1, 2.0)]], vec![0.0; 2], true);
        let y = || lin("y", &["a"], vec![vec![(0, 0, 1.0)], vec![(0, 1, 1.0)]], vec![0.0; 2], true);
        let mut g = graph(vec![a(), y()], "a");
        assert_eq!(fuse_linear(&mut g), 0);
        // `a` read twice
        let z = lin("z", &["a"], vec![vec![(0, 0, 1.0)], vec![(0, 1, 1.0)]], vec![0.0; 2], true);
        let mut g = graph(vec![a(), y(), z], "y");
        assert_eq!(fuse_linear(&mut g), 0);
        // a long row (a weight matrix) stays a layer of its own
        let w = lin(
            "a",
            &["x"],
            vec![vec![(0, 0, 1.0), (0, 1, 2.0), (0, 0, 3.0)], vec![(0, 1, 1.0)]],
            vec![0.0; 2],
            false,
        );
        let mut g = graph(vec![w, y()], "y");
        assert_eq!(fuse_linear(&mut g), 0);
        // a non-linear reader
        let r = Node {
            name: "r".into(),
            op_type: "Relu".into(),
            op: Op::Activation(crate::graph::Activation::Relu),
            inputs: vec!["a".into()],
            output: "r".into(),
            shape: vec![2],
        };
        let mut g = graph(vec![a(), r], "r");
        assert_eq!(fuse_linear(&mut g), 0);
    }

    #[test]
    fn a_sum_of_two_folds_into_an_exact_reader_only() {
        let a = || {
            lin(
                "a",
                &["x"],
                vec![vec![(0, 0, 1.0), (0, 1, 1.0)], vec![(0, 1, 1.0)]],
                vec![0.0; 2],
                true,
            )
        };
        for (reader_exact, folded) in [(true, 1), (false, 0)] {
            let y = lin("y", &["a"], vec![vec![(0, 0, 2.0)], vec![(0, 1, 1.0)]], vec![0.0; 2], reader_exact);
            let mut g = graph(vec![a(), y], "y");
            assert_eq!(fuse_linear(&mut g), folded, "reader exact: {reader_exact}");
        }
    }

    #[test]
    fn scalings_are_not_folded_and_exactness_is_kept() {
        // a scaling (a StandardScaler's 1/σ) stays its own layer
        let a = lin("a", &["x"], vec![vec![(0, 0, 0.5)], vec![(0, 1, 1.0)]], vec![0.0; 2], false);
        let y = lin("y", &["a"], vec![vec![(0, 0, 2.0)], vec![(0, 1, -1.0)]], vec![0.0; 2], false);
        let mut g = graph(vec![a, y], "y");
        assert_eq!(fuse_linear(&mut g), 0);
        // exact into exact stays exact; exact into a weighted layer is that layer's kind
        for reader_exact in [true, false] {
            let a = lin("a", &["x"], vec![vec![(0, 0, 1.0)], vec![(0, 1, -1.0)]], vec![0.5; 2], true);
            let y = lin("y", &["a"], vec![vec![(0, 0, 1.0)], vec![(0, 1, -1.0)]], vec![0.0; 2], reader_exact);
            let mut g = graph(vec![a, y], "y");
            assert_eq!(fuse_linear(&mut g), 1);
            let Op::Linear { exact, .. } = &g.nodes[0].op else { panic!() };
            assert_eq!(*exact, reader_exact);
        }
    }
}
