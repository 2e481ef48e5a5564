//! Proving a program on samples: their witnesses, the values bound to public names, the circuit
//! (a batch's padding members repeat its last real member), the proof and what it shows. One
//! code path for the command line's `prove` and the browser prover (`zkinfer-wasm`), so the two
//! make the same proof for the same input and randomness.

use super::proof_file::{encode_instance, OutputValues};
use super::{prover, ProofError};
use crate::circuit::{CircuitShape, ModelCircuit, Plan};
use crate::quantize::eval::{evaluate, quantize_inputs};
use crate::quantize::{InstanceSlot, Program, QuantizeError, Witness};
use halo2_axiom::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_axiom::plonk::ProvingKey;
use halo2_axiom::poly::kzg::commitment::ParamsKZG;
use rand::RngCore;

/// Quantizes each sample (one flat list per model input) and evaluates `program` on it.
pub fn witnesses(program: &Program, samples: &[Vec<Vec<f64>>]) -> Result<Vec<Witness>, QuantizeError> {
    samples
        .iter()
        .map(|s| {
            let q = quantize_inputs(program, s)?;
            Ok(evaluate(program, &q, true)?.0)
        })
        .collect()
}

/// The circuit's plan for `witnesses` (one, or up to `program.batch` members) with their bound
/// values (`bound[i]` for member `i`, one per bound name); the padding members of a batch repeat
/// the last real one. Panics on other counts ([`prove_samples`] and [`instances`] check them).
pub fn plan(program: &Program, shape: CircuitShape, witnesses: &[Witness], bound: &[Vec<Fr>]) -> Plan {
    let batch = program.batch.max(1);
    let members = witnesses.len();
    assert!(
        members >= 1 && members <= batch && bound.len() == members,
        "one bound list per member, 1..=batch members"
    );
    let member = program.member();
    let mut plans: Vec<Plan> = (0..batch)
        .map(|m| {
            let i = m.min(members - 1);
            let mut plan = Plan::new(&member, Some(&witnesses[i]), shape);
            plan.bind(bound[i].clone());
            plan
        })
        .collect();
    if batch > 1 {
        Plan::batch(plans, members)
    } else {
        plans.pop().expect("one plan")
    }
}

/// A proof and its public instances.
#[derive(Clone, Debug)]
pub struct Proved {
    /// The proof bytes (EVM transcript).
    pub proof: Vec<u8>,
    /// The public instances, in the circuit's order.
    pub instances: Vec<Fr>,
}

/// Proves `program` on `witnesses` with their `bound` values against the proving key `pk`
/// (blinding from `rng`). Checks the member count first.
pub fn prove_samples(
    program: &Program,
    shape: CircuitShape,
    params: &ParamsKZG<Bn256>,
    pk: &ProvingKey<G1Affine>,
    witnesses: &[Witness],
    bound: &[Vec<Fr>],
    rng: impl RngCore,
) -> Result<Proved, ProofError> {
    if !takes(program, witnesses, bound) {
        return Err(ProofError::Prove(format!(
            "{} samples with {} bound lists; this build proves 1 to {} samples, each with its {} bound values",
            witnesses.len(),
            bound.len(),
            program.batch.max(1),
            program.bound.len()
        )));
    }
    let plan = plan(program, shape, witnesses, bound);
    let instances = plan.instance_values();
    let proof = prover::prove(params, pk, ModelCircuit::new(plan), &instances, rng)?;
    Ok(Proved { proof, instances })
}

/// The public instances `prove_samples` would prove, without proving (for the input hash a
/// data provider attests, say); `None` for a member or bound count the build does not take.
pub fn instances(program: &Program, shape: CircuitShape, witnesses: &[Witness], bound: &[Vec<Fr>]) -> Option<Vec<Fr>> {
    takes(program, witnesses, bound).then(|| plan(program, shape, witnesses, bound).instance_values())
}

/// Whether the build takes these members: 1 to `batch` witnesses, one bound list each with a
/// value per bound name (what [`plan`] asserts).
fn takes(program: &Program, witnesses: &[Witness], bound: &[Vec<Fr>]) -> bool {
    !witnesses.is_empty()
        && witnesses.len() <= program.batch.max(1)
        && bound.len() == witnesses.len()
        && bound.iter().all(|b| b.len() == program.bound.len())
}

/// The dequantized outputs of every member of a proof over `witnesses` (padding members
/// repeat the last real one, as in the proof), tagged with their member in a batch; none
/// without witnesses.
pub fn outputs(program: &Program, witnesses: &[Witness]) -> Vec<OutputValues> {
    if witnesses.is_empty() {
        return Vec::new();
    }
    let batch = program.batch.max(1);
    let member = program.member();
    let members = witnesses.len();
    (0..batch)
        .flat_map(|m| {
            let w = &witnesses[m.min(members - 1)];
            program
                .outputs
                .iter()
                .zip(w.dequantized_outputs(&member))
                .map(move |(o, values)| OutputValues {
                    name: o.name.clone(),
                    shape: o.shape.clone(),
                    scale: o.scale,
                    values,
                    member: (batch > 1).then_some(m),
                })
        })
        .collect()
}

/// The hash instances of a proof: `(name, 0x-hex)` for each hash slot of the layout.
pub fn instance_hashes(layout: &[InstanceSlot], instances: &[Fr]) -> Vec<(String, String)> {
    layout
        .iter()
        .filter(|s| s.kind.is_hash())
        .map(|s| {
            let name = match s.member {
                Some(m) => format!("{} (member {m})", s.name),
                None => s.name.clone(),
            };
            (name, encode_instance(&instances[s.start]))
        })
        .collect()
}

/// A field element from `0x`-hex or decimal text, refusing values ≥ r (never reduced).
pub fn parse_field(text: &str) -> Result<Fr, String> {
    let radix = if let Some(h) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        if h.is_empty() || h.len() > 64 || !h.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err("expected up to 64 hex digits after 0x".into());
        }
        Some(h)
    } else {
        if text.is_empty() || !text.chars().all(|c| c.is_ascii_digit()) {
            return Err("expected a decimal number or 0x-hex".into());
        }
        None
    };
    // big-endian 256-bit accumulation, refusing overflow
    let mut be = [0u8; 32];
    let (digits, base) = match radix {
        Some(h) => (h, 16u32),
        None => (text, 10u32),
    };
    for c in digits.chars() {
        let mut carry = c.to_digit(base).expect("checked digit");
        for b in be.iter_mut().rev() {
            let v = (*b as u32) * base + carry;
            *b = (v & 0xff) as u8;
            carry = v >> 8;
        }
        if carry != 0 {
            return Err("does not fit in 256 bits".into());
        }
    }
    super::transcript::scalar_from_bytes(&be).map_err(|_| "is not below the field modulus r".to_string())
}

/// What is wrong with the values given for a build's bound public names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BindError {
    /// A name the build does not bind (`known` lists those it does, maybe none).
    Unknown {
        /// The name given.
        name: String,
        /// The build's bound names.
        known: Vec<String>,
    },
    /// A name given twice.
    Twice(String),
    /// A bound name with no value.
    Missing(String),
    /// A value that is not a field element.
    Value {
        /// The name.
        name: String,
        /// The value as given.
        value: String,
        /// Why it is refused.
        why: String,
    },
}

/// The field values of `given` `(name, value)` pairs in the order of the program's bound names:
/// every name exactly once, each value `0x`-hex or decimal below r.
pub fn bind_values(program: &Program, given: &[(&str, &str)]) -> Result<Vec<Fr>, BindError> {
    let mut values: Vec<Option<Fr>> = vec![None; program.bound.len()];
    for (name, value) in given {
        let i = program.bound.iter().position(|b| b == name).ok_or_else(|| BindError::Unknown {
            name: name.to_string(),
            known: program.bound.clone(),
        })?;
        if values[i].is_some() {
            return Err(BindError::Twice(name.to_string()));
        }
        values[i] = Some(parse_field(value).map_err(|why| BindError::Value {
            name: name.to_string(),
            value: value.to_string(),
            why,
        })?);
    }
    values
        .into_iter()
        .zip(&program.bound)
        .map(|(v, name)| v.ok_or_else(|| BindError::Missing(name.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_axiom::halo2curves::ff::PrimeField;

    #[test]
    fn parse_field_reads_hex_and_decimal_and_refuses_r() {
        assert_eq!(parse_field("255").unwrap(), Fr::from(255));
        assert_eq!(parse_field("0xff").unwrap(), Fr::from(255));
        assert_eq!(parse_field("0x0").unwrap(), Fr::from(0));
        let r_minus_1 = -Fr::from(1);
        let mut be = r_minus_1.to_repr();
        be.reverse();
        assert_eq!(parse_field(&format!("0x{}", hex::encode(be))).unwrap(), r_minus_1);
        // r itself and 2^256 − 1
        let r = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";
        assert!(parse_field(r).unwrap_err().contains("modulus"));
        assert!(parse_field(&format!("0x{}", "f".repeat(64))).unwrap_err().contains("modulus"));
        let too_big = "1".repeat(80);
        assert!(parse_field(&too_big).unwrap_err().contains("256 bits"));
        for bad in ["", "0x", "12a", "-1", "0xg"] {
            assert!(parse_field(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bind_values_wants_each_name_once() {
        let (mut p, _) = crate::circuit::mock::tests::linear_program();
        p.bound = vec!["account".into()];
        assert_eq!(bind_values(&p, &[("account", "7")]).unwrap(), vec![Fr::from(7)]);
        assert_eq!(bind_values(&p, &[]).unwrap_err(), BindError::Missing("account".into()));
        assert_eq!(
            bind_values(&p, &[("account", "7"), ("account", "8")]).unwrap_err(),
            BindError::Twice("account".into())
        );
        assert!(matches!(bind_values(&p, &[("who", "7")]).unwrap_err(), BindError::Unknown { .. }));
        assert!(matches!(bind_values(&p, &[("account", "x")]).unwrap_err(), BindError::Value { .. }));
    }
}
