//! The catalog's record types, as they are written in `data/*.toml`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{CatalogError, Category, CriterionId};

/// A stage of the machine-learning lifecycle, or the supporting functions around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    Ingestion,
    Training,
    Registry,
    Deployment,
    Inference,
    Storage,
    Monitoring,
    /// Supporting services: identity, vulnerability management, backup, vendors.
    Supporting,
    /// People and process: governance, policies, training, HR.
    People,
}

impl Stage {
    pub const ALL: [Stage; 9] = [
        Stage::Ingestion,
        Stage::Training,
        Stage::Registry,
        Stage::Deployment,
        Stage::Inference,
        Stage::Storage,
        Stage::Monitoring,
        Stage::Supporting,
        Stage::People,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Stage::Ingestion => "ingestion",
            Stage::Training => "training",
            Stage::Registry => "registry",
            Stage::Deployment => "deployment",
            Stage::Inference => "inference",
            Stage::Storage => "storage",
            Stage::Monitoring => "monitoring",
            Stage::Supporting => "supporting",
            Stage::People => "people",
        }
    }

    /// The control-id prefix used for controls of this stage.
    pub fn control_prefix(self) -> &'static str {
        match self {
            Stage::Ingestion => "ING",
            Stage::Training => "TRN",
            Stage::Registry => "REG",
            Stage::Deployment => "DEP",
            Stage::Inference => "INF",
            Stage::Storage => "STO",
            Stage::Monitoring => "MON",
            Stage::Supporting => "SUP",
            Stage::People => "ORG",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl FromStr for Stage {
    type Err = CatalogError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Stage::ALL
            .into_iter()
            .find(|stage| stage.key().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| CatalogError::UnknownStage {
                input: s.to_owned(),
            })
    }
}

/// How often a control is expected to operate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Frequency {
    PerEvent,
    Continuous,
    Daily,
    Weekly,
    Monthly,
    Quarterly,
    Annually,
}

impl Frequency {
    pub fn key(self) -> &'static str {
        match self {
            Frequency::PerEvent => "per-event",
            Frequency::Continuous => "continuous",
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
            Frequency::Monthly => "monthly",
            Frequency::Quarterly => "quarterly",
            Frequency::Annually => "annually",
        }
    }
}

impl fmt::Display for Frequency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Whether a control runs by itself, is performed by people, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Nature {
    Automated,
    Manual,
    Hybrid,
}

impl Nature {
    pub fn key(self) -> &'static str {
        match self {
            Nature::Automated => "automated",
            Nature::Manual => "manual",
            Nature::Hybrid => "hybrid",
        }
    }
}

impl fmt::Display for Nature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A Trust Services Category with its summary.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryInfo {
    pub id: Category,
    pub name: String,
    pub summary: String,
}

/// A series of criteria (CC1…CC9, A1, C1, PI1, P1…P8).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Series {
    pub id: String,
    pub category: Category,
    pub name: String,
    /// The name the 2017 edition used, where it differs (CC2 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_2017: Option<String>,
    /// The printed group heading of a privacy series (`P1.0` …). A label, never a criterion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading: Option<String>,
    pub summary: String,
}

/// One Trust Services Criterion, described in Assay's own words.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub id: CriterionId,
    pub series: String,
    /// COSO 2013 principle number (CC1–CC5 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coso: Option<u8>,
    pub title: String,
    pub summary: String,
}

impl Criterion {
    pub fn category(&self) -> Category {
        self.id.category()
    }
}

/// Why a risk threatens one criterion.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threat {
    pub criterion: CriterionId,
    pub why: String,
}

/// An AI-specific risk.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Risk {
    pub id: String,
    pub title: String,
    pub description: String,
    pub stages: Vec<Stage>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nist_ai_rmf: Vec<String>,
    pub threatens: Vec<Threat>,
}

/// A control: something the company does that an auditor can test.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    pub id: String,
    pub title: String,
    pub description: String,
    pub stage: Stage,
    pub criteria: Vec<CriterionId>,
    #[serde(default)]
    pub risks: Vec<String>,
    /// Why a control with no AI risk belongs in the catalog (generic SOC 2 baseline controls).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
    pub frequency: Frequency,
    pub nature: Nature,
    pub evidence: Vec<String>,
    /// Kinds among `evidence` that the test reads as reference, not as the population: every item observed
    /// up to the end of the window counts, however old (the registration of a model deployed today, the
    /// evaluation that cleared it). The population kinds keep the frequency's lookback.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference: Vec<String>,
    /// Path of the control's Rego test inside the catalog. `None` until the engine's tests arrive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<String>,
}

impl Control {
    pub fn has_test(&self) -> bool {
        self.test.is_some()
    }
}

/// A kind of evidence the ledger can hold.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceKindInfo {
    pub id: String,
    pub about: String,
}
