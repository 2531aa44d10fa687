//! `assay data scan` and `assay data redact`.
use crate::CommandResult;
use crate::data_args::{RedactArgs, ScanArgs};
use crate::settings::Settings;

pub fn scan(_args: &ScanArgs, _settings: &Settings) -> CommandResult {
    Err(crate::diagnostics::error(
        "not built yet",
        "see docs/data.md",
    ))
}
pub fn redact(_args: &RedactArgs, _settings: &Settings) -> CommandResult {
    Err(crate::diagnostics::error(
        "not built yet",
        "see docs/data.md",
    ))
}
