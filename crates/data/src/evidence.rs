//! Turning reports into ledger evidence. The CLI appends what these functions build; this room never
//! writes to the ledger itself.

use assay_ledger::{Evidence, EvidenceKind, Source};
use jiff::Timestamp;
use serde::Serialize;

use crate::error::{DataError, Result};

/// The subject for data at `path` when the caller names none: `dataset:<file or folder stem>`.
pub fn default_subject(path: &std::path::Path) -> String {
    let stem = path
        .file_stem()
        .or_else(|| path.file_name())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "data".into());
    format!("dataset:{stem}")
}

/// One evidence item of `kind` about `subject`, produced by `assay data <command>` at `now`.
pub fn item(
    kind: EvidenceKind,
    subject: &str,
    command: &str,
    locator: &str,
    payload: &impl Serialize,
    now: Timestamp,
) -> Result<Evidence> {
    let payload = serde_json::to_value(payload).map_err(|e| DataError::Invalid {
        path: locator.into(),
        message: format!("cannot encode the report: {e}"),
    })?;
    Ok(Evidence {
        kind,
        subject: subject.to_owned(),
        source: Source {
            collector: format!("assay data {command}"),
            locator: locator.to_owned(),
        },
        observed_at: now,
        collected_at: now,
        payload,
        attachments: Vec::new(),
        expires_at: None,
        note: None,
    })
}
