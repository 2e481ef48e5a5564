//! Lookup tables: which function, over which input range.

use super::activation::Activation;
use serde::{Deserialize, Serialize};

/// The function a table tabulates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TableKind {
    /// `v ↦ v`: a range check of a rescaled value.
    Identity,
    /// `v ↦ v`: the range check of model inputs (kept apart from rescale ranges so inputs are
    /// bounded by their own calibrated domain).
    Input,
    /// `v ↦ max(v, 0)`.
    Relu,
    /// `v ↦ round(σ(v / 2^input_scale) · 2^output_scale)`.
    Sigmoid {
        /// Input scale exponent.
        input_scale: u32,
        /// Output scale exponent.
        output_scale: u32,
    },
    /// `v ↦ round(f(v / 2^input_scale) · 2^output_scale)` for any other element-wise function.
    Func {
        /// The function.
        f: Activation,
        /// Input scale exponent.
        input_scale: u32,
        /// Output scale exponent.
        output_scale: u32,
    },
    /// Remainder range `[0, 2^bits)` of a power-of-two division.
    Remainder {
        /// Divisor exponent.
        bits: u32,
    },
}

impl TableKind {
    /// Evaluates the function.
    pub fn apply(&self, v: i64) -> i64 {
        match *self {
            TableKind::Identity | TableKind::Input | TableKind::Remainder { .. } => v,
            TableKind::Relu => v.max(0),
            TableKind::Sigmoid { input_scale, output_scale } => {
                // libm: the same bits on every platform, so setup and proving machines agree
                let x = v as f64 / (1u64 << input_scale) as f64;
                let s = 1.0 / (1.0 + libm::exp(-x));
                (s * (1u64 << output_scale) as f64).round() as i64
            }
            TableKind::Func {
                f,
                input_scale,
                output_scale,
            } => {
                // ln is defined on the smallest positive step for v ≤ 0 (the float model would
                // give -inf or NaN there)
                let v = if f == Activation::Log { v.max(1) } else { v };
                let x = v as f64 / 2f64.powi(input_scale as i32);
                let y = (f.eval(x) * 2f64.powi(output_scale as i32)).round();
                if y.is_nan() {
                    0
                } else {
                    // saturating; bounds::check_bounds refuses tables whose outputs are this large
                    y.clamp(-(2f64.powi(62)), 2f64.powi(62)) as i64
                }
            }
        }
    }

    /// Human-readable name for reports and errors.
    pub fn describe(&self) -> String {
        match self {
            TableKind::Identity => "rescale".into(),
            TableKind::Input => "input".into(),
            TableKind::Relu => "relu input".into(),
            TableKind::Sigmoid { input_scale, output_scale } => format!("sigmoid (2^-{input_scale} → 2^-{output_scale}) input"),
            TableKind::Func {
                f,
                input_scale,
                output_scale,
            } => format!("{} (2^-{input_scale} → 2^-{output_scale}) input", f.name()),
            TableKind::Remainder { bits } => format!("remainder [0, 2^{bits})"),
        }
    }
}

/// A table: function and inclusive input range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableSpec {
    /// Function.
    pub kind: TableKind,
    /// Smallest input.
    pub lo: i64,
    /// Largest input.
    pub hi: i64,
}

impl TableSpec {
    /// A new table of `kind`: a remainder range holds all of `[0, 2^bits)`; other ranges are
    /// empty until calibration sets them.
    pub fn new(kind: TableKind) -> Self {
        let (lo, hi) = match kind {
            TableKind::Remainder { bits } => (0, (1i64 << bits) - 1),
            _ => (0, 0),
        };
        TableSpec { kind, lo, hi }
    }

    /// The index of the table of `kind` in `tables`, adding it (see [`TableSpec::new`]) when
    /// there is none.
    pub fn find_or_add(tables: &mut Vec<TableSpec>, kind: TableKind) -> usize {
        tables.iter().position(|t| t.kind == kind).unwrap_or_else(|| {
            tables.push(TableSpec::new(kind));
            tables.len() - 1
        })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        (self.hi - self.lo + 1).max(0) as usize
    }
    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Whether `v` is inside the range.
    pub fn contains(&self, v: i128) -> bool {
        v >= self.lo as i128 && v <= self.hi as i128
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions() {
        assert_eq!(TableKind::Relu.apply(-5), 0);
        assert_eq!(TableKind::Relu.apply(5), 5);
        let s = TableKind::Sigmoid {
            input_scale: 4,
            output_scale: 8,
        };
        assert_eq!(s.apply(0), 128);
        assert_eq!(s.apply(16 * 20), 256);
        assert_eq!(s.apply(-16 * 20), 0);
        assert_eq!(
            TableSpec {
                kind: TableKind::Identity,
                lo: -2,
                hi: 2
            }
            .len(),
            5
        );
    }
}
