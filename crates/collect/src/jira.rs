//! Jira issues from REST search exports (`/rest/api/2/search` or `/rest/api/3/search/jql` pages): one
//! `change.ticket` per issue, subject `ticket:KEY`, observed at its approval time (or last update).
//!
//! Approval lives in custom fields whose ids differ per Jira site, so the field names are configuration:
//! `approval_field` (a select, text or status-like field; approved when its value is one of `approved_values`;
//! without it the issue's status is compared instead), `approver_field` (a user or text field) and
//! `approved_at_field` (a date-time field). People are recorded by e-mail address when the export has one
//! (`emailAddress`), else by `name`, `displayName` or `accountId`.

use std::path::PathBuf;

use assay_ledger::EvidenceKind;
use serde_json::{Value, json};

use crate::error::CollectError;
use crate::exports::{self, iso, malformed, parse_time, str_of};

/// The `[source.NAME]` of Jira exports.
pub const SOURCE: &str = "jira";

/// Which fields carry the approval, and which values mean approved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields {
    pub approval: Option<String>,
    pub approved_values: Vec<String>,
    pub approver: Option<String>,
    pub approved_at: Option<String>,
}

impl Default for Fields {
    fn default() -> Self {
        Fields {
            approval: None,
            approved_values: vec!["Approved".into()],
            approver: None,
            approved_at: None,
        }
    }
}

/// A person as Jira exports one (user object or plain text).
fn person(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Array(a) => a.iter().find_map(|x| person(Some(x))),
        u @ Value::Object(_) => ["emailAddress", "name", "displayName", "accountId"]
            .iter()
            .find_map(|k| str_of(u, k))
            .map(str::to_owned),
        _ => None,
    }
}

/// The text of a select, status, option or text field.
fn label(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(a) => a.iter().find_map(|x| label(Some(x))),
        o @ Value::Object(_) => ["value", "name"]
            .iter()
            .find_map(|k| str_of(o, k))
            .map(str::to_owned),
        _ => None,
    }
}

/// Pull-request URLs and 40-hex commit ids in free text (Jira v2 descriptions are text; v3 ones are documents,
/// whose text nodes are searched).
fn links_in(v: &Value, prs: &mut Vec<String>, commits: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            for word in s.split(|c: char| c.is_whitespace() || "()[]<>|,;\"'".contains(c)) {
                if word.contains("/pull/")
                    && word.starts_with("http")
                    && !prs.iter().any(|p| p == word)
                {
                    prs.push(word.to_owned());
                } else if word.len() == 40 && word.bytes().all(|b| b.is_ascii_hexdigit()) {
                    let w = word.to_ascii_lowercase();
                    if !commits.contains(&w) {
                        commits.push(w);
                    }
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| links_in(x, prs, commits)),
        Value::Object(o) => o.values().for_each(|x| links_in(x, prs, commits)),
        _ => {}
    }
}

/// One exported issue, as evidence payload, with its line and observed time.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    pub key: String,
    pub line: usize,
    pub observed_at: jiff::Timestamp,
    pub payload: Value,
}

/// Read one export: search pages (`{"issues": [...]}`), a bare array of issues, or issues one per line.
pub fn parse_issues(text: &str, fields: &Fields) -> Result<Vec<Ticket>, CollectError> {
    let mut out = Vec::new();
    for (line, doc) in exports::json_documents(SOURCE, text)? {
        let issues = match doc.get("issues") {
            Some(Value::Array(a)) => a.clone(),
            Some(_) => {
                return Err(malformed(
                    SOURCE,
                    format!("line {line}"),
                    "`issues` must be an array",
                ));
            }
            None if doc.get("key").is_some() => vec![doc],
            None => {
                return Err(malformed(
                    SOURCE,
                    format!("line {line}"),
                    "expected a search page with `issues` or an issue with `key`",
                ));
            }
        };
        for (k, issue) in issues.iter().enumerate() {
            let at = |m: &str| malformed(SOURCE, format!("line {line}, issues[{k}]"), m.to_owned());
            let key = str_of(issue, "key")
                .ok_or_else(|| at("has no key"))?
                .to_owned();
            let at = |m: &str| malformed(SOURCE, format!("line {line}, issue {key}"), m.to_owned());
            let f = issue
                .get("fields")
                .filter(|f| f.is_object())
                .ok_or_else(|| at("has no fields object"))?;
            let time = |name: &str| -> Result<Option<jiff::Timestamp>, CollectError> {
                match f
                    .get(name)
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                {
                    None => Ok(None),
                    Some(s) => parse_time(s)
                        .map(Some)
                        .ok_or_else(|| at(&format!("field {name} is not a date-time: {s:?}"))),
                }
            };
            let status = label(f.get("status"));
            let approval = match &fields.approval {
                Some(name) => label(f.get(name)),
                None => status.clone(),
            };
            let approved = approval.as_deref().is_some_and(|a| {
                fields
                    .approved_values
                    .iter()
                    .any(|v| v.eq_ignore_ascii_case(a))
            });
            let approver = fields.approver.as_deref().and_then(|n| person(f.get(n)));
            let approved_at = match &fields.approved_at {
                Some(name) => time(name)?,
                None => None,
            };
            let created = time("created")?;
            let updated = time("updated")?;
            let resolved = time("resolutiondate")?;
            let links: Vec<String> = f
                .get("issuelinks")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|l| {
                    l.get("outwardIssue")
                        .or_else(|| l.get("inwardIssue"))
                        .and_then(|i| str_of(i, "key"))
                        .map(str::to_owned)
                })
                .collect();
            let (mut prs, mut commits) = (Vec::new(), Vec::new());
            for name in ["summary", "description"] {
                if let Some(v) = f.get(name) {
                    links_in(v, &mut prs, &mut commits);
                }
            }
            let observed_at = approved_at
                .or(updated)
                .or(resolved)
                .or(created)
                .ok_or_else(|| {
                    at("has none of the approval, updated, resolutiondate or created times")
                })?;
            let payload = json!({
                "key": key,
                "type": label(f.get("issuetype")),
                "summary": str_of(f, "summary"),
                "status": status,
                "approval": approval,
                "approved": approved,
                "approver": approver,
                "approved_at": approved_at.map(iso),
                "reporter": person(f.get("reporter")),
                "assignee": person(f.get("assignee")),
                "created": created.map(iso),
                "updated": updated.map(iso),
                "resolved": resolved.map(iso),
                "links": links,
                "pull_requests": prs,
                "commits": commits,
            });
            out.push(Ticket {
                key,
                line,
                observed_at,
                payload,
            });
        }
    }
    Ok(out)
}

/// `[source.jira]`: exported search pages and the approval fields.
///
/// ```toml
/// [source.jira]
/// files = ["exports/jira"]
/// approval_field = "customfield_10010"
/// approved_values = ["Approved"]
/// approver_field = "customfield_10011"
/// approved_at_field = "customfield_10012"
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JiraConfig {
    pub files: Vec<PathBuf>,
    pub fields: Fields,
}

impl JiraConfig {
    pub fn from_table(table: &toml::Table) -> Result<Self, CollectError> {
        Ok(JiraConfig {
            files: exports::files_key(SOURCE, table, "exports/jira")?,
            fields: Fields {
                approval: exports::string_key(SOURCE, table, "approval_field")?,
                approved_values: exports::strings_key(
                    SOURCE,
                    table,
                    "approved_values",
                    &["Approved"],
                )?,
                approver: exports::string_key(SOURCE, table, "approver_field")?,
                approved_at: exports::string_key(SOURCE, table, "approved_at_field")?,
            },
        })
    }
}

/// Reads Jira search exports.
#[derive(Debug, Clone)]
pub struct JiraCollector {
    config: JiraConfig,
}

impl JiraCollector {
    pub fn new(config: JiraConfig) -> Self {
        JiraCollector { config }
    }
}

impl crate::Collector for JiraCollector {
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
            |f| parse_issues(&f.text, &self.config.fields),
        )?;
        for (file, tickets) in files {
            for t in tickets {
                out.evidence.push(exports::item(
                    EvidenceKind::ChangeTicket,
                    format!("ticket:{}", t.key),
                    SOURCE,
                    format!("{}#{}", file.rel, t.key),
                    t.observed_at,
                    ctx.now,
                    t.payload,
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

    fn fields() -> Fields {
        Fields {
            approval: Some("customfield_10010".into()),
            approved_values: vec!["Approved".into()],
            approver: Some("customfield_10011".into()),
            approved_at: Some("customfield_10012".into()),
        }
    }

    const PAGE: &str = r#"{"expand": "schema,names", "startAt": 0, "maxResults": 50, "total": 2, "issues": [
      {"id": "10231", "key": "CHG-1187", "self": "https://kestrel.atlassian.net/rest/api/2/issue/10231",
       "fields": {"summary": "Promote fraud-scorer v1.2.0 to production", "issuetype": {"name": "Change"},
        "status": {"name": "Done", "statusCategory": {"key": "done"}},
        "reporter": {"accountId": "5b10a2844c20165700ede21g", "emailAddress": "alice@kestrel-labs.example", "displayName": "Alice Moreau"},
        "assignee": {"accountId": "5b10ac8d82e05b22cc7d4ef5", "emailAddress": "ben@kestrel-labs.example", "displayName": "Ben Okafor"},
        "created": "2026-10-01T09:12:44.000+0000", "updated": "2026-10-03T16:40:02.000+0000", "resolutiondate": null,
        "description": "Model PR https://github.com/kestrel/fraud-model/pull/41 merge 0123456789abcdef0123456789abcdef01234567",
        "customfield_10010": {"self": "https://kestrel.atlassian.net/rest/api/2/customFieldOption/10400", "value": "Approved", "id": "10400"},
        "customfield_10011": {"emailAddress": "dana@kestrel-labs.example", "displayName": "Dana Reyes"},
        "customfield_10012": "2026-10-02T11:00:00.000+0000",
        "issuelinks": [{"type": {"name": "Relates"}, "outwardIssue": {"key": "ML-88"}}]}},
      {"id": "10232", "key": "CHG-1190", "fields": {"summary": "Hotfix threshold", "issuetype": {"name": "Change"},
        "status": {"name": "In Review"}, "reporter": {"displayName": "Ben Okafor"},
        "created": "2026-10-05T09:00:00.000+0000", "updated": "2026-10-05T09:00:00.000+0000",
        "customfield_10010": {"value": "Pending"}, "customfield_10011": null, "customfield_10012": null}}]}"#;

    #[test]
    fn search_page_fields_become_ticket_facts() {
        let got = parse_issues(PAGE, &fields()).expect("page");
        assert_eq!(got.len(), 2);
        let p = &got[0].payload;
        assert_eq!(p["approved"], true);
        assert_eq!(p["approver"], "dana@kestrel-labs.example");
        assert_eq!(p["approved_at"], "2026-10-02T11:00:00Z");
        assert_eq!(p["reporter"], "alice@kestrel-labs.example");
        assert_eq!(p["links"], json!(["ML-88"]));
        assert_eq!(
            p["pull_requests"],
            json!(["https://github.com/kestrel/fraud-model/pull/41"])
        );
        assert_eq!(
            p["commits"],
            json!(["0123456789abcdef0123456789abcdef01234567"])
        );
        assert_eq!(
            got[0].observed_at,
            parse_time("2026-10-02T11:00:00Z").expect("t")
        );
        let q = &got[1].payload;
        assert_eq!(q["approved"], false);
        assert_eq!(q["approver"], Value::Null);
        assert_eq!(q["reporter"], "Ben Okafor");
    }

    #[test]
    fn without_an_approval_field_the_status_decides() {
        let f = Fields {
            approved_values: vec!["Done".into()],
            ..Fields::default()
        };
        let got = parse_issues(PAGE, &f).expect("page");
        assert_eq!(got[0].payload["approved"], true);
        assert_eq!(got[1].payload["approved"], false);
    }

    #[test]
    fn v3_pages_and_documents() {
        let page = r#"{"issues": [{"key": "CHG-7", "fields": {"updated": "2026-10-05T09:00:00.000+0000",
          "description": {"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text",
          "text": "see https://github.com/k/m/pull/9"}]}]}}}], "nextPageToken": "abc", "isLast": false}
          {"issues": [], "isLast": true}"#;
        let got = parse_issues(page, &Fields::default()).expect("v3");
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].payload["pull_requests"],
            json!(["https://github.com/k/m/pull/9"])
        );
    }

    #[test]
    fn malformed_issues_are_named() {
        let cases = [
            (
                r#"{"issues": [{"fields": {}}]}"#,
                "line 1, issues[0] is malformed: has no key",
            ),
            (
                r#"{"issues": [{"key": "X-1"}]}"#,
                "issue X-1 is malformed: has no fields",
            ),
            (
                r#"{"issues": [{"key": "X-1", "fields": {"created": "yesterday"}}]}"#,
                "field created is not a date-time",
            ),
            ("{\"total\": 1}", "expected a search page"),
            ("{\"issues\": [", "line 1"),
        ];
        for (text, want) in cases {
            let err = parse_issues(text, &fields()).expect_err(want);
            assert!(err.to_string().contains(want), "{want}: {err}");
        }
    }

    proptest! {
        #[test]
        fn parsing_never_panics(doc in "\\PC{0,200}") {
            let _ = parse_issues(&doc, &fields());
        }
    }
}
