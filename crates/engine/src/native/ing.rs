//! Ingestion controls: ING-01, ING-02, ING-03, ING-05 (Rego modules of the same names).

use std::collections::HashMap;

use serde_json::{Value, json};

use super::{
    Input, concat, earliest, entries, field, is_false, is_true, members, num_eq, object_get, occ,
    of_kind, seconds, string, text,
};
use crate::model::{Item, Occurrence};

/// ING-01: each `dataset.validation` holds when its batch passed every rule.
pub(crate) fn ing01(input: &Input<'_>) -> Result<Vec<Occurrence>, String> {
    let mut out = Vec::new();
    let (unknown, zero) = (json!("?"), json!(0));
    let (empty, a_rule) = (json!([]), json!("a rule"));
    for e in of_kind(input, "dataset.validation") {
        let p = &e.payload;
        if is_true(field(p, "passed")) {
            let reason = format!(
                "{}: batch {} passed {} validation rule(s) (#{})",
                e.subject,
                text(object_get(p, "data", &unknown)?),
                text(object_get(p, "evaluated_rules", &zero)?),
                e.index
            );
            out.push(occ(e, true, vec![e.index], reason));
        } else {
            let mut failed = Vec::new();
            for r in members(object_get(p, "results", &empty)?)? {
                if is_false(field(r, "passed")) {
                    let fallback = object_get(r, "rule", &a_rule)?;
                    failed.push(text(object_get(r, "detail", fallback)?));
                }
            }
            let reason = format!(
                "{}: batch {} failed validation (#{}): {}",
                e.subject,
                text(object_get(p, "data", &unknown)?),
                e.index,
                failed.join("; ")
            );
            out.push(occ(e, false, vec![e.index], reason));
        }
    }
    Ok(out)
}

/// ING-02: DVC stages and datasets hash every dependency and output; LFS pointers carry a sha256 oid.
pub(crate) fn ing02(input: &Input<'_>) -> Result<Vec<Occurrence>, String> {
    let mut out = Vec::new();
    let (empty, blank, unknown) = (json!([]), json!(""), json!("?"));
    let kinds = ["dvc.stage", "dvc.dataset", "lfs.pointer"];
    for e in kinds.into_iter().flat_map(|k| of_kind(input, k)) {
        let p = &e.payload;
        if e.kind == "dvc.stage" || e.kind == "dvc.dataset" {
            let parse_error = field(p, "parse_error");
            if is_true(field(p, "definition")) || !(parse_error.is_none() || is_false(parse_error))
            {
                continue;
            }
            let deps = object_get(p, "deps", &empty)?;
            let outs = object_get(p, "outs", &empty)?;
            let (Value::Array(deps), Value::Array(outs)) = (deps, outs) else {
                return Err("`array.concat` expects arrays".to_owned());
            };
            let mut unhashed = Vec::new();
            for f in deps.iter().chain(outs) {
                if !field(f, "hash").is_some_and(Value::is_string)
                    && let Some(path) = field(f, "path")
                {
                    unhashed.push(path);
                }
            }
            let locator = if e.locator.is_empty() {
                format!("#{}", e.index)
            } else {
                e.locator.clone()
            };
            let reason = if unhashed.is_empty() {
                format!(
                    "{} at {locator}: every dependency and output has a content hash ({})",
                    e.kind, e.index
                )
            } else {
                format!(
                    "{} at {locator}: no recorded hash for {}",
                    e.kind,
                    concat(", ", &unhashed)?
                )
            };
            out.push(occ(e, unhashed.is_empty(), vec![e.index], reason));
        } else if e.kind == "lfs.pointer" {
            let ok = string("startswith", object_get(p, "oid", &blank)?)?.starts_with("sha256:");
            let reason = format!(
                "{}: LFS pointer {} {}",
                e.subject,
                text(object_get(p, "path", &unknown)?),
                if ok {
                    "is identified by a sha256 content hash"
                } else {
                    "has no sha256 content hash"
                }
            );
            out.push(occ(e, ok, vec![e.index], reason));
        }
    }
    Ok(out)
}

/// `concat(", ", [sprintf("%s: %v", [k, v]) | some k, v in object.get(p, "by_entity", {})])`.
fn entities(e: &Item) -> Result<String, String> {
    let none = json!({});
    let list: Vec<String> = entries(object_get(&e.payload, "by_entity", &none)?)?
        .into_iter()
        .map(|(k, v)| format!("{}: {}", text(&k), text(v)))
        .collect();
    Ok(list.join(", "))
}

/// ING-03: a PII scan is clean, or its findings were transformed and a later scan is clean.
pub(crate) fn ing03(input: &Input<'_>) -> Result<Vec<Occurrence>, String> {
    let clean = |e: &Item| num_eq(field(&e.payload, "total"), 0.0);
    let mut transforms: HashMap<&str, Vec<&Item>> = HashMap::new();
    let mut clean_scans: HashMap<&str, Vec<&Item>> = HashMap::new();
    for t in of_kind(input, "pii.transform") {
        transforms.entry(t.subject.as_str()).or_default().push(t);
    }
    for x in of_kind(input, "pii.scan").filter(|x| clean(x)) {
        clean_scans.entry(x.subject.as_str()).or_default().push(x);
    }
    fn later<'a>(
        map: &HashMap<&str, Vec<&'a Item>>,
        subject: &str,
        after: &Item,
    ) -> Option<&'a Item> {
        let from = seconds(after.observed_at);
        let list = map.get(subject)?;
        earliest(
            list.iter()
                .copied()
                .filter(|x| seconds(x.observed_at) >= from),
        )
    }
    let (mode, unknown) = (json!("transforme"), json!("?"));
    let mut out = Vec::new();
    for e in of_kind(input, "pii.scan") {
        if clean(e) {
            let reason = format!(
                "{}: scan #{} found no personal data or secrets",
                e.subject, e.index
            );
            out.push(occ(e, true, vec![e.index], reason));
            continue;
        }
        let t = later(&transforms, &e.subject, e);
        let s = t.and_then(|t| later(&clean_scans, &e.subject, t).map(|s| (t, s)));
        if let Some((t, s)) = s {
            let reason = format!(
                "{}: findings of scan #{} ({}) were {}d by #{}; rescan #{} is clean",
                e.subject,
                e.index,
                entities(e)?,
                text(object_get(&t.payload, "mode", &mode)?),
                t.index,
                s.index
            );
            out.push(occ(e, true, vec![e.index, t.index, s.index], reason));
        } else {
            let reason = format!(
                "{}: scan #{} found {} item(s) of personal data ({}) and no pseudonymisation followed by a clean rescan",
                e.subject,
                e.index,
                text(object_get(&e.payload, "total", &unknown)?),
                entities(e)?
            );
            out.push(occ(e, false, vec![e.index], reason));
        }
    }
    Ok(out)
}

/// `contains(lower(s), "consent")` or `contains(lower(s), "opt_out")`.
fn mentions_consent(s: &Value) -> Result<bool, String> {
    let s = string("lower", s)?.to_lowercase();
    Ok(s.contains("consent") || s.contains("opt_out"))
}

/// ING-05: each load evaluated a consent rule, and it passed.
pub(crate) fn ing05(input: &Input<'_>) -> Result<Vec<Occurrence>, String> {
    let (empty, blank, fallback) = (json!([]), json!(""), json!("consent rule failed"));
    let mut out = Vec::new();
    for e in of_kind(input, "dataset.validation") {
        let mut rules = 0usize;
        let mut failed = Vec::new();
        for r in members(object_get(&e.payload, "results", &empty)?)? {
            let by_rule = mentions_consent(object_get(r, "rule", &blank)?)?;
            let by_column = mentions_consent(object_get(r, "column", &blank)?)?;
            if !(by_rule || by_column) {
                continue;
            }
            rules += 1;
            if is_false(field(r, "passed")) {
                failed.push(text(object_get(r, "detail", &fallback)?));
            }
        }
        let ok = rules > 0 && failed.is_empty();
        let reason = if rules == 0 {
            format!("{}: load #{} checked no consent rule", e.subject, e.index)
        } else if failed.is_empty() {
            format!("{}: load #{} enforced the consent rule", e.subject, e.index)
        } else {
            format!(
                "{}: load #{} let records through without consent: {}",
                e.subject,
                e.index,
                failed.join("; ")
            )
        };
        out.push(occ(e, ok, vec![e.index], reason));
    }
    Ok(out)
}
