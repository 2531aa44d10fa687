//! `assay collect [--source NAME…]`: run the collectors configured under `[source.*]` in assay.toml and append
//! their evidence to the ledger, one batch per source.

use std::fmt::Write as _;
use std::path::Path;

use jiff::Timestamp;

use assay_collect::{CollectError, RunSummary, StoredBatch};
use assay_lineage::{Appended, IndexUpdate, LineageIndex};

use super::ledger::open_ledger;
use super::plural;
use crate::args::CollectArgs;
use crate::diagnostics;
use crate::printer::style::{self, paint};
use crate::progress::ProgressLine;
use crate::settings::Settings;
use crate::{CommandResult, ExitStatus};

pub fn run(args: &CollectArgs, settings: &Settings) -> CommandResult {
    let printer = settings.printer();
    let Collected {
        sources: summaries,
        index,
    } = collect(
        &settings.config,
        &settings.workspace,
        &args.sources,
        settings.now,
        settings.quiet > 0 || settings.json,
    )?;
    if printer.json_mode() {
        let index = match &index {
            Ok(u) => {
                serde_json::json!({ "covered": u.covered, "indexed": u.indexed, "rebuilt": u.rebuilt })
            }
            Err(e) => serde_json::json!({ "error": e }),
        };
        printer.json(&serde_json::json!({ "sources": summaries, "lineage_index": index }))?;
        return Ok(ExitStatus::Success);
    }
    let mut out = String::new();
    for s in &summaries {
        let range = match (s.first_new, s.last_new) {
            (Some(a), Some(b)) if a == b => format!(" (#{a})"),
            (Some(a), Some(b)) => format!(" (#{a}–#{b})"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "  {} {}, {} new{range}",
            paint(style::ID, format!("{:<12}", s.source)),
            plural(s.items, "item"),
            s.new
        );
    }
    printer.out(format!(
        "{}\n{}",
        paint(style::HEADING, "Collected"),
        out.trim_end()
    ))?;
    if let Err(e) = &index {
        printer.note(format!(
            "{} the lineage index was not updated ({e}); `assay trace` rebuilds it",
            paint(style::WARN, "note:")
        ))?;
    }
    printer.note(format!(
        "\n{}\n  {}",
        paint(style::HEADING, "Next"),
        paint(
            style::CMD,
            "assay trace MODEL#STAGE   # e.g. the model in production"
        )
    ))?;
    Ok(ExitStatus::Success)
}

/// What a collection did.
pub struct Collected {
    /// One summary per source run.
    pub sources: Vec<RunSummary>,
    /// The lineage index update after the run. The index is derived from the ledger, so a failure here does not
    /// fail the collection: `assay trace` brings the index up to date (or reads the ledger whole) itself.
    pub index: Result<IndexUpdate, String>,
}

/// Collect the selected sources of the description at `config`, then bring the lineage index up to date;
/// shared with `assay demo`.
pub fn collect(
    config: &Path,
    workspace: &Path,
    only: &[String],
    now: Timestamp,
    quiet: bool,
) -> Result<Collected, miette::Report> {
    let scope = super::scope::load(config)?;
    let tables: Vec<(String, toml::Table)> = scope
        .description
        .source
        .iter()
        .map(|(k, v)| (k.clone(), v.get_ref().clone()))
        .collect();
    let line_of = |name: &str| {
        scope
            .description
            .source
            .get(name)
            .map(|t| scope.line_of(t.span().start))
    };
    let explain = |e: CollectError| {
        let at = line_of(e.source_name())
            .map(|l| format!(" ({} line {l})", config.display()))
            .unwrap_or_default();
        diagnostics::error(format!("{e}{at}"), e.hint())
    };
    let (configs, skipped) = assay_collect::configure(&tables, workspace).map_err(explain)?;
    for name in only {
        if !tables.iter().any(|(n, _)| n == name) {
            return Err(diagnostics::error(
                format!("there is no [source.{name}] in {}", config.display()),
                format!(
                    "configured sources: {}; add a [source.{name}] table first (docs/commands/collect.md)",
                    if tables.is_empty() {
                        "none".to_owned()
                    } else {
                        tables
                            .iter()
                            .map(|(n, _)| n.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ),
            ));
        }
        if skipped.contains(name) {
            return Err(diagnostics::error(
                format!("this build of assay has no collector for [source.{name}]"),
                format!(
                    "collectors available: {}",
                    assay_collect::config::SUPPORTED.join(", ")
                ),
            ));
        }
    }
    if configs.is_empty() {
        return Err(diagnostics::error(
            format!(
                "{} configures no source assay can collect",
                config.display()
            ),
            "add for example `[source.git]` with `repos = [\".\"]` (docs/commands/collect.md)",
        ));
    }
    let mut ledger = open_ledger(workspace, true)?;
    let mut out = Vec::new();
    // The join rows of every item stored, taken while the items are in memory: the index update below then
    // reads nothing back from the ledger.
    let mut appended = Appended::new();
    let mut note = |batch: StoredBatch<'_>| match batch {
        StoredBatch::Evidence(items, outcomes) => appended.evidence(items, outcomes),
        StoredBatch::Canonical(items, outcomes) => appended.canonical(items, outcomes),
    };
    for (name, cfg) in &configs {
        if !only.is_empty() && !only.contains(name) {
            continue;
        }
        let collector = cfg.collector();
        let mut progress = ProgressLine::new("collecting", quiet);
        let result = assay_collect::run_observed(
            collector.as_ref(),
            &mut ledger,
            workspace,
            now,
            &mut progress,
            &mut note,
        );
        progress.finish();
        out.push(result.map_err(explain)?);
    }
    let mut progress = ProgressLine::new("indexing lineage", quiet);
    let index = LineageIndex::open(&LineageIndex::path_for(ledger.workspace()))
        .and_then(|mut index| index.update_appended(&ledger, appended))
        .map_err(|e| e.to_string());
    progress.finish();
    Ok(Collected {
        sources: out,
        index,
    })
}
