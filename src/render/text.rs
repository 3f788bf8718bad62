//! Text: map labels and legend captions. Glyph outlines of DejaVu Sans (from the `dejavu`
//! crate, read with `ab_glyph`) become tiny-skia paths, so text is antialiased, can follow a
//! line glyph by glyph, and gets its halo as a stroke of the same path.
//!
//! Labels are gathered while features are drawn and placed after the last layer, so they sit
//! on top of every geometry: labels of point features first, then by layer order, then larger
//! features first (polygon area, line
//! length); a label that would overlap one already placed, leave the image, or bend too
//! sharply along its line is dropped. The same text is not repeated within a short distance
//! (long roads come in many pieces).

use std::collections::HashMap;
use std::sync::LazyLock;

use ab_glyph::{Font, FontRef, GlyphId, OutlineCurve};
use tiny_skia::{FillRule, LineCap, LineJoin, Paint, Path, PathBuilder, Pixmap, Shader, Stroke, Transform};

use super::style::Color;

static REGULAR: LazyLock<FontRef<'static>> =
    LazyLock::new(|| FontRef::try_from_slice(dejavu::sans::regular()).expect("the DejaVu Sans font of the dejavu crate parses"));
static BOLD: LazyLock<FontRef<'static>> =
    LazyLock::new(|| FontRef::try_from_slice(dejavu::sans::bold()).expect("the DejaVu Sans Bold font of the dejavu crate parses"));

/// Most label candidates gathered for one map; later ones are ignored.
const MAX_CANDIDATES: usize = 50_000;
/// Longest label, in characters.
const MAX_CHARS: usize = 120;
/// Free space kept around each label, pixels.
const PADDING: f32 = 2.0;
/// Identical texts are not placed closer than this, pixels.
const REPEAT_DISTANCE: f32 = 160.0;
/// Largest bend between neighbouring glyphs of a line label, radians.
const MAX_BEND: f32 = 0.7;
/// Side of the collision grid cells, pixels.
const CELL: f32 = 64.0;

/// A font face at a pixel size.
#[derive(Clone, Copy)]
pub struct Face {
    font: &'static FontRef<'static>,
    /// Pixels per font unit.
    scale: f32,
}

impl Face {
    /// DejaVu Sans (or Bold) with an em of `size` pixels.
    pub fn new(size: f32, bold: bool) -> Face {
        let font: &'static FontRef<'static> = if bold { &BOLD } else { &REGULAR };
        let scale = size.max(1.0) / font.units_per_em().unwrap_or(2048.0);
        Face { font, scale }
    }

    /// Height above the baseline, pixels.
    pub fn ascent(&self) -> f32 {
        self.font.ascent_unscaled() * self.scale
    }

    /// Depth below the baseline (negative), pixels.
    pub fn descent(&self) -> f32 {
        self.font.descent_unscaled() * self.scale
    }

    /// The glyphs of `text` with their advance, pixels (kerning included).
    fn layout(&self, text: &str) -> Vec<(GlyphId, f32)> {
        let mut out: Vec<(GlyphId, f32)> = Vec::with_capacity(text.len());
        for c in text.chars().filter(|c| !c.is_control()) {
            let id = self.font.glyph_id(c);
            if let Some(last) = out.last_mut() {
                last.1 += self.font.kern_unscaled(last.0, id) * self.scale;
            }
            out.push((id, self.font.h_advance_unscaled(id) * self.scale));
        }
        out
    }

    /// Width of `text`, pixels.
    pub fn width(&self, text: &str) -> f32 {
        self.layout(text).iter().map(|g| g.1).sum()
    }

    /// Adds a glyph's outline, mapping font units (y up, origin on the baseline) through `map`.
    fn add_glyph(&self, pb: &mut PathBuilder, id: GlyphId, map: impl Fn(f32, f32) -> (f32, f32)) {
        let Some(outline) = self.font.outline(id) else { return };
        let mut last: Option<ab_glyph::Point> = None;
        for curve in &outline.curves {
            let start = match curve {
                OutlineCurve::Line(a, _) | OutlineCurve::Quad(a, _, _) | OutlineCurve::Cubic(a, _, _, _) => *a,
            };
            if last != Some(start) {
                if last.is_some() {
                    pb.close();
                }
                let (x, y) = map(start.x, start.y);
                pb.move_to(x, y);
            }
            let end = match curve {
                OutlineCurve::Line(_, b) => {
                    let (x, y) = map(b.x, b.y);
                    pb.line_to(x, y);
                    *b
                }
                OutlineCurve::Quad(_, c, b) => {
                    let ((cx, cy), (x, y)) = (map(c.x, c.y), map(b.x, b.y));
                    pb.quad_to(cx, cy, x, y);
                    *b
                }
                OutlineCurve::Cubic(_, c1, c2, b) => {
                    let ((ax, ay), (bx, by), (x, y)) = (map(c1.x, c1.y), map(c2.x, c2.y), map(b.x, b.y));
                    pb.cubic_to(ax, ay, bx, by, x, y);
                    *b
                }
            };
            last = Some(end);
        }
        if last.is_some() {
            pb.close();
        }
    }

    /// The outline of `text` set horizontally with its baseline starting at (`x`, `y`).
    pub fn path(&self, text: &str, x: f32, y: f32) -> Option<Path> {
        let mut pb = PathBuilder::new();
        let mut pen = x;
        let s = self.scale;
        for (id, advance) in self.layout(text) {
            self.add_glyph(&mut pb, id, |ux, uy| (pen + ux * s, y - uy * s));
            pen += advance;
        }
        pb.finish()
    }
}

/// How a label is drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct TextStyle {
    /// Em size, pixels.
    pub size: f32,
    /// Bold face.
    pub bold: bool,
    /// Text colour.
    pub color: Color,
    /// Halo radius (pixels) and colour.
    pub halo: Option<(f32, Color)>,
}

fn paint(c: Color) -> Paint<'static> {
    Paint { shader: Shader::SolidColor(tiny_skia::Color::from_rgba8(c.r, c.g, c.b, c.a)), anti_alias: true, ..Paint::default() }
}

/// Draws a text path with its halo below it.
pub fn draw_text_path(pixmap: &mut Pixmap, path: &Path, style: &TextStyle) {
    if let Some((radius, color)) = style.halo {
        if radius > 0.0 {
            let stroke = Stroke { width: radius * 2.0, line_cap: LineCap::Round, line_join: LineJoin::Round, ..Stroke::default() };
            pixmap.stroke_path(path, &paint(color), &stroke, Transform::identity(), None);
        }
    }
    pixmap.fill_path(path, &paint(style.color), FillRule::Winding, Transform::identity(), None);
}

/// Where a label candidate goes, in pixels.
#[derive(Clone, Debug)]
pub enum Anchor {
    /// At a point: the anchor of the label box (0..1 each, y up) sits on the point, then moves
    /// by the displacement (pixels, y up).
    Point {
        /// The point.
        at: (f32, f32),
        /// Anchor in the label box.
        anchor: [f32; 2],
        /// Displacement.
        displacement: [f32; 2],
    },
    /// Along a polyline (already in pixels).
    Line(Vec<(f32, f32)>),
}

struct Candidate {
    layer: usize,
    point_feature: bool,
    priority: f32,
    text: String,
    style: TextStyle,
    anchor: Anchor,
}

/// An axis-aligned box, pixels.
#[derive(Clone, Copy, Debug)]
struct Boxed {
    x0: f32,
    y0: f32,
    x1: f32,
    y1: f32,
}

impl Boxed {
    fn around(cx: f32, cy: f32, half: f32) -> Boxed {
        Boxed { x0: cx - half, y0: cy - half, x1: cx + half, y1: cy + half }
    }

    fn overlaps(&self, o: &Boxed) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }
}

/// Boxes already taken, bucketed in a grid.
#[derive(Default)]
struct Taken {
    boxes: Vec<Boxed>,
    grid: HashMap<(i32, i32), Vec<usize>>,
}

impl Taken {
    fn cells(b: &Boxed) -> impl Iterator<Item = (i32, i32)> {
        let (cx0, cy0, cx1, cy1) =
            ((b.x0 / CELL).floor() as i32, (b.y0 / CELL).floor() as i32, (b.x1 / CELL).floor() as i32, (b.y1 / CELL).floor() as i32);
        (cx0..=cx1).flat_map(move |x| (cy0..=cy1).map(move |y| (x, y)))
    }

    fn free(&self, b: &Boxed) -> bool {
        Taken::cells(b).all(|c| self.grid.get(&c).is_none_or(|v| v.iter().all(|&i| !self.boxes[i].overlaps(b))))
    }

    fn take(&mut self, b: Boxed) {
        let i = self.boxes.len();
        self.boxes.push(b);
        for c in Taken::cells(&b) {
            self.grid.entry(c).or_default().push(i);
        }
    }
}

/// Label candidates of one map, placed and drawn at the end.
#[derive(Default)]
pub struct Labeler {
    candidates: Vec<Candidate>,
}

impl Labeler {
    /// Adds a candidate; `priority` orders candidates of the same layer (larger first), and
    /// labels of point features (`point_feature`) go before all others.
    pub fn add(&mut self, layer: usize, point_feature: bool, priority: f32, text: &str, style: TextStyle, anchor: Anchor) {
        let text = text.trim();
        if text.is_empty() || self.candidates.len() >= MAX_CANDIDATES || style.size < 1.0 {
            return;
        }
        let text: String = text.chars().take(MAX_CHARS).collect();
        self.candidates.push(Candidate { layer, point_feature, priority, text, style, anchor });
    }

    /// Number of candidates gathered.
    pub fn len(&self) -> usize {
        self.candidates.len()
    }

    /// Whether no candidate was gathered.
    pub fn is_empty(&self) -> bool {
        self.candidates.is_empty()
    }

    /// Places the candidates without overlaps and draws them; returns how many were drawn.
    pub fn draw(&mut self, pixmap: &mut Pixmap) -> usize {
        let mut candidates = std::mem::take(&mut self.candidates);
        // Labels of point features (services, places) first, then by layer, larger first.
        let rank = |c: &Candidate| u8::from(!c.point_feature);
        candidates.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.layer.cmp(&b.layer)).then(b.priority.total_cmp(&a.priority)));
        let (w, h) = (pixmap.width() as f32, pixmap.height() as f32);
        let mut taken = Taken::default();
        let mut placed_texts: HashMap<String, Vec<(f32, f32)>> = HashMap::new();
        let mut drawn = 0;
        for c in &candidates {
            let face = Face::new(c.style.size, c.style.bold);
            let halo = c.style.halo.map_or(0.0, |(r, _)| r);
            let placement = match &c.anchor {
                Anchor::Point { at, anchor, displacement } => place_point(&face, &c.text, *at, *anchor, *displacement, halo),
                Anchor::Line(line) => place_line(&face, &c.text, line, halo, (w, h), &taken),
            };
            let Some((path, boxes, centre)) = placement else { continue };
            let inside = boxes.iter().all(|b| b.x0 >= 0.0 && b.y0 >= 0.0 && b.x1 <= w && b.y1 <= h);
            if !inside || !boxes.iter().all(|b| taken.free(b)) {
                continue;
            }
            let near = placed_texts
                .get(&c.text)
                .is_some_and(|v| v.iter().any(|p| (p.0 - centre.0).powi(2) + (p.1 - centre.1).powi(2) < REPEAT_DISTANCE * REPEAT_DISTANCE));
            if near {
                continue;
            }
            for b in boxes {
                taken.take(b);
            }
            placed_texts.entry(c.text.clone()).or_default().push(centre);
            match path {
                Shape::Glyphs(glyphs) => draw_glyphs(pixmap, &face, &glyphs, &c.style),
                Shape::Horizontal { left, baseline } => draw_horizontal(pixmap, &face, &c.text, &c.style, left, baseline),
            }
            drawn += 1;
        }
        drawn
    }
}

/// What to draw for a placed label: a horizontal label (drawn from the sprite cache) or the
/// outline of a label following a line.
enum Shape {
    /// Horizontal text with its baseline starting at (left, baseline).
    Horizontal { left: f32, baseline: f32 },
    /// Glyphs along a line: id, centre (pixels), angle (radians), advance.
    Glyphs(Vec<(GlyphId, (f32, f32), f32, f32)>),
}

type Placement = (Shape, Vec<Boxed>, (f32, f32));

fn place_point(face: &Face, text: &str, at: (f32, f32), anchor: [f32; 2], displacement: [f32; 2], halo: f32) -> Option<Placement> {
    let width = face.width(text);
    let (ascent, descent) = (face.ascent(), face.descent());
    let height = ascent - descent;
    // Box corner (left, bottom) so that the anchor point of the box lands on the point.
    let left = at.0 - anchor[0] * width + displacement[0];
    let bottom = at.1 + anchor[1] * height - displacement[1];
    let baseline = bottom + descent;
    let pad = PADDING + halo;
    let b = Boxed { x0: left - pad, y0: bottom - height - pad, x1: left + width + pad, y1: bottom + pad };
    Some((Shape::Horizontal { left, baseline }, vec![b], (left + width / 2.0, bottom - height / 2.0)))
}

/// A rendered horizontal label's identity.
#[derive(Clone, PartialEq, Eq, Hash)]
struct SpriteKey {
    text: String,
    size: u32,
    bold: bool,
    color: [u8; 4],
    halo: Option<(u32, [u8; 4])>,
}

/// Most sprites kept (the cache is emptied when full).
const MAX_SPRITES: usize = 8192;

/// Horizontal labels rendered once (text and halo, antialiased) and reused: the same names
/// come back on every map of an area.
static SPRITES: LazyLock<std::sync::Mutex<HashMap<SpriteKey, std::sync::Arc<Pixmap>>>> = LazyLock::new(Default::default);

/// The sprite of a horizontal label and the offset of its baseline origin within it.
fn sprite(face: &Face, text: &str, style: &TextStyle) -> Option<(std::sync::Arc<Pixmap>, f32)> {
    let rgba = |c: Color| [c.r, c.g, c.b, c.a];
    let key = SpriteKey {
        text: text.to_string(),
        size: style.size.to_bits(),
        bold: style.bold,
        color: rgba(style.color),
        halo: style.halo.map(|(r, c)| (r.to_bits(), rgba(c))),
    };
    let margin = style.halo.map_or(0.0, |(r, _)| r).ceil() + 1.0;
    if let Some(s) = SPRITES.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return Some((s, margin));
    }
    let width = face.width(text);
    let height = face.ascent() - face.descent();
    let mut pixmap = Pixmap::new((width + 2.0 * margin).ceil() as u32 + 1, (height + 2.0 * margin).ceil() as u32 + 1)?;
    let path = face.path(text, margin, margin + face.ascent())?;
    draw_text_path(&mut pixmap, &path, style);
    let pixmap = std::sync::Arc::new(pixmap);
    if let Ok(mut m) = SPRITES.lock() {
        if m.len() >= MAX_SPRITES {
            m.clear();
        }
        m.insert(key, pixmap.clone());
    }
    Some((pixmap, margin))
}

/// Draws a horizontal label from the sprite cache, at whole pixels.
fn draw_horizontal(pixmap: &mut Pixmap, face: &Face, text: &str, style: &TextStyle, left: f32, baseline: f32) {
    let Some((s, margin)) = sprite(face, text, style) else { return };
    let x = (left - margin).round() as i32;
    let y = (baseline - face.ascent() - margin).round() as i32;
    pixmap.draw_pixmap(x, y, s.as_ref().as_ref(), &tiny_skia::PixmapPaint::default(), Transform::identity(), None);
}

/// Clips a pixel polyline to the image and keeps its longest visible run.
fn visible_run(line: &[(f32, f32)], (w, h): (f32, f32)) -> Vec<(f32, f32)> {
    let wide: Vec<(f64, f64)> = line.iter().map(|&(x, y)| (f64::from(x), f64::from(y))).collect();
    let parts = crate::clip::clip_polyline(&wide, (0.0, 0.0, f64::from(w), f64::from(h)));
    let narrow = |p: &Vec<(f64, f64)>| -> Vec<(f32, f32)> { p.iter().map(|&(x, y)| (x as f32, y as f32)).collect() };
    parts.iter().map(narrow).max_by(|a, b| polyline_length(a).total_cmp(&polyline_length(b))).unwrap_or_default()
}

/// Length of a pixel polyline.
pub fn polyline_length(line: &[(f32, f32)]) -> f32 {
    line.windows(2).map(|s| (s[1].0 - s[0].0).hypot(s[1].1 - s[0].1)).sum()
}

/// The point and direction at distance `d` along a polyline with cumulative lengths `cum`.
fn at_distance(line: &[(f32, f32)], cum: &[f32], d: f32) -> ((f32, f32), f32) {
    let i = cum.partition_point(|&c| c <= d).clamp(1, line.len() - 1);
    let (a, b) = (line[i - 1], line[i]);
    let seg = (cum[i] - cum[i - 1]).max(1e-6);
    let t = ((d - cum[i - 1]) / seg).clamp(0.0, 1.0);
    ((a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1)), (b.1 - a.1).atan2(b.0 - a.0))
}

fn place_line(face: &Face, text: &str, line: &[(f32, f32)], halo: f32, size: (f32, f32), taken: &Taken) -> Option<Placement> {
    let mut line = visible_run(line, size);
    line.dedup_by(|a, b| (a.0 - b.0).abs() < 0.01 && (a.1 - b.1).abs() < 0.01);
    if line.len() < 2 {
        return None;
    }
    // Read left to right.
    if line[line.len() - 1].0 < line[0].0 {
        line.reverse();
    }
    let glyphs = face.layout(text);
    let width: f32 = glyphs.iter().map(|g| g.1).sum();
    let mut cum = vec![0.0f32];
    for s in line.windows(2) {
        cum.push(cum[cum.len() - 1] + (s[1].0 - s[0].0).hypot(s[1].1 - s[0].1));
    }
    let length = cum[cum.len() - 1];
    if width + 2.0 * PADDING > length {
        return None;
    }
    let (ascent, descent) = (face.ascent(), face.descent());
    let height = ascent - descent;
    let slack = length - width;
    // The middle first, then halfway to either end.
    for start in [slack / 2.0, slack / 4.0, slack * 3.0 / 4.0] {
        let mut placed = Vec::with_capacity(glyphs.len());
        let mut boxes = Vec::with_capacity(glyphs.len());
        let mut pen = start;
        let mut last_angle: Option<f32> = None;
        let mut ok = true;
        for &(id, advance) in &glyphs {
            let (mid, angle) = at_distance(&line, &cum, pen + advance / 2.0);
            if let Some(prev) = last_angle {
                let mut bend = (angle - prev).abs();
                if bend > std::f32::consts::PI {
                    bend = 2.0 * std::f32::consts::PI - bend;
                }
                if bend > MAX_BEND {
                    ok = false;
                    break;
                }
            }
            last_angle = Some(angle);
            placed.push((id, mid, angle, advance));
            boxes.push(Boxed::around(mid.0, mid.1, advance.max(height) / 2.0 + PADDING + halo));
            pen += advance;
        }
        if !ok || !boxes.iter().all(|b| taken.free(b)) {
            continue;
        }
        let centre = at_distance(&line, &cum, start + width / 2.0).0;
        return Some((Shape::Glyphs(placed), boxes, centre));
    }
    None
}

/// A rendered glyph's identity: glyph, face, size and either the text colour or the halo.
#[derive(Clone, PartialEq, Eq, Hash)]
struct GlyphKey {
    glyph: u16,
    size: u32,
    bold: bool,
    color: [u8; 4],
    halo: Option<u32>,
}

/// Glyphs (and their halos) rendered once, upright, and drawn rotated along lines.
static GLYPHS: LazyLock<std::sync::Mutex<HashMap<GlyphKey, std::sync::Arc<Pixmap>>>> = LazyLock::new(Default::default);

/// The sprite of one glyph (or of its halo when `halo` is set) with its margin: the glyph's
/// origin on the baseline is at (margin, margin + ascent) in the sprite.
fn glyph_sprite(face: &Face, id: GlyphId, style: &TextStyle, halo: Option<f32>) -> Option<(std::sync::Arc<Pixmap>, f32)> {
    let color = match (halo, style.halo) {
        (Some(_), Some((_, c))) => c,
        _ => style.color,
    };
    let key = GlyphKey {
        glyph: id.0,
        size: style.size.to_bits(),
        bold: style.bold,
        color: [color.r, color.g, color.b, color.a],
        halo: halo.map(f32::to_bits),
    };
    let margin = halo.unwrap_or(0.0).ceil() + 1.0;
    if let Some(s) = GLYPHS.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return Some((s, margin));
    }
    let advance = face.font.h_advance_unscaled(id) * face.scale;
    let height = face.ascent() - face.descent();
    let mut pixmap = Pixmap::new((advance + 2.0 * margin).ceil() as u32 + 2, (height + 2.0 * margin).ceil() as u32 + 1)?;
    let mut pb = PathBuilder::new();
    let (s, base) = (face.scale, margin + face.ascent());
    face.add_glyph(&mut pb, id, |ux, uy| (margin + ux * s, base - uy * s));
    if let Some(path) = pb.finish() {
        match halo {
            Some(r) => {
                let stroke = Stroke { width: r * 2.0, line_cap: LineCap::Round, line_join: LineJoin::Round, ..Stroke::default() };
                pixmap.stroke_path(&path, &paint(color), &stroke, Transform::identity(), None);
                pixmap.fill_path(&path, &paint(color), FillRule::Winding, Transform::identity(), None);
            }
            None => pixmap.fill_path(&path, &paint(color), FillRule::Winding, Transform::identity(), None),
        }
    }
    let pixmap = std::sync::Arc::new(pixmap);
    if let Ok(mut m) = GLYPHS.lock() {
        if m.len() >= MAX_SPRITES {
            m.clear();
        }
        m.insert(key, pixmap.clone());
    }
    Some((pixmap, margin))
}

/// Draws glyphs along a line: every halo first, then every glyph, each an upright sprite
/// rotated into place (bilinear).
fn draw_glyphs(pixmap: &mut Pixmap, face: &Face, glyphs: &[(GlyphId, (f32, f32), f32, f32)], style: &TextStyle) {
    let shift = (face.ascent() + face.descent()) / 2.0;
    let paint = tiny_skia::PixmapPaint { quality: tiny_skia::FilterQuality::Bilinear, ..Default::default() };
    let halo = style.halo.map(|(r, _)| r).filter(|r| *r > 0.0);
    let passes: Vec<Option<f32>> = match halo {
        Some(r) => vec![Some(r), None],
        None => vec![None],
    };
    for pass in passes {
        for &(id, mid, angle, advance) in glyphs {
            let Some((sprite, margin)) = glyph_sprite(face, id, style, pass) else { continue };
            let transform = Transform::from_translate(-margin - advance / 2.0, -margin - face.ascent() + shift)
                .post_rotate(angle.to_degrees())
                .post_translate(mid.0, mid.1);
            pixmap.draw_pixmap(0, 0, sprite.as_ref().as_ref(), &paint, transform, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style() -> TextStyle {
        TextStyle {
            size: 12.0,
            bold: false,
            color: Color { r: 0, g: 0, b: 0, a: 255 },
            halo: Some((1.5, Color { r: 255, g: 255, b: 255, a: 255 })),
        }
    }

    fn dark_pixels(p: &Pixmap, x0: u32, y0: u32, x1: u32, y1: u32) -> usize {
        let mut n = 0;
        for y in y0..y1 {
            for x in x0..x1 {
                let c = p.pixel(x, y).unwrap();
                if c.alpha() > 200 && c.red() < 80 {
                    n += 1;
                }
            }
        }
        n
    }

    #[test]
    fn text_has_a_width_that_grows_with_size_and_length() {
        let f = Face::new(10.0, false);
        let w = f.width("Milano");
        assert!(w > 25.0 && w < 45.0, "{w}");
        assert!(Face::new(20.0, false).width("Milano") > 1.9 * w);
        assert!(f.width("Milano Centrale") > w);
        assert!(Face::new(10.0, true).width("Milano") > w, "bold is wider");
        assert!(f.ascent() > 0.0 && f.descent() < 0.0);
    }

    #[test]
    fn point_labels_are_drawn_centred_with_a_halo_and_do_not_overlap() {
        let mut pixmap = Pixmap::new(200, 100).unwrap();
        pixmap.fill(tiny_skia::Color::from_rgba8(128, 128, 128, 255));
        let mut labeler = Labeler::default();
        let point = |x, y| Anchor::Point { at: (x, y), anchor: [0.5, 0.5], displacement: [0.0, 0.0] };
        labeler.add(0, false, 1.0, "Milano", style(), point(100.0, 50.0));
        // Overlaps the first one: dropped.
        labeler.add(0, false, 0.5, "Monza", style(), point(104.0, 52.0));
        // Outside the image: dropped.
        labeler.add(0, false, 0.4, "Lodi", style(), point(199.0, 50.0));
        assert_eq!(labeler.draw(&mut pixmap), 1);
        assert!(dark_pixels(&pixmap, 70, 35, 130, 65) > 20, "text drawn around the point");
        assert_eq!(dark_pixels(&pixmap, 0, 0, 60, 100), 0, "nothing far to the left");
        // The halo lightens pixels next to the glyphs.
        let light = (35..65).flat_map(|y| (70..130).map(move |x| (x, y))).filter(|&(x, y)| pixmap.pixel(x, y).unwrap().red() > 200).count();
        assert!(light > 20, "halo drawn");
    }

    #[test]
    fn line_labels_follow_the_line_and_skip_short_or_sharp_lines() {
        let mut pixmap = Pixmap::new(300, 300).unwrap();
        let mut labeler = Labeler::default();
        // A diagonal drawn right to left: the label must still read left to right.
        labeler.add(0, false, 300.0, "Via Roma", style(), Anchor::Line(vec![(280.0, 280.0), (20.0, 20.0)]));
        // Too short for its text.
        labeler.add(0, false, 10.0, "Viale Monte Nero", style(), Anchor::Line(vec![(10.0, 290.0), (40.0, 290.0)]));
        // A hairpin.
        labeler.add(0, false, 5.0, "Curva", style(), Anchor::Line(vec![(200.0, 40.0), (240.0, 40.0), (200.0, 42.0)]));
        assert_eq!(labeler.draw(&mut pixmap), 1);
        // Ink near the diagonal's middle, none far from it.
        let mut near = 0;
        let mut far = 0;
        for y in 0..300 {
            for x in 0..300 {
                if pixmap.pixel(x, y).unwrap().alpha() > 0 {
                    if (x as i32 - y as i32).abs() < 20 {
                        near += 1;
                    } else {
                        far += 1;
                    }
                }
            }
        }
        assert!(near > 50, "{near}");
        assert_eq!(far, 0);
    }

    #[test]
    fn lines_are_clipped_to_the_image_before_placing() {
        let run = visible_run(&[(-100.0, 50.0), (50.0, 50.0), (300.0, 50.0)], (100.0, 100.0));
        assert_eq!(run, vec![(0.0, 50.0), (50.0, 50.0), (100.0, 50.0)]);
        let run = visible_run(&[(-10.0, -10.0), (-5.0, -5.0)], (100.0, 100.0));
        assert!(run.is_empty());
    }

    #[test]
    fn the_same_text_is_not_repeated_nearby() {
        let mut pixmap = Pixmap::new(400, 100).unwrap();
        let mut labeler = Labeler::default();
        labeler.add(0, false, 2.0, "Via Po", style(), Anchor::Line(vec![(10.0, 50.0), (130.0, 50.0)]));
        labeler.add(0, false, 1.0, "Via Po", style(), Anchor::Line(vec![(140.0, 50.0), (260.0, 50.0)]));
        labeler.add(0, false, 1.0, "Via Po", style(), Anchor::Line(vec![(270.0, 60.0), (390.0, 60.0)]));
        assert_eq!(labeler.draw(&mut pixmap), 2);
    }
}
