//! Settings are resolved once, here, in the order flags > `ASSAY_*` environment > `assay.toml` >
//! defaults, and handed down as plain values. Nothing below this module reads flags or environment.

use std::path::PathBuf;

use crate::args::{ColorChoice, GlobalArgs};
use crate::printer::Printer;

#[derive(Debug, Clone)]
pub struct Settings {
    pub json: bool,
    pub quiet: u8,
    pub verbose: u8,
    pub color: anstream::ColorChoice,
    /// Path of the system description (`--config`, `ASSAY_CONFIG`, default `assay.toml`).
    pub config: PathBuf,
    /// The workspace: the folder holding the description and its `.assay/` state.
    pub workspace: PathBuf,
    /// The clock every command uses: `ASSAY_NOW` (RFC 3339) when set, for reproducible demos and tests, else now.
    pub now: jiff::Timestamp,
}

impl Settings {
    pub fn resolve(args: &GlobalArgs) -> Settings {
        // clap has already merged `ASSAY_COLOR` and `ASSAY_CONFIG` into the flags.
        let color = match args.color {
            Some(ColorChoice::Always) => anstream::ColorChoice::Always,
            Some(ColorChoice::Never) => anstream::ColorChoice::Never,
            Some(ColorChoice::Auto) | None => anstream::ColorChoice::Auto,
        };
        let config = args
            .config
            .clone()
            .unwrap_or_else(|| PathBuf::from("assay.toml"));
        let workspace = match config.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
            _ => PathBuf::from("."),
        };
        let now = std::env::var("ASSAY_NOW")
            .ok()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .unwrap_or_else(jiff::Timestamp::now);
        Settings {
            now,
            json: args.json,
            quiet: args.quiet,
            verbose: args.verbose,
            color,
            config,
            workspace,
        }
    }

    pub fn printer(&self) -> Printer {
        Printer::new(self.json, self.quiet, self.color)
    }
}
