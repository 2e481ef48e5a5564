//! One transaction from plan to receipt: estimate, check funds, sign once, send (retries re-send
//! the same bytes), wait for the receipt and the confirmations, fail on status 0.

use super::contracts::{decode_revert, Abi};
use super::rpc::{CallResult, Rpc};
use super::{hex0x, ChainError};
use alloy::consensus::TxEnvelope;
use alloy::eips::eip2718::Encodable2718;
use alloy::network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder};
use alloy::primitives::{Address, Bytes, TxKind, B256, U256};
use alloy::rpc::types::{Log, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use serde::Serialize;
use std::time::{Duration, Instant};

/// Waiting for receipts.
#[derive(Clone, Debug)]
pub struct TxOptions {
    /// Blocks that must include the transaction (1 = mined).
    pub confirmations: u64,
    /// How long to wait for them.
    pub timeout: Duration,
    /// Gas limit = estimate × (100 + margin) / 100.
    pub gas_margin_percent: u64,
}

impl Default for TxOptions {
    fn default() -> Self {
        TxOptions {
            confirmations: 1,
            timeout: Duration::from_secs(120),
            gas_margin_percent: 20,
        }
    }
}

/// A call or contract creation to simulate, estimate or send.
#[derive(Clone, Debug)]
pub struct Call {
    /// What it does (for messages).
    pub what: String,
    /// Sender.
    pub from: Address,
    /// Recipient (`None`: contract creation).
    pub to: Option<Address>,
    /// Input data.
    pub data: Vec<u8>,
    /// Whose custom errors a revert carries.
    pub abi: Abi,
}

/// A transaction ready to sign.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The call.
    pub call: Call,
    /// Gas estimate.
    pub gas_estimate: u64,
    /// Gas limit (estimate plus margin).
    pub gas_limit: u64,
    /// Max fee per gas (wei).
    pub max_fee_per_gas: u128,
    /// Max priority fee per gas (wei).
    pub max_priority_fee_per_gas: u128,
    /// Nonce.
    pub nonce: u64,
    /// Chain id.
    pub chain_id: u64,
}

impl Prepared {
    /// Upper bound of the fee (wei).
    pub fn max_cost(&self) -> U256 {
        U256::from(self.gas_limit) * U256::from(self.max_fee_per_gas)
    }
}

/// A mined, successful transaction.
#[derive(Clone, Debug, Serialize)]
pub struct Mined {
    /// Transaction hash.
    pub tx_hash: String,
    /// Block number.
    pub block: u64,
    /// Gas used.
    pub gas_used: u64,
    /// Effective gas price (wei).
    pub effective_gas_price: u128,
    /// Created contract (deployments).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract_address: Option<String>,
    /// Logs (not serialised).
    #[serde(skip)]
    pub logs: Vec<Log>,
}

fn request(from: Address, to: Option<Address>, data: &[u8]) -> TransactionRequest {
    let mut tx = TransactionRequest::default()
        .with_from(from)
        .with_input(Bytes::copy_from_slice(data));
    tx.to = Some(match to {
        Some(a) => TxKind::Call(a),
        None => TxKind::Create,
    });
    tx
}

/// `eth_call` of `call` (which must have a recipient): the return data, or a
/// [`ChainError::WouldRevert`] with the decoded reason.
pub fn simulate(rpc: &Rpc, call: &Call) -> Result<Vec<u8>, ChainError> {
    match rpc.call(&request(call.from, call.to, &call.data))? {
        CallResult::Success(out) => Ok(out),
        CallResult::Revert(data, message) => Err(ChainError::WouldRevert {
            what: call.what.clone(),
            reason: decode_revert(&data, call.abi).unwrap_or(message),
        }),
    }
}

/// Calls the view `call` on `to` from `from` and decodes what it returns.
pub fn view<C: SolCall>(rpc: &Rpc, from: Address, to: Address, call: C, abi: Abi) -> Result<C::Return, ChainError> {
    let out = simulate(
        rpc,
        &Call {
            what: format!("{} on {}", C::SIGNATURE, hex0x(to.as_slice())),
            from,
            to: Some(to),
            data: call.abi_encode(),
            abi,
        },
    )?;
    C::abi_decode_returns(&out).map_err(|e| ChainError::Code(format!("{} on {}: {e}", C::SIGNATURE, hex0x(to.as_slice()))))
}

/// Estimates gas and fees, reads the nonce, and checks the balance covers the worst case.
pub fn prepare(rpc: &Rpc, chain_id: u64, call: Call, opts: &TxOptions) -> Result<Prepared, ChainError> {
    let gas_estimate = match rpc.estimate_gas(&request(call.from, call.to, &call.data))? {
        Ok(g) => g,
        Err(CallResult::Revert(d, message)) => {
            return Err(ChainError::WouldRevert {
                what: call.what.clone(),
                reason: decode_revert(&d, call.abi).unwrap_or(message),
            })
        }
        Err(CallResult::Success(_)) => unreachable!("estimate_gas maps success to Ok"),
    };
    let gas_limit = gas_estimate.saturating_mul(100 + opts.gas_margin_percent) / 100;
    let (max_fee_per_gas, max_priority_fee_per_gas) = rpc.fees()?;
    let nonce = rpc.pending_nonce(call.from)?;
    let balance = rpc.balance(call.from)?;
    let p = Prepared {
        call,
        gas_estimate,
        gas_limit,
        max_fee_per_gas,
        max_priority_fee_per_gas,
        nonce,
        chain_id,
    };
    if balance < p.max_cost() {
        return Err(ChainError::InsufficientFunds {
            address: hex0x(p.call.from.as_slice()),
            balance: balance.to_string(),
            needed: p.max_cost().to_string(),
            what: p.call.what.clone(),
        });
    }
    Ok(p)
}

/// Signs `p` with `signer` (EIP-1559) on `rpc`'s runtime: the raw bytes and the hash.
pub fn sign(rpc: &Rpc, p: &Prepared, signer: &PrivateKeySigner) -> Result<(Vec<u8>, B256), ChainError> {
    let tx = request(p.call.from, p.call.to, &p.call.data)
        .with_nonce(p.nonce)
        .with_chain_id(p.chain_id)
        .with_gas_limit(p.gas_limit)
        .with_max_fee_per_gas(p.max_fee_per_gas)
        .with_max_priority_fee_per_gas(p.max_priority_fee_per_gas);
    let wallet = EthereumWallet::from(signer.clone());
    let env: TxEnvelope = rpc
        .block_on(tx.build(&wallet))
        .map_err(|e| ChainError::Key(format!("cannot sign {}: {e}", p.call.what)))?;
    Ok((env.encoded_2718(), *env.tx_hash()))
}

/// Signs, sends and waits for `p`; a status-0 receipt is an error. `before_send` gets the
/// transaction hash once it is signed and before anything reaches the node (to record it as
/// pending); an error from it stops the send. A failure after that which leaves open whether
/// the node has the transaction is a [`ChainError::Unsure`] naming the hash.
pub fn send(
    rpc: &Rpc,
    p: &Prepared,
    signer: &PrivateKeySigner,
    opts: &TxOptions,
    before_send: &mut dyn FnMut(B256) -> Result<(), ChainError>,
) -> Result<Mined, ChainError> {
    let (raw, hash) = sign(rpc, p, signer)?;
    before_send(hash)?;
    if let Err(e) = rpc.send_raw(&raw, hash, p.call.from, p.nonce, &p.call.what) {
        return Err(match e {
            ChainError::Rpc { reason, .. } => ChainError::Unsure {
                what: p.call.what.clone(),
                tx_hash: hash.to_string(),
                reason,
            },
            other => other,
        });
    }
    wait(rpc, hash, &p.call.what, opts)
}

/// Waits for the receipt of `hash` and `opts.confirmations` blocks.
pub fn wait(rpc: &Rpc, hash: B256, what: &str, opts: &TxOptions) -> Result<Mined, ChainError> {
    let start = Instant::now();
    let timeout = || ChainError::Timeout {
        what: what.into(),
        tx_hash: hash.to_string(),
        confirmations: opts.confirmations,
        seconds: opts.timeout.as_secs(),
    };
    let mut poll = Duration::from_millis(100);
    // An unreachable node while polling is not a verdict on the transaction: keep polling until
    // the timeout.
    let receipt = loop {
        match rpc.receipt(hash) {
            Ok(Some(r)) => break r,
            Ok(None) | Err(ChainError::Rpc { .. }) => {}
            Err(e) => return Err(e),
        }
        if start.elapsed() >= opts.timeout {
            return Err(timeout());
        }
        rpc.pause(poll);
        poll = (poll * 2).min(Duration::from_secs(2));
    };
    let block = receipt.block_number.unwrap_or_default();
    if !receipt.status() {
        return Err(ChainError::Reverted {
            what: what.into(),
            tx_hash: hash.to_string(),
            block,
            gas_used: receipt.gas_used,
        });
    }
    let want = block + opts.confirmations.max(1) - 1;
    while rpc.block_number().unwrap_or(0) < want {
        if start.elapsed() >= opts.timeout {
            return Err(timeout());
        }
        rpc.pause(Duration::from_millis(500));
    }
    // The transaction may have been reorganised out while waiting.
    if opts.confirmations > 1 && rpc.receipt(hash)?.and_then(|r| r.block_number) != Some(block) {
        return Err(ChainError::Unsure {
            what: what.into(),
            tx_hash: hash.to_string(),
            reason: format!("it left block {block} while waiting for confirmations (reorg)"),
        });
    }
    Ok(Mined {
        tx_hash: hash.to_string(),
        block,
        gas_used: receipt.gas_used,
        effective_gas_price: receipt.effective_gas_price,
        contract_address: receipt.contract_address.map(|a| hex0x(a.as_slice())),
        logs: receipt.inner.logs().to_vec(),
    })
}
