//! `zkinfer srs import FILE --out SRS [--k K]`, `zkinfer srs check FILE [--k K]`,
//! `zkinfer srs info FILE`: production SRS files (snarkjs `.ptau` ceremony files, halo2 KZG
//! params files).

use super::report::{secs, Render, Reporter};
use crate::pipeline::srs::{check, import, info, CheckCoverage, CheckReport, ImportReport, InfoReport};
use crate::proof::srs_check::LagrangeSource;
use std::path::PathBuf;

/// Arguments of `srs`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: SrsCommand,
}

/// `srs` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum SrsCommand {
    /// Check a .ptau or halo2 params file and write the halo2 params file zkinfer loads (its
    /// first 2^K powers).
    Import {
        /// A snarkjs powers-of-tau file (.ptau, phase-2 prepared or not) or a halo2 KZG params
        /// file (raw or compressed points).
        file: PathBuf,
        /// The params file to write (halo2 raw format; give it to `setup --srs`).
        #[arg(long)]
        out: PathBuf,
        /// Keep the first 2^K powers (default: all). A circuit of size k needs K ≥ k; a 2^28
        /// file serves k = 10 with --k 10.
        #[arg(long)]
        k: Option<u32>,
        /// Accept zkinfer's development SRS (its secret is public; for development only).
        #[arg(long)]
        dev_srs: bool,
    },
    /// Check an SRS file's points: on the curve and in the subgroup, the powers of one secret,
    /// τ·G2 consistent with them. Records the result, so `setup --srs` need not check again.
    Check {
        /// A .ptau or halo2 params file.
        file: PathBuf,
        /// Check the first 2^K powers (default: all).
        #[arg(long)]
        k: Option<u32>,
        /// Accept zkinfer's development SRS (its secret is public; for development only).
        #[arg(long)]
        dev_srs: bool,
    },
    /// Describe an SRS file: format, power, SHA-256 and Blake2b, whether it is a known public
    /// ceremony file or the development SRS, and earlier checks (its points are not checked).
    Info {
        /// A .ptau or halo2 params file.
        file: PathBuf,
    },
}

/// Runs `srs`.
pub fn run(a: Args, r: &Reporter) -> anyhow::Result<()> {
    match a.command {
        SrsCommand::Import { file, out, k, dev_srs } => r.emit(&import(&file, &out, k, dev_srs, r)?),
        SrsCommand::Check { file, k, dev_srs } => r.emit(&check(&file, k, dev_srs, r)?),
        SrsCommand::Info { file } => r.emit(&info(&file, r)?),
    }
    Ok(())
}

fn known(k: &Option<String>) -> String {
    k.clone().unwrap_or_else(|| "no".into())
}

fn checked(c: &CheckCoverage) -> String {
    let mut parts = vec![format!("{} G1 powers (on the curve, one secret)", c.g1_powers)];
    if c.g2_powers > 0 {
        parts.push(format!("{} G2 powers", c.g2_powers));
    }
    match c.lagrange {
        Some(LagrangeSource::File) => parts.push("the file's Lagrange basis".into()),
        Some(LagrangeSource::Section12) => parts.push("the Lagrange basis of section 12".into()),
        Some(LagrangeSource::Computed) => parts.push("Lagrange basis computed from the powers".into()),
        None => {}
    }
    parts.join(", ")
}

impl Render for ImportReport {
    fn title(&self) -> String {
        format!("SRS written to {} (2^{} powers, checked)", self.out, self.k)
    }
    fn rows(&self) -> Vec<(String, String)> {
        vec![
            ("source".into(), self.source.clone()),
            ("format".into(), self.source_description.clone()),
            ("source SHA-256".into(), self.source_sha256.clone()),
            ("source Blake2b".into(), self.source_blake2b.clone()),
            (
                "known ceremony".into(),
                known(&self.known_ceremony.as_ref().map(|c| c.file.clone())),
            ),
            ("checked".into(), checked(&self.checked)),
            ("τ·G2 (s·G2)".into(), self.s_g2.join(" ")),
            ("written".into(), format!("{} ({} bytes)", self.out, self.out_bytes)),
            ("SHA-256".into(), self.out_sha256.clone()),
            ("time".into(), secs(self.seconds)),
        ]
    }
    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }
}

impl Render for CheckReport {
    fn title(&self) -> String {
        format!("{}: the first 2^{} powers passed the checks", self.file, self.k)
    }
    fn rows(&self) -> Vec<(String, String)> {
        vec![
            ("format".into(), self.description.clone()),
            ("SHA-256".into(), self.sha256.clone()),
            ("Blake2b".into(), self.blake2b.clone()),
            ("known ceremony".into(), known(&self.known_ceremony)),
            (
                "development SRS".into(),
                if self.development_srs { "yes (INSECURE)" } else { "no" }.into(),
            ),
            ("checked".into(), checked(&self.checked)),
            ("τ·G2 (s·G2)".into(), self.s_g2.join(" ")),
            ("recorded in".into(), self.record.clone()),
            ("time".into(), secs(self.seconds)),
        ]
    }
    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }
}

impl Render for InfoReport {
    fn title(&self) -> String {
        format!("{} ({} bytes)", self.file, self.bytes)
    }
    fn rows(&self) -> Vec<(String, String)> {
        let mut rows = vec![
            ("format".into(), self.description.clone()),
            (
                "power".into(),
                format!("2^{} (serves circuits up to k = {})", self.power, self.power),
            ),
            ("SHA-256".into(), self.sha256.clone()),
            ("Blake2b".into(), self.blake2b.clone()),
            (
                "known ceremony".into(),
                match (&self.known_ceremony, &self.imported_from_known_ceremony) {
                    (Some(c), _) => format!("{} — {}", c.file, c.source),
                    (None, Some(f)) => format!("imported from {f} (recorded by `srs import` on this machine)"),
                    (None, None) => "no".into(),
                },
            ),
            (
                "development SRS".into(),
                if self.development_srs {
                    "yes (INSECURE: its secret is public)"
                } else {
                    "no"
                }
                .into(),
            ),
        ];
        rows.push((
            "checked".into(),
            match &self.checked {
                Some(c) => format!(
                    "yes, the first 2^{} powers (zkinfer {}, Unix time {})",
                    c.k, c.zkinfer_version, c.checked_at
                ),
                None => "not on this machine (run `zkinfer srs check`)".into(),
            },
        ));
        rows.push(("τ·G2 (s·G2)".into(), self.s_g2.join(" ")));
        rows
    }
    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }
}
