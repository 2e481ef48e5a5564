//! ONNX `GlobalAveragePool`: the mean over all spatial positions of each (N, C) plane.

use super::{compose, Composite, LowerCtx, Lowered};
use crate::ModelError;

/// Lowers a `GlobalAveragePool` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, xs) = ctx.var(0)?;
    if xs.len() < 3 {
        return Err(ctx.err(format!("expects X as [N, C, spatial…]; got {xs:?}")));
    }
    let axes: Vec<usize> = (2..xs.len()).collect();
    let (groups, _) = compose::groups_over(&xs, &axes);
    let n = groups[0].len();
    let mut c = Composite::new(ctx);
    compose::sum(&mut c, &x, &groups, 1.0 / n as f32, &ctx.out_shape);
    Ok(c.finish())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn averages_each_plane() {
        let ops = ctx_with("GlobalAveragePool", vec![var("x", &[1, 2, 2, 2])], &[1, 2, 1, 1])
            .run(super::lower)
            .unwrap();
        assert_eq!(graph_ops(&ops), vec!["Linear"]);
    }

    #[test]
    fn inputs_without_spatial_axes_are_refused() {
        let e = ctx_with("GlobalAveragePool", vec![var("x", &[1, 2])], &[1, 2])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("expects X as [N, C, spatial…]; got [1, 2]"), "{e}");
    }
}
