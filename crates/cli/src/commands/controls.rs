//! `assay controls test [ID…] [--builtin]`: run the test cases of the workspace's own controls (`controls/` beside
//! assay.toml), and of the built-in ones with `--builtin`. Exit 0 when every case holds, 1 when one does not,
//! 2 when a control's files are missing or malformed (named with file and line).

use std::fmt::Write as _;
use std::path::Path;

use assay_catalog::{BUILTIN_POLICIES, Catalog};
use assay_engine::{CaseOutcome, CustomControl, EngineError, run_cases};

use crate::args::ControlsTestArgs;
use crate::diagnostics;
use crate::printer::style::{self, paint};
use crate::settings::Settings;
use crate::{CommandResult, ExitStatus};

/// The folder of a workspace's own controls.
pub const CONTROLS_DIR: &str = "controls";

/// The workspace's controls, loaded and checked.
pub fn workspace_controls(
    workspace: &Path,
    catalog: &Catalog,
) -> Result<Vec<CustomControl>, miette::Report> {
    assay_engine::load_custom_controls(&workspace.join(CONTROLS_DIR), catalog).map_err(engine_error)
}

/// A diagnostic for an engine error: workspace files get their hint, built-in failures are defects.
pub fn engine_error(e: EngineError) -> miette::Report {
    let help = match &e {
        EngineError::Custom { hint, .. } => hint.clone(),
        EngineError::Compile { control, .. }
        | EngineError::Evaluate { control, .. }
        | EngineError::Output { control, .. }
        | EngineError::Cases { control, .. }
            if Catalog::embedded().is_ok_and(|c| c.control(control).is_some()) =>
        {
            "this is a defect in a built-in control test; please report it".to_owned()
        }
        EngineError::Compile { .. } => "fix the Rego module (Rego v1, package assay.control); docs/controls.md has the contract".to_owned(),
        EngineError::Evaluate { .. } | EngineError::Output { .. } => {
            "the module must define `occurrences` as a set of {at, ok, reason, evidence} objects (docs/controls.md)".to_owned()
        }
        EngineError::Cases { .. } => {
            "cases are a JSON array of {note, input: {at | period, scope?, evidence}, expected: {status, reason_contains?, verdict?}}".to_owned()
        }
        EngineError::Sample { .. } => String::new(),
        EngineError::Evidence { .. } => "run `assay verify` to find out whether the ledger was changed".to_owned(),
    };
    diagnostics::error(e.to_string(), help)
}

#[derive(serde::Serialize)]
struct ControlCases {
    control: String,
    source: &'static str,
    cases: Vec<CaseOutcome>,
}

pub fn test(args: &ControlsTestArgs, settings: &Settings) -> CommandResult {
    let printer = settings.printer();
    let catalog = super::catalog()?;
    let custom = workspace_controls(&settings.workspace, catalog)?;
    let wanted = |id: &str| args.ids.is_empty() || args.ids.iter().any(|w| w == id);
    for id in &args.ids {
        let known = custom.iter().any(|c| &c.control.id == id)
            || (args.builtin && BUILTIN_POLICIES.iter().any(|p| p.id == id));
        if !known {
            return Err(diagnostics::error(
                format!("no control `{id}` with test cases here"),
                format!(
                    "workspace controls: {}{}",
                    if custom.is_empty() {
                        format!(
                            "none in {}",
                            settings.workspace.join(CONTROLS_DIR).display()
                        )
                    } else {
                        custom
                            .iter()
                            .map(|c| c.control.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                    if args.builtin {
                        ""
                    } else {
                        "; add --builtin for the built-in controls"
                    }
                ),
            ));
        }
    }
    let mut runs = Vec::new();
    for c in custom.iter().filter(|c| wanted(&c.control.id)) {
        let cases = run_cases(
            &c.control,
            &c.rego_path.display().to_string(),
            &c.rego,
            &c.cases,
        )
        .map_err(engine_error)?;
        runs.push(ControlCases {
            control: c.control.id.clone(),
            source: "workspace",
            cases,
        });
    }
    if args.builtin {
        for p in BUILTIN_POLICIES.iter().filter(|p| wanted(p.id)) {
            let Some(control) = catalog.control(p.id) else {
                continue;
            };
            let cases = run_cases(control, p.path, p.rego, p.cases).map_err(engine_error)?;
            runs.push(ControlCases {
                control: p.id.to_owned(),
                source: "builtin",
                cases,
            });
        }
    }
    if runs.is_empty() {
        return Err(diagnostics::error(
            format!(
                "no workspace controls in {}",
                settings.workspace.join(CONTROLS_DIR).display()
            ),
            "add <ID>.toml, <ID>.rego and <ID>.cases.json there (docs/commands/controls.md), or pass --builtin",
        ));
    }
    let total: usize = runs.iter().map(|r| r.cases.len()).sum();
    let failed: usize = runs
        .iter()
        .map(|r| r.cases.iter().filter(|c| !c.passed).count())
        .sum();
    if printer.json_mode() {
        printer.json(&serde_json::json!({ "controls": runs, "cases": total, "failed": failed }))?;
    } else {
        let mut out = String::new();
        for r in &runs {
            let bad = r.cases.iter().filter(|c| !c.passed).count();
            let mark = if bad == 0 {
                paint(style::OK, "ok  ")
            } else {
                paint(style::ERROR, "FAIL")
            };
            let _ = writeln!(
                out,
                "{mark} {} ({}) {}",
                paint(style::ID, &r.control),
                r.source,
                super::plural(r.cases.len(), "case")
            );
            for c in r.cases.iter().filter(|c| !c.passed) {
                let _ = writeln!(
                    out,
                    "       {}\n         expected {}\n         got      {}",
                    c.note, c.expected, c.got
                );
            }
        }
        let _ = write!(
            out,
            "\n{} of {} held",
            total - failed,
            super::plural(total, "case")
        );
        printer.out(out)?;
    }
    Ok(if failed == 0 {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}
