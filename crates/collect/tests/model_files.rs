//! The unsafe-model-file scanner on files written by real Python (`scripts/model_fixtures.py`, standard library
//! only): every pickle protocol, zip-wrapped and legacy PyTorch layouts, safetensors, damaged files.

use std::path::{Path, PathBuf};

use assay_collect::modelscan::{Verdict, scan_file};

fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Safe => "safe",
        Verdict::Suspicious => "suspicious",
        Verdict::Unreadable => "unreadable",
        Verdict::Dangerous => "dangerous",
    }
}

/// Build the fixtures with python3; without it the test fails (CI installs nothing extra: python3 is on the
/// machine), so a missing interpreter is never a silent pass.
fn fixtures() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/model_fixtures.py");
    let status = std::process::Command::new("python3")
        .arg(&script)
        .arg(dir.path())
        .status();
    match status {
        Ok(s) if s.success() => {}
        other => {
            panic!("python3 is needed to build the model fixtures with real pickle ({other:?})")
        }
    }
    let p = dir.path().to_owned();
    (dir, p)
}

#[test]
fn real_python_pickles_get_their_verdicts() {
    let (_keep, dir) = fixtures();
    let manifest: std::collections::BTreeMap<String, String> =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).expect("manifest"))
            .expect("json");
    assert!(manifest.len() >= 25, "{manifest:?}");
    let mut wrong = Vec::new();
    for (file, expected) in &manifest {
        let scan = scan_file(&dir.join(file), &[]).expect("scan");
        if verdict_name(scan.verdict) != expected {
            wrong.push(format!(
                "{file}: expected {expected}, got {:?}: {:?} {:?}",
                scan.verdict, scan.findings, scan.notes
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn findings_name_the_import_and_an_allowlist_entry_clears_it() {
    let (_keep, dir) = fixtures();
    let exploit = scan_file(&dir.join("exploit-p2.pkl"), &[]).expect("scan");
    let f = &exploit.findings[0];
    assert!(f.import.ends_with(".system") && f.called, "{f:?}");
    // Dangerous imports cannot be allowed away.
    let still = scan_file(
        &dir.join("exploit-p2.pkl"),
        &["posix.*".into(), "os.*".into()],
    )
    .expect("scan");
    assert_eq!(still.verdict, Verdict::Dangerous);
    let custom = scan_file(&dir.join("custom-p4.joblib"), &[]).expect("scan");
    assert_eq!(custom.findings[0].import, "__main__.Custom");
    let vetted =
        scan_file(&dir.join("custom-p4.joblib"), &["__main__.Custom".into()]).expect("scan");
    assert_eq!(vetted.verdict, Verdict::Safe);
    let zipped = scan_file(&dir.join("model-exploit.pth"), &[]).expect("scan");
    assert_eq!(
        zipped.findings[0].member.as_deref(),
        Some("archive/data.pkl")
    );
    assert_eq!(exploit.sha256.len(), 64);
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let e = scan_file(Path::new("/nonexistent/model.pkl"), &[]).expect_err("missing");
    assert!(e.to_string().contains("/nonexistent/model.pkl"), "{e}");
}
