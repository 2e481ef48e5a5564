//! ONNX `Reshape`: a view: the data is unchanged, only the shape (inferred by tract) differs.

use super::{LowerCtx, Lowered};
use crate::graph::Op;
use crate::ModelError;

/// Lowers a `Reshape` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    Ok(Lowered::Op(Op::View, vec![ctx.unary_var()?]))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::graph::*;
    use crate::ops::Lowered;

    #[test]
    fn lowers_a_variable_input() {
        let l = run(super::lower, "Reshape", vec![var("x", &[1, 4])], &[1, 4]).unwrap();
        assert!(matches!(l, Lowered::Op(Op::View, ref i) if i == &vec!["x".to_string()]), "{l:?}");
    }
}
