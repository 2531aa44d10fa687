//! The evidence the lineage walk needs, indexed by the identities that join it: commit ids, git blob ids,
//! content hashes, dataset names and versions, run ids.
//!
//! A graph is either complete ([`Graph::load`]: every lineage item of the ledger) or partial (built by
//! [`crate::index::trace_indexed`] from the few items one trace needs). The walk reads it only through
//! [`Graph::get`] and [`Graph::one`], which note every (join, key) asked for, so that a partial graph can be
//! completed key by key until the walk asks for nothing it does not already have in full.

use std::borrow::Cow;
use std::cell::RefCell;
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

/// The identities that join lineage evidence. The numbers are stored in the lineage index file: never reuse
/// one for another meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Join {
    /// Every registry event (GTO and MLflow) by model name.
    Model = 1,
    /// Registry events other than GTO registrations (stage events, deprecations, MLflow versions) by model.
    ModelEvents = 2,
    /// GTO registrations by `MODEL\0COMMIT`.
    RegAtCommit = 3,
    /// GTO registrations by `MODEL\0VERSION`.
    RegVersion = 4,
    /// `git.commit` by commit id.
    Commit = 5,
    /// `dvc.stage` items by the git blob of the `dvc.lock` / `dvc.yaml` they were read from.
    StageBlob = 6,
    /// `lfs.pointer` by git blob.
    LfsBlob = 7,
    /// `lfs.pointer` by LFS oid.
    LfsOid = 8,
    /// `dvc.dataset` by the hash of each out.
    DvcDataHash = 9,
    /// `dvc.stage` items by the hash of each out they produce.
    StageOutHash = 10,
    /// OpenLineage run events by output dataset version.
    OlOutputVersion = 11,
    /// OpenLineage run events by output dataset name.
    OlOutputName = 12,
    /// OpenLineage events by run id.
    OlRun = 13,
    /// `mlflow.run` by run id.
    MlflowRun = 14,
    /// `deployment` items by subject.
    Deployment = 15,
}

impl Join {
    pub const ALL: [Join; 15] = [
        Join::Model,
        Join::ModelEvents,
        Join::RegAtCommit,
        Join::RegVersion,
        Join::Commit,
        Join::StageBlob,
        Join::LfsBlob,
        Join::LfsOid,
        Join::DvcDataHash,
        Join::StageOutHash,
        Join::OlOutputVersion,
        Join::OlOutputName,
        Join::OlRun,
        Join::MlflowRun,
        Join::Deployment,
    ];

    pub fn code(self) -> i64 {
        self as i64
    }

    pub fn from_code(code: i64) -> Option<Join> {
        Join::ALL.into_iter().find(|j| j.code() == code)
    }
}

/// The key of a registration join: model and commit or version.
pub fn pair(model: &str, second: &str) -> String {
    format!("{model}\0{second}")
}

/// The evidence kinds the lineage walk reads.
pub const KINDS: &[EvidenceKind] = &[
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

/// The payload fields the joins read, and nothing else: the lineage index reads them straight from the stored
/// bytes without building the whole payload.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct JoinFields<'a> {
    #[serde(borrow)]
    artifact: Option<Cow<'a, str>>,
    #[serde(borrow)]
    action: Option<Cow<'a, str>>,
    #[serde(borrow)]
    commit: Option<Cow<'a, str>>,
    #[serde(borrow)]
    version: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    run_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    blob: Option<Cow<'a, str>>,
    #[serde(borrow)]
    oid: Option<Cow<'a, str>>,
    #[serde(borrow)]
    outs: Vec<HashField<'a>>,
    #[serde(borrow)]
    run: Option<RunField<'a>>,
    #[serde(borrow)]
    outputs: Vec<OutputField<'a>>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct HashField<'a> {
    #[serde(borrow)]
    hash: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct RunField<'a> {
    #[serde(borrow, rename = "runId")]
    run_id: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct OutputField<'a> {
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    facets: Option<OutputFacets<'a>>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct OutputFacets<'a> {
    #[serde(borrow)]
    version: Option<VersionFacet<'a>>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct VersionFacet<'a> {
    #[serde(borrow, rename = "datasetVersion")]
    dataset_version: Option<Cow<'a, str>>,
}

impl JoinFields<'static> {
    /// The fields of a decoded payload; a field of another JSON type than the joins expect is absent.
    pub fn from_value(v: &Value) -> JoinFields<'static> {
        let s = |v: &Value, k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .map(|s| Cow::Owned(s.to_owned()))
        };
        JoinFields {
            artifact: s(v, "artifact"),
            action: s(v, "action"),
            commit: s(v, "commit"),
            version: s(v, "version"),
            name: s(v, "name"),
            run_id: s(v, "run_id"),
            blob: s(v, "blob"),
            oid: s(v, "oid"),
            outs: arr(v, "outs")
                .iter()
                .map(|o| HashField { hash: s(o, "hash") })
                .collect(),
            run: v.get("run").map(|r| RunField {
                run_id: s(r, "runId"),
            }),
            outputs: arr(v, "outputs")
                .iter()
                .map(|o| OutputField {
                    name: s(o, "name"),
                    facets: Some(OutputFacets {
                        version: Some(VersionFacet {
                            dataset_version: o
                                .pointer("/facets/version/datasetVersion")
                                .and_then(Value::as_str)
                                .map(|s| Cow::Owned(s.to_owned())),
                        }),
                    }),
                })
                .collect(),
        }
    }
}

/// Every (join, key) under which an item is found. An item may be listed twice under one key (two outs with
/// the same hash); the walk sees it twice, as it always has.
pub fn joins(kind: &EvidenceKind, subject: &str, f: &JoinFields<'_>) -> Vec<(Join, String)> {
    let s = |v: &Option<Cow<'_, str>>| v.as_deref().map(str::to_owned);
    let mut out = Vec::new();
    match kind {
        EvidenceKind::GtoRegistration | EvidenceKind::GtoStageAssignment => {
            if let Some(a) = s(&f.artifact) {
                let registration = *kind == EvidenceKind::GtoRegistration
                    && f.action.as_deref() == Some("register");
                if registration {
                    if let Some(c) = &f.commit {
                        out.push((Join::RegAtCommit, pair(&a, c)));
                    }
                    if let Some(v) = &f.version {
                        out.push((Join::RegVersion, pair(&a, v)));
                    }
                } else {
                    out.push((Join::ModelEvents, a.clone()));
                }
                out.push((Join::Model, a));
            }
        }
        EvidenceKind::MlflowModelVersion => {
            if let Some(a) = s(&f.name) {
                out.push((Join::ModelEvents, a.clone()));
                out.push((Join::Model, a));
            }
        }
        EvidenceKind::MlflowRun => {
            if let Some(r) = s(&f.run_id) {
                out.push((Join::MlflowRun, r));
            }
        }
        EvidenceKind::GitCommit => {
            if let Some(c) = s(&f.commit) {
                out.push((Join::Commit, c));
            }
        }
        EvidenceKind::DvcStage => {
            if let Some(b) = s(&f.blob) {
                out.push((Join::StageBlob, b));
            }
            for o in &f.outs {
                if let Some(h) = s(&o.hash) {
                    out.push((Join::StageOutHash, h));
                }
            }
        }
        EvidenceKind::DvcDataset => {
            for o in &f.outs {
                if let Some(h) = s(&o.hash) {
                    out.push((Join::DvcDataHash, h));
                }
            }
        }
        EvidenceKind::LfsPointer => {
            if let Some(b) = s(&f.blob) {
                out.push((Join::LfsBlob, b));
            }
            if let Some(o) = s(&f.oid) {
                out.push((Join::LfsOid, o));
            }
        }
        EvidenceKind::OpenlineageRunEvent => {
            if let Some(r) = f.run.as_ref().and_then(|r| s(&r.run_id)) {
                out.push((Join::OlRun, r));
            }
            for o in &f.outputs {
                let version = o
                    .facets
                    .as_ref()
                    .and_then(|f| f.version.as_ref())
                    .and_then(|v| s(&v.dataset_version));
                if let Some(v) = version {
                    out.push((Join::OlOutputVersion, v));
                }
                if let Some(n) = s(&o.name) {
                    out.push((Join::OlOutputName, n));
                }
            }
        }
        EvidenceKind::Deployment => out.push((Join::Deployment, subject.to_owned())),
        _ => {}
    }
    out
}

/// Lineage evidence with its join indices.
#[derive(Debug, Default)]
pub struct Graph {
    items: Vec<Item>,
    /// Positions in `items` by (join, key), in ledger-index order.
    lists: HashMap<(Join, String), Vec<usize>>,
    /// Ledger indices already held.
    held: HashMap<u64, usize>,
    /// What the walk asked for since the last [`Graph::take_asked`].
    asked: RefCell<Vec<(Join, String)>>,
}

impl Graph {
    /// Read every lineage item of the ledger.
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
        Ok(Graph::from_items(stored))
    }

    /// Build from items already read (tests, benchmarks).
    pub fn from_items(stored: Vec<StoredItem>) -> Graph {
        let mut g = Graph::default();
        g.extend(stored);
        g
    }

    /// Add items (items already held are skipped); every join list stays in ledger-index order.
    pub fn extend(&mut self, stored: Vec<StoredItem>) {
        let mut touched = Vec::new();
        for s in stored {
            if self.held.contains_key(&s.index) {
                continue;
            }
            let item = Item {
                index: s.index,
                kind: s.evidence.kind,
                subject: s.evidence.subject,
                observed_at: s.evidence.observed_at,
                payload: s.evidence.payload,
            };
            let i = self.items.len();
            let fields = JoinFields::from_value(&item.payload);
            for key in joins(&item.kind, &item.subject, &fields) {
                let list = self.lists.entry(key.clone()).or_default();
                if list
                    .last()
                    .is_some_and(|&p| self.items[p].index > item.index)
                {
                    touched.push(key);
                }
                list.push(i);
            }
            self.held.insert(item.index, i);
            self.items.push(item);
        }
        touched.sort();
        touched.dedup();
        for key in touched {
            if let Some(list) = self.lists.get_mut(&key) {
                let items = &self.items;
                list.sort_by_key(|&p| items[p].index);
            }
        }
    }

    /// The item at a position.
    pub fn item(&self, position: usize) -> &Item {
        &self.items[position]
    }

    /// The item at a position, if there is one.
    pub fn try_item(&self, position: usize) -> Option<&Item> {
        self.items.get(position)
    }

    /// Number of items held.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether no item is held.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether the ledger item is held.
    pub fn holds(&self, index: u64) -> bool {
        self.held.contains_key(&index)
    }

    /// Positions of the items found under `key`, in ledger-index order; `None` when there are none. The
    /// question is noted.
    pub fn get(&self, join: Join, key: &str) -> Option<&[usize]> {
        self.asked.borrow_mut().push((join, key.to_owned()));
        self.lists
            .get(&(join, key.to_owned()))
            .map(Vec::as_slice)
            .filter(|l| !l.is_empty())
    }

    /// The latest item found under `key` (the one a single-valued map would keep).
    pub fn one(&self, join: Join, key: &str) -> Option<usize> {
        self.get(join, key).and_then(|l| l.last().copied())
    }

    /// Registry events of a model without noting the question (the indexed loader completes registry events
    /// by its own rules).
    pub fn model_events(&self, model: &str) -> Option<&[usize]> {
        self.lists
            .get(&(Join::Model, model.to_owned()))
            .map(Vec::as_slice)
    }

    /// The questions asked since the last call.
    pub fn take_asked(&self) -> Vec<(Join, String)> {
        std::mem::take(&mut *self.asked.borrow_mut())
    }

    /// Model names with registry evidence held.
    pub fn models(&self) -> Vec<String> {
        let mut m: Vec<String> = self
            .lists
            .keys()
            .filter(|(j, _)| *j == Join::Model)
            .map(|(_, k)| k.clone())
            .collect();
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
