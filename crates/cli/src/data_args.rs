//! Arguments of `assay data …` (clap derive), kept beside `args.rs` so other commands' edits there
//! do not collide with these.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Compare a current dataset with a reference: per-column drift tests, dataset drift share,
    /// model performance against the reference (exit 1 on drift or degradation).
    Drift(DriftArgs),
    /// Check a dataset against ingestion rules (exit 1 when a rule fails).
    Validate(ValidateArgs),
    /// Record a dataset's manifest (every file's SHA-256 and size) and its Merkle root.
    Snapshot(SnapshotArgs),
    /// Compare a dataset with a recorded snapshot and list added, removed and modified files.
    Verify(DataVerifyArgs),
    /// Scan files for personal data and secrets.
    Scan(ScanArgs),
    /// Write a copy with personal data masked or replaced by keyed pseudonyms.
    Redact(RedactArgs),
    /// Group fairness metrics of a binary classifier's predictions.
    Fairness(FairnessArgs),
}

/// Options every recording data command shares.
#[derive(Debug, Args, Clone)]
pub struct RecordArgs {
    /// The asset the evidence is about (default: `dataset:<name of the data path>`).
    #[arg(long)]
    pub subject: Option<String>,
    /// Do not record the result in the ledger.
    #[arg(long)]
    pub no_record: bool,
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    /// The reference (baseline) data: a CSV, JSONL or Parquet file or a directory of them.
    #[arg(long, value_name = "PATH")]
    pub reference: PathBuf,
    /// The current data to compare.
    #[arg(long, value_name = "PATH")]
    pub current: PathBuf,
    /// Only these columns (comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "COL")]
    pub columns: Vec<String>,
    /// The label column, for performance against the reference.
    #[arg(long, value_name = "COL")]
    pub target: Option<String>,
    /// The prediction column (labels or scores in [0, 1]; numbers for regression).
    #[arg(long, value_name = "COL", requires = "target")]
    pub prediction: Option<String>,
    /// Per-column tests and thresholds, drift share, performance thresholds (TOML, see docs/data.md).
    #[arg(long = "drift-config", value_name = "PATH")]
    pub drift_config: Option<PathBuf>,
    /// Also write a self-contained HTML report here.
    #[arg(long, value_name = "PATH")]
    pub html: Option<PathBuf>,
    #[command(flatten)]
    pub record: RecordArgs,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The rules file (TOML, see docs/data.md).
    #[arg(long, value_name = "PATH")]
    pub rules: PathBuf,
    /// The data to check.
    pub data: PathBuf,
    /// Reference data for label-distribution rules.
    #[arg(long, value_name = "PATH")]
    pub reference: Option<PathBuf>,
    #[command(flatten)]
    pub record: RecordArgs,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// The dataset: a file or a directory.
    pub path: PathBuf,
    /// The dataset's name.
    #[arg(long)]
    pub name: String,
    /// The version being recorded.
    #[arg(long)]
    pub version: String,
}

#[derive(Debug, Args)]
pub struct DataVerifyArgs {
    /// The dataset as it is now.
    pub path: PathBuf,
    /// The dataset's name.
    #[arg(long)]
    pub name: String,
    /// The recorded version to compare with.
    #[arg(long)]
    pub version: String,
    /// Do not record the result in the ledger.
    #[arg(long)]
    pub no_record: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    Text,
    Json,
    Sarif,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format (`--json` is the same as `--format json`).
    #[arg(long, value_enum, default_value = "text")]
    pub format: ScanFormat,
    /// Report findings at or above this confidence (0–1).
    #[arg(long, default_value_t = 0.4)]
    pub min_confidence: f64,
    /// Locations listed in SARIF output at most.
    #[arg(long, default_value_t = 1000)]
    pub max_locations: usize,
    #[command(flatten)]
    pub record: RecordArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RedactMode {
    /// Replace each value with a keyed HMAC-SHA256 pseudonym (same input and key, same output).
    Pseudonymise,
    /// Replace each value with `[ENTITY]`.
    Mask,
}

#[derive(Debug, Args)]
pub struct RedactArgs {
    /// The file to clean.
    pub input: PathBuf,
    /// Where to write the cleaned copy.
    #[arg(long, short, value_name = "PATH")]
    pub out: PathBuf,
    #[arg(long, value_enum, default_value = "pseudonymise")]
    pub mode: RedactMode,
    /// A file holding the pseudonymisation key (at least 16 bytes); else `ASSAY_PSEUDONYM_KEY`.
    #[arg(long, value_name = "PATH")]
    pub key_file: Option<PathBuf>,
    /// Replace findings at or above this confidence.
    #[arg(long, default_value_t = 0.4)]
    pub min_confidence: f64,
    #[command(flatten)]
    pub record: RecordArgs,
}

#[derive(Debug, Args)]
pub struct FairnessArgs {
    /// Predictions with labels and the sensitive attribute (CSV, JSONL or Parquet).
    #[arg(long, value_name = "PATH")]
    pub predictions: PathBuf,
    /// The sensitive attribute's column.
    #[arg(long, value_name = "COL")]
    pub sensitive: String,
    /// The label column.
    #[arg(long, value_name = "COL", default_value = "label")]
    pub target: String,
    /// The prediction column (0/1 labels, or scores thresholded at 0.5).
    #[arg(long, value_name = "COL", default_value = "prediction")]
    pub prediction: String,
    /// Largest allowed demographic parity difference.
    #[arg(long, default_value_t = 0.1)]
    pub max_parity_difference: f64,
    /// Largest allowed equal opportunity difference.
    #[arg(long, default_value_t = 0.1)]
    pub max_opportunity_difference: f64,
    /// Smallest allowed disparate impact ratio (the four-fifths rule).
    #[arg(long, default_value_t = 0.8)]
    pub min_impact_ratio: f64,
    /// The model the predictions come from (default: `model:<file name>`).
    #[arg(long)]
    pub subject: Option<String>,
    /// Do not record the result in the ledger.
    #[arg(long)]
    pub no_record: bool,
}
