//! Bodies for the collectors' parsers (`assay-collect`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use assay_collect::gto::{GtoEvent, parse_tag};
use assay_collect::iam_aws::{self, AssetRule};
use assay_collect::lfs::{Pointer, parse_pointer};
use assay_collect::{dvc, mlflow, modelscan, openlineage, pickle};
use assay_ledger::Evidence;
use serde_json::Value;

use crate::{now, scratch, split_nul};

fn ledger_accepts(e: &Evidence, what: &str) {
    if let Err(err) = e.validate() {
        panic!("{what} built evidence the ledger rejects: {err:?}");
    }
    e.canonical_bytes()
        .unwrap_or_else(|err| panic!("{what} built evidence that does not encode: {err:?}"));
}

pub fn dvc_yaml(data: &[u8]) {
    let _ = dvc::looks_like_text(data);
    let _ = dvc::file_md5(data, true);
    let Ok(doc) = dvc::yaml(data) else { return };
    let _ = dvc::params_files_of(&doc);
    // Stages of a dvc.yaml / dvc.lock name their params files the same way.
    if let Some(stages) = doc.get("stages").and_then(Value::as_object) {
        for stage in stages.values() {
            let _ = dvc::params_files_of(stage);
        }
    }
    let mut flat = BTreeMap::new();
    dvc::flatten("", &doc, &mut flat);
    for (k, v) in &flat {
        assert!(
            v.as_object().is_none_or(serde_json::Map::is_empty),
            "flatten left a nested table under `{k}`"
        );
    }
}

fn gto_text(e: &GtoEvent) -> String {
    let n = |c: &Option<u64>| c.map(|c| format!("#{c}")).unwrap_or_default();
    match e {
        GtoEvent::Register {
            artifact,
            version,
            counter,
        } => format!("{artifact}@{version}{}", n(counter)),
        GtoEvent::Deregister {
            artifact,
            version,
            counter,
        } => format!("{artifact}@{version}!{}", n(counter)),
        GtoEvent::Deprecate { artifact, counter } => format!("{artifact}@deprecated{}", n(counter)),
        GtoEvent::Assign {
            artifact,
            stage,
            counter,
        } => format!("{artifact}#{stage}{}", n(counter)),
        GtoEvent::Unassign {
            artifact,
            stage,
            counter,
        } => format!("{artifact}#{stage}!{}", n(counter)),
    }
}

pub fn gto_tag(data: &[u8]) {
    let Ok(tag) = std::str::from_utf8(data) else {
        return;
    };
    let Some(event) = parse_tag(tag) else { return };
    assert!(
        !event.artifact().is_empty(),
        "`{tag}` parsed with an empty artifact"
    );
    let again = gto_text(&event);
    assert_eq!(
        parse_tag(&again).as_ref(),
        Some(&event),
        "`{tag}` → {event:?} → `{again}` does not parse back"
    );
}

fn pointer_text(p: &Pointer) -> String {
    let mut keys: BTreeMap<&str, String> = p
        .other
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    keys.insert("oid", p.oid.clone());
    keys.insert("size", p.size.to_string());
    let mut s = format!("version {}\n", p.version);
    for (k, v) in keys {
        let _ = writeln!(s, "{k} {v}");
    }
    s
}

pub fn lfs_pointer(data: &[u8]) {
    let Some(p) = parse_pointer(data) else { return };
    let again = pointer_text(&p);
    // A pointer written back may be longer than the input (`size 01` → `size 1` is shorter, never longer,
    // but extension keys sort the same), so only compare when it fits the size limit.
    if again.len() < 1024 {
        assert_eq!(
            parse_pointer(again.as_bytes()).as_ref(),
            Some(&p),
            "pointer {p:?} written as {again:?} does not parse back"
        );
    }
}

pub fn openlineage_event(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The first byte picks the file kind: even → one `.json` document, odd → `.jsonl`.
    let path = if data.first().is_some_and(|b| b % 2 == 0) {
        Path::new("events.json")
    } else {
        Path::new("events.jsonl")
    };
    let Ok(events) = openlineage::parse_file(path, text) else {
        return;
    };
    for ev in events {
        assert!(ev.line >= 1, "line numbers are 1-based");
        let valid = openlineage::validate(&ev.value);
        if let Ok(e) = openlineage::ingest_value(&ev.value, "events.jsonl:1", now()) {
            assert!(valid.is_ok(), "ingested an event the validator rejects");
            ledger_accepts(&e, "the OpenLineage collector");
        }
    }
    // The HTTP endpoint's entry points take raw bytes: never a panic, and the batch is all or nothing.
    let _ = openlineage::ingest_event(data, "http", now());
    if let Ok(list) = openlineage::ingest_batch(data, "http", now()) {
        for e in &list {
            ledger_accepts(e, "the OpenLineage batch ingest");
        }
    }
}

pub fn mlflow_json(data: &[u8]) {
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let base = "http://127.0.0.1:5000";
    // The shapes the collector reads: one object, or the list under the keys of the search endpoints.
    let mut objects = vec![&v];
    for key in [
        "registered_models",
        "model_versions",
        "runs",
        "registered_model",
        "model_version",
        "run",
    ] {
        match v.get(key) {
            Some(Value::Array(a)) => objects.extend(a.iter()),
            Some(o @ Value::Object(_)) => objects.push(o),
            _ => {}
        }
    }
    let aliases = vec!["champion".to_owned()];
    for o in objects {
        if let Some(e) = mlflow::registered_model_evidence(base, o, now()) {
            ledger_accepts(&e, "registered_model_evidence");
        }
        if let Some(e) = mlflow::model_version_evidence(base, o, &aliases, Some("run-1"), now()) {
            ledger_accepts(&e, "model_version_evidence");
        }
        if let Some(e) = mlflow::model_version_evidence(base, o, &[], None, now()) {
            ledger_accepts(&e, "model_version_evidence");
        }
        if let Some(e) = mlflow::run_evidence(base, o, now()) {
            ledger_accepts(&e, "run_evidence");
        }
    }
}

/// Lines of the free part: `action resource` pairs to evaluate.
fn requests(free: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(free);
    let mut out: Vec<(String, String)> = text
        .lines()
        .take(8)
        .map(|l| match l.split_once(' ') {
            Some((a, r)) => (a.to_owned(), r.to_owned()),
            None => (l.to_owned(), "*".to_owned()),
        })
        .collect();
    if out.is_empty() {
        out.push(("s3:PutObject".into(), "arn:aws:s3:::bucket/key".into()));
    }
    out
}

pub fn iam_export(data: &[u8]) {
    let (doc, free) = split_nul(data);
    let Ok(text) = std::str::from_utf8(doc) else {
        return;
    };
    let Ok(account) = iam_aws::parse_export(text) else {
        return;
    };
    let reqs = requests(free);
    let rules: Vec<AssetRule> = reqs
        .iter()
        .map(|(a, r)| AssetRule {
            asset: "dataset:fuzz".into(),
            resource: r.clone(),
            actions: vec![a.clone()],
        })
        .collect();
    for p in account.principals.iter().take(16) {
        for (a, r) in &reqs {
            let first = account.evaluate(p, a, r);
            assert_eq!(
                first,
                account.evaluate(p, a, r),
                "evaluation is not deterministic"
            );
        }
    }
    let g = iam_aws::grants(&account, &rules);
    assert_eq!(
        g,
        iam_aws::grants(&account, &rules),
        "grants are not deterministic"
    );
}

pub fn iam_policy(data: &[u8]) {
    let (doc, free) = split_nul(data);
    let free = String::from_utf8_lossy(free);
    let mut lines = free.lines();
    let (pattern, text) = (lines.next().unwrap_or(""), lines.next().unwrap_or(""));
    assert!(
        iam_aws::wildcard("*", text, false),
        "`*` does not match `{text}`"
    );
    if !pattern.contains(['*', '?']) {
        assert!(
            iam_aws::wildcard(pattern, pattern, false),
            "`{pattern}` does not match itself"
        );
        assert!(
            iam_aws::wildcard(pattern, pattern, true),
            "`{pattern}` does not match itself (ci)"
        );
    }
    let _ = iam_aws::wildcard(pattern, text, true);
    let doc: Value = match serde_json::from_slice(doc) {
        Ok(v) => v,
        // The IAM API returns the document as URL-encoded JSON text.
        Err(_) => match std::str::from_utf8(doc) {
            Ok(s) => Value::String(s.to_owned()),
            Err(_) => return,
        },
    };
    let Ok(policy) = iam_aws::parse_policy("fuzz", &doc) else {
        return;
    };
    for (a, r) in requests(free.as_bytes()) {
        let e = iam_aws::evaluate(&[&policy], &a, &r);
        if e.decision == iam_aws::Decision::Allow {
            assert!(!e.allowed_by.is_empty(), "allowed with no statement");
        }
    }
}

pub fn pickle_walk(data: &[u8]) {
    let mut r = data;
    if let Ok(walks) = pickle::walk_all(&mut r) {
        let mut end = 0;
        for w in &walks {
            assert!(w.length > end, "a walk consumed nothing");
            end = w.length;
        }
        assert_eq!(
            end,
            data.len() as u64,
            "walks do not end where the input ends"
        );
    }
    let _ = pickle::walk(&mut &data[..], 0);
}

pub fn model_file(data: &[u8]) {
    let (ext, body) = match data.split_first() {
        Some((b, rest)) => (
            modelscan::MODEL_EXTENSIONS[*b as usize % modelscan::MODEL_EXTENSIONS.len()],
            rest,
        ),
        None => ("pkl", data),
    };
    let path = scratch(&format!("model.{ext}"));
    std::fs::write(&path, body).expect("write the scratch file");
    let scan = modelscan::scan_file(&path, &["collections.OrderedDict".to_owned()])
        .expect("a readable file always scans");
    assert_eq!(scan.size, body.len() as u64, "size");
    assert_eq!(scan.sha256.len(), 64, "sha256 is hex");
    let dir = path.parent().expect("the scratch file has a folder");
    let e = modelscan::evidence(&scan, dir, now(), now());
    ledger_accepts(&e, "the model-file scanner");
}

pub fn source_config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(doc) = text.parse::<toml::Table>() else {
        return;
    };
    let tables: Vec<(String, toml::Table)> = match doc.get("source").and_then(|s| s.as_table()) {
        Some(t) => t
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_table()?.clone())))
            .collect(),
        None => return,
    };
    if let Ok((configs, _skipped)) = assay_collect::configure(&tables, Path::new("/workspace")) {
        for (_, c) in &configs {
            let _ = c.collector();
        }
    }
}

/// Parse twice: never a panic, and the same answer both times (compared as printed, so NaN is equal to itself).
fn deterministic<T: std::fmt::Debug, E>(what: &str, parse: impl Fn() -> Result<T, E>) -> Option<T> {
    let once = parse().ok();
    let again = parse().ok();
    assert_eq!(
        format!("{once:?}"),
        format!("{again:?}"),
        "{what} answered twice differently"
    );
    once
}

fn utf8(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

pub fn github_pulls(data: &[u8]) {
    let Some(t) = utf8(data) else { return };
    if let Some(pulls) = deterministic("parse_pulls", || assay_collect::github::parse_pulls(t)) {
        assert!(pulls.len() <= t.len(), "more pull requests than bytes");
    }
}

pub fn jira_issues(data: &[u8]) {
    let Some(t) = utf8(data) else { return };
    let fields = assay_collect::jira::Fields::default();
    deterministic("parse_issues", || {
        assay_collect::jira::parse_issues(t, &fields)
    });
}

pub fn deployment_log(data: &[u8]) {
    let Some(t) = utf8(data) else { return };
    if let Some(list) = deterministic("parse_log", || assay_collect::deployments::parse_log(t)) {
        assert!(
            list.len() <= t.lines().count(),
            "more deployments than JSONL lines"
        );
    }
}

pub fn access_reviews(data: &[u8]) {
    let Some(t) = utf8(data) else { return };
    deterministic("parse_reviews_csv", || {
        assay_collect::access_reviews::parse_reviews_csv(t)
    });
    deterministic("parse_reviews_json", || {
        assay_collect::access_reviews::parse_reviews_json(t)
    });
}

pub fn vuln_report(data: &[u8]) {
    let Some(t) = utf8(data) else { return };
    deterministic("parse_report", || {
        assay_collect::vulnerabilities::parse_report(t)
    });
}

pub fn gcp_policy(data: &[u8]) {
    let Some(t) = utf8(data) else { return };
    deterministic("parse_policy", || assay_collect::iam_gcp::parse_policy(t));
}

pub fn k8s_rbac(data: &[u8]) {
    let Some(t) = utf8(data) else { return };
    deterministic("parse_rbac", || assay_collect::k8s_rbac::parse_rbac(t));
}

pub fn terraform_show(data: &[u8]) {
    let Some(t) = utf8(data) else { return };
    deterministic("parse_show", || assay_collect::terraform::parse_show(t));
    deterministic("parse_hpa_manifests", || {
        assay_collect::terraform::parse_hpa_manifests(t)
    });
}

pub fn credential_report(data: &[u8]) {
    let Some(t) = utf8(data) else { return };
    let Some(rows) = deterministic("parse_credential_report", || {
        assay_collect::iam_aws::parse_credential_report(t)
    }) else {
        return;
    };
    for r in &rows {
        assert_eq!(
            r.console_access, r.password_enabled,
            "console access is the password flag"
        );
        assert!(r.access_keys_active <= 2, "at most two access keys");
        assert!(r.arn.starts_with("arn:"), "every row has an ARN");
    }
    assert!(
        rows.len() <= t.lines().count(),
        "never more rows than lines"
    );
}

pub fn incident_records(data: &[u8]) {
    let Some(t) = utf8(data) else { return };
    // The file name picks the format (CSV, JSON or JSONL), as in the collector.
    for name in ["incidents.csv", "incidents.json", "incidents.jsonl"] {
        deterministic("parse_records", || {
            assay_collect::incidents::parse_records(name, t)
        });
    }
}

/// Commit objects, as the git collector reads them: no panic; whenever the bytes are read in place (the common
/// layout), gix's full decoder reads them too and the collector writes the same payload; every payload is
/// canonical JSON.
pub fn git_commit(data: &[u8]) {
    let id = "0123456789abcdef0123456789abcdef01234567";
    let Ok((payload, in_place)) = assay_collect::git::commit_payload("repo", id, data, false)
    else {
        return;
    };
    assert!(
        assay_ledger::jcs::CanonicalJson::from_bytes(payload.as_bytes().to_vec()).is_ok(),
        "a commit payload that is not canonical JSON"
    );
    if in_place {
        let (full, _) = assay_collect::git::commit_payload("repo", id, data, true)
            .expect("bytes read in place are bytes the full decoder reads");
        assert_eq!(
            payload, full,
            "the in-place reader and the full decoder disagree"
        );
    }
}
