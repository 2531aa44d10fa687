//! `[source.git]`: commits, annotated and lightweight tags and branch heads of one or several repositories.
//!
//! Items (payloads are documented in `docs/evidence/lineage.md`):
//! * `git.commit` — one per commit, `observed_at` = committer time, subject `repo:NAME`, locator `NAME@SHA`;
//! * `git.tag` — one per tag and target, `observed_at` = tagger time (annotated) or the commit's time;
//! * `git.branch` — one per branch head position, `observed_at` = the head commit's committer time.
//!
//! Incremental: the cursor `repo:NAME` holds the ref tips of the last run; commits reachable from them are
//! not read again. Tags and branch heads are re-read every run (they are few; unchanged ones are no-ops).

use std::collections::HashMap;
use std::path::Path;

use assay_ledger::{Evidence, EvidenceKind};
use serde_json::json;

use crate::config::RepoSpec;
use crate::error::CollectError;
use crate::repo::{CommitInfo, Repo, Walked, new_commits_walked};
use crate::{Collected, Collector, Context, Deferred, source};

/// Config of `[source.git]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitConfig {
    pub repos: Vec<RepoSpec>,
}

/// The git collector.
#[derive(Debug, Clone)]
pub struct GitCollector {
    config: GitConfig,
}

impl GitCollector {
    pub fn new(config: GitConfig) -> Self {
        GitCollector { config }
    }
}

const NAME: &str = "git";

impl Collector for GitCollector {
    fn source(&self) -> &str {
        NAME
    }

    /// Walks every repository (the commit-graph makes that cheap) and builds the tag and branch items; the commit
    /// items are built afterwards by [`Deferred`] producers, one per repository, while the ledger stores them.
    fn collect(&self, ctx: &mut Context<'_>) -> Result<Collected, CollectError> {
        let mut out = Collected::default();
        for spec in &self.config.repos {
            let repo = Repo::open(NAME, spec, ctx.workspace)?;
            let (commits, refs, cursor) = plan_repo(&repo, ctx)?;
            out.cursors.push(cursor);
            let (spec, workspace, now) = (spec.clone(), ctx.workspace.to_owned(), ctx.now);
            out.deferred.push(Deferred::new(move |sink| {
                produce(&spec, &workspace, now, commits, refs, sink)
            }));
        }
        Ok(out)
    }
}

/// Commits per batch handed to the ledger: large enough that a commit (fsync) per batch costs little, small
/// enough that reading git and storing overlap well.
const BATCH: usize = 8192;

/// The new commits to read (oldest first), the tag and branch items, and the cursor to record.
type Planned = (Vec<Walked>, Vec<Evidence>, (String, String));

/// Walk one repository and build its tag and branch items.
fn plan_repo(repo: &Repo, ctx: &mut Context<'_>) -> Result<Planned, CollectError> {
    let (commits, refs, cursor) = new_commits_walked(repo, ctx)?;
    let subject = format!("repo:{}", repo.name);
    let times: HashMap<gix::ObjectId, i64> = commits.iter().map(|c| (c.id, c.time)).collect();
    let mut items = Vec::new();
    for r in &refs {
        let Some(commit) = r.commit else { continue };
        if let Some(tag_name) = r.name.strip_prefix("refs/tags/") {
            let commit_time = commit_time(repo, &times, commit)?;
            let observed = r
                .tag
                .as_ref()
                .and_then(|t| t.tagger.as_ref().map(|p| p.time))
                .unwrap_or(commit_time);
            let payload = json!({
                "repo": repo.name,
                "tag": tag_name,
                "commit": commit.to_string(),
                "annotated": r.tag.is_some(),
                "tag_object": r.tag.as_ref().map(|t| t.id.to_string()),
                "tagger": r.tag.as_ref().and_then(|t| t.tagger.as_ref().map(|p| p.to_json())),
                "message": r.tag.as_ref().map(|t| t.message.trim_end().to_owned()),
                "signed": r.tag.as_ref().is_some_and(|t| t.signature.is_some()),
                "signature_format": r.tag.as_ref().and_then(|t| t.signature),
            });
            items.push(Evidence {
                kind: EvidenceKind::GitTag,
                subject: subject.clone(),
                source: source(NAME, format!("{}@{}", repo.name, r.name)),
                observed_at: observed,
                collected_at: ctx.now,
                payload,
                attachments: Vec::new(),
                expires_at: None,
                note: None,
            });
        } else if let Some(branch) = r.name.strip_prefix("refs/heads/") {
            let observed = commit_time(repo, &times, commit)?;
            items.push(Evidence {
                kind: EvidenceKind::GitBranch,
                subject: subject.clone(),
                source: source(NAME, format!("{}@{}", repo.name, r.name)),
                observed_at: observed,
                collected_at: ctx.now,
                payload: json!({
                    "repo": repo.name,
                    "branch": branch,
                    "head": commit.to_string(),
                }),
                attachments: Vec::new(),
                expires_at: None,
                note: None,
            });
        }
    }
    Ok((commits, items, cursor))
}

/// Build the commit items of one repository in order, then its ref items, handing them to `sink` in batches.
/// Commits the walk did not decode are read here (the repository is opened again: this runs on its own thread).
fn produce(
    spec: &RepoSpec,
    workspace: &Path,
    now: jiff::Timestamp,
    commits: Vec<Walked>,
    refs: Vec<Evidence>,
    sink: &mut dyn FnMut(Vec<Evidence>) -> bool,
) -> Result<(), CollectError> {
    let mut repo: Option<Repo> = None;
    let mut buf = Vec::new();
    let name = spec.name.as_str();
    let subject = format!("repo:{name}");
    let mut batch = Vec::with_capacity(BATCH.min(commits.len() + refs.len()));
    for w in commits {
        let c = match w.decoded {
            Some(c) => c,
            None => {
                let r = match repo.take() {
                    Some(r) => r,
                    None => Repo::open(NAME, spec, workspace)?,
                };
                let c = r.commit_in(w.id, &mut buf)?;
                repo = Some(r);
                c
            }
        };
        batch.push(commit_evidence(name, &subject, c, now));
        if batch.len() == BATCH && !sink(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))) {
            return Ok(()); // the ledger stopped taking items; its error is reported by the caller
        }
    }
    batch.extend(refs);
    if !batch.is_empty() {
        sink(batch);
    }
    Ok(())
}

fn commit_time(
    repo: &Repo,
    walked: &HashMap<gix::ObjectId, i64>,
    id: gix::ObjectId,
) -> Result<jiff::Timestamp, CollectError> {
    if let Some(t) = walked
        .get(&id)
        .and_then(|s| jiff::Timestamp::from_second(*s).ok())
    {
        return Ok(t);
    }
    Ok(repo.commit(id)?.committer.time)
}

/// The `git.commit` item of `c` (its strings move into the payload).
fn commit_evidence(repo: &str, subject: &str, c: CommitInfo, now: jiff::Timestamp) -> Evidence {
    let mut message = c.message;
    message.truncate(message.trim_end().len());
    Evidence {
        kind: EvidenceKind::GitCommit,
        subject: subject.to_owned(),
        source: source(NAME, format!("{repo}@{}", c.id)),
        observed_at: c.committer.time,
        collected_at: now,
        payload: json!({
            "repo": repo,
            "commit": c.id.to_string(),
            "tree": c.tree.to_string(),
            "parents": c.parents.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
            "author": c.author.into_json(),
            "committer": c.committer.into_json(),
            "message": message,
            "signed": c.signature.is_some(),
            "signature_format": c.signature,
            "signature_verified": false,
        }),
        attachments: Vec::new(),
        expires_at: None,
        note: None,
    }
}
