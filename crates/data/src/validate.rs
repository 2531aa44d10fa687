//! Ingestion validation: rules from a TOML file checked in one streaming pass over a dataset.
//!
//! Rule families: schema (required columns, exact column set, types), null fraction, numeric ranges,
//! allowed sets with an out-of-domain share, uniqueness, regular expressions, row-count bounds, `mostly`
//! (the share of rows that must pass a per-value rule, default 1.0), label-distribution shift against a
//! reference (PSI over the label's categories: a poisoning tripwire), and bursts of duplicate rows (the
//! largest share of exact duplicates in any window of consecutive rows).
//!
//! Memory: uniqueness and duplicate checks keep a 64-bit hash per distinct value or row; everything else
//! is constant per rule.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{DataError, Result};
use crate::read::{Cell, read_rows};
use crate::stats;

/// The rules file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    #[serde(default)]
    pub dataset: DatasetRules,
    #[serde(default)]
    pub schema: SchemaRules,
    #[serde(default, rename = "rule")]
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetRules {
    pub min_rows: Option<u64>,
    pub max_rows: Option<u64>,
    /// Window of consecutive rows for the duplicate-burst check.
    pub duplicate_window: Option<u64>,
    /// Largest share of duplicate rows allowed in any window.
    pub max_duplicate_share: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaRules {
    #[serde(default)]
    pub columns: Vec<String>,
    /// No columns beyond `columns`.
    #[serde(default)]
    pub exact: bool,
    /// Column → `integer`, `number`, `boolean` or `string`.
    #[serde(default)]
    pub types: BTreeMap<String, String>,
}

/// One per-column rule.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(tag = "check", rename_all = "snake_case", deny_unknown_fields)]
pub enum Rule {
    NotNull {
        column: String,
        max_null_fraction: Option<f64>,
    },
    Range {
        column: String,
        min: Option<f64>,
        max: Option<f64>,
        mostly: Option<f64>,
    },
    InSet {
        column: String,
        values: Vec<String>,
        mostly: Option<f64>,
    },
    Unique {
        column: String,
    },
    Regex {
        column: String,
        pattern: String,
        mostly: Option<f64>,
    },
    LabelShift {
        column: String,
        max_psi: Option<f64>,
    },
}

impl Rule {
    fn column(&self) -> &str {
        match self {
            Rule::NotNull { column, .. }
            | Rule::Range { column, .. }
            | Rule::InSet { column, .. }
            | Rule::Unique { column }
            | Rule::Regex { column, .. }
            | Rule::LabelShift { column, .. } => column,
        }
    }
    fn name(&self) -> &'static str {
        match self {
            Rule::NotNull { .. } => "not_null",
            Rule::Range { .. } => "range",
            Rule::InSet { .. } => "in_set",
            Rule::Unique { .. } => "unique",
            Rule::Regex { .. } => "regex",
            Rule::LabelShift { .. } => "label_shift",
        }
    }
}

impl Rules {
    pub fn load(path: &Path) -> Result<Rules> {
        let text = std::fs::read_to_string(path).map_err(crate::error::io(path))?;
        let rules: Rules = toml::from_str(&text).map_err(|e| DataError::Config {
            path: path.to_owned(),
            message: e.to_string().trim().to_owned(),
        })?;
        for (c, t) in &rules.schema.types {
            if !matches!(t.as_str(), "integer" | "number" | "boolean" | "string") {
                return Err(DataError::Config {
                    path: path.to_owned(),
                    message: format!(
                        "schema.types.{c} = \"{t}\": use integer, number, boolean or string"
                    ),
                });
            }
        }
        for r in &rules.rules {
            if let Rule::Regex { pattern, .. } = r
                && let Err(e) = regex::Regex::new(pattern)
            {
                return Err(DataError::Config {
                    path: path.to_owned(),
                    message: format!("rule on `{}`: bad regex: {e}", r.column()),
                });
            }
        }
        Ok(rules)
    }
}

/// A failing value and where it is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FailingExample {
    pub file: String,
    pub row: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// One rule's outcome.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RuleResult {
    pub rule: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub passed: bool,
    /// A sentence saying what was measured against what.
    pub detail: String,
    pub evaluated: u64,
    pub failing: u64,
    pub examples: Vec<FailingExample>,
}

/// The `dataset.validation` evidence payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ValidationReport {
    pub data: String,
    pub rules_file: String,
    pub rows: u64,
    pub passed: bool,
    pub evaluated_rules: usize,
    pub failed_rules: usize,
    pub results: Vec<RuleResult>,
}

const MAX_EXAMPLES: usize = 5;

/// Header width, rule column indexes, typed column indexes.
type IndexCache = (usize, Vec<Option<usize>>, Vec<(String, Option<usize>)>);

fn short(s: &str) -> String {
    if s.chars().count() > 64 {
        format!("{}…", s.chars().take(63).collect::<String>())
    } else {
        s.to_owned()
    }
}

#[derive(Default)]
struct State {
    evaluated: u64,
    failing: u64,
    nulls: u64,
    examples: Vec<FailingExample>,
    seen: HashSet<u64>,
    counts: HashMap<String, u64>,
}

impl State {
    fn fail(&mut self, file: &Path, row: u64, value: Option<String>) {
        self.failing += 1;
        if self.examples.len() < MAX_EXAMPLES {
            self.examples.push(FailingExample {
                file: file.display().to_string(),
                row,
                value: value.map(|v| short(&v)),
            });
        }
    }
}

fn type_ok(t: &str, c: &Cell<'_>) -> bool {
    match (t, c) {
        (_, Cell::Null) | ("string", _) => true,
        ("boolean", Cell::Bool(_)) => true,
        ("boolean", Cell::Str(s)) => matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "0" | "1"
        ),
        ("integer", c) => c
            .as_f64()
            .is_some_and(|x| x.fract() == 0.0 && x.is_finite()),
        ("number", c) => c.as_f64().is_some(),
        _ => false,
    }
}

fn hash_of(s: &str) -> u64 {
    let mut h = DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// Category counts of `column` in `path` (for label-shift rules).
fn category_counts(path: &Path, column: &str) -> Result<HashMap<String, u64>> {
    let mut counts = HashMap::new();
    let mut found = false;
    read_rows(path, &mut |ctx, cells| {
        if let Some(i) = ctx.columns.iter().position(|c| c == column) {
            found = true;
            if let Some(v) = cells.get(i).and_then(Cell::to_text) {
                *counts.entry(v).or_insert(0) += 1;
            }
        }
        Ok(())
    })?;
    if !found {
        return Err(DataError::UnknownColumn {
            column: column.into(),
            path: path.to_owned(),
        });
    }
    Ok(counts)
}

fn mostly_ok(s: &State, mostly: Option<f64>) -> (bool, f64) {
    let share = if s.evaluated == 0 {
        1.0
    } else {
        1.0 - s.failing as f64 / s.evaluated as f64
    };
    (share >= mostly.unwrap_or(1.0), share)
}

/// Check `data` against `rules`; `reference` feeds label-shift rules.
pub fn validate(
    data: &Path,
    rules_path: &Path,
    rules: &Rules,
    reference: Option<&Path>,
) -> Result<ValidationReport> {
    let regexes: Vec<Option<regex::Regex>> = rules
        .rules
        .iter()
        .map(|r| match r {
            Rule::Regex { pattern, .. } => regex::Regex::new(pattern).ok(),
            _ => None,
        })
        .collect();
    let mut states: Vec<State> = rules.rules.iter().map(|_| State::default()).collect();
    let mut type_states: BTreeMap<String, State> = rules
        .schema
        .types
        .keys()
        .map(|k| (k.clone(), State::default()))
        .collect();
    let mut columns_seen: Vec<String> = Vec::new();
    let window = rules.dataset.duplicate_window.unwrap_or(1000).max(1) as usize;
    let dup_check = rules.dataset.max_duplicate_share.is_some();
    let mut row_hashes: HashSet<u64> = HashSet::new();
    let mut recent: VecDeque<bool> = VecDeque::with_capacity(window);
    let mut in_window = 0usize;
    let mut worst = (0.0f64, 0u64);
    let mut dup_total = 0u64;
    let mut idx_cache: IndexCache = (usize::MAX, Vec::new(), Vec::new());
    let mut last_file = std::path::PathBuf::new();
    let mut line = String::new();
    let rows = read_rows(data, &mut |ctx, cells| {
        if ctx.columns.len() != idx_cache.0 || ctx.file != last_file {
            last_file = ctx.file.to_owned();
            idx_cache.0 = ctx.columns.len();
            idx_cache.1 = rules
                .rules
                .iter()
                .map(|r| ctx.columns.iter().position(|c| c == r.column()))
                .collect();
            idx_cache.2 = rules
                .schema
                .types
                .keys()
                .map(|k| (k.clone(), ctx.columns.iter().position(|c| c == k)))
                .collect();
            for c in ctx.columns {
                if !columns_seen.contains(c) {
                    columns_seen.push(c.clone());
                }
            }
        }
        for (k, i) in &idx_cache.2 {
            if let (Some(i), Some(t), Some(st)) =
                (i, rules.schema.types.get(k), type_states.get_mut(k))
            {
                let c = cells.get(*i).copied().unwrap_or(Cell::Null);
                st.evaluated += 1;
                if !type_ok(t, &c) {
                    st.fail(ctx.file, ctx.row, c.to_text());
                }
            }
        }
        for (ri, rule) in rules.rules.iter().enumerate() {
            let Some(i) = idx_cache.1[ri] else { continue };
            let c = cells.get(i).copied().unwrap_or(Cell::Null);
            let st = &mut states[ri];
            match rule {
                Rule::NotNull { .. } => {
                    st.evaluated += 1;
                    if c.is_null() {
                        st.nulls += 1;
                        st.fail(ctx.file, ctx.row, None);
                    }
                }
                Rule::Range { min, max, .. } => {
                    if c.is_null() {
                        continue;
                    }
                    st.evaluated += 1;
                    let ok = c
                        .as_f64()
                        .is_some_and(|x| min.is_none_or(|m| x >= m) && max.is_none_or(|m| x <= m));
                    if !ok {
                        st.fail(ctx.file, ctx.row, c.to_text());
                    }
                }
                Rule::InSet { values, .. } => {
                    let Some(v) = c.to_text() else { continue };
                    st.evaluated += 1;
                    if !values.contains(&v) {
                        *st.counts.entry(v.clone()).or_insert(0) += 1;
                        st.fail(ctx.file, ctx.row, Some(v));
                    }
                }
                Rule::Unique { .. } => {
                    let Some(v) = c.to_text() else { continue };
                    st.evaluated += 1;
                    if !st.seen.insert(hash_of(&v)) {
                        st.fail(ctx.file, ctx.row, Some(v));
                    }
                }
                Rule::Regex { .. } => {
                    let Some(v) = c.to_text() else { continue };
                    st.evaluated += 1;
                    if !regexes[ri].as_ref().is_some_and(|re| re.is_match(&v)) {
                        st.fail(ctx.file, ctx.row, Some(v));
                    }
                }
                Rule::LabelShift { .. } => {
                    if let Some(v) = c.to_text() {
                        st.evaluated += 1;
                        *st.counts.entry(v).or_insert(0) += 1;
                    }
                }
            }
        }
        if dup_check {
            line.clear();
            for c in cells {
                if let Some(t) = c.to_text() {
                    line.push_str(&t);
                }
                line.push('\u{1f}');
            }
            let dup = !row_hashes.insert(hash_of(&line));
            dup_total += u64::from(dup);
            recent.push_back(dup);
            in_window += usize::from(dup);
            if recent.len() > window && recent.pop_front() == Some(true) {
                in_window -= 1;
            }
            let share = in_window as f64 / window as f64;
            if share > worst.0 {
                worst = (share, ctx.row);
            }
        }
        Ok(())
    })?;

    let mut results = Vec::new();
    let file = data.display().to_string();
    // Dataset shape.
    if rules.dataset.min_rows.is_some() || rules.dataset.max_rows.is_some() {
        let (lo, hi) = (rules.dataset.min_rows, rules.dataset.max_rows);
        let passed = lo.is_none_or(|m| rows >= m) && hi.is_none_or(|m| rows <= m);
        results.push(RuleResult {
            rule: "row_count".into(),
            column: None,
            passed,
            detail: format!(
                "{rows} rows; allowed {}–{}",
                lo.map_or("0".into(), |v| v.to_string()),
                hi.map_or("∞".into(), |v| v.to_string())
            ),
            evaluated: rows,
            failing: u64::from(!passed),
            examples: Vec::new(),
        });
    }
    if let Some(max) = rules.dataset.max_duplicate_share {
        let passed = worst.0 <= max;
        results.push(RuleResult {
            rule: "duplicate_burst".into(),
            column: None,
            passed,
            detail: format!(
                "{dup_total} duplicate rows in all; the worst window of {window} rows (ending at row {}) is {:.1}% duplicates; allowed {:.1}%",
                worst.1,
                worst.0 * 100.0,
                max * 100.0
            ),
            evaluated: rows,
            failing: dup_total,
            examples: Vec::new(),
        });
    }
    // Schema.
    if !rules.schema.columns.is_empty() {
        let missing: Vec<&String> = rules
            .schema
            .columns
            .iter()
            .filter(|c| !columns_seen.contains(c))
            .collect();
        let extra: Vec<&String> = if rules.schema.exact {
            columns_seen
                .iter()
                .filter(|c| !rules.schema.columns.contains(c))
                .collect()
        } else {
            Vec::new()
        };
        let passed = missing.is_empty() && extra.is_empty();
        results.push(RuleResult {
            rule: "schema_columns".into(),
            column: None,
            passed,
            detail: if passed {
                format!(
                    "all {} required columns present",
                    rules.schema.columns.len()
                )
            } else {
                format!("missing: {missing:?}; unexpected: {extra:?}")
            },
            evaluated: columns_seen.len() as u64,
            failing: (missing.len() + extra.len()) as u64,
            examples: Vec::new(),
        });
    }
    for (col, st) in type_states {
        let t = rules.schema.types.get(&col).cloned().unwrap_or_default();
        results.push(RuleResult {
            rule: "schema_type".into(),
            column: Some(col.clone()),
            passed: st.failing == 0 && columns_seen.contains(&col),
            detail: if columns_seen.contains(&col) {
                format!("{} of {} values are not {t}", st.failing, st.evaluated)
            } else {
                format!("column missing; expected type {t}")
            },
            evaluated: st.evaluated,
            failing: st.failing,
            examples: st.examples,
        });
    }
    for (ri, (rule, st)) in rules.rules.iter().zip(states).enumerate() {
        let present = idx_seen(&columns_seen, rule.column());
        let (passed, detail) = if !present {
            (
                false,
                format!("column `{}` is not in the data", rule.column()),
            )
        } else {
            match rule {
                Rule::NotNull {
                    max_null_fraction, ..
                } => {
                    let frac = if st.evaluated == 0 {
                        0.0
                    } else {
                        st.nulls as f64 / st.evaluated as f64
                    };
                    let max = max_null_fraction.unwrap_or(0.0);
                    (
                        frac <= max,
                        format!("{:.2}% null; allowed {:.2}%", frac * 100.0, max * 100.0),
                    )
                }
                Rule::Range {
                    min, max, mostly, ..
                } => {
                    let (ok, share) = mostly_ok(&st, *mostly);
                    (
                        ok,
                        format!(
                            "{:.2}% of values within [{}, {}]; required {:.2}%",
                            share * 100.0,
                            min.map_or("-∞".into(), |v| v.to_string()),
                            max.map_or("∞".into(), |v| v.to_string()),
                            mostly.unwrap_or(1.0) * 100.0
                        ),
                    )
                }
                Rule::InSet { mostly, .. } => {
                    let (ok, share) = mostly_ok(&st, *mostly);
                    let mut top: Vec<(&String, &u64)> = st.counts.iter().collect();
                    top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
                    let top: Vec<String> = top
                        .iter()
                        .take(3)
                        .map(|(v, n)| format!("{} ({n})", short(v)))
                        .collect();
                    (
                        ok,
                        format!(
                            "out-of-domain share {:.2}%; allowed {:.2}%{}",
                            (1.0 - share) * 100.0,
                            (1.0 - mostly.unwrap_or(1.0)) * 100.0,
                            if top.is_empty() {
                                String::new()
                            } else {
                                format!("; unexpected values: {}", top.join(", "))
                            }
                        ),
                    )
                }
                Rule::Unique { .. } => (
                    st.failing == 0,
                    format!("{} repeated values among {}", st.failing, st.evaluated),
                ),
                Rule::Regex {
                    pattern, mostly, ..
                } => {
                    let (ok, share) = mostly_ok(&st, *mostly);
                    (
                        ok,
                        format!(
                            "{:.2}% of values match /{pattern}/; required {:.2}%",
                            share * 100.0,
                            mostly.unwrap_or(1.0) * 100.0
                        ),
                    )
                }
                Rule::LabelShift { column, max_psi } => {
                    let Some(reference) = reference else {
                        return Err(DataError::Config {
                            path: rules_path.to_owned(),
                            message: format!(
                                "rule {} (label_shift on `{column}`) needs --reference DATA",
                                ri + 1
                            ),
                        });
                    };
                    let rc = category_counts(reference, column)?;
                    let mut keys: Vec<&String> = rc.keys().chain(st.counts.keys()).collect();
                    keys.sort();
                    keys.dedup();
                    let (nr, nc) = (
                        rc.values().sum::<u64>().max(1) as f64,
                        st.evaluated.max(1) as f64,
                    );
                    let mut r: Vec<f64> = keys
                        .iter()
                        .map(|k| *rc.get(*k).unwrap_or(&0) as f64 / nr)
                        .collect();
                    let mut c: Vec<f64> = keys
                        .iter()
                        .map(|k| *st.counts.get(*k).unwrap_or(&0) as f64 / nc)
                        .collect();
                    let shares: Vec<String> = keys
                        .iter()
                        .zip(r.iter().zip(&c))
                        .map(|(k, (a, b))| format!("{k}: {:.1}% → {:.1}%", a * 100.0, b * 100.0))
                        .collect();
                    stats::zero_fill(&mut r);
                    stats::zero_fill(&mut c);
                    let psi = stats::psi(&r, &c);
                    let max = max_psi.unwrap_or(0.1);
                    (
                        psi < max,
                        format!(
                            "label PSI {psi:.4} against the reference; allowed below {max}; {}",
                            shares.join(", ")
                        ),
                    )
                }
            }
        };
        results.push(RuleResult {
            rule: rule.name().into(),
            column: Some(rule.column().into()),
            passed,
            detail,
            evaluated: st.evaluated,
            failing: st.failing,
            examples: st.examples,
        });
    }
    let failed = results.iter().filter(|r| !r.passed).count();
    Ok(ValidationReport {
        data: file,
        rules_file: rules_path.display().to_string(),
        rows,
        passed: failed == 0,
        evaluated_rules: results.len(),
        failed_rules: failed,
        results,
    })
}

fn idx_seen(cols: &[String], c: &str) -> bool {
    cols.iter().any(|x| x == c)
}
