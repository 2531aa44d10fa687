//! Bodies for the ledger's decoders (`assay-ledger`, public API only: the lead engineer owns that crate).

use assay_ledger::{Checkpoint, CheckpointSigner, Evidence, Proof, VerifierKey, envelope, jcs};
use serde_json::Value;

/// The key the seed corpus signs checkpoints with, so mutated notes reach signature checking.
pub(crate) const SEED_KEY: [u8; 32] = [42; 32];
pub(crate) const SEED_KEY_NAME: &str = "fuzz.example/log";

pub(crate) fn seed_signer() -> CheckpointSigner {
    CheckpointSigner::from_seed(SEED_KEY_NAME, SEED_KEY).expect("a fixed seed is a key")
}

fn trusted() -> Vec<VerifierKey> {
    vec![seed_signer().verifier_key()]
}

pub fn evidence_canonical(data: &[u8]) {
    let _ = envelope::read(data);
    let Ok(e) = Evidence::from_canonical(data) else {
        return;
    };
    if e.validate().is_err() {
        return;
    }
    let Ok(bytes) = e.canonical_bytes() else {
        return;
    };
    let back = Evidence::from_canonical(&bytes).expect("canonical bytes decode");
    let again = back.canonical_bytes().expect("a decoded item encodes");
    assert_eq!(
        bytes, again,
        "canonical bytes are not stable across a decode"
    );
    let env = envelope::read(&bytes).expect("canonical bytes have the envelope layout");
    assert_eq!(env.kind, e.kind.as_str(), "the envelope reads another kind");
    assert_eq!(
        env.attachment_count(),
        e.attachments.len(),
        "attachment count"
    );
    assert!(
        env.attachments().eq(e.attachments.iter().copied()),
        "attachments"
    );
    assert!(
        env.observed_at().is_some(),
        "the envelope cannot read observed_at"
    );
    let f = envelope::fields(&bytes).expect("canonical bytes have the fields layout");
    assert_eq!(f.kind, e.kind.as_str(), "fields read another kind");
    let text = |literal: &[u8]| serde_json::from_slice::<String>(literal).ok();
    assert_eq!(
        text(f.subject).as_deref(),
        Some(e.subject.as_str()),
        "subject"
    );
    assert_eq!(
        text(f.locator).as_deref(),
        Some(e.source.locator.as_str()),
        "locator"
    );
    assert_eq!(
        f.payload,
        jcs::to_vec(&e.payload)
            .expect("payload canonicalises")
            .as_slice(),
        "payload text"
    );
    // The engine reads the same item through the fields as through the decoder.
    let lazy =
        assay_engine::Item::from_canonical(0, &bytes).expect("the engine reads canonical bytes");
    assert_eq!(*lazy.payload, back.payload, "the engine's payload");
    assert_eq!(lazy.subject, back.subject, "the engine's subject");
}

pub fn envelope(data: &[u8]) {
    let Some(env) = envelope::read(data) else {
        return;
    };
    let _ = env.observed_at();
    assert!(
        env.attachments().count() <= env.attachment_count(),
        "more attachment digests than the envelope counts"
    );
    let _ = envelope::subject_is(data, b"\"model:fraud\"");
    let _ = envelope::fields(data);
    if let Ok(item) = assay_engine::Item::from_canonical(0, data) {
        let _ = item.payload.member("commit");
        let _ = item.payload.value();
    }
}

pub fn jcs(data: &[u8]) {
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Ok(first) = jcs::to_vec(&v) else { return };
    let back: Value = serde_json::from_slice(&first).expect("canonical JSON parses");
    let second = jcs::to_vec(&back).expect("canonical JSON canonicalises");
    assert_eq!(
        String::from_utf8_lossy(&first),
        String::from_utf8_lossy(&second),
        "canonicalising canonical JSON changed it"
    );
}

pub fn checkpoint_note(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(cp) = Checkpoint::parse(text) {
        assert!(
            text.starts_with(&cp.body()),
            "the parsed body {:?} is not where the note starts",
            cp.body()
        );
        assert_eq!(
            Checkpoint::parse(&cp.text).ok().as_ref(),
            Some(&cp),
            "reparse"
        );
    }
    if let Ok((cp, key)) = Checkpoint::verify(text, &trusted()) {
        assert_eq!(
            key.name(),
            SEED_KEY_NAME,
            "verified by a key we did not trust"
        );
        assert!(!cp.signatures.is_empty(), "verified without signatures");
    }
}

pub fn proof_json(data: &[u8]) {
    let Ok(proof) = serde_json::from_slice::<Proof>(data) else {
        return;
    };
    if let Ok(e) = proof.verify(&trusted()) {
        assert!(
            proof.index < proof.tree_size,
            "proved index {} of {}",
            proof.index,
            proof.tree_size
        );
        if let Ok(leaf) = e.leaf_hash() {
            assert_eq!(
                leaf, proof.leaf_hash,
                "the proven item hashes to another leaf"
            );
        }
    }
}
