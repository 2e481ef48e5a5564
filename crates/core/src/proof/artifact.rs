//! Artifact files: written atomically (temp file + rename, so a failed command never leaves a
//! half-written file) and, for binary keys, wrapped in a checksummed container so truncation
//! or corruption is reported before halo2 parses anything.

use super::ProofError;
use sha2::{Digest, Sha256};
use std::path::Path;

const MAGIC: &[u8; 8] = b"ZKINFER\x01";

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ProofError> {
    let err = |e: std::io::Error| ProofError::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
    }
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        err(e)
    })?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        err(e)
    })
}

/// Reads a whole file with a clear error.
pub fn read(path: &Path) -> Result<Vec<u8>, ProofError> {
    std::fs::read(path).map_err(|e| ProofError::File {
        path: path.display().to_string(),
        reason: format!("cannot read: {e}"),
    })
}

/// Wraps a payload: magic, label (16 bytes, zero padded: the kind, optionally followed by
/// `;note`), length, SHA-256, payload.
pub fn seal(kind: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 64);
    out.extend_from_slice(MAGIC);
    let mut k = [0u8; 16];
    k[..kind.len().min(16)].copy_from_slice(&kind.as_bytes()[..kind.len().min(16)]);
    out.extend_from_slice(&k);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&Sha256::digest(payload));
    out.extend_from_slice(payload);
    out
}

/// Checks and unwraps a sealed file of the given kind.
pub fn unseal<'a>(path: &Path, kind: &str, bytes: &'a [u8]) -> Result<&'a [u8], ProofError> {
    unseal_named(&path.display().to_string(), kind, bytes)
}

/// [`unseal`] of bytes that did not come from a file path (`origin` names them in errors: a URL,
/// an upload).
pub fn unseal_named<'a>(origin: &str, kind: &str, bytes: &'a [u8]) -> Result<&'a [u8], ProofError> {
    let err = |reason: String| ProofError::File {
        path: origin.to_string(),
        reason,
    };
    if bytes.len() < 64 || &bytes[..8] != MAGIC {
        return Err(err(format!("not a zkinfer {kind} file (bad header; truncated or another format)")));
    }
    let label = String::from_utf8_lossy(&bytes[8..24]).trim_end_matches('\0').to_string();
    let stored_kind = label.split(';').next().unwrap_or_default();
    if stored_kind != kind {
        return Err(err(format!("is a {stored_kind} file, expected {kind}")));
    }
    let len = u64::from_le_bytes(bytes[24..32].try_into().expect("8 bytes"));
    let payload = &bytes[64..];
    // compared as u64: on wasm32 a usize cast would truncate the header's length
    if payload.len() as u64 != len {
        return Err(err(format!(
            "is truncated or padded: {} payload bytes, header says {len}",
            payload.len()
        )));
    }
    if Sha256::digest(payload).as_slice() != &bytes[32..64] {
        return Err(err("is corrupted (checksum mismatch)".into()));
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_roundtrip_and_damage_detection() {
        let p = Path::new("x.bin");
        let s = seal("vk", b"hello world");
        assert_eq!(unseal(p, "vk", &s).unwrap(), b"hello world");
        assert!(unseal(p, "pk", &s).unwrap_err().to_string().contains("expected pk"));
        assert!(unseal(p, "vk", &s[..s.len() - 1]).unwrap_err().to_string().contains("truncated"));
        let mut bad = s.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(unseal(p, "vk", &bad).unwrap_err().to_string().contains("checksum"));
        assert!(unseal(p, "vk", b"garbage").unwrap_err().to_string().contains("bad header"));
        let noted = seal("vk;dev-insecure", b"x");
        assert_eq!(unseal(p, "vk", &noted).unwrap(), b"x");
    }
}
