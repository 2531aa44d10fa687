//! Scoping rules tested as data: every file in `tests/cases/` is a system description whose header
//! lists the findings `scope check` must report, one `# expect: CODE SUBJECT` line each (`-` when the
//! finding names no subject). The set must match exactly, so a rule that stops firing, or starts
//! firing where it should not, fails here.

use std::collections::BTreeSet;
use std::path::Path;

use assay_catalog::Catalog;
use assay_scope::{Scope, check};

fn expected(text: &str) -> BTreeSet<(String, String)> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# expect:"))
        .map(|rest| {
            let mut parts = rest.split_whitespace();
            let code = parts.next().unwrap_or_default().to_owned();
            let subject = parts.next().unwrap_or("-").to_owned();
            (code, subject)
        })
        .collect()
}

#[test]
fn every_case_reports_exactly_its_expected_findings() {
    let catalog = Catalog::embedded().expect("embedded catalog");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("cases directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    entries.sort();
    assert!(
        entries.len() >= 15,
        "expected the case files, found {}",
        entries.len()
    );

    let mut failures = Vec::new();
    let mut codes_seen = BTreeSet::new();
    for path in &entries {
        let text = std::fs::read_to_string(path).expect("read case");
        let want = expected(&text);
        let scope = match Scope::parse(path, text) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{}: does not parse: {e}", path.display()));
                continue;
            }
        };
        let report = check(&scope, catalog);
        let got: BTreeSet<(String, String)> = report
            .findings
            .iter()
            .map(|f| {
                codes_seen.insert(f.code);
                (
                    f.code.to_owned(),
                    f.subject.clone().unwrap_or_else(|| "-".to_owned()),
                )
            })
            .collect();
        if got != want {
            failures.push(format!(
                "{}:\n  expected {want:?}\n  got      {got:?}",
                path.file_name().unwrap_or_default().to_string_lossy()
            ));
        }
        for f in &report.findings {
            assert!(!f.message.is_empty() && !f.hint.is_empty(), "{f:?}");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Every rule has at least one case.
    let all = [
        "E001", "E002", "E003", "E004", "E005", "E006", "E007", "E008", "W101", "W102", "W103",
        "W104", "W105", "W106", "W107", "W108", "W109", "W110", "W111", "W112",
    ];
    let missing: Vec<&str> = all
        .iter()
        .copied()
        .filter(|c| !codes_seen.contains(c))
        .collect();
    assert!(missing.is_empty(), "rules without a case: {missing:?}");
}

#[test]
fn findings_point_at_the_line_of_the_component() {
    let catalog = Catalog::embedded().expect("embedded catalog");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/research-in-scope.toml");
    let scope = Scope::load(&path).expect("parses");
    let report = check(&scope, catalog);
    let finding = report
        .findings
        .iter()
        .find(|f| f.code == "W102")
        .expect("W102 reported");
    let line = finding.line.expect("has a line");
    let text = std::fs::read_to_string(&path).expect("read");
    let table: Vec<&str> = text.lines().skip(line - 1).take(3).collect();
    assert!(
        table.iter().any(|l| l.contains("sandbox:notebooks")),
        "line {line} does not start the component's table: {table:?}"
    );
}
