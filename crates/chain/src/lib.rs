//! Talking to a real chain over JSON-RPC with alloy: signing keys, transactions that are sent
//! once and waited for, the consumer contracts' ABI, and deployment records.
//!
//! Everything here is synchronous for the rest of zkinfer: [`rpc::Rpc`] owns a small tokio
//! runtime and blocks on each request, retrying transient failures (connection refused,
//! timeouts, HTTP 429/5xx) with a bounded backoff. A signed transaction is only ever re-sent
//! as the same bytes, so a retry cannot send it twice.
#![warn(missing_docs)]

pub mod attest;
pub mod contracts;
pub mod keys;
pub mod record;
pub mod rpc;
pub mod tx;

pub use alloy::primitives::{Address, B256, U256};
pub use keys::KeySource;
pub use record::{DeployedContract, DeploymentRecord};
pub use rpc::{Rpc, RpcOptions};
pub use tx::{Call, Mined, TxOptions};

/// Errors of the chain side.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The RPC endpoint could not be used (unreachable, timed out, refused the request).
    #[error("RPC {url}: {method} failed after {attempts} attempt(s): {reason}")]
    Rpc {
        /// Endpoint.
        url: String,
        /// JSON-RPC method.
        method: String,
        /// Attempts made.
        attempts: u32,
        /// What went wrong.
        reason: String,
    },
    /// The endpoint serves another chain than the one asked for.
    #[error("RPC {url} serves chain {actual}, not chain {expected} (--chain-id)")]
    ChainId {
        /// Endpoint.
        url: String,
        /// Asked for.
        expected: u64,
        /// Served.
        actual: u64,
    },
    /// An attestation file that cannot be used.
    #[error("attestation {path}: {reason}")]
    Attestation {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// No usable signing key.
    #[error("signing key: {0}")]
    Key(String),
    /// A call or a gas estimate reverted.
    #[error("{what} would revert: {reason}")]
    WouldRevert {
        /// What was attempted.
        what: String,
        /// The decoded revert reason.
        reason: String,
    },
    /// A mined transaction failed.
    #[error("{what}: transaction {tx_hash} reverted (status 0) in block {block}, {gas_used} gas used")]
    Reverted {
        /// What was attempted.
        what: String,
        /// Transaction hash.
        tx_hash: String,
        /// Block.
        block: u64,
        /// Gas used.
        gas_used: u64,
    },
    /// The node refused the transaction because of its nonce.
    #[error("{0}")]
    Nonce(String),
    /// The account cannot pay for the transaction.
    #[error("account {address} holds {balance} wei but {what} may cost up to {needed} wei (gas limit × max fee)")]
    InsufficientFunds {
        /// Account.
        address: String,
        /// Balance (wei).
        balance: String,
        /// Upper bound of the cost (wei).
        needed: String,
        /// What was attempted.
        what: String,
    },
    /// The node refused the transaction for another reason.
    #[error("the node refused {what}: {reason}")]
    Refused {
        /// What was attempted.
        what: String,
        /// The node's message.
        reason: String,
    },
    /// The receipt did not arrive in time.
    #[error("{what}: transaction {tx_hash} was sent but not mined with {confirmations} confirmation(s) within {seconds} s; it may still be mined (look it up by its hash before sending again)")]
    Timeout {
        /// What was attempted.
        what: String,
        /// Transaction hash.
        tx_hash: String,
        /// Confirmations waited for.
        confirmations: u64,
        /// Timeout.
        seconds: u64,
    },
    /// A signed transaction may or may not have reached the node.
    #[error("{what}: transaction {tx_hash} was signed and may have reached the node, but {reason}; look it up by its hash before sending again (`zkinfer deploy` does so from its record on a re-run)")]
    Unsure {
        /// What was attempted.
        what: String,
        /// Transaction hash.
        tx_hash: String,
        /// What went wrong.
        reason: String,
    },
    /// The code at an address is not what was expected.
    #[error("{0}")]
    Code(String),
    /// A deployment record cannot be used.
    #[error("deployment record {path}: {reason}")]
    Record {
        /// File.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A malformed value on the command line or in a file.
    #[error("{0}")]
    Usage(String),
}

/// `0x`-prefixed lowercase hex.
pub fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// Parses a `0x`-prefixed (or bare) 20-byte address.
pub fn parse_address(what: &str, text: &str) -> Result<Address, ChainError> {
    let t = text.trim();
    let a = t
        .parse::<Address>()
        .map_err(|e| ChainError::Usage(format!("{what}: `{text}` is not an address: {e}")))?;
    // Mixed case is an EIP-55 checksum: a typo in it must not pass as another address.
    let digits = t.strip_prefix("0x").unwrap_or(t);
    let mixed = digits.bytes().any(|b| b.is_ascii_uppercase()) && digits.bytes().any(|b| b.is_ascii_lowercase());
    if mixed && a.to_checksum(None) != format!("0x{digits}") {
        return Err(ChainError::Usage(format!(
            "{what}: `{text}` fails its EIP-55 checksum (a typo?); the address with these digits is {}",
            a.to_checksum(None)
        )));
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_in_mixed_case_must_carry_a_valid_checksum() {
        let good = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
        assert!(parse_address("a", good).is_ok());
        assert!(
            parse_address("a", &good.to_lowercase()).is_ok(),
            "all lower case carries no checksum"
        );
        let typo = "0x70997970C51812dc3A010C7d01b50e0d17dc79c8";
        let e = parse_address("--subject", typo).unwrap_err().to_string();
        assert!(e.contains("EIP-55") && e.contains(good), "{e}");
    }
}
