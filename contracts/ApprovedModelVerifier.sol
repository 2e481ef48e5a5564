// SPDX-License-Identifier: MIT
pragma solidity ^0.8.19;

import {IZkinferVerifier} from "./IZkinferVerifier.sol";

/// @title ApprovedModelVerifier
/// @notice Pins the models a verifier of a `--params hashed` build may vouch for. Such a
/// verifier checks the circuit of an architecture, and every model of that architecture
/// (compiled `zkinfer compile --like`) proves against it; each proof carries the Poseidon hash
/// of its model's parameters as one instance (`zkinfer hash DIR --part params` prints it, and
/// settings.json records it as `params_hash`). This wrapper accepts a proof only when that
/// instance is a hash its owner approved, and the wrapped verifier accepts the proof.
/// @dev It is itself an `IZkinferVerifier` (with the wrapped verifier's `VK_HASH`), so
/// `CreditGate`, `InferenceOracle` or any consumer can use it in place of the raw verifier.
contract ApprovedModelVerifier is IZkinferVerifier {
    /// The generated verifier of the architecture.
    IZkinferVerifier public immutable verifier;
    /// Index of the params hash among the instances (see the build's `instance_layout`).
    uint256 public immutable paramsIndex;
    address public owner;
    /// Approved params hashes.
    mapping(uint256 => bool) public approved;

    event ModelApproved(uint256 indexed paramsHash, bool approved);
    event OwnershipTransferred(address indexed from, address indexed to);

    error NotOwner(address caller);
    error NoVerifierCode(address verifier);
    error MissingParamsHash(uint256 paramsIndex, uint256 numInstances);
    error ModelNotApproved(uint256 paramsHash);

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    constructor(address verifier_, uint256 paramsIndex_) {
        if (verifier_.code.length == 0) revert NoVerifierCode(verifier_);
        verifier = IZkinferVerifier(verifier_);
        paramsIndex = paramsIndex_;
        owner = msg.sender;
        emit OwnershipTransferred(address(0), msg.sender);
    }

    function transferOwnership(address to) external onlyOwner {
        emit OwnershipTransferred(owner, to);
        owner = to;
    }

    /// @notice Approves (or revokes) the model whose parameters hash to `paramsHash`.
    function setApproved(uint256 paramsHash, bool ok) external onlyOwner {
        approved[paramsHash] = ok;
        emit ModelApproved(paramsHash, ok);
    }

    /// @notice True when the proof's params hash is approved and the wrapped verifier accepts
    /// the proof. Reverts `MissingParamsHash` or `ModelNotApproved` otherwise (a consumer that
    /// treats anything but `true` as a refusal needs nothing more).
    function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool) {
        if (instances.length <= paramsIndex) revert MissingParamsHash(paramsIndex, instances.length);
        uint256 h = instances[paramsIndex];
        if (!approved[h]) revert ModelNotApproved(h);
        return verifier.verifyProof(proof, instances);
    }

    /// @notice The wrapped verifier's key hash.
    function VK_HASH() external view returns (bytes32) {
        return verifier.VK_HASH();
    }
}
