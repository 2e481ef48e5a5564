// SPDX-License-Identifier: MIT
pragma solidity ^0.8.19;

/// @notice The Foundry cheatcodes these tests use (no forge-std: the project builds offline).
interface Vm {
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function warp(uint256 timestamp) external;
    function etch(address target, bytes calldata code) external;
    function expectRevert(bytes4 selector) external;
    function expectRevert(bytes calldata data) external;
    function expectRevert() external;
    function readFile(string calldata path) external view returns (string memory);
    function projectRoot() external view returns (string memory);
    function parseJsonBytes(string calldata json, string calldata key) external pure returns (bytes memory);
    function parseJsonBytes32(string calldata json, string calldata key) external pure returns (bytes32);
    function parseJsonUintArray(string calldata json, string calldata key) external pure returns (uint256[] memory);
    function parseJsonUint(string calldata json, string calldata key) external pure returns (uint256);
    function assume(bool condition) external pure;
    function keyExistsJson(string calldata json, string calldata key) external view returns (bool);
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function addr(uint256 privateKey) external pure returns (address);
    function chainId(uint256 newChainId) external;
    function expectPartialRevert(bytes4 selector) external;
    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory);
    function deal(address account, uint256 newBalance) external;
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData, address emitter) external;
}

/// @notice A log recorded by `vm.recordLogs`.
struct Log {
    bytes32[] topics;
    bytes data;
    address emitter;
}

/// @notice A proof fixture written by `zkinfer fixture`.
struct Fixture {
    bytes proof;
    uint256[] instances;
    bytes32 vkHash;
    uint256 numOutputs;
    /// The build's input schema id (zero when the build does not hash its input).
    bytes32 inputSchema;
    /// Inferences per proof (1, or N for `compile --batch N`).
    uint256 batch;
    /// Instances of one inference (a batch's instances: the member count, then N runs of these).
    uint256 memberInstances;
}

abstract contract Base {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    uint256 internal constant R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;

    function loadFixture(string memory name) internal view returns (Fixture memory f) {
        string memory json = vm.readFile(string.concat(vm.projectRoot(), "/fixtures/", name));
        f.proof = vm.parseJsonBytes(json, ".proof");
        f.instances = vm.parseJsonUintArray(json, ".instances");
        f.vkHash = vm.parseJsonBytes32(json, ".vk_hash");
        f.numOutputs = vm.parseJsonUint(json, ".num_outputs");
        if (vm.keyExistsJson(json, ".input_schema")) f.inputSchema = vm.parseJsonBytes32(json, ".input_schema");
        f.batch = vm.keyExistsJson(json, ".batch") ? vm.parseJsonUint(json, ".batch") : 1;
        f.memberInstances =
            vm.keyExistsJson(json, ".member_instances") ? vm.parseJsonUint(json, ".member_instances") : f.instances.length;
    }

    function assertTrue(bool c, string memory what) internal pure {
        require(c, what);
    }

    function assertEq(uint256 a, uint256 b, string memory what) internal pure {
        require(a == b, what);
    }

    function assertEq(bytes32 a, bytes32 b, string memory what) internal pure {
        require(a == b, what);
    }

    function assertEq(address a, address b, string memory what) internal pure {
        require(a == b, what);
    }
}
