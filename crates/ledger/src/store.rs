//! The storage contract. SQLite implements it today ([`crate::SqliteStore`]); a PostgreSQL store can implement
//! the same trait later without any change to callers. Stores persist and index what the facade prepared; all
//! hashing rules live outside the store (in `evidence` and `merkle`); the store records what the facade computed.

use jiff::Timestamp;
use serde::Serialize;

use crate::Progress;
use crate::digest::Sha256Digest;
use crate::error::Result;
use crate::evidence::PreparedItem;
use crate::kind::EvidenceKind;
use crate::merkle::CompactRange;

/// What happened to one item of an append batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AppendOutcome {
    /// The item's ledger index (0-based, dense).
    pub index: u64,
    /// `false` when an identical item was already stored (the append was a no-op).
    pub new: bool,
}

/// Filter of `list`. All parts are optional and combine with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub kind: Option<EvidenceKind>,
    pub subject: Option<String>,
    /// Items observed at or after this instant.
    pub since: Option<Timestamp>,
    /// At most this many items (in index order).
    pub limit: Option<u64>,
}

/// One stored row, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRow {
    pub index: u64,
    pub leaf_hash: Sha256Digest,
    pub canonical: Vec<u8>,
}

/// One stored row, borrowed from the store during a scan. Fields are raw so that a tampered row can still be
/// reported rather than failing the scan.
#[derive(Debug, Clone, Copy)]
pub struct RowRef<'a> {
    /// The row's position as stored.
    pub index: i64,
    /// The leaf hash the store recorded for this position when the item was appended (empty when none).
    pub recorded_leaf: &'a [u8],
    /// The idempotency key the store recorded for this position (empty when none).
    pub recorded_key: &'a [u8],
    /// The kind under which the store lists this item (`None` when it is not listed under any kind).
    pub listed_kind: Option<&'a str>,
    /// The item's canonical bytes.
    pub canonical: &'a [u8],
}

/// The recorded head of the tree: its size and the compact range that yields the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeHead {
    pub size: u64,
    pub root: Sha256Digest,
    pub range: CompactRange,
}

/// A checkpoint as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredCheckpoint {
    /// Creation order (1, 2, …).
    pub id: i64,
    /// When it was made (caller's clock; not part of the signed text).
    pub created_at: Timestamp,
    pub tree_size: u64,
    pub origin: String,
    /// `<name>+<hex key hash>` of the signing key.
    pub key_id: String,
    /// The signing key's verifier key text as recorded at signing time.
    pub verifier_key: String,
    /// The signed note.
    pub text: String,
}

/// What a scan saw besides the rows, read in the same snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanSnapshot {
    pub head: TreeHead,
    pub checkpoints: Vec<StoredCheckpoint>,
}

/// Storage of evidence items, tree head, checkpoints and collector cursors.
pub trait EvidenceStore: std::fmt::Debug {
    /// Append prepared items in one transaction. Items whose idempotency key is already stored (or appears
    /// earlier in the batch) are not stored again; their existing index is returned with `new: false`.
    ///
    /// The items arrive in chunks, so that callers can prepare the next chunk while the store writes this one;
    /// an `Err` chunk aborts the whole append and nothing of it is stored.
    fn append(
        &mut self,
        chunks: &mut dyn Iterator<Item = Result<Vec<PreparedItem>>>,
        progress: &mut dyn Progress,
    ) -> Result<Vec<AppendOutcome>>;

    /// The recorded tree head.
    fn tree_head(&self) -> Result<TreeHead>;

    /// Number of items (the recorded tree size).
    fn len(&self) -> Result<u64> {
        Ok(self.tree_head()?.size)
    }

    /// Whether the ledger holds no items.
    fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// One row by index.
    fn get(&self, index: u64) -> Result<Option<StoredRow>>;

    /// Rows matching a filter, in index order.
    fn list(&self, filter: &ListFilter) -> Result<Vec<StoredRow>> {
        self.list_from(filter, 0)
    }

    /// Rows matching a filter whose index is at least `from`, in index order (an incremental reader's catch-up).
    fn list_from(&self, filter: &ListFilter, from: u64) -> Result<Vec<StoredRow>>;

    /// How many rows `list` would return for `filter`. Stores may override this with a cheaper count.
    fn count(&self, filter: &ListFilter) -> Result<u64> {
        count_visited(|visit| self.visit(filter, visit))
    }

    /// Visit the rows matching a filter in index order, as (index, canonical bytes), without collecting them
    /// or reading their leaf hashes. Stores may override this with a streaming read.
    fn visit(
        &self,
        filter: &ListFilter,
        visit: &mut dyn FnMut(u64, &[u8]) -> Result<()>,
    ) -> Result<()> {
        for row in self.list(filter)? {
            visit(row.index, &row.canonical)?;
        }
        Ok(())
    }

    /// The rows at `indices` (any order, repeats allowed), in index order without repeats; indices past the end
    /// are left out. Stores may override this with a faster batched read.
    fn get_many(&self, indices: &[u64]) -> Result<Vec<StoredRow>> {
        let mut wanted = indices.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        let mut out = Vec::with_capacity(wanted.len());
        for i in wanted {
            if let Some(row) = self.get(i)? {
                out.push(row);
            }
        }
        Ok(out)
    }

    /// Leaf hashes of items `0..size` in index order.
    fn leaf_hashes(&self, size: u64) -> Result<Vec<Sha256Digest>>;

    /// Visit every stored row in index order inside one read snapshot; returns the tree head and checkpoints of
    /// that same snapshot.
    fn scan(&self, visit: &mut dyn FnMut(RowRef<'_>) -> Result<()>) -> Result<ScanSnapshot>;

    /// Store a checkpoint; returns its id.
    fn put_checkpoint(&mut self, checkpoint: &StoredCheckpoint) -> Result<i64>;

    /// All checkpoints in creation order.
    fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>>;

    /// A collector's cursor value.
    fn cursor(&self, collector: &str, key: &str) -> Result<Option<String>>;

    /// Set a collector's cursor value.
    fn set_cursor(&mut self, collector: &str, key: &str, value: &str) -> Result<()>;
}

/// How many rows a visit over them passes to its visitor.
pub(crate) fn count_visited(
    run: impl FnOnce(&mut dyn FnMut(u64, &[u8]) -> Result<()>) -> Result<()>,
) -> Result<u64> {
    let mut n = 0u64;
    run(&mut |_, _| {
        n += 1;
        Ok(())
    })?;
    Ok(n)
}
