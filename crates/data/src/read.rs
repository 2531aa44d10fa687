//! Streaming readers for CSV, JSONL and Parquet, and directories of them.
//!
//! Every reader hands rows to a callback one at a time and keeps only the current record (CSV, JSONL)
//! or the current record batch (Parquet) in memory, so files larger than RAM can be read. Malformed
//! input is an error naming the file and the row: broken CSV quoting, a wrong number of fields, bad
//! UTF-8, a line that is not a JSON object, a truncated Parquet file.
//!
//! CSV is read strictly (RFC 4180 with `\n` or `\r\n` line ends): a quote inside an unquoted field, text
//! after a closing quote, and an unterminated quoted field are errors, not guesses. An empty field is a
//! null, as in pandas.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{Array, BooleanArray, Float64Array, RecordBatch, StringArray};
use arrow_schema::DataType;

use crate::error::{DataError, Result, io};

/// One value of a row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Null,
    Bool(bool),
    Num(f64),
    Str(&'a str),
}

impl Cell<'_> {
    /// The value as a number, when it is one (CSV text is parsed; booleans are 0/1).
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Cell::Null => None,
            Cell::Bool(b) => Some(if b { 1.0 } else { 0.0 }),
            Cell::Num(x) => Some(x),
            Cell::Str(s) => parse_num(s),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Cell::Null)
    }

    /// The value as text (numbers in their shortest round-trip form).
    pub fn to_text(&self) -> Option<String> {
        match *self {
            Cell::Null => None,
            Cell::Bool(b) => Some(b.to_string()),
            Cell::Num(x) => Some(format_num(x)),
            Cell::Str(s) => Some(s.to_owned()),
        }
    }
}

/// `1` rather than `1.0` for integral values, so CSV and JSON categories agree.
pub fn format_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// Parse a CSV field as a number (`nan`, `inf` included, surrounding spaces allowed).
pub fn parse_num(s: &str) -> Option<f64> {
    if let Some(x) = parse_simple_decimal(s.as_bytes()) {
        return Some(x);
    }
    let t = s.trim();
    let first = *t.as_bytes().first()?;
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.' | b'i' | b'I' | b'n' | b'N'))
    {
        return None;
    }
    t.parse::<f64>().ok()
}

/// `[-+]digits[.digits]` with at most 15 significant digits, computed exactly: the digits form an integer
/// below 2^53 and 10^k (k ≤ 15) is exact, so one correctly rounded division gives the correctly rounded
/// value, the same double `str::parse` returns. Anything else is left to `str::parse`.
pub(crate) fn parse_simple_decimal(b: &[u8]) -> Option<f64> {
    let (neg, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    let mut mant: u64 = 0;
    let mut frac: i32 = -1;
    let mut n = 0;
    for (i, &c) in digits.iter().enumerate() {
        match c {
            b'0'..=b'9' => {
                mant = mant * 10 + u64::from(c - b'0');
                n += 1;
                if frac >= 0 {
                    frac += 1;
                }
            }
            b'.' if frac < 0 && i + 1 < digits.len() && i > 0 => frac = 0,
            _ => return None,
        }
    }
    if n > 15 {
        return None;
    }
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let x = mant as f64 / POW10[frac.max(0) as usize];
    Some(if neg { -x } else { x })
}

/// Where a row comes from.
#[derive(Debug)]
pub struct RowCtx<'a> {
    pub file: &'a Path,
    /// 1-based: CSV line where the record starts, JSONL line, or Parquet row (1 = first data row).
    pub row: u64,
    /// Column names; the cells are aligned with them. JSONL files grow this list as new keys appear.
    pub columns: &'a [String],
}

/// The file formats Assay reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Jsonl,
    Parquet,
}

impl Format {
    pub fn of(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "parquet" | "pq" => Some(Format::Parquet),
            _ => None,
        }
    }
}

/// The data files under `path`: the file itself, or every supported file in a directory tree
/// (hidden entries skipped), in sorted order.
pub fn data_files(path: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path).map_err(io(path))?;
    if meta.is_file() {
        if Format::of(path).is_none() {
            return Err(DataError::UnsupportedFormat {
                path: path.to_owned(),
            });
        }
        return Ok(vec![path.to_owned()]);
    }
    let mut out = Vec::new();
    walk(path, &mut out, &|p| Format::of(p).is_some())?;
    out.sort();
    if out.is_empty() {
        return Err(DataError::NoFiles {
            path: path.to_owned(),
        });
    }
    Ok(out)
}

/// Every regular file under `dir` accepted by `keep` (hidden entries skipped).
pub(crate) fn walk(dir: &Path, out: &mut Vec<PathBuf>, keep: &dyn Fn(&Path) -> bool) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let p = entry.path();
        let ft = entry.file_type().map_err(io(&p))?;
        if ft.is_dir() {
            walk(&p, out, keep)?;
        } else if ft.is_file() && keep(&p) {
            out.push(p);
        }
    }
    Ok(())
}

/// The callback a reader feeds.
pub type OnRow<'f> = dyn FnMut(&RowCtx<'_>, &[Cell<'_>]) -> Result<()> + 'f;

/// Read every row of every data file under `path`. Returns the number of rows.
pub fn read_rows(path: &Path, on_row: &mut OnRow<'_>) -> Result<u64> {
    let mut n = 0;
    for file in data_files(path)? {
        n += read_file(&file, on_row)?;
    }
    Ok(n)
}

/// Read one file, choosing the reader by extension.
pub fn read_file(path: &Path, on_row: &mut OnRow<'_>) -> Result<u64> {
    match Format::of(path) {
        Some(Format::Csv) => {
            let f = File::open(path).map_err(io(path))?;
            read_csv(BufReader::with_capacity(1 << 20, f), path, on_row)
        }
        Some(Format::Jsonl) => {
            let f = File::open(path).map_err(io(path))?;
            read_jsonl(BufReader::with_capacity(1 << 20, f), path, on_row)
        }
        Some(Format::Parquet) => read_parquet(path, on_row),
        None => Err(DataError::UnsupportedFormat {
            path: path.to_owned(),
        }),
    }
}

// ---------------------------------------------------------------------------------------------- CSV

/// A strict streaming CSV record reader.
#[derive(Debug)]
pub struct CsvRecords<R> {
    r: R,
    path: PathBuf,
    /// Physical line the reader is on (1-based).
    line: u64,
    /// The current record's field bytes, concatenated.
    pub buf: Vec<u8>,
    /// End offset of each field in `buf`.
    pub ends: Vec<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum St {
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

impl<R: BufRead> CsvRecords<R> {
    pub fn new(r: R, path: &Path) -> Self {
        CsvRecords {
            r,
            path: path.to_owned(),
            line: 1,
            buf: Vec::with_capacity(1024),
            ends: Vec::with_capacity(64),
        }
    }

    fn err(&self, row: u64, message: impl Into<String>) -> DataError {
        DataError::Csv {
            path: self.path.clone(),
            row,
            message: message.into(),
        }
    }

    /// Read the next record into `buf`/`ends`; returns the line it started on, or `None` at the end.
    /// Blank lines are skipped.
    pub fn next_record(&mut self) -> Result<Option<u64>> {
        loop {
            self.buf.clear();
            self.ends.clear();
            let start = self.line;
            let mut st = St::FieldStart;
            let mut any = false;
            loop {
                let chunk = match self.r.fill_buf() {
                    Ok(c) => c,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(io(&self.path)(e)),
                };
                if chunk.is_empty() {
                    // End of input.
                    return match st {
                        St::Quoted => Err(self.err(
                            start,
                            "a quoted field is never closed (the file ends inside quotes)",
                        )),
                        _ if !any => Ok(None),
                        _ => {
                            self.ends.push(self.buf.len());
                            Ok(Some(start))
                        }
                    };
                }
                any = true;
                let mut i = 0;
                let mut done = false;
                while i < chunk.len() {
                    match st {
                        St::Unquoted => match memchr::memchr3(b',', b'\n', b'"', &chunk[i..]) {
                            None => {
                                self.buf.extend_from_slice(&chunk[i..]);
                                i = chunk.len();
                            }
                            Some(k) => {
                                self.buf.extend_from_slice(&chunk[i..i + k]);
                                i += k;
                                match chunk[i] {
                                    b',' => {
                                        self.ends.push(self.buf.len());
                                        st = St::FieldStart;
                                    }
                                    b'\n' => {
                                        if self.buf.last() == Some(&b'\r') {
                                            self.buf.pop();
                                        }
                                        self.ends.push(self.buf.len());
                                        self.line += 1;
                                        done = true;
                                    }
                                    _ => {
                                        let line = self.line;
                                        return Err(self.err(
                                            line,
                                            format!(
                                                "a quote inside an unquoted field (field {})",
                                                self.ends.len() + 1
                                            ),
                                        ));
                                    }
                                }
                                i += 1;
                            }
                        },
                        St::FieldStart => {
                            let b = chunk[i];
                            i += 1;
                            match b {
                                b'"' => st = St::Quoted,
                                b',' => self.ends.push(self.buf.len()),
                                b'\n' => {
                                    if self.buf.last() == Some(&b'\r') {
                                        self.buf.pop();
                                    }
                                    self.ends.push(self.buf.len());
                                    self.line += 1;
                                    done = true;
                                }
                                _ => {
                                    self.buf.push(b);
                                    st = St::Unquoted;
                                }
                            }
                        }
                        St::Quoted => match memchr::memchr2(b'"', b'\n', &chunk[i..]) {
                            None => {
                                self.buf.extend_from_slice(&chunk[i..]);
                                i = chunk.len();
                            }
                            Some(k) => {
                                self.buf.extend_from_slice(&chunk[i..i + k]);
                                i += k;
                                if chunk[i] == b'\n' {
                                    self.buf.push(b'\n');
                                    self.line += 1;
                                } else {
                                    st = St::QuoteInQuoted;
                                }
                                i += 1;
                            }
                        },
                        St::QuoteInQuoted => {
                            let b = chunk[i];
                            i += 1;
                            match b {
                                b'"' => {
                                    self.buf.push(b'"');
                                    st = St::Quoted;
                                }
                                b',' => {
                                    self.ends.push(self.buf.len());
                                    st = St::FieldStart;
                                }
                                b'\n' => {
                                    self.ends.push(self.buf.len());
                                    self.line += 1;
                                    done = true;
                                }
                                b'\r' => {}
                                _ => {
                                    let line = self.line;
                                    return Err(self.err(line, format!(
                                        "text after the closing quote of field {} (write a quote inside a quoted field as \"\")",
                                        self.ends.len() + 1
                                    )));
                                }
                            }
                        }
                    }
                    if done {
                        break;
                    }
                }
                self.r.consume(i);
                if done {
                    break;
                }
            }
            // A blank line is one empty field: skip it.
            if self.ends.len() == 1 && self.ends[0] == 0 {
                continue;
            }
            return Ok(Some(start));
        }
    }

    /// The current record's bytes as text (fields end at `ends`); bad UTF-8 is an error naming the row.
    pub fn text(&self, row: u64) -> Result<&str> {
        std::str::from_utf8(&self.buf).map_err(|e| {
            let at = e.valid_up_to();
            let field = self.ends.iter().position(|&end| end > at).unwrap_or(0);
            let start = if field == 0 { 0 } else { self.ends[field - 1] };
            DataError::Utf8 {
                path: self.path.clone(),
                row,
                place: format!("field {}, byte {}", field + 1, at - start + 1),
            }
        })
    }

    /// The current record as text; bad UTF-8 is an error naming the row.
    pub fn fields(&self, row: u64) -> Result<Vec<&str>> {
        let text = std::str::from_utf8(&self.buf).map_err(|e| {
            let at = e.valid_up_to();
            let field = self.ends.iter().position(|&end| end > at).unwrap_or(0);
            let start = if field == 0 { 0 } else { self.ends[field - 1] };
            DataError::Utf8 {
                path: self.path.clone(),
                row,
                place: format!("field {}, byte {}", field + 1, at - start + 1),
            }
        })?;
        let mut out = Vec::with_capacity(self.ends.len());
        let mut start = 0;
        for &end in &self.ends {
            out.push(text.get(start..end).unwrap_or(""));
            start = end;
        }
        Ok(out)
    }
}

/// Read a CSV stream with a header line.
pub fn read_csv<R: BufRead>(r: R, path: &Path, on_row: &mut OnRow<'_>) -> Result<u64> {
    let mut rec = CsvRecords::new(r, path);
    let Some(hrow) = rec.next_record()? else {
        return Ok(0);
    };
    let columns = header_names(&rec.fields(hrow)?);
    let mut n = 0;
    let mut cells: Vec<Cell<'_>> = Vec::with_capacity(columns.len());
    while let Some(row) = rec.next_record()? {
        if rec.ends.len() != columns.len() {
            return Err(DataError::Csv {
                path: path.to_owned(),
                row,
                message: format!(
                    "{} fields, but the header has {} columns",
                    rec.ends.len(),
                    columns.len()
                ),
            });
        }
        let text = rec.text(row)?;
        cells.clear();
        let mut start = 0;
        for &end in &rec.ends {
            let f = text.get(start..end).unwrap_or("");
            start = end;
            cells.push(if f.is_empty() {
                Cell::Null
            } else {
                Cell::Str(f)
            });
        }
        on_row(
            &RowCtx {
                file: path,
                row,
                columns: &columns,
            },
            &cells,
        )?;
        cells = reuse(cells);
        n += 1;
    }
    Ok(n)
}

/// Reuse a vector's allocation under a new lifetime.
fn reuse<'b>(mut v: Vec<Cell<'_>>) -> Vec<Cell<'b>> {
    v.clear();
    v.into_iter().map(|_| Cell::Null).collect()
}

// -------------------------------------------------------------------------------------------- JSONL

/// Read a JSON Lines stream: one object per line; keys become columns in order of appearance.
pub fn read_jsonl<R: BufRead>(mut r: R, path: &Path, on_row: &mut OnRow<'_>) -> Result<u64> {
    let mut columns: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut line_buf = Vec::with_capacity(4096);
    let mut line = 0u64;
    let mut n = 0;
    loop {
        line_buf.clear();
        let read = r.read_until(b'\n', &mut line_buf).map_err(io(path))?;
        if read == 0 {
            break;
        }
        line += 1;
        let text = std::str::from_utf8(&line_buf).map_err(|e| DataError::Utf8 {
            path: path.to_owned(),
            row: line,
            place: format!("byte {} of the line", e.valid_up_to() + 1),
        })?;
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let obj: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(text).map_err(|e| DataError::Json {
                path: path.to_owned(),
                line,
                message: format!("not a JSON object: {e}"),
            })?;
        for k in obj.keys() {
            if !index.contains_key(k) {
                index.insert(k.clone(), columns.len());
                columns.push(k.clone());
            }
        }
        let nested: Vec<(usize, String)> = obj
            .iter()
            .filter(|(_, v)| v.is_array() || v.is_object())
            .map(|(k, v)| (index[k], v.to_string()))
            .collect();
        let mut cells = vec![Cell::Null; columns.len()];
        for (k, v) in &obj {
            let i = index[k];
            cells[i] = match v {
                serde_json::Value::Null => Cell::Null,
                serde_json::Value::Bool(b) => Cell::Bool(*b),
                serde_json::Value::Number(x) => x.as_f64().map_or(Cell::Null, Cell::Num),
                serde_json::Value::String(s) => Cell::Str(s),
                _ => Cell::Null,
            };
        }
        for (i, s) in &nested {
            cells[*i] = Cell::Str(s);
        }
        on_row(
            &RowCtx {
                file: path,
                row: line,
                columns: &columns,
            },
            &cells,
        )?;
        n += 1;
    }
    Ok(n)
}

// ------------------------------------------------------------------------------------------ Parquet

enum Col {
    Num(Float64Array),
    Bool(BooleanArray),
    Str(StringArray),
}

fn parquet_err(path: &Path, row: u64, e: impl std::fmt::Display) -> DataError {
    DataError::Parquet {
        path: path.to_owned(),
        message: if row > 0 {
            format!("at row {row}: {e}")
        } else {
            e.to_string()
        },
    }
}

/// Read a Parquet file one record batch at a time.
pub fn read_parquet(path: &Path, on_row: &mut OnRow<'_>) -> Result<u64> {
    use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
    let file = File::open(path).map_err(io(path))?;
    // The column types come from the Parquet schema itself. The Arrow schema some writers embed is skipped:
    // its decoder panics on damaged input (found by the `parquet` fuzz target), and the statistics here need
    // only the Parquet types.
    let options = ArrowReaderOptions::new().with_skip_arrow_metadata(true);
    let builder = ParquetRecordBatchReaderBuilder::try_new_with_options(file, options)
        .map_err(|e| parquet_err(path, 0, e))?;
    let columns: Vec<String> = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let reader = builder
        .with_batch_size(8192)
        .build()
        .map_err(|e| parquet_err(path, 0, e))?;
    let mut n = 0u64;
    let mut cells: Vec<Cell<'_>> = Vec::with_capacity(columns.len());
    for batch in reader {
        let batch: RecordBatch = batch.map_err(|e| parquet_err(path, n + 1, e))?;
        let cols = batch
            .columns()
            .iter()
            .map(|a| to_col(a).map_err(|e| parquet_err(path, n + 1, e)))
            .collect::<Result<Vec<_>>>()?;
        for i in 0..batch.num_rows() {
            cells.clear();
            for c in &cols {
                cells.push(match c {
                    Col::Num(a) if a.is_valid(i) => Cell::Num(a.value(i)),
                    Col::Bool(a) if a.is_valid(i) => Cell::Bool(a.value(i)),
                    Col::Str(a) if a.is_valid(i) => Cell::Str(a.value(i)),
                    _ => Cell::Null,
                });
            }
            n += 1;
            on_row(
                &RowCtx {
                    file: path,
                    row: n,
                    columns: &columns,
                },
                &cells,
            )?;
        }
        cells = reuse(cells);
    }
    Ok(n)
}

fn to_col(a: &Arc<dyn Array>) -> std::result::Result<Col, arrow_schema::ArrowError> {
    use arrow_array::cast::AsArray;
    let dt = a.data_type();
    if dt == &DataType::Boolean {
        return Ok(Col::Bool(a.as_boolean().clone()));
    }
    if dt.is_numeric() {
        let f = arrow_cast::cast(a, &DataType::Float64)?;
        return Ok(Col::Num(
            f.as_primitive::<arrow_array::types::Float64Type>().clone(),
        ));
    }
    let s = arrow_cast::cast(a, &DataType::Utf8)?;
    Ok(Col::Str(s.as_string::<i32>().clone()))
}

/// Read all of `r` (for small in-memory inputs in tests and the fuzz target).
pub fn read_csv_bytes(bytes: &[u8], on_row: &mut OnRow<'_>) -> Result<u64> {
    read_csv(BufReader::new(bytes), Path::new("<memory>"), on_row)
}

#[allow(dead_code)]
fn _assert_read<R: Read>(_: R) {}

// ---------------------------------------------------------------------------- CSV in parallel pieces

/// The usual block size for [`read_csv_pieces`].
pub const PIECE_BYTES: usize = 1 << 20;

/// `parse_num` on bytes already known to be UTF-8 (as every piece of [`read_csv_pieces`] is).
pub fn parse_num_bytes(b: &[u8]) -> Option<f64> {
    if let Some(x) = parse_simple_decimal(b) {
        return Some(x);
    }
    std::str::from_utf8(b).ok().and_then(parse_num)
}

/// Where the first record of `buf` ends: just past the first newline outside quotes (a quote pair
/// `""` inside a quoted field counts twice, so the parity of quotes seen tells whether a newline is
/// inside a field).
fn first_record_end(buf: &[u8]) -> Option<usize> {
    let mut inside = false;
    for i in memchr::memchr2_iter(b'"', b'\n', buf) {
        if buf[i] == b'"' {
            inside = !inside;
        } else if !inside {
            return Some(i + 1);
        }
    }
    None
}

/// Where the last whole record of `buf` ends (just past its newline), given that `buf` starts at a
/// record boundary.
fn last_record_end(buf: &[u8]) -> Option<usize> {
    if memchr::memchr(b'"', buf).is_none() {
        return memchr::memrchr(b'\n', buf).map(|i| i + 1);
    }
    let mut inside = false;
    let mut last = None;
    for i in memchr::memchr2_iter(b'"', b'\n', buf) {
        if buf[i] == b'"' {
            inside = !inside;
        } else if !inside {
            last = Some(i + 1);
        }
    }
    last
}

/// Read a CSV file in pieces of whole records on `threads` worker threads.
///
/// The calling thread reads blocks of `block` bytes, cuts each after its last newline outside quotes
/// (reading on when one record is longer), and queues the pieces (at most two per worker, so memory
/// stays bounded). `make` builds one
/// state per worker from the header's column names (named as [`read_csv`] names them); `work` gets
/// its worker's state, the piece's sequence number and the piece's bytes (valid UTF-8, starting at a
/// record boundary; parse them with [`PieceRecords`]) and returns `false` to give up.
///
/// Returns `None` when the fast path does not apply, so the caller must read the file with
/// [`read_csv`], which names the exact file, row and fault: a worker gave up, a piece is not UTF-8, the
/// first line is blank or not a clean header, or the file is empty. Nothing is reported from this path
/// except I/O errors.
pub fn read_csv_pieces<S, M, W>(
    path: &Path,
    threads: usize,
    block: usize,
    make: M,
    work: W,
) -> Result<Option<(Vec<String>, Vec<S>)>>
where
    S: Send,
    M: Fn(&[String]) -> S,
    W: Fn(&mut S, usize, &[u8]) -> bool + Sync,
{
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Mutex, mpsc};

    let mut file = File::open(path).map_err(io(path))?;
    let mut fill = |buf: &mut Vec<u8>, want: usize| -> Result<bool> {
        // Append up to `want` bytes; false at the end of the file.
        let start = buf.len();
        buf.resize(start + want, 0);
        let mut got = 0;
        while got < want {
            match file.read(&mut buf[start + got..]) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io(path)(e)),
            }
        }
        buf.truncate(start + got);
        Ok(got > 0)
    };
    // The header: the first record, parsed by the strict reader.
    let block = block.max(1);
    let mut carry: Vec<u8> = Vec::with_capacity(block * 2);
    let mut eof = false;
    let header_end = loop {
        if let Some(end) = first_record_end(&carry) {
            break end;
        }
        if eof {
            break carry.len();
        }
        eof = !fill(&mut carry, block)?;
    };
    let columns: Vec<String> = {
        let mut rec = CsvRecords::new(&carry[..header_end], path);
        match rec.next_record() {
            Ok(Some(row)) if rec.line == 2 || (eof && header_end == carry.len()) => {
                match rec.fields(row) {
                    Ok(f) => header_names(&f),
                    Err(_) => return Ok(None),
                }
            }
            _ => return Ok(None),
        }
    };
    if header_end == carry.len() && eof {
        return Ok(None); // no data rows: the strict reader says what there is
    }
    carry.drain(..header_end);

    let workers = threads.max(1);
    let give_up = AtomicBool::new(false);
    let (to_work, queue) = mpsc::sync_channel::<(usize, Vec<u8>)>(workers * 2);
    // Each worker holds the queue; when every worker has stopped (even by a panic), sending fails
    // instead of blocking.
    let queue = Arc::new(Mutex::new(queue));
    let (to_pool, pool) = mpsc::channel::<Vec<u8>>();
    let states: Vec<S> = (0..workers).map(|_| make(&columns)).collect();
    let (states, read) = std::thread::scope(|s| {
        let handles: Vec<_> = states
            .into_iter()
            .map(|mut st| {
                let (queue, give_up, work, to_pool) =
                    (Arc::clone(&queue), &give_up, &work, to_pool.clone());
                s.spawn(move || {
                    loop {
                        let next = queue.lock().map(|q| q.recv());
                        let Ok(Ok((seq, piece))) = next else { break };
                        if !give_up.load(Ordering::Relaxed)
                            && (std::str::from_utf8(&piece).is_err() || !work(&mut st, seq, &piece))
                        {
                            give_up.store(true, Ordering::Relaxed);
                        }
                        let _ = to_pool.send(piece);
                    }
                    st
                })
            })
            .collect();
        drop(queue);
        let read = (|| -> Result<()> {
            let mut seq = 0;
            while !give_up.load(Ordering::Relaxed) {
                if !eof && carry.len() < block {
                    eof = !fill(&mut carry, block)?;
                    continue;
                }
                let cut = if eof {
                    carry.len()
                } else {
                    match last_record_end(&carry) {
                        Some(c) => c,
                        None => {
                            // One record longer than the block: read on.
                            eof = !fill(&mut carry, block)?;
                            continue;
                        }
                    }
                };
                if cut == 0 {
                    break;
                }
                let mut next = pool.try_recv().unwrap_or_default();
                next.clear();
                next.extend_from_slice(&carry[cut..]);
                carry.truncate(cut);
                let piece = std::mem::replace(&mut carry, next);
                if to_work.send((seq, piece)).is_err() {
                    break;
                }
                seq += 1;
            }
            Ok(())
        })();
        drop(to_work);
        let states: Vec<S> = handles.into_iter().filter_map(|h| h.join().ok()).collect();
        (states, read)
    });
    read?;
    if give_up.load(Ordering::Relaxed) || states.len() != workers {
        return Ok(None);
    }
    Ok(Some((columns, states)))
}

/// Header fields to column names: a byte-order mark and spaces trimmed, blank names numbered.
fn header_names(fields: &[&str]) -> Vec<String> {
    fields
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let s = s.trim_start_matches('\u{feff}').trim();
            if s.is_empty() {
                format!("column_{}", i + 1)
            } else {
                s.to_owned()
            }
        })
        .collect()
}

/// One field of a [`PieceRecords`] record: a range of the piece, or of the unescaped quoted text.
#[derive(Debug, Clone, Copy)]
enum Span {
    Piece(usize, usize),
    Unquoted(usize, usize),
}

/// The records of one piece from [`read_csv_pieces`], with [`read_csv`]'s rules for the common cases
/// (blank lines skipped, `\r\n` line ends, quoted fields with `""` and newlines inside). Anything the
/// strict reader would reject or treat specially — a quote in an unquoted field, text after a closing
/// quote, a carriage return not ending a line, an unterminated quote — makes [`advance`](Self::advance)
/// return `Err(())`, so the caller gives up and the strict reader reports it.
#[derive(Debug)]
pub struct PieceRecords<'a> {
    s: &'a [u8],
    pos: usize,
    scratch: Vec<u8>,
    spans: Vec<Span>,
}

impl<'a> PieceRecords<'a> {
    pub fn new(piece: &'a [u8]) -> Self {
        PieceRecords {
            s: piece,
            pos: 0,
            scratch: Vec::new(),
            spans: Vec::with_capacity(64),
        }
    }

    /// Fields in the current record.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Field `i` of the current record (empty past the end).
    pub fn field(&self, i: usize) -> &[u8] {
        match self.spans.get(i) {
            Some(&Span::Piece(a, b)) => &self.s[a..b],
            Some(&Span::Unquoted(a, b)) => &self.scratch[a..b],
            None => &[],
        }
    }

    /// Advance to the next record: `Ok(true)` when there is one, `Ok(false)` at the end.
    #[allow(clippy::result_unit_err)]
    pub fn advance(&mut self) -> std::result::Result<bool, ()> {
        let s = self.s;
        let n = s.len();
        loop {
            self.spans.clear();
            self.scratch.clear();
            let mut pos = self.pos;
            if pos >= n {
                return Ok(false);
            }
            loop {
                if pos >= n {
                    self.spans.push(Span::Piece(pos, pos));
                    break;
                }
                if s[pos] == b'"' {
                    pos += 1;
                    let start = self.scratch.len();
                    loop {
                        let Some(k) = memchr::memchr2(b'"', b'\r', &s[pos..]) else {
                            return Err(());
                        };
                        self.scratch.extend_from_slice(&s[pos..pos + k]);
                        pos += k;
                        if s[pos] == b'\r' {
                            return Err(());
                        }
                        pos += 1;
                        if pos < n && s[pos] == b'"' {
                            self.scratch.push(b'"');
                            pos += 1;
                            continue;
                        }
                        break;
                    }
                    self.spans.push(Span::Unquoted(start, self.scratch.len()));
                } else {
                    let start = pos;
                    while pos < n && !matches!(s[pos], b',' | b'\n' | b'"' | b'\r') {
                        pos += 1;
                    }
                    self.spans.push(Span::Piece(start, pos));
                }
                // What ends the field: a comma, the line end, or the end of the piece.
                if pos >= n {
                    break;
                }
                match s[pos] {
                    b',' => pos += 1,
                    b'\n' => {
                        pos += 1;
                        break;
                    }
                    b'\r' if pos + 1 < n && s[pos + 1] == b'\n' => {
                        pos += 2;
                        break;
                    }
                    _ => return Err(()),
                }
            }
            self.pos = pos;
            // A blank line, as the strict reader sees it: one empty field, unless that field is a quoted
            // `""` that ends the input without a line end (then it is a record with one empty field).
            let at_eof = !matches!(s.get(pos.wrapping_sub(1)), Some(b'\n'));
            let quoted = matches!(self.spans.as_slice(), [Span::Unquoted(..)]);
            if self.spans.len() == 1 && self.field(0).is_empty() && !(quoted && at_eof) {
                continue;
            }
            return Ok(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Records as the strict reader sees them, or `None` if it rejects the input.
    fn strict(bytes: &[u8]) -> Option<Vec<Vec<Vec<u8>>>> {
        let mut rec = CsvRecords::new(bytes, Path::new("<memory>"));
        let mut out = Vec::new();
        while rec.next_record().ok()?.is_some() {
            let mut start = 0;
            out.push(
                rec.ends
                    .iter()
                    .map(|&e| {
                        let f = rec.buf[start..e].to_vec();
                        start = e;
                        f
                    })
                    .collect(),
            );
        }
        Some(out)
    }

    fn piecewise(bytes: &[u8]) -> Option<Vec<Vec<Vec<u8>>>> {
        let mut rec = PieceRecords::new(bytes);
        let mut out = Vec::new();
        while rec.advance().ok()? {
            out.push((0..rec.len()).map(|i| rec.field(i).to_vec()).collect());
        }
        Some(out)
    }

    fn csvish() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop::sample::select(vec![b'a', b'1', b',', b'"', b'\n', b'\r', b' ']),
            0..80,
        )
    }

    proptest! {
        /// Whatever the piece parser accepts, the strict reader reads the same way.
        #[test]
        fn piece_records_agree_with_the_strict_reader(bytes in csvish()) {
            if let Some(ours) = piecewise(&bytes) {
                prop_assert_eq!(Some(ours), strict(&bytes));
            }
        }

        /// Pieces are cut after newlines outside quotes: concatenated they are the data after the
        /// header, and every piece reads as whole records.
        #[test]
        fn pieces_are_whole_records(body in csvish(), block in 1usize..40, threads in 1usize..4) {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("t.csv");
            let mut file = b"h1,h2\n".to_vec();
            file.extend_from_slice(&body);
            std::fs::write(&path, &file).expect("write");
            let got = read_csv_pieces(
                &path,
                threads,
                block,
                |cols| { assert_eq!(cols, ["h1", "h2"]); Vec::new() },
                |st: &mut Vec<(usize, Vec<u8>)>, seq, piece| {
                    st.push((seq, piece.to_vec()));
                    true
                },
            )
            .expect("read");
            if let Some((_, states)) = got {
                let mut pieces: Vec<_> = states.into_iter().flatten().collect();
                pieces.sort();
                for (i, (seq, piece)) in pieces.iter().enumerate() {
                    prop_assert_eq!(*seq, i);
                    if i + 1 < pieces.len() {
                        prop_assert_eq!(piece.last(), Some(&b'\n'));
                        prop_assert_eq!(piece.iter().filter(|&&b| b == b'"').count() % 2, 0);
                    }
                }
                let joined: Vec<u8> = pieces.into_iter().flat_map(|p| p.1).collect();
                prop_assert_eq!(joined, body);
            }
        }
    }
}
