//! Text that fits the image: every chart is drawn through [`Fitted`],
//! which cuts a text wider than the image to what fits, with an ellipsis, before the PNG or SVG
//! backend sees it. Names come from the scenario file: however long they
//! are, a chart draws at most an image's width of each.

use plotters::prelude::*;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind, FontTransform,
};

/// A backend whose texts are cut to the image.
pub(crate) struct Fitted<DB> {
    inner: DB,
}

impl<DB: DrawingBackend> Fitted<DB> {
    /// Draws on `inner`.
    pub(crate) fn new(inner: DB) -> Self {
        Fitted { inner }
    }
}

type Err<DB> = DrawingErrorKind<<DB as DrawingBackend>::ErrorType>;

/// Pixels a text may take in a `w` × `h` image: its width, or its height
/// for a text turned on its side. (A text near an edge may still run over
/// it, as a tick label at the end of an axis does; none runs over more
/// than the image.)
fn room(transform: &FontTransform, (w, h): (u32, u32)) -> f64 {
    match transform {
        FontTransform::None | FontTransform::Rotate180 => w.max(1) as f64,
        FontTransform::Rotate90 | FontTransform::Rotate270 => h.max(1) as f64,
    }
}

impl<DB: DrawingBackend> DrawingBackend for Fitted<DB> {
    type ErrorType = DB::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), Err<DB>> {
        self.inner.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), Err<DB>> {
        self.inner.present()
    }
    fn draw_pixel(&mut self, p: BackendCoord, c: BackendColor) -> Result<(), Err<DB>> {
        self.inner.draw_pixel(p, c)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), Err<DB>> {
        self.inner.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        ul: BackendCoord,
        br: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Err<DB>> {
        self.inner.draw_rect(ul, br, style, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), Err<DB>> {
        self.inner.draw_path(path, style)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), Err<DB>> {
        self.inner.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), Err<DB>> {
        self.inner.fill_polygon(vert, style)
    }
    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), Err<DB>> {
        self.inner.blit_bitmap(pos, size, src)
    }
    fn estimate_text_size<T: BackendTextStyle>(
        &self,
        text: &str,
        style: &T,
    ) -> Result<(u32, u32), Err<DB>> {
        let room = room(&style.transform(), self.get_size());
        self.inner
            .estimate_text_size(&super::raster::fit(text, style.size(), room), style)
    }
    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &T,
        pos: BackendCoord,
    ) -> Result<(), Err<DB>> {
        let room = room(&style.transform(), self.get_size());
        self.inner
            .draw_text(&super::raster::fit(text, style.size(), room), style, pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_may_take_the_image_along_its_direction() {
        let size = (1000, 400);
        assert_eq!(room(&FontTransform::None, size), 1000.0);
        assert_eq!(room(&FontTransform::Rotate270, size), 400.0);
    }
}
