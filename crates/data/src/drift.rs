//! Data drift between a reference and a current dataset, compatible with Evidently's defaults
//! (`DataDriftPreset`, legacy `get_stattest` registry), and model performance against the reference
//! as a baseline.
//!
//! Per column: nulls, NaN and infinities are dropped; the test is chosen from the reference row count
//! and the number of distinct values (see [`default_test`]); each test has Evidently's default threshold
//! and drift rule (`ks` drifts at p ≤ t, `chisquare` and `z` at p < t, distances at value ≥ t). A config
//! file can set the test and threshold per column. The dataset drifts when the share of drifted columns
//! reaches `drift_share` (0.5).
//!
//! One documented difference: a category present in the current data but absent from the reference has
//! an expected count of 0 in the chi-square test, which makes χ² infinite and p = 0 — such a column
//! always drifts. (Evidently leaves this case undefined.)

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{DataError, Result};
use crate::read::{
    Cell, Format, PIECE_BYTES, PieceRecords, RowCtx, data_files, format_num, parse_num_bytes,
    parse_simple_decimal, read_csv_pieces, read_file,
};
use crate::stats;

/// Evidently's dataset-level default.
pub const DEFAULT_DRIFT_SHARE: f64 = 0.5;

/// A column's type, as Evidently infers it: numbers are numerical, everything else categorical.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnKind {
    Numerical,
    Categorical,
}

/// The drift tests (Evidently's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Test {
    #[serde(rename = "ks")]
    Ks,
    #[serde(rename = "chisquare")]
    ChiSquare,
    #[serde(rename = "z")]
    Z,
    #[serde(rename = "wasserstein")]
    Wasserstein,
    #[serde(rename = "jensenshannon")]
    JensenShannon,
    #[serde(rename = "psi")]
    Psi,
    #[serde(rename = "kl_div")]
    KlDiv,
}

impl Test {
    pub fn name(self) -> &'static str {
        match self {
            Test::Ks => "ks",
            Test::ChiSquare => "chisquare",
            Test::Z => "z",
            Test::Wasserstein => "wasserstein",
            Test::JensenShannon => "jensenshannon",
            Test::Psi => "psi",
            Test::KlDiv => "kl_div",
        }
    }

    /// What the score is.
    pub fn score_name(self) -> &'static str {
        match self {
            Test::Ks | Test::ChiSquare | Test::Z => "p-value",
            Test::Wasserstein => "Wasserstein distance (normed)",
            Test::JensenShannon => "Jensen-Shannon distance",
            Test::Psi => "PSI",
            Test::KlDiv => "KL divergence",
        }
    }

    /// Evidently's default threshold.
    pub fn default_threshold(self) -> f64 {
        match self {
            Test::Ks | Test::ChiSquare | Test::Z => 0.05,
            _ => 0.1,
        }
    }

    /// Evidently's drift rule for this test.
    pub fn drifted(self, score: f64, threshold: f64) -> bool {
        match self {
            Test::Ks => score <= threshold,
            Test::ChiSquare | Test::Z => score < threshold,
            _ => score >= threshold,
        }
    }

    pub fn parse(s: &str) -> Option<Test> {
        Some(match s {
            "ks" => Test::Ks,
            "chisquare" | "chi2" => Test::ChiSquare,
            "z" => Test::Z,
            "wasserstein" => Test::Wasserstein,
            "jensenshannon" | "js" => Test::JensenShannon,
            "psi" => Test::Psi,
            "kl_div" | "kl" => Test::KlDiv,
            _ => return None,
        })
    }
}

/// Evidently's default test for a column.
pub fn default_test(kind: ColumnKind, reference_rows: u64, n_values: usize) -> Test {
    match (reference_rows <= 1000, kind) {
        (true, ColumnKind::Numerical) if n_values > 5 => Test::Ks,
        (true, _) if n_values > 2 => Test::ChiSquare,
        (true, _) => Test::Z,
        (false, ColumnKind::Numerical) if n_values > 5 => Test::Wasserstein,
        (false, _) => Test::JensenShannon,
    }
}

// ------------------------------------------------------------------------------------------- config

/// `--config` file: dataset drift share, per-column test/threshold, performance thresholds.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DriftConfig {
    pub drift_share: Option<f64>,
    #[serde(default)]
    pub columns: BTreeMap<String, ColumnOverride>,
    #[serde(default)]
    pub performance: PerformanceThresholds,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnOverride {
    pub test: Option<String>,
    pub threshold: Option<f64>,
}

/// When performance counts as degraded.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PerformanceThresholds {
    /// Largest allowed absolute drop of accuracy, precision, recall, F1 or ROC AUC.
    pub max_drop: f64,
    /// Largest allowed relative increase of MAE or RMSE.
    pub max_error_increase: f64,
}

impl Default for PerformanceThresholds {
    fn default() -> Self {
        PerformanceThresholds {
            max_drop: 0.05,
            max_error_increase: 0.10,
        }
    }
}

impl DriftConfig {
    pub fn load(path: &Path) -> Result<DriftConfig> {
        let text = std::fs::read_to_string(path).map_err(crate::error::io(path))?;
        let cfg: DriftConfig = toml::from_str(&text).map_err(|e| DataError::Config {
            path: path.to_owned(),
            message: e.to_string().trim().to_owned(),
        })?;
        for (col, o) in &cfg.columns {
            if let Some(t) = &o.test
                && Test::parse(t).is_none()
            {
                return Err(DataError::Config {
                    path: path.to_owned(),
                    message: format!(
                        "columns.{col}.test = \"{t}\" is not a test (use ks, chisquare, z, wasserstein, jensenshannon, psi or kl_div)"
                    ),
                });
            }
        }
        if let Some(s) = cfg.drift_share
            && !(0.0..=1.0).contains(&s)
        {
            return Err(DataError::Config {
                path: path.to_owned(),
                message: format!("drift_share = {s} must be between 0 and 1"),
            });
        }
        Ok(cfg)
    }
}

// --------------------------------------------------------------------------------------- collection

#[derive(Debug, Default)]
struct Side {
    nums: Vec<f64>,
    cats: Vec<u32>,
    numeric: bool,
    rows: u64,
    missing: u64,
}

/// FxHash-style hasher for the category dictionaries: one multiply per 8 bytes (the keys are a
/// column's own values, not attacker-chosen in a way that matters for a one-shot report).
#[derive(Default, Clone, Copy)]
struct FastHasher(u64);

impl std::hash::Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0xf135_7aea_2e62_a9c5;
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59))
                .wrapping_mul(K);
        }
        self.0 = h;
    }

    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(0xf135_7aea_2e62_a9c5);
    }
}

type Dict = HashMap<String, u32, std::hash::BuildHasherDefault<FastHasher>>;

#[derive(Debug)]
struct Acc {
    name: String,
    dict: Dict,
    labels: Vec<String>,
    sides: [Side; 2],
}

impl Acc {
    fn new(name: &str) -> Acc {
        let side = || Side {
            numeric: true,
            ..Side::default()
        };
        Acc {
            name: name.to_owned(),
            dict: Dict::default(),
            labels: Vec::new(),
            sides: [side(), side()],
        }
    }

    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&c) = self.dict.get(s) {
            return c;
        }
        let c = self.labels.len() as u32;
        self.labels.push(s.to_owned());
        self.dict.insert(s.to_owned(), c);
        c
    }

    fn make_categorical(&mut self, s: usize) {
        if !self.sides[s].numeric {
            return;
        }
        let nums = std::mem::take(&mut self.sides[s].nums);
        let codes: Vec<u32> = nums.iter().map(|&x| self.intern(&format_num(x))).collect();
        let side = &mut self.sides[s];
        side.cats = codes;
        side.numeric = false;
    }

    /// A CSV field (valid UTF-8): plain decimals go straight to the numbers, anything else through
    /// [`push`](Self::push), so the result is the same as pushing `Cell::Str` (or `Cell::Null` when
    /// empty).
    fn push_field(&mut self, s: usize, f: &[u8]) {
        if self.sides[s].numeric
            && let Some(x) = parse_simple_decimal(f)
        {
            let side = &mut self.sides[s];
            side.rows += 1;
            side.nums.push(x);
            return;
        }
        match std::str::from_utf8(f) {
            Ok("") | Err(_) => self.push(s, &Cell::Null),
            Ok(t) => self.push(s, &Cell::Str(t)),
        }
    }

    /// Add another accumulator's side 0 (the same column read from other pieces) to side 0.
    fn absorb(&mut self, mut part: Acc) {
        let p = std::mem::take(&mut part.sides[0]);
        let side = &mut self.sides[0];
        side.rows += p.rows;
        side.missing += p.missing;
        if p.numeric {
            if side.numeric {
                if side.nums.is_empty() {
                    side.nums = p.nums;
                } else {
                    side.nums.extend_from_slice(&p.nums);
                }
            } else {
                for x in p.nums {
                    let c = self.intern(&format_num(x));
                    self.sides[0].cats.push(c);
                }
            }
        } else {
            self.make_categorical(0);
            let remap: Vec<u32> = part.labels.iter().map(|l| self.intern(l)).collect();
            let cats = &mut self.sides[0].cats;
            cats.extend(p.cats.iter().map(|&c| remap[c as usize]));
        }
    }

    fn push(&mut self, s: usize, cell: &Cell<'_>) {
        self.sides[s].rows += 1;
        match *cell {
            Cell::Null => self.sides[s].missing += 1,
            Cell::Bool(b) => {
                self.make_categorical(s);
                let c = self.intern(if b { "true" } else { "false" });
                self.sides[s].cats.push(c);
            }
            _ => match cell.as_f64() {
                Some(x) if !x.is_finite() => self.sides[s].missing += 1,
                Some(x) if self.sides[s].numeric => self.sides[s].nums.push(x),
                Some(x) => {
                    let c = self.intern(&format_num(x));
                    self.sides[s].cats.push(c);
                }
                None => {
                    self.make_categorical(s);
                    if let Cell::Str(t) = cell {
                        let c = self.intern(t);
                        self.sides[s].cats.push(c);
                    }
                }
            },
        }
    }
}

/// Which columns to compare and how.
#[derive(Debug, Clone, Default)]
pub struct DriftOptions {
    /// Only these columns (default: every column of the reference except target and prediction).
    pub columns: Vec<String>,
    pub target: Option<String>,
    pub prediction: Option<String>,
    pub config: DriftConfig,
    /// Keep per-column histograms for the HTML page.
    pub histograms: bool,
}

struct Collected {
    rows: u64,
    columns: Vec<String>,
    accs: HashMap<String, Acc>,
    pairs: Vec<(f64, f64)>,
}

/// Which columns of one file are tracked, and into which accumulators.
struct Plan {
    /// (field index, accumulator index).
    slots: Vec<(usize, usize)>,
    /// Field indexes of the target and prediction.
    tp: (Option<usize>, Option<usize>),
}

/// The accumulators of one side, filled file by file.
struct SideReader<'o> {
    wanted: Option<&'o [String]>,
    exclude: &'o [&'o str],
    target: Option<&'o str>,
    prediction: Option<&'o str>,
    /// Block size for CSV pieces; 0 reads CSV row by row.
    block: usize,
    list: Vec<Acc>,
    index: HashMap<String, usize>,
    columns: Vec<String>,
    pairs: Vec<(f64, f64)>,
}

impl SideReader<'_> {
    fn keep(&self, c: &str) -> bool {
        match self.wanted {
            Some(w) => w.iter().any(|x| x == c),
            None => !self.exclude.contains(&c),
        }
    }

    /// Tracked fields of a header, in field order: (field index, position among the tracked ones).
    fn tracked(&self, header: &[String]) -> Vec<usize> {
        (0..header.len())
            .filter(|&i| self.keep(&header[i]))
            .collect()
    }

    /// Register a header's tracked columns (once a file has a row).
    fn plan(&mut self, header: &[String]) -> Plan {
        let mut slots = Vec::new();
        for i in self.tracked(header) {
            let c = &header[i];
            if !self.columns.contains(c) {
                self.columns.push(c.clone());
            }
            let k = *self.index.entry(c.clone()).or_insert_with(|| {
                self.list.push(Acc::new(c));
                self.list.len() - 1
            });
            slots.push((i, k));
        }
        let find = |name: Option<&str>| name.and_then(|n| header.iter().position(|c| c == n));
        Plan {
            slots,
            tp: (find(self.target), find(self.prediction)),
        }
    }

    /// One file row by row (JSONL, Parquet, and CSV the fast path gave up on).
    fn read_rows(&mut self, file: &Path) -> Result<u64> {
        let mut plan: Option<(usize, Plan)> = None;
        read_file(file, &mut |ctx: &RowCtx<'_>, cells: &[Cell<'_>]| {
            if plan.as_ref().is_none_or(|p| p.0 != ctx.columns.len()) {
                plan = Some((ctx.columns.len(), self.plan(ctx.columns)));
            }
            let Some((_, p)) = &plan else { return Ok(()) };
            for &(i, k) in &p.slots {
                self.list[k].push(0, cells.get(i).unwrap_or(&Cell::Null));
            }
            if let (Some(t), Some(q)) = p.tp
                && let (Some(y), Some(yhat)) = (
                    cells.get(t).and_then(Cell::as_f64),
                    cells.get(q).and_then(Cell::as_f64),
                )
                && y.is_finite()
                && yhat.is_finite()
            {
                self.pairs.push((y, yhat));
            }
            Ok(())
        })
    }

    /// One CSV file in parallel pieces; `None` when the strict reader must read it instead.
    fn read_csv_parallel(&mut self, file: &Path) -> Result<Option<u64>> {
        struct Part {
            accs: Vec<Acc>,
            fields: Vec<usize>,
            tp: (Option<usize>, Option<usize>),
            ncols: usize,
            rows: u64,
            pairs: Vec<(usize, Vec<(f64, f64)>)>,
        }
        let this = &*self;
        let make = |header: &[String]| {
            let fields = this.tracked(header);
            let find = |name: Option<&str>| name.and_then(|n| header.iter().position(|c| c == n));
            Part {
                accs: fields.iter().map(|&i| Acc::new(&header[i])).collect(),
                fields,
                tp: (find(this.target), find(this.prediction)),
                ncols: header.len(),
                rows: 0,
                pairs: Vec::new(),
            }
        };
        let work = |p: &mut Part, seq: usize, piece: &[u8]| {
            let mut rec = PieceRecords::new(piece);
            let mut pairs = Vec::new();
            loop {
                match rec.advance() {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(()) => return false,
                }
                if rec.len() != p.ncols {
                    return false;
                }
                p.rows += 1;
                for (acc, &i) in p.accs.iter_mut().zip(&p.fields) {
                    acc.push_field(0, rec.field(i));
                }
                if let (Some(t), Some(q)) = p.tp
                    && let (Some(y), Some(yhat)) =
                        (parse_num_bytes(rec.field(t)), parse_num_bytes(rec.field(q)))
                    && y.is_finite()
                    && yhat.is_finite()
                {
                    pairs.push((y, yhat));
                }
            }
            if !pairs.is_empty() {
                p.pairs.push((seq, pairs));
            }
            true
        };
        let Some((header, parts)) =
            read_csv_pieces(file, available_threads(), self.block, make, work)?
        else {
            return Ok(None);
        };
        let rows: u64 = parts.iter().map(|p| p.rows).sum();
        if rows == 0 {
            return Ok(Some(0));
        }
        let plan = self.plan(&header);
        let mut pairs = Vec::new();
        for part in parts {
            for ((_, k), acc) in plan.slots.iter().zip(part.accs) {
                self.list[*k].absorb(acc);
            }
            pairs.extend(part.pairs);
        }
        pairs.sort_by_key(|p| p.0);
        self.pairs.extend(pairs.into_iter().flat_map(|p| p.1));
        Ok(Some(rows))
    }
}

fn collect_side(
    path: &Path,
    wanted: Option<&[String]>,
    exclude: &[&str],
    target: Option<&str>,
    prediction: Option<&str>,
    block: usize,
) -> Result<Collected> {
    let mut side = SideReader {
        wanted,
        exclude,
        target,
        prediction,
        block,
        list: Vec::new(),
        index: HashMap::new(),
        columns: Vec::new(),
        pairs: Vec::new(),
    };
    let mut rows = 0;
    for file in data_files(path)? {
        let fast = match Format::of(&file) {
            Some(Format::Csv) if block > 0 => side.read_csv_parallel(&file)?,
            _ => None,
        };
        rows += match fast {
            Some(n) => n,
            None => side.read_rows(&file)?,
        };
    }
    let accs = side.list.into_iter().map(|a| (a.name.clone(), a)).collect();
    Ok(Collected {
        rows,
        columns: side.columns,
        accs,
        pairs: side.pairs,
    })
}

// ------------------------------------------------------------------------------------------ results

/// Bars for the HTML page: shares of each side per bin or category.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Histogram {
    pub labels: Vec<String>,
    pub reference: Vec<f64>,
    pub current: Vec<f64>,
}

/// One column's result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ColumnDrift {
    pub column: String,
    pub kind: ColumnKind,
    pub test: Test,
    /// The test's score (a p-value or a distance, see `score_name`).
    pub score: f64,
    pub score_name: String,
    pub threshold: f64,
    pub drifted: bool,
    /// True when the test or threshold came from the config file.
    pub overridden: bool,
    pub reference_values: u64,
    pub current_values: u64,
    pub reference_missing: u64,
    pub current_missing: u64,
    /// Distinct values in reference ∪ current.
    pub distinct_values: usize,
    /// KS only: the D statistic and which p-value regime was used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ks_statistic: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ks_method: Option<stats::KsMethod>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub histogram: Option<Histogram>,
}

/// Performance of the model on each dataset.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Performance {
    pub task: String,
    pub target: String,
    pub prediction: String,
    pub metrics: Vec<MetricComparison>,
    pub degraded: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetricComparison {
    pub metric: String,
    pub reference: f64,
    pub current: f64,
    /// Allowed change: an absolute drop (scores) or a relative increase (errors).
    pub allowed: f64,
    pub degraded: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatasetSummary {
    pub path: String,
    pub rows: u64,
}

/// The whole drift report (also the `drift.report` evidence payload, without histograms).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DriftReport {
    pub reference: DatasetSummary,
    pub current: DatasetSummary,
    pub columns: Vec<ColumnDrift>,
    pub drift_share: f64,
    pub drifted_columns: usize,
    pub share_of_drifted_columns: f64,
    pub dataset_drift: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub performance: Option<Performance>,
}

impl DriftReport {
    /// Drift detected or performance degraded.
    pub fn failed(&self) -> bool {
        self.dataset_drift || self.performance.as_ref().is_some_and(|p| p.degraded)
    }
}

/// Reference shares per bin, and whether Sturges bins were used.
#[derive(Debug, Clone)]
pub struct Binned {
    pub shares: Vec<f64>,
    pub sturges: bool,
}

/// Evidently's `get_binned_data` for numerical samples (sorted): Sturges bins over the combined sample
/// when the reference has more than 20 distinct values, else one bin per distinct value.
pub fn binned_shares(reference: &[f64], current: &[f64], numerical: bool) -> (Binned, Vec<f64>) {
    let (nr, nc) = (reference.len() as f64, current.len() as f64);
    if numerical && distinct_sorted(reference) > 20 {
        let min = reference[0].min(current[0]);
        let max = reference[reference.len() - 1].max(current[current.len() - 1]);
        let edges = stats::sturges_edges(min, max, reference.len() + current.len());
        let r = stats::histogram(reference, &edges)
            .into_iter()
            .map(|c| c / nr)
            .collect();
        let c = stats::histogram(current, &edges)
            .into_iter()
            .map(|c| c / nc)
            .collect();
        return (
            Binned {
                shares: r,
                sturges: true,
            },
            c,
        );
    }
    let (_, rc, cc) = value_counts(reference, current);
    (
        Binned {
            shares: rc.iter().map(|c| c / nr).collect(),
            sturges: false,
        },
        cc.iter().map(|c| c / nc).collect(),
    )
}

fn distinct_sorted(x: &[f64]) -> usize {
    if x.is_empty() {
        return 0;
    }
    1 + x.windows(2).filter(|w| w[0] != w[1]).count()
}

/// Distinct values of two sorted samples with their counts on each side.
fn value_counts(a: &[f64], b: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (mut keys, mut ca, mut cb) = (Vec::new(), Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let v = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        let (si, sj) = (i, j);
        while i < a.len() && a[i] == v {
            i += 1;
        }
        while j < b.len() && b[j] == v {
            j += 1;
        }
        keys.push(v);
        ca.push((i - si) as f64);
        cb.push((j - sj) as f64);
    }
    (keys, ca, cb)
}

/// A column's values, ready for tests.
enum Values {
    Num {
        r: Vec<f64>,
        c: Vec<f64>,
    },
    Cat {
        labels: Vec<String>,
        r: Vec<f64>,
        c: Vec<f64>,
    },
}

impl Values {
    /// Counts per distinct value, keys in sorted order (numbers numerically, text lexically).
    fn counts(&self) -> (Vec<String>, Vec<f64>, Vec<f64>) {
        match self {
            Values::Num { r, c } => {
                let (k, a, b) = value_counts(r, c);
                (k.into_iter().map(format_num).collect(), a, b)
            }
            Values::Cat { labels, r, c } => (labels.clone(), r.clone(), c.clone()),
        }
    }
}

fn run_test(test: Test, v: &Values) -> (f64, Option<stats::Ks>) {
    match (test, v) {
        (Test::Ks, Values::Num { r, c }) => {
            let ks = stats::ks_2samp(r, c);
            (ks.pvalue, Some(ks))
        }
        (Test::Wasserstein, Values::Num { r, c }) => (
            stats::wasserstein(r, c) / stats::std_pop(r).max(0.001),
            None,
        ),
        (Test::ChiSquare, _) => {
            let (_, rc, cc) = v.counts();
            let (nr, nc): (f64, f64) = (rc.iter().sum(), cc.iter().sum());
            let exp: Vec<f64> = rc.iter().map(|x| x * nc / nr).collect();
            (stats::chisquare(&cc, &exp).1, None)
        }
        (Test::Z, _) => {
            let (keys, rc, cc) = v.counts();
            if keys.len() <= 1 {
                return (1.0, None);
            }
            let (nr, nc): (f64, f64) = (rc.iter().sum(), cc.iter().sum());
            (stats::z_test(nr - rc[0], nr, nc - cc[0], nc), None)
        }
        (Test::JensenShannon | Test::Psi | Test::KlDiv, _) => {
            let (mut r, mut c) = match v {
                Values::Num { r, c } => {
                    let (b, c) = binned_shares(r, c, true);
                    (b.shares, c)
                }
                Values::Cat { r, c, .. } => {
                    let (nr, nc): (f64, f64) = (r.iter().sum(), c.iter().sum());
                    (
                        r.iter().map(|x| x / nr).collect(),
                        c.iter().map(|x| x / nc).collect(),
                    )
                }
            };
            if test == Test::JensenShannon {
                return (stats::jensen_shannon(&r, &c), None);
            }
            stats::zero_fill(&mut r);
            stats::zero_fill(&mut c);
            if test == Test::Psi {
                (stats::psi(&r, &c), None)
            } else {
                (stats::entropy(&r, &c), None)
            }
        }
        // KS and Wasserstein need numbers: a categorical column asked for them falls back to chi-square.
        (Test::Ks | Test::Wasserstein, Values::Cat { .. }) => run_test(Test::ChiSquare, v),
    }
}

fn histogram_of(v: &Values) -> Histogram {
    match v {
        Values::Num { r, c } => {
            let min = r[0].min(c[0]);
            let max = r[r.len() - 1].max(c[c.len() - 1]);
            let k = 20usize;
            let width = if max > min {
                (max - min) / k as f64
            } else {
                1.0
            };
            let bin = |x: f64| (((x - min) / width) as usize).min(k - 1);
            let mut hr = vec![0.0; k];
            let mut hc = vec![0.0; k];
            for &x in r {
                hr[bin(x)] += 1.0;
            }
            for &x in c {
                hc[bin(x)] += 1.0;
            }
            let nr = r.len() as f64;
            let nc = c.len() as f64;
            Histogram {
                labels: (0..k)
                    .map(|i| format!("{:.4}", min + width * i as f64))
                    .collect(),
                reference: hr.iter().map(|x| x / nr).collect(),
                current: hc.iter().map(|x| x / nc).collect(),
            }
        }
        Values::Cat { labels, r, c } => {
            let (nr, nc): (f64, f64) = (r.iter().sum(), c.iter().sum());
            let mut idx: Vec<usize> = (0..labels.len()).collect();
            idx.sort_by(|&a, &b| (r[b] + c[b]).total_cmp(&(r[a] + c[a])));
            idx.truncate(15);
            Histogram {
                labels: idx.iter().map(|&i| labels[i].clone()).collect(),
                reference: idx.iter().map(|&i| r[i] / nr).collect(),
                current: idx.iter().map(|&i| c[i] / nc).collect(),
            }
        }
    }
}

/// Compare `current` against `reference`.
pub fn drift(reference: &Path, current: &Path, opts: &DriftOptions) -> Result<DriftReport> {
    drift_with(reference, current, opts, PIECE_BYTES)
}

/// [`drift`] reading CSV in pieces of `block` bytes (0: row by row with the strict reader).
fn drift_with(
    reference: &Path,
    current: &Path,
    opts: &DriftOptions,
    block: usize,
) -> Result<DriftReport> {
    let wanted = (!opts.columns.is_empty()).then_some(opts.columns.as_slice());
    let mut exclude: Vec<&str> = Vec::new();
    exclude.extend(opts.target.as_deref());
    exclude.extend(opts.prediction.as_deref());
    let (t, p) = (opts.target.as_deref(), opts.prediction.as_deref());
    let (ref_res, cur_res) = std::thread::scope(|s| {
        let h = s.spawn(|| collect_side(current, wanted, &exclude, t, p, block));
        let r = collect_side(reference, wanted, &exclude, t, p, block);
        (r, h.join())
    });
    let mut rc = ref_res?;
    let cc = cur_res.map_err(|_| DataError::Invalid {
        path: current.to_owned(),
        message: "the reader thread panicked".into(),
    })??;
    for (side, path) in [(&rc, reference), (&cc, current)] {
        if side.rows == 0 {
            return Err(DataError::Invalid {
                path: path.to_owned(),
                message: "no data rows to compare".into(),
            });
        }
    }
    for w in wanted.unwrap_or(&[]) {
        if !rc.columns.contains(w) {
            return Err(DataError::UnknownColumn {
                column: w.clone(),
                path: reference.to_owned(),
            });
        }
    }
    for name in [&opts.target, &opts.prediction].into_iter().flatten() {
        if opts.target.is_some() && opts.prediction.is_some() && rc.pairs.is_empty() {
            return Err(DataError::UnknownColumn {
                column: name.clone(),
                path: reference.to_owned(),
            });
        }
    }
    // Merge the current side into the reference accumulators (one dictionary per column).
    let mut cur_accs = cc.accs;
    let mut accs: Vec<Acc> = Vec::new();
    for name in &rc.columns {
        let Some(mut acc) = rc.accs.remove(name) else {
            continue;
        };
        let Some(cur) = cur_accs.remove(name) else {
            return Err(DataError::UnknownColumn {
                column: name.clone(),
                path: current.to_owned(),
            });
        };
        let mut cside = cur.sides.into_iter().next().unwrap_or_default();
        if !cside.numeric {
            let remap: Vec<u32> = cur.labels.iter().map(|l| acc.intern(l)).collect();
            for c in cside.cats.iter_mut() {
                *c = remap[*c as usize];
            }
        }
        acc.sides[1] = cside;
        if !acc.sides[0].numeric || !acc.sides[1].numeric {
            acc.make_categorical(0);
            acc.make_categorical(1);
        }
        accs.push(acc);
    }
    let share_threshold = opts.config.drift_share.unwrap_or(DEFAULT_DRIFT_SHARE);
    // Columns go to the threads one at a time (a shared counter), so cheap categorical columns do not
    // leave a thread idle while another still sorts numbers.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<Acc>>> = accs
        .into_iter()
        .map(|a| std::sync::Mutex::new(Some(a)))
        .collect();
    let mut results: Vec<(usize, Result<ColumnDrift>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..available_threads().min(slots.len()).max(1))
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(slot) = slots.get(i) else { break };
                        let acc = slot.lock().ok().and_then(|mut a| a.take());
                        if let Some(mut acc) = acc {
                            out.push((i, column_drift(&mut acc, opts)));
                        }
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    if results.len() != slots.len() {
        return Err(DataError::Invalid {
            path: reference.to_owned(),
            message: "a drift worker thread panicked".into(),
        });
    }
    results.sort_by_key(|r| r.0);
    let results = results.into_iter().map(|r| r.1);
    let columns = results.into_iter().collect::<Result<Vec<_>>>()?;
    let drifted = columns.iter().filter(|c| c.drifted).count();
    let share = if columns.is_empty() {
        0.0
    } else {
        drifted as f64 / columns.len() as f64
    };
    let performance = match (&opts.target, &opts.prediction) {
        (Some(t), Some(p)) => Some(performance(
            t,
            p,
            &rc.pairs,
            &cc.pairs,
            &opts.config.performance,
        )),
        _ => None,
    };
    Ok(DriftReport {
        reference: DatasetSummary {
            path: reference.display().to_string(),
            rows: rc.rows,
        },
        current: DatasetSummary {
            path: current.display().to_string(),
            rows: cc.rows,
        },
        drift_share: share_threshold,
        drifted_columns: drifted,
        share_of_drifted_columns: share,
        dataset_drift: !columns.is_empty() && share >= share_threshold,
        columns,
        performance,
    })
}

fn available_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn column_drift(acc: &mut Acc, opts: &DriftOptions) -> Result<ColumnDrift> {
    let numeric = acc.sides[0].numeric;
    let [r, c] = &mut acc.sides;
    for (side, name) in [(&*r, "reference"), (&*c, "current")] {
        let n = if numeric {
            side.nums.len()
        } else {
            side.cats.len()
        };
        if n == 0 {
            return Err(DataError::EmptyColumn {
                column: acc.name.clone(),
                side: name.into(),
            });
        }
    }
    let values = if numeric {
        stats::sort_floats(&mut r.nums);
        stats::sort_floats(&mut c.nums);
        Values::Num {
            r: std::mem::take(&mut r.nums),
            c: std::mem::take(&mut c.nums),
        }
    } else {
        let k = acc.labels.len();
        let mut rc = vec![0.0; k];
        let mut cc = vec![0.0; k];
        for &x in &r.cats {
            rc[x as usize] += 1.0;
        }
        for &x in &c.cats {
            cc[x as usize] += 1.0;
        }
        // Keys in sorted order, as Evidently's z-test sorts them.
        let mut idx: Vec<usize> = (0..k).filter(|&i| rc[i] + cc[i] > 0.0).collect();
        idx.sort_by(|&a, &b| acc.labels[a].cmp(&acc.labels[b]));
        Values::Cat {
            labels: idx.iter().map(|&i| acc.labels[i].clone()).collect(),
            r: idx.iter().map(|&i| rc[i]).collect(),
            c: idx.iter().map(|&i| cc[i]).collect(),
        }
    };
    let (ref_n, cur_n) = match &values {
        Values::Num { r, c } => (r.len() as u64, c.len() as u64),
        Values::Cat { r, c, .. } => (r.iter().sum::<f64>() as u64, c.iter().sum::<f64>() as u64),
    };
    let distinct = match &values {
        Values::Num { r, c } => stats::distinct_union(r, c),
        Values::Cat { labels, .. } => labels.len(),
    };
    let kind = if numeric {
        ColumnKind::Numerical
    } else {
        ColumnKind::Categorical
    };
    let o = opts.config.columns.get(&acc.name);
    let test = o
        .and_then(|o| o.test.as_deref())
        .and_then(Test::parse)
        .unwrap_or_else(|| default_test(kind, acc.sides[0].rows, distinct));
    let threshold = o
        .and_then(|o| o.threshold)
        .unwrap_or(test.default_threshold());
    let (score, ks) = run_test(test, &values);
    Ok(ColumnDrift {
        column: acc.name.clone(),
        kind,
        test,
        score,
        score_name: test.score_name().into(),
        threshold,
        drifted: test.drifted(score, threshold),
        overridden: o.is_some(),
        reference_values: ref_n,
        current_values: cur_n,
        reference_missing: acc.sides[0].missing,
        current_missing: acc.sides[1].missing,
        distinct_values: distinct,
        ks_statistic: ks.map(|k| k.statistic),
        ks_method: ks.map(|k| k.method),
        histogram: opts.histograms.then(|| histogram_of(&values)),
    })
}

// -------------------------------------------------------------------------------------- performance

fn is_binary(xs: impl Iterator<Item = f64>) -> bool {
    let mut ok = true;
    for x in xs {
        ok &= x == 0.0 || x == 1.0;
    }
    ok
}

/// Area under the ROC curve by ranks (ties averaged).
pub fn roc_auc(pairs: &[(f64, f64)]) -> f64 {
    let mut v: Vec<(f64, bool)> = pairs.iter().map(|&(y, s)| (s, y == 1.0)).collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut rank_sum, mut pos) = (0.0, 0.0);
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j < v.len() && v[j].0 == v[i].0 {
            j += 1;
        }
        let avg = (i + j + 1) as f64 / 2.0;
        for x in &v[i..j] {
            if x.1 {
                rank_sum += avg;
                pos += 1.0;
            }
        }
        i = j;
    }
    let neg = v.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return f64::NAN;
    }
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

fn classification(pairs: &[(f64, f64)], scores: bool) -> Vec<(String, f64)> {
    let (mut tp, mut fp, mut tn, mut fneg) = (0.0, 0.0, 0.0, 0.0);
    for &(y, s) in pairs {
        let yhat = if scores { s >= 0.5 } else { s == 1.0 };
        match (y == 1.0, yhat) {
            (true, true) => tp += 1.0,
            (false, true) => fp += 1.0,
            (false, false) => tn += 1.0,
            (true, false) => fneg += 1.0,
        }
    }
    let div = |a: f64, b: f64| if b == 0.0 { 0.0 } else { a / b };
    let precision = div(tp, tp + fp);
    let recall = div(tp, tp + fneg);
    vec![
        ("accuracy".into(), div(tp + tn, tp + tn + fp + fneg)),
        ("precision".into(), precision),
        ("recall".into(), recall),
        (
            "f1".into(),
            div(2.0 * precision * recall, precision + recall),
        ),
        ("roc_auc".into(), roc_auc(pairs)),
    ]
}

fn regression(pairs: &[(f64, f64)]) -> Vec<(String, f64)> {
    let n = pairs.len() as f64;
    let mae = pairs.iter().map(|(y, p)| (y - p).abs()).sum::<f64>() / n;
    let mse = pairs.iter().map(|(y, p)| (y - p) * (y - p)).sum::<f64>() / n;
    vec![("mae".into(), mae), ("rmse".into(), mse.sqrt())]
}

fn performance(
    target: &str,
    prediction: &str,
    reference: &[(f64, f64)],
    current: &[(f64, f64)],
    th: &PerformanceThresholds,
) -> Performance {
    let all = || reference.iter().chain(current);
    let binary_target = is_binary(all().map(|p| p.0));
    let label_pred = is_binary(all().map(|p| p.1));
    let score_pred = all().all(|p| (0.0..=1.0).contains(&p.1));
    let (task, mr, mc) = if binary_target && (label_pred || score_pred) {
        (
            "binary_classification",
            classification(reference, !label_pred),
            classification(current, !label_pred),
        )
    } else {
        ("regression", regression(reference), regression(current))
    };
    let mut metrics = Vec::new();
    for ((name, r), (_, c)) in mr.into_iter().zip(mc) {
        let error = name == "mae" || name == "rmse";
        let (allowed, degraded) = if error {
            (th.max_error_increase, c > r * (1.0 + th.max_error_increase))
        } else {
            (th.max_drop, r - c > th.max_drop)
        };
        metrics.push(MetricComparison {
            metric: name,
            reference: r,
            current: c,
            allowed,
            degraded: degraded && r.is_finite() && c.is_finite(),
        });
    }
    Performance {
        task: task.into(),
        target: target.into(),
        prediction: prediction.into(),
        degraded: metrics.iter().any(|m| m.degraded),
        metrics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn report(dir: &Path, reference: &str, current: &str, block: usize) -> String {
        let (r, c) = (dir.join("ref.csv"), dir.join("cur.csv"));
        std::fs::write(&r, reference).expect("write");
        std::fs::write(&c, current).expect("write");
        let opts = DriftOptions {
            target: Some("y".into()),
            prediction: Some("p".into()),
            histograms: true,
            ..DriftOptions::default()
        };
        match drift_with(&r, &c, &opts, block) {
            Ok(rep) => serde_json::to_string(&rep).expect("json"),
            Err(e) => format!("error: {e}"),
        }
    }

    fn field() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => (-2000i32..2000).prop_map(|x| format!("{}", f64::from(x) / 100.0)),
            1 => Just(String::new()),
            1 => prop::sample::select(vec!["a", "b", "\"c,d\"", "\"e\"\"f\"", "\"g\nh\"", "1e3", " 7 ", "nan", "inf"])
                .prop_map(str::to_owned),
            1 => prop::sample::select(vec!["\"x\"y", "q\"r", "\"open", "s\rt"]).prop_map(str::to_owned),
        ]
    }

    fn table(bad: bool) -> impl Strategy<Value = String> {
        let row = prop::collection::vec(field(), 4).prop_filter("well formed", move |r| {
            bad || !r.iter().any(|f| {
                f.contains('\r') || f.starts_with("\"x") || f.starts_with('q') || f == "\"open"
            })
        });
        (
            prop::collection::vec(row, 1..60),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(rows, crlf, blank)| {
                let nl = if crlf { "\r\n" } else { "\n" };
                let mut s = format!("a,y,p,b{nl}");
                for (i, r) in rows.iter().enumerate() {
                    s.push_str(&r.join(","));
                    s.push_str(nl);
                    if blank && i % 7 == 3 {
                        s.push_str(nl);
                    }
                }
                s
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Reading CSV in parallel pieces gives the same report (or the same error) as the strict
        /// row-by-row reader, whatever the piece size.
        #[test]
        fn pieces_match_the_strict_reader(r in table(false), c in table(true), block in 1usize..200) {
            let dir = tempfile::tempdir().expect("tempdir");
            let strict = report(dir.path(), &r, &c, 0);
            prop_assert_eq!(report(dir.path(), &r, &c, block), strict.clone());
            prop_assert_eq!(report(dir.path(), &r, &c, PIECE_BYTES), strict);
        }
    }

    #[test]
    fn a_text_value_in_one_piece_makes_the_column_categorical_everywhere() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut r = String::from("a,y,p,b\n");
        for i in 0..200 {
            r.push_str(&format!("{}.50,1,1,x\n", i % 9));
        }
        let mut c = r.clone();
        c.push_str("word,1,1,x\n");
        let strict = report(dir.path(), &r, &c, 0);
        assert!(strict.contains("\"categorical\""), "{strict}");
        assert_eq!(report(dir.path(), &r, &c, 32), strict);
    }

    #[test]
    fn clean_csv_takes_the_parallel_path_and_faults_the_strict_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.csv");
        let mut side = SideReader {
            wanted: None,
            exclude: &[],
            target: None,
            prediction: None,
            block: 16,
            list: Vec::new(),
            index: HashMap::new(),
            columns: Vec::new(),
            pairs: Vec::new(),
        };
        std::fs::write(&path, "a,b\n1.5,x\n2,\"y,z\"\n\n3,w\r\n4,v").expect("write");
        assert_eq!(side.read_csv_parallel(&path).expect("read"), Some(4));
        assert_eq!(side.columns, ["a", "b"]);
        let mut nums = side.list[0].sides[0].nums.clone();
        nums.sort_by(f64::total_cmp);
        assert_eq!(nums, [1.5, 2.0, 3.0, 4.0]);
        assert_eq!(side.list[1].labels.len(), 4);
        std::fs::write(&path, "a,b\n1,x\n2,y\"\n").expect("write");
        assert_eq!(side.read_csv_parallel(&path).expect("read"), None);
        std::fs::write(&path, "a,b\n1,x\n2\n").expect("write");
        assert_eq!(side.read_csv_parallel(&path).expect("read"), None);
    }
}
