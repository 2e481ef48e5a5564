//! `zkinfer compile MODEL --data FILE --out DIR`

use super::report::{secs, Render, Reporter};
use crate::pipeline::compile::{compile, CompileOptions, CompileReport};
use crate::quantize::{CalibrateOptions, Target, Vis, Visibility, WhenInaccurate};
use std::path::PathBuf;

/// Arguments of `compile`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// ONNX model file.
    pub model: PathBuf,
    /// Sample data (EZKL format); repeat for more calibration data.
    #[arg(long, required = true)]
    pub data: Vec<PathBuf>,
    /// Build directory to write.
    #[arg(long, short, default_value = "build")]
    pub out: PathBuf,
    /// Calibration target.
    #[arg(long, value_enum, default_value = "resources")]
    pub target: Target,
    /// Use this scale exponent for inputs and weights instead of searching.
    #[arg(long)]
    pub scale: Option<u32>,
    /// Lookup ranges cover the observed range times this factor.
    #[arg(long, default_value_t = 2.0)]
    pub range_margin: f64,
    /// Allowed output error, relative to the largest output magnitude.
    #[arg(long, default_value_t = 0.01)]
    pub tolerance: f64,
    /// Who sees the inputs: `private` (witness only), `public` (instances) or `hashed` (their
    /// Poseidon hash is an instance; `zkinfer hash` computes it from an input file).
    #[arg(long, value_enum, default_value = "private")]
    pub input: Vis,
    /// Who sees the outputs: `public`, `private` or `hashed`.
    #[arg(long, value_enum, default_value = "public")]
    pub output: Vis,
    /// Who sees the weights: `fixed` (constants of the circuit, committed in the vk), `hashed`
    /// (private advice; their Poseidon hash, the model commitment, is an instance, and any model
    /// of the same architecture compiled `--like` this build shares its verifier), `public`
    /// (advice, every parameter an instance) or `private` (advice, not committed: the proof
    /// does not say which weights ran).
    #[arg(long, value_enum, default_value = "fixed")]
    pub params: Vis,
    /// Reuse the scales, lookup ranges, visibility and bound values of the build in DIR (compiled
    /// with `--params hashed`): a model of the same architecture then gets the same circuit,
    /// verifying key and verifier contract, and only its params hash differs.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["scale", "target", "input", "output", "params", "public_input", "bind", "range_margin", "max_k", "if_inaccurate", "optimize"])]
    pub like: Option<PathBuf>,
    /// Same as `--input public` (kept for scripts written before `--input`).
    #[arg(long, conflicts_with = "input")]
    pub public_input: bool,
    /// Bind an extra public value into every proof, named NAME (repeatable), e.g. `account`
    /// for the address a proof is made for; `prove --bind NAME=VALUE` supplies it. Bound values
    /// come after the outputs (and public inputs) in the instances.
    #[arg(long = "bind", value_name = "NAME")]
    pub bind: Vec<String>,
    /// Largest circuit size to consider (see --if-inaccurate for when no circuit this small is
    /// accurate enough).
    #[arg(long, default_value_t = 20)]
    pub max_k: u32,
    /// When no circuit within --max-k keeps the outputs within --tolerance: `grow` takes the
    /// smallest one above it that does, if this machine has the memory to set it up and prove
    /// it (the report says so); `error` fails, naming the best error within --max-k and the k
    /// the tolerance needs; `accept` keeps the most accurate circuit within --max-k (the report
    /// and a warning say how far off it is). Not used with --scale or --target accuracy.
    #[arg(long, value_enum, default_value = "grow", value_name = "POLICY")]
    pub if_inaccurate: WhenInaccurate,
    /// Cut-off of a one-value output (a score): the fidelity report counts samples whose
    /// quantized output lands on the other side of it. Outputs with several values are
    /// compared by their arg-max.
    #[arg(long, value_name = "T")]
    pub decision_threshold: Option<f64>,
    /// Prove only these model outputs, in this order: a whole output (`label`) or one element
    /// of it (`probabilities[1]`, an exported classifier's probability of the positive class:
    /// the score a CreditGate reads). Repeat for several; default: every output.
    #[arg(long = "select-output", value_name = "NAME[I]")]
    pub select_output: Vec<String>,
    /// Prove N inferences of the model in one proof (one verification on chain for all of
    /// them): `prove` then takes up to N samples and pads the rest, and the first instance says
    /// how many are real.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub batch: usize,
    /// What the circuit's layout optimises: `gas` (fewest columns, so the cheapest
    /// verification: one term per linear row, two when that lowers k), `prove` (2, 4, 8 or 16
    /// terms per linear row, whichever is expected to prove fastest: more columns, fewer rows)
    /// or `auto` (gas up to k 16, prove above).
    #[arg(long, value_enum, default_value = "auto")]
    pub optimize: crate::circuit::Optimize,
}

/// Runs `compile`.
pub fn run(a: Args, r: &Reporter) -> anyhow::Result<()> {
    for (i, name) in a.bind.iter().enumerate() {
        let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && name.len() <= 32;
        if !ok {
            anyhow::bail!("--bind {name:?}: a name is a letter followed by letters, digits or _ (at most 32)");
        }
        if a.bind[..i].contains(name) {
            anyhow::bail!("--bind {name:?} is given twice");
        }
    }
    if !(a.range_margin >= 1.0 && a.range_margin.is_finite()) {
        anyhow::bail!("--range-margin must be at least 1.0 (got {})", a.range_margin);
    }
    if !(a.tolerance > 0.0 && a.tolerance.is_finite()) {
        anyhow::bail!("--tolerance must be positive (got {})", a.tolerance);
    }
    if let Some(t) = a.decision_threshold {
        if !t.is_finite() {
            anyhow::bail!("--decision-threshold must be a finite number (got {t})");
        }
    }
    if let Some(s) = a.scale {
        if !(1..=20).contains(&s) {
            anyhow::bail!("--scale must be between 1 and 20 (got {s})");
        }
    }
    let visibility = Visibility {
        input: if a.public_input { Vis::Public } else { a.input },
        output: a.output,
        params: a.params,
    };
    visibility.check().map_err(|e| anyhow::anyhow!("{e}"))?;
    let calibration = CalibrateOptions {
        target: a.target,
        scale: a.scale,
        range_margin: a.range_margin,
        tolerance: a.tolerance,
        visibility,
        bound: a.bind.clone(),
        max_k: a.max_k,
        when_inaccurate: a.if_inaccurate,
        decision_threshold: a.decision_threshold,
        outputs: a.select_output.clone(),
    };
    let report = compile(
        &CompileOptions {
            model: a.model,
            data: a.data,
            out: a.out,
            calibration,
            like: a.like,
            batch: a.batch,
            optimize: a.optimize,
        },
        r,
    )?;
    r.emit(&report);
    Ok(())
}

impl Render for CompileReport {
    fn title(&self) -> String {
        format!("compiled {} → {}", self.model, self.build_dir)
    }
    fn rows(&self) -> Vec<(String, String)> {
        let mut rows = vec![
            ("k".into(), self.k.to_string()),
            ("rows used".into(), format!("{} (tables {})", self.rows, self.table_rows)),
            (
                "columns".into(),
                if self.shape.wide {
                    format!("wide ({} terms per linear row)", self.shape.terms_per_row())
                } else {
                    "narrow".into()
                },
            ),
            (
                "scales".into(),
                format!("input 2^{}, params 2^{}", self.input_scale, self.param_scale),
            ),
            (
                "visibility".into(),
                format!(
                    "input {}, output {}, params {}",
                    self.visibility.input, self.visibility.output, self.visibility.params
                ),
            ),
            ("public instances".into(), self.num_instances.to_string()),
        ];
        if self.batch > 1 {
            rows.push((
                "batch".into(),
                format!(
                    "{} inferences per proof ({} instances each, after the member count)",
                    self.batch,
                    (self.num_instances - 1) / self.batch
                ),
            ));
        }
        if self.visibility.params != crate::quantize::Vis::Fixed {
            rows.push(("parameters".into(), format!("{} (advice cells)", self.num_params)));
        }
        if let Some(h) = &self.params_hash {
            rows.push(("params hash".into(), h.clone()));
        }
        if let Some(l) = &self.like {
            rows.push(("circuit".into(), format!("the same as {l}'s (same verifying key after setup)")));
        }
        rows.extend([("samples".into(), self.fidelity.samples.to_string())]);
        for o in &self.fidelity.outputs {
            let decisions = match o.decision_changes {
                Some(n) => format!(", decisions changed in {n} of {} samples", self.fidelity.samples),
                None => String::new(),
            };
            rows.push((
                format!("fidelity `{}`", o.name),
                format!(
                    "max abs err {:.3e}, mean abs err {:.3e}, max rel err {:.3}%, {} values beyond tolerance{decisions}",
                    o.max_abs_error,
                    o.mean_abs_error,
                    100.0 * o.max_rel_error,
                    o.diverging
                ),
            ));
        }
        rows.push((
            "within tolerance".into(),
            format!("{} ({}%)", self.fidelity.within_tolerance, 100.0 * self.fidelity.tolerance),
        ));
        let e = &self.estimate;
        let mb = crate::proof::estimate::mb_text;
        rows.push((
            "expected cost".into(),
            format!(
                "setup ~{} peak, ~{:.0} s; prove ~{} peak, ~{:.0} s ({} threads{})",
                mb(e.setup_peak_mb),
                e.setup_seconds.max(1.0),
                mb(e.prove_peak_mb),
                e.prove_seconds.max(1.0),
                e.threads,
                self.available_memory_mb
                    .map(|a| format!(", {} available", mb(a)))
                    .unwrap_or_default()
            ),
        ));
        rows.push(("time".into(), secs(self.seconds)));
        rows
    }
    fn warnings(&self) -> Vec<String> {
        let f = &self.fidelity;
        let mut w = Vec::new();
        if let Some(why) = &self.above_max_k {
            w.push(format!("{why}; --if-inaccurate accept keeps the smaller, inaccurate circuit"));
        }
        if let Err(why) = self.estimate.fits_both(self.available_memory_mb) {
            w.push(format!("{why}: setup or prove may fail on this machine"));
        }
        if self.visibility.params != crate::quantize::Vis::Fixed && self.num_params == 0 {
            w.push(format!(
                "params are {} but the model has no weight layers: there is nothing to commit to",
                self.visibility.params
            ));
        }
        if self.visibility.params == crate::quantize::Vis::Private {
            w.push(
                "params are private and not committed: a proof shows that some model of this architecture produced the outputs, not which one (the prover picks the weights, so any output can be proven); `verify` refuses its proofs unless --any-model; --params hashed commits to the weights"
                    .into(),
            );
        }
        for o in &f.outputs {
            if o.diverges {
                w.push(format!(
                    "output `{}`: {} quantized values differ from the float values by more than {}% of the largest; try --max-k, --target accuracy or --scale",
                    o.name,
                    o.diverging,
                    100.0 * f.tolerance
                ));
            }
            if let Some(n) = o.decision_changes.filter(|&n| n > 0) {
                w.push(format!(
                    "output `{}`: quantization changes the decision in {n} of {} samples",
                    o.name, f.samples
                ));
            }
        }
        w
    }
}
