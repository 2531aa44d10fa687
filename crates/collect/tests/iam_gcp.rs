//! A realistic `gcloud projects get-iam-policy` export plus one bucket policy: who can deploy to the production
//! Vertex AI endpoint, write the curated training bucket and read the raw PII bucket.

mod common;

use assay_collect::iam_aws::Decision;
use assay_collect::iam_gcp::{
    AssetRule, AttachedPolicy, RoleDef, RoleTable, grants, members, parse_policy,
};

const PROJECT: &str = include_str!("fixtures/gcp-project-iam.json");
const BUCKET: &str = include_str!("fixtures/gcs-raw-pii-iam.json");

fn rules() -> Vec<AssetRule> {
    vec![
        AssetRule {
            asset: "serving:fraud-endpoint".into(),
            resource: "projects/kestrel-ml/locations/europe-west4/endpoints/fraud-prod".into(),
            permissions: vec!["aiplatform.endpoints.deploy".into()],
        },
        AssetRule {
            asset: "dataset:curated-training".into(),
            resource: "projects/kestrel-ml/buckets/kestrel-curated-training".into(),
            permissions: vec!["storage.objects.create".into()],
        },
        AssetRule {
            asset: "dataset:raw-events".into(),
            resource: "projects/kestrel-ml/buckets/kestrel-raw-pii".into(),
            permissions: vec!["storage.objects.get".into()],
        },
    ]
}

fn attached() -> Vec<AttachedPolicy> {
    vec![
        AttachedPolicy {
            resource: "projects/kestrel-ml".into(),
            origin: "project".into(),
            policy: parse_policy(PROJECT).expect("project policy parses"),
        },
        AttachedPolicy {
            resource: "projects/kestrel-ml/buckets/kestrel-raw-pii".into(),
            origin: "bucket".into(),
            policy: parse_policy(BUCKET).expect("bucket policy parses"),
        },
    ]
}

fn table() -> RoleTable {
    RoleTable::builtin().expect("table").with(&[RoleDef {
        name: "projects/kestrel-ml/roles/modelDeployer".into(),
        permissions: vec![
            "aiplatform.endpoints.deploy".into(),
            "aiplatform.endpoints.undeploy".into(),
        ],
        except: Vec::new(),
    }])
}

#[test]
fn who_can_deploy_write_curated_and_read_raw_pii() {
    let g = grants(&attached(), &table(), &rules());
    let summary: Vec<(String, &str, String, Decision)> = g
        .iter()
        .map(|g| {
            (
                g.principal_arn.clone(),
                g.access,
                g.asset.clone(),
                g.decision,
            )
        })
        .collect();
    let s =
        |m: &str, a: &'static str, asset: &str, d: Decision| (m.to_owned(), a, asset.to_owned(), d);
    assert_eq!(
        summary,
        vec![
            s(
                "group:data-platform@kestrel.ai",
                "write",
                "dataset:curated-training",
                Decision::Allow
            ),
            s(
                "group:data-platform@kestrel.ai",
                "read",
                "dataset:raw-events",
                Decision::Allow
            ),
            // The planted violation: the data-science group (and dana) can deploy to the production endpoint.
            s(
                "group:data-science@kestrel.ai",
                "deploy",
                "serving:fraud-endpoint",
                Decision::Allow
            ),
            // Conditional at project level, unconditional on the raw bucket itself: allowed.
            s(
                "group:ml-platform@kestrel.ai",
                "read",
                "dataset:raw-events",
                Decision::Allow
            ),
            s(
                "serviceAccount:release@kestrel-ml.iam.gserviceaccount.com",
                "deploy",
                "serving:fraud-endpoint",
                Decision::Allow
            ),
            s(
                "user:cto@kestrel.ai",
                "deploy",
                "serving:fraud-endpoint",
                Decision::Allow
            ),
            s(
                "user:cto@kestrel.ai",
                "write",
                "dataset:curated-training",
                Decision::Allow
            ),
            s(
                "user:cto@kestrel.ai",
                "read",
                "dataset:raw-events",
                Decision::Allow
            ),
            s(
                "user:dana@kestrel.ai",
                "deploy",
                "serving:fraud-endpoint",
                Decision::Allow
            ),
        ]
    );
    let ml = g
        .iter()
        .find(|x| x.principal_arn == "group:ml-platform@kestrel.ai")
        .expect("ml-platform grant");
    assert_eq!(
        ml.allowed_by,
        vec![
            "roles/storage.objectViewer@projects/kestrel-ml".to_owned(),
            "roles/storage.objectViewer@projects/kestrel-ml/buckets/kestrel-raw-pii".to_owned()
        ]
    );
    assert!(
        ml.conditions.is_empty(),
        "an unconditional grant carries no conditions"
    );
    // The convenience members of the bucket policy hold roles/storage.legacyBucketOwner, which lists and writes
    // objects but does not read them, and no asset rule asks for those permissions on that bucket.
    assert!(!g.iter().any(|x| x.principal_arn.starts_with("project")));
}

#[test]
fn a_conditional_binding_is_recorded_as_conditional() {
    let mut rs = rules();
    rs[2].resource = "projects/kestrel-ml/buckets/kestrel-curated-training".into();
    rs[2].asset = "dataset:curated-training".into();
    let g = grants(&attached(), &table(), &rs[2..]);
    let ml = g
        .iter()
        .find(|x| x.principal_arn == "group:ml-platform@kestrel.ai")
        .expect("ml-platform grant");
    assert_eq!(ml.decision, Decision::Conditional);
    assert_eq!(ml.conditions[0]["title"], "curated-only");
    assert!(
        ml.conditions[0]["expression"]
            .as_str()
            .expect("expr")
            .contains("kestrel-curated")
    );
}

#[test]
fn members_list_their_bindings_and_unknown_roles() {
    let ms = members(&attached(), &table());
    let sec = ms
        .iter()
        .find(|m| m.arn == "group:security@kestrel.ai")
        .expect("security group");
    assert_eq!(
        sec.unknown_roles,
        vec!["roles/securitycenter.admin".to_owned()]
    );
    let ml = ms
        .iter()
        .find(|m| m.arn == "group:ml-platform@kestrel.ai")
        .expect("ml group");
    assert_eq!(ml.kind, "group");
    assert!(
        ml.policies.iter().any(|p| p.ends_with("(if curated-only)")),
        "{:?}",
        ml.policies
    );
}

#[test]
fn public_members_are_flagged() {
    let p = parse_policy(
        r#"{"bindings":[{"role":"roles/storage.objectViewer","members":["allUsers"]}]}"#,
    )
    .expect("parses");
    let a = [AttachedPolicy {
        resource: "projects/kestrel-ml".into(),
        origin: "x".into(),
        policy: p,
    }];
    let g = grants(&a, &table(), &rules()[2..]);
    assert_eq!(g.len(), 1);
    assert!(g[0].public);
    assert_eq!(g[0].principal_kind, "public");
}

#[test]
fn malformed_policies_name_the_place() {
    let e =
        parse_policy("{\"bindings\": [ {\"role\": \"roles/owner\"} ]}").expect_err("no members");
    assert!(e.to_string().contains("bindings[0]"), "{e}");
    let e =
        parse_policy("{\"bindings\": [ {\"role\": \"roles/owner\", \"members\": [\"alice\"]} ]}")
            .expect_err("bad member");
    assert!(
        e.to_string().contains("bindings[0].members") && e.to_string().contains("alice"),
        "{e}"
    );
    let e = parse_policy("{\n  \"bindings\": [,\n}").expect_err("syntax");
    assert!(e.to_string().contains("line 2"), "{e}");
}

#[test]
fn the_collector_is_idempotent_and_stores_nothing_from_a_malformed_export() {
    use assay_collect::iam_gcp::GcpIamCollector;
    let (dir, mut ledger) =
        common::workspace(&[("exports/gcp.json", PROJECT), ("exports/raw.json", BUCKET)]);
    let table: toml::Table = toml::from_str(
        r#"
        project = "kestrel-ml"
        file = "exports/gcp.json"
        [[policy]]
        resource = "projects/kestrel-ml/buckets/kestrel-raw-pii"
        file = "exports/raw.json"
        [[asset]]
        asset = "serving:fraud-endpoint"
        resource = "projects/kestrel-ml/locations/europe-west4/endpoints/fraud-prod"
        permissions = ["aiplatform.endpoints.deploy"]
        [custom_roles]
        "projects/kestrel-ml/roles/modelDeployer" = ["aiplatform.endpoints.deploy"]
        "#,
    )
    .expect("toml");
    let (configured, _) =
        assay_collect::configure(&[("gcp_iam".to_owned(), table)], dir.path()).expect("configure");
    let assay_collect::SourceConfig::GcpIam(config) = &configured[0].1 else {
        panic!("not a gcp_iam config");
    };
    let collector = GcpIamCollector::new(config.clone());
    let now = jiff::Timestamp::from_second(1_800_000_000).expect("ts");
    let run = |ledger: &mut assay_ledger::Ledger, at: i64| {
        common::collect_at(&collector, ledger, dir.path(), at)
    };
    let first = run(&mut ledger, now.as_second()).expect("collect");
    // 10 members (8 project bindings' members + 2 convenience members) + 4 able to deploy.
    assert_eq!((first.items, first.new), (14, 14));
    let again = run(&mut ledger, now.as_second() + 3600).expect("collect again");
    assert_eq!(again.new, 0, "an unchanged export is the same observation");
    let perms = ledger
        .list(&assay_ledger::ListFilter {
            kind: Some(assay_ledger::EvidenceKind::IamEffectivePermission),
            ..Default::default()
        })
        .expect("list");
    assert_eq!(perms.len(), 4);
    let dana = perms
        .iter()
        .find(|p| p.evidence.payload["principal"] == "dana@kestrel.ai")
        .expect("dana");
    assert_eq!(dana.evidence.subject, "serving:fraud-endpoint");
    assert_eq!(dana.evidence.payload["provider"], "gcp");
    assert_eq!(
        dana.evidence.payload["identities"][0],
        "user:dana@kestrel.ai"
    );
    assert_eq!(
        dana.evidence.source.locator,
        "exports/gcp.json#user:dana@kestrel.ai#aiplatform.endpoints.deploy"
    );

    std::fs::write(
        dir.path().join("exports/raw.json"),
        "{\"bindings\": [{\"role\": \"roles/storage.objectViewer\", \"members\": [\"bob\"]}]}",
    )
    .expect("write");
    let err = run(&mut ledger, now.as_second() + 7200).expect_err("malformed");
    let text = err.to_string();
    assert!(
        text.contains("[source.gcp_iam]")
            && text.contains("exports/raw.json")
            && text.contains("bindings[0].members"),
        "{text}"
    );
    assert_eq!(
        ledger.len().expect("len"),
        14,
        "nothing stored from the malformed export"
    );
}
