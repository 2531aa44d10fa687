//! Governance: the policies Kestrel's leadership approves every year. Each is written as a file in
//! `policies/` and recorded in the ledger as `manual.document` evidence with its approval date and
//! expiry, the way a compliance lead would add them with `assay evidence add`.

use super::{DemoError, ManualDocument, Workspace};

const POLICIES: [(&str, &str, &str, &str, &str); 4] = [
    (
        "policies/information-security.md",
        "policy:information-security",
        "Information security policy",
        "2026-01-12",
        "# Information security policy\n\nApproved by the CEO on 2026-01-12. Owner: Security.\n\n\
- Access to production, training data and the model registry is granted by role and reviewed quarterly.\n\
- Every production change, including a model promotion, needs an approved ticket; the approver is not the author.\n\
- Security events are triaged within one business day; incidents follow the incident response plan.\n",
    ),
    (
        "policies/acceptable-ai-use.md",
        "policy:responsible-ai",
        "Responsible AI and model risk policy",
        "2026-01-12",
        "# Responsible AI and model risk policy\n\nApproved by the CEO on 2026-01-12. Owner: ML Platform.\n\n\
- Every production model version is traceable to its training data snapshot, code commit and parameters.\n\
- Releases pass the evaluation gate and a fairness review across card-holder regions before promotion.\n\
- Live features and scores are monitored for drift daily; alerts are handled by the model owner.\n",
    ),
    (
        "policies/data-retention.md",
        "policy:data-retention",
        "Data retention and disposal policy",
        "2026-02-02",
        "# Data retention and disposal policy\n\nApproved by the CEO on 2026-02-02. Owner: Data Platform.\n\n\
- Raw partner drops are kept 90 days, pseudonymised training snapshots 24 months.\n\
- Direct identifiers are removed or pseudonymised before any data is used for training.\n\
- Disposal is recorded; erasure requests reach training snapshots before the next training run.\n",
    ),
    (
        "policies/incident-response.md",
        "policy:incident-response",
        "Incident response plan (AI-aware)",
        "2026-02-16",
        "# Incident response plan\n\nApproved by the CEO on 2026-02-16. Owner: Security.\n\n\
- Covers model extraction, training-data poisoning, output leakage and drift-caused mis-scoring.\n\
- Severity, containment (key revocation, model rollback), customer notification within 72 hours.\n\
- Every incident ends with a post-incident review and tracked actions.\n",
    ),
];

pub fn build(ws: &mut Workspace) -> Result<(), DemoError> {
    for (path, subject, title, approved, text) in POLICIES {
        ws.file(path, text)?;
        ws.manual.push(ManualDocument {
            path,
            subject,
            title,
            approved,
            // Policies are approved for one year.
            expires: next_year(approved),
        });
    }
    Ok(())
}

/// `2026-01-12` → `2027-01-12`.
fn next_year(date: &str) -> String {
    match date.split_once('-') {
        Some((year, rest)) => match year.parse::<u32>() {
            Ok(y) => format!("{}-{rest}", y + 1),
            Err(_) => date.to_owned(),
        },
        None => date.to_owned(),
    }
}
