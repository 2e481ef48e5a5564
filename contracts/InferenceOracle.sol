// SPDX-License-Identifier: MIT
pragma solidity ^0.8.19;

import {IZkinferVerifier} from "./IZkinferVerifier.sol";

/// @title InferenceOracle
/// @notice Registered operators post verified model outputs. Each post carries a proof whose
/// public instances are the model's outputs followed by its public inputs (or, with hashed
/// inputs, their commitment); the oracle verifies it with the verifier registered for the model
/// and stores the outputs under (model id, input key) with the block number.
/// @dev input key = keccak256(abi.encodePacked(instances[numOutputs:])), see `inputKey`.
/// A model registered with `registerBatchModel` takes batch proofs (`compile --batch N`) through
/// `postBatch`: one verification for up to N inferences, whose instances are the number of
/// real members followed by N runs of one inference's instances; each real member is stored
/// under its own key and the padding members after them never are.
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
    /// Inferences per proof of a batch model (0 for a model registered with `registerModel`).
    mapping(bytes32 => uint32) public batchSize;

    event ModelRegistered(bytes32 indexed modelId, address verifier, bytes32 vkHash, uint32 numOutputs, uint32 numInstances);
    event OperatorSet(address indexed operator, bool allowed);
    event OutputPosted(bytes32 indexed modelId, bytes32 indexed inputKey, uint256[] outputs, uint64 blockNumber, address operator);
    event OwnershipTransferred(address indexed from, address indexed to);
    event BatchPosted(bytes32 indexed modelId, bytes32 indexed proofHash, uint256 members, address operator);

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
    error BatchModel(bytes32 modelId, uint32 batch);
    error NotABatchModel(bytes32 modelId);
    error BadBatch(uint32 batch);
    error BadMemberCount(uint256 members, uint32 batch);

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
        _register(modelId, verifier, vkHash, numOutputs, numInstances, 0);
    }

    /// @notice Registers (or replaces) the verifier of a batch model: its proofs carry `batch`
    /// inferences of `numInstances` instances each (the first `numOutputs` of them outputs),
    /// after one instance counting the real members; they are posted with `postBatch`.
    function registerBatchModel(
        bytes32 modelId,
        address verifier,
        bytes32 vkHash,
        uint32 numOutputs,
        uint32 numInstances,
        uint32 batch
    ) external onlyOwner {
        if (batch < 2) revert BadBatch(batch);
        _register(modelId, verifier, vkHash, numOutputs, numInstances, batch);
    }

    function _register(bytes32 modelId, address verifier, bytes32 vkHash, uint32 numOutputs, uint32 numInstances, uint32 batch)
        internal
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
        batchSize[modelId] = batch;
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
        Model memory m = _model(modelId);
        if (batchSize[modelId] != 0) revert BatchModel(modelId, batchSize[modelId]);
        if (instances.length != m.numInstances) revert WrongInstanceCount(m.numInstances, instances.length);
        _verify(m, proof, instances);
        key = _store(modelId, m, instances[:m.numOutputs], instances[m.numOutputs:]);
    }

    /// @notice Verifies a batch proof once and stores each real member's outputs under its own
    /// input key. `instances[0]` is the number of real members `n` (1 ≤ n ≤ batch); members
    /// `n..batch` are padding and are not stored.
    /// @return keys The input keys of the stored members, in member order.
    function postBatch(bytes32 modelId, bytes calldata proof, uint256[] calldata instances)
        external
        returns (bytes32[] memory keys)
    {
        Model memory m = _model(modelId);
        uint32 batch = batchSize[modelId];
        if (batch == 0) revert NotABatchModel(modelId);
        uint256 per = m.numInstances;
        if (instances.length != 1 + uint256(batch) * per) {
            revert WrongInstanceCount(1 + uint256(batch) * per, instances.length);
        }
        uint256 members = instances[0];
        if (members == 0 || members > batch) revert BadMemberCount(members, batch);
        bytes32 proofHash = _verify(m, proof, instances);
        keys = new bytes32[](members);
        for (uint256 i = 0; i < members; i++) {
            uint256 at = 1 + i * per;
            keys[i] = _store(modelId, m, instances[at:at + m.numOutputs], instances[at + m.numOutputs:at + per]);
        }
        emit BatchPosted(modelId, proofHash, members, msg.sender);
    }

    function _model(bytes32 modelId) internal view returns (Model memory m) {
        if (!operators[msg.sender]) revert NotOperator(msg.sender);
        m = models[modelId];
        if (address(m.verifier) == address(0)) revert UnknownModel(modelId);
    }

    /// Verifies `proof` with the model's verifier and marks it used.
    function _verify(Model memory m, bytes calldata proof, uint256[] calldata instances) internal returns (bytes32 proofHash) {
        address v = address(m.verifier);
        if (v.code.length == 0) revert NoVerifierCode(v);
        bool ok;
        try IZkinferVerifier(v).verifyProof(proof, instances) returns (bool result) {
            ok = result;
        } catch {
            ok = false;
        }
        if (!ok) revert InvalidProof();
        proofHash = keccak256(proof);
        if (usedProofs[proofHash]) revert ProofAlreadyUsed(proofHash);
        usedProofs[proofHash] = true;
    }

    /// Stores one inference's outputs under the key of its public inputs.
    function _store(bytes32 modelId, Model memory m, uint256[] calldata outputs, uint256[] calldata publicInputs)
        internal
        returns (bytes32 key)
    {
        key = inputKey(publicInputs);
        Result storage r = results[modelId][key];
        r.outputs = outputs;
        r.blockNumber = uint64(block.number);
        r.operator = msg.sender;
        r.vkHash = m.vkHash;
        emit OutputPosted(modelId, key, outputs, uint64(block.number), msg.sender);
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
