// SPDX-License-Identifier: MIT
pragma solidity ^0.8.19;

import {IZkinferVerifier} from "./IZkinferVerifier.sol";

/// @title InferenceOracle
/// @notice Registered operators post verified model outputs. Each post carries a proof whose
/// public instances are the model's outputs followed by its public inputs (or, with hashed
/// inputs, their commitment); the oracle verifies it with the verifier registered for the model
/// and stores the outputs under (model id, input key) with the block number.
/// @dev input key = keccak256(abi.encodePacked(instances[numOutputs:])), see `inputKey`.
contract InferenceOracle {
    struct Model {
        IZkinferVerifier verifier;
        bytes32 vkHash;
        uint32 numOutputs;
        uint32 numInstances;
    }

    struct Result {
        uint256[] outputs;
        uint64 blockNumber;
        address operator;
        bytes32 vkHash;
    }

    address public owner;
    mapping(bytes32 => Model) public models;
    mapping(address => bool) public operators;
    mapping(bytes32 => mapping(bytes32 => Result)) internal results;
    /// Proofs already posted (keccak256 of the proof bytes): re-posting one cannot refresh a
    /// result's block number.
    mapping(bytes32 => bool) public usedProofs;

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

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    constructor() {
        owner = msg.sender;
        emit OwnershipTransferred(address(0), msg.sender);
    }

    function transferOwnership(address to) external onlyOwner {
        emit OwnershipTransferred(owner, to);
        owner = to;
    }

    /// @notice Registers (or replaces) the verifier of `modelId`. The verifier must have code and
    /// check the key with hash `vkHash`; proofs carry `numInstances` instances, the first
    /// `numOutputs` of them outputs.
    function registerModel(bytes32 modelId, address verifier, bytes32 vkHash, uint32 numOutputs, uint32 numInstances)
        external
        onlyOwner
    {
        if (verifier.code.length == 0) revert NoVerifierCode(verifier);
        if (numOutputs == 0 || numOutputs > numInstances) revert BadShape(numOutputs, numInstances);
        bytes32 actual;
        try IZkinferVerifier(verifier).VK_HASH() returns (bytes32 h) {
            actual = h;
        } catch {
            actual = bytes32(0);
        }
        if (actual != vkHash) revert WrongModel(vkHash, actual);
        models[modelId] = Model(IZkinferVerifier(verifier), vkHash, numOutputs, numInstances);
        emit ModelRegistered(modelId, verifier, vkHash, numOutputs, numInstances);
    }

    /// @notice Allows or revokes an operator.
    function setOperator(address operator, bool allowed) external onlyOwner {
        operators[operator] = allowed;
        emit OperatorSet(operator, allowed);
    }

    /// @notice Verifies and stores a model output.
    /// @return key The input key the outputs are stored under.
    function post(bytes32 modelId, bytes calldata proof, uint256[] calldata instances) external returns (bytes32 key) {
        if (!operators[msg.sender]) revert NotOperator(msg.sender);
        Model memory m = models[modelId];
        address v = address(m.verifier);
        if (v == address(0)) revert UnknownModel(modelId);
        if (instances.length != m.numInstances) revert WrongInstanceCount(m.numInstances, instances.length);
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
        usedProofs[proofHash] = true;
        key = inputKey(instances[m.numOutputs:]);
        Result storage r = results[modelId][key];
        r.outputs = instances[:m.numOutputs];
        r.blockNumber = uint64(block.number);
        r.operator = msg.sender;
        r.vkHash = m.vkHash;
        emit OutputPosted(modelId, key, r.outputs, uint64(block.number), msg.sender);
    }

    /// @notice The latest verified outputs for (model, input key); reverts `UnknownKey` if none,
    /// and `StaleResult` if the model has since been re-registered with another verifying key.
    /// A model without public inputs has a single key, `keccak256("")`.
    function latest(bytes32 modelId, bytes32 key)
        external
        view
        returns (uint256[] memory outputs, uint64 blockNumber, address operator)
    {
        Result storage r = results[modelId][key];
        if (r.blockNumber == 0) revert UnknownKey(modelId, key);
        if (r.vkHash != models[modelId].vkHash) revert StaleResult(modelId, key, r.vkHash);
        return (r.outputs, r.blockNumber, r.operator);
    }

    /// @notice The key of a public-input vector (or of an input commitment).
    function inputKey(uint256[] calldata publicInputs) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(publicInputs));
    }
}
