//! ONNX `Mul`: element-wise with numpy broadcasting; a constant operand is folded into the
//! linear combination, two variable operands become a product.

use super::broadcast::{self, Binary};
use super::{LowerCtx, Lowered};
use crate::ModelError;

/// Lowers a `Mul` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    broadcast::lower(ctx, Binary::Mul)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::graph::Op;
    use crate::ops::Lowered;

    #[test]
    fn var_times_var_is_a_product() {
        let l = run(super::lower, "Mul", vec![var("a", &[2]), var("b", &[1])], &[2]).unwrap();
        let Lowered::Op(Op::Product { pairs }, _) = l else {
            panic!("{l:?}")
        };
        assert_eq!(pairs, vec![(0, 0), (1, 0)]);
    }

    #[test]
    fn var_times_const_is_weighted_linear() {
        let l = run(super::lower, "Mul", vec![var("a", &[2]), konst(&[2], &[3.0, 4.0])], &[2]).unwrap();
        let Lowered::Op(Op::Linear { exact, rows, .. }, _) = l else {
            panic!("{l:?}")
        };
        assert!(!exact);
        assert_eq!(rows[1][0].coeff, 4.0);
    }
}
