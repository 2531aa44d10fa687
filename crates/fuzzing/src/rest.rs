//! Bodies for the description, catalog ids, Rego case files and the trace selector
//! (`assay-scope`, `assay-catalog`, `assay-engine`, `assay-lineage`).

use std::path::Path;

use assay_catalog::{BUILTIN_POLICIES, Catalog, Category, CriterionId, Stage};
use assay_engine::{ScopeView, run_cases};
use assay_lineage::Selector;
use assay_scope::{Scope, check};

fn catalog() -> &'static Catalog {
    Catalog::embedded().expect("the embedded catalog loads")
}

pub fn scope_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Scope::parse(Path::new("assay.toml"), text.to_owned()) {
        Ok(scope) => {
            let report = check(&scope, catalog());
            let _ = (report.errors(), report.warnings());
            for t in scope.description.source.values() {
                let _ = scope.line_of(t.span().start);
            }
            let _ = ScopeView::from_description(&scope.description);
        }
        Err(assay_scope::ScopeError::Parse { line, column, .. }) => {
            assert!(line >= 1 && column >= 1, "positions are 1-based");
            let lines = text.split('\n').count();
            assert!(
                line <= lines.max(1),
                "line {line} past the end ({lines} lines)"
            );
        }
        Err(_) => {}
    }
}

pub fn rego_cases(data: &[u8]) {
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    let Ok(cases) = std::str::from_utf8(rest) else {
        return;
    };
    let policy = &BUILTIN_POLICIES[*first as usize % BUILTIN_POLICIES.len()];
    let control = catalog()
        .control(policy.id)
        .expect("every built-in policy has a control");
    let _ = run_cases(control, policy.path, policy.rego, cases);
}

pub fn catalog_ids(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(id) = CriterionId::parse(s) {
        assert_eq!(
            CriterionId::parse(id.as_str()).ok(),
            Some(id),
            "`{s}` → {id:?} does not print back"
        );
        let _ = (id.category(), id.series());
    }
    let _ = s.parse::<Category>();
    let _ = s.parse::<Stage>();
    let _ = catalog().lookup(s);
}

fn selector_text(s: &Selector) -> String {
    match s {
        Selector::Latest { model } => model.clone(),
        Selector::Version { model, version } => format!("{model}@{version}"),
        Selector::Alias { model, alias } => format!("{model}:{alias}"),
        Selector::Stage { model, stage } => format!("{model}#{stage}"),
    }
}

pub fn trace_selector(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(sel) = Selector::parse(s) else { return };
    assert!(!sel.model().is_empty(), "`{s}` parsed with an empty model");
    assert_eq!(
        selector_text(&sel),
        s,
        "`{s}` → {sel:?} does not print back"
    );
}
