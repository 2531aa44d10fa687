//! The change-management, access-review and vulnerability collectors end to end against a real ledger: what is
//! stored, that a re-run stores nothing new, that a malformed export stores nothing of its source, that
//! `first_seen` survives across scans, and that deployments are derived from GTO evidence already in the ledger.

use std::path::Path;

use assay_collect::{RunSummary, configure};
use assay_ledger::{Evidence, EvidenceKind, Ledger, ListFilter, NoProgress};
use jiff::Timestamp;
use serde_json::{Value, json};

fn ts(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

fn collect(
    ws: &Path,
    ledger: &mut Ledger,
    toml_text: &str,
    now: &str,
) -> Result<Vec<RunSummary>, String> {
    let doc: toml::Table = toml_text.parse().expect("toml");
    let sources = doc
        .get("source")
        .and_then(|s| s.as_table())
        .cloned()
        .unwrap_or_default();
    let tables: Vec<(String, toml::Table)> = sources
        .into_iter()
        .map(|(k, v)| (k, v.as_table().cloned().unwrap_or_default()))
        .collect();
    let (configured, skipped) = configure(&tables, ws).map_err(|e| e.to_string())?;
    assert!(skipped.is_empty(), "{skipped:?}");
    let mut out = Vec::new();
    for (_, c) in configured {
        let col = c.collector();
        out.push(
            assay_collect::run(col.as_ref(), ledger, ws, ts(now), &mut NoProgress)
                .map_err(|e| e.to_string())?,
        );
    }
    Ok(out)
}

fn items(ledger: &Ledger, kind: EvidenceKind) -> Vec<Evidence> {
    ledger
        .list(&ListFilter {
            kind: Some(kind),
            ..ListFilter::default()
        })
        .expect("list")
        .into_iter()
        .map(|i| i.evidence)
        .collect()
}

fn write(ws: &Path, rel: &str, text: &str) {
    let p = ws.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

const CONFIG: &str = r#"
[source.github]
files = ["exports/github"]

[source.jira]
files = ["exports/jira/changes.json"]
approval_field = "customfield_10010"
approver_field = "customfield_10011"
approved_at_field = "customfield_10012"

[source.deployments]
files = ["exports/deployments.jsonl"]

[source.access_reviews]
files = [{ path = "exports/access-reviews.csv", at = "2026-12-01T06:00:00Z" }]

[source.vulnerabilities]
files = [{ path = "scans/day1/osv.json", at = "2026-10-05T06:00:00Z" }, { path = "scans/day2/osv.json", at = "2026-12-01T06:00:00Z" }]
"#;

fn pulls() -> String {
    let pr = |n: u64, author: &str, reviewer: &str| {
        json!({"number": n, "title": format!("Change {n}"), "state": "closed", "user": {"login": author},
            "created_at": "2026-10-01T09:00:00Z", "merged_at": "2026-10-02T15:00:00Z", "merged_by": {"login": author},
            "merge_commit_sha": format!("{n:040x}"),
            "base": {"ref": "main", "repo": {"full_name": "kestrel/fraud-model", "name": "fraud-model"}},
            "head": {"ref": "work", "sha": "1111111111111111111111111111111111111111"},
            "reviews": [{"user": {"login": reviewer}, "state": "APPROVED", "submitted_at": "2026-10-02T10:00:00Z",
                         "commit_id": "1111111111111111111111111111111111111111"}]})
    };
    // `gh api --paginate` writes one array per page.
    format!(
        "{}{}",
        json!([pr(41, "alice", "ben")]),
        json!([pr(42, "omar", "omar")])
    )
}

const JIRA: &str = r#"{"startAt": 0, "maxResults": 50, "total": 1, "issues": [{"key": "CHG-1201", "fields": {
  "summary": "Release fraud-scorer v1.3.0", "issuetype": {"name": "Change"}, "status": {"name": "Done"},
  "reporter": {"emailAddress": "alice@kestrel-labs.example"}, "created": "2026-10-01T09:00:00.000+0000",
  "updated": "2026-10-02T12:00:00.000+0000", "customfield_10010": {"value": "Approved"},
  "customfield_10011": {"emailAddress": "dana@kestrel-labs.example"}, "customfield_10012": "2026-10-02T11:00:00.000+0000"}}]}"#;

const DEPLOYS: &str = r#"{"time": "2026-10-03T17:05:00Z", "model": "fraud-scorer", "version": "v1.3.0", "environment": "production", "actor": "ci-deployer", "ticket": "CHG-1201", "commit": "0000000000000000000000000000000000000029"}
"#;

const REVIEWS: &str = "system,reviewer,date,population,removals\naws:production,dana@kestrel-labs.example,2026-10-06,42,3\n";

fn osv(ids: &[&str]) -> String {
    let vulns: Vec<Value> = ids
        .iter()
        .map(|id| json!({"id": id, "summary": "s", "database_specific": {"severity": "CRITICAL"},
            "affected": [{"package": {"name": "torch"}, "ranges": [{"events": [{"introduced": "0"}, {"fixed": "2.2.0"}]}]}]}))
        .collect();
    json!({"results": [{"source": {"path": "requirements.txt", "type": "lockfile"}, "packages": [
        {"package": {"name": "torch", "version": "2.1.0", "ecosystem": "PyPI"}, "vulnerabilities": vulns}]}]})
    .to_string()
}

fn workspace() -> tempfile::TempDir {
    let t = tempfile::tempdir().expect("tempdir");
    let ws = t.path();
    write(ws, "exports/github/fraud-model.json", &pulls());
    write(ws, "exports/jira/changes.json", JIRA);
    write(ws, "exports/deployments.jsonl", DEPLOYS);
    write(ws, "exports/access-reviews.csv", REVIEWS);
    write(ws, "scans/day1/osv.json", &osv(&["GHSA-pg7h-5qx3-wjr3"]));
    write(
        ws,
        "scans/day2/osv.json",
        &osv(&["GHSA-pg7h-5qx3-wjr3", "GHSA-new0-0000-0000"]),
    );
    t
}

#[test]
fn every_source_is_stored_once() {
    let t = workspace();
    let ws = t.path();
    let mut ledger = Ledger::init(ws).expect("ledger");
    let first = collect(ws, &mut ledger, CONFIG, "2026-12-01T12:00:00Z").expect("collect");
    let counts: Vec<(String, usize, usize)> = first
        .iter()
        .map(|s| (s.source.clone(), s.items, s.new))
        .collect();
    assert_eq!(
        counts,
        vec![
            ("github".into(), 2, 2),
            ("jira".into(), 1, 1),
            ("deployments".into(), 1, 1),
            ("access_reviews".into(), 1, 1),
            // two scan records and three findings (one finding seen on both days)
            ("vulnerabilities".into(), 5, 5),
        ]
    );
    let again = collect(ws, &mut ledger, CONFIG, "2026-12-02T12:00:00Z").expect("again");
    assert!(again.iter().all(|s| s.new == 0), "{again:?}");

    let prs = items(&ledger, EvidenceKind::ChangePullRequest);
    assert_eq!(prs[1].payload["self_approved"], true);
    assert_eq!(prs[1].subject, "repo:fraud-model");
    let ticket = &items(&ledger, EvidenceKind::ChangeTicket)[0];
    assert_eq!(ticket.subject, "ticket:CHG-1201");
    assert_eq!(ticket.observed_at, ts("2026-10-02T11:00:00Z"));
    let d = &items(&ledger, EvidenceKind::Deployment)[0];
    assert_eq!(
        (d.subject.as_str(), d.payload["version"].as_str()),
        ("model:fraud-scorer", Some("v1.3.0"))
    );
    assert_eq!(d.payload["production"], true);
    let review = &items(&ledger, EvidenceKind::AccessReview)[0];
    assert_eq!(
        review.observed_at,
        ts("2026-12-01T06:00:00Z"),
        "observed at the export"
    );
    assert_eq!(review.payload["date"], "2026-10-06T00:00:00Z");

    let vulns = items(&ledger, EvidenceKind::VulnFinding);
    let first_seen: Vec<(String, String, String)> = vulns
        .iter()
        .filter(|v| v.payload.get("scan").is_none())
        .map(|v| {
            (
                v.payload["advisory"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                v.observed_at.to_string(),
                v.payload["first_seen"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    assert_eq!(
        first_seen,
        vec![
            (
                "GHSA-pg7h-5qx3-wjr3".into(),
                "2026-10-05T06:00:00Z".into(),
                "2026-10-05T06:00:00Z".into()
            ),
            (
                "GHSA-pg7h-5qx3-wjr3".into(),
                "2026-12-01T06:00:00Z".into(),
                "2026-10-05T06:00:00Z".into()
            ),
            (
                "GHSA-new0-0000-0000".into(),
                "2026-12-01T06:00:00Z".into(),
                "2026-12-01T06:00:00Z".into()
            ),
        ]
    );
}

#[test]
fn first_seen_comes_from_the_ledger_in_later_runs() {
    let t = workspace();
    let ws = t.path();
    let mut ledger = Ledger::init(ws).expect("ledger");
    let day1 = r#"[source.vulnerabilities]
files = [{ path = "scans/day1/osv.json", at = "2026-10-05T06:00:00Z" }]"#;
    collect(ws, &mut ledger, day1, "2026-10-05T07:00:00Z").expect("day 1");
    let day2 = r#"[source.vulnerabilities]
files = [{ path = "scans/day2/osv.json", at = "2026-12-01T06:00:00Z" }]"#;
    collect(ws, &mut ledger, day2, "2026-12-01T07:00:00Z").expect("day 2");
    let latest: Vec<String> = items(&ledger, EvidenceKind::VulnFinding)
        .iter()
        .filter(|v| v.observed_at == ts("2026-12-01T06:00:00Z") && v.payload.get("scan").is_none())
        .map(|v| {
            v.payload["first_seen"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(latest, vec!["2026-10-05T06:00:00Z", "2026-12-01T06:00:00Z"]);
}

#[test]
fn a_malformed_export_stores_nothing_of_its_source() {
    let cases = [
        (
            "exports/deployments.jsonl",
            format!("{DEPLOYS}{{\"time\": \"2026-10-04T00:00:00Z\", \"model\": \"m\"}}\n"),
            "deployments.jsonl: line 2 is malformed: has no `environment`",
        ),
        (
            "exports/jira/changes.json",
            JIRA.replace("\"key\": \"CHG-1201\",", ""),
            "changes.json: line 1, issues[0] is malformed: has no key",
        ),
        (
            "exports/github/fraud-model.json",
            format!("{}\n[{{\"number\": 7}}]", pulls()),
            "fraud-model.json: line 2 (pull #7) is malformed: has no user.login",
        ),
        (
            "exports/access-reviews.csv",
            format!("{REVIEWS}x,y\n"),
            "access-reviews.csv: line 3 is malformed: has 2 fields",
        ),
        (
            "scans/day2/osv.json",
            "{\"results\": 3}".into(),
            "osv.json: line 1 is malformed: not a report",
        ),
    ];
    for (file, text, want) in cases {
        let t = workspace();
        let ws = t.path();
        write(ws, file, &text);
        let mut ledger = Ledger::init(ws).expect("ledger");
        let err = collect(ws, &mut ledger, CONFIG, "2026-12-01T12:00:00Z").expect_err(want);
        assert!(err.contains(want), "{want}: {err}");
        let kind = match file {
            f if f.contains("deployments") => EvidenceKind::Deployment,
            f if f.contains("jira") => EvidenceKind::ChangeTicket,
            f if f.contains("github") => EvidenceKind::ChangePullRequest,
            f if f.contains("access") => EvidenceKind::AccessReview,
            _ => EvidenceKind::VulnFinding,
        };
        assert!(
            items(&ledger, kind).is_empty(),
            "{file}: nothing of the source is stored"
        );
    }
}

#[test]
fn deployments_are_derived_from_gto_stage_assignments_in_the_ledger() {
    let t = tempfile::tempdir().expect("tempdir");
    let ws = t.path();
    let mut ledger = Ledger::init(ws).expect("ledger");
    let commit = "c0ffee0000000000000000000000000000000001";
    let gto = |kind, payload: Value, at: &str, tag: &str| Evidence {
        kind,
        subject: "model:fraud-scorer".into(),
        source: assay_ledger::Source {
            collector: "gto".into(),
            locator: format!("fraud-model@{tag}"),
        },
        observed_at: ts(at),
        collected_at: ts(at),
        payload,
        attachments: Vec::new(),
        expires_at: None,
        note: None,
    };
    ledger
        .append(
            &[
                gto(
                    EvidenceKind::GtoRegistration,
                    json!({"repo": "fraud-model", "artifact": "fraud-scorer", "action": "register",
                    "version": "v1.2.0", "commit": commit}),
                    "2026-03-20T10:00:00Z",
                    "fraud-scorer@v1.2.0",
                ),
                gto(
                    EvidenceKind::GtoStageAssignment,
                    json!({"repo": "fraud-model", "artifact": "fraud-scorer", "action": "assign",
                    "stage": "prod", "commit": commit, "tag": "fraud-scorer#prod#5",
                    "tagger": {"name": "Ben Okafor", "email": "ben@kestrel-labs.example"},
                    "message": "Assigning stage prod (CHG-1187 approved)"}),
                    "2026-03-22T11:00:00Z",
                    "fraud-scorer#prod#5",
                ),
            ],
            &mut NoProgress,
        )
        .expect("append");
    let config = "[source.deployments]\ngto_stages = [\"prod\"]\n";
    let runs = collect(ws, &mut ledger, config, "2026-12-01T12:00:00Z").expect("collect");
    assert_eq!(runs[0].new, 1);
    let d = &items(&ledger, EvidenceKind::Deployment)[0];
    assert_eq!(
        d.payload,
        json!({"model": "fraud-scorer", "version": "v1.2.0", "environment": "prod", "production": true,
            "actor": "ben@kestrel-labs.example", "ticket": "CHG-1187", "commit": commit, "pull_request": null, "digest": null,
            "origin": "gto", "deployed_at": "2026-03-22T11:00:00Z"})
    );
    assert_eq!(d.observed_at, ts("2026-03-22T11:00:00Z"));
    let again = collect(ws, &mut ledger, config, "2026-12-02T12:00:00Z").expect("again");
    assert_eq!(again[0].new, 0);
    let err = collect(
        ws,
        &mut ledger,
        "[source.deployments]\n",
        "2026-12-02T12:00:00Z",
    )
    .expect_err("nothing to read");
    assert!(err.contains("nothing to read deployments from"), "{err}");
}
