//! Where a PII scan's time goes, phase by phase, on one file (used by `bench/data.sh` and to profile):
//!
//! ```sh
//! cargo run --release -p assay-data --example pii_breakdown -- FILE [RUNS]
//! ```
//!
//! 1. reading the file in blocks of whole lines (what every scan pays before looking at a byte);
//! 2. the raw byte scanner ([`pii::scan::scan`]) over those blocks: candidates found and validated;
//! 3. the whole scan as `assay data scan` runs it ([`pii::scan_paths`]): context boost, column
//!    attribution, grouping, examples and locations on top.
//!
//! Each phase prints its best time of RUNS (default 3) and its rate in MB/s. A third argument (`read`, `raw`
//! or `whole`) runs only that phase, e.g. under `perf record`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use assay_data::pii::{self, ScanOptions};

fn best(runs: usize, mut f: impl FnMut() -> u64) -> (f64, u64) {
    let mut best = f64::INFINITY;
    let mut out = 0;
    for _ in 0..runs {
        let t = Instant::now();
        out = f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best, out)
}

/// Calls `each` on blocks of whole lines of about 8 MB, as the scanner reads them.
fn blocks(path: &Path, each: &mut dyn FnMut(&[u8])) {
    let mut file = std::fs::File::open(path).expect("open");
    let mut buf = vec![0u8; 8 << 20];
    let mut len = 0;
    loop {
        let n = file.read(&mut buf[len..]).expect("read");
        len += n;
        if n != 0 && len < buf.len() {
            continue;
        }
        let cut = if n == 0 {
            len
        } else {
            memchr::memrchr(b'\n', &buf[..len]).map_or(len, |k| k + 1)
        };
        each(&buf[..cut]);
        buf.copy_within(cut..len, 0);
        len -= cut;
        if n == 0 {
            break;
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(args.next().expect("usage: pii_breakdown FILE [RUNS]"));
    let runs: usize = args.next().map_or(3, |r| r.parse().expect("RUNS"));
    let only = args.next();
    let want = |phase: &str| only.as_deref().is_none_or(|o| o == phase);
    let mb = std::fs::metadata(&path).expect("metadata").len() as f64 / 1e6;
    let report = |name: &str, (secs, n): (f64, u64)| {
        println!("{name:<34} {secs:>7.3} s  {:>6.0} MB/s  ({n})", mb / secs);
    };
    if want("read") {
        report(
            "read blocks (lines counted)",
            best(runs, || {
                let mut lines = 0;
                blocks(&path, &mut |b| {
                    lines += memchr::memchr_iter(b'\n', b).count() as u64;
                });
                lines
            }),
        );
    }
    if want("raw") {
        report(
            "read + raw scan (candidates)",
            best(runs, || {
                let mut found = Vec::new();
                let mut n = 0;
                blocks(&path, &mut |b| {
                    found.clear();
                    pii::scan::scan(b, &mut found);
                    n += found.len() as u64;
                });
                n
            }),
        );
    }
    if want("whole") {
        report(
            "whole scan (findings)",
            best(runs, || {
                pii::scan_paths(std::slice::from_ref(&path), &ScanOptions::default())
                    .expect("scan")
                    .total
            }),
        );
    }
}
