//! ONNX `MatMul` with numpy semantics: 1-D operands promoted, batch dimensions broadcast. A
//! constant operand (weights) makes every output one linear combination; two computed
//! operands (attention scores, `x·xᵀ`) become element products summed per output.

use super::{LowerCtx, Lowered, Operand};
use crate::graph::{LinTerm, Op};
use crate::ModelError;

/// A 2-D view of a matrix operand.
pub(super) struct Side<'a> {
    /// The operand.
    pub op: &'a Operand,
    /// Rows, columns.
    pub dims: (usize, usize),
    /// Whether the stored layout is transposed relative to `dims`.
    pub transposed: bool,
}

impl Side<'_> {
    /// Flat index of element (r, c) in the stored tensor.
    pub fn index(&self, r: usize, c: usize) -> usize {
        if self.transposed {
            c * self.dims.0 + r
        } else {
            r * self.dims.1 + c
        }
    }
}

/// Reduces a shape to 2-D: leading dims must be 1; a 1-D vector becomes a row (left operand)
/// or a column (right operand).
pub(super) fn as_2d(ctx: &LowerCtx, shape: &[usize], left: bool) -> Result<(usize, usize), ModelError> {
    match shape.len() {
        0 => Err(ctx.err("scalar operand of a matrix product")),
        1 => Ok(if left { (1, shape[0]) } else { (shape[0], 1) }),
        n => {
            if shape[..n - 2].iter().any(|&d| d != 1) {
                return Err(ctx.err(format!("batched matrix product over shape {shape:?} is not supported")));
            }
            Ok((shape[n - 2], shape[n - 1]))
        }
    }
}

/// For each output element, the (a, b) flat index pairs of the products it sums.
pub(super) type Pairs = Vec<Vec<(usize, usize)>>;

/// For every output element of `a @ b` (numpy matmul semantics), the (a, b) flat index pairs
/// whose products it sums; and the output shape.
pub(super) fn matmul_pairs(ctx: &LowerCtx, ash: &[usize], bsh: &[usize]) -> Result<(Pairs, Vec<usize>), ModelError> {
    use super::broadcast::index_map;
    use super::shape::numel;
    if ash.is_empty() || bsh.is_empty() {
        return Err(ctx.err("scalar operand of a matrix product"));
    }
    // promote 1-D operands
    let a2: Vec<usize> = if ash.len() == 1 { vec![1, ash[0]] } else { ash.to_vec() };
    let b2: Vec<usize> = if bsh.len() == 1 { vec![bsh[0], 1] } else { bsh.to_vec() };
    let (m, k) = (a2[a2.len() - 2], a2[a2.len() - 1]);
    let (k2, n) = (b2[b2.len() - 2], b2[b2.len() - 1]);
    if k != k2 {
        return Err(ctx.err(format!("inner dimensions differ: {k} vs {k2} (shapes {ash:?} and {bsh:?})")));
    }
    let (ab, bb) = (&a2[..a2.len() - 2], &b2[..b2.len() - 2]);
    let rank = ab.len().max(bb.len());
    let mut batch = vec![1usize; rank];
    for (d, slot) in batch.iter_mut().enumerate() {
        let da = if d + ab.len() >= rank { ab[d + ab.len() - rank] } else { 1 };
        let db = if d + bb.len() >= rank { bb[d + bb.len() - rank] } else { 1 };
        if da != db && da != 1 && db != 1 {
            return Err(ctx.err(format!("batch dimensions of {ash:?} and {bsh:?} do not broadcast")));
        }
        *slot = da.max(db);
    }
    let amap = index_map(ab, &batch).expect("checked");
    let bmap = index_map(bb, &batch).expect("checked");
    let nb = numel(&batch);
    ctx.check_terms(nb.saturating_mul(m).saturating_mul(n).saturating_mul(k))?;
    let mut pairs = Vec::with_capacity(nb * m * n);
    for bi in 0..nb {
        let (abase, bbase) = (amap[bi] * m * k, bmap[bi] * k * n);
        for i in 0..m {
            for j in 0..n {
                pairs.push((0..k).map(|t| (abase + i * k + t, bbase + t * n + j)).collect());
            }
        }
    }
    let mut out = batch;
    if ash.len() > 1 {
        out.push(m);
    }
    if bsh.len() > 1 {
        out.push(n);
    }
    Ok((pairs, out))
}

/// `alpha · Σ a·b` per output from index pairs, with one or both operands computed, plus a
/// constant bias per output.
pub(super) fn lower_pairs(
    ctx: &LowerCtx,
    c: &mut super::Composite,
    a: &Operand,
    b: &Operand,
    pairs: &[Vec<(usize, usize)>],
    alpha: f32,
    bias: Vec<f32>,
) -> Result<String, ModelError> {
    let term = |index, coeff| LinTerm { operand: 0, index, coeff };
    let shape = ctx.out_shape.clone();
    match (a, b) {
        (Operand::Var { name, .. }, Operand::Const(k)) => {
            let rows = pairs
                .iter()
                .map(|p| p.iter().map(|&(i, j)| term(i, alpha * k.data[j])).collect())
                .collect();
            Ok(c.add(Op::Linear { exact: false, rows, bias }, vec![name.clone()], shape))
        }
        (Operand::Const(k), Operand::Var { name, .. }) => {
            let rows = pairs
                .iter()
                .map(|p| p.iter().map(|&(i, j)| term(j, alpha * k.data[i])).collect())
                .collect();
            Ok(c.add(Op::Linear { exact: false, rows, bias }, vec![name.clone()], shape))
        }
        (Operand::Var { name: na, .. }, Operand::Var { name: nb, .. }) => {
            if pairs.iter().any(|p| p.is_empty()) {
                return Err(ctx.err("an output element sums over no products (an empty contraction)"));
            }
            let dot = c.add(Op::Dot { groups: pairs.to_vec() }, vec![na.clone(), nb.clone()], shape.clone());
            if alpha == 1.0 && bias.iter().all(|&b| b == 0.0) {
                return Ok(dot);
            }
            let rows = (0..pairs.len()).map(|i| vec![term(i, alpha)]).collect();
            Ok(c.add(Op::Linear { exact: false, rows, bias }, vec![dot], shape))
        }
        _ => Err(ctx.err("both operands are constant")),
    }
}

/// Lowers a `MatMul` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (a, b) = (ctx.input(0)?, ctx.input(1)?);
    let (pairs, out) = matmul_pairs(ctx, a.shape().unwrap_or(&[]), b.shape().unwrap_or(&[]))?;
    if out.iter().product::<usize>() != ctx.out_shape.iter().product::<usize>() {
        return Err(ctx.err(format!("computed output shape {out:?} differs from {:?}", ctx.out_shape)));
    }
    let n = pairs.len();
    let mut c = super::Composite::new(ctx);
    lower_pairs(ctx, &mut c, a, b, &pairs, 1.0, vec![0.0; n])?;
    Ok(c.finish())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::graph::Op;
    use crate::ops::Lowered;

    #[test]
    fn vector_times_weight_matrix() {
        // x[1,2] · W[2,3]
        let w = konst(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let l = run(super::lower, "MatMul", vec![var("x", &[1, 2]), w], &[1, 3]).unwrap();
        let Lowered::Op(Op::Linear { rows, .. }, _) = l else { panic!() };
        let coeffs: Vec<Vec<f32>> = rows.iter().map(|r| r.iter().map(|t| t.coeff).collect()).collect();
        assert_eq!(coeffs, vec![vec![1.0, 4.0], vec![2.0, 5.0], vec![3.0, 6.0]]);
    }

    #[test]
    fn two_variables_are_one_dot_product() {
        let l = run(super::lower, "MatMul", vec![var("a", &[1, 2]), var("b", &[2, 1])], &[1, 1]).unwrap();
        assert_eq!(graph_ops(&l), vec!["Dot"]);
    }

    #[test]
    fn batch_dimensions_broadcast() {
        // a [2,1,2] @ W [2,1] → [2,1,1]
        let w = konst(&[2, 1], &[3.0, 5.0]);
        let l = run(super::lower, "MatMul", vec![var("a", &[2, 1, 2]), w], &[2, 1, 1]).unwrap();
        let Lowered::Op(Op::Linear { rows, .. }, _) = l else { panic!() };
        let idx: Vec<Vec<usize>> = rows.iter().map(|r| r.iter().map(|t| t.index).collect()).collect();
        assert_eq!(idx, vec![vec![0, 1], vec![2, 3]]);
    }

    #[test]
    fn mismatched_inner_dimensions_are_named() {
        let e = run(super::lower, "MatMul", vec![var("a", &[1, 2]), var("b", &[3, 1])], &[1, 1]).unwrap_err();
        assert!(e.to_string().contains("inner dimensions differ: 2 vs 3"), "{e}");
    }

    #[test]
    fn bad_operand_shapes_are_named() {
        let e = run(super::lower, "MatMul", vec![var("a", &[]), var("b", &[2, 1])], &[1]).unwrap_err();
        assert!(e.to_string().contains("scalar operand of a matrix product"), "{e}");
        let e = run(super::lower, "MatMul", vec![var("a", &[2, 1, 2]), var("b", &[3, 2, 1])], &[2, 1, 1]).unwrap_err();
        assert!(e.to_string().contains("batch dimensions of [2, 1, 2] and [3, 2, 1]"), "{e}");
        let w = konst(&[2, 1], &[3.0, 5.0]);
        let e = run(super::lower, "MatMul", vec![var("a", &[1, 2]), w], &[2]).unwrap_err();
        assert!(e.to_string().contains("computed output shape [1, 1] differs from [2]"), "{e}");
    }

    #[test]
    fn two_constants_are_refused() {
        let (a, b) = (konst(&[1, 2], &[1.0, 2.0]), konst(&[2, 1], &[3.0, 4.0]));
        let e = run(super::lower, "MatMul", vec![a, b], &[1, 1]).unwrap_err();
        assert!(e.to_string().contains("both operands are constant"), "{e}");
    }

    #[test]
    fn more_than_two_to_the_24_rows_are_refused_before_building() {
        // 4097 × 4096 products: only the shapes are large, the check runs before any pair is listed
        let (a, b) = (var("a", &[4097, 4096]), var("b", &[4096, 1]));
        let e = run(super::lower, "MatMul", vec![a, b], &[4097, 1]).unwrap_err();
        assert!(e.to_string().contains("needs about 16781312 circuit rows, more than"), "{e}");
    }
}
