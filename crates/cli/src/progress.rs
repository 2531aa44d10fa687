//! A progress line on stderr for long operations. Drawn only on a terminal, never with `-q` or
//! `--json`, and at most a few times a second, so it costs nothing when output is piped.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use assay_ledger::Progress;

#[derive(Debug)]
pub struct ProgressLine {
    label: &'static str,
    enabled: bool,
    total: u64,
    done: u64,
    last: Option<Instant>,
}

impl ProgressLine {
    pub fn new(label: &'static str, quiet: bool) -> ProgressLine {
        ProgressLine {
            label,
            enabled: !quiet && std::io::stderr().is_terminal(),
            total: 0,
            done: 0,
            last: None,
        }
    }

    fn draw(&mut self, force: bool) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if !force
            && self
                .last
                .is_some_and(|t| now - t < Duration::from_millis(200))
        {
            return;
        }
        self.last = Some(now);
        let pct = (self.done * 100).checked_div(self.total).unwrap_or(100);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{} {}/{} ({pct}%)",
            self.label, self.done, self.total
        );
        let _ = err.flush();
    }

    /// Clear the line.
    pub fn finish(&mut self) {
        if self.enabled && self.last.is_some() {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}

impl Progress for ProgressLine {
    fn set_total(&mut self, total: u64) {
        self.total = total;
        self.draw(false);
    }

    fn inc(&mut self, n: u64) {
        self.done = self.done.saturating_add(n);
        self.draw(self.done >= self.total);
    }
}
