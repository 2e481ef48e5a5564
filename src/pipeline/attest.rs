//! `attest`: a data provider vouches for a borrower's features. It hashes the features exactly
//! as the build's circuit does (`--input hashed`), and signs an EIP-712 attestation of the hash
//! for one borrower, one CreditGate on one chain, and the build's input schema.

use super::hash::hash;
use super::settings::{read_program, Settings};
use super::{BuildDir, Error, Progress};
use crate::chain::attest::{sign, AttestationFile, Attested};
use crate::chain::contracts::ICreditGate::Attestation;
use crate::chain::{hex0x, ChainError, DeploymentRecord, KeySource};
use crate::proof::artifact::write_atomic;
use crate::quantize::{Part, Program, Vis};
use alloy::primitives::{keccak256, Address, B256, U256};
use alloy::sol_types::SolValue;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Where the attestation is valid.
#[derive(Clone, Debug)]
pub enum GateRef {
    /// A deployment record with a `credit_gate` (its chain id and address).
    Record(PathBuf),
    /// An explicit chain id and gate address.
    Address {
        /// Chain id.
        chain_id: u64,
        /// Gate address.
        gate: Address,
    },
}

/// What `attest` does.
#[derive(Clone, Debug)]
pub struct AttestOptions {
    /// The borrower's features (EZKL input format, one sample).
    pub data: PathBuf,
    /// The borrower.
    pub subject: Address,
    /// Issue time (unix seconds; default now).
    pub issued_at: Option<u64>,
    /// Expiry (unix seconds).
    pub expires_at: u64,
    /// The gate.
    pub gate: GateRef,
    /// The provider's key.
    pub key: KeySource,
    /// Output file.
    pub out: PathBuf,
}

/// The report of `attest`.
#[derive(Clone, Debug, Serialize)]
pub struct AttestReport {
    /// The attestation file written.
    pub out: String,
    /// The provider (signer).
    pub provider: String,
    /// The borrower.
    pub subject: String,
    /// Poseidon hash of the quantized features (the proof's input-hash instance).
    pub input_hash: String,
    /// The build's input schema id.
    pub schema: String,
    /// Unix seconds.
    pub issued_at: u64,
    /// Unix seconds.
    pub expires_at: u64,
    /// Chain of the gate.
    pub chain_id: u64,
    /// The gate.
    pub gate: String,
    /// EIP-712 digest signed.
    pub digest: String,
}

/// The input schema id of a build's program: Keccak-256 of the ABI encoding of
/// `("zkinfer input schema v2", names, shapes, scales)` over its input tensors ("v2": inputs
/// hashed in Poseidon's input domain). Two builds quantize and hash features alike exactly when
/// their schema ids agree, so an attestation names the schema it hashed under and a gate
/// requires its own.
pub fn input_schema(program: &Program) -> B256 {
    let names: Vec<String> = program.inputs.iter().map(|t| t.name.clone()).collect();
    let shapes: Vec<Vec<u64>> = program.inputs.iter().map(|t| t.shape.iter().map(|&d| d as u64).collect()).collect();
    let scales: Vec<u32> = program.inputs.iter().map(|t| t.scale).collect();
    keccak256(("zkinfer input schema v2".to_string(), names, shapes, scales).abi_encode_params())
}

/// The longest an attestation may be valid: ten years (a larger expiry is most likely
/// milliseconds given as seconds).
pub const MAX_VALIDITY_SECONDS: u64 = 3650 * 86_400;

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A point in time: unix seconds (`1767225600`), or a duration from `now` (`90d`, `12h`, `30m`,
/// `45s`, optionally with a leading `+`).
pub fn parse_time(text: &str, now: u64) -> Result<u64, String> {
    let t = text.trim();
    if let Ok(v) = t.parse::<u64>() {
        return Ok(v);
    }
    let d = t.strip_prefix('+').unwrap_or(t);
    let cut = d.char_indices().last().map(|(i, _)| i).unwrap_or(0);
    let (num, unit) = d.split_at(cut);
    let mult = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        "s" => 1,
        _ => 0,
    };
    match num.parse::<u64>() {
        Ok(n) if mult > 0 => n
            .checked_mul(mult)
            .and_then(|s| now.checked_add(s))
            .ok_or_else(|| format!("`{text}` is too far in the future")),
        _ => Err(format!(
            "`{text}` is neither unix seconds nor a duration from now such as 90d, 12h, 30m or 45s"
        )),
    }
}

/// The chain id and gate of `r`.
pub fn resolve_gate(r: &GateRef) -> Result<(u64, Address), Error> {
    match r {
        GateRef::Address { chain_id, gate } => Ok((*chain_id, *gate)),
        GateRef::Record(path) => {
            let rec = DeploymentRecord::read(path)?;
            let c = rec.get("credit_gate").ok_or_else(|| ChainError::Record {
                path: path.display().to_string(),
                reason: "has no credit_gate (deploy one with `zkinfer deploy --credit-gate`)".into(),
            })?;
            Ok((rec.chain_id, crate::chain::parse_address("record", &c.address)?))
        }
    }
}

/// Checks that the build hashes its input (what attestations are about).
pub fn check_hashed_input(dir: &BuildDir, settings: &Settings) -> Result<(), Error> {
    if settings.visibility.input != Vis::Hashed {
        return Err(dir.err(format!(
            "its input is {}: attestations are about the input hash, so the model must be compiled with `--input hashed` (and `--bind account` for a CreditGate)",
            settings.visibility.input
        )));
    }
    Ok(())
}

/// Runs `attest`.
pub fn attest(dir: &BuildDir, opts: &AttestOptions, _progress: &dyn Progress) -> Result<AttestReport, Error> {
    let settings = Settings::read(dir)?;
    check_hashed_input(dir, &settings)?;
    let issued_at = opts.issued_at.unwrap_or_else(now);
    if opts.expires_at <= issued_at {
        return Err(Error::Usage(format!(
            "the attestation would expire ({}) before it is issued ({issued_at})",
            opts.expires_at
        )));
    }
    if opts.expires_at - issued_at > MAX_VALIDITY_SECONDS {
        return Err(Error::Usage(format!(
            "the attestation would be valid for {} days; at most 3650 are allowed (milliseconds given as seconds?)",
            (opts.expires_at - issued_at) / 86_400
        )));
    }
    if opts.subject == Address::ZERO {
        return Err(Error::Usage("--subject is the zero address".into()));
    }
    let (chain_id, gate) = resolve_gate(&opts.gate)?;
    let key = opts.key.signer()?;
    let h = hash(dir, Some(&opts.data), Part::Input)?;
    let input_hash: U256 = h.hash.parse().map_err(|e| Error::Usage(format!("input hash {}: {e}", h.hash)))?;
    let a = Attestation {
        subject: opts.subject,
        inputHash: input_hash,
        schema: input_schema(&read_program(dir, &settings)?),
        issuedAt: issued_at,
        expiresAt: opts.expires_at,
    };
    let signature = sign(&a, chain_id, gate, &key)?;
    let file = AttestationFile::new(&a, chain_id, gate, &signature, super::VERSION);
    let json = serde_json::to_string_pretty(&file).expect("serialisable") + "\n";
    write_atomic(&opts.out, json.as_bytes())?;
    Ok(AttestReport {
        out: opts.out.display().to_string(),
        provider: key.address().to_checksum(None),
        subject: opts.subject.to_checksum(None),
        input_hash: h.hash,
        schema: a.schema.to_string(),
        issued_at,
        expires_at: opts.expires_at,
        chain_id,
        gate: hex0x(gate.as_slice()),
        digest: file.digest,
    })
}

/// Reads an attestation for a proof going to the gate `gate`, refusing one made for another
/// gate (the gate would recover another signer and name it an unknown provider, which says
/// less). Its chain is checked with [`check_attestation_chain`] once the node has said which
/// chain it serves.
pub fn attestation_for(path: &Path, gate: Address) -> Result<Attested, Error> {
    let a = AttestationFile::read(path)?;
    if a.gate != gate {
        return Err(ChainError::Attestation {
            path: path.display().to_string(),
            reason: format!(
                "is for the gate at {}, not for {}",
                a.gate.to_checksum(None),
                gate.to_checksum(None)
            ),
        }
        .into());
    }
    Ok(a)
}

/// Refuses the attestation read from `path` when it was made for another chain than `chain_id`.
pub fn check_attestation_chain(path: &Path, a: &Attested, chain_id: u64) -> Result<(), Error> {
    if a.chain_id != chain_id {
        return Err(ChainError::Attestation {
            path: path.display().to_string(),
            reason: format!("is for chain {}, but the gate is on chain {chain_id}", a.chain_id),
        }
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_unix_seconds_or_durations_from_now() {
        assert_eq!(parse_time("1767225600", 5), Ok(1_767_225_600));
        assert_eq!(parse_time("90d", 100), Ok(100 + 90 * 86_400));
        assert_eq!(parse_time("+12h", 0), Ok(12 * 3600));
        assert_eq!(parse_time("30m", 1), Ok(1801));
        assert_eq!(parse_time("45s", 1), Ok(46));
        assert!(parse_time("tomorrow", 0).is_err());
        assert!(parse_time("5w", 0).is_err());
        assert!(parse_time("99999999999999999999d", 0).is_err());
        assert!(parse_time("5é", 0).is_err(), "no panic on a non-ASCII unit");
        assert!(parse_time("", 0).is_err());
    }
}
