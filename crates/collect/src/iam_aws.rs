//! AWS IAM: read `aws iam get-account-authorization-details` output and evaluate who can do what on which ML
//! asset, following the identity-policy evaluation logic AWS documents: an explicit Deny wins, otherwise an Allow
//! grants, otherwise the request is implicitly denied. `Action`/`NotAction` and `Resource`/`NotResource` with `*`
//! and `?` wildcards; action names compare case-insensitively, resource ARNs case-sensitively. A statement with a
//! `Condition` is not ignored and not assumed true: a grant that depends on one is recorded as conditional.
//!
//! Out of scope (stated in the docs): service control policies, permission boundaries, session policies and
//! resource-based policies other than those passed in explicitly; policy variables (`${aws:username}`) are treated
//! as conditional.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::CollectError;

/// The `[source.NAME]` of AWS IAM exports.
pub const SOURCE: &str = "aws_iam";

fn bad(what: impl Into<String>, reason: impl Into<String>) -> CollectError {
    CollectError::Malformed {
        source_name: SOURCE.into(),
        location: what.into(),
        message: reason.into(),
    }
}

/// Allow or Deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

/// A string or list of strings, as policy grammar allows.
fn strings(v: &Value, what: &str) -> Result<Vec<String>, CollectError> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(a) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| bad(what, "every entry must be a string"))
            })
            .collect(),
        _ => Err(bad(what, "must be a string or a list of strings")),
    }
}

/// Which values a statement names: the listed ones, or everything except them (`Not…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Matcher {
    Any(Vec<String>),
    AllExcept(Vec<String>),
}

/// One policy statement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub actions: Matcher,
    pub resources: Matcher,
    /// The condition block, when present.
    pub condition: Option<Value>,
}

/// A named policy document (managed or inline).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Policy {
    pub name: String,
    pub statements: Vec<Statement>,
}

/// `*` matches any run of characters, `?` any single character.
pub fn wildcard(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    let norm = |s: &str| -> Vec<char> {
        if case_insensitive {
            s.to_lowercase().chars().collect()
        } else {
            s.chars().collect()
        }
    };
    let (p, t) = (norm(pattern), norm(text));
    // Iterative matching with backtracking to the last star: linear in practice, no recursion.
    let (mut i, mut j, mut star, mut mark) = (0usize, 0usize, None::<usize>, 0usize);
    while j < t.len() {
        // A `*` in the pattern is a wildcard even where the text holds a literal `*`.
        if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if i < p.len() && (p[i] == '?' || p[i] == t[j]) {
            i += 1;
            j += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    while i < p.len() && p[i] == '*' {
        i += 1;
    }
    i == p.len()
}

impl Matcher {
    fn matches(&self, value: &str, case_insensitive: bool) -> bool {
        match self {
            Matcher::Any(ps) => ps.iter().any(|p| wildcard(p, value, case_insensitive)),
            Matcher::AllExcept(ps) => !ps.iter().any(|p| wildcard(p, value, case_insensitive)),
        }
    }
}

impl Statement {
    /// Whether the statement applies to this action and resource (ignoring its condition).
    pub fn applies(&self, action: &str, resource: &str) -> bool {
        self.actions.matches(action, true) && self.resources.matches(resource, false)
    }

    fn conditional(&self) -> bool {
        self.condition.is_some()
            || matches!(&self.resources, Matcher::Any(r) | Matcher::AllExcept(r) if r.iter().any(|x| x.contains("${")))
    }
}

/// Parse a policy document (a JSON object, or the URL-encoded JSON text the IAM API returns).
pub fn parse_policy(name: &str, doc: &Value) -> Result<Policy, CollectError> {
    let owned;
    let doc = match doc {
        Value::String(s) => {
            let decoded = percent_decode(s);
            owned = serde_json::from_str::<Value>(&decoded).map_err(|e| {
                bad(
                    format!("policy {name}"),
                    format!("the document is not JSON ({e})"),
                )
            })?;
            &owned
        }
        v => v,
    };
    let what = format!("policy {name}");
    let stmts = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect::<Vec<_>>(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => return Err(bad(&what, "has no Statement")),
    };
    let mut statements = Vec::new();
    for (k, st) in stmts.into_iter().enumerate() {
        let w = format!("{what}, statement {k}");
        let effect = match st.get("Effect").and_then(Value::as_str) {
            Some("Allow") => Effect::Allow,
            Some("Deny") => Effect::Deny,
            _ => return Err(bad(&w, "Effect must be Allow or Deny")),
        };
        let pick = |yes: &str, no: &str| -> Result<Matcher, CollectError> {
            match (st.get(yes), st.get(no)) {
                (Some(v), None) => Ok(Matcher::Any(strings(v, &format!("{w}: {yes}"))?)),
                (None, Some(v)) => Ok(Matcher::AllExcept(strings(v, &format!("{w}: {no}"))?)),
                (Some(_), Some(_)) => Err(bad(&w, format!("has both {yes} and {no}"))),
                (None, None) => Err(bad(&w, format!("has neither {yes} nor {no}"))),
            }
        };
        let actions = pick("Action", "NotAction")?;
        // Identity policies may omit Resource only in trust policies; treat a missing one as all resources.
        let resources = if st.get("Resource").is_none() && st.get("NotResource").is_none() {
            Matcher::Any(vec!["*".into()])
        } else {
            pick("Resource", "NotResource")?
        };
        statements.push(Statement {
            sid: st.get("Sid").and_then(Value::as_str).map(str::to_owned),
            effect,
            actions,
            resources,
            condition: st.get("Condition").cloned(),
        });
    }
    Ok(Policy {
        name: name.to_owned(),
        statements,
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
        } else if b[i] == b'+' {
            out.push(b' ');
            i += 1;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What a principal may do for one (action, resource).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// No statement allows it (default deny).
    ImplicitDeny,
    /// An unconditional explicit Deny applies.
    ExplicitDeny,
    /// Allowed only when a condition holds (a conditional Allow, or an Allow shadowed by a conditional Deny).
    Conditional,
    /// Allowed, unconditionally.
    Allow,
}

/// The outcome with the statements that decided it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub decision: Decision,
    /// `policy` or `policy#sid` of every statement that applied.
    pub allowed_by: Vec<String>,
    pub denied_by: Vec<String>,
    /// Conditions of the statements that made the decision conditional.
    pub conditions: Vec<Value>,
}

/// Evaluate one request against a principal's policies.
pub fn evaluate(policies: &[&Policy], action: &str, resource: &str) -> Evaluation {
    let mut e = Evaluation {
        decision: Decision::ImplicitDeny,
        allowed_by: Vec::new(),
        denied_by: Vec::new(),
        conditions: Vec::new(),
    };
    let (mut allow, mut allow_cond, mut deny, mut deny_cond) = (false, false, false, false);
    for p in policies {
        for (k, st) in p.statements.iter().enumerate() {
            if !st.applies(action, resource) {
                continue;
            }
            let label = match &st.sid {
                Some(sid) => format!("{}#{sid}", p.name),
                None => format!("{}#{k}", p.name),
            };
            let cond = st.conditional();
            if cond && let Some(c) = &st.condition {
                e.conditions.push(c.clone());
            }
            match (st.effect, cond) {
                (Effect::Deny, false) => deny = true,
                (Effect::Deny, true) => deny_cond = true,
                (Effect::Allow, false) => allow = true,
                (Effect::Allow, true) => allow_cond = true,
            }
            match st.effect {
                Effect::Allow => e.allowed_by.push(label),
                Effect::Deny => e.denied_by.push(label),
            }
        }
    }
    e.decision = if deny {
        Decision::ExplicitDeny
    } else if allow && !deny_cond {
        Decision::Allow
    } else if allow || allow_cond {
        Decision::Conditional
    } else {
        Decision::ImplicitDeny
    };
    if e.decision == Decision::Allow {
        e.conditions.clear();
    }
    e
}

/// A user, group member or role with the policies that apply to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Principal {
    /// `user`, `role`.
    pub kind: &'static str,
    pub name: String,
    pub arn: String,
    /// Groups a user belongs to.
    pub groups: Vec<String>,
    /// Names of the policies that apply (inline ones as `<owner>/<name>`).
    pub policies: Vec<String>,
}

/// An account's principals and policy documents.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Account {
    pub principals: Vec<Principal>,
    pub policies: BTreeMap<String, Policy>,
}

impl Account {
    /// Evaluate a request for one principal.
    pub fn evaluate(&self, principal: &Principal, action: &str, resource: &str) -> Evaluation {
        let ps: Vec<&Policy> = principal
            .policies
            .iter()
            .filter_map(|n| self.policies.get(n))
            .collect();
        evaluate(&ps, action, resource)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Export {
    #[serde(default)]
    user_detail_list: Vec<Value>,
    #[serde(default)]
    group_detail_list: Vec<Value>,
    #[serde(default)]
    role_detail_list: Vec<Value>,
    #[serde(default)]
    policies: Vec<Value>,
}

fn text<'a>(v: &'a Value, key: &str, what: &str) -> Result<&'a str, CollectError> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| bad(what, format!("has no {key}")))
}

/// Read `aws iam get-account-authorization-details` JSON.
pub fn parse_export(json: &str) -> Result<Account, CollectError> {
    let export: Export = serde_json::from_str(json).map_err(|e| {
        bad(
            format!("line {}, column {}", e.line(), e.column()),
            format!("not an authorization-details export ({e})"),
        )
    })?;
    let mut account = Account::default();
    // Managed policies: the default version's document.
    for (k, p) in export.policies.iter().enumerate() {
        let what = format!("Policies[{k}]");
        let arn = text(p, "Arn", &what)?;
        let name = text(p, "PolicyName", &what)?;
        let versions = p.get("PolicyVersionList").and_then(Value::as_array);
        let default = versions.and_then(|vs| {
            vs.iter()
                .find(|v| v.get("IsDefaultVersion").and_then(Value::as_bool) == Some(true))
        });
        let Some(doc) = default.and_then(|v| v.get("Document")) else {
            return Err(bad(
                &what,
                format!("policy {name} has no default version document"),
            ));
        };
        account
            .policies
            .insert(arn.to_owned(), parse_policy(name, doc)?);
    }
    let inline = |owner: &str,
                  list: Option<&Value>,
                  key: &str,
                  account: &mut Account|
     -> Result<Vec<String>, CollectError> {
        let mut names = Vec::new();
        for (k, p) in list
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let what = format!("{owner}: {key}[{k}]");
            let name = text(p, "PolicyName", &what)?;
            let doc = p
                .get("PolicyDocument")
                .ok_or_else(|| bad(&what, "has no PolicyDocument"))?;
            let id = format!("{owner}/{name}");
            account.policies.insert(id.clone(), parse_policy(&id, doc)?);
            names.push(id);
        }
        Ok(names)
    };
    let attached = |v: &Value| -> Vec<String> {
        v.get("AttachedManagedPolicies")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|a| {
                a.get("PolicyArn")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .collect()
    };
    let mut group_policies: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, g) in export.group_detail_list.iter().enumerate() {
        let name = text(g, "GroupName", &format!("GroupDetailList[{k}]"))?;
        let mut ps = inline(
            &format!("group:{name}"),
            g.get("GroupPolicyList"),
            "GroupPolicyList",
            &mut account,
        )?;
        ps.extend(attached(g));
        group_policies.insert(name.to_owned(), ps);
    }
    for (k, u) in export.user_detail_list.iter().enumerate() {
        let what = format!("UserDetailList[{k}]");
        let name = text(u, "UserName", &what)?.to_owned();
        let arn = text(u, "Arn", &what)?.to_owned();
        let groups: Vec<String> = u
            .get("GroupList")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|g| g.as_str().map(str::to_owned))
            .collect();
        let mut ps = inline(
            &format!("user:{name}"),
            u.get("UserPolicyList"),
            "UserPolicyList",
            &mut account,
        )?;
        ps.extend(attached(u));
        for g in &groups {
            ps.extend(group_policies.get(g).cloned().unwrap_or_default());
        }
        account.principals.push(Principal {
            kind: "user",
            name,
            arn,
            groups,
            policies: ps,
        });
    }
    for (k, r) in export.role_detail_list.iter().enumerate() {
        let what = format!("RoleDetailList[{k}]");
        let name = text(r, "RoleName", &what)?.to_owned();
        let arn = text(r, "Arn", &what)?.to_owned();
        let mut ps = inline(
            &format!("role:{name}"),
            r.get("RolePolicyList"),
            "RolePolicyList",
            &mut account,
        )?;
        ps.extend(attached(r));
        account.principals.push(Principal {
            kind: "role",
            name,
            arn,
            groups: Vec::new(),
            policies: ps,
        });
    }
    Ok(account)
}

/// An ML asset and the actions on it that matter (writing training data, deploying a model, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetRule {
    /// The asset id used as evidence subject, e.g. `dataset:curated-training` or `serving:fraud-endpoint`.
    pub asset: String,
    /// The resource ARN (or ARN of one representative object, e.g. `arn:aws:s3:::bucket/any`).
    pub resource: String,
    /// Actions to evaluate, e.g. `s3:PutObject`, `sagemaker:UpdateEndpoint`.
    pub actions: Vec<String>,
}

/// One principal that can (or can under conditions) perform an action on an asset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grant {
    pub principal_kind: &'static str,
    pub principal: String,
    pub principal_arn: String,
    pub groups: Vec<String>,
    pub asset: String,
    pub resource: String,
    pub action: String,
    pub decision: Decision,
    pub allowed_by: Vec<String>,
    pub denied_by: Vec<String>,
    pub conditions: Vec<Value>,
}

/// Every principal × asset action whose decision is `allow` or `conditional`, in a stable order.
pub fn grants(account: &Account, rules: &[AssetRule]) -> Vec<Grant> {
    let mut out = Vec::new();
    for p in &account.principals {
        for r in rules {
            for a in &r.actions {
                let e = account.evaluate(p, a, &r.resource);
                if matches!(e.decision, Decision::Allow | Decision::Conditional) {
                    out.push(Grant {
                        principal_kind: p.kind,
                        principal: p.name.clone(),
                        principal_arn: p.arn.clone(),
                        groups: p.groups.clone(),
                        asset: r.asset.clone(),
                        resource: r.resource.clone(),
                        action: a.clone(),
                        decision: e.decision,
                        allowed_by: e.allowed_by,
                        denied_by: e.denied_by,
                        conditions: e.conditions,
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Obviously correct (exponential) reference matcher.
    fn reference(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some('*'), _) => reference(&p[1..], t) || (!t.is_empty() && reference(p, &t[1..])),
            (Some('?'), Some(_)) => reference(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => reference(&p[1..], &t[1..]),
            _ => false,
        }
    }

    proptest! {
        #[test]
        fn wildcard_agrees_with_the_reference(p in "[ab*?]{0,8}", t in "[ab]{0,10}") {
            let (pc, tc): (Vec<char>, Vec<char>) = (p.chars().collect(), t.chars().collect());
            prop_assert_eq!(wildcard(&p, &t, false), reference(&pc, &tc));
        }

        #[test]
        fn parsing_never_panics(doc in "\\PC{0,200}") {
            let _ = parse_export(&doc);
            let _ = parse_credential_report(&doc);
            let _ = parse_policy("x", &Value::String(doc));
        }

        #[test]
        fn credential_reports_never_panic_and_keep_their_rows(
            cells in proptest::collection::vec("(true|false|N/A|not_supported|x|\"a,b\"|)", 0..12),
        ) {
            let mut text = String::from("user,arn,password_enabled,mfa_active,access_key_1_active\n");
            for (k, c) in cells.chunks(3).enumerate() {
                let c: Vec<&str> = c.iter().map(String::as_str).collect();
                text.push_str(&format!("u{k},arn:aws:iam::1:user/u{k},{}\n", c.join(",")));
            }
            if let Ok(rows) = parse_credential_report(&text) {
                prop_assert_eq!(rows.len(), cells.chunks(3).count());
                prop_assert!(rows.iter().all(|r| r.console_access == r.password_enabled));
            }
        }
    }
}

/// One row of the IAM credential report: how a user (or the root account) signs in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Credentials {
    /// `user`, or `root` for the `<root_account>` row.
    pub kind: &'static str,
    pub name: String,
    pub arn: String,
    /// The 1-based line of the row in the report.
    pub line: usize,
    /// `password_enabled`: the user has a console password (`not_supported` for root counts as true: the root
    /// user can always sign in to the console).
    pub password_enabled: bool,
    /// Whether the principal can sign in to the console (the same as `password_enabled`).
    pub console_access: bool,
    /// `mfa_active`: an MFA device is assigned.
    pub mfa_active: bool,
    /// How many of the two access keys are active.
    pub access_keys_active: u8,
    pub user_creation_time: Option<String>,
    pub password_last_used: Option<String>,
}

/// A yes/no column of the credential report; `N/A`, `not_supported` and empty are `None`.
fn report_flag(value: &str) -> Result<Option<bool>, String> {
    match value.trim() {
        "true" | "TRUE" | "True" => Ok(Some(true)),
        "false" | "FALSE" | "False" => Ok(Some(false)),
        "N/A" | "not_supported" | "no_information" | "" => Ok(None),
        other => Err(format!("`{other}` is not true or false")),
    }
}

/// A date column: `N/A`, `no_information`, `not_supported` and empty are `None`.
fn report_date(value: &str) -> Option<String> {
    match value.trim() {
        "N/A" | "no_information" | "not_supported" | "" => None,
        v => Some(v.to_owned()),
    }
}

/// Read the IAM credential report (`aws iam generate-credential-report`, then
/// `aws iam get-credential-report --query Content --output text | base64 -d`): CSV with a header row. Columns
/// are found by name, so their order does not matter; `user`, `arn`, `password_enabled` and `mfa_active` are
/// required, the access-key and date columns are read when present.
pub fn parse_credential_report(text: &str) -> Result<Vec<Credentials>, CollectError> {
    let rows = crate::exports::csv_rows(SOURCE, text)?;
    let Some((header_line, header)) = rows.first() else {
        return Err(bad(
            "line 1",
            "is empty: expected the credential report's header row",
        ));
    };
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let need = |name: &str| {
        col(name).ok_or_else(|| {
            bad(
                format!("line {header_line}"),
                format!("has no `{name}` column (is this `aws iam get-credential-report` output, base64-decoded?)"),
            )
        })
    };
    let (user, arn, password, mfa) = (
        need("user")?,
        need("arn")?,
        need("password_enabled")?,
        need("mfa_active")?,
    );
    let keys = [col("access_key_1_active"), col("access_key_2_active")];
    let (created, last_used) = (col("user_creation_time"), col("password_last_used"));
    let mut out: Vec<Credentials> = Vec::new();
    for (line, row) in rows.iter().skip(1) {
        let at = format!("line {line}");
        if row.len() != header.len() {
            return Err(bad(
                &at,
                format!("has {} fields; the header has {}", row.len(), header.len()),
            ));
        }
        let cell = |i: usize| row.get(i).map_or("", String::as_str);
        let name = cell(user).trim().to_owned();
        let arn_v = cell(arn).trim().to_owned();
        if name.is_empty() || !arn_v.starts_with("arn:") {
            return Err(bad(&at, "needs a user name and an `arn:` ARN"));
        }
        let root = name == "<root_account>";
        let flag = |i: usize, column: &str| {
            report_flag(cell(i)).map_err(|m| bad(&at, format!("user {name}: {column} {m}")))
        };
        let password_enabled = flag(password, "password_enabled")?.unwrap_or(root);
        let mfa_active = flag(mfa, "mfa_active")?.ok_or_else(|| {
            bad(
                &at,
                format!("user {name}: mfa_active must be true or false"),
            )
        })?;
        let mut access_keys_active = 0u8;
        for (k, c) in keys.iter().enumerate() {
            if let Some(c) = c
                && flag(*c, &format!("access_key_{}_active", k + 1))? == Some(true)
            {
                access_keys_active += 1;
            }
        }
        if out.iter().any(|c| c.arn == arn_v) {
            return Err(bad(&at, format!("repeats {arn_v}")));
        }
        out.push(Credentials {
            kind: if root { "root" } else { "user" },
            name,
            arn: arn_v,
            line: *line,
            password_enabled,
            console_access: password_enabled,
            mfa_active,
            access_keys_active,
            user_creation_time: created.and_then(|c| report_date(cell(c))),
            password_last_used: last_used.and_then(|c| report_date(cell(c))),
        });
    }
    Ok(out)
}

/// `[source.aws_iam]`: the export file and the ML assets whose access matters.
///
/// ```toml
/// [source.aws_iam]
/// file = "exports/iam-authorization-details.json"
/// [[source.aws_iam.asset]]
/// asset = "dataset:curated-training"
/// resource = "arn:aws:s3:::kestrel-curated-training/any"
/// actions = ["s3:PutObject", "s3:DeleteObject"]
/// ```
///
/// `credential_report = "exports/credential-report.csv"` (optional) adds how each user signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsIamConfig {
    pub file: std::path::PathBuf,
    pub assets: Vec<AssetRule>,
    pub credential_report: Option<std::path::PathBuf>,
}

impl AwsIamConfig {
    pub fn from_table(table: &toml::Table) -> Result<Self, CollectError> {
        let cfg = |key: &str, reason: &str| CollectError::Config {
            source_name: SOURCE.into(),
            key: key.into(),
            reason: reason.into(),
        };
        let file = table.get("file").and_then(|v| v.as_str()).ok_or_else(|| {
            cfg(
                "file",
                "must name the `aws iam get-account-authorization-details` JSON export",
            )
        })?;
        let assets: Vec<AssetRule> = match table.get("asset") {
            None => Vec::new(),
            Some(v) => v.clone().try_into().map_err(|e| {
                cfg(
                    "asset",
                    &format!("entries need asset, resource and actions ({e})"),
                )
            })?,
        };
        if assets.is_empty() {
            return Err(cfg(
                "asset",
                "must list the ML assets to evaluate, e.g. [[source.aws_iam.asset]] with asset, resource, actions",
            ));
        }
        let credential_report = match table.get("credential_report") {
            None => None,
            Some(v) => Some(v.as_str().ok_or_else(|| {
                cfg(
                    "credential_report",
                    "must name the CSV of `aws iam get-credential-report` (base64-decoded)",
                )
            })?),
        };
        Ok(AwsIamConfig {
            file: file.into(),
            assets,
            credential_report: credential_report.map(Into::into),
        })
    }
}

/// Reads an authorization-details export and records principals and their effective permissions on ML assets.
#[derive(Debug, Clone)]
pub struct AwsIamCollector {
    config: AwsIamConfig,
}

impl AwsIamCollector {
    pub fn new(config: AwsIamConfig) -> Self {
        AwsIamCollector { config }
    }
}

impl crate::Collector for AwsIamCollector {
    fn source(&self) -> &str {
        SOURCE
    }

    fn collect(&self, ctx: &mut crate::Context<'_>) -> Result<crate::Collected, CollectError> {
        let ex = crate::export::read(SOURCE, ctx.workspace, &self.config.file, ctx.now)?;
        let account = parse_export(&ex.text).map_err(|e| ex.locate(e))?;
        let report = match &self.config.credential_report {
            None => None,
            Some(f) => {
                let rx = crate::export::read(SOURCE, ctx.workspace, f, ctx.now)?;
                let creds = parse_credential_report(&rx.text).map_err(|e| rx.locate(e))?;
                Some((rx, creds))
            }
        };
        let (observed, rel) = (ex.observed, ex.rel);
        let mut out = crate::Collected::default();
        if let Some((rx, creds)) = &report {
            for c in creds {
                out.evidence.push(assay_ledger::Evidence {
                    kind: assay_ledger::EvidenceKind::IamPrincipal,
                    subject: format!("principal:{}", c.arn),
                    source: crate::source(SOURCE, format!("{}#{}", rx.rel, c.arn)),
                    observed_at: rx.observed,
                    collected_at: ctx.now,
                    payload: serde_json::json!({
                        "provider": "aws", "kind": c.kind, "name": c.name, "arn": c.arn,
                        "from": "credential_report", "line": c.line,
                        "password_enabled": c.password_enabled, "console_access": c.console_access,
                        "mfa_active": c.mfa_active, "access_keys_active": c.access_keys_active,
                        "user_creation_time": c.user_creation_time, "password_last_used": c.password_last_used,
                    }),
                    attachments: Vec::new(),
                    expires_at: None,
                    note: None,
                });
            }
        }
        for p in &account.principals {
            out.evidence.push(assay_ledger::Evidence {
                kind: assay_ledger::EvidenceKind::IamPrincipal,
                subject: format!("principal:{}", p.arn),
                source: crate::source(SOURCE, format!("{rel}#{}", p.arn)),
                observed_at: observed,
                collected_at: ctx.now,
                payload: serde_json::json!({
                    "provider": "aws", "kind": p.kind, "name": p.name, "arn": p.arn,
                    "groups": p.groups, "policies": p.policies,
                }),
                attachments: Vec::new(),
                expires_at: None,
                note: None,
            });
        }
        for g in grants(&account, &self.config.assets) {
            out.evidence.push(assay_ledger::Evidence {
                kind: assay_ledger::EvidenceKind::IamEffectivePermission,
                subject: g.asset.clone(),
                source: crate::source(SOURCE, format!("{rel}#{}#{}", g.principal_arn, g.action)),
                observed_at: observed,
                collected_at: ctx.now,
                payload: serde_json::to_value(&g).unwrap_or_default(),
                attachments: Vec::new(),
                expires_at: None,
                note: None,
            });
        }
        Ok(out)
    }
}
