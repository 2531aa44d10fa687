//! The self-contained HTML drift page: one table and an inline-SVG histogram per column.

use std::fmt::Write as _;

use assay_data::drift::{DriftReport, Histogram};
use jiff::Timestamp;

use super::fmt_score;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn svg(h: &Histogram) -> String {
    let (w, ht, pad) = (480.0, 140.0, 18.0);
    let n = h.labels.len().max(1) as f64;
    let max = h
        .reference
        .iter()
        .chain(&h.current)
        .copied()
        .fold(0.0f64, f64::max)
        .max(1e-12);
    let slot = (w - 2.0 * pad) / n;
    let bar = slot * 0.4;
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{}" role="img">"#,
        ht + 30.0
    );
    for (i, label) in h.labels.iter().enumerate() {
        let x = pad + slot * i as f64;
        for (k, (v, class)) in [(h.reference[i], "ref"), (h.current[i], "cur")]
            .into_iter()
            .enumerate()
        {
            let bh = v / max * (ht - pad);
            let _ = write!(
                s,
                r#"<rect class="{class}" x="{:.1}" y="{:.1}" width="{bar:.1}" height="{bh:.1}"><title>{}: {:.2}%</title></rect>"#,
                x + k as f64 * bar,
                ht - bh,
                esc(label),
                v * 100.0
            );
        }
        if h.labels.len() <= 15 || i % 4 == 0 {
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{:.1}" font-size="9" transform="rotate(30 {:.1} {:.1})">{}</text>"#,
                x,
                ht + 10.0,
                x,
                ht + 10.0,
                esc(&label.chars().take(12).collect::<String>())
            );
        }
    }
    s.push_str("</svg>");
    s
}

pub fn drift_page(r: &DriftReport, now: Timestamp) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Drift report</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse}}
td,th{{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}}.drift{{color:#b00;font-weight:bold}}
.ok{{color:#070}}rect.ref{{fill:#8899aa}}rect.cur{{fill:#e07b39}}section{{margin:1.5em 0}}
.legend span{{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}}</style></head><body>
<h1>Drift report</h1><p>Current <code>{}</code> ({} rows) against reference <code>{}</code> ({} rows), generated {}.</p>
<p class="{}">{} of {} columns drifted ({:.0}%; the dataset drifts at {:.0}%).</p>"#,
        esc(&r.current.path),
        r.current.rows,
        esc(&r.reference.path),
        r.reference.rows,
        now,
        if r.dataset_drift { "drift" } else { "ok" },
        r.drifted_columns,
        r.columns.len(),
        r.share_of_drifted_columns * 100.0,
        r.drift_share * 100.0
    );
    o.push_str("<table><tr><th>column</th><th>type</th><th>test</th><th>score</th><th>threshold</th><th>result</th></tr>");
    for c in &r.columns {
        let _ = write!(
            o,
            r##"<tr><td><a href="#c-{0}">{0}</a></td><td>{1:?}</td><td>{2}</td><td>{3}</td><td>{4}</td><td class="{5}">{6}</td></tr>"##,
            esc(&c.column),
            c.kind,
            c.test.name(),
            fmt_score(c.score),
            fmt_score(c.threshold),
            if c.drifted { "drift" } else { "ok" },
            if c.drifted { "DRIFT" } else { "ok" }
        );
    }
    o.push_str("</table>");
    if let Some(p) = &r.performance {
        let _ = write!(
            o,
            "<h2>Performance ({})</h2><table><tr><th>metric</th><th>reference</th><th>current</th><th>result</th></tr>",
            esc(&p.task)
        );
        for m in &p.metrics {
            let _ = write!(
                o,
                r#"<tr><td>{}</td><td>{}</td><td>{}</td><td class="{}">{}</td></tr>"#,
                m.metric,
                fmt_score(m.reference),
                fmt_score(m.current),
                if m.degraded { "drift" } else { "ok" },
                if m.degraded { "DEGRADED" } else { "ok" }
            );
        }
        o.push_str("</table>");
    }
    o.push_str(r#"<p class="legend"><span style="background:#8899aa"></span>reference<span style="background:#e07b39"></span>current</p>"#);
    for c in &r.columns {
        let _ = write!(
            o,
            r#"<section id="c-{0}"><h3>{0}</h3><p>{1} = {2} (threshold {3})</p>"#,
            esc(&c.column),
            esc(&c.score_name),
            fmt_score(c.score),
            fmt_score(c.threshold)
        );
        if let Some(h) = &c.histogram {
            o.push_str(&svg(h));
        }
        o.push_str("</section>");
    }
    o.push_str("</body></html>\n");
    o
}
