//! Static magnitude bounds of every wire, from the calibrated table ranges.
//!
//! The circuit computes in the BN254 scalar field. Only values that pass a lookup are bounded
//! by the circuit itself; a linear or product step could in principle produce a value whose
//! true integer magnitude exceeds the field and wraps. Propagating worst-case bounds from the
//! range-checked inputs and lookup outputs proves that no honest or dishonest witness can reach
//! ±2^SAFE_BITS (far below r/2), so integer and field arithmetic agree on every wire.

use super::eval::SAFE_BITS;
use super::program::{Program, StepKind};
use super::tables::{TableKind, TableSpec};
use super::QuantizeError;

/// Largest |f(v)| over a table's range.
fn output_bound(t: &TableSpec) -> f64 {
    let m = (t.lo.unsigned_abs().max(t.hi.unsigned_abs())) as f64;
    match t.kind {
        TableKind::Relu => t.hi.max(0) as f64,
        TableKind::Sigmoid { output_scale, .. } => 2f64.powi(output_scale as i32),
        TableKind::Identity | TableKind::Input | TableKind::Remainder { .. } => m,
        // the table holds every value; its largest magnitude is the bound
        TableKind::Func { .. } => (t.lo..=t.hi).map(|v| t.kind.apply(v).unsigned_abs()).max().unwrap_or(0) as f64,
    }
}

/// Checks that every wire's worst-case magnitude stays below ±2^SAFE_BITS; returns the largest
/// bound's log2.
pub fn check_bounds(program: &Program) -> Result<f64, QuantizeError> {
    let limit = 2f64.powi(SAFE_BITS as i32);
    let mut bound = vec![0f64; program.num_wires];
    let mut worst = 0f64;
    for input in &program.inputs {
        let b = match &input.split {
            Some(s) => (output_bound(&program.tables[input.table]) + 1.0) * 2f64.powi(s.bits as i32),
            None => output_bound(&program.tables[input.table]),
        };
        for w in &input.wires {
            bound[*w as usize] = b;
        }
        worst = worst.max(b);
    }
    for step in &program.steps {
        let (out, b) = match &step.kind {
            StepKind::Linear { out, terms, bias, .. } => (
                *out,
                terms.iter().map(|(w, c)| (*c as f64).abs() * bound[*w as usize]).sum::<f64>() + (*bias as f64).abs(),
            ),
            StepKind::Product { out, a, b, bias } => (*out, bound[*a as usize] * bound[*b as usize] + (*bias as f64).abs()),
            StepKind::Dot { out, pairs, bias } => (
                *out,
                pairs.iter().map(|&(a, b)| bound[a as usize] * bound[b as usize]).sum::<f64>() + (*bias as f64).abs(),
            ),
            StepKind::Lookup { out, table, .. } => (*out, output_bound(&program.tables[*table])),
        };
        if b >= limit || !b.is_finite() {
            return Err(QuantizeError::Node {
                node: step.node.clone(),
                reason: format!(
                    "values may reach ±2^{:.0} in the worst case over the calibrated input range, beyond the safe ±2^{SAFE_BITS}; the circuit could not rule out field wrap-around (use a smaller scale or add a normalising layer)",
                    b.log2()
                ),
            });
        }
        bound[out as usize] = b;
        worst = worst.max(b);
    }
    Ok(worst.max(1.0).log2())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quantize::program::{ProgInput, ProgOutput, Step};

    fn chain(products: usize) -> Program {
        let mut steps = vec![];
        for i in 0..products {
            let w = i as u32;
            steps.push(Step {
                node: format!("sq{i}"),
                kind: StepKind::Product {
                    out: w + 1,
                    a: w,
                    b: w,
                    bias: 0,
                },
            });
        }
        Program {
            num_wires: products + 1,
            inputs: vec![ProgInput {
                name: "x".into(),
                shape: vec![1],
                scale: 0,
                wires: vec![0],
                table: 0,
                split: None,
            }],
            steps,
            outputs: vec![ProgOutput {
                name: "y".into(),
                shape: vec![1],
                scale: 0,
                wires: vec![products as u32],
            }],
            tables: vec![TableSpec {
                kind: TableKind::Input,
                lo: -(1 << 16),
                hi: 1 << 16,
            }],
            visibility: Default::default(),
            bound: Vec::new(),
            batch: 1,
        }
    }

    #[test]
    fn repeated_squaring_is_refused_once_it_could_wrap() {
        assert!(check_bounds(&chain(2)).is_ok()); // x^4 ≤ 2^64
        let e = check_bounds(&chain(3)).unwrap_err().to_string(); // x^8 ≤ 2^128
        assert!(e.contains("node `sq2`") && e.contains("field wrap-around"), "{e}");
    }
}
