//! `assay init`: write an annotated assay.toml.

use std::io::Write;

use crate::args::InitArgs;
use crate::diagnostics;
use crate::printer::style::{self, paint};
use crate::settings::Settings;
use crate::{CommandResult, ExitStatus};

pub fn run(args: &InitArgs, settings: &Settings) -> CommandResult {
    let printer = settings.printer();
    let path = &settings.config;
    let text = assay_scope::init_template(&args.name, &args.service);
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if args.force {
        options.create(true).truncate(true);
    } else {
        // create_new refuses an existing file atomically: nothing is ever overwritten by accident.
        options.create_new(true);
    }
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            diagnostics::error(
                format!("{} already exists", path.display()),
                "pass --force to overwrite it, or --config to write somewhere else",
            )
        } else {
            diagnostics::error(
                format!("cannot write {}: {e}", path.display()),
                "check that the directory exists and is writable",
            )
        }
    })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| {
            diagnostics::error(
                format!("cannot write {}: {e}", path.display()),
                "check free space and permissions",
            )
        })?;
    if printer.json_mode() {
        printer.json(&serde_json::json!({ "written": path, "name": args.name }))?;
    } else {
        printer.out(format!("Wrote {}", path.display()))?;
        printer.note(format!(
            "Describe your components, subservice organisations and teams in it, then run {}",
            paint(style::CMD, "assay scope check")
        ))?;
    }
    Ok(ExitStatus::Success)
}
