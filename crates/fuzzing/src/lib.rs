//! # assay-fuzzing — one body per parser of outside input
//!
//! Every parser that reads bytes Assay does not control (files in a repository, exports, REST responses, model
//! files, datasets, rule files, `assay.toml`, signed notes and proofs, selectors typed on the command line) has
//! one function here that feeds it arbitrary bytes and asserts the invariants that are cheap to check: it never
//! panics, what it accepts survives a print-and-parse round trip, evidence a collector builds is evidence the
//! ledger accepts. The cargo-fuzz targets in `fuzz/` call these bodies under libFuzzer on nightly, and
//! `tests/replay.rs` calls the same bodies over the generated seed corpus and every crash input ever found, on
//! stable, as part of `scripts/test`.
//!
//! What this room must **not** do: hold parsing logic of its own (a body only calls a library's public entry
//! point and checks its answer), or be a dependency of any other crate. A body panics exactly when it finds a
//! bug; that is how libFuzzer and the replay test notice.

mod collect;
mod data;
mod ledger;
mod rest;
pub mod seeds;

use std::path::PathBuf;

/// A fuzz target: its name (also the file name under `fuzz/fuzz_targets/`) and its body.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub name: &'static str,
    /// What the body asserts, one sentence (shown by `scripts/fuzz` and in `docs/fuzzing.md`).
    pub asserts: &'static str,
    pub body: fn(&[u8]),
}

macro_rules! targets {
    ($($module:ident :: $name:ident => $asserts:literal,)*) => {
        $(pub use $module::$name;)*
        /// Every target, in the order `scripts/fuzz` runs them.
        pub const TARGETS: &[Target] = &[$(Target { name: stringify!($name), asserts: $asserts, body: $module::$name },)*];
    };
}

targets! {
    collect::dvc_yaml => "DVC yaml/lock/.dvc/params text: no panic; flattened params hold no nested non-empty table; md5 of text never panics",
    collect::gto_tag => "GTO tag names: an accepted tag, written back in GTO's syntax, parses to the same event",
    collect::git_commit => "git commit objects: no panic; bytes read in place give the payload the full decoder gives; payloads are canonical",
    collect::lfs_pointer => "Git LFS pointers: an accepted pointer, written back, parses to the same pointer",
    collect::openlineage_event => "OpenLineage JSON/JSONL: no panic; an ingested event validated, and the ledger accepts its evidence",
    collect::mlflow_json => "MLflow REST JSON: no panic; every evidence item built from a response is one the ledger accepts",
    collect::iam_export => "AWS IAM authorization-details export: no panic; evaluation and grants are deterministic",
    collect::iam_policy => "IAM policy documents and wildcards: no panic; a pattern without wildcards matches itself, `*` matches all",
    collect::credential_report => "IAM credential reports (CSV): no panic; the same answer twice; console access is the password flag, at most two active keys",
    collect::pickle_walk => "pickle opcode walker: no panic; walks never claim more bytes than the input holds",
    collect::model_file => "model-file scanner (pickle, zip, safetensors): no panic; size and SHA-256 describe the bytes",
    collect::source_config => "`[source.*]` tables of assay.toml: no panic when configuring collectors",
    collect::github_pulls => "GitHub pull-request exports (`gh api`): no panic; the same answer twice; never more pull requests than bytes",
    collect::jira_issues => "Jira search pages: no panic; the same answer twice",
    collect::deployment_log => "deployment logs (JSONL): no panic; the same answer twice; never more deployments than lines",
    collect::access_reviews => "access-review registers (CSV and JSON): no panic; the same answer twice",
    collect::vuln_report => "cargo audit / pip-audit / osv-scanner / npm audit reports: no panic; the same answer twice",
    collect::gcp_policy => "GCP IAM policies (`gcloud … get-iam-policy`): no panic; the same answer twice",
    collect::k8s_rbac => "Kubernetes RBAC YAML (lists and multi-document): no panic; the same answer twice",
    collect::terraform_show => "`terraform show -json` plans/states and HPA manifests: no panic; the same answer twice",
    collect::incident_records => "incident, restore-test and backup-job records (CSV, JSON, JSONL): no panic; the same answer twice",
    data::csv => "CSV reader: no panic; every row has one cell per header column; the fast piece parser agrees on the record count",
    data::jsonl => "JSONL reader: no panic; every row has one cell per known column and columns only grow",
    data::parquet => "Parquet reader: no panic; every row has one cell per schema column",
    data::validation_rules => "validation rules TOML: no panic loading, nor validating a small dataset with the rules",
    data::drift_config => "drift config TOML: no panic; every accepted per-column test name is known",
    data::pii_scan => "PII recognisers on arbitrary text: findings lie inside the text, scores in (0, 1]",
    data::pii_redact => "PII redaction of CSV/JSONL/text: no panic; redacting never grows the number of lines",
    ledger::evidence_canonical => "evidence decode: a valid decoded item re-encodes to the same bytes and the envelope reader agrees",
    ledger::envelope => "envelope reader on arbitrary bytes: no panic; it never yields more attachments than it counts",
    ledger::jcs => "RFC 8785 canonical JSON: canonicalising canonical output changes nothing",
    ledger::checkpoint_note => "checkpoint notes: no panic; an accepted note's body is where the text starts",
    ledger::proof_json => "inclusion proof JSON: no panic; a proof that verifies names its own index",
    rest::scope_toml => "assay.toml: no panic parsing, checking against the catalog or building the engine's scope view",
    rest::rego_cases => "Rego case files: no panic running arbitrary cases against a built-in control",
    rest::catalog_ids => "criterion/risk/control ids: no panic; a parsed criterion id prints back to what parses to it",
    rest::trace_selector => "trace selector: an accepted selector, written back, is the input",
}

/// The body of the target `name`.
pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}

/// The fixed clock every body uses.
pub(crate) fn now() -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_780_000_000).expect("a valid timestamp")
}

/// A scratch file for bodies whose parser reads a path: one folder per process, one file per thread and name.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("assay-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create the scratch folder");
    let thread = format!("{:?}", std::thread::current().id());
    let thread: String = thread.chars().filter(char::is_ascii_digit).collect();
    dir.join(format!("t{thread}-{name}"))
}

/// Split input at the first NUL: a structured part and a free part (action names, resources…).
pub(crate) fn split_nul(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}
