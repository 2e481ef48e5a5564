//! `compile`: import, calibrate and size the circuit; write `settings.json` and `program.json`.

use super::settings::Settings;
use super::{step, BuildDir, Error, Progress};
use crate::circuit;
use crate::model::{InputData, LoadedModel};
use crate::proof::artifact::write_atomic;
use crate::proof::proof_file::encode_instance;
use crate::quantize::calibrate::{calibrate_like, Calibrated, SizeFn};
use crate::quantize::{calibrate, calibrate::Candidate, CalibrateOptions, FidelityReport, QuantConfig, StepKind, Vis};
use serde::Serialize;
use std::path::PathBuf;

/// Options of `compile`.
#[derive(Clone, Debug)]
pub struct CompileOptions {
    /// ONNX model file.
    pub model: PathBuf,
    /// Sample data files (EZKL format).
    pub data: Vec<PathBuf>,
    /// Build directory to write.
    pub out: PathBuf,
    /// Calibration settings.
    pub calibration: CalibrateOptions,
    /// A build (with hashed params) whose scales, table ranges and visibility to reuse, so this
    /// model of the same architecture gets the same circuit and verifying key.
    pub like: Option<PathBuf>,
    /// Inferences per proof (`--batch N`, 1: a single inference).
    pub batch: usize,
    /// What the circuit's layout optimises (verification gas or proving time).
    pub optimize: circuit::Optimize,
}

/// Most inferences one batch proof takes.
pub const MAX_BATCH: usize = 1024;

/// What `compile` did.
#[derive(Clone, Debug, Serialize)]
pub struct CompileReport {
    /// Build directory.
    pub build_dir: String,
    /// Model file.
    pub model: String,
    /// SHA-256 of the model file.
    pub model_sha256: String,
    /// Nodes in the lowered graph.
    pub nodes: usize,
    /// Circuit size.
    pub k: u32,
    /// Rows used (gates or tables, whichever is larger).
    pub rows: usize,
    /// Rows used by lookup tables.
    pub table_rows: usize,
    /// Column layout (`wide`: two terms per linear row).
    pub shape: crate::circuit::CircuitShape,
    /// Input/activation scale exponent.
    pub input_scale: u32,
    /// Weight scale exponent.
    pub param_scale: u32,
    /// Who sees the inputs, outputs and parameters.
    pub visibility: crate::quantize::Visibility,
    /// Public instances per proof.
    pub num_instances: usize,
    /// Inferences per proof.
    pub batch: usize,
    /// The params hash (model commitment) of this build's model, with hashed or public params.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub params_hash: Option<String>,
    /// Model parameters in advice cells (params not fixed).
    pub num_params: usize,
    /// The build whose circuit this one shares (`--like`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub like: Option<String>,
    /// Fidelity on the samples.
    pub fidelity: FidelityReport,
    /// Scales considered.
    pub candidates: Vec<Candidate>,
    /// Why k is above `--max-k` (no circuit within it met the tolerance; `--if-inaccurate grow`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub above_max_k: Option<String>,
    /// Expected peak memory and time of setup and proving on this machine.
    pub estimate: crate::proof::estimate::Estimate,
    /// Memory this machine has available now, MB (what the estimate was checked against).
    pub available_memory_mb: Option<f64>,
    /// Wall time.
    pub seconds: f64,
}

/// Compiles a model into a build directory.
pub fn compile(opts: &CompileOptions, progress: &dyn Progress) -> Result<CompileReport, Error> {
    let start = std::time::Instant::now();
    if opts.data.is_empty() {
        return Err(Error::Usage(
            "compile needs sample data: --data FILE (EZKL format {\"input_data\": [[...]]})".into(),
        ));
    }
    if !(1..=MAX_BATCH).contains(&opts.batch) {
        return Err(Error::Usage(format!(
            "--batch {}: a batch proves between 1 and {MAX_BATCH} inferences",
            opts.batch
        )));
    }
    if opts.batch > 1 && opts.calibration.visibility.params != Vis::Fixed {
        // each member would commit to weights of its own, and only one params instance is
        // checked against an approved model
        return Err(Error::Usage(format!(
            "--batch {} needs --params fixed (the weights are constants of the circuit, the same for every member); params {} are not",
            opts.batch, opts.calibration.visibility.params
        )));
    }
    let data = opts.data.iter().map(|p| InputData::from_file(p)).collect::<Result<Vec<_>, _>>()?;
    let hints: Vec<usize> = data[0].inputs.iter().map(|l| l.len()).collect();
    let (model, _) = step(progress, "loading model", || LoadedModel::load(&opts.model, Some(&hints)));
    let mut model = model?;
    model.select_outputs(&opts.calibration.outputs)?;
    let sizes: Vec<usize> = model.graph.inputs.iter().map(|i| i.len()).collect();
    let mut samples = Vec::new();
    for (d, p) in data.iter().zip(&opts.data) {
        samples.extend(d.samples(&sizes, &p.display().to_string())?);
    }
    // candidates are sized as the batch circuit they become
    let batch = opts.batch;
    let optimize = opts.optimize;
    let sizing_of = |p: &crate::quantize::Program| {
        if batch == p.batch {
            circuit::size_for(p, optimize)
        } else {
            circuit::size_for(&crate::quantize::Program { batch, ..p.clone() }, optimize)
        }
    };
    let size_fn = |p: &crate::quantize::Program| {
        let s = sizing_of(p);
        (s.k, s.rows)
    };
    // a candidate above --max-k is taken only if this machine can set it up and prove it
    let available = crate::proof::estimate::available_memory_mb();
    let threads = crate::proof::estimate::prover_threads();
    let fits_fn = |p: &crate::quantize::Program, k: u32| -> Result<(), String> {
        if k > circuit::MAX_K {
            return Err(format!("above the largest circuit zkinfer makes (k {})", circuit::MAX_K));
        }
        crate::proof::estimate::estimate(k, sizing_of(p).shape, threads).fits_both(available)
    };
    let (mut cal, like_shape) = match &opts.like {
        None => {
            let (cal, _) = step(progress, "calibrating scales and lookup ranges", || {
                calibrate(&model, &samples, &opts.calibration, &size_fn, &fits_fn)
            });
            (cal?, None)
        }
        Some(like) => {
            let (cal, _) = step(progress, "quantizing like the reference build", || {
                compile_like(like, &model, &samples, &opts.calibration, batch, &size_fn)
            });
            let (cal, shape) = cal?;
            (cal, Some(shape))
        }
    };
    cal.program.batch = batch;
    if cal.k > circuit::MAX_K {
        return Err(circuit::CircuitError::TooLarge {
            rows: cal.rows,
            max: circuit::MAX_K,
        }
        .into());
    }
    // a --like build keeps the reference's layout (the same circuit); otherwise the layout
    // picked for --optimize
    let sizing = match like_shape {
        Some(shape) => circuit::size_in(&cal.program, shape),
        None => circuit::size_for(&cal.program, optimize),
    };
    let estimate = crate::proof::estimate::estimate(cal.k, sizing.shape, threads);
    let dir = BuildDir(opts.out.clone());
    let model_path = opts.model.display().to_string();
    let mut settings = Settings::new(
        &cal.program,
        &model_path,
        &model.sha256,
        cal.k,
        cal.rows,
        cal.report.clone(),
        cal.config.param_scale,
    );
    settings.shape = sizing.shape;
    settings.rem_bits = cal.config.rem_bits;
    // the model's identity when the vk does not pin the weights (private params have none)
    if matches!(cal.program.visibility.params, Vis::Hashed | Vis::Public) {
        settings.params_hash = Some(encode_instance(&super::hash::params_hash(&cal.program)));
    }
    std::fs::create_dir_all(dir.path()).map_err(|e| dir.err(format!("cannot create: {e}")))?;
    // keys of an earlier compile no longer match
    for stale in [dir.pk(), dir.vk(), dir.srs(), dir.path().join(super::setup::INSECURE_MARKER)] {
        let _ = std::fs::remove_file(stale);
    }
    let program_json = serde_json::to_string(&cal.program).expect("serialisable");
    settings.program_sha256 = super::settings::sha256_hex(program_json.as_bytes());
    write_atomic(&dir.program(), program_json.as_bytes())?;
    settings.write(&dir)?;
    Ok(CompileReport {
        build_dir: dir.path().display().to_string(),
        model: model_path,
        model_sha256: model.sha256.clone(),
        nodes: model.graph.nodes.len(),
        k: cal.k,
        rows: cal.rows,
        table_rows: cal.program.table_rows(),
        shape: sizing.shape,
        input_scale: cal.config.input_scale,
        param_scale: cal.config.param_scale,
        visibility: settings.visibility,
        num_instances: settings.num_instances,
        batch,
        params_hash: settings.params_hash.clone(),
        num_params: cal.program.part_wires(crate::quantize::Part::Params).len(),
        like: opts.like.as_ref().map(|p| p.display().to_string()),
        fidelity: cal.report,
        candidates: cal.candidates,
        above_max_k: cal.above_max_k,
        estimate,
        available_memory_mb: available,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Quantizes `model` like the build in `like` (which must hash its params) and checks that the
/// circuit comes out the same size and shape.
fn compile_like(
    like: &std::path::Path,
    model: &LoadedModel,
    samples: &[Vec<Vec<f64>>],
    opts: &CalibrateOptions,
    batch: usize,
    size: SizeFn,
) -> Result<(Calibrated, circuit::CircuitShape), Error> {
    let base_dir = BuildDir(like.to_path_buf());
    let base_settings = Settings::read(&base_dir)?;
    let base = super::settings::read_program(&base_dir, &base_settings)?;
    if base.batch != batch {
        return Err(base_dir.err(format!(
            "proves batches of {} inferences; pass --batch {} to share its circuit",
            base.batch, base.batch
        )));
    }
    if !base.visibility.params_in_advice() {
        return Err(base_dir.err(format!(
            "--like needs a build compiled with --params hashed (its params are {}: its weights are constants of its circuit, so no other model shares it)",
            base.visibility.params
        )));
    }
    // settings.json's chunk size must be the one the reference program was split with
    let split = base
        .steps
        .iter()
        .any(|s| matches!(&s.kind, StepKind::Lookup { rem_high, .. } if !rem_high.is_empty()));
    if split != base_settings.rem_bits.is_some() {
        return Err(base_dir.err(format!(
            "settings.json's rem_bits ({:?}) does not match program.json, whose remainders are {}checked in chunks",
            base_settings.rem_bits,
            if split { "" } else { "not " }
        )));
    }
    let config = QuantConfig {
        param_scale: base_settings.param_scale,
        rem_bits: base_settings.rem_bits,
        ..QuantConfig::with_scale(base_settings.input_scale, base.visibility)
    };
    let mut cal = calibrate_like(model, samples, &base, &config, opts, size)?;
    let sizing = circuit::size_in(&cal.program, base_settings.shape);
    if sizing.k != base_settings.k {
        return Err(base_dir.err(format!(
            "the model quantizes to a circuit of k = {} in the reference's layout ({:?}), not the reference build's k = {}",
            sizing.k, base_settings.shape, base_settings.k
        )));
    }
    (cal.k, cal.rows) = (sizing.k, sizing.rows);
    Ok((cal, base_settings.shape))
}
