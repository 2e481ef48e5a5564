//! ONNX `MaxPool` (N-D; strides, padding, dilations, ceil_mode): a running maximum over each
//! window, `m ← m + relu(x − m)`, every step checked by the relu lookup. Padding never wins.

use super::pool::pool_windows;
use super::{compose, Composite, LowerCtx, Lowered};
use crate::ModelError;

/// Lowers a `MaxPool` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    if ctx.outputs.len() > 1 {
        return Err(ctx.err("the Indices output is not supported"));
    }
    let (x, xs) = ctx.var(0)?;
    let windows = pool_windows(ctx, &xs, &ctx.out_shape)?;
    ctx.check_terms(
        windows
            .iter()
            .map(|w| w.inside.len())
            .sum::<usize>()
            .saturating_mul(super::ROWS_PER_MAX),
    )?;
    let groups: Vec<Vec<usize>> = windows.into_iter().map(|w| w.inside).collect();
    let mut c = Composite::new(ctx);
    compose::extreme(&mut c, &x, &groups, &ctx.out_shape, true);
    Ok(c.finish())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn windows_of_two_make_one_comparison_each() {
        let mut n = ctx_with("MaxPool", vec![var("x", &[1, 1, 4])], &[1, 1, 2]);
        n.ints("kernel_shape", &[2]);
        n.ints("strides", &[2]);
        let ops = n.run(super::lower).unwrap();
        // select the first element, subtract, relu, add
        assert_eq!(graph_ops(&ops), vec!["Select", "Linear", "Activation", "Linear"]);
    }

    #[test]
    fn the_indices_output_is_refused() {
        let mut n = ctx_with("MaxPool", vec![var("x", &[1, 1, 4])], &[1, 1, 2]);
        n.outputs(&[&[1, 1, 2], &[1, 1, 2]]);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("the Indices output is not supported"), "{e}");
    }
}
