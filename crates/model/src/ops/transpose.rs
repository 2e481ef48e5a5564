//! ONNX `Transpose`: a permutation of the axes (`perm`, default reversed); data movement only.

use super::shape::moved;
use super::{LowerCtx, Lowered};
use crate::ModelError;

/// Lowers a `Transpose` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, xs) = ctx.var(0)?;
    let rank = xs.len();
    let perm: Vec<usize> = match ctx.attr_ints("perm") {
        Some(p) => p.iter().map(|&a| ctx.axis(a, rank)).collect::<Result<_, _>>()?,
        None => (0..rank).rev().collect(),
    };
    let mut sorted = perm.clone();
    sorted.sort_unstable();
    if sorted != (0..rank).collect::<Vec<_>>() {
        return Err(ctx.err(format!("perm {perm:?} is not a permutation of 0..{rank}")));
    }
    let out: Vec<usize> = perm.iter().map(|&p| xs[p]).collect();
    Ok(moved(x, &xs, &out, |o| {
        let mut i = vec![0; rank];
        for (d, &p) in perm.iter().enumerate() {
            i[p] = o[d];
        }
        i
    }))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn default_perm_reverses() {
        let l = ctx_with("Transpose", vec![var("x", &[2, 3])], &[3, 2]).run(super::lower).unwrap();
        assert_eq!(selected(&l), vec![0, 3, 1, 4, 2, 5]);
    }

    #[test]
    fn bad_perm_is_named() {
        for (perm, want) in [
            (vec![0, 0], "perm [0, 0] is not a permutation of 0..2"),
            (vec![0], "perm [0] is not a permutation of 0..2"),
            (vec![0, 2], "axis 2 is out of range for rank 2"),
        ] {
            let mut n = ctx_with("Transpose", vec![var("x", &[2, 3])], &[3, 2]);
            n.ints("perm", &perm);
            let e = n.run(super::lower).unwrap_err();
            assert!(e.to_string().contains(want), "{perm:?}: {e}");
        }
    }
}
