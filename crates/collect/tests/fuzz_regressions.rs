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
