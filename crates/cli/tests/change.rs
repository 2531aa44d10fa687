//! The demo's change-management, access-review and vulnerability evidence, through the binary: each planted
//! violation is in the ledger and listed by `assay evidence list --kind …`, a re-collect adds nothing, and a
//! malformed export exits 2 naming the file and line with nothing stored.

mod common;

use common::{assay, code, demo, stdout};

#[test]
fn each_planted_violation_is_listed_by_kind() {
    let (_t, ws) = demo();
    let list = |kind: &str| {
        let out = assay(&ws, &["evidence", "list", "--kind", kind, "--json"]);
        assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
        // Compact, so the checks below read as the stored JSON.
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
        v.to_string()
    };
    // A production deployment whose ticket was never approved, and one approved by its own requester and deployer.
    let deployments = list("deployment");
    assert!(
        deployments.contains("\"ticket\":\"CHG-1219\""),
        "{deployments}"
    );
    assert!(
        deployments.contains("\"actor\":\"omar.haddad@kestrel-labs.example\""),
        "{deployments}"
    );
    let tickets = list("change.ticket");
    assert!(tickets.contains("\"approval\":\"Pending\""), "{tickets}");
    assert!(list("change.pull_request").contains("\"self_approved\":true"));
    // An access review older than a quarter.
    assert!(list("access_review").contains("\"date\":\"2026-07-14T00:00:00Z\""));
    // A critical vulnerability first seen in October.
    let vulns = list("vuln.finding");
    assert!(vulns.contains("\"severity\":\"critical\""), "{vulns}");
    assert!(
        vulns.contains("\"first_seen\":\"2026-10-05T06:00:00Z\""),
        "{vulns}"
    );

    let check = assay(&ws, &["check", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&check.stdout).expect("json");
    let results = report["report"]["results"].as_array().expect("results");
    for id in ["DEP-01", "SUP-03", "SUP-04"] {
        let r = results.iter().find(|r| r["control"] == id).expect(id);
        assert_eq!(r["status"], "fail", "{id}: {r}");
    }
}

#[test]
fn recollecting_adds_nothing_and_a_malformed_export_stores_nothing() {
    let (_t, ws) = demo();
    let sources = [
        "github",
        "jira",
        "deployments",
        "access_reviews",
        "vulnerabilities",
    ];
    let mut args = vec!["collect", "--json"];
    for s in &sources {
        args.extend(["--source", s]);
    }
    let again = assay(&ws, &args);
    assert_eq!(
        code(&again),
        0,
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&again.stdout).expect("json");
    for s in v["sources"].as_array().expect("sources") {
        assert_eq!(s["new"], 0, "{s}");
    }

    let before = assay(&ws, &["evidence", "list", "--json"]).stdout;
    let log = ws.join("exports/deployments.jsonl");
    let mut text = std::fs::read_to_string(&log).expect("log");
    text.push_str("{\"time\": \"2026-11-30T10:00:00Z\", \"model\": \"fraud-scorer\", \"environment\": \"production\", \"ticket\": \"CHG-1300\"}\n{\"time\": \"tomorrow\"}\n");
    std::fs::write(&log, text).expect("write");
    let out = assay(&ws, &["collect", "--source", "deployments"]);
    assert_eq!(code(&out), 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("deployments.jsonl: line 6 is malformed"),
        "{err}"
    );
    assert_eq!(assay(&ws, &["evidence", "list", "--json"]).stdout, before);
}
