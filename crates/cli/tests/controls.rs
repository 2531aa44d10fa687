//! Workspace controls (`controls/<ID>.toml|.rego|.cases.json`): `assay controls test` runs their cases (exit 0
//! when all hold, 1 when one does not), malformed or clashing files exit 2 naming the file, and `assay check`
//! evaluates them beside the catalog on the demo's evidence.

mod common;
use std::path::Path;

use common::{assay, code, demo, stdout};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/controls");

fn install(ws: &Path) -> std::path::PathBuf {
    let dir = ws.join("controls");
    std::fs::create_dir_all(&dir).expect("mkdir");
    for ext in ["toml", "rego", "cases.json"] {
        let name = format!("X-ACME-01.{ext}");
        std::fs::copy(Path::new(FIXTURES).join(&name), dir.join(&name)).expect("copy");
    }
    dir
}

#[test]
fn workspace_controls_run_their_cases_and_join_the_check() {
    let (_t, ws) = demo();
    let dir = install(&ws);

    let out = assay(&ws, &["controls", "test"]);
    let text = stdout(&out);
    assert_eq!(
        code(&out),
        0,
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("X-ACME-01 (workspace) 2 cases"), "{text}");
    assert!(text.contains("2 of 2 cases held"), "{text}");

    // `assay check` evaluates it on the demo's commits (their last week, March 2025), with a reason.
    let check = assay(
        &ws,
        &[
            "check",
            "--json",
            "--no-record",
            "--at",
            "2025-03-28T00:00:00Z",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&check.stdout).expect("json");
    let r = v["report"]["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["control"] == "X-ACME-01")
        .expect("the workspace control is in the report");
    assert_eq!(r["status"], "fail", "{r}");
    assert!(
        r["reason"]
            .as_str()
            .is_some_and(|s| s.contains("commit(s) name no ticket")),
        "{r}"
    );

    // A wrong expectation is a failed case: exit 1, with what was expected and what came out.
    let cases = dir.join("X-ACME-01.cases.json");
    let text = std::fs::read_to_string(&cases).expect("cases");
    std::fs::write(
        &cases,
        text.replace("\"status\": \"fail\"", "\"status\": \"pass\""),
    )
    .expect("write");
    let out = assay(&ws, &["controls", "test", "--json"]);
    assert_eq!(code(&out), 1);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["failed"], 1, "{v}");
    assert!(
        v["controls"][0]["cases"][1]["got"]
            .as_str()
            .is_some_and(|g| g.starts_with("fail")),
        "{v}"
    );
    std::fs::write(&cases, text).expect("restore");

    // Built-in cases too.
    let out = assay(&ws, &["controls", "test", "--builtin", "DEP-05"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(stdout(&out).contains("DEP-05 (builtin)"));
}

#[test]
fn malformed_or_clashing_controls_exit_2_naming_the_file() {
    let t = tempfile::tempdir().expect("tempdir");
    assert_eq!(code(&assay(t.path(), &["init", "-q", "--name", "Acme"])), 0);
    let out = assay(t.path(), &["controls", "test"]);
    assert_eq!(code(&out), 2, "no controls folder");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no workspace controls"));

    let dir = install(t.path());
    let toml = dir.join("X-ACME-01.toml");
    let good = std::fs::read_to_string(&toml).expect("toml");

    std::fs::write(
        &toml,
        good.replace("criteria = [\"CC8.1\"]", "criteria = [\"CC8.9\"]"),
    )
    .expect("write");
    let out = assay(t.path(), &["controls", "test"]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(code(&out), 2, "{err}");
    assert!(err.contains("X-ACME-01.toml line 6"), "{err}");

    std::fs::write(&toml, good.replace("id = \"X-ACME-01\"", "id = \"DEP-05\"")).expect("write");
    let out = assay(t.path(), &["controls", "test"]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("differs from its file name"));

    std::fs::write(&toml, &good).expect("write");
    std::fs::write(
        dir.join("X-ACME-01.rego"),
        "package assay.control\noccurrences contains o if {",
    )
    .expect("write");
    let out = assay(t.path(), &["controls", "test"]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(code(&out), 2, "{err}");
    assert!(
        err.contains("X-ACME-01.rego") && err.contains("does not compile"),
        "{err}"
    );
    // `assay check` refuses the same broken control the same way, and stores nothing.
    let out = assay(t.path(), &["check"]);
    assert_eq!(code(&out), 2);
}
