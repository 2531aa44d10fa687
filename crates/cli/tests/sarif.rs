//! Every SARIF document Assay writes (`assay check`, `assay scan models`, `assay data scan`) is validated by
//! Microsoft's SARIF Multitool (the SARIF SDK's `validate`: the official SARIF 2.1.0 JSON schema plus the SARIF
//! rules), fetched from the npm registry by `scripts/sarif-multitool.sh`, which `scripts/test` runs and whose
//! path it passes in `ASSAY_SARIF_MULTITOOL`. Without it the test is skipped on a developer machine and **fails**
//! when `CI` is set. A deliberately broken document must be rejected, so a validator that accepts anything
//! fails the test too.

mod common;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{assay, code, demo};
use serde_json::Value;

fn multitool() -> Option<PathBuf> {
    match std::env::var_os("ASSAY_SARIF_MULTITOOL") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but ASSAY_SARIF_MULTITOOL is missing: scripts/test must run scripts/sarif-multitool.sh"
            );
            eprintln!(
                "skipping: set ASSAY_SARIF_MULTITOOL (scripts/sarif-multitool.sh prints it) to validate SARIF"
            );
            None
        }
    }
}

/// The validator's findings on one file, as (level, rule id, message arguments).
fn validate(tool: &Path, file: &Path) -> Vec<(String, String, String)> {
    let report = file.with_extension("validation.sarif");
    let out = Command::new(tool)
        .arg("validate")
        .arg(file)
        .arg("--output")
        .arg(&report)
        .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
        .output()
        .expect("run the SARIF Multitool");
    assert!(
        out.status.success(),
        "the SARIF Multitool failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value =
        serde_json::from_slice(&std::fs::read(&report).expect("validation report")).expect("json");
    let mut found = Vec::new();
    for run in v["runs"].as_array().into_iter().flatten() {
        for r in run["results"].as_array().into_iter().flatten() {
            found.push((
                r["level"].as_str().unwrap_or("warning").to_owned(),
                r["ruleId"].as_str().unwrap_or("?").to_owned(),
                r["message"]["arguments"].to_string(),
            ));
        }
    }
    found
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p
}

#[test]
fn every_sarif_document_assay_writes_passes_the_sarif_multitool() {
    let Some(tool) = multitool() else {
        return;
    };
    let (t, ws) = demo();
    let check = assay(&ws, &["check", "--format", "sarif", "--no-record"]);
    assert_eq!(code(&check), 1, "the demo has failing controls");
    let scan = assay(&ws, &["scan", "models", "models", "--format", "sarif"]);
    assert_eq!(code(&scan), 1, "the demo has a malicious pickle");
    let pii = assay(
        &ws,
        &[
            "data",
            "scan",
            "datasets/training-extract.csv",
            "--format",
            "sarif",
            "--no-record",
        ],
    );
    for (name, out) in [("check", &check), ("scan", &scan), ("pii", &pii)] {
        let v: Value = serde_json::from_slice(&out.stdout).expect("sarif json");
        assert!(
            v["runs"][0]["results"]
                .as_array()
                .is_some_and(|r| !r.is_empty()),
            "{name}: a document with results"
        );
        let file = write(t.path(), &format!("{name}.sarif"), &out.stdout);
        let found = validate(&tool, &file);
        let errors: Vec<_> = found.iter().filter(|f| f.0 == "error").collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        // The SARIF rules' warnings (e.g. a missing rule help URI) are reported too: keep them at zero.
        assert!(found.is_empty(), "{name}: {found:#?}");
    }

    // The validator is live: a result without a message and with a property SARIF does not define is rejected.
    let mut broken: Value = serde_json::from_slice(&check.stdout).expect("json");
    let result = &mut broken["runs"][0]["results"][0];
    result
        .as_object_mut()
        .expect("result object")
        .remove("message");
    result["severity"] = Value::from("high");
    let file = write(
        t.path(),
        "broken.sarif",
        &serde_json::to_vec_pretty(&broken).expect("json"),
    );
    let found = validate(&tool, &file);
    assert!(
        found
            .iter()
            .any(|f| f.0 == "error" && f.2.contains("message")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|f| f.0 == "error" && f.2.contains("severity")),
        "{found:#?}"
    );
}
