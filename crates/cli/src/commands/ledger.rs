//! `assay keygen`, `assay checkpoint`, `assay verify`, and what the evidence commands share: where
//! the ledger and keys live, how times are read, how ledger errors are explained.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use assay_ledger::{CheckpointSigner, Ledger, LedgerError, VerifierKey};

use super::plural;
use crate::args::{KeygenArgs, VerifyArgs};
use crate::diagnostics;
use crate::printer::style::{self, paint};
use crate::progress::ProgressLine;
use crate::settings::Settings;
use crate::{CommandResult, ExitStatus};

/// `.assay/keys/` inside the workspace.
pub fn keys_dir(workspace: &Path) -> PathBuf {
    workspace.join(assay_ledger::ledger::ASSAY_DIR).join("keys")
}

pub fn private_key_path(workspace: &Path) -> PathBuf {
    keys_dir(workspace).join("checkpoint.key")
}

pub fn public_key_path(workspace: &Path) -> PathBuf {
    keys_dir(workspace).join("checkpoint.pub")
}

/// Explain a ledger error: what went wrong and what to do.
pub fn ledger_error(err: LedgerError) -> miette::Report {
    let help = match &err {
        LedgerError::NotInitialized { .. } => {
            "add evidence first (`assay evidence add …`) or run `assay demo` to see a populated workspace"
        }
        LedgerError::NotALedger { .. } => {
            "the file is damaged or not an Assay ledger; restore .assay/ledger.db from a backup, and run `assay verify`"
        }
        LedgerError::UnsupportedSchema {
            found, expected, ..
        } if found < expected => {
            "this ledger was written by an earlier development build of assay, whose storage layout this build no longer reads; re-create it (`assay demo` rebuilds the demo workspace) or use the build that wrote it"
        }
        LedgerError::UnsupportedSchema { .. } => {
            "this ledger was written by a newer assay; upgrade assay to read it"
        }
        LedgerError::Database { .. } => {
            "check that the workspace is writable and not on a full disk"
        }
        LedgerError::UnknownEvidenceKind { .. } => {
            "use a kind such as manual.document, access_review or incident, or `custom.<name>` for your own"
        }
        LedgerError::IndexOutOfRange { .. } => "list the items with `assay evidence list`",
        LedgerError::InvalidEvidence { .. } => {
            "fix the value named; integers beyond ±2^53 must be written as strings in --payload"
        }
        LedgerError::InvalidKey { .. } => {
            "key names are non-empty and contain no spaces or `+`, e.g. example.com/ledger"
        }
        LedgerError::NoCheckpoint { .. } => {
            "sign one with `assay checkpoint` (needs a key: `assay keygen`)"
        }
        LedgerError::KeyFileExists { .. } => {
            "a workspace keeps one signing key; delete the old key only if you mean to start a new chain of trust"
        }
        LedgerError::BlobTooLarge { .. } => {
            "attach a smaller file, or store large artifacts elsewhere and record their hash"
        }
        LedgerError::MissingBlob { .. } | LedgerError::BlobCorrupted { .. } => {
            "run `assay verify` to see every item affected"
        }
        _ => "run `assay verify` to check the ledger's integrity",
    };
    diagnostics::error(err.to_string(), help)
}

/// Open the workspace's ledger, creating it when `create` is set.
pub fn open_ledger(workspace: &Path, create: bool) -> Result<Ledger, miette::Report> {
    let db = workspace
        .join(assay_ledger::ledger::ASSAY_DIR)
        .join(assay_ledger::ledger::DB_FILE);
    if create && !db.exists() {
        return Ledger::init(workspace).map_err(ledger_error);
    }
    Ledger::open(workspace).map_err(ledger_error)
}

/// The workspace's signing key, if `assay keygen` has been run.
pub fn signer(workspace: &Path) -> Result<Option<CheckpointSigner>, miette::Report> {
    let path = private_key_path(workspace);
    if !path.exists() {
        return Ok(None);
    }
    CheckpointSigner::read_private_key_file(&path)
        .map(Some)
        .map_err(ledger_error)
}

/// Parse `2026-03-31` (midnight UTC) or an RFC 3339 time.
/// A date-time without an offset is read as UTC.
pub fn parse_time(flag: &str, raw: &str) -> Result<Timestamp, miette::Report> {
    if let Ok(ts) = raw.parse::<Timestamp>() {
        return Ok(ts);
    }
    let civil = if raw.contains(['T', 't', ' ']) {
        raw.parse::<jiff::civil::DateTime>().ok()
    } else {
        raw.parse::<jiff::civil::Date>()
            .ok()
            .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
    };
    civil
        .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| {
            diagnostics::error(
                format!("{flag} `{raw}` is not a date or time"),
                "write a date like 2026-03-31 or an RFC 3339 time like 2026-03-31T14:00:00Z",
            )
        })
}

fn default_key_name(workspace: &Path) -> String {
    let dir = workspace
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "workspace".to_owned());
    let slug: String = dir
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("assay.local/{}", slug.trim_matches('-'))
}

/// Generate the workspace's signing key: private key 0600, verifier key beside it.
pub fn create_key(ws: &Path, name: &str) -> Result<(VerifierKey, PathBuf), miette::Report> {
    let signer = CheckpointSigner::generate(name).map_err(ledger_error)?;
    std::fs::create_dir_all(keys_dir(ws)).map_err(|e| {
        diagnostics::error(
            format!("cannot create {}: {e}", keys_dir(ws).display()),
            "check that the workspace is writable",
        )
    })?;
    signer
        .write_private_key_file(&private_key_path(ws))
        .map_err(ledger_error)?;
    let verifier = signer.verifier_key();
    let public = public_key_path(ws);
    std::fs::write(&public, format!("{verifier}\n")).map_err(|e| {
        diagnostics::error(
            format!("cannot write {}: {e}", public.display()),
            "check that the workspace is writable",
        )
    })?;
    Ok((verifier, public))
}

pub fn keygen(args: &KeygenArgs, settings: &Settings) -> CommandResult {
    let printer = settings.printer();
    let ws = &settings.workspace;
    let name = args.name.clone().unwrap_or_else(|| default_key_name(ws));
    let private = private_key_path(ws);
    if private.exists() {
        return Err(ledger_error(LedgerError::KeyFileExists { path: private }));
    }
    let (verifier, public) = create_key(ws, &name)?;
    if printer.json_mode() {
        printer.json(&serde_json::json!({
            "name": name,
            "key_id": verifier.key_id(),
            "verifier_key": verifier.to_string(),
            "private_key": private,
            "public_key": public,
        }))?;
    } else {
        printer.out(format!(
            "Created signing key {} (private key {}, mode 0600)",
            paint(style::ID, verifier.key_id()),
            private.display()
        ))?;
        printer.out(format!("Verifier key: {verifier}"))?;
        printer.note(format!(
            "Give the verifier key to your auditor; they check checkpoints with {}",
            paint(style::CMD, "assay verify --key FILE")
        ))?;
    }
    Ok(ExitStatus::Success)
}

pub fn checkpoint(settings: &Settings) -> CommandResult {
    let printer = settings.printer();
    let ws = &settings.workspace;
    let Some(signer) = signer(ws)? else {
        return Err(diagnostics::error(
            format!("no signing key in {}", keys_dir(ws).display()),
            "create one with `assay keygen`",
        ));
    };
    let mut ledger = open_ledger(ws, true)?;
    let cp = ledger
        .checkpoint(signer.name(), &signer, settings.now)
        .map_err(ledger_error)?;
    if printer.json_mode() {
        printer.json(
            &serde_json::json!({ "size": cp.tree_size, "root": cp.root, "checkpoint": cp.text }),
        )?;
    } else {
        printer.out(format!(
            "Signed checkpoint at size {}:\n{}",
            cp.tree_size,
            cp.text.trim_end()
        ))?;
    }
    Ok(ExitStatus::Success)
}

fn read_verifier_key(path: &Path) -> Result<VerifierKey, miette::Report> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        diagnostics::error(
            format!("cannot read verifier key {}: {e}", path.display()),
            "pass the file `assay keygen` wrote as .assay/keys/checkpoint.pub",
        )
    })?;
    text.trim().parse::<VerifierKey>().map_err(|e| {
        diagnostics::error(
            format!("{}: {e}", path.display()),
            "a verifier key looks like <name>+<8 hex>+<base64>",
        )
    })
}

pub fn verify(args: &VerifyArgs, settings: &Settings) -> CommandResult {
    let printer = settings.printer();
    let ws = &settings.workspace;
    let mut trusted = Vec::new();
    for path in &args.keys {
        trusted.push(read_verifier_key(path)?);
    }
    let own = public_key_path(ws);
    if trusted.is_empty() && own.exists() {
        trusted.push(read_verifier_key(&own)?);
    }
    let ledger = open_ledger(ws, false)?;
    let mut progress = ProgressLine::new("verifying", settings.quiet > 0 || settings.json);
    let options = assay_ledger::VerifyOptions { deep: args.deep };
    let report = ledger
        .verify_with(&trusted, options, &mut progress)
        .map_err(ledger_error)?;
    progress.finish();
    if printer.json_mode() {
        printer.json(&report)?;
    } else if report.is_clean() {
        printer.out(format!(
            "{} {}, {} and {}; root {}",
            paint(style::OK, "Ledger verified:"),
            plural(report.items, "item"),
            plural(report.checkpoints, "checkpoint"),
            plural(report.blobs, "attachment"),
            report.root
        ))?;
        if report.checkpoints == 0 {
            if private_key_path(ws).exists() {
                printer.note("The ledger holds no checkpoint although a signing key exists: if checkpoints were signed before, they were removed.")?;
            } else {
                printer.note("No signed checkpoint yet: run `assay keygen` and `assay checkpoint` so others can check the ledger too.")?;
            }
        }
    } else {
        let mut out = format!(
            "{} {} ({} checked)\n",
            paint(style::ERROR, "Ledger tampered or damaged:"),
            plural(report.problems.len(), "problem"),
            plural(report.items, "item")
        );
        for p in &report.problems {
            let item = match p.index {
                Some(i) => format!(
                    "item #{i} ({}, {})",
                    p.kind.as_deref().unwrap_or("unknown kind"),
                    p.subject.as_deref().unwrap_or("unknown subject")
                ),
                None => "ledger".to_owned(),
            };
            let _ = writeln!(out, "  {}: {}", paint(style::ID, item), p.what);
        }
        printer.out(out.trim_end())?;
    }
    Ok(if report.is_clean() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn times_keep_their_time_of_day_and_default_to_utc() {
        let t = |s: &str| parse_time("--t", s).map(|ts| ts.to_string()).ok();
        assert_eq!(t("2026-03-31").as_deref(), Some("2026-03-31T00:00:00Z"));
        assert_eq!(
            t("2026-03-31T14:05:00").as_deref(),
            Some("2026-03-31T14:05:00Z")
        );
        assert_eq!(
            t("2026-03-31 14:05").as_deref(),
            Some("2026-03-31T14:05:00Z")
        );
        assert_eq!(
            t("2026-03-31T14:05:00+02:00").as_deref(),
            Some("2026-03-31T12:05:00Z")
        );
        assert_eq!(t("last tuesday"), None);
        assert_eq!(t("2026-13-01"), None);
    }
}
