//! Generates N evidence items in the mix an AI company's ledger holds after ~300 days (many git commits,
//! gateway audit batches, MLflow runs, drift reports and validations; fewer deployments, tickets, IAM
//! grants, scans and incidents), with references that resolve (runs name collected commits and recorded
//! snapshots, versions name runs, deployments name tickets and merged pull requests, drift has alerts),
//! and evaluates every catalog control at one date, in memory (no ledger reads), printing the time.
//! Run by `bench/check.sh`.
//!
//! `PER_CONTROL=1` also times each control on its own and prints the slowest (`PER_CONTROL=all`: every
//! control, with its status and number of occurrences); `THREADS=1` evaluates the controls one after
//! the other (the default uses every core); `ONLY=ID` evaluates one control five times (for profiling).

use std::time::Instant;

use assay_catalog::Catalog;
use assay_engine::{EvidenceSet, Window};
use jiff::Timestamp;

#[path = "../tests/support/generate.rs"]
mod support;
use support::{generate, scope};

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let at: Timestamp = "2026-06-30T00:00:00Z".parse().expect("time");
    if let Ok(dir) = std::env::var("LEDGER") {
        write_ledger(std::path::Path::new(&dir), n, at);
        return;
    }
    let t0 = Instant::now();
    let evidence = EvidenceSet::new(generate(n, at));
    let built = t0.elapsed();
    let catalog = Catalog::embedded().expect("catalog");
    let scope = scope();
    let window = Window::At { at };
    let threads = std::env::var("THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if let Ok(only) = std::env::var("ONLY") {
        // Profile one control: evaluate it five times.
        let c = catalog.control(&only).expect("control");
        let engine = assay_engine::ControlEngine::builtin(c).expect("compile");
        for _ in 0..5 {
            let t = Instant::now();
            let r = engine
                .evaluate(&evidence, &scope, window)
                .expect("evaluate");
            println!(
                "{only}: {:?} in {:.3}s",
                r.status,
                t.elapsed().as_secs_f64()
            );
        }
        return;
    }
    let t1 = Instant::now();
    let report = assay_engine::evaluate_on(threads, catalog, &[], &evidence, &scope, window)
        .expect("evaluate");
    let took = t1.elapsed();
    if std::env::var_os("PER_CONTROL").is_some() {
        let mut times = Vec::new();
        for c in &catalog.controls {
            let engine = assay_engine::ControlEngine::builtin(c).expect("compile");
            let t = Instant::now();
            let r = engine.evaluate(&evidence, &scope, window);
            let status = match &r {
                Ok(r) => format!("{:?} {}", r.status, r.occurrences.len()),
                Err(e) => format!("error {e}"),
            };
            times.push((t.elapsed().as_secs_f64(), format!("{} {status}", c.id)));
        }
        times.sort_by(|a, b| b.0.total_cmp(&a.0));
        let all: f64 = times.iter().map(|t| t.0).sum();
        println!("  one after the other: {all:.3}s; slowest:");
        let shown = if std::env::var("PER_CONTROL").as_deref() == Ok("all") {
            times.len()
        } else {
            8
        };
        for (t, id) in times.iter().take(shown) {
            println!("  {id}: {t:.3}s");
        }
    }
    println!(
        "items={n} threads={threads} build_set={:.3}s evaluate_all_controls={:.3}s pass={} fail={} not_verifiable={} not_applicable={}",
        built.as_secs_f64(),
        took.as_secs_f64(),
        report.counts.pass,
        report.counts.fail,
        report.counts.not_verifiable,
        report.counts.not_applicable
    );
}

/// `LEDGER=DIR`: append the generated items to the ledger of the workspace at DIR (made by `assay
/// init`), so `bench/check.sh` can time `assay check` itself, ledger read included. The items are
/// appended as a daily `assay collect` would append them: day by day, each day's items of one kind
/// together.
fn write_ledger(dir: &std::path::Path, n: u64, at: Timestamp) {
    use assay_ledger::{Evidence, EvidenceKind, Ledger, NoProgress, Source};
    use std::str::FromStr;
    let mut generated = generate(n, at);
    generated.sort_by(|a, b| {
        let day = |i: &assay_engine::Item| i.observed_at.as_second().div_euclid(86_400);
        day(a)
            .cmp(&day(b))
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| a.observed_at.cmp(&b.observed_at))
    });
    let mut ledger = Ledger::open(dir)
        .or_else(|_| Ledger::init(dir))
        .expect("open or create the workspace ledger");
    let items: Vec<Evidence> = generated
        .into_iter()
        .map(|i| Evidence {
            kind: EvidenceKind::from_str(&i.kind).expect("a known kind"),
            subject: i.subject,
            source: Source {
                collector: "bench".to_owned(),
                locator: i.locator,
            },
            observed_at: i.observed_at,
            collected_at: at,
            payload: i.payload.into_value(),
            attachments: Vec::new(),
            expires_at: i.expires_at,
            note: None,
        })
        .collect();
    let t = Instant::now();
    let stored = ledger
        .append_batched(&items, 50_000, &mut NoProgress)
        .expect("append");
    println!(
        "ledger: appended {} items in {:.1}s",
        stored.len(),
        t.elapsed().as_secs_f64()
    );
}
