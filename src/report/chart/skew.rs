//! The skew at the peak checkpoint: bytes per subtask (the largest in the
//! highlight color, the limits as lines), and bytes per key group, coloured
//! by the subtask that owns it, with the mean drawn across. Many key groups
//! are merged into buckets (the heaviest of each is drawn).

use super::parts::{self, LabelAt, Plot};
use super::{BAND, ByteScale, Chart, DrawResult, GREY, HIGHLIGHT, Limit};
use crate::flink::KeyGroupLayout;
use crate::flink::units::human_bytes;
use crate::pipeline::{OperatorResult, ScenarioResult};
use crate::scenario::Scenario;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Most bars drawn in one panel.
const MAX_BARS: usize = 512;

/// One operator at its peak checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct SkewPanel {
    /// Operator name.
    pub operator: String,
    /// The peak checkpoint.
    pub checkpoint: u64,
    /// Bytes per subtask.
    pub subtask_bytes: Vec<u64>,
    /// Bytes per key group.
    pub key_group_bytes: Vec<u64>,
    /// Owner of each key group.
    pub key_group_subtask: Vec<u32>,
}

/// The skew chart of a scenario: two panels per operator.
#[derive(Debug, Clone, PartialEq)]
pub struct SkewChart {
    /// Top line.
    pub title: String,
    /// Second line, when operators are left out.
    pub note: Option<String>,
    /// Panels, one per operator.
    pub panels: Vec<SkewPanel>,
    /// Lines the subtasks must stay under.
    pub limits: Vec<Limit>,
}

fn panel(layout: &KeyGroupLayout, op: &OperatorResult) -> Option<SkewPanel> {
    let cp = &op.checkpoints[op.peak?];
    Some(SkewPanel {
        operator: op.name.clone(),
        checkpoint: cp.checkpoint,
        subtask_bytes: cp.subtasks.iter().map(|s| s.state_bytes).collect(),
        key_group_bytes: op.peak_key_group_bytes.clone(),
        key_group_subtask: (0..op.peak_key_group_bytes.len() as u32)
            .map(|kg| layout.subtask_of(kg))
            .collect(),
    })
}

impl SkewChart {
    /// The skew of a run at each operator's peak checkpoint.
    /// At most [`super::MAX_PANELS`] operators are drawn.
    pub fn new(s: &Scenario, r: &ScenarioResult, limits: Vec<Limit>) -> Self {
        let shown = super::panel_operators(r);
        SkewChart {
            title: format!("{} — where the bytes sit at the peak checkpoint", s.name),
            note: super::panels_note(shown.len(), r.operators.len()),
            panels: shown
                .iter()
                .filter_map(|&i| panel(&s.operator_layout(i), &r.operators[i]))
                .collect(),
            limits,
        }
    }
}

impl Chart for SkewChart {
    fn size(&self) -> (u32, u32) {
        parts::stacked_size(60, 640, self.panels.len())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let body = parts::titled(root, &self.title, self.note.as_deref().map(|n| (n, 30)))?;
        if self.panels.is_empty() {
            return parts::nothing(&body, "no checkpoint: nothing to show");
        }
        parts::stacked(&body, &self.panels, |area, p| {
            let (a, b) = area.split_vertically(area.dim_in_pixel().1 / 2);
            subtasks(&a, p, &self.limits)?;
            key_groups(&b, p)
        })
    }
}

/// `(first index, last index, value)` buckets of at most [`MAX_BARS`].
fn buckets(v: &[u64]) -> Vec<(usize, usize, u64)> {
    let per = v.len().div_ceil(MAX_BARS).max(1);
    v.chunks(per)
        .enumerate()
        .map(|(i, c)| {
            (
                i * per,
                i * per + c.len() - 1,
                c.iter().copied().max().unwrap_or(0),
            )
        })
        .collect()
}

/// The x axis of a bar panel: the indices `0..n` of subtasks or key groups.
struct IndexAxis {
    /// Indices.
    n: usize,
    /// What they are.
    desc: &'static str,
    /// Ticks at the most (`None`: plotters' default).
    ticks: Option<usize>,
    /// Label only the ticks that fall on a whole index.
    whole_only: bool,
}

/// A panel of `bars` (`(first index, last index, bytes)`) under `caption`:
/// bytes up, in `ys` to `y1`; each bar spans its indices and `w` either
/// side, in `color(first, last)`. Returns the panel for what is drawn over
/// the bars.
fn bar_panel<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: &str,
    axis: IndexAxis,
    (ys, y1): (ByteScale, f64),
    bars: Vec<(usize, usize, u64)>,
    w: f64,
    color: impl Fn(usize, usize) -> RGBColor,
) -> Result<Plot<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let x = -0.5..(axis.n as f64 - 0.5);
    let mut chart = parts::plot(area, Some((caption, 15)), 10, 40, x, 0f64..y1)?;
    let x_label = |v: &f64| {
        if (!axis.whole_only || (v - v.round()).abs() < 1e-6) && *v >= 0.0 {
            format!("{}", v.round() as i64)
        } else {
            String::new()
        }
    };
    let y_label = |v: &f64| ys.tick(*v);
    let mut mesh = parts::mesh(&mut chart, 12);
    mesh.disable_x_mesh().x_desc(axis.desc);
    if let Some(t) = axis.ticks {
        mesh.x_labels(t);
    }
    mesh.x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .draw()?;
    chart.draw_series(bars.into_iter().map(|(a, b, v)| {
        Rectangle::new(
            [(a as f64 - w, 0.0), (b as f64 + w, ys.of(v))],
            color(a, b).filled(),
        )
    }))?;
    Ok(chart)
}

fn subtasks<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &SkewPanel,
    limits: &[Limit],
) -> DrawResult<DB> {
    let n = p.subtask_bytes.len();
    let top = p.subtask_bytes.iter().copied().max().unwrap_or(0);
    let top_i = p.subtask_bytes.iter().position(|&b| b == top).unwrap_or(0);
    let view = parts::in_view(limits, 0, top.max(1));
    let ymax = view.high;
    // Room above the tallest bar and the limits for their labels: a band
    // of a fifth of the panel per label.
    let labels = view.shown.len() as f64;
    let ys = ByteScale::for_max(ymax as f64 * (1.1 + 0.12 * labels));
    let y1 = ys.of(ymax) * (1.08 + 0.12 * labels);
    let mean = p.subtask_bytes.iter().sum::<u64>() as f64 / n.max(1) as f64;
    let caption = format!(
        "operator '{}', checkpoint {}: bytes per subtask (largest: subtask {top_i}, {}, {:.2}x the mean)",
        p.operator,
        p.checkpoint,
        human_bytes(top),
        top as f64 / mean.max(1.0)
    );
    let axis = IndexAxis {
        n,
        desc: "subtask",
        ticks: Some(n.min(32)),
        whole_only: true,
    };
    let bars = buckets(&p.subtask_bytes);
    let mut chart = bar_panel(area, &caption, axis, (ys, y1), bars, 0.4, |a, b| {
        if (a..=b).contains(&top_i) {
            HIGHLIGHT
        } else {
            BAND
        }
    })?;
    let x = (-0.5, n as f64 - 0.5);
    for (k, l) in view.shown.iter().enumerate() {
        let c = super::LIMIT_COLORS[k % super::LIMIT_COLORS.len()];
        let at = LabelAt::Above(y1 * (1.0 - 0.1 * k as f64));
        parts::dashed_rule(
            &mut chart,
            x,
            ys.of(l.bytes),
            (10, 6),
            c,
            (l.text(), 13),
            at,
        )?;
    }
    Ok(())
}

fn key_groups<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: &SkewPanel) -> DrawResult<DB> {
    let n = p.key_group_bytes.len();
    let top = p.key_group_bytes.iter().copied().max().unwrap_or(0).max(1);
    let ys = ByteScale::for_max(top as f64 * 1.25);
    let y1 = ys.of(top) * 1.22;
    let mean = p.key_group_bytes.iter().sum::<u64>() as f64 / n.max(1) as f64;
    let bk = buckets(&p.key_group_bytes);
    let merged = bk.len() < n;
    let heaviest = p
        .key_group_bytes
        .iter()
        .position(|&b| b == top)
        .unwrap_or(0);
    let owner = p.key_group_subtask.get(heaviest).copied().unwrap_or(0);
    let caption = format!(
        "bytes per key group ({n} key groups{}; heaviest of the job: key group {heaviest} of \
         subtask {owner}, {}, {:.2}x the mean)",
        if merged {
            format!(", heaviest of every {} drawn", n.div_ceil(bk.len()))
        } else {
            String::new()
        },
        human_bytes(top),
        top as f64 / mean.max(1.0)
    );
    let axis = IndexAxis {
        n,
        desc: "key group (shade changes with the owning subtask: 0 dark, 1 light, 2 dark, …)",
        ticks: None,
        whole_only: false,
    };
    let shade = [RGBColor(49, 110, 170), RGBColor(140, 180, 220)];
    let w = if merged { 0.5 } else { 0.42 };
    let mut chart = bar_panel(area, &caption, axis, (ys, y1), bk, w, |a, _| {
        shade[p.key_group_subtask.get(a).copied().unwrap_or(0) as usize % 2]
    })?;
    let x = (-0.5, n as f64 - 0.5);
    parts::dashed_rule(
        &mut chart,
        x,
        mean / ys.div,
        (8, 5),
        GREY,
        (format!("mean {}", human_bytes(mean as u64)), 13),
        LabelAt::Above(y1),
    )?;
    Ok(())
}
