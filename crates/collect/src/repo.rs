//! Reading a git repository with gix: references, commits, tags, trees and blobs, and the incremental commit
//! walk shared by the git, DVC, GTO and LFS collectors.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use gix::ObjectId;
use gix::objs::{CommitRef, Kind, TagRef, TreeRefIter};
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::config::RepoSpec;
use crate::error::CollectError;

/// An open repository and the source reading it.
pub(crate) struct Repo {
    pub name: String,
    pub path: PathBuf,
    pub source: &'static str,
    repo: gix::Repository,
}

/// A person and time from a commit or tag header.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Person {
    pub name: String,
    pub email: String,
    pub time: Timestamp,
    /// UTC offset in minutes as recorded.
    pub offset_minutes: i32,
}

impl Person {
    pub fn to_json(&self) -> Value {
        self.clone().into_json()
    }

    /// The JSON form, moving the strings in.
    pub fn into_json(self) -> Value {
        json!({
            "name": self.name,
            "email": self.email,
            "time": self.time.to_string(),
            "utc_offset_minutes": self.offset_minutes,
        })
    }
}

/// A decoded commit.
#[derive(Debug, Clone)]
pub(crate) struct CommitInfo {
    pub id: ObjectId,
    pub tree: ObjectId,
    pub parents: Vec<ObjectId>,
    pub author: Person,
    pub committer: Person,
    pub message: String,
    /// Signature format when the commit carries one (`openpgp`, `ssh`, `x509`); never verified here.
    pub signature: Option<&'static str>,
}

/// What the walk needs of a commit: committer time and parents, and the decoded commit when reading it meant
/// decoding it.
struct Node {
    time: i64,
    parents: Vec<ObjectId>,
    decoded: Option<CommitInfo>,
}

/// A commit selected by a walk: id, committer time (seconds), and the decoded commit when the walk read it.
pub(crate) struct Walked {
    pub id: ObjectId,
    pub time: i64,
    /// Boxed: most walks decode nothing, and a walk moves its commits around.
    pub decoded: Option<Box<CommitInfo>>,
    /// Where the commit is in the [`Packs`] the walk was given, when it looked.
    pub at: Option<PackAt>,
}

/// A pack entry: which of the [`Packs`], and the offset in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PackAt {
    pack: u16,
    offset: u64,
}

/// Parents and committer time of `id` from the commit-graph; `None` when it lacks the commit or is inconsistent.
fn graph_node(graph: &gix::commitgraph::Graph, id: ObjectId) -> Option<Node> {
    let c = graph.commit_by_id(id)?;
    let time = i64::try_from(c.committer_timestamp()).ok()?;
    let mut parents = Vec::with_capacity(1);
    for p in c.iter_parents() {
        let p = p.ok()?;
        if p.0 >= graph.num_commits() {
            return None;
        }
        parents.push(graph.id_at(p).to_owned());
    }
    Some(Node {
        time,
        parents,
        decoded: None,
    })
}

/// The pack files of a repository (see [`Repo::packs`]).
pub(crate) struct Packs(Vec<gix::odb::pack::Bundle>);

/// The first 8 bytes of an id, for comparing ids without a call to `memcmp` most of the time.
fn prefix(id: &gix::oid) -> u64 {
    let b = id.as_bytes();
    let mut p = [0u8; 8];
    p.copy_from_slice(&b[..8]);
    u64::from_be_bytes(p)
}

impl Packs {
    /// The pack entry of every commit of `graph`, by position, found by merging the graph's ids with each pack
    /// index (both sorted) instead of searching an index per commit. `None` when the graph's ids are not in
    /// order (a chain of several graph files): the reader then searches the indexes.
    pub fn locate(&self, graph: &gix::commitgraph::Graph) -> Option<Vec<Option<PackAt>>> {
        use std::cmp::Ordering;
        let n = graph.num_commits();
        let cmp = |a: &gix::oid, b: &gix::oid| prefix(a).cmp(&prefix(b)).then_with(|| a.cmp(b));
        let id = |j: u32| graph.id_at(gix::commitgraph::Position(j));
        if (1..n).any(|j| cmp(id(j - 1), id(j)) != Ordering::Less) {
            return None;
        }
        let mut at: Vec<Option<PackAt>> = vec![None; n as usize];
        for (k, bundle) in self.0.iter().enumerate() {
            let index = &bundle.index;
            let (mut i, mut j, m) = (0u32, 0u32, index.num_objects());
            while i < m && j < n {
                match cmp(index.oid_at_index(i), id(j)) {
                    Ordering::Less => i += 1,
                    Ordering::Greater => j += 1,
                    Ordering::Equal => {
                        at[j as usize].get_or_insert(PackAt {
                            pack: k as u16,
                            offset: index.pack_offset_at_index(i),
                        });
                        i += 1;
                        j += 1;
                    }
                }
            }
        }
        Some(at)
    }
}

/// Reads commit objects one after another straight from the repository's pack files — at the entry the walk
/// located, or after one index search, and one inflate each, with no object-database handle in between — and
/// through the object database when a commit is not in a pack opened for the walk (loose, in an alternate, in
/// a pack written since) or a pack entry does not decode. The bytes are the object's, as the object database
/// would return them.
pub(crate) struct CommitReader<'p> {
    packs: &'p Packs,
    inflate: gix::zlib::Inflate,
    /// The pack that held the last commit read: the next is most likely in it too.
    last: usize,
}

impl<'p> CommitReader<'p> {
    pub fn new(packs: &'p Packs) -> Self {
        CommitReader {
            packs,
            inflate: gix::zlib::Inflate::default(),
            last: 0,
        }
    }

    /// Decode the entry at `at`; `None` when it does not decode (the caller asks the object database).
    fn decode_at(&mut self, at: PackAt, buf: &mut Vec<u8>) -> Option<Kind> {
        let bundle = self.packs.0.get(usize::from(at.pack))?;
        let entry = bundle.pack.entry(at.offset).ok()?;
        let resolve = |id: &gix::oid, _: &mut Vec<u8>| {
            Ok(bundle.index.lookup(id).and_then(|i| {
                bundle
                    .pack
                    .entry(bundle.index.pack_offset_at_index(i))
                    .ok()
                    .map(gix::odb::pack::data::decode::entry::ResolvedBase::InPack)
            }))
        };
        let outcome = bundle
            .pack
            .decode_entry(
                entry,
                buf,
                &mut self.inflate,
                &resolve,
                &mut gix::odb::pack::cache::Never,
            )
            .ok()?;
        Some(outcome.kind)
    }

    /// The bytes of commit `id` (at `at` when the walk located it), in `buf`; `repo` is the fallback.
    pub fn read<'b>(
        &mut self,
        repo: &Repo,
        id: ObjectId,
        at: Option<PackAt>,
        buf: &'b mut Vec<u8>,
    ) -> Result<&'b [u8], CollectError> {
        let mut found = at.and_then(|at| self.decode_at(at, buf));
        if found.is_none() && at.is_none() {
            let n = self.packs.0.len();
            for k in 0..n {
                let i = (self.last + k) % n;
                let bundle = &self.packs.0[i];
                if let Some(idx) = bundle.index.lookup(id) {
                    self.last = i;
                    let offset = bundle.index.pack_offset_at_index(idx);
                    found = self.decode_at(
                        PackAt {
                            pack: i as u16,
                            offset,
                        },
                        buf,
                    );
                    break;
                }
            }
        }
        match found {
            Some(Kind::Commit) => Ok(buf.as_slice()),
            Some(kind) => Err(repo.err(format!("{id} is a {kind}, not a commit"))),
            None => repo.commit_bytes_in(id, buf),
        }
    }
}

/// Decode a commit object's bytes with gix's decoder (every layout git accepts).
pub(crate) fn decode_commit_bytes(
    id: ObjectId,
    data: &[u8],
    hash: gix::hash::Kind,
) -> Result<CommitInfo, String> {
    decode_commit(id, data, hash)
}

fn decode_commit(id: ObjectId, data: &[u8], hash: gix::hash::Kind) -> Result<CommitInfo, String> {
    let c = CommitRef::from_bytes(data, hash).map_err(|e| e.to_string())?;
    let author = c.author().map_err(|e| e.to_string())?;
    let committer = c.committer().map_err(|e| e.to_string())?;
    let unreadable = || "unreadable time in signature".to_owned();
    let signature = c
        .extra_headers()
        .pgp_signature()
        .map(|s| signature_format(s.as_ref()));
    Ok(CommitInfo {
        id,
        tree: c.tree(),
        parents: c.parents().collect(),
        author: person(&author).ok_or_else(unreadable)?,
        committer: person(&committer).ok_or_else(unreadable)?,
        message: String::from_utf8_lossy(c.message.as_ref()).into_owned(),
        signature,
    })
}

/// A reference and what it points at.
#[derive(Debug, Clone)]
pub(crate) struct RefInfo {
    /// Full name, e.g. `refs/tags/v1`.
    pub name: String,
    /// The commit reached by peeling, if any.
    pub commit: Option<ObjectId>,
    /// The tag object, for annotated tags.
    pub tag: Option<TagInfo>,
}

/// A decoded annotated tag.
#[derive(Debug, Clone)]
pub(crate) struct TagInfo {
    pub id: ObjectId,
    pub tagger: Option<Person>,
    pub message: String,
    pub signature: Option<&'static str>,
}

impl Repo {
    /// Open a repository (a work tree or a bare `.git` folder) without reading user or system config.
    pub fn open(
        source: &'static str,
        spec: &RepoSpec,
        workspace: &Path,
    ) -> Result<Repo, CollectError> {
        let path = spec.resolve(workspace);
        let repo = gix::open_opts(&path, gix::open::Options::isolated()).map_err(|e| {
            CollectError::Git {
                source_name: source.into(),
                path: path.clone(),
                message: e.to_string(),
            }
        })?;
        Ok(Repo {
            name: spec.name.clone(),
            path,
            source,
            repo,
        })
    }

    pub fn err(&self, message: impl std::fmt::Display) -> CollectError {
        CollectError::Git {
            source_name: self.source.into(),
            path: self.path.clone(),
            message: message.to_string(),
        }
    }

    /// Read an object's kind and bytes.
    pub fn read(&self, id: ObjectId) -> Result<(Kind, Vec<u8>), CollectError> {
        let obj = self
            .repo
            .find_object(id)
            .map_err(|e| self.err(format!("object {id}: {e}")))?;
        Ok((obj.kind, obj.detach().data))
    }

    /// Size of an object without reading it whole.
    pub fn size(&self, id: ObjectId) -> Result<u64, CollectError> {
        let h = self
            .repo
            .find_header(id)
            .map_err(|e| self.err(format!("object {id}: {e}")))?;
        Ok(h.size())
    }

    fn hash_kind(&self) -> gix::hash::Kind {
        self.repo.object_hash()
    }

    /// The repository's hash (SHA-1 or SHA-256).
    pub fn object_hash(&self) -> gix::hash::Kind {
        self.repo.object_hash()
    }

    /// The repository's pack files, opened (mapped) now: a commit located in them is read from these files
    /// even if the repository is repacked meanwhile.
    pub fn packs(&self) -> Packs {
        let dir = self.repo.common_dir().join("objects").join("pack");
        let mut packs = Vec::new();
        if let Ok(entries) = std::fs::read_dir(&dir) {
            let mut idx: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "idx"))
                .collect();
            idx.sort();
            // A pack that does not open (being written, say) is left to the object database.
            packs.extend(
                idx.iter()
                    .filter_map(|p| gix::odb::pack::Bundle::at(p, self.hash_kind()).ok())
                    .take(usize::from(u16::MAX)),
            );
        }
        Packs(packs)
    }

    /// Decode a commit.
    pub fn commit(&self, id: ObjectId) -> Result<CommitInfo, CollectError> {
        let (kind, data) = self.read(id)?;
        if kind != Kind::Commit {
            return Err(self.err(format!("{id} is a {kind}, not a commit")));
        }
        self.decode_commit(id, &data)
    }

    pub fn decode_commit(&self, id: ObjectId, data: &[u8]) -> Result<CommitInfo, CollectError> {
        decode_commit(id, data, self.hash_kind()).map_err(|e| self.err(format!("commit {id}: {e}")))
    }

    /// Every reference (branches, tags, remotes), with tags decoded and peeled to commits.
    pub fn refs(&self) -> Result<Vec<RefInfo>, CollectError> {
        let platform = self.repo.references().map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for r in platform.all().map_err(|e| self.err(e))? {
            let r = r.map_err(|e| self.err(e))?;
            let name = r.name().as_bstr().to_string();
            let Some(target) = r.target().try_id().map(|id| id.to_owned()) else {
                continue; // symbolic (HEAD, origin/HEAD)
            };
            let mut tag = None;
            let mut cur = target;
            let mut commit = None;
            for _ in 0..16 {
                let (kind, data) = self.read(cur)?;
                match kind {
                    Kind::Commit => {
                        commit = Some(cur);
                        break;
                    }
                    Kind::Tag => {
                        let t = TagRef::from_bytes(&data, self.hash_kind())
                            .map_err(|e| self.err(format!("tag {cur}: {e}")))?;
                        if tag.is_none() {
                            let tagger = t
                                .tagger()
                                .map_err(|e| self.err(format!("tag {cur}: {e}")))?
                                .and_then(|s| person(&s));
                            tag = Some(TagInfo {
                                id: cur,
                                tagger,
                                message: String::from_utf8_lossy(t.message.as_ref()).into_owned(),
                                signature: t.signature.map(|s| signature_format(s.as_ref())),
                            });
                        }
                        cur = t.target();
                    }
                    _ => break,
                }
            }
            out.push(RefInfo { name, commit, tag });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Decode a commit into `buf` (reused between calls, so a long walk does not allocate per object).
    pub fn commit_in(&self, id: ObjectId, buf: &mut Vec<u8>) -> Result<CommitInfo, CollectError> {
        let data = self.commit_bytes_in(id, buf)?;
        self.decode_commit(id, data)
    }

    /// The bytes of commit `id`, read through the object database into `buf`.
    pub fn commit_bytes_in<'b>(
        &self,
        id: ObjectId,
        buf: &'b mut Vec<u8>,
    ) -> Result<&'b [u8], CollectError> {
        use gix::objs::Find as _;
        let data = self
            .repo
            .objects
            .try_find(&id, buf)
            .map_err(|e| self.err(format!("object {id}: {e}")))?
            .ok_or_else(|| self.err(format!("object {id}: not found")))?;
        if data.kind != Kind::Commit {
            return Err(self.err(format!("{id} is a {}, not a commit", data.kind)));
        }
        Ok(data.data)
    }

    /// The repository's commit-graph file, when it has a usable one: the walk then reads parents and times
    /// from it instead of inflating every commit.
    pub fn commit_graph(&self) -> Option<gix::commitgraph::Graph> {
        self.repo.commit_graph_if_enabled().ok().flatten()
    }

    /// Commits reachable from `tips` but not from `hidden`, oldest first (committer time, then id).
    ///
    /// Like `git rev-list TIPS --not HIDDEN`: commits are visited newest first, "hidden" spreads from the
    /// hidden tips to their ancestors, and the walk stops once only hidden commits are left. With skewed
    /// commit times a commit may be returned again (harmless: the ledger stores it once); none is missed.
    pub fn walk(
        &self,
        tips: &[ObjectId],
        hidden: &[ObjectId],
        on_commit: impl FnMut(),
    ) -> Result<Vec<CommitInfo>, CollectError> {
        let mut buf = Vec::new();
        let walked = self.walk_nodes(tips, hidden, on_commit, |id| {
            self.decoded_node(id, &mut buf)
        })?;
        Ok(walked
            .into_iter()
            .filter_map(|w| w.decoded.map(|c| *c))
            .collect())
    }

    /// The same walk, reading parents and committer times from the commit-graph `graph` where it has the commit
    /// (commits it lacks are decoded); returns the selected commits oldest first, decoded only when they had to be.
    pub fn walk_graph(
        &self,
        graph: &gix::commitgraph::Graph,
        tips: &[ObjectId],
        hidden: &[ObjectId],
        on_commit: impl FnMut(),
    ) -> Result<Vec<Walked>, CollectError> {
        let mut buf = Vec::new();
        self.walk_nodes(tips, hidden, on_commit, |id| match graph_node(graph, id) {
            Some(node) => Ok(node),
            None => self.decoded_node(id, &mut buf),
        })
    }

    /// The same walk over commit-graph positions alone, when every tip is in `graph` (and every hidden tip is
    /// in it or gone): flags in a vector instead of maps keyed by id, parents and times read in place. `None`
    /// when a tip is outside the graph (commits made since it was written): the caller walks by id instead.
    pub fn walk_positions(
        &self,
        graph: &gix::commitgraph::Graph,
        tips: &[ObjectId],
        hidden: &[ObjectId],
        packs: &Packs,
        mut on_commit: impl FnMut(),
    ) -> Result<Option<Vec<Walked>>, CollectError> {
        use std::collections::BinaryHeap;
        const SEEN: u8 = 1;
        const HIDDEN: u8 = 2;
        const QUEUED: u8 = 4;
        let mut starts = Vec::with_capacity(hidden.len() + tips.len());
        for h in hidden {
            match graph.lookup(h) {
                Some(p) => starts.push((p, true)),
                None if self.repo.has_object(*h) => return Ok(None),
                None => {} // history rewritten: an old tip that is gone hides nothing
            }
        }
        for t in tips {
            match graph.lookup(t) {
                Some(p) => starts.push((p, false)),
                None => return Ok(None),
            }
        }
        let hidden_set: HashSet<&ObjectId> = hidden.iter().collect();
        if !tips.is_empty() && tips.iter().all(|t| hidden_set.contains(t)) {
            return Ok(Some(Vec::new()));
        }
        let n = graph.num_commits() as usize;
        let corrupt = || {
            self.err("the commit-graph file is inconsistent (a parent outside it); run `git commit-graph write`")
        };
        let mut flags = vec![0u8; n];
        let mut heap: BinaryHeap<(i64, u32)> = BinaryHeap::new();
        let mut visible = 0usize;
        let push = |pos: gix::commitgraph::Position,
                    hide: bool,
                    flags: &mut [u8],
                    heap: &mut BinaryHeap<(i64, u32)>,
                    visible: &mut usize|
         -> Result<(), CollectError> {
            let f = flags.get_mut(pos.0 as usize).ok_or_else(corrupt)?;
            if *f & SEEN != 0 {
                if hide && *f & (HIDDEN | QUEUED) == QUEUED {
                    *f |= HIDDEN;
                    *visible -= 1;
                }
                return Ok(());
            }
            *f = SEEN | QUEUED | if hide { HIDDEN } else { 0 };
            if !hide {
                *visible += 1;
            }
            let time =
                i64::try_from(graph.commit_at(pos).committer_timestamp()).map_err(|_| corrupt())?;
            heap.push((time, pos.0));
            Ok(())
        };
        for (p, hide) in starts {
            push(p, hide, &mut flags, &mut heap, &mut visible)?;
        }
        let mut out: Vec<(u32, i64)> = Vec::new();
        let mut parents = Vec::with_capacity(2);
        while visible > 0 {
            let Some((time, raw)) = heap.pop() else { break };
            let f = &mut flags[raw as usize];
            *f &= !QUEUED;
            let hide = *f & HIDDEN != 0;
            if !hide {
                visible -= 1;
            }
            let commit = graph.commit_at(gix::commitgraph::Position(raw));
            parents.clear();
            for p in commit.iter_parents() {
                parents.push(p.map_err(|_| corrupt())?);
            }
            for p in &parents {
                push(*p, hide, &mut flags, &mut heap, &mut visible)?;
            }
            if !hide {
                on_commit();
                out.push((raw, time));
            }
        }
        let located = packs.locate(graph);
        let mut out: Vec<Walked> = out
            .into_iter()
            .map(|(raw, time)| Walked {
                id: graph.id_at(gix::commitgraph::Position(raw)).to_owned(),
                time,
                decoded: None,
                at: located.as_ref().and_then(|l| l[raw as usize]),
            })
            .collect();
        // Ids are unique, so an unstable sort gives the one order.
        out.sort_unstable_by(|a, b| a.time.cmp(&b.time).then(a.id.cmp(&b.id)));
        Ok(Some(out))
    }

    fn decoded_node(&self, id: ObjectId, buf: &mut Vec<u8>) -> Result<Node, CollectError> {
        let c = self.commit_in(id, buf)?;
        Ok(Node {
            time: c.committer.time.as_second(),
            parents: c.parents.clone(),
            decoded: Some(c),
        })
    }

    fn walk_nodes(
        &self,
        tips: &[ObjectId],
        hidden: &[ObjectId],
        mut on_commit: impl FnMut(),
        mut node: impl FnMut(ObjectId) -> Result<Node, CollectError>,
    ) -> Result<Vec<Walked>, CollectError> {
        use std::collections::{BinaryHeap, HashMap};
        let hidden_set: HashSet<ObjectId> = hidden.iter().copied().collect();
        if !tips.is_empty() && tips.iter().all(|t| hidden_set.contains(t)) {
            return Ok(Vec::new());
        }
        // id → (hidden, still queued); read commits wait in `cache` until popped.
        let mut state: HashMap<ObjectId, (bool, bool)> = HashMap::new();
        let mut heap: BinaryHeap<(i64, ObjectId)> = BinaryHeap::new();
        let mut cache: HashMap<ObjectId, Node> = HashMap::new();
        let mut visible = 0usize;
        let mut push = |id: ObjectId,
                        hide: bool,
                        state: &mut HashMap<ObjectId, (bool, bool)>,
                        heap: &mut BinaryHeap<(i64, ObjectId)>,
                        cache: &mut HashMap<ObjectId, Node>,
                        visible: &mut usize|
         -> Result<(), CollectError> {
            match state.get(&id).copied() {
                Some((false, true)) if hide => {
                    state.insert(id, (true, true));
                    *visible -= 1;
                }
                Some(_) => {}
                None => {
                    if hide && !self.repo.has_object(id) {
                        return Ok(()); // history rewritten: an old tip that is gone hides nothing
                    }
                    let n = node(id)?;
                    heap.push((n.time, id));
                    cache.insert(id, n);
                    state.insert(id, (hide, true));
                    if !hide {
                        *visible += 1;
                    }
                }
            }
            Ok(())
        };
        for h in hidden {
            push(*h, true, &mut state, &mut heap, &mut cache, &mut visible)?;
        }
        for t in tips {
            push(*t, false, &mut state, &mut heap, &mut cache, &mut visible)?;
        }
        let mut out = Vec::new();
        while visible > 0 {
            let Some((_, id)) = heap.pop() else { break };
            let Some(n) = cache.remove(&id) else { continue };
            let hide = state.get(&id).is_none_or(|s| s.0);
            state.insert(id, (hide, false));
            if !hide {
                visible -= 1;
            }
            for p in &n.parents {
                push(*p, hide, &mut state, &mut heap, &mut cache, &mut visible)?;
            }
            if !hide {
                on_commit();
                out.push(Walked {
                    id,
                    time: n.time,
                    decoded: n.decoded.map(Box::new),
                    at: None,
                });
            }
        }
        out.sort_by(|a, b| a.time.cmp(&b.time).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// Entries of a tree: (name, id, is_tree, is_blob).
    pub fn tree(&self, id: ObjectId) -> Result<Vec<TreeEntry>, CollectError> {
        let (kind, data) = self.read(id)?;
        if kind != Kind::Tree {
            return Err(self.err(format!("{id} is a {kind}, not a tree")));
        }
        let mut out = Vec::new();
        for e in TreeRefIter::from_bytes(&data, self.hash_kind()) {
            let e = e.map_err(|err| self.err(format!("tree {id}: {err}")))?;
            out.push(TreeEntry {
                name: String::from_utf8_lossy(e.filename.as_ref()).into_owned(),
                id: e.oid.to_owned(),
                is_tree: e.mode.is_tree(),
                is_blob: e.mode.is_blob(),
            });
        }
        Ok(out)
    }

    /// The blob at `path` (slash-separated) in `tree`, if there is one.
    pub fn blob_at(&self, tree: ObjectId, path: &str) -> Result<Option<ObjectId>, CollectError> {
        let mut cur = tree;
        let parts: Vec<&str> = path
            .split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect();
        for (i, part) in parts.iter().enumerate() {
            let entries = self.tree(cur)?;
            let Some(e) = entries.into_iter().find(|e| e.name == *part) else {
                return Ok(None);
            };
            if i + 1 == parts.len() {
                return Ok(e.is_blob.then_some(e.id));
            }
            if !e.is_tree {
                return Ok(None);
            }
            cur = e.id;
        }
        Ok(None)
    }

    /// The tree at `path` in `tree`.
    pub fn tree_at(&self, tree: ObjectId, path: &str) -> Result<Option<ObjectId>, CollectError> {
        let mut cur = tree;
        for part in path.split('/').filter(|p| !p.is_empty() && *p != ".") {
            let entries = self.tree(cur)?;
            let Some(e) = entries.into_iter().find(|e| e.name == part) else {
                return Ok(None);
            };
            if !e.is_tree {
                return Ok(None);
            }
            cur = e.id;
        }
        Ok(Some(cur))
    }

    /// Read a blob's bytes.
    pub fn blob(&self, id: ObjectId) -> Result<Vec<u8>, CollectError> {
        let (kind, data) = self.read(id)?;
        if kind != Kind::Blob {
            return Err(self.err(format!("{id} is a {kind}, not a blob")));
        }
        Ok(data)
    }
}

/// One tree entry.
#[derive(Debug, Clone)]
pub(crate) struct TreeEntry {
    pub name: String,
    pub id: ObjectId,
    pub is_tree: bool,
    pub is_blob: bool,
}

fn person(s: &gix::actor::SignatureRef<'_>) -> Option<Person> {
    let t = s.time().ok()?;
    let time = Timestamp::from_second(t.seconds).ok()?;
    let s = s.trim();
    Some(Person {
        name: s.name.to_string(),
        email: s.email.to_string(),
        time,
        offset_minutes: t.offset / 60,
    })
}

fn signature_format(sig: &[u8]) -> &'static str {
    let head = String::from_utf8_lossy(&sig[..sig.len().min(64)]).into_owned();
    if head.contains("BEGIN SSH SIGNATURE") {
        "ssh"
    } else if head.contains("BEGIN SIGNED MESSAGE") {
        "x509"
    } else {
        "openpgp"
    }
}

/// Tips recorded by the last successful run, from the cursor `value` (`{"ref": "oid"}`); unreadable → none.
pub(crate) fn parse_tips(value: Option<&str>) -> Vec<ObjectId> {
    let Some(v) = value else {
        return Vec::new();
    };
    let Ok(map) = serde_json::from_str::<BTreeMap<String, String>>(v) else {
        return Vec::new();
    };
    map.values()
        .filter_map(|s| ObjectId::from_hex(s.as_bytes()).ok())
        .collect()
}

/// The cursor value for the current tips.
pub(crate) fn tips_cursor(refs: &[RefInfo]) -> String {
    let map: BTreeMap<&str, String> = refs
        .iter()
        .filter_map(|r| r.commit.map(|c| (r.name.as_str(), c.to_string())))
        .collect();
    serde_json::to_string(&map).unwrap_or_else(|_| "{}".to_owned())
}

/// The files of interest in every tree, found once per distinct tree (unchanged subtrees cost nothing).
pub(crate) struct Snapshots<F> {
    memo: std::collections::HashMap<ObjectId, std::rc::Rc<Vec<(String, ObjectId)>>>,
    commit_trees: std::collections::HashMap<ObjectId, ObjectId>,
    keep: F,
}

impl<F> Snapshots<F>
where
    F: FnMut(&Repo, &str, ObjectId) -> Result<bool, CollectError>,
{
    /// `keep(repo, file name, blob id)` decides which blobs are of interest.
    pub fn new(keep: F) -> Self {
        Snapshots {
            memo: std::collections::HashMap::new(),
            commit_trees: std::collections::HashMap::new(),
            keep,
        }
    }

    /// Remember the trees of walked commits so parents need not be read again.
    pub fn know(&mut self, commits: &[CommitInfo]) {
        for c in commits {
            self.commit_trees.insert(c.id, c.tree);
        }
    }

    /// Files of interest in `tree`: (path, blob).
    pub fn of(
        &mut self,
        repo: &Repo,
        tree: ObjectId,
    ) -> Result<std::rc::Rc<Vec<(String, ObjectId)>>, CollectError> {
        if let Some(s) = self.memo.get(&tree) {
            return Ok(s.clone());
        }
        let mut out = Vec::new();
        for e in repo.tree(tree)? {
            if e.is_tree {
                let sub = self.of(repo, e.id)?;
                for (p, id) in sub.iter() {
                    out.push((format!("{}/{p}", e.name), *id));
                }
            } else if e.is_blob && (self.keep)(repo, &e.name, e.id)? {
                out.push((e.name, e.id));
            }
        }
        let rc = std::rc::Rc::new(out);
        self.memo.insert(tree, rc.clone());
        Ok(rc)
    }

    /// Files of interest whose content at `c` is in none of its parents (all of them for a root commit).
    pub fn changed(
        &mut self,
        repo: &Repo,
        c: &CommitInfo,
    ) -> Result<Vec<(String, ObjectId)>, CollectError> {
        let own = self.of(repo, c.tree)?;
        let mut parents = Vec::new();
        for p in &c.parents {
            let tree = match self.commit_trees.get(p) {
                Some(t) => *t,
                None => {
                    let t = repo.commit(*p)?.tree;
                    self.commit_trees.insert(*p, t);
                    t
                }
            };
            parents.push(self.of(repo, tree)?);
        }
        Ok(own
            .iter()
            .filter(|(path, id)| {
                !parents
                    .iter()
                    .any(|ps| ps.iter().any(|(pp, pid)| pp == path && pid == id))
            })
            .cloned()
            .collect())
    }
}

/// New commits, the refs now, and the cursor `(key, value)` to record.
pub(crate) type NewCommits = (Vec<CommitInfo>, Vec<RefInfo>, (String, String));

/// Commits added since the collector's last run, the refs now, and the cursor to record.
pub(crate) fn new_commits(
    repo: &Repo,
    ctx: &mut crate::Context<'_>,
) -> Result<NewCommits, CollectError> {
    let (hidden, refs, tips, cursor) = walk_start(repo, ctx)?;
    let progress = &mut *ctx.progress;
    let commits = repo.walk(&tips, &hidden, || progress.inc(1))?;
    Ok((commits, refs, cursor))
}

/// New commits as a walk selected them, the refs now, and the cursor `(key, value)` to record.
pub(crate) type NewWalked = (Vec<Walked>, Vec<RefInfo>, (String, String));

/// Like [`new_commits`], but through the commit-graph when the repository has one, so the commits come back
/// undecoded (the git collector decodes them later, while the ledger stores the earlier ones).
pub(crate) fn new_commits_walked(
    repo: &Repo,
    packs: &Packs,
    ctx: &mut crate::Context<'_>,
) -> Result<NewWalked, CollectError> {
    let (hidden, refs, tips, cursor) = walk_start(repo, ctx)?;
    let progress = &mut *ctx.progress;
    let commits = match repo.commit_graph() {
        Some(graph) => {
            match repo.walk_positions(&graph, &tips, &hidden, packs, || progress.inc(1))? {
                Some(walked) => walked,
                None => repo.walk_graph(&graph, &tips, &hidden, || progress.inc(1))?,
            }
        }
        None => repo
            .walk(&tips, &hidden, || progress.inc(1))?
            .into_iter()
            .map(|c| Walked {
                id: c.id,
                time: c.committer.time.as_second(),
                decoded: Some(Box::new(c)),
                at: None,
            })
            .collect(),
    };
    Ok((commits, refs, cursor))
}

/// Where a walk starts: the tips hidden by the last run, the refs now, their tips, and the cursor to record.
type WalkStart = (Vec<ObjectId>, Vec<RefInfo>, Vec<ObjectId>, (String, String));

fn walk_start(repo: &Repo, ctx: &crate::Context<'_>) -> Result<WalkStart, CollectError> {
    let key = format!("repo:{}", repo.name);
    let old = ctx
        .ledger
        .cursor(repo.source, &key)
        .map_err(|e| CollectError::Ledger {
            source_name: repo.source.into(),
            message: e.to_string(),
        })?;
    let hidden = parse_tips(old.as_deref());
    let refs = repo.refs()?;
    let tips: Vec<_> = refs.iter().filter_map(|r| r.commit).collect();
    let cursor = (key, tips_cursor(&refs));
    Ok((hidden, refs, tips, cursor))
}

/// Make a JSON value storable: integers beyond ±2^53 become strings (the ledger's canonical form needs that).
pub(crate) fn storable(v: Value) -> Value {
    match v {
        Value::Number(n) => {
            const LIMIT: u64 = 1 << 53;
            let big = n.as_u64().is_some_and(|u| u > LIMIT)
                || n.as_i64().is_some_and(|i| i.unsigned_abs() > LIMIT);
            if big || (n.as_f64().is_some_and(|f| !f.is_finite())) {
                Value::String(n.to_string())
            } else {
                Value::Number(n)
            }
        }
        Value::Array(a) => Value::Array(a.into_iter().map(storable).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, storable(v))).collect()),
        other => other,
    }
}

/// A person and time as a commit item writes them, borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PersonRef<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub time: Timestamp,
    pub offset_minutes: i32,
}

impl Person {
    pub fn as_person_ref(&self) -> PersonRef<'_> {
        PersonRef {
            name: &self.name,
            email: &self.email,
            time: self.time,
            offset_minutes: self.offset_minutes,
        }
    }
}

/// A commit in the layout git writes for almost every commit — `tree`, `parent`s, `author`, `committer`, a
/// blank line, a UTF-8 message — read in place, without allocating. [`plain_commit`] returns `None` for any
/// other layout (signatures, `encoding`, `mergetag`, odd identities or times), which the full decoder reads;
/// where both read a commit they agree (tested against gix's decoder).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlainCommit<'a> {
    /// The tree id, lowercase hex.
    pub tree: &'a str,
    /// The `parent` lines, each `parent HEX\n`.
    parent_lines: &'a [u8],
    hex_len: usize,
    pub author: PersonRef<'a>,
    pub committer: PersonRef<'a>,
    pub message: &'a str,
}

impl<'a> PlainCommit<'a> {
    /// Parent ids, lowercase hex.
    pub fn parents(&self) -> impl Iterator<Item = &'a str> + 'a {
        let step = "parent ".len() + self.hex_len + 1;
        let lines = self.parent_lines;
        let hex_len = self.hex_len;
        lines.chunks(step).map(move |l| {
            // Checked hex when the commit was read.
            std::str::from_utf8(&l[7..7 + hex_len]).unwrap_or_default()
        })
    }
}

/// Read `data` (a commit object's bytes) when it has the plain layout; see [`PlainCommit`].
pub(crate) fn plain_commit(data: &[u8], hash: gix::hash::Kind) -> Option<PlainCommit<'_>> {
    let hex_len = hash.len_in_hex();
    let is_hex =
        |s: &[u8]| s.len() == hex_len && s.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    fn line<'a>(rest: &mut &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
        let r = rest.strip_prefix(prefix)?;
        let end = r.iter().position(|&b| b == b'\n')?;
        *rest = &r[end + 1..];
        Some(&r[..end])
    }
    let mut rest = data;
    let tree = line(&mut rest, b"tree ")?;
    if !is_hex(tree) {
        return None;
    }
    let parents_start = data.len() - rest.len();
    while rest.starts_with(b"parent ") {
        if !is_hex(line(&mut rest, b"parent ")?) {
            return None;
        }
    }
    let parents_end = data.len() - rest.len();
    let author = plain_person(line(&mut rest, b"author ")?)?;
    let committer = plain_person(line(&mut rest, b"committer ")?)?;
    let message = std::str::from_utf8(rest.strip_prefix(b"\n")?).ok()?;
    Some(PlainCommit {
        tree: std::str::from_utf8(tree).ok()?,
        parent_lines: &data[parents_start..parents_end],
        hex_len,
        author,
        committer,
        message,
    })
}

/// `Name <email> SECONDS +HHMM` with nothing to trim or skip, UTF-8 name and email, a plausible offset.
fn plain_person(line: &[u8]) -> Option<PersonRef<'_>> {
    let lt = line.iter().position(|&b| b == b'<')?;
    let gt = line.iter().rposition(|&b| b == b'>')?;
    if gt <= lt || line.get(lt + 1) == Some(&b'<') || line[..gt].last() == Some(&b'>') {
        return None;
    }
    let name = line[..lt].strip_suffix(b" ")?;
    let email = &line[lt + 1..gt];
    let untrimmed = |s: &[u8]| {
        s.first().is_some_and(|b| !b.is_ascii_graphic())
            || s.last().is_some_and(|b| !b.is_ascii_graphic())
    };
    if untrimmed(name) || untrimmed(email) {
        return None;
    }
    let when = line[gt + 1..].strip_prefix(b" ")?;
    let space = when.iter().position(|&b| b == b' ')?;
    let (secs, zone) = (&when[..space], &when[space + 1..]);
    if secs.is_empty() || secs.len() > 12 || !secs.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let [sign, h1, h2, m1, m2] = *zone else {
        return None;
    };
    if !matches!(sign, b'+' | b'-') || ![h1, h2, m1, m2].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let (hours, minutes) = (
        i32::from((h1 - b'0') * 10 + (h2 - b'0')),
        i32::from((m1 - b'0') * 10 + (m2 - b'0')),
    );
    if hours > 14 || minutes > 59 {
        return None;
    }
    let seconds: i64 = std::str::from_utf8(secs).ok()?.parse().ok()?;
    let offset = (hours * 60 + minutes) * if sign == b'-' { -1 } else { 1 };
    Some(PersonRef {
        name: std::str::from_utf8(name).ok()?,
        email: std::str::from_utf8(email).ok()?,
        time: Timestamp::from_second(seconds).ok()?,
        offset_minutes: offset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
    const PARENT: &str = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391";

    /// Where the plain reader reads a commit, it reads what gix's decoder reads.
    fn agree(data: &[u8]) -> bool {
        let Some(plain) = plain_commit(data, gix::hash::Kind::Sha1) else {
            return false;
        };
        let id = ObjectId::null(gix::hash::Kind::Sha1);
        let full = decode_commit(id, data, gix::hash::Kind::Sha1).unwrap_or_else(|e| {
            panic!(
                "the plain reader read a commit gix refuses ({e}): {:?}",
                String::from_utf8_lossy(data)
            )
        });
        assert_eq!(plain.tree, full.tree.to_string());
        assert_eq!(
            plain.parents().collect::<Vec<_>>(),
            full.parents
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
        );
        assert_eq!(plain.author, full.author.as_person_ref());
        assert_eq!(plain.committer, full.committer.as_person_ref());
        assert_eq!(plain.message, full.message);
        assert_eq!(full.signature, None);
        true
    }

    fn commit(parents: usize, author: &str, committer: &str, message: &str) -> Vec<u8> {
        let mut s = format!("tree {TREE}\n");
        for _ in 0..parents {
            s.push_str(&format!("parent {PARENT}\n"));
        }
        s.push_str(&format!(
            "author {author}\ncommitter {committer}\n\n{message}"
        ));
        s.into_bytes()
    }

    #[test]
    fn the_usual_layouts_are_read_in_place_and_agree_with_gix() {
        let dev = "Dev One <dev@example.com> 1700000060 +0000";
        assert!(agree(&commit(0, dev, dev, "root\n")));
        assert!(agree(&commit(
            1,
            dev,
            "Bot <bot@ci> 1700000999 -0230",
            "fix: thing\n\nbody\n"
        )));
        assert!(agree(&commit(
            2,
            "Zoë Ünïcode <z@ex.org> 1 +1400",
            dev,
            "merge"
        )));
        assert!(agree(&commit(1, " <> 1700000000 +0100", dev, "")));
        assert!(agree(&commit(1, "A>B <a@b> 5 +0000", dev, "x")));
    }

    #[test]
    fn other_layouts_are_left_to_the_full_decoder() {
        let dev = "Dev <dev@example.com> 1700000060 +0000";
        let signed = format!(
            "tree {TREE}\nauthor {dev}\ncommitter {dev}\ngpgsig -----BEGIN PGP SIGNATURE-----\n x\n -----END PGP SIGNATURE-----\n\nm"
        )
        .into_bytes();
        for data in [
            signed,
            commit(1, dev, dev, "m")
                .into_iter()
                .chain(b"\xff".iter().copied())
                .collect(),
            commit(1, "Dev  <dev@example.com> 1 +0000", dev, "m"),
            commit(1, "Dev <<dev@example.com> 1 +0000", dev, "m"),
            commit(1, "Dev <dev@example.com> 1 +2500", dev, "m"),
            commit(1, "Dev <dev@example.com> 99999999999999 +0000", dev, "m"),
            commit(1, "Dev <dev@example.com>  1 +0000", dev, "m"),
            format!(
                "tree {}\nauthor {dev}\ncommitter {dev}\n\nm",
                TREE.to_uppercase()
            )
            .into_bytes(),
            format!("tree {TREE}\nauthor {dev}\ncommitter {dev}\nencoding ISO-8859-1\n\nm")
                .into_bytes(),
        ] {
            assert!(
                plain_commit(&data, gix::hash::Kind::Sha1).is_none(),
                "{:?}",
                String::from_utf8_lossy(&data)
            );
        }
    }

    fn identity() -> impl Strategy<Value = String> {
        // Names and emails with the characters that make identities awkward: spaces, brackets, non-ASCII.
        proptest::string::string_regex("[ a-zA-Z<>@.\t\u{e9}\u{3000}-]{0,12}").expect("valid regex")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn the_plain_reader_agrees_with_gix_whenever_it_reads(
            parents in 0usize..3,
            name in identity(),
            email in identity(),
            secs in proptest::string::string_regex("[0-9]{0,14}").expect("valid regex"),
            zone in proptest::string::string_regex("[+-][0-9]{4}|[+-]?[0-9]{1,5}").expect("valid regex"),
            message in "(?s).{0,40}",
        ) {
            let who = format!("{name} <{email}> {secs} {zone}");
            let dev = "Dev <dev@example.com> 1700000060 +0000";
            agree(&commit(parents, &who, dev, &message));
            agree(&commit(parents, dev, &who, &message));
        }
    }
}
