//! Checks of an SRS file before anything is trusted, the import of ceremony files into the
//! params zkinfer loads, and the record of files already checked.
//!
//! The checks (on the first 2^k powers, the ones a circuit of size k uses):
//!
//! * every point read is a canonical encoding of a point on BN254 and not the point at
//!   infinity (G1 has cofactor 1, so on the curve means in the group);
//! * the G2 generator is the standard one and τ·G2 (the point the verifier embeds as s·G2) is in
//!   the order-r subgroup and is not the generator (τ ≠ 1); the first G1 power is G1;
//! * the G1 powers come from one secret: with random 128-bit weights r_i,
//!   `e(Σ r_i·g_{i+1}, G2) = e(Σ r_i·g_i, τ·G2)` (two MSMs and one pairing product per chunk of
//!   2^17 powers). A wrong power passes with probability about 2^-128. When a chunk fails,
//!   bisection over sub-ranges (the same check, same weights) finds the first inconsistent pair
//!   and names the point;
//! * in a `.ptau` file, the G2 powers agree with the G1 powers: with other weights s_i,
//!   `e(Σ s_i·g_i, G2) = e(G1, Σ s_i·h_i)` (h_i = τ^i·G2; only τ·G2 is used by zkinfer, the
//!   others are checked to refuse a damaged file). They are checked on the curve, not for the
//!   subgroup: they never reach a key or a verifier;
//! * the Lagrange basis (halo2's `g_lagrange`, which keygen and the prover use) is the
//!   inverse FFT of the powers: a halo2 file's own (at its size) or a phase-2 `.ptau` file's
//!   section 12 is checked with random weights c: `Σ c_i·L_i = Σ d_j·g_j`, d the inverse FFT of
//!   c (two MSMs instead of an FFT over G1); a wrong point of a halo2 file is refused and named,
//!   a section 12 that fails is not used. Otherwise the basis is computed from the powers.
//!
//! A file that passed is recorded under the cache directory (`srs/checked/<sha256>.json`, see
//! [`records_dir`]), so `setup --srs` checks a file fully once and afterwards only hashes it and
//! decodes its points. `srs import` records its output too, with the file it came from, so a
//! params file imported from a known ceremony file is known as such on this machine.

use super::ceremony::{hash_file, known_ceremony, srs_err, FileHashes, PointKind, SrsFile};
use super::srs::{cache_dir, dev_s_g1, DEV_REFUSAL, NOT_DEV};
use super::ProofError;
use halo2_axiom::arithmetic::{best_multiexp, g_to_lagrange};
use halo2_axiom::halo2curves::bn256::{multi_miller_loop, Bn256, Fr, G1Affine, G2Affine, G2Prepared, G1};
use halo2_axiom::halo2curves::ff::{Field, PrimeField};
use halo2_axiom::halo2curves::group::cofactor::CofactorGroup;
use halo2_axiom::halo2curves::group::prime::PrimeCurveAffine;
use halo2_axiom::halo2curves::group::{Curve, Group};
use halo2_axiom::halo2curves::pairing::MillerLoopResult;
use halo2_axiom::poly::kzg::commitment::ParamsKZG;
use halo2_axiom::SerdeFormat;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Powers checked per chunk (one pairing product each; memory stays bounded when nothing is
/// kept).
const CHUNK: u64 = 1 << 17;

/// Version of the checks a record vouches for; records of another version are ignored.
pub const CHECK_VERSION: u32 = 1;

/// What to do with the development SRS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DevPolicy {
    /// Refuse it (its secret is public).
    Refuse,
    /// Accept it and say so.
    Allow,
    /// The user says the file is the development SRS: refuse anything else.
    Require,
}

/// Progress of long SRS work: the phase, then units done of the phase's total.
pub type Tick<'a> = &'a dyn Fn(&'static str, u64, u64);

/// Phase names reported through [`Tick`].
pub mod phase {
    /// Hashing the file.
    pub const HASH: &str = "hashing the SRS file";
    /// Reading and checking the points.
    pub const CHECK: &str = "checking the SRS points";
    /// Reading the points (checked before).
    pub const READ: &str = "reading the SRS points (checked before)";
    /// Computing the Lagrange basis.
    pub const LAGRANGE: &str = "computing the Lagrange basis (inverse FFT over G1)";
    /// Checking the file's Lagrange basis.
    pub const LAGRANGE_CHECK: &str = "checking the Lagrange basis";
    /// Writing the params file.
    pub const WRITE: &str = "writing the params file";
}

/// What a scan found.
#[derive(Clone, Debug)]
pub struct Scan {
    /// log2 of the number of powers read.
    pub k: u32,
    /// The G1 powers (empty unless kept).
    pub g: Vec<G1Affine>,
    /// The G2 generator.
    pub g2: G2Affine,
    /// τ·G2.
    pub s_g2: G2Affine,
    /// Whether this is the development SRS.
    pub is_dev: bool,
    /// Whether the pairing checks ran (not when a record vouched for the file).
    pub pairing_checked: bool,
    /// G2 powers read and checked (`.ptau` files).
    pub g2_powers: u64,
}

/// Options of [`scan`].
#[derive(Clone, Copy, Debug)]
pub struct ScanOptions {
    /// Read the first 2^k powers.
    pub k: u32,
    /// Run the pairing checks (else only the points' encodings are checked).
    pub pairing: bool,
    /// Keep the G1 powers.
    pub keep: bool,
    /// The development SRS.
    pub dev: DevPolicy,
}

fn pairing_eq(a: &G1Affine, b: &G2Prepared, c: &G1Affine, d: &G2Prepared) -> bool {
    // e(a, b) = e(c, d)  ⇔  e(a, b)·e(−c, d) = 1
    let neg = -*c;
    bool::from(multi_miller_loop(&[(a, b), (&neg, d)]).final_exponentiation().is_identity())
}

fn msm<C: halo2_axiom::arithmetic::CurveAffine<ScalarExt = Fr>>(coeffs: &[Fr], bases: &[C]) -> C {
    best_multiexp(coeffs, bases).to_affine()
}

fn weights(n: usize) -> Vec<Fr> {
    let mut rng = rand::thread_rng();
    (0..n).map(|_| Fr::from_raw([rng.gen(), rng.gen(), 0, 0])).collect()
}

/// The first failing index of `[lo, hi)`, which fails as a whole: bisection with `holds` on
/// sub-ranges (a range of consistent items always holds).
fn first_failure(mut lo: usize, mut hi: usize, holds: impl Fn(usize, usize) -> bool) -> usize {
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if holds(lo, mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Reads the first 2^k powers of `file`, checks them (see the module documentation) and keeps
/// them if asked. `k` must be at most `file.max_k()`.
pub fn scan(file: &SrsFile, opts: &ScanOptions, tick: Tick) -> Result<Scan, ProofError> {
    let k = opts.k;
    assert!(k <= file.max_k(), "the caller checks the size");
    let err = |reason: String| srs_err(&file.path, reason);
    if k == 0 {
        return Err(err("k = 0: a KZG SRS needs at least 2 powers".into()));
    }
    let n = 1u64 << k;
    let ptau = file.has_g2_powers();
    let what = if opts.pairing { phase::CHECK } else { phase::READ };

    let pair = file.read_g2(0, 2)?;
    let (g2, s_g2) = (pair[0], pair[1]);
    if g2 != G2Affine::generator() {
        return Err(err(format!(
            "{} is not the BN254 G2 generator",
            file.point_name(PointKind::G2Power, 0)
        )));
    }
    if !bool::from(s_g2.to_curve().is_torsion_free()) {
        return Err(err(format!(
            "{} is not in the order-r subgroup of G2",
            file.point_name(PointKind::G2Power, 1)
        )));
    }
    if s_g2 == g2 {
        return Err(err(format!(
            "{} is the G2 generator: the secret is 1 (a `powersoftau new` file without contributions?)",
            file.point_name(PointKind::G2Power, 1)
        )));
    }
    let g2p = G2Prepared::from(g2);
    let sp = G2Prepared::from(s_g2);
    let one = G1Affine::generator();

    let total = n * (1 + ptau as u64);
    let mut done = 0u64;
    tick(what, 0, total);
    let mut g = Vec::with_capacity(if opts.keep { n as usize } else { 0 });
    let mut carry: Option<G1Affine> = None;
    let mut is_dev = false;
    let mut a = 0u64;
    while a < n {
        let b = (a + CHUNK).min(n);
        let pts = file.read_g1(PointKind::G1Power, a, b - a)?;
        if a == 0 {
            if pts[0] != one {
                return Err(err(format!(
                    "{} is not the BN254 G1 generator: the powers must start with τ^0·G1 = G1",
                    file.point_name(PointKind::G1Power, 0)
                )));
            }
            is_dev = pts[1] == dev_s_g1();
            match opts.dev {
                DevPolicy::Refuse if is_dev => return Err(err(DEV_REFUSAL.into())),
                DevPolicy::Require if !is_dev => return Err(err(NOT_DEV.into())),
                _ => {}
            }
            if pts[1] == one {
                return Err(err(format!(
                    "{} is G1: the secret is 1 (a `powersoftau new` file without contributions?)",
                    file.point_name(PointKind::G1Power, 1)
                )));
            }
        }
        if opts.pairing {
            let base = a - carry.is_some() as u64;
            let buf: Vec<G1Affine> = carry.iter().copied().chain(pts.iter().copied()).collect();
            check_g1_pairs(file, &buf, base, &g2p, &sp)?;
        }
        carry = pts.last().copied();
        done += b - a;
        tick(what, done, total);
        if ptau {
            let h = file.read_g2(a, b - a)?;
            if opts.pairing {
                check_g2_powers(file, &pts, &h, a, &g2p)?;
            }
            done += b - a;
            tick(what, done, total);
        }
        if opts.keep {
            g.extend_from_slice(&pts);
        }
        a = b;
    }

    Ok(Scan {
        k,
        g,
        g2,
        s_g2,
        is_dev,
        pairing_checked: opts.pairing,
        g2_powers: if ptau { n } else { 0 },
    })
}

/// Checks the consecutive pairs of `buf` (global index of `buf[0]`: `base`) against τ·G2.
fn check_g1_pairs(file: &SrsFile, buf: &[G1Affine], base: u64, g2p: &G2Prepared, sp: &G2Prepared) -> Result<(), ProofError> {
    let m = buf.len().saturating_sub(1);
    if m == 0 {
        return Ok(());
    }
    let r = weights(m);
    let holds = |lo: usize, hi: usize| {
        let l = msm(&r[lo..hi], &buf[lo + 1..hi + 1]);
        let rr = msm(&r[lo..hi], &buf[lo..hi]);
        pairing_eq(&l, g2p, &rr, sp)
    };
    if holds(0, m) {
        return Ok(());
    }
    let j = first_failure(0, m, holds);
    let p = base + j as u64; // pair (p, p + 1): the earlier pairs hold, g_0 = G1
    let name = |i: u64| file.point_name(PointKind::G1Power, i);
    let reason = if p == 0 {
        // g_1 or τ·G2. A wrong g_1 breaks pairs 0 and 1 only; a wrong τ·G2 breaks every pair.
        let tau = file.point_name(PointKind::G2Power, 1);
        if buf.len() >= 4 && base == 0 {
            if holds(2, 3) {
                format!(
                    "{} at byte {} is not τ·G1 for the τ of {tau}: e(g_1, G2) ≠ e(G1, τ·G2), while the later powers agree with {tau}",
                    name(1),
                    file.offset_of(PointKind::G1Power, 1)
                )
            } else {
                format!("{tau} does not match the G1 powers: e(g_1, G2) ≠ e(G1, τ·G2), and the later powers disagree with it too")
            }
        } else {
            format!("{} and {tau} disagree: e(g_1, G2) ≠ e(G1, τ·G2)", name(1))
        }
    } else {
        format!(
            "{} at byte {} is not τ times {}: the pairing check e(g_{q}, G2) = e(g_{p}, τ·G2) fails (the powers before it are consistent)",
            name(p + 1),
            file.offset_of(PointKind::G1Power, p + 1),
            name(p),
            q = p + 1
        )
    };
    Err(srs_err(&file.path, reason))
}

/// Checks G2 powers `h` against the (checked) G1 powers `g` of the same indices from `start`.
fn check_g2_powers(file: &SrsFile, g: &[G1Affine], h: &[G2Affine], start: u64, g2p: &G2Prepared) -> Result<(), ProofError> {
    let s = weights(g.len());
    let one = G1Affine::generator();
    let holds = |lo: usize, hi: usize| {
        let a = msm(&s[lo..hi], &g[lo..hi]);
        let b = G2Prepared::from(msm(&s[lo..hi], &h[lo..hi]));
        pairing_eq(&a, g2p, &one, &b)
    };
    if holds(0, g.len()) {
        return Ok(());
    }
    let i = start + first_failure(0, g.len(), holds) as u64;
    Err(srs_err(
        &file.path,
        format!(
            "{} at byte {} does not match {}: e(τ^{i}·G1, G2) ≠ e(G1, τ^{i}·G2)",
            file.point_name(PointKind::G2Power, i),
            file.offset_of(PointKind::G2Power, i),
            file.point_name(PointKind::G1Power, i)
        ),
    ))
}

/// Where a params file came from (recorded by `srs import`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// The source file's name as given.
    pub file: String,
    /// Its SHA-256.
    pub sha256: String,
    /// Its Blake2b-512.
    pub blake2b: String,
    /// Its format (`ptau`, `halo2-raw`, `halo2-compressed`).
    pub format: String,
    /// The known public ceremony file it is, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_ceremony: Option<String>,
}

/// The record of a file that passed the checks (`srs/checked/<sha256>.json` in the cache).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRecord {
    /// [`CHECK_VERSION`] of the checks it passed.
    pub check_version: u32,
    /// zkinfer version that checked it.
    pub zkinfer_version: String,
    /// SHA-256 of the file.
    pub sha256: String,
    /// Blake2b-512 of the file.
    pub blake2b: String,
    /// Its format.
    pub format: String,
    /// The first 2^k powers were checked.
    pub k: u32,
    /// Whether it is the development SRS.
    pub is_dev: bool,
    /// When (Unix seconds).
    pub checked_at: u64,
    /// The known public ceremony file it is (by Blake2b), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_ceremony: Option<String>,
    /// For a file written by `srs import`: the file it was imported from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported_from: Option<Origin>,
}

impl CheckRecord {
    /// The known ceremony this file is or was imported from.
    pub fn ceremony(&self) -> Option<String> {
        self.known_ceremony
            .clone()
            .or_else(|| self.imported_from.as_ref().and_then(|o| o.known_ceremony.clone()))
    }
}

/// Where check records live: `<cache>/srs/checked/` (delete it to force full checks).
pub fn records_dir() -> PathBuf {
    cache_dir().join("srs").join("checked")
}

/// The record of the file with this SHA-256, if it was checked by this version of the checks.
pub fn read_record(sha256: &str) -> Option<CheckRecord> {
    let text = std::fs::read_to_string(records_dir().join(format!("{sha256}.json"))).ok()?;
    let r: CheckRecord = serde_json::from_str(&text).ok()?;
    (r.check_version == CHECK_VERSION && r.sha256 == sha256).then_some(r)
}

/// Writes a record, merged with an earlier one of the same file: the larger `k` checked, and
/// the origin and known ceremony of either.
pub fn write_record(r: &CheckRecord) -> Result<(), ProofError> {
    let mut r = r.clone();
    if let Some(old) = read_record(&r.sha256) {
        r.k = r.k.max(old.k);
        r.imported_from = r.imported_from.or(old.imported_from);
        r.known_ceremony = r.known_ceremony.or(old.known_ceremony);
    }
    let text = serde_json::to_string_pretty(&r).expect("serialisable");
    super::artifact::write_atomic(&records_dir().join(format!("{}.json", r.sha256)), text.as_bytes())
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The identity of an SRS file: hashes, format, and the known ceremony it is or came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SrsIdentity {
    /// SHA-256 of the file.
    pub sha256: String,
    /// Blake2b-512 of the file.
    pub blake2b: String,
    /// Its format (`ptau`, `halo2-raw`, `halo2-compressed`, `dev`).
    pub format: String,
    /// The known public ceremony file it is (by its published Blake2b), or was imported from
    /// (as recorded by `srs import` on this machine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_ceremony: Option<String>,
}

/// A file that passed the checks (or whose record vouches for it), with its points.
#[derive(Clone, Debug)]
pub struct Checked {
    /// The file.
    pub file: SrsFile,
    /// Its identity.
    pub identity: SrsIdentity,
    /// What was read.
    pub scan: Scan,
    /// The record of the file (written now, or found).
    pub record: CheckRecord,
    /// Whether an earlier record vouched for the file (the pairing checks were skipped).
    pub from_record: bool,
    /// When the powers were kept: their Lagrange basis and where it came from.
    pub lagrange: Option<(Vec<G1Affine>, LagrangeSource)>,
}

impl Checked {
    /// The params of size `scan.k` (the powers must have been kept).
    pub fn into_params(mut self) -> ParamsKZG<Bn256> {
        let (lag, _) = self.lagrange.take().expect("the powers were kept");
        let g = std::mem::take(&mut self.scan.g);
        params_of(&self.scan, g, lag)
    }
}

/// Opens `path` and refuses it when it holds fewer than 2^k powers, in the words `setup` uses.
pub fn open_for(path: &Path, k: u32, needs: &str) -> Result<SrsFile, ProofError> {
    let file = SrsFile::open(path)?;
    if file.max_k() < k {
        return Err(srs_err(
            path,
            format!("holds 2^{} points but {needs} = {k} (2^{k} points)", file.max_k()),
        ));
    }
    Ok(file)
}

/// Hashes and checks the first 2^k powers of a file; with `use_record`, a record of an earlier
/// check of at least 2^k powers replaces the pairing checks (the points are still decoded and
/// validated). Records the check.
pub fn check_file(file: SrsFile, k: u32, dev: DevPolicy, keep: bool, use_record: bool, tick: Tick) -> Result<Checked, ProofError> {
    let hashes = hash_file(&file.path, &|d, t| tick(phase::HASH, d, t))?;
    let known = known_ceremony(&hashes.blake2b).map(|c| c.file.to_string());
    let found = read_record(&hashes.sha256).filter(|r| use_record && r.k >= k);
    let opts = ScanOptions {
        k,
        pairing: found.is_none(),
        keep,
        dev,
    };
    let scan = scan(&file, &opts, tick)?;
    // the Lagrange basis is checked (or computed) every time: a record does not cover it
    let lagrange = if keep { Some(lagrange(&file, &scan.g, k, tick)?) } else { None };
    let from_record = found.is_some();
    let record = match found {
        Some(r) => r,
        None => {
            let r = CheckRecord {
                check_version: CHECK_VERSION,
                zkinfer_version: env!("CARGO_PKG_VERSION").into(),
                sha256: hashes.sha256.clone(),
                blake2b: hashes.blake2b.clone(),
                format: file.format.id().into(),
                k,
                is_dev: scan.is_dev,
                checked_at: now(),
                known_ceremony: known.clone(),
                imported_from: None,
            };
            // a read-only cache only costs a full check next time
            let _ = write_record(&r);
            read_record(&r.sha256).unwrap_or(r)
        }
    };
    let identity = SrsIdentity {
        sha256: hashes.sha256,
        blake2b: hashes.blake2b,
        format: file.format.id().into(),
        known_ceremony: known.or_else(|| record.ceremony()),
    };
    Ok(Checked {
        file,
        identity,
        scan,
        record,
        from_record,
        lagrange,
    })
}

/// Where the Lagrange basis of the params comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LagrangeSource {
    /// The halo2 file's own `g_lagrange`, checked against the powers.
    File,
    /// The phase-2 `.ptau` file's section 12 (reordered from snarkjs' root of unity to
    /// halo2's), checked against the powers.
    Section12,
    /// Computed from the powers (an inverse FFT over G1, n·log n/2 scalar multiplications).
    Computed,
}

/// halo2's primitive 2^k-th root of unity (`EvaluationDomain`'s ω).
fn halo2_omega(k: u32) -> Fr {
    let mut w = Fr::ROOT_OF_UNITY;
    for _ in k..Fr::S {
        w = w.square();
    }
    w
}

/// A field element below r as the little-endian limbs of its integer.
fn limbs(x: Fr) -> [u64; 4] {
    let r = x.to_repr();
    let b = r.as_ref();
    [0, 1, 2, 3].map(|i| u64::from_le_bytes(b[8 * i..8 * i + 8].try_into().expect("8 bytes")))
}

/// snarkjs' (ffjavascript's) primitive 2^k-th root of unity: `nqr^((r − 1)/2^28)` squared
/// 28 − k times, `nqr` the smallest quadratic non-residue from 2 up.
fn snarkjs_omega(k: u32) -> Fr {
    let half = limbs(-Fr::ONE * Fr::from(2).invert().expect("2 ≠ 0")); // (r − 1)/2
    let mut nqr = Fr::from(2);
    while nqr.pow_vartime(half) != -Fr::ONE {
        nqr += Fr::ONE;
    }
    let t = limbs(-Fr::ONE * Fr::from(1u64 << Fr::S).invert().expect("2^28 ≠ 0")); // (r − 1)/2^28
    let mut w = nqr.pow_vartime(t);
    for _ in k..Fr::S {
        w = w.square();
    }
    w
}

/// The j with `base^j = x`, `base` of order 2^k (bit by bit: Pohlig–Hellman).
fn log2_order(base: Fr, x: Fr, k: u32) -> u64 {
    let mut j = 0u64;
    for b in 0..k {
        let mut y = x * base.pow_vartime([j]).invert().expect("non-zero");
        for _ in 0..k - 1 - b {
            y = y.square();
        }
        if y != Fr::ONE {
            j |= 1 << b;
        }
    }
    j
}

/// Whether `lag[lo..hi]` are the Lagrange-basis points of the powers `g` (halo2's domain of
/// size 2^k): with weights `c` on `lo..hi`, `Σ c_i·lag_i = Σ d_j·g_j` for `d` the inverse FFT
/// of `c` (since `L_i(X) = (1/n)·Σ_j ω^(−ij)·X^j`). A wrong point passes with probability
/// about 2^-128; two MSMs replace the G1 FFT.
fn lagrange_holds(g: &[G1Affine], lag: &[G1Affine], k: u32, c: &[Fr], lo: usize, hi: usize) -> bool {
    let domain = halo2_axiom::poly::EvaluationDomain::<Fr>::new(1, k);
    let mut v = vec![Fr::ZERO; 1 << k];
    v[lo..hi].copy_from_slice(&c[lo..hi]);
    let d = domain.lagrange_to_coeff(domain.lagrange_from_vec(v));
    msm(&c[lo..hi], &lag[lo..hi]) == msm(&d, g)
}

/// The Lagrange basis (halo2's order) of the checked powers `g` (2^k of them): the halo2
/// file's own at its size (checked; a wrong point is refused and named), else a prepared
/// `.ptau` file's section 12 (checked; used only if it passes), else computed.
pub fn lagrange(file: &SrsFile, g: &[G1Affine], k: u32, tick: Tick) -> Result<(Vec<G1Affine>, LagrangeSource), ProofError> {
    let n = 1usize << k;
    assert_eq!(g.len(), n, "the powers were kept");
    let c = weights(n);
    if file.has_lagrange() && k == file.max_k() {
        tick(phase::LAGRANGE_CHECK, 0, n as u64);
        let mut lag = Vec::with_capacity(n);
        let mut a = 0u64;
        while a < n as u64 {
            let b = (a + CHUNK).min(n as u64);
            lag.extend(file.read_g1(PointKind::Lagrange, a, b - a)?);
            a = b;
            tick(phase::LAGRANGE_CHECK, a / 2, n as u64);
        }
        let holds = |lo: usize, hi: usize| lagrange_holds(g, &lag, k, &c, lo, hi);
        if !holds(0, n) {
            let i = first_failure(0, n, holds) as u64;
            return Err(srs_err(
                &file.path,
                format!(
                    "{} at byte {} is not the Lagrange basis of the G1 powers (it is not the inverse FFT of g)",
                    file.point_name(PointKind::Lagrange, i),
                    file.offset_of(PointKind::Lagrange, i)
                ),
            ));
        }
        tick(phase::LAGRANGE_CHECK, n as u64, n as u64);
        return Ok((lag, LagrangeSource::File));
    }
    if let Ok(Some(s12)) = file.read_section12(k) {
        tick(phase::LAGRANGE_CHECK, 0, 1);
        // snarkjs' point i is at its ω_s^i = ω^(i·j): halo2's point i·j mod n
        let j = log2_order(halo2_omega(k), snarkjs_omega(k), k) as usize;
        let mut lag = vec![G1Affine::identity(); n];
        for (i, p) in s12.into_iter().enumerate() {
            lag[(i * j) % n] = p;
        }
        let ok = lagrange_holds(g, &lag, k, &c, 0, n);
        tick(phase::LAGRANGE_CHECK, 1, 1);
        if ok {
            return Ok((lag, LagrangeSource::Section12));
        }
    }
    tick(phase::LAGRANGE, 0, 1);
    let lag = g_to_lagrange(g.iter().map(|p| p.to_curve()).collect::<Vec<G1>>(), k);
    tick(phase::LAGRANGE, 1, 1);
    Ok((lag, LagrangeSource::Computed))
}

/// Builds halo2 params of size `scan.k` from the checked powers `g` of a scan and their
/// Lagrange basis.
pub fn params_of(scan: &Scan, g: Vec<G1Affine>, g_lagrange: Vec<G1Affine>) -> ParamsKZG<Bn256> {
    // `from_parts` takes an instance only to be a method; a size-1 SRS is the cheapest one
    let seed = ParamsKZG::<Bn256>::setup(1, rand_chacha::ChaCha20Rng::from_seed([7; 32]));
    seed.from_parts(scan.k, g, Some(g_lagrange), scan.g2, scan.s_g2)
}

/// What `srs import` did.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The source file, checked.
    pub source: Checked,
    /// The params file written.
    pub out: PathBuf,
    /// Its hashes.
    pub out_hashes: FileHashes,
    /// Its size in bytes.
    pub out_bytes: u64,
    /// Its record (with the source as its origin).
    pub out_record: CheckRecord,
}

/// Imports the first 2^k powers (all when `k` is `None`) of a `.ptau` or halo2 params file
/// into a halo2 params file (raw format) at `out`, after the full checks. Nothing is written
/// unless every check passes; the file is written to a temporary file beside `out` and renamed.
pub fn import(path: &Path, out: &Path, k: Option<u32>, dev: DevPolicy, tick: Tick) -> Result<Imported, ProofError> {
    let file = SrsFile::open(path)?;
    let k = k.unwrap_or(file.max_k());
    if file.max_k() < k {
        return Err(srs_err(path, format!("holds 2^{} powers; --k {k} needs 2^{k}", file.max_k())));
    }
    let mut source = check_file(file, k, dev, true, false, tick)?;
    let (lag, lagrange_source) = source.lagrange.take().expect("kept");
    source.lagrange = Some((Vec::new(), lagrange_source));
    let g = std::mem::take(&mut source.scan.g);
    let params = params_of(&source.scan, g, lag);
    let out_err = |e: std::io::Error| ProofError::File {
        path: out.display().to_string(),
        reason: format!("cannot write: {e}"),
    };
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(out_err)?;
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp_path = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    // the temporary file goes on any error below; at the end it is renamed over `out`
    struct RemoveUnlessKept<'p>(&'p Path, bool);
    impl Drop for RemoveUnlessKept<'_> {
        fn drop(&mut self) {
            if !self.1 {
                let _ = std::fs::remove_file(self.0);
            }
        }
    }
    let mut guard = RemoveUnlessKept(&tmp_path, false);
    let tmp = std::fs::File::create(&tmp_path).map_err(out_err)?;
    let total = super::srs::file_len(k);
    tick(phase::WRITE, 0, total);
    let (out_hashes, out_bytes) = {
        let mut w = HashingWriter {
            inner: std::io::BufWriter::with_capacity(1 << 20, &tmp),
            sha: sha2::Sha256::default(),
            blake: blake2b_simd::Params::new().hash_length(64).to_state(),
            written: 0,
            tick,
            total,
        };
        params.write_custom(&mut w, SerdeFormat::RawBytes).map_err(out_err)?;
        w.inner.flush().map_err(out_err)?;
        let HashingWriter { sha, blake, written, .. } = w;
        let hashes = FileHashes {
            sha256: hex::encode(sha2::Digest::finalize(sha)),
            blake2b: blake.finalize().to_hex().to_string(),
        };
        (hashes, written)
    };
    drop(params);
    tmp.sync_all().map_err(out_err)?;
    drop(tmp);
    std::fs::rename(&tmp_path, out).map_err(out_err)?;
    guard.1 = true;
    let s = &source.identity;
    let out_record = CheckRecord {
        check_version: CHECK_VERSION,
        zkinfer_version: env!("CARGO_PKG_VERSION").into(),
        sha256: out_hashes.sha256.clone(),
        blake2b: out_hashes.blake2b.clone(),
        format: "halo2-raw".into(),
        k,
        is_dev: source.scan.is_dev,
        checked_at: now(),
        known_ceremony: known_ceremony(&out_hashes.blake2b).map(|c| c.file.to_string()),
        imported_from: Some(Origin {
            file: path.display().to_string(),
            sha256: s.sha256.clone(),
            blake2b: s.blake2b.clone(),
            format: s.format.clone(),
            known_ceremony: s.known_ceremony.clone(),
        }),
    };
    let _ = write_record(&out_record);
    Ok(Imported {
        source,
        out: out.to_path_buf(),
        out_hashes,
        out_bytes,
        out_record,
    })
}

struct HashingWriter<'a, W: Write> {
    inner: W,
    sha: sha2::Sha256,
    blake: blake2b_simd::State,
    written: u64,
    tick: Tick<'a>,
    total: u64,
}

impl<W: Write> Write for HashingWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        sha2::Digest::update(&mut self.sha, &buf[..n]);
        self.blake.update(&buf[..n]);
        let before = self.written >> 22;
        self.written += n as u64;
        if self.written >> 22 != before {
            (self.tick)(phase::WRITE, self.written, self.total);
        }
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// What `srs info` says about a file (nothing is checked but the layout and `g[1]`).
#[derive(Clone, Debug)]
pub struct Info {
    /// The file.
    pub file: SrsFile,
    /// Its hashes.
    pub hashes: FileHashes,
    /// The known public ceremony file it is, by its published Blake2b.
    pub known: Option<&'static super::ceremony::KnownCeremony>,
    /// Whether its first G1 power is the development SRS's.
    pub is_dev: bool,
    /// τ·G2 as stored.
    pub s_g2: G2Affine,
    /// The record of an earlier check, if any.
    pub record: Option<CheckRecord>,
}

/// Describes an SRS file: layout, hashes, known ceremony, development SRS, earlier checks.
pub fn info(path: &Path, tick: Tick) -> Result<Info, ProofError> {
    let file = SrsFile::open(path)?;
    let hashes = hash_file(path, &|d, t| tick(phase::HASH, d, t))?;
    let g = file.read_g1(PointKind::G1Power, 0, 2)?;
    let s_g2 = file.read_g2(1, 1)?[0];
    Ok(Info {
        known: known_ceremony(&hashes.blake2b),
        is_dev: g[1] == dev_s_g1(),
        record: read_record(&hashes.sha256),
        file,
        hashes,
        s_g2,
    })
}

/// The four 32-byte words of a G2 point in the EVM's order (x.c1, x.c0, y.c1, y.c0), hex: how
/// the generated verifier embeds s·G2.
pub fn g2_evm_words(p: &G2Affine) -> [String; 4] {
    use halo2_axiom::halo2curves::ff::PrimeField;
    let w = |f: &halo2_axiom::halo2curves::bn256::Fq| {
        let mut b = f.to_repr();
        b.as_mut().reverse();
        format!("0x{}", hex::encode(b.as_ref()))
    };
    [w(&p.x.c1), w(&p.x.c0), w(&p.y.c1), w(&p.y.c0)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proof::srs::write_params;
    use halo2_axiom::poly::commitment::{Params, ParamsProver};

    fn nothing(_: &'static str, _: u64, _: u64) {}

    fn write(dir: &Path, name: &str, p: &ParamsKZG<Bn256>) -> PathBuf {
        let path = dir.join(name);
        write_params(&path, p).unwrap();
        path
    }

    fn opts(k: u32) -> ScanOptions {
        ScanOptions {
            k,
            pairing: true,
            keep: true,
            dev: DevPolicy::Refuse,
        }
    }

    #[test]
    fn a_params_file_of_a_known_secret_passes_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        // a known secret: setup draws s first from the seeded generator
        use halo2_axiom::halo2curves::ff::Field;
        let s = Fr::random(rand_chacha::ChaCha20Rng::seed_from_u64(11));
        let p = ParamsKZG::<Bn256>::setup(5, rand_chacha::ChaCha20Rng::seed_from_u64(11));
        let path = write(dir.path(), "p.srs", &p);
        let file = SrsFile::open(&path).unwrap();
        assert_eq!(file.format, crate::proof::ceremony::SrsFormat::Halo2 { k: 5, compressed: false });
        let c = check_file(file, 5, DevPolicy::Refuse, true, false, &nothing).unwrap();
        assert_eq!(c.lagrange.as_ref().unwrap().1, LagrangeSource::File);
        let back = c.into_params();
        assert_eq!(back.get_g(), p.get_g());
        assert_eq!(back.s_g2(), (G2Affine::generator() * s).to_affine());
        // downsized: the first powers, a fresh Lagrange basis
        let file = SrsFile::open(&path).unwrap();
        let c = check_file(file, 3, DevPolicy::Refuse, true, false, &nothing).unwrap();
        assert_eq!(c.lagrange.as_ref().unwrap().1, LagrangeSource::Computed);
        let small = c.into_params();
        let mut expect = p.clone();
        expect.downsize(3);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        small.write_custom(&mut a, SerdeFormat::RawBytes).unwrap();
        expect.write_custom(&mut b, SerdeFormat::RawBytes).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn one_wrong_power_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = ParamsKZG::<Bn256>::setup(6, rand_chacha::ChaCha20Rng::seed_from_u64(3));
        let mut g = p.get_g().to_vec();
        for bad in [1usize, 2, 17, 63] {
            let saved = g[bad];
            g[bad] = (g[bad] * Fr::from(2)).to_affine();
            let q = p.from_parts(6, g.clone(), None, p.g2(), p.s_g2());
            let path = write(dir.path(), "bad.srs", &q);
            let e = scan(&SrsFile::open(&path).unwrap(), &opts(6), &nothing).unwrap_err().to_string();
            assert!(e.contains(&format!("G1 power #{bad} ")), "{bad}: {e}");
            g[bad] = saved;
        }
        // a wrong s·G2 is blamed on s·G2
        let q = p.from_parts(6, g.clone(), None, p.g2(), (p.s_g2() * Fr::from(3)).to_affine());
        let path = write(dir.path(), "bad.srs", &q);
        let e = scan(&SrsFile::open(&path).unwrap(), &opts(6), &nothing).unwrap_err().to_string();
        assert!(e.contains("s·G2 (s_g2) does not match the G1 powers"), "{e}");
        // a Lagrange point that is not the FFT of g
        let mut bytes = Vec::new();
        p.write_custom(&mut bytes, SerdeFormat::RawBytes).unwrap();
        let at = 4 + 64 * 64 + 64 * 9;
        bytes[at..at + 64].copy_from_slice(&halo2_axiom::halo2curves::serde::SerdeObject::to_raw_bytes(&G1Affine::generator()));
        std::fs::write(&path, &bytes).unwrap();
        let file = SrsFile::open(&path).unwrap();
        assert!(scan(&file, &opts(6), &nothing).is_ok(), "the powers are fine");
        let e = check_file(file, 6, DevPolicy::Refuse, true, false, &nothing)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("Lagrange point #9 (g_lagrange[9]) at byte 4676 is not the Lagrange basis"),
            "{e}"
        );
        // a point off the curve
        p.write_custom(&mut bytes.as_mut_slice(), SerdeFormat::RawBytes).unwrap();
        bytes[4 + 64 * 5 + 40] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let e = scan(&SrsFile::open(&path).unwrap(), &opts(6), &nothing).unwrap_err().to_string();
        assert!(e.contains("G1 power #5 ") && e.contains("not on the BN254 curve"), "{e}");
    }

    #[test]
    fn bisection_finds_the_first_failure() {
        for n in 1..40 {
            for bad in 0..n {
                let holds = |lo: usize, hi: usize| !(lo..hi).contains(&bad);
                assert_eq!(first_failure(0, n, holds), bad);
            }
        }
    }
}
