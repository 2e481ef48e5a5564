//! ABI encoding of `verifyProof(bytes,uint256[])`.

use sha3::{Digest, Keccak256};

/// The verifier entry point every generated contract exposes.
pub const VERIFY_SIGNATURE: &str = "verifyProof(bytes,uint256[])";

/// The 4-byte selector of a function signature (`name(types)`): its Keccak-256, first 4 bytes.
pub fn function_selector(signature: &str) -> [u8; 4] {
    let h = Keccak256::digest(signature.as_bytes());
    [h[0], h[1], h[2], h[3]]
}

/// The 4-byte selector of [`VERIFY_SIGNATURE`].
pub fn selector() -> [u8; 4] {
    function_selector(VERIFY_SIGNATURE)
}

/// Calldata of `CreditGate.isApproved(address)` for `borrower`.
pub fn encode_is_approved(borrower: &[u8; 20]) -> Vec<u8> {
    let mut out = function_selector("isApproved(address)").to_vec();
    out.extend_from_slice(&[0u8; 12]);
    out.extend_from_slice(borrower);
    out
}

fn word(v: usize) -> [u8; 32] {
    word64(v as u64)
}

fn word64(v: u64) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&v.to_be_bytes());
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

/// `CreditGate.requestCredit`'s signature (the attestation a static tuple
/// `(address subject, uint256 inputHash, bytes32 schema, uint64 issuedAt, uint64 expiresAt)`).
pub const REQUEST_CREDIT_SIGNATURE: &str = "requestCredit(bytes,uint256[],(address,uint256,bytes32,uint64,uint64),bytes)";

/// A data provider's attestation, as `CreditGate` takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attestation {
    /// The borrower the features belong to.
    pub subject: [u8; 20],
    /// Poseidon hash of the quantized features, big-endian.
    pub input_hash: [u8; 32],
    /// The input schema id.
    pub schema: [u8; 32],
    /// Unix seconds.
    pub issued_at: u64,
    /// Unix seconds.
    pub expires_at: u64,
}

/// Appends `bytes` as an ABI tail: its length, then the data padded to 32 bytes.
fn push_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&word(bytes.len()));
    out.extend_from_slice(bytes);
    out.resize(out.len() + bytes.len().div_ceil(32) * 32 - bytes.len(), 0);
}

/// ABI-encodes `requestCredit(proof, instances, attestation, signature)`: the head holds the
/// offsets of the three dynamic arguments and the attestation's five words inline (a static
/// tuple), the tails follow in argument order.
pub fn encode_request_credit(proof: &[u8], instances: &[[u8; 32]], attestation: &Attestation, signature: &[u8]) -> Vec<u8> {
    let head = 32 * 8;
    let proof_tail = 32 + proof.len().div_ceil(32) * 32;
    let instances_tail = 32 + 32 * instances.len();
    let mut out = function_selector(REQUEST_CREDIT_SIGNATURE).to_vec();
    out.extend_from_slice(&word(head));
    out.extend_from_slice(&word(head + proof_tail));
    let mut subject = [0u8; 32];
    subject[12..].copy_from_slice(&attestation.subject);
    out.extend_from_slice(&subject);
    out.extend_from_slice(&attestation.input_hash);
    out.extend_from_slice(&attestation.schema);
    out.extend_from_slice(&word64(attestation.issued_at));
    out.extend_from_slice(&word64(attestation.expires_at));
    out.extend_from_slice(&word(head + proof_tail + instances_tail));
    push_bytes(&mut out, proof);
    out.extend_from_slice(&word(instances.len()));
    for i in instances {
        out.extend_from_slice(i);
    }
    push_bytes(&mut out, signature);
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
