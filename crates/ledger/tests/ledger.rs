//! The ledger facade end to end: append, idempotency, malformed input, checkpoints, proofs, verify.

use std::path::Path;

use assay_ledger::{
    Checkpoint, CheckpointSigner, Evidence, EvidenceKind, Ledger, LedgerError, ListFilter,
    NoProgress, ProblemCategory, Progress, Proof, Sha256Digest, Source, VerifierKey, jcs,
};
use jiff::Timestamp;
use serde_json::json;
use sha2::{Digest as _, Sha256};

fn ts(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

fn item(i: u64) -> Evidence {
    Evidence {
        kind: if i.is_multiple_of(2) {
            EvidenceKind::GitCommit
        } else {
            EvidenceKind::Deployment
        },
        subject: format!("model:m{}", i % 3),
        source: Source {
            collector: "git".into(),
            locator: format!("repo@{i:040x}"),
        },
        observed_at: Timestamp::from_second(1_700_000_000 + i as i64 * 60).expect("ts"),
        collected_at: ts("2025-01-01T00:00:00Z"),
        payload: json!({"n": i, "msg": format!("commit {i}"), "ok": true, "ratio": 0.25}),
        attachments: vec![],
        expires_at: None,
        note: None,
    }
}

fn signer() -> CheckpointSigner {
    CheckpointSigner::from_seed("assay.example/ledger", [7u8; 32]).expect("key")
}

/// Everything a refused operation must not change: files outside the database, and the database's rows.
type Snapshot = (Vec<(String, Vec<u8>)>, Vec<(i64, Vec<u8>)>, Vec<u8>);

fn snapshot(workspace: &Path) -> Snapshot {
    let files = dir_listing(workspace)
        .into_iter()
        .filter(|(p, _)| !p.contains("ledger.db"))
        .collect();
    let db = rusqlite::Connection::open(workspace.join(".assay/ledger.db")).expect("open db");
    let rows = db
        .prepare("SELECT idx, canonical FROM items ORDER BY idx")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .expect("rows");
    let head: Vec<u8> = db
        .query_row("SELECT root FROM tree_head", [], |r| r.get(0))
        .expect("head");
    (files, rows, head)
}

fn dir_listing(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    fn walk(p: &Path, root: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        let Ok(entries) = std::fs::read_dir(p) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                out.push((
                    path.strip_prefix(root)
                        .expect("prefix")
                        .display()
                        .to_string(),
                    std::fs::read(&path).unwrap_or_default(),
                ));
            }
        }
    }
    walk(root, root, &mut out);
    out.sort();
    out
}

#[test]
fn canonical_bytes_are_jcs_of_the_item_object() {
    let mut e = item(3);
    e.note = Some("signed by \"CFO\"\n".into());
    e.expires_at = Some(ts("2026-01-01T00:00:00.5Z"));
    e.attachments = vec![Sha256Digest::of(b"x")];
    let generic = jcs::to_vec(&serde_json::to_value(&e).expect("to value")).expect("jcs");
    assert_eq!(e.canonical_bytes().expect("canonical"), generic);
    let text = String::from_utf8(generic).expect("utf8");
    assert!(text.starts_with("{\"attachments\":[\"2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881\"],\"collected_at\":\"2025-01-01T00:00:00Z\",\"expires_at\":\"2026-01-01T00:00:00.5Z\",\"kind\":\"deployment\""), "{text}");
    assert_eq!(
        Evidence::from_canonical(text.as_bytes()).expect("decodes"),
        e
    );
    let mut leaf = Sha256::new();
    leaf.update([0u8]);
    leaf.update(text.as_bytes());
    assert_eq!(
        e.leaf_hash().expect("leaf").0,
        <[u8; 32]>::from(leaf.finalize())
    );
}

#[derive(Default)]
struct Counting {
    total: u64,
    done: u64,
}
impl Progress for Counting {
    fn set_total(&mut self, total: u64) {
        self.total = total;
    }
    fn inc(&mut self, n: u64) {
        self.done += n;
    }
}

#[test]
fn append_get_list_and_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ledger = Ledger::init(dir.path()).expect("init");
    assert!(matches!(
        Ledger::init(dir.path()),
        Err(LedgerError::AlreadyInitialized { .. })
    ));
    let batch: Vec<Evidence> = (0..30).map(item).collect();
    let mut p = Counting::default();
    let out = ledger.append(&batch, &mut p).expect("append");
    assert_eq!((p.total, p.done), (30, 30));
    assert!(
        out.iter()
            .enumerate()
            .all(|(i, o)| o.index == i as u64 && o.new)
    );
    drop(ledger);
    let ledger = Ledger::open(dir.path()).expect("open");
    assert_eq!(ledger.len().expect("len"), 30);
    assert_eq!(ledger.get(7).expect("get").evidence, item(7));
    assert!(matches!(
        ledger.get(30),
        Err(LedgerError::IndexOutOfRange { index: 30, len: 30 })
    ));
    let commits = ledger
        .list(&ListFilter {
            kind: Some(EvidenceKind::GitCommit),
            ..Default::default()
        })
        .expect("list");
    assert_eq!(commits.len(), 15);
    assert!(
        commits
            .iter()
            .all(|s| s.evidence.kind == EvidenceKind::GitCommit)
    );
    let m1 = ledger
        .list(&ListFilter {
            subject: Some("model:m1".into()),
            ..Default::default()
        })
        .expect("list");
    assert_eq!(
        m1.iter().map(|s| s.index).collect::<Vec<_>>(),
        (0..30).filter(|i| i % 3 == 1).collect::<Vec<_>>()
    );
    let since = item(25).observed_at;
    let recent = ledger
        .list(&ListFilter {
            since: Some(since),
            limit: Some(3),
            ..Default::default()
        })
        .expect("list");
    assert_eq!(
        recent.iter().map(|s| s.index).collect::<Vec<_>>(),
        vec![25, 26, 27]
    );
    let mut p = Counting::default();
    let report = ledger.verify(&[], &mut p).expect("verify");
    assert!(report.is_clean(), "{:?}", report.problems);
    assert_eq!((report.items, p.total, p.done), (30, 30, 30));
}

#[test]
fn visiting_canonical_bytes_sees_what_list_returns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ledger = Ledger::init(dir.path()).expect("init");
    let batch: Vec<Evidence> = (0..40).map(item).collect();
    ledger.append(&batch, &mut NoProgress).expect("append");
    let filters = [
        ListFilter::default(),
        ListFilter {
            kind: Some(EvidenceKind::Deployment),
            ..Default::default()
        },
        ListFilter {
            kind: Some(EvidenceKind::GitCommit),
            subject: Some("model:m2".into()),
            ..Default::default()
        },
        ListFilter {
            since: Some(item(31).observed_at),
            limit: Some(4),
            ..Default::default()
        },
        ListFilter {
            kind: Some(EvidenceKind::TfResource),
            ..Default::default()
        },
        ListFilter {
            kind: Some(EvidenceKind::GitCommit),
            limit: Some(3),
            ..Default::default()
        },
    ];
    for filter in &filters {
        let listed: Vec<(u64, Vec<u8>)> = ledger
            .list(filter)
            .expect("list")
            .into_iter()
            .map(|s| (s.index, s.evidence.canonical_bytes().expect("canonical")))
            .collect();
        let mut visited = Vec::new();
        ledger
            .visit_canonical(filter, &mut |index, bytes| {
                visited.push((index, bytes.to_vec()));
                Ok(())
            })
            .expect("visit");
        assert_eq!(visited, listed, "{filter:?}");
        assert_eq!(
            ledger.count(filter).expect("count"),
            listed.len() as u64,
            "{filter:?}"
        );
    }
    assert!(!ledger.list(&filters[1]).expect("list").is_empty());
    // An error from the visitor stops the visit and comes back as it is.
    let mut seen = 0;
    let err = ledger
        .visit_canonical(&ListFilter::default(), &mut |index, _| {
            seen += 1;
            if index == 5 {
                return Err(LedgerError::CorruptItem {
                    index,
                    reason: "stop".into(),
                });
            }
            Ok(())
        })
        .expect_err("stopped");
    assert!(matches!(err, LedgerError::CorruptItem { index: 5, .. }));
    assert_eq!(seen, 6);
}

#[test]
fn a_small_first_append_finds_stored_items_without_indexing_every_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ledger = Ledger::init(dir.path()).expect("init");
    ledger
        .append(&(0..3000).map(item).collect::<Vec<_>>(), &mut NoProgress)
        .expect("append");
    drop(ledger);
    let outcome =
        |o: &[assay_ledger::AppendOutcome]| o.iter().map(|o| (o.index, o.new)).collect::<Vec<_>>();
    // A fresh store's first small append reads the stored keys and keeps only its own.
    let mut ledger = Ledger::open(dir.path()).expect("open");
    let out = ledger
        .append(
            &[
                item(7),
                item(5000),
                item(7),
                item(5000),
                item(2999),
                item(0),
            ],
            &mut NoProgress,
        )
        .expect("append");
    assert_eq!(
        outcome(&out),
        vec![
            (7, false),
            (3000, true),
            (7, false),
            (3000, false),
            (2999, false),
            (0, false)
        ]
    );
    // The next one indexes every key, including the one just added.
    let out = ledger
        .append(&[item(5000), item(11), item(5001)], &mut NoProgress)
        .expect("append");
    assert_eq!(
        outcome(&out),
        vec![(3000, false), (11, false), (3001, true)]
    );
    drop(ledger);
    // A failed small first append changes nothing, and the next append still sees every stored item.
    let mut ledger = Ledger::open(dir.path()).expect("open");
    let mut bad = item(6000);
    bad.subject = " ".into();
    assert!(ledger.append(&[item(6001), bad], &mut NoProgress).is_err());
    assert_eq!(ledger.len().expect("len"), 3002);
    let out = ledger
        .append(&[item(3), item(5001), item(6001)], &mut NoProgress)
        .expect("append");
    assert_eq!(outcome(&out), vec![(3, false), (3001, false), (3002, true)]);
    // A large first append indexes every key, as before.
    drop(ledger);
    let mut ledger = Ledger::open(dir.path()).expect("open");
    let out = ledger
        .append(&(2900..3100).map(item).collect::<Vec<_>>(), &mut NoProgress)
        .expect("append");
    assert!(
        out[..100]
            .iter()
            .enumerate()
            .all(|(k, o)| o.index == 2900 + k as u64 && !o.new)
    );
    assert!(out[100..].iter().all(|o| o.new));
    let report = ledger.verify(&[], &mut NoProgress).expect("verify");
    assert!(report.is_clean(), "{:?}", report.problems);
}

#[test]
fn re_appending_the_same_batch_is_a_no_op() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ledger = Ledger::init(dir.path()).expect("init");
    let batch: Vec<Evidence> = (0..10).map(item).collect();
    let first = ledger.append(&batch, &mut NoProgress).expect("append");
    let root = ledger.store().tree_head().expect("head").root;
    let again = ledger
        .append(&batch, &mut NoProgress)
        .expect("append again");
    assert_eq!(
        first.iter().map(|o| o.index).collect::<Vec<_>>(),
        again.iter().map(|o| o.index).collect::<Vec<_>>()
    );
    assert!(again.iter().all(|o| !o.new));
    assert_eq!(ledger.len().expect("len"), 10);
    assert_eq!(ledger.store().tree_head().expect("head").root, root);
    // Same identity, later collection time: still the same item.
    let mut later = item(4);
    later.collected_at = ts("2025-06-01T00:00:00Z");
    let mixed = ledger
        .append(&[item(10), later, item(10)], &mut NoProgress)
        .expect("append");
    assert_eq!(
        mixed.iter().map(|o| (o.index, o.new)).collect::<Vec<_>>(),
        vec![(10, true), (4, false), (10, false)]
    );
    // A different payload is a different item.
    let mut changed = item(4);
    changed.payload = json!({"n": 4, "msg": "amended"});
    assert_eq!(
        ledger.append(&[changed], &mut NoProgress).expect("append")[0].index,
        11
    );
    assert!(
        ledger
            .verify(&[], &mut NoProgress)
            .expect("verify")
            .is_clean()
    );
}

#[test]
fn idempotency_holds_across_two_open_ledgers_and_large_batches() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut a = Ledger::init(dir.path()).expect("init");
    a.append(&[item(0)], &mut NoProgress).expect("append");
    // A second writer (another process, in practice) appends while `a` holds its keys in memory.
    let mut b = Ledger::open(dir.path()).expect("open");
    assert_eq!(
        b.append(&[item(0), item(1)], &mut NoProgress)
            .expect("append")
            .iter()
            .map(|o| (o.index, o.new))
            .collect::<Vec<_>>(),
        vec![(0, false), (1, true)]
    );
    drop(b);
    assert_eq!(
        a.append(&[item(1), item(2)], &mut NoProgress)
            .expect("append")
            .iter()
            .map(|o| (o.index, o.new))
            .collect::<Vec<_>>(),
        vec![(1, false), (2, true)]
    );
    // Batched appends across tile (256) and chunk (1024) boundaries, with duplicates inside and across batches.
    let many: Vec<Evidence> = (0..5000).map(|i| item(i % 4100)).collect();
    let out = a
        .append_batched(&many, 1500, &mut NoProgress)
        .expect("batched");
    assert_eq!(out.len(), 5000);
    assert!(
        out.iter()
            .enumerate()
            .all(|(i, o)| o.index == (i % 4100) as u64)
    );
    assert_eq!(a.len().expect("len"), 4100);
    let commits = a
        .list(&ListFilter {
            kind: Some(EvidenceKind::GitCommit),
            ..ListFilter::default()
        })
        .expect("list");
    assert_eq!(commits.len(), 2050);
    assert!(commits.iter().all(|c| c.index % 2 == 0));
    let report = a
        .verify_with(
            &[],
            assay_ledger::VerifyOptions { deep: true },
            &mut NoProgress,
        )
        .expect("verify");
    assert!(report.is_clean(), "{:?}", report.problems);
}

#[test]
fn a_bad_item_in_a_later_batch_keeps_the_committed_batches_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ledger = Ledger::init(dir.path()).expect("init");
    let mut items: Vec<Evidence> = (0..3000).map(item).collect();
    items[2500].subject = " ".into();
    match ledger.append_batched(&items, 1000, &mut NoProgress) {
        Err(assay_ledger::LedgerError::InvalidEvidence {
            position, field, ..
        }) => {
            assert_eq!((position, field.as_str()), (2500, "subject"));
        }
        other => panic!("expected an invalid item, got {other:?}"),
    }
    assert_eq!(ledger.len().expect("len"), 2000);
    assert!(
        ledger
            .verify(&[], &mut NoProgress)
            .expect("verify")
            .is_clean()
    );
    // The same call with the item fixed resumes idempotently.
    items[2500].subject = "model:m1".into();
    let out = ledger
        .append_batched(&items, 1000, &mut NoProgress)
        .expect("append");
    assert_eq!(out.iter().filter(|o| o.new).count(), 1000);
    assert_eq!(ledger.len().expect("len"), 3000);
}

#[test]
fn invalid_items_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ledger = Ledger::init(dir.path()).expect("init");
    ledger.append(&[item(0)], &mut NoProgress).expect("append");
    let before = snapshot(dir.path());
    let mut huge = item(2);
    huge.payload = serde_json::from_str(r#"{"inode": 18446744073709551615}"#).expect("json");
    match ledger.append(&[item(1), huge], &mut NoProgress) {
        Err(LedgerError::InvalidEvidence {
            position: 1, field, ..
        }) => assert_eq!(field, "payload/inode"),
        other => panic!("{other:?}"),
    }
    let mut blank = item(3);
    blank.subject = " ".into();
    assert!(matches!(
        ledger.append(&[blank], &mut NoProgress),
        Err(LedgerError::InvalidEvidence { position: 0, .. })
    ));
    let missing = Sha256Digest::of(b"never stored");
    let mut with_missing = item(4);
    with_missing.attachments = vec![missing];
    match ledger.append(&[item(5), with_missing], &mut NoProgress) {
        Err(LedgerError::MissingBlob { digest, path }) => {
            assert_eq!(digest, missing);
            assert!(path.ends_with(format!(
                "{}/{}",
                &missing.to_hex()[..2],
                &missing.to_hex()[2..]
            )));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(ledger.len().expect("len"), 1);
    drop(ledger);
    assert!(
        snapshot(dir.path()) == before,
        "a refused batch changed something"
    );
}

#[test]
fn blobs_are_content_addressed_atomic_and_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ledger = Ledger::init(dir.path()).expect("init");
    let file = dir.path().join("policy.pdf");
    std::fs::write(&file, b"%PDF- access policy v3").expect("write");
    let d = ledger.add_blob_file(&file, 1024).expect("add");
    assert_eq!(d, Sha256Digest::of(b"%PDF- access policy v3"));
    assert_eq!(ledger.add_blob_file(&file, 1024).expect("idempotent"), d);
    let stored = dir
        .path()
        .join(".assay/blobs")
        .join(&d.to_hex()[..2])
        .join(&d.to_hex()[2..]);
    assert!(stored.is_file());
    assert_eq!(
        ledger.read_blob(&d).expect("read"),
        b"%PDF- access policy v3"
    );
    let mut manual = item(1);
    manual.kind = EvidenceKind::ManualDocument;
    manual.attachments = vec![d];
    manual.note = Some("approved by the CISO".into());
    manual.expires_at = Some(ts("2026-01-01T00:00:00Z"));
    assert_eq!(
        ledger
            .append(&[manual.clone()], &mut NoProgress)
            .expect("append")[0]
            .index,
        0
    );
    assert_eq!(ledger.get(0).expect("get").evidence, manual);
    // Too large: refused, nothing left behind.
    let before = snapshot(dir.path());
    assert!(matches!(
        ledger.add_blob_file(&file, 4),
        Err(LedgerError::BlobTooLarge { limit: 4, .. })
    ));
    assert!(matches!(
        ledger.add_blob(b"0123456789", 4),
        Err(LedgerError::BlobTooLarge { .. })
    ));
    // Unreadable inputs name the path.
    let nowhere = dir.path().join("no-such-file.pdf");
    match ledger.add_blob_file(&nowhere, 1024) {
        Err(LedgerError::Io { path, .. }) => assert_eq!(path, nowhere),
        other => panic!("{other:?}"),
    }
    match ledger.add_blob_file(dir.path(), 1024) {
        Err(LedgerError::Io { path, .. }) => assert_eq!(path, dir.path()),
        other => panic!("{other:?}"),
    }
    assert!(
        snapshot(dir.path()) == before,
        "a refused blob changed something"
    );
    // A changed blob is caught on read.
    std::fs::write(&stored, b"%PDF- access policy v4").expect("tamper");
    assert!(matches!(
        ledger.read_blob(&d),
        Err(LedgerError::BlobCorrupted { .. })
    ));
    std::fs::remove_file(&stored).expect("remove");
    assert!(matches!(
        ledger.read_blob(&d),
        Err(LedgerError::MissingBlob { .. })
    ));
    let report = ledger.verify(&[], &mut NoProgress).expect("verify");
    assert_eq!(report.problems.len(), 1);
    assert_eq!(
        (report.problems[0].index, report.problems[0].category),
        (Some(0), ProblemCategory::BlobMissing)
    );
}

#[test]
fn corrupted_or_foreign_database_files_are_refused_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let assay = dir.path().join(".assay");
    std::fs::create_dir_all(&assay).expect("mkdir");
    let db = assay.join("ledger.db");
    // Missing.
    assert!(
        matches!(Ledger::open(dir.path()), Err(LedgerError::NotInitialized { path }) if path == db)
    );
    // Random bytes (deterministic xorshift).
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let noise: Vec<u8> = (0..8192)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(&db, &noise).expect("write");
    match Ledger::open(dir.path()) {
        Err(LedgerError::NotALedger { path, reason }) => {
            assert_eq!(path, db);
            assert!(!reason.is_empty());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        std::fs::read(&db).expect("read"),
        noise,
        "the file was modified"
    );
    assert_eq!(dir_listing(&assay).len(), 1, "side files were created");
    // A valid SQLite file of another application.
    std::fs::remove_file(&db).expect("rm");
    rusqlite::Connection::open(&db)
        .and_then(|c| c.execute_batch("CREATE TABLE t(x)"))
        .expect("foreign db");
    assert!(
        matches!(Ledger::open(dir.path()), Err(LedgerError::NotALedger { path, .. }) if path == db)
    );
    // A ledger whose pages were damaged after the header.
    std::fs::remove_file(&db).expect("rm");
    let mut ledger = Ledger::init(dir.path()).expect("init");
    ledger
        .append(&(0..200).map(item).collect::<Vec<_>>(), &mut NoProgress)
        .expect("append");
    drop(ledger);
    let mut bytes = std::fs::read(&db).expect("read");
    if bytes.len() > 4096 {
        for b in &mut bytes[4096..] {
            *b = 0xA5;
        }
    }
    std::fs::write(&db, &bytes).expect("write");
    let _ = std::fs::remove_file(assay.join("ledger.db-wal"));
    let _ = std::fs::remove_file(assay.join("ledger.db-shm"));
    match Ledger::open(dir.path()).and_then(|l| l.verify(&[], &mut NoProgress)) {
        Err(LedgerError::NotALedger { path, .. } | LedgerError::Database { path, .. }) => {
            assert_eq!(path, db)
        }
        Ok(report) => assert!(!report.is_clean()),
        Err(other) => panic!("{other:?}"),
    }
    // The database path is a directory.
    let dir2 = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir2.path().join(".assay/ledger.db")).expect("mkdir");
    assert!(Ledger::open(dir2.path()).is_err());
}

#[test]
fn checkpoint_note_format_and_keys() {
    let s = signer();
    let vkey = s.verifier_key();
    // Key hash per C2SP signed-note: SHA-256(name || "\n" || 0x01 || pubkey)[:4].
    let mut h = Sha256::new();
    h.update(b"assay.example/ledger\n\x01");
    h.update(vkey.public_key());
    let hb: [u8; 32] = h.finalize().into();
    assert_eq!(
        vkey.key_hash(),
        u32::from_be_bytes([hb[0], hb[1], hb[2], hb[3]])
    );
    let text = vkey.to_string();
    assert!(text.starts_with(&format!("assay.example/ledger+{:08x}+", vkey.key_hash())));
    assert_eq!(text.parse::<VerifierKey>().expect("parse"), vkey);
    assert!(
        "assay.example/ledger+00000000+AQ=="
            .parse::<VerifierKey>()
            .is_err()
    );

    let root = Sha256Digest::of(b"root");
    let cp = Checkpoint::sign("assay.example/ledger", 42, root, &s).expect("sign");
    let (body, sig) = cp.text.split_once("\n\n").expect("blank line");
    use base64::Engine as _;
    let b64_root = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"root"));
    assert_eq!(
        format!("{body}\n"),
        format!("assay.example/ledger\n42\n{b64_root}\n")
    );
    assert!(sig.starts_with("\u{2014} assay.example/ledger ") && sig.ends_with('\n'));
    let (parsed, by) = Checkpoint::verify(&cp.text, std::slice::from_ref(&vkey)).expect("verifies");
    assert_eq!(
        (parsed.tree_size, parsed.root, by),
        (42, root, vkey.clone())
    );
    let other = CheckpointSigner::from_seed("assay.example/ledger", [8u8; 32])
        .expect("key")
        .verifier_key();
    assert!(Checkpoint::verify(&cp.text, &[other]).is_err());
    let forged = cp.text.replacen("\n42\n", "\n43\n", 1);
    assert!(matches!(
        Checkpoint::verify(&forged, &[vkey]),
        Err(LedgerError::InvalidCheckpoint { .. })
    ));
    assert!(Checkpoint::sign("two\nlines", 1, root, &s).is_err());
    assert!(CheckpointSigner::generate("bad name").is_err());
    assert!(CheckpointSigner::generate("bad+name").is_err());
}

#[test]
fn key_files_are_private_and_never_overwritten() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.key");
    let s = CheckpointSigner::generate("acme.example/assay").expect("generate");
    s.write_private_key_file(&path).expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777,
            0o600
        );
    }
    assert!(matches!(
        s.write_private_key_file(&path),
        Err(LedgerError::KeyFileExists { .. })
    ));
    let back = CheckpointSigner::read_private_key_file(&path).expect("read");
    assert_eq!(back.verifier_key(), s.verifier_key());
    assert!(
        std::fs::read_to_string(&path)
            .expect("read")
            .starts_with("PRIVATE+KEY+acme.example/assay+")
    );
    std::fs::write(dir.path().join("bad.key"), "PRIVATE+KEY+x+00000000+AQ==").expect("write");
    assert!(matches!(
        CheckpointSigner::read_private_key_file(&dir.path().join("bad.key")),
        Err(LedgerError::InvalidKey { .. })
    ));
    assert!(format!("{s:?}").contains("acme.example/assay+"));
}

#[test]
fn prove_verify_and_export_for_the_python_verifier() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ledger = Ledger::init(dir.path()).expect("init");
    assert!(matches!(
        ledger.prove(0),
        Err(LedgerError::NoCheckpoint { index: 0 })
    ));
    let s = signer();
    ledger
        .append(&(0..13).map(item).collect::<Vec<_>>(), &mut NoProgress)
        .expect("append");
    let cp1 = ledger
        .checkpoint("assay.example/ledger", &s, ts("2025-01-02T00:00:00Z"))
        .expect("checkpoint");
    ledger
        .append(&(13..21).map(item).collect::<Vec<_>>(), &mut NoProgress)
        .expect("append");
    let cp2 = ledger
        .checkpoint("assay.example/ledger", &s, ts("2025-01-03T00:00:00Z"))
        .expect("checkpoint");
    assert_eq!((cp1.tree_size, cp2.tree_size), (13, 21));
    let consistency = ledger.consistency_proof(13, 21).expect("consistency");
    assert!(assay_ledger::merkle::verify_consistency(
        13,
        21,
        &cp1.root,
        &cp2.root,
        &consistency
    ));
    let vkey = s.verifier_key();
    for i in [0, 5, 12, 13, 20] {
        let proof = ledger.prove(i).expect("prove");
        assert_eq!(proof.tree_size, 21);
        let json = serde_json::to_string_pretty(&proof).expect("json");
        let back: Proof = serde_json::from_str(&json).expect("parse");
        assert_eq!(
            back.verify(std::slice::from_ref(&vkey)).expect("verifies"),
            item(i)
        );
        let mut bad = back.clone();
        bad.index = (i + 1) % 21;
        assert!(bad.verify(std::slice::from_ref(&vkey)).is_err());
        if i == 5 {
            let out = Path::new(env!("CARGO_TARGET_TMPDIR"));
            std::fs::write(out.join("ledger-proof.json"), &json).expect("write proof");
            std::fs::write(out.join("ledger-vkey.txt"), vkey.to_string()).expect("write vkey");
        }
    }
    let report = ledger
        .verify(std::slice::from_ref(&vkey), &mut NoProgress)
        .expect("verify");
    assert!(report.is_clean(), "{:?}", report.problems);
    assert_eq!((report.items, report.checkpoints), (21, 2));
    // Checkpoints must be signed by a trusted key when keys are given.
    let stranger = CheckpointSigner::from_seed("someone.else", [9u8; 32])
        .expect("key")
        .verifier_key();
    let report = ledger.verify(&[stranger], &mut NoProgress).expect("verify");
    assert_eq!(
        report
            .problems
            .iter()
            .filter(|p| p.category == ProblemCategory::CheckpointSignature)
            .count(),
        2
    );
}

#[test]
fn tampered_checkpoints_and_truncation_are_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ledger = Ledger::init(dir.path()).expect("init");
    let s = signer();
    ledger
        .append(&(0..10).map(item).collect::<Vec<_>>(), &mut NoProgress)
        .expect("append");
    ledger
        .checkpoint("assay.example/ledger", &s, ts("2025-01-02T00:00:00Z"))
        .expect("checkpoint");
    drop(ledger);
    let db = rusqlite::Connection::open(dir.path().join(".assay/ledger.db")).expect("open");
    db.execute("UPDATE checkpoints SET text = replace(text, char(10) || '10' || char(10), char(10) || '11' || char(10))", []).expect("update");
    // Cut the last two items and fix up the tree head like a careful attacker would (minus the signature).
    db.execute("DELETE FROM items WHERE idx >= 8", [])
        .expect("delete");
    drop(db);
    let ledger = Ledger::open(dir.path()).expect("open");
    let report = ledger
        .verify(&[s.verifier_key()], &mut NoProgress)
        .expect("verify");
    let cats: Vec<_> = report
        .problems
        .iter()
        .map(|p| (p.index, p.category))
        .collect();
    assert!(
        cats.contains(&(Some(8), ProblemCategory::Missing)),
        "{cats:?}"
    );
    assert!(
        cats.contains(&(Some(9), ProblemCategory::Missing)),
        "{cats:?}"
    );
    assert!(
        cats.iter()
            .any(|c| c.1 == ProblemCategory::CheckpointSignature),
        "{cats:?}"
    );
}

#[test]
fn cursors_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ledger = Ledger::init(dir.path()).expect("init");
    assert_eq!(ledger.cursor("git", "repo:.").expect("get"), None);
    ledger.set_cursor("git", "repo:.", "abc").expect("set");
    ledger.set_cursor("git", "repo:.", "def").expect("set");
    assert_eq!(
        ledger.cursor("git", "repo:.").expect("get").as_deref(),
        Some("def")
    );
}
