//! Change management and security operations: the serving repository's pull requests (`gh api` export), the
//! Jira change tickets, the release pipeline's deployment log, the access-review register and two days of
//! dependency scans. Planted violations: a production rollout whose ticket was never approved, one approved by
//! the engineer who asked for it and deployed it (from a pull request he merged without review), an access review
//! of the curated feature store older than a quarter, and a critical PyTorch advisory open past its 7-day deadline.

use super::{DemoError, Workspace};

/// `gh api --paginate "repos/kestrel-labs/score-api/pulls?state=closed"` with each pull's reviews added.
const PULLS: &str = r#"[
  {"url": "https://api.github.com/repos/kestrel-labs/score-api/pulls/212", "html_url": "https://github.com/kestrel-labs/score-api/pull/212",
   "number": 212, "state": "closed", "locked": false, "draft": false,
   "title": "Raise worker pool to 12 for the Q4 traffic peak (CHG-1201)",
   "user": {"login": "alice-moreau", "id": 7310021, "type": "User"},
   "body": "Load test in the ticket. Rollback: revert this commit.",
   "created_at": "2026-10-12T09:41:07Z", "updated_at": "2026-10-13T15:02:44Z", "closed_at": "2026-10-13T15:02:43Z",
   "merged_at": "2026-10-13T15:02:43Z", "merge_commit_sha": "5d1e0c7a9b3f42e8a6c1d0f9e8b7a6c5d4e3f2a1",
   "merged_by": {"login": "ben-okafor", "id": 7310034, "type": "User"},
   "head": {"label": "kestrel-labs:q4-workers", "ref": "q4-workers", "sha": "9a8b7c6d5e4f30211a2b3c4d5e6f708192a3b4c5"},
   "base": {"label": "kestrel-labs:main", "ref": "main", "sha": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c",
            "repo": {"name": "score-api", "full_name": "kestrel-labs/score-api", "private": true}},
   "reviews": [
     {"id": 2290011, "user": {"login": "ben-okafor", "id": 7310034}, "body": "Numbers look right.", "state": "APPROVED",
      "submitted_at": "2026-10-13T14:55:12Z", "commit_id": "9a8b7c6d5e4f30211a2b3c4d5e6f708192a3b4c5", "author_association": "MEMBER"}]},
  {"url": "https://api.github.com/repos/kestrel-labs/score-api/pulls/219", "html_url": "https://github.com/kestrel-labs/score-api/pull/219",
   "number": 219, "state": "closed", "locked": false, "draft": false,
   "title": "Skip the feature-freshness check at startup (CHG-1215)",
   "user": {"login": "omar-haddad", "id": 7310057, "type": "User"},
   "body": "Startup is slow when the feature store lags; the check is not needed.",
   "created_at": "2026-11-09T20:58:31Z", "updated_at": "2026-11-09T21:31:09Z", "closed_at": "2026-11-09T21:31:08Z",
   "merged_at": "2026-11-09T21:31:08Z", "merge_commit_sha": "c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4",
   "merged_by": {"login": "omar-haddad", "id": 7310057, "type": "User"},
   "head": {"label": "kestrel-labs:skip-freshness", "ref": "skip-freshness", "sha": "77e6d5c4b3a2918070f6e5d4c3b2a19080706050"},
   "base": {"label": "kestrel-labs:main", "ref": "main", "sha": "5d1e0c7a9b3f42e8a6c1d0f9e8b7a6c5d4e3f2a1",
            "repo": {"name": "score-api", "full_name": "kestrel-labs/score-api", "private": true}},
   "reviews": []}
]
"#;

/// `/rest/api/2/search?jql=project=CHG&fields=…` — one page.
const TICKETS: &str = r#"{"expand": "names,schema", "startAt": 0, "maxResults": 50, "total": 3, "issues": [
  {"id": "20412", "key": "CHG-1201", "self": "https://kestrel-labs.atlassian.net/rest/api/2/issue/20412", "fields": {
    "summary": "Raise score-api worker pool to 12 for the Q4 peak", "issuetype": {"name": "Standard change"},
    "status": {"name": "Done", "statusCategory": {"key": "done"}},
    "reporter": {"emailAddress": "alice@kestrel-labs.example", "displayName": "Alice Moreau"},
    "assignee": {"emailAddress": "alice@kestrel-labs.example", "displayName": "Alice Moreau"},
    "created": "2026-10-12T09:30:00.000+0000", "updated": "2026-10-14T16:40:00.000+0000", "resolutiondate": "2026-10-14T16:40:00.000+0000",
    "description": "PR https://github.com/kestrel-labs/score-api/pull/212. Load test: p99 71 ms at 2x peak.",
    "customfield_10010": {"value": "Approved", "id": "10400"},
    "customfield_10011": {"emailAddress": "ben@kestrel-labs.example", "displayName": "Ben Okafor"},
    "customfield_10012": "2026-10-13T16:05:00.000+0000", "issuelinks": []}},
  {"id": "20467", "key": "CHG-1215", "self": "https://kestrel-labs.atlassian.net/rest/api/2/issue/20467", "fields": {
    "summary": "Skip feature-freshness check at score-api startup", "issuetype": {"name": "Normal change"},
    "status": {"name": "Done", "statusCategory": {"key": "done"}},
    "reporter": {"emailAddress": "omar.haddad@kestrel-labs.example", "displayName": "Omar Haddad"},
    "assignee": {"emailAddress": "omar.haddad@kestrel-labs.example", "displayName": "Omar Haddad"},
    "created": "2026-11-09T20:40:00.000+0000", "updated": "2026-11-09T21:40:00.000+0000", "resolutiondate": null,
    "description": "https://github.com/kestrel-labs/score-api/pull/219",
    "customfield_10010": {"value": "Approved", "id": "10400"},
    "customfield_10011": {"emailAddress": "omar.haddad@kestrel-labs.example", "displayName": "Omar Haddad"},
    "customfield_10012": "2026-11-09T21:35:00.000+0000", "issuelinks": []}},
  {"id": "20501", "key": "CHG-1219", "self": "https://kestrel-labs.atlassian.net/rest/api/2/issue/20501", "fields": {
    "summary": "Lower fraud threshold 0.82 to 0.78 after the November chargeback spike", "issuetype": {"name": "Normal change"},
    "status": {"name": "Awaiting approval", "statusCategory": {"key": "indeterminate"}},
    "reporter": {"emailAddress": "maya.chen@kestrel-labs.example", "displayName": "Maya Chen"},
    "assignee": null, "created": "2026-11-20T18:02:00.000+0000", "updated": "2026-11-20T18:02:00.000+0000", "resolutiondate": null,
    "customfield_10010": {"value": "Pending", "id": "10401"}, "customfield_10011": null, "customfield_10012": null, "issuelinks": []}}
]}
"#;

/// Appended by the release pipeline on every rollout.
const DEPLOYMENTS: &str = r#"{"time": "2026-10-14T16:20:00Z", "model": "fraud-scorer", "version": "v1.2.0", "environment": "production", "actor": "ci-deployer", "ticket": "CHG-1201", "commit": "5d1e0c7a9b3f42e8a6c1d0f9e8b7a6c5d4e3f2a1", "pipeline": "release/1187", "digest": "sha256:4440cc2b1d625f19801b350647d50b52c41419f482d277765c840dd409c1289b"}
{"time": "2026-11-09T21:47:00Z", "model": "fraud-scorer", "version": "v1.2.0", "environment": "production", "actor": "omar.haddad@kestrel-labs.example", "ticket": "CHG-1215", "commit": "c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4", "pipeline": "manual", "digest": "sha256:4440cc2b1d625f19801b350647d50b52c41419f482d277765c840dd409c1289b"}
{"time": "2026-11-21T03:12:00Z", "model": "fraud-scorer", "version": "v1.2.0", "environment": "production", "actor": "maya.chen@kestrel-labs.example", "ticket": "CHG-1219", "commit": "e1d2c3b4a5968778695a4b3c2d1e0f9e8d7c6b5a", "pipeline": "manual", "digest": "sha256:c0ffee5e1f0d8a1b9e7c3d2a4b6f8e0d1c3b5a7f9e2d4c6b8a0f1e3d5c7b9a2e"}
{"time": "2026-11-25T10:00:00Z", "model": "fraud-scorer", "version": "v1.2.0", "environment": "staging", "actor": "ci-deployer", "ticket": null, "commit": "e1d2c3b4a5968778695a4b3c2d1e0f9e8d7c6b5a", "pipeline": "release/1203", "digest": "sha256:c0ffee5e1f0d8a1b9e7c3d2a4b6f8e0d1c3b5a7f9e2d4c6b8a0f1e3d5c7b9a2e"}
"#;

/// The access-review register, exported from the GRC spreadsheet.
const ACCESS_REVIEWS: &str = "\
system,reviewer,date,population,removals,period,notes
platform:identity,dana.reyes@kestrel-labs.example,2026-10-06,48,\"jonas.weber;contractor-lb2\",2026-Q3,Leavers and an expired contractor removed
registry:models,lena.fischer@kestrel-labs.example,2026-10-08,11,0,2026-Q3,
service:score-api,lena.fischer@kestrel-labs.example,2026-10-08,9,1,2026-Q3,Removed a stale break-glass user
store:curated-features,sofia.rossi@kestrel-labs.example,2026-07-14,14,0,2026-Q2,Q3 review not yet scheduled
";

fn osv_report(with_jinja: bool) -> String {
    let torch = r#"{"package": {"name": "torch", "version": "2.1.0", "ecosystem": "PyPI"},
       "vulnerabilities": [{"modified": "2025-01-14T15:02:11Z", "published": "2024-06-06T18:30:57Z", "id": "GHSA-pg7h-5qx3-wjr3",
         "aliases": ["CVE-2024-5480", "PYSEC-2024-259"], "summary": "PyTorch torch.distributed.rpc allows remote code execution",
         "affected": [{"package": {"ecosystem": "PyPI", "name": "torch"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.2.0"}]}]}],
         "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
         "database_specific": {"cwe_ids": ["CWE-94"], "github_reviewed": true, "severity": "CRITICAL"}}],
       "groups": [{"ids": ["GHSA-pg7h-5qx3-wjr3"], "max_severity": "9.8"}]}"#;
    let jinja = r#"{"package": {"name": "jinja2", "version": "3.1.3", "ecosystem": "PyPI"},
       "vulnerabilities": [{"modified": "2024-12-23T19:02:11Z", "published": "2024-05-06T15:01:03Z", "id": "GHSA-h75v-3vvj-5mfj",
         "aliases": ["CVE-2024-34064"], "summary": "Jinja xmlattr filter allows HTML attribute injection",
         "affected": [{"package": {"ecosystem": "PyPI", "name": "jinja2"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.1.4"}]}]}],
         "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N"}],
         "database_specific": {"severity": "MODERATE"}}],
       "groups": [{"ids": ["GHSA-h75v-3vvj-5mfj"], "max_severity": "5.4"}]}"#;
    let packages = if with_jinja {
        format!("{torch},\n    {jinja}")
    } else {
        torch.to_owned()
    };
    format!(
        "{{\"results\": [{{\"source\": {{\"path\": \"/builds/kestrel-labs/score-api/requirements.txt\", \"type\": \"lockfile\"}},\n  \"packages\": [\n    {packages}]}}],\n \"experimental_config\": {{\"licenses\": {{\"summary\": false, \"allowlist\": null}}}}}}\n"
    )
}

/// Files the demo observes at its own clock (`assay demo` pins their modification time).
pub const PINNED: &[&str] = &[
    "exports/access-reviews.csv",
    "scans/latest/osv-scanner.json",
];

pub fn build(ws: &mut Workspace) -> Result<(), DemoError> {
    ws.file("exports/github/score-api-pulls.json", PULLS)?;
    ws.file("exports/jira/changes.json", TICKETS)?;
    ws.file("exports/deployments.jsonl", DEPLOYMENTS)?;
    ws.file("exports/access-reviews.csv", ACCESS_REVIEWS)?;
    ws.file("scans/2026-10-05/osv-scanner.json", &osv_report(false))?;
    ws.file("scans/latest/osv-scanner.json", &osv_report(true))?;
    ws.describe(
        r#"
# ── Evidence sources: change management and security operations ─────────────────────────────

# Pull requests of the serving code: `gh api` exports (docs/commands/collect.md has the commands).
[source.github]
files = ["exports/github"]

# Change tickets: Jira search pages; approval lives in custom fields on this site.
[source.jira]
files = ["exports/jira"]
approval_field = "customfield_10010"
approved_values = ["Approved"]
approver_field = "customfield_10011"
approved_at_field = "customfield_10012"

# Rollouts logged by the release pipeline, and GTO assignments to `prod`.
[source.deployments]
files = ["exports/deployments.jsonl"]
production = ["production", "prod"]
gto_stages = ["prod"]

# The access-review register (observed when exported).
[source.access_reviews]
files = ["exports/access-reviews.csv"]

# Daily osv-scanner runs on the serving image's lockfile; the October report is kept from the scan archive.
[source.vulnerabilities]
files = [{ path = "scans/2026-10-05/osv-scanner.json", at = "2026-10-05T06:00:00Z" }, "scans/latest"]
"#,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exports_parse_and_carry_the_planted_violations() {
        let pulls = assay_collect::github::parse_pulls(PULLS).expect("pulls");
        assert_eq!(pulls.len(), 2);
        assert!(!pulls[0].self_approved && pulls[0].approved_before_merge);
        assert!(pulls[1].self_approved, "{:?}", pulls[1]);
        let fields = assay_collect::jira::Fields {
            approval: Some("customfield_10010".into()),
            approved_values: vec!["Approved".into()],
            approver: Some("customfield_10011".into()),
            approved_at: Some("customfield_10012".into()),
        };
        let tickets = assay_collect::jira::parse_issues(TICKETS, &fields).expect("tickets");
        assert_eq!(
            tickets[1].payload["approver"],
            tickets[1].payload["reporter"]
        );
        assert_eq!(tickets[2].payload["approved"], false);
        let deployments = assay_collect::deployments::parse_log(DEPLOYMENTS).expect("log");
        assert_eq!(deployments.len(), 4);
        let reviews =
            assay_collect::access_reviews::parse_reviews_csv(ACCESS_REVIEWS).expect("reviews");
        assert_eq!(reviews.len(), 4);
        for with_jinja in [false, true] {
            let (_, findings) =
                assay_collect::vulnerabilities::parse_report(&osv_report(with_jinja)).expect("osv");
            assert_eq!(findings[0].severity, "critical");
            assert_eq!(findings.len(), 1 + usize::from(with_jinja));
        }
    }
}
