//! Column set and gate registration.

use super::chips;
use halo2_axiom::halo2curves::bn256::Fr;
use halo2_axiom::plonk::{Advice, Column, ConstraintSystem, Fixed, Instance, Selector, TableColumn};
use serde::{Deserialize, Serialize};

/// Column layout variants. The narrow shape has the fewest columns (smallest proofs and
/// verifier cost); the wide shapes add multiplicand/weight column pairs (lanes) so linear
/// layers take 2, 4, 8 or 16 terms per row, dividing their rows. See [`crate::circuit::size_for`]
/// for which one the sizer picks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitShape {
    /// Several terms per linear row (adds advice/fixed lane columns `y`/`w2`, …).
    pub wide: bool,
    /// Terms per linear row when `wide` (0 in files written before lanes: 2).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub terms: u8,
    /// The Poseidon sponge's columns and gates (when a part is `hashed`).
    #[serde(default)]
    pub poseidon: bool,
    /// Model parameters in an advice column `p` with gates of their own (hashed params).
    #[serde(default)]
    pub params: bool,
    /// The dot-product gate (programs with dot steps; wide shapes only).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dot: bool,
}

fn is_zero(v: &u8) -> bool {
    *v == 0
}

impl CircuitShape {
    /// Refuses a shape zkinfer does not make (one spelling per layout: narrow has no terms,
    /// wide has 0 (two terms), 4, 8 or 16), naming it.
    pub fn check(&self) -> Result<(), String> {
        if self.dot && !self.wide {
            return Err(format!(
                "{self:?} has the dot gate in the narrow layout, which has no lanes for its pairs"
            ));
        }
        let ok = if self.wide {
            matches!(self.terms, 0 | 4 | 8 | 16)
        } else {
            self.terms == 0
        };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "{self:?} is not a layout zkinfer makes (wide with terms 0, 4, 8 or 16, or narrow without terms)"
            ))
        }
    }

    /// Terms one linear row takes: 1 narrow, else `terms` (2 when unset).
    pub fn terms_per_row(&self) -> usize {
        match (self.wide, self.terms) {
            (false, _) => 1,
            (true, 0) => 2,
            (true, t) => t as usize,
        }
    }

    /// This shape with `terms` terms per linear row (1: narrow).
    pub fn with_terms(self, terms: usize) -> CircuitShape {
        CircuitShape {
            wide: terms > 1,
            terms: if terms > 2 { terms as u8 } else { 0 },
            ..self
        }
    }
}

/// The circuit's columns and selectors.
#[derive(Clone, Debug)]
pub struct ZkConfig {
    /// Multiplicand / lookup output / copied inputs.
    pub x: Column<Advice>,
    /// The further multiplicand/weight pairs of wide linear rows (`y`/`w2` first; empty when
    /// narrow).
    pub lanes: Vec<(Column<Advice>, Column<Fixed>)>,
    /// Running sums, quotients, remainders.
    pub acc: Column<Advice>,
    /// Weights and constants.
    pub w: Column<Fixed>,
    /// Lookup table tag of the row (0: no lookup).
    pub tag: Column<Fixed>,
    /// Table columns: tag, tag·f(v), tag·v.
    pub table: [TableColumn; 3],
    /// Public values: outputs, then inputs when public.
    pub instance: Column<Instance>,
    /// Starts a linear combination: `acc = w`.
    pub s_start: Selector,
    /// Accumulates one term: `acc = acc[-1] + w·x`.
    pub s_mac: Selector,
    /// Divides by a power of two: `acc[-1] = w·acc + acc[+1]`.
    pub s_rescale: Selector,
    /// Multiplies two values: `acc[+1] = x·acc + w`.
    pub s_product: Selector,
    /// Accumulates pairs of products: `acc = acc[-1] + w·x·y1 + …` (shape `dot` only).
    pub s_dot: Option<Selector>,
    /// Model parameters (shape `params` only): the advice cells the params hash commits to.
    pub p: Option<Column<Advice>>,
    /// Starts a linear combination with a parameter constant: `acc = w + p`.
    pub s_start_param: Option<Selector>,
    /// Accumulates one term with a parameter weight: `acc = acc[-1] + p·x`.
    pub s_mac_param: Option<Selector>,
    /// The Poseidon sponge (shape `poseidon` only).
    pub poseidon: Option<chips::poseidon::PoseidonConfig>,
}

impl ZkConfig {
    /// Allocates the columns and registers every chip's gates and the lookup.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, shape: CircuitShape) -> Self {
        let x = meta.advice_column();
        let acc = meta.advice_column();
        let lanes: Vec<(Column<Advice>, Column<Fixed>)> = (1..shape.terms_per_row())
            .map(|_| {
                let y = meta.advice_column();
                meta.enable_equality(y);
                (y, meta.fixed_column())
            })
            .collect();
        let w = meta.fixed_column();
        let tag = meta.fixed_column();
        let p = shape.params.then(|| meta.advice_column());
        let instance = meta.instance_column();
        meta.enable_equality(x);
        meta.enable_equality(acc);
        meta.enable_equality(instance);
        if let Some(p) = p {
            meta.enable_equality(p);
        }
        let table = [meta.lookup_table_column(), meta.lookup_table_column(), meta.lookup_table_column()];
        let cfg = ZkConfig {
            x,
            lanes,
            acc,
            w,
            tag,
            table,
            instance,
            s_start: meta.selector(),
            s_mac: meta.selector(),
            s_rescale: meta.selector(),
            s_product: meta.selector(),
            s_dot: shape.dot.then(|| meta.selector()),
            p,
            s_start_param: shape.params.then(|| meta.selector()),
            s_mac_param: shape.params.then(|| meta.selector()),
            poseidon: shape.poseidon.then(|| chips::poseidon::configure(meta)),
        };
        chips::linear::configure(meta, &cfg);
        chips::product::configure(meta, &cfg);
        if let Some(s) = cfg.s_dot {
            chips::dot::configure(meta, &cfg, s);
        }
        chips::lookup::configure(meta, &cfg);
        cfg
    }
}
