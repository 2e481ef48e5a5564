// SPDX-License-Identifier: MIT
pragma solidity ^0.8.19;

import {Base, Fixture} from "./utils/Base.sol";
import {ApprovedModelVerifier} from "../contracts/ApprovedModelVerifier.sol";
import {InferenceOracle} from "../contracts/InferenceOracle.sol";
import {CreditModelVerifier} from "../contracts/generated/CreditModelVerifier.sol";

/// Two credit models of one architecture (the second has one weight changed), both compiled with
/// `--params hashed`: one generated verifier checks both; the wrapper accepts only the approved
/// model's params hash. Instances: [score, params hash].
contract ApprovedModelVerifierTest is Base {
    CreditModelVerifier raw;
    ApprovedModelVerifier gate;
    Fixture a;
    Fixture b;
    uint256 constant PARAMS = 1;

    function setUp() public {
        a = loadFixture("credit_params.json");
        b = loadFixture("credit_params_other.json");
        raw = new CreditModelVerifier();
        gate = new ApprovedModelVerifier(address(raw), PARAMS);
        gate.setApproved(a.instances[PARAMS], true);
    }

    function test_oneVerifierServesBothModels() public view {
        assertEq(a.vkHash, b.vkHash, "one verifying key");
        assertTrue(a.instances[PARAMS] != b.instances[PARAMS], "two params hashes");
        assertTrue(raw.verifyProof(a.proof, a.instances), "model A verifies");
        assertTrue(raw.verifyProof(b.proof, b.instances), "model B verifies");
        assertEq(gate.VK_HASH(), raw.VK_HASH(), "the wrapper reports the key hash");
    }

    function test_theApprovedModelIsAccepted() public view {
        assertTrue(gate.verifyProof(a.proof, a.instances), "approved model accepted");
    }

    function test_anUnapprovedModelIsRefused() public {
        vm.expectRevert(abi.encodeWithSelector(ApprovedModelVerifier.ModelNotApproved.selector, b.instances[PARAMS]));
        gate.verifyProof(b.proof, b.instances);
    }

    function test_anotherModelsProofUnderTheApprovedHashFails() public view {
        uint256[] memory forged = b.instances;
        forged[PARAMS] = a.instances[PARAMS];
        assertTrue(!gate.verifyProof(b.proof, forged), "model B's proof under A's hash");
    }

    function test_approvalAndRevocation() public {
        gate.setApproved(b.instances[PARAMS], true);
        assertTrue(gate.verifyProof(b.proof, b.instances), "approved later");
        gate.setApproved(a.instances[PARAMS], false);
        vm.expectRevert(abi.encodeWithSelector(ApprovedModelVerifier.ModelNotApproved.selector, a.instances[PARAMS]));
        gate.verifyProof(a.proof, a.instances);
    }

    function test_onlyTheOwnerApproves() public {
        vm.prank(address(0xBAD));
        vm.expectRevert(abi.encodeWithSelector(ApprovedModelVerifier.NotOwner.selector, address(0xBAD)));
        gate.setApproved(b.instances[PARAMS], true);
    }

    function test_tooFewInstancesRevert() public {
        uint256[] memory one = new uint256[](1);
        one[0] = a.instances[0];
        vm.expectRevert(abi.encodeWithSelector(ApprovedModelVerifier.MissingParamsHash.selector, PARAMS, 1));
        gate.verifyProof(a.proof, one);
    }

    function test_aVerifierWithoutCodeIsRefused() public {
        vm.expectRevert(abi.encodeWithSelector(ApprovedModelVerifier.NoVerifierCode.selector, address(0x1234)));
        new ApprovedModelVerifier(address(0x1234), PARAMS);
    }

    function test_theOraclePostsOnlyTheApprovedModel() public {
        InferenceOracle oracle = new InferenceOracle();
        bytes32 id = keccak256("credit-arch-v1");
        oracle.registerModel(id, address(gate), gate.VK_HASH(), uint32(a.numOutputs), uint32(a.instances.length));
        oracle.setOperator(address(this), true);
        oracle.post(id, a.proof, a.instances);
        vm.expectRevert(InferenceOracle.InvalidProof.selector);
        oracle.post(id, b.proof, b.instances);
    }
}
