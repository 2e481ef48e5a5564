//! Shared lowering of the reductions: axes from the attribute or (newer opsets) the second
//! input, `keepdims`, `noop_with_empty_axes`.

use super::{compose, Composite, LowerCtx, Lowered};
use crate::graph::Op;
use crate::ModelError;

/// What a reduction computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reduce {
    /// Σ
    Sum,
    /// Σ / n
    Mean,
    /// maximum
    Max,
    /// minimum
    Min,
}

/// Lowers a reduction; `axes_input_from` is the opset from which the axes come as input #1.
pub fn lower(ctx: &LowerCtx, kind: Reduce, axes_input_from: i64) -> Result<Lowered, ModelError> {
    let (x, xs) = ctx.var(0)?;
    let rank = xs.len();
    let axes = if ctx.opset >= axes_input_from {
        ctx.opt_const_ints(1, "axes")?
    } else {
        ctx.attr_ints("axes")
    };
    let axes: Vec<usize> = match axes {
        Some(a) if !a.is_empty() => a.iter().map(|&v| ctx.axis(v, rank)).collect::<Result<_, _>>()?,
        _ if ctx.attr_int("noop_with_empty_axes", 0) != 0 => return Ok(Lowered::Op(Op::View, vec![x])),
        _ => (0..rank).collect(),
    };
    if axes.iter().any(|&a| xs[a] == 0) {
        // ONNX defines these as 0, ±infinity or NaN: constants or values without a fixed-point form
        return Err(ctx.unsupported_form(format!(
            "it reduces an empty set (input shape {xs:?}, axes {axes:?}): the result does not depend on any input"
        )));
    }
    let (groups, _) = compose::groups_over(&xs, &axes);
    let out = ctx.out_shape.clone();
    let mut c = Composite::new(ctx);
    match kind {
        Reduce::Sum => compose::sum(&mut c, &x, &groups, 1.0, &out),
        Reduce::Mean => compose::sum(&mut c, &x, &groups, 1.0 / groups[0].len() as f32, &out),
        Reduce::Max => compose::extreme(&mut c, &x, &groups, &out, true),
        Reduce::Min => compose::extreme(&mut c, &x, &groups, &out, false),
    };
    Ok(c.finish())
}
