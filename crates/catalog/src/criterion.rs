//! Criterion identifiers and categories.
//!
//! [`CriterionId`] can only hold one of the 61 real Trust Services Criteria IDs. Parsing rejects the
//! fakes seen in other tools and articles (CC6.9, P1.2, PP1.1, A1.4, P1.0 …) with a hint that says
//! what the caller probably meant.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::CatalogError;

/// The five Trust Services Categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// The common criteria (CC1–CC9). Part of every SOC 2 examination.
    Security,
    Availability,
    ProcessingIntegrity,
    Confidentiality,
    Privacy,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Category::Security,
        Category::Availability,
        Category::ProcessingIntegrity,
        Category::Confidentiality,
        Category::Privacy,
    ];

    /// The key used in `assay.toml` and JSON output.
    pub fn key(self) -> &'static str {
        match self {
            Category::Security => "security",
            Category::Availability => "availability",
            Category::ProcessingIntegrity => "processing_integrity",
            Category::Confidentiality => "confidentiality",
            Category::Privacy => "privacy",
        }
    }

    /// The display name.
    pub fn name(self) -> &'static str {
        match self {
            Category::Security => "Security",
            Category::Availability => "Availability",
            Category::ProcessingIntegrity => "Processing Integrity",
            Category::Confidentiality => "Confidentiality",
            Category::Privacy => "Privacy",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl FromStr for Category {
    type Err = CatalogError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        match norm.as_str() {
            "security" | "cc" | "common" | "common_criteria" => Ok(Category::Security),
            "availability" | "a" => Ok(Category::Availability),
            "processing_integrity" | "pi" => Ok(Category::ProcessingIntegrity),
            "confidentiality" | "c" => Ok(Category::Confidentiality),
            "privacy" | "p" => Ok(Category::Privacy),
            _ => Err(CatalogError::UnknownCategory {
                input: s.to_owned(),
            }),
        }
    }
}

/// Every real criterion ID, in the order of the AICPA document, with its series.
const ALL: [(&str, &str); 61] = [
    ("CC1.1", "CC1"),
    ("CC1.2", "CC1"),
    ("CC1.3", "CC1"),
    ("CC1.4", "CC1"),
    ("CC1.5", "CC1"),
    ("CC2.1", "CC2"),
    ("CC2.2", "CC2"),
    ("CC2.3", "CC2"),
    ("CC3.1", "CC3"),
    ("CC3.2", "CC3"),
    ("CC3.3", "CC3"),
    ("CC3.4", "CC3"),
    ("CC4.1", "CC4"),
    ("CC4.2", "CC4"),
    ("CC5.1", "CC5"),
    ("CC5.2", "CC5"),
    ("CC5.3", "CC5"),
    ("CC6.1", "CC6"),
    ("CC6.2", "CC6"),
    ("CC6.3", "CC6"),
    ("CC6.4", "CC6"),
    ("CC6.5", "CC6"),
    ("CC6.6", "CC6"),
    ("CC6.7", "CC6"),
    ("CC6.8", "CC6"),
    ("CC7.1", "CC7"),
    ("CC7.2", "CC7"),
    ("CC7.3", "CC7"),
    ("CC7.4", "CC7"),
    ("CC7.5", "CC7"),
    ("CC8.1", "CC8"),
    ("CC9.1", "CC9"),
    ("CC9.2", "CC9"),
    ("A1.1", "A1"),
    ("A1.2", "A1"),
    ("A1.3", "A1"),
    ("C1.1", "C1"),
    ("C1.2", "C1"),
    ("PI1.1", "PI1"),
    ("PI1.2", "PI1"),
    ("PI1.3", "PI1"),
    ("PI1.4", "PI1"),
    ("PI1.5", "PI1"),
    ("P1.1", "P1"),
    ("P2.1", "P2"),
    ("P3.1", "P3"),
    ("P3.2", "P3"),
    ("P4.1", "P4"),
    ("P4.2", "P4"),
    ("P4.3", "P4"),
    ("P5.1", "P5"),
    ("P5.2", "P5"),
    ("P6.1", "P6"),
    ("P6.2", "P6"),
    ("P6.3", "P6"),
    ("P6.4", "P6"),
    ("P6.5", "P6"),
    ("P6.6", "P6"),
    ("P6.7", "P6"),
    ("P7.1", "P7"),
    ("P8.1", "P8"),
];

/// One of the 61 Trust Services Criteria. Can only be built from a real ID.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CriterionId(u8);

impl CriterionId {
    /// All 61 criteria in document order.
    pub fn all() -> impl ExactSizeIterator<Item = CriterionId> {
        (0..ALL.len() as u8).map(CriterionId)
    }

    pub fn as_str(self) -> &'static str {
        ALL[usize::from(self.0)].0
    }

    /// The series the criterion belongs to: `CC1`…`CC9`, `A1`, `C1`, `PI1`, `P1`…`P8`.
    pub fn series(self) -> &'static str {
        ALL[usize::from(self.0)].1
    }

    pub fn category(self) -> Category {
        category_of_series(self.series())
    }

    /// Position in document order (0-based).
    pub fn ordinal(self) -> usize {
        usize::from(self.0)
    }

    /// Parse an ID, accepting any letter case. Returns a hint-carrying error for IDs that do not exist.
    pub fn parse(input: &str) -> Result<CriterionId, CatalogError> {
        let wanted = input.trim().to_ascii_uppercase();
        if let Some(pos) = ALL.iter().position(|(id, _)| *id == wanted) {
            // ALL has 61 entries, so the position always fits in a u8.
            return Ok(CriterionId(pos as u8));
        }
        Err(CatalogError::UnknownCriterion {
            input: input.to_owned(),
            hint: hint_for(&wanted),
        })
    }
}

pub(crate) fn category_of_series(series: &str) -> Category {
    match series {
        "A1" => Category::Availability,
        "C1" => Category::Confidentiality,
        "PI1" => Category::ProcessingIntegrity,
        s if s.starts_with("CC") => Category::Security,
        _ => Category::Privacy,
    }
}

/// Explain why an ID that is not on the whitelist was rejected.
fn hint_for(wanted: &str) -> String {
    if let Some(rest) = wanted.strip_prefix("PP1.") {
        return format!(
            "PP1.{rest} is a known typo (from an open-source catalog) for PI1.{rest}, Processing Integrity; write PI1.{rest}"
        );
    }
    if let Some((series, number)) = wanted.split_once('.') {
        if series.starts_with('P') && !series.starts_with("PI") && number == "0" {
            return format!(
                "{wanted} is the heading of a privacy group, not a criterion; its criteria are numbered from {series}.1"
            );
        }
        let members: Vec<&str> = ALL
            .iter()
            .filter(|(_, s)| *s == series)
            .map(|(id, _)| *id)
            .collect();
        if let (Some(first), Some(last)) = (members.first(), members.last()) {
            return if members.len() == 1 {
                format!("series {series} has a single criterion, {first}; {wanted} does not exist")
            } else {
                format!(
                    "series {series} has {} criteria ({first} to {last}); {wanted} does not exist",
                    members.len()
                )
            };
        }
    }
    "not a Trust Services Criteria ID; real IDs look like CC6.1, A1.2, C1.1, PI1.3 or P6.1 (61 in all: `assay catalog criteria`)"
        .to_owned()
}

impl FromStr for CriterionId {
    type Err = CatalogError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CriterionId::parse(s)
    }
}

impl fmt::Display for CriterionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl fmt::Debug for CriterionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CriterionId({})", self.as_str())
    }
}

impl Serialize for CriterionId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CriterionId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        CriterionId::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_61_ids_with_the_published_counts() {
        assert_eq!(CriterionId::all().len(), 61);
        let count = |c: Category| CriterionId::all().filter(|id| id.category() == c).count();
        assert_eq!(count(Category::Security), 33);
        assert_eq!(count(Category::Availability), 3);
        assert_eq!(count(Category::Confidentiality), 2);
        assert_eq!(count(Category::ProcessingIntegrity), 5);
        assert_eq!(count(Category::Privacy), 18);
    }

    #[test]
    fn every_real_id_round_trips() {
        for id in CriterionId::all() {
            assert_eq!(CriterionId::parse(id.as_str()).ok(), Some(id));
            assert_eq!(
                CriterionId::parse(&id.as_str().to_lowercase()).ok(),
                Some(id)
            );
        }
    }

    #[test]
    fn fakes_are_rejected_with_a_reason() {
        let cases = [
            ("CC6.9", "CC6 has 8 criteria"),
            ("CC1.6", "CC1 has 5 criteria"),
            ("CC2.4", "CC2 has 3 criteria"),
            ("CC5.4", "CC5 has 3 criteria"),
            ("CC7.6", "CC7 has 5 criteria"),
            ("CC8.2", "single criterion, CC8.1"),
            ("CC9.3", "CC9 has 2 criteria"),
            ("A1.4", "A1 has 3 criteria"),
            ("C1.3", "C1 has 2 criteria"),
            ("PI1.6", "PI1 has 5 criteria"),
            ("P1.2", "single criterion, P1.1"),
            ("P6.8", "P6 has 7 criteria"),
            ("P8.2", "single criterion, P8.1"),
            ("PP1.1", "typo"),
            ("PP1.5", "PI1.5"),
            ("P1.0", "heading of a privacy group"),
            ("P8.0", "heading of a privacy group"),
            ("CC10.1", "not a Trust Services Criteria ID"),
            ("", "not a Trust Services Criteria ID"),
            ("security", "not a Trust Services Criteria ID"),
        ];
        for (input, expected) in cases {
            let err = CriterionId::parse(input).expect_err(input).to_string();
            assert!(err.contains(expected), "{input}: {err}");
        }
    }

    #[test]
    fn categories_parse_from_keys_and_short_forms() {
        for c in Category::ALL {
            assert_eq!(c.key().parse::<Category>().ok(), Some(c));
        }
        assert_eq!(
            "processing-integrity".parse::<Category>().ok(),
            Some(Category::ProcessingIntegrity)
        );
        assert!("integrity".parse::<Category>().is_err());
    }
}
