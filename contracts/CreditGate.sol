// SPDX-License-Identifier: MIT
pragma solidity ^0.8.19;

import {IZkinferVerifier} from "./IZkinferVerifier.sol";

/// @title CreditGate
/// @notice Lending-side gate: a borrower proves that the approved scoring model, run on the
/// borrower's private data, gave a score at or above the threshold. The proof's public
/// instances are `[score, account]` (a model compiled with `zkinfer compile --bind account`,
/// proved with `--bind account=<borrower>`), so a proof only works for the borrower it was made
/// for: nobody else can replay it.
/// @dev Scores are the model's fixed-point outputs: an instance v encodes v / 2^scale, and
/// values above (r − 1) / 2 are negative (r − |v|). `threshold` is in the same units.
contract CreditGate {
    /// Scalar field modulus of BN254.
    uint256 internal constant R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;

    struct Approval {
        int256 score;
        uint64 approvedAt;
        uint64 expiresAt;
    }

    address public owner;
    IZkinferVerifier public verifier;
    bytes32 public vkHash;
    int256 public threshold;
    uint64 public validity;
    mapping(address => Approval) public approvals;
    /// Proofs already used (keccak256 of the proof bytes): each proof approves once.
    mapping(bytes32 => bool) public usedProofs;

    /// Longest allowed approval period.
    uint64 public constant MAX_VALIDITY = 3650 days;

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

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    constructor(address verifier_, bytes32 vkHash_, int256 threshold_, uint64 validity_) {
        owner = msg.sender;
        emit OwnershipTransferred(address(0), msg.sender);
        _pin(verifier_, vkHash_);
        _policy(threshold_, validity_);
    }

    /// @notice Pins the verifier of the approved model. The verifier must have code and check
    /// the verifying key with hash `vkHash_`.
    function pinModel(address verifier_, bytes32 vkHash_) external onlyOwner {
        _pin(verifier_, vkHash_);
    }

    /// @notice Sets the minimum score and how long an approval lasts (seconds).
    function setPolicy(int256 threshold_, uint64 validity_) external onlyOwner {
        _policy(threshold_, validity_);
    }

    function transferOwnership(address to) external onlyOwner {
        emit OwnershipTransferred(owner, to);
        owner = to;
    }

    /// @notice Verifies the caller's proof and records an approval.
    /// @param proof The proof bytes (the proof file's `proof`).
    /// @param instances `[score, account]` (the proof file's `instances`).
    /// @return score The proven score.
    function requestCredit(bytes calldata proof, uint256[] calldata instances) external returns (int256 score) {
        if (instances.length != 2) revert WrongInstanceCount(instances.length);
        if (instances[1] != uint256(uint160(msg.sender))) revert WrongBorrower(instances[1], msg.sender);
        address v = address(verifier);
        // A call to an address without code "succeeds" with no data; refuse it explicitly.
        if (v.code.length == 0) revert NoVerifierCode(v);
        bool ok;
        try IZkinferVerifier(v).verifyProof(proof, instances) returns (bool result) {
            ok = result;
        } catch {
            ok = false;
        }
        if (!ok) revert InvalidProof();
        bytes32 proofHash = keccak256(proof);
        if (usedProofs[proofHash]) revert ProofAlreadyUsed(proofHash);
        score = toSigned(instances[0]);
        if (score < threshold) revert ScoreBelowThreshold(score, threshold);
        usedProofs[proofHash] = true;
        uint64 expiresAt = uint64(block.timestamp) + validity;
        approvals[msg.sender] = Approval(score, uint64(block.timestamp), expiresAt);
        emit Approved(msg.sender, score, expiresAt, proofHash);
    }

    /// @notice Whether `borrower` holds an unexpired approval.
    function isApproved(address borrower) external view returns (bool) {
        return approvals[borrower].expiresAt > block.timestamp;
    }

    /// @notice A field element read as a signed fixed-point integer.
    function toSigned(uint256 v) public pure returns (int256) {
        if (v >= R) revert NotAFieldElement(v);
        return v > (R - 1) / 2 ? -int256(R - v) : int256(v);
    }

    function _pin(address verifier_, bytes32 vkHash_) internal {
        if (verifier_.code.length == 0) revert NoVerifierCode(verifier_);
        bytes32 actual;
        try IZkinferVerifier(verifier_).VK_HASH() returns (bytes32 h) {
            actual = h;
        } catch {
            actual = bytes32(0);
        }
        if (actual != vkHash_) revert WrongModel(vkHash_, actual);
        verifier = IZkinferVerifier(verifier_);
        vkHash = vkHash_;
        emit ModelPinned(verifier_, vkHash_);
    }

    function _policy(int256 threshold_, uint64 validity_) internal {
        if (validity_ == 0 || validity_ > MAX_VALIDITY) revert BadValidity(validity_);
        threshold = threshold_;
        validity = validity_;
        emit PolicySet(threshold_, validity_);
    }
}
