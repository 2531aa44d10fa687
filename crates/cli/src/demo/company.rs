//! Kestrel Labs as a whole: the system under examination, its commitments to customers, and what
//! customers must do themselves (CUECs).

use super::{DemoError, Workspace};

pub const COMPANY: &str = "Kestrel Labs";
pub const SYSTEM: &str = "Kestrel Fraud Scoring API";

pub fn build(ws: &mut Workspace) -> Result<(), DemoError> {
    ws.describe(
        r#"
# Kestrel Labs — Fraud Scoring API (built by `assay demo`; a fictional company)
#
# Kestrel sells real-time fraud scores to payment processors. Card transactions arrive from
# partner banks, are validated and pseudonymised, train a gradient-boosted model every week, and
# the approved model serves /v1/score behind an authenticating, rate-limiting gateway.

[system]
name = "Kestrel Fraud Scoring API"
service = """
Payment processors send card transactions to POST /v1/score and receive a fraud risk score between
0 and 1 with the top contributing features, within 100 ms at the 99th percentile. Kestrel commits to
99.9% monthly availability, to use customer transaction data only to provide and improve fraud
scoring, to remove direct identifiers before any data is used for training, and to deploy only
model versions that passed evaluation and were approved by someone other than their author."""
criteria = ["security", "availability", "processing_integrity", "confidentiality", "privacy"]

[[cuec]]
text = "Customers keep their API keys secret, store them in a secrets manager and rotate them when staff leave"
criteria = ["CC6.1", "CC6.2"]

[[cuec]]
text = "Customers send only the transaction fields listed in the API contract and no free-text notes"
criteria = ["PI1.2", "P3.1"]

[[cuec]]
text = "Customers review scores before declining a transaction and report suspected scoring errors"
criteria = ["PI1.4"]
"#,
    );
    ws.file("README.md", README)
}

const README: &str = r#"# Kestrel Labs — demo workspace

This workspace was built by `assay demo`. Kestrel Labs is fictional: a fraud-scoring company whose
Fraud Scoring API is described in `assay.toml`.

Try:

```sh
assay scope check          # scoping mistakes, by code and component
assay scope check -v       # plus the AI risks and controls per component
assay catalog show CC7.2   # what a criterion asks, and which controls answer it
```

Running `assay demo` again rebuilds this directory from scratch.
"#;
