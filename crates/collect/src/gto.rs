//! `[source.gto]`: the GTO model registry kept in git tags.
//!
//! | tag | event |
//! |---|---|
//! | `name@vX.Y.Z`, `name@vX.Y.Z#N` | register a version |
//! | `name@vX.Y.Z!#N` | deregister (deprecate) a version |
//! | `name#stage#N` | assign a stage |
//! | `name#stage!#N` | unassign a stage |
//! | `name@deprecated`, `name@deprecated#N` | deprecate the artifact |
//!
//! Items: `gto.registration` (register, deregister, deprecate) and `gto.stage_assignment` (assign, unassign),
//! subject `model:NAME` (or `dataset:NAME` when `dvc.yaml` declares the artifact as a dataset), `observed_at` =
//! the annotated tag's time (the tagged commit's time for a lightweight tag). Each item records the tagged
//! commit and, at that commit, the artifact's declared path and the blobs of that path and of `dvc.lock`, so
//! the lineage graph can join it to DVC and LFS evidence by content.

use assay_ledger::{Evidence, EvidenceKind};
use serde_json::{Value, json};

use crate::config::RepoSpec;
use crate::dvc::yaml;
use crate::error::CollectError;
use crate::repo::{Repo, storable};
use crate::{Collected, Collector, Context, source};

/// Config of `[source.gto]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GtoConfig {
    pub repos: Vec<RepoSpec>,
}

/// The GTO collector.
#[derive(Debug, Clone)]
pub struct GtoCollector {
    config: GtoConfig,
}

impl GtoCollector {
    pub fn new(config: GtoConfig) -> Self {
        GtoCollector { config }
    }
}

const NAME: &str = "gto";

/// A parsed GTO tag name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GtoEvent {
    Register {
        artifact: String,
        version: String,
        counter: Option<u64>,
    },
    Deregister {
        artifact: String,
        version: String,
        counter: Option<u64>,
    },
    Deprecate {
        artifact: String,
        counter: Option<u64>,
    },
    Assign {
        artifact: String,
        stage: String,
        counter: Option<u64>,
    },
    Unassign {
        artifact: String,
        stage: String,
        counter: Option<u64>,
    },
}

impl GtoEvent {
    pub fn artifact(&self) -> &str {
        match self {
            GtoEvent::Register { artifact, .. }
            | GtoEvent::Deregister { artifact, .. }
            | GtoEvent::Deprecate { artifact, .. }
            | GtoEvent::Assign { artifact, .. }
            | GtoEvent::Unassign { artifact, .. } => artifact,
        }
    }
}

fn valid_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'-' | b'_' | b'/' | b'.')
        })
        && !s.contains("..")
}

fn valid_stage(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// `vMAJOR.MINOR.PATCH` with an optional `-prerelease` / `+build`.
fn valid_version(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else {
        return false;
    };
    let core = rest.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn counter(s: &str) -> Option<Option<u64>> {
    if s.is_empty() {
        return Some(None);
    }
    s.parse::<u64>().ok().map(Some)
}

/// Parse a tag name; `None` when it is not a GTO tag.
pub fn parse_tag(tag: &str) -> Option<GtoEvent> {
    if let Some((artifact, rest)) = tag.split_once('@') {
        if !valid_name(artifact) {
            return None;
        }
        let artifact = artifact.to_owned();
        // rest: version | version#N | version!#N | deprecated | deprecated#N
        let (head, count, bang) = match rest.split_once('#') {
            // A `#` always carries a counter: `name@v1.2.3#` is not a GTO tag.
            Some((_, "")) => return None,
            Some((h, n)) => {
                let (h, bang) = match h.strip_suffix('!') {
                    Some(h) => (h, true),
                    None => (h, false),
                };
                (h, counter(n)?, bang)
            }
            None => (rest, None, false),
        };
        if head == "deprecated" && !bang {
            return Some(GtoEvent::Deprecate {
                artifact,
                counter: count,
            });
        }
        if !valid_version(head) {
            return None;
        }
        let version = head.to_owned();
        return Some(if bang {
            GtoEvent::Deregister {
                artifact,
                version,
                counter: count,
            }
        } else {
            GtoEvent::Register {
                artifact,
                version,
                counter: count,
            }
        });
    }
    let mut parts = tag.splitn(3, '#');
    let artifact = parts.next()?;
    let stage = parts.next()?;
    let n = parts.next()?;
    if !valid_name(artifact) {
        return None;
    }
    let (stage, bang) = match stage.strip_suffix('!') {
        Some(s) => (s, true),
        None => match n.strip_prefix('!') {
            // tolerate `name#stage#!N`? GTO never writes it; treat as not a GTO tag.
            Some(_) => return None,
            None => (stage, false),
        },
    };
    if !valid_stage(stage) {
        return None;
    }
    let count = counter(n)?;
    count?; // stage events always carry a counter
    let artifact = artifact.to_owned();
    let stage = stage.to_owned();
    Some(if bang {
        GtoEvent::Unassign {
            artifact,
            stage,
            counter: count,
        }
    } else {
        GtoEvent::Assign {
            artifact,
            stage,
            counter: count,
        }
    })
}

impl Collector for GtoCollector {
    fn source(&self) -> &str {
        NAME
    }

    fn collect(&self, ctx: &mut Context<'_>) -> Result<Collected, CollectError> {
        let mut out = Collected::default();
        for spec in &self.config.repos {
            let repo = Repo::open(NAME, spec, ctx.workspace)?;
            let refs = repo.refs()?;
            let mut meta_cache: std::collections::HashMap<gix::ObjectId, Value> =
                std::collections::HashMap::new();
            for r in &refs {
                let Some(tag) = r.name.strip_prefix("refs/tags/") else {
                    continue;
                };
                let Some(event) = parse_tag(tag) else {
                    continue;
                };
                let Some(commit_id) = r.commit else { continue };
                ctx.progress.inc(1);
                let commit = repo.commit(commit_id)?;
                let artifacts = match meta_cache.get(&commit.tree) {
                    Some(v) => v.clone(),
                    None => {
                        let v = match repo.blob_at(commit.tree, "dvc.yaml")? {
                            Some(b) => yaml(&repo.blob(b)?)
                                .ok()
                                .and_then(|d| d.get("artifacts").cloned())
                                .unwrap_or(Value::Null),
                            None => Value::Null,
                        };
                        meta_cache.insert(commit.tree, v.clone());
                        v
                    }
                };
                let meta = artifacts.get(event.artifact()).cloned();
                let art_type = meta
                    .as_ref()
                    .and_then(|m| m.get("type"))
                    .and_then(Value::as_str)
                    .unwrap_or("model");
                let path = meta
                    .as_ref()
                    .and_then(|m| m.get("path"))
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let artifact_blob = match &path {
                    Some(p) => repo.blob_at(commit.tree, p)?.map(|b| b.to_string()),
                    None => None,
                };
                let dvc_lock_blob = repo
                    .blob_at(commit.tree, "dvc.lock")?
                    .map(|b| b.to_string());
                let tag_info = r.tag.as_ref();
                let observed = tag_info
                    .and_then(|t| t.tagger.as_ref().map(|p| p.time))
                    .unwrap_or(commit.committer.time);
                let (kind, action, version, stage, count) = match &event {
                    GtoEvent::Register {
                        version, counter, ..
                    } => (
                        EvidenceKind::GtoRegistration,
                        "register",
                        Some(version),
                        None,
                        counter,
                    ),
                    GtoEvent::Deregister {
                        version, counter, ..
                    } => (
                        EvidenceKind::GtoRegistration,
                        "deregister",
                        Some(version),
                        None,
                        counter,
                    ),
                    GtoEvent::Deprecate { counter, .. } => (
                        EvidenceKind::GtoRegistration,
                        "deprecate",
                        None,
                        None,
                        counter,
                    ),
                    GtoEvent::Assign { stage, counter, .. } => (
                        EvidenceKind::GtoStageAssignment,
                        "assign",
                        None,
                        Some(stage),
                        counter,
                    ),
                    GtoEvent::Unassign { stage, counter, .. } => (
                        EvidenceKind::GtoStageAssignment,
                        "unassign",
                        None,
                        Some(stage),
                        counter,
                    ),
                };
                let payload = json!({
                    "repo": repo.name,
                    "artifact": event.artifact(),
                    "artifact_type": art_type,
                    "action": action,
                    "version": version,
                    "stage": stage,
                    "counter": count,
                    "tag": tag,
                    "annotated": tag_info.is_some(),
                    "tagger": tag_info.and_then(|t| t.tagger.as_ref().map(|p| p.to_json())),
                    "message": tag_info.map(|t| t.message.trim_end().to_owned()),
                    "commit": commit_id.to_string(),
                    "artifact_meta": meta,
                    "artifact_path": path,
                    "artifact_blob": artifact_blob,
                    "dvc_lock_blob": dvc_lock_blob,
                });
                out.evidence.push(Evidence {
                    kind,
                    subject: format!("{art_type}:{}", event.artifact()),
                    source: source(NAME, format!("{}@{}", repo.name, r.name)),
                    observed_at: observed,
                    collected_at: ctx.now,
                    payload: storable(payload),
                    attachments: Vec::new(),
                    expires_at: None,
                    note: None,
                });
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_forms() {
        assert_eq!(
            parse_tag("fraud-scorer@v1.2.0"),
            Some(GtoEvent::Register {
                artifact: "fraud-scorer".into(),
                version: "v1.2.0".into(),
                counter: None
            })
        );
        assert_eq!(
            parse_tag("m@v0.0.1#3"),
            Some(GtoEvent::Register {
                artifact: "m".into(),
                version: "v0.0.1".into(),
                counter: Some(3)
            })
        );
        assert_eq!(
            parse_tag("m@v0.0.1!#4"),
            Some(GtoEvent::Deregister {
                artifact: "m".into(),
                version: "v0.0.1".into(),
                counter: Some(4)
            })
        );
        assert_eq!(
            parse_tag("m#prod#2"),
            Some(GtoEvent::Assign {
                artifact: "m".into(),
                stage: "prod".into(),
                counter: Some(2)
            })
        );
        assert_eq!(
            parse_tag("awesome-model#prod!#2"),
            Some(GtoEvent::Unassign {
                artifact: "awesome-model".into(),
                stage: "prod".into(),
                counter: Some(2)
            })
        );
        assert_eq!(
            parse_tag("m@deprecated"),
            Some(GtoEvent::Deprecate {
                artifact: "m".into(),
                counter: None
            })
        );
        for not_gto in [
            "v1.0.0",
            "release-1",
            "m@1.0.0",
            "m@v1.0",
            "m#prod",
            "M@v1.0.0",
            "m#prod#x",
            "@v1.0.0",
        ] {
            assert_eq!(parse_tag(not_gto), None, "{not_gto}");
        }
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics_and_round_trips_names(s in "\\PC{0,40}") {
            if let Some(ev) = parse_tag(&s) {
                proptest::prop_assert!(s.starts_with(ev.artifact()));
            }
        }
    }
}
