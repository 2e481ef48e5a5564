//! Benchmark of one model: compile, setup, prove and verify times, proof size, peak memory.

use super::compile::{compile, CompileOptions};
use super::prove::prove;
use super::setup::setup;
use super::verify::verify;
use super::{BuildDir, Error, Progress, Silent};
use crate::proof::SrsSource;
use crate::quantize::CalibrateOptions;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Figures for one model.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BenchResult {
    /// Model file name.
    pub model: String,
    /// Circuit size.
    pub k: u32,
    /// Rows used.
    pub rows: usize,
    /// Seconds: import + calibration.
    pub compile_seconds: f64,
    /// Seconds: key generation (SRS already cached).
    pub setup_seconds: f64,
    /// Seconds: proving (best of the runs).
    pub prove_seconds: f64,
    /// Seconds: native verification (best of the runs).
    pub verify_seconds: f64,
    /// Proof size.
    pub proof_bytes: usize,
    /// Peak resident memory of the process, MB.
    pub peak_rss_mb: f64,
    /// Worst relative output error on the sample.
    pub max_rel_error: f64,
    /// Always true: benchmarks use the insecure development SRS.
    pub insecure_dev_srs: bool,
    /// The generated Solidity verifier in revm (absent when no solc was found).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evm: Option<EvmFigures>,
}

/// The EVM verifier's figures for one model.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EvmFigures {
    /// Layout chosen.
    pub layout: String,
    /// Gas of the verify transaction (intrinsic + calldata + execution).
    pub verify_tx_gas: u64,
    /// Execution gas alone.
    pub execution_gas: u64,
    /// Calldata bytes.
    pub calldata_bytes: usize,
    /// Deploy gas (all contracts).
    pub deploy_gas: u64,
    /// Verifier runtime bytes.
    pub runtime_bytes: usize,
    /// MSM terms.
    pub msm_terms: usize,
}

/// Peak resident set size of this process in MB (Linux; 0 elsewhere).
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Benchmarks one model with its sample input in the work directory `work`.
pub fn bench_one(model: &Path, input: &Path, work: &Path, runs: usize, progress: &dyn Progress) -> Result<BenchResult, Error> {
    let opts = CompileOptions {
        model: model.to_path_buf(),
        data: vec![input.to_path_buf()],
        out: work.to_path_buf(),
        like: None,
        batch: 1,
        optimize: Default::default(),
        calibration: CalibrateOptions::default(),
    };
    let c = compile(&opts, progress)?;
    let dir = BuildDir(work.to_path_buf());
    // calibrated on every sample of the file, proved on the first
    let settings = super::Settings::read(&dir)?;
    let program = super::settings::read_program(&dir, &settings)?;
    let sizes: Vec<usize> = program.inputs.iter().map(|i| i.wires.len()).collect();
    let data = crate::model::InputData::from_file(input)?;
    let samples = data.samples(&sizes, &input.display().to_string())?;
    let first = work.join("sample0.json");
    let input = if samples.len() > 1 {
        let one = crate::model::InputData {
            inputs: samples[0].clone(),
        };
        crate::proof::artifact::write_atomic(&first, one.to_json().as_bytes())?;
        first.as_path()
    } else {
        input
    };
    // generate the SRS outside the measured setup
    crate::proof::srs::dev(c.k)?;
    let s = setup(&dir, &SrsSource::Dev, progress)?;
    let proof_path = work.join("proof.json");
    let (mut prove_s, mut verify_s, mut bytes) = (f64::MAX, f64::MAX, 0);
    for _ in 0..runs.max(1) {
        let p = prove(&dir, input, &proof_path, progress)?;
        let v = verify(&dir, &proof_path, &Silent)?;
        prove_s = prove_s.min(p.prove_seconds);
        verify_s = verify_s.min(v.seconds);
        bytes = p.proof_bytes;
    }
    let evm = match crate::evm::find_solc(None) {
        Err(_) => None,
        Ok(_) => {
            let g = super::gas::gas(&dir, &proof_path, &super::verifier::VerifierOptions::default(), &Silent)?;
            Some(EvmFigures {
                layout: g.layout.to_string(),
                verify_tx_gas: g.verify_tx_gas,
                execution_gas: g.execution_gas,
                calldata_bytes: g.calldata_bytes,
                deploy_gas: g.deploy_gas,
                runtime_bytes: g.runtime_bytes,
                msm_terms: g.msm_terms,
            })
        }
    };
    Ok(BenchResult {
        model: model.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        k: c.k,
        rows: c.rows,
        compile_seconds: c.seconds,
        setup_seconds: s.keygen_seconds,
        prove_seconds: prove_s,
        verify_seconds: verify_s,
        proof_bytes: bytes,
        peak_rss_mb: peak_rss_mb(),
        max_rel_error: c.fidelity.outputs.iter().map(|o| o.max_rel_error).fold(0.0, f64::max),
        insecure_dev_srs: true,
        evm,
    })
}

/// The cost of hashing `inputs` values in the circuit: the same small program (the sum of the
/// inputs, a public output) proven with private inputs and with hashed ones.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HashBench {
    /// Number of hashed values.
    pub inputs: usize,
    /// Poseidon permutations.
    pub permutations: usize,
    /// Rows the sponge takes (in its own columns beside the model's).
    pub hash_rows: usize,
    /// Circuit size with private inputs.
    pub k_private: u32,
    /// Circuit size with hashed inputs.
    pub k_hashed: u32,
    /// Seconds: key generation, private / hashed.
    pub keygen_seconds: [f64; 2],
    /// Seconds: proving (best of the runs), private / hashed.
    pub prove_seconds: [f64; 2],
    /// Seconds: native verification (best of the runs), private / hashed.
    pub verify_seconds: [f64; 2],
    /// Proof bytes, private / hashed.
    pub proof_bytes: [usize; 2],
}

/// The benchmark program: `inputs` values in [-128, 127] and their sum as the output.
fn sum_program(inputs: usize, visibility: crate::quantize::Visibility) -> crate::quantize::Program {
    use crate::quantize::program::{ProgInput, ProgOutput, Step};
    use crate::quantize::{Program, StepKind, TableKind, TableSpec};
    let n = inputs as u32;
    Program {
        num_wires: inputs + 1,
        inputs: vec![ProgInput {
            name: "x".into(),
            shape: vec![inputs],
            scale: 0,
            wires: (0..n).collect(),
            table: 0,
            split: None,
        }],
        steps: vec![Step {
            node: "sum".into(),
            kind: StepKind::Linear {
                out: n,
                terms: (0..n).map(|w| (w, 1)).collect(),
                bias: 0,
                params: None,
            },
        }],
        outputs: vec![ProgOutput {
            name: "y".into(),
            shape: vec![1],
            scale: 0,
            wires: vec![n],
        }],
        tables: vec![TableSpec {
            kind: TableKind::Input,
            lo: -128,
            hi: 127,
        }],
        visibility,
        bound: Vec::new(),
        batch: 1,
    }
}

/// Measures [`HashBench`] for `inputs` values (seeded data), best of `runs` proofs.
pub fn bench_hashing(inputs: usize, runs: usize) -> Result<HashBench, Error> {
    use crate::circuit::{ModelCircuit, Plan};
    use crate::quantize::{Vis, Visibility};
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(inputs as u64);
    let data: Vec<i128> = (0..inputs).map(|_| rng.gen_range(-128..=127)).collect();
    let mut out = HashBench {
        inputs,
        permutations: crate::circuit::poseidon::permutations(inputs),
        hash_rows: crate::circuit::chips::poseidon::rows_for(inputs),
        k_private: 0,
        k_hashed: 0,
        keygen_seconds: [0.0; 2],
        prove_seconds: [f64::MAX; 2],
        verify_seconds: [f64::MAX; 2],
        proof_bytes: [0; 2],
    };
    for (i, input) in [Vis::Private, Vis::Hashed].into_iter().enumerate() {
        let program = sum_program(
            inputs,
            Visibility {
                input,
                ..Default::default()
            },
        );
        let sizing = crate::circuit::size(&program);
        let params = crate::proof::srs::dev(sizing.k)?;
        let t = std::time::Instant::now();
        let pk = crate::proof::keygen(&params, &ModelCircuit::new(Plan::new(&program, None, sizing.shape)))?;
        out.keygen_seconds[i] = t.elapsed().as_secs_f64();
        let (witness, _) = crate::quantize::eval::evaluate(&program, std::slice::from_ref(&data), true)?;
        for _ in 0..runs.max(1) {
            let plan = Plan::new(&program, Some(&witness), sizing.shape);
            let instances = plan.instance_values();
            let t = std::time::Instant::now();
            let proof = crate::proof::prove(&params, &pk, ModelCircuit::new(plan), &instances, rand::rngs::OsRng)?;
            out.prove_seconds[i] = out.prove_seconds[i].min(t.elapsed().as_secs_f64());
            let t = std::time::Instant::now();
            crate::proof::verify(&params, pk.get_vk(), &proof, &instances)?;
            out.verify_seconds[i] = out.verify_seconds[i].min(t.elapsed().as_secs_f64());
            out.proof_bytes[i] = proof.len();
        }
        if i == 0 {
            out.k_private = sizing.k;
        } else {
            out.k_hashed = sizing.k;
        }
    }
    Ok(out)
}

/// One measured step of the SRS benchmark, run in a child process of its own.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SrsStep {
    /// Seconds, the file's hashing included.
    pub seconds: f64,
    /// Peak resident memory of the process, MB.
    pub peak_rss_mb: f64,
}

/// The cost of making and bringing in an SRS of 2^power powers (`zkinfer bench --srs`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SrsBench {
    /// log2 of the number of powers.
    pub power: u32,
    /// The input of the import: halo2 params of a known secret (raw points).
    pub input_format: String,
    /// Its size.
    pub input_bytes: u64,
    /// Generating those params as the development SRS is generated (fixed-base
    /// multiplication in parallel), writing the file not included.
    pub generate: SrsStep,
    /// halo2's own `ParamsKZG::setup` for the same secret (with `--srs-baseline`; its points
    /// are checked equal to the generated file's).
    pub halo2_setup: Option<SrsStep>,
    /// `srs import` of the input: hashing, the checks, the Lagrange basis check, writing.
    pub import: SrsStep,
    /// `srs check` of the imported file.
    pub check: SrsStep,
}

/// The seed of the benchmark's secret at 2^power powers (not the development SRS's).
fn srs_bench_seed(power: u32) -> u64 {
    1_000 + power as u64
}

/// Runs one step of the SRS benchmark in this process: `generate` the input of 2^power powers
/// (`work/known-secret-k{power}.srs`), make the same with halo2's `setup` (`halo2-setup`, then
/// compared with the input), `import` the input (to `work/imported-k{power}.srs`) or `check`
/// the imported file.
pub fn srs_bench_step(work: &Path, power: u32, step: &str) -> Result<SrsStep, Error> {
    use rand::SeedableRng;
    let input = work.join(format!("known-secret-k{power}.srs"));
    let imported = work.join(format!("imported-k{power}.srs"));
    let t = std::time::Instant::now();
    match step {
        "generate" => {
            let params = crate::proof::srs_gen::params_of_seed(power, srs_bench_seed(power));
            let seconds = t.elapsed().as_secs_f64();
            crate::proof::srs::write_params(&input, &params)?;
            return Ok(SrsStep {
                seconds,
                peak_rss_mb: peak_rss_mb(),
            });
        }
        "halo2-setup" => {
            let params = halo2_axiom::poly::kzg::commitment::ParamsKZG::<halo2_axiom::halo2curves::bn256::Bn256>::setup(
                power,
                rand_chacha::ChaCha20Rng::seed_from_u64(srs_bench_seed(power)),
            );
            let seconds = t.elapsed().as_secs_f64();
            let dir_err = |reason: String| Error::BuildDir {
                path: work.display().to_string(),
                reason,
            };
            let mut theirs = Vec::new();
            params
                .write_custom(&mut theirs, halo2_axiom::SerdeFormat::RawBytes)
                .map_err(|e| dir_err(e.to_string()))?;
            let ours = std::fs::read(&input).map_err(|e| dir_err(format!("{}: {e} (run the generate step first)", input.display())))?;
            if ours != theirs {
                return Err(dir_err(format!(
                    "halo2's setup and the generated {} differ: the fast generator is wrong",
                    input.display()
                )));
            }
            return Ok(SrsStep {
                seconds,
                peak_rss_mb: peak_rss_mb(),
            });
        }
        "import" => {
            super::srs::import(&input, &imported, Some(power), false, &Silent)?;
        }
        "check" => {
            super::srs::check(&imported, None, false, &Silent)?;
        }
        other => return Err(Error::Usage(format!("unknown SRS benchmark step {other}"))),
    }
    Ok(SrsStep {
        seconds: t.elapsed().as_secs_f64(),
        peak_rss_mb: peak_rss_mb(),
    })
}
