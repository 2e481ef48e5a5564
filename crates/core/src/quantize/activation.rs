//! Element-wise functions proven with lookup tables, and their float parameters.

use serde::{Deserialize, Serialize};

/// A float parameter of an activation, stored as its bits so activations can key tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Param(pub u32);

impl Param {
    /// Stores `v`.
    pub fn new(v: f32) -> Self {
        Param(v.to_bits())
    }
    /// The value.
    pub fn get(self) -> f64 {
        f32::from_bits(self.0) as f64
    }
}

/// Element-wise functions, each proven with a lookup table over the calibrated input range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Activation {
    /// max(x, 0)
    Relu,
    /// 1 / (1 + e^-x)
    Sigmoid,
    /// tanh(x)
    Tanh,
    /// e^x
    Exp,
    /// ln(x) (x ≤ 0 maps to ln of the smallest positive step)
    Log,
    /// √x (x < 0 maps to 0)
    Sqrt,
    /// 1/x (0 maps to 0)
    Reciprocal,
    /// 1/√(x + eps) (x + eps ≤ 0 maps to 0)
    Rsqrt {
        /// Added before the root.
        eps: Param,
    },
    /// erf(x)
    Erf,
    /// x·Φ(x), exact (erf) or with the tanh approximation
    Gelu {
        /// Tanh approximation.
        tanh: bool,
    },
    /// ln(1 + e^x)
    Softplus,
    /// |x|
    Abs,
    /// −1, 0 or 1
    Sign,
    /// x / (1 + |x|)
    Softsign,
    /// x ≥ 0: x, else alpha·x
    LeakyRelu {
        /// Negative slope.
        alpha: Param,
    },
    /// x ≥ 0: x, else alpha·(e^x − 1)
    Elu {
        /// Negative saturation.
        alpha: Param,
    },
    /// gamma·(x > 0: x, else alpha·(e^x − 1))
    Selu {
        /// Negative saturation.
        alpha: Param,
        /// Scale.
        gamma: Param,
    },
    /// max(0, min(1, alpha·x + beta))
    HardSigmoid {
        /// Slope.
        alpha: Param,
        /// Offset.
        beta: Param,
    },
    /// x · max(0, min(1, x/6 + 1/2))
    HardSwish,
    /// min(max(x, lo), hi)
    Clip {
        /// Lower bound.
        lo: Param,
        /// Upper bound.
        hi: Param,
    },
    /// x < −lambd: x + bias; x > lambd: x − bias; else 0
    Shrink {
        /// Offset.
        bias: Param,
        /// Threshold.
        lambd: Param,
    },
    /// x^p for a constant exponent
    Pow {
        /// Exponent.
        p: Param,
    },
    /// 1 if x > 0 else 0 (comparisons)
    Positive,
    /// 1 if x ≥ 0 else 0 (comparisons)
    NonNegative,
    /// 1 if x = 0 else 0 (comparisons)
    Zero,
    /// x truncated toward zero and wrapped into a `bits`-bit integer type (two's complement
    /// when `signed`), as ONNX `Cast` from a float to an integer type
    ToInteger {
        /// Width of the integer type.
        bits: u32,
        /// Signed type.
        signed: bool,
    },
}

impl Activation {
    /// The function on reals.
    pub fn eval(self, x: f64) -> f64 {
        use libm::{erf, exp, log, sqrt, tanh};
        match self {
            Activation::Relu => x.max(0.0),
            Activation::Sigmoid => 1.0 / (1.0 + exp(-x)),
            Activation::Tanh => tanh(x),
            Activation::Exp => exp(x),
            Activation::Log => log(x),
            Activation::Sqrt => sqrt(x.max(0.0)),
            Activation::Reciprocal => {
                if x == 0.0 {
                    0.0
                } else {
                    1.0 / x
                }
            }
            Activation::Rsqrt { eps } => {
                let v = x + eps.get();
                if v <= 0.0 {
                    0.0
                } else {
                    1.0 / sqrt(v)
                }
            }
            Activation::Erf => erf(x),
            Activation::Gelu { tanh: false } => 0.5 * x * (1.0 + erf(x / std::f64::consts::SQRT_2)),
            Activation::Gelu { tanh: true } => {
                let c = (2.0 / std::f64::consts::PI).sqrt();
                0.5 * x * (1.0 + tanh(c * (x + 0.044715 * x * x * x)))
            }
            Activation::Softplus => {
                if x > 30.0 {
                    x
                } else {
                    libm::log1p(exp(x))
                }
            }
            Activation::Abs => x.abs(),
            Activation::Sign => {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }
            Activation::Softsign => x / (1.0 + x.abs()),
            Activation::LeakyRelu { alpha } => {
                if x >= 0.0 {
                    x
                } else {
                    alpha.get() * x
                }
            }
            Activation::Elu { alpha } => {
                if x >= 0.0 {
                    x
                } else {
                    alpha.get() * libm::expm1(x)
                }
            }
            Activation::Selu { alpha, gamma } => gamma.get() * if x > 0.0 { x } else { alpha.get() * libm::expm1(x) },
            Activation::HardSigmoid { alpha, beta } => (alpha.get() * x + beta.get()).clamp(0.0, 1.0),
            Activation::HardSwish => x * (x / 6.0 + 0.5).clamp(0.0, 1.0),
            Activation::Clip { lo, hi } => x.max(lo.get()).min(hi.get()),
            Activation::Shrink { bias, lambd } => {
                if x < -lambd.get() {
                    x + bias.get()
                } else if x > lambd.get() {
                    x - bias.get()
                } else {
                    0.0
                }
            }
            Activation::Pow { p } => libm::pow(x, p.get()),
            Activation::Positive => (x > 0.0) as u8 as f64,
            Activation::NonNegative => (x >= 0.0) as u8 as f64,
            Activation::Zero => (x == 0.0) as u8 as f64,
            Activation::ToInteger { bits, signed } => {
                let m = 2f64.powi(bits as i32);
                let lo = if signed { -m / 2.0 } else { 0.0 };
                let t = x.trunc();
                // in range: as it is (for 64-bit types `t − lo` would lose t's low bits)
                if t >= lo && t < lo + m {
                    t
                } else {
                    (t - lo).rem_euclid(m) + lo
                }
            }
        }
    }

    /// Whether the table output gets extra fractional bits beyond the input scale (smooth
    /// functions whose output is not a copy of the input on part of the range).
    pub fn refines(self) -> bool {
        !matches!(
            self,
            Activation::Relu
                | Activation::Abs
                | Activation::Clip { .. }
                | Activation::LeakyRelu { .. }
                | Activation::Shrink { .. }
                | Activation::Sign
                | Activation::Positive
                | Activation::NonNegative
                | Activation::Zero
                | Activation::ToInteger { .. }
        )
    }

    /// Whether the output is an integer (a 0/1 or −1/0/1 flag, or a cast to an integer type),
    /// kept at scale 0.
    pub fn is_flag(self) -> bool {
        matches!(
            self,
            Activation::Sign | Activation::Positive | Activation::NonNegative | Activation::Zero | Activation::ToInteger { .. }
        )
    }

    /// Short name for reports.
    pub fn name(self) -> String {
        let s = format!("{self:?}");
        s.split([' ', '{']).next().unwrap_or("").to_lowercase()
    }
}
