//! `assay data drift|validate|snapshot|verify|scan|redact|fairness`: the data controls. Each runs
//! through `assay-data`, prints a readable summary (or `--json`), and records its result as evidence
//! in the workspace ledger unless `--no-record` is given. Bad input exits 2 before anything is stored.

pub mod demo;
mod drift;
mod fairness;
mod html;
mod pii;
mod snapshot;
mod validate;

use std::path::Path;

use jiff::Timestamp;

use assay_data::DataError;
use assay_ledger::{Evidence, EvidenceKind, NoProgress};

use super::ledger::{ledger_error, open_ledger};
use crate::CommandResult;
use crate::data_args::DataCommand;
use crate::diagnostics;
use crate::settings::Settings;

pub fn run(cmd: DataCommand, settings: &Settings) -> CommandResult {
    match cmd {
        DataCommand::Drift(args) => drift::run(&args, settings),
        DataCommand::Validate(args) => validate::run(&args, settings),
        DataCommand::Snapshot(args) => snapshot::snapshot(&args, settings),
        DataCommand::Verify(args) => snapshot::verify(&args, settings),
        DataCommand::Scan(args) => pii::scan(&args, settings),
        DataCommand::Redact(args) => pii::redact(&args, settings),
        DataCommand::Fairness(args) => fairness::run(&args, settings),
    }
}

/// A data error as a diagnostic: what, where (file and row are in the message) and what to do.
pub fn data_error(err: DataError) -> miette::Report {
    let code = match &err {
        DataError::Csv { .. } | DataError::Utf8 { .. } | DataError::Json { .. } => {
            "assay::data::malformed"
        }
        DataError::Parquet { .. } => "assay::data::parquet",
        DataError::Config { .. } => "assay::data::config",
        _ => "assay::data::input",
    };
    miette::Report::new(
        miette::MietteDiagnostic::new(err.to_string())
            .with_code(code)
            .with_help(err.hint()),
    )
}

/// Append one evidence item to the workspace ledger; returns its index and whether it was new.
pub fn record(settings: &Settings, item: Evidence) -> Result<(u64, bool), miette::Report> {
    let mut ledger = open_ledger(&settings.workspace, true)?;
    let out = ledger
        .append(std::slice::from_ref(&item), &mut NoProgress)
        .map_err(ledger_error)?;
    let Some(o) = out.first() else {
        return Err(diagnostics::error(
            "the ledger returned no index for the item",
            "run `assay verify`",
        ));
    };
    Ok((o.index, o.new))
}

/// Build and record (unless `skip`) an evidence item; returns the index when recorded.
#[allow(clippy::too_many_arguments)]
pub fn record_report(
    settings: &Settings,
    skip: bool,
    kind: EvidenceKind,
    subject: &str,
    command: &str,
    locator: &Path,
    payload: &impl serde::Serialize,
    now: Timestamp,
) -> Result<Option<u64>, miette::Report> {
    if skip {
        return Ok(None);
    }
    let item = assay_data::evidence::item(
        kind,
        subject,
        command,
        &locator.display().to_string(),
        payload,
        now,
    )
    .map_err(data_error)?;
    Ok(Some(record(settings, item)?.0))
}

/// `Recorded as evidence #N (kind, subject).`
pub fn recorded_note(index: Option<u64>, kind: EvidenceKind, subject: &str) -> String {
    match index {
        Some(i) => format!("Recorded as evidence #{i} ({kind}, {subject})."),
        None => "Not recorded (--no-record).".to_owned(),
    }
}

/// `0.1234` style numbers: fixed for ordinary magnitudes, scientific for tiny p-values.
pub fn fmt_score(x: f64) -> String {
    if x == 0.0 || (x.abs() >= 1e-4 && x.abs() < 1e6) {
        format!("{x:.4}")
    } else {
        format!("{x:.3e}")
    }
}
