//! `assay data snapshot` and `assay data verify`.
use crate::CommandResult;
use crate::data_args::{DataVerifyArgs, SnapshotArgs};
use crate::settings::Settings;

pub fn snapshot(_args: &SnapshotArgs, _settings: &Settings) -> CommandResult {
    Err(crate::diagnostics::error(
        "not built yet",
        "see docs/data.md",
    ))
}
pub fn verify(_args: &DataVerifyArgs, _settings: &Settings) -> CommandResult {
    Err(crate::diagnostics::error(
        "not built yet",
        "see docs/data.md",
    ))
}
