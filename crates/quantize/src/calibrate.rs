//! Calibration: choose scales, lookup ranges and the circuit size from sample data, and report
//! the fidelity of the quantized outputs against tract's float outputs.

use super::build::{build, build_with_sites, CutSite, QuantConfig};
use super::eval::{evaluate, quantize_inputs};
use super::program::{Program, Visibility};
use super::tables::TableKind;
use super::QuantizeError;
use serde::{Deserialize, Serialize};
use zkinfer_model::LoadedModel;

/// What calibration optimises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// The smallest circuit whose outputs stay within the tolerance.
    Resources,
    /// The largest scales whose circuit fits in `max_k`.
    Accuracy,
}

/// What calibration does when no circuit within `max_k` keeps the outputs within the tolerance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum WhenInaccurate {
    /// Take the smallest circuit above `max_k` whose outputs are within the tolerance, if this
    /// machine can prove it (the memory estimate fits); otherwise fail with the estimates.
    #[default]
    Grow,
    /// Fail, naming the best error within `max_k` and the circuit the tolerance needs.
    Error,
    /// Keep the most accurate circuit within `max_k`; its fidelity report says it is beyond
    /// the tolerance.
    Accept,
}

impl std::fmt::Display for WhenInaccurate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WhenInaccurate::Grow => "grow",
            WhenInaccurate::Error => "error",
            WhenInaccurate::Accept => "accept",
        })
    }
}

/// Calibration settings.
#[derive(Clone, Debug)]
pub struct CalibrateOptions {
    /// Optimisation target.
    pub target: Target,
    /// Force one scale for inputs and weights instead of searching.
    pub scale: Option<u32>,
    /// Lookup ranges cover the observed range times this factor.
    pub range_margin: f64,
    /// Relative output error allowed (of the largest output magnitude).
    pub tolerance: f64,
    /// Who sees the inputs, outputs and parameters.
    pub visibility: Visibility,
    /// Extra public values bound into proofs (see [`crate::Program::bound`]).
    pub bound: Vec<String>,
    /// Largest circuit size considered, unless no circuit that small is accurate enough (see
    /// `when_inaccurate`).
    pub max_k: u32,
    /// What to do when no circuit within `max_k` meets the tolerance (searching scales only;
    /// a forced `scale` is kept, with the fidelity report saying how far off it is).
    pub when_inaccurate: WhenInaccurate,
    /// A decision threshold for one-value outputs (a score compared with a cut-off): the
    /// fidelity report counts samples whose quantized output falls on the other side of it.
    /// Outputs with several values are compared by their arg-max instead.
    pub decision_threshold: Option<f64>,
    /// The model outputs the proof carries, whole (`probabilities`) or one element
    /// (`probabilities[1]`); empty: every output (see [`LoadedModel::select_outputs`]).
    pub outputs: Vec<String>,
}

impl Default for CalibrateOptions {
    fn default() -> Self {
        CalibrateOptions {
            target: Target::Resources,
            scale: None,
            range_margin: 2.0,
            tolerance: 0.01,
            visibility: Visibility::default(),
            bound: Vec::new(),
            max_k: 20,
            when_inaccurate: WhenInaccurate::Grow,
            decision_threshold: None,
            outputs: Vec::new(),
        }
    }
}

/// Error figures for one output tensor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputFidelity {
    /// Output name.
    pub name: String,
    /// Largest absolute error over all samples and elements.
    pub max_abs_error: f64,
    /// Mean absolute error.
    pub mean_abs_error: f64,
    /// Largest absolute error divided by the largest float output magnitude.
    pub max_rel_error: f64,
    /// Largest float output magnitude.
    pub max_abs_float: f64,
    /// Elements (over all samples) whose error exceeds the tolerance times the largest float
    /// output magnitude.
    pub diverging: usize,
    /// Whether any element diverges beyond the tolerance.
    pub diverges: bool,
    /// Samples whose decision changed under quantization: the arg-max of an output with several
    /// values, or the side of the decision threshold of a one-value output (`None` for a
    /// one-value output without a threshold).
    pub decision_changes: Option<usize>,
}

/// Fidelity of the chosen quantization on the calibration samples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FidelityReport {
    /// Number of samples.
    pub samples: usize,
    /// Input/activation scale exponent.
    pub input_scale: u32,
    /// Weight scale exponent.
    pub param_scale: u32,
    /// Per-output figures.
    pub outputs: Vec<OutputFidelity>,
    /// Relative tolerance checked.
    pub tolerance: f64,
    /// Whether every output is within the tolerance.
    pub within_tolerance: bool,
    /// Tree splits at which some calibration sample still falls on the other side than in the
    /// float model (two samples on either side of the threshold quantize to the same value).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub split_changes: Vec<SplitChange>,
    /// What computed the float outputs compared with.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reference: String,
}

/// A tree split whose decision differs from the float model's on some calibration samples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SplitChange {
    /// ONNX node.
    pub node: String,
    /// Split number within the node (after merging equal splits).
    pub split: usize,
    /// Feature index (flat index into the split's operand).
    pub feature: usize,
    /// The threshold.
    pub threshold: f32,
    /// Samples (0-based) whose decision changed.
    pub samples: Vec<usize>,
}

/// One candidate considered by the search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Scale exponent.
    pub scale: u32,
    /// Circuit size.
    pub k: u32,
    /// Rows used.
    pub rows: usize,
    /// Worst relative output error.
    pub max_rel_error: f64,
}

/// The outcome of calibration.
#[derive(Clone, Debug)]
pub struct Calibrated {
    /// Program with calibrated table ranges.
    pub program: Program,
    /// Scale configuration.
    pub config: QuantConfig,
    /// Circuit size.
    pub k: u32,
    /// Rows used by the layout (gates and tables).
    pub rows: usize,
    /// Fidelity on the samples.
    pub report: FidelityReport,
    /// Every candidate evaluated.
    pub candidates: Vec<Candidate>,
    /// Why the circuit is larger than `max_k` (set when no circuit within it met the tolerance
    /// and the larger one was taken).
    pub above_max_k: Option<String>,
}

/// Sizes a program: returns `(k, rows)`; supplied by the circuit stage.
pub type SizeFn<'a> = &'a dyn Fn(&Program) -> (u32, usize);

/// Whether this machine can set up and prove a candidate's circuit of size `k`; `Err` says why
/// not (the estimate against what the machine has). Supplied by the pipeline.
pub type FitsFn<'a> = &'a dyn Fn(&Program, u32) -> Result<(), String>;

/// Calibrates `model` on `samples` (each a list of flat inputs).
pub fn calibrate(
    model: &LoadedModel,
    samples: &[Vec<Vec<f64>>],
    opts: &CalibrateOptions,
    size: SizeFn,
    fits: FitsFn,
) -> Result<Calibrated, QuantizeError> {
    if samples.is_empty() {
        return Err(QuantizeError::Calibration("no samples given".into()));
    }
    let floats = model.run_float_batch(samples)?;
    let splits = split_operands(model, samples);
    let scales: Vec<u32> = match opts.scale {
        Some(s) => vec![s],
        None => (2..=14).collect(),
    };
    let mut results: Vec<Calibrated> = Vec::new();
    let mut last_err = None;
    for s in scales {
        match candidate(model, samples, &floats, &splits, s, opts, size) {
            Ok(c) => results.push(c),
            Err(e) => last_err = Some(e),
        }
    }
    let candidates: Vec<Candidate> = results
        .iter()
        .map(|c| Candidate {
            scale: c.config.input_scale,
            k: c.k,
            rows: c.rows,
            max_rel_error: worst(&c.report),
        })
        .collect();
    let fitting: Vec<&Calibrated> = results.iter().filter(|c| c.k <= opts.max_k).collect();
    let accurate = |c: &&Calibrated| c.report.within_tolerance;
    let pct = |c: &Calibrated| format!("{:.2}%", 100.0 * worst(&c.report));
    let searching = opts.scale.is_none();
    if opts.target == Target::Resources && searching && !fitting.iter().any(accurate) {
        // no circuit within max_k meets the tolerance: the policy decides
        let best_within = most_accurate(fitting.iter().copied());
        let within_text = match best_within {
            Some(c) => format!(
                "the best within k ≤ {} is scale {} (k {}) at {} error",
                opts.max_k,
                c.config.input_scale,
                c.k,
                pct(c)
            ),
            None => format!("no scale gives a circuit with k ≤ {}", opts.max_k),
        };
        let mut larger: Vec<&Calibrated> = results.iter().filter(|c| c.k > opts.max_k && c.report.within_tolerance).collect();
        // smallest k first; within one k, the largest scale (best accuracy)
        larger.sort_by_key(|c| (c.k, std::cmp::Reverse(c.config.input_scale)));
        let tol = format!("{}%", 100.0 * opts.tolerance);
        let needs = match larger.first() {
            Some(c) => format!("the {tol} tolerance needs scale {} at k {}", c.config.input_scale, c.k),
            None => {
                let best = most_accurate(results.iter());
                format!(
                    "no scale meets the {tol} tolerance at any size (best: {})",
                    best.map(|c| format!("scale {} at k {}, {} error", c.config.input_scale, c.k, pct(c)))
                        .unwrap_or_else(|| "none".into())
                )
            }
        };
        match (opts.when_inaccurate, best_within) {
            (WhenInaccurate::Accept, Some(c)) => {
                let mut out = (*c).clone();
                out.candidates = candidates;
                return Ok(out);
            }
            (WhenInaccurate::Error, _) | (WhenInaccurate::Accept, None) => {
                return Err(QuantizeError::Calibration(format!(
                    "no circuit with k ≤ {} keeps the outputs within the tolerance: {within_text}; {needs}. Pass --max-k to allow a larger circuit, --if-inaccurate grow to take it when it fits this machine, --if-inaccurate accept to keep the inaccurate one, or a larger --tolerance",
                    opts.max_k
                )));
            }
            (WhenInaccurate::Grow, _) => {
                // the smallest accurate circuit this machine can take; the smallest one's
                // refusal explains failure (the larger ones need more still)
                let mut refusal = None;
                for c in &larger {
                    match fits(&c.program, c.k) {
                        Ok(()) => {
                            let mut out = (*c).clone();
                            out.candidates = candidates;
                            out.above_max_k = Some(format!(
                                "k {} is above --max-k {}: no circuit that small keeps the outputs within {tol} ({within_text})",
                                c.k, opts.max_k
                            ));
                            return Ok(out);
                        }
                        Err(why) => {
                            refusal.get_or_insert_with(|| format!("scale {} at k {}: {why}", c.config.input_scale, c.k));
                        }
                    }
                }
                return Err(QuantizeError::Calibration(match refusal {
                    None => format!("{needs}; {within_text}. Raise --tolerance, or pass --if-inaccurate accept to keep the inaccurate circuit"),
                    Some(first) => format!(
                        "no circuit with k ≤ {} keeps the outputs within {tol} ({within_text}), and no larger one that does fits this machine (the smallest, {first}). Pass --if-inaccurate accept to keep the inaccurate circuit, or a larger --tolerance",
                        opts.max_k
                    ),
                }));
            }
        }
    }
    if fitting.is_empty() {
        return Err(match last_err {
            Some(e) if results.is_empty() => e,
            _ => QuantizeError::Calibration(format!(
                "no scale gives a circuit with k ≤ {} (candidates: {candidates:?})",
                opts.max_k
            )),
        });
    }
    let chosen = match opts.target {
        Target::Resources => {
            let ok: Vec<&&Calibrated> = fitting.iter().filter(|c| c.report.within_tolerance).collect();
            match ok.iter().map(|c| c.k).min() {
                // smallest k; within it, the largest scale (best accuracy)
                Some(k) => **ok
                    .iter()
                    .filter(|c| c.k == k)
                    .max_by_key(|c| c.config.input_scale)
                    .expect("non-empty"),
                // a forced scale beyond the tolerance: kept, the report says so
                None => most_accurate(fitting.iter().copied()).expect("non-empty"),
            }
        }
        Target::Accuracy => *fitting.iter().max_by_key(|c| c.config.input_scale).expect("non-empty"),
    };
    let mut out = chosen.clone();
    out.candidates = candidates;
    Ok(out)
}

/// Quantizes `model` exactly as the reference program `base` was (its scales, table ranges,
/// visibility and bound values) and checks that the two share an architecture, so their
/// circuits, and verifying keys, are the same and only the hashed parameters differ. The
/// samples must stay inside `base`'s table ranges. `config` is `base`'s scale configuration.
pub fn calibrate_like(
    model: &LoadedModel,
    samples: &[Vec<Vec<f64>>],
    base: &Program,
    config: &QuantConfig,
    opts: &CalibrateOptions,
    size: SizeFn,
) -> Result<Calibrated, QuantizeError> {
    if samples.is_empty() {
        return Err(QuantizeError::Calibration("no samples given".into()));
    }
    let mut program = build(&model.graph, config)?;
    program.bound = base.bound.clone();
    program.batch = base.batch;
    if program.tables.len() == base.tables.len() && program.tables.iter().zip(&base.tables).all(|(a, b)| a.kind == b.kind) {
        program.tables = base.tables.clone();
        for (i, b) in program.inputs.iter_mut().zip(&base.inputs) {
            i.split = b.split.clone();
        }
    }
    if let Some(difference) = base.architecture_difference(&program) {
        return Err(QuantizeError::Architecture { difference });
    }
    let floats = model.run_float_batch(samples)?;
    let mut quants = Vec::new();
    for s in samples {
        let q = quantize_inputs(&program, s)?;
        let (w, _) = evaluate(&program, &q, true)?;
        quants.push(w.dequantized_outputs(&program));
    }
    super::bounds::check_bounds(&program)?;
    let mut report = fidelity(&program, config, &floats, &quants, opts.tolerance, opts.decision_threshold);
    report.reference = model.reference().to_string();
    let (k, rows) = size(&program);
    Ok(Calibrated {
        program,
        config: config.clone(),
        k,
        rows,
        report,
        candidates: vec![],
        above_max_k: None,
    })
}

fn worst(r: &FidelityReport) -> f64 {
    r.outputs.iter().map(|o| o.max_rel_error).fold(0.0, f64::max)
}

/// The candidate with the smallest worst relative error.
fn most_accurate<'a>(candidates: impl Iterator<Item = &'a Calibrated>) -> Option<&'a Calibrated> {
    candidates.min_by(|a, b| worst(&a.report).total_cmp(&worst(&b.report)))
}

/// The float values of every tree split's operand, per sample (empty when the model has no
/// splits).
type SplitOperands = Vec<std::collections::HashMap<String, Vec<f64>>>;

fn split_operands(model: &LoadedModel, samples: &[Vec<Vec<f64>>]) -> SplitOperands {
    use zkinfer_model::graph::Op;
    let names: std::collections::HashSet<&String> = model
        .graph
        .nodes
        .iter()
        .filter(|n| matches!(n.op, Op::Threshold { .. }))
        .map(|n| &n.inputs[0])
        .collect();
    if names.is_empty() {
        return Vec::new();
    }
    samples
        .iter()
        .map(|s| model.graph.eval_float(s).into_iter().filter(|(k, _)| names.contains(k)).collect())
        .collect()
}

/// Places each split's cut between the samples: `[x ≤ cut]` must hold exactly for the samples
/// the float model sends to the low side. When two samples on either side quantize to the same
/// value no cut separates them; the cut then changes the fewest decisions, and those are
/// returned.
fn choose_cuts(
    sites: &[CutSite],
    splits: &SplitOperands,
    quantized: &[Vec<i128>],
) -> (std::collections::BTreeMap<String, Vec<i64>>, Vec<SplitChange>) {
    use zkinfer_model::graph::Cmp;
    let mut cuts: std::collections::BTreeMap<String, Vec<i64>> = std::collections::BTreeMap::new();
    let mut changes = Vec::new();
    for site in sites {
        let points: Vec<(i128, bool)> = splits
            .iter()
            .zip(quantized)
            .map(|(f, q)| {
                let x = f.get(&site.operand).and_then(|v| v.get(site.spec.index)).copied().unwrap_or(0.0);
                let holds = site.spec.cmp.holds(x, site.spec.threshold);
                // low: the float model puts the sample at or below the cut
                let low = if site.spec.cmp.low_side() { holds } else { !holds };
                (q[site.wire as usize], low)
            })
            .collect();
        let wrong = |cut: i128| -> Vec<usize> {
            points
                .iter()
                .enumerate()
                .filter(|(_, &(x, low))| match site.spec.cmp {
                    Cmp::Eq | Cmp::Ne => (x == cut) != low,
                    _ => (x <= cut) != low,
                })
                .map(|(i, _)| i)
                .collect()
        };
        let default = site.cut as i128;
        let cut = if matches!(site.spec.cmp, Cmp::Eq | Cmp::Ne) {
            default
        } else {
            let lo = points.iter().filter(|p| p.1).map(|p| p.0).max();
            let hi = points.iter().filter(|p| !p.1).map(|p| p.0).min();
            match (lo, hi) {
                (Some(l), Some(h)) if l >= h => {
                    // no separating cut: the fewest changes, nearest the threshold
                    let mut best = (wrong(default).len(), 0i128, default);
                    for &(x, _) in &points {
                        for c in [x - 1, x] {
                            let key = (wrong(c).len(), (c - default).abs(), c);
                            if key < best {
                                best = key;
                            }
                        }
                    }
                    best.2
                }
                (l, h) => {
                    let lo = l.unwrap_or(i128::MIN);
                    let hi = h.map(|h| h - 1).unwrap_or(i128::MAX);
                    default.clamp(lo, hi)
                }
            }
        };
        let w = wrong(cut);
        if !w.is_empty() {
            changes.push(SplitChange {
                node: site.node.clone(),
                split: site.check,
                feature: site.spec.index,
                threshold: site.spec.threshold,
                samples: w,
            });
        }
        let entry = cuts.entry(site.tensor.clone()).or_default();
        if entry.len() <= site.check {
            entry.resize(site.check + 1, 0);
        }
        entry[site.check] = cut as i64;
    }
    (cuts, changes)
}

/// Largest flag-table half-range splits may use before they shift more bits off.
const SPLIT_TABLE_BITS: u32 = 9;

/// The extra bits splits shift off (see [`QuantConfig::split_shift`]): enough that the
/// largest difference of an operand from its cut, with the range margin, reads within
/// ±2^[`SPLIT_TABLE_BITS`] in the flag table.
fn split_shift(sites: &[CutSite], cuts: &std::collections::BTreeMap<String, Vec<i64>>, quantized: &[Vec<i128>], margin: f64) -> u32 {
    let mut widest = 0f64;
    for s in sites {
        let cut = cuts.get(&s.tensor).and_then(|c| c.get(s.check)).copied().unwrap_or(s.cut) as i128;
        let m = s.scale.min(super::build::SPLIT_INPUT_SCALE);
        for q in quantized {
            let d = ((cut - q[s.wire as usize]).abs() + 1) as f64 / 2f64.powi(m as i32);
            widest = widest.max(d);
        }
    }
    let bits = (widest * margin.max(1.0)).log2().ceil();
    if bits.is_finite() && bits > SPLIT_TABLE_BITS as f64 {
        (bits as u32 - SPLIT_TABLE_BITS).min(super::build::MAX_SHIFT)
    } else {
        0
    }
}

fn candidate(
    model: &LoadedModel,
    samples: &[Vec<Vec<f64>>],
    floats: &[Vec<Vec<f64>>],
    splits: &SplitOperands,
    scale: u32,
    opts: &CalibrateOptions,
    size: SizeFn,
) -> Result<Calibrated, QuantizeError> {
    let mut config = QuantConfig::with_scale(scale, opts.visibility);
    let (mut program, sites) = build_with_sites(&model.graph, &config)?;
    let mut split_changes = Vec::new();
    if !sites.is_empty() {
        let mut values = Vec::with_capacity(samples.len());
        for s in samples {
            let q = quantize_inputs(&program, s)?;
            values.push(evaluate(&program, &q, false)?.0.values);
        }
        let (cuts, changes) = choose_cuts(&sites, splits, &values);
        config.split_shift = split_shift(&sites, &cuts, &values, opts.range_margin);
        config.cuts = cuts;
        split_changes = changes;
        program = build(&model.graph, &config)?;
    }
    program.bound = opts.bound.clone();
    let mut seen: Vec<Option<(i128, i128)>> = vec![None; program.tables.len()];
    let mut quant_outs = Vec::new();
    for s in samples {
        let q = quantize_inputs(&program, s)?;
        let (w, obs) = evaluate(&program, &q, false)?;
        for (acc, o) in seen.iter_mut().zip(obs) {
            if let Some((lo, hi)) = o {
                let e = acc.get_or_insert((lo, hi));
                e.0 = e.0.min(lo);
                e.1 = e.1.max(hi);
            }
        }
        quant_outs.push(w.dequantized_outputs(&program));
    }
    for (t, obs) in program.tables.iter_mut().zip(&seen) {
        if matches!(t.kind, TableKind::Remainder { .. }) {
            continue;
        }
        let (lo, hi) = obs.unwrap_or((0, 0));
        let r = lo.unsigned_abs().max(hi.unsigned_abs()).max(1) as f64;
        let l = (r * opts.range_margin).ceil();
        if l >= 2f64.powi(40) {
            return Err(QuantizeError::Calibration(format!(
                "scale {scale}: {} table range ±{l} is too large",
                t.kind.describe()
            )));
        }
        // Function tables keep to the observed side of zero (eˣ of x − max ≤ 0, 1/Σ of a
        // positive sum): half the rows for the same margin. Inputs, rescales and relu keep a
        // symmetric range.
        // Flags stay two-sided: a split that every sample passes one way must still be
        // provable the other way.
        let one_sided = matches!(t.kind, TableKind::Func { f, .. } if !f.is_flag());
        t.lo = if one_sided && lo >= 0 { 0 } else { -(l as i64) };
        t.hi = if one_sided && hi <= 0 { 0 } else { l as i64 };
    }
    split_wide_inputs(&mut program);
    // large remainders in chunks when that makes the circuit smaller (`build` with the same
    // `rem_bits` repeats the split, e.g. for `calibrate_like`)
    config.rem_bits = super::remainder::choose_rem_bits(&program, size);
    if let Some(bits) = config.rem_bits {
        super::remainder::split_remainders(&mut program, bits);
    }
    super::bounds::check_bounds(&program).map_err(|e| QuantizeError::Calibration(format!("scale {scale}: {e}")))?;
    let mut report = fidelity(&program, &config, floats, &quant_outs, opts.tolerance, opts.decision_threshold);
    report.split_changes = split_changes;
    report.reference = model.reference().to_string();
    let (k, rows) = size(&program);
    Ok(Calibrated {
        program,
        config,
        k,
        rows,
        report,
        candidates: vec![],
        above_max_k: None,
    })
}

/// Bits above which an input range table is split in two (see [`InputSplit`]).
pub const INPUT_TABLE_BITS: u32 = 10;

/// Checks inputs whose calibrated range needs more than 2^[`INPUT_TABLE_BITS`] table rows in
/// two parts of about half the bits each, so a feature's magnitude (an income in dollars, at a
/// scale fine enough for the model's thresholds) does not set the circuit's size.
fn split_wide_inputs(program: &mut Program) {
    use super::program::InputSplit;
    use super::tables::TableSpec;
    let Some(t) = program.inputs.first().map(|i| i.table) else { return };
    // parameters in advice: `compile --like` must rebuild the same tables from the skeleton,
    // so those programs keep one input table
    if program.visibility.params_in_advice() || program.inputs.iter().any(|i| i.table != t || i.split.is_some()) {
        return;
    }
    let (lo, hi) = (program.tables[t].lo, program.tables[t].hi);
    let total = ((hi - lo + 1).max(1) as f64).log2().ceil() as u32;
    if total <= INPUT_TABLE_BITS {
        return;
    }
    // the split with the fewest table rows: the high part's table plus the low part's chunks
    // (at most INPUT_TABLE_BITS each)
    let rows = |bits: u32| -> u64 {
        (1u64 << (total - bits))
            + super::remainder::chunk_bits(bits, INPUT_TABLE_BITS)
                .iter()
                .map(|c| 1u64 << c)
                .sum::<u64>()
    };
    let bits = (1..total).min_by_key(|&b| (rows(b), b)).expect("total > 1");
    let mut idx: Vec<usize> = super::remainder::chunk_bits(bits, INPUT_TABLE_BITS)
        .into_iter()
        .map(|b| TableSpec::find_or_add(&mut program.tables, TableKind::Remainder { bits: b }))
        .collect();
    let rem_table = idx.pop().expect("a chunk");
    let spec = &mut program.tables[t];
    spec.lo = lo.div_euclid(1i64 << bits);
    spec.hi = hi.div_euclid(1i64 << bits);
    for i in &mut program.inputs {
        i.split = Some(InputSplit {
            bits,
            rem_table,
            rem_high: idx.clone(),
        });
    }
}

/// Compares dequantized outputs with float outputs.
pub fn fidelity(
    program: &Program,
    cfg: &QuantConfig,
    floats: &[Vec<Vec<f64>>],
    quants: &[Vec<Vec<f64>>],
    tolerance: f64,
    threshold: Option<f64>,
) -> FidelityReport {
    let mut outputs = Vec::new();
    for (oi, o) in program.outputs.iter().enumerate() {
        let (mut max_abs, mut sum, mut n, mut max_f) = (0f64, 0f64, 0usize, 0f64);
        for (f, q) in floats.iter().zip(quants) {
            for (a, b) in f[oi].iter().zip(&q[oi]) {
                let e = (a - b).abs();
                max_abs = max_abs.max(e);
                max_f = max_f.max(a.abs());
                sum += e;
                n += 1;
            }
        }
        let rel = if max_f > 0.0 { max_abs / max_f } else { max_abs };
        let limit = tolerance * if max_f > 0.0 { max_f } else { 1.0 };
        let diverging = floats
            .iter()
            .zip(quants)
            .flat_map(|(f, q)| f[oi].iter().zip(&q[oi]))
            .filter(|(a, b)| (*a - *b).abs() > limit)
            .count();
        let decision = |v: &[f64]| -> Option<usize> {
            match (v.len(), threshold) {
                (0, _) | (1, None) => None,
                (1, Some(t)) => Some((v[0] >= t) as usize),
                _ => Some(argmax(v)),
            }
        };
        let decision_changes = floats
            .iter()
            .zip(quants)
            .map(|(f, q)| Some((decision(&f[oi])? != decision(&q[oi])?) as usize))
            .sum::<Option<usize>>();
        outputs.push(OutputFidelity {
            name: o.name.clone(),
            max_abs_error: max_abs,
            mean_abs_error: sum / n.max(1) as f64,
            max_rel_error: rel,
            max_abs_float: max_f,
            diverging,
            diverges: diverging > 0,
            decision_changes,
        });
    }
    let within = outputs.iter().all(|o| !o.diverges);
    FidelityReport {
        samples: floats.len(),
        input_scale: cfg.input_scale,
        param_scale: cfg.param_scale,
        outputs,
        tolerance,
        within_tolerance: within,
        split_changes: Vec::new(),
        reference: String::new(),
    }
}
/// Index of the first largest value.
fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::ProgOutput;

    fn program(names: &[&str]) -> Program {
        Program {
            num_wires: 0,
            inputs: vec![],
            steps: vec![],
            outputs: names
                .iter()
                .map(|n| ProgOutput {
                    name: n.to_string(),
                    shape: vec![],
                    scale: 0,
                    wires: vec![],
                })
                .collect(),
            tables: vec![],
            visibility: Default::default(),
            bound: vec![],
            batch: 1,
        }
    }

    #[test]
    fn cuts_separate_the_samples_or_report_the_changes() {
        use zkinfer_model::graph::{Check, Cmp};
        let site = |cmp| CutSite {
            tensor: "f".into(),
            node: "trees".into(),
            operand: "x".into(),
            check: 0,
            spec: Check {
                index: 0,
                threshold: 0.5,
                cmp,
            },
            wire: 0,
            scale: 2,
            cut: 2,
        };
        let floats = |xs: &[f64]| -> SplitOperands { xs.iter().map(|&x| [("x".to_string(), vec![x])].into()).collect() };
        // quantized 0.45 and 0.55 both 2 at scale 2: the float model splits them, the default
        // cut (2) does not; the samples below (≤ 1) and above (≥ 3) leave no room either way
        let xs = [0.1, 0.45, 0.55, 0.9];
        let q: Vec<Vec<i128>> = [0, 2, 2, 4].iter().map(|&v| vec![v]).collect();
        let (cuts, changes) = choose_cuts(&[site(Cmp::Le)], &floats(&xs), &q);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].samples.len(), 1, "one sample cannot be separated: {changes:?}");
        assert!(cuts["f"][0] == 1 || cuts["f"][0] == 2);
        // separable samples: the cut moves between them
        let q: Vec<Vec<i128>> = [0, 1, 3, 4].iter().map(|&v| vec![v]).collect();
        for cmp in [Cmp::Le, Cmp::Lt, Cmp::Gt, Cmp::Ge] {
            let (cuts, changes) = choose_cuts(&[site(cmp)], &floats(&xs), &q);
            assert!(changes.is_empty(), "{cmp:?}: {changes:?}");
            assert!((1..=2).contains(&cuts["f"][0]), "{cmp:?}: {:?}", cuts["f"]);
        }
    }

    #[test]
    fn diverging_outputs_and_changed_decisions_are_flagged() {
        let p = program(&["class", "score"]);
        let cfg = QuantConfig::with_scale(8, Default::default());
        // two samples: class logits and a one-value score
        let floats = vec![vec![vec![0.50, 0.49], vec![0.70]], vec![vec![0.1, 0.9], vec![0.30]]];
        let quants = vec![vec![vec![0.48, 0.50], vec![0.70]], vec![vec![0.1, 0.9], vec![0.60]]];
        let r = fidelity(&p, &cfg, &floats, &quants, 0.01, Some(0.5));
        let (class, score) = (&r.outputs[0], &r.outputs[1]);
        assert_eq!((class.diverging, class.diverges, class.decision_changes), (2, true, Some(1)));
        assert_eq!((score.diverging, score.diverges, score.decision_changes), (1, true, Some(1)));
        assert!(!r.within_tolerance);
        // without a threshold a one-value output has no decision; equal outputs change nothing
        let r = fidelity(&p, &cfg, &floats, &floats, 0.01, None);
        assert_eq!(r.outputs[1].decision_changes, None);
        assert_eq!((r.outputs[0].diverging, r.outputs[0].decision_changes), (0, Some(0)));
        assert!(r.within_tolerance);
    }
}
