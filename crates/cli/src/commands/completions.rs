//! `assay completions SHELL`.

use clap::CommandFactory;

use crate::args::{Cli, CompletionsArgs};
use crate::settings::Settings;
use crate::{CommandResult, ExitStatus};

pub fn run(args: &CompletionsArgs, settings: &Settings) -> CommandResult {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "assay", &mut script);
    settings.printer().raw(String::from_utf8_lossy(&script))?;
    Ok(ExitStatus::Success)
}
