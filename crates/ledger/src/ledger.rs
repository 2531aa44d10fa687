//! The facade the CLI and collectors use: open/init a workspace ledger, append, blobs, checkpoints, proofs, verify.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::Progress;
use crate::blob::{BlobState, BlobStore};
use crate::digest::{Sha256Digest, leaf_hash};
use crate::envelope;
use crate::error::{LedgerError, Result};
use crate::evidence::{CanonicalEvidence, Evidence, Payload, PreparedItem};
use crate::merkle::{self, CompactRange};
use crate::note::{Checkpoint, CheckpointSigner, VerifierKey};
use crate::sqlite::SqliteStore;
use crate::store::{AppendOutcome, EvidenceStore, ListFilter, RowRef, StoredCheckpoint, StoredRow};

/// Folder of Assay's state inside a workspace.
pub const ASSAY_DIR: &str = ".assay";
/// Ledger database file name inside [`ASSAY_DIR`].
pub const DB_FILE: &str = "ledger.db";
/// Blob folder name inside [`ASSAY_DIR`].
pub const BLOB_DIR: &str = "blobs";
/// Version of the proof JSON format.
pub const PROOF_VERSION: u32 = 1;

/// An evidence item read back from the ledger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredItem {
    pub index: u64,
    pub leaf_hash: Sha256Digest,
    pub evidence: Evidence,
}

/// The evidence ledger of one workspace.
#[derive(Debug)]
pub struct Ledger {
    workspace: PathBuf,
    store: Box<dyn EvidenceStore + Send>,
    blobs: BlobStore,
}

impl Ledger {
    /// Create `<workspace>/.assay/ledger.db` and the blob folder. Fails if a ledger already exists.
    pub fn init(workspace: &Path) -> Result<Ledger> {
        let dir = workspace.join(ASSAY_DIR);
        std::fs::create_dir_all(&dir).map_err(|e| LedgerError::io("create directory", &dir, e))?;
        let blobs = dir.join(BLOB_DIR);
        std::fs::create_dir_all(&blobs)
            .map_err(|e| LedgerError::io("create directory", &blobs, e))?;
        let store = SqliteStore::create(&dir.join(DB_FILE))?;
        Ok(Ledger::with_store(
            workspace,
            Box::new(store),
            BlobStore::new(blobs),
        ))
    }

    /// Open the ledger of a workspace.
    pub fn open(workspace: &Path) -> Result<Ledger> {
        let dir = workspace.join(ASSAY_DIR);
        let store = SqliteStore::open(&dir.join(DB_FILE))?;
        Ok(Ledger::with_store(
            workspace,
            Box::new(store),
            BlobStore::new(dir.join(BLOB_DIR)),
        ))
    }

    /// A ledger over any store (PostgreSQL later, test doubles now).
    pub fn with_store(
        workspace: &Path,
        store: Box<dyn EvidenceStore + Send>,
        blobs: BlobStore,
    ) -> Ledger {
        Ledger {
            workspace: workspace.to_owned(),
            store,
            blobs,
        }
    }

    /// The workspace folder.
    pub fn workspace(&self) -> &Path {
        &self.workspace
    }

    /// The underlying store.
    pub fn store(&self) -> &dyn EvidenceStore {
        self.store.as_ref()
    }

    /// The blob store.
    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    /// Append a batch in one transaction. Every item is validated and every attachment must already be in the
    /// blob store; if anything is wrong nothing is written. Items identical in (kind, subject, source locator,
    /// observed_at, payload) to a stored item are not stored again and report the existing index.
    ///
    /// Large batches are canonicalised and hashed on worker threads, chunk by chunk, while the store writes the
    /// chunks already prepared.
    pub fn append(
        &mut self,
        batch: &[Evidence],
        progress: &mut dyn Progress,
    ) -> Result<Vec<AppendOutcome>> {
        self.append_batched(batch, batch.len().max(1), progress)
    }

    /// Append `items` in transactions of `batch` items each: every batch is durable when the next one starts, and
    /// the workers keep preparing the next batch while one is being committed. Attachments are checked for all
    /// items first (nothing is written if one is missing). If an item is invalid or the store fails, the batches
    /// before the failing one stay stored and the failing one is not; the error names the item's position in
    /// `items`.
    pub fn append_batched(
        &mut self,
        items: &[Evidence],
        batch: usize,
        progress: &mut dyn Progress,
    ) -> Result<Vec<AppendOutcome>> {
        self.append_items(items, batch, progress)
    }

    /// [`Ledger::append`] for items whose payloads are already canonical JSON: the same checks, the same stored
    /// bytes and hashes as the equivalent [`Evidence`], without canonicalising the payload again.
    pub fn append_canonical(
        &mut self,
        batch: &[CanonicalEvidence],
        progress: &mut dyn Progress,
    ) -> Result<Vec<AppendOutcome>> {
        self.append_items(batch, batch.len().max(1), progress)
    }

    fn append_items<P: Payload + Sync>(
        &mut self,
        items: &[Evidence<P>],
        batch: usize,
        progress: &mut dyn Progress,
    ) -> Result<Vec<AppendOutcome>> {
        progress.set_total(items.len() as u64);
        let mut seen_blobs: HashSet<Sha256Digest> = HashSet::new();
        for ev in items {
            for a in &ev.attachments {
                if seen_blobs.insert(*a) && !self.blobs.contains(a) {
                    return Err(LedgerError::MissingBlob {
                        digest: *a,
                        path: self.blobs.path_of(a),
                    });
                }
            }
        }
        let batch = batch.max(1);
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_WORKERS);
        if workers < 2 || items.len() < PARALLEL_FROM {
            let mut outcomes = Vec::with_capacity(items.len());
            for (b, part) in items.chunks(batch).enumerate() {
                let prepared = prepare_chunk(b * batch, part);
                outcomes.extend(
                    self.store
                        .append(&mut std::iter::once(prepared), progress)?,
                );
            }
            return Ok(outcomes);
        }
        // Chunks never straddle two batches: (start, end) positions in `items`.
        let chunks: Vec<(usize, usize)> = (0..items.len())
            .step_by(batch)
            .flat_map(|b| {
                let end = (b + batch).min(items.len());
                (b..end)
                    .step_by(CHUNK)
                    .map(move |c| (c, (c + CHUNK).min(end)))
            })
            .collect();
        let store = &mut self.store;
        let chunks = &chunks;
        std::thread::scope(|s| {
            let mut receivers = Vec::with_capacity(workers);
            for w in 0..workers {
                // Deep enough that the workers prepare a whole batch ahead while one is being committed.
                let depth = (batch / CHUNK / workers).clamp(2, 64);
                let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<PreparedItem>>>(depth);
                receivers.push(rx);
                s.spawn(move || {
                    for &(start, end) in chunks.iter().skip(w).step_by(workers) {
                        let prepared = prepare_chunk(start, &items[start..end]);
                        let failed = prepared.is_err();
                        if tx.send(prepared).is_err() || failed {
                            return;
                        }
                    }
                });
            }
            let mut next_chunk = 0usize;
            let mut outcomes = Vec::with_capacity(items.len());
            let mut result = Ok(());
            while next_chunk < chunks.len() {
                let batch_start = chunks[next_chunk].0;
                let batch_end = (batch_start + batch).min(items.len());
                let receivers = &receivers;
                let first = next_chunk;
                let count = chunks[first..]
                    .iter()
                    .take_while(|c| c.1 <= batch_end)
                    .count();
                next_chunk += count;
                let mut ordered = (first..first + count).map(|c| {
                    receivers[c % workers].recv().unwrap_or_else(|_| {
                        Err(LedgerError::InvalidEvidence {
                            position: chunks[c].0,
                            field: String::new(),
                            reason: "preparing the batch failed unexpectedly".into(),
                        })
                    })
                });
                match store.append(&mut ordered, progress) {
                    Ok(o) => outcomes.extend(o),
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
            }
            drop(receivers);
            result.map(|()| outcomes)
        })
    }

    /// Store bytes as a blob (at most `limit` bytes); returns the digest to put in `Evidence::attachments`.
    pub fn add_blob(&self, bytes: &[u8], limit: u64) -> Result<Sha256Digest> {
        self.blobs.put_bytes(bytes, limit)
    }

    /// Store a file as a blob (at most `limit` bytes); returns the digest to put in `Evidence::attachments`.
    pub fn add_blob_file(&self, path: &Path, limit: u64) -> Result<Sha256Digest> {
        self.blobs.put_file(path, limit)
    }

    /// Read a blob, verifying its hash.
    pub fn read_blob(&self, digest: &Sha256Digest) -> Result<Vec<u8>> {
        self.blobs.read(digest)
    }

    /// Number of items.
    pub fn len(&self) -> Result<u64> {
        self.store.len()
    }

    /// Whether the ledger holds no items.
    pub fn is_empty(&self) -> Result<bool> {
        self.store.is_empty()
    }

    /// One item.
    pub fn get(&self, index: u64) -> Result<StoredItem> {
        match self.store.get(index)? {
            Some(row) => decode(row),
            None => Err(LedgerError::IndexOutOfRange {
                index,
                len: self.store.len()?,
            }),
        }
    }

    /// Items matching a filter, in index order.
    pub fn list(&self, filter: &ListFilter) -> Result<Vec<StoredItem>> {
        self.store.list(filter)?.into_iter().map(decode).collect()
    }

    /// How many items `list` would return for `filter` (for a kind alone, without reading any).
    pub fn count(&self, filter: &ListFilter) -> Result<u64> {
        self.store.count(filter)
    }

    /// The canonical bytes of the items matching a filter, in index order, handed to `visit` one at a time with
    /// their index: nothing is decoded or collected (a reader that needs only some members, over many items).
    /// The bytes are what was stored; `verify` is what proves them.
    pub fn visit_canonical(
        &self,
        filter: &ListFilter,
        visit: &mut dyn FnMut(u64, &[u8]) -> Result<()>,
    ) -> Result<()> {
        self.store.visit(filter, visit)
    }

    /// Items matching a filter whose index is at least `from`, in index order.
    pub fn list_from(&self, filter: &ListFilter, from: u64) -> Result<Vec<StoredItem>> {
        self.store
            .list_from(filter, from)?
            .into_iter()
            .map(decode)
            .collect()
    }

    /// The items at `indices` (any order, repeats allowed), in index order without repeats. An index past the
    /// end is an error.
    pub fn get_many(&self, indices: &[u64]) -> Result<Vec<StoredItem>> {
        let rows = self.store.get_many(indices)?;
        let mut wanted = indices.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        if rows.len() != wanted.len() {
            let missing = wanted
                .iter()
                .find(|i| rows.binary_search_by_key(*i, |r| r.index).is_err())
                .copied()
                .unwrap_or_default();
            return Err(LedgerError::IndexOutOfRange {
                index: missing,
                len: self.store.len()?,
            });
        }
        rows.into_iter().map(decode).collect()
    }

    /// Sign the recorded tree head as a checkpoint of log `origin` and store it.
    pub fn checkpoint(
        &mut self,
        origin: &str,
        signer: &CheckpointSigner,
        now: Timestamp,
    ) -> Result<Checkpoint> {
        let head = self.store.tree_head()?;
        let cp = Checkpoint::sign(origin, head.size, head.root, signer)?;
        let vkey = signer.verifier_key();
        self.store.put_checkpoint(&StoredCheckpoint {
            id: 0,
            created_at: now,
            tree_size: head.size,
            origin: origin.to_owned(),
            key_id: vkey.key_id(),
            verifier_key: vkey.to_string(),
            text: cp.text.clone(),
        })?;
        Ok(cp)
    }

    /// Stored checkpoints in creation order.
    pub fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>> {
        self.store.checkpoints()
    }

    /// Inclusion proof of item `index` against the newest checkpoint that covers it.
    pub fn prove(&self, index: u64) -> Result<Proof> {
        let cp = self
            .store
            .checkpoints()?
            .into_iter()
            .rev()
            .find(|c| c.tree_size > index)
            .ok_or(LedgerError::NoCheckpoint { index })?;
        let parsed = Checkpoint::parse(&cp.text)?;
        let leaves = self.store.leaf_hashes(cp.tree_size)?;
        let damaged = |reason: &str| LedgerError::InvalidProof {
            index,
            reason: format!("{reason}; run verify"),
        };
        if merkle::root(&leaves) != parsed.root {
            return Err(damaged(
                "the stored items no longer hash to the checkpoint's root",
            ));
        }
        let path =
            merkle::inclusion_proof(index, &leaves).ok_or(LedgerError::NoCheckpoint { index })?;
        let row = self.store.get(index)?.ok_or(LedgerError::IndexOutOfRange {
            index,
            len: cp.tree_size,
        })?;
        if leaf_hash(&row.canonical) != row.leaf_hash {
            return Err(damaged("the stored item does not match its leaf hash"));
        }
        Ok(Proof {
            version: PROOF_VERSION,
            index,
            tree_size: cp.tree_size,
            leaf_canonical: B64.encode(&row.canonical),
            leaf_hash: row.leaf_hash,
            audit_path: path,
            checkpoint: cp.text,
            key_id: cp.key_id,
            verifier_key: cp.verifier_key,
        })
    }

    /// Consistency proof between two tree sizes (for someone holding an older checkpoint).
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Sha256Digest>> {
        let leaves = self.store.leaf_hashes(new_size)?;
        merkle::consistency_proof(old_size, &leaves).ok_or(LedgerError::IndexOutOfRange {
            index: old_size,
            len: new_size,
        })
    }

    /// Recompute everything and report every difference. `trusted` are the checkpoint keys to accept; when empty,
    /// each checkpoint is checked against the verifier key recorded next to it (which proves integrity of the
    /// checkpoint text, not who signed it).
    pub fn verify(
        &self,
        trusted: &[VerifierKey],
        progress: &mut dyn Progress,
    ) -> Result<VerifyReport> {
        self.verify_with(trusted, VerifyOptions::default(), progress)
    }

    /// [`Ledger::verify`] with options (see [`VerifyOptions`]).
    pub fn verify_with(
        &self,
        trusted: &[VerifierKey],
        options: VerifyOptions,
        progress: &mut dyn Progress,
    ) -> Result<VerifyReport> {
        verify(self.store.as_ref(), &self.blobs, trusted, options, progress)
    }

    /// Cursor of a collector.
    pub fn cursor(&self, collector: &str, key: &str) -> Result<Option<String>> {
        self.store.cursor(collector, key)
    }

    /// Set the cursor of a collector.
    pub fn set_cursor(&mut self, collector: &str, key: &str, value: &str) -> Result<()> {
        self.store.set_cursor(collector, key, value)
    }
}

/// Items per prepared chunk handed from the workers to the store.
const CHUNK: usize = 1024;
/// Batches smaller than this are prepared on the calling thread.
const PARALLEL_FROM: usize = 2 * CHUNK;
/// At most this many preparing threads.
const MAX_WORKERS: usize = 4;

/// Validate, canonicalise and hash part of a batch starting at batch position `offset`. The error names the
/// first failing position.
fn prepare_chunk<P: Payload>(offset: usize, part: &[Evidence<P>]) -> Result<Vec<PreparedItem>> {
    part.iter()
        .enumerate()
        .map(|(i, ev)| {
            ev.prepare().map_err(|e| LedgerError::InvalidEvidence {
                position: offset + i,
                field: e.field,
                reason: e.reason,
            })
        })
        .collect()
}

fn decode(row: StoredRow) -> Result<StoredItem> {
    let evidence =
        Evidence::from_canonical(&row.canonical).map_err(|e| LedgerError::CorruptItem {
            index: row.index,
            reason: format!("its stored JSON does not decode ({e})"),
        })?;
    Ok(StoredItem {
        index: row.index,
        leaf_hash: row.leaf_hash,
        evidence,
    })
}

/// A self-contained inclusion proof of one item in a signed checkpoint. JSON field names are part of the format
/// (see `docs/ledger.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    /// Format version (1).
    pub version: u32,
    /// The item's 0-based index.
    pub index: u64,
    /// Size of the tree the checkpoint signs.
    pub tree_size: u64,
    /// Base64 (standard, padded) of the item's canonical bytes.
    pub leaf_canonical: String,
    /// Hex SHA-256(0x00 ‖ canonical bytes).
    pub leaf_hash: Sha256Digest,
    /// Hex node hashes, leaf level first (RFC 9162 inclusion path).
    pub audit_path: Vec<Sha256Digest>,
    /// The signed checkpoint note text.
    pub checkpoint: String,
    /// `<key name>+<8 hex key hash>` of the key that signed the checkpoint.
    pub key_id: String,
    /// The signer's verifier key as recorded by the ledger; a verifier must compare it with a key it trusts.
    pub verifier_key: String,
}

impl Proof {
    /// Verify against trusted keys; returns the proven item.
    pub fn verify(&self, trusted: &[VerifierKey]) -> Result<Evidence> {
        let fail = |reason: String| LedgerError::InvalidProof {
            index: self.index,
            reason,
        };
        if self.version != PROOF_VERSION {
            return Err(fail(format!("unsupported proof version {}", self.version)));
        }
        let (cp, _) =
            Checkpoint::verify(&self.checkpoint, trusted).map_err(|e| fail(e.to_string()))?;
        if cp.tree_size != self.tree_size {
            return Err(fail(format!(
                "the checkpoint signs {} items, the proof claims {}",
                cp.tree_size, self.tree_size
            )));
        }
        let canonical = B64
            .decode(&self.leaf_canonical)
            .map_err(|_| fail("leaf_canonical is not base64".into()))?;
        let leaf = leaf_hash(&canonical);
        if leaf != self.leaf_hash {
            return Err(fail(format!(
                "the item hashes to {leaf}, the proof says {}",
                self.leaf_hash
            )));
        }
        if !merkle::verify_inclusion(
            self.index,
            self.tree_size,
            &leaf,
            &self.audit_path,
            &cp.root,
        ) {
            return Err(fail(
                "the audit path does not lead to the checkpoint's root".into(),
            ));
        }
        Evidence::from_canonical(&canonical)
            .map_err(|e| fail(format!("the item does not decode: {e}")))
    }
}

/// What is wrong, in broad strokes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCategory {
    /// An item's content no longer matches its recorded leaf hash.
    ContentChanged,
    /// An item is not at the position it was appended at (rows swapped or reordered).
    Moved,
    /// An item's row is gone.
    Missing,
    /// An item's stored JSON cannot be decoded.
    Undecodable,
    /// The columns used for listing disagree with the item's content.
    IndexColumns,
    /// An attachment is missing.
    BlobMissing,
    /// An attachment's content changed or cannot be read.
    BlobChanged,
    /// The recorded tree head disagrees with the items.
    TreeHead,
    /// A checkpoint's signature or text is bad.
    CheckpointSignature,
    /// The items no longer hash to a checkpoint's signed root.
    CheckpointRoot,
    /// Two checkpoints do not describe one append-only history.
    CheckpointConsistency,
}

/// One difference found by `verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The item concerned, when one is.
    pub index: Option<u64>,
    /// The item's evidence kind as stored, when known.
    pub kind: Option<String>,
    /// The item's subject as stored, when known.
    pub subject: Option<String>,
    pub category: ProblemCategory,
    /// A sentence saying what differs.
    pub what: String,
}

/// Result of `verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Whether the deep checks ran (see [`VerifyOptions`]).
    pub deep: bool,
    /// Items checked.
    pub items: u64,
    /// Checkpoints checked.
    pub checkpoints: u64,
    /// Distinct blobs checked.
    pub blobs: u64,
    /// Root recomputed from the stored items.
    pub root: Sha256Digest,
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// Whether nothing was found.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

const MAX_LISTED_GAP: u64 = 20;

/// How thoroughly `verify` checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Also decode every item, check that its stored bytes are exactly its canonical form, and recompute its
    /// idempotency key (about three times slower).
    pub deep: bool,
}

/// A position whose content and recorded leaf hash disagree.
struct Mismatch {
    index: u64,
    computed: Sha256Digest,
    recorded: Option<Sha256Digest>,
    kind: Option<String>,
    subject: Option<String>,
}

struct Verifier<'a> {
    blobs: &'a BlobStore,
    deep: bool,
    blob_cache: HashMap<Sha256Digest, BlobState>,
    problems: Vec<Problem>,
    mismatches: Vec<Mismatch>,
    range: CompactRange,
    roots_at: BTreeMap<u64, Option<Sha256Digest>>,
    /// The smallest checkpoint size not yet reached by the scan (`u64::MAX` when none is left).
    next_root_at: u64,
    next: u64,
}

/// Kind and subject of stored bytes for a problem report (slow path: only for items with a problem).
fn describe(canonical: &[u8]) -> (Option<String>, Option<String>) {
    #[derive(Deserialize)]
    struct KindSubject {
        kind: Option<String>,
        subject: Option<String>,
    }
    match serde_json::from_slice::<KindSubject>(canonical) {
        Ok(ks) => (ks.kind, ks.subject),
        Err(_) => (envelope::read(canonical).map(|e| e.kind.to_owned()), None),
    }
}

impl Verifier<'_> {
    fn problem(
        &mut self,
        index: Option<u64>,
        canonical: Option<&[u8]>,
        category: ProblemCategory,
        what: String,
    ) {
        let (kind, subject) = canonical.map(describe).unwrap_or((None, None));
        self.problems.push(Problem {
            index,
            kind,
            subject,
            category,
            what,
        });
    }

    fn missing(&mut self, from: u64, to: u64) {
        if to - from > MAX_LISTED_GAP {
            self.problem(
                Some(from),
                None,
                ProblemCategory::Missing,
                format!(
                    "items {from} to {} are missing: {} rows were deleted",
                    to - 1,
                    to - from
                ),
            );
        } else {
            for i in from..to {
                self.problem(
                    Some(i),
                    None,
                    ProblemCategory::Missing,
                    format!("item {i} is missing: its row was deleted"),
                );
            }
        }
    }

    fn push_leaf(&mut self, leaf: Sha256Digest) {
        self.range.push(leaf);
        let size = self.range.size();
        if size == self.next_root_at {
            if let Some(slot) = self.roots_at.get_mut(&size) {
                *slot = Some(self.range.root());
            }
            self.next_root_at = self
                .roots_at
                .range(size + 1..)
                .next()
                .map_or(u64::MAX, |(k, _)| *k);
        }
    }

    fn row(&mut self, r: RowRef<'_>) {
        let Ok(index) = u64::try_from(r.index) else {
            self.problem(
                None,
                Some(r.canonical),
                ProblemCategory::Moved,
                format!("a row has the invalid index {}", r.index),
            );
            return;
        };
        if index > self.next {
            self.missing(self.next, index);
            while self.range.size() < index {
                // Placeholder so later positions keep their place; the root check will fail anyway.
                self.push_leaf(Sha256Digest([0; 32]));
            }
        }
        self.next = index + 1;
        let computed = leaf_hash(r.canonical);
        if r.recorded_leaf != computed.0 {
            let recorded = Sha256Digest::from_slice(r.recorded_leaf);
            let (kind, subject) = describe(r.canonical);
            self.mismatches.push(Mismatch {
                index,
                computed,
                recorded,
                kind,
                subject,
            });
        }
        self.push_leaf(computed);
        let i = Some(index);
        let Some(env) = envelope::read(r.canonical) else {
            self.problem(
                i,
                Some(r.canonical),
                ProblemCategory::Undecodable,
                format!("item {index}'s stored bytes are not a canonical evidence item"),
            );
            return;
        };
        if r.listed_kind != Some(env.kind) {
            let what = match r.listed_kind {
                Some(listed) => format!(
                    "item {index} is listed under kind `{listed}`, but its content says `{}`",
                    env.kind
                ),
                None => format!(
                    "item {index} is not listed under its kind `{}`: listing that kind would miss it",
                    env.kind
                ),
            };
            self.problem(i, Some(r.canonical), ProblemCategory::IndexColumns, what);
        }
        if env.attachment_count() > 0 {
            let digests: Vec<Sha256Digest> = env.attachments().collect();
            for d in digests {
                self.check_blob(index, r.canonical, d);
            }
        }
        if self.deep {
            self.deep_check(index, &r);
        }
    }

    fn check_blob(&mut self, index: u64, canonical: &[u8], d: Sha256Digest) {
        let blobs = self.blobs;
        let state = self
            .blob_cache
            .entry(d)
            .or_insert_with(|| blobs.check(&d))
            .clone();
        let path = self.blobs.path_of(&d);
        let i = Some(index);
        match state {
            BlobState::Ok => {}
            BlobState::Missing => self.problem(
                i,
                Some(canonical),
                ProblemCategory::BlobMissing,
                format!(
                    "attachment {d} of item {index} is missing (expected at {})",
                    path.display()
                ),
            ),
            BlobState::Changed(actual) => self.problem(
                i,
                Some(canonical),
                ProblemCategory::BlobChanged,
                format!(
                    "attachment {d} of item {index} was altered: {} now hashes to {actual}",
                    path.display()
                ),
            ),
            BlobState::Unreadable(e) => self.problem(
                i,
                Some(canonical),
                ProblemCategory::BlobChanged,
                format!(
                    "attachment {d} of item {index} cannot be read at {}: {e}",
                    path.display()
                ),
            ),
        }
    }

    /// Decode the item, re-encode it and compare; recompute the idempotency key.
    fn deep_check(&mut self, index: u64, r: &RowRef<'_>) {
        let i = Some(index);
        let ev = match Evidence::from_canonical(r.canonical) {
            Ok(ev) => ev,
            Err(e) => {
                self.problem(
                    i,
                    Some(r.canonical),
                    ProblemCategory::Undecodable,
                    format!("item {index}'s stored JSON cannot be decoded: {e}"),
                );
                return;
            }
        };
        match ev.prepare() {
            Ok(p) => {
                if p.canonical != r.canonical {
                    self.problem(
                        i,
                        Some(r.canonical),
                        ProblemCategory::Undecodable,
                        format!("item {index}'s stored bytes are not in canonical form"),
                    );
                }
                if Sha256Digest::from_slice(r.recorded_key) != Some(p.idempotency_key) {
                    self.problem(
                        i,
                        Some(r.canonical),
                        ProblemCategory::IndexColumns,
                        format!("item {index}'s recorded idempotency key does not match its content: re-collecting it could store a duplicate or skip a new item"),
                    );
                }
            }
            Err(e) => self.problem(
                i,
                Some(r.canonical),
                ProblemCategory::Undecodable,
                format!(
                    "item {index} is not a valid evidence item: {}: {}",
                    e.field, e.reason
                ),
            ),
        }
    }

    /// Name every position whose content and recorded leaf disagree: moved when its content is the item
    /// recorded at another such position, altered otherwise.
    fn report_mismatches(&mut self) {
        let recorded_at: HashMap<Sha256Digest, u64> = self
            .mismatches
            .iter()
            .filter_map(|m| m.recorded.map(|r| (r, m.index)))
            .collect();
        for m in std::mem::take(&mut self.mismatches) {
            let index = m.index;
            let (category, what) = match recorded_at.get(&m.computed) {
                Some(&from) if from != index => (
                    ProblemCategory::Moved,
                    format!(
                        "item {index} is the item that was appended at position {from}: rows were swapped, reordered or rewritten"
                    ),
                ),
                _ => (
                    ProblemCategory::ContentChanged,
                    match m.recorded {
                        Some(rec) => format!(
                            "item {index} was altered: its stored content hashes to {}, but the ledger recorded leaf hash {rec} for position {index}",
                            m.computed
                        ),
                        None => format!(
                            "item {index}'s recorded leaf hash is missing or damaged (its content hashes to {})",
                            m.computed
                        ),
                    },
                ),
            };
            self.problems.push(Problem {
                index: Some(index),
                kind: m.kind,
                subject: m.subject,
                category,
                what,
            });
        }
        self.problems
            .sort_by_key(|p| (p.index.unwrap_or(u64::MAX), p.category));
    }
}

fn verify(
    store: &dyn EvidenceStore,
    blobs: &BlobStore,
    trusted: &[VerifierKey],
    options: VerifyOptions,
    progress: &mut dyn Progress,
) -> Result<VerifyReport> {
    // Checkpoint sizes are needed during the scan; read them up front (the scan re-reads them in its snapshot).
    let early = store.checkpoints()?;
    progress.set_total(store.len()?);
    let mut v = Verifier {
        blobs,
        deep: options.deep,
        blob_cache: HashMap::new(),
        problems: Vec::new(),
        mismatches: Vec::new(),
        range: CompactRange::default(),
        roots_at: early.iter().map(|c| (c.tree_size, None)).collect(),
        next_root_at: early
            .iter()
            .map(|c| c.tree_size)
            .filter(|&s| s > 0)
            .min()
            .unwrap_or(u64::MAX),
        next: 0,
    };
    let mut pending = 0u64;
    let snapshot = store.scan(&mut |r| {
        v.row(r);
        pending += 1;
        if pending == 4096 {
            progress.inc(pending);
            pending = 0;
        }
        Ok(())
    })?;
    progress.inc(pending);
    v.report_mismatches();
    let head = snapshot.head;
    let items = v.next;
    if items < head.size {
        v.missing(items, head.size);
    } else if items > head.size {
        v.problem(
            None,
            None,
            ProblemCategory::TreeHead,
            format!("the ledger holds {items} items but its recorded tree head says {}: rows were added outside the ledger", head.size),
        );
    }
    let root = v.range.root();
    if items == head.size && root != head.root {
        v.problem(
            None,
            None,
            ProblemCategory::TreeHead,
            format!(
                "the items hash to root {root}, but the recorded tree head says {}",
                head.root
            ),
        );
    }
    let blobs_checked = v.blob_cache.len() as u64;
    let mut previous: Option<(StoredCheckpoint, bool)> = None;
    for cp in &snapshot.checkpoints {
        let id = cp.id;
        let label = format!(
            "checkpoint {id} (size {}, made {})",
            cp.tree_size, cp.created_at
        );
        let keys: Vec<VerifierKey> = if trusted.is_empty() {
            match cp.verifier_key.parse() {
                Ok(k) => vec![k],
                Err(e) => {
                    v.problem(
                        None,
                        None,
                        ProblemCategory::CheckpointSignature,
                        format!("{label}: its recorded verifier key is damaged: {e}"),
                    );
                    continue;
                }
            }
        } else {
            trusted.to_vec()
        };
        let parsed = match Checkpoint::verify(&cp.text, &keys) {
            Ok((parsed, _)) => parsed,
            Err(e) => {
                v.problem(
                    None,
                    None,
                    ProblemCategory::CheckpointSignature,
                    format!("{label}: {e}"),
                );
                continue;
            }
        };
        if parsed.tree_size != cp.tree_size || parsed.origin != cp.origin {
            v.problem(
                None,
                None,
                ProblemCategory::CheckpointSignature,
                format!("{label}: the signed text says origin `{}` size {}, the record says origin `{}` size {}", parsed.origin, parsed.tree_size, cp.origin, cp.tree_size),
            );
        }
        let size = parsed.tree_size;
        let root_ok = if size > items {
            v.problem(
                Some(items),
                None,
                ProblemCategory::CheckpointRoot,
                format!("{label} signs {size} items but only {items} are stored: items from {items} on were removed"),
            );
            false
        } else {
            let recomputed = if size == 0 {
                Some(CompactRange::default().root())
            } else {
                v.roots_at.get(&size).copied().flatten()
            };
            match recomputed {
                Some(r) if r == parsed.root => true,
                Some(r) => {
                    v.problem(
                        None,
                        None,
                        ProblemCategory::CheckpointRoot,
                        format!(
                            "{label}: items 0 to {} now hash to {r}, not to the signed root {}",
                            size.saturating_sub(1),
                            parsed.root
                        ),
                    );
                    false
                }
                None => {
                    v.problem(None, None, ProblemCategory::CheckpointRoot, format!("{label}: its size was not seen during the scan (it was added while verifying)"));
                    false
                }
            }
        };
        if let Some((prev, prev_ok)) = &previous {
            if prev.tree_size > size {
                v.problem(
                    None,
                    None,
                    ProblemCategory::CheckpointConsistency,
                    format!(
                        "{label} signs fewer items than the earlier checkpoint {} ({})",
                        prev.id, prev.tree_size
                    ),
                );
            } else if *prev_ok && !root_ok {
                v.problem(
                    None,
                    None,
                    ProblemCategory::CheckpointConsistency,
                    format!("{label} cannot be shown to extend checkpoint {}: the stored items match the earlier one only", prev.id),
                );
            }
        }
        previous = Some((cp.clone(), root_ok));
    }
    Ok(VerifyReport {
        deep: options.deep,
        items,
        checkpoints: snapshot.checkpoints.len() as u64,
        blobs: blobs_checked,
        root,
        problems: v.problems,
    })
}
