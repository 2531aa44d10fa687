//! `assay demo [DIR]`: build the Kestrel Labs workspace and assess it: scoping, then the evidence
//! ledger (signing key, policy documents as manual evidence, a signed checkpoint, a clean verify).

use std::fmt::Write as _;

use jiff::Timestamp;
use serde_json::{Map, json};

use assay_ledger::{EvidenceKind, NoProgress, VerifyReport};

use assay_engine::{ScopeView, Status, Window};

use super::check::{CheckRun, check_ledger, readiness_text};
use super::evidence::{ManualInput, manual_evidence};
use super::ledger::{create_key, ledger_error, open_ledger, parse_time, signer};
use super::plural;
use crate::args::DemoArgs;
use crate::demo::{self, Built, DemoError};
use crate::diagnostics;
use crate::printer::style::{self, paint};
use crate::settings::Settings;
use crate::{CommandResult, ExitStatus};

/// The demo's checkpoint key name (the checkpoints' origin line).
const KEY_NAME: &str = "assay.local/kestrel-labs";

pub fn run(args: &DemoArgs, settings: &Settings) -> CommandResult {
    let printer = settings.printer();
    let built = demo::build(&args.dir, args.force).map_err(|e| match &e {
        DemoError::Precious { .. } => diagnostics::error(
            e.to_string(),
            "choose a new directory for the demo, for example `assay demo assay-demo`",
        ),
        DemoError::NotADemo { .. } => diagnostics::error(
            e.to_string(),
            "choose another directory (`assay demo DIR`) or pass --force to replace it",
        ),
        DemoError::Io { .. } => {
            diagnostics::error(e.to_string(), "check permissions and free space")
        }
    })?;
    let config = built.root.join("assay.toml");
    let scope = super::scope::load(&config)?;
    let report = assay_scope::check(&scope, super::catalog()?);
    let ledger = record_evidence(&built, &scope, Timestamp::now())?;

    if printer.json_mode() {
        let check = &ledger.check.report;
        printer.json(&json!({
            "workspace": built, "scope": report, "ledger": ledger,
            "check": { "counts": check.counts, "readiness": check.readiness, "results": check.results },
        }))?;
        return Ok(ExitStatus::Success);
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} — {}, a fictional AI company",
        paint(style::HEADING, "Built"),
        built.root.display(),
        built.company
    );
    let _ = writeln!(out, "  parts: {}", built.parts.join(", "));
    let _ = writeln!(out, "  files: {}", built.files.join(", "));
    printer.out(out)?;
    super::scope::print_report(&printer, &report, settings.verbose > 0)?;

    let mut out = format!("\n{}\n", paint(style::HEADING, "Evidence ledger"));
    let _ = writeln!(
        out,
        "  {} policy documents recorded as manual evidence (#0–#{})",
        ledger.recorded,
        ledger.recorded.saturating_sub(1)
    );
    let _ = writeln!(
        out,
        "  checkpoint signed at size {} by {}",
        ledger.checkpoint_size, ledger.key_id
    );
    let verdict = if ledger.verify.is_clean() {
        paint(
            style::OK,
            format!(
                "clean ({}, {}, {})",
                plural(ledger.verify.items, "item"),
                plural(ledger.verify.checkpoints, "checkpoint"),
                plural(ledger.verify.blobs, "attachment")
            ),
        )
    } else {
        paint(
            style::ERROR,
            plural(ledger.verify.problems.len(), "problem"),
        )
    };
    let _ = write!(out, "  verify: {verdict}");
    printer.out(out)?;
    printer.out(check_summary(&ledger.check))?;

    let dir = built.root.display();
    printer.note(format!(
        "\n{}\n  {}\n  {}\n  {}\n  {}\n  {}\n  {}",
        paint(style::HEADING, "Next"),
        paint(style::CMD, format!("cd {dir} && assay scope check -v")),
        paint(style::CMD, "assay evidence list"),
        paint(style::CMD, "assay verify"),
        paint(style::CMD, "assay check --since-last"),
        paint(style::CMD, "assay catalog show RISK-EXTRACTION"),
        paint(style::CMD, "assay init   # describe your own system"),
    ))?;
    Ok(if ledger.verify.is_clean() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// What the demo put into its ledger.
#[derive(Debug, serde::Serialize)]
struct LedgerSummary {
    #[serde(skip)]
    check: CheckRun,
    recorded: usize,
    checkpoint_size: u64,
    key_id: String,
    verify: VerifyReport,
}

/// Key, manual evidence, checkpoint, verify: the ledger steps a compliance lead would run by hand.
fn record_evidence(
    built: &Built,
    scope: &assay_scope::Scope,
    now: Timestamp,
) -> Result<LedgerSummary, miette::Report> {
    let ws = &built.root;
    create_key(ws, KEY_NAME)?;
    let Some(key) = signer(ws)? else {
        return Err(diagnostics::error(
            "the demo's signing key was not written",
            "check that the demo directory is writable",
        ));
    };
    let mut ledger = open_ledger(ws, true)?;
    let mut batch = Vec::new();
    for doc in &built.manual {
        let file = ws.join(doc.path);
        batch.push(manual_evidence(
            &ledger,
            ManualInput {
                kind: EvidenceKind::ManualDocument,
                subject: doc.subject,
                files: std::slice::from_ref(&file),
                locator: Some(doc.path.to_owned()),
                title: Some(doc.title.to_owned()),
                payload: Map::from_iter([("approved_by".to_owned(), json!("CEO"))]),
                observed_at: parse_time("approval date", doc.approved)?,
                expires_at: Some(parse_time("expiry date", &doc.expires)?),
                note: Some(format!(
                    "Approved {}; review due {}",
                    doc.approved, doc.expires
                )),
                now,
            },
        )?);
    }
    ledger
        .append(&batch, &mut NoProgress)
        .map_err(ledger_error)?;
    // Check every control over what was recorded, and store the run before signing.
    let view = ScopeView::from_description(&scope.description);
    let check = check_ledger(&mut ledger, &view, Window::At { at: now }, true, now)?;
    let checkpoint = ledger
        .checkpoint(key.name(), &key, now)
        .map_err(ledger_error)?;
    let verify = ledger
        .verify(&[key.verifier_key()], &mut NoProgress)
        .map_err(ledger_error)?;
    Ok(LedgerSummary {
        check,
        recorded: batch.len(),
        checkpoint_size: checkpoint.tree_size,
        key_id: key.verifier_key().key_id(),
        verify,
    })
}

/// The demo's check block: counts, readiness, failures and the controls no source feeds yet.
fn check_summary(run: &CheckRun) -> String {
    let r = &run.report;
    let c = r.counts;
    let mut out = format!(
        "\n{} today: {} pass · {} fail · {} not verifiable · {} not applicable{}\n",
        paint(style::HEADING, "Check"),
        c.pass,
        c.fail,
        c.not_verifiable,
        c.not_applicable,
        run.stored_at
            .map(|i| format!(" (stored as check.result #{i})"))
            .unwrap_or_default()
    );
    out.push_str(&readiness_text(r));
    for x in r.results.iter().filter(|x| x.status == Status::Fail) {
        let _ = writeln!(
            out,
            "  {} {}: {}",
            paint(style::ERROR, "FAIL"),
            x.control,
            x.reason
        );
    }
    let unconfigured: Vec<&str> = r
        .results
        .iter()
        .filter(|x| {
            x.status == Status::NotVerifiable && x.reason.starts_with("source not configured")
        })
        .map(|x| x.control.as_str())
        .collect();
    if let Some(first) = unconfigured.first().and_then(|id| r.result(id)) {
        let text = format!(
            "{} controls cannot be seen because their source is not configured, e.g. {}: {}",
            unconfigured.len(),
            first.control,
            first.reason
        );
        let _ = writeln!(out, "{}", super::wrap(&text, "  ", 100));
    }
    out.trim_end().to_owned()
}
