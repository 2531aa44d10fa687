//! The data controls in `assay demo`: drift, ingestion validation, PII before training (scan,
//! pseudonymise, re-scan), dataset immutability (snapshot, change, verify) and fairness, each run on
//! the demo's planted datasets with its findings recorded in the demo's ledger.

use std::fmt::Write as _;
use std::path::Path;

use jiff::Timestamp;
use serde::Serialize;
use serde_json::json;

use assay_data::drift::{DriftConfig, DriftOptions};
use assay_data::pii::{PseudonymKey, RedactMode, ScanOptions};
use assay_data::{drift, evidence, fairness, pii, snapshot, validate};
use assay_ledger::{Evidence, EvidenceKind, NoProgress};

use super::data_error;
use crate::commands::ledger::{ledger_error, open_ledger, signer};
use crate::demo::datasets;
use crate::diagnostics;
use crate::printer::style::{self, paint};

/// A demo-only pseudonymisation key, written to `.assay/keys/pseudonym.key` (0600 is the caller's job
/// in real use); it never appears in evidence.
const DEMO_KEY: &[u8] = b"kestrel-labs-demo-pseudonym-key-not-for-production";

#[derive(Debug, Serialize)]
pub struct DataDemo {
    pub findings: Vec<String>,
    pub evidence: Vec<u64>,
    pub checkpoint_size: Option<u64>,
}

impl DataDemo {
    pub fn text(&self) -> String {
        let mut out = format!("\n{}\n", paint(style::HEADING, "Data controls"));
        for f in &self.findings {
            let _ = writeln!(out, "  {f}");
        }
        let _ = write!(
            out,
            "  {} recorded as evidence (#{}–#{}){}",
            self.evidence.len(),
            self.evidence.first().copied().unwrap_or(0),
            self.evidence.last().copied().unwrap_or(0),
            self.checkpoint_size
                .map(|s| format!("; checkpoint signed at size {s}"))
                .unwrap_or_default()
        );
        out
    }
}

fn item(
    kind: EvidenceKind,
    subject: &str,
    command: &str,
    locator: &str,
    payload: &impl Serialize,
    now: Timestamp,
) -> Result<Evidence, miette::Report> {
    evidence::item(kind, subject, command, locator, payload, now).map_err(data_error)
}

fn bad(msg: String) -> miette::Report {
    diagnostics::error(msg, "this is a defect in the demo; please report it")
}

pub fn run(ws: &Path, now: Timestamp) -> Result<DataDemo, miette::Report> {
    let p = |rel: &str| ws.join(rel);
    let mut items = Vec::new();
    let mut findings = Vec::new();

    // Drift monitoring: last week's traffic against the training reference.
    let opts = DriftOptions {
        columns: ["amount", "merchant_category", "hour", "account_age_days"]
            .map(String::from)
            .to_vec(),
        target: Some("is_fraud".into()),
        prediction: Some("score".into()),
        config: DriftConfig::default(),
        histograms: true,
    };
    let report =
        drift::drift(&p(datasets::REFERENCE), &p(datasets::CURRENT), &opts).map_err(data_error)?;
    std::fs::write(
        p("datasets/drift-report.html"),
        super::html::drift_page(&report, now),
    )
    .map_err(|e| bad(format!("cannot write the drift page: {e}")))?;
    let drifted: Vec<String> = report
        .columns
        .iter()
        .filter(|c| c.drifted)
        .map(|c| format!("{} ({} {:.3})", c.column, c.test.name(), c.score))
        .collect();
    let degraded: Vec<String> = report
        .performance
        .iter()
        .flat_map(|p| p.metrics.iter().filter(|m| m.degraded))
        .map(|m| format!("{} {:.3}→{:.3}", m.metric, m.reference, m.current))
        .collect();
    findings.push(format!(
        "drift: {} — {} of {} columns drifted: {}; model degraded: {} (datasets/drift-report.html)",
        if report.dataset_drift {
            paint(style::ERROR, "DATASET DRIFT")
        } else {
            paint(style::OK, "no dataset drift")
        },
        report.drifted_columns,
        report.columns.len(),
        drifted.join(", "),
        if degraded.is_empty() {
            "no".into()
        } else {
            degraded.join(", ")
        }
    ));
    let mut payload = report.clone();
    for c in &mut payload.columns {
        c.histogram = None;
    }
    items.push(item(
        EvidenceKind::DriftReport,
        "service:score-api",
        "drift",
        datasets::CURRENT,
        &payload,
        now,
    )?);
    if report.failed() {
        items.push(item(
            EvidenceKind::MonitorAlert,
            "service:score-api",
            "drift",
            datasets::CURRENT,
            &json!({
                "monitor": "drift",
                "status": "open",
                "raised_at": now.to_string(),
                "reason": format!("{} of {} columns drifted; degraded metrics: {}", report.drifted_columns, report.columns.len(), degraded.join(", ")),
                "drifted_columns": report.columns.iter().filter(|c| c.drifted).map(|c| c.column.clone()).collect::<Vec<_>>(),
            }),
            now,
        )?);
    }

    // Ingestion validation of the same batch.
    let rules = validate::Rules::load(&p(datasets::RULES)).map_err(data_error)?;
    let v = validate::validate(
        &p(datasets::CURRENT),
        Path::new(datasets::RULES),
        &rules,
        Some(&p(datasets::REFERENCE)),
    )
    .map_err(data_error)?;
    let failed: Vec<String> = v
        .results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| {
            format!(
                "{} {}: {}",
                r.rule,
                r.column.clone().unwrap_or_default(),
                r.detail
            )
        })
        .collect();
    findings.push(format!(
        "validation: {} of {} rules fail{}",
        v.failed_rules,
        v.evaluated_rules,
        if failed.is_empty() {
            String::new()
        } else {
            format!(" — {}", failed.join("; "))
        }
    ));
    let mut vp = v.clone();
    vp.data = datasets::CURRENT.into();
    items.push(item(
        EvidenceKind::DatasetValidation,
        "pipeline:ingest",
        "validate",
        datasets::CURRENT,
        &vp,
        now,
    )?);

    // PII before training: scan the extract, pseudonymise it, scan the clean copy.
    let scan =
        pii::scan_paths(&[p(datasets::TRAINING)], &ScanOptions::default()).map_err(data_error)?;
    let per: Vec<String> = scan
        .by_entity
        .iter()
        .map(|(e, n)| format!("{e} {n}"))
        .collect();
    findings.push(format!(
        "PII scan of {}: {} findings ({})",
        datasets::TRAINING,
        scan.total,
        per.join(", ")
    ));
    let mut sp = scan.clone();
    sp.locations.clear();
    items.push(item(
        EvidenceKind::PiiScan,
        "pipeline:train",
        "scan",
        datasets::TRAINING,
        &sp,
        now,
    )?);
    let key_path = ws
        .join(assay_ledger::ledger::ASSAY_DIR)
        .join("keys")
        .join("pseudonym.key");
    std::fs::write(&key_path, DEMO_KEY)
        .map_err(|e| bad(format!("cannot write {}: {e}", key_path.display())))?;
    let key = PseudonymKey::new(DEMO_KEY).map_err(data_error)?;
    let clean = datasets::TRAINING.replace(".csv", ".pseudonymised.csv");
    let t = pii::redact_file(
        &p(datasets::TRAINING),
        &p(&clean),
        RedactMode::Pseudonymise,
        Some(&key),
        0.4,
    )
    .map_err(data_error)?;
    items.push(item(
        EvidenceKind::PiiTransform,
        "pipeline:train",
        "redact",
        datasets::TRAINING,
        &t,
        now,
    )?);
    let rescan = pii::scan_paths(&[p(&clean)], &ScanOptions::default()).map_err(data_error)?;
    findings.push(format!(
        "pseudonymised {} values into {clean}; re-scan finds {}",
        t.replaced, rescan.total
    ));
    let mut rp = rescan.clone();
    rp.locations.clear();
    items.push(item(
        EvidenceKind::PiiScan,
        "pipeline:train",
        "scan",
        &clean,
        &rp,
        now,
    )?);

    // Dataset immutability: snapshot, a late edit, verify.
    let m = snapshot::snapshot(&p(datasets::CURATED), "fraud-features", "v2025.06")
        .map_err(data_error)?;
    items.push(item(
        EvidenceKind::DatasetSnapshot,
        "dataset:fraud-features",
        "snapshot",
        datasets::CURATED,
        &m,
        now,
    )?);
    let mut part =
        std::fs::read_to_string(p(datasets::CURATED_PART)).map_err(|e| bad(e.to_string()))?;
    part.push_str("tlate000001,12.50,grocery,9,120,north,d000001,1,0.9100\n");
    std::fs::write(p(datasets::CURATED_PART), part).map_err(|e| bad(e.to_string()))?;
    let check = snapshot::verify(&p(datasets::CURATED), &m).map_err(data_error)?;
    findings.push(format!(
        "snapshot fraud-features v2025.06 ({} files, root {}…): {} — {} modified, {} added, {} removed",
        m.file_count,
        m.merkle_root.get(..12).unwrap_or_default(),
        if check.intact { paint(style::OK, "unchanged") } else { paint(style::ERROR, "CHANGED after recording") },
        check.modified.iter().map(|f| f.path.as_str()).collect::<Vec<_>>().join(", "),
        check.added.len(),
        check.removed.len()
    ));
    items.push(item(
        EvidenceKind::DatasetSnapshot,
        "dataset:fraud-features",
        "verify",
        datasets::CURATED,
        &check,
        now,
    )?);

    // Fairness of the release on this week's traffic.
    let f = fairness::fairness(
        &p(datasets::CURRENT),
        "region",
        "is_fraud",
        "score",
        &fairness::Thresholds {
            max_parity_difference: 0.1,
            max_opportunity_difference: 0.1,
            min_impact_ratio: 0.8,
        },
    )
    .map_err(data_error)?;
    findings.push(format!(
        "fairness by region: {}",
        f.metrics
            .iter()
            .map(|m| format!(
                "{} {:.3}{}",
                m.metric,
                m.value,
                if m.passed { "" } else { " FAIL" }
            ))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    items.push(item(
        EvidenceKind::FairnessReport,
        "service:score-api",
        "fairness",
        datasets::CURRENT,
        &f,
        now,
    )?);

    let mut ledger = open_ledger(ws, true)?;
    let out = ledger
        .append(&items, &mut NoProgress)
        .map_err(ledger_error)?;
    let checkpoint_size = match signer(ws)? {
        Some(s) => Some(
            ledger
                .checkpoint(s.name(), &s, now)
                .map_err(ledger_error)?
                .tree_size,
        ),
        None => None,
    };
    Ok(DataDemo {
        findings,
        evidence: out.iter().map(|o| o.index).collect(),
        checkpoint_size,
    })
}
