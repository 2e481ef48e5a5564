//! ONNX `Einsum` over one or two operands: explicit (`ij,jk->ik`) and implicit (`ij,jk`)
//! outputs, `...` broadcast dimensions, repeated labels (diagonals, traces).
//!
//! Every output element is a sum over the contracted labels: of one operand's elements (sums,
//! traces, transposes: an exact sum or pure data movement), or of products of two operands'
//! elements (the same path as `MatMul`: one linear combination per output when one side is
//! constant, products then sums when both are computed).

use super::matmul::lower_pairs;
use super::shape::{numel, ravel, strides, unravel};
use super::{compose, Composite, LowerCtx, Lowered, Operand};
use crate::ModelError;

/// Label id of the `j`-th broadcast (`...`) dimension; letters use their character code.
const ELLIPSIS: u32 = 1000;

/// A parsed equation: the labels of each operand's dimensions and of the output.
#[derive(Debug, PartialEq)]
struct Equation {
    inputs: Vec<Vec<u32>>,
    output: Vec<u32>,
}

/// Labels of one term; `...` expands to `dims - letters` broadcast labels, right-aligned
/// against `width` broadcast dimensions in total.
fn term_labels(term: &str, rank: Option<usize>, width: usize) -> Result<Vec<u32>, String> {
    let parts: Vec<&str> = term.split("...").collect();
    if parts.len() > 2 {
        return Err(format!("term `{term}` has more than one `...`"));
    }
    let mut letters = Vec::new();
    for p in &parts {
        for ch in p.chars() {
            if !ch.is_ascii_alphabetic() {
                return Err(format!("term `{term}` holds `{ch}`; labels are letters"));
            }
        }
    }
    let count: usize = parts.iter().map(|p| p.len()).sum();
    let ell = match (parts.len(), rank) {
        (2, Some(r)) if r >= count => r - count,
        (2, None) => width,
        (2, Some(r)) => return Err(format!("term `{term}` names {count} dimensions but its operand has rank {r}")),
        (_, Some(r)) if r != count => return Err(format!("term `{term}` names {count} dimensions but its operand has rank {r}")),
        _ => 0,
    };
    letters.extend(parts[0].chars().map(|c| c as u32));
    if parts.len() == 2 {
        letters.extend((width - ell..width).map(|j| ELLIPSIS + j as u32));
        letters.extend(parts[1].chars().map(|c| c as u32));
    }
    Ok(letters)
}

/// Parses `equation` for operands of the given ranks.
fn parse(equation: &str, ranks: &[usize]) -> Result<Equation, String> {
    let eq: String = equation.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match eq.split_once("->") {
        Some((l, r)) => (l, Some(r)),
        None => (eq.as_str(), None),
    };
    let terms: Vec<&str> = lhs.split(',').collect();
    if terms.len() != ranks.len() {
        return Err(format!(
            "equation `{equation}` has {} terms for {} operands",
            terms.len(),
            ranks.len()
        ));
    }
    let width = terms
        .iter()
        .zip(ranks)
        .filter(|(t, _)| t.contains("..."))
        .map(|(t, &r)| r.saturating_sub(t.len() - 3))
        .max()
        .unwrap_or(0);
    let inputs = terms
        .iter()
        .zip(ranks)
        .map(|(t, &r)| term_labels(t, Some(r), width))
        .collect::<Result<Vec<_>, _>>()?;
    let output = match rhs {
        Some(r) => {
            let out = term_labels(r, None, width)?;
            for (i, l) in out.iter().enumerate() {
                if out[..i].contains(l) {
                    return Err(format!("output `{r}` repeats a label"));
                }
                if !inputs.iter().any(|t| t.contains(l)) {
                    return Err(format!(
                        "output label `{}` appears in no input term",
                        char::from_u32(*l).unwrap_or('?')
                    ));
                }
            }
            out
        }
        None => {
            let mut out: Vec<u32> = (0..width as u32).map(|j| ELLIPSIS + j).collect();
            let mut once: Vec<u32> = Vec::new();
            let all: Vec<u32> = inputs.iter().flatten().copied().filter(|&l| l < ELLIPSIS).collect();
            for &l in &all {
                if all.iter().filter(|&&m| m == l).count() == 1 {
                    once.push(l);
                }
            }
            once.sort_unstable();
            out.extend(once);
            out
        }
    };
    Ok(Equation { inputs, output })
}

/// Lowers an `Einsum` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let ops: Vec<&Operand> = ctx.inputs.iter().filter(|o| !matches!(o, Operand::Absent)).collect();
    if ops.is_empty() || ops.len() > 2 {
        return Err(ctx.err(format!("{} operands; Einsum over one or two operands is supported", ops.len())));
    }
    let shapes: Vec<Vec<usize>> = ops.iter().map(|o| o.shape().unwrap_or(&[]).to_vec()).collect();
    let ranks: Vec<usize> = shapes.iter().map(|s| s.len()).collect();
    let equation = ctx.attr_str("equation", "");
    let eq = parse(&equation, &ranks).map_err(|e| ctx.err(e))?;
    // the size of every label: operands agree or hold 1 (broadcast)
    let mut size: Vec<(u32, usize)> = Vec::new();
    for (labels, shape) in eq.inputs.iter().zip(&shapes) {
        for (&l, &d) in labels.iter().zip(shape) {
            match size.iter_mut().find(|(m, _)| *m == l) {
                Some((_, s)) if *s == d || d == 1 => {}
                Some((_, s)) if *s == 1 => *s = d,
                Some((_, s)) => {
                    let name = char::from_u32(l)
                        .filter(|_| l < ELLIPSIS)
                        .map_or("...".to_string(), |c| c.to_string());
                    return Err(ctx.err(format!("label `{name}` has sizes {s} and {d}")));
                }
                None => size.push((l, d)),
            }
        }
    }
    let size_of = |l: u32| size.iter().find(|(m, _)| *m == l).map_or(1, |&(_, s)| s);
    let out_shape: Vec<usize> = eq.output.iter().map(|&l| size_of(l)).collect();
    if numel(&out_shape) != numel(&ctx.out_shape) {
        return Err(ctx.err(format!("computed output shape {out_shape:?} differs from {:?}", ctx.out_shape)));
    }
    let summed: Vec<u32> = size.iter().map(|&(l, _)| l).filter(|l| !eq.output.contains(l)).collect();
    let summed_shape: Vec<usize> = summed.iter().map(|&l| size_of(l)).collect();
    let (n_out, n_sum) = (numel(&out_shape), numel(&summed_shape));
    ctx.check_terms(n_out.saturating_mul(n_sum))?;
    // flat index into operand `k` for an assignment of every label
    let flat = |k: usize, value: &dyn Fn(u32) -> usize| -> usize {
        let idx: Vec<usize> = eq.inputs[k]
            .iter()
            .zip(&shapes[k])
            .map(|(&l, &d)| if d == 1 { 0 } else { value(l) })
            .collect();
        ravel(&idx, &strides(&shapes[k]))
    };
    let mut terms: Vec<Vec<Vec<usize>>> = Vec::with_capacity(n_out);
    for o in 0..n_out {
        let oi = unravel(o, &out_shape);
        let mut per = Vec::with_capacity(n_sum);
        for s in 0..n_sum {
            let si = unravel(s, &summed_shape);
            let value = |l: u32| match eq.output.iter().position(|&m| m == l) {
                Some(p) => oi[p],
                None => si[summed.iter().position(|&m| m == l).expect("a label")],
            };
            // a repeated label inside one operand is a diagonal: every occurrence takes the value
            per.push((0..ops.len()).map(|k| flat(k, &value)).collect());
        }
        terms.push(per);
    }
    let out = ctx.out_shape.clone();
    let mut c = Composite::new(ctx);
    if ops.len() == 1 {
        let (x, _) = ctx.var(0)?;
        let groups: Vec<Vec<usize>> = terms.iter().map(|p| p.iter().map(|v| v[0]).collect()).collect();
        if n_sum == 1 {
            let idx: Vec<usize> = groups.iter().map(|g| g[0]).collect();
            compose::select(&mut c, &x, &idx, &out);
        } else {
            compose::sum(&mut c, &x, &groups, 1.0, &out);
        }
    } else {
        let pairs: Vec<Vec<(usize, usize)>> = terms.iter().map(|p| p.iter().map(|v| (v[0], v[1])).collect()).collect();
        lower_pairs(ctx, &mut c, ops[0], ops[1], &pairs, 1.0, vec![0.0; n_out])?;
    }
    Ok(c.finish())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::*;

    fn einsum(eq: &str, inputs: Vec<Operand>, out: &[usize], values: &[(&str, Vec<f64>)]) -> Vec<f64> {
        let mut n = ctx_with("Einsum", inputs, out);
        n.string("equation", eq);
        eval_lowered(&n.run(lower).unwrap(), values)
    }

    #[test]
    fn parses_explicit_implicit_and_broadcast_equations() {
        let l = |s: &str| s.chars().map(|c| c as u32).collect::<Vec<_>>();
        let e = parse("ij, jk -> ik", &[2, 2]).unwrap();
        assert_eq!(
            e,
            Equation {
                inputs: vec![l("ij"), l("jk")],
                output: l("ik")
            }
        );
        // implicit: labels seen once, in alphabetical order
        assert_eq!(parse("kj,ji", &[2, 2]).unwrap().output, l("ik"));
        // `...` covers the leading dimensions, right-aligned
        let e = parse("...ii,...i->...i", &[4, 2]).unwrap();
        assert_eq!(e.inputs[0][..2], [ELLIPSIS, ELLIPSIS + 1]);
        assert_eq!(e.inputs[1][..1], [ELLIPSIS + 1]);
        assert_eq!(e.output, vec![ELLIPSIS, ELLIPSIS + 1, 'i' as u32]);
    }

    #[test]
    fn bad_equations_are_named() {
        assert!(parse("ij,jk->ik", &[2]).unwrap_err().contains("2 terms for 1 operands"));
        assert!(parse("ij->ik", &[2])
            .unwrap_err()
            .contains("output label `k` appears in no input term"));
        assert!(parse("ijk->i", &[2])
            .unwrap_err()
            .contains("names 3 dimensions but its operand has rank 2"));
        assert!(parse("i1->i", &[2]).unwrap_err().contains("labels are letters"));
        assert!(parse("ij->ii", &[2]).unwrap_err().contains("repeats a label"));
    }

    #[test]
    fn matrix_product_of_two_computed_operands() {
        let a = vec![1.0, 2.0, 3.0, 4.0];
        let b = vec![5.0, 6.0, 7.0, 8.0];
        let y = einsum(
            "ij,jk->ik",
            vec![var("a", &[2, 2]), var("b", &[2, 2])],
            &[2, 2],
            &[("a", a), ("b", b)],
        );
        assert_eq!(y, vec![19.0, 22.0, 43.0, 50.0]);
    }

    #[test]
    fn batched_product_with_constant_weights() {
        // b[2] x [2,1,2] · w[2,2] → [2,1,2]
        let w = konst(&[2, 2], &[1.0, 0.0, 2.0, 1.0]);
        let x = vec![1.0, 1.0, 2.0, 3.0];
        let y = einsum("bij,jk->bik", vec![var("x", &[2, 1, 2]), w], &[2, 1, 2], &[("x", x)]);
        assert_eq!(y, vec![3.0, 1.0, 8.0, 3.0]);
    }

    #[test]
    fn sums_traces_transposes_and_inner_products() {
        let x = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
        let vx = || vec![("x", x.clone())];
        assert_eq!(einsum("ij->i", vec![var("x", &[3, 3])], &[3], &vx()), vec![6.0, 15.0, 24.0]);
        assert_eq!(einsum("ii", vec![var("x", &[3, 3])], &[], &vx()), vec![15.0]);
        assert_eq!(einsum("ii->i", vec![var("x", &[3, 3])], &[3], &vx()), vec![1.0, 5.0, 9.0]);
        assert_eq!(einsum("ij->ji", vec![var("x", &[3, 3])], &[3, 3], &vx())[..3], [1.0, 4.0, 7.0]);
        let v = vec![("a", vec![1.0, 2.0]), ("b", vec![3.0, 4.0])];
        assert_eq!(einsum("i,i", vec![var("a", &[2]), var("b", &[2])], &[], &v), vec![11.0]);
        // batch diagonal with `...`
        let y = einsum("...ii->...i", vec![var("x", &[1, 3, 3])], &[1, 3], &vx());
        assert_eq!(y, vec![1.0, 5.0, 9.0]);
    }

    #[test]
    fn mismatched_sizes_and_three_operands_are_refused() {
        let mut n = ctx_with("Einsum", vec![var("a", &[2, 3]), var("b", &[2, 2])], &[2, 2]);
        n.string("equation", "ij,jk->ik");
        assert!(n.run(lower).unwrap_err().to_string().contains("label `j` has sizes 3 and 2"));
        let mut n = ctx_with("Einsum", vec![var("a", &[2]), var("b", &[2]), var("c", &[2])], &[]);
        n.string("equation", "i,i,i");
        assert!(n.run(lower).unwrap_err().to_string().contains("3 operands"));
    }
}
