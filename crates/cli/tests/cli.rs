//! End-to-end tests of the `assay` binary: exit codes, messages and output, with inline snapshots.
//! Temporary directories are redacted to `[TMP]` so snapshots are stable.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use insta::assert_snapshot;

fn assay(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_assay"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env_remove("ASSAY_CONFIG")
        .env("ASSAY_NOW", "2026-12-01T12:00:00Z")
        .env_remove("ASSAY_COLOR")
        .output()
        .expect("run assay")
}

/// Exit code, stdout and stderr in one string, temp paths redacted.
fn render(out: &Output, tmp: &Path) -> String {
    let text = format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    text.replace(&tmp.display().to_string(), "[TMP]")
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

const WHITELIST: &str = "CC1.1 CC1.2 CC1.3 CC1.4 CC1.5 CC2.1 CC2.2 CC2.3 CC3.1 CC3.2 CC3.3 CC3.4 CC4.1 CC4.2 \
CC5.1 CC5.2 CC5.3 CC6.1 CC6.2 CC6.3 CC6.4 CC6.5 CC6.6 CC6.7 CC6.8 CC7.1 CC7.2 CC7.3 CC7.4 CC7.5 CC8.1 \
CC9.1 CC9.2 A1.1 A1.2 A1.3 C1.1 C1.2 PI1.1 PI1.2 PI1.3 PI1.4 PI1.5 P1.1 P2.1 P3.1 P3.2 P4.1 P4.2 P4.3 \
P5.1 P5.2 P6.1 P6.2 P6.3 P6.4 P6.5 P6.6 P6.7 P7.1 P8.1";

#[test]
fn catalog_criteria_json_lists_exactly_the_61_real_ids() {
    let t = tmp();
    let out = assay(t.path(), &["catalog", "criteria", "--json"]);
    assert_eq!(code(&out), 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let ids: Vec<&str> = v["criteria"]
        .as_array()
        .expect("criteria array")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    let want: Vec<&str> = WHITELIST.split_whitespace().collect();
    assert_eq!(ids, want);
    assert_eq!(v["count"], 61);
}

#[test]
fn catalog_criteria_filters_by_category() {
    let t = tmp();
    let out = assay(
        t.path(),
        &["catalog", "criteria", "--category", "privacy", "--json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["count"], 18);
    let bad = assay(
        t.path(),
        &["catalog", "criteria", "--category", "integrity"],
    );
    assert_eq!(code(&bad), 2);
}

#[test]
fn catalog_show_cc72_describes_anomaly_monitoring() {
    let t = tmp();
    let out = assay(t.path(), &["catalog", "show", "CC7.2"]);
    assert_snapshot!(render(&out, t.path()), @"
    exit: 0
    --- stdout
    CC7.2  Monitoring for anomalies
    Security · CC7 System operations · supplemental criterion

    System components and their operation are monitored for anomalies that could indicate malicious
    acts, natural disasters or errors, and each anomaly is analysed to decide whether it is a security
    event. For an AI/ML company this can include unusual access to training data, unexpected spikes in
    inference traffic or signs of model extraction, alongside ordinary infrastructure alerts.

    Controls (5)
      INF-02  Every inference request is logged
      INF-03  Anomaly and model-extraction detection with alert handling
      MON-01  Drift and performance monitoring with thresholds and alerts
      MON-02  Availability and latency monitoring with on-call alerting
      MON-04  Security event monitoring and triage

    AI risks that threaten it (3)
      RISK-EXTRACTION  Model extraction or theft through the inference API
          Extraction shows up only as an anomalous pattern of queries, which must be spotted in
          operation and analysed as a possible security event.
      RISK-DRIFT  Model performance drift
          A shift in input or prediction distributions is an anomaly in how a component operates; it
          must be detected and analysed, since it may also signal an error upstream or deliberate
          manipulation.
      RISK-ADVERSARIAL-INPUT  Adversarial and prompt-injection inputs
          Campaigns of adversarial inputs appear as anomalous traffic that must be detected and
          analysed.
    --- stderr
    ");
}

#[test]
fn catalog_show_rejects_fake_criteria() {
    let t = tmp();
    let cc69 = assay(t.path(), &["catalog", "show", "CC6.9"]);
    assert_snapshot!(render(&cc69, t.path()), @"
    exit: 2
    --- stdout
    --- stderr
      × `CC6.9` is not a Trust Services Criterion: series CC6 has 8 criteria (CC6.1 to CC6.8); CC6.9
      │ does not exist
      help: ids are criteria (CC7.2), risks (RISK-DRIFT) or controls (see `assay catalog controls`)
    ");
    let pp11 = assay(t.path(), &["catalog", "show", "PP1.1"]);
    assert_snapshot!(render(&pp11, t.path()), @"
    exit: 2
    --- stdout
    --- stderr
      × `PP1.1` is not a Trust Services Criterion: PP1.1 is a known typo (from an open-source catalog)
      │ for PI1.1, Processing Integrity; write PI1.1
      help: ids are criteria (CC7.2), risks (RISK-DRIFT) or controls (see `assay catalog controls`)
    ");
    for fake in ["P1.2", "A1.4", "P1.0", "CC8.2"] {
        let out = assay(t.path(), &["catalog", "show", fake]);
        assert_eq!(code(&out), 2, "{fake}");
        assert!(out.stdout.is_empty(), "{fake}: nothing on stdout");
    }
}

#[test]
fn catalog_show_risk_and_control_map_both_ways() {
    let t = tmp();
    let risk = assay(
        t.path(),
        &["catalog", "show", "RISK-UNAPPROVED-DEPLOY", "--json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&risk.stdout).expect("json");
    let controls: Vec<&str> = v["risk"]["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    assert!(controls.contains(&"DEP-01"), "{controls:?}");
    let control = assay(t.path(), &["catalog", "show", "DEP-01"]);
    assert_snapshot!(render(&control, t.path()), @"
    exit: 0
    --- stdout
    DEP-01  Approved change ticket for every production model deployment
    stage: deployment · frequency: per-event · nature: automated

    Every deployment of a model to production references a change ticket that was approved before the
    deployment, by someone other than the author of the change. Assay reconciles the population of
    production deployments against change tickets and fails each deployment with no ticket, an approval
    after the deployment time, or an approver who is also the requester or the model's author.

    Criteria
      CC8.1  Controlled change lifecycle

    Risks it mitigates
      RISK-UNAPPROVED-DEPLOY  Unapproved model deployment

    Evidence
      deployment             A model or service deployment to an environment: what, when, by whom, under which ticket.
      change.ticket          A change ticket (for example a Jira issue) with requester, approver and approval time.
      change.pull_request    A pull request with its author, reviews, merger and merge commit.
      gto.stage_assignment   A GTO stage assignment, unassignment or deprecation of a model version.

    Test: controls/DEP-01.rego
    --- stderr
    ");
}

#[test]
fn catalog_controls_meet_the_floor_and_filter() {
    let t = tmp();
    let all = assay(t.path(), &["catalog", "controls", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&all.stdout).expect("json");
    assert!(v["count"].as_u64().expect("count") >= 45);
    let cc81 = assay(
        t.path(),
        &["catalog", "controls", "--criterion", "CC8.1", "--json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&cc81.stdout).expect("json");
    for c in v["controls"].as_array().expect("controls") {
        let criteria = c["criteria"].as_array().expect("criteria");
        assert!(criteria.iter().any(|x| x == "CC8.1"), "{c}");
    }
    let fake = assay(t.path(), &["catalog", "controls", "--criterion", "CC6.9"]);
    assert_eq!(code(&fake), 2);
}

#[test]
fn init_then_scope_check_passes_in_an_empty_directory() {
    let t = tmp();
    let init = assay(t.path(), &["init", "--name", "Acme Scoring"]);
    assert_snapshot!(render(&init, t.path()), @"
    exit: 0
    --- stdout
    Wrote assay.toml
    Describe your components, subservice organisations and teams in it, then run assay scope check
    --- stderr
    ");
    let check = assay(t.path(), &["scope", "check"]);
    assert_snapshot!(render(&check, t.path()), @"
    exit: 0
    --- stdout
    Checked assay.toml — Acme Scoring
      categories: security, availability, confidentiality · 3 components (3 in scope) · 1 subservice organisation

    AI risks per in-scope component
      service:inference-api  inference   6 risks, each with operated controls
      pipeline:training      training    9 risks, each with operated controls
      registry:models        registry    7 risks, each with operated controls

    0 errors, 0 warnings
    (-v lists the controls for each risk)
    --- stderr
    ");
}

#[test]
fn init_never_overwrites_without_force() {
    let t = tmp();
    std::fs::write(t.path().join("assay.toml"), "# mine\n").expect("write");
    let out = assay(t.path(), &["init"]);
    assert_eq!(code(&out), 2);
    assert_eq!(
        std::fs::read_to_string(t.path().join("assay.toml")).expect("read"),
        "# mine\n"
    );
    let forced = assay(t.path(), &["init", "--force"]);
    assert_eq!(code(&forced), 0);
    assert!(
        std::fs::read_to_string(t.path().join("assay.toml"))
            .expect("read")
            .contains("[system]")
    );
}

#[test]
fn malformed_description_exits_2_naming_the_line() {
    let t = tmp();
    std::fs::write(
        t.path().join("assay.toml"),
        "[system]\nname = \"x\"\nservice = \"Customers send data and get scores.\"\ncriteria = [\"security\"]\n\n[[component]]\nid = \"api\"\nstage = \"serving\"\nin_scope = true\n",
    )
    .expect("write");
    let out = assay(t.path(), &["scope", "check"]);
    assert_snapshot!(render(&out, t.path()), @r#"
    exit: 2
    --- stdout
    --- stderr
    assay::scope::parse

      × assay.toml is not a valid system description (line 8, column 9)
       ╭─[assay.toml:8:9]
     7 │ id = "api"
     8 │ stage = "serving"
       ·         ────┬────
       ·             ╰── unknown variant `serving`, expected one of `ingestion`, `training`, `registry`, `deployment`, `inference`, `storage`, `monitoring`, `supporting`, `people`
     9 │ in_scope = true
       ╰────
      help: fix the line shown; `assay scope schema` prints the JSON Schema of every field
    "#);
}

#[test]
fn missing_description_exits_2_with_a_hint() {
    let t = tmp();
    let out = assay(t.path(), &["scope", "check"]);
    assert_eq!(code(&out), 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("assay.toml"), "{err}");
    assert!(err.contains("assay init"), "{err}");
    let json = assay(t.path(), &["scope", "check", "--json"]);
    assert_eq!(code(&json), 2);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json error on stdout");
    assert_eq!(v["error"]["exit_code"], 2);
    assert!(
        v["error"]["help"]
            .as_str()
            .expect("help")
            .contains("assay init")
    );
}

#[test]
fn scope_errors_exit_1_with_codes() {
    let t = tmp();
    std::fs::write(
        t.path().join("assay.toml"),
        "[system]\nname = \"x\"\nservice = \"Customers send data and get scores.\"\ncriteria = [\"availability\"]\n\n[[component]]\nid = \"store:raw\"\nstage = \"storage\"\nin_scope = false\nholds = [\"pii\"]\n",
    )
    .expect("write");
    let out = assay(t.path(), &["scope", "check", "--json"]);
    assert_eq!(code(&out), 1);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().expect("code"))
        .collect();
    assert!(codes.contains(&"E001"), "{codes:?}");
    assert!(codes.contains(&"E004"), "{codes:?}");
}

#[test]
fn config_flag_and_env_point_at_another_file() {
    let t = tmp();
    let sub = t.path().join("sub");
    std::fs::create_dir(&sub).expect("mkdir");
    let out = assay(t.path(), &["init", "--config", "sub/system.toml"]);
    assert_eq!(code(&out), 0);
    let check = Command::new(env!("CARGO_BIN_EXE_assay"))
        .args(["scope", "check", "-q"])
        .current_dir(t.path())
        .env("ASSAY_CONFIG", "sub/system.toml")
        .output()
        .expect("run");
    assert_eq!(
        code(&check),
        0,
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn demo_builds_a_workspace_and_reports_the_planted_warnings() {
    let t = tmp();
    let out = assay(t.path(), &["demo"]);
    // The demo's signing key is fresh every run: redact its key hash.
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"kestrel-labs\+[0-9a-f]{8}", "kestrel-labs+[KEY]");
    let _guard = settings.bind_to_scope();
    assert_snapshot!(render(&out, t.path()), @r#"
    exit: 0
    --- stdout
    Built assay-demo — Kestrel Labs, a fictional AI company
      parts: company, governance, data platform, datasets, ML platform, serving, corporate IT and people, vendors, ML history (git, DVC, GTO, LFS, OpenLineage), operations (IAM export, model files), infrastructure (Terraform state, IAM credential report), change management and security operations (pull requests, tickets, deployments, access reviews, scans)
      files: .assay-demo, README.md, assay.toml, datasets/curated/2025-06/part-0.csv, datasets/curated/2025-06/part-1.csv, datasets/curated/README.md, datasets/current.csv, datasets/ingest-rules.toml, datasets/reference.csv, datasets/training-extract.csv, evaluations/fraud-scorer-v1.2.0.json, exports/access-reviews.csv, exports/credential-report.csv, exports/deployments.jsonl, exports/github/score-api-pulls.json, exports/iam-authorization-details.json, exports/jira/changes.json, exports/terraform-state.json, lineage/etl-events.jsonl, models/fraud-scorer.safetensors, models/legacy-scorer.pkl, policies/acceptable-ai-use.md, policies/data-retention.md, policies/incident-response.md, policies/information-security.md, repos/fraud-model.git/ (git repository), scans/2026-10-05/osv-scanner.json, scans/latest/osv-scanner.json

    Checked assay-demo/assay.toml — Kestrel Fraud Scoring API
      categories: security, availability, processing_integrity, confidentiality, privacy · 21 components (20 in scope) · 3 subservice organisations

    warning[W102 research-in-scope] assay-demo/assay.toml:127  sandbox:research-hub
      research component `sandbox:research-hub` is in scope: every control then applies to experiments too
      hint: keep research out of scope with a reason, and gate promotion to production through an in-scope pipeline

    warning[W104 component-without-owner] assay-demo/assay.toml:165  monitor:drift
      in-scope component `monitor:drift` has no owner
      hint: add `owner = "team"`; auditors ask who is accountable for each component

    AI risks per in-scope component
      feed:partner-banks               ingestion   6 risks, each with operated controls
      pipeline:ingest                  ingestion   6 risks, each with operated controls
      store:raw-transactions           storage     6 risks, each with operated controls
      store:curated-features           storage     6 risks, each with operated controls
      export:labeling                  ingestion   6 risks, each with operated controls
      pipeline:train                   training    9 risks, each with operated controls
      tracking:mlflow                  training    9 risks, each with operated controls
      registry:models                  registry    7 risks, each with operated controls
      pipeline:deploy                  deployment  4 risks, each with operated controls
      store:model-backups              storage     6 risks, each with operated controls
      sandbox:research-hub             training    9 risks, each with operated controls
      gateway:inference                inference   6 risks, each with operated controls
      service:score-api                inference   6 risks, each with operated controls
      service:explanations             inference   6 risks, each with operated controls
      monitor:drift                    monitoring  3 risks, each with operated controls
      monitor:observability            monitoring  3 risks, each with operated controls
      platform:identity                supporting  4 risks, each with operated controls
      platform:source-control          supporting  4 risks, each with operated controls
      platform:vulnerability-scanning  supporting  4 risks, each with operated controls
      process:people-ops               people      2 risks, each with operated controls

    0 errors, 2 warnings
    (-v lists the controls for each risk)

    Evidence ledger
      4 policy documents recorded as manual evidence (#0–#3)
      checkpoint signed at size 4 by assay.local/kestrel-labs+[KEY]
      verify: clean (4 items, 1 checkpoint, 4 attachments)

    Data controls
      drift: DATASET DRIFT — 2 of 4 columns drifted: amount (wasserstein 0.417), merchant_category (jensenshannon 0.172); model degraded: accuracy 0.999→0.876, precision 0.986→0.264, recall 0.986→0.810, f1 0.986→0.398, roc_auc 1.000→0.929 (datasets/drift-report.html)
      validation: 1 of 12 rules fail — not_null device_id: 4.36% null; allowed 1.00%
      PII scan of datasets/training-extract.csv: 164 findings (AWS_ACCESS_KEY 8, CREDIT_CARD 8, EMAIL_ADDRESS 100, IBAN_CODE 8, PHONE_NUMBER 40)
      pseudonymised 164 values into datasets/training-extract.pseudonymised.csv; re-scan finds 0
      snapshot fraud-features v2025.06 (3 files, root 3d6188b82e57…): CHANGED after recording — 2025-06/part-1.csv modified, 0 added, 0 removed
      fairness by region: demographic_parity_difference 0.001, equal_opportunity_difference 0.012, disparate_impact_ratio 0.996
      9 recorded as evidence (#4–#12); checkpoint signed at size 13

    Collected from the fraud model's git history
      git             16 items, 16 new
      dvc             19 items, 19 new
      gto             9 items, 9 new
      lfs             3 items, 3 new
      openlineage     6 items, 6 new
      aws_iam         16 items, 16 new
      model_files     2 items, 2 new
      github          2 items, 2 new
      jira            3 items, 3 new
      deployments     6 items, 6 new
      access_reviews  4 items, 4 new
      vulnerabilities 5 items, 5 new
      terraform       15 items, 15 new
      checkpoint signed at size 119
      and 1 model.evaluation item from the training pipeline's evaluation reports (#119)

    Trace of fraud-scorer#prod   (the planted broken link: fraud-scorer@v1.1.0, 1 finding)
    fraud-scorer v1.2.0 (gto registry)
      stage now:  prod, staging

    Artifact
      path:       models/model.pkl
      identity:   lfs-oid sha256:4440cc2b1d625f19801b350647d50b52c41419f482d277765c840dd409c1289b   [#56 #59]
      identity:   dvc-md5 85e672d240d7e5c3da2d0a958537be4f   [#45]

    Registry history
      2025-03-20T11:00:00Z  register v1.2.0 by Alice Moreau <alice@kestrel-labs.example>   [#56]
      2025-03-20T12:00:00Z  assign staging by Alice Moreau <alice@kestrel-labs.example>   [#52]
      2025-03-22T11:00:00Z  assign prod by Ben Okafor <ben@kestrel-labs.example>   [#49]

    Training run
      dvc-stage: train (dvc.lock at 4914054631)   [#45]
      cmd:        python src/train.py
      param       train.learning_rate = 0.05
      param       train.max_depth = 8
      param       train.n_estimators = 500
      param       train.seed = 42

    Code
      commit:     4914054631a2f9de0530a251487c784286063a12 (fraud-model)   [#16 #56]
      author:     Alice Moreau <alice@kestrel-labs.example>, 2025-03-20T10:00:00Z
      message:    March export; commit the class weights used for training
      signed:     no
      dirty tree: no

    Pipeline (upstream first)
      prepare: python src/prepare.py data/transactions.csv   [#43]
      featurize: python src/featurize.py   [#44]
      train: python src/train.py   [#45]

    Datasets
      data/features (input of train)   [#45]
          dvc-md5 4c61fe8ddd475a14acc68b80cf5a9964.dir
          produced by stage featurize
      data/prepared (input of featurize)   [#44]
          dvc-md5 b6e1987d023ba7591ca94659f2f96119.dir
          produced by stage prepare
      data/transactions.csv (input of prepare)   [#42 #43]
          dvc-md5 4501f2df04cbf366e87ee88166e8a0fc
          dvc-file data/transactions.csv.dvc at 4914054631
          openlineage-version 4501f2df04cbf366e87ee88166e8a0fc (OpenLineage dataset version: as reported by the job)
          produced by job kestrel.etl/export_transactions

    Upstream jobs
      kestrel.etl/export_transactions run 01943a6e-7b1c-7d2e-8f00-000000000003 COMPLETE at 2025-03-19T10:00:00Z   [#65]
          code: https://git.kestrel-labs.example/data/etl @ 289149886d

    Deployments and approvals
      2026-10-14T16:20:00Z  production  by ci-deployer  ticket CHG-1201  commit 5d1e0c7a9b  digest sha256:4440cc2b1d62… = artifact  (log)   [#89]
      2026-11-09T21:47:00Z  production  by omar.haddad@kestrel-labs.example  ticket CHG-1215  commit c3b2a1f0e9  digest sha256:4440cc2b1d62… = artifact  (log)   [#90]
      2026-11-21T03:12:00Z  production  by maya.chen@kestrel-labs.example  ticket CHG-1219  commit e1d2c3b4a5  digest sha256:c0ffee5e1f0d… ≠ artifact (a different file was deployed)  (log)   [#91]
      2026-11-25T10:00:00Z  staging  by ci-deployer  no ticket  commit e1d2c3b4a5  digest sha256:c0ffee5e1f0d… ≠ artifact (a different file was deployed)  (log)   [#92]
      2025-03-22T11:00:00Z  prod  by ben@kestrel-labs.example  ticket CHG-1187  commit 4914054631  (gto)   [#94]

    Chain complete: every link is backed by ledger evidence.

    Check today: 8 pass · 16 fail · 43 not verifiable · 0 not applicable (stored as check.result #120)
    Readiness by category
      Security                 2/33  criteria ready (  6%)   controls: 5 pass · 13 fail · 30 not verifiable · 0 n/a
          no passing control: CC1.1 CC1.2 CC1.3 CC1.4 CC1.5 CC2.1 CC2.3 CC3.1 CC3.2 CC3.3 CC3.4 CC4.1
          CC4.2 CC5.1 CC6.2 CC6.4 CC6.5 CC6.7 CC6.8 CC7.1 CC7.2 CC7.3 CC7.4 CC7.5 CC9.1 CC9.2
      Availability             0/3   criteria ready (  0%)   controls: 0 pass · 1 fail · 5 not verifiable · 0 n/a
          no passing control: A1.1 A1.2 A1.3
      Processing Integrity     0/5   criteria ready (  0%)   controls: 2 pass · 3 fail · 10 not verifiable · 0 n/a
          no passing control: PI1.2 PI1.4 PI1.5
      Confidentiality          0/2   criteria ready (  0%)   controls: 3 pass · 0 fail · 4 not verifiable · 0 n/a
          no passing control: C1.2
      Privacy                  1/18  criteria ready (  6%)   controls: 2 pass · 1 fail · 11 not verifiable · 0 n/a
          no passing control: P1.1 P2.1 P3.1 P3.2 P4.3 P5.1 P5.2 P6.1 P6.2 P6.3 P6.4 P6.5 P6.6 P6.7 P7.1
          P8.1
      FAIL ING-01: pipeline:ingest: batch datasets/current.csv failed validation (#6): 4.36% null; allowed 1.00%
      FAIL ING-05: pipeline:ingest: load #6 checked no consent rule
      FAIL TRN-02: snapshot fraud-features@v2025.06 changed after it was recorded (#11): 2025-06/part-1.csv
      FAIL REG-02: models/legacy-scorer.pkl is dangerous: posix.system (dangerous)
      FAIL DEP-01: model:fraud-scorer v1.2.0 to production on 2026-11-09 by omar.haddad@kestrel-labs.example: ticket CHG-1215 was approved by the deployer omar.haddad@kestrel-labs.example; ticket CHG-1215 was approved by its own requester omar.haddad@kestrel-labs.example; pull request #219 was approved only by its author omar-haddad; model:fraud-scorer v1.2.0 to production on 2026-11-21 by maya.chen@kestrel-labs.example: ticket CHG-1219 is not approved (Pending)
      FAIL DEP-02: model:fraud-scorer v1.2.0 to production on 2026-11-21: deployed sha256:c0ffee5e1f0d…, but fraud-scorer@v1.2.0 registered sha256:4440cc2b1d62…: a different artifact is running
      FAIL DEP-03: service:score-api: data scientists can change production: arn:aws:iam::210987654321:user/maya.chen can sagemaker:UpdateEndpoint (DataScienceSageMaker#Notebooks); arn:aws:iam::210987654321:user/omar.haddad can sagemaker:UpdateEndpoint (DataScienceSageMaker#Notebooks)
      FAIL STO-06: sandbox:research-hub: SageMaker notebook research-hub-gpu has direct internet access (direct_internet_access is Enabled)
      FAIL MON-01: service:score-api: drift detected in report #4 (columns: amount, merchant_category) and alert #5 is still open
      FAIL MON-02: service:score-api: 1 of 1 alert(s) still open (#5)
      FAIL SUP-01: AWS account 210987654321: console sign-in without MFA: omar.haddad (line 4)
      FAIL SUP-03: store:curated-features: last access review 2026-07-14 by sofia.rossi@kestrel-labs.example (14 accounts, 0 removed) is 140 days old, more than a quarter (92 days)
      FAIL SUP-04: torch 2.1.0: GHSA-pg7h-5qx3-wjr3 (critical) open 57 days since 2026-10-05, past the 7-day deadline; fixed in 2.2.0
      FAIL SUP-05: pipeline:train: scan #7 found credentials (AWS_ACCESS_KEY: 8) with no recorded rotation
      FAIL SUP-10: tf:aws_vpc_security_group_ingress_rule.research_hub_ssh (research-hub): opens to the internet: tcp 22 (0.0.0.0/0)
      FAIL SUP-11: store:curated-features (kestrel-curated-features): accepts plain HTTP requests: no bucket policy statement denies s3:* when aws:SecureTransport is false
      1 controls cannot be seen because their source is not configured, e.g. SUP-06: source not
      configured: add [source.incidents] to assay.toml to collect dr.test, backup.job

    Type 2 over 2026-06-01 .. 2026-11-30 (the six months before this one)
      2 effective · 0 effective with exceptions · 3 ineffective · 7 not occurring · 55 not verifiable
      FAIL DEP-01: ineffective: 2 exception(s) in 3 event(s) (66.7% deviation rate)
          - 2026-11-09 failed: model:fraud-scorer v1.2.0 to production on 2026-11-09 by
            omar.haddad@kestrel-labs.example: ticket CHG-1215 was approved by the deployer
            omar.haddad@kestrel-labs.example; ticket CHG-1215 was approved by its own requester
            omar.haddad@kestrel-labs.example; pull request #219 was approved only by its author
            omar-haddad
          - 2026-11-21 failed: model:fraud-scorer v1.2.0 to production on 2026-11-21 by
            maya.chen@kestrel-labs.example: ticket CHG-1219 is not approved (Pending)
      FAIL DEP-02: ineffective: 1 exception(s) in 3 event(s) (33.3% deviation rate)
          - 2026-11-21 failed: model:fraud-scorer v1.2.0 to production on 2026-11-21: deployed
            sha256:c0ffee5e1f0d…, but fraud-scorer@v1.2.0 registered sha256:4440cc2b1d62…: a
            different artifact is running
      FAIL SUP-04: ineffective: 182 exception(s) in 183 expected occurrence(s) (99.5% deviation rate)
          - 2026-06-01 to 2026-10-04 missed: 126 expected occurrences with none found
          - 2026-10-06 to 2026-11-30 missed: 56 expected occurrences with none found
      checkpoint signed at size 121; verify: clean (121 items, 4 checkpoints, 5 attachments)

    Next
      cd assay-demo && assay scope check -v
      assay evidence list
      assay verify
      assay trace fraud-scorer@v1.1.0
      assay check --since-last
      assay check --period 2026-06-01..2026-11-30
      assay catalog show RISK-EXTRACTION
      assay init   # describe your own system
    --- stderr
    "#);
    // Running it again replaces the earlier demo, also from inside it: the directory itself stays (same
    // inode), so the caller's working directory still exists afterwards.
    let again = assay(t.path(), &["demo", "-q"]);
    assert_eq!(code(&again), 0);
    let inside = t.path().join("assay-demo");
    let before = std::fs::metadata(&inside).expect("demo dir");
    let from_inside = assay(&inside, &["demo", "-q", "."]);
    assert_eq!(
        code(&from_inside),
        0,
        "{}",
        String::from_utf8_lossy(&from_inside.stderr)
    );
    {
        use std::os::unix::fs::MetadataExt;
        let after = std::fs::metadata(&inside).expect("demo dir still there");
        assert_eq!(
            before.ino(),
            after.ino(),
            "the directory was emptied, not replaced"
        );
    }
    assert!(inside.join("assay.toml").is_file());
    // But it never clears a directory it did not make.
    std::fs::create_dir(t.path().join("mine")).expect("mkdir");
    std::fs::write(t.path().join("mine/notes.txt"), "keep").expect("write");
    let refused = assay(t.path(), &["demo", "mine"]);
    assert_eq!(code(&refused), 2);
    assert!(t.path().join("mine/notes.txt").exists());
}

#[test]
fn completions_are_generated_for_each_shell() {
    let t = tmp();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = assay(t.path(), &["completions", shell]);
        assert_eq!(code(&out), 0, "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains("assay"), "{shell}");
        assert!(script.contains("catalog"), "{shell}");
    }
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let t = tmp();
    assert_eq!(code(&assay(t.path(), &["no-such-command"])), 2);
    assert_eq!(code(&assay(t.path(), &["--help"])), 0);
    assert_eq!(code(&assay(t.path(), &["--version"])), 0);
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let t = tmp();
    let mut child = Command::new(env!("CARGO_BIN_EXE_assay"))
        .args(["catalog", "controls", "--json"])
        .current_dir(t.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Close our end before the child writes anything.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
