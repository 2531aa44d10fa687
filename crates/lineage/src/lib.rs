//! # assay-lineage — how a model version was made, from ledger evidence
//!
//! This room builds a lineage graph from what the collectors stored — GTO registry tags, git commits, DVC
//! pipelines and data pointers, Git LFS pointers, OpenLineage run events, MLflow runs and model versions,
//! deployments — and answers the auditor's question: *for this deployed model version, exactly which data,
//! code and parameters produced it?* ([`trace()`]).
//!
//! Nodes are model versions, training runs, commits, dataset versions, pipeline stages, jobs and deployments;
//! every edge carries the ledger indices of the items that prove it. Every link that cannot be established is a
//! [`Finding`] written as a sentence a person understands.
//!
//! What this room must **not** do: print or exit (renderers return strings); collect (that is `collect`);
//! read the clock; change the ledger. The lineage index ([`index`]) is derived data beside the ledger,
//! rebuilt from it whenever the two disagree.

pub mod graph;
pub mod index;
pub mod render;
pub mod trace;

pub use graph::Graph;
pub use index::{Appended, IndexUpdate, LineageIndex, TraceRead, trace_indexed};
pub use render::{render_markdown, render_text};
pub use trace::{Finding, Selector, Trace, trace};

/// Why a trace could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum LineageError {
    /// The selector is not `MODEL`, `MODEL@VERSION`, `MODEL:ALIAS` or `MODEL#STAGE`.
    #[error("`{selector}` is not a model selector: {reason}")]
    BadSelector { selector: String, reason: String },
    /// No evidence names this model.
    #[error("no registry evidence names the model `{model}`")]
    UnknownModel { model: String, known: Vec<String> },
    /// The model exists but the version, alias or stage does not.
    #[error("model `{model}` has no {what} `{wanted}`")]
    NotFound {
        model: String,
        what: &'static str,
        wanted: String,
        known: Vec<String>,
    },
    /// The ledger could not be read.
    #[error("cannot read the ledger: {message}")]
    Ledger { message: String },
    /// The lineage index file could not be read or written.
    #[error("lineage index {}: {message}", path.display())]
    Index {
        path: std::path::PathBuf,
        message: String,
    },
}
