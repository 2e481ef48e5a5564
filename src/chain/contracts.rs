//! The ABI of the generated verifiers and of the consumer contracts in `contracts/` (CreditGate,
//! InferenceOracle), their sources (embedded, compiled with the same solc as the verifier), and
//! revert decoding. A unit test checks these declarations against solc's ABI of the sources.

use crate::evm::{compile, Compiled, EvmError};
use alloy::sol;
use alloy::sol_types::{Panic, Revert, SolError, SolInterface};
use std::path::Path;

sol! {
    /// A generated verifier.
    interface IZkinferVerifier {
        function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool);
        function VK_HASH() external view returns (bytes32);
    }

    /// A generated verifier of the separate layout.
    interface ISeparateVerifier {
        function VERIFYING_KEY() external view returns (address);
    }

    /// `contracts/CreditGate.sol`.
    #[sol(all_derives)]
    interface ICreditGate {
        event ModelPinned(address indexed verifier, bytes32 vkHash);
        event PolicySet(int256 threshold, uint64 validity);
        event Approved(address indexed borrower, int256 score, uint64 expiresAt, bytes32 proofHash);
        event OwnershipTransferred(address indexed from, address indexed to);

        error NotOwner(address caller);
        error NoVerifierCode(address verifier);
        error WrongModel(bytes32 expected, bytes32 verifierHash);
        error WrongInstanceCount(uint256 got);
        error WrongBorrower(uint256 bound, address sender);
        error InvalidProof();
        error ScoreBelowThreshold(int256 score, int256 threshold);
        error BadValidity(uint64 validity);
        error ProofAlreadyUsed(bytes32 proofHash);
        error NotAFieldElement(uint256 value);

        function owner() external view returns (address);
        function verifier() external view returns (address);
        function vkHash() external view returns (bytes32);
        function threshold() external view returns (int256);
        function validity() external view returns (uint64);
        function approvals(address borrower) external view returns (int256 score, uint64 approvedAt, uint64 expiresAt);
        function usedProofs(bytes32 proofHash) external view returns (bool);
        function MAX_VALIDITY() external view returns (uint64);
        function pinModel(address verifier_, bytes32 vkHash_) external;
        function setPolicy(int256 threshold_, uint64 validity_) external;
        function transferOwnership(address to) external;
        function requestCredit(bytes calldata proof, uint256[] calldata instances) external returns (int256 score);
        function isApproved(address borrower) external view returns (bool);
        function toSigned(uint256 v) external pure returns (int256);
    }

    /// `contracts/InferenceOracle.sol`.
    #[sol(all_derives)]
    interface IInferenceOracle {
        event ModelRegistered(bytes32 indexed modelId, address verifier, bytes32 vkHash, uint32 numOutputs, uint32 numInstances);
        event OperatorSet(address indexed operator, bool allowed);
        event OutputPosted(bytes32 indexed modelId, bytes32 indexed inputKey, uint256[] outputs, uint64 blockNumber, address operator);
        event OwnershipTransferred(address indexed from, address indexed to);

        error NotOwner(address caller);
        error NotOperator(address caller);
        error UnknownModel(bytes32 modelId);
        error UnknownKey(bytes32 modelId, bytes32 inputKey);
        error NoVerifierCode(address verifier);
        error WrongModel(bytes32 expected, bytes32 verifierHash);
        error BadShape(uint32 numOutputs, uint32 numInstances);
        error WrongInstanceCount(uint256 expected, uint256 got);
        error InvalidProof();
        error ProofAlreadyUsed(bytes32 proofHash);
        error StaleResult(bytes32 modelId, bytes32 inputKey, bytes32 vkHash);

        function owner() external view returns (address);
        function operators(address operator) external view returns (bool);
        function models(bytes32 modelId) external view returns (address verifier, bytes32 vkHash, uint32 numOutputs, uint32 numInstances);
        function usedProofs(bytes32 proofHash) external view returns (bool);
        function transferOwnership(address to) external;
        function registerModel(bytes32 modelId, address verifier, bytes32 vkHash, uint32 numOutputs, uint32 numInstances) external;
        function setOperator(address operator, bool allowed) external;
        function post(bytes32 modelId, bytes calldata proof, uint256[] calldata instances) external returns (bytes32 key);
        function latest(bytes32 modelId, bytes32 key) external view returns (uint256[] memory outputs, uint64 blockNumber, address operator);
        function inputKey(uint256[] calldata publicInputs) external pure returns (bytes32);
    }
}

/// The consumer contracts' sources, as committed in `contracts/`.
pub const SOURCES: [(&str, &str); 3] = [
    ("IZkinferVerifier.sol", include_str!("../../contracts/IZkinferVerifier.sol")),
    ("CreditGate.sol", include_str!("../../contracts/CreditGate.sol")),
    ("InferenceOracle.sol", include_str!("../../contracts/InferenceOracle.sol")),
];

/// Optimizer runs for the consumer contracts (foundry.toml's).
pub const CONSUMER_OPTIMIZER_RUNS: usize = 200;

/// Compiles the consumer contracts with `solc`; returns (CreditGate, InferenceOracle).
pub fn compile_consumers(solc: &Path) -> Result<(Compiled, Compiled), EvmError> {
    let out = compile(solc, &SOURCES, CONSUMER_OPTIMIZER_RUNS)?;
    let find = |name: &str| {
        out.iter()
            .find(|c| c.name == name)
            .cloned()
            .ok_or_else(|| EvmError::Compile(format!("solc produced no contract `{name}`")))
    };
    Ok((find("CreditGate")?, find("InferenceOracle")?))
}

/// Whose custom errors a revert may carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Abi {
    /// A generated verifier (reasons as `Error(string)`).
    Verifier,
    /// CreditGate.
    CreditGate,
    /// InferenceOracle.
    InferenceOracle,
}

/// Decodes revert data: `Error(string)`, `Panic(uint256)`, or a custom error of `abi`. `None`
/// for empty data.
pub fn decode_revert(data: &[u8], abi: Abi) -> Option<String> {
    if data.is_empty() {
        return None;
    }
    if let Ok(r) = Revert::abi_decode(data) {
        return Some(r.reason);
    }
    if let Ok(p) = Panic::abi_decode(data) {
        return Some(format!("panic {}", p.code));
    }
    match abi {
        Abi::CreditGate => {
            if let Ok(e) = ICreditGate::ICreditGateErrors::abi_decode(data) {
                return Some(format!("CreditGate: {}", explain_gate(&e)));
            }
        }
        Abi::InferenceOracle => {
            if let Ok(e) = IInferenceOracle::IInferenceOracleErrors::abi_decode(data) {
                return Some(format!("InferenceOracle: {e:?}"));
            }
        }
        Abi::Verifier => {}
    }
    Some(format!("unknown revert data 0x{}", hex::encode(data)))
}

fn explain_gate(e: &ICreditGate::ICreditGateErrors) -> String {
    use ICreditGate::ICreditGateErrors as E;
    match e {
        E::WrongBorrower(w) => format!(
            "WrongBorrower: the proof is bound to account 0x{:040x}, not to the sender {}",
            w.bound, w.sender
        ),
        E::InvalidProof(_) => "InvalidProof: the verifier refused the proof".into(),
        E::ScoreBelowThreshold(s) => format!("ScoreBelowThreshold: score {} is below the threshold {}", s.score, s.threshold),
        E::ProofAlreadyUsed(p) => format!("ProofAlreadyUsed: proof {} has already been used", p.proofHash),
        E::WrongInstanceCount(w) => format!("WrongInstanceCount: {} instances, the gate expects [score, account]", w.got),
        E::NoVerifierCode(n) => format!("NoVerifierCode: no contract at {}", n.verifier),
        E::WrongModel(w) => format!(
            "WrongModel: expected vk hash {}, the verifier checks {}",
            w.expected, w.verifierHash
        ),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{Address, U256};
    use alloy::sol_types::SolError;

    #[test]
    fn decodes_reasons_and_custom_errors() {
        let r = Revert::from("zkinfer: point not on curve").abi_encode();
        assert_eq!(decode_revert(&r, Abi::Verifier).as_deref(), Some("zkinfer: point not on curve"));
        let e = ICreditGate::WrongBorrower {
            bound: U256::from(0xb0b),
            sender: Address::repeat_byte(1),
        }
        .abi_encode();
        let d = decode_revert(&e, Abi::CreditGate).expect("decoded");
        assert!(d.contains("WrongBorrower") && d.contains("0000b0b"), "{d}");
        let e = IInferenceOracle::NotOperator {
            caller: Address::repeat_byte(2),
        }
        .abi_encode();
        assert!(decode_revert(&e, Abi::InferenceOracle)
            .expect("decoded")
            .starts_with("InferenceOracle: NotOperator"));
        // Errors both contracts declare are named after the contract called.
        let e = IInferenceOracle::InvalidProof {}.abi_encode();
        assert!(decode_revert(&e, Abi::InferenceOracle)
            .expect("decoded")
            .starts_with("InferenceOracle: InvalidProof"));
        assert!(decode_revert(&e, Abi::CreditGate)
            .expect("decoded")
            .starts_with("CreditGate: InvalidProof"));
        assert_eq!(decode_revert(&[], Abi::Verifier), None);
        assert!(decode_revert(&[1, 2, 3, 4], Abi::Verifier)
            .expect("described")
            .contains("0x01020304"));
    }
}
