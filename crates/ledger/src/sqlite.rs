//! The default store: one SQLite file (`<workspace>/.assay/ledger.db`), WAL mode, one transaction per batch.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use rusqlite::{
    Connection, ErrorCode, OpenFlags, OptionalExtension as _, TransactionBehavior, params,
};

use crate::Progress;
use crate::digest::Sha256Digest;
use crate::error::{LedgerError, Result};
use crate::evidence::PreparedItem;
use crate::merkle::CompactRange;
use crate::store::{
    AppendOutcome, EvidenceStore, ListFilter, RowRef, ScanSnapshot, StoredCheckpoint, StoredRow,
    TreeHead, position_tag,
};

/// Schema version kept in `PRAGMA user_version`.
pub const SCHEMA_VERSION: i64 = 1;
/// `PRAGMA application_id` of Assay ledgers ("ASYL").
pub const APPLICATION_ID: i64 = 0x4153_594c;

const SCHEMA: &str = "
CREATE TABLE items (
    idx          INTEGER PRIMARY KEY,
    leaf_hash    BLOB NOT NULL,
    position_tag BLOB NOT NULL,
    idem_key     BLOB NOT NULL,
    kind         TEXT NOT NULL,
    subject      TEXT NOT NULL,
    observed_s   INTEGER NOT NULL,
    observed_ns  INTEGER NOT NULL,
    attachments  BLOB NOT NULL,
    canonical    BLOB NOT NULL
);
CREATE UNIQUE INDEX items_idem ON items(idem_key);
CREATE INDEX items_kind ON items(kind, observed_s);
CREATE INDEX items_subject ON items(subject, observed_s);
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

/// SQLite implementation of [`EvidenceStore`].
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    conn: Connection,
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
        // Larger pages: fewer WAL frames and B-tree splits for ~1 KB rows.
        conn.pragma_update(None, "page_size", 16384i64)
            .map_err(|e| classify(path, e))?;
        let mut store = SqliteStore {
            path: path.to_owned(),
            conn,
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
        };
        store.configure()?;
        // Touch every table once so a damaged file is reported now, not halfway through a command.
        store
            .conn
            .query_row(
                "SELECT (SELECT count(*) FROM tree_head), (SELECT max(idx) FROM items)",
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
        // A larger page cache keeps the idempotency index (random keys) in memory during big batches, and fewer
        // automatic WAL checkpoints copy each hot index page once instead of once per batch.
        self.conn
            .pragma_update(None, "cache_size", -65536i64)
            .map_err(|e| classify(&p, e))?;
        self.conn
            .pragma_update(None, "wal_autocheckpoint", 8192i64)
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

fn to_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, Vec<u8>, Vec<u8>)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
}

impl SqliteStore {
    fn owned_row(&self, (index, leaf, canonical): (i64, Vec<u8>, Vec<u8>)) -> Result<StoredRow> {
        let index_u = u64::try_from(index).map_err(|_| LedgerError::CorruptItem {
            index: 0,
            reason: format!("negative index {index}"),
        })?;
        let leaf_hash =
            Sha256Digest::from_slice(&leaf).ok_or_else(|| LedgerError::CorruptItem {
                index: index_u,
                reason: "stored leaf hash is not 32 bytes".into(),
            })?;
        Ok(StoredRow {
            index: index_u,
            leaf_hash,
            canonical,
        })
    }
}

impl EvidenceStore for SqliteStore {
    fn append(
        &mut self,
        items: &[PreparedItem],
        progress: &mut dyn Progress,
    ) -> Result<Vec<AppendOutcome>> {
        let path = self.path.clone();
        let e = |err| classify(&path, err);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(e)?;
        let mut head = Self::read_head(&tx, &path)?;
        let mut outcomes = Vec::with_capacity(items.len());
        {
            let mut insert = tx
                .prepare(
                    "INSERT INTO items (idx, leaf_hash, position_tag, idem_key, kind, subject, observed_s, observed_ns, attachments, canonical)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (idem_key) DO NOTHING",
                )
                .map_err(e)?;
            let mut lookup = tx
                .prepare("SELECT idx FROM items WHERE idem_key = ?1")
                .map_err(e)?;
            let mut attachments = Vec::new();
            for (n, item) in items.iter().enumerate() {
                let index = head.range.size();
                let tag = position_tag(index, &item.leaf_hash);
                attachments.clear();
                for a in &item.attachments {
                    attachments.extend_from_slice(&a.0);
                }
                let changed = insert
                    .execute(params![
                        index as i64,
                        item.leaf_hash.0.as_slice(),
                        tag.0.as_slice(),
                        item.idempotency_key.0.as_slice(),
                        item.kind,
                        item.subject,
                        item.observed_at.as_second(),
                        i64::from(item.observed_at.subsec_nanosecond()),
                        attachments.as_slice(),
                        item.canonical.as_slice(),
                    ])
                    .map_err(e)?;
                if changed == 1 {
                    head.range.push(item.leaf_hash);
                    outcomes.push(AppendOutcome { index, new: true });
                } else {
                    let existing: i64 = lookup
                        .query_row(params![item.idempotency_key.0.as_slice()], |r| r.get(0))
                        .map_err(e)?;
                    outcomes.push(AppendOutcome {
                        index: existing as u64,
                        new: false,
                    });
                }
                if n % 1024 == 1023 {
                    progress.inc(1024);
                }
            }
            progress.inc((items.len() % 1024) as u64);
            let mut frontier = Vec::with_capacity(head.range.nodes().len() * 32);
            for node in head.range.nodes() {
                frontier.extend_from_slice(&node.0);
            }
            tx.execute(
                "UPDATE tree_head SET size = ?1, root = ?2, frontier = ?3 WHERE id = 0",
                params![
                    head.range.size() as i64,
                    head.range.root().0.as_slice(),
                    frontier
                ],
            )
            .map_err(e)?;
        }
        tx.commit().map_err(e)?;
        Ok(outcomes)
    }

    fn tree_head(&self) -> Result<TreeHead> {
        Self::read_head(&self.conn, &self.path)
    }

    fn get(&self, index: u64) -> Result<Option<StoredRow>> {
        let Ok(i) = i64::try_from(index) else {
            return Ok(None);
        };
        let row = self
            .conn
            .prepare("SELECT idx, leaf_hash, canonical FROM items WHERE idx = ?1")
            .and_then(|mut s| s.query_row([i], to_row).optional())
            .map_err(|e| self.err(e))?;
        row.map(|r| self.owned_row(r)).transpose()
    }

    fn list(&self, filter: &ListFilter) -> Result<Vec<StoredRow>> {
        let mut sql = String::from("SELECT idx, leaf_hash, canonical FROM items WHERE 1=1");
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(kind) = &filter.kind {
            args.push(kind.as_str().to_owned().into());
            sql.push_str(&format!(" AND kind = ?{}", args.len()));
        }
        if let Some(subject) = &filter.subject {
            args.push(subject.clone().into());
            sql.push_str(&format!(" AND subject = ?{}", args.len()));
        }
        if let Some(since) = &filter.since {
            args.push(since.as_second().into());
            let s = args.len();
            args.push(i64::from(since.subsec_nanosecond()).into());
            sql.push_str(&format!(
                " AND (observed_s > ?{s} OR (observed_s = ?{s} AND observed_ns >= ?{}))",
                s + 1
            ));
        }
        sql.push_str(" ORDER BY idx");
        if let Some(limit) = filter.limit {
            args.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
            sql.push_str(&format!(" LIMIT ?{}", args.len()));
        }
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), to_row)
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(self.owned_row(r.map_err(|e| self.err(e))?)?);
        }
        Ok(out)
    }

    fn leaf_hashes(&self, size: u64) -> Result<Vec<Sha256Digest>> {
        let mut stmt = self
            .conn
            .prepare("SELECT idx, leaf_hash FROM items WHERE idx < ?1 ORDER BY idx")
            .map_err(|e| self.err(e))?;
        let mut rows = stmt
            .query([i64::try_from(size).unwrap_or(i64::MAX)])
            .map_err(|e| self.err(e))?;
        let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let idx: i64 = r.get(0).map_err(|e| self.err(e))?;
            let leaf = r.get_ref(1).map_err(|e| self.err(e))?.as_blob().ok();
            let index = idx as u64;
            if index != out.len() as u64 {
                return Err(LedgerError::CorruptItem {
                    index: out.len() as u64,
                    reason: "the item is missing".into(),
                });
            }
            let leaf = leaf.and_then(Sha256Digest::from_slice).ok_or_else(|| {
                LedgerError::CorruptItem {
                    index,
                    reason: "stored leaf hash is not 32 bytes".into(),
                }
            })?;
            out.push(leaf);
        }
        if (out.len() as u64) < size {
            return Err(LedgerError::CorruptItem {
                index: out.len() as u64,
                reason: "the item is missing".into(),
            });
        }
        Ok(out)
    }

    fn scan(&self, visit: &mut dyn FnMut(RowRef<'_>) -> Result<()>) -> Result<ScanSnapshot> {
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        let head = Self::read_head(&tx, &self.path)?;
        let checkpoints = Self::read_checkpoints(&tx, &self.path)?;
        {
            let mut stmt = tx
                .prepare(
                    "SELECT idx, leaf_hash, position_tag, idem_key, kind, subject, observed_s, observed_ns, attachments, canonical
                     FROM items ORDER BY idx",
                )
                .map_err(|e| self.err(e))?;
            let mut rows = stmt.query([]).map_err(|e| self.err(e))?;
            while let Some(r) = rows.next().map_err(|e| self.err(e))? {
                let blob = |i: usize| {
                    r.get_ref(i)
                        .ok()
                        .and_then(|v| v.as_blob().ok())
                        .unwrap_or(&[])
                };
                let text = |i: usize| {
                    r.get_ref(i)
                        .ok()
                        .and_then(|v| v.as_str().ok())
                        .unwrap_or("")
                };
                let int = |i: usize| {
                    r.get_ref(i)
                        .ok()
                        .and_then(|v| v.as_i64().ok())
                        .unwrap_or(i64::MIN)
                };
                visit(RowRef {
                    index: int(0),
                    leaf_hash: blob(1),
                    position_tag: blob(2),
                    idempotency_key: blob(3),
                    kind: text(4),
                    subject: text(5),
                    observed_s: int(6),
                    observed_ns: int(7),
                    attachments: blob(8),
                    canonical: blob(9),
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
