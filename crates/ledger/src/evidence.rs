//! The evidence model and its canonical, hashable form.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::digest::{Sha256Digest, leaf_hash};
use crate::jcs::{self, CanonicalJson, JcsError};
use crate::kind::EvidenceKind;

/// Where an evidence item came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The collector (or person/tool) that produced the item, e.g. `git`, `mlflow`, `manual`.
    pub collector: String,
    /// Where exactly: a URL, `repo@commit:path`, a file path.
    pub locator: String,
}

/// One fact about the system, as stored in the ledger.
///
/// JSON form (also the input of the canonical encoding): every field is always present; `expires_at` and `note`
/// are `null` when absent; timestamps are RFC 3339 UTC strings (`2025-01-31T12:00:00Z`, fractional seconds only
/// when non-zero); attachments are lowercase hex SHA-256 digests of blobs.
///
/// The payload is a [`Value`]; collectors that write the canonical JSON of their payloads themselves use
/// [`CanonicalEvidence`] (the same item, its payload already canonical), which stores the same bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence<P = Value> {
    pub kind: EvidenceKind,
    /// Component or asset id from `assay.toml`, e.g. `model:fraud-scorer`.
    pub subject: String,
    pub source: Source,
    /// When the fact was true or happened (commit time, approval time, scan time).
    pub observed_at: Timestamp,
    /// When the collector read it.
    pub collected_at: Timestamp,
    /// The fact itself.
    pub payload: P,
    /// SHA-256 digests of blobs in the blob store.
    #[serde(default)]
    pub attachments: Vec<Sha256Digest>,
    /// For manual evidence: when it stops being valid.
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
    /// For manual evidence: a person's note.
    #[serde(default)]
    pub note: Option<String>,
}

/// Why an item cannot be stored: the field and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

/// An item ready for a store: canonical bytes, hashes and the columns stores index on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedItem {
    /// RFC 8785 canonical JSON of the whole item.
    pub canonical: Vec<u8>,
    /// SHA-256(0x00 ‖ canonical).
    pub leaf_hash: Sha256Digest,
    /// Identity for idempotent appends (see [`idempotency_key`]).
    pub idempotency_key: Sha256Digest,
    pub kind: String,
    pub subject: String,
    pub observed_at: Timestamp,
    pub attachments: Vec<Sha256Digest>,
}

/// An evidence item whose payload is already canonical JSON (checked when it was made).
pub type CanonicalEvidence = Evidence<CanonicalJson>;

/// A payload the ledger can write in canonical form.
pub trait Payload {
    /// Append the canonical JSON of the payload.
    fn write_canonical(&self, out: &mut Vec<u8>) -> Result<(), JcsError>;
}

impl Payload for Value {
    fn write_canonical(&self, out: &mut Vec<u8>) -> Result<(), JcsError> {
        jcs::write_value(out, self)
    }
}

impl Payload for CanonicalJson {
    fn write_canonical(&self, out: &mut Vec<u8>) -> Result<(), JcsError> {
        out.extend_from_slice(self.as_bytes());
        Ok(())
    }
}

impl Evidence {
    /// Decode stored canonical bytes.
    pub fn from_canonical(bytes: &[u8]) -> Result<Evidence, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The same item with its payload canonicalised once (it stores the same bytes).
    pub fn into_canonical(self) -> Result<CanonicalEvidence, FieldError> {
        let payload = CanonicalJson::from_value(&self.payload).map_err(|e| FieldError {
            field: format!("payload{}", e.path),
            reason: e.reason,
        })?;
        Ok(Evidence {
            kind: self.kind,
            subject: self.subject,
            source: self.source,
            observed_at: self.observed_at,
            collected_at: self.collected_at,
            payload,
            attachments: self.attachments,
            expires_at: self.expires_at,
            note: self.note,
        })
    }
}

impl<P: Payload> Evidence<P> {
    /// Check the fields a store relies on.
    pub fn validate(&self) -> Result<(), FieldError> {
        let bad = |field: &str, reason: &str| {
            Err(FieldError {
                field: field.into(),
                reason: reason.into(),
            })
        };
        if self.subject.trim().is_empty() {
            return bad(
                "subject",
                "must name a component or asset (for example `model:fraud-scorer`)",
            );
        }
        if self.source.collector.trim().is_empty() {
            return bad(
                "source.collector",
                "must name the collector or tool that produced the item",
            );
        }
        for (field, ts) in [
            ("observed_at", Some(self.observed_at)),
            ("collected_at", Some(self.collected_at)),
            ("expires_at", self.expires_at),
        ] {
            if let Some(ts) = ts
                && !rfc3339_representable(ts)
            {
                return bad(
                    field,
                    "must be between years 0000 and 9999 to be written as RFC 3339",
                );
            }
        }
        Ok(())
    }

    /// RFC 8785 canonical bytes of the whole item object (see `docs/ledger.md`).
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, FieldError> {
        Ok(self.encode()?.0)
    }

    /// Leaf hash of the item: SHA-256(0x00 ‖ canonical bytes).
    pub fn leaf_hash(&self) -> Result<Sha256Digest, FieldError> {
        Ok(leaf_hash(&self.canonical_bytes()?))
    }

    /// Validate, canonicalise and hash.
    pub fn prepare(&self) -> Result<PreparedItem, FieldError> {
        self.validate()?;
        let (canonical, payload_range) = self.encode()?;
        let payload_digest = Sha256Digest::of(&canonical[payload_range]);
        let mut observed = Vec::with_capacity(40);
        write_ts(&mut observed, &self.observed_at);
        let observed = observed
            .get(1..observed.len() - 1)
            .and_then(|t| std::str::from_utf8(t).ok())
            .unwrap_or_default();
        Ok(PreparedItem {
            leaf_hash: leaf_hash(&canonical),
            idempotency_key: idempotency_key(
                self.kind.as_str(),
                &self.subject,
                &self.source.locator,
                observed,
                &payload_digest,
            ),
            canonical,
            kind: self.kind.as_str().to_owned(),
            subject: self.subject.clone(),
            observed_at: self.observed_at,
            attachments: self.attachments.clone(),
        })
    }

    /// Members in UTF-16 order of their (ASCII) names; returns the byte range of the payload.
    fn encode(&self) -> Result<(Vec<u8>, std::ops::Range<usize>), FieldError> {
        let mut o = Vec::with_capacity(1024);
        o.extend_from_slice(b"{\"attachments\":[");
        for (i, a) in self.attachments.iter().enumerate() {
            if i > 0 {
                o.push(b',');
            }
            o.push(b'"');
            o.extend_from_slice(a.to_hex().as_bytes());
            o.push(b'"');
        }
        o.extend_from_slice(b"],\"collected_at\":");
        write_ts(&mut o, &self.collected_at);
        o.extend_from_slice(b",\"expires_at\":");
        match &self.expires_at {
            Some(t) => write_ts(&mut o, t),
            None => o.extend_from_slice(b"null"),
        }
        o.extend_from_slice(b",\"kind\":");
        jcs::write_str(&mut o, self.kind.as_str());
        o.extend_from_slice(b",\"note\":");
        match &self.note {
            Some(n) => jcs::write_str(&mut o, n),
            None => o.extend_from_slice(b"null"),
        }
        o.extend_from_slice(b",\"observed_at\":");
        write_ts(&mut o, &self.observed_at);
        o.extend_from_slice(b",\"payload\":");
        let start = o.len();
        self.payload
            .write_canonical(&mut o)
            .map_err(|e| FieldError {
                field: format!("payload{}", e.path),
                reason: e.reason,
            })?;
        let end = o.len();
        o.extend_from_slice(b",\"source\":{\"collector\":");
        jcs::write_str(&mut o, &self.source.collector);
        o.extend_from_slice(b",\"locator\":");
        jcs::write_str(&mut o, &self.source.locator);
        o.extend_from_slice(b"},\"subject\":");
        jcs::write_str(&mut o, &self.subject);
        o.push(b'}');
        Ok((o, start..end))
    }
}

/// A timestamp as a JSON string (RFC 3339 text never needs escaping), written without an intermediate `String`.
fn write_ts(out: &mut Vec<u8>, ts: &Timestamp) {
    use std::io::Write as _;
    out.push(b'"');
    // Writing to a Vec cannot fail.
    let _ = write!(out, "{ts}");
    out.push(b'"');
}

/// Whether jiff writes this instant as a plain RFC 3339 date-time (four-digit, non-negative year).
pub fn rfc3339_representable(ts: Timestamp) -> bool {
    ts.to_string()
        .as_bytes()
        .first()
        .is_some_and(u8::is_ascii_digit)
}

/// Identity of an item for idempotent appends:
/// SHA-256 over the length-prefixed (u64 big-endian) fields kind, subject, source locator, observed_at
/// (its RFC 3339 text) and the 32-byte SHA-256 of the canonical payload.
pub fn idempotency_key(
    kind: &str,
    subject: &str,
    locator: &str,
    observed_at: &str,
    payload_digest: &Sha256Digest,
) -> Sha256Digest {
    let mut h = Sha256::new();
    for part in [
        kind.as_bytes(),
        subject.as_bytes(),
        locator.as_bytes(),
        observed_at.as_bytes(),
        &payload_digest.0,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    Sha256Digest(h.finalize().into())
}
