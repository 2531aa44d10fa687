//! REG-01 (Rego module of the same name).

use std::collections::HashMap;

use serde_json::{Value, json};

use super::{
    Input, concat, dig, field, is_true, key, members, members_of, object_get, occ, of_kind, prefix,
    string, text,
};
use crate::model::{Item, Occurrence};

/// A production version: stage `Production`, or an alias `production`, `champion` or `prod`.
fn production(v: &Item) -> Result<bool, String> {
    let by_stage = field(&v.payload, "current_stage").and_then(Value::as_str) == Some("Production");
    let empty = json!([]);
    let mut by_alias = false;
    for a in members(object_get(&v.payload, "aliases", &empty)?)? {
        let a = string("lower", a)?.to_lowercase();
        by_alias |= matches!(a.as_str(), "production" | "champion" | "prod");
    }
    Ok(by_stage || by_alias)
}

/// Run inputs that carry a real content hash (`content_sha256` or `md5`).
fn hashed_inputs(r: &Item) -> Result<Vec<&Value>, String> {
    Ok(members_of(&r.payload, "inputs")?
        .into_iter()
        .filter(|i| {
            field(i, "content_sha256").is_some_and(Value::is_string)
                || field(i, "md5").is_some_and(Value::is_string)
        })
        .collect())
}

/// REG-01: every production version traces to a recorded run from a clean, collected commit with
/// content-hashed inputs.
pub(crate) fn reg01(input: &Input<'_>) -> Result<Vec<Occurrence>, String> {
    // Only what the production versions name is indexed: their runs, then those runs' commits.
    let mut versions = Vec::new();
    for v in of_kind(input, "mlflow.model_version") {
        if production(v)? {
            versions.push(v);
        }
    }
    let mut runs: HashMap<String, Vec<&Item>> = versions
        .iter()
        .filter_map(|v| field(&v.payload, "run_id"))
        .map(|id| (key(id), Vec::new()))
        .collect();
    for r in of_kind(input, "mlflow.run") {
        if let Some(list) = field(&r.payload, "run_id").and_then(|id| runs.get_mut(&key(id))) {
            list.push(r);
        }
    }
    // The newest record of a run (by ledger index).
    let run_of = |v: &Item| -> Option<&Item> {
        let list = runs.get(&key(field(&v.payload, "run_id")?))?;
        list.iter().copied().max_by_key(|r| r.index)
    };
    let mut commits: HashMap<String, Vec<u64>> = versions
        .iter()
        .filter_map(|v| run_of(v))
        .filter_map(|r| dig(&r.payload, &["git", "commit"]))
        .map(|sha| (key(sha), Vec::new()))
        .collect();
    let mut git_collected = false;
    for c in of_kind(input, "git.commit") {
        if let Some(sha) = c.payload.member("commit") {
            git_collected = true;
            if let Some(list) = commits.get_mut(&key(&sha)) {
                list.push(c.index);
            }
        }
    }
    let unknown = json!("?");
    let mut out = Vec::new();
    for v in versions {
        let run = run_of(v);
        let mut problems: Vec<String> = Vec::new();
        let mut hashed = Vec::new();
        match run {
            None => problems.push("the training run is not recorded".to_owned()),
            Some(r) => {
                let sha = dig(&r.payload, &["git", "commit"]).and_then(Value::as_str);
                if sha.is_none() {
                    problems
                        .push("the run names no source commit (code version unknown)".to_owned());
                }
                if is_true(dig(&r.payload, &["git", "dirty"])) {
                    problems.push("the run was built from a dirty working tree".to_owned());
                }
                if git_collected {
                    match sha {
                        Some(sha)
                            if commits
                                .get(&key(&Value::from(sha)))
                                .is_some_and(|l| !l.is_empty()) => {}
                        Some(sha) => problems.push(format!(
                            "commit {} is not among the collected git commits",
                            prefix(sha, 12)
                        )),
                        // `sprintf` over an undefined commit: the problem list is undefined.
                        None => continue,
                    }
                }
                hashed = hashed_inputs(r)?;
                if hashed.is_empty() {
                    problems.push("no run input carries a content hash".to_owned());
                }
            }
        }
        let Some(version) = field(&v.payload, "version") else {
            continue;
        };
        let label = format!("{} v{}", v.subject, text(version));
        if problems.is_empty() {
            let Some(r) = run else { continue };
            let Some(sha) = dig(&r.payload, &["git", "commit"]) else {
                continue;
            };
            let Some(run_id) = field(&r.payload, "run_id") else {
                continue;
            };
            let names = hashed
                .iter()
                .map(|i| object_get(i, "name", &unknown))
                .collect::<Result<Vec<&Value>, String>>()?;
            let mut evidence = vec![v.index, r.index];
            let mut of_commit = commits.get(&key(sha)).cloned().unwrap_or_default();
            of_commit.sort_unstable();
            evidence.extend(of_commit);
            let reason = format!(
                "{label} traces to run {}, clean commit {} and content-hashed data ({})",
                text(run_id),
                prefix(string("substring", sha)?, 12),
                concat(", ", &names)?
            );
            out.push(occ(v, true, evidence, reason));
        } else {
            problems.sort();
            let mut evidence = vec![v.index];
            evidence.extend(run.map(|r| r.index));
            let reason = format!("{label} in production: {}", problems.join("; "));
            out.push(occ(v, false, evidence, reason));
        }
    }
    Ok(out)
}
