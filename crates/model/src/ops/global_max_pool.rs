//! ONNX `GlobalMaxPool`: the maximum over all spatial positions of each (N, C) plane.

use super::{compose, Composite, LowerCtx, Lowered};
use crate::ModelError;

/// Lowers a `GlobalMaxPool` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, xs) = ctx.var(0)?;
    if xs.len() < 3 {
        return Err(ctx.err(format!("expects X as [N, C, spatial…]; got {xs:?}")));
    }
    let axes: Vec<usize> = (2..xs.len()).collect();
    let (groups, _) = compose::groups_over(&xs, &axes);
    let mut c = Composite::new(ctx);
    compose::extreme(&mut c, &x, &groups, &ctx.out_shape, true);
    Ok(c.finish())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn one_running_max_per_plane() {
        let ops = ctx_with("GlobalMaxPool", vec![var("x", &[1, 2, 3])], &[1, 2, 1])
            .run(super::lower)
            .unwrap();
        assert_eq!(graph_ops(&ops).len(), 1 + 2 * 3);
    }

    #[test]
    fn inputs_without_spatial_axes_are_refused() {
        let e = ctx_with("GlobalMaxPool", vec![var("x", &[1, 2])], &[1, 2])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("expects X as [N, C, spatial…]; got [1, 2]"), "{e}");
    }
}
