//! Printed maps and reports as PDF, written with the `pdf-writer` crate: one or more pages of
//! filled and stroked paths, text in DejaVu Sans (regular and bold, the fonts the map labels use)
//! and RGB images with a soft mask for their transparency. The fonts are embedded as **subsets**
//! (the `subsetter` crate: only the glyphs the document uses, a few kilobytes instead of 0.7 MB)
//! in CID-keyed Type 0 fonts with a ToUnicode map, so the text is real text that `pdftotext`,
//! search and screen readers recover, in any character the font has (CO₂, −, €). Every stream is
//! Flate-compressed. Page coordinates are points (1/72 inch) from the **top-left** corner, y
//! down, like the rest of the renderer; the writer turns them into PDF's bottom-up space.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::LazyLock;

use ab_glyph::{Font, FontRef, GlyphId};
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Date, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use tiny_skia::Pixmap;

use super::style::Color;

/// A4 in points (210 × 297 mm).
pub const A4: (f64, f64) = (595.28, 841.89);
/// A3 in points (297 × 420 mm).
pub const A3: (f64, f64) = (841.89, 1190.55);

/// One of the two faces: the TrueType file and the metrics the PDF needs, in PDF glyph space
/// (1/1000 em).
struct Face {
    /// PostScript-style name.
    name: &'static str,
    bytes: &'static [u8],
    font: FontRef<'static>,
    /// 1000 / units per em.
    k: f64,
    /// Font box, ascent, descent, cap height.
    bbox: [f64; 4],
    ascent: f64,
    descent: f64,
    cap_height: f64,
    bold: bool,
}

impl Face {
    fn new(name: &'static str, bytes: &'static [u8], bold: bool) -> Face {
        let font = FontRef::try_from_slice(bytes).expect("the DejaVu fonts of the dejavu crate parse");
        let k = 1000.0 / f64::from(font.units_per_em().unwrap_or(2048.0));
        let head = table(bytes, b"head");
        let i16_at = |t: &[u8], o: usize| f64::from(i16::from_be_bytes([t[o], t[o + 1]]));
        let bbox = head
            .filter(|t| t.len() >= 44)
            .map(|t| [i16_at(t, 36) * k, i16_at(t, 38) * k, i16_at(t, 40) * k, i16_at(t, 42) * k])
            .unwrap_or([-1000.0, -500.0, 2000.0, 1500.0]);
        let cap_height = font.outline(font.glyph_id('H')).map(|o| f64::from(o.bounds.max.y) * k).unwrap_or(729.0);
        let (ascent, descent) = (f64::from(font.ascent_unscaled()) * k, f64::from(font.descent_unscaled()) * k);
        Face { name, bytes, font, k, bbox, ascent, descent, cap_height, bold }
    }

    /// The glyph of `c` (a question mark for characters the font lacks).
    fn glyph(&self, c: char) -> GlyphId {
        match self.font.glyph_id(c) {
            GlyphId(0) => self.font.glyph_id('?'),
            g => g,
        }
    }

    /// Advance of a glyph, 1/1000 em.
    fn advance(&self, g: GlyphId) -> f64 {
        f64::from(self.font.h_advance_unscaled(g)) * self.k
    }
}

/// A table of a TrueType file, by tag.
fn table<'a>(font: &'a [u8], tag: &[u8; 4]) -> Option<&'a [u8]> {
    let n = usize::from(u16::from_be_bytes([*font.get(4)?, *font.get(5)?]));
    (0..n).find_map(|i| {
        let rec = font.get(12 + 16 * i..28 + 16 * i)?;
        if &rec[..4] != tag {
            return None;
        }
        let off = u32::from_be_bytes([rec[8], rec[9], rec[10], rec[11]]) as usize;
        let len = u32::from_be_bytes([rec[12], rec[13], rec[14], rec[15]]) as usize;
        font.get(off..off.checked_add(len)?)
    })
}

static FONTS: LazyLock<[Face; 2]> =
    LazyLock::new(|| [Face::new("DejaVuSans", dejavu::sans::regular(), false), Face::new("DejaVuSans-Bold", dejavu::sans::bold(), true)]);

fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::with_capacity(bytes.len() / 2), flate2::Compression::default());
    z.write_all(bytes).expect("writing to memory");
    z.finish().expect("writing to memory")
}

/// The characters of a text that are drawn (control characters are not).
fn drawn(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars().filter(|c| !c.is_control())
}

/// Width of `text` at `size` points in the regular (or bold) face, points.
pub fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    let face = &FONTS[usize::from(bold)];
    drawn(text).map(|c| face.advance(face.glyph(c))).sum::<f64>() * size / 1000.0
}

/// `text` cut (with an ellipsis) to fit in `width` points.
pub fn fit_text(text: &str, size: f64, bold: bool, width: f64) -> String {
    if text_width(text, size, bold) <= width {
        return text.to_string();
    }
    let mut out: String = text.to_string();
    while !out.is_empty() && text_width(&format!("{out}…"), size, bold) > width {
        out.pop();
    }
    format!("{}…", out.trim_end())
}

/// `text` broken into lines of at most `width` points, at spaces (a word longer than a line is
/// cut to fit).
pub fn wrap_text(text: &str, size: f64, bold: bool, width: f64) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
        if text_width(&candidate, size, bold) <= width || line.is_empty() {
            line = candidate;
        } else {
            lines.push(std::mem::take(&mut line));
            line = word.to_string();
        }
        if text_width(&line, size, bold) > width {
            line = fit_text(&line, size, bold, width);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// An image placed on a page, with its soft mask when it is not opaque.
struct Image {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
    alpha: Option<Vec<u8>>,
}

impl Image {
    fn of(pixmap: &Pixmap) -> Image {
        let n = (pixmap.width() * pixmap.height()) as usize;
        let (mut rgb, mut alpha) = (Vec::with_capacity(n * 3), Vec::with_capacity(n));
        for p in pixmap.pixels() {
            let c = p.demultiply();
            rgb.extend_from_slice(&[c.red(), c.green(), c.blue()]);
            alpha.push(c.alpha());
        }
        let opaque = alpha.iter().all(|&a| a == 255);
        Image { width: pixmap.width(), height: pixmap.height(), rgb, alpha: (!opaque).then_some(alpha) }
    }
}

/// What a page draws, in PDF's bottom-up points.
enum Op {
    /// A path: points, closed (and filled) or open (and stroked).
    Path { points: Vec<(f32, f32)>, fill: Option<Color>, stroke: Option<(Color, f32)> },
    /// A line of text from its baseline start.
    Text { x: f32, y: f32, size: f32, bold: bool, color: Color, text: String },
    /// The page's image `index` over a rectangle (lower-left corner, size).
    Image { index: usize, rect: [f32; 4] },
}

/// One page being drawn.
pub struct Page {
    width: f64,
    height: f64,
    ops: Vec<Op>,
    images: Vec<Image>,
}

fn unit(c: u8) -> f32 {
    f32::from(c) / 255.0
}

impl Page {
    /// A blank page of `width`×`height` points.
    pub fn new(width: f64, height: f64) -> Page {
        Page { width, height, ops: Vec::new(), images: Vec::new() }
    }

    /// Page size, points.
    pub fn size(&self) -> (f64, f64) {
        (self.width, self.height)
    }

    /// A point in PDF space.
    fn at(&self, x: f64, y: f64) -> (f32, f32) {
        let finite = |v: f64| if v.is_finite() { v as f32 } else { 0.0 };
        (finite(x), finite(self.height - y))
    }

    fn rect_points(&self, x: f64, y: f64, w: f64, h: f64) -> Vec<(f32, f32)> {
        vec![self.at(x, y), self.at(x + w, y), self.at(x + w, y + h), self.at(x, y + h)]
    }

    /// A filled rectangle (top-left corner, size).
    pub fn fill_rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: Color) {
        self.ops.push(Op::Path { points: self.rect_points(x, y, w, h), fill: Some(fill), stroke: None });
    }

    /// A rectangle outline.
    pub fn stroke_rect(&mut self, x: f64, y: f64, w: f64, h: f64, stroke: Color, line_width: f64) {
        let mut points = self.rect_points(x, y, w, h);
        points.push(points[0]);
        self.ops.push(Op::Path { points, fill: None, stroke: Some((stroke, line_width as f32)) });
    }

    /// A polyline.
    pub fn line(&mut self, points: &[(f64, f64)], stroke: Color, line_width: f64) {
        if points.len() >= 2 {
            let points = points.iter().map(|&(x, y)| self.at(x, y)).collect();
            self.ops.push(Op::Path { points, fill: None, stroke: Some((stroke, line_width as f32)) });
        }
    }

    /// A filled polygon (closed by itself).
    pub fn polygon(&mut self, points: &[(f64, f64)], fill: Color) {
        if points.len() >= 3 {
            let points = points.iter().map(|&(x, y)| self.at(x, y)).collect();
            self.ops.push(Op::Path { points, fill: Some(fill), stroke: None });
        }
    }

    /// Text with its baseline starting at (`x`, `y`), `size` points.
    pub fn text(&mut self, x: f64, y: f64, size: f64, bold: bool, color: Color, text: &str) {
        let (x, y) = self.at(x, y);
        self.ops.push(Op::Text { x, y, size: size as f32, bold, color, text: drawn(text).collect() });
    }

    /// Text ending at `x` (right-aligned).
    pub fn text_right(&mut self, x: f64, y: f64, size: f64, bold: bool, color: Color, text: &str) {
        let w = text_width(text, size, bold);
        self.text(x - w, y, size, bold, color, text);
    }

    /// An image stretched over the rectangle (top-left corner, size).
    pub fn image(&mut self, x: f64, y: f64, w: f64, h: f64, pixmap: &Pixmap) {
        let index = self.images.len();
        self.images.push(Image::of(pixmap));
        let (x0, y0) = self.at(x, y + h);
        self.ops.push(Op::Image { index, rect: [x0, y0, w as f32, h as f32] });
    }
}

/// The glyphs a document uses of one face: old glyph → new (subset) glyph, and the character
/// each new glyph stands for.
struct Subset {
    remapper: subsetter::GlyphRemapper,
    chars: BTreeMap<u16, char>,
}

impl Subset {
    fn of(face: &Face, pages: &[Page]) -> Subset {
        let mut s = Subset { remapper: subsetter::GlyphRemapper::new(), chars: BTreeMap::new() };
        for op in pages.iter().flat_map(|p| &p.ops) {
            if let Op::Text { bold, text, .. } = op {
                if *bold == face.bold {
                    for c in text.chars() {
                        let new = s.remapper.remap(face.glyph(c).0);
                        // A character the face lacks is drawn as '?', and read back as one.
                        let read = if face.font.glyph_id(c).0 == 0 { '?' } else { c };
                        s.chars.entry(new).or_insert(read);
                    }
                }
            }
        }
        s
    }

    /// `text` as the two-byte codes (CIDs = new glyph ids) of an Identity-H font.
    fn codes(&self, face: &Face, text: &str) -> Vec<u8> {
        text.chars().flat_map(|c| self.remapper.get(face.glyph(c).0).unwrap_or(0).to_be_bytes()).collect()
    }

    /// The subset's tag (six capitals, the same for the same glyphs), as PDF names subsets.
    fn tag(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for g in self.remapper.remapped_gids() {
            h = (h ^ u64::from(g)).wrapping_mul(0x0100_0000_01b3);
        }
        (0..6).map(|i| char::from(b'A' + ((h >> (i * 5)) % 26) as u8)).collect()
    }
}

/// Allocates object numbers.
struct Ids(i32);

impl Ids {
    fn next(&mut self) -> Ref {
        self.0 += 1;
        Ref::new(self.0)
    }
}

/// Writes one face's subset as a Type 0 font; returns its reference.
fn write_font(pdf: &mut Pdf, ids: &mut Ids, face: &Face, subset: &Subset) -> Ref {
    let (type0, cid, descriptor, file, cmap) = (ids.next(), ids.next(), ids.next(), ids.next(), ids.next());
    let name = format!("{}+{}", subset.tag(), face.name);
    // Should the subsetter ever refuse, the whole face goes in, with a map from the codes used
    // (new glyph ids) to its own glyph ids, so the text stays right.
    let (data, whole) = match subsetter::subset(face.bytes, 0, &subset.remapper) {
        Ok(data) => (data, false),
        Err(e) => {
            tracing::warn!("font subsetting failed, embedding the whole {}: {e:?}", face.name);
            (face.bytes.to_vec(), true)
        }
    };
    let info = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };
    pdf.type0_font(type0).base_font(Name(name.as_bytes())).encoding_predefined(Name(b"Identity-H")).descendant_font(cid).to_unicode(cmap);
    let widths: Vec<f32> = subset.remapper.remapped_gids().map(|g| face.advance(GlyphId(g)).round() as f32).collect();
    let mut font = pdf.cid_font(cid);
    font.subtype(CidFontType::Type2).base_font(Name(name.as_bytes())).system_info(info).font_descriptor(descriptor);
    let map = whole.then(|| ids.next());
    match map {
        Some(m) => font.cid_to_gid_map_stream(m),
        None => font.cid_to_gid_map_predefined(Name(b"Identity")),
    };
    font.widths().consecutive(0, widths);
    font.finish();
    if let Some(m) = map {
        let gids: Vec<u8> = subset.remapper.remapped_gids().flat_map(u16::to_be_bytes).collect();
        pdf.stream(m, &deflate(&gids)).filter(Filter::FlateDecode);
    }
    let b = face.bbox.map(|v| v as f32);
    let flags = if face.bold { FontFlags::NON_SYMBOLIC | FontFlags::FORCE_BOLD } else { FontFlags::NON_SYMBOLIC };
    pdf.font_descriptor(descriptor)
        .name(Name(name.as_bytes()))
        .flags(flags)
        .bbox(Rect::new(b[0], b[1], b[2], b[3]))
        .italic_angle(0.0)
        .ascent(face.ascent as f32)
        .descent(face.descent as f32)
        .cap_height(face.cap_height as f32)
        .stem_v(if face.bold { 140.0 } else { 80.0 })
        .font_file2(file);
    pdf.stream(file, &deflate(&data)).filter(Filter::FlateDecode).pair(Name(b"Length1"), data.len() as i32);
    let mut unicode = UnicodeCmap::new(Name(b"navigli-UTF16"), info);
    for (&g, &c) in &subset.chars {
        unicode.pair(g, c);
    }
    pdf.stream(cmap, &unicode.finish());
    type0
}

/// The drawing of one page.
fn content(page: &Page, subsets: &[Option<Subset>; 2]) -> Vec<u8> {
    let mut c = Content::new();
    for op in &page.ops {
        match op {
            Op::Path { points, fill, stroke } => {
                for (i, &(x, y)) in points.iter().enumerate() {
                    if i == 0 {
                        c.move_to(x, y);
                    } else {
                        c.line_to(x, y);
                    }
                }
                match (fill, stroke) {
                    (Some(f), _) => {
                        c.set_fill_rgb(unit(f.r), unit(f.g), unit(f.b));
                        c.close_path().fill_nonzero();
                    }
                    (None, Some((s, w))) => {
                        c.set_stroke_rgb(unit(s.r), unit(s.g), unit(s.b)).set_line_width(*w);
                        c.stroke();
                    }
                    (None, None) => {
                        c.end_path();
                    }
                }
            }
            Op::Text { x, y, size, bold, color, text } => {
                let face = &FONTS[usize::from(*bold)];
                let Some(subset) = &subsets[usize::from(*bold)] else { continue };
                c.begin_text();
                c.set_fill_rgb(unit(color.r), unit(color.g), unit(color.b));
                c.set_font(Name(if *bold { b"F2" } else { b"F1" }), *size);
                c.next_line(*x, *y);
                c.show(Str(&subset.codes(face, text)));
                c.end_text();
            }
            Op::Image { index, rect } => {
                let name = format!("Im{index}");
                c.save_state();
                c.transform([rect[2], 0.0, 0.0, rect[3], rect[0], rect[1]]);
                c.x_object(Name(name.as_bytes()));
                c.restore_state();
            }
        }
    }
    c.finish().into_vec()
}

/// Writes a page's image (and its soft mask); returns its reference.
fn write_image(pdf: &mut Pdf, ids: &mut Ids, image: &Image) -> Ref {
    let id = ids.next();
    let mask = image.alpha.as_ref().map(|alpha| {
        let m = ids.next();
        let data = deflate(alpha);
        let mut x = pdf.image_xobject(m, &data);
        x.filter(Filter::FlateDecode);
        x.width(image.width as i32).height(image.height as i32).bits_per_component(8);
        x.color_space().device_gray();
        m
    });
    let data = deflate(&image.rgb);
    let mut x = pdf.image_xobject(id, &data);
    x.filter(Filter::FlateDecode);
    x.width(image.width as i32).height(image.height as i32).bits_per_component(8);
    x.color_space().device_rgb();
    if let Some(m) = mask {
        x.s_mask(m);
    }
    id
}

/// The whole document: `pages` in order, with `title` in its information dictionary.
pub fn document(pages: &[Page], title: &str) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let mut ids = Ids(0);
    let (catalog, pages_id, info) = (ids.next(), ids.next(), ids.next());
    let subsets: [Option<Subset>; 2] = [0, 1].map(|i| Some(Subset::of(&FONTS[i], pages)).filter(|s| !s.chars.is_empty()));
    let fonts: Vec<Option<Ref>> =
        subsets.iter().zip(FONTS.iter()).map(|(s, face)| s.as_ref().map(|s| write_font(&mut pdf, &mut ids, face, s))).collect();
    let mut kids = Vec::new();
    for page in pages {
        let id = ids.next();
        kids.push(id);
        let images: Vec<Ref> = page.images.iter().map(|image| write_image(&mut pdf, &mut ids, image)).collect();
        let content_id = ids.next();
        pdf.stream(content_id, &deflate(&content(page, &subsets))).filter(Filter::FlateDecode);
        let mut p = pdf.page(id);
        p.parent(pages_id).media_box(Rect::new(0.0, 0.0, page.width as f32, page.height as f32)).contents(content_id);
        let mut resources = p.resources();
        let mut f = resources.fonts();
        for (name, font) in [(b"F1", fonts[0]), (b"F2", fonts[1])] {
            if let Some(font) = font {
                f.pair(Name(name), font);
            }
        }
        f.finish();
        let mut x = resources.x_objects();
        for (i, image) in images.iter().enumerate() {
            x.pair(Name(format!("Im{i}").as_bytes()), *image);
        }
    }
    pdf.pages(pages_id).kids(kids.iter().copied()).count(kids.len() as i32);
    pdf.catalog(catalog).pages(pages_id).lang(TextStr("it"));
    let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC);
    let date = Date::new(now.year() as u16)
        .month(now.month() as u8)
        .day(now.day() as u8)
        .hour(now.hour() as u8)
        .minute(now.minute() as u8)
        .second(now.second() as u8)
        .utc_offset_hour(0)
        .utc_offset_minute(0);
    pdf.document_info(info).title(TextStr(title)).producer(TextStr("navigli")).creation_date(date);
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_follow_the_font() {
        // DejaVu Sans: 'i' is narrower than 'm', bold is wider than regular.
        assert!(text_width("i", 10.0, false) < text_width("m", 10.0, false));
        assert!(text_width("Milano", 10.0, true) > text_width("Milano", 10.0, false));
        assert!((text_width("Milano", 20.0, false) - 2.0 * text_width("Milano", 10.0, false)).abs() < 1e-9);
        // A character the font lacks is drawn (and measured) as a question mark.
        assert_eq!(text_width("漢", 10.0, false), text_width("?", 10.0, false));
        let cut = fit_text("Città Metropolitana di Milano", 10.0, false, 60.0);
        assert!(cut.ends_with('…') && text_width(&cut, 10.0, false) <= 60.0, "{cut}");
        let lines = wrap_text("uno due tre quattro cinque sei sette otto", 10.0, false, 50.0);
        assert!(lines.len() > 2 && lines.iter().all(|l| text_width(l, 10.0, false) <= 50.0), "{lines:?}");
    }

    fn sample() -> Vec<u8> {
        let mut page = Page::new(A4.0, A4.1);
        page.text(40.0, 60.0, 12.0, true, Color { r: 0, g: 0, b: 0, a: 255 }, "Città (prova) \\ € CO₂");
        page.fill_rect(40.0, 80.0, 100.0, 20.0, Color { r: 200, g: 0, b: 0, a: 255 });
        let mut pixmap = Pixmap::new(4, 3).unwrap();
        pixmap.fill(tiny_skia::Color::from_rgba8(0, 128, 255, 128));
        page.image(40.0, 120.0, 40.0, 30.0, &pixmap);
        document(&[page], "Prova")
    }

    #[test]
    fn the_document_has_a_consistent_cross_reference_table() {
        let pdf = sample();
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.starts_with("%PDF-1."));
        // Every xref offset points at "N 0 obj".
        // (Offsets are bytes: the lossy text's would shift at every binary byte.)
        let xref_at: usize = text.rsplit("startxref\n").next().unwrap().lines().next().unwrap().parse().unwrap();
        let table = String::from_utf8_lossy(&pdf[xref_at..]);
        let mut objects = 0;
        for (n, line) in table.lines().map(str::trim_end).skip(3).take_while(|l| l.ends_with(" n")).enumerate() {
            let offset: usize = line[..10].parse().unwrap();
            assert!(pdf[offset..].starts_with(format!("{} 0 obj", n + 1).as_bytes()), "object {}", n + 1);
            objects += 1;
        }
        assert!(objects > 8, "{objects} objects");
        assert!(text.contains("/SMask"), "a translucent image has a soft mask");
    }

    #[test]
    fn fonts_are_small_subsets_with_a_unicode_map() {
        let pdf = sample();
        let text = String::from_utf8_lossy(&pdf);
        // Only the bold face is used: one Type 0 font, a subset (tagged name), with ToUnicode.
        assert_eq!(text.matches("/Subtype /Type0").count(), 1, "one font");
        assert!(text.contains("/ToUnicode") && text.contains("+DejaVuSans-Bold"), "tagged subset with ToUnicode");
        // The whole bold face is ~0.7 MB; the subset of a few glyphs is a few kB.
        assert!(pdf.len() < 40_000, "{} bytes", pdf.len());
    }
}
