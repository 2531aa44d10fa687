//! Every built-in control's Rego test runs its cases (note, input, expected) through the whole engine.

use assay_catalog::{BUILTIN_POLICIES, Catalog, Nature};
use assay_engine::run_cases;

#[test]
fn every_builtin_policy_passes_its_cases() {
    let catalog = Catalog::embedded().expect("catalog");
    let mut failures = Vec::new();
    let mut total = 0;
    for policy in BUILTIN_POLICIES {
        let control = catalog.control(policy.id).expect("control exists");
        let outcomes = run_cases(control, policy.path, policy.rego, policy.cases)
            .unwrap_or_else(|e| panic!("{e}"));
        let statuses: Vec<&str> = outcomes.iter().map(|o| o.expected.as_str()).collect();
        assert!(
            statuses.iter().any(|s| s.starts_with("pass"))
                && statuses.iter().any(|s| s.starts_with("fail")),
            "{} needs at least one passing and one failing case",
            policy.id
        );
        for o in outcomes {
            total += 1;
            if !o.passed {
                failures.push(format!(
                    "{} — {}\n    expected {}\n    got      {}",
                    policy.id, o.note, o.expected, o.got
                ));
            }
        }
    }
    assert!(total > 0);
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Not a gate (manual controls need people), but keeps the list in the docs honest.
#[test]
fn automated_controls_without_a_test_are_listed() {
    let catalog = Catalog::embedded().expect("catalog");
    let missing: Vec<&str> = catalog
        .controls
        .iter()
        .filter(|c| c.nature == Nature::Automated && !c.has_test())
        .map(|c| c.id.as_str())
        .collect();
    eprintln!(
        "automated controls without a Rego test: {}",
        missing.join(", ")
    );
}
