//! `assay data snapshot` and `assay data verify`: the dataset-immutability control.

use std::fmt::Write as _;

use serde_json::json;

use assay_data::snapshot::{self, Manifest};
use assay_ledger::{EvidenceKind, ListFilter};

use super::{data_error, record_report, recorded_note};
use crate::commands::ledger::{ledger_error, open_ledger};
use crate::data_args::{DataVerifyArgs, SnapshotArgs};
use crate::diagnostics;
use crate::printer::style::{self, paint};
use crate::settings::Settings;
use crate::{CommandResult, ExitStatus};

fn subject(name: &str) -> String {
    format!("dataset:{name}")
}

pub fn snapshot(args: &SnapshotArgs, settings: &Settings) -> CommandResult {
    let printer = settings.printer();
    let now = settings.now;
    let m = snapshot::snapshot(&args.path, &args.name, &args.version).map_err(data_error)?;
    let subject = subject(&args.name);
    if find(settings, &args.name, &args.version)?
        .is_some_and(|(_, old)| old.merkle_root != m.merkle_root)
    {
        return Err(diagnostics::error(
            format!(
                "{} version {} is already recorded with different contents",
                args.name, args.version
            ),
            "a recorded version is immutable: record the changed data as a new --version, or run `assay data verify` to see what changed",
        ));
    }
    let index = record_report(
        settings,
        false,
        EvidenceKind::DatasetSnapshot,
        &subject,
        "snapshot",
        &args.path,
        &m,
        now,
    )?;
    if printer.json_mode() {
        printer.json(&json!({ "manifest": m, "evidence": index }))?;
    } else {
        printer.out(format!(
            "{} {} {}: {} files, {} bytes, Merkle root {}",
            paint(style::HEADING, "Snapshot"),
            m.name,
            m.version,
            m.file_count,
            m.total_bytes,
            m.merkle_root
        ))?;
        printer.note(recorded_note(
            index,
            EvidenceKind::DatasetSnapshot,
            &subject,
        ))?;
    }
    Ok(ExitStatus::Success)
}

/// The latest recorded manifest of `name` at `version`, with its ledger index.
fn find(
    settings: &Settings,
    name: &str,
    version: &str,
) -> Result<Option<(u64, Manifest)>, miette::Report> {
    let db = settings
        .workspace
        .join(assay_ledger::ledger::ASSAY_DIR)
        .join(assay_ledger::ledger::DB_FILE);
    if !db.exists() {
        return Ok(None);
    }
    let ledger = open_ledger(&settings.workspace, false)?;
    let items = ledger
        .list(&ListFilter {
            kind: Some(EvidenceKind::DatasetSnapshot),
            subject: Some(subject(name)),
            ..ListFilter::default()
        })
        .map_err(ledger_error)?;
    let mut found = None;
    for it in items {
        let p = &it.evidence.payload;
        if p["action"] == "snapshot"
            && p["name"] == name
            && p["version"] == version
            && let Ok(m) = serde_json::from_value::<Manifest>(p.clone())
        {
            found = Some((it.index, m));
        }
    }
    Ok(found)
}

pub fn verify(args: &DataVerifyArgs, settings: &Settings) -> CommandResult {
    let printer = settings.printer();
    let now = settings.now;
    let Some((at, recorded)) = find(settings, &args.name, &args.version)? else {
        return Err(diagnostics::error(
            format!(
                "no snapshot of {} version {} is recorded in this workspace",
                args.name, args.version
            ),
            format!(
                "record one first: `assay data snapshot PATH --name {} --version {}`",
                args.name, args.version
            ),
        ));
    };
    let v = snapshot::verify(&args.path, &recorded).map_err(data_error)?;
    let subject = subject(&args.name);
    let index = record_report(
        settings,
        args.no_record,
        EvidenceKind::DatasetSnapshot,
        &subject,
        "verify",
        &args.path,
        &v,
        now,
    )?;
    let status = if v.intact {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    };
    if printer.json_mode() {
        printer.json(&json!({ "verification": v, "snapshot_evidence": at, "evidence": index }))?;
        return Ok(status);
    }
    let mut out = String::new();
    let verdict = if v.intact {
        paint(style::OK, "unchanged")
    } else {
        paint(style::ERROR, "CHANGED")
    };
    let _ = writeln!(
        out,
        "{} {} {} (evidence #{at}) against {}: {verdict}",
        paint(style::HEADING, "Snapshot"),
        v.name,
        v.version,
        v.root_path
    );
    for f in &v.added {
        let _ = writeln!(out, "  added     {} ({} bytes)", f.path, f.size);
    }
    for f in &v.removed {
        let _ = writeln!(out, "  removed   {} ({} bytes)", f.path, f.size);
    }
    for f in &v.modified {
        let _ = writeln!(
            out,
            "  modified  {} ({} → {} bytes, sha256 {}… → {}…)",
            f.path,
            f.recorded_size,
            f.current_size,
            &f.recorded_sha256[..12],
            &f.current_sha256[..12]
        );
    }
    let _ = write!(
        out,
        "  {} files unchanged; Merkle root {} (recorded {})",
        v.unchanged, v.current_merkle_root, v.recorded_merkle_root
    );
    printer.out(out)?;
    printer.note(recorded_note(
        index,
        EvidenceKind::DatasetSnapshot,
        &subject,
    ))?;
    Ok(status)
}
