//! `assay data fairness`: fairness evaluation of a binary classifier's release.

use std::fmt::Write as _;

use serde_json::json;

use assay_data::fairness::{self, Thresholds};
use assay_ledger::EvidenceKind;

use super::{data_error, fmt_score, record_report, recorded_note};
use crate::data_args::FairnessArgs;
use crate::printer::style::{self, paint};
use crate::settings::Settings;
use crate::{CommandResult, ExitStatus};

pub fn run(args: &FairnessArgs, settings: &Settings) -> CommandResult {
    let printer = settings.printer();
    let th = Thresholds {
        max_parity_difference: args.max_parity_difference,
        max_opportunity_difference: args.max_opportunity_difference,
        min_impact_ratio: args.min_impact_ratio,
    };
    let now = settings.now;
    let r = fairness::fairness(
        &args.predictions,
        &args.sensitive,
        &args.target,
        &args.prediction,
        &th,
    )
    .map_err(data_error)?;
    let subject = args.subject.clone().unwrap_or_else(|| {
        let stem = args
            .predictions
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!("model:{stem}")
    });
    let index = record_report(
        settings,
        args.no_record,
        EvidenceKind::FairnessReport,
        &subject,
        "fairness",
        &args.predictions,
        &r,
        now,
    )?;
    let status = if r.passed {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    };
    if printer.json_mode() {
        printer.json(&json!({ "report": r, "evidence": index }))?;
        return Ok(status);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} by {} ({} rows)",
        paint(style::HEADING, "Fairness:"),
        r.data,
        r.sensitive,
        r.rows
    );
    for g in &r.groups {
        let _ = writeln!(
            out,
            "  group {:12}  {:>6} rows  selection rate {}  true-positive rate {}",
            g.group,
            g.rows,
            fmt_score(g.selection_rate),
            g.true_positive_rate.map_or("n/a".into(), fmt_score)
        );
    }
    for m in &r.metrics {
        let rule = if m.metric == "disparate_impact_ratio" {
            "at least"
        } else {
            "at most"
        };
        let v = if m.passed {
            paint(style::OK, "ok")
        } else {
            paint(style::ERROR, "FAIL")
        };
        let _ = writeln!(
            out,
            "  {:30} {}  ({rule} {})  {v}",
            m.metric,
            fmt_score(m.value),
            m.threshold
        );
    }
    printer.out(out.trim_end())?;
    printer.note(recorded_note(index, EvidenceKind::FairnessReport, &subject))?;
    Ok(status)
}
