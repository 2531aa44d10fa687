//! Evaluating controls: scope checks, evidence selection, the Rego run and the status rules.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::{Value, json};

use assay_catalog::{Catalog, Category, Control, Frequency, Stage, builtin_policy};

use crate::model::{
    CategoryReadiness, ControlResult, Counts, CriterionStatus, EvidenceSet, Item, Occurrence,
    Report, ScopeView, Status, Window, lookback, rfc3339,
};
use crate::{EngineError, period};

/// Where evidence of a kind comes from: a collector configured as `[source.NAME]`, or something that
/// needs no source table (a person recording it, an `assay` runtime control).
pub(crate) fn sources_of(kind: &str) -> &'static [&'static str] {
    let prefix = kind.split('.').next().unwrap_or(kind);
    match (prefix, kind) {
        ("git", _) => &["git", "github"],
        ("dvc", _) => &["dvc"],
        ("gto", _) => &["gto"],
        ("lfs", _) => &["lfs"],
        ("mlflow", _) => &["mlflow"],
        ("openlineage", _) => &["openlineage"],
        ("iam", _) => &["aws_iam", "gcp_iam"],
        ("k8s", _) => &["k8s_rbac"],
        ("tf", _) => &["terraform"],
        (_, "change.ticket") => &["jira"],
        (_, "change.pull_request") => &["github"],
        (_, "deployment") => &["deployments"],
        (_, "access_review") => &["access_reviews"],
        (_, "vuln.finding") => &["vulnerabilities"],
        (_, "model.file_scan") => &["model_files"],
        (_, "incident") => &["incidents"],
        // Recorded by people (`assay evidence add`) or by Assay's own runtime controls.
        _ => &[],
    }
}

/// One control with its Rego module compiled once.
#[derive(Debug, Clone)]
pub struct ControlEngine {
    control: Control,
    path: String,
    rego: Option<regorus::Engine>,
}

impl ControlEngine {
    /// The control with its built-in Rego test (none for controls without one).
    pub fn builtin(control: &Control) -> Result<ControlEngine, EngineError> {
        match builtin_policy(&control.id) {
            Some(p) => ControlEngine::with_policy(control, p.path, p.rego),
            None => Ok(ControlEngine {
                control: control.clone(),
                path: String::new(),
                rego: None,
            }),
        }
    }

    /// The control with a Rego module given as text (custom controls, tests).
    pub fn with_policy(
        control: &Control,
        path: &str,
        rego: &str,
    ) -> Result<ControlEngine, EngineError> {
        let mut engine = regorus::Engine::new();
        engine
            .add_policy(path.to_owned(), rego.to_owned())
            .map_err(|e| EngineError::Compile {
                control: control.id.clone(),
                path: path.to_owned(),
                message: e.to_string(),
            })?;
        Ok(ControlEngine {
            control: control.clone(),
            path: path.to_owned(),
            rego: Some(engine),
        })
    }

    pub fn control(&self) -> &Control {
        &self.control
    }

    /// Evaluate the control over `evidence` and `scope` in `window`.
    pub fn evaluate(
        &self,
        evidence: &EvidenceSet,
        scope: &ScopeView,
        window: Window,
    ) -> Result<ControlResult, EngineError> {
        let c = &self.control;
        let mut result = ControlResult {
            control: c.id.clone(),
            title: c.title.clone(),
            frequency: c.frequency.key().to_owned(),
            nature: c.nature.key().to_owned(),
            criteria: c.criteria.iter().map(|x| x.as_str().to_owned()).collect(),
            status: Status::NotApplicable,
            reason: String::new(),
            test: (!self.path.is_empty()).then(|| self.path.clone()),
            occurrences: Vec::new(),
            period: None,
        };
        if let Some(reason) = not_applicable(c, scope) {
            result.reason = reason;
            return Ok(result);
        }
        result.status = Status::NotVerifiable;

        let end = window.end();
        let start = match window {
            Window::At { at } => at.checked_sub(lookback(c.frequency)).unwrap_or(at),
            Window::Period { from, .. } => period::evidence_start(c.frequency, from),
        };
        let sel = select(c, evidence, scope, start, end);
        if sel.current.is_empty() {
            result.reason = unseen_reason(c, scope, &sel, start);
            return Ok(result);
        }
        let Some(engine) = &self.rego else {
            result.reason = format!(
                "no automated test yet: {} item(s) of {} are for a person to review",
                sel.current.len(),
                c.evidence.join(", ")
            );
            return Ok(result);
        };
        let input = json!({
            "control": {
                "id": c.id,
                "frequency": c.frequency.key(),
                "evidence": c.evidence,
            },
            "window": {
                "mode": match window { Window::At { .. } => "at", Window::Period { .. } => "period" },
                "from": rfc3339(start),
                "to": rfc3339(end),
            },
            "evidence": sel.current,
            "scope": scope,
        });
        let mut occurrences = self.run(engine.clone(), &input)?;
        occurrences.retain(|o| o.at <= end);
        occurrences.sort_by(|a, b| a.at.cmp(&b.at).then(a.reason.cmp(&b.reason)));

        match window {
            Window::At { .. } => {
                if occurrences.is_empty() {
                    result.reason = format!(
                        "the {} item(s) in the window hold nothing this control assesses",
                        sel.current.len()
                    );
                    return Ok(result);
                }
                let current = latest_per_subject(c.frequency, occurrences);
                let failing: Vec<&Occurrence> = current.iter().filter(|o| !o.ok).collect();
                if failing.is_empty() {
                    result.status = Status::Pass;
                    result.reason = current.last().map(|o| o.reason.clone()).unwrap_or_default();
                } else {
                    result.status = Status::Fail;
                    result.reason = failing
                        .iter()
                        .map(|o| o.reason.as_str())
                        .collect::<Vec<_>>()
                        .join("; ");
                }
                result.occurrences = current;
            }
            Window::Period { from, to } => {
                if occurrences.is_empty() {
                    // Nothing the test could assess: not occurring, never a string of missed intervals.
                    result.reason = format!(
                        "not occurring: the {} item(s) in the period hold nothing this control assesses",
                        sel.current.len()
                    );
                    result.period = Some(period::assess(c.frequency, from, to, &[]));
                    if let Some(p) = result.period.as_mut() {
                        p.population = 0;
                        p.exceptions.clear();
                        p.deviation_rate = 0.0;
                        p.verdict = crate::Verdict::NotOccurring;
                    }
                    return Ok(result);
                }
                let p = period::assess(c.frequency, from, to, &occurrences);
                result.status = match p.verdict {
                    crate::Verdict::Effective | crate::Verdict::EffectiveWithExceptions => {
                        Status::Pass
                    }
                    crate::Verdict::Ineffective => Status::Fail,
                    crate::Verdict::NotOccurring => Status::NotVerifiable,
                };
                result.reason = period::summary(c.frequency, &p);
                result.occurrences = occurrences
                    .into_iter()
                    .filter(|o| o.at >= period::first_bucket_start(c.frequency, from) && o.at <= to)
                    .collect();
                result.period = Some(p);
            }
        }
        Ok(result)
    }

    fn run(
        &self,
        mut engine: regorus::Engine,
        input: &Value,
    ) -> Result<Vec<Occurrence>, EngineError> {
        let c = &self.control;
        let eval_err = |message: String| EngineError::Evaluate {
            control: c.id.clone(),
            path: self.path.clone(),
            message,
        };
        let input_text = serde_json::to_string(input).map_err(|e| eval_err(e.to_string()))?;
        let value =
            regorus::Value::from_json_str(&input_text).map_err(|e| eval_err(e.to_string()))?;
        engine.set_input(value);
        let out = engine
            .eval_rule("data.assay.control.occurrences".to_owned())
            .map_err(|e| eval_err(e.to_string()))?;
        if out == regorus::Value::Undefined {
            return Ok(Vec::new());
        }
        let text = out.to_json_str().map_err(|e| eval_err(e.to_string()))?;
        let raw: Value = serde_json::from_str(&text).map_err(|e| eval_err(e.to_string()))?;
        let Value::Array(list) = raw else {
            return Err(EngineError::Output {
                control: c.id.clone(),
                path: self.path.clone(),
                message: "`occurrences` must be a set of objects".to_owned(),
            });
        };
        list.into_iter()
            .map(|o| {
                serde_json::from_value::<Occurrence>(o.clone()).map_err(|e| EngineError::Output {
                    control: c.id.clone(),
                    path: self.path.clone(),
                    message: format!("{e} in {o}"),
                })
            })
            .collect()
    }
}

/// Why a control does not apply, if it does not.
fn not_applicable(c: &Control, scope: &ScopeView) -> Option<String> {
    if let Some(x) = scope.exclusions.iter().find(|x| x.id == c.id) {
        return Some(if x.reason.is_empty() {
            "excluded in assay.toml".to_owned()
        } else {
            format!("excluded in assay.toml: {}", x.reason)
        });
    }
    if !c.criteria.iter().any(|id| scope.selects(id.category())) {
        let cats: Vec<&str> = c.criteria.iter().map(|id| id.category().key()).collect();
        return Some(format!(
            "its criteria belong to categories not selected ({})",
            dedup(cats).join(", ")
        ));
    }
    let ml_stage = !matches!(c.stage, Stage::Supporting | Stage::People);
    if ml_stage
        && !scope.components.is_empty()
        && !scope
            .components
            .iter()
            .any(|k| k.in_scope && k.stage == c.stage.key())
    {
        return Some(format!(
            "no in-scope component serves the {} stage",
            c.stage.key()
        ));
    }
    None
}

fn dedup(mut v: Vec<&str>) -> Vec<&str> {
    v.sort_unstable();
    v.dedup();
    v
}

/// The evidence a control sees, and what was set aside.
struct Selection {
    /// Items in the window, in scope and not expired.
    current: Vec<Item>,
    /// Newest item observed before the window.
    older: Option<Item>,
    /// Manual items in the window that expired before its end.
    expired: Vec<Item>,
    /// Items about out-of-scope components.
    out_of_scope: usize,
}

fn select(
    c: &Control,
    evidence: &EvidenceSet,
    scope: &ScopeView,
    start: Timestamp,
    end: Timestamp,
) -> Selection {
    let mut sel = Selection {
        current: Vec::new(),
        older: None,
        expired: Vec::new(),
        out_of_scope: 0,
    };
    for kind in &c.evidence {
        for item in evidence.of_kind(kind) {
            if item.observed_at > end {
                continue;
            }
            if scope.component(&item.subject).is_some_and(|k| !k.in_scope) {
                sel.out_of_scope += 1;
                continue;
            }
            if item.expires_at.is_some_and(|x| x <= end) {
                sel.expired.push(item.clone());
                continue;
            }
            if item.observed_at < start && !c.reference.contains(kind) {
                if sel
                    .older
                    .as_ref()
                    .is_none_or(|o| o.observed_at < item.observed_at)
                {
                    sel.older = Some(item.clone());
                }
                continue;
            }
            sel.current.push(item.clone());
        }
    }
    sel.current.sort_by_key(|i| (i.observed_at, i.index));
    sel
}

fn date(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%d").to_string()
}

/// Why nothing could be assessed: stale, source not configured or missing.
fn unseen_reason(c: &Control, scope: &ScopeView, sel: &Selection, start: Timestamp) -> String {
    if let Some(x) = sel.expired.iter().max_by_key(|i| i.expires_at) {
        return format!(
            "stale: {} #{} ({}) expired on {}",
            x.kind,
            x.index,
            x.subject,
            x.expires_at.map(date).unwrap_or_default()
        );
    }
    if let Some(o) = &sel.older {
        return format!(
            "stale: the newest {} (#{}) is from {}, before {} (a {} control looks back {} days)",
            o.kind,
            o.index,
            date(o.observed_at),
            date(start),
            c.frequency.key(),
            lookback(c.frequency).as_hours() / 24
        );
    }
    // Kinds that need a collector which is not configured.
    let mut missing_sources: Vec<&str> = Vec::new();
    let mut needs_no_source = false;
    for kind in &c.evidence {
        let sources = sources_of(kind);
        if sources.is_empty() {
            needs_no_source = true;
        } else if !sources.iter().any(|s| scope.sources.iter().any(|x| x == s)) {
            missing_sources.extend(sources.iter().copied());
        }
    }
    let missing_sources = dedup(missing_sources);
    if !needs_no_source && !missing_sources.is_empty() {
        return format!(
            "source not configured: add {} to assay.toml to collect {}",
            missing_sources
                .iter()
                .map(|s| format!("[source.{s}]"))
                .collect::<Vec<_>>()
                .join(" or "),
            c.evidence.join(", ")
        );
    }
    let oos = if sel.out_of_scope > 0 {
        format!(
            " ({} item(s) concern out-of-scope components only)",
            sel.out_of_scope
        )
    } else {
        String::new()
    };
    format!(
        "evidence missing: no {} recorded in the window{oos}",
        c.evidence.join(", ")
    )
}

/// For periodic controls, only the newest occurrence(s) of each subject describe the state at a date.
fn latest_per_subject(frequency: Frequency, occurrences: Vec<Occurrence>) -> Vec<Occurrence> {
    if frequency == Frequency::PerEvent {
        return occurrences;
    }
    let mut newest: BTreeMap<String, Timestamp> = BTreeMap::new();
    for o in &occurrences {
        let key = o.subject.clone().unwrap_or_default();
        let slot = newest.entry(key).or_insert(o.at);
        if o.at > *slot {
            *slot = o.at;
        }
    }
    occurrences
        .into_iter()
        .filter(|o| newest.get(o.subject.as_deref().unwrap_or("")) == Some(&o.at))
        .collect()
}

/// Evaluate every control of the catalog.
pub fn evaluate(
    catalog: &Catalog,
    evidence: &EvidenceSet,
    scope: &ScopeView,
    window: Window,
) -> Result<Report, EngineError> {
    evaluate_with(catalog, &[], evidence, scope, window)
}

/// Evaluate every control of the catalog and then the workspace's own controls.
pub fn evaluate_with(
    catalog: &Catalog,
    custom: &[ControlEngine],
    evidence: &EvidenceSet,
    scope: &ScopeView,
    window: Window,
) -> Result<Report, EngineError> {
    let mut results = Vec::with_capacity(catalog.controls.len() + custom.len());
    for control in &catalog.controls {
        let engine = ControlEngine::builtin(control)?;
        results.push(engine.evaluate(evidence, scope, window)?);
    }
    for engine in custom {
        results.push(engine.evaluate(evidence, scope, window)?);
    }
    Ok(report(catalog, scope, window, results))
}

/// Assemble counts and readiness around results.
pub(crate) fn report(
    catalog: &Catalog,
    scope: &ScopeView,
    window: Window,
    results: Vec<ControlResult>,
) -> Report {
    let mut counts = Counts::default();
    for r in &results {
        counts.add(r.status);
    }
    let readiness = Category::ALL
        .iter()
        .filter(|cat| scope.selects(**cat))
        .map(|cat| readiness(catalog, *cat, &results))
        .collect();
    Report {
        window,
        counts,
        results,
        readiness,
    }
}

fn readiness(catalog: &Catalog, cat: Category, results: &[ControlResult]) -> CategoryReadiness {
    let mut controls = Counts::default();
    let mut seen: Vec<&str> = Vec::new();
    let mut criteria = Vec::new();
    for criterion in catalog.criteria.iter().filter(|c| c.category() == cat) {
        let id = criterion.id.as_str();
        let mapped: Vec<&ControlResult> = results
            .iter()
            .filter(|r| r.criteria.iter().any(|x| x == id) && r.status != Status::NotApplicable)
            .collect();
        for r in results
            .iter()
            .filter(|r| r.criteria.iter().any(|x| x == id))
        {
            if !seen.contains(&r.control.as_str()) {
                seen.push(&r.control);
                controls.add(r.status);
            }
        }
        if mapped.is_empty() {
            continue;
        }
        let pass: Vec<String> = mapped
            .iter()
            .filter(|r| r.status == Status::Pass)
            .map(|r| r.control.clone())
            .collect();
        let not_passing: Vec<String> = mapped
            .iter()
            .filter(|r| r.status != Status::Pass)
            .map(|r| r.control.clone())
            .collect();
        criteria.push(CriterionStatus {
            id: id.to_owned(),
            ready: not_passing.is_empty(),
            pass,
            not_passing,
        });
    }
    let applicable = criteria.len();
    let ready = criteria.iter().filter(|c| c.ready).count();
    CategoryReadiness {
        category: cat.key().to_owned(),
        name: cat.name().to_owned(),
        applicable_criteria: applicable,
        ready_criteria: ready,
        share: if applicable == 0 {
            0.0
        } else {
            ready as f64 / applicable as f64
        },
        controls,
        without_passing_control: criteria
            .iter()
            .filter(|c| c.pass.is_empty())
            .map(|c| c.id.clone())
            .collect(),
        criteria,
    }
}
