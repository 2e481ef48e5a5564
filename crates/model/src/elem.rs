//! ONNX element types: reading tensor data of every numeric type as `f64`, and the value
//! ranges of the integer types (which casts keep values).
//!
//! Storage follows `onnx.proto`: `raw_data` little-endian; otherwise `float_data`,
//! `double_data`, `int64_data`, `uint64_data` (uint32, uint64) or `int32_data` (the 8- and
//! 16-bit types and bool one per entry, float16/bfloat16/float8 as their bit patterns). 4-bit
//! types pack two values per byte and 2-bit types four, the first in the low bits.

use tract_onnx::pb;

/// ONNX element type numbers (`TensorProto.DataType`).
pub mod ty {
    /// float32
    pub const FLOAT: i32 = 1;
    /// uint8
    pub const UINT8: i32 = 2;
    /// int8
    pub const INT8: i32 = 3;
    /// uint16
    pub const UINT16: i32 = 4;
    /// int16
    pub const INT16: i32 = 5;
    /// int32
    pub const INT32: i32 = 6;
    /// int64
    pub const INT64: i32 = 7;
    /// string
    pub const STRING: i32 = 8;
    /// bool
    pub const BOOL: i32 = 9;
    /// float16
    pub const FLOAT16: i32 = 10;
    /// float64
    pub const DOUBLE: i32 = 11;
    /// uint32
    pub const UINT32: i32 = 12;
    /// uint64
    pub const UINT64: i32 = 13;
    /// bfloat16
    pub const BFLOAT16: i32 = 16;
    /// float8 e4m3, finite (no infinity)
    pub const FLOAT8E4M3FN: i32 = 17;
    /// float8 e4m3, unsigned zero
    pub const FLOAT8E4M3FNUZ: i32 = 18;
    /// float8 e5m2
    pub const FLOAT8E5M2: i32 = 19;
    /// float8 e5m2, unsigned zero
    pub const FLOAT8E5M2FNUZ: i32 = 20;
    /// uint4
    pub const UINT4: i32 = 21;
    /// int4
    pub const INT4: i32 = 22;
    /// float4 e2m1
    pub const FLOAT4E2M1: i32 = 23;
    /// float8 e8m0 (a power of two)
    pub const FLOAT8E8M0: i32 = 24;
    /// uint2
    pub const UINT2: i32 = 25;
    /// int2
    pub const INT2: i32 = 26;
}

/// The name ONNX gives an element type.
pub fn type_name(t: i32) -> String {
    let name = match t {
        ty::FLOAT => "FLOAT",
        ty::UINT8 => "UINT8",
        ty::INT8 => "INT8",
        ty::UINT16 => "UINT16",
        ty::INT16 => "INT16",
        ty::INT32 => "INT32",
        ty::INT64 => "INT64",
        ty::STRING => "STRING",
        ty::BOOL => "BOOL",
        ty::FLOAT16 => "FLOAT16",
        ty::DOUBLE => "DOUBLE",
        ty::UINT32 => "UINT32",
        ty::UINT64 => "UINT64",
        ty::BFLOAT16 => "BFLOAT16",
        ty::FLOAT8E4M3FN => "FLOAT8E4M3FN",
        ty::FLOAT8E4M3FNUZ => "FLOAT8E4M3FNUZ",
        ty::FLOAT8E5M2 => "FLOAT8E5M2",
        ty::FLOAT8E5M2FNUZ => "FLOAT8E5M2FNUZ",
        ty::UINT4 => "UINT4",
        ty::INT4 => "INT4",
        ty::FLOAT4E2M1 => "FLOAT4E2M1",
        ty::FLOAT8E8M0 => "FLOAT8E8M0",
        ty::UINT2 => "UINT2",
        ty::INT2 => "INT2",
        _ => return format!("type {t}"),
    };
    name.to_string()
}

/// The smallest and largest value of an integer or bool type; `None` for other types.
pub fn integer_range(t: i32) -> Option<(i128, i128)> {
    Some(match t {
        ty::BOOL => (0, 1),
        ty::UINT2 => (0, 3),
        ty::INT2 => (-2, 1),
        ty::UINT4 => (0, 15),
        ty::INT4 => (-8, 7),
        ty::UINT8 => (0, u8::MAX as i128),
        ty::INT8 => (i8::MIN as i128, i8::MAX as i128),
        ty::UINT16 => (0, u16::MAX as i128),
        ty::INT16 => (i16::MIN as i128, i16::MAX as i128),
        ty::UINT32 => (0, u32::MAX as i128),
        ty::INT32 => (i32::MIN as i128, i32::MAX as i128),
        ty::UINT64 => (0, u64::MAX as i128),
        ty::INT64 => (i64::MIN as i128, i64::MAX as i128),
        _ => return None,
    })
}

/// Decodes an 8-bit float with `exp_bits` exponent bits (the rest mantissa) and `bias`.
/// `fnuz`: 0x80 is the only NaN and there is no negative zero or infinity; otherwise e4m3fn
/// (`exp_bits` 4) has NaN at all-ones and no infinity, and e5m2 follows IEEE.
pub fn float8(bits: u8, exp_bits: u32, bias: i32, fnuz: bool) -> f64 {
    let man_bits = 7 - exp_bits;
    let sign = if bits & 0x80 != 0 { -1.0 } else { 1.0 };
    let e = ((bits >> man_bits) & ((1 << exp_bits) - 1)) as i32;
    let m = (bits & ((1 << man_bits) - 1)) as f64;
    let exp_max = (1 << exp_bits) - 1;
    if fnuz {
        if bits == 0x80 {
            return f64::NAN;
        }
    } else if exp_bits == 4 {
        if bits & 0x7f == 0x7f {
            return f64::NAN;
        }
    } else if e == exp_max {
        return if m == 0.0 { sign * f64::INFINITY } else { f64::NAN };
    }
    let scale = 2f64.powi(man_bits as i32);
    if e == 0 {
        sign * m / scale * 2f64.powi(1 - bias)
    } else {
        sign * (1.0 + m / scale) * 2f64.powi(e - bias)
    }
}

/// Decodes a float4 e2m1 nibble (no infinity or NaN).
pub fn float4(nibble: u8) -> f64 {
    let sign = if nibble & 0x8 != 0 { -1.0 } else { 1.0 };
    let e = ((nibble >> 1) & 0x3) as i32;
    let m = (nibble & 1) as f64;
    if e == 0 {
        sign * m * 0.5
    } else {
        sign * (1.0 + m / 2.0) * 2f64.powi(e - 1)
    }
}

/// The value of one element of a sub-byte or 8/16-bit type from its bit pattern.
fn from_bits(t: i32, b: u32) -> f64 {
    match t {
        ty::FLOAT16 => half::f16::from_bits(b as u16).to_f64(),
        ty::BFLOAT16 => half::bf16::from_bits(b as u16).to_f64(),
        ty::FLOAT8E4M3FN => float8(b as u8, 4, 7, false),
        ty::FLOAT8E4M3FNUZ => float8(b as u8, 4, 8, true),
        ty::FLOAT8E5M2 => float8(b as u8, 5, 15, false),
        ty::FLOAT8E5M2FNUZ => float8(b as u8, 5, 16, true),
        ty::FLOAT8E8M0 if b as u8 == 0xff => f64::NAN,
        ty::FLOAT8E8M0 => 2f64.powi(b as u8 as i32 - 127),
        ty::FLOAT4E2M1 => float4(b as u8 & 0xf),
        ty::UINT4 => (b & 0xf) as f64,
        ty::INT4 => (((b & 0xf) as i8) << 4 >> 4) as f64,
        ty::UINT2 => (b & 0x3) as f64,
        ty::INT2 => (((b & 0x3) as i8) << 6 >> 6) as f64,
        ty::UINT8 | ty::BOOL => (b as u8) as f64,
        ty::INT8 => (b as u8 as i8) as f64,
        ty::UINT16 => (b as u16) as f64,
        ty::INT16 => (b as u16 as i16) as f64,
        _ => unreachable!("from_bits is called for small types only"),
    }
}

/// Bits per element of the types stored as bit patterns (`None` for the others).
fn small_width(t: i32) -> Option<usize> {
    match t {
        ty::UINT2 | ty::INT2 => Some(2),
        ty::UINT4 | ty::INT4 | ty::FLOAT4E2M1 => Some(4),
        ty::UINT8 | ty::INT8 | ty::BOOL | ty::FLOAT8E4M3FN | ty::FLOAT8E4M3FNUZ | ty::FLOAT8E5M2 | ty::FLOAT8E5M2FNUZ | ty::FLOAT8E8M0 => {
            Some(8)
        }
        ty::UINT16 | ty::INT16 | ty::FLOAT16 | ty::BFLOAT16 => Some(16),
        _ => None,
    }
}

/// The values of a TensorProto of any numeric element type, as `f64` (NaN and infinities as
/// they are; callers decide whether they can be represented). `what` names it in errors.
pub fn tensor_values(t: &pb::TensorProto, what: &str) -> Result<Vec<f64>, String> {
    let n: usize = t.dims.iter().map(|&d| d.max(0) as usize).product();
    let raw = &t.raw_data;
    let from_raw = |width: usize, f: &dyn Fn(&[u8]) -> f64| -> Result<Vec<f64>, String> {
        if raw.len() != n * width {
            return Err(format!("{what}: {} raw bytes for {n} values of {width} bytes", raw.len()));
        }
        Ok(raw.chunks(width).map(f).collect())
    };
    let dt = t.data_type;
    let v: Vec<f64> = if let Some(bits) = small_width(dt) {
        // bit patterns: from the raw bytes, or one int32 entry per element (per byte for the
        // packed sub-byte types)
        let words: Vec<u32> = if !raw.is_empty() {
            if bits == 16 {
                raw.chunks(2)
                    .map(|c| u16::from_le_bytes([c[0], c.get(1).copied().unwrap_or(0)]) as u32)
                    .collect()
            } else {
                raw.iter().map(|&b| b as u32).collect()
            }
        } else {
            t.int32_data.iter().map(|&w| w as u32).collect()
        };
        let per_word = if bits < 8 { 8 / bits } else { 1 };
        let needed = n.div_ceil(per_word);
        if words.len() != needed {
            return Err(format!(
                "{what}: {} stored entries for {n} {} values ({needed} expected)",
                words.len(),
                type_name(dt)
            ));
        }
        (0..n)
            .map(|i| {
                let w = words[i / per_word];
                let b = if bits < 8 {
                    (w >> ((i % per_word) * bits)) & ((1 << bits) - 1)
                } else {
                    w
                };
                from_bits(dt, b)
            })
            .collect()
    } else {
        match dt {
            ty::FLOAT if !raw.is_empty() => from_raw(4, &|c| f32::from_le_bytes(c.try_into().expect("4 bytes")) as f64)?,
            ty::FLOAT => t.float_data.iter().map(|&x| x as f64).collect(),
            ty::DOUBLE if !raw.is_empty() => from_raw(8, &|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))?,
            ty::DOUBLE => t.double_data.clone(),
            ty::INT64 if !raw.is_empty() => from_raw(8, &|c| i64::from_le_bytes(c.try_into().expect("8 bytes")) as f64)?,
            ty::INT64 => t.int64_data.iter().map(|&x| x as f64).collect(),
            ty::INT32 if !raw.is_empty() => from_raw(4, &|c| i32::from_le_bytes(c.try_into().expect("4 bytes")) as f64)?,
            ty::INT32 => t.int32_data.iter().map(|&x| x as f64).collect(),
            ty::UINT32 if !raw.is_empty() => from_raw(4, &|c| u32::from_le_bytes(c.try_into().expect("4 bytes")) as f64)?,
            ty::UINT64 if !raw.is_empty() => from_raw(8, &|c| u64::from_le_bytes(c.try_into().expect("8 bytes")) as f64)?,
            ty::UINT32 | ty::UINT64 => t.uint64_data.iter().map(|&x| x as f64).collect(),
            other => {
                return Err(format!(
                    "{what}: tensor element type {} ({other}) has no numeric values (strings, complex numbers and other non-numeric types are not supported)",
                    type_name(other)
                ))
            }
        }
    };
    if v.len() != n {
        return Err(format!("{what}: {} values for shape {:?}", v.len(), t.dims));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(dt: i32, dims: &[i64], raw: Vec<u8>) -> pb::TensorProto {
        pb::TensorProto {
            data_type: dt,
            dims: dims.to_vec(),
            raw_data: raw,
            ..Default::default()
        }
    }

    #[test]
    fn float8_and_float4_decode_to_their_values() {
        // e4m3fn: 0x38 = 1.0, 0x7e = 448 (largest), 0x01 = 2^-9 (smallest subnormal), 0x7f NaN
        assert_eq!(float8(0x38, 4, 7, false), 1.0);
        assert_eq!(float8(0x7e, 4, 7, false), 448.0);
        assert_eq!(float8(0x01, 4, 7, false), 2f64.powi(-9));
        assert_eq!(float8(0xb8, 4, 7, false), -1.0);
        assert!(float8(0x7f, 4, 7, false).is_nan());
        // e4m3fnuz: bias 8, 0x80 is NaN
        assert_eq!(float8(0x40, 4, 8, true), 1.0);
        assert!(float8(0x80, 4, 8, true).is_nan());
        // e5m2: 0x3c = 1.0, 0x7b = 57344, 0x7c = inf
        assert_eq!(float8(0x3c, 5, 15, false), 1.0);
        assert_eq!(float8(0x7b, 5, 15, false), 57344.0);
        assert_eq!(float8(0x7c, 5, 15, false), f64::INFINITY);
        // e5m2fnuz: bias 16
        assert_eq!(float8(0x40, 5, 16, true), 1.0);
        // e2m1: 0b0010 = 1, 0b0111 = 6, 0b1001 = -0.5
        assert_eq!([float4(0b0010), float4(0b0111), float4(0b1001)], [1.0, 6.0, -0.5]);
    }

    #[test]
    fn packed_and_16_bit_types_read_from_raw_and_int32_data() {
        // int4 [−8, 7, 1] packed low nibble first: 0x78, 0x01
        assert_eq!(
            tensor_values(&tensor(ty::INT4, &[3], vec![0x78, 0x01]), "x").unwrap(),
            [-8.0, 7.0, 1.0]
        );
        // uint2 [3, 0, 1, 2, 1] in two bytes
        let b0 = 3 | (1 << 4) | (2 << 6);
        assert_eq!(
            tensor_values(&tensor(ty::UINT2, &[5], vec![b0, 1]), "x").unwrap(),
            [3.0, 0.0, 1.0, 2.0, 1.0]
        );
        let t = pb::TensorProto {
            data_type: ty::FLOAT16,
            dims: vec![2],
            int32_data: vec![0x3c00, 0xc000],
            ..Default::default()
        };
        assert_eq!(tensor_values(&t, "x").unwrap(), [1.0, -2.0]);
        assert_eq!(tensor_values(&tensor(ty::BFLOAT16, &[1], vec![0x80, 0x3f]), "x").unwrap(), [1.0]);
        assert_eq!(tensor_values(&tensor(ty::INT8, &[2], vec![0xff, 0x05]), "x").unwrap(), [-1.0, 5.0]);
        assert_eq!(tensor_values(&tensor(ty::BOOL, &[2], vec![1, 0]), "x").unwrap(), [1.0, 0.0]);
        assert_eq!(
            tensor_values(&tensor(ty::UINT32, &[1], 4_000_000_000u32.to_le_bytes().to_vec()), "x").unwrap(),
            [4e9]
        );
    }

    #[test]
    fn wrong_lengths_and_strings_are_named() {
        let e = tensor_values(&tensor(ty::INT4, &[3], vec![0x78]), "input_0").unwrap_err();
        assert!(e.contains("input_0") && e.contains("INT4") && e.contains("2 expected"), "{e}");
        let e = tensor_values(&tensor(ty::STRING, &[1], vec![]), "input_0").unwrap_err();
        assert!(e.contains("STRING"), "{e}");
    }
}
