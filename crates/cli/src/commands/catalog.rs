//! `assay catalog criteria|risks|controls|show`.

use std::fmt::Write as _;

use serde_json::{Value, json};

use assay_catalog::{Catalog, Category, Control, Criterion, CriterionId, Entry, Risk, Stage};

use super::{catalog, plural, wrap};
use crate::args::{ControlsArgs, CriteriaArgs, RisksArgs, ShowArgs};
use crate::diagnostics;
use crate::printer::style::{self, paint};
use crate::settings::Settings;
use crate::{CommandResult, ExitStatus};

const WIDTH: usize = 100;

fn parse_category(raw: &Option<String>) -> Result<Option<Category>, miette::Report> {
    raw.as_deref()
        .map(|s| {
            s.parse::<Category>().map_err(|e| {
                diagnostics::error(
                    e.to_string(),
                    "see `assay catalog criteria` for the categories",
                )
            })
        })
        .transpose()
}

fn parse_stage(raw: &Option<String>) -> Result<Option<Stage>, miette::Report> {
    raw.as_deref()
        .map(|s| {
            s.parse::<Stage>().map_err(|e| {
                diagnostics::error(
                    e.to_string(),
                    "see `assay catalog controls` for each stage's controls",
                )
            })
        })
        .transpose()
}

fn criterion_json(c: &Catalog, criterion: &Criterion) -> Value {
    let series = c.series(&criterion.series);
    json!({
        "id": criterion.id,
        "category": criterion.category(),
        "series": criterion.series,
        "series_name": series.map(|s| s.name.as_str()),
        "coso_principle": criterion.coso,
        "title": criterion.title,
        "summary": criterion.summary,
        "controls": c.controls_for_criterion(criterion.id).map(|x| x.id.as_str()).collect::<Vec<_>>(),
        "risks": c.risks_for_criterion(criterion.id).map(|(r, _)| r.id.as_str()).collect::<Vec<_>>(),
    })
}

fn risk_json(c: &Catalog, risk: &Risk) -> Value {
    let mut v = serde_json::to_value(risk).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut v {
        map.insert(
            "controls".into(),
            json!(
                c.controls_for_risk(&risk.id)
                    .map(|x| x.id.as_str())
                    .collect::<Vec<_>>()
            ),
        );
    }
    v
}

fn control_json(control: &Control) -> Value {
    let mut v = serde_json::to_value(control).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut v {
        map.insert("has_test".into(), json!(control.has_test()));
    }
    v
}

pub fn criteria(args: &CriteriaArgs, settings: &Settings) -> CommandResult {
    let c = catalog()?;
    let printer = settings.printer();
    let only = parse_category(&args.category)?;
    let selected: Vec<&Criterion> = c
        .criteria
        .iter()
        .filter(|x| only.is_none_or(|cat| x.category() == cat))
        .collect();
    if printer.json_mode() {
        printer.json(&json!({
            "version": c.version,
            "count": selected.len(),
            "criteria": selected.iter().map(|x| criterion_json(c, x)).collect::<Vec<_>>(),
        }))?;
        return Ok(ExitStatus::Success);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} — {} criteria",
        paint(
            style::HEADING,
            format!("Trust Services Criteria, {}", c.version)
        ),
        selected.len()
    );
    let mut current_series = "";
    let mut current_category = None;
    for x in &selected {
        if current_category != Some(x.category()) {
            current_category = Some(x.category());
            let n = selected
                .iter()
                .filter(|y| y.category() == x.category())
                .count();
            let _ = writeln!(
                out,
                "\n{} ({n})",
                paint(style::HEADING, x.category().name())
            );
        }
        if current_series != x.series {
            current_series = &x.series;
            if let Some(series) = c.series(&x.series) {
                let heading = series
                    .heading
                    .as_deref()
                    .map(|h| format!(" [{h}]"))
                    .unwrap_or_default();
                let _ = writeln!(out, "  {}{heading} {}", series.id, series.name);
            }
        }
        let coso = x.coso.map(|p| format!("  COSO {p}")).unwrap_or_default();
        let controls = c.controls_for_criterion(x.id).count();
        let _ = writeln!(
            out,
            "    {} {}{}  {}",
            paint(style::ID, format!("{:<6}", x.id)),
            x.title,
            paint(style::DIM, coso),
            paint(style::DIM, format!("({})", plural(controls, "control")))
        );
    }
    printer.out(out.trim_end())?;
    if let Some(first) = selected.first() {
        printer.note(format!(
            "\nDescribe one with {}",
            paint(style::CMD, format!("assay catalog show {}", first.id))
        ))?;
    }
    Ok(ExitStatus::Success)
}

pub fn risks(args: &RisksArgs, settings: &Settings) -> CommandResult {
    let c = catalog()?;
    let printer = settings.printer();
    let stage = parse_stage(&args.stage)?;
    let selected: Vec<&Risk> = c
        .risks
        .iter()
        .filter(|r| stage.is_none_or(|s| r.stages.contains(&s)))
        .collect();
    if printer.json_mode() {
        printer.json(&json!({
            "count": selected.len(),
            "risks": selected.iter().map(|r| risk_json(c, r)).collect::<Vec<_>>(),
        }))?;
        return Ok(ExitStatus::Success);
    }
    let mut out = format!(
        "{} — {} risks\n",
        paint(style::HEADING, "AI risk library"),
        selected.len()
    );
    for r in &selected {
        let criteria: Vec<String> = r
            .threatens
            .iter()
            .map(|t| t.criterion.to_string())
            .collect();
        let controls = c.controls_for_risk(&r.id).count();
        let _ = writeln!(out, "\n  {}  {}", paint(style::ID, &r.id), r.title);
        let _ = writeln!(
            out,
            "    {}",
            paint(
                style::DIM,
                format!(
                    "stages: {} · threatens: {} · {}",
                    r.stages
                        .iter()
                        .map(|s| s.key())
                        .collect::<Vec<_>>()
                        .join(", "),
                    criteria.join(", "),
                    plural(controls, "control")
                )
            )
        );
    }
    printer.out(out.trim_end())?;
    Ok(ExitStatus::Success)
}

pub fn controls(args: &ControlsArgs, settings: &Settings) -> CommandResult {
    let c = catalog()?;
    let printer = settings.printer();
    let category = parse_category(&args.category)?;
    let stage = parse_stage(&args.stage)?;
    let criterion = args
        .criterion
        .as_deref()
        .map(CriterionId::parse)
        .transpose()
        .map_err(|e| {
            diagnostics::error(
                e.to_string(),
                "list the criteria with `assay catalog criteria`",
            )
        })?;
    if let Some(risk) = &args.risk
        && c.risk(risk).is_none()
    {
        return Err(diagnostics::error(
            format!("no risk has the id `{risk}`"),
            "list the risks with `assay catalog risks`",
        ));
    }
    let selected: Vec<&Control> = c
        .controls
        .iter()
        .filter(|x| category.is_none_or(|cat| x.criteria.iter().any(|id| id.category() == cat)))
        .filter(|x| stage.is_none_or(|s| x.stage == s))
        .filter(|x| criterion.is_none_or(|id| x.criteria.contains(&id)))
        .filter(|x| {
            args.risk
                .as_deref()
                .is_none_or(|r| x.risks.iter().any(|y| y.eq_ignore_ascii_case(r)))
        })
        .collect();
    if printer.json_mode() {
        printer.json(&json!({
            "count": selected.len(),
            "controls": selected.iter().map(|x| control_json(x)).collect::<Vec<_>>(),
        }))?;
        return Ok(ExitStatus::Success);
    }
    let without_test = selected.iter().filter(|x| !x.has_test()).count();
    let mut out = format!(
        "{} — {} controls\n",
        paint(style::HEADING, "Built-in controls"),
        selected.len()
    );
    let mut current = None;
    for x in &selected {
        if current != Some(x.stage) {
            current = Some(x.stage);
            let _ = writeln!(out, "\n{}", paint(style::HEADING, x.stage.key()));
        }
        let criteria: Vec<String> = x.criteria.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            out,
            "  {}  {}  {}",
            paint(style::ID, format!("{:<6}", x.id)),
            x.title,
            paint(
                style::DIM,
                format!("[{} · {} · {}]", x.frequency, x.nature, criteria.join(" "))
            )
        );
    }
    if without_test < selected.len() {
        let automated = selected.len() - without_test;
        let _ = write!(
            out,
            "\n{}",
            paint(
                style::DIM,
                format!("{automated} of these controls have an automated test.")
            )
        );
    }
    printer.out(out.trim_end())?;
    Ok(ExitStatus::Success)
}

pub fn show(args: &ShowArgs, settings: &Settings) -> CommandResult {
    let c = catalog()?;
    let printer = settings.printer();
    let entry = c.lookup(&args.id).map_err(|e| {
        diagnostics::error(
            e.to_string(),
            "ids are criteria (CC7.2), risks (RISK-DRIFT) or controls (see `assay catalog controls`)",
        )
    })?;
    if printer.json_mode() {
        let value = match entry {
            Entry::Criterion(x) => {
                json!({ "type": "criterion", "criterion": criterion_json(c, x) })
            }
            Entry::Risk(x) => json!({ "type": "risk", "risk": risk_json(c, x) }),
            Entry::Control(x) => json!({ "type": "control", "control": control_json(x) }),
        };
        printer.json(&value)?;
        return Ok(ExitStatus::Success);
    }
    let text = match entry {
        Entry::Criterion(x) => show_criterion(c, x),
        Entry::Risk(x) => show_risk(c, x),
        Entry::Control(x) => show_control(c, x),
    };
    printer.out(text.trim_end())?;
    Ok(ExitStatus::Success)
}

fn show_criterion(c: &Catalog, x: &Criterion) -> String {
    let mut out = header(x.id, &x.title);
    let series = c.series(&x.series);
    let series_name = series.map(|s| s.name.as_str()).unwrap_or("");
    let coso = x
        .coso
        .map(|p| format!(" · COSO principle {p}"))
        .unwrap_or_else(|| {
            if x.category() == Category::Security {
                " · supplemental criterion".to_owned()
            } else {
                String::new()
            }
        });
    let _ = writeln!(
        out,
        "{}\n",
        paint(
            style::DIM,
            format!(
                "{} · {} {}{coso}",
                x.category().name(),
                x.series,
                series_name
            )
        )
    );
    let _ = writeln!(out, "{}\n", wrap(&x.summary, "", WIDTH));
    let controls: Vec<&Control> = c.controls_for_criterion(x.id).collect();
    let _ = writeln!(
        out,
        "{} ({})",
        paint(style::HEADING, "Controls"),
        controls.len()
    );
    for ctl in &controls {
        row(&mut out, &ctl.id, &ctl.title);
    }
    let risks: Vec<_> = c.risks_for_criterion(x.id).collect();
    if !risks.is_empty() {
        let _ = writeln!(
            out,
            "\n{} ({})",
            paint(style::HEADING, "AI risks that threaten it"),
            risks.len()
        );
        for (r, t) in risks {
            let _ = writeln!(out, "  {}  {}", paint(style::ID, &r.id), r.title);
            let _ = writeln!(out, "{}", wrap(&t.why, "      ", WIDTH));
        }
    }
    out
}

fn show_risk(c: &Catalog, r: &Risk) -> String {
    let mut out = header(&r.id, &r.title);
    let stages: Vec<&str> = r.stages.iter().map(|s| s.key()).collect();
    let _ = writeln!(
        out,
        "{}\n",
        paint(style::DIM, format!("stages: {}", stages.join(", ")))
    );
    let _ = writeln!(out, "{}\n", wrap(&r.description, "", WIDTH));
    let _ = writeln!(out, "{}", paint(style::HEADING, "Criteria it threatens"));
    for t in &r.threatens {
        let title = c
            .criterion(t.criterion)
            .map(|x| x.title.as_str())
            .unwrap_or("");
        let _ = writeln!(
            out,
            "  {} {title}",
            paint(style::ID, format!("{:<6}", t.criterion.as_str()))
        );
        let _ = writeln!(out, "{}", wrap(&t.why, "         ", WIDTH));
    }
    let controls: Vec<&Control> = c.controls_for_risk(&r.id).collect();
    let _ = writeln!(
        out,
        "\n{} ({})",
        paint(style::HEADING, "Controls that mitigate it"),
        controls.len()
    );
    for ctl in controls {
        row(&mut out, &ctl.id, &ctl.title);
    }
    if !r.nist_ai_rmf.is_empty() {
        let _ = writeln!(
            out,
            "\n{} {}",
            paint(style::HEADING, "NIST AI RMF:"),
            r.nist_ai_rmf.join(", ")
        );
    }
    out
}

fn show_control(c: &Catalog, x: &Control) -> String {
    let mut out = header(&x.id, &x.title);
    let _ = writeln!(
        out,
        "{}\n",
        paint(
            style::DIM,
            format!(
                "stage: {} · frequency: {} · nature: {}",
                x.stage, x.frequency, x.nature
            )
        )
    );
    let _ = writeln!(out, "{}\n", wrap(&x.description, "", WIDTH));
    let _ = writeln!(out, "{}", paint(style::HEADING, "Criteria"));
    for id in &x.criteria {
        let title = c.criterion(*id).map(|y| y.title.as_str()).unwrap_or("");
        let _ = writeln!(
            out,
            "  {} {title}",
            paint(style::ID, format!("{:<6}", id.as_str()))
        );
    }
    if x.risks.is_empty() {
        if let Some(reason) = &x.baseline {
            let _ = writeln!(
                out,
                "\n{}\n{}",
                paint(style::HEADING, "Baseline control"),
                wrap(reason, "  ", WIDTH)
            );
        }
    } else {
        let _ = writeln!(out, "\n{}", paint(style::HEADING, "Risks it mitigates"));
        for r in &x.risks {
            let title = c.risk(r).map(|y| y.title.as_str()).unwrap_or("");
            let _ = writeln!(out, "  {}  {title}", paint(style::ID, r));
        }
    }
    let _ = writeln!(out, "\n{}", paint(style::HEADING, "Evidence"));
    for kind in &x.evidence {
        let about = c
            .evidence_kinds
            .iter()
            .find(|k| k.id == *kind)
            .map(|k| k.about.as_str())
            .unwrap_or("");
        let _ = writeln!(out, "  {kind:<22} {}", paint(style::DIM, about));
    }
    let test = match &x.test {
        Some(path) => path.clone(),
        None => "not automated".to_owned(),
    };
    let _ = writeln!(out, "\n{} {test}", paint(style::HEADING, "Test:"));
    out
}

/// The first line of `catalog show`: the id and the title.
fn header(id: impl std::fmt::Display, title: &str) -> String {
    format!(
        "{}  {}\n",
        paint(style::ID, id),
        paint(style::HEADING, title)
    )
}

/// A listed control: padded id, then its title.
fn row(out: &mut String, id: &str, title: &str) {
    let _ = writeln!(out, "  {}  {title}", paint(style::ID, format!("{id:<6}")));
}
