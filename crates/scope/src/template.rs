//! The annotated `assay.toml` written by `assay init`.

/// The template with the system's name and service filled in. The result always parses and passes
/// `assay scope check` without errors (a test keeps it so).
pub fn init_template(name: &str, service: &str) -> String {
    TEMPLATE
        .replace("{name}", &toml_string(name))
        .replace("{service}", &toml_string(service))
}

/// A TOML basic string with everything escaped that needs escaping.
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

const TEMPLATE: &str = r#"# assay.toml — the description of the system under SOC 2 examination.
#
# Assay reads this file to know what is in scope, which criteria apply, who does what, and where to
# collect evidence. Check it with `assay scope check`; the JSON Schema for editors is printed by
# `assay scope schema` (save it and point your editor's TOML plugin at it for completion).

[system]
# The name used in reports.
name = {name}
# The service, written from your customer's side: what they send, what they get back, what you promise.
service = {service}
# Trust Services Categories in scope. "security" (the common criteria) is mandatory; add
# "availability", "processing_integrity", "confidentiality" and "privacy" as your commitments require.
criteria = ["security", "availability", "confidentiality"]

# Components: every pipeline, store, registry and service of the system. `stage` is one of
# ingestion, training, registry, deployment, inference, storage, monitoring, supporting, people.
# `holds` lists customer_data, pii, confidential, secrets. Out-of-scope components need a `reason`.

[[component]]
id = "service:inference-api"
description = "Public API that serves model predictions"
stage = "inference"
in_scope = true
owner = "ml-platform"
holds = ["customer_data"]

[[component]]
id = "pipeline:training"
description = "Scheduled pipeline that trains and evaluates production models"
stage = "training"
in_scope = true
owner = "ml-platform"
holds = ["customer_data", "confidential"]

[[component]]
id = "registry:models"
description = "Model registry holding approved model versions"
stage = "registry"
in_scope = true
owner = "ml-platform"
holds = ["confidential"]

# Organisations that perform part of the service. `method` is "carve-out" (their controls are
# excluded; list the complementary controls you rely on in `csocs`) or "inclusive".

[[subservice]]
name = "Cloud provider"
role = "infrastructure hosting"
method = "carve-out"
csocs = ["The cloud provider restricts physical access to its data centres to authorised staff"]
criteria = ["CC6.4"]

# What your customers must do for your controls to work (complementary user-entity controls).

[[cuec]]
text = "Customers keep their API keys secret and rotate them when staff leave"
criteria = ["CC6.1"]

# People by job function, as your identity sources spell them. Segregation-of-duties controls use
# these (for example: no data scientist may deploy to production).

[[team]]
name = "ML platform"
function = "ml-engineer"
principals = ["group:ml-platform"]

# Built-in controls you do not operate, each with a reason an auditor will read:
# [controls]
# exclude = [{ id = "INF-05", reason = "The API returns scores only; no free text can leak" }]

# Evidence sources, one table per collector:
# [source.git]
# repos = ["."]
# [source.mlflow]
# url = "http://127.0.0.1:5000"
# [source.aws_iam]
# file = "exports/iam-authorization-details.json"
"#;

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::{Scope, check};

    #[test]
    fn template_parses_and_has_no_errors() {
        let text = init_template(
            "Acme \"Scoring\" API",
            "Customers send events and get scores back within 100 ms.",
        );
        let scope = Scope::parse(Path::new("assay.toml"), text).expect("template parses");
        assert_eq!(scope.description.system.name, "Acme \"Scoring\" API");
        let catalog = assay_catalog::Catalog::embedded().expect("catalog");
        let report = check(&scope, catalog);
        assert_eq!(report.errors(), 0, "{:#?}", report.findings);
    }
}
