//! `zkinfer hash DIR --data FILE [--part input|output]`, `zkinfer hash DIR --part params`

use super::report::{Render, Reporter};
use crate::pipeline::hash::{hash, HashReport};
use crate::pipeline::BuildDir;
use crate::quantize::{Part, Vis};
use std::path::PathBuf;

/// Arguments of `hash`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Build directory (its scales and ranges quantize the data).
    pub build_dir: PathBuf,
    /// Input file (EZKL format, one sample); not with `--part params`.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// What to hash: the input values, the outputs the model computes from them, or the
    /// build's model parameters (the model commitment).
    #[arg(long, value_enum, default_value = "input")]
    pub part: HashPart,
}

/// A hashable part.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum HashPart {
    /// The quantized input values.
    Input,
    /// The quantized output values.
    Output,
    /// The quantized model parameters.
    Params,
}

/// Runs `hash`.
pub fn run(a: Args, r: &Reporter) -> anyhow::Result<()> {
    let part = match a.part {
        HashPart::Input => Part::Input,
        HashPart::Output => Part::Output,
        HashPart::Params => Part::Params,
    };
    let report = hash(&BuildDir(a.build_dir), a.data.as_deref(), part)?;
    r.emit(&report);
    Ok(())
}

impl Render for HashReport {
    fn title(&self) -> String {
        match &self.data {
            Some(d) => format!("Poseidon hash of the {} of {d}", self.part.as_str()),
            None => "Poseidon hash of the model parameters".into(),
        }
    }
    fn rows(&self) -> Vec<(String, String)> {
        let scales: Vec<String> = self.scales.iter().map(|s| format!("2^{s}")).collect();
        let values = if scales.is_empty() {
            format!("{} quantized parameters", self.values)
        } else {
            format!("{} at scale {}", self.values, scales.join(", "))
        };
        vec![
            ("hash".into(), self.hash.clone()),
            ("decimal".into(), self.hash_decimal.clone()),
            ("values".into(), values),
            (
                "in proofs".into(),
                match self.instance_index {
                    Some(i) => format!("instance #{i}"),
                    None => format!("not an instance: this build's {} is {}", self.part.as_str(), self.visibility),
                },
            ),
        ]
    }
    fn warnings(&self) -> Vec<String> {
        if self.visibility == Vis::Hashed {
            vec![]
        } else {
            vec![format!(
                "this build's {} is {}, not hashed: its proofs do not carry this hash (compile with --{} hashed)",
                self.part.as_str(),
                self.visibility,
                self.part.as_str()
            )]
        }
    }
}
