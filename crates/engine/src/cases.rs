//! Test cases as data: `{note, input, expected}`, run through the whole engine (scope checks, window,
//! freshness, Rego, status rules), so a case can expect `not_verifiable` as well as `pass` or `fail`.
//!
//! ```json
//! [{ "note": "a clean drift report passes",
//!    "input": { "at": "2026-06-01T00:00:00Z",            // or "period": {"from": …, "to": …}
//!               "scope": { "categories": ["security"], "sources": ["git"] },   // optional
//!               "evidence": [{ "index": 1, "kind": "drift.report", "subject": "model:x",
//!                              "observed_at": "2026-05-31T02:00:00Z", "payload": {…} }] },
//!    "expected": { "status": "pass", "reason_contains": "no drift", "verdict": "effective" } }]
//! ```

use jiff::Timestamp;
use serde::Deserialize;

use assay_catalog::Control;

use crate::model::{EvidenceSet, Item, ScopeView, Status, Verdict, Window};
use crate::{ControlEngine, EngineError};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    note: String,
    input: CaseInput,
    expected: Expected,
}

impl Case {
    /// The case's window: exactly one of `at` and `period`.
    fn window(&self) -> Result<Window, String> {
        match (self.input.at, &self.input.period) {
            (Some(at), None) => Ok(Window::At { at }),
            (None, Some(p)) => Ok(Window::Period {
                from: p.from,
                to: p.to,
            }),
            _ => Err(format!(
                "case `{}` needs exactly one of `at` and `period`",
                self.note
            )),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseInput {
    #[serde(default)]
    at: Option<Timestamp>,
    #[serde(default)]
    period: Option<Period>,
    #[serde(default)]
    scope: Option<ScopeView>,
    #[serde(default)]
    evidence: Vec<Item>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Period {
    from: Timestamp,
    to: Timestamp,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    status: Status,
    #[serde(default)]
    reason_contains: Option<String>,
    #[serde(default)]
    verdict: Option<Verdict>,
}

/// The outcome of one case.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CaseOutcome {
    pub note: String,
    pub passed: bool,
    pub expected: String,
    pub got: String,
}

/// Run a built-in control's cases through its compiled test and through its Rego module, and list
/// every case where the two results differ (status, reason, occurrences or period). Empty for a
/// control without a compiled test.
///
/// With `variants`, each case is also run with every payload member of every item changed in turn
/// (removed, `null`, a string; nested members removed).
pub fn compare_compiled(
    control: &Control,
    cases: &str,
    variants: bool,
) -> Result<Vec<String>, EngineError> {
    let bad = |message: String| EngineError::Cases {
        control: control.id.clone(),
        path: format!("controls/{}.cases.json", control.id),
        message,
    };
    let cases: Vec<Case> = serde_json::from_str(cases).map_err(|e| bad(e.to_string()))?;
    let compiled = ControlEngine::builtin(control)?;
    if !compiled.is_compiled() {
        return Ok(Vec::new());
    }
    let rego = ControlEngine::builtin_rego(control)?;
    let mut differences = Vec::new();
    for case in cases {
        let window = case.window().map_err(bad)?;
        let scope = case.input.scope.unwrap_or_default();
        let mut inputs = vec![("as written".to_owned(), case.input.evidence.clone())];
        if variants {
            inputs.extend(payload_variants(&case.input.evidence));
        }
        for (change, items) in inputs {
            let evidence = EvidenceSet::new(items);
            let a = compiled.evaluate(&evidence, &scope, window);
            let b = rego.evaluate(&evidence, &scope, window);
            let same = match (&a, &b) {
                (Ok(a), Ok(b)) => a == b,
                (Err(_), Err(_)) => true,
                _ => false,
            };
            if !same {
                differences.push(format!(
                    "{} — {} ({change})\n    compiled {a:?}\n    rego     {b:?}",
                    control.id, case.note
                ));
            }
        }
    }
    Ok(differences)
}

/// The case's evidence with one payload member changed at a time: removed, made `null` or a string,
/// and each member of a nested object removed. Missing and mistyped fields are where a compiled test
/// could part from Rego's rules for undefined values and built-in errors.
fn payload_variants(items: &[Item]) -> Vec<(String, Vec<Item>)> {
    let mut out = Vec::new();
    for (k, item) in items.iter().enumerate() {
        let Some(payload) = item.payload.as_object() else {
            continue;
        };
        for (name, value) in payload {
            let mut changed: Vec<(String, serde_json::Value)> = Vec::new();
            let mut without = payload.clone();
            without.shift_remove(name);
            changed.push((format!("without {name}"), without.into()));
            for (what, v) in [("null", serde_json::Value::Null), ("a string", "x".into())] {
                let mut p = payload.clone();
                p.insert(name.clone(), v);
                changed.push((format!("{name} {what}"), p.into()));
            }
            if let Some(inner) = value.as_object() {
                for sub in inner.keys() {
                    let mut p = payload.clone();
                    let mut i = inner.clone();
                    i.shift_remove(sub);
                    p.insert(name.clone(), i.into());
                    changed.push((format!("without {name}.{sub}"), p.into()));
                }
            }
            for (what, p) in changed {
                let mut list = items.to_vec();
                list[k].payload = p.into();
                out.push((format!("item #{}: {what}", item.index), list));
            }
        }
    }
    out
}

/// Run a control's cases (`cases` is the JSON text) against its Rego module.
pub fn run_cases(
    control: &Control,
    path: &str,
    rego: &str,
    cases: &str,
) -> Result<Vec<CaseOutcome>, EngineError> {
    let bad = |message: String| EngineError::Cases {
        control: control.id.clone(),
        path: path.replace(".rego", ".cases.json"),
        message,
    };
    let cases: Vec<Case> = serde_json::from_str(cases).map_err(|e| bad(e.to_string()))?;
    let engine = ControlEngine::with_policy(control, path, rego)?;
    let mut out = Vec::new();
    for case in cases {
        let window = case.window().map_err(bad)?;
        let scope = case.input.scope.unwrap_or_default();
        let evidence = EvidenceSet::new(case.input.evidence);
        let result = engine.evaluate(&evidence, &scope, window)?;
        let mut passed = result.status == case.expected.status;
        if let Some(text) = &case.expected.reason_contains {
            let all = std::iter::once(result.reason.clone())
                .chain(result.occurrences.iter().map(|o| o.reason.clone()))
                .chain(
                    result
                        .period
                        .iter()
                        .flat_map(|p| p.exceptions.iter().map(|e| e.reason.clone())),
                )
                .collect::<Vec<_>>()
                .join(" | ");
            passed &= all.contains(text.as_str());
        }
        if let Some(v) = case.expected.verdict {
            passed &= result.period.as_ref().map(|p| p.verdict) == Some(v);
        }
        out.push(CaseOutcome {
            note: case.note,
            passed,
            expected: format!(
                "{}{}{}",
                case.expected.status.key(),
                case.expected
                    .reason_contains
                    .map(|r| format!(" with reason containing `{r}`"))
                    .unwrap_or_default(),
                case.expected
                    .verdict
                    .map(|v| format!(", verdict {}", v.label()))
                    .unwrap_or_default()
            ),
            got: format!(
                "{}: {}{}",
                result.status.key(),
                result.reason,
                result
                    .period
                    .map(|p| format!(" (verdict {})", p.verdict.label()))
                    .unwrap_or_default()
            ),
        });
    }
    Ok(out)
}
