//! `deploy`: put a build's verifier (its verifying-key contract first in the separate layout),
//! and optionally a CreditGate pinned to it, on a chain; check the code that landed; keep a
//! deployment record so a re-run sends nothing when everything is already there.

use super::settings::{read_program, Settings};
use super::verifier::{build_verifier, VerifierOptions};
use super::{step, BuildDir, Error, Progress};
use crate::chain::contracts::Abi;
use crate::chain::contracts::{credit_gate, ICreditGate, ISeparateVerifier, IZkinferVerifier};
use crate::chain::record::{GatePolicy, PendingTx};
use crate::chain::tx::{prepare, send, view, Call, Prepared};
use crate::chain::{hex0x, parse_address, ChainError, DeployedContract, DeploymentRecord, KeySource, Rpc, RpcOptions, TxOptions};
use crate::evm::Compiled;
use crate::quantize::{InstanceKind, InstanceSlot, Vis};
use alloy::primitives::{keccak256, Address, B256, I256};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolValue;
use serde::Serialize;
use std::path::PathBuf;

/// Chain ids of local development nodes (anvil, hardhat, ganache), where a verifier made with
/// the development SRS may be deployed.
pub const LOCAL_CHAIN_IDS: [u64; 2] = [31337, 1337];

/// Contract roles in deployment order: each may depend on the ones before it.
const ROLES: [&str; 3] = ["verifying_key", "verifier", "credit_gate"];

/// Where and how to send transactions.
#[derive(Clone, Debug)]
pub struct ChainOptions {
    /// Endpoint and retries.
    pub rpc: RpcOptions,
    /// Required chain id.
    pub chain_id: Option<u64>,
    /// Confirmations, timeout, gas margin.
    pub tx: TxOptions,
    /// Signing key.
    pub key: KeySource,
}

/// A CreditGate to deploy with the verifier.
#[derive(Clone, Debug)]
pub struct GateOptions {
    /// Minimum score in the model's output units (converted to fixed point at the output scale).
    pub threshold: f64,
    /// How long an approval lasts, in seconds.
    pub validity_seconds: u64,
    /// The data providers whose attestations the gate trusts from the start.
    pub providers: Vec<Address>,
}

/// What `deploy` does.
#[derive(Clone, Debug)]
pub struct DeployOptions {
    /// Verifier generation.
    pub verifier: VerifierOptions,
    /// Chain.
    pub chain: ChainOptions,
    /// Record file (default `<build>/deployments/<chain id>.json`).
    pub record: Option<PathBuf>,
    /// Also deploy a CreditGate.
    pub credit_gate: Option<GateOptions>,
    /// Estimate and show, send nothing.
    pub dry_run: bool,
    /// Deploy again even if the record's contracts are on chain.
    pub force: bool,
    /// Allow a development-SRS verifier on a chain that is not a local development chain.
    pub allow_insecure_srs: bool,
    /// SHA-256 of an SRS file the user vouches for, though it is no known public ceremony file
    /// (needed on chains other than local development chains).
    pub accept_srs: Option<String>,
}

/// One contract of the deployment.
#[derive(Clone, Debug, Serialize)]
pub struct DeployStep {
    /// Role (`verifying_key`, `verifier`, `credit_gate`).
    pub role: String,
    /// Contract name.
    pub name: String,
    /// `deployed`, `already deployed` or `would deploy` (dry run).
    pub action: String,
    /// Address (none in a dry run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Deployment transaction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tx_hash: Option<String>,
    /// Block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block: Option<u64>,
    /// Gas used (deployed) or estimated (dry run; none when it depends on an undeployed contract).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gas: Option<u64>,
    /// Runtime code bytes.
    pub code_bytes: usize,
}

impl DeployStep {
    /// A contract a dry run would deploy.
    fn would_deploy(role: &str, name: String, gas: Option<u64>, code_bytes: usize) -> Self {
        DeployStep {
            role: role.into(),
            name,
            action: "would deploy".into(),
            address: None,
            tx_hash: None,
            block: None,
            gas,
            code_bytes,
        }
    }
}

/// The report of `deploy`.
#[derive(Clone, Debug, Serialize)]
pub struct DeployReport {
    /// Chain id.
    pub chain_id: u64,
    /// Deployer.
    pub deployer: String,
    /// Verifying-key hash.
    pub vk_hash: String,
    /// Verifier layout.
    pub layout: String,
    /// SHA-256 of the SRS file the keys were made with (empty for settings of older versions).
    pub srs_sha256: String,
    /// The known public ceremony file the SRS is or came from, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub srs_known_ceremony: Option<String>,
    /// The record file (none in a dry run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// Nothing was sent.
    pub dry_run: bool,
    /// Transactions sent.
    pub transactions: usize,
    /// The contracts.
    pub contracts: Vec<DeployStep>,
    /// CreditGate policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_gate_policy: Option<GatePolicy>,
    /// Warnings.
    pub warnings: Vec<String>,
}

/// One contract to deploy: its creation code with constructor arguments and the runtime code
/// that must end up on chain.
struct Planned {
    name: String,
    creation: Vec<u8>,
    runtime: Vec<u8>,
    /// Runtime bytes whose values the deployment decides (immutables), not compared.
    immutables: Vec<(usize, usize)>,
}

impl Planned {
    /// Whether `code` found on chain is this contract's runtime code.
    fn matches(&self, code: &[u8]) -> bool {
        crate::evm::compile::runtime_matches(&self.runtime, &self.immutables, code)
    }
}

fn word(a: Address) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a.as_slice());
    w
}

fn parse_b256(what: &str, s: &str) -> Result<B256, Error> {
    s.parse::<B256>()
        .map_err(|e| Error::Usage(format!("{what} `{s}` is not 32 bytes of hex: {e}")))
}

/// The fixed-point threshold of a score in output units, refusing values that do not fit.
pub fn fixed_threshold(threshold: f64, scale: u32) -> Result<i64, Error> {
    let v = (threshold * 2f64.powi(scale as i32)).round();
    if !threshold.is_finite() || v.abs() >= 2f64.powi(62) {
        return Err(Error::Usage(format!(
            "--threshold {threshold} does not fit a fixed-point score at scale {scale}"
        )));
    }
    Ok(v as i64)
}

/// Checks that the build is shaped for CreditGate: public instances `[score, inputHash,
/// account]`.
fn check_gate_shape(dir: &BuildDir, settings: &Settings) -> Result<u32, Error> {
    let program = read_program(dir, settings)?;
    let kinds: Vec<(InstanceKind, usize)> = settings.instance_layout.iter().map(|s| (s.kind, s.len)).collect();
    let want = [(InstanceKind::Output, 1), (InstanceKind::InputHash, 1), (InstanceKind::Bound, 1)];
    if settings.visibility.params != crate::quantize::Vis::Fixed {
        return Err(dir.err(format!(
            "its params are {}: the verifier would accept proofs of any weights (a made-up model scores anything), so it cannot back a CreditGate. Compile with --params fixed (the default)",
            settings.visibility.params
        )));
    }
    if program.bound != ["account"] || kinds != want {
        let layout: Vec<String> = settings
            .instance_layout
            .iter()
            .map(|s| {
                format!(
                    "{} `{}` ×{}",
                    serde_json::to_value(s.kind).expect("serialisable").as_str().unwrap_or("?"),
                    s.name,
                    s.len
                )
            })
            .collect();
        return Err(dir.err(format!(
            "CreditGate needs public instances [score, inputHash, account]: one public output value, `compile --input hashed` (the input hash is what data providers attest) and `--bind account` (this build's instances: {})",
            layout.join(", ")
        )));
    }
    Ok(settings.outputs[0].scale)
}

/// What consumers of a verifier must check about the model, for a build whose params are not
/// fixed (`None` for fixed params, which the verifying key pins): with hashed params, which
/// instance holds the params hash and how ApprovedModelVerifier pins it; with public params,
/// which instances hold the raw parameter values (no hash instance, so ApprovedModelVerifier
/// does not fit); with private params, that the proof commits to no model at all.
pub fn model_advice(params: Vis, layout: &[InstanceSlot], params_hash: Option<&str>) -> Option<String> {
    let any = format!("this build's params are {params}: the verifier accepts proofs of any model of its architecture");
    let slot = |kind: InstanceKind| layout.iter().find(|s| s.kind == kind);
    Some(match params {
        Vis::Fixed => return None,
        Vis::Hashed => match slot(InstanceKind::ParamsHash) {
            Some(slot) => {
                let approve = params_hash.map_or_else(
                    || "approve the params hashes of the models to accept (`zkinfer hash DIR --part params`)".to_string(),
                    |h| format!("approve {h}"),
                );
                format!(
                    "{any}; instance {i} is the Poseidon hash of the proof's model parameters. Put contracts/ApprovedModelVerifier.sol in front (paramsIndex {i}, {approve}) so consumers accept only approved models",
                    i = slot.start
                )
            }
            None => format!("{any}; its instance layout has no params hash (edited settings.json?): consumers cannot tell which model ran"),
        },
        Vis::Public => {
            let which = match slot(InstanceKind::Params) {
                Some(s) if s.len == 1 => format!("its one parameter is instance {}, the raw quantized value (not a hash)", s.start),
                Some(s) => format!(
                    "its {} parameters are instances {} to {}, their raw quantized values in program.json order (not a hash)",
                    s.len,
                    s.start,
                    s.start + s.len - 1
                ),
                None => "its instance layout has no parameter instances (edited settings.json?)".to_string(),
            };
            let hash = params_hash.map(|h| format!(" (the params hash {h} is computed from them; no instance holds it)")).unwrap_or_default();
            format!(
                "{any}; {which}. Consumers must compare those instances with the approved model's parameters themselves{hash}. contracts/ApprovedModelVerifier.sol pins a single params-hash instance and does not fit public params: compile with --params hashed to use it"
            )
        }
        Vis::Private => "this build's params are private: the proof does not commit to any model, so any weights pass (the prover picks them; zero weights and a bias give any output). The verifier shows only that some model of this architecture produced the outputs and should not gate anything of value; compile with --params hashed (a model commitment ApprovedModelVerifier can pin) or fixed".into(),
    })
}

/// Runs `deploy`.
pub fn deploy(dir: &BuildDir, opts: &DeployOptions, progress: &dyn Progress) -> Result<DeployReport, Error> {
    let settings = Settings::read(dir)?;
    let gate = match &opts.credit_gate {
        Some(g) => {
            let scale = check_gate_shape(dir, &settings)?;
            if g.validity_seconds == 0 || g.validity_seconds > 3650 * 86_400 {
                return Err(Error::Usage(format!(
                    "--validity-days: approvals must last between 1 second and 3650 days (got {} s)",
                    g.validity_seconds
                )));
            }
            Some(GatePolicy {
                threshold: fixed_threshold(g.threshold, scale)?,
                scale,
                validity_seconds: g.validity_seconds,
                schema: super::attest::input_schema(&read_program(dir, &settings)?).to_string(),
                providers: g.providers.iter().map(|p| p.to_checksum(None)).collect(),
            })
        }
        None => None,
    };
    let setup = settings
        .setup
        .clone()
        .ok_or_else(|| dir.err("has no keys; run `zkinfer setup` first"))?;
    let signer: PrivateKeySigner = opts.chain.key.signer()?;
    let from = signer.address();
    let rpc = Rpc::connect(opts.chain.rpc.clone())?;
    let chain_id = step(progress, "connecting", || rpc.check_chain(opts.chain.chain_id)).0?;
    let mut warnings = Vec::new();
    if setup.insecure_dev_srs {
        if !LOCAL_CHAIN_IDS.contains(&chain_id) && !opts.allow_insecure_srs {
            return Err(Error::Usage(format!(
                "refusing to deploy to chain {chain_id}: this build's keys come from the development SRS, whose secret is public, so anyone could forge proofs this verifier accepts. Run `zkinfer setup --srs FILE` with a ceremony SRS (or pass --allow-insecure-srs for a throwaway test chain)"
            )));
        }
        warnings.push(super::INSECURE_SRS_WARNING.to_string());
    }
    if let Some(why) = srs_refusal(&setup, chain_id, opts.accept_srs.as_deref()) {
        return Err(Error::Usage(why));
    }
    if matches!(&opts.credit_gate, Some(g) if g.providers.is_empty()) {
        warnings.push(
            "the CreditGate trusts no data provider yet, so it approves nobody: pass --provider ADDRESS, or have the owner call setProvider(address,bool)".into(),
        );
    }
    warnings.extend(model_advice(
        settings.visibility.params,
        &settings.instance_layout,
        settings.params_hash.as_deref(),
    ));
    let built = build_verifier(dir, &opts.verifier, progress)?;
    let consumers = match gate {
        Some(_) => Some(credit_gate()?),
        None => None,
    };
    let record_path = opts.record.clone().unwrap_or_else(|| default_record(dir, chain_id));
    let layout = built.sources.layout.to_string();
    let fresh = || DeploymentRecord {
        zkinfer_version: super::VERSION.into(),
        chain_id,
        deployer: hex0x(from.as_slice()),
        vk_hash: built.vk_hash.clone(),
        layout: layout.clone(),
        contracts: vec![],
        pending: vec![],
        credit_gate_policy: gate.clone(),
    };
    let had_record = record_path.exists();
    let mut record = match (had_record, opts.force) {
        (true, false) => {
            let r = DeploymentRecord::read(&record_path)?;
            let bad = |reason: String| ChainError::Record {
                path: record_path.display().to_string(),
                reason,
            };
            if r.chain_id != chain_id {
                return Err(bad(format!(
                    "is for chain {}, but the RPC serves chain {chain_id}; pass --record for another file",
                    r.chain_id
                ))
                .into());
            }
            if r.vk_hash != built.vk_hash {
                return Err(bad(format!(
                    "records a verifier of another verifying key ({}, this build's is {}); pass --record for another file, or --force to deploy anew and overwrite it",
                    r.vk_hash, built.vk_hash
                ))
                .into());
            }
            r
        }
        _ => fresh(),
    };

    let vk_hash = parse_b256("vk hash", &built.vk_hash)?;
    let mut steps = Vec::new();
    let mut sent = 0usize;
    let mut changed = false;
    let mut addresses: Vec<(&str, Address)> = Vec::new();
    let mut undeployed_dependency = false;

    // The plan, in order; each step may depend on the addresses of the ones before.
    let roles: Vec<&'static str> = ROLES
        .into_iter()
        .filter(|r| match *r {
            "verifying_key" => built.vk_contract.is_some(),
            "credit_gate" => gate.is_some(),
            _ => true,
        })
        .collect();
    for role in roles {
        let addr_of = |r: &str| addresses.iter().find(|(x, _)| *x == r).map(|(_, a)| *a);
        // Dry run: a contract whose dependency is not deployed gets a placeholder address.
        let dep = |r: &str| addr_of(r).unwrap_or(Address::ZERO);
        let planned = match role {
            "verifying_key" => {
                let c: &Compiled = built.vk_contract.as_ref().expect("separate layout");
                Planned {
                    name: c.name.clone(),
                    creation: c.bytecode.clone(),
                    // The constructor returns the key words as the code (0x00 ‖ words).
                    runtime: built.sources.vk_runtime.clone().expect("separate layout has key code"),
                    immutables: vec![],
                }
            }
            "verifier" => {
                let c = &built.verifier;
                let mut creation = c.bytecode.clone();
                let mut imm = None;
                if built.vk_contract.is_some() {
                    let w = word(dep("verifying_key"));
                    creation.extend_from_slice(&w);
                    imm = Some(w);
                }
                Planned {
                    name: c.name.clone(),
                    creation,
                    runtime: c.runtime_with_immutable(imm)?,
                    immutables: vec![],
                }
            }
            _ => {
                let g = consumers.as_ref().expect("compiled with the gate");
                let policy = gate.as_ref().expect("gate options");
                let args = (
                    dep("verifier"),
                    vk_hash,
                    parse_b256("schema", &policy.schema)?,
                    I256::try_from(policy.threshold).expect("i64 fits"),
                    policy.validity_seconds,
                    gate_providers(policy)?,
                )
                    .abi_encode_params();
                let mut creation = g.bytecode.clone();
                creation.extend_from_slice(&args);
                Planned {
                    name: g.name.clone(),
                    creation,
                    runtime: g.deployed_bytecode.clone(),
                    immutables: g.immutable_slots.clone(),
                }
            }
        };

        let what = format!("deploying {}", planned.name);
        // A deployment an earlier run signed and may have sent: settle it before sending.
        if let Some(pend) = record.pending.iter().find(|p| p.role == role).cloned() {
            let hash = parse_b256("record", &pend.tx_hash)?;
            match rpc.receipt(hash)? {
                Some(r) if r.status() => {
                    let address = r
                        .contract_address
                        .ok_or_else(|| ChainError::Code(format!("{what}: the receipt of {hash} has no contract address")))?;
                    let code = rpc.code(address)?;
                    progress.note(&format!(
                        "the deployment of {} sent by an earlier run ({hash}) was mined at {}; recorded",
                        planned.name,
                        hex0x(address.as_slice())
                    ));
                    record.set(DeployedContract {
                        role: role.into(),
                        name: planned.name.clone(),
                        address: hex0x(address.as_slice()),
                        tx_hash: hash.to_string(),
                        block: r.block_number.unwrap_or_default(),
                        gas_used: r.gas_used,
                        code_hash: keccak256(&code).to_string(),
                        code_bytes: code.len(),
                    });
                }
                Some(r) => progress.note(&format!(
                    "the deployment of {} sent by an earlier run ({hash}) reverted in block {}",
                    planned.name,
                    r.block_number.unwrap_or_default()
                )),
                None if rpc.knows_transaction(hash)? => {
                    return Err(ChainError::Unsure {
                        what,
                        tx_hash: hash.to_string(),
                        reason: format!(
                            "it is still pending from an earlier run; wait for it to be mined (or replace nonce {}), then run again",
                            pend.nonce
                        ),
                    }
                    .into())
                }
                None => progress.note(&format!(
                    "the deployment of {} signed by an earlier run ({hash}) never reached the chain",
                    planned.name
                )),
            }
            record.pending.retain(|p| p.role != role);
            if !opts.dry_run {
                record.write(&record_path)?;
            }
        }

        // Already there?
        if let Some(existing) = record.get(role).cloned() {
            let address = parse_address("record", &existing.address)?;
            let code = rpc.code(address)?;
            let same_code = planned.matches(&code);
            let same_config = same_code && check_config(&rpc, from, role, address, &addresses, vk_hash, gate.as_ref())?;
            if same_config {
                progress.note(&format!(
                    "{} is already deployed at {} (record {}); nothing sent",
                    planned.name,
                    existing.address,
                    record_path.display()
                ));
                addresses.push((role, address));
                steps.push(DeployStep {
                    role: role.into(),
                    name: planned.name,
                    action: "already deployed".into(),
                    address: Some(existing.address),
                    tx_hash: Some(existing.tx_hash),
                    block: Some(existing.block),
                    gas: Some(existing.gas_used),
                    code_bytes: code.len(),
                });
                continue;
            }
            if !code.is_empty() {
                let why = if !same_code {
                    "holds other code than this build's (another solc, optimizer setting or layout?)"
                } else if role == "credit_gate" {
                    "is configured differently (another verifier, key, policy, schema or providers; the owner can change them with setPolicy, setSchema and setProvider)"
                } else {
                    "is wired differently (another verifying-key contract)"
                };
                return Err(ChainError::Record {
                    path: record_path.display().to_string(),
                    reason: format!(
                        "its {} at {} {why}. Pass --force to deploy new contracts (whoever uses the old address keeps using it), or --record for another file",
                        planned.name, existing.address
                    ),
                }
                .into());
            }
            progress.note(&format!(
                "the record's {} at {} has no code on chain now (a restarted node?); deploying it again",
                planned.name, existing.address
            ));
        }

        if opts.dry_run && undeployed_dependency {
            steps.push(DeployStep::would_deploy(role, planned.name, None, planned.runtime.len()));
            continue;
        }
        let call = Call {
            what: what.clone(),
            from,
            to: None,
            data: planned.creation.clone(),
            abi: if role == "credit_gate" { Abi::CreditGate } else { Abi::Verifier },
        };
        let p: Prepared = prepare(&rpc, chain_id, call, &opts.chain.tx)?;
        progress.note(&format!(
            "{} {} ({} bytes of runtime code) from {} on chain {chain_id}: estimated {} gas, max fee {} gwei, at most {} ETH",
            if opts.dry_run { "would deploy" } else { "deploying" },
            planned.name,
            planned.runtime.len(),
            hex0x(from.as_slice()),
            p.gas_estimate,
            format_gwei(p.max_fee_per_gas),
            format_eth(p.max_cost()),
        ));
        if opts.dry_run {
            undeployed_dependency = true;
            steps.push(DeployStep::would_deploy(
                role,
                planned.name,
                Some(p.gas_estimate),
                planned.runtime.len(),
            ));
            continue;
        }
        // Recorded as pending before it reaches the node, so a re-run after any failure looks
        // it up instead of deploying a second copy.
        let mut mark_pending = |hash: B256| -> Result<(), ChainError> {
            record.pending.push(PendingTx {
                role: role.into(),
                tx_hash: hash.to_string(),
                from: hex0x(from.as_slice()),
                nonce: p.nonce,
            });
            record.write(&record_path)?;
            progress.note(&format!("sending {hash}"));
            Ok(())
        };
        let (mined, _) = step(progress, &what, || send(&rpc, &p, &signer, &opts.chain.tx, &mut mark_pending));
        let mined = match mined {
            Ok(m) => m,
            Err(
                e @ (ChainError::Reverted { .. }
                | ChainError::Nonce(_)
                | ChainError::Refused { .. }
                | ChainError::Key(_)
                | ChainError::InsufficientFunds { .. }),
            ) => {
                // Refused by the node or reverted: nothing is pending any more.
                record.pending.retain(|p| p.role != role);
                if record.contracts.is_empty() && record.pending.is_empty() && !had_record {
                    let _ = std::fs::remove_file(&record_path);
                } else {
                    record.write(&record_path)?;
                }
                return Err(e.into());
            }
            // Anything else may have left the transaction on its way: it stays pending.
            Err(e) => return Err(e.into()),
        };
        sent += 1;
        let address = mined
            .contract_address
            .as_deref()
            .ok_or_else(|| ChainError::Code(format!("{what}: the receipt of {} has no contract address", mined.tx_hash)))
            .and_then(|a| parse_address("receipt", a))?;
        let code = rpc.code(address)?;
        if !planned.matches(&code) {
            return Err(ChainError::Code(format!(
                "{what}: the code at {} (keccak {}, {} bytes) is not the expected runtime (keccak {}, {} bytes)",
                hex0x(address.as_slice()),
                keccak256(&code),
                code.len(),
                keccak256(&planned.runtime),
                planned.runtime.len()
            ))
            .into());
        }
        let entry = DeployedContract {
            role: role.into(),
            name: planned.name.clone(),
            address: hex0x(address.as_slice()),
            tx_hash: mined.tx_hash.clone(),
            block: mined.block,
            gas_used: mined.gas_used,
            code_hash: keccak256(&code).to_string(),
            code_bytes: code.len(),
        };
        if !changed {
            // The record now describes this deployment (its deployer and policy).
            record.deployer = hex0x(from.as_slice());
            record.credit_gate_policy = gate.clone();
            record.layout = layout.clone();
            record.zkinfer_version = super::VERSION.into();
        }
        // Contracts after this one in the plan were wired to its old address: drop them.
        let rank = |r: &str| ROLES.iter().position(|x| *x == r).unwrap_or(usize::MAX);
        record.contracts.retain(|c| rank(&c.role) < rank(role));
        record.pending.retain(|p| p.role != role);
        record.set(entry);
        record.write(&record_path)?;
        changed = true;
        addresses.push((role, address));
        steps.push(DeployStep {
            role: role.into(),
            name: planned.name,
            action: "deployed".into(),
            address: Some(hex0x(address.as_slice())),
            tx_hash: Some(mined.tx_hash),
            block: Some(mined.block),
            gas: Some(mined.gas_used),
            code_bytes: code.len(),
        });
    }
    Ok(DeployReport {
        chain_id,
        deployer: hex0x(from.as_slice()),
        vk_hash: built.vk_hash.clone(),
        layout,
        srs_sha256: setup.srs_sha256.clone(),
        srs_known_ceremony: setup.srs_known_ceremony.clone(),
        record: (!opts.dry_run).then(|| record_path.display().to_string()),
        dry_run: opts.dry_run,
        transactions: sent,
        contracts: steps,
        credit_gate_policy: gate,
        warnings,
    })
}

/// For a contract found on chain with the expected code: whether it is wired as this deployment
/// wants (a verifier checks this key and reads the right key contract; a gate points at this
/// verifier with this key and policy).
fn check_config(
    rpc: &Rpc,
    from: Address,
    role: &str,
    address: Address,
    deps: &[(&str, Address)],
    vk_hash: B256,
    gate: Option<&GatePolicy>,
) -> Result<bool, Error> {
    let dep = |r: &str| deps.iter().find(|(x, _)| *x == r).map(|(_, a)| *a);
    Ok(match role {
        "verifier" => {
            let h = view(rpc, from, address, IZkinferVerifier::VK_HASHCall {}, Abi::Verifier)?;
            let key_ok = match dep("verifying_key") {
                Some(k) => view(rpc, from, address, ISeparateVerifier::VERIFYING_KEYCall {}, Abi::Verifier)? == k,
                None => true,
            };
            h == vk_hash && key_ok
        }
        "credit_gate" => {
            let policy = gate.expect("gate role only with a policy");
            let v = view(rpc, from, address, ICreditGate::verifierCall {}, Abi::CreditGate)?;
            let h = view(rpc, from, address, ICreditGate::vkHashCall {}, Abi::CreditGate)?;
            let t = view(rpc, from, address, ICreditGate::thresholdCall {}, Abi::CreditGate)?;
            let d = view(rpc, from, address, ICreditGate::validityCall {}, Abi::CreditGate)?;
            let s = view(rpc, from, address, ICreditGate::schemaCall {}, Abi::CreditGate)?;
            let mut providers_ok = true;
            for p in gate_providers(policy)? {
                providers_ok &= view(rpc, from, address, ICreditGate::providersCall { provider: p }, Abi::CreditGate)?;
            }
            Some(v) == dep("verifier")
                && h == vk_hash
                && t == I256::try_from(policy.threshold).expect("fits")
                && d == policy.validity_seconds
                && s.to_string() == policy.schema
                && providers_ok
        }
        _ => true,
    })
}

/// Why a verifier on `chain_id` must not rest on this build's SRS, if it must not: on a chain
/// other than a local development chain the SRS must be a known public ceremony file or one the
/// user accepted by its SHA-256 (`--accept-srs`). The development SRS has its own rule
/// (`--allow-insecure-srs`).
pub fn srs_refusal(setup: &super::settings::SetupInfo, chain_id: u64, accepted: Option<&str>) -> Option<String> {
    if setup.insecure_dev_srs || LOCAL_CHAIN_IDS.contains(&chain_id) || setup.srs_known_ceremony.is_some() {
        return None;
    }
    let norm = |h: &str| h.trim().trim_start_matches("0x").to_ascii_lowercase();
    if setup.srs_sha256.is_empty() {
        return Some(format!(
            "refusing to deploy to chain {chain_id}: this build's settings do not name its SRS (set up by an older zkinfer); run `zkinfer setup --srs FILE` again"
        ));
    }
    if accepted.map(norm) == Some(norm(&setup.srs_sha256)) {
        return None;
    }
    Some(format!(
        "refusing to deploy to chain {chain_id}: this build's SRS (SHA-256 {}) is not a known public ceremony file, so nothing says its secret was destroyed. Set up with a ceremony file (see `zkinfer srs info FILE`), or pass --accept-srs {} if you vouch for it",
        setup.srs_sha256, setup.srs_sha256
    ))
}

/// The providers of a gate policy as addresses.
fn gate_providers(policy: &GatePolicy) -> Result<Vec<Address>, Error> {
    policy
        .providers
        .iter()
        .map(|p| parse_address("provider", p).map_err(Error::from))
        .collect()
}

/// Wei as gwei with 3 decimals.
pub fn format_gwei(wei: u128) -> String {
    format!("{:.3}", wei as f64 / 1e9)
}

/// Wei as ETH with 6 decimals.
pub fn format_eth(wei: alloy::primitives::U256) -> String {
    let w: f64 = wei.to_string().parse().unwrap_or(f64::INFINITY);
    format!("{:.6}", w / 1e18)
}

/// The default record of a build on a chain: `<build>/deployments/<chain id>.json`.
pub fn default_record(dir: &BuildDir, chain_id: u64) -> PathBuf {
    dir.0.join("deployments").join(format!("{chain_id}.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_srs_needs_accepting_off_local_chains() {
        let mut setup = super::super::settings::SetupInfo {
            insecure_dev_srs: false,
            srs_source: "file".into(),
            vk_hash: "0x00".into(),
            pk_sha256: String::new(),
            vk_sha256: String::new(),
            srs_sha256: "ab".repeat(32),
            srs_blake2b: String::new(),
            srs_format: "halo2-raw".into(),
            srs_known_ceremony: None,
        };
        assert_eq!(srs_refusal(&setup, 31337, None), None, "local chains take any SRS");
        let e = srs_refusal(&setup, 1, None).expect("refused on mainnet");
        assert!(
            e.contains("not a known public ceremony") && e.contains(&format!("--accept-srs {}", "ab".repeat(32))),
            "{e}"
        );
        assert_eq!(
            srs_refusal(&setup, 1, Some(&format!("0x{}", "AB".repeat(32)))),
            None,
            "accepted by hash"
        );
        assert!(
            srs_refusal(&setup, 1, Some(&"cd".repeat(32))).is_some(),
            "another hash accepts nothing"
        );
        setup.srs_known_ceremony = Some("powersOfTau28_hez_final_12.ptau".into());
        assert_eq!(srs_refusal(&setup, 1, None), None, "a known ceremony");
        setup.srs_known_ceremony = None;
        setup.srs_sha256.clear();
        assert!(srs_refusal(&setup, 1, None).expect("unnamed").contains("older zkinfer"));
    }

    #[test]
    fn thresholds_convert_at_the_output_scale() {
        assert_eq!(fixed_threshold(0.5, 7).expect("fits"), 64);
        assert_eq!(fixed_threshold(-1.25, 4).expect("fits"), -20);
        // Outputs are not rescaled: a final layer's scale can pass 31 bits (input + weights).
        assert_eq!(fixed_threshold(0.5, 38).expect("fits"), 1 << 37);
        assert_eq!(fixed_threshold(-0.25, 32).expect("fits"), -(1 << 30));
        assert!(fixed_threshold(1.0, 63).is_err(), "2^63 does not fit");
        assert!(fixed_threshold(f64::NAN, 7).is_err());
        assert!(fixed_threshold(1e30, 7).is_err());
    }

    fn slot(kind: InstanceKind, name: &str, start: usize, len: usize) -> InstanceSlot {
        InstanceSlot {
            name: name.into(),
            kind,
            scale: None,
            start,
            len,
            member: None,
        }
    }

    #[test]
    fn model_advice_names_the_instances_each_params_mode_really_has() {
        let score = slot(InstanceKind::Output, "score", 0, 1);
        let h = "0x0123";
        assert_eq!(model_advice(Vis::Fixed, std::slice::from_ref(&score), None), None);

        // hashed: one params-hash instance, which ApprovedModelVerifier pins
        let hashed = [score.clone(), slot(InstanceKind::ParamsHash, "params", 1, 1)];
        let a = model_advice(Vis::Hashed, &hashed, Some(h)).unwrap();
        assert!(a.contains("accepts proofs of any model"), "{a}");
        assert!(
            a.contains("ApprovedModelVerifier") && a.contains("paramsIndex 1") && a.contains("approve 0x0123"),
            "{a}"
        );
        assert!(a.contains("instance 1 is the Poseidon hash"), "{a}");

        // public, one parameter: instance 1 is the raw value, not a hash; no paramsIndex
        let one = [score.clone(), slot(InstanceKind::Params, "params", 1, 1)];
        let a = model_advice(Vis::Public, &one, Some(h)).unwrap();
        assert!(!a.contains("paramsIndex") && !a.contains("approve 0x"), "{a}");
        assert!(a.contains("instance 1, the raw quantized value (not a hash)"), "{a}");
        assert!(a.contains("compare those instances") && a.contains("no instance holds it"), "{a}");
        assert!(a.contains("does not fit public params") && a.contains("--params hashed"), "{a}");

        // public, several parameters: their index range
        let many = [score.clone(), slot(InstanceKind::Params, "params", 1, 5)];
        let a = model_advice(Vis::Public, &many, Some(h)).unwrap();
        assert!(a.contains("5 parameters are instances 1 to 5") && !a.contains("paramsIndex"), "{a}");

        // private: no parameter instance to check, and it says so
        let a = model_advice(Vis::Private, &[score], None).unwrap();
        assert!(a.contains("does not commit to any model") && a.contains("any weights pass"), "{a}");
        assert!(a.contains("should not gate anything of value"), "{a}");
        assert!(!a.contains("params instances") && !a.contains("paramsIndex"), "{a}");
    }
}
