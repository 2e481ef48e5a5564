//! Where a call's execution gas goes, measured by a revm inspector: precompile calls (by
//! precompile), KECCAK256, modular arithmetic, calldata/memory access, and the rest.

use revm::context_interface::ContextTr;
use revm::interpreter::interpreter_types::Jumps;
use revm::interpreter::{CallInputs, CallOutcome, Interpreter};
use revm::Inspector;
use serde::Serialize;
use std::collections::BTreeMap;

/// Gas of the calls to one precompile.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PrecompileGas {
    /// Calls made.
    pub calls: u64,
    /// Gas charged by the precompile.
    pub gas: u64,
}

/// Execution gas by category.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct GasProfile {
    /// Per precompile, keyed by name (`ecPairing`, `ecMul`, `ecAdd`, `modexp`, …).
    pub precompiles: BTreeMap<String, PrecompileGas>,
    /// KECCAK256 opcodes (the transcript), including their memory expansion.
    pub keccak: u64,
    /// ADDMOD/MULMOD (field arithmetic).
    pub field_arithmetic: u64,
    /// CALLDATALOAD/CALLDATACOPY/MLOAD/MSTORE/MSTORE8.
    pub data_access: u64,
    /// Every other opcode (stack, control flow, pushes) outside the categories above.
    pub other_opcodes: u64,
    /// The call opcodes' own cost (access, memory expansion): execution gas not attributed
    /// to any category above.
    pub call_overhead: u64,
}

impl GasProfile {
    /// Sets [`GasProfile::call_overhead`] so the categories add up to `execution`.
    pub fn close(&mut self, execution: u64) {
        let counted: u64 = self.precompiles.values().map(|p| p.gas).sum::<u64>()
            + self.keccak
            + self.field_arithmetic
            + self.data_access
            + self.other_opcodes;
        self.call_overhead = execution.saturating_sub(counted);
    }
}

/// Name of a precompile address (0x01..=0x11).
pub fn precompile_name(addr: u8) -> &'static str {
    match addr {
        1 => "ecrecover",
        2 => "sha256",
        3 => "ripemd160",
        4 => "identity",
        5 => "modexp",
        6 => "ecAdd",
        7 => "ecMul",
        8 => "ecPairing",
        9 => "blake2f",
        10 => "pointEvaluation",
        _ => "bls12-381",
    }
}

/// The inspector collecting a [`GasProfile`].
#[derive(Debug, Default)]
pub struct GasProfiler {
    pending: Option<(u8, u64)>,
    /// What was measured.
    pub profile: GasProfile,
}

const STATICCALL: u8 = 0xfa;
const CALL_OPS: [u8; 4] = [0xf1, 0xf2, 0xf4, STATICCALL];

impl<CTX: ContextTr> Inspector<CTX> for GasProfiler {
    fn step(&mut self, interp: &mut Interpreter, _context: &mut CTX) {
        self.pending = Some((interp.bytecode.opcode(), interp.gas.remaining()));
    }

    fn step_end(&mut self, interp: &mut Interpreter, _context: &mut CTX) {
        let Some((op, before)) = self.pending.take() else { return };
        // A call opcode's gas includes what it forwards to the callee (refunded later): its own
        // share is counted with the precompile or left to the remainder.
        if CALL_OPS.contains(&op) {
            return;
        }
        let used = before.saturating_sub(interp.gas.remaining());
        let p = &mut self.profile;
        match op {
            0x20 => p.keccak += used,
            0x08 | 0x09 => p.field_arithmetic += used,
            0x35 | 0x37 | 0x51 | 0x52 | 0x53 => p.data_access += used,
            _ => p.other_opcodes += used,
        }
    }

    fn call_end(&mut self, _context: &mut CTX, inputs: &CallInputs, outcome: &mut CallOutcome) {
        let a = inputs.bytecode_address.0 .0;
        if a[..19].iter().all(|&b| b == 0) && (1..=0x11).contains(&a[19]) {
            let e = self.profile.precompiles.entry(precompile_name(a[19]).to_string()).or_default();
            e.calls += 1;
            e.gas += outcome.result.gas.total_gas_spent();
        }
    }
}
