//! What the collector tests share: a workspace with export files, and a collection run at a given time.
#![allow(dead_code)]

use std::path::Path;

/// A temporary workspace holding `files` (relative path, contents) and an initialised ledger.
pub fn workspace(files: &[(&str, &str)]) -> (tempfile::TempDir, assay_ledger::Ledger) {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, text) in files {
        write(dir.path(), path, text);
    }
    let ledger = assay_ledger::Ledger::init(dir.path()).expect("ledger");
    (dir, ledger)
}

/// Write (or overwrite) one file of the workspace.
pub fn write(dir: &Path, path: &str, text: &str) {
    let full = dir.join(path);
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(full, text).expect("write");
}

/// One collection run at `at` (seconds since the epoch).
pub fn collect_at(
    collector: &dyn assay_collect::Collector,
    ledger: &mut assay_ledger::Ledger,
    dir: &Path,
    at: i64,
) -> Result<assay_collect::RunSummary, assay_collect::CollectError> {
    assay_collect::run(
        collector,
        ledger,
        dir,
        jiff::Timestamp::from_second(at).expect("ts"),
        &mut assay_ledger::NoProgress,
    )
}
