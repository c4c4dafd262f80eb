//! The timeline: every subtask's state bytes at every checkpoint. The
//! subtask that reaches the peak is one bold line, the others a band (their
//! lowest to highest) with their median; failed checkpoints are red dots on
//! the largest subtask, and the limits are labelled dashed lines.

use super::parts::{self, LabelAt};
use super::{BAND, ByteScale, Chart, DrawResult, FAIL, HIGHLIGHT, Limit, TimeScale, font, small};
use crate::backend::CheckpointStatus;
use crate::flink::units::human_bytes;
use crate::pipeline::{OperatorResult, ScenarioResult};
use crate::scenario::{Scenario, TimeCharacteristic};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Most points drawn per panel; longer runs are merged into buckets (the
/// highest and lowest of each kept).
const MAX_POINTS: usize = 1500;

/// One checkpoint (or a bucket of consecutive ones) of one operator.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelinePoint {
    /// Checkpoint number (the last of a bucket).
    pub checkpoint: u64,
    /// Time at the barrier.
    pub time_ms: i64,
    /// The highlighted subtask's bytes.
    pub highlighted: u64,
    /// Lowest of the other subtasks.
    pub others_min: u64,
    /// Median of the other subtasks.
    pub others_median: u64,
    /// Highest of the other subtasks.
    pub others_max: u64,
    /// Largest subtask of the checkpoint.
    pub max: u64,
    /// The checkpoint failed.
    pub failed: bool,
}

/// One operator's panel.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelinePanel {
    /// Operator name.
    pub operator: String,
    /// Event or processing time (the x axis).
    pub event_time: bool,
    /// The subtask drawn as a line: the one at the peak.
    pub highlighted_subtask: u32,
    /// Subtasks in all.
    pub subtasks: usize,
    /// Points in time order.
    pub points: Vec<TimelinePoint>,
    /// First failed checkpoint: number, subtask, bytes.
    pub first_failure: Option<(u64, u32, u64)>,
}

/// The timeline chart of a scenario: one panel per operator.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineChart {
    /// Top line.
    pub title: String,
    /// Second line (backend, parallelism).
    pub subtitle: String,
    /// Panels, one per operator.
    pub panels: Vec<TimelinePanel>,
    /// Lines the state must stay under.
    pub limits: Vec<Limit>,
}

fn panel(s: &Scenario, i: usize, op: &OperatorResult) -> TimelinePanel {
    let hl = op
        .peak
        .map_or(0, |p| op.checkpoints[p].max_subtask().subtask);
    let mut points: Vec<TimelinePoint> = op
        .checkpoints
        .iter()
        .map(|cp| {
            let mut others: Vec<u64> = cp
                .subtasks
                .iter()
                .filter(|st| st.subtask != hl)
                .map(|st| st.state_bytes)
                .collect();
            others.sort_unstable();
            let h = cp
                .subtasks
                .iter()
                .find(|st| st.subtask == hl)
                .map_or(0, |st| st.state_bytes);
            TimelinePoint {
                checkpoint: cp.checkpoint,
                time_ms: cp.time_ms,
                highlighted: h,
                others_min: others.first().copied().unwrap_or(h),
                others_median: others.get(others.len() / 2).copied().unwrap_or(h),
                others_max: others.last().copied().unwrap_or(h),
                max: cp.max_state_bytes(),
                failed: matches!(cp.status, CheckpointStatus::Failed { .. }),
            }
        })
        .collect();
    if points.len() > MAX_POINTS {
        let per = points.len().div_ceil(MAX_POINTS);
        points = points
            .chunks(per)
            .map(|c| {
                let top = c.iter().max_by_key(|p| p.max).expect("non-empty chunk");
                TimelinePoint {
                    checkpoint: top.checkpoint,
                    time_ms: top.time_ms,
                    highlighted: c.iter().map(|p| p.highlighted).max().unwrap_or(0),
                    others_min: c.iter().map(|p| p.others_min).min().unwrap_or(0),
                    others_median: c[c.len() / 2].others_median,
                    others_max: c.iter().map(|p| p.others_max).max().unwrap_or(0),
                    max: top.max,
                    failed: c.iter().any(|p| p.failed),
                }
            })
            .collect();
    }
    let first_failure = op.checkpoints.iter().find_map(|c| match &c.status {
        CheckpointStatus::Failed { subtask, size, .. } => Some((c.checkpoint, *subtask, *size)),
        CheckpointStatus::Completed => None,
    });
    TimelinePanel {
        operator: op.name.clone(),
        event_time: s.operators[i].time == TimeCharacteristic::Event,
        highlighted_subtask: hl,
        subtasks: s.operator_parallelism(i) as usize,
        points,
        first_failure,
    }
}

impl TimelineChart {
    /// The timeline of a run, with the given limits drawn.
    /// At most [`super::MAX_PANELS`] operators are drawn.
    pub fn new(s: &Scenario, r: &ScenarioResult, limits: Vec<Limit>) -> Self {
        let shown = super::panel_operators(r);
        let mut subtitle = format!(
            "Flink {}, {}, parallelism {}, {} key groups",
            s.flink_version,
            s.config.backend.class_name(s.flink_version),
            s.parallelism_text(),
            s.max_parallelism
        );
        if let Some(note) = super::panels_note(shown.len(), r.operators.len()) {
            subtitle = format!("{subtitle}; {note}");
        }
        TimelineChart {
            title: format!("{} — state bytes per subtask at each checkpoint", s.name),
            subtitle,
            panels: shown
                .iter()
                .map(|&i| panel(s, i, &r.operators[i]))
                .collect(),
            limits,
        }
    }
}

impl Chart for TimelineChart {
    fn size(&self) -> (u32, u32) {
        parts::stacked_size(90, 460, self.panels.len())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let body = parts::titled(root, &self.title, Some((&self.subtitle, 30)))?;
        parts::stacked(&body, &self.panels, |area, p| {
            draw_panel(area, p, &self.limits)
        })
    }
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &TimelinePanel,
    limits: &[Limit],
) -> DrawResult<DB> {
    let top = p.points.iter().map(|q| q.max).max().unwrap_or(0);
    if p.points.is_empty() {
        return parts::nothing(area, &format!("operator '{}': no checkpoint", p.operator));
    }
    // A limit far above the data would flatten it: draw only those within
    // 20x of the peak, and mention the others.
    let view = parts::in_view(limits, 0, top.max(1));
    let ymax_bytes = view.high;
    let ys = ByteScale::for_max(ymax_bytes as f64 * 1.15);
    let tmax = p.points.iter().map(|q| q.time_ms).max().unwrap_or(0).max(1);
    let ts = TimeScale::for_max(tmax as f64);
    let x1 = ts.of(tmax) * 1.02;
    let y1 = ys.of(ymax_bytes) * 1.15;

    let caption = format!("operator '{}' ({} subtasks)", p.operator, p.subtasks);
    let mut chart = parts::plot(area, Some((&caption, 16)), 12, 48, 0f64..x1, 0f64..y1)?;
    parts::mesh(&mut chart, 13)
        .x_desc(if p.event_time {
            "event time at the checkpoint barrier"
        } else {
            "processing time at the checkpoint barrier"
        })
        .y_desc("keyed-state snapshot per subtask")
        .x_label_formatter(&|v| ts.tick(*v))
        .y_label_formatter(&|v| ys.tick(*v))
        .draw()?;

    let x = |q: &TimelinePoint| ts.of(q.time_ms);
    if p.subtasks == 2 {
        // One other subtask: a line, not a band.
        let other = 1 - p.highlighted_subtask.min(1);
        chart
            .draw_series(LineSeries::new(
                p.points.iter().map(|q| (x(q), ys.of(q.others_max))),
                BAND.stroke_width(2),
            ))?
            .label(format!("subtask {other}"))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BAND.stroke_width(2)));
    } else if p.subtasks > 2 {
        let mut poly: Vec<(f64, f64)> = p
            .points
            .iter()
            .map(|q| (x(q), ys.of(q.others_max)))
            .collect();
        poly.extend(p.points.iter().rev().map(|q| (x(q), ys.of(q.others_min))));
        chart
            .draw_series(std::iter::once(Polygon::new(poly, BAND.mix(0.35).filled())))?
            .label(format!(
                "other {} subtasks: lowest to highest",
                p.subtasks - 1
            ))
            .legend(|(x, y)| {
                Rectangle::new([(x, y - 5), (x + 18, y + 5)], BAND.mix(0.35).filled())
            });
        chart
            .draw_series(LineSeries::new(
                p.points.iter().map(|q| (x(q), ys.of(q.others_median))),
                BAND.stroke_width(1),
            ))?
            .label("their median")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BAND.stroke_width(1)));
    }
    chart
        .draw_series(LineSeries::new(
            p.points.iter().map(|q| (x(q), ys.of(q.highlighted))),
            HIGHLIGHT.stroke_width(3),
        ))?
        .label(format!(
            "subtask {} (holds the peak)",
            p.highlighted_subtask
        ))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], HIGHLIGHT.stroke_width(3)));
    let failed: Vec<&TimelinePoint> = p.points.iter().filter(|q| q.failed).collect();
    if !failed.is_empty() {
        chart
            .draw_series(
                failed
                    .iter()
                    .map(|q| Circle::new((x(q), ys.of(q.max)), 5, FAIL.filled())),
            )?
            .label(format!("failed checkpoint ({})", failed.len()))
            .legend(|(x, y)| Circle::new((x + 9, y), 5, FAIL.filled()));
    }
    parts::limit_lines(
        &mut chart,
        &view.shown,
        (0.0, x1),
        |b| ys.of(b),
        14,
        LabelAt::Start,
    )?;
    if let Some((cp, st, b)) = p.first_failure
        && let Some(q) = p.points.iter().find(|q| q.checkpoint >= cp)
    {
        let right = x(q) > x1 * 0.6;
        chart.draw_series(std::iter::once(Text::new(
            format!(
                "checkpoint {cp} fails: subtask {st} writes {}",
                human_bytes(b)
            ),
            (
                x(q) + if right { -x1 * 0.01 } else { x1 * 0.01 },
                ys.of(q.max),
            ),
            font(13).color(&FAIL).pos(Pos::new(
                if right { HPos::Right } else { HPos::Left },
                VPos::Bottom,
            )),
        )))?;
    }
    if !view.far.is_empty() {
        let text: Vec<String> = view
            .far
            .iter()
            .map(|l| format!("{} (off the chart)", l.text()))
            .collect();
        chart.draw_series(std::iter::once(Text::new(
            text.join("; "),
            (x1 * 0.99, y1 * 0.98),
            small(13).pos(Pos::new(HPos::Right, VPos::Top)),
        )))?;
    }
    parts::legend(
        &mut chart,
        super::legend_corner(
            p.points.iter().flat_map(|q| {
                [
                    (x(q), ys.of(q.highlighted)),
                    (x(q), ys.of(q.others_max)),
                    (x(q), ys.of(q.others_min)),
                ]
            }),
            (0.0, x1),
            (0.0, y1),
        ),
        RGBColor(200, 200, 200),
    )?;
    Ok(())
}
