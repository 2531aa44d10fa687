//! `assay data drift`.

use std::fmt::Write as _;

use assay_data::drift::{self, DriftConfig, DriftOptions};
use assay_ledger::EvidenceKind;

use super::{data_error, fmt_score, record_report, recorded_note};
use crate::data_args::DriftArgs;
use crate::diagnostics;
use crate::printer::style::{self, paint};
use crate::settings::Settings;
use crate::{CommandResult, ExitStatus};

pub fn run(args: &DriftArgs, settings: &Settings) -> CommandResult {
    let printer = settings.printer();
    let config = match &args.drift_config {
        Some(p) => DriftConfig::load(p).map_err(data_error)?,
        None => DriftConfig::default(),
    };
    let opts = DriftOptions {
        columns: args.columns.clone(),
        target: args.target.clone(),
        prediction: args.prediction.clone(),
        config,
        histograms: args.html.is_some(),
    };
    let now = settings.now;
    let report = drift::drift(&args.reference, &args.current, &opts).map_err(data_error)?;
    if let Some(path) = &args.html {
        let page = super::html::drift_page(&report, now);
        std::fs::write(path, page).map_err(|e| {
            diagnostics::error(
                format!("cannot write {}: {e}", path.display()),
                "check that the folder exists and is writable",
            )
        })?;
    }
    let subject = args
        .record
        .subject
        .clone()
        .unwrap_or_else(|| assay_data::evidence::default_subject(&args.current));
    let mut payload = report.clone();
    for c in &mut payload.columns {
        c.histogram = None;
    }
    let index = record_report(
        settings,
        args.record.no_record,
        EvidenceKind::DriftReport,
        &subject,
        "drift",
        &args.current,
        &payload,
        now,
    )?;
    let status = if report.failed() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    };
    if printer.json_mode() {
        printer.json(&serde_json::json!({ "report": payload, "evidence": index }))?;
        return Ok(status);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} ({} rows) against {} ({} rows)",
        paint(style::HEADING, "Drift:"),
        report.current.path,
        report.current.rows,
        report.reference.path,
        report.reference.rows
    );
    let w = report
        .columns
        .iter()
        .map(|c| c.column.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let _ = writeln!(
        out,
        "  {:w$}  {:11}  {:13}  {:>10}  {:>9}  result",
        "column", "type", "test", "score", "threshold"
    );
    for c in &report.columns {
        let kind = match c.kind {
            drift::ColumnKind::Numerical => "numerical",
            drift::ColumnKind::Categorical => "categorical",
        };
        let verdict = if c.drifted {
            paint(style::ERROR, "DRIFT")
        } else {
            paint(style::OK, "ok")
        };
        let _ = writeln!(
            out,
            "  {:w$}  {:11}  {:13}  {:>10}  {:>9}  {verdict}",
            c.column,
            kind,
            c.test.name(),
            fmt_score(c.score),
            fmt_score(c.threshold)
        );
    }
    let verdict = if report.dataset_drift {
        paint(style::ERROR, "dataset drift detected")
    } else {
        paint(style::OK, "no dataset drift")
    };
    let _ = writeln!(
        out,
        "{} of {} columns drifted ({:.0}%; the dataset drifts at {:.0}%): {verdict}",
        report.drifted_columns,
        report.columns.len(),
        report.share_of_drifted_columns * 100.0,
        report.drift_share * 100.0
    );
    if let Some(p) = &report.performance {
        let _ = writeln!(
            out,
            "{} {} (target {}, prediction {})",
            paint(style::HEADING, "Performance:"),
            p.task.replace('_', " "),
            p.target,
            p.prediction
        );
        for m in &p.metrics {
            let (verdict, rule) = if m.metric == "mae" || m.metric == "rmse" {
                (
                    m.degraded,
                    format!("allowed increase {:.0}%", m.allowed * 100.0),
                )
            } else {
                (m.degraded, format!("allowed drop {}", m.allowed))
            };
            let v = if verdict {
                paint(style::ERROR, "DEGRADED")
            } else {
                paint(style::OK, "ok")
            };
            let _ = writeln!(
                out,
                "  {:9}  {} → {}  ({rule})  {v}",
                m.metric,
                fmt_score(m.reference),
                fmt_score(m.current)
            );
        }
    }
    printer.out(out.trim_end())?;
    if let Some(path) = &args.html {
        printer.note(format!("HTML report: {}", path.display()))?;
    }
    printer.note(recorded_note(index, EvidenceKind::DriftReport, &subject))?;
    Ok(status)
}
