//! The one reporter all commands print through: a table on a terminal, JSON with `--json`,
//! nothing but errors with `--quiet`; spinners for long steps when stderr is a terminal.

use crate::pipeline::Progress;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::cell::RefCell;
use std::io::IsTerminal;

/// A report that can be shown as a two-column table.
pub trait Render: Serialize {
    /// Title line.
    fn title(&self) -> String;
    /// (label, value) rows.
    fn rows(&self) -> Vec<(String, String)>;
    /// Warnings to print on stderr.
    fn warnings(&self) -> Vec<String> {
        vec![]
    }
}

/// Output settings shared by every command.
pub struct Reporter {
    json: bool,
    quiet: bool,
    spinner: RefCell<Option<ProgressBar>>,
}

impl Reporter {
    /// A reporter.
    pub fn new(json: bool, quiet: bool) -> Self {
        Reporter {
            json,
            quiet,
            spinner: RefCell::new(None),
        }
    }

    /// Whether `--quiet` is on.
    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// Whether `--json` is on.
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// Clears the spinner; whether there was one.
    fn finish_spinner(&self) -> bool {
        match self.spinner.borrow_mut().take() {
            Some(pb) => {
                pb.finish_and_clear();
                true
            }
            None => false,
        }
    }

    fn interactive(&self) -> bool {
        !self.json && !self.quiet && std::io::stderr().is_terminal()
    }

    /// Prints a report.
    pub fn emit<T: Render>(&self, report: &T) {
        for w in report.warnings() {
            if !self.quiet {
                eprintln!("warning: {w}");
            }
        }
        if self.json {
            println!("{}", serde_json::to_string_pretty(report).expect("serialisable"));
        } else if !self.quiet {
            println!("{}", report.title());
            let rows = report.rows();
            let width = rows.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(0);
            for (l, v) in rows {
                println!("  {l:<width$}  {v}");
            }
        }
    }

    /// Prints an error (also as JSON on stdout with `--json`).
    pub fn error(&self, e: &anyhow::Error) {
        if let Some(s) = self.spinner.borrow_mut().take() {
            s.finish_and_clear();
        }
        let msg = format!("{e:#}");
        if self.json {
            println!("{}", serde_json::json!({ "error": msg }));
        }
        eprintln!("error: {msg}");
    }
}

impl Progress for Reporter {
    fn start(&self, what: &str) {
        if !self.interactive() {
            return;
        }
        let pb = ProgressBar::new_spinner();
        pb.set_style(ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("valid template"));
        pb.set_message(what.to_string());
        pb.enable_steady_tick(std::time::Duration::from_millis(100));
        *self.spinner.borrow_mut() = Some(pb);
    }
    fn done(&self, what: &str, seconds: f64) {
        // one line per step, also when stderr is a log file
        if self.finish_spinner() || (!self.json && !self.quiet) {
            eprintln!("✓ {what} ({seconds:.2}s)");
        }
    }
    fn failed(&self, what: &str, seconds: f64) {
        if self.finish_spinner() || (!self.json && !self.quiet) {
            eprintln!("✗ {what} ({seconds:.2}s)");
        }
    }
    fn advance(&self, done: u64, total: u64) {
        let spinner = self.spinner.borrow();
        let Some(pb) = spinner.as_ref() else { return };
        if pb.length() != Some(total) {
            pb.set_style(
                ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {percent}% ({elapsed}, {eta} left)")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            pb.set_length(total);
        }
        pb.set_position(done);
    }
    fn note(&self, message: &str) {
        if self.quiet {
            return;
        }
        let spinner = self.spinner.borrow();
        match spinner.as_ref() {
            Some(pb) => pb.println(message),
            None => eprintln!("{message}"),
        }
    }
}

/// Formats seconds.
pub fn secs(s: f64) -> String {
    format!("{s:.3} s")
}

/// `instance #i` or `instances #i–#j` of a slot.
pub fn instance_range(s: &crate::quantize::InstanceSlot) -> String {
    if s.len == 1 {
        format!("instance #{}", s.start)
    } else {
        format!("instances #{}–#{}", s.start, s.start + s.len - 1)
    }
}

/// What a slot holds, in words.
pub fn instance_meaning(s: &crate::quantize::InstanceSlot) -> String {
    use crate::quantize::InstanceKind;
    let scale = s.scale.map(|k| format!(" (fixed point, scale 2^{k})")).unwrap_or_default();
    let member = s.member.map(|m| format!(", member {m}")).unwrap_or_default();
    let what = match s.kind {
        InstanceKind::Output => format!("output `{}`{scale}", s.name),
        InstanceKind::Input => format!("input `{}`{scale}", s.name),
        InstanceKind::OutputHash => "Poseidon hash of the outputs".into(),
        InstanceKind::InputHash => "Poseidon hash of the inputs (`zkinfer hash`)".into(),
        InstanceKind::ParamsHash => "Poseidon hash of the model parameters (`zkinfer hash --part params`)".into(),
        InstanceKind::Params => "the model parameters (quantized integers, in program order)".into(),
        InstanceKind::Bound => format!("bound value `{}`", s.name),
        InstanceKind::Members => "number of real members of the batch (the rest are padding)".into(),
    };
    format!("{what}{member}")
}
