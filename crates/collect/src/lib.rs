//! # assay-collect — collectors that read what an AI company already runs
//!
//! This room turns facts held by outside systems into [`assay_ledger::Evidence`]: git history (commits,
//! annotated and lightweight tags, branch heads), DVC pipelines and data pointers, GTO registry tags, Git LFS
//! pointers, OpenLineage run events and the MLflow tracking server. One module per source; each exposes a
//! config parsed from its `[source.NAME]` table of `assay.toml` and a [`Collector`].
//!
//! Collection is **incremental** (a collector remembers cursors in the ledger) and **idempotent** (a re-run
//! yields items identical to stored ones, which the ledger does not store again). A source is collected as one
//! batch: when it is unreachable or malformed the collector returns a [`CollectError`] naming the source and
//! nothing of that source is appended.
//!
//! What this room must **not** do: print or exit (callers get typed results and a [`Progress`] handle); read the
//! clock (the caller passes `now`); evaluate controls or build lineage (that is `engine` and `lineage`).

pub mod access_reviews;
pub mod config;
pub mod deployments;
pub mod dvc;
pub mod error;
mod export;
mod exports;
pub mod git;
pub mod github;
pub mod gto;
pub mod iam_aws;
pub mod iam_gcp;
pub mod incidents;
pub mod jira;
pub mod k8s_rbac;
pub mod lfs;
pub mod mlflow;
pub mod modelscan;
pub mod openlineage;
pub mod pickle;
mod repo;
pub mod terraform;
pub mod vulnerabilities;

use std::path::Path;

use assay_ledger::{Evidence, Ledger, Progress};
use jiff::Timestamp;

pub use config::{RepoSpec, SourceConfig, configure};
pub use error::CollectError;
pub use exports::{FileSpec, parse_time, ticket_keys};

/// What a collector needs from its caller: the workspace, the ledger (to read cursors), the time, progress.
pub struct Context<'a> {
    /// The folder holding `assay.toml`; relative paths in source tables are resolved against it.
    pub workspace: &'a Path,
    /// The ledger, read-only: collectors read their cursors here.
    pub ledger: &'a Ledger,
    /// The collection time (`collected_at` of every item).
    pub now: Timestamp,
    /// Progress of the walk (units are collector-specific: commits, tags, events).
    pub progress: &'a mut dyn Progress,
}

impl std::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("workspace", &self.workspace)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

/// The result of one collector run, before it is stored.
#[derive(Debug, Default)]
pub struct Collected {
    /// Evidence items, in the order they should be appended.
    pub evidence: Vec<Evidence>,
    /// Cursors to record once the items are stored: `(key, value)`.
    pub cursors: Vec<(String, String)>,
}

/// A source of evidence.
pub trait Collector {
    /// The `[source.NAME]` this collector reads (also the `source.collector` of its items).
    fn source(&self) -> &str;
    /// Read the source and return the items and the cursors to remember. Must not write anything.
    fn collect(&self, ctx: &mut Context<'_>) -> Result<Collected, CollectError>;
}

/// What one collector run stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunSummary {
    pub source: String,
    /// Items the collector produced.
    pub items: usize,
    /// Items that were not already in the ledger.
    pub new: usize,
    /// Ledger indices of the new items (first and last), when any.
    pub first_new: Option<u64>,
    pub last_new: Option<u64>,
}

/// Collect one source and append its evidence as one batch; cursors are recorded only after the batch is stored.
pub fn run(
    collector: &dyn Collector,
    ledger: &mut Ledger,
    workspace: &Path,
    now: Timestamp,
    progress: &mut dyn Progress,
) -> Result<RunSummary, CollectError> {
    let collected = {
        let mut ctx = Context {
            workspace,
            ledger,
            now,
            progress,
        };
        collector.collect(&mut ctx)?
    };
    let source = collector.source().to_owned();
    let outcomes = ledger
        .append(&collected.evidence, &mut assay_ledger::NoProgress)
        .map_err(|e| CollectError::Ledger {
            source_name: source.clone(),
            message: e.to_string(),
        })?;
    for (key, value) in &collected.cursors {
        ledger
            .set_cursor(&source, key, value)
            .map_err(|e| CollectError::Ledger {
                source_name: source.clone(),
                message: e.to_string(),
            })?;
    }
    let new: Vec<u64> = outcomes.iter().filter(|o| o.new).map(|o| o.index).collect();
    Ok(RunSummary {
        source,
        items: outcomes.len(),
        new: new.len(),
        first_new: new.first().copied(),
        last_new: new.last().copied(),
    })
}

/// Build the evidence `Source` of a collector.
pub(crate) fn source(collector: &str, locator: impl Into<String>) -> assay_ledger::Source {
    assay_ledger::Source {
        collector: collector.to_owned(),
        locator: locator.into(),
    }
}
