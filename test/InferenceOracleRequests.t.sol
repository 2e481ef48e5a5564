// SPDX-License-Identifier: MIT
pragma solidity ^0.8.19;

import {Base, Fixture, Log} from "./utils/Base.sol";
import {InferenceOracle} from "../contracts/InferenceOracle.sol";
import {IInferenceConsumer} from "../contracts/IInferenceConsumer.sol";
import {ScoreConsumer} from "../contracts/examples/ScoreConsumer.sol";
import {CreditOracleVerifier} from "../contracts/generated/CreditOracleVerifier.sol";
import {CreditBatchVerifier} from "../contracts/generated/CreditBatchVerifier.sol";

/// A consumer whose callback always reverts (and which refuses ether).
contract RevertingConsumer is IInferenceConsumer {
    function onInference(uint256, bytes32, bytes32, uint256[] calldata) external pure {
        revert("no thanks");
    }
}

/// A consumer whose callback never returns: it burns all the gas it is given.
contract BurningConsumer is IInferenceConsumer {
    uint256 public spins;

    function onInference(uint256, bytes32, bytes32, uint256[] calldata) external {
        while (true) {
            spins++;
        }
    }
}

/// A consumer that records the gas its callback starts with.
contract GasMeter is IInferenceConsumer {
    uint256 public seen;

    function onInference(uint256, bytes32, bytes32, uint256[] calldata) external {
        seen = gasleft();
    }
}

/// A consumer whose callback is cheap (it returns at once) or, once `setBurn(true)`, burns all
/// the gas it is given.
contract ToggleConsumer is IInferenceConsumer {
    bool public burn;
    uint256 public spins;

    function setBurn(bool b) external {
        burn = b;
    }

    function onInference(uint256, bytes32, bytes32, uint256[] calldata) external {
        if (!burn) return;
        while (true) {
            spins++;
        }
    }
}

/// Requests, fulfilments (single and batch), callbacks, refunds and withdrawals, on the fixtures
/// `credit_oracle.json` (one credit inference with public inputs) and `credit_batch.json` (a batch
/// of 4, 3 of them real).
contract InferenceOracleRequestsTest is Base {
    InferenceOracle oracle;
    CreditOracleVerifier verifier;
    CreditBatchVerifier batchVerifier;
    Fixture fx;
    Fixture fxb;
    bytes32 constant MODEL = keccak256("credit-v1");
    bytes32 constant BATCH_MODEL = keccak256("credit-batch-v1");
    address operator = address(0x0CA1);
    address alice = address(0xA11CE);
    address bob = address(0xB0B);
    uint256 constant FEE = 0.01 ether;
    uint64 deadline;

    uint8 constant OPEN = 1;
    uint8 constant FULFILLED = 2;
    uint8 constant REFUNDED = 3;

    function setUp() public {
        fx = loadFixture("credit_oracle.json");
        fxb = loadFixture("credit_batch.json");
        verifier = new CreditOracleVerifier();
        batchVerifier = new CreditBatchVerifier();
        oracle = new InferenceOracle();
        oracle.registerModel(MODEL, address(verifier), verifier.VK_HASH(), uint32(fx.numOutputs), uint32(fx.instances.length));
        oracle.registerBatchModel(
            BATCH_MODEL,
            address(batchVerifier),
            batchVerifier.VK_HASH(),
            uint32(fxb.numOutputs),
            uint32(fxb.memberInstances),
            uint32(fxb.batch)
        );
        oracle.setOperator(operator, true);
        vm.deal(alice, 10 ether);
        vm.deal(bob, 10 ether);
        deadline = uint64(block.timestamp + 1 hours);
    }

    // ---- helpers ----------------------------------------------------------------------------

    /// The single fixture's public inputs (its instances after the outputs).
    function _inputs() internal view returns (uint256[] memory ins) {
        ins = new uint256[](fx.instances.length - fx.numOutputs);
        for (uint256 i = 0; i < ins.length; i++) {
            ins[i] = fx.instances[fx.numOutputs + i];
        }
    }

    /// Batch member `i`'s public inputs.
    function _member(uint256 i) internal view returns (uint256[] memory ins) {
        uint256 at = 1 + i * fxb.memberInstances + fxb.numOutputs;
        ins = new uint256[](fxb.memberInstances - fxb.numOutputs);
        for (uint256 j = 0; j < ins.length; j++) {
            ins[j] = fxb.instances[at + j];
        }
    }

    /// Batch member `i`'s (first) output.
    function _memberOutput(uint256 i) internal view returns (uint256) {
        return fxb.instances[1 + i * fxb.memberInstances];
    }

    /// `who` requests the single model on the fixture's inputs, paying `fee`, without callback.
    function _request(address who, uint256 fee) internal returns (uint256 id) {
        uint256[] memory ins = _inputs();
        vm.prank(who);
        id = oracle.request{value: fee}(MODEL, ins, "", deadline, 0);
    }

    function _status(uint256 id) internal view returns (uint8) {
        (,,,,,, InferenceOracle.RequestStatus s,) = oracle.requests(id);
        return uint8(s);
    }

    function _ids(uint256 a, uint256 b, uint256 c) internal pure returns (uint256[] memory ids) {
        ids = new uint256[](3);
        (ids[0], ids[1], ids[2]) = (a, b, c);
    }

    /// The `RequestFulfilled` logs among `logs`: how many, and whether every callback was ok.
    function _fulfilments(Log[] memory logs) internal pure returns (uint256 n, bool allOk) {
        allOk = true;
        for (uint256 i = 0; i < logs.length; i++) {
            if (logs[i].topics[0] != InferenceOracle.RequestFulfilled.selector) continue;
            n++;
            (,, bool ok) = abi.decode(logs[i].data, (bytes32, address, bool));
            allOk = allOk && ok;
        }
    }

    function _count(Log[] memory logs, bytes32 topic) internal pure returns (uint256 n) {
        for (uint256 i = 0; i < logs.length; i++) {
            if (logs[i].topics[0] == topic) n++;
        }
    }

    /// Prints through forge's console (shown with -vv).
    function _log(string memory what, uint256 value) internal view {
        (bool ok,) = address(0x000000000000000000636F6e736F6c652e6c6f67).staticcall(
            abi.encodeWithSignature("log(string,uint256)", what, value)
        );
        ok;
    }

    // ---- requests ---------------------------------------------------------------------------

    function test_requestStoresAndEmits() public {
        uint256[] memory ins = _inputs();
        bytes32 key = oracle.inputKey(ins);
        vm.expectEmit(true, true, true, true, address(oracle));
        emit InferenceOracle.InferenceRequested(1, MODEL, alice, key, ins, "ipfs://features", FEE, deadline, 50_000);
        vm.prank(alice);
        uint256 id = oracle.request{value: FEE}(MODEL, ins, "ipfs://features", deadline, 50_000);
        assertEq(id, 1, "ids start at 1");
        assertEq(oracle.requestCount(), 1, "one request");
        (
            bytes32 modelId,
            bytes32 k,
            address requester,
            uint96 fee,
            uint64 dl,
            uint32 gasLimit,
            InferenceOracle.RequestStatus status,
            uint32 version
        ) = oracle.requests(1);
        assertEq(modelId, MODEL, "model");
        assertEq(k, key, "input key");
        assertEq(requester, alice, "requester");
        assertEq(fee, FEE, "fee");
        assertEq(dl, deadline, "deadline");
        assertEq(gasLimit, 50_000, "callback gas");
        assertEq(uint8(status), OPEN, "open");
        assertEq(version, 1, "the model version it was made for");
        assertEq(address(oracle).balance, FEE, "fee in escrow");
        assertEq(alice.balance, 10 ether - FEE, "paid by the requester");
        assertEq(_request(bob, 0), 2, "the next id");
    }

    function test_requestsAreValidated() public {
        uint256[] memory ins = _inputs();
        vm.startPrank(alice);
        bytes32 nope = keccak256("nope");
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.UnknownModel.selector, nope));
        oracle.request(nope, ins, "", deadline, 0);

        uint256[] memory short = new uint256[](ins.length - 1);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.WrongInputCount.selector, ins.length, short.length));
        oracle.request(MODEL, short, "", deadline, 0);
        // a batch model takes one member's inputs
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.WrongInputCount.selector, ins.length, short.length));
        oracle.request(BATCH_MODEL, short, "", deadline, 0);

        uint256[] memory big = _inputs();
        big[3] = R;
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.NotAFieldElement.selector, R));
        oracle.request(MODEL, big, "", deadline, 0);

        uint64 now_ = uint64(block.timestamp);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.BadDeadline.selector, now_));
        oracle.request(MODEL, ins, "", now_, 0);

        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.CallbackGasTooHigh.selector, uint32(1_000_001), uint32(1_000_000)));
        oracle.request(MODEL, ins, "", deadline, 1_000_001);

        uint256 tooMuch = uint256(type(uint96).max) + 1;
        vm.deal(alice, tooMuch);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.FeeTooLarge.selector, tooMuch));
        oracle.request{value: tooMuch}(MODEL, ins, "", deadline, 0);
        vm.stopPrank();

        assertEq(oracle.requestCount(), 0, "nothing requested");
        // the limits themselves are fine, and anyone (not only operators) may request
        big[3] = R - 1;
        vm.prank(alice);
        assertEq(oracle.request(MODEL, big, "", now_ + 1, 1_000_000), 1, "accepted");
    }

    // ---- fulfilment -------------------------------------------------------------------------

    function test_fulfilStoresTheResultAndPaysTheOperator() public {
        uint256 id = _request(alice, FEE);
        (bytes memory proof, uint256[] memory inst) = (fx.proof, fx.instances);
        vm.recordLogs();
        vm.prank(operator);
        uint256 g = gasleft();
        bytes32 key = oracle.fulfil(id, proof, inst);
        g -= gasleft();
        _log("fulfil gas (no callback)", g);
        assertEq(key, oracle.inputKey(_inputs()), "the request's key");
        (uint256[] memory outputs, uint64 blockNumber, address by) = oracle.latest(MODEL, key);
        assertEq(outputs.length, fx.numOutputs, "outputs stored");
        assertEq(outputs[0], fx.instances[0], "the proven output");
        assertEq(blockNumber, block.number, "block number");
        assertEq(by, operator, "operator");
        assertEq(_status(id), FULFILLED, "fulfilled");
        assertTrue(oracle.usedProofs(keccak256(fx.proof)), "proof marked used");
        Log[] memory logs = vm.getRecordedLogs();
        (uint256 n, bool ok) = _fulfilments(logs);
        assertEq(n, 1, "RequestFulfilled");
        assertTrue(ok, "no callback counts as ok");
        assertEq(_count(logs, InferenceOracle.OutputPosted.selector), 1, "OutputPosted as for post");

        assertEq(oracle.balances(operator), FEE, "fee credited");
        address payable payee = payable(address(0xFEE));
        vm.prank(operator);
        assertEq(oracle.withdraw(payee), FEE, "withdrawn");
        assertEq(payee.balance, FEE, "paid out");
        assertEq(oracle.balances(operator), 0, "balance cleared");
        assertEq(address(oracle).balance, 0, "escrow empty");
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.NothingToWithdraw.selector, operator));
        oracle.withdraw(payee);
    }

    function test_callbackDeliversTheOutputsToAScoreConsumer() public {
        ScoreConsumer consumer = new ScoreConsumer(oracle, MODEL);
        uint256[] memory ins = _inputs();
        bytes32 key = oracle.inputKey(ins);
        vm.prank(alice);
        uint256 id = consumer.ask{value: FEE}(ins, "", 1 hours, 200_000);
        (,, address requester,,,,,) = oracle.requests(id);
        assertEq(requester, address(consumer), "the consumer is the requester");
        assertEq(consumer.askerOf(id), alice, "asker recorded");
        assertTrue(!consumer.answered(id), "not yet answered");

        (bytes memory proof, uint256[] memory inst) = (fx.proof, fx.instances);
        vm.recordLogs();
        vm.prank(operator);
        uint256 g = gasleft();
        oracle.fulfil(id, proof, inst);
        g -= gasleft();
        _log("fulfil gas (ScoreConsumer callback)", g);
        Log[] memory logs = vm.getRecordedLogs();
        (uint256 n, bool ok) = _fulfilments(logs);
        assertEq(n, 1, "RequestFulfilled");
        assertTrue(ok, "callback ok");
        assertEq(_count(logs, ScoreConsumer.ScoreReceived.selector), 1, "ScoreReceived");
        assertTrue(consumer.answered(id), "answered");
        uint256[] memory got = consumer.outputsOf(id);
        assertEq(got.length, fx.numOutputs, "outputs delivered");
        assertEq(got[0], fx.instances[0], "the proven output");
        (uint256[] memory stored,,) = oracle.latest(MODEL, key);
        assertEq(stored[0], got[0], "same as stored");

        // only the oracle delivers, and an answered request has no refund
        vm.expectRevert(abi.encodeWithSelector(ScoreConsumer.NotOracle.selector, address(this)));
        consumer.onInference(id, MODEL, key, got);
        vm.warp(deadline + 1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ScoreConsumer.NotRefundable.selector, id));
        consumer.claimRefund(id, payable(alice));
    }

    function test_aRevertingCallbackUndoesNothing() public {
        RevertingConsumer consumer = new RevertingConsumer();
        uint256[] memory ins = _inputs();
        vm.prank(address(consumer));
        uint256 id = oracle.request(MODEL, ins, "", deadline, 100_000);
        vm.recordLogs();
        vm.prank(operator);
        bytes32 key = oracle.fulfil(id, fx.proof, fx.instances);
        (uint256 n, bool ok) = _fulfilments(vm.getRecordedLogs());
        assertEq(n, 1, "fulfilled");
        assertTrue(!ok, "callbackOk = false");
        assertEq(_status(id), FULFILLED, "still fulfilled");
        (uint256[] memory outputs,,) = oracle.latest(MODEL, key);
        assertEq(outputs[0], fx.instances[0], "result stays stored");
    }

    function test_aGasBurningCallbackUndoesNothing() public {
        BurningConsumer consumer = new BurningConsumer();
        uint256[] memory ins = _inputs();
        vm.prank(address(consumer));
        uint256 id = oracle.request(MODEL, ins, "", deadline, 300_000);
        (bytes memory proof, uint256[] memory inst) = (fx.proof, fx.instances);
        vm.recordLogs();
        vm.prank(operator);
        uint256 g = gasleft();
        bytes32 key = oracle.fulfil(id, proof, inst);
        g -= gasleft();
        (uint256 n, bool ok) = _fulfilments(vm.getRecordedLogs());
        assertEq(n, 1, "fulfilled");
        assertTrue(!ok, "callbackOk = false");
        assertTrue(g > 300_000, "the callback burned its whole limit");
        assertEq(consumer.spins(), 0, "its effects are undone");
        assertEq(_status(id), FULFILLED, "still fulfilled");
        (uint256[] memory outputs,,) = oracle.latest(MODEL, key);
        assertEq(outputs[0], fx.instances[0], "result stays stored");
    }

    function test_tooLittleGasForTheCallbackIsRefused() public {
        ScoreConsumer consumer = new ScoreConsumer(oracle, MODEL);
        uint256[] memory ins = _inputs();
        vm.prank(alice);
        uint256 id = consumer.ask(ins, "", 1 hours, 1_000_000);
        // what verification alone costs, then a budget that covers it and the bookkeeping but
        // not the callback guard (1_000_000 + 1_000_000 / 63 + 10_000)
        (bytes memory proof, uint256[] memory inst) = (fx.proof, fx.instances);
        uint256 g = gasleft();
        assertTrue(verifier.verifyProof(proof, inst), "verifies");
        uint256 verifyGas = g - gasleft();
        _log("verifyProof gas", verifyGas);
        uint256 budget = verifyGas + 400_000;
        assertTrue(budget - verifyGas < uint256(1_000_000) + uint256(1_000_000) / 63 + 10_000, "short of the guard after verifying");
        vm.prank(operator);
        vm.expectPartialRevert(InferenceOracle.InsufficientGas.selector);
        oracle.fulfil{gas: budget}(id, proof, inst);
        assertEq(_status(id), OPEN, "still open");
        assertTrue(!oracle.usedProofs(keccak256(fx.proof)), "proof not consumed");
        // with enough gas the same fulfilment goes through and the callback gets its limit
        vm.prank(operator);
        oracle.fulfil{gas: budget + 1_100_000}(id, proof, inst);
        assertTrue(consumer.answered(id), "delivered");
    }

    /// Reverts with what a fulfilment with exactly `gas` gas did, undoing it.
    error Probed(uint256 callbackGas);

    function probe(uint256 id, uint256 gas, GasMeter meter) external {
        (bytes memory proof, uint256[] memory inst) = (fx.proof, fx.instances);
        vm.prank(operator);
        oracle.fulfil{gas: gas}(id, proof, inst);
        revert Probed(meter.seen());
    }

    /// At the least gas a fulfilment goes through with, the callback still gets its whole
    /// limit; with less, the fulfilment reverts `InsufficientGas` (not a starved callback).
    function test_theCallbackAlwaysGetsItsWholeLimit() public {
        GasMeter meter = new GasMeter();
        uint32 limit = 500_000;
        uint256[] memory ins = _inputs();
        vm.prank(address(meter));
        uint256 id = oracle.request(MODEL, ins, "", deadline, limit);
        (uint256 lo, uint256 hi) = (100_000, 5_000_000); // fails, succeeds
        uint256 seenAtHi;
        bytes4 belowHi;
        while (hi - lo > 16) {
            uint256 mid = (lo + hi) / 2;
            try this.probe(id, mid, meter) {}
            catch (bytes memory reason) {
                if (bytes4(reason) == Probed.selector) {
                    hi = mid;
                    seenAtHi = abi.decode(_tail(reason), (uint256));
                } else {
                    lo = mid;
                    belowHi = bytes4(reason);
                }
            }
        }
        _log("least gas for fulfil with a 500k callback", hi);
        assertTrue(seenAtHi > 0, "found a fulfilment that went through");
        assertTrue(seenAtHi <= limit && seenAtHi + 1_000 >= limit, "the callback got its whole limit");
        assertTrue(belowHi == InferenceOracle.InsufficientGas.selector, "just below: InsufficientGas");
        assertEq(_status(id), OPEN, "probes left no trace");
    }

    function _tail(bytes memory reason) internal pure returns (bytes memory t) {
        t = new bytes(reason.length - 4);
        for (uint256 i = 0; i < t.length; i++) {
            t[i] = reason[i + 4];
        }
    }

    function test_fulfillingTwiceIsRefused() public {
        uint256 id = _request(alice, FEE);
        vm.startPrank(operator);
        oracle.fulfil(id, fx.proof, fx.instances);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.RequestNotOpen.selector, id, FULFILLED));
        oracle.fulfil(id, fx.proof, fx.instances);
        vm.stopPrank();
        assertEq(oracle.balances(operator), FEE, "paid once");
        // another request on the same inputs needs a fresh proof
        uint256 again = _request(bob, FEE);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.ProofAlreadyUsed.selector, keccak256(fx.proof)));
        oracle.fulfil(again, fx.proof, fx.instances);
        assertEq(_status(again), OPEN, "still open");
    }

    function test_aProofForOtherInputsIsRefused() public {
        uint256[] memory other = _inputs();
        other[0] += 1;
        vm.prank(alice);
        uint256 id = oracle.request{value: FEE}(MODEL, other, "", deadline, 0);
        bytes32 expected = oracle.inputKey(other);
        bytes32 got = oracle.inputKey(_inputs());
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.WrongInputs.selector, id, expected, got));
        oracle.fulfil(id, fx.proof, fx.instances);
        assertEq(_status(id), OPEN, "still open");
        // and the instances cannot be bent to the request either: the proof no longer verifies
        uint256[] memory bent = fx.instances;
        bent[fx.numOutputs] += 1;
        vm.prank(operator);
        vm.expectRevert(InferenceOracle.InvalidProof.selector);
        oracle.fulfil(id, fx.proof, bent);
    }

    function test_aTamperedProofIsRefused() public {
        uint256 id = _request(alice, FEE);
        bytes memory p = fx.proof;
        p[7] = bytes1(uint8(p[7]) ^ 1);
        vm.prank(operator);
        vm.expectRevert(InferenceOracle.InvalidProof.selector);
        oracle.fulfil(id, p, fx.instances);
        uint256[] memory shorter = new uint256[](1);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.WrongInstanceCount.selector, fx.instances.length, uint256(1)));
        oracle.fulfil(id, fx.proof, shorter);
        assertEq(_status(id), OPEN, "still open");
        assertEq(oracle.balances(operator), 0, "no fee");
        bytes32 key = oracle.inputKey(_inputs());
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.UnknownKey.selector, MODEL, key));
        oracle.latest(MODEL, key);
    }

    function test_onlyOperatorsFulfil() public {
        uint256 id = _request(alice, FEE);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.NotOperator.selector, bob));
        oracle.fulfil(id, fx.proof, fx.instances);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.NotOperator.selector, alice));
        oracle.fulfil(id, fx.proof, fx.instances);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.NotOperator.selector, bob));
        oracle.fulfilBatch(_ids(id, id, id), fxb.proof, fxb.instances);
        assertEq(_status(id), OPEN, "still open");
    }

    function test_unknownRequestsAreRefused() public {
        vm.startPrank(operator);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.UnknownRequest.selector, 0));
        oracle.fulfil(0, fx.proof, fx.instances);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.UnknownRequest.selector, 7));
        oracle.fulfil(7, fx.proof, fx.instances);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.UnknownRequest.selector, 7));
        oracle.fulfilBatch(_ids(7, 8, 9), fxb.proof, fxb.instances);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.UnknownRequest.selector, 7));
        oracle.refund(7);
        vm.stopPrank();
    }

    // ---- expiry, refunds, withdrawals -------------------------------------------------------

    function test_anExpiredRequestIsRefundedOnce() public {
        uint256 id = _request(alice, FEE);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.RequestNotExpired.selector, id, deadline));
        oracle.refund(id);
        vm.warp(deadline); // the deadline itself still belongs to the operators
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.RequestNotExpired.selector, id, deadline));
        oracle.refund(id);

        vm.warp(deadline + 1);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.RequestExpired.selector, id, deadline));
        oracle.fulfil(id, fx.proof, fx.instances);

        vm.expectEmit(true, true, true, true, address(oracle));
        emit InferenceOracle.RequestRefunded(id, alice, FEE);
        vm.prank(bob); // anyone may trigger it; the fee goes to the requester
        oracle.refund(id);
        assertEq(_status(id), REFUNDED, "refunded");
        assertEq(oracle.balances(alice), FEE, "credited to the requester");
        assertEq(oracle.balances(bob), 0, "not to the caller");

        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.RequestNotOpen.selector, id, REFUNDED));
        oracle.refund(id);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.RequestNotOpen.selector, id, REFUNDED));
        oracle.fulfil(id, fx.proof, fx.instances);

        vm.prank(alice);
        oracle.withdraw(payable(alice));
        assertEq(alice.balance, 10 ether, "fee back");
        assertEq(oracle.balances(alice), 0, "balance cleared");
    }

    function test_fulfilmentAtTheDeadlineCannotBeRefunded() public {
        uint256 id = _request(alice, FEE);
        vm.warp(deadline);
        vm.prank(operator);
        oracle.fulfil(id, fx.proof, fx.instances);
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.RequestNotOpen.selector, id, FULFILLED));
        oracle.refund(id);
        assertEq(oracle.balances(alice), 0, "no refund");
        assertEq(oracle.balances(operator), FEE, "the operator's fee");
    }

    function test_withdrawingNothingOrToARefuserIsRefused() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.NothingToWithdraw.selector, alice));
        oracle.withdraw(payable(alice));

        uint256 id = _request(alice, FEE);
        vm.prank(operator);
        oracle.fulfil(id, fx.proof, fx.instances);
        address payable refuser = payable(address(new RevertingConsumer()));
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.WithdrawFailed.selector, refuser, FEE));
        oracle.withdraw(refuser);
        assertEq(oracle.balances(operator), FEE, "balance kept");
    }

    function test_scoreConsumerClaimsARefund() public {
        ScoreConsumer consumer = new ScoreConsumer(oracle, MODEL);
        uint256[] memory ins = _inputs();
        vm.prank(alice);
        uint256 mine = consumer.ask{value: FEE}(ins, "ipfs://a", 1 hours, 200_000);
        vm.prank(bob);
        uint256 his = consumer.ask{value: 2 * FEE}(ins, "ipfs://b", 1 hours, 200_000);

        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.RequestNotExpired.selector, mine, deadline));
        consumer.claimRefund(mine, payable(alice));
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ScoreConsumer.NotAsker.selector, mine, bob));
        consumer.claimRefund(mine, payable(bob));

        vm.warp(deadline + 1);
        oracle.refund(his); // anyone may: bob's refund now sits with the consumer
        assertEq(oracle.balances(address(consumer)), 2 * FEE, "bob's refund credited to the consumer");
        address payable payee = payable(address(0xA11CE2));
        vm.prank(alice);
        consumer.claimRefund(mine, payee);
        assertEq(payee.balance, FEE, "alice gets her fee, and only hers");
        assertEq(_status(mine), REFUNDED, "refunded");
        assertEq(address(consumer).balance, 2 * FEE, "bob's refund kept for him");
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ScoreConsumer.NotAsker.selector, mine, alice));
        consumer.claimRefund(mine, payee);

        vm.prank(bob);
        consumer.claimRefund(his, payable(bob));
        assertEq(bob.balance, 10 ether, "bob's fee back");
        assertEq(address(consumer).balance, 0, "consumer empty");
        assertEq(address(oracle).balance, 0, "oracle empty");
    }

    // ---- batches ----------------------------------------------------------------------------

    /// Requests for the three real members of the batch fixture, by alice, bob and alice.
    function _batchRequests() internal returns (uint256[] memory ids) {
        ids = new uint256[](3);
        for (uint256 i = 0; i < 3; i++) {
            uint256[] memory ins = _member(i);
            vm.prank(i == 1 ? bob : alice);
            ids[i] = oracle.request{value: FEE * (i + 1)}(BATCH_MODEL, ins, "", deadline, 0);
        }
    }

    function test_batchFulfilsThreeRequestsWithOneProof() public {
        uint256[] memory ids = _batchRequests();
        (bytes memory proof, uint256[] memory inst) = (fxb.proof, fxb.instances);
        vm.recordLogs();
        vm.prank(operator);
        uint256 g = gasleft();
        oracle.fulfilBatch(ids, proof, inst);
        g -= gasleft();
        _log("fulfilBatch gas (3 members, no callbacks)", g);
        Log[] memory logs = vm.getRecordedLogs();
        (uint256 n, bool ok) = _fulfilments(logs);
        assertEq(n, 3, "one RequestFulfilled per request");
        assertTrue(ok, "no callbacks");
        assertEq(_count(logs, InferenceOracle.OutputPosted.selector), 3, "three stored, the padding never");
        assertEq(_count(logs, InferenceOracle.BatchPosted.selector), 1, "BatchPosted");
        for (uint256 i = 0; i < 3; i++) {
            assertEq(_status(ids[i]), FULFILLED, "fulfilled");
            (uint256[] memory outputs,, address by) = oracle.latest(BATCH_MODEL, oracle.inputKey(_member(i)));
            assertEq(outputs[0], _memberOutput(i), "the member's proven output");
            assertEq(by, operator, "operator");
        }
        assertEq(oracle.balances(operator), 6 * FEE, "all three fees");
        assertTrue(oracle.usedProofs(keccak256(fxb.proof)), "proof used");
    }

    function test_batchCallbacksReachEachConsumer() public {
        ScoreConsumer consumer = new ScoreConsumer(oracle, BATCH_MODEL);
        RevertingConsumer bad = new RevertingConsumer();
        uint256[] memory ids = new uint256[](3);
        uint256[] memory ins = _member(0);
        vm.prank(alice);
        ids[0] = consumer.ask(ins, "", 1 hours, 200_000);
        ins = _member(1);
        vm.prank(address(bad));
        ids[1] = oracle.request(BATCH_MODEL, ins, "", deadline, 200_000);
        ins = _member(2);
        vm.prank(alice);
        ids[2] = consumer.ask(ins, "", 1 hours, 200_000);
        vm.recordLogs();
        vm.prank(operator);
        oracle.fulfilBatch(ids, fxb.proof, fxb.instances);
        (uint256 n, bool ok) = _fulfilments(vm.getRecordedLogs());
        assertEq(n, 3, "three fulfilled");
        assertTrue(!ok, "the reverting consumer's callback failed");
        assertEq(consumer.outputsOf(ids[0])[0], _memberOutput(0), "member 0 to its requester");
        assertEq(consumer.outputsOf(ids[2])[0], _memberOutput(2), "member 2 to its requester");
        assertEq(_status(ids[1]), FULFILLED, "the failed callback undid nothing");
    }

    function test_batchInTheWrongOrderIsRefused() public {
        uint256[] memory ids = _batchRequests();
        bytes32 k0 = oracle.inputKey(_member(0));
        bytes32 k1 = oracle.inputKey(_member(1));
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.WrongInputs.selector, ids[1], k1, k0));
        oracle.fulfilBatch(_ids(ids[1], ids[0], ids[2]), fxb.proof, fxb.instances);
        for (uint256 i = 0; i < 3; i++) {
            assertEq(_status(ids[i]), OPEN, "still open");
        }
    }

    function test_batchListingARequestTwiceIsRefused() public {
        uint256[] memory ids = _batchRequests();
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.RequestNotOpen.selector, ids[0], FULFILLED));
        oracle.fulfilBatch(_ids(ids[0], ids[0], ids[2]), fxb.proof, fxb.instances);
        // a second request on member 2's inputs cannot take the padding member's place either:
        // the proof says 3 members
        uint256[] memory ins = _member(2);
        vm.prank(bob);
        uint256 extra = oracle.request(BATCH_MODEL, ins, "", deadline, 0);
        uint256[] memory four = new uint256[](4);
        (four[0], four[1], four[2], four[3]) = (ids[0], ids[1], ids[2], extra);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.WrongRequestCount.selector, 4, 3));
        oracle.fulfilBatch(four, fxb.proof, fxb.instances);
        assertEq(_status(ids[0]), OPEN, "still open");
    }

    function test_batchWithTheWrongRequestCountIsRefused() public {
        uint256[] memory ids = _batchRequests();
        uint256[] memory two = new uint256[](2);
        (two[0], two[1]) = (ids[0], ids[1]);
        vm.startPrank(operator);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.WrongRequestCount.selector, 2, 3));
        oracle.fulfilBatch(two, fxb.proof, fxb.instances);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.WrongRequestCount.selector, 0, 3));
        oracle.fulfilBatch(new uint256[](0), fxb.proof, fxb.instances);
        vm.stopPrank();
    }

    function test_batchOfExpiredOrMixedRequestsIsRefused() public {
        bytes32 other = keccak256("credit-batch-v2");
        oracle.registerBatchModel(
            other, address(batchVerifier), batchVerifier.VK_HASH(), uint32(fxb.numOutputs), uint32(fxb.memberInstances), 4
        );
        uint256[] memory ids = _batchRequests();
        uint256[] memory ins = _member(2);
        vm.prank(bob);
        uint256 elsewhere = oracle.request(other, ins, "", deadline, 0);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.MixedModels.selector, BATCH_MODEL, other));
        oracle.fulfilBatch(_ids(ids[0], ids[1], elsewhere), fxb.proof, fxb.instances);

        vm.warp(deadline + 1);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.RequestExpired.selector, ids[0], deadline));
        oracle.fulfilBatch(ids, fxb.proof, fxb.instances);
    }

    function test_batchAndSingleFulfilmentsDoNotMix() public {
        uint256 single = _request(alice, FEE);
        uint256[] memory ids = _batchRequests();
        vm.startPrank(operator);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.NotABatchModel.selector, MODEL));
        oracle.fulfilBatch(_ids(single, ids[1], ids[2]), fxb.proof, fxb.instances);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.BatchModel.selector, BATCH_MODEL, uint32(4)));
        oracle.fulfil(ids[0], fxb.proof, fxb.instances);
        vm.stopPrank();
        assertEq(_status(single), OPEN, "still open");
        assertEq(_status(ids[0]), OPEN, "still open");
    }

    // ---- one consumer, several callbacks in a batch --------------------------------------------

    /// Reverts with the gas a batch fulfilment with exactly `gas` gas used, undoing it.
    function probeBatch(uint256[] calldata ids, uint256 gas) external {
        (bytes memory proof, uint256[] memory inst) = (fxb.proof, fxb.instances);
        vm.prank(operator);
        uint256 g = gasleft();
        oracle.fulfilBatch{gas: gas}(ids, proof, inst);
        revert Probed(g - gasleft());
    }

    /// The three members' requests, all by `consumer`, each with a `limit` callback.
    function _toggleRequests(ToggleConsumer consumer, uint32 limit) internal returns (uint256[] memory ids) {
        ids = new uint256[](3);
        for (uint256 i = 0; i < 3; i++) {
            uint256[] memory ins = _member(i);
            vm.prank(address(consumer));
            ids[i] = oracle.request(BATCH_MODEL, ins, "", deadline, limit);
        }
    }

    /// A batch fulfilment with `gas`: whether it went through, the gas it used if it did, and
    /// otherwise the revert reason.
    function _tryBatch(uint256[] memory ids, uint256 gas) internal returns (bool ok, uint256 used, bytes memory reason) {
        try this.probeBatch(ids, gas) {}
        catch (bytes memory r) {
            if (bytes4(r) == Probed.selector) return (true, abi.decode(_tail(r), (uint256)), r);
            return (false, 0, r);
        }
    }

    /// Asserts `reason` is `InsufficientGas` for the whole batch's reservation `total`: the
    /// guard of the first callback, so no callback ran.
    function _assertShortAtFirstCallback(bytes memory reason, uint256 total, string memory what) internal pure {
        assertTrue(reason.length >= 4 && bytes4(reason) == InferenceOracle.InsufficientGas.selector, what);
        (uint256 needed, uint256 left) = abi.decode(_tail(reason), (uint256, uint256));
        assertEq(needed, total, "needed = every callback's reservation: the first callback's guard");
        assertTrue(left < total, "short of it");
    }

    /// With `gas`, too little for all three burning callbacks, the batch reverts
    /// `InsufficientGas` at the first callback: beyond `probeOverhead` (what `probeBatch` costs
    /// besides the fulfilment) it used less than half a callback's `limit` more than `before`,
    /// so no callback burned its limit.
    function _assertBurningShortRevertsFirst(
        uint256[] memory ids,
        uint256 gas,
        uint256 total,
        uint256 before,
        uint256 limit,
        uint256 probeOverhead
    ) internal {
        uint256 g = gasleft();
        (bool ok,, bytes memory reason) = _tryBatch(ids, gas);
        g -= gasleft();
        assertTrue(!ok, "too little gas for all three burning callbacks");
        _assertShortAtFirstCallback(reason, total, "burning, short: InsufficientGas");
        assertTrue(g < probeOverhead + before + limit / 2, "no callback ran (none burned its limit)");
    }

    /// The least gas (within 16) with which the batch `ids` goes through, the most with which
    /// it was seen to fail, and the revert reason there.
    function _leastBatchGas(uint256[] memory ids) internal returns (uint256 hi, uint256 lo, bytes memory belowHi) {
        (lo, hi) = (100_000, 20_000_000); // fails, succeeds
        while (hi - lo > 16) {
            uint256 mid = (lo + hi) / 2;
            (bool ok,, bytes memory reason) = _tryBatch(ids, mid);
            if (ok) {
                hi = mid;
            } else {
                lo = mid;
                belowHi = reason;
            }
        }
    }

    /// Fulfils the batch `ids` of burning callbacks with `gas`, checks it went through with
    /// `callbackOk = false` for each, and returns the gas it used.
    function _fulfilBurning(uint256[] memory ids, uint256 gas) internal returns (uint256 used) {
        (bytes memory proof, uint256[] memory inst) = (fxb.proof, fxb.instances);
        vm.recordLogs();
        vm.prank(operator);
        used = gasleft();
        oracle.fulfilBatch{gas: gas}(ids, proof, inst);
        used -= gasleft();
        _log("fulfilBatch gas (three burning 300k callbacks)", used);
        Log[] memory logs = vm.getRecordedLogs();
        (uint256 n,) = _fulfilments(logs);
        assertEq(n, 3, "three fulfilled");
        for (uint256 i = 0; i < logs.length; i++) {
            if (logs[i].topics[0] != InferenceOracle.RequestFulfilled.selector) continue;
            (,, bool ok) = abi.decode(logs[i].data, (bytes32, address, bool));
            assertTrue(!ok, "callbackOk = false: the callback burned its limit");
        }
        assertEq(_count(logs, InferenceOracle.BatchPosted.selector), 1, "BatchPosted");
    }

    /// One consumer with three callback requests in a batch: the least gas with which the batch
    /// goes through while the callbacks are cheap (what eth_estimateGas finds) reserves every
    /// callback's whole limit, so the same gas also carries three callbacks that burn their
    /// whole limits; with less (down to what a guard for one callback at a time let through),
    /// the batch reverts `InsufficientGas` at the first callback, before any callback ran.
    function test_batchReservesEveryCallbacksGasBeforeTheFirst() public {
        ToggleConsumer consumer = new ToggleConsumer();
        uint32 limit = 300_000;
        uint256[] memory ids = _toggleRequests(consumer, limit);
        uint256 total = 3 * (uint256(limit) + limit / 63 + oracle.CALLBACK_OVERHEAD());

        // the estimate: the least gas with which the batch goes through with cheap callbacks
        (uint256 estimate, uint256 lo, bytes memory belowHi) = _leastBatchGas(ids);
        _log("least gas for fulfilBatch with three cheap 300k callbacks", estimate);
        uint256 probeOverhead = gasleft();
        (bool cheapOk, uint256 cheapUsed,) = _tryBatch(ids, estimate);
        probeOverhead -= gasleft() + cheapUsed;
        assertTrue(cheapOk, "cheap callbacks go through with the estimate");
        assertTrue(estimate > total, "the estimate covers all three reservations");
        assertTrue(cheapUsed + 2 * uint256(limit) < estimate, "though cheap callbacks leave most of it unused");
        _assertShortAtFirstCallback(belowHi, total, "cheap, just below the estimate: InsufficientGas");

        consumer.setBurn(true);
        // just below the estimate, and with what a guard for one callback at a time let
        // through (the bookkeeping, one callback's reservation and some), the batch of burning
        // callbacks reverts at the first callback
        uint256 before = estimate - total; // at least what the batch uses before its callbacks
        _assertBurningShortRevertsFirst(ids, lo, total, before, limit, probeOverhead);
        _assertBurningShortRevertsFirst(ids, before + total / 3 + 50_000, total, before, limit, probeOverhead);
        for (uint256 i = 0; i < 3; i++) {
            assertEq(_status(ids[i]), OPEN, "probes left no trace");
        }

        // with the cheap estimate, the three burning callbacks each get their whole limit (the
        // three cheap ones used a few thousand gas together)
        uint256 used = _fulfilBurning(ids, estimate);
        assertTrue(used + 10_000 >= cheapUsed + 3 * uint256(limit), "all three got their whole limit");
        assertTrue(used <= cheapUsed + 3 * uint256(limit), "and no more");
        assertEq(consumer.spins(), 0, "their effects are undone");
        for (uint256 i = 0; i < 3; i++) {
            assertEq(_status(ids[i]), FULFILLED, "fulfilled");
        }
    }

    // ---- model versions ---------------------------------------------------------------------

    function _version(uint256 id) internal view returns (uint32 v) {
        (,,,,,,, v) = oracle.requests(id);
    }

    /// The owner re-registers the single model with the same verifier (same circuit, new version).
    function _reRegister() internal {
        oracle.registerModel(MODEL, address(verifier), verifier.VK_HASH(), uint32(fx.numOutputs), uint32(fx.instances.length));
    }

    /// The owner re-registers the batch model with the same verifier.
    function _reRegisterBatch() internal {
        oracle.registerBatchModel(
            BATCH_MODEL,
            address(batchVerifier),
            batchVerifier.VK_HASH(),
            uint32(fxb.numOutputs),
            uint32(fxb.memberInstances),
            uint32(fxb.batch)
        );
    }

    function test_modelVersionCountsRegistrations() public {
        assertEq(oracle.modelVersion(MODEL), 1, "first registration: 1");
        assertEq(oracle.modelVersion(BATCH_MODEL), 1, "first batch registration: 1");
        assertEq(oracle.modelVersion(keccak256("nope")), 0, "never registered: 0");
        uint256 before = _request(alice, 0);
        assertEq(_version(before), 1, "a request records the current version");
        _reRegister();
        assertEq(oracle.modelVersion(MODEL), 2, "re-registration: 2");
        _reRegister();
        assertEq(oracle.modelVersion(MODEL), 3, "again: 3");
        _reRegisterBatch();
        assertEq(oracle.modelVersion(BATCH_MODEL), 2, "registerBatchModel bumps it too");
        assertEq(oracle.modelVersion(MODEL), 3, "per model id");
        // a failed registration bumps nothing
        bytes32 vk = verifier.VK_HASH();
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.BadShape.selector, uint32(0), uint32(1)));
        oracle.registerModel(MODEL, address(verifier), vk, 0, 1);
        assertEq(oracle.modelVersion(MODEL), 3, "unchanged by a refused registration");
        assertEq(_version(before), 1, "an earlier request keeps its version");
        assertEq(_version(_request(bob, 0)), 3, "a new request gets the new one");
    }

    /// A request made before the owner re-registers its model (even with the same verifier) is
    /// not fulfilled by the new registration: `ModelChanged`, before the proof is verified; it
    /// stays open and is refunded after its deadline.
    function test_aReRegisteredModelCannotFulfilAnEarlierRequest() public {
        uint256 id = _request(alice, FEE);
        _reRegister();
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.ModelChanged.selector, id, uint32(1), uint32(2)));
        oracle.fulfil(id, fx.proof, fx.instances);
        assertEq(_status(id), OPEN, "still open");
        assertTrue(!oracle.usedProofs(keccak256(fx.proof)), "proof not consumed");
        assertEq(oracle.balances(operator), 0, "no fee");
        // checked before verifying: a bad proof gets ModelChanged too
        bytes memory bad = fx.proof;
        bad[7] = bytes1(uint8(bad[7]) ^ 1);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.ModelChanged.selector, id, uint32(1), uint32(2)));
        oracle.fulfil(id, bad, fx.instances);

        // refundable after the deadline as any unanswered request, not before
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.RequestNotExpired.selector, id, deadline));
        oracle.refund(id);
        vm.warp(deadline + 1);
        vm.expectEmit(true, true, true, true, address(oracle));
        emit InferenceOracle.RequestRefunded(id, alice, FEE);
        oracle.refund(id);
        assertEq(_status(id), REFUNDED, "refunded");
        assertEq(oracle.balances(alice), FEE, "fee back to the requester");
    }

    /// A request made after the re-registration is fulfilled normally (the old one still is not).
    function test_aRequestAfterTheReRegistrationIsFulfilled() public {
        uint256 old = _request(alice, FEE);
        _reRegister();
        uint256 id = _request(bob, FEE);
        assertEq(_version(id), 2, "made for version 2");
        vm.startPrank(operator);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.ModelChanged.selector, old, uint32(1), uint32(2)));
        oracle.fulfil(old, fx.proof, fx.instances);
        bytes32 key = oracle.fulfil(id, fx.proof, fx.instances);
        vm.stopPrank();
        assertEq(_status(id), FULFILLED, "fulfilled");
        assertEq(_status(old), OPEN, "the earlier one still open");
        (uint256[] memory outputs,,) = oracle.latest(MODEL, key);
        assertEq(outputs[0], fx.instances[0], "stored");
        assertEq(oracle.balances(operator), FEE, "its fee");
    }

    /// The same for a batch model re-registered with `registerBatchModel`: each request of the
    /// batch is checked, so one earlier request among later ones refuses the whole batch.
    function test_aReRegisteredBatchModelCannotFulfilEarlierRequests() public {
        uint256[] memory ids = _batchRequests();
        _reRegisterBatch();
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.ModelChanged.selector, ids[0], uint32(1), uint32(2)));
        oracle.fulfilBatch(ids, fxb.proof, fxb.instances);

        // members 0 and 2 asked for again after the re-registration, member 1 still the old one
        uint256[] memory fresh = new uint256[](3);
        for (uint256 i = 0; i < 3; i++) {
            uint256[] memory ins = _member(i);
            vm.prank(bob);
            fresh[i] = oracle.request{value: FEE}(BATCH_MODEL, ins, "", deadline, 0);
            assertEq(_version(fresh[i]), 2, "made for version 2");
        }
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(InferenceOracle.ModelChanged.selector, ids[1], uint32(1), uint32(2)));
        oracle.fulfilBatch(_ids(fresh[0], ids[1], fresh[2]), fxb.proof, fxb.instances);
        for (uint256 i = 0; i < 3; i++) {
            assertEq(_status(ids[i]), OPEN, "still open");
            assertEq(_status(fresh[i]), OPEN, "still open");
        }
        assertTrue(!oracle.usedProofs(keccak256(fxb.proof)), "proof not consumed");

        // the requests made after it go through
        vm.prank(operator);
        oracle.fulfilBatch(fresh, fxb.proof, fxb.instances);
        for (uint256 i = 0; i < 3; i++) {
            assertEq(_status(fresh[i]), FULFILLED, "fulfilled");
        }
        assertEq(oracle.balances(operator), 3 * FEE, "their fees");

        // and the earlier ones are refunded after the deadline
        vm.warp(deadline + 1);
        for (uint256 i = 0; i < 3; i++) {
            oracle.refund(ids[i]);
            assertEq(_status(ids[i]), REFUNDED, "refunded");
        }
        assertEq(oracle.balances(alice), FEE + 3 * FEE, "alice's two fees (1 and 3 FEE)");
        assertEq(oracle.balances(bob), 2 * FEE, "bob's");
    }

    // ---- ScoreConsumer's callback gas ---------------------------------------------------------

    function test_scoreConsumerRefusesTooLittleCallbackGas() public {
        ScoreConsumer consumer = new ScoreConsumer(oracle, MODEL);
        uint32 min = consumer.MIN_CALLBACK_GAS();
        assertEq(min, 50_000, "MIN_CALLBACK_GAS");
        uint256[] memory ins = _inputs();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ScoreConsumer.CallbackGasTooLow.selector, uint32(49_999), min));
        consumer.ask{value: FEE}(ins, "", 1 hours, 49_999);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ScoreConsumer.CallbackGasTooLow.selector, uint32(0), min));
        consumer.ask{value: FEE}(ins, "", 1 hours, 0);
        assertEq(oracle.requestCount(), 0, "nothing requested");

        // exactly the minimum is accepted, and the delivery fits in it
        vm.prank(alice);
        uint256 id = consumer.ask{value: FEE}(ins, "", 1 hours, min);
        vm.recordLogs();
        vm.prank(operator);
        oracle.fulfil(id, fx.proof, fx.instances);
        (uint256 n, bool ok) = _fulfilments(vm.getRecordedLogs());
        assertEq(n, 1, "fulfilled");
        assertTrue(ok, "callbackOk with MIN_CALLBACK_GAS");
        assertTrue(consumer.answered(id), "answered");
        assertEq(consumer.outputsOf(id)[0], fx.instances[0], "the proven output delivered");
    }

    /// Fulfils a fresh request by `consumer` with callback gas `limit` and reverts with whether
    /// the score was delivered, undoing it all.
    function probeCallback(ScoreConsumer consumer, uint32 limit) external {
        uint256[] memory ins = _inputs();
        vm.prank(address(consumer));
        uint256 id = oracle.request(MODEL, ins, "", deadline, limit);
        (bytes memory proof, uint256[] memory inst) = (fx.proof, fx.instances);
        vm.prank(operator);
        oracle.fulfil(id, proof, inst);
        revert Probed(consumer.answered(id) ? 1 : 0);
    }

    /// The least callback gas with which `ScoreConsumer.onInference` delivers the fixture's one
    /// output on a fresh request (cold, empty storage: its worst case) is within
    /// `MIN_CALLBACK_GAS`.
    function test_scoreConsumerCallbackFitsInMinCallbackGas() public {
        ScoreConsumer consumer = new ScoreConsumer(oracle, MODEL);
        assertEq(fx.numOutputs, 1, "a one-output fixture");
        (uint256 lo, uint256 hi) = (1_000, 200_000); // fails, delivers
        while (hi - lo > 1) {
            uint256 mid = (lo + hi) / 2;
            try this.probeCallback(consumer, uint32(mid)) {}
            catch (bytes memory reason) {
                assertTrue(bytes4(reason) == Probed.selector, "the fulfilment itself went through");
                if (abi.decode(_tail(reason), (uint256)) == 1) hi = mid;
                else lo = mid;
            }
        }
        _log("least callback gas for ScoreConsumer.onInference (1 output)", hi);
        _log("MIN_CALLBACK_GAS", consumer.MIN_CALLBACK_GAS());
        assertTrue(hi <= consumer.MIN_CALLBACK_GAS(), "onInference fits in MIN_CALLBACK_GAS");
        assertEq(oracle.requestCount(), 0, "probes left no trace");
    }
}
