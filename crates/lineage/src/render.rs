//! Text and Markdown forms of a [`Trace`]. (JSON is the serde form.) Renderers return strings; the CLI prints.

use std::fmt::Write as _;

use serde_json::Value;

use crate::trace::{Identity, Trace};

fn refs(ev: &[u64]) -> String {
    let mut v: Vec<u64> = ev.to_vec();
    v.sort_unstable();
    v.dedup();
    v.iter()
        .map(|i| format!("#{i}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn identity(i: &Identity) -> String {
    let label = match i.method.as_str() {
        "mlflow-digest" => " (MLflow digest: a label, not a content hash)",
        "openlineage-version" => " (OpenLineage dataset version: as reported by the job)",
        "uri" => " (location only)",
        _ => "",
    };
    format!("{} {}{label}", i.method, i.value)
}

fn val(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Plain text, for a terminal.
pub fn render_text(t: &Trace) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{} {} ({} registry)", t.model, t.version, t.registry);
    if !t.stages_now.is_empty() {
        let _ = writeln!(o, "  stage now:  {}", t.stages_now.join(", "));
    }
    if !t.aliases.is_empty() {
        let _ = writeln!(o, "  aliases:    {}", t.aliases.join(", "));
    }
    let _ = writeln!(o, "\nArtifact");
    if let Some(p) = &t.artifact.path {
        let _ = writeln!(o, "  path:       {p}");
    }
    if let Some(u) = &t.artifact.uri {
        let _ = writeln!(o, "  uri:        {u}");
    }
    for i in &t.artifact.identity {
        let _ = writeln!(o, "  identity:   {}   [{}]", identity(i), refs(&i.evidence));
    }
    if t.artifact.identity.is_empty() {
        let _ = writeln!(o, "  identity:   none recorded");
    }
    let _ = writeln!(o, "\nRegistry history");
    for e in &t.history {
        let what = match (&e.stage, &e.version) {
            (Some(s), _) => format!("{} {s}", e.action),
            (None, Some(v)) => format!("{} {v}", e.action),
            _ => e.action.clone(),
        };
        let by =
            e.by.as_deref()
                .map(|b| format!(" by {b}"))
                .unwrap_or_default();
        let _ = writeln!(o, "  {}  {what}{by}   [{}]", e.at, refs(&e.evidence));
    }
    let _ = writeln!(o, "\nTraining run");
    match &t.run {
        Some(r) => {
            let _ = writeln!(o, "  {}: {}   [{}]", r.kind, r.id, refs(&r.evidence));
            if let Some(c) = &r.cmd {
                let _ = writeln!(o, "  cmd:        {c}");
            }
            if let Some(u) = &r.user {
                let _ = writeln!(o, "  user:       {u}");
            }
            if r.start.is_some() || r.end.is_some() {
                let _ = writeln!(
                    o,
                    "  ran:        {} → {}",
                    r.start.as_deref().unwrap_or("?"),
                    r.end.as_deref().unwrap_or("?")
                );
            }
            for (k, v) in &r.params {
                let _ = writeln!(o, "  param       {k} = {}", val(v));
            }
            for (k, v) in &r.metrics {
                let _ = writeln!(o, "  metric      {k} = {}", val(v));
            }
        }
        None => {
            let _ = writeln!(o, "  none recorded");
        }
    }
    let _ = writeln!(o, "\nCode");
    match &t.code {
        Some(c) => {
            let _ = writeln!(
                o,
                "  commit:     {}{}   [{}]",
                c.commit,
                c.repo
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default(),
                refs(&c.evidence)
            );
            if let Some(a) = &c.author {
                let _ = writeln!(
                    o,
                    "  author:     {a}{}",
                    c.committed_at
                        .as_deref()
                        .map(|t| format!(", {t}"))
                        .unwrap_or_default()
                );
            }
            if let Some(m) = &c.message {
                let _ = writeln!(o, "  message:    {m}");
            }
            let signed = match (c.signed, &c.signature_format) {
                (Some(true), Some(f)) => format!("yes ({f} signature present, not verified)"),
                (Some(true), None) => "yes (not verified)".into(),
                (Some(false), _) => "no".into(),
                (None, _) => "unknown".into(),
            };
            let _ = writeln!(o, "  signed:     {signed}");
            let dirty = match c.dirty {
                Some(true) => "yes — trained from uncommitted changes",
                Some(false) => "no",
                None => "unknown",
            };
            let _ = writeln!(o, "  dirty tree: {dirty}");
        }
        None => {
            let _ = writeln!(o, "  unknown");
        }
    }
    if !t.pipeline.is_empty() {
        let _ = writeln!(o, "\nPipeline (upstream first)");
        for s in &t.pipeline {
            let _ = writeln!(
                o,
                "  {}: {}   [{}]",
                s.name,
                s.cmd.as_deref().unwrap_or("?"),
                refs(&s.evidence)
            );
        }
    }
    let _ = writeln!(o, "\nDatasets");
    for d in &t.datasets {
        let role = d
            .role
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let _ = writeln!(o, "  {}{role}   [{}]", d.name, refs(&d.evidence));
        for i in &d.identity {
            let _ = writeln!(o, "      {}", identity(i));
        }
        if let Some(p) = &d.produced_by {
            let _ = writeln!(o, "      produced by {p}");
        }
    }
    if t.datasets.is_empty() {
        let _ = writeln!(o, "  none recorded");
    }
    if !t.upstream_jobs.is_empty() {
        let _ = writeln!(o, "\nUpstream jobs");
        for j in &t.upstream_jobs {
            let _ = writeln!(
                o,
                "  {}/{} run {} {} at {}   [{}]",
                j.namespace,
                j.name,
                j.run_id.as_deref().unwrap_or("?"),
                j.event_type.as_deref().unwrap_or("event"),
                j.at,
                refs(&j.evidence)
            );
            if let Some(s) = &j.source_code {
                let _ = writeln!(o, "      code: {s}");
            }
        }
    }
    if !t.deployments.is_empty() {
        let _ = writeln!(o, "\nDeployments and approvals");
        for d in &t.deployments {
            let _ = writeln!(o, "  {}", deployment_line(d, &t.artifact));
        }
    }
    let _ = writeln!(o);
    if t.findings.is_empty() {
        let _ = write!(
            o,
            "Chain complete: every link is backed by ledger evidence."
        );
    } else {
        let _ = writeln!(o, "Broken links ({})", t.findings.len());
        for f in &t.findings {
            let _ = writeln!(
                o,
                "  ✗ [{}] {}   [{}]",
                f.code,
                f.message,
                refs(&f.evidence)
            );
        }
        o.pop();
    }
    o
}

/// Markdown, for a report or a ticket.
pub fn render_markdown(t: &Trace) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Lineage of {} {}\n", t.model, t.version);
    let _ = writeln!(o, "- Registry: {}", t.registry);
    if !t.stages_now.is_empty() {
        let _ = writeln!(o, "- Stage now: {}", t.stages_now.join(", "));
    }
    if !t.aliases.is_empty() {
        let _ = writeln!(o, "- Aliases: {}", t.aliases.join(", "));
    }
    let status = if t.complete() {
        "complete".to_owned()
    } else {
        format!("{} broken link(s)", t.findings.len())
    };
    let _ = writeln!(o, "- Chain: {status}\n");
    let _ = writeln!(o, "## Artifact\n");
    if let Some(p) = &t.artifact.path {
        let _ = writeln!(o, "- Path: `{p}`");
    }
    if let Some(u) = &t.artifact.uri {
        let _ = writeln!(o, "- URI: `{u}`");
    }
    for i in &t.artifact.identity {
        let _ = writeln!(o, "- {} (evidence {})", identity(i), refs(&i.evidence));
    }
    let _ = writeln!(
        o,
        "\n## Registry history\n\n| When | Event | By | Evidence |\n|---|---|---|---|"
    );
    for e in &t.history {
        let what = [Some(e.action.clone()), e.version.clone(), e.stage.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let _ = writeln!(
            o,
            "| {} | {what} | {} | {} |",
            e.at,
            e.by.as_deref().unwrap_or(""),
            refs(&e.evidence)
        );
    }
    let _ = writeln!(o, "\n## Training run\n");
    match &t.run {
        Some(r) => {
            let _ = writeln!(
                o,
                "- {}: `{}` (evidence {})",
                r.kind,
                r.id,
                refs(&r.evidence)
            );
            if let Some(c) = &r.cmd {
                let _ = writeln!(o, "- Command: `{c}`");
            }
            if let Some(u) = &r.user {
                let _ = writeln!(o, "- User: {u}");
            }
            if !r.params.is_empty() {
                let _ = writeln!(o, "\n| Parameter | Value |\n|---|---|");
                for (k, v) in &r.params {
                    let _ = writeln!(o, "| `{k}` | `{}` |", val(v));
                }
            }
            if !r.metrics.is_empty() {
                let _ = writeln!(o, "\n| Metric | Value |\n|---|---|");
                for (k, v) in &r.metrics {
                    let _ = writeln!(o, "| `{k}` | `{}` |", val(v));
                }
            }
        }
        None => {
            let _ = writeln!(o, "None recorded.");
        }
    }
    let _ = writeln!(o, "\n## Code\n");
    if let Some(c) = &t.code {
        let _ = writeln!(
            o,
            "- Commit: `{}` {}",
            c.commit,
            c.repo.as_deref().unwrap_or("")
        );
        if let Some(a) = &c.author {
            let _ = writeln!(o, "- Author: {a}");
        }
        let _ = writeln!(
            o,
            "- Signed: {}",
            match c.signed {
                Some(true) => "yes (not verified)",
                Some(false) => "no",
                None => "unknown",
            }
        );
        let _ = writeln!(
            o,
            "- Dirty working tree: {}",
            match c.dirty {
                Some(true) => "**yes**",
                Some(false) => "no",
                None => "unknown",
            }
        );
        let _ = writeln!(o, "- Evidence: {}", refs(&c.evidence));
    }
    let _ = writeln!(o, "\n## Datasets\n");
    for d in &t.datasets {
        let ids = d
            .identity
            .iter()
            .map(identity)
            .collect::<Vec<_>>()
            .join("; ");
        let by = d
            .produced_by
            .as_deref()
            .map(|p| format!(", produced by {p}"))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "- `{}`: {ids}{by} (evidence {})",
            d.name,
            refs(&d.evidence)
        );
    }
    if !t.upstream_jobs.is_empty() {
        let _ = writeln!(o, "\n## Upstream jobs\n");
        for j in &t.upstream_jobs {
            let _ = writeln!(
                o,
                "- `{}/{}` run `{}` at {} (evidence {})",
                j.namespace,
                j.name,
                j.run_id.as_deref().unwrap_or("?"),
                j.at,
                refs(&j.evidence)
            );
        }
    }
    if !t.deployments.is_empty() {
        let _ = writeln!(o, "\n## Deployments and approvals\n");
        for d in &t.deployments {
            let _ = writeln!(o, "- {}", deployment_line(d, &t.artifact));
        }
    }
    if !t.findings.is_empty() {
        let _ = writeln!(o, "\n## Broken links\n");
        for f in &t.findings {
            let _ = writeln!(
                o,
                "- **{}**: {} (evidence {})",
                f.code,
                f.message,
                refs(&f.evidence)
            );
        }
    }
    o
}

/// One deployment as a line: when, where, who, under which ticket and pull request, and its evidence.
/// One deployment: when, where, who, ticket, pull request, commit, the deployed digest compared with the
/// traced artifact's LFS oid, and where it came from.
pub(crate) fn deployment_line(d: &serde_json::Value, artifact: &crate::trace::Artifact) -> String {
    let s = |k: &str| d.get(k).and_then(serde_json::Value::as_str);
    let mut parts = vec![
        s("deployed_at").or(s("at")).unwrap_or("?").to_owned(),
        s("environment").unwrap_or("?").to_owned(),
    ];
    if let Some(a) = s("actor") {
        parts.push(format!("by {a}"));
    }
    parts.push(match s("ticket") {
        Some(t) => format!("ticket {t}"),
        None => "no ticket".to_owned(),
    });
    match d.get("pull_request") {
        Some(serde_json::Value::Number(n)) => parts.push(format!("PR #{n}")),
        Some(serde_json::Value::String(p)) => parts.push(format!("PR {p}")),
        _ => {}
    }
    if let Some(c) = s("commit") {
        parts.push(format!("commit {}", crate::trace::short(c)));
    }
    if let Some(digest) = s("digest") {
        let oid = artifact
            .identity
            .iter()
            .find(|i| i.method == "lfs-oid")
            .map(|i| i.value.to_ascii_lowercase());
        let short = &digest[..digest.len().min(19)];
        parts.push(match oid {
            Some(o) if o == digest.to_ascii_lowercase() => format!("digest {short}… = artifact"),
            Some(_) => format!("digest {short}… ≠ artifact (a different file was deployed)"),
            None => format!("digest {short}…"),
        });
    }
    if let Some(origin) = s("origin") {
        parts.push(format!("({origin})"));
    }
    let evidence: Vec<u64> = d
        .get("evidence")
        .and_then(serde_json::Value::as_array)
        .map(|a| a.iter().filter_map(serde_json::Value::as_u64).collect())
        .unwrap_or_default();
    format!("{}   [{}]", parts.join("  "), refs(&evidence))
}
