//! `[source.mlflow]`: the MLflow tracking server and model registry over its REST API (`/api/2.0/mlflow/…`),
//! MLflow 2.x and 3.x.
//!
//! ```toml
//! [source.mlflow]
//! url = "http://127.0.0.1:5000"
//! token_env = "MLFLOW_TRACKING_TOKEN"   # optional: name of the variable holding a bearer token
//! page_size = 1000                      # optional
//! ```
//!
//! Items:
//! * `mlflow.registered_model` — subject `model:NAME`, `observed_at` = `last_updated_timestamp`: description,
//!   tags, aliases (`{alias: version}`);
//! * `mlflow.model_version` — subject `model:NAME`: version, stage, aliases, tags, source, `run_id`, the
//!   MLflow 3 `model_id` (and the logged model's `source_run_id` when the version names no run), status;
//!   `observed_at` = `last_updated_timestamp`, so a stage or alias change is a new item and an unchanged
//!   version is a no-op;
//! * `mlflow.run` — subject `experiment:ID`, `observed_at` = end (or start) time: params, metrics (latest
//!   values), user, times, status, tags (the `mlflow.source.git.diff` tag is dropped: it can be huge), the git
//!   commit / repo / branch / dirty flag from the `mlflow.source.git.*` tags (absent → `git.commit` null:
//!   "code version unknown"), and dataset inputs with name, digest (an MLflow label, **not** a content hash),
//!   source, context and any content hash recorded in input tags (`assay.sha256`, `dvc.md5`).
//!
//! Runs collected: every run of every active experiment, plus any run a model version names. Pages are
//! followed through `next_page_token`. The token is read from the environment at collection time and never
//! stored.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use assay_ledger::{Evidence, EvidenceKind};
use jiff::Timestamp;
use serde_json::{Map, Value, json};

use crate::error::CollectError;
use crate::repo::storable;
use crate::{Collected, Collector, Context, source};

const NAME: &str = "mlflow";

/// Config of `[source.mlflow]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MlflowConfig {
    /// Base URL, e.g. `http://127.0.0.1:5000` (no trailing `/api/…`).
    pub url: String,
    /// Environment variable holding a bearer token, if the server needs one.
    pub token_env: Option<String>,
    pub page_size: u32,
}

impl MlflowConfig {
    pub fn from_table(table: &toml::Table) -> Result<Self, CollectError> {
        let bad = |key: &str, reason: &str| CollectError::Config {
            source_name: NAME.into(),
            key: key.into(),
            reason: reason.into(),
        };
        let url = match table.get("url") {
            Some(toml::Value::String(s))
                if s.starts_with("http://") || s.starts_with("https://") =>
            {
                s.trim_end_matches('/').to_owned()
            }
            Some(_) => return Err(bad("url", "must be an http:// or https:// URL")),
            None => {
                return Err(bad(
                    "url",
                    "is required, e.g. url = \"http://127.0.0.1:5000\"",
                ));
            }
        };
        let token_env = match table.get("token_env") {
            None => None,
            Some(toml::Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(_) => {
                return Err(bad(
                    "token_env",
                    "must name an environment variable, e.g. \"MLFLOW_TRACKING_TOKEN\"",
                ));
            }
        };
        let page_size = match table.get("page_size") {
            None => 1000,
            Some(toml::Value::Integer(n)) if (1..=50_000).contains(n) => *n as u32,
            Some(_) => return Err(bad("page_size", "must be an integer from 1 to 50000")),
        };
        for key in table.keys() {
            if !["url", "token_env", "page_size"].contains(&key.as_str()) {
                return Err(bad(
                    key,
                    "is not a key of [source.mlflow] (url, token_env, page_size)",
                ));
            }
        }
        Ok(MlflowConfig {
            url,
            token_env,
            page_size,
        })
    }
}

/// The MLflow collector.
#[derive(Debug, Clone)]
pub struct MlflowCollector {
    config: MlflowConfig,
}

impl MlflowCollector {
    pub fn new(config: MlflowConfig) -> Self {
        MlflowCollector { config }
    }
}

/// A tiny REST client: JSON in, JSON out, errors naming the URL.
struct Client {
    base: String,
    token: Option<String>,
    agent: ureq::Agent,
}

impl Client {
    fn new(config: &MlflowConfig) -> Result<Client, CollectError> {
        let token = match &config.token_env {
            Some(var) => Some(std::env::var(var).map_err(|_| CollectError::Config {
                source_name: NAME.into(),
                key: "token_env".into(),
                reason: format!("names ${var}, which is not set"),
            })?),
            None => None,
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(60)))
            .http_status_as_error(false)
            .build()
            .into();
        Ok(Client {
            base: format!("{}/api/2.0/mlflow", config.url),
            token,
            agent,
        })
    }

    fn err(&self, path: &str, message: impl Into<String>) -> CollectError {
        CollectError::Remote {
            source_name: NAME.into(),
            url: format!("{}{path}", self.base),
            message: message.into(),
        }
    }

    fn finish(
        &self,
        path: &str,
        resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Value, CollectError> {
        let mut resp = resp.map_err(|e| self.err(path, e.to_string()))?;
        let status = resp.status();
        let text = resp
            .body_mut()
            .with_config()
            .limit(256 * 1024 * 1024)
            .read_to_string()
            .map_err(|e| self.err(path, e.to_string()))?;
        if !status.is_success() {
            let detail: String = text.chars().take(300).collect();
            return Err(self.err(path, format!("HTTP {status}: {detail}")));
        }
        serde_json::from_str(&text).map_err(|e| self.err(path, format!("not JSON: {e}")))
    }

    fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, CollectError> {
        let mut req = self.agent.get(format!("{}{path}", self.base));
        for (k, v) in query {
            req = req.query(*k, v);
        }
        if let Some(t) = &self.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        self.finish(path, req.call())
    }

    fn post(&self, path: &str, body: &Value) -> Result<Value, CollectError> {
        let mut req = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/json");
        if let Some(t) = &self.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        self.finish(path, req.send(body.to_string()))
    }

    /// Follow `next_page_token` through every page of a GET search.
    fn pages_get(
        &self,
        path: &str,
        list_key: &str,
        query: &[(&str, String)],
        page_size: u32,
    ) -> Result<Vec<Value>, CollectError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..100_000 {
            let mut q: Vec<(&str, String)> = query.to_vec();
            q.push(("max_results", page_size.to_string()));
            if let Some(t) = &token {
                q.push(("page_token", t.clone()));
            }
            let v = self.get(path, &q)?;
            out.extend(
                v.get(list_key)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            );
            token = next_token(&v);
            if token.is_none() {
                return Ok(out);
            }
        }
        Err(self.err(path, "more than 100000 pages; refusing to go on"))
    }

    fn pages_post(
        &self,
        path: &str,
        list_key: &str,
        body: Value,
        page_size: u32,
    ) -> Result<Vec<Value>, CollectError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..100_000 {
            let mut b = body.clone();
            b["max_results"] = json!(page_size);
            if let Some(t) = &token {
                b["page_token"] = json!(t);
            }
            let v = self.post(path, &b)?;
            out.extend(
                v.get(list_key)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            );
            token = next_token(&v);
            if token.is_none() {
                return Ok(out);
            }
        }
        Err(self.err(path, "more than 100000 pages; refusing to go on"))
    }
}

fn next_token(v: &Value) -> Option<String> {
    v.get("next_page_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// `[{key, value}]` → `{key: value}`.
fn kv(v: Option<&Value>) -> Map<String, Value> {
    let mut m = Map::new();
    for e in v.and_then(Value::as_array).into_iter().flatten() {
        if let Some(k) = e.get("key").and_then(Value::as_str) {
            m.insert(k.to_owned(), e.get("value").cloned().unwrap_or(Value::Null));
        }
    }
    m
}

/// Milliseconds since the epoch (number or numeric string) → RFC 3339.
fn ms(v: Option<&Value>) -> Option<Timestamp> {
    let n = match v? {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => s.parse().ok()?,
        _ => return None,
    };
    Timestamp::from_millisecond(n).ok()
}

fn ts_str(t: Option<Timestamp>) -> Value {
    t.map(|t| json!(t.to_string())).unwrap_or(Value::Null)
}

/// Turn a registered model into evidence.
pub fn registered_model_evidence(base: &str, m: &Value, now: Timestamp) -> Option<Evidence> {
    let name = m.get("name")?.as_str()?;
    let updated = ms(m.get("last_updated_timestamp"))
        .or_else(|| ms(m.get("creation_timestamp")))
        .unwrap_or(now);
    let aliases: BTreeMap<String, Value> = m
        .get("aliases")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| {
            Some((
                a.get("alias")?.as_str()?.to_owned(),
                a.get("version")?.clone(),
            ))
        })
        .collect();
    Some(Evidence {
        kind: EvidenceKind::MlflowRegisteredModel,
        subject: format!("model:{name}"),
        source: source(NAME, format!("{base}#registered-models/{name}")),
        observed_at: updated,
        collected_at: now,
        payload: storable(json!({
            "name": name,
            "description": m.get("description"),
            "user_id": m.get("user_id"),
            "created_at": ts_str(ms(m.get("creation_timestamp"))),
            "last_updated_at": ts_str(ms(m.get("last_updated_timestamp"))),
            "tags": kv(m.get("tags")),
            "aliases": aliases,
        })),
        attachments: Vec::new(),
        expires_at: None,
        note: None,
    })
}

/// Turn a model version into evidence; `aliases` come from the registered model when the version omits them.
pub fn model_version_evidence(
    base: &str,
    v: &Value,
    aliases: &[String],
    logged_model_run: Option<&str>,
    now: Timestamp,
) -> Option<Evidence> {
    let name = v.get("name")?.as_str()?;
    let version = match v.get("version")? {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let mut own: BTreeSet<String> = v
        .get("aliases")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str().map(str::to_owned))
        .collect();
    own.extend(aliases.iter().cloned());
    let run_id = v
        .get("run_id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .or(logged_model_run);
    let updated = ms(v.get("last_updated_timestamp"))
        .or_else(|| ms(v.get("creation_timestamp")))
        .unwrap_or(now);
    Some(Evidence {
        kind: EvidenceKind::MlflowModelVersion,
        subject: format!("model:{name}"),
        source: source(NAME, format!("{base}#model-versions/{name}/{version}")),
        observed_at: updated,
        collected_at: now,
        payload: storable(json!({
            "name": name,
            "version": version,
            "created_at": ts_str(ms(v.get("creation_timestamp"))),
            "last_updated_at": ts_str(ms(v.get("last_updated_timestamp"))),
            "user_id": v.get("user_id"),
            "current_stage": v.get("current_stage").and_then(Value::as_str).unwrap_or("None"),
            "description": v.get("description"),
            "source": v.get("source"),
            "run_id": run_id,
            "run_id_from": if v.get("run_id").and_then(Value::as_str).is_some_and(|s| !s.is_empty()) {
                json!("model_version")
            } else if logged_model_run.is_some() {
                json!("logged_model")
            } else {
                Value::Null
            },
            "run_link": v.get("run_link"),
            "model_id": v.get("model_id"),
            "status": v.get("status"),
            "tags": kv(v.get("tags")),
            "aliases": own.into_iter().collect::<Vec<_>>(),
        })),
        attachments: Vec::new(),
        expires_at: None,
        note: None,
    })
}

/// Turn a run into evidence.
pub fn run_evidence(base: &str, run: &Value, now: Timestamp) -> Option<Evidence> {
    let info = run.get("info")?;
    let run_id = info
        .get("run_id")
        .or_else(|| info.get("run_uuid"))?
        .as_str()?;
    let data = run.get("data");
    let mut tags = kv(data.and_then(|d| d.get("tags")));
    tags.remove("mlflow.source.git.diff");
    let tag = |k: &str| tags.get(k).and_then(Value::as_str).map(str::to_owned);
    let params = kv(data.and_then(|d| d.get("params")));
    let mut metrics = Map::new();
    for m in data
        .and_then(|d| d.get("metrics"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(k) = m.get("key").and_then(Value::as_str) {
            metrics.insert(k.to_owned(), m.get("value").cloned().unwrap_or(Value::Null));
        }
    }
    let mut inputs = Vec::new();
    for di in run
        .pointer("/inputs/dataset_inputs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let ds = di.get("dataset").cloned().unwrap_or(Value::Null);
        let itags = kv(di.get("tags"));
        let source_json: Value = ds
            .get("source")
            .and_then(Value::as_str)
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or(Value::Null);
        let pick = |keys: &[&str]| {
            keys.iter().find_map(|k| {
                itags
                    .get(*k)
                    .and_then(Value::as_str)
                    .or_else(|| source_json.get(*k).and_then(Value::as_str))
                    .map(str::to_owned)
            })
        };
        inputs.push(json!({
            "name": ds.get("name"),
            "digest": ds.get("digest"),
            "digest_is_content_hash": false,
            "source_type": ds.get("source_type"),
            "source": source_json,
            "context": itags.get("mlflow.data.context"),
            "content_sha256": pick(&["assay.sha256", "sha256"]),
            "md5": pick(&["dvc.md5", "md5"]),
            "tags": itags,
        }));
    }
    let start = ms(info.get("start_time"));
    let end = ms(info.get("end_time"));
    let dirty = tag("mlflow.source.git.dirty").map(|d| d == "true" || d == "True");
    let experiment = info
        .get("experiment_id")
        .and_then(Value::as_str)
        .unwrap_or("0");
    Some(Evidence {
        kind: EvidenceKind::MlflowRun,
        subject: format!("experiment:{experiment}"),
        source: source(NAME, format!("{base}#runs/{run_id}")),
        observed_at: end.or(start).unwrap_or(now),
        collected_at: now,
        payload: storable(json!({
            "run_id": run_id,
            "experiment_id": experiment,
            "run_name": info.get("run_name").cloned().or_else(|| tags.get("mlflow.runName").cloned()),
            "user": tag("mlflow.user").or_else(|| info.get("user_id").and_then(Value::as_str).map(str::to_owned)),
            "status": info.get("status"),
            "lifecycle_stage": info.get("lifecycle_stage"),
            "start_time": ts_str(start),
            "end_time": ts_str(end),
            "artifact_uri": info.get("artifact_uri"),
            "entry_point": tag("mlflow.source.name"),
            "source_type": tag("mlflow.source.type"),
            "git": {
                "commit": tag("mlflow.source.git.commit"),
                "branch": tag("mlflow.source.git.branch").or_else(|| tag("mlflow.gitBranchName")),
                "repo_url": tag("mlflow.source.git.repoURL").or_else(|| tag("mlflow.gitRepoURL")),
                "dirty": dirty,
            },
            "params": params,
            "metrics": metrics,
            "tags": tags,
            "inputs": inputs,
            "model_inputs": run.pointer("/inputs/model_inputs"),
            "model_outputs": run.pointer("/outputs/model_outputs"),
        })),
        attachments: Vec::new(),
        expires_at: None,
        note: None,
    })
}

impl Collector for MlflowCollector {
    fn source(&self) -> &str {
        NAME
    }

    fn collect(&self, ctx: &mut Context<'_>) -> Result<Collected, CollectError> {
        let c = Client::new(&self.config)?;
        let base = self.config.url.as_str();
        let page = self.config.page_size;
        let now = ctx.now;
        let mut out = Collected::default();
        let models = c.pages_get(
            "/registered-models/search",
            "registered_models",
            &[],
            page.min(1000),
        )?;
        let mut wanted_runs: BTreeSet<String> = BTreeSet::new();
        for m in &models {
            ctx.progress.inc(1);
            let Some(name) = m.get("name").and_then(Value::as_str) else {
                return Err(c.err(
                    "/registered-models/search",
                    "a registered model without a name",
                ));
            };
            out.evidence.extend(registered_model_evidence(base, m, now));
            let mut alias_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for a in m
                .get("aliases")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let (Some(al), Some(v)) =
                    (a.get("alias").and_then(Value::as_str), a.get("version"))
                {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    alias_of.entry(v).or_default().push(al.to_owned());
                }
            }
            let filter = format!("name='{}'", name.replace('\'', "\\'"));
            let versions = c.pages_get(
                "/model-versions/search",
                "model_versions",
                &[("filter", filter)],
                page.min(1000),
            )?;
            for v in &versions {
                ctx.progress.inc(1);
                let version = match v.get("version") {
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                    None => String::new(),
                };
                let has_run = v
                    .get("run_id")
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty());
                // MLflow 3: a version may name only a logged model; its source run is the training run.
                let mut lm_run = None;
                if !has_run
                    && let Some(mid) = v
                        .get("model_id")
                        .and_then(Value::as_str)
                        .filter(|s| !s.is_empty())
                {
                    let path = format!("/logged-models/{mid}");
                    if let Ok(lm) = c.get(&path, &[]) {
                        lm_run = lm
                            .pointer("/model/info/source_run_id")
                            .and_then(Value::as_str)
                            .map(str::to_owned);
                    }
                }
                let aliases = alias_of.get(&version).cloned().unwrap_or_default();
                let Some(ev) = model_version_evidence(base, v, &aliases, lm_run.as_deref(), now)
                else {
                    return Err(c.err(
                        "/model-versions/search",
                        format!("model version of {name} without a version"),
                    ));
                };
                if let Some(r) = ev.payload.get("run_id").and_then(Value::as_str) {
                    wanted_runs.insert(r.to_owned());
                }
                out.evidence.push(ev);
            }
        }
        // Every run of every active experiment.
        let experiments = c.pages_post(
            "/experiments/search",
            "experiments",
            json!({ "view_type": "ACTIVE_ONLY" }),
            page.min(1000),
        )?;
        let ids: Vec<String> = experiments
            .iter()
            .filter_map(|e| {
                e.get("experiment_id")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .collect();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        for chunk in ids.chunks(50) {
            let runs = c.pages_post(
                "/runs/search",
                "runs",
                json!({ "experiment_ids": chunk, "run_view_type": "ALL" }),
                page,
            )?;
            for r in &runs {
                ctx.progress.inc(1);
                if let Some(ev) = run_evidence(base, r, now) {
                    if let Some(id) = ev.payload.get("run_id").and_then(Value::as_str) {
                        seen.insert(id.to_owned());
                    }
                    out.evidence.push(ev);
                }
            }
        }
        // Runs a version names that the searches did not return (deleted experiment, other visibility).
        for r in wanted_runs.difference(&seen) {
            match c.get("/runs/get", &[("run_id", r.clone())]) {
                Ok(v) => {
                    if let Some(ev) = v.get("run").and_then(|run| run_evidence(base, run, now)) {
                        out.evidence.push(ev);
                    }
                }
                // A version pointing at a run the server no longer has is a lineage gap, not a failure.
                Err(CollectError::Remote { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_without_git_tags_has_a_null_commit_and_digest_is_labelled() {
        let run = json!({
            "info": {"run_id": "abc", "experiment_id": "1", "start_time": 1700000000000i64, "end_time": "1700000060000", "status": "FINISHED"},
            "data": {"params": [{"key": "lr", "value": "0.1"}], "metrics": [{"key": "auc", "value": 0.9, "timestamp": 1, "step": 0}],
                     "tags": [{"key": "mlflow.user", "value": "ana"}, {"key": "mlflow.source.git.diff", "value": "huge"}]},
            "inputs": {"dataset_inputs": [{"tags": [{"key": "mlflow.data.context", "value": "training"}],
                "dataset": {"name": "tx", "digest": "1a2b3c4d", "source_type": "local", "source": "{\"uri\": \"/data/tx.csv\"}"}}]}
        });
        let ev = run_evidence("http://x", &run, Timestamp::UNIX_EPOCH).expect("run");
        assert_eq!(ev.payload["git"]["commit"], Value::Null);
        assert_eq!(ev.payload["user"], "ana");
        assert_eq!(ev.payload["params"]["lr"], "0.1");
        assert_eq!(ev.payload["end_time"], "2023-11-14T22:14:20Z");
        assert!(ev.payload["tags"].get("mlflow.source.git.diff").is_none());
        assert_eq!(ev.payload["inputs"][0]["context"], "training");
        assert_eq!(ev.payload["inputs"][0]["digest_is_content_hash"], false);
        assert_eq!(ev.payload["inputs"][0]["source"]["uri"], "/data/tx.csv");
    }

    #[test]
    fn config_rejects_bad_urls_and_unknown_keys() {
        let t: toml::Table = toml::from_str("url = \"ftp://x\"").expect("toml");
        assert!(MlflowConfig::from_table(&t).is_err());
        let t: toml::Table =
            toml::from_str("url = \"http://x:5000/\"\ntoken = \"secret\"").expect("toml");
        let err = MlflowConfig::from_table(&t).expect_err("unknown key");
        assert!(err.to_string().contains("`token`"), "{err}");
        let t: toml::Table = toml::from_str("url = \"http://x:5000/\"").expect("toml");
        assert_eq!(
            MlflowConfig::from_table(&t).expect("ok").url,
            "http://x:5000"
        );
    }
}
