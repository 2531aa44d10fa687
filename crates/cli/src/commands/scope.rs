//! `assay scope check` and `assay scope schema`.

use std::fmt::Write as _;
use std::path::Path;

use assay_scope::{Report, Scope, Severity};

use super::{catalog, plural};
use crate::diagnostics;
use crate::printer::Printer;
use crate::printer::style::{self, paint};
use crate::settings::Settings;
use crate::{CommandResult, ExitStatus};

/// Read and parse a description, turning failures into exit-2 diagnostics that show the line.
pub fn load(path: &Path) -> Result<Scope, miette::Report> {
    let text = assay_scope::read(path).map_err(|e| diagnostics::scope_error(e, None))?;
    Scope::parse(path, text.clone()).map_err(|e| diagnostics::scope_error(e, Some(text)))
}

pub fn check(settings: &Settings) -> CommandResult {
    let scope = load(&settings.config)?;
    let report = assay_scope::check(&scope, catalog()?);
    let printer = settings.printer();
    if printer.json_mode() {
        printer.json(&report)?;
    } else {
        print_report(&printer, &report, settings.verbose > 0)?;
    }
    Ok(if report.errors() > 0 {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

pub fn schema(settings: &Settings) -> CommandResult {
    let schema = assay_scope::json_schema();
    let text = serde_json::to_string_pretty(&schema).map_err(|e| {
        diagnostics::error(
            format!("cannot render the schema: {e}"),
            "report this defect",
        )
    })?;
    settings.printer().raw(text + "\n")?;
    Ok(ExitStatus::Success)
}

/// The text rendering of a scope report, shared with `assay demo`.
pub fn print_report(
    printer: &Printer,
    report: &Report,
    verbose: bool,
) -> Result<(), miette::Report> {
    let categories: Vec<&str> = report.categories.iter().map(|c| c.key()).collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} — {}",
        paint(style::HEADING, "Checked"),
        report.file,
        report.system
    );
    let categories = if categories.is_empty() {
        "none".to_owned()
    } else {
        categories.join(", ")
    };
    let _ = writeln!(
        out,
        "  categories: {categories} · {} ({} in scope) · {}",
        plural(report.components, "component"),
        report.in_scope,
        plural(report.subservices, "subservice organisation")
    );
    for f in &report.findings {
        let (label, s) = match f.severity {
            Severity::Error => ("error", style::ERROR),
            Severity::Warning => ("warning", style::WARN),
        };
        let at = f
            .line
            .map(|l| format!("{}:{l}", report.file))
            .unwrap_or_else(|| report.file.clone());
        let subject = f
            .subject
            .as_deref()
            .map(|s| format!("  {s}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "\n{} {}{}",
            paint(s, format!("{label}[{} {}]", f.code, f.name)),
            paint(style::DIM, at),
            paint(style::ID, subject)
        );
        let _ = writeln!(out, "  {}", f.message);
        let _ = writeln!(out, "  {} {}", paint(style::DIM, "hint:"), f.hint);
    }

    if !report.coverage.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            paint(style::HEADING, "AI risks per in-scope component")
        );
        let width = report
            .coverage
            .iter()
            .map(|c| c.component.len())
            .max()
            .unwrap_or(0);
        for c in &report.coverage {
            let uncovered: Vec<&str> = c
                .risks
                .iter()
                .filter(|r| r.controls.is_empty())
                .map(|r| r.risk.as_str())
                .collect();
            let status = if c.risks.is_empty() {
                paint(style::DIM, "no AI-specific risks for this stage")
            } else if uncovered.is_empty() {
                paint(
                    style::OK,
                    format!("{} risks, each with operated controls", c.risks.len()),
                )
            } else {
                paint(
                    style::WARN,
                    format!(
                        "{} risks, no control for {}",
                        c.risks.len(),
                        uncovered.join(", ")
                    ),
                )
            };
            let _ = writeln!(
                out,
                "  {:<width$}  {:<11} {status}",
                c.component,
                c.stage.key()
            );
            if verbose {
                for r in &c.risks {
                    let _ = writeln!(
                        out,
                        "      {}  {}",
                        paint(style::ID, &r.risk),
                        paint(style::DIM, r.controls.join(", "))
                    );
                }
            }
        }
    }
    let summary = format!(
        "{}, {}",
        plural(report.errors(), "error"),
        plural(report.warnings(), "warning")
    );
    let summary = if report.errors() > 0 {
        paint(style::ERROR, summary)
    } else if report.warnings() > 0 {
        paint(style::WARN, summary)
    } else {
        paint(style::OK, summary)
    };
    let _ = write!(out, "\n{summary}");
    printer.out(out)?;
    if !verbose && !report.coverage.is_empty() {
        printer.note(paint(style::DIM, "(-v lists the controls for each risk)"))?;
    }
    Ok(())
}
