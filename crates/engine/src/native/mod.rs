//! Built-in tests compiled into the engine: the heaviest per-event controls, written in Rust.
//!
//! Every control here also has its Rego module (`crates/catalog/controls/<ID>.rego`), which stays the
//! specification: its cases run through both, and `tests/native.rs` checks that the two give the same
//! result — status, reason and every occurrence — on every case and on a generated ledger. Rego's
//! interpreter spends tens of microseconds on each item of a per-event control (a function call, a
//! comprehension step, an object built with `sprintf`); the same work here is a few hundred nanoseconds,
//! which is what brings `assay check` over a million items within seconds.
//!
//! The helpers below read JSON the way Rego reads it: a path through something that is not an object is
//! undefined (`None`), while a built-in function given the wrong type (`lower` of a number,
//! `object.get` of a non-object, `concat` of a non-string) is an error, as regorus reports it, and
//! stops the control's evaluation.

use std::cmp::Ordering;

use jiff::Timestamp;
use serde_json::Value;

use crate::model::{Item, Occurrence};

mod dep;
mod ing;
mod reg;
mod sup;
mod trn;

/// What a compiled test sees: the items the control's Rego module would see as `input.evidence`,
/// grouped by kind (each kind's items in `observed_at` order).
pub(crate) struct Input<'a> {
    kinds: Vec<(&'a str, Vec<&'a Item>)>,
}

impl<'a> Input<'a> {
    pub(crate) fn new(kinds: Vec<(&'a str, Vec<&'a Item>)>) -> Input<'a> {
        Input { kinds }
    }

    /// The items of one kind.
    fn kind(&self, name: &str) -> &[&'a Item] {
        self.kinds
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[])
    }
}

/// A compiled test: the occurrences its Rego module would return (in any order; duplicates allowed).
pub(crate) type Test = fn(&Input<'_>) -> Result<Vec<Occurrence>, String>;

/// The compiled test of a built-in control, if it has one.
pub(crate) fn test(id: &str) -> Option<Test> {
    Some(match id {
        "ING-01" => ing::ing01,
        "ING-02" => ing::ing02,
        "ING-03" => ing::ing03,
        "ING-05" => ing::ing05,
        "SUP-05" => sup::sup05,
        "TRN-01" => trn::trn01,
        "TRN-02" => trn::trn02,
        "REG-01" => reg::reg01,
        "DEP-01" => dep::dep01,
        "TRN-03" => trn::trn03,
        _ => return None,
    })
}

/// Items of one kind, oldest first.
fn of_kind<'a>(input: &'a Input<'a>, kind: &str) -> impl Iterator<Item = &'a Item> + 'a {
    input.kind(kind).iter().copied()
}

/// `observed_at` as the Rego input shows it: whole seconds.
pub(crate) fn seconds(ts: Timestamp) -> Timestamp {
    Timestamp::from_second(ts.as_second()).unwrap_or(ts)
}

/// An occurrence at an item's time.
fn occ(item: &Item, ok: bool, evidence: Vec<u64>, reason: String) -> Occurrence {
    Occurrence {
        at: seconds(item.observed_at),
        ok,
        reason,
        evidence,
        subject: Some(item.subject.clone()),
    }
}

/// `x.k`: undefined unless `x` is an object holding `k`.
fn field<'v>(x: &'v Value, k: &str) -> Option<&'v Value> {
    x.as_object().and_then(|o| o.get(k))
}

/// `x.a.b.c`.
fn dig<'v>(x: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(x, |v, k| field(v, k))
}

/// `object.get(x, k, default)`: an error when `x` is not an object.
fn object_get<'v>(x: &'v Value, k: &str, default: &'v Value) -> Result<&'v Value, String> {
    match x {
        Value::Object(o) => Ok(o.get(k).unwrap_or(default)),
        other => Err(type_error("object.get", "object", other)),
    }
}

fn type_error(builtin: &str, wanted: &str, got: &Value) -> String {
    format!("`{builtin}` expects {wanted}, got {}", type_name(got))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A string argument of a built-in.
fn string<'v>(builtin: &str, v: &'v Value) -> Result<&'v str, String> {
    v.as_str().ok_or_else(|| type_error(builtin, "a string", v))
}

/// `x == true`.
fn is_true(x: Option<&Value>) -> bool {
    matches!(x, Some(Value::Bool(true)))
}

/// `x == false`.
fn is_false(x: Option<&Value>) -> bool {
    matches!(x, Some(Value::Bool(false)))
}

/// `x == n` for a number `n` (Rego compares numbers by value: `0 == 0.0`).
fn num_eq(x: Option<&Value>, n: f64) -> bool {
    x.and_then(Value::as_f64).is_some_and(|v| v == n)
}

/// `count(x)`: an error for anything but a collection or a string.
fn count(x: &Value) -> Result<usize, String> {
    match x {
        Value::Array(a) => Ok(a.len()),
        Value::Object(o) => Ok(o.len()),
        Value::String(s) => Ok(s.chars().count()),
        other => Err(type_error("count", "a collection or a string", other)),
    }
}

/// `some x in coll`: array elements, or object values in key order; an error for anything else.
fn members(x: &Value) -> Result<Vec<&Value>, String> {
    match x {
        Value::Array(a) => Ok(a.iter().collect()),
        Value::Object(o) => {
            let mut kv: Vec<(&String, &Value)> = o.iter().collect();
            kv.sort_by(|a, b| a.0.cmp(b.0));
            Ok(kv.into_iter().map(|(_, v)| v).collect())
        }
        other => Err(type_error("some .. in", "a collection", other)),
    }
}

/// `some x in object.get(obj, k, [])`.
fn members_of<'v>(obj: &'v Value, k: &str) -> Result<Vec<&'v Value>, String> {
    match obj {
        Value::Object(o) => o.get(k).map(members).unwrap_or(Ok(Vec::new())),
        other => Err(type_error("object.get", "object", other)),
    }
}

/// `some k, v in obj` over an object, in key order (arrays give their index as key); an error for
/// anything else.
fn entries(x: &Value) -> Result<Vec<(Value, &Value)>, String> {
    match x {
        Value::Array(a) => Ok(a
            .iter()
            .enumerate()
            .map(|(i, v)| (Value::from(i as u64), v))
            .collect()),
        Value::Object(o) => {
            let mut kv: Vec<(&String, &Value)> = o.iter().collect();
            kv.sort_by(|a, b| a.0.cmp(b.0));
            Ok(kv
                .into_iter()
                .map(|(k, v)| (Value::String(k.clone()), v))
                .collect())
        }
        other => Err(type_error("some .. in", "a collection", other)),
    }
}

/// `sprintf("%v", [x])` (and `%s` of a non-string): strings as they are, numbers in decimal, others
/// as regorus prints them (strings inside quoted, object keys in order, `", "` between members).
fn text(x: &Value) -> String {
    let mut out = String::new();
    write_text(&mut out, x, false);
    out
}

fn write_text(out: &mut String, x: &Value, nested: bool) {
    match x {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::String(s) if nested => {
            out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| s.clone()))
        }
        Value::String(s) => out.push_str(s),
        Value::Number(n) => out.push_str(&number(n)),
        Value::Array(a) => {
            out.push('[');
            for (i, v) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_text(out, v, true);
            }
            out.push(']');
        }
        Value::Object(o) => {
            let mut kv: Vec<(&String, &Value)> = o.iter().collect();
            kv.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in kv.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&serde_json::to_string(k).unwrap_or_else(|_| k.clone()));
                out.push_str(": ");
                write_text(out, v, true);
            }
            out.push('}');
        }
    }
}

/// A JSON number as regorus prints it: integers exactly, other numbers by Rust's shortest form.
fn number(n: &serde_json::Number) -> String {
    if let Some(u) = n.as_u64() {
        u.to_string()
    } else if let Some(i) = n.as_i64() {
        i.to_string()
    } else {
        n.as_f64().map(|f| f.to_string()).unwrap_or_default()
    }
}

/// A value as a lookup key, equal for values Rego holds equal (numbers by value).
fn key(v: &Value) -> String {
    match v {
        Value::String(s) => format!("s{s}"),
        Value::Number(n) => match n.as_f64() {
            Some(f) => format!("n{f}"),
            None => format!("n{n}"),
        },
        other => format!("j{other}"),
    }
}

/// `substring(s, 0, n)`: the first `n` characters.
fn prefix(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// `concat(sep, list)`: an error when a member is not a string.
fn concat(sep: &str, list: &[&Value]) -> Result<String, String> {
    let mut parts = Vec::with_capacity(list.len());
    for v in list {
        parts.push(string("concat", v)?);
    }
    Ok(parts.join(sep))
}

/// The earliest of some items by `observed_at` (whole seconds) and then ledger index, as the Rego
/// `earliest` helper sorts them.
fn earliest<'a>(items: impl IntoIterator<Item = &'a Item>) -> Option<&'a Item> {
    items.into_iter().min_by(|a, b| order(a, b))
}

/// Items ordered as the Rego helpers order them.
fn order(a: &Item, b: &Item) -> Ordering {
    seconds(a.observed_at)
        .cmp(&seconds(b.observed_at))
        .then(a.index.cmp(&b.index))
}

/// Rego's `x > 0` for any value: numbers by value; across types Rego orders
/// null < boolean < number < string < array < object.
fn above_zero(x: &Value) -> bool {
    match x {
        Value::Null | Value::Bool(_) => false,
        Value::Number(n) => n.as_f64().is_some_and(|f| f > 0.0),
        Value::String(_) | Value::Array(_) | Value::Object(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_prints_as_regorus_does() {
        assert_eq!(text(&json!("a")), "a");
        assert_eq!(text(&json!(3)), "3");
        assert_eq!(text(&json!(-3)), "-3");
        assert_eq!(text(&json!(0.5)), "0.5");
        assert_eq!(text(&json!(2.0)), "2");
        assert_eq!(text(&json!(null)), "null");
        assert_eq!(text(&json!(["a", 1, true])), "[\"a\", 1, true]");
        assert_eq!(text(&json!({"b": 1, "a": "x"})), "{\"a\": \"x\", \"b\": 1}");
    }

    #[test]
    fn helpers_follow_rego() {
        let v = json!({"a": {"b": 1}, "s": "x"});
        assert_eq!(dig(&v, &["a", "b"]), Some(&json!(1)));
        assert_eq!(dig(&v, &["s", "b"]), None);
        assert!(object_get(&json!(1), "a", &Value::Null).is_err());
        assert!(count(&json!(1)).is_err());
        assert_eq!(count(&json!("héllo")), Ok(5));
        assert!(num_eq(Some(&json!(0.0)), 0.0));
        assert!(above_zero(&json!("1")));
        assert!(!above_zero(&json!(true)));
        assert_eq!(prefix("héllo", 2), "hé");
    }
}
