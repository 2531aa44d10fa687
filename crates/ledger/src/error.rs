//! The one error type of the ledger room.

use std::path::PathBuf;

use crate::digest::Sha256Digest;

/// Everything that can go wrong in the ledger. Every variant names what it is about: a path, an item index,
/// a batch position, a digest or a key name.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// A file or directory could not be read, written or created.
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The database reported an error while working on the ledger at `path`.
    #[error("ledger database {path}: {source}")]
    Database {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    /// The file at `path` is not a usable Assay ledger (not SQLite, corrupted, or another application's database).
    #[error("{path} is not a usable Assay ledger: {reason}")]
    NotALedger { path: PathBuf, reason: String },

    /// The ledger was written by a newer or unknown schema version.
    #[error("ledger {path} has schema version {found}, this build understands version {expected}")]
    UnsupportedSchema {
        path: PathBuf,
        found: i64,
        expected: i64,
    },

    /// `Ledger::init` found an existing ledger.
    #[error("a ledger already exists at {path}; open it instead of initialising")]
    AlreadyInitialized { path: PathBuf },

    /// `Ledger::open` found no ledger.
    #[error("no ledger at {path}; initialise one first")]
    NotInitialized { path: PathBuf },

    /// An evidence kind that is neither in the catalog nor `custom.*`.
    #[error(
        "unknown evidence kind `{kind}`: use a kind from the catalog or a `custom.<name>` kind"
    )]
    UnknownEvidenceKind { kind: String },

    /// An item of an append batch is not acceptable; nothing of the batch was written.
    #[error("evidence item {position} of the batch: field `{field}`: {reason}")]
    InvalidEvidence {
        position: usize,
        field: String,
        reason: String,
    },

    /// An attachment named by an item (or asked for) is not in the blob store.
    #[error("blob {digest} is missing (expected at {path})")]
    MissingBlob { digest: Sha256Digest, path: PathBuf },

    /// A blob's content no longer hashes to its name.
    #[error("blob {digest} at {path} is corrupted: its content hashes to {actual}")]
    BlobCorrupted {
        digest: Sha256Digest,
        path: PathBuf,
        actual: Sha256Digest,
    },

    /// An attachment is larger than the configured limit.
    #[error("{path} is larger than the attachment limit of {limit} bytes")]
    BlobTooLarge { path: PathBuf, limit: u64 },

    /// A text that should be a lowercase hex SHA-256 digest is not one.
    #[error("`{value}` is not a SHA-256 digest (64 hex characters)")]
    InvalidDigest { value: String },

    /// There is no item at this index.
    #[error("no evidence item at index {index}; the ledger holds {len} items")]
    IndexOutOfRange { index: u64, len: u64 },

    /// A stored item can not be decoded (the row was altered); `verify` reports the details.
    #[error("stored evidence item {index} cannot be decoded: {reason}")]
    CorruptItem { index: u64, reason: String },

    /// No stored checkpoint covers the item, so no proof can be made yet.
    #[error("no checkpoint covers item {index}; create a checkpoint first")]
    NoCheckpoint { index: u64 },

    /// A key name, key file or verifier key string is malformed.
    #[error("invalid key {what}: {reason}")]
    InvalidKey { what: String, reason: String },

    /// Refusing to overwrite an existing private key file.
    #[error("key file {path} already exists; refusing to overwrite it")]
    KeyFileExists { path: PathBuf },

    /// A checkpoint text is malformed or its signature does not verify.
    #[error("invalid checkpoint: {reason}")]
    InvalidCheckpoint { reason: String },

    /// A proof does not verify.
    #[error("proof for item {index} does not verify: {reason}")]
    InvalidProof { index: u64, reason: String },
}

/// Result alias of the ledger room.
pub type Result<T, E = LedgerError> = std::result::Result<T, E>;

impl LedgerError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        LedgerError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
