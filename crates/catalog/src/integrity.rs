//! Consistency rules the catalog must satisfy. Tests run them on the embedded data; they are public
//! so a user's extended catalog can be checked the same way later.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::{Catalog, Category, CriterionId};

/// One broken rule, with the id at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrityProblem {
    pub id: String,
    pub problem: String,
}

impl fmt::Display for IntegrityProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.id, self.problem)
    }
}

impl Catalog {
    /// Every violated rule. Empty for a sound catalog.
    pub fn integrity_problems(&self) -> Vec<IntegrityProblem> {
        let mut out = Vec::new();
        let mut flag = |id: &str, problem: String| {
            out.push(IntegrityProblem {
                id: id.to_owned(),
                problem,
            })
        };

        // Criteria: exactly the 61, in document order, each in an existing series of its category.
        let listed: Vec<CriterionId> = self.criteria.iter().map(|c| c.id).collect();
        let expected: Vec<CriterionId> = CriterionId::all().collect();
        if listed != expected {
            flag(
                "criteria",
                format!(
                    "the criteria file must list the 61 criteria once each in document order; it lists {}",
                    listed.len()
                ),
            );
        }
        for c in &self.criteria {
            if c.series != c.id.series() {
                flag(
                    c.id.as_str(),
                    format!("belongs to series {}, not {}", c.id.series(), c.series),
                );
            }
            match self.series(&c.series) {
                None => flag(c.id.as_str(), format!("series {} is not defined", c.series)),
                Some(s) if s.category != c.id.category() => flag(
                    c.id.as_str(),
                    format!("series {} is filed under the wrong category", s.id),
                ),
                Some(_) => {}
            }
            let is_coso = c.id.category() == Category::Security
                && matches!(c.id.series(), "CC1" | "CC2" | "CC3" | "CC4" | "CC5");
            if is_coso != c.coso.is_some() {
                flag(
                    c.id.as_str(),
                    "a COSO principle belongs to CC1–CC5 criteria and only to them".to_owned(),
                );
            }
            if c.title.trim().is_empty() || c.summary.trim().is_empty() {
                flag(c.id.as_str(), "needs a title and a summary".to_owned());
            }
        }
        for cat in Category::ALL {
            if self.category(cat).is_none() {
                flag(cat.key(), "category has no description".to_owned());
            }
        }

        // Ids unique across risks and controls.
        let mut seen = BTreeSet::new();
        for id in self
            .risks
            .iter()
            .map(|r| &r.id)
            .chain(self.controls.iter().map(|c| &c.id))
        {
            if !seen.insert(id.to_ascii_uppercase()) {
                flag(id, "id is used more than once".to_owned());
            }
        }

        let known_kinds: BTreeSet<&str> =
            self.evidence_kinds.iter().map(|k| k.id.as_str()).collect();
        let risk_ids: BTreeSet<&str> = self.risks.iter().map(|r| r.id.as_str()).collect();

        for risk in &self.risks {
            if !risk.id.starts_with("RISK-") {
                flag(&risk.id, "risk ids start with RISK-".to_owned());
            }
            if risk.threatens.is_empty() {
                flag(&risk.id, "threatens no criterion".to_owned());
            }
            if risk.stages.is_empty() {
                flag(&risk.id, "affects no lifecycle stage".to_owned());
            }
            if self.controls_for_risk(&risk.id).next().is_none() {
                flag(&risk.id, "no control mitigates this risk".to_owned());
            }
            let mut threatened = BTreeSet::new();
            for t in &risk.threatens {
                if !threatened.insert(t.criterion) {
                    flag(&risk.id, format!("threatens {} twice", t.criterion));
                }
                if t.why.trim().is_empty() {
                    flag(&risk.id, format!("gives no reason for {}", t.criterion));
                }
            }
        }

        for control in &self.controls {
            let id = control.id.as_str();
            let prefix = control.stage.control_prefix();
            let well_formed = id
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|n| n.len() == 2 && n.chars().all(|c| c.is_ascii_digit()));
            if !well_formed {
                flag(
                    id,
                    format!("controls of stage {} are named {prefix}-NN", control.stage),
                );
            }
            if control.criteria.is_empty() {
                flag(id, "maps to no criterion".to_owned());
            }
            if control.risks.is_empty() && control.baseline.is_none() {
                flag(
                    id,
                    "mitigates no risk and gives no baseline reason".to_owned(),
                );
            }
            for r in &control.risks {
                if !risk_ids.contains(r.as_str()) {
                    flag(id, format!("names unknown risk {r}"));
                }
            }
            if control.evidence.is_empty() {
                flag(id, "names no evidence kind".to_owned());
            }
            for kind in &control.evidence {
                if !kind.starts_with("custom.") && !known_kinds.contains(kind.as_str()) {
                    flag(id, format!("names unknown evidence kind {kind}"));
                }
            }
            for kind in &control.reference {
                if !control.evidence.contains(kind) {
                    flag(
                        id,
                        format!("reads {kind} as reference but does not list it in evidence"),
                    );
                }
            }
            if !control.reference.is_empty() && control.reference.len() == control.evidence.len() {
                flag(
                    id,
                    "reads every kind as reference, so nothing has a lookback".to_owned(),
                );
            }
        }

        // Coverage: every criterion of CC, A1, PI1 and C1, and every privacy group.
        let covered: BTreeSet<CriterionId> = self
            .controls
            .iter()
            .flat_map(|c| c.criteria.iter().copied())
            .collect();
        for id in CriterionId::all() {
            if id.category() != Category::Privacy && !covered.contains(&id) {
                flag(
                    id.as_str(),
                    "no control addresses this criterion".to_owned(),
                );
            }
        }
        let mut privacy_groups: BTreeMap<&str, bool> = BTreeMap::new();
        for id in CriterionId::all().filter(|c| c.category() == Category::Privacy) {
            *privacy_groups.entry(id.series()).or_default() |= covered.contains(&id);
        }
        for (group, is_covered) in privacy_groups {
            if !is_covered {
                flag(group, "no control addresses this privacy group".to_owned());
            }
        }

        for stage in crate::Stage::ALL {
            if !self.controls.iter().any(|c| c.stage == stage) {
                flag(
                    stage.key(),
                    "no control covers this lifecycle stage".to_owned(),
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn embedded() -> &'static Catalog {
        match Catalog::embedded() {
            Ok(c) => c,
            Err(e) => panic!("embedded catalog does not parse: {e}"),
        }
    }

    fn clone_of_embedded() -> Catalog {
        let c = embedded();
        Catalog {
            version: c.version.clone(),
            categories: c.categories.clone(),
            series: c.series.clone(),
            criteria: c.criteria.clone(),
            risks: c.risks.clone(),
            controls: c.controls.clone(),
            evidence_kinds: c.evidence_kinds.clone(),
        }
    }

    fn problems_mention(catalog: &Catalog, id: &str, words: &str) -> bool {
        catalog
            .integrity_problems()
            .iter()
            .any(|p| p.id == id && p.problem.contains(words))
    }

    #[test]
    fn embedded_catalog_is_sound() {
        let problems = embedded().integrity_problems();
        assert!(
            problems.is_empty(),
            "catalog problems:\n{}",
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    #[test]
    fn catalog_meets_the_size_floor() {
        let c = embedded();
        assert_eq!(c.criteria.len(), 61);
        assert!(c.controls.len() >= 45, "{} controls", c.controls.len());
        assert!(c.risks.len() >= 15, "{} risks", c.risks.len());
    }

    #[test]
    fn a_risk_without_controls_is_caught() {
        let mut c = clone_of_embedded();
        let victim = c.risks[0].id.clone();
        for control in &mut c.controls {
            control.risks.retain(|r| *r != victim);
            if control.risks.is_empty() {
                control.baseline = Some("test".into());
            }
        }
        assert!(problems_mention(&c, &victim, "no control mitigates"));
    }

    #[test]
    fn an_uncovered_common_criterion_is_caught() {
        let mut c = clone_of_embedded();
        let cc61 = CriterionId::parse("CC6.1").expect("real id");
        for control in &mut c.controls {
            control.criteria.retain(|id| *id != cc61);
        }
        assert!(problems_mention(&c, "CC6.1", "no control addresses"));
    }

    #[test]
    fn duplicate_and_dangling_ids_are_caught() {
        let mut c = clone_of_embedded();
        let mut copy = c.controls[0].clone();
        copy.risks.push("RISK-NOT-REAL".into());
        copy.evidence.push("made.up".into());
        c.controls.push(copy.clone());
        assert!(problems_mention(&c, &copy.id, "more than once"));
        assert!(problems_mention(&c, &copy.id, "unknown risk RISK-NOT-REAL"));
        assert!(problems_mention(
            &c,
            &copy.id,
            "unknown evidence kind made.up"
        ));
    }

    #[test]
    fn reference_kinds_must_be_evidence_kinds_and_leave_a_population() {
        let mut c = clone_of_embedded();
        let id = c.controls[0].id.clone();
        c.controls[0].reference = vec!["gto.registration".into()];
        assert!(problems_mention(
            &c,
            &id,
            "reads gto.registration as reference but does not list it"
        ));
        let mut c = clone_of_embedded();
        c.controls[0].reference = c.controls[0].evidence.clone();
        assert!(problems_mention(&c, &id, "nothing has a lookback"));
    }

    #[test]
    fn a_control_without_risk_or_baseline_is_caught() {
        let mut c = clone_of_embedded();
        let control = &mut c.controls[0];
        control.risks.clear();
        control.baseline = None;
        let id = control.id.clone();
        assert!(problems_mention(&c, &id, "no baseline reason"));
    }

    #[test]
    fn a_misfiled_criterion_is_caught() {
        let mut c = clone_of_embedded();
        c.criteria[0].coso = None;
        c.criteria[40].series = "CC1".into();
        let misfiled = c.criteria[40].id.as_str().to_owned();
        assert!(problems_mention(&c, "CC1.1", "COSO"));
        assert!(problems_mention(&c, &misfiled, "belongs to series"));
    }

    #[test]
    fn lookup_finds_all_three_kinds_and_explains_fakes() {
        let c = embedded();
        assert!(matches!(c.lookup("CC7.2"), Ok(crate::Entry::Criterion(_))));
        assert!(matches!(c.lookup("cc7.2"), Ok(crate::Entry::Criterion(_))));
        let risk = c.risks[0].id.clone();
        assert!(matches!(c.lookup(&risk), Ok(crate::Entry::Risk(_))));
        let control = c.controls[0].id.clone();
        assert!(matches!(
            c.lookup(&control.to_lowercase()),
            Ok(crate::Entry::Control(_))
        ));
        let fake = c.lookup("CC6.9").expect_err("fake").to_string();
        assert!(fake.contains("CC6 has 8 criteria"), "{fake}");
        let typo = c.lookup("PP1.1").expect_err("typo").to_string();
        assert!(typo.contains("PI1.1"), "{typo}");
        let nothing = c.lookup("XYZ-99").expect_err("unknown").to_string();
        assert!(
            nothing.contains("no criterion, risk or control"),
            "{nothing}"
        );
    }

    #[test]
    fn derived_mappings_agree_both_ways() {
        let c = embedded();
        for control in &c.controls {
            for r in &control.risks {
                assert!(c.controls_for_risk(r).any(|x| x.id == control.id));
            }
            for id in &control.criteria {
                assert!(c.controls_for_criterion(*id).any(|x| x.id == control.id));
            }
        }
        for risk in &c.risks {
            for t in &risk.threatens {
                assert!(
                    c.risks_for_criterion(t.criterion)
                        .any(|(r, _)| r.id == risk.id)
                );
            }
        }
    }
}
