//! ONNX `Gather` with constant indices (negative ones count from the end): data movement.
//! Indices computed from the model inputs (a private lookup into a table) are refused.

use super::shape::{numel, ravel, strides, unravel};
use super::{LowerCtx, Lowered};
use crate::model::graph::{Op, Source};
use crate::model::ModelError;

/// Lowers a `Gather` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, xs) = match ctx.var(0) {
        Ok(v) => v,
        Err(_) => {
            return Err(ctx
                .err("gathering from a constant table with indices computed from the model inputs (an embedding lookup) is not supported"))
        }
    };
    let idx_t = ctx.konst(1, "indices")?;
    let axis = ctx.axis(ctx.attr_int("axis", 0), xs.len())?;
    let dim = xs[axis] as i64;
    let idx: Vec<usize> = idx_t
        .data
        .iter()
        .map(|&v| {
            let i = v as i64;
            let j = if i < 0 { i + dim } else { i };
            if j < 0 || j >= dim {
                Err(ctx.err(format!("index {i} is out of range for axis {axis} of size {dim}")))
            } else {
                Ok(j as usize)
            }
        })
        .collect::<Result<_, _>>()?;
    let out = &ctx.out_shape;
    let qr = idx_t.shape.len();
    let xst = strides(&xs);
    let sources = (0..numel(out))
        .map(|f| {
            let o = unravel(f, out);
            let iflat = ravel(&o[axis..axis + qr], &strides(&idx_t.shape));
            let mut i: Vec<usize> = o[..axis].to_vec();
            i.push(idx[iflat]);
            i.extend(&o[axis + qr..]);
            Source::Wire {
                operand: 0,
                index: ravel(&i, &xst),
            }
        })
        .collect();
    Ok(Lowered::Op(Op::Select { sources }, vec![x]))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn picks_columns() {
        let mut n = ctx_with("Gather", vec![var("x", &[2, 3]), konst(&[2], &[2.0, -3.0])], &[2, 2]);
        n.int("axis", 1);
        assert_eq!(selected(&n.run(super::lower).unwrap()), vec![2, 0, 5, 3]);
    }

    #[test]
    fn out_of_range_index_is_named() {
        let e = ctx_with("Gather", vec![var("x", &[2]), konst(&[1], &[5.0])], &[1])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("index 5 is out of range for axis 0 of size 2"), "{e}");
    }
}
