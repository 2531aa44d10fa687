//! The generated ledger of `bench/check.sh` (`examples/check_bench.rs`) and of the compiled-test
//! comparison (`tests/native.rs`): N items in the mix an AI company's ledger holds after ~300 days,
//! with references that resolve.

use assay_engine::{ComponentView, Item, ScopeView, TeamView};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

/// A small deterministic generator (xorshift64*), so every run builds the same ledger.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// True once in `n` draws.
    fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
}

/// Kinds and their weight per 1 000 items.
const MIX: &[(&str, u64)] = &[
    ("git.commit", 280),
    ("gateway.audit_batch", 150),
    ("mlflow.run", 110),
    ("drift.report", 60),
    ("dataset.validation", 60),
    ("change.pull_request", 35),
    ("mlflow.model_version", 30),
    ("pii.scan", 30),
    ("iam.effective_permission", 30),
    ("dataset.snapshot", 25),
    ("change.ticket", 25),
    ("vuln.finding", 25),
    ("deployment", 20),
    ("monitor.alert", 20),
    ("gateway.alert", 10),
    ("tf.resource", 10),
    ("model.file_scan", 8),
    ("fairness.report", 8),
    ("dvc.stage", 8),
    ("backup.job", 8),
    ("lfs.pointer", 5),
    ("pii.transform", 3),
    ("incident", 3),
    ("gateway.config", 2),
    ("access_review", 1),
    ("dr.test", 1),
    ("manual.document", 1),
    ("check.result", 1),
    ("training.record", 1),
];

fn sha(n: u64) -> String {
    format!(
        "{:016x}{:016x}{:08x}",
        n.wrapping_mul(0x9E37_79B9_7F4A_7C15),
        n,
        n as u32
    )
}

/// What earlier items left behind for later ones to reference.
#[derive(Default)]
struct State {
    commits: Vec<String>,
    runs: Vec<String>,
    snapshots: Vec<(String, String, String)>,
    tickets: u64,
    prs: Vec<(u64, String)>,
    drifting: Vec<(String, Timestamp)>,
}

fn recent<T: Clone>(rng: &mut Rng, list: &[T]) -> Option<T> {
    if list.is_empty() {
        return None;
    }
    let back = rng.below(list.len().min(64) as u64) as usize;
    list.get(list.len() - 1 - back).cloned()
}

fn push_bounded<T>(list: &mut Vec<T>, x: T) {
    if list.len() >= 4096 {
        list.drain(..2048);
    }
    list.push(x);
}

pub fn generate(n: u64, at: Timestamp) -> Vec<Item> {
    let total: u64 = MIX.iter().map(|(_, w)| w).sum();
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let mut st = State::default();
    let span = 300 * 86_400_i64;
    let start = at - SignedDuration::from_secs(span);
    let mut items = Vec::with_capacity(n as usize);
    for i in 0..n {
        let mut pick = rng.below(total);
        let mut kind = MIX[0].0;
        for (k, w) in MIX {
            if pick < *w {
                kind = k;
                break;
            }
            pick -= w;
        }
        // Appended in time order, over the 300 days before `at`.
        let observed_at = start + SignedDuration::from_secs((i as i64 * span) / n.max(1) as i64);
        let stamp = assay_engine::rfc3339(observed_at);
        let model = format!("model:m{}", rng.below(40));
        let dataset = format!("dataset:d{}", rng.below(60));
        let (subject, payload): (String, Value) = match kind {
            "git.commit" => {
                let c = sha(i);
                push_bounded(&mut st.commits, c.clone());
                (
                    format!("repo:r{}", rng.below(12)),
                    json!({"commit": c, "signed": !rng.one_in(500), "author": format!("dev{}@acme.ai", rng.below(80))}),
                )
            }
            "gateway.audit_batch" => (
                format!("endpoint:e{}", rng.below(8)),
                json!({"requests": 1000 + rng.below(5000), "blocked": rng.below(5), "window_minutes": 5}),
            ),
            "gateway.alert" => (
                format!("endpoint:e{}", rng.below(8)),
                json!({"pattern": "extraction", "status": if rng.one_in(10) { "open" } else { "resolved" }}),
            ),
            "gateway.config" => (
                format!("endpoint:e{}", rng.below(8)),
                json!({"auth": "oidc", "rate_limit_rpm": 600}),
            ),
            "mlflow.run" => {
                let run_id = format!("run-{i}");
                push_bounded(&mut st.runs, run_id.clone());
                let commit = recent(&mut rng, &st.commits).unwrap_or_else(|| sha(u64::MAX));
                let root = recent(&mut rng, &st.snapshots)
                    .map(|s| s.2)
                    .unwrap_or_else(|| sha(i + 7));
                let source = if rng.one_in(300) { "NOTEBOOK" } else { "JOB" };
                (
                    model.clone(),
                    json!({"run_id": run_id, "status": if rng.one_in(20) { "FAILED" } else { "FINISHED" }, "source_type": source,
                           "params": {"lr": "0.01", "epochs": "10"},
                           "git": {"commit": commit, "dirty": rng.one_in(400)},
                           "inputs": [{"name": "train", "content_sha256": root}]}),
                )
            }
            "mlflow.model_version" => {
                let run = recent(&mut rng, &st.runs).unwrap_or_else(|| "run-none".to_owned());
                (
                    model.clone(),
                    json!({"version": i.to_string(), "run_id": run,
                           "current_stage": if rng.one_in(8) { "Production" } else { "Staging" },
                           "aliases": if rng.one_in(16) { json!(["champion"]) } else { json!([]) }}),
                )
            }
            "dataset.snapshot" => {
                if !st.snapshots.is_empty() && rng.one_in(5) {
                    let (name, version, _) = recent(&mut rng, &st.snapshots).unwrap_or_default();
                    let intact = !rng.one_in(200);
                    (
                        format!("dataset:{name}"),
                        json!({"action": "verify", "name": name, "version": version, "intact": intact,
                               "modified": if intact { json!([]) } else { json!([{"path": "part-0001.parquet"}]) }}),
                    )
                } else {
                    let name = format!("d{}", rng.below(60));
                    let version = format!("v{i}");
                    let root = sha(i ^ 0xABCD);
                    push_bounded(
                        &mut st.snapshots,
                        (name.clone(), version.clone(), root.clone()),
                    );
                    (
                        format!("dataset:{name}"),
                        json!({"action": "snapshot", "name": name, "version": version, "merkle_root": root, "files": 12}),
                    )
                }
            }
            "drift.report" => {
                let drift = rng.one_in(50);
                if drift {
                    push_bounded(&mut st.drifting, (model.clone(), observed_at));
                }
                (
                    model.clone(),
                    json!({"dataset_drift": drift, "columns": [{"column": "amount", "drifted": drift}, {"column": "region", "drifted": false}],
                           "performance": {"degraded": false}}),
                )
            }
            "monitor.alert" => {
                // Mostly the handling of an earlier drift; otherwise a routine alert.
                let subject = st.drifting.pop().map(|d| d.0).unwrap_or(model.clone());
                (
                    subject,
                    json!({"status": if rng.one_in(15) { "open" } else { "resolved" }, "rule": "psi > 0.2"}),
                )
            }
            "dataset.validation" => {
                let ok = !rng.one_in(60);
                (
                    dataset.clone(),
                    json!({"passed": ok, "data": format!("batch-{i}"), "evaluated_rules": 3,
                           "results": [{"rule": "not_null", "column": "id", "passed": true},
                                       {"rule": "consent_given", "column": "consent", "passed": ok, "detail": "3 rows without consent"},
                                       {"rule": "range", "column": "amount", "passed": true}]}),
                )
            }
            "pii.scan" => {
                let findings = if rng.one_in(40) { 3 } else { 0 };
                let secret = rng.one_in(400);
                (
                    dataset.clone(),
                    json!({"total": findings + u64::from(secret), "by_entity": if secret { json!({"API_TOKEN": 1}) }
                           else if findings > 0 { json!({"EMAIL": findings}) } else { json!({}) }}),
                )
            }
            "pii.transform" => (
                dataset.clone(),
                json!({"mode": "pseudonymise", "columns": ["email"]}),
            ),
            "change.ticket" => {
                st.tickets += 1;
                let approved = !rng.one_in(100);
                (
                    "jira:CHG".to_owned(),
                    json!({"key": format!("CHG-{}", st.tickets), "approved": approved, "approval": if approved { "Approved" } else { "Pending" },
                           "approver": "lead@acme.ai", "reporter": format!("dev{}@acme.ai", rng.below(80)), "approved_at": stamp}),
                )
            }
            "change.pull_request" => {
                let number = i;
                let merge = recent(&mut rng, &st.commits).unwrap_or_else(|| sha(i));
                push_bounded(&mut st.prs, (number, merge.clone()));
                (
                    format!("repo:r{}", rng.below(12)),
                    json!({"number": number, "url": format!("https://github.com/acme/r/pull/{number}"), "merge_commit": merge,
                           "author": format!("dev{}@acme.ai", rng.below(80)), "approved_before_merge": !rng.one_in(150), "self_approved": false}),
                )
            }
            "deployment" => {
                let ticket = if st.tickets == 0 {
                    1
                } else {
                    st.tickets - rng.below(st.tickets.min(5))
                };
                let (pr, commit) = recent(&mut rng, &st.prs).unwrap_or((0, sha(0)));
                (
                    format!("service:s{}", rng.below(10)),
                    json!({"production": !rng.one_in(4), "environment": "production", "ticket": format!("CHG-{ticket}"),
                           "commit": commit, "pull_request": format!("#{pr}"), "version": format!("1.{i}"), "actor": "deploy-bot"}),
                )
            }
            "iam.effective_permission" => {
                let component = [
                    "training-cluster",
                    "feature-store",
                    "inference-api",
                    "raw-data",
                ][rng.below(4) as usize];
                let who = format!(
                    "arn:aws:iam::1:role/{}",
                    ["platform", "ml", "ds", "ci"][rng.below(4) as usize]
                );
                let action = [
                    "s3:GetObject",
                    "s3:PutObject",
                    "sagemaker:InvokeEndpoint",
                    "s3:ListBucket",
                ][rng.below(4) as usize];
                (
                    component.to_owned(),
                    json!({"principal_arn": who, "principal": who, "action": action, "decision": "allow",
                           "allowed_by": ["policy/base"], "public": if rng.one_in(500) { json!(true) } else { json!(false) }}),
                )
            }
            "tf.resource" => {
                let category = [
                    "storage_bucket",
                    "inference_endpoint",
                    "autoscaling",
                    "backup_plan",
                ][rng.below(4) as usize];
                (
                    format!("tf:{category}:{}", rng.below(30)),
                    json!({"category": category, "address": format!("aws_x.{i}"),
                           "facts": {"encryption": "aws:kms", "public_access_blocked": true, "bucket": format!("b{i}"),
                                     "kms_key": "arn:kms", "headroom": true, "service": "ecs", "target": "svc", "min": 2, "max": 8,
                                     "rules": [{"schedule": "cron(0 3 * * ? *)"}], "daily": true, "name": "nightly"}}),
                )
            }
            "vuln.finding" => {
                let target = format!("image:svc{}", rng.below(20));
                if rng.one_in(5) {
                    (
                        target.clone(),
                        json!({"scan": true, "target": target, "findings": 0, "scanner": "trivy"}),
                    )
                } else {
                    let first = assay_engine::rfc3339(
                        observed_at - SignedDuration::from_hours(24 * rng.below(40) as i64),
                    );
                    let severity = ["low", "medium", "high", "critical"][rng.below(4) as usize];
                    (
                        target.clone(),
                        json!({"target": target, "package": "openssl", "version": "3.0.1", "advisory": format!("CVE-2026-{i}"),
                               "severity": severity, "first_seen": first}),
                    )
                }
            }
            "incident" => (
                format!("service:s{}", rng.below(10)),
                json!({"id": format!("INC-{i}"), "title": "latency", "severity": "sev3", "triaged_at": stamp, "minutes_to_triage": 12,
                       "resolved_at": stamp, "has_post_mortem": true, "rotated": rng.one_in(3)}),
            ),
            "model.file_scan" => (
                format!("file:m{}.safetensors", rng.below(40)),
                json!({"verdict": if rng.one_in(100) { "suspicious" } else { "safe" }, "format": "safetensors", "findings": []}),
            ),
            "fairness.report" => (
                model.clone(),
                json!({"passed": !rng.one_in(50), "sensitive": "region", "groups": ["eu", "us"],
                       "metrics": [{"metric": "demographic_parity", "value": 0.04, "threshold": 0.1, "passed": true}]}),
            ),
            "dvc.stage" => (
                format!("repo:r{}", rng.below(12)),
                json!({"deps": [{"path": "data/raw", "hash": sha(i)}], "outs": [{"path": "data/clean", "hash": sha(i + 1)}]}),
            ),
            "lfs.pointer" => (
                format!("repo:r{}", rng.below(12)),
                json!({"oid": format!("sha256:{}", sha(i)), "path": "weights.bin"}),
            ),
            "backup.job" => (
                format!("system:db{}", rng.below(10)),
                json!({"id": format!("job-{i}"), "succeeded": !rng.one_in(100), "status": "COMPLETED", "vault": "main"}),
            ),
            "access_review" => (
                format!("system:db{}", rng.below(10)),
                json!({"date": stamp, "reviewer": "ciso@acme.ai", "population": 40, "removals": 2}),
            ),
            "dr.test" => (
                format!("system:db{}", rng.below(10)),
                json!({"id": format!("dr-{i}"), "passed": true, "rto_met": true, "rto_achieved_minutes": 20, "rto_target_minutes": 60}),
            ),
            "manual.document" => (
                format!("policy:p{}", rng.below(12)),
                json!({"title": "Policy", "approved_by": "CEO"}),
            ),
            "check.result" => ("assay:check".to_owned(), json!({"results": []})),
            _ => (
                format!("person:p{}", rng.below(50)),
                json!({"course": "security awareness"}),
            ),
        };
        items.push(Item {
            index: i,
            kind: kind.to_owned(),
            subject,
            locator: String::new(),
            observed_at,
            expires_at: (kind == "manual.document")
                .then(|| at + SignedDuration::from_hours(24 * 100)),
            payload: payload.into(),
        });
    }
    items
}

/// Components and teams as a small ML company describes them in `assay.toml`.
pub fn scope() -> ScopeView {
    let component = |id: &str, stage: &str, holds: &[&str]| ComponentView {
        id: id.to_owned(),
        stage: stage.to_owned(),
        environment: "production".to_owned(),
        in_scope: true,
        owner: None,
        holds: holds.iter().map(|h| (*h).to_owned()).collect(),
        retention_days: None,
    };
    let team = |name: &str, function: &str, who: &str| TeamView {
        name: name.to_owned(),
        function: function.to_owned(),
        principals: vec![format!("arn:aws:iam::1:role/{who}")],
    };
    ScopeView {
        components: vec![
            component("raw-data", "ingestion", &["pii"]),
            component("feature-store", "storage", &["pii"]),
            component("training-cluster", "training", &[]),
            component("registry", "registry", &[]),
            component("deploy-pipeline", "deployment", &[]),
            component("inference-api", "inference", &[]),
            component("monitoring", "monitoring", &[]),
        ],
        teams: vec![
            team("platform", "data-platform", "platform"),
            team("ml", "ml-engineer", "ml"),
            team("research", "data-scientist", "ds"),
        ],
        ..ScopeView::default()
    }
}
