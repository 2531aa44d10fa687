//! All output goes through one [`Printer`], so `--json`, `-q` and `--color` behave the same in
//! every command. Results go to stdout; notes (what was done, what to try next) go to stdout unless
//! `-q`; errors go to stderr.

use std::fmt::Display;
use std::io::{self, Write};

use anstream::{AutoStream, ColorChoice};
use anstyle::{AnsiColor, Effects, Style};
use serde::Serialize;

/// Writing to the terminal failed. A closed pipe (`assay … | head`) is treated as success by `main`.
#[derive(Debug, thiserror::Error)]
#[error("cannot write output: {0}")]
pub struct PrintError(#[from] pub io::Error);

impl miette::Diagnostic for PrintError {}

/// What every printing method returns.
pub type PrintResult = Result<(), PrintError>;

#[derive(Debug, Clone, Copy)]
pub struct Printer {
    json: bool,
    quiet: u8,
    color: ColorChoice,
}

impl Printer {
    pub fn new(json: bool, quiet: u8, color: ColorChoice) -> Printer {
        Printer { json, quiet, color }
    }

    pub fn json_mode(&self) -> bool {
        self.json
    }

    fn stdout(&self) -> AutoStream<io::StdoutLock<'static>> {
        AutoStream::new(io::stdout().lock(), self.color)
    }

    fn stderr(&self) -> AutoStream<io::StderrLock<'static>> {
        AutoStream::new(io::stderr().lock(), self.color)
    }

    /// A result line: always printed in text mode (unless `-qq`).
    pub fn out(&self, text: impl Display) -> PrintResult {
        if self.quiet >= 2 {
            return Ok(());
        }
        Ok(writeln!(self.stdout(), "{text}")?)
    }

    /// Context and next steps: hidden by `-q`.
    pub fn note(&self, text: impl Display) -> PrintResult {
        if self.quiet > 0 {
            return Ok(());
        }
        Ok(writeln!(self.stdout(), "{text}")?)
    }

    /// Raw text to stdout (schemas, completion scripts): never suppressed.
    pub fn raw(&self, text: impl Display) -> PrintResult {
        let mut out = io::stdout().lock();
        write!(out, "{text}")?;
        Ok(out.flush()?)
    }

    /// One JSON document to stdout.
    pub fn json(&self, value: &impl Serialize) -> PrintResult {
        // Render first, so a serialisation failure never leaves half a document on stdout.
        let text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
        Ok(writeln!(io::stdout().lock(), "{text}")?)
    }

    /// The error stream, for rendered diagnostics.
    pub fn error_stream(&self) -> AutoStream<io::StderrLock<'static>> {
        self.stderr()
    }
}

/// The few styles every command uses, so output looks the same everywhere.
pub mod style {
    use super::*;

    pub const HEADING: Style = Style::new().effects(Effects::BOLD);
    pub const ID: Style = Style::new()
        .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)))
        .effects(Effects::BOLD);
    pub const OK: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));
    pub const WARN: Style = Style::new()
        .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)))
        .effects(Effects::BOLD);
    pub const ERROR: Style = Style::new()
        .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)))
        .effects(Effects::BOLD);
    pub const DIM: Style = Style::new().effects(Effects::DIMMED);
    pub const CMD: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)));

    /// `text` wrapped in `style`.
    pub fn paint(style: Style, text: impl Display) -> String {
        format!("{style}{text}{style:#}")
    }
}
