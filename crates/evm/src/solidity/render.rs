//! Renders the verifier (and, in the separate layout, its verifying-key contract) from the
//! templates in `templates/` and the parts computed by [`super::codegen`].

use super::codegen::{generate, VerifierParts};
use super::expr::word;
use super::SolidityError;
use askama::Template;
use halo2_axiom::halo2curves::bn256::{Bn256, G1Affine};
use halo2_axiom::plonk::VerifyingKey;
use halo2_axiom::poly::kzg::commitment::ParamsKZG;
use serde::{Deserialize, Serialize};
use sha3::{Digest, Keccak256};

/// Where the verifying key lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// One contract with the verifying key as literals in its code.
    Embedded,
    /// A verifier that reads the verifying key from a second contract's code.
    Separate,
}

impl std::fmt::Display for Layout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Layout::Embedded => "embedded",
            Layout::Separate => "separate",
        })
    }
}

/// Generated Solidity sources.
#[derive(Clone, Debug)]
pub struct VerifierSources {
    /// Layout.
    pub layout: Layout,
    /// Verifier contract name.
    pub verifier_name: String,
    /// Verifier source.
    pub verifier: String,
    /// Verifying-key contract name and source (separate layout).
    pub vk_contract: Option<(String, String)>,
    /// Expected runtime code of the verifying-key contract (separate layout).
    pub vk_runtime: Option<Vec<u8>>,
    /// The computed parts (for reports).
    pub parts: VerifierParts,
}

#[derive(Template)]
#[template(path = "verifier.sol", escape = "none")]
struct VerifierTemplate<'a> {
    version: &'a str,
    name: &'a str,
    k: u32,
    num_instances: usize,
    proof_len: usize,
    vk_digest: String,
    vk_hash: String,
    layout_note: &'a str,
    separate: bool,
    calldata_size: String,
    instances_head: String,
    instances_len_cd: String,
    instances_cd: String,
    instances_bytes: String,
    scalars_start: String,
    scalars_end: String,
    point_ranges: Vec<(String, String)>,
    vk_codehash: String,
    vk_mem: String,
    proof_mem: String,
    vk_bytes: String,
    transcript_buf: String,
    vk_digest_value: String,
    first_absorb_at: String,
    first_absorb_len: String,
    squeezes: Vec<super::codegen::Squeeze>,
    compute: String,
    msm: String,
    pairing: String,
    debug_mem_end: String,
}

#[derive(Template)]
#[template(path = "verifying_key.sol", escape = "none")]
struct VkTemplate<'a> {
    version: &'a str,
    name: &'a str,
    verifier_name: &'a str,
    words: Vec<String>,
    codehash: String,
}

fn h(v: usize) -> String {
    format!("{v:#x}")
}

fn indent(code: &str, spaces: usize) -> String {
    let pad = " ".repeat(spaces);
    code.lines().map(|l| format!("{pad}{l}\n")).collect()
}

/// Renders the verifier for `vk` in `layout`, naming the contract `name` (the verifying-key
/// contract is `{name}Key`).
pub fn render(
    vk: &VerifyingKey<G1Affine>,
    params: &ParamsKZG<Bn256>,
    num_instances: usize,
    layout: Layout,
    name: &str,
    layout_note: &str,
) -> Result<VerifierSources, SolidityError> {
    render_inner(vk, params, num_instances, layout, name, layout_note, false)
}

/// Like [`render`], but the contract returns its whole memory instead of the verdict (for
/// comparing intermediate values with [`super::reference`]).
#[doc(hidden)]
pub fn render_debug(
    vk: &VerifyingKey<G1Affine>,
    params: &ParamsKZG<Bn256>,
    num_instances: usize,
    layout: Layout,
) -> Result<VerifierSources, SolidityError> {
    render_inner(vk, params, num_instances, layout, "ZkinferVerifier", "debug", true)
}

fn render_inner(
    vk: &VerifyingKey<G1Affine>,
    params: &ParamsKZG<Bn256>,
    num_instances: usize,
    layout: Layout,
    name: &str,
    layout_note: &str,
    debug: bool,
) -> Result<VerifierSources, SolidityError> {
    if !is_identifier(name) {
        return Err(SolidityError::Name(name.to_string()));
    }
    let separate = layout == Layout::Separate;
    let parts = generate(vk, params, num_instances, separate)?;
    let version = env!("CARGO_PKG_VERSION");
    let mut runtime = vec![0u8];
    for w in &parts.vk_words {
        runtime.extend_from_slice(w);
    }
    let codehash = format!("0x{}", hex::encode(Keccak256::digest(&runtime)));
    let k = vk.get_domain().k();
    let vk_digest = word(&parts.vk_words[0]);
    let first_absorb_at = 32 + 32 * num_instances;
    let t = VerifierTemplate {
        version,
        name,
        k,
        num_instances,
        proof_len: parts.proof_len,
        vk_digest: vk_digest.clone(),
        vk_hash: zkinfer_core::proof::vk_hash(vk, params),
        layout_note,
        separate,
        calldata_size: h(parts.calldata_size),
        instances_head: h(0x60 + parts.proof_len),
        instances_len_cd: h(parts.instances_len_cd),
        instances_cd: h(parts.instances_cd),
        instances_bytes: h(32 * num_instances),
        scalars_start: h(parts.scalar_range.0),
        scalars_end: h(parts.scalar_range.1),
        point_ranges: parts.point_ranges.iter().map(|(a, b)| (h(*a), h(*b))).collect(),
        vk_codehash: codehash.clone(),
        vk_mem: h(parts.vk_mem),
        proof_mem: h(parts.proof_mem),
        vk_bytes: h(32 * parts.vk_words.len()),
        transcript_buf: h(parts.transcript_buf),
        vk_digest_value: if separate {
            format!("mload({:#x})", parts.vk_mem)
        } else {
            vk_digest
        },
        first_absorb_at: h(first_absorb_at),
        first_absorb_len: h(first_absorb_at + parts.squeezes[0].len),
        squeezes: parts.squeezes.clone(),
        compute: indent(&parts.compute, 16),
        msm: indent(&parts.msm, 12),
        pairing: indent(&parts.pairing, 12),
        debug_mem_end: if debug { h(parts.mem_end) } else { String::new() },
    };
    let verifier = t.render().map_err(|e| SolidityError::Template(e.to_string()))?;
    let vk_contract = if separate {
        let vk_name = format!("{name}Key");
        let vt = VkTemplate {
            version,
            name: &vk_name,
            verifier_name: name,
            words: parts.vk_words.iter().map(word).collect(),
            codehash,
        };
        let source = vt.render().map_err(|e| SolidityError::Template(e.to_string()))?;
        Some((vk_name, source))
    } else {
        None
    };
    Ok(VerifierSources {
        layout,
        verifier_name: name.to_string(),
        verifier,
        vk_contract,
        vk_runtime: separate.then_some(runtime),
        parts,
    })
}

fn is_identifier(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic() || ch == '_') && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}
