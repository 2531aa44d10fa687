//! Personal data and secrets: [`scan`](scan::scan) finds them in bytes, [`scan_paths`] runs it over files
//! with counts per file, column and entity, and [`redact_file`] writes a cleaned copy with values masked
//! or replaced by keyed HMAC-SHA256 pseudonyms.
//!
//! Reports hold only redacted examples (a few characters of each value), never the values themselves,
//! and never the pseudonymisation key.

pub mod checks;
pub mod scan;

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{DataError, Result, io};
use crate::read::{Cell, Format, read_file};
pub use scan::{Entity, Finding};

/// Bytes read per step; memory stays at about this plus the longest line.
const CHUNK: usize = 8 << 20;

/// What to report.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub min_confidence: f64,
    /// Redacted examples kept per file, column and entity.
    pub max_examples: usize,
    /// Locations kept for SARIF.
    pub max_locations: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            min_confidence: 0.4,
            max_examples: 3,
            max_locations: 1000,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScannedFile {
    pub path: String,
    pub bytes: u64,
    pub findings: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Example {
    pub line: u64,
    pub redacted: String,
}

/// Findings of one entity in one column of one file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FindingGroup {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub entity: Entity,
    pub count: u64,
    pub max_confidence: f64,
    pub examples: Vec<Example>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Location {
    pub file: String,
    pub line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub entity: Entity,
    pub confidence: f64,
}

/// The result of a scan (also the `pii.scan` evidence payload, without `locations`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PiiReport {
    pub files: Vec<ScannedFile>,
    pub bytes: u64,
    pub min_confidence: f64,
    pub total: u64,
    pub by_entity: BTreeMap<String, u64>,
    pub findings: Vec<FindingGroup>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
}

/// Mask the middle of a value: keep a little of each end so a person can recognise it.
pub fn redact_example(v: &[u8]) -> String {
    let s = String::from_utf8_lossy(v);
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    let keep = if n >= 12 { 2 } else { usize::from(n >= 6) };
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            if i < keep || i + keep >= n || !c.is_alphanumeric() {
                c
            } else {
                '*'
            }
        })
        .collect()
}

/// How to tell which column a byte offset is in, and each column's context mask.
struct Layout {
    kind: LayoutKind,
    names: Vec<String>,
    masks: Vec<u16>,
    index: HashMap<String, usize>,
    /// The JSON key interned last, as bytes, and its column (keys repeat from line to line).
    last_key: Option<(Vec<u8>, usize)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LayoutKind {
    Csv,
    Jsonl,
    Text,
}

impl Layout {
    fn new(kind: LayoutKind, names: Vec<String>) -> Layout {
        let masks = names.iter().map(|n| scan::context_mask(n)).collect();
        let index = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        Layout {
            kind,
            names,
            masks,
            index,
            last_key: None,
        }
    }

    fn intern(&mut self, name: &[u8]) -> usize {
        let name = String::from_utf8_lossy(name);
        if let Some(&i) = self.index.get(name.as_ref()) {
            return i;
        }
        let i = self.names.len();
        self.masks.push(scan::context_mask(&name));
        self.names.push(name.clone().into_owned());
        self.index.insert(name.into_owned(), i);
        i
    }

    /// The CSV column with index `idx`, named `column_N` past the header's end.
    fn csv_column(&mut self, idx: usize) -> usize {
        while self.names.len() <= idx {
            let n = format!("column_{}", self.names.len() + 1);
            self.intern(n.as_bytes());
        }
        idx
    }

    /// The column holding byte `at` of `line`.
    fn column_at(&mut self, line: &[u8], at: usize) -> Option<usize> {
        match self.kind {
            LayoutKind::Csv => {
                let mut quoted = false;
                let mut idx = 0;
                for k in memchr::memchr2_iter(b'"', b',', &line[..at]) {
                    if line[k] == b'"' {
                        quoted = !quoted;
                    } else if !quoted {
                        idx += 1;
                    }
                }
                Some(self.csv_column(idx))
            }
            LayoutKind::Jsonl => {
                let before = &line[..at];
                // The nearest `:` after a quoted key (spaces allowed between).
                for k in memchr::memrchr_iter(b':', before) {
                    let mut q = k;
                    while q > 0 && before[q - 1] == b' ' {
                        q -= 1;
                    }
                    if q > 0 && before[q - 1] == b'"' {
                        let key_end = q - 1;
                        let key_start = memchr::memrchr(b'"', &before[..key_end])? + 1;
                        let key = &before[key_start..key_end];
                        if let Some((last, i)) = &self.last_key
                            && last.as_slice() == key
                        {
                            return Some(*i);
                        }
                        let i = self.intern(key);
                        self.last_key = Some((key.to_vec(), i));
                        return Some(i);
                    }
                }
                None
            }
            LayoutKind::Text => None,
        }
    }
}

fn csv_header(line: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut quoted = false;
    for &c in line {
        match c {
            b'"' => quoted = !quoted,
            b',' if !quoted => out.push(std::mem::take(&mut cur)),
            b'\r' => {}
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|v| String::from_utf8_lossy(&v).trim().to_owned())
        .collect()
}

/// A multiply-rotate hasher for the small integer keys of the group map (SipHash showed in profiles).
#[derive(Default)]
struct QuickHasher(u64);

impl std::hash::Hasher for QuickHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }
}

type GroupKey = (usize, Option<usize>, Entity);
type Groups = HashMap<GroupKey, usize, std::hash::BuildHasherDefault<QuickHasher>>;

/// Columns whose groups of the current file are found by direct indexing instead of through the map.
const DIRECT_COLUMNS: usize = 64;

/// Accumulates groups while files are scanned.
struct Acc<'o> {
    opts: &'o ScanOptions,
    /// Every group, in the order first seen; `index` maps a key to its place.
    groups: Vec<FindingGroup>,
    index: Groups,
    /// For the file `direct_file`: place + 1 of the group of (column + 1, entity), 0 when there is none yet
    /// (slot 0 holds findings without a column), for the first [`DIRECT_COLUMNS`] columns.
    direct: Vec<[u32; 10]>,
    direct_file: usize,
    locations: Vec<Location>,
}

impl Acc<'_> {
    fn new(opts: &ScanOptions) -> Acc<'_> {
        Acc {
            opts,
            groups: Vec::new(),
            index: Groups::default(),
            direct: vec![[0; 10]; DIRECT_COLUMNS + 1],
            direct_file: 0,
            locations: Vec::new(),
        }
    }

    /// The place of the group of `key`, created (named `file` and `column`) when it is new.
    fn group(&mut self, key: GroupKey, file: &str, column: Option<&str>) -> usize {
        let slot = key.1.map_or(0, |c| c + 1);
        let direct = slot <= DIRECT_COLUMNS;
        if direct {
            if self.direct_file != key.0 {
                self.direct.iter_mut().for_each(|d| *d = [0; 10]);
                self.direct_file = key.0;
            }
            let at = self.direct[slot][key.2 as usize];
            if at > 0 {
                return at as usize - 1;
            }
        }
        let next = self.groups.len();
        let at = *self.index.entry(key).or_insert(next);
        if at == next {
            self.groups.push(FindingGroup {
                file: file.to_owned(),
                column: column.map(str::to_owned),
                entity: key.2,
                count: 0,
                max_confidence: 0.0,
                examples: Vec::new(),
            });
        }
        if direct && let Ok(v) = u32::try_from(at + 1) {
            self.direct[slot][key.2 as usize] = v;
        }
        at
    }

    /// Count a finding; `line` is asked for only while examples or locations are still wanted.
    fn add(
        &mut self,
        key: (usize, Option<usize>, Entity),
        file: &str,
        column: Option<&str>,
        f: &Finding,
        value: &[u8],
        line: impl FnOnce() -> u64,
    ) {
        let at = self.group(key, file, column);
        let g = &mut self.groups[at];
        g.count += 1;
        g.max_confidence = g.max_confidence.max(f.score);
        let example = g.examples.len() < self.opts.max_examples;
        let location = self.locations.len() < self.opts.max_locations;
        if !example && !location {
            return;
        }
        let line = line();
        if example {
            g.examples.push(Example {
                line,
                redacted: redact_example(value),
            });
        }
        if location {
            self.locations.push(Location {
                file: file.to_owned(),
                line,
                column: column.map(str::to_owned),
                entity: f.entity,
                confidence: f.score,
            });
        }
    }
}

/// Findings in one block of whole lines, boosted by context and filtered by confidence, in order.
/// `header` gives CSV column names; `jsonl` attributes findings to JSON keys.
pub fn findings_in(
    block: &[u8],
    header: Option<&[String]>,
    jsonl: bool,
    min: f64,
) -> Vec<(Finding, Option<String>)> {
    let mut layout = match (header, jsonl) {
        (Some(h), _) => Layout::new(LayoutKind::Csv, h.to_vec()),
        (None, true) => Layout::new(LayoutKind::Jsonl, Vec::new()),
        _ => Layout::new(LayoutKind::Text, Vec::new()),
    };
    let found = block_findings(block, &mut layout, min);
    found
        .into_iter()
        .map(|(f, c)| (f, c.map(|i| layout.names[i].clone())))
        .collect()
}

/// The start of the line holding byte `at` of `block` (no earlier than `from`, a line start) and its CSV
/// column, in one backward pass over the line's newline, commas and quotes: a comma separates fields when
/// an even number of quotes comes before it on the line, that is when the quotes between it and `at` have
/// the parity of all the quotes before `at`.
fn csv_line_and_column(
    block: &[u8],
    from: usize,
    at: usize,
    layout: &mut Layout,
) -> (usize, Option<usize>) {
    let mut ls = from;
    let mut quotes_after = 0usize;
    let mut commas = [0usize; 2];
    for k in memchr::memrchr3_iter(b'\n', b',', b'"', &block[from..at]) {
        match block[from + k] {
            b'\n' => {
                ls = from + k + 1;
                break;
            }
            b'"' => quotes_after += 1,
            _ => commas[quotes_after & 1] += 1,
        }
    }
    (ls, Some(layout.csv_column(commas[quotes_after & 1])))
}

/// Bytes of a block scanned at a time (cut after a line end), so that the per-finding work (line start,
/// column, context words) reads text still in the core's cache.
const PIECE: usize = 128 << 10;

fn block_findings(block: &[u8], layout: &mut Layout, min: f64) -> Vec<(Finding, Option<usize>)> {
    // Private-key blocks span lines: found over the whole block, each handled with its starting piece.
    let mut keys = Vec::new();
    scan::private_keys(block, &mut keys);
    let mut keys = keys.into_iter().peekable();
    let mut raw = Vec::new();
    let mut out = Vec::new();
    let mut last_end = 0;
    let mut pos = 0;
    while pos < block.len() {
        let cut = if block.len() - pos <= PIECE {
            block.len()
        } else {
            let at = pos + PIECE;
            match memchr::memrchr(b'\n', &block[pos..at]) {
                Some(k) => pos + k + 1,
                None => memchr::memchr(b'\n', &block[at..]).map_or(block.len(), |k| at + k + 1),
            }
        };
        raw.clear();
        scan::scan_lines(&block[pos..cut], &mut raw);
        for f in &mut raw {
            f.start += pos;
            f.end += pos;
        }
        while let Some(k) = keys.next_if(|k| k.start < cut) {
            raw.push(k);
        }
        // A stable sort: the passes each emit nearly in order, and the merge of those runs is linear.
        raw.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
        for &f in &raw {
            let mut f = f;
            if f.start < last_end {
                continue;
            }
            let (ls, column) = if layout.kind == LayoutKind::Csv {
                csv_line_and_column(block, pos, f.start, layout)
            } else {
                let ls = memchr::memrchr(b'\n', &block[pos..f.start]).map_or(pos, |k| pos + k + 1);
                (ls, layout.column_at(&block[ls..], f.start - ls))
            };
            let from = f.start.saturating_sub(48).max(ls);
            let mask = column
                .and_then(|c| layout.masks.get(c).copied())
                .unwrap_or(0);
            let start = f.start;
            scan::boost(&mut f, &block[from..start], mask);
            if f.score >= min {
                last_end = f.end;
                out.push((f, column));
            }
        }
        pos = cut;
    }
    out
}

/// Read `path` in blocks of whole lines, calling `each(block, first_line_number)`. One buffer is reused;
/// it grows only for a line longer than it.
fn blocks(path: &Path, each: &mut dyn FnMut(&[u8], u64) -> Result<()>) -> Result<u64> {
    let mut f = File::open(path).map_err(io(path))?;
    let mut buf: Vec<u8> = vec![0; CHUNK];
    let mut len = 0usize;
    let mut total = 0u64;
    let mut line = 1u64;
    loop {
        if len == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let n = f.read(&mut buf[len..]).map_err(io(path))?;
        total += n as u64;
        len += n;
        let eof = n == 0;
        if !eof && len < buf.len() {
            continue;
        }
        let cut = if eof {
            len
        } else {
            match memchr::memrchr(b'\n', &buf[..len]) {
                Some(k) => k + 1,
                None => continue,
            }
        };
        if cut > 0 {
            each(&buf[..cut], line)?;
            line += memchr::memchr_iter(b'\n', &buf[..cut]).count() as u64;
        }
        buf.copy_within(cut..len, 0);
        len -= cut;
        if eof {
            break;
        }
    }
    Ok(total)
}

/// Line numbers of increasing offsets in a block, counted only when asked for.
struct Lines<'b> {
    block: &'b [u8],
    pos: usize,
    line: u64,
}

impl Lines<'_> {
    fn at(&mut self, offset: usize) -> u64 {
        self.line += memchr::memchr_iter(b'\n', &self.block[self.pos..offset]).count() as u64;
        self.pos = offset;
        self.line
    }
}

fn layout_for(path: &Path, first_block: &[u8]) -> Layout {
    match Format::of(path) {
        Some(Format::Csv) => {
            let end = memchr::memchr(b'\n', first_block).unwrap_or(first_block.len());
            Layout::new(LayoutKind::Csv, csv_header(&first_block[..end]))
        }
        Some(Format::Jsonl) => Layout::new(LayoutKind::Jsonl, Vec::new()),
        _ => Layout::new(LayoutKind::Text, Vec::new()),
    }
}

fn scan_text_file(file_no: usize, path: &Path, acc: &mut Acc<'_>) -> Result<ScannedFile> {
    let name = path.display().to_string();
    let mut layout: Option<Layout> = None;
    let mut count = 0u64;
    let min = acc.opts.min_confidence;
    let bytes = blocks(path, &mut |block, first| {
        let lay = layout.get_or_insert_with(|| layout_for(path, block));
        let header_end = if first == 1 && lay.kind == LayoutKind::Csv {
            memchr::memchr(b'\n', block).map_or(block.len(), |k| k + 1)
        } else {
            0
        };
        let found = block_findings(block, lay, min);
        let mut lines = Lines {
            block,
            pos: 0,
            line: first,
        };
        for (f, col) in found {
            if f.start < header_end {
                continue; // the header names columns; it is not data
            }
            count += 1;
            let key = (file_no, col, f.entity);
            let cname = col.map(|c| lay.names[c].as_str());
            acc.add(key, &name, cname, &f, &block[f.start..f.end], || {
                lines.at(f.start)
            });
        }
        Ok(())
    })?;
    Ok(ScannedFile {
        path: name,
        bytes,
        findings: count,
    })
}

fn scan_parquet(file_no: usize, path: &Path, acc: &mut Acc<'_>) -> Result<ScannedFile> {
    let name = path.display().to_string();
    let mut count = 0u64;
    let mut bytes = 0u64;
    let min = acc.opts.min_confidence;
    let mut text = Layout::new(LayoutKind::Text, Vec::new());
    read_file(path, &mut |ctx, cells| {
        for (i, c) in cells.iter().enumerate() {
            if let Cell::Str(s) = c {
                bytes += s.len() as u64;
                let col = ctx.columns.get(i).map(String::as_str);
                let mask = col.map_or(0, scan::context_mask);
                for (mut f, _) in block_findings(s.as_bytes(), &mut text, 0.0) {
                    scan::boost(&mut f, b"", mask);
                    if f.score >= min {
                        count += 1;
                        acc.add(
                            (file_no, Some(i), f.entity),
                            &name,
                            col,
                            &f,
                            &s.as_bytes()[f.start..f.end],
                            || ctx.row,
                        );
                    }
                }
            }
        }
        Ok(())
    })?;
    Ok(ScannedFile {
        path: name,
        bytes,
        findings: count,
    })
}

fn looks_binary(path: &Path) -> Result<bool> {
    let mut f = File::open(path).map_err(io(path))?;
    let mut head = [0u8; 8192];
    let n = f.read(&mut head).map_err(io(path))?;
    Ok(memchr::memchr(0, &head[..n]).is_some())
}

/// Scan files and directories (hidden entries and binary files skipped; Parquet read by column).
pub fn scan_paths(paths: &[PathBuf], opts: &ScanOptions) -> Result<PiiReport> {
    let mut files = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(io(p))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            crate::read::walk(p, &mut found, &|_| true)?;
            found.sort();
            files.extend(found);
        } else {
            files.push(p.clone());
        }
    }
    let mut acc = Acc::new(opts);
    let mut scanned = Vec::new();
    for (no, f) in files.iter().enumerate() {
        let s = if Format::of(f) == Some(Format::Parquet) {
            scan_parquet(no, f, &mut acc)?
        } else if looks_binary(f)? {
            continue;
        } else {
            scan_text_file(no, f, &mut acc)?
        };
        scanned.push(s);
    }
    // The map's order (as when it held the groups themselves), then sorted by file, column name and entity.
    let mut slots: Vec<Option<FindingGroup>> = acc.groups.into_iter().map(Some).collect();
    let mut keyed: Vec<(GroupKey, FindingGroup)> = acc
        .index
        .into_iter()
        .filter_map(|(k, at)| slots.get_mut(at).and_then(Option::take).map(|g| (k, g)))
        .collect();
    keyed.sort_by(|a, b| (a.0.0, &a.1.column, a.0.2).cmp(&(b.0.0, &b.1.column, b.0.2)));
    let findings: Vec<FindingGroup> = keyed.into_iter().map(|(_, g)| g).collect();
    let mut by_entity = BTreeMap::new();
    for g in &findings {
        *by_entity.entry(g.entity.name().to_owned()).or_insert(0) += g.count;
    }
    Ok(PiiReport {
        bytes: scanned.iter().map(|s| s.bytes).sum(),
        files: scanned,
        min_confidence: opts.min_confidence,
        total: findings.iter().map(|g| g.count).sum(),
        by_entity,
        findings,
        locations: acc.locations,
    })
}

// -------------------------------------------------------------------------------------- redaction

/// A pseudonymisation key. Its `Debug` form never shows the bytes.
pub struct PseudonymKey(Vec<u8>);

impl std::fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PseudonymKey(<redacted>)")
    }
}

impl PseudonymKey {
    /// At least 16 bytes; surrounding whitespace (a trailing newline in a key file) is ignored.
    pub fn new(bytes: &[u8]) -> Result<PseudonymKey> {
        let trimmed = bytes.trim_ascii();
        if trimmed.len() < 16 {
            return Err(DataError::Key {
                message: format!(
                    "the key has {} bytes; at least 16 are needed",
                    trimmed.len()
                ),
            });
        }
        Ok(PseudonymKey(trimmed.to_vec()))
    }

    /// `ENTITY_<16 hex>`: HMAC-SHA256(key, entity ‖ 0x00 ‖ value), truncated to 64 bits.
    pub fn pseudonym(&self, entity: Entity, value: &[u8]) -> String {
        let mut msg = entity.name().as_bytes().to_vec();
        msg.push(0);
        msg.extend_from_slice(value);
        let mac = checks::hmac_sha256(&self.0, &msg);
        format!("{}_{}", entity.name(), hex(&mac[..8]))
    }

    /// A fingerprint that identifies the key without revealing it (HMAC of a fixed label).
    pub fn fingerprint(&self) -> String {
        hex(&checks::hmac_sha256(&self.0, b"assay pseudonym key fingerprint")[..8])
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// How values are replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RedactMode {
    Pseudonymise,
    Mask,
}

/// What a redaction did (the `pii.transform` evidence payload).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RedactReport {
    pub input: String,
    pub input_sha256: String,
    pub output: String,
    pub output_sha256: String,
    pub mode: RedactMode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_fingerprint: Option<String>,
    pub min_confidence: f64,
    pub replaced: u64,
    pub by_entity: BTreeMap<String, u64>,
    pub by_column: BTreeMap<String, u64>,
}

/// Write a cleaned copy of a text file (CSV, JSONL or plain text) to `out`.
pub fn redact_file(
    input: &Path,
    out: &Path,
    mode: RedactMode,
    key: Option<&PseudonymKey>,
    min: f64,
) -> Result<RedactReport> {
    if Format::of(input) == Some(Format::Parquet) {
        return Err(DataError::Invalid {
            path: input.to_owned(),
            message: "redacting Parquet is not supported yet; export it to CSV or JSONL first"
                .into(),
        });
    }
    if mode == RedactMode::Pseudonymise && key.is_none() {
        return Err(DataError::Key {
            message: "pseudonymisation needs a key".into(),
        });
    }
    let tmp = out.with_extension("assay-partial");
    let mut w = std::io::BufWriter::new(File::create(&tmp).map_err(io(&tmp))?);
    let mut layout: Option<Layout> = None;
    let (mut hin, mut hout) = (Sha256::new(), Sha256::new());
    let mut by_entity = BTreeMap::new();
    let mut by_column = BTreeMap::new();
    let mut replaced = 0u64;
    blocks(input, &mut |block, first| {
        hin.update(block);
        let lay = layout.get_or_insert_with(|| layout_for(input, block));
        let header_end = if first == 1 && lay.kind == LayoutKind::Csv {
            memchr::memchr(b'\n', block).map_or(block.len(), |k| k + 1)
        } else {
            0
        };
        let mut pos = 0;
        for (f, col) in block_findings(block, lay, min) {
            if f.start < header_end {
                continue;
            }
            let value = &block[f.start..f.end];
            let rep = match (mode, key) {
                (RedactMode::Pseudonymise, Some(k)) => k.pseudonym(f.entity, value),
                _ => format!("[{}]", f.entity.name()),
            };
            for part in [&block[pos..f.start], rep.as_bytes()] {
                hout.update(part);
                w.write_all(part).map_err(io(out))?;
            }
            pos = f.end;
            replaced += 1;
            *by_entity.entry(f.entity.name().to_owned()).or_insert(0) += 1;
            if let Some(c) = col {
                *by_column.entry(lay.names[c].clone()).or_insert(0) += 1;
            }
        }
        hout.update(&block[pos..]);
        w.write_all(&block[pos..]).map_err(io(out))?;
        Ok(())
    })?;
    w.flush().map_err(io(&tmp))?;
    drop(w);
    std::fs::rename(&tmp, out).map_err(io(out))?;
    Ok(RedactReport {
        input: input.display().to_string(),
        input_sha256: hex(&hin.finalize()),
        output: out.display().to_string(),
        output_sha256: hex(&hout.finalize()),
        mode,
        key_fingerprint: key
            .filter(|_| mode == RedactMode::Pseudonymise)
            .map(PseudonymKey::fingerprint),
        min_confidence: min,
        replaced,
        by_entity,
        by_column,
    })
}
