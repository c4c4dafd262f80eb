//! The table printed after `statecap run`: per checkpoint the largest
//! subtask, the total and the status; then what fails and why, in Flink's
//! words, and where the bytes sit.

use crate::backend::CheckpointStatus;
use crate::flink::Storage;
use crate::flink::units::{human_bytes, human_duration_ms};
use crate::pipeline::{CheckpointResult, OperatorResult, ScenarioResult};
use crate::scenario::Scenario;
use std::fmt::Write;

pub use super::format::group;
use super::format::{Wording, describe_operator};

fn row(out: &mut String, cp: &CheckpointResult, lim: Option<u64>) {
    let m = cp.max_subtask();
    let status = match &cp.status {
        CheckpointStatus::Completed => "completed".to_string(),
        CheckpointStatus::Failed { over_limit, .. } => {
            format!("FAILED ({} over limit)", over_limit.len())
        }
    };
    let wm = cp.watermark_ms.map_or("-".to_string(), human_duration_ms);
    let pct = lim.map_or(String::new(), |l| {
        format!("{:>5.0}%", m.state_bytes as f64 * 100.0 / l as f64)
    });
    let _ = writeln!(
        out,
        "{:>6} {:>12} {:>9} {:>10} {:>5} {:>11}{} {:>11}  {}",
        cp.checkpoint,
        group(cp.records),
        human_duration_ms(cp.time_ms),
        wm,
        m.subtask,
        human_bytes(m.state_bytes),
        pct,
        human_bytes(cp.total_state_bytes()),
        status
    );
}

fn operator_table(out: &mut String, s: &Scenario, i: usize, op: &OperatorResult) {
    let lim = match s.config.storage {
        Storage::JobManager { max_state_size } => Some(max_state_size),
        Storage::FileSystem { .. } => None,
    };
    let _ = writeln!(
        out,
        "operator '{}': {}",
        op.name,
        describe_operator(s, i, Wording::Table)
    );
    if op.checkpoints.is_empty() {
        let _ = writeln!(
            out,
            "  no checkpoint falls within the {} records played",
            group(op.stats.records)
        );
        return;
    }
    let _ = writeln!(
        out,
        "{:>6} {:>12} {:>9} {:>10} {:>5} {:>11}{} {:>11}  status",
        "ckpt",
        "records",
        "time",
        "watermark",
        "top",
        "top bytes",
        if lim.is_some() { " limit%" } else { "" },
        "total"
    );
    let n = op.checkpoints.len();
    let peak = op.peak.unwrap_or(0);
    // The first three and last two, the peak and the first twelve failures.
    let mut failed_before = 0;
    let mut skipped = 0;
    for (k, cp) in op.checkpoints.iter().enumerate() {
        let failed = matches!(cp.status, CheckpointStatus::Failed { .. });
        let show = n <= 30 || k < 3 || k + 2 >= n || k == peak || failed && failed_before < 12;
        failed_before += usize::from(failed);
        if show {
            if skipped > 0 {
                let _ = writeln!(out, "{:>6} ({skipped} more checkpoints)", "…");
                skipped = 0;
            }
            row(out, cp, lim);
        } else {
            skipped += 1;
        }
    }
    if skipped > 0 {
        let _ = writeln!(out, "{:>6} ({skipped} more checkpoints)", "…");
    }

    let failed: Vec<&CheckpointResult> = op
        .checkpoints
        .iter()
        .filter(|c| matches!(c.status, CheckpointStatus::Failed { .. }))
        .collect();
    let p = &op.checkpoints[peak];
    let top = p.max_subtask();
    let _ = writeln!(out);
    if failed.is_empty() {
        match lim {
            Some(l) => {
                let _ = writeln!(
                    out,
                    "verdict: every checkpoint completes; the largest subtask reaches {} of the {} limit ({:.0}% headroom)",
                    human_bytes(top.state_bytes),
                    human_bytes(l),
                    (l as f64 - top.state_bytes as f64) * 100.0 / l as f64
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "verdict: every checkpoint completes ({} storage has no per-subtask limit)",
                    s.config.storage.short_name()
                );
            }
        }
    } else {
        let list: Vec<String> = failed
            .iter()
            .take(20)
            .map(|c| c.checkpoint.to_string())
            .collect();
        let _ = writeln!(
            out,
            "verdict: {} of {} checkpoints FAIL (checkpoint {}{})",
            failed.len(),
            n,
            list.join(", "),
            if failed.len() > 20 { ", …" } else { "" }
        );
        if let CheckpointStatus::Failed {
            subtask, message, ..
        } = &failed[0].status
        {
            let _ = writeln!(
                out,
                "  first at checkpoint {} ({} records), subtask {subtask}; Flink logs:",
                failed[0].checkpoint,
                group(failed[0].records)
            );
            let _ = writeln!(out, "  java.io.IOException: {message}");
        }
    }
    let _ = writeln!(
        out,
        "peak: checkpoint {} ({} records): subtask {} holds {} in key groups {}-{} ({} keys, {} {}, {} timers); heaviest key group {} ({})",
        p.checkpoint,
        group(p.records),
        top.subtask,
        human_bytes(top.state_bytes),
        top.key_group_start,
        top.key_group_end,
        group(top.live_keys),
        group(top.entries),
        if s.operators.get(i).is_some_and(|o| o.keyed.is_some()) {
            "state entries"
        } else {
            "windows"
        },
        group(top.timers),
        top.largest_key_group,
        human_bytes(top.largest_key_group_bytes)
    );
    if op.stats.dropped_late > 0 {
        let _ = writeln!(
            out,
            "late: {} element-window assignments dropped",
            group(op.stats.dropped_late)
        );
    }
}

/// The whole table for one scenario.
pub fn render_table(s: &Scenario, r: &ScenarioResult) -> String {
    let mut out = String::new();
    let storage = match s.config.storage {
        Storage::JobManager { max_state_size } => {
            format!(
                "JobManager storage, limit {} per subtask",
                human_bytes(max_state_size)
            )
        }
        Storage::FileSystem { .. } => "filesystem storage".to_string(),
    };
    let _ = writeln!(
        out,
        "{} — Flink {}, {} + {}, parallelism {}, {} key groups",
        s.name,
        s.flink_version,
        s.config.backend.class_name(s.flink_version),
        storage,
        s.parallelism_text(),
        s.max_parallelism
    );
    // Many operators: those the charts draw (failing first, then the
    // largest), the others counted.
    let shown = super::chart::panel_operators(r);
    for &i in &shown {
        operator_table(&mut out, s, i, &r.operators[i]);
    }
    let left = r.operators.len() - shown.len();
    if left > 0 {
        let failing = (0..r.operators.len())
            .filter(|i| !shown.contains(i))
            .filter(|&i| {
                r.operators[i]
                    .checkpoints
                    .iter()
                    .any(|c| matches!(c.status, CheckpointStatus::Failed { .. }))
            })
            .count();
        let _ = writeln!(
            out,
            "… and {} more operators ({}); summary.csv has every operator",
            group(left as u64),
            if failing == 0 {
                "every checkpoint completes in each, with a smaller peak".to_string()
            } else {
                format!("{} of them with failing checkpoints", group(failing as u64))
            }
        );
    }
    out
}
