//! Evaluation rules as data: tests/cases/iam_aws_evaluation.json lists policies, a request and the expected decision.

use assay_collect::iam_aws::{Decision, evaluate, parse_policy};

#[test]
fn evaluation_cases() {
    let cases: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("cases/iam_aws_evaluation.json")).expect("cases parse");
    let mut failures = Vec::new();
    for c in &cases {
        let note = c["note"].as_str().expect("note");
        let policies: Vec<_> = c["policies"]
            .as_array()
            .expect("policies")
            .iter()
            .enumerate()
            .map(|(k, p)| parse_policy(&format!("p{k}"), p).expect("policy parses"))
            .collect();
        let refs: Vec<_> = policies.iter().collect();
        let got = evaluate(
            &refs,
            c["action"].as_str().expect("action"),
            c["resource"].as_str().expect("resource"),
        );
        let want: Decision = serde_json::from_value(c["expect"].clone()).expect("decision");
        if got.decision != want {
            failures.push(format!(
                "{note}: expected {want:?}, got {:?} ({got:?})",
                got.decision
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
