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
//! nothing of that source is appended. (Large histories are read while they are stored, in batches — see
//! [`run`] for what a failure part-way leaves behind.)
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

use assay_ledger::{CanonicalEvidence, Evidence, Ledger, Progress};
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
    /// Items still to be produced, appended after `evidence`, in this order (see [`Deferred`]).
    pub deferred: Vec<Deferred>,
    /// Cursors to record once the items are stored: `(key, value)`.
    pub cursors: Vec<(String, String)>,
}

/// A sink for produced items: takes a batch, and answers `false` when it takes no more (the producer then stops).
pub type Sink<'a> = dyn FnMut(Vec<CanonicalEvidence>) -> bool + 'a;

type Produce = Box<dyn FnOnce(&mut Sink<'_>) -> Result<(), CollectError> + Send>;

/// Items a collector builds after [`Collector::collect`] returned, without the ledger: [`run`] calls it on a
/// thread of its own and stores each batch while the next is being built (for git: decoding commits overlaps
/// with storing them).
pub struct Deferred(Produce);

impl Deferred {
    /// A producer handing its items, in append order, to the sink it is given.
    pub fn new(
        produce: impl FnOnce(&mut Sink<'_>) -> Result<(), CollectError> + Send + 'static,
    ) -> Self {
        Deferred(Box::new(produce))
    }

    /// Build the items, handing them to `sink` batch by batch.
    pub fn produce(self, sink: &mut Sink<'_>) -> Result<(), CollectError> {
        (self.0)(sink)
    }
}

impl std::fmt::Debug for Deferred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Deferred")
    }
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

/// A batch [`run_observed`] has just appended: the items and, for each, what the ledger did with it.
#[derive(Debug, Clone, Copy)]
pub enum StoredBatch<'a> {
    /// Items the collector returned in [`Collected::evidence`].
    Evidence(&'a [Evidence], &'a [assay_ledger::AppendOutcome]),
    /// Items a [`Deferred`] producer built, payloads already canonical.
    Canonical(&'a [CanonicalEvidence], &'a [assay_ledger::AppendOutcome]),
}

/// Collect one source and append its evidence; cursors are recorded only after every item is stored.
///
/// `Collected::evidence` is appended as one batch. [`Deferred`] items are appended in batches as they are built
/// (each batch one transaction): if a producer or the store fails part-way, the batches before stay stored but
/// the cursors are not recorded, so the next run reads the same history again and stores only what is missing.
pub fn run(
    collector: &dyn Collector,
    ledger: &mut Ledger,
    workspace: &Path,
    now: Timestamp,
    progress: &mut dyn Progress,
) -> Result<RunSummary, CollectError> {
    run_observed(collector, ledger, workspace, now, progress, &mut |_| {})
}

/// [`run`], handing every batch to `stored` right after the ledger appended it (in append order), so that a
/// caller can derive what it needs from the items while they are in memory.
pub fn run_observed(
    collector: &dyn Collector,
    ledger: &mut Ledger,
    workspace: &Path,
    now: Timestamp,
    progress: &mut dyn Progress,
    stored: &mut dyn FnMut(StoredBatch<'_>),
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
    let ledger_error = |e: assay_ledger::LedgerError| CollectError::Ledger {
        source_name: source.clone(),
        message: e.to_string(),
    };
    let mut outcomes = if collected.evidence.is_empty() {
        Vec::new()
    } else {
        let o = ledger
            .append(&collected.evidence, &mut assay_ledger::NoProgress)
            .map_err(ledger_error)?;
        stored(StoredBatch::Evidence(&collected.evidence, &o));
        o
    };
    for deferred in collected.deferred {
        let (produced, result) = store_while_producing(deferred, ledger, &mut outcomes, stored);
        produced?;
        result.map_err(ledger_error)?;
    }
    for (key, value) in &collected.cursors {
        ledger
            .set_cursor(&source, key, value)
            .map_err(ledger_error)?;
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

/// Run `deferred` on a second thread and append its batches here as they arrive.
fn store_while_producing(
    deferred: Deferred,
    ledger: &mut Ledger,
    outcomes: &mut Vec<assay_ledger::AppendOutcome>,
    stored: &mut dyn FnMut(StoredBatch<'_>),
) -> (Result<(), CollectError>, assay_ledger::Result<()>) {
    std::thread::scope(|s| {
        // Two batches in flight while one is stored: the producer never runs far ahead of the ledger, and does not
        // wait while the ledger commits (an fsync, now and then a checkpoint).
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<CanonicalEvidence>>(2);
        let producer = s.spawn(move || deferred.produce(&mut |batch| tx.send(batch).is_ok()));
        let mut result = Ok(());
        for batch in rx.iter() {
            match ledger.append_canonical(&batch, &mut assay_ledger::NoProgress) {
                Ok(o) => {
                    stored(StoredBatch::Canonical(&batch, &o));
                    outcomes.extend(o);
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        drop(rx); // a producer blocked on a full channel sees the sink closed and stops
        let produced = producer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (produced, result)
    })
}

/// Build the evidence `Source` of a collector.
pub(crate) fn source(collector: &str, locator: impl Into<String>) -> assay_ledger::Source {
    assay_ledger::Source {
        collector: collector.to_owned(),
        locator: locator.into(),
    }
}
