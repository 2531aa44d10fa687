//! `assay data validate`: the ingestion-validation control.

use std::fmt::Write as _;

use serde_json::json;

use assay_data::validate::{self, Rules};
use assay_ledger::EvidenceKind;

use super::{data_error, record_report, recorded_note};
use crate::data_args::ValidateArgs;
use crate::printer::style::{self, paint};
use crate::settings::Settings;
use crate::{CommandResult, ExitStatus};

pub fn run(args: &ValidateArgs, settings: &Settings) -> CommandResult {
    let printer = settings.printer();
    let rules = Rules::load(&args.rules).map_err(data_error)?;
    let now = settings.now;
    let report = validate::validate(&args.data, &args.rules, &rules, args.reference.as_deref())
        .map_err(data_error)?;
    let subject = args
        .record
        .subject
        .clone()
        .unwrap_or_else(|| assay_data::evidence::default_subject(&args.data));
    let index = record_report(
        settings,
        args.record.no_record,
        EvidenceKind::DatasetValidation,
        &subject,
        "validate",
        &args.data,
        &report,
        now,
    )?;
    let status = if report.passed {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    };
    if printer.json_mode() {
        printer.json(&json!({ "report": report, "evidence": index }))?;
        return Ok(status);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} ({} rows) against {}: {}",
        paint(style::HEADING, "Validation:"),
        report.data,
        report.rows,
        report.rules_file,
        if report.passed {
            paint(
                style::OK,
                format!("all {} rules pass", report.evaluated_rules),
            )
        } else {
            paint(
                style::ERROR,
                format!(
                    "{} of {} rules fail",
                    report.failed_rules, report.evaluated_rules
                ),
            )
        }
    );
    for r in &report.results {
        let verdict = if r.passed {
            paint(style::OK, "pass")
        } else {
            paint(style::ERROR, "FAIL")
        };
        let _ = writeln!(
            out,
            "  {verdict}  {}{}: {}",
            r.rule,
            r.column
                .as_ref()
                .map(|c| format!(" {c}"))
                .unwrap_or_default(),
            r.detail
        );
        if !r.passed {
            for e in &r.examples {
                let _ = writeln!(
                    out,
                    "          {} row {}{}",
                    e.file,
                    e.row,
                    e.value
                        .as_ref()
                        .map(|v| format!(": {v:?}"))
                        .unwrap_or_default()
                );
            }
        }
    }
    printer.out(out.trim_end())?;
    printer.note(recorded_note(
        index,
        EvidenceKind::DatasetValidation,
        &subject,
    ))?;
    Ok(status)
}
