//! The one error type of this crate. Every variant names the file (and row or line) at fault.

use std::path::PathBuf;

/// Why a data command could not run.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}, row {row}: {message}")]
    Csv {
        path: PathBuf,
        /// 1-based line number where the bad record starts (the header is line 1).
        row: u64,
        message: String,
    },
    #[error("{path}, row {row}: the bytes are not valid UTF-8 ({place})")]
    Utf8 {
        path: PathBuf,
        row: u64,
        /// Where in the row, e.g. `field 3, byte 2`.
        place: String,
    },
    #[error("{path}, line {line}: {message}")]
    Json {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{path}: not a readable Parquet file: {message}")]
    Parquet { path: PathBuf, message: String },
    #[error("{path}: unsupported file type (expected .csv, .jsonl, .ndjson or .parquet)")]
    UnsupportedFormat { path: PathBuf },
    #[error("{path}: no data files found")]
    NoFiles { path: PathBuf },
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("column `{column}` is not in {path}")]
    UnknownColumn { column: String, path: PathBuf },
    #[error(
        "column `{column}` has no values in {side} data after dropping nulls, NaN and infinities"
    )]
    EmptyColumn { column: String, side: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("pseudonymisation key: {message}")]
    Key { message: String },
}

impl DataError {
    /// What a person can do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            DataError::Io { .. } => "check that the path exists and is readable",
            DataError::Csv { .. } => {
                "fix the record: quote fields containing commas, quotes or newlines, and double quotes inside quoted fields (\"\")"
            }
            DataError::Utf8 { .. } => {
                "re-encode the file as UTF-8 (for example `iconv -f latin1 -t utf-8`)"
            }
            DataError::Json { .. } => "each line of a JSONL file must be one JSON object",
            DataError::Parquet { .. } => {
                "the file is truncated or not Parquet; re-export it and check its size"
            }
            DataError::UnsupportedFormat { .. } => {
                "rename the file with the right extension or convert it to CSV, JSONL or Parquet"
            }
            DataError::NoFiles { .. } => {
                "point at a .csv, .jsonl or .parquet file, or a directory holding some"
            }
            DataError::Config { .. } => "fix the value named; docs/data.md lists every key",
            DataError::UnknownColumn { .. } => "check the column name (it is case-sensitive)",
            DataError::EmptyColumn { .. } => {
                "drop the column from --columns or fix the data feeding it"
            }
            DataError::Invalid { .. } => "fix the value named",
            DataError::Key { .. } => {
                "pass --key-file PATH (a file of at least 16 bytes) or set ASSAY_PSEUDONYM_KEY"
            }
        }
    }
}

/// Shorthand used throughout the crate.
pub type Result<T, E = DataError> = std::result::Result<T, E>;

pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> DataError {
    let path = path.into();
    move |source| DataError::Io { path, source }
}
