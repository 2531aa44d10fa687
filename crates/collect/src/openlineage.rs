//! `[source.openlineage]`: OpenLineage RunEvents from JSON / JSONL files (to come).

use crate::error::CollectError;
use crate::{Collected, Collector, Context};

/// Config of `[source.openlineage]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenLineageConfig {
    pub files: Vec<std::path::PathBuf>,
}

impl OpenLineageConfig {
    pub fn from_table(table: &toml::Table) -> Result<Self, CollectError> {
        let bad = |reason: &str| CollectError::Config {
            source_name: "openlineage".into(),
            key: "files".into(),
            reason: reason.into(),
        };
        let Some(list) = table.get("files").and_then(|v| v.as_array()) else {
            return Err(bad(
                "must list JSON or JSONL files, e.g. files = [\"lineage/events.jsonl\"]",
            ));
        };
        let mut files = Vec::new();
        for v in list {
            let Some(s) = v.as_str() else {
                return Err(bad("entries must be paths (strings)"));
            };
            files.push(std::path::PathBuf::from(s));
        }
        Ok(OpenLineageConfig { files })
    }
}

/// The OpenLineage collector.
#[derive(Debug, Clone)]
pub struct OpenLineageCollector {
    config: OpenLineageConfig,
}

impl OpenLineageCollector {
    pub fn new(config: OpenLineageConfig) -> Self {
        OpenLineageCollector { config }
    }
}

impl Collector for OpenLineageCollector {
    fn source(&self) -> &str {
        "openlineage"
    }
    fn collect(&self, _ctx: &mut Context<'_>) -> Result<Collected, CollectError> {
        let _ = &self.config;
        Ok(Collected::default())
    }
}
