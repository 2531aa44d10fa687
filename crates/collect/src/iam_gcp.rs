//! GCP IAM: read `gcloud projects get-iam-policy PROJECT --format=json` (and, optionally, resource-level policies
//! of the same shape such as `gcloud storage buckets get-iam-policy gs://B --format=json`) and work out which
//! member can use which permission on which ML asset.
//!
//! Roles are expanded to permissions with a table shipped in `data/gcp_roles.toml` (predefined Vertex AI, Cloud
//! Storage, BigQuery and basic roles; the file says which) plus custom roles described in `assay.toml`. A policy
//! applies to its resource and everything below it (`projects/P` covers `projects/P/buckets/B`). A binding with a
//! `condition` is not evaluated (Assay has no CEL interpreter) and not ignored: the grant is recorded as
//! conditional, with the condition's title and expression. IAM deny policies are not part of this export and are
//! not read. Output items have the shape of the AWS collector's, so the same controls read both.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::CollectError;
use crate::export::{self, config_error, malformed};
use crate::iam_aws::{Decision, wildcard};

/// The `[source.NAME]` of GCP IAM policy exports.
pub const SOURCE: &str = "gcp_iam";

/// The shipped role table (see the file for what it covers).
pub const ROLE_TABLE: &str = include_str!("../data/gcp_roles.toml");

/// A role's permissions: patterns granted, patterns taken away again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct RoleDef {
    pub name: String,
    pub permissions: Vec<String>,
    #[serde(default)]
    pub except: Vec<String>,
}

impl RoleDef {
    /// Whether the role carries `permission`.
    pub fn grants(&self, permission: &str) -> bool {
        self.permissions
            .iter()
            .any(|p| wildcard(p, permission, false))
            && !self.except.iter().any(|p| wildcard(p, permission, false))
    }
}

/// Roles by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleTable {
    pub roles: BTreeMap<String, RoleDef>,
}

#[derive(Deserialize)]
struct RoleFile {
    role: Vec<RoleDef>,
}

impl RoleTable {
    /// The shipped table.
    pub fn builtin() -> Result<RoleTable, CollectError> {
        let file: RoleFile = toml::from_str(ROLE_TABLE)
            .map_err(|e| malformed(SOURCE, "data/gcp_roles.toml", e.to_string()))?;
        Ok(RoleTable {
            roles: file.role.into_iter().map(|r| (r.name.clone(), r)).collect(),
        })
    }

    /// Add (or replace) custom roles.
    pub fn with(mut self, extra: &[RoleDef]) -> RoleTable {
        for r in extra {
            self.roles.insert(r.name.clone(), r.clone());
        }
        self
    }
}

/// A binding's condition (IAM Conditions, CEL).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Condition {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub expression: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// One role binding.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Binding {
    pub role: String,
    pub members: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
}

/// An IAM policy as `get-iam-policy` prints it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct IamPolicy {
    #[serde(default)]
    pub bindings: Vec<Binding>,
    #[serde(default)]
    pub etag: Option<String>,
    #[serde(default)]
    pub version: Option<u32>,
}

/// Parse a `get-iam-policy --format=json` document. Errors name the line (syntax) or the binding (content).
pub fn parse_policy(json: &str) -> Result<IamPolicy, CollectError> {
    let v: Value = serde_json::from_str(json).map_err(|e| {
        malformed(
            SOURCE,
            format!("line {}, column {}", e.line(), e.column()),
            format!("not a get-iam-policy JSON document ({e})"),
        )
    })?;
    let Some(obj) = v.as_object() else {
        return Err(malformed(
            SOURCE,
            "line 1",
            "the document must be a JSON object with `bindings`",
        ));
    };
    let bindings = match obj.get("bindings") {
        None => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return Err(malformed(SOURCE, "bindings", "must be a list")),
    };
    let mut out = IamPolicy {
        bindings: Vec::with_capacity(bindings.len()),
        etag: obj.get("etag").and_then(Value::as_str).map(str::to_owned),
        version: obj
            .get("version")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok()),
    };
    for (k, b) in bindings.into_iter().enumerate() {
        let at = format!("bindings[{k}]");
        let binding: Binding = serde_json::from_value(b)
            .map_err(|e| malformed(SOURCE, &at, format!("needs `role` and `members` ({e})")))?;
        if binding.role.is_empty() {
            return Err(malformed(SOURCE, format!("{at}.role"), "is empty"));
        }
        if let Some(m) = binding.members.iter().find(|m| member_kind(m).is_none()) {
            return Err(malformed(
                SOURCE,
                format!("{at}.members"),
                format!(
                    "`{m}` is not a member (expected user:, group:, serviceAccount:, domain:, allUsers …)"
                ),
            ));
        }
        out.bindings.push(binding);
    }
    Ok(out)
}

/// The kind of a member string (`user`, `group`, `serviceAccount`, `domain`, `public`, `deleted`, `principal`,
/// `principalSet`), or `None` when it is not one.
pub fn member_kind(member: &str) -> Option<&'static str> {
    if member == "allUsers" || member == "allAuthenticatedUsers" {
        return Some("public");
    }
    let (prefix, rest) = member.split_once(':')?;
    if rest.is_empty() {
        return None;
    }
    Some(match prefix {
        "user" => "user",
        "group" => "group",
        "serviceAccount" => "serviceAccount",
        "domain" => "domain",
        "deleted" => "deleted",
        "principal" => "principal",
        "principalSet" => "principalSet",
        "projectOwner" | "projectEditor" | "projectViewer" => "convenience",
        _ => return None,
    })
}

/// What a permission lets someone do, coarsely: `read`, `write`, `deploy` or `admin` (changing access itself).
pub fn access_of(permission: &str) -> &'static str {
    let verb = permission.rsplit('.').next().unwrap_or(permission);
    let resource = permission.split('.').nth(1).unwrap_or("");
    if verb == "setIamPolicy" {
        return "admin";
    }
    if resource == "endpoints"
        && matches!(
            verb,
            "deploy" | "undeploy" | "create" | "update" | "delete" | "mutateDeployedModel"
        )
    {
        return "deploy";
    }
    let reads = [
        "get",
        "list",
        "getData",
        "export",
        "predict",
        "explain",
        "getIamPolicy",
        "getMetadata",
        "readFeatureValues",
    ];
    if reads.contains(&verb) || verb.starts_with("get") || verb.starts_with("list") {
        "read"
    } else {
        "write"
    }
}

/// A policy and the resource it is attached to.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachedPolicy {
    /// `projects/P` or a resource below it (`projects/P/buckets/B`).
    pub resource: String,
    /// Where it was read from (for locators and `allowed_by`).
    pub origin: String,
    pub policy: IamPolicy,
}

fn covers(policy_resource: &str, resource: &str) -> bool {
    resource == policy_resource
        || resource
            .strip_prefix(policy_resource)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// An ML asset and the permissions on it that matter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetRule {
    /// Evidence subject, e.g. `dataset:curated-training`.
    pub asset: String,
    /// `projects/P/…`, matched against the policies' resources.
    pub resource: String,
    pub permissions: Vec<String>,
}

/// One member able (or conditionally able) to use a permission on an asset. Same field names as the AWS grants.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grant {
    pub provider: &'static str,
    pub principal_kind: &'static str,
    /// The member without its prefix (`alice@example.com`), or `allUsers`.
    pub principal: String,
    /// The member as IAM spells it (`user:alice@example.com`): the principal's unique id.
    pub principal_arn: String,
    pub groups: Vec<String>,
    /// Spellings a `[[team]]` may use for this principal.
    pub identities: Vec<String>,
    pub asset: String,
    pub resource: String,
    pub action: String,
    /// `read`, `write`, `deploy` or `admin`.
    pub access: &'static str,
    pub decision: Decision,
    /// `role@resource` of every binding that grants it.
    pub allowed_by: Vec<String>,
    pub denied_by: Vec<String>,
    pub conditions: Vec<Value>,
    /// Whether the member is `allUsers`/`allAuthenticatedUsers`.
    pub public: bool,
}

fn bare(member: &str) -> String {
    match member.split_once(':') {
        Some((_, rest)) => rest.to_owned(),
        None => member.to_owned(),
    }
}

/// Every member × asset permission that some binding grants, in a stable order (member, asset, permission).
pub fn grants(policies: &[AttachedPolicy], roles: &RoleTable, rules: &[AssetRule]) -> Vec<Grant> {
    let mut members: Vec<&str> = policies
        .iter()
        .flat_map(|p| p.policy.bindings.iter())
        .flat_map(|b| b.members.iter().map(String::as_str))
        .collect();
    members.sort_unstable();
    members.dedup();
    let mut out = Vec::new();
    for m in members {
        for r in rules {
            for perm in &r.permissions {
                let (mut allow, mut cond) = (false, false);
                let mut allowed_by = Vec::new();
                let mut conditions = Vec::new();
                for p in policies.iter().filter(|p| covers(&p.resource, &r.resource)) {
                    for b in &p.policy.bindings {
                        if !b.members.iter().any(|x| x == m) {
                            continue;
                        }
                        let Some(role) = roles.roles.get(&b.role) else {
                            continue;
                        };
                        if !role.grants(perm) {
                            continue;
                        }
                        allowed_by.push(format!("{}@{}", b.role, p.resource));
                        match &b.condition {
                            None => allow = true,
                            Some(c) => {
                                cond = true;
                                conditions.push(serde_json::json!({
                                    "title": c.title, "expression": c.expression,
                                }));
                            }
                        }
                    }
                }
                if !(allow || cond) {
                    continue;
                }
                let kind = member_kind(m).unwrap_or("user");
                out.push(Grant {
                    provider: "gcp",
                    principal_kind: kind,
                    principal: bare(m),
                    principal_arn: m.to_owned(),
                    groups: Vec::new(),
                    identities: vec![m.to_owned()],
                    asset: r.asset.clone(),
                    resource: r.resource.clone(),
                    action: perm.clone(),
                    access: access_of(perm),
                    decision: if allow {
                        Decision::Allow
                    } else {
                        Decision::Conditional
                    },
                    allowed_by,
                    denied_by: Vec::new(),
                    conditions: if allow { Vec::new() } else { conditions },
                    public: kind == "public",
                });
            }
        }
    }
    out
}

/// One member with the roles bound to it across the policies read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Member {
    pub provider: &'static str,
    pub kind: &'static str,
    pub name: String,
    pub arn: String,
    pub groups: Vec<String>,
    /// `role@resource`, with ` (if TITLE)` for conditional bindings.
    pub policies: Vec<String>,
    /// Roles neither in the shipped table nor among the custom roles: their permissions were not evaluated.
    pub unknown_roles: Vec<String>,
}

/// Every member of the policies, with its bindings.
pub fn members(policies: &[AttachedPolicy], roles: &RoleTable) -> Vec<Member> {
    let mut by: BTreeMap<&str, Member> = BTreeMap::new();
    for p in policies {
        for b in &p.policy.bindings {
            for m in &b.members {
                let e = by.entry(m.as_str()).or_insert_with(|| Member {
                    provider: "gcp",
                    kind: member_kind(m).unwrap_or("user"),
                    name: bare(m),
                    arn: m.clone(),
                    groups: Vec::new(),
                    policies: Vec::new(),
                    unknown_roles: Vec::new(),
                });
                let label = match &b.condition {
                    Some(c) => format!("{}@{} (if {})", b.role, p.resource, c.title),
                    None => format!("{}@{}", b.role, p.resource),
                };
                e.policies.push(label);
                if !roles.roles.contains_key(&b.role) && !e.unknown_roles.contains(&b.role) {
                    e.unknown_roles.push(b.role.clone());
                }
            }
        }
    }
    by.into_values().collect()
}

/// One policy file to read and the resource it is attached to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyFile {
    pub resource: String,
    pub file: std::path::PathBuf,
}

/// `[source.gcp_iam]`.
///
/// ```toml
/// [source.gcp_iam]
/// project = "kestrel-ml"
/// file = "exports/gcp-iam-policy.json"        # gcloud projects get-iam-policy kestrel-ml --format=json
/// [[source.gcp_iam.policy]]                   # optional: resource-level policies
/// resource = "projects/kestrel-ml/buckets/kestrel-raw-pii"
/// file = "exports/gcs-raw-pii-iam.json"
/// [[source.gcp_iam.asset]]
/// asset = "dataset:curated-training"
/// resource = "projects/kestrel-ml/buckets/kestrel-curated-training"
/// permissions = ["storage.objects.create", "storage.objects.delete"]
/// [source.gcp_iam.custom_roles]
/// "projects/kestrel-ml/roles/modelDeployer" = ["aiplatform.endpoints.deploy"]
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GcpIamConfig {
    pub policies: Vec<PolicyFile>,
    pub assets: Vec<AssetRule>,
    pub custom_roles: Vec<RoleDef>,
}

impl GcpIamConfig {
    pub fn from_table(table: &toml::Table) -> Result<Self, CollectError> {
        let mut policies = Vec::new();
        if let Some(file) = table.get("file") {
            let Some(file) = file.as_str() else {
                return Err(config_error(SOURCE, "file", "must be a path (a string)"));
            };
            let Some(project) = table.get("project").and_then(toml::Value::as_str) else {
                return Err(config_error(
                    SOURCE,
                    "project",
                    "must name the project whose policy `file` holds, e.g. project = \"kestrel-ml\"",
                ));
            };
            policies.push(PolicyFile {
                resource: format!("projects/{project}"),
                file: file.into(),
            });
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct P {
            resource: String,
            file: String,
        }
        if let Some(v) = table.get("policy") {
            let extra: Vec<P> = v.clone().try_into().map_err(|e| {
                config_error(
                    SOURCE,
                    "policy",
                    format!("entries need resource and file ({e})"),
                )
            })?;
            policies.extend(extra.into_iter().map(|p| PolicyFile {
                resource: p.resource,
                file: p.file.into(),
            }));
        }
        if policies.is_empty() {
            return Err(config_error(
                SOURCE,
                "file",
                "must name the `gcloud projects get-iam-policy PROJECT --format=json` export (with `project`)",
            ));
        }
        let assets: Vec<AssetRule> = match table.get("asset") {
            None => Vec::new(),
            Some(v) => v.clone().try_into().map_err(|e| {
                config_error(
                    SOURCE,
                    "asset",
                    format!("entries need asset, resource and permissions ({e})"),
                )
            })?,
        };
        if assets.is_empty() {
            return Err(config_error(
                SOURCE,
                "asset",
                "must list the ML assets to evaluate: [[source.gcp_iam.asset]] with asset, resource, permissions",
            ));
        }
        let custom_roles = match table.get("custom_roles") {
            None => Vec::new(),
            Some(toml::Value::Table(t)) => {
                let mut out = Vec::new();
                for (name, perms) in t {
                    let permissions: Vec<String> = perms.clone().try_into().map_err(|_| {
                        config_error(
                            SOURCE,
                            "custom_roles",
                            format!("`{name}` must be a list of permission names"),
                        )
                    })?;
                    out.push(RoleDef {
                        name: name.clone(),
                        permissions,
                        except: Vec::new(),
                    });
                }
                out
            }
            Some(_) => {
                return Err(config_error(
                    SOURCE,
                    "custom_roles",
                    "must be a table of role name = [permissions]",
                ));
            }
        };
        Ok(GcpIamConfig {
            policies,
            assets,
            custom_roles,
        })
    }
}

/// Reads GCP IAM policy exports and records members and their effective permissions on ML assets.
#[derive(Debug, Clone)]
pub struct GcpIamCollector {
    config: GcpIamConfig,
}

impl GcpIamCollector {
    pub fn new(config: GcpIamConfig) -> Self {
        GcpIamCollector { config }
    }
}

impl crate::Collector for GcpIamCollector {
    fn source(&self) -> &str {
        SOURCE
    }

    fn collect(&self, ctx: &mut crate::Context<'_>) -> Result<crate::Collected, CollectError> {
        let roles = RoleTable::builtin()?.with(&self.config.custom_roles);
        let mut attached = Vec::new();
        let mut observed = None::<jiff::Timestamp>;
        for pf in &self.config.policies {
            let ex = export::read(SOURCE, ctx.workspace, &pf.file, ctx.now)?;
            let policy = parse_policy(&ex.text).map_err(|e| ex.locate(e))?;
            observed = Some(observed.map_or(ex.observed, |o| o.max(ex.observed)));
            attached.push(AttachedPolicy {
                resource: pf.resource.clone(),
                origin: ex.rel,
                policy,
            });
        }
        let observed = observed.unwrap_or(ctx.now);
        let origin = |resource: &str| -> String {
            attached
                .iter()
                .find(|p| p.resource == resource)
                .map(|p| p.origin.clone())
                .unwrap_or_default()
        };
        let mut out = crate::Collected::default();
        for m in members(&attached, &roles) {
            let first = attached
                .iter()
                .find(|p| p.policy.bindings.iter().any(|b| b.members.contains(&m.arn)))
                .map(|p| p.origin.clone())
                .unwrap_or_default();
            out.evidence.push(export::item(
                SOURCE,
                assay_ledger::EvidenceKind::IamPrincipal,
                format!("principal:{}", m.arn),
                format!("{first}#{}", m.arn),
                observed,
                ctx.now,
                serde_json::to_value(&m).unwrap_or_default(),
            ));
        }
        for g in grants(&attached, &roles, &self.config.assets) {
            let at = g
                .allowed_by
                .first()
                .and_then(|a| a.split_once('@'))
                .map(|(_, r)| origin(r))
                .unwrap_or_default();
            out.evidence.push(export::item(
                SOURCE,
                assay_ledger::EvidenceKind::IamEffectivePermission,
                g.asset.clone(),
                format!("{at}#{}#{}", g.principal_arn, g.action),
                observed,
                ctx.now,
                serde_json::to_value(&g).unwrap_or_default(),
            ));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_shipped_table_parses_and_covers_the_ml_roles() {
        let t = RoleTable::builtin().expect("table parses");
        for r in [
            "roles/owner",
            "roles/editor",
            "roles/viewer",
            "roles/aiplatform.admin",
            "roles/aiplatform.user",
            "roles/aiplatform.viewer",
            "roles/storage.objectAdmin",
            "roles/storage.objectViewer",
            "roles/bigquery.dataEditor",
            "roles/bigquery.dataViewer",
        ] {
            assert!(t.roles.contains_key(r), "{r} missing");
        }
        let g = |role: &str, p: &str| t.roles[role].grants(p);
        assert!(g("roles/aiplatform.user", "aiplatform.endpoints.deploy"));
        assert!(!g("roles/aiplatform.viewer", "aiplatform.endpoints.deploy"));
        assert!(g("roles/aiplatform.viewer", "aiplatform.endpoints.predict"));
        assert!(g("roles/storage.objectViewer", "storage.objects.get"));
        assert!(!g("roles/storage.objectViewer", "storage.objects.create"));
        assert!(g("roles/editor", "storage.objects.create"));
        assert!(!g("roles/editor", "storage.buckets.setIamPolicy"));
        assert!(g("roles/owner", "storage.buckets.setIamPolicy"));
        assert!(!g(
            "roles/bigquery.dataViewer",
            "bigquery.tables.updateData"
        ));
        assert!(g("roles/bigquery.dataEditor", "bigquery.tables.updateData"));
    }

    #[test]
    fn permissions_are_classified() {
        assert_eq!(access_of("aiplatform.endpoints.deploy"), "deploy");
        assert_eq!(access_of("storage.objects.create"), "write");
        assert_eq!(access_of("storage.objects.get"), "read");
        assert_eq!(access_of("bigquery.tables.getData"), "read");
        assert_eq!(access_of("storage.buckets.setIamPolicy"), "admin");
    }

    proptest! {
        #[test]
        fn parsing_never_panics(doc in "\\PC{0,300}") {
            let _ = parse_policy(&doc);
        }

        #[test]
        fn parsing_never_panics_on_policy_like_json(
            role in "[a-z/.]{0,12}", member in "[a-zA-Z:@.]{0,16}", cond in proptest::bool::ANY
        ) {
            let c = if cond { r#","condition":{"title":"t","expression":"e"}"# } else { "" };
            let doc = format!(r#"{{"bindings":[{{"role":"{role}","members":["{member}"]{c}}}],"etag":"BwX","version":3}}"#);
            if let Ok(p) = parse_policy(&doc) {
                let attached = [AttachedPolicy { resource: "projects/p".into(), origin: "f".into(), policy: p }];
                let t = RoleTable::builtin().expect("table");
                let rule = AssetRule { asset: "a".into(), resource: "projects/p/x".into(), permissions: vec!["storage.objects.get".into()] };
                let _ = grants(&attached, &t, &[rule]);
                let _ = members(&attached, &t);
            }
        }
    }
}
