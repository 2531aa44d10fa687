//! Reading one exported file for a collector: size limit, the file's modification time as the observation time,
//! the workspace-relative locator, and malformed-input errors that name the file. Shared by the collectors that
//! read exports (GCP IAM, Kubernetes RBAC, Terraform, incident and DR records).

use std::path::{Path, PathBuf};

use jiff::Timestamp;

use crate::error::CollectError;

/// Largest export read (the biggest real exports are a few tens of MB).
pub(crate) const MAX_EXPORT: u64 = 512 << 20;

/// One export read from disk.
#[derive(Debug)]
pub(crate) struct Export {
    pub path: PathBuf,
    /// Path relative to the workspace, `/`-separated: the start of every locator.
    pub rel: String,
    pub text: String,
    /// The file's modification time (the export's "as of"), or `now` when the filesystem has none.
    pub observed: Timestamp,
}

/// A file named in a source table, resolved against the workspace.
pub(crate) fn resolve(workspace: &Path, file: &Path) -> PathBuf {
    if file.is_absolute() {
        file.to_path_buf()
    } else {
        workspace.join(file)
    }
}

/// Read `file` (relative to `workspace`) for `source`.
pub(crate) fn read(
    source: &str,
    workspace: &Path,
    file: &Path,
    now: Timestamp,
) -> Result<Export, CollectError> {
    let path = resolve(workspace, file);
    let io = |e: std::io::Error| CollectError::Io {
        source_name: source.into(),
        path: path.clone(),
        message: e.to_string(),
    };
    let meta = std::fs::metadata(&path).map_err(io)?;
    if meta.len() > MAX_EXPORT {
        return Err(io(std::io::Error::other(format!(
            "larger than {MAX_EXPORT} bytes"
        ))));
    }
    let text = std::fs::read_to_string(&path).map_err(io)?;
    let observed = meta
        .modified()
        .ok()
        .and_then(|t| Timestamp::try_from(t).ok())
        .unwrap_or(now);
    let rel = path
        .strip_prefix(workspace)
        .unwrap_or(&path)
        .to_string_lossy()
        .replace('\\', "/");
    Ok(Export {
        path,
        rel,
        text,
        observed,
    })
}

impl Export {
    /// Prefix the location of a malformed-input error with this file's path.
    pub fn locate(&self, e: CollectError) -> CollectError {
        match e {
            CollectError::Malformed {
                source_name,
                location,
                message,
            } => CollectError::Malformed {
                source_name,
                location: format!("{}: {location}", self.path.display()),
                message,
            },
            other => other,
        }
    }
}

/// A malformed-input error of `source` at `location` (the file is added by [`Export::locate`]).
pub(crate) fn malformed(
    source: &str,
    location: impl Into<String>,
    message: impl Into<String>,
) -> CollectError {
    CollectError::Malformed {
        source_name: source.into(),
        location: location.into(),
        message: message.into(),
    }
}

/// A `[source.NAME]` config error.
pub(crate) fn config_error(source: &str, key: &str, reason: impl Into<String>) -> CollectError {
    CollectError::Config {
        source_name: source.into(),
        key: key.into(),
        reason: reason.into(),
    }
}

/// `files = ["…"]` or `file = "…"`: at least one path.
pub(crate) fn files_key(
    source: &str,
    table: &toml::Table,
    what: &str,
) -> Result<Vec<PathBuf>, CollectError> {
    let mut out = Vec::new();
    if let Some(v) = table.get("file") {
        match v.as_str() {
            Some(s) if !s.is_empty() => out.push(PathBuf::from(s)),
            _ => return Err(config_error(source, "file", "must be a path (a string)")),
        }
    }
    if let Some(v) = table.get("files") {
        let Some(list) = v.as_array() else {
            return Err(config_error(source, "files", "must be a list of paths"));
        };
        for item in list {
            match item.as_str() {
                Some(s) if !s.is_empty() => out.push(PathBuf::from(s)),
                _ => {
                    return Err(config_error(
                        source,
                        "files",
                        "entries must be paths (strings)",
                    ));
                }
            }
        }
    }
    if out.is_empty() {
        return Err(config_error(
            source,
            "files",
            format!("must name {what}, e.g. files = [\"…\"]"),
        ));
    }
    Ok(out)
}

/// The evidence item every export collector writes.
pub(crate) fn item(
    source: &str,
    kind: assay_ledger::EvidenceKind,
    subject: impl Into<String>,
    locator: impl Into<String>,
    observed_at: Timestamp,
    now: Timestamp,
    payload: serde_json::Value,
) -> assay_ledger::Evidence {
    assay_ledger::Evidence {
        kind,
        subject: subject.into(),
        source: crate::source(source, locator),
        observed_at,
        collected_at: now,
        payload,
        attachments: Vec::new(),
        expires_at: None,
        note: None,
    }
}
