//! `assay trace MODEL[@VERSION|:ALIAS|#STAGE] [--format text|json|md]`: how a model version was made, from the
//! evidence in the ledger, with every broken link as a finding (exit 1 when there is one).

use assay_lineage::{Graph, LineageError, LineageIndex, Selector, Trace, trace_indexed};

use super::ledger::open_ledger;
use crate::args::{TraceArgs, TraceFormat};
use crate::diagnostics;
use crate::printer::style::{self, paint};
use crate::settings::Settings;
use crate::{CommandResult, ExitStatus};

pub fn run(args: &TraceArgs, settings: &Settings) -> CommandResult {
    let printer = settings.printer();
    let t = if args.no_index {
        trace_whole(&settings.workspace, &args.model)?
    } else {
        trace(&settings.workspace, &args.model)?
    };
    let format = if settings.json {
        TraceFormat::Json
    } else {
        args.format
    };
    match format {
        TraceFormat::Json => printer.json(&t)?,
        TraceFormat::Md => printer.raw(assay_lineage::render_markdown(&t))?,
        TraceFormat::Text => printer.out(text(&t))?,
    }
    Ok(if t.complete() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// The text form with headings painted.
pub fn text(t: &Trace) -> String {
    {
        {
            let text = assay_lineage::render_text(t);
            let mut lines = text.lines();
            let head = lines.next().unwrap_or_default();
            let rest: Vec<&str> = lines.collect();
            let body = rest
                .iter()
                .map(|l| {
                    if !l.starts_with(' ') && !l.is_empty() {
                        if l.starts_with("Broken links") {
                            paint(style::ERROR, l)
                        } else if l.starts_with("Chain complete") {
                            paint(style::OK, l)
                        } else {
                            paint(style::HEADING, l)
                        }
                    } else {
                        (*l).to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n");
            format!("{}\n{body}", paint(style::ID, head))
        }
    }
}

/// Trace one selector through the lineage index, reading only the items the walk needs; shared with `assay
/// demo`. When the index cannot be opened or brought up to date (a read-only workspace, say), the ledger is
/// read whole instead: the answer is the same, only slower.
pub fn trace(workspace: &std::path::Path, selector: &str) -> Result<Trace, miette::Report> {
    let sel = Selector::parse(selector).map_err(lineage_error)?;
    let ledger = open_ledger(workspace, false)?;
    match LineageIndex::open_updated(&ledger) {
        Ok((index, _)) => trace_indexed(&ledger, &index, &sel)
            .map(|(t, _)| t)
            .map_err(lineage_error),
        Err(_) => whole(&ledger, &sel),
    }
}

/// Trace one selector from every lineage item of the ledger, without the index.
pub fn trace_whole(workspace: &std::path::Path, selector: &str) -> Result<Trace, miette::Report> {
    let sel = Selector::parse(selector).map_err(lineage_error)?;
    let ledger = open_ledger(workspace, false)?;
    whole(&ledger, &sel)
}

fn whole(ledger: &assay_ledger::Ledger, sel: &Selector) -> Result<Trace, miette::Report> {
    let graph = Graph::load(ledger).map_err(lineage_error)?;
    assay_lineage::trace(&graph, sel).map_err(lineage_error)
}

fn lineage_error(e: LineageError) -> miette::Report {
    let help = match &e {
        LineageError::BadSelector { .. } => {
            "write MODEL, MODEL@VERSION (fraud-scorer@v1.2.0), MODEL:ALIAS (churn:champion) or MODEL#STAGE (fraud-scorer#prod)".to_owned()
        }
        LineageError::UnknownModel { known, .. } if known.is_empty() => {
            "the ledger holds no registry evidence yet: configure [source.gto] or [source.mlflow] and run `assay collect`".to_owned()
        }
        LineageError::UnknownModel { known, .. } => format!("models in the ledger: {}", known.join(", ")),
        LineageError::NotFound { known, .. } if known.is_empty() => "the ledger holds none; run `assay collect` after registering".to_owned(),
        LineageError::NotFound { known, .. } => format!("known: {}", known.join(", ")),
        LineageError::Ledger { .. } => "run `assay verify` to check the ledger".to_owned(),
        LineageError::Index { path, .. } => format!(
            "the lineage index is derived data: delete {} and run the command again, or pass --no-index",
            path.display()
        ),
    };
    diagnostics::error(e.to_string(), help)
}
