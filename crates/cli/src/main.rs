//! # assay — the command-line front of Assay
//!
//! A thin binary: parse arguments, resolve settings once, dispatch to a command, map the outcome to
//! an exit code (0 passed, 1 failures found, 2 could not run). Library crates do the work and never
//! print; everything shown to a person goes through [`printer::Printer`].

mod args;
mod commands;
mod data_args;
mod demo;
mod diagnostics;
mod printer;
mod progress;
mod settings;

use std::io;
use std::process::ExitCode;

use clap::Parser;

use crate::args::{
    CatalogCommand, Cli, Command, ControlsCommand, EvidenceCommand, ScanCommand, ScopeCommand,
};
use crate::settings::Settings;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Ran, and everything passed.
    Success,
    /// Ran, and found failures (errors in the description, failing controls, tamper).
    Failure,
    /// Could not run.
    Error,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        match status {
            ExitStatus::Success => ExitCode::from(0),
            ExitStatus::Failure => ExitCode::from(1),
            ExitStatus::Error => ExitCode::from(2),
        }
    }
}

/// What a command returns: an exit status, or a diagnostic for exit code 2.
pub type CommandResult = Result<ExitStatus, miette::Report>;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // Help and version are not errors; usage mistakes exit 2 as clap prints them.
            let _ = err.print();
            return if err.use_stderr() {
                ExitStatus::Error.into()
            } else {
                ExitStatus::Success.into()
            };
        }
    };
    let settings = Settings::resolve(&cli.global);
    let printer = settings.printer();
    let status = match run(cli.command, &settings) {
        Ok(status) => status,
        Err(report) if is_broken_pipe(&report) => ExitStatus::Success,
        Err(report) => {
            diagnostics::render(&printer, &report);
            if printer.json_mode() {
                // Scripts asked for JSON: give them the error as JSON on stdout too.
                let _ = printer.json(&diagnostics::to_json(&report));
            }
            ExitStatus::Error
        }
    };
    status.into()
}

fn run(command: Command, settings: &Settings) -> CommandResult {
    match command {
        Command::Init(args) => commands::init::run(&args, settings),
        Command::Demo(args) => commands::demo::run(&args, settings),
        Command::Scope(ScopeCommand::Check) => commands::scope::check(settings),
        Command::Scope(ScopeCommand::Schema) => commands::scope::schema(settings),
        Command::Catalog(cmd) => match cmd {
            CatalogCommand::Criteria(args) => commands::catalog::criteria(&args, settings),
            CatalogCommand::Risks(args) => commands::catalog::risks(&args, settings),
            CatalogCommand::Controls(args) => commands::catalog::controls(&args, settings),
            CatalogCommand::Show(args) => commands::catalog::show(&args, settings),
        },
        Command::Keygen(args) => commands::ledger::keygen(&args, settings),
        Command::Checkpoint => commands::ledger::checkpoint(settings),
        Command::Evidence(cmd) => match cmd {
            EvidenceCommand::Add(args) => commands::evidence::add(&args, settings),
            EvidenceCommand::List(args) => commands::evidence::list(&args, settings),
            EvidenceCommand::Show(args) => commands::evidence::show(&args, settings),
            EvidenceCommand::Prove(args) => commands::evidence::prove(&args, settings),
        },
        Command::Verify(args) => commands::ledger::verify(&args, settings),
        Command::Completions(args) => commands::completions::run(&args, settings),
        Command::Data(cmd) => commands::data::run(cmd, settings),
        Command::Collect(args) => commands::collect::run(&args, settings),
        Command::Trace(args) => commands::trace::run(&args, settings),
        Command::Scan(ScanCommand::Models(args)) => commands::scan::models(&args, settings),
        Command::Check(args) => commands::check::check(&args, settings),
        Command::Sample(args) => commands::check::sample(&args, settings),
        Command::Controls(ControlsCommand::Test(args)) => commands::controls::test(&args, settings),
    }
}

/// A reader that stopped reading (`assay … | head`) is not an error.
fn is_broken_pipe(report: &miette::Report) -> bool {
    report
        .downcast_ref::<printer::PrintError>()
        .is_some_and(|e| e.0.kind() == io::ErrorKind::BrokenPipe)
}
