//! Evaluating controls: scope checks, evidence selection, the Rego run and the status rules.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use jiff::Timestamp;
use serde_json::{Value, json};

use assay_catalog::{Catalog, Category, Control, Frequency, Stage, builtin_policy};

use crate::model::{
    CategoryReadiness, ControlResult, Counts, CriterionStatus, EvidenceSet, Item, Occurrence,
    Report, ScopeView, Status, Window, lookback, rfc3339,
};
use crate::{EngineError, native, period};

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
        (_, "incident" | "dr.test" | "backup.job") => &["incidents"],
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
    /// The compiled form of a built-in test (`crate::native`), used instead of the Rego module.
    native: Option<native::Test>,
}

impl ControlEngine {
    /// The control with its built-in Rego test (none for controls without one).
    ///
    /// Controls with a compiled test (`native::test`) run it instead of their Rego module, which
    /// gives the same results (`tests/native.rs` holds the two to that) in a fraction of the time.
    pub fn builtin(control: &Control) -> Result<ControlEngine, EngineError> {
        match (builtin_policy(&control.id), native::test(&control.id)) {
            (Some(p), Some(test)) => Ok(ControlEngine {
                control: control.clone(),
                path: p.path.to_owned(),
                rego: None,
                native: Some(test),
            }),
            _ => ControlEngine::builtin_rego(control),
        }
    }

    /// The control with its built-in Rego module, never the compiled form: the reference the compiled
    /// tests are checked against.
    pub fn builtin_rego(control: &Control) -> Result<ControlEngine, EngineError> {
        match builtin_policy(&control.id) {
            Some(p) => ControlEngine::with_policy(control, p.path, p.rego),
            None => Ok(ControlEngine {
                control: control.clone(),
                path: String::new(),
                rego: None,
                native: None,
            }),
        }
    }

    /// Whether the control runs a compiled test rather than a Rego module.
    pub fn is_compiled(&self) -> bool {
        self.native.is_some()
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
            native: None,
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
        let result = self.evaluate_read(evidence, scope, window);
        // A stored payload that did not decode when the test read it was seen as `null`: the result (or the
        // error that `null` caused) would rest on evidence the engine could not read.
        match evidence.unreadable(self.control.evidence.iter().map(String::as_str)) {
            Some((index, reason)) => Err(EngineError::Evidence {
                index,
                reason: reason.to_owned(),
            }),
            None => result,
        }
    }

    fn evaluate_read(
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
        let mut sel = select(c, evidence, scope, start, end);
        if sel.current.is_empty() {
            result.reason = unseen_reason(c, scope, &sel, start);
            return Ok(result);
        }
        let mut occurrences = if let Some(test) = self.native {
            let mut kinds: Vec<(&str, Vec<&Item>)> = c
                .evidence
                .iter()
                .map(|k| (k.as_str(), Vec::new()))
                .collect();
            for p in &sel.current {
                kinds[p.kind].1.push(p.item);
            }
            test(&native::Input::new(kinds)).map_err(|e| self.eval_err(e))?
        } else if let Some(engine) = &self.rego {
            sel.current
                .sort_by_key(|p| (p.item.observed_at, p.item.index));
            let input = self.input(evidence, scope, window, start, end, &sel)?;
            self.run(engine.clone(), input)?
        } else {
            result.reason = format!(
                "no automated test yet: {} item(s) of {} are for a person to review",
                sel.current.len(),
                c.evidence.join(", ")
            );
            return Ok(result);
        };
        occurrences.retain(|o| o.at <= end);
        // A total order (Rego returns a set: equal occurrences are one), the same for both test forms.
        occurrences.sort_by(|a, b| {
            a.at.cmp(&b.at)
                .then_with(|| a.reason.cmp(&b.reason))
                .then_with(|| a.evidence.cmp(&b.evidence))
                .then_with(|| a.ok.cmp(&b.ok))
                .then_with(|| a.subject.cmp(&b.subject))
        });
        occurrences.dedup();

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

    fn eval_err(&self, message: String) -> EngineError {
        EngineError::Evaluate {
            control: self.control.id.clone(),
            path: self.path.clone(),
            message,
        }
    }

    /// The module's input, built as a Rego value: the small parts through JSON, the evidence from the
    /// values the evidence set shares between controls.
    fn input(
        &self,
        evidence: &EvidenceSet,
        scope: &ScopeView,
        window: Window,
        start: Timestamp,
        end: Timestamp,
        sel: &Selection<'_>,
    ) -> Result<regorus::Value, EngineError> {
        let c = &self.control;
        let head = json!({
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
            "scope": scope,
        });
        let mut list = Vec::with_capacity(sel.current.len());
        for p in &sel.current {
            let v = evidence
                .rego_value(&p.item.kind, p.pos)
                .map_err(|e| self.eval_err(e))?;
            list.push(v.clone());
        }
        let mut input = crate::input::json(&head).map_err(|e| self.eval_err(e))?;
        input
            .as_object_mut()
            .map_err(|e| self.eval_err(e.to_string()))?
            .insert(regorus::Value::from("evidence"), regorus::Value::from(list));
        Ok(input)
    }

    fn run(
        &self,
        mut engine: regorus::Engine,
        input: regorus::Value,
    ) -> Result<Vec<Occurrence>, EngineError> {
        let c = &self.control;
        engine.set_input(input);
        let out = engine
            .eval_rule("data.assay.control.occurrences".to_owned())
            .map_err(|e| self.eval_err(e.to_string()))?;
        if out == regorus::Value::Undefined {
            return Ok(Vec::new());
        }
        if let Some(list) = crate::input::occurrences(&out) {
            return Ok(list);
        }
        // Something breaks the contract: go through JSON, whose errors name the field.
        let text = out
            .to_json_str()
            .map_err(|e| self.eval_err(e.to_string()))?;
        let raw: Value = serde_json::from_str(&text).map_err(|e| self.eval_err(e.to_string()))?;
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

/// An item a control sees, with its position in its kind's list.
struct Picked<'a> {
    item: &'a Item,
    pos: usize,
    /// The item's kind, as a position in the control's `evidence` list.
    kind: usize,
}

/// The evidence a control sees, and what was set aside.
struct Selection<'a> {
    /// Items in the window, in scope and not expired.
    current: Vec<Picked<'a>>,
    /// Newest item observed before the window.
    older: Option<&'a Item>,
    /// Manual items in the window that expired before its end.
    expired: Vec<&'a Item>,
    /// Items about out-of-scope components.
    out_of_scope: usize,
}

fn select<'a>(
    c: &Control,
    evidence: &'a EvidenceSet,
    scope: &ScopeView,
    start: Timestamp,
    end: Timestamp,
) -> Selection<'a> {
    let mut sel = Selection {
        current: Vec::new(),
        older: None,
        expired: Vec::new(),
        out_of_scope: 0,
    };
    let excluded: Vec<&str> = scope
        .components
        .iter()
        .filter(|k| !k.in_scope)
        .map(|k| k.id.as_str())
        .collect();
    // Only the first component with an id counts, as `ScopeView::component` finds it.
    let out_of_scope = |subject: &str| {
        !excluded.is_empty() && scope.component(subject).is_some_and(|k| !k.in_scope)
    };
    // Each kind's list is in `observed_at` order: the window is a slice of it. What lies before the
    // window (stale, expired, out of scope) only matters when nothing is inside it.
    for (k, kind) in c.evidence.iter().enumerate() {
        let list = evidence.of_kind(kind);
        // Reference kinds are read from the beginning: the window bounds only the population.
        let lo = if c.reference.contains(kind) {
            0
        } else {
            list.partition_point(|i| i.observed_at < start)
        };
        let hi = list.partition_point(|i| i.observed_at <= end);
        for (pos, item) in list.iter().enumerate().take(hi).skip(lo) {
            if out_of_scope(&item.subject) {
                sel.out_of_scope += 1;
            } else if item.expires_at.is_some_and(|x| x <= end) {
                sel.expired.push(item);
            } else {
                sel.current.push(Picked { item, pos, kind: k });
            }
        }
    }
    if sel.current.is_empty() {
        // Nothing in the window: go over everything up to its end, in the same order as above, for
        // the stale, expired and out-of-scope items the reason names.
        sel.expired.clear();
        sel.out_of_scope = 0;
        for kind in &c.evidence {
            let list = evidence.of_kind(kind);
            let hi = list.partition_point(|i| i.observed_at <= end);
            for item in &list[..hi] {
                if out_of_scope(&item.subject) {
                    sel.out_of_scope += 1;
                } else if item.expires_at.is_some_and(|x| x <= end) {
                    sel.expired.push(item);
                } else if item.observed_at < start
                    && sel.older.is_none_or(|o| o.observed_at < item.observed_at)
                {
                    sel.older = Some(item);
                }
            }
        }
    }
    sel
}

fn date(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%d").to_string()
}

/// Why nothing could be assessed: stale, source not configured or missing.
fn unseen_reason(c: &Control, scope: &ScopeView, sel: &Selection<'_>, start: Timestamp) -> String {
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

/// Evaluate every control of the catalog and then the workspace's own controls, on every core.
pub fn evaluate_with(
    catalog: &Catalog,
    custom: &[ControlEngine],
    evidence: &EvidenceSet,
    scope: &ScopeView,
    window: Window,
) -> Result<Report, EngineError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    evaluate_on(threads, catalog, custom, evidence, scope, window)
}

/// [`evaluate_with`] on at most `threads` threads. Results are in catalog order (then the custom
/// controls) whatever the number of threads; on errors, the first control's error in that order.
pub fn evaluate_on(
    threads: usize,
    catalog: &Catalog,
    custom: &[ControlEngine],
    evidence: &EvidenceSet,
    scope: &ScopeView,
    window: Window,
) -> Result<Report, EngineError> {
    enum Task<'a> {
        Builtin(&'a Control),
        Custom(Box<ControlEngine>),
    }
    impl Task<'_> {
        fn control(&self) -> &Control {
            match self {
                Task::Builtin(c) => c,
                Task::Custom(e) => e.control(),
            }
        }
    }
    // A regorus engine may move between threads but not be shared: each custom control is cloned
    // into its task.
    let tasks: Vec<Task<'_>> = catalog
        .controls
        .iter()
        .map(Task::Builtin)
        .chain(custom.iter().map(|e| Task::Custom(Box::new(e.clone()))))
        .collect();
    let run = |t: &Task<'_>| match t {
        Task::Builtin(control) => {
            ControlEngine::builtin(control)?.evaluate(evidence, scope, window)
        }
        Task::Custom(engine) => engine.evaluate(evidence, scope, window),
    };
    let threads = threads.clamp(1, tasks.len().max(1));
    let outcomes: Vec<Result<ControlResult, EngineError>> = if threads == 1 {
        tasks.iter().map(run).collect()
    } else {
        // Largest first (by the evidence each control reads), so no long control starts last.
        let weight = |t: &Task<'_>| -> usize {
            t.control()
                .evidence
                .iter()
                .map(|k| evidence.of_kind(k).len())
                .sum()
        };
        let mut order: Vec<usize> = (0..tasks.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(weight(&tasks[i])));
        let n = tasks.len();
        let queue: Vec<Mutex<Option<Task<'_>>>> =
            tasks.into_iter().map(|t| Mutex::new(Some(t))).collect();
        let next = AtomicUsize::new(0);
        let done: Vec<Vec<(usize, Result<ControlResult, EngineError>)>> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        let mut mine = Vec::new();
                        while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                            let task = queue[i].lock().ok().and_then(|mut t| t.take());
                            if let Some(task) = task {
                                mine.push((i, run(&task)));
                            }
                        }
                        mine
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        let mut slots: Vec<Option<Result<ControlResult, EngineError>>> =
            (0..n).map(|_| None).collect();
        for (i, r) in done.into_iter().flatten() {
            slots[i] = Some(r);
        }
        slots.into_iter().flatten().collect()
    };
    let results = outcomes.into_iter().collect::<Result<Vec<_>, _>>()?;
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
