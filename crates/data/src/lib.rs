//! # assay-data — data controls
//!
//! This room holds the controls Assay runs on data itself, each producing evidence for the ledger:
//!
//! * [`read`]: streaming CSV, JSONL and Parquet readers (bounded memory, directories of files, strict
//!   errors naming file and row);
//! * [`stats`] and [`drift`]: Evidently-compatible drift tests whose numbers match scipy, dataset drift
//!   share, and model performance against a baseline;
//! * [`pii`]: a byte scanner for personal data and secrets with validators (Luhn, mod-97, checksums),
//!   and keyed HMAC-SHA256 pseudonymisation;
//! * [`validate`]: ingestion rules (schema, nulls, ranges, sets, uniqueness, regex-like patterns, row
//!   counts, label shift, duplicate bursts);
//! * [`snapshot`]: dataset manifests with a Merkle root, and verification against them;
//! * [`fairness`]: group metrics for binary classifiers;
//! * [`evidence`]: turning each report into a ledger [`assay_ledger::Evidence`] item.
//!
//! What this room must **not** do: print, exit or read the clock (callers pass `now`); write to the
//! ledger itself (the CLI appends what [`evidence`] builds); keep a pseudonymisation key anywhere but
//! in memory, or put it in a report.

pub mod drift;
pub mod error;
pub mod evidence;
pub mod fairness;
pub mod pii;
pub mod read;
pub mod snapshot;
pub mod stats;
pub mod validate;

pub use error::{DataError, Result};
