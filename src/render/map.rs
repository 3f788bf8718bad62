//! The map renderer: features in the request CRS are drawn with tiny-skia onto an RGBA canvas
//! (antialiased fills, strokes with dashes, caps and joins, well-known point marks, labels with
//! halos placed without overlaps), styled by the rules of a [`Style`], and encoded as PNG
//! (32-bit or 8-bit palette) or JPEG.

use geo::{Geometry, InteriorPoint, LineString, Polygon};
use tiny_skia::{
    FillRule, LineCap as SkCap, LineJoin as SkJoin, Paint, PathBuilder, Pixmap, Shader, Stroke as SkStroke, StrokeDash, Transform,
};

pub use super::image::ImageFormat;
use super::rules::value_of;
pub use super::rules::{default_style, evaluate, load_graphics, style_properties, styled_symbolizers, symbolizers_for};
use super::style::{Color, LabelPlacement, LineCap, LineJoin, MarkShape, PointSymbolizer, Rule, Stroke, Style, Symbolizer, TextSymbolizer};
use super::text::{Anchor, Face, Labeler, TextStyle};
use crate::crs::{Bbox, Crs};
use crate::source::{Attribute, Value};

/// The standard rendering pixel of SLD/WMS: 0.28 mm.
pub const STANDARD_PIXEL_M: f64 = 0.000_28;
/// Metres per degree at the equator (for scale denominators of geographic CRS).
const METRES_PER_DEGREE: f64 = 111_319.490_793_273_57;

/// A rendering failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The requested size cannot be allocated.
    #[error("cannot allocate a {0}×{1} image")]
    Size(u32, u32),
    /// Image encoding failed.
    #[error("image encoding failed: {0}")]
    Encode(String),
}

/// An image being drawn: the map extent, its pixel size and the symbol scale factor.
pub struct Canvas {
    pixmap: Pixmap,
    bbox: Bbox,
    crs: Crs,
    /// Symbol sizes are multiplied by this (DPI / 90.7).
    symbol_scale: f32,
    /// Label candidates, drawn by [`Canvas::finish`].
    labels: Labeler,
    /// The layer being drawn (orders labels).
    layer: usize,
    /// Geometry waiting to be drawn, grouped by feature type style and symbolizer.
    batches: Vec<Batch>,
    /// One image per feature type style after the first, composited over the map in order at
    /// the end of each layer (each feature type style is a pass over all of a layer's features).
    passes: Vec<Option<Pixmap>>,
}

/// Most path segments gathered in one batch before it is drawn.
const MAX_BATCH_SEGMENTS: usize = 20_000;

/// What a batch holds.
enum BatchShape {
    /// Rings (exteriors clockwise on screen, holes counter-clockwise) or lines, one path.
    Path(PathBuilder),
    /// Mark positions, pixels.
    Marks(Vec<(f32, f32)>),
}

/// Features drawn with the same symbolizer of the same feature type style, drawn together.
struct Batch {
    fts: usize,
    key: usize,
    symbolizer: Symbolizer,
    shape: BatchShape,
    segments: usize,
}

fn sk_color(c: Color) -> tiny_skia::Color {
    tiny_skia::Color::from_rgba8(c.r, c.g, c.b, c.a)
}

fn paint(c: Color) -> Paint<'static> {
    Paint { shader: Shader::SolidColor(sk_color(c)), anti_alias: true, ..Paint::default() }
}

impl Canvas {
    /// A canvas of `width`×`height` pixels over `bbox` (in `crs`, GIS axis order), filled with
    /// `background` (transparent when `None`); `dpi` scales symbol sizes (90.7 is 1:1).
    pub fn new(bbox: Bbox, crs: Crs, width: u32, height: u32, background: Option<Color>, dpi: f64) -> Result<Canvas, RenderError> {
        let mut pixmap = Pixmap::new(width, height).ok_or(RenderError::Size(width, height))?;
        if let Some(bg) = background {
            pixmap.fill(sk_color(bg));
        }
        let symbol_scale = (dpi / 90.7).clamp(0.1, 10.0) as f32;
        Ok(Canvas { pixmap, bbox, crs, symbol_scale, labels: Labeler::default(), layer: 0, batches: Vec::new(), passes: Vec::new() })
    }

    /// The OGC scale denominator of this map (0.28 mm pixels).
    pub fn scale_denominator(&self) -> f64 {
        let per_px = (self.bbox.max_x - self.bbox.min_x) / f64::from(self.pixmap.width());
        let metres = if self.crs.is_geographic() { per_px * METRES_PER_DEGREE } else { per_px };
        metres / STANDARD_PIXEL_M * (f64::from(self.symbol_scale) * 90.7 / 90.7)
    }

    /// Map coordinates to pixels.
    fn px(&self, x: f64, y: f64) -> (f32, f32) {
        let w = f64::from(self.pixmap.width());
        let h = f64::from(self.pixmap.height());
        let px = (x - self.bbox.min_x) / (self.bbox.max_x - self.bbox.min_x) * w;
        let py = (self.bbox.max_y - y) / (self.bbox.max_y - self.bbox.min_y) * h;
        (px as f32, py as f32)
    }

    /// Starts the next layer: its labels rank after those of the layers before.
    pub fn next_layer(&mut self) {
        self.end_layer();
        self.layer += 1;
    }

    /// Draws what is batched, feature type style by feature type style. A style whose early
    /// batches had to be drawn before the end of the layer (they grew too large) has its own
    /// pass image: its remaining batches go there and the pass is composited over the map in
    /// its turn. Otherwise batches are drawn straight onto the map, in style order.
    fn end_layer(&mut self) {
        let mut batches = std::mem::take(&mut self.batches);
        batches.sort_by_key(|b| b.fts);
        let last = batches.last().map_or(0, |b| b.fts).max(self.passes.len());
        let mut batches = batches.into_iter().peekable();
        for fts in 0..=last {
            while let Some(b) = batches.next_if(|b| b.fts == fts) {
                self.draw_batch(b);
            }
            if fts >= 1 {
                if let Some(pass) = self.passes.get_mut(fts - 1).and_then(Option::take) {
                    self.pixmap.draw_pixmap(0, 0, pass.as_ref(), &tiny_skia::PixmapPaint::default(), Transform::identity(), None);
                }
            }
        }
        self.passes.clear();
    }

    /// Draws everything pending, then places and draws the labels gathered so far on top.
    pub fn finish(&mut self) -> usize {
        self.end_layer();
        self.labels.draw(&mut self.pixmap)
    }

    /// The image a feature type style draws on: its pass image when it has one, else the map.
    fn target(&mut self, fts: usize) -> &mut Pixmap {
        match self.passes.get_mut(fts.wrapping_sub(1)).and_then(Option::as_mut) {
            Some(pass) => pass,
            None => &mut self.pixmap,
        }
    }

    /// Gives a later feature type style its own pass image (before drawing part of it early).
    fn open_pass(&mut self, fts: usize) {
        if fts == 0 {
            return;
        }
        if self.passes.len() < fts {
            self.passes.resize_with(fts, || None);
        }
        if self.passes[fts - 1].is_none() {
            self.passes[fts - 1] = Pixmap::new(self.pixmap.width(), self.pixmap.height());
        }
    }

    /// Draws every pending batch, in the order they were started.
    fn flush_batches(&mut self) {
        for batch in std::mem::take(&mut self.batches) {
            self.draw_batch(batch);
        }
    }

    fn draw_batch(&mut self, batch: Batch) {
        let k = self.symbol_scale;
        match (batch.shape, &batch.symbolizer) {
            (BatchShape::Path(pb), Symbolizer::Polygon(p)) => {
                let Some(path) = pb.finish() else { return };
                let stroke = p.stroke.as_ref().map(|s| (sk_stroke(s, k), paint(s.color)));
                let target = self.target(batch.fts);
                if let Some(fill) = p.fill {
                    target.fill_path(&path, &paint(fill.color), FillRule::Winding, Transform::identity(), None);
                }
                if let Some((stroke, paint)) = stroke {
                    target.stroke_path(&path, &paint, &stroke, Transform::identity(), None);
                }
            }
            (BatchShape::Path(pb), Symbolizer::Line(l)) => {
                let Some(path) = pb.finish() else { return };
                let (stroke, paint) = (sk_stroke(&l.stroke, k), paint(l.stroke.color));
                self.target(batch.fts).stroke_path(&path, &paint, &stroke, Transform::identity(), None);
            }
            (BatchShape::Marks(points), Symbolizer::Point(p)) => {
                let target = self.target(batch.fts);
                for (x, y) in points {
                    mark(target, x, y, p, k);
                }
            }
            _ => {}
        }
    }

    /// The batch for a symbolizer of a feature type style, started if needed.
    fn batch(&mut self, fts: usize, symbolizer: &Symbolizer) -> &mut Batch {
        let key = symbolizer as *const Symbolizer as usize;
        let i = match self.batches.iter().position(|b| b.fts == fts && b.key == key) {
            Some(i) => i,
            None => {
                let shape = match symbolizer {
                    Symbolizer::Point(_) => BatchShape::Marks(Vec::new()),
                    _ => BatchShape::Path(PathBuilder::new()),
                };
                self.batches.push(Batch { fts, key, symbolizer: symbolizer.clone(), shape, segments: 0 });
                self.batches.len() - 1
            }
        };
        &mut self.batches[i]
    }

    /// Draws a batch now if it has grown large.
    fn maybe_flush(&mut self, fts: usize, symbolizer: &Symbolizer) {
        let key = symbolizer as *const Symbolizer as usize;
        if let Some(i) = self.batches.iter().position(|b| b.fts == fts && b.key == key && b.segments > MAX_BATCH_SEGMENTS) {
            let batch = self.batches.remove(i);
            self.open_pass(fts);
            self.draw_batch(batch);
        }
    }

    fn text_style(&self, t: &TextSymbolizer) -> TextStyle {
        let k = self.symbol_scale;
        TextStyle { size: t.size * k, bold: t.bold, color: t.fill.color, halo: t.halo.map(|(r, f)| (r * k, f.color)) }
    }

    /// Gathers a label candidate for a feature.
    fn label(&mut self, geometry: &Geometry<f64>, t: &TextSymbolizer, text: &str, lines: &[&LineString<f64>], polygons: &[&Polygon<f64>]) {
        let style = self.text_style(t);
        let k = self.symbol_scale;
        match t.placement {
            LabelPlacement::Line if !lines.is_empty() => {
                for l in lines {
                    let px: Vec<(f32, f32)> = l.0.iter().map(|c| self.px(c.x, c.y)).collect();
                    let length = super::text::polyline_length(&px);
                    self.labels.add(self.layer, false, length, text, style.clone(), Anchor::Line(px));
                }
            }
            _ => {
                // Polygons: the interior point of the largest part; points: each point.
                let largest = polygons.iter().max_by(|a, b| {
                    use geo::Area;
                    a.unsigned_area().total_cmp(&b.unsigned_area())
                });
                let point_feature = matches!(geometry, Geometry::Point(_) | Geometry::MultiPoint(_));
                let (at, priority) = match largest {
                    Some(p) => {
                        use geo::Area;
                        let Some(c) = p.interior_point() else { return };
                        let area_px = p.unsigned_area() / self.map_units_per_px().powi(2);
                        (c, area_px as f32)
                    }
                    None => match geometry.interior_point() {
                        Some(c) => (c, 0.0),
                        None => return,
                    },
                };
                let anchor = Anchor::Point {
                    at: self.px(at.x(), at.y()),
                    anchor: t.anchor,
                    displacement: [t.displacement[0] * k, t.displacement[1] * k],
                };
                self.labels.add(self.layer, point_feature, priority, text, style, anchor);
            }
        }
    }

    fn map_units_per_px(&self) -> f64 {
        (self.bbox.max_x - self.bbox.min_x) / f64::from(self.pixmap.width())
    }

    /// Draws one geometry (in the canvas CRS) with the given symbolizers, in order; text
    /// symbolizers read their label from `attributes`/`values` and are placed by
    /// [`Canvas::finish`].
    pub fn draw(&mut self, geometry: &Geometry<f64>, symbolizers: &[&Symbolizer], attributes: &[Attribute], values: &[Value]) {
        let styled: Vec<(usize, &Symbolizer)> = symbolizers.iter().map(|s| (0, *s)).collect();
        self.draw_styled(geometry, &styled, attributes, values);
        self.flush_batches();
    }

    /// Adds one geometry (in the canvas CRS) to the map with the symbolizers of each feature
    /// type style (`(index, symbolizer)`, as [`styled_symbolizers`] gives them). Geometry is
    /// batched per feature type style and symbolizer and drawn by [`Canvas::next_layer`] or
    /// [`Canvas::finish`]; each feature type style is a pass drawn over the previous ones.
    pub fn draw_styled(
        &mut self,
        geometry: &Geometry<f64>,
        symbolizers: &[(usize, &Symbolizer)],
        attributes: &[Attribute],
        values: &[Value],
    ) {
        let mut polygons: Vec<&Polygon<f64>> = Vec::new();
        let mut lines: Vec<&LineString<f64>> = Vec::new();
        let mut points: Vec<(f64, f64)> = Vec::new();
        collect(geometry, &mut polygons, &mut lines, &mut points);
        for &(fts, sym) in symbolizers {
            match sym {
                Symbolizer::Polygon(_) => {
                    if polygons.is_empty() {
                        continue;
                    }
                    let rings = self.pixel_rings(&polygons);
                    let batch = self.batch(fts, sym);
                    if let BatchShape::Path(pb) = &mut batch.shape {
                        for (ring, exterior) in &rings {
                            batch.segments += add_oriented_ring(pb, ring, *exterior);
                        }
                    }
                    self.maybe_flush(fts, sym);
                }
                Symbolizer::Line(_) => {
                    let parts: Vec<(Vec<(f32, f32)>, bool)> = if lines.is_empty() {
                        self.pixel_rings(&polygons)
                    } else {
                        lines.iter().map(|l| (l.0.iter().map(|c| self.px(c.x, c.y)).collect(), false)).collect()
                    };
                    let closed = lines.is_empty();
                    let batch = self.batch(fts, sym);
                    if let BatchShape::Path(pb) = &mut batch.shape {
                        for (part, _) in &parts {
                            batch.segments += add_polyline(pb, part, closed);
                        }
                    }
                    self.maybe_flush(fts, sym);
                }
                Symbolizer::Point(_) => {
                    let at: Vec<(f32, f32)> = if !points.is_empty() {
                        points.iter().map(|&(x, y)| self.px(x, y)).collect()
                    } else if let Some(c) = geometry.interior_point() {
                        vec![self.px(c.x(), c.y())]
                    } else {
                        continue;
                    };
                    let batch = self.batch(fts, sym);
                    if let BatchShape::Marks(m) = &mut batch.shape {
                        batch.segments += at.len();
                        m.extend(at);
                    }
                    self.maybe_flush(fts, sym);
                }
                Symbolizer::Text(t) => {
                    let text = match value_of(attributes, values, &t.property) {
                        None | Some(Value::Null) => continue,
                        Some(Value::Float(f)) => format!("{}", (f * 100.0).round() / 100.0),
                        Some(v) => v.to_string(),
                    };
                    self.label(geometry, t, &text, &lines, &polygons);
                }
            }
        }
    }

    /// The rings of polygons in pixels, each with whether it is an exterior.
    fn pixel_rings(&self, polygons: &[&Polygon<f64>]) -> Vec<(Vec<(f32, f32)>, bool)> {
        let mut out = Vec::new();
        for p in polygons {
            out.push((p.exterior().0.iter().map(|c| self.px(c.x, c.y)).collect(), true));
            for hole in p.interiors() {
                out.push((hole.0.iter().map(|c| self.px(c.x, c.y)).collect(), false));
            }
        }
        out
    }

    /// A legend: one `size`-pixel square sample per rule, stacked top to bottom, each with the
    /// rule's title (or name) to its right.
    pub fn legend(style: &Style, geometry_type: &str, size: u32) -> Result<Canvas, RenderError> {
        let rules: Vec<&Rule> = style
            .feature_type_styles
            .iter()
            .flat_map(|f| f.rules.iter())
            .filter(|r| r.symbolizers.iter().any(|s| !matches!(s, Symbolizer::Text(_))))
            .collect();
        let rows = rules.len().max(1) as u32;
        let s = f64::from(size);
        let face = Face::new((size as f32 * 0.55).clamp(8.0, 24.0), false);
        let captions: Vec<String> =
            rules.iter().map(|r| r.title.clone().or_else(|| r.name.clone()).unwrap_or_default().chars().take(80).collect()).collect();
        let text_width = captions.iter().map(|c| face.width(c)).fold(0.0f32, f32::max);
        let width = if text_width > 0.0 { size + 4 + text_width.ceil() as u32 + 2 } else { size };
        let bbox = Bbox { min_x: 0.0, min_y: 0.0, max_x: f64::from(width), max_y: s * f64::from(rows) };
        let mut canvas = Canvas::new(bbox, Crs::UTM32N, width, size * rows, None, 90.7)?;
        for (i, rule) in rules.iter().enumerate() {
            let top = s * f64::from(rows) - s * i as f64;
            let (x0, y0, x1, y1) = (2.0, top - s + 2.0, s - 2.0, top - 2.0);
            let sample = match geometry_type {
                "Point" | "MultiPoint" => Geometry::Point(geo::point!(x: s / 2.0, y: top - s / 2.0)),
                "LineString" | "MultiLineString" => {
                    Geometry::LineString(LineString::from(vec![(x0, y0), (s / 2.0, top - s / 2.0), (x1, y1)]))
                }
                _ => Geometry::Polygon(geo::Rect::new((x0, y0), (x1, y1)).to_polygon()),
            };
            let symbolizers: Vec<&Symbolizer> = rule.symbolizers.iter().filter(|s| !matches!(s, Symbolizer::Text(_))).collect();
            canvas.draw(&sample, &symbolizers, &[], &[]);
            let baseline = (s * i as f64 + s / 2.0) as f32 + (face.ascent() + face.descent()) / 2.0;
            if let Some(path) = face.path(&captions[i], size as f32 + 4.0, baseline) {
                let style = TextStyle { size: 0.0, bold: false, color: Color { r: 30, g: 30, b: 30, a: 255 }, halo: None };
                super::text::draw_text_path(&mut canvas.pixmap, &path, &style);
            }
        }
        Ok(canvas)
    }

    /// The drawn image (call [`Canvas::finish`] first, for the labels).
    pub fn into_pixmap(self) -> Pixmap {
        self.pixmap
    }

    /// The canvas as 32-bit PNG.
    pub fn png(&self) -> Result<Vec<u8>, RenderError> {
        self.encode(ImageFormat::Png)
    }

    /// The canvas in `format`; JPEG composites transparent areas over white.
    pub fn encode(&self, format: ImageFormat) -> Result<Vec<u8>, RenderError> {
        super::image::encode(self.pixmap.data(), self.pixmap.width(), self.pixmap.height(), format).map_err(RenderError::Encode)
    }

    /// Draws an error message in the image (EXCEPTIONS=INIMAGE): a red frame and the text,
    /// wrapped to the width.
    pub fn draw_error_message(&mut self, message: &str) {
        let (w, h) = (self.pixmap.width() as f32, self.pixmap.height() as f32);
        let mut pb = PathBuilder::new();
        if let Some(rect) = tiny_skia::Rect::from_xywh(1.0, 1.0, w - 2.0, h - 2.0) {
            pb.push_rect(rect);
        }
        if let Some(path) = pb.finish() {
            let stroke = SkStroke { width: 2.0, ..SkStroke::default() };
            self.pixmap.stroke_path(&path, &paint(Color { r: 200, g: 0, b: 0, a: 255 }), &stroke, Transform::identity(), None);
        }
        let face = Face::new(11.0, false);
        let style = TextStyle {
            size: 11.0,
            bold: false,
            color: Color { r: 160, g: 0, b: 0, a: 255 },
            halo: Some((1.5, Color { r: 255, g: 255, b: 255, a: 255 })),
        };
        let line_height = 14.0;
        let mut y = 6.0 + face.ascent();
        let mut line = String::new();
        let mut lines = Vec::new();
        for word in message.split_whitespace().take(200) {
            let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
            if face.width(&candidate) > w - 12.0 && !line.is_empty() {
                lines.push(std::mem::replace(&mut line, word.to_string()));
            } else {
                line = candidate;
            }
        }
        lines.push(line);
        for l in lines {
            if y > h - 4.0 {
                break;
            }
            if let Some(path) = face.path(&l, 6.0, y) {
                super::text::draw_text_path(&mut self.pixmap, &path, &style);
            }
            y += line_height;
        }
    }
}

/// A tiny-skia stroke for a style stroke at a symbol scale.
fn sk_stroke(s: &Stroke, k: f32) -> SkStroke {
    SkStroke {
        width: (s.width * k).max(0.1),
        line_cap: match s.cap {
            LineCap::Butt => SkCap::Butt,
            LineCap::Round => SkCap::Round,
            LineCap::Square => SkCap::Square,
        },
        line_join: match s.join {
            LineJoin::Miter => SkJoin::Miter,
            LineJoin::Round => SkJoin::Round,
            LineJoin::Bevel => SkJoin::Bevel,
        },
        dash: s.dash.as_ref().and_then(|d| StrokeDash::new(d.iter().map(|v| v * k).collect(), 0.0)),
        ..SkStroke::default()
    }
}

/// Adds a closed ring, clockwise on screen when `exterior`, counter-clockwise otherwise, so
/// that many polygons fill correctly together with the non-zero rule. Returns its segments.
fn add_oriented_ring(pb: &mut PathBuilder, ring: &[(f32, f32)], exterior: bool) -> usize {
    if ring.len() < 3 {
        return 0;
    }
    let area2: f64 = ring.windows(2).map(|w| f64::from(w[0].0) * f64::from(w[1].1) - f64::from(w[1].0) * f64::from(w[0].1)).sum();
    // Screen y points down: a positive shoelace sum is clockwise on screen.
    let forward = (area2 >= 0.0) == exterior;
    let mut points: Box<dyn Iterator<Item = &(f32, f32)>> = if forward { Box::new(ring.iter()) } else { Box::new(ring.iter().rev()) };
    if let Some(&(x, y)) = points.next() {
        pb.move_to(x, y);
    }
    for &(x, y) in points {
        pb.line_to(x, y);
    }
    pb.close();
    ring.len()
}

/// Adds a polyline (closed when `closed`). Returns its segments.
fn add_polyline(pb: &mut PathBuilder, line: &[(f32, f32)], closed: bool) -> usize {
    let Some(&(x, y)) = line.first() else { return 0 };
    pb.move_to(x, y);
    for &(x, y) in &line[1..] {
        pb.line_to(x, y);
    }
    if closed {
        pb.close();
    }
    line.len()
}

fn mark(pixmap: &mut Pixmap, cx: f32, cy: f32, p: &PointSymbolizer, symbol_scale: f32) {
    let size = (p.size * symbol_scale).max(1.0);
    if let Some(image) = p.graphic.as_ref().and_then(|g| g.image.as_ref()) {
        let k = size / image.height().max(1) as f32;
        let transform = Transform::from_translate(-(image.width() as f32) / 2.0, -(image.height() as f32) / 2.0)
            .post_scale(k, k)
            .post_rotate(p.rotation)
            .post_translate(cx, cy);
        let paint = tiny_skia::PixmapPaint { quality: tiny_skia::FilterQuality::Bilinear, ..Default::default() };
        pixmap.draw_pixmap(0, 0, image.as_ref().as_ref(), &paint, transform, None);
        return;
    }
    let r = size / 2.0;
    let mut pb = PathBuilder::new();
    match p.shape {
        MarkShape::Circle => pb.push_circle(0.0, 0.0, r),
        MarkShape::Square => {
            if let Some(rect) = tiny_skia::Rect::from_xywh(-r, -r, size, size) {
                pb.push_rect(rect);
            }
        }
        MarkShape::Triangle => {
            pb.move_to(0.0, -r);
            pb.line_to(r * 0.866, r * 0.5);
            pb.line_to(-r * 0.866, r * 0.5);
            pb.close();
        }
        MarkShape::Star => {
            for i in 0..10 {
                let radius = if i % 2 == 0 { r } else { r * 0.4 };
                let a = std::f32::consts::PI * (i as f32) / 5.0 - std::f32::consts::FRAC_PI_2;
                let (px, py) = (radius * a.cos(), radius * a.sin());
                if i == 0 {
                    pb.move_to(px, py);
                } else {
                    pb.line_to(px, py);
                }
            }
            pb.close();
        }
        MarkShape::Cross | MarkShape::X => {
            let t = (size / 6.0).max(1.0);
            for (x0, y0, w, h) in [(-r, -t / 2.0, size, t), (-t / 2.0, -r, t, size)] {
                if let Some(rect) = tiny_skia::Rect::from_xywh(x0, y0, w, h) {
                    pb.push_rect(rect);
                }
            }
        }
    }
    let Some(path) = pb.finish() else { return };
    let rotation = p.rotation + if p.shape == MarkShape::X { 45.0 } else { 0.0 };
    let transform = Transform::from_rotate(rotation).post_translate(cx, cy);
    if let Some(fill) = p.fill {
        pixmap.fill_path(&path, &paint(fill.color), FillRule::Winding, transform, None);
    }
    if let Some(s) = &p.stroke {
        let stroke = sk_stroke(s, symbol_scale);
        pixmap.stroke_path(&path, &paint(s.color), &stroke, transform, None);
    }
}

fn collect<'a>(
    g: &'a Geometry<f64>,
    polygons: &mut Vec<&'a Polygon<f64>>,
    lines: &mut Vec<&'a LineString<f64>>,
    points: &mut Vec<(f64, f64)>,
) {
    match g {
        Geometry::Point(p) => points.push((p.x(), p.y())),
        Geometry::MultiPoint(mp) => points.extend(mp.0.iter().map(|p| (p.x(), p.y()))),
        Geometry::LineString(l) => lines.push(l),
        Geometry::MultiLineString(ml) => lines.extend(ml.0.iter()),
        Geometry::Polygon(p) => polygons.push(p),
        Geometry::MultiPolygon(mp) => polygons.extend(mp.0.iter()),
        Geometry::GeometryCollection(gc) => gc.0.iter().for_each(|g| collect(g, polygons, lines, points)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::{CompareOp, Filter};
    use crate::model::AttributeType;
    use crate::render::style::RuleFilter;

    #[test]
    fn draws_polygons_lines_and_points_where_they_belong() {
        let bbox = Bbox::new(0.0, 0.0, 100.0, 100.0).unwrap();
        let mut canvas = Canvas::new(bbox, Crs::UTM32N, 100, 100, None, 90.7).unwrap();
        let square = Geometry::Polygon(geo::Rect::new((10.0, 10.0), (40.0, 40.0)).to_polygon());
        let style = default_style("Polygon");
        let syms = symbolizers_for(&style, &[], &[], 1000.0);
        canvas.draw(&square, &syms, &[], &[]);
        // Map y grows north, pixel y grows down: the square occupies rows 60..90.
        let px = |c: &Canvas, x: u32, y: u32| c.pixmap.pixel(x, y).unwrap().alpha();
        assert!(px(&canvas, 25, 75) > 0, "inside the square");
        assert_eq!(px(&canvas, 25, 25), 0, "outside stays transparent");
        let point = Geometry::Point(geo::point!(x: 80.0, y: 80.0));
        let style = default_style("Point");
        canvas.draw(&point, &symbolizers_for(&style, &[], &[], 1000.0), &[], &[]);
        assert!(px(&canvas, 80, 20) > 0);
        assert!(canvas.png().unwrap().starts_with(b"\x89PNG"));
    }

    #[test]
    fn rules_filter_and_else() {
        use super::super::style::{FeatureTypeStyle, Fill, PolygonSymbolizer};
        let red = Symbolizer::Polygon(PolygonSymbolizer { fill: Some(Fill { color: Color::parse_hex("#ff0000").unwrap() }), stroke: None });
        let grey =
            Symbolizer::Polygon(PolygonSymbolizer { fill: Some(Fill { color: Color::parse_hex("#808080").unwrap() }), stroke: None });
        let style = Style {
            name: "t".into(),
            title: None,
            feature_type_styles: vec![FeatureTypeStyle {
                rules: vec![
                    Rule {
                        filter: RuleFilter::Filter(Filter::Compare {
                            property: "uso".into(),
                            op: CompareOp::Eq,
                            value: Value::Text("01".into()),
                        }),
                        symbolizers: vec![red.clone()],
                        max_scale: Some(50_000.0),
                        ..Rule::default()
                    },
                    Rule { filter: RuleFilter::Else, symbolizers: vec![grey.clone()], ..Rule::default() },
                ],
            }],
        };
        let attrs = vec![Attribute { name: "uso".into(), kind: AttributeType::Text }];
        assert_eq!(symbolizers_for(&style, &attrs, &[Value::Text("01".into())], 10_000.0), vec![&red]);
        assert_eq!(symbolizers_for(&style, &attrs, &[Value::Text("02".into())], 10_000.0), vec![&grey]);
        // Out of the first rule's scale range, the else rule applies.
        assert_eq!(symbolizers_for(&style, &attrs, &[Value::Text("01".into())], 100_000.0), vec![&grey]);
        let n = vec![Attribute { name: "piani".into(), kind: AttributeType::Int }];
        assert!(evaluate(
            &Filter::Compare { property: "piani".into(), op: CompareOp::Ge, value: Value::Text("3".into()) },
            &n,
            &[Value::Int(4)]
        ));
        assert!(!evaluate(
            &Filter::Compare { property: "piani".into(), op: CompareOp::Ge, value: Value::Text("3".into()) },
            &n,
            &[Value::Null]
        ));
    }

    #[test]
    fn external_graphics_load_from_the_styles_folder_and_are_drawn() {
        use super::super::style::{FeatureTypeStyle, Graphic};
        let dir = tempfile::tempdir().unwrap();
        let mut icon = Pixmap::new(8, 8).unwrap();
        icon.fill(tiny_skia::Color::from_rgba8(200, 0, 0, 255));
        std::fs::write(dir.path().join("icon.png"), icon.encode_png().unwrap()).unwrap();
        let point = |href: &str| PointSymbolizer {
            shape: MarkShape::Square,
            size: 16.0,
            rotation: 0.0,
            fill: None,
            stroke: None,
            graphic: Some(Graphic { href: href.into(), image: None }),
        };
        let mut style = Style {
            name: "t".into(),
            title: None,
            feature_type_styles: vec![FeatureTypeStyle {
                rules: vec![Rule {
                    symbolizers: vec![Symbolizer::Point(point("icon.png")), Symbolizer::Point(point("missing.png"))],
                    ..Rule::default()
                }],
            }],
        };
        let problems = load_graphics(&mut style, dir.path());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("missing.png"));
        let bbox = Bbox::new(0.0, 0.0, 100.0, 100.0).unwrap();
        let mut canvas = Canvas::new(bbox, Crs::UTM32N, 100, 100, None, 90.7).unwrap();
        let syms = symbolizers_for(&style, &[], &[], 1000.0);
        canvas.draw(&Geometry::Point(geo::point!(x: 50.0, y: 50.0)), &syms, &[], &[]);
        // Drawn 16 px high around the point, scaled from 8 px.
        let red = |x, y| canvas.pixmap.pixel(x, y).unwrap().red();
        assert!(red(50, 50) > 150 && red(44, 44) > 150 && red(56, 56) > 150);
        assert_eq!(canvas.pixmap.pixel(30, 30).unwrap().alpha(), 0);
    }

    #[test]
    fn each_feature_type_style_is_a_pass_over_all_features() {
        use super::super::style::{FeatureTypeStyle, LineSymbolizer};
        // Road casings (black, wide) in the first style, fills (white, narrower) in the second:
        // where two roads cross, the fill of both must be on top of both casings.
        let line = |c: &str, w: f32| {
            Symbolizer::Line(LineSymbolizer {
                stroke: Stroke { color: Color::parse_hex(c).unwrap(), width: w, dash: None, cap: LineCap::Butt, join: LineJoin::Miter },
            })
        };
        let style = Style {
            name: "roads".into(),
            title: None,
            feature_type_styles: vec![
                FeatureTypeStyle { rules: vec![Rule { symbolizers: vec![line("#000000", 9.0)], ..Rule::default() }] },
                FeatureTypeStyle { rules: vec![Rule { symbolizers: vec![line("#ffffff", 5.0)], ..Rule::default() }] },
            ],
        };
        let bbox = Bbox::new(0.0, 0.0, 100.0, 100.0).unwrap();
        let mut canvas = Canvas::new(bbox, Crs::UTM32N, 100, 100, Some(Color { r: 128, g: 128, b: 128, a: 255 }), 90.7).unwrap();
        let horizontal = Geometry::LineString(LineString::from(vec![(0.0, 50.0), (100.0, 50.0)]));
        let vertical = Geometry::LineString(LineString::from(vec![(50.0, 0.0), (50.0, 100.0)]));
        for g in [&horizontal, &vertical] {
            canvas.draw_styled(g, &styled_symbolizers(&style, &[], &[], 1000.0), &[], &[]);
        }
        canvas.finish();
        let at = |x, y| canvas.pixmap.pixel(x, y).unwrap();
        assert_eq!(at(50, 50).red(), 255, "the crossing is white: fills over every casing");
        assert_eq!(at(53, 50).red(), 255, "the horizontal road's fill is not cut by the vertical casing");
        assert_eq!(at(50, 46).red(), 255);
        assert_eq!(at(20, 46).red(), 0, "casing beside the fill");
        assert_eq!(at(20, 30).red(), 128, "background away from the roads");
    }

    #[test]
    fn scale_denominator_follows_the_standard_pixel() {
        // 256 px over 256 * 0.28 m → 1 m per 0.28 mm pixel... i.e. scale 1000 for 0.28 m/px.
        let bbox = Bbox::new(0.0, 0.0, 71.68, 71.68).unwrap();
        let canvas = Canvas::new(bbox, Crs::UTM32N, 256, 256, None, 90.7).unwrap();
        assert!((canvas.scale_denominator() - 1000.0).abs() < 1e-6);
    }
}
