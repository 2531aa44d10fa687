//! `assay trace` on a generated registry: N model versions (GTO registrations, each on its own commit with a
//! dvc.lock stage and an LFS pointer) in a repository of M commits, all in a real ledger. Times the graph load
//! from the ledger and the trace itself, separately.
//!
//! `cargo bench -p assay-lineage --bench trace -- [--versions N] [--commits M]` (defaults 10 000 / 100 000).

use std::time::Instant;

use assay_ledger::{Evidence, EvidenceKind, Ledger, NoProgress, Source};
use assay_lineage::{Graph, LineageIndex, Selector, trace_indexed};
use jiff::Timestamp;
use serde_json::json;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ev(
    kind: EvidenceKind,
    subject: &str,
    locator: String,
    t: i64,
    payload: serde_json::Value,
) -> Evidence {
    Evidence {
        kind,
        subject: subject.to_owned(),
        source: Source {
            collector: "bench".into(),
            locator,
        },
        observed_at: Timestamp::from_second(t).expect("time"),
        collected_at: Timestamp::from_second(1_900_000_000).expect("time"),
        payload,
        attachments: Vec::new(),
        expires_at: None,
        note: None,
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it: then a small
    // smoke run only checks that the benchmark still works.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let versions = arg("--versions", if smoke { 100 } else { 10_000 });
    let commits = arg("--commits", if smoke { 1_000 } else { 100_000 }).max(versions);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ledger = Ledger::init(dir.path()).expect("ledger");
    let sha = |i: usize| format!("{i:040x}");
    let start = Instant::now();
    let mut batch = Vec::new();
    let every = commits / versions;
    for i in 0..commits {
        let t = 1_700_000_000 + i as i64 * 60;
        batch.push(ev(
            EvidenceKind::GitCommit,
            "repo:big",
            format!("big@{}", sha(i)),
            t,
            json!({"repo": "big", "commit": sha(i), "parents": [sha(i.saturating_sub(1))], "signed": false,
                   "author": {"name": "Dev", "email": "dev@example.com"}, "message": format!("commit {i}")}),
        ));
        if i.is_multiple_of(every) && i / every < versions {
            let v = i / every;
            let lock = format!("{:040x}", 0xdead_0000_0000usize + v);
            let model = format!("{:040x}", 0xbeef_0000_0000usize + v);
            batch.push(ev(EvidenceKind::DvcStage, "repo:big", format!("big@{}:dvc.lock#train", sha(i)), t,
                json!({"repo": "big", "commit": sha(i), "file": "dvc.lock", "blob": lock, "stage": "train", "cmd": "python train.py",
                       "deps": [{"path": "data/raw.csv", "hash": format!("{v:032x}"), "hash_kind": "md5"},
                                {"path": "train.py", "hash": "ab", "hash_kind": "md5", "committed": {"md5": "ab", "matches": true}}],
                       "outs": [{"path": "model.bin", "hash": format!("{:032x}", v + 1), "hash_kind": "md5"}],
                       "params": {"params.yaml": {"train.lr": 0.1}}})));
            batch.push(ev(EvidenceKind::LfsPointer, "repo:big", format!("big@{}:model.bin", sha(i)), t,
                json!({"repo": "big", "commit": sha(i), "path": "model.bin", "blob": model, "oid": format!("sha256:{v:064x}"), "size": 3})));
            batch.push(ev(EvidenceKind::GtoRegistration, "model:m", format!("big@refs/tags/m@v0.{v}.0"), t + 30,
                json!({"artifact": "m", "action": "register", "version": format!("v0.{v}.0"), "tag": format!("m@v0.{v}.0"), "commit": sha(i),
                       "repo": "big", "artifact_path": "model.bin", "artifact_blob": model, "dvc_lock_blob": lock})));
            if v.is_multiple_of(10) {
                batch.push(ev(EvidenceKind::GtoStageAssignment, "model:m", format!("big@refs/tags/m#prod#{v}"), t + 40,
                    json!({"artifact": "m", "action": "assign", "stage": "prod", "counter": v, "tag": format!("m#prod#{v}"), "commit": sha(i), "repo": "big"})));
            }
        }
        if batch.len() >= 10_000 {
            ledger.append(&batch, &mut NoProgress).expect("append");
            batch.clear();
        }
    }
    ledger.append(&batch, &mut NoProgress).expect("append");
    let items = ledger.len().expect("len");
    println!(
        "ledger: {items} items ({versions} model versions, {commits} commits) built in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let sel = Selector::parse("m#prod").expect("selector");
    let t0 = Instant::now();
    let (_, update) = LineageIndex::open_updated(&ledger).expect("index");
    println!(
        "lineage index built after collection: {} lineage items in {:.0} ms",
        update.indexed,
        t0.elapsed().as_secs_f64() * 1e3
    );
    // Through the index, as `assay trace` runs.
    let mut ends = Vec::new();
    let mut read = None;
    let mut indexed_trace = None;
    for _ in 0..5 {
        let t0 = Instant::now();
        let ledger = Ledger::open(dir.path()).expect("open");
        let (index, _) = LineageIndex::open_updated(&ledger).expect("index");
        let (t, r) = trace_indexed(&ledger, &index, &sel).expect("trace");
        ends.push(t0.elapsed().as_secs_f64() * 1e3);
        assert!(t.complete(), "{:?}", t.findings);
        read = Some(r);
        indexed_trace = Some(t);
    }
    ends.sort_by(f64::total_cmp);
    let r = read.expect("ran");
    println!(
        "trace through the index:    median {:.1} ms (min {:.1})   target < 50 ms   ({} items read, {} rounds)",
        ends[2], ends[0], r.items_read, r.rounds
    );
    // The complete graph, for comparison (and the same answer).
    let mut loads = Vec::new();
    let mut traces = Vec::new();
    for _ in 0..if smoke { 1 } else { 3 } {
        let t0 = Instant::now();
        let ledger = Ledger::open(dir.path()).expect("open");
        let graph = Graph::load(&ledger).expect("load");
        let t1 = Instant::now();
        let t = assay_lineage::trace(&graph, &sel).expect("trace");
        let t2 = Instant::now();
        assert_eq!(
            serde_json::to_value(&t).expect("json"),
            serde_json::to_value(indexed_trace.as_ref().expect("ran")).expect("json"),
            "the indexed trace differs from the complete one"
        );
        loads.push((t1 - t0).as_secs_f64() * 1e3);
        traces.push((t2 - t1).as_secs_f64() * 1e3);
    }
    loads.sort_by(f64::total_cmp);
    traces.sort_by(f64::total_cmp);
    println!(
        "complete graph (no index):  load {:.0} ms + trace {:.1} ms (median)",
        loads[loads.len() / 2],
        traces[traces.len() / 2]
    );
}
