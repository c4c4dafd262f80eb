//! What `compare` and `check` print and write: the backend options side by
//! side, the recommendation with its reasons, the configuration to paste in
//! the user's version, and the CI gate's verdict.

use super::chart::{self, Limit};
use crate::backend::CheckpointStatus;
use crate::error::Result;
use crate::flink::units::human_bytes;
use crate::flink::{FlinkVersion, Storage};
use crate::pipeline::ScenarioResult;
use crate::plan::{Comparison, Plan};
use crate::scenario::Scenario;
use std::fmt::Write;

fn pct(h: f64) -> String {
    format!("{:.0}%", h * 100.0)
}

/// The comparison table.
pub fn render_table(s: &Scenario, cmp: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} — Flink {}, parallelism {}, {} key groups: every backend option on the same traffic",
        s.name, s.flink_version, s.parallelism, s.max_parallelism
    );
    // The option names are short, but the scenario's own configuration
    // can be longer (`rocksdb incremental + jobmanager`).
    let w = cmp
        .options
        .iter()
        .map(|o| o.option.chars().count())
        .max()
        .unwrap_or(0)
        .max(22);
    let _ = writeln!(
        out,
        "{:<w$} {:>12} {:>23} {:>11} {:>11} {:>10} {:>12} {:>10} {:>9} {:>24}  fails first",
        "option",
        "peak subtask",
        "(range)",
        "peak total",
        "upload/ckpt",
        "TM memory",
        "disk/subtask",
        "disk/TM",
        "snapshot",
        "headroom",
    );
    let disk = |b: u64| {
        if b == 0 {
            "-".to_string()
        } else {
            human_bytes(b)
        }
    };
    for o in &cmp.options {
        let range = if o.peak_subtask_low == o.peak_subtask_high {
            "exact".to_string()
        } else {
            format!(
                "{}..{}",
                human_bytes(o.peak_subtask_low),
                human_bytes(o.peak_subtask_high)
            )
        };
        let _ = writeln!(
            out,
            "{:<w$} {:>12} {:>23} {:>11} {:>11} {:>10} {:>12} {:>10} {:>8.1}s {:>24}  {}",
            o.option,
            human_bytes(o.peak_subtask_bytes),
            range,
            human_bytes(o.peak_total_bytes),
            human_bytes(o.upload_per_checkpoint),
            human_bytes(o.tm_memory_bytes),
            disk(o.local_disk_subtask_bytes),
            disk(o.local_disk_tm_bytes),
            o.snapshot_seconds,
            if o.headroom_against.is_empty() {
                "no limit per subtask".to_string()
            } else {
                format!(
                    "{} of {}",
                    pct(o.headroom),
                    short_limit(&o.headroom_against)
                )
            },
            if o.holds {
                "holds".to_string()
            } else {
                o.fails_first.clone()
            }
        );
    }
    let _ = writeln!(
        out,
        "TM memory: JVM heap of the window state for heap backends (EST), RocksDB's memory per slot; \
         disk: RocksDB's local working directory at its fullest, per subtask and per TaskManager; \
         snapshot: serialize + upload at the assumed bandwidth; RocksDB bytes are estimates with a range; \
         headroom: what is left of the tighter of the JobManager limit (JM) and the default task heap (heap) \
         at the peak subtask."
    );
    for (label, why) in crate::plan::options_not_simulated(s) {
        let _ = writeln!(out, "not compared: {label} ({why})");
    }
    out.push_str(&render_fits(s, cmp));
    out
}

/// What the backend options need of the TaskManagers: each option's local
/// disk, then what that figure counts and the RocksDB memory lines once
/// (the same for every RocksDB option).
fn render_fits(s: &Scenario, cmp: &Comparison) -> String {
    let mut out = String::new();
    let opts = crate::plan::options_for(s);
    let mut basis = Vec::new();
    let mut memory: Vec<String> = Vec::new();
    for (o, r) in opts.iter().zip(&cmp.results) {
        let f = crate::plan::fit::resource_fit(s, &o.config, r);
        if f.disk_summary.is_empty() {
            continue;
        }
        if out.is_empty() {
            let _ = writeln!(out, "\non the TaskManagers:");
        }
        let _ = writeln!(out, "  {}: {}", o.label, f.disk_summary);
        if !basis.contains(&f.disk_basis) {
            basis.push(f.disk_basis.clone());
        }
        if memory.is_empty() {
            memory = f.memory_lines.clone();
        }
    }
    for l in basis.iter().chain(&memory) {
        let _ = writeln!(out, "  {l}");
    }
    out
}

/// The recommendation in words, the configuration to paste, the job changes.
pub fn render_plan(s: &Scenario, cmp: &Comparison, plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "recommendation for Flink {}: {}",
        s.flink_version, plan.option
    );
    for r in &plan.reasons {
        let _ = writeln!(out, "  - {r}");
    }
    if !plan.failing_checkpoints.is_empty() {
        let list: Vec<String> = plan
            .failing_checkpoints
            .iter()
            .take(20)
            .map(|c| c.to_string())
            .collect();
        let _ = writeln!(
            out,
            "  - as configured, checkpoints {}{} fail ({} of {})",
            list.join(", "),
            if plan.failing_checkpoints.len() > 20 {
                ", …"
            } else {
                ""
            },
            plan.failing_checkpoints.len(),
            cmp.options.first().map_or(0, |o| o.checkpoints)
        );
        if let Some(share) = plan.failing_share_over_cycle {
            let _ = writeln!(
                out,
                "  - as the checkpoint interval drifts against the window boundaries, {:.0}% of checkpoints fail \
                 (barriers every 1/40 of a window cycle)",
                share * 100.0
            );
        }
    }
    let _ = writeln!(out, "\nwrite in {}:", plan.config.file_name());
    for l in plan.config.file_lines() {
        let _ = writeln!(out, "  {l}");
    }
    let _ = writeln!(out, "or in the job:");
    for j in &plan.config.java {
        let _ = writeln!(out, "  {j}");
    }
    let _ = writeln!(out, "or in the SQL client:");
    for l in &plan.config.sql {
        let _ = writeln!(out, "  {l}");
    }
    if !plan.job_changes.is_empty() {
        let _ = writeln!(
            out,
            "\nchanges to the job (each simulated under {}):",
            plan.option
        );
        for c in &plan.job_changes {
            let _ = writeln!(out, "  - {}", job_change_line(c));
        }
    }
    out
}

/// `saves 1.2 MiB` / `adds 3 B`.
fn saved(b: i64) -> String {
    format!(
        "{} {}",
        if b >= 0 { "saves" } else { "adds" },
        human_bytes(b.unsigned_abs())
    )
}

/// One job change in words: what, for which operator, what it saves per
/// subtask at the peak and at the end of the run, whether the state then
/// levels off, and what it costs.
pub fn job_change_line(c: &crate::plan::JobChange) -> String {
    let mut l = String::new();
    if !c.operator.is_empty() {
        let _ = write!(l, "operator '{}': ", c.operator);
    }
    l.push_str(&c.change);
    match (c.peak_after, c.end_after) {
        (Some(p), Some(e)) => {
            let _ = write!(
                l,
                ": largest subtask {} -> {} at the peak ({})",
                human_bytes(c.peak_before),
                human_bytes(p),
                saved(c.peak_before as i64 - p as i64)
            );
            if c.operator.is_empty() {
                // A change of the whole job: the peak is what it is for.
            } else {
                let _ = write!(
                    l,
                    ", {} -> {} at the end of the run ({})",
                    human_bytes(c.end_before),
                    human_bytes(e),
                    saved(c.end_before as i64 - e as i64)
                );
                match (c.growth_before, c.growth_after) {
                    ("grows", "levels off") => {
                        l.push_str("; the state levels off instead of growing")
                    }
                    ("grows", "grows") => l.push_str("; the state still grows"),
                    _ => {}
                }
            }
        }
        _ => {
            let _ = write!(l, ": not priced ({})", c.not_priced);
        }
    }
    if !c.cost.is_empty() {
        let _ = write!(l, "; cost: {}", c.cost);
    }
    l
}

/// `job-changes.csv`: every job change priced, one row each.
pub fn job_changes_csv(plan: &Plan) -> Result<Vec<u8>> {
    super::csv_bytes("job-changes.csv", plan.job_changes.iter().cloned())
}

/// `job-changes.json`: the same as a JSON array.
pub fn job_changes_json(plan: &Plan) -> Result<Vec<u8>> {
    let mut v = serde_json::to_vec_pretty(&plan.job_changes)
        .map_err(|e| crate::error::Error::output("job-changes.json", e))?;
    v.push(b'\n');
    Ok(v)
}

/// The recommended configuration as a file in the version's own format
/// (`flink-conf.yaml` before 1.19, nested `config.yaml` from 1.19).
pub fn conf_file(s: &Scenario, plan: &Plan) -> Vec<u8> {
    plan.config
        .file_text(&format!(
            "statecap recommendation for {} on Flink {}: {}",
            s.name, s.flink_version, plan.option
        ))
        .into_bytes()
}

/// `JM 5.0 MiB` / `heap 384.0 MiB` for the table's headroom column.
fn short_limit(against: &str) -> String {
    against
        .replace("JobManager limit", "JM")
        .replace("task heap", "heap")
}

/// `compare.csv`.
pub fn compare_csv(cmp: &Comparison) -> Result<Vec<u8>> {
    super::csv_bytes("compare.csv", cmp.options.iter().cloned())
}

/// Every file `compare` writes: the table, the chart, the recommended
/// configuration, and the report ([`super::pages::compare`]) dated `stamp`.
/// `advice` holds the comparison and the plan.
pub fn outputs(
    s: &Scenario,
    advice: &super::sections::Advice,
    bandwidth: f64,
    stamp: super::provenance::Stamp,
) -> Result<Vec<(String, Vec<u8>)>> {
    let (Some(cmp), Some(plan)) = (advice.comparison(), advice.plan()) else {
        return Err(crate::error::Error::output(
            "compare",
            "no comparison to write",
        ));
    };
    let rows: Vec<(&str, u64, u64, u64)> = cmp
        .options
        .iter()
        .map(|o| {
            let upload = o.upload_per_checkpoint / s.parallelism.max(1) as u64;
            (
                o.option.as_str(),
                o.peak_subtask_bytes,
                upload,
                o.tm_memory_bytes,
            )
        })
        .collect();
    let limits = match s.config.storage {
        Storage::JobManager { max_state_size } => vec![Limit {
            label: "JobManager limit".into(),
            bytes: max_state_size,
        }],
        Storage::FileSystem { .. } => vec![Limit {
            label: "JobManager limit".into(),
            bytes: crate::flink::config::DEFAULT_MAX_STATE_SIZE,
        }],
    };
    let marks = cmp
        .options
        .iter()
        .enumerate()
        .map(|(i, o)| chart::comparison::Mark {
            fails: (o.failed_checkpoints > 0).then(|| chart::comparison::fails_text(o)),
            recommended: i == plan.recommended,
            limited: o.storage == "jobmanager",
        })
        .collect();
    let c = chart::comparison::ComparisonChart::new(
        format!("{}: backend options, per subtask", s.name),
        &rows,
        limits,
    )
    .with_marks(marks);
    let mut files = vec![
        ("compare.csv".to_string(), compare_csv(cmp)?),
        ("job-changes.csv".to_string(), job_changes_csv(plan)?),
        ("job-changes.json".to_string(), job_changes_json(plan)?),
        (
            "compare.txt".to_string(),
            format!("{}\n{}", render_table(s, cmp), render_plan(s, cmp, plan)).into_bytes(),
        ),
        (
            format!("recommended-{}", plan.config.file_name()),
            conf_file(s, plan),
        ),
    ];
    files.extend(chart::files("compare", &c)?);
    files.extend(super::pages::compare(s, advice, bandwidth, &c, stamp)?);
    Ok(files)
}

/// The CI gate's answer for one scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every checkpoint completes (and there is at least one).
    Holds(String),
    /// A checkpoint will fail.
    Fails(String),
    /// The run cannot answer: no checkpoint fell inside it.
    Unanswered(String),
}

impl Verdict {
    /// What `check` prints.
    pub fn text(&self) -> &str {
        match self {
            Verdict::Holds(t) | Verdict::Fails(t) | Verdict::Unanswered(t) => t,
        }
    }
    /// `check`'s exit code: 0 holds, 1 fails, 2 cannot tell.
    pub fn exit_code(&self) -> i32 {
        match self {
            Verdict::Holds(_) => 0,
            Verdict::Fails(_) => 1,
            Verdict::Unanswered(_) => 2,
        }
    }
}

/// The CI gate's verdict. A run in which no checkpoint falls is never
/// `Holds`: nothing was checked ([`crate::plan::no_checkpoint`]).
pub fn check_verdict(s: &Scenario, r: &ScenarioResult) -> Verdict {
    for op in &r.operators {
        let failed: Vec<&crate::pipeline::CheckpointResult> = op
            .checkpoints
            .iter()
            .filter(|c| matches!(c.status, CheckpointStatus::Failed { .. }))
            .collect();
        if let Some(cp) = failed.first()
            && let CheckpointStatus::Failed {
                subtask,
                size,
                max_size,
                message,
                ..
            } = &cp.status
        {
            return Verdict::Fails(
                format!(
                    "FAIL {}: operator '{}', checkpoint {} ({} records): subtask {subtask} writes {} \
                 over the {} per-subtask limit of {} ({} of {} checkpoints fail)\n  Flink: java.io.IOException: {message}",
                    s.name,
                    op.name,
                    cp.checkpoint,
                    cp.records,
                    human_bytes(*size),
                    human_bytes(*max_size),
                    s.config.backend.class_name(s.flink_version),
                    failed.len(),
                    op.checkpoints.len()
                ) + &format!("\n  {}", failure_behaviour(s.flink_version)),
            );
        }
    }
    if let Some(why) = crate::plan::no_checkpoint(s, r) {
        return Verdict::Unanswered(format!("CANNOT CHECK {}: {why}", s.name));
    }
    let fit = crate::plan::fit::resource_fit(s, &s.config, r);
    if let Some((_, why)) = &fit.failure {
        return Verdict::Fails(format!(
            "FAIL {}: every checkpoint completes on {}, but the TaskManagers will not hold it: {why}",
            s.name,
            s.config.backend.class_name(s.flink_version),
        ));
    }
    let peak = r
        .operators
        .iter()
        .flat_map(|o| o.checkpoints.iter().map(|c| c.max_state_bytes()))
        .max()
        .unwrap_or(0);
    Verdict::Holds(match s.config.storage {
        Storage::JobManager { max_state_size } => format!(
            "OK {}: every checkpoint completes on {} + JobManager storage; largest subtask {} of {} ({:.0}% headroom)",
            s.name,
            s.config.backend.class_name(s.flink_version),
            human_bytes(peak),
            human_bytes(max_state_size),
            (1.0 - peak as f64 / max_state_size as f64) * 100.0
        ),
        Storage::FileSystem { .. } => format!(
            "OK {}: every checkpoint completes on {} + filesystem storage; largest subtask {}",
            s.name,
            s.config.backend.class_name(s.flink_version),
            human_bytes(peak)
        ),
    })
}

/// What a failing memory-backed snapshot does to the job in `v`.
pub fn failure_behaviour(v: FlinkVersion) -> &'static str {
    if v < FlinkVersion::new(1, 10) {
        "Flink 1.6-1.9: every subtask over the limit declines; the checkpoint fails but the job keeps \
         running with the default settings (measured on 1.9.3: 0 restarts through 10 failed checkpoints)."
    } else {
        "Flink 1.10+: the first declining subtask aborts the checkpoint (the others are cancelled); \
         a failed checkpoint counts against execution.checkpointing.tolerable-failed-checkpoints \
         (default 0), so the job fails over and restarts (CheckpointFailureManager; the 1.10 boundary and the restart are \
         not measured here)."
    }
}
