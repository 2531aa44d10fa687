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

use assay_ledger::CanonicalWriter;
use assay_ledger::{CanonicalEvidence, Evidence, EvidenceKind};
use serde_json::json;

use crate::config::RepoSpec;
use crate::error::CollectError;
use crate::repo::{
    CommitInfo, CommitReader, PersonRef, PlainCommit, Repo, Walked, new_commits_walked,
    plain_commit,
};
use crate::{Collected, Collector, Context, Deferred, Sink, source};

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
    sink: &mut Sink<'_>,
) -> Result<(), CollectError> {
    let subject = format!("repo:{}", spec.name);
    let builder = Builder {
        spec,
        workspace,
        now,
        subject: &subject,
    };
    let mut refs = refs
        .into_iter()
        .map(|r| r.into_canonical().map_err(|e| refused(&e.reason)))
        .collect::<Result<Vec<_>, _>>()?;
    // The first batches are smaller, so that the ledger starts storing sooner.
    let sizes = [BATCH / 8, BATCH / 4, BATCH / 2]
        .into_iter()
        .chain(std::iter::repeat(BATCH));
    let mut batches: Vec<Vec<Walked>> = Vec::with_capacity(commits.len().div_ceil(BATCH) + 3);
    let mut rest = commits.into_iter();
    for size in sizes {
        let batch: Vec<Walked> = rest.by_ref().take(size).collect();
        if batch.is_empty() {
            break;
        }
        batches.push(batch);
    }
    let (mut repo, mut buf) = (None, Vec::new());
    let n = batches.len();
    for (i, b) in batches.into_iter().enumerate() {
        let mut items = builder.build(b, &mut repo, &mut buf)?;
        if i + 1 == n {
            items.append(&mut refs);
        }
        if !sink(items) {
            return Ok(()); // the ledger stopped taking items; its error is reported by the caller
        }
    }
    if n == 0 && !refs.is_empty() {
        sink(refs);
    }
    Ok(())
}

/// Builds the commit items of one batch.
struct Builder<'a> {
    spec: &'a RepoSpec,
    workspace: &'a Path,
    now: jiff::Timestamp,
    subject: &'a str,
}

impl Builder<'_> {
    /// The items of `batch`, reading the commits the walk did not decode (through `repo`, opened on first use):
    /// the plain layout is read in place, anything else by the full decoder.
    fn build(
        &self,
        batch: Vec<Walked>,
        repo: &mut Option<(Repo, CommitReader)>,
        buf: &mut Vec<u8>,
    ) -> Result<Vec<CanonicalEvidence>, CollectError> {
        let name = self.spec.name.as_str();
        let mut out = Vec::with_capacity(batch.len());
        for w in batch {
            if let Some(c) = &w.decoded {
                out.push(commit_evidence(
                    name,
                    self.subject,
                    &c.id,
                    &CommitFields::decoded(c),
                    self.now,
                )?);
                continue;
            }
            let (r, reader) = match repo {
                Some(r) => r,
                None => {
                    let r = Repo::open(NAME, self.spec, self.workspace)?;
                    let reader = r.commit_reader();
                    repo.insert((r, reader))
                }
            };
            let data = reader.read(r, w.id, buf)?;
            let item = match plain_commit(data, r.object_hash()) {
                Some(p) => commit_evidence(
                    name,
                    self.subject,
                    &w.id,
                    &CommitFields::plain(&p),
                    self.now,
                )?,
                None => {
                    let c = r.decode_commit(w.id, data)?;
                    commit_evidence(
                        name,
                        self.subject,
                        &w.id,
                        &CommitFields::decoded(&c),
                        self.now,
                    )?
                }
            };
            out.push(item);
        }
        Ok(out)
    }
}

/// The error for an item the ledger's canonical form refuses (a bug here, not bad input).
fn refused(reason: &str) -> CollectError {
    CollectError::Ledger {
        source_name: NAME.into(),
        message: reason.to_owned(),
    }
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

/// The `git.commit` item of commit `id`, its payload written in canonical form here (documented in
/// `docs/evidence/lineage.md`; the members in the order JCS sorts them, which the writer checks).
fn commit_evidence(
    repo: &str,
    subject: &str,
    id: &gix::oid,
    c: &CommitFields<'_>,
    now: jiff::Timestamp,
) -> Result<CanonicalEvidence, CollectError> {
    let mut hex = [0u8; 64];
    let id = id.hex_to_buf(&mut hex);
    let message = c.message.trim_end();
    let mut w = CanonicalWriter::with_capacity(320 + message.len());
    w.begin_object().key("author");
    write_person(&mut w, &c.author);
    w.key("commit").plain_str(id.as_bytes()).key("committer");
    write_person(&mut w, &c.committer);
    w.key("message").str(message).key("parents").begin_array();
    match &c.parents {
        Parents::Plain(p) => p.parents().for_each(|p| {
            w.plain_str(p.as_bytes());
        }),
        Parents::Ids(ids) => ids.iter().for_each(|p| {
            w.plain_str(p.to_hex().to_string().as_bytes());
        }),
    }
    w.end_array().key("repo").str(repo).key("signature_format");
    match c.signature {
        Some(f) => w.str(f),
        None => w.null(),
    };
    w.key("signature_verified")
        .bool(false)
        .key("signed")
        .bool(c.signature.is_some())
        .key("tree")
        .plain_str(c.tree.as_bytes())
        .end_object();
    let payload = w.finish().map_err(|e| refused(&e.reason))?;
    Ok(Evidence {
        kind: EvidenceKind::GitCommit,
        subject: subject.to_owned(),
        source: source(NAME, format!("{repo}@{id}")),
        observed_at: c.committer.time,
        collected_at: now,
        payload,
        attachments: Vec::new(),
        expires_at: None,
        note: None,
    })
}

/// What a commit item says of a commit, from the plain reader or the full decoder.
struct CommitFields<'a> {
    tree: std::borrow::Cow<'a, str>,
    parents: Parents<'a>,
    author: PersonRef<'a>,
    committer: PersonRef<'a>,
    message: &'a str,
    signature: Option<&'static str>,
}

enum Parents<'a> {
    Plain(&'a PlainCommit<'a>),
    Ids(&'a [gix::ObjectId]),
}

impl<'a> CommitFields<'a> {
    fn plain(c: &'a PlainCommit<'a>) -> Self {
        CommitFields {
            tree: c.tree.into(),
            parents: Parents::Plain(c),
            author: c.author,
            committer: c.committer,
            message: c.message,
            signature: None,
        }
    }

    fn decoded(c: &'a CommitInfo) -> Self {
        CommitFields {
            tree: c.tree.to_hex().to_string().into(),
            parents: Parents::Ids(&c.parents),
            author: c.author.as_person_ref(),
            committer: c.committer.as_person_ref(),
            message: &c.message,
            signature: c.signature,
        }
    }
}

/// A person as [`Person::into_json`] writes it, in canonical form.
fn write_person(w: &mut CanonicalWriter, p: &PersonRef<'_>) {
    w.begin_object()
        .key("email")
        .str(p.email)
        .key("name")
        .str(p.name)
        .key("time")
        .display(p.time)
        .key("utc_offset_minutes")
        .int(i64::from(p.offset_minutes))
        .end_object();
}
