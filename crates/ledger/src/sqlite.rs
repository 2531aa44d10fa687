//! The default store: one SQLite file (`<workspace>/.assay/ledger.db`), WAL mode, one transaction per batch.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use rusqlite::{
    Connection, ErrorCode, OpenFlags, OptionalExtension as _, TransactionBehavior, params,
};

use crate::Progress;
use crate::digest::Sha256Digest;
use crate::envelope;
use crate::error::{LedgerError, Result};
use crate::evidence::PreparedItem;
use crate::merkle::CompactRange;
use crate::store::{
    AppendOutcome, EvidenceStore, ListFilter, RowRef, ScanSnapshot, StoredCheckpoint, StoredRow,
    TreeHead,
};

/// Schema version kept in `PRAGMA user_version`.
pub const SCHEMA_VERSION: i64 = 2;
/// `PRAGMA application_id` of Assay ledgers ("ASYL").
pub const APPLICATION_ID: i64 = 0x4153_594c;
/// Leaf hashes and idempotency keys are stored in tiles of this many positions.
pub const TILE: u64 = 256;

// `items` holds exactly what the Merkle log commits to: one row per item, its canonical bytes. Everything else
// is derived and checked by `verify`: `tiles` records, per run of 256 positions, the leaf hash and idempotency
// key appended at each position (so moved, swapped or edited rows are named, and proofs need no re-hashing);
// `kind_runs` lists items by kind as ranges of consecutive indices (collectors append long runs of one kind).
const SCHEMA: &str = "
CREATE TABLE items (
    idx       INTEGER PRIMARY KEY,
    canonical BLOB NOT NULL
);
CREATE TABLE tiles (
    tile   INTEGER PRIMARY KEY,
    leaves BLOB NOT NULL,
    keys   BLOB NOT NULL
);
CREATE TABLE kind_runs (
    first INTEGER PRIMARY KEY,
    last  INTEGER NOT NULL,
    kind  TEXT NOT NULL
);
CREATE INDEX kind_runs_kind ON kind_runs(kind, first);
CREATE TABLE tree_head (
    id       INTEGER PRIMARY KEY CHECK (id = 0),
    size     INTEGER NOT NULL,
    root     BLOB NOT NULL,
    frontier BLOB NOT NULL
);
CREATE TABLE checkpoints (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at   TEXT NOT NULL,
    tree_size    INTEGER NOT NULL,
    origin       TEXT NOT NULL,
    key_id       TEXT NOT NULL,
    verifier_key TEXT NOT NULL,
    text         TEXT NOT NULL
);
CREATE TABLE cursors (
    collector TEXT NOT NULL,
    key       TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (collector, key)
);
";

/// Hashes a SHA-256 digest by folding its 8-byte words: the digest is already uniformly random, so no
/// further mixing is needed.
#[derive(Debug, Default, Clone, Copy)]
struct DigestHasher(u64);

impl std::hash::Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(b);
        }
    }
}

type KeyMap = HashMap<[u8; 32], u64, BuildHasherDefault<DigestHasher>>;

/// Batches up to this size appended first by a store read the stored keys instead of indexing them all.
const SMALL_APPEND: usize = 64;

/// Idempotency keys of the first `known` items, loaded from `tiles` on the first append of a process and kept
/// current under the write lock.
#[derive(Default)]
struct KeyIndex {
    map: KeyMap,
    known: u64,
}

impl std::fmt::Debug for KeyIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyIndex")
            .field("keys", &self.map.len())
            .field("known", &self.known)
            .finish()
    }
}

/// SQLite implementation of [`EvidenceStore`].
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    conn: Connection,
    keys: Option<KeyIndex>,
    /// Whether the next append may read the stored keys without indexing them (see `append_in`).
    may_scan_keys: bool,
}

/// One kind run: items `first..=last` are all of `kind`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct KindRun {
    first: u64,
    last: u64,
    kind: String,
}

fn classify(path: &Path, e: rusqlite::Error) -> LedgerError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => LedgerError::NotALedger {
            path: path.to_owned(),
            reason: format!("the database file is corrupted or not SQLite ({e})"),
        },
        _ => LedgerError::Database {
            path: path.to_owned(),
            source: e,
        },
    }
}

impl SqliteStore {
    /// Create a new ledger database at `path` (which must not exist).
    pub fn create(path: &Path) -> Result<Self> {
        if path.exists() {
            return Err(LedgerError::AlreadyInitialized {
                path: path.to_owned(),
            });
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, e))?;
        // Large pages: fewer B-tree splits and WAL frame headers for ~1 KB rows appended in order.
        conn.pragma_update(None, "page_size", 65536i64)
            .map_err(|e| classify(path, e))?;
        let mut store = SqliteStore {
            path: path.to_owned(),
            conn,
            keys: None,
            may_scan_keys: true,
        };
        store.configure()?;
        let empty = CompactRange::default();
        let tx = store.conn.transaction().map_err(|e| classify(path, e))?;
        tx.execute_batch(SCHEMA).map_err(|e| classify(path, e))?;
        tx.execute(
            "INSERT INTO tree_head (id, size, root, frontier) VALUES (0, 0, ?1, x'')",
            params![empty.root().0.as_slice()],
        )
        .map_err(|e| classify(path, e))?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(|e| classify(path, e))?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(|e| classify(path, e))?;
        tx.commit().map_err(|e| classify(path, e))?;
        Ok(store)
    }

    /// Open an existing ledger database. A missing, foreign or corrupted file is an error naming the path; the
    /// file is not modified in that case.
    pub fn open(path: &Path) -> Result<Self> {
        if !path.is_file() {
            return Err(LedgerError::NotInitialized {
                path: path.to_owned(),
            });
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, e))?;
        let app: i64 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .map_err(|e| classify(path, e))?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| classify(path, e))?;
        if app != APPLICATION_ID {
            return Err(LedgerError::NotALedger {
                path: path.to_owned(),
                reason: "it is an SQLite database, but not one written by Assay".into(),
            });
        }
        if version != SCHEMA_VERSION {
            return Err(LedgerError::UnsupportedSchema {
                path: path.to_owned(),
                found: version,
                expected: SCHEMA_VERSION,
            });
        }
        let mut store = SqliteStore {
            path: path.to_owned(),
            conn,
            keys: None,
            may_scan_keys: true,
        };
        store.configure()?;
        // Touch every table once so a damaged file is reported now, not halfway through a command.
        store
            .conn
            .query_row(
                "SELECT (SELECT count(*) FROM tree_head), (SELECT max(idx) FROM items), (SELECT max(tile) FROM tiles), (SELECT max(first) FROM kind_runs)",
                [],
                |_| Ok(()),
            )
            .map_err(|e| classify(path, e))?;
        Ok(store)
    }

    fn configure(&mut self) -> Result<()> {
        let p = self.path.clone();
        self.conn
            .busy_timeout(std::time::Duration::from_secs(10))
            .map_err(|e| classify(&p, e))?;
        let mode: String = self
            .conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .map_err(|e| classify(&p, e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(LedgerError::NotALedger {
                path: p,
                reason: format!("cannot switch to WAL mode (got `{mode}`)"),
            });
        }
        // FULL: a commit is durable once `append` returns, even across power loss.
        self.conn
            .pragma_update(None, "synchronous", "FULL")
            .map_err(|e| classify(&p, e))?;
        // Copy the log back into the database after every commit that leaves more than 4 MiB in it. The next
        // transaction then starts writing the log from its beginning again, overwriting blocks the file system
        // already holds (more than twice as fast as growing the log on the machines measured).
        self.conn
            .pragma_update(None, "wal_autocheckpoint", 64i64)
            .map_err(|e| classify(&p, e))?;
        // Reads go through a memory map so that scans do not copy every page into SQLite's page cache first.
        self.conn
            .pragma_update(None, "mmap_size", 1i64 << 40)
            .map_err(|e| classify(&p, e))?;
        Ok(())
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Direct access for tests and maintenance tools.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    fn err(&self, e: rusqlite::Error) -> LedgerError {
        classify(&self.path, e)
    }

    fn read_head(conn: &Connection, path: &Path) -> Result<TreeHead> {
        let (size, root, frontier): (i64, Vec<u8>, Vec<u8>) = conn
            .query_row(
                "SELECT size, root, frontier FROM tree_head WHERE id = 0",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(|e| classify(path, e))?;
        let bad = |what: &str| LedgerError::NotALedger {
            path: path.to_owned(),
            reason: format!("the recorded tree head is damaged ({what})"),
        };
        let size = u64::try_from(size).map_err(|_| bad("negative size"))?;
        let root = Sha256Digest::from_slice(&root).ok_or_else(|| bad("root is not 32 bytes"))?;
        if frontier.len() % 32 != 0 {
            return Err(bad("frontier length"));
        }
        let nodes = frontier
            .chunks_exact(32)
            .filter_map(Sha256Digest::from_slice)
            .collect();
        let range = CompactRange::from_parts(size, nodes)
            .ok_or_else(|| bad("frontier does not match size"))?;
        Ok(TreeHead { size, root, range })
    }

    fn read_checkpoints(conn: &Connection, path: &Path) -> Result<Vec<StoredCheckpoint>> {
        let mut stmt = conn
            .prepare("SELECT id, created_at, tree_size, origin, key_id, verifier_key, text FROM checkpoints ORDER BY id")
            .map_err(|e| classify(path, e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                ))
            })
            .map_err(|e| classify(path, e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, created_at, tree_size, origin, key_id, verifier_key, text) =
                row.map_err(|e| classify(path, e))?;
            let bad = |what: &str| LedgerError::NotALedger {
                path: path.to_owned(),
                reason: format!("checkpoint {id} is damaged ({what})"),
            };
            out.push(StoredCheckpoint {
                id,
                created_at: created_at
                    .parse::<Timestamp>()
                    .map_err(|_| bad("created_at"))?,
                tree_size: u64::try_from(tree_size).map_err(|_| bad("tree_size"))?,
                origin,
                key_id,
                verifier_key,
                text,
            });
        }
        Ok(out)
    }
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn corrupt(index: u64, reason: impl Into<String>) -> LedgerError {
    LedgerError::CorruptItem {
        index,
        reason: format!("{}; run `assay verify`", reason.into()),
    }
}

impl SqliteStore {
    /// Visit the rows matching `filter` whose index is at least `from`, in index order, without copying them.
    fn visit_from(
        &self,
        filter: &ListFilter,
        from: u64,
        visit: &mut dyn FnMut(u64, &[u8]) -> Result<()>,
    ) -> Result<()> {
        let ranges: Vec<(u64, u64)> = match &filter.kind {
            Some(kind) => self
                .runs(Some(kind.as_str()))?
                .into_iter()
                .map(|r| (r.first, r.last))
                .collect(),
            None => vec![(0, u64::MAX >> 1)],
        };
        let ranges: Vec<(u64, u64)> = ranges
            .into_iter()
            .filter(|(_, last)| *last >= from)
            .map(|(first, last)| (first.max(from), last))
            .collect();
        let subject = filter.subject.as_ref().map(|s| {
            let mut enc = Vec::new();
            crate::jcs::write_str(&mut enc, s);
            enc
        });
        let limit = filter.limit.unwrap_or(u64::MAX);
        let mut stmt = self
            .conn
            .prepare("SELECT idx, canonical FROM items WHERE idx BETWEEN ?1 AND ?2 ORDER BY idx")
            .map_err(|e| self.err(e))?;
        let mut seen = 0u64;
        'ranges: for (first, last) in ranges {
            let mut rows = stmt
                .query([to_i64(first), to_i64(last)])
                .map_err(|e| self.err(e))?;
            while let Some(r) = rows.next().map_err(|e| self.err(e))? {
                if seen >= limit {
                    break 'ranges;
                }
                let idx: i64 = r.get(0).map_err(|e| self.err(e))?;
                let index = u64::try_from(idx)
                    .map_err(|_| self.corrupt(0, format!("a row has the negative index {idx}")))?;
                let c = r
                    .get_ref(1)
                    .ok()
                    .and_then(|v| v.as_blob().ok())
                    .unwrap_or(&[]);
                let env = envelope::read(c);
                if let (Some(kind), Some(env)) = (&filter.kind, env)
                    && env.kind != kind.as_str()
                {
                    continue;
                }
                if let Some(enc) = &subject
                    && !envelope::subject_is(c, enc)
                {
                    continue;
                }
                if let Some(since) = &filter.since {
                    let observed = env
                        .and_then(|e| e.observed_at())
                        .and_then(|t| t.parse::<Timestamp>().ok());
                    if observed.is_none_or(|t| t < *since) {
                        continue;
                    }
                }
                seen += 1;
                visit(index, c)?;
            }
        }
        Ok(())
    }

    fn corrupt(&self, index: u64, reason: impl Into<String>) -> LedgerError {
        corrupt(index, reason)
    }

    /// The recorded leaf hashes and keys of tile `tile`, checked to hold exactly `count` positions.
    fn read_tile(conn: &Connection, path: &Path, tile: u64) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
        conn.query_row(
            "SELECT leaves, keys FROM tiles WHERE tile = ?1",
            [to_i64(tile)],
            |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?)),
        )
        .optional()
        .map_err(|e| classify(path, e))
    }

    /// Bring the in-memory idempotency keys up to `size` items (called inside the write transaction).
    fn refresh_keys(
        slot: &mut Option<KeyIndex>,
        conn: &Connection,
        path: &Path,
        size: u64,
    ) -> Result<()> {
        Self::load_keys(slot, conn, path, size, None)
    }

    /// Bring `slot` up to date with the first `size` items. With `only`, the index holds just those keys (the
    /// ones a small batch asks about): every stored key is still read and checked, but not kept.
    fn load_keys(
        slot: &mut Option<KeyIndex>,
        conn: &Connection,
        path: &Path,
        size: u64,
        only: Option<&HashSet<[u8; 32]>>,
    ) -> Result<()> {
        let mut keys = match slot.take() {
            Some(k) if k.known <= size => k,
            _ => KeyIndex::default(),
        };
        if keys.known < size {
            let first_tile = keys.known / TILE;
            let mut stmt = conn
                .prepare("SELECT tile, keys FROM tiles WHERE tile >= ?1 ORDER BY tile")
                .map_err(|e| classify(path, e))?;
            let mut rows = stmt
                .query([to_i64(first_tile)])
                .map_err(|e| classify(path, e))?;
            let mut expected_tile = first_tile;
            while let Some(r) = rows.next().map_err(|e| classify(path, e))? {
                let tile: i64 = r.get(0).map_err(|e| classify(path, e))?;
                let blob = r
                    .get_ref(1)
                    .ok()
                    .and_then(|v| v.as_blob().ok())
                    .unwrap_or(&[]);
                let base = expected_tile * TILE;
                if u64::try_from(tile).ok() != Some(expected_tile) || blob.len() % 32 != 0 {
                    return Err(corrupt(
                        base,
                        format!("the recorded keys of positions {base} onwards are damaged"),
                    ));
                }
                for (k, key) in blob.chunks_exact(32).enumerate() {
                    let index = base + k as u64;
                    if index >= keys.known && index < size {
                        let mut a = [0u8; 32];
                        a.copy_from_slice(key);
                        if only.is_none_or(|o| o.contains(&a)) {
                            keys.map.entry(a).or_insert(index);
                        }
                    }
                }
                expected_tile += 1;
                if expected_tile * TILE >= size {
                    break;
                }
            }
            let loaded = (expected_tile * TILE).min(size);
            if loaded < size {
                return Err(corrupt(
                    loaded,
                    "the recorded keys of these positions are missing",
                ));
            }
            keys.known = size;
        }
        *slot = Some(keys);
        Ok(())
    }

    fn last_run(conn: &Connection, path: &Path) -> Result<Option<KindRun>> {
        conn.query_row(
            "SELECT first, last, kind FROM kind_runs ORDER BY first DESC LIMIT 1",
            [],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                ))
            },
        )
        .optional()
        .map_err(|e| classify(path, e))
        .map(|o| {
            o.map(|(first, last, kind)| KindRun {
                first: first.max(0) as u64,
                last: last.max(0) as u64,
                kind,
            })
        })
    }

    fn runs(&self, kind: Option<&str>) -> Result<Vec<KindRun>> {
        let (sql, args): (&str, Vec<String>) = match kind {
            Some(k) => (
                "SELECT first, last, kind FROM kind_runs WHERE kind = ?1 ORDER BY first",
                vec![k.to_owned()],
            ),
            None => (
                "SELECT first, last, kind FROM kind_runs ORDER BY first",
                vec![],
            ),
        };
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for r in rows {
            let (first, last, kind) = r.map_err(|e| self.err(e))?;
            out.push(KindRun {
                first: first.max(0) as u64,
                last: last.max(0) as u64,
                kind,
            });
        }
        Ok(out)
    }

    fn write_tile(
        tx: &Connection,
        path: &Path,
        tile: u64,
        leaves: &[u8],
        keys: &[u8],
    ) -> Result<()> {
        tx.prepare("INSERT OR REPLACE INTO tiles (tile, leaves, keys) VALUES (?1, ?2, ?3)")
            .and_then(|mut s| s.execute(params![to_i64(tile), leaves, keys]))
            .map_err(|e| classify(path, e))?;
        Ok(())
    }

    fn append_in(
        tx: &Connection,
        path: &Path,
        slot: &mut Option<KeyIndex>,
        may_scan: &mut bool,
        chunks: &mut dyn Iterator<Item = Result<Vec<PreparedItem>>>,
        progress: &mut dyn Progress,
    ) -> Result<Vec<AppendOutcome>> {
        let e = |err| classify(path, err);
        let mut head = Self::read_head(tx, path)?;
        // A process that appends a few items once (`assay check` storing its result, `assay evidence add`)
        // to a large ledger need not index every stored key: the keys are read and only the batch's own are
        // kept. Only the first such append of a store does this; later ones load the whole index, which then
        // stays current.
        let first = chunks.next();
        let second = if first.is_some() { chunks.next() } else { None };
        let wanted: Option<HashSet<[u8; 32]>> = match (&first, &second) {
            (Some(Ok(batch)), None)
                if *may_scan && slot.is_none() && batch.len() <= SMALL_APPEND =>
            {
                Some(batch.iter().map(|i| i.idempotency_key.0).collect())
            }
            _ => None,
        };
        let mut chunks = first.into_iter().chain(second).chain(chunks);
        let mut partial: Option<KeyIndex> = None;
        if let Some(wanted) = &wanted {
            *may_scan = false;
            Self::load_keys(&mut partial, tx, path, head.size, Some(wanted))?;
        } else {
            Self::refresh_keys(slot, tx, path, head.size)?;
        }
        let slot = if wanted.is_some() { &mut partial } else { slot };
        let start_size = head.size;
        // The partly filled last tile, and the run the next item may extend.
        let (mut tile_leaves, mut tile_keys) = if start_size % TILE == 0 {
            (Vec::new(), Vec::new())
        } else {
            let tile = start_size / TILE;
            let fill = ((start_size % TILE) * 32) as usize;
            match Self::read_tile(tx, path, tile)? {
                Some((l, k)) if l.len() == fill && k.len() == fill => (l, k),
                _ => {
                    return Err(corrupt(
                        tile * TILE,
                        format!(
                            "the recorded leaf hashes of positions {} to {} are damaged",
                            tile * TILE,
                            start_size - 1
                        ),
                    ));
                }
            }
        };
        tile_leaves.reserve(TILE as usize * 32);
        tile_keys.reserve(TILE as usize * 32);
        let previous_run = Self::last_run(tx, path)?.filter(|r| r.last + 1 == start_size);
        let mut runs: Vec<KindRun> = previous_run.iter().cloned().collect();
        let keys = slot.as_mut().ok_or_else(|| LedgerError::CorruptItem {
            index: start_size,
            reason: "the idempotency keys were not loaded".into(),
        })?;
        let mut added: Vec<[u8; 32]> = Vec::new();
        let mut outcomes = Vec::new();
        let result = (|| -> Result<()> {
            let mut insert = tx
                .prepare("INSERT INTO items (idx, canonical) VALUES (?1, ?2)")
                .map_err(e)?;
            for chunk in &mut chunks {
                let chunk = chunk?;
                outcomes.reserve(chunk.len());
                for item in &chunk {
                    let key = item.idempotency_key.0;
                    if let Some(&existing) = keys.map.get(&key) {
                        outcomes.push(AppendOutcome {
                            index: existing,
                            new: false,
                        });
                        continue;
                    }
                    let index = head.range.size();
                    insert
                        .execute(params![to_i64(index), item.canonical.as_slice()])
                        .map_err(e)?;
                    keys.map.insert(key, index);
                    added.push(key);
                    head.range.push(item.leaf_hash);
                    tile_leaves.extend_from_slice(&item.leaf_hash.0);
                    tile_keys.extend_from_slice(&key);
                    if tile_leaves.len() == (TILE * 32) as usize {
                        Self::write_tile(tx, path, index / TILE, &tile_leaves, &tile_keys)?;
                        tile_leaves.clear();
                        tile_keys.clear();
                    }
                    match runs.last_mut() {
                        Some(run) if run.kind == item.kind && run.last + 1 == index => {
                            run.last = index
                        }
                        _ => runs.push(KindRun {
                            first: index,
                            last: index,
                            kind: item.kind.clone(),
                        }),
                    }
                    outcomes.push(AppendOutcome { index, new: true });
                }
                progress.inc(chunk.len() as u64);
            }
            let size = head.range.size();
            if !tile_leaves.is_empty() {
                Self::write_tile(tx, path, size / TILE, &tile_leaves, &tile_keys)?;
            }
            let mut run_stmt = tx
                .prepare("INSERT OR REPLACE INTO kind_runs (first, last, kind) VALUES (?1, ?2, ?3)")
                .map_err(e)?;
            for run in &runs {
                if previous_run.as_ref() != Some(run) {
                    run_stmt
                        .execute(params![to_i64(run.first), to_i64(run.last), run.kind])
                        .map_err(e)?;
                }
            }
            let mut frontier = Vec::with_capacity(head.range.nodes().len() * 32);
            for node in head.range.nodes() {
                frontier.extend_from_slice(&node.0);
            }
            tx.execute(
                "UPDATE tree_head SET size = ?1, root = ?2, frontier = ?3 WHERE id = 0",
                params![to_i64(size), head.range.root().0.as_slice(), frontier],
            )
            .map_err(e)?;
            Ok(())
        })();
        match result {
            Ok(()) => {
                keys.known = head.range.size();
                Ok(outcomes)
            }
            Err(err) => {
                for k in &added {
                    keys.map.remove(k);
                }
                Err(err)
            }
        }
    }

    /// The recorded leaf hash of `index`, reading its tile once per `tiles` cache.
    fn leaf_from_tiles(
        &self,
        tiles: &mut HashMap<u64, Vec<u8>>,
        index: u64,
    ) -> Result<Sha256Digest> {
        let tile = index / TILE;
        if let std::collections::hash_map::Entry::Vacant(v) = tiles.entry(tile) {
            v.insert(
                Self::read_tile(&self.conn, &self.path, tile)?
                    .map(|(l, _)| l)
                    .unwrap_or_default(),
            );
        }
        let slot = ((index % TILE) * 32) as usize;
        tiles
            .get(&tile)
            .and_then(|l| l.get(slot..slot + 32))
            .and_then(Sha256Digest::from_slice)
            .ok_or_else(|| self.corrupt(index, "its recorded leaf hash is missing"))
    }

    fn stored_row(&self, index: u64, canonical: Vec<u8>) -> Result<StoredRow> {
        let tile = Self::read_tile(&self.conn, &self.path, index / TILE)?;
        let slot = ((index % TILE) * 32) as usize;
        let leaf = tile
            .as_ref()
            .and_then(|(l, _)| l.get(slot..slot + 32))
            .and_then(Sha256Digest::from_slice)
            .ok_or_else(|| self.corrupt(index, "its recorded leaf hash is missing"))?;
        Ok(StoredRow {
            index,
            leaf_hash: leaf,
            canonical,
        })
    }
}

impl EvidenceStore for SqliteStore {
    fn append(
        &mut self,
        chunks: &mut dyn Iterator<Item = Result<Vec<PreparedItem>>>,
        progress: &mut dyn Progress,
    ) -> Result<Vec<AppendOutcome>> {
        // The write lock is taken first, so the keys and the tree head read below are current.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| classify(&self.path, e))?;
        let outcomes = Self::append_in(
            &tx,
            &self.path,
            &mut self.keys,
            &mut self.may_scan_keys,
            chunks,
            progress,
        )?;
        if let Err(err) = tx.commit() {
            // The keys of this batch are in memory but not stored: load them again next time.
            self.keys = None;
            return Err(classify(&self.path, err));
        }
        Ok(outcomes)
    }

    fn tree_head(&self) -> Result<TreeHead> {
        Self::read_head(&self.conn, &self.path)
    }

    fn get(&self, index: u64) -> Result<Option<StoredRow>> {
        let Ok(i) = i64::try_from(index) else {
            return Ok(None);
        };
        let canonical: Option<Vec<u8>> = self
            .conn
            .prepare("SELECT canonical FROM items WHERE idx = ?1")
            .and_then(|mut s| s.query_row([i], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))?;
        canonical.map(|c| self.stored_row(index, c)).transpose()
    }

    fn get_many(&self, indices: &[u64]) -> Result<Vec<StoredRow>> {
        let mut wanted = indices.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        let mut stmt = self
            .conn
            .prepare("SELECT canonical FROM items WHERE idx = ?1")
            .map_err(|e| self.err(e))?;
        let mut tiles: HashMap<u64, Vec<u8>> = HashMap::new();
        let mut out = Vec::with_capacity(wanted.len());
        for index in wanted {
            let Ok(i) = i64::try_from(index) else {
                continue;
            };
            let canonical: Option<Vec<u8>> = stmt
                .query_row([i], |r| r.get(0))
                .optional()
                .map_err(|e| self.err(e))?;
            let Some(canonical) = canonical else {
                continue;
            };
            let leaf = self.leaf_from_tiles(&mut tiles, index)?;
            out.push(StoredRow {
                index,
                leaf_hash: leaf,
                canonical,
            });
        }
        Ok(out)
    }

    fn list_from(&self, filter: &ListFilter, from: u64) -> Result<Vec<StoredRow>> {
        let mut out = Vec::new();
        let mut tiles: HashMap<u64, Vec<u8>> = HashMap::new();
        self.visit_from(filter, from, &mut |index, canonical| {
            let leaf = self.leaf_from_tiles(&mut tiles, index)?;
            out.push(StoredRow {
                index,
                leaf_hash: leaf,
                canonical: canonical.to_vec(),
            });
            Ok(())
        })?;
        Ok(out)
    }

    fn visit(
        &self,
        filter: &ListFilter,
        visit: &mut dyn FnMut(u64, &[u8]) -> Result<()>,
    ) -> Result<()> {
        self.visit_from(filter, 0, visit)
    }

    fn count(&self, filter: &ListFilter) -> Result<u64> {
        match filter {
            // A kind alone: the lengths of its runs, without reading an item.
            ListFilter {
                kind: Some(kind),
                subject: None,
                since: None,
                limit,
            } => {
                let n: u64 = self
                    .runs(Some(kind.as_str()))?
                    .iter()
                    .map(|r| r.last.saturating_sub(r.first) + 1)
                    .sum();
                Ok(limit.map_or(n, |l| n.min(l)))
            }
            _ => crate::store::count_visited(|visit| self.visit_from(filter, 0, visit)),
        }
    }

    fn leaf_hashes(&self, size: u64) -> Result<Vec<Sha256Digest>> {
        let mut stmt = self
            .conn
            .prepare("SELECT tile, leaves FROM tiles WHERE tile < ?1 ORDER BY tile")
            .map_err(|e| self.err(e))?;
        let mut rows = stmt
            .query([to_i64(size.div_ceil(TILE))])
            .map_err(|e| self.err(e))?;
        let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let tile: i64 = r.get(0).map_err(|e| self.err(e))?;
            let base = out.len() as u64;
            let blob = r
                .get_ref(1)
                .ok()
                .and_then(|v| v.as_blob().ok())
                .unwrap_or(&[]);
            let want = (size - base).min(TILE) as usize;
            if u64::try_from(tile).ok() != Some(base / TILE) || blob.len() < want * 32 {
                return Err(self.corrupt(
                    base,
                    "the recorded leaf hashes of these positions are damaged",
                ));
            }
            out.extend(
                blob[..want * 32]
                    .chunks_exact(32)
                    .filter_map(Sha256Digest::from_slice),
            );
        }
        if (out.len() as u64) < size {
            return Err(self.corrupt(
                out.len() as u64,
                "the recorded leaf hash of this position is missing",
            ));
        }
        Ok(out)
    }

    fn scan(&self, visit: &mut dyn FnMut(RowRef<'_>) -> Result<()>) -> Result<ScanSnapshot> {
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        let head = Self::read_head(&tx, &self.path)?;
        let checkpoints = Self::read_checkpoints(&tx, &self.path)?;
        let runs = self.runs(None)?;
        {
            let mut items = tx
                .prepare("SELECT idx, canonical FROM items ORDER BY idx")
                .map_err(|e| self.err(e))?;
            let mut tiles = tx
                .prepare("SELECT tile, leaves, keys FROM tiles ORDER BY tile")
                .map_err(|e| self.err(e))?;
            let mut tile_rows = tiles.query([]).map_err(|e| self.err(e))?;
            // The current tile: its number, leaf hashes and keys (copied: 16 KiB per 256 items).
            let mut tile: (i64, Vec<u8>, Vec<u8>) = (-1, Vec::new(), Vec::new());
            let mut tiles_done = false;
            let mut run_at = 0usize;
            let mut rows = items.query([]).map_err(|e| self.err(e))?;
            while let Some(r) = rows.next().map_err(|e| self.err(e))? {
                let index = r
                    .get_ref(0)
                    .ok()
                    .and_then(|v| v.as_i64().ok())
                    .unwrap_or(i64::MIN);
                let canonical = r
                    .get_ref(1)
                    .ok()
                    .and_then(|v| v.as_blob().ok())
                    .unwrap_or(&[]);
                let (mut leaf, mut key): (&[u8], &[u8]) = (&[], &[]);
                if index >= 0 {
                    let want = index / TILE as i64;
                    while !tiles_done && tile.0 < want {
                        match tile_rows.next().map_err(|e| self.err(e))? {
                            Some(t) => {
                                let blob = |i: usize| {
                                    t.get_ref(i)
                                        .ok()
                                        .and_then(|v| v.as_blob().ok())
                                        .unwrap_or(&[])
                                };
                                tile.0 = t
                                    .get_ref(0)
                                    .ok()
                                    .and_then(|v| v.as_i64().ok())
                                    .unwrap_or(i64::MAX);
                                tile.1.clear();
                                tile.1.extend_from_slice(blob(1));
                                tile.2.clear();
                                tile.2.extend_from_slice(blob(2));
                            }
                            None => tiles_done = true,
                        }
                    }
                    if tile.0 == want {
                        let slot = (index % TILE as i64) as usize * 32;
                        leaf = tile.1.get(slot..slot + 32).unwrap_or(&[]);
                        key = tile.2.get(slot..slot + 32).unwrap_or(&[]);
                    }
                }
                while runs
                    .get(run_at)
                    .is_some_and(|run| (run.last as i64) < index)
                {
                    run_at += 1;
                }
                let listed_kind = runs
                    .get(run_at)
                    .filter(|run| run.first as i64 <= index)
                    .map(|run| run.kind.as_str());
                visit(RowRef {
                    index,
                    recorded_leaf: leaf,
                    recorded_key: key,
                    listed_kind,
                    canonical,
                })?;
            }
        }
        tx.finish().map_err(|e| self.err(e))?;
        Ok(ScanSnapshot { head, checkpoints })
    }

    fn put_checkpoint(&mut self, cp: &StoredCheckpoint) -> Result<i64> {
        self.conn
            .execute(
                "INSERT INTO checkpoints (created_at, tree_size, origin, key_id, verifier_key, text) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![cp.created_at.to_string(), cp.tree_size as i64, cp.origin, cp.key_id, cp.verifier_key, cp.text],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>> {
        Self::read_checkpoints(&self.conn, &self.path)
    }

    fn cursor(&self, collector: &str, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT value FROM cursors WHERE collector = ?1 AND key = ?2",
                params![collector, key],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    fn set_cursor(&mut self, collector: &str, key: &str, value: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO cursors (collector, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (collector, key) DO UPDATE SET value = excluded.value",
                params![collector, key, value],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }
}
