//! The backend comparison: per backend option, the peak snapshot of the
//! largest subtask, the most it uploads at one checkpoint, and the memory it
//! holds, as grouped bars with the limits drawn across.
//!
//! It takes plain rows ([`BackendBars`]) so that anything that evaluates
//! several backends can feed it; `run` feeds the scenario's own backend.

use super::parts;
use super::{Chart, DrawResult, FAIL, GREY, Limit, PALETTE, font, small};
use crate::flink::units::human_bytes;
use crate::pipeline::ScenarioResult;
use crate::scenario::Scenario;
use plotters::coord::Shift;
use plotters::prelude::*;

/// One backend option: `(label, peak snapshot bytes, upload bytes, memory
/// bytes)`, all per subtask; 0 means "not modelled" and is drawn as `n/a`.
pub type BackendBars<'a> = (&'a str, u64, u64, u64);

const SERIES: [&str; 3] = [
    "peak snapshot (largest subtask)",
    "upload per checkpoint (mean)",
    "TaskManager memory (estimate)",
];

/// What the decision says about one option.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mark {
    /// Checkpoints fail under it: the reason, e.g. `5 of 29 checkpoints over 5.0 MiB`.
    pub fails: Option<String>,
    /// The recommended option.
    pub recommended: bool,
    /// The limits bound its snapshot (JobManager storage): only then are
    /// they drawn across its row.
    pub limited: bool,
}

/// The comparison chart: a row per option, three panels side by side
/// (the peak snapshot of the largest subtask, the mean upload per
/// checkpoint, the TaskManager memory), each on its own scale so that a
/// figure 100× larger in one does not flatten the others; the limits only
/// in the snapshot panel, the only one they bound; the failing options and
/// the recommended one marked beside their names.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonChart {
    /// Top line.
    pub title: String,
    /// One row per backend option.
    pub rows: Vec<(String, u64, u64, u64)>,
    /// Lines the snapshot must stay under.
    pub limits: Vec<Limit>,
    /// The verdict on each row (same order; missing: unmarked).
    pub marks: Vec<Mark>,
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
            marks: Vec::new(),
        }
    }

    /// The same chart with each row's verdict marked.
    pub fn with_marks(mut self, marks: Vec<Mark>) -> Self {
        self.marks = marks;
        self
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
        let mark = Mark {
            fails: (sum.failed_checkpoints > 0).then(|| fails_text(&sum)),
            recommended: false,
            limited: matches!(s.config.storage, crate::flink::Storage::JobManager { .. }),
        };
        Self::new(
            format!("{}: the configured backend, per subtask", s.name),
            &[(label.as_str(), peak, upload, memory)],
            limits,
        )
        .with_marks(vec![mark])
    }
}

impl ComparisonChart {
    /// Whether the limits bound row `i`.
    fn limited(&self, i: usize) -> bool {
        self.marks.get(i).is_some_and(|m| m.limited)
    }
}

/// `FAILS: 5 of 29 checkpoints` for an option whose checkpoints fail.
pub fn fails_text(o: &crate::plan::OptionSummary) -> String {
    format!(
        "FAILS: {} of {} checkpoints",
        o.failed_checkpoints, o.checkpoints
    )
}

/// Pixels: the column of option names, each panel's width, the room kept
/// right of a bar for its value, a row's height, the band above the rows.
const NAMES: i32 = 330;
const PANEL: i32 = 250;
const VALUE_ROOM: i32 = 86;
const ROW: i32 = 58;
const HEAD: i32 = 62;

impl Chart for ComparisonChart {
    fn size(&self) -> (u32, u32) {
        let w = NAMES + 3 * PANEL + 20;
        let h = 50 + HEAD + ROW * self.rows.len().max(1) as i32;
        (w as u32, h as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let body = parts::titled(root, &self.title, None)?;
        let top = HEAD;
        let bottom = top + ROW * self.rows.len().max(1) as i32;
        let left = |k: usize| NAMES + PANEL * k as i32;
        // The limits that bound the snapshot and fit its scale.
        let peak_max = self.rows.iter().map(|r| r.1).max().unwrap_or(0);
        let view = parts::in_view(&self.limits, 0, peak_max.max(1));
        for (k, name) in SERIES.iter().enumerate() {
            let max = self
                .rows
                .iter()
                .map(|r| [r.1, r.2, r.3][k])
                .max()
                .unwrap_or(0)
                .max(if k == 0 { view.high } else { 0 })
                .max(1);
            let x0 = left(k);
            let len = |v: u64| ((PANEL - VALUE_ROOM - 12) as f64 * v as f64 / max as f64) as i32;
            body.draw_text(name, &font(14), (x0, 8))?;
            // Panel frame and the zero line.
            body.draw(&PathElement::new(
                vec![(x0, top - 6), (x0, bottom)],
                GREY.mix(0.6).stroke_width(1),
            ))?;
            if k == 0 && (0..self.rows.len()).any(|i| self.limited(i)) {
                for (j, l) in view.shown.iter().enumerate() {
                    let c = super::LIMIT_COLORS[j % super::LIMIT_COLORS.len()];
                    let x = x0 + len(l.bytes);
                    // Across the rows it bounds only.
                    for i in (0..self.rows.len()).filter(|&i| self.limited(i)) {
                        let (from, to) = (top + ROW * i as i32 - 4, top + ROW * (i as i32 + 1) - 4);
                        let mut y = from;
                        while y < to {
                            body.draw(&PathElement::new(
                                vec![(x, y), (x, (y + 8).min(to))],
                                c.stroke_width(2),
                            ))?;
                            y += 13;
                        }
                    }
                    // The label in the head band, clear of every bar.
                    let label = cut(
                        &body,
                        &format!("- - {}", l.text()),
                        &font(12),
                        (PANEL - 12) as u32,
                    );
                    body.draw_text(&label, &font(12).color(&c), (x0, 28 + 15 * j as i32))?;
                }
            }
            let c = PALETTE[k];
            for (i, r) in self.rows.iter().enumerate() {
                let v = [r.1, r.2, r.3][k];
                let y = top + ROW * i as i32 + 8;
                if v == 0 {
                    body.draw_text("n/a (not modelled)", &small(12), (x0 + 6, y + 3))?;
                    continue;
                }
                let over = k == 0 && self.marks.get(i).is_some_and(|m| m.fails.is_some());
                let fill = if over { FAIL } else { c };
                body.draw(&Rectangle::new(
                    [(x0 + 1, y), (x0 + 1 + len(v).max(2), y + 20)],
                    fill.filled(),
                ))?;
                body.draw_text(
                    &human_bytes(v),
                    &font(13),
                    (x0 + 1 + len(v).max(2) + 5, y + 3),
                )?;
            }
        }
        // Names and verdicts.
        for (i, r) in self.rows.iter().enumerate() {
            let y = top + ROW * i as i32 + 4;
            let name = cut(&body, &r.0, &font(14), (NAMES - 24) as u32);
            body.draw_text(&name, &font(14), (12, y))?;
            let m = self.marks.get(i).cloned().unwrap_or_default();
            let (text, color) = match (&m.fails, m.recommended) {
                (Some(why), _) => (why.clone(), FAIL),
                (None, true) => ("RECOMMENDED: holds".to_string(), OK_GREEN),
                (None, false) => ("holds".to_string(), GREY),
            };
            body.draw_text(&text, &font(12).color(&color), (12, y + 20))?;
            if i + 1 < self.rows.len() {
                let yl = top + ROW * (i as i32 + 1) - 4;
                body.draw(&PathElement::new(
                    vec![(8, yl), (NAMES + 3 * PANEL, yl)],
                    RGBColor(230, 230, 230).stroke_width(1),
                ))?;
            }
        }
        Ok(())
    }
}

/// `text` cut, with an ellipsis, to `max` pixels wide in `style`.
fn cut<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    max: u32,
) -> String {
    let fits = |t: &str| {
        area.estimate_text_size(t, style)
            .is_ok_and(|(w, _)| w <= max)
    };
    if fits(text) {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let (mut lo, mut hi) = (0, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let t: String = chars[..mid].iter().chain(['…'].iter()).collect();
        if fits(&t) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    chars[..lo].iter().chain(['…'].iter()).collect()
}

/// The recommended option.
const OK_GREEN: RGBColor = RGBColor(30, 130, 60);
