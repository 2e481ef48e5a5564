//! The operator's side of the InferenceOracle, shared by the one-machine service and the queue
//! workers: its account, the checks at start (chain, operator role, each model's registration),
//! what the chain says about a request, and sending a fulfilment.

use super::config::Config;
use super::job::{ModelBuild, Proved};
use super::store::{RequestEvent, Status};
use super::OperatorError;
use crate::chain::contracts::{Abi, IInferenceOracle};
use crate::chain::tx::{prepare, send, simulate, view, Call};
use crate::chain::{ChainError, Rpc, RpcOptions, TxOptions};
use alloy::primitives::{Address, B256, U256};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolEvent};
use std::collections::BTreeMap;

/// What the chain says about a request before it is proved or sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OnChain {
    /// Open and before its deadline.
    Open,
    /// Nothing more to do: the status to record, and why.
    Settled(Status, String),
}

/// How sending a fulfilment ended.
#[derive(Clone, Debug)]
pub enum Sent {
    /// Mined and successful.
    Mined {
        /// Transaction hash.
        tx_hash: String,
        /// Block.
        block: u64,
        /// Gas used.
        gas_used: u64,
        /// `callbackOk` of each RequestFulfilled event.
        callbacks: Vec<bool>,
    },
    /// The simulation reverted (nothing sent): the decoded reason.
    Refused(String),
    /// Sent, but its outcome is not known yet (look the hash up later).
    Unconfirmed(String),
    /// Mined and reverted.
    Reverted(String),
    /// Not sent (e.g. the account cannot pay): the reason.
    NotSent(String),
}

/// The oracle as one operator account sees it.
pub struct Oracle {
    /// The node.
    pub rpc: Rpc,
    /// The operator's key.
    pub signer: PrivateKeySigner,
    /// Its address.
    pub from: Address,
    /// The oracle's address.
    pub address: Address,
    /// The chain (0 until [`Oracle::check`]).
    pub chain_id: u64,
    /// Waiting for fulfilments.
    pub tx: TxOptions,
}

impl Oracle {
    /// The oracle of `cfg`, with its key (nothing reaches the node yet).
    pub fn new(cfg: &Config) -> Result<Oracle, OperatorError> {
        let signer = cfg.key.signer()?;
        Ok(Oracle {
            rpc: Rpc::connect(RpcOptions::new(&cfg.rpc_url))?,
            from: signer.address(),
            signer,
            address: cfg.oracle,
            chain_id: 0,
            tx: TxOptions {
                confirmations: cfg.tx_confirmations,
                timeout: cfg.tx_timeout,
                ..TxOptions::default()
            },
        })
    }

    /// A view call on the oracle.
    pub fn view<C: SolCall>(&self, call: C) -> Result<C::Return, OperatorError> {
        Ok(view(&self.rpc, self.from, self.address, call, Abi::InferenceOracle)?)
    }

    /// Checks the chain, the oracle's code, this account's operator role and each model's
    /// registration against its build; returns the chain id.
    pub fn check(&mut self, cfg: &Config, builds: &BTreeMap<B256, ModelBuild>) -> Result<u64, OperatorError> {
        let chain_id = self.rpc.check_chain(cfg.chain_id)?;
        self.chain_id = chain_id;
        let oracle = format!("{:#x}", self.address);
        if self.rpc.code(self.address)?.is_empty() {
            return Err(ChainError::Code(format!("there is no contract at the oracle address {oracle} on chain {chain_id}")).into());
        }
        if !self.view(IInferenceOracle::operatorsCall { operator: self.from })? {
            return Err(ChainError::Code(format!(
                "{:#x} is not an operator of the oracle {oracle}: its owner must call setOperator({:#x}, true)",
                self.from, self.from
            ))
            .into());
        }
        for (id, b) in builds {
            let m = self.view(IInferenceOracle::modelsCall { modelId: *id })?;
            let batch = self.view(IInferenceOracle::batchSizeCall { modelId: *id })?;
            let bad = |reason: String| OperatorError::Model {
                model: b.config.name.clone(),
                reason,
            };
            if m.verifier == Address::ZERO {
                return Err(bad(format!("is not registered with the oracle {oracle} (id {id})")));
            }
            if format!("{:#x}", m.vkHash) != b.vk_hash.to_lowercase() {
                return Err(bad(format!(
                    "the oracle checks verifying key {:#x}, but build {} has {}; serve the build the registered verifier was made from",
                    m.vkHash,
                    b.config.build.display(),
                    b.vk_hash
                )));
            }
            if (m.numOutputs as usize, m.numInstances as usize) != (b.outputs, b.instances) {
                return Err(bad(format!(
                    "registered with {} output(s) of {} instances, but the build has {} of {}",
                    m.numOutputs, m.numInstances, b.outputs, b.instances
                )));
            }
            let want = if b.batch > 1 { b.batch as u32 } else { 0 };
            if batch != want {
                return Err(bad(format!(
                    "registered with batch size {batch}, but the build proves {} inference(s) per proof",
                    b.batch
                )));
            }
        }
        Ok(chain_id)
    }

    /// The chain's view of a request (`now`: the latest block's timestamp).
    pub fn on_chain(&self, req: &RequestEvent, now: u64) -> Result<OnChain, OperatorError> {
        let id: U256 = req.request_id.parse().unwrap_or_default();
        let r = self.view(IInferenceOracle::requestsCall { requestId: id })?;
        if r.status == 0 {
            return Ok(OnChain::Settled(
                Status::Reorged,
                "the request is not on chain (its block was reorganised away)".into(),
            ));
        }
        if format!("{:#x}", r.inputKey) != req.input_key || format!("{:#x}", r.modelId) != req.model_id {
            return Ok(OnChain::Settled(
                Status::Reorged,
                "the request on chain is not the one scanned (a reorg replaced it); waiting for the rescan".into(),
            ));
        }
        Ok(match r.status {
            2 => OnChain::Settled(Status::Done, "found fulfilled on chain".into()),
            3 => OnChain::Settled(Status::Expired, "refunded to its requester after its deadline".into()),
            _ if now > r.deadline => OnChain::Settled(Status::Expired, format!("its deadline {} passed", r.deadline)),
            _ => {
                // a request is bound to the model version registered when it was made
                let current = self.view(IInferenceOracle::modelVersionCall { modelId: r.modelId })?;
                if current != r.modelVersion {
                    OnChain::Settled(
                        Status::Failed,
                        format!(
                            "the model was registered again after the request (version {} then, {current} now): the oracle refuses to answer it with another model; its requester can have it refunded after its deadline",
                            r.modelVersion
                        ),
                    )
                } else {
                    OnChain::Open
                }
            }
        })
    }

    /// The latest block's timestamp.
    pub fn now(&self) -> Result<u64, OperatorError> {
        Ok(self.rpc.latest_timestamp()?)
    }

    /// The account's balance in ether (none if the node cannot say).
    pub fn balance_eth(&self) -> Option<f64> {
        let wei = self.rpc.balance(self.from).ok()?;
        wei.to_string().parse::<f64>().ok().map(|w| w / 1e18)
    }

    /// Simulates, signs and sends the fulfilment of `reqs` (one request, or a batch's members
    /// in order) with proof `p`; `before_send` gets the hash before the transaction leaves.
    /// Only an unreachable node is an `Err`.
    pub fn fulfil(
        &self,
        build: &ModelBuild,
        reqs: &[&RequestEvent],
        p: &Proved,
        before_send: &mut dyn FnMut(B256) -> Result<(), ChainError>,
    ) -> Result<Sent, OperatorError> {
        let ids: Vec<U256> = reqs.iter().map(|r| r.request_id.parse().unwrap_or_default()).collect();
        let names: Vec<&str> = reqs.iter().map(|r| r.request_id.as_str()).collect();
        let proof = alloy::primitives::Bytes::from(p.proof.clone());
        let data = if build.batch > 1 {
            IInferenceOracle::fulfilBatchCall {
                requestIds: ids,
                proof,
                instances: p.instances.clone(),
            }
            .abi_encode()
        } else {
            IInferenceOracle::fulfilCall {
                requestId: ids[0],
                proof,
                instances: p.instances.clone(),
            }
            .abi_encode()
        };
        let call = Call {
            what: format!("fulfilling request {}", names.join(", ")),
            from: self.from,
            to: Some(self.address),
            data,
            abi: Abi::InferenceOracle,
        };
        match simulate(&self.rpc, &call) {
            Ok(_) => {}
            Err(ChainError::WouldRevert { reason, .. }) => return Ok(Sent::Refused(reason)),
            Err(e @ ChainError::Rpc { .. }) => return Err(e.into()),
            Err(e) => return Ok(Sent::NotSent(e.to_string())),
        }
        let prepared = match prepare(&self.rpc, self.chain_id, call, &self.tx) {
            Ok(p) => p,
            Err(e @ ChainError::Rpc { .. }) => return Err(e.into()),
            Err(ChainError::WouldRevert { reason, .. }) => return Ok(Sent::Refused(reason)),
            Err(e) => return Ok(Sent::NotSent(e.to_string())),
        };
        Ok(match send(&self.rpc, &prepared, &self.signer, &self.tx, before_send) {
            Ok(mined) => {
                let callbacks = mined
                    .logs
                    .iter()
                    .filter(|l| l.address() == self.address)
                    .filter_map(|l| IInferenceOracle::RequestFulfilled::decode_log_data(l.data()).ok())
                    .map(|e| e.callbackOk)
                    .collect();
                Sent::Mined {
                    tx_hash: mined.tx_hash,
                    block: mined.block,
                    gas_used: mined.gas_used,
                    callbacks,
                }
            }
            Err(e @ (ChainError::Unsure { .. } | ChainError::Timeout { .. } | ChainError::Rpc { .. })) => Sent::Unconfirmed(e.to_string()),
            Err(ChainError::Reverted { tx_hash, .. }) => Sent::Reverted(tx_hash),
            Err(e) => Sent::NotSent(e.to_string()),
        })
    }

    /// What became of a fulfilment sent earlier.
    pub fn lookup(&self, hash: B256) -> Result<Lookup, OperatorError> {
        match self.rpc.receipt(hash)? {
            Some(r) if r.status() => Ok(Lookup::Mined {
                block: r.block_number.unwrap_or_default(),
                gas_used: r.gas_used,
            }),
            Some(_) => Ok(Lookup::Gone),
            None if self.rpc.knows_transaction(hash)? => Ok(Lookup::Pending),
            None => Ok(Lookup::Gone),
        }
    }
}

/// What became of a fulfilment sent earlier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// Mined successfully.
    Mined {
        /// Block.
        block: u64,
        /// Gas used.
        gas_used: u64,
    },
    /// Still pending in the node.
    Pending,
    /// Unknown to the node, or mined and reverted: check the request and send again.
    Gone,
}
