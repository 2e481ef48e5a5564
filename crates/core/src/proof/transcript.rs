//! A Keccak-256 transcript in the EVM's encoding, so a Solidity verifier can replay it.
//!
//! Absorbed values are appended to a buffer: scalars as 32-byte big-endian integers, G1 points
//! as `x ‖ y` (32-byte big-endian each; the point at infinity as 64 zero bytes). A challenge
//! is `keccak256(buffer)` (with a single `0x01` byte appended when the buffer is exactly one
//! word, i.e. right after a previous challenge) reduced modulo r; the hash then replaces the
//! buffer. Reading rejects non-canonical scalars (≥ r), coordinates ≥ q and points off the
//! curve.

use halo2_axiom::halo2curves::bn256::{Fq, Fr, G1Affine};
use halo2_axiom::halo2curves::ff::{FromUniformBytes, PrimeField};
use halo2_axiom::halo2curves::group::prime::PrimeCurveAffine;
use halo2_axiom::halo2curves::CurveAffine;
use halo2_axiom::transcript::{
    EncodedChallenge, Transcript, TranscriptRead, TranscriptReadBuffer, TranscriptWrite, TranscriptWriterBuffer,
};
use sha3::{Digest, Keccak256};
use std::io::{self, Read, Write};

/// A challenge: the reduced hash.
#[derive(Clone, Copy, Debug)]
pub struct EvmChallenge(Fr);

impl EncodedChallenge<G1Affine> for EvmChallenge {
    type Input = [u8; 32];
    fn new(hash: &[u8; 32]) -> Self {
        let mut wide = [0u8; 64];
        for (i, b) in hash.iter().rev().enumerate() {
            wide[i] = *b;
        }
        EvmChallenge(Fr::from_uniform_bytes(&wide))
    }
    fn get_scalar(&self) -> Fr {
        self.0
    }
}

/// Big-endian encoding of a scalar.
pub fn scalar_bytes(s: &Fr) -> [u8; 32] {
    let mut b = s.to_repr();
    b.reverse();
    b
}

/// Big-endian `x ‖ y` encoding of a point (64 zero bytes for infinity).
pub fn point_bytes(p: &G1Affine) -> [u8; 64] {
    let mut out = [0u8; 64];
    if bool::from(p.is_identity()) {
        return out;
    }
    let c = p.coordinates().expect("finite point");
    let mut x = c.x().to_repr();
    let mut y = c.y().to_repr();
    x.reverse();
    y.reverse();
    out[..32].copy_from_slice(x.as_ref());
    out[32..].copy_from_slice(y.as_ref());
    out
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// Decodes a big-endian scalar, rejecting values ≥ r.
pub fn scalar_from_bytes(b: &[u8; 32]) -> io::Result<Fr> {
    let mut le = *b;
    le.reverse();
    Option::from(Fr::from_repr(le)).ok_or_else(|| invalid("scalar is not below the field modulus r".into()))
}

fn fq_from_be(b: &[u8]) -> io::Result<Fq> {
    let mut le = [0u8; 32];
    le.copy_from_slice(b);
    le.reverse();
    Option::from(Fq::from_repr(le)).ok_or_else(|| invalid("point coordinate is not below the base field modulus q".into()))
}

/// Decodes a point, rejecting coordinates ≥ q and points off the curve.
pub fn point_from_bytes(b: &[u8; 64]) -> io::Result<G1Affine> {
    if b.iter().all(|&v| v == 0) {
        return Ok(G1Affine::identity());
    }
    let x = fq_from_be(&b[..32])?;
    let y = fq_from_be(&b[32..])?;
    Option::from(G1Affine::from_xy(x, y)).ok_or_else(|| invalid("point is not on the BN254 curve".into()))
}

/// The transcript over a reader (verifier) or writer (prover).
#[derive(Debug)]
pub struct EvmTranscript<S> {
    stream: S,
    buf: Vec<u8>,
}

impl<S> EvmTranscript<S> {
    /// The underlying stream.
    pub fn into_inner(self) -> S {
        self.stream
    }
}

/// A squeeze over the absorbed bytes `buf`: keccak256(buf, plus 0x01 when `buf` is exactly one
/// word) and the challenge it gives. The hash becomes the next buffer.
pub fn squeeze(buf: &[u8]) -> ([u8; 32], EvmChallenge) {
    let mut h = Keccak256::new();
    h.update(buf);
    if buf.len() == 32 {
        h.update([1u8]);
    }
    let hash: [u8; 32] = h.finalize().into();
    (hash, EvmChallenge::new(&hash))
}

impl<S> Transcript<G1Affine, EvmChallenge> for EvmTranscript<S> {
    fn squeeze_challenge(&mut self) -> EvmChallenge {
        let (hash, challenge) = squeeze(&self.buf);
        self.buf = hash.to_vec();
        challenge
    }
    fn common_point(&mut self, p: G1Affine) -> io::Result<()> {
        self.buf.extend_from_slice(&point_bytes(&p));
        Ok(())
    }
    fn common_scalar(&mut self, s: Fr) -> io::Result<()> {
        self.buf.extend_from_slice(&scalar_bytes(&s));
        Ok(())
    }
}

impl<R: Read> TranscriptRead<G1Affine, EvmChallenge> for EvmTranscript<R> {
    fn read_point(&mut self) -> io::Result<G1Affine> {
        let mut b = [0u8; 64];
        self.stream.read_exact(&mut b)?;
        let p = point_from_bytes(&b)?;
        self.common_point(p)?;
        Ok(p)
    }
    fn read_scalar(&mut self) -> io::Result<Fr> {
        let mut b = [0u8; 32];
        self.stream.read_exact(&mut b)?;
        let s = scalar_from_bytes(&b)?;
        self.common_scalar(s)?;
        Ok(s)
    }
}

impl<R: Read> TranscriptReadBuffer<R, G1Affine, EvmChallenge> for EvmTranscript<R> {
    fn init(reader: R) -> Self {
        EvmTranscript {
            stream: reader,
            buf: Vec::new(),
        }
    }
}

impl<W: Write> TranscriptWrite<G1Affine, EvmChallenge> for EvmTranscript<W> {
    fn write_point(&mut self, p: G1Affine) -> io::Result<()> {
        self.common_point(p)?;
        self.stream.write_all(&point_bytes(&p))
    }
    fn write_scalar(&mut self, s: Fr) -> io::Result<()> {
        self.common_scalar(s)?;
        self.stream.write_all(&scalar_bytes(&s))
    }
}

impl<W: Write> TranscriptWriterBuffer<W, G1Affine, EvmChallenge> for EvmTranscript<W> {
    fn init(writer: W) -> Self {
        EvmTranscript {
            stream: writer,
            buf: Vec::new(),
        }
    }
    fn finalize(self) -> W {
        self.stream
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_axiom::halo2curves::bn256::G1;
    use halo2_axiom::halo2curves::group::Curve;

    #[test]
    fn encodings_roundtrip_and_reject_bad_values() {
        let p = (G1::generator() * Fr::from(7u64)).to_affine();
        assert_eq!(point_from_bytes(&point_bytes(&p)).unwrap(), p);
        assert!(bool::from(point_from_bytes(&[0u8; 64]).unwrap().is_identity()));
        let mut off = point_bytes(&p);
        off[63] ^= 1;
        assert!(point_from_bytes(&off).unwrap_err().to_string().contains("not on the BN254 curve"));
        let s = Fr::from(12345u64);
        assert_eq!(scalar_from_bytes(&scalar_bytes(&s)).unwrap(), s);
        assert!(scalar_from_bytes(&[0xff; 32]).unwrap_err().to_string().contains("modulus r"));
        let mut big = [0u8; 64];
        big[..32].copy_from_slice(&[0xff; 32]);
        assert!(point_from_bytes(&big).unwrap_err().to_string().contains("modulus q"));
    }

    #[test]
    fn challenges_depend_on_everything_absorbed() {
        let mut a = <EvmTranscript<Vec<u8>> as TranscriptWriterBuffer<_, G1Affine, EvmChallenge>>::init(Vec::new());
        let mut b = <EvmTranscript<Vec<u8>> as TranscriptWriterBuffer<_, G1Affine, EvmChallenge>>::init(Vec::new());
        a.common_scalar(Fr::from(1u64)).unwrap();
        b.common_scalar(Fr::from(2u64)).unwrap();
        let (ca, cb) = (a.squeeze_challenge().get_scalar(), b.squeeze_challenge().get_scalar());
        assert_ne!(ca, cb);
        // consecutive squeezes differ (the 0x01 domain byte)
        assert_ne!(a.squeeze_challenge().get_scalar(), ca);
    }
}
