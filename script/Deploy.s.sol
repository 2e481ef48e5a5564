// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CreditGate} from "../contracts/CreditGate.sol";
import {CreditVerifier} from "../contracts/generated/CreditVerifier.sol";

interface VmScript {
    function startBroadcast() external;
    function stopBroadcast() external;
    function envOr(string calldata name, int256 defaultValue) external view returns (int256);
    function envOr(string calldata name, uint256 defaultValue) external view returns (uint256);
    function envOr(string calldata name, string calldata delim, address[] calldata defaultValue)
        external
        view
        returns (address[] memory);
    function readFile(string calldata path) external view returns (string memory);
    function parseJsonBytes32(string calldata json, string calldata key) external pure returns (bytes32);
    function writeFile(string calldata path, string calldata data) external;
    function createDir(string calldata path, bool recursive) external;
    function projectRoot() external view returns (string memory);
    function toString(address value) external pure returns (string memory);
    function toString(bytes32 value) external pure returns (string memory);
    function toString(uint256 value) external pure returns (string memory);
}

/// @notice Deploys the committed credit verifier and a CreditGate pinned to it, and writes
/// their addresses to deployments/credit-<chain id>.json.
/// The committed verifier was generated with zkinfer's development SRS, whose secret is public:
/// anyone can forge proofs it accepts. The script therefore refuses every chain but the local
/// development chains (31337: anvil, 1337); for a real chain, generate a verifier from a
/// ceremony SRS and deploy it with `zkinfer deploy`.
/// Environment: THRESHOLD (int, the model's fixed-point units; default 0), VALIDITY (seconds;
/// default 30 days), PROVIDERS (comma-separated data-provider addresses; default none).
contract Deploy {
    VmScript internal constant vm = VmScript(address(uint160(uint256(keccak256("hevm cheat code")))));

    error InsecureVerifierOnChain(uint256 chainId);

    /// Whether the committed (development-SRS) verifier may be deployed on `chainId`.
    function isLocalDevChain(uint256 chainId) public pure returns (bool) {
        return chainId == 31337 || chainId == 1337;
    }

    function run() external returns (CreditVerifier verifier, CreditGate gate) {
        if (!isLocalDevChain(block.chainid)) revert InsecureVerifierOnChain(block.chainid);
        int256 threshold = vm.envOr("THRESHOLD", int256(0));
        uint256 validity = vm.envOr("VALIDITY", uint256(30 days));
        require(validity <= type(uint64).max, "VALIDITY does not fit 64 bits");
        address[] memory providers = vm.envOr("PROVIDERS", ",", new address[](0));
        // The input schema of the committed verifier's build (written by `zkinfer fixture`).
        bytes32 schema = vm.parseJsonBytes32(
            vm.readFile(string.concat(vm.projectRoot(), "/fixtures/credit.json")), ".input_schema"
        );
        vm.startBroadcast();
        verifier = new CreditVerifier();
        gate = new CreditGate(address(verifier), verifier.VK_HASH(), schema, threshold, uint64(validity), providers);
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
