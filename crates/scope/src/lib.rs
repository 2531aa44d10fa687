//! # assay-scope — the user's system description
//!
//! This room owns `assay.toml`: its types, parsing with source positions, the scoping checks behind
//! `assay scope check`, the annotated template written by `assay init`, and the JSON Schema editors
//! use to complete the file.
//!
//! It reads the description and judges how it is scoped; it must not collect evidence, evaluate
//! controls, print or exit. Findings carry stable codes and a line so the CLI can render them.

mod check;
mod model;
mod template;

use std::path::{Path, PathBuf};

pub use check::{ComponentCoverage, Finding, Report, RiskCoverage, Severity, check};
pub use model::{
    AlertSettings, Component, ControlSettings, Cuec, DataClass, Environment, Exclusion,
    JobFunction, KNOWN_SOURCES, Method, Subservice, System, SystemDescription, Team, Webhook,
    WebhookFormat,
};
pub use template::init_template;

/// The largest description file Assay reads, to keep a stray file from exhausting memory.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Errors of this crate. Every variant names the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum ScopeError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is {size} bytes; a system description may be at most {MAX_FILE_BYTES} bytes")]
    TooLarge { path: PathBuf, size: u64 },
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
        /// Byte range of the offending text, when the parser knows it.
        span: Option<std::ops::Range<usize>>,
    },
}

impl ScopeError {
    /// What the user can do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            ScopeError::Read { .. } => {
                "run `assay init` to write a description, or pass its path with --config"
            }
            ScopeError::TooLarge { .. } => {
                "point --config at the system description, not a data file"
            }
            ScopeError::Parse { .. } => {
                "fix the line shown; `assay scope schema` prints the JSON Schema of every field"
            }
        }
    }
}

/// A parsed description together with its source text, so findings can point at lines.
#[derive(Debug, Clone)]
pub struct Scope {
    pub path: PathBuf,
    pub text: String,
    pub description: SystemDescription,
}

impl Scope {
    /// Read and parse a description file.
    pub fn load(path: &Path) -> Result<Scope, ScopeError> {
        Scope::parse(path, read(path)?)
    }

    /// Parse description text; `path` is only used in messages.
    pub fn parse(path: &Path, text: String) -> Result<Scope, ScopeError> {
        match toml::from_str::<SystemDescription>(&text) {
            Ok(description) => Ok(Scope {
                path: path.to_owned(),
                text,
                description,
            }),
            Err(err) => {
                let span = err.span();
                let (line, column) = span
                    .as_ref()
                    .map(|s| line_col(&text, s.start))
                    .unwrap_or((1, 1));
                Err(ScopeError::Parse {
                    path: path.to_owned(),
                    line,
                    column,
                    message: err.message().trim().to_owned(),
                    span,
                })
            }
        }
    }

    /// 1-based line of a byte offset in the source.
    pub fn line_of(&self, offset: usize) -> usize {
        line_col(&self.text, offset).0
    }
}

/// Read a description file's text, refusing files over [`MAX_FILE_BYTES`].
pub fn read(path: &Path) -> Result<String, ScopeError> {
    let read_err = |source| ScopeError::Read {
        path: path.to_owned(),
        source,
    };
    let size = std::fs::metadata(path).map_err(read_err)?.len();
    if size > MAX_FILE_BYTES {
        return Err(ScopeError::TooLarge {
            path: path.to_owned(),
            size,
        });
    }
    std::fs::read_to_string(path).map_err(read_err)
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit_once('\n')
        .map_or(before, |(_, tail)| tail)
        .chars()
        .count()
        + 1;
    (line, column)
}

/// The JSON Schema of `assay.toml`.
pub fn json_schema() -> serde_json::Value {
    serde_json::Value::from(schemars::schema_for!(SystemDescription))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(line_col(text, 9), (2, 3));
        assert_eq!(line_col(text, 999), (3, 1));
    }

    #[test]
    fn parse_errors_name_line_and_column() {
        let text = "[system]\nname = \"x\"\nservice = \"y\"\ncriteria = [\"security\"\n".to_owned();
        let err = Scope::parse(Path::new("assay.toml"), text).expect_err("malformed");
        let ScopeError::Parse { line, .. } = &err else {
            panic!("expected a parse error, got {err}");
        };
        assert_eq!(*line, 4, "{err}");
        assert!(
            err.to_string()
                .starts_with("assay.toml:4:23: unclosed array"),
            "{err}"
        );
    }

    #[test]
    fn unknown_fields_are_rejected_where_they_stand() {
        let text = "[system]\nname = \"x\"\nservice = \"y\"\ncriteria = [\"security\"]\n\n[[component]]\nid = \"a\"\nstage = \"training\"\nin_scope = true\ninscope = false\n".to_owned();
        let err = Scope::parse(Path::new("assay.toml"), text).expect_err("typo");
        let msg = err.to_string();
        assert!(msg.starts_with("assay.toml:10:"), "{msg}");
        assert!(msg.contains("inscope"), "{msg}");
    }

    #[test]
    fn oversized_files_are_refused_before_reading() {
        let dir = std::env::temp_dir().join(format!("assay-scope-big-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("assay.toml");
        let file = std::fs::File::create(&path).expect("create");
        file.set_len(MAX_FILE_BYTES + 1).expect("set_len");
        let err = Scope::load(&path).expect_err("too large");
        assert!(matches!(err, ScopeError::TooLarge { .. }), "{err}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn committed_schema_is_current() {
        let generated =
            serde_json::to_string_pretty(&json_schema()).expect("schema serialises") + "\n";
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema/assay.schema.json");
        if std::env::var_os("ASSAY_UPDATE_SCHEMA").is_some() {
            std::fs::write(&path, &generated).expect("write schema");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "schema/assay.schema.json is stale: run `ASSAY_UPDATE_SCHEMA=1 cargo test -p assay-scope committed_schema_is_current` and commit it"
        );
    }
}
