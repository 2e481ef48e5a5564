//! ONNX `Sub`: element-wise with numpy broadcasting; a constant operand is folded into the
//! linear combination, two variable operands become a signed sum.

use super::broadcast::{self, Binary};
use super::{LowerCtx, Lowered};
use crate::ModelError;

/// Lowers a `Sub` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    broadcast::lower(ctx, Binary::Sub)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::graph::Op;
    use crate::ops::Lowered;

    #[test]
    fn const_minus_var_negates_the_variable() {
        let l = run(super::lower, "Sub", vec![konst(&[], &[2.0]), var("x", &[3])], &[3]).unwrap();
        let Lowered::Op(Op::Linear { rows, bias, .. }, _) = l else {
            panic!("{l:?}")
        };
        assert!(rows.iter().all(|r| r[0].coeff == -1.0));
        assert_eq!(bias, vec![2.0; 3]);
    }

    #[test]
    fn var_minus_var_has_signed_terms() {
        let l = run(super::lower, "Sub", vec![var("a", &[2]), var("b", &[2])], &[2]).unwrap();
        let Lowered::Op(Op::Linear { rows, .. }, inputs) = l else {
            panic!("{l:?}")
        };
        assert_eq!(inputs, vec!["a", "b"]);
        assert_eq!((rows[1][0].coeff, rows[1][1].coeff), (1.0, -1.0));
    }
}
