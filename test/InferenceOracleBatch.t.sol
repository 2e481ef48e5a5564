// SPDX-License-Identifier: MIT
pragma solidity ^0.8.19;

import {Base, Fixture, Log} from "./utils/Base.sol";
import {InferenceOracle} from "../contracts/InferenceOracle.sol";
import {CreditBatchVerifier} from "../contracts/generated/CreditBatchVerifier.sol";

/// Batch posts: one proof of 4 credit inferences with public inputs, 3 of them real (the
/// fixture `credit_batch.json`, from `compile --batch 4`); the fourth repeats the third and is
/// padding.
contract InferenceOracleBatchTest is Base {
    InferenceOracle oracle;
    CreditBatchVerifier verifier;
    Fixture fx;
    bytes32 constant MODEL = keccak256("credit-batch-v1");
    address operator = address(0x0CA1);

    function setUp() public {
        fx = loadFixture("credit_batch.json");
        verifier = new CreditBatchVerifier();
        oracle = new InferenceOracle();
        oracle.registerBatchModel(
            MODEL, address(verifier), verifier.VK_HASH(), uint32(fx.numOutputs), uint32(fx.memberInstances), uint32(fx.batch)
        );
        oracle.setOperator(operator, true);
    }

    /// Member `i`'s public inputs (its instances after its outputs).
    function _inputs(uint256 i) internal view returns (uint256[] memory ins) {
        uint256 at = 1 + i * fx.memberInstances + fx.numOutputs;
        ins = new uint256[](fx.memberInstances - fx.numOutputs);
        for (uint256 j = 0; j < ins.length; j++) {
            ins[j] = fx.instances[at + j];
        }
    }

    function test_fixtureIsABatchWithPadding() public view {
        assertEq(fx.batch, 4, "four inferences per proof");
        assertEq(fx.instances.length, 1 + fx.batch * fx.memberInstances, "count, then one run per member");
        assertEq(fx.instances[0], 3, "three real members");
        // the padding member repeats the last real one
        assertEq(oracle.inputKey(_inputs(3)), oracle.inputKey(_inputs(2)), "padding repeats member 2");
        assertTrue(oracle.inputKey(_inputs(0)) != oracle.inputKey(_inputs(1)), "members have inputs of their own");
        assertTrue(verifier.verifyProof(fx.proof, fx.instances), "the verifier accepts the batch");
    }

    function test_operatorPostsABatchAndEachMemberIsStored() public {
        vm.prank(operator);
        bytes32[] memory keys = oracle.postBatch(MODEL, fx.proof, fx.instances);
        assertEq(keys.length, 3, "one key per real member");
        for (uint256 i = 0; i < 3; i++) {
            assertEq(keys[i], oracle.inputKey(_inputs(i)), "key of the member's public inputs");
            (uint256[] memory outputs, uint64 blockNumber, address by) = oracle.latest(MODEL, keys[i]);
            assertEq(outputs.length, fx.numOutputs, "outputs stored");
            assertEq(outputs[0], fx.instances[1 + i * fx.memberInstances], "the member's proven output");
            assertEq(blockNumber, block.number, "block number");
            assertEq(by, operator, "operator");
        }
    }

    function test_paddingIsNeverStored() public {
        vm.recordLogs();
        vm.prank(operator);
        bytes32[] memory keys = oracle.postBatch(MODEL, fx.proof, fx.instances);
        assertEq(keys.length, fx.instances[0], "no key for the padding member");
        Log[] memory logs = vm.getRecordedLogs();
        uint256 posted;
        for (uint256 i = 0; i < logs.length; i++) {
            if (logs[i].topics[0] == InferenceOracle.OutputPosted.selector) posted++;
        }
        assertEq(posted, 3, "one OutputPosted per real member, none for the padding");
        // the member count is bound by the proof: claiming the padding member as real, or
        // fewer members, is another statement
        for (uint256 n = 1; n <= 4; n++) {
            if (n == 3) continue;
            uint256[] memory claim = _copy(fx.instances);
            claim[0] = n;
            vm.prank(operator);
            vm.expectRevert(InferenceOracle.InvalidProof.selector);
            oracle.postBatch(MODEL, fx.proof, claim);
        }
    }

    function test_aTamperedMemberIsRefused() public {
        for (uint256 i = 0; i < 3; i++) {
            uint256[] memory bad = _copy(fx.instances);
            bad[1 + i * fx.memberInstances] += 1; // the member's score
            vm.prank(operator);
            vm.expectRevert(InferenceOracle.InvalidProof.selector);
            oracle.postBatch(MODEL, fx.proof, bad);
            bad = _copy(fx.instances);
            bad[1 + i * fx.memberInstances + fx.numOutputs] += 1; // one of its public inputs
            vm.prank(operator);
            vm.expectRevert(InferenceOracle.InvalidProof.selector);
            oracle.postBatch(MODEL, fx.proof, bad);
        }
        // swapping two members' runs is another statement too
        uint256[] memory swapped = _copy(fx.instances);
        for (uint256 j = 0; j < fx.memberInstances; j++) {
            (swapped[1 + j], swapped[1 + fx.memberInstances + j]) = (swapped[1 + fx.memberInstances + j], swapped[1 + j]);
        }
        vm.prank(operator);
        vm.expectRevert(InferenceOracle.InvalidProof.selector);
        oracle.postBatch(MODEL, fx.proof, swapped);
    }

    function test_memberCountOutsideTheBatchIsRefused() public {
        uint256[] memory bad = _copy(fx.instances);
        bad[0] = 0;
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.BadMemberCount.selector, 0, uint32(4)));
        oracle.postBatch(MODEL, fx.proof, bad);
        bad[0] = 5;
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.BadMemberCount.selector, 5, uint32(4)));
        oracle.postBatch(MODEL, fx.proof, bad);
    }

    function test_batchAndSinglePostsDoNotMix() public {
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.BatchModel.selector, MODEL, uint32(4)));
        oracle.post(MODEL, fx.proof, fx.instances);
        bytes32 single = keccak256("single");
        oracle.registerModel(single, address(verifier), verifier.VK_HASH(), 1, uint32(fx.instances.length));
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.NotABatchModel.selector, single));
        oracle.postBatch(single, fx.proof, fx.instances);
        bytes32 h = verifier.VK_HASH();
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.BadBatch.selector, uint32(1)));
        oracle.registerBatchModel(single, address(verifier), h, 1, 11, 1);
    }

    function test_wrongLengthAndReuseAreRefused() public {
        uint256[] memory short = new uint256[](fx.instances.length - 1);
        for (uint256 i = 0; i < short.length; i++) {
            short[i] = fx.instances[i];
        }
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.WrongInstanceCount.selector, fx.instances.length, short.length));
        oracle.postBatch(MODEL, fx.proof, short);
        vm.startPrank(operator);
        oracle.postBatch(MODEL, fx.proof, fx.instances);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.ProofAlreadyUsed.selector, keccak256(fx.proof)));
        oracle.postBatch(MODEL, fx.proof, fx.instances);
        vm.stopPrank();
    }

    function test_onlyOperatorsPostBatches() public {
        address stranger = address(0x5157);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.NotOperator.selector, stranger));
        oracle.postBatch(MODEL, fx.proof, fx.instances);
    }

    function _copy(uint256[] memory a) internal pure returns (uint256[] memory b) {
        b = new uint256[](a.length);
        for (uint256 i = 0; i < a.length; i++) {
            b[i] = a[i];
        }
    }
}
