//! Type 2: expected occurrences by frequency, exceptions, deviation rate and verdict.
//!
//! Periodic controls (daily … annually) expect one occurrence in each calendar interval that overlaps the
//! period (days, 7-day weeks counted from the period's start, calendar months, quarters and years, all
//! UTC); an interval that starts before the period counts from its natural start, so a policy approved in
//! January covers a period starting in March of the same year. Continuous controls are checked per day
//! and a day without a new occurrence carries the latest state forward (within the control's lookback).
//! Per-event controls: every event in the period is the population.
//!
//! Verdict rules (Chiaro SOC 2 methodology, CC BY 4.0): no deviation → effective; a deviation rate above
//! 5 %, or the same cause in three or more exceptions (recurring), → ineffective; other deviations →
//! effective with exceptions; an empty population → not occurring.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};

use assay_catalog::Frequency;

use crate::model::{Exception, Occurrence, PeriodResult, Verdict, lookback};

pub(crate) const RULES: &str = "Chiaro SOC 2 methodology (CC BY 4.0): no deviation = effective; rate above 5% or a cause recurring 3+ times = ineffective; otherwise effective with exceptions; empty population = not occurring";

fn day(ts: Timestamp) -> Date {
    ts.to_zoned(TimeZone::UTC).date()
}

fn midnight(d: Date) -> Timestamp {
    d.to_zoned(TimeZone::UTC)
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::MIN)
}

/// The natural start of the interval containing `ts`.
fn natural_start(frequency: Frequency, period_from: Timestamp, ts: Timestamp) -> Date {
    let d = day(ts);
    match frequency {
        Frequency::Daily | Frequency::Continuous | Frequency::PerEvent => d,
        Frequency::Weekly => {
            let base = day(period_from);
            let days = (d - base).get_days();
            let weeks = days.div_euclid(7);
            base.checked_add((weeks * 7).days()).unwrap_or(d)
        }
        Frequency::Monthly => d.first_of_month(),
        Frequency::Quarterly => {
            let month = ((d.month() - 1) / 3) * 3 + 1;
            Date::new(d.year(), month, 1).unwrap_or(d)
        }
        Frequency::Annually => Date::new(d.year(), 1, 1).unwrap_or(d),
    }
}

fn next_start(frequency: Frequency, start: Date) -> Date {
    let span = match frequency {
        Frequency::Daily | Frequency::Continuous | Frequency::PerEvent => 1.day(),
        Frequency::Weekly => 7.days(),
        Frequency::Monthly => 1.month(),
        Frequency::Quarterly => 3.months(),
        Frequency::Annually => 1.year(),
    };
    start.checked_add(span).unwrap_or(Date::MAX)
}

/// Start of the first interval that overlaps the period.
pub(crate) fn first_bucket_start(frequency: Frequency, from: Timestamp) -> Timestamp {
    match frequency {
        Frequency::PerEvent => from,
        _ => midnight(natural_start(frequency, from, from)),
    }
}

/// How far back evidence is read for a period starting at `from`.
pub(crate) fn evidence_start(frequency: Frequency, from: Timestamp) -> Timestamp {
    let first = first_bucket_start(frequency, from);
    first.checked_sub(lookback(frequency)).unwrap_or(first)
}

/// The intervals `[start, end)` overlapping `[from, to]`.
fn buckets(frequency: Frequency, from: Timestamp, to: Timestamp) -> Vec<(Timestamp, Timestamp)> {
    let mut out = Vec::new();
    let mut start = natural_start(frequency, from, from);
    // Bound the loop: a hundred years of days.
    while midnight(start) <= to && out.len() < 40_000 {
        let next = next_start(frequency, start);
        out.push((midnight(start), midnight(next)));
        if next == start {
            break;
        }
        start = next;
    }
    out
}

fn fmt_day(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%d").to_string()
}

/// Assess occurrences (sorted by time) over `[from, to]`.
pub(crate) fn assess(
    frequency: Frequency,
    from: Timestamp,
    to: Timestamp,
    occurrences: &[Occurrence],
) -> PeriodResult {
    let mut exceptions = Vec::new();
    let population: u64;
    if frequency == Frequency::PerEvent {
        let events: Vec<&Occurrence> = occurrences
            .iter()
            .filter(|o| o.at >= from && o.at <= to)
            .collect();
        population = events.len() as u64;
        for o in events.iter().filter(|o| !o.ok) {
            exceptions.push(Exception {
                at: o.at,
                reason: o.reason.clone(),
                evidence: o.evidence.clone(),
                kind: "failed".to_owned(),
            });
        }
    } else {
        let list = buckets(frequency, from, to);
        population = list.len() as u64;
        let carry = SignedDuration::from_hours(24 * 7);
        for (start, end) in list {
            let mut inside: Vec<&Occurrence> = occurrences
                .iter()
                .filter(|o| o.at >= start && o.at < end && o.at <= to)
                .collect();
            if inside.is_empty() && frequency == Frequency::Continuous {
                // State carries forward: the newest earlier occurrence(s), if recent enough.
                let floor = start.checked_sub(carry).unwrap_or(start);
                if let Some(last) = occurrences
                    .iter()
                    .filter(|o| o.at < start && o.at >= floor)
                    .map(|o| o.at)
                    .max()
                {
                    inside = occurrences.iter().filter(|o| o.at == last).collect();
                }
            }
            if inside.is_empty() {
                let last_day = end
                    .checked_sub(SignedDuration::from_secs(1))
                    .unwrap_or(end)
                    .min(to);
                let reason = if fmt_day(start) == fmt_day(last_day) {
                    format!(
                        "expected a {frequency} occurrence on {}; none found",
                        fmt_day(start)
                    )
                } else {
                    format!(
                        "expected a {frequency} occurrence between {} and {}; none found",
                        fmt_day(start),
                        fmt_day(last_day)
                    )
                };
                exceptions.push(Exception {
                    at: start.max(from),
                    reason,
                    evidence: Vec::new(),
                    kind: "missed".to_owned(),
                });
                continue;
            }
            let failing: Vec<&&Occurrence> = inside.iter().filter(|o| !o.ok).collect();
            if let Some(first) = failing.first() {
                let mut evidence: Vec<u64> = failing
                    .iter()
                    .flat_map(|o| o.evidence.iter().copied())
                    .collect();
                evidence.sort_unstable();
                evidence.dedup();
                let mut reasons: Vec<&str> = failing.iter().map(|o| o.reason.as_str()).collect();
                reasons.dedup();
                exceptions.push(Exception {
                    at: first.at,
                    reason: reasons.join("; "),
                    evidence,
                    kind: "failed".to_owned(),
                });
            }
        }
    }
    let deviation_rate = if population == 0 {
        0.0
    } else {
        exceptions.len() as f64 / population as f64
    };
    let verdict = verdict(population, &exceptions, deviation_rate);
    PeriodResult {
        population,
        exceptions,
        deviation_rate,
        verdict,
        rules: RULES,
    }
}

fn verdict(population: u64, exceptions: &[Exception], rate: f64) -> Verdict {
    if population == 0 {
        return Verdict::NotOccurring;
    }
    if exceptions.is_empty() {
        return Verdict::Effective;
    }
    if rate > 0.05 {
        return Verdict::Ineffective;
    }
    // A recurring cause: the same reason (missed occurrences count as one cause) three or more times.
    let mut causes: Vec<&str> = exceptions
        .iter()
        .map(|e| {
            if e.kind == "missed" {
                "missed"
            } else {
                e.reason.as_str()
            }
        })
        .collect();
    causes.sort_unstable();
    let recurring = causes.chunk_by(|a, b| a == b).any(|group| group.len() >= 3);
    if recurring {
        Verdict::Ineffective
    } else {
        Verdict::EffectiveWithExceptions
    }
}

/// One sentence for the result line.
pub(crate) fn summary(frequency: Frequency, p: &PeriodResult) -> String {
    let what = if frequency == Frequency::PerEvent {
        "event(s)"
    } else {
        "expected occurrence(s)"
    };
    match p.verdict {
        Verdict::NotOccurring => "not occurring: no occurrence in the period".to_owned(),
        Verdict::Effective => format!(
            "{}: {} {what}, no exceptions",
            p.verdict.label(),
            p.population
        ),
        _ => format!(
            "{}: {} exception(s) in {} {what} ({:.1}% deviation rate)",
            p.verdict.label(),
            p.exceptions.len(),
            p.population,
            p.deviation_rate * 100.0
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    fn occ(at: &str, ok: bool) -> Occurrence {
        Occurrence {
            at: ts(at),
            ok,
            reason: if ok { "ok".into() } else { "bad".into() },
            evidence: vec![1],
            subject: None,
        }
    }

    #[test]
    fn daily_buckets_count_missed_and_failed_days() {
        let occ = vec![
            occ("2026-03-01T02:00:00Z", true),
            occ("2026-03-02T02:00:00Z", false),
            occ("2026-03-04T02:00:00Z", true),
        ];
        let p = assess(
            Frequency::Daily,
            ts("2026-03-01T00:00:00Z"),
            ts("2026-03-04T23:59:59Z"),
            &occ,
        );
        assert_eq!(p.population, 4);
        assert_eq!(p.exceptions.len(), 2);
        assert_eq!(p.exceptions[0].kind, "failed");
        assert_eq!(p.exceptions[1].kind, "missed");
        assert!(
            p.exceptions[1].reason.contains("2026-03-03"),
            "{}",
            p.exceptions[1].reason
        );
        assert_eq!(p.verdict, Verdict::Ineffective);
    }

    #[test]
    fn annual_interval_counts_from_its_natural_start() {
        let occ = vec![occ("2026-01-12T00:00:00Z", true)];
        let p = assess(
            Frequency::Annually,
            ts("2026-03-01T00:00:00Z"),
            ts("2026-09-01T00:00:00Z"),
            &occ,
        );
        assert_eq!(p.population, 1);
        assert_eq!(p.verdict, Verdict::Effective);
    }

    #[test]
    fn verdicts_follow_the_rules() {
        let mut occ: Vec<Occurrence> = (0..40)
            .map(|i| Occurrence {
                at: ts("2026-01-01T00:00:00Z") + SignedDuration::from_hours(i * 24),
                ok: true,
                reason: "ok".into(),
                evidence: vec![],
                subject: None,
            })
            .collect();
        let from = ts("2026-01-01T00:00:00Z");
        let to = ts("2026-02-09T23:00:00Z");
        assert_eq!(
            assess(Frequency::PerEvent, from, to, &occ).verdict,
            Verdict::Effective
        );
        occ[3].ok = false;
        let p = assess(Frequency::PerEvent, from, to, &occ);
        assert_eq!(p.verdict, Verdict::EffectiveWithExceptions);
        assert!((p.deviation_rate - 0.025).abs() < 1e-9);
        occ[9].ok = false;
        occ[20].ok = false;
        assert_eq!(
            assess(Frequency::PerEvent, from, to, &occ).verdict,
            Verdict::Ineffective
        );
        assert_eq!(
            assess(Frequency::PerEvent, from, to, &[]).verdict,
            Verdict::NotOccurring
        );
    }

    #[test]
    fn continuous_state_carries_forward() {
        let occ = vec![occ("2026-03-01T02:00:00Z", true)];
        let p = assess(
            Frequency::Continuous,
            ts("2026-03-01T00:00:00Z"),
            ts("2026-03-05T00:00:00Z"),
            &occ,
        );
        assert_eq!(p.population, 5);
        assert!(p.exceptions.is_empty(), "{:?}", p.exceptions);
    }
}
