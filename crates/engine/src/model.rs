//! The engine's values: evidence items as the engine sees them, the scope, results and reports.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use assay_catalog::{Category, Frequency};
use assay_ledger::StoredItem;
use assay_scope::SystemDescription;

/// RFC 3339 in UTC with whole seconds (`2026-06-01T00:00:00Z`), so that Rego can compare times as strings.
pub fn rfc3339(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

mod ts_serde {
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(ts: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::rfc3339(*ts))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

mod opt_ts_serde {
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(ts: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match ts {
            Some(ts) => s.serialize_str(&super::rfc3339(*ts)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        text.map(|t| t.parse().map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// One evidence item, as a control's Rego test receives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// The ledger index.
    pub index: u64,
    pub kind: String,
    pub subject: String,
    #[serde(default)]
    pub locator: String,
    #[serde(with = "ts_serde")]
    pub observed_at: Timestamp,
    #[serde(
        default,
        with = "opt_ts_serde",
        skip_serializing_if = "Option::is_none"
    )]
    pub expires_at: Option<Timestamp>,
    #[serde(default)]
    pub payload: Payload,
}

/// An item's payload. Read from the ledger it stays the stored canonical JSON text until something reads it:
/// a check at one date reads a small share of a large ledger, and a Rego test turns the text into a Rego value
/// without the `serde_json::Value` in between. It dereferences to the decoded [`Value`].
#[derive(Default)]
pub struct Payload {
    /// The canonical JSON text the ledger stored, when the payload came from there.
    text: Option<Box<[u8]>>,
    /// The decoded payload, or why the stored text does not decode (then the payload reads as `null`, and
    /// [`EvidenceSet::unreadable`] names the item so that the evaluation fails instead).
    value: OnceLock<Result<Value, String>>,
}

static NULL: Value = Value::Null;

impl Payload {
    /// A payload from canonical JSON text, decoded on first use. Text that does not decode is recorded as
    /// such (see [`Payload::decode_error`]), not trusted.
    fn from_text(text: Box<[u8]>) -> Payload {
        Payload {
            text: Some(text),
            value: OnceLock::new(),
        }
    }

    /// The decoded payload.
    pub fn value(&self) -> &Value {
        let decoded = self.value.get_or_init(|| match &self.text {
            Some(text) => serde_json::from_slice(text)
                .map_err(|e| format!("its stored payload does not decode ({e})")),
            None => Ok(Value::Null),
        });
        decoded.as_ref().unwrap_or(&NULL)
    }

    /// Why the stored payload did not decode, once something tried.
    pub fn decode_error(&self) -> Option<&str> {
        self.value
            .get()
            .and_then(|v| v.as_ref().err())
            .map(String::as_str)
    }

    /// The stored text, while nothing has decoded it yet.
    pub(crate) fn undecoded_text(&self) -> Option<&[u8]> {
        match self.value.get() {
            Some(_) => None,
            None => self.text.as_deref(),
        }
    }

    /// The payload's top-level member `name`, as `payload.get(name)` gives it, without decoding the rest of a
    /// payload nothing has decoded yet (a control that reads one member of every commit).
    pub fn member(&self, name: &str) -> Option<std::borrow::Cow<'_, Value>> {
        if let Some(text) = self.undecoded_text() {
            match assay_ledger::jcs::member(text, name.as_bytes()) {
                Some(None) => return None,
                Some(Some(raw)) => {
                    if let Ok(v) = serde_json::from_slice(raw) {
                        return Some(std::borrow::Cow::Owned(v));
                    }
                }
                // Not the plain layout this scan reads: decode the whole payload.
                None => {}
            }
        }
        self.value().get(name).map(std::borrow::Cow::Borrowed)
    }

    /// Whether the payload has been decoded (always, for one built from a value).
    pub fn is_decoded(&self) -> bool {
        self.value.get().is_some()
    }

    /// The decoded payload, by value.
    pub fn into_value(mut self) -> Value {
        self.value();
        self.value
            .take()
            .and_then(Result::ok)
            .unwrap_or(Value::Null)
    }
}

impl From<Value> for Payload {
    fn from(value: Value) -> Payload {
        Payload {
            text: None,
            value: OnceLock::from(Ok(value)),
        }
    }
}

impl std::ops::Deref for Payload {
    type Target = Value;
    fn deref(&self) -> &Value {
        self.value()
    }
}

impl Clone for Payload {
    fn clone(&self) -> Payload {
        match (self.value.get(), &self.text) {
            (None, Some(text)) => Payload::from_text(text.clone()),
            _ => Payload::from(self.value().clone()),
        }
    }
}

impl PartialEq for Payload {
    fn eq(&self, other: &Payload) -> bool {
        self.value() == other.value()
    }
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.value().fmt(f)
    }
}

impl Serialize for Payload {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Payload {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Payload, D::Error> {
        Value::deserialize(d).map(Payload::from)
    }
}

/// The envelope members the engine reads, borrowed from an item's canonical bytes; the payload is kept as text.
#[derive(Deserialize)]
struct StoredEnvelope<'a> {
    #[serde(borrow)]
    kind: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    subject: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    source: StoredSource<'a>,
    #[serde(borrow)]
    observed_at: std::borrow::Cow<'a, str>,
    #[serde(default, borrow)]
    expires_at: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    payload: &'a serde_json::value::RawValue,
}

#[derive(Deserialize)]
struct StoredSource<'a> {
    #[serde(borrow)]
    locator: std::borrow::Cow<'a, str>,
}

impl Item {
    /// An item from the canonical bytes the ledger stores at `index`, without decoding its payload (see
    /// [`Payload`]). The same item as `Item::from(StoredItem)` gives for those bytes.
    pub fn from_canonical(index: u64, canonical: &[u8]) -> Result<Item, crate::EngineError> {
        let bad = |reason: String| crate::EngineError::Evidence { index, reason };
        let time = |field: &str, text: &str| {
            text.parse::<Timestamp>()
                .map_err(|err| bad(format!("its {field} `{text}` is not a time ({err})")))
        };
        // The fixed layout of a canonical item first; anything else through the JSON decoder.
        if let Some(f) = assay_ledger::envelope::fields(canonical) {
            let string = |field: &str, literal: &[u8]| {
                json_string(literal).ok_or_else(|| bad(format!("its {field} is not a JSON string")))
            };
            return Ok(Item {
                index,
                kind: f.kind.to_owned(),
                subject: string("subject", f.subject)?,
                locator: string("locator", f.locator)?,
                observed_at: time("observed_at", f.observed_at)?,
                expires_at: f.expires_at.map(|t| time("expires_at", t)).transpose()?,
                payload: Payload::from_text(f.payload.into()),
            });
        }
        let e: StoredEnvelope<'_> = serde_json::from_slice(canonical)
            .map_err(|e| bad(format!("its stored JSON does not decode ({e})")))?;
        Ok(Item {
            index,
            kind: e.kind.into_owned(),
            subject: e.subject.into_owned(),
            locator: e.source.locator.into_owned(),
            observed_at: time("observed_at", &e.observed_at)?,
            expires_at: e.expires_at.map(|t| time("expires_at", &t)).transpose()?,
            payload: Payload::from_text(e.payload.get().as_bytes().into()),
        })
    }
}

/// The text of a JSON string literal (quotes included).
fn json_string(literal: &[u8]) -> Option<String> {
    let inner = literal.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    if inner.contains(&b'\\') {
        serde_json::from_slice(literal).ok()
    } else {
        std::str::from_utf8(inner).ok().map(str::to_owned)
    }
}

impl From<StoredItem> for Item {
    /// Takes the stored item apart: no copy of the payload.
    fn from(stored: StoredItem) -> Item {
        let e = stored.evidence;
        Item {
            index: stored.index,
            kind: e.kind.as_str().to_owned(),
            subject: e.subject,
            locator: e.source.locator,
            observed_at: e.observed_at,
            expires_at: e.expires_at,
            payload: Payload::from(e.payload),
        }
    }
}

impl From<&StoredItem> for Item {
    fn from(stored: &StoredItem) -> Item {
        Item::from(stored.clone())
    }
}

/// Evidence grouped by kind, each list in `observed_at` order.
#[derive(Debug, Clone, Default)]
pub struct EvidenceSet {
    by_kind: BTreeMap<String, Vec<Item>>,
    /// Each item as a Rego value (same order), built once, the first time a control's Rego test reads
    /// it, and shared by every control (and thread) after that. Items no Rego test reads (outside
    /// every window, or read only by compiled tests) are never converted.
    rego: BTreeMap<String, Vec<OnceLock<Result<regorus::Value, String>>>>,
    /// Whether any payload is still stored text (read from the ledger), so that one may fail to decode.
    from_text: bool,
}

impl EvidenceSet {
    pub fn new(items: impl IntoIterator<Item = Item>) -> EvidenceSet {
        let mut set = EvidenceSet::default();
        for item in items {
            set.push(item);
        }
        set.finish()
    }

    /// Evidence already in lists of one kind each (as a reader of the ledger's kinds has it): the lists are
    /// kept as they are instead of being regrouped item by item. A list that mixes kinds, or repeats one
    /// already given, is regrouped.
    pub fn from_kinds(lists: impl IntoIterator<Item = Vec<Item>>) -> EvidenceSet {
        let mut set = EvidenceSet::default();
        for list in lists {
            let Some(kind) = list.first().map(|i| i.kind.clone()) else {
                continue;
            };
            if set.by_kind.contains_key(&kind) || list.iter().any(|i| i.kind != kind) {
                for item in list {
                    set.push(item);
                }
            } else {
                set.by_kind.insert(kind, list);
            }
        }
        set.finish()
    }

    fn push(&mut self, item: Item) {
        // No copy of the kind string per item: only the first of each kind makes the key.
        match self.by_kind.get_mut(item.kind.as_str()) {
            Some(list) => list.push(item),
            None => {
                self.by_kind.insert(item.kind.clone(), vec![item]);
            }
        }
    }

    fn finish(mut self) -> EvidenceSet {
        self.from_text = self
            .by_kind
            .values()
            .flatten()
            .any(|i| i.payload.text.is_some());
        for (kind, list) in &mut self.by_kind {
            list.sort_by_key(|i| (i.observed_at, i.index));
            self.rego.insert(
                kind.clone(),
                (0..list.len()).map(|_| OnceLock::new()).collect(),
            );
        }
        self
    }

    /// The item at `pos` of [`EvidenceSet::of_kind`] as a Rego value.
    pub(crate) fn rego_value(&self, kind: &str, pos: usize) -> Result<&regorus::Value, String> {
        let (Some(cell), Some(item)) = (
            self.rego.get(kind).and_then(|cells| cells.get(pos)),
            self.of_kind(kind).get(pos),
        ) else {
            return Err(format!("no item at position {pos} of `{kind}`"));
        };
        cell.get_or_init(|| crate::input::item(item))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The first item of these kinds whose stored payload something tried and failed to decode, with why.
    pub fn unreadable<'k>(&self, kinds: impl IntoIterator<Item = &'k str>) -> Option<(u64, &str)> {
        if !self.from_text {
            return None;
        }
        kinds.into_iter().find_map(|kind| {
            self.of_kind(kind)
                .iter()
                .find_map(|i| i.payload.decode_error().map(|e| (i.index, e)))
        })
    }

    /// Items of one kind, oldest first.
    pub fn of_kind(&self, kind: &str) -> &[Item] {
        self.by_kind.get(kind).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn len(&self) -> usize {
        self.by_kind.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A component, as the Rego input shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentView {
    pub id: String,
    pub stage: String,
    #[serde(default = "production")]
    pub environment: String,
    pub in_scope: bool,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub holds: Vec<String>,
    /// Days the data-retention schedule allows, when the description states it.
    #[serde(default)]
    pub retention_days: Option<u32>,
}

fn production() -> String {
    "production".to_owned()
}

/// A team and its job function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamView {
    pub name: String,
    pub function: String,
    #[serde(default)]
    pub principals: Vec<String>,
}

/// A control the description excludes, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExclusionView {
    pub id: String,
    #[serde(default)]
    pub reason: String,
}

/// The part of `assay.toml` the engine needs: selected categories, components, teams, exclusions and
/// which evidence sources are configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScopeView {
    /// Selected categories by key (`security`, `privacy` …).
    pub categories: Vec<String>,
    #[serde(default)]
    pub components: Vec<ComponentView>,
    #[serde(default)]
    pub teams: Vec<TeamView>,
    #[serde(default)]
    pub exclusions: Vec<ExclusionView>,
    /// Configured `[source.NAME]` tables.
    #[serde(default)]
    pub sources: Vec<String>,
}

impl Default for ScopeView {
    /// Every category selected, nothing else described: what the test cases assume unless they say otherwise.
    fn default() -> ScopeView {
        ScopeView {
            categories: Category::ALL.iter().map(|c| c.key().to_owned()).collect(),
            components: Vec::new(),
            teams: Vec::new(),
            exclusions: Vec::new(),
            sources: Vec::new(),
        }
    }
}

impl ScopeView {
    pub fn from_description(d: &SystemDescription) -> ScopeView {
        let mut categories: Vec<String> = d
            .system
            .criteria
            .get_ref()
            .iter()
            .map(|c| c.get_ref().trim().to_ascii_lowercase())
            .collect();
        if !categories.iter().any(|c| c == "security") {
            categories.push("security".to_owned());
        }
        ScopeView {
            categories,
            components: d
                .component
                .iter()
                .map(|c| {
                    let c = c.get_ref();
                    ComponentView {
                        id: c.id.clone(),
                        stage: c.stage.key().to_owned(),
                        environment: match c.environment {
                            assay_scope::Environment::Production => "production",
                            assay_scope::Environment::Staging => "staging",
                            assay_scope::Environment::Research => "research",
                        }
                        .to_owned(),
                        in_scope: c.in_scope,
                        owner: c.owner.clone(),
                        holds: c.holds.iter().map(|h| h.key().to_owned()).collect(),
                        retention_days: c.retention_days,
                    }
                })
                .collect(),
            teams: d
                .team
                .iter()
                .map(|t| {
                    let t = t.get_ref();
                    TeamView {
                        name: t.name.clone(),
                        function: t.function.key().to_owned(),
                        principals: t.principals.clone(),
                    }
                })
                .collect(),
            exclusions: d
                .controls
                .exclude
                .iter()
                .map(|x| {
                    let x = x.get_ref();
                    ExclusionView {
                        id: x.id.clone(),
                        reason: x.reason.clone(),
                    }
                })
                .collect(),
            sources: d.source.keys().cloned().collect(),
        }
    }

    pub fn selects(&self, category: Category) -> bool {
        self.categories.iter().any(|c| c == category.key())
    }

    pub fn component(&self, id: &str) -> Option<&ComponentView> {
        self.components.iter().find(|c| c.id == id)
    }
}

/// When a control is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Window {
    /// Type 1: designed and in place at this instant.
    At {
        #[serde(with = "ts_serde")]
        at: Timestamp,
    },
    /// Type 2: operating throughout `[from, to]`.
    Period {
        #[serde(with = "ts_serde")]
        from: Timestamp,
        #[serde(with = "ts_serde")]
        to: Timestamp,
    },
}

impl Window {
    /// The end of the window: nothing observed later is considered.
    pub fn end(self) -> Timestamp {
        match self {
            Window::At { at } => at,
            Window::Period { to, .. } => to,
        }
    }
}

/// How far back evidence counts for a control of this frequency at a point in time; older evidence is
/// "stale". Per-event controls look back one year.
pub fn lookback(frequency: Frequency) -> SignedDuration {
    let days: i64 = match frequency {
        Frequency::Continuous => 7,
        Frequency::Daily => 2,
        Frequency::Weekly => 8,
        Frequency::Monthly => 32,
        Frequency::Quarterly => 95,
        Frequency::Annually => 370,
        Frequency::PerEvent => 365,
    };
    SignedDuration::from_hours(days * 24)
}

/// The outcome for one control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    /// We could not see: source not configured, evidence missing or stale. Never a pass or a fail.
    NotVerifiable,
    /// Out of scope: category not selected, component out of scope, excluded in assay.toml.
    NotApplicable,
}

impl Status {
    pub fn key(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::NotVerifiable => "not_verifiable",
            Status::NotApplicable => "not_applicable",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        match text {
            "pass" => Some(Status::Pass),
            "fail" => Some(Status::Fail),
            "not_verifiable" => Some(Status::NotVerifiable),
            "not_applicable" => Some(Status::NotApplicable),
            _ => None,
        }
    }
}

/// One dated instance of a control operating, as its Rego test reported it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Occurrence {
    #[serde(with = "ts_serde")]
    pub at: Timestamp,
    pub ok: bool,
    pub reason: String,
    /// Ledger indices the occurrence rests on.
    #[serde(default)]
    pub evidence: Vec<u64>,
    /// What it is about (a model, a dataset, a policy), when the test says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

/// A Type 2 exception: an expected occurrence that failed or did not happen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exception {
    #[serde(with = "ts_serde")]
    pub at: Timestamp,
    pub reason: String,
    #[serde(default)]
    pub evidence: Vec<u64>,
    /// `failed` (the control ran and did not hold) or `missed` (no occurrence where one was expected).
    pub kind: String,
}

/// The conclusion over a period (Chiaro SOC 2 methodology rules, CC BY 4.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Effective,
    EffectiveWithExceptions,
    Ineffective,
    NotOccurring,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Effective => "effective",
            Verdict::EffectiveWithExceptions => "effective with exceptions",
            Verdict::Ineffective => "ineffective",
            Verdict::NotOccurring => "not occurring",
        }
    }
}

/// Type 2 figures of one control.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodResult {
    /// Expected occurrences: one per frequency interval, or every event for per-event controls.
    pub population: u64,
    pub exceptions: Vec<Exception>,
    pub deviation_rate: f64,
    pub verdict: Verdict,
    /// The rule set the verdict follows.
    pub rules: &'static str,
}

/// The result for one control.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlResult {
    pub control: String,
    pub title: String,
    pub frequency: String,
    pub nature: String,
    pub criteria: Vec<String>,
    pub status: Status,
    /// One sentence a person understands.
    pub reason: String,
    /// The Rego test, when the control has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test: Option<String>,
    pub occurrences: Vec<Occurrence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<PeriodResult>,
}

/// Counts per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub not_verifiable: usize,
    pub not_applicable: usize,
}

impl Counts {
    pub fn add(&mut self, status: Status) {
        match status {
            Status::Pass => self.pass += 1,
            Status::Fail => self.fail += 1,
            Status::NotVerifiable => self.not_verifiable += 1,
            Status::NotApplicable => self.not_applicable += 1,
        }
    }
}

/// Readiness of one selected category.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryReadiness {
    pub category: String,
    pub name: String,
    /// Criteria of this category with at least one applicable mapped control.
    pub applicable_criteria: usize,
    /// Of those, criteria whose applicable mapped controls all pass.
    pub ready_criteria: usize,
    /// `ready / applicable`, 0 when nothing is applicable.
    pub share: f64,
    /// Controls by status, counting each control once per category.
    pub controls: Counts,
    /// Applicable criteria with no passing control.
    pub without_passing_control: Vec<String>,
    /// Status of every applicable criterion: `ready` or the ids of the controls that hold it back.
    pub criteria: Vec<CriterionStatus>,
}

/// One criterion in the readiness table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriterionStatus {
    pub id: String,
    pub ready: bool,
    pub pass: Vec<String>,
    pub not_passing: Vec<String>,
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub window: Window,
    pub counts: Counts,
    pub results: Vec<ControlResult>,
    pub readiness: Vec<CategoryReadiness>,
}

impl Report {
    pub fn result(&self, control: &str) -> Option<&ControlResult> {
        self.results.iter().find(|r| r.control == control)
    }

    pub fn any_failed(&self) -> bool {
        self.counts.fail > 0
    }
}
