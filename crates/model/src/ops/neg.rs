//! ONNX `Neg`: −x, an exact linear combination.

use super::{LowerCtx, Lowered};
use crate::graph::{LinTerm, Op};
use crate::ModelError;

/// Lowers a `Neg` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, xs) = ctx.var(0)?;
    let n: usize = xs.iter().product();
    let rows = (0..n)
        .map(|index| {
            vec![LinTerm {
                operand: 0,
                index,
                coeff: -1.0,
            }]
        })
        .collect();
    Ok(Lowered::Op(
        Op::Linear {
            exact: true,
            rows,
            bias: vec![0.0; n],
        },
        vec![x],
    ))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn exact_minus_one() {
        let l = ctx_with("Neg", vec![var("x", &[2])], &[2]).run(super::lower).unwrap();
        assert_eq!(graph_ops(&l), vec!["Linear"]);
    }
}
