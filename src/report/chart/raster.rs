//! The PNG backend: plotters' `BitMapBackend` with text drawn here.
//!
//! plotters 0.3.7's ab_glyph text drops each glyph's left side bearing, so
//! letters drift apart ("Back end"). This wrapper delegates every shape to
//! the bitmap and rasterizes text itself with ab_glyph from the embedded
//! font: glyphs at their true pen positions, kerned, and placed as the SVG
//! backend places them (`font-size = size / 1.24`, the same anchors), so
//! the PNG and the SVG of a chart look alike.

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont, point};
use plotters::prelude::*;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};
use std::borrow::Cow;
use std::sync::OnceLock;

/// A bitmap backend with correct text.
pub(crate) struct Raster<'a> {
    inner: BitMapBackend<'a>,
    font: FontRef<'static>,
}

impl<'a> Raster<'a> {
    /// Draws into `rgb` (3 bytes per pixel, row after row).
    pub(crate) fn new(rgb: &'a mut [u8], size: (u32, u32)) -> Self {
        Raster {
            inner: BitMapBackend::with_buffer(rgb, size),
            font: FontRef::try_from_slice(super::FONT_TTF).expect("the embedded font parses"),
        }
    }
}

type Err<'a> = DrawingErrorKind<<BitMapBackend<'a> as DrawingBackend>::ErrorType>;

impl<'a> DrawingBackend for Raster<'a> {
    type ErrorType = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), Err<'a>> {
        self.inner.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), Err<'a>> {
        self.inner.present()
    }
    fn draw_pixel(&mut self, p: BackendCoord, c: BackendColor) -> Result<(), Err<'a>> {
        self.inner.draw_pixel(p, c)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), Err<'a>> {
        self.inner.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        ul: BackendCoord,
        br: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Err<'a>> {
        self.inner.draw_rect(ul, br, style, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), Err<'a>> {
        self.inner.draw_path(path, style)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), Err<'a>> {
        self.inner.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), Err<'a>> {
        self.inner.fill_polygon(vert, style)
    }
    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), Err<'a>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &T,
        pos: BackendCoord,
    ) -> Result<(), Err<'a>> {
        let color = style.color();
        if color.alpha == 0.0 || text.is_empty() {
            return Ok(());
        }
        let f = &self.font;
        let (em, scale) = em_scale(f, style.size());
        let sf = f.as_scaled(scale);
        let (_, width) = pens(&sf, text, 0.0);
        let anchor = style.anchor();
        let x0 = match anchor.h_pos {
            HPos::Left => 0.0,
            HPos::Center => -width / 2.0,
            HPos::Right => -width,
        };
        // Baseline, as the SVG's dy: 0.76em, 0.5ex, -0.5ex.
        let half_ex = 0.273 * em;
        let base = match anchor.v_pos {
            VPos::Top => 0.76 * em,
            VPos::Center => half_ex,
            VPos::Bottom => -half_ex,
        };
        let trans = style.transform();
        let (w, h) = self.inner.get_size();
        let mut pixels: Vec<(i32, i32, f32)> = Vec::new();
        for (id, pen) in pens(&sf, text, x0).0 {
            let glyph = id.with_scale_and_position(scale, point(pen, base));
            if let Some(o) = f.outline_glyph(glyph) {
                let b = o.px_bounds();
                o.draw(|x, y, cov| {
                    if cov > 0.0 {
                        pixels.push((b.min.x as i32 + x as i32, b.min.y as i32 + y as i32, cov));
                    }
                });
            }
        }
        for (x, y, cov) in pixels {
            let (x, y) = trans.transform(x, y);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && y >= 0 && (x as u32) < w && (y as u32) < h {
                self.inner.draw_pixel(
                    (x, y),
                    BackendColor {
                        alpha: color.alpha * cov.min(1.0) as f64,
                        rgb: color.rgb,
                    },
                )?;
            }
        }
        Ok(())
    }
}

/// The em and the ab_glyph scale of text of `size` (plotters' size): the
/// SVG backend writes font-size = size / 1.24 (an em); ab_glyph scales by
/// ascent - descent.
fn em_scale(f: &FontRef<'static>, size: f64) -> (f32, PxScale) {
    let em = (size / 1.24) as f32;
    let scale = PxScale::from(em * f.height_unscaled() / f.units_per_em().unwrap_or(2048.0));
    (em, scale)
}

/// `text` cut to at most `max_px` pixels wide at `size`, as the PNG and
/// the SVG draw it, ending in an ellipsis where it is cut. Reads no more of
/// `text` than fits.
pub(crate) fn fit(text: &str, size: f64, max_px: f64) -> Cow<'_, str> {
    static FONT: OnceLock<FontRef<'static>> = OnceLock::new();
    let f = FONT.get_or_init(|| {
        FontRef::try_from_slice(super::FONT_TTF).expect("the embedded font parses")
    });
    let (_, scale) = em_scale(f, size);
    let sf = f.as_scaled(scale);
    let ellipsis = if sf.glyph_id('\u{2026}').0 != 0 {
        "\u{2026}"
    } else {
        "..."
    };
    let (_, ell_w) = pens(&sf, ellipsis, 0.0);
    let max_px = max_px as f32;
    let mut pen = 0.0;
    let mut prev = None;
    // Where a cut followed by the ellipsis still fits.
    let mut cut = 0;
    for (i, c) in text.char_indices() {
        let id = sf.glyph_id(c);
        if let Some(p) = prev {
            pen += sf.kern(p, id);
        }
        prev = Some(id);
        if pen + ell_w <= max_px {
            cut = i;
        }
        pen += sf.h_advance(id);
        if pen > max_px {
            return Cow::Owned(format!("{}{ellipsis}", &text[..cut]));
        }
    }
    Cow::Borrowed(text)
}

/// The glyphs of `text` with the pen position of each, kerned, from
/// `start`; and the pen position after the last.
fn pens<F: Font>(sf: &impl ScaleFont<F>, text: &str, start: f32) -> (Vec<(GlyphId, f32)>, f32) {
    let mut pen = start;
    let mut prev = None;
    let mut glyphs = Vec::with_capacity(text.len());
    for c in text.chars() {
        let id = sf.glyph_id(c);
        if let Some(p) = prev {
            pen += sf.kern(p, id);
        }
        prev = Some(id);
        glyphs.push((id, pen));
        pen += sf.h_advance(id);
    }
    (glyphs, pen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_are_cut_to_the_width_with_an_ellipsis() {
        assert_eq!(fit("operator 'w'", 16.0, 1000.0), "operator 'w'");
        let long = "x".repeat(5_000_000);
        let t0 = std::time::Instant::now();
        let cut = fit(&long, 22.0, 1000.0);
        assert!(t0.elapsed().as_secs_f64() < 0.5);
        assert!(cut.len() < 400, "{} bytes", cut.len());
        assert!(cut.ends_with('\u{2026}') || cut.ends_with("..."), "{cut}");
        let f = FontRef::try_from_slice(super::super::FONT_TTF).unwrap();
        let (_, scale) = em_scale(&f, 22.0);
        let (_, w) = pens(&f.as_scaled(scale), &cut, 0.0);
        assert!(w <= 1000.0 && w > 900.0, "{w}");
    }
}
