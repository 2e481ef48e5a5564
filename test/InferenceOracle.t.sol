// SPDX-License-Identifier: MIT
pragma solidity ^0.8.19;

import {Base, Fixture} from "./utils/Base.sol";
import {InferenceOracle} from "../contracts/InferenceOracle.sol";
import {CreditOracleVerifier} from "../contracts/generated/CreditOracleVerifier.sol";
import {CreditVerifier} from "../contracts/generated/CreditVerifier.sol";

contract InferenceOracleTest is Base {
    InferenceOracle oracle;
    CreditOracleVerifier verifier;
    Fixture fx;
    bytes32 constant MODEL = keccak256("credit-v1");
    address operator = address(0x0CA1);

    function setUp() public {
        fx = loadFixture("credit_oracle.json");
        verifier = new CreditOracleVerifier();
        oracle = new InferenceOracle();
        oracle.registerModel(MODEL, address(verifier), verifier.VK_HASH(), uint32(fx.numOutputs), uint32(fx.instances.length));
        oracle.setOperator(operator, true);
    }

    function _inputs() internal view returns (uint256[] memory ins) {
        ins = new uint256[](fx.instances.length - fx.numOutputs);
        for (uint256 i = 0; i < ins.length; i++) {
            ins[i] = fx.instances[fx.numOutputs + i];
        }
    }

    function test_operatorPostsAVerifiedOutput() public {
        vm.prank(operator);
        bytes32 key = oracle.post(MODEL, fx.proof, fx.instances);
        assertEq(key, oracle.inputKey(_inputs()), "key of the public inputs");
        (uint256[] memory outputs, uint64 blockNumber, address by) = oracle.latest(MODEL, key);
        assertEq(outputs.length, fx.numOutputs, "outputs stored");
        assertEq(outputs[0], fx.instances[0], "the proven output");
        assertEq(blockNumber, block.number, "block number");
        assertEq(by, operator, "operator");
    }

    function test_repostingAProofIsRefused() public {
        vm.startPrank(operator);
        oracle.post(MODEL, fx.proof, fx.instances);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.ProofAlreadyUsed.selector, keccak256(fx.proof)));
        oracle.post(MODEL, fx.proof, fx.instances);
        vm.stopPrank();
    }

    function test_resultsOfAReplacedModelAreStale() public {
        vm.prank(operator);
        bytes32 key = oracle.post(MODEL, fx.proof, fx.instances);
        CreditVerifier replacement = new CreditVerifier();
        bytes32 newHash = replacement.VK_HASH();
        oracle.registerModel(MODEL, address(replacement), newHash, 1, 2);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.StaleResult.selector, MODEL, key, fx.vkHash));
        oracle.latest(MODEL, key);
    }

    function test_unknownKeyRevertsClearly() public {
        bytes32 key = keccak256("nothing");
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.UnknownKey.selector, MODEL, key));
        oracle.latest(MODEL, key);
    }

    function test_onlyOperatorsPost() public {
        address stranger = address(0x5157);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.NotOperator.selector, stranger));
        oracle.post(MODEL, fx.proof, fx.instances);
        oracle.setOperator(operator, false);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.NotOperator.selector, operator));
        oracle.post(MODEL, fx.proof, fx.instances);
    }

    function test_onlyTheOwnerRegisters() public {
        address stranger = address(0x5157);
        bytes32 h = verifier.VK_HASH();
        vm.startPrank(stranger);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.NotOwner.selector, stranger));
        oracle.setOperator(stranger, true);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.NotOwner.selector, stranger));
        oracle.registerModel(MODEL, address(verifier), h, 1, 11);
        vm.stopPrank();
    }

    function test_registrationChecksTheVerifier() public {
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.NoVerifierCode.selector, address(0x1234)));
        oracle.registerModel(MODEL, address(0x1234), fx.vkHash, 1, 11);
        CreditVerifier wrong = new CreditVerifier();
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.WrongModel.selector, fx.vkHash, wrong.VK_HASH()));
        oracle.registerModel(MODEL, address(wrong), fx.vkHash, 1, 11);
    }

    function test_badPostsAreRefusedWithoutStateChange() public {
        bytes32 key = oracle.inputKey(_inputs());
        bytes memory p = fx.proof;
        p[7] = bytes1(uint8(p[7]) ^ 1);
        vm.startPrank(operator);
        vm.expectRevert(InferenceOracle.InvalidProof.selector);
        oracle.post(MODEL, p, fx.instances);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.UnknownModel.selector, bytes32(0)));
        oracle.post(bytes32(0), fx.proof, fx.instances);
        uint256[] memory shorter = new uint256[](1);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.WrongInstanceCount.selector, fx.instances.length, uint256(1)));
        oracle.post(MODEL, fx.proof, shorter);
        vm.stopPrank();
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.UnknownKey.selector, MODEL, key));
        oracle.latest(MODEL, key);
    }

    /// Any change to an instance (output or input) is refused.
    function testFuzz_mutatedInstanceIsRefused(uint256 index, uint256 value) public {
        index = index % fx.instances.length;
        vm.assume(value != fx.instances[index]);
        uint256[] memory inst = fx.instances;
        inst[index] = value;
        vm.prank(operator);
        vm.expectRevert(InferenceOracle.InvalidProof.selector);
        oracle.post(MODEL, fx.proof, inst);
    }
}
