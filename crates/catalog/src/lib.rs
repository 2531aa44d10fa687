//! # assay-catalog — what SOC 2 asks of an AI company, as data
//!
//! This room holds static knowledge: the 61 Trust Services Criteria (in Assay's own words), the AI
//! risk library, the built-in controls and the evidence kinds they rely on. The content lives in
//! `data/*.toml`, embedded at build time and parsed once on first use.
//!
//! It must not do I/O, read the clock, print, or know about any user's system: the user's system
//! description belongs to `assay-scope`, evidence to `assay-ledger`, evaluation to `assay-engine`.
//!
//! The mappings between risks, controls and criteria are stored once (a control names the risks it
//! mitigates and the criteria it addresses; a risk names the criteria it threatens) and every other
//! direction is derived here, so the two sides cannot disagree.

mod criterion;
mod integrity;
mod model;
mod policies;

use std::sync::LazyLock;

use serde::Deserialize;

pub use criterion::{Category, CriterionId};
pub use integrity::IntegrityProblem;
pub use model::{
    CategoryInfo, Control, Criterion, EvidenceKindInfo, Frequency, Nature, Risk, Series, Stage,
    Threat,
};
pub use policies::{BUILTIN_POLICIES, BuiltinPolicy, builtin_policy};

/// Errors of this crate. Every variant names the input at fault.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("`{input}` is not a Trust Services Criterion: {hint}")]
    UnknownCriterion { input: String, hint: String },
    #[error(
        "`{input}` is not a category; use security, availability, processing_integrity, confidentiality or privacy"
    )]
    UnknownCategory { input: String },
    #[error(
        "`{input}` is not a lifecycle stage; use ingestion, training, registry, deployment, inference, storage, monitoring, supporting or people"
    )]
    UnknownStage { input: String },
    #[error("no criterion, risk or control has the id `{input}`{hint}")]
    UnknownId { input: String, hint: String },
    #[error("embedded catalog file `{file}` is invalid: {message}")]
    Embedded { file: &'static str, message: String },
}

/// The whole catalog.
#[derive(Debug)]
pub struct Catalog {
    pub version: String,
    pub categories: Vec<CategoryInfo>,
    pub series: Vec<Series>,
    pub criteria: Vec<Criterion>,
    pub risks: Vec<Risk>,
    pub controls: Vec<Control>,
    pub evidence_kinds: Vec<EvidenceKindInfo>,
}

/// Something `assay catalog show ID` can describe.
#[derive(Debug, Clone, Copy)]
pub enum Entry<'a> {
    Criterion(&'a Criterion),
    Risk(&'a Risk),
    Control(&'a Control),
}

const CRITERIA_TOML: &str = include_str!("../data/criteria.toml");
const RISKS_TOML: &str = include_str!("../data/risks.toml");
const CONTROLS_TOML: &str = include_str!("../data/controls.toml");
const EVIDENCE_KINDS_TOML: &str = include_str!("../data/evidence-kinds.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CriteriaFile {
    version: String,
    category: Vec<CategoryInfo>,
    series: Vec<Series>,
    criterion: Vec<Criterion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RisksFile {
    risk: Vec<Risk>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ControlsFile {
    control: Vec<Control>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EvidenceKindsFile {
    kind: Vec<EvidenceKindInfo>,
}

fn parse<T: for<'de> Deserialize<'de>>(file: &'static str, text: &str) -> Result<T, CatalogError> {
    toml::from_str(text).map_err(|e| CatalogError::Embedded {
        file,
        message: e.to_string(),
    })
}

static EMBEDDED: LazyLock<Result<Catalog, CatalogError>> = LazyLock::new(Catalog::parse_embedded);

impl Catalog {
    /// The catalog compiled into this binary, parsed on first use.
    ///
    /// The embedded files are checked by this crate's tests, so an error here means a broken build,
    /// not bad user input; callers still receive it as an error rather than a panic.
    pub fn embedded() -> Result<&'static Catalog, &'static CatalogError> {
        EMBEDDED.as_ref()
    }

    fn parse_embedded() -> Result<Catalog, CatalogError> {
        let criteria: CriteriaFile = parse("data/criteria.toml", CRITERIA_TOML)?;
        let risks: RisksFile = parse("data/risks.toml", RISKS_TOML)?;
        let mut controls: ControlsFile = parse("data/controls.toml", CONTROLS_TOML)?;
        // A control's test is its embedded Rego module, when there is one.
        for control in &mut controls.control {
            if control.test.is_none() {
                control.test = builtin_policy(&control.id).map(|p| p.path.to_owned());
            }
        }
        let kinds: EvidenceKindsFile = parse("data/evidence-kinds.toml", EVIDENCE_KINDS_TOML)?;
        Ok(Catalog {
            version: criteria.version,
            categories: criteria.category,
            series: criteria.series,
            criteria: criteria.criterion,
            risks: risks.risk,
            controls: controls.control,
            evidence_kinds: kinds.kind,
        })
    }

    pub fn criterion(&self, id: CriterionId) -> Option<&Criterion> {
        self.criteria.iter().find(|c| c.id == id)
    }

    pub fn series(&self, id: &str) -> Option<&Series> {
        self.series.iter().find(|s| s.id == id)
    }

    pub fn category(&self, id: Category) -> Option<&CategoryInfo> {
        self.categories.iter().find(|c| c.id == id)
    }

    pub fn risk(&self, id: &str) -> Option<&Risk> {
        self.risks.iter().find(|r| r.id.eq_ignore_ascii_case(id))
    }

    pub fn control(&self, id: &str) -> Option<&Control> {
        self.controls.iter().find(|c| c.id.eq_ignore_ascii_case(id))
    }

    /// Controls that mitigate a risk.
    pub fn controls_for_risk<'a>(&'a self, risk: &'a str) -> impl Iterator<Item = &'a Control> {
        self.controls
            .iter()
            .filter(move |c| c.risks.iter().any(|r| r == risk))
    }

    /// Controls mapped to a criterion.
    pub fn controls_for_criterion(&self, id: CriterionId) -> impl Iterator<Item = &Control> {
        self.controls
            .iter()
            .filter(move |c| c.criteria.contains(&id))
    }

    /// Risks that threaten a criterion, with the reason.
    pub fn risks_for_criterion(&self, id: CriterionId) -> impl Iterator<Item = (&Risk, &Threat)> {
        self.risks.iter().filter_map(move |r| {
            r.threatens
                .iter()
                .find(|t| t.criterion == id)
                .map(|t| (r, t))
        })
    }

    /// Risks that affect a lifecycle stage.
    pub fn risks_for_stage(&self, stage: Stage) -> impl Iterator<Item = &Risk> {
        self.risks.iter().filter(move |r| r.stages.contains(&stage))
    }

    /// Look up a criterion, risk or control by id. Criterion-shaped ids that do not exist get the
    /// criterion parser's hint (`CC6.9`, `PP1.1` …).
    pub fn lookup(&self, id: &str) -> Result<Entry<'_>, CatalogError> {
        if let Some(risk) = self.risk(id) {
            return Ok(Entry::Risk(risk));
        }
        if let Some(control) = self.control(id) {
            return Ok(Entry::Control(control));
        }
        match CriterionId::parse(id) {
            Ok(cid) => {
                self.criterion(cid)
                    .map(Entry::Criterion)
                    .ok_or_else(|| CatalogError::UnknownId {
                        input: id.to_owned(),
                        hint: String::new(),
                    })
            }
            Err(err @ CatalogError::UnknownCriterion { .. }) if looks_like_criterion(id) => {
                Err(err)
            }
            Err(_) => Err(CatalogError::UnknownId {
                input: id.to_owned(),
                hint: self.suggest(id),
            }),
        }
    }

    fn suggest(&self, id: &str) -> String {
        let upper = id.trim().to_ascii_uppercase();
        let prefix: String = upper
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        let near: Vec<&str> = self
            .controls
            .iter()
            .map(|c| c.id.as_str())
            .chain(self.risks.iter().map(|r| r.id.as_str()))
            .filter(|candidate| !prefix.is_empty() && candidate.starts_with(&prefix))
            .take(6)
            .collect();
        if near.is_empty() {
            "; list them with `assay catalog criteria`, `assay catalog risks` or `assay catalog controls`"
                .to_owned()
        } else {
            format!("; ids with that prefix: {}", near.join(", "))
        }
    }
}

/// `CC…`, `A1.…`, `PI…`, `P3.…` shapes: report the criterion parser's explanation.
fn looks_like_criterion(id: &str) -> bool {
    let upper = id.trim().to_ascii_uppercase();
    let letters: String = upper
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    let rest = &upper[letters.len()..];
    matches!(letters.as_str(), "CC" | "A" | "C" | "PI" | "PP" | "P")
        && rest.contains('.')
        && rest.chars().all(|c| c.is_ascii_digit() || c == '.')
}
