//! The lineage index must not change a single answer: on random ledgers (GTO registrations, stage assignments
//! and unassignments, deprecations, MLflow versions and runs, commits, DVC stages and datasets, LFS pointers,
//! OpenLineage events and deployments, with clashing times), every selector traced through the index gives the
//! same trace — or the same error — as the walk over the complete graph. Also: the index catches up after
//! appends and rebuilds itself when the ledger is not the one it was built from.

use assay_ledger::{Evidence, EvidenceKind, Ledger, NoProgress, Source};
use assay_lineage::{Appended, Graph, LineageIndex, Selector, trace, trace_indexed};
use jiff::Timestamp;
use proptest::prelude::*;
use serde_json::{Value, json};

fn ev(kind: EvidenceKind, subject: &str, locator: String, t: i64, payload: Value) -> Evidence {
    Evidence {
        kind,
        subject: subject.to_owned(),
        source: Source {
            collector: "test".into(),
            locator,
        },
        observed_at: Timestamp::from_second(1_700_000_000 + t).expect("time"),
        collected_at: Timestamp::from_second(1_800_000_000).expect("time"),
        payload,
        attachments: Vec::new(),
        expires_at: None,
        note: None,
    }
}

fn sha(i: u8) -> String {
    format!("{i:040x}")
}

/// One generated event; numbers pick commits, versions, stages and times from small pools so that joins hit.
#[derive(Debug, Clone)]
enum Gen {
    Commit(u8, bool),
    Register(u8, u8, u8, u8),
    Assign(u8, u8, u8, u8),
    Unassign(u8, u8, u8),
    Deprecate(u8, u8),
    Lfs(u8, u8),
    Stage(u8, u8, u8, u8),
    Dataset(u8, u8),
    Ol(u8, u8, u8, bool),
    MlflowVersion(u8, u8, u8, bool),
    MlflowRun(u8, u8, u8),
    Deploy(u8, u8, bool),
}

fn gen_event() -> impl Strategy<Value = Gen> {
    let n = 0u8..6;
    prop_oneof![
        (n.clone(), any::<bool>()).prop_map(|(c, s)| Gen::Commit(c, s)),
        (0u8..2, 0u8..4, n.clone(), 0u8..4).prop_map(|(m, v, c, t)| Gen::Register(m, v, c, t)),
        (0u8..2, 0u8..2, n.clone(), 0u8..4).prop_map(|(m, s, c, t)| Gen::Assign(m, s, c, t)),
        (0u8..2, 0u8..2, 0u8..4).prop_map(|(m, s, t)| Gen::Unassign(m, s, t)),
        (0u8..2, 0u8..4).prop_map(|(m, t)| Gen::Deprecate(m, t)),
        (n.clone(), 0u8..3).prop_map(|(b, o)| Gen::Lfs(b, o)),
        (n.clone(), 0u8..3, 0u8..3, 0u8..2).prop_map(|(b, d, o, s)| Gen::Stage(b, d, o, s)),
        (0u8..3, 0u8..2).prop_map(|(h, p)| Gen::Dataset(h, p)),
        (0u8..3, 0u8..3, 0u8..4, any::<bool>())
            .prop_map(|(r, o, t, start)| Gen::Ol(r, o, t, start)),
        (0u8..3, 0u8..3, 0u8..4, any::<bool>())
            .prop_map(|(v, r, t, a)| Gen::MlflowVersion(v, r, t, a)),
        (0u8..3, n.clone(), 0u8..3).prop_map(|(r, c, d)| Gen::MlflowRun(r, c, d)),
        (0u8..2, 0u8..4, any::<bool>()).prop_map(|(m, v, at)| Gen::Deploy(m, v, at)),
    ]
}

const MODELS: [&str; 2] = ["alpha", "beta"];
const STAGES: [&str; 2] = ["prod", "dev"];

fn evidence(i: usize, g: &Gen) -> Evidence {
    let t = |x: u8| i64::from(x) * 60;
    match *g {
        Gen::Commit(c, signed) => ev(
            EvidenceKind::GitCommit,
            "repo:r",
            format!("r@{}#{i}", sha(c)),
            t(c),
            json!({"repo": "r", "commit": sha(c), "signed": signed, "parents": [],
                   "author": {"name": "Dev", "email": "dev@example.com"}, "message": format!("c{c} #{i}")}),
        ),
        Gen::Register(m, v, c, at) => ev(
            EvidenceKind::GtoRegistration,
            &format!("model:{}", MODELS[m as usize]),
            format!("r@refs/tags/{}@v{v}#{i}", MODELS[m as usize]),
            t(at),
            json!({"artifact": MODELS[m as usize], "action": "register", "version": format!("v{v}"),
                   "tag": format!("{}@v{v}", MODELS[m as usize]), "commit": sha(c), "repo": "r",
                   "artifact_path": "model.bin", "artifact_blob": format!("b{c}"), "dvc_lock_blob": format!("l{c}"),
                   "tagger": {"name": "Ann", "email": "ann@example.com"}}),
        ),
        Gen::Assign(m, s, c, at) => ev(
            EvidenceKind::GtoStageAssignment,
            &format!("model:{}", MODELS[m as usize]),
            format!(
                "r@refs/tags/{}#{}#{i}",
                MODELS[m as usize], STAGES[s as usize]
            ),
            t(at),
            json!({"artifact": MODELS[m as usize], "action": "assign", "stage": STAGES[s as usize], "counter": i,
                   "commit": sha(c), "repo": "r", "tag": format!("{}#{}#{i}", MODELS[m as usize], STAGES[s as usize])}),
        ),
        Gen::Unassign(m, s, at) => ev(
            EvidenceKind::GtoStageAssignment,
            &format!("model:{}", MODELS[m as usize]),
            format!(
                "r@refs/tags/{}#{}!#{i}",
                MODELS[m as usize], STAGES[s as usize]
            ),
            t(at),
            json!({"artifact": MODELS[m as usize], "action": "unassign", "stage": STAGES[s as usize], "counter": i,
                   "commit": sha(0), "repo": "r"}),
        ),
        Gen::Deprecate(m, at) => ev(
            EvidenceKind::GtoRegistration,
            &format!("model:{}", MODELS[m as usize]),
            format!("r@refs/tags/{}@deprecated#{i}", MODELS[m as usize]),
            t(at),
            json!({"artifact": MODELS[m as usize], "action": "deprecate", "commit": sha(1), "repo": "r"}),
        ),
        Gen::Lfs(b, o) => ev(
            EvidenceKind::LfsPointer,
            "repo:r",
            format!("r@{}:model.bin#{i}", sha(b)),
            t(b),
            json!({"repo": "r", "commit": sha(b), "path": "model.bin", "blob": format!("b{b}"),
                   "oid": format!("sha256:{o:064x}"), "size": 3}),
        ),
        Gen::Stage(b, d, o, s) => ev(
            EvidenceKind::DvcStage,
            "repo:r",
            format!("r@{}:dvc.lock#{i}", sha(b)),
            t(b),
            json!({"repo": "r", "commit": sha(b), "file": "dvc.lock", "blob": format!("l{b}"),
                   "stage": (["train", "prepare"][s as usize]), "cmd": "python run.py",
                   "deps": [{"path": "data/raw.csv", "hash": format!("{d:032x}"), "hash_kind": "md5"},
                            {"path": "data/clean.csv", "hash": format!("{:032x}", d + 7), "hash_kind": "md5"}],
                   "outs": [{"path": (["model.bin", "data/clean.csv"][s as usize]), "hash": format!("{:032x}", o + 7), "hash_kind": "md5"}],
                   "params": {"params.yaml": {"lr": f64::from(d) / 10.0}}}),
        ),
        Gen::Dataset(h, p) => ev(
            EvidenceKind::DvcDataset,
            "repo:r",
            format!("r@data.dvc#{i}"),
            t(h),
            json!({"repo": "r", "commit": sha(h), "file": "data/raw.csv.dvc",
                   "outs": [{"path": (["data/raw.csv", "data/other.csv"][p as usize]), "hash": format!("{h:032x}"), "hash_kind": "md5"}]}),
        ),
        Gen::Ol(r, o, at, start) => ev(
            EvidenceKind::OpenlineageRunEvent,
            "job:etl",
            format!("ol#{i}"),
            t(at),
            json!({"eventType": if start { "START" } else { "COMPLETE" }, "eventTime": "2025-01-01T00:00:00Z",
                   "run": {"runId": format!("0190{r:028x}")},
                   "job": {"namespace": "etl", "name": format!("job{r}")},
                   "inputs": [{"namespace": "s3", "name": "raw"}],
                   "outputs": [{"namespace": "s3", "name": (["data/raw.csv", "model.bin", "data/clean.csv"][o as usize]),
                                "facets": {"version": {"datasetVersion": format!("{o:032x}")}}}]}),
        ),
        Gen::MlflowVersion(v, r, at, alias) => ev(
            EvidenceKind::MlflowModelVersion,
            "model:gamma",
            format!("mlflow/gamma/{v}#{i}"),
            t(at),
            json!({"name": "gamma", "version": (v + 1).to_string(), "run_id": format!("run{r}"),
                   "source": format!("models:/m-{v}"), "current_stage": if alias { "Production" } else { "None" },
                   "aliases": if alias { vec!["champion"] } else { vec![] }}),
        ),
        Gen::MlflowRun(r, c, d) => ev(
            EvidenceKind::MlflowRun,
            "experiment:1",
            format!("mlflow/run{r}#{i}"),
            t(c),
            json!({"run_id": format!("run{r}"), "user": "ann", "start_time": "2025-01-01T00:00:00Z",
                   "params": {"lr": "0.1"}, "metrics": {"auc": 0.9},
                   "git": {"commit": sha(c), "repo_url": "https://git/r", "dirty": d == 2},
                   "inputs": [{"name": "data/raw.csv", "digest": "abc", "md5": format!("{d:032x}"), "context": "training"}]}),
        ),
        Gen::Deploy(m, v, at_version) => {
            let model = MODELS[m as usize];
            let subject = if at_version {
                format!("model:{model}@v{v}")
            } else {
                format!("model:{model}")
            };
            ev(
                EvidenceKind::Deployment,
                &subject,
                format!("deploy#{i}"),
                t(v),
                json!({"model": model, "version": format!("v{v}"), "environment": "prod", "actor": "sre"}),
            )
        }
    }
}

fn selectors() -> Vec<String> {
    let mut s = Vec::new();
    for m in MODELS.iter().chain(["gamma", "missing"].iter()) {
        s.push((*m).to_owned());
        for v in 0..5 {
            s.push(format!("{m}@v{v}"));
            s.push(format!("{m}@{v}"));
        }
        for st in STAGES.iter().chain(["Production", "qa"].iter()) {
            s.push(format!("{m}#{st}"));
        }
        s.push(format!("{m}:champion"));
    }
    s
}

fn answer(r: Result<assay_lineage::Trace, assay_lineage::LineageError>) -> Result<Value, String> {
    r.map(|t| serde_json::to_value(t).expect("json"))
        .map_err(|e| format!("{e} {e:?}"))
}

fn check_all(ledger: &Ledger) {
    let (index, _) = LineageIndex::open_updated(ledger).expect("index");
    let full = Graph::load(ledger).expect("load");
    for s in selectors() {
        let sel = Selector::parse(&s).expect("selector");
        let whole = answer(trace(&full, &sel));
        let indexed = answer(trace_indexed(ledger, &index, &sel).map(|(t, _)| t));
        assert_eq!(indexed, whole, "selector {s}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn indexed_traces_equal_complete_traces(events in prop::collection::vec(gen_event(), 1..60)) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut ledger = Ledger::init(dir.path()).expect("ledger");
        let items: Vec<Evidence> = events.iter().enumerate().map(|(i, g)| evidence(i, g)).collect();
        // Half first, index, then the rest: the index must catch up.
        let half = items.len() / 2;
        ledger.append(&items[..half], &mut NoProgress).expect("append");
        check_all(&ledger);
        ledger.append(&items[half..], &mut NoProgress).expect("append");
        check_all(&ledger);
    }
}

/// The rows a rebuild from the ledger writes, in a fresh index file.
fn rebuilt_rows(ledger: &Ledger) -> Vec<(assay_lineage::graph::Join, String, u64)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut index = LineageIndex::open(&dir.path().join("rebuilt.db")).expect("index");
    let u = index.update(ledger).expect("rebuild");
    assert!(u.rebuilt);
    index.rows().expect("rows")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    /// `assay collect` feeds the index the items it appends instead of letting it read them back: the index must
    /// hold exactly the rows a rebuild writes, whether the fed items are values or canonical payloads, whether
    /// some of them were already stored (not new), and whether items were appended unfed before them.
    #[test]
    fn an_index_fed_from_appends_equals_a_rebuild(events in prop::collection::vec(gen_event(), 4..60)) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut ledger = Ledger::init(dir.path()).expect("ledger");
        let items: Vec<Evidence> = events.iter().enumerate().map(|(i, g)| evidence(i, g)).collect();
        let q = items.len() / 4;
        let (a, rest) = items.split_at(q);
        let (b, rest) = rest.split_at(q);
        let (c, d) = rest.split_at(q);
        let mut index = LineageIndex::open(&LineageIndex::path_for(dir.path())).expect("index");

        // Fresh index, fed values (a rebuild from the first item, nothing read back).
        let mut fed = Appended::new();
        let o = ledger.append(a, &mut NoProgress).expect("append");
        fed.evidence(a, &o);
        let u = index.update_appended(&ledger, fed).expect("update");
        prop_assert_eq!((u.covered, u.read, u.rebuilt), (ledger.len().expect("len"), 0, true));
        prop_assert_eq!(index.rows().expect("rows"), rebuilt_rows(&ledger));

        // Canonical payloads, with the items of `a` again in the batch (already stored: not new).
        let mut batch: Vec<_> = a.iter().chain(b).cloned().map(|e| e.into_canonical().expect("canonical")).collect();
        batch.rotate_left(a.len() / 2);
        let mut fed = Appended::new();
        let o = ledger.append_canonical(&batch, &mut NoProgress).expect("append");
        fed.canonical(&batch, &o);
        let u = index.update_appended(&ledger, fed).expect("update");
        prop_assert_eq!((u.covered, u.read, u.rebuilt), (ledger.len().expect("len"), 0, false));
        prop_assert_eq!(index.rows().expect("rows"), rebuilt_rows(&ledger));

        // Items appended unfed, then fed ones: the gap is read back from the ledger, the rest is not.
        let before = ledger.len().expect("len");
        ledger.append(c, &mut NoProgress).expect("append");
        let gap = ledger.len().expect("len") - before;
        let mut fed = Appended::new();
        let o = ledger.append(d, &mut NoProgress).expect("append");
        fed.evidence(d, &o);
        let u = index.update_appended(&ledger, fed).expect("update");
        prop_assert_eq!((u.covered, u.read), (ledger.len().expect("len"), gap));
        prop_assert_eq!(index.rows().expect("rows"), rebuilt_rows(&ledger));
        check_all(&ledger);
    }
}

/// A record of appends that is not one run ending at the ledger's end is not used: the update reads the ledger.
#[test]
fn an_unusable_record_of_appends_is_ignored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ledger = Ledger::init(dir.path()).expect("ledger");
    let items: Vec<Evidence> = (0..6u8)
        .map(|c| evidence(c as usize, &Gen::Commit(c, false)))
        .collect();
    let o = ledger.append(&items, &mut NoProgress).expect("append");
    let mut index = LineageIndex::open(&LineageIndex::path_for(dir.path())).expect("index");

    // Out of order.
    let mut fed = Appended::new();
    fed.evidence(&items[3..], &o[3..]);
    fed.evidence(&items[..3], &o[..3]);
    let u = index.update_appended(&ledger, fed).expect("update");
    assert_eq!((u.covered, u.indexed, u.read), (6, 6, 6));
    assert_eq!(index.rows().expect("rows"), rebuilt_rows(&ledger));

    // Not ending at the ledger's end (something was appended after it).
    let more: Vec<Evidence> = (6..9u8)
        .map(|c| evidence(c as usize, &Gen::Commit(c, true)))
        .collect();
    let o = ledger.append(&more[..2], &mut NoProgress).expect("append");
    let mut fed = Appended::new();
    fed.evidence(&more[..2], &o);
    ledger.append(&more[2..], &mut NoProgress).expect("append");
    let u = index.update_appended(&ledger, fed).expect("update");
    assert_eq!((u.covered, u.indexed, u.read), (9, 3, 3));
    assert_eq!(index.rows().expect("rows"), rebuilt_rows(&ledger));
}

#[test]
fn the_index_catches_up_and_rebuilds_for_another_ledger() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ledger = Ledger::init(dir.path()).expect("ledger");
    let first: Vec<Evidence> = (0..4u8)
        .map(|c| evidence(c as usize, &Gen::Commit(c, false)))
        .collect();
    ledger.append(&first, &mut NoProgress).expect("append");
    let (_, u) = LineageIndex::open_updated(&ledger).expect("index");
    assert_eq!((u.covered, u.indexed, u.rebuilt), (4, 4, true));
    let (_, u) = LineageIndex::open_updated(&ledger).expect("index");
    assert_eq!((u.covered, u.indexed, u.rebuilt), (4, 0, false));
    ledger
        .append(&[evidence(9, &Gen::Register(0, 1, 2, 0))], &mut NoProgress)
        .expect("append");
    let (_, u) = LineageIndex::open_updated(&ledger).expect("index");
    assert_eq!((u.covered, u.indexed, u.rebuilt), (5, 1, false));

    // Another ledger under the same index file (a restored copy, say): the index notices and starts over.
    let other = tempfile::tempdir().expect("tempdir");
    let mut ledger2 = Ledger::init(other.path()).expect("ledger");
    let items: Vec<Evidence> = (0..5u8)
        .map(|c| evidence(100 + c as usize, &Gen::Commit(c, true)))
        .collect();
    ledger2.append(&items, &mut NoProgress).expect("append");
    let mut index = LineageIndex::open(&LineageIndex::path_for(dir.path())).expect("index");
    let u = index.update(&ledger2).expect("update");
    assert!(u.rebuilt, "{u:?}");
    assert_eq!((u.covered, u.indexed), (5, 5));
}

#[test]
fn the_index_file_is_private() {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let ledger = Ledger::init(dir.path()).expect("ledger");
        LineageIndex::open_updated(&ledger).expect("index");
        let mode = std::fs::metadata(LineageIndex::path_for(dir.path()))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
