//! Training controls: TRN-01, TRN-02, TRN-03 (Rego modules of the same names).

use std::collections::HashMap;

use serde_json::{Value, json};

use super::{
    Input, concat, count, dep, dig, earliest, field, is_false, is_true, key, members, members_of,
    object_get, occ, of_kind, order, prefix, seconds, string, text,
};
use crate::model::{Item, Occurrence};

/// `object.get(r.payload, "status", "FINISHED") == "FINISHED"`.
fn finished(r: &Item) -> Result<bool, String> {
    let default = json!("FINISHED");
    Ok(object_get(&r.payload, "status", &default)?.as_str() == Some("FINISHED"))
}

/// The run's source commit, when it is a string.
fn commit(r: &Item) -> Option<&str> {
    dig(&r.payload, &["git", "commit"]).and_then(Value::as_str)
}

/// TRN-01: each finished run came from a collected, clean commit through the pipeline, with parameters.
pub(crate) fn trn01(input: &Input<'_>) -> Result<Vec<Occurrence>, String> {
    // The commits the runs name, then which of them are collected (fewer entries than all commits).
    let mut collected: HashMap<&str, bool> = of_kind(input, "mlflow.run")
        .filter_map(commit)
        .map(|sha| (sha, false))
        .collect();
    let mut git_collected = false;
    for c in of_kind(input, "git.commit") {
        if let Some(sha) = c.payload.member("commit") {
            git_collected = true;
            if let Some(seen) = sha.as_str().and_then(|s| collected.get_mut(s)) {
                *seen = true;
            }
        }
    }
    let (job, no_params, unknown) = (json!("JOB"), json!({}), json!("?"));
    let mut out = Vec::new();
    for r in of_kind(input, "mlflow.run") {
        if !finished(r)? {
            continue;
        }
        let p = &r.payload;
        let mut problems: Vec<String> = Vec::new();
        let sha = commit(r);
        if sha.is_none() {
            problems.push("it names no source commit".to_owned());
        }
        if is_true(dig(p, &["git", "dirty"])) {
            problems.push("it ran from a dirty working tree".to_owned());
        }
        if let Some(sha) = sha
            && git_collected
            && !collected.get(sha).copied().unwrap_or(false)
        {
            problems.push(format!(
                "commit {} is not among the collected git commits",
                prefix(sha, 12)
            ));
        }
        let source_type = string("upper", object_get(p, "source_type", &job)?)?;
        let source = source_type.to_uppercase();
        if source == "NOTEBOOK" || source == "LOCAL" {
            problems.push(format!(
                "it ran from a {}, not the pipeline",
                source_type.to_lowercase()
            ));
        }
        if count(object_get(p, "params", &no_params)?)? == 0 {
            problems.push("it recorded no parameters".to_owned());
        }
        let ok = problems.is_empty();
        let reason = if ok {
            // `sprintf` over an undefined run id or parameter set is undefined: no occurrence.
            let (Some(run_id), Some(sha), Some(params)) =
                (field(p, "run_id"), sha, field(p, "params"))
            else {
                continue;
            };
            format!(
                "run {}: pipeline run from commit {} with {} recorded parameter(s)",
                text(run_id),
                prefix(sha, 12),
                count(params)?
            )
        } else {
            format!(
                "run {} (#{}): {}",
                text(object_get(p, "run_id", &unknown)?),
                r.index,
                problems.join("; ")
            )
        };
        out.push(occ(r, ok, vec![r.index], reason));
    }
    Ok(out)
}

/// TRN-02: each finished run trained on a recorded snapshot that no verification found changed;
/// each failed verification is an occurrence of its own.
pub(crate) fn trn02(input: &Input<'_>) -> Result<Vec<Occurrence>, String> {
    let snapshot = json!("snapshot");
    let mut by_root: HashMap<String, Vec<&Item>> = HashMap::new();
    let mut by_tag: HashMap<String, Vec<&Item>> = HashMap::new();
    let mut failed: HashMap<(String, String), Vec<&Item>> = HashMap::new();
    for s in of_kind(input, "dataset.snapshot") {
        let p = &s.payload;
        if object_get(p, "action", &snapshot)?.as_str() == Some("snapshot") {
            if let Some(root) = field(p, "merkle_root") {
                by_root.entry(key(root)).or_default().push(s);
            }
            if let (Some(name), Some(version)) = (field(p, "name"), field(p, "version")) {
                by_tag
                    .entry(format!("{}@{}", text(name), text(version)))
                    .or_default()
                    .push(s);
            }
        }
        if broken_verification(s)
            && let (Some(name), Some(version)) = (field(p, "name"), field(p, "version"))
        {
            failed.entry((key(name), key(version))).or_default().push(s);
        }
    }
    let broken = |s: &Item| -> Option<&Item> {
        let (name, version) = (field(&s.payload, "name")?, field(&s.payload, "version")?);
        earliest(failed.get(&(key(name), key(version)))?.iter().copied())
    };
    let (empty, no_tags, blank, unknown) = (json!([]), json!({}), json!(""), json!("?"));
    let mut out = Vec::new();
    for r in of_kind(input, "mlflow.run") {
        if !finished(r)? {
            continue;
        }
        let p = &r.payload;
        let mut refs: Vec<&Item> = Vec::new();
        for i in members(object_get(p, "inputs", &empty)?)? {
            if let Some(list) = field(i, "content_sha256").and_then(|h| by_root.get(&key(h))) {
                refs.extend(list.iter().copied());
            }
        }
        let tag = object_get(object_get(p, "tags", &no_tags)?, "assay.snapshot", &blank)?;
        if let Some(list) = tag.as_str().and_then(|t| by_tag.get(t)) {
            refs.extend(list.iter().copied());
        }
        refs.sort_by_key(|s| std::ptr::from_ref::<Item>(s) as usize);
        refs.dedup_by(|a, b| std::ptr::eq(*a, *b));
        if refs.is_empty() {
            let reason = format!(
                "run {} (#{}) references no recorded dataset snapshot by content hash",
                text(object_get(p, "run_id", &unknown)?),
                r.index
            );
            out.push(occ(r, false, vec![r.index], reason));
            continue;
        }
        for s in refs {
            let sp = &s.payload;
            let (Some(run_id), Some(name), Some(version)) =
                (field(p, "run_id"), field(sp, "name"), field(sp, "version"))
            else {
                continue;
            };
            match broken(s) {
                None => {
                    let Some(root) = field(sp, "merkle_root") else {
                        continue;
                    };
                    let reason = format!(
                        "run {} trained on snapshot {}@{} (root {}, #{})",
                        text(run_id),
                        text(name),
                        text(version),
                        prefix(string("substring", root)?, 12),
                        s.index
                    );
                    out.push(occ(r, true, vec![r.index, s.index], reason));
                }
                Some(v) => {
                    let reason = format!(
                        "run {} trained on snapshot {}@{}, which verification #{} found changed",
                        text(run_id),
                        text(name),
                        text(version),
                        v.index
                    );
                    out.push(occ(r, false, vec![r.index, s.index, v.index], reason));
                }
            }
        }
    }
    for v in of_kind(input, "dataset.snapshot") {
        if !broken_verification(v) {
            continue;
        }
        let p = &v.payload;
        let mut changed: Vec<&Value> = Vec::new();
        for part in ["added", "removed"] {
            match object_get(p, part, &empty)? {
                Value::Array(a) => changed.extend(a.iter()),
                _ => return Err("`array.concat` expects arrays".to_owned()),
            }
        }
        for m in members(object_get(p, "modified", &empty)?)? {
            if let Some(path) = field(m, "path") {
                changed.push(path);
            }
        }
        let (Some(name), Some(version)) = (field(p, "name"), field(p, "version")) else {
            continue;
        };
        let reason = format!(
            "snapshot {}@{} changed after it was recorded (#{}): {}",
            text(name),
            text(version),
            v.index,
            concat(", ", &changed)?
        );
        out.push(occ(v, false, vec![v.index], reason));
    }
    Ok(out)
}

/// A `dataset.snapshot` verification that found the snapshot changed.
fn broken_verification(v: &Item) -> bool {
    field(&v.payload, "action").and_then(Value::as_str) == Some("verify")
        && is_false(field(&v.payload, "intact"))
}

/// Rego's ordering of a value against a number: numbers by value; across types
/// null < boolean < number < string < array < object.
fn against_number(v: &Value, n: f64) -> Option<std::cmp::Ordering> {
    use std::cmp::Ordering::{Greater, Less};
    match v {
        Value::Null | Value::Bool(_) => Some(Less),
        Value::Number(x) => x.as_f64().and_then(|x| x.partial_cmp(&n)),
        Value::String(_) | Value::Array(_) | Value::Object(_) => Some(Greater),
    }
}

/// TRN-03's `failing_metrics(e)`: `NAME VALUE below the minimum|above the maximum THRESHOLD`.
fn failing_metrics(e: &Item) -> Result<Vec<String>, String> {
    let min = json!("min");
    let mut out = Vec::new();
    for m in members_of(&e.payload, "metrics")? {
        let Some(threshold) = field(m, "threshold").filter(|t| t.is_number()) else {
            continue;
        };
        let t = threshold.as_f64().unwrap_or(f64::NAN);
        let max = object_get(m, "direction", &min)?.as_str() == Some("max");
        let value = field(m, "value");
        let ok = value
            .and_then(|v| against_number(v, t))
            .is_some_and(|o| if max { o.is_le() } else { o.is_ge() });
        if ok {
            continue;
        }
        let (Some(name), Some(value)) = (field(m, "name"), value) else {
            continue;
        };
        let cmp = if max {
            "above the maximum"
        } else {
            "below the minimum"
        };
        out.push(format!(
            "{} {} {cmp} {}",
            text(name),
            text(value),
            text(threshold)
        ));
    }
    Ok(out)
}

/// TRN-03's `passed(e)`.
fn evaluation_passed(e: &Item) -> Result<bool, String> {
    let passed = field(&e.payload, "passed");
    if is_true(passed) {
        return Ok(true);
    }
    if passed.is_some_and(Value::is_boolean) {
        return Ok(false);
    }
    let empty = json!([]);
    Ok(count(object_get(&e.payload, "metrics", &empty)?)? > 0 && failing_metrics(e)?.is_empty())
}

/// `": " + s` unless `s` is empty.
fn suffix(s: &str) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!(": {s}")
    }
}

/// TRN-03: each production deployment had a passing evaluation in force, or a failed one accepted by
/// an exception approved by someone other than the evaluator.
pub(crate) fn trn03(input: &Input<'_>) -> Result<Vec<Occurrence>, String> {
    // `sprintf("%s@%v", [lower(model_of(e)), e.payload.version])`.
    fn model_key(e: &Item) -> Result<Option<String>, String> {
        let model = match field(&e.payload, "model").and_then(Value::as_str) {
            Some(m) => m.to_owned(),
            None => e
                .subject
                .strip_prefix("model:")
                .unwrap_or(&e.subject)
                .to_owned(),
        };
        Ok(field(&e.payload, "version").map(|v| format!("{}@{}", model.to_lowercase(), text(v))))
    }
    let mut evaluations: HashMap<String, Vec<&Item>> = HashMap::new();
    for e in of_kind(input, "model.evaluation") {
        if let Some(k) = model_key(e)? {
            evaluations.entry(k).or_default().push(e);
        }
    }
    for list in evaluations.values_mut() {
        list.sort_by(|a, b| order(a, b));
    }
    let no_reason = json!("no reason given");
    let blank = json!("");
    let mut out = Vec::new();
    for d in of_kind(input, "deployment").filter(|d| dep::production(d)) {
        let dp = &d.payload;
        let at = seconds(d.observed_at);
        let list: &[&Item] = match model_key(d)? {
            Some(k) => evaluations.get(&k).map(Vec::as_slice).unwrap_or(&[]),
            None => &[],
        };
        let split = list.partition_point(|e| seconds(e.observed_at) <= at);
        let (before, after) = list.split_at(split);
        let (Some(version), Some(environment)) = (field(dp, "version"), field(dp, "environment"))
        else {
            continue;
        };
        let label = format!(
            "{} {} to {} on {}",
            d.subject,
            text(version),
            text(environment),
            dep::date(d)
        );
        let Some(e) = before.last().copied() else {
            let late = match after.first() {
                None => String::new(),
                Some(l) => format!(
                    " (evaluated only afterwards: #{} on {})",
                    l.index,
                    dep::date(l)
                ),
            };
            let mut evidence = vec![d.index];
            evidence.extend(after.iter().map(|e| e.index));
            let reason = format!("{label}: no evaluation recorded before the deployment{late}");
            out.push(occ(d, false, evidence, reason));
            continue;
        };
        if evaluation_passed(e)? {
            let reason = format!(
                "{label}: passed evaluation #{} of {}",
                e.index,
                dep::date(e)
            );
            out.push(occ(d, true, vec![d.index, e.index], reason));
            continue;
        }
        let ep = &e.payload;
        let approved_by = dig(ep, &["exception", "approved_by"]).and_then(Value::as_str);
        let accepted = match approved_by {
            Some(a) if !a.is_empty() => {
                let by = string("lower", object_get(ep, "evaluated_by", &blank)?)?;
                a.to_lowercase() != by.to_lowercase()
            }
            _ => false,
        };
        let failing = failing_metrics(e)?.join(", ");
        if accepted {
            let exception = field(ep, "exception").unwrap_or(&Value::Null);
            let reason = format!(
                "{label}: evaluation #{} failed{}, accepted by an exception approved by {} ({})",
                e.index,
                suffix(&failing),
                approved_by.unwrap_or_default(),
                text(object_get(exception, "reason", &no_reason)?)
            );
            out.push(occ(d, true, vec![d.index, e.index], reason));
        } else {
            let reason = format!(
                "{label}: the evaluation in force (#{} of {}) failed{}",
                e.index,
                dep::date(e),
                suffix(&failing)
            );
            out.push(occ(d, false, vec![d.index, e.index], reason));
        }
    }
    Ok(out)
}
