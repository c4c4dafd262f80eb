//! `report.md`: the report for a pull request, and the content that
//! `report.html` shows too. [`Content`] gathers what a reader needs (the
//! scenario in brief, the verdict, the recommendation, the configuration);
//! this module renders it as Markdown with the charts as image links
//! (`timeline.svg`, beside the file), [`super::html`] as one self-contained
//! page.

use super::chart::Limit;
use super::table::group;
use crate::backend::CheckpointStatus;
use crate::flink::emit::Emitted;
use crate::flink::units::{human_bytes, human_duration_ms};
use crate::flink::{Backend, Storage};
use crate::pipeline::{OperatorResult, ScenarioResult};
use crate::scenario::{CheckpointTrigger, KeyDistribution, KeyType, Scenario, SizeDistribution};
use std::fmt::Write;

/// One chart of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartRef {
    /// File stem: `timeline` (`timeline.svg`, `timeline.png`).
    pub file: &'static str,
    /// Section heading.
    pub heading: &'static str,
    /// What to look at.
    pub caption: &'static str,
}

/// The charts of a run, in report order.
pub const CHARTS: [ChartRef; 3] = [
    ChartRef {
        file: "timeline",
        heading: "Timeline",
        caption: "State bytes of every subtask at every checkpoint: the subtask that reaches the \
                  peak as a line, the others as a band; failed checkpoints in red; the limit dashed.",
    },
    ChartRef {
        file: "skew",
        heading: "Skew at the peak checkpoint",
        caption: "Bytes per subtask and per key group when the largest subtask peaks.",
    },
    ChartRef {
        file: "comparison",
        heading: "Backend comparison",
        caption: "Peak snapshot, upload per checkpoint and memory per subtask, per backend option.",
    },
];

/// A verdict line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The operator.
    pub operator: String,
    /// Every checkpoint completes (and stays under any budget).
    pub ok: bool,
    /// One sentence.
    pub text: String,
    /// Where the peak is.
    pub peak: String,
    /// Flink's exception text for the first failure.
    pub flink_message: Option<String>,
}

/// Everything the report says, before it is formatted.
#[derive(Debug, Clone, PartialEq)]
pub struct Content {
    /// Scenario name.
    pub name: String,
    /// The scenario's free text.
    pub description: Option<String>,
    /// The scenario in brief: (what, value).
    pub brief: Vec<(String, String)>,
    /// One per operator.
    pub verdicts: Vec<Verdict>,
    /// What to do, in sentences.
    pub recommendation: Vec<String>,
    /// Configuration to paste into the Flink configuration file, if any.
    pub recommended_conf: Option<Emitted>,
    /// How Flink resolves the configuration, one line per decision.
    pub resolution: Vec<String>,
    /// The scenario's `[flink_conf]`, as Flink configuration lines.
    pub flink_conf: String,
    /// The scenario file.
    pub scenario_toml: Option<String>,
}

/// The limits drawn on a run's charts: the JobManager storage limit, if
/// the storage has one, then `extra` (a user's budget).
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

fn source_brief(s: &Scenario) -> String {
    let src = &s.source;
    let keys = match src.key_distribution {
        KeyDistribution::Uniform => format!("{} keys, uniform", group(src.keys)),
        KeyDistribution::Zipf(e) => format!("{} keys, zipf {e}", group(src.keys)),
    };
    let kt = match src.key_type {
        KeyType::Long => "Long".to_string(),
        KeyType::Int => "Integer".to_string(),
        KeyType::String(n) => format!("String of {n} chars"),
    };
    let size = match src.record_bytes {
        SizeDistribution::Fixed(b) => format!("{b} B records"),
        d => format!(
            "records of {} on average",
            human_bytes(d.mean().round() as u64)
        ),
    };
    let played = if src.trace.is_some() {
        "replayed from a trace".to_string()
    } else {
        format!(
            "{} records ({})",
            group(src.records),
            human_duration_ms((src.records as f64 * 1000.0 / src.events_per_second) as i64)
        )
    };
    format!(
        "{} records/s, {played}; {keys} ({kt}); {size}",
        group(src.events_per_second.round() as u64)
    )
}

/// A window operator in words.
pub fn describe_operator(s: &Scenario, i: usize) -> String {
    super::format::describe_operator(s, i, super::format::Wording::Report)
}

fn verdict(s: &Scenario, r: &ScenarioResult, op: &OperatorResult, extra: &[Limit]) -> Verdict {
    let sum = super::summarize(s, r, op);
    let failed: Vec<&crate::pipeline::CheckpointResult> = op
        .checkpoints
        .iter()
        .filter(|c| matches!(c.status, CheckpointStatus::Failed { .. }))
        .collect();
    let peak = op.peak.map(|i| &op.checkpoints[i]);
    let peak_text = match peak {
        Some(p) => {
            let t = p.max_subtask();
            format!(
                "peak at checkpoint {} ({} records, {}): subtask {} holds {} in key groups {}-{}",
                p.checkpoint,
                group(p.records),
                human_duration_ms(p.time_ms),
                t.subtask,
                human_bytes(t.state_bytes),
                t.key_group_start,
                t.key_group_end
            )
        }
        None => "no checkpoint within the records played".into(),
    };
    let over_budget: Vec<&Limit> = extra
        .iter()
        .filter(|l| sum.peak_subtask_bytes > l.bytes)
        .collect();
    let (ok, text, msg) = if let Some(first) = failed.first() {
        let list: Vec<String> = failed
            .iter()
            .take(12)
            .map(|c| c.checkpoint.to_string())
            .collect();
        let (subtask, size, max, message) = match &first.status {
            CheckpointStatus::Failed {
                subtask,
                size,
                max_size,
                message,
                ..
            } => (*subtask, *size, *max_size, Some(message.clone())),
            CheckpointStatus::Completed => (0, 0, 0, None),
        };
        (
            false,
            format!(
                "{} of {} checkpoints FAIL (checkpoint {}{}). The first is checkpoint {} after {} \
                 records: subtask {subtask} writes {}, over the {} limit.",
                failed.len(),
                op.checkpoints.len(),
                list.join(", "),
                if failed.len() > 12 { ", …" } else { "" },
                first.checkpoint,
                group(first.records),
                human_bytes(size),
                human_bytes(max)
            ),
            message,
        )
    } else if let Some(l) = over_budget.first() {
        (
            false,
            format!(
                "Every checkpoint completes, but the largest subtask reaches {}, over the {}.",
                human_bytes(sum.peak_subtask_bytes),
                l.text()
            ),
            None,
        )
    } else if op.checkpoints.is_empty() {
        (
            true,
            "No checkpoint falls within the records played.".into(),
            None,
        )
    } else {
        let text = match sum.limit_bytes {
            Some(l) => format!(
                "Every checkpoint completes ({} of {}): the largest subtask reaches {}, {:.0}% of \
                 the {} limit.",
                op.checkpoints.len(),
                op.checkpoints.len(),
                human_bytes(sum.peak_subtask_bytes),
                sum.peak_subtask_bytes as f64 * 100.0 / l as f64,
                human_bytes(l)
            ),
            None => format!(
                "Every checkpoint completes ({} of {}); {} storage has no per-subtask limit. The \
                 largest subtask reaches {}.",
                op.checkpoints.len(),
                op.checkpoints.len(),
                s.config.storage.short_name(),
                human_bytes(sum.peak_subtask_bytes)
            ),
        };
        (true, text, None)
    };
    Verdict {
        operator: op.name.clone(),
        ok,
        text,
        peak: peak_text,
        flink_message: msg,
    }
}

/// What to change, and the configuration lines to paste.
fn recommendation(s: &Scenario, verdicts: &[Verdict]) -> (Vec<String>, Option<Emitted>) {
    let failing = verdicts.iter().any(|v| v.flink_message.is_some());
    let v = s.flink_version;
    let set_in_code = s
        .config
        .reasons
        .iter()
        .any(|r| r.contains("set by the job"));
    let mut text = Vec::new();
    if !failing {
        if verdicts.iter().all(|v| v.ok) {
            text.push(
                "No change needed for this traffic. Run `statecap sweep` on this scenario to see \
                 how much more traffic, keys or window the configuration takes."
                    .to_string(),
            );
        } else {
            text.push(
                "Checkpoints complete but the state is over your budget: raise the parallelism \
                 (the state spreads over more subtasks) or keep less per window (an aggregate \
                 instead of buffering every element)."
                    .to_string(),
            );
        }
        return (text, None);
    }
    if v.at_least(1, 13) {
        text.push(
            "Write checkpoints to files, not to the JobManager: use FileSystemCheckpointStorage. \
             Each subtask then writes its snapshot under the checkpoint directory and the \
             memory-backed limit no longer applies."
                .to_string(),
        );
    } else {
        text.push(format!(
            "Keep the state in files, not in the JobManager: use the filesystem state backend \
             (FsStateBackend). Each subtask then writes its snapshot under the checkpoint \
             directory and the {} limit no longer applies.",
            human_bytes(match s.config.storage {
                Storage::JobManager { max_state_size } => max_state_size,
                Storage::FileSystem { .. } => 0,
            })
        ));
    }
    // The heap backend with file storage, as `statecap compare` writes it:
    // every version has one.
    let target = crate::plan::options_for(s).into_iter().find(|o| {
        o.config.backend.is_heap() && matches!(o.config.storage, Storage::FileSystem { .. })
    });
    let conf = target.map(|o| crate::plan::configuration(s, &o.config));
    if set_in_code {
        text.push(
            "The job sets its backend or storage in code, which wins over the configuration file: \
             change it there."
                .to_string(),
        );
    }
    (text, conf)
}

fn checkpoints_brief(s: &Scenario) -> String {
    match s.checkpoints {
        CheckpointTrigger::Interval(ms) => format!("every {}", human_duration_ms(ms as i64)),
        CheckpointTrigger::EveryRecords(n) => format!("every {} records", group(n)),
    }
}

/// Gathers the report's content.
pub fn content(s: &Scenario, r: &ScenarioResult, extra: &[Limit]) -> Content {
    let storage = match s.config.storage {
        Storage::JobManager { max_state_size } => format!(
            "JobManager (memory-backed), limit {} per subtask",
            human_bytes(max_state_size)
        ),
        Storage::FileSystem { inline_threshold } => format!(
            "filesystem{} (state under {} inline in _metadata)",
            s.config
                .checkpoint_dir
                .as_ref()
                .map(|d| format!(" at {d}"))
                .unwrap_or_default(),
            human_bytes(inline_threshold)
        ),
    };
    let mut brief = vec![
        ("Flink".to_string(), s.flink_version.to_string()),
        (
            "State backend".to_string(),
            format!(
                "{}{}",
                s.config.backend.class_name(s.flink_version),
                if s.config.incremental {
                    ", incremental"
                } else {
                    ""
                }
            ),
        ),
        ("Checkpoint storage".to_string(), storage),
        ("Checkpoints".to_string(), checkpoints_brief(s)),
        (
            "Parallelism".to_string(),
            format!(
                "{} ({} key groups)",
                s.parallelism_text(),
                s.max_parallelism
            ),
        ),
        ("Source".to_string(), source_brief(s)),
    ];
    for i in 0..s.operators.len() {
        brief.push(("Operator".to_string(), describe_operator(s, i)));
    }
    for l in extra {
        brief.push(("Budget".to_string(), l.text()));
    }
    let verdicts: Vec<Verdict> = r
        .operators
        .iter()
        .map(|op| verdict(s, r, op, extra))
        .collect();
    let (recommendation, recommended_conf) = recommendation(s, &verdicts);
    let mut flink_conf = String::new();
    for (k, v) in &s.flink_conf {
        let _ = writeln!(flink_conf, "{k}: {v}");
    }
    Content {
        name: s.name.clone(),
        description: s.description.clone(),
        brief,
        verdicts,
        recommendation,
        recommended_conf,
        resolution: s.config.reasons.clone(),
        flink_conf,
        scenario_toml: std::fs::read_to_string(&s.path).ok(),
    }
}

/// `report.md`.
pub fn render(c: &Content) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# statecap report: {}\n", c.name);
    if let Some(d) = &c.description {
        let _ = writeln!(o, "> {d}\n");
    }
    let _ = writeln!(o, "## Verdict\n");
    for v in &c.verdicts {
        let mark = if v.ok { "✓" } else { "✗" };
        let _ = writeln!(o, "- {mark} **operator '{}'**: {}", v.operator, v.text);
        let _ = writeln!(o, "  {}.", v.peak);
        if let Some(m) = &v.flink_message {
            let _ = writeln!(
                o,
                "\n  Flink logs:\n\n  ```\n  java.io.IOException: {m}\n  ```"
            );
        }
    }
    let _ = writeln!(o, "\n## The scenario in brief\n");
    let _ = writeln!(o, "| | |\n|---|---|");
    for (k, v) in &c.brief {
        let _ = writeln!(o, "| {k} | {} |", v.replace('|', "\\|"));
    }
    for ch in CHARTS {
        let _ = writeln!(o, "\n## {}\n\n{}\n", ch.heading, ch.caption);
        let _ = writeln!(o, "![{}]({}.svg)", ch.heading, ch.file);
    }
    let _ = writeln!(o, "\n## Recommendation\n");
    for t in &c.recommendation {
        let _ = writeln!(o, "{t}\n");
    }
    if let Some(conf) = &c.recommended_conf {
        let _ = writeln!(
            o,
            "Paste into {}:\n\n```yaml\n{}```\n",
            conf.file_name(),
            conf.file_text("")
        );
        let _ = writeln!(
            o,
            "Or in the job's code:\n\n```java\n{}\n```\n",
            conf.java.join("\n")
        );
        let _ = writeln!(
            o,
            "Or in the SQL client:\n\n```sql\n{}\n```\n",
            conf.sql.join("\n")
        );
    }
    let _ = writeln!(o, "## Configuration\n\nHow Flink resolves it:\n");
    for r in &c.resolution {
        let _ = writeln!(o, "- {r}");
    }
    if !c.flink_conf.is_empty() {
        let _ = writeln!(
            o,
            "\nThe configuration file as given:\n\n```yaml\n{}```",
            c.flink_conf
        );
    }
    if let Some(t) = &c.scenario_toml {
        let _ = writeln!(
            o,
            "\n<details><summary>The scenario file</summary>\n\n```toml\n{}\n```\n\n</details>",
            t.trim_end()
        );
    }
    o
}
