//! ONNX `InstanceNormalization`: normalisation over the spatial positions of each (N, C)
//! plane, then the per-channel `scale` and `B` (constants).

use super::normalize::normalize;
use super::shape::{numel, unravel};
use super::{LowerCtx, Lowered};
use crate::ModelError;

/// Lowers an `InstanceNormalization` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, xs) = ctx.var(0)?;
    if xs.len() < 3 {
        return Err(ctx.err(format!("expects X as [N, C, spatial…]; got {xs:?}")));
    }
    let scale = ctx.konst(1, "scale")?;
    let bias = ctx.konst(2, "B")?;
    if scale.data.len() != xs[1] || bias.data.len() != xs[1] {
        return Err(ctx.err(format!("scale and B need {} values (one per channel)", xs[1])));
    }
    let eps = ctx.attr_float("epsilon", 1e-5);
    let chan: Vec<usize> = (0..numel(&xs)).map(|f| unravel(f, &xs)[1]).collect();
    let gamma: Vec<f32> = chan.iter().map(|&c| scale.data[c]).collect();
    let beta: Vec<f32> = chan.iter().map(|&c| bias.data[c]).collect();
    let axes: Vec<usize> = (2..xs.len()).collect();
    Ok(normalize(ctx, &x, &xs, &axes, eps, &gamma, &beta, &Default::default()))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn needs_one_scale_per_channel() {
        let n = ctx_with(
            "InstanceNormalization",
            vec![var("x", &[1, 2, 3]), konst(&[1], &[1.0]), konst(&[2], &[0.0, 0.0])],
            &[1, 2, 3],
        );
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("2 values (one per channel)"), "{e}");
    }

    #[test]
    fn inputs_without_spatial_axes_are_refused() {
        let n = ctx_with(
            "InstanceNormalization",
            vec![var("x", &[1, 2]), konst(&[2], &[1.0, 1.0]), konst(&[2], &[0.0, 0.0])],
            &[1, 2],
        );
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("expects X as [N, C, spatial…]; got [1, 2]"), "{e}");
    }
}
