//! ONNX `Pow` with a constant scalar exponent: 1 is a view, 2 a product, other exponents a
//! lookup table of x^p. A computed exponent is refused.

use super::{unary, LowerCtx, Lowered};
use crate::graph::{Activation, Op, Param};
use crate::ModelError;

/// Lowers a `Pow` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, xs) = ctx.var(0)?;
    let e = ctx.konst(1, "the exponent")?;
    let p = match e.data.as_slice() {
        [p] => *p,
        v if !v.is_empty() && v.iter().all(|x| *x == v[0]) => v[0],
        _ => return Err(ctx.err("only a single constant exponent is supported")),
    };
    if xs.iter().product::<usize>() != ctx.out_shape.iter().product::<usize>() {
        return Err(ctx.err("the exponent must not broadcast the base to a larger shape"));
    }
    match p {
        1.0 => Ok(Lowered::Op(Op::View, vec![x])),
        2.0 => {
            let n = xs.iter().product();
            Ok(Lowered::Op(
                Op::Product {
                    pairs: (0..n).map(|i| (i, i)).collect(),
                },
                vec![x.clone(), x],
            ))
        }
        0.5 => unary(ctx, Activation::Sqrt),
        _ => unary(ctx, Activation::Pow { p: Param::new(p) }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn square_is_a_product() {
        let l = ctx_with("Pow", vec![var("x", &[3]), konst(&[], &[2.0])], &[3])
            .run(super::lower)
            .unwrap();
        assert_eq!(graph_ops(&l), vec!["Product"]);
        let e = ctx_with("Pow", vec![var("x", &[3]), var("y", &[3])], &[3])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("exponent (input #1) must be a constant"), "{e}");
    }
}
