//! The handoff to and from Rego: evidence items become `regorus::Value`s directly (once per item, shared
//! by every control that reads the kind), and the `occurrences` set is read back without a trip through
//! JSON text. The values are the same as serialising the input to JSON and parsing it would give.

use std::collections::BTreeMap;

use regorus::Value;
use serde::Deserialize;

use crate::model::{Item, Occurrence, rfc3339};

thread_local! {
    static KEYS: Keys = Keys::new();
}

/// The object keys of an item, allocated once per thread and shared by every item.
struct Keys {
    index: Value,
    kind: Value,
    subject: Value,
    locator: Value,
    observed_at: Value,
    expires_at: Value,
    payload: Value,
}

impl Keys {
    fn new() -> Keys {
        Keys {
            index: Value::from("index"),
            kind: Value::from("kind"),
            subject: Value::from("subject"),
            locator: Value::from("locator"),
            observed_at: Value::from("observed_at"),
            expires_at: Value::from("expires_at"),
            payload: Value::from("payload"),
        }
    }
}

/// Any JSON value as a Rego value.
pub(crate) fn json(v: &serde_json::Value) -> Result<Value, String> {
    Value::deserialize(v).map_err(|e| e.to_string())
}

/// An item as a Rego value, as `input.evidence[]` holds it (`expires_at` only when set).
pub(crate) fn item(item: &Item) -> Result<Value, String> {
    KEYS.with(|keys| {
        let mut m = BTreeMap::new();
        m.insert(keys.index.clone(), Value::from(item.index));
        m.insert(keys.kind.clone(), Value::from(item.kind.as_str()));
        m.insert(keys.subject.clone(), Value::from(item.subject.as_str()));
        m.insert(keys.locator.clone(), Value::from(item.locator.as_str()));
        m.insert(
            keys.observed_at.clone(),
            Value::from(rfc3339(item.observed_at)),
        );
        if let Some(x) = item.expires_at {
            m.insert(keys.expires_at.clone(), Value::from(rfc3339(x)));
        }
        // Straight from the stored text when nothing has decoded it: no `serde_json::Value` in between.
        // Text that does not decode is left to `Payload::value`, which records why (the evaluation then fails
        // naming the item).
        let payload = match item
            .payload
            .undecoded_text()
            .and_then(|text| serde_json::from_slice(text).ok())
        {
            Some(value) => value,
            None => json(&item.payload)?,
        };
        m.insert(keys.payload.clone(), payload);
        Ok(Value::from(m))
    })
}

/// The occurrences a module returned, read straight from the Rego value. `None` when any of them does
/// not have the contract's shape: the caller then takes the slow path, which names what is wrong.
pub(crate) fn occurrences(out: &Value) -> Option<Vec<Occurrence>> {
    let list: Vec<&Value> = match out {
        Value::Set(s) => s.iter_sorted().collect(),
        Value::Array(a) => a.iter().collect(),
        _ => return None,
    };
    list.into_iter().map(occurrence).collect()
}

fn occurrence(v: &Value) -> Option<Occurrence> {
    let Value::Object(o) = v else {
        return None;
    };
    let field = |k: &str| o.get(&Value::from(k));
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.to_string()),
        _ => None,
    };
    let at = text(field("at")?)?.parse().ok()?;
    let ok = match field("ok")? {
        Value::Bool(b) => *b,
        _ => return None,
    };
    let reason = text(field("reason")?)?;
    let evidence = match field("evidence") {
        None => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| match x {
                Value::Number(n) => n.as_u64(),
                _ => None,
            })
            .collect::<Option<Vec<u64>>>()?,
        Some(_) => return None,
    };
    let subject = match field("subject") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.to_string()),
        Some(_) => return None,
    };
    Some(Occurrence {
        at,
        ok,
        reason,
        evidence,
        subject,
    })
}

#[cfg(test)]
mod tests {
    use assay_ledger::{Evidence, EvidenceKind, Sha256Digest, Source, StoredItem};
    use jiff::Timestamp;
    use proptest::prelude::*;
    use serde_json::{Value as Json, json};

    use crate::model::Item;

    fn arb_json() -> impl Strategy<Value = Json> {
        let leaf = prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::Bool),
            (-(1i64 << 53)..(1i64 << 53)).prop_map(|n| json!(n)),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| json!(f)),
            "\\PC{0,6}|[\\x00-\\x1f\"\\\\\u{e000}\u{10000}]{0,3}".prop_map(Json::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
                prop::collection::btree_map("[a-c\"\\u{e000}]{0,3}", inner, 0..4)
                    .prop_map(|m| Json::Object(m.into_iter().collect())),
            ]
        })
    }

    fn evidence(
        subject: String,
        locator: String,
        expires: Option<i64>,
        note: Option<String>,
        payload: Json,
    ) -> Evidence {
        Evidence {
            kind: EvidenceKind::MlflowRun,
            subject,
            source: Source {
                collector: "mlflow".into(),
                locator,
            },
            observed_at: Timestamp::from_second(1_780_000_000).expect("ts"),
            collected_at: Timestamp::from_second(1_780_000_100).expect("ts"),
            payload,
            attachments: vec![Sha256Digest::of(b"x")],
            expires_at: expires.map(|s| Timestamp::from_second(s).expect("ts")),
            note,
        }
    }

    proptest! {
        /// An item read from its stored bytes with the payload left as text is the item the full decode gives,
        /// and its Rego value (made straight from the text) is the one made from the decoded payload.
        #[test]
        fn an_item_from_stored_bytes_is_the_decoded_item(
            subject in "[a-z:]{1,8}|\\PC{1,6}|[\\x01-\\x1f\"\\\\]{1,3}",
            locator in "\\PC{0,8}",
            expires in proptest::option::of(1_700_000_000i64..1_900_000_000),
            note in proptest::option::of("\\PC{0,6}"),
            payload in arb_json(),
        ) {
            prop_assume!(!subject.trim().is_empty());
            let e = evidence(subject, locator, expires, note, payload);
            let Ok(bytes) = e.canonical_bytes() else { return Ok(()) };
            let lazy = Item::from_canonical(7, &bytes).expect("reads");
            let stored = StoredItem {
                index: 7,
                leaf_hash: Sha256Digest::of(&bytes),
                evidence: Evidence::from_canonical(&bytes).expect("decodes"),
            };
            let full = Item::from(stored);
            prop_assert!(!lazy.payload.is_decoded());
            let from_text = super::item(&lazy).expect("rego from text");
            prop_assert!(!lazy.payload.is_decoded(), "the Rego value was made without decoding");
            prop_assert_eq!(from_text, super::item(&full).expect("rego from value"));
            prop_assert_eq!(&lazy, &full);
            prop_assert!(lazy.payload.is_decoded());
        }
    }

    proptest! {
        /// One member read from the stored text is that member of the decoded payload, and reading it
        /// leaves the payload undecoded when the text has the plain layout.
        #[test]
        fn a_member_read_from_the_text_is_the_decoded_member(
            payload in arb_json(),
            extra in prop::collection::btree_map("[a-d\"\\\\{}\\[\\],:]{0,3}", arb_json(), 0..5),
            name in "[a-d]{0,2}|commit",
        ) {
            let mut object = serde_json::Map::new();
            object.insert("commit".into(), payload.clone());
            object.extend(extra);
            for value in [Json::Object(object), payload] {
                let Ok(bytes) = assay_ledger::jcs::to_vec(&value) else { continue };
                let text = String::from_utf8(bytes).expect("utf8");
                let e = evidence("s".into(), String::new(), None, None, value.clone());
                let Ok(stored) = e.canonical_bytes() else { continue };
                let item = Item::from_canonical(1, &stored).expect("reads");
                let decoded: Json = serde_json::from_str(&text).expect("canonical text decodes");
                let got = item.payload.member(&name).map(|v| v.into_owned());
                prop_assert_eq!(got, decoded.get(&name).cloned(), "{}", text);
                prop_assert_eq!(&*item.payload, &decoded);
            }
        }
    }

    #[test]
    fn a_member_of_a_plain_object_is_read_without_decoding() {
        let e = evidence(
            "s".into(),
            String::new(),
            None,
            None,
            json!({"a": {"x": "}\"]"}, "commit": "abc", "d": [1, {"e": null}]}),
        );
        let item = Item::from_canonical(1, &e.canonical_bytes().expect("bytes")).expect("reads");
        assert_eq!(
            item.payload.member("commit").as_deref(),
            Some(&json!("abc"))
        );
        assert_eq!(
            item.payload.member("d").as_deref(),
            Some(&json!([1, {"e": null}]))
        );
        assert_eq!(item.payload.member("zz"), None);
        assert!(!item.payload.is_decoded());
    }

    #[test]
    fn bytes_in_another_layout_are_read_by_the_decoder() {
        let e = evidence(
            "model:\"m\"".into(),
            "loc\\".into(),
            Some(1_800_000_000),
            Some("n".into()),
            json!({"a": 1}),
        );
        let canonical = e.canonical_bytes().expect("bytes");
        let pretty =
            serde_json::to_vec_pretty(&serde_json::from_slice::<Json>(&canonical).expect("json"))
                .expect("pretty");
        assert!(assay_ledger::envelope::fields(&pretty).is_none());
        assert_eq!(
            Item::from_canonical(3, &pretty).expect("decoded"),
            Item::from_canonical(3, &canonical).expect("layout")
        );
    }

    #[test]
    fn a_payload_that_does_not_decode_fails_the_evaluation_naming_the_item() {
        let e = evidence(
            "model:m".into(),
            String::new(),
            None,
            None,
            json!({"status": "FINISHED"}),
        );
        let text = String::from_utf8(e.canonical_bytes().expect("bytes")).expect("utf8");
        let broken = text.replace("{\"status\":\"FINISHED\"}", "{\"status\":}");
        let item = Item::from_canonical(9, broken.as_bytes()).expect("the envelope reads");
        assert_eq!(*item.payload, Json::Null);
        assert!(item.payload.decode_error().is_some());
        let catalog = assay_catalog::Catalog::embedded().expect("catalog");
        let control = catalog
            .controls
            .iter()
            .find(|c| c.evidence.iter().any(|k| k == "mlflow.run"))
            .expect("a control reading runs");
        let item = Item::from_canonical(9, broken.as_bytes()).expect("the envelope reads");
        let set = crate::EvidenceSet::new([item]);
        let at = Timestamp::from_second(1_780_000_500).expect("ts");
        let err = crate::ControlEngine::builtin(control)
            .expect("engine")
            .evaluate(&set, &crate::ScopeView::default(), crate::Window::At { at })
            .expect_err("unreadable evidence");
        assert!(
            matches!(&err, crate::EngineError::Evidence { index: 9, reason } if reason.contains("payload")),
            "{err}"
        );
    }

    #[test]
    fn unreadable_stored_bytes_name_the_item() {
        for bad in [&b"{}"[..], b"not json", b"{\"kind\":\"x\",\"observed_at\":\"yesterday\",\"payload\":1,\"source\":{\"locator\":\"\"},\"subject\":\"s\"}"] {
            let err = Item::from_canonical(42, bad).expect_err("refused");
            assert!(matches!(err, crate::EngineError::Evidence { index: 42, .. }), "{err}");
        }
    }
}
