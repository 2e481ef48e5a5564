// SPDX-License-Identifier: MIT
pragma solidity ^0.8.19;

/// @notice What every verifier zkinfer generates exposes.
interface IZkinferVerifier {
    /// @notice True when `proof` is valid for `instances`. Malformed calls revert with a
    /// reason; a well-formed proof that fails the pairing check returns false. Treat anything
    /// but `true` as a refusal.
    function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool);

    /// @notice zkinfer's identity of this verifier: Keccak-256 over a tag, the verifying key and the
    /// SRS points (G1, s·G2, −G2) it checks with, as in proof files and settings.json.
    function VK_HASH() external view returns (bytes32);
}
