//! Bodies for the dataset readers, rule files and PII recognisers (`assay-data`).

use std::io::BufReader;
use std::path::Path;

use assay_data::drift::{DriftConfig, Test};
use assay_data::pii::{self, PseudonymKey, RedactMode};
use assay_data::read::{self, Cell, RowCtx};
use assay_data::validate::{Rules, validate};

use crate::{scratch, split_nul};

/// A row callback asserting that cells line up with columns; returns how many rows it saw.
fn aligned(
    rows: &mut u64,
    grow_only: bool,
) -> impl FnMut(&RowCtx<'_>, &[Cell<'_>]) -> assay_data::Result<()> {
    let mut columns = 0usize;
    move |ctx, cells| {
        assert_eq!(
            cells.len(),
            ctx.columns.len(),
            "row {} has {} cells for {} columns",
            ctx.row,
            cells.len(),
            ctx.columns.len()
        );
        if grow_only {
            assert!(
                ctx.columns.len() >= columns,
                "columns shrank at row {}",
                ctx.row
            );
            columns = ctx.columns.len();
        }
        for c in cells {
            let _ = c.to_text();
            let _ = c.as_f64();
        }
        *rows += 1;
        Ok(())
    }
}

pub fn csv(data: &[u8]) {
    let mut seen = 0;
    let mut on_row = aligned(&mut seen, false);
    let strict = read::read_csv_bytes(data, &mut on_row);
    drop(on_row);
    if let Ok(n) = strict {
        assert_eq!(
            n, seen,
            "the reader's row count differs from the rows it fed"
        );
    }
    // The fast piece parser drift uses: it never panics, and when it accepts the whole input and the strict
    // reader does too, both see the same records (the first is the header).
    let mut rec = read::PieceRecords::new(data);
    let mut records = 0u64;
    let accepted = loop {
        match rec.advance() {
            Ok(true) => {
                for i in 0..=rec.len() {
                    let _ = rec.field(i);
                }
                records += 1;
            }
            Ok(false) => break true,
            Err(()) => break false,
        }
    };
    if let (true, Ok(n)) = (accepted, strict) {
        assert_eq!(
            records.saturating_sub(1),
            n,
            "the piece parser and the strict reader disagree on the number of records"
        );
    }
}

pub fn jsonl(data: &[u8]) {
    let mut seen = 0;
    let mut on_row = aligned(&mut seen, true);
    if let Ok(n) = read::read_jsonl(BufReader::new(data), Path::new("fuzz.jsonl"), &mut on_row) {
        drop(on_row);
        assert_eq!(
            n, seen,
            "the reader's row count differs from the rows it fed"
        );
    }
}

pub fn parquet(data: &[u8]) {
    let path = scratch("data.parquet");
    std::fs::write(&path, data).expect("write the scratch file");
    let mut seen = 0;
    let mut on_row = aligned(&mut seen, false);
    if let Ok(n) = read::read_parquet(&path, &mut on_row) {
        drop(on_row);
        assert_eq!(
            n, seen,
            "the reader's row count differs from the rows it fed"
        );
    }
}

/// The dataset the rule-file body validates: a little of every cell kind.
const DATASET: &str =
    "id,label,score,email\n1,fraud,0.9,a@example.com\n2,ok,0.1,\n3,ok,,b@example.org\n3,,7,x\n";

pub fn validation_rules(data: &[u8]) {
    let (rules, csv) = split_nul(data);
    let rules_path = scratch("rules.toml");
    std::fs::write(&rules_path, rules).expect("write the scratch file");
    let Ok(loaded) = Rules::load(&rules_path) else {
        return;
    };
    let data_path = scratch("dataset.csv");
    if csv.is_empty() {
        std::fs::write(&data_path, DATASET).expect("write the scratch file");
    } else {
        std::fs::write(&data_path, csv).expect("write the scratch file");
    }
    let _ = validate(&data_path, &rules_path, &loaded, None);
    let _ = validate(&data_path, &rules_path, &loaded, Some(&data_path));
}

pub fn drift_config(data: &[u8]) {
    let path = scratch("drift.toml");
    std::fs::write(&path, data).expect("write the scratch file");
    let Ok(cfg) = DriftConfig::load(&path) else {
        return;
    };
    for (col, o) in &cfg.columns {
        if let Some(t) = &o.test {
            assert!(
                Test::parse(t).is_some(),
                "column {col}: accepted unknown test `{t}`"
            );
        }
    }
}

pub fn pii_scan(data: &[u8]) {
    let mut found = Vec::new();
    pii::scan::scan(data, &mut found);
    for f in &found {
        assert!(
            f.start < f.end && f.end <= data.len(),
            "{:?} finding {}..{} outside 0..{}",
            f.entity,
            f.start,
            f.end,
            data.len()
        );
        assert!(
            f.score > 0.0 && f.score <= 1.0,
            "score {} outside (0, 1]",
            f.score
        );
        let _ = pii::redact_example(&data[f.start..f.end]);
    }
    // Whole lines, as the file scanner hands them over, with each layout.
    let block = match data.iter().rposition(|&b| b == b'\n') {
        Some(i) => &data[..=i],
        None => data,
    };
    let header = vec!["email".to_owned(), "phone".to_owned(), "note".to_owned()];
    for (h, jsonl) in [
        (None, false),
        (None, true),
        (Some(header.as_slice()), false),
    ] {
        for (f, _column) in pii::findings_in(block, h, jsonl, 0.0) {
            assert!(
                f.start < f.end && f.end <= block.len(),
                "finding outside the block"
            );
        }
    }
}

pub fn pii_redact(data: &[u8]) {
    let ext = match data.first().map(|b| b % 3) {
        Some(0) => "csv",
        Some(1) => "jsonl",
        _ => "txt",
    };
    let input = scratch(&format!("pii-in.{ext}"));
    let output = scratch(&format!("pii-out.{ext}"));
    std::fs::write(&input, data.get(1..).unwrap_or_default()).expect("write the scratch file");
    let key = PseudonymKey::new(&[7u8; 32]).expect("a 32-byte key");
    for (mode, key) in [
        (RedactMode::Mask, None),
        (RedactMode::Pseudonymise, Some(&key)),
    ] {
        if let Ok(report) = pii::redact_file(&input, &output, mode, key, 0.5) {
            let total: u64 = report.by_entity.values().sum();
            assert_eq!(
                total, report.replaced,
                "replacements by entity do not add up"
            );
            assert!(
                output.exists(),
                "redaction reported success without writing"
            );
        }
    }
}
