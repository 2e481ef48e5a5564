//! Evaluating a program on quantized inputs: the witness of the circuit.

use super::program::{Program, StepKind};
use super::QuantizeError;

/// Values beyond ±2^SAFE_BITS are refused: far below the BN254 field size, so integer and field
/// arithmetic agree and negative numbers never wrap.
pub const SAFE_BITS: u32 = 100;

/// Every wire's integer value.
#[derive(Clone, Debug, PartialEq)]
pub struct Witness {
    /// Value per wire.
    pub values: Vec<i128>,
}

/// Smallest and largest value seen at each table's input.
pub type Observed = Vec<Option<(i128, i128)>>;

/// Quantizes float inputs at each input's scale (round to nearest).
pub fn quantize_inputs(program: &Program, sample: &[Vec<f64>]) -> Result<Vec<Vec<i128>>, QuantizeError> {
    if sample.len() != program.inputs.len() {
        return Err(QuantizeError::Input {
            name: program.inputs.first().map(|i| i.name.clone()).unwrap_or_default(),
            reason: format!("{} input lists given, the model has {}", sample.len(), program.inputs.len()),
        });
    }
    program
        .inputs
        .iter()
        .zip(sample)
        .map(|(input, values)| {
            if values.len() != input.wires.len() {
                return Err(QuantizeError::Input {
                    name: input.name.clone(),
                    reason: format!("takes {} values (shape {:?}), got {}", input.wires.len(), input.shape, values.len()),
                });
            }
            let m = (1u64 << input.scale) as f64;
            values
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let q = (v * m).round();
                    if !q.is_finite() || q.abs() >= 2f64.powi(62) {
                        return Err(QuantizeError::Input {
                            name: input.name.clone(),
                            reason: format!("value #{i} = {v} is not representable"),
                        });
                    }
                    Ok(q as i128)
                })
                .collect()
        })
        .collect()
}

fn check(node: &str, v: i128) -> Result<i128, QuantizeError> {
    if v.unsigned_abs() >= 1u128 << SAFE_BITS {
        return Err(QuantizeError::Overflow {
            node: node.to_string(),
            value: v,
            bits: SAFE_BITS,
        });
    }
    Ok(v)
}

/// `start + Σ products`, each partial sum within ±2^SAFE_BITS; a product that overflowed (`None`)
/// or a sum beyond the bound is an overflow error naming the node and the sum so far.
fn checked_sum(node: &str, start: i128, products: impl Iterator<Item = Option<i128>>) -> Result<i128, QuantizeError> {
    let mut acc = start;
    for p in products {
        let next = p.and_then(|p| acc.checked_add(p)).ok_or(QuantizeError::Overflow {
            node: node.to_string(),
            value: acc,
            bits: SAFE_BITS,
        })?;
        acc = check(node, next)?;
    }
    Ok(acc)
}

/// Evaluates the program. With `check_ranges`, a table input outside its range is an error
/// naming the node and the bound; without, ranges are only recorded (calibration).
pub fn evaluate(program: &Program, inputs: &[Vec<i128>], check_ranges: bool) -> Result<(Witness, Observed), QuantizeError> {
    let mut values = vec![0i128; program.num_wires];
    let mut seen: Observed = vec![None; program.tables.len()];
    let mut note = |t: usize, v: i128, node: &str| -> Result<(), QuantizeError> {
        let e = seen[t].get_or_insert((v, v));
        e.0 = e.0.min(v);
        e.1 = e.1.max(v);
        let spec = &program.tables[t];
        if check_ranges && !spec.contains(v) {
            return Err(QuantizeError::OutOfRange {
                node: node.to_string(),
                table: spec.kind.describe(),
                value: v,
                lo: spec.lo,
                hi: spec.hi,
            });
        }
        Ok(())
    };
    for (input, vals) in program.inputs.iter().zip(inputs) {
        for (w, v) in input.wires.iter().zip(vals) {
            let (q, r) = input.parts(*v);
            note(input.table, q, &input.name)?;
            if let Some(s) = &input.split {
                let chunks = program.rem_chunks(s.rem_table, &s.rem_high).map_err(|reason| QuantizeError::Node {
                    node: input.name.clone(),
                    reason,
                })?;
                let bits: Vec<u32> = chunks.iter().map(|c| c.1).collect();
                for ((t, _), part) in chunks.iter().zip(super::remainder::split_value(r, &bits)) {
                    note(*t, part, &input.name)?;
                }
            }
            values[*w as usize] = *v;
        }
    }
    for step in &program.steps {
        let node = step.node.as_str();
        match &step.kind {
            StepKind::Linear { out, terms, bias, .. } => {
                let products = terms.iter().map(|(w, c)| values[*w as usize].checked_mul(*c as i128));
                values[*out as usize] = checked_sum(node, *bias, products)?;
            }
            StepKind::Product { out, a, b, bias } => {
                let (x, y) = (values[*a as usize], values[*b as usize]);
                let p = x.checked_mul(y).ok_or(QuantizeError::Overflow {
                    node: node.to_string(),
                    value: x,
                    bits: SAFE_BITS,
                })?;
                values[*out as usize] = check(node, p + *bias as i128)?;
            }
            StepKind::Dot { out, pairs, bias } => {
                let products = pairs.iter().map(|&(a, b)| values[a as usize].checked_mul(values[b as usize]));
                values[*out as usize] = checked_sum(node, *bias as i128, products)?;
            }
            StepKind::Lookup {
                out,
                input,
                shift,
                table,
                rem_table,
                rem_high,
            } => {
                let v = values[*input as usize];
                let q = v.div_euclid(1i128 << shift);
                let rem = v - (q << shift);
                if rem_high.is_empty() {
                    note(*rem_table, rem, node)?;
                } else {
                    let chunks = program.rem_chunks(*rem_table, rem_high).map_err(|reason| QuantizeError::Node {
                        node: node.to_string(),
                        reason,
                    })?;
                    let bits: Vec<u32> = chunks.iter().map(|c| c.1).collect();
                    for ((t, _), part) in chunks.iter().zip(super::remainder::split_value(rem, &bits)) {
                        note(*t, part, node)?;
                    }
                }
                note(*table, q, node)?;
                let q64 = i64::try_from(q).map_err(|_| QuantizeError::Overflow {
                    node: node.to_string(),
                    value: q,
                    bits: 63,
                })?;
                values[*out as usize] = program.tables[*table].kind.apply(q64) as i128;
            }
        }
    }
    Ok((Witness { values }, seen))
}

impl Witness {
    /// Output values, one list per program output.
    pub fn outputs(&self, program: &Program) -> Vec<Vec<i128>> {
        program
            .outputs
            .iter()
            .map(|o| o.wires.iter().map(|w| self.values[*w as usize]).collect())
            .collect()
    }

    /// Dequantized outputs.
    pub fn dequantized_outputs(&self, program: &Program) -> Vec<Vec<f64>> {
        program
            .outputs
            .iter()
            .map(|o| {
                let m = 2f64.powi(o.scale as i32);
                o.wires.iter().map(|w| self.values[*w as usize] as f64 / m).collect()
            })
            .collect()
    }
}
