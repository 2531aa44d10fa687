//! Regression alerts from `assay check`: POST to the webhooks of `[[alerts.webhook]]`, retry with doubling
//! back-off, and record every delivery (attempts, status, error) in the ledger as `custom.alert_delivery`.
//!
//! The HTTP client is a minimal HTTP/1.1 POST over `std::net::TcpStream` for `http://` URLs (no TLS in this
//! build); an `https://` webhook is recorded as not delivered with a reason that says so.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
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

/// `http://host[:port]/path` → (host, port, path).
fn parse_http(url: &str) -> Result<(String, u16, String), String> {
    let Some(rest) = url.strip_prefix("http://") else {
        return Err(if url.starts_with("https://") {
            "https webhooks need TLS, which this build does not include; use an http:// relay"
                .to_owned()
        } else {
            format!("`{url}` is not an http:// URL")
        });
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (
            h,
            p.parse::<u16>()
                .map_err(|_| format!("`{p}` is not a port number in `{url}`"))?,
        ),
        None => (authority, 80),
    };
    if host.is_empty() {
        return Err(format!("`{url}` names no host"));
    }
    Ok((host.to_owned(), port, path.to_owned()))
}

/// One POST; the HTTP status on an answer.
fn post(url: &str, body: &[u8]) -> Result<u16, String> {
    let (host, port, path) = parse_http(url)?;
    let addr = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .next()
        .ok_or_else(|| format!("cannot resolve {host}"))?;
    let timeout = Duration::from_secs(5);
    let mut stream =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("cannot connect: {e}"))?;
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_write_timeout(Some(timeout));
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: assay/{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION"),
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .and_then(|_| stream.write_all(body))
        .map_err(|e| format!("cannot send: {e}"))?;
    let mut answer = Vec::new();
    let _ = stream.take(64 * 1024).read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    let status_line = text.lines().next().unwrap_or("");
    status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("no HTTP status in the answer `{status_line}`"))
}

/// Send `regressions` to every webhook and record each delivery. Nothing is sent when there are none.
pub fn deliver(
    ledger: &mut Ledger,
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
        loop {
            attempts += 1;
            match post(&hook.url, &bytes) {
                Ok(code) if (200..300).contains(&code) => {
                    status = Some(code);
                    error = None;
                    break;
                }
                Ok(code) => {
                    status = Some(code);
                    error = Some(format!("HTTP {code}"));
                }
                Err(e) => {
                    let permanent = e.contains("TLS") || e.contains("not an http");
                    error = Some(e);
                    if permanent {
                        break;
                    }
                }
            }
            if attempts > hook.retries {
                break;
            }
            std::thread::sleep(wait);
            wait = wait.saturating_mul(2);
        }
        let delivered = error.is_none();
        let record = Evidence {
            kind: EvidenceKind::Custom(DELIVERY_KIND.to_owned()),
            subject: super::check::CHECK_SUBJECT.to_owned(),
            source: Source {
                collector: "assay check".to_owned(),
                locator: hook.url.clone(),
            },
            observed_at: now,
            collected_at: now,
            payload: json!({
                "url": hook.url,
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
            url: hook.url.clone(),
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
    use super::parse_http;

    #[test]
    fn urls_are_split_or_refused_with_a_reason() {
        assert_eq!(
            parse_http("http://127.0.0.1:8080/hook").expect("ok"),
            ("127.0.0.1".to_owned(), 8080, "/hook".to_owned())
        );
        assert_eq!(parse_http("http://example.invalid").expect("ok").2, "/");
        assert!(
            parse_http("https://hooks.slack.com/x")
                .expect_err("tls")
                .contains("TLS")
        );
        assert!(parse_http("ftp://x").is_err());
        assert!(parse_http("http://h:99999/").is_err());
    }
}
