//! Kubernetes RBAC: read Role, ClusterRole, RoleBinding and ClusterRoleBinding objects from YAML (the `List` that
//! `kubectl get roles,rolebindings,clusterroles,clusterrolebindings -A -o yaml` prints, or plain multi-document
//! manifests) and resolve every binding to the subjects and the rules it grants.
//!
//! Four questions are answered per binding: can its subjects **deploy** (create, update or patch Deployments,
//! StatefulSets, ReplicaSets, DaemonSets or Pods), read **secrets** (get, list or watch Secrets), **exec** into
//! pods (`pods/exec`, `pods/attach`) or **escalate** (bind or escalate roles, impersonate)? `*` in verbs,
//! resources and apiGroups counts; aggregated ClusterRoles take the rules of the ClusterRoles their
//! `clusterRoleSelectors` match (matchLabels and matchExpressions). A rule limited by `resourceNames` grants only
//! those objects and is recorded as conditional. A binding whose role is not in the files grants nothing and says
//! so. RBAC has no deny, so nothing here is ever an explicit deny.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_yaml_ng::Value;

use crate::error::CollectError;
use crate::export::{self, config_error, malformed};
use crate::iam_aws::Decision;

/// The `[source.NAME]` of Kubernetes RBAC exports.
pub const SOURCE: &str = "k8s_rbac";

/// One policy rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub verbs: Vec<String>,
    pub resource_names: Vec<String>,
    pub non_resource_urls: Vec<String>,
}

/// A Role or ClusterRole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Role {
    /// `Role` or `ClusterRole`.
    pub kind: String,
    pub name: String,
    /// Empty for ClusterRoles.
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
    pub rules: Vec<Rule>,
    /// `clusterRoleSelectors` of an aggregated ClusterRole.
    pub selectors: Vec<Selector>,
}

/// A label selector.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Selector {
    pub match_labels: BTreeMap<String, String>,
    /// `(key, operator, values)`.
    pub match_expressions: Vec<(String, String, Vec<String>)>,
}

impl Selector {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|(k, op, vs)| {
                let have = labels.get(k);
                match op.as_str() {
                    "In" => have.is_some_and(|h| vs.contains(h)),
                    "NotIn" => have.is_none_or(|h| !vs.contains(h)),
                    "Exists" => have.is_some(),
                    "DoesNotExist" => have.is_none(),
                    _ => false,
                }
            })
    }
}

/// A binding subject.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Subject {
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: String,
    pub name: String,
    /// Namespace of a ServiceAccount.
    pub namespace: String,
}

impl Subject {
    /// The id used in evidence: `User:alice`, `Group:ml`, `ServiceAccount:serving/deployer`.
    pub fn id(&self) -> String {
        if self.kind == "ServiceAccount" {
            format!("ServiceAccount:{}/{}", self.namespace, self.name)
        } else {
            format!("{}:{}", self.kind, self.name)
        }
    }

    /// Spellings a `[[team]]` may use: `user:NAME`, `group:NAME`, `serviceaccount:NS/NAME` and the
    /// Kubernetes username of a service account, `system:serviceaccount:NS:NAME`.
    pub fn identities(&self) -> Vec<String> {
        match self.kind.as_str() {
            "User" => vec![format!("user:{}", self.name), self.name.clone()],
            "Group" => vec![format!("group:{}", self.name)],
            _ => vec![
                format!("serviceaccount:{}/{}", self.namespace, self.name),
                format!("system:serviceaccount:{}:{}", self.namespace, self.name),
            ],
        }
    }
}

/// A RoleBinding or ClusterRoleBinding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Binding {
    pub kind: String,
    pub name: String,
    /// Empty for ClusterRoleBindings.
    pub namespace: String,
    /// `Role` or `ClusterRole`.
    pub role_kind: String,
    pub role_name: String,
    pub subjects: Vec<Subject>,
}

/// Everything read from the files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Rbac {
    pub roles: Vec<Role>,
    pub bindings: Vec<Binding>,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Sequence(s)) => s
            .iter()
            .filter_map(|x| match x {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                Value::Bool(b) => Some(b.to_string()),
                _ => None,
            })
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn labels(v: Option<&Value>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(Value::Mapping(m)) = v {
        for (k, v) in m {
            if let (Some(k), Some(v)) = (k.as_str(), v.as_str()) {
                out.insert(k.to_owned(), v.to_owned());
            }
        }
    }
    out
}

/// Split a multi-document YAML text at `---` lines: `(first line of the document, its text)`.
pub(crate) fn documents(yaml: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let (mut start, mut cur) = (1usize, String::new());
    for (k, line) in yaml.lines().enumerate() {
        let t = line.trim_end();
        if t == "---" || t.starts_with("--- ") {
            if !cur.trim().is_empty() {
                out.push((start, std::mem::take(&mut cur)));
            }
            cur.clear();
            start = k + 2;
            continue;
        }
        cur.push_str(line);
        cur.push('\n');
    }
    if !cur.trim().is_empty() {
        out.push((start, cur));
    }
    out
}

/// Parse RBAC objects from YAML (multi-document; `List` objects are unpacked; other kinds are skipped).
/// Errors name the line (syntax) or the document's first line and the object (content).
pub fn parse_rbac(yaml: &str) -> Result<Rbac, CollectError> {
    let mut out = Rbac::default();
    for (start, doc) in documents(yaml) {
        let v: Value = serde_yaml_ng::from_str(&doc).map_err(|e| {
            let line = e.location().map_or(start, |l| start + l.line() - 1);
            let col = e.location().map_or(0, |l| l.column());
            malformed(
                SOURCE,
                format!("line {line}, column {col}"),
                format!("not YAML ({e})"),
            )
        })?;
        if v.is_null() {
            continue;
        }
        let items: Vec<(String, &Value)> = match text(&v, "kind") {
            Some(k) if k == "List" || k.ends_with("List") => match v.get("items") {
                Some(Value::Sequence(s)) => s
                    .iter()
                    .enumerate()
                    .map(|(i, x)| (format!("document at line {start}, items[{i}]"), x))
                    .collect(),
                None | Some(Value::Null) => Vec::new(),
                Some(_) => {
                    return Err(malformed(
                        SOURCE,
                        format!("document at line {start}"),
                        "`items` of a List must be a sequence",
                    ));
                }
            },
            _ => vec![(format!("document at line {start}"), &v)],
        };
        for (at, obj) in items {
            object(obj, &at, &mut out)?;
        }
    }
    Ok(out)
}

fn object(obj: &Value, at: &str, out: &mut Rbac) -> Result<(), CollectError> {
    let Some(kind) = text(obj, "kind") else {
        if obj.is_mapping() {
            return Err(malformed(SOURCE, at, "has no `kind`"));
        }
        return Err(malformed(SOURCE, at, "is not an object (a mapping)"));
    };
    if !matches!(
        kind,
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding"
    ) {
        return Ok(());
    }
    let meta = obj.get("metadata");
    let name = meta
        .and_then(|m| text(m, "name"))
        .ok_or_else(|| malformed(SOURCE, at, format!("{kind} has no metadata.name")))?
        .to_owned();
    let namespace = meta
        .and_then(|m| text(m, "namespace"))
        .unwrap_or_default()
        .to_owned();
    let at = format!("{at} ({kind} {name})");
    if matches!(kind, "Role" | "RoleBinding") && namespace.is_empty() {
        return Err(malformed(
            SOURCE,
            &at,
            format!("{kind} has no metadata.namespace"),
        ));
    }
    match kind {
        "Role" | "ClusterRole" => {
            let mut rules = Vec::new();
            match obj.get("rules") {
                None | Some(Value::Null) => {}
                Some(Value::Sequence(rs)) => {
                    for (k, r) in rs.iter().enumerate() {
                        if !r.is_mapping() {
                            return Err(malformed(
                                SOURCE,
                                format!("{at}: rules[{k}]"),
                                "must be a mapping",
                            ));
                        }
                        let rule = Rule {
                            api_groups: strings(r.get("apiGroups")),
                            resources: strings(r.get("resources")),
                            verbs: strings(r.get("verbs")),
                            resource_names: strings(r.get("resourceNames")),
                            non_resource_urls: strings(r.get("nonResourceURLs")),
                        };
                        if rule.verbs.is_empty() {
                            return Err(malformed(
                                SOURCE,
                                format!("{at}: rules[{k}]"),
                                "has no verbs",
                            ));
                        }
                        rules.push(rule);
                    }
                }
                Some(_) => return Err(malformed(SOURCE, &at, "`rules` must be a sequence")),
            }
            let mut selectors = Vec::new();
            if let Some(Value::Sequence(ss)) = obj
                .get("aggregationRule")
                .and_then(|a| a.get("clusterRoleSelectors"))
            {
                for s in ss {
                    let mut sel = Selector {
                        match_labels: labels(s.get("matchLabels")),
                        match_expressions: Vec::new(),
                    };
                    if let Some(Value::Sequence(es)) = s.get("matchExpressions") {
                        for e in es {
                            sel.match_expressions.push((
                                text(e, "key").unwrap_or_default().to_owned(),
                                text(e, "operator").unwrap_or_default().to_owned(),
                                strings(e.get("values")),
                            ));
                        }
                    }
                    selectors.push(sel);
                }
            }
            out.roles.push(Role {
                kind: kind.to_owned(),
                name,
                namespace: if kind == "Role" {
                    namespace
                } else {
                    String::new()
                },
                labels: labels(meta.and_then(|m| m.get("labels"))),
                rules,
                selectors,
            });
        }
        _ => {
            let role_ref = obj
                .get("roleRef")
                .ok_or_else(|| malformed(SOURCE, &at, "has no roleRef"))?;
            let role_kind = text(role_ref, "kind").unwrap_or_default().to_owned();
            let role_name = text(role_ref, "name").unwrap_or_default().to_owned();
            if !matches!(role_kind.as_str(), "Role" | "ClusterRole") || role_name.is_empty() {
                return Err(malformed(
                    SOURCE,
                    &at,
                    "roleRef needs kind (Role or ClusterRole) and name",
                ));
            }
            if kind == "ClusterRoleBinding" && role_kind == "Role" {
                return Err(malformed(
                    SOURCE,
                    &at,
                    "a ClusterRoleBinding can only refer to a ClusterRole",
                ));
            }
            let mut subjects = Vec::new();
            match obj.get("subjects") {
                None | Some(Value::Null) => {}
                Some(Value::Sequence(ss)) => {
                    for (k, s) in ss.iter().enumerate() {
                        let sk = text(s, "kind").unwrap_or_default();
                        let sn = text(s, "name").unwrap_or_default();
                        if !matches!(sk, "User" | "Group" | "ServiceAccount") || sn.is_empty() {
                            return Err(malformed(
                                SOURCE,
                                format!("{at}: subjects[{k}]"),
                                "needs kind (User, Group or ServiceAccount) and name",
                            ));
                        }
                        let sns = text(s, "namespace").unwrap_or_default();
                        subjects.push(Subject {
                            kind: sk.to_owned(),
                            name: sn.to_owned(),
                            namespace: if sk == "ServiceAccount" {
                                if sns.is_empty() {
                                    namespace.clone()
                                } else {
                                    sns.to_owned()
                                }
                            } else {
                                String::new()
                            },
                        });
                    }
                }
                Some(_) => return Err(malformed(SOURCE, &at, "`subjects` must be a sequence")),
            }
            out.bindings.push(Binding {
                kind: kind.to_owned(),
                name,
                namespace: if kind == "RoleBinding" {
                    namespace
                } else {
                    String::new()
                },
                role_kind,
                role_name,
                subjects,
            });
        }
    }
    Ok(())
}

/// A question asked of every binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Question {
    /// `deploy`, `secrets`, `exec`, `escalate`.
    access: &'static str,
    /// `(apiGroup, resource)`.
    targets: &'static [(&'static str, &'static str)],
    verbs: &'static [&'static str],
}

const QUESTIONS: &[Question] = &[
    Question {
        access: "deploy",
        targets: &[
            ("apps", "deployments"),
            ("apps", "statefulsets"),
            ("apps", "replicasets"),
            ("apps", "daemonsets"),
            ("", "pods"),
        ],
        verbs: &["create", "update", "patch"],
    },
    Question {
        access: "secrets",
        targets: &[("", "secrets")],
        verbs: &["get", "list", "watch"],
    },
    Question {
        access: "exec",
        targets: &[("", "pods/exec"), ("", "pods/attach")],
        // Exec upgrades a connection; older clients used GET, so both count.
        verbs: &["create", "get"],
    },
    Question {
        access: "escalate",
        targets: &[
            ("rbac.authorization.k8s.io", "roles"),
            ("rbac.authorization.k8s.io", "clusterroles"),
            ("rbac.authorization.k8s.io", "rolebindings"),
            ("rbac.authorization.k8s.io", "clusterrolebindings"),
        ],
        verbs: &["bind", "escalate", "create", "update", "patch"],
    },
    Question {
        access: "escalate",
        targets: &[("", "users"), ("", "groups"), ("", "serviceaccounts")],
        verbs: &["impersonate"],
    },
];

fn hit(list: &[String], want: &str) -> bool {
    list.iter().any(|x| x == "*" || x == want)
}

/// A permission a rule gives, e.g. `patch apps/deployments`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Capability {
    /// `deploy`, `secrets`, `exec`, `escalate`.
    pub access: String,
    /// `VERB GROUP/RESOURCE` (core group written without a prefix: `get secrets`).
    pub action: String,
    /// Objects the rule is limited to (`resourceNames`); empty means all.
    pub resource_names: Vec<String>,
}

/// Capabilities the rules give.
pub fn capabilities(rules: &[Rule]) -> Vec<Capability> {
    let mut out = Vec::new();
    for q in QUESTIONS {
        for (group, resource) in q.targets {
            for verb in q.verbs {
                for r in rules {
                    if hit(&r.api_groups, group)
                        && hit(&r.resources, resource)
                        && hit(&r.verbs, verb)
                    {
                        let action = if group.is_empty() {
                            format!("{verb} {resource}")
                        } else {
                            format!("{verb} {group}/{resource}")
                        };
                        out.push(Capability {
                            access: q.access.to_owned(),
                            action,
                            resource_names: r.resource_names.clone(),
                        });
                    }
                }
            }
        }
    }
    // Unrestricted beats restricted for the same action.
    out.sort();
    out.dedup();
    let unrestricted: Vec<String> = out
        .iter()
        .filter(|c| c.resource_names.is_empty())
        .map(|c| c.action.clone())
        .collect();
    out.retain(|c| c.resource_names.is_empty() || !unrestricted.contains(&c.action));
    out
}

impl Rbac {
    fn role(&self, kind: &str, name: &str, namespace: &str) -> Option<&Role> {
        self.roles.iter().find(|r| {
            r.kind == kind && r.name == name && (kind == "ClusterRole" || r.namespace == namespace)
        })
    }

    /// A role's rules, with those of the ClusterRoles an aggregation rule selects.
    pub fn rules_of(&self, role: &Role) -> Vec<Rule> {
        let mut rules = role.rules.clone();
        if role.kind == "ClusterRole" && !role.selectors.is_empty() {
            for other in self.roles.iter().filter(|r| {
                r.kind == "ClusterRole"
                    && r.name != role.name
                    && role.selectors.iter().any(|s| s.matches(&r.labels))
            }) {
                rules.extend(other.rules.iter().cloned());
            }
        }
        rules
    }

    /// Every binding resolved.
    pub fn resolve(&self) -> Vec<ResolvedBinding> {
        self.bindings
            .iter()
            .map(|b| {
                let role = self.role(&b.role_kind, &b.role_name, &b.namespace);
                let rules = role.map(|r| self.rules_of(r)).unwrap_or_default();
                ResolvedBinding {
                    binding: b.clone(),
                    role_found: role.is_some(),
                    capabilities: capabilities(&rules),
                    rules,
                }
            })
            .collect()
    }
}

/// A binding with the rules and capabilities it grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvedBinding {
    pub binding: Binding,
    /// Whether the role it refers to is in the files (a dangling binding grants nothing).
    pub role_found: bool,
    pub rules: Vec<Rule>,
    pub capabilities: Vec<Capability>,
}

impl ResolvedBinding {
    /// Whether the binding applies in `namespace` (ClusterRoleBindings apply everywhere).
    pub fn covers(&self, namespace: &str) -> bool {
        self.binding.kind == "ClusterRoleBinding" || self.binding.namespace == namespace
    }

    /// The evidence subject: `k8s:NAMESPACE/NAME` or `k8s:cluster/NAME`.
    pub fn subject(&self) -> String {
        if self.binding.namespace.is_empty() {
            format!("k8s:cluster/{}", self.binding.name)
        } else {
            format!("k8s:{}/{}", self.binding.namespace, self.binding.name)
        }
    }
}

/// A namespace whose access matters, and the asset id it stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamespaceRule {
    pub namespace: String,
    /// Evidence subject of the effective-permission items, e.g. `serving:fraud-api`.
    pub asset: String,
}

/// One subject able to do something in a watched namespace, in the AWS grant shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grant {
    pub provider: &'static str,
    pub principal_kind: String,
    pub principal: String,
    /// `User:alice`, `Group:ml`, `ServiceAccount:ns/name`.
    pub principal_arn: String,
    pub groups: Vec<String>,
    pub identities: Vec<String>,
    pub asset: String,
    /// `namespace/NAME`.
    pub resource: String,
    pub action: String,
    pub access: String,
    pub decision: Decision,
    /// `KIND NS/NAME -> ROLEKIND NAME` of the bindings that grant it.
    pub allowed_by: Vec<String>,
    pub denied_by: Vec<String>,
    /// `{"resourceNames": [...]}` when only named objects are granted.
    pub conditions: Vec<serde_json::Value>,
}

/// Every subject × action in the watched namespaces, in a stable order.
pub fn grants(resolved: &[ResolvedBinding], namespaces: &[NamespaceRule]) -> Vec<Grant> {
    // (asset, subject, action) -> grant
    let mut by: BTreeMap<(String, Subject, String), Grant> = BTreeMap::new();
    for ns in namespaces {
        for rb in resolved.iter().filter(|rb| rb.covers(&ns.namespace)) {
            let label = format!(
                "{} {} -> {} {}",
                rb.binding.kind,
                if rb.binding.namespace.is_empty() {
                    rb.binding.name.clone()
                } else {
                    format!("{}/{}", rb.binding.namespace, rb.binding.name)
                },
                rb.binding.role_kind,
                rb.binding.role_name
            );
            for s in &rb.binding.subjects {
                for c in &rb.capabilities {
                    let key = (ns.asset.clone(), s.clone(), c.action.clone());
                    let g = by.entry(key).or_insert_with(|| Grant {
                        provider: "k8s",
                        principal_kind: s.kind.clone(),
                        principal: s.name.clone(),
                        principal_arn: s.id(),
                        groups: Vec::new(),
                        identities: s.identities(),
                        asset: ns.asset.clone(),
                        resource: format!("namespace/{}", ns.namespace),
                        action: c.action.clone(),
                        access: c.access.clone(),
                        decision: Decision::Conditional,
                        allowed_by: Vec::new(),
                        denied_by: Vec::new(),
                        conditions: Vec::new(),
                    });
                    if !g.allowed_by.contains(&label) {
                        g.allowed_by.push(label.clone());
                    }
                    if c.resource_names.is_empty() {
                        g.decision = Decision::Allow;
                    } else {
                        g.conditions
                            .push(serde_json::json!({ "resourceNames": c.resource_names }));
                    }
                }
            }
        }
    }
    by.into_values()
        .map(|mut g| {
            if g.decision == Decision::Allow {
                g.conditions.clear();
            }
            g
        })
        .collect()
}

/// `[source.k8s_rbac]`.
///
/// ```toml
/// [source.k8s_rbac]
/// files = ["exports/k8s-rbac.yaml"]   # kubectl get roles,rolebindings,clusterroles,clusterrolebindings -A -o yaml
/// [[source.k8s_rbac.namespace]]
/// namespace = "serving"
/// asset = "serving:fraud-api"
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct K8sRbacConfig {
    pub files: Vec<std::path::PathBuf>,
    pub namespaces: Vec<NamespaceRule>,
}

impl K8sRbacConfig {
    pub fn from_table(table: &toml::Table) -> Result<Self, CollectError> {
        let files = export::files_key(SOURCE, table, "the RBAC YAML exports")?;
        let namespaces: Vec<NamespaceRule> = match table.get("namespace") {
            None => Vec::new(),
            Some(v) => v.clone().try_into().map_err(|e| {
                config_error(
                    SOURCE,
                    "namespace",
                    format!("entries need namespace and asset ({e})"),
                )
            })?,
        };
        Ok(K8sRbacConfig { files, namespaces })
    }
}

/// Reads RBAC YAML and records bindings and who can deploy, read secrets or exec in the watched namespaces.
#[derive(Debug, Clone)]
pub struct K8sRbacCollector {
    config: K8sRbacConfig,
}

impl K8sRbacCollector {
    pub fn new(config: K8sRbacConfig) -> Self {
        K8sRbacCollector { config }
    }
}

impl crate::Collector for K8sRbacCollector {
    fn source(&self) -> &str {
        SOURCE
    }

    fn collect(&self, ctx: &mut crate::Context<'_>) -> Result<crate::Collected, CollectError> {
        // All files form one cluster view: a binding in one file may refer to a role in another.
        let mut all = Rbac::default();
        let mut origin: Vec<(String, usize)> = Vec::new(); // (file, bindings so far)
        let mut observed = None::<jiff::Timestamp>;
        for f in &self.config.files {
            let ex = export::read(SOURCE, ctx.workspace, f, ctx.now)?;
            let rbac = parse_rbac(&ex.text).map_err(|e| ex.locate(e))?;
            observed = Some(observed.map_or(ex.observed, |o| o.max(ex.observed)));
            all.roles.extend(rbac.roles);
            all.bindings.extend(rbac.bindings);
            origin.push((ex.rel, all.bindings.len()));
        }
        let observed = observed.unwrap_or(ctx.now);
        let file_of = |k: usize| -> &str {
            origin
                .iter()
                .find(|(_, end)| k < *end)
                .map(|(f, _)| f.as_str())
                .unwrap_or_default()
        };
        let resolved = all.resolve();
        let mut out = crate::Collected::default();
        for (k, rb) in resolved.iter().enumerate() {
            let assets: Vec<&str> = self
                .config
                .namespaces
                .iter()
                .filter(|n| rb.covers(&n.namespace))
                .map(|n| n.asset.as_str())
                .collect();
            out.evidence.push(export::item(
                SOURCE,
                assay_ledger::EvidenceKind::K8sRbacBinding,
                rb.subject(),
                format!("{}#{}", file_of(k), rb.subject()),
                observed,
                ctx.now,
                serde_json::json!({
                    "kind": rb.binding.kind,
                    "name": rb.binding.name,
                    "namespace": rb.binding.namespace,
                    "role_ref": {"kind": rb.binding.role_kind, "name": rb.binding.role_name},
                    "role_found": rb.role_found,
                    "subjects": rb.binding.subjects.iter().map(|s| serde_json::json!({
                        "kind": s.kind, "name": s.name, "namespace": s.namespace,
                        "id": s.id(), "identities": s.identities(),
                    })).collect::<Vec<_>>(),
                    "rules": rb.rules,
                    "capabilities": rb.capabilities,
                    "assets": assets,
                }),
            ));
        }
        let first_file = origin.first().map(|(f, _)| f.clone()).unwrap_or_default();
        for g in grants(&resolved, &self.config.namespaces) {
            out.evidence.push(export::item(
                SOURCE,
                assay_ledger::EvidenceKind::IamEffectivePermission,
                g.asset.clone(),
                format!(
                    "{first_file}#{}#{}#{}",
                    g.resource, g.principal_arn, g.action
                ),
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
    fn documents_split_at_separators_and_keep_lines() {
        let d = documents("a: 1\n---\nb: 2\nc: 3\n--- \n\n---\nd: 4\n");
        let starts: Vec<usize> = d.iter().map(|(s, _)| *s).collect();
        assert_eq!(starts, vec![1, 3, 8]);
    }

    proptest! {
        #[test]
        fn parsing_never_panics(doc in "\\PC{0,300}") {
            if let Ok(r) = parse_rbac(&doc) {
                let _ = grants(&r.resolve(), &[NamespaceRule { namespace: "serving".into(), asset: "a".into() }]);
            }
        }

        #[test]
        fn parsing_never_panics_on_rbac_like_yaml(
            kind in "(Role|ClusterRole|RoleBinding|ClusterRoleBinding|List|Pod)",
            verb in "[a-z*]{0,6}", res in "[a-z/*]{0,8}", sub in "(User|Group|ServiceAccount|Bot)",
        ) {
            let doc = format!(
                "kind: {kind}\nmetadata:\n  name: x\n  namespace: serving\nrules:\n- apiGroups: [\"*\"]\n  resources: [\"{res}\"]\n  verbs: [\"{verb}\"]\nroleRef:\n  kind: ClusterRole\n  name: x\nsubjects:\n- kind: {sub}\n  name: n\n"
            );
            if let Ok(r) = parse_rbac(&doc) {
                let _ = grants(&r.resolve(), &[NamespaceRule { namespace: "serving".into(), asset: "a".into() }]);
            }
        }
    }
}
