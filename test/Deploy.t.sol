// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Base} from "./utils/Base.sol";
import {Deploy} from "../script/Deploy.s.sol";
import {CreditGate} from "../contracts/CreditGate.sol";
import {CreditVerifier} from "../contracts/generated/CreditVerifier.sol";

/// The deploy script puts the committed development-SRS verifier only on local dev chains.
contract DeployScriptTest is Base {
    function test_refusesChainsOtherThanLocalDevChains() public {
        uint256[4] memory chains = [uint256(1), 10, 8453, 11155111];
        for (uint256 i = 0; i < chains.length; i++) {
            vm.chainId(chains[i]);
            Deploy d = new Deploy();
            vm.expectRevert(abi.encodeWithSelector(Deploy.InsecureVerifierOnChain.selector, chains[i]));
            d.run();
        }
    }

    function test_deploysOnAnvil() public {
        vm.chainId(31337);
        Deploy d = new Deploy();
        (CreditVerifier verifier, CreditGate gate) = d.run();
        assertEq(address(gate.verifier()), address(verifier), "gate pinned to the verifier");
        assertEq(gate.vkHash(), verifier.VK_HASH(), "gate pins the verifier's identity");
        assertTrue(gate.schema() != bytes32(0), "gate requires the build's input schema");
    }
}
