//! Access reviews from CSV or JSON records: one `access_review` per completed review, subject `system:NAME`
//! (or the system as written when it already names a component, e.g. `store:curated-features`), with the review
//! `date` in the payload.
//!
//! A review register export is a snapshot: "as of the export, these are the reviews done". Items are observed at
//! the export time (the entry's `at`, else the file's modification time), not at the review date, so a system
//! whose last review is long past still reaches the SUP-03 test and fails there, instead of silently dropping out
//! of the control's look-back window.
//!
//! Columns / keys: `system`, `reviewer`, `date` (required); `population` (accounts reviewed), `removals` (a count,
//! or in JSON a list of the accounts removed; in CSV a count or names separated by `;`), `period` (e.g.
//! `2026-Q3`), `id`, `notes` (optional). CSV files have a header row; fields may be quoted (`"a, b"`, `""` for a
//! quote). JSON files hold an array of records, `{"reviews": [...]}`, or one record per line.

use assay_ledger::EvidenceKind;
use serde_json::{Map, Value, json};

use crate::error::CollectError;
use crate::exports::{self, iso, malformed, parse_time};

/// The `[source.NAME]` of access reviews.
pub const SOURCE: &str = "access_reviews";

/// One review record.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessReview {
    pub subject: String,
    pub date: jiff::Timestamp,
    /// `line N` (CSV and JSON).
    pub position: String,
    pub payload: Value,
}

/// Split CSV text into records of fields, each with its starting line. Quoted fields may hold commas, quotes
/// (doubled) and line breaks.
pub fn parse_csv(text: &str) -> Result<Vec<(usize, Vec<String>)>, CollectError> {
    crate::exports::csv_rows(SOURCE, text)
}

fn record(position: String, r: &Map<String, Value>) -> Result<AccessReview, CollectError> {
    let at = |m: String| malformed(SOURCE, position.clone(), m);
    let text = |k: &str| -> Option<String> {
        match r.get(k)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let need = |k: &str| text(k).ok_or_else(|| at(format!("has no `{k}`")));
    let system = need("system")?;
    let reviewer = need("reviewer")?;
    let date_text = need("date")?;
    let date =
        parse_time(&date_text).ok_or_else(|| at(format!("`date` is not a date: {date_text:?}")))?;
    let count = |k: &str| -> Result<Option<u64>, CollectError> {
        match r.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .map(Some)
                .ok_or_else(|| at(format!("`{k}` must be a whole number"))),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| at(format!("`{k}` must be a whole number, not {s:?}"))),
            Some(_) => Err(at(format!("`{k}` must be a whole number"))),
        }
    };
    let population = count("population")?;
    let (removals, removed): (Option<u64>, Vec<String>) = match r.get("removals") {
        Some(Value::Array(a)) => {
            let names: Vec<String> = a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            (Some(names.len() as u64), names)
        }
        Some(Value::String(s))
            if s.contains(';') || s.trim().parse::<u64>().is_err() && !s.trim().is_empty() =>
        {
            let names: Vec<String> = s
                .split(';')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect();
            (Some(names.len() as u64), names)
        }
        _ => (count("removals")?, Vec::new()),
    };
    if let (Some(p), Some(n)) = (population, removals)
        && n > p
    {
        return Err(at(format!("removes {n} accounts from a population of {p}")));
    }
    let subject = if system.contains(':') {
        system.clone()
    } else {
        format!("system:{system}")
    };
    Ok(AccessReview {
        subject,
        date,
        payload: json!({
            "system": system,
            "reviewer": reviewer,
            "date": iso(date),
            "population": population,
            "removals": removals,
            "removed": removed,
            "period": text("period"),
            "id": text("id"),
            "notes": text("notes"),
        }),
        position,
    })
}

/// Read CSV review records (header row first).
pub fn parse_reviews_csv(text: &str) -> Result<Vec<AccessReview>, CollectError> {
    let rows = parse_csv(text)?;
    let Some(((_, header), body)) = rows.split_first() else {
        return Ok(Vec::new());
    };
    let header: Vec<String> = header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    for need in ["system", "reviewer", "date"] {
        if !header.iter().any(|h| h == need) {
            return Err(malformed(
                SOURCE,
                "line 1",
                format!("the header has no `{need}` column"),
            ));
        }
    }
    let mut out = Vec::new();
    for (line, fields) in body {
        if fields.len() != header.len() {
            return Err(malformed(
                SOURCE,
                format!("line {line}"),
                format!(
                    "has {} fields, the header has {}",
                    fields.len(),
                    header.len()
                ),
            ));
        }
        let map: Map<String, Value> = header
            .iter()
            .cloned()
            .zip(fields.iter().map(|f| Value::String(f.clone())))
            .collect();
        out.push(record(format!("line {line}"), &map)?);
    }
    Ok(out)
}

/// Read JSON review records.
pub fn parse_reviews_json(text: &str) -> Result<Vec<AccessReview>, CollectError> {
    let mut out = Vec::new();
    for (line, doc) in exports::json_documents(SOURCE, text)? {
        let records = match doc {
            Value::Object(mut o) if o.contains_key("reviews") => match o.remove("reviews") {
                Some(Value::Array(a)) => a,
                _ => {
                    return Err(malformed(
                        SOURCE,
                        format!("line {line}"),
                        "`reviews` must be an array",
                    ));
                }
            },
            other => vec![other],
        };
        for (k, r) in records.iter().enumerate() {
            let Value::Object(map) = r else {
                return Err(malformed(
                    SOURCE,
                    format!("line {line}, record {k}"),
                    "expected an object",
                ));
            };
            out.push(record(format!("line {line}, record {k}"), map)?);
        }
    }
    Ok(out)
}

/// `[source.access_reviews]`: CSV or JSON files (or folders of them).
///
/// ```toml
/// [source.access_reviews]
/// files = ["exports/access-reviews.csv"]
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessReviewsConfig {
    pub files: Vec<exports::FileSpec>,
}

impl AccessReviewsConfig {
    pub fn from_table(table: &toml::Table) -> Result<Self, CollectError> {
        Ok(AccessReviewsConfig {
            files: exports::file_specs(SOURCE, table, "exports/access-reviews.csv")?,
        })
    }
}

/// Reads access-review records.
#[derive(Debug, Clone)]
pub struct AccessReviewsCollector {
    config: AccessReviewsConfig,
}

impl AccessReviewsCollector {
    pub fn new(config: AccessReviewsConfig) -> Self {
        AccessReviewsCollector { config }
    }
}

impl crate::Collector for AccessReviewsCollector {
    fn source(&self) -> &str {
        SOURCE
    }

    fn collect(&self, ctx: &mut crate::Context<'_>) -> Result<crate::Collected, CollectError> {
        let mut out = crate::Collected::default();
        for spec in &self.config.files {
            let files = exports::read_all(
                SOURCE,
                ctx.workspace,
                std::slice::from_ref(&spec.path),
                &["csv", "json", "jsonl"],
                |f| {
                    let csv = f
                        .path
                        .extension()
                        .and_then(|e| e.to_str())
                        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
                    if csv {
                        parse_reviews_csv(&f.text)
                    } else {
                        parse_reviews_json(&f.text)
                    }
                },
            )?;
            for (file, reviews) in files {
                let exported = spec.at.or(file.modified).unwrap_or(ctx.now);
                let rel = &file.rel;
                for mut r in reviews {
                    if let Value::Object(m) = &mut r.payload {
                        m.insert("exported_at".into(), json!(iso(exported)));
                    }
                    out.evidence.push(exports::item(
                        EvidenceKind::AccessReview,
                        spec.subject.clone().unwrap_or(r.subject),
                        SOURCE,
                        format!("{rel}#{}", r.position.replace("line ", "L")),
                        exported,
                        ctx.now,
                        r.payload,
                    ));
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CSV: &str = "\u{feff}system,reviewer,date,population,removals,period,notes\r\n\
        aws:production,dana@kestrel-labs.example,2026-10-06,42,3,2026-Q3,\"Removed 3 leavers, incl. \"\"contractor\"\" accounts\"\r\n\
        \r\n\
        store:curated-features,sofia@kestrel-labs.example,2026-04-02,12,alice;omar,2026-Q1,\n";

    #[test]
    fn csv_records() {
        let got = parse_reviews_csv(CSV).expect("csv");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].subject, "aws:production");
        assert_eq!(got[0].payload["removals"], 3);
        assert_eq!(
            got[0].payload["notes"],
            "Removed 3 leavers, incl. \"contractor\" accounts"
        );
        assert_eq!(got[1].position, "line 4");
        assert_eq!(got[1].payload["removed"], json!(["alice", "omar"]));
        assert_eq!(got[1].payload["removals"], 2);
    }

    #[test]
    fn json_records() {
        let text = r#"{"reviews": [{"system": "mlflow", "reviewer": "lena", "date": "2026-09-30T16:00:00Z",
            "population": 9, "removals": ["omar"]}]}"#;
        let got = parse_reviews_json(text).expect("json");
        assert_eq!(got[0].subject, "system:mlflow");
        assert_eq!(got[0].payload["removals"], 1);
    }

    #[test]
    fn malformed_records_are_named() {
        let cases: [(&str, bool, &str); 7] = [
            (
                "system,reviewer\nx,y\n",
                true,
                "line 1 is malformed: the header has no `date` column",
            ),
            (
                "system,reviewer,date\nx,y\n",
                true,
                "line 2 is malformed: has 2 fields",
            ),
            (
                "system,reviewer,date\nx,y,\"2026-01-01\n",
                true,
                "line 2 is malformed: a quoted field is not closed",
            ),
            (
                "system,reviewer,date,population\nx,y,2026-01-01,many\n",
                true,
                "`population` must be a whole number",
            ),
            (
                "system,reviewer,date,population,removals\nx,y,2026-01-01,2,5\n",
                true,
                "removes 5 accounts from a population of 2",
            ),
            (
                "[{\"system\": \"x\", \"date\": \"2026-01-01\"}]",
                false,
                "line 1, record 0 is malformed: has no `reviewer`",
            ),
            (
                "{\"system\": \"x\", \"reviewer\": \"r\", \"date\": \"Q3\"}",
                false,
                "`date` is not a date",
            ),
        ];
        for (text, csv, want) in cases {
            let err = if csv {
                parse_reviews_csv(text)
            } else {
                parse_reviews_json(text)
            }
            .expect_err(want);
            assert!(err.to_string().contains(want), "{want}: {err}");
        }
    }

    proptest! {
        #[test]
        fn parsing_never_panics(doc in "\\PC{0,200}") {
            let _ = parse_reviews_csv(&doc);
            let _ = parse_reviews_json(&doc);
        }

        /// Quoting any field and writing it back gives the field again.
        #[test]
        fn csv_quoting_round_trips(fields in proptest::collection::vec("[a-z,\" \n]{0,8}", 1..5)) {
            let line: Vec<String> = fields.iter().map(|f| format!("\"{}\"", f.replace('"', "\"\""))).collect();
            let rows = parse_csv(&format!("{}\n", line.join(","))).expect("quoted csv");
            prop_assert_eq!(rows.len(), 1);
            prop_assert_eq!(&rows[0].1, &fields);
        }
    }
}
