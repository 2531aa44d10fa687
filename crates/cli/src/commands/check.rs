//! `assay check [--at DATE | --period A..B] [--format text|json|sarif|junit|md] [--since-last]`: evaluate
//! every catalog control over the ledger's evidence, store the run as `check.result` evidence, report
//! regressions since the previous run, and print readiness by category and criterion.
//!
//! `assay sample --control ID --period A..B [--seed S] [--format csv|json]` lives here too: it builds the
//! control's population of occurrences over the period and draws a reproducible sample.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::str::FromStr;

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use assay_catalog::Catalog;
use assay_engine::{
    ControlEngine, EvidenceSet, Exception, Item, PeriodResult, Report, SampleTable, ScopeView,
    Status, Window, draw_sample, rfc3339,
};
use assay_ledger::{Evidence, EvidenceKind, Ledger, ListFilter, NoProgress, Source};

use super::ledger::{ledger_error, open_ledger, parse_time};
use super::plural;
use crate::args::{CheckArgs, CheckFormat, SampleArgs, SampleFormat};
use crate::diagnostics;
use crate::printer::Printer;
use crate::printer::style::{self, paint};
use crate::settings::Settings;
use crate::{CommandResult, ExitStatus};

/// Subject of stored check results.
pub const CHECK_SUBJECT: &str = "assay:check";

/// A date without a time means the end of that day (the whole day counts).
fn parse_end(flag: &str, raw: &str) -> Result<Timestamp, miette::Report> {
    let ts = parse_time(flag, raw)?;
    if raw.contains(['T', 't', ' ']) {
        Ok(ts)
    } else {
        Ok(ts
            .checked_add(SignedDuration::from_secs(86_399))
            .unwrap_or(ts))
    }
}

/// `A..B` as a period.
pub fn parse_period(raw: &str) -> Result<(Timestamp, Timestamp), miette::Report> {
    let Some((a, b)) = raw.split_once("..") else {
        return Err(diagnostics::error(
            format!("--period `{raw}` is not a range"),
            "write it as START..END, for example --period 2026-01-01..2026-06-30",
        ));
    };
    let from = parse_time("--period start", a.trim())?;
    let to = parse_end("--period end", b.trim())?;
    if to < from {
        return Err(diagnostics::error(
            format!("--period `{raw}` ends before it starts"),
            "put the earlier date first: --period START..END",
        ));
    }
    Ok((from, to))
}

/// Every evidence item of the kinds the catalog's controls read.
pub fn load_evidence(ledger: &Ledger, catalog: &Catalog) -> Result<EvidenceSet, miette::Report> {
    load_evidence_for(ledger, catalog.controls.iter())
}

/// Every evidence item of the kinds these controls read.
///
/// Decoding the stored items is most of the work of `assay check` on a large ledger, so it runs on every
/// core: each thread reads with a connection of its own (readers of a WAL database do not wait for one
/// another) and takes the next kind from a shared counter.
pub fn load_evidence_for<'a>(
    ledger: &Ledger,
    controls: impl Iterator<Item = &'a assay_catalog::Control>,
) -> Result<EvidenceSet, miette::Report> {
    let kinds: Vec<EvidenceKind> = controls
        .flat_map(|c| c.evidence.iter().map(String::as_str))
        .collect::<BTreeSet<&str>>()
        .into_iter()
        .filter_map(|k| EvidenceKind::from_str(k).ok())
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    // Each item's envelope is decoded here and its payload kept as the stored text, decoded only if a control
    // reads it (a check at one date reads a small share of a large ledger).
    let read = |reader: &Ledger| -> Result<Vec<Vec<Item>>, assay_ledger::LedgerError> {
        let mut lists = Vec::new();
        while let Some(kind) = kinds.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)) {
            let filter = ListFilter {
                kind: Some(kind.clone()),
                ..ListFilter::default()
            };
            let count = reader.count(&filter)?;
            let mut items = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
            reader.visit_canonical(&filter, &mut |index, canonical| {
                let item = Item::from_canonical(index, canonical).map_err(|e| {
                    assay_ledger::LedgerError::CorruptItem {
                        index,
                        reason: match e {
                            assay_engine::EngineError::Evidence { reason, .. } => reason,
                            other => other.to_string(),
                        },
                    }
                })?;
                items.push(item);
                Ok(())
            })?;
            lists.push(items);
        }
        Ok(lists)
    };
    let helpers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(kinds.len())
        .saturating_sub(1);
    let workspace = ledger.workspace();
    let parts = std::thread::scope(|s| {
        let workers: Vec<_> = (0..helpers)
            .map(|_| s.spawn(|| read(&Ledger::open(workspace)?)))
            .collect();
        let mut parts = vec![read(ledger)];
        for w in workers {
            parts.push(w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        parts
    });
    let mut lists = Vec::new();
    for part in parts {
        lists.extend(part.map_err(ledger_error)?);
    }
    Ok(EvidenceSet::from_kinds(lists))
}

/// A control that passed last time and now fails or cannot be seen.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Regression {
    pub control: String,
    pub was: String,
    pub now: String,
    pub reason: String,
}

/// The newest stored check result, as (ledger index, payload).
fn last_result(ledger: &Ledger) -> Result<Option<(u64, Value)>, miette::Report> {
    let stored = ledger
        .list(&ListFilter {
            kind: Some(EvidenceKind::CheckResult),
            subject: Some(CHECK_SUBJECT.to_owned()),
            ..ListFilter::default()
        })
        .map_err(ledger_error)?;
    Ok(stored
        .into_iter()
        .max_by_key(|s| (s.evidence.observed_at, s.index))
        .map(|s| (s.index, s.evidence.payload)))
}

fn regressions(previous: &Value, report: &Report) -> Vec<Regression> {
    let Some(list) = previous.get("results").and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for old in list {
        let (Some(id), Some(was)) = (
            old.get("control").and_then(Value::as_str),
            old.get("status").and_then(Value::as_str),
        ) else {
            continue;
        };
        if was != Status::Pass.key() {
            continue;
        }
        if let Some(now) = report.result(id)
            && matches!(now.status, Status::Fail | Status::NotVerifiable)
        {
            out.push(Regression {
                control: id.to_owned(),
                was: was.to_owned(),
                now: now.status.key().to_owned(),
                reason: now.reason.clone(),
            });
        }
    }
    out
}

fn result_evidence(report: &Report, now: Timestamp) -> Evidence {
    let locator = match report.window {
        Window::At { at } => format!("at:{}", rfc3339(at)),
        Window::Period { from, to } => format!("period:{}..{}", rfc3339(from), rfc3339(to)),
    };
    let results: Vec<Value> = report
        .results
        .iter()
        .map(|r| json!({ "control": r.control, "status": r.status.key(), "reason": r.reason }))
        .collect();
    Evidence {
        kind: EvidenceKind::CheckResult,
        subject: CHECK_SUBJECT.to_owned(),
        source: Source {
            collector: "assay check".to_owned(),
            locator,
        },
        observed_at: now,
        collected_at: now,
        payload: json!({
            "window": report.window,
            "counts": report.counts,
            "readiness": report.readiness.iter().map(|r| json!({
                "category": r.category, "ready": r.ready_criteria, "applicable": r.applicable_criteria,
            })).collect::<Vec<_>>(),
            "results": results,
        }),
        attachments: vec![],
        expires_at: None,
        note: None,
    }
}

/// What `check` computed, for the demo and for JSON.
#[derive(Debug)]
pub struct CheckRun {
    pub report: Report,
    pub deliveries: Vec<super::alerts::Delivery>,
    pub stored_at: Option<u64>,
    pub previous: Option<u64>,
    pub regressions: Vec<Regression>,
}

/// Evaluate, compare with the previous stored run, store this one.
pub fn run_check(
    settings: &Settings,
    window: Window,
    record: bool,
    now: Timestamp,
) -> Result<CheckRun, miette::Report> {
    let scope = super::scope::load(&settings.config)?;
    let view = ScopeView::from_description(&scope.description);
    let mut ledger = open_ledger(&settings.workspace, false)?;
    let mut run = check_ledger(&mut ledger, &view, window, record, now)?;
    let base = settings
        .config
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    run.deliveries = super::alerts::deliver(
        &mut ledger,
        &base,
        &scope.description.alerts.webhook,
        &run.regressions,
        run.stored_at,
        now,
        std::time::Duration::from_millis(200),
    )?;
    Ok(run)
}

/// Evaluate over an open ledger, compare with its previous stored run, store this one.
pub fn check_ledger(
    ledger: &mut Ledger,
    view: &ScopeView,
    window: Window,
    record: bool,
    now: Timestamp,
) -> Result<CheckRun, miette::Report> {
    let catalog = super::catalog()?;
    let custom = super::controls::workspace_controls(ledger.workspace(), catalog)?;
    let engines = custom
        .iter()
        .map(|c| c.engine())
        .collect::<Result<Vec<_>, _>>()
        .map_err(super::controls::engine_error)?;
    let evidence = load_evidence_for(
        ledger,
        catalog
            .controls
            .iter()
            .chain(custom.iter().map(|c| &c.control)),
    )?;
    let report = assay_engine::evaluate_with(catalog, &engines, &evidence, view, window)
        .map_err(super::controls::engine_error)?;
    // A million items take a while to free: let another core do it while the report is stored and printed.
    std::thread::spawn(move || drop(evidence));
    let previous = last_result(ledger)?;
    let regressions = previous
        .as_ref()
        .map(|(_, p)| regressions(p, &report))
        .unwrap_or_default();
    let stored_at = if record {
        let out = ledger
            .append(&[result_evidence(&report, now)], &mut NoProgress)
            .map_err(ledger_error)?;
        out.first().map(|o| o.index)
    } else {
        None
    };
    Ok(CheckRun {
        report,
        deliveries: Vec::new(),
        stored_at,
        previous: previous.map(|(i, _)| i),
        regressions,
    })
}

pub fn check(args: &CheckArgs, settings: &Settings) -> CommandResult {
    let printer = settings.printer();
    let now = settings.now;
    let window = match (&args.at, &args.period) {
        (Some(at), None) => Window::At {
            at: parse_end("--at", at)?,
        },
        (None, Some(p)) => {
            let (from, to) = parse_period(p)?;
            Window::Period { from, to }
        }
        _ => Window::At { at: now },
    };
    let run = run_check(settings, window, !args.no_record, now)?;
    let format = if printer.json_mode() {
        CheckFormat::Json
    } else {
        args.format
    };
    match format {
        CheckFormat::Json => printer.json(&json!({
            "report": run.report,
            "stored_at": run.stored_at,
            "previous": run.previous,
            "regressions": run.regressions,
            "alerts": run.deliveries,
        }))?,
        CheckFormat::Sarif => printer.json(&assay_engine::sarif(
            &run.report,
            super::catalog()?,
            env!("CARGO_PKG_VERSION"),
        ))?,
        CheckFormat::Junit => printer.raw(assay_engine::junit(&run.report))?,
        CheckFormat::Md => printer.raw(assay_engine::markdown(&run.report))?,
        CheckFormat::Text => {
            print_text(&printer, &run, settings.verbose > 0)?;
            if args.since_last {
                print_regressions(&printer, &run)?;
            }
        }
    }
    Ok(if run.report.any_failed() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

fn window_line(w: Window) -> String {
    match w {
        Window::At { at } => format!("at {} (Type 1: in place on that date)", rfc3339(at)),
        Window::Period { from, to } => format!(
            "over {} .. {} (Type 2: operating throughout the period)",
            rfc3339(from),
            rfc3339(to)
        ),
    }
}

fn mark(status: Status) -> String {
    match status {
        Status::Pass => paint(style::OK, "pass"),
        Status::Fail => paint(style::ERROR, "FAIL"),
        Status::NotVerifiable => paint(style::WARN, "not verifiable"),
        Status::NotApplicable => paint(style::DIM, "n/a"),
    }
}

/// The readiness block (also used by the demo).
pub fn readiness_text(report: &Report) -> String {
    let mut out = format!("{}\n", paint(style::HEADING, "Readiness by category"));
    for r in &report.readiness {
        let c = r.controls;
        let _ = writeln!(
            out,
            "  {:<22} {:>3}/{:<3} criteria ready ({:>3.0}%)   controls: {} pass · {} fail · {} not verifiable · {} n/a",
            r.name,
            r.ready_criteria,
            r.applicable_criteria,
            r.share * 100.0,
            c.pass,
            c.fail,
            c.not_verifiable,
            c.not_applicable
        );
        if !r.without_passing_control.is_empty() {
            let _ = writeln!(
                out,
                "{}",
                super::wrap(
                    &format!(
                        "no passing control: {}",
                        r.without_passing_control.join(" ")
                    ),
                    "      ",
                    100
                )
            );
        }
    }
    out
}

fn print_text(printer: &Printer, run: &CheckRun, verbose: bool) -> Result<(), miette::Report> {
    let report = &run.report;
    let c = report.counts;
    let mut out = format!(
        "{} {}\n  {}: {} pass · {} fail · {} not verifiable · {} not applicable\n\n",
        paint(style::HEADING, "Check"),
        window_line(report.window),
        plural(report.results.len(), "control"),
        c.pass,
        c.fail,
        c.not_verifiable,
        c.not_applicable
    );
    out.push_str(&readiness_text(report));
    if verbose {
        let _ = writeln!(out, "\n{}", paint(style::HEADING, "By criterion"));
        for r in &report.readiness {
            for k in &r.criteria {
                let _ = writeln!(
                    out,
                    "  {:<6} {}  pass: {}  not passing: {}",
                    k.id,
                    if k.ready {
                        paint(style::OK, "ready")
                    } else {
                        paint(style::WARN, "open ")
                    },
                    if k.pass.is_empty() {
                        "-".to_owned()
                    } else {
                        k.pass.join(" ")
                    },
                    if k.not_passing.is_empty() {
                        "-".to_owned()
                    } else {
                        k.not_passing.join(" ")
                    }
                );
            }
        }
    }
    list_controls(&mut out, report, Status::Fail, "Failing controls", verbose);
    list_controls(&mut out, report, Status::Pass, "Passing controls", verbose);
    let unseen: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.status == Status::NotVerifiable)
        .collect();
    if !unseen.is_empty() {
        let _ = writeln!(
            out,
            "\n{} ({})",
            paint(style::HEADING, "Not verifiable"),
            unseen.len()
        );
        for r in unseen.iter().take(if verbose { usize::MAX } else { 12 }) {
            let _ = writeln!(out, "  {}  {}", paint(style::ID, &r.control), r.reason);
        }
        if !verbose && unseen.len() > 12 {
            let _ = writeln!(out, "  … {} more (-v lists all)", unseen.len() - 12);
        }
    }
    if let Some(ix) = run.stored_at {
        let _ = write!(
            out,
            "\n{}",
            paint(style::DIM, format!("stored as check.result #{ix}"))
        );
    }
    printer.out(out.trim_end())?;
    Ok(())
}

/// An exception line: `        - text`, continuation lines aligned under the text.
fn bullet(text: &str) -> String {
    let wrapped = super::wrap(text, "          ", 100);
    match wrapped.strip_prefix("          ") {
        Some(rest) => format!("        - {rest}"),
        None => wrapped,
    }
}

fn print_regressions(printer: &Printer, run: &CheckRun) -> Result<(), miette::Report> {
    let mut out = format!("\n{}", paint(style::HEADING, "Since the last check"));
    match run.previous {
        None => out.push_str("\n  no earlier check.result in the ledger"),
        Some(ix) if run.regressions.is_empty() => {
            let _ = write!(out, "\n  no regressions since check.result #{ix}");
        }
        Some(ix) => {
            let _ = write!(
                out,
                "\n  {} since check.result #{ix}:",
                plural(run.regressions.len(), "regression")
            );
            for r in &run.regressions {
                let _ = write!(
                    out,
                    "\n  {} {} → {}: {}",
                    paint(style::ID, &r.control),
                    r.was,
                    r.now,
                    r.reason
                );
            }
        }
    }
    for d in &run.deliveries {
        let _ = write!(
            out,
            "\n  alert to {}: {} after {} ({})",
            d.url,
            if d.delivered {
                "delivered"
            } else {
                "NOT delivered"
            },
            plural(d.attempts, "attempt"),
            d.error
                .clone()
                .unwrap_or_else(|| format!("HTTP {}", d.status.unwrap_or(0)))
        );
    }
    printer.out(out)?;
    Ok(())
}

pub fn sample(args: &SampleArgs, settings: &Settings) -> CommandResult {
    let printer = settings.printer();
    let catalog = super::catalog()?;
    let Some(control) = catalog.control(&args.control.to_ascii_uppercase()) else {
        return Err(diagnostics::error(
            format!("no control has the id `{}`", args.control),
            "list them with `assay catalog controls`",
        ));
    };
    let (from, to) = parse_period(&args.period)?;
    let Some(table) = SampleTable::parse(&args.table) else {
        return Err(diagnostics::error(
            format!("--table `{}` is not a sample-size table", args.table),
            "use chiaro (the default) or ten-percent",
        ));
    };
    let scope = super::scope::load(&settings.config)?;
    let view = ScopeView::from_description(&scope.description);
    let ledger = open_ledger(&settings.workspace, false)?;
    let evidence = load_evidence(&ledger, catalog)?;
    let engine = ControlEngine::builtin(control)
        .map_err(|e| diagnostics::error(e.to_string(), "this is a defect; please report it"))?;
    let result = engine
        .evaluate(&evidence, &view, Window::Period { from, to })
        .map_err(|e| diagnostics::error(e.to_string(), "this is a defect; please report it"))?;
    let population = result.occurrences.clone();
    let seed = args.seed.unwrap_or(0);
    let size = table.size(control.frequency, population.len());
    let items = draw_sample(population.clone(), size, seed);
    let out = assay_engine::Population {
        control: control.id.clone(),
        frequency: control.frequency.key().to_owned(),
        seed,
        table: table.citation().to_owned(),
        population: population.len(),
        sample_size: items.len(),
        whole_population: items.len() == population.len(),
        items,
    };
    match (printer.json_mode(), args.format) {
        (true, _) | (false, SampleFormat::Json) => printer.json(&out)?,
        (false, SampleFormat::Csv) => {
            let mut text = format!(
                "# {} population {} over {}..{}, sample {} with seed {}; table: {}\n",
                out.control,
                out.population,
                rfc3339(from),
                rfc3339(to),
                out.sample_size,
                out.seed,
                out.table
            );
            text.push_str("at,ok,subject,evidence,reason\n");
            for o in &out.items {
                let ev: Vec<String> = o.evidence.iter().map(|i| i.to_string()).collect();
                let _ = writeln!(
                    text,
                    "{},{},{},{},{}",
                    rfc3339(o.at),
                    o.ok,
                    csv(o.subject.as_deref().unwrap_or("")),
                    ev.join(" "),
                    csv(&o.reason)
                );
            }
            printer.raw(text)?;
        }
    }
    Ok(ExitStatus::Success)
}

fn csv(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// One section of controls with a given status: id, title, reason and dated exceptions.
fn list_controls(out: &mut String, report: &Report, status: Status, heading: &str, verbose: bool) {
    let controls: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.status == status)
        .collect();
    if controls.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{}", paint(style::HEADING, heading));
    for r in controls {
        let _ = writeln!(
            out,
            "  {} {}  {}",
            mark(r.status),
            paint(style::ID, &r.control),
            r.title
        );
        let _ = writeln!(out, "{}", super::wrap(&r.reason, "      ", 100));
        if let Some(p) = &r.period {
            let limit = if verbose { usize::MAX } else { EXCEPTION_LINES };
            for line in exception_lines(p, limit) {
                let _ = writeln!(out, "{}", bullet(&line));
            }
        }
    }
}

/// How many exception lines a control shows in text output without `-v`.
pub const EXCEPTION_LINES: usize = 12;

/// The dated exceptions of a period result as lines, oldest first: a run of three or more missed
/// occurrences in successive intervals is one line with its first and last date, so a control that never operated reads as
/// one range instead of hundreds of days. At most `limit` lines; the rest are counted in a last line.
pub fn exception_lines(p: &PeriodResult, limit: usize) -> Vec<String> {
    let day = |e: &Exception| e.at.strftime("%Y-%m-%d").to_string();
    let mut lines = Vec::new();
    let ex = &p.exceptions;
    let mut i = 0;
    while i < ex.len() {
        // A run: successive exceptions of one kind at one fixed step of at most a week (daily, continuous
        // and weekly intervals), with one reason when they failed (a failing state carried forward day after
        // day), so a day that did operate splits the run.
        let step = |a: &Exception, b: &Exception| b.at.duration_since(a.at);
        let same = |a: &Exception, b: &Exception| {
            a.kind == b.kind && (a.kind == "missed" || a.reason == b.reason)
        };
        let mut j = i;
        if i + 1 < ex.len() && same(&ex[i], &ex[i + 1]) {
            let first = step(&ex[i], &ex[i + 1]);
            let fits = if ex[i].kind == "missed" {
                first > SignedDuration::ZERO
            } else {
                first >= SignedDuration::ZERO
            };
            if fits && first <= SignedDuration::from_hours(7 * 24) {
                while j + 1 < ex.len()
                    && same(&ex[j], &ex[j + 1])
                    && step(&ex[j], &ex[j + 1]) == first
                {
                    j += 1;
                }
            }
        }
        let n = j - i + 1;
        if n >= 3 && ex[i].kind == "missed" {
            lines.push(format!(
                "{} to {} missed: {n} expected occurrences with none found",
                day(&ex[i]),
                day(&ex[j]),
            ));
        } else if n >= 3 {
            let when = if day(&ex[i]) == day(&ex[j]) {
                day(&ex[i])
            } else {
                format!("{} to {}", day(&ex[i]), day(&ex[j]))
            };
            lines.push(format!(
                "{when} {} in {n} successive intervals: {}",
                ex[i].kind, ex[i].reason
            ));
        } else {
            lines.push(format!("{} {}: {}", day(&ex[i]), ex[i].kind, ex[i].reason));
            i += 1;
            continue;
        }
        i = j + 1;
    }
    if lines.len() > limit {
        let rest = lines.len() - limit;
        lines.truncate(limit);
        lines.push(format!(
            "… and {rest} more exception line(s): -v or --format json lists them all"
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::{Exception, PeriodResult, exception_lines};
    use assay_engine::Verdict;

    fn ex(day: &str, kind: &str, reason: &str) -> Exception {
        Exception {
            at: format!("{day}T00:00:00Z").parse().expect("time"),
            reason: reason.to_owned(),
            evidence: vec![],
            kind: kind.to_owned(),
        }
    }

    fn period(exceptions: Vec<Exception>) -> PeriodResult {
        PeriodResult {
            population: 10,
            exceptions,
            deviation_rate: 0.5,
            verdict: Verdict::Ineffective,
            rules: "test",
        }
    }

    #[test]
    fn runs_of_missed_days_become_ranges_and_an_operating_day_splits_them() {
        let mut e: Vec<Exception> = (1..=4)
            .map(|d| ex(&format!("2026-06-0{d}"), "missed", "none"))
            .collect();
        // 2026-06-05 operated: no exception that day.
        e.extend((6..=9).map(|d| ex(&format!("2026-06-0{d}"), "missed", "none")));
        e.push(ex("2026-06-20", "failed", "ticket missing"));
        let lines = exception_lines(&period(e), 12);
        assert_eq!(
            lines,
            [
                "2026-06-01 to 2026-06-04 missed: 4 expected occurrences with none found",
                "2026-06-06 to 2026-06-09 missed: 4 expected occurrences with none found",
                "2026-06-20 failed: ticket missing",
            ]
        );
    }

    #[test]
    fn a_failing_state_carried_forward_is_one_line_and_two_exceptions_stay_two() {
        let mut e: Vec<Exception> = (0..7)
            .map(|_| ex("2025-03-27", "failed", "unsigned"))
            .collect();
        e.push(ex("2025-04-10", "missed", "expected on 2025-04-10"));
        e.push(ex("2025-04-11", "missed", "expected on 2025-04-11"));
        let lines = exception_lines(&period(e), 12);
        assert_eq!(
            lines,
            [
                "2025-03-27 failed in 7 successive intervals: unsigned",
                "2025-04-10 missed: expected on 2025-04-10",
                "2025-04-11 missed: expected on 2025-04-11",
            ]
        );
    }

    #[test]
    fn lines_past_the_limit_are_counted() {
        let e: Vec<Exception> = (1..=5)
            .map(|d| ex(&format!("2026-0{d}-01"), "failed", &format!("r{d}")))
            .collect();
        let lines = exception_lines(&period(e), 2);
        assert_eq!(lines.len(), 3);
        assert_eq!(
            lines[2],
            "… and 3 more exception line(s): -v or --format json lists them all"
        );
    }
}
