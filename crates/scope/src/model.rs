//! The types of `assay.toml`. Field docs become the JSON Schema's descriptions, so editors show them.

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use assay_catalog::{Category, Stage};

/// The description of the system under examination: what it does, which categories are in scope,
/// which components make it up, who runs it and where Assay reads evidence from.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "assay.toml", extend("$id" = "https://assay.invalid/schema/assay.schema.json"))]
pub struct SystemDescription {
    /// What the system is and which Trust Services Categories the examination covers.
    pub system: System,
    /// The parts of the system: pipelines, stores, registries, services, teams' tools.
    #[serde(default)]
    #[schemars(with = "Vec<Component>")]
    pub component: Vec<Spanned<Component>>,
    /// Organisations that perform part of the service (cloud, labeling vendor, model API provider).
    #[serde(default)]
    #[schemars(with = "Vec<Subservice>")]
    pub subservice: Vec<Spanned<Subservice>>,
    /// Complementary user-entity controls: what customers must do for the controls to work.
    #[serde(default)]
    #[schemars(with = "Vec<Cuec>")]
    pub cuec: Vec<Spanned<Cuec>>,
    /// People and groups by job function, used by segregation-of-duties and access controls.
    #[serde(default)]
    #[schemars(with = "Vec<Team>")]
    pub team: Vec<Spanned<Team>>,
    /// Built-in controls the company does not operate, each with a reason.
    #[serde(default)]
    pub controls: ControlSettings,
    /// Where `assay check` sends alerts about regressions: `[[alerts.webhook]]`.
    #[serde(default)]
    pub alerts: AlertSettings,
    /// Where collectors read evidence from: `[source.git]`, `[source.mlflow]`, `[source.aws_iam]` …
    #[serde(default)]
    #[schemars(schema_with = "sources_schema")]
    pub source: BTreeMap<String, Spanned<toml::Table>>,
}

/// The system as a whole.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct System {
    /// The system's name as it will appear in reports.
    pub name: String,
    /// The service, written from the customer's side: what they send, what they get back, and the
    /// commitments made about it.
    pub service: String,
    /// Trust Services Categories in scope. `security` (the common criteria) is mandatory.
    #[schemars(schema_with = "categories_schema")]
    pub criteria: Spanned<Vec<Spanned<String>>>,
}

/// Kinds of data a component holds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DataClass {
    /// Data customers send or that is derived from it.
    CustomerData,
    /// Personal information about people.
    Pii,
    /// Information the company has committed to keep confidential (including model weights).
    Confidential,
    /// Credentials, keys and tokens.
    Secrets,
}

impl DataClass {
    pub fn key(self) -> &'static str {
        match self {
            DataClass::CustomerData => "customer_data",
            DataClass::Pii => "pii",
            DataClass::Confidential => "confidential",
            DataClass::Secrets => "secrets",
        }
    }
}

/// Which environment a component belongs to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Environment {
    #[default]
    Production,
    Staging,
    /// Notebooks and experiments that do not feed production directly.
    Research,
}

/// One part of the system.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Component {
    /// A stable id, `kind:name` by convention (`pipeline:ingest`, `model:fraud-scorer`).
    pub id: String,
    /// A short description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The lifecycle stage the component serves.
    #[schemars(schema_with = "stage_schema")]
    pub stage: Stage,
    /// Environment; `production` unless stated.
    #[serde(default)]
    pub environment: Environment,
    /// Whether the component is inside the examination's boundary.
    pub in_scope: bool,
    /// Why the component is out of scope (required when it holds customer data, PII or confidential data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The team or person accountable for the component.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Kinds of data the component holds.
    #[serde(default)]
    pub holds: Vec<DataClass>,
    /// The longest time, in days, the data-retention schedule lets the component keep data (STO-04 compares
    /// storage expiration rules and dataset snapshot ages with it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
    /// The subservice organisation that runs it, if any (matches a `[[subservice]]` name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
}

/// How a subservice organisation's controls are treated in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// The provider's controls are excluded; CSOCs state what they must do.
    CarveOut,
    /// The provider's controls are described and tested as part of this report.
    Inclusive,
}

/// An organisation that performs part of the service.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Subservice {
    pub name: String,
    /// What it does for the system (cloud hosting, data labeling, model API …).
    pub role: String,
    /// `carve-out` or `inclusive`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<Method>,
    /// Complementary subservice-organisation controls: what the provider is assumed to do.
    #[serde(default)]
    pub csocs: Vec<String>,
    /// Criteria the CSOCs support.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub criteria: Vec<Spanned<String>>,
}

/// A complementary user-entity control.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cuec {
    /// What the customer must do.
    pub text: String,
    /// Criteria that depend on it.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub criteria: Vec<Spanned<String>>,
}

/// Job functions that access and segregation-of-duties rules refer to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum JobFunction {
    DataScientist,
    MlEngineer,
    DataPlatform,
    Sre,
    Security,
    SoftwareEngineer,
    DataLabeler,
    Leadership,
    Other,
}

impl JobFunction {
    pub fn key(self) -> &'static str {
        match self {
            JobFunction::DataScientist => "data-scientist",
            JobFunction::MlEngineer => "ml-engineer",
            JobFunction::DataPlatform => "data-platform",
            JobFunction::Sre => "sre",
            JobFunction::Security => "security",
            JobFunction::SoftwareEngineer => "software-engineer",
            JobFunction::DataLabeler => "data-labeler",
            JobFunction::Leadership => "leadership",
            JobFunction::Other => "other",
        }
    }
}

/// A group of people with one job function.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Team {
    pub name: String,
    pub function: JobFunction,
    /// Identities as the sources spell them: `user:alice@example.com`,
    /// `arn:aws:iam::123456789012:user/alice`, `group:data-science` …
    #[serde(default)]
    pub principals: Vec<String>,
}

/// Built-in controls the company does not operate.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ControlSettings {
    #[serde(default)]
    #[schemars(with = "Vec<Exclusion>")]
    pub exclude: Vec<Spanned<Exclusion>>,
}

/// A control left out, and why.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    /// A control id from `assay catalog controls`.
    pub id: String,
    /// Why the control does not apply or is not operated.
    #[serde(default)]
    pub reason: String,
}

/// Alert destinations.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertSettings {
    #[serde(default)]
    pub webhook: Vec<Webhook>,
}

/// How a webhook's body is shaped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum WebhookFormat {
    /// `{"text": "..."}`, which Slack incoming webhooks (and Mattermost, Rocket.Chat) accept.
    #[default]
    Slack,
    /// A JSON document with the regressions, for your own receiver.
    Json,
}

/// One webhook that receives regressions found by `assay check`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    /// The URL to POST to, `https://` or `http://`. A Slack webhook URL is a secret: prefer `url_env`.
    #[serde(default)]
    pub url: Option<String>,
    /// The name of an environment variable holding the URL, so the secret stays out of assay.toml.
    #[serde(default)]
    pub url_env: Option<String>,
    /// A PEM file of CA certificates to trust instead of the built-in web roots (a receiver behind a
    /// private CA). Relative to the directory of assay.toml.
    #[serde(default)]
    pub ca_file: Option<std::path::PathBuf>,
    /// `slack` (default) or `json`.
    #[serde(default)]
    pub format: WebhookFormat,
    /// Further attempts after a failed one (default 3), with doubling back-off from 200 ms.
    #[serde(default = "default_retries")]
    pub retries: u32,
}

fn default_retries() -> u32 {
    3
}

/// Source names later collectors understand. Others are reported as warnings.
pub const KNOWN_SOURCES: &[&str] = &[
    "git",
    "dvc",
    "gto",
    "lfs",
    "mlflow",
    "openlineage",
    "aws_iam",
    "gcp_iam",
    "k8s_rbac",
    "terraform",
    "jira",
    "github",
    "deployments",
    "access_reviews",
    "vulnerabilities",
    "model_files",
    "incidents",
];

fn categories_schema(_: &mut SchemaGenerator) -> Schema {
    let keys: Vec<&str> = Category::ALL.iter().map(|c| c.key()).collect();
    json_schema!({
        "type": "array",
        "items": { "type": "string", "enum": keys },
        "minItems": 1,
        "uniqueItems": true,
        "description": "Trust Services Categories in scope; `security` is mandatory."
    })
}

fn stage_schema(_: &mut SchemaGenerator) -> Schema {
    let keys: Vec<&str> = Stage::ALL.iter().map(|s| s.key()).collect();
    json_schema!({
        "type": "string",
        "enum": keys,
        "description": "The lifecycle stage the component serves."
    })
}

fn sources_schema(_: &mut SchemaGenerator) -> Schema {
    let properties: serde_json::Map<String, serde_json::Value> = KNOWN_SOURCES
        .iter()
        .map(|name| ((*name).to_owned(), serde_json::json!({ "type": "object" })))
        .collect();
    json_schema!({
        "type": "object",
        "properties": properties,
        "additionalProperties": { "type": "object" },
        "description": "Evidence sources, one table per collector."
    })
}
