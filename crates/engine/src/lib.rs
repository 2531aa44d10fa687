//! # assay-engine — evaluates controls over evidence
//!
//! This room answers "which controls hold, which fail, which can we not see — at this date, and over this
//! period?". It takes the catalog's controls with their Rego tests (run by `regorus`, Rego v1), the user's
//! scope (`assay.toml`) and evidence items read from the ledger by kind, and returns one result per
//! control: `pass`, `fail`, `not_verifiable` or `not_applicable`, with dated occurrences that name the
//! ledger indices they rest on. Over a period (Type 2) it builds the expected occurrences from the
//! control's frequency, lists exceptions with dates and reasons, computes the deviation rate and a verdict.
//! It also draws reproducible samples and renders results as SARIF, JUnit XML and Markdown.
//!
//! The input/output contract of a control's Rego module is specified in `docs/controls.md`.
//!
//! What this room must **not** do: collect evidence or write to the ledger (the CLI stores results),
//! read the clock (every evaluation time is passed in), print or exit. `not_verifiable` is never
//! turned into a pass or a fail here or anywhere downstream.

mod cases;
mod custom;
mod eval;
mod input;
mod model;
mod native;
mod period;
mod render;
mod sample;

pub use cases::{CaseOutcome, compare_compiled, run_cases};
pub use custom::{CustomControl, load_custom_controls};
pub use eval::{ControlEngine, evaluate, evaluate_on, evaluate_with};
pub use model::{
    CategoryReadiness, ComponentView, ControlResult, Counts, CriterionStatus, EvidenceSet,
    Exception, ExclusionView, Item, Occurrence, Payload, PeriodResult, Report, ScopeView, Status,
    TeamView, Verdict, Window, lookback, rfc3339,
};
pub use render::{junit, markdown, sarif};
pub use sample::{Population, SampleTable, draw_sample, zero_deviation_sample_size};

/// Errors of this crate. Every variant names the control (and file) at fault.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("the Rego test of {control} ({path}) does not compile: {message}")]
    Compile {
        control: String,
        path: String,
        message: String,
    },
    #[error("the Rego test of {control} ({path}) failed while evaluating: {message}")]
    Evaluate {
        control: String,
        path: String,
        message: String,
    },
    #[error(
        "the Rego test of {control} ({path}) returned an occurrence that breaks the contract: {message}"
    )]
    Output {
        control: String,
        path: String,
        message: String,
    },
    #[error("the test cases of {control} ({path}) are not valid: {message}")]
    Cases {
        control: String,
        path: String,
        message: String,
    },
    #[error("{message}")]
    Sample { message: String },
    /// A stored evidence item the engine cannot read.
    #[error("evidence item {index} cannot be read: {reason}")]
    Evidence { index: u64, reason: String },
    /// A file of a workspace control (`controls/`) is missing or wrong.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Custom {
        path: std::path::PathBuf,
        line: Option<usize>,
        message: String,
        hint: String,
    },
}
