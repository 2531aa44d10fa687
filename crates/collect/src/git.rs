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
    CommitInfo, CommitReader, Packs, PersonRef, PlainCommit, Repo, Walked, new_commits_walked,
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
            let packs = repo.packs();
            let (commits, refs, cursor) = plan_repo(&repo, &packs, ctx)?;
            out.cursors.push(cursor);
            let (spec, workspace, now) = (spec.clone(), ctx.workspace.to_owned(), ctx.now);
            out.deferred.push(Deferred::new(move |sink| {
                produce(&spec, &workspace, now, (commits, &packs), refs, sink)
            }));
        }
        Ok(out)
    }
}

/// Commits per batch handed to the ledger: large enough that a commit (fsync) per batch costs little, small
/// enough that reading git and storing overlap well.
const BATCH: usize = 8192;

/// The sizes of the batches `n` commits are handed to the ledger in: smaller at the start, so that the ledger
/// starts storing sooner, and at the end, so that little is left to store once the last commit is read.
fn batch_sizes(n: usize) -> Vec<usize> {
    const RAMP: [usize; 3] = [BATCH / 8, BATCH / 4, BATCH / 2];
    let mut head = Vec::new();
    let mut left = n;
    for size in RAMP {
        if left == 0 {
            break;
        }
        head.push(size.min(left));
        left -= size.min(left);
    }
    let mut tail = Vec::new();
    for size in RAMP {
        if left <= size {
            break;
        }
        tail.push(size);
        left -= size;
    }
    head.extend(std::iter::repeat_n(BATCH, left / BATCH));
    if !left.is_multiple_of(BATCH) {
        head.push(left % BATCH);
    }
    head.extend(tail.into_iter().rev());
    head
}

/// The new commits to read (oldest first), the tag and branch items, and the cursor to record.
type Planned = (Vec<Walked>, Vec<Evidence>, (String, String));

/// Walk one repository and build its tag and branch items.
fn plan_repo(repo: &Repo, packs: &Packs, ctx: &mut Context<'_>) -> Result<Planned, CollectError> {
    let (commits, refs, cursor) = new_commits_walked(repo, packs, ctx)?;
    let subject = format!("repo:{}", repo.name);
    // Committer times of the commits refs point at, from the walk where it has them.
    let mut times: HashMap<gix::ObjectId, i64> = HashMap::new();
    let targets: std::collections::HashSet<gix::ObjectId> =
        refs.iter().filter_map(|r| r.commit).collect();
    for c in &commits {
        if targets.contains(&c.id) {
            times.insert(c.id, c.time);
        }
    }
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
    (commits, packs): (Vec<Walked>, &Packs),
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
    let mut batches: Vec<Vec<Walked>> = Vec::with_capacity(commits.len().div_ceil(BATCH) + 8);
    let mut rest = commits.into_iter();
    for size in batch_sizes(rest.len()) {
        batches.push(rest.by_ref().take(size).collect());
    }
    let n = batches.len();
    let two = std::thread::available_parallelism().is_ok_and(|p| p.get() > 1);
    std::thread::scope(|s| {
        // A second thread builds the second half of every batch while this one builds the first: reading and
        // decoding commits is the longest part of a large collection, and the ledger stores on a third.
        let (to_helper, halves) = std::sync::mpsc::sync_channel::<Vec<Walked>>(1);
        let (helper_out, from_helper) = std::sync::mpsc::sync_channel(1);
        let builder = &builder;
        if two {
            s.spawn(move || {
                let (mut repo, mut buf) = ((None, CommitReader::new(packs)), Vec::new());
                for half in halves {
                    if helper_out
                        .send(builder.build(half, &mut repo, &mut buf))
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
        let (mut repo, mut buf) = ((None, CommitReader::new(packs)), Vec::new());
        for (i, mut b) in batches.into_iter().enumerate() {
            let second = if two && b.len() >= 64 {
                b.split_off(b.len() / 2)
            } else {
                Vec::new()
            };
            let handed = !second.is_empty() && to_helper.send(second).is_ok();
            let mut items = builder.build(b, &mut repo, &mut buf)?;
            if handed {
                let rest = from_helper
                    .recv()
                    .map_err(|_| refused("the second commit reader stopped unexpectedly"))?;
                items.extend(rest?);
            }
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
    })
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
        (repo, reader): &mut (Option<Repo>, CommitReader<'_>),
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
            let r = match repo {
                Some(r) => r,
                None => repo.insert(Repo::open(NAME, self.spec, self.workspace)?),
            };
            let data = reader.read(r, w.id, w.at, buf)?;
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
    // Names and punctuation come to about 380 bytes, plus 43 per parent (one, mostly).
    let text = [
        c.author.name,
        c.author.email,
        c.committer.name,
        c.committer.email,
        repo,
        message,
    ];
    let mut w = CanonicalWriter::with_capacity(448 + text.iter().map(|t| t.len()).sum::<usize>());
    w.begin_object().key("author");
    write_person(&mut w, &c.author);
    w.key("commit").plain_str(id).key("committer");
    write_person(&mut w, &c.committer);
    w.key("message").str(message).key("parents").begin_array();
    match &c.parents {
        Parents::Plain(p) => p.parents().for_each(|p| {
            w.plain_str(p);
        }),
        Parents::Ids(ids) => ids.iter().for_each(|p| {
            w.plain_str(&p.to_hex().to_string());
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
        .plain_str(&c.tree)
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

/// The `git.commit` payload the collector writes for a commit object's bytes `data` (repository `repo`,
/// object id `id` in hex, SHA-1), and whether the bytes were read in place (the common layout) rather than by gix's
/// full decoder. With `full_decoder`, the full decoder is used whatever the layout (the fuzz body compares the
/// two).
pub fn commit_payload(
    repo: &str,
    id: &str,
    data: &[u8],
    full_decoder: bool,
) -> Result<(assay_ledger::CanonicalJson, bool), CollectError> {
    let decode_err = |message: String| CollectError::Git {
        source_name: NAME.into(),
        path: std::path::PathBuf::from(repo),
        message: format!("commit {id}: {message}"),
    };
    let id = gix::ObjectId::from_hex(id.as_bytes()).map_err(|e| decode_err(e.to_string()))?;
    let id = &id;
    let now = jiff::Timestamp::UNIX_EPOCH;
    let (item, in_place) = match plain_commit(data, gix::hash::Kind::Sha1).filter(|_| !full_decoder)
    {
        Some(p) => (
            commit_evidence(repo, "", id, &CommitFields::plain(&p), now)?,
            true,
        ),
        None => {
            let c = crate::repo::decode_commit_bytes(id.to_owned(), data, gix::hash::Kind::Sha1)
                .map_err(decode_err)?;
            (
                commit_evidence(repo, "", id, &CommitFields::decoded(&c), now)?,
                false,
            )
        }
    };
    Ok((item.payload, in_place))
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn batches_ramp_up_and_down() {
        assert_eq!(
            batch_sizes(100_000),
            [1024, 2048, 4096]
                .into_iter()
                .chain(std::iter::repeat_n(8192, 10))
                .chain([3744, 4096, 2048, 1024])
                .collect::<Vec<_>>()
        );
        assert_eq!(batch_sizes(0), Vec::<usize>::new());
        assert_eq!(batch_sizes(1500), [1024, 476]);
    }

    proptest! {
        #[test]
        fn batches_cover_every_commit_once(n in 0usize..200_000) {
            let sizes = batch_sizes(n);
            prop_assert_eq!(sizes.iter().sum::<usize>(), n);
            prop_assert!(sizes.iter().all(|&s| s > 0 && s <= BATCH));
        }
    }
}
