//! Sampling a control's population of occurrences for an auditor: a frequency-to-size table (default:
//! the Chiaro SOC 2 methodology, CC BY 4.0 — not an AICPA table), the zero-deviation attribute formula,
//! and a reproducible draw from a recorded seed.

use serde::Serialize;

use assay_catalog::Frequency;

use crate::EngineError;
use crate::model::Occurrence;

/// A frequency-to-sample-size table and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SampleTable {
    /// Chiaro SOC 2 methodology (CC BY 4.0), fixed values: annual 1, quarterly 2, monthly 2, weekly 5,
    /// daily 25, many times a day 40; per event: all if ≤ 10, 8 for 11–50, 15 for 51–250, 25 above.
    Chiaro,
    /// KirkpatrickPrice convention: 10 % of the population, at least 3, at most 30.
    TenPercent,
}

impl SampleTable {
    pub fn citation(self) -> &'static str {
        match self {
            SampleTable::Chiaro => {
                "Chiaro SOC 2 methodology (CC BY 4.0), practitioner table by control frequency; not an AICPA table"
            }
            SampleTable::TenPercent => {
                "KirkpatrickPrice convention (SOC 1 context): 10% of the population, minimum 3, maximum 30"
            }
        }
    }

    pub fn parse(text: &str) -> Option<SampleTable> {
        match text {
            "chiaro" => Some(SampleTable::Chiaro),
            "ten-percent" => Some(SampleTable::TenPercent),
            _ => None,
        }
    }

    /// The sample size for a population, never more than the population (then every item is tested).
    pub fn size(self, frequency: Frequency, population: usize) -> usize {
        let n = match self {
            SampleTable::Chiaro => match frequency {
                Frequency::Annually => 1,
                Frequency::Quarterly => 2,
                Frequency::Monthly => 2,
                Frequency::Weekly => 5,
                Frequency::Daily => 25,
                Frequency::Continuous => 40,
                Frequency::PerEvent => match population {
                    0..=10 => population,
                    11..=50 => 8,
                    51..=250 => 15,
                    _ => 25,
                },
            },
            SampleTable::TenPercent => population.div_ceil(10).clamp(3, 30),
        };
        n.min(population)
    }
}

/// Zero-expected-deviation attribute sample size: n = ceil(ln β / ln(1 − TDR)).
pub fn zero_deviation_sample_size(beta: f64, tdr: f64) -> Result<u64, EngineError> {
    if !(beta > 0.0 && beta < 1.0 && tdr > 0.0 && tdr < 1.0) {
        return Err(EngineError::Sample {
            message: format!(
                "risk of overreliance ({beta}) and tolerable deviation rate ({tdr}) must both be between 0 and 1"
            ),
        });
    }
    let n = (beta.ln() / (1.0 - tdr).ln()).ceil();
    Ok(n as u64)
}

/// The population and the drawn sample.
#[derive(Debug, Clone, Serialize)]
pub struct Population {
    pub control: String,
    pub frequency: String,
    pub seed: u64,
    pub table: String,
    pub population: usize,
    pub sample_size: usize,
    /// Whole population tested because it is no larger than the sample size.
    pub whole_population: bool,
    pub items: Vec<Occurrence>,
}

/// SplitMix64: small, fast, and the same on every platform, so a seed reproduces a selection.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0), without modulo bias.
    fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let x = self.next();
            if x < zone {
                return x % n;
            }
        }
    }
}

/// Draw `size` items from `population` (sorted by time first) with `seed`; the sample is returned in
/// time order. Same population and seed → same items.
pub fn draw_sample(mut population: Vec<Occurrence>, size: usize, seed: u64) -> Vec<Occurrence> {
    population.sort_by(|a, b| a.at.cmp(&b.at).then(a.reason.cmp(&b.reason)));
    if size >= population.len() {
        return population;
    }
    let mut rng = SplitMix64(seed);
    let mut idx: Vec<usize> = (0..population.len()).collect();
    for i in 0..size {
        let j = i + rng.below((idx.len() - i) as u64) as usize;
        idx.swap(i, j);
    }
    let mut chosen: Vec<usize> = idx[..size].to_vec();
    chosen.sort_unstable();
    chosen.into_iter().map(|i| population[i].clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::{SignedDuration, Timestamp};

    fn pop(n: i64) -> Vec<Occurrence> {
        let t0: Timestamp = "2026-01-01T00:00:00Z".parse().expect("ts");
        (0..n)
            .map(|i| Occurrence {
                at: t0 + SignedDuration::from_hours(i),
                ok: true,
                reason: format!("event {i}"),
                evidence: vec![i as u64],
                subject: None,
            })
            .collect()
    }

    #[test]
    fn same_seed_same_items_other_seed_other_items() {
        let a = draw_sample(pop(300), 25, 42);
        let b = draw_sample(pop(300), 25, 42);
        let c = draw_sample(pop(300), 25, 43);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 25);
        assert!(
            a.windows(2).all(|w| w[0].at < w[1].at),
            "time order, no repeats"
        );
    }

    #[test]
    fn small_population_is_tested_whole() {
        assert_eq!(SampleTable::Chiaro.size(Frequency::PerEvent, 7), 7);
        assert_eq!(draw_sample(pop(7), 7, 1).len(), 7);
        assert_eq!(SampleTable::Chiaro.size(Frequency::PerEvent, 40), 8);
        assert_eq!(SampleTable::Chiaro.size(Frequency::Daily, 365), 25);
        assert_eq!(SampleTable::Chiaro.size(Frequency::Quarterly, 1), 1);
        assert_eq!(SampleTable::TenPercent.size(Frequency::PerEvent, 1000), 30);
    }

    #[test]
    fn attribute_formula_matches_the_reference_table() {
        assert_eq!(zero_deviation_sample_size(0.05, 0.05).expect("ok"), 59);
        assert_eq!(zero_deviation_sample_size(0.05, 0.10).expect("ok"), 29);
        assert_eq!(zero_deviation_sample_size(0.10, 0.05).expect("ok"), 45);
        assert_eq!(zero_deviation_sample_size(0.01, 0.02).expect("ok"), 228);
        assert!(zero_deviation_sample_size(0.0, 0.05).is_err());
        assert!(zero_deviation_sample_size(0.05, 1.0).is_err());
    }
}
