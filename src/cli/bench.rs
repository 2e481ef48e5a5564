//! `zkinfer bench`: benchmark models, one child process each (for per-model peak memory), and
//! write the figures as JSON; `--hashing` and `--srs` measure hashed inputs and SRS imports.

use super::report::{Render, Reporter};
use crate::pipeline::bench::{bench_hashing, bench_one, srs_bench_step, BenchResult, HashBench, SrsBench, SrsStep};
use crate::pipeline::{step, Silent};
use serde::Serialize;
use std::path::PathBuf;

/// Arguments of `bench`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Models to benchmark (each with `NAME.input.json` beside `NAME.onnx`); default: the
    /// three yardstick models in `models/`.
    pub models: Vec<PathBuf>,
    /// JSON file to write (default `bench/results.json`, or `bench/hashing.json` with
    /// `--hashing`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Measure the cost of `hashed` inputs instead: the same small circuit with private and
    /// with hashed inputs, at each of `--hash-sizes`.
    #[arg(long)]
    pub hashing: bool,
    /// Input sizes of `--hashing`.
    #[arg(long, value_delimiter = ',', default_value = "10,100,1000")]
    pub hash_sizes: Vec<usize>,
    /// Measure SRS generation, `srs import` and `srs check` instead (time and peak memory, one
    /// child process each) on halo2 params of a known secret with 2^P powers for each P of
    /// `--srs-powers` (generated as the development SRS is); writes `bench/srs.json`.
    #[arg(long)]
    pub srs: bool,
    /// Powers of `--srs`.
    #[arg(long, value_delimiter = ',', default_value = "16,20")]
    pub srs_powers: Vec<u32>,
    /// With `--srs`: also time halo2's own `ParamsKZG::setup` of the same secret (slow: minutes
    /// at 2^20) and check its points equal the generated ones.
    #[arg(long, requires = "srs")]
    pub srs_baseline: bool,
    /// Internal: with --srs --single, the step to run in this process (generate, halo2-setup,
    /// import or check).
    #[arg(long, hide = true)]
    pub srs_step: Option<String>,
    /// Prove/verify repetitions per model (the best time is kept).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Work directory for build artifacts.
    #[arg(long, default_value = "build/bench")]
    pub work: PathBuf,
    /// Internal: benchmark one model in this process and print its JSON.
    #[arg(long, hide = true)]
    pub single: bool,
}

/// All results.
#[derive(Serialize)]
pub struct BenchReport {
    /// zkinfer version.
    pub zkinfer_version: String,
    /// Per model.
    pub results: Vec<BenchResult>,
    /// Where they were written.
    pub out: String,
}

fn input_for(model: &std::path::Path) -> PathBuf {
    let stem = model.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    model.with_file_name(format!("{stem}.input.json"))
}

/// The hashing benchmark's report.
#[derive(Serialize)]
pub struct HashBenchReport {
    /// zkinfer version.
    pub zkinfer_version: String,
    /// Per input size.
    pub results: Vec<HashBench>,
    /// Where they were written.
    pub out: String,
}

fn run_hashing(a: &Args, r: &Reporter) -> anyhow::Result<()> {
    let out = a.out.clone().unwrap_or_else(|| PathBuf::from("bench/hashing.json"));
    let mut results = Vec::new();
    for &n in &a.hash_sizes {
        if n == 0 || n > 100_000 {
            anyhow::bail!("--hash-sizes: {n} is not between 1 and 100000");
        }
        let (res, _) = step(r, &format!("hashing {n} inputs"), || bench_hashing(n, a.runs));
        results.push(res?);
    }
    let report = HashBenchReport {
        zkinfer_version: crate::pipeline::VERSION.into(),
        results,
        out: out.display().to_string(),
    };
    crate::proof::artifact::write_atomic(&out, serde_json::to_string_pretty(&report)?.as_bytes())?;
    r.emit(&report);
    Ok(())
}

impl Render for HashBenchReport {
    fn title(&self) -> String {
        format!("hashing benchmark written to {}", self.out)
    }
    fn rows(&self) -> Vec<(String, String)> {
        self.results
            .iter()
            .map(|b| {
                (
                    format!("{} inputs", b.inputs),
                    format!(
                        "{} permutations, {} sponge rows  k {} → {}  prove {:.3}s → {:.3}s  verify {:.4}s → {:.4}s  proof {} → {} B",
                        b.permutations,
                        b.hash_rows,
                        b.k_private,
                        b.k_hashed,
                        b.prove_seconds[0],
                        b.prove_seconds[1],
                        b.verify_seconds[0],
                        b.verify_seconds[1],
                        b.proof_bytes[0],
                        b.proof_bytes[1]
                    ),
                )
            })
            .collect()
    }
}

/// The SRS benchmark's report.
#[derive(Serialize)]
pub struct SrsBenchReport {
    /// zkinfer version.
    pub zkinfer_version: String,
    /// Per power.
    pub results: Vec<SrsBench>,
    /// Where they were written.
    pub out: String,
}

fn run_srs(a: &Args, r: &Reporter) -> anyhow::Result<()> {
    let work = if a.work == std::path::Path::new("build/bench") {
        PathBuf::from("build/bench-srs")
    } else {
        a.work.clone()
    };
    std::fs::create_dir_all(&work)?;
    if a.single {
        let (power, kind) = match (a.srs_powers.as_slice(), &a.srs_step) {
            ([p], Some(s)) => (*p, s.as_str()),
            _ => anyhow::bail!("--single --srs needs one --srs-powers and --srs-step"),
        };
        println!("{}", serde_json::to_string(&srs_bench_step(&work, power, kind)?)?);
        return Ok(());
    }
    let out = a.out.clone().unwrap_or_else(|| PathBuf::from("bench/srs.json"));
    let exe = std::env::current_exe()?;
    let mut results = Vec::new();
    for &power in &a.srs_powers {
        if !(2..=crate::proof::ceremony::MAX_POWER).contains(&power) {
            anyhow::bail!("--srs-powers: {power} is not between 2 and 28");
        }
        let input = work.join(format!("known-secret-k{power}.srs"));
        let mut kinds = vec!["generate"];
        if a.srs_baseline {
            kinds.push("halo2-setup");
        }
        kinds.extend(["import", "check"]);
        let mut steps = std::collections::BTreeMap::new();
        for kind in kinds {
            let (stdout, _) = step(r, &format!("srs {kind}, 2^{power} powers"), || -> anyhow::Result<Vec<u8>> {
                let o = std::process::Command::new(&exe)
                    .args([
                        "bench",
                        "--srs",
                        "--single",
                        "--srs-step",
                        kind,
                        "--srs-powers",
                        &power.to_string(),
                        "--work",
                    ])
                    .arg(&work)
                    .output()?;
                if !o.status.success() {
                    anyhow::bail!(
                        "srs {kind} benchmark at 2^{power} failed: {}",
                        String::from_utf8_lossy(&o.stderr).trim()
                    );
                }
                Ok(o.stdout)
            });
            steps.insert(kind, serde_json::from_slice::<SrsStep>(&stdout?)?);
        }
        let mut take = |kind: &str| steps.remove(kind).expect("each step ran");
        results.push(SrsBench {
            power,
            input_format: "halo2-raw".into(),
            input_bytes: std::fs::metadata(&input)?.len(),
            generate: take("generate"),
            halo2_setup: a.srs_baseline.then(|| take("halo2-setup")),
            import: take("import"),
            check: take("check"),
        });
    }
    let report = SrsBenchReport {
        zkinfer_version: crate::pipeline::VERSION.into(),
        results,
        out: out.display().to_string(),
    };
    crate::proof::artifact::write_atomic(&out, serde_json::to_string_pretty(&report)?.as_bytes())?;
    r.emit(&report);
    Ok(())
}

impl Render for SrsBenchReport {
    fn title(&self) -> String {
        format!("SRS benchmark written to {}", self.out)
    }
    fn rows(&self) -> Vec<(String, String)> {
        self.results
            .iter()
            .map(|b| {
                (
                    format!("2^{} powers", b.power),
                    format!(
                        "{} MB  generate {:.2}s{}  import {:.2}s, peak {:.0} MB  check {:.2}s, peak {:.0} MB",
                        b.input_bytes / 1_000_000,
                        b.generate.seconds,
                        b.halo2_setup
                            .as_ref()
                            .map(|h| format!(" (halo2 setup {:.1}s)", h.seconds))
                            .unwrap_or_default(),
                        b.import.seconds,
                        b.import.peak_rss_mb,
                        b.check.seconds,
                        b.check.peak_rss_mb
                    ),
                )
            })
            .collect()
    }
}

/// Runs `bench`.
pub fn run(a: Args, r: &Reporter) -> anyhow::Result<()> {
    if a.srs {
        return run_srs(&a, r);
    }
    if a.hashing {
        return run_hashing(&a, r);
    }
    let out_path = a.out.clone().unwrap_or_else(|| PathBuf::from("bench/results.json"));
    let models = if a.models.is_empty() {
        ["credit_mlp", "mlp_64", "mlp_sigmoid"]
            .iter()
            .map(|m| PathBuf::from(format!("models/{m}.onnx")))
            .collect()
    } else {
        a.models.clone()
    };
    if a.single {
        let m = &models[0];
        let work = a.work.join(m.file_stem().unwrap_or_default());
        let res = bench_one(m, &input_for(m), &work, a.runs, &Silent)?;
        println!("{}", serde_json::to_string(&res)?);
        return Ok(());
    }
    let exe = std::env::current_exe()?;
    let mut results = Vec::new();
    for m in &models {
        let (stdout, _) = step(r, &format!("benchmarking {}", m.display()), || -> anyhow::Result<Vec<u8>> {
            let out = std::process::Command::new(&exe)
                .arg("bench")
                .arg("--single")
                .arg("--runs")
                .arg(a.runs.to_string())
                .arg("--work")
                .arg(&a.work)
                .arg(m)
                .output()?;
            if !out.status.success() {
                anyhow::bail!(
                    "benchmark of {} failed: {}",
                    m.display(),
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
            Ok(out.stdout)
        });
        results.push(serde_json::from_slice::<BenchResult>(&stdout?)?);
    }
    let report = BenchReport {
        zkinfer_version: crate::pipeline::VERSION.into(),
        results,
        out: out_path.display().to_string(),
    };
    crate::proof::artifact::write_atomic(&out_path, serde_json::to_string_pretty(&report)?.as_bytes())?;
    r.emit(&report);
    Ok(())
}

impl Render for BenchReport {
    fn title(&self) -> String {
        format!("benchmark written to {}", self.out)
    }
    fn rows(&self) -> Vec<(String, String)> {
        self.results
            .iter()
            .map(|b| {
                (
                    b.model.clone(),
                    format!(
                        "k {} rows {}  setup {:.3}s  prove {:.3}s  verify {:.4}s  proof {} B  peak {:.0} MB  err {:.3}%",
                        b.k,
                        b.rows,
                        b.setup_seconds,
                        b.prove_seconds,
                        b.verify_seconds,
                        b.proof_bytes,
                        b.peak_rss_mb,
                        100.0 * b.max_rel_error
                    ) + &b
                        .evm
                        .as_ref()
                        .map(|e| {
                            format!(
                                "  EVM verify {} gas  runtime {} B  deploy {} gas",
                                e.verify_tx_gas, e.runtime_bytes, e.deploy_gas
                            )
                        })
                        .unwrap_or_default(),
                )
            })
            .collect()
    }
}
