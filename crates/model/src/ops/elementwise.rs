//! Helpers for element-wise ops over broadcast operands that may be computed or constant.

use super::broadcast::index_map;
use super::{LowerCtx, Operand};
use crate::graph::LinTerm;
use crate::ModelError;

/// Each operand's flat index for every output element (numpy broadcasting).
pub fn maps(ctx: &LowerCtx, ops: &[&Operand]) -> Result<Vec<Vec<usize>>, ModelError> {
    ops.iter()
        .enumerate()
        .map(|(i, op)| {
            let shape = op.shape().unwrap_or(&[]);
            index_map(shape, &ctx.out_shape).ok_or_else(|| {
                ctx.err(format!(
                    "input #{i} of shape {shape:?} does not broadcast to the output shape {:?}",
                    ctx.out_shape
                ))
            })
        })
        .collect()
}

/// `Σ sign·operand` per output element over broadcast operands: computed operands become
/// terms (operand numbers in `names` order), constant ones are folded into the bias.
pub struct SignedSum {
    /// Terms of each output element.
    pub rows: Vec<Vec<LinTerm>>,
    /// Constant part of each output element.
    pub bias: Vec<f32>,
    /// The computed operands' tensor names.
    pub names: Vec<String>,
}

/// Builds the [`SignedSum`] of `ops` (with their broadcast `maps` and `signs`) over `n` outputs.
pub fn signed_sum(ops: &[&Operand], maps: &[Vec<usize>], signs: &[f32], n: usize) -> SignedSum {
    let mut sum = SignedSum {
        rows: vec![Vec::new(); n],
        bias: vec![0.0; n],
        names: Vec::new(),
    };
    for ((op, map), &s) in ops.iter().zip(maps).zip(signs) {
        match op {
            Operand::Var { name, .. } => {
                sum.names.push(name.clone());
                let operand = sum.names.len() - 1;
                for (row, &index) in sum.rows.iter_mut().zip(map) {
                    row.push(LinTerm { operand, index, coeff: s });
                }
            }
            Operand::Const(t) => sum.bias.iter_mut().zip(map).for_each(|(b, &i)| *b += s * t.data[i]),
            Operand::Absent => {}
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn operands_that_do_not_broadcast_are_named() {
        // the third operand of a Sum does not broadcast to the output
        let e = ctx_with("Sum", vec![var("a", &[2]), konst(&[], &[1.0]), var("c", &[3])], &[2])
            .run(super::super::sum::lower)
            .unwrap_err();
        assert!(e.to_string().contains("input #2 of shape [3] does not broadcast to"), "{e}");
    }
}
