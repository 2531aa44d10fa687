//! `assay scope check`: scoping mistakes an auditor would raise, with stable codes.
//!
//! Codes never change meaning once published. `E…` are errors (the description cannot support an
//! examination as written), `W…` are warnings (it can, but something deserves a decision).

use std::collections::BTreeSet;

use serde::Serialize;

use assay_catalog::{Catalog, Category, CriterionId, Stage};

use crate::Scope;
use crate::model::{Component, DataClass, Environment, KNOWN_SOURCES};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One scoping problem.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Stable code, e.g. `W102`.
    pub code: &'static str,
    /// Stable name, e.g. `research-in-scope`.
    pub name: &'static str,
    pub severity: Severity,
    /// What is wrong, as a sentence.
    pub message: String,
    /// The component, subservice or setting at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// 1-based line in the description file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// What to do about it.
    pub hint: String,
}

/// Which AI risks apply to an in-scope component and which controls address them.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentCoverage {
    pub component: String,
    pub stage: Stage,
    pub risks: Vec<RiskCoverage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RiskCoverage {
    pub risk: String,
    pub title: String,
    /// Built-in controls that mitigate the risk and are not excluded.
    pub controls: Vec<String>,
    /// Mitigating controls the description excludes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub excluded: Vec<String>,
}

/// Everything `scope check` found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub file: String,
    pub system: String,
    pub categories: Vec<Category>,
    pub components: usize,
    pub in_scope: usize,
    pub subservices: usize,
    pub findings: Vec<Finding>,
    pub coverage: Vec<ComponentCoverage>,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

struct Findings<'a> {
    scope: &'a Scope,
    out: Vec<Finding>,
}

impl Findings<'_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        code: &'static str,
        name: &'static str,
        severity: Severity,
        subject: Option<&str>,
        offset: Option<usize>,
        message: String,
        hint: &str,
    ) {
        self.out.push(Finding {
            code,
            name,
            severity,
            message,
            subject: subject.map(str::to_owned),
            line: offset.map(|o| self.scope.line_of(o)),
            hint: hint.to_owned(),
        });
    }
}

fn is_production_inference(c: &Component) -> bool {
    c.in_scope && c.stage == Stage::Inference && c.environment == Environment::Production
}

/// Run every scoping rule over a parsed description.
pub fn check(scope: &Scope, catalog: &Catalog) -> Report {
    use Severity::{Error, Warning};

    let d = &scope.description;
    let mut f = Findings {
        scope,
        out: Vec::new(),
    };

    // Categories.
    let criteria_at = d.system.criteria.span().start;
    let mut categories = BTreeSet::new();
    for entry in d.system.criteria.get_ref() {
        match entry.get_ref().parse::<Category>() {
            Ok(c) if entry.get_ref() == c.key() => {
                categories.insert(c);
            }
            Ok(c) => f.push(
                "E002",
                "unknown-category",
                Error,
                Some(entry.get_ref()),
                Some(entry.span().start),
                format!("`{}` is not how categories are written", entry.get_ref()),
                &format!("write `{}`", c.key()),
            ),
            Err(err) => f.push(
                "E002",
                "unknown-category",
                Error,
                Some(entry.get_ref()),
                Some(entry.span().start),
                err.to_string(),
                "categories are security, availability, processing_integrity, confidentiality and privacy",
            ),
        }
    }
    if !categories.contains(&Category::Security) {
        f.push(
            "E001",
            "security-not-selected",
            Error,
            None,
            Some(criteria_at),
            "the Security category (the common criteria CC1–CC9) is not selected".to_owned(),
            "add \"security\" to [system].criteria; every SOC 2 examination includes it",
        );
    }
    if d.system.service.trim().chars().count() < 20 {
        f.push(
            "W112",
            "vague-service",
            Warning,
            None,
            None,
            "[system].service does not describe the service".to_owned(),
            "say, from the customer's side, what they send, what they receive and what is promised",
        );
    }

    // Components.
    let components: Vec<(&Component, usize)> = d
        .component
        .iter()
        .map(|c| (c.get_ref(), c.span().start))
        .collect();
    if components.iter().all(|(c, _)| !c.in_scope) {
        f.push(
            "W109",
            "no-components",
            Warning,
            None,
            None,
            "no component is in scope, so no control has anything to test".to_owned(),
            "add [[component]] tables for the pipelines, stores, registries and services of the system",
        );
    }
    let mut seen = BTreeSet::new();
    for (c, at) in &components {
        if !seen.insert(c.id.as_str()) {
            f.push(
                "E003",
                "duplicate-component",
                Error,
                Some(&c.id),
                Some(*at),
                format!("component `{}` is declared more than once", c.id),
                "give every component a unique id",
            );
        }
        let has_reason = c.reason.as_deref().is_some_and(|r| !r.trim().is_empty());
        let sensitive: Vec<&str> = c
            .holds
            .iter()
            .filter(|h| {
                matches!(
                    h,
                    DataClass::CustomerData | DataClass::Pii | DataClass::Confidential
                )
            })
            .map(|h| h.key())
            .collect();
        if !c.in_scope && !has_reason {
            if sensitive.is_empty() {
                f.push(
                    "W107",
                    "out-of-scope-without-reason",
                    Warning,
                    Some(&c.id),
                    Some(*at),
                    format!("component `{}` is out of scope without a reason", c.id),
                    "add `reason = \"…\"`; the report's description must explain the boundary",
                );
            } else {
                f.push(
                    "E004",
                    "sensitive-data-excluded-without-reason",
                    Error,
                    Some(&c.id),
                    Some(*at),
                    format!(
                        "component `{}` holds {} but is out of scope with no reason given",
                        c.id,
                        sensitive.join(" and ")
                    ),
                    "bring it into scope, or add `reason = \"…\"` explaining why the data never reaches the system",
                );
            }
        }
        if c.in_scope && c.environment == Environment::Research {
            f.push(
                "W102",
                "research-in-scope",
                Warning,
                Some(&c.id),
                Some(*at),
                format!(
                    "research component `{}` is in scope: every control then applies to experiments too",
                    c.id
                ),
                "keep research out of scope with a reason, and gate promotion to production through an in-scope pipeline",
            );
        }
        if c.in_scope && c.owner.as_deref().is_none_or(|o| o.trim().is_empty()) {
            f.push(
                "W104",
                "component-without-owner",
                Warning,
                Some(&c.id),
                Some(*at),
                format!("in-scope component `{}` has no owner", c.id),
                "add `owner = \"team\"`; auditors ask who is accountable for each component",
            );
        }
        if let Some(provider) = &c.provider
            && !d.subservice.iter().any(|s| s.get_ref().name == *provider)
        {
            f.push(
                "W111",
                "unknown-provider",
                Warning,
                Some(&c.id),
                Some(*at),
                format!(
                    "component `{}` names provider `{provider}`, which no [[subservice]] declares",
                    c.id
                ),
                "add the provider as a [[subservice]] with its method and CSOCs",
            );
        }
    }

    // The assurance gap: production inference in scope, but how its models are made is not.
    if components.iter().any(|(c, _)| is_production_inference(c)) {
        for stage in [Stage::Training, Stage::Registry] {
            let declared: Vec<&(&Component, usize)> = components
                .iter()
                .filter(|(c, _)| c.stage == stage && c.environment != Environment::Research)
                .collect();
            if declared.is_empty() {
                f.push(
                    "W101",
                    "assurance-gap",
                    Warning,
                    None,
                    None,
                    format!(
                        "production inference is in scope but no {stage} component is declared, so nobody can show how served models were made"
                    ),
                    "declare the pipeline or registry that produces production models and bring it into scope",
                );
            }
            for (c, at) in declared.into_iter().filter(|(c, _)| !c.in_scope) {
                f.push(
                    "W101",
                    "assurance-gap",
                    Warning,
                    Some(&c.id),
                    Some(*at),
                    format!(
                        "{stage} component `{}` is out of scope while production inference is in scope: the models served cannot be traced to approved data and code",
                        c.id
                    ),
                    "bring it into scope; if it never produces production models, mark it `environment = \"research\"`",
                );
            }
        }
    }

    // Categories without anything relevant in scope.
    let in_scope: Vec<&Component> = components
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| c.in_scope)
        .collect();
    let holds = |class: DataClass| in_scope.iter().any(|c| c.holds.contains(&class));
    for category in &categories {
        let (relevant, wanted) = match category {
            Category::Security => (!in_scope.is_empty(), "any in-scope component"),
            Category::Availability => (
                in_scope.iter().any(|c| {
                    matches!(c.stage, Stage::Inference | Stage::Deployment)
                        && c.environment == Environment::Production
                }),
                "an in-scope production serving component (stage inference or deployment)",
            ),
            Category::ProcessingIntegrity => (
                in_scope.iter().any(|c| {
                    matches!(
                        c.stage,
                        Stage::Ingestion | Stage::Training | Stage::Inference
                    )
                }),
                "an in-scope component that processes data (ingestion, training or inference)",
            ),
            Category::Confidentiality => (
                holds(DataClass::Confidential) || holds(DataClass::CustomerData),
                "an in-scope component that holds confidential or customer data",
            ),
            Category::Privacy => (
                holds(DataClass::Pii),
                "an in-scope component that holds PII",
            ),
        };
        if !relevant && !in_scope.is_empty() {
            f.push(
                "W105",
                "category-without-component",
                Warning,
                Some(category.key()),
                Some(criteria_at),
                format!(
                    "{} is selected but nothing in scope concerns it: it needs {wanted}",
                    category.name()
                ),
                "drop the category, or mark the components it concerns (stage, `holds`)",
            );
        }
    }

    // Subservice organisations.
    for s in &d.subservice {
        let (sub, at) = (s.get_ref(), s.span().start);
        match sub.method {
            None => f.push(
                "E005",
                "subservice-without-method",
                Error,
                Some(&sub.name),
                Some(at),
                format!(
                    "subservice organisation `{}` does not say whether it is carved out or included",
                    sub.name
                ),
                "add `method = \"carve-out\"` (usual for cloud and vendors) or `method = \"inclusive\"`",
            ),
            Some(crate::Method::CarveOut) if sub.csocs.is_empty() => f.push(
                "W103",
                "subservice-without-csocs",
                Warning,
                Some(&sub.name),
                Some(at),
                format!(
                    "carved-out subservice organisation `{}` lists no complementary controls (CSOCs)",
                    sub.name
                ),
                "list in `csocs` what the provider must do for your controls to work; the report must disclose them",
            ),
            Some(_) => {}
        }
        check_criteria(&mut f, &sub.criteria, &sub.name);
    }
    for cuec in &d.cuec {
        check_criteria(&mut f, &cuec.get_ref().criteria, "cuec");
    }

    // Teams.
    if d.team.is_empty() {
        f.push(
            "W110",
            "no-teams",
            Warning,
            None,
            None,
            "no [[team]] maps people to job functions, so segregation-of-duties controls cannot be evaluated".to_owned(),
            "add [[team]] tables with `function` and the `principals` as your identity sources spell them",
        );
    }

    // Control exclusions.
    let mut excluded = BTreeSet::new();
    for e in &d.controls.exclude {
        let (ex, at) = (e.get_ref(), e.span().start);
        match catalog.control(&ex.id) {
            None => f.push(
                "E007",
                "unknown-control",
                Error,
                Some(&ex.id),
                Some(at),
                format!("excluded control `{}` is not in the catalog", ex.id),
                "list the control ids with `assay catalog controls`",
            ),
            Some(control) => {
                excluded.insert(control.id.as_str());
            }
        }
        if ex.reason.trim().is_empty() {
            f.push(
                "E008",
                "exclusion-without-reason",
                Error,
                Some(&ex.id),
                Some(at),
                format!("control `{}` is excluded without a reason", ex.id),
                "add `reason = \"…\"`; an auditor reads every exclusion",
            );
        }
    }

    // Alert webhooks: exactly one of `url` and `url_env`, and a URL Assay can POST to.
    for (k, w) in d.alerts.webhook.iter().enumerate() {
        let which = format!("alerts.webhook[{k}]");
        let problem = match (&w.url, &w.url_env) {
            (Some(_), Some(_)) => Some("sets both `url` and `url_env`".to_owned()),
            (None, None) => Some("sets neither `url` nor `url_env`".to_owned()),
            (Some(u), None) if !(u.starts_with("https://") || u.starts_with("http://")) => {
                Some(format!("`url` is not an http:// or https:// URL: {u:?}"))
            }
            (None, Some(v)) if v.trim().is_empty() => Some("`url_env` is empty".to_owned()),
            _ => None,
        };
        if let Some(problem) = problem {
            f.push(
                "E009",
                "webhook-url",
                Error,
                Some(&which),
                None,
                format!("[[alerts.webhook]] #{} {problem}", k + 1),
                "give the receiver as `url = \"https://…\"`, or `url_env = \"VAR\"` to keep a secret URL out of the file",
            );
        }
    }

    // Sources.
    for (name, table) in &d.source {
        if !KNOWN_SOURCES.contains(&name.as_str()) {
            f.push(
                "W108",
                "unknown-source",
                Warning,
                Some(name),
                Some(table.span().start),
                format!("no collector reads `[source.{name}]`"),
                &format!("known sources: {}", KNOWN_SOURCES.join(", ")),
            );
        }
    }

    // Risk coverage per in-scope component.
    let mut coverage = Vec::new();
    let mut covered = BTreeSet::new();
    for c in in_scope.iter().filter(|c| covered.insert(c.id.as_str())) {
        let mut risks = Vec::new();
        for risk in catalog.risks_for_stage(c.stage) {
            let (kept, dropped): (Vec<&str>, Vec<&str>) = catalog
                .controls_for_risk(&risk.id)
                .map(|ctl| ctl.id.as_str())
                .partition(|id| !excluded.contains(id));
            if kept.is_empty() {
                f.push(
                    "W106",
                    "risk-without-control",
                    Warning,
                    Some(&c.id),
                    None,
                    format!(
                        "{} applies to `{}` but every control that mitigates it is excluded",
                        risk.id, c.id
                    ),
                    "operate at least one of the excluded controls, or accept the risk in your risk assessment",
                );
            }
            risks.push(RiskCoverage {
                risk: risk.id.clone(),
                title: risk.title.clone(),
                controls: kept.into_iter().map(str::to_owned).collect(),
                excluded: dropped.into_iter().map(str::to_owned).collect(),
            });
        }
        coverage.push(ComponentCoverage {
            component: c.id.clone(),
            stage: c.stage,
            risks,
        });
    }

    let mut findings = f.out;
    findings.sort_by(|a, b| {
        (a.severity, a.line.unwrap_or(usize::MAX), a.code).cmp(&(
            b.severity,
            b.line.unwrap_or(usize::MAX),
            b.code,
        ))
    });

    Report {
        file: scope.path.display().to_string(),
        system: d.system.name.clone(),
        categories: categories.into_iter().collect(),
        components: components.len(),
        in_scope: in_scope.len(),
        subservices: d.subservice.len(),
        findings,
        coverage,
    }
}

fn check_criteria(f: &mut Findings<'_>, list: &[toml::Spanned<String>], owner: &str) {
    for id in list {
        if let Err(err) = CriterionId::parse(id.get_ref()) {
            f.push(
                "E006",
                "invalid-criterion",
                Severity::Error,
                Some(owner),
                Some(id.span().start),
                err.to_string(),
                "list the real criteria with `assay catalog criteria`",
            );
        }
    }
}
