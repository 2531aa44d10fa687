//! `trace`: from a model selector to the artifact, registry history, training run, code, datasets, upstream
//! jobs and deployments, with a finding for every broken link.

use std::collections::{BTreeMap, BTreeSet};

use assay_ledger::EvidenceKind;
use serde::Serialize;
use serde_json::Value;

use crate::LineageError;
use crate::graph::{Graph, Item, Join, arr};

/// Which version of a model to trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Selector {
    /// `MODEL`: the newest registered version.
    Latest { model: String },
    /// `MODEL@VERSION`.
    Version { model: String, version: String },
    /// `MODEL:ALIAS` (MLflow aliases).
    Alias { model: String, alias: String },
    /// `MODEL#STAGE`: the version that holds the stage now.
    Stage { model: String, stage: String },
}

impl Selector {
    pub fn parse(s: &str) -> Result<Selector, LineageError> {
        let bad = |reason: &str| LineageError::BadSelector {
            selector: s.to_owned(),
            reason: reason.to_owned(),
        };
        let split = |c: char| s.rfind(c).map(|i| (&s[..i], &s[i + 1..]));
        let check = |model: &str, rest: &str| -> Result<(), LineageError> {
            if model.is_empty() {
                return Err(bad("the model name is empty"));
            }
            if rest.is_empty() {
                return Err(bad("nothing follows the separator"));
            }
            Ok(())
        };
        if let Some((m, v)) = split('@') {
            check(m, v)?;
            return Ok(Selector::Version {
                model: m.into(),
                version: v.into(),
            });
        }
        if let Some((m, st)) = split('#') {
            check(m, st)?;
            return Ok(Selector::Stage {
                model: m.into(),
                stage: st.into(),
            });
        }
        if let Some((m, a)) = split(':') {
            check(m, a)?;
            return Ok(Selector::Alias {
                model: m.into(),
                alias: a.into(),
            });
        }
        if s.trim().is_empty() || s.contains(char::is_whitespace) {
            return Err(bad(
                "write MODEL, MODEL@VERSION, MODEL:ALIAS or MODEL#STAGE",
            ));
        }
        Ok(Selector::Latest { model: s.into() })
    }

    pub fn model(&self) -> &str {
        match self {
            Selector::Latest { model }
            | Selector::Version { model, .. }
            | Selector::Alias { model, .. }
            | Selector::Stage { model, .. } => model,
        }
    }
}

/// How one identity of an artifact or dataset is established.
#[derive(Debug, Clone, Serialize)]
pub struct Identity {
    /// `dvc-md5`, `dvc-md5-dos2unix`, `lfs-oid`, `openlineage-version`, `mlflow-digest`, `git-blob`, `uri`.
    pub method: String,
    pub value: String,
    /// Whether the value is a hash of the content (MLflow digests and OpenLineage versions are not).
    pub content_hash: bool,
    pub evidence: Vec<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Artifact {
    pub path: Option<String>,
    pub uri: Option<String>,
    pub identity: Vec<Identity>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegistryEvent {
    pub at: String,
    /// register, deregister, deprecate, assign, unassign, alias.
    pub action: String,
    pub version: Option<String>,
    pub stage: Option<String>,
    pub by: Option<String>,
    pub tag: Option<String>,
    pub evidence: Vec<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// `dvc-stage` (the stage record in dvc.lock), `mlflow-run`, `openlineage-run`.
    pub kind: String,
    pub id: String,
    pub cmd: Option<String>,
    pub params: BTreeMap<String, Value>,
    pub metrics: BTreeMap<String, Value>,
    pub user: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub evidence: Vec<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Code {
    pub repo: Option<String>,
    pub commit: String,
    pub signed: Option<bool>,
    pub signature_format: Option<String>,
    pub author: Option<String>,
    pub committed_at: Option<String>,
    pub message: Option<String>,
    /// `Some(true)` when the run's code differs from the commit.
    pub dirty: Option<bool>,
    pub evidence: Vec<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dataset {
    pub name: String,
    /// training, evaluation… (MLflow context) or `dep` of a pipeline stage.
    pub role: Option<String>,
    pub identity: Vec<Identity>,
    /// The pipeline stage or job that produced this version, if known.
    pub produced_by: Option<String>,
    pub evidence: Vec<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Stage {
    pub name: String,
    pub cmd: Option<String>,
    pub evidence: Vec<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Job {
    pub namespace: String,
    pub name: String,
    pub run_id: Option<String>,
    pub event_type: Option<String>,
    pub at: String,
    pub source_code: Option<String>,
    pub outputs: Vec<String>,
    pub evidence: Vec<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub relation: String,
    pub evidence: Vec<u64>,
}

/// A broken link, in words.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Stable code: `no-run`, `dirty-tree`, `no-commit`, `commit-not-collected`, `dataset-unverified`,
    /// `artifact-unhashed`, `pipeline-not-collected`, `unreadable`.
    pub code: &'static str,
    pub message: String,
    pub evidence: Vec<u64>,
}

/// The answer.
#[derive(Debug, Clone, Serialize)]
pub struct Trace {
    pub model: String,
    pub version: String,
    pub selector: Selector,
    /// `gto` or `mlflow`.
    pub registry: String,
    pub artifact: Artifact,
    pub stages_now: Vec<String>,
    pub aliases: Vec<String>,
    pub history: Vec<RegistryEvent>,
    pub run: Option<Run>,
    pub code: Option<Code>,
    pub pipeline: Vec<Stage>,
    pub datasets: Vec<Dataset>,
    pub upstream_jobs: Vec<Job>,
    pub deployments: Vec<Value>,
    pub edges: Vec<Edge>,
    pub findings: Vec<Finding>,
}

impl Trace {
    /// Whether every link is established.
    pub fn complete(&self) -> bool {
        self.findings.is_empty()
    }
}

fn ts(i: &Item) -> String {
    i.observed_at.to_string()
}

fn tagger(i: &Item) -> Option<String> {
    let t = i.payload.get("tagger")?;
    let name = t.get("name").and_then(Value::as_str)?;
    Some(match t.get("email").and_then(Value::as_str) {
        Some(e) if !e.is_empty() => format!("{name} <{e}>"),
        _ => name.to_owned(),
    })
}

/// Order registry events by time, then GTO counter, then ledger index.
pub(crate) fn event_order(g: &Graph, a: usize, b: usize) -> std::cmp::Ordering {
    let (x, y) = (g.item(a), g.item(b));
    let c = |i: &Item| {
        i.payload
            .get("counter")
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    x.observed_at
        .cmp(&y.observed_at)
        .then(c(x).cmp(&c(y)))
        .then(x.index.cmp(&y.index))
}

/// Trace a model version.
pub fn trace(g: &Graph, selector: &Selector) -> Result<Trace, LineageError> {
    let model = selector.model();
    let Some(events) = g.model_events(model) else {
        return Err(LineageError::UnknownModel {
            model: model.to_owned(),
            known: g.models(),
        });
    };
    let mut events = events.to_vec();
    events.sort_by(|a, b| event_order(g, *a, *b));
    let is_mlflow = events
        .iter()
        .any(|i| g.item(*i).kind == EvidenceKind::MlflowModelVersion);
    if is_mlflow {
        return crate::trace::mlflow::trace(g, selector, &events);
    }
    gto_trace(g, selector, &events)
}

fn gto_trace(g: &Graph, selector: &Selector, events: &[usize]) -> Result<Trace, LineageError> {
    let model = selector.model();
    let item = |i: usize| g.item(i);
    let regs: Vec<usize> = events
        .iter()
        .copied()
        .filter(|i| item(*i).str("action") == Some("register"))
        .collect();
    let versions: Vec<String> = {
        let mut seen = BTreeSet::new();
        regs.iter()
            .filter_map(|i| item(*i).str("version").map(str::to_owned))
            .filter(|v| seen.insert(v.clone()))
            .collect()
    };
    // Version registered at a commit (the latest registration there wins).
    let mut by_commit: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    for &i in &regs {
        if let (Some(c), Some(v)) = (item(i).str("commit"), item(i).str("version")) {
            by_commit.insert(c, v);
        }
    }
    let version_at = |commit: &str| by_commit.get(commit).map(|v| (*v).to_owned());
    // Current holder of each stage: the latest event per stage, if it is an assignment.
    let mut stage_holder: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for &i in events {
        let it = item(i);
        if it.kind != EvidenceKind::GtoStageAssignment {
            continue;
        }
        let Some(stage) = it.str("stage") else {
            continue;
        };
        match it.str("action") {
            Some("assign") => {
                if let Some(v) = it.str("commit").and_then(version_at) {
                    stage_holder.insert(stage.to_owned(), (v, i));
                }
            }
            Some("unassign") => {
                stage_holder.remove(stage);
            }
            _ => {}
        }
    }
    let version = match selector {
        Selector::Version { version, .. } => {
            if !versions.iter().any(|v| v == version) {
                return Err(LineageError::NotFound {
                    model: model.into(),
                    what: "version",
                    wanted: version.clone(),
                    known: versions,
                });
            }
            version.clone()
        }
        Selector::Latest { .. } => match regs.last() {
            Some(i) => item(*i).str("version").unwrap_or_default().to_owned(),
            None => {
                return Err(LineageError::NotFound {
                    model: model.into(),
                    what: "version",
                    wanted: "latest".into(),
                    known: versions,
                });
            }
        },
        Selector::Stage { stage, .. } => match stage_holder.get(stage) {
            Some((v, _)) => v.clone(),
            None => {
                return Err(LineageError::NotFound {
                    model: model.into(),
                    what: "version in stage",
                    wanted: stage.clone(),
                    known: stage_holder.keys().cloned().collect(),
                });
            }
        },
        Selector::Alias { alias, .. } => {
            return Err(LineageError::NotFound {
                model: model.into(),
                what: "alias (GTO has stages, not aliases; try MODEL#STAGE)",
                wanted: alias.clone(),
                known: stage_holder.keys().map(|s| format!("#{s}")).collect(),
            });
        }
    };
    let Some(&reg) = regs
        .iter()
        .rev()
        .find(|i| item(**i).str("version") == Some(version.as_str()))
    else {
        return Err(LineageError::NotFound {
            model: model.into(),
            what: "version",
            wanted: version,
            known: versions,
        });
    };
    let r = item(reg);
    let commit = r.str("commit").unwrap_or_default().to_owned();
    let node = format!("model:{model}@{version}");
    let mut t = Trace {
        model: model.to_owned(),
        version: version.clone(),
        selector: selector.clone(),
        registry: "gto".into(),
        artifact: Artifact {
            path: r.str("artifact_path").map(str::to_owned),
            uri: None,
            identity: Vec::new(),
        },
        stages_now: stage_holder
            .iter()
            .filter(|(_, (v, _))| *v == version)
            .map(|(s, _)| s.clone())
            .collect(),
        aliases: Vec::new(),
        history: Vec::new(),
        run: None,
        code: None,
        pipeline: Vec::new(),
        datasets: Vec::new(),
        upstream_jobs: Vec::new(),
        deployments: Vec::new(),
        edges: Vec::new(),
        findings: Vec::new(),
    };

    // Registry history of this version: its registration events and the stage events on its commit.
    for &i in events {
        let it = item(i);
        let same_version = it.str("version") == Some(version.as_str());
        let on_commit = it.kind == EvidenceKind::GtoStageAssignment
            && it.str("commit") == Some(commit.as_str());
        let artifact_wide = it.str("action") == Some("deprecate");
        if same_version || on_commit || artifact_wide {
            t.history.push(RegistryEvent {
                at: ts(it),
                action: it.str("action").unwrap_or("?").to_owned(),
                version: it.str("version").map(str::to_owned),
                stage: it.str("stage").map(str::to_owned),
                by: tagger(it),
                tag: it.str("tag").map(str::to_owned),
                evidence: vec![it.index],
            });
            if on_commit {
                t.edges.push(Edge {
                    from: node.clone(),
                    to: format!("stage:{}", it.str("stage").unwrap_or("?")),
                    relation: it.str("action").unwrap_or("assign").to_owned(),
                    evidence: vec![it.index],
                });
            }
        }
    }

    // Code.
    code_at(g, &mut t, &node, &commit, r.str("repo"), r.index);

    // Artifact identity: the LFS pointer of its path at the tagged commit.
    if let Some(blob) = r.str("artifact_blob") {
        if let Some(li) = g.one(Join::LfsBlob, blob) {
            let l = item(li);
            t.artifact.identity.push(Identity {
                method: "lfs-oid".into(),
                value: l.str("oid").unwrap_or_default().to_owned(),
                content_hash: true,
                evidence: vec![r.index, l.index],
            });
        } else {
            t.artifact.identity.push(Identity {
                method: "git-blob".into(),
                value: blob.to_owned(),
                content_hash: true,
                evidence: vec![r.index],
            });
        }
    }

    // Pipeline: the dvc.lock at the tagged commit.
    let lock_blob = r.str("dvc_lock_blob").map(str::to_owned);
    let lock_stages: Vec<usize> = lock_blob
        .as_deref()
        .and_then(|b| g.get(Join::StageBlob, b))
        .map(|v| {
            v.iter()
                .copied()
                .filter(|i| item(*i).payload.get("stage").is_some())
                .collect()
        })
        .unwrap_or_default();
    // Keep one record per stage name (the same lock content may be recorded at several commits).
    let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
    for i in lock_stages {
        by_name
            .entry(item(i).str("stage").unwrap_or_default().to_owned())
            .or_insert(i);
    }
    let art_path = t.artifact.path.clone();
    let producer = by_name.values().copied().find(|i| {
        arr(&item(*i).payload, "outs")
            .iter()
            .any(|o| o.get("path").and_then(Value::as_str) == art_path.as_deref())
    });
    match (&lock_blob, producer) {
        (None, _) => t.findings.push(Finding {
            code: "no-run",
            message: format!(
                "{model} {version} is registered at commit {} but that commit has no dvc.lock, so no pipeline run is recorded for it.",
                short(&commit)
            ),
            evidence: vec![r.index],
        }),
        (Some(_), _) if by_name.is_empty() => t.findings.push(Finding {
            code: "pipeline-not-collected",
            message: format!(
                "The dvc.lock at commit {} is not in the ledger; run `assay collect --source dvc`.",
                short(&commit)
            ),
            evidence: vec![r.index],
        }),
        (Some(_), None) => t.findings.push(Finding {
            code: "no-run",
            message: format!(
                "No stage in the dvc.lock at commit {} produces {}: this version has no recorded training run.",
                short(&commit),
                art_path.as_deref().unwrap_or("the artifact")
            ),
            evidence: vec![r.index],
        }),
        (Some(_), Some(p)) => {
            let stage_item = item(p);
            let stage_name = stage_item.str("stage").unwrap_or_default().to_owned();
            // The model's own hash from the lock's outs.
            for o in arr(&stage_item.payload, "outs") {
                if o.get("path").and_then(Value::as_str) == art_path.as_deref()
                    && let Some(h) = o.get("hash").and_then(Value::as_str)
                {
                    t.artifact.identity.push(Identity {
                        method: format!(
                            "dvc-{}",
                            o.get("hash_kind").and_then(Value::as_str).unwrap_or("md5")
                        ),
                        value: h.to_owned(),
                        content_hash: true,
                        evidence: vec![stage_item.index],
                    });
                }
            }
            let mut params = BTreeMap::new();
            if let Some(Value::Object(files)) = stage_item.payload.get("params") {
                for (file, kv) in files {
                    if let Value::Object(kv) = kv {
                        for (k, v) in kv {
                            let key = if file == "params.yaml" {
                                k.clone()
                            } else {
                                format!("{file}:{k}")
                            };
                            params.insert(key, v.clone());
                        }
                    }
                }
            }
            let run_node = format!("run:dvc:{stage_name}@{}", short(&commit));
            t.edges.push(Edge {
                from: node.clone(),
                to: run_node.clone(),
                relation: "produced_by".into(),
                evidence: vec![r.index, stage_item.index],
            });
            let ol_run = ol_training_run(g, &stage_name, art_path.as_deref());
            t.run = Some(Run {
                kind: "dvc-stage".into(),
                id: format!("{stage_name} (dvc.lock at {})", short(&commit)),
                cmd: cmd_str(stage_item.payload.get("cmd")),
                params,
                metrics: BTreeMap::new(),
                user: ol_run.as_ref().and_then(|(_, u)| u.clone()),
                start: ol_run.as_ref().and_then(|(s, _)| s.0.clone()),
                end: ol_run.as_ref().and_then(|(s, _)| s.1.clone()),
                evidence: vec![stage_item.index],
            });
            pipeline_walk(g, &mut t, &by_name, p, &commit, &run_node);
        }
    }

    // Deployments recorded for this model version.
    for key in [format!("model:{model}"), node.clone()] {
        for &d in g.get(Join::Deployment, &key).into_iter().flatten() {
            let it = item(d);
            let v = it.str("version");
            if v.is_none() || v == Some(version.as_str()) {
                let mut p = it.payload.clone();
                if let Value::Object(m) = &mut p {
                    m.insert("evidence".into(), Value::from(vec![it.index]));
                }
                t.deployments.push(p);
            }
        }
    }
    Ok(t)
}

pub(crate) fn short(c: &str) -> &str {
    &c[..c.len().min(10)]
}

fn cmd_str(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => Some(
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" && "),
        ),
        _ => None,
    }
}

/// Start/end and user of an OpenLineage run of the training job, when the events name it.
type OlRun = ((Option<String>, Option<String>), Option<String>);
fn ol_training_run(g: &Graph, stage: &str, artifact: Option<&str>) -> Option<OlRun> {
    let runs = artifact.and_then(|a| g.get(Join::OlOutputName, a))?;
    // The first run event that wrote the artifact (job and dataset events name no run).
    let run_id = runs.iter().find_map(|&p| {
        g.try_item(p)?
            .payload
            .pointer("/run/runId")
            .and_then(Value::as_str)
    })?;
    let events = g.get(Join::OlRun, run_id)?;
    let mut start = None;
    let mut end = None;
    for &e in events {
        let it = g.item(e);
        match it.str("eventType") {
            Some("START") => start = Some(ts(it)),
            Some("COMPLETE") | Some("FAIL") | Some("ABORT") => end = Some(ts(it)),
            _ => {}
        }
    }
    let _ = stage;
    Some(((start, end), None))
}

/// The commit a model or run points at, with its facts or a finding when it is not in the ledger.
pub(crate) fn code_at(
    g: &Graph,
    t: &mut Trace,
    node: &str,
    commit: &str,
    repo: Option<&str>,
    pointer_index: u64,
) {
    let mut code = Code {
        repo: repo.map(str::to_owned),
        commit: commit.to_owned(),
        signed: None,
        signature_format: None,
        author: None,
        committed_at: None,
        message: None,
        dirty: None,
        evidence: vec![pointer_index],
    };
    match g.one(Join::Commit, commit) {
        Some(ci) => {
            let c = g.item(ci);
            code.signed = c.payload.get("signed").and_then(Value::as_bool);
            code.signature_format = c.str("signature_format").map(str::to_owned);
            code.author = c.payload.get("author").and_then(|a| {
                Some(format!(
                    "{} <{}>",
                    a.get("name")?.as_str()?,
                    a.get("email")?.as_str()?
                ))
            });
            code.committed_at = Some(ts(c));
            code.message = c
                .str("message")
                .map(|m| m.lines().next().unwrap_or_default().to_owned());
            if code.repo.is_none() {
                code.repo = c.str("repo").map(str::to_owned);
            }
            code.evidence.push(c.index);
        }
        None => t.findings.push(Finding {
            code: "commit-not-collected",
            message: format!(
                "Commit {commit} is referenced but is not in the ledger: collect its repository with [source.git], or it was never pushed."
            ),
            evidence: vec![pointer_index],
        }),
    }
    t.edges.push(Edge {
        from: node.to_owned(),
        to: format!("commit:{commit}"),
        relation: "built_from".into(),
        evidence: code.evidence.clone(),
    });
    t.code = Some(code);
}

/// Walk the stages upstream of the producer: code deps (dirty check), data deps (identity), upstream stages.
fn pipeline_walk(
    g: &Graph,
    t: &mut Trace,
    by_name: &BTreeMap<String, usize>,
    producer: usize,
    commit: &str,
    run_node: &str,
) {
    let item = |i: usize| g.item(i);
    // out hash → stage producing it, within this lock.
    let mut out_of: BTreeMap<String, usize> = BTreeMap::new();
    for &i in by_name.values() {
        for o in arr(&item(i).payload, "outs") {
            if let Some(p) = o.get("path").and_then(Value::as_str) {
                out_of.insert(p.to_owned(), i);
            }
        }
    }
    let mut queue = vec![(producer, run_node.to_owned())];
    let mut done: BTreeSet<usize> = BTreeSet::new();
    let mut dirty = false;
    let mut seen_data: BTreeSet<String> = BTreeSet::new();
    while let Some((si, snode)) = queue.pop() {
        if !done.insert(si) {
            continue;
        }
        let s = item(si);
        let sname = s.str("stage").unwrap_or_default().to_owned();
        t.pipeline.push(Stage {
            name: sname.clone(),
            cmd: cmd_str(s.payload.get("cmd")),
            evidence: vec![s.index],
        });
        for d in arr(&s.payload, "deps") {
            let Some(path) = d.get("path").and_then(Value::as_str) else {
                continue;
            };
            let hash = d.get("hash").and_then(Value::as_str).unwrap_or_default();
            let hash_kind = d.get("hash_kind").and_then(Value::as_str).unwrap_or("md5");
            if let Some(committed) = d.get("committed") {
                // Code (or config) tracked by git.
                if committed.get("matches").and_then(Value::as_bool) == Some(false) {
                    dirty = true;
                    t.findings.push(Finding {
                        code: "dirty-tree",
                        message: format!(
                            "Stage `{sname}` ran on {path} with {hash_kind} {hash}, but the {path} committed at {} has {}: the model was trained from uncommitted changes (a dirty working tree).",
                            short(commit),
                            committed.get("md5").and_then(Value::as_str).unwrap_or("?")
                        ),
                        evidence: vec![s.index],
                    });
                }
                continue;
            }
            // Data.
            let upstream = out_of.get(path).copied().filter(|u| *u != si);
            if !seen_data.insert(format!("{path}@{hash}")) {
                if let Some(u) = upstream {
                    queue.push((u, format!("stage:{}", item(u).str("stage").unwrap_or("?"))));
                }
                continue;
            }
            let mut ds = Dataset {
                name: path.to_owned(),
                role: Some(format!("input of {sname}")),
                identity: Vec::new(),
                produced_by: None,
                evidence: vec![s.index],
            };
            if !hash.is_empty() {
                ds.identity.push(Identity {
                    method: format!("dvc-{hash_kind}"),
                    value: hash.to_owned(),
                    content_hash: hash_kind.starts_with("md5"),
                    evidence: vec![s.index],
                });
            }
            for &di in g.get(Join::DvcDataHash, hash).into_iter().flatten().take(1) {
                let dv = item(di);
                ds.evidence.push(dv.index);
                ds.identity.push(Identity {
                    method: "dvc-file".into(),
                    value: format!(
                        "{} at {}",
                        dv.str("file").unwrap_or("?"),
                        short(dv.str("commit").unwrap_or("?"))
                    ),
                    content_hash: true,
                    evidence: vec![dv.index],
                });
            }
            // Upstream jobs from OpenLineage: by dataset version equal to the hash, or by name.
            let mut jobs: Vec<usize> = g
                .get(Join::OlOutputVersion, hash)
                .map(<[usize]>::to_vec)
                .unwrap_or_default();
            if jobs.is_empty() {
                jobs = g
                    .get(Join::OlOutputName, path)
                    .map(<[usize]>::to_vec)
                    .unwrap_or_default();
            }
            for &j in &jobs {
                let e = item(j);
                if let Some(o) = arr(&e.payload, "outputs").iter().find(|o| {
                    o.pointer("/facets/version/datasetVersion")
                        .and_then(Value::as_str)
                        == Some(hash)
                }) && let Some(v) = o
                    .pointer("/facets/version/datasetVersion")
                    .and_then(Value::as_str)
                    && !ds
                        .identity
                        .iter()
                        .any(|i| i.method == "openlineage-version")
                {
                    ds.identity.push(Identity {
                        method: "openlineage-version".into(),
                        value: v.to_owned(),
                        content_hash: false,
                        evidence: vec![e.index],
                    });
                }
                push_job(t, e);
                ds.produced_by = Some(format!(
                    "job {}/{}",
                    e.payload
                        .pointer("/job/namespace")
                        .and_then(Value::as_str)
                        .unwrap_or("?"),
                    e.payload
                        .pointer("/job/name")
                        .and_then(Value::as_str)
                        .unwrap_or("?")
                ));
            }
            let dnode = format!("dataset:{path}@{hash}");
            t.edges.push(Edge {
                from: snode.clone(),
                to: dnode.clone(),
                relation: "consumed".into(),
                evidence: vec![s.index],
            });
            if let Some(u) = upstream {
                let uname = item(u).str("stage").unwrap_or("?").to_owned();
                ds.produced_by = Some(format!("stage {uname}"));
                let unode = format!("stage:{uname}");
                t.edges.push(Edge {
                    from: dnode,
                    to: unode.clone(),
                    relation: "produced_by".into(),
                    evidence: vec![item(u).index],
                });
                queue.push((u, unode));
            } else if ds.identity.iter().all(|i| !i.content_hash) {
                t.findings.push(Finding {
                    code: "dataset-unverified",
                    message: format!(
                        "Dataset {path} used by stage `{sname}` has no content hash in the ledger, so which version was used cannot be shown."
                    ),
                    evidence: vec![s.index],
                });
            }
            t.datasets.push(ds);
        }
    }
    if let Some(c) = &mut t.code {
        c.dirty = Some(dirty);
    }
    t.pipeline.reverse();
}

pub(crate) fn push_job(t: &mut Trace, e: &Item) {
    let ns = e
        .payload
        .pointer("/job/namespace")
        .and_then(Value::as_str)
        .unwrap_or("?");
    let name = e
        .payload
        .pointer("/job/name")
        .and_then(Value::as_str)
        .unwrap_or("?");
    let run_id = e
        .payload
        .pointer("/run/runId")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if t.upstream_jobs
        .iter()
        .any(|j| j.namespace == ns && j.name == name && j.run_id == run_id)
    {
        return;
    }
    let src = e
        .payload
        .pointer("/job/facets/sourceCodeLocation")
        .map(|s| {
            let url = s.get("url").and_then(Value::as_str).unwrap_or("?");
            match s.get("version").and_then(Value::as_str) {
                Some(v) => format!("{url} @ {}", short(v)),
                None => url.to_owned(),
            }
        });
    t.upstream_jobs.push(Job {
        namespace: ns.to_owned(),
        name: name.to_owned(),
        run_id,
        event_type: e.str("eventType").map(str::to_owned),
        at: ts(e),
        source_code: src,
        outputs: arr(&e.payload, "outputs")
            .iter()
            .filter_map(|o| o.get("name").and_then(Value::as_str).map(str::to_owned))
            .collect(),
        evidence: vec![e.index],
    });
}

pub(crate) mod mlflow {
    //! The MLflow side: model version → run (params, metrics, git tags, dataset inputs).

    use super::*;

    pub(crate) fn trace(
        g: &Graph,
        selector: &Selector,
        events: &[usize],
    ) -> Result<Trace, LineageError> {
        let model = selector.model();
        let item = |i: usize| g.item(i);
        let mvs: Vec<usize> = events
            .iter()
            .copied()
            .filter(|i| item(*i).kind == EvidenceKind::MlflowModelVersion)
            .collect();
        let version_of = |i: usize| item(i).str("version").unwrap_or_default().to_owned();
        let known: Vec<String> = mvs.iter().map(|i| version_of(*i)).collect();
        // The latest item per version is its current state.
        let latest = |v: &str| mvs.iter().rev().copied().find(|i| version_of(*i) == v);
        let chosen = match selector {
            Selector::Version { version, .. } => latest(version),
            Selector::Latest { .. } => mvs
                .iter()
                .copied()
                .max_by_key(|i| version_of(*i).parse::<u64>().unwrap_or(0)),
            Selector::Alias { alias, .. } => mvs.iter().rev().copied().find(|i| {
                arr(&item(*i).payload, "aliases")
                    .iter()
                    .any(|a| a.as_str() == Some(alias.as_str()))
            }),
            Selector::Stage { stage, .. } => mvs.iter().rev().copied().find(|i| {
                item(*i)
                    .str("current_stage")
                    .is_some_and(|s| s.eq_ignore_ascii_case(stage))
            }),
        };
        let Some(mv) = chosen else {
            let (what, wanted) = match selector {
                Selector::Version { version, .. } => ("version", version.clone()),
                Selector::Alias { alias, .. } => ("alias", alias.clone()),
                Selector::Stage { stage, .. } => ("version in stage", stage.clone()),
                Selector::Latest { .. } => ("version", "latest".into()),
            };
            return Err(LineageError::NotFound {
                model: model.into(),
                what,
                wanted,
                known,
            });
        };
        let m = item(mv);
        let version = version_of(mv);
        let node = format!("model:{model}@{version}");
        let mut t = Trace {
            model: model.into(),
            version: version.clone(),
            selector: selector.clone(),
            registry: "mlflow".into(),
            artifact: Artifact {
                path: None,
                uri: m.str("source").map(str::to_owned),
                identity: Vec::new(),
            },
            stages_now: m
                .str("current_stage")
                .filter(|s| *s != "None")
                .map(|s| vec![s.to_owned()])
                .unwrap_or_default(),
            aliases: arr(&m.payload, "aliases")
                .iter()
                .filter_map(|a| a.as_str().map(str::to_owned))
                .collect(),
            history: Vec::new(),
            run: None,
            code: None,
            pipeline: Vec::new(),
            datasets: Vec::new(),
            upstream_jobs: Vec::new(),
            deployments: Vec::new(),
            edges: Vec::new(),
            findings: Vec::new(),
        };
        if let Some(uri) = &t.artifact.uri {
            t.artifact.identity.push(Identity {
                method: "uri".into(),
                value: uri.clone(),
                content_hash: false,
                evidence: vec![m.index],
            });
        }
        // History: every observation of this version (creation, stage and alias changes).
        let mut last_state: Option<(String, Vec<String>)> = None;
        for &i in &mvs {
            if version_of(i) != version {
                continue;
            }
            let it = item(i);
            let stage = it.str("current_stage").unwrap_or("None").to_owned();
            let aliases: Vec<String> = arr(&it.payload, "aliases")
                .iter()
                .filter_map(|a| a.as_str().map(str::to_owned))
                .collect();
            let action = match &last_state {
                None => "register",
                Some((s, a)) if *s != stage && *a != aliases => "stage+alias",
                Some((s, _)) if *s != stage => "stage",
                Some(_) => "alias",
            };
            if last_state.as_ref() != Some(&(stage.clone(), aliases.clone())) {
                t.history.push(RegistryEvent {
                    at: ts(it),
                    action: action.into(),
                    version: Some(version.clone()),
                    stage: Some(stage.clone()).filter(|s| s != "None"),
                    by: it.str("user_id").map(str::to_owned),
                    tag: if aliases.is_empty() {
                        None
                    } else {
                        Some(format!("aliases: {}", aliases.join(", ")))
                    },
                    evidence: vec![it.index],
                });
            }
            last_state = Some((stage, aliases));
        }
        let run_id = m.str("run_id").filter(|r| !r.is_empty());
        let Some(run_id) = run_id else {
            t.findings.push(Finding {
                code: "no-run",
                message: format!(
                    "{model} version {version} names no run: how it was trained cannot be shown."
                ),
                evidence: vec![m.index],
            });
            return Ok(t);
        };
        let Some(ri) = g.one(Join::MlflowRun, run_id) else {
            t.findings.push(Finding {
                code: "no-run",
                message: format!(
                    "{model} version {version} names run {run_id}, which is not in the ledger (deleted, or on another tracking server)."
                ),
                evidence: vec![m.index],
            });
            return Ok(t);
        };
        let run = item(ri);
        let obj = |k: &str| -> BTreeMap<String, Value> {
            run.payload
                .get(k)
                .and_then(Value::as_object)
                .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default()
        };
        t.run = Some(Run {
            kind: "mlflow-run".into(),
            id: run_id.to_owned(),
            cmd: run.str("entry_point").map(str::to_owned),
            params: obj("params"),
            metrics: obj("metrics"),
            user: run.str("user").map(str::to_owned),
            start: run.str("start_time").map(str::to_owned),
            end: run.str("end_time").map(str::to_owned),
            evidence: vec![run.index],
        });
        let run_node = format!("run:mlflow:{run_id}");
        t.edges.push(Edge {
            from: node.clone(),
            to: run_node.clone(),
            relation: "produced_by".into(),
            evidence: vec![m.index, run.index],
        });
        let git = run.payload.get("git");
        let commit = git.and_then(|g| g.get("commit")).and_then(Value::as_str);
        match commit {
            Some(c) => {
                let repo = git.and_then(|g| g.get("repo_url")).and_then(Value::as_str);
                code_at(g, &mut t, &run_node, c, repo, run.index);
                let dirty = git.and_then(|g| g.get("dirty")).and_then(Value::as_bool);
                if let Some(code) = &mut t.code {
                    code.dirty = dirty;
                }
                if dirty == Some(true) {
                    t.findings.push(Finding {
                        code: "dirty-tree",
                        message: format!(
                            "Run {run_id} recorded a dirty working tree at commit {}: the code that trained {model} {version} is not exactly the committed code.",
                            short(c)
                        ),
                        evidence: vec![run.index],
                    });
                }
            }
            None => t.findings.push(Finding {
                code: "no-commit",
                message: format!(
                    "Run {run_id} has no git commit (no mlflow.source.git.commit tag): the code version that trained {model} {version} is unknown."
                ),
                evidence: vec![run.index],
            }),
        }
        for input in arr(&run.payload, "inputs") {
            let name = input.get("name").and_then(Value::as_str).unwrap_or("?");
            let digest = input.get("digest").and_then(Value::as_str).unwrap_or("");
            let mut ds = Dataset {
                name: name.to_owned(),
                role: input
                    .get("context")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                identity: vec![Identity {
                    method: "mlflow-digest".into(),
                    value: digest.to_owned(),
                    content_hash: false,
                    evidence: vec![run.index],
                }],
                produced_by: None,
                evidence: vec![run.index],
            };
            // A content hash in the source or tags (DVC md5, LFS oid, or a sha256 we recorded).
            let mut hashes: Vec<String> = Vec::new();
            if let Some(h) = input.get("content_sha256").and_then(Value::as_str) {
                hashes.push(format!("sha256:{h}"));
            }
            if let Some(h) = input.get("md5").and_then(Value::as_str) {
                hashes.push(h.to_owned());
            }
            for h in hashes {
                if let Some(&di) = g.get(Join::DvcDataHash, &h).and_then(|v| v.first()) {
                    ds.identity.push(Identity {
                        method: "dvc-md5".into(),
                        value: h.clone(),
                        content_hash: true,
                        evidence: vec![item(di).index],
                    });
                } else if let Some(&li) = g.get(Join::LfsOid, &h).and_then(|v| v.first()) {
                    ds.identity.push(Identity {
                        method: "lfs-oid".into(),
                        value: h.clone(),
                        content_hash: true,
                        evidence: vec![item(li).index],
                    });
                }
            }
            if let Some(jobs) = g.get(Join::OlOutputName, name) {
                for &j in jobs {
                    push_job(&mut t, item(j));
                }
            }
            if ds.identity.iter().all(|i| !i.content_hash) {
                t.findings.push(Finding {
                    code: "dataset-unverified",
                    message: format!(
                        "Dataset {name} of run {run_id} is known only by its MLflow digest {digest}, which is not a content hash, and it matches no content-hashed version in the ledger."
                    ),
                    evidence: vec![run.index],
                });
            }
            t.edges.push(Edge {
                from: run_node.clone(),
                to: format!("dataset:{name}@{digest}"),
                relation: "consumed".into(),
                evidence: vec![run.index],
            });
            t.datasets.push(ds);
        }
        if t.datasets.is_empty() {
            t.findings.push(Finding {
                code: "dataset-unverified",
                message: format!(
                    "Run {run_id} logged no dataset inputs: the data that trained {model} {version} is not recorded."
                ),
                evidence: vec![run.index],
            });
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors() {
        assert_eq!(
            Selector::parse("fraud-scorer@v1.2.0").expect("ok"),
            Selector::Version {
                model: "fraud-scorer".into(),
                version: "v1.2.0".into()
            }
        );
        assert_eq!(
            Selector::parse("fraud-scorer#prod").expect("ok"),
            Selector::Stage {
                model: "fraud-scorer".into(),
                stage: "prod".into()
            }
        );
        assert_eq!(
            Selector::parse("churn:champion").expect("ok"),
            Selector::Alias {
                model: "churn".into(),
                alias: "champion".into()
            }
        );
        assert_eq!(
            Selector::parse("m").expect("ok"),
            Selector::Latest { model: "m".into() }
        );
        for bad in ["@v1", "m@", "", "a b", "#prod", "m:"] {
            assert!(Selector::parse(bad).is_err(), "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn selector_parse_never_panics(s in "\\PC{0,30}") {
            let _ = Selector::parse(&s);
        }
    }
}
