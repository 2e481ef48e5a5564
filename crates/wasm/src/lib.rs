//! zkinfer in the browser: [`WebProver`] loads a web bundle (`zkinfer export-web`), computes
//! the input hash a data provider attests, proves an inference with bound values, verifies, and
//! encodes `verifyProof` and `requestCredit` calldata. Everything runs in the page: the features
//! never leave the borrower's machine.
//!
//! The JS side (`web/zkinfer.js`) runs this in a Web Worker; values cross the boundary as JSON
//! text and byte arrays. Errors are `Error`s whose message names what is wrong.
#![warn(missing_docs)]

use halo2_axiom::halo2curves::bn256::Fr;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use zkinfer_core::calldata::{encode_is_approved, encode_request_credit, encode_verify_call, function_selector, Attestation};
use zkinfer_core::proof::bundle::Bundle;
use zkinfer_core::proof::inference::{self, BindError};
use zkinfer_core::proof::proof_file::{encode_instance, OutputValues};
use zkinfer_core::proof::transcript::scalar_bytes;
use zkinfer_core::quantize::InstanceKind;

/// `initThreadPool(n)` (the `threads` build only): starts `n` Web Workers that share the
/// module's memory and make them rayon's pool; call it once, before proving.
#[cfg(feature = "threads")]
pub use wasm_bindgen_rayon::init_thread_pool;

fn err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// A build loaded in the page.
#[wasm_bindgen]
pub struct WebProver {
    bundle: Bundle,
}

/// What `prove` returns (as JSON).
#[derive(Serialize, Deserialize)]
pub struct WebProof {
    /// `0x`-hex proof bytes.
    pub proof: String,
    /// Public instances, `0x`-hex words.
    pub instances: Vec<String>,
    /// The model's outputs (computed by the prover; the proof shows them when they are public).
    pub outputs: Vec<OutputValues>,
    /// Hash instances by name.
    pub hashes: Vec<(String, String)>,
    /// The verifier the proof is for.
    pub vk_hash: String,
}

#[derive(Deserialize)]
struct InputFile {
    input_data: Vec<Vec<f64>>,
}

impl WebProver {
    /// The sample of an input file (`{"input_data": [[…], …]}`, one list per model input,
    /// exactly one sample).
    fn sample(&self, input_json: &str) -> Result<Vec<Vec<f64>>, JsError> {
        let file: InputFile =
            serde_json::from_str(input_json).map_err(|e| err(format!("input: not an input file ({{\"input_data\": [[…]]}}): {e}")))?;
        let inputs = &self.bundle.program.inputs;
        if file.input_data.len() != inputs.len() {
            return Err(err(format!(
                "input: {} lists given, the model has {} input{}",
                file.input_data.len(),
                inputs.len(),
                if inputs.len() == 1 { "" } else { "s" }
            )));
        }
        for (list, input) in file.input_data.iter().zip(inputs) {
            if list.len() != input.wires.len() {
                return Err(err(format!(
                    "input `{}`: {} values given, it takes {} (one sample)",
                    input.name,
                    list.len(),
                    input.wires.len()
                )));
            }
            if let Some(j) = list.iter().position(|v| !v.is_finite()) {
                return Err(err(format!("input `{}`: value {j} is not a finite number", input.name)));
            }
        }
        Ok(file.input_data)
    }

    fn bound(&self, bind_json: &str) -> Result<Vec<Fr>, JsError> {
        let given: std::collections::BTreeMap<String, String> = if bind_json.trim().is_empty() {
            Default::default()
        } else {
            serde_json::from_str(bind_json).map_err(|e| err(format!("bind: expected {{\"NAME\": \"VALUE\"}}: {e}")))?
        };
        let pairs: Vec<(&str, &str)> = given.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        inference::bind_values(&self.bundle.program, &pairs).map_err(|e| {
            err(match e {
                BindError::Unknown { name, known } if known.is_empty() => format!("bind {name}: this build binds no public values"),
                BindError::Unknown { name, known } => format!("bind {name}: this build binds {}", known.join(", ")),
                BindError::Twice(name) => format!("bind {name}: given twice"),
                BindError::Missing(name) => format!("this build binds `{name}`: give it a value"),
                BindError::Value { name, value, why } => format!("bind {name}={value}: {why}"),
            })
        })
    }
}

fn parse_instances(instances_json: &str) -> Result<Vec<Fr>, JsError> {
    let words: Vec<String> =
        serde_json::from_str(instances_json).map_err(|e| err(format!("instances: expected a list of 0x-hex words: {e}")))?;
    words
        .iter()
        .enumerate()
        .map(|(i, w)| inference::parse_field(w).map_err(|why| err(format!("instance {i} ({w}): {why}"))))
        .collect()
}

fn parse_hex(what: &str, text: &str) -> Result<Vec<u8>, JsError> {
    let h = text.strip_prefix("0x").ok_or_else(|| err(format!("{what}: expected 0x-hex")))?;
    hex::decode(h).map_err(|e| err(format!("{what}: {e}")))
}

#[wasm_bindgen]
impl WebProver {
    /// Loads a bundle from the bytes of `zkinfer-web.json`, `program.json`, `pk.bin` and
    /// `kzg.srs`, each checked against the manifest, and the verifier identity rebuilt.
    #[wasm_bindgen(constructor)]
    pub fn new(manifest: &[u8], program: &[u8], pk: &[u8], srs: &[u8]) -> Result<WebProver, JsError> {
        Ok(WebProver {
            bundle: Bundle::from_bytes(manifest, program, pk, srs).map_err(err)?,
        })
    }

    /// The manifest, as JSON.
    pub fn manifest(&self) -> String {
        serde_json::to_string(&self.bundle.manifest).expect("manifest serializes")
    }

    /// The Poseidon hash of the input's quantized features (`0x`-hex): what a data provider
    /// attests and the proof's input-hash instance. Refuses a build that does not hash its input.
    #[wasm_bindgen(js_name = inputHash)]
    pub fn input_hash(&self, input_json: &str) -> Result<String, JsError> {
        let slot = self
            .bundle
            .manifest
            .instance_layout
            .iter()
            .find(|s| s.kind == InstanceKind::InputHash)
            .ok_or_else(|| err("this build does not hash its input (compile with --input hashed)"))?
            .start;
        let sample = self.sample(input_json)?;
        let witnesses = inference::witnesses(&self.bundle.program, &[sample]).map_err(err)?;
        // bound values do not enter the input hash; zeros stand in for them
        let zeros = vec![Fr::from(0); self.bundle.program.bound.len()];
        let instances = inference::instances(&self.bundle.program, self.bundle.manifest.shape, &witnesses, &[zeros])
            .ok_or_else(|| err("input: this build takes another number of samples"))?;
        Ok(encode_instance(&instances[slot]))
    }

    /// Proves the model on the input (`{"input_data": …}`) with the bound values
    /// (`{"account": "0x…"}`), checks the proof against the build's verifying key, and returns
    /// [`WebProof`] as JSON. The blinding comes from the browser's `crypto.getRandomValues`, or
    /// from `seed` (32 bytes) for tests only: a proof whose blinding is known hides nothing, so
    /// whoever knows the seed can test guessed features against it. The page never passes one.
    pub fn prove(&self, input_json: &str, bind_json: &str, seed: Option<Vec<u8>>) -> Result<String, JsError> {
        let sample = self.sample(input_json)?;
        let bound = self.bound(bind_json)?;
        let b = &self.bundle;
        let witnesses = inference::witnesses(&b.program, &[sample]).map_err(err)?;
        let proved = match seed {
            Some(s) => {
                let s: [u8; 32] = s.try_into().map_err(|_| err("seed: 32 bytes"))?;
                let rng = rand_chacha::ChaCha20Rng::from_seed(s);
                inference::prove_samples(&b.program, b.manifest.shape, &b.params, &b.pk, &witnesses, &[bound], rng)
            }
            None => inference::prove_samples(
                &b.program,
                b.manifest.shape,
                &b.params,
                &b.pk,
                &witnesses,
                &[bound],
                rand::rngs::OsRng,
            ),
        }
        .map_err(err)?;
        zkinfer_core::proof::verify(&b.params, b.pk.get_vk(), &proved.proof, &proved.instances).map_err(|e| {
            err(format!(
                "the proof just made does not verify ({e}); this is a bug, please report it"
            ))
        })?;
        let outputs = if b.program.visibility.output == zkinfer_core::quantize::Vis::Public {
            inference::outputs(&b.program, &witnesses)
        } else {
            Vec::new()
        };
        let proof = WebProof {
            proof: format!("0x{}", hex::encode(&proved.proof)),
            instances: proved.instances.iter().map(encode_instance).collect(),
            outputs,
            hashes: inference::instance_hashes(&b.manifest.instance_layout, &proved.instances),
            vk_hash: b.manifest.vk_hash.clone(),
        };
        Ok(serde_json::to_string(&proof).expect("proof serializes"))
    }

    /// Verifies a proof (`0x`-hex) for its instances (JSON list of `0x`-hex words) against this
    /// build's verifying key; throws naming why it is refused.
    pub fn verify(&self, proof_hex: &str, instances_json: &str) -> Result<(), JsError> {
        let proof = parse_hex("proof", proof_hex)?;
        let instances = self.instances(instances_json)?;
        zkinfer_core::proof::verify(&self.bundle.params, self.bundle.pk.get_vk(), &proof, &instances).map_err(err)
    }

    /// `verifyProof(bytes,uint256[])` calldata (`0x`-hex) of a proof and its instances (as many
    /// as this build's proofs have).
    #[wasm_bindgen(js_name = verifyCalldata)]
    pub fn verify_calldata(&self, proof_hex: &str, instances_json: &str) -> Result<String, JsError> {
        let proof = parse_hex("proof", proof_hex)?;
        let words: Vec<[u8; 32]> = self.instances(instances_json)?.iter().map(scalar_bytes).collect();
        Ok(format!("0x{}", hex::encode(encode_verify_call(&proof, &words))))
    }

    /// `CreditGate.requestCredit` calldata (`0x`-hex) of a proof, its instances and the data
    /// provider's attestation file (`zkinfer attest`: its `typed_data.message` and `signature`).
    /// Refuses a proof whose input hash is not the attested one or whose bound account is not
    /// the attestation's subject (the gate would revert, after the borrower paid for it).
    #[wasm_bindgen(js_name = requestCreditCalldata)]
    pub fn request_credit_calldata(&self, proof_hex: &str, instances_json: &str, attestation_json: &str) -> Result<String, JsError> {
        let file: serde_json::Value = serde_json::from_str(attestation_json).map_err(|e| err(format!("attestation: not JSON: {e}")))?;
        let message: AttestationMessage = serde_json::from_value(file["typed_data"]["message"].clone())
            .map_err(|e| err(format!("attestation: typed_data.message: {e}")))?;
        let signature = parse_hex(
            "attestation signature",
            file["signature"].as_str().ok_or_else(|| err("attestation: no signature"))?,
        )?;
        if signature.len() != 65 {
            return Err(err(format!("attestation signature: {} bytes, expected 65", signature.len())));
        }
        let attested_hash = inference::parse_field(&message.input_hash).map_err(|why| err(format!("attestation inputHash: {why}")))?;
        let a = Attestation {
            subject: fixed("attestation subject", &message.subject)?,
            input_hash: scalar_bytes(&attested_hash),
            schema: fixed("attestation schema", &message.schema)?,
            issued_at: seconds("attestation issuedAt", &message.issued_at)?,
            expires_at: seconds("attestation expiresAt", &message.expires_at)?,
        };
        let instances = self.instances(instances_json)?;
        let layout = &self.bundle.manifest.instance_layout;
        let slot = |kind: InstanceKind| layout.iter().find(|s| s.kind == kind).map(|s| s.start);
        match slot(InstanceKind::InputHash) {
            Some(i) if instances[i] == attested_hash => {}
            Some(i) => {
                return Err(err(format!(
                    "the proof is about features with hash {}, the attestation is for {}",
                    encode_instance(&instances[i]),
                    encode_instance(&attested_hash)
                )))
            }
            None => {
                return Err(err(
                    "this build does not hash its input: a CreditGate cannot check it against an attestation",
                ))
            }
        }
        let account = self.bundle.program.bound.iter().position(|b| b == "account");
        let bound_start = slot(InstanceKind::Bound);
        match (account, bound_start) {
            (Some(a_at), Some(start)) => {
                let mut subject = [0u8; 32];
                subject[12..].copy_from_slice(&a.subject);
                if scalar_bytes(&instances[start + a_at]) != subject {
                    return Err(err(format!(
                        "the proof is bound to account {}, the attestation's subject is {}",
                        encode_instance(&instances[start + a_at]),
                        message.subject
                    )));
                }
            }
            _ => {
                return Err(err(
                    "this build binds no account: a CreditGate takes proofs bound to the borrower (compile with --bind account)",
                ))
            }
        }
        let proof = parse_hex("proof", proof_hex)?;
        let words: Vec<[u8; 32]> = instances.iter().map(scalar_bytes).collect();
        Ok(format!("0x{}", hex::encode(encode_request_credit(&proof, &words, &a, &signature))))
    }
}

impl WebProver {
    /// Instances from JSON, as many as this build's proofs have.
    fn instances(&self, instances_json: &str) -> Result<Vec<Fr>, JsError> {
        let instances = parse_instances(instances_json)?;
        let expected = self.bundle.manifest.instance_layout.iter().map(|s| s.len).sum::<usize>();
        if instances.len() != expected {
            return Err(err(format!(
                "{} instances given, this build's proofs have {expected}",
                instances.len()
            )));
        }
        Ok(instances)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AttestationMessage {
    subject: String,
    input_hash: String,
    schema: String,
    issued_at: serde_json::Value,
    expires_at: serde_json::Value,
}

fn fixed<const N: usize>(what: &str, text: &str) -> Result<[u8; N], JsError> {
    parse_hex(what, text)?
        .try_into()
        .map_err(|_| err(format!("{what}: expected {N} bytes")))
}

fn seconds(what: &str, v: &serde_json::Value) -> Result<u64, JsError> {
    match v {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| err(format!("{what}: expected unix seconds")))
}

/// The calldata of the CreditGate views the page reads: `vkHash()` and `isApproved(borrower)`
/// (`{"vkHash": "0x…", "isApproved": "0x…"}`).
#[wasm_bindgen(js_name = creditGateViews)]
pub fn credit_gate_views(borrower: &str) -> Result<String, JsError> {
    let who: [u8; 20] = fixed("borrower", borrower)?;
    Ok(serde_json::json!({
        "vkHash": format!("0x{}", hex::encode(function_selector("vkHash()"))),
        "isApproved": format!("0x{}", hex::encode(encode_is_approved(&who))),
    })
    .to_string())
}
