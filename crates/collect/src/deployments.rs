//! Deployments: one `deployment` item per model version put into an environment, subject `model:NAME`, payload
//! with `version` (as the lineage trace reads it), `environment`, `production`, `actor`, `ticket`, `commit`,
//! `pull_request`, `digest` (the content hash of the artifact actually rolled out, `sha256:<hex>`, when the
//! log records one) and `origin`.
//!
//! Three origins:
//! * `log` — a generic deployment log, JSON lines of `{time, model, version, environment, actor, ticket, commit,
//!   pull_request, digest}` (what a release pipeline appends on every rollout; `digest` may also be spelled
//!   `artifact_digest` or `sha256`, a bare 64-hex value is read as SHA-256);
//! * `gto` — a GTO stage assignment (`gto.stage_assignment` already in the ledger) to one of `gto_stages` is a
//!   deployment to that stage: version from the registration on the same commit, actor the tagger, ticket the
//!   first issue key (`CHG-1187`) in the tag message;
//! * `mlflow` — the first `mlflow.model_version` item that carries one of `mlflow_aliases` (or is in one of
//!   `mlflow_stages`) is a deployment of that version: actor `user_id`, ticket from a `ticket` tag or the
//!   description.
//!
//! This module only records and normalises the links (ticket keys upper-case, commit ids lower-case); whether the
//! ticket was approved in time by someone other than the deployer, and the pull request by someone other than its
//! author, is judged by the DEP-01 control over `change.ticket` and `change.pull_request` evidence, so the order
//! in which sources are collected does not matter.

use std::collections::BTreeMap;
use std::path::PathBuf;

use assay_ledger::{EvidenceKind, ListFilter};
use serde_json::{Value, json};

use crate::error::CollectError;
use crate::exports::{self, iso, malformed, parse_time, str_of};

/// The `[source.NAME]` of deployments.
pub const SOURCE: &str = "deployments";

/// One deployment, before it becomes evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    pub time: jiff::Timestamp,
    pub model: String,
    pub version: Option<String>,
    pub environment: String,
    pub actor: Option<String>,
    pub ticket: Option<String>,
    pub commit: Option<String>,
    pub pull_request: Option<String>,
    /// `sha256:<lower-case hex>` of the deployed artifact, when recorded.
    pub digest: Option<String>,
    /// `log`, `gto` or `mlflow`.
    pub origin: &'static str,
    /// Where it was read: `file:line`, `repo@tag`, `mlflow#…`.
    pub locator: String,
}

fn text_field(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `sha256:<hex>` or a bare 64-hex value → `sha256:<lower-case hex>`.
fn digest(text: &str) -> Option<String> {
    let t = text.trim();
    let hex = t
        .strip_prefix("sha256:")
        .or_else(|| t.strip_prefix("SHA256:"))
        .unwrap_or(t);
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("sha256:{}", hex.to_ascii_lowercase()))
}

/// Read a deployment log: one JSON object per line (blank lines and `#` comments skipped).
pub fn parse_log(text: &str) -> Result<Vec<Deployment>, CollectError> {
    let mut out = Vec::new();
    for (k, raw) in text.lines().enumerate() {
        let line = k + 1;
        let raw = raw.trim();
        if raw.is_empty() || raw.starts_with('#') {
            continue;
        }
        let at = |m: String| malformed(SOURCE, format!("line {line}"), m);
        let v: Value = serde_json::from_str(raw)
            .map_err(|e| at(format!("not a JSON object (column {}: {e})", e.column())))?;
        if !v.is_object() {
            return Err(at("expected a JSON object".into()));
        }
        let need = |key: &str| text_field(&v, key).ok_or_else(|| at(format!("has no `{key}`")));
        let time_text = need("time")?;
        let time = parse_time(&time_text)
            .ok_or_else(|| at(format!("`time` is not a timestamp: {time_text:?}")))?;
        let model = need("model")?;
        let model = model.strip_prefix("model:").unwrap_or(&model).to_owned();
        out.push(Deployment {
            time,
            model,
            version: text_field(&v, "version"),
            environment: need("environment")?,
            actor: text_field(&v, "actor"),
            ticket: text_field(&v, "ticket").map(|t| t.trim().to_ascii_uppercase()),
            commit: text_field(&v, "commit").map(|c| c.to_ascii_lowercase()),
            pull_request: text_field(&v, "pull_request").or_else(|| text_field(&v, "pr")),
            digest: match ["digest", "artifact_digest", "sha256"]
                .iter()
                .find_map(|k| text_field(&v, k))
            {
                Some(d) => Some(digest(&d).ok_or_else(|| {
                    at(format!(
                        "`digest` is not a SHA-256 digest (`sha256:` and 64 hex digits): {d:?}"
                    ))
                })?),
                None => None,
            },
            origin: "log",
            locator: format!("line {line}"),
        });
    }
    Ok(out)
}

/// Deployments implied by GTO stage assignments (and the registrations that name their versions).
pub fn from_gto(
    assignments: &[Value],
    registrations: &[Value],
    stages: &[String],
) -> Vec<Deployment> {
    let mut out = Vec::new();
    for (p, observed) in assignments.iter().filter_map(|p| {
        let t = str_of(p, "observed_at").and_then(parse_time)?;
        Some((p.get("payload")?, t))
    }) {
        let stage = str_of(p, "stage").unwrap_or_default();
        if str_of(p, "action") != Some("assign") || !stages.iter().any(|s| s == stage) {
            continue;
        }
        let (Some(artifact), Some(commit)) = (str_of(p, "artifact"), str_of(p, "commit")) else {
            continue;
        };
        let version = registrations
            .iter()
            .filter_map(|r| r.get("payload"))
            .find(|r| {
                str_of(r, "action") == Some("register")
                    && str_of(r, "artifact") == Some(artifact)
                    && str_of(r, "commit") == Some(commit)
            })
            .and_then(|r| str_of(r, "version"))
            .map(str::to_owned);
        let tagger = p.get("tagger");
        out.push(Deployment {
            time: observed,
            model: artifact.to_owned(),
            version,
            environment: stage.to_owned(),
            actor: tagger
                .and_then(|t| str_of(t, "email").or_else(|| str_of(t, "name")))
                .map(str::to_owned),
            ticket: str_of(p, "message")
                .map(exports::ticket_keys)
                .and_then(|k| k.into_iter().next()),
            commit: Some(commit.to_ascii_lowercase()),
            pull_request: None,
            digest: None,
            origin: "gto",
            locator: format!(
                "{}@{}",
                str_of(p, "repo").unwrap_or_default(),
                str_of(p, "tag").unwrap_or_default()
            ),
        });
    }
    out
}

/// Deployments implied by MLflow aliases or stages: the first item of a version carrying each one.
pub fn from_mlflow(versions: &[Value], aliases: &[String], stages: &[String]) -> Vec<Deployment> {
    let mut first: BTreeMap<(String, String, String), Deployment> = BTreeMap::new();
    for (p, observed) in versions.iter().filter_map(|p| {
        let t = str_of(p, "observed_at").and_then(parse_time)?;
        Some((p.get("payload")?, t))
    }) {
        let (Some(name), Some(version)) = (str_of(p, "name"), text_field(p, "version")) else {
            continue;
        };
        let mut labels: Vec<String> = p
            .get("aliases")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|a| aliases.iter().any(|x| x == a))
            .map(str::to_owned)
            .collect();
        if let Some(stage) = str_of(p, "current_stage").filter(|s| stages.iter().any(|x| x == s)) {
            labels.push(stage.to_owned());
        }
        let tags = p.get("tags");
        let ticket = tags
            .and_then(|t| str_of(t, "ticket").or_else(|| str_of(t, "change_ticket")))
            .map(|t| t.to_ascii_uppercase())
            .or_else(|| {
                str_of(p, "description")
                    .map(exports::ticket_keys)
                    .and_then(|k| k.into_iter().next())
            });
        for label in labels {
            let key = (name.to_owned(), version.clone(), label.clone());
            if first.get(&key).is_some_and(|d| d.time <= observed) {
                continue;
            }
            first.insert(
                key,
                Deployment {
                    time: observed,
                    model: name.to_owned(),
                    version: Some(version.clone()),
                    environment: label.clone(),
                    actor: str_of(p, "user_id").map(str::to_owned),
                    ticket: ticket.clone(),
                    commit: tags
                        .and_then(|t| str_of(t, "mlflow.source.git.commit"))
                        .map(str::to_ascii_lowercase),
                    pull_request: None,
                    digest: None,
                    origin: "mlflow",
                    locator: format!("mlflow#model-versions/{name}/{version}@{label}"),
                },
            );
        }
    }
    first.into_values().collect()
}

/// `[source.deployments]`: a deployment log and which registry events count as deployments.
///
/// ```toml
/// [source.deployments]
/// files = ["exports/deployments.jsonl"]   # optional when deployments come only from gto/mlflow
/// production = ["production", "prod"]     # environments that are production (the default)
/// gto_stages = ["prod"]                   # GTO stage assignments that are deployments (default none)
/// mlflow_aliases = ["champion"]           # MLflow aliases whose assignment is a deployment (default none)
/// mlflow_stages = ["Production"]          # MLflow stages likewise (default none)
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentsConfig {
    pub files: Vec<PathBuf>,
    pub production: Vec<String>,
    pub gto_stages: Vec<String>,
    pub mlflow_aliases: Vec<String>,
    pub mlflow_stages: Vec<String>,
}

impl DeploymentsConfig {
    pub fn from_table(table: &toml::Table) -> Result<Self, CollectError> {
        let files = if table.contains_key("files") {
            exports::files_key(SOURCE, table, "exports/deployments.jsonl")?
        } else {
            Vec::new()
        };
        let list = |k: &str, d: &[&str]| exports::strings_key(SOURCE, table, k, d);
        let c = DeploymentsConfig {
            files,
            production: list("production", &["production", "prod"])?,
            gto_stages: list("gto_stages", &[])?,
            mlflow_aliases: list("mlflow_aliases", &[])?,
            mlflow_stages: list("mlflow_stages", &[])?,
        };
        if c.files.is_empty()
            && c.gto_stages.is_empty()
            && c.mlflow_aliases.is_empty()
            && c.mlflow_stages.is_empty()
        {
            return Err(CollectError::Config {
                source_name: SOURCE.into(),
                key: "files".into(),
                reason: "is missing, and no gto_stages, mlflow_aliases or mlflow_stages are set: there is nothing to read deployments from".into(),
            });
        }
        Ok(c)
    }
}

/// Reads deployment logs and derives deployments from registry evidence.
#[derive(Debug, Clone)]
pub struct DeploymentsCollector {
    config: DeploymentsConfig,
}

impl DeploymentsCollector {
    pub fn new(config: DeploymentsConfig) -> Self {
        DeploymentsCollector { config }
    }

    fn ledger_items(
        ctx: &crate::Context<'_>,
        kind: EvidenceKind,
    ) -> Result<Vec<Value>, CollectError> {
        let items = ctx
            .ledger
            .list(&ListFilter {
                kind: Some(kind),
                ..ListFilter::default()
            })
            .map_err(|e| CollectError::Ledger {
                source_name: SOURCE.into(),
                message: e.to_string(),
            })?;
        Ok(items
            .into_iter()
            .map(|i| {
                json!({"observed_at": iso(i.evidence.observed_at), "payload": i.evidence.payload})
            })
            .collect())
    }
}

impl crate::Collector for DeploymentsCollector {
    fn source(&self) -> &str {
        SOURCE
    }

    fn collect(&self, ctx: &mut crate::Context<'_>) -> Result<crate::Collected, CollectError> {
        let c = &self.config;
        let mut all = Vec::new();
        let logs = exports::read_all(
            SOURCE,
            ctx.workspace,
            &c.files,
            &["jsonl", "json", "log"],
            |f| parse_log(&f.text),
        )?;
        for (file, deployments) in logs {
            for mut d in deployments {
                d.locator = format!("{}#{}", file.rel, d.locator.replace("line ", "L"));
                all.push(d);
            }
        }
        if !c.gto_stages.is_empty() {
            let assigned = Self::ledger_items(ctx, EvidenceKind::GtoStageAssignment)?;
            let registered = Self::ledger_items(ctx, EvidenceKind::GtoRegistration)?;
            all.extend(from_gto(&assigned, &registered, &c.gto_stages));
        }
        if !c.mlflow_aliases.is_empty() || !c.mlflow_stages.is_empty() {
            let versions = Self::ledger_items(ctx, EvidenceKind::MlflowModelVersion)?;
            all.extend(from_mlflow(&versions, &c.mlflow_aliases, &c.mlflow_stages));
        }
        let mut out = crate::Collected::default();
        for d in all {
            let production = c
                .production
                .iter()
                .any(|p| p.eq_ignore_ascii_case(&d.environment));
            out.evidence.push(exports::item(
                EvidenceKind::Deployment,
                format!("model:{}", d.model),
                SOURCE,
                d.locator.clone(),
                d.time,
                ctx.now,
                json!({
                    "model": d.model,
                    "version": d.version,
                    "environment": d.environment,
                    "production": production,
                    "actor": d.actor,
                    "ticket": d.ticket,
                    "commit": d.commit,
                    "pull_request": d.pull_request,
                    "digest": d.digest,
                    "origin": d.origin,
                    "deployed_at": iso(d.time),
                }),
            ));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const LOG: &str = r#"# written by the release pipeline
{"time": "2026-10-03T17:05:00Z", "model": "fraud-scorer", "version": "v1.3.0", "environment": "production", "actor": "ci-deployer", "ticket": "chg-1201", "commit": "ABCDEF0123456789abcdef0123456789abcdef01", "digest": "sha256:4440CC2B1D625F19801B350647D50B52C41419F482D277765C840DD409C1289B"}

{"time": "2026-11-12T08:30:00Z", "model": "model:fraud-scorer", "version": "v1.3.1", "environment": "staging", "actor": "omar@kestrel-labs.example"}
"#;

    #[test]
    fn log_lines_become_deployments() {
        let got = parse_log(LOG).expect("log");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].ticket.as_deref(), Some("CHG-1201"));
        assert_eq!(
            got[0].commit.as_deref(),
            Some("abcdef0123456789abcdef0123456789abcdef01")
        );
        assert_eq!(got[0].locator, "line 2");
        assert_eq!(got[1].model, "fraud-scorer");
        assert_eq!(got[1].ticket, None);
        assert_eq!(got[1].locator, "line 4");
        assert_eq!(
            got[0].digest.as_deref(),
            Some("sha256:4440cc2b1d625f19801b350647d50b52c41419f482d277765c840dd409c1289b")
        );
        assert_eq!(got[1].digest, None);
    }

    #[test]
    fn a_digest_that_is_not_sha256_is_refused_with_its_line() {
        let bad = "{\"time\": \"2026-10-03T17:05:00Z\", \"model\": \"m\", \"environment\": \"production\", \"digest\": \"md5:abc\"}";
        let e = parse_log(bad).expect_err("bad digest").to_string();
        assert!(e.contains("line 1") && e.contains("SHA-256"), "{e}");
        let bare = bad.replace("md5:abc", &"ab".repeat(32));
        let got = parse_log(&bare).expect("bare hex");
        assert_eq!(got[0].digest, Some(format!("sha256:{}", "ab".repeat(32))));
    }

    #[test]
    fn malformed_lines_are_named() {
        let cases = [
            (
                "{\"time\": \"2026-10-03T17:05:00Z\", \"model\": \"m\"}\n",
                "line 1 is malformed: has no `environment`",
            ),
            (
                "\n{\"time\": \"soon\", \"model\": \"m\", \"environment\": \"p\"}",
                "line 2 is malformed: `time` is not a timestamp",
            ),
            ("[1, 2]", "line 1 is malformed: expected a JSON object"),
            ("{\"time\": ", "line 1 is malformed: not a JSON object"),
        ];
        for (text, want) in cases {
            let err = parse_log(text).expect_err(want);
            assert!(err.to_string().contains(want), "{want}: {err}");
        }
    }

    #[test]
    fn gto_assignments_to_the_configured_stage_are_deployments() {
        let commit = "c0ffee0000000000000000000000000000000001";
        let assigned = vec![
            json!({"observed_at": "2025-03-22T11:00:00Z", "payload": {"repo": "fraud-model", "artifact": "fraud-scorer",
                "action": "assign", "stage": "prod", "commit": commit, "tag": "fraud-scorer#prod#5",
                "tagger": {"name": "Ben Okafor", "email": "ben@kestrel-labs.example"},
                "message": "Assigning stage prod to artifact fraud-scorer version v1.2.0 (CHG-1187 approved)"}}),
            json!({"observed_at": "2025-03-21T11:00:00Z", "payload": {"repo": "fraud-model", "artifact": "fraud-scorer",
                "action": "assign", "stage": "staging", "commit": commit, "tag": "fraud-scorer#staging#4"}}),
            json!({"observed_at": "2025-03-23T11:00:00Z", "payload": {"repo": "fraud-model", "artifact": "fraud-scorer",
                "action": "unassign", "stage": "prod", "commit": commit, "tag": "fraud-scorer#prod!#6"}}),
        ];
        let registered = vec![
            json!({"observed_at": "2025-03-20T11:00:00Z", "payload": {"artifact": "fraud-scorer",
            "action": "register", "version": "v1.2.0", "commit": commit}}),
        ];
        let got = from_gto(&assigned, &registered, &["prod".into()]);
        assert_eq!(got.len(), 1, "{got:?}");
        let d = &got[0];
        assert_eq!(d.version.as_deref(), Some("v1.2.0"));
        assert_eq!(d.ticket.as_deref(), Some("CHG-1187"));
        assert_eq!(d.actor.as_deref(), Some("ben@kestrel-labs.example"));
        assert_eq!(d.locator, "fraud-model@fraud-scorer#prod#5");
    }

    #[test]
    fn the_first_mlflow_version_item_with_the_alias_is_the_deployment() {
        let v = |at: &str, aliases: Value| {
            json!({"observed_at": at, "payload": {"name": "fraud-scorer", "version": "7", "aliases": aliases,
                "current_stage": "None", "user_id": "lena", "tags": {"ticket": "chg-9"}}})
        };
        let versions = vec![
            v("2026-10-02T00:00:00Z", json!(["champion"])),
            v("2026-10-01T00:00:00Z", json!(["champion"])),
            v("2026-09-30T00:00:00Z", json!([])),
        ];
        let got = from_mlflow(&versions, &["champion".into()], &[]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].time, parse_time("2026-10-01").expect("t"));
        assert_eq!(got[0].ticket.as_deref(), Some("CHG-9"));
        assert_eq!(got[0].version.as_deref(), Some("7"));
    }

    proptest! {
        #[test]
        fn parsing_never_panics(doc in "\\PC{0,200}") {
            let _ = parse_log(&doc);
        }
    }
}
