//! DEP-01 (Rego module of the same name).

use std::collections::HashMap;

use serde_json::Value;

use super::{Input, field, is_true, key, occ, of_kind, order, text};
use crate::model::{Item, Occurrence, rfc3339};

/// A production deployment (`payload.production == true`).
pub(super) fn production(d: &Item) -> bool {
    d.kind == "deployment" && is_true(field(&d.payload, "production"))
}

/// The date of an item as `substring(observed_at, 0, 10)` gives it.
pub(super) fn date(i: &Item) -> String {
    let mut s = rfc3339(i.observed_at);
    s.truncate(10);
    s
}

/// `text(v, fallback)` of the module: the value when it is a string, else the fallback; undefined
/// when the value is.
fn or_text(v: Option<&Value>, fallback: &str) -> Option<String> {
    v.map(|v| v.as_str().unwrap_or(fallback).to_owned())
}

/// `same(a, b)`: both strings, equal ignoring case.
fn same(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a.and_then(Value::as_str), b.and_then(Value::as_str)) {
        (Some(a), Some(b)) => a.to_lowercase() == b.to_lowercase(),
        _ => false,
    }
}

/// `x != true`: defined and not `true`.
fn defined_not_true(x: Option<&Value>) -> bool {
    x.is_some_and(|v| v != &Value::Bool(true))
}

/// DEP-01: each production deployment names an approved ticket, approved in time by someone other
/// than the deployer and the requester; linked pull requests were approved by someone other than
/// their author.
pub(crate) fn dep01(input: &Input<'_>) -> Result<Vec<Occurrence>, String> {
    let mut tickets: HashMap<String, Vec<&Item>> = HashMap::new();
    for r in of_kind(input, "change.ticket") {
        if let Some(k) = field(&r.payload, "key").and_then(Value::as_str) {
            tickets.entry(k.to_uppercase()).or_default().push(r);
        }
    }
    let mut by_merge: HashMap<String, Vec<&Item>> = HashMap::new();
    let mut by_url: HashMap<String, Vec<&Item>> = HashMap::new();
    let mut by_number: HashMap<String, Vec<&Item>> = HashMap::new();
    for p in of_kind(input, "change.pull_request") {
        let pp = &p.payload;
        if let Some(sha) = field(pp, "merge_commit").and_then(Value::as_str) {
            by_merge.entry(sha.to_lowercase()).or_default().push(p);
        }
        if let Some(url) = field(pp, "url") {
            by_url.entry(key(url)).or_default().push(p);
        }
        if let Some(n) = field(pp, "number") {
            by_number.entry(text(n)).or_default().push(p);
        }
    }
    let mut out = Vec::new();
    for d in of_kind(input, "deployment").filter(|d| production(d)) {
        let dp = &d.payload;
        let ticket_name = field(dp, "ticket").and_then(Value::as_str);
        let ticket = ticket_name
            .and_then(|k| tickets.get(&k.to_uppercase()))
            .and_then(|records| records.iter().copied().max_by_key(|r| r.index));
        let mut prs: Vec<&Item> = Vec::new();
        if let Some(sha) = field(dp, "commit").and_then(Value::as_str)
            && let Some(list) = by_merge.get(&sha.to_lowercase())
        {
            prs.extend(list.iter().copied());
        }
        if let Some(pr) = field(dp, "pull_request").and_then(Value::as_str) {
            if let Some(list) = by_url.get(&key(&Value::from(pr))) {
                prs.extend(list.iter().copied());
            }
            if let Some(list) = by_number.get(pr.trim_start_matches('#')) {
                prs.extend(list.iter().copied());
            }
        }
        prs.sort_by(|a, b| order(a, b).then_with(|| (*a as *const Item).cmp(&(*b as *const Item))));
        prs.dedup_by(|a, b| std::ptr::eq(*a, *b));

        let mut problems: Vec<String> = Vec::new();
        match (ticket_name, ticket) {
            (None, _) => problems.push("names no change ticket".to_owned()),
            (Some(name), None) => {
                problems.push(format!("names ticket {name}, which is not in the evidence"))
            }
            (Some(_), Some(t)) => {
                let tp = &t.payload;
                let mut issues: Vec<String> = Vec::new();
                let approved = field(tp, "approved");
                if defined_not_true(approved)
                    && let Some(approval) = or_text(field(tp, "approval"), "no approval recorded")
                {
                    issues.push(format!("is not approved ({approval})"));
                }
                if is_true(approved) && !field(tp, "approver").is_some_and(Value::is_string) {
                    issues.push("does not record who approved it".to_owned());
                }
                if let Some(at) = field(tp, "approved_at").and_then(Value::as_str)
                    && at > rfc3339(d.observed_at).as_str()
                {
                    issues.push(format!("was approved after the deployment ({at})"));
                }
                if same(field(tp, "approver"), field(dp, "actor"))
                    && let Some(actor) = field(dp, "actor")
                {
                    issues.push(format!("was approved by the deployer {}", text(actor)));
                }
                if same(field(tp, "approver"), field(tp, "reporter"))
                    && let Some(reporter) = field(tp, "reporter")
                {
                    issues.push(format!(
                        "was approved by its own requester {}",
                        text(reporter)
                    ));
                }
                // Always a string: tickets are indexed by it.
                let key = field(tp, "key").map(text).unwrap_or_default();
                for m in issues {
                    problems.push(format!("ticket {key} {m}"));
                }
                for p in &prs {
                    let pp = &p.payload;
                    let issue = if is_true(field(pp, "self_approved")) {
                        field(pp, "author")
                            .map(|a| format!("approved only by its author {}", text(a)))
                    } else if defined_not_true(field(pp, "approved_before_merge")) {
                        Some("merged without an approving review".to_owned())
                    } else {
                        None
                    };
                    if let (Some(m), Some(n)) = (issue, field(pp, "number")) {
                        problems.push(format!("pull request #{} was {m}", text(n)));
                    }
                }
            }
        }
        let mut evidence = vec![d.index];
        evidence.extend(ticket.map(|t| t.index));
        evidence.extend(prs.iter().map(|p| p.index));
        evidence.sort_unstable();

        let (Some(version), Some(environment), Some(actor)) = (
            or_text(field(dp, "version"), "(no version)"),
            field(dp, "environment"),
            or_text(field(dp, "actor"), "(unknown deployer)"),
        ) else {
            continue;
        };
        let label = format!(
            "{} {version} to {} on {} by {actor}",
            d.subject,
            text(environment),
            date(d)
        );
        let reason = if problems.is_empty() {
            let (Some(name), Some(approver)) = (
                ticket_name,
                ticket.and_then(|t| field(&t.payload, "approver")),
            ) else {
                continue;
            };
            format!(
                "{label}: ticket {} approved by {}",
                name.to_uppercase(),
                text(approver)
            )
        } else {
            format!("{label}: {}", problems.join("; "))
        };
        out.push(occ(d, problems.is_empty(), evidence, reason));
    }
    Ok(out)
}
