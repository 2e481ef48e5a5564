// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IZkinferVerifier} from "./IZkinferVerifier.sol";

/// @title CreditGate
/// @notice Lending-side gate on attested data. A data provider (a bureau, a bank, an indexer)
/// that the owner trusts signs an EIP-712 `Attestation` of a borrower's features: the Poseidon
/// hash of the quantized features exactly as the circuit computes it (`zkinfer attest`). The
/// borrower proves that the approved scoring model, run on features with that hash, scores at
/// least the threshold, and calls `requestCredit` with the proof and the attestation. A proof on
/// any other features carries another input hash and is refused, so made-up data approves
/// nothing.
/// @dev The proof's public instances are `[score, inputHash, account]`: a model compiled with
/// `zkinfer compile --input hashed --bind account`, proved with `--bind account=<borrower>`.
/// Scores are fixed-point outputs: an instance v encodes v / 2^scale, values above (r − 1) / 2
/// are negative (r − |v|); `threshold` is in the same units. Each attestation and each proof
/// approves once, and a borrower's attestations are used in the order they were issued. An
/// approval ends at the earlier of `validity` after approval and the attestation's expiry, and
/// earlier still when the provider is revoked (re-trusting it later does not revive it), the
/// provider revokes the attestation, the owner revokes the approval, or the owner pins another
/// model. A new policy (`setPolicy`) applies to later requests.
contract CreditGate is Ownable2Step, EIP712 {
    /// Scalar field modulus of BN254.
    uint256 internal constant R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;

    /// EIP-712 type hash of `Attestation`.
    bytes32 public constant ATTESTATION_TYPEHASH =
        keccak256("Attestation(address subject,uint256 inputHash,bytes32 schema,uint64 issuedAt,uint64 expiresAt)");

    /// Longest allowed approval period.
    uint64 public constant MAX_VALIDITY = 3650 days;

    /// What a data provider signs.
    struct Attestation {
        /// The borrower the features belong to.
        address subject;
        /// Poseidon hash of the quantized features (the proof's input-hash instance).
        uint256 inputHash;
        /// Which features, in which order and fixed-point scale (zkinfer's input schema id).
        bytes32 schema;
        /// Unix seconds.
        uint64 issuedAt;
        /// Unix seconds; the attestation is refused from then on.
        uint64 expiresAt;
    }

    struct Approval {
        int256 score;
        uint64 approvedAt;
        uint64 expiresAt;
        /// The provider whose attestation it rests on.
        address provider;
        /// The provider's trust epoch when approved (see `providerEpoch`).
        uint64 providerEpoch;
        /// The model epoch when approved (see `modelEpoch`).
        uint64 modelEpoch;
        /// The attestation's EIP-712 digest.
        bytes32 attestation;
    }

    IZkinferVerifier public verifier;
    /// Code hash of the pinned verifier, checked on every request.
    bytes32 public verifierCodeHash;
    bytes32 public vkHash;
    bytes32 public schema;
    /// Bumped whenever another model (verifier and schema) is pinned: approvals of an earlier
    /// model lapse.
    uint64 public modelEpoch;
    /// Bumped each time a provider is revoked: approvals from an earlier trust period lapse.
    mapping(address => uint64) public providerEpoch;
    /// Attestations their provider revoked: revokedAttestations[provider][digest].
    mapping(address => mapping(bytes32 => bool)) public revokedAttestations;
    /// The issue time of the last attestation used per borrower: older ones are refused.
    mapping(address => uint64) public lastIssuedAt;
    int256 public threshold;
    uint64 public validity;
    mapping(address => bool) public providers;
    mapping(address => Approval) public approvals;
    /// Proofs already used (keccak256 of the proof bytes).
    mapping(bytes32 => bool) public usedProofs;
    /// Attestations already used (their EIP-712 digests).
    mapping(bytes32 => bool) public usedAttestations;

    event ModelPinned(address indexed verifier, bytes32 vkHash);
    event PolicySet(int256 threshold, uint64 validity);
    event SchemaSet(bytes32 schema);
    event ProviderSet(address indexed provider, bool trusted);
    event AttestationRevoked(address indexed provider, bytes32 indexed digest);
    event ApprovalRevoked(address indexed borrower);
    event Approved(
        address indexed borrower,
        int256 score,
        uint64 expiresAt,
        bytes32 proofHash,
        address indexed provider,
        bytes32 attestation
    );

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

    constructor(
        address verifier_,
        bytes32 vkHash_,
        bytes32 schema_,
        int256 threshold_,
        uint64 validity_,
        address[] memory providers_
    ) Ownable(msg.sender) EIP712("zkinfer CreditGate", "1") {
        _pin(verifier_, vkHash_, schema_);
        _policy(threshold_, validity_);
        for (uint256 i = 0; i < providers_.length; i++) {
            _provider(providers_[i], true);
        }
    }

    /// @notice Pins the verifier of the approved model and the input schema its proofs hash
    /// (they change together: a model reads the attested integers at its own scales). The
    /// verifier must have code and report the identity `vkHash_`. Approvals of the previous
    /// model lapse.
    function pinModel(address verifier_, bytes32 vkHash_, bytes32 schema_) external onlyOwner {
        _pin(verifier_, vkHash_, schema_);
    }

    /// @notice Sets the minimum score and how long an approval lasts (seconds).
    function setPolicy(int256 threshold_, uint64 validity_) external onlyOwner {
        _policy(threshold_, validity_);
    }

    /// @notice Trusts (`trusted`) or revokes a data provider. Revoking ends the approvals that
    /// rest on its attestations, for good: trusting it again does not revive them.
    function setProvider(address provider, bool trusted) external onlyOwner {
        _provider(provider, trusted);
    }

    /// @notice A provider withdraws one of its attestations (by EIP-712 digest): it can no
    /// longer be used, and an approval resting on it ends.
    function revokeAttestation(bytes32 digest) external {
        revokedAttestations[msg.sender][digest] = true;
        emit AttestationRevoked(msg.sender, digest);
    }

    /// @notice The owner ends a borrower's approval.
    function revokeApproval(address borrower) external onlyOwner {
        delete approvals[borrower];
        emit ApprovalRevoked(borrower);
    }

    /// @notice Disabled: a gate without an owner could not revoke a compromised provider.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    /// @notice The EIP-712 digest a provider signs for `a` (on this chain, for this gate).
    function attestationDigest(Attestation calldata a) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(ATTESTATION_TYPEHASH, a.subject, a.inputHash, a.schema, a.issuedAt, a.expiresAt))
        );
    }

    /// @notice Verifies the caller's proof on attested features and records an approval.
    /// @param proof The proof bytes (the proof file's `proof`).
    /// @param instances `[score, inputHash, account]` (the proof file's `instances`).
    /// @param attestation The provider's attestation of the caller's features.
    /// @param signature The provider's signature of the attestation (65 bytes, r ‖ s ‖ v).
    /// @return score The proven score.
    function requestCredit(
        bytes calldata proof,
        uint256[] calldata instances,
        Attestation calldata attestation,
        bytes calldata signature
    ) external returns (int256 score) {
        if (instances.length != 3) revert WrongInstanceCount(instances.length);
        if (instances[2] != uint256(uint160(msg.sender))) revert WrongBorrower(instances[2], msg.sender);
        if (attestation.subject != msg.sender) revert AttestationForAnotherBorrower(attestation.subject, msg.sender);
        if (attestation.schema != schema) revert WrongSchema(schema, attestation.schema);
        if (attestation.issuedAt > block.timestamp) revert AttestationNotYetValid(attestation.issuedAt, block.timestamp);
        if (attestation.expiresAt <= block.timestamp) revert AttestationExpired(attestation.expiresAt, block.timestamp);
        if (attestation.inputHash != instances[1]) revert InputNotAttested(attestation.inputHash, instances[1]);
        bytes32 digest = attestationDigest(attestation);
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
        if (err != ECDSA.RecoverError.NoError) revert BadSignature();
        if (!providers[signer]) revert UnknownProvider(signer);
        if (revokedAttestations[signer][digest]) revert RevokedAttestation(digest);
        if (usedAttestations[digest]) revert AttestationAlreadyUsed(digest);
        if (attestation.issuedAt <= lastIssuedAt[msg.sender]) {
            revert StaleAttestation(attestation.issuedAt, lastIssuedAt[msg.sender]);
        }
        bytes32 proofHash = keccak256(proof);
        if (usedProofs[proofHash]) revert ProofAlreadyUsed(proofHash);

        address v = address(verifier);
        // The pinned code, not whatever is at the address now (an address without code would
        // even "succeed" with no data).
        if (v.codehash != verifierCodeHash) {
            if (v.code.length == 0) revert NoVerifierCode(v);
            revert VerifierCodeChanged(v);
        }
        bool ok;
        try IZkinferVerifier(v).verifyProof(proof, instances) returns (bool result) {
            ok = result;
        } catch {
            ok = false;
        }
        if (!ok) revert InvalidProof();
        score = toSigned(instances[0]);
        if (score < threshold) revert ScoreBelowThreshold(score, threshold);

        usedProofs[proofHash] = true;
        usedAttestations[digest] = true;
        lastIssuedAt[msg.sender] = attestation.issuedAt;
        uint64 expiresAt = uint64(block.timestamp) + validity;
        if (attestation.expiresAt < expiresAt) expiresAt = attestation.expiresAt;
        approvals[msg.sender] = Approval(
            score, uint64(block.timestamp), expiresAt, signer, providerEpoch[signer], modelEpoch, digest
        );
        emit Approved(msg.sender, score, expiresAt, proofHash, signer, digest);
    }

    /// @notice Whether `borrower` holds an unexpired approval of the pinned model whose provider
    /// has been trusted throughout and has not revoked the attestation.
    function isApproved(address borrower) external view returns (bool) {
        Approval storage a = approvals[borrower];
        return a.expiresAt > block.timestamp && providers[a.provider] && a.providerEpoch == providerEpoch[a.provider]
            && a.modelEpoch == modelEpoch && !revokedAttestations[a.provider][a.attestation];
    }

    /// @notice A field element read as a signed fixed-point integer.
    function toSigned(uint256 v) public pure returns (int256) {
        if (v >= R) revert NotAFieldElement(v);
        return v > (R - 1) / 2 ? -int256(R - v) : int256(v);
    }

    function _pin(address verifier_, bytes32 vkHash_, bytes32 schema_) internal {
        if (verifier_.code.length == 0) revert NoVerifierCode(verifier_);
        bytes32 actual;
        try IZkinferVerifier(verifier_).VK_HASH() returns (bytes32 h) {
            actual = h;
        } catch {
            actual = bytes32(0);
        }
        if (actual != vkHash_) revert WrongModel(vkHash_, actual);
        if (schema_ == bytes32(0)) revert ZeroSchema();
        verifier = IZkinferVerifier(verifier_);
        verifierCodeHash = verifier_.codehash;
        vkHash = vkHash_;
        schema = schema_;
        modelEpoch += 1;
        emit ModelPinned(verifier_, vkHash_);
        emit SchemaSet(schema_);
    }

    function _policy(int256 threshold_, uint64 validity_) internal {
        if (validity_ == 0 || validity_ > MAX_VALIDITY) revert BadValidity(validity_);
        threshold = threshold_;
        validity = validity_;
        emit PolicySet(threshold_, validity_);
    }

    function _provider(address provider, bool trusted) internal {
        if (provider == address(0)) revert ZeroProvider();
        if (providers[provider] && !trusted) providerEpoch[provider] += 1;
        providers[provider] = trusted;
        emit ProviderSet(provider, trusted);
    }
}
