// SPDX-License-Identifier: MIT
pragma solidity ^0.8.19;

import {CreditGate} from "../contracts/CreditGate.sol";
import {CreditVerifier} from "../contracts/generated/CreditVerifier.sol";

interface VmScript {
    function startBroadcast() external;
    function stopBroadcast() external;
    function envOr(string calldata name, int256 defaultValue) external view returns (int256);
    function envOr(string calldata name, uint256 defaultValue) external view returns (uint256);
    function writeFile(string calldata path, string calldata data) external;
    function createDir(string calldata path, bool recursive) external;
    function projectRoot() external view returns (string memory);
    function toString(address value) external pure returns (string memory);
    function toString(bytes32 value) external pure returns (string memory);
    function toString(uint256 value) external pure returns (string memory);
}

/// @notice Deploys the committed credit verifier and a CreditGate pinned to it, and writes
/// their addresses to deployments/credit-<chain id>.json.
/// Environment: THRESHOLD (int, the model's fixed-point units; default 0) and VALIDITY
/// (seconds; default 30 days).
contract Deploy {
    VmScript internal constant vm = VmScript(address(uint160(uint256(keccak256("hevm cheat code")))));

    function run() external returns (CreditVerifier verifier, CreditGate gate) {
        int256 threshold = vm.envOr("THRESHOLD", int256(0));
        uint256 validity = vm.envOr("VALIDITY", uint256(30 days));
        vm.startBroadcast();
        verifier = new CreditVerifier();
        gate = new CreditGate(address(verifier), verifier.VK_HASH(), threshold, uint64(validity));
        vm.stopBroadcast();
        string memory dir = string.concat(vm.projectRoot(), "/deployments");
        vm.createDir(dir, true);
        string memory json = string.concat(
            "{\"chain_id\": ",
            vm.toString(block.chainid),
            ", \"verifier\": \"",
            vm.toString(address(verifier)),
            "\", \"credit_gate\": \"",
            vm.toString(address(gate)),
            "\", \"vk_hash\": \"",
            vm.toString(verifier.VK_HASH()),
            "\"}\n"
        );
        vm.writeFile(string.concat(dir, "/credit-", vm.toString(block.chainid), ".json"), json);
    }
}
