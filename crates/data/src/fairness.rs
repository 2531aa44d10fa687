//! Group fairness of a binary classifier: per group of a sensitive attribute, the selection rate
//! P(ŷ = 1) and the true-positive rate P(ŷ = 1 | y = 1); then
//!
//! * demographic parity difference = max − min selection rate over groups,
//! * equal opportunity difference = max − min true-positive rate over groups (groups without positives
//!   are left out),
//! * disparate impact ratio = min / max selection rate (the four-fifths rule flags < 0.8).
//!
//! Predictions may be 0/1 labels or scores in [0, 1] (thresholded at 0.5).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{DataError, Result};
use crate::read::{Cell, read_rows};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Thresholds {
    pub max_parity_difference: f64,
    pub max_opportunity_difference: f64,
    pub min_impact_ratio: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Group {
    pub group: String,
    pub rows: u64,
    pub positives: u64,
    pub selection_rate: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub true_positive_rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Metric {
    pub metric: String,
    pub value: f64,
    pub threshold: f64,
    pub passed: bool,
}

/// The `fairness.report` evidence payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FairnessReport {
    pub data: String,
    pub sensitive: String,
    pub target: String,
    pub prediction: String,
    pub rows: u64,
    pub groups: Vec<Group>,
    pub metrics: Vec<Metric>,
    pub passed: bool,
}

#[derive(Default)]
struct Counts {
    rows: u64,
    selected: u64,
    positives: u64,
    true_pos: u64,
}

fn as_label(c: &Cell<'_>) -> Option<bool> {
    match c {
        Cell::Bool(b) => Some(*b),
        Cell::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Cell::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => c.as_f64().filter(|x| x.is_finite()).map(|x| x >= 0.5),
    }
}

pub fn fairness(
    path: &Path,
    sensitive: &str,
    target: &str,
    prediction: &str,
    th: &Thresholds,
) -> Result<FairnessReport> {
    let mut groups: BTreeMap<String, Counts> = BTreeMap::new();
    let mut idx: Option<(usize, usize, usize)> = None;
    let mut width = usize::MAX;
    let mut rows = 0;
    read_rows(path, &mut |ctx, cells| {
        if width != ctx.columns.len() {
            width = ctx.columns.len();
            let find = |name: &str| {
                ctx.columns
                    .iter()
                    .position(|c| c == name)
                    .ok_or_else(|| DataError::UnknownColumn {
                        column: name.into(),
                        path: ctx.file.to_owned(),
                    })
            };
            idx = Some((find(sensitive)?, find(target)?, find(prediction)?));
        }
        let Some((s, t, p)) = idx else { return Ok(()) };
        let (Some(g), Some(y), Some(yhat)) = (
            cells.get(s).and_then(Cell::to_text),
            cells.get(t).and_then(as_label),
            cells.get(p).and_then(as_label),
        ) else {
            return Ok(());
        };
        rows += 1;
        let c = groups.entry(g).or_default();
        c.rows += 1;
        c.selected += u64::from(yhat);
        c.positives += u64::from(y);
        c.true_pos += u64::from(y && yhat);
        Ok(())
    })?;
    if groups.len() < 2 {
        return Err(DataError::Invalid {
            path: path.to_owned(),
            message: format!(
                "column `{sensitive}` has {} group(s) with labelled predictions; fairness needs at least two",
                groups.len()
            ),
        });
    }
    let groups: Vec<Group> = groups
        .into_iter()
        .map(|(g, c)| Group {
            group: g,
            rows: c.rows,
            positives: c.positives,
            selection_rate: c.selected as f64 / c.rows as f64,
            true_positive_rate: (c.positives > 0).then(|| c.true_pos as f64 / c.positives as f64),
        })
        .collect();
    let spread = |xs: Vec<f64>| -> (f64, f64) {
        let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let min = xs.iter().copied().fold(f64::INFINITY, f64::min);
        (min, max)
    };
    let (smin, smax) = spread(groups.iter().map(|g| g.selection_rate).collect());
    let tprs: Vec<f64> = groups.iter().filter_map(|g| g.true_positive_rate).collect();
    let mut metrics = vec![Metric {
        metric: "demographic_parity_difference".into(),
        value: smax - smin,
        threshold: th.max_parity_difference,
        passed: smax - smin <= th.max_parity_difference,
    }];
    if tprs.len() >= 2 {
        let (tmin, tmax) = spread(tprs);
        metrics.push(Metric {
            metric: "equal_opportunity_difference".into(),
            value: tmax - tmin,
            threshold: th.max_opportunity_difference,
            passed: tmax - tmin <= th.max_opportunity_difference,
        });
    }
    let ratio = if smax > 0.0 { smin / smax } else { 1.0 };
    metrics.push(Metric {
        metric: "disparate_impact_ratio".into(),
        value: ratio,
        threshold: th.min_impact_ratio,
        passed: ratio >= th.min_impact_ratio,
    });
    Ok(FairnessReport {
        data: path.display().to_string(),
        sensitive: sensitive.into(),
        target: target.into(),
        prediction: prediction.into(),
        rows,
        passed: metrics.iter().all(|m| m.passed),
        groups,
        metrics,
    })
}
