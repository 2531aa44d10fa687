//! `[source.openlineage]`: OpenLineage events from JSON files (one event or an array) and JSONL files (one
//! event per line), validated by our own implementation of the rules of the 2-0-2 spec
//! (`https://openlineage.io/spec/2-0-2/OpenLineage.json`, JSON Schema draft 2020-12).
//!
//! ## What is checked
//! * The top level is `oneOf` RunEvent | DatasetEvent | JobEvent, all three built on BaseEvent: `eventTime`
//!   (RFC 3339 date-time), `producer` and `schemaURL` (absolute URIs) are required. RunEvent requires `run`
//!   (`runId`, a UUID) and `job`, and restricts `eventType` to START, RUNNING, COMPLETE, ABORT, FAIL, OTHER
//!   (optional in 2-0-2). DatasetEvent requires `dataset` and must not carry both `job` and `run`. JobEvent
//!   requires `job` and must not carry `run`. An event matching none of them, or more than one (for example
//!   `dataset` and `job` without `run`), is rejected, as `oneOf` does.
//! * Jobs and datasets need string `namespace` and `name`; `inputs`/`outputs` are arrays of datasets with
//!   `facets` and `inputFacets`/`outputFacets`. Every facet is an object with `_producer` and `_schemaURL`
//!   (absolute URIs); job and dataset facets may carry a boolean `_deleted`. Additional properties are
//!   allowed wherever the spec allows them (everywhere except the typed fields above).
//! * The facets we keep are checked against their own facet schemas: job `sourceCodeLocation` (`type`, `url`
//!   URI), `jobType` (`processingType`, `integration`); run `parent` (`run.runId` UUID, `job.namespace`,
//!   `job.name`, optional `root`), `nominalTime` (`nominalStartTime` date-time), `errorMessage` (`message`,
//!   `programmingLanguage`); dataset `version` (`datasetVersion`), `schema` (`fields[].name`). A facet marked
//!   `_deleted: true` carries no content, so only its base fields are checked.
//!
//! Formats are asserted (a plain JSON Schema validator treats `format` as an annotation only; we do not).
//!
//! ## What is stored
//! One `openlineage.run_event` item per event (the only OpenLineage kind in the catalog), whose payload says
//! which definition the event matched: `"event": "RunEvent" | "JobEvent" | "DatasetEvent"`. Subject
//! `job:NAMESPACE/NAME` (run and job events) or `dataset:NAMESPACE/NAME` (dataset events); `observed_at` =
//! `eventTime`; locator `FILE:LINE` (JSONL) or `FILE:1#/INDEX` (an array in a `.json` file). Kept: the base
//! fields, `eventType`, `run.runId`, job and dataset names, and the facets listed above; everything else in an
//! event is dropped.
//!
//! [`ingest_event`] and [`ingest_batch`] take request bodies (bytes) and do no I/O, so an HTTP endpoint
//! (`POST /api/v1/lineage`, `POST /api/v1/lineage/batch`) can call them as the file collector does.

use std::path::{Path, PathBuf};

use assay_ledger::{Evidence, EvidenceKind};
use jiff::Timestamp;
use serde_json::{Map, Value, json};

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

/// The 2-0-2 definition an event matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Run,
    Dataset,
    Job,
}

impl EventType {
    /// The definition's name in the spec (`RunEvent`, `DatasetEvent`, `JobEvent`).
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Run => "RunEvent",
            EventType::Dataset => "DatasetEvent",
            EventType::Job => "JobEvent",
        }
    }
}

/// Why an event is not valid 2-0-2: the JSON pointer at fault (`""` is the whole event), a sentence, a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub pointer: String,
    pub reason: String,
    pub hint: &'static str,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.pointer.is_empty() {
            write!(f, "the event: {}; hint: {}", self.reason, self.hint)
        } else {
            write!(
                f,
                "at {}: {}; hint: {}",
                self.pointer, self.reason, self.hint
            )
        }
    }
}

const EVENT_TYPES: [&str; 6] = ["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"];

const HINT_REQUIRED: &str = "add the field; the 2-0-2 spec requires it";
const HINT_TYPE: &str = "give the field the JSON type the 2-0-2 spec defines";
const HINT_TIME: &str = "write an RFC 3339 date-time with an offset, e.g. 2025-01-19T10:00:00.000Z";
const HINT_URI: &str = "write an absolute URI with a scheme, e.g. https://example.com/my-producer";
const HINT_UUID: &str = "use a UUID such as 0195506c-1f3b-7c6e-9a41-3d5f2b8e7a10 (the OpenLineage client makes UUIDv7 run ids)";
const HINT_ONEOF: &str = "a RunEvent has run and job, a JobEvent job and no run, a DatasetEvent dataset and not both job and run";

fn invalid(pointer: &str, reason: impl Into<String>, hint: &'static str) -> Invalid {
    Invalid {
        pointer: pointer.to_owned(),
        reason: reason.into(),
        hint,
    }
}

/// A JSON pointer one step down (RFC 6901 escaping of `~` and `/`).
fn child(at: &str, key: &str) -> String {
    format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"))
}

type Obj = Map<String, Value>;

fn obj<'a>(v: &'a Value, at: &str) -> Result<&'a Obj, Invalid> {
    v.as_object()
        .ok_or_else(|| invalid(at, "must be an object", HINT_TYPE))
}

fn opt_str<'a>(o: &'a Obj, key: &str, at: &str) -> Result<Option<&'a str>, Invalid> {
    match o.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid(&child(at, key), "must be a string", HINT_TYPE)),
    }
}

fn req_str<'a>(o: &'a Obj, key: &str, at: &str) -> Result<&'a str, Invalid> {
    opt_str(o, key, at)?.ok_or_else(|| invalid(at, format!("`{key}` is required"), HINT_REQUIRED))
}

fn req<'a>(o: &'a Obj, key: &str, at: &str, what: &str) -> Result<&'a Value, Invalid> {
    o.get(key).ok_or_else(|| {
        invalid(
            at,
            format!("`{key}` is required{what}"),
            if what.is_empty() {
                HINT_REQUIRED
            } else {
                HINT_ONEOF
            },
        )
    })
}

fn opt_obj<'a>(o: &'a Obj, key: &str, at: &str) -> Result<Option<&'a Obj>, Invalid> {
    o.get(key).map(|v| obj(v, &child(at, key))).transpose()
}

fn opt_integer(o: &Obj, key: &str, at: &str) -> Result<(), Invalid> {
    match o.get(key) {
        None => Ok(()),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(()),
        Some(Value::Number(n)) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => Ok(()),
        Some(_) => Err(invalid(&child(at, key), "must be an integer", HINT_TYPE)),
    }
}

/// JSON Schema `format: uri`: an absolute URI (RFC 3986 `scheme ":" …`, optional fragment).
pub fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return false;
    }
    let b = rest.as_bytes();
    let mut hashes = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = |j: usize| b.get(j).is_some_and(u8::is_ascii_hexdigit);
                if !(hex(i + 1) && hex(i + 2)) {
                    return false;
                }
                i += 2;
            }
            b'#' => hashes += 1,
            c if c.is_ascii_alphanumeric() => {}
            b'-' | b'.' | b'_' | b'~' | b':' | b'/' | b'?' | b'[' | b']' | b'@' | b'!' | b'$'
            | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' => {}
            _ => return false,
        }
        i += 1;
    }
    hashes <= 1
}

/// JSON Schema `format: uuid`: 8-4-4-4-12 hex digits (any version, either case).
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// JSON Schema `format: date-time`: RFC 3339 section 5.6, `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, `T` and
/// `Z` in either case, real calendar days, second 60 allowed (a leap second).
pub fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<u32> {
        let part = b.get(from..from + len)?;
        part.iter().all(u8::is_ascii_digit).then(|| {
            part.iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
        })
    };
    let at = |i: usize, c: u8| b.get(i).is_some_and(|x| x.eq_ignore_ascii_case(&c));
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(sec)) = (
        num(0, 4),
        num(5, 2),
        num(8, 2),
        num(11, 2),
        num(14, 2),
        num(17, 2),
    ) else {
        return false;
    };
    if !(at(4, b'-') && at(7, b'-') && at(10, b'T') && at(13, b':') && at(16, b':')) {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if d == 0 || d > days || h > 23 || mi > 59 || sec > 60 {
        return false;
    }
    let mut i = 19;
    if at(i, b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if at(i, b'Z') {
        return i + 1 == b.len();
    }
    if !(at(i, b'+') || at(i, b'-')) || !at(i + 3, b':') || i + 6 != b.len() {
        return false;
    }
    matches!((num(i + 1, 2), num(i + 4, 2)), (Some(oh), Some(om)) if oh <= 23 && om <= 59)
}

fn check_format(
    o: &Obj,
    key: &str,
    at: &str,
    required: bool,
    ok: fn(&str) -> bool,
    what: &str,
    hint: &'static str,
) -> Result<(), Invalid> {
    let s = if required {
        Some(req_str(o, key, at)?)
    } else {
        opt_str(o, key, at)?
    };
    match s {
        Some(s) if !ok(s) => Err(invalid(
            &child(at, key),
            format!("must be {what}, not {s:?}"),
            hint,
        )),
        _ => Ok(()),
    }
}

fn uri_field(o: &Obj, key: &str, at: &str) -> Result<(), Invalid> {
    check_format(o, key, at, true, is_uri, "an absolute URI", HINT_URI)
}

fn uuid_field(o: &Obj, key: &str, at: &str) -> Result<(), Invalid> {
    check_format(o, key, at, true, is_uuid, "a UUID", HINT_UUID)
}

fn time_field(o: &Obj, key: &str, at: &str, required: bool) -> Result<(), Invalid> {
    check_format(
        o,
        key,
        at,
        required,
        is_date_time,
        "an RFC 3339 date-time",
        HINT_TIME,
    )
}

/// Where a facet sits; decides whether `_deleted` is defined and which facet schemas we check.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FacetPlace {
    Run,
    Job,
    Dataset,
    InputDataset,
    OutputDataset,
}

/// A facets object: every value a facet with the base fields, plus the rules of the facets we keep.
fn facets(o: &Obj, key: &str, at: &str, place: FacetPlace) -> Result<(), Invalid> {
    let Some(map) = opt_obj(o, key, at)? else {
        return Ok(());
    };
    let at = child(at, key);
    for (name, f) in map {
        let here = child(&at, name);
        let f = obj(f, &here)?;
        uri_field(f, "_producer", &here)?;
        uri_field(f, "_schemaURL", &here)?;
        let mut deleted = false;
        if matches!(place, FacetPlace::Job | FacetPlace::Dataset) {
            match f.get("_deleted") {
                None => {}
                Some(Value::Bool(b)) => deleted = *b,
                Some(_) => {
                    return Err(invalid(
                        &child(&here, "_deleted"),
                        "must be a boolean",
                        HINT_TYPE,
                    ));
                }
            }
        }
        if !deleted {
            kept_facet(place, name, f, &here)?;
        }
    }
    Ok(())
}

/// The facet schemas of the facets we keep.
fn kept_facet(place: FacetPlace, name: &str, f: &Obj, at: &str) -> Result<(), Invalid> {
    match (place, name) {
        (FacetPlace::Job, "sourceCodeLocation") => {
            req_str(f, "type", at)?;
            check_format(f, "url", at, true, is_uri, "an absolute URI", HINT_URI)?;
            for k in [
                "repoUrl",
                "path",
                "version",
                "tag",
                "branch",
                "pullRequestNumber",
            ] {
                opt_str(f, k, at)?;
            }
        }
        (FacetPlace::Job, "jobType") => {
            req_str(f, "processingType", at)?;
            req_str(f, "integration", at)?;
            opt_str(f, "jobType", at)?;
            if let Some(p) = opt_obj(f, "emissionPattern", at)? {
                let here = child(at, "emissionPattern");
                req_str(p, "eventTrigger", &here)?;
                req_str(p, "eventContentMode", &here)?;
                opt_integer(p, "windowDuration", &here)?;
            }
        }
        (FacetPlace::Run, "parent") => {
            let run_at = child(at, "run");
            let run = obj(req(f, "run", at, "")?, &run_at)?;
            uuid_field(run, "runId", &run_at)?;
            let job_at = child(at, "job");
            let job = obj(req(f, "job", at, "")?, &job_at)?;
            req_str(job, "namespace", &job_at)?;
            req_str(job, "name", &job_at)?;
            if let Some(root) = opt_obj(f, "root", at)? {
                let root_at = child(at, "root");
                let run_at = child(&root_at, "run");
                let run = obj(req(root, "run", &root_at, "")?, &run_at)?;
                uuid_field(run, "runId", &run_at)?;
                let job_at = child(&root_at, "job");
                let job = obj(req(root, "job", &root_at, "")?, &job_at)?;
                req_str(job, "namespace", &job_at)?;
                req_str(job, "name", &job_at)?;
            }
        }
        (FacetPlace::Run, "nominalTime") => {
            time_field(f, "nominalStartTime", at, true)?;
            time_field(f, "nominalEndTime", at, false)?;
        }
        (FacetPlace::Run, "errorMessage") => {
            req_str(f, "message", at)?;
            req_str(f, "programmingLanguage", at)?;
            opt_str(f, "stackTrace", at)?;
        }
        (FacetPlace::Dataset, "version") => {
            req_str(f, "datasetVersion", at)?;
        }
        (FacetPlace::Dataset, "schema") => schema_fields(f, at, 0)?,
        _ => {}
    }
    Ok(())
}

/// `fields` of a schema facet (nested structs recurse; depth is bounded so hostile input cannot overflow).
fn schema_fields(o: &Obj, at: &str, depth: usize) -> Result<(), Invalid> {
    let Some(v) = o.get("fields") else {
        return Ok(());
    };
    let at = child(at, "fields");
    let list = v
        .as_array()
        .ok_or_else(|| invalid(&at, "must be an array", HINT_TYPE))?;
    if depth > 64 {
        return Err(invalid(&at, "nests deeper than 64 levels", HINT_TYPE));
    }
    for (i, f) in list.iter().enumerate() {
        let here = format!("{at}/{i}");
        let f = obj(f, &here)?;
        req_str(f, "name", &here)?;
        opt_str(f, "type", &here)?;
        opt_str(f, "description", &here)?;
        opt_integer(f, "ordinal_position", &here)?;
        schema_fields(f, &here, depth + 1)?;
    }
    Ok(())
}

fn dataset(v: &Value, at: &str, extra: Option<(&str, FacetPlace)>) -> Result<(), Invalid> {
    let d = obj(v, at)?;
    req_str(d, "namespace", at)?;
    req_str(d, "name", at)?;
    facets(d, "facets", at, FacetPlace::Dataset)?;
    if let Some((key, place)) = extra {
        facets(d, key, at, place)?;
    }
    Ok(())
}

fn datasets(o: &Obj, key: &str, extra: &str, place: FacetPlace) -> Result<(), Invalid> {
    let Some(v) = o.get(key) else {
        return Ok(());
    };
    let at = child("", key);
    let list = v
        .as_array()
        .ok_or_else(|| invalid(&at, "must be an array", HINT_TYPE))?;
    for (i, d) in list.iter().enumerate() {
        dataset(d, &format!("{at}/{i}"), Some((extra, place)))?;
    }
    Ok(())
}

fn job(o: &Obj, what: &str) -> Result<(), Invalid> {
    let j = obj(req(o, "job", "", what)?, "/job")?;
    req_str(j, "namespace", "/job")?;
    req_str(j, "name", "/job")?;
    facets(j, "facets", "/job", FacetPlace::Job)
}

fn inputs_outputs(o: &Obj) -> Result<(), Invalid> {
    datasets(o, "inputs", "inputFacets", FacetPlace::InputDataset)?;
    datasets(o, "outputs", "outputFacets", FacetPlace::OutputDataset)
}

fn base_event(o: &Obj) -> Result<(), Invalid> {
    time_field(o, "eventTime", "", true)?;
    uri_field(o, "producer", "")?;
    uri_field(o, "schemaURL", "")
}

fn run_event(o: &Obj) -> Result<(), Invalid> {
    let run = obj(req(o, "run", "", " (a RunEvent)")?, "/run")?;
    job(o, " (a RunEvent has run and job)")?;
    if let Some(et) = o.get("eventType") {
        match et.as_str() {
            Some(s) if EVENT_TYPES.contains(&s) => {}
            _ => {
                return Err(invalid(
                    "/eventType",
                    format!("must be one of {}, not {et}", EVENT_TYPES.join(", ")),
                    "use a run state of the spec, or OTHER",
                ));
            }
        }
    }
    uuid_field(run, "runId", "/run")?;
    facets(run, "facets", "/run", FacetPlace::Run)?;
    inputs_outputs(o)
}

fn dataset_event(o: &Obj) -> Result<(), Invalid> {
    let d = req(o, "dataset", "", " (a DatasetEvent)")?;
    if o.contains_key("job") && o.contains_key("run") {
        return Err(invalid(
            "",
            "a DatasetEvent must not carry both `job` and `run`",
            HINT_ONEOF,
        ));
    }
    dataset(d, "/dataset", None)
}

fn job_event(o: &Obj) -> Result<(), Invalid> {
    job(o, " (a JobEvent)")?;
    if o.contains_key("run") {
        return Err(invalid(
            "/run",
            "a JobEvent must not carry `run`",
            HINT_ONEOF,
        ));
    }
    inputs_outputs(o)
}

/// Check a value against the 2-0-2 spec; says which of RunEvent, DatasetEvent, JobEvent it is.
pub fn validate(v: &Value) -> Result<EventType, Invalid> {
    let o = obj(v, "")?;
    // BaseEvent is part of all three definitions, so its faults are faults of the event.
    base_event(o)?;
    let run = run_event(o);
    let dataset = dataset_event(o);
    let job = job_event(o);
    let matched: Vec<EventType> = [
        (EventType::Run, run.is_ok()),
        (EventType::Dataset, dataset.is_ok()),
        (EventType::Job, job.is_ok()),
    ]
    .into_iter()
    .filter_map(|(t, ok)| ok.then_some(t))
    .collect();
    match matched.as_slice() {
        [one] => Ok(*one),
        [] => {
            // Report the fault of the definition the event was evidently meant to be.
            let meant = if o.contains_key("run") {
                run
            } else if o.contains_key("dataset") && !o.contains_key("job") {
                dataset
            } else if o.contains_key("job") {
                job
            } else {
                return Err(invalid(
                    "",
                    "matches none of RunEvent (needs `run` and `job`), DatasetEvent (needs `dataset`) or JobEvent (needs `job`)",
                    HINT_ONEOF,
                ));
            };
            meant.map(|()| EventType::Run)
        }
        many => Err(invalid(
            "",
            format!(
                "matches more than one definition ({}); the spec's oneOf needs exactly one",
                many.iter()
                    .map(|t| t.as_str())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
            "a JobEvent must not carry `dataset`, a DatasetEvent must not carry `job`: remove the one that does not belong",
        )),
    }
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

const DATASET_FACETS: [&str; 2] = ["version", "schema"];
const JOB_FACETS: [&str; 2] = ["sourceCodeLocation", "jobType"];
const RUN_FACETS: [&str; 3] = ["parent", "nominalTime", "errorMessage"];

fn trim_dataset(d: &Value) -> Value {
    json!({
        "namespace": d.get("namespace"),
        "name": d.get("name"),
        "facets": keep(d.get("facets"), &DATASET_FACETS),
    })
}

fn trim_datasets(v: Option<&Value>) -> Value {
    Value::Array(
        v.and_then(Value::as_array)
            .map(|l| l.iter().map(trim_dataset).collect())
            .unwrap_or_default(),
    )
}

fn name_of(v: &Value, at: &str) -> String {
    let s = |k: &str| {
        v.pointer(&format!("{at}/{k}"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    format!("{}/{}", s("namespace"), s("name"))
}

/// Validate one parsed event and turn it into evidence (`locator` says where it came from).
pub fn ingest_value(v: &Value, locator: &str, now: Timestamp) -> Result<Evidence, Invalid> {
    let event = validate(v)?;
    let g = |p: &str| v.pointer(p).cloned().unwrap_or(Value::Null);
    let observed: Timestamp = v
        .get("eventTime")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            invalid(
                "/eventTime",
                "is outside the range of times Assay can store",
                HINT_TIME,
            )
        })?;
    let mut payload = json!({
        "event": event.as_str(),
        "eventTime": g("/eventTime"),
        "producer": g("/producer"),
        "schemaURL": g("/schemaURL"),
    });
    let subject = match event {
        EventType::Dataset => {
            payload["dataset"] = trim_dataset(&g("/dataset"));
            format!("dataset:{}", name_of(v, "/dataset"))
        }
        EventType::Run | EventType::Job => {
            if event == EventType::Run {
                payload["eventType"] = g("/eventType");
                payload["run"] = json!({
                    "runId": g("/run/runId"),
                    "facets": keep(v.pointer("/run/facets"), &RUN_FACETS),
                });
            }
            payload["job"] = json!({
                "namespace": g("/job/namespace"),
                "name": g("/job/name"),
                "facets": keep(v.pointer("/job/facets"), &JOB_FACETS),
            });
            payload["inputs"] = trim_datasets(v.get("inputs"));
            payload["outputs"] = trim_datasets(v.get("outputs"));
            format!("job:{}", name_of(v, "/job"))
        }
    };
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

fn parse_json(bytes: &[u8]) -> Result<Value, Invalid> {
    serde_json::from_slice(bytes).map_err(|e| {
        invalid(
            "",
            format!("is not JSON: {e}"),
            "send one OpenLineage event as a JSON object",
        )
    })
}

/// The body of `POST /lineage`: one event as JSON bytes.
pub fn ingest_event(bytes: &[u8], locator: &str, now: Timestamp) -> Result<Evidence, Invalid> {
    ingest_value(&parse_json(bytes)?, locator, now)
}

/// The body of `POST /lineage/batch`: a JSON array of events. All or nothing: the first invalid event is
/// returned with its index as the first step of the pointer (`/3/run/runId`). Locators are `LOCATOR#/INDEX`.
pub fn ingest_batch(bytes: &[u8], locator: &str, now: Timestamp) -> Result<Vec<Evidence>, Invalid> {
    let v = parse_json(bytes)?;
    let list = v.as_array().ok_or_else(|| {
        invalid(
            "",
            "must be an array of events",
            "send the batch as a JSON array",
        )
    })?;
    list.iter()
        .enumerate()
        .map(|(i, e)| {
            ingest_value(e, &format!("{locator}#/{i}"), now).map_err(|mut err| {
                err.pointer = format!("/{i}{}", err.pointer);
                err
            })
        })
        .collect()
}

/// One event read from a file: the line it starts on, its index in a `.json` array (if any), the value.
#[derive(Debug, Clone, PartialEq)]
pub struct FileEvent {
    pub line: usize,
    pub index: Option<usize>,
    pub value: Value,
}

/// Events of one file. A `.json` file holds one event or an array; anything else is JSONL (blank lines
/// skipped). A JSON syntax error is `(line, message)`.
pub fn parse_file(path: &Path, text: &str) -> Result<Vec<FileEvent>, (usize, String)> {
    let is_json = path.extension().is_some_and(|e| e == "json");
    if is_json {
        let v: Value = serde_json::from_str(text).map_err(|e| (e.line(), e.to_string()))?;
        return Ok(match v {
            Value::Array(a) => a
                .into_iter()
                .enumerate()
                .map(|(i, value)| FileEvent {
                    line: 1,
                    index: Some(i),
                    value,
                })
                .collect(),
            value => vec![FileEvent {
                line: 1,
                index: None,
                value,
            }],
        });
    }
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(line).map_err(|e| (i + 1, e.to_string()))?;
        out.push(FileEvent {
            line: i + 1,
            index: None,
            value,
        });
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
                    message: format!("not JSON: {message}"),
                })?;
            for ev in events {
                ctx.progress.inc(1);
                let (locator, prefix) = match ev.index {
                    Some(i) => (format!("{}:{}#/{i}", f.display(), ev.line), format!("/{i}")),
                    None => (format!("{}:{}", f.display(), ev.line), String::new()),
                };
                let item = ingest_value(&ev.value, &locator, ctx.now).map_err(|mut e| {
                    e.pointer = format!("{prefix}{}", e.pointer);
                    CollectError::Malformed {
                        source_name: NAME.into(),
                        location: format!("{} line {}", f.display(), ev.line),
                        message: format!("not a valid OpenLineage 2-0-2 event: {e}"),
                    }
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
    use proptest::prelude::*;

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
        let ev = ingest_value(&event(), "f.jsonl:1", Timestamp::UNIX_EPOCH).expect("valid");
        assert_eq!(ev.subject, "job:etl/export");
        assert_eq!(ev.payload["event"], json!("RunEvent"));
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
    fn job_and_dataset_events_are_told_apart() {
        let mut job = event();
        let o = job.as_object_mut().expect("object");
        o.remove("run");
        o.remove("eventType");
        assert_eq!(validate(&job), Ok(EventType::Job));
        let ev = ingest_value(&job, "x", Timestamp::UNIX_EPOCH).expect("valid");
        assert_eq!(ev.payload["event"], json!("JobEvent"));
        assert!(ev.payload.get("run").is_none());

        let ds = json!({
            "eventTime": "2025-01-19T10:00:00+01:00",
            "producer": "https://example.com/producer",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
            "dataset": {"namespace": "s3://b", "name": "t.csv", "facets": {}}
        });
        assert_eq!(validate(&ds), Ok(EventType::Dataset));
        let ev = ingest_value(&ds, "x", Timestamp::UNIX_EPOCH).expect("valid");
        assert_eq!(ev.subject, "dataset:s3://b/t.csv");

        // dataset + job without run matches DatasetEvent and JobEvent: ambiguous.
        let mut both = ds.clone();
        both["job"] = json!({"namespace": "etl", "name": "x"});
        let err = validate(&both).expect_err("ambiguous");
        assert!(err.reason.contains("DatasetEvent and JobEvent"), "{err:?}");
        // With an invalid job it is a valid DatasetEvent (the job is then an additional property).
        both["job"] = json!({"namespace": "etl"});
        assert_eq!(validate(&both), Ok(EventType::Dataset));
        // A stray `dataset` on a RunEvent is an additional property.
        let mut run = event();
        run["dataset"] = json!({"namespace": "a", "name": "b"});
        assert_eq!(validate(&run), Ok(EventType::Run));
    }

    #[test]
    fn batch_names_the_index() {
        let ok = event().to_string();
        let body = format!("[{ok}, {{\"eventTime\": 1}}]");
        let err = ingest_batch(body.as_bytes(), "http", Timestamp::UNIX_EPOCH).expect_err("bad");
        assert_eq!(err.pointer, "/1/eventTime");
        let body = format!("[{ok}, {ok}]");
        let items = ingest_batch(body.as_bytes(), "http", Timestamp::UNIX_EPOCH).expect("ok");
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].source.locator, "http#/1");
        let err = ingest_event(b"{", "http", Timestamp::UNIX_EPOCH).expect_err("not json");
        assert!(err.reason.starts_with("is not JSON"), "{err:?}");
    }

    #[test]
    fn date_times() {
        for ok in [
            "2025-01-19T10:00:00Z",
            "2025-01-19t10:00:00.123456789z",
            "2024-02-29T23:59:60+14:00",
            "2025-01-19T10:00:00.5-05:30",
        ] {
            assert!(is_date_time(ok), "{ok}");
        }
        for bad in [
            "2025-01-19",
            "2025-01-19T10:00:00",
            "2025-01-19 10:00:00Z",
            "2025-02-29T10:00:00Z",
            "2025-13-01T10:00:00Z",
            "2025-01-19T24:00:00Z",
            "2025-01-19T10:00:00.Z",
            "2025-01-19T10:00:00+0100",
            "2025-01-19T10:00:00+01:00x",
            "yesterday",
            "２０２５-01-19T10:00:00Z",
        ] {
            assert!(!is_date_time(bad), "{bad}");
        }
    }

    #[test]
    fn uris_and_uuids() {
        for ok in [
            "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "urn:isbn:0451450523",
            "s3://bucket/key%20x",
            "git+ssh://host/x",
        ] {
            assert!(is_uri(ok), "{ok}");
        }
        for bad in [
            "openlineage.io/spec",
            "/relative",
            "no scheme",
            "https://x/ y",
            "1http://x",
            "https://x/%zz",
            "https://x#a#b",
            "",
        ] {
            assert!(!is_uri(bad), "{bad}");
        }
        assert!(is_uuid("01943A6E-7B1C-7D2E-8F00-000000000001"));
        assert!(!is_uuid("01943a6e7b1c7d2e8f00000000000001"));
        assert!(!is_uuid("01943a6e-7b1c-7d2e-8f00-00000000000g"));
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let keys = prop_oneof![
            Just("eventTime".to_owned()),
            Just("producer".to_owned()),
            Just("schemaURL".to_owned()),
            Just("eventType".to_owned()),
            Just("run".to_owned()),
            Just("runId".to_owned()),
            Just("job".to_owned()),
            Just("dataset".to_owned()),
            Just("namespace".to_owned()),
            Just("name".to_owned()),
            Just("facets".to_owned()),
            Just("inputs".to_owned()),
            Just("outputs".to_owned()),
            Just("parent".to_owned()),
            Just("schema".to_owned()),
            Just("fields".to_owned()),
            Just("_producer".to_owned()),
            Just("_schemaURL".to_owned()),
            Just("_deleted".to_owned()),
            "[a-z~/]{0,4}",
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|f| json!(f)),
            Just(json!("2025-01-19T10:00:00Z")),
            Just(json!("https://example.com/p")),
            Just(json!("01943a6e-7b1c-7d2e-8f00-000000000001")),
            ".{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(6, 96, 8, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map(keys.clone(), inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = ingest_event(&bytes, "x", Timestamp::UNIX_EPOCH);
            let _ = ingest_batch(&bytes, "x", Timestamp::UNIX_EPOCH);
            let text = String::from_utf8_lossy(&bytes);
            if let Ok(events) = parse_file(Path::new("x.jsonl"), &text) {
                for e in events {
                    let _ = ingest_value(&e.value, "x", Timestamp::UNIX_EPOCH);
                }
            }
        }

        #[test]
        fn never_panics_on_json(v in arb_json()) {
            // Valid or not, never a panic; a valid event always becomes evidence with the same event type.
            if let Ok(t) = validate(&v) {
                let ev = ingest_value(&v, "x", Timestamp::UNIX_EPOCH);
                prop_assert!(ev.is_ok(), "{ev:?}");
                let ev = ev.expect("checked");
                prop_assert_eq!(ev.payload["event"].as_str(), Some(t.as_str()));
            }
        }

        #[test]
        fn grafting_onto_a_valid_event_never_panics(
            path in proptest::collection::vec(prop_oneof![Just("run"), Just("job"), Just("facets"), Just("outputs"), Just("0"), Just("sourceCodeLocation"), Just("version")], 0..5),
            v in arb_json(),
        ) {
            // Replace the value at the deepest existing prefix of the path.
            let mut e = event();
            let mut ptr = String::new();
            for step in &path {
                let next = format!("{ptr}/{step}");
                if e.pointer(&next).is_none() {
                    break;
                }
                ptr = next;
            }
            if let Some(at) = e.pointer_mut(&ptr) {
                *at = v;
            }
            if validate(&e).is_ok() {
                prop_assert!(ingest_value(&e, "x", Timestamp::UNIX_EPOCH).is_ok());
            }
        }
    }
}
