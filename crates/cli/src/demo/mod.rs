//! `assay demo`: a realistic fictional AI company, Kestrel Labs, whose Fraud Scoring API is assessed
//! end to end.
//!
//! One module per part of the company. Each writes its slice of `assay.toml` and any files it owns
//! (later: git history, MLflow runs, IAM exports, datasets, policies), so the demo grows by adding
//! to the part that owns a thing rather than by editing one long script.

mod change;
mod company;
mod corporate;
mod data_platform;
pub mod datasets;
mod governance;
mod infrastructure;
mod ml_history;
mod ml_platform;
mod operations;
mod serving;
mod vendors;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub use change::PINNED as PINNED_EXPORTS;
pub use infrastructure::PINNED as PINNED_INFRA;
pub use ml_history::{BROKEN as BROKEN_MODEL, PRODUCTION as PRODUCTION_MODEL};
pub use operations::EVALUATIONS;

/// The file that marks a directory as built by `assay demo`, so a rebuild may replace it.
pub const MARKER: &str = ".assay-demo";

/// Why the demo could not be built.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{path} exists and was not made by `assay demo`")]
    NotADemo { path: PathBuf },
    #[error(
        "refusing to replace {path}: it is the current directory, one of its parents, or the home directory"
    )]
    Precious { path: PathBuf },
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// The workspace being written.
#[derive(Debug)]
pub struct Workspace {
    root: PathBuf,
    toml: String,
    files: Vec<String>,
    manual: Vec<ManualDocument>,
}

/// A document a person would record with `assay evidence add`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ManualDocument {
    /// Path relative to the workspace.
    pub path: &'static str,
    pub subject: &'static str,
    pub title: &'static str,
    /// Approval date (`YYYY-MM-DD`): the evidence's observed time.
    pub approved: &'static str,
    /// Expiry date (`YYYY-MM-DD`).
    pub expires: String,
}

impl Workspace {
    /// Append a fragment to assay.toml.
    fn describe(&mut self, fragment: &str) {
        self.toml.push_str(fragment.trim_start_matches('\n'));
        if !self.toml.ends_with("\n\n") {
            self.toml.push('\n');
        }
    }

    /// Write a file relative to the workspace root.
    fn file(&mut self, relative: &str, contents: &str) -> Result<(), DemoError> {
        self.file_bytes(relative, contents.as_bytes())
    }

    /// Write a binary file relative to the workspace root.
    fn file_bytes(&mut self, relative: &str, contents: &[u8]) -> Result<(), DemoError> {
        let path = self.root.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|source| DemoError::Io {
                path: parent.to_owned(),
                source,
            })?;
        }
        fs::write(&path, contents).map_err(|source| DemoError::Io { path, source })?;
        self.files.push(relative.to_owned());
        Ok(())
    }
}

/// One part of the company: writes its slice of assay.toml and its files.
type BuildPart = fn(&mut Workspace) -> Result<(), DemoError>;

/// What was built.
#[derive(Debug, serde::Serialize)]
pub struct Built {
    pub root: PathBuf,
    pub company: &'static str,
    pub system: &'static str,
    pub files: Vec<String>,
    pub parts: Vec<&'static str>,
    /// Documents to record as manual evidence.
    pub manual: Vec<ManualDocument>,
}

/// Build the demo workspace in `dir`, replacing an earlier demo there.
pub fn build(dir: &Path, force: bool) -> Result<Built, DemoError> {
    prepare(dir, force)?;
    let mut ws = Workspace {
        root: dir.to_owned(),
        toml: String::new(),
        files: Vec::new(),
        manual: Vec::new(),
    };
    let parts: [(&'static str, BuildPart); 12] = [
        ("company", company::build),
        ("governance", governance::build),
        ("data platform", data_platform::build),
        ("datasets", datasets::build),
        ("ML platform", ml_platform::build),
        ("serving", serving::build),
        ("corporate IT and people", corporate::build),
        ("vendors", vendors::build),
        (
            "ML history (git, DVC, GTO, LFS, OpenLineage)",
            ml_history::build,
        ),
        ("operations (IAM export, model files)", operations::build),
        (
            "infrastructure (Terraform state, IAM credential report)",
            infrastructure::build,
        ),
        (
            "change management and security operations (pull requests, tickets, deployments, access reviews, scans)",
            change::build,
        ),
    ];
    for (_, build_part) in &parts {
        build_part(&mut ws)?;
    }
    let toml = std::mem::take(&mut ws.toml);
    ws.file("assay.toml", toml.trim_end())?;
    ws.file(
        MARKER,
        "This directory was built by `assay demo`; running it again replaces it.\n",
    )?;
    ws.files.sort();
    Ok(Built {
        root: ws.root,
        company: company::COMPANY,
        system: company::SYSTEM,
        files: ws.files,
        parts: parts.iter().map(|(name, _)| *name).collect(),
        manual: ws.manual,
    })
}

/// Make `dir` an empty directory, refusing to clear anything that is not an earlier demo.
fn prepare(dir: &Path, force: bool) -> Result<(), DemoError> {
    let io_err = |source| DemoError::Io {
        path: dir.to_owned(),
        source,
    };
    match fs::read_dir(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(source) => return Err(io_err(source)),
        Ok(mut entries) => {
            let empty = entries.next().is_none();
            if !empty {
                if !dir.join(MARKER).is_file() {
                    if !force {
                        return Err(DemoError::NotADemo {
                            path: dir.to_owned(),
                        });
                    }
                    if is_precious(dir) {
                        return Err(DemoError::Precious {
                            path: dir.to_owned(),
                        });
                    }
                }
                // Empty the directory rather than removing it, so a shell standing inside it (`cd
                // assay-demo && assay demo .`) keeps a working directory that still exists.
                for entry in fs::read_dir(dir).map_err(io_err)? {
                    let path = entry.map_err(io_err)?.path();
                    let gone = if path.is_dir() && !path.is_symlink() {
                        fs::remove_dir_all(&path)
                    } else {
                        fs::remove_file(&path)
                    };
                    gone.map_err(|source| DemoError::Io {
                        path: path.clone(),
                        source,
                    })?;
                }
            }
        }
    }
    fs::create_dir_all(dir).map_err(io_err)
}

/// Directories `--force` must never clear: the current one, its parents, home, the root.
fn is_precious(dir: &Path) -> bool {
    let Ok(dir) = dir.canonicalize() else {
        return false;
    };
    let holds_cwd = std::env::current_dir()
        .and_then(|cwd| cwd.canonicalize())
        .is_ok_and(|cwd| cwd.starts_with(&dir));
    let is_home = std::env::var_os("HOME")
        .and_then(|home| Path::new(&home).canonicalize().ok())
        .is_some_and(|home| home == dir);
    holds_cwd || is_home || dir.parent().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_clear_a_foreign_directory() {
        let tmp = tempfile::tempdir().expect("tempdir");
        fs::write(tmp.path().join("precious.txt"), "keep me").expect("write");
        let err = build(tmp.path(), false).expect_err("must refuse");
        assert!(matches!(err, DemoError::NotADemo { .. }), "{err}");
        assert!(tmp.path().join("precious.txt").exists());
    }

    #[test]
    fn force_never_clears_the_current_directory_or_its_parents() {
        let cwd = std::env::current_dir().expect("cwd");
        assert!(is_precious(&cwd));
        assert!(is_precious(Path::new(".")));
        assert!(is_precious(Path::new("/")));
        let tmp = tempfile::tempdir().expect("tempdir");
        assert!(!is_precious(tmp.path()));
    }

    #[test]
    fn rebuilds_over_an_earlier_demo() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("demo");
        build(&dir, false).expect("first build");
        fs::write(dir.join("stray.txt"), "left over").expect("write");
        build(&dir, false).expect("second build");
        assert!(!dir.join("stray.txt").exists());
        assert!(dir.join("assay.toml").exists());
    }

    #[test]
    fn description_parses_and_plants_the_expected_warnings() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let built = build(tmp.path(), false).expect("build");
        let scope = assay_scope::Scope::load(&built.root.join("assay.toml")).expect("parses");
        let catalog = assay_catalog::Catalog::embedded().expect("catalog");
        let report = assay_scope::check(&scope, catalog);
        assert_eq!(report.errors(), 0, "{:#?}", report.findings);
        assert!(report.components >= 12);
        let planted: Vec<(&str, Option<&str>)> = report
            .findings
            .iter()
            .map(|f| (f.code, f.subject.as_deref()))
            .collect();
        assert!(
            planted.contains(&("W102", Some("sandbox:research-hub"))),
            "{planted:?}"
        );
        assert!(
            planted.contains(&("W104", Some("monitor:drift"))),
            "{planted:?}"
        );
        let stages: std::collections::BTreeSet<_> = scope
            .description
            .component
            .iter()
            .map(|c| c.get_ref().stage)
            .collect();
        assert_eq!(
            stages.len(),
            assay_catalog::Stage::ALL.len(),
            "every stage has a component"
        );
    }
}
