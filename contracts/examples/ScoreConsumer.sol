// SPDX-License-Identifier: MIT
pragma solidity ^0.8.19;

import {IInferenceConsumer} from "../IInferenceConsumer.sol";
import {InferenceOracle} from "../InferenceOracle.sol";

/// @title ScoreConsumer
/// @notice Example of a protocol contract that buys inferences from an `InferenceOracle`: anyone
/// asks for a score of one model through `ask` (paying the fee), the oracle delivers the proven
/// outputs to `onInference`, and they are kept per request for the protocol to act on. An
/// asker whose request expires unanswered gets the fee back with `claimRefund`.
/// @dev This contract is the oracle's requester, so the callback and any refund come to it; it
/// records who asked for each request to route refunds. A real protocol would act on the score
/// in `onInference` (within the callback gas it asked for) rather than only store it.
contract ScoreConsumer is IInferenceConsumer {
    /// The oracle requests go to and callbacks must come from.
    InferenceOracle public immutable oracle;
    /// The model every request asks for.
    bytes32 public immutable modelId;
    /// Least `callbackGasLimit` `ask` accepts: enough for `onInference` to store a one-output
    /// score in fresh storage (about 48k gas: two new slots and the event; checked by the forge
    /// tests). With less, the delivery would run out of gas, and the request, fulfilled all the
    /// same, would leave the asker neither the score nor a refund.
    uint32 public constant MIN_CALLBACK_GAS = 50_000;
    /// Who asked for each request (cleared once its refund is claimed).
    mapping(uint256 => address) public askerOf;
    /// The outputs delivered per request (see `outputsOf`, `answered`).
    mapping(uint256 => uint256[]) internal outputs;

    /// @notice The oracle delivered request `requestId`'s outputs.
    event ScoreReceived(uint256 indexed requestId, bytes32 inputKey, uint256[] outputs);

    /// `onInference` was called by someone other than the oracle.
    error NotOracle(address caller);
    /// Only the asker of a request claims its refund.
    error NotAsker(uint256 requestId, address caller);
    /// The request was answered: there is no refund.
    error NotRefundable(uint256 requestId);
    /// Paying a refund to `to` failed.
    error TransferFailed(address to, uint256 amount);
    /// `ask`'s `callbackGasLimit` is below `MIN_CALLBACK_GAS`.
    error CallbackGasTooLow(uint32 limit, uint32 min);

    /// @param oracle_ The oracle to buy inferences from.
    /// @param modelId_ The model (registered with `oracle_`) to ask for.
    constructor(InferenceOracle oracle_, bytes32 modelId_) {
        oracle = oracle_;
        modelId = modelId_;
    }

    /// @notice Asks the oracle for the model's outputs on `publicInputs` (see
    /// `InferenceOracle.request`), forwarding `msg.value` as the fee, with a deadline `ttl`
    /// seconds from now and `callbackGasLimit` gas for the delivery to `onInference`, at least
    /// `MIN_CALLBACK_GAS` (more for a model with more outputs). The request is for the model
    /// version registered now (see `InferenceOracle.request`).
    /// @return requestId The oracle's request id.
    function ask(uint256[] calldata publicInputs, string calldata dataUri, uint64 ttl, uint32 callbackGasLimit)
        external
        payable
        returns (uint256 requestId)
    {
        if (callbackGasLimit < MIN_CALLBACK_GAS) revert CallbackGasTooLow(callbackGasLimit, MIN_CALLBACK_GAS);
        requestId =
            oracle.request{value: msg.value}(modelId, publicInputs, dataUri, uint64(block.timestamp) + ttl, callbackGasLimit);
        askerOf[requestId] = msg.sender;
    }

    /// @inheritdoc IInferenceConsumer
    function onInference(uint256 requestId, bytes32, bytes32 inputKey, uint256[] calldata outputs_) external {
        if (msg.sender != address(oracle)) revert NotOracle(msg.sender);
        outputs[requestId] = outputs_;
        emit ScoreReceived(requestId, inputKey, outputs_);
    }

    /// @notice True once the request's outputs have been delivered.
    /// @dev Read off the stored outputs (a model has at least one output) rather than kept in a
    /// flag of its own: a third new storage slot would not fit `onInference` in
    /// `MIN_CALLBACK_GAS`.
    function answered(uint256 requestId) external view returns (bool) {
        return outputs[requestId].length != 0;
    }

    /// @notice The outputs delivered for `requestId` (empty until answered).
    function outputsOf(uint256 requestId) external view returns (uint256[] memory) {
        return outputs[requestId];
    }

    /// @notice Refunds the caller's expired, unanswered request `requestId` and pays its fee to
    /// `to`. Calls `oracle.refund` (unless someone already did: anyone may; it reverts
    /// `RequestNotExpired` before the deadline) and then `oracle.withdraw`. Once per request.
    /// @dev Withdraws to this contract and forwards just this request's fee: the oracle balance
    /// of this contract is shared by every asker (anyone may refund any request), so paying the
    /// whole of it to one asker would hand them others' refunds.
    function claimRefund(uint256 requestId, address payable to) external {
        if (askerOf[requestId] != msg.sender) revert NotAsker(requestId, msg.sender);
        delete askerOf[requestId];
        (,,, uint96 fee,,, InferenceOracle.RequestStatus status,) = oracle.requests(requestId);
        if (status == InferenceOracle.RequestStatus.Open) oracle.refund(requestId);
        else if (status != InferenceOracle.RequestStatus.Refunded) revert NotRefundable(requestId);
        if (oracle.balances(address(this)) != 0) oracle.withdraw(payable(address(this)));
        (bool ok,) = to.call{value: fee}("");
        if (!ok) revert TransferFailed(to, fee);
    }

    /// @notice Accepts the oracle's refund payments only.
    receive() external payable {
        if (msg.sender != address(oracle)) revert NotOracle(msg.sender);
    }
}
