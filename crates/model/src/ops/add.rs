//! ONNX `Add`: element-wise with numpy broadcasting; a constant operand is folded into the
//! linear combination, two variable operands become a signed sum.

use super::broadcast::{self, Binary};
use super::{LowerCtx, Lowered};
use crate::ModelError;

/// Lowers a `Add` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    broadcast::lower(ctx, Binary::Add)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::graph::Op;
    use crate::ops::Lowered;

    #[test]
    fn var_plus_const_is_exact_linear_with_bias() {
        let l = run(super::lower, "Add", vec![var("x", &[1, 2]), konst(&[2], &[0.5, -1.0])], &[1, 2]).unwrap();
        let Lowered::Op(Op::Linear { exact, rows, bias }, inputs) = l else {
            panic!("{l:?}")
        };
        assert!(exact);
        assert_eq!(inputs, vec!["x"]);
        assert_eq!(rows.len(), 2);
        assert_eq!(bias, vec![0.5, -1.0]);
    }
}
