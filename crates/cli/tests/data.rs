//! `assay data …` through the binary: exit codes, readable findings, evidence recorded, and malformed
//! input refused with file and row while nothing is stored.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use insta::assert_snapshot;

fn assay_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_assay"));
    c.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env_remove("ASSAY_CONFIG")
        .env_remove("ASSAY_COLOR")
        .env_remove("ASSAY_PSEUDONYM_KEY");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run assay")
}

fn assay(dir: &Path, args: &[&str]) -> Output {
    assay_env(dir, args, &[])
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A deterministic generator (xorshift) for test data.
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
}

fn dataset(path: &Path, n: usize, shift: bool, seed: u64) {
    let mut r = Rng(seed);
    let mut s = String::from("amount,age,channel,label,score\n");
    for _ in 0..n {
        let amount = 50.0 + 10.0 * r.normal() + if shift { 15.0 } else { 0.0 };
        let age = 40.0 + 8.0 * r.normal();
        let u = r.next();
        let channel = if shift {
            if u < 0.2 {
                "web"
            } else if u < 0.4 {
                "app"
            } else {
                "branch"
            }
        } else if u < 0.6 {
            "web"
        } else if u < 0.9 {
            "app"
        } else {
            "branch"
        };
        let label = u8::from(r.next() < 0.3);
        let noise = if shift { 0.45 } else { 0.1 };
        let score = (f64::from(label) * 0.7 + 0.15 + noise * r.normal()).clamp(0.0, 1.0);
        let _ = writeln!(s, "{amount:.3},{age:.2},{channel},{label},{score:.4}");
    }
    std::fs::write(path, s).expect("write dataset");
}

fn evidence_count(dir: &Path, kind: &str) -> usize {
    if !dir.join(".assay").exists() {
        return 0;
    }
    let o = assay(dir, &["--json", "evidence", "list", "--kind", kind]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json list");
    v["items"].as_array().map_or(0, Vec::len)
}

#[test]
fn drift_detects_shift_and_degradation_and_records_evidence() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    dataset(&d.join("ref.csv"), 3000, false, 7);
    dataset(&d.join("same.csv"), 3000, false, 11);
    dataset(&d.join("cur.csv"), 3000, true, 13);
    let o = assay(
        d,
        &[
            "data",
            "drift",
            "--reference",
            "ref.csv",
            "--current",
            "same.csv",
        ],
    );
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let o = assay(
        d,
        &[
            "data",
            "drift",
            "--reference",
            "ref.csv",
            "--current",
            "cur.csv",
            "--target",
            "label",
            "--prediction",
            "score",
            "--html",
            "drift.html",
        ],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("amount   numerical    wasserstein"), "{text}");
    assert!(text.contains("2 of 3 columns drifted"), "{text}");
    assert!(text.contains("DEGRADED"), "{text}");
    let html = std::fs::read_to_string(d.join("drift.html")).expect("html");
    assert!(
        html.contains("<svg") && !html.contains("<script"),
        "self-contained, no scripts"
    );
    assert_eq!(evidence_count(d, "drift.report"), 2);
    // Per-column override from a config file: a tiny threshold makes age drift too.
    std::fs::write(
        d.join("drift.toml"),
        "[columns.age]\ntest = \"psi\"\nthreshold = 0.000001\n",
    )
    .expect("cfg");
    let o = assay(
        d,
        &[
            "--json",
            "data",
            "drift",
            "--reference",
            "ref.csv",
            "--current",
            "same.csv",
            "--drift-config",
            "drift.toml",
            "--no-record",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let age = v["report"]["columns"]
        .as_array()
        .expect("cols")
        .iter()
        .find(|c| c["column"] == "age")
        .expect("age")
        .clone();
    assert_eq!(
        (age["test"].as_str(), age["drifted"].as_bool()),
        (Some("psi"), Some(true))
    );
}

fn redact_tmp(s: &str, d: &Path) -> String {
    s.replace(&d.display().to_string(), "[TMP]")
}

#[test]
fn malformed_inputs_exit_2_with_file_and_row_and_record_nothing() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    dataset(&d.join("ref.csv"), 50, false, 3);
    std::fs::write(
        d.join("quote.csv"),
        "amount,age,channel,label,score\n1,2,web,0,0.1\n3,4,\"web,0,0.2\n",
    )
    .expect("write");
    std::fs::write(
        d.join("utf8.csv"),
        b"amount,age,channel,label,score\n1,2,w\xffb,0,0.1\n",
    )
    .expect("write");
    let o = assay(
        d,
        &[
            "data",
            "drift",
            "--reference",
            "ref.csv",
            "--current",
            "quote.csv",
        ],
    );
    assert_eq!(code(&o), 2);
    assert_snapshot!(stderr(&o), @r#"
    assay::data::malformed

      × quote.csv, row 3: a quoted field is never closed (the file ends inside quotes)
      help: fix the record: quote fields containing commas, quotes or newlines, and double quotes
            inside quoted fields ("")
    "#);
    let o = assay(d, &["data", "validate", "--rules", "none.toml", "utf8.csv"]);
    assert_eq!(code(&o), 2);
    let o = assay(d, &["data", "scan", "utf8.csv", "--no-record"]);
    assert_eq!(
        code(&o),
        0,
        "the PII scan reads bytes and tolerates bad UTF-8"
    );
    std::fs::write(d.join("rules.toml"), "[dataset]\nmin_rows = 1\n").expect("rules");
    let o = assay(
        d,
        &["data", "validate", "--rules", "rules.toml", "utf8.csv"],
    );
    assert_eq!(code(&o), 2);
    assert_snapshot!(stderr(&o), @r#"
    assay::data::malformed

      × utf8.csv, row 2: the bytes are not valid UTF-8 (field 3, byte 2)
      help: re-encode the file as UTF-8 (for example `iconv -f latin1 -t utf-8`)
    "#);
    // Truncated Parquet.
    {
        use arrow_array::{ArrayRef, Float64Array, RecordBatch};
        let x: ArrayRef = Arc::new(Float64Array::from_iter_values((0..500).map(f64::from)));
        let batch = RecordBatch::try_from_iter([("amount", x)]).expect("batch");
        let f = std::fs::File::create(d.join("full.parquet")).expect("create");
        let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), None).expect("writer");
        w.write(&batch).expect("write");
        w.close().expect("close");
        let bytes = std::fs::read(d.join("full.parquet")).expect("read");
        std::fs::write(d.join("cut.parquet"), &bytes[..bytes.len() - 20]).expect("write");
    }
    let o = assay(
        d,
        &[
            "data",
            "drift",
            "--reference",
            "full.parquet",
            "--current",
            "cut.parquet",
        ],
    );
    assert_eq!(code(&o), 2);
    let err = redact_tmp(&stderr(&o), d);
    assert!(
        err.contains("cut.parquet: not a readable Parquet file"),
        "{err}"
    );
    assert!(!d.join(".assay").exists(), "nothing was recorded");
}

#[test]
fn snapshot_then_modify_then_verify_lists_every_change() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    std::fs::create_dir_all(d.join("data/part")).expect("dirs");
    std::fs::write(d.join("data/a.csv"), "x\n1\n").expect("a");
    std::fs::write(d.join("data/part/b.csv"), "x\n2\n").expect("b");
    std::fs::write(d.join("data/c.csv"), "x\n3\n").expect("c");
    let o = assay(
        d,
        &[
            "data",
            "snapshot",
            "data",
            "--name",
            "tx",
            "--version",
            "v1",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = assay(
        d,
        &["data", "verify", "data", "--name", "tx", "--version", "v1"],
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    std::fs::write(d.join("data/a.csv"), "x\n1\n9\n").expect("modify");
    std::fs::remove_file(d.join("data/part/b.csv")).expect("remove");
    std::fs::write(d.join("data/new.csv"), "x\n4\n").expect("add");
    let o = assay(
        d,
        &[
            "--json",
            "data",
            "verify",
            "data",
            "--name",
            "tx",
            "--version",
            "v1",
        ],
    );
    assert_eq!(code(&o), 1);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let names = |k: &str| -> Vec<String> {
        v["verification"][k]
            .as_array()
            .expect(k)
            .iter()
            .map(|f| f["path"].as_str().expect("path").to_owned())
            .collect()
    };
    assert_eq!(names("added"), ["new.csv"]);
    assert_eq!(names("removed"), ["part/b.csv"]);
    assert_eq!(names("modified"), ["a.csv"]);
    assert_eq!(v["verification"]["unchanged"], 1);
    let o = assay(
        d,
        &[
            "data",
            "snapshot",
            "data",
            "--name",
            "tx",
            "--version",
            "v1",
        ],
    );
    assert_eq!(
        code(&o),
        2,
        "a recorded version cannot be re-recorded with other contents"
    );
    let o = assay(
        d,
        &["data", "verify", "data", "--name", "tx", "--version", "v9"],
    );
    assert_eq!(code(&o), 2);
    assert_eq!(evidence_count(d, "dataset.snapshot"), 3);
}

#[test]
fn scan_finds_planted_pii_and_redact_keeps_the_key_secret() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    std::fs::write(
        d.join("train.csv"),
        "id,email,phone,ssn,note\n1,ann@example.com,+1 415 555 2671,536-90-4719,ok\n2,bob@example.org,,,\"card 4111 1111 1111 1111\"\n3,,,,fine\n",
    )
    .expect("write");
    let o = assay(d, &["data", "scan", "train.csv"]);
    assert_eq!(code(&o), 1, "findings are failures");
    let text = stdout(&o);
    assert!(
        text.contains("EMAIL_ADDRESS  train.csv [email]  2"),
        "{text}"
    );
    assert!(text.contains("CREDIT_CARD  train.csv [note]  1"), "{text}");
    assert!(
        !text.contains("ann@example.com") && !text.contains("4111 1111 1111 1111"),
        "{text}"
    );
    let o = assay(
        d,
        &[
            "data",
            "scan",
            "train.csv",
            "--format",
            "sarif",
            "--no-record",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("sarif");
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(v["runs"][0]["results"].as_array().map(Vec::len), Some(5));
    let o = assay(d, &["data", "redact", "train.csv", "--out", "clean.csv"]);
    assert_eq!(code(&o), 2, "no key");
    let key = "correct-horse-battery-staple-42";
    let o = assay_env(
        d,
        &[
            "--json",
            "data",
            "redact",
            "train.csv",
            "--out",
            "clean.csv",
        ],
        &[("ASSAY_PSEUDONYM_KEY", key)],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(!stdout(&o).contains(key));
    let clean = std::fs::read_to_string(d.join("clean.csv")).expect("clean");
    assert!(
        !clean.contains("@example") && clean.contains("EMAIL_ADDRESS_"),
        "{clean}"
    );
    let o = assay(d, &["data", "scan", "clean.csv", "--no-record"]);
    assert_eq!(
        code(&o),
        0,
        "the cleaned copy has no findings: {}",
        stdout(&o)
    );
    let o = assay(
        d,
        &["--json", "evidence", "list", "--kind", "pii.transform"],
    );
    let listing = stdout(&o);
    assert!(listing.contains("pii.transform") && !listing.contains(key));
}

#[test]
fn validate_reports_the_violated_rule() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    dataset(&d.join("batch.csv"), 500, false, 5);
    std::fs::write(
        d.join("rules.toml"),
        "[schema]\ncolumns = [\"amount\", \"channel\"]\n\n[[rule]]\ncheck = \"in_set\"\ncolumn = \"channel\"\nvalues = [\"web\", \"app\"]\n\n[[rule]]\ncheck = \"range\"\ncolumn = \"age\"\nmin = 0\nmax = 120\n",
    )
    .expect("rules");
    let o = assay(
        d,
        &["data", "validate", "--rules", "rules.toml", "batch.csv"],
    );
    assert_eq!(code(&o), 1);
    let text = stdout(&o);
    assert!(text.contains("FAIL  in_set channel"), "{text}");
    assert!(text.contains("pass  range age"), "{text}");
    assert!(text.contains("unexpected values: branch"), "{text}");
    std::fs::write(
        d.join("bad.toml"),
        "[[rule]]\ncheck = \"sometimes\"\ncolumn = \"x\"\n",
    )
    .expect("rules");
    let o = assay(d, &["data", "validate", "--rules", "bad.toml", "batch.csv"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("bad.toml"));
}

#[test]
fn fairness_flags_a_biased_classifier() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    let mut s = String::from("group,label,prediction\n");
    for i in 0..400 {
        let g = if i % 2 == 0 { "a" } else { "b" };
        let label = i % 3 == 0;
        let pred = if g == "a" {
            label || i % 5 == 0
        } else {
            label && i % 4 == 0
        };
        let _ = writeln!(s, "{g},{},{}", u8::from(label), u8::from(pred));
    }
    std::fs::write(d.join("preds.csv"), s).expect("write");
    let o = assay(
        d,
        &[
            "--json",
            "data",
            "fairness",
            "--predictions",
            "preds.csv",
            "--sensitive",
            "group",
        ],
    );
    assert_eq!(code(&o), 1);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["report"]["passed"], false);
    assert_eq!(v["report"]["groups"].as_array().map(Vec::len), Some(2));
    assert_eq!(evidence_count(d, "fairness.report"), 1);
}
