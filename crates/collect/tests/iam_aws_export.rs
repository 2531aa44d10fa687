//! A realistic `aws iam get-account-authorization-details` export: who can write the curated training bucket
//! and who can deploy to the production endpoint.

use assay_collect::iam_aws::{AssetRule, Decision, grants, parse_export};

const EXPORT: &str = r#"{
  "UserDetailList": [
    {"Path": "/", "UserName": "dana.scientist", "UserId": "AIDA1", "Arn": "arn:aws:iam::123456789012:user/dana.scientist",
     "CreateDate": "2025-03-01T10:00:00Z", "GroupList": ["data-science"], "AttachedManagedPolicies": [], "Tags": [],
     "UserPolicyList": []},
    {"Path": "/", "UserName": "pat.platform", "UserId": "AIDA2", "Arn": "arn:aws:iam::123456789012:user/pat.platform",
     "CreateDate": "2025-03-01T10:00:00Z", "GroupList": ["data-platform"], "AttachedManagedPolicies": [], "Tags": [],
     "UserPolicyList": [{"PolicyName": "break-glass", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
        {"Sid": "MfaOnly", "Effect": "Allow", "Action": "sagemaker:UpdateEndpoint", "Resource": "*",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}}]}
  ],
  "GroupDetailList": [
    {"GroupName": "data-science", "Arn": "arn:aws:iam::123456789012:group/data-science", "GroupPolicyList": [],
     "AttachedManagedPolicies": [{"PolicyName": "ds-sagemaker", "PolicyArn": "arn:aws:iam::123456789012:policy/ds-sagemaker"}]},
    {"GroupName": "data-platform", "Arn": "arn:aws:iam::123456789012:group/data-platform",
     "GroupPolicyList": [{"PolicyName": "curated-writer", "PolicyDocument": {"Statement": [
        {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "arn:aws:s3:::kestrel-curated-training/*"}]}}],
     "AttachedManagedPolicies": []}
  ],
  "RoleDetailList": [
    {"RoleName": "deployer", "Arn": "arn:aws:iam::123456789012:role/deployer", "AssumeRolePolicyDocument": {"Statement": []},
     "RolePolicyList": [], "AttachedManagedPolicies": [{"PolicyName": "deploy", "PolicyArn": "arn:aws:iam::123456789012:policy/deploy"}]}
  ],
  "Policies": [
    {"PolicyName": "ds-sagemaker", "Arn": "arn:aws:iam::123456789012:policy/ds-sagemaker", "DefaultVersionId": "v2",
     "PolicyVersionList": [
       {"VersionId": "v1", "IsDefaultVersion": false, "Document": {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}},
       {"VersionId": "v2", "IsDefaultVersion": true, "Document": {"Statement": [
         {"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"},
         {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::kestrel-curated-training/*"}]}}]},
    {"PolicyName": "deploy", "Arn": "arn:aws:iam::123456789012:policy/deploy", "DefaultVersionId": "v1",
     "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true, "Document": {"Statement": [
       {"Effect": "Allow", "Action": ["sagemaker:CreateEndpoint*", "sagemaker:UpdateEndpoint"], "Resource": "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/*"}]}}]}
  ]
}"#;

#[test]
fn who_can_deploy_and_who_can_write_training_data() {
    let account = parse_export(EXPORT).expect("export parses");
    assert_eq!(account.principals.len(), 3);
    let rules = vec![
        AssetRule {
            asset: "dataset:curated-training".into(),
            resource: "arn:aws:s3:::kestrel-curated-training/any".into(),
            actions: vec!["s3:PutObject".into()],
        },
        AssetRule {
            asset: "serving:fraud-endpoint".into(),
            resource: "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/fraud-prod".into(),
            actions: vec!["sagemaker:UpdateEndpoint".into()],
        },
    ];
    let g = grants(&account, &rules);
    let summary: Vec<(String, String, String, Decision)> = g
        .iter()
        .map(|g| {
            (
                g.principal.clone(),
                g.asset.clone(),
                g.action.clone(),
                g.decision,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            // The planted violation: a data scientist can deploy to production (sagemaker:* in the default version).
            (
                "dana.scientist".into(),
                "serving:fraud-endpoint".into(),
                "sagemaker:UpdateEndpoint".into(),
                Decision::Allow
            ),
            (
                "pat.platform".into(),
                "dataset:curated-training".into(),
                "s3:PutObject".into(),
                Decision::Allow
            ),
            (
                "pat.platform".into(),
                "serving:fraud-endpoint".into(),
                "sagemaker:UpdateEndpoint".into(),
                Decision::Conditional
            ),
            (
                "deployer".into(),
                "serving:fraud-endpoint".into(),
                "sagemaker:UpdateEndpoint".into(),
                Decision::Allow
            ),
        ]
    );
    // Only the default version counts: v1's Allow * would have let dana write the bucket.
    assert!(
        !g.iter()
            .any(|x| x.principal == "dana.scientist" && x.action == "s3:PutObject")
    );
    assert_eq!(g[0].allowed_by, vec!["ds-sagemaker#0".to_owned()]);
}

#[test]
fn malformed_exports_name_the_place() {
    let e = parse_export("{\"UserDetailList\": [ {\"UserName\": 3} ]}").expect_err("bad");
    assert!(e.to_string().contains("UserDetailList[0]"), "{e}");
    let e = parse_export("{ nope").expect_err("bad");
    assert!(e.to_string().contains("line 1"), "{e}");
}

#[test]
fn the_collector_is_idempotent_and_stores_nothing_from_a_malformed_export() {
    use assay_collect::Collector as _;
    use assay_collect::iam_aws::{AwsIamCollector, AwsIamConfig};
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("exports")).expect("dir");
    std::fs::write(dir.path().join("exports/iam.json"), EXPORT).expect("write");
    let table: toml::Table = toml::from_str(
        r#"
        file = "exports/iam.json"
        [[asset]]
        asset = "serving:fraud-endpoint"
        resource = "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/fraud-prod"
        actions = ["sagemaker:UpdateEndpoint"]
        "#,
    )
    .expect("toml");
    let collector = AwsIamCollector::new(AwsIamConfig::from_table(&table).expect("config"));
    assert_eq!(collector.source(), "aws_iam");
    let mut ledger = assay_ledger::Ledger::init(dir.path()).expect("ledger");
    let now = jiff::Timestamp::from_second(1_800_000_000).expect("ts");
    let first = assay_collect::run(
        &collector,
        &mut ledger,
        dir.path(),
        now,
        &mut assay_ledger::NoProgress,
    )
    .expect("collect");
    // 3 principals + 3 principals able (or conditionally able) to update the endpoint.
    assert_eq!((first.items, first.new), (6, 6));
    let later = jiff::Timestamp::from_second(1_800_003_600).expect("ts");
    let again = assay_collect::run(
        &collector,
        &mut ledger,
        dir.path(),
        later,
        &mut assay_ledger::NoProgress,
    )
    .expect("collect again");
    assert_eq!(again.new, 0, "an unchanged export is the same observation");
    let grants = ledger
        .list(&assay_ledger::ListFilter {
            kind: Some(assay_ledger::EvidenceKind::IamEffectivePermission),
            ..Default::default()
        })
        .expect("list");
    assert_eq!(grants.len(), 3);
    assert_eq!(grants[0].evidence.subject, "serving:fraud-endpoint");
    assert_eq!(grants[0].evidence.payload["principal"], "dana.scientist");

    std::fs::write(
        dir.path().join("exports/iam.json"),
        "{\"UserDetailList\": [{\"UserName\": \"x\"}]}",
    )
    .expect("write");
    let err = assay_collect::run(
        &collector,
        &mut ledger,
        dir.path(),
        later,
        &mut assay_ledger::NoProgress,
    )
    .expect_err("malformed");
    let text = err.to_string();
    assert!(
        text.contains("[source.aws_iam]")
            && text.contains("exports/iam.json")
            && text.contains("UserDetailList[0]"),
        "{text}"
    );
    assert_eq!(
        ledger.len().expect("len"),
        6,
        "nothing stored from the malformed export"
    );
}
