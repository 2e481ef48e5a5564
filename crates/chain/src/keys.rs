//! Signing keys: a hex private key (flag or `$ZKINFER_PRIVATE_KEY`) or an encrypted JSON keystore
//! (Web3 Secret Storage, as written by geth, cast and foundry) with its password from a file,
//! `$ZKINFER_KEYSTORE_PASSWORD`, or a prompt on the terminal.

use super::ChainError;
use alloy::signers::local::PrivateKeySigner;
use std::io::IsTerminal;
use std::path::PathBuf;

/// Where the signing key comes from.
#[derive(Clone, Debug)]
pub enum KeySource {
    /// A hex private key (32 bytes, `0x` optional).
    PrivateKey(String),
    /// A keystore file; the password from `password_file`, else `$ZKINFER_KEYSTORE_PASSWORD`,
    /// else a prompt.
    Keystore {
        /// Keystore file.
        path: PathBuf,
        /// File whose first line is the password.
        password_file: Option<PathBuf>,
    },
}

/// Environment variable with the keystore password.
pub const PASSWORD_ENV: &str = "ZKINFER_KEYSTORE_PASSWORD";

impl KeySource {
    /// Loads the signer.
    pub fn signer(&self) -> Result<PrivateKeySigner, ChainError> {
        match self {
            KeySource::PrivateKey(hex_key) => {
                let t = hex_key.trim();
                let t = t.strip_prefix("0x").unwrap_or(t);
                if t.len() != 64 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(ChainError::Key(format!(
                        "the private key must be 32 bytes of hex (64 digits, 0x optional); got {} characters",
                        t.len()
                    )));
                }
                t.parse::<PrivateKeySigner>()
                    .map_err(|e| ChainError::Key(format!("the private key is not a valid secp256k1 key: {e}")))
            }
            KeySource::Keystore { path, password_file } => {
                if !path.is_file() {
                    return Err(ChainError::Key(format!("keystore {} does not exist", path.display())));
                }
                let password = match password_file {
                    Some(f) => std::fs::read_to_string(f)
                        .map_err(|e| ChainError::Key(format!("cannot read password file {}: {e}", f.display())))?
                        .lines()
                        .next()
                        .unwrap_or("")
                        .to_string(),
                    None => match std::env::var(PASSWORD_ENV) {
                        Ok(p) => p,
                        Err(_) if std::io::stdin().is_terminal() => {
                            rpassword::prompt_password(format!("password for {}: ", path.display()))
                                .map_err(|e| ChainError::Key(format!("cannot read the password: {e}")))?
                        }
                        Err(_) => {
                            return Err(ChainError::Key(format!(
                                "keystore {} needs a password: pass --password-file or set {PASSWORD_ENV} (no terminal to prompt on)",
                                path.display()
                            )))
                        }
                    },
                };
                PrivateKeySigner::decrypt_keystore(path, password).map_err(|e| {
                    ChainError::Key(format!(
                        "cannot decrypt keystore {} (wrong password or not a keystore file): {e}",
                        path.display()
                    ))
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_keys_are_checked() {
        let ok = KeySource::PrivateKey("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80".into());
        assert_eq!(
            ok.signer().expect("valid").address().to_string().to_lowercase(),
            "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
        );
        for bad in [
            "0x12",
            "zz0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
            &"0".repeat(64),
        ] {
            let e = KeySource::PrivateKey(bad.into()).signer().expect_err("refused");
            assert!(e.to_string().starts_with("signing key:"), "{e}");
        }
    }

    #[test]
    fn keystores_decrypt_with_the_right_password_only() {
        let dir = tempfile::tempdir().expect("tmp");
        let key = [7u8; 32];
        PrivateKeySigner::encrypt_keystore(dir.path(), &mut rand::thread_rng(), key, "hunter2", Some("k.json")).expect("keystore written");
        let path = dir.path().join("k.json");
        let right = dir.path().join("pw");
        std::fs::write(&right, "hunter2\n").expect("write");
        let signer = KeySource::Keystore {
            path: path.clone(),
            password_file: Some(right),
        }
        .signer()
        .expect("decrypts");
        assert_eq!(signer.to_bytes().0, key);
        let wrong = dir.path().join("pw2");
        std::fs::write(&wrong, "hunter3").expect("write");
        let e = KeySource::Keystore {
            path,
            password_file: Some(wrong),
        }
        .signer()
        .expect_err("refused");
        assert!(e.to_string().contains("wrong password"), "{e}");
    }
}
