//! Turns halo2 constraint expressions into Yul expressions over the proof's evaluations.

use super::SolidityError;
use halo2_axiom::halo2curves::bn256::Fr;
use halo2_axiom::plonk::Expression;
use zkinfer_core::proof::transcript::scalar_bytes;

/// A scalar as a Yul hex literal.
pub fn lit(f: &Fr) -> String {
    word(&scalar_bytes(f))
}

/// A 32-byte big-endian word as a minimal Yul hex literal (`0` for zero).
pub fn word(w: &[u8; 32]) -> String {
    let h = hex::encode(w);
    let t = h.trim_start_matches('0');
    if t.is_empty() {
        "0".into()
    } else {
        format!("0x{t}")
    }
}

/// Resolves leaves of an expression to Yul values.
pub trait Leaves {
    /// A fixed column's evaluation at a rotation.
    fn fixed(&self, column: usize, rotation: i32) -> Result<String, SolidityError>;
    /// An advice column's evaluation at a rotation.
    fn advice(&self, column: usize, rotation: i32) -> Result<String, SolidityError>;
    /// The instance column's evaluation at x.
    fn instance(&self) -> String;
}

/// Emits `e` as a Yul expression whose value is reduced modulo r (the result of `addmod`,
/// `mulmod` or a canonical leaf), except that a top-level negation yields a value in [1, r].
pub fn emit(e: &Expression<Fr>, leaves: &dyn Leaves) -> Result<String, SolidityError> {
    Ok(match e {
        Expression::Constant(c) => lit(c),
        Expression::Selector(_) => return Err(SolidityError::Unsupported("uncompressed selectors".into())),
        Expression::Fixed(q) => leaves.fixed(q.column_index(), q.rotation().0)?,
        Expression::Advice(q) => leaves.advice(q.column_index(), q.rotation().0)?,
        Expression::Instance(q) => {
            if q.rotation().0 != 0 {
                return Err(SolidityError::Unsupported("instance queries at a rotation other than 0".into()));
            }
            leaves.instance()
        }
        Expression::Challenge(_) => return Err(SolidityError::Unsupported("challenges".into())),
        Expression::Negated(a) => format!("sub(R, {})", emit(a, leaves)?),
        Expression::Sum(a, b) => match (&**a, &**b) {
            // a − b: skip the negation's extra word of stack.
            (_, Expression::Negated(nb)) => format!("addmod({}, sub(R, {}), R)", emit(a, leaves)?, emit(nb, leaves)?),
            _ => format!("addmod({}, {}, R)", emit(a, leaves)?, emit(b, leaves)?),
        },
        Expression::Product(a, b) => format!("mulmod({}, {}, R)", emit(a, leaves)?, emit(b, leaves)?),
        Expression::Scaled(a, s) => format!("mulmod({}, {}, R)", emit(a, leaves)?, lit(s)),
    })
}

/// Like [`emit`], but keeps the Yul stack shallow: a subexpression nested deeper than
/// `MAX_DEPTH` is computed first into a memory temporary (`tmp_base`, `tmp_base + 32`, …) by a
/// statement pushed to `stmts`. Returns the final expression.
pub fn emit_shallow(e: &Expression<Fr>, leaves: &dyn Leaves, tmp_base: usize, stmts: &mut Vec<String>) -> Result<String, SolidityError> {
    let mut next = tmp_base;
    let (code, _) = shallow(e, leaves, &mut next, stmts)?;
    if next > tmp_base + 32 * SPILL_SLOTS {
        return Err(SolidityError::Unsupported(format!(
            "a constraint expression needing more than {SPILL_SLOTS} temporaries"
        )));
    }
    Ok(code)
}

const MAX_DEPTH: usize = 2;

/// Memory words reserved for [`emit_shallow`]'s temporaries (and for [`fold_with`]'s terms).
pub const SPILL_SLOTS: usize = 64;

fn spill((code, depth): (String, usize), next: &mut usize, stmts: &mut Vec<String>) -> (String, usize) {
    if depth > MAX_DEPTH {
        let at = *next;
        *next += 32;
        stmts.push(format!("mstore({at:#x}, {code})"));
        (format!("mload({at:#x})"), 0)
    } else {
        (code, depth)
    }
}

fn shallow(e: &Expression<Fr>, leaves: &dyn Leaves, next: &mut usize, stmts: &mut Vec<String>) -> Result<(String, usize), SolidityError> {
    Ok(match e {
        Expression::Negated(a) => {
            let (a, d) = shallow(a, leaves, next, stmts)?;
            let (a, d) = spill((a, d), next, stmts);
            (format!("sub(R, {a})"), d + 1)
        }
        Expression::Sum(a, b) | Expression::Product(a, b) => {
            let op = if matches!(e, Expression::Sum(..)) { "addmod" } else { "mulmod" };
            let ca = shallow(a, leaves, next, stmts)?;
            let ca = spill(ca, next, stmts);
            let cb = shallow(b, leaves, next, stmts)?;
            let cb = spill(cb, next, stmts);
            (format!("{op}({}, {}, R)", ca.0, cb.0), ca.1.max(cb.1) + 1)
        }
        Expression::Scaled(a, s) => {
            let ca = shallow(a, leaves, next, stmts)?;
            let ca = spill(ca, next, stmts);
            (format!("mulmod({}, {}, R)", ca.0, lit(s)), ca.1 + 1)
        }
        leaf => (emit(leaf, leaves)?, 0),
    })
}

/// Yul statements folding `terms` into a new local `var`: `var := step(var, term)` where `step`
/// is a format string over `{acc}` and `{term}` (e.g. `mulmod({acc}, {term}, R)`). Up to two
/// terms are folded inline; longer lists are first written to memory at `scratch` and folded in
/// a loop, which stops the optimizer from inlining the chain into one expression deeper than
/// the EVM stack reaches. An empty list gives `identity`.
pub fn fold_with(var: &str, step: &str, terms: &[String], identity: &str, scratch: usize) -> String {
    assert!(
        terms.len() <= SPILL_SLOTS / 2,
        "fold of {} terms exceeds the scratch area",
        terms.len()
    );
    let apply = |acc: &str, term: &str| step.replace("{acc}", acc).replace("{term}", term);
    let mut out = String::new();
    if terms.len() <= 2 {
        out.push_str(&format!("let {var} := {identity}\n"));
        for t in terms {
            out.push_str(&format!("{var} := {}\n", apply(var, t)));
        }
        return out;
    }
    for (i, t) in terms.iter().enumerate() {
        out.push_str(&format!("mstore({:#x}, {t})\n", scratch + 32 * i));
    }
    out.push_str(&format!("let {var} := {identity}\n"));
    out.push_str(&format!(
        "for {{ let at_ := {scratch:#x} }} lt(at_, {:#x}) {{ at_ := add(at_, 0x20) }} {{ {var} := {} }}\n",
        scratch + 32 * terms.len(),
        apply(var, "mload(at_)")
    ));
    out
}

/// [`fold_with`] for a product (`mulmod`) or a sum (`addmod`).
pub fn fold(var: &str, op: &str, terms: &[String], identity: &str, scratch: usize) -> String {
    fold_with(var, &format!("{op}({{acc}}, {{term}}, R)"), terms, identity, scratch)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Names;
    impl Leaves for Names {
        fn fixed(&self, c: usize, r: i32) -> Result<String, SolidityError> {
            Ok(format!("f{c}_{r}"))
        }
        fn advice(&self, c: usize, r: i32) -> Result<String, SolidityError> {
            Ok(format!("a{c}_{r}"))
        }
        fn instance(&self) -> String {
            "inst".into()
        }
    }

    #[test]
    fn literals_are_minimal_hex() {
        assert_eq!(lit(&Fr::from(0)), "0");
        assert_eq!(lit(&Fr::from(255)), "0xff");
        assert_eq!(
            lit(&-Fr::from(1)),
            "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000000"
        );
    }

    #[test]
    fn constants_sums_products_and_negations() {
        let e = Expression::Constant(Fr::from(3)) * Expression::Constant(Fr::from(2)) - Expression::Constant(Fr::from(1));
        assert_eq!(emit(&e, &Names).unwrap(), "addmod(mulmod(0x3, 0x2, R), sub(R, 0x1), R)");
    }
}
