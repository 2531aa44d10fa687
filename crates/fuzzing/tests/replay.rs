//! Stable replay of the fuzz targets: every body runs over its generated seeds and over every input a fuzzing
//! run ever crashed on (`crates/fuzzing/regressions/<target>/`), so `scripts/test` exercises them without nightly.

use std::path::{Path, PathBuf};

use assay_fuzzing::{TARGETS, seeds::seeds};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Past crash inputs of `target`: the files under `crates/*/tests/fuzz/<target>/` (each owning crate keeps its
/// own, next to the plain test that pins the fixed behaviour).
fn regressions(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for krate in std::fs::read_dir(root().join("crates")).expect("the crates folder") {
        let dir = krate.expect("entry").path().join("tests/fuzz").join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let p = e.expect("read a regressions folder").path();
            let bytes = std::fs::read(&p).expect("read a regression input");
            out.push((p, bytes));
        }
    }
    out.sort();
    out
}

#[test]
fn every_target_has_seeds() {
    for t in TARGETS {
        assert!(!seeds(t.name).is_empty(), "{} has no seeds", t.name);
    }
}

#[test]
fn every_body_survives_its_seeds_and_every_past_crash() {
    let mut runs = 0;
    for t in TARGETS {
        for s in seeds(t.name) {
            (t.body)(&s);
            // Cheap mutations of each seed reach the error paths the seeds alone do not.
            for cut in [s.len() / 2, s.len().saturating_sub(1)] {
                (t.body)(&s[..cut]);
            }
            runs += 3;
        }
        for (path, bytes) in regressions(t.name) {
            eprintln!("replaying {}", path.display());
            (t.body)(&bytes);
            runs += 1;
        }
    }
    assert!(runs > 3 * TARGETS.len());
}

#[test]
fn regression_folders_name_real_targets() {
    for krate in std::fs::read_dir(root().join("crates")).expect("the crates folder") {
        let Ok(entries) = std::fs::read_dir(krate.expect("entry").path().join("tests/fuzz")) else {
            continue;
        };
        for e in entries {
            let name = e.expect("entry").file_name().to_string_lossy().into_owned();
            assert!(
                assay_fuzzing::target(&name).is_some(),
                "tests/fuzz/{name} names no target"
            );
        }
    }
}

#[test]
fn every_target_has_a_cargo_fuzz_binary() {
    let manifest =
        std::fs::read_to_string(root().join("fuzz/Cargo.toml")).expect("fuzz/Cargo.toml");
    for t in TARGETS {
        let file = root().join(format!("fuzz/fuzz_targets/{}.rs", t.name));
        let body =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(
            body.contains(&format!("assay_fuzzing::{}(", t.name)),
            "{} does not call assay_fuzzing::{}",
            file.display(),
            t.name
        );
        assert!(
            manifest.contains(&format!("name = \"{}\"", t.name)),
            "fuzz/Cargo.toml has no [[bin]] {}",
            t.name
        );
    }
}

/// Seeds are only useful when they reach past the first check: the well-formed ones must be accepted.
#[test]
fn seeds_are_accepted_by_their_parsers() {
    use assay_ledger::{CheckpointSigner, Proof};
    for s in seeds("gto_tag") {
        let s = String::from_utf8(s).expect("text");
        assert!(assay_collect::gto::parse_tag(&s).is_some(), "{s}");
    }
    for s in seeds("lfs_pointer") {
        assert!(assay_collect::lfs::parse_pointer(&s).is_some());
    }
    for s in seeds("trace_selector") {
        let s = String::from_utf8(s).expect("text");
        assert!(assay_lineage::Selector::parse(&s).is_ok(), "{s}");
    }
    for s in seeds("openlineage_event") {
        let text = String::from_utf8(s).expect("text");
        let path = if text.starts_with(' ') {
            "e.json"
        } else {
            "e.jsonl"
        };
        let events =
            assay_collect::openlineage::parse_file(Path::new(path), &text).expect("parses");
        for ev in events {
            let now = jiff::Timestamp::UNIX_EPOCH;
            assay_collect::openlineage::ingest_value(&ev.value, "x:1", now).expect("a valid event");
        }
    }
    for s in seeds("iam_export") {
        let doc = s.split(|&b| b == 0).next().expect("a document");
        assay_collect::iam_aws::parse_export(std::str::from_utf8(doc).expect("text"))
            .expect("an export");
    }
    for s in seeds("credential_report") {
        let rows =
            assay_collect::iam_aws::parse_credential_report(std::str::from_utf8(&s).expect("text"))
                .expect("a credential report");
        assert!(!rows.is_empty());
    }
    for s in seeds("terraform_show")
        .iter()
        .filter(|s| s.starts_with(b"{"))
    {
        assay_collect::terraform::parse_show(std::str::from_utf8(s).expect("text"))
            .expect("terraform show");
    }
    for s in seeds("pickle_walk") {
        assay_collect::pickle::walk_all(&mut s.as_slice()).expect("a pickle");
    }
    for s in seeds("csv").iter().take(2) {
        assay_data::read::read_csv_bytes(s, &mut |_, _| Ok(())).expect("csv");
    }
    let signer = CheckpointSigner::from_seed("fuzz.example/log", [42; 32]).expect("key");
    let note = String::from_utf8(seeds("checkpoint_note").remove(0)).expect("text");
    assay_ledger::Checkpoint::verify(&note, &[signer.verifier_key()]).expect("a signed note");
    let proof: Proof = serde_json::from_slice(&seeds("proof_json")[0]).expect("proof json");
    proof
        .verify(&[signer.verifier_key()])
        .expect("a valid proof");
    for s in seeds("evidence_canonical") {
        assay_ledger::Evidence::from_canonical(&s).expect("decodes");
    }
    for s in seeds("scope_toml").iter().skip(2) {
        assay_scope::Scope::parse(
            Path::new("assay.toml"),
            String::from_utf8(s.clone()).expect("text"),
        )
        .expect("the init template parses");
    }
    for s in seeds("model_file") {
        let ext = assay_collect::modelscan::MODEL_EXTENSIONS[s[0] as usize];
        let dir = std::env::temp_dir().join(format!("assay-fuzz-seedcheck-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let p = dir.join(format!("m.{ext}"));
        std::fs::write(&p, &s[1..]).expect("write");
        let scan = assay_collect::modelscan::scan_file(&p, &[]).expect("scan");
        assert_ne!(
            format!("{:?}", scan.verdict),
            "Unreadable",
            "{ext} seed unreadable: {:?}",
            scan.notes
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
