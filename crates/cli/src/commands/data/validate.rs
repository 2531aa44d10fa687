//! `assay data validate`.
use crate::CommandResult;
use crate::data_args::ValidateArgs;
use crate::settings::Settings;

pub fn run(_args: &ValidateArgs, _settings: &Settings) -> CommandResult {
    Err(crate::diagnostics::error(
        "not built yet",
        "see docs/data.md",
    ))
}
