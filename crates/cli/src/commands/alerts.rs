//! Regression alerts from `assay check`: POST to the webhooks of `[[alerts.webhook]]`, retry with doubling
//! back-off, and record every delivery (attempts, status, error) in the ledger as `custom.alert_delivery`.
//!
//! Delivery uses ureq over rustls (the same client as the MLflow collector): `https://` against the built-in
//! web roots, or against the CA certificates of the webhook's `ca_file`; `http://` for a relay on a private
//! network. Webhook URLs often carry their secret in the path (Slack's do), so only the scheme, host and first
//! path segment are ever printed or stored (`redact`).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Value, json};

use assay_ledger::{Evidence, EvidenceKind, Ledger, NoProgress, Source};
use assay_scope::{Webhook, WebhookFormat};

use super::check::Regression;
use super::ledger::ledger_error;

/// The evidence kind of delivery records.
pub const DELIVERY_KIND: &str = "custom.alert_delivery";

/// One webhook's delivery outcome.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Delivery {
    pub url: String,
    pub delivered: bool,
    pub attempts: u32,
    pub status: Option<u16>,
    pub error: Option<String>,
    /// Ledger index of the delivery record.
    pub recorded_at: Option<u64>,
}

fn body(format: WebhookFormat, regressions: &[Regression], check_index: Option<u64>) -> Value {
    match format {
        WebhookFormat::Slack => {
            let mut text = format!(
                "Assay: {} control(s) regressed since the last check",
                regressions.len()
            );
            for r in regressions {
                text.push_str(&format!(
                    "\n• {} {} → {}: {}",
                    r.control, r.was, r.now, r.reason
                ));
            }
            json!({ "text": text })
        }
        WebhookFormat::Json => json!({
            "event": "assay.check.regression",
            "check_result": check_index,
            "regressions": regressions,
        }),
    }
}

/// The URL with everything after the first path segment, the query and any user info replaced by `…`:
/// `https://hooks.slack.com/services/…`. Safe to print and to store.
pub fn redact(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    let first = segments.next();
    let hidden = segments.next().is_some() || url.contains('?') || authority.contains('@');
    let mut out = if scheme.is_empty() {
        host.to_owned()
    } else {
        format!("{scheme}://{host}")
    };
    if let Some(first) = first {
        out.push('/');
        out.push_str(first);
    }
    if hidden {
        out.push_str("/…");
    }
    out
}

/// Where one webhook goes: its URL (from the file or the environment) and the client that reaches it.
struct Target {
    url: String,
    agent: ureq::Agent,
}

/// Resolve a webhook's URL and TLS roots. An error here is permanent (no retry): a missing variable, an
/// unreadable or empty CA file, a URL that is not http(s).
fn target(hook: &Webhook, base: &Path) -> Result<Target, String> {
    let url = match (&hook.url, &hook.url_env) {
        (Some(u), None) => u.clone(),
        (None, Some(var)) => {
            std::env::var(var).map_err(|_| format!("url_env names ${var}, which is not set"))?
        }
        _ => return Err("the webhook needs exactly one of `url` and `url_env`".to_owned()),
    };
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(format!(
            "`{}` is not an http:// or https:// URL",
            redact(&url)
        ));
    }
    let mut tls = ureq::tls::TlsConfig::builder();
    if let Some(ca) = &hook.ca_file {
        let path = base.join(ca);
        let pem = std::fs::read(&path)
            .map_err(|e| format!("cannot read ca_file {}: {e}", path.display()))?;
        let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&pem)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        if certs.is_empty() {
            return Err(format!(
                "ca_file {} holds no PEM certificate",
                path.display()
            ));
        }
        tls = tls.root_certs(ureq::tls::RootCerts::Specific(Arc::new(certs)));
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .http_status_as_error(false)
        .user_agent(format!("assay/{}", env!("CARGO_PKG_VERSION")))
        .tls_config(tls.build())
        .build()
        .into();
    Ok(Target { url, agent })
}

/// One POST; the HTTP status on an answer. Errors name no secret part of the URL.
fn post(target: &Target, body: &[u8]) -> Result<u16, String> {
    let answer = target
        .agent
        .post(&target.url)
        .header("Content-Type", "application/json")
        .send(body)
        .map_err(|e| e.to_string().replace(&target.url, &redact(&target.url)))?;
    Ok(answer.status().as_u16())
}

/// Send `regressions` to every webhook and record each delivery. Nothing is sent when there are none.
pub fn deliver(
    ledger: &mut Ledger,
    base: &Path,
    hooks: &[Webhook],
    regressions: &[Regression],
    check_index: Option<u64>,
    now: Timestamp,
    backoff: Duration,
) -> Result<Vec<Delivery>, miette::Report> {
    let mut out = Vec::new();
    if regressions.is_empty() {
        return Ok(out);
    }
    for hook in hooks {
        let payload = body(hook.format, regressions, check_index);
        let bytes = serde_json::to_vec(&payload).unwrap_or_default();
        let mut attempts = 0;
        let mut status = None;
        let mut error: Option<String>;
        let mut wait = backoff;
        let shown = hook
            .url
            .as_deref()
            .map(redact)
            .or_else(|| hook.url_env.as_ref().map(|v| format!("${v}")))
            .unwrap_or_default();
        match target(hook, base) {
            Err(e) => error = Some(e),
            Ok(t) => loop {
                attempts += 1;
                match post(&t, &bytes) {
                    Ok(code) if (200..300).contains(&code) => {
                        status = Some(code);
                        error = None;
                        break;
                    }
                    Ok(code) => {
                        status = Some(code);
                        error = Some(format!("HTTP {code}"));
                    }
                    Err(e) => error = Some(e),
                }
                if attempts > hook.retries {
                    break;
                }
                std::thread::sleep(wait);
                wait = wait.saturating_mul(2);
            },
        }
        let delivered = error.is_none();
        let record = Evidence {
            kind: EvidenceKind::Custom(DELIVERY_KIND.to_owned()),
            subject: super::check::CHECK_SUBJECT.to_owned(),
            source: Source {
                collector: "assay check".to_owned(),
                locator: shown.clone(),
            },
            observed_at: now,
            collected_at: now,
            payload: json!({
                "url": shown,
                "format": match hook.format { WebhookFormat::Slack => "slack", WebhookFormat::Json => "json" },
                "delivered": delivered,
                "attempts": attempts,
                "status": status,
                "error": error,
                "check_result": check_index,
                "regressions": regressions.iter().map(|r| r.control.as_str()).collect::<Vec<_>>(),
            }),
            attachments: vec![],
            expires_at: None,
            note: None,
        };
        let stored = ledger
            .append(&[record], &mut NoProgress)
            .map_err(ledger_error)?;
        out.push(Delivery {
            url: shown,
            delivered,
            attempts,
            status,
            error,
            recorded_at: stored.first().map(|o| o.index),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn secrets_in_webhook_urls_are_never_shown() {
        assert_eq!(
            redact("https://hooks.slack.com/services/T000/B000/XXXXSECRET"),
            "https://hooks.slack.com/services/…"
        );
        assert_eq!(
            redact("http://127.0.0.1:8080/hook"),
            "http://127.0.0.1:8080/hook"
        );
        assert_eq!(
            redact("https://user:pw@example.com/a?token=s"),
            "https://example.com/a/…"
        );
        assert_eq!(redact("https://example.com"), "https://example.com");
        assert!(!redact("https://h/x/SECRET").contains("SECRET"));
    }
}
