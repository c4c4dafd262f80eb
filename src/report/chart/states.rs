//! Which state holds the bytes, per operator: a line per registered state
//! (its bytes in the largest subtask at each checkpoint, as `states.csv`
//! has them), the largest subtask's total over them, and the limits that
//! bound a subtask's state as dashed lines where they are in range.

use super::parts::{self, LabelAt};
use super::{ByteScale, Chart, DrawResult, Limit, legend_corner};
use crate::pipeline::{OperatorResult, ScenarioResult};
use plotters::coord::Shift;
use plotters::prelude::*;

/// One color per state line, in the states' order.
const STATE_COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(23, 190, 207),
];

/// Most state lines drawn: the states holding the most bytes at the peak.
const MAX_LINES: usize = STATE_COLORS.len();

/// One operator's states over its checkpoints.
#[derive(Debug, Clone)]
pub struct StatesChart {
    title: String,
    /// Checkpoint numbers.
    pub checkpoints: Vec<u64>,
    /// The largest subtask's bytes at each checkpoint.
    pub total: Vec<u64>,
    /// (state, its bytes in the largest subtask at each checkpoint), the
    /// largest at the peak first.
    pub lines: Vec<(String, Vec<u64>)>,
    /// States left out (no bytes, or beyond [`MAX_LINES`]).
    pub left_out: usize,
    limits: Vec<Limit>,
}

impl StatesChart {
    /// The chart of `op` (which has per-state bytes), with `limits` on a
    /// subtask's state.
    pub fn new(scenario: &str, op: &OperatorResult, limits: Vec<Limit>) -> Self {
        let tops: Vec<usize> = op
            .checkpoints
            .iter()
            .map(|c| {
                let t = c.max_subtask().subtask;
                c.subtasks.iter().position(|s| s.subtask == t).unwrap_or(0)
            })
            .collect();
        let bytes = |i: usize| -> Vec<u64> {
            op.checkpoints
                .iter()
                .zip(&tops)
                .map(|(c, &t)| {
                    let st = &c.subtasks[t];
                    let kgs = (st.key_group_end - st.key_group_start + 1) as u64;
                    c.states[t][i].entry_bytes + op.framing.state_framing(kgs)
                })
                .collect()
        };
        let peak = op.peak.unwrap_or(0);
        // Largest at the peak first; a state whose entries stay empty (only
        // its framing) is left out.
        let mut lines: Vec<(String, Vec<u64>)> = op
            .states
            .iter()
            .enumerate()
            .filter(|&(i, _)| {
                op.checkpoints
                    .iter()
                    .zip(&tops)
                    .any(|(c, &t)| c.states[t][i].entry_bytes > 0)
            })
            .map(|(i, n)| (n.clone(), bytes(i)))
            .collect();
        lines.sort_by_key(|l| std::cmp::Reverse(l.1[peak]));
        lines.truncate(MAX_LINES);
        let left_out = op.states.len() - lines.len();
        StatesChart {
            title: format!("{scenario}: states of '{}'", op.name),
            checkpoints: op.checkpoints.iter().map(|c| c.checkpoint).collect(),
            total: op.checkpoints.iter().map(|c| c.max_state_bytes()).collect(),
            lines,
            left_out,
            limits,
        }
    }

    /// One chart per operator of `r` that has per-state bytes (at most
    /// [`super::MAX_PANELS`]), with its index in `r.operators`.
    pub fn for_run(scenario: &str, r: &ScenarioResult, limits: &[Limit]) -> Vec<(usize, Self)> {
        r.operators
            .iter()
            .enumerate()
            .filter(|(_, op)| {
                !op.checkpoints.is_empty() && op.checkpoints.iter().all(|c| !c.states.is_empty())
            })
            .take(super::MAX_PANELS)
            .map(|(i, op)| (i, StatesChart::new(scenario, op, limits.to_vec())))
            .collect()
    }
}

impl Chart for StatesChart {
    fn size(&self) -> (u32, u32) {
        (1000, 560)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let subtitle = if self.left_out > 0 {
            format!(
                "bytes of each state in the largest subtask at every checkpoint; {} state(s) not \
                 drawn (no entries ever, or beyond the six largest)",
                self.left_out
            )
        } else {
            "bytes of each state in the largest subtask at every checkpoint".to_string()
        };
        let body = parts::titled(root, &self.title, Some((&subtitle, 26)))?;
        if self.checkpoints.is_empty() {
            return parts::nothing(&body, "no checkpoint");
        }
        let top = self.total.iter().copied().max().unwrap_or(0).max(1);
        let view = parts::in_view(&self.limits, 0, top);
        let ys = ByteScale::for_max(view.high as f64 * 1.15);
        let last = *self.checkpoints.last().unwrap_or(&1) as f64;
        let x0 = (self.checkpoints[0] as f64 - 0.5).max(0.0);
        let x1 = last + (last * 0.02).max(0.5);
        let y1 = ys.of(view.high) * 1.15;
        let mut chart = parts::plot(&body, None, 12, 48, x0..x1, 0f64..y1)?;
        parts::mesh(&mut chart, 13)
            .x_desc("checkpoint")
            .y_desc("bytes in the largest subtask")
            .x_label_formatter(&|v| {
                if (v - v.round()).abs() < 1e-9 && *v >= 1.0 {
                    format!("{}", v.round() as u64)
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|v| ys.tick(*v))
            .draw()?;
        let xs = || self.checkpoints.iter().map(|&c| c as f64);
        chart
            .draw_series(LineSeries::new(
                xs().zip(self.total.iter().map(|&b| ys.of(b))),
                BLACK.stroke_width(2),
            ))?
            .label("largest subtask (all states)")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLACK.stroke_width(2)));
        for (k, (name, v)) in self.lines.iter().enumerate() {
            let c = STATE_COLORS[k % STATE_COLORS.len()];
            chart
                .draw_series(LineSeries::new(
                    xs().zip(v.iter().map(|&b| ys.of(b))),
                    c.stroke_width(2),
                ))?
                .label(name.as_str())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], c.stroke_width(2)));
        }
        parts::limit_lines(
            &mut chart,
            &view.shown,
            (x0, x1),
            |b| ys.of(b),
            13,
            LabelAt::Start,
        )?;
        let points = xs().zip(self.total.iter().map(|&b| ys.of(b))).chain(
            self.lines
                .iter()
                .flat_map(|(_, v)| xs().zip(v.iter().map(|&b| ys.of(b)))),
        );
        // The limits' labels sit at their left end: keep the legend off them.
        let labels: Vec<(f64, f64)> = view
            .shown
            .iter()
            .flat_map(|l| {
                let y = ys.of(l.bytes);
                (0..8).map(move |k| (x0 + (x1 - x0) * 0.05 * k as f64, y))
            })
            .collect();
        let corner = legend_corner(points.chain(labels), (x0, x1), (0.0, y1));
        parts::legend(&mut chart, corner, super::GREY)
    }
}
