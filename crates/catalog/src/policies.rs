//! The built-in controls' Rego tests and their test cases, embedded at build time.
//!
//! Each automated or hybrid control that Assay can test from evidence has `controls/<ID>.rego`
//! (package `assay.control`, rule `occurrences`) and `controls/<ID>.cases.json` (a list of
//! `{note, input, expected}` cases that `cargo test -p assay-engine` runs). The contract is in
//! `docs/controls.md`. This module only holds the text; evaluating it is `assay-engine`'s job.

/// One control's Rego test and its cases, as embedded text.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinPolicy {
    /// The control id (`ING-01`).
    pub id: &'static str,
    /// Path inside the catalog crate, for messages.
    pub path: &'static str,
    /// The Rego v1 module.
    pub rego: &'static str,
    /// The test cases as JSON text.
    pub cases: &'static str,
}

macro_rules! policies {
    ($($id:literal),* $(,)?) => {
        /// Every embedded policy, in id order.
        pub const BUILTIN_POLICIES: &[BuiltinPolicy] = &[$(
            BuiltinPolicy {
                id: $id,
                path: concat!("controls/", $id, ".rego"),
                rego: include_str!(concat!("../controls/", $id, ".rego")),
                cases: include_str!(concat!("../controls/", $id, ".cases.json")),
            },
        )*];
    };
}

policies![
    "DEP-01", "DEP-02", "DEP-03", "DEP-04", "DEP-05", "INF-01", "INF-02", "INF-04", "INF-05",
    "INF-06", "INF-07", "ING-01", "ING-02", "ING-03", "ING-05", "MON-01", "MON-02", "MON-03",
    "ORG-07", "ORG-10", "ORG-12", "REG-01", "REG-02", "REG-03", "STO-01", "STO-02", "STO-03",
    "STO-04", "STO-06", "SUP-01", "SUP-03", "SUP-04", "SUP-05", "SUP-06", "SUP-10", "SUP-11",
    "TRN-01", "TRN-02", "TRN-03", "TRN-04",
];

/// The embedded policy of a control, if it has one.
pub fn builtin_policy(id: &str) -> Option<&'static BuiltinPolicy> {
    BUILTIN_POLICIES.iter().find(|p| p.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `.rego` file in `controls/` is embedded, and every embedded one names a catalog control.
    #[test]
    fn every_policy_file_is_embedded_and_names_a_control() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("controls");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .expect("controls/ exists")
            .filter_map(|e| {
                let name = e.ok()?.file_name().into_string().ok()?;
                name.strip_suffix(".rego").map(str::to_owned)
            })
            .collect();
        on_disk.sort();
        let embedded: Vec<String> = BUILTIN_POLICIES.iter().map(|p| p.id.to_owned()).collect();
        assert_eq!(
            on_disk, embedded,
            "list every controls/*.rego in policies![]"
        );
        let catalog = crate::Catalog::embedded().expect("catalog parses");
        for p in BUILTIN_POLICIES {
            let control = catalog
                .control(p.id)
                .expect("policy names a catalog control");
            assert_eq!(control.test.as_deref(), Some(p.path));
            assert!(p.rego.contains("package assay.control"), "{}", p.path);
        }
    }
}
