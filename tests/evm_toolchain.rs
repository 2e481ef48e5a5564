//! The EVM toolchain: the bundled solcjs (through foundry-compilers) compiles a contract that
//! uses the BN254 precompiles, and revm runs it.

use zkinfer::evm::{compile, find_solc, LocalEvm};

const SOURCE: &str = r#"
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
contract Precompiles {
    /// 2·G via ecAdd(G, G) compared with ecMul(G, 2); then an empty pairing check (true).
    function check() external view returns (bool) {
        uint256[4] memory addIn = [uint256(1), 2, 1, 2];
        uint256[2] memory sum;
        uint256[3] memory mulIn = [uint256(1), 2, 2];
        uint256[2] memory prod;
        bool ok;
        assembly {
            ok := staticcall(gas(), 0x06, addIn, 0x80, sum, 0x40)
        }
        if (!ok) return false;
        assembly {
            ok := staticcall(gas(), 0x07, mulIn, 0x60, prod, 0x40)
        }
        if (!ok || sum[0] != prod[0] || sum[1] != prod[1]) return false;
        uint256[1] memory pairing;
        assembly {
            ok := staticcall(gas(), 0x08, 0, 0, pairing, 0x20)
        }
        return ok && pairing[0] == 1;
    }
}
"#;

#[test]
fn bundled_solc_compiles_and_revm_runs_bn254_precompiles() {
    let solc = find_solc(None).expect("solc (run `npm ci` for the bundled solcjs)");
    let compiled = compile(&solc, &[("Precompiles.sol", SOURCE)], 1).expect("compiles");
    let c = compiled.iter().find(|c| c.name == "Precompiles").expect("contract");
    assert!(!c.deployed_bytecode.is_empty());
    let mut evm = LocalEvm::new();
    let d = evm.deploy(&c.bytecode).expect("deploys");
    assert_eq!(d.runtime_size, c.deployed_bytecode.len());
    // selector of check()
    let selector = &sha3::Keccak256::digest(b"check()")[..4];
    let out = evm.call(d.address, selector).unwrap();
    assert!(out.success, "{out:?}");
    assert_eq!(out.output.len(), 32);
    assert_eq!(out.output[31], 1, "precompile results as expected");
    // 21000 + ecAdd 150 + ecMul 6000 + pairing 45000 at least
    assert!(out.gas_used > 21_000 + 150 + 6_000 + 45_000, "gas {}", out.gas_used);
}

#[test]
fn solidity_errors_are_reported_with_the_message() {
    let solc = find_solc(None).expect("solc");
    let e = compile(
        &solc,
        &[("Bad.sol", "contract Bad { function f() external { undefined_name(); } }")],
        1,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("compilation failed") && e.contains("undefined_name"), "{e}");
}

#[test]
fn an_explicit_missing_solc_is_a_clear_error() {
    let e = find_solc(Some(std::path::Path::new("/nonexistent/solc"))).unwrap_err().to_string();
    assert!(e.contains("/nonexistent/solc") && e.contains("--solc"), "{e}");
}

use sha3::Digest;

const ABI_ECHO: &str = r#"
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
contract Echo {
    /// Decodes the verifier calling convention and returns what it saw.
    function verifyProof(bytes calldata proof, uint256[] calldata instances) external pure returns (uint256, bytes32, uint256, uint256) {
        return (proof.length, keccak256(proof), instances.length, instances[instances.length - 1]);
    }
}
"#;

#[test]
fn verifier_calldata_decodes_in_solidity() {
    let solc = find_solc(None).expect("solc");
    let compiled = compile(&solc, &[("Echo.sol", ABI_ECHO)], 1).expect("compiles");
    let c = compiled.iter().find(|c| c.name == "Echo").unwrap();
    let mut evm = LocalEvm::new();
    let d = evm.deploy(&c.bytecode).unwrap();
    let proof: Vec<u8> = (0..1537u32).map(|i| (i % 251) as u8).collect();
    let mut a = [0u8; 32];
    a[0] = 0x30;
    let mut b = [0u8; 32];
    b[31] = 9;
    let data = zkinfer::solidity::encode_verify_call(&proof, &[a, b]);
    let out = evm.call(d.address, &data).unwrap();
    assert!(out.success, "{out:?}");
    assert_eq!(out.output[31] as usize + 256 * out.output[30] as usize, proof.len());
    assert_eq!(&out.output[32..64], &sha3::Keccak256::digest(&proof)[..]);
    assert_eq!(out.output[95], 2);
    assert_eq!(&out.output[96..128], &b[..]);
}
