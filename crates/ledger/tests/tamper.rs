//! Property tests: clean ledgers always verify; one random mutation of the stored data is always reported with
//! the index of the item concerned.

use std::path::Path;

use assay_ledger::{
    CheckpointSigner, Evidence, EvidenceKind, Ledger, NoProgress, ProblemCategory, Sha256Digest,
    Source, VerifyOptions,
};
use jiff::Timestamp;
use proptest::prelude::*;
use serde_json::json;

#[derive(Debug, Clone)]
enum Mutation {
    /// Flip one byte of an item's stored canonical bytes (payload included).
    CanonicalByte {
        item: prop::sample::Index,
        byte: prop::sample::Index,
        xor: u8,
    },
    /// Flip one byte of the leaf hash recorded for an item's position.
    LeafHashByte {
        item: prop::sample::Index,
        byte: usize,
        xor: u8,
    },
    /// Flip one byte of the idempotency key recorded for an item's position (found by deep verify).
    KeyByte {
        item: prop::sample::Index,
        byte: usize,
        xor: u8,
    },
    /// Relabel the kind run that lists an item.
    KindRun { item: prop::sample::Index },
    /// Flip one byte of an attached blob file.
    BlobByte {
        item: prop::sample::Index,
        byte: prop::sample::Index,
        xor: u8,
    },
    /// Delete one row.
    DeleteRow { item: prop::sample::Index },
    /// Swap two rows.
    SwapRows {
        a: prop::sample::Index,
        b: prop::sample::Index,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let xor = 1u8..=255;
    prop_oneof![
        (
            any::<prop::sample::Index>(),
            any::<prop::sample::Index>(),
            xor.clone()
        )
            .prop_map(|(item, byte, xor)| Mutation::CanonicalByte { item, byte, xor }),
        (any::<prop::sample::Index>(), 0usize..32, xor.clone())
            .prop_map(|(item, byte, xor)| Mutation::LeafHashByte { item, byte, xor }),
        (any::<prop::sample::Index>(), 0usize..32, xor.clone())
            .prop_map(|(item, byte, xor)| Mutation::KeyByte { item, byte, xor }),
        any::<prop::sample::Index>().prop_map(|item| Mutation::KindRun { item }),
        (
            any::<prop::sample::Index>(),
            any::<prop::sample::Index>(),
            xor
        )
            .prop_map(|(item, byte, xor)| Mutation::BlobByte { item, byte, xor }),
        any::<prop::sample::Index>().prop_map(|item| Mutation::DeleteRow { item }),
        (any::<prop::sample::Index>(), any::<prop::sample::Index>())
            .prop_map(|(a, b)| Mutation::SwapRows { a, b }),
    ]
}

#[derive(Debug, Clone)]
struct Spec {
    /// Batch sizes.
    batches: Vec<usize>,
    /// Which items get an attachment (by position modulo).
    attach_every: usize,
    payload_words: Vec<String>,
    checkpoint: bool,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop::collection::vec(1usize..12, 1..4),
        1usize..5,
        prop::collection::vec("[a-z\u{e9}\u{1f600} ]{0,12}", 1..4),
        any::<bool>(),
    )
        .prop_map(|(batches, attach_every, payload_words, checkpoint)| Spec {
            batches,
            attach_every,
            payload_words,
            checkpoint,
        })
}

fn build(dir: &Path, spec: &Spec) -> (Vec<Option<Sha256Digest>>, CheckpointSigner) {
    let mut ledger = Ledger::init(dir).expect("init");
    let signer = CheckpointSigner::from_seed("test.example/log", [3u8; 32]).expect("key");
    let mut attachments = Vec::new();
    let mut n = 0u64;
    for (b, size) in spec.batches.iter().enumerate() {
        let mut batch = Vec::new();
        for _ in 0..*size {
            let blob = if (n as usize).is_multiple_of(spec.attach_every) {
                Some(
                    ledger
                        .add_blob(
                            format!("attachment {n} {:?}", spec.payload_words).as_bytes(),
                            1 << 20,
                        )
                        .expect("blob"),
                )
            } else {
                None
            };
            attachments.push(blob);
            batch.push(Evidence {
                kind: if n.is_multiple_of(3) {
                    EvidenceKind::AccessReview
                } else {
                    EvidenceKind::Custom("custom.test".into())
                },
                subject: format!("component:{}", n % 4),
                source: Source {
                    collector: "test".into(),
                    locator: format!("batch {b} item {n}"),
                },
                observed_at: Timestamp::from_second(1_600_000_000 + n as i64).expect("ts"),
                collected_at: Timestamp::from_second(1_700_000_000).expect("ts"),
                payload: json!({"n": n, "words": spec.payload_words, "f": n as f64 / 7.0}),
                attachments: blob.into_iter().collect(),
                expires_at: None,
                note: None,
            });
            n += 1;
        }
        ledger.append(&batch, &mut NoProgress).expect("append");
        if spec.checkpoint && b == 0 {
            ledger
                .checkpoint(
                    "test.example/log",
                    &signer,
                    Timestamp::from_second(1_700_000_001).expect("ts"),
                )
                .expect("checkpoint");
        }
    }
    (attachments, signer)
}

/// Apply the mutation; returns the indices a problem must name (any of them).
fn mutate(dir: &Path, attachments: &[Option<Sha256Digest>], m: &Mutation) -> Option<Vec<u64>> {
    let db = rusqlite::Connection::open(dir.join(".assay/ledger.db")).expect("open db");
    let n = attachments.len();
    match m {
        Mutation::CanonicalByte { item, byte, xor } => {
            let i = item.index(n) as i64;
            let mut c: Vec<u8> = db
                .query_row("SELECT canonical FROM items WHERE idx = ?1", [i], |r| {
                    r.get(0)
                })
                .expect("row");
            let k = byte.index(c.len());
            c[k] ^= xor;
            db.execute(
                "UPDATE items SET canonical = ?1 WHERE idx = ?2",
                rusqlite::params![c, i],
            )
            .expect("update");
            Some(vec![i as u64])
        }
        Mutation::LeafHashByte { item, byte, xor } | Mutation::KeyByte { item, byte, xor } => {
            let i = item.index(n) as i64;
            let column = if matches!(m, Mutation::LeafHashByte { .. }) {
                "leaves"
            } else {
                "keys"
            };
            let (tile, slot) = (i / 256, (i % 256) as usize * 32);
            let mut c: Vec<u8> = db
                .query_row(
                    &format!("SELECT {column} FROM tiles WHERE tile = ?1"),
                    [tile],
                    |r| r.get(0),
                )
                .expect("tile");
            c[slot + *byte] ^= xor;
            db.execute(
                &format!("UPDATE tiles SET {column} = ?1 WHERE tile = ?2"),
                rusqlite::params![c, tile],
            )
            .expect("update");
            Some(vec![i as u64])
        }
        Mutation::KindRun { item } => {
            let i = item.index(n) as i64;
            let changed = db
                .execute(
                    "UPDATE kind_runs SET kind = 'git.commit' WHERE first <= ?1 AND last >= ?1",
                    [i],
                )
                .expect("update");
            assert_eq!(changed, 1, "item {i} is in exactly one run");
            Some(vec![i as u64])
        }
        Mutation::BlobByte { item, byte, xor } => {
            let with: Vec<(usize, Sha256Digest)> = attachments
                .iter()
                .enumerate()
                .filter_map(|(i, a)| a.map(|d| (i, d)))
                .collect();
            let (i, d) = with[item.index(with.len())];
            let h = d.to_hex();
            let path = dir.join(".assay/blobs").join(&h[..2]).join(&h[2..]);
            let mut bytes = std::fs::read(&path).expect("blob");
            let k = byte.index(bytes.len());
            bytes[k] ^= xor;
            std::fs::write(&path, bytes).expect("write blob");
            Some(vec![i as u64])
        }
        Mutation::DeleteRow { item } => {
            let i = item.index(n) as i64;
            db.execute("DELETE FROM items WHERE idx = ?1", [i])
                .expect("delete");
            Some(vec![i as u64])
        }
        Mutation::SwapRows { a, b } => {
            let (a, b) = (a.index(n) as i64, b.index(n) as i64);
            if a == b {
                return None;
            }
            db.execute_batch(&format!(
                "UPDATE items SET idx = -1 WHERE idx = {a}; UPDATE items SET idx = {a} WHERE idx = {b}; UPDATE items SET idx = {b} WHERE idx = -1;"
            ))
            .expect("swap");
            Some(vec![a as u64, b as u64])
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn clean_ledgers_verify(spec in spec()) {
        let dir = tempfile::tempdir().expect("tempdir");
        let (attachments, signer) = build(dir.path(), &spec);
        let ledger = Ledger::open(dir.path()).expect("open");
        let report = ledger.verify(&[signer.verifier_key()], &mut NoProgress).expect("verify");
        prop_assert!(report.is_clean(), "{:?}", report.problems);
        let deep = ledger
            .verify_with(&[signer.verifier_key()], VerifyOptions { deep: true }, &mut NoProgress)
            .expect("deep verify");
        prop_assert!(deep.is_clean(), "{:?}", deep.problems);
        prop_assert_eq!(report.items, attachments.len() as u64);
        prop_assert_eq!(report.blobs, attachments.iter().flatten().count() as u64);
    }

    #[test]
    fn any_single_mutation_is_reported_with_its_index(spec in spec(), m in mutation()) {
        let dir = tempfile::tempdir().expect("tempdir");
        let (attachments, signer) = build(dir.path(), &spec);
        let Some(expected) = mutate(dir.path(), &attachments, &m) else { return Ok(()) };
        let ledger = Ledger::open(dir.path()).expect("open");
        let deep = VerifyOptions { deep: matches!(m, Mutation::KeyByte { .. }) };
        let report = ledger.verify_with(&[signer.verifier_key()], deep, &mut NoProgress).expect("verify");
        prop_assert!(!report.is_clean(), "mutation {:?} not detected", m);
        let named: Vec<u64> = report.problems.iter().filter_map(|p| p.index).collect();
        prop_assert!(expected.iter().all(|e| named.contains(e)), "mutation {:?}: expected {:?}, problems {:?}", m, expected, report.problems);
        for p in &report.problems {
            prop_assert!(!p.what.is_empty());
            if matches!(m, Mutation::BlobByte { .. }) {
                prop_assert_eq!(p.category, ProblemCategory::BlobChanged);
            }
        }
    }
}
