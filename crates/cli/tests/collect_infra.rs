//! The infrastructure collectors through the binary: GCP IAM, Kubernetes RBAC, Terraform and incident/DR/backup
//! records collected into a workspace, listed with `assay evidence list --kind`, and checked against the
//! segregation-of-duties and storage controls; a malformed export exits 2 naming file and line, storing nothing.

mod common;

use common::{assay, code, stdout};

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../collect/tests/fixtures");

const DESCRIPTION: &str = r#"
[system]
name = "Kestrel fraud scoring"
service = "Customers send card transactions to /v1/score and get a fraud score back within 100 ms."
criteria = ["security", "availability", "confidentiality", "privacy"]

[[component]]
id = "serving:fraud-api"
stage = "inference"
in_scope = true
owner = "ml-platform"
holds = ["customer_data"]

[[component]]
id = "pipeline:release"
stage = "deployment"
in_scope = true
owner = "ml-platform"

[[component]]
id = "dataset:curated-training"
stage = "training"
in_scope = true
owner = "data-platform"
holds = ["customer_data"]

[[component]]
id = "dataset:raw-events"
stage = "ingestion"
in_scope = true
owner = "data-platform"
holds = ["customer_data", "pii"]

[[component]]
id = "registry:mlflow"
stage = "registry"
in_scope = true
owner = "ml-platform"
holds = ["confidential"]

[[component]]
id = "store:model-artifacts"
stage = "storage"
in_scope = true
owner = "ml-platform"
holds = ["confidential"]

[[team]]
name = "Research"
function = "data-scientist"
principals = ["group:data-science@kestrel.ai", "group:data-science", "user:dana@kestrel.ai"]

[[team]]
name = "ML platform"
function = "ml-engineer"
principals = ["group:ml-platform@kestrel.ai", "group:ml-platform", "user:alice@kestrel.ai"]

[[team]]
name = "Data platform"
function = "data-platform"
principals = ["group:data-platform@kestrel.ai"]

[[team]]
name = "SRE"
function = "sre"
principals = ["group:sre", "serviceaccount:serving/release-bot", "serviceAccount:release@kestrel-ml.iam.gserviceaccount.com", "user:cto@kestrel.ai"]

[source.gcp_iam]
project = "kestrel-ml"
file = "exports/gcp-project-iam.json"
[[source.gcp_iam.policy]]
resource = "projects/kestrel-ml/buckets/kestrel-raw-pii"
file = "exports/gcs-raw-pii-iam.json"
[[source.gcp_iam.asset]]
asset = "serving:fraud-api"
resource = "projects/kestrel-ml/locations/europe-west4/endpoints/fraud-prod"
permissions = ["aiplatform.endpoints.deploy"]
[[source.gcp_iam.asset]]
asset = "dataset:curated-training"
resource = "projects/kestrel-ml/buckets/kestrel-curated-training"
permissions = ["storage.objects.create"]
[[source.gcp_iam.asset]]
asset = "dataset:raw-events"
resource = "projects/kestrel-ml/buckets/kestrel-raw-pii"
permissions = ["storage.objects.get"]
[source.gcp_iam.custom_roles]
"projects/kestrel-ml/roles/modelDeployer" = ["aiplatform.endpoints.deploy"]

[source.k8s_rbac]
files = ["exports/k8s-rbac-list.yaml"]
[[source.k8s_rbac.namespace]]
namespace = "serving"
asset = "serving:fraud-api"

[source.terraform]
files = ["exports/tf-plan.json", "exports/tf-state.json"]
manifests = ["exports/hpa.yaml"]
[source.terraform.assets]
"module.data.aws_s3_bucket.curated" = "dataset:curated-training"

[source.incidents]
files = ["ops/incidents.csv"]
dr_tests = ["ops/restore-tests.json"]
backup_jobs = ["ops/backup-jobs.jsonl"]
"#;

fn workspace() -> tempfile::TempDir {
    let t = tempfile::tempdir().expect("tempdir");
    let ws = t.path();
    std::fs::write(ws.join("assay.toml"), DESCRIPTION).expect("write description");
    for (dir, files) in [
        (
            "exports",
            &[
                "gcp-project-iam.json",
                "gcs-raw-pii-iam.json",
                "k8s-rbac-list.yaml",
                "tf-plan.json",
                "tf-state.json",
                "hpa.yaml",
            ][..],
        ),
        (
            "ops",
            &["incidents.csv", "restore-tests.json", "backup-jobs.jsonl"][..],
        ),
    ] {
        std::fs::create_dir_all(ws.join(dir)).expect("mkdir");
        for f in files {
            let to = ws.join(dir).join(f);
            std::fs::copy(format!("{FIX}/{f}"), &to).expect("copy fixture");
            age(&to);
        }
    }
    t
}

/// Exports are observed at their modification time: date them the day before the check.
fn age(path: &std::path::Path) {
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(EXPORTED_AT);
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(when))
        .expect("set mtime");
}

/// 2026-05-31T12:00:00Z, the day before `CHECK_AT`.
const EXPORTED_AT: u64 = 1_780_228_800;
const CHECK_AT: &str = "2026-06-01T00:00:00Z";

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn count(ws: &std::path::Path, kind: &str) -> usize {
    let out = assay(ws, &["evidence", "list", "--kind", kind, "--json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    v["items"]
        .as_array()
        .or_else(|| v.as_array())
        .map_or(0, Vec::len)
}

#[test]
fn infrastructure_sources_are_collected_listed_and_checked() {
    let t = workspace();
    let ws = t.path();
    let out = assay(ws, &["collect"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    for line in [
        "gcp_iam      19 items, 19 new",
        "k8s_rbac     27 items, 27 new",
        "terraform    15 items, 15 new",
        "incidents    7 items, 7 new",
    ] {
        assert!(text.contains(line), "missing `{line}` in\n{text}");
    }
    assert_eq!(count(ws, "k8s.rbac_binding"), 7);
    assert_eq!(count(ws, "tf.resource"), 15);
    assert_eq!(count(ws, "incident"), 3);
    assert_eq!(count(ws, "dr.test"), 2);
    assert_eq!(count(ws, "backup.job"), 2);

    // Re-collecting unchanged exports stores nothing.
    let again = assay(ws, &["collect"]);
    assert_eq!(code(&again), 0, "{}", stderr(&again));
    assert!(
        stdout(&again).contains("k8s_rbac     27 items, 0 new"),
        "{}",
        stdout(&again)
    );

    let check = assay(ws, &["check", "--at", CHECK_AT]);
    assert_eq!(code(&check), 1, "{}", stderr(&check));
    // Reasons wrap at the terminal width: compare with whitespace collapsed.
    let text = stdout(&check)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for want in [
        // The data-science group (GCP and Kubernetes) and dana can deploy to production.
        "FAIL DEP-03 Segregation of duties",
        "serving:fraud-api: data scientists can change production: Group:data-science can patch apps/deployments",
        "group:data-science@kestrel.ai can aiplatform.endpoints.deploy",
        "user:dana@kestrel.ai can aiplatform.endpoints.deploy",
        // The ML platform group reads the raw PII bucket.
        "FAIL STO-02",
        "dataset:raw-events: access exceeds the role matrix: group:ml-platform@kestrel.ai (ml-engineer) can read personal data",
        // SSE-S3 on the legacy bucket; the research scratch bucket has no public access block.
        "FAIL STO-01",
        "tf:aws_s3_bucket.legacy (kestrel-legacy-models): encrypted only with provider-default keys (AES256)",
        "FAIL STO-03",
        "tf:module.data.aws_s3_bucket.scratch (kestrel-research-scratch): public access is not blocked",
        // The newest backup job failed; the serving failover missed its RTO; an incident was never triaged.
        "store:model-artifacts: backup job 7a1c-02 did not complete",
        "serving:fraud-api: restore test DR-2026-Q2 on 2026-05-14 failed",
        "incident INC-2026-021 (Extraction-like query pattern from tenant 4411): never triaged",
        // The gateway's Auto Scaling group is pinned at three instances.
        "tf:aws_autoscaling_group.gateway: ec2 gateway cannot scale (min 3, max 3)",
    ] {
        assert!(text.contains(want), "missing `{want}` in\n{text}");
    }
}

#[test]
fn a_malformed_export_exits_2_naming_file_and_line_and_stores_nothing() {
    let t = workspace();
    let ws = t.path();
    let out = assay(ws, &["collect"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let before = count(ws, "k8s.rbac_binding");
    std::fs::write(
        ws.join("exports/k8s-rbac-list.yaml"),
        "kind: Role\nmetadata:\n  name: broken\n  namespace: serving\nrules:\n- verbs: [get\n",
    )
    .expect("write");
    let out = assay(ws, &["collect", "--source", "k8s_rbac"]);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("k8s-rbac-list.yaml") && err.contains("line "),
        "{err}"
    );
    assert_eq!(count(ws, "k8s.rbac_binding"), before, "nothing stored");

    std::fs::write(
        ws.join("ops/incidents.csv"),
        "id,detected_at\nINC-1,next week\n",
    )
    .expect("write");
    let out = assay(ws, &["collect", "--source", "incidents"]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains("incidents.csv") && err.contains("row 1 (line 2)"),
        "{err}"
    );
}
