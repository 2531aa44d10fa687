//! The data the ML platform trains and monitors on, with problems planted for the data controls to
//! find: drift in two feature columns and a degraded model between the training reference and last
//! week's traffic, a training extract with personal data and a secret left in it, an ingestion batch
//! that breaks one validation rule, and a curated snapshot that is changed after it was recorded.
//! Everything is generated from a fixed seed, so every run finds the same things.

use std::fmt::Write as _;

use super::{DemoError, Workspace};

/// Where the demo's data lives, relative to the workspace.
pub const REFERENCE: &str = "datasets/reference.csv";
pub const CURRENT: &str = "datasets/current.csv";
pub const TRAINING: &str = "datasets/training-extract.csv";
pub const RULES: &str = "datasets/ingest-rules.toml";
pub const CURATED: &str = "datasets/curated";
pub const CURATED_PART: &str = "datasets/curated/2025-06/part-1.csv";

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.next().max(1e-12), self.next());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
    fn pick<'a>(&mut self, items: &[(&'a str, f64)]) -> &'a str {
        let mut u = self.next();
        for (v, p) in items {
            if u < *p {
                return v;
            }
            u -= p;
        }
        items.last().map_or("", |x| x.0)
    }
}

/// Transactions with the model's score. `current` shifts amounts and merchant mix, and the model
/// scoring them has degraded.
fn transactions(rows: usize, current: bool, seed: u64) -> String {
    let mut r = Rng(seed);
    let mut s = String::from(
        "transaction_id,amount,merchant_category,hour,account_age_days,region,device_id,is_fraud,score\n",
    );
    let merchants: &[(&str, f64)] = if current {
        &[
            ("grocery", 0.25),
            ("online", 0.40),
            ("travel", 0.10),
            ("fuel", 0.10),
            ("dining", 0.15),
        ]
    } else {
        &[
            ("grocery", 0.35),
            ("online", 0.20),
            ("travel", 0.10),
            ("fuel", 0.15),
            ("dining", 0.20),
        ]
    };
    for i in 0..rows {
        let scale = if current { 1.6 } else { 1.0 };
        let amount = (3.5 + 0.8 * r.normal()).exp() * scale;
        let merchant = r.pick(merchants);
        let hour = ((r.next() * 24.0) as u32).min(23);
        let age = (400.0 + 250.0 * r.normal()).abs().round();
        let region = r.pick(&[("north", 0.5), ("south", 0.5)]);
        let device = if current && r.next() < 0.04 {
            String::new()
        } else {
            format!("d{:06}", (r.next() * 999_999.0) as u32)
        };
        let fraud = r.next() < if merchant == "online" { 0.08 } else { 0.03 };
        let noise = if current { 0.35 } else { 0.12 };
        let score = (if fraud { 0.8 } else { 0.1 } + noise * r.normal()).clamp(0.0, 1.0);
        let _ = writeln!(
            s,
            "t{}{i:06},{amount:.2},{merchant},{hour},{age},{region},{device},{},{score:.4}",
            if current { "c" } else { "r" },
            u8::from(fraud)
        );
    }
    s
}

/// A training extract someone pulled with identifiers still in it.
fn training_extract() -> String {
    let mut r = Rng(99);
    let first = [
        "ava", "ben", "chloe", "dev", "ella", "finn", "grace", "hugo", "isla", "jack",
    ];
    let last = [
        "stone", "patel", "okafor", "nguyen", "murphy", "schmidt", "rossi", "kowalski",
    ];
    let domains = ["example.com", "mail.example.org", "inbox.example.net"];
    let cards = [
        "4539 1488 0343 6467",
        "5555 5555 5555 4444",
        "4111-1111-1111-1111",
        "3782 822463 10005",
    ];
    let mut s =
        String::from("customer_ref,contact_email,contact_phone,amount,merchant_category,notes\n");
    for i in 0..400 {
        let f = first[i % first.len()];
        let l = last[(i / 3) % last.len()];
        let email = if i % 4 == 0 {
            format!("{f}.{l}{}@{}", i % 97, domains[i % 3])
        } else {
            String::new()
        };
        let phone = if i % 10 == 0 {
            format!("+44 7700 900{:03}", (r.next() * 999.0) as u32)
        } else {
            String::new()
        };
        let note = match i % 50 {
            7 => format!(
                "\"customer read card {} over the phone\"",
                cards[(i / 50) % cards.len()]
            ),
            13 => "\"refund to GB82 WEST 1234 5698 7654 32\"".to_owned(),
            21 => "\"debug: aws key AKIAIOSFODNN7EXAMPLE used for export\"".to_owned(),
            _ => "ok".to_owned(),
        };
        let _ = writeln!(
            s,
            "c{i:05},{email},{phone},{:.2},{},{note}",
            (3.5 + 0.8 * r.normal()).exp(),
            ["grocery", "online", "travel"][i % 3]
        );
    }
    s
}

const RULES_TOML: &str = r#"# Ingestion rules for partner-bank drops (checked by `assay data validate`).
[dataset]
min_rows = 1000
max_duplicate_share = 0.05
duplicate_window = 1000

[schema]
columns = ["transaction_id", "amount", "merchant_category", "hour", "account_age_days", "device_id", "is_fraud"]
types = { amount = "number", hour = "integer", is_fraud = "integer" }

[[rule]]
check = "unique"
column = "transaction_id"

[[rule]]
check = "range"
column = "amount"
min = 0
max = 50000

[[rule]]
check = "in_set"
column = "merchant_category"
values = ["grocery", "online", "travel", "fuel", "dining"]

[[rule]]
check = "range"
column = "hour"
min = 0
max = 23

# Every transaction must carry the device that made it (fraud features depend on it).
[[rule]]
check = "not_null"
column = "device_id"
max_null_fraction = 0.01

# Poisoning tripwire: the fraud rate must not jump against the training reference.
[[rule]]
check = "label_shift"
column = "is_fraud"
max_psi = 0.1
"#;

pub fn build(ws: &mut Workspace) -> Result<(), DemoError> {
    let reference = transactions(5000, false, 17);
    ws.file(REFERENCE, &reference)?;
    ws.file(CURRENT, &transactions(5000, true, 29))?;
    ws.file(TRAINING, &training_extract())?;
    ws.file(RULES, RULES_TOML)?;
    let mut lines = reference.lines();
    let header = lines.next().unwrap_or_default();
    let rows: Vec<&str> = lines.collect();
    let (a, b) = rows.split_at(rows.len() / 2);
    ws.file(
        &format!("{CURATED}/2025-06/part-0.csv"),
        &format!("{header}\n{}\n", a.join("\n")),
    )?;
    ws.file(CURATED_PART, &format!("{header}\n{}\n", b.join("\n")))?;
    ws.file(
        &format!("{CURATED}/README.md"),
        "Curated, pseudonymised training features for June 2025. Snapshot `fraud-features` v2025.06.\n",
    )?;
    Ok(())
}
