//! Building blocks of composite lowerings: element selection, running maxima and minima,
//! sums over groups of elements. Each returns the name of the tensor it adds.

use super::Composite;
use crate::graph::{Activation, LinTerm, Op, Source};

fn term(operand: usize, index: usize, coeff: f32) -> LinTerm {
    LinTerm { operand, index, coeff }
}

/// `out[i] = x[idx[i]]`.
pub fn select(c: &mut Composite, x: &str, idx: &[usize], shape: &[usize]) -> String {
    let sources = idx.iter().map(|&index| Source::Wire { operand: 0, index }).collect();
    c.add(Op::Select { sources }, vec![x.to_string()], shape.to_vec())
}

/// `out[i] = max(a[ia[i]], b[ib[i]])` (or the minimum), as `a + relu(b − a)`
/// (`a − relu(a − b)`): one subtraction, one relu lookup, one addition per element.
pub fn extreme2(c: &mut Composite, a: &str, ia: &[usize], b: &str, ib: &[usize], shape: &[usize], max: bool) -> String {
    let n = ia.len();
    let s = if max { 1.0 } else { -1.0 };
    let rows = ia.iter().zip(ib).map(|(&i, &j)| vec![term(0, j, s), term(1, i, -s)]).collect();
    let d = c.add(
        Op::Linear {
            exact: true,
            rows,
            bias: vec![0.0; n],
        },
        vec![b.to_string(), a.to_string()],
        shape.to_vec(),
    );
    let r = c.add(Op::Activation(Activation::Relu), vec![d], shape.to_vec());
    let rows = ia.iter().enumerate().map(|(k, &i)| vec![term(0, i, 1.0), term(1, k, s)]).collect();
    c.add(
        Op::Linear {
            exact: true,
            rows,
            bias: vec![0.0; n],
        },
        vec![a.to_string(), r],
        shape.to_vec(),
    )
}

/// `out[i] = max over x[g] for g in groups[i]` (or the minimum); every group is non-empty.
/// A running extreme: group sizes may differ (shorter groups keep their value).
pub fn extreme(c: &mut Composite, x: &str, groups: &[Vec<usize>], shape: &[usize], max: bool) -> String {
    let first: Vec<usize> = groups.iter().map(|g| g[0]).collect();
    let mut m = select(c, x, &first, shape);
    let n = groups.len();
    let len = groups.iter().map(|g| g.len()).max().unwrap_or(1);
    let s = if max { 1.0 } else { -1.0 };
    let own: Vec<usize> = (0..n).collect();
    for j in 1..len {
        let rows = groups
            .iter()
            .enumerate()
            .map(|(i, g)| match g.get(j) {
                Some(&k) => vec![term(0, k, s), term(1, i, -s)],
                None => vec![],
            })
            .collect();
        let d = c.add(
            Op::Linear {
                exact: true,
                rows,
                bias: vec![0.0; n],
            },
            vec![x.to_string(), m.clone()],
            shape.to_vec(),
        );
        let r = c.add(Op::Activation(Activation::Relu), vec![d], shape.to_vec());
        let rows = own.iter().map(|&i| vec![term(0, i, 1.0), term(1, i, s)]).collect();
        m = c.add(
            Op::Linear {
                exact: true,
                rows,
                bias: vec![0.0; n],
            },
            vec![m, r],
            shape.to_vec(),
        );
    }
    m
}

/// `out[i] = coeff · Σ x[g] for g in groups[i]` (exact when `coeff` is 1).
pub fn sum(c: &mut Composite, x: &str, groups: &[Vec<usize>], coeff: f32, shape: &[usize]) -> String {
    let rows = groups.iter().map(|g| g.iter().map(|&k| term(0, k, coeff)).collect()).collect();
    c.add(
        Op::Linear {
            exact: coeff == 1.0,
            rows,
            bias: vec![0.0; groups.len()],
        },
        vec![x.to_string()],
        shape.to_vec(),
    )
}

/// `out[i] = a[i] − b[group_of[i]]` (both variable).
pub fn minus_grouped(c: &mut Composite, a: &str, b: &str, group_of: &[usize], shape: &[usize]) -> String {
    let rows = group_of
        .iter()
        .enumerate()
        .map(|(i, &g)| vec![term(0, i, 1.0), term(1, g, -1.0)])
        .collect();
    c.add(
        Op::Linear {
            exact: true,
            rows,
            bias: vec![0.0; group_of.len()],
        },
        vec![a.to_string(), b.to_string()],
        shape.to_vec(),
    )
}

/// Groups of flat indices of `shape` that share every coordinate except those on `axes`;
/// returns the groups (in row-major order of the kept coordinates) and each element's group.
pub fn groups_over(shape: &[usize], axes: &[usize]) -> (Vec<Vec<usize>>, Vec<usize>) {
    use super::shape::{ravel, strides, unravel};
    let kept: Vec<usize> = shape
        .iter()
        .enumerate()
        .map(|(d, &n)| if axes.contains(&d) { 1 } else { n })
        .collect();
    let kst = strides(&kept);
    let total: usize = shape.iter().product();
    let mut groups = vec![Vec::new(); kept.iter().product()];
    let mut group_of = vec![0; total];
    for (f, g_of) in group_of.iter_mut().enumerate() {
        let mut idx = unravel(f, shape);
        for &a in axes {
            idx[a] = 0;
        }
        let g = ravel(&idx, &kst);
        groups[g].push(f);
        *g_of = g;
    }
    (groups, group_of)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_along_an_axis() {
        let (g, of) = groups_over(&[2, 3], &[1]);
        assert_eq!(g, vec![vec![0, 1, 2], vec![3, 4, 5]]);
        assert_eq!(of, vec![0, 0, 0, 1, 1, 1]);
        let (g, _) = groups_over(&[2, 3], &[0]);
        assert_eq!(g, vec![vec![0, 3], vec![1, 4], vec![2, 5]]);
    }
}
