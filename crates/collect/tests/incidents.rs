//! Incident, restore-test and backup-job records in the shapes teams export them (CSV, JSON, JSONL).

mod common;

use assay_collect::incidents::{backup_job, dr_test, incident, parse_records};
use serde_json::json;

const INCIDENTS: &str = include_str!("fixtures/incidents.csv");
const RESTORES: &str = include_str!("fixtures/restore-tests.json");
const BACKUPS: &str = include_str!("fixtures/backup-jobs.jsonl");

#[test]
fn incidents_are_normalised() {
    let rs = parse_records("incidents.csv", INCIDENTS).expect("csv parses");
    let items: Vec<_> = rs.iter().map(|r| incident(r).expect("incident")).collect();
    assert_eq!(items.len(), 3);
    let a = &items[0];
    assert_eq!(a.subject, "serving:fraud-api");
    assert_eq!(a.observed_at.to_string(), "2026-04-03T09:12:00Z");
    assert_eq!(a.payload["severity"], json!("sev2"));
    assert_eq!(a.payload["minutes_to_triage"], json!(8));
    assert_eq!(a.payload["minutes_to_resolve"], json!(153));
    assert_eq!(a.payload["has_post_mortem"], json!(true));
    assert_eq!(a.payload["ai_related"], json!(true));
    // Civil times without an offset are UTC.
    assert_eq!(
        items[1].payload["detected_at"],
        json!("2026-04-19T22:05:00Z")
    );
    // An open incident: no triage, no resolution, no post-mortem.
    let open = &items[2].payload;
    assert!(open.get("resolved_at").is_none() && open.get("triaged_at").is_none());
    assert_eq!(open["has_post_mortem"], json!(false));
}

#[test]
fn restore_tests_compare_achieved_with_target() {
    let rs = parse_records("restore-tests.json", RESTORES).expect("json parses");
    let items: Vec<_> = rs.iter().map(|r| dr_test(r).expect("dr test")).collect();
    assert_eq!(items[0].subject, "registry:mlflow");
    assert_eq!(items[0].payload["rto_achieved_minutes"], json!(160.0));
    assert_eq!(items[0].payload["rto_met"], json!(true));
    assert_eq!(items[0].payload["passed"], json!(true));
    assert_eq!(items[1].payload["rto_met"], json!(false));
    assert_eq!(items[1].payload["rpo_met"], json!(true));
    assert_eq!(items[1].payload["passed"], json!(false));
    assert_eq!(items[1].payload["result"], json!("failed"));
}

#[test]
fn backup_jobs_from_an_aws_backup_listing() {
    let rs = parse_records("backup-jobs.jsonl", BACKUPS).expect("jsonl parses");
    let items: Vec<_> = rs.iter().map(|r| backup_job(r).expect("job")).collect();
    assert_eq!(items[0].payload["succeeded"], json!(true));
    assert_eq!(items[0].observed_at.to_string(), "2026-05-30T03:41:10Z");
    assert_eq!(items[0].payload["size_bytes"], json!(48213442560u64));
    assert_eq!(items[1].payload["succeeded"], json!(false));
    assert_eq!(
        items[1].observed_at.to_string(),
        "2026-05-31T03:00:02Z",
        "a failed job is dated by its start"
    );
}

#[test]
fn malformed_records_name_the_row() {
    let e =
        incident(&parse_records("i.csv", "id,detected_at\nINC-1,last tuesday\n").expect("csv")[0])
            .expect_err("bad time");
    assert!(
        e.to_string().contains("row 1 (line 2)") && e.to_string().contains("last tuesday"),
        "{e}"
    );
    let e = parse_records("i.csv", "id,title\nINC-1,a,b\n").expect_err("ragged");
    assert!(e.to_string().contains("row 1 (line 2)"), "{e}");
    let e = parse_records("i.jsonl", "{\"id\": 1}\n{oops\n").expect_err("jsonl");
    assert!(e.to_string().contains("line 2"), "{e}");
    let e = dr_test(
        &parse_records(
            "d.json",
            "[{\"date\": \"2026-01-01\", \"system\": \"x\", \"rto_target\": \"soon\"}]",
        )
        .expect("json")[0],
    )
    .expect_err("bad duration");
    assert!(
        e.to_string().contains("[0]") && e.to_string().contains("soon"),
        "{e}"
    );
    let e = incident(
        &parse_records(
            "i.json",
            "[{\"id\": \"A\", \"detected_at\": \"2026-05-02\", \"resolved_at\": \"2026-05-01\"}]",
        )
        .expect("json")[0],
    )
    .expect_err("resolved before detected");
    assert!(e.to_string().contains("before it was detected"), "{e}");
}

#[test]
fn the_collector_is_idempotent_and_stores_nothing_from_a_malformed_file() {
    use assay_collect::incidents::{IncidentsCollector, IncidentsConfig};
    let (dir, mut ledger) = common::workspace(&[
        ("ops/incidents.csv", INCIDENTS),
        ("ops/restore-tests.json", RESTORES),
        ("ops/backup-jobs.jsonl", BACKUPS),
    ]);
    let table: toml::Table = toml::from_str(
        r#"
        files = ["ops/incidents.csv"]
        dr_tests = ["ops/restore-tests.json"]
        backup_jobs = ["ops/backup-jobs.jsonl"]
        "#,
    )
    .expect("toml");
    let collector = IncidentsCollector::new(IncidentsConfig::from_table(&table).expect("config"));
    let run = |ledger: &mut assay_ledger::Ledger, at: i64| {
        common::collect_at(&collector, ledger, dir.path(), at)
    };
    let first = run(&mut ledger, 1_800_000_000).expect("collect");
    assert_eq!((first.items, first.new), (7, 7));
    assert_eq!(run(&mut ledger, 1_800_003_600).expect("again").new, 0);

    // The open incident is resolved later: one new observation, the old one stays.
    let updated = INCIDENTS.replace(
        "2026-05-08T14:00:00Z,,,,",
        "2026-05-08T14:00:00Z,2026-05-08T14:30:00Z,2026-05-09T10:00:00Z,https://wiki.kestrel.ai/pm/INC-2026-021,",
    );
    assert_ne!(updated, INCIDENTS);
    std::fs::write(dir.path().join("ops/incidents.csv"), &updated).expect("write");
    let again = run(&mut ledger, 1_800_007_200).expect("after update");
    assert_eq!(again.new, 1);
    let inc = ledger
        .list(&assay_ledger::ListFilter {
            kind: Some(assay_ledger::EvidenceKind::Incident),
            ..Default::default()
        })
        .expect("list");
    assert_eq!(inc.len(), 4);
    assert_eq!(
        inc[3].evidence.source.locator,
        "ops/incidents.csv#INC-2026-021"
    );

    std::fs::write(
        dir.path().join("ops/incidents.csv"),
        format!("{updated}INC-2026-014,dup,SEV4,2026-05-20T00:00:00Z,,,,x,y,,\n"),
    )
    .expect("write");
    let err = run(&mut ledger, 1_800_010_800).expect_err("duplicate id");
    let t = err.to_string();
    assert!(
        t.contains("[source.incidents]")
            && t.contains("ops/incidents.csv")
            && t.contains("row 4 (line 5)")
            && t.contains("repeats id"),
        "{t}"
    );
    assert_eq!(
        ledger.len().expect("len"),
        8,
        "nothing stored from the malformed file"
    );
}
