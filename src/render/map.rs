//! The map renderer: features in the request CRS are drawn with tiny-skia onto an RGBA canvas
//! (antialiased fills, strokes with dashes, caps and joins, well-known point marks), styled by
//! the rules of a [`Style`], and encoded as PNG.

use geo::{Geometry, InteriorPoint, LineString, Polygon};
use tiny_skia::{
    FillRule, LineCap as SkCap, LineJoin as SkJoin, Paint, PathBuilder, Pixmap, Shader, Stroke as SkStroke, StrokeDash, Transform,
};

use super::style::{Color, LineCap, LineJoin, MarkShape, PointSymbolizer, Rule, RuleFilter, Stroke, Style, Symbolizer};
use crate::crs::{Bbox, Crs};
use crate::filter::{like_matches, CompareOp, Filter};
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
    /// PNG encoding failed.
    #[error("PNG encoding failed: {0}")]
    Encode(String),
}

/// An image being drawn: the map extent, its pixel size and the symbol scale factor.
pub struct Canvas {
    pixmap: Pixmap,
    bbox: Bbox,
    crs: Crs,
    /// Symbol sizes are multiplied by this (DPI / 90.7).
    symbol_scale: f32,
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
        Ok(Canvas { pixmap, bbox, crs, symbol_scale })
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

    fn add_ring(&self, pb: &mut PathBuilder, ring: &LineString<f64>, close: bool) {
        let mut first = true;
        for c in &ring.0 {
            let (x, y) = self.px(c.x, c.y);
            if first {
                pb.move_to(x, y);
                first = false;
            } else {
                pb.line_to(x, y);
            }
        }
        if close && !first {
            pb.close();
        }
    }

    fn polygons_path(&self, polygons: &[&Polygon<f64>]) -> Option<tiny_skia::Path> {
        let mut pb = PathBuilder::new();
        for p in polygons {
            self.add_ring(&mut pb, p.exterior(), true);
            for hole in p.interiors() {
                self.add_ring(&mut pb, hole, true);
            }
        }
        pb.finish()
    }

    fn lines_path(&self, lines: &[&LineString<f64>]) -> Option<tiny_skia::Path> {
        let mut pb = PathBuilder::new();
        for l in lines {
            self.add_ring(&mut pb, l, false);
        }
        pb.finish()
    }

    fn sk_stroke(&self, s: &Stroke) -> SkStroke {
        let k = self.symbol_scale;
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

    fn stroke_path(&mut self, path: &tiny_skia::Path, s: &Stroke) {
        let stroke = self.sk_stroke(s);
        self.pixmap.stroke_path(path, &paint(s.color), &stroke, Transform::identity(), None);
    }

    fn mark(&mut self, x: f64, y: f64, p: &PointSymbolizer) {
        let (cx, cy) = self.px(x, y);
        let size = (p.size * self.symbol_scale).max(1.0);
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
            self.pixmap.fill_path(&path, &paint(fill.color), FillRule::Winding, transform, None);
        }
        if let Some(s) = &p.stroke {
            let stroke = self.sk_stroke(s);
            self.pixmap.stroke_path(&path, &paint(s.color), &stroke, transform, None);
        }
    }

    /// Draws one geometry (in the canvas CRS) with the given symbolizers, in order. Text
    /// symbolizers are not drawn yet.
    pub fn draw(&mut self, geometry: &Geometry<f64>, symbolizers: &[&Symbolizer]) {
        let mut polygons: Vec<&Polygon<f64>> = Vec::new();
        let mut lines: Vec<&LineString<f64>> = Vec::new();
        let mut points: Vec<(f64, f64)> = Vec::new();
        collect(geometry, &mut polygons, &mut lines, &mut points);
        for sym in symbolizers {
            match sym {
                Symbolizer::Polygon(p) => {
                    if polygons.is_empty() {
                        continue;
                    }
                    let Some(path) = self.polygons_path(&polygons) else { continue };
                    if let Some(fill) = p.fill {
                        self.pixmap.fill_path(&path, &paint(fill.color), FillRule::EvenOdd, Transform::identity(), None);
                    }
                    if let Some(s) = &p.stroke {
                        self.stroke_path(&path, s);
                    }
                }
                Symbolizer::Line(l) => {
                    let path = if lines.is_empty() { self.polygons_path(&polygons) } else { self.lines_path(&lines) };
                    if let Some(path) = path {
                        self.stroke_path(&path, &l.stroke);
                    }
                }
                Symbolizer::Point(p) => {
                    if !points.is_empty() {
                        for &(x, y) in &points {
                            self.mark(x, y, p);
                        }
                    } else if let Some(c) = geometry.interior_point() {
                        self.mark(c.x(), c.y(), p);
                    }
                }
                Symbolizer::Text(_) => {}
            }
        }
    }

    /// A legend: one `size`-pixel square sample per rule, stacked top to bottom.
    pub fn legend(style: &Style, geometry_type: &str, size: u32) -> Result<Canvas, RenderError> {
        let rules: Vec<&Rule> =
            style.feature_type_styles.iter().flat_map(|f| f.rules.iter()).filter(|r| !r.symbolizers.is_empty()).collect();
        let rows = rules.len().max(1) as u32;
        let s = f64::from(size);
        let bbox = Bbox { min_x: 0.0, min_y: 0.0, max_x: s, max_y: s * f64::from(rows) };
        let mut canvas = Canvas::new(bbox, Crs::UTM32N, size, size * rows, None, 90.7)?;
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
            let symbolizers: Vec<&Symbolizer> = rule.symbolizers.iter().collect();
            canvas.draw(&sample, &symbolizers);
        }
        Ok(canvas)
    }

    /// The canvas as PNG.
    pub fn png(&self) -> Result<Vec<u8>, RenderError> {
        self.pixmap.encode_png().map_err(|e| RenderError::Encode(e.to_string()))
    }

    /// Draws a short error message box (EXCEPTIONS=INIMAGE): a red frame and a cross, since
    /// text needs the label engine.
    pub fn draw_error_marker(&mut self) {
        let (w, h) = (self.pixmap.width() as f32, self.pixmap.height() as f32);
        let mut pb = PathBuilder::new();
        pb.move_to(0.0, 0.0);
        pb.line_to(w, h);
        pb.move_to(w, 0.0);
        pb.line_to(0.0, h);
        if let Some(rect) = tiny_skia::Rect::from_xywh(1.0, 1.0, w - 2.0, h - 2.0) {
            pb.push_rect(rect);
        }
        if let Some(path) = pb.finish() {
            let stroke = SkStroke { width: 2.0, ..SkStroke::default() };
            self.pixmap.stroke_path(&path, &paint(Color { r: 200, g: 0, b: 0, a: 255 }), &stroke, Transform::identity(), None);
        }
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

/// The symbolizers that apply to a feature at `scale`, in drawing order: per feature type
/// style, the matching rules' symbolizers, or the else-rules' when none matched.
pub fn symbolizers_for<'s>(style: &'s Style, attributes: &[Attribute], values: &[Value], scale: f64) -> Vec<&'s Symbolizer> {
    let mut out = Vec::new();
    for fts in &style.feature_type_styles {
        let in_scale: Vec<&Rule> = fts.rules.iter().filter(|r| r.in_scale(scale)).collect();
        let mut matched = false;
        for rule in &in_scale {
            let applies = match &rule.filter {
                RuleFilter::All => true,
                RuleFilter::Filter(f) => evaluate(f, attributes, values),
                RuleFilter::Else => false,
            };
            if applies {
                matched = true;
                out.extend(rule.symbolizers.iter());
            }
        }
        if !matched {
            for rule in in_scale.iter().filter(|r| r.filter == RuleFilter::Else) {
                out.extend(rule.symbolizers.iter());
            }
        }
    }
    out
}

/// The attribute names a style's filters read (so the renderer selects only those).
pub fn filter_properties(style: &Style) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for rule in style.feature_type_styles.iter().flat_map(|f| f.rules.iter()) {
        if let RuleFilter::Filter(f) = &rule.filter {
            for p in f.properties() {
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
    }
    out
}

fn value_of<'v>(attributes: &[Attribute], values: &'v [Value], property: &str) -> Option<&'v Value> {
    attributes.iter().position(|a| a.name == property).and_then(|i| values.get(i))
}

fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Null, _) | (_, Value::Null) => None,
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Text(x), Value::Text(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (x, y) => {
            let num = |v: &Value| match v {
                Value::Int(i) => Some(*i as f64),
                Value::Float(f) => Some(*f),
                Value::Text(t) => t.trim().parse().ok(),
                Value::Bool(b) => Some(f64::from(u8::from(*b))),
                Value::Null => None,
            };
            num(x)?.partial_cmp(&num(y)?)
        }
    }
}

/// Evaluates an attribute filter in memory (spatial operators are not used in styles: false).
pub fn evaluate(filter: &Filter, attributes: &[Attribute], values: &[Value]) -> bool {
    use std::cmp::Ordering::*;
    match filter {
        Filter::And(v) => v.iter().all(|f| evaluate(f, attributes, values)),
        Filter::Or(v) => v.iter().any(|f| evaluate(f, attributes, values)),
        Filter::Not(f) => !evaluate(f, attributes, values),
        Filter::Compare { property, op, value } => {
            let Some(v) = value_of(attributes, values, property) else { return false };
            let literal = coerce_like(v, value);
            match (op, compare(v, &literal)) {
                (_, None) => false,
                (CompareOp::Eq, Some(o)) => o == Equal,
                (CompareOp::Ne, Some(o)) => o != Equal,
                (CompareOp::Lt, Some(o)) => o == Less,
                (CompareOp::Le, Some(o)) => o != Greater,
                (CompareOp::Gt, Some(o)) => o == Greater,
                (CompareOp::Ge, Some(o)) => o != Less,
            }
        }
        Filter::Between { property, low, high } => {
            let Some(v) = value_of(attributes, values, property) else { return false };
            matches!(compare(v, &coerce_like(v, low)), Some(Greater | Equal))
                && matches!(compare(v, &coerce_like(v, high)), Some(Less | Equal))
        }
        Filter::Like { property, pattern, match_case } => match value_of(attributes, values, property) {
            Some(Value::Null) | None => false,
            Some(v) => like_matches(&v.to_string(), pattern, *match_case),
        },
        Filter::IsNull { property } => matches!(value_of(attributes, values, property), Some(Value::Null) | None),
        Filter::In { property, values: list } => {
            let Some(v) = value_of(attributes, values, property) else { return false };
            list.iter().any(|l| compare(v, &coerce_like(v, l)) == Some(Equal))
        }
        _ => false,
    }
}

/// A literal (text from SLD) in the type of the value it is compared with.
fn coerce_like(value: &Value, literal: &Value) -> Value {
    match (value, literal) {
        (Value::Int(_), Value::Text(t)) => t
            .trim()
            .parse::<i64>()
            .map(Value::Int)
            .or_else(|_| t.trim().parse::<f64>().map(Value::Float))
            .unwrap_or_else(|_| literal.clone()),
        (Value::Float(_), Value::Text(t)) => t.trim().parse::<f64>().map(Value::Float).unwrap_or_else(|_| literal.clone()),
        (Value::Bool(_), Value::Text(t)) => match t.trim() {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => literal.clone(),
        },
        _ => literal.clone(),
    }
}

/// A fallback style for a geometry type, used when a layer has no style of its own.
pub fn default_style(geometry_type: &str) -> Style {
    use super::style::{FeatureTypeStyle, Fill, LineSymbolizer, PolygonSymbolizer};
    let stroke = |c: Color, w: f32| Stroke { color: c, width: w, dash: None, cap: LineCap::Round, join: LineJoin::Round };
    let grey = Color { r: 90, g: 90, b: 90, a: 255 };
    let symbolizer = match geometry_type {
        "Point" | "MultiPoint" => Symbolizer::Point(PointSymbolizer {
            shape: MarkShape::Circle,
            size: 7.0,
            rotation: 0.0,
            fill: Some(Fill { color: Color { r: 230, g: 120, b: 30, a: 255 } }),
            stroke: Some(stroke(Color { r: 255, g: 255, b: 255, a: 255 }, 1.0)),
        }),
        "LineString" | "MultiLineString" => {
            Symbolizer::Line(LineSymbolizer { stroke: stroke(Color { r: 60, g: 110, b: 200, a: 255 }, 1.5) })
        }
        _ => Symbolizer::Polygon(PolygonSymbolizer {
            fill: Some(Fill { color: Color { r: 200, g: 200, b: 190, a: 160 } }),
            stroke: Some(stroke(grey, 0.8)),
        }),
    };
    Style {
        name: "default".into(),
        title: Some("Default".into()),
        feature_type_styles: vec![FeatureTypeStyle { rules: vec![Rule { symbolizers: vec![symbolizer], ..Rule::default() }] }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::AttributeType;

    #[test]
    fn draws_polygons_lines_and_points_where_they_belong() {
        let bbox = Bbox::new(0.0, 0.0, 100.0, 100.0).unwrap();
        let mut canvas = Canvas::new(bbox, Crs::UTM32N, 100, 100, None, 90.7).unwrap();
        let square = Geometry::Polygon(geo::Rect::new((10.0, 10.0), (40.0, 40.0)).to_polygon());
        let style = default_style("Polygon");
        let syms = symbolizers_for(&style, &[], &[], 1000.0);
        canvas.draw(&square, &syms);
        // Map y grows north, pixel y grows down: the square occupies rows 60..90.
        let px = |c: &Canvas, x: u32, y: u32| c.pixmap.pixel(x, y).unwrap().alpha();
        assert!(px(&canvas, 25, 75) > 0, "inside the square");
        assert_eq!(px(&canvas, 25, 25), 0, "outside stays transparent");
        let point = Geometry::Point(geo::point!(x: 80.0, y: 80.0));
        let style = default_style("Point");
        canvas.draw(&point, &symbolizers_for(&style, &[], &[], 1000.0));
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
    fn scale_denominator_follows_the_standard_pixel() {
        // 256 px over 256 * 0.28 m → 1 m per 0.28 mm pixel... i.e. scale 1000 for 0.28 m/px.
        let bbox = Bbox::new(0.0, 0.0, 71.68, 71.68).unwrap();
        let canvas = Canvas::new(bbox, Crs::UTM32N, 256, 256, None, 90.7).unwrap();
        assert!((canvas.scale_denominator() - 1000.0).abs() < 1e-6);
    }
}
