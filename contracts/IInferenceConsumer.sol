// SPDX-License-Identifier: MIT
pragma solidity ^0.8.19;

/// @notice What a contract that requests inferences from an `InferenceOracle` implements to
/// receive them: the oracle calls `onInference` on the requester when an operator fulfils its
/// request with a verified proof.
interface IInferenceConsumer {
    /// @notice Delivers the proven outputs of request `requestId`. Called by the oracle only,
    /// with at most the request's `callbackGasLimit` gas, after the result is stored: a revert
    /// here undoes neither the fulfilment nor the stored result (the oracle records
    /// `callbackOk = false` in `RequestFulfilled`, and the result stays readable with `latest`).
    /// Implementations must check that `msg.sender` is the oracle.
    /// @param requestId The id `request` returned.
    /// @param modelId The model the outputs come from.
    /// @param inputKey The key of the request's public inputs (see `InferenceOracle.inputKey`).
    /// @param outputs The proof's output instances (fixed-point field elements; values above
    /// (r − 1) / 2 are negative).
    function onInference(uint256 requestId, bytes32 modelId, bytes32 inputKey, uint256[] calldata outputs) external;
}
