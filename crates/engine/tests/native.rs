//! The compiled tests (`src/native`) against their Rego modules, which stay the specification: on every
//! case of every control, and on a generated ledger, at a date and over a period, the two must give the
//! same result — status, reason, every occurrence and the period assessment.

#[path = "support/generate.rs"]
mod support;

use assay_catalog::{BUILTIN_POLICIES, Catalog};
use assay_engine::{ControlEngine, EvidenceSet, Window, compare_compiled};
use jiff::Timestamp;

#[test]
fn compiled_tests_agree_with_rego_on_every_case() {
    let catalog = Catalog::embedded().expect("catalog");
    let mut differences = Vec::new();
    let mut compiled = 0;
    for policy in BUILTIN_POLICIES {
        let control = catalog.control(policy.id).expect("control exists");
        if ControlEngine::builtin(control)
            .expect("compile")
            .is_compiled()
        {
            compiled += 1;
        }
        differences.extend(compare_compiled(control, policy.cases, true).expect("cases"));
    }
    assert!(compiled >= 8, "only {compiled} compiled tests");
    assert!(
        differences.is_empty(),
        "{} case(s) differ:\n{}",
        differences.len(),
        differences.join("\n")
    );
}

#[test]
fn compiled_tests_agree_with_rego_on_a_generated_ledger() {
    let catalog = Catalog::embedded().expect("catalog");
    let at: Timestamp = "2026-06-30T00:00:00Z".parse().expect("time");
    let evidence = EvidenceSet::new(support::generate(8_000, at));
    let scope = support::scope();
    let windows = [
        Window::At { at },
        Window::Period {
            from: "2026-01-01T00:00:00Z".parse().expect("time"),
            to: "2026-06-30T23:59:59Z".parse().expect("time"),
        },
    ];
    let mut checked = 0;
    for control in &catalog.controls {
        let compiled = ControlEngine::builtin(control).expect("compile");
        if !compiled.is_compiled() {
            continue;
        }
        let rego = ControlEngine::builtin_rego(control).expect("compile");
        for window in windows {
            let a = compiled
                .evaluate(&evidence, &scope, window)
                .expect("compiled");
            let b = rego.evaluate(&evidence, &scope, window).expect("rego");
            assert!(
                !b.occurrences.is_empty(),
                "{}: the generated ledger gives nothing to compare",
                control.id
            );
            if a != b {
                let first = a
                    .occurrences
                    .iter()
                    .zip(&b.occurrences)
                    .find(|(x, y)| x != y)
                    .map(|(x, y)| format!("\n  compiled {x:?}\n  rego     {y:?}"))
                    .unwrap_or_default();
                panic!(
                    "{} differs ({:?}): {} vs {} occurrences, status {:?} vs {:?}{first}",
                    control.id,
                    window,
                    a.occurrences.len(),
                    b.occurrences.len(),
                    a.status,
                    b.status
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 16);
}
