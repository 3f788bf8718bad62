//! The styling model rendered by navigli: what an SLD 1.0 / SE 1.1 document means once parsed
//! (`NamedLayer`/`UserStyle` → feature type styles → rules → symbolizers). Rule filters reuse
//! the filter AST and are evaluated in memory against each feature's attribute values.

use crate::filter::Filter;

/// An sRGB colour with alpha (0–255 each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Color {
    /// Red.
    pub r: u8,
    /// Green.
    pub g: u8,
    /// Blue.
    pub b: u8,
    /// Alpha (255 = opaque).
    pub a: u8,
}

impl Color {
    /// Parses `#rrggbb` or `#rrggbbaa` (case-insensitive).
    pub fn parse_hex(s: &str) -> Option<Color> {
        let h = s.trim().strip_prefix('#')?;
        let byte = |i: usize| u8::from_str_radix(h.get(i..i + 2)?, 16).ok();
        match h.len() {
            6 => Some(Color { r: byte(0)?, g: byte(2)?, b: byte(4)?, a: 255 }),
            8 => Some(Color { r: byte(0)?, g: byte(2)?, b: byte(4)?, a: byte(6)? }),
            _ => None,
        }
    }

    /// This colour with its alpha multiplied by `opacity` (0–1).
    pub fn with_opacity(self, opacity: f32) -> Color {
        Color { a: (f32::from(self.a) * opacity.clamp(0.0, 1.0)).round() as u8, ..self }
    }
}

/// Line end caps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LineCap {
    /// Flat at the end point.
    #[default]
    Butt,
    /// Rounded.
    Round,
    /// Square, past the end point.
    Square,
}

/// Line joins.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LineJoin {
    /// Sharp corners.
    #[default]
    Miter,
    /// Rounded corners.
    Round,
    /// Cut corners.
    Bevel,
}

/// A fill (colour already multiplied by `fill-opacity`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fill {
    /// Colour.
    pub color: Color,
}

/// A stroke (colour already multiplied by `stroke-opacity`; widths in pixels at 90.7 DPI,
/// the SLD standard rendering pixel of 0.28 mm).
#[derive(Clone, Debug, PartialEq)]
pub struct Stroke {
    /// Colour.
    pub color: Color,
    /// Width.
    pub width: f32,
    /// Dash pattern (`stroke-dasharray`), if any.
    pub dash: Option<Vec<f32>>,
    /// End caps.
    pub cap: LineCap,
    /// Joins.
    pub join: LineJoin,
}

/// Well-known point marks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MarkShape {
    /// Square (the SLD default).
    #[default]
    Square,
    /// Circle.
    Circle,
    /// Triangle (point up).
    Triangle,
    /// Five-pointed star.
    Star,
    /// Plus sign.
    Cross,
    /// Diagonal cross.
    X,
}

/// Fills the interior of polygons, and strokes their outline.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PolygonSymbolizer {
    /// Interior.
    pub fill: Option<Fill>,
    /// Outline.
    pub stroke: Option<Stroke>,
}

/// Strokes lines (and polygon outlines).
#[derive(Clone, Debug, PartialEq)]
pub struct LineSymbolizer {
    /// The stroke.
    pub stroke: Stroke,
}

/// An `ExternalGraphic`: a PNG file in the styles folder, named by the style (never a path or a
/// URL), decoded once when the style is loaded.
#[derive(Clone, Debug, PartialEq)]
pub struct Graphic {
    /// File name in the styles folder.
    pub href: String,
    /// The decoded image, once loaded (see [`crate::render::map::load_graphics`]).
    pub image: Option<std::sync::Arc<tiny_skia::Pixmap>>,
}

/// Draws a mark at points (and at the centroid of other geometries).
#[derive(Clone, Debug, PartialEq)]
pub struct PointSymbolizer {
    /// Shape.
    pub shape: MarkShape,
    /// Size (pixels).
    pub size: f32,
    /// Rotation, degrees clockwise.
    pub rotation: f32,
    /// Interior.
    pub fill: Option<Fill>,
    /// Outline.
    pub stroke: Option<Stroke>,
    /// An image drawn instead of the mark, `size` pixels high.
    pub graphic: Option<Graphic>,
}

/// Where a label goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LabelPlacement {
    /// At the point / interior point.
    #[default]
    Point,
    /// Along the line.
    Line,
}

/// Draws a label from a property.
#[derive(Clone, Debug, PartialEq)]
pub struct TextSymbolizer {
    /// The property whose value is the label (`<Label><ogc:PropertyName>`).
    pub property: String,
    /// Font size (pixels).
    pub size: f32,
    /// Text colour.
    pub fill: Fill,
    /// Halo radius (pixels) and colour.
    pub halo: Option<(f32, Fill)>,
    /// Placement.
    pub placement: LabelPlacement,
    /// Bold face (`font-weight: bold`).
    pub bold: bool,
    /// Point placement: the label's anchor, (0, 0) bottom-left to (1, 1) top-right of its box.
    pub anchor: [f32; 2],
    /// Point placement: displacement in pixels (x right, y up).
    pub displacement: [f32; 2],
}

/// One symbolizer of a rule.
#[derive(Clone, Debug, PartialEq)]
pub enum Symbolizer {
    /// Polygon fill/outline.
    Polygon(PolygonSymbolizer),
    /// Line stroke.
    Line(LineSymbolizer),
    /// Point mark.
    Point(PointSymbolizer),
    /// Text label.
    Text(TextSymbolizer),
}

/// When a rule applies.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum RuleFilter {
    /// Always.
    #[default]
    All,
    /// When the filter holds.
    Filter(Filter),
    /// When no other (non-else) rule of the feature type style applied.
    Else,
}

/// A rule: a filter, a scale range, symbolizers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rule {
    /// Name.
    pub name: Option<String>,
    /// Title (legend label).
    pub title: Option<String>,
    /// Which features.
    pub filter: RuleFilter,
    /// Applies at scale denominators ≥ this.
    pub min_scale: Option<f64>,
    /// Applies at scale denominators < this.
    pub max_scale: Option<f64>,
    /// What to draw, in order.
    pub symbolizers: Vec<Symbolizer>,
}

impl Rule {
    /// Whether the rule applies at `scale` (a scale denominator).
    pub fn in_scale(&self, scale: f64) -> bool {
        self.min_scale.is_none_or(|m| scale >= m) && self.max_scale.is_none_or(|m| scale < m)
    }
}

/// Rules drawn together; several feature type styles draw one after the other.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FeatureTypeStyle {
    /// The rules.
    pub rules: Vec<Rule>,
}

/// A named style (an SLD `UserStyle`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Style {
    /// Name (`styles/<name>.sld`).
    pub name: String,
    /// Title.
    pub title: Option<String>,
    /// Feature type styles, drawn in order.
    pub feature_type_styles: Vec<FeatureTypeStyle>,
}
