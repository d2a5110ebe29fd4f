//! The HTML report of an evaluation run: one self-contained file (inline CSS, no scripts or
//! external assets) with the summary and its intervals, the comparisons with regressions
//! highlighted, and every item with its answer, citations and grounding.

use std::fmt::Write;

use super::metrics::METRICS;
use super::result::{Comparison, EvalResult, ItemResult, Metric};

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:1em 0;width:100%}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.worse{background:#fde2e1}.better{background:#e1f5e4}.muted{color:#777}.warn{background:#fff6d6;padding:.5em 1em;border-left:4px solid #e0b100}
details{margin:.3em 0}summary{cursor:pointer}.unsupported{background:#fde2e1}.cite{color:#555;font-size:90%}code{font-size:90%}";

/// Renders the report.
pub fn html(result: &EvalResult) -> String {
    let run = &result.run;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>cairn eval: {}</title><style>{STYLE}</style></head><body>",
        esc(&run.dataset)
    );
    let _ = write!(
        out,
        "<h1>Evaluation of <code>{}</code> on <code>{}</code></h1><p class=\"muted\">run {} · dataset version {} · {} items · collection of {} chunks · cairn {} · {} to {}</p>",
        esc(&run.dataset),
        esc(&run.collection),
        esc(&run.id),
        esc(&run.dataset_version),
        result.items.len() / run.variant_order.len().max(1),
        run.points,
        esc(&run.cairn_version),
        run.started.format("%Y-%m-%d %H:%M:%S UTC"),
        run.finished.format("%H:%M:%S UTC"),
    );
    for w in &result.warnings {
        let _ = write!(out, "<p class=\"warn\">{}</p>", esc(w));
    }
    summary(&mut out, result);
    for c in &result.comparisons {
        comparison(&mut out, c);
    }
    items(&mut out, result);
    out.push_str("</body></html>\n");
    out
}

fn summary(out: &mut String, result: &EvalResult) {
    out.push_str("<h2>Summary</h2><table><tr><th>metric</th>");
    for v in &result.run.variant_order {
        let info = result.run.variants.get(v);
        let _ = write!(
            out,
            "<th>{}<br><span class=\"muted\">{} · {} · {}</span></th>",
            esc(v),
            esc(info.map_or("", |i| i.model.as_str())),
            esc(info.map_or("", |i| i.prompt_version.as_str())),
            esc(info.map_or("", |i| i.config_hash.as_str())),
        );
    }
    out.push_str("</tr>");
    for m in METRICS {
        let _ = write!(
            out,
            "<tr><td><b>{}</b><br><span class=\"muted\">{}</span></td>",
            m.name,
            esc(m.about)
        );
        for v in &result.run.variant_order {
            let metric = result.metrics.get(v).and_then(|ms| ms.get(m.name));
            let _ = write!(out, "<td class=\"num\">{}</td>", metric_cell(metric));
        }
        out.push_str("</tr>");
    }
    out.push_str("</table><p class=\"muted\">Intervals: 95% percentile bootstrap over items (2,000 resamples, fixed seed). n: items the metric applies to.</p>");
}

fn metric_cell(metric: Option<&Metric>) -> String {
    match metric {
        Some(Metric {
            value: Some(v),
            ci95,
            n,
        }) => {
            let ci = ci95.map_or(String::new(), |[lo, hi]| format!(" [{lo:.3}, {hi:.3}]"));
            format!("{v:.3}<span class=\"muted\">{ci} n={n}</span>")
        }
        _ => "<span class=\"muted\">no data</span>".into(),
    }
}

fn comparison(out: &mut String, c: &Comparison) {
    let _ = write!(
        out,
        "<h2>{} against {}</h2><ul>",
        esc(&c.candidate),
        esc(&c.baseline)
    );
    for s in &c.summary {
        let _ = write!(out, "<li>{}</li>", esc(s));
    }
    out.push_str("</ul><table><tr><th>metric</th><th>delta</th><th>95% CI</th><th>p-value</th><th>test</th><th>n</th></tr>");
    for m in METRICS {
        let Some(d) = c.metrics.get(m.name) else {
            continue;
        };
        let significant = d.p_value.is_some_and(|p| p < 0.05);
        let class = match d.delta {
            Some(x) if significant && x != 0.0 => {
                if (x > 0.0) == m.higher_is_better {
                    "better"
                } else {
                    "worse"
                }
            }
            _ => "",
        };
        let _ = write!(
            out,
            "<tr class=\"{class}\"><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            m.name,
            d.delta.map_or("–".into(), |x| format!("{x:+.3}")),
            d.ci95.map_or("–".into(), |[lo, hi]| format!("[{lo:+.3}, {hi:+.3}]")),
            d.p_value.map_or("–".into(), |p| esc(&super::metrics::p_text(p).replace("= ", ""))),
            d.test.name(),
            d.n
        );
    }
    let _ = write!(
        out,
        "</table><p><b>Regressed</b> ({}): {}</p><p><b>Improved</b> ({}): {}</p>",
        c.regressed.len(),
        esc(&listed(&c.regressed)),
        c.improved.len(),
        esc(&listed(&c.improved))
    );
}

fn items(out: &mut String, result: &EvalResult) {
    let regressed: Vec<(&str, &str)> = result
        .comparisons
        .iter()
        .flat_map(|c| {
            c.regressed
                .iter()
                .map(move |id| (c.candidate.as_str(), id.as_str()))
        })
        .collect();
    out.push_str("<h2 id=\"items\">Items</h2><table><tr><th>id</th><th>variant</th><th>question</th><th>answer</th><th>hit@5</th><th>kw</th><th>grounded</th><th>ms</th></tr>");
    for i in &result.items {
        let class = if regressed.contains(&(i.variant.as_str(), i.id.as_str())) {
            " class=\"worse\""
        } else {
            ""
        };
        let _ = write!(
            out,
            "<tr{class}><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{:.0}</td></tr>",
            esc(&i.id),
            esc(&i.variant),
            esc(&i.question),
            if i.answerable { "" } else { " <span class=\"muted\">(unanswerable)</span>" },
            answer_cell(i),
            i.hit_at_5.map_or("–", |h| if h { "yes" } else { "no" }),
            i.keyword_recall.map_or("–".into(), |k| format!("{k:.2}")),
            match i.hallucinated {
                None => "–",
                Some(true) => "no",
                Some(false) => "yes",
            },
            i.latency_ms.total,
        );
    }
    out.push_str("</table>");
}

fn answer_cell(i: &ItemResult) -> String {
    if let Some(e) = &i.error {
        return format!("<i>failed: {}</i>", esc(e));
    }
    let mut cell = format!(
        "{}{}",
        if i.abstained {
            "<i>abstained:</i> "
        } else {
            ""
        },
        esc(&i.answer)
    );
    if !i.citations.is_empty() || i.grounding.is_some() {
        cell.push_str("<details><summary>citations and grounding</summary>");
        for c in &i.citations {
            let _ = write!(
                cell,
                "<div class=\"cite\">[{}] <b>{}</b> {} ({:.2}): {}</div>",
                c.n,
                esc(&c.source),
                esc(&c.heading),
                c.score,
                esc(&c.snippet)
            );
        }
        for s in i.grounding.iter().flat_map(|g| &g.sentences) {
            let missing = if s.missing.is_empty() {
                String::new()
            } else {
                format!(
                    " <span class=\"muted\">missing: {}</span>",
                    esc(&s.missing.join(", "))
                )
            };
            let _ = write!(
                cell,
                "<div{}>{:.2} {}{missing}</div>",
                if s.supported {
                    ""
                } else {
                    " class=\"unsupported\""
                },
                s.score,
                esc(&s.text)
            );
        }
        let _ = write!(
            cell,
            "<div class=\"muted\">retrieved: {}</div></details>",
            esc(&i.retrieved.join(", "))
        );
    }
    cell
}

/// Item ids, or "none".
pub fn listed(ids: &[String]) -> String {
    if ids.is_empty() {
        "none".to_owned()
    } else {
        ids.join(", ")
    }
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
