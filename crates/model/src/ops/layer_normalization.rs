//! ONNX `LayerNormalization` (inference): normalisation over the axes from `axis` to the last,
//! then `Scale` and `B` (constants, broadcast). The optional `Mean` and `InvStdDev` outputs are
//! the group statistics the normalisation computes anyway.

use super::broadcast::index_map;
use super::normalize::{normalize, Stats};
use super::{LowerCtx, Lowered};
use crate::ModelError;

/// Lowers a `LayerNormalization` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, xs) = ctx.var(0)?;
    let axis = ctx.axis(ctx.attr_int("axis", -1), xs.len())?;
    // Mean and InvStdDev (outputs 1 and 2, by position; an empty name is an absent output)
    let named = |k: usize| ctx.proto.output.get(k).filter(|n| !n.is_empty()).cloned();
    let stats = Stats {
        mean: named(1),
        inv_std_dev: named(2),
        shape: xs.iter().enumerate().map(|(d, &n)| if d < axis { n } else { 1 }).collect(),
    };
    let eps = ctx.attr_float("epsilon", 1e-5);
    let scale = ctx.konst(1, "Scale")?;
    let bias = ctx.opt_konst(2, "B")?;
    let bcast = |t: &crate::Tensor, what: &str| -> Result<Vec<f32>, ModelError> {
        let m = index_map(&t.shape, &xs).ok_or_else(|| ctx.err(format!("{what} of shape {:?} does not broadcast to {xs:?}", t.shape)))?;
        Ok(m.iter().map(|&i| t.data[i]).collect())
    };
    let gamma = bcast(scale, "Scale")?;
    let beta = match bias {
        Some(b) => bcast(b, "B")?,
        None => vec![0.0; gamma.len()],
    };
    let axes: Vec<usize> = (axis..xs.len()).collect();
    Ok(normalize(ctx, &x, &xs, &axes, eps, &gamma, &beta, &stats))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn mean_variance_rsqrt_product_affine() {
        let n = ctx_with(
            "LayerNormalization",
            vec![var("x", &[2, 3]), konst(&[3], &[1.0, 2.0, 3.0])],
            &[2, 3],
        );
        let ops = n.run(super::lower).unwrap();
        assert_eq!(
            graph_ops(&ops),
            vec!["Linear", "Linear", "Product", "Linear", "Activation", "Product", "Linear"]
        );
    }

    #[test]
    fn the_mean_and_inv_std_dev_outputs_are_the_group_statistics() {
        let node = || {
            let mut n = ctx_with(
                "LayerNormalization",
                vec![var("x", &[2, 3]), konst(&[3], &[1.0, 2.0, 3.0])],
                &[2, 3],
            );
            n.opset(17);
            n.outputs(&[&[2, 3], &[2, 1], &[2, 1]]);
            n
        };
        let outs = |n: &TestNode| -> Vec<(String, String, Vec<usize>)> {
            let crate::ops::Lowered::Graph(g) = n.run(super::lower).unwrap() else {
                panic!()
            };
            assert_eq!(g.last().unwrap().output, "y", "Y is the last computation");
            g.iter()
                .filter(|s| !s.output.contains('#') && s.output != "y")
                .map(|s| (s.output.clone(), format!("{:?}", s.op), s.shape.clone()))
                .collect()
        };
        let o = outs(&node());
        assert_eq!(
            o.iter().map(|x| (x.0.as_str(), x.2.clone())).collect::<Vec<_>>(),
            vec![("y1", vec![2, 1]), ("y2", vec![2, 1])]
        );
        assert!(o.iter().all(|x| x.1 == "View"));
        // Mean left out: only InvStdDev
        let mut n = node();
        n.absent_output(1);
        assert_eq!(outs(&n).iter().map(|x| x.0.as_str()).collect::<Vec<_>>(), vec!["y2"]);
    }

    #[test]
    fn bad_axis_and_parameter_shapes_are_named() {
        let mut n = ctx_with("LayerNormalization", vec![var("x", &[2, 3]), konst(&[3], &[1.0; 3])], &[2, 3]);
        n.int("axis", 2);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("axis 2 is out of range for rank 2"), "{e}");
        let mut n = ctx_with("LayerNormalization", vec![var("x", &[2, 3]), konst(&[3], &[1.0; 3])], &[2, 3]);
        n.int("axis", -3);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("axis -3 is out of range for rank 2"), "{e}");
        let e = ctx_with("LayerNormalization", vec![var("x", &[2, 3]), konst(&[4], &[1.0; 4])], &[2, 3])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("Scale of shape [4] does not broadcast to [2, 3]"), "{e}");
        let b = konst(&[2, 2], &[0.0; 4]);
        let e = ctx_with("LayerNormalization", vec![var("x", &[2, 3]), konst(&[3], &[1.0; 3]), b], &[2, 3])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("B of shape [2, 2] does not broadcast to [2, 3]"), "{e}");
    }
}
