//! The command line: one file per subcommand, each parsing its arguments and calling
//! [`crate::pipeline`]. All output goes through [`report::Reporter`].

pub mod attest;
pub mod bench;
pub mod calldata;
pub mod compile;
pub mod conformance;
pub mod demo;
pub mod deploy;
pub mod export_web;
pub mod fixture;
pub mod gas;
pub mod hash;
pub mod mock;
pub mod operator;
pub mod prove;
pub mod report;
pub mod setup;
pub mod srs;
pub mod submit;
pub mod verifier;
pub mod verify;

use clap::{Parser, Subcommand};
use report::Reporter;

/// zkinfer: prove ONNX model inference with Halo2/KZG and check it on-chain.
#[derive(Parser, Debug)]
#[command(name = "zkinfer", version, about)]
pub struct Cli {
    /// Print machine-readable JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// Print nothing but errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Import, quantize and calibrate a model into a build directory.
    Compile(compile::Args),
    /// Load or generate the SRS and write the proving and verifying keys.
    Setup(setup::Args),
    /// Import, check and describe production SRS files (.ptau ceremony files, halo2 params).
    Srs(srs::Args),
    /// Prove an inference on an input file.
    Prove(prove::Args),
    /// Verify a proof file.
    Verify(verify::Args),
    /// Run the MockProver on an input and report failing constraints.
    Mock(mock::Args),
    /// Print the ABI-encoded verifyProof(bytes,uint256[]) call for a proof.
    Calldata(calldata::Args),
    /// Generate the Solidity verifier, compile it with solc and write it with its ABI.
    Verifier(verifier::Args),
    /// Run the generated verifier on a proof in revm and report its gas.
    Gas(gas::Args),
    /// Write a forge-ready JSON fixture (proof bytes, instances, bound values) of a proof.
    Fixture(fixture::Args),
    /// Print the Poseidon hash of an input file's values as a build's circuit computes it.
    Hash(hash::Args),
    /// Write what a browser prover needs of a build (program, proving key, SRS, manifest).
    ExportWeb(export_web::Args),
    /// Sign an EIP-712 attestation of a borrower's features (as a data provider) for a CreditGate.
    Attest(attest::Args),
    /// Deploy the verifier (and optionally a CreditGate) to a chain and record where.
    Deploy(deploy::Args),
    /// Send a proof to a deployed verifier, CreditGate or InferenceOracle.
    Submit(submit::Args),
    /// Run the whole chain on the bundled credit-scoring model.
    Demo(demo::Args),
    /// Serve an InferenceOracle's requests: watch, prove, fulfil (`run`); read its state (`status`).
    Operator(operator::Args),
    /// Run the ONNX backend test cases through compile, prove and verify, and report.
    Conformance(conformance::Args),
    /// Benchmark models and write the figures as JSON.
    Bench(bench::Args),
}

/// Parses arguments, runs the command, prints through the reporter; returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            let informational = matches!(
                e.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            );
            if !informational && std::env::args().any(|a| a == "--json") {
                println!("{}", serde_json::json!({ "error": e.to_string().trim() }));
            }
            e.exit();
        }
    };
    let r = Reporter::new(cli.json, cli.quiet);
    let result = match cli.command {
        Command::Compile(a) => compile::run(a, &r),
        Command::Setup(a) => setup::run(a, &r),
        Command::Srs(a) => srs::run(a, &r),
        Command::Prove(a) => prove::run(a, &r),
        Command::Verify(a) => verify::run(a, &r),
        Command::Mock(a) => mock::run(a, &r),
        Command::Calldata(a) => calldata::run(a, &r),
        Command::Verifier(a) => verifier::run(a, &r),
        Command::Gas(a) => gas::run(a, &r),
        Command::Fixture(a) => fixture::run(a, &r),
        Command::Hash(a) => hash::run(a, &r),
        Command::ExportWeb(a) => export_web::run(a, &r),
        Command::Attest(a) => attest::run(a, &r),
        Command::Deploy(a) => deploy::run(a, &r),
        Command::Submit(a) => submit::run(a, &r),
        Command::Demo(a) => demo::run(a, &r),
        Command::Operator(a) => operator::run(a, &r),
        Command::Bench(a) => bench::run(a, &r),
        Command::Conformance(a) => conformance::run(a, &r),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            r.error(&e);
            1
        }
    }
}
