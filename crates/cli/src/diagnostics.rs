//! Turning library errors into diagnostics a person can act on: what went wrong, where (file, line,
//! column with the source shown), and what to do.

use std::io::Write;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource};

use assay_scope::ScopeError;

use crate::printer::Printer;

/// Print a diagnostic to stderr, in colour when the printer allows it.
pub fn render(printer: &Printer, report: &miette::Report) {
    let mut stream = printer.error_stream();
    let theme = if stream.current_choice() == anstream::ColorChoice::Never {
        GraphicalTheme::unicode_nocolor()
    } else {
        GraphicalTheme::unicode()
    };
    let mut text = String::new();
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    if handler.render_report(&mut text, report.as_ref()).is_err() {
        text = format!("{report:?}");
    }
    let _ = write!(stream, "{text}");
}

/// The JSON form of a diagnostic, printed on stdout under `--json`.
pub fn to_json(report: &miette::Report) -> serde_json::Value {
    serde_json::json!({
        "error": {
            "code": report.code().map(|c| c.to_string()),
            "message": report.to_string(),
            "help": report.help().map(|h| h.to_string()),
            "exit_code": 2,
        }
    })
}

/// A plain diagnostic with a hint.
pub fn error(message: impl Into<String>, help: impl Into<String>) -> miette::Report {
    miette::Report::new(MietteDiagnostic::new(message.into()).with_help(help.into()))
}

/// A diagnostic for a description that cannot be read or parsed, with the offending line shown.
pub fn scope_error(err: ScopeError, source_text: Option<String>) -> miette::Report {
    let help = err.hint();
    match (&err, source_text) {
        (
            ScopeError::Parse {
                path,
                line,
                column,
                message,
                span,
            },
            Some(text),
        ) => {
            let span = span.clone().unwrap_or(0..0);
            let label = LabeledSpan::new_with_span(Some(message.clone()), span);
            let diag = MietteDiagnostic::new(format!(
                "{} is not a valid system description (line {line}, column {column})",
                path.display()
            ))
            .with_code("assay::scope::parse")
            .with_label(label)
            .with_help(help);
            miette::Report::new(diag)
                .with_source_code(NamedSource::new(path.display().to_string(), text))
        }
        _ => miette::Report::new(
            MietteDiagnostic::new(err.to_string())
                .with_code("assay::scope::read")
                .with_help(help),
        ),
    }
}
