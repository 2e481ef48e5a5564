//! `mock`: run the MockProver on an input and report the first failing constraint in words.

use super::prove::witness_for;
use super::settings::{read_program, Settings};
use super::{step, BuildDir, Error, Progress};
use crate::circuit::{mock_prove, MockReport};
use std::path::Path;

/// Mock-proves the model on the input in `input`.
pub fn mock(dir: &BuildDir, input: &Path, progress: &dyn Progress) -> Result<MockReport, Error> {
    let settings = Settings::read(dir)?;
    let program = read_program(dir, &settings)?;
    let witness = witness_for(&program, input)?;
    let (report, _) = step(progress, "running the mock prover", || {
        mock_prove(&program, &witness, settings.k, settings.shape)
    });
    Ok(report?)
}
