//! OpenLineage 2-0-2 validation, both ways:
//! * **differential**: `tests/openlineage/write_events.py` writes a varied set of events with the real
//!   `openlineage-python` client (all three event types, every facet we keep, UUIDv7 run ids, offsets) and every
//!   one must be accepted, recognised as the event type the client says it is, and read back with its kept
//!   facets intact — one by one, as a batch body and through the file collector into a ledger. The Python comes
//!   from `ASSAY_OPENLINEAGE_PYTHON`, which `scripts/test` sets after `scripts/openlineage-venv.sh`; without it
//!   the test is skipped on a developer machine and **fails** when `CI` is set.
//! * **invalid cases as data**: `tests/cases/openlineage_invalid.json`; each must be rejected at the JSON pointer
//!   the case names, and the file collector must name the file, line and pointer and store nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use assay_collect::CollectError;
use assay_collect::openlineage::{
    EventType, OpenLineageCollector, OpenLineageConfig, ingest_batch, ingest_event, validate,
};
use assay_ledger::{EvidenceKind, Ledger, ListFilter, NoProgress};
use jiff::Timestamp;
use serde_json::Value;

fn python() -> Option<PathBuf> {
    match std::env::var_os("ASSAY_OPENLINEAGE_PYTHON") {
        Some(p) if Path::new(&p).exists() => Some(PathBuf::from(p)),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but ASSAY_OPENLINEAGE_PYTHON is missing: scripts/test must run scripts/openlineage-venv.sh"
            );
            eprintln!(
                "skipping: set ASSAY_OPENLINEAGE_PYTHON (scripts/openlineage-venv.sh prints it) to test against the real client"
            );
            None
        }
    }
}

fn collector(files: &[&str]) -> OpenLineageCollector {
    OpenLineageCollector::new(OpenLineageConfig {
        files: files.iter().map(PathBuf::from).collect(),
    })
}

fn now() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().expect("time")
}

/// Run the real client; returns the lines of events.jsonl and the batch body.
fn client_events(py: &Path, dir: &Path) -> (Vec<String>, Vec<u8>) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/openlineage/write_events.py");
    let out = Command::new(py)
        .arg(&script)
        .arg(dir)
        .output()
        .expect("run the OpenLineage client script");
    assert!(
        out.status.success(),
        "write_events.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let jsonl = std::fs::read_to_string(dir.join("events.jsonl")).expect("events.jsonl");
    let batch = std::fs::read(dir.join("batch.json")).expect("batch.json");
    (jsonl.lines().map(str::to_owned).collect(), batch)
}

/// The facets of `names` in `facets`, as an object (what the ingest must keep).
fn kept(facets: Option<&Value>, names: &[&str]) -> Value {
    let mut m = serde_json::Map::new();
    for n in names {
        if let Some(f) = facets.and_then(|f| f.get(*n)) {
            m.insert((*n).to_owned(), f.clone());
        }
    }
    Value::Object(m)
}

fn check_datasets(sent: Option<&Value>, stored: &Value, what: &str) {
    let sent = sent.and_then(Value::as_array).cloned().unwrap_or_default();
    let stored = stored.as_array().expect("stored datasets");
    assert_eq!(sent.len(), stored.len(), "{what}");
    for (a, b) in sent.iter().zip(stored) {
        assert_eq!(a["namespace"], b["namespace"], "{what}");
        assert_eq!(a["name"], b["name"], "{what}");
        assert_eq!(
            kept(a.get("facets"), &["version", "schema"]),
            b["facets"],
            "{what}"
        );
    }
}

#[test]
fn events_written_by_the_real_client_are_accepted_and_read_back() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let (lines, batch) = client_events(&py, dir.path());
    assert!(lines.len() >= 10, "the client wrote {} events", lines.len());
    let mut seen = std::collections::BTreeSet::new();
    let mut kept_facets = std::collections::BTreeSet::new();
    for (i, line) in lines.iter().enumerate() {
        let sent: Value = serde_json::from_str(line).expect("client JSON");
        let what = format!("event {} ({})", i + 1, &line[..line.len().min(120)]);
        let t = validate(&sent).unwrap_or_else(|e| panic!("{what} rejected: {e}"));
        // The client states the definition in schemaURL; our oneOf must agree.
        let fragment = sent["schemaURL"]
            .as_str()
            .and_then(|s| s.rsplit('/').next())
            .expect("schemaURL");
        assert_eq!(t.as_str(), fragment, "{what}");
        seen.insert(t.as_str());
        let ev = ingest_event(line.as_bytes(), "client", now())
            .unwrap_or_else(|e| panic!("{what} rejected: {e}"));
        assert_eq!(ev.kind, EvidenceKind::OpenlineageRunEvent);
        assert_eq!(ev.payload["event"], t.as_str(), "{what}");
        let observed: Timestamp = sent["eventTime"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("time");
        assert_eq!(ev.observed_at, observed, "{what}");
        let p = &ev.payload;
        match t {
            EventType::Run | EventType::Job => {
                assert_eq!(
                    ev.subject,
                    format!(
                        "job:{}/{}",
                        sent["job"]["namespace"].as_str().expect("ns"),
                        sent["job"]["name"].as_str().expect("name")
                    )
                );
                assert_eq!(
                    p["job"]["facets"],
                    kept(
                        sent.pointer("/job/facets"),
                        &["sourceCodeLocation", "jobType"]
                    ),
                    "{what}"
                );
                check_datasets(sent.get("inputs"), &p["inputs"], &what);
                check_datasets(sent.get("outputs"), &p["outputs"], &what);
                if t == EventType::Run {
                    assert_eq!(p["run"]["runId"], sent["run"]["runId"], "{what}");
                    assert_eq!(
                        p.get("eventType").cloned().unwrap_or(Value::Null),
                        sent.get("eventType").cloned().unwrap_or(Value::Null),
                        "{what}"
                    );
                    assert_eq!(
                        p["run"]["facets"],
                        kept(
                            sent.pointer("/run/facets"),
                            &["parent", "nominalTime", "errorMessage"]
                        ),
                        "{what}"
                    );
                } else {
                    assert!(p.get("run").is_none(), "{what}");
                }
            }
            EventType::Dataset => {
                assert_eq!(
                    ev.subject,
                    format!(
                        "dataset:{}/{}",
                        sent["dataset"]["namespace"].as_str().expect("ns"),
                        sent["dataset"]["name"].as_str().expect("name")
                    )
                );
                check_datasets(
                    Some(&Value::Array(vec![sent["dataset"].clone()])),
                    &Value::Array(vec![p["dataset"].clone()]),
                    &what,
                );
            }
        }
        for ptr in [
            "/job/facets/sourceCodeLocation",
            "/job/facets/jobType",
            "/run/facets/parent",
            "/run/facets/nominalTime",
            "/run/facets/errorMessage",
            "/outputs/0/facets/version",
            "/inputs/0/facets/schema",
            "/dataset/facets/version",
        ] {
            if p.pointer(ptr).is_some() {
                kept_facets.insert(ptr.rsplit('/').next().expect("name").to_owned());
            }
        }
        // The run ids the client makes are UUIDv7.
        if let Some(id) = p.pointer("/run/runId").and_then(Value::as_str) {
            assert_eq!(id.as_bytes()[14], b'7', "{what}: {id} is not a UUIDv7");
        }
        // Dropped facets are gone.
        assert!(p.pointer("/job/facets/sql").is_none(), "{what}");
        assert!(p.pointer("/run/facets/tags").is_none(), "{what}");
    }
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        ["DatasetEvent", "JobEvent", "RunEvent"]
    );
    assert_eq!(
        kept_facets.into_iter().collect::<Vec<_>>(),
        [
            "errorMessage",
            "jobType",
            "nominalTime",
            "parent",
            "schema",
            "sourceCodeLocation",
            "version"
        ]
    );

    // The same events as one batch body give the same payloads.
    let items = ingest_batch(&batch, "batch", now()).expect("batch accepted");
    assert_eq!(items.len(), lines.len());
    for (line, item) in lines.iter().zip(&items) {
        let one = ingest_event(line.as_bytes(), "x", now()).expect("valid");
        assert_eq!(one.payload, item.payload);
    }

    // Through the file collector into a ledger, twice: the second run adds nothing.
    let ws = dir.path();
    let c = collector(&["events.jsonl", "batch.json"]);
    let mut ledger = Ledger::init(ws).expect("ledger");
    for round in 0..2 {
        let sum = assay_collect::run(&c, &mut ledger, ws, now(), &mut NoProgress).expect("collect");
        assert_eq!(sum.items, 2 * lines.len());
        // JSONL and the array differ in locator only, so both are stored once each.
        assert_eq!(sum.new, if round == 0 { 2 * lines.len() } else { 0 });
    }
    let stored = ledger
        .list(&ListFilter {
            kind: Some(EvidenceKind::OpenlineageRunEvent),
            ..ListFilter::default()
        })
        .expect("list");
    assert_eq!(stored.len(), 2 * lines.len());
}

fn cases() -> (Value, Vec<Value>) {
    let doc: Value =
        serde_json::from_str(include_str!("cases/openlineage_invalid.json")).expect("cases parse");
    let cases = doc["cases"].as_array().expect("cases").clone();
    (doc["base"].clone(), cases)
}

fn build(base: &Value, c: &Value) -> Value {
    if let Some(e) = c.get("event") {
        return e.clone();
    }
    let mut v = base.clone();
    for ptr in c
        .get("remove")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let ptr = ptr.as_str().expect("pointer");
        let (parent, key) = ptr.rsplit_once('/').expect("pointer");
        let obj = v
            .pointer_mut(parent)
            .and_then(Value::as_object_mut)
            .unwrap_or_else(|| panic!("case removes {ptr}, whose parent is not an object"));
        assert!(obj.remove(key).is_some(), "case removes {ptr}, not in base");
    }
    if let Some(set) = c.get("set").and_then(Value::as_object) {
        for (ptr, value) in set {
            let (parent, key) = ptr.rsplit_once('/').expect("pointer");
            let obj = v
                .pointer_mut(parent)
                .and_then(Value::as_object_mut)
                .unwrap_or_else(|| panic!("case sets {ptr}, whose parent is not an object"));
            obj.insert(key.to_owned(), value.clone());
        }
    }
    v
}

#[test]
fn the_base_of_the_invalid_cases_is_valid() {
    let (base, _) = cases();
    assert_eq!(validate(&base), Ok(EventType::Run));
}

#[test]
fn invalid_cases_are_rejected_at_the_named_pointer() {
    let (base, cases) = cases();
    assert!(cases.len() >= 30);
    let mut failures = Vec::new();
    for c in &cases {
        let note = c["note"].as_str().expect("note");
        let want_ptr = c["pointer"].as_str().expect("pointer");
        let want_reason = c["reason"].as_str().expect("reason");
        match validate(&build(&base, c)) {
            Ok(t) => failures.push(format!("{note}: accepted as {}", t.as_str())),
            Err(e) if e.pointer != want_ptr || !e.reason.contains(want_reason) => failures.push(
                format!("{note}: expected {want_ptr:?} ~ {want_reason:?}, got {e:?}"),
            ),
            Err(e) => assert!(!e.hint.is_empty(), "{note}: no hint"),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_file_collector_names_file_line_and_pointer_and_stores_nothing() {
    let (base, cases) = cases();
    let dir = tempfile::tempdir().expect("tempdir");
    let ws = dir.path();
    let bad = cases
        .iter()
        .find(|c| c["note"] == "runId is not a UUID")
        .expect("case");
    let lines = [
        base.to_string(),
        String::new(),
        build(&base, bad).to_string(),
    ];
    std::fs::write(ws.join("events.jsonl"), lines.join("\n") + "\n").expect("write");
    let mut ledger = Ledger::init(ws).expect("ledger");
    let err = assay_collect::run(
        &collector(&["events.jsonl"]),
        &mut ledger,
        ws,
        now(),
        &mut NoProgress,
    )
    .expect_err("invalid event");
    let CollectError::Malformed {
        location, message, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(location, "events.jsonl line 3");
    assert!(
        message.contains("at /run/runId: must be a UUID"),
        "{message}"
    );
    assert!(message.contains("hint:"), "{message}");
    assert!(
        ledger
            .list(&ListFilter::default())
            .expect("list")
            .is_empty()
    );

    // In a .json array the pointer starts with the index.
    std::fs::write(
        ws.join("events.json"),
        format!("[{}, {}]", base, build(&base, bad)),
    )
    .expect("write");
    let err = assay_collect::run(
        &collector(&["events.json"]),
        &mut ledger,
        ws,
        now(),
        &mut NoProgress,
    )
    .expect_err("invalid event");
    assert!(err.to_string().contains("at /1/run/runId"), "{err}");
}
