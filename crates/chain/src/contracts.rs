//! The ABI of the generated verifiers and of the consumer contracts in `contracts/` (CreditGate,
//! InferenceOracle), their sources (embedded, compiled with the same solc as the verifier), and
//! revert decoding. A unit test checks these declarations against solc's ABI of the sources.
// The events' generated constructors take one argument per field (InferenceRequested has 9).
#![allow(clippy::too_many_arguments)]

use alloy::sol;
use alloy::sol_types::{Panic, Revert, SolError, SolInterface};
use std::path::Path;
use zkinfer_evm::evm::{compile, Compiled, EvmError};

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
        /// What a data provider signs (EIP-712 type `Attestation`).
        struct Attestation {
            address subject;
            uint256 inputHash;
            bytes32 schema;
            uint64 issuedAt;
            uint64 expiresAt;
        }

        event ModelPinned(address indexed verifier, bytes32 vkHash);
        event PolicySet(int256 threshold, uint64 validity);
        event SchemaSet(bytes32 schema);
        event ProviderSet(address indexed provider, bool trusted);
        event AttestationRevoked(address indexed provider, bytes32 indexed digest);
        event ApprovalRevoked(address indexed borrower);
        event Approved(address indexed borrower, int256 score, uint64 expiresAt, bytes32 proofHash, address indexed provider, bytes32 attestation);
        event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);
        event EIP712DomainChanged();
        event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

        error OwnableUnauthorizedAccount(address account);
        error OwnableInvalidOwner(address owner);
        error NoVerifierCode(address verifier);
        error VerifierCodeChanged(address verifier);
        error ZeroSchema();
        error RevokedAttestation(bytes32 digest);
        error StaleAttestation(uint64 issuedAt, uint64 lastUsedIssuedAt);
        error RenounceDisabled();
        error WrongModel(bytes32 expected, bytes32 verifierHash);
        error WrongInstanceCount(uint256 got);
        error WrongBorrower(uint256 bound, address sender);
        error InvalidProof();
        error ScoreBelowThreshold(int256 score, int256 threshold);
        error BadValidity(uint64 validity);
        error ProofAlreadyUsed(bytes32 proofHash);
        error NotAFieldElement(uint256 value);
        error ZeroProvider();
        error AttestationForAnotherBorrower(address subject, address sender);
        error WrongSchema(bytes32 expected, bytes32 attested);
        error AttestationNotYetValid(uint64 issuedAt, uint256 now);
        error AttestationExpired(uint64 expiresAt, uint256 now);
        error InputNotAttested(uint256 attested, uint256 proven);
        error BadSignature();
        error UnknownProvider(address signer);
        error AttestationAlreadyUsed(bytes32 digest);
        error InvalidShortString();
        error StringTooLong(string str);

        function owner() external view returns (address);
        function pendingOwner() external view returns (address);
        function verifier() external view returns (address);
        function verifierCodeHash() external view returns (bytes32);
        function modelEpoch() external view returns (uint64);
        function providerEpoch(address provider) external view returns (uint64);
        function revokedAttestations(address provider, bytes32 digest) external view returns (bool);
        function lastIssuedAt(address borrower) external view returns (uint64);
        function vkHash() external view returns (bytes32);
        function schema() external view returns (bytes32);
        function threshold() external view returns (int256);
        function validity() external view returns (uint64);
        function providers(address provider) external view returns (bool);
        function approvals(address borrower) external view returns (int256 score, uint64 approvedAt, uint64 expiresAt, address provider, uint64 providerEpoch, uint64 modelEpoch, bytes32 attestation);
        function usedProofs(bytes32 proofHash) external view returns (bool);
        function usedAttestations(bytes32 digest) external view returns (bool);
        function MAX_VALIDITY() external view returns (uint64);
        function ATTESTATION_TYPEHASH() external view returns (bytes32);
        function eip712Domain() external view returns (bytes1 fields, string memory name, string memory version, uint256 chainId, address verifyingContract, bytes32 salt, uint256[] memory extensions);
        function pinModel(address verifier_, bytes32 vkHash_, bytes32 schema_) external;
        function setPolicy(int256 threshold_, uint64 validity_) external;
        function setProvider(address provider, bool trusted) external;
        function revokeAttestation(bytes32 digest) external;
        function revokeApproval(address borrower) external;
        function transferOwnership(address newOwner) external;
        function acceptOwnership() external;
        function renounceOwnership() external;
        function attestationDigest(Attestation calldata a) external view returns (bytes32);
        function requestCredit(bytes calldata proof, uint256[] calldata instances, Attestation calldata attestation, bytes calldata signature) external returns (int256 score);
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
        event BatchPosted(bytes32 indexed modelId, bytes32 indexed proofHash, uint256 members, address operator);
        event InferenceRequested(uint256 indexed requestId, bytes32 indexed modelId, address indexed requester, bytes32 inputKey, uint256[] publicInputs, string dataUri, uint256 fee, uint64 deadline, uint32 callbackGasLimit);
        event RequestFulfilled(uint256 indexed requestId, bytes32 indexed modelId, bytes32 inputKey, address operator, bool callbackOk);
        event RequestRefunded(uint256 indexed requestId, address indexed requester, uint256 fee);
        event Withdrawn(address indexed account, address to, uint256 amount);

        error NotOwner(address caller);
        error NotOperator(address caller);
        error UnknownModel(bytes32 modelId);
        error BatchModel(bytes32 modelId, uint32 batch);
        error NotABatchModel(bytes32 modelId);
        error BadBatch(uint32 batch);
        error BadMemberCount(uint256 members, uint32 batch);
        error UnknownKey(bytes32 modelId, bytes32 inputKey);
        error NoVerifierCode(address verifier);
        error WrongModel(bytes32 expected, bytes32 verifierHash);
        error BadShape(uint32 numOutputs, uint32 numInstances);
        error WrongInstanceCount(uint256 expected, uint256 got);
        error InvalidProof();
        error ProofAlreadyUsed(bytes32 proofHash);
        error StaleResult(bytes32 modelId, bytes32 inputKey, bytes32 vkHash);
        error UnknownRequest(uint256 requestId);
        error RequestNotOpen(uint256 requestId, uint8 status);
        error RequestExpired(uint256 requestId, uint64 deadline);
        error RequestNotExpired(uint256 requestId, uint64 deadline);
        error BadDeadline(uint64 deadline);
        error CallbackGasTooHigh(uint32 limit, uint32 max);
        error WrongInputCount(uint256 expected, uint256 got);
        error NotAFieldElement(uint256 value);
        error WrongInputs(uint256 requestId, bytes32 expected, bytes32 got);
        error WrongRequestCount(uint256 requests, uint256 members);
        error MixedModels(bytes32 expected, bytes32 got);
        error InsufficientGas(uint256 needed, uint256 left);
        error FeeTooLarge(uint256 fee);
        error NothingToWithdraw(address account);
        error WithdrawFailed(address to, uint256 amount);
        error ModelChanged(uint256 requestId, uint32 requested, uint32 current);

        function owner() external view returns (address);
        function MAX_CALLBACK_GAS() external view returns (uint32);
        function CALLBACK_OVERHEAD() external view returns (uint256);
        function requestCount() external view returns (uint256);
        function requests(uint256 requestId) external view returns (bytes32 modelId, bytes32 inputKey, address requester, uint96 fee, uint64 deadline, uint32 callbackGasLimit, uint8 status, uint32 modelVersion);
        function modelVersion(bytes32 modelId) external view returns (uint32);
        function balances(address account) external view returns (uint256);
        function request(bytes32 modelId, uint256[] calldata publicInputs, string calldata dataUri, uint64 deadline, uint32 callbackGasLimit) external payable returns (uint256 requestId);
        function fulfil(uint256 requestId, bytes calldata proof, uint256[] calldata instances) external returns (bytes32 key);
        function fulfilBatch(uint256[] calldata requestIds, bytes calldata proof, uint256[] calldata instances) external;
        function refund(uint256 requestId) external;
        function withdraw(address to) external returns (uint256 amount);
        function operators(address operator) external view returns (bool);
        function models(bytes32 modelId) external view returns (address verifier, bytes32 vkHash, uint32 numOutputs, uint32 numInstances);
        function usedProofs(bytes32 proofHash) external view returns (bool);
        function batchSize(bytes32 modelId) external view returns (uint32);
        function registerBatchModel(bytes32 modelId, address verifier, bytes32 vkHash, uint32 numOutputs, uint32 numInstances, uint32 batch) external;
        function postBatch(bytes32 modelId, bytes calldata proof, uint256[] calldata instances) external returns (bytes32[] memory keys);
        function transferOwnership(address to) external;
        function registerModel(bytes32 modelId, address verifier, bytes32 vkHash, uint32 numOutputs, uint32 numInstances) external;
        function setOperator(address operator, bool allowed) external;
        function post(bytes32 modelId, bytes calldata proof, uint256[] calldata instances) external returns (bytes32 key);
        function latest(bytes32 modelId, bytes32 key) external view returns (uint256[] memory outputs, uint64 blockNumber, address operator);
        function inputKey(uint256[] calldata publicInputs) external pure returns (bytes32);
    }
}

/// The sources of the consumer contracts compiled at run time (no imports beyond `contracts/`).
pub const SOURCES: [(&str, &str); 3] = [
    ("IZkinferVerifier.sol", include_str!("../../../contracts/IZkinferVerifier.sol")),
    ("IInferenceConsumer.sol", include_str!("../../../contracts/IInferenceConsumer.sol")),
    ("InferenceOracle.sol", include_str!("../../../contracts/InferenceOracle.sol")),
];

/// Optimizer runs for the consumer contracts (foundry.toml's).
pub const CONSUMER_OPTIMIZER_RUNS: usize = 200;

/// Compiles InferenceOracle with `solc`.
pub fn compile_oracle(solc: &Path) -> Result<Compiled, EvmError> {
    let out = compile(solc, &SOURCES, CONSUMER_OPTIMIZER_RUNS)?;
    out.into_iter()
        .find(|c| c.name == "InferenceOracle")
        .ok_or_else(|| EvmError::Compile("solc produced no contract `InferenceOracle`".into()))
}

/// CreditGate as compiled from `contracts/CreditGate.sol` and the pinned OpenZeppelin Contracts
/// (`contracts/compiled/CreditGate.json`, written by [`credit_gate_artifact`]; a test checks it
/// against a fresh compile). Embedded, so `deploy` needs neither node_modules nor a compile for
/// the gate.
pub const CREDIT_GATE_ARTIFACT: &str = include_str!("../../../contracts/compiled/CreditGate.json");

/// The committed compiled CreditGate.
pub fn credit_gate() -> Result<Compiled, EvmError> {
    let v: serde_json::Value =
        serde_json::from_str(CREDIT_GATE_ARTIFACT).map_err(|e| EvmError::Compile(format!("contracts/compiled/CreditGate.json: {e}")))?;
    let bytes = |key: &str| -> Result<Vec<u8>, EvmError> {
        let h = v[key].as_str().unwrap_or_default();
        hex::decode(h.trim_start_matches("0x")).map_err(|e| EvmError::Compile(format!("CreditGate artifact `{key}`: {e}")))
    };
    let immutable_slots = v["immutable_slots"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| Some((p[0].as_u64()? as usize, p[1].as_u64()? as usize)))
                .collect()
        })
        .unwrap_or_default();
    Ok(Compiled {
        name: "CreditGate".into(),
        bytecode: bytes("bytecode")?,
        deployed_bytecode: bytes("deployed_bytecode")?,
        abi: v["abi"].clone(),
        immutable_slots,
    })
}

/// The sources CreditGate compiles from: `contracts/CreditGate.sol`, what it imports from
/// `contracts/`, and the OpenZeppelin files under `openzeppelin` (the npm package's root,
/// `node_modules/@openzeppelin/contracts`), followed import by import. Source unit names are
/// the import paths (`@openzeppelin/contracts/...`), as forge's remapping gives them.
pub fn credit_gate_sources(contracts: &Path, openzeppelin: &Path) -> Result<Vec<(String, String)>, EvmError> {
    const OZ: &str = "@openzeppelin/contracts/";
    let read = |unit: &str| -> Result<String, EvmError> {
        let path = match unit.strip_prefix(OZ) {
            Some(rest) => openzeppelin.join(rest),
            None => contracts.join(unit),
        };
        std::fs::read_to_string(&path).map_err(|e| EvmError::Compile(format!("cannot read {} (for `{unit}`): {e}", path.display())))
    };
    let mut out: Vec<(String, String)> = Vec::new();
    let mut todo = vec!["CreditGate.sol".to_string()];
    while let Some(unit) = todo.pop() {
        if out.iter().any(|(u, _)| *u == unit) {
            continue;
        }
        let text = read(&unit)?;
        for line in text.lines() {
            let line = line.trim();
            if !line.starts_with("import ") {
                continue;
            }
            let Some(path) = line.split('"').nth(1) else { continue };
            todo.push(resolve_import(&unit, path));
        }
        out.push((unit, text));
    }
    out.sort();
    Ok(out)
}

/// Solidity's import resolution: a path starting with `./` or `../` is relative to the
/// importing unit's directory; any other is a unit name as is.
fn resolve_import(from: &str, path: &str) -> String {
    if !(path.starts_with("./") || path.starts_with("../")) {
        return path.to_string();
    }
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for seg in path.split('/') {
        match seg {
            "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

/// Compiles CreditGate from `contracts` and the OpenZeppelin package root `openzeppelin`, and
/// returns it with the artifact JSON [`CREDIT_GATE_ARTIFACT`] holds.
pub fn credit_gate_artifact(solc: &Path, contracts: &Path, openzeppelin: &Path) -> Result<(Compiled, String), EvmError> {
    let sources = credit_gate_sources(contracts, openzeppelin)?;
    let refs: Vec<(&str, &str)> = sources.iter().map(|(u, t)| (u.as_str(), t.as_str())).collect();
    let out = compile(solc, &refs, CONSUMER_OPTIMIZER_RUNS)?;
    let gate = out
        .into_iter()
        .find(|c| c.name == "CreditGate")
        .ok_or_else(|| EvmError::Compile("solc produced no contract `CreditGate`".into()))?;
    let version = std::process::Command::new(solc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|t| t.lines().last().map(|l| l.trim().to_string()))
        .unwrap_or_default();
    let json = serde_json::json!({
        "contract": "CreditGate",
        "note": "compiled from contracts/CreditGate.sol and @openzeppelin/contracts (package.json's version) by zkinfer; UPDATE_FIXTURES=1 cargo test --test foundry_fixtures regenerates it",
        "solc": version,
        "optimizer_runs": CONSUMER_OPTIMIZER_RUNS,
        "sources": sources.iter().map(|(u, t)| (u.clone(), serde_json::Value::String(alloy::primitives::keccak256(t.as_bytes()).to_string()))).collect::<serde_json::Map<_, _>>(),
        "immutable_slots": gate.immutable_slots.iter().map(|(a, b)| serde_json::json!([a, b])).collect::<Vec<_>>(),
        "abi": gate.abi,
        "bytecode": format!("0x{}", hex::encode(&gate.bytecode)),
        "deployed_bytecode": format!("0x{}", hex::encode(&gate.deployed_bytecode)),
    });
    Ok((gate, serde_json::to_string_pretty(&json).expect("serialisable") + "\n"))
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
        E::WrongInstanceCount(w) => format!(
            "WrongInstanceCount: {} instances, the gate expects [score, inputHash, account]",
            w.got
        ),
        E::NoVerifierCode(n) => format!("NoVerifierCode: no contract at {}", n.verifier),
        E::WrongModel(w) => format!(
            "WrongModel: expected vk hash {}, the verifier checks {}",
            w.expected, w.verifierHash
        ),
        E::InputNotAttested(i) => format!(
            "InputNotAttested: the proof is about features with hash {:#066x}, but the provider attested {:#066x}; a proof counts only on the attested data",
            i.proven, i.attested
        ),
        E::AttestationForAnotherBorrower(a) => format!(
            "AttestationForAnotherBorrower: the attestation is for {}, not for the sender {}",
            a.subject, a.sender
        ),
        E::WrongSchema(w) => format!(
            "WrongSchema: the attestation hashes features of schema {}, the gate requires {}",
            w.attested, w.expected
        ),
        E::AttestationNotYetValid(a) => format!(
            "AttestationNotYetValid: issued at {}, after the block time {}",
            a.issuedAt, a.now
        ),
        E::AttestationExpired(a) => format!("AttestationExpired: expired at {} (block time {})", a.expiresAt, a.now),
        E::BadSignature(_) => "BadSignature: the attestation's signature is malformed".into(),
        E::UnknownProvider(u) => format!(
            "UnknownProvider: the attestation is signed by {}, not a provider the gate trusts (or not for this gate and chain)",
            u.signer
        ),
        E::AttestationAlreadyUsed(a) => format!("AttestationAlreadyUsed: attestation {} has already been used", a.digest),
        E::RevokedAttestation(a) => format!("RevokedAttestation: the provider revoked attestation {}", a.digest),
        E::StaleAttestation(a) => format!(
            "StaleAttestation: issued at {}, not after the attestation last used for this borrower (issued at {})",
            a.issuedAt, a.lastUsedIssuedAt
        ),
        E::VerifierCodeChanged(v) => format!("VerifierCodeChanged: the code at {} is not the pinned verifier's", v.verifier),
        E::OwnableUnauthorizedAccount(o) => format!("OwnableUnauthorizedAccount: {} is not the owner", o.account),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{Address, U256};
    use alloy::sol_types::SolError;

    #[test]
    fn core_request_credit_encoding_is_alloys() {
        use alloy::primitives::{Bytes, B256};
        use alloy::sol_types::SolCall;
        let proof: Vec<u8> = (0..70u8).collect();
        let instances = [[1u8; 32], [2u8; 32], [3u8; 32]];
        let a = zkinfer_core::calldata::Attestation {
            subject: [0x11; 20],
            input_hash: [0x22; 32],
            schema: [0x33; 32],
            issued_at: 1_767_225_600,
            expires_at: u64::MAX,
        };
        let signature = [0x44u8; 65];
        let ours = zkinfer_core::calldata::encode_request_credit(&proof, &instances, &a, &signature);
        let theirs = ICreditGate::requestCreditCall {
            proof: Bytes::from(proof.clone()),
            instances: instances.iter().map(|w| U256::from_be_bytes(*w)).collect(),
            attestation: ICreditGate::Attestation {
                subject: Address::from(a.subject),
                inputHash: U256::from_be_bytes(a.input_hash),
                schema: B256::from(a.schema),
                issuedAt: a.issued_at,
                expiresAt: a.expires_at,
            },
            signature: Bytes::from(signature.to_vec()),
        }
        .abi_encode();
        assert_eq!(hex::encode(ours), hex::encode(theirs));
    }

    #[test]
    fn credit_gate_view_calldata_equals_alloys() {
        use alloy::sol_types::SolCall;
        use zkinfer_core::calldata::{encode_is_approved, function_selector};
        let borrower = [0xb0u8; 20];
        let theirs = ICreditGate::isApprovedCall {
            borrower: Address::from(borrower),
        }
        .abi_encode();
        assert_eq!(hex::encode(encode_is_approved(&borrower)), hex::encode(theirs));
        assert_eq!(function_selector("vkHash()").to_vec(), ICreditGate::vkHashCall {}.abi_encode());
    }

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
