//! The evidence ledger through the `assay` binary: the demo's ledger verifies, a one-byte change
//! made with SQLite is caught and named, proofs verify independently, bad input changes nothing.

mod common;
use common::{assay, code, demo, stdout};

use std::path::Path;

fn db(ws: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(ws.join(".assay/ledger.db")).expect("open ledger db")
}

#[test]
fn demo_ledger_verifies_and_a_one_byte_change_is_named() {
    let (_t, ws) = demo();
    let clean = assay(&ws, &["verify"]);
    assert_eq!(code(&clean), 0, "{}", stdout(&clean));
    assert!(stdout(&clean).contains("Ledger verified: 121 items, 4 checkpoints and 5 attachments"));

    // Flip one byte inside item 2's stored payload, as someone with the sqlite3 tool would.
    let conn = db(&ws);
    let mut bytes: Vec<u8> = conn
        .query_row("SELECT canonical FROM items WHERE idx = 2", [], |r| {
            r.get(0)
        })
        .expect("item 2");
    let at = bytes
        .windows(5)
        .position(|w| w == b"title")
        .expect("payload has a title")
        + 10;
    bytes[at] ^= 0x01;
    conn.execute("UPDATE items SET canonical = ?1 WHERE idx = 2", [&bytes])
        .expect("tamper");
    drop(conn);

    let out = assay(&ws, &["verify"]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(
        text.contains("item #2 (manual.document, policy:data-retention)"),
        "{text}"
    );
    let json = assay(&ws, &["verify", "--json"]);
    assert_eq!(code(&json), 1);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert!(
        v["problems"]
            .as_array()
            .expect("problems")
            .iter()
            .any(|p| p["index"] == 2 && p["category"] == "content_changed"),
        "{v}"
    );
}

#[test]
fn deleted_and_swapped_rows_are_caught() {
    let (_t, ws) = demo();
    db(&ws)
        .execute("DELETE FROM items WHERE idx = 1", [])
        .expect("delete");
    let out = assay(&ws, &["verify"]);
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).contains("#1"), "{}", stdout(&out));

    let (_t2, ws2) = demo();
    let conn = db(&ws2);
    conn.execute_batch(
        "UPDATE items SET idx = -1 WHERE idx = 0;
         UPDATE items SET idx = 0 WHERE idx = 3;
         UPDATE items SET idx = 3 WHERE idx = -1;",
    )
    .expect("swap");
    drop(conn);
    let out = assay(&ws2, &["verify"]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(text.contains("#0") && text.contains("#3"), "{text}");
}

#[test]
fn swapped_rows_name_where_they_came_from_and_deep_checks_the_keys() {
    let (_t, ws) = demo();
    db(&ws)
        .execute_batch(
            "UPDATE items SET idx = -1 WHERE idx = 1;
             UPDATE items SET idx = 1 WHERE idx = 2;
             UPDATE items SET idx = 2 WHERE idx = -1;",
        )
        .expect("swap");
    let text = stdout(&assay(&ws, &["verify"]));
    assert!(
        text.contains("item 1 is the item that was appended at position 2")
            && text.contains("item 2 is the item that was appended at position 1"),
        "{text}"
    );

    // A damaged idempotency key is not evidence, so only --deep looks at it.
    let (_t2, ws2) = demo();
    let conn = db(&ws2);
    let mut keys: Vec<u8> = conn
        .query_row("SELECT keys FROM tiles WHERE tile = 0", [], |r| r.get(0))
        .expect("tile 0");
    keys[3 * 32] ^= 0x80;
    conn.execute("UPDATE tiles SET keys = ?1 WHERE tile = 0", [&keys])
        .expect("tamper key");
    drop(conn);
    assert_eq!(code(&assay(&ws2, &["verify"])), 0);
    let deep = assay(&ws2, &["verify", "--deep", "--json"]);
    assert_eq!(code(&deep), 1);
    let v: serde_json::Value = serde_json::from_slice(&deep.stdout).expect("json");
    assert_eq!(v["deep"], true);
    let problems = v["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{v}");
    assert_eq!(problems[0]["index"], 3);
    assert_eq!(problems[0]["category"], "index_columns");
}

#[test]
fn a_changed_attachment_is_caught() {
    let (_t, ws) = demo();
    let blobs = ws.join(".assay/blobs");
    let shard = std::fs::read_dir(&blobs)
        .expect("blobs")
        .next()
        .expect("a shard")
        .expect("entry")
        .path();
    let blob = std::fs::read_dir(&shard)
        .expect("shard")
        .next()
        .expect("a blob")
        .expect("entry")
        .path();
    let mut bytes = std::fs::read(&blob).expect("read blob");
    bytes[0] ^= 0x20;
    std::fs::write(&blob, bytes).expect("write blob");
    let out = assay(&ws, &["verify"]);
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).contains("attachment"), "{}", stdout(&out));
}

#[test]
fn a_proof_verifies_against_the_published_key() {
    let (_t, ws) = demo();
    let out = assay(&ws, &["evidence", "prove", "1", "--out", "proof.json"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let proof: assay_ledger::Proof =
        serde_json::from_slice(&std::fs::read(ws.join("proof.json")).expect("proof file"))
            .expect("proof json");
    let key: assay_ledger::VerifierKey =
        std::fs::read_to_string(ws.join(".assay/keys/checkpoint.pub"))
            .expect("public key")
            .trim()
            .parse()
            .expect("verifier key");
    let evidence = proof.verify(&[key]).expect("proof verifies");
    assert_eq!(evidence.subject, "policy:responsible-ai");
    assert_eq!(proof.index, 1);
    assert_eq!(
        proof.tree_size, 121,
        "the latest checkpoint, signed after the demo collected its sources"
    );
}

#[test]
fn keygen_writes_a_private_key_only_the_owner_can_read_and_never_overwrites() {
    use std::os::unix::fs::PermissionsExt;
    let t = tempfile::tempdir().expect("tempdir");
    let out = assay(t.path(), &["keygen", "--name", "example.com/ledger"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let key = t.path().join(".assay/keys/checkpoint.key");
    let mode = std::fs::metadata(&key).expect("key").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let before = std::fs::read(&key).expect("read");
    let again = assay(t.path(), &["keygen"]);
    assert_eq!(code(&again), 2);
    assert_eq!(std::fs::read(&key).expect("read"), before);
    assert!(!stdout(&out).contains(&String::from_utf8_lossy(&before).into_owned()));
}

#[test]
fn bad_input_exits_2_and_stores_nothing() {
    let t = tempfile::tempdir().expect("tempdir");
    let dir = t.path();
    std::fs::write(dir.join("policy.md"), "# policy\n").expect("write");
    let cases: [&[&str]; 6] = [
        &[
            "evidence",
            "add",
            "--subject",
            "policy:x",
            "--file",
            "missing.md",
        ],
        &[
            "evidence",
            "add",
            "--subject",
            "policy:x",
            "--kind",
            "made.up",
        ],
        &[
            "evidence",
            "add",
            "--subject",
            "policy:x",
            "--payload",
            "{not json",
        ],
        &[
            "evidence",
            "add",
            "--subject",
            "policy:x",
            "--payload",
            "[1,2]",
        ],
        &[
            "evidence",
            "add",
            "--subject",
            "policy:x",
            "--observed-at",
            "last tuesday",
        ],
        &["evidence", "add", "--subject", "  ", "--file", "policy.md"],
    ];
    for args in cases {
        let out = assay(dir, args);
        assert_eq!(
            code(&out),
            2,
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!dir.join(".assay").exists(), "{args:?} wrote state");
    }
    // A corrupted database is reported, not a panic.
    let ok = assay(
        dir,
        &[
            "evidence",
            "add",
            "--subject",
            "policy:x",
            "--file",
            "policy.md",
        ],
    );
    assert_eq!(code(&ok), 0);
    std::fs::write(
        dir.join(".assay/ledger.db"),
        b"this is not a database at all",
    )
    .expect("corrupt");
    let out = assay(dir, &["evidence", "list"]);
    assert_eq!(code(&out), 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ledger.db"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn evidence_add_list_show_round_trip_and_re_adding_is_a_no_op() {
    let t = tempfile::tempdir().expect("tempdir");
    let dir = t.path();
    std::fs::write(dir.join("review.csv"), "user,decision\nalice,keep\n").expect("write");
    let args = [
        "evidence",
        "add",
        "--kind",
        "access_review",
        "--subject",
        "system:registry",
        "--file",
        "review.csv",
        "--observed-at",
        "2026-03-31",
        "--payload",
        r#"{"reviewer":"CISO"}"#,
    ];
    let first = assay(dir, &args);
    assert_eq!(
        code(&first),
        0,
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let again = assay(dir, &args);
    assert!(
        stdout(&again).contains("Already recorded as evidence #0"),
        "{}",
        stdout(&again)
    );
    let list = assay(
        dir,
        &["evidence", "list", "--kind", "access_review", "--json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&list.stdout).expect("json");
    assert_eq!(v["count"], 1);
    let item = &v["items"][0]["evidence"];
    assert_eq!(item["payload"]["reviewer"], "CISO");
    assert_eq!(item["observed_at"], "2026-03-31T00:00:00Z");
    let none = assay(
        dir,
        &["evidence", "list", "--since", "2026-04-01", "--json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&none.stdout).expect("json");
    assert_eq!(v["count"], 0);
    let show = assay(dir, &["evidence", "show", "7"]);
    assert_eq!(code(&show), 2);
}
