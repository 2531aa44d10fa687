//! One module per command. Each takes parsed arguments and resolved settings, does its work through
//! the library crates, prints through the printer and returns an exit status.

pub mod alerts;
pub mod catalog;
pub mod check;
pub mod collect;
pub mod completions;
pub mod controls;
pub mod data;
pub mod demo;
pub mod evidence;
pub mod init;
pub mod ledger;
pub mod scan;
pub mod scope;
pub mod trace;

use assay_catalog::Catalog;

use crate::diagnostics;

/// The embedded catalog, or a diagnostic if the build is broken.
pub fn catalog() -> Result<&'static Catalog, miette::Report> {
    Catalog::embedded().map_err(|e| {
        diagnostics::error(
            format!("the built-in catalog is broken: {e}"),
            "this is a defect in this build of assay; please report it",
        )
    })
}

/// `1 control`, `2 controls`: every noun Assay counts takes a plain `s`.
pub fn plural(n: impl TryInto<u64>, word: &str) -> String {
    let n: u64 = n.try_into().unwrap_or(u64::MAX);
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Prefix every line of `text` with `indent`.
pub fn wrap_lines(text: &str, indent: &str) -> String {
    text.lines()
        .map(|l| format!("{indent}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Wrap `text` to `width` columns, each line prefixed with `indent`.
pub fn wrap(text: &str, indent: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent.len() + line.len() + 1 + word.len() > width {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(indent);
        out.push_str(&line);
        out.push('\n');
    }
    out.pop();
    out
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrap_keeps_words_whole_and_indents() {
        let text = "one two three four five six seven";
        assert_eq!(
            wrap(text, "  ", 14),
            "  one two\n  three four\n  five six\n  seven"
        );
        assert_eq!(wrap("", "  ", 10), "");
        assert_eq!(
            wrap("averyveryverylongword x", "", 5),
            "averyveryverylongword\nx"
        );
    }
}
