//! # assay-ledger — the tamper-evident evidence store
//!
//! This room keeps the evidence Assay's collectors and runtime controls gather, in a form an auditor can check
//! without trusting us:
//!
//! * **Evidence model** ([`Evidence`], [`EvidenceKind`]): one fact about the system, canonicalised with RFC 8785
//!   (JCS, [`jcs`]) so that anyone can recompute its hash.
//! * **Merkle log** ([`merkle`]): items are leaves of an RFC 6962 / RFC 9162 Merkle tree; leaf hash =
//!   SHA-256(0x00 ‖ canonical bytes), interior = SHA-256(0x01 ‖ left ‖ right); inclusion and consistency proofs.
//! * **Checkpoints** ([`Checkpoint`], [`CheckpointSigner`], [`VerifierKey`]): C2SP signed notes over
//!   `<origin>\n<size>\n<base64 root>\n`, signed with Ed25519.
//! * **Blobs** ([`BlobStore`]): attachments, content-addressed by SHA-256, written atomically.
//! * **Stores** ([`EvidenceStore`], [`SqliteStore`]): SQLite today; the trait is what a PostgreSQL store implements.
//! * **Facade** ([`Ledger`]): append (idempotent), list, get, checkpoint, [`Proof`]s and [`Ledger::verify`],
//!   which recomputes everything and names each item that differs.
//!
//! The byte-level formats are specified in `docs/ledger.md`.
//!
//! What this room must **not** do: print or exit (it returns [`LedgerError`] and reports progress through
//! [`Progress`]); read the clock (callers pass `collected_at` and `now`); evaluate controls (that is `engine`);
//! collect evidence from sources (that is `collect`).

pub mod blob;
pub mod digest;
pub mod envelope;
pub mod error;
pub mod evidence;
pub mod jcs;
pub mod kind;
pub mod ledger;
pub mod merkle;
pub mod note;
pub mod sqlite;
pub mod store;

pub use blob::{BlobState, BlobStore};
pub use digest::Sha256Digest;
pub use error::{LedgerError, Result};
pub use evidence::{CanonicalEvidence, Evidence, FieldError, Payload, PreparedItem, Source};
pub use jcs::{CanonicalJson, CanonicalWriter};
pub use kind::EvidenceKind;
pub use ledger::{
    ASSAY_DIR, Ledger, Problem, ProblemCategory, Proof, StoredItem, VerifyOptions, VerifyReport,
};
pub use note::{Checkpoint, CheckpointSigner, VerifierKey};
pub use sqlite::SqliteStore;
pub use store::{AppendOutcome, EvidenceStore, ListFilter, StoredCheckpoint};

/// Default attachment size limit (256 MiB); callers pass their own limit to the blob functions.
pub const DEFAULT_BLOB_LIMIT: u64 = 256 * 1024 * 1024;

/// Progress of a long operation (append, verify). The CLI draws a bar; libraries and tests pass [`NoProgress`].
pub trait Progress {
    /// The number of units the operation will process.
    fn set_total(&mut self, total: u64);
    /// `n` more units are done.
    fn inc(&mut self, n: u64);
}

/// A [`Progress`] that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn set_total(&mut self, _total: u64) {}
    fn inc(&mut self, _n: u64) {}
}
