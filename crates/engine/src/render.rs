//! Renderings of a report for other tools: SARIF 2.1.0, JUnit XML, Markdown. Pure functions to text.

use std::fmt::Write as _;

use serde_json::{Value, json};

use assay_catalog::Catalog;

use crate::model::{Report, Status, Window, rfc3339};

fn window_text(w: Window) -> String {
    match w {
        Window::At { at } => format!("at {}", rfc3339(at)),
        Window::Period { from, to } => format!("over {} .. {}", rfc3339(from), rfc3339(to)),
    }
}

/// SARIF 2.1.0: one rule per control (rule id = control id, help = the control's description), one result per
/// evaluated control. `kind` is `pass`, `fail`, `review` (not verifiable) or `notApplicable`; `level` is
/// `error` for failures and `none` otherwise, as the standard requires for non-failing kinds. Evidence is
/// listed as logical locations `ledger:#INDEX`.
pub fn sarif(report: &Report, catalog: &Catalog, version: &str) -> Value {
    let rules: Vec<Value> = report
        .results
        .iter()
        .map(|r| {
            let description = catalog
                .control(&r.control)
                .map(|c| c.description.clone())
                .unwrap_or_default();
            json!({
                "id": r.control,
                "name": r.control.replace('-', ""),
                "shortDescription": { "text": r.title },
                "fullDescription": { "text": description },
                "help": { "text": format!("{description}\n\nCriteria: {}. Frequency: {}. Evidence is read from the Assay ledger.", r.criteria.join(", "), r.frequency) },
                "properties": { "criteria": r.criteria, "frequency": r.frequency, "nature": r.nature },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .results
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let (kind, level) = match r.status {
                Status::Pass => ("pass", "none"),
                Status::Fail => ("fail", "error"),
                Status::NotVerifiable => ("review", "none"),
                Status::NotApplicable => ("notApplicable", "none"),
            };
            let mut indices: Vec<u64> = r
                .occurrences
                .iter()
                .flat_map(|o| o.evidence.iter().copied())
                .collect();
            indices.sort_unstable();
            indices.dedup();
            let locations: Vec<Value> = indices
                .iter()
                .map(|ix| {
                    json!({ "logicalLocations": [{
                        "name": format!("#{ix}"),
                        "fullyQualifiedName": format!("ledger:#{ix}"),
                        "kind": "resource",
                    }]})
                })
                .collect();
            let mut result = json!({
                "ruleId": r.control,
                "ruleIndex": i,
                "kind": kind,
                "level": level,
                "message": { "text": format!("{}: {}", r.status.key(), r.reason) },
                "properties": { "status": r.status.key() },
            });
            if !locations.is_empty() {
                result["locations"] = Value::Array(locations);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "assay",
                "version": version,
                "informationUri": "https://example.invalid/assay",
                "rules": rules,
            }},
            "properties": { "window": window_text(report.window) },
            "results": results,
        }]
    })
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: one test case per control; failures as `<failure>`, not verifiable and not applicable as
/// `<skipped>` with the reason.
pub fn junit(report: &Report) -> String {
    let c = report.counts;
    let skipped = c.not_verifiable + c.not_applicable;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"assay check\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{skipped}\">",
        report.results.len(),
        c.fail
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"controls {}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{skipped}\">",
        xml_escape(&window_text(report.window)),
        report.results.len(),
        c.fail
    );
    for r in &report.results {
        let name = xml_escape(&format!("{} {}", r.control, r.title));
        let class = format!("assay.{}", r.control.split('-').next().unwrap_or("control"));
        let reason = xml_escape(&r.reason);
        match r.status {
            Status::Pass => {
                let _ = writeln!(out, "    <testcase classname=\"{class}\" name=\"{name}\"/>");
            }
            Status::Fail => {
                let _ = writeln!(
                    out,
                    "    <testcase classname=\"{class}\" name=\"{name}\">\n      <failure message=\"{reason}\" type=\"fail\">{reason}</failure>\n    </testcase>"
                );
            }
            Status::NotVerifiable | Status::NotApplicable => {
                let _ = writeln!(
                    out,
                    "    <testcase classname=\"{class}\" name=\"{name}\">\n      <skipped message=\"{}: {reason}\"/>\n    </testcase>",
                    r.status.key()
                );
            }
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Markdown: readiness per category, then one row per control.
pub fn markdown(report: &Report) -> String {
    let mut out = format!("# Assay check {}\n\n", window_text(report.window));
    let c = report.counts;
    let _ = writeln!(
        out,
        "{} pass · {} fail · {} not verifiable · {} not applicable\n",
        c.pass, c.fail, c.not_verifiable, c.not_applicable
    );
    out.push_str("## Readiness\n\n| category | ready criteria | share | criteria with no passing control |\n|---|---|---|---|\n");
    for r in &report.readiness {
        let _ = writeln!(
            out,
            "| {} | {}/{} | {:.0}% | {} |",
            r.name,
            r.ready_criteria,
            r.applicable_criteria,
            r.share * 100.0,
            md_cell(&r.without_passing_control.join(", "))
        );
    }
    out.push_str("\n## Controls\n\n| control | status | reason |\n|---|---|---|\n");
    for r in &report.results {
        let _ = writeln!(
            out,
            "| {} {} | {} | {} |",
            r.control,
            md_cell(&r.title),
            r.status.key(),
            md_cell(&r.reason)
        );
    }
    let with_exceptions: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.period.as_ref().is_some_and(|p| !p.exceptions.is_empty()))
        .collect();
    if !with_exceptions.is_empty() {
        out.push_str(
            "\n## Exceptions\n\n| control | date | reason | evidence |\n|---|---|---|---|\n",
        );
        for r in with_exceptions {
            for e in r.period.iter().flat_map(|p| &p.exceptions) {
                let ev: Vec<String> = e.evidence.iter().map(|i| format!("#{i}")).collect();
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    r.control,
                    e.at.strftime("%Y-%m-%d"),
                    md_cell(&e.reason),
                    ev.join(" ")
                );
            }
        }
    }
    out
}
