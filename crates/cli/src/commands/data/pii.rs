//! `assay data scan` and `assay data redact`.

use std::fmt::Write as _;

use serde_json::json;

use assay_data::pii::{self, PiiReport, PseudonymKey, RedactMode, ScanOptions};
use assay_ledger::EvidenceKind;

use super::{data_error, record_report, recorded_note};
use crate::data_args::{self, RedactArgs, ScanArgs, ScanFormat};
use crate::diagnostics;
use crate::printer::style::{self, paint};
use crate::settings::Settings;
use crate::{CommandResult, ExitStatus};

/// Environment variable holding the pseudonymisation key when `--key-file` is not given.
pub const KEY_ENV: &str = "ASSAY_PSEUDONYM_KEY";

pub fn scan(args: &ScanArgs, settings: &Settings) -> CommandResult {
    let printer = settings.printer();
    let opts = ScanOptions {
        min_confidence: args.min_confidence,
        max_locations: args.max_locations,
        ..ScanOptions::default()
    };
    let now = settings.now;
    let report = pii::scan_paths(&args.paths, &opts).map_err(data_error)?;
    let first = args.paths.first().cloned().unwrap_or_default();
    let subject = args
        .record
        .subject
        .clone()
        .unwrap_or_else(|| assay_data::evidence::default_subject(&first));
    let mut payload = report.clone();
    payload.locations.clear();
    let locator = args
        .paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" ");
    let index = record_report(
        settings,
        args.record.no_record,
        EvidenceKind::PiiScan,
        &subject,
        "scan",
        std::path::Path::new(&locator),
        &payload,
        now,
    )?;
    let status = if report.total > 0 {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    };
    let format = if printer.json_mode() {
        ScanFormat::Json
    } else {
        args.format
    };
    match format {
        ScanFormat::Json => printer.json(&json!({ "report": payload, "evidence": index }))?,
        ScanFormat::Sarif => printer.json(&sarif(&report))?,
        ScanFormat::Text => {
            printer.out(text(&report))?;
            printer.note(recorded_note(index, EvidenceKind::PiiScan, &subject))?;
        }
    }
    Ok(status)
}

fn text(r: &PiiReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} files, {} bytes: {}",
        paint(style::HEADING, "PII scan:"),
        r.files.len(),
        r.bytes,
        if r.total == 0 {
            paint(style::OK, "nothing found")
        } else {
            paint(style::ERROR, format!("{} findings", r.total))
        }
    );
    for g in &r.findings {
        let examples = g
            .examples
            .iter()
            .map(|e| format!("line {}: {}", e.line, e.redacted))
            .collect::<Vec<_>>()
            .join("; ");
        let _ = writeln!(
            out,
            "  {}  {}{}  {} × {} (confidence up to {:.2})  e.g. {examples}",
            paint(
                if g.entity.is_secret() {
                    style::ERROR
                } else {
                    style::WARN
                },
                g.entity.name()
            ),
            g.file,
            g.column
                .as_ref()
                .map(|c| format!(" [{c}]"))
                .unwrap_or_default(),
            g.count,
            if g.entity.is_secret() {
                "secret"
            } else {
                "value"
            },
            g.max_confidence
        );
    }
    out.trim_end().to_owned()
}

/// SARIF 2.1.0: one rule per entity, one result per location (capped).
fn sarif(r: &PiiReport) -> serde_json::Value {
    let rules: Vec<_> = pii::Entity::ALL
        .iter()
        .map(|e| {
            json!({
                "id": e.name(),
                // SARIF wants `name` readable and different from the opaque `id` (rule SARIF1001).
                "name": format!("{}InData", pascal(e.name())),
                "shortDescription": { "text": format!("{} found in data", e.name().replace('_', " ").to_lowercase()) },
                "defaultConfiguration": { "level": if e.is_secret() { "error" } else { "warning" } },
            })
        })
        .collect();
    let results: Vec<_> = r
        .locations
        .iter()
        .map(|l| {
            json!({
                "ruleId": l.entity.name(),
                "level": if l.entity.is_secret() { "error" } else { "warning" },
                "message": { "text": format!(
                    "{} {}(confidence {:.2})",
                    l.entity.name(),
                    l.column.as_ref().map(|c| format!("in column {c} ")).unwrap_or_default(),
                    l.confidence
                ) },
                "locations": [{ "physicalLocation": {
                    "artifactLocation": { "uri": l.file },
                    "region": { "startLine": l.line },
                } }],
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": { "name": "assay", "informationUri": "https://example.invalid/assay", "version": env!("CARGO_PKG_VERSION"), "rules": rules } },
            "results": results,
        }],
    })
}

fn load_key(args: &RedactArgs) -> Result<Option<PseudonymKey>, miette::Report> {
    if args.mode == data_args::RedactMode::Mask {
        return Ok(None);
    }
    let bytes = match &args.key_file {
        Some(p) => std::fs::read(p).map_err(|e| {
            diagnostics::error(
                format!("cannot read the key file {}: {e}", p.display()),
                "pass --key-file PATH to a readable file of at least 16 bytes",
            )
        })?,
        None => match std::env::var_os(KEY_ENV) {
            Some(v) => v.into_encoded_bytes(),
            None => {
                return Err(diagnostics::error(
                    "pseudonymisation needs a key",
                    format!("pass --key-file PATH or set {KEY_ENV}; or use --mode mask"),
                ));
            }
        },
    };
    PseudonymKey::new(&bytes).map(Some).map_err(data_error)
}

pub fn redact(args: &RedactArgs, settings: &Settings) -> CommandResult {
    let printer = settings.printer();
    if args.out == args.input {
        return Err(diagnostics::error(
            "--out is the input file",
            "write the cleaned copy to a new path; the original is kept unchanged",
        ));
    }
    let key = load_key(args)?;
    let mode = match args.mode {
        data_args::RedactMode::Pseudonymise => RedactMode::Pseudonymise,
        data_args::RedactMode::Mask => RedactMode::Mask,
    };
    let now = settings.now;
    let report = pii::redact_file(
        &args.input,
        &args.out,
        mode,
        key.as_ref(),
        args.min_confidence,
    )
    .map_err(data_error)?;
    let subject = args
        .record
        .subject
        .clone()
        .unwrap_or_else(|| assay_data::evidence::default_subject(&args.input));
    let index = record_report(
        settings,
        args.record.no_record,
        EvidenceKind::PiiTransform,
        &subject,
        "redact",
        &args.input,
        &report,
        now,
    )?;
    if printer.json_mode() {
        printer.json(&json!({ "report": report, "evidence": index }))?;
    } else {
        let per: Vec<String> = report
            .by_entity
            .iter()
            .map(|(e, n)| format!("{e} {n}"))
            .collect();
        printer.out(format!(
            "{} {} → {}: {} values {} ({})",
            paint(style::HEADING, "Redacted"),
            report.input,
            report.output,
            report.replaced,
            if mode == RedactMode::Mask {
                "masked"
            } else {
                "pseudonymised"
            },
            if per.is_empty() {
                "none found".into()
            } else {
                per.join(", ")
            }
        ))?;
        printer.note(recorded_note(index, EvidenceKind::PiiTransform, &subject))?;
    }
    Ok(ExitStatus::Success)
}

/// `EMAIL_ADDRESS` → `EmailAddress`.
fn pascal(id: &str) -> String {
    id.split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect()
}
