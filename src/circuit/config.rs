//! Column set and gate registration.

use super::chips;
use halo2_axiom::halo2curves::bn256::Fr;
use halo2_axiom::plonk::{Advice, Column, ConstraintSystem, Fixed, Instance, Selector, TableColumn};
use serde::{Deserialize, Serialize};

/// Column layout variants. The narrow shape has the fewest columns (smallest proofs and
/// verifier cost); the wide shape adds a second multiplicand/weight pair so linear layers take
/// two terms per row, halving their rows. The sizer picks wide only when it lowers `k`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitShape {
    /// Two terms per linear row (adds advice column `y` and fixed column `w2`).
    pub wide: bool,
    /// The Poseidon sponge's columns and gates (when a part is `hashed`).
    #[serde(default)]
    pub poseidon: bool,
    /// Model parameters in an advice column `p` with gates of their own (hashed params).
    #[serde(default)]
    pub params: bool,
}

/// The circuit's columns and selectors.
#[derive(Clone, Debug)]
pub struct ZkConfig {
    /// Multiplicand / lookup output / copied inputs.
    pub x: Column<Advice>,
    /// Second multiplicand of wide linear rows.
    pub y: Option<Column<Advice>>,
    /// Second weight of wide linear rows.
    pub w2: Option<Column<Fixed>>,
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
        let (y, w2) = if shape.wide {
            let y = meta.advice_column();
            meta.enable_equality(y);
            (Some(y), Some(meta.fixed_column()))
        } else {
            (None, None)
        };
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
            y,
            w2,
            acc,
            w,
            tag,
            table,
            instance,
            s_start: meta.selector(),
            s_mac: meta.selector(),
            s_rescale: meta.selector(),
            s_product: meta.selector(),
            p,
            s_start_param: shape.params.then(|| meta.selector()),
            s_mac_param: shape.params.then(|| meta.selector()),
            poseidon: shape.poseidon.then(|| chips::poseidon::configure(meta)),
        };
        chips::linear::configure(meta, &cfg);
        chips::product::configure(meta, &cfg);
        chips::lookup::configure(meta, &cfg);
        cfg
    }
}
