//! Inputs on which a fuzz target (`fuzz/`, bodies in `crates/fuzzing`) once crashed, kept as files under
//! `tests/fuzz/<target>/` and checked here on stable with the behaviour the fix gave them.

use std::path::Path;

fn input(target: &str, name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz")
        .join(target)
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn text(target: &str, name: &str) -> String {
    String::from_utf8(input(target, name)).expect("a text input")
}

#[test]
fn gto_tag_with_an_empty_counter_is_not_a_gto_tag() {
    // `name@v1.2.3!#` was read as a deregistration without a counter, which GTO never writes and which no
    // tag name round-trips to.
    let tag = text("gto_tag", "deregister-with-empty-counter");
    assert_eq!(assay_collect::gto::parse_tag(&tag), None);
    assert_eq!(assay_collect::gto::parse_tag("fraud-scorer@v1.2.3#"), None);
    assert!(assay_collect::gto::parse_tag("fraud-scorer@v1.2.3!#1").is_some());
}

fn scan_model(target: &str, name: &str) -> assay_collect::modelscan::FileScan {
    // The model_file target's first byte picks the extension; the rest is the file.
    let bytes = input(target, name);
    let ext = assay_collect::modelscan::MODEL_EXTENSIONS[bytes[0] as usize];
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(format!("model.{ext}"));
    std::fs::write(&path, &bytes[1..]).expect("write");
    assay_collect::modelscan::scan_file(&path, &[])
        .expect("a damaged archive is a finding, not an error")
}

#[test]
fn zip64_sizes_that_overflow_make_the_member_unreadable() {
    // A ZIP64 extra field claiming a compressed size of u64::MAX overflowed `start + size` (a panic in debug
    // builds, a wrapped check in release).
    let scan = scan_model("model_file", "zip64-compressed-size-overflow");
    assert_eq!(scan.verdict, assay_collect::modelscan::Verdict::Unreadable);
    assert!(
        scan.notes.iter().any(|n| n.contains("runs past the end")),
        "{:?}",
        scan.notes
    );
}

#[test]
fn zip64_local_offsets_past_the_file_make_the_member_unreadable() {
    // A ZIP64 local-header offset above i64::MAX made the seek fail, so the whole scan was an I/O error.
    let scan = scan_model("model_file", "zip64-local-offset-past-i64");
    assert_eq!(scan.verdict, assay_collect::modelscan::Verdict::Unreadable);
    assert!(
        scan.notes.iter().any(|n| n.contains("outside the file")),
        "{:?}",
        scan.notes
    );
}

#[test]
fn a_star_in_a_pattern_matches_a_literal_star_in_the_text() {
    // The matcher compared `*` with a literal `*` in the text before treating it as a wildcard, so `*` did not
    // match `*a`. The fuzz input carries the policy document before a NUL and the pattern/text lines after it.
    let bytes = input("iam_policy", "star-against-literal-star");
    let free = bytes.split(|&b| b == 0).nth(1).unwrap_or_default();
    let free = String::from_utf8_lossy(free);
    let text = free.lines().nth(1).unwrap_or_default();
    assert!(assay_collect::iam_aws::wildcard("*", text, false));
    assert!(assay_collect::iam_aws::wildcard("*", "*a", false));
    assert!(assay_collect::iam_aws::wildcard("a*", "a*b", true));
    assert!(!assay_collect::iam_aws::wildcard("a*c", "a*b", false));
}
