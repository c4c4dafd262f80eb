//! Charts people look at instead of reading the tables: the timeline of
//! every subtask's state bytes, the skew at the peak checkpoint, the backend
//! comparison and the capacity curves of a sweep. Each is written as PNG and
//! SVG next to the CSVs, and inlined as SVG in `report.html`.
//!
//! One file per chart kind (as criterion's `plot/plotters_backend/`), each a
//! small data struct implementing [`Chart`], whose `draw` is generic over
//! plotters' `DrawingBackend`: the SVG and the PNG come from the same code.
//! What they all draw alike (the title, a panel's plotting area and grid,
//! the limit lines, the legend) is in `parts`.
//!
//! Text looks the same everywhere: a subset of DejaVu Sans is embedded in
//! the binary (`assets/fonts/`). The PNG rasterizes it with ab_glyph; the
//! SVG carries it as an `@font-face` data URI, so neither needs a font on
//! the machine that draws or shows the chart. Axes are in human units
//! (KiB/MiB/GiB, s/min/h): values are divided into the unit before
//! plotting, so the ticks fall on round numbers of that unit.
//!
//! Not here: what the numbers mean (see `report`), or running anything.

mod capacity;
pub mod comparison;
mod fit;
mod parts;
mod raster;
mod skew;
mod states;
mod timeline;

pub use capacity::{CapacityChart, CapacityLine, CapacityPoint};
pub use comparison::{BackendBars, ComparisonChart};
pub use skew::SkewChart;
pub use states::StatesChart;
pub use timeline::TimelineChart;

use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

/// The embedded font: DejaVu Sans, subset to Latin-1 and a few symbols.
pub const FONT_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-statecap.ttf");

/// The CSS family name the SVGs and the HTML report give the embedded font.
pub const FONT_FAMILY: &str = "statecap-sans";

/// What a chart's `draw` returns.
pub type DrawResult<DB> =
    std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A chart: a size in pixels and a drawing on any plotters backend.
pub trait Chart {
    /// Width and height in pixels (PNG) or user units (SVG).
    fn size(&self) -> (u32, u32);
    /// Draws the whole chart on `root` (already filled white).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB>;
}

/// Registers the embedded font as plotters' `sans-serif` (once).
fn ensure_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let ok = register_font("sans-serif", FontStyle::Normal, FONT_TTF).is_ok();
        assert!(ok, "the embedded font is a valid TrueType font");
    });
}

fn chart_error(e: impl std::fmt::Display) -> Error {
    Error::output("chart", e)
}

/// The chart as SVG without the font (for a page that declares
/// [`font_face_css`] once, like `report.html`).
pub fn svg_inline(chart: &impl Chart) -> Result<String> {
    ensure_font();
    let mut out = String::new();
    {
        let root =
            fit::Fitted::new(SVGBackend::with_string(&mut out, chart.size())).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        chart.draw(&root).map_err(chart_error)?;
        root.present().map_err(chart_error)?;
    }
    Ok(out)
}

/// The chart as a standalone SVG file, the font embedded.
pub fn svg(chart: &impl Chart) -> Result<Vec<u8>> {
    let inline = svg_inline(chart)?;
    let style = format!("\n<style>{}</style>", font_face_css());
    // After the opening `<svg ...>` tag.
    let at = inline
        .find("<svg")
        .and_then(|s| inline[s..].find('>').map(|e| s + e + 1))
        .ok_or_else(|| chart_error("plotters wrote no <svg> element"))?;
    let mut out = String::with_capacity(inline.len() + style.len());
    out.push_str(&inline[..at]);
    out.push_str(&style);
    out.push_str(&inline[at..]);
    Ok(out.into_bytes())
}

/// The chart as a PNG file.
pub fn png(chart: &impl Chart) -> Result<Vec<u8>> {
    ensure_font();
    let (w, h) = chart.size();
    let mut rgb = vec![255u8; w as usize * h as usize * 3];
    {
        let root = fit::Fitted::new(raster::Raster::new(&mut rgb, (w, h))).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        chart.draw(&root).map_err(chart_error)?;
        root.present().map_err(chart_error)?;
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::High);
        let mut wr = enc.write_header().map_err(chart_error)?;
        wr.write_image_data(&rgb).map_err(chart_error)?;
        wr.finish().map_err(chart_error)?;
    }
    Ok(out)
}

/// `name.png` and `name.svg` of a chart, for the output file list.
pub fn files(name: &str, chart: &impl Chart) -> Result<Vec<(String, Vec<u8>)>> {
    Ok(vec![
        (format!("{name}.png"), png(chart)?),
        (format!("{name}.svg"), svg(chart)?),
    ])
}

/// CSS that declares the embedded font and makes every SVG text use it.
pub fn font_face_css() -> String {
    format!(
        "@font-face{{font-family:\"{FONT_FAMILY}\";src:url(data:font/ttf;base64,{}) format(\"truetype\");}}\
         svg text{{font-family:\"{FONT_FAMILY}\",sans-serif !important;}}",
        base64(FONT_TTF)
    )
}

/// Standard base64 (RFC 4648, padded).
pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        out.push(A[(n >> 18) as usize & 63] as char);
        out.push(A[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 {
            A[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if c.len() > 2 {
            A[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

// ---------------------------------------------------------------- panels

/// Most operators a chart of panels (timeline, skew) draws: one panel each,
/// so that a scenario of a thousand operators still makes an image a
/// person can open.
pub const MAX_PANELS: usize = 8;

/// The operators a chart of panels draws, in file order: every one up to
/// [`MAX_PANELS`]; beyond, those with failed checkpoints first, then those
/// with the largest peak subtask.
pub(crate) fn panel_operators(r: &crate::pipeline::ScenarioResult) -> Vec<usize> {
    let n = r.operators.len();
    if n <= MAX_PANELS {
        return (0..n).collect();
    }
    let rank = |i: usize| {
        let op = &r.operators[i];
        let fails = op
            .checkpoints
            .iter()
            .any(|c| matches!(c.status, crate::backend::CheckpointStatus::Failed { .. }));
        let peak = op.peak.map_or(0, |p| op.checkpoints[p].max_state_bytes());
        (std::cmp::Reverse(fails), std::cmp::Reverse(peak), i)
    };
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| rank(i));
    order.truncate(MAX_PANELS);
    order.sort_unstable();
    order
}

/// What a chart of panels says when it leaves operators out.
pub(crate) fn panels_note(shown: usize, operators: usize) -> Option<String> {
    (shown < operators)
        .then(|| format!("{shown} of {operators} operators drawn, the failing then the largest"))
}

// ---------------------------------------------------------------- style

/// The largest subtask, the line that matters.
pub(crate) const HIGHLIGHT: RGBColor = RGBColor(217, 95, 2);
/// The other subtasks.
pub(crate) const BAND: RGBColor = RGBColor(117, 157, 200);
/// Failed checkpoints, a limit that is crossed.
pub(crate) const FAIL: RGBColor = RGBColor(200, 30, 30);
/// Grid and secondary text.
pub(crate) const GREY: RGBColor = RGBColor(110, 110, 110);
/// Series colors for lines and bars, in order.
pub(crate) const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(217, 95, 2),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
    RGBColor(188, 189, 34),
];
/// Colors of limit lines after the first (which is [`FAIL`]).
pub(crate) const LIMIT_COLORS: [RGBColor; 3] = [FAIL, RGBColor(120, 60, 160), RGBColor(60, 60, 60)];

pub(crate) fn font(size: u32) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&BLACK)
}

pub(crate) fn small(size: u32) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&GREY)
}

/// A horizontal line the state must stay under, with its label
/// (`JobManager limit 5.0 MiB`).
#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    /// What it is: `JobManager limit`, `TaskManager memory`, `budget`.
    pub label: String,
    /// Bytes per subtask.
    pub bytes: u64,
}

impl Limit {
    /// `label bytes`, for the chart.
    pub fn text(&self) -> String {
        format!(
            "{} {}",
            self.label,
            crate::flink::units::human_bytes(self.bytes)
        )
    }
}

/// The legend corner that covers the fewest of `points` (data
/// coordinates in `x` × `y`); the upper left on a tie. A legend box is
/// taken as 40% of the width and 30% of the height.
pub(crate) fn legend_corner(
    points: impl Iterator<Item = (f64, f64)>,
    x: (f64, f64),
    y: (f64, f64),
) -> SeriesLabelPosition {
    let mut count = [0usize; 4];
    for (px, py) in points {
        let u = (px - x.0) / (x.1 - x.0);
        let v = (py - y.0) / (y.1 - y.0);
        let (left, right, top, bottom) = (u <= 0.42, u >= 0.58, v >= 0.68, v <= 0.32);
        count[0] += (left && top) as usize;
        count[1] += (right && top) as usize;
        count[2] += (left && bottom) as usize;
        count[3] += (right && bottom) as usize;
    }
    let best = (0..4).min_by_key(|&i| (count[i], i)).unwrap_or(0);
    [
        SeriesLabelPosition::UpperLeft,
        SeriesLabelPosition::UpperRight,
        SeriesLabelPosition::LowerLeft,
        SeriesLabelPosition::LowerRight,
    ][best]
        .clone()
}

// ---------------------------------------------------------------- units

/// Bytes shown in one unit on an axis: values are divided by `div`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ByteScale {
    /// Bytes per unit.
    pub div: f64,
    /// `B`, `KiB`, `MiB`, `GiB`, `TiB`.
    pub unit: &'static str,
}

impl ByteScale {
    /// The unit in which `max` bytes reads as 1 to 1023.9.
    pub fn for_max(max: f64) -> Self {
        const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
        let mut u = 0;
        let mut div = 1.0;
        while max / div >= 1024.0 && u + 1 < UNITS.len() {
            div *= 1024.0;
            u += 1;
        }
        ByteScale {
            div,
            unit: UNITS[u],
        }
    }
    /// Bytes in this unit.
    pub fn of(&self, bytes: u64) -> f64 {
        bytes as f64 / self.div
    }
    /// An axis tick: `2.5 MiB`.
    pub fn tick(&self, v: f64) -> String {
        format!("{} {}", trim_number(v), self.unit)
    }
}

/// Milliseconds shown in one unit on an axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeScale {
    /// Milliseconds per unit.
    pub div: f64,
    /// `ms`, `s`, `min`, `h`, `d`.
    pub unit: &'static str,
}

impl TimeScale {
    /// The unit in which a span of `max_ms` reads best.
    pub fn for_max(max_ms: f64) -> Self {
        let (div, unit) = if max_ms < 2e3 {
            (1.0, "ms")
        } else if max_ms < 120e3 {
            (1e3, "s")
        } else if max_ms < 7200e3 {
            (60e3, "min")
        } else if max_ms < 172_800e3 {
            (3600e3, "h")
        } else {
            (86_400e3, "d")
        };
        TimeScale { div, unit }
    }
    /// Milliseconds in this unit.
    pub fn of(&self, ms: i64) -> f64 {
        ms as f64 / self.div
    }
    /// An axis tick: `3 min`.
    pub fn tick(&self, v: f64) -> String {
        format!("{} {}", trim_number(v), self.unit)
    }
}

/// `2.50` → `2.5`, `3.000` → `3`, at most 2 decimals.
pub fn trim_number(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// Counts for axes and labels: `950`, `12k`, `1.5M`, `2G`.
pub fn compact_count(v: f64) -> String {
    let a = v.abs();
    let (d, suffix) = if a >= 1e9 {
        (1e9, "G")
    } else if a >= 1e6 {
        (1e6, "M")
    } else if a >= 1e3 {
        (1e3, "k")
    } else {
        (1.0, "")
    };
    // Three significant digits at most: 316k, 3.16M, 31.6M.
    let x = v / d;
    let x = match x.abs() {
        a if a >= 100.0 => x.round(),
        a if a >= 10.0 => (x * 10.0).round() / 10.0,
        _ => (x * 100.0).round() / 100.0,
    };
    format!("{}{suffix}", trim_number(x))
}

/// Bytes of an axis tick in log2 space: `2^v` as `512 KiB`, `1.4 MiB`.
pub fn log2_bytes_tick(v: f64) -> String {
    let b = 2f64.powf(v);
    let s = ByteScale::for_max(b);
    let x = b / s.div;
    let x = if (x - x.round()).abs() < 0.05 {
        x.round()
    } else {
        (x * 10.0).round() / 10.0
    };
    format!("{} {}", trim_number(x), s.unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn human_axis_units() {
        let s = ByteScale::for_max(5.3 * 1024.0 * 1024.0);
        assert_eq!(s.unit, "MiB");
        assert_eq!(s.tick(2.5), "2.5 MiB");
        assert_eq!(ByteScale::for_max(800.0).tick(400.0), "400 B");
        assert_eq!(TimeScale::for_max(250_000.0).tick(3.0), "3 min");
        assert_eq!(TimeScale::for_max(30_000.0).unit, "s");
        assert_eq!(log2_bytes_tick(20.0), "1 MiB");
        assert_eq!(log2_bytes_tick(19.0), "512 KiB");
        assert_eq!(compact_count(62_000.0), "62k");
        assert_eq!(compact_count(1.5e6), "1.5M");
        assert_eq!(compact_count(316_227.8), "316k");
        assert_eq!(compact_count(31_622_777.0), "31.6M");
        assert_eq!(compact_count(3_162_278.0), "3.16M");
    }
}
