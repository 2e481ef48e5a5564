//! `verifier`: generate the Solidity verifier of a build, compile it with solc, check its size
//! against EIP-170, and write the sources and ABI.

use super::settings::Settings;
use super::{step, BuildDir, Error, Progress};
use crate::evm::{find_solc, Compiled};
use crate::proof::srs;
use crate::solidity::{render, Layout, VerifierSources};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// EIP-170's limit on runtime bytecode.
pub const EIP170_LIMIT: usize = 24_576;

/// Default contract name.
pub const DEFAULT_NAME: &str = "ZkinferVerifier";

/// How to generate the verifier.
#[derive(Clone, Debug)]
pub struct VerifierOptions {
    /// Forced layout; `None` picks embedded when it fits under EIP-170, else separate.
    pub layout: Option<Layout>,
    /// Contract name.
    pub name: String,
    /// solc to use (else the documented search order).
    pub solc: Option<PathBuf>,
    /// Optimizer runs.
    pub optimizer_runs: usize,
    /// Accept a runtime over 24,576 bytes (it cannot be deployed on Ethereum mainnet).
    pub allow_oversize: bool,
}

impl Default for VerifierOptions {
    fn default() -> Self {
        VerifierOptions {
            layout: None,
            name: DEFAULT_NAME.into(),
            solc: None,
            optimizer_runs: 1,
            allow_oversize: false,
        }
    }
}

/// A generated and compiled verifier.
#[derive(Clone, Debug)]
pub struct BuiltVerifier {
    /// Sources.
    pub sources: VerifierSources,
    /// Why this layout.
    pub layout_reason: String,
    /// The compiled verifier.
    pub verifier: Compiled,
    /// The compiled verifying-key contract (separate layout).
    pub vk_contract: Option<Compiled>,
    /// solc used.
    pub solc: PathBuf,
    /// The circuit's vk hash.
    pub vk_hash: String,
}

fn compile_sources(solc: &Path, s: &VerifierSources, runs: usize) -> Result<(Compiled, Option<Compiled>), Error> {
    let file = format!("{}.sol", s.verifier_name);
    let mut sources = vec![(file.as_str(), s.verifier.as_str())];
    let vk_file = s.vk_contract.as_ref().map(|(n, _)| format!("{n}.sol"));
    if let (Some(f), Some((_, src))) = (&vk_file, &s.vk_contract) {
        sources.push((f.as_str(), src.as_str()));
    }
    let out = crate::evm::compile::compile_verifier(solc, &sources, runs)?;
    let find = |name: &str| {
        out.iter()
            .find(|c| c.name == name)
            .cloned()
            .ok_or_else(|| Error::Usage(format!("solc produced no contract `{name}`")))
    };
    let verifier = find(&s.verifier_name)?;
    let vk = match &s.vk_contract {
        Some((n, _)) => Some(find(n)?),
        None => None,
    };
    Ok((verifier, vk))
}

/// Generates and compiles the verifier of `dir`.
pub fn build_verifier(dir: &BuildDir, opts: &VerifierOptions, progress: &dyn Progress) -> Result<BuiltVerifier, Error> {
    let settings = Settings::read(dir)?;
    let setup = settings
        .setup
        .clone()
        .ok_or_else(|| dir.err("has no keys; run `zkinfer setup` first"))?;
    let params = srs::read_params(&dir.srs(), Some(settings.k))?;
    let (vk, hash) = super::settings::load_vk(dir, &settings, &setup, &params)?;
    let solc = find_solc(opts.solc.as_deref())?;
    let gen = |layout: Layout, note: &str| render(&vk, &params, settings.num_instances, layout, &opts.name, note);
    let (result, _) = step(progress, "generating and compiling the verifier", || -> Result<_, Error> {
        match opts.layout {
            Some(layout) => {
                let note = format!("{layout} (chosen with --layout)");
                let s = gen(layout, &note)?;
                let (v, k) = compile_sources(&solc, &s, opts.optimizer_runs)?;
                Ok((s, note, v, k))
            }
            None => {
                let s = gen(Layout::Embedded, "embedded: the verifying key is in the verifier's code")?;
                let (v, k) = compile_sources(&solc, &s, opts.optimizer_runs)?;
                if v.deployed_bytecode.len() <= EIP170_LIMIT {
                    let note = format!(
                        "embedded: the verifier with its verifying key is {} bytes, within EIP-170's {EIP170_LIMIT}",
                        v.deployed_bytecode.len()
                    );
                    return Ok((s, note, v, k));
                }
                let embedded = v.deployed_bytecode.len();
                let note = format!("separate: with the key embedded the runtime would be {embedded} bytes, over EIP-170's {EIP170_LIMIT}");
                let s = gen(Layout::Separate, &note)?;
                let (v, k) = compile_sources(&solc, &s, opts.optimizer_runs)?;
                Ok((s, note, v, k))
            }
        }
    });
    let (sources, layout_reason, verifier, vk_contract) = result?;
    let sizes = [
        (sources.verifier_name.clone(), verifier.deployed_bytecode.len()),
        (
            sources.vk_contract.as_ref().map(|(n, _)| n.clone()).unwrap_or_default(),
            sources.vk_runtime.as_ref().map_or(0, |r| r.len()),
        ),
    ];
    for (name, size) in sizes {
        if size > EIP170_LIMIT && !opts.allow_oversize {
            return Err(Error::Usage(format!(
                "contract {name} has {size} bytes of runtime code, over EIP-170's limit of {EIP170_LIMIT}; it cannot be deployed on Ethereum mainnet (pass --allow-oversize to write it anyway)"
            )));
        }
    }
    Ok(BuiltVerifier {
        sources,
        layout_reason,
        verifier,
        vk_contract,
        solc,
        vk_hash: hash,
    })
}

/// What `verifier` wrote.
#[derive(Clone, Debug, Serialize)]
pub struct VerifierReport {
    /// Layout chosen.
    pub layout: Layout,
    /// Why.
    pub layout_reason: String,
    /// Files written.
    pub files: Vec<String>,
    /// Verifier runtime bytes.
    pub runtime_bytes: usize,
    /// Verifying-key contract runtime bytes (separate layout).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vk_runtime_bytes: Option<usize>,
    /// EIP-170 limit.
    pub runtime_limit: usize,
    /// Proof length the verifier accepts.
    pub proof_bytes: usize,
    /// Public instances it expects.
    pub num_instances: usize,
    /// The circuit's vk hash.
    pub vk_hash: String,
    /// solc used.
    pub solc: String,
}

/// Writes `{name}.sol` (+ `{name}Key.sol`), and their ABI and bytecode as JSON into `out`.
pub fn write_verifier(dir: &BuildDir, out: &Path, opts: &VerifierOptions, progress: &dyn Progress) -> Result<VerifierReport, Error> {
    let built = build_verifier(dir, opts, progress)?;
    std::fs::create_dir_all(out).map_err(|e| Error::Usage(format!("cannot create {}: {e}", out.display())))?;
    let mut files = Vec::new();
    let mut write = |name: String, content: &[u8]| -> Result<(), Error> {
        let path = out.join(&name);
        crate::proof::artifact::write_atomic(&path, content)?;
        files.push(path.display().to_string());
        Ok(())
    };
    let s = &built.sources;
    write(format!("{}.sol", s.verifier_name), s.verifier.as_bytes())?;
    write(format!("{}.json", s.verifier_name), artifact_json(&built.verifier).as_bytes())?;
    if let (Some((n, src)), Some(c)) = (&s.vk_contract, &built.vk_contract) {
        write(format!("{n}.sol"), src.as_bytes())?;
        write(format!("{n}.json"), artifact_json(c).as_bytes())?;
    }
    Ok(VerifierReport {
        layout: s.layout,
        layout_reason: built.layout_reason.clone(),
        files,
        runtime_bytes: built.verifier.deployed_bytecode.len(),
        vk_runtime_bytes: s.vk_runtime.as_ref().map(|c| c.len()),
        runtime_limit: EIP170_LIMIT,
        proof_bytes: s.parts.proof_len,
        num_instances: s.parts.num_instances,
        vk_hash: built.vk_hash.clone(),
        solc: built.solc.display().to_string(),
    })
}

fn artifact_json(c: &Compiled) -> String {
    let v = serde_json::json!({
        "contractName": c.name,
        "abi": c.abi,
        "bytecode": format!("0x{}", hex::encode(&c.bytecode)),
        "deployedBytecode": format!("0x{}", hex::encode(&c.deployed_bytecode)),
    });
    serde_json::to_string_pretty(&v).expect("json") + "\n"
}
