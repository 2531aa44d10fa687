//! `assay check` and `assay sample` through the binary, on the demo workspace: statuses and exit codes,
//! regressions since the last stored run, SARIF 2.1.0 structure, well-formed JUnit XML, reproducible samples.

mod common;
use common::{assay, assay_cmd, code, demo, stdout};

use std::process::Output;

use serde_json::Value;

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

fn status_of(report: &Value, id: &str) -> String {
    report["report"]["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["control"] == id)
        .map(|r| r["status"].as_str().unwrap_or("").to_owned())
        .expect("control present")
}

const AT: &str = "2026-06-01";

#[test]
fn check_passes_policies_and_names_unconfigured_sources() {
    let (_t, ws) = demo();
    let out = assay(
        &ws,
        &["check", "--at", AT, "--format", "json", "--no-record"],
    );
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let v = json(&out);
    assert_eq!(status_of(&v, "ORG-07"), "pass");
    assert_eq!(v["report"]["counts"]["fail"], 0);
    let results = v["report"]["results"].as_array().expect("results");
    assert_eq!(results.len(), 67);
    assert!(results.iter().any(|r| {
        r["status"] == "not_verifiable"
            && r["reason"]
                .as_str()
                .unwrap_or("")
                .starts_with("source not configured")
    }));
    // Nothing not verifiable is ever reported as pass or fail.
    for r in results {
        let reason = r["reason"].as_str().unwrap_or("");
        if reason.starts_with("stale") || reason.starts_with("evidence missing") {
            assert_eq!(r["status"], "not_verifiable", "{r}");
        }
    }
    // The demo stored one check.result; --no-record stored nothing more.
    assert!(v["stored_at"].is_null());
    let list = assay(
        &ws,
        &["evidence", "list", "--kind", "check.result", "--json"],
    );
    let list = json(&list);
    assert_eq!(list["count"], 1, "{list}");
    assert_eq!(v["previous"], list["items"][0]["index"], "{list}");
}

#[test]
fn a_violating_policy_fails_exits_1_and_is_a_regression_since_last() {
    let (_t, ws) = demo();
    // The demo itself stored a first check.result in which ORG-07 passed.
    let first = assay(&ws, &["check", "--at", AT, "--format", "json"]);
    assert_eq!(code(&first), 0);
    let added = assay(
        &ws,
        &[
            "evidence",
            "add",
            "--subject",
            "policy:access",
            "--title",
            "Access policy",
            "--observed-at",
            "2026-05-01",
            "--expires",
            "2027-05-01",
        ],
    );
    assert_eq!(
        code(&added),
        0,
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let out = assay(&ws, &["check", "--at", AT, "--since-last"]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("FAIL ORG-07"), "{text}");
    assert!(text.contains("Access policy (#"), "{text}");
    assert!(text.contains("does not say who approved it"), "{text}");
    assert!(text.contains("1 regression since check.result #"), "{text}");
    assert!(text.contains("ORG-07 pass → fail"), "{text}");
    // The run was stored as check.result evidence.
    let list = assay(
        &ws,
        &["evidence", "list", "--kind", "check.result", "--json"],
    );
    assert_eq!(code(&list), 0);
    // The demo's run, the first check here, and this one.
    assert_eq!(json(&list)["count"], 3, "{}", stdout(&list));
}

#[test]
fn past_the_review_date_policies_are_stale_not_failed() {
    let (_t, ws) = demo();
    let out = assay(
        &ws,
        &[
            "check",
            "--at",
            "2027-06-01",
            "--format",
            "json",
            "--no-record",
        ],
    );
    // Other demo controls fail on planted violations; this test is about the policies going stale.
    assert_ne!(code(&out), 2, "{}", stdout(&out));
    let v = json(&out);
    assert_eq!(status_of(&v, "ORG-07"), "not_verifiable");
    let r = v["report"]["results"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["control"] == "ORG-07"))
        .expect("ORG-07");
    assert!(
        r["reason"].as_str().unwrap_or("").starts_with("stale"),
        "{r}"
    );
}

#[test]
fn type2_period_gives_a_verdict_and_missed_years_are_exceptions() {
    let (_t, ws) = demo();
    let out = assay(
        &ws,
        &[
            "check",
            "--period",
            "2026-03-01..2026-08-31",
            "--format",
            "json",
            "--no-record",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let v = json(&out);
    let r = v["report"]["results"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["control"] == "ORG-07"))
        .expect("ORG-07")
        .clone();
    assert_eq!(r["period"]["verdict"], "effective", "{r}");
    assert_eq!(r["period"]["population"], 1);
    assert_eq!(v["report"]["window"]["mode"], "period");
}

#[test]
fn bad_dates_exit_2_with_a_hint() {
    let (_t, ws) = demo();
    let out = assay(&ws, &["check", "--period", "2026-06-01"]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("START..END"));
    let out = assay(&ws, &["check", "--at", "June"]);
    assert_eq!(code(&out), 2);
    let out = assay(&ws, &["check", "--period", "2026-06-01..2026-01-01"]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("ends before it starts"));
}

/// What the report promises beyond the schema (which `tests/sarif.rs` checks with Microsoft's SARIF
/// Multitool): version, runs[].tool.driver.name, rules with ids, results with message.text,
/// a ruleId that names a rule, `kind`/`level` from the schema's enums, and level `none` unless kind is
/// `fail`.
fn assert_sarif_2_1_0(v: &Value) {
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"].as_str().unwrap_or("").contains("sarif-2.1.0"));
    let runs = v["runs"].as_array().expect("runs is an array");
    assert!(!runs.is_empty());
    for run in runs {
        let driver = &run["tool"]["driver"];
        assert!(driver["name"].is_string(), "tool.driver.name is required");
        let rules = driver["rules"].as_array().expect("rules");
        let ids: Vec<&str> = rules
            .iter()
            .map(|r| r["id"].as_str().expect("rule id"))
            .collect();
        for rule in rules {
            for key in ["shortDescription", "fullDescription", "help"] {
                if !rule[key].is_null() {
                    assert!(rule[key]["text"].is_string(), "{key}.text is required");
                }
            }
        }
        for result in run["results"].as_array().expect("results") {
            assert!(
                result["message"]["text"].is_string(),
                "message.text is required"
            );
            let rule = result["ruleId"].as_str().expect("ruleId");
            let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(ids.get(index), Some(&rule), "ruleIndex points at the rule");
            let kind = result["kind"].as_str().expect("kind");
            assert!(
                [
                    "notApplicable",
                    "pass",
                    "fail",
                    "review",
                    "open",
                    "informational"
                ]
                .contains(&kind)
            );
            let level = result["level"].as_str().expect("level");
            assert!(["none", "note", "warning", "error"].contains(&level));
            if kind != "fail" {
                assert_eq!(level, "none", "a non-failing kind must have level none");
            }
            if let Some(locs) = result["locations"].as_array() {
                for l in locs {
                    for ll in l["logicalLocations"].as_array().expect("logicalLocations") {
                        assert!(ll["fullyQualifiedName"].is_string());
                    }
                }
            }
        }
    }
}

#[test]
fn sarif_has_the_2_1_0_structure_with_evidence_locations() {
    let (_t, ws) = demo();
    let out = assay(
        &ws,
        &["check", "--at", AT, "--format", "sarif", "--no-record"],
    );
    assert_eq!(code(&out), 0);
    let v = json(&out);
    assert_sarif_2_1_0(&v);
    let org07 = v["runs"][0]["results"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["ruleId"] == "ORG-07"))
        .expect("ORG-07 result");
    assert_eq!(org07["kind"], "pass");
    assert!(
        org07["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
            .as_str()
            .unwrap_or("")
            .starts_with("ledger:#")
    );
}

#[test]
fn junit_is_well_formed_with_one_case_per_control() {
    let (_t, ws) = demo();
    // A failing control, so the XML holds a <failure> with escaped text.
    let added = assay(
        &ws,
        &[
            "evidence",
            "add",
            "--subject",
            "policy:a&b",
            "--title",
            "R&D <policy> \"x\"",
            "--observed-at",
            "2026-05-01",
        ],
    );
    assert_eq!(code(&added), 0);
    let out = assay(
        &ws,
        &["check", "--at", AT, "--format", "junit", "--no-record"],
    );
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let cases: Vec<_> = root
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 67);
    let failures: Vec<_> = root
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .collect();
    assert_eq!(failures.len(), 1);
    assert!(
        failures[0]
            .attribute("message")
            .unwrap_or("")
            .contains("R&D <policy>")
    );
    assert_eq!(root.attribute("failures"), Some("1"));
}

#[test]
fn markdown_lists_readiness_and_controls() {
    let (_t, ws) = demo();
    let out = assay(&ws, &["check", "--at", AT, "--format", "md", "--no-record"]);
    let text = stdout(&out);
    assert!(
        text.starts_with("# Assay check at 2026-06-01T23:59:59Z"),
        "{text}"
    );
    assert!(text.contains("| Security |"));
    assert!(text.contains("| ORG-07 Security, privacy and AI policies"));
}

#[test]
fn sample_with_the_same_seed_draws_the_same_items() {
    let (_t, ws) = demo();
    for i in 0..12 {
        let added = assay(
            &ws,
            &[
                "evidence",
                "add",
                "--subject",
                &format!("policy:p{i}"),
                "--payload",
                r#"{"approved_by": "CISO"}"#,
                "--observed-at",
                &format!("2026-02-{:02}", i + 1),
                "--expires",
                "2027-12-31",
            ],
        );
        assert_eq!(code(&added), 0);
    }
    let args = [
        "sample",
        "--control",
        "ORG-07",
        "--period",
        "2026-01-01..2026-12-31",
        "--seed",
        "7",
        "--format",
        "json",
    ];
    let a = json(&assay(&ws, &args));
    let b = json(&assay(&ws, &args));
    assert_eq!(a, b);
    assert_eq!(a["population"], 16);
    assert_eq!(
        a["sample_size"], 1,
        "annual control: 1 per the default table"
    );
    assert!(a["table"].as_str().unwrap_or("").contains("Chiaro"));
    let ten = json(&assay(
        &ws,
        &[
            "sample",
            "--control",
            "ORG-07",
            "--period",
            "2026-01-01..2026-12-31",
            "--seed",
            "7",
            "--table",
            "ten-percent",
            "--format",
            "json",
        ],
    ));
    assert_eq!(ten["sample_size"], 3);
    let other = json(&assay(
        &ws,
        &[
            "sample",
            "--control",
            "ORG-07",
            "--period",
            "2026-01-01..2026-12-31",
            "--seed",
            "8",
            "--table",
            "ten-percent",
            "--format",
            "json",
        ],
    ));
    assert_eq!(other["population"], 16);
    let csv = assay(
        &ws,
        &[
            "sample",
            "--control",
            "org-07",
            "--period",
            "2026-01-01..2026-12-31",
            "--seed",
            "7",
        ],
    );
    assert_eq!(code(&csv), 0);
    let text = stdout(&csv);
    assert!(text.contains("at,ok,subject,evidence,reason"), "{text}");
    assert!(text.starts_with("# ORG-07 population 16"), "{text}");
    let bad = assay(
        &ws,
        &[
            "sample",
            "--control",
            "NOPE-1",
            "--period",
            "2026-01-01..2026-12-31",
        ],
    );
    assert_eq!(code(&bad), 2);
}

/// Read one HTTP/1.1 request (head, then Content-Length bytes of body) and return its body.
fn read_request(s: &mut impl std::io::Read) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let k = s.read(&mut chunk).expect("read");
        buf.extend_from_slice(&chunk[..k]);
        let text = String::from_utf8_lossy(&buf).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let len: usize = text[..end]
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().to_owned())
                })
                .and_then(|v| v.parse().ok())
                .expect("content length");
            if buf.len() >= end + 4 + len {
                return String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).into_owned();
            }
        }
        if k == 0 {
            return String::new();
        }
    }
}

/// A local receiver for `count` requests, plain HTTP or (with `tls`) HTTPS: it answers 500 to the first
/// request and 200 afterwards, and returns the bodies.
fn receiver(
    count: usize,
    tls: Option<std::sync::Arc<rustls::ServerConfig>>,
) -> (u16, std::thread::JoinHandle<Vec<String>>) {
    use std::io::Write;
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    let handle = std::thread::spawn(move || {
        let mut bodies = Vec::new();
        for (n, stream) in l.incoming().take(count).enumerate() {
            let tcp = stream.expect("accept");
            let answer: &[u8] = if n == 0 {
                b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            } else {
                b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            };
            match &tls {
                None => {
                    let mut s = tcp;
                    bodies.push(read_request(&mut s));
                    s.write_all(answer).expect("answer");
                }
                Some(cfg) => {
                    let conn = rustls::ServerConnection::new(cfg.clone()).expect("tls");
                    let mut s = rustls::StreamOwned::new(conn, tcp);
                    bodies.push(read_request(&mut s));
                    s.write_all(answer).expect("answer");
                    s.conn.send_close_notify();
                    let _ = s.flush();
                }
            }
        }
        bodies
    });
    (port, handle)
}

/// A plain HTTP receiver for two requests.
fn listener() -> (u16, std::thread::JoinHandle<Vec<String>>) {
    receiver(2, None)
}

/// The server side of the test certificate in `tests/fixtures/tls` (a self-signed certificate for 127.0.0.1).
fn tls_server() -> std::sync::Arc<rustls::ServerConfig> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls");
    let cert = std::fs::read(dir.join("cert.pem")).expect("cert");
    let key = std::fs::read(dir.join("key.pem")).expect("key");
    let certs: Vec<rustls::pki_types::CertificateDer<'static>> = ureq::tls::parse_pem(&cert)
        .filter_map(|i| match i.expect("pem") {
            ureq::tls::PemItem::Certificate(c) => Some(c.der().to_vec().into()),
            _ => None,
        })
        .collect();
    let key = ureq::tls::parse_pem(&key)
        .find_map(|i| match i.expect("pem") {
            ureq::tls::PemItem::PrivateKey(k) => Some(rustls::pki_types::PrivateKeyDer::Pkcs8(
                k.der().to_vec().into(),
            )),
            _ => None,
        })
        .expect("a key");
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server config");
    std::sync::Arc::new(cfg)
}

/// Append `hooks` (`[[alerts.webhook]]` tables) to the workspace's assay.toml, then record a policy without an
/// approver or review date, which breaks ORG-07: the next check has a regression to send.
fn webhooks_and_a_regression(ws: &std::path::Path, hooks: &str) {
    let mut toml = std::fs::read_to_string(ws.join("assay.toml")).expect("toml");
    toml.push_str(hooks);
    std::fs::write(ws.join("assay.toml"), toml).expect("write");
    let added = assay(
        ws,
        &[
            "evidence",
            "add",
            "--subject",
            "policy:access",
            "--observed-at",
            "2026-05-01",
            "--expires",
            "2027-05-01",
        ],
    );
    assert_eq!(code(&added), 0);
}

#[test]
fn https_webhooks_are_delivered_with_a_private_ca_and_their_secret_path_is_never_stored() {
    let (_t, ws) = demo();
    let first = assay(&ws, &["check", "--at", AT]);
    assert_eq!(code(&first), 0, "{}", stdout(&first));
    // One receiver behind the test CA (trusted through ca_file, URL from the environment), one that
    // presents the same certificate to a client trusting only the web roots: refused, not retried forever.
    let (port, server) = receiver(2, Some(tls_server()));
    let (untrusted_port, untrusted) = receiver(1, Some(tls_server()));
    let ca = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls/cert.pem");
    webhooks_and_a_regression(
        &ws,
        &format!(
            "\n\n[[alerts.webhook]]\nurl_env = \"ASSAY_TEST_HOOK\"\nca_file = {ca:?}\nformat = \"json\"\nretries = 2\n\n\
         [[alerts.webhook]]\nurl = \"https://127.0.0.1:{untrusted_port}/services/T1/B2/UNTRUSTEDSECRET\"\nretries = 0\n",
            ca = ca.display().to_string()
        ),
    );
    let secret_url = format!("https://127.0.0.1:{port}/services/T1/B2/TOPSECRETTOKEN");
    let out = assay_cmd(&ws, &["check", "--at", AT, "--format", "json"])
        .env("ASSAY_TEST_HOOK", &secret_url)
        .output()
        .expect("run");
    assert_eq!(code(&out), 1);
    let v = json(&out);
    let alerts = v["alerts"].as_array().expect("alerts");
    assert_eq!(alerts.len(), 2, "{v}");
    assert_eq!(alerts[0]["delivered"], true, "{v}");
    assert_eq!(alerts[0]["attempts"], 2, "500 first, then 200");
    assert_eq!(alerts[1]["delivered"], false, "{v}");
    assert_eq!(alerts[1]["attempts"], 1);
    let why = alerts[1]["error"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    assert!(
        why.contains("certificate") || why.contains("issuer"),
        "{why}"
    );
    let bodies = server.join().expect("server");
    let body: Value = serde_json::from_str(&bodies[1]).expect("json body");
    assert_eq!(body["regressions"][0]["control"], "ORG-07");
    let _ = untrusted.join();
    // Neither secret reaches the output or the ledger.
    let printed = stdout(&out);
    let list = assay(
        &ws,
        &[
            "evidence",
            "list",
            "--kind",
            "custom.alert_delivery",
            "--json",
        ],
    );
    let stored = stdout(&list);
    for text in [&printed, &stored] {
        assert!(
            !text.contains("TOPSECRETTOKEN") && !text.contains("UNTRUSTEDSECRET"),
            "{text}"
        );
    }
    assert!(stored.contains("https://127.0.0.1:"), "{stored}");
    assert!(stored.contains("/services/…"), "{stored}");
}

#[test]
fn regressions_go_to_webhooks_with_retries_and_a_delivery_record() {
    let (_t, ws) = demo();
    let (port, server) = listener();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed_port = closed.local_addr().expect("addr").port();
    drop(closed);
    // A first run at AT (its own regressions against the demo's run of today are not what this test is about),
    // then the webhooks, then a policy that breaks ORG-07.
    let first = assay(&ws, &["check", "--at", AT]);
    assert_eq!(code(&first), 0, "{}", stdout(&first));
    webhooks_and_a_regression(
        &ws,
        &format!(
            "\n\n[[alerts.webhook]]\nurl = \"http://127.0.0.1:{port}/hook\"\nformat = \"json\"\nretries = 2\n\n\
         [[alerts.webhook]]\nurl = \"http://127.0.0.1:{closed_port}/slack\"\nretries = 1\n"
        ),
    );
    let out = assay(&ws, &["check", "--at", AT, "--format", "json"]);
    assert_eq!(code(&out), 1);
    let v = json(&out);
    let alerts = v["alerts"].as_array().expect("alerts");
    assert_eq!(alerts.len(), 2, "{v}");
    assert_eq!(
        alerts[0]["delivered"],
        true,
        "{}",
        serde_json::to_string_pretty(&alerts).unwrap_or_default()
    );
    assert_eq!(alerts[0]["attempts"], 2, "500 first, then 200");
    assert_eq!(alerts[1]["delivered"], false);
    assert_eq!(alerts[1]["attempts"], 2, "one retry");
    let bodies = server.join().expect("server");
    assert_eq!(bodies.len(), 2);
    let body: Value = serde_json::from_str(&bodies[1]).expect("json body");
    assert_eq!(body["event"], "assay.check.regression");
    assert_eq!(body["regressions"][0]["control"], "ORG-07");
    assert_eq!(body["regressions"][0]["now"], "fail");
    let list = assay(
        &ws,
        &[
            "evidence",
            "list",
            "--kind",
            "custom.alert_delivery",
            "--json",
        ],
    );
    let recs = json(&list);
    assert_eq!(recs["count"], 2, "{recs}");
    assert_eq!(recs["items"][0]["evidence"]["payload"]["delivered"], true);
    assert_eq!(recs["items"][1]["evidence"]["payload"]["delivered"], false);
}
