//! `report.html`: one self-contained page to open anywhere and share. The
//! charts are inlined as SVG, the embedded font is declared once as a data
//! URI, the style sits in the head; no script, no external font, image or
//! stylesheet, nothing from the network.
//!
//! The content is [`super::markdown::Content`], the same as `report.md`.

use super::chart::{self, ComparisonChart, Limit, SkewChart, TimelineChart};
use super::markdown::{self, CHARTS, Content};
use crate::error::Result;
use crate::pipeline::ScenarioResult;
use crate::scenario::Scenario;
use std::fmt::Write;

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Text with `code` spans (Markdown backticks) as `<code>`.
fn inline(s: &str) -> String {
    let mut o = String::new();
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(o, "<code>{}</code>", escape(part));
        } else {
            o.push_str(&escape(part));
        }
    }
    o
}

const CSS: &str = "\
body{margin:0;background:#f6f7f9;color:#1d232b;font:15px/1.5 \"statecap-sans\",sans-serif}
main{max-width:1060px;margin:0 auto;padding:24px 28px 60px;background:#fff}
h1{font-size:26px;margin:8px 0 4px}h2{font-size:20px;margin:32px 0 8px;border-bottom:1px solid #e3e6ea;padding-bottom:4px}
.lead{color:#555;margin:0 0 16px}
.verdict{border-left:6px solid;padding:10px 14px;margin:10px 0;background:#fafafa}
.verdict.ok{border-color:#2c9c3c}.verdict.fail{border-color:#c81e1e;background:#fff5f5}
.verdict b.mark{font-size:18px;margin-right:6px}
.peak{color:#555;font-size:14px}
table.brief{border-collapse:collapse;width:100%}
table.brief th{text-align:left;white-space:nowrap;vertical-align:top;padding:4px 16px 4px 0;color:#555;font-weight:normal}
table.brief td{padding:4px 0}
table.brief tr{border-bottom:1px solid #eef0f3}
figure.chart{margin:8px 0}figure.chart svg{max-width:100%;height:auto;display:block}
figcaption{color:#555;font-size:14px;margin:0 0 6px}
pre{background:#f3f4f6;padding:10px 12px;overflow-x:auto;font-size:13px;line-height:1.4;white-space:pre-wrap;word-break:break-word}
code{background:#f3f4f6;padding:1px 4px;font-size:13px}pre code{padding:0;background:none}
footer{color:#888;font-size:13px;margin-top:40px}
";

/// The page, with the given charts (file stem → chart) inlined.
pub fn render(c: &Content, charts: &[(&str, String)]) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>statecap report: {}</title>\n<style>\n{}\n{CSS}</style>\n</head>\n<body>\n<main>\n",
        escape(&c.name),
        chart::font_face_css()
    );
    let _ = writeln!(o, "<h1>statecap report: {}</h1>", escape(&c.name));
    if let Some(d) = &c.description {
        let _ = writeln!(o, "<p class=\"lead\">{}</p>", escape(d));
    }
    let _ = writeln!(o, "<section id=\"verdict\">\n<h2>Verdict</h2>");
    for v in &c.verdicts {
        let (class, mark) = if v.ok { ("ok", "✓") } else { ("fail", "✗") };
        let _ = writeln!(
            o,
            "<div class=\"verdict {class}\"><b class=\"mark\">{mark}</b><b>operator '{}'</b>: {}<div class=\"peak\">{}.</div>",
            escape(&v.operator),
            escape(&v.text),
            escape(&v.peak)
        );
        if let Some(m) = &v.flink_message {
            let _ = writeln!(
                o,
                "<p>Flink logs:</p><pre><code>java.io.IOException: {}</code></pre>",
                escape(m)
            );
        }
        o.push_str("</div>\n");
    }
    o.push_str("</section>\n<section id=\"brief\">\n<h2>The scenario in brief</h2>\n<table class=\"brief\">\n");
    for (k, v) in &c.brief {
        let _ = writeln!(o, "<tr><th>{}</th><td>{}</td></tr>", escape(k), escape(v));
    }
    o.push_str("</table>\n</section>\n");
    for ch in CHARTS {
        let Some((_, svg)) = charts.iter().find(|(f, _)| *f == ch.file) else {
            continue;
        };
        let _ = writeln!(
            o,
            "<section id=\"{0}\">\n<h2>{1}</h2>\n<figure class=\"chart\" id=\"chart-{0}\">\n<figcaption>{2}</figcaption>\n{3}\n</figure>\n</section>",
            ch.file,
            escape(ch.heading),
            escape(ch.caption),
            strip_xml_prolog(svg)
        );
    }
    o.push_str("<section id=\"recommendation\">\n<h2>Recommendation</h2>\n");
    for t in &c.recommendation {
        let _ = writeln!(o, "<p>{}</p>", inline(t));
    }
    if let Some(conf) = &c.recommended_conf {
        let _ = writeln!(
            o,
            "<p>Paste into {}:</p>\n<pre><code>{}</code></pre>",
            escape(conf.file_name()),
            escape(&conf.file_text(""))
        );
        let _ = writeln!(
            o,
            "<p>Or in the job's code:</p>\n<pre><code>{}</code></pre>",
            escape(&conf.java.join("\n"))
        );
        let _ = writeln!(
            o,
            "<p>Or in the SQL client:</p>\n<pre><code>{}</code></pre>",
            escape(&conf.sql.join("\n"))
        );
    }
    o.push_str("</section>\n<section id=\"configuration\">\n<h2>Configuration</h2>\n<p>How Flink resolves it:</p>\n<ul>\n");
    for r in &c.resolution {
        let _ = writeln!(o, "<li>{}</li>", escape(r));
    }
    o.push_str("</ul>\n");
    if !c.flink_conf.is_empty() {
        let _ = writeln!(
            o,
            "<p>The configuration file as given:</p>\n<pre><code>{}</code></pre>",
            escape(&c.flink_conf)
        );
    }
    if let Some(t) = &c.scenario_toml {
        let _ = writeln!(
            o,
            "<details><summary>The scenario file</summary>\n<pre><code>{}</code></pre>\n</details>",
            escape(t.trim_end())
        );
    }
    let _ = writeln!(
        o,
        "</section>\n<footer>Written by statecap {}. Self-contained: charts inline, font embedded, nothing loaded from elsewhere.</footer>\n</main>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION")
    );
    o
}

fn strip_xml_prolog(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

/// The charts of a run (PNG + SVG), `report.html` and `report.md`, as
/// output files. `budgets` are extra limit lines (a user's own budget).
pub fn outputs(
    s: &Scenario,
    r: &ScenarioResult,
    budgets: &[Limit],
) -> Result<Vec<(&'static str, Vec<u8>)>> {
    let limits = markdown::limits(s, budgets);
    let timeline = TimelineChart::new(s, r, limits.clone());
    let skew = SkewChart::new(s, r, limits.clone());
    let comparison = ComparisonChart::for_run(s, r, limits);
    let content = markdown::content(s, r, budgets);
    let inline = [
        ("timeline", chart::svg_inline(&timeline)?),
        ("skew", chart::svg_inline(&skew)?),
        ("comparison", chart::svg_inline(&comparison)?),
    ];
    Ok(vec![
        ("timeline.png", chart::png(&timeline)?),
        ("timeline.svg", chart::svg(&timeline)?),
        ("skew.png", chart::png(&skew)?),
        ("skew.svg", chart::svg(&skew)?),
        ("comparison.png", chart::png(&comparison)?),
        ("comparison.svg", chart::svg(&comparison)?),
        ("report.html", render(&content, &inline).into_bytes()),
        ("report.md", markdown::render(&content).into_bytes()),
    ])
}
