//! Published test vectors: RFC 8785 (JCS) and the RFC 6962 eight-leaf tree, plus Merkle property tests.

use assay_ledger::digest::{leaf_hash, unhex};
use assay_ledger::{Sha256Digest, jcs, merkle};
use proptest::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
struct JcsVectors {
    numbers: Vec<(String, String)>,
    documents: Vec<(String, String)>,
}

#[test]
fn rfc8785_numbers() {
    let v: JcsVectors =
        serde_json::from_str(include_str!("../testdata/rfc8785.json")).expect("vectors parse");
    for (bits, want) in v.numbers {
        let f = f64::from_bits(u64::from_str_radix(&bits, 16).expect("hex bits"));
        let mut out = Vec::new();
        jcs::write_f64(&mut out, f);
        assert_eq!(String::from_utf8(out).expect("utf8"), want, "bits {bits}");
        // Through serde_json too (where the value is representable as a JSON number).
        let value = serde_json::Value::from(f);
        if let Ok(bytes) = jcs::to_vec(&value) {
            let text = String::from_utf8(bytes).expect("utf8");
            // Integral doubles above 2^53 are refused when they arrive as JSON integers, not as doubles.
            assert_eq!(text, want, "bits {bits} via Value");
        }
    }
}

#[test]
fn rfc8785_documents() {
    let v: JcsVectors =
        serde_json::from_str(include_str!("../testdata/rfc8785.json")).expect("vectors parse");
    for (input, want) in v.documents {
        let value: serde_json::Value = serde_json::from_str(&input).expect("input parses");
        let got = String::from_utf8(jcs::to_vec(&value).expect("canonicalises")).expect("utf8");
        assert_eq!(got, want);
        // Canonical form is a fixed point.
        let again: serde_json::Value = serde_json::from_str(&got).expect("output parses");
        assert_eq!(
            String::from_utf8(jcs::to_vec(&again).expect("canonicalises")).expect("utf8"),
            want
        );
    }
}

#[test]
fn jcs_refuses_inexact_integers_and_names_the_path() {
    let v: serde_json::Value =
        serde_json::from_str(r#"{"a":[1,{"b/c":18446744073709551615}]}"#).expect("parses");
    let err = jcs::to_vec(&v).expect_err("too large");
    assert_eq!(err.path, "/a/1/b~1c");
    let ok: serde_json::Value =
        serde_json::from_str("[9007199254740992,-9007199254740992,0,-1]").expect("parses");
    assert_eq!(
        jcs::to_vec(&ok).expect("ok"),
        b"[9007199254740992,-9007199254740992,0,-1]"
    );
    // Beyond 2^53, an integer whose nearest double prints as its digits is canonical as itself; the canonical
    // text of the double 9007199254740994.0 reads back as this integer, so canonicalising is a fixed point
    // (found by the `jcs` fuzz target). 2^53 + 1 prints as 2^53 and stays refused.
    for text in [
        "9007199254740994",
        "-9007199254740994",
        "9007199254740994.0",
        "1e20",
    ] {
        let v: serde_json::Value = serde_json::from_str(text).expect("parses");
        let once = jcs::to_vec(&v).expect("exact double");
        let again: serde_json::Value = serde_json::from_slice(&once).expect("parses");
        assert_eq!(jcs::to_vec(&again).expect("fixed point"), once, "{text}");
    }
    let inexact: serde_json::Value = serde_json::from_str("9007199254740993").expect("parses");
    assert!(jcs::to_vec(&inexact).is_err());
}

#[test]
fn jcs_escapes_controls_like_ecmascript() {
    let v = serde_json::Value::String("\u{0}\u{1f}\u{7f}\u{2028}\"\\/\u{8}\u{c}".into());
    assert_eq!(
        String::from_utf8(jcs::to_vec(&v).expect("ok")).expect("utf8"),
        "\"\\u0000\\u001f\u{7f}\u{2028}\\\"\\\\/\\b\\f\""
    );
}

#[derive(Deserialize)]
struct MerkleVectors {
    empty_root: Sha256Digest,
    leaves: Vec<String>,
    roots: Vec<Sha256Digest>,
    inclusion: Vec<InclusionVector>,
    consistency: Vec<ConsistencyVector>,
}
#[derive(Deserialize)]
struct InclusionVector {
    index: u64,
    tree_size: u64,
    path: Vec<Sha256Digest>,
}
#[derive(Deserialize)]
struct ConsistencyVector {
    old_size: u64,
    new_size: u64,
    proof: Vec<Sha256Digest>,
}

fn vectors() -> (MerkleVectors, Vec<Sha256Digest>) {
    let v: MerkleVectors =
        serde_json::from_str(include_str!("../testdata/rfc6962.json")).expect("vectors parse");
    let leaves = v
        .leaves
        .iter()
        .map(|h| leaf_hash(&unhex(h).expect("hex")))
        .collect();
    (v, leaves)
}

#[test]
fn rfc6962_roots() {
    let (v, leaves) = vectors();
    assert_eq!(merkle::root(&[]), v.empty_root);
    for (i, want) in v.roots.iter().enumerate() {
        assert_eq!(merkle::root(&leaves[..=i]), *want, "size {}", i + 1);
    }
}

#[test]
fn rfc6962_published_proofs() {
    let (v, leaves) = vectors();
    for p in &v.inclusion {
        let n = p.tree_size as usize;
        assert_eq!(
            merkle::inclusion_proof(p.index, &leaves[..n]).expect("in range"),
            p.path
        );
        let root = v.roots[n - 1];
        assert!(merkle::verify_inclusion(
            p.index,
            p.tree_size,
            &leaves[p.index as usize],
            &p.path,
            &root
        ));
    }
    for c in &v.consistency {
        let n = c.new_size as usize;
        assert_eq!(
            merkle::consistency_proof(c.old_size, &leaves[..n]).expect("in range"),
            c.proof,
            "{}->{}",
            c.old_size,
            c.new_size
        );
        let (a, b) = (v.roots[c.old_size as usize - 1], v.roots[n - 1]);
        assert!(merkle::verify_consistency(
            c.old_size, c.new_size, &a, &b, &c.proof
        ));
        assert!(!merkle::verify_consistency(
            c.old_size, c.new_size, &b, &a, &c.proof
        ));
    }
}

#[test]
fn rfc6962_all_proofs_of_the_eight_leaf_tree_verify() {
    let (v, leaves) = vectors();
    for n in 1..=8usize {
        let root = v.roots[n - 1];
        for i in 0..n {
            let path = merkle::inclusion_proof(i as u64, &leaves[..n]).expect("in range");
            assert!(
                merkle::verify_inclusion(i as u64, n as u64, &leaves[i], &path, &root),
                "leaf {i} of {n}"
            );
        }
        for m in 1..=n {
            let proof = merkle::consistency_proof(m as u64, &leaves[..n]).expect("in range");
            assert!(
                merkle::verify_consistency(m as u64, n as u64, &v.roots[m - 1], &root, &proof),
                "{m}->{n}"
            );
        }
    }
}

fn leaves_strategy() -> impl Strategy<Value = Vec<Sha256Digest>> {
    prop::collection::vec(any::<[u8; 32]>().prop_map(Sha256Digest), 1..150)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn every_inclusion_proof_verifies_and_a_changed_leaf_fails(leaves in leaves_strategy(), pick in any::<prop::sample::Index>(), flip in 0usize..256) {
        let n = leaves.len() as u64;
        let i = pick.index(leaves.len());
        let root = merkle::root(&leaves);
        let path = merkle::inclusion_proof(i as u64, &leaves).expect("in range");
        prop_assert!(merkle::verify_inclusion(i as u64, n, &leaves[i], &path, &root));
        let mut changed = leaves[i];
        changed.0[flip / 8] ^= 1 << (flip % 8);
        prop_assert!(!merkle::verify_inclusion(i as u64, n, &changed, &path, &root));
        // A changed leaf also changes the root.
        let mut other = leaves.clone();
        other[i] = changed;
        prop_assert_ne!(merkle::root(&other), root);
        // Wrong index or size fails.
        prop_assert!(!merkle::verify_inclusion(n, n, &leaves[i], &path, &root));
    }

    #[test]
    fn every_consistency_proof_verifies_and_a_changed_leaf_fails(leaves in leaves_strategy(), m in any::<prop::sample::Index>(), pick in any::<prop::sample::Index>()) {
        let n = leaves.len();
        let m = m.index(n) + 1;
        let old_root = merkle::root(&leaves[..m]);
        let new_root = merkle::root(&leaves);
        let proof = merkle::consistency_proof(m as u64, &leaves).expect("in range");
        prop_assert!(merkle::verify_consistency(m as u64, n as u64, &old_root, &new_root, &proof));
        // Rewriting history inside the old tree breaks consistency with the old root.
        let i = pick.index(m);
        let mut forged = leaves.clone();
        forged[i].0[0] ^= 0x80;
        let forged_root = merkle::root(&forged);
        let forged_proof = merkle::consistency_proof(m as u64, &forged).expect("in range");
        prop_assert!(!merkle::verify_consistency(m as u64, n as u64, &old_root, &forged_root, &forged_proof));
    }

    #[test]
    fn compact_range_matches_recursive_root(leaves in leaves_strategy()) {
        let mut range = merkle::CompactRange::default();
        for (k, l) in leaves.iter().enumerate() {
            range.push(*l);
            prop_assert_eq!(range.root(), merkle::root(&leaves[..=k]));
        }
    }
}
