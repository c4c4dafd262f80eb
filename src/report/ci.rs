//! `check`'s verdicts in the forms CI servers read: the text a person
//! reads, JSON for scripts, JUnit XML (one test suite per scenario, as
//! Jenkins, GitLab, Azure Pipelines and CircleCI import it; the output
//! validates against Jenkins' `junit-10.xsd`, shipped in
//! `tests/data/junit/`), and GitHub Actions workflow commands
//! (`::error file=…,line=…::`) that point at the scenario line deciding the
//! outcome.
//!
//! Every form is the same function of the verdicts: no clock, no host name,
//! so the same scenarios give the same bytes.

use super::compare::Verdict;
use crate::backend::CheckpointStatus;
use crate::flink::Storage;
use crate::flink::units::human_bytes;
use crate::pipeline::ScenarioResult;
use crate::scenario::Scenario;

/// How `check` writes its verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// One paragraph per scenario.
    #[default]
    Text,
    /// One JSON document.
    Json,
    /// JUnit XML.
    Junit,
    /// GitHub Actions workflow commands.
    Github,
}

/// One scenario's verdict with what CI needs around it.
#[derive(Debug, Clone)]
pub struct Gate<'a> {
    /// The scenario as loaded (its path as given on the command line).
    pub scenario: &'a Scenario,
    /// What the run found.
    pub result: &'a ScenarioResult,
    /// Holds, fails or cannot tell.
    pub verdict: Verdict,
    /// Notes printed before the verdict (a job setting that wins over the
    /// configuration file).
    pub notes: Vec<String>,
}

/// Where in the scenario file the outcome is decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    /// The field, as the file writes it (`flink_conf.state.checkpoints.dir`).
    pub field: String,
    /// 1-based line and column.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl Gate<'_> {
    fn status(&self) -> &'static str {
        match self.verdict {
            Verdict::Holds(_) => "holds",
            Verdict::Fails(_) => "fails",
            Verdict::Unanswered(_) => "cannot_check",
        }
    }

    /// The line of the scenario that decides the outcome: for a failing
    /// memory-backed snapshot, the setting that selects the storage and its
    /// limit (the limit, the storage, the backend, then the Flink
    /// configuration entries that choose them, then the version whose
    /// defaults do); for a run without a checkpoint, the interval; for one
    /// that holds, the storage. The first the file writes; else line 1.
    pub fn decided(&self) -> Decided {
        const STORAGE: &[&str] = &[
            "checkpoints.max_state_size",
            "checkpoints.storage",
            "state.backend",
            "flink_conf.state.backend",
            "flink_conf.state.backend.type",
            "flink_conf.state.checkpoint-storage",
            "flink_conf.state.checkpoints.dir",
            "flink_conf.execution.checkpointing.dir",
            "flink_conf",
            "flink_version",
        ];
        const CHECKPOINTS: &[&str] = &[
            "checkpoints.interval",
            "checkpoints.interval_ms",
            "checkpoints.every_records",
            "source.duration",
            "source.records",
            "checkpoints",
        ];
        let fields = match self.verdict {
            Verdict::Unanswered(_) => CHECKPOINTS,
            _ => STORAGE,
        };
        // A run whose checkpoints complete fails on the TaskManagers: the
        // disk size or the memory setting decides it.
        if matches!(self.verdict, Verdict::Fails(_)) && self.checkpoints().1 == 0 {
            let fit =
                crate::plan::fit::resource_fit(self.scenario, &self.scenario.config, self.result);
            for f in fit.deciding_fields() {
                if let Some((line, column)) = self.scenario.written_at(&f) {
                    return Decided {
                        field: f,
                        line,
                        column,
                    };
                }
            }
        }
        for f in fields {
            if let Some((line, column)) = self.scenario.written_at(f) {
                return Decided {
                    field: f.to_string(),
                    line,
                    column,
                };
            }
        }
        Decided {
            field: String::new(),
            line: 1,
            column: 1,
        }
    }

    /// The largest subtask at any checkpoint, and the per-subtask limit.
    fn peak_and_limit(&self) -> (u64, Option<u64>) {
        let peak = self
            .result
            .operators
            .iter()
            .flat_map(|o| o.checkpoints.iter().map(|c| c.max_state_bytes()))
            .max()
            .unwrap_or(0);
        let limit = match self.scenario.config.storage {
            Storage::JobManager { max_state_size } => Some(max_state_size),
            Storage::FileSystem { .. } => None,
        };
        (peak, limit)
    }

    fn checkpoints(&self) -> (usize, usize, Option<u64>) {
        let all = self
            .result
            .operators
            .iter()
            .flat_map(|o| o.checkpoints.iter());
        let mut total = 0;
        let mut failed = 0;
        let mut first = None;
        for c in all {
            total += 1;
            if matches!(c.status, CheckpointStatus::Failed { .. }) {
                failed += 1;
                first = Some(first.map_or(c.checkpoint, |f: u64| f.min(c.checkpoint)));
            }
        }
        (total, failed, first)
    }

    /// The backend on the TaskManagers: local disk and RocksDB memory.
    fn fit_json(&self) -> serde_json::Value {
        let f = crate::plan::fit::resource_fit(self.scenario, &self.scenario.config, self.result);
        let m = f.memory.as_ref();
        serde_json::json!({
            "local_disk_subtask_bytes": f.disk_subtask,
            "local_disk_taskmanager_bytes": f.disk_tm,
            "taskmanager_disk_bytes": f.disk,
            "slots_per_taskmanager": f.slots,
            "rocksdb_memory_slot_bytes": m.map(|m| m.per_slot),
            "rocksdb_memory_from": m.map(|m| m.decided_by.clone()),
            "write_buffer_bytes": m.map(|m| m.write_buffers),
            "block_cache_bytes": m.map(|m| m.cache),
            "memtables_flush_early": m.map(|m| m.flushes_early(f.written_cfs)),
            "fails": f.failure.as_ref().map(|x| x.1.clone()),
            "notes": f.lines,
        })
    }

    /// Why the backend and storage are what they are, in a line (the
    /// configuration's reason that names the backend, else its first).
    fn why_configured(&self) -> Option<&str> {
        let reasons = &self.scenario.config.reasons;
        reasons
            .iter()
            .find(|r| r.contains("backend"))
            .or(reasons.first())
            .map(String::as_str)
    }
}

/// `check`'s exit code for `gates`: 0 all hold, 1 one fails, 2 one cannot tell.
pub fn exit_code(gates: &[Gate]) -> i32 {
    gates
        .iter()
        .map(|g| g.verdict.exit_code())
        .max()
        .unwrap_or(0)
}

/// The verdicts of `gates` in `format`.
pub fn render(format: Format, gates: &[Gate]) -> String {
    match format {
        Format::Text => text(gates),
        Format::Json => json(gates),
        Format::Junit => junit(gates),
        Format::Github => github(gates),
    }
}

fn text(gates: &[Gate]) -> String {
    let mut out = String::new();
    for g in gates {
        for n in &g.notes {
            out.push_str(&format!("note: {n}\n"));
        }
        out.push_str(g.verdict.text());
        out.push('\n');
    }
    out
}

fn json(gates: &[Gate]) -> String {
    let scenarios: Vec<serde_json::Value> = gates
        .iter()
        .map(|g| {
            let d = g.decided();
            let (peak, limit) = g.peak_and_limit();
            let (total, failed, first) = g.checkpoints();
            serde_json::json!({
                "name": g.scenario.name,
                "file": g.scenario.path.display().to_string(),
                "line": d.line,
                "column": d.column,
                "field": d.field,
                "status": g.status(),
                "exit_code": g.verdict.exit_code(),
                "message": g.verdict.text(),
                "notes": g.notes,
                "flink_version": g.scenario.flink_version.to_string(),
                "backend": g.result.backend,
                "storage": g.result.storage,
                "limit_bytes": limit,
                "largest_subtask_bytes": peak,
                "checkpoints": total,
                "failed_checkpoints": failed,
                "first_failed_checkpoint": first,
                "configured": g.why_configured(),
                "taskmanagers": g.fit_json(),
            })
        })
        .collect();
    let doc = serde_json::json!({
        "exit_code": exit_code(gates),
        "scenarios": scenarios,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// Text for an XML attribute or element: the five entities escaped, and
/// characters XML 1.0 cannot hold (control characters other than tab and
/// line ends) written as `\u{…}`.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {
                out.push_str(&c.escape_unicode().to_string())
            }
            c => out.push(c),
        }
    }
    out
}

fn junit(gates: &[Gate]) -> String {
    let failures = gates
        .iter()
        .filter(|g| matches!(g.verdict, Verdict::Fails(_)))
        .count();
    let errors = gates
        .iter()
        .filter(|g| matches!(g.verdict, Verdict::Unanswered(_)))
        .count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"statecap check\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\">\n",
        gates.len()
    ));
    for g in gates {
        let s = g.scenario;
        let d = g.decided();
        let (peak, limit) = g.peak_and_limit();
        let (total, failed, _) = g.checkpoints();
        let (f, e) = match g.verdict {
            Verdict::Fails(_) => (1, 0),
            Verdict::Unanswered(_) => (0, 1),
            Verdict::Holds(_) => (0, 0),
        };
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"1\" failures=\"{f}\" errors=\"{e}\" skipped=\"0\" file=\"{}\">\n",
            xml(&s.name),
            xml(&s.path.display().to_string())
        ));
        out.push_str("    <properties>\n");
        let mut props: Vec<(&str, String)> = vec![
            ("flink_version", s.flink_version.to_string()),
            ("backend", g.result.backend.to_string()),
            ("storage", g.result.storage.to_string()),
            ("largest_subtask_bytes", peak.to_string()),
            ("checkpoints", total.to_string()),
            ("failed_checkpoints", failed.to_string()),
            ("decided_at", format!("{}:{}", d.line, d.column)),
        ];
        if let Some(l) = limit {
            props.push(("limit_bytes", l.to_string()));
        }
        let fit = crate::plan::fit::resource_fit(s, &s.config, g.result);
        if fit.disk_tm > 0 {
            props.push(("local_disk_taskmanager_bytes", fit.disk_tm.to_string()));
        }
        if let Some(d) = fit.disk {
            props.push(("taskmanager_disk_bytes", d.to_string()));
        }
        if let Some(m) = &fit.memory {
            props.push(("rocksdb_memory_slot_bytes", m.per_slot.to_string()));
        }
        for (k, v) in props {
            out.push_str(&format!(
                "      <property name=\"{k}\" value=\"{}\"/>\n",
                xml(&v)
            ));
        }
        out.push_str("    </properties>\n");
        let case = match limit {
            Some(l) => format!(
                "every checkpoint fits the {} per-subtask limit",
                human_bytes(l)
            ),
            None => "every checkpoint completes".to_string(),
        };
        let where_ = format!(
            "{}:{}:{}{}",
            s.path.display(),
            d.line,
            d.column,
            if d.field.is_empty() {
                String::new()
            } else {
                format!(" ({})", d.field)
            }
        );
        out.push_str(&format!(
            "    <testcase classname=\"statecap.check.{}\" name=\"{}\"",
            xml(&s.name),
            xml(&case)
        ));
        let body = |kind: &str, ty: &str, text: &str| {
            let first = text.lines().next().unwrap_or("");
            format!(
                ">\n      <{kind} type=\"{ty}\" message=\"{}\">{}\n{}</{kind}>\n    </testcase>\n",
                xml(first),
                xml(text),
                xml(&where_)
            )
        };
        match &g.verdict {
            Verdict::Holds(t) => out.push_str(&format!(
                ">\n      <system-out>{}</system-out>\n    </testcase>\n",
                xml(t)
            )),
            Verdict::Fails(t) if failed == 0 => out.push_str(&body("failure", "ResourceFit", t)),
            Verdict::Fails(t) => out.push_str(&body("failure", "CheckpointFailure", t)),
            Verdict::Unanswered(t) => out.push_str(&body("error", "NoCheckpoint", t)),
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// A workflow command's message: `%`, CR and LF escaped as the runner
/// decodes them.
fn gh_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: also `:` and `,`.
fn gh_property(text: &str) -> String {
    gh_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn github(gates: &[Gate]) -> String {
    let mut out = String::new();
    for g in gates {
        let d = g.decided();
        let file = gh_property(&g.scenario.path.display().to_string());
        let (command, title) = match g.verdict {
            Verdict::Holds(_) => ("notice", format!("statecap: {} holds", g.scenario.name)),
            Verdict::Fails(_) if g.checkpoints().1 == 0 => (
                "error",
                format!(
                    "statecap: {} will not fit its TaskManagers",
                    g.scenario.name
                ),
            ),
            Verdict::Fails(_) => (
                "error",
                format!("statecap: {} will fail a checkpoint", g.scenario.name),
            ),
            Verdict::Unanswered(_) => (
                "error",
                format!("statecap: {} cannot be checked", g.scenario.name),
            ),
        };
        let mut message = g.verdict.text().to_string();
        if !matches!(g.verdict, Verdict::Holds(_))
            && let Some(why) = g.why_configured()
        {
            message.push_str(&format!("\n  configured: {why}"));
        }
        for n in &g.notes {
            message.push_str(&format!("\n  note: {n}"));
        }
        out.push_str(&format!(
            "::{command} file={file},line={},col={},title={}::{}\n",
            d.line,
            d.column,
            gh_property(&title),
            gh_data(&message)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_escapes_follow_the_runner() {
        // actions/toolkit command.ts: escapeData and escapeProperty.
        assert_eq!(gh_data("50% of a\r\nb"), "50%25 of a%0D%0Ab");
        assert_eq!(gh_property("a:b,c%"), "a%3Ab%2Cc%25");
    }

    #[test]
    fn xml_text_is_escaped_and_kept_well_formed() {
        assert_eq!(
            xml("a<b & \"c\" 'd'>"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"
        );
        assert_eq!(xml("bell\u{7}"), "bell\\u{7}");
        assert_eq!(xml("tab\tline\n"), "tab\tline\n");
    }
}
