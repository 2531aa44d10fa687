//! Generates N evidence items across the kinds the built-in tests read and evaluates every catalog control
//! at one date, in memory (no ledger reads), printing the time. Run by `bench/check.sh`.

use std::time::Instant;

use assay_catalog::Catalog;
use assay_engine::{EvidenceSet, Item, ScopeView, Window, evaluate};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let at: Timestamp = "2026-06-30T00:00:00Z".parse().expect("time");
    let kinds = [
        "drift.report",
        "dataset.validation",
        "pii.scan",
        "fairness.report",
        "mlflow.run",
        "mlflow.model_version",
        "git.commit",
        "manual.document",
    ];
    let items = (0..n).map(|i| {
        let kind = kinds[(i % kinds.len() as u64) as usize];
        // Spread over the 300 days before `at`.
        let observed_at = at - SignedDuration::from_secs(((i * 7919) % (300 * 86_400)) as i64);
        let payload = match kind {
            "drift.report" => json!({"dataset_drift": i % 97 == 0, "columns": [{"column": "amount", "drifted": i % 97 == 0}]}),
            "dataset.validation" => json!({"passed": i % 89 != 0, "evaluated_rules": 4, "results": []}),
            "pii.scan" => json!({"total": 0, "by_entity": {}}),
            "fairness.report" => json!({"passed": true, "sensitive": "region", "groups": [], "metrics": []}),
            "mlflow.run" => json!({"run_id": format!("r-{i}"), "status": "FINISHED", "source_type": "JOB", "params": {"a": "1"},
                                   "git": {"commit": format!("{i:040x}"), "dirty": false}, "inputs": [{"name": "t", "content_sha256": "ab"}]}),
            "mlflow.model_version" => json!({"version": i.to_string(), "run_id": format!("r-{}", i - 1), "current_stage": if i % 50 == 5 { "Production" } else { "None" }}),
            "git.commit" => json!({"commit": format!("{:040x}", i - 2), "signed": true}),
            _ => json!({"title": "Policy", "approved_by": "CEO"}),
        };
        Item {
            index: i,
            kind: kind.to_owned(),
            subject: format!("{}:{}", kind.split('.').next().unwrap_or("x"), i % 20),
            locator: String::new(),
            observed_at,
            expires_at: (kind == "manual.document").then(|| at + SignedDuration::from_hours(24 * 100)),
            payload,
        }
    });
    let t0 = Instant::now();
    let evidence = EvidenceSet::new(items);
    let built = t0.elapsed();
    let catalog = Catalog::embedded().expect("catalog");
    let t1 = Instant::now();
    let report =
        evaluate(catalog, &evidence, &ScopeView::default(), Window::At { at }).expect("evaluate");
    let took = t1.elapsed();
    if std::env::var_os("PER_CONTROL").is_some() {
        let mut times = Vec::new();
        for c in &catalog.controls {
            let engine = assay_engine::ControlEngine::builtin(c).expect("compile");
            let t = Instant::now();
            let _ = engine.evaluate(&evidence, &ScopeView::default(), Window::At { at });
            times.push((t.elapsed().as_secs_f64(), c.id.clone()));
        }
        times.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (t, id) in times.iter().take(6) {
            println!("  {id}: {t:.3}s");
        }
    }
    println!(
        "items={n} build_set={:.3}s evaluate_all_controls={:.3}s pass={} fail={} not_verifiable={} not_applicable={}",
        built.as_secs_f64(),
        took.as_secs_f64(),
        report.counts.pass,
        report.counts.fail,
        report.counts.not_verifiable,
        report.counts.not_applicable
    );
}
