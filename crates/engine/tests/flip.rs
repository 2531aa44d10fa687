//! The same control flips pass → fail on violating evidence and → not_verifiable when its evidence is
//! removed or taken out of scope. Evidence goes through a real ledger, read back by kind.

use assay_catalog::Catalog;
use assay_engine::{ComponentView, EvidenceSet, Item, ScopeView, Status, Window, evaluate};
use assay_ledger::{Evidence, EvidenceKind, Ledger, ListFilter, NoProgress, Source};
use jiff::Timestamp;
use serde_json::{Value, json};

fn ts(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

fn drift(at: &str, drifting: bool) -> Evidence {
    Evidence {
        kind: EvidenceKind::DriftReport,
        subject: "model:fraud-scorer".into(),
        source: Source {
            collector: "assay data drift".into(),
            locator: "live/2026.csv".into(),
        },
        observed_at: ts(at),
        collected_at: ts(at),
        payload: json!({
            "dataset_drift": drifting,
            "columns": [{"column": "amount", "drifted": drifting}],
        }),
        attachments: vec![],
        expires_at: None,
        note: None,
    }
}

fn read(ledger: &Ledger) -> EvidenceSet {
    let items = ledger
        .list(&ListFilter {
            kind: Some(EvidenceKind::DriftReport),
            ..ListFilter::default()
        })
        .expect("list");
    EvidenceSet::new(items.iter().map(Item::from))
}

fn scope(in_scope: bool) -> ScopeView {
    ScopeView {
        components: vec![
            ComponentView {
                id: "model:fraud-scorer".into(),
                stage: "monitoring".into(),
                environment: "production".into(),
                in_scope,
                owner: None,
                holds: vec![],
                retention_days: None,
            },
            ComponentView {
                id: "service:monitor".into(),
                stage: "monitoring".into(),
                environment: "production".into(),
                in_scope: true,
                owner: None,
                holds: vec![],
                retention_days: None,
            },
        ],
        ..ScopeView::default()
    }
}

#[test]
fn mon01_flips_pass_fail_not_verifiable() {
    let catalog = Catalog::embedded().expect("catalog");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ledger = Ledger::init(dir.path()).expect("ledger");
    let at = Window::At {
        at: ts("2026-06-02T12:00:00Z"),
    };

    ledger
        .append(&[drift("2026-06-02T02:00:00Z", false)], &mut NoProgress)
        .expect("append");
    let report = evaluate(catalog, &read(&ledger), &scope(true), at).expect("evaluate");
    let r = report.result("MON-01").expect("MON-01");
    assert_eq!(r.status, Status::Pass, "{}", r.reason);
    assert_eq!(r.occurrences[0].evidence, vec![0]);

    // A later report on the same day shows drift and no alert: the control now fails.
    ledger
        .append(&[drift("2026-06-02T06:00:00Z", true)], &mut NoProgress)
        .expect("append");
    let report = evaluate(catalog, &read(&ledger), &scope(true), at).expect("evaluate");
    let r = report.result("MON-01").expect("MON-01");
    assert_eq!(r.status, Status::Fail, "{}", r.reason);
    assert!(r.reason.contains("no alert was raised"), "{}", r.reason);
    assert!(report.any_failed());

    // The model is taken out of scope: its reports are set aside, and nothing is left to see.
    let report = evaluate(catalog, &read(&ledger), &scope(false), at).expect("evaluate");
    let r = report.result("MON-01").expect("MON-01");
    assert_eq!(r.status, Status::NotVerifiable, "{}", r.reason);
    assert!(r.reason.contains("out-of-scope"), "{}", r.reason);

    // No evidence at all: not verifiable, never a pass.
    let report = evaluate(catalog, &EvidenceSet::default(), &scope(true), at).expect("evaluate");
    let r = report.result("MON-01").expect("MON-01");
    assert_eq!(r.status, Status::NotVerifiable);
    assert!(r.reason.starts_with("evidence missing"), "{}", r.reason);
}

#[test]
fn readiness_counts_criteria_whose_controls_all_pass() {
    let catalog = Catalog::embedded().expect("catalog");
    let report = evaluate(
        catalog,
        &EvidenceSet::default(),
        &ScopeView::default(),
        Window::At {
            at: ts("2026-06-01T00:00:00Z"),
        },
    )
    .expect("evaluate");
    // Nothing recorded: nothing passes, so no criterion is ready and every applicable one is listed.
    assert_eq!(report.counts.pass, 0);
    assert_eq!(report.counts.fail, 0);
    for cat in &report.readiness {
        assert_eq!(cat.ready_criteria, 0, "{}", cat.category);
        assert_eq!(cat.without_passing_control.len(), cat.applicable_criteria);
    }
    let json: Value = serde_json::to_value(&report).expect("json");
    assert_eq!(json["window"]["mode"], "at");
}
