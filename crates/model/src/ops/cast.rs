//! ONNX `Cast`: a view when the values are unchanged (casts to floating point; integer casts
//! that widen, e.g. int4 → int8 or bool → int32). A cast to an integer type that changes
//! values (float → int: truncation toward zero; wrapping into a narrower type, as ONNX's int4
//! and int2 casts do) is a lookup table with an integer output. Casts to bool and to float8 /
//! float4 that change values are an unsupported form.
//!
//! Half precision targets (float16, bfloat16) are views too: they keep 11 (8) significant
//! bits, a relative change of at most 2^-11 (2^-9) that the fixed-point error already exceeds.

use super::{LowerCtx, Lowered};
use crate::elem::{integer_range, ty, type_name};
use crate::graph::{Activation, Op};
use crate::ModelError;

/// Lowers a `Cast` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let to = ctx.attr_int("to", 0) as i32;
    let from = ctx.input_types.first().copied().flatten();
    if keeps_values(from, to) {
        return Ok(Lowered::Op(Op::View, vec![ctx.unary_var()?]));
    }
    match to_integer(to) {
        Some(f) => Ok(Lowered::Op(Op::Activation(f), vec![ctx.unary_var()?])),
        None => Err(ctx.unsupported_form(rounding_reason(from, to))),
    }
}

/// The table function of a cast to the integer type `to` (not bool), if it is one.
pub fn to_integer(to: i32) -> Option<Activation> {
    let (lo, hi) = integer_range(to).filter(|_| to != ty::BOOL)?;
    Some(Activation::ToInteger {
        bits: (hi - lo + 1).ilog2(),
        signed: lo < 0,
    })
}

/// Why a cast from `from` to `to` is refused.
pub fn rounding_reason(from: Option<i32>, to: i32) -> String {
    let from = from.map(type_name).unwrap_or_else(|| "a computed value".into());
    format!(
        "a cast from {from} to {} rounds or clips values, which zkinfer does not prove (casts to floating point, and integer casts that widen, keep them)",
        type_name(to)
    )
}

/// Whether casting a `from` tensor (its ONNX element type, when known) to `to` keeps every
/// value.
pub fn keeps_values(from: Option<i32>, to: i32) -> bool {
    if matches!(to, ty::FLOAT | ty::DOUBLE | ty::FLOAT16 | ty::BFLOAT16) || from == Some(to) {
        return true;
    }
    match (from.and_then(integer_range), integer_range(to)) {
        (Some((flo, fhi)), Some((lo, hi))) => lo <= flo && fhi <= hi,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::Lowered;
    use crate::elem::ty;
    use crate::graph::{Activation, Op};
    use crate::ModelError;

    #[test]
    fn casts_are_views_integer_tables_or_unsupported_forms() {
        let mut n = ctx_with("Cast", vec![var("x", &[2])], &[2]);
        for to in [ty::FLOAT, ty::DOUBLE, ty::FLOAT16, ty::BFLOAT16] {
            n.int("to", to as i64);
            assert_eq!(graph_ops(&n.run(super::lower).unwrap()), vec!["View"]);
        }
        // int4 → int8, bool → int32, uint8 → int16: widening
        for (from, to) in [
            (ty::INT4, ty::INT8),
            (ty::BOOL, ty::INT32),
            (ty::UINT8, ty::INT16),
            (ty::UINT2, ty::UINT8),
        ] {
            n.input_types(&[Some(from)]);
            n.int("to", to as i64);
            assert_eq!(graph_ops(&n.run(super::lower).unwrap()), vec!["View"], "{from} → {to}");
        }
        // float → int64 (unknown source), int16 → int8, float → uint2: tables that truncate and wrap
        for (from, to, bits, signed) in [
            (None, ty::INT64, 64, true),
            (Some(ty::INT16), ty::INT8, 8, true),
            (Some(ty::FLOAT), ty::UINT2, 2, false),
        ] {
            n.input_types(&[from]);
            n.int("to", to as i64);
            let l = n.run(super::lower).unwrap();
            let Lowered::Op(Op::Activation(f), _) = l else { panic!("{l:?}") };
            assert_eq!(f, Activation::ToInteger { bits, signed });
        }
        // ONNX's own int4 and uint2 examples: −9 → 7, 6.7 → 6, 8 → −8; −3 → 1 (uint2)
        let int4 = Activation::ToInteger { bits: 4, signed: true };
        assert_eq!(
            [int4.eval(-9.0), int4.eval(6.7), int4.eval(-8.0), int4.eval(8.0)],
            [7.0, 6.0, -8.0, -8.0]
        );
        assert_eq!(Activation::ToInteger { bits: 2, signed: false }.eval(-3.0), 1.0);
        // float → bool, float → float8: unsupported forms
        for (from, to) in [(Some(ty::FLOAT), ty::BOOL), (Some(ty::FLOAT), ty::FLOAT8E4M3FN)] {
            n.input_types(&[from]);
            n.int("to", to as i64);
            let e = n.run(super::lower).unwrap_err();
            assert!(matches!(e, ModelError::UnsupportedForm { .. }), "{e:?}");
            assert!(e.to_string().contains("rounds or clips"), "{e}");
        }
    }
}
