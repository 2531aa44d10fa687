//! `assay evidence add|list|show|prove`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use assay_ledger::{
    DEFAULT_BLOB_LIMIT, Evidence, EvidenceKind, Ledger, ListFilter, NoProgress, Source,
};

use super::ledger::{ledger_error, open_ledger, parse_time, signer};
use crate::args::{EvidenceAddArgs, EvidenceIndexArgs, EvidenceListArgs, EvidenceProveArgs};
use crate::diagnostics;
use crate::printer::style::{self, paint};
use crate::settings::Settings;
use crate::{CommandResult, ExitStatus};

fn parse_kind(raw: &str) -> Result<EvidenceKind, miette::Report> {
    raw.parse::<EvidenceKind>().map_err(ledger_error)
}

/// Everything is checked before anything is written: a bad flag or unreadable file changes nothing.
pub fn add(args: &EvidenceAddArgs, settings: &Settings) -> CommandResult {
    let printer = settings.printer();
    let ws = &settings.workspace;
    let kind = parse_kind(&args.kind)?;
    if args.subject.trim().is_empty() {
        return Err(diagnostics::error(
            "--subject is empty",
            "name the component or asset the evidence is about, e.g. policy:information-security",
        ));
    }
    let now = settings.now;
    let observed_at = match &args.observed_at {
        Some(raw) => parse_time("--observed-at", raw)?,
        None => now,
    };
    let expires_at = args
        .expires
        .as_deref()
        .map(|raw| parse_time("--expires", raw))
        .transpose()?;
    let payload = match &args.payload {
        None => Map::new(),
        Some(raw) => match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(map)) => map,
            Ok(_) => {
                return Err(diagnostics::error(
                    "--payload must be a JSON object",
                    r#"for example --payload '{"approved_by": "CISO"}'"#,
                ));
            }
            Err(e) => {
                return Err(diagnostics::error(
                    format!("--payload is not valid JSON: {e}"),
                    "quote the JSON object for your shell",
                ));
            }
        },
    };
    for file in &args.files {
        let meta = std::fs::metadata(file).map_err(|e| {
            diagnostics::error(
                format!("cannot read {}: {e}", file.display()),
                "check the path passed to --file",
            )
        })?;
        if !meta.is_file() {
            return Err(diagnostics::error(
                format!("{} is not a file", file.display()),
                "attach files one by one with repeated --file",
            ));
        }
        if meta.len() > DEFAULT_BLOB_LIMIT {
            return Err(diagnostics::error(
                format!(
                    "{} is {} bytes; attachments may be at most {DEFAULT_BLOB_LIMIT} bytes",
                    file.display(),
                    meta.len()
                ),
                "store large artifacts elsewhere and record their hash in --payload",
            ));
        }
    }

    let mut ledger = open_ledger(ws, true)?;
    let item = manual_evidence(
        &ledger,
        ManualInput {
            kind,
            subject: &args.subject,
            files: &args.files,
            locator: None,
            title: args.title.clone(),
            payload,
            observed_at,
            expires_at,
            note: args.note.clone(),
            now,
        },
    )?;
    let outcome = ledger
        .append(std::slice::from_ref(&item), &mut NoProgress)
        .map_err(ledger_error)?;
    let Some(outcome) = outcome.first() else {
        return Err(diagnostics::error(
            "the ledger returned no index for the item",
            "run `assay verify`",
        ));
    };
    // Keep proofs available: sign a checkpoint after every addition when a key exists.
    let checkpoint = match signer(ws)? {
        Some(s) if outcome.new => Some(
            ledger
                .checkpoint(s.name(), &s, now)
                .map_err(ledger_error)?
                .tree_size,
        ),
        _ => None,
    };
    if printer.json_mode() {
        printer.json(
            &json!({ "index": outcome.index, "new": outcome.new, "checkpoint_size": checkpoint }),
        )?;
    } else if outcome.new {
        printer.out(format!(
            "Added evidence #{} ({}, {})",
            outcome.index, item.kind, item.subject
        ))?;
        if let Some(size) = checkpoint {
            printer.note(format!("Signed a checkpoint at size {size}."))?;
        } else {
            printer.note("Not yet covered by a signed checkpoint: run `assay keygen`, then `assay checkpoint`.")?;
        }
    } else {
        printer.out(format!(
            "Already recorded as evidence #{}; nothing added",
            outcome.index
        ))?;
    }
    Ok(ExitStatus::Success)
}

/// What a person records by hand: files, a title and facts.
#[derive(Debug)]
pub struct ManualInput<'a> {
    pub kind: EvidenceKind,
    pub subject: &'a str,
    pub files: &'a [PathBuf],
    /// Where the evidence came from; by default the first file's path as given.
    pub locator: Option<String>,
    pub title: Option<String>,
    pub payload: Map<String, Value>,
    pub observed_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub note: Option<String>,
    pub now: Timestamp,
}

/// Store the files as blobs and build the evidence item that attaches them (not yet appended).
pub fn manual_evidence(
    ledger: &Ledger,
    input: ManualInput<'_>,
) -> Result<Evidence, miette::Report> {
    let mut payload = input.payload;
    let mut attachments = Vec::new();
    let mut files = Vec::new();
    for file in input.files {
        let digest = ledger
            .add_blob_file(file, DEFAULT_BLOB_LIMIT)
            .map_err(ledger_error)?;
        let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        files.push(json!({ "name": file_name(file), "sha256": digest, "bytes": bytes }));
        attachments.push(digest);
    }
    let title = input
        .title
        .or_else(|| input.files.first().map(|f| file_name(f)))
        .unwrap_or_else(|| input.subject.to_owned());
    payload.entry("title").or_insert(Value::String(title));
    if !files.is_empty() {
        payload.insert("files".into(), Value::Array(files));
    }
    let locator = input.locator.unwrap_or_else(|| {
        input
            .files
            .first()
            .map(|f| f.display().to_string())
            .unwrap_or_else(|| "assay evidence add".to_owned())
    });
    Ok(Evidence {
        kind: input.kind,
        subject: input.subject.to_owned(),
        source: Source {
            collector: "manual".to_owned(),
            locator,
        },
        observed_at: input.observed_at,
        collected_at: input.now,
        payload: Value::Object(payload),
        attachments,
        expires_at: input.expires_at,
        note: input.note,
    })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

pub fn list(args: &EvidenceListArgs, settings: &Settings) -> CommandResult {
    let printer = settings.printer();
    let filter = ListFilter {
        kind: args.kind.as_deref().map(parse_kind).transpose()?,
        subject: args.subject.clone(),
        since: args
            .since
            .as_deref()
            .map(|raw| parse_time("--since", raw))
            .transpose()?,
        limit: args.limit,
    };
    let ledger = open_ledger(&settings.workspace, false)?;
    let items = ledger.list(&filter).map_err(ledger_error)?;
    if printer.json_mode() {
        printer.json(&json!({ "count": items.len(), "items": items }))?;
        return Ok(ExitStatus::Success);
    }
    if items.is_empty() {
        printer.out("No evidence matches.")?;
        return Ok(ExitStatus::Success);
    }
    let width = items
        .iter()
        .map(|it| it.evidence.subject.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for it in &items {
        let e = &it.evidence;
        let _ = writeln!(
            out,
            "{} {}  {:<24} {:<width$}  {}",
            paint(style::ID, format!("#{:<5}", it.index)),
            e.observed_at.strftime("%Y-%m-%d %H:%M"),
            e.kind.to_string(),
            e.subject,
            paint(style::DIM, &e.source.locator),
            width = width
        );
    }
    let _ = write!(out, "{}", super::plural(items.len(), "item"));
    printer.out(out)?;
    Ok(ExitStatus::Success)
}

pub fn show(args: &EvidenceIndexArgs, settings: &Settings) -> CommandResult {
    let printer = settings.printer();
    let ledger = open_ledger(&settings.workspace, false)?;
    let item = ledger.get(args.index).map_err(ledger_error)?;
    if printer.json_mode() {
        printer.json(&item)?;
        return Ok(ExitStatus::Success);
    }
    let e = &item.evidence;
    let mut out = format!(
        "{}  {}  {}\n",
        paint(style::ID, format!("#{}", item.index)),
        paint(style::HEADING, e.kind.to_string()),
        e.subject
    );
    let _ = writeln!(
        out,
        "  source:       {} {}",
        e.source.collector, e.source.locator
    );
    let _ = writeln!(out, "  observed at:  {}", e.observed_at);
    let _ = writeln!(out, "  collected at: {}", e.collected_at);
    if let Some(expires) = e.expires_at {
        let _ = writeln!(out, "  expires:      {expires}");
    }
    if let Some(note) = &e.note {
        let _ = writeln!(out, "  note:         {note}");
    }
    for a in &e.attachments {
        let _ = writeln!(out, "  attachment:   {a}");
    }
    let _ = writeln!(out, "  leaf hash:    {}", item.leaf_hash);
    let payload = serde_json::to_string_pretty(&e.payload).unwrap_or_default();
    let _ = write!(out, "  payload:\n{}", super::wrap_lines(&payload, "    "));
    printer.out(out)?;
    Ok(ExitStatus::Success)
}

pub fn prove(args: &EvidenceProveArgs, settings: &Settings) -> CommandResult {
    let printer = settings.printer();
    let ledger = open_ledger(&settings.workspace, false)?;
    let proof = ledger.prove(args.index).map_err(ledger_error)?;
    let text = serde_json::to_string_pretty(&proof).map_err(|e| {
        diagnostics::error(
            format!("cannot render the proof: {e}"),
            "report this defect",
        )
    })? + "\n";
    match &args.out {
        None => printer.raw(text)?,
        Some(path) => {
            std::fs::write(path, text).map_err(|e| {
                diagnostics::error(
                    format!("cannot write {}: {e}", path.display()),
                    "check the --out path",
                )
            })?;
            if printer.json_mode() {
                printer.json(
                    &json!({ "index": args.index, "out": path, "tree_size": proof.tree_size }),
                )?;
            } else {
                printer.out(format!(
                    "Wrote the inclusion proof of #{} against the checkpoint at size {} to {}",
                    args.index,
                    proof.tree_size,
                    path.display()
                ))?;
                printer.note("Anyone can check it with the procedure in docs/ledger.md.")?;
            }
        }
    }
    Ok(ExitStatus::Success)
}
