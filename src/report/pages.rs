//! The report of each command, assembled from the shared sections
//! ([`super::sections`]): `run`, `compare`, `check --report` and `sweep`
//! each write `report.html` and `report.md` (the same [`Document`]) with
//! the charts they link beside them. What differs per command is only
//! which sections come first (check's gate, compare's options, the sweep's
//! grid) and which charts; the verdict, the per-checkpoint table, the
//! recommendation, the drift, the JobManager, the limits, the assumptions
//! and the provenance are the same sections for all.

use super::chart::{self, ComparisonChart, Limit, SkewChart, StatesChart, TimelineChart};
use super::document::{Block, Document, Section};
use super::provenance::{Provenance, Stamp};
use super::sections::{self, Advice, Findings};
use crate::error::Result;
use crate::pipeline::ScenarioResult;
use crate::plan::Comparison;
use crate::scenario::Scenario;

/// A named output file.
pub type File = (String, Vec<u8>);

/// `report.html` and `report.md` of `doc`.
fn report_files(doc: &Document) -> Vec<File> {
    vec![
        ("report.html".into(), super::html::render(doc).into_bytes()),
        (
            "report.md".into(),
            super::markdown::render(doc).into_bytes(),
        ),
    ]
}

/// A chart as PNG and SVG files, and its block for the report.
fn chart_block(
    files: &mut Vec<File>,
    name: &str,
    caption: &str,
    c: &impl chart::Chart,
) -> Result<Block> {
    files.extend(chart::files(name, c)?);
    Ok(Block::Chart {
        file: name.to_string(),
        caption: caption.to_string(),
        svg: chart::svg_inline(c)?,
    })
}

/// The timeline of `f`'s run, with its limits and the drift drawn.
fn timeline(f: &Findings) -> TimelineChart {
    TimelineChart::new(
        f.scenario,
        f.result,
        super::markdown::limits(f.scenario, f.budgets),
    )
    .with_drift(&f.drift)
}

const TIMELINE_CAPTION: &str = "The largest subtask at every checkpoint (the line the limit is \
     checked against, failed checkpoints marked on it), the other subtasks as a band with their \
     median; checkpoint numbers below, the time of the barrier above; the limits dashed.";

/// The document: the verdict (after `gate`), the brief, `first` (the
/// command's own sections), the drift, the charts, the recommendation, every
/// checkpoint, the JobManager, the limits, the assumptions, the
/// configuration and where the report comes from.
fn document(
    f: &Findings,
    gate: Option<Block>,
    first: Vec<Section>,
    charts: Vec<Block>,
) -> Document {
    let p = &f.provenance;
    let mut sections = vec![sections::verdict(f, gate), sections::brief(f)];
    sections.extend(first);
    sections.extend(sections::drift(f));
    if !charts.is_empty() {
        sections.push(Section::new("charts", "Charts", charts));
    }
    sections.extend(super::states::section(f.scenario, f.result));
    sections.push(sections::recommendation(f));
    sections.push(sections::checkpoints(f));
    sections.push(sections::jobmanager(f));
    sections.push(sections::limits(f));
    sections.push(sections::assumptions(f));
    sections.push(sections::configuration(f));
    sections.push(Section::new(
        "about",
        "About this report",
        vec![sections::provenance_pairs(p)],
    ));
    Document {
        title: format!("statecap {}: {}", p.command, f.scenario.name),
        lead: f.scenario.description.clone(),
        sections,
        footer: sections::footer(p),
    }
}

/// `run`: the charts (timeline, skew, comparison) and the report.
pub fn run(
    s: &Scenario,
    r: &ScenarioResult,
    budgets: &[Limit],
    advice: &Advice,
    stamp: Stamp,
) -> Result<Vec<File>> {
    let f = Findings::new(
        s,
        r,
        budgets,
        advice,
        Provenance::new(s, "run", stamp),
        crate::backend::memory::DEFAULT_BANDWIDTH,
    );
    let limits = super::markdown::limits(s, budgets);
    let mut files = Vec::new();
    let charts = vec![
        chart_block(&mut files, "timeline", TIMELINE_CAPTION, &timeline(&f))?,
        chart_block(
            &mut files,
            "skew",
            "Bytes per subtask and per key group when the largest subtask peaks.",
            &SkewChart::new(s, r, limits.clone()),
        )?,
        chart_block(
            &mut files,
            "comparison",
            "Peak snapshot, upload per checkpoint and TaskManager memory per subtask of the \
             scenario's backend (`statecap compare` draws every option).",
            &ComparisonChart::for_run(s, r, limits),
        )?,
    ];
    let mut doc = document(&f, None, Vec::new(), charts);
    // Each operator's states, charted in their section.
    let state_limits: Vec<Limit> = super::states::limits(s)
        .into_iter()
        .filter(|l| l.2 == "state")
        .map(|(label, bytes, _)| Limit { label, bytes })
        .chain(budgets.iter().cloned())
        .collect();
    let mut state_charts = Vec::new();
    for (i, c) in StatesChart::for_run(&s.name, r, &state_limits) {
        state_charts.push(chart_block(
            &mut files,
            &format!("states-{}", i + 1),
            &format!(
                "Operator '{}': each state's bytes in the largest subtask at every checkpoint, \
                 the subtask's total in black, the limits on a subtask's state dashed.",
                r.operators[i].name
            ),
            &c,
        )?);
    }
    if let Some(sec) = doc.sections.iter_mut().find(|x| x.id == "states") {
        sec.blocks.extend(state_charts);
    }
    files.extend(report_files(&doc));
    Ok(files)
}

/// `compare`: the options side by side (chart and table), then the shared
/// sections for the scenario's own configuration; `compare_chart` is the
/// chart `compare` writes.
pub fn compare(
    s: &Scenario,
    advice: &Advice,
    bandwidth: f64,
    compare_chart: &ComparisonChart,
    stamp: Stamp,
) -> Result<Vec<File>> {
    let cmp: &Comparison = advice
        .comparison()
        .ok_or_else(|| crate::error::Error::output("report.html", "compare made no comparison"))?;
    let own = crate::plan::current_option(s, &crate::plan::options_for(s)).unwrap_or(0);
    let r = &cmp.results[own.min(cmp.results.len() - 1)];
    let f = Findings::new(
        s,
        r,
        &[],
        advice,
        Provenance::new(s, "compare", stamp),
        bandwidth,
    );
    let mut files = Vec::new();
    let options = Section::new(
        "options",
        "Every backend option on the same traffic",
        vec![
            Block::Chart {
                file: "compare".into(),
                caption: "Each option on a row, each figure in a panel of its own scale; the \
                          JobManager limit only across the options it bounds; the failing option \
                          and the recommended one marked."
                    .into(),
                svg: chart::svg_inline(compare_chart)?,
            },
            options_table(cmp),
            Block::Para(
                "TaskManager memory: JVM heap of the window state for heap backends (estimate), \
                 managed memory for RocksDB; snapshot: serialize and upload at the assumed \
                 bandwidth; headroom: what is left of the tighter of the JobManager limit and \
                 the default task heap at the largest subtask."
                    .into(),
            ),
        ],
    );
    let charts = vec![chart_block(
        &mut files,
        "timeline",
        TIMELINE_CAPTION,
        &timeline(&f),
    )?];
    files.extend(report_files(&document(&f, None, vec![options], charts)));
    Ok(files)
}

/// The options as a table, each headroom naming its limit.
fn options_table(cmp: &Comparison) -> Block {
    use crate::flink::units::human_bytes;
    let rows = cmp
        .options
        .iter()
        .map(|o| {
            vec![
                o.option.clone(),
                human_bytes(o.peak_subtask_bytes),
                if o.peak_subtask_low == o.peak_subtask_high {
                    "exact".into()
                } else {
                    format!(
                        "{}..{}",
                        human_bytes(o.peak_subtask_low),
                        human_bytes(o.peak_subtask_high)
                    )
                },
                human_bytes(o.peak_total_bytes),
                human_bytes(o.upload_per_checkpoint),
                human_bytes(o.tm_memory_bytes),
                format!("{:.1} s", o.snapshot_seconds),
                if o.headroom_against.is_empty() {
                    "no limit per subtask".into()
                } else {
                    format!("{:.0}% of the {}", o.headroom * 100.0, o.headroom_against)
                },
                if o.holds {
                    "holds".into()
                } else {
                    format!("FAILS: {}", o.fails_first)
                },
            ]
        })
        .collect();
    Block::Table {
        head: [
            "option",
            "largest subtask",
            "range",
            "all subtasks",
            "upload per checkpoint, all subtasks",
            "TaskManager memory, largest subtask",
            "snapshot",
            "headroom",
            "outcome",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        right: vec![false, true, true, true, true, true, true, false, false],
    }
}

/// `check --report`: the gate's verdict (the scenario line that decides
/// it), the timeline and the shared sections.
pub fn check(gate: &super::ci::Gate, advice: &Advice, stamp: Stamp) -> Result<Vec<File>> {
    let s = gate.scenario;
    let f = Findings::new(
        s,
        gate.result,
        &[],
        advice,
        Provenance::new(s, "check", stamp),
        crate::backend::memory::DEFAULT_BANDWIDTH,
    );
    let decided = gate.decided();
    let code = gate.verdict.exit_code();
    let mut text = gate
        .verdict
        .text()
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    if !text.ends_with('.') {
        text.push('.');
    }
    text.push_str(&format!(
        " Exit code {code}; decided at {}:{}{}.",
        s.path.display(),
        decided.line,
        if decided.field.is_empty() {
            String::new()
        } else {
            format!(" (`{}`)", decided.field)
        }
    ));
    let block = Block::Verdict {
        ok: code == 0,
        head: "statecap check".into(),
        text,
        detail: if gate.notes.is_empty() {
            None
        } else {
            Some(gate.notes.join("; "))
        },
        log: None,
    };
    let mut files = Vec::new();
    let charts = vec![chart_block(
        &mut files,
        "timeline",
        TIMELINE_CAPTION,
        &timeline(&f),
    )?];
    files.extend(report_files(&document(&f, Some(block), Vec::new(), charts)));
    Ok(files)
}

/// `sweep`: where the limits are crossed (sentences, the capacity charts,
/// every point), then the shared sections for the scenario as written.
pub fn sweep(
    sw: &crate::plan::sweep::Sweep,
    budgets: &[Limit],
    base: &ScenarioResult,
    advice: &Advice,
    stamp: Stamp,
) -> Result<Vec<File>> {
    let s = &sw.base;
    let f = Findings::new(
        s,
        base,
        budgets,
        advice,
        Provenance::new(s, "sweep", stamp),
        crate::backend::memory::DEFAULT_BANDWIDTH,
    );
    let mut files = Vec::new();
    let mut blocks = vec![Block::Para(format!(
        "{} points ({}), each a full simulation of the scenario with the values changed. \
         Where each limit is crossed:",
        sw.points.len(),
        sw.vary
            .iter()
            .map(|v| v.param.name())
            .collect::<Vec<_>>()
            .join(" × ")
    ))];
    blocks.push(Block::List(super::sweep::crossing_lines(sw, budgets)));
    for d in 0..sw.vary.len() {
        if sw.vary[d].values.len() < 2 {
            continue;
        }
        let name = super::sweep::chart_name(sw, d);
        blocks.push(Block::Chart {
            file: name,
            caption: format!(
                "Peak bytes of the largest subtask against {}, one line per value of the \
                 other parameters; the limit dashed, the crossing marked on each line.",
                sw.vary[d].param.name()
            ),
            svg: chart::svg_inline(&super::sweep::chart(sw, d, budgets))?,
        });
    }
    blocks.push(Block::Details {
        summary: format!("Every point ({})", sw.points.len()),
        blocks: vec![super::sweep::points_table(sw)],
    });
    let grid = Section::new("sweep", "The sweep", blocks);
    let charts = vec![chart_block(
        &mut files,
        "timeline",
        &format!("The scenario as written, before any value is swept. {TIMELINE_CAPTION}"),
        &timeline(&f),
    )?];
    let mut doc = document(&f, None, vec![grid], charts);
    doc.title = format!("statecap sweep: {}", s.name);
    files.extend(report_files(&doc));
    Ok(files)
}
