//! One builder per section of a report. Each takes what the run found
//! ([`Findings`]) and returns a [`Section`]; the commands assemble the
//! sections they need ([`super::pages`]), and the same sections are
//! rendered as HTML and as Markdown. Nothing here formats HTML or
//! Markdown, and no section is written twice for two commands.

use super::chart::Limit;
use super::document::{Block, Section};
use super::drift::Drift;
use super::provenance::Provenance;
use super::table::group;
use crate::backend::CheckpointStatus;
use crate::backend::memory;
use crate::flink::config::{Setting, lookup_setting};
use crate::flink::units::{human_bytes, human_duration_ms};
use crate::flink::{Backend, Storage};
use crate::pipeline::{self, CheckpointResult, OperatorResult, ScenarioResult};
use crate::plan::{self, Comparison, OptionSummary, Plan};
use crate::scenario::{CheckpointTrigger, KeyDistribution, KeyType, Scenario, SizeDistribution};

/// Most rows of a per-checkpoint table (per operator); longer runs show
/// every k-th checkpoint, the first failure, the peak and the last.
pub const MAX_TABLE_ROWS: usize = 1000;

/// Estimated seconds of a run above which [`Advice::after`] does not
/// simulate the options and job changes too.
pub const ADVICE_SECONDS: f64 = 1.0;
/// Estimated bytes of a run above which [`Advice::after`] does not either.
pub const ADVICE_BYTES: u64 = 512 << 20;

/// The recommendation and the comparison it rests on, or why there is none.
#[derive(Debug, Clone)]
pub enum Advice {
    /// Every option compared and a plan made (job changes simulated).
    Planned {
        /// Every option on the same traffic.
        cmp: Box<Comparison>,
        /// The recommendation.
        plan: Box<Plan>,
    },
    /// Not computed: why (over the budget, say).
    Unavailable(String),
}

impl Advice {
    /// Compares every option and plans, as `statecap compare` does; a
    /// failure (a budget that refuses the extra runs) becomes the reason
    /// the report gives instead.
    pub fn compute(s: &Scenario, bandwidth: f64, budget: pipeline::Budget) -> Advice {
        let planned = plan::compare(s, bandwidth, budget, &|_| {})
            .and_then(|cmp| plan::plan(s, &cmp).map(|p| (cmp, p)));
        match planned {
            Ok((cmp, plan)) => Advice::Planned {
                cmp: Box::new(cmp),
                plan: Box::new(plan),
            },
            Err(e) => Advice::Unavailable(format!(
                "the backend options and job changes were not simulated ({e}); `statecap \
                 compare` prices them"
            )),
        }
    }

    /// [`Advice::compute`] after `run`, when the run was cheap: the options
    /// and the job changes take a few more simulations of the scenario, so a
    /// run estimated above [`ADVICE_SECONDS`] or [`ADVICE_BYTES`] leaves
    /// them to `statecap compare` (the estimate is a model of the work, not
    /// a clock: the same scenario gets the same report).
    pub fn after(
        s: &Scenario,
        run: &pipeline::Run,
        bandwidth: f64,
        budget: pipeline::Budget,
    ) -> Advice {
        let e = &run.plan.estimate;
        if e.seconds > ADVICE_SECONDS || e.bytes > ADVICE_BYTES {
            return Advice::Unavailable(format!(
                "the run alone is estimated at {:.1} s and {}, so the backend options and job \
                 changes were not simulated with it; `statecap compare` prices them",
                e.seconds,
                human_bytes(e.bytes)
            ));
        }
        // The options and job changes within the same small budget: a
        // RocksDB option's replay is sampled, or estimated, to fit it.
        let small = pipeline::Budget {
            seconds: budget.seconds.min(ADVICE_SECONDS),
            bytes: budget.bytes.min(ADVICE_BYTES),
        };
        Advice::compute(s, bandwidth, small)
    }

    /// The plan, if made.
    pub fn plan(&self) -> Option<&Plan> {
        match self {
            Advice::Planned { plan, .. } => Some(plan),
            Advice::Unavailable(_) => None,
        }
    }

    /// The comparison, if made.
    pub fn comparison(&self) -> Option<&Comparison> {
        match self {
            Advice::Planned { cmp, .. } => Some(cmp),
            Advice::Unavailable(_) => None,
        }
    }
}

/// What a report is about: the scenario, the run of its own
/// configuration, the user's budgets, the advice, the drift and where it
/// all comes from.
#[derive(Debug, Clone)]
pub struct Findings<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// Its run, as configured.
    pub result: &'a ScenarioResult,
    /// `--budget` limits.
    pub budgets: &'a [Limit],
    /// The recommendation.
    pub advice: &'a Advice,
    /// Why the state saw-tooths, per operator where it does.
    pub drift: Vec<Drift>,
    /// Version, hash, date.
    pub provenance: Provenance,
    /// The scenario's own option, summarized (memory, snapshot time).
    pub own: OptionSummary,
    /// Upload bandwidth per subtask assumed for snapshot times, bytes/s.
    pub bandwidth: f64,
}

impl<'a> Findings<'a> {
    /// Gathers the findings of a run.
    pub fn new(
        s: &'a Scenario,
        r: &'a ScenarioResult,
        budgets: &'a [Limit],
        advice: &'a Advice,
        provenance: Provenance,
        bandwidth: f64,
    ) -> Findings<'a> {
        let share = advice.plan().and_then(|p| p.failing_share_over_cycle);
        let opts = plan::options_for(s);
        let own_opt = plan::current_option(s, &opts)
            .map(|i| opts[i].clone())
            .unwrap_or_else(|| plan::BackendOption {
                label: s.config.backend.short_name().to_string(),
                config: s.config.clone(),
            });
        Findings {
            scenario: s,
            result: r,
            budgets,
            advice,
            drift: super::drift::analyse(s, r, share),
            provenance,
            own: plan::summarize_option(s, &own_opt, r, bandwidth),
            bandwidth,
        }
    }

    fn limit(&self) -> Option<u64> {
        match self.scenario.config.storage {
            Storage::JobManager { max_state_size } => Some(max_state_size),
            Storage::FileSystem { .. } => None,
        }
    }

    fn peak(&self) -> Option<(&OperatorResult, &CheckpointResult)> {
        self.result
            .operators
            .iter()
            .flat_map(|o| o.checkpoints.iter().map(move |c| (o, c)))
            .max_by_key(|(_, c)| c.max_state_bytes())
    }
}

fn failed(c: &CheckpointResult) -> bool {
    matches!(c.status, CheckpointStatus::Failed { .. })
}

// ------------------------------------------------------------ verdict

/// The verdict: one box per operator, with Flink's log line for the first
/// failure; `gate` (check's own sentence) first when given.
pub fn verdict(f: &Findings, gate: Option<Block>) -> Section {
    let mut blocks: Vec<Block> = gate.into_iter().collect();
    for op in &f.result.operators {
        blocks.push(operator_verdict(f, op));
    }
    if f.result.operators.is_empty() {
        blocks.push(Block::Para("No operator to check.".into()));
    }
    Section::new("verdict", "Verdict", blocks)
}

fn operator_verdict(f: &Findings, op: &OperatorResult) -> Block {
    let s = f.scenario;
    let sum = super::summarize(s, f.result, op);
    let fails: Vec<&CheckpointResult> = op.checkpoints.iter().filter(|c| failed(c)).collect();
    let peak = op.peak.map(|i| &op.checkpoints[i]);
    let detail = match peak {
        Some(p) => {
            let t = p.max_subtask();
            format!(
                "Peak at checkpoint {} ({} records, {}): subtask {} holds {} in key groups {}-{}.",
                p.checkpoint,
                group(p.records),
                human_duration_ms(p.time_ms),
                t.subtask,
                human_bytes(t.state_bytes),
                t.key_group_start,
                t.key_group_end
            )
        }
        None => "No checkpoint within the records played.".into(),
    };
    let over_budget = f.budgets.iter().find(|l| sum.peak_subtask_bytes > l.bytes);
    let head = format!("operator '{}'", op.name);
    if let Some(first) = fails.first() {
        let list: Vec<String> = fails
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
        return Block::Verdict {
            ok: false,
            head,
            text: format!(
                "{} of {} checkpoints FAIL (checkpoint {}{}). The first is checkpoint {} after {} \
                 records: subtask {subtask} writes {}, over the {} limit of {}.",
                fails.len(),
                op.checkpoints.len(),
                list.join(", "),
                if fails.len() > 12 { ", …" } else { "" },
                first.checkpoint,
                group(first.records),
                human_bytes(size),
                human_bytes(max),
                s.config.backend.class_name(s.flink_version),
            ),
            detail: Some(format!(
                "{detail} {}",
                super::compare::failure_behaviour(s.flink_version)
            )),
            log: message.map(|m| format!("java.io.IOException: {m}")),
        };
    }
    let (ok, text) = if let Some(l) = over_budget {
        (
            false,
            format!(
                "Every checkpoint completes, but the largest subtask reaches {}, over the {}.",
                human_bytes(sum.peak_subtask_bytes),
                l.text()
            ),
        )
    } else if op.checkpoints.is_empty() {
        (
            false,
            crate::plan::no_checkpoint(s, f.result)
                .map(|w| format!("Nothing to check: {w}."))
                .unwrap_or_else(|| "No checkpoint falls within the records played.".into()),
        )
    } else {
        let n = op.checkpoints.len();
        (
            true,
            match sum.limit_bytes {
                Some(l) => format!(
                    "Every checkpoint completes ({n} of {n}): the largest subtask reaches {}, \
                     {:.0}% of the {} limit.",
                    human_bytes(sum.peak_subtask_bytes),
                    sum.peak_subtask_bytes as f64 * 100.0 / l as f64,
                    human_bytes(l)
                ),
                None => format!(
                    "Every checkpoint completes ({n} of {n}); {} storage has no per-subtask \
                     limit. The largest subtask reaches {}.",
                    s.config.storage.short_name(),
                    human_bytes(sum.peak_subtask_bytes)
                ),
            },
        )
    };
    Block::Verdict {
        ok,
        head,
        text,
        detail: Some(detail),
        log: None,
    }
}

// ------------------------------------------------------------ brief

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
        "{} records/s, {played}; {keys} ({kt})",
        group(src.events_per_second.round() as u64),
    )
}

/// The record-size distribution in words.
fn sizes(d: SizeDistribution) -> String {
    match d {
        SizeDistribution::Fixed(b) => format!("every record {b} B"),
        SizeDistribution::Uniform { min, max } => format!("uniform {min} B to {max} B"),
        SizeDistribution::Normal {
            mean,
            stddev,
            min,
            max,
        } => format!(
            "normal, mean {}, standard deviation {} B, clamped to {min} B..{}",
            human_bytes(mean.round() as u64),
            stddev.round(),
            human_bytes(max as u64)
        ),
        SizeDistribution::LogNormal {
            mean,
            stddev,
            min,
            max,
        } => format!(
            "log-normal, mean {}, standard deviation {} B, clamped to {min} B..{}",
            human_bytes(mean.round() as u64),
            stddev.round(),
            human_bytes(max as u64)
        ),
    }
}

fn checkpoints_brief(s: &Scenario) -> String {
    match s.checkpoints {
        CheckpointTrigger::Interval(ms) => format!("every {}", human_duration_ms(ms as i64)),
        CheckpointTrigger::EveryRecords(n) => format!("every {} records", group(n)),
    }
}

/// The scenario in brief.
pub fn brief(f: &Findings) -> Section {
    let s = f.scenario;
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
    let mut pairs = vec![
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
        (
            "Source".to_string(),
            format!(
                "{}; record sizes {}",
                source_brief(s),
                sizes(s.source.record_bytes)
            ),
        ),
    ];
    for i in 0..s.operators.len() {
        pairs.push((
            "Operator".to_string(),
            super::markdown::describe_operator(s, i),
        ));
    }
    for l in f.budgets {
        pairs.push(("Budget".to_string(), l.text()));
    }
    Section::new("brief", "The scenario in brief", vec![Block::Pairs(pairs)])
}

// ------------------------------------------------------------ drift

/// Why the state saw-tooths, where it does.
pub fn drift(f: &Findings) -> Option<Section> {
    if f.drift.is_empty() {
        return None;
    }
    let mut blocks = Vec::new();
    for d in &f.drift {
        for t in d.sentences() {
            blocks.push(Block::Para(t));
        }
    }
    Some(Section::new("drift", "Why the state saw-tooths", blocks))
}

// ------------------------------------------------------------ checkpoints

/// `5,316,378 (5.1 MiB)`.
pub fn bytes_cell(b: u64) -> String {
    if b < 1024 {
        format!("{} B", group(b))
    } else {
        format!("{} ({})", group(b), human_bytes(b))
    }
}

/// Which checkpoints of `op` a table of at most [`MAX_TABLE_ROWS`] rows
/// shows: all, or every k-th, the first failure, the peak and the last.
fn shown(op: &OperatorResult) -> (Vec<usize>, Option<usize>) {
    let n = op.checkpoints.len();
    if n <= MAX_TABLE_ROWS {
        return ((0..n).collect(), None);
    }
    let stride = n.div_ceil(MAX_TABLE_ROWS - 3);
    let first_failed = op.checkpoints.iter().position(failed);
    let keep: Vec<usize> = (0..n)
        .filter(|&k| k % stride == 0 || k + 1 == n || Some(k) == op.peak || Some(k) == first_failed)
        .collect();
    (keep, Some(stride))
}

/// Every checkpoint of every operator: the largest subtask and its bytes,
/// the share of the limit, the sum over subtasks, the upload and the
/// status; folded away (`<details>`), one table per operator.
pub fn checkpoints(f: &Findings) -> Section {
    let s = f.scenario;
    let lim = f.limit();
    let exact =
        s.config.backend.is_heap() && !s.compression && f.result.mode == pipeline::Mode::Exact;
    let mut blocks = Vec::new();
    for (oi, op) in f.result.operators.iter().enumerate() {
        let event_time = op.checkpoints.iter().any(|c| c.watermark_ms.is_some());
        let estimates = op.checkpoints.iter().any(|c| {
            !exact
                || c.subtasks
                    .iter()
                    .any(|t| t.state_bytes_low != t.state_bytes_high)
        });
        let mut head: Vec<String> = ["checkpoint", "records", "time"].map(String::from).to_vec();
        if event_time {
            head.push("watermark".into());
        }
        head.extend(["largest subtask", "its state bytes"].map(String::from));
        if lim.is_some() {
            head.push("of limit".into());
        }
        if estimates {
            head.push("range".into());
        }
        head.extend(["all subtasks", "uploaded", "status"].map(String::from));
        let mut right: Vec<bool> = head.iter().map(|h| h != "status").collect();
        if let Some(r) = right.last_mut() {
            *r = false;
        }
        let (rows_idx, stride) = shown(op);
        let rows: Vec<Vec<String>> = rows_idx
            .iter()
            .map(|&k| {
                let c = &op.checkpoints[k];
                let top = c.max_subtask();
                let mut row = vec![
                    c.checkpoint.to_string(),
                    group(c.records),
                    human_duration_ms(c.time_ms),
                ];
                if event_time {
                    row.push(c.watermark_ms.map_or("-".into(), human_duration_ms));
                }
                row.push(top.subtask.to_string());
                row.push(bytes_cell(top.state_bytes));
                if let Some(l) = lim {
                    row.push(format!("{:.0}%", top.state_bytes as f64 * 100.0 / l as f64));
                }
                if estimates {
                    row.push(if top.state_bytes_low == top.state_bytes_high && exact {
                        "exact".into()
                    } else {
                        format!(
                            "estimate {}..{}",
                            human_bytes(top.state_bytes_low),
                            human_bytes(top.state_bytes_high)
                        )
                    });
                }
                row.push(bytes_cell(c.total_state_bytes()));
                row.push(bytes_cell(
                    c.subtasks.iter().map(|t| t.checkpointed_bytes).sum(),
                ));
                row.push(match &c.status {
                    CheckpointStatus::Completed => "completed".into(),
                    CheckpointStatus::Failed { over_limit, .. } => {
                        format!("FAILED ({} over limit)", over_limit.len())
                    }
                });
                row
            })
            .collect();
        let fails = op.checkpoints.iter().filter(|c| failed(c)).count();
        let mut summary = format!(
            "operator '{}': {} checkpoints, {} failed{}",
            op.name,
            group(op.checkpoints.len() as u64),
            fails,
            match stride {
                Some(k) => format!(
                    "; {} rows shown (every {k}th, the first failure, the peak, the last)",
                    group(rows.len() as u64)
                ),
                None => String::new(),
            }
        );
        if oi == 0 && op.checkpoints.is_empty() {
            summary = format!("operator '{}': no checkpoint", op.name);
        }
        blocks.push(Block::Details {
            summary,
            blocks: vec![Block::Table { head, rows, right }],
        });
    }
    blocks.insert(
        0,
        Block::Para(
            "One row per checkpoint: the subtask with the most state, its keyed-state snapshot \
             (Flink's `getStateSize()`), its share of the per-subtask limit, the sum over all \
             subtasks, the bytes uploaded (`getCheckpointedSize()`) and whether the checkpoint \
             completes. Open each table to read it."
                .into(),
        ),
    );
    Section::new("checkpoints", "Every checkpoint", blocks)
}

// ------------------------------------------------------------ recommendation

/// The recommendation: the backend and storage, why, the configuration to
/// paste, and the changes to the job with the bytes each saves.
pub fn recommendation(f: &Findings) -> Section {
    let s = f.scenario;
    let mut blocks = Vec::new();
    match f.advice {
        Advice::Planned { cmp, plan } => {
            blocks.push(Block::Para(format!(
                "For Flink {}: **{}**.",
                s.flink_version, plan.option
            )));
            let mut reasons = plan.reasons.clone();
            if !plan.failing_checkpoints.is_empty() {
                let list: Vec<String> = plan
                    .failing_checkpoints
                    .iter()
                    .take(20)
                    .map(|c| c.to_string())
                    .collect();
                reasons.push(format!(
                    "as configured, checkpoints {}{} fail ({} of {})",
                    list.join(", "),
                    if plan.failing_checkpoints.len() > 20 {
                        ", …"
                    } else {
                        ""
                    },
                    plan.failing_checkpoints.len(),
                    cmp.options.first().map_or(0, |o| o.checkpoints)
                ));
            }
            blocks.push(Block::List(reasons));
            let conf = &plan.config;
            blocks.push(Block::Para(format!("Paste into `{}`:", conf.file_name())));
            blocks.push(Block::Code {
                lang: "yaml",
                text: conf.file_text(""),
            });
            blocks.push(Block::Para("Or in the job's code:".into()));
            blocks.push(Block::Code {
                lang: "java",
                text: conf.java.join("\n"),
            });
            blocks.push(Block::Para("Or in the SQL client:".into()));
            blocks.push(Block::Code {
                lang: "sql",
                text: conf.sql.join("\n"),
            });
            blocks.push(Block::Para(format!(
                "Changes to the job, each simulated under {}:",
                plan.option
            )));
            if plan.job_changes.is_empty() {
                blocks.push(Block::Para(
                    "None found: no window buffers every element, the key groups spread evenly \
                     over the subtasks, and no keyed state lacks a TTL or buffers every record."
                        .into(),
                ));
            } else {
                let rows = plan.job_changes.iter().map(job_change_row).collect();
                blocks.push(Block::Table {
                    head: [
                        "change",
                        "largest subtask now",
                        "with the change",
                        "saves",
                        "saves at the end",
                        "state",
                        "cost",
                    ]
                    .map(String::from)
                    .to_vec(),
                    rows,
                    right: vec![false, true, true, true, true, false, false],
                });
            }
        }
        Advice::Unavailable(why) => {
            blocks.push(Block::Para(format!("No recommendation: {why}.")));
        }
    }
    Section::new("recommendation", "Recommendation", blocks)
}

/// One job change as a row of the recommendation's table.
fn job_change_row(c: &crate::plan::JobChange) -> Vec<String> {
    let saved = |b: Option<i64>| match b {
        Some(b) if b >= 0 => bytes_cell(b as u64),
        Some(b) => format!("adds {}", bytes_cell(b.unsigned_abs())),
        None => "-".into(),
    };
    let (after, peak, end) = match c.peak_after {
        Some(a) => (
            bytes_cell(a),
            saved(c.saved_at_peak()),
            saved(c.saved_at_end()),
        ),
        None => (
            format!("not priced: {}", c.not_priced),
            "-".into(),
            "-".into(),
        ),
    };
    let state = match (c.growth_before, c.growth_after) {
        ("", _) | (_, "") => String::new(),
        (a, b) if a == b => a.to_string(),
        (a, b) => format!("{a} → {b}"),
    };
    vec![
        if c.operator.is_empty() {
            c.change.clone()
        } else {
            format!("operator '{}': {}", c.operator, c.change)
        },
        bytes_cell(c.peak_before),
        after,
        peak,
        end,
        state,
        c.cost.clone(),
    ]
}

// ------------------------------------------------------------ JobManager

/// What the JobManager holds: with JobManager storage every subtask's
/// snapshot, inline (the sum at the largest checkpoint, and the retained
/// checkpoint beside the next); with file storage the handles and the
/// snapshots small enough to go inline. And the RPC frame every inline
/// acknowledgement must fit.
pub fn jobmanager(f: &Findings) -> Section {
    let s = f.scenario;
    let v = s.flink_version;
    let frame = s.config.limits.frame_size;
    let frame_key = Setting::FrameSize
        .keys(v)
        .map_or("akka.framesize", |k| k.key);
    let cps: Vec<(&OperatorResult, &CheckpointResult)> = f
        .result
        .operators
        .iter()
        .flat_map(|o| o.checkpoints.iter().map(move |c| (o, c)))
        .collect();
    let mut blocks = Vec::new();
    let mut pairs = Vec::new();
    match s.config.storage {
        Storage::JobManager { .. } => {
            let top = cps.iter().max_by_key(|(_, c)| c.total_state_bytes());
            if let Some((op, c)) = top {
                pairs.push((
                    "All subtasks' snapshots, largest checkpoint".to_string(),
                    format!(
                        "{} at checkpoint {} (operator '{}', {} subtasks), held on the \
                         JobManager heap and written inline into _metadata",
                        bytes_cell(c.total_state_bytes()),
                        c.checkpoint,
                        op.name,
                        c.subtasks.len()
                    ),
                ));
            }
            // The completed checkpoint stays on the heap while the next is
            // being acknowledged (state.checkpoints.num-retained: 1).
            let two = f
                .result
                .operators
                .iter()
                .flat_map(|o| {
                    o.checkpoints
                        .windows(2)
                        .filter(|w| !failed(&w[0]))
                        .map(|w| w[0].total_state_bytes() + w[1].total_state_bytes())
                })
                .max();
            if let Some(b) = two {
                pairs.push((
                    "With the retained checkpoint".to_string(),
                    format!(
                        "up to {} while the next checkpoint is acknowledged (the last completed \
                         one is kept: `state.checkpoints.num-retained`, default 1); the JVM \
                         objects around the bytes add a little (estimate)",
                        bytes_cell(b)
                    ),
                ));
            }
            let largest = f.peak().map_or(0, |(_, c)| c.max_state_bytes());
            pairs.push((
                "RPC frame".to_string(),
                format!(
                    "each subtask acknowledges the checkpoint with its snapshot inline in one \
                     RPC message, which must fit `{frame_key}` = {} ({}): the largest, {}, is \
                     {:.0}% of it{}",
                    human_bytes(frame),
                    source_of(s, Setting::FrameSize),
                    human_bytes(largest),
                    largest as f64 * 100.0 / frame.max(1) as f64,
                    if largest > frame {
                        ": over it, the acknowledgement is never delivered and the checkpoint \
                         expires"
                    } else {
                        ""
                    }
                ),
            ));
        }
        Storage::FileSystem { inline_threshold } => {
            let inline = cps
                .iter()
                .map(|(_, c)| {
                    let small: Vec<u64> = c
                        .subtasks
                        .iter()
                        .map(|t| t.state_bytes)
                        .filter(|&b| b <= inline_threshold)
                        .collect();
                    (small.iter().sum::<u64>(), small.len(), c.checkpoint)
                })
                .max();
            pairs.push((
                "Held on the JobManager".to_string(),
                format!(
                    "the state goes to files under the checkpoint directory; the JobManager \
                     keeps their handles, and inline any snapshot of at most {} (the inline \
                     threshold): {}",
                    human_bytes(inline_threshold),
                    match inline {
                        Some((b, n, cp)) if n > 0 => format!(
                            "at most {} ({n} subtasks, checkpoint {cp}){}",
                            bytes_cell(b),
                            if s.config.backend.is_heap() {
                                ""
                            } else {
                                "; RocksDB decides per file, so this is an estimate"
                            }
                        ),
                        _ => "none here, every subtask is above it".into(),
                    }
                ),
            ));
            pairs.push((
                "RPC frame".to_string(),
                format!(
                    "acknowledgements carry handles and inline state only, far under `{frame_key}` \
                     = {} ({})",
                    human_bytes(frame),
                    source_of(s, Setting::FrameSize)
                ),
            ));
        }
    }
    blocks.push(Block::Pairs(pairs));
    Section::new("jobmanager", "On the JobManager", blocks)
}

/// Where a setting's value comes from: its key in the configuration, or
/// the version's default.
fn source_of(s: &Scenario, setting: Setting) -> String {
    let v = s.flink_version;
    match lookup_setting(&s.flink_conf, setting, v) {
        Some(found) => format!("'{}: {}' in the configuration", found.key, found.value),
        None => match setting.keys(v) {
            Some(k) => format!("default, '{}' not set", k.key),
            None => format!("default (Flink {v} has no configuration key for it: set in code)"),
        },
    }
}

// ------------------------------------------------------------ limits

/// Every limit checked: its value, where it comes from, what it is
/// measured against, and the outcome.
pub fn limits(f: &Findings) -> Section {
    let s = f.scenario;
    let lims = s.config.limits;
    let peak = f.peak().map_or(0, |(_, c)| c.max_state_bytes());
    let mut rows: Vec<Vec<String>> = Vec::new();
    let outcome = |over: bool| if over { "FAILS" } else { "holds" }.to_string();
    let pct = |a: f64, b: f64| format!("{:.0}%", a * 100.0 / b.max(1e-9));
    if let Storage::JobManager { max_state_size } = s.config.storage {
        let source = match s.written_at("checkpoints.max_state_size") {
            Some((line, _)) => format!(
                "scenario `checkpoints.max_state_size` (line {line}), as `new {}(size)`",
                if s.config.backend == Backend::Memory {
                    "MemoryStateBackend"
                } else {
                    "JobManagerCheckpointStorage"
                }
            ),
            None => format!(
                "default: {}.DEFAULT_MAX_STATE_SIZE",
                if s.config.backend == Backend::Memory {
                    "MemoryStateBackend"
                } else {
                    "JobManagerCheckpointStorage"
                }
            ),
        };
        rows.push(vec![
            "state per subtask (memory-backed)".into(),
            bytes_cell(max_state_size),
            source,
            format!("largest subtask {}", human_bytes(peak)),
            pct(peak as f64, max_state_size as f64),
            outcome(peak > max_state_size),
        ]);
        rows.push(vec![
            "RPC frame (inline acknowledgement)".into(),
            bytes_cell(lims.frame_size),
            source_of(s, Setting::FrameSize),
            format!("largest subtask {}", human_bytes(peak)),
            pct(peak as f64, lims.frame_size as f64),
            outcome(peak > lims.frame_size),
        ]);
    } else {
        rows.push(vec![
            "inline threshold".into(),
            bytes_cell(lims.inline_threshold),
            source_of(s, Setting::InlineThreshold),
            "each subtask's snapshot: at or under it, inline in _metadata".into(),
            "-".into(),
            "not a failure limit".into(),
        ]);
    }
    let timeout_s = lims.checkpoint_timeout_ms as f64 / 1000.0;
    rows.push(vec![
        "checkpoint timeout".into(),
        human_duration_ms(lims.checkpoint_timeout_ms as i64),
        source_of(s, Setting::Timeout),
        format!(
            "slowest subtask's snapshot ~{:.1} s at {}/s (estimate)",
            f.own.snapshot_seconds,
            human_bytes(f.bandwidth as u64)
        ),
        pct(f.own.snapshot_seconds, timeout_s),
        outcome(f.own.snapshot_seconds > timeout_s),
    ]);
    if s.config.backend.is_heap() {
        rows.push(vec![
            "task heap".into(),
            bytes_cell(memory::DEFAULT_TASK_HEAP),
            "default TaskManager (`taskmanager.memory.process.size: 1728m`, one slot); \
             assumed"
                .into(),
            format!(
                "window state on the heap of the largest subtask ~{} (estimate)",
                human_bytes(f.own.tm_memory_bytes)
            ),
            pct(
                f.own.tm_memory_bytes as f64,
                memory::DEFAULT_TASK_HEAP as f64,
            ),
            outcome(f.own.tm_memory_bytes > memory::DEFAULT_TASK_HEAP),
        ]);
    } else {
        rows.push(vec![
            "managed memory".into(),
            bytes_cell(memory::DEFAULT_MANAGED),
            "default TaskManager; RocksDB keeps within it".into(),
            "RocksDB's memtables and block cache".into(),
            "-".into(),
            "bounds memory, not checkpoints".into(),
        ]);
    }
    for l in f.budgets {
        rows.push(vec![
            l.label.clone(),
            bytes_cell(l.bytes),
            "`--budget`".into(),
            format!("largest subtask {}", human_bytes(peak)),
            pct(peak as f64, l.bytes as f64),
            if peak > l.bytes { "over" } else { "under" }.into(),
        ]);
    }
    Section::new(
        "limits",
        "Every limit checked",
        vec![Block::Table {
            head: ["limit", "value", "set by", "against", "used", "outcome"]
                .map(String::from)
                .to_vec(),
            rows,
            right: vec![false, true, false, false, true, false],
        }],
    )
}

// ------------------------------------------------------------ assumptions

/// What is exact and what is estimated, and what the run assumes.
pub fn assumptions(f: &Findings) -> Section {
    let s = f.scenario;
    let r = f.result;
    let exact_rule =
        s.config.backend.is_heap() && !s.compression && r.mode == pipeline::Mode::Exact;
    let (mut exact, mut all) = (0u64, 0u64);
    for c in r.operators.iter().flat_map(|o| o.checkpoints.iter()) {
        for t in &c.subtasks {
            all += 1;
            exact += (exact_rule && t.state_bytes_low == t.state_bytes_high) as u64;
        }
    }
    let mut items = vec![
        format!(
            "Mode: {}.",
            super::mode_line(s, r).trim_start_matches("mode: ")
        ),
        format!(
            "Subtask snapshots (`bytes_are` in timeline.csv): {} of {} exact, {} estimated.",
            group(exact),
            group(all),
            group(all - exact)
        ),
        format!("Record sizes: {}.", sizes(s.source.record_bytes)),
        format!("Keys and traffic: {}.", source_brief(s)),
    ];
    if s.source.jitter_ms > 0 || s.source.out_of_orderness_ms > 0 {
        items.push(format!(
            "Event-time disorder: jitter up to {}, watermarks {} behind the largest timestamp.",
            human_duration_ms(s.source.jitter_ms as i64),
            human_duration_ms(s.source.out_of_orderness_ms as i64)
        ));
    }
    items.push(
        "Exact against real Flink: records, windows, timers, key groups, and heap snapshot bytes \
         (byte-exact with Flink's heap snapshot format: 0 bytes of error on every uncompressed \
         heap ground-truth case)."
            .into(),
    );
    items.push(format!(
        "Estimated: TaskManager memory (object sizes), snapshot time (serialize and upload at \
         {}/s per subtask), RocksDB and Snappy-compressed bytes (with a range){}.",
        human_bytes(f.bandwidth as u64),
        if f.drift.iter().any(|d| d.failing_share.is_some()) {
            ", and the share of failing checkpoints over a window cycle (barriers every 1/40 of \
             the window)"
        } else {
            ""
        }
    ));
    items.push(format!(
        "Deterministic: the same scenario file (seed {}) gives the same bytes; the date below \
         follows `SOURCE_DATE_EPOCH` when it is set.",
        s.seed
    ));
    Section::new(
        "assumptions",
        "Assumptions: what is exact, what is estimated",
        vec![Block::List(items)],
    )
}

// ------------------------------------------------------------ configuration

/// How Flink resolves the configuration, the file as given, the scenario.
pub fn configuration(f: &Findings) -> Section {
    let s = f.scenario;
    let mut blocks = vec![
        Block::Para("How Flink resolves it:".into()),
        Block::List(s.config.reasons.clone()),
    ];
    if !s.flink_conf.is_empty() {
        let mut text = String::new();
        for (k, v) in &s.flink_conf {
            text.push_str(&format!("{k}: {v}\n"));
        }
        blocks.push(Block::Para("The configuration file as given:".into()));
        blocks.push(Block::Code { lang: "yaml", text });
    }
    if let Ok(t) = std::fs::read_to_string(&s.path) {
        blocks.push(Block::Details {
            summary: format!("The scenario file, {}", f.provenance.file),
            blocks: vec![Block::Code {
                lang: "toml",
                text: t.trim_end().to_string(),
            }],
        });
    }
    Section::new("configuration", "Configuration", blocks)
}

// ------------------------------------------------------------ footer

/// The footer: statecap's version, the scenario's file and hash, the date.
pub fn footer(p: &Provenance) -> String {
    format!(
        "Written by statecap {} on {}. Self-contained: charts inline, font embedded, nothing \
         loaded from elsewhere.",
        p.version,
        p.stamp.text(),
    )
}

/// The provenance as a section's pairs (for the top of the page).
pub fn provenance_pairs(p: &Provenance) -> Block {
    Block::Pairs(vec![
        (
            "statecap".into(),
            format!("{} (`{}`)", p.version, p.command),
        ),
        ("Scenario file".into(), p.file.clone()),
        ("sha256".into(), format!("`{}`", p.sha256)),
        (
            "Date".into(),
            format!(
                "{}{}",
                p.stamp.text(),
                if p.stamp.from_source_date_epoch {
                    " (SOURCE_DATE_EPOCH)"
                } else {
                    ""
                }
            ),
        ),
    ])
}
