//! The backend comparison: per backend option, the peak snapshot of the
//! largest subtask, the most it uploads at one checkpoint, and the memory it
//! holds, as grouped bars with the limits drawn across.
//!
//! It takes plain rows ([`BackendBars`]) so that anything that evaluates
//! several backends can feed it; `run` feeds the scenario's own backend.

use super::parts::{self, LabelAt};
use super::{ByteScale, Chart, DrawResult, GREY, Limit, PALETTE, font, small};
use crate::flink::units::human_bytes;
use crate::pipeline::ScenarioResult;
use crate::scenario::Scenario;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One backend option: `(label, peak snapshot bytes, upload bytes, memory
/// bytes)`, all per subtask; 0 means "not modelled" and is drawn as `n/a`.
pub type BackendBars<'a> = (&'a str, u64, u64, u64);

const SERIES: [&str; 3] = [
    "peak snapshot (largest subtask)",
    "upload per checkpoint (mean)",
    "TaskManager memory (estimate)",
];

/// The comparison chart.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonChart {
    /// Top line.
    pub title: String,
    /// One row per backend option.
    pub rows: Vec<(String, u64, u64, u64)>,
    /// Lines the snapshot must stay under.
    pub limits: Vec<Limit>,
}

impl ComparisonChart {
    /// A chart of these rows.
    pub fn new(title: impl Into<String>, rows: &[BackendBars<'_>], limits: Vec<Limit>) -> Self {
        ComparisonChart {
            title: title.into(),
            rows: rows
                .iter()
                .map(|&(l, a, b, c)| (l.to_string(), a, b, c))
                .collect(),
            limits,
        }
    }

    /// The scenario's own backend, with the figures `statecap compare`
    /// gives each option: the largest subtask's peak snapshot, the mean
    /// upload per checkpoint and subtask, and the TaskManager memory of the
    /// largest subtask (an estimate).
    pub fn for_run(s: &Scenario, r: &ScenarioResult, limits: Vec<Limit>) -> Self {
        let own = crate::plan::BackendOption {
            label: String::new(),
            config: s.config.clone(),
        };
        let sum =
            crate::plan::summarize_option(s, &own, r, crate::backend::memory::DEFAULT_BANDWIDTH);
        let peak = sum.peak_subtask_bytes;
        let upload = sum.upload_per_checkpoint / s.parallelism.max(1) as u64;
        let memory = sum.tm_memory_bytes;
        let label = format!(
            "{} + {} storage",
            s.config.backend.class_name(s.flink_version),
            s.config.storage.short_name()
        );
        Self::new(
            format!("{} — backend options, per subtask", s.name),
            &[(label.as_str(), peak, upload, memory)],
            limits,
        )
    }
}

impl Chart for ComparisonChart {
    fn size(&self) -> (u32, u32) {
        (1000, 520)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let body = parts::titled(root, &self.title, None)?;
        let n = self.rows.len().max(1);
        let top = self
            .rows
            .iter()
            .map(|r| r.1.max(r.2).max(r.3))
            .max()
            .unwrap_or(0)
            .max(1);
        let view = parts::in_view(&self.limits, 0, top);
        let ymax = view.high;
        let ys = ByteScale::for_max(ymax as f64 * 1.2);
        let y1 = ys.of(ymax) * 1.22;
        let labels: Vec<String> = self.rows.iter().map(|r| r.0.clone()).collect();
        let x = (-0.5, n as f64 - 0.5);
        let mut chart = parts::plot(&body, None, 14, 40, x.0..x.1, 0f64..y1)?;
        parts::mesh(&mut chart, 13)
            .disable_x_mesh()
            .x_labels(n + 1)
            .x_label_formatter(&|v| {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 {
                    labels.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_desc("bytes per subtask")
            .y_label_formatter(&|v| ys.tick(*v))
            .draw()?;
        let w = 0.8 / 3.0;
        for (k, name) in SERIES.iter().enumerate() {
            let c = PALETTE[k];
            let bars = self.rows.iter().enumerate().map(move |(i, r)| {
                let v = [r.1, r.2, r.3][k];
                let x0 = i as f64 - 0.4 + w * k as f64;
                Rectangle::new([(x0 + 0.02, 0.0), (x0 + w - 0.02, ys.of(v))], c.filled())
            });
            chart
                .draw_series(bars)?
                .label(*name)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], c.filled()));
            let texts = self.rows.iter().enumerate().map(move |(i, r)| {
                let v = [r.1, r.2, r.3][k];
                let x = i as f64 - 0.4 + w * (k as f64 + 0.5);
                let (text, style) = if v == 0 {
                    ("n/a (not modelled)".to_string(), small(12))
                } else {
                    (human_bytes(v), font(13))
                };
                Text::new(
                    text,
                    (x, ys.of(v)),
                    style.pos(Pos::new(HPos::Center, VPos::Bottom)),
                )
            });
            chart.draw_series(texts)?;
        }
        parts::limit_lines(&mut chart, &view.shown, x, |b| ys.of(b), 13, LabelAt::End)?;
        parts::legend(&mut chart, SeriesLabelPosition::UpperLeft, GREY.mix(0.4))?;
        Ok(())
    }
}
