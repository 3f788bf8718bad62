//! A small PDF 1.4 writer for printed maps and reports: one or more pages of filled and stroked
//! paths, text in DejaVu Sans (regular and bold, the fonts the map labels use) embedded as
//! TrueType fonts with the WinAnsi encoding — so the text is real text that `pdftotext`, search
//! and screen readers recover — and RGB images with a soft mask for their transparency. Every
//! stream is Flate-compressed. Page coordinates are points (1/72 inch) from the **top-left**
//! corner, y down, like the rest of the renderer; the writer turns them into PDF's bottom-up
//! space. Not a general PDF library: what the print sheet and the roof report need.

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::LazyLock;

use ab_glyph::{Font, FontRef};
use tiny_skia::Pixmap;

use super::style::Color;

/// A4 in points (210 × 297 mm).
pub const A4: (f64, f64) = (595.28, 841.89);
/// A3 in points (297 × 420 mm).
pub const A3: (f64, f64) = (841.89, 1190.55);

/// One of the two embedded faces, ready to write: the compressed font file and its metrics in
/// PDF glyph space (1/1000 em).
struct EmbeddedFont {
    /// PostScript-style name.
    name: &'static str,
    /// `FontFile2` stream: the whole TrueType file, deflated.
    file: Vec<u8>,
    /// Length of the TrueType file before compression.
    length1: usize,
    /// Advance of each WinAnsi code 32..=255.
    widths: Vec<f64>,
    /// Font box, ascent, descent, cap height.
    bbox: [f64; 4],
    ascent: f64,
    descent: f64,
    cap_height: f64,
    /// Flags of the font descriptor (32: non-symbolic; 32 + 2^18: bold).
    flags: u32,
}

fn embed(name: &'static str, bytes: &'static [u8], bold: bool) -> EmbeddedFont {
    let font = FontRef::try_from_slice(bytes).expect("the DejaVu fonts of the dejavu crate parse");
    let upem = f64::from(font.units_per_em().unwrap_or(2048.0));
    let k = 1000.0 / upem;
    let widths = (32u8..=255).map(|b| f64::from(font.h_advance_unscaled(font.glyph_id(winansi_char(b)))) * k).collect();
    let head = table(bytes, b"head");
    let i16_at = |t: &[u8], o: usize| f64::from(i16::from_be_bytes([t[o], t[o + 1]]));
    let bbox = head
        .filter(|t| t.len() >= 44)
        .map(|t| [i16_at(t, 36) * k, i16_at(t, 38) * k, i16_at(t, 40) * k, i16_at(t, 42) * k])
        .unwrap_or([-1000.0, -500.0, 2000.0, 1500.0]);
    let cap_height = font.outline(font.glyph_id('H')).map(|o| f64::from(o.bounds.max.y) * k).unwrap_or(729.0);
    EmbeddedFont {
        name,
        file: deflate(bytes),
        length1: bytes.len(),
        widths,
        bbox,
        ascent: f64::from(font.ascent_unscaled()) * k,
        descent: f64::from(font.descent_unscaled()) * k,
        cap_height,
        flags: if bold { 32 | (1 << 18) } else { 32 },
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

static FONTS: LazyLock<[EmbeddedFont; 2]> =
    LazyLock::new(|| [embed("DejaVuSans", dejavu::sans::regular(), false), embed("DejaVuSans-Bold", dejavu::sans::bold(), true)]);

fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::with_capacity(bytes.len() / 2), flate2::Compression::default());
    z.write_all(bytes).expect("writing to memory");
    z.finish().expect("writing to memory")
}

/// The characters of Windows-1252 at 0x80..=0x9F (undefined codes give U+FFFD).
const CP1252_HIGH: [char; 32] = [
    '€', '\u{FFFD}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{FFFD}', 'Ž', '\u{FFFD}', '\u{FFFD}', '‘', '’', '“', '”',
    '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{FFFD}', 'ž', 'Ÿ',
];

/// The character of a WinAnsi (Windows-1252) byte.
fn winansi_char(b: u8) -> char {
    match b {
        0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// The WinAnsi byte of a character; `?` for characters the encoding lacks.
fn winansi_byte(c: char) -> u8 {
    match u32::from(c) {
        0x20..=0x7E | 0xA0..=0xFF => c as u8,
        // Minus sign and subscript two (CO₂) have no WinAnsi code: the nearest one.
        0x2212 => b'-',
        0x2082 => b'2',
        _ => CP1252_HIGH.iter().position(|&h| h == c && h != '\u{FFFD}').map(|i| 0x80 + i as u8).unwrap_or(b'?'),
    }
}

/// Width of `text` at `size` points in the regular (or bold) face, points.
pub fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    let font = &FONTS[usize::from(bold)];
    text.chars().filter(|c| !c.is_control()).map(|c| font.widths[usize::from(winansi_byte(c).max(32) - 32)]).sum::<f64>() * size / 1000.0
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

/// One page being drawn.
pub struct Page {
    width: f64,
    height: f64,
    ops: String,
    images: Vec<Image>,
}

/// A number as PDF writes it (at most 3 decimals, no exponent).
fn num(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

fn rgb(c: Color) -> String {
    format!("{} {} {}", num(f64::from(c.r) / 255.0), num(f64::from(c.g) / 255.0), num(f64::from(c.b) / 255.0))
}

impl Page {
    /// A blank page of `width`×`height` points.
    pub fn new(width: f64, height: f64) -> Page {
        Page { width, height, ops: String::new(), images: Vec::new() }
    }

    /// Page size, points.
    pub fn size(&self) -> (f64, f64) {
        (self.width, self.height)
    }

    fn y(&self, y: f64) -> f64 {
        self.height - y
    }

    /// A filled rectangle (top-left corner, size).
    pub fn fill_rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: Color) {
        let _ = writeln!(self.ops, "{} rg {} {} {} {} re f", rgb(fill), num(x), num(self.y(y + h)), num(w), num(h));
    }

    /// A rectangle outline.
    pub fn stroke_rect(&mut self, x: f64, y: f64, w: f64, h: f64, stroke: Color, line_width: f64) {
        let _ = writeln!(self.ops, "{} RG {} w {} {} {} {} re S", rgb(stroke), num(line_width), num(x), num(self.y(y + h)), num(w), num(h));
    }

    /// A polyline.
    pub fn line(&mut self, points: &[(f64, f64)], stroke: Color, line_width: f64) {
        if points.len() < 2 {
            return;
        }
        let _ = write!(self.ops, "{} RG {} w 0 J 0 j", rgb(stroke), num(line_width));
        for (i, (x, y)) in points.iter().enumerate() {
            let _ = write!(self.ops, " {} {} {}", num(*x), num(self.y(*y)), if i == 0 { "m" } else { "l" });
        }
        self.ops.push_str(" S\n");
    }

    /// A filled polygon (closed by itself).
    pub fn polygon(&mut self, points: &[(f64, f64)], fill: Color) {
        if points.len() < 3 {
            return;
        }
        let _ = write!(self.ops, "{} rg", rgb(fill));
        for (i, (x, y)) in points.iter().enumerate() {
            let _ = write!(self.ops, " {} {} {}", num(*x), num(self.y(*y)), if i == 0 { "m" } else { "l" });
        }
        self.ops.push_str(" h f\n");
    }

    /// Text with its baseline starting at (`x`, `y`), `size` points.
    pub fn text(&mut self, x: f64, y: f64, size: f64, bold: bool, color: Color, text: &str) {
        let mut s = String::with_capacity(text.len() + 2);
        for c in text.chars().filter(|c| !c.is_control()) {
            match winansi_byte(c) {
                b'(' => s.push_str("\\("),
                b')' => s.push_str("\\)"),
                b'\\' => s.push_str("\\\\"),
                b @ 0x20..=0x7E => s.push(char::from(b)),
                b => {
                    let _ = write!(s, "\\{b:03o}");
                }
            }
        }
        let font = if bold { "F2" } else { "F1" };
        let _ = writeln!(self.ops, "BT {} rg /{font} {} Tf {} {} Td ({s}) Tj ET", rgb(color), num(size), num(x), num(self.y(y)));
    }

    /// Text ending at `x` (right-aligned).
    pub fn text_right(&mut self, x: f64, y: f64, size: f64, bold: bool, color: Color, text: &str) {
        let w = text_width(text, size, bold);
        self.text(x - w, y, size, bold, color, text);
    }

    /// An image stretched over the rectangle (top-left corner, size).
    pub fn image(&mut self, x: f64, y: f64, w: f64, h: f64, pixmap: &Pixmap) {
        let i = self.images.len();
        self.images.push(Image::of(pixmap));
        let _ = writeln!(self.ops, "q {} 0 0 {} {} {} cm /Im{i} Do Q", num(w), num(h), num(x), num(self.y(y + h)));
    }
}

/// A PDF document being assembled object by object.
struct Writer {
    out: Vec<u8>,
    offsets: Vec<usize>,
}

impl Writer {
    /// Reserves an object number.
    fn reserve(&mut self) -> usize {
        self.offsets.push(0);
        self.offsets.len()
    }

    fn object(&mut self, id: usize, body: &str) {
        self.offsets[id - 1] = self.out.len();
        let _ = write!(self.out, "{id} 0 obj\n{body}\nendobj\n");
    }

    fn stream(&mut self, id: usize, dict: &str, data: &[u8]) {
        self.offsets[id - 1] = self.out.len();
        let _ = write!(self.out, "{id} 0 obj\n<< {dict} /Length {} >>\nstream\n", data.len());
        self.out.extend_from_slice(data);
        self.out.extend_from_slice(b"\nendstream\nendobj\n");
    }
}

/// A PDF text string: UTF-16BE with its byte order mark, hex-written (titles with any character).
fn text_string(s: &str) -> String {
    let mut hex = String::from("<FEFF");
    for u in s.encode_utf16() {
        let _ = write!(hex, "{u:04X}");
    }
    hex.push('>');
    hex
}

/// The whole document: `pages` in order, with `title` in its information dictionary.
pub fn document(pages: &[Page], title: &str) -> Vec<u8> {
    let mut w = Writer { out: Vec::with_capacity(1 << 20), offsets: Vec::new() };
    w.out.extend_from_slice(b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");
    let catalog = w.reserve();
    let pages_id = w.reserve();
    let info = w.reserve();
    let fonts: Vec<usize> = FONTS
        .iter()
        .map(|f| {
            let (font, descriptor, file) = (w.reserve(), w.reserve(), w.reserve());
            w.stream(file, &format!("/Filter /FlateDecode /Length1 {}", f.length1), &f.file);
            let b = f.bbox;
            w.object(
                descriptor,
                &format!(
                    "<< /Type /FontDescriptor /FontName /{} /Flags {} /FontBBox [{} {} {} {}] /ItalicAngle 0 /Ascent {} /Descent {} \
                     /CapHeight {} /StemV 80 /FontFile2 {file} 0 R >>",
                    f.name,
                    f.flags,
                    num(b[0]),
                    num(b[1]),
                    num(b[2]),
                    num(b[3]),
                    num(f.ascent),
                    num(f.descent),
                    num(f.cap_height)
                ),
            );
            let widths: Vec<String> = f.widths.iter().map(|v| num(v.round())).collect();
            w.object(
                font,
                &format!(
                    "<< /Type /Font /Subtype /TrueType /BaseFont /{} /FirstChar 32 /LastChar 255 /Widths [{}] \
                     /Encoding /WinAnsiEncoding /FontDescriptor {descriptor} 0 R >>",
                    f.name,
                    widths.join(" ")
                ),
            );
            font
        })
        .collect();
    let mut kids = Vec::new();
    for page in pages {
        let id = w.reserve();
        kids.push(id);
        let mut xobjects = String::new();
        for (i, image) in page.images.iter().enumerate() {
            let img = w.reserve();
            let mask = image.alpha.as_ref().map(|alpha| {
                let m = w.reserve();
                let dict = format!(
                    "/Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode",
                    image.width, image.height
                );
                w.stream(m, &dict, &deflate(alpha));
                m
            });
            let smask = mask.map(|m| format!(" /SMask {m} 0 R")).unwrap_or_default();
            let dict = format!(
                "/Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode{smask}",
                image.width, image.height
            );
            w.stream(img, &dict, &deflate(&image.rgb));
            let _ = write!(xobjects, " /Im{i} {img} 0 R");
        }
        let content = w.reserve();
        w.stream(content, "/Filter /FlateDecode", &deflate(page.ops.as_bytes()));
        w.object(
            id,
            &format!(
                "<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {} {}] /Contents {content} 0 R \
                 /Resources << /Font << /F1 {} 0 R /F2 {} 0 R >> /XObject <<{xobjects} >> >> >>",
                num(page.width),
                num(page.height),
                fonts[0],
                fonts[1]
            ),
        );
    }
    let kids_list: Vec<String> = kids.iter().map(|k| format!("{k} 0 R")).collect();
    w.object(pages_id, &format!("<< /Type /Pages /Kids [{}] /Count {} >>", kids_list.join(" "), kids.len()));
    w.object(catalog, &format!("<< /Type /Catalog /Pages {pages_id} 0 R /Lang (it) >>"));
    let now = jiff::Timestamp::now().strftime("%Y%m%d%H%M%SZ").to_string();
    w.object(info, &format!("<< /Title {} /Producer (navigli) /CreationDate (D:{now}) >>", text_string(title)));
    let xref = w.out.len();
    let _ = write!(w.out, "xref\n0 {}\n0000000000 65535 f \n", w.offsets.len() + 1);
    for o in &w.offsets {
        let _ = writeln!(w.out, "{o:010} 00000 n ");
    }
    let _ = write!(w.out, "trailer\n<< /Size {} /Root {catalog} 0 R /Info {info} 0 R >>\nstartxref\n{xref}\n%%EOF\n", w.offsets.len() + 1);
    w.out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn winansi_round_trips_italian_and_typographic_characters() {
        assert_eq!((winansi_byte('−'), winansi_byte('₂')), (b'-', b'2'));
        for c in "àèéìòù ÀÈÉÌÒÙ €–—‘’“”… «»°²".chars() {
            assert_eq!(winansi_char(winansi_byte(c)), c, "{c}");
        }
        assert_eq!(winansi_byte('漢'), b'?');
    }

    #[test]
    fn widths_follow_the_font() {
        // DejaVu Sans: 'i' is narrower than 'm', bold is wider than regular.
        assert!(text_width("i", 10.0, false) < text_width("m", 10.0, false));
        assert!(text_width("Milano", 10.0, true) > text_width("Milano", 10.0, false));
        assert!((text_width("Milano", 20.0, false) - 2.0 * text_width("Milano", 10.0, false)).abs() < 1e-9);
        let cut = fit_text("Città Metropolitana di Milano", 10.0, false, 60.0);
        assert!(cut.ends_with('…') && text_width(&cut, 10.0, false) <= 60.0, "{cut}");
        let lines = wrap_text("uno due tre quattro cinque sei sette otto", 10.0, false, 50.0);
        assert!(lines.len() > 2 && lines.iter().all(|l| text_width(l, 10.0, false) <= 50.0), "{lines:?}");
    }

    #[test]
    fn the_document_has_a_consistent_cross_reference_table() {
        let mut page = Page::new(A4.0, A4.1);
        page.text(40.0, 60.0, 12.0, true, Color { r: 0, g: 0, b: 0, a: 255 }, "Città (prova) \\ €");
        page.fill_rect(40.0, 80.0, 100.0, 20.0, Color { r: 200, g: 0, b: 0, a: 255 });
        let mut pixmap = Pixmap::new(4, 3).unwrap();
        pixmap.fill(tiny_skia::Color::from_rgba8(0, 128, 255, 128));
        page.image(40.0, 120.0, 40.0, 30.0, &pixmap);
        let pdf = document(&[page], "Prova");
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.starts_with("%PDF-1.4"));
        // Every xref offset points at "N 0 obj".
        let xref_at: usize = text.rsplit("startxref\n").next().unwrap().lines().next().unwrap().parse().unwrap();
        let table = &text[xref_at..];
        for (n, line) in table.lines().skip(3).take_while(|l| l.ends_with(" n ")).enumerate() {
            let offset: usize = line[..10].parse().unwrap();
            assert!(pdf[offset..].starts_with(format!("{} 0 obj", n + 1).as_bytes()), "object {}", n + 1);
        }
        assert!(text.contains("/SMask"), "a translucent image has a soft mask");
    }
}
