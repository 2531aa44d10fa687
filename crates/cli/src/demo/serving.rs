//! Serving and monitoring: the inference gateway and scoring service, the LLM-written explanations,
//! drift monitoring and observability.

use super::{DemoError, Workspace};

pub fn build(ws: &mut Workspace) -> Result<(), DemoError> {
    ws.describe(
        r#"
# ── Serving and monitoring ───────────────────────────────────────────────────────────────────

[[component]]
id = "gateway:inference"
description = "Assay inference gateway: API keys, per-key rate limits, audit log, extraction detection, output filtering"
stage = "inference"
in_scope = true
owner = "sre"
holds = ["customer_data", "secrets"]

[[component]]
id = "service:score-api"
description = "Model server behind the gateway that answers POST /v1/score"
stage = "inference"
in_scope = true
owner = "ml-platform"
holds = ["customer_data", "confidential"]
provider = "Nimbus Cloud"

[[component]]
id = "service:explanations"
description = "Turns score attributions into analyst-readable text through a hosted language model"
stage = "inference"
in_scope = true
owner = "ml-platform"
holds = ["customer_data"]
provider = "Lexica Models"

# Planted for `assay scope check`: nobody owns the drift monitor (W104).
[[component]]
id = "monitor:drift"
description = "Daily drift report of live features and scores against the training reference"
stage = "monitoring"
in_scope = true

[[component]]
id = "monitor:observability"
description = "Metrics, logs, latency and availability alerts with on-call paging"
stage = "monitoring"
in_scope = true
owner = "sre"
"#,
    );
    Ok(())
}
