//! What the binary-level tests share: running `assay` with a fixed environment (no colour, 100 columns, the clock
//! pinned with `ASSAY_NOW`, no inherited `ASSAY_CONFIG`), and building the demo workspace.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The clock every test run of `assay` sees.
pub const NOW: &str = "2026-12-01T12:00:00Z";

pub fn assay(dir: &Path, args: &[&str]) -> Output {
    assay_cmd(dir, args).output().expect("run assay")
}

/// The command `assay` runs, for a test that adds to its environment.
pub fn assay_cmd(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_assay"));
    c.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env("ASSAY_NOW", NOW)
        .env_remove("ASSAY_CONFIG")
        .env_remove("ASSAY_COLOR");
    c
}

pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `assay demo` in a fresh temporary folder; the workspace is `assay-demo` inside it.
pub fn demo() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().expect("tempdir");
    let out = assay(t.path(), &["demo", "-q"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let ws = t.path().join("assay-demo");
    (t, ws)
}
