//! GitHub pull requests from REST exports (`gh api`): one `change.pull_request` per pull request, subject
//! `repo:NAME`, observed at its merge time (or close, update, creation time when it was not merged).
//!
//! The export is the pulls list with each pull's reviews added as a `reviews` array (the commands are in
//! `docs/commands/collect.md`). Review rules, decided here so controls only read flags:
//! * a reviewer's **latest** review before the merge counts (`APPROVED`, or `CHANGES_REQUESTED`/`DISMISSED`
//!   withdrawing an earlier approval; `COMMENTED` and `PENDING` change nothing);
//! * `approvers` are reviewers whose counting review is `APPROVED`, the author excluded;
//! * `approved_before_merge`: at least one such approver; `approved_head`: one of them approved the merged head;
//! * `self_approved`: merged with no approver other than the author, while the author approved or merged it.
//!
//! Optional, when the export adds them (the DEP-04 control needs both for infrastructure changes):
//! * `files`: the changed paths — strings, REST `pulls/N/files` objects (`filename`) or `gh pr list --json
//!   files` objects (`path`); recorded as `files` (null when the export has none);
//! * `check_runs`: REST `commits/SHA/check-runs` (the array, or the object holding `check_runs`), or
//!   `statusCheckRollup` from `gh pr list --json statusCheckRollup`; recorded as `checks`, each `{name,
//!   conclusion}` with the conclusion lower-case (`success`, `failure`, …; `pending` while running).

use std::collections::BTreeMap;
use std::path::PathBuf;

use assay_ledger::EvidenceKind;
use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Value, json};

use crate::error::CollectError;
use crate::exports::{self, malformed, parse_time, str_of};

/// The `[source.NAME]` of GitHub exports.
pub const SOURCE: &str = "github";

/// One review as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    pub user: String,
    pub state: String,
    pub submitted_at: Option<String>,
    pub commit_id: Option<String>,
}

/// One pull request with the review facts controls need.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PullRequest {
    /// `owner/name` from `base.repo.full_name` (empty when the export omits it).
    pub repo: String,
    pub number: u64,
    pub title: String,
    pub url: Option<String>,
    pub author: String,
    pub state: String,
    pub created_at: Option<String>,
    pub merged: bool,
    pub merged_at: Option<String>,
    pub merged_by: Option<String>,
    pub merge_commit: Option<String>,
    pub base: Option<String>,
    pub head_ref: Option<String>,
    pub head_sha: Option<String>,
    pub reviews: Vec<Review>,
    pub approvers: Vec<String>,
    pub self_approved: bool,
    pub approved_before_merge: bool,
    pub approved_head: bool,
    /// Ticket keys (`CHG-1187`) named in the title, branch or body.
    pub tickets: Vec<String>,
    /// Changed paths, when the export lists them.
    pub files: Option<Vec<String>>,
    /// Status checks on the head commit, when the export has them.
    pub checks: Option<Vec<Check>>,
    /// The line of the export the pull request starts on.
    #[serde(skip)]
    pub line: usize,
    #[serde(skip)]
    pub observed_at: Option<Timestamp>,
}

/// One status check or check run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: String,
    pub conclusion: String,
}

fn files_of(pr: &Value) -> Result<Option<Vec<String>>, String> {
    let Some(v) = pr.get("files").filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let items = v.as_array().ok_or("files must be an array")?;
    let mut out = Vec::with_capacity(items.len());
    for (k, f) in items.iter().enumerate() {
        let path = f
            .as_str()
            .or_else(|| str_of(f, "filename"))
            .or_else(|| str_of(f, "path"))
            .ok_or_else(|| format!("files[{k}] has no filename or path"))?;
        out.push(path.to_owned());
    }
    Ok(Some(out))
}

fn checks_of(pr: &Value) -> Result<Option<Vec<Check>>, String> {
    let raw = match (pr.get("check_runs"), pr.get("statusCheckRollup")) {
        (Some(v), _) if !v.is_null() => v.get("check_runs").unwrap_or(v),
        (_, Some(v)) if !v.is_null() => v,
        _ => return Ok(None),
    };
    let items = raw.as_array().ok_or("check_runs must be an array")?;
    let mut out = Vec::with_capacity(items.len());
    for (k, c) in items.iter().enumerate() {
        let name = str_of(c, "name")
            .or_else(|| str_of(c, "context"))
            .ok_or_else(|| format!("check_runs[{k}] has no name or context"))?;
        let conclusion = str_of(c, "conclusion")
            .filter(|s| !s.is_empty())
            .or_else(|| str_of(c, "state"))
            .unwrap_or("pending")
            .to_ascii_lowercase();
        out.push(Check {
            name: name.to_owned(),
            conclusion,
        });
    }
    Ok(Some(out))
}

fn login(v: Option<&Value>) -> Option<String> {
    v.and_then(|u| str_of(u, "login")).map(str::to_owned)
}

/// Read an export: pull objects (one, an array, JSON lines or concatenated pages), each with optional `reviews`.
pub fn parse_pulls(text: &str) -> Result<Vec<PullRequest>, CollectError> {
    let mut out = Vec::new();
    for (line, pr) in exports::json_documents(SOURCE, text)? {
        let at = |m: &str| malformed(SOURCE, format!("line {line}"), m.to_owned());
        if !pr.is_object() {
            return Err(at("expected a pull request object"));
        }
        let number = pr
            .get("number")
            .and_then(Value::as_u64)
            .ok_or_else(|| at("pull request has no number"))?;
        let at = |m: &str| {
            malformed(
                SOURCE,
                format!("line {line} (pull #{number})"),
                m.to_owned(),
            )
        };
        let author = login(pr.get("user")).ok_or_else(|| at("has no user.login (the author)"))?;
        let merged_at = str_of(&pr, "merged_at").map(str::to_owned);
        let merged_ts = match &merged_at {
            Some(s) => Some(parse_time(s).ok_or_else(|| at("merged_at is not a timestamp"))?),
            None => None,
        };
        let head_sha = pr
            .get("head")
            .and_then(|h| str_of(h, "sha"))
            .map(str::to_owned);
        let mut reviews = Vec::new();
        match pr.get("reviews") {
            None | Some(Value::Null) => {}
            Some(Value::Array(rs)) => {
                for (k, r) in rs.iter().enumerate() {
                    let user = login(r.get("user"))
                        .ok_or_else(|| at(&format!("reviews[{k}] has no user.login")))?;
                    let state = str_of(r, "state")
                        .ok_or_else(|| at(&format!("reviews[{k}] has no state")))?
                        .to_ascii_uppercase();
                    let submitted_at = str_of(r, "submitted_at").map(str::to_owned);
                    if submitted_at
                        .as_deref()
                        .is_some_and(|s| parse_time(s).is_none())
                    {
                        return Err(at(&format!("reviews[{k}].submitted_at is not a timestamp")));
                    }
                    reviews.push(Review {
                        user,
                        state,
                        submitted_at,
                        commit_id: str_of(r, "commit_id").map(str::to_owned),
                    });
                }
            }
            Some(_) => return Err(at("reviews must be an array")),
        }
        // Latest counting review per reviewer, before the merge.
        let mut standing: BTreeMap<&str, (&Review, Option<Timestamp>)> = BTreeMap::new();
        for r in &reviews {
            let t = r.submitted_at.as_deref().and_then(parse_time);
            let before_merge = match (t, merged_ts) {
                (Some(t), Some(m)) => t <= m,
                (None, Some(_)) => false,
                (_, None) => true,
            };
            if !before_merge
                || !matches!(
                    r.state.as_str(),
                    "APPROVED" | "CHANGES_REQUESTED" | "DISMISSED"
                )
            {
                continue;
            }
            let newer = standing
                .get(r.user.as_str())
                .is_none_or(|(_, old)| t >= *old);
            if newer {
                standing.insert(&r.user, (r, t));
            }
        }
        let approving: Vec<&Review> = standing
            .values()
            .filter(|(r, _)| r.state == "APPROVED")
            .map(|(r, _)| *r)
            .collect();
        let approvers: Vec<String> = approving
            .iter()
            .filter(|r| !r.user.eq_ignore_ascii_case(&author))
            .map(|r| r.user.clone())
            .collect();
        let author_approved = approving
            .iter()
            .any(|r| r.user.eq_ignore_ascii_case(&author));
        let merged_by = login(pr.get("merged_by"));
        let merged = merged_at.is_some();
        let self_merged = merged_by
            .as_deref()
            .is_some_and(|m| m.eq_ignore_ascii_case(&author));
        let approved_head = head_sha.as_deref().is_some_and(|h| {
            approving
                .iter()
                .any(|r| !r.user.eq_ignore_ascii_case(&author) && r.commit_id.as_deref() == Some(h))
        });
        let title = str_of(&pr, "title").unwrap_or_default().to_owned();
        let head_ref = pr
            .get("head")
            .and_then(|h| str_of(h, "ref"))
            .map(str::to_owned);
        let mut tickets = exports::ticket_keys(&title);
        for extra in [head_ref.as_deref(), str_of(&pr, "body")]
            .into_iter()
            .flatten()
        {
            for k in exports::ticket_keys(extra) {
                if !tickets.contains(&k) {
                    tickets.push(k);
                }
            }
        }
        let files = files_of(&pr).map_err(|m| at(&m))?;
        let checks = checks_of(&pr).map_err(|m| at(&m))?;
        let observed_at = merged_ts.or_else(|| {
            ["closed_at", "updated_at", "created_at"]
                .iter()
                .find_map(|k| str_of(&pr, k).and_then(parse_time))
        });
        out.push(PullRequest {
            repo: pr
                .get("base")
                .and_then(|b| b.get("repo"))
                .and_then(|r| str_of(r, "full_name"))
                .unwrap_or_default()
                .to_owned(),
            number,
            title,
            url: str_of(&pr, "html_url").map(str::to_owned),
            state: str_of(&pr, "state").unwrap_or("unknown").to_owned(),
            created_at: str_of(&pr, "created_at").map(str::to_owned),
            merged,
            merged_at,
            merged_by,
            merge_commit: str_of(&pr, "merge_commit_sha").map(str::to_ascii_lowercase),
            base: pr
                .get("base")
                .and_then(|b| str_of(b, "ref"))
                .map(str::to_owned),
            head_ref,
            head_sha,
            self_approved: merged && approvers.is_empty() && (author_approved || self_merged),
            approved_before_merge: !approvers.is_empty(),
            approved_head,
            approvers,
            author,
            reviews,
            tickets,
            files,
            checks,
            line,
            observed_at,
        });
    }
    Ok(out)
}

/// `[source.github]`: exported pull requests.
///
/// ```toml
/// [source.github]
/// files = ["exports/github"]      # files or folders of .json/.jsonl exports
/// repo = "fraud-model"            # optional: the subject's repo name (default: the export's base.repo.name)
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubConfig {
    pub files: Vec<PathBuf>,
    pub repo: Option<String>,
}

impl GithubConfig {
    pub fn from_table(table: &toml::Table) -> Result<Self, CollectError> {
        Ok(GithubConfig {
            files: exports::files_key(SOURCE, table, "exports/github")?,
            repo: exports::string_key(SOURCE, table, "repo")?,
        })
    }
}

/// Reads pull-request exports.
#[derive(Debug, Clone)]
pub struct GithubCollector {
    config: GithubConfig,
}

impl GithubCollector {
    pub fn new(config: GithubConfig) -> Self {
        GithubCollector { config }
    }
}

impl crate::Collector for GithubCollector {
    fn source(&self) -> &str {
        SOURCE
    }

    fn collect(&self, ctx: &mut crate::Context<'_>) -> Result<crate::Collected, CollectError> {
        let mut out = crate::Collected::default();
        let files = exports::read_all(
            SOURCE,
            ctx.workspace,
            &self.config.files,
            &["json", "jsonl"],
            |f| parse_pulls(&f.text),
        )?;
        for (file, pulls) in files {
            let (path, rel) = (&file.path, &file.rel);
            for pr in pulls {
                let name = match &self.config.repo {
                    Some(r) => r.clone(),
                    None => pr.repo.rsplit('/').next().unwrap_or_default().to_owned(),
                };
                if name.is_empty() {
                    return Err(malformed(
                        SOURCE,
                        format!("{}: line {}", path.display(), pr.line),
                        format!(
                            "pull #{} has no base.repo.full_name; set `repo = \"NAME\"` in [source.github]",
                            pr.number
                        ),
                    ));
                }
                let observed = pr.observed_at.or(file.modified).unwrap_or(ctx.now);
                let locator = if pr.repo.is_empty() {
                    format!("{rel}#pull/{}", pr.number)
                } else {
                    format!("{}#pull/{}", pr.repo, pr.number)
                };
                let payload = serde_json::to_value(&pr).unwrap_or_else(|_| json!({}));
                out.evidence.push(exports::item(
                    EvidenceKind::ChangePullRequest,
                    format!("repo:{name}"),
                    SOURCE,
                    locator,
                    observed,
                    ctx.now,
                    payload,
                ));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pull(number: u64, author: &str, merged_by: Option<&str>, reviews: Value) -> Value {
        json!({
            "number": number, "title": format!("Retrain fraud-scorer (CHG-{number})"), "state": "closed",
            "html_url": format!("https://github.com/kestrel/fraud-model/pull/{number}"),
            "user": {"login": author, "type": "User"},
            "created_at": "2026-10-01T09:00:00Z", "merged_at": merged_by.map(|_| "2026-10-02T15:00:00Z"),
            "merged_by": merged_by.map(|m| json!({"login": m})),
            "merge_commit_sha": "ABCDEF0123456789abcdef0123456789abcdef01",
            "base": {"ref": "main", "repo": {"full_name": "kestrel/fraud-model", "name": "fraud-model"}},
            "head": {"ref": "retrain", "sha": "1111111111111111111111111111111111111111"},
            "reviews": reviews,
        })
    }

    fn review(user: &str, state: &str, at: &str, commit: &str) -> Value {
        json!({"user": {"login": user}, "state": state, "submitted_at": at, "commit_id": commit})
    }

    const HEAD: &str = "1111111111111111111111111111111111111111";

    /// (note, pull, approvers, self_approved, approved_before_merge, approved_head)
    #[test]
    fn review_rules_as_cases() {
        type Case<'a> = (&'a str, Value, Vec<&'a str>, bool, bool, bool);
        let cases: Vec<Case> = vec![
            (
                "independent approval on the head",
                pull(
                    1,
                    "alice",
                    Some("alice"),
                    json!([review("ben", "APPROVED", "2026-10-02T10:00:00Z", HEAD)]),
                ),
                vec!["ben"],
                false,
                true,
                true,
            ),
            (
                "author approves and merges alone",
                pull(
                    2,
                    "alice",
                    Some("alice"),
                    json!([review("alice", "APPROVED", "2026-10-02T10:00:00Z", HEAD)]),
                ),
                vec![],
                true,
                false,
                false,
            ),
            (
                "no reviews, merged by the author",
                pull(3, "alice", Some("alice"), json!([])),
                vec![],
                true,
                false,
                false,
            ),
            (
                "no reviews, merged by someone else: unapproved but not self-approved",
                pull(4, "alice", Some("ben"), json!([])),
                vec![],
                false,
                false,
                false,
            ),
            (
                "approval withdrawn by a later change request",
                pull(
                    5,
                    "alice",
                    Some("ben"),
                    json!([
                        review("ben", "APPROVED", "2026-10-02T10:00:00Z", HEAD),
                        review("ben", "CHANGES_REQUESTED", "2026-10-02T11:00:00Z", HEAD)
                    ]),
                ),
                vec![],
                false,
                false,
                false,
            ),
            (
                "a comment after an approval keeps it",
                pull(
                    6,
                    "alice",
                    Some("ben"),
                    json!([
                        review("ben", "APPROVED", "2026-10-02T10:00:00Z", HEAD),
                        review("ben", "COMMENTED", "2026-10-02T11:00:00Z", HEAD)
                    ]),
                ),
                vec!["ben"],
                false,
                true,
                true,
            ),
            (
                "approval after the merge does not count",
                pull(
                    7,
                    "alice",
                    Some("alice"),
                    json!([review("ben", "APPROVED", "2026-10-03T10:00:00Z", HEAD)]),
                ),
                vec![],
                true,
                false,
                false,
            ),
            (
                "approval of an older commit is before merge but not of the head",
                pull(
                    8,
                    "alice",
                    Some("ben"),
                    json!([review("ben", "APPROVED", "2026-10-02T10:00:00Z", "2222")]),
                ),
                vec!["ben"],
                false,
                true,
                false,
            ),
            (
                "open pull request",
                pull(
                    9,
                    "alice",
                    None,
                    json!([review("ben", "APPROVED", "2026-10-02T10:00:00Z", HEAD)]),
                ),
                vec!["ben"],
                false,
                true,
                true,
            ),
        ];
        for (note, pr, approvers, self_approved, before, head) in cases {
            let got = parse_pulls(&pr.to_string()).expect(note);
            let p = &got[0];
            assert_eq!(p.approvers, approvers, "{note}");
            assert_eq!(p.self_approved, self_approved, "{note}");
            assert_eq!(p.approved_before_merge, before, "{note}");
            assert_eq!(p.approved_head, head, "{note}");
        }
    }

    #[test]
    fn export_fields_are_recorded() {
        let text = format!(
            "{}\n{}\n",
            pull(1, "alice", Some("ben"), json!([])),
            pull(2, "ben", None, Value::Null)
        );
        let got = parse_pulls(&text).expect("jsonl");
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0].merge_commit.as_deref(),
            Some("abcdef0123456789abcdef0123456789abcdef01")
        );
        assert_eq!(got[0].tickets, vec!["CHG-1"]);
        assert_eq!(got[0].repo, "kestrel/fraud-model");
        assert_eq!(got[1].line, 2);
        assert!(!got[1].merged);
    }

    #[test]
    fn changed_files_and_checks_are_read_from_rest_and_gh_shapes() {
        let mut rest = pull(1, "alice", Some("ben"), json!([]));
        rest["files"] = json!([{"filename": "infra/main.tf", "status": "modified"}, "README.md"]);
        rest["check_runs"] = json!({"total_count": 2, "check_runs": [
            {"name": "checkov", "status": "completed", "conclusion": "success"},
            {"name": "terraform plan", "status": "in_progress", "conclusion": null}]});
        let mut gh = pull(2, "ben", Some("alice"), json!([]));
        gh["files"] = json!([{"path": "k8s/hpa.yaml", "additions": 3, "deletions": 1}]);
        gh["statusCheckRollup"] =
            json!([{"__typename": "StatusContext", "context": "conftest", "state": "FAILURE"}]);
        let plain = pull(3, "ben", None, json!([]));
        let got = parse_pulls(&format!("{rest}\n{gh}\n{plain}\n")).expect("exports");
        assert_eq!(
            got[0].files.as_deref(),
            Some(&["infra/main.tf".to_owned(), "README.md".to_owned()][..])
        );
        let checks = got[0].checks.as_ref().expect("checks");
        assert_eq!(
            (checks[0].name.as_str(), checks[0].conclusion.as_str()),
            ("checkov", "success")
        );
        assert_eq!(checks[1].conclusion, "pending");
        assert_eq!(
            got[1].files.as_deref(),
            Some(&["k8s/hpa.yaml".to_owned()][..])
        );
        assert_eq!(
            got[1].checks.as_ref().map(|c| c[0].conclusion.as_str()),
            Some("failure")
        );
        assert_eq!(got[2].files, None, "no files key: unknown, not empty");
        assert_eq!(got[2].checks, None);
        let mut bad = pull(4, "alice", None, json!([]));
        bad["files"] = json!([{"additions": 1}]);
        let err = parse_pulls(&bad.to_string()).expect_err("file without a path");
        assert!(
            err.to_string().contains("pull #4") && err.to_string().contains("files[0]"),
            "{err}"
        );
    }

    #[test]
    fn malformed_exports_name_the_line() {
        let mut broken = pull(3, "alice", Some("ben"), json!([]));
        broken["user"] = Value::Null;
        let text = format!("{}\n{}\n", pull(1, "alice", None, json!([])), broken);
        let err = parse_pulls(&text).expect_err("no author");
        assert!(err.to_string().contains("line 2 (pull #3)"), "{err}");
        let err = parse_pulls("[{\"number\": 1,").expect_err("truncated");
        assert!(err.to_string().contains("line 1"), "{err}");
        let err = parse_pulls("[1]").expect_err("not an object");
        assert!(err.to_string().contains("pull request object"), "{err}");
    }

    proptest! {
        #[test]
        fn parsing_never_panics(doc in "\\PC{0,200}") {
            let _ = parse_pulls(&doc);
        }

        #[test]
        fn parsing_never_panics_on_pull_shaped_input(
            author in "[a-z]{0,3}", merged in proptest::option::of("[0-9TZ:-]{0,20}"),
            states in proptest::collection::vec("(APPROVED|COMMENTED|DISMISSED|x)", 0..4),
        ) {
            let reviews: Vec<Value> = states.iter().map(|s| json!({"user": {"login": "r"}, "state": s})).collect();
            let doc = json!({"number": 1, "user": {"login": author}, "merged_at": merged, "reviews": reviews});
            let _ = parse_pulls(&doc.to_string());
        }
    }
}
