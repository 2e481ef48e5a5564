//! ONNX `Softmax`: `e^(x − max) / Σ e^(x − max)` along `axis` (opset ≥ 13: one axis, default
//! −1; earlier opsets: the input flattened to 2-D at `axis`, default 1). The maximum is a
//! running relu-checked maximum, eˣ and 1/Σ are lookup tables, the division is a product with
//! the table's reciprocal: every value is determined by the input.

use super::{compose, Composite, LowerCtx, Lowered};
use crate::graph::{Activation, Op};
use crate::ModelError;

/// The groups softmax normalises over, and each element's group.
pub(super) fn softmax_groups(ctx: &LowerCtx, xs: &[usize]) -> Result<(Vec<Vec<usize>>, Vec<usize>), ModelError> {
    let rank = xs.len().max(1);
    let axes: Vec<usize> = if ctx.opset >= 13 {
        vec![ctx.axis(ctx.attr_int("axis", -1), rank)?]
    } else {
        let a = ctx.axis(ctx.attr_int("axis", 1), rank)?;
        (a..rank).collect()
    };
    Ok(compose::groups_over(xs, &axes))
}

/// `x − max` per group: the shifted logits.
pub(super) fn shifted(c: &mut Composite, x: &str, xs: &[usize], groups: &[Vec<usize>], group_of: &[usize]) -> String {
    let m = compose::extreme(c, x, groups, &[groups.len()], true);
    compose::minus_grouped(c, x, &m, group_of, xs)
}

/// Lowers a `Softmax` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, xs) = ctx.var(0)?;
    let (groups, group_of) = softmax_groups(ctx, &xs)?;
    let gshape = [groups.len()];
    let mut c = Composite::new(ctx);
    let d = shifted(&mut c, &x, &xs, &groups, &group_of);
    let e = c.add(Op::Activation(Activation::Exp), vec![d], xs.clone());
    let s = compose::sum(&mut c, &e, &groups, 1.0, &gshape);
    let r = c.add(Op::Activation(Activation::Reciprocal), vec![s], gshape.to_vec());
    c.add(
        Op::Product {
            pairs: group_of.iter().enumerate().map(|(i, &g)| (i, g)).collect(),
        },
        vec![e, r],
        xs,
    );
    Ok(c.finish())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn max_shift_exp_sum_reciprocal_product() {
        let ops = ctx_with("Softmax", vec![var("x", &[1, 2])], &[1, 2]).run(super::lower).unwrap();
        assert_eq!(
            graph_ops(&ops),
            vec![
                "Select",
                "Linear",
                "Activation",
                "Linear",
                "Linear",
                "Activation",
                "Linear",
                "Activation",
                "Product"
            ]
        );
    }
}
