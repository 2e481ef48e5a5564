// SPDX-License-Identifier: MIT
pragma solidity ^0.8.19;

import {Base, Fixture} from "./utils/Base.sol";
import {CreditGate} from "../contracts/CreditGate.sol";
import {CreditVerifier} from "../contracts/generated/CreditVerifier.sol";
import {CreditOracleVerifier} from "../contracts/generated/CreditOracleVerifier.sol";

contract CreditGateTest is Base {
    CreditVerifier verifier;
    CreditGate gate;
    Fixture fx;
    Fixture other;
    address borrower;
    int256 score;

    function setUp() public {
        fx = loadFixture("credit.json");
        other = loadFixture("credit_other_model.json");
        verifier = new CreditVerifier();
        borrower = address(uint160(fx.instances[1]));
        score = int256(fx.instances[0]);
        gate = new CreditGate(address(verifier), verifier.VK_HASH(), score, 30 days);
    }

    function _request(address from, bytes memory proof, uint256[] memory instances) internal returns (int256) {
        vm.prank(from);
        return gate.requestCredit(proof, instances);
    }

    function _notApproved() internal view {
        (int256 s, uint64 at, uint64 exp) = gate.approvals(borrower);
        assertTrue(s == 0 && at == 0 && exp == 0, "no approval recorded");
        assertTrue(!gate.isApproved(borrower), "not approved");
    }

    function test_fixtureMatchesTheVerifier() public view {
        assertEq(fx.vkHash, verifier.VK_HASH(), "fixture made for this verifier");
        assertTrue(verifier.verifyProof(fx.proof, fx.instances), "the verifier accepts the fixture");
    }

    function test_borrowerWithAValidProofIsApproved() public {
        int256 s = _request(borrower, fx.proof, fx.instances);
        assertTrue(s == score, "returns the proven score");
        (int256 recorded, uint64 at, uint64 exp) = gate.approvals(borrower);
        assertTrue(recorded == score, "score recorded");
        assertEq(at, block.timestamp, "approval time");
        assertEq(exp, block.timestamp + 30 days, "expiry");
        assertTrue(gate.isApproved(borrower), "approved");
        vm.warp(block.timestamp + 30 days);
        assertTrue(!gate.isApproved(borrower), "approval expires");
    }

    function test_aProofApprovesOnlyOnce() public {
        _request(borrower, fx.proof, fx.instances);
        vm.expectRevert(abi.encodeWithSelector(CreditGate.ProofAlreadyUsed.selector, keccak256(fx.proof)));
        _request(borrower, fx.proof, fx.instances);
    }

    function test_policyBoundsAndSignedScores() public {
        vm.expectRevert(abi.encodeWithSelector(CreditGate.BadValidity.selector, uint64(0)));
        gate.setPolicy(0, 0);
        vm.expectRevert(abi.encodeWithSelector(CreditGate.BadValidity.selector, type(uint64).max));
        gate.setPolicy(0, type(uint64).max);
        assertTrue(gate.toSigned(R - 5) == -5, "negative fixed-point value");
        assertTrue(gate.toSigned(7) == 7, "positive");
        vm.expectRevert(abi.encodeWithSelector(CreditGate.NotAFieldElement.selector, R));
        gate.toSigned(R);
    }

    function test_anotherSenderCannotReplayTheProof() public {
        address mallory = address(0xBAD);
        vm.expectRevert(abi.encodeWithSelector(CreditGate.WrongBorrower.selector, fx.instances[1], mallory));
        _request(mallory, fx.proof, fx.instances);
        _notApproved();
    }

    function test_proofBoundToAnotherBorrowerIsRefused() public {
        // The caller claims the proof was made for them: the verifier refuses the changed instance.
        address mallory = address(0xBAD);
        uint256[] memory inst = fx.instances;
        inst[1] = uint256(uint160(mallory));
        vm.expectRevert(CreditGate.InvalidProof.selector);
        _request(mallory, fx.proof, inst);
        (, , uint64 exp) = gate.approvals(mallory);
        assertEq(exp, 0, "no approval for mallory");
    }

    function test_tamperedProofIsRefused() public {
        bytes memory p = fx.proof;
        p[100] = bytes1(uint8(p[100]) ^ 1);
        vm.expectRevert(CreditGate.InvalidProof.selector);
        _request(borrower, p, fx.instances);
        _notApproved();
    }

    function test_proofForAnotherModelIsRefused() public {
        assertTrue(other.vkHash != fx.vkHash, "a different model");
        vm.expectRevert(CreditGate.InvalidProof.selector);
        _request(borrower, other.proof, other.instances);
        _notApproved();
    }

    function test_scoreBelowThresholdIsRefused() public {
        gate.setPolicy(score + 1, 1 days);
        vm.expectRevert(abi.encodeWithSelector(CreditGate.ScoreBelowThreshold.selector, score, score + 1));
        _request(borrower, fx.proof, fx.instances);
        _notApproved();
    }

    function test_wrongInstanceCountIsRefused() public {
        uint256[] memory one = new uint256[](1);
        one[0] = fx.instances[0];
        vm.expectRevert(abi.encodeWithSelector(CreditGate.WrongInstanceCount.selector, uint256(1)));
        _request(borrower, fx.proof, one);
    }

    function test_verifierWithoutCodeIsRefused() public {
        vm.etch(address(verifier), "");
        vm.expectRevert(abi.encodeWithSelector(CreditGate.NoVerifierCode.selector, address(verifier)));
        _request(borrower, fx.proof, fx.instances);
        _notApproved();
    }

    function test_pinningChecksCodeAndModel() public {
        vm.expectRevert(abi.encodeWithSelector(CreditGate.NoVerifierCode.selector, address(0x1234)));
        gate.pinModel(address(0x1234), fx.vkHash);
        CreditOracleVerifier wrong = new CreditOracleVerifier();
        vm.expectRevert(abi.encodeWithSelector(CreditGate.WrongModel.selector, fx.vkHash, wrong.VK_HASH()));
        gate.pinModel(address(wrong), fx.vkHash);
    }

    function test_onlyTheOwnerConfigures() public {
        address stranger = address(0x5157);
        vm.startPrank(stranger);
        vm.expectRevert(abi.encodeWithSelector(CreditGate.NotOwner.selector, stranger));
        gate.setPolicy(0, 1);
        vm.expectRevert(abi.encodeWithSelector(CreditGate.NotOwner.selector, stranger));
        gate.pinModel(address(verifier), fx.vkHash);
        vm.expectRevert(abi.encodeWithSelector(CreditGate.NotOwner.selector, stranger));
        gate.transferOwnership(stranger);
        vm.stopPrank();
        gate.transferOwnership(stranger);
        assertEq(gate.owner(), stranger, "ownership moved");
    }

    /// Any change to one proof byte is refused and records nothing.
    function testFuzz_mutatedProofIsRefused(uint256 index, uint8 flip) public {
        vm.assume(flip != 0);
        bytes memory p = fx.proof;
        index = index % p.length;
        p[index] = bytes1(uint8(p[index]) ^ flip);
        vm.expectRevert(CreditGate.InvalidProof.selector);
        _request(borrower, p, fx.instances);
        _notApproved();
    }

    /// Any change to the score instance is refused (including values at or above r).
    function testFuzz_mutatedScoreIsRefused(uint256 value) public {
        vm.assume(value != fx.instances[0]);
        uint256[] memory inst = fx.instances;
        inst[0] = value;
        vm.expectRevert(CreditGate.InvalidProof.selector);
        _request(borrower, fx.proof, inst);
        _notApproved();
    }
}
