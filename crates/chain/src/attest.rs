//! EIP-712 attestations of a borrower's features, as `contracts/CreditGate.sol` checks them:
//! the typed data, its digest, signing with a provider's key, and the attestation file.

use super::contracts::ICreditGate::Attestation;
use super::{hex0x, parse_address, ChainError};
use alloy::primitives::{Address, Signature, B256, U256};
use alloy::signers::local::PrivateKeySigner;
use alloy::signers::SignerSync;
use alloy::sol_types::{Eip712Domain, SolStruct};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::path::Path;

/// Half the secp256k1 group order: OpenZeppelin's ECDSA refuses larger `s`.
const SECP256K1_HALF_N: U256 = U256::from_be_slice(&[
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4,
    0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
]);

/// The gate's EIP-712 domain name.
pub const DOMAIN_NAME: &str = "zkinfer CreditGate";
/// The gate's EIP-712 domain version.
pub const DOMAIN_VERSION: &str = "1";

/// The EIP-712 domain of the CreditGate at `gate` on chain `chain_id`: a signature for it is
/// worthless on any other chain or gate.
pub fn domain(chain_id: u64, gate: Address) -> Eip712Domain {
    Eip712Domain::new(
        Some(Cow::Borrowed(DOMAIN_NAME)),
        Some(Cow::Borrowed(DOMAIN_VERSION)),
        Some(U256::from(chain_id)),
        Some(gate),
        None,
    )
}

/// The digest a provider signs (and `CreditGate.attestationDigest` computes).
pub fn digest(a: &Attestation, chain_id: u64, gate: Address) -> B256 {
    a.eip712_signing_hash(&domain(chain_id, gate))
}

/// Signs `a` for the gate: 65 bytes `r ‖ s ‖ v` (v = 27 or 28), the form OpenZeppelin's ECDSA
/// takes.
pub fn sign(a: &Attestation, chain_id: u64, gate: Address, key: &PrivateKeySigner) -> Result<Vec<u8>, ChainError> {
    let sig = key
        .sign_hash_sync(&digest(a, chain_id, gate))
        .map_err(|e| ChainError::Key(format!("cannot sign the attestation: {e}")))?;
    Ok(sig.as_bytes().to_vec())
}

/// An attestation file (`zkinfer attest`): the EIP-712 typed data in the JSON form of
/// `eth_signTypedData_v4`, the signature and what it recovers to.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AttestationFile {
    /// zkinfer version that wrote it.
    pub zkinfer_version: String,
    /// The typed data (`types`, `primaryType`, `domain`, `message`).
    pub typed_data: serde_json::Value,
    /// EIP-712 digest, `0x` + 32 bytes.
    pub digest: String,
    /// Signature, `0x` + 65 bytes (`r ‖ s ‖ v`).
    pub signature: String,
    /// The provider (the signer's address).
    pub provider: String,
}

/// An attestation file's content, checked.
#[derive(Clone, Debug)]
pub struct Attested {
    /// The message.
    pub attestation: Attestation,
    /// Chain of the domain.
    pub chain_id: u64,
    /// Gate of the domain.
    pub gate: Address,
    /// Signature bytes.
    pub signature: Vec<u8>,
    /// The signer.
    pub provider: Address,
    /// The digest.
    pub digest: B256,
}

impl AttestationFile {
    /// The file of a signed attestation.
    pub fn new(a: &Attestation, chain_id: u64, gate: Address, signature: &[u8], version: &str) -> Self {
        let typed_data = serde_json::json!({
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"}
                ],
                "Attestation": [
                    {"name": "subject", "type": "address"},
                    {"name": "inputHash", "type": "uint256"},
                    {"name": "schema", "type": "bytes32"},
                    {"name": "issuedAt", "type": "uint64"},
                    {"name": "expiresAt", "type": "uint64"}
                ]
            },
            "primaryType": "Attestation",
            "domain": {
                "name": DOMAIN_NAME,
                "version": DOMAIN_VERSION,
                "chainId": chain_id,
                "verifyingContract": gate.to_checksum(None),
            },
            "message": {
                "subject": a.subject.to_checksum(None),
                "inputHash": format!("{:#066x}", a.inputHash),
                "schema": a.schema.to_string(),
                "issuedAt": a.issuedAt,
                "expiresAt": a.expiresAt,
            }
        });
        let provider = Signature::try_from(signature)
            .ok()
            .and_then(|s| s.recover_address_from_prehash(&digest(a, chain_id, gate)).ok())
            .map(|p| p.to_checksum(None))
            .unwrap_or_default();
        AttestationFile {
            zkinfer_version: version.into(),
            typed_data,
            digest: digest(a, chain_id, gate).to_string(),
            signature: hex0x(signature),
            provider,
        }
    }

    /// Reads an attestation file and checks it: the typed data is a zkinfer CreditGate
    /// attestation, the digest is its digest, and the signature recovers to `provider`.
    pub fn read(path: &Path) -> Result<Attested, ChainError> {
        let bad = |reason: String| ChainError::Attestation {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read: {e}")))?;
        let f: AttestationFile = serde_json::from_str(&text).map_err(|e| bad(format!("not a zkinfer attestation file: {e}")))?;
        f.check().map_err(bad)
    }

    fn check(&self) -> Result<Attested, String> {
        let t = &self.typed_data;
        if t["primaryType"] != "Attestation" || t["domain"]["name"] != DOMAIN_NAME || t["domain"]["version"] != DOMAIN_VERSION {
            return Err(format!(
                "its typed data is not a `{DOMAIN_NAME}` v{DOMAIN_VERSION} Attestation (primaryType {}, domain {})",
                t["primaryType"], t["domain"]
            ));
        }
        let field = |obj: &str, key: &str| -> Result<String, String> {
            match &t[obj][key] {
                serde_json::Value::String(s) => Ok(s.clone()),
                serde_json::Value::Number(n) => Ok(n.to_string()),
                _ => Err(format!("typed_data.{obj}.{key} is missing")),
            }
        };
        let int = |obj: &str, key: &str| -> Result<u64, String> {
            let s = field(obj, key)?;
            s.parse::<u64>()
                .map_err(|e| format!("typed_data.{obj}.{key} `{s}` is not a 64-bit integer: {e}"))
        };
        let addr = |obj: &str, key: &str| -> Result<Address, String> {
            parse_address(&format!("typed_data.{obj}.{key}"), &field(obj, key)?).map_err(|e| e.to_string())
        };
        let hash_text = field("message", "inputHash")?;
        let input_hash = hash_text
            .parse::<U256>()
            .map_err(|e| format!("typed_data.message.inputHash `{hash_text}` is not a uint256: {e}"))?;
        let schema_text = field("message", "schema")?;
        let schema = schema_text
            .parse::<B256>()
            .map_err(|e| format!("typed_data.message.schema `{schema_text}` is not 32 bytes of hex: {e}"))?;
        let attestation = Attestation {
            subject: addr("message", "subject")?,
            inputHash: input_hash,
            schema,
            issuedAt: int("message", "issuedAt")?,
            expiresAt: int("message", "expiresAt")?,
        };
        let chain_id = int("domain", "chainId")?;
        let gate = addr("domain", "verifyingContract")?;
        let d = digest(&attestation, chain_id, gate);
        if self.digest.parse::<B256>().ok() != Some(d) {
            return Err(format!(
                "its digest {} is not the digest of its typed data ({d}): the file was edited",
                self.digest
            ));
        }
        let signature = hex::decode(self.signature.trim_start_matches("0x")).map_err(|e| format!("the signature is not hex: {e}"))?;
        if signature.len() != 65 {
            return Err(format!("the signature has {} bytes; an ECDSA signature has 65", signature.len()));
        }
        // The gate (OpenZeppelin ECDSA) takes v = 27 or 28 and s in the lower half only.
        if signature[64] != 27 && signature[64] != 28 {
            return Err(format!(
                "the signature's v is {}; the gate takes 27 or 28 (re-sign, or add 27 to a 0/1 recovery id)",
                signature[64]
            ));
        }
        let s = U256::from_be_slice(&signature[32..64]);
        if s > SECP256K1_HALF_N {
            return Err("the signature's s is in the upper half of the curve order (malleable form), which the gate refuses; use the low-s twin (n − s, v flipped)".into());
        }
        let provider = Signature::try_from(signature.as_slice())
            .ok()
            .and_then(|s| s.recover_address_from_prehash(&d).ok())
            .ok_or_else(|| "the signature is not a valid secp256k1 signature of the digest".to_string())?;
        if parse_address("provider", &self.provider).ok() != Some(provider) {
            return Err(format!(
                "the signature recovers to {}, not to the provider {} the file names",
                provider.to_checksum(None),
                self.provider
            ));
        }
        Ok(Attested {
            attestation,
            chain_id,
            gate,
            signature,
            provider,
            digest: d,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::keccak256;

    fn sample() -> Attestation {
        Attestation {
            subject: Address::repeat_byte(0xb0),
            inputHash: U256::from(12345u64),
            schema: keccak256("schema"),
            issuedAt: 1_700_000_000,
            expiresAt: 1_800_000_000,
        }
    }

    #[test]
    fn the_type_string_is_the_contracts() {
        assert_eq!(
            Attestation::eip712_encode_type(),
            "Attestation(address subject,uint256 inputHash,bytes32 schema,uint64 issuedAt,uint64 expiresAt)"
        );
    }

    #[test]
    fn a_signed_file_reads_back_and_edits_are_caught() {
        let key: PrivateKeySigner = "0x0000000000000000000000000000000000000000000000000000000000b0ea00"
            .parse()
            .expect("key");
        let gate = Address::repeat_byte(0x6a);
        let a = sample();
        let sig = sign(&a, 31337, gate, &key).expect("signs");
        let f = AttestationFile::new(&a, 31337, gate, &sig, "test");
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("a.json");
        std::fs::write(&p, serde_json::to_string(&f).expect("json")).expect("write");
        let r = AttestationFile::read(&p).expect("reads");
        assert_eq!(r.provider, key.address());
        assert_eq!(r.attestation, a);
        assert_eq!((r.chain_id, r.gate), (31337, gate));
        // Another chain gives another digest.
        assert_ne!(digest(&a, 1, gate), r.digest);
        // An edited message no longer matches its digest.
        let mut g = f.clone();
        g.typed_data["message"]["expiresAt"] = serde_json::json!(1_900_000_000u64);
        std::fs::write(&p, serde_json::to_string(&g).expect("json")).expect("write");
        let e = AttestationFile::read(&p).expect_err("edited").to_string();
        assert!(e.contains("was edited"), "{e}");
        // A digest fixed up to match is signed by nobody the file names.
        let mut h = g.clone();
        let mut a2 = a.clone();
        a2.expiresAt = 1_900_000_000;
        h.digest = digest(&a2, 31337, gate).to_string();
        std::fs::write(&p, serde_json::to_string(&h).expect("json")).expect("write");
        let e = AttestationFile::read(&p).expect_err("re-digested").to_string();
        assert!(e.contains("recovers to"), "{e}");
        // Forms the gate refuses are refused here: v = 0/1 and the high-s twin.
        let mut v01 = f.clone();
        let mut raw = sig.clone();
        raw[64] -= 27;
        v01.signature = hex0x(&raw);
        std::fs::write(&p, serde_json::to_string(&v01).expect("json")).expect("write");
        let e = AttestationFile::read(&p).expect_err("v 0/1").to_string();
        assert!(e.contains("v is"), "{e}");
        let n = U256::from_str_radix("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", 16).expect("n");
        let mut high = sig.clone();
        let s = n - U256::from_be_slice(&sig[32..64]);
        high[32..64].copy_from_slice(&s.to_be_bytes::<32>());
        high[64] = if sig[64] == 27 { 28 } else { 27 };
        let mut hs = f.clone();
        hs.signature = hex0x(&high);
        std::fs::write(&p, serde_json::to_string(&hs).expect("json")).expect("write");
        let e = AttestationFile::read(&p).expect_err("high s").to_string();
        assert!(e.contains("upper half"), "{e}");
    }
}
