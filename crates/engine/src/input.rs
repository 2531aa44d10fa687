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
        m.insert(keys.payload.clone(), json(&item.payload)?);
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
