//! What the export-reading collectors share (GitHub pull requests, Jira issues, deployment logs, access reviews,
//! vulnerability reports): the `files = [...]` key, expanding folders into files, reading a file with a size limit,
//! splitting a file into JSON documents (one document, an array, JSON lines, or `gh --paginate`'s concatenated
//! arrays) with the line of each, tolerant timestamps, and building an evidence item.

use std::path::{Path, PathBuf};

use assay_ledger::{Evidence, EvidenceKind};
use jiff::Timestamp;
use serde_json::Value;

use crate::error::CollectError;

/// Largest export file read.
const MAX_FILE: u64 = 256 << 20;

/// `files = ["a.json", "folder"]` (required, non-empty).
pub(crate) fn files_key(
    source: &str,
    table: &toml::Table,
    example: &str,
) -> Result<Vec<PathBuf>, CollectError> {
    let bad = || CollectError::Config {
        source_name: source.into(),
        key: "files".into(),
        reason: format!(
            "must be a non-empty list of files or folders, e.g. files = [\"{example}\"]"
        ),
    };
    let list = table
        .get("files")
        .and_then(|v| v.as_array())
        .ok_or_else(bad)?;
    let out: Vec<PathBuf> = list
        .iter()
        .map(|v| v.as_str().map(PathBuf::from).ok_or_else(bad))
        .collect::<Result<_, _>>()?;
    if out.is_empty() {
        return Err(bad());
    }
    Ok(out)
}

/// A file (or folder) to read, with the time its contents were produced when the file's modification time is
/// not it, and the subject its items are about when the default is not wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    pub path: PathBuf,
    pub at: Option<Timestamp>,
    pub subject: Option<String>,
}

/// `files = ["path", { path = "…", at = "RFC 3339 time", subject = "…" }]` (required, non-empty).
pub(crate) fn file_specs(
    source: &str,
    table: &toml::Table,
    example: &str,
) -> Result<Vec<FileSpec>, CollectError> {
    let bad = |reason: &str| CollectError::Config {
        source_name: source.into(),
        key: "files".into(),
        reason: reason.into(),
    };
    let list = table
        .get("files")
        .and_then(|v| v.as_array())
        .filter(|a| !a.is_empty())
        .ok_or_else(|| {
            bad(&format!(
                "must be a non-empty list of files or folders, e.g. files = [\"{example}\"]"
            ))
        })?;
    let mut files = Vec::new();
    for v in list {
        files.push(match v {
            toml::Value::String(p) => FileSpec {
                path: p.into(),
                at: None,
                subject: None,
            },
            toml::Value::Table(t) => {
                let path = t
                    .get("path")
                    .and_then(|p| p.as_str())
                    .ok_or_else(|| bad("entries written as tables need `path = \"…\"`"))?;
                let at = match t.get("at") {
                    None => None,
                    Some(toml::Value::String(s)) => Some(s.clone()),
                    Some(toml::Value::Datetime(d)) => Some(d.to_string()),
                    Some(_) => return Err(bad("`at` must be an RFC 3339 time")),
                };
                let at = match at {
                    None => None,
                    Some(s) => {
                        Some(parse_time(&s).ok_or_else(|| bad("`at` must be an RFC 3339 time"))?)
                    }
                };
                let subject = match t.get("subject") {
                    None => None,
                    Some(toml::Value::String(s)) => Some(s.clone()),
                    Some(_) => return Err(bad("`subject` must be a string")),
                };
                FileSpec {
                    path: path.into(),
                    at,
                    subject,
                }
            }
            _ => return Err(bad("entries must be paths or { path, at, subject } tables")),
        });
    }
    Ok(files)
}

/// An optional list of strings.
pub(crate) fn strings_key(
    source: &str,
    table: &toml::Table,
    key: &str,
    default: &[&str],
) -> Result<Vec<String>, CollectError> {
    match table.get(key) {
        None => Ok(default.iter().map(|s| (*s).to_owned()).collect()),
        Some(v) => v
            .as_array()
            .and_then(|a| a.iter().map(|x| x.as_str().map(str::to_owned)).collect())
            .ok_or_else(|| CollectError::Config {
                source_name: source.into(),
                key: key.into(),
                reason: "must be a list of strings".into(),
            }),
    }
}

/// An optional string.
pub(crate) fn string_key(
    source: &str,
    table: &toml::Table,
    key: &str,
) -> Result<Option<String>, CollectError> {
    match table.get(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(CollectError::Config {
            source_name: source.into(),
            key: key.into(),
            reason: "must be a string".into(),
        }),
    }
}

/// The configured paths resolved against the workspace; folders become their files with one of `extensions`
/// (recursively, sorted by path), so a folder of daily exports is read in name order.
pub(crate) fn expand(
    source: &str,
    workspace: &Path,
    paths: &[PathBuf],
    extensions: &[&str],
) -> Result<Vec<PathBuf>, CollectError> {
    let mut out = Vec::new();
    for p in paths {
        let full = if p.is_absolute() {
            p.clone()
        } else {
            workspace.join(p)
        };
        if full.is_dir() {
            let mut found = Vec::new();
            walk(source, &full, extensions, &mut found)?;
            found.sort();
            out.extend(found);
        } else {
            out.push(full);
        }
    }
    Ok(out)
}

fn walk(
    source: &str,
    dir: &Path,
    extensions: &[&str],
    out: &mut Vec<PathBuf>,
) -> Result<(), CollectError> {
    let io = |e: std::io::Error| CollectError::Io {
        source_name: source.into(),
        path: dir.to_owned(),
        message: e.to_string(),
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_dir() {
            walk(source, &path, extensions, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| extensions.iter().any(|x| x.eq_ignore_ascii_case(e)))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Read a text file (at most 256 MiB) and its modification time.
pub(crate) fn read(source: &str, path: &Path) -> Result<(String, Option<Timestamp>), CollectError> {
    let io = |e: std::io::Error| CollectError::Io {
        source_name: source.into(),
        path: path.to_owned(),
        message: e.to_string(),
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.len() > MAX_FILE {
        return Err(io(std::io::Error::other(format!(
            "larger than {MAX_FILE} bytes"
        ))));
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| Timestamp::try_from(t).ok());
    Ok((text, modified))
}

/// One export file as read.
pub(crate) struct ExportFile {
    pub path: PathBuf,
    /// The path relative to the workspace, as written in locators.
    pub rel: String,
    pub text: String,
    pub modified: Option<Timestamp>,
}

/// Read every file of `paths` (folders expanded to their files with one of `extensions`) and parse each; a parse
/// error is prefixed with the file it came from. Nothing is returned unless every file parses.
pub(crate) fn read_all<T>(
    source: &str,
    workspace: &Path,
    paths: &[PathBuf],
    extensions: &[&str],
    parse: impl Fn(&ExportFile) -> Result<T, CollectError>,
) -> Result<Vec<(ExportFile, T)>, CollectError> {
    let mut out = Vec::new();
    for path in expand(source, workspace, paths, extensions)? {
        let (text, modified) = read(source, &path)?;
        let file = ExportFile {
            rel: rel(&path, workspace),
            path,
            text,
            modified,
        };
        let parsed = parse(&file).map_err(in_file(&file.path))?;
        out.push((file, parsed));
    }
    Ok(out)
}

/// The path as written in locators: relative to the workspace, with `/`.
pub(crate) fn rel(path: &Path, workspace: &Path) -> String {
    path.strip_prefix(workspace)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Prefix the location of a `Malformed` error with the file it came from.
pub(crate) fn in_file(path: &Path) -> impl Fn(CollectError) -> CollectError + '_ {
    move |e| match e {
        CollectError::Malformed {
            source_name,
            location,
            message,
        } => CollectError::Malformed {
            source_name,
            location: format!("{}: {location}", path.display()),
            message,
        },
        other => other,
    }
}

pub(crate) fn malformed(
    source: &str,
    location: impl Into<String>,
    message: impl Into<String>,
) -> CollectError {
    CollectError::Malformed {
        source_name: source.into(),
        location: location.into(),
        message: message.into(),
    }
}

/// The JSON documents of a file, each with the line it starts on: one document, several documents one after
/// another (JSON lines, `gh api --paginate` output) — arrays are flattened into their elements.
pub(crate) fn json_documents(
    source: &str,
    text: &str,
) -> Result<Vec<(usize, Value)>, CollectError> {
    let mut out = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    loop {
        let start = stream.byte_offset();
        match stream.next() {
            None => break,
            Some(Ok(v)) => {
                let lead = text
                    .get(start..)
                    .map(|s| s.len() - s.trim_start().len())
                    .unwrap_or(0);
                let line = line_of(text, start + lead);
                match v {
                    Value::Array(items) => out.extend(items.into_iter().map(|i| (line, i))),
                    other => out.push((line, other)),
                }
            }
            Some(Err(e)) => {
                return Err(malformed(
                    source,
                    format!("line {}, column {}", e.line(), e.column()),
                    format!("not JSON ({e})"),
                ));
            }
        }
    }
    Ok(out)
}

/// 1-based line of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()
        .iter()
        .take(offset)
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// A timestamp as exports write them: RFC 3339 (`2026-03-04T10:15:30Z`), Jira's `2026-03-04T10:15:30.000+0000`,
/// a civil date-time taken as UTC, or a date (midnight UTC).
pub fn parse_time(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t);
    }
    // `+0000` → `+00:00`
    let b = s.as_bytes();
    if b.len() > 5
        && matches!(b[b.len() - 5], b'+' | b'-')
        && b[b.len() - 4..].iter().all(u8::is_ascii_digit)
    {
        let fixed = format!("{}:{}", &s[..s.len() - 2], &s[s.len() - 2..]);
        if let Ok(t) = fixed.parse::<Timestamp>() {
            return Some(t);
        }
    }
    if let Ok(dt) = s.replace(' ', "T").parse::<jiff::civil::DateTime>() {
        return dt
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp());
    }
    s.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
}

/// RFC 3339 text of a timestamp, for payloads.
pub(crate) fn iso(t: Timestamp) -> String {
    t.to_string()
}

/// One evidence item of an export collector.
pub(crate) fn item(
    kind: EvidenceKind,
    subject: String,
    collector: &str,
    locator: String,
    observed_at: Timestamp,
    collected_at: Timestamp,
    payload: Value,
) -> Evidence {
    Evidence {
        kind,
        subject,
        source: crate::source(collector, locator),
        observed_at,
        collected_at,
        payload: crate::repo::storable(payload),
        attachments: Vec::new(),
        expires_at: None,
        note: None,
    }
}

/// A string field of a JSON object (`None` for null, missing or empty).
pub(crate) fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Jira-style issue keys (`CHG-1187`) in free text, in order of appearance, without repeats.
pub fn ticket_keys(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let boundary = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        if boundary && b[i].is_ascii_uppercase() {
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_uppercase() || b[j].is_ascii_digit()) {
                j += 1;
            }
            if j < b.len() && b[j] == b'-' {
                let mut k = j + 1;
                while k < b.len() && b[k].is_ascii_digit() {
                    k += 1;
                }
                let end_ok = k == b.len() || !b[k].is_ascii_alphanumeric();
                if k > j + 1 && j - i >= 2 && end_ok {
                    let key = &text[i..k];
                    if !out.iter().any(|x| x == key) {
                        out.push(key.to_owned());
                    }
                    i = k;
                    continue;
                }
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// Split CSV text (RFC 4180: quoted fields, `""` escapes, CRLF or LF) into rows with their first line number;
/// errors name `source` and the line.
pub(crate) fn csv_rows(
    source: &str,
    text: &str,
) -> Result<Vec<(usize, Vec<String>)>, CollectError> {
    let mut rows = Vec::new();
    let (mut row, mut field) = (Vec::new(), String::new());
    let (mut line, mut row_line) = (1usize, 1usize);
    let mut quoted = false;
    let mut was_quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !was_quoted => {
                quoted = true;
                was_quoted = true;
            }
            '"' => {
                return Err(malformed(
                    source,
                    format!("line {line}"),
                    "a quote inside an unquoted field (quote the whole field and double inner quotes)",
                ));
            }
            ',' => {
                row.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                let blank = row.is_empty() && field.is_empty() && !was_quoted;
                row.push(std::mem::take(&mut field));
                was_quoted = false;
                if !blank {
                    rows.push((row_line, std::mem::take(&mut row)));
                }
                row.clear();
                line += 1;
                row_line = line;
            }
            _ => {
                if was_quoted {
                    return Err(malformed(
                        source,
                        format!("line {line}"),
                        "text after a closing quote",
                    ));
                }
                field.push(c);
            }
        }
    }
    if quoted {
        return Err(malformed(
            source,
            format!("line {row_line}"),
            "a quoted field is not closed",
        ));
    }
    if !field.is_empty() || !row.is_empty() || was_quoted {
        row.push(field);
        rows.push((row_line, row));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn times_in_the_shapes_exports_use() {
        let want: Timestamp = "2026-03-04T10:15:30Z".parse().expect("ts");
        for s in [
            "2026-03-04T10:15:30Z",
            "2026-03-04T10:15:30.000+0000",
            "2026-03-04T11:15:30+01:00",
            "2026-03-04 10:15:30",
        ] {
            assert_eq!(parse_time(s), Some(want), "{s}");
        }
        assert_eq!(
            parse_time("2026-03-04"),
            Some("2026-03-04T00:00:00Z".parse().expect("ts"))
        );
        assert_eq!(parse_time("last tuesday"), None);
    }

    #[test]
    fn ticket_keys_in_free_text() {
        assert_eq!(
            ticket_keys(
                "Assigning stage prod (CHG-1187 approved), see OPS-2 and CHG-1187; not x-1, A-1, CHG-"
            ),
            vec!["CHG-1187", "OPS-2"]
        );
    }

    #[test]
    fn documents_one_per_line_or_concatenated_arrays() {
        let docs = json_documents("t", "{\"a\":1}\n\n{\"a\":2}\n").expect("jsonl");
        assert_eq!(docs.iter().map(|d| d.0).collect::<Vec<_>>(), vec![1, 3]);
        let docs = json_documents("t", "[{\"a\":1},{\"a\":2}][{\"a\":3}]").expect("paginate");
        assert_eq!(docs.len(), 3);
        let err = json_documents("t", "{\"a\":1}\n{\"a\":").expect_err("truncated");
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    proptest! {
        #[test]
        fn helpers_never_panic(s in "\\PC{0,120}") {
            let _ = parse_time(&s);
            let _ = ticket_keys(&s);
            let _ = json_documents("t", &s);
        }
    }
}
