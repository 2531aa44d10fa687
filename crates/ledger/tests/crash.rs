//! Crash safety: a child process appending batches is killed with SIGKILL at random moments, again and again.
//! Afterwards the ledger verifies and every index the child reported as appended is present with its content.
//!
//! The child is this test binary itself, re-executed with `ASSAY_LEDGER_CRASH_CHILD` set.

use std::io::{BufRead as _, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use assay_ledger::{Evidence, EvidenceKind, Ledger, NoProgress, Source};
use jiff::Timestamp;
use serde_json::json;

const CHILD_ENV: &str = "ASSAY_LEDGER_CRASH_CHILD";
const ROUND_ENV: &str = "ASSAY_LEDGER_CRASH_ROUND";
const KILLS: usize = 50;

fn evidence(
    round: u64,
    batch: u64,
    k: u64,
    attachment: Option<assay_ledger::Sha256Digest>,
) -> Evidence {
    Evidence {
        kind: EvidenceKind::GatewayAuditBatch,
        subject: "gateway:main".into(),
        source: Source {
            collector: "crash-test".into(),
            locator: format!("r{round}/b{batch}/k{k}"),
        },
        observed_at: Timestamp::from_second(
            1_700_000_000 + (round * 1_000_000 + batch * 1_000 + k) as i64,
        )
        .expect("ts"),
        collected_at: Timestamp::from_second(1_700_000_000).expect("ts"),
        payload: json!({"round": round, "batch": batch, "k": k, "calls": vec!["x"; (k % 7) as usize]}),
        attachments: attachment.into_iter().collect(),
        expires_at: None,
        note: None,
    }
}

/// Child mode: append batches forever, printing `APPENDED <index> <round> <batch> <k>` after each append returns.
fn child(workspace: &Path, round: u64) {
    let mut ledger = Ledger::open(workspace).expect("child open");
    let stdout = std::io::stdout();
    for batch in 0..1_000_000u64 {
        // Every fourth batch is large enough to be prepared on worker threads while the store writes.
        let size = if batch % 4 == 3 {
            2500
        } else {
            1 + (round * 7 + batch * 13) % 150
        };
        let blob = ledger
            .add_blob(format!("blob r{round} b{batch}").as_bytes(), 1 << 20)
            .expect("child blob");
        let items: Vec<Evidence> = (0..size)
            .map(|k| evidence(round, batch, k, (k == 0).then_some(blob)))
            .collect();
        let out = ledger
            .append(&items, &mut NoProgress)
            .expect("child append");
        let mut lock = stdout.lock();
        let mut text = String::new();
        for (k, o) in out.iter().enumerate() {
            text.push_str(&format!("APPENDED {} {round} {batch} {k}\n", o.index));
        }
        lock.write_all(text.as_bytes()).expect("child stdout");
        lock.flush().expect("child flush");
    }
}

#[test]
fn killed_appenders_never_lose_reported_items() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        let round = std::env::var(ROUND_ENV)
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(0);
        child(Path::new(&dir), round);
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    drop(Ledger::init(dir.path()).expect("init"));
    let exe = std::env::current_exe().expect("test binary");
    let mut reported: Vec<(u64, u64, u64, u64)> = Vec::new();
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    let mut kills = 0usize;
    let mut round = 0u64;
    while kills < KILLS {
        round += 1;
        assert!(round < 500, "children keep exiting on their own");
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let delay = Duration::from_millis(5 + rng % 60);
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "killed_appenders_never_lose_reported_items",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .env(ROUND_ENV, round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        std::thread::sleep(delay);
        if child.try_wait().expect("try_wait").is_none() {
            // Child::kill sends SIGKILL on Unix.
            child.kill().expect("kill");
            kills += 1;
        }
        child.wait().expect("wait");
        let out = child.stdout.take().expect("stdout");
        for line in std::io::BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            let parts: Vec<&str> = line.split_whitespace().collect();
            if parts.len() == 5 && parts[0] == "APPENDED" {
                let nums: Vec<u64> = parts[1..].iter().filter_map(|p| p.parse().ok()).collect();
                if nums.len() == 4 {
                    reported.push((nums[0], nums[1], nums[2], nums[3]));
                }
            }
        }
    }
    let ledger = Ledger::open(dir.path()).expect("open after crashes");
    let report = ledger.verify(&[], &mut NoProgress).expect("verify");
    assert!(report.is_clean(), "{:?}", report.problems);
    assert!(
        !reported.is_empty(),
        "no child ever appended anything; delays too short"
    );
    let len = ledger.len().expect("len");
    for (index, round, batch, k) in &reported {
        assert!(
            *index < len,
            "reported index {index} missing (ledger has {len} items)"
        );
        let item = ledger.get(*index).expect("get");
        assert_eq!(
            item.evidence.source.locator,
            format!("r{round}/b{batch}/k{k}")
        );
    }
    eprintln!(
        "{kills} kills, {} reported appends, ledger holds {len} items",
        reported.len()
    );
}
