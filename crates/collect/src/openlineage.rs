//! `[source.openlineage]`: OpenLineage RunEvents from JSON files (one event or an array) and JSONL files (one
//! event per line), validated structurally against the RunEvent definition of the 2-0-2 spec.
//!
//! [`ingest_event`] is the whole per-event logic (validate, keep the lineage facets, build the evidence), so an
//! HTTP endpoint (`POST /api/v1/lineage`) can call it on a request body later.
//!
//! Items: `openlineage.run_event`, subject `job:NAMESPACE/NAME`, `observed_at` = `eventTime`, locator
//! `FILE:LINE`. Kept facets: job `sourceCodeLocation`, `jobType`; run `parent`, `nominalTime`,
//! `errorMessage`; dataset `version`, `schema`. Everything else in an event is dropped.

use std::path::{Path, PathBuf};

use assay_ledger::{Evidence, EvidenceKind};
use jiff::Timestamp;
use serde_json::{Map, Value};

use crate::error::CollectError;
use crate::repo::storable;
use crate::{Collected, Collector, Context, source};

/// Config of `[source.openlineage]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenLineageConfig {
    pub files: Vec<PathBuf>,
}

impl OpenLineageConfig {
    pub fn from_table(table: &toml::Table) -> Result<Self, CollectError> {
        let bad = |reason: &str| CollectError::Config {
            source_name: NAME.into(),
            key: "files".into(),
            reason: reason.into(),
        };
        let Some(list) = table.get("files").and_then(|v| v.as_array()) else {
            return Err(bad(
                "must list JSON or JSONL files, e.g. files = [\"lineage/events.jsonl\"]",
            ));
        };
        let mut files = Vec::new();
        for v in list {
            let Some(s) = v.as_str() else {
                return Err(bad("entries must be paths (strings)"));
            };
            files.push(PathBuf::from(s));
        }
        Ok(OpenLineageConfig { files })
    }
}

/// The OpenLineage collector.
#[derive(Debug, Clone)]
pub struct OpenLineageCollector {
    config: OpenLineageConfig,
}

impl OpenLineageCollector {
    pub fn new(config: OpenLineageConfig) -> Self {
        OpenLineageCollector { config }
    }
}

const NAME: &str = "openlineage";

/// Why an event is not a valid 2-0-2 RunEvent: the JSON path at fault and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub path: String,
    pub reason: String,
}

const EVENT_TYPES: [&str; 6] = ["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"];

fn invalid(path: &str, reason: impl Into<String>) -> Invalid {
    Invalid {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

fn req_str<'a>(o: &'a Map<String, Value>, key: &str, at: &str) -> Result<&'a str, Invalid> {
    match o.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(invalid(&format!("{at}/{key}"), "must be a string")),
        None => Err(invalid(at, format!("`{key}` is required"))),
    }
}

fn obj<'a>(v: &'a Value, at: &str) -> Result<&'a Map<String, Value>, Invalid> {
    v.as_object()
        .ok_or_else(|| invalid(at, "must be an object"))
}

fn uri(s: &str, at: &str) -> Result<(), Invalid> {
    match s.split_once(':') {
        Some((scheme, _))
            if !scheme.is_empty()
                && scheme.as_bytes()[0].is_ascii_alphabetic()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')) =>
        {
            Ok(())
        }
        _ => Err(invalid(at, "must be an absolute URI (scheme:…)")),
    }
}

fn uuid(s: &str, at: &str) -> Result<(), Invalid> {
    let b = s.as_bytes();
    let ok = b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        });
    if ok {
        Ok(())
    } else {
        Err(invalid(at, "must be a UUID (8-4-4-4-12 hex digits)"))
    }
}

/// Facets: an object of objects, each with `_producer` (URI) and `_schemaURL` (URI), unless `_deleted`.
fn facets(v: Option<&Value>, at: &str) -> Result<(), Invalid> {
    let Some(v) = v else { return Ok(()) };
    let o = obj(v, at)?;
    for (name, f) in o {
        let here = format!("{at}/{name}");
        let f = obj(f, &here)?;
        if f.get("_deleted").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        uri(
            req_str(f, "_producer", &here)?,
            &format!("{here}/_producer"),
        )?;
        uri(
            req_str(f, "_schemaURL", &here)?,
            &format!("{here}/_schemaURL"),
        )?;
    }
    Ok(())
}

fn datasets(v: Option<&Value>, at: &str, extra: &str) -> Result<(), Invalid> {
    let Some(v) = v else { return Ok(()) };
    let list = v
        .as_array()
        .ok_or_else(|| invalid(at, "must be an array"))?;
    for (i, d) in list.iter().enumerate() {
        let here = format!("{at}/{i}");
        let d = obj(d, &here)?;
        req_str(d, "namespace", &here)?;
        req_str(d, "name", &here)?;
        facets(d.get("facets"), &format!("{here}/facets"))?;
        facets(d.get(extra), &format!("{here}/{extra}"))?;
    }
    Ok(())
}

/// Check a value against the 2-0-2 RunEvent definition (required fields, formats, facet base fields).
pub fn validate_run_event(v: &Value) -> Result<(), Invalid> {
    let o = obj(v, "")?;
    let t = req_str(o, "eventTime", "")?;
    if t.parse::<Timestamp>().is_err() {
        return Err(invalid(
            "/eventTime",
            "must be an RFC 3339 date-time with an offset",
        ));
    }
    uri(req_str(o, "producer", "")?, "/producer")?;
    uri(req_str(o, "schemaURL", "")?, "/schemaURL")?;
    if let Some(et) = o.get("eventType") {
        match et.as_str() {
            Some(s) if EVENT_TYPES.contains(&s) => {}
            _ => {
                return Err(invalid(
                    "/eventType",
                    "must be one of START, RUNNING, COMPLETE, ABORT, FAIL, OTHER",
                ));
            }
        }
    }
    let run = obj(
        o.get("run")
            .ok_or_else(|| invalid("", "`run` is required (a RunEvent)"))?,
        "/run",
    )?;
    uuid(req_str(run, "runId", "/run")?, "/run/runId")?;
    facets(run.get("facets"), "/run/facets")?;
    let job = obj(
        o.get("job")
            .ok_or_else(|| invalid("", "`job` is required"))?,
        "/job",
    )?;
    req_str(job, "namespace", "/job")?;
    req_str(job, "name", "/job")?;
    facets(job.get("facets"), "/job/facets")?;
    datasets(o.get("inputs"), "/inputs", "inputFacets")?;
    datasets(o.get("outputs"), "/outputs", "outputFacets")?;
    Ok(())
}

fn keep(facets: Option<&Value>, names: &[&str]) -> Value {
    let mut m = Map::new();
    if let Some(Value::Object(o)) = facets {
        for n in names {
            if let Some(f) = o.get(*n) {
                m.insert((*n).to_owned(), f.clone());
            }
        }
    }
    Value::Object(m)
}

fn trim_datasets(v: Option<&Value>) -> Value {
    let list = v.and_then(Value::as_array).cloned().unwrap_or_default();
    Value::Array(
        list.iter()
            .map(|d| {
                serde_json::json!({
                    "namespace": d.get("namespace"),
                    "name": d.get("name"),
                    "facets": keep(d.get("facets"), &["version", "schema"]),
                })
            })
            .collect(),
    )
}

/// Validate one event and turn it into evidence (`locator` says where it came from).
pub fn ingest_event(v: &Value, locator: &str, now: Timestamp) -> Result<Evidence, Invalid> {
    validate_run_event(v)?;
    let g = |p: &str| v.pointer(p).cloned().unwrap_or(Value::Null);
    let observed: Timestamp = v
        .get("eventTime")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("/eventTime", "unreadable"))?;
    let payload = serde_json::json!({
        "eventType": g("/eventType"),
        "eventTime": g("/eventTime"),
        "producer": g("/producer"),
        "schemaURL": g("/schemaURL"),
        "run": {
            "runId": g("/run/runId"),
            "facets": keep(v.pointer("/run/facets"), &["parent", "nominalTime", "errorMessage"]),
        },
        "job": {
            "namespace": g("/job/namespace"),
            "name": g("/job/name"),
            "facets": keep(v.pointer("/job/facets"), &["sourceCodeLocation", "jobType"]),
        },
        "inputs": trim_datasets(v.get("inputs")),
        "outputs": trim_datasets(v.get("outputs")),
    });
    let subject = format!(
        "job:{}/{}",
        v.pointer("/job/namespace")
            .and_then(Value::as_str)
            .unwrap_or_default(),
        v.pointer("/job/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
    );
    Ok(Evidence {
        kind: EvidenceKind::OpenlineageRunEvent,
        subject,
        source: source(NAME, locator),
        observed_at: observed,
        collected_at: now,
        payload: storable(payload),
        attachments: Vec::new(),
        expires_at: None,
        note: None,
    })
}

/// Events of one file: `(line, value)`. A `.json` file holds one event or an array; anything else is JSONL.
pub fn parse_file(path: &Path, text: &str) -> Result<Vec<(usize, Value)>, (usize, String)> {
    let is_json = path.extension().is_some_and(|e| e == "json");
    if is_json {
        let v: Value = serde_json::from_str(text).map_err(|e| (e.line(), e.to_string()))?;
        return Ok(match v {
            Value::Array(a) => a.into_iter().map(|e| (1, e)).collect(),
            other => vec![(1, other)],
        });
    }
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line).map_err(|e| (i + 1, e.to_string()))?;
        out.push((i + 1, v));
    }
    Ok(out)
}

impl Collector for OpenLineageCollector {
    fn source(&self) -> &str {
        NAME
    }

    fn collect(&self, ctx: &mut Context<'_>) -> Result<Collected, CollectError> {
        let mut out = Collected::default();
        for f in &self.config.files {
            let path = if f.is_absolute() {
                f.clone()
            } else {
                ctx.workspace.join(f)
            };
            let text = std::fs::read_to_string(&path).map_err(|e| CollectError::Io {
                source_name: NAME.into(),
                path: path.clone(),
                message: e.to_string(),
            })?;
            let events =
                parse_file(&path, &text).map_err(|(line, message)| CollectError::Malformed {
                    source_name: NAME.into(),
                    location: format!("{} line {line}", f.display()),
                    message,
                })?;
            for (line, ev) in events {
                ctx.progress.inc(1);
                let locator = format!("{}:{line}", f.display());
                let item =
                    ingest_event(&ev, &locator, ctx.now).map_err(|e| CollectError::Malformed {
                        source_name: NAME.into(),
                        location: format!("{} line {line}", f.display()),
                        message: format!(
                            "not an OpenLineage 2-0-2 RunEvent: {} {}",
                            if e.path.is_empty() { "/" } else { &e.path },
                            e.reason
                        ),
                    })?;
                out.evidence.push(item);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event() -> Value {
        json!({
            "eventType": "COMPLETE",
            "eventTime": "2025-01-19T10:00:00.000Z",
            "producer": "https://example.com/producer",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "run": {"runId": "01943a6e-7b1c-7d2e-8f00-000000000001", "facets": {}},
            "job": {"namespace": "etl", "name": "export", "facets": {
                "sourceCodeLocation": {"_producer": "https://example.com/p", "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/SourceCodeLocationJobFacet.json", "type": "git", "url": "https://example.com/etl", "version": "abc"},
                "ownership": {"_producer": "https://example.com/p", "_schemaURL": "https://openlineage.io/x.json", "owners": []}
            }},
            "inputs": [],
            "outputs": [{"namespace": "s3://b", "name": "t.csv", "facets": {"version": {"_producer": "https://example.com/p", "_schemaURL": "https://openlineage.io/v.json", "datasetVersion": "42"}}}]
        })
    }

    #[test]
    fn valid_event_keeps_lineage_facets_only() {
        let ev = ingest_event(&event(), "f.jsonl:1", Timestamp::UNIX_EPOCH).expect("valid");
        assert_eq!(ev.subject, "job:etl/export");
        assert!(
            ev.payload
                .pointer("/job/facets/sourceCodeLocation")
                .is_some()
        );
        assert!(ev.payload.pointer("/job/facets/ownership").is_none());
        assert_eq!(
            ev.payload
                .pointer("/outputs/0/facets/version/datasetVersion"),
            Some(&json!("42"))
        );
    }

    #[test]
    fn invalid_events_name_the_field() {
        type Mutation = fn(&mut Value);
        let cases: Vec<(Mutation, &str)> = vec![
            (
                |v| {
                    v["run"].as_object_mut().map(|o| o.remove("runId"));
                },
                "/run",
            ),
            (|v| v["run"]["runId"] = json!("not-a-uuid"), "/run/runId"),
            (|v| v["eventType"] = json!("DONE"), "/eventType"),
            (|v| v["eventTime"] = json!("yesterday"), "/eventTime"),
            (|v| v["producer"] = json!("no scheme"), "/producer"),
            (
                |v| {
                    v.as_object_mut().map(|o| o.remove("job"));
                },
                "",
            ),
            (
                |v| {
                    v["job"]["facets"]["sourceCodeLocation"]
                        .as_object_mut()
                        .map(|o| o.remove("_producer"));
                },
                "/job/facets/sourceCodeLocation",
            ),
            (|v| v["outputs"][0]["name"] = json!(7), "/outputs/0/name"),
        ];
        for (mutate, path) in cases {
            let mut v = event();
            mutate(&mut v);
            let err = validate_run_event(&v).expect_err("invalid");
            assert_eq!(err.path, path, "{err:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let text = String::from_utf8_lossy(&bytes);
            if let Ok(events) = parse_file(Path::new("x.jsonl"), &text) {
                for (_, e) in events {
                    let _ = ingest_event(&e, "x", Timestamp::UNIX_EPOCH);
                }
            }
        }
    }
}
