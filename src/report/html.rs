//! `report.html`: one self-contained page to open anywhere and share. The
//! charts are inlined as SVG, the embedded font is declared once as a data
//! URI, the style sits in the head; no script, no external font, image or
//! stylesheet, nothing from the network. Long tables fold away in
//! `<details>`.
//!
//! It renders a [`Document`], the same as `report.md`
//! ([`super::markdown`]); what to say is decided by the section builders.

use super::chart;
use super::document::{Block, Document};
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

/// Text with `code` spans (Markdown backticks) as `<code>` and `**bold**`
/// as `<b>`.
fn inline(s: &str) -> String {
    let mut o = String::new();
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(o, "<code>{}</code>", escape(part));
        } else {
            for (j, run) in part.split("**").enumerate() {
                if j % 2 == 1 {
                    let _ = write!(o, "<b>{}</b>", escape(run));
                } else {
                    o.push_str(&escape(run));
                }
            }
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
.verdict .detail{color:#555;font-size:14px}
table{border-collapse:collapse}
table.pairs{width:100%}
table.pairs th{text-align:left;white-space:nowrap;vertical-align:top;padding:4px 16px 4px 0;color:#555;font-weight:normal}
table.pairs td{padding:4px 0}
table.pairs tr{border-bottom:1px solid #eef0f3}
table.grid{font-size:13px;margin:6px 0}
table.grid th{text-align:left;border-bottom:2px solid #d5d9de;padding:4px 10px 4px 0;vertical-align:bottom}
table.grid td{border-bottom:1px solid #eef0f3;padding:3px 10px 3px 0;vertical-align:top}
table.grid .num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.grid tr.failed td{background:#fff0f0;color:#a01010}
details{margin:8px 0}summary{cursor:pointer;color:#1f5fa8}
figure.chart{margin:8px 0}figure.chart svg{max-width:100%;height:auto;display:block}
figcaption{color:#555;font-size:14px;margin:0 0 6px}
pre{background:#f3f4f6;padding:10px 12px;overflow-x:auto;font-size:13px;line-height:1.4;white-space:pre-wrap;word-break:break-word}
code{background:#f3f4f6;padding:1px 4px;font-size:13px}pre code{padding:0;background:none}
footer{color:#666;font-size:13px;margin-top:40px;border-top:1px solid #e3e6ea;padding-top:8px}
";

/// The page.
pub fn render(d: &Document) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{}\n{CSS}</style>\n</head>\n<body>\n<main>\n",
        escape(&d.title),
        chart::font_face_css()
    );
    let _ = writeln!(o, "<h1>{}</h1>", escape(&d.title));
    if let Some(l) = &d.lead {
        let _ = writeln!(o, "<p class=\"lead\">{}</p>", escape(l));
    }
    for s in &d.sections {
        let _ = writeln!(
            o,
            "<section id=\"{}\">\n<h2>{}</h2>",
            escape(&s.id),
            escape(&s.heading)
        );
        for b in &s.blocks {
            block(&mut o, b);
        }
        o.push_str("</section>\n");
    }
    let _ = writeln!(
        o,
        "<footer>{}</footer>\n</main>\n</body>\n</html>",
        inline(&d.footer)
    );
    o
}

fn block(o: &mut String, b: &Block) {
    match b {
        Block::Para(t) => {
            let _ = writeln!(o, "<p>{}</p>", inline(t));
        }
        Block::List(items) => {
            o.push_str("<ul>\n");
            for i in items {
                let _ = writeln!(o, "<li>{}</li>", inline(i));
            }
            o.push_str("</ul>\n");
        }
        Block::Verdict {
            ok,
            head,
            text,
            detail,
            log,
        } => {
            let (class, mark) = if *ok { ("ok", "✓") } else { ("fail", "✗") };
            let _ = write!(
                o,
                "<div class=\"verdict {class}\"><b class=\"mark\">{mark}</b><b>{}</b>: {}",
                escape(head),
                inline(text)
            );
            if let Some(d) = detail {
                let _ = write!(o, "<div class=\"detail\">{}</div>", inline(d));
            }
            if let Some(l) = log {
                let _ = write!(o, "<p>Flink logs:</p><pre><code>{}</code></pre>", escape(l));
            }
            o.push_str("</div>\n");
        }
        Block::Pairs(pairs) => {
            o.push_str("<table class=\"pairs\">\n");
            for (k, v) in pairs {
                let _ = writeln!(o, "<tr><th>{}</th><td>{}</td></tr>", escape(k), inline(v));
            }
            o.push_str("</table>\n");
        }
        Block::Table { head, rows, right } => {
            let num = |i: usize| right.get(i).copied().unwrap_or(false);
            o.push_str("<table class=\"grid\">\n<thead><tr>");
            for (i, h) in head.iter().enumerate() {
                let _ = write!(
                    o,
                    "<th{}>{}</th>",
                    if num(i) { " class=\"num\"" } else { "" },
                    escape(h)
                );
            }
            o.push_str("</tr></thead>\n<tbody>\n");
            for r in rows {
                // A row whose status says FAILED stands out.
                let failed = r.iter().any(|c| c.starts_with("FAILED"));
                o.push_str(if failed {
                    "<tr class=\"failed\">"
                } else {
                    "<tr>"
                });
                for (i, c) in r.iter().enumerate() {
                    let _ = write!(
                        o,
                        "<td{}>{}</td>",
                        if num(i) { " class=\"num\"" } else { "" },
                        inline(c)
                    );
                }
                o.push_str("</tr>\n");
            }
            o.push_str("</tbody>\n</table>\n");
        }
        Block::Details { summary, blocks } => {
            let _ = writeln!(o, "<details><summary>{}</summary>", inline(summary));
            for b in blocks {
                block(o, b);
            }
            o.push_str("</details>\n");
        }
        Block::Code { text, .. } => {
            let _ = writeln!(
                o,
                "<pre><code>{}</code></pre>",
                escape(text.trim_end_matches('\n'))
            );
        }
        Block::Chart { file, caption, svg } => {
            let _ = writeln!(
                o,
                "<figure class=\"chart\" id=\"chart-{}\">\n<figcaption>{}</figcaption>\n{}\n</figure>",
                escape(file),
                inline(caption),
                strip_xml_prolog(svg)
            );
        }
    }
}

fn strip_xml_prolog(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}
