//! The timeline: every subtask's state bytes at every checkpoint, read by
//! checkpoint number (the x axis, as Flink's UI and every table count them)
//! and by the time of the barrier (the axis on top). The bold line is the
//! largest subtask at each checkpoint, the figure a memory-backed limit is
//! checked against, so a failed checkpoint's red dot sits on it; the
//! subtasks' spread is a band with its median. Limits are labelled dashed
//! lines. Where the state saw-tooths (the checkpoint interval drifting
//! against the window cycle, [`crate::report::drift`]), dotted lines mark
//! each drop and a note under the panel says why.

use super::parts::{self, LabelAt};
use super::{BAND, ByteScale, Chart, DrawResult, FAIL, GREY, HIGHLIGHT, Limit, font, small};
use crate::backend::CheckpointStatus;
use crate::flink::units::{human_bytes, human_duration_ms};
use crate::pipeline::{OperatorResult, ScenarioResult};
use crate::report::drift::Drift;
use crate::scenario::{Scenario, TimeCharacteristic};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Most points drawn per panel; longer runs are merged into buckets (the
/// highest and lowest of each kept).
const MAX_POINTS: usize = 1500;

/// Characters of a note line under a panel (13-point text in 1000 pixels).
const NOTE_CHARS: usize = 118;

/// One checkpoint (or a bucket of consecutive ones) of one operator.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelinePoint {
    /// Checkpoint number (the last of a bucket).
    pub checkpoint: u64,
    /// Time at the barrier.
    pub time_ms: i64,
    /// Lowest subtask.
    pub min: u64,
    /// Median subtask.
    pub median: u64,
    /// Largest subtask of the checkpoint (the bold line).
    pub max: u64,
    /// The checkpoint failed.
    pub failed: bool,
}

/// One operator's panel.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelinePanel {
    /// Operator name.
    pub operator: String,
    /// Event or processing time (the top axis).
    pub event_time: bool,
    /// The subtask at the peak.
    pub peak_subtask: u32,
    /// Subtasks in all.
    pub subtasks: usize,
    /// Points in checkpoint order.
    pub points: Vec<TimelinePoint>,
    /// First failed checkpoint: number, subtask, bytes.
    pub first_failure: Option<(u64, u32, u64)>,
    /// Checkpoints at which the state drops as the window cycle wraps.
    pub wraps: Vec<u64>,
    /// Why it saw-tooths, in lines under the panel.
    pub note: Vec<String>,
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
    let peak_subtask = op
        .peak
        .map_or(0, |p| op.checkpoints[p].max_subtask().subtask);
    let mut points: Vec<TimelinePoint> = op
        .checkpoints
        .iter()
        .map(|cp| {
            let mut all: Vec<u64> = cp.subtasks.iter().map(|st| st.state_bytes).collect();
            all.sort_unstable();
            TimelinePoint {
                checkpoint: cp.checkpoint,
                time_ms: cp.time_ms,
                min: all.first().copied().unwrap_or(0),
                median: all.get(all.len() / 2).copied().unwrap_or(0),
                max: all.last().copied().unwrap_or(0),
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
                    min: c.iter().map(|p| p.min).min().unwrap_or(0),
                    median: c[c.len() / 2].median,
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
        peak_subtask,
        subtasks: s.operator_parallelism(i) as usize,
        points,
        first_failure,
        wraps: Vec::new(),
        note: Vec::new(),
    }
}

/// `text` cut into lines of at most `width` characters, at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
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

    /// With the saw-tooth of each operator marked (its drops) and
    /// explained (a note under its panel).
    pub fn with_drift(mut self, drift: &[Drift]) -> Self {
        for p in &mut self.panels {
            if let Some(d) = drift
                .iter()
                .find(|d| d.operator == p.operator && !d.drops.is_empty())
            {
                p.wraps = d.drops.iter().map(|x| x.0).collect();
                p.note = wrap(&d.note(), NOTE_CHARS);
            }
        }
        self
    }

    /// Pixels under every panel's plot: its legend, then its note.
    fn below_height(&self) -> u32 {
        self.panels
            .iter()
            .map(|p| legend_entries(p).len().div_ceil(2) as u32 * 18 + p.note.len() as u32 * 17)
            .max()
            .unwrap_or(0)
            + 8
    }
}

impl Chart for TimelineChart {
    fn size(&self) -> (u32, u32) {
        parts::stacked_size(90, 480 + self.below_height(), self.panels.len())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let body = parts::titled(root, &self.title, Some((&self.subtitle, 30)))?;
        let below = self.below_height();
        parts::stacked(&body, &self.panels, |area, p| {
            let r = area.get_pixel_range();
            let h = (r.1.end - r.1.start) as u32;
            let (plot, under) = area.split_vertically(h.saturating_sub(below));
            draw_panel(&plot, p, &self.limits)?;
            draw_legend(&under, p)?;
            Ok(())
        })
    }
}

/// The time of the barrier at checkpoint `k` (a fraction between two
/// checkpoints interpolated, beyond the last extrapolated).
fn time_at(points: &[TimelinePoint], k: f64) -> f64 {
    let n = points.len();
    if n == 0 {
        return 0.0;
    }
    if n == 1 {
        let p = &points[0];
        return p.time_ms as f64 * k / (p.checkpoint.max(1) as f64);
    }
    let at = points
        .windows(2)
        .position(|w| k <= w[1].checkpoint as f64)
        .unwrap_or(n - 2);
    let (a, b) = (&points[at], &points[at + 1]);
    let span = (b.checkpoint - a.checkpoint).max(1) as f64;
    a.time_ms as f64 + (k - a.checkpoint as f64) * (b.time_ms - a.time_ms) as f64 / span
}

/// A time tick: `10.2 s`, `4.2 min`, without a trailing `.0`.
fn time_tick(ms: f64) -> String {
    if ms < 0.0 {
        return String::new();
    }
    human_duration_ms(ms.round() as i64).replacen(".0 ", " ", 1)
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
    let last = p.points.last().map_or(1, |q| q.checkpoint).max(1) as f64;
    let x1 = last + (last * 0.02).max(0.5);
    let y1 = ys.of(ymax_bytes) * 1.15;

    let caption = format!("operator '{}' ({} subtasks)", p.operator, p.subtasks);
    let mut chart = ChartBuilder::on(area)
        .caption(&caption, font(16))
        .margin(12)
        .x_label_area_size(48)
        .top_x_label_area_size(44)
        .y_label_area_size(90)
        .right_y_label_area_size(8)
        .build_cartesian_2d(0f64..x1, 0f64..y1)?
        .set_secondary_coord(0f64..x1, 0f64..y1);
    parts::mesh(&mut chart, 13)
        .x_desc("checkpoint")
        .y_desc("keyed-state snapshot per subtask")
        .x_label_formatter(&|v| {
            if (v - v.round()).abs() < 1e-9 && *v >= 1.0 {
                format!("{}", v.round() as u64)
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|v| ys.tick(*v))
        .draw()?;
    let points = &p.points;
    let at = |v: &f64| {
        if (v - v.round()).abs() < 1e-9 && *v >= 1.0 {
            time_tick(time_at(points, *v))
        } else {
            String::new()
        }
    };
    chart
        .configure_secondary_axes()
        .x_desc(if p.event_time {
            "time at the checkpoint barrier (the stream's event time)"
        } else {
            "time at the checkpoint barrier (processing time)"
        })
        .label_style(small(13))
        .axis_desc_style(small(14))
        .x_label_formatter(&at)
        .y_label_formatter(&|_| String::new())
        .draw()?;

    let x = |q: &TimelinePoint| q.checkpoint as f64;
    if p.subtasks > 1 {
        let mut poly: Vec<(f64, f64)> = p.points.iter().map(|q| (x(q), ys.of(q.max))).collect();
        poly.extend(p.points.iter().rev().map(|q| (x(q), ys.of(q.min))));
        chart.draw_series(std::iter::once(Polygon::new(poly, BAND.mix(0.35).filled())))?;
        chart.draw_series(LineSeries::new(
            p.points.iter().map(|q| (x(q), ys.of(q.median))),
            BAND.stroke_width(1),
        ))?;
    }
    for &k in &p.wraps {
        let at = k as f64 - 0.5;
        chart.draw_series(DashedLineSeries::new(
            [(at, 0.0), (at, y1)],
            3,
            4,
            GREY.stroke_width(1),
        ))?;
    }
    chart.draw_series(LineSeries::new(
        p.points.iter().map(|q| (x(q), ys.of(q.max))),
        HIGHLIGHT.stroke_width(3),
    ))?;
    chart.draw_series(
        p.points
            .iter()
            .filter(|q| q.failed)
            .map(|q| Circle::new((x(q), ys.of(q.max)), 5, FAIL.filled())),
    )?;
    parts::limit_lines(
        &mut chart,
        &view.shown,
        (0.0, x1),
        |b| ys.of(b),
        14,
        LabelAt::Start,
    )?;
    // The first failure, named at the top of the plot above its dot (a
    // thin red leader down to it), clear of the limit line and the data.
    if let Some((cp, st, b)) = p.first_failure
        && let Some(q) = p.points.iter().find(|q| q.checkpoint >= cp)
    {
        let right = x(q) > x1 * 0.6;
        let top = y1 * 0.985;
        chart.draw_series(std::iter::once(Text::new(
            format!(
                "checkpoint {cp} fails: subtask {st} writes {}",
                human_bytes(b)
            ),
            (x(q) + if right { -x1 * 0.006 } else { x1 * 0.006 }, top),
            font(13).color(&FAIL).pos(Pos::new(
                if right { HPos::Right } else { HPos::Left },
                VPos::Top,
            )),
        )))?;
        chart.draw_series(LineSeries::new(
            [(x(q), top), (x(q), ys.of(q.max))],
            FAIL.mix(0.6).stroke_width(1),
        ))?;
    }
    if !view.far.is_empty() {
        let text: Vec<String> = view
            .far
            .iter()
            .map(|l| format!("{} (off the chart)", l.text()))
            .collect();
        chart.draw_series(std::iter::once(Text::new(
            text.join("; "),
            (x1 * 0.01, y1 * 0.985),
            small(13).pos(Pos::new(HPos::Left, VPos::Top)),
        )))?;
    }
    Ok(())
}

/// A swatch of the legend under a panel.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Swatch {
    Band,
    Median,
    Largest,
    Failed,
    Wrap,
}

/// What the legend under `p` says, in order.
fn legend_entries(p: &TimelinePanel) -> Vec<(Swatch, String)> {
    let mut v = vec![(
        Swatch::Largest,
        format!(
            "largest subtask at each checkpoint (subtask {} at the peak)",
            p.peak_subtask
        ),
    )];
    let failed = p.points.iter().filter(|q| q.failed).count();
    if failed > 0 {
        v.push((
            Swatch::Failed,
            format!("failed checkpoint ({failed}), on the largest subtask"),
        ));
    }
    if p.subtasks > 1 {
        v.push((
            Swatch::Band,
            format!("all {} subtasks: lowest to highest", p.subtasks),
        ));
        v.push((Swatch::Median, "their median".to_string()));
    }
    if !p.wraps.is_empty() {
        v.push((
            Swatch::Wrap,
            "window cycle wraps: the state drops".to_string(),
        ));
    }
    v
}

/// The legend in two columns under the plot, then the note.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &TimelinePanel,
) -> DrawResult<DB> {
    let entries = legend_entries(p);
    let rows = entries.len().div_ceil(2);
    for (k, (swatch, text)) in entries.iter().enumerate() {
        let (x, y) = (24 + 490 * (k / rows) as i32, 4 + 18 * (k % rows) as i32);
        let mid = y + 7;
        match swatch {
            Swatch::Band => area.draw(&Rectangle::new(
                [(x, mid - 5), (x + 18, mid + 5)],
                BAND.mix(0.35).filled(),
            ))?,
            Swatch::Median => area.draw(&PathElement::new(
                [(x, mid), (x + 18, mid)],
                BAND.stroke_width(1),
            ))?,
            Swatch::Largest => area.draw(&PathElement::new(
                [(x, mid), (x + 18, mid)],
                HIGHLIGHT.stroke_width(3),
            ))?,
            Swatch::Failed => area.draw(&Circle::new((x + 9, mid), 5, FAIL.filled()))?,
            Swatch::Wrap => area.draw(&PathElement::new(
                [(x + 9, mid - 7), (x + 9, mid + 7)],
                GREY.stroke_width(1),
            ))?,
        }
        area.draw_text(text, &font(13), (x + 26, y))?;
    }
    let top = 4 + 18 * rows as i32 + 4;
    for (k, line) in p.note.iter().enumerate() {
        area.draw_text(line, &font(13), (16, top + 17 * k as i32))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_wrap_at_spaces_and_times_interpolate() {
        let lines = wrap("aaa bbb ccc ddd", 7);
        assert_eq!(lines, ["aaa bbb", "ccc ddd"]);
        let pt = |checkpoint, time_ms| TimelinePoint {
            checkpoint,
            time_ms,
            min: 0,
            median: 0,
            max: 0,
            failed: false,
        };
        let pts = [pt(1, 10_200), pt(2, 20_400), pt(3, 30_600)];
        assert_eq!(time_at(&pts, 2.0), 20_400.0);
        assert_eq!(time_at(&pts, 2.5), 25_500.0);
        assert_eq!(time_at(&pts, 4.0), 40_800.0);
        assert_eq!(time_tick(20_400.0), "20.4 s");
        assert_eq!(time_tick(60_000.0), "1 min");
    }
}
