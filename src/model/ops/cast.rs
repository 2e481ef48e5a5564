//! ONNX `Cast` to a floating-point type: the values are unchanged (a view). Casts to integer
//! or boolean types would round or clip and are refused.

use super::{LowerCtx, Lowered};
use crate::model::graph::Op;
use crate::model::ModelError;

/// ONNX TensorProto data types that are floating point: FLOAT, FLOAT16, DOUBLE, BFLOAT16.
const FLOAT_TYPES: [i64; 4] = [1, 10, 11, 16];

/// Lowers a `Cast` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let to = ctx.attr_int("to", 0);
    if !FLOAT_TYPES.contains(&to) {
        return Err(ctx.err(format!(
            "cast to ONNX data type {to} is not supported (only casts to floating-point types, which keep the value)"
        )));
    }
    Ok(Lowered::Op(Op::View, vec![ctx.unary_var()?]))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn float_is_a_view_integer_is_refused() {
        let mut n = ctx_with("Cast", vec![var("x", &[2])], &[2]);
        n.int("to", 1);
        assert_eq!(graph_ops(&n.run(super::lower).unwrap()), vec!["View"]);
        n.int("to", 7);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("data type 7"), "{e}");
    }
}
