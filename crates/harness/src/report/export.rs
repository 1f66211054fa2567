//! A figure's SVG as PDF (vector, its font embedded) and as PNG, in pure Rust (usvg, resvg,
//! svg2pdf). Text is set in the font bundled with scb, never a system font, so that a
//! figure is the same file on every machine.

use crate::error::{Error, Result};
use std::sync::{Arc, OnceLock};
use svg2pdf::usvg;

/// The font every figure is set in (assets/fonts/LICENSE-DejaVu.txt).
pub const FONT_FAMILY: &str = "DejaVu Sans";
static FONT_DATA: &[u8] = include_bytes!("../../../../assets/fonts/DejaVuSans.ttf");

fn options() -> &'static usvg::Options<'static> {
    static OPTIONS: OnceLock<usvg::Options<'static>> = OnceLock::new();
    OPTIONS.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_font_data(FONT_DATA.to_vec());
        // Whatever family the SVG names (sans-serif, or a font a browser would pick),
        // the one font there is sets it.
        db.set_sans_serif_family(FONT_FAMILY);
        db.set_serif_family(FONT_FAMILY);
        usvg::Options { font_family: FONT_FAMILY.to_string(), fontdb: Arc::new(db), ..usvg::Options::default() }
    })
}

fn tree(svg: &str) -> Result<usvg::Tree> {
    usvg::Tree::from_str(svg, options()).map_err(|e| Error::Other(format!("figure SVG does not parse: {e}")))
}

/// The PDF of `svg`, one page of the SVG's size (its units at 96 an inch, as CSS has them).
pub fn pdf(svg: &str) -> Result<Vec<u8>> {
    let tree = tree(svg)?;
    svg2pdf::to_pdf(&tree, svg2pdf::ConversionOptions::default(), svg2pdf::PageOptions { dpi: 96.0 }).map_err(|e| Error::Other(format!("figure PDF: {e}")))
}

/// The PNG of `svg` at `dpi` pixels an inch of its physical size, on white.
pub fn png(svg: &str, dpi: f64) -> Result<Vec<u8>> {
    let tree = tree(svg)?;
    let scale = (dpi / 96.0) as f32;
    let size = tree.size();
    let (w, h) = ((size.width() * scale).round() as u32, (size.height() * scale).round() as u32);
    let mut pixmap = resvg::tiny_skia::Pixmap::new(w, h).ok_or_else(|| Error::Other(format!("figure PNG: no {w} x {h} canvas")))?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(&tree, resvg::tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| Error::Other(format!("figure PNG: {e}")))
}

#[cfg(test)]
mod tests {
    const SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"3.25in\" height=\"1in\" viewBox=\"0 0 468 144\">\
        <rect x=\"0\" y=\"0\" width=\"468\" height=\"144\" fill=\"#FFFFFF\"/>\
        <text x=\"10\" y=\"40\" font-family=\"sans-serif\" font-size=\"16\">N = 16, 10⁻³</text></svg>";

    #[test]
    fn the_pdf_embeds_the_bundled_font_and_is_the_same_bytes_each_time() {
        let a = super::pdf(SVG).unwrap();
        assert!(a.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&a);
        assert!(text.contains("/FontFile2") && text.contains("DejaVuSans"), "no embedded DejaVu Sans");
        assert_eq!(a, super::pdf(SVG).unwrap());
    }

    #[test]
    fn the_png_has_the_physical_size_at_its_resolution() {
        let png = super::png(SVG, 300.0).unwrap();
        // Width and height sit at bytes 16..24 of the IHDR chunk.
        let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert_eq!((w, h), (975, 300));
    }
}
