//! A realistic `kubectl get roles,rolebindings,clusterroles,clusterrolebindings -A -o yaml` List: who can deploy,
//! read secrets and exec in the serving namespace.

mod common;

use assay_collect::iam_aws::Decision;
use assay_collect::k8s_rbac::{NamespaceRule, grants, parse_rbac};

const LIST: &str = include_str!("fixtures/k8s-rbac-list.yaml");

fn serving() -> Vec<NamespaceRule> {
    vec![NamespaceRule {
        namespace: "serving".into(),
        asset: "serving:fraud-api".into(),
    }]
}

#[test]
fn who_can_deploy_read_secrets_and_exec_in_serving() {
    let rbac = parse_rbac(LIST).expect("list parses");
    assert_eq!((rbac.roles.len(), rbac.bindings.len()), (6, 7));
    let g = grants(&rbac.resolve(), &serving());
    let mut by: Vec<(String, String, Decision)> = g
        .iter()
        .map(|g| (g.principal_arn.clone(), g.access.clone(), g.decision))
        .collect();
    by.dedup();
    assert_eq!(
        by,
        vec![
            // The planted violation: the data-science group can patch/update Deployments in serving.
            (
                "Group:data-science".into(),
                "deploy".into(),
                Decision::Allow
            ),
            // Through the aggregated ClusterRole ml-admin (rules: null in the manifest; the label selector adds
            // ml-admin-workloads' apps/* with verb *).
            ("Group:ml-platform".into(), "deploy".into(), Decision::Allow),
            ("Group:sre".into(), "secrets".into(), Decision::Allow),
            (
                "ServiceAccount:serving/release-bot".into(),
                "deploy".into(),
                Decision::Allow
            ),
            // A ClusterRoleBinding reaches every namespace.
            (
                "User:alice@kestrel.ai".into(),
                "exec".into(),
                Decision::Allow
            ),
            // Only one named secret: conditional.
            (
                "User:dana@kestrel.ai".into(),
                "secrets".into(),
                Decision::Conditional
            ),
        ]
    );
    let actions = |who: &str| -> Vec<String> {
        g.iter()
            .filter(|x| x.principal_arn == who)
            .map(|x| x.action.clone())
            .collect()
    };
    // model-deployer has patch and update, not create.
    assert_eq!(
        actions("Group:data-science"),
        vec!["patch apps/deployments", "update apps/deployments"]
    );
    // apps/* with verb * covers every apps workload and verb asked about, but not core pods.
    assert_eq!(actions("Group:ml-platform").len(), 12);
    assert_eq!(actions("Group:sre"), vec!["get secrets", "list secrets"]);
    let dana = g
        .iter()
        .find(|x| x.principal == "dana@kestrel.ai")
        .expect("dana");
    assert_eq!(dana.conditions[0]["resourceNames"][0], "fraud-model-config");
    assert_eq!(
        dana.identities,
        vec![
            "user:dana@kestrel.ai".to_owned(),
            "dana@kestrel.ai".to_owned()
        ]
    );
    let bot = g
        .iter()
        .find(|x| x.principal_kind == "ServiceAccount")
        .expect("bot");
    assert!(
        bot.identities
            .contains(&"system:serviceaccount:serving:release-bot".to_owned())
    );
    assert_eq!(
        bot.allowed_by,
        vec!["RoleBinding serving/release-bot -> Role model-deployer".to_owned()]
    );
}

#[test]
fn a_dangling_binding_grants_nothing_and_says_so() {
    let rbac = parse_rbac(LIST).expect("list parses");
    let resolved = rbac.resolve();
    let research = resolved
        .iter()
        .find(|r| r.binding.name == "research-edit")
        .expect("binding");
    assert!(!research.role_found);
    assert!(research.capabilities.is_empty());
    assert_eq!(research.subject(), "k8s:research/research-edit");
}

#[test]
fn plain_multi_document_manifests_and_wildcards() {
    let yaml = "\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: everything
rules:
- apiGroups: ['*']
  resources: ['*']
  verbs: ['*']
---
# a comment-only document between objects
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: oops
  namespace: serving
roleRef:
  kind: ClusterRole
  name: everything
subjects:
- kind: User
  name: intern
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: ignored
";
    let rbac = parse_rbac(yaml).expect("parses");
    assert_eq!((rbac.roles.len(), rbac.bindings.len()), (1, 1));
    let g = grants(&rbac.resolve(), &serving());
    let access: std::collections::BTreeSet<&str> = g.iter().map(|x| x.access.as_str()).collect();
    assert_eq!(
        access.into_iter().collect::<Vec<_>>(),
        vec!["deploy", "escalate", "exec", "secrets"]
    );
    // The binding is namespaced: nothing in another namespace.
    let other = grants(
        &rbac.resolve(),
        &[NamespaceRule {
            namespace: "default".into(),
            asset: "x".into(),
        }],
    );
    assert!(other.is_empty());
}

#[test]
fn malformed_yaml_names_the_line_and_object() {
    let e = parse_rbac("kind: Role\nmetadata:\n  name: a\n  namespace: s\nrules:\n- verbs: [get\n")
        .expect_err("syntax");
    assert!(
        e.to_string().contains("line 6") || e.to_string().contains("line 7"),
        "{e}"
    );
    let e = parse_rbac(
        "kind: List\nitems: []\n---\nkind: RoleBinding\nmetadata:\n  name: b\n  namespace: s\n",
    )
    .expect_err("no roleRef");
    let t = e.to_string();
    assert!(
        t.contains("document at line 4") && t.contains("RoleBinding b") && t.contains("roleRef"),
        "{t}"
    );
    let e = parse_rbac("kind: ClusterRoleBinding\nmetadata: {name: c}\nroleRef: {kind: ClusterRole, name: x}\nsubjects:\n- kind: Robot\n  name: r\n")
        .expect_err("bad subject");
    assert!(e.to_string().contains("subjects[0]"), "{e}");
}

#[test]
fn the_collector_is_idempotent_and_stores_nothing_from_a_malformed_file() {
    use assay_collect::k8s_rbac::{K8sRbacCollector, K8sRbacConfig};
    let (dir, mut ledger) = common::workspace(&[("exports/rbac.yaml", LIST)]);
    let table: toml::Table = toml::from_str(
        r#"
        files = ["exports/rbac.yaml"]
        [[namespace]]
        namespace = "serving"
        asset = "serving:fraud-api"
        "#,
    )
    .expect("toml");
    let collector = K8sRbacCollector::new(K8sRbacConfig::from_table(&table).expect("config"));
    let run = |ledger: &mut assay_ledger::Ledger, at: i64| {
        common::collect_at(&collector, ledger, dir.path(), at)
    };
    let first = run(&mut ledger, 1_800_000_000).expect("collect");
    // 7 bindings + 2 (data-science) + 12 (ml-platform) + 2 (sre) + 2 (release-bot) + 1 (alice) + 1 (dana).
    assert_eq!((first.items, first.new), (27, 27));
    assert_eq!(run(&mut ledger, 1_800_003_600).expect("again").new, 0);
    let bindings = ledger
        .list(&assay_ledger::ListFilter {
            kind: Some(assay_ledger::EvidenceKind::K8sRbacBinding),
            ..Default::default()
        })
        .expect("list");
    let ds = bindings
        .iter()
        .find(|b| b.evidence.subject == "k8s:serving/ds-deployers")
        .expect("ds-deployers");
    assert_eq!(ds.evidence.payload["assets"][0], "serving:fraud-api");
    assert_eq!(
        ds.evidence.payload["subjects"][0]["identities"][0],
        "group:data-science"
    );
    assert_eq!(ds.evidence.payload["capabilities"][0]["access"], "deploy");

    std::fs::write(
        dir.path().join("exports/rbac.yaml"),
        format!("{LIST}---\nkind: Role\nmetadata:\n  name: x\n"),
    )
    .expect("write");
    let err = run(&mut ledger, 1_800_007_200).expect_err("malformed");
    let t = err.to_string();
    assert!(
        t.contains("[source.k8s_rbac]")
            && t.contains("exports/rbac.yaml")
            && t.contains("Role x")
            && t.contains("namespace"),
        "{t}"
    );
    assert_eq!(
        ledger.len().expect("len"),
        27,
        "nothing stored from the malformed file"
    );
}
