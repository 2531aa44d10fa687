//! Corporate IT and people: identity, source control and CI, vulnerability scanning, HR processes,
//! and the teams by job function that segregation-of-duties rules refer to.

use super::{DemoError, Workspace};

pub fn build(ws: &mut Workspace) -> Result<(), DemoError> {
    ws.describe(
        r#"
# ── Corporate IT and people ──────────────────────────────────────────────────────────────────

[[component]]
id = "platform:identity"
description = "Single sign-on with enforced MFA; groups drive cloud, registry and cluster roles"
stage = "supporting"
in_scope = true
owner = "security"
holds = ["secrets"]

[[component]]
id = "platform:source-control"
description = "Git hosting with protected main branches, required reviews and CI"
stage = "supporting"
in_scope = true
owner = "security"
holds = ["confidential"]

[[component]]
id = "platform:vulnerability-scanning"
description = "Dependency and model-file scanning on every build, nightly for deployed images"
stage = "supporting"
in_scope = true
owner = "security"

[[component]]
id = "process:people-ops"
description = "Hiring, background checks, onboarding, security and responsible-AI training, offboarding"
stage = "people"
in_scope = true
owner = "people-ops"
holds = ["pii"]

[[team]]
name = "Data Science"
function = "data-scientist"
principals = ["group:data-science", "user:maya.chen@kestrel.example", "user:omar.haddad@kestrel.example"]

[[team]]
name = "ML Platform"
function = "ml-engineer"
principals = ["group:ml-platform", "user:lena.fischer@kestrel.example", "user:raj.patel@kestrel.example"]

[[team]]
name = "Data Platform"
function = "data-platform"
principals = ["group:data-platform", "user:sofia.rossi@kestrel.example"]

[[team]]
name = "Site Reliability"
function = "sre"
principals = ["group:sre", "user:tom.okafor@kestrel.example"]

[[team]]
name = "Security"
function = "security"
principals = ["group:security", "user:ines.moreau@kestrel.example"]

[[team]]
name = "Leadership"
function = "leadership"
principals = ["user:ada.kowalski@kestrel.example"]
"#,
    );
    Ok(())
}
