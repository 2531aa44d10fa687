//! `assay scan models PATH…`: which model files would run code when loaded.

use std::path::Path;

use assay_collect::CollectError;
use assay_collect::modelscan::{self, FileScan, Risk, Verdict};
use assay_ledger::NoProgress;
use serde_json::json;

use crate::args::{ScanFormat, ScanModelsArgs};
use crate::commands::ledger::{ledger_error, open_ledger};
use crate::commands::plural;
use crate::diagnostics;
use crate::printer::style::{self, paint};
use crate::settings::Settings;
use crate::{CommandResult, ExitStatus};

/// The error without the `[source.…]` prefix, which means nothing on the command line.
fn plain(e: &CollectError) -> String {
    match e {
        CollectError::Io { path, message, .. } => {
            format!("cannot read {}: {message}", path.display())
        }
        other => other.to_string(),
    }
}

fn verdict_style(v: Verdict) -> anstyle::Style {
    match v {
        Verdict::Safe => style::OK,
        Verdict::Suspicious | Verdict::Unreadable => style::WARN,
        Verdict::Dangerous => style::ERROR,
    }
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Safe => "safe",
        Verdict::Suspicious => "suspicious",
        Verdict::Unreadable => "unreadable",
        Verdict::Dangerous => "DANGEROUS",
    }
}

pub fn models(args: &ScanModelsArgs, settings: &Settings) -> CommandResult {
    let printer = settings.printer();
    let files = modelscan::expand(&args.paths)
        .map_err(|e| diagnostics::error(plain(&e), "pass model files or folders that exist"))?;
    if files.is_empty() {
        return Err(diagnostics::error(
            "no model files found",
            format!(
                "folders are searched for {}",
                modelscan::MODEL_EXTENSIONS.join(", ")
            ),
        ));
    }
    let mut scans = Vec::with_capacity(files.len());
    for f in &files {
        let scan = modelscan::scan_file(f, &args.allow).map_err(|e| {
            diagnostics::error(plain(&e), "check that the file exists and is readable")
        })?;
        scans.push(scan);
    }
    let flagged = scans.iter().filter(|s| s.verdict != Verdict::Safe).count();
    let mut recorded = 0usize;
    if args.record {
        recorded = record(settings, &scans)?;
    }
    let json_format = matches!(args.format, ScanFormat::Json) || printer.json_mode();
    match args.format {
        ScanFormat::Sarif => printer.json(&sarif(&scans))?,
        _ if json_format => printer.json(&json!({
            "files": scans,
            "flagged": flagged,
            "recorded": recorded,
        }))?,
        _ => text(&printer, &scans, flagged)?,
    }
    if args.record && !json_format && !matches!(args.format, ScanFormat::Sarif) {
        printer.note(format!(
            "Recorded {} as model.file_scan evidence.",
            plural(recorded, "new item")
        ))?;
    }
    Ok(if flagged > 0 {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

fn text(
    printer: &crate::printer::Printer,
    scans: &[FileScan],
    flagged: usize,
) -> Result<(), miette::Report> {
    for s in scans {
        printer.out(format!(
            "{} {}  {}",
            paint(
                verdict_style(s.verdict),
                format!("{:<10}", verdict_word(s.verdict))
            ),
            s.path.display(),
            paint(
                style::DIM,
                format!(
                    "{} · {} bytes · {} allowed imports",
                    s.format.map_or("unknown", |f| match f {
                        modelscan::Format::Pickle => "pickle",
                        modelscan::Format::ZipPickle => "zip of pickles",
                        modelscan::Format::Safetensors => "safetensors",
                    }),
                    s.size,
                    s.allowed_imports
                )
            )
        ))?;
        for f in &s.findings {
            let member = f
                .member
                .as_deref()
                .map(|m| format!(" in {m}"))
                .unwrap_or_default();
            printer.out(format!(
                "           {} {}{member} at byte {} ({}{}): {}",
                match f.risk {
                    Risk::Dangerous => paint(style::ERROR, "dangerous import"),
                    _ => paint(style::WARN, "unvetted import"),
                },
                paint(style::ID, &f.import),
                f.offset,
                f.opcode,
                if f.called { ", called" } else { "" },
                f.why
            ))?;
        }
        for n in &s.notes {
            printer.out(format!("           {}", paint(style::DIM, n)))?;
        }
    }
    let summary = format!(
        "{} scanned, {} flagged",
        plural(scans.len(), "file"),
        flagged
    );
    if flagged > 0 {
        printer.out(paint(style::ERROR, summary))?;
        printer.note("Nothing was loaded or executed. Replace flagged pickles with safetensors, or vet an import and pass it with --allow module.name.")?;
    } else {
        printer.out(paint(style::OK, summary))?;
    }
    Ok(())
}

/// Record one `model.file_scan` item per file (observed when the file was last modified); returns how many
/// were new.
fn record(settings: &Settings, scans: &[FileScan]) -> Result<usize, miette::Report> {
    let now = settings.now;
    let items: Vec<_> = scans
        .iter()
        .map(|s| {
            modelscan::evidence(
                s,
                &settings.workspace,
                modelscan::modified(&s.path, now),
                now,
            )
        })
        .collect();
    let mut ledger = open_ledger(&settings.workspace, true)?;
    let out = ledger
        .append(&items, &mut NoProgress)
        .map_err(ledger_error)?;
    Ok(out.iter().filter(|o| o.new).count())
}

/// SARIF 2.1.0: one rule per finding type, one result per flagged import or unreadable file.
fn sarif(scans: &[FileScan]) -> serde_json::Value {
    let uri = |p: &Path| p.to_string_lossy().replace('\\', "/");
    let mut results = Vec::new();
    for s in scans {
        for f in &s.findings {
            let (rule, level) = match f.risk {
                Risk::Dangerous => ("model-file/dangerous-import", "error"),
                _ => ("model-file/unvetted-import", "warning"),
            };
            results.push(json!({
                "ruleId": rule,
                "level": level,
                "message": {"text": format!("{} imports `{}`: {}", uri(&s.path), f.import, f.why)},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": uri(&s.path)},
                    "region": {"byteOffset": f.offset}
                }}],
                "properties": {"member": f.member, "opcode": f.opcode, "called": f.called, "sha256": s.sha256}
            }));
        }
        if s.verdict == Verdict::Unreadable {
            results.push(json!({
                "ruleId": "model-file/unreadable",
                "level": "warning",
                "message": {"text": format!("{} could not be inspected: {}", uri(&s.path), s.notes.join("; "))},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri(&s.path)}}}]
            }));
        }
    }
    let rule = |id: &str, text: &str, help: &str| json!({"id": id, "shortDescription": {"text": text}, "help": {"text": help}});
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "assay",
                "informationUri": "https://example.invalid/assay",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": [
                    rule("model-file/dangerous-import", "A model file imports a callable that runs commands or code when loaded",
                         "Do not load the file. Re-export the model as safetensors from a trusted environment."),
                    rule("model-file/unvetted-import", "A model file imports a callable outside the allowlist",
                         "Review the imported callable; if it only rebuilds data, allow it with --allow module.name."),
                    rule("model-file/unreadable", "A model file could not be inspected",
                         "A file that cannot be inspected cannot be shown to be safe; decompress or re-export it."),
                ]
            }},
            "results": results
        }]
    })
}
