//! What every chart draws the same way: the title over the chart, a
//! panel's plotting area and grid, the limits that fit the data drawn as
//! labelled dashed lines, and the legend box.

use super::{DrawResult, LIMIT_COLORS, Limit, font, small};
use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

/// A panel with both axes in `f64`.
pub(super) type Plot<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

type AreaResult<T, DB> = Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// The title at the top of `root`, and under it `subtitle` (text, height
/// of its band in pixels) in grey; returns the area left below.
pub(super) fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: Option<(&str, u32)>,
) -> AreaResult<DrawingArea<DB, Shift>, DB> {
    let body = root.titled(title, font(22))?;
    let Some((text, band)) = subtitle else {
        return Ok(body);
    };
    body.draw_text(text, &small(14), (body.get_pixel_range().0.start + 16, 2))?;
    Ok(body.split_vertically(band).1)
}

/// The size of a chart of panels stacked under its title: 1000 pixels
/// wide, `head` pixels of title and `band` per panel (at least one).
pub(super) fn stacked_size(head: u32, band: u32, panels: usize) -> (u32, u32) {
    (1000, head + band * panels.max(1) as u32)
}

/// `body` cut into one band per panel, top to bottom, each drawn by `draw`.
pub(super) fn stacked<DB: DrawingBackend, P>(
    body: &DrawingArea<DB, Shift>,
    panels: &[P],
    mut draw: impl FnMut(&DrawingArea<DB, Shift>, &P) -> DrawResult<DB>,
) -> DrawResult<DB> {
    let areas = body.split_evenly((panels.len().max(1), 1));
    for (p, area) in panels.iter().zip(&areas) {
        draw(area, p)?;
    }
    Ok(())
}

/// A sentence in place of a chart or panel that has nothing to show.
pub(super) fn nothing<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
) -> DrawResult<DB> {
    area.draw_text(text, &font(16), (40, 40))
}

/// A panel on `area` over `x` × `y`: an optional caption (text, size)
/// above, `margin` pixels around, the x labels in a band of
/// `x_label_area` pixels and the y labels in 90 (room for `1023.5 KiB`).
pub(super) fn plot<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: Option<(&str, u32)>,
    margin: u32,
    x_label_area: u32,
    x: Range<f64>,
    y: Range<f64>,
) -> AreaResult<Plot<'a, DB>, DB> {
    let mut builder = ChartBuilder::on(area);
    if let Some((text, size)) = caption {
        builder.caption(text, font(size));
    }
    builder
        .margin(margin)
        .x_label_area_size(x_label_area)
        .y_label_area_size(90)
        .build_cartesian_2d(x, y)
}

/// The grid in two light greys and the axis labels in `size` points
/// (their descriptions one larger); the caller adds the descriptions and
/// formatters, then draws.
pub(super) fn mesh<'a, 'b, DB: DrawingBackend>(
    chart: &'b mut Plot<'a, DB>,
    size: u32,
) -> MeshStyle<'a, 'b, RangedCoordf64, RangedCoordf64, DB> {
    let mut m = chart.configure_mesh();
    m.light_line_style(RGBColor(246, 246, 246))
        .bold_line_style(RGBColor(215, 215, 215))
        .label_style(font(size))
        .axis_desc_style(font(size + 1));
    m
}

/// The limits to draw over data from `lo` to `hi` bytes, and the axis
/// range that takes them.
pub(super) struct InView<'l> {
    /// Within 20x of the data (a limit far off would flatten it).
    pub shown: Vec<&'l Limit>,
    /// The others.
    pub far: Vec<&'l Limit>,
    /// The lowest of `lo` and the limits shown.
    pub low: u64,
    /// The highest of `hi` and the limits shown.
    pub high: u64,
}

/// Which of `limits` to draw over data from `lo` to `hi` bytes (`lo` 0
/// for an axis from zero): those from `lo / 20` to `hi × 20`.
pub(super) fn in_view(limits: &[Limit], lo: u64, hi: u64) -> InView<'_> {
    let (shown, far): (Vec<&Limit>, Vec<&Limit>) = limits
        .iter()
        .partition(|l| (l.bytes as f64) <= hi as f64 * 20.0 && l.bytes as f64 >= lo as f64 / 20.0);
    let bytes = || shown.iter().map(|l| l.bytes);
    let low = bytes().chain([lo]).min().unwrap_or(lo);
    let high = bytes().chain([hi]).max().unwrap_or(hi);
    InView {
        shown,
        far,
        low,
        high,
    }
}

/// Which end of a horizontal line its label sits above.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum LabelAt {
    /// Just right of the left end, left-aligned.
    Start,
    /// In the band above the data, at this height (data units; the top of
    /// the text), right-aligned and marked `- -` in the line's color: for
    /// panels whose bars reach the line, so that the label lies on none.
    Above(f64),
}

/// A dashed horizontal line across `x` at `y` (`dash`: pixels drawn,
/// pixels skipped) in `color`, with `text` above the `at` end in `size`
/// points of the same color.
pub(super) fn dashed_rule<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    x: (f64, f64),
    y: f64,
    dash: (u32, u32),
    color: RGBColor,
    (text, size): (String, u32),
    at: LabelAt,
) -> DrawResult<DB> {
    chart.draw_series(DashedLineSeries::new(
        [(x.0, y), (x.1, y)],
        dash.0,
        dash.1,
        color.stroke_width(2),
    ))?;
    let (tx, ty, h, v, text) = match at {
        LabelAt::Start => (x.0 + (x.1 - x.0) * 0.005, y, HPos::Left, VPos::Bottom, text),
        LabelAt::Above(top) => (x.1, top, HPos::Right, VPos::Top, format!("- - {text}")),
    };
    chart.draw_series(std::iter::once(Text::new(
        text,
        (tx, ty),
        font(size).color(&color).pos(Pos::new(h, v)),
    )))?;
    Ok(())
}

/// Each limit as a dashed line across `x` in [`LIMIT_COLORS`], labelled
/// (`JobManager storage limit 5.0 MiB`) in `size` points above the `at`
/// end; `y` maps bytes onto the axis.
pub(super) fn limit_lines<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    limits: &[&Limit],
    x: (f64, f64),
    y: impl Fn(u64) -> f64,
    size: u32,
    at: LabelAt,
) -> DrawResult<DB> {
    for (k, l) in limits.iter().enumerate() {
        let c = LIMIT_COLORS[k % LIMIT_COLORS.len()];
        dashed_rule(chart, x, y(l.bytes), (10, 6), c, (l.text(), size), at)?;
    }
    Ok(())
}

/// The legend box at `position`: white, mostly opaque, with a `border`.
pub(super) fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Plot<'a, DB>,
    position: SeriesLabelPosition,
    border: impl Into<ShapeStyle>,
) -> DrawResult<DB> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(border)
        .label_font(font(13))
        .draw()
}
