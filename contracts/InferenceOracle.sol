// SPDX-License-Identifier: MIT
pragma solidity ^0.8.19;

import {IZkinferVerifier} from "./IZkinferVerifier.sol";
import {IInferenceConsumer} from "./IInferenceConsumer.sol";

/// @title InferenceOracle
/// @notice Registered operators post verified model outputs. Each post carries a proof whose
/// public instances are the model's outputs followed by its public inputs (or, with hashed
/// inputs, their commitment); the oracle verifies it with the verifier registered for the model
/// and stores the outputs under (model id, input key) with the block number.
/// Anyone can also ask for an inference on chain: `request` names a registered model, the
/// public inputs the proof must carry (for a model with hashed inputs, the input commitment
/// and any bound values, with `dataUri` telling operators where the data is), a deadline and
/// the gas for a callback, and escrows `msg.value` as the fee. An operator answers with
/// `fulfil` (or `fulfilBatch`, one batch proof for several requests): the proof must carry
/// exactly the requested inputs; the outputs are stored as by `post`, the fee is credited to the
/// operator, and a requester with code is called back with `IInferenceConsumer.onInference`.
/// A request nobody fulfils by its deadline can be refunded (`refund`, by anyone) to the
/// requester. Fees and refunds are credited to `balances` and paid out by `withdraw`.
/// A request is bound to the model version registered when it was made (`modelVersion`,
/// bumped by every `registerModel` / `registerBatchModel` of the id): once the owner
/// re-registers the model, the request can no longer be fulfilled (`ModelChanged`), even by
/// the new circuit, and is refunded after its deadline as any unanswered request.
/// @dev input key = keccak256(abi.encodePacked(instances[numOutputs:])), see `inputKey`.
/// A model registered with `registerBatchModel` takes batch proofs (`compile --batch N`) through
/// `postBatch`: one verification for up to N inferences, whose instances are the number of
/// real members followed by N runs of one inference's instances; each real member is stored
/// under its own key and the padding members after them never are.
/// Requests: a request is fulfilled while `block.timestamp <= deadline` and refundable once
/// `block.timestamp > deadline`, never both. The callback runs after every state change
/// (checks-effects-interactions) with exactly `callbackGasLimit` gas, and the fulfilment reverts
/// `InsufficientGas` unless enough gas is left to forward all of it (the EIP-150 63/64 rule),
/// so an operator cannot starve it; a batch fulfilment requires, before each callback, the gas
/// of that callback and of every later one, so a short batch reverts at its first callback,
/// not midway. A callback that reverts or runs out of gas undoes nothing
/// (`callbackOk = false` in `RequestFulfilled`), and its return data is never copied.
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

    /// Where a request stands: `None` (no such request), `Open` (awaiting a proof, fee in
    /// escrow), `Fulfilled` (answered; fee credited to the operator) or `Refunded` (expired
    /// unanswered; fee credited back to the requester).
    enum RequestStatus {
        None,
        Open,
        Fulfilled,
        Refunded
    }

    /// An inference asked for with `request`.
    struct Request {
        /// The model to run.
        bytes32 modelId;
        /// `inputKey` of the public inputs the proof must carry.
        bytes32 inputKey;
        /// Who asked (and paid); called back if it has code and `callbackGasLimit > 0`.
        address requester;
        /// Wei in escrow: the operator's on fulfilment, the requester's on refund.
        uint96 fee;
        /// Unix seconds: fulfilled while `block.timestamp <= deadline`, refundable after.
        uint64 deadline;
        /// Gas forwarded to `onInference` (0: no callback).
        uint32 callbackGasLimit;
        /// Open until fulfilled or refunded.
        RequestStatus status;
        /// `modelVersion[modelId]` when the request was made: only a proof for that
        /// registration fulfils it (`ModelChanged` once the model is re-registered).
        uint32 modelVersion;
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
    /// How many times each model id has been registered (0: never; the first registration
    /// makes it 1). A request records it and is fulfilled only while it is unchanged.
    mapping(bytes32 => uint32) public modelVersion;

    /// Scalar field modulus of BN254: public inputs are field elements below it.
    uint256 internal constant R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;
    /// Largest `callbackGasLimit` a request may ask for.
    uint32 public constant MAX_CALLBACK_GAS = 1_000_000;
    /// Gas a fulfilment must hold back beyond the callback's own (the call itself and what
    /// follows it), on top of the 1/64 that EIP-150 keeps from the callee.
    uint256 public constant CALLBACK_OVERHEAD = 10_000;
    /// Requests made so far; the ids are 1..requestCount.
    uint256 public requestCount;
    /// The requests by id.
    mapping(uint256 => Request) public requests;
    /// Withdrawable wei per account: fees earned by operators and refunds owed to requesters.
    mapping(address => uint256) public balances;

    event ModelRegistered(bytes32 indexed modelId, address verifier, bytes32 vkHash, uint32 numOutputs, uint32 numInstances);
    event OperatorSet(address indexed operator, bool allowed);
    event OutputPosted(bytes32 indexed modelId, bytes32 indexed inputKey, uint256[] outputs, uint64 blockNumber, address operator);
    event OwnershipTransferred(address indexed from, address indexed to);
    event BatchPosted(bytes32 indexed modelId, bytes32 indexed proofHash, uint256 members, address operator);
    /// @notice A request was made; operators prove `modelId` on the public inputs
    /// `publicInputs` (data at `dataUri` for a model with hashed inputs) before `deadline`.
    event InferenceRequested(
        uint256 indexed requestId,
        bytes32 indexed modelId,
        address indexed requester,
        bytes32 inputKey,
        uint256[] publicInputs,
        string dataUri,
        uint256 fee,
        uint64 deadline,
        uint32 callbackGasLimit
    );
    /// @notice `operator` fulfilled a request; `callbackOk` is false when the requester's
    /// `onInference` reverted or ran out of gas (true when there was no callback).
    event RequestFulfilled(uint256 indexed requestId, bytes32 indexed modelId, bytes32 inputKey, address operator, bool callbackOk);
    /// @notice An expired request's `fee` was credited back to its requester.
    event RequestRefunded(uint256 indexed requestId, address indexed requester, uint256 fee);
    /// @notice `account` withdrew its balance, `amount` wei, to `to`.
    event Withdrawn(address indexed account, address to, uint256 amount);

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
    /// No request has this id.
    error UnknownRequest(uint256 requestId);
    /// The request is already fulfilled or refunded (`status` as `RequestStatus`).
    error RequestNotOpen(uint256 requestId, uint8 status);
    /// The request's deadline has passed: it can only be refunded.
    error RequestExpired(uint256 requestId, uint64 deadline);
    /// The request can still be fulfilled: no refund until its deadline has passed.
    error RequestNotExpired(uint256 requestId, uint64 deadline);
    /// A request's deadline must be in the future.
    error BadDeadline(uint64 deadline);
    /// A request's callback gas is above `MAX_CALLBACK_GAS`.
    error CallbackGasTooHigh(uint32 limit, uint32 max);
    /// A request carries the model's public inputs: `numInstances - numOutputs` of them.
    error WrongInputCount(uint256 expected, uint256 got);
    /// A public input is not below the BN254 scalar field modulus.
    error NotAFieldElement(uint256 value);
    /// The model was re-registered since the request was made (version `requested`, now
    /// `current`): the request cannot be fulfilled, only refunded after its deadline.
    error ModelChanged(uint256 requestId, uint32 requested, uint32 current);
    /// The proof's public inputs (key `got`) are not the request's (key `expected`).
    error WrongInputs(uint256 requestId, bytes32 expected, bytes32 got);
    /// A batch fulfilment lists one request per real member of the proof.
    error WrongRequestCount(uint256 requests, uint256 members);
    /// A batch fulfilment's requests are all for the model of the first one.
    error MixedModels(bytes32 expected, bytes32 got);
    /// Too little gas left to forward a callback its whole `callbackGasLimit`.
    error InsufficientGas(uint256 needed, uint256 left);
    /// A fee must fit in 96 bits.
    error FeeTooLarge(uint256 fee);
    /// The caller has no balance.
    error NothingToWithdraw(address account);
    /// Paying a withdrawal to `to` failed.
    error WithdrawFailed(address to, uint256 amount);

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
    /// `numOutputs` of them outputs. Bumps `modelVersion[modelId]`: open requests for the
    /// model's previous registration can no longer be fulfilled.
    function registerModel(bytes32 modelId, address verifier, bytes32 vkHash, uint32 numOutputs, uint32 numInstances)
        external
        onlyOwner
    {
        _register(modelId, verifier, vkHash, numOutputs, numInstances, 0);
    }

    /// @notice Registers (or replaces) the verifier of a batch model: its proofs carry `batch`
    /// inferences of `numInstances` instances each (the first `numOutputs` of them outputs),
    /// after one instance counting the real members; they are posted with `postBatch`. Bumps
    /// `modelVersion[modelId]` as `registerModel` does.
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
        modelVersion[modelId] += 1;
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

    /// @notice Asks operators to run `modelId` on `publicInputs`, escrowing `msg.value` as the
    /// fee. For a model with hashed inputs, `publicInputs` is the input commitment (and any bound
    /// values) and `dataUri` tells operators where the data is; it may be empty otherwise.
    /// The request can be fulfilled until `deadline` (Unix seconds, inclusive) and refunded
    /// after it. If the caller has code and `callbackGasLimit > 0`, the fulfilment calls its
    /// `IInferenceConsumer.onInference` with that much gas.
    /// The request is bound to the model version registered now (`modelVersion[modelId]`,
    /// stored in the request): if the owner re-registers `modelId` before it is fulfilled, it
    /// can no longer be fulfilled (`ModelChanged`) and is refunded after the deadline.
    /// @return requestId The new request's id (ids start at 1).
    function request(
        bytes32 modelId,
        uint256[] calldata publicInputs,
        string calldata dataUri,
        uint64 deadline,
        uint32 callbackGasLimit
    ) external payable returns (uint256 requestId) {
        _checkRequest(modelId, publicInputs, deadline, callbackGasLimit);
        bytes32 key = inputKey(publicInputs);
        requestId = ++requestCount;
        requests[requestId] = Request(
            modelId, key, msg.sender, uint96(msg.value), deadline, callbackGasLimit, RequestStatus.Open, modelVersion[modelId]
        );
        emit InferenceRequested(
            requestId, modelId, msg.sender, key, publicInputs, dataUri, msg.value, deadline, callbackGasLimit
        );
    }

    /// @notice Fulfils an open request of a (non-batch) model with a proof whose public inputs
    /// are the requested ones: verifies and stores it as `post` does, credits the fee to the
    /// caller (an operator), then calls the requester back (see `request`). Reverts
    /// `ModelChanged` if the model was re-registered since the request was made.
    /// @return key The input key the outputs are stored under (the request's).
    function fulfil(uint256 requestId, bytes calldata proof, uint256[] calldata instances) external returns (bytes32 key) {
        Request storage q = _request(requestId);
        bytes32 modelId = q.modelId;
        Model memory m = _model(modelId);
        _checkOpen(requestId, q);
        _checkVersion(requestId, q);
        if (batchSize[modelId] != 0) revert BatchModel(modelId, batchSize[modelId]);
        if (instances.length != m.numInstances) revert WrongInstanceCount(m.numInstances, instances.length);
        _checkInputs(requestId, q, instances[m.numOutputs:]);
        _verify(m, proof, instances);
        key = _store(modelId, m, instances[:m.numOutputs], instances[m.numOutputs:]);
        q.status = RequestStatus.Fulfilled;
        balances[msg.sender] += q.fee;
        bool ok = _callback(requestId, q, instances[:m.numOutputs], _reservation(q));
        emit RequestFulfilled(requestId, modelId, key, msg.sender, ok);
    }

    /// @notice Fulfils open requests of one batch model with one batch proof: request
    /// `requestIds[i]` is answered by real member `i` (instances laid out as for `postBatch`, one
    /// request per real member, in member order). Verifies once, stores each member, credits
    /// the fees to the caller (an operator), then calls each requester back. Reverts
    /// `ModelChanged` if the model was re-registered since any of the requests was made.
    function fulfilBatch(uint256[] calldata requestIds, bytes calldata proof, uint256[] calldata instances) external {
        if (requestIds.length == 0) revert WrongRequestCount(0, instances.length == 0 ? 0 : instances[0]);
        bytes32 modelId = _request(requestIds[0]).modelId;
        Model memory m = _model(modelId);
        uint32 batch = batchSize[modelId];
        if (batch == 0) revert NotABatchModel(modelId);
        uint256 per = m.numInstances;
        if (instances.length != 1 + uint256(batch) * per) {
            revert WrongInstanceCount(1 + uint256(batch) * per, instances.length);
        }
        uint256 members = instances[0];
        if (members == 0 || members > batch) revert BadMemberCount(members, batch);
        if (requestIds.length != members) revert WrongRequestCount(requestIds.length, members);
        uint256 fees = _claimBatch(requestIds, modelId, m, instances);
        bytes32 proofHash = _verify(m, proof, instances);
        for (uint256 i = 0; i < members; i++) {
            uint256 at = 1 + i * per;
            _store(modelId, m, instances[at:at + m.numOutputs], instances[at + m.numOutputs:at + per]);
        }
        balances[msg.sender] += fees;
        _callbackBatch(requestIds, modelId, m, instances);
        emit BatchPosted(modelId, proofHash, members, msg.sender);
    }

    /// @notice Refunds an open request whose deadline has passed: credits its fee back to the
    /// requester's balance (to `withdraw`). Anyone may call it.
    function refund(uint256 requestId) external {
        Request storage q = _request(requestId);
        if (q.status != RequestStatus.Open) revert RequestNotOpen(requestId, uint8(q.status));
        if (block.timestamp <= q.deadline) revert RequestNotExpired(requestId, q.deadline);
        q.status = RequestStatus.Refunded;
        address requester = q.requester;
        uint256 fee = q.fee;
        balances[requester] += fee;
        emit RequestRefunded(requestId, requester, fee);
    }

    /// @notice Pays the caller's whole balance (fees earned, refunds owed) to `to`.
    /// @return amount The wei paid.
    function withdraw(address payable to) external returns (uint256 amount) {
        amount = balances[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        balances[msg.sender] = 0;
        bool ok;
        assembly ("memory-safe") {
            ok := call(gas(), to, amount, 0, 0, 0, 0)
        }
        if (!ok) revert WithdrawFailed(to, amount);
        emit Withdrawn(msg.sender, to, amount);
    }

    /// Checks a new request: a registered model (any caller, operator or not), its number of
    /// public inputs, each a field element, a future deadline, the callback gas and the fee.
    function _checkRequest(bytes32 modelId, uint256[] calldata publicInputs, uint64 deadline, uint32 callbackGasLimit)
        internal
        view
    {
        Model storage m = models[modelId];
        if (address(m.verifier) == address(0)) revert UnknownModel(modelId);
        uint256 expected = uint256(m.numInstances) - m.numOutputs;
        if (publicInputs.length != expected) revert WrongInputCount(expected, publicInputs.length);
        for (uint256 i = 0; i < publicInputs.length; i++) {
            if (publicInputs[i] >= R) revert NotAFieldElement(publicInputs[i]);
        }
        if (deadline <= block.timestamp) revert BadDeadline(deadline);
        if (callbackGasLimit > MAX_CALLBACK_GAS) revert CallbackGasTooHigh(callbackGasLimit, MAX_CALLBACK_GAS);
        if (msg.value > type(uint96).max) revert FeeTooLarge(msg.value);
    }

    /// The request `requestId`; reverts `UnknownRequest` if there is none.
    function _request(uint256 requestId) internal view returns (Request storage q) {
        q = requests[requestId];
        if (q.status == RequestStatus.None) revert UnknownRequest(requestId);
    }

    /// Reverts unless the request is open and its deadline has not passed.
    function _checkOpen(uint256 requestId, Request storage q) internal view {
        if (q.status != RequestStatus.Open) revert RequestNotOpen(requestId, uint8(q.status));
        if (block.timestamp > q.deadline) revert RequestExpired(requestId, q.deadline);
    }

    /// Reverts `ModelChanged` unless the request's model is still at the version it was made
    /// for.
    function _checkVersion(uint256 requestId, Request storage q) internal view {
        uint32 current = modelVersion[q.modelId];
        if (current != q.modelVersion) revert ModelChanged(requestId, q.modelVersion, current);
    }

    /// Reverts unless `publicInputs` are the request's.
    function _checkInputs(uint256 requestId, Request storage q, uint256[] calldata publicInputs) internal view {
        bytes32 got = inputKey(publicInputs);
        if (got != q.inputKey) revert WrongInputs(requestId, q.inputKey, got);
    }

    /// Checks each request of a batch fulfilment against its member (same model, open, not
    /// expired, made for the model's current version, the member's public inputs) and marks it
    /// fulfilled, so an id listed twice is refused the second time.
    /// @return fees The requests' fees together.
    function _claimBatch(uint256[] calldata requestIds, bytes32 modelId, Model memory m, uint256[] calldata instances)
        internal
        returns (uint256 fees)
    {
        uint256 per = m.numInstances;
        for (uint256 i = 0; i < requestIds.length; i++) {
            uint256 id = requestIds[i];
            Request storage q = _request(id);
            if (q.modelId != modelId) revert MixedModels(modelId, q.modelId);
            _checkOpen(id, q);
            _checkVersion(id, q);
            uint256 at = 1 + i * per;
            _checkInputs(id, q, instances[at + m.numOutputs:at + per]);
            q.status = RequestStatus.Fulfilled;
            fees += q.fee;
        }
    }

    /// Calls back each request of a batch fulfilment with its member's outputs and emits its
    /// `RequestFulfilled`. Before the first callback it adds up every callback's reservation
    /// (see `_reservation`); callback `i` goes ahead only with the reservations of callbacks
    /// `i..end` left, so gas an estimate saw cheap callbacks leave unused cannot be missing
    /// when a later callback uses its whole limit: a short batch reverts `InsufficientGas`
    /// before any callback ran.
    function _callbackBatch(uint256[] calldata requestIds, bytes32 modelId, Model memory m, uint256[] calldata instances)
        internal
    {
        uint256[] memory needed = _batchReservations(requestIds);
        uint256 per = m.numInstances;
        for (uint256 i = 0; i < requestIds.length; i++) {
            uint256 at = 1 + i * per;
            Request storage q = requests[requestIds[i]];
            bool ok = _callback(requestIds[i], q, instances[at:at + m.numOutputs], needed[i]);
            emit RequestFulfilled(requestIds[i], modelId, q.inputKey, msg.sender, ok);
        }
    }

    /// For each request of a batch, the gas that must be left before its callback: 0 if it gets
    /// none, else the sum of its `_reservation` and those of all later requests.
    function _batchReservations(uint256[] calldata requestIds) internal view returns (uint256[] memory needed) {
        needed = new uint256[](requestIds.length);
        uint256 sum;
        for (uint256 i = requestIds.length; i > 0; i--) {
            uint256 r = _reservation(requests[requestIds[i - 1]]);
            if (r != 0) {
                sum += r;
                needed[i - 1] = sum;
            }
        }
    }

    /// The gas a request's callback needs left before it is made: its `callbackGasLimit`, the
    /// 1/64 the EIP-150 rule keeps back, and `CALLBACK_OVERHEAD`; 0 if there is no callback (the
    /// requester has no code or asked for none).
    function _reservation(Request storage q) internal view returns (uint256) {
        uint256 limit = q.callbackGasLimit;
        if (limit == 0 || q.requester.code.length == 0) return 0;
        return limit + limit / 63 + CALLBACK_OVERHEAD;
    }

    /// Calls the requester's `onInference` with the request's `callbackGasLimit` if `needed`
    /// (the gas that must be left: this callback's reservation, in a batch also the later
    /// callbacks') is not 0. Reverts `InsufficientGas` if less than `needed` is left; the
    /// callee's revert or exhaustion only makes `ok` false, and its return data is ignored.
    /// @return ok False if the callback reverted or ran out of gas; true if it returned or there
    /// was none.
    function _callback(uint256 requestId, Request storage q, uint256[] calldata outputs, uint256 needed)
        internal
        returns (bool ok)
    {
        if (needed == 0) return true;
        address to = q.requester;
        uint256 limit = q.callbackGasLimit;
        bytes memory data = abi.encodeCall(IInferenceConsumer.onInference, (requestId, q.modelId, q.inputKey, outputs));
        if (gasleft() < needed) revert InsufficientGas(needed, gasleft());
        assembly ("memory-safe") {
            ok := call(limit, to, 0, add(data, 0x20), mload(data), 0, 0)
        }
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
