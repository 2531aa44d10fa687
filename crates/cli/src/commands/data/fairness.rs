//! `assay data fairness`.
use crate::CommandResult;
use crate::data_args::FairnessArgs;
use crate::settings::Settings;

pub fn run(_args: &FairnessArgs, _settings: &Settings) -> CommandResult {
    Err(crate::diagnostics::error(
        "not built yet",
        "see docs/data.md",
    ))
}
