//! Operational records kept outside any API: incidents (`incident`), restore and disaster-recovery tests
//! (`dr.test`) and backup job runs (`backup.job`), read from CSV (header row), JSON (a list of objects, or an
//! object with one list) or JSONL files that a ticket system, a runbook spreadsheet or a backup console exports.
//!
//! Field names are matched case-insensitively with common spellings (`detected`, `detected_at`, `Detected At` …;
//! the docs list them). Times are RFC 3339, `YYYY-MM-DD HH:MM[:SS]` (UTC) or a date. Every item is dated by the
//! record itself (detection, test date, job completion), so re-reading an unchanged file stores nothing new and
//! an updated record (an incident resolved later) is stored as a new observation beside the old one.

use std::collections::BTreeMap;
use std::path::PathBuf;

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use crate::error::CollectError;
use crate::export::{self, config_error, malformed};

/// The `[source.NAME]` of incident, DR-test and backup-job records.
pub const SOURCE: &str = "incidents";

/// One record with where it came from (`row 3 (line 4)`, `line 7`, `[2]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub at: String,
    /// Field names lower-cased, with spaces and dashes turned into `_`.
    pub fields: Map<String, Value>,
}

/// `Detected At`, `detected-at`, `DetectedAt` and `detectedAt` all become `detected_at`.
fn norm_key(k: &str) -> String {
    let mut out = String::with_capacity(k.len() + 4);
    let mut prev_lower = false;
    for c in k.trim().chars() {
        if c == ' ' || c == '-' || c == '_' {
            if !out.ends_with('_') {
                out.push('_');
            }
            prev_lower = false;
        } else if c.is_uppercase() {
            if prev_lower && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
            prev_lower = false;
        } else {
            out.push(c);
            prev_lower = c.is_lowercase() || c.is_ascii_digit();
        }
    }
    out
}

/// Split CSV text (RFC 4180: quoted fields, `""` escapes, CRLF or LF) into rows with their first line number.
pub fn parse_csv_rows(text: &str) -> Result<Vec<(usize, Vec<String>)>, CollectError> {
    crate::exports::csv_rows(SOURCE, text)
}

/// Records of a file, by its extension: `.csv`, `.jsonl`/`.ndjson`, otherwise JSON.
pub fn parse_records(name: &str, text: &str) -> Result<Vec<Record>, CollectError> {
    let lower = name.to_lowercase();
    if lower.ends_with(".csv") {
        let rows = parse_csv_rows(text)?;
        let Some(((_, header), body)) = rows.split_first() else {
            return Ok(Vec::new());
        };
        let header: Vec<String> = header.iter().map(|h| norm_key(h)).collect();
        let mut out = Vec::new();
        for (k, (line, row)) in body.iter().enumerate() {
            let at = format!("row {} (line {line})", k + 1);
            if row.len() != header.len() {
                return Err(malformed(
                    SOURCE,
                    at,
                    format!("has {} fields, the header has {}", row.len(), header.len()),
                ));
            }
            let fields = header
                .iter()
                .zip(row)
                .filter(|(_, v)| !v.trim().is_empty())
                .map(|(h, v)| (h.clone(), Value::String(v.trim().to_owned())))
                .collect();
            out.push(Record { at, fields });
        }
        return Ok(out);
    }
    let object = |v: Value, at: String| -> Result<Record, CollectError> {
        match v {
            Value::Object(o) => Ok(Record {
                at,
                fields: o
                    .into_iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (norm_key(&k), v))
                    .collect(),
            }),
            _ => Err(malformed(SOURCE, at, "a record must be a JSON object")),
        }
    };
    if lower.ends_with(".jsonl") || lower.ends_with(".ndjson") {
        let mut out = Vec::new();
        for (k, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let v: Value = serde_json::from_str(line).map_err(|e| {
                malformed(
                    SOURCE,
                    format!("line {}, column {}", k + 1, e.column()),
                    format!("not JSON ({e})"),
                )
            })?;
            out.push(object(v, format!("line {}", k + 1))?);
        }
        return Ok(out);
    }
    let v: Value = serde_json::from_str(text).map_err(|e| {
        malformed(
            SOURCE,
            format!("line {}, column {}", e.line(), e.column()),
            format!("not JSON ({e})"),
        )
    })?;
    let list = match v {
        Value::Array(a) => a,
        Value::Object(o) => {
            let mut lists: Vec<Vec<Value>> = o
                .into_iter()
                .filter_map(|(_, v)| match v {
                    Value::Array(a) => Some(a),
                    _ => None,
                })
                .collect();
            if lists.len() != 1 {
                return Err(malformed(
                    SOURCE,
                    "line 1",
                    "expected a list of records, or an object holding exactly one list",
                ));
            }
            lists.pop().unwrap_or_default()
        }
        _ => {
            return Err(malformed(SOURCE, "line 1", "expected a list of records"));
        }
    };
    list.into_iter()
        .enumerate()
        .map(|(k, v)| object(v, format!("[{k}]")))
        .collect()
}

/// Parse a time: RFC 3339, `YYYY-MM-DD HH:MM[:SS]` or `YYYY-MM-DDTHH:MM[:SS]` (UTC), or `YYYY-MM-DD`.
pub fn parse_time(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t);
    }
    let utc = jiff::tz::TimeZone::UTC;
    if let Ok(dt) = s.replacen(' ', "T", 1).parse::<jiff::civil::DateTime>() {
        return dt.to_zoned(utc).ok().map(|z| z.timestamp());
    }
    if let Ok(d) = s.parse::<jiff::civil::Date>() {
        return d.to_zoned(utc).ok().map(|z| z.timestamp());
    }
    None
}

/// A duration in minutes: a number (minutes) or `30s`, `45m`, `4h`, `1d`, `1h30m`.
pub fn parse_minutes(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64().filter(|x| x.is_finite() && *x >= 0.0),
        Value::String(s) => {
            let s = s.trim().to_lowercase();
            if let Ok(n) = s.parse::<f64>() {
                return (n.is_finite() && n >= 0.0).then_some(n);
            }
            let (mut total, mut num, mut any) = (0.0f64, String::new(), false);
            let mut chars = s.chars().peekable();
            while let Some(c) = chars.next() {
                if c.is_ascii_digit() || c == '.' {
                    num.push(c);
                    continue;
                }
                if c == ' ' {
                    continue;
                }
                let mut unit = c.to_string();
                while let Some(&n) = chars.peek() {
                    if n.is_ascii_alphabetic() {
                        unit.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                let n: f64 = num.parse().ok()?;
                num.clear();
                let factor = match unit.as_str() {
                    "s" | "sec" | "secs" | "second" | "seconds" => 1.0 / 60.0,
                    "m" | "min" | "mins" | "minute" | "minutes" => 1.0,
                    "h" | "hr" | "hrs" | "hour" | "hours" => 60.0,
                    "d" | "day" | "days" => 1440.0,
                    _ => return None,
                };
                total += n * factor;
                any = true;
            }
            (any && num.is_empty()).then_some(total)
        }
        _ => None,
    }
}

fn pick<'a>(r: &'a Record, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|n| r.fields.get(*n))
}

fn pick_str(r: &Record, names: &[&str]) -> Option<String> {
    pick(r, names).and_then(|v| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

fn time_field(
    r: &Record,
    names: &[&str],
    required: bool,
) -> Result<Option<Timestamp>, CollectError> {
    match pick_str(r, names) {
        None if required => Err(malformed(
            SOURCE,
            &r.at,
            format!("has no {} (a time)", names[0]),
        )),
        None => Ok(None),
        Some(s) => parse_time(&s).map(Some).ok_or_else(|| {
            malformed(
                SOURCE,
                &r.at,
                format!(
                    "{} `{s}` is not a time (use RFC 3339, e.g. 2026-05-01T10:00:00Z)",
                    names[0]
                ),
            )
        }),
    }
}

fn boolish(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_lowercase().as_str() {
            "true" | "yes" | "y" | "1" => Some(true),
            "false" | "no" | "n" | "0" => Some(false),
            _ => None,
        },
        Value::Number(n) => Some(n.as_f64() != Some(0.0)),
        _ => None,
    }
}

fn minutes_between(a: Option<Timestamp>, b: Option<Timestamp>) -> Value {
    match (a, b) {
        (Some(a), Some(b)) => json!((b.as_second() - a.as_second()) / 60),
        _ => Value::Null,
    }
}

fn iso(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| json!(t.to_string()))
}

/// An evidence item before it is stamped with the source and collection time.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub subject: String,
    /// Record id, unique within the file (for the locator).
    pub id: String,
    pub observed_at: Timestamp,
    pub payload: Value,
}

const INCIDENT_DETECTED: &[&str] = &[
    "detected_at",
    "detected",
    "opened_at",
    "created_at",
    "created",
    "start",
    "started_at",
];
const INCIDENT_TRIAGED: &[&str] = &[
    "triaged_at",
    "triaged",
    "acknowledged_at",
    "acknowledged",
    "ack_at",
];
const INCIDENT_RESOLVED: &[&str] = &[
    "resolved_at",
    "resolved",
    "closed_at",
    "closed",
    "end",
    "ended_at",
];
const POSTMORTEM: &[&str] = &[
    "post_mortem",
    "postmortem",
    "post_mortem_link",
    "postmortem_url",
    "post_mortem_url",
    "postmortem_link",
    "rca",
    "rca_link",
];

/// An incident record → `incident`.
pub fn incident(r: &Record) -> Result<Item, CollectError> {
    let id = pick_str(r, &["id", "key", "incident", "incident_id", "number"])
        .ok_or_else(|| malformed(SOURCE, &r.at, "has no id"))?;
    let detected = time_field(r, INCIDENT_DETECTED, true)?;
    let triaged = time_field(r, INCIDENT_TRIAGED, false)?;
    let resolved = time_field(r, INCIDENT_RESOLVED, false)?;
    let detected_at = detected.ok_or_else(|| malformed(SOURCE, &r.at, "has no detected_at"))?;
    if let Some(t) = resolved.filter(|t| *t < detected_at) {
        return Err(malformed(
            SOURCE,
            &r.at,
            format!("incident {id} is resolved ({t}) before it was detected ({detected_at})"),
        ));
    }
    let subject = pick_str(r, &["subject", "component", "system", "service"])
        .unwrap_or_else(|| format!("incident:{id}"));
    let post_mortem = pick_str(r, POSTMORTEM);
    let mut payload = json!({
        "id": id,
        "title": pick_str(r, &["title", "summary", "name"]),
        "severity": pick_str(r, &["severity", "sev", "priority"]).map(|s| s.to_lowercase()),
        "status": pick_str(r, &["status", "state"]).map(|s| s.to_lowercase()),
        "detected_at": iso(Some(detected_at)),
        "triaged_at": iso(triaged),
        "resolved_at": iso(resolved),
        "minutes_to_triage": minutes_between(Some(detected_at), triaged),
        "minutes_to_resolve": minutes_between(Some(detected_at), resolved),
        "post_mortem": post_mortem,
        "has_post_mortem": post_mortem.is_some(),
        "category": pick_str(r, &["category", "type", "kind"]),
        "ai_related": boolish(pick(r, &["ai_related", "model_related", "ai"])),
        "customer_notified": boolish(pick(r, &["customer_notified", "customers_notified", "notified"])),
        "rotated": boolish(pick(r, &["rotated", "credentials_rotated", "secret_rotated"])),
    });
    strip_nulls(&mut payload);
    Ok(Item {
        subject,
        id,
        observed_at: detected_at,
        payload,
    })
}

/// A restore or DR test record → `dr.test`.
pub fn dr_test(r: &Record) -> Result<Item, CollectError> {
    let date = time_field(
        r,
        &[
            "date",
            "tested_at",
            "test_date",
            "performed_at",
            "started_at",
        ],
        true,
    )?
    .ok_or_else(|| malformed(SOURCE, &r.at, "has no date"))?;
    let system = pick_str(r, &["system", "subject", "component", "target"])
        .ok_or_else(|| malformed(SOURCE, &r.at, "has no system (what was restored)"))?;
    let mins = |names: &[&str]| -> Result<Option<f64>, CollectError> {
        match pick(r, names) {
            None => Ok(None),
            Some(v) => parse_minutes(v).map(Some).ok_or_else(|| {
                malformed(
                    SOURCE,
                    &r.at,
                    format!(
                        "{} `{v}` is not a duration (minutes, or e.g. 4h, 30m)",
                        names[0]
                    ),
                )
            }),
        }
    };
    let rto_t = mins(&["rto_target", "rto_target_minutes", "rto"])?;
    let rto_a = mins(&[
        "rto_achieved",
        "rto_actual",
        "rto_achieved_minutes",
        "restore_minutes",
    ])?;
    let rpo_t = mins(&["rpo_target", "rpo_target_minutes", "rpo"])?;
    let rpo_a = mins(&[
        "rpo_achieved",
        "rpo_actual",
        "rpo_achieved_minutes",
        "data_loss_minutes",
    ])?;
    let met = |t: Option<f64>, a: Option<f64>| match (t, a) {
        (Some(t), Some(a)) => json!(a <= t),
        _ => Value::Null,
    };
    let result = pick_str(r, &["result", "outcome", "status"]).map(|s| s.to_lowercase());
    let passed = result.as_deref().map(|s| {
        matches!(
            s,
            "pass" | "passed" | "success" | "succeeded" | "ok" | "successful"
        )
    });
    let id = pick_str(r, &["id", "test_id", "key"]).unwrap_or_else(|| format!("{system}@{date}"));
    let mut payload = json!({
        "id": id,
        "system": system,
        "scope": pick_str(r, &["scope", "type", "kind", "test_type"]),
        "date": date.to_string(),
        "rto_target_minutes": rto_t, "rto_achieved_minutes": rto_a, "rto_met": met(rto_t, rto_a),
        "rpo_target_minutes": rpo_t, "rpo_achieved_minutes": rpo_a, "rpo_met": met(rpo_t, rpo_a),
        "result": result,
        "passed": passed,
        "evidence": pick_str(r, &["evidence", "link", "url", "report"]),
        "notes": pick_str(r, &["notes", "note", "comments"]),
    });
    strip_nulls(&mut payload);
    Ok(Item {
        subject: system,
        id,
        observed_at: date,
        payload,
    })
}

/// A backup job record → `backup.job`.
pub fn backup_job(r: &Record) -> Result<Item, CollectError> {
    let started = time_field(
        r,
        &[
            "started_at",
            "start",
            "started",
            "creation_date",
            "created_at",
        ],
        false,
    )?;
    let completed = time_field(
        r,
        &[
            "completed_at",
            "completion_date",
            "completed",
            "finished_at",
            "end",
        ],
        false,
    )?;
    let at = completed
        .or(started)
        .ok_or_else(|| malformed(SOURCE, &r.at, "has neither completed_at nor started_at"))?;
    let system = pick_str(
        r,
        &["system", "subject", "component", "resource", "resource_arn"],
    )
    .ok_or_else(|| malformed(SOURCE, &r.at, "has no system (what was backed up)"))?;
    let status = pick_str(r, &["status", "state", "result"]).map(|s| s.to_lowercase());
    let ok = status.as_deref().map(|s| {
        matches!(
            s,
            "completed" | "success" | "succeeded" | "ok" | "pass" | "passed"
        )
    });
    let id =
        pick_str(r, &["id", "job_id", "backup_job_id"]).unwrap_or_else(|| format!("{system}@{at}"));
    let mut payload = json!({
        "id": id,
        "system": system,
        "status": status,
        "succeeded": ok,
        "started_at": iso(started),
        "completed_at": iso(completed),
        "vault": pick_str(r, &["vault", "backup_vault_name", "destination"]),
        "plan": pick_str(r, &["plan", "backup_plan", "policy"]),
        "size_bytes": pick(r, &["size_bytes", "backup_size_in_bytes", "size"]).and_then(|v| match v {
            Value::Number(_) => Some(v.clone()),
            Value::String(s) => s.parse::<u64>().ok().map(|n| json!(n)),
            _ => None,
        }),
    });
    strip_nulls(&mut payload);
    Ok(Item {
        subject: system,
        id,
        observed_at: at,
        payload,
    })
}

fn strip_nulls(v: &mut Value) {
    if let Some(o) = v.as_object_mut() {
        o.retain(|_, x| !x.is_null());
    }
}

/// `[source.incidents]`: files of each record type (CSV, JSON or JSONL), at least one list.
///
/// ```toml
/// [source.incidents]
/// files = ["ops/incidents.csv"]           # incident records → incident
/// dr_tests = ["ops/restore-tests.json"]   # restore / DR test records → dr.test
/// backup_jobs = ["ops/backup-jobs.jsonl"] # backup job runs → backup.job
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentsConfig {
    pub files: Vec<PathBuf>,
    pub dr_tests: Vec<PathBuf>,
    pub backup_jobs: Vec<PathBuf>,
}

impl IncidentsConfig {
    pub fn from_table(table: &toml::Table) -> Result<Self, CollectError> {
        let list = |key: &str| -> Result<Vec<PathBuf>, CollectError> {
            match table.get(key) {
                None => Ok(Vec::new()),
                Some(v) => {
                    let l: Vec<String> = v
                        .clone()
                        .try_into()
                        .map_err(|_| config_error(SOURCE, key, "must be a list of paths"))?;
                    Ok(l.into_iter().map(PathBuf::from).collect())
                }
            }
        };
        let c = IncidentsConfig {
            files: list("files")?,
            dr_tests: list("dr_tests")?,
            backup_jobs: list("backup_jobs")?,
        };
        if c.files.is_empty() && c.dr_tests.is_empty() && c.backup_jobs.is_empty() {
            return Err(config_error(
                SOURCE,
                "files",
                "must list incident records (or give dr_tests / backup_jobs), e.g. files = [\"ops/incidents.csv\"]",
            ));
        }
        Ok(c)
    }
}

/// Reads incident, DR-test and backup-job records.
#[derive(Debug, Clone)]
pub struct IncidentsCollector {
    config: IncidentsConfig,
}

impl IncidentsCollector {
    pub fn new(config: IncidentsConfig) -> Self {
        IncidentsCollector { config }
    }
}

type Reader = fn(&Record) -> Result<Item, CollectError>;

impl crate::Collector for IncidentsCollector {
    fn source(&self) -> &str {
        SOURCE
    }

    fn collect(&self, ctx: &mut crate::Context<'_>) -> Result<crate::Collected, CollectError> {
        use assay_ledger::EvidenceKind as K;
        let groups: [(&[PathBuf], K, Reader); 3] = [
            (&self.config.files, K::Incident, incident),
            (&self.config.dr_tests, K::DrTest, dr_test),
            (&self.config.backup_jobs, K::BackupJob, backup_job),
        ];
        let mut out = crate::Collected::default();
        for (files, kind, read) in groups {
            for f in files {
                let ex = export::read(SOURCE, ctx.workspace, f, ctx.now)?;
                let records = parse_records(&ex.rel, &ex.text).map_err(|e| ex.locate(e))?;
                let mut seen: BTreeMap<String, String> = BTreeMap::new();
                for r in &records {
                    let it = read(r).map_err(|e| ex.locate(e))?;
                    if let Some(first) = seen.insert(it.id.clone(), r.at.clone()) {
                        return Err(ex.locate(malformed(
                            SOURCE,
                            &r.at,
                            format!("repeats id `{}` of {first}", it.id),
                        )));
                    }
                    out.evidence.push(export::item(
                        SOURCE,
                        kind.clone(),
                        it.subject,
                        format!("{}#{}", ex.rel, it.id),
                        it.observed_at,
                        ctx.now,
                        it.payload,
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

    #[test]
    fn csv_quotes_and_lines() {
        let rows = parse_csv_rows("a,b\r\n\"x, y\",\"he said \"\"hi\"\"\"\n\"multi\nline\",2\n")
            .expect("csv");
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[1].1,
            vec!["x, y".to_owned(), "he said \"hi\"".to_owned()]
        );
        assert_eq!(rows[2].0, 3);
        assert_eq!(rows[2].1[0], "multi\nline");
        assert!(parse_csv_rows("a,\"b\nc").is_err());
        assert!(parse_csv_rows("a,b\"c\n").is_err());
    }

    #[test]
    fn field_names_are_normalised() {
        for k in [
            "Detected At",
            "detected-at",
            "DetectedAt",
            "detectedAt",
            "detected_at",
        ] {
            assert_eq!(norm_key(k), "detected_at", "{k}");
        }
        assert_eq!(norm_key("BackupSizeInBytes"), "backup_size_in_bytes");
        assert_eq!(norm_key("RTO Target"), "rto_target");
    }

    #[test]
    fn durations_and_times() {
        assert_eq!(parse_minutes(&json!("4h")), Some(240.0));
        assert_eq!(parse_minutes(&json!("1h30m")), Some(90.0));
        assert_eq!(parse_minutes(&json!(15)), Some(15.0));
        assert_eq!(parse_minutes(&json!("soon")), None);
        assert_eq!(parse_minutes(&json!("4")), Some(4.0));
        assert_eq!(parse_minutes(&json!("4x")), None);
        assert!(parse_time("2026-05-01T10:00:00Z").is_some());
        assert_eq!(
            parse_time("2026-05-01 10:00"),
            parse_time("2026-05-01T10:00:00Z")
        );
        assert_eq!(parse_time("2026-05-01"), parse_time("2026-05-01T00:00:00Z"));
        assert!(parse_time("yesterday").is_none());
    }

    proptest! {
        #[test]
        fn parsing_never_panics(doc in "\\PC{0,300}") {
            for name in ["x.csv", "x.json", "x.jsonl"] {
                if let Ok(rs) = parse_records(name, &doc) {
                    for r in &rs {
                        let _ = incident(r);
                        let _ = dr_test(r);
                        let _ = backup_job(r);
                    }
                }
            }
        }

        #[test]
        fn csv_round_trips_simple_fields(fields in proptest::collection::vec("[a-z ,\"]{0,6}", 1..5)) {
            let line: Vec<String> = fields.iter().map(|f| format!("\"{}\"", f.replace('"', "\"\""))).collect();
            let rows = parse_csv_rows(&format!("{}\n", line.join(","))).expect("quoted fields always parse");
            prop_assert_eq!(&rows[0].1, &fields);
        }

        #[test]
        fn durations_never_panic(s in "\\PC{0,20}") {
            let _ = parse_minutes(&Value::String(s.clone()));
            let _ = parse_time(&s);
        }
    }
}
