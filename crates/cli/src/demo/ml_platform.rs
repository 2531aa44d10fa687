//! The ML platform: training pipeline, experiment tracking, model registry, deployment pipeline,
//! model backups, and the research sandbox the data scientists use.

use super::{DemoError, Workspace};

pub fn build(ws: &mut Workspace) -> Result<(), DemoError> {
    ws.describe(
        r#"
# ── ML platform ──────────────────────────────────────────────────────────────────────────────

[[component]]
id = "pipeline:train"
description = "Weekly DVC pipeline: feature build, training, evaluation and fairness report from committed code"
stage = "training"
in_scope = true
owner = "ml-platform"
holds = ["customer_data", "confidential"]

[[component]]
id = "tracking:mlflow"
description = "MLflow tracking server recording runs, parameters, metrics and dataset inputs"
stage = "training"
in_scope = true
owner = "ml-platform"
holds = ["confidential"]

[[component]]
id = "registry:models"
description = "MLflow model registry with GTO tags in git for stage assignments"
stage = "registry"
in_scope = true
owner = "ml-platform"
holds = ["confidential"]

[[component]]
id = "pipeline:deploy"
description = "CI/CD job that promotes an approved model version to the serving cluster"
stage = "deployment"
in_scope = true
owner = "ml-platform"
holds = ["secrets"]

[[component]]
id = "store:model-backups"
description = "Cross-region copies of every production model artifact and the registry database"
stage = "storage"
in_scope = true
owner = "sre"
holds = ["confidential"]
provider = "Nimbus Cloud"

# Planted for `assay scope check`: the research hub was left in scope (W102).
[[component]]
id = "sandbox:research-hub"
description = "JupyterHub where data scientists explore sampled, pseudonymised data"
stage = "training"
environment = "research"
in_scope = true
owner = "data-science"
holds = ["customer_data"]
"#,
    );
    Ok(())
}
