//! `assay demo [DIR]`: build the Kestrel Labs workspace and assess it.

use std::fmt::Write as _;

use crate::args::DemoArgs;
use crate::demo::{self, DemoError};
use crate::diagnostics;
use crate::printer::style::{self, paint};
use crate::settings::Settings;
use crate::{CommandResult, ExitStatus};

pub fn run(args: &DemoArgs, settings: &Settings) -> CommandResult {
    let printer = settings.printer();
    let built = demo::build(&args.dir, args.force).map_err(|e| match &e {
        DemoError::Precious { .. } => diagnostics::error(
            e.to_string(),
            "choose a new directory for the demo, for example `assay demo assay-demo`",
        ),
        DemoError::NotADemo { .. } => diagnostics::error(
            e.to_string(),
            "choose another directory (`assay demo DIR`) or pass --force to replace it",
        ),
        DemoError::Io { .. } => {
            diagnostics::error(e.to_string(), "check permissions and free space")
        }
    })?;
    let config = built.root.join("assay.toml");
    let scope = super::scope::load(&config)?;
    let report = assay_scope::check(&scope, super::catalog()?);

    if printer.json_mode() {
        printer.json(&serde_json::json!({ "workspace": built, "scope": report }))?;
        return Ok(ExitStatus::Success);
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} — {}, a fictional AI company",
        paint(style::HEADING, "Built"),
        built.root.display(),
        built.company
    );
    let _ = writeln!(out, "  parts: {}", built.parts.join(", "));
    let _ = writeln!(out, "  files: {}", built.files.join(", "));
    printer.out(out)?;
    super::scope::print_report(&printer, &report, settings.verbose > 0)?;

    let dir = built.root.display();
    printer.note(format!(
        "\n{}\n  {}\n  {}\n  {}\n  {}",
        paint(style::HEADING, "Next"),
        paint(style::CMD, format!("cd {dir} && assay scope check -v")),
        paint(style::CMD, "assay catalog show RISK-EXTRACTION"),
        paint(style::CMD, "assay catalog controls --stage deployment"),
        paint(style::CMD, "assay init   # describe your own system"),
    ))?;
    Ok(ExitStatus::Success)
}
