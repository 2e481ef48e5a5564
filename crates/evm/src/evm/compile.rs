//! Compiling Solidity sources with solc through `foundry-compilers`.

use super::EvmError;
use foundry_compilers::artifacts::{Optimizer, Settings, SolcInput, SolcLanguage, Source, Sources};
use foundry_compilers::solc::Solc;
use std::path::{Path, PathBuf};

/// One compiled contract.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// Contract name.
    pub name: String,
    /// Creation bytecode.
    pub bytecode: Vec<u8>,
    /// Runtime bytecode.
    pub deployed_bytecode: Vec<u8>,
    /// ABI (JSON).
    pub abi: serde_json::Value,
    /// Where the constructor writes immutables into the runtime code: (byte offset, length).
    pub immutable_slots: Vec<(usize, usize)>,
}

impl Compiled {
    /// The runtime code a deployment leaves on chain when every immutable of the contract holds
    /// `value` (a contract with one immutable, e.g. a separate verifier's key address); the
    /// compiled runtime code as is when the contract has none.
    pub fn runtime_with_immutable(&self, value: Option<[u8; 32]>) -> Result<Vec<u8>, EvmError> {
        let mut code = self.deployed_bytecode.clone();
        if self.immutable_slots.is_empty() {
            return Ok(code);
        }
        let value =
            value.ok_or_else(|| EvmError::Compile(format!("contract {} has immutables but no value was given for them", self.name)))?;
        for &(start, len) in &self.immutable_slots {
            let slot = code
                .get_mut(start..start + len)
                .filter(|_| len <= 32)
                .ok_or_else(|| EvmError::Compile(format!("contract {}: immutable slot {start}+{len} outside its code", self.name)))?;
            slot.copy_from_slice(&value[32 - len..]);
        }
        Ok(code)
    }
}

/// Whether `code` (found on chain) is the runtime code `expected`, byte for byte outside the
/// `immutables` slots (byte offset, length), whose values the deployment decides (an EIP-712
/// domain's chain id and address, for instance).
pub fn runtime_matches(expected: &[u8], immutables: &[(usize, usize)], code: &[u8]) -> bool {
    if code.len() != expected.len() {
        return false;
    }
    let in_slot = |i: usize| immutables.iter().any(|&(s, l)| i >= s && i < s + l);
    code.iter().zip(expected).enumerate().all(|(i, (a, b))| a == b || in_slot(i))
}

/// Removes terminal colour codes (solc formats its messages for a terminal).
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Compiles `sources` (file name → content) with the optimizer at `runs` and returns every
/// contract with bytecode. Warnings are ignored; errors fail with solc's messages.
pub fn compile(solc_path: &Path, sources: &[(&str, &str)], runs: usize) -> Result<Vec<Compiled>, EvmError> {
    compile_with(solc_path, sources, Some(runs))
}

/// Like [`compile`], with the optimizer at `runs` or off (`None`, forge's default).
pub fn compile_with(solc_path: &Path, sources: &[(&str, &str)], runs: Option<usize>) -> Result<Vec<Compiled>, EvmError> {
    compile_opts(solc_path, sources, runs, true)
}

/// How the generated verifiers are compiled: the optimizer at `runs` without its constant
/// optimiser. At low `runs` that step stores each use of a 32-byte constant (the field
/// modulus, ω, the key's points) as data copied out of the code at run time, about 35 gas
/// where a PUSH32 costs 3; without it the verifier is both cheaper (about 23,000 gas per
/// proof for the credit model) and smaller.
pub fn compile_verifier(solc_path: &Path, sources: &[(&str, &str)], runs: usize) -> Result<Vec<Compiled>, EvmError> {
    compile_opts(solc_path, sources, Some(runs), false)
}

fn compile_opts(solc_path: &Path, sources: &[(&str, &str)], runs: Option<usize>, constants: bool) -> Result<Vec<Compiled>, EvmError> {
    let solc = Solc::new(solc_path).map_err(|e| EvmError::Solc {
        path: solc_path.display().to_string(),
        reason: e.to_string(),
    })?;
    let mut map = Sources::new();
    for (name, content) in sources {
        map.insert(PathBuf::from(name), Source::new(*content));
    }
    let settings = Settings {
        optimizer: Optimizer {
            enabled: Some(runs.is_some()),
            runs,
            details: (!constants).then(|| foundry_compilers::artifacts::OptimizerDetails {
                constant_optimizer: Some(false),
                ..Default::default()
            }),
        },
        ..Default::default()
    };
    let input = SolcInput::new(SolcLanguage::Solidity, map, settings);
    let output = solc.compile(&input).map_err(|e| EvmError::Solc {
        path: solc_path.display().to_string(),
        reason: e.to_string(),
    })?;
    let errors: Vec<String> = output
        .errors
        .iter()
        .filter(|e| e.severity.is_error())
        .map(|e| strip_ansi(&e.to_string()))
        .collect();
    if !errors.is_empty() {
        return Err(EvmError::Compile(errors.join("\n")));
    }
    let mut out = Vec::new();
    for (_, contracts) in output.contracts {
        for (name, c) in contracts {
            let evm = match c.evm {
                Some(e) => e,
                None => continue,
            };
            let code = |b: Option<foundry_compilers::artifacts::Bytecode>| {
                b.and_then(|b| b.object.as_bytes().map(|x| x.to_vec())).unwrap_or_default()
            };
            let bytecode = code(evm.bytecode);
            let immutable_slots = evm
                .deployed_bytecode
                .as_ref()
                .map(|d| {
                    d.immutable_references
                        .values()
                        .flatten()
                        .map(|o| (o.start as usize, o.length as usize))
                        .collect()
                })
                .unwrap_or_default();
            let deployed_bytecode = code(evm.deployed_bytecode.and_then(|d| d.bytecode));
            let abi = c.abi.map(|a| serde_json::to_value(a).unwrap_or_default()).unwrap_or_default();
            out.push(Compiled {
                name,
                bytecode,
                deployed_bytecode,
                abi,
                immutable_slots,
            });
        }
    }
    Ok(out)
}
