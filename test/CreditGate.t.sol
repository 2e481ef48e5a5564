// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Base, Fixture} from "./utils/Base.sol";
import {CreditGate} from "../contracts/CreditGate.sol";
import {CreditVerifier} from "../contracts/generated/CreditVerifier.sol";
import {CreditOracleVerifier} from "../contracts/generated/CreditOracleVerifier.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

contract CreditGateTest is Base {
    uint256 constant PROVIDER_KEY = 0xB0EA0;
    uint256 constant STRANGER_KEY = 0x5157;
    bytes32 constant TYPEHASH =
        keccak256("Attestation(address subject,uint256 inputHash,bytes32 schema,uint64 issuedAt,uint64 expiresAt)");

    CreditVerifier verifier;
    CreditGate gate;
    /// The borrower's proof on the attested features.
    Fixture fx;
    /// The same borrower's proof, same model, on made-up features.
    Fixture madeUp;
    /// A proof of another model (another verifying key) with the same instance layout.
    Fixture other;
    address borrower;
    address provider;
    int256 score;
    uint256 inputHash;

    function setUp() public {
        fx = loadFixture("credit.json");
        madeUp = loadFixture("credit_madeup.json");
        other = loadFixture("credit_other_model.json");
        verifier = new CreditVerifier();
        borrower = address(uint160(fx.instances[2]));
        inputHash = fx.instances[1];
        score = int256(fx.instances[0]);
        provider = vm.addr(PROVIDER_KEY);
        vm.warp(1_800_000_000);
        gate = _gate(score);
    }

    function _gate(int256 threshold) internal returns (CreditGate g) {
        address[] memory ps = new address[](1);
        ps[0] = provider;
        g = new CreditGate(address(verifier), verifier.VK_HASH(), fx.inputSchema, threshold, 30 days, ps);
    }

    function _attestation(address subject, uint256 hash, uint64 expiresAt)
        internal
        view
        returns (CreditGate.Attestation memory)
    {
        return CreditGate.Attestation(subject, hash, fx.inputSchema, uint64(block.timestamp - 1 hours), expiresAt);
    }

    function _sign(CreditGate g, CreditGate.Attestation memory a, uint256 key) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, g.attestationDigest(a));
        return abi.encodePacked(r, s, v);
    }

    /// A valid attestation of the fixture's features for the borrower, valid for 90 days.
    function _attested() internal view returns (CreditGate.Attestation memory a, bytes memory sig) {
        a = _attestation(borrower, inputHash, uint64(block.timestamp + 90 days));
        sig = _sign(gate, a, PROVIDER_KEY);
    }

    function _request(address from, Fixture memory f, CreditGate.Attestation memory a, bytes memory sig)
        internal
        returns (int256)
    {
        vm.prank(from);
        return gate.requestCredit(f.proof, f.instances, a, sig);
    }

    /// A copy of the fixture's instances with instance `i` replaced by `value`.
    function _instancesWith(uint256 i, uint256 value) internal view returns (uint256[] memory inst) {
        inst = new uint256[](fx.instances.length);
        for (uint256 j = 0; j < inst.length; j++) {
            inst[j] = fx.instances[j];
        }
        inst[i] = value;
    }

    function _notApproved() internal view {
        (int256 s, uint64 at, uint64 exp, address p,,,) = gate.approvals(borrower);
        assertTrue(s == 0 && at == 0 && exp == 0 && p == address(0), "no approval recorded");
        assertTrue(!gate.isApproved(borrower), "not approved");
    }

    function test_fixturesMatchTheVerifier() public view {
        assertEq(fx.vkHash, verifier.VK_HASH(), "fixture made for this verifier");
        assertTrue(verifier.verifyProof(fx.proof, fx.instances), "the verifier accepts the fixture");
        assertTrue(verifier.verifyProof(madeUp.proof, madeUp.instances), "the made-up proof is a valid proof");
        assertTrue(madeUp.instances[1] != inputHash, "on other features");
        assertEq(madeUp.instances[2], fx.instances[2], "for the same borrower");
        assertTrue(fx.inputSchema != bytes32(0), "the fixture names its input schema");
    }

    /// The gate's digest is the standard EIP-712 one (what wallets and zkinfer attest sign).
    function test_digestIsEip712() public view {
        (CreditGate.Attestation memory a,) = _attested();
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("zkinfer CreditGate"),
                keccak256("1"),
                block.chainid,
                address(gate)
            )
        );
        bytes32 structHash = keccak256(abi.encode(TYPEHASH, a.subject, a.inputHash, a.schema, a.issuedAt, a.expiresAt));
        assertEq(
            gate.attestationDigest(a), keccak256(abi.encodePacked("\x19\x01", domain, structHash)), "EIP-712 digest"
        );
        assertEq(gate.ATTESTATION_TYPEHASH(), TYPEHASH, "type hash");
    }

    function test_attestedBorrowerIsApproved() public {
        (CreditGate.Attestation memory a, bytes memory sig) = _attested();
        int256 s = _request(borrower, fx, a, sig);
        assertTrue(s == score, "returns the proven score");
        (int256 recorded, uint64 at, uint64 exp, address p,,, bytes32 digest) = gate.approvals(borrower);
        assertTrue(recorded == score, "score recorded");
        assertEq(at, block.timestamp, "approval time");
        assertEq(exp, block.timestamp + 30 days, "the gate's validity (the attestation lasts longer)");
        assertEq(p, provider, "provider recorded");
        assertEq(digest, gate.attestationDigest(a), "attestation recorded");
        assertTrue(gate.usedAttestations(digest) && gate.usedProofs(keccak256(fx.proof)), "both marked used");
        assertTrue(gate.isApproved(borrower), "approved");
        vm.warp(block.timestamp + 30 days);
        assertTrue(!gate.isApproved(borrower), "approval expires");
    }

    function test_approvalNeverOutlivesTheAttestation() public {
        CreditGate.Attestation memory a = _attestation(borrower, inputHash, uint64(block.timestamp + 2 days));
        _request(borrower, fx, a, _sign(gate, a, PROVIDER_KEY));
        (,, uint64 exp,,,,) = gate.approvals(borrower);
        assertEq(exp, a.expiresAt, "capped at the attestation's expiry");
        vm.warp(a.expiresAt);
        assertTrue(!gate.isApproved(borrower), "ends with the attestation");
    }

    /// The point of the gate: a valid proof on made-up features is refused.
    function test_proofOnMadeUpFeaturesIsRefused() public {
        (CreditGate.Attestation memory a, bytes memory sig) = _attested();
        vm.expectRevert(
            abi.encodeWithSelector(CreditGate.InputNotAttested.selector, inputHash, madeUp.instances[1])
        );
        _request(borrower, madeUp, a, sig);
        _notApproved();
    }

    /// ... and claiming the attested hash for the made-up proof breaks the proof.
    function test_madeUpProofWithTheAttestedHashIsRefused() public {
        (CreditGate.Attestation memory a, bytes memory sig) = _attested();
        uint256[] memory inst = madeUp.instances;
        inst[1] = inputHash;
        vm.prank(borrower);
        vm.expectRevert(CreditGate.InvalidProof.selector);
        gate.requestCredit(madeUp.proof, inst, a, sig);
        _notApproved();
    }

    /// A provider that attests other features than the proof's.
    function test_attestationOfOtherFeaturesIsRefused() public {
        CreditGate.Attestation memory a = _attestation(borrower, inputHash + 1, uint64(block.timestamp + 1 days));
        bytes memory sig = _sign(gate, a, PROVIDER_KEY);
        vm.expectRevert(abi.encodeWithSelector(CreditGate.InputNotAttested.selector, inputHash + 1, inputHash));
        _request(borrower, fx, a, sig);
        _notApproved();
    }

    function test_unregisteredProviderIsRefused() public {
        CreditGate.Attestation memory a = _attestation(borrower, inputHash, uint64(block.timestamp + 1 days));
        bytes memory sig = _sign(gate, a, STRANGER_KEY);
        vm.expectRevert(abi.encodeWithSelector(CreditGate.UnknownProvider.selector, vm.addr(STRANGER_KEY)));
        _request(borrower, fx, a, sig);
        _notApproved();
    }

    function test_revokedProviderIsRefusedAndItsApprovalsEnd() public {
        (CreditGate.Attestation memory a, bytes memory sig) = _attested();
        _request(borrower, fx, a, sig);
        assertTrue(gate.isApproved(borrower), "approved");
        gate.setProvider(provider, false);
        assertTrue(!gate.isApproved(borrower), "revoking the provider ends the approval");
        CreditGate.Attestation memory b = _attestation(borrower, inputHash, uint64(block.timestamp + 2 days));
        b.issuedAt = uint64(block.timestamp);
        bytes memory sigB = _sign(gate, b, PROVIDER_KEY);
        vm.expectRevert(abi.encodeWithSelector(CreditGate.UnknownProvider.selector, provider));
        _request(borrower, fx, b, sigB);
        // Trusting the provider again does not revive approvals from before the revocation.
        gate.setProvider(provider, true);
        assertTrue(!gate.isApproved(borrower), "not revived by re-trusting");
    }

    function test_aProviderRevokesItsAttestation() public {
        (CreditGate.Attestation memory a, bytes memory sig) = _attested();
        bytes32 digest = gate.attestationDigest(a);
        // Someone else's revocation is their own business: it does not touch this provider's.
        vm.prank(address(0xBAD));
        gate.revokeAttestation(digest);
        _request(borrower, fx, a, sig);
        assertTrue(gate.isApproved(borrower), "approved");
        vm.prank(provider);
        gate.revokeAttestation(digest);
        assertTrue(!gate.isApproved(borrower), "the approval ends with the attestation");
    }

    function test_aRevokedAttestationIsRefused() public {
        (CreditGate.Attestation memory a, bytes memory sig) = _attested();
        bytes32 digest = gate.attestationDigest(a);
        vm.prank(provider);
        gate.revokeAttestation(digest);
        vm.expectRevert(abi.encodeWithSelector(CreditGate.RevokedAttestation.selector, digest));
        _request(borrower, fx, a, sig);
        _notApproved();
    }

    function test_theOwnerRevokesAnApproval() public {
        (CreditGate.Attestation memory a, bytes memory sig) = _attested();
        _request(borrower, fx, a, sig);
        gate.revokeApproval(borrower);
        _notApproved();
    }

    /// A borrower cannot fall back on an older (better) attestation once a newer one was used.
    function test_anOlderAttestationIsRefusedAfterANewerOne() public {
        CreditGate.Attestation memory newer = _attestation(borrower, inputHash, uint64(block.timestamp + 2 days));
        CreditGate.Attestation memory older =
            _attestation(borrower, madeUp.instances[1], uint64(block.timestamp + 2 days));
        older.issuedAt = newer.issuedAt - 1 days;
        _request(borrower, fx, newer, _sign(gate, newer, PROVIDER_KEY));
        bytes memory sigOld = _sign(gate, older, PROVIDER_KEY);
        vm.expectRevert(abi.encodeWithSelector(CreditGate.StaleAttestation.selector, older.issuedAt, newer.issuedAt));
        _request(borrower, madeUp, older, sigOld);
    }

    /// Pinning another model (verifier and schema together) ends the approvals of the old one.
    function test_pinningAnotherModelEndsApprovals() public {
        (CreditGate.Attestation memory a, bytes memory sig) = _attested();
        _request(borrower, fx, a, sig);
        assertTrue(gate.isApproved(borrower), "approved");
        CreditVerifier again = new CreditVerifier();
        gate.pinModel(address(again), again.VK_HASH(), fx.inputSchema);
        assertTrue(!gate.isApproved(borrower), "approvals of the previous pin lapse");
        assertEq(address(gate.verifier()), address(again), "re-pinned");
    }

    /// A thief who copies the borrower's proof and claims it with an attestation of their own.
    function test_aStolenProofWithTheThiefsOwnAttestationIsRefused() public {
        address thief = address(0x7E1F);
        CreditGate.Attestation memory a = _attestation(thief, inputHash, uint64(block.timestamp + 1 days));
        bytes memory sig = _sign(gate, a, PROVIDER_KEY);
        uint256[] memory inst = _instancesWith(2, uint256(uint160(thief)));
        vm.prank(thief);
        vm.expectRevert(CreditGate.InvalidProof.selector);
        gate.requestCredit(fx.proof, inst, a, sig);
        (,, uint64 exp,,,,) = gate.approvals(thief);
        assertEq(exp, 0, "nothing recorded for the thief");
    }

    /// The input-hash instance plus r is the same field element, but not a valid instance.
    function test_anInputHashAtOrAboveRIsRefused() public {
        uint256 aliased = inputHash + R;
        CreditGate.Attestation memory a = _attestation(borrower, aliased, uint64(block.timestamp + 1 days));
        bytes memory sig = _sign(gate, a, PROVIDER_KEY);
        uint256[] memory inst = _instancesWith(1, aliased);
        vm.prank(borrower);
        vm.expectRevert(CreditGate.InvalidProof.selector);
        gate.requestCredit(fx.proof, inst, a, sig);
        _notApproved();
    }

    function test_expiredAttestationIsRefused() public {
        CreditGate.Attestation memory a = _attestation(borrower, inputHash, uint64(block.timestamp + 1 days));
        bytes memory sig = _sign(gate, a, PROVIDER_KEY);
        vm.warp(a.expiresAt);
        vm.expectRevert(abi.encodeWithSelector(CreditGate.AttestationExpired.selector, a.expiresAt, block.timestamp));
        _request(borrower, fx, a, sig);
        _notApproved();
    }

    function test_attestationFromTheFutureIsRefused() public {
        CreditGate.Attestation memory a = _attestation(borrower, inputHash, uint64(block.timestamp + 2 days));
        a.issuedAt = uint64(block.timestamp + 1 days);
        bytes memory sig = _sign(gate, a, PROVIDER_KEY);
        vm.expectRevert(
            abi.encodeWithSelector(CreditGate.AttestationNotYetValid.selector, a.issuedAt, block.timestamp)
        );
        _request(borrower, fx, a, sig);
    }

    function test_attestationForAnotherBorrowerIsRefused() public {
        address mallory = address(0xBAD);
        CreditGate.Attestation memory a = _attestation(mallory, inputHash, uint64(block.timestamp + 1 days));
        bytes memory sig = _sign(gate, a, PROVIDER_KEY);
        // The borrower presents someone else's attestation.
        vm.expectRevert(abi.encodeWithSelector(CreditGate.AttestationForAnotherBorrower.selector, mallory, borrower));
        _request(borrower, fx, a, sig);
        // Mallory presents her attestation with the borrower's proof.
        vm.expectRevert(abi.encodeWithSelector(CreditGate.WrongBorrower.selector, fx.instances[2], mallory));
        _request(mallory, fx, a, sig);
        _notApproved();
    }

    function test_attestationForAnotherChainIsRefused() public {
        (CreditGate.Attestation memory a, bytes memory sig) = _attested();
        vm.chainId(block.chainid + 1);
        // Another domain: the signature recovers some other address.
        vm.expectPartialRevert(CreditGate.UnknownProvider.selector);
        _request(borrower, fx, a, sig);
        _notApproved();
    }

    function test_attestationForAnotherGateIsRefused() public {
        CreditGate second = _gate(score);
        CreditGate.Attestation memory a = _attestation(borrower, inputHash, uint64(block.timestamp + 1 days));
        bytes memory sig = _sign(second, a, PROVIDER_KEY);
        vm.expectPartialRevert(CreditGate.UnknownProvider.selector);
        _request(borrower, fx, a, sig);
        _notApproved();
    }

    function test_attestationForAnotherSchemaIsRefused() public {
        CreditGate.Attestation memory a = _attestation(borrower, inputHash, uint64(block.timestamp + 1 days));
        a.schema = keccak256("another feature set");
        bytes memory sig = _sign(gate, a, PROVIDER_KEY);
        vm.expectRevert(abi.encodeWithSelector(CreditGate.WrongSchema.selector, fx.inputSchema, a.schema));
        _request(borrower, fx, a, sig);
    }

    function test_replaysAreRefused() public {
        (CreditGate.Attestation memory a, bytes memory sig) = _attested();
        _request(borrower, fx, a, sig);
        bytes32 digest = gate.attestationDigest(a);
        vm.expectRevert(abi.encodeWithSelector(CreditGate.AttestationAlreadyUsed.selector, digest));
        _request(borrower, fx, a, sig);
        // A fresh attestation of the same features does not make the used proof usable again.
        CreditGate.Attestation memory b = _attestation(borrower, inputHash, uint64(block.timestamp + 2 days));
        b.issuedAt = uint64(block.timestamp);
        bytes memory sigB = _sign(gate, b, PROVIDER_KEY);
        vm.expectRevert(abi.encodeWithSelector(CreditGate.ProofAlreadyUsed.selector, keccak256(fx.proof)));
        _request(borrower, fx, b, sigB);
    }

    function test_malformedSignaturesAreRefused() public {
        (CreditGate.Attestation memory a, bytes memory sig) = _attested();
        // Too short.
        bytes memory short = new bytes(64);
        for (uint256 i = 0; i < 64; i++) {
            short[i] = sig[i];
        }
        vm.expectRevert(CreditGate.BadSignature.selector);
        _request(borrower, fx, a, short);
        // A bad v.
        bytes memory badV = bytes.concat(sig);
        badV[64] = bytes1(uint8(29));
        vm.expectRevert(CreditGate.BadSignature.selector);
        _request(borrower, fx, a, badV);
        // The malleable twin (s' = n − s, v flipped) of a valid signature.
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(PROVIDER_KEY, gate.attestationDigest(a));
        uint256 n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
        bytes memory twin = abi.encodePacked(r, bytes32(n - uint256(s)), v == 27 ? uint8(28) : uint8(27));
        vm.expectRevert(CreditGate.BadSignature.selector);
        _request(borrower, fx, a, twin);
        // Zero signature.
        vm.expectRevert(CreditGate.BadSignature.selector);
        _request(borrower, fx, a, new bytes(65));
        _notApproved();
    }

    function test_scoreBelowThresholdIsRefused() public {
        gate.setPolicy(score + 1, 1 days);
        (CreditGate.Attestation memory a, bytes memory sig) = _attested();
        vm.expectRevert(abi.encodeWithSelector(CreditGate.ScoreBelowThreshold.selector, score, score + 1));
        _request(borrower, fx, a, sig);
        _notApproved();
    }

    function test_proofForAnotherModelIsRefused() public {
        assertTrue(other.vkHash != fx.vkHash, "a different model");
        CreditGate.Attestation memory a = _attestation(borrower, other.instances[1], uint64(block.timestamp + 1 days));
        bytes memory sig = _sign(gate, a, PROVIDER_KEY);
        vm.expectRevert(CreditGate.InvalidProof.selector);
        _request(borrower, other, a, sig);
        _notApproved();
    }

    function test_tamperedProofIsRefused() public {
        (CreditGate.Attestation memory a, bytes memory sig) = _attested();
        Fixture memory t = fx;
        t.proof = bytes.concat(fx.proof);
        t.proof[100] = bytes1(uint8(t.proof[100]) ^ 1);
        vm.expectRevert(CreditGate.InvalidProof.selector);
        _request(borrower, t, a, sig);
        _notApproved();
    }

    function test_wrongInstanceCountIsRefused() public {
        (CreditGate.Attestation memory a, bytes memory sig) = _attested();
        Fixture memory t = fx;
        t.instances = new uint256[](2);
        t.instances[0] = fx.instances[0];
        t.instances[1] = fx.instances[2];
        vm.expectRevert(abi.encodeWithSelector(CreditGate.WrongInstanceCount.selector, uint256(2)));
        _request(borrower, t, a, sig);
    }

    function test_verifierWithoutCodeIsRefused() public {
        (CreditGate.Attestation memory a, bytes memory sig) = _attested();
        vm.etch(address(verifier), "");
        vm.expectRevert(abi.encodeWithSelector(CreditGate.NoVerifierCode.selector, address(verifier)));
        _request(borrower, fx, a, sig);
        _notApproved();
    }

    /// Code swapped under the pinned address (a proxy, a metamorphic contract) is refused.
    function test_verifierWithOtherCodeIsRefused() public {
        (CreditGate.Attestation memory a, bytes memory sig) = _attested();
        vm.etch(address(verifier), address(new CreditOracleVerifier()).code);
        vm.expectRevert(abi.encodeWithSelector(CreditGate.VerifierCodeChanged.selector, address(verifier)));
        _request(borrower, fx, a, sig);
        _notApproved();
    }

    function test_configurationChecks() public {
        vm.expectRevert(abi.encodeWithSelector(CreditGate.NoVerifierCode.selector, address(0x1234)));
        gate.pinModel(address(0x1234), fx.vkHash, fx.inputSchema);
        CreditOracleVerifier wrong = new CreditOracleVerifier();
        vm.expectRevert(abi.encodeWithSelector(CreditGate.WrongModel.selector, fx.vkHash, wrong.VK_HASH()));
        gate.pinModel(address(wrong), fx.vkHash, fx.inputSchema);
        vm.expectRevert(CreditGate.ZeroSchema.selector);
        gate.pinModel(address(verifier), fx.vkHash, bytes32(0));
        vm.expectRevert(CreditGate.RenounceDisabled.selector);
        gate.renounceOwnership();
        vm.expectRevert(abi.encodeWithSelector(CreditGate.BadValidity.selector, uint64(0)));
        gate.setPolicy(0, 0);
        vm.expectRevert(abi.encodeWithSelector(CreditGate.BadValidity.selector, type(uint64).max));
        gate.setPolicy(0, type(uint64).max);
        vm.expectRevert(CreditGate.ZeroProvider.selector);
        gate.setProvider(address(0), true);
        assertTrue(gate.toSigned(R - 5) == -5, "negative fixed-point value");
        assertTrue(gate.toSigned(7) == 7, "positive");
        vm.expectRevert(abi.encodeWithSelector(CreditGate.NotAFieldElement.selector, R));
        gate.toSigned(R);
    }

    function test_onlyTheOwnerConfigures() public {
        address stranger = address(0x5157);
        vm.startPrank(stranger);
        bytes memory notOwner = abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger);
        vm.expectRevert(notOwner);
        gate.setPolicy(0, 1);
        vm.expectRevert(notOwner);
        gate.pinModel(address(verifier), fx.vkHash, fx.inputSchema);
        vm.expectRevert(notOwner);
        gate.setProvider(stranger, true);
        vm.expectRevert(notOwner);
        gate.revokeApproval(borrower);
        vm.expectRevert(notOwner);
        gate.renounceOwnership();
        vm.expectRevert(notOwner);
        gate.transferOwnership(stranger);
        vm.stopPrank();
        // Two-step transfer: the new owner accepts.
        gate.transferOwnership(stranger);
        assertEq(gate.owner(), address(this), "not moved before acceptance");
        vm.prank(stranger);
        gate.acceptOwnership();
        assertEq(gate.owner(), stranger, "ownership moved");
    }

    /// Any change to one proof byte is refused and records nothing.
    function testFuzz_mutatedProofIsRefused(uint256 index, uint8 flip) public {
        vm.assume(flip != 0);
        (CreditGate.Attestation memory a, bytes memory sig) = _attested();
        Fixture memory t = fx;
        t.proof = bytes.concat(fx.proof);
        index = index % t.proof.length;
        t.proof[index] = bytes1(uint8(t.proof[index]) ^ flip);
        vm.expectRevert(CreditGate.InvalidProof.selector);
        _request(borrower, t, a, sig);
        _notApproved();
    }

    /// Any change to the score instance is refused (including values at or above r).
    function testFuzz_mutatedScoreIsRefused(uint256 value) public {
        vm.assume(value != fx.instances[0]);
        (CreditGate.Attestation memory a, bytes memory sig) = _attested();
        Fixture memory t = fx;
        t.instances = _instancesWith(0, value);
        vm.expectRevert(CreditGate.InvalidProof.selector);
        _request(borrower, t, a, sig);
        _notApproved();
    }

    /// An attested hash and a proven hash that differ in any way are refused, signed or not.
    function testFuzz_otherInputHashIsRefused(uint256 hash) public {
        vm.assume(hash != inputHash);
        CreditGate.Attestation memory a = _attestation(borrower, hash, uint64(block.timestamp + 1 days));
        bytes memory sig = _sign(gate, a, PROVIDER_KEY);
        vm.expectRevert(abi.encodeWithSelector(CreditGate.InputNotAttested.selector, hash, inputHash));
        _request(borrower, fx, a, sig);
        _notApproved();
    }
}
