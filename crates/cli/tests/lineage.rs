//! `assay collect` and `assay trace` through the binary, on the demo workspace (whose git repository the demo
//! builds with gix): the production model's chain is complete (exit 0), the planted dirty-tree version is
//! reported (exit 1), JSON and Markdown forms, bad selectors and unknown sources exit 2.

mod common;
use common::{assay, code, demo, stdout};

#[test]
fn production_trace_is_complete_and_shows_hashes_commit_params_and_stages() {
    let (_t, ws) = demo();
    let out = assay(&ws, &["trace", "fraud-scorer#prod"]);
    let text = stdout(&out);
    assert_eq!(code(&out), 0, "{text}");
    for needle in [
        "fraud-scorer v1.2.0",
        "stage now:  prod, staging",
        "lfs-oid sha256:",
        "assign prod by Ben Okafor",
        "param       train.n_estimators = 500",
        "dirty tree: no",
        "data/transactions.csv (input of prepare)",
        "dvc-file data/transactions.csv.dvc",
        "kestrel.etl/export_transactions",
        "Chain complete",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}

#[test]
fn the_planted_dirty_tree_is_a_finding_and_exit_1() {
    let (_t, ws) = demo();
    let out = assay(&ws, &["trace", "fraud-scorer@v1.1.0"]);
    let text = stdout(&out);
    assert_eq!(code(&out), 1, "{text}");
    assert!(text.contains("[dirty-tree]"), "{text}");
    assert!(text.contains("trained from uncommitted changes"), "{text}");
    let json = assay(&ws, &["trace", "fraud-scorer@v1.1.0", "--format", "json"]);
    assert_eq!(code(&json), 1);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(v["findings"][0]["code"], "dirty-tree");
    assert!(v["findings"][0]["evidence"][0].as_u64().is_some());
    assert!(v["edges"].as_array().is_some_and(|e| !e.is_empty()));
    assert!(
        v["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .all(|e| !e["evidence"].as_array().expect("evidence").is_empty())
    );
    let md = assay(&ws, &["trace", "fraud-scorer@v1.1.0", "--format", "md"]);
    assert!(stdout(&md).contains("## Broken links"));
}

#[test]
fn collecting_again_adds_nothing() {
    let (_t, ws) = demo();
    let before = assay(&ws, &["evidence", "list", "--json"]);
    let out = assay(&ws, &["collect", "--json"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    for s in v["sources"].as_array().expect("sources") {
        assert_eq!(s["new"], 0, "{s}");
    }
    let after = assay(&ws, &["evidence", "list", "--json"]);
    assert_eq!(before.stdout, after.stdout);
}

#[test]
fn bad_input_exits_2_and_changes_nothing() {
    let (_t, ws) = demo();
    let bad = assay(&ws, &["trace", "fraud-scorer@"]);
    assert_eq!(code(&bad), 2);
    let unknown = assay(&ws, &["trace", "churn@v1"]);
    assert_eq!(code(&unknown), 2);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("fraud-scorer"));
    let no_version = assay(&ws, &["trace", "fraud-scorer@v9.9.9"]);
    assert_eq!(code(&no_version), 2);
    let no_source = assay(&ws, &["collect", "--source", "incidents"]);
    assert_eq!(code(&no_source), 2);
    assert!(String::from_utf8_lossy(&no_source.stderr).contains("[source.incidents]"));

    // A malformed OpenLineage event: exit 2 naming file and line, nothing of the source stored.
    let before = assay(&ws, &["evidence", "list", "--json"]).stdout;
    let events = ws.join("lineage/etl-events.jsonl");
    let mut text = std::fs::read_to_string(&events).expect("events");
    text.push_str("{\"eventTime\": \"2025-04-01T00:00:00Z\", \"producer\": \"https://x\", \"schemaURL\": \"https://x\", \"run\": {\"runId\": \"nope\"}, \"job\": {\"namespace\": \"a\", \"name\": \"b\"}}\n");
    std::fs::write(&events, text).expect("write");
    let out = assay(&ws, &["collect", "--source", "openlineage"]);
    assert_eq!(code(&out), 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("etl-events.jsonl line 7"), "{err}");
    assert!(err.contains("/run/runId"), "{err}");
    assert_eq!(assay(&ws, &["evidence", "list", "--json"]).stdout, before);
}

#[test]
fn the_lineage_index_gives_the_same_traces_as_reading_the_ledger_whole() {
    let (_t, ws) = demo();
    let index = ws.join(".assay/lineage-index.db");
    assert!(index.exists(), "collect builds the lineage index");
    for sel in [
        "fraud-scorer#prod",
        "fraud-scorer@v1.1.0",
        "fraud-scorer",
        "fraud-scorer#staging",
    ] {
        let a = assay(&ws, &["trace", sel, "--json"]);
        let b = assay(&ws, &["trace", sel, "--json", "--no-index"]);
        assert_eq!(code(&a), code(&b), "{sel}");
        assert_eq!(stdout(&a), stdout(&b), "{sel}");
    }
    // Derived data: a corrupt index is replaced, a deleted one is rebuilt; the answers stay the same.
    let whole = stdout(&assay(
        &ws,
        &["trace", "fraud-scorer#prod", "--json", "--no-index"],
    ));
    std::fs::write(&index, b"not a database").expect("write");
    let bypassed = assay(&ws, &["trace", "fraud-scorer#prod", "--json"]);
    assert_eq!(code(&bypassed), 0);
    assert_eq!(stdout(&bypassed), whole);
    assert_ne!(std::fs::read(&index).expect("index"), b"not a database");
    std::fs::remove_file(&index).expect("remove");
    let again = assay(&ws, &["trace", "fraud-scorer#prod", "--json"]);
    assert_eq!(code(&again), 0);
    assert!(index.exists());
    let out = assay(&ws, &["collect", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["lineage_index"]["indexed"], 0, "{v}");
    assert!(
        v["lineage_index"]["covered"]
            .as_u64()
            .is_some_and(|c| c > 0),
        "{v}"
    );
}
