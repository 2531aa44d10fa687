//! Subservice organisations: the cloud provider, the labeling vendor and the language-model API.

use super::{DemoError, Workspace};

pub fn build(ws: &mut Workspace) -> Result<(), DemoError> {
    ws.describe(
        r#"
# ── Subservice organisations ─────────────────────────────────────────────────────────────────

[[subservice]]
name = "Nimbus Cloud"
role = "infrastructure hosting: compute, object storage, managed Kubernetes, key management"
method = "carve-out"
csocs = [
  "Nimbus Cloud restricts physical access to data centres to authorised staff",
  "Nimbus Cloud securely destroys storage media before it leaves the data centre",
  "Nimbus Cloud keeps power, cooling and network redundant in every region used",
]
criteria = ["CC6.4", "CC6.5", "A1.2"]

[[subservice]]
name = "Tagwise Labeling"
role = "human labeling of disputed transactions"
method = "carve-out"
csocs = [
  "Tagwise restricts access to exported records to assigned labelers",
  "Tagwise deletes exported records within 30 days of returning labels",
  "Tagwise reports suspected unauthorised disclosure to Kestrel within 72 hours",
]
criteria = ["CC6.1", "C1.2", "P6.5"]

[[subservice]]
name = "Lexica Models"
role = "hosted language-model API that writes score explanations"
method = "carve-out"
csocs = [
  "Lexica does not retain or train on prompts sent through the zero-retention endpoint",
  "Lexica authenticates API callers and encrypts traffic in transit",
]
criteria = ["C1.1", "CC6.7", "P6.4"]
"#,
    );
    Ok(())
}
