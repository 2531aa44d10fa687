//! The lineage index: a file beside the ledger that maps each join identity (commit id, git blob, content
//! hash, dataset name or version, run id, model) to the ledger indices of the items found under it, so that a
//! trace reads the few dozen items it shows instead of decoding every lineage item of the ledger.
//!
//! The index is derived data, never evidence: it can be deleted at any time and is rebuilt from the ledger. It
//! records how many ledger items it covers and the leaf hash of the last one; when the ledger no longer agrees
//! (a different ledger, a restored copy), it is rebuilt from the start. Every item a trace uses is still read
//! from the ledger itself, so a wrong index can only make a trace fall back to the full read, or miss an item
//! the equality tests would catch — it cannot put words in the ledger's mouth.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use assay_ledger::{
    ASSAY_DIR, AppendOutcome, CanonicalEvidence, Evidence, EvidenceKind, Ledger, ListFilter,
};
use rusqlite::{Connection, OptionalExtension, params};

use crate::LineageError;
use crate::graph::{Graph, Join, JoinFields, KINDS, joins, pair};
use crate::trace::{Selector, Trace, trace};

/// File name inside the workspace's `.assay` folder.
pub const INDEX_FILE: &str = "lineage-index.db";

/// Format version of the index file; another value means rebuild.
const FORMAT: i64 = 1;

/// Ledger items read per step of an update.
const CHUNK: u64 = 65_536;

/// Rows inserted by one statement.
const INSERT_ROWS: usize = 64;

/// The parts of a stored item the index reads.
#[derive(serde::Deserialize)]
struct Stored<'a> {
    #[serde(borrow)]
    subject: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    payload: JoinFields<'a>,
}

/// What an update did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexUpdate {
    /// Ledger items the index covers now.
    pub covered: u64,
    /// Lineage items read and indexed by this update.
    pub indexed: u64,
    /// Whether the index was rebuilt from the start.
    pub rebuilt: bool,
    /// Ledger items read back from the ledger by this update (the others came from an [`Appended`]).
    pub read: u64,
}

/// The join rows of items as a collection appends them, computed from the items in memory, so that the index
/// update at the end of `assay collect` need not read back and parse what was just stored
/// ([`LineageIndex::update_appended`]). Give it every item the ledger newly stored, in index order (items the
/// ledger already held are not new and must be left out).
#[derive(Debug, Default)]
pub struct Appended {
    /// Ledger indices `first..end` of the items seen.
    span: Option<(u64, u64)>,
    /// An item arrived out of order: the rows are not used.
    broken: bool,
    /// Ledger indices of the lineage items seen, ascending.
    lineage: Vec<u64>,
    /// (join, key, ledger index) of the lineage items seen.
    rows: Vec<(Join, String, u64)>,
}

/// The text of a JSON string literal that needs no unescaping (`"abc"` → `abc`).
fn plain_string(literal: &[u8]) -> Option<&str> {
    let inner = literal.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    if inner.contains(&b'\\') {
        return None;
    }
    std::str::from_utf8(inner).ok()
}

impl Appended {
    /// An empty record.
    pub fn new() -> Appended {
        Appended::default()
    }

    /// Note the item at `index`; `true` when it is a lineage item (its joins are to be recorded).
    fn note(&mut self, index: u64, kind: &EvidenceKind) -> bool {
        self.span = match self.span {
            None => Some((index, index + 1)),
            Some((first, end)) if index == end => Some((first, end + 1)),
            Some(s) => {
                self.broken = true;
                Some(s)
            }
        };
        if self.broken || !KINDS.contains(kind) {
            return false;
        }
        self.lineage.push(index);
        true
    }

    /// A batch the ledger has just appended (`outcomes` as [`Ledger::append`] returned them), its payloads
    /// already canonical. Items the ledger already held are skipped.
    pub fn canonical(&mut self, items: &[CanonicalEvidence], outcomes: &[AppendOutcome]) {
        for (e, o) in items.iter().zip(outcomes).filter(|(_, o)| o.new) {
            self.canonical_item(o.index, &e.kind, &e.subject, e.payload.as_bytes());
        }
    }

    /// A batch the ledger has just appended (`outcomes` as [`Ledger::append`] returned them). Items the ledger
    /// already held are skipped.
    pub fn evidence(&mut self, items: &[Evidence], outcomes: &[AppendOutcome]) {
        for (e, o) in items.iter().zip(outcomes).filter(|(_, o)| o.new) {
            if self.note(o.index, &e.kind) {
                let keys = joins(&e.kind, &e.subject, &JoinFields::from_value(&e.payload));
                self.rows
                    .extend(keys.into_iter().map(|(j, k)| (j, k, o.index)));
            }
        }
    }

    fn canonical_item(&mut self, index: u64, kind: &EvidenceKind, subject: &str, payload: &[u8]) {
        if !self.note(index, kind) {
            return;
        }
        // A commit joins by its id alone: read that one member (commits are most of a large collection).
        if *kind == EvidenceKind::GitCommit {
            match assay_ledger::jcs::member(payload, b"commit") {
                Some(None) => return,
                Some(Some(v)) => {
                    if let Some(id) = plain_string(v) {
                        self.rows.push((Join::Commit, id.to_owned(), index));
                        return;
                    }
                }
                None => {}
            }
        }
        let keys = match serde_json::from_slice::<JoinFields<'_>>(payload) {
            Ok(f) => joins(kind, subject, &f),
            // Not the shape our collectors write: read it as the walk will.
            Err(_) => {
                let value = serde_json::from_slice(payload).unwrap_or(serde_json::Value::Null);
                joins(kind, subject, &JoinFields::from_value(&value))
            }
        };
        self.rows
            .extend(keys.into_iter().map(|(j, k)| (j, k, index)));
    }

    /// Itself when it saw one run of items ending at `len` (the ledger's length now).
    fn usable_for(self, len: u64) -> Option<Appended> {
        match self.span {
            Some((_, end)) if !self.broken && end == len => Some(self),
            _ => None,
        }
    }

    /// Ledger index of the first item seen.
    fn first(&self) -> u64 {
        self.span.map_or(0, |(first, _)| first)
    }

    /// The number of lineage items at or after `from`, and their rows.
    fn rows_from(self, from: u64) -> (u64, Vec<(Join, String, u64)>) {
        let skip = self.lineage.partition_point(|&i| i < from);
        let count = (self.lineage.len() - skip) as u64;
        let mut rows = self.rows;
        if skip > 0 {
            rows.retain(|r| r.2 >= from);
        }
        (count, rows)
    }
}

/// The lineage index of one workspace.
#[derive(Debug)]
pub struct LineageIndex {
    conn: Connection,
    path: PathBuf,
}

fn err(path: &Path, e: impl std::fmt::Display) -> LineageError {
    LineageError::Index {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

fn ledger_err(e: assay_ledger::LedgerError) -> LineageError {
    LineageError::Ledger {
        message: e.to_string(),
    }
}

impl LineageIndex {
    /// The index file of a workspace.
    pub fn path_for(workspace: &Path) -> PathBuf {
        workspace.join(ASSAY_DIR).join(INDEX_FILE)
    }

    /// Open the index of the ledger's workspace, creating the file if needed, and bring it up to date.
    pub fn open_updated(ledger: &Ledger) -> Result<(LineageIndex, IndexUpdate), LineageError> {
        let mut index = LineageIndex::open(&LineageIndex::path_for(ledger.workspace()))?;
        let update = index.update(ledger)?;
        Ok((index, update))
    }

    /// Open (or create) an index file. A file that is not a readable index is derived data gone bad: it is
    /// deleted and created afresh.
    pub fn open(path: &Path) -> Result<LineageIndex, LineageError> {
        match LineageIndex::open_once(path) {
            Err(Damaged::Yes(_)) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.as_os_str().to_owned();
                    p.push(suffix);
                    let _ = std::fs::remove_file(PathBuf::from(p));
                }
                LineageIndex::open_once(path).map_err(Damaged::into_error)
            }
            other => other.map_err(Damaged::into_error),
        }
    }

    fn open_once(path: &Path) -> Result<LineageIndex, Damaged> {
        let existed = path.exists();
        let conn = Connection::open(path).map_err(|e| Damaged::No(err(path, e)))?;
        if !existed {
            restrict(path).map_err(Damaged::No)?;
        }
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS joins (
                 j INTEGER NOT NULL, key TEXT NOT NULL, idx INTEGER NOT NULL,
                 PRIMARY KEY (j, key, idx)
             ) WITHOUT ROWID;",
        )
        .map_err(|e| {
            let damaged = matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
            );
            let e = err(path, e);
            if damaged {
                Damaged::Yes(e)
            } else {
                Damaged::No(e)
            }
        })?;
        Ok(LineageIndex {
            conn,
            path: path.to_owned(),
        })
    }

    fn meta(&self, k: &str) -> Result<Option<String>, LineageError> {
        self.conn
            .query_row("SELECT v FROM meta WHERE k = ?1", [k], |r| r.get(0))
            .optional()
            .map_err(|e| err(&self.path, e))
    }

    /// Ledger items covered by the index.
    pub fn covered(&self) -> Result<u64, LineageError> {
        Ok(self
            .meta("covered")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Index the ledger items added since the last update (all of them after a mismatch).
    pub fn update(&mut self, ledger: &Ledger) -> Result<IndexUpdate, LineageError> {
        self.update_appended(ledger, Appended::default())
    }

    /// [`LineageIndex::update`], taking the join rows of the items just appended from `appended` instead of
    /// reading those items back from the ledger. `appended` is used only when it saw one run of items ending at
    /// the ledger's end; the items before that run (and all of them, when it is not usable) are read from the
    /// ledger as [`LineageIndex::update`] reads them. Either way the index holds the rows a rebuild would write.
    pub fn update_appended(
        &mut self,
        ledger: &Ledger,
        appended: Appended,
    ) -> Result<IndexUpdate, LineageError> {
        let len = ledger.len().map_err(ledger_err)?;
        let format = self.meta("format")?.and_then(|v| v.parse::<i64>().ok());
        let mut from = self.covered()?;
        let mut rebuilt = false;
        let agrees = format == Some(FORMAT)
            && from <= len
            && (from == 0
                || ledger
                    .get(from - 1)
                    .map(|i| Some(i.leaf_hash.to_string()) == self.meta("last_leaf").ok().flatten())
                    .unwrap_or(false));
        if !agrees {
            from = 0;
            rebuilt = true;
        }
        if from == len && !rebuilt {
            return Ok(IndexUpdate {
                covered: len,
                indexed: 0,
                rebuilt,
                read: 0,
            });
        }
        // The appended items cover `read_to..len`; the ledger is read for `from..read_to`.
        let fed = appended.usable_for(len);
        let read_to = fed.as_ref().map_or(len, |a| a.first().max(from));
        let tx = self.conn.transaction().map_err(|e| err(&self.path, e))?;
        if rebuilt {
            tx.execute("DELETE FROM joins", [])
                .map_err(|e| err(&self.path, e))?;
        }
        let mut indexed = 0u64;
        {
            // Rows go in INSERT_ROWS to a statement: one statement step per row costs more than the insert.
            let many = format!(
                "INSERT OR IGNORE INTO joins (j, key, idx) VALUES {}",
                vec!["(?, ?, ?)"; INSERT_ROWS].join(", ")
            );
            let mut insert_many = tx.prepare(&many).map_err(|e| err(&self.path, e))?;
            let mut insert = tx
                .prepare("INSERT OR IGNORE INTO joins (j, key, idx) VALUES (?1, ?2, ?3)")
                .map_err(|e| err(&self.path, e))?;
            let mut insert_all = |mut keyed: Vec<(Join, String, u64)>| {
                keyed.sort_unstable();
                let mut groups = keyed.chunks_exact(INSERT_ROWS);
                for group in groups.by_ref() {
                    for (n, (j, key, idx)) in group.iter().enumerate() {
                        let at = 3 * n;
                        insert_many
                            .raw_bind_parameter(at + 1, j.code())
                            .and_then(|()| insert_many.raw_bind_parameter(at + 2, key.as_str()))
                            .and_then(|()| insert_many.raw_bind_parameter(at + 3, *idx as i64))
                            .map_err(|e| err(&self.path, e))?;
                    }
                    insert_many.raw_execute().map_err(|e| err(&self.path, e))?;
                }
                for (j, key, idx) in groups.remainder() {
                    insert
                        .execute(params![j.code(), key, *idx as i64])
                        .map_err(|e| err(&self.path, e))?;
                }
                Ok::<(), LineageError>(())
            };
            // One pass over the new items in chunks (kinds interleave, so per-kind reads would be many small
            // ranges), reading only the join fields; rows are inserted in key order.
            let mut next = from;
            while next < read_to {
                let chunk = ListFilter {
                    limit: Some(CHUNK.min(read_to - next)),
                    ..ListFilter::default()
                };
                let rows = ledger.store().list_from(&chunk, next).map_err(ledger_err)?;
                let Some(last) = rows.last().map(|r| r.index) else {
                    break;
                };
                next = last + 1;
                let mut keyed: Vec<(Join, String, u64)> = Vec::new();
                for row in rows.iter().filter(|r| r.index < read_to) {
                    let Some(kind) = assay_ledger::envelope::read(&row.canonical)
                        .and_then(|e| e.kind.parse::<EvidenceKind>().ok())
                        .filter(|k| KINDS.contains(k))
                    else {
                        continue;
                    };
                    indexed += 1;
                    let keys = match serde_json::from_slice::<Stored<'_>>(&row.canonical) {
                        Ok(s) => joins(&kind, &s.subject, &s.payload),
                        // Not the shape our collectors write: read it the slow way, as the walk will.
                        Err(_) => {
                            let item = ledger.get(row.index).map_err(ledger_err)?;
                            let e = &item.evidence;
                            joins(&e.kind, &e.subject, &JoinFields::from_value(&e.payload))
                        }
                    };
                    keyed.extend(keys.into_iter().map(|(j, k)| (j, k, row.index)));
                }
                insert_all(keyed)?;
            }
            if let Some(fed) = fed {
                let (count, keyed) = fed.rows_from(read_to);
                indexed += count;
                insert_all(keyed)?;
            }
        }
        let last_leaf = if len == 0 {
            String::new()
        } else {
            ledger
                .get(len - 1)
                .map_err(ledger_err)?
                .leaf_hash
                .to_string()
        };
        for (k, v) in [
            ("format", FORMAT.to_string()),
            ("covered", len.to_string()),
            ("last_leaf", last_leaf),
        ] {
            tx.execute(
                "INSERT INTO meta (k, v) VALUES (?1, ?2) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
                params![k, v],
            )
            .map_err(|e| err(&self.path, e))?;
        }
        tx.commit().map_err(|e| err(&self.path, e))?;
        Ok(IndexUpdate {
            covered: len,
            indexed,
            rebuilt,
            read: read_to - from,
        })
    }

    /// Every row of the index, (join, key, ledger index) in that order (tests compare indexes with it).
    pub fn rows(&self) -> Result<Vec<(Join, String, u64)>, LineageError> {
        let mut stmt = self
            .conn
            .prepare("SELECT j, key, idx FROM joins ORDER BY j, key, idx")
            .map_err(|e| err(&self.path, e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .map_err(|e| err(&self.path, e))?;
        let mut out = Vec::new();
        for r in rows {
            let (j, key, idx) = r.map_err(|e| err(&self.path, e))?;
            let j =
                Join::from_code(j).ok_or_else(|| err(&self.path, format!("unknown join {j}")))?;
            let idx = u64::try_from(idx).map_err(|_| err(&self.path, "a negative ledger index"))?;
            out.push((j, key, idx));
        }
        Ok(out)
    }

    /// Ledger indices of the items found under each key, in index order (all keys together).
    pub fn lookup(&self, keys: &[(Join, String)]) -> Result<Vec<u64>, LineageError> {
        let mut stmt = self
            .conn
            .prepare("SELECT idx FROM joins WHERE j = ?1 AND key = ?2")
            .map_err(|e| err(&self.path, e))?;
        let mut out = Vec::new();
        for (j, key) in keys {
            let rows = stmt
                .query_map(params![j.code(), key], |r| r.get::<_, i64>(0))
                .map_err(|e| err(&self.path, e))?;
            for r in rows {
                let i = r.map_err(|e| err(&self.path, e))?;
                out.push(u64::try_from(i).map_err(|_| err(&self.path, "a negative ledger index"))?);
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }
}

#[cfg(unix)]
fn restrict(path: &Path) -> Result<(), LineageError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|e| err(path, e))
}

#[cfg(not(unix))]
fn restrict(_: &Path) -> Result<(), LineageError> {
    Ok(())
}

/// Why an index file could not be opened: damaged (start over) or not (report).
enum Damaged {
    Yes(LineageError),
    No(LineageError),
}

impl Damaged {
    fn into_error(self) -> LineageError {
        match self {
            Damaged::Yes(e) | Damaged::No(e) => e,
        }
    }
}

/// How a trace was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceRead {
    /// Ledger items read and decoded.
    pub items_read: usize,
    /// Walks of the partial graph before it held everything the walk asks for.
    pub rounds: usize,
    /// Whether the walk fell back to reading every lineage item (an error to report with full context).
    pub full: bool,
}

/// Trace through the index: read the registry events the selector needs, walk, read every item the walk asked
/// for that is not yet held, and walk again until it asks for nothing new. The result is the trace the complete
/// graph gives (the equality tests hold this to account). Errors (unknown model, version or stage) are
/// answered from the complete graph so that they list everything known.
pub fn trace_indexed(
    ledger: &Ledger,
    index: &LineageIndex,
    selector: &Selector,
) -> Result<(Trace, TraceRead), LineageError> {
    let model = selector.model();
    let mut g = Graph::default();
    let mut read = 0usize;
    let fetch = |g: &mut Graph, read: &mut usize, wanted: Vec<u64>| -> Result<(), LineageError> {
        let wanted: Vec<u64> = wanted.into_iter().filter(|i| !g.holds(*i)).collect();
        if wanted.is_empty() {
            return Ok(());
        }
        *read += wanted.len();
        g.extend(ledger.get_many(&wanted).map_err(ledger_err)?);
        Ok(())
    };
    let mut complete: HashSet<(Join, String)> = HashSet::new();
    let mut first: Vec<(Join, String)> = vec![(Join::ModelEvents, model.to_owned())];
    match selector {
        Selector::Version { version, .. } => first.push((Join::RegVersion, pair(model, version))),
        Selector::Latest { .. } => first.push((Join::Model, model.to_owned())),
        _ => {}
    }
    fetch(&mut g, &mut read, index.lookup(&first)?)?;
    complete.extend(first);
    // The holder of a stage is the version registered at the commit of the stage's latest assignment that has
    // a registration there (after its latest unassignment): read registrations at those commits from the latest
    // assignment back until one is found. MLflow models are read whole.
    let mut events: Vec<usize> = g
        .model_events(model)
        .map(<[usize]>::to_vec)
        .unwrap_or_default();
    events.sort_by(|a, b| crate::trace::event_order(&g, *a, *b));
    let mut mlflow = false;
    let mut by_stage: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
    for &p in &events {
        let it = g.item(p);
        mlflow |= it.kind == EvidenceKind::MlflowModelVersion;
        if it.kind == EvidenceKind::GtoStageAssignment
            && let Some(stage) = it.str("stage")
        {
            by_stage.entry(stage.to_owned()).or_default().push(p);
        }
    }
    if mlflow {
        let whole = vec![(Join::Model, model.to_owned())];
        fetch(&mut g, &mut read, index.lookup(&whole)?)?;
        complete.extend(whole);
    } else {
        for list in by_stage.values() {
            for &p in list.iter().rev() {
                let it = g.item(p);
                match (it.str("action"), it.str("commit")) {
                    (Some("unassign"), _) => break,
                    (Some("assign"), Some(c)) => {
                        let key = vec![(Join::RegAtCommit, pair(model, c))];
                        let found = index.lookup(&key)?;
                        complete.extend(key);
                        if !found.is_empty() {
                            fetch(&mut g, &mut read, found)?;
                            break;
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    let mut rounds = 0;
    loop {
        rounds += 1;
        g.take_asked();
        let t = match trace(&g, selector) {
            Ok(t) => t,
            Err(_) => {
                let full = Graph::load(ledger)?;
                let t = trace(&full, selector)?;
                return Ok((
                    t,
                    TraceRead {
                        items_read: full.len(),
                        rounds,
                        full: true,
                    },
                ));
            }
        };
        let mut asked = g.take_asked();
        asked.push((Join::RegVersion, pair(model, &t.version)));
        let new: Vec<(Join, String)> = asked
            .into_iter()
            .filter(|k| complete.insert(k.clone()))
            .collect();
        let wanted: Vec<u64> = index
            .lookup(&new)?
            .into_iter()
            .filter(|i| !g.holds(*i))
            .collect();
        if wanted.is_empty() {
            return Ok((
                t,
                TraceRead {
                    items_read: read,
                    rounds,
                    full: false,
                },
            ));
        }
        fetch(&mut g, &mut read, wanted)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows a commit item gets from the one-member read equal those of decoding its whole payload.
    #[test]
    fn a_commit_reads_the_same_join_rows_either_way() {
        let payloads = [
            r#"{"author":{"email":"a@b","name":"A","time":"2024-01-01T00:00:00Z","utc_offset_minutes":0},"commit":"abc123","repo":"r"}"#,
            r#"{"commit":"ab\"c","repo":"r"}"#,
            r#"{"commit":"\u00e9t\u00e9"}"#,
            r#"{"commit":null,"repo":"r"}"#,
            r#"{"commit":7}"#,
            r#"{"repo":"r"}"#,
            r#"{"a":{"commit":"nested"},"repo":"r"}"#,
            r#"{"a":"x\"commit\":\"fake","commit":"real"}"#,
            r#"[1,2]"#,
            r#""text""#,
        ];
        for (i, p) in payloads.iter().enumerate() {
            let mut fast = Appended::new();
            fast.canonical_item(i as u64, &EvidenceKind::GitCommit, "repo:r", p.as_bytes());
            let value: serde_json::Value = serde_json::from_str(p).expect("json");
            let slow: Vec<(Join, String, u64)> = joins(
                &EvidenceKind::GitCommit,
                "repo:r",
                &JoinFields::from_value(&value),
            )
            .into_iter()
            .map(|(j, k)| (j, k, i as u64))
            .collect();
            assert_eq!(fast.rows, slow, "{p}");
        }
    }
}
