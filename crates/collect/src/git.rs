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

use assay_ledger::{Evidence, EvidenceKind};
use serde_json::json;

use crate::config::RepoSpec;
use crate::error::CollectError;
use crate::repo::{CommitInfo, Repo, new_commits};
use crate::{Collected, Collector, Context, source};

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

    fn collect(&self, ctx: &mut Context<'_>) -> Result<Collected, CollectError> {
        let mut out = Collected::default();
        for spec in &self.config.repos {
            let repo = Repo::open(NAME, spec, ctx.workspace)?;
            collect_repo(&repo, ctx, &mut out)?;
        }
        Ok(out)
    }
}

fn collect_repo(
    repo: &Repo,
    ctx: &mut Context<'_>,
    out: &mut Collected,
) -> Result<(), CollectError> {
    let (commits, refs, cursor) = new_commits(repo, ctx)?;
    let subject = format!("repo:{}", repo.name);
    let times: HashMap<gix::ObjectId, jiff::Timestamp> =
        commits.iter().map(|c| (c.id, c.committer.time)).collect();
    for c in &commits {
        out.evidence
            .push(commit_evidence(repo, &subject, c, ctx.now));
    }
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
            out.evidence.push(Evidence {
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
            out.evidence.push(Evidence {
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
    out.cursors.push(cursor);
    Ok(())
}

fn commit_time(
    repo: &Repo,
    walked: &HashMap<gix::ObjectId, jiff::Timestamp>,
    id: gix::ObjectId,
) -> Result<jiff::Timestamp, CollectError> {
    if let Some(t) = walked.get(&id) {
        return Ok(*t);
    }
    Ok(repo.commit(id)?.committer.time)
}

pub(crate) fn commit_evidence(
    repo: &Repo,
    subject: &str,
    c: &CommitInfo,
    now: jiff::Timestamp,
) -> Evidence {
    Evidence {
        kind: EvidenceKind::GitCommit,
        subject: subject.to_owned(),
        source: source(NAME, format!("{}@{}", repo.name, c.id)),
        observed_at: c.committer.time,
        collected_at: now,
        payload: json!({
            "repo": repo.name,
            "commit": c.id.to_string(),
            "tree": c.tree.to_string(),
            "parents": c.parents.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
            "author": c.author.to_json(),
            "committer": c.committer.to_json(),
            "message": c.message.trim_end(),
            "signed": c.signature.is_some(),
            "signature_format": c.signature,
            "signature_verified": false,
        }),
        attachments: Vec::new(),
        expires_at: None,
        note: None,
    }
}
