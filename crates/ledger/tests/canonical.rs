//! Items whose payload arrives as canonical JSON bytes (`Ledger::append_canonical`): they store exactly what
//! the same items with `serde_json::Value` payloads store, and bytes that are not canonical JSON are refused.

use assay_ledger::jcs::{self, CanonicalJson, CanonicalWriter};
use assay_ledger::{
    CanonicalEvidence, Evidence, EvidenceKind, Ledger, ListFilter, NoProgress, Sha256Digest, Source,
};
use jiff::Timestamp;
use proptest::prelude::*;
use serde_json::{Value, json};

fn item(i: u64, payload: Value) -> Evidence {
    Evidence {
        kind: if i.is_multiple_of(2) {
            EvidenceKind::GitCommit
        } else {
            EvidenceKind::GitTag
        },
        subject: format!("repo:r{}", i % 3),
        source: Source {
            collector: "git".into(),
            locator: format!("r@{i:040x}"),
        },
        observed_at: Timestamp::from_second(1_700_000_000 + i as i64 * 60).expect("ts"),
        collected_at: Timestamp::from_second(1_800_000_000).expect("ts"),
        payload,
        attachments: vec![],
        expires_at: None,
        note: i.is_multiple_of(5).then(|| format!("note \"{i}\"\n")),
    }
}

fn payloads() -> Vec<Value> {
    vec![
        json!({"repo": "model", "commit": "ab", "parents": ["c", "d"], "signed": false, "signature_format": null}),
        json!({"é": 1, "e": 2, "\u{10000}": 3, "\u{ffff}": 4, "a\"b": "tab\there\u{1}", "n": -0.5, "big": 9007199254740992u64}),
        json!([1, 2.5, 1e21, 1e-7, "x", {"z": [], "y": {}}]),
        json!("just a string"),
        json!(null),
        json!(123456789012345678.0),
    ]
}

/// Every stored row: index, leaf hash, canonical bytes.
fn rows(ledger: &Ledger) -> Vec<(u64, Sha256Digest, Vec<u8>)> {
    let mut out = Vec::new();
    for i in 0..ledger.len().expect("len") {
        let row = ledger.store().get(i).expect("get").expect("row");
        out.push((row.index, row.leaf_hash, row.canonical));
    }
    out
}

#[test]
fn both_entry_points_store_identical_bytes_and_leaf_hashes() {
    let items: Vec<Evidence> = payloads()
        .into_iter()
        .enumerate()
        .map(|(i, p)| item(i as u64, p))
        .collect();
    // Enough items for the parallel preparation path too.
    let many: Vec<Evidence> = (0..3000)
        .map(|i| {
            item(
                i,
                json!({"n": i, "msg": format!("commit {i}"), "ratio": 0.25}),
            )
        })
        .collect();
    for batch in [items, many] {
        let canonical: Vec<CanonicalEvidence> = batch
            .iter()
            .map(|e| e.clone().into_canonical().expect("canonical"))
            .collect();
        for (e, c) in batch.iter().zip(&canonical) {
            assert_eq!(
                c.payload.as_bytes(),
                jcs::to_vec(&e.payload).expect("jcs").as_slice()
            );
            assert_eq!(c.prepare().expect("prepare"), e.prepare().expect("prepare"));
        }
        let a = tempfile::tempdir().expect("tempdir");
        let b = tempfile::tempdir().expect("tempdir");
        let mut by_value = Ledger::init(a.path()).expect("init");
        let mut by_bytes = Ledger::init(b.path()).expect("init");
        let oa = by_value.append(&batch, &mut NoProgress).expect("append");
        let ob = by_bytes
            .append_canonical(&canonical, &mut NoProgress)
            .expect("append canonical");
        assert_eq!(oa, ob);
        assert_eq!(rows(&by_value), rows(&by_bytes));
        assert_eq!(
            by_value.store().tree_head().expect("head"),
            by_bytes.store().tree_head().expect("head")
        );
        // The same items by the other entry point are already stored: nothing new.
        let again = by_value
            .append_canonical(&canonical, &mut NoProgress)
            .expect("append again");
        assert!(again.iter().all(|o| !o.new));
        let indices =
            |o: &[assay_ledger::AppendOutcome]| o.iter().map(|o| o.index).collect::<Vec<_>>();
        assert_eq!(indices(&again), indices(&oa));
        // And they read back as the original items (member order aside).
        let listed = by_bytes.list(&ListFilter::default()).expect("list");
        assert_eq!(listed.len(), batch.len());
        for (back, e) in listed.iter().zip(&batch) {
            assert_eq!(
                back.evidence.canonical_bytes().expect("canonical"),
                e.canonical_bytes().expect("canonical")
            );
        }
    }
}

#[test]
fn the_canonical_entry_point_validates_the_envelope_too() {
    let mut c = item(1, json!({})).into_canonical().expect("canonical");
    c.subject = "  ".into();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ledger = Ledger::init(dir.path()).expect("init");
    let err = ledger
        .append_canonical(&[c], &mut NoProgress)
        .expect_err("blank subject");
    assert!(err.to_string().contains("subject"), "{err}");
    assert_eq!(ledger.len().expect("len"), 0);
}

#[test]
fn bytes_that_are_not_canonical_json_are_refused() {
    let refused: &[&[u8]] = &[
        b"",
        b" {}",
        b"{} ",
        b"{\"a\": 1}",
        b"{\"b\":1,\"a\":2}",
        b"{\"a\":1,\"a\":2}",
        b"{\"\xef\xbf\xbf\":1,\"\xf0\x90\x80\x80\":2}", // U+FFFF sorts after U+10000 in UTF-16
        b"[1,]",
        b"[01]",
        b"1.0",
        b"-0",
        b"1E3",
        b"1000e0",
        b"0.1e1",
        b"1e21",
        b"9007199254740993",
        b"\"\\u0041\"",
        b"\"\\u000A\"",
        b"\"\\u000a\"",
        b"\"\\u001F\"",
        b"\"\\/\"",
        b"\"\t\"",
        b"\"\xff\"",
        b"\"unterminated",
        b"nul",
        b"True",
        b"{\"a\":1}{}",
        b"NaN",
    ];
    for bad in refused {
        assert!(
            CanonicalJson::from_bytes(bad.to_vec()).is_err(),
            "accepted {:?}",
            String::from_utf8_lossy(bad)
        );
    }
    let accepted: &[&[u8]] = &[
        b"{}",
        b"[]",
        b"{\"\xf0\x90\x80\x80\":2,\"\xef\xbf\xbf\":1}",
        b"1e+21",
        b"-0.5",
        b"9007199254740992",
        b"\"\\u001f\\b\\t\\n\\f\\r\\\"\\\\\"",
        b"{\"a\":[null,true,false,{\"a\":{}}],\"b\":\"\"}",
    ];
    for good in accepted {
        let c = CanonicalJson::from_bytes(good.to_vec()).unwrap_or_else(|e| {
            panic!("refused {:?}: {}", String::from_utf8_lossy(good), e.reason)
        });
        let v: Value = serde_json::from_slice(c.as_bytes()).expect("parses");
        assert_eq!(jcs::to_vec(&v).expect("jcs").as_slice(), *good);
    }
    let deep = format!(
        "{}{}",
        "[".repeat(jcs::MAX_DEPTH + 1),
        "]".repeat(jcs::MAX_DEPTH + 1)
    );
    assert!(CanonicalJson::from_bytes(deep.into_bytes()).is_err());
    let err = CanonicalJson::from_bytes(b"{\"b\":1,\"a\":2}".to_vec()).expect_err("order");
    assert!(err.reason.contains("byte 7"), "{}", err.reason);
}

/// Found by the property tests below: beyond 2^53 the integer and double readings of a text meet. An integer
/// is canonical there exactly when the double nearest it prints as its digits.
#[test]
fn large_integers_are_canonical_only_when_their_double_prints_as_their_digits() {
    // The double nearest each of these prints differently (…992, 2^60 as …847000, …), so canonicalising
    // would change the number: refused both as text and as a value.
    for text in [
        "9007199254740993",
        "-9007199254740993",
        "1152921504606846976",
        "-1152921504606846976",
        "18446744073709551615",
    ] {
        assert!(
            CanonicalJson::from_bytes(text.as_bytes().to_vec()).is_err(),
            "{text} accepted"
        );
        let parsed: Value = serde_json::from_str(text).expect("json");
        assert!(jcs::to_vec(&parsed).is_err(), "{text} canonicalised");
    }
    // These print as themselves (118034596121472770 is not a double, but the double nearest it prints as
    // its digits), so they are their own canonical form and read back to it.
    for text in [
        "9007199254740992",
        "9007199254740994",
        "-9007199254740994",
        "118034596121472770",
        "-118034596121472770",
        "1152921504606847000",
        "11528171658019981000",
        "-11528171658019981000",
    ] {
        let parsed: Value = serde_json::from_str(text).expect("json");
        let canonical = jcs::to_vec(&parsed).expect("jcs");
        assert_eq!(canonical, text.as_bytes());
        assert!(
            CanonicalJson::from_bytes(canonical).is_ok(),
            "{text} refused"
        );
    }
    // The canonical text of a double beyond 2^53 reads back (as an integer, where it fits 64 bits) to the
    // same bytes: found by `canonical_text_is_accepted` with -1.1528171658019981e19.
    for f in [
        -1.1528171658019981e19,
        1.1528171658019981e19,
        2f64.powi(60),
        1.8446744073709552e19,
        -(2f64.powi(63)),
    ] {
        let bytes = jcs::to_vec(&json!(f)).expect("jcs");
        assert!(
            CanonicalJson::from_bytes(bytes.clone()).is_ok(),
            "{} refused",
            String::from_utf8_lossy(&bytes)
        );
        let back: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(jcs::to_vec(&back).expect("jcs"), bytes);
    }
}

/// Doubles near and beyond 2^53, where integer and double readings of the same text meet.
fn arb_large_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-(1i64 << 62)..(1i64 << 62)).prop_map(|n| json!(n.saturating_mul(4))),
        any::<u64>().prop_map(|n| json!(n)),
        (53i32..70, any::<f64>(), any::<bool>()).prop_map(|(e, m, neg)| {
            let f = (1.0 + m.abs().fract()) * 2f64.powi(e);
            json!(if neg { -f } else { f })
        }),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    arb_tree(prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        arb_string(),
    ])
}

/// Strings with what makes canonical JSON hard: controls, quotes, backslashes, characters either side of U+FFFF.
fn arb_string() -> impl Strategy<Value = Value> {
    "\\PC{0,8}|[\\x00-\\x1f\"\\\\\u{e000}-\u{ffff}\u{10000}-\u{10ffff}]{0,4}"
        .prop_map(Value::String)
}

/// Arrays and objects of `leaf` values, member names chosen to collide in UTF-16 order.
fn arb_tree(leaf: impl Strategy<Value = Value> + 'static) -> impl Strategy<Value = Value> {
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    "[a-c\u{e000}\u{10000}\"\\\\]{0,3}".prop_map(String::from),
                    inner
                ),
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn canonical_text_is_accepted(v in arb_json()) {
        if let Ok(bytes) = jcs::to_vec(&v) {
            let c = CanonicalJson::from_bytes(bytes.clone());
            prop_assert!(c.is_ok(), "{:?}: {:?}", String::from_utf8_lossy(&bytes), c.err());
        }
    }

    #[test]
    fn large_numbers_read_back_to_their_canonical_text(v in arb_large_number()) {
        // Either the value is refused, or its canonical text is accepted and reads back to the same bytes.
        if let Ok(bytes) = jcs::to_vec(&v) {
            prop_assert!(CanonicalJson::from_bytes(bytes.clone()).is_ok(), "{}", String::from_utf8_lossy(&bytes));
            let back: Value = serde_json::from_slice(&bytes).expect("json");
            prop_assert_eq!(jcs::to_vec(&back).expect("jcs"), bytes);
        } else {
            prop_assert!(v.as_f64().is_none_or(|f| f.fract() == 0.0) && !v.is_f64());
        }
    }

    #[test]
    fn only_canonical_text_is_accepted(v in arb_json(), cut in any::<prop::sample::Index>(), byte in any::<u8>()) {
        // A mutation of canonical text: accepted only if it is again the canonical form of what it parses to.
        let Ok(mut bytes) = jcs::to_vec(&v) else { return Ok(()) };
        let at = cut.index(bytes.len() + 1);
        bytes.insert(at, byte);
        if CanonicalJson::from_bytes(bytes.clone()).is_ok() {
            let parsed: Value = serde_json::from_slice(&bytes).expect("accepted text parses");
            prop_assert_eq!(jcs::to_vec(&parsed).expect("jcs"), bytes);
        }
    }

    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if CanonicalJson::from_bytes(bytes.clone()).is_ok() {
            let parsed: Value = serde_json::from_slice(&bytes).expect("accepted text parses");
            prop_assert_eq!(jcs::to_vec(&parsed).expect("jcs"), bytes);
        }
    }
}

/// Write `v` through the writer, members in the order `sort` gives (keys leaked: the writer takes static names).
fn write_through(w: &mut CanonicalWriter, v: &Value, sort: bool) {
    match v {
        Value::Null => {
            w.null();
        }
        Value::Bool(b) => {
            w.bool(*b);
        }
        Value::Number(n) => {
            w.int(n.as_i64().expect("integers only"));
        }
        Value::String(s) => {
            w.str(s);
        }
        Value::Array(items) => {
            w.begin_array();
            for i in items {
                write_through(w, i, sort);
            }
            w.end_array();
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            if sort {
                members.sort_by(|a, b| jcs::utf16_cmp(a.0, b.0));
            }
            w.begin_object();
            for (k, v) in members {
                w.key(Box::leak(k.clone().into_boxed_str()));
                write_through(w, v, sort);
            }
            w.end_object();
        }
    }
}

fn arb_writable() -> impl Strategy<Value = Value> {
    arb_tree(prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-(1i64 << 53)..=(1i64 << 53)).prop_map(|n| json!(n)),
        arb_string(),
    ])
}

#[test]
fn the_writer_reports_misuse_instead_of_writing_bad_text() {
    let mut w = CanonicalWriter::default();
    w.begin_object()
        .key("b")
        .int(1)
        .key("a")
        .int(2)
        .end_object();
    let e = w.finish().expect_err("out of order");
    assert!(
        e.reason.contains("\"a\" written after \"b\""),
        "{}",
        e.reason
    );

    let mut w = CanonicalWriter::default();
    w.begin_object()
        .key("a")
        .int(1)
        .key("a")
        .int(2)
        .end_object();
    assert!(w.finish().is_err(), "a repeated name");

    let mut w = CanonicalWriter::default();
    w.begin_object().int(1).end_object();
    assert!(w.finish().is_err(), "a value without a name");

    let mut w = CanonicalWriter::default();
    w.begin_object().key("a");
    assert!(w.finish().expect_err("open").reason.contains("incomplete"));

    let mut w = CanonicalWriter::default();
    w.int(1).int(2);
    assert!(w.finish().is_err(), "two top-level values");

    let mut w = CanonicalWriter::default();
    w.int(1i64 << 54);
    assert!(
        w.finish()
            .expect_err("too big")
            .reason
            .contains("as a string")
    );

    let mut w = CanonicalWriter::default();
    w.begin_array().end_object();
    assert!(w.finish().is_err(), "mismatched close");

    let mut w = CanonicalWriter::default();
    w.begin_array()
        .display("tab\there \"q\"")
        .plain_str("abc0")
        .plain_str("a \"b\"")
        .end_array();
    assert_eq!(
        w.finish().expect("valid").as_bytes(),
        br#"["tab\there \"q\"","abc0","a \"b\""]"#
    );
}

proptest! {
    #[test]
    fn the_writer_writes_exactly_the_canonical_text(v in arb_writable()) {
        let mut w = CanonicalWriter::default();
        write_through(&mut w, &v, true);
        let written = w.finish().expect("members in canonical order");
        let canonical = jcs::to_vec(&v).expect("jcs");
        prop_assert_eq!(written.as_bytes(), canonical.as_slice());
    }

    #[test]
    fn the_writer_refuses_members_out_of_canonical_order(v in arb_writable()) {
        // serde_json's map order is byte order, which is canonical except around supplementary characters.
        let mut w = CanonicalWriter::default();
        write_through(&mut w, &v, false);
        let canonical = jcs::to_vec(&v).expect("jcs");
        match w.finish() {
            Ok(text) => prop_assert_eq!(text.as_bytes(), canonical.as_slice()),
            Err(e) => prop_assert!(e.reason.contains("not in canonical order"), "{}", e.reason),
        }
    }
}
