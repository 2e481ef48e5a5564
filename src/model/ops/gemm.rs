//! ONNX `Gemm`: `Y = alpha · A' · B' + beta · C` with one constant operand (the weights) and an
//! optional constant bias `C` broadcast to the output.

use super::broadcast::index_map;
use super::matmul::{as_2d, product_rows, Side};
use super::{LowerCtx, Lowered, Operand};
use crate::model::graph::Op;
use crate::model::ModelError;

/// Lowers a `Gemm` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (a, b) = (ctx.input(0)?, ctx.input(1)?);
    let alpha = ctx.attr_float("alpha", 1.0);
    let beta = ctx.attr_float("beta", 1.0);
    let ta = ctx.attr_int("transA", 0) != 0;
    let tb = ctx.attr_int("transB", 0) != 0;
    let (ra, ca) = as_2d(ctx, a.shape().unwrap_or(&[]), true)?;
    let (rb, cb) = as_2d(ctx, b.shape().unwrap_or(&[]), false)?;
    let a = Side {
        op: a,
        dims: if ta { (ca, ra) } else { (ra, ca) },
        transposed: ta,
    };
    let b = Side {
        op: b,
        dims: if tb { (cb, rb) } else { (rb, cb) },
        transposed: tb,
    };
    let (m, n) = (a.dims.0, b.dims.1);
    let (rows, name) = product_rows(ctx, &a, &b, alpha)?;
    let bias = match ctx.inputs.get(2) {
        None | Some(Operand::Absent) => vec![0.0; m * n],
        Some(Operand::Const(c)) => {
            let map = index_map(&c.shape, &[m, n])
                .ok_or_else(|| ctx.err(format!("bias C of shape {:?} does not broadcast to [{m}, {n}]", c.shape)))?;
            map.iter().map(|&i| beta * c.data[i]).collect()
        }
        Some(Operand::Var { .. }) => return Err(ctx.err("bias C computed from the model inputs is not supported")),
    };
    Ok(Lowered::Op(Op::Linear { exact: false, rows, bias }, vec![name]))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::{LowerCtx, Lowered};
    use crate::model::graph::Op;
    use tract_onnx::pb::AttributeProto;

    #[test]
    fn trans_b_alpha_beta_and_bias() {
        // x[1,2], W stored [3,2] with transB=1, C[3]
        let w = konst(&[3, 2], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let c = konst(&[3], &[0.1, 0.2, 0.3]);
        let (mut proto, inputs, out_shape) = ctx("Gemm", vec![var("x", &[1, 2]), w, c], vec![1, 3]);
        proto.attribute.push(AttributeProto {
            name: "transB".into(),
            i: 1,
            ..Default::default()
        });
        proto.attribute.push(AttributeProto {
            name: "alpha".into(),
            f: 2.0,
            ..Default::default()
        });
        proto.attribute.push(AttributeProto {
            name: "beta".into(),
            f: 10.0,
            ..Default::default()
        });
        let l = super::lower(&LowerCtx {
            node: "n",
            proto: &proto,
            inputs,
            out_shape,
        })
        .unwrap();
        let Lowered::Op(Op::Linear { rows, bias, .. }, _) = l else {
            panic!()
        };
        let coeffs: Vec<Vec<f32>> = rows.iter().map(|r| r.iter().map(|t| t.coeff).collect()).collect();
        assert_eq!(coeffs, vec![vec![2.0, 4.0], vec![6.0, 8.0], vec![10.0, 12.0]]);
        assert_eq!(bias, vec![1.0, 2.0, 3.0]);
    }
}
