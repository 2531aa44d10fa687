//! The evidence the lineage walk needs, read from the ledger once and indexed by the identities that join
//! it: commit ids, git blob ids, content hashes, dataset names and versions, run ids.

use std::collections::HashMap;

use assay_ledger::{EvidenceKind, Ledger, ListFilter, StoredItem};
use jiff::Timestamp;
use serde_json::Value;

use crate::LineageError;

/// One evidence item as the walk sees it.
#[derive(Debug, Clone)]
pub struct Item {
    pub index: u64,
    pub kind: EvidenceKind,
    pub subject: String,
    pub observed_at: Timestamp,
    pub payload: Value,
}

impl Item {
    pub fn str(&self, key: &str) -> Option<&str> {
        self.payload.get(key).and_then(Value::as_str)
    }
}

/// Lineage evidence with its join indices.
#[derive(Debug, Default)]
pub struct Graph {
    pub items: Vec<Item>,
    /// Registry events (GTO and MLflow) by model name.
    pub by_model: HashMap<String, Vec<usize>>,
    /// `git.commit` by commit id.
    pub commits: HashMap<String, usize>,
    /// `dvc.stage` items by the git blob of the `dvc.lock` / `dvc.yaml` they were read from.
    pub stages_by_blob: HashMap<String, Vec<usize>>,
    /// `lfs.pointer` by git blob.
    pub lfs_by_blob: HashMap<String, usize>,
    /// `lfs.pointer` by LFS oid.
    pub lfs_by_oid: HashMap<String, Vec<usize>>,
    /// `dvc.dataset` by the hash of each out.
    pub dvc_data_by_hash: HashMap<String, Vec<usize>>,
    /// `dvc.stage` (lock) items by the hash of each out they produce.
    pub stage_outs_by_hash: HashMap<String, Vec<usize>>,
    /// OpenLineage run events by output dataset version and by output dataset name.
    pub ol_by_output_version: HashMap<String, Vec<usize>>,
    pub ol_by_output_name: HashMap<String, Vec<usize>>,
    /// OpenLineage events by run id.
    pub ol_by_run: HashMap<String, Vec<usize>>,
    /// `mlflow.run` by run id.
    pub mlflow_runs: HashMap<String, usize>,
    /// `deployment` items by subject.
    pub deployments: HashMap<String, Vec<usize>>,
}

const KINDS: &[EvidenceKind] = &[
    EvidenceKind::GtoRegistration,
    EvidenceKind::GtoStageAssignment,
    EvidenceKind::MlflowModelVersion,
    EvidenceKind::MlflowRun,
    EvidenceKind::GitCommit,
    EvidenceKind::DvcStage,
    EvidenceKind::DvcDataset,
    EvidenceKind::LfsPointer,
    EvidenceKind::OpenlineageRunEvent,
    EvidenceKind::Deployment,
];

impl Graph {
    /// Read the lineage kinds from the ledger.
    pub fn load(ledger: &Ledger) -> Result<Graph, LineageError> {
        let mut stored = Vec::new();
        for kind in KINDS {
            let filter = ListFilter {
                kind: Some(kind.clone()),
                ..ListFilter::default()
            };
            stored.extend(ledger.list(&filter).map_err(|e| LineageError::Ledger {
                message: e.to_string(),
            })?);
        }
        stored.sort_by_key(|s| s.index);
        Ok(Graph::from_items(stored))
    }

    /// Build from items already read (tests, benchmarks).
    pub fn from_items(stored: Vec<StoredItem>) -> Graph {
        let mut g = Graph::default();
        for s in stored {
            let item = Item {
                index: s.index,
                kind: s.evidence.kind,
                subject: s.evidence.subject,
                observed_at: s.evidence.observed_at,
                payload: s.evidence.payload,
            };
            g.add(item);
        }
        g
    }

    fn add(&mut self, item: Item) {
        let i = self.items.len();
        let s = |k: &str| {
            item.payload
                .get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        match &item.kind {
            EvidenceKind::GtoRegistration | EvidenceKind::GtoStageAssignment => {
                if let Some(a) = s("artifact") {
                    self.by_model.entry(a).or_default().push(i);
                }
            }
            EvidenceKind::MlflowModelVersion => {
                if let Some(a) = s("name") {
                    self.by_model.entry(a).or_default().push(i);
                }
            }
            EvidenceKind::MlflowRun => {
                if let Some(r) = s("run_id") {
                    self.mlflow_runs.insert(r, i);
                }
            }
            EvidenceKind::GitCommit => {
                if let Some(c) = s("commit") {
                    self.commits.insert(c, i);
                }
            }
            EvidenceKind::DvcStage => {
                if let Some(b) = s("blob") {
                    self.stages_by_blob.entry(b).or_default().push(i);
                }
                for o in arr(&item.payload, "outs") {
                    if let Some(h) = o.get("hash").and_then(Value::as_str) {
                        self.stage_outs_by_hash
                            .entry(h.to_owned())
                            .or_default()
                            .push(i);
                    }
                }
            }
            EvidenceKind::DvcDataset => {
                for o in arr(&item.payload, "outs") {
                    if let Some(h) = o.get("hash").and_then(Value::as_str) {
                        self.dvc_data_by_hash
                            .entry(h.to_owned())
                            .or_default()
                            .push(i);
                    }
                }
            }
            EvidenceKind::LfsPointer => {
                if let Some(b) = s("blob") {
                    self.lfs_by_blob.insert(b, i);
                }
                if let Some(o) = s("oid") {
                    self.lfs_by_oid.entry(o).or_default().push(i);
                }
            }
            EvidenceKind::OpenlineageRunEvent => {
                if let Some(r) = item.payload.pointer("/run/runId").and_then(Value::as_str) {
                    self.ol_by_run.entry(r.to_owned()).or_default().push(i);
                }
                for o in arr(&item.payload, "outputs") {
                    if let Some(v) = o
                        .pointer("/facets/version/datasetVersion")
                        .and_then(Value::as_str)
                    {
                        self.ol_by_output_version
                            .entry(v.to_owned())
                            .or_default()
                            .push(i);
                    }
                    if let Some(n) = o.get("name").and_then(Value::as_str) {
                        self.ol_by_output_name
                            .entry(n.to_owned())
                            .or_default()
                            .push(i);
                    }
                }
            }
            EvidenceKind::Deployment => {
                self.deployments
                    .entry(item.subject.clone())
                    .or_default()
                    .push(i);
            }
            _ => {}
        }
        self.items.push(item);
    }

    /// Model names with registry evidence.
    pub fn models(&self) -> Vec<String> {
        let mut m: Vec<String> = self.by_model.keys().cloned().collect();
        m.sort();
        m
    }
}

/// The array at `key`, or an empty one.
pub fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}
