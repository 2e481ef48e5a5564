//! ABI encoding of `verifyProof(bytes,uint256[])`.

use sha3::{Digest, Keccak256};

/// The verifier entry point every generated contract exposes.
pub const VERIFY_SIGNATURE: &str = "verifyProof(bytes,uint256[])";

/// The 4-byte selector of [`VERIFY_SIGNATURE`].
pub fn selector() -> [u8; 4] {
    let h = Keccak256::digest(VERIFY_SIGNATURE.as_bytes());
    [h[0], h[1], h[2], h[3]]
}

fn word(v: usize) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&(v as u64).to_be_bytes());
    w
}

/// ABI-encodes a call: selector, the two head offsets, the proof bytes (length, data padded to
/// 32 bytes), then the instances (length, 32-byte big-endian words).
pub fn encode_verify_call(proof: &[u8], instances: &[[u8; 32]]) -> Vec<u8> {
    let padded = proof.len().div_ceil(32) * 32;
    let mut out = Vec::with_capacity(4 + 64 + 32 + padded + 32 + 32 * instances.len());
    out.extend_from_slice(&selector());
    out.extend_from_slice(&word(0x40));
    out.extend_from_slice(&word(0x40 + 32 + padded));
    out.extend_from_slice(&word(proof.len()));
    out.extend_from_slice(proof);
    out.resize(out.len() + padded - proof.len(), 0);
    out.extend_from_slice(&word(instances.len()));
    for i in instances {
        out.extend_from_slice(i);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selector_and_layout() {
        // keccak256("verifyProof(bytes,uint256[])")[..4]
        assert_eq!(
            hex::encode(selector()),
            hex::encode(&Keccak256::digest(b"verifyProof(bytes,uint256[])")[..4])
        );
        let mut inst = [0u8; 32];
        inst[31] = 7;
        let c = encode_verify_call(&[0xaa; 33], &[inst]);
        assert_eq!(c.len(), 4 + 32 * 2 + 32 + 64 + 32 + 32);
        assert_eq!(c[4 + 31], 0x40); // offset of proof
        assert_eq!(c[4 + 63], 0x40 + 32 + 64); // offset of instances
        assert_eq!(c[4 + 64 + 31], 33); // proof length
        assert_eq!(&c[4 + 96..4 + 96 + 33], &[0xaa; 33][..]);
        assert!(c[4 + 96 + 33..4 + 96 + 64].iter().all(|&b| b == 0)); // padding
        assert_eq!(c[4 + 96 + 64 + 31], 1); // instances length
        assert_eq!(c[c.len() - 1], 7);
    }
}
