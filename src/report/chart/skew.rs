//! The skew at the peak checkpoint: bytes per subtask (the largest in the
//! highlight color, the limits as lines), and bytes per key group, coloured
//! by the subtask that owns it, with the mean drawn across. Many key groups
//! are merged into buckets (the heaviest of each is drawn).

use super::{
    BAND, ByteScale, Chart, DrawResult, GREY, HIGHLIGHT, LIMIT_COLORS, Limit, font, small,
};
use crate::flink::KeyGroupLayout;
use crate::flink::units::human_bytes;
use crate::pipeline::{OperatorResult, ScenarioResult};
use crate::scenario::Scenario;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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
    pub fn new(s: &Scenario, r: &ScenarioResult, limits: Vec<Limit>) -> Self {
        let layout = KeyGroupLayout::new(s.parallelism, s.max_parallelism);
        SkewChart {
            title: format!("{} — where the bytes sit at the peak checkpoint", s.name),
            panels: r
                .operators
                .iter()
                .filter_map(|op| panel(&layout, op))
                .collect(),
            limits,
        }
    }
}

impl Chart for SkewChart {
    fn size(&self) -> (u32, u32) {
        (1000, 60 + 640 * self.panels.len().max(1) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let body = root.titled(&self.title, font(22))?;
        if self.panels.is_empty() {
            body.draw_text("no checkpoint: nothing to show", &font(16), (40, 40))?;
            return Ok(());
        }
        let areas = body.split_evenly((self.panels.len(), 1));
        for (p, area) in self.panels.iter().zip(&areas) {
            let (a, b) = area.split_vertically(area.dim_in_pixel().1 / 2);
            subtasks(&a, p, &self.limits)?;
            key_groups(&b, p)?;
        }
        Ok(())
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

fn subtasks<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &SkewPanel,
    limits: &[Limit],
) -> DrawResult<DB> {
    let n = p.subtask_bytes.len();
    let top = p.subtask_bytes.iter().copied().max().unwrap_or(0);
    let top_i = p.subtask_bytes.iter().position(|&b| b == top).unwrap_or(0);
    let shown: Vec<&Limit> = limits
        .iter()
        .filter(|l| (l.bytes as f64) <= (top.max(1) as f64) * 20.0)
        .collect();
    let ymax = shown
        .iter()
        .map(|l| l.bytes)
        .chain([top])
        .max()
        .unwrap_or(1)
        .max(1);
    let ys = ByteScale::for_max(ymax as f64 * 1.15);
    let y1 = ys.of(ymax) * 1.15;
    let mean = p.subtask_bytes.iter().sum::<u64>() as f64 / n.max(1) as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!(
                "operator '{}', checkpoint {}: bytes per subtask (largest: subtask {top_i}, {}, {:.2}x the mean)",
                p.operator,
                p.checkpoint,
                human_bytes(top),
                top as f64 / mean.max(1.0)
            ),
            font(15),
        )
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(90)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..y1)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(RGBColor(246, 246, 246))
        .bold_line_style(RGBColor(215, 215, 215))
        .x_desc("subtask")
        .x_labels(n.min(32))
        .x_label_formatter(&|v| {
            if (v - v.round()).abs() < 1e-6 && *v >= 0.0 {
                format!("{}", v.round() as i64)
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|v| ys.tick(*v))
        .label_style(font(12))
        .axis_desc_style(font(13))
        .draw()?;
    let w = 0.4;
    chart.draw_series(buckets(&p.subtask_bytes).into_iter().map(|(a, b, v)| {
        let c = if (a..=b).contains(&top_i) {
            HIGHLIGHT
        } else {
            BAND
        };
        Rectangle::new([(a as f64 - w, 0.0), (b as f64 + w, ys.of(v))], c.filled())
    }))?;
    for (k, l) in shown.iter().enumerate() {
        let c = LIMIT_COLORS[k % LIMIT_COLORS.len()];
        let y = ys.of(l.bytes);
        chart.draw_series(DashedLineSeries::new(
            [(-0.5, y), (n as f64 - 0.5, y)],
            10,
            6,
            c.stroke_width(2),
        ))?;
        chart.draw_series(std::iter::once(Text::new(
            l.text(),
            (n as f64 - 0.5, y),
            font(13).color(&c).pos(Pos::new(HPos::Right, VPos::Bottom)),
        )))?;
    }
    Ok(())
}

fn key_groups<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: &SkewPanel) -> DrawResult<DB> {
    let n = p.key_group_bytes.len();
    let top = p.key_group_bytes.iter().copied().max().unwrap_or(0).max(1);
    let ys = ByteScale::for_max(top as f64 * 1.1);
    let y1 = ys.of(top) * 1.1;
    let mean = p.key_group_bytes.iter().sum::<u64>() as f64 / n.max(1) as f64;
    let bk = buckets(&p.key_group_bytes);
    let merged = bk.len() < n;
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!(
                "bytes per key group ({n} key groups{}; heaviest {}, {:.2}x the mean)",
                if merged {
                    format!(", heaviest of every {} drawn", n.div_ceil(bk.len()))
                } else {
                    String::new()
                },
                human_bytes(top),
                top as f64 / mean.max(1.0)
            ),
            font(15),
        )
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(90)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..y1)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(RGBColor(246, 246, 246))
        .bold_line_style(RGBColor(215, 215, 215))
        .x_desc("key group (alternating shades: owning subtask)")
        .x_label_formatter(&|v| {
            if *v >= 0.0 {
                format!("{}", v.round() as i64)
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|v| ys.tick(*v))
        .label_style(font(12))
        .axis_desc_style(font(13))
        .draw()?;
    let shade = [RGBColor(49, 110, 170), RGBColor(140, 180, 220)];
    let w = if merged { 0.5 } else { 0.42 };
    chart.draw_series(bk.into_iter().map(|(a, b, v)| {
        let c = shade[p.key_group_subtask.get(a).copied().unwrap_or(0) as usize % 2];
        Rectangle::new([(a as f64 - w, 0.0), (b as f64 + w, ys.of(v))], c.filled())
    }))?;
    let ym = mean / ys.div;
    chart.draw_series(DashedLineSeries::new(
        [(-0.5, ym), (n as f64 - 0.5, ym)],
        8,
        5,
        GREY.stroke_width(2),
    ))?;
    chart.draw_series(std::iter::once(Text::new(
        format!("mean {}", human_bytes(mean as u64)),
        (n as f64 - 0.5, ym),
        small(13).pos(Pos::new(HPos::Right, VPos::Bottom)),
    )))?;
    Ok(())
}
