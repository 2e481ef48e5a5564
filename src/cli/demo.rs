//! `zkinfer demo`

use super::report::{secs, Render, Reporter};
use crate::pipeline::demo::{demo, DemoReport};
use std::path::PathBuf;

/// Arguments of `demo`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Directory for the demo's build artifacts.
    #[arg(long, short, default_value = "build/demo")]
    pub out: PathBuf,
    /// Also deploy the verifier and a CreditGate to this local anvil (chain 31337, its
    /// well-known keys #0 and #1) and submit the proof as the borrower. `bash scripts/demo`
    /// starts an anvil and passes it.
    #[arg(long)]
    pub rpc_url: Option<String>,
}

/// Runs the demo.
pub fn run(a: Args, r: &Reporter) -> anyhow::Result<()> {
    let report = demo(&a.out, a.rpc_url.as_deref(), r)?;
    r.emit(&report);
    Ok(())
}

impl Render for DemoReport {
    fn title(&self) -> String {
        format!("zkinfer demo: {}", self.model)
    }
    fn rows(&self) -> Vec<(String, String)> {
        let mut rows = vec![
            ("k / rows".into(), format!("{} / {}", self.k, self.rows)),
            ("scale".into(), format!("2^{}", self.input_scale)),
            ("compile".into(), secs(self.compile_seconds)),
            ("setup".into(), secs(self.setup_seconds)),
            ("prove".into(), secs(self.prove_seconds)),
            ("verify".into(), secs(self.verify_seconds)),
            ("proof size".into(), format!("{} bytes", self.proof_bytes)),
            ("credit score (proven)".into(), format!("{:.6}", self.score)),
            (
                "credit score (float)".into(),
                format!("{:.6} (rel. error {:.3}%)", self.float_score, 100.0 * self.relative_error),
            ),
            ("verified".into(), if self.verified { "yes".into() } else { "NO".into() }),
            ("borrower (bound)".into(), self.borrower.clone()),
            ("artifacts".into(), format!("{} (proof: {})", self.build_dir, self.proof_path)),
        ];
        if let Some(g) = &self.gas {
            rows.push(("Solidity verifier".into(), self.verifier_dir.clone().unwrap_or_default()));
            rows.push((String::new(), g.title()));
            rows.extend(g.rows().into_iter().map(|(l, v)| (format!("  {l}"), v)));
        }
        if let Some(c) = &self.chain {
            rows.push((String::new(), c.deploy.title()));
            rows.extend(c.deploy.rows().into_iter().map(|(l, v)| (format!("  {l}"), v)));
            rows.push((String::new(), format!("{} (data provider)", c.attestation.title())));
            rows.extend(c.attestation.rows().into_iter().map(|(l, v)| (format!("  {l}"), v)));
            rows.push((
                String::new(),
                format!("{} (attested requestCredit by the borrower)", c.submit.title()),
            ));
            rows.extend(c.submit.rows().into_iter().map(|(l, v)| (format!("  {l}"), v)));
            rows.push((String::new(), "the same borrower, proving on made-up features".into()));
            rows.push((
                "  proven score".into(),
                format!(
                    "{:.6} (the proof {})",
                    c.made_up.score,
                    if c.made_up.verified { "verifies" } else { "does NOT verify" }
                ),
            ));
            rows.push(("  refused".into(), format!("{} (nothing sent)", c.made_up.refused)));
        }
        if let Some(t) = &self.trees {
            rows.push((String::new(), format!("the gradient-boosted credit model: {}", t.model)));
            rows.push(("  k / rows".into(), format!("{} / {}", t.k, t.rows)));
            rows.push((
                "  compile / setup / prove / verify".into(),
                format!(
                    "{} / {} / {} / {}",
                    secs(t.compile_seconds),
                    secs(t.setup_seconds),
                    secs(t.prove_seconds),
                    secs(t.verify_seconds)
                ),
            ));
            rows.push(("  proof size".into(), format!("{} bytes", t.proof_bytes)));
            rows.push((
                "  applicant (proven)".into(),
                format!("label {}, P(default) {:.4}", t.label, t.p_default),
            ));
            rows.push((
                format!("  applicant ({})", t.reference),
                format!("label {}, P(default) {:.4}", t.reference_label, t.reference_p_default),
            ));
            rows.push(("  verified".into(), if t.verified { "yes".into() } else { "NO".into() }));
            if let Some(g) = &t.gas {
                rows.extend(g.rows().into_iter().map(|(l, v)| (format!("  {l}"), v)));
            }
        }
        rows
    }
    fn warnings(&self) -> Vec<String> {
        let mut w = vec![self.warning.clone()];
        if let Some(s) = &self.evm_skipped {
            w.push(format!("skipped the Solidity verifier and gas report: {s}"));
        }
        if let Some(s) = &self.trees_skipped {
            w.push(format!("skipped the gradient-boosted model: {s}"));
        }
        w
    }
}
