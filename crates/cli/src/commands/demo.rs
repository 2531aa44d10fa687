//! `assay demo [DIR]`: build the Kestrel Labs workspace and assess it: scoping, then the evidence
//! ledger (signing key, policy documents as manual evidence, a signed checkpoint, a clean verify).

use std::fmt::Write as _;

use jiff::Timestamp;
use serde_json::{Map, json};

use assay_ledger::{EvidenceKind, NoProgress, VerifyReport};

use assay_engine::{ScopeView, Status, Verdict, Window};

use super::check::{CheckRun, check_ledger, exception_lines, readiness_text};
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
    let now = settings.now;
    pin_export_times(&built, now)?;
    let ledger = record_evidence(&built, now)?;
    let data = super::data::demo::run(&built.root, now)?;
    let lineage = collect_and_trace(&built, &config, now)?;
    let evaluations = record_evaluations(&built, now)?;
    let check = check_and_sign(&built, &scope, now)?;
    let period = type2(&built, &scope, now)?;

    if printer.json_mode() {
        let c = &check.run.report;
        printer.json(&json!({
            "workspace": built,
            "scope": report,
            "ledger": ledger,
            "data": data,
            "collect": lineage.collected,
            "trace": lineage.production,
            "broken": lineage.broken,
            "check": { "counts": c.counts, "readiness": c.readiness, "results": c.results },
            "period": { "window": period.report.window, "counts": period.report.counts, "results": period.report.results },
            "verify": check.verify,
        }))?;
        return Ok(
            if lineage.production.complete() && check.verify.is_clean() {
                ExitStatus::Success
            } else {
                ExitStatus::Failure
            },
        );
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
    let verdict = verify_verdict(&ledger.verify);
    let _ = write!(out, "  verify: {verdict}");
    printer.out(out)?;
    printer.out(data.text())?;

    let mut out = format!(
        "\n{}\n",
        paint(
            style::HEADING,
            "Collected from the fraud model's git history"
        )
    );
    let width = lineage
        .collected
        .iter()
        .map(|s| s.source.len())
        .max()
        .unwrap_or(0)
        .max(12);
    for s in &lineage.collected {
        let _ = writeln!(
            out,
            "  {} {}, {} new",
            paint(style::ID, format!("{:<width$}", s.source)),
            plural(s.items, "item"),
            s.new
        );
    }
    let _ = writeln!(
        out,
        "  checkpoint signed at size {}",
        lineage.checkpoint_size
    );
    let _ = write!(
        out,
        "  and {} from the training pipeline's evaluation reports (#{})",
        plural(evaluations.len(), "model.evaluation item"),
        evaluations
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", #")
    );

    printer.out(out)?;
    let broken = &lineage.broken;
    printer.out(format!(
        "\n{} {}   (the planted broken link: {}, {})",
        paint(style::HEADING, "Trace of"),
        paint(style::ID, demo::PRODUCTION_MODEL),
        demo::BROKEN_MODEL,
        plural(broken.findings.len(), "finding")
    ))?;
    printer.out(super::trace::text(&lineage.production))?;
    printer.out(check_summary(&check.run))?;
    printer.out(type2_summary(&period))?;
    printer.out(format!(
        "  checkpoint signed at size {}; verify: {}",
        check.checkpoint_size,
        verify_verdict(&check.verify)
    ))?;

    let dir = built.root.display();
    printer.note(format!(
        "\n{}\n  {}\n  {}\n  {}\n  {}\n  {}\n  {}\n  {}\n  {}",
        paint(style::HEADING, "Next"),
        paint(style::CMD, format!("cd {dir} && assay scope check -v")),
        paint(style::CMD, "assay evidence list"),
        paint(style::CMD, "assay verify"),
        paint(style::CMD, format!("assay trace {}", demo::BROKEN_MODEL)),
        paint(style::CMD, "assay check --since-last"),
        paint(
            style::CMD,
            format!("assay check --period {}", period_arg(&period))
        ),
        paint(style::CMD, "assay catalog show RISK-EXTRACTION"),
        paint(style::CMD, "assay init   # describe your own system"),
    ))?;
    Ok(
        if ledger.verify.is_clean() && check.verify.is_clean() && lineage.production.complete() {
            ExitStatus::Success
        } else {
            ExitStatus::Failure
        },
    )
}

/// The training pipeline's evaluation reports, recorded as `model.evaluation` evidence with the report
/// attached (observed at the report's `evaluated_at`, subject `model:NAME`); the ledger indices.
fn record_evaluations(built: &Built, now: Timestamp) -> Result<Vec<u64>, miette::Report> {
    let ws = &built.root;
    let ledger_ = open_ledger(ws, false)?;
    let mut batch = Vec::new();
    for (path, text) in demo::EVALUATIONS {
        let bad = |m: String| {
            diagnostics::error(format!("demo evaluation {path}: {m}"), "rebuild the demo")
        };
        let payload: Map<String, serde_json::Value> =
            serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        let model = payload
            .get("model")
            .and_then(|v| v.as_str())
            .ok_or_else(|| bad("no model".into()))?;
        let at = payload
            .get("evaluated_at")
            .and_then(|v| v.as_str())
            .ok_or_else(|| bad("no evaluated_at".into()))?;
        let subject = format!("model:{model}");
        let file = ws.join(path);
        batch.push(manual_evidence(
            &ledger_,
            ManualInput {
                kind: EvidenceKind::ModelEvaluation,
                subject: &subject,
                files: std::slice::from_ref(&file),
                locator: Some((*path).to_owned()),
                title: Some(format!(
                    "Evaluation of {model} {}",
                    payload
                        .get("version")
                        .and_then(|v| v.as_str())
                        .unwrap_or("?")
                )),
                observed_at: parse_time("evaluated_at", at)?,
                payload,
                expires_at: None,
                note: None,
                now,
            },
        )?);
    }
    let mut ledger = ledger_;
    let stored = ledger
        .append(&batch, &mut NoProgress)
        .map_err(ledger_error)?;
    Ok(stored.iter().map(|o| o.index).collect())
}

/// What the demo put into its ledger.
#[derive(Debug, serde::Serialize)]
struct LedgerSummary {
    recorded: usize,
    checkpoint_size: u64,
    key_id: String,
    verify: VerifyReport,
}

/// Key, manual evidence, checkpoint, verify: the ledger steps a compliance lead would run by hand.
fn record_evidence(built: &Built, now: Timestamp) -> Result<LedgerSummary, miette::Report> {
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
    let checkpoint = ledger
        .checkpoint(key.name(), &key, now)
        .map_err(ledger_error)?;
    let verify = ledger
        .verify(&[key.verifier_key()], &mut NoProgress)
        .map_err(ledger_error)?;
    Ok(LedgerSummary {
        recorded: batch.len(),
        checkpoint_size: checkpoint.tree_size,
        key_id: key.verifier_key().key_id(),
        verify,
    })
}

/// What the demo collected and traced.
struct Lineage {
    collected: Vec<assay_collect::RunSummary>,
    checkpoint_size: u64,
    production: assay_lineage::Trace,
    broken: assay_lineage::Trace,
}

/// Collect the demo's sources, sign a checkpoint over the result, and trace the production model and the
/// version with the planted broken link.
fn collect_and_trace(
    built: &Built,
    config: &std::path::Path,
    now: Timestamp,
) -> Result<Lineage, miette::Report> {
    let ws = &built.root;
    let collected = super::collect::collect(config, ws, &[], now, true)?.sources;
    let Some(key) = signer(ws)? else {
        return Err(diagnostics::error(
            "the demo's signing key is missing",
            "check that the demo directory is writable",
        ));
    };
    let mut ledger = open_ledger(ws, false)?;
    let checkpoint = ledger
        .checkpoint(key.name(), &key, now)
        .map_err(ledger_error)?;
    let production = super::trace::trace(ws, demo::PRODUCTION_MODEL)?;
    let broken = super::trace::trace(ws, demo::BROKEN_MODEL)?;
    Ok(Lineage {
        collected,
        checkpoint_size: checkpoint.tree_size,
        production,
        broken,
    })
}

/// The demo's Type 2 window: the six whole calendar months before the month of `now` (a typical first
/// audit period), so the history the demo ships (deployments, alerts, scans of autumn 2026) falls inside it.
fn type2_window(now: Timestamp) -> Result<Window, miette::Report> {
    let bad = |e: jiff::Error| {
        diagnostics::error(
            format!("demo period: {e}"),
            "set ASSAY_NOW to a recent date",
        )
    };
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let month = today.first_of_month();
    let from = month
        .checked_sub(jiff::Span::new().months(6))
        .map_err(bad)?;
    let to = month
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map_err(bad)?
        .timestamp()
        - jiff::SignedDuration::from_secs(1);
    let from = from
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map_err(bad)?
        .timestamp();
    Ok(Window::Period { from, to })
}

fn period_arg(run: &CheckRun) -> String {
    match run.report.window {
        Window::Period { from, to } => {
            format!("{}..{}", from.strftime("%Y-%m-%d"), to.strftime("%Y-%m-%d"))
        }
        Window::At { at } => at.strftime("%Y-%m-%d").to_string(),
    }
}

/// Every control evaluated over the Type 2 window (not stored: the stored run is today's).
fn type2(
    built: &Built,
    scope: &assay_scope::Scope,
    now: Timestamp,
) -> Result<CheckRun, miette::Report> {
    let mut ledger = open_ledger(&built.root, false)?;
    let view = ScopeView::from_description(&scope.description);
    check_ledger(&mut ledger, &view, type2_window(now)?, false, now)
}

/// How many dated exception lines each control shows in the demo.
const DEMO_EXCEPTIONS: usize = 3;

/// The demo's Type 2 block: verdict counts and each control with exceptions, with its first dated ones.
fn type2_summary(run: &CheckRun) -> String {
    let r = &run.report;
    let verdicts: Vec<(Verdict, &assay_engine::ControlResult)> = r
        .results
        .iter()
        .filter_map(|x| x.period.as_ref().map(|p| (p.verdict, x)))
        .collect();
    let count = |v: Verdict| verdicts.iter().filter(|(w, _)| *w == v).count();
    let mut out = format!(
        "\n{} {} (the six months before this one)\n  {} effective · {} effective with exceptions · {} ineffective · {} not occurring · {} not verifiable\n",
        paint(style::HEADING, "Type 2 over"),
        period_arg(run).replace("..", " .. "),
        count(Verdict::Effective),
        count(Verdict::EffectiveWithExceptions),
        count(Verdict::Ineffective),
        count(Verdict::NotOccurring),
        r.results
            .iter()
            .filter(|x| x.status == Status::NotVerifiable)
            .count()
            - count(Verdict::NotOccurring),
    );
    for (_, x) in verdicts
        .iter()
        .filter(|(_, x)| x.period.as_ref().is_some_and(|p| !p.exceptions.is_empty()))
    {
        let Some(p) = &x.period else { continue };
        let _ = writeln!(
            out,
            "  {} {}: {}",
            if x.status == Status::Fail {
                paint(style::ERROR, "FAIL")
            } else {
                paint(style::DIM, "PASS")
            },
            paint(style::ID, &x.control),
            x.reason
        );
        for line in exception_lines(p, DEMO_EXCEPTIONS) {
            let wrapped = super::wrap(&line, "        ", 100);
            let _ = writeln!(out, "      - {}", wrapped.trim_start());
        }
    }
    out.trim_end().to_owned()
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

/// The demo's last step: every control checked over everything recorded, the run stored as `check.result`,
/// a checkpoint over the whole ledger, and a final verify with the demo's key.
struct CheckStep {
    run: CheckRun,
    checkpoint_size: u64,
    verify: VerifyReport,
}

fn check_and_sign(
    built: &Built,
    scope: &assay_scope::Scope,
    now: Timestamp,
) -> Result<CheckStep, miette::Report> {
    let ws = &built.root;
    let Some(key) = signer(ws)? else {
        return Err(diagnostics::error(
            "the demo's signing key is missing",
            "check that the demo directory is writable",
        ));
    };
    let mut ledger = open_ledger(ws, false)?;
    let view = ScopeView::from_description(&scope.description);
    let run = check_ledger(&mut ledger, &view, Window::At { at: now }, true, now)?;
    let checkpoint = ledger
        .checkpoint(key.name(), &key, now)
        .map_err(ledger_error)?;
    let verify = ledger
        .verify(&[key.verifier_key()], &mut NoProgress)
        .map_err(ledger_error)?;
    Ok(CheckStep {
        run,
        checkpoint_size: checkpoint.tree_size,
        verify,
    })
}

/// The IAM export, the model files, the access-review register, the latest scan, the Terraform state and the
/// credential report are observed at their modification time; give them the demo's clock, so a demo built with `ASSAY_NOW` is the same on every run.
fn pin_export_times(built: &Built, now: Timestamp) -> Result<(), miette::Report> {
    for rel in [
        "exports/iam-authorization-details.json",
        "models/legacy-scorer.pkl",
        "models/fraud-scorer.safetensors",
    ]
    .iter()
    .chain(demo::PINNED_EXPORTS)
    .chain(demo::PINNED_INFRA)
    {
        let path = built.root.join(rel);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(std::time::SystemTime::from(now)))
            .map_err(|e| {
                diagnostics::error(
                    format!("cannot set the time of {}: {e}", path.display()),
                    "check that the demo directory is writable",
                )
            })?;
    }
    Ok(())
}

/// `clean (N items, N checkpoints, N attachments)` in green, or the number of problems in red.
fn verify_verdict(v: &VerifyReport) -> String {
    if v.is_clean() {
        paint(
            style::OK,
            format!(
                "clean ({}, {}, {})",
                plural(v.items, "item"),
                plural(v.checkpoints, "checkpoint"),
                plural(v.blobs, "attachment")
            ),
        )
    } else {
        paint(style::ERROR, plural(v.problems.len(), "problem"))
    }
}
