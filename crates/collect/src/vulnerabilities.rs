//! Dependency vulnerability reports: `cargo audit --json`, `pip-audit -f json`, `osv-scanner --format json` and
//! `npm audit --json` (the format is recognised from the document's shape). One `vuln.finding` per (package,
//! advisory) in a report, observed at the scan time, subject `dependency:ECOSYSTEM/NAME` (or the entry's
//! `subject`).
//!
//! `severity` is `critical`, `high`, `medium`, `low` or `unknown`: the scanner's label when it gives one (npm,
//! GitHub advisories through osv-scanner), otherwise from a CVSS score or a CVSS v3 vector (base score computed
//! here: ≥ 9 critical, ≥ 7 high, ≥ 4 medium, > 0 low). pip-audit reports carry no severity: `unknown`.
//!
//! `first_seen` is when Assay first observed the finding: the earliest scan time of this run's reports and of the
//! `vuln.finding` items with the same package and advisory already in the ledger, so "critical open longer than 7
//! days" can be tested from daily scans. A finding absent from a later scan of the same target is taken as fixed
//! by the SUP-04 test.

use std::collections::BTreeMap;

use assay_ledger::{EvidenceKind, ListFilter};
use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Value, json};

use crate::error::CollectError;
use crate::exports::{self, iso, malformed, parse_time, str_of};

/// The `[source.NAME]` of vulnerability reports.
pub const SOURCE: &str = "vulnerabilities";

/// Which scanner wrote a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    CargoAudit,
    PipAudit,
    OsvScanner,
    NpmAudit,
}

/// One finding of a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub scanner: Format,
    /// The lockfile or project scanned, when the report says.
    pub target: Option<String>,
    pub ecosystem: String,
    pub package: String,
    pub version: Option<String>,
    pub advisory: String,
    pub aliases: Vec<String>,
    pub severity: String,
    pub cvss_score: Option<f64>,
    pub title: Option<String>,
    pub fixed_version: Option<String>,
    pub url: Option<String>,
}

/// CVSS v3.x base score of a vector (`CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H` → 9.8).
pub fn cvss3_base_score(vector: &str) -> Option<f64> {
    let mut m: BTreeMap<&str, &str> = BTreeMap::new();
    let mut parts = vector.split('/');
    if !parts.next()?.starts_with("CVSS:3") {
        return None;
    }
    for p in parts {
        let (k, v) = p.split_once(':')?;
        m.insert(k, v);
    }
    let changed = match *m.get("S")? {
        "U" => false,
        "C" => true,
        _ => return None,
    };
    let av = match *m.get("AV")? {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        _ => return None,
    };
    let ac = match *m.get("AC")? {
        "L" => 0.77,
        "H" => 0.44,
        _ => return None,
    };
    let pr = match (*m.get("PR")?, changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        ("H", false) => 0.27,
        ("H", true) => 0.5,
        _ => return None,
    };
    let ui = match *m.get("UI")? {
        "N" => 0.85,
        "R" => 0.62,
        _ => return None,
    };
    let cia = |k: &str| -> Option<f64> {
        match *m.get(k)? {
            "H" => Some(0.56),
            "L" => Some(0.22),
            "N" => Some(0.0),
            _ => None,
        }
    };
    let iss = 1.0 - (1.0 - cia("C")?) * (1.0 - cia("I")?) * (1.0 - cia("A")?);
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02f64).powi(15)
    } else {
        6.42 * iss
    };
    if impact <= 0.0 {
        return Some(0.0);
    }
    let exploitability = 8.22 * av * ac * pr * ui;
    let raw = if changed {
        (1.08 * (impact + exploitability)).min(10.0)
    } else {
        (impact + exploitability).min(10.0)
    };
    // Round up to one decimal, as the specification defines it (avoiding floating-point artefacts).
    let int = (raw * 100_000.0).round() as i64;
    Some(if int % 10_000 == 0 {
        int as f64 / 100_000.0
    } else {
        ((int / 10_000) + 1) as f64 / 10.0
    })
}

fn from_score(score: f64) -> &'static str {
    if score >= 9.0 {
        "critical"
    } else if score >= 7.0 {
        "high"
    } else if score >= 4.0 {
        "medium"
    } else if score > 0.0 {
        "low"
    } else {
        "unknown"
    }
}

fn label(s: &str) -> Option<&'static str> {
    match s.to_ascii_lowercase().as_str() {
        "critical" => Some("critical"),
        "high" => Some("high"),
        "moderate" | "medium" => Some("medium"),
        "low" => Some("low"),
        _ => None,
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// Which scanner wrote this document.
pub fn detect(doc: &Value) -> Option<Format> {
    if doc
        .get("vulnerabilities")
        .and_then(|v| v.get("list"))
        .is_some_and(Value::is_array)
    {
        Some(Format::CargoAudit)
    } else if doc.get("results").is_some_and(Value::is_array) {
        Some(Format::OsvScanner)
    } else if doc.get("dependencies").is_some_and(Value::is_array)
        || doc.as_array().is_some_and(|a| {
            a.iter()
                .all(|d| d.get("vulns").is_some() || d.get("skip_reason").is_some())
        })
    {
        Some(Format::PipAudit)
    } else if doc.get("auditReportVersion").is_some()
        || doc.get("vulnerabilities").is_some_and(Value::is_object)
    {
        Some(Format::NpmAudit)
    } else {
        None
    }
}

/// Read one report, recognising its scanner.
pub fn parse_report(text: &str) -> Result<(Format, Vec<Finding>), CollectError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        malformed(
            SOURCE,
            format!("line {}, column {}", e.line(), e.column()),
            format!("not JSON ({e})"),
        )
    })?;
    let format = detect(&doc).ok_or_else(|| {
        malformed(
            SOURCE,
            "line 1",
            "not a report of cargo audit --json, pip-audit -f json, osv-scanner --format json or npm audit --json",
        )
    })?;
    let findings = match format {
        Format::CargoAudit => cargo_audit(&doc)?,
        Format::PipAudit => pip_audit(&doc)?,
        Format::OsvScanner => osv(&doc)?,
        Format::NpmAudit => npm(&doc)?,
    };
    Ok((format, findings))
}

fn need<'a>(v: &'a Value, key: &str, what: &str) -> Result<&'a str, CollectError> {
    str_of(v, key).ok_or_else(|| malformed(SOURCE, what.to_owned(), format!("has no `{key}`")))
}

fn cargo_audit(doc: &Value) -> Result<Vec<Finding>, CollectError> {
    let mut out = Vec::new();
    for (k, v) in doc["vulnerabilities"]["list"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let what = format!("vulnerabilities.list[{k}]");
        let adv = v
            .get("advisory")
            .ok_or_else(|| malformed(SOURCE, what.clone(), "has no `advisory`"))?;
        let pkg = v
            .get("package")
            .ok_or_else(|| malformed(SOURCE, what.clone(), "has no `package`"))?;
        let cvss = str_of(adv, "cvss");
        let score = cvss.and_then(cvss3_base_score);
        let patched = strings(v.get("versions").and_then(|x| x.get("patched")));
        out.push(Finding {
            scanner: Format::CargoAudit,
            target: str_of(doc.get("lockfile").unwrap_or(&Value::Null), "path").map(str::to_owned),
            ecosystem: "crates.io".into(),
            package: need(pkg, "name", &what)?.to_owned(),
            version: str_of(pkg, "version").map(str::to_owned),
            advisory: need(adv, "id", &what)?.to_owned(),
            aliases: strings(adv.get("aliases")),
            severity: score.map(from_score).unwrap_or("unknown").to_owned(),
            cvss_score: score,
            title: str_of(adv, "title").map(str::to_owned),
            fixed_version: patched
                .first()
                .map(|p| p.trim_start_matches(['>', '=', '^', '~', ' ']).to_owned()),
            url: str_of(adv, "url").map(str::to_owned),
        });
    }
    Ok(out)
}

fn pip_audit(doc: &Value) -> Result<Vec<Finding>, CollectError> {
    let deps = doc.get("dependencies").unwrap_or(doc);
    let mut out = Vec::new();
    for (k, d) in deps.as_array().into_iter().flatten().enumerate() {
        let what = format!("dependencies[{k}]");
        if d.get("skip_reason").is_some() && d.get("vulns").is_none() {
            continue;
        }
        let name = need(d, "name", &what)?;
        let vulns = d
            .get("vulns")
            .and_then(Value::as_array)
            .ok_or_else(|| malformed(SOURCE, what.clone(), "has no `vulns` array"))?;
        for (j, v) in vulns.iter().enumerate() {
            out.push(Finding {
                scanner: Format::PipAudit,
                target: None,
                ecosystem: "PyPI".into(),
                package: name.to_owned(),
                version: str_of(d, "version").map(str::to_owned),
                advisory: need(v, "id", &format!("{what}.vulns[{j}]"))?.to_owned(),
                aliases: strings(v.get("aliases")),
                severity: "unknown".into(),
                cvss_score: None,
                title: str_of(v, "description").map(|s| s.lines().next().unwrap_or(s).to_owned()),
                fixed_version: strings(v.get("fix_versions")).into_iter().next(),
                url: None,
            });
        }
    }
    Ok(out)
}

fn osv(doc: &Value) -> Result<Vec<Finding>, CollectError> {
    let mut out = Vec::new();
    for (r, result) in doc["results"].as_array().into_iter().flatten().enumerate() {
        let target = result
            .get("source")
            .and_then(|s| str_of(s, "path"))
            .map(str::to_owned);
        for (p, entry) in result
            .get("packages")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let what = format!("results[{r}].packages[{p}]");
            let pkg = entry
                .get("package")
                .ok_or_else(|| malformed(SOURCE, what.clone(), "has no `package`"))?;
            let name = need(pkg, "name", &what)?;
            let groups: Vec<&Value> = entry
                .get("groups")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .collect();
            for (j, v) in entry
                .get("vulnerabilities")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let id = need(v, "id", &format!("{what}.vulnerabilities[{j}]"))?;
                let group_score = groups
                    .iter()
                    .find(|g| strings(g.get("ids")).iter().any(|x| x == id))
                    .and_then(|g| str_of(g, "max_severity"))
                    .and_then(|s| s.parse::<f64>().ok());
                let vector_score = v
                    .get("severity")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .find_map(|s| str_of(s, "score").and_then(cvss3_base_score));
                let score = group_score.or(vector_score);
                let severity = v
                    .get("database_specific")
                    .and_then(|d| str_of(d, "severity"))
                    .and_then(label)
                    .or_else(|| score.map(from_score))
                    .unwrap_or("unknown");
                let fixed = v
                    .get("affected")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter(|a| {
                        a.get("package")
                            .and_then(|p| str_of(p, "name"))
                            .is_none_or(|n| n == name)
                    })
                    .flat_map(|a| {
                        a.get("ranges")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                    })
                    .flat_map(|r| {
                        r.get("events")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                    })
                    .find_map(|e| str_of(e, "fixed"))
                    .map(str::to_owned);
                out.push(Finding {
                    scanner: Format::OsvScanner,
                    target: target.clone(),
                    ecosystem: str_of(pkg, "ecosystem").unwrap_or("unknown").to_owned(),
                    package: name.to_owned(),
                    version: str_of(pkg, "version").map(str::to_owned),
                    advisory: id.to_owned(),
                    aliases: strings(v.get("aliases")),
                    severity: severity.to_owned(),
                    cvss_score: score,
                    title: str_of(v, "summary").map(str::to_owned),
                    fixed_version: fixed,
                    url: None,
                });
            }
        }
    }
    Ok(out)
}

fn npm(doc: &Value) -> Result<Vec<Finding>, CollectError> {
    let Some(map) = doc.get("vulnerabilities").and_then(Value::as_object) else {
        return Err(malformed(
            SOURCE,
            "line 1",
            "npm audit report has no `vulnerabilities` object (npm 6 reports are not read; use npm 7 or later)",
        ));
    };
    let mut out = Vec::new();
    for (name, entry) in map {
        let fixed = match entry.get("fixAvailable") {
            Some(o @ Value::Object(_)) if str_of(o, "name") == Some(name.as_str()) => {
                str_of(o, "version").map(str::to_owned)
            }
            _ => None,
        };
        // `via` holds advisories (objects) and names of vulnerable dependencies (strings, reported there).
        for (j, via) in entry
            .get("via")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if !via.is_object() {
                continue;
            }
            let url = str_of(via, "url").map(str::to_owned);
            let advisory = url
                .as_deref()
                .and_then(|u| u.rsplit('/').next())
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .or_else(|| {
                    via.get("source")
                        .map(|s| s.to_string().trim_matches('"').to_owned())
                })
                .ok_or_else(|| {
                    malformed(
                        SOURCE,
                        format!("vulnerabilities.{name}.via[{j}]"),
                        "has neither `url` nor `source`",
                    )
                })?;
            let score = via
                .get("cvss")
                .and_then(|c| c.get("score"))
                .and_then(Value::as_f64)
                .filter(|s| *s > 0.0);
            let severity = str_of(via, "severity")
                .and_then(label)
                .or_else(|| score.map(from_score))
                .unwrap_or("unknown");
            out.push(Finding {
                scanner: Format::NpmAudit,
                target: None,
                ecosystem: "npm".into(),
                package: str_of(via, "name").unwrap_or(name).to_owned(),
                version: None,
                advisory,
                aliases: Vec::new(),
                severity: severity.to_owned(),
                cvss_score: score,
                title: str_of(via, "title").map(str::to_owned),
                fixed_version: fixed.clone(),
                url,
            });
        }
    }
    Ok(out)
}

/// `[source.vulnerabilities]`: scanner reports (files or folders of `.json`).
///
/// ```toml
/// [source.vulnerabilities]
/// files = ["scans/latest", { path = "scans/2026-10-05/pip-audit.json", at = "2026-10-05T06:00:00Z", subject = "service:score-api" }]
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VulnerabilitiesConfig {
    pub files: Vec<exports::FileSpec>,
}

impl VulnerabilitiesConfig {
    pub fn from_table(table: &toml::Table) -> Result<Self, CollectError> {
        Ok(VulnerabilitiesConfig {
            files: exports::file_specs(SOURCE, table, "scans")?,
        })
    }
}

/// Reads scanner reports.
#[derive(Debug, Clone)]
pub struct VulnerabilitiesCollector {
    config: VulnerabilitiesConfig,
}

impl VulnerabilitiesCollector {
    pub fn new(config: VulnerabilitiesConfig) -> Self {
        VulnerabilitiesCollector { config }
    }
}

/// The identity of a finding across scans.
fn finding_key(ecosystem: &str, package: &str, advisory: &str) -> String {
    format!("{ecosystem}/{package}#{advisory}")
}

impl crate::Collector for VulnerabilitiesCollector {
    fn source(&self) -> &str {
        SOURCE
    }

    fn collect(&self, ctx: &mut crate::Context<'_>) -> Result<crate::Collected, CollectError> {
        // First sightings already recorded.
        let mut first: BTreeMap<String, Timestamp> = BTreeMap::new();
        let stored = ctx
            .ledger
            .list(&ListFilter {
                kind: Some(EvidenceKind::VulnFinding),
                ..ListFilter::default()
            })
            .map_err(|e| CollectError::Ledger {
                source_name: SOURCE.into(),
                message: e.to_string(),
            })?;
        for s in stored {
            let p = &s.evidence.payload;
            let (Some(e), Some(n), Some(a)) = (
                str_of(p, "ecosystem"),
                str_of(p, "package"),
                str_of(p, "advisory"),
            ) else {
                continue;
            };
            let seen = str_of(p, "first_seen")
                .and_then(parse_time)
                .unwrap_or(s.evidence.observed_at);
            let slot = first.entry(finding_key(e, n, a)).or_insert(seen);
            *slot = (*slot).min(seen);
        }
        // (report path, scan time, subject, scanner, findings)
        type Report = (String, Timestamp, Option<String>, Format, Vec<Finding>);
        let mut reports: Vec<Report> = Vec::new();
        for spec in &self.config.files {
            let files = exports::read_all(
                SOURCE,
                ctx.workspace,
                std::slice::from_ref(&spec.path),
                &["json"],
                |f| parse_report(&f.text),
            )?;
            for (file, (format, findings)) in files {
                let at = spec.at.or(file.modified).unwrap_or(ctx.now);
                for f in &findings {
                    let slot = first
                        .entry(finding_key(&f.ecosystem, &f.package, &f.advisory))
                        .or_insert(at);
                    *slot = (*slot).min(at);
                }
                reports.push((file.rel, at, spec.subject.clone(), format, findings));
            }
        }
        let mut out = crate::Collected::default();
        for (rel, at, subject, format, findings) in reports {
            let scanner = serde_json::to_value(format)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            // The scan itself: it proves the scan ran, and that a finding absent from it is no longer open.
            let target_of = |f: &Finding| f.target.clone().unwrap_or_else(|| scanner.clone());
            let mut targets: BTreeMap<String, usize> = BTreeMap::new();
            for f in &findings {
                *targets.entry(target_of(f)).or_default() += 1;
            }
            if targets.is_empty() {
                targets.insert(scanner.clone(), 0);
            }
            for (target, n) in targets {
                out.evidence.push(exports::item(
                    EvidenceKind::VulnFinding,
                    subject.clone().unwrap_or_else(|| format!("scan:{target}")),
                    SOURCE,
                    format!("{rel}#scan/{target}"),
                    at,
                    ctx.now,
                    json!({"scan": true, "scanner": scanner, "target": target, "report": rel,
                           "scanned_at": iso(at), "findings": n}),
                ));
            }
            for f in findings {
                let key = finding_key(&f.ecosystem, &f.package, &f.advisory);
                let first_seen = first.get(&key).copied().unwrap_or(at);
                let mut payload = serde_json::to_value(&f).unwrap_or_else(|_| json!({}));
                if let Value::Object(m) = &mut payload {
                    m.insert("report".into(), json!(rel));
                    // Without a lockfile path, successive reports of one scanner compare as one target.
                    m.insert(
                        "target".into(),
                        json!(f.target.clone().unwrap_or_else(|| scanner.clone())),
                    );
                    m.insert("scanned_at".into(), json!(iso(at)));
                    m.insert("first_seen".into(), json!(iso(first_seen)));
                }
                out.evidence.push(exports::item(
                    EvidenceKind::VulnFinding,
                    subject
                        .clone()
                        .unwrap_or_else(|| format!("dependency:{}/{}", f.ecosystem, f.package)),
                    SOURCE,
                    format!("{rel}#{}", key),
                    at,
                    ctx.now,
                    payload,
                ));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) const CARGO_AUDIT: &str = include_str!("../tests/fixtures/vulns/cargo-audit.json");
    pub(crate) const PIP_AUDIT: &str = include_str!("../tests/fixtures/vulns/pip-audit.json");
    pub(crate) const OSV: &str = include_str!("../tests/fixtures/vulns/osv-scanner.json");
    pub(crate) const NPM: &str = include_str!("../tests/fixtures/vulns/npm-audit.json");

    #[test]
    fn cvss_base_scores() {
        for (v, want) in [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N", 5.4),
            ("CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.8),
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H", 5.9),
            ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
        ] {
            assert_eq!(cvss3_base_score(v), Some(want), "{v}");
        }
        assert_eq!(cvss3_base_score("CVSS:2.0/AV:N"), None);
        assert_eq!(
            cvss3_base_score("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            None
        );
    }

    /// (fixture, format, findings, first package, advisory, severity, fixed)
    #[test]
    fn each_scanner_format_is_recognised_and_read() {
        type Case<'a> = (
            &'a str,
            Format,
            usize,
            &'a str,
            &'a str,
            &'a str,
            Option<&'a str>,
        );
        let cases: [Case; 4] = [
            (
                CARGO_AUDIT,
                Format::CargoAudit,
                2,
                "idna",
                "RUSTSEC-2024-0421",
                "medium",
                Some("1.0.0"),
            ),
            (
                PIP_AUDIT,
                Format::PipAudit,
                3,
                "torch",
                "PYSEC-2024-259",
                "unknown",
                Some("2.2.0"),
            ),
            (
                OSV,
                Format::OsvScanner,
                2,
                "torch",
                "GHSA-pg7h-5qx3-wjr3",
                "critical",
                Some("2.2.0"),
            ),
            (
                NPM,
                Format::NpmAudit,
                2,
                "axios",
                "GHSA-wf5p-g6vw-rhxx",
                "medium",
                Some("1.7.4"),
            ),
        ];
        for (text, format, n, package, advisory, severity, fixed) in cases {
            let (got_format, findings) = parse_report(text).expect("report");
            assert_eq!(got_format, format);
            assert_eq!(findings.len(), n, "{format:?}: {findings:#?}");
            let f = &findings[0];
            assert_eq!(
                (f.package.as_str(), f.advisory.as_str()),
                (package, advisory),
                "{format:?}"
            );
            assert_eq!(f.severity, severity, "{format:?}");
            assert_eq!(f.fixed_version.as_deref(), fixed, "{format:?}");
        }
    }

    #[test]
    fn unknown_and_broken_reports_are_refused() {
        let err = parse_report("{\"hello\": 1}").expect_err("unknown");
        assert!(
            err.to_string().contains("not a report of cargo audit"),
            "{err}"
        );
        let err = parse_report("{\"results\": [\n{\"packages\": [{\"package\": {}}]}]}")
            .expect_err("no name");
        assert!(
            err.to_string()
                .contains("results[0].packages[0] is malformed: has no `name`"),
            "{err}"
        );
        let err = parse_report("{\"results\": [\n").expect_err("truncated");
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    proptest! {
        #[test]
        fn parsing_never_panics(doc in "\\PC{0,200}") {
            let _ = parse_report(&doc);
            let _ = cvss3_base_score(&doc);
        }

        #[test]
        fn cvss_scores_stay_in_range(
            av in "[NALP]", ac in "[LH]", pr in "[NLH]", ui in "[NR]", s in "[UC]", c in "[HLN]", i in "[HLN]", a in "[HLN]",
        ) {
            let v = format!("CVSS:3.1/AV:{av}/AC:{ac}/PR:{pr}/UI:{ui}/S:{s}/C:{c}/I:{i}/A:{a}");
            let score = cvss3_base_score(&v).expect("valid vector");
            prop_assert!((0.0..=10.0).contains(&score), "{} → {}", v, score);
        }
    }
}
