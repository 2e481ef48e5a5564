//! Chips: each defines its gates (`configure`) and how its steps become rows (`layout`).

pub mod dot;
pub mod linear;
pub mod lookup;
pub mod poseidon;
pub mod product;
