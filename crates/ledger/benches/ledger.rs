//! Ledger throughput next to the machine's raw SHA-256 speed. Run with `bench/ledger.sh` (release build).
//!
//! Prints: raw SHA-256 items/s for 500-byte inputs; the raw disk rate for the same bytes (written once, one fsync
//! per batch); durable batched append items/s (`append_batched`, WAL, synchronous=FULL, one transaction per
//! 10k-item batch, ~500-byte payloads, canonicalisation and hashing included, closing included) and the same with
//! one `append` call per batch; verify and verify --deep items/s (single thread); each as a ratio to the references.

use std::hint::black_box;
use std::time::Instant;

use assay_ledger::{Evidence, EvidenceKind, Ledger, NoProgress, Sha256Digest, Source};
use jiff::Timestamp;
use serde_json::json;

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn item(n: u64) -> Evidence {
    Evidence {
        kind: EvidenceKind::GatewayAuditBatch,
        subject: "gateway:inference".into(),
        source: Source {
            collector: "gateway".into(),
            locator: format!("gateway://audit/{n}"),
        },
        observed_at: Timestamp::from_second(1_700_000_000 + n as i64)
            .unwrap_or(Timestamp::UNIX_EPOCH),
        collected_at: Timestamp::from_second(1_750_000_000).unwrap_or(Timestamp::UNIX_EPOCH),
        payload: json!({
            "seq": n,
            "caller": format!("key_{:016x}", n.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            "model": "fraud-scorer@v12",
            "status": 200,
            "latency_ms": (n % 97) as f64 + 0.25,
            "route": "/v1/score",
            "request_digest": Sha256Digest::of(&n.to_le_bytes()).to_hex(),
            "response_digest": Sha256Digest::of(&(n + 1).to_le_bytes()).to_hex(),
            "filters": ["pii.email", "pii.phone", "secrets.aws_key"],
            "tags": {"env": "prod", "region": "eu-west-1", "tenant": "acme-payments", "team": "risk-ml"},
            "user_agent": "acme-payments-backend/4.2.1 (+https://acme.example/bots)",
        }),
        attachments: vec![],
        expires_at: None,
        note: None,
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it: then only a quick
    // smoke run, so the test suite stays fast.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let items = arg("--items", if smoke { 3_000 } else { 200_000 });
    let batch = arg("--batch", if smoke { 1_000 } else { 10_000 }).max(1);

    // 1. Raw SHA-256 over 500-byte inputs, one core.
    let input = vec![0x5au8; 500];
    let rounds = if smoke { 20_000u64 } else { 2_000_000 };
    let t = Instant::now();
    let mut acc = 0u8;
    for i in 0..rounds {
        let mut buf = input.clone();
        buf[..8].copy_from_slice(&i.to_le_bytes());
        acc ^= Sha256Digest::of(black_box(&buf)).0[0];
    }
    black_box(acc);
    let sha_rate = rounds as f64 / t.elapsed().as_secs_f64();

    // 2. Durable batched append: `append_batched` commits every `batch` items and prepares the next batch while
    //    one is being committed; then the same with one `append` call per batch (nothing prepared ahead).
    let all: Vec<Evidence> = (0..items).map(item).collect();
    let canonical_len: usize = all
        .iter()
        .take(1000)
        .map(|e| e.canonical_bytes().map_or(0, |c| c.len()))
        .sum::<usize>()
        / 1000;
    let payload_len: usize = all
        .iter()
        .take(1000)
        .map(|e| serde_json::to_vec(&e.payload).map_or(0, |c| c.len()))
        .sum::<usize>()
        / 1000;
    let base = std::env::temp_dir().join(format!("assay-ledger-bench-{}", std::process::id()));
    let fresh = |name: &str| {
        let dir = base.join(name);
        let _ = std::fs::remove_dir_all(&dir);
        match Ledger::init(&dir) {
            Ok(l) => (dir, l),
            Err(e) => {
                eprintln!("cannot create bench ledger in {}: {e}", dir.display());
                std::process::exit(2);
            }
        }
    };
    // The disk itself: the same bytes written once to a new file, one fsync per batch (what any durable store
    // must at least do; a WAL store writes each byte twice: log, then database).
    let disk_rate = {
        use std::io::Write as _;
        let path = base.join("raw-disk");
        let _ = std::fs::create_dir_all(&base);
        let block = vec![0x5au8; canonical_len * batch as usize];
        let t = Instant::now();
        let ok = std::fs::File::create(&path).and_then(|mut f| {
            for _ in 0..items.div_ceil(batch) {
                f.write_all(&block)?;
                f.sync_all()?;
            }
            Ok(())
        });
        let rate = items as f64 / t.elapsed().as_secs_f64();
        let _ = std::fs::remove_file(&path);
        if ok.is_ok() { rate } else { 0.0 }
    };
    let (_, mut ledger) = fresh("per-call");
    let t = Instant::now();
    for chunk in all.chunks(batch as usize) {
        if let Err(e) = ledger.append(chunk, &mut NoProgress) {
            eprintln!("append failed: {e}");
            std::process::exit(2);
        }
    }
    // Closing copies what is left of the write-ahead log into the database: part of the cost.
    drop(ledger);
    let per_call_rate = items as f64 / t.elapsed().as_secs_f64();
    let (dir, mut ledger) = fresh("batched");
    let t = Instant::now();
    if let Err(e) = ledger.append_batched(&all, batch as usize, &mut NoProgress) {
        eprintln!("append failed: {e}");
        std::process::exit(2);
    }
    drop(ledger);
    let append_rate = items as f64 / t.elapsed().as_secs_f64();

    // 3. Verify (single thread), on a freshly opened ledger.
    let ledger = match Ledger::open(&dir) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot reopen bench ledger: {e}");
            std::process::exit(2);
        }
    };
    let t = Instant::now();
    let report = match ledger.verify(&[], &mut NoProgress) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("verify failed: {e}");
            std::process::exit(2);
        }
    };
    let verify_rate = report.items as f64 / t.elapsed().as_secs_f64();
    let mut clean = report.is_clean();
    let t = Instant::now();
    let deep_rate = match ledger.verify_with(
        &[],
        assay_ledger::VerifyOptions { deep: true },
        &mut NoProgress,
    ) {
        Ok(r) => {
            clean &= r.is_clean();
            r.items as f64 / t.elapsed().as_secs_f64()
        }
        Err(e) => {
            eprintln!("deep verify failed: {e}");
            std::process::exit(2);
        }
    };
    drop(ledger);
    let _ = std::fs::remove_dir_all(&dir);

    println!(
        "ledger benchmark: {items} items, batches of {batch}, payload ~{payload_len} B, canonical item ~{canonical_len} B"
    );
    println!(
        "raw SHA-256 (500 B inputs, 1 core)     {:>12.0} items/s",
        sha_rate
    );
    println!(
        "raw disk: same bytes once, fsync/batch {:>12.0} items/s",
        disk_rate
    );
    println!(
        "durable batched append                 {:>12.0} items/s   = {:.3} x raw SHA-256, {:.2} x raw disk   (target >= 200000)",
        append_rate,
        append_rate / sha_rate,
        append_rate / disk_rate.max(1.0)
    );
    println!(
        "append, one call per batch             {:>12.0} items/s   = {:.3} x raw SHA-256",
        per_call_rate,
        per_call_rate / sha_rate
    );
    println!(
        "verify (1 core)                        {:>12.0} items/s   = {:.3} x raw SHA-256   (target >= 1000000)",
        verify_rate,
        verify_rate / sha_rate
    );
    println!(
        "verify --deep (1 core)                 {:>12.0} items/s   = {:.3} x raw SHA-256",
        deep_rate,
        deep_rate / sha_rate
    );
    println!("verify reports clean: {clean}");

    // Breakdown: where the time goes.
    let t = Instant::now();
    let prepared: Vec<_> = all.iter().filter_map(|e| e.prepare().ok()).collect();
    let prepare_rate = items as f64 / t.elapsed().as_secs_f64();
    let db = std::env::temp_dir().join(format!("assay-ledger-bench-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&db);
    if let Ok(mut store) = assay_ledger::SqliteStore::create(&db) {
        use assay_ledger::EvidenceStore as _;
        let mut batches: Vec<Vec<_>> = Vec::new();
        let mut rest = prepared;
        while !rest.is_empty() {
            let tail = rest.split_off((batch as usize).min(rest.len()));
            batches.push(rest);
            rest = tail;
        }
        let t = Instant::now();
        for chunk in batches {
            let _ = store.append(&mut std::iter::once(Ok(chunk)), &mut NoProgress);
        }
        let store_rate = items as f64 / t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut rows = 0u64;
        let _ = store.scan(&mut |r| {
            rows += 1;
            black_box(r.canonical.len());
            Ok(())
        });
        let scan_rate = rows as f64 / t.elapsed().as_secs_f64();
        println!(
            "  breakdown: prepare (JCS + hashes) {prepare_rate:.0}/s, SQLite insert {store_rate:.0}/s, SQLite scan {scan_rate:.0}/s"
        );
    }
    let _ = std::fs::remove_file(&db);
    let _ = std::fs::remove_file(db.with_extension("db-wal"));
    let _ = std::fs::remove_file(db.with_extension("db-shm"));
}
