//! SRS files made outside zkinfer: snarkjs powers-of-tau files (`.ptau`) and halo2 KZG params
//! files. Their layout (checked against the file's length before any point is read), streamed
//! reading of their points with every point validated (canonical coordinates, on the curve, not
//! the point at infinity), the files' SHA-256 and Blake2b-512, and the table of the published
//! hashes of well-known public ceremony files.
//!
//! A snarkjs `.ptau` file (version 1, as written by `@iden3/binfileutils`) is the magic `ptau`,
//! a `u32` version and a `u32` section count, then sections, each a `u32` id, a `u64` byte
//! length and the data (all integers little-endian):
//!
//! | id | content |
//! |----|---------|
//! | 1  | header: `u32` n8 (bytes per base-field element), the base field modulus q (n8 bytes), `u32` power, `u32` ceremony power |
//! | 2  | τ^i·G1 for i < 2^(power+1) − 1 |
//! | 3  | τ^i·G2 for i < 2^power |
//! | 4, 5 | α·τ^i·G1, β·τ^i·G1 (Groth16 only; not read) |
//! | 6  | β·G2 (not read) |
//! | 7  | the contributions (a `u32` count first) |
//! | 12–15 | `prepare phase2`: the Lagrange forms of sections 2–5 (not read) |
//!
//! Points are affine, coordinates in Montgomery form (R = 2^256) as little-endian 64-bit limbs,
//! x then y, an Fq2 element c0 then c1 (ffjavascript's `toRprLEM`). That is also halo2curves'
//! raw encoding (`SerdeObject::write_raw`), so a point is decoded the same way from both file
//! kinds.
//!
//! A halo2 KZG params file (`ParamsKZG::write_custom` of halo2-axiom, PSE halo2 and the tools
//! built on them, such as EZKL) is a `u32` k, then 2^k G1 powers `g`, the 2^k Lagrange-basis
//! points `g_lagrange`, the G2 generator and s·G2: raw (`SerdeFormat::RawBytes`, 64/128 bytes a
//! point) or compressed (`SerdeFormat::Processed`, 32/64 bytes a point); the length tells which.

use super::ProofError;
use halo2_axiom::arithmetic::parallelize;
use halo2_axiom::halo2curves::bn256::{Fq, Fq2, G1Affine, G2Affine};
use halo2_axiom::halo2curves::group::prime::PrimeCurveAffine;
use halo2_axiom::halo2curves::group::GroupEncoding;
use halo2_axiom::halo2curves::serde::SerdeObject;
use halo2_axiom::halo2curves::CurveAffine;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// The largest power zkinfer reads: BN254's scalar field has 2-adicity 28.
pub const MAX_POWER: u32 = 28;

/// The BN254 base field modulus q, big-endian hex.
const BN254_Q: &str = "30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47";
/// The BLS12-381 base field modulus, big-endian hex (to name that curve in the refusal).
const BLS12_381_Q: &str = "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab";

/// What an SRS file is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SrsFormat {
    /// A snarkjs powers-of-tau file (`.ptau`, version 1) on BN254 (snarkjs' `bn128`).
    Ptau {
        /// log2 of the number of τ powers in G2 (G1 has 2^(power+1) − 1).
        power: u32,
        /// The power of the ceremony the file was cut from (28 for the Hermez files).
        ceremony_power: u32,
        /// Number of contributions recorded in the file (section 7).
        contributions: u32,
        /// Whether the file holds the Lagrange sections written by `prepare phase2`.
        phase2: bool,
    },
    /// A halo2 KZG params file.
    Halo2 {
        /// log2 of the number of G1 powers.
        k: u32,
        /// Compressed points (`SerdeFormat::Processed`) rather than raw (`RawBytes`).
        compressed: bool,
    },
}

impl SrsFormat {
    /// A short machine-readable name: `ptau`, `halo2-raw` or `halo2-compressed`.
    pub fn id(&self) -> &'static str {
        match self {
            SrsFormat::Ptau { .. } => "ptau",
            SrsFormat::Halo2 { compressed: false, .. } => "halo2-raw",
            SrsFormat::Halo2 { compressed: true, .. } => "halo2-compressed",
        }
    }

    /// The format in words.
    pub fn describe(&self) -> String {
        match self {
            SrsFormat::Ptau {
                power,
                ceremony_power,
                contributions,
                phase2,
            } => {
                let cut = if ceremony_power > power {
                    format!(", cut from a 2^{ceremony_power} ceremony")
                } else {
                    String::new()
                };
                format!(
                    "snarkjs powers of tau (.ptau v1, BN254), 2^{power} powers{cut}, {contributions} contribution{}{}",
                    if *contributions == 1 { "" } else { "s" },
                    if *phase2 { ", prepared for phase 2" } else { "" }
                )
            }
            SrsFormat::Halo2 { k, compressed } => format!(
                "halo2 KZG params ({}), 2^{k} powers",
                if *compressed { "compressed points" } else { "raw points" }
            ),
        }
    }
}

/// Which points of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointKind {
    /// τ^i·G1 (ptau section 2, halo2 `g`).
    G1Power,
    /// τ^i·G2 (ptau section 3); in a halo2 file the G2 generator and s·G2.
    G2Power,
    /// halo2's `g_lagrange`.
    Lagrange,
}

/// What is wrong with one point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointFault {
    /// A coordinate is not below the base field modulus.
    Coordinate,
    /// The coordinates do not satisfy the curve equation.
    OffCurve,
    /// The point at infinity (never a power of a non-zero secret).
    Infinity,
    /// A compressed encoding that decodes to no point.
    Encoding,
}

impl std::fmt::Display for PointFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PointFault::Coordinate => "has a coordinate that is not below the BN254 base field modulus (not a field element)",
            PointFault::OffCurve => "is not on the BN254 curve",
            PointFault::Infinity => "is the point at infinity",
            PointFault::Encoding => "is not a valid compressed BN254 point",
        })
    }
}

#[derive(Clone, Copy, Debug)]
struct Region {
    offset: u64,
    count: u64,
}

/// An SRS file whose layout has been checked; points are read on demand.
#[derive(Clone, Debug)]
pub struct SrsFile {
    /// The file.
    pub path: PathBuf,
    /// Its length in bytes.
    pub len: u64,
    /// What it is.
    pub format: SrsFormat,
    g1: Region,
    g2: Region,
    lagrange: Option<Region>,
    /// A phase-2-prepared `.ptau` file's section 12 (offset, size): the Lagrange bases of the
    /// τ powers for every domain size 2^p, p = 0, 1, …, one block after the other.
    section12: Option<(u64, u64)>,
}

/// Size in bytes of a halo2 params file of size `k`: raw or compressed points.
pub fn halo2_len(k: u32, compressed: bool) -> u64 {
    let (g1, g2) = if compressed { (32, 64) } else { (64, 128) };
    4 + 2 * (1u64 << k) * g1 + 2 * g2
}

fn le_hex(bytes: &[u8]) -> String {
    let mut b = bytes.to_vec();
    b.reverse();
    hex::encode(b)
}

fn section_name(id: u32) -> &'static str {
    match id {
        1 => "header",
        2 => "tauG1",
        3 => "tauG2",
        4 => "alphaTauG1",
        5 => "betaTauG1",
        6 => "betaG2",
        7 => "contributions",
        12 => "lTauG1",
        13 => "lTauG2",
        14 => "lAlphaTauG1",
        15 => "lBetaTauG1",
        _ => "unknown",
    }
}

impl SrsFile {
    /// Opens a `.ptau` or halo2 params file and checks its layout: the header, the curve, and
    /// that every section or point block the format announces is in the file.
    pub fn open(path: &Path) -> Result<SrsFile, ProofError> {
        let err = |reason: String| srs_err(path, reason);
        let mut f = File::open(path).map_err(|e| err(format!("cannot read: {e}")))?;
        let len = f.metadata().map_err(|e| err(format!("cannot read: {e}")))?.len();
        let mut magic = [0u8; 4];
        if len < 4 {
            return Err(err(format!(
                "has {len} bytes: too short for a .ptau or halo2 params file (truncated?)"
            )));
        }
        f.read_exact(&mut magic).map_err(|e| err(format!("cannot read: {e}")))?;
        if &magic == b"ptau" {
            Self::open_ptau(path, f, len)
        } else {
            Self::open_halo2(path, u32::from_le_bytes(magic), len)
        }
    }

    fn open_halo2(path: &Path, k: u32, len: u64) -> Result<SrsFile, ProofError> {
        let err = |reason: String| srs_err(path, reason);
        if k == 0 || k > MAX_POWER {
            return Err(err(format!(
                "is neither a snarkjs .ptau file (no `ptau` magic) nor a halo2 KZG params file (its first word says k = {k})"
            )));
        }
        let compressed = if len == halo2_len(k, false) {
            false
        } else if len == halo2_len(k, true) {
            true
        } else {
            return Err(err(format!(
                "has {len} bytes; a k = {k} halo2 params file has {} (raw points) or {} (compressed points): truncated, or not a halo2 KZG params file",
                halo2_len(k, false),
                halo2_len(k, true)
            )));
        };
        let n = 1u64 << k;
        let g1_len = if compressed { 32 } else { 64 };
        Ok(SrsFile {
            path: path.to_path_buf(),
            len,
            format: SrsFormat::Halo2 { k, compressed },
            g1: Region { offset: 4, count: n },
            lagrange: Some(Region {
                offset: 4 + n * g1_len,
                count: n,
            }),
            g2: Region {
                offset: 4 + 2 * n * g1_len,
                count: 2,
            },
            section12: None,
        })
    }

    fn open_ptau(path: &Path, mut f: File, len: u64) -> Result<SrsFile, ProofError> {
        let err = |reason: String| srs_err(path, reason);
        let io = |e: std::io::Error| srs_err(path, format!("cannot read: {e}"));
        if len < 12 {
            return Err(err(format!("has {len} bytes: a .ptau file is truncated before its section count")));
        }
        let mut word = [0u8; 4];
        f.read_exact(&mut word).map_err(io)?;
        let version = u32::from_le_bytes(word);
        if version != 1 {
            return Err(err(format!(
                "is a .ptau file of version {version}; zkinfer reads version 1 (snarkjs 0.3 and later)"
            )));
        }
        f.read_exact(&mut word).map_err(io)?;
        let n_sections = u32::from_le_bytes(word);
        // id → (data offset, size)
        let mut sections: Vec<(u32, u64, u64)> = Vec::new();
        let mut pos = 12u64;
        for i in 0..n_sections {
            if pos + 12 > len {
                return Err(err(format!(
                    "is truncated: it announces {n_sections} sections but ends at byte {len}, inside the header of section #{}",
                    i + 1
                )));
            }
            f.seek(SeekFrom::Start(pos)).map_err(io)?;
            let mut h = [0u8; 12];
            f.read_exact(&mut h).map_err(io)?;
            let id = u32::from_le_bytes(h[..4].try_into().expect("4 bytes"));
            let size = u64::from_le_bytes(h[4..].try_into().expect("8 bytes"));
            let data = pos + 12;
            if size > len.saturating_sub(data) {
                return Err(err(format!(
                    "is truncated: section {id} ({}) needs {size} bytes from byte {data}, but the file ends at byte {len}",
                    section_name(id)
                )));
            }
            if sections.iter().any(|s| s.0 == id) {
                return Err(err(format!("has section {id} ({}) twice", section_name(id))));
            }
            sections.push((id, data, size));
            pos = data + size;
        }
        if pos != len {
            return Err(err(format!(
                "has {} bytes after its last section (damaged or not a .ptau file)",
                len - pos
            )));
        }
        let find = |id: u32| sections.iter().find(|s| s.0 == id).map(|s| (s.1, s.2));
        let (h_off, h_size) = find(1).ok_or_else(|| err("has no header section (1)".into()))?;
        let mut header = vec![0u8; h_size.min(1024) as usize];
        f.seek(SeekFrom::Start(h_off)).map_err(io)?;
        f.read_exact(&mut header).map_err(io)?;
        if header.len() < 4 {
            return Err(err("has a header section too short to hold its field size".into()));
        }
        let n8 = u32::from_le_bytes(header[..4].try_into().expect("4 bytes")) as usize;
        if header.len() < 4 + n8 + 8 || h_size != (4 + n8 + 8) as u64 {
            return Err(err(format!(
                "has a malformed header section ({h_size} bytes for a {n8}-byte field)"
            )));
        }
        let q = le_hex(&header[4..4 + n8]);
        if q != BN254_Q {
            let curve = if q == BLS12_381_Q {
                "BLS12-381 (snarkjs `bls12-381`)".to_string()
            } else {
                format!("an unknown curve (base field modulus 0x{}, {n8} bytes)", q.trim_start_matches('0'))
            };
            return Err(err(format!(
                "is a powers of tau for {curve}, not BN254: zkinfer's proofs and verifiers work on BN254 (snarkjs `bn128`)"
            )));
        }
        let power = u32::from_le_bytes(header[4 + n8..8 + n8].try_into().expect("4 bytes"));
        let ceremony_power = u32::from_le_bytes(header[8 + n8..12 + n8].try_into().expect("4 bytes"));
        if power == 0 || power > MAX_POWER {
            return Err(err(format!(
                "header says power {power}; BN254 powers of tau have power 1 to {MAX_POWER}"
            )));
        }
        let n = 1u64 << power;
        let expect = |id: u32, count: u64, point: u64| -> Result<u64, ProofError> {
            let (off, size) = find(id).ok_or_else(|| err(format!("has no {} section ({id})", section_name(id))))?;
            if size != count * point {
                return Err(err(format!(
                    "section {id} ({}) has {size} bytes; power {power} needs {count} points of {point} bytes = {} (damaged file?)",
                    section_name(id),
                    count * point
                )));
            }
            Ok(off)
        };
        let g1_off = expect(2, 2 * n - 1, 64)?;
        let g2_off = expect(3, n, 128)?;
        let contributions = match find(7) {
            Some((off, size)) if size >= 4 => {
                f.seek(SeekFrom::Start(off)).map_err(io)?;
                f.read_exact(&mut word).map_err(io)?;
                u32::from_le_bytes(word)
            }
            _ => 0,
        };
        let phase2 = (12..=15).all(|id| find(id).is_some());
        Ok(SrsFile {
            path: path.to_path_buf(),
            len,
            format: SrsFormat::Ptau {
                power,
                ceremony_power: ceremony_power.max(power),
                contributions,
                phase2,
            },
            g1: Region {
                offset: g1_off,
                count: 2 * n - 1,
            },
            g2: Region { offset: g2_off, count: n },
            lagrange: None,
            section12: if phase2 { find(12) } else { None },
        })
    }

    /// log2 of the number of G1 powers a circuit can use: the ptau power, or halo2's k.
    pub fn max_k(&self) -> u32 {
        match self.format {
            SrsFormat::Ptau { power, .. } => power,
            SrsFormat::Halo2 { k, .. } => k,
        }
    }

    /// Whether the file has τ powers in G2 beyond τ·G2 (a `.ptau` file).
    pub fn has_g2_powers(&self) -> bool {
        matches!(self.format, SrsFormat::Ptau { .. })
    }

    /// Whether the file carries halo2's Lagrange-basis points.
    pub fn has_lagrange(&self) -> bool {
        self.lagrange.is_some()
    }

    fn compressed(&self) -> bool {
        matches!(self.format, SrsFormat::Halo2 { compressed: true, .. })
    }

    /// The words naming a point in messages.
    pub fn point_name(&self, kind: PointKind, i: u64) -> String {
        match (kind, &self.format) {
            (PointKind::G1Power, SrsFormat::Ptau { .. }) => format!("G1 power #{i} (τ^{i}·G1, section 2)"),
            (PointKind::G1Power, _) => format!("G1 power #{i} (g[{i}] = s^{i}·G1)"),
            (PointKind::G2Power, SrsFormat::Ptau { .. }) => format!("G2 power #{i} (τ^{i}·G2, section 3)"),
            (PointKind::G2Power, _) if i == 0 => "the G2 generator (g2)".into(),
            (PointKind::G2Power, _) => "s·G2 (s_g2)".into(),
            (PointKind::Lagrange, _) => format!("Lagrange point #{i} (g_lagrange[{i}])"),
        }
    }

    fn region(&self, kind: PointKind) -> (Region, u64) {
        let c = self.compressed();
        match kind {
            PointKind::G1Power => (self.g1, if c { 32 } else { 64 }),
            PointKind::Lagrange => (self.lagrange.expect("halo2 file"), if c { 32 } else { 64 }),
            PointKind::G2Power => (self.g2, if c { 64 } else { 128 }),
        }
    }

    fn read_bytes(&self, kind: PointKind, start: u64, count: u64) -> Result<(Vec<u8>, u64), ProofError> {
        let (region, size) = self.region(kind);
        assert!(start + count <= region.count, "read past the {kind:?} points");
        let offset = region.offset + start * size;
        let io = |e: std::io::Error| srs_err(&self.path, format!("cannot read {} points at byte {offset}: {e}", kind_words(kind)));
        let mut f = File::open(&self.path).map_err(io)?;
        f.seek(SeekFrom::Start(offset)).map_err(io)?;
        let mut buf = vec![0u8; (count * size) as usize];
        f.read_exact(&mut buf).map_err(io)?;
        Ok((buf, size))
    }

    fn fault(&self, kind: PointKind, i: u64, fault: PointFault) -> ProofError {
        let (region, size) = self.region(kind);
        srs_err(
            &self.path,
            format!("{} at byte {} {fault}", self.point_name(kind, i), region.offset + i * size),
        )
    }

    /// Reads and validates G1 points `start..start + count` of `kind` (powers or Lagrange
    /// points): each has canonical coordinates, is on the curve (G1 has cofactor 1, so that
    /// also puts it in the prime-order group) and is not the point at infinity. The first bad
    /// point is named in the error.
    pub fn read_g1(&self, kind: PointKind, start: u64, count: u64) -> Result<Vec<G1Affine>, ProofError> {
        let (buf, size) = self.read_bytes(kind, start, count)?;
        let decode = if self.compressed() { g1_compressed } else { g1_raw };
        decode_all(&buf, size as usize, decode, G1Affine::identity()).map_err(|(i, f)| self.fault(kind, start + i as u64, f))
    }

    /// Reads and validates G2 points `start..start + count` (canonical, on the curve, not at
    /// infinity; the subgroup is checked by the caller where it matters).
    pub fn read_g2(&self, start: u64, count: u64) -> Result<Vec<G2Affine>, ProofError> {
        let (buf, size) = self.read_bytes(PointKind::G2Power, start, count)?;
        let decode = if self.compressed() { g2_compressed } else { g2_raw };
        decode_all(&buf, size as usize, decode, G2Affine::identity()).map_err(|(i, f)| self.fault(PointKind::G2Power, start + i as u64, f))
    }

    /// The Lagrange basis of size 2^k of a phase-2-prepared `.ptau` file (section 12, block
    /// k), in snarkjs' order (its own root of unity), or `None` when the file has none. The
    /// points are validated like the others; whether they are the Lagrange basis of the powers
    /// is for the caller to check.
    pub fn read_section12(&self, k: u32) -> Result<Option<Vec<G1Affine>>, ProofError> {
        let Some((offset, size)) = self.section12 else { return Ok(None) };
        let n = 1u64 << k;
        let start = offset + (n - 1) * 64; // blocks of 1, 2, 4, … points come first
        if (2 * n - 1) * 64 > size {
            return Ok(None);
        }
        let io = |e: std::io::Error| srs_err(&self.path, format!("cannot read section 12 at byte {start}: {e}"));
        let mut f = File::open(&self.path).map_err(io)?;
        f.seek(SeekFrom::Start(start)).map_err(io)?;
        let mut buf = vec![0u8; (n * 64) as usize];
        f.read_exact(&mut buf).map_err(io)?;
        decode_all(&buf, 64, g1_raw, G1Affine::identity()).map(Some).map_err(|(i, fault)| {
            srs_err(
                &self.path,
                format!(
                    "Lagrange point #{i} of section 12 (block 2^{k}) at byte {} {fault}",
                    start + 64 * i as u64
                ),
            )
        })
    }

    /// The number of points of `kind` in the file.
    pub fn count(&self, kind: PointKind) -> u64 {
        self.region(kind).0.count
    }

    /// Byte offset of point `i` of `kind` (for tests and messages).
    pub fn offset_of(&self, kind: PointKind, i: u64) -> u64 {
        let (region, size) = self.region(kind);
        region.offset + i * size
    }
}

fn kind_words(kind: PointKind) -> &'static str {
    match kind {
        PointKind::G1Power => "G1",
        PointKind::G2Power => "G2",
        PointKind::Lagrange => "Lagrange",
    }
}

/// An SRS error naming the file.
pub(crate) fn srs_err(path: &Path, reason: String) -> ProofError {
    ProofError::Srs {
        path: path.display().to_string(),
        reason,
    }
}

fn decode_all<T: Send + Copy>(
    bytes: &[u8],
    size: usize,
    decode: fn(&[u8]) -> Result<T, PointFault>,
    init: T,
) -> Result<Vec<T>, (usize, PointFault)> {
    let n = bytes.len() / size;
    let mut out: Vec<Result<T, PointFault>> = vec![Ok(init); n];
    parallelize(&mut out, |chunk, start| {
        for (j, o) in chunk.iter_mut().enumerate() {
            let i = start + j;
            *o = decode(&bytes[i * size..(i + 1) * size]);
        }
    });
    let mut points = Vec::with_capacity(n);
    for (i, r) in out.into_iter().enumerate() {
        points.push(r.map_err(|f| (i, f))?);
    }
    Ok(points)
}

fn checked<C: CurveAffine>(p: C) -> Result<C, PointFault> {
    if bool::from(p.is_identity()) {
        Err(PointFault::Infinity)
    } else if !bool::from(p.is_on_curve()) {
        Err(PointFault::OffCurve)
    } else {
        Ok(p)
    }
}

/// A raw G1 point: x, y in Montgomery form, little-endian (64 bytes).
pub fn g1_raw(b: &[u8]) -> Result<G1Affine, PointFault> {
    let x = Fq::from_raw_bytes(&b[..32]).ok_or(PointFault::Coordinate)?;
    let y = Fq::from_raw_bytes(&b[32..64]).ok_or(PointFault::Coordinate)?;
    checked(G1Affine { x, y })
}

/// A raw G2 point: x, y in Fq2 (c0, c1), Montgomery form, little-endian (128 bytes).
pub fn g2_raw(b: &[u8]) -> Result<G2Affine, PointFault> {
    let x = Fq2::from_raw_bytes(&b[..64]).ok_or(PointFault::Coordinate)?;
    let y = Fq2::from_raw_bytes(&b[64..128]).ok_or(PointFault::Coordinate)?;
    checked(G2Affine { x, y })
}

fn g1_compressed(b: &[u8]) -> Result<G1Affine, PointFault> {
    let mut repr = <G1Affine as GroupEncoding>::Repr::default();
    repr.as_mut().copy_from_slice(b);
    let p: Option<G1Affine> = G1Affine::from_bytes(&repr).into();
    checked(p.ok_or(PointFault::Encoding)?)
}

fn g2_compressed(b: &[u8]) -> Result<G2Affine, PointFault> {
    let mut repr = <G2Affine as GroupEncoding>::Repr::default();
    repr.as_mut().copy_from_slice(b);
    let p: Option<G2Affine> = G2Affine::from_bytes(&repr).into();
    checked(p.ok_or(PointFault::Encoding)?)
}

/// SHA-256 and Blake2b-512 of a file, lowercase hex.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileHashes {
    /// SHA-256.
    pub sha256: String,
    /// Blake2b-512 (what `b2sum` prints and snarkjs publishes for its `.ptau` files).
    pub blake2b: String,
}

/// Hashes a file in one streamed pass (both hashes side by side); `tick(done, total)` reports
/// the bytes read.
pub fn hash_file(path: &Path, tick: &dyn Fn(u64, u64)) -> Result<FileHashes, ProofError> {
    let io = |e: std::io::Error| srs_err(path, format!("cannot read: {e}"));
    let mut f = File::open(path).map_err(io)?;
    let total = f.metadata().map_err(io)?.len();
    let mut sha = Sha256::new();
    let mut blake = blake2b_simd::Params::new().hash_length(64).to_state();
    let mut buf = vec![0u8; 8 << 20];
    let mut done = 0u64;
    loop {
        let mut filled = 0;
        while filled < buf.len() {
            let r = f.read(&mut buf[filled..]).map_err(io)?;
            if r == 0 {
                break;
            }
            filled += r;
        }
        if filled == 0 {
            break;
        }
        let block = &buf[..filled];
        std::thread::scope(|s| {
            s.spawn(|| sha.update(block));
            blake.update(block);
        });
        done += filled as u64;
        tick(done, total);
    }
    Ok(FileHashes {
        sha256: hex::encode(sha.finalize()),
        blake2b: blake.finalize().to_hex().to_string(),
    })
}

/// A public ceremony file whose hash is published.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct KnownCeremony {
    /// Its file name.
    pub file: &'static str,
    /// log2 of its number of powers.
    pub power: u32,
    /// Its published Blake2b-512, hex.
    pub blake2b: &'static str,
    /// Where it comes from and where the hash is published.
    pub source: &'static str,
}

/// Where the Hermez figures come from.
const HERMEZ: &str = "Hermez/Polygon powers of tau (54 contributions to the Perpetual Powers of Tau, a beacon, prepared for phase 2; https://storage.googleapis.com/zkevm/ptau/); Blake2b published in the snarkjs 0.7.6 README (\"Prepare phase 2\")";

/// The Hermez/Polygon `.ptau` files and their Blake2b-512 hashes, copied from the table in the
/// README of snarkjs 0.7.6 (github.com/iden3/snarkjs, README.md, section "7. Prepare phase 2";
/// the same table is in the npm package `snarkjs@0.7.6`). Each file is the Hermez ceremony
/// (a 2^28 Perpetual Powers of Tau contribution chain, 54 contributions and a beacon) cut to
/// 2^power powers with `snarkjs powersoftau truncate` and prepared for phase 2.
pub const KNOWN_CEREMONIES: &[KnownCeremony] = &[
    hez(
        "powersOfTau28_hez_final_08.ptau",
        8,
        "d6a8fb3a04feb600096c3b791f936a578c4e664d262e4aa24beed1b7a9a96aa5eb72864d628db247e9293384b74b36ffb52ca8d148d6e1b8b51e279fdf57b583",
    ),
    hez(
        "powersOfTau28_hez_final_09.ptau",
        9,
        "94f108a80e81b5d932d8e8c9e8fd7f46cf32457e31462deeeef37af1b71c2c1b3c71fb0d9b59c654ec266b042735f50311f9fd1d4cadce47ab234ad163157cb5",
    ),
    hez(
        "powersOfTau28_hez_final_10.ptau",
        10,
        "6cfeb8cda92453099d20120bdd0e8a5c4e7706c2da9a8f09ccc157ed2464d921fd0437fb70db42104769efd7d6f3c1f964bcf448c455eab6f6c7d863e88a5849",
    ),
    hez(
        "powersOfTau28_hez_final_11.ptau",
        11,
        "47c282116b892e5ac92ca238578006e31a47e7c7e70f0baa8b687f0a5203e28ea07bbbec765a98dcd654bad618475d4661bfaec3bd9ad2ed12e7abc251d94d33",
    ),
    hez(
        "powersOfTau28_hez_final_12.ptau",
        12,
        "ded2694169b7b08e898f736d5de95af87c3f1a64594013351b1a796dbee393bd825f88f9468c84505ddd11eb0b1465ac9b43b9064aa8ec97f2b73e04758b8a4a",
    ),
    hez(
        "powersOfTau28_hez_final_13.ptau",
        13,
        "58efc8bf2834d04768a3d7ffcd8e1e23d461561729beaac4e3e7a47829a1c9066d5320241e124a1a8e8aa6c75be0ba66f65bc8239a0542ed38e11276f6fdb4d9",
    ),
    hez(
        "powersOfTau28_hez_final_14.ptau",
        14,
        "eeefbcf7c3803b523c94112023c7ff89558f9b8e0cf5d6cdcba3ade60f168af4a181c9c21774b94fbae6c90411995f7d854d02ebd93fb66043dbb06f17a831c1",
    ),
    hez(
        "powersOfTau28_hez_final_15.ptau",
        15,
        "982372c867d229c236091f767e703253249a9b432c1710b4f326306bfa2428a17b06240359606cfe4d580b10a5a1f63fbed499527069c18ae17060472969ae6e",
    ),
    hez(
        "powersOfTau28_hez_final_16.ptau",
        16,
        "6a6277a2f74e1073601b4f9fed6e1e55226917efb0f0db8a07d98ab01df1ccf43eb0e8c3159432acd4960e2f29fe84a4198501fa54c8dad9e43297453efec125",
    ),
    hez(
        "powersOfTau28_hez_final_17.ptau",
        17,
        "6247a3433948b35fbfae414fa5a9355bfb45f56efa7ab4929e669264a0258976741dfbe3288bfb49828e5df02c2e633df38d2245e30162ae7e3bcca5b8b49345",
    ),
    hez(
        "powersOfTau28_hez_final_18.ptau",
        18,
        "7e6a9c2e5f05179ddfc923f38f917c9e6831d16922a902b0b4758b8e79c2ab8a81bb5f29952e16ee6c5067ed044d7857b5de120a90704c1d3b637fd94b95b13e",
    ),
    hez(
        "powersOfTau28_hez_final_19.ptau",
        19,
        "bca9d8b04242f175189872c42ceaa21e2951e0f0f272a0cc54fc37193ff6648600eaf1c555c70cdedfaf9fb74927de7aa1d33dc1e2a7f1a50619484989da0887",
    ),
    hez(
        "powersOfTau28_hez_final_20.ptau",
        20,
        "89a66eb5590a1c94e3f1ee0e72acf49b1669e050bb5f93c73b066b564dca4e0c7556a52b323178269d64af325d8fdddb33da3a27c34409b821de82aa2bf1a27b",
    ),
    hez(
        "powersOfTau28_hez_final_21.ptau",
        21,
        "9aef0573cef4ded9c4a75f148709056bf989f80dad96876aadeb6f1c6d062391f07a394a9e756d16f7eb233198d5b69407cca44594c763ab4a5b67ae73254678",
    ),
    hez(
        "powersOfTau28_hez_final_22.ptau",
        22,
        "0d64f63dba1a6f11139df765cb690da69d9b2f469a1ddd0de5e4aa628abb28f787f04c6a5fb84a235ec5ea7f41d0548746653ecab0559add658a83502d1cb21b",
    ),
    hez(
        "powersOfTau28_hez_final_23.ptau",
        23,
        "3063a0bd81d68711197c8820a92466d51aeac93e915f5136d74f63c394ee6d88c5e8016231ea6580bec02e25d491f319d92e77f5c7f46a9caa8f3b53c0ea544f",
    ),
    hez(
        "powersOfTau28_hez_final_24.ptau",
        24,
        "fa404d140d5819d39984833ca5ec3632cd4995f81e82db402371a4de7c2eae8687c62bc632a95b0c6aadba3fb02680a94e09174b7233ccd26d78baca2647c733",
    ),
    hez(
        "powersOfTau28_hez_final_25.ptau",
        25,
        "0377d860cdb09a8a31ea1b0b8c04335614c8206357181573bf294c25d5ca7dff72387224fbd868897e6769f7805b3dab02854aec6d69d7492883b5e4e5f35eeb",
    ),
    hez(
        "powersOfTau28_hez_final_26.ptau",
        26,
        "418dee4a74b9592198bd8fd02ad1aea76f9cf3085f206dfd7d594c9e264ae919611b1459a1cc920c2f143417744ba9edd7b8d51e44be9452344a225ff7eead19",
    ),
    hez(
        "powersOfTau28_hez_final_27.ptau",
        27,
        "10ffd99837c512ef99752436a54b9810d1ac8878d368fb4b806267bdd664b4abf276c9cd3c4b9039a1fa4315a0c326c0e8e9e8fe0eb588ffd4f9021bf7eae1a1",
    ),
    hez(
        "powersOfTau28_hez_final.ptau",
        28,
        "55c77ce8562366c91e7cda394cf7b7c15a06c12d8c905e8b36ba9cf5e13eb37d1a429c589e8eaba4c591bc4b88a0e2828745a53e170eac300236f5c1a326f41a",
    ),
];

const fn hez(file: &'static str, power: u32, blake2b: &'static str) -> KnownCeremony {
    KnownCeremony {
        file,
        power,
        blake2b,
        source: HERMEZ,
    }
}

/// The known public ceremony file with this Blake2b-512 (hex), if any.
pub fn known_ceremony(blake2b: &str) -> Option<&'static KnownCeremony> {
    KNOWN_CEREMONIES.iter().find(|c| c.blake2b.eq_ignore_ascii_case(blake2b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_axiom::halo2curves::bn256::G1;
    use halo2_axiom::halo2curves::group::Curve;

    #[test]
    fn raw_points_decode_and_bad_ones_are_named() {
        let g = G1Affine::generator();
        let mut b = g.to_raw_bytes();
        assert_eq!(g1_raw(&b), Ok(g));
        b[40] ^= 1;
        assert_eq!(g1_raw(&b), Err(PointFault::OffCurve));
        assert_eq!(g1_raw(&[0u8; 64]), Err(PointFault::Infinity));
        assert_eq!(g1_raw(&[0xffu8; 64]), Err(PointFault::Coordinate));
        let h = G2Affine::generator();
        assert_eq!(g2_raw(&h.to_raw_bytes()), Ok(h));
        let p = (G1::generator() * halo2_axiom::halo2curves::bn256::Fr::from(5)).to_affine();
        assert_eq!(g1_compressed(p.to_bytes().as_ref()), Ok(p));
    }

    #[test]
    fn the_known_table_is_well_formed() {
        for (i, c) in KNOWN_CEREMONIES.iter().enumerate() {
            assert_eq!(c.power, 8 + i as u32);
            assert_eq!(c.blake2b.len(), 128);
            assert!(hex::decode(c.blake2b).is_ok());
            assert_eq!(known_ceremony(&c.blake2b.to_uppercase()), Some(c));
        }
        assert!(known_ceremony("00").is_none());
    }

    #[test]
    fn hashes_match_reference_values() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("abc");
        std::fs::write(&p, b"abc").unwrap();
        let h = hash_file(&p, &|_, _| {}).unwrap();
        assert_eq!(h.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        // RFC 7693, appendix A
        assert!(h
            .blake2b
            .starts_with("ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"));
    }
}
