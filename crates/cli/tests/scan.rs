//! `assay scan models` through the binary: a pickle that calls os.system is flagged (exit 1), a safetensors
//! file passes (exit 0), missing paths exit 2, SARIF and JSON are well formed, and --record is idempotent.

mod common;
use common::assay;

/// Protocol 2: GLOBAL posix.system, the argument tuple, REDUCE, STOP — what `pickle.dumps` writes for an object
/// whose `__reduce__` returns `(os.system, ("id",))` on Linux.
const EXPLOIT: &[u8] = b"\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.";

fn safetensors() -> Vec<u8> {
    let header = br#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
    let mut f = (header.len() as u64).to_le_bytes().to_vec();
    f.extend_from_slice(header);
    f.extend_from_slice(&[0u8; 8]);
    f
}

fn workspace() -> tempfile::TempDir {
    let t = tempfile::tempdir().expect("tempdir");
    let models = t.path().join("models");
    std::fs::create_dir_all(&models).expect("models dir");
    std::fs::write(models.join("legacy-scorer.pkl"), EXPLOIT).expect("write");
    std::fs::write(models.join("fraud-scorer.safetensors"), safetensors()).expect("write");
    std::fs::write(models.join("README.md"), "not a model").expect("write");
    t
}

#[test]
fn a_malicious_pickle_is_flagged_and_safetensors_passes() {
    let t = workspace();
    let out = assay(t.path(), &["scan", "models", "models"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("DANGEROUS  models/legacy-scorer.pkl"),
        "{text}"
    );
    assert!(
        text.contains("dangerous import posix.system at byte 2 (GLOBAL, called)"),
        "{text}"
    );
    assert!(
        text.contains("safe       models/fraud-scorer.safetensors"),
        "{text}"
    );
    assert!(text.contains("2 files scanned, 1 flagged"), "{text}");
    let ok = assay(
        t.path(),
        &["scan", "models", "models/fraud-scorer.safetensors"],
    );
    assert_eq!(ok.status.code(), Some(0));
    let missing = assay(t.path(), &["scan", "models", "nope.pkl"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read nope.pkl"));
}

#[test]
fn json_and_sarif_describe_every_finding() {
    let t = workspace();
    let out = assay(t.path(), &["scan", "models", "models", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["flagged"], 1);
    let files = v["files"].as_array().expect("files");
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["verdict"], "safe");
    assert_eq!(files[1]["verdict"], "dangerous");
    assert_eq!(files[1]["findings"][0]["import"], "posix.system");
    let sarif = assay(t.path(), &["scan", "models", "models", "--format", "sarif"]);
    let s: serde_json::Value = serde_json::from_slice(&sarif.stdout).expect("sarif json");
    assert_eq!(s["version"], "2.1.0");
    let results = s["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["ruleId"], "model-file/dangerous-import");
    assert_eq!(results[0]["level"], "error");
    let rules: Vec<&str> = s["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert!(rules.contains(&"model-file/dangerous-import"));
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "models/legacy-scorer.pkl"
    );
}

#[test]
fn record_writes_model_file_scan_evidence_once() {
    let t = workspace();
    let first = assay(
        t.path(),
        &["scan", "models", "models", "--record", "--json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&first.stdout).expect("json");
    assert_eq!(v["recorded"], 2);
    let again = assay(
        t.path(),
        &["scan", "models", "models", "--record", "--json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&again.stdout).expect("json");
    assert_eq!(
        v["recorded"], 0,
        "an unchanged file is the same observation"
    );
    let list = assay(
        t.path(),
        &["evidence", "list", "--kind", "model.file_scan", "--json"],
    );
    let items: serde_json::Value = serde_json::from_slice(&list.stdout).expect("json");
    let text = items.to_string();
    assert!(text.contains("artifact:models/legacy-scorer.pkl"), "{text}");
    assert!(text.contains("\"dangerous\""), "{text}");
}
