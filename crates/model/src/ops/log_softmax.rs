//! ONNX `LogSoftmax`: `(x − max) − ln Σ e^(x − max)` along the softmax axis (see `Softmax`),
//! with eˣ and ln as lookup tables.

use super::softmax::{shifted, softmax_groups};
use super::{compose, Composite, LowerCtx, Lowered};
use crate::graph::{Activation, Op};
use crate::ModelError;

/// Lowers a `LogSoftmax` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, xs) = ctx.var(0)?;
    let (groups, group_of) = softmax_groups(ctx, &xs)?;
    let gshape = [groups.len()];
    let mut c = Composite::new(ctx);
    let d = shifted(&mut c, &x, &xs, &groups, &group_of);
    let e = c.add(Op::Activation(Activation::Exp), vec![d.clone()], xs.clone());
    let s = compose::sum(&mut c, &e, &groups, 1.0, &gshape);
    let l = c.add(Op::Activation(Activation::Log), vec![s], gshape.to_vec());
    compose::minus_grouped(&mut c, &d, &l, &group_of, &xs);
    Ok(c.finish())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn ends_with_the_log_subtracted() {
        let ops = ctx_with("LogSoftmax", vec![var("x", &[1, 3])], &[1, 3]).run(super::lower).unwrap();
        let names = graph_ops(&ops);
        assert_eq!(&names[names.len() - 2..], &["Activation", "Linear"]);
    }
}
