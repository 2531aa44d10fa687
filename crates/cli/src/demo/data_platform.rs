//! The data platform: partner feeds, ingestion with validation and pseudonymisation, the raw and
//! curated stores, and the export to the labeling vendor.

use super::{DemoError, Workspace};

pub fn build(ws: &mut Workspace) -> Result<(), DemoError> {
    ws.describe(
        r#"
# ── Data platform ────────────────────────────────────────────────────────────────────────────

[[component]]
id = "feed:partner-banks"
description = "Daily SFTP drops of card transactions from partner banks"
stage = "ingestion"
in_scope = true
owner = "data-platform"
holds = ["customer_data", "pii"]

[[component]]
id = "pipeline:ingest"
description = "Validates each drop against the schema and rules, then pseudonymises card and customer identifiers"
stage = "ingestion"
in_scope = true
owner = "data-platform"
holds = ["customer_data", "pii"]

[[component]]
id = "store:raw-transactions"
description = "Object store bucket with raw partner drops, kept 90 days"
stage = "storage"
in_scope = true
owner = "data-platform"
holds = ["customer_data", "pii", "confidential"]
retention_days = 90
provider = "Nimbus Cloud"

[[component]]
id = "store:curated-features"
description = "Versioned, pseudonymised feature tables used for training (DVC-tracked snapshots)"
stage = "storage"
in_scope = true
owner = "data-platform"
holds = ["customer_data", "confidential"]
provider = "Nimbus Cloud"

[[component]]
id = "export:labeling"
description = "Weekly export of disputed transactions to the labeling vendor, identifiers removed"
stage = "ingestion"
in_scope = true
owner = "data-platform"
holds = ["customer_data"]
provider = "Tagwise Labeling"

[[component]]
id = "tool:bi-dashboards"
description = "Business dashboards over monthly aggregates"
stage = "storage"
in_scope = false
reason = "Reads only monthly aggregates with no transaction-level or personal data; no path back into training or serving"
owner = "finance"
"#,
    );
    Ok(())
}
