//! The one error type of this crate. Every variant names the source (and the file, ref or row) at fault.

use std::path::PathBuf;

/// Why a source could not be collected. Nothing of that source is stored when a collector returns one.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// A `[source.NAME]` table is not understood.
    #[error("[source.{source_name}]: `{key}` {reason}")]
    Config {
        source_name: String,
        key: String,
        reason: String,
    },
    /// A git repository cannot be opened or read.
    #[error("[source.{source_name}]: cannot read git repository {path}: {message}")]
    Git {
        source_name: String,
        path: PathBuf,
        message: String,
    },
    /// A file the source points at cannot be read.
    #[error("[source.{source_name}]: cannot read {path}: {message}")]
    Io {
        source_name: String,
        path: PathBuf,
        message: String,
    },
    /// A file in the source is malformed (an OpenLineage event, a DVC file read from a commit).
    #[error("[source.{source_name}]: {location} is malformed: {message}")]
    Malformed {
        source_name: String,
        /// File and line, or `repo@commit:path`.
        location: String,
        message: String,
    },
    /// A remote service (MLflow) could not be reached or answered with an error.
    #[error("[source.{source_name}]: {url}: {message}")]
    Remote {
        source_name: String,
        url: String,
        message: String,
    },
    /// The ledger refused the batch.
    #[error("[source.{source_name}]: the ledger refused the evidence: {message}")]
    Ledger {
        source_name: String,
        message: String,
    },
}

impl CollectError {
    /// The source the error is about.
    pub fn source_name(&self) -> &str {
        match self {
            CollectError::Config { source_name, .. }
            | CollectError::Git { source_name, .. }
            | CollectError::Io { source_name, .. }
            | CollectError::Malformed { source_name, .. }
            | CollectError::Remote { source_name, .. }
            | CollectError::Ledger { source_name, .. } => source_name,
        }
    }

    /// What a person can do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            CollectError::Config { .. } => {
                "fix the table in assay.toml; docs/commands/collect.md lists the keys of every source"
            }
            CollectError::Git { .. } => {
                "check that the path points at a git repository (its folder or its .git) and that it is readable"
            }
            CollectError::Io { .. } => "check that the file exists and is readable",
            CollectError::Malformed { .. } => {
                "fix or remove the malformed entry; nothing from this source was stored"
            }
            CollectError::Remote { .. } => {
                "check the URL, that the server is running, and the token (if the server needs one)"
            }
            CollectError::Ledger { .. } => "run `assay verify` to check the ledger",
        }
    }
}
