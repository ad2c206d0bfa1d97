//! PDF documents for `ingest`: the text of every page laid out as `pdftotext -layout` would,
//! so that the layout rules ([`super::layout`]) see columns, running headers and footers.
//!
//! Takes the PDF's bytes and returns plain text: one line per row of glyphs (glyphs whose
//! baselines lie within half a font size), the glyphs of a row placed at the character
//! column their position gives (so a gutter between two columns stays a wide gap of
//! spaces), a blank line where the space between rows is more than one and a half line
//! heights, and a form feed after each page. Glyph positions come from the `pdf-extract`
//! crate (pure Rust, on `lopdf`), which decodes fonts and encodings. A PDF that crate
//! cannot read, or that panics it, is an error, never a crash.

use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};

/// One glyph on a page: position (PDF points, y growing downwards), advance, size, text.
#[derive(Debug, Clone)]
struct Glyph {
    x: f64,
    y: f64,
    end: f64,
    size: f64,
    text: String,
}

/// Collects the glyphs of each page.
#[derive(Default)]
struct Collector {
    pages: Vec<Vec<Glyph>>,
    height: f64,
}

impl OutputDev for Collector {
    fn begin_page(
        &mut self,
        _page_num: u32,
        media_box: &MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        self.height = media_box.ury - media_box.lly;
        self.pages.push(Vec::new());
        Ok(())
    }
    fn end_page(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        text: &str,
    ) -> Result<(), OutputError> {
        // The font size in page space: the side of the square with the area the text
        // matrix makes of a font-size square.
        let vx = font_size * (trm.m11 + trm.m21);
        let vy = font_size * (trm.m12 + trm.m22);
        let size = (vx * vy).abs().sqrt().max(1.0);
        let x = trm.m31;
        let y = self.height - trm.m32;
        if let Some(page) = self.pages.last_mut() {
            page.push(Glyph {
                x,
                y,
                end: x + width * size,
                size,
                text: text.to_string(),
            });
        }
        Ok(())
    }
    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

/// The text of a PDF, laid out page by page; an error message when it cannot be read.
pub(crate) fn pdf_text(bytes: &[u8]) -> Result<String, String> {
    let result = std::panic::catch_unwind(|| {
        let doc = pdf_extract::Document::load_mem(bytes).map_err(|e| e.to_string())?;
        if doc.is_encrypted() {
            return Err("the PDF is encrypted".to_string());
        }
        let mut collector = Collector::default();
        pdf_extract::output_doc(&doc, &mut collector).map_err(|e| e.to_string())?;
        Ok(collector.pages)
    });
    let pages = match result {
        Ok(r) => r?,
        Err(_) => return Err("the PDF reader failed on this file".to_string()),
    };
    let mut out = String::new();
    for page in &pages {
        out.push_str(&layout_page(page));
        out.push('\x0c');
    }
    if out.chars().all(|c| c.is_whitespace()) {
        return Err("the PDF holds no text (a scan needs OCR first)".to_string());
    }
    Ok(out)
}

/// A row of glyphs: its baseline, its font size, and its segments (start x, text).
type Row = (f64, f64, Vec<(f64, String)>);

/// One page's glyphs as lines of text, placed on a grid of character cells.
///
/// A row is cut into segments where the gap between glyphs is wider than a font size (a
/// gutter, a tab stop). Each segment starts at the character column its position gives,
/// with cells as narrow as the page's narrowest text, so no segment runs into the next one
/// and segments that start at the same place start at the same column.
fn layout_page(glyphs: &[Glyph]) -> String {
    let glyphs: Vec<&Glyph> = glyphs
        .iter()
        .filter(|g| !g.text.trim().is_empty())
        .collect();
    if glyphs.is_empty() {
        return String::new();
    }
    let left = glyphs.iter().map(|g| g.x).fold(f64::INFINITY, f64::min);
    // Rows: glyphs sorted by baseline, a new row when the baseline moves by half a size.
    let mut sorted = glyphs.clone();
    sorted.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)));
    let mut rows: Vec<Vec<&Glyph>> = Vec::new();
    for g in sorted {
        match rows.last_mut() {
            Some(row) if (g.y - row[0].y).abs() <= row[0].size * 0.5 => row.push(g),
            _ => rows.push(vec![g]),
        }
    }
    // Segments of each row: (start x, text).
    let mut segmented: Vec<Row> = Vec::new();
    let mut cell = f64::INFINITY;
    for row in &mut rows {
        row.sort_by(|a, b| a.x.total_cmp(&b.x));
        let mut segments: Vec<(f64, String)> = Vec::new();
        let mut seg_end = f64::NEG_INFINITY;
        for g in row.iter() {
            let gap = g.x - seg_end;
            match segments.last_mut() {
                Some((_, text)) if gap <= g.size => {
                    if gap > g.size * 0.15 {
                        text.push(' ');
                    }
                    text.push_str(&g.text);
                }
                _ => segments.push((g.x, g.text.clone())),
            }
            seg_end = seg_end.max(g.end);
            if let Some((start, text)) = segments.last() {
                let chars = text.chars().count();
                if chars >= 5 {
                    cell = cell.min((seg_end - start) / chars as f64);
                }
            }
        }
        segmented.push((row[0].y, row[0].size, segments));
    }
    if !cell.is_finite() || cell < 0.5 {
        cell = 5.0;
    }
    let mut out = String::new();
    let mut last: Option<(f64, f64)> = None;
    for (y, size, segments) in segmented {
        if let Some((py, psize)) = last
            && y - py > psize.max(size) * 1.5
        {
            out.push('\n');
        }
        last = Some((y, size));
        let mut line = String::new();
        let mut col = 0usize;
        for (x, text) in segments {
            let want = ((x - left) / cell).round().max(0.0) as usize;
            let pad = if col == 0 {
                want
            } else {
                want.max(col + 3) - col
            };
            line.extend(std::iter::repeat_n(' ', pad));
            line.push_str(&text);
            col += pad + text.chars().count();
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
