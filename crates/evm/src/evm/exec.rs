//! An in-process EVM (revm) for deploying and calling contracts with exact gas figures.

use super::profile::{GasProfile, GasProfiler};
use super::EvmError;
use revm::context::result::{ExecutionResult, Output};
use revm::context::TxEnv;
use revm::database::{CacheDB, EmptyDB};
use revm::primitives::{Address, Bytes, TxKind};
use revm::{Context, InspectCommitEvm, MainBuilder, MainContext};

/// The sender of every transaction.
pub const SENDER: Address = Address::new([0x5a; 20]);

/// Gas limit of every transaction.
pub const GAS_LIMIT: u64 = 16_000_000;

/// A deployed contract.
#[derive(Clone, Debug)]
pub struct Deployed {
    /// Its address.
    pub address: Address,
    /// Gas of the deploying transaction.
    pub gas_used: u64,
    /// Size of the runtime bytecode.
    pub runtime_size: usize,
}

/// What a call did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallOutcome {
    /// True when the call returned; false on revert or halt.
    pub success: bool,
    /// Return or revert data.
    pub output: Vec<u8>,
    /// Gas of the whole transaction (intrinsic + calldata + execution).
    pub gas_used: u64,
    /// Why it failed, in words, when it did.
    pub failure: Option<String>,
}

/// An EVM with an in-memory state.
pub struct LocalEvm {
    db: CacheDB<EmptyDB>,
    nonce: u64,
}

impl Default for LocalEvm {
    fn default() -> Self {
        Self::new()
    }
}

impl LocalEvm {
    /// An empty chain.
    pub fn new() -> Self {
        LocalEvm {
            db: CacheDB::new(EmptyDB::default()),
            nonce: 0,
        }
    }

    fn tx(&self, kind: TxKind, data: Vec<u8>) -> Result<TxEnv, String> {
        TxEnv::builder()
            .caller(SENDER)
            .kind(kind)
            .data(Bytes::from(data))
            .gas_limit(GAS_LIMIT)
            .nonce(self.nonce)
            .build()
            .map_err(|e| format!("{e:?}"))
    }

    /// Runs one transaction with `inspector` watching, commits it, and returns the result and
    /// the inspector.
    fn run<I>(&mut self, kind: TxKind, data: Vec<u8>, inspector: I) -> Result<(ExecutionResult, I), String>
    where
        I: revm::Inspector<revm::handler::MainnetContext<CacheDB<EmptyDB>>>,
    {
        let tx = self.tx(kind, data)?;
        let db = std::mem::take(&mut self.db);
        let mut evm = Context::mainnet().with_db(db).build_mainnet_with_inspector(inspector);
        let result = evm.inspect_tx_commit(tx).map_err(|e| format!("{e:?}"));
        self.db = std::mem::take(&mut evm.ctx.journaled_state.database);
        let result = result?;
        self.nonce += 1;
        Ok((result, evm.inspector))
    }

    fn transact(&mut self, kind: TxKind, data: Vec<u8>) -> Result<ExecutionResult, String> {
        Ok(self.run(kind, data, revm::inspector::NoOpInspector)?.0)
    }

    /// Deploys creation bytecode.
    pub fn deploy(&mut self, bytecode: &[u8]) -> Result<Deployed, EvmError> {
        match self.transact(TxKind::Create, bytecode.to_vec()).map_err(EvmError::Deploy)? {
            ExecutionResult::Success {
                output: Output::Create(code, Some(address)),
                gas,
                ..
            } => {
                let _ = code;
                let runtime_size = self.code(address).len();
                Ok(Deployed {
                    address,
                    gas_used: gas.tx_gas_used(),
                    runtime_size,
                })
            }
            ExecutionResult::Success { .. } => Err(EvmError::Deploy("no contract address returned".into())),
            ExecutionResult::Revert { output, .. } => Err(EvmError::Deploy(format!("constructor reverted (0x{})", hex::encode(output)))),
            ExecutionResult::Halt { reason, .. } => Err(EvmError::Deploy(format!("halted: {reason:?}"))),
        }
    }

    /// The runtime code at `address` (empty when none).
    pub fn code(&self, address: Address) -> Vec<u8> {
        self.db
            .cache
            .accounts
            .get(&address)
            .and_then(|a| a.info.code.as_ref())
            .map(|c| c.original_bytes().to_vec())
            .unwrap_or_default()
    }

    /// Calls a contract with `calldata` like [`LocalEvm::call`], and measures where the
    /// execution gas goes.
    pub fn call_profiled(&mut self, to: Address, calldata: &[u8]) -> Result<(CallOutcome, GasProfile), EvmError> {
        let (result, profiler) = self
            .run(TxKind::Call(to), calldata.to_vec(), GasProfiler::default())
            .map_err(EvmError::Call)?;
        Ok((outcome(result), profiler.profile))
    }

    /// Calls a contract with `calldata`, committing the result.
    pub fn call(&mut self, to: Address, calldata: &[u8]) -> Result<CallOutcome, EvmError> {
        let r = self.transact(TxKind::Call(to), calldata.to_vec()).map_err(EvmError::Call)?;
        Ok(outcome(r))
    }
}

fn outcome(r: ExecutionResult) -> CallOutcome {
    match r {
        ExecutionResult::Success { output, gas, .. } => CallOutcome {
            success: true,
            output: output.into_data().to_vec(),
            gas_used: gas.tx_gas_used(),
            failure: None,
        },
        ExecutionResult::Revert { output, gas, .. } => CallOutcome {
            success: false,
            output: output.to_vec(),
            gas_used: gas.tx_gas_used(),
            failure: Some("reverted".into()),
        },
        ExecutionResult::Halt { reason, gas, .. } => CallOutcome {
            success: false,
            output: vec![],
            gas_used: gas.tx_gas_used(),
            failure: Some(format!("halted: {reason:?}")),
        },
    }
}

/// Intrinsic gas of a call transaction: 21000 plus 4 per zero and 16 per non-zero calldata byte.
pub fn intrinsic_gas(calldata: &[u8]) -> u64 {
    21_000 + calldata.iter().map(|&b| if b == 0 { 4 } else { 16 }).sum::<u64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runtime returning calldata[0..32] + 1: PUSH0 CALLDATALOAD PUSH1 1 ADD PUSH0 MSTORE PUSH1 32 PUSH0 RETURN
    fn runtime() -> Vec<u8> {
        hex::decode("5f35600101".to_string() + "5f52" + "60205ff3").unwrap()
    }

    /// Creation code deploying [`runtime`].
    fn adder() -> Vec<u8> {
        let runtime = runtime();
        // init code: copy runtime to memory and return it
        let mut init = vec![
            0x60,
            runtime.len() as u8,
            0x60,
            0x0c,
            0x5f,
            0x39,
            0x60,
            runtime.len() as u8,
            0x5f,
            0xf3,
        ];
        while init.len() < 12 {
            init.push(0x00);
        }
        init.extend_from_slice(&runtime);
        init
    }

    #[test]
    fn deploys_and_calls_with_gas_accounting() {
        let mut evm = LocalEvm::new();
        let d = evm.deploy(&adder()).expect("deploys");
        assert_eq!(d.runtime_size, runtime().len());
        let mut arg = [0u8; 32];
        arg[31] = 41;
        let out = evm.call(d.address, &arg).unwrap();
        assert!(out.success, "{out:?}");
        assert_eq!(out.output[31], 42);
        assert!(out.gas_used > intrinsic_gas(&arg));
    }
}
