//! ONNX `PRelu`: x ≥ 0 ? x : slope·x with a constant slope broadcast to x (per channel). One
//! slope: a LeakyRelu table. Several: `slope·x + (1 − slope)·relu(x)`, a relu table and one
//! linear combination per element.

use super::broadcast::index_map;
use super::{unary, Composite, LowerCtx, Lowered};
use crate::graph::{Activation, LinTerm, Op, Param};
use crate::ModelError;

/// Lowers a `PRelu` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, xs) = ctx.var(0)?;
    let slope = ctx.konst(1, "the slope")?;
    if slope.data.iter().all(|&s| s == slope.data[0]) && !slope.data.is_empty() {
        return unary(
            ctx,
            Activation::LeakyRelu {
                alpha: Param::new(slope.data[0]),
            },
        );
    }
    // ONNX broadcasting is unidirectional; PyTorch exports a per-channel slope as [C, 1, 1]
    let map =
        index_map(&slope.shape, &xs).ok_or_else(|| ctx.err(format!("slope of shape {:?} does not broadcast to {xs:?}", slope.shape)))?;
    let mut c = Composite::new(ctx);
    let r = c.add(Op::Activation(Activation::Relu), vec![x.clone()], xs.clone());
    let rows = map
        .iter()
        .enumerate()
        .map(|(i, &j)| {
            let s = slope.data[j];
            vec![
                LinTerm {
                    operand: 0,
                    index: i,
                    coeff: s,
                },
                LinTerm {
                    operand: 1,
                    index: i,
                    coeff: 1.0 - s,
                },
            ]
        })
        .collect();
    c.add(
        Op::Linear {
            exact: false,
            rows,
            bias: vec![0.0; map.len()],
        },
        vec![x, r],
        xs,
    );
    Ok(c.finish())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn one_slope_is_a_table_several_are_relu_plus_linear() {
        let l = ctx_with("PRelu", vec![var("x", &[1, 2, 2]), konst(&[1], &[0.25])], &[1, 2, 2])
            .run(super::lower)
            .unwrap();
        assert_eq!(activation_of(&l).name(), "leakyrelu");
        let l = ctx_with("PRelu", vec![var("x", &[1, 2, 2]), konst(&[2, 1], &[0.25, 0.5])], &[1, 2, 2])
            .run(super::lower)
            .unwrap();
        assert_eq!(graph_ops(&l), vec!["Activation", "Linear"]);
    }

    #[test]
    fn a_slope_that_does_not_broadcast_is_named() {
        let e = ctx_with("PRelu", vec![var("x", &[1, 2, 2]), konst(&[3], &[0.1, 0.2, 0.3])], &[1, 2, 2])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("slope of shape [3] does not broadcast to [1, 2, 2]"), "{e}");
        let e = ctx_with("PRelu", vec![var("x", &[1, 2, 2]), var("s", &[2, 1, 1])], &[1, 2, 2])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("the slope (input #1) must be a constant"), "{e}");
    }
}
