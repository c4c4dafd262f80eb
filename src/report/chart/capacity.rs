//! Capacity curves from a sweep: the largest subtask's peak bytes against
//! one swept parameter, one line per combination of the others, the limits
//! as dashed lines and, on each line, where it stops holding (a dotted
//! vertical marker with the value).
//!
//! Axes spanning more than a factor of 8 are logarithmic (base 2 for
//! powers of two such as parallelism, else base 10); byte axes in log space
//! are labelled in powers of two (`512 KiB`, `1 MiB`).

use super::parts::{self, LabelAt};
use super::{
    ByteScale, Chart, DrawResult, FAIL, Limit, PALETTE, compact_count, font, log2_bytes_tick,
};
use crate::flink::units::human_duration_ms;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One sweep point on a line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CapacityPoint {
    /// The swept parameter's value.
    pub x: f64,
    /// The largest subtask's peak bytes (`None`: the point did not run).
    pub peak_bytes: Option<u64>,
    /// A checkpoint failed at this point.
    pub failed: bool,
}

/// One line: the other parameters fixed.
#[derive(Debug, Clone, PartialEq)]
pub struct CapacityLine {
    /// `parallelism 8`.
    pub label: String,
    /// Points in increasing `x`.
    pub points: Vec<CapacityPoint>,
    /// Where the line crosses the first limit, if it does.
    pub crossing: Option<f64>,
}

/// The capacity chart for one swept parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct CapacityChart {
    /// Top line.
    pub title: String,
    /// Second line.
    pub subtitle: String,
    /// The x axis: `source.events_per_second (records/s)`.
    pub x_desc: String,
    /// The parameter is a duration in milliseconds.
    pub x_is_ms: bool,
    /// The parameter takes whole numbers (parallelism, keys).
    pub x_is_integer: bool,
    /// Lines, at most [`PALETTE`]'s length are told apart by colour.
    pub lines: Vec<CapacityLine>,
    /// Lines the state must stay under.
    pub limits: Vec<Limit>,
}

/// How an axis maps values: linear, or log in a base.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Axis {
    Linear,
    Log(f64),
}

impl Axis {
    fn pick(values: impl Iterator<Item = f64>, pow2: bool) -> Axis {
        let v: Vec<f64> = values.collect();
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(0f64, f64::max);
        let all_pow2 = v.iter().all(|x| {
            let l = x.log2();
            (l - l.round()).abs() < 1e-9
        });
        if pow2 && all_pow2 && lo > 0.0 && hi / lo >= 4.0 {
            Axis::Log(2.0)
        } else if lo > 0.0 && hi / lo >= 8.0 {
            Axis::Log(10.0)
        } else {
            Axis::Linear
        }
    }
    fn to(self, v: f64) -> f64 {
        match self {
            Axis::Linear => v,
            Axis::Log(b) => v.max(1e-9).log(b),
        }
    }
    fn from(self, v: f64) -> f64 {
        match self {
            Axis::Linear => v,
            Axis::Log(b) => b.powf(v),
        }
    }
}

impl Chart for CapacityChart {
    fn size(&self) -> (u32, u32) {
        (1000, 600)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let body = parts::titled(root, &self.title, Some((&self.subtitle, 24)))?;
        let xs = self.lines.iter().flat_map(|l| l.points.iter().map(|p| p.x));
        let xa = Axis::pick(xs.clone(), true);
        let peaks: Vec<u64> = self
            .lines
            .iter()
            .flat_map(|l| l.points.iter().filter_map(|p| p.peak_bytes))
            .collect();
        if peaks.is_empty() {
            return parts::nothing(&body, "no point of the sweep ran");
        }
        let pmax = peaks.iter().copied().max().unwrap_or(1).max(1);
        let pmin = peaks.iter().copied().min().unwrap_or(1).max(1);
        let view = parts::in_view(&self.limits, pmin, pmax);
        let (ylo, yhi) = (view.low, view.high);
        let ya = if yhi as f64 / ylo as f64 >= 16.0 {
            Axis::Log(2.0)
        } else {
            Axis::Linear
        };
        let ys = ByteScale::for_max(yhi as f64 * 1.1);
        // Values on the y axis: log2(bytes) or bytes in the unit.
        let yv = |b: u64| match ya {
            Axis::Log(_) => (b.max(1) as f64).log2(),
            Axis::Linear => ys.of(b),
        };
        let (y0, y1) = match ya {
            Axis::Log(_) => (yv(ylo).floor() - 0.3, yv(yhi).ceil() + 0.3),
            Axis::Linear => (0.0, ys.of(yhi) * 1.12),
        };
        let xmin = xs.clone().fold(f64::INFINITY, f64::min);
        let xmax = xs.fold(f64::NEG_INFINITY, f64::max);
        let (mut x0, mut x1) = (xa.to(xmin), xa.to(xmax));
        if x1 <= x0 {
            x0 -= 1.0;
            x1 += 1.0;
        }
        let pad = (x1 - x0) * 0.04;
        let (x0, x1) = (x0 - pad, x1 + pad);
        let x_is_ms = self.x_is_ms;
        let xfmt = move |v: f64| {
            let raw = xa.from(v);
            if x_is_ms {
                human_duration_ms(raw.round() as i64)
            } else {
                compact_count(raw)
            }
        };
        // Base-10 log axes get 1-2-5 ticks drawn here; plotters would put
        // them at 10^0.5 steps (3.16k).
        let decade_ticks = match xa {
            Axis::Log(10.0) => log10_ticks(x0, x1),
            _ => Vec::new(),
        };
        let x_labels = match xa {
            Axis::Log(10.0) => 0,
            Axis::Log(_) => ((x1 - x0).ceil() as usize + 1).clamp(3, 12),
            Axis::Linear => 10,
        };
        let y_labels = match ya {
            Axis::Log(_) => ((y1 - y0).ceil() as usize + 1).clamp(3, 12),
            Axis::Linear => 10,
        };
        let mut chart = parts::plot(&body, None, 14, 48, x0..x1, y0..y1)?;
        parts::mesh(&mut chart, 13)
            .x_labels(x_labels)
            .y_labels(y_labels)
            .x_desc(self.x_desc.as_str())
            .y_desc("peak snapshot of the largest subtask")
            .x_label_formatter(&|v| xfmt(*v))
            .y_label_formatter(&|v| match ya {
                Axis::Log(_) => log2_bytes_tick(*v),
                Axis::Linear => ys.tick(*v),
            })
            .draw()?;
        for &v in &decade_ticks {
            let x = v.log10();
            chart.draw_series(LineSeries::new(
                [(x, y0), (x, y1)],
                RGBColor(215, 215, 215).stroke_width(1),
            ))?;
            let (px, py) = chart.backend_coord(&(x, y0));
            let (bx, by) = body.get_base_pixel();
            body.draw(&PathElement::new(
                [(px - bx, py - by), (px - bx, py - by + 5)],
                BLACK.stroke_width(1),
            ))?;
            body.draw_text(
                &compact_count(v),
                &font(13).pos(Pos::new(HPos::Center, VPos::Top)),
                (px - bx, py - by + 8),
            )?;
        }
        parts::limit_lines(&mut chart, &view.shown, (x0, x1), yv, 14, LabelAt::Start)?;
        for (i, line) in self.lines.iter().enumerate() {
            let c = PALETTE[i % PALETTE.len()];
            let pts: Vec<(f64, f64)> = line
                .points
                .iter()
                .filter_map(|p| p.peak_bytes.map(|b| (xa.to(p.x), yv(b))))
                .collect();
            chart
                .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))?
                .label(line.label.as_str())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], c.stroke_width(2)));
            chart.draw_series(line.points.iter().filter(|p| p.failed).filter_map(|p| {
                let b = p.peak_bytes?;
                Some(Cross::new((xa.to(p.x), yv(b)), 5, FAIL.stroke_width(2)))
            }))?;
            chart.draw_series(line.points.iter().filter(|p| !p.failed).filter_map(|p| {
                p.peak_bytes
                    .map(|b| Circle::new((xa.to(p.x), yv(b)), 3, c.filled()))
            }))?;
            if let (Some(cx), Some(l)) = (line.crossing, view.shown.first()) {
                // A whole-number knob crosses at a whole number: the first
                // value past the interpolated crossing (the sweep's words
                // say "10 or more", so does the chart).
                let cx = if self.x_is_integer { cx.ceil() } else { cx };
                let x = xa.to(cx);
                let y = yv(l.bytes);
                chart.draw_series(DashedLineSeries::new(
                    [(x, y0), (x, y)],
                    3,
                    3,
                    c.stroke_width(2),
                ))?;
                chart.draw_series(std::iter::once(Circle::new((x, y), 5, c.stroke_width(2))))?;
                let below_half = (i % 2) == 0;
                let label = if self.x_is_integer && cx < 1000.0 {
                    format!("{} or more", super::trim_number(cx))
                } else if self.x_is_integer {
                    compact_count(two_digits(cx))
                } else if self.x_is_ms {
                    human_duration_ms(cx.round() as i64)
                } else {
                    compact_count(two_digits(cx))
                };
                chart.draw_series(std::iter::once(Text::new(
                    label,
                    (
                        x + (x1 - x0) * 0.006,
                        y0 + (y - y0) * if below_half { 0.06 } else { 0.14 },
                    ),
                    font(13).color(&c).pos(Pos::new(HPos::Left, VPos::Bottom)),
                )))?;
            }
        }
        // What the marks mean.
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
            .label("point: the checkpoints hold")
            .legend(|(x, y)| Circle::new((x + 9, y), 3, super::GREY.filled()));
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
            .label("cross: a checkpoint fails")
            .legend(|(x, y)| Cross::new((x + 9, y), 5, FAIL.stroke_width(2)));
        parts::legend(
            &mut chart,
            super::legend_corner(
                self.lines.iter().flat_map(|l| {
                    l.points
                        .iter()
                        .filter_map(|p| p.peak_bytes.map(|b| (xa.to(p.x), yv(b))))
                }),
                (x0, x1),
                (y0, y1),
            ),
            RGBColor(200, 200, 200),
        )?;
        Ok(())
    }
}

/// `x` to two significant digits: 7_513 → 7_500.
fn two_digits(x: f64) -> f64 {
    if x <= 0.0 || !x.is_finite() {
        return x;
    }
    let mag = 10f64.powf(x.log10().floor() - 1.0);
    (x / mag).round() * mag
}

/// Tick values at 1, 2, 5 × 10^k between `10^lo` and `10^hi` (1, 2, 3, 5
/// when that gives too few; 1 only when too many).
fn log10_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let pick = |ms: &[f64]| -> Vec<f64> {
        let mut v = Vec::new();
        for k in (lo.floor() as i32)..=(hi.ceil() as i32) {
            for m in ms {
                let x = m * 10f64.powi(k);
                let l = x.log10();
                if l >= lo && l <= hi {
                    v.push(x);
                }
            }
        }
        v
    };
    let v = pick(&[1.0, 2.0, 5.0]);
    if v.len() < 4 {
        pick(&[1.0, 1.5, 2.0, 3.0, 5.0, 7.0])
    } else if v.len() > 12 {
        pick(&[1.0])
    } else {
        v
    }
}
