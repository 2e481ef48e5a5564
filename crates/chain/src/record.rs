//! Deployment records: what `zkinfer deploy` put on which chain, so a re-run can tell that the
//! contracts are already there and `zkinfer submit` can find them.

use super::ChainError;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One deployed contract.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DeployedContract {
    /// Role: `verifying_key`, `verifier`, `credit_gate` or `inference_oracle`.
    pub role: String,
    /// Contract name.
    pub name: String,
    /// Address.
    pub address: String,
    /// Deployment transaction.
    pub tx_hash: String,
    /// Block it was mined in.
    pub block: u64,
    /// Gas used by the deployment.
    pub gas_used: u64,
    /// Keccak-256 of the runtime code at the address.
    pub code_hash: String,
    /// Runtime code size.
    pub code_bytes: usize,
}

/// A deployment record (JSON).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DeploymentRecord {
    /// zkinfer version that wrote it.
    pub zkinfer_version: String,
    /// Chain id.
    pub chain_id: u64,
    /// The account that deployed.
    pub deployer: String,
    /// Hash of the verifying key the verifier checks.
    pub vk_hash: String,
    /// Verifier layout (`embedded` or `separate`).
    pub layout: String,
    /// Contracts, in deployment order.
    pub contracts: Vec<DeployedContract>,
    /// Deployments signed and handed to the node whose outcome is not known yet: a re-run
    /// looks them up before sending anything.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<PendingTx>,
    /// CreditGate policy as deployed (threshold in fixed point, validity in seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_gate_policy: Option<GatePolicy>,
}

/// A deployment transaction that was signed and may have been sent.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PendingTx {
    /// Role of the contract it deploys.
    pub role: String,
    /// Transaction hash.
    pub tx_hash: String,
    /// Sender.
    pub from: String,
    /// Nonce.
    pub nonce: u64,
}

/// A CreditGate's policy.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct GatePolicy {
    /// Minimum score, fixed point at `scale`.
    pub threshold: i64,
    /// The score's scale (value = threshold / 2^scale).
    pub scale: u32,
    /// Approval validity in seconds.
    pub validity_seconds: u64,
    /// The input schema id attestations must name.
    #[serde(default)]
    pub schema: String,
    /// The data providers registered at deployment.
    #[serde(default)]
    pub providers: Vec<String>,
}

impl DeploymentRecord {
    /// Reads a record.
    pub fn read(path: &Path) -> Result<Self, ChainError> {
        let err = |reason: String| ChainError::Record {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
        serde_json::from_str(&text).map_err(|e| err(format!("not a zkinfer deployment record: {e}")))
    }

    /// Writes the record atomically (creating its directory).
    pub fn write(&self, path: &Path) -> Result<(), ChainError> {
        let err = |reason: String| ChainError::Record {
            path: path.display().to_string(),
            reason,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| err(format!("cannot create its directory: {e}")))?;
        }
        let text = serde_json::to_string_pretty(self).expect("serialisable");
        zkinfer_core::proof::artifact::write_atomic(path, text.as_bytes()).map_err(|e| err(e.to_string()))
    }

    /// The contract with `role`.
    pub fn get(&self, role: &str) -> Option<&DeployedContract> {
        self.contracts.iter().find(|c| c.role == role)
    }

    /// Replaces or adds the contract of its role.
    pub fn set(&mut self, c: DeployedContract) {
        match self.contracts.iter_mut().find(|x| x.role == c.role) {
            Some(x) => *x = c,
            None => self.contracts.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_bad_files_are_named() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("sub/dep.json");
        let mut r = DeploymentRecord {
            zkinfer_version: "0".into(),
            chain_id: 31337,
            deployer: "0x01".into(),
            vk_hash: "0x02".into(),
            layout: "embedded".into(),
            contracts: vec![],
            pending: vec![],
            credit_gate_policy: None,
        };
        let c = DeployedContract {
            role: "verifier".into(),
            name: "V".into(),
            address: "0x03".into(),
            tx_hash: "0x04".into(),
            block: 1,
            gas_used: 2,
            code_hash: "0x05".into(),
            code_bytes: 3,
        };
        r.set(c.clone());
        r.set(DeployedContract { block: 9, ..c });
        assert_eq!(r.contracts.len(), 1);
        r.write(&path).expect("written");
        assert_eq!(DeploymentRecord::read(&path).expect("read"), r);
        std::fs::write(&path, "{").expect("write");
        let e = DeploymentRecord::read(&path).expect_err("refused").to_string();
        assert!(e.contains("dep.json") && e.contains("not a zkinfer deployment record"), "{e}");
    }
}
