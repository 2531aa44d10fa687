//! Personal data and secrets: [`scan`](scan::scan) finds them in bytes, [`scan_paths`] runs it over files
//! with counts per file, column and entity, and [`redact_file`] writes a cleaned copy with values masked
//! or replaced by keyed HMAC-SHA256 pseudonyms.
//!
//! Reports hold only redacted examples (a few characters of each value), never the values themselves,
//! and never the pseudonymisation key.

pub mod checks;
pub mod scan;

use std::collections::BTreeMap;
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

/// Which column of a delimited or JSON line a byte offset is in.
enum Layout {
    Csv(Vec<String>),
    Jsonl,
    Text,
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

fn column_at(layout: &Layout, line: &[u8], at: usize) -> Option<String> {
    match layout {
        Layout::Csv(header) => {
            let mut quoted = false;
            let mut idx = 0;
            for &c in &line[..at] {
                match c {
                    b'"' => quoted = !quoted,
                    b',' if !quoted => idx += 1,
                    _ => {}
                }
            }
            Some(
                header
                    .get(idx)
                    .cloned()
                    .unwrap_or_else(|| format!("column_{}", idx + 1)),
            )
        }
        Layout::Jsonl => {
            let before = &line[..at];
            let mut k = before.len();
            while k > 0 {
                k -= 1;
                if before[k] == b':' {
                    let mut q = k;
                    while q > 0 && before[q - 1] == b' ' {
                        q -= 1;
                    }
                    if q > 0 && before[q - 1] == b'"' {
                        let key_end = q - 1;
                        let key_start = memchr::memrchr(b'"', &before[..key_end])? + 1;
                        return Some(
                            String::from_utf8_lossy(&before[key_start..key_end]).into_owned(),
                        );
                    }
                }
            }
            None
        }
        Layout::Text => None,
    }
}

/// Accumulates groups while files are scanned.
struct Acc<'o> {
    opts: &'o ScanOptions,
    groups: BTreeMap<(String, Option<String>, Entity), FindingGroup>,
    locations: Vec<Location>,
}

impl Acc<'_> {
    fn add(&mut self, file: &str, column: Option<String>, f: &Finding, value: &[u8], line: u64) {
        let key = (file.to_owned(), column.clone(), f.entity);
        let g = self.groups.entry(key).or_insert_with(|| FindingGroup {
            file: file.to_owned(),
            column: column.clone(),
            entity: f.entity,
            count: 0,
            max_confidence: 0.0,
            examples: Vec::new(),
        });
        g.count += 1;
        g.max_confidence = g.max_confidence.max(f.score);
        if g.examples.len() < self.opts.max_examples {
            g.examples.push(Example {
                line,
                redacted: redact_example(value),
            });
        }
        if self.locations.len() < self.opts.max_locations {
            self.locations.push(Location {
                file: file.to_owned(),
                line,
                column,
                entity: f.entity,
                confidence: f.score,
            });
        }
    }
}

/// Findings in one block of whole lines, boosted by context and filtered by confidence, in order.
pub fn findings_in(
    block: &[u8],
    layout_csv: Option<&[String]>,
    jsonl: bool,
    min: f64,
) -> Vec<(Finding, Option<String>)> {
    let layout = match (layout_csv, jsonl) {
        (Some(h), _) => Layout::Csv(h.to_vec()),
        (None, true) => Layout::Jsonl,
        _ => Layout::Text,
    };
    block_findings(block, &layout, min)
}

fn block_findings(block: &[u8], layout: &Layout, min: f64) -> Vec<(Finding, Option<String>)> {
    let mut raw = Vec::new();
    scan::scan(block, &mut raw);
    raw.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    let mut out = Vec::with_capacity(raw.len());
    let mut last_end = 0;
    for mut f in raw {
        if f.start < last_end {
            continue;
        }
        let ls = memchr::memrchr(b'\n', &block[..f.start]).map_or(0, |k| k + 1);
        let line = &block[ls..];
        let column = column_at(layout, line, f.start - ls);
        let from = f.start.saturating_sub(48).max(ls);
        let before: Vec<u8> = block[from..f.start]
            .iter()
            .map(u8::to_ascii_lowercase)
            .collect();
        scan::boost(&mut f, &before, column.as_deref());
        if f.score >= min {
            last_end = f.end;
            out.push((f, column));
        }
    }
    out
}

/// Read `path` in blocks of whole lines, calling `each(block, first_line_number)`.
fn blocks(path: &Path, each: &mut dyn FnMut(&[u8], u64) -> Result<()>) -> Result<u64> {
    let mut f = File::open(path).map_err(io(path))?;
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + 4096);
    let mut total = 0u64;
    let mut line = 1u64;
    let mut eof = false;
    while !eof {
        let start = buf.len();
        buf.resize(start + CHUNK, 0);
        let mut filled = start;
        while filled < buf.len() {
            let n = f.read(&mut buf[filled..]).map_err(io(path))?;
            if n == 0 {
                eof = true;
                break;
            }
            filled += n;
        }
        buf.truncate(filled);
        total += (filled - start) as u64;
        let cut = if eof {
            buf.len()
        } else {
            match memchr::memrchr(b'\n', &buf) {
                Some(k) => k + 1,
                None => continue, // a line longer than the buffer: read more
            }
        };
        each(&buf[..cut], line)?;
        line += buf[..cut].iter().filter(|&&c| c == b'\n').count() as u64;
        buf.drain(..cut);
    }
    Ok(total)
}

fn line_numbers(block: &[u8], first: u64, starts: impl Iterator<Item = usize>) -> Vec<u64> {
    let mut out = Vec::new();
    let (mut pos, mut line) = (0usize, first);
    for s in starts {
        line += block[pos..s].iter().filter(|&&c| c == b'\n').count() as u64;
        pos = s;
        out.push(line);
    }
    out
}

fn layout_for(path: &Path, first_block: &[u8]) -> Layout {
    match Format::of(path) {
        Some(Format::Csv) => {
            let end = memchr::memchr(b'\n', first_block).unwrap_or(first_block.len());
            Layout::Csv(csv_header(&first_block[..end]))
        }
        Some(Format::Jsonl) => Layout::Jsonl,
        _ => Layout::Text,
    }
}

fn scan_text_file(path: &Path, acc: &mut Acc<'_>) -> Result<ScannedFile> {
    let name = path.display().to_string();
    let mut layout: Option<Layout> = None;
    let mut count = 0u64;
    let min = acc.opts.min_confidence;
    let bytes = blocks(path, &mut |block, first| {
        let lay = layout.get_or_insert_with(|| layout_for(path, block));
        let found = block_findings(block, lay, min);
        let lines = line_numbers(block, first, found.iter().map(|(f, _)| f.start));
        for ((f, col), line) in found.into_iter().zip(lines) {
            if matches!(lay, Layout::Csv(_)) && line == 1 {
                continue; // the header names columns; it is not data
            }
            count += 1;
            acc.add(&name, col, &f, &block[f.start..f.end], line);
        }
        Ok(())
    })?;
    Ok(ScannedFile {
        path: name,
        bytes,
        findings: count,
    })
}

fn scan_parquet(path: &Path, acc: &mut Acc<'_>) -> Result<ScannedFile> {
    let name = path.display().to_string();
    let mut count = 0u64;
    let mut bytes = 0u64;
    let min = acc.opts.min_confidence;
    read_file(path, &mut |ctx, cells| {
        for (i, c) in cells.iter().enumerate() {
            if let Cell::Str(s) = c {
                bytes += s.len() as u64;
                let col = ctx.columns.get(i).cloned();
                for (f, _) in block_findings(s.as_bytes(), &Layout::Text, 0.0) {
                    let mut f = f;
                    scan::boost(&mut f, b"", col.as_deref());
                    if f.score >= min {
                        count += 1;
                        acc.add(
                            &name,
                            col.clone(),
                            &f,
                            &s.as_bytes()[f.start..f.end],
                            ctx.row,
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
    let mut acc = Acc {
        opts,
        groups: BTreeMap::new(),
        locations: Vec::new(),
    };
    let mut scanned = Vec::new();
    for f in &files {
        let s = if Format::of(f) == Some(Format::Parquet) {
            scan_parquet(f, &mut acc)?
        } else if looks_binary(f)? {
            continue;
        } else {
            scan_text_file(f, &mut acc)?
        };
        scanned.push(s);
    }
    let findings: Vec<FindingGroup> = acc.groups.into_values().collect();
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
        let header_end = if first == 1 && matches!(lay, Layout::Csv(_)) {
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
                *by_column.entry(c).or_insert(0) += 1;
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
