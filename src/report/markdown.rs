//! `report.md`: the report for a pull request or a design review, the same
//! [`Document`] as `report.html` ([`super::html`]) in Markdown. Charts are
//! image links to the SVG files beside it (`timeline.svg`); long tables
//! fold away in `<details>`, which GitHub and GitLab render.

use super::chart::Limit;
use super::document::{Block, Document};
use crate::flink::{Backend, Storage};
use crate::scenario::Scenario;
use std::fmt::Write;

/// The limits drawn on a scenario's charts: the JobManager storage limit,
/// if the storage has one, then `extra` (a user's budget).
pub fn limits(s: &Scenario, extra: &[Limit]) -> Vec<Limit> {
    let mut v = Vec::new();
    if let Storage::JobManager { max_state_size } = s.config.storage {
        v.push(Limit {
            label: if s.config.backend == Backend::Memory {
                "MemoryStateBackend limit".into()
            } else {
                "JobManager storage limit".into()
            },
            bytes: max_state_size,
        });
    }
    v.extend(extra.iter().cloned());
    v
}

/// A window operator in words.
pub fn describe_operator(s: &Scenario, i: usize) -> String {
    super::format::describe_operator(s, i, super::format::Wording::Report)
}

/// A table cell: no line break, no column separator.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// `report.md`.
pub fn render(d: &Document) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# {}\n", d.title);
    if let Some(l) = &d.lead {
        let _ = writeln!(o, "> {l}\n");
    }
    for s in &d.sections {
        let _ = writeln!(o, "## {}\n", s.heading);
        for b in &s.blocks {
            block(&mut o, b);
        }
    }
    let _ = writeln!(o, "---\n\n{}", d.footer);
    o
}

fn block(o: &mut String, b: &Block) {
    match b {
        Block::Para(t) => {
            let _ = writeln!(o, "{t}\n");
        }
        Block::List(items) => {
            for i in items {
                let _ = writeln!(o, "- {}", i.replace('\n', " "));
            }
            o.push('\n');
        }
        Block::Verdict {
            ok,
            head,
            text,
            detail,
            log,
        } => {
            let mark = if *ok { "✓" } else { "✗" };
            let _ = writeln!(o, "- {mark} **{head}**: {text}");
            if let Some(d) = detail {
                let _ = writeln!(o, "  {d}");
            }
            if let Some(l) = log {
                let _ = writeln!(o, "\n  Flink logs:\n\n  ```\n  {l}\n  ```");
            }
            o.push('\n');
        }
        Block::Pairs(pairs) => {
            let _ = writeln!(o, "| | |\n|---|---|");
            for (k, v) in pairs {
                let _ = writeln!(o, "| {} | {} |", cell(k), cell(v));
            }
            o.push('\n');
        }
        Block::Table { head, rows, right } => {
            let _ = writeln!(
                o,
                "| {} |",
                head.iter().map(|h| cell(h)).collect::<Vec<_>>().join(" | ")
            );
            let rule: Vec<&str> = (0..head.len())
                .map(|i| {
                    if right.get(i).copied().unwrap_or(false) {
                        "---:"
                    } else {
                        "---"
                    }
                })
                .collect();
            let _ = writeln!(o, "|{}|", rule.join("|"));
            for r in rows {
                let _ = writeln!(
                    o,
                    "| {} |",
                    r.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
                );
            }
            o.push('\n');
        }
        Block::Details { summary, blocks } => {
            let _ = writeln!(o, "<details><summary>{summary}</summary>\n");
            for b in blocks {
                block(o, b);
            }
            let _ = writeln!(o, "</details>\n");
        }
        Block::Code { lang, text } => {
            let _ = writeln!(o, "```{lang}\n{}\n```\n", text.trim_end_matches('\n'));
        }
        Block::Chart { file, caption, .. } => {
            let _ = writeln!(o, "{caption}\n\n![{file}]({file}.svg)\n");
        }
    }
}
