//! SUP-05 (Rego module of the same name).

use std::collections::HashMap;

use serde_json::json;

use super::{
    Input, above_zero, earliest, entries, field, is_true, object_get, occ, of_kind, seconds, text,
};
use crate::model::{Item, Occurrence};

const SECRET_ENTITIES: &[&str] = &["AWS_ACCESS_KEY", "PRIVATE_KEY", "API_TOKEN"];

/// SUP-05: a scan found no credentials, or a later incident of the same subject rotated them.
pub(crate) fn sup05(input: &Input<'_>) -> Result<Vec<Occurrence>, String> {
    let mut rotations: HashMap<&str, Vec<&Item>> = HashMap::new();
    for i in of_kind(input, "incident") {
        if is_true(field(&i.payload, "rotated")) {
            rotations.entry(i.subject.as_str()).or_default().push(i);
        }
    }
    let none = json!({});
    let mut out = Vec::new();
    for e in of_kind(input, "pii.scan") {
        let secrets: Vec<String> = entries(object_get(&e.payload, "by_entity", &none)?)?
            .into_iter()
            .filter(|(k, v)| {
                k.as_str().is_some_and(|k| SECRET_ENTITIES.contains(&k)) && above_zero(v)
            })
            .map(|(k, v)| format!("{}: {}", text(&k), text(v)))
            .collect();
        if secrets.is_empty() {
            let reason = format!("{}: scan #{} found no credentials", e.subject, e.index);
            out.push(occ(e, true, vec![e.index], reason));
            continue;
        }
        let from = seconds(e.observed_at);
        let rotation = rotations.get(e.subject.as_str()).and_then(|list| {
            earliest(
                list.iter()
                    .copied()
                    .filter(|i| seconds(i.observed_at) >= from),
            )
        });
        match rotation {
            Some(i) => {
                let reason = format!(
                    "{}: credentials found by scan #{} were rotated (incident #{})",
                    e.subject, e.index, i.index
                );
                out.push(occ(e, true, vec![e.index, i.index], reason));
            }
            None => {
                let mut secrets = secrets;
                secrets.sort();
                let reason = format!(
                    "{}: scan #{} found credentials ({}) with no recorded rotation",
                    e.subject,
                    e.index,
                    secrets.join(", ")
                );
                out.push(occ(e, false, vec![e.index], reason));
            }
        }
    }
    Ok(out)
}
