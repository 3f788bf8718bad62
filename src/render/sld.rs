//! Styled Layer Descriptor parser: SLD 1.0.0 (`CssParameter`) and SLD 1.1.0 / Symbology
//! Encoding 1.1 (`se:SvgParameter`), as written by QGIS ("Save Style… → SLD") and GeoServer,
//! into the [`style`](super::style) model.
//!
//! Elements are matched on their local names; namespaces are not checked (except that a
//! `Filter` in the FES 2.0 namespace is read as FES 2.0, any other as Filter Encoding 1.1).
//! Rule filters are handed to the FES parser as the elements they are
//! ([`crate::filter::fes::parse_filter_element`]).
//!
//! The document is read by the one hardened XML reader ([`crate::xml`]: DTDs refused, only
//! predefined entities and character references expanded, size, depth and element count
//! capped), then interpreted. Whatever is present but not rendered
//! (external graphics, graphic fills, offsets, vendor options, geometry expressions, label
//! expressions other than one property name, non-pixel units…) is listed in
//! [`SldReport::unsupported`] as `element path (line N)` and parsing goes on: the rest of the
//! symbolizer (or, when nothing sensible remains, nothing) is rendered. A rule whose filter uses
//! an unsupported construct (functions, arithmetic, temporal operators) is left out and listed.
//!
//! Defaults follow the specifications: fill 50 % grey, stroke black 1 px (butt caps, mitre
//! joins), mark square 6 px with grey fill and black outline, font size 10 px, text black,
//! halo radius 1 px white. Sizes are pixels; a `uom` of metres or feet is listed and read as
//! pixels.

use super::style::{
    Color, FeatureTypeStyle, Fill, Graphic, LabelPlacement, LineCap, LineJoin, LineSymbolizer, MarkShape, PointSymbolizer,
    PolygonSymbolizer, Rule, RuleFilter, Stroke, Style, Symbolizer, TextSymbolizer,
};
use crate::crs::Crs;
use crate::filter::fes::{parse_filter_element, FesContext, FesError, FesVersion};
use crate::filter::Filter;
use crate::xml::XmlError;

/// Largest SLD document accepted, in bytes.
pub const MAX_SLD_BYTES: usize = 1 << 20;
/// Deepest element nesting accepted.
pub const MAX_SLD_DEPTH: usize = 64;
/// Most elements a document may hold (a filter counts as one; the filter parser caps its own).
pub const MAX_SLD_ELEMENTS: usize = 50_000;
/// Most rules a document may hold.
pub const MAX_RULES: usize = 1_000;
/// Most entries listed in [`SldReport::unsupported`] (one more summarises the rest).
pub const MAX_UNSUPPORTED: usize = 500;

/// Largest stroke width, mark size, dash length or font size accepted, in pixels.
const MAX_PIXELS: f64 = 1_000.0;
/// Largest halo radius accepted, in pixels.
const MAX_HALO: f64 = 100.0;
/// Most dash entries in a `stroke-dasharray`.
const MAX_DASHES: usize = 64;
/// Longest piece of document text echoed in a message or an unsupported entry.
const ECHO_MAX: usize = 80;

const FES2_NS: &str = "http://www.opengis.net/fes/2.0";

const GREY: Color = Color { r: 0x80, g: 0x80, b: 0x80, a: 255 };
const BLACK: Color = Color { r: 0, g: 0, b: 0, a: 255 };
const WHITE: Color = Color { r: 255, g: 255, b: 255, a: 255 };
const DEFAULT_MARK_SIZE: f32 = 6.0;
const DEFAULT_FONT_SIZE: f32 = 10.0;

/// Why a style document was rejected. Messages are meant for clients: short, no internals.
#[derive(Debug, thiserror::Error)]
pub enum SldError {
    /// Malformed XML, or not a style document.
    #[error("{0}")]
    Syntax(String),
    /// The document has a DTD or entity declarations.
    #[error("DTDs are not allowed")]
    Dtd,
    /// The document exceeds a size limit.
    #[error("{0}")]
    TooLarge(String),
    /// A rule's filter is invalid.
    #[error("{0}")]
    Filter(String),
}

/// A parsed style document.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SldReport {
    /// The `UserStyle`s, in document order.
    pub styles: Vec<Style>,
    /// Elements and parameters present but not rendered, each `element path (line N)`.
    pub unsupported: Vec<String>,
    /// For each style (same index), the name of the `NamedLayer`/`UserLayer` it was given for.
    pub layers: Vec<Option<String>>,
}

/// Parses an SLD 1.0.0 / 1.1.0 document (root `StyledLayerDescriptor`; a bare `UserStyle` or
/// SE `FeatureTypeStyle` root is accepted too).
pub fn parse_sld(xml: &str) -> Result<SldReport, SldError> {
    let root = crate::xml::read(xml, &XML_LIMITS).map_err(|e| match e {
        XmlError::Dtd => SldError::Dtd,
        XmlError::TooLarge(m) => SldError::TooLarge(m),
        XmlError::Syntax(m) => SldError::Syntax(m),
    })?;
    if root.depth_outside("Filter") > MAX_SLD_DEPTH {
        return Err(SldError::TooLarge(format!("style document nested deeper than {MAX_SLD_DEPTH} elements")));
    }
    let mut p = Interpreter::default();
    let mut report = SldReport::default();
    let path = root.local.clone();
    match root.local.as_str() {
        "StyledLayerDescriptor" => p.document(&root, &path, &mut report)?,
        "UserStyle" => {
            let style = p.user_style(&root, &path, None)?;
            report.styles.push(style);
            report.layers.push(None);
        }
        "FeatureTypeStyle" => {
            let fts = p.feature_type_style(&root, &path, None)?;
            let name = child_text(&root, "Name").unwrap_or_else(|| "default".into());
            report.styles.push(Style { name, title: title_of(&root), feature_type_styles: vec![fts] });
            report.layers.push(None);
        }
        other => return Err(SldError::Syntax(format!("expected a StyledLayerDescriptor, found {}", echo(other)))),
    }
    if report.styles.is_empty() {
        return Err(SldError::Syntax("the document has no UserStyle".into()));
    }
    report.unsupported = p.unsupported;
    if p.omitted > 0 {
        report.unsupported.push(format!("… and {} more unsupported items", p.omitted));
    }
    Ok(report)
}

/// How a style document is read ([`crate::xml`]). A rule's `Filter` has the filter parser's
/// own depth budget below it; the rest of the document is held to [`MAX_SLD_DEPTH`]
/// (`depth_outside("Filter")`).
const XML_LIMITS: crate::xml::Limits = crate::xml::Limits {
    max_bytes: MAX_SLD_BYTES,
    max_depth: MAX_SLD_DEPTH + crate::filter::fes::MAX_XML_DEPTH,
    max_elements: MAX_SLD_ELEMENTS,
    max_attribute_bytes: MAX_SLD_BYTES,
    what: "style document",
};

/// Document text for a message: trimmed and cut to a few dozen characters.
fn echo(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(ECHO_MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The element tree of [`crate::xml`].
type Node = crate::xml::Element;

// ------------------------------------------------------------------------------------------------
// Helpers on nodes
// ------------------------------------------------------------------------------------------------

fn join(path: &str, local: &str) -> String {
    format!("{path}/{local}")
}

/// The trimmed text of the first child named `local`, when not empty.
fn child_text(node: &Node, local: &str) -> Option<String> {
    node.child(local).map(|c| c.text.trim()).filter(|t| !t.is_empty()).map(str::to_string)
}

/// `Title`, or the SE `Description/Title`.
fn title_of(node: &Node) -> Option<String> {
    child_text(node, "Title").or_else(|| node.child("Description").and_then(|d| child_text(d, "Title")))
}

/// The literal value of a parameter or value element: its text, or the text of `ogc:Literal`
/// children; `None` when it is an expression (property name, function, arithmetic).
fn literal_value(node: &Node) -> Option<String> {
    if node.children.is_empty() {
        return Some(node.text.trim().to_string());
    }
    if !node.text.trim().is_empty() || !node.children.iter().all(|c| c.local == "Literal" && c.children.is_empty()) {
        return None;
    }
    Some(node.children.iter().map(|c| c.text.as_str()).collect::<String>().trim().to_string())
}

fn is_parameter(node: &Node) -> bool {
    matches!(node.local.as_str(), "CssParameter" | "SvgParameter")
}

/// A literal number.
fn number_of(node: &Node) -> Option<f64> {
    literal_value(node)?.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Whether every child listed in `names` that is present is the number `value`, and nothing
/// else is present (e.g. `Displacement` 0 0, `AnchorPoint` 0.5 0.5).
fn is_pair(node: &Node, names: [&str; 2], value: f64) -> bool {
    node.children.iter().all(|c| names.contains(&c.local.as_str()) && number_of(c) == Some(value))
}

/// The two numbers of a pair element (`AnchorPoint`, `Displacement`) when both are present,
/// in `min..=max`, and nothing else is.
fn pair(node: &Node, names: [&str; 2], min: f64, max: f64) -> Option<[f32; 2]> {
    let value = |name: &str| {
        let c = node.child(name)?;
        number_of(c).filter(|v| (min..=max).contains(v)).map(|v| v as f32)
    };
    let only_those = node.children.iter().all(|c| names.contains(&c.local.as_str())) && node.children.len() == 2;
    only_those.then_some([value(names[0])?, value(names[1])?])
}

/// A literal zero (`PerpendicularOffset`, `Rotation`).
fn is_zero(node: &Node) -> bool {
    number_of(node) == Some(0.0)
}

/// Whether a `LayerFeatureConstraints` only names feature types (no filter or extent).
fn is_trivial_constraint(node: &Node) -> bool {
    node.children.iter().all(|c| matches!(c.local.as_str(), "FeatureTypeConstraint" | "FeatureTypeName") && is_trivial_constraint(c))
}

/// `#rrggbb`, `#rgb` or `#rrggbbaa`.
fn parse_color(s: &str) -> Option<Color> {
    let t = s.trim();
    let h = t.strip_prefix('#')?;
    if h.len() == 3 && h.chars().all(|c| c.is_ascii_hexdigit()) {
        let long: String = h.chars().flat_map(|c| [c, c]).collect();
        return Color::parse_hex(&format!("#{long}"));
    }
    Color::parse_hex(t)
}

/// The file name of an `ExternalGraphic` navigli can draw: a PNG named by a plain file name
/// (resolved in the styles folder; no folders, no URLs).
fn external_graphic(node: &Node) -> Option<String> {
    let href = node.child("OnlineResource")?.attr("href")?.trim();
    let format_ok = node.child("Format").is_none_or(|f| f.text.trim().eq_ignore_ascii_case("image/png"));
    let plain = !href.is_empty()
        && href.len() <= 128
        && href.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !href.starts_with('.')
        && href.to_ascii_lowercase().ends_with(".png");
    let only_those = node.children.iter().all(|c| matches!(c.local.as_str(), "OnlineResource" | "Format"));
    (format_ok && plain && only_those).then(|| href.to_string())
}

/// A property name as used in a label: `nome`, or `prefix:nome`.
fn label_property(text: &str) -> Option<String> {
    let t = text.trim();
    let name = match t.split_once(':') {
        Some((prefix, local)) if is_simple_name(prefix) => local,
        Some(_) => return None,
        None => t,
    };
    is_simple_name(name).then(|| name.to_string())
}

fn is_simple_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.')
        && !s.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.')
}

/// Whether a font family is a plain sans-serif face, which is what navigli draws labels with.
fn is_plain_sans(family: &str) -> bool {
    let f = family.trim().trim_matches(['"', '\'']).trim().to_ascii_lowercase();
    const STYLED: [&str; 9] = ["mono", "bold", "italic", "oblique", "black", "narrow", "light", "thin", "heavy"];
    const SANS: [&str; 11] = [
        "arial",
        "helvetica",
        "verdana",
        "tahoma",
        "roboto",
        "segoe ui",
        "ms shell dlg 2",
        "ubuntu",
        "cantarell",
        "lucida grande",
        "system-ui",
    ];
    !f.is_empty() && !STYLED.iter().any(|s| f.contains(s)) && (f.contains("sans") || SANS.contains(&f.as_str()))
}

/// Whether a filter holds predicates the in-memory evaluation cannot decide (feature ids,
/// spatial operators): those never match when rendering.
fn has_unrenderable_predicate(f: &Filter) -> bool {
    match f {
        Filter::And(v) | Filter::Or(v) => v.iter().any(has_unrenderable_predicate),
        Filter::Not(f) => has_unrenderable_predicate(f),
        Filter::Ids(_) | Filter::BBox { .. } | Filter::Spatial { .. } | Filter::DWithin { .. } => true,
        Filter::CompareProperties { .. } => false,
        Filter::Compare { .. } | Filter::Between { .. } | Filter::Like { .. } | Filter::IsNull { .. } | Filter::In { .. } => false,
    }
}

// ------------------------------------------------------------------------------------------------
// Interpretation
// ------------------------------------------------------------------------------------------------

#[derive(Default)]
struct Interpreter {
    unsupported: Vec<String>,
    omitted: usize,
    rules: usize,
}

impl Interpreter {
    /// Lists something present but not rendered.
    fn note(&mut self, path: &str, line: usize) {
        if self.unsupported.len() < MAX_UNSUPPORTED {
            self.unsupported.push(format!("{path} (line {line})"));
        } else {
            self.omitted += 1;
        }
    }

    /// Lists an element (its path is `parent_path/local`, plus its `name` attribute if any, as
    /// for `VendorOption`).
    fn note_child(&mut self, parent_path: &str, node: &Node) {
        let mut path = join(parent_path, &echo(&node.local));
        if let Some(name) = node.attr("name") {
            path.push_str(&format!("[@name='{}']", echo(name)));
        }
        self.note(&path, node.line);
    }

    /// A literal number within `lo..=hi` from a value element, or `None` (listed).
    fn number(&mut self, node: &Node, path: &str, lo: f64, hi: f64) -> Option<f64> {
        let v = number_of(node).filter(|v| (lo..=hi).contains(v));
        if v.is_none() {
            self.note(path, node.line);
        }
        v
    }

    /// The name and literal value of a `CssParameter`/`SvgParameter`, or `None` (listed).
    fn parameter<'n>(&mut self, node: &'n Node, path: &str) -> Option<(&'n str, String, String)> {
        let Some(name) = node.attr("name").map(str::trim) else {
            self.note(path, node.line);
            return None;
        };
        let ppath = format!("{path}[@name='{}']", echo(name));
        match literal_value(node) {
            Some(value) => Some((name, value, ppath)),
            None => {
                self.note(&ppath, node.line);
                None
            }
        }
    }

    /// A symbolizer's `uom`: pixels are native; metres and feet are listed and read as pixels.
    fn uom(&mut self, node: &Node, path: &str) {
        if let Some(u) = node.attr("uom") {
            if !u.trim().to_ascii_lowercase().ends_with("pixel") {
                self.note(&format!("{path}[@uom='{}']", echo(u)), node.line);
            }
        }
    }

    fn document(&mut self, node: &Node, path: &str, out: &mut SldReport) -> Result<(), SldError> {
        for c in &node.children {
            match c.local.as_str() {
                "Name" | "Title" | "Abstract" | "Description" => {}
                "NamedLayer" | "UserLayer" => self.layer(c, &join(path, &c.local), out)?,
                _ => self.note_child(path, c),
            }
        }
        Ok(())
    }

    fn layer(&mut self, node: &Node, path: &str, out: &mut SldReport) -> Result<(), SldError> {
        let name = child_text(node, "Name");
        for c in &node.children {
            match c.local.as_str() {
                "Name" | "Title" | "Abstract" | "Description" => {}
                "LayerFeatureConstraints" if is_trivial_constraint(c) => {}
                "UserStyle" => {
                    let style = self.user_style(c, &join(path, &c.local), name.as_deref())?;
                    out.styles.push(style);
                    out.layers.push(name.clone());
                }
                // NamedStyle references, UserLayer data (RemoteOWS, InlineFeature), constraints.
                _ => self.note_child(path, c),
            }
        }
        Ok(())
    }

    fn user_style(&mut self, node: &Node, path: &str, layer: Option<&str>) -> Result<Style, SldError> {
        let name = child_text(node, "Name").or_else(|| layer.map(str::to_string)).unwrap_or_else(|| "default".into());
        let mut style = Style { name, title: title_of(node), feature_type_styles: Vec::new() };
        for c in &node.children {
            match c.local.as_str() {
                "Name" | "Title" | "Abstract" | "Description" | "IsDefault" => {}
                "FeatureTypeStyle" => style.feature_type_styles.push(self.feature_type_style(c, &join(path, &c.local), layer)?),
                _ => self.note_child(path, c),
            }
        }
        Ok(style)
    }

    fn feature_type_style(&mut self, node: &Node, path: &str, layer: Option<&str>) -> Result<FeatureTypeStyle, SldError> {
        let mut fts = FeatureTypeStyle::default();
        for c in &node.children {
            match c.local.as_str() {
                "Name" | "Title" | "Abstract" | "Description" | "FeatureTypeName" | "SemanticTypeIdentifier" => {}
                "Rule" => {
                    if let Some(rule) = self.rule(c, &join(path, &c.local), layer)? {
                        fts.rules.push(rule);
                    }
                }
                // OnlineResource (external rules), Transformation, VendorOption, …
                _ => self.note_child(path, c),
            }
        }
        Ok(fts)
    }

    /// A rule; `None` when its filter cannot be evaluated (listed).
    fn rule(&mut self, node: &Node, path: &str, layer: Option<&str>) -> Result<Option<Rule>, SldError> {
        self.rules += 1;
        if self.rules > MAX_RULES {
            return Err(SldError::TooLarge(format!("style document has more than {MAX_RULES} rules")));
        }
        let mut rule = Rule { name: child_text(node, "Name"), title: title_of(node), ..Rule::default() };
        let mut has_filter = false;
        let mut keep = true;
        for c in &node.children {
            let cpath = join(path, &c.local);
            match c.local.as_str() {
                "Name" | "Title" | "Abstract" | "Description" => {}
                "Filter" | "ElseFilter" => {
                    if has_filter {
                        return Err(SldError::Syntax(format!("the Rule at line {} has more than one Filter or ElseFilter", node.line)));
                    }
                    has_filter = true;
                    if c.local == "ElseFilter" {
                        rule.filter = RuleFilter::Else;
                    } else {
                        match self.filter(c, &cpath, layer)? {
                            Some(f) => rule.filter = RuleFilter::Filter(f),
                            None => keep = false,
                        }
                    }
                }
                "MinScaleDenominator" => rule.min_scale = self.number(c, &cpath, 0.0, f64::MAX),
                "MaxScaleDenominator" => rule.max_scale = self.number(c, &cpath, 0.0, f64::MAX),
                "PolygonSymbolizer" => rule.symbolizers.push(Symbolizer::Polygon(self.polygon(c, &cpath))),
                "LineSymbolizer" => rule.symbolizers.extend(self.line(c, &cpath).map(Symbolizer::Line)),
                "PointSymbolizer" => rule.symbolizers.extend(self.point(c, &cpath).map(Symbolizer::Point)),
                "TextSymbolizer" => rule.symbolizers.extend(self.text(c, &cpath).map(Symbolizer::Text)),
                // RasterSymbolizer, LegendGraphic, VendorOption, …
                _ => self.note_child(path, c),
            }
        }
        Ok(keep.then_some(rule))
    }

    /// A rule filter through the FES parser; `None` when it uses unsupported constructs (listed).
    fn filter(&mut self, node: &Node, path: &str, layer: Option<&str>) -> Result<Option<Filter>, SldError> {
        if node.children.is_empty() {
            return Err(SldError::Filter(format!("empty Filter at line {}", node.line)));
        }
        let version = if node.ns.as_deref() == Some(FES2_NS) { FesVersion::V2_0 } else { FesVersion::V1_1 };
        let ctx = FesContext { version, type_name: layer.unwrap_or(""), default_crs: Crs::UTM32N, geometry: None, xy_order: false };
        match parse_filter_element(node, &ctx) {
            Ok(f) => {
                if has_unrenderable_predicate(&f) {
                    self.note(path, node.line);
                }
                Ok(Some(f))
            }
            Err(FesError::Unsupported(_)) => {
                self.note(path, node.line);
                Ok(None)
            }
            Err(e) => Err(SldError::Filter(format!("invalid Filter at line {}: {e}", node.line))),
        }
    }

    fn polygon(&mut self, node: &Node, path: &str) -> PolygonSymbolizer {
        self.uom(node, path);
        let mut s = PolygonSymbolizer::default();
        for c in &node.children {
            let cpath = join(path, &c.local);
            match c.local.as_str() {
                "Name" | "Description" => {}
                "Fill" => s.fill = self.fill(c, &cpath),
                "Stroke" => s.stroke = self.stroke(c, &cpath),
                "Displacement" if is_pair(c, ["DisplacementX", "DisplacementY"], 0.0) => {}
                "PerpendicularOffset" if is_zero(c) => {}
                // Geometry, Displacement, PerpendicularOffset, VendorOption, …
                _ => self.note_child(path, c),
            }
        }
        s
    }

    /// A line symbolizer; `None` when its stroke cannot be drawn (listed).
    fn line(&mut self, node: &Node, path: &str) -> Option<LineSymbolizer> {
        self.uom(node, path);
        let mut stroke = Some(default_stroke());
        for c in &node.children {
            let cpath = join(path, &c.local);
            match c.local.as_str() {
                "Name" | "Description" => {}
                "Stroke" => stroke = self.stroke(c, &cpath),
                "PerpendicularOffset" if is_zero(c) => {}
                _ => self.note_child(path, c),
            }
        }
        stroke.map(|stroke| LineSymbolizer { stroke })
    }

    /// A point symbolizer; `None` when its graphic has no mark (listed).
    fn point(&mut self, node: &Node, path: &str) -> Option<PointSymbolizer> {
        self.uom(node, path);
        let mut symbol = Some(default_point());
        for c in &node.children {
            let cpath = join(path, &c.local);
            match c.local.as_str() {
                "Name" | "Description" => {}
                "Graphic" => symbol = self.graphic(c, &cpath),
                _ => self.note_child(path, c),
            }
        }
        symbol
    }

    fn graphic(&mut self, node: &Node, path: &str) -> Option<PointSymbolizer> {
        let mut mark: Option<(MarkShape, Option<Fill>, Option<Stroke>)> = None;
        let mut external = false;
        let mut graphic: Option<Graphic> = None;
        let mut size = DEFAULT_MARK_SIZE;
        let mut rotation = 0.0f32;
        let mut opacity = 1.0f32;
        for c in &node.children {
            let cpath = join(path, &c.local);
            match c.local.as_str() {
                // The first mark is used; later ones are alternatives never drawn.
                "Mark" if mark.is_none() => mark = Some(self.mark(c, &cpath)),
                "ExternalGraphic" => {
                    external = true;
                    match external_graphic(c) {
                        Some(href) if graphic.is_none() && mark.is_none() => graphic = Some(Graphic { href, image: None }),
                        _ => self.note(&cpath, c.line),
                    }
                }
                "Opacity" => opacity = self.number(c, &cpath, 0.0, 1.0).map_or(1.0, |v| v as f32),
                "Size" => size = self.number(c, &cpath, 0.0, MAX_PIXELS).map_or(DEFAULT_MARK_SIZE, |v| v as f32),
                "Rotation" => rotation = self.number(c, &cpath, -1e6, 1e6).map_or(0.0, |v| v.rem_euclid(360.0) as f32),
                "AnchorPoint" if is_pair(c, ["AnchorPointX", "AnchorPointY"], 0.5) => {}
                "Displacement" if is_pair(c, ["DisplacementX", "DisplacementY"], 0.0) => {}
                _ => self.note_child(path, c),
            }
        }
        let (shape, fill, stroke) = match mark {
            Some(m) => m,
            None if graphic.is_some() => (MarkShape::Square, None, None),
            None if external => return None,
            None => (MarkShape::Square, Some(Fill { color: GREY }), Some(default_stroke())),
        };
        let fill = fill.map(|f| Fill { color: f.color.with_opacity(opacity) });
        let stroke = stroke.map(|s| Stroke { color: s.color.with_opacity(opacity), ..s });
        Some(PointSymbolizer { shape, size, rotation, fill, stroke, graphic })
    }

    fn mark(&mut self, node: &Node, path: &str) -> (MarkShape, Option<Fill>, Option<Stroke>) {
        let mut shape = MarkShape::Square;
        let (mut fill, mut stroke) = (None, None);
        let (mut has_fill, mut has_stroke) = (false, false);
        for c in &node.children {
            let cpath = join(path, &c.local);
            match c.local.as_str() {
                "WellKnownName" => {
                    let name = literal_value(c).unwrap_or_default().to_ascii_lowercase();
                    shape = match name.as_str() {
                        "square" => MarkShape::Square,
                        "circle" => MarkShape::Circle,
                        "triangle" => MarkShape::Triangle,
                        "star" => MarkShape::Star,
                        "cross" => MarkShape::Cross,
                        "x" => MarkShape::X,
                        _ => {
                            self.note(&cpath, c.line);
                            MarkShape::Square
                        }
                    };
                }
                "Fill" => {
                    has_fill = true;
                    fill = self.fill(c, &cpath);
                }
                "Stroke" => {
                    has_stroke = true;
                    stroke = self.stroke(c, &cpath);
                }
                // OnlineResource, InlineContent, Format, MarkIndex, …
                _ => self.note_child(path, c),
            }
        }
        if !has_fill && !has_stroke {
            (fill, stroke) = (Some(Fill { color: GREY }), Some(default_stroke()));
        }
        (shape, fill, stroke)
    }

    /// A text symbolizer; `None` when its label is not a single property name (listed).
    fn text(&mut self, node: &Node, path: &str) -> Option<TextSymbolizer> {
        self.uom(node, path);
        let mut property = None;
        let mut has_label = false;
        let mut size = DEFAULT_FONT_SIZE;
        let mut fill = Fill { color: BLACK };
        let mut halo = None;
        let mut placement = LabelPlacement::Point;
        let mut bold = false;
        let mut anchor = [0.5, 0.5];
        let mut displacement = [0.0, 0.0];
        for c in &node.children {
            let cpath = join(path, &c.local);
            match c.local.as_str() {
                "Name" | "Description" => {}
                "Label" => {
                    has_label = true;
                    property = match c.children.as_slice() {
                        [p] if p.local == "PropertyName" && p.children.is_empty() && c.text.trim().is_empty() => label_property(&p.text),
                        _ => None,
                    };
                    if property.is_none() {
                        self.note(&cpath, c.line);
                    }
                }
                "Font" => {
                    let (s, b) = self.font(c, &cpath);
                    size = s.unwrap_or(size);
                    bold = b;
                }
                "LabelPlacement" => placement = self.placement(c, &cpath, &mut anchor, &mut displacement),
                "Halo" => halo = Some(self.halo(c, &cpath)),
                "Fill" => fill = self.fill(c, &cpath).unwrap_or(Fill { color: BLACK }),
                // Geometry, Priority, Graphic (shields), VendorOption, …
                _ => self.note_child(path, c),
            }
        }
        if !has_label {
            self.note(path, node.line);
        }
        property.map(|property| TextSymbolizer { property, size, fill, halo, placement, bold, anchor, displacement })
    }

    /// The font size, if given, and whether the weight is bold; other font parameters are
    /// checked and listed when not plain.
    fn font(&mut self, node: &Node, path: &str) -> (Option<f32>, bool) {
        let mut size = None;
        let mut bold = false;
        let mut families: Vec<String> = Vec::new();
        let mut first_family: Option<(String, usize)> = None;
        for c in &node.children {
            let cpath = join(path, &c.local);
            if !is_parameter(c) {
                self.note_child(path, c);
                continue;
            }
            let Some((name, value, ppath)) = self.parameter(c, &cpath) else { continue };
            match name {
                "font-family" => {
                    families.extend(value.split(',').map(str::to_string));
                    first_family.get_or_insert((ppath, c.line));
                }
                "font-size" => {
                    let v = value.trim().trim_end_matches("px").parse::<f64>().ok().filter(|v| *v > 0.0 && *v <= MAX_PIXELS);
                    match v {
                        Some(v) => size = Some(v as f32),
                        None => self.note(&ppath, c.line),
                    }
                }
                "font-style" if value.eq_ignore_ascii_case("normal") => {}
                "font-weight" if value.eq_ignore_ascii_case("normal") || value == "400" => {}
                "font-weight" if value.eq_ignore_ascii_case("bold") || value == "700" => bold = true,
                _ => self.note(&ppath, c.line),
            }
        }
        if let Some((ppath, line)) = first_family {
            if !families.iter().any(|f| is_plain_sans(f)) {
                self.note(&ppath, line);
            }
        }
        (size, bold)
    }

    fn placement(&mut self, node: &Node, path: &str, anchor: &mut [f32; 2], displacement: &mut [f32; 2]) -> LabelPlacement {
        let mut placement = LabelPlacement::Point;
        for c in &node.children {
            let cpath = join(path, &c.local);
            match c.local.as_str() {
                "PointPlacement" => {
                    placement = LabelPlacement::Point;
                    for p in &c.children {
                        match p.local.as_str() {
                            "AnchorPoint" | "Displacement" => {
                                let value = if p.local == "AnchorPoint" {
                                    pair(p, ["AnchorPointX", "AnchorPointY"], 0.0, 1.0).map(|v| *anchor = v)
                                } else {
                                    pair(p, ["DisplacementX", "DisplacementY"], -MAX_PIXELS, MAX_PIXELS).map(|v| *displacement = v)
                                };
                                if value.is_none() {
                                    self.note_child(&cpath, p);
                                }
                            }
                            "Rotation" if is_zero(p) => {}
                            _ => self.note_child(&cpath, p),
                        }
                    }
                }
                "LinePlacement" => {
                    placement = LabelPlacement::Line;
                    for p in &c.children {
                        match p.local.as_str() {
                            "PerpendicularOffset" if is_zero(p) => {}
                            "IsAligned" if literal_value(p).is_some_and(|v| v == "true" || v == "1") => {}
                            _ => self.note_child(&cpath, p),
                        }
                    }
                }
                _ => self.note_child(path, c),
            }
        }
        placement
    }

    fn halo(&mut self, node: &Node, path: &str) -> (f32, Fill) {
        let mut radius = 1.0f32;
        let mut fill = Fill { color: WHITE };
        for c in &node.children {
            let cpath = join(path, &c.local);
            match c.local.as_str() {
                "Radius" => radius = self.number(c, &cpath, 0.0, MAX_HALO).map_or(1.0, |v| v as f32),
                "Fill" => fill = self.fill(c, &cpath).unwrap_or(Fill { color: WHITE }),
                _ => self.note_child(path, c),
            }
        }
        (radius, fill)
    }

    /// A fill; `None` when it is a graphic fill without a colour fallback (listed).
    fn fill(&mut self, node: &Node, path: &str) -> Option<Fill> {
        let mut color = None;
        let mut opacity = 1.0f32;
        let mut graphic = false;
        for c in &node.children {
            let cpath = join(path, &c.local);
            if !is_parameter(c) {
                if c.local == "GraphicFill" {
                    graphic = true;
                }
                self.note_child(path, c);
                continue;
            }
            let Some((name, value, ppath)) = self.parameter(c, &cpath) else { continue };
            match name {
                "fill" => match parse_color(&value) {
                    Some(col) => color = Some(col),
                    None => self.note(&ppath, c.line),
                },
                "fill-opacity" => match value.trim().parse::<f32>().ok().filter(|v| (0.0..=1.0).contains(v)) {
                    Some(v) => opacity = v,
                    None => self.note(&ppath, c.line),
                },
                _ => self.note(&ppath, c.line),
            }
        }
        if graphic && color.is_none() {
            return None;
        }
        Some(Fill { color: color.unwrap_or(GREY).with_opacity(opacity) })
    }

    /// A stroke; `None` when it is a graphic stroke without a colour fallback (listed).
    fn stroke(&mut self, node: &Node, path: &str) -> Option<Stroke> {
        let mut s = default_stroke();
        let mut color = None;
        let mut opacity = 1.0f32;
        let mut graphic = false;
        for c in &node.children {
            let cpath = join(path, &c.local);
            if !is_parameter(c) {
                if matches!(c.local.as_str(), "GraphicFill" | "GraphicStroke") {
                    graphic = true;
                }
                self.note_child(path, c);
                continue;
            }
            let Some((name, value, ppath)) = self.parameter(c, &cpath) else { continue };
            let v = value.trim();
            let ok = match name {
                "stroke" => parse_color(v).map(|col| color = Some(col)).is_some(),
                "stroke-opacity" => v.parse::<f32>().ok().filter(|v| (0.0..=1.0).contains(v)).map(|v| opacity = v).is_some(),
                "stroke-width" => v.parse::<f64>().ok().filter(|w| (0.0..=MAX_PIXELS).contains(w)).map(|w| s.width = w as f32).is_some(),
                "stroke-dasharray" => parse_dash(v).map(|d| s.dash = d).is_some(),
                "stroke-dashoffset" => v.parse::<f64>().ok() == Some(0.0),
                "stroke-linecap" => match v {
                    "butt" => Some(LineCap::Butt),
                    "round" => Some(LineCap::Round),
                    "square" => Some(LineCap::Square),
                    _ => None,
                }
                .map(|cap| s.cap = cap)
                .is_some(),
                "stroke-linejoin" => match v {
                    "mitre" | "miter" => Some(LineJoin::Miter),
                    "round" => Some(LineJoin::Round),
                    "bevel" => Some(LineJoin::Bevel),
                    _ => None,
                }
                .map(|join| s.join = join)
                .is_some(),
                _ => false,
            };
            if !ok {
                self.note(&ppath, c.line);
            }
        }
        if graphic && color.is_none() {
            return None;
        }
        s.color = color.unwrap_or(BLACK).with_opacity(opacity);
        Some(s)
    }
}

/// A `stroke-dasharray`: `Some(None)` for a solid line, `None` when invalid.
fn parse_dash(v: &str) -> Option<Option<Vec<f32>>> {
    if v.is_empty() || v.eq_ignore_ascii_case("none") {
        return Some(None);
    }
    let mut dash = Vec::new();
    for part in v.split([' ', ',', '\t', '\n', '\r']).filter(|p| !p.is_empty()) {
        let d = part.parse::<f64>().ok().filter(|d| (0.0..=MAX_PIXELS).contains(d))?;
        dash.push(d as f32);
        if dash.len() > MAX_DASHES {
            return None;
        }
    }
    if dash.iter().all(|d| *d == 0.0) {
        return Some(None);
    }
    if dash.len() % 2 == 1 {
        // SVG: an odd list is repeated to make it even.
        dash.extend_from_within(..);
    }
    Some(Some(dash))
}

fn default_stroke() -> Stroke {
    Stroke { color: BLACK, width: 1.0, dash: None, cap: LineCap::Butt, join: LineJoin::Miter }
}

fn default_point() -> PointSymbolizer {
    PointSymbolizer {
        shape: MarkShape::Square,
        size: DEFAULT_MARK_SIZE,
        rotation: 0.0,
        fill: Some(Fill { color: GREY }),
        stroke: Some(default_stroke()),
        graphic: None,
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::filter::CompareOp;
    use crate::model::Value;

    /// The demo layers, each with a style file of the same name.
    const DEMO_LAYERS: [&str; 13] = [
        "comuni",
        "zone_omogenee",
        "uso_suolo",
        "servizi_pubblici",
        "edifici",
        "strade",
        "idrografia",
        "aree_verdi",
        "falde",
        "servizi_sociali",
        "tetti_rossi",
        "tetti_verdi",
        "civici",
    ];

    fn repo() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    fn demo_style(layer: &str) -> String {
        let path = repo().join("styles").join(format!("{layer}.sld"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn color(hex: &str) -> Color {
        parse_color(hex).expect(hex)
    }

    fn rules(style: &Style) -> impl Iterator<Item = &Rule> {
        style.feature_type_styles.iter().flat_map(|f| f.rules.iter())
    }

    /// Every property a style reads: filter properties and label properties.
    fn properties(style: &Style) -> Vec<String> {
        let mut out = Vec::new();
        for rule in rules(style) {
            if let RuleFilter::Filter(f) = &rule.filter {
                out.extend(f.properties());
            }
            for s in &rule.symbolizers {
                if let Symbolizer::Text(t) = s {
                    out.push(t.property.clone());
                }
            }
        }
        out
    }

    /// 1-based line of the first occurrence of `needle` in `doc`.
    fn line_of(doc: &str, needle: &str) -> usize {
        let at = doc.find(needle).unwrap_or_else(|| panic!("{needle} not in document"));
        1 + doc[..at].matches('\n').count()
    }

    fn sld(body: &str) -> String {
        format!(
            r#"<StyledLayerDescriptor version="1.0.0" xmlns="http://www.opengis.net/sld" xmlns:ogc="http://www.opengis.net/ogc">
<NamedLayer><Name>prova</Name><UserStyle><FeatureTypeStyle>{body}</FeatureTypeStyle></UserStyle></NamedLayer>
</StyledLayerDescriptor>"#
        )
    }

    fn only_rule(report: &SldReport) -> &Rule {
        let all: Vec<&Rule> = rules(&report.styles[0]).collect();
        assert_eq!(all.len(), 1, "{all:?}");
        all[0]
    }

    #[test]
    fn external_graphics_are_plain_png_names_in_the_styles_folder() {
        let doc = |href: &str| {
            format!(
                r#"<StyledLayerDescriptor version="1.0.0" xmlns="http://www.opengis.net/sld" xmlns:xlink="http://www.w3.org/1999/xlink"><NamedLayer><Name>x</Name><UserStyle><FeatureTypeStyle><Rule><PointSymbolizer><Graphic><ExternalGraphic><OnlineResource xlink:type="simple" xlink:href="{href}"/><Format>image/png</Format></ExternalGraphic><Size>14</Size></Graphic></PointSymbolizer></Rule></FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>"#
            )
        };
        let ok = parse_sld(&doc("biblioteca.png")).unwrap();
        assert!(ok.unsupported.is_empty(), "{:?}", ok.unsupported);
        match &ok.styles[0].feature_type_styles[0].rules[0].symbolizers[0] {
            Symbolizer::Point(p) => {
                assert_eq!(p.graphic.as_ref().map(|g| g.href.as_str()), Some("biblioteca.png"));
                assert_eq!(p.size, 14.0);
            }
            other => panic!("{other:?}"),
        }
        for bad in ["../secret.png", "/etc/passwd", "http://127.0.0.1:1/x.png", "file:///x.png", "icon.svg", ".hidden.png"] {
            let r = parse_sld(&doc(bad)).unwrap();
            assert_eq!(r.unsupported.len(), 1, "{bad}: {:?}", r.unsupported);
            assert!(r.unsupported[0].contains("ExternalGraphic"), "{bad}");
            assert!(r.styles[0].feature_type_styles[0].rules[0].symbolizers.is_empty(), "{bad} is not drawn");
        }
    }

    #[test]
    fn demo_styles_parse_cleanly() {
        for layer in DEMO_LAYERS {
            let report = parse_sld(&demo_style(layer)).unwrap_or_else(|e| panic!("{layer}: {e}"));
            assert!(report.unsupported.is_empty(), "{layer}: {:?}", report.unsupported);
            assert_eq!(report.styles.len(), 1, "{layer}");
            assert_eq!(report.layers, vec![Some(layer.to_string())]);
            let style = &report.styles[0];
            assert_eq!(style.name, layer);
            assert!(style.title.is_some(), "{layer}");
            assert!(rules(style).count() >= 1, "{layer}");
            for rule in rules(style) {
                assert!(!rule.symbolizers.is_empty(), "{layer}: rule {:?} draws nothing", rule.name);
                assert!(rule.title.is_some(), "{layer}: rule {:?} has no legend title", rule.name);
            }
        }
        // No stray files: every style in styles/ is a demo layer's.
        for entry in std::fs::read_dir(repo().join("styles")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "sld") {
                let stem = path.file_stem().unwrap().to_string_lossy().to_string();
                assert!(DEMO_LAYERS.contains(&stem.as_str()), "unexpected style {stem}");
            }
        }
    }

    #[test]
    fn demo_styles_read_only_attributes_of_their_layer() {
        let (cfg, _) = crate::config::load(&repo().join("layers.toml")).unwrap_or_else(|e| panic!("{e}"));
        for layer in DEMO_LAYERS {
            let lc = cfg.layers.iter().find(|l| l.name == layer).unwrap_or_else(|| panic!("{layer} not in layers.toml"));
            let report = parse_sld(&demo_style(layer)).unwrap();
            let props = properties(&report.styles[0]);
            assert!(!props.is_empty(), "{layer}");
            for p in props {
                assert!(lc.attributes.iter().any(|a| a.name == p), "{layer}: {p} is not an attribute of the layer");
            }
            // Point marks only on point layers, fills only on polygon layers, etc.
            for rule in rules(&report.styles[0]) {
                for s in &rule.symbolizers {
                    let fits = match s {
                        Symbolizer::Polygon(_) => lc.geometry_type.ends_with("Polygon"),
                        Symbolizer::Line(_) => lc.geometry_type.ends_with("LineString"),
                        Symbolizer::Point(_) => lc.geometry_type.ends_with("Point"),
                        Symbolizer::Text(_) => true,
                    };
                    assert!(fits, "{layer}: {s:?} on {}", lc.geometry_type);
                }
            }
        }
    }

    #[test]
    fn demo_styles_spot_checks() {
        // comuni: dark grey 1.2 px outline, no fill, labels of nome.
        let comuni = parse_sld(&demo_style("comuni")).unwrap();
        let r: Vec<&Rule> = rules(&comuni.styles[0]).collect();
        let Symbolizer::Polygon(p) = &r[0].symbolizers[0] else { panic!("{r:?}") };
        assert_eq!(p.fill, None);
        let s = p.stroke.as_ref().unwrap();
        assert_eq!((s.color, s.width), (color("#4d4d4d"), 1.2));
        let Symbolizer::Text(t) = &r[1].symbolizers[0] else { panic!("{r:?}") };
        assert_eq!(t.property, "nome");
        assert_eq!(t.halo.map(|(radius, f)| (radius, f.color.a)), Some((1.5, 217)));

        // uso_suolo: LIKE on the class prefix (wildCard * → %).
        let uso = parse_sld(&demo_style("uso_suolo")).unwrap();
        let first = rules(&uso.styles[0]).next().unwrap();
        assert_eq!(first.filter, RuleFilter::Filter(Filter::Like { property: "classe".into(), pattern: "111%".into(), match_case: true }));
        assert_eq!(rules(&uso.styles[0]).last().unwrap().filter, RuleFilter::Else);

        // strade: casing and inner line in two feature type styles, with scale ranges.
        let strade = parse_sld(&demo_style("strade")).unwrap();
        assert_eq!(strade.styles[0].feature_type_styles.len(), 3);
        let motorway: Vec<&Rule> = rules(&strade.styles[0]).filter(|r| r.name.as_deref() == Some("autostrada")).collect();
        assert_eq!(motorway.len(), 1);
        assert_eq!(motorway[0].max_scale, Some(40_000.0));
        assert!(motorway[0].in_scale(10_000.0) && !motorway[0].in_scale(60_000.0));
        let Symbolizer::Line(l) = &motorway[0].symbolizers[0] else { panic!() };
        assert_eq!((l.stroke.color, l.stroke.cap, l.stroke.join), (color("#f7941d"), LineCap::Round, LineJoin::Round));
        let Some(Symbolizer::Text(label)) = rules(&strade.styles[0]).last().unwrap().symbolizers.first() else { panic!() };
        assert_eq!(label.placement, LabelPlacement::Line);

        // edifici: dashed outline for buildings under construction.
        let edifici = parse_sld(&demo_style("edifici")).unwrap();
        let r = rules(&edifici.styles[0]).last().unwrap();
        let Symbolizer::Polygon(p) = &r.symbolizers[0] else { panic!() };
        assert_eq!(p.stroke.as_ref().unwrap().dash, Some(vec![4.0, 2.0]));

        // servizi_sociali: a rotated square (diamond) and an x.
        let sociali = parse_sld(&demo_style("servizi_sociali")).unwrap();
        let points: Vec<&PointSymbolizer> = rules(&sociali.styles[0])
            .flat_map(|r| r.symbolizers.iter())
            .filter_map(|s| if let Symbolizer::Point(p) = s { Some(p) } else { None })
            .collect();
        assert!(points.iter().any(|p| p.shape == MarkShape::Square && p.rotation == 45.0));
        assert!(points.iter().any(|p| p.shape == MarkShape::X));
    }

    /// A document as QGIS 3.22 writes it ("Save Style… → SLD"): SLD 1.1 with SE symbolizers,
    /// plus a second layer with an SVG marker (with a mark fallback) and an expression filter.
    const QGIS_SE: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<StyledLayerDescriptor xmlns="http://www.opengis.net/sld" xmlns:ogc="http://www.opengis.net/ogc" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="1.1.0" xsi:schemaLocation="http://www.opengis.net/sld http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd" xmlns:se="http://www.opengis.net/se">
  <NamedLayer>
    <se:Name>edifici</se:Name>
    <UserStyle>
      <se:Name>edifici</se:Name>
      <se:FeatureTypeStyle>
        <se:Rule>
          <se:Name>Residenziale</se:Name>
          <se:Description>
            <se:Title>Residenziale (01)</se:Title>
          </se:Description>
          <ogc:Filter xmlns:ogc="http://www.opengis.net/ogc">
            <ogc:PropertyIsEqualTo>
              <ogc:PropertyName>EDIFC_USO</ogc:PropertyName>
              <ogc:Literal>01</ogc:Literal>
            </ogc:PropertyIsEqualTo>
          </ogc:Filter>
          <se:MaxScaleDenominator>25000</se:MaxScaleDenominator>
          <se:PolygonSymbolizer>
            <se:Fill>
              <se:SvgParameter name="fill">#ddd3c4</se:SvgParameter>
            </se:Fill>
            <se:Stroke>
              <se:SvgParameter name="stroke">#8a8073</se:SvgParameter>
              <se:SvgParameter name="stroke-width">1</se:SvgParameter>
              <se:SvgParameter name="stroke-linejoin">bevel</se:SvgParameter>
            </se:Stroke>
          </se:PolygonSymbolizer>
        </se:Rule>
        <se:Rule>
          <se:Name>Altro</se:Name>
          <se:Description>
            <se:Title>Altro</se:Title>
          </se:Description>
          <se:ElseFilter xmlns:se="http://www.opengis.net/se"/>
          <se:PolygonSymbolizer uom="http://www.opengeospatial.org/se/units/metre">
            <se:Fill>
              <se:GraphicFill>
                <se:Graphic>
                  <se:Mark>
                    <se:WellKnownName>horline</se:WellKnownName>
                    <se:Stroke>
                      <se:SvgParameter name="stroke">#232323</se:SvgParameter>
                      <se:SvgParameter name="stroke-width">0.5</se:SvgParameter>
                    </se:Stroke>
                  </se:Mark>
                  <se:Size>4</se:Size>
                </se:Graphic>
              </se:GraphicFill>
            </se:Fill>
            <se:Stroke>
              <se:SvgParameter name="stroke">#232323</se:SvgParameter>
              <se:SvgParameter name="stroke-opacity">0.5</se:SvgParameter>
              <se:SvgParameter name="stroke-width">0.5</se:SvgParameter>
              <se:SvgParameter name="stroke-linejoin">round</se:SvgParameter>
              <se:SvgParameter name="stroke-linecap">square</se:SvgParameter>
              <se:SvgParameter name="stroke-dasharray">4 2</se:SvgParameter>
            </se:Stroke>
          </se:PolygonSymbolizer>
        </se:Rule>
        <se:Rule>
          <se:Name>Piani</se:Name>
          <se:MaxScaleDenominator>5000</se:MaxScaleDenominator>
          <se:TextSymbolizer>
            <se:Label>
              <ogc:PropertyName>piani</ogc:PropertyName>
            </se:Label>
            <se:Font>
              <se:SvgParameter name="font-family">MS Shell Dlg 2</se:SvgParameter>
              <se:SvgParameter name="font-size">13</se:SvgParameter>
            </se:Font>
            <se:LabelPlacement>
              <se:PointPlacement>
                <se:AnchorPoint>
                  <se:AnchorPointX>0</se:AnchorPointX>
                  <se:AnchorPointY>0.5</se:AnchorPointY>
                </se:AnchorPoint>
              </se:PointPlacement>
            </se:LabelPlacement>
            <se:Halo>
              <se:Radius>1</se:Radius>
              <se:Fill>
                <se:SvgParameter name="fill">#fafafa</se:SvgParameter>
              </se:Fill>
            </se:Halo>
            <se:Fill>
              <se:SvgParameter name="fill">#323232</se:SvgParameter>
            </se:Fill>
            <se:VendorOption name="maxDisplacement">1</se:VendorOption>
          </se:TextSymbolizer>
        </se:Rule>
      </se:FeatureTypeStyle>
    </UserStyle>
  </NamedLayer>
  <NamedLayer>
    <se:Name>servizi_pubblici</se:Name>
    <UserStyle>
      <se:Name>servizi per tipo</se:Name>
      <se:FeatureTypeStyle>
        <se:Rule>
          <se:Name>scuola</se:Name>
          <ogc:Filter xmlns:ogc="http://www.opengis.net/ogc">
            <ogc:PropertyIsEqualTo>
              <ogc:PropertyName>tipo</ogc:PropertyName>
              <ogc:Literal>scuola</ogc:Literal>
            </ogc:PropertyIsEqualTo>
          </ogc:Filter>
          <se:PointSymbolizer>
            <se:Graphic>
              <se:ExternalGraphic>
                <se:OnlineResource xlink:type="simple" xlink:href="school.svg"/>
                <se:Format>image/svg+xml</se:Format>
              </se:ExternalGraphic>
              <se:Mark>
                <se:WellKnownName>circle</se:WellKnownName>
                <se:Fill>
                  <se:SvgParameter name="fill">#f39c12</se:SvgParameter>
                </se:Fill>
                <se:Stroke>
                  <se:SvgParameter name="stroke">#ffffff</se:SvgParameter>
                  <se:SvgParameter name="stroke-width">1</se:SvgParameter>
                </se:Stroke>
              </se:Mark>
              <se:Size>7</se:Size>
              <se:Rotation>
                <ogc:Literal>45</ogc:Literal>
              </se:Rotation>
            </se:Graphic>
          </se:PointSymbolizer>
        </se:Rule>
        <se:Rule>
          <se:Name>sanita</se:Name>
          <ogc:Filter xmlns:ogc="http://www.opengis.net/ogc">
            <ogc:PropertyIsEqualTo>
              <ogc:Function name="upper">
                <ogc:PropertyName>tipo</ogc:PropertyName>
              </ogc:Function>
              <ogc:Literal>SANITA</ogc:Literal>
            </ogc:PropertyIsEqualTo>
          </ogc:Filter>
          <se:PointSymbolizer>
            <se:Graphic>
              <se:Mark>
                <se:WellKnownName>cross</se:WellKnownName>
              </se:Mark>
            </se:Graphic>
          </se:PointSymbolizer>
        </se:Rule>
      </se:FeatureTypeStyle>
    </UserStyle>
  </NamedLayer>
</StyledLayerDescriptor>
"##;

    #[test]
    fn qgis_se_export_parses_with_unsupported_items_listed() {
        let report = parse_sld(QGIS_SE).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report.layers, vec![Some("edifici".to_string()), Some("servizi_pubblici".to_string())]);
        assert_eq!(report.styles.len(), 2);

        let edifici = &report.styles[0];
        assert_eq!(edifici.name, "edifici");
        assert_eq!(edifici.feature_type_styles.len(), 1);
        let r = &edifici.feature_type_styles[0].rules;
        assert_eq!(r.len(), 3);
        assert_eq!(
            r[0],
            Rule {
                name: Some("Residenziale".into()),
                title: Some("Residenziale (01)".into()),
                filter: RuleFilter::Filter(Filter::Compare {
                    property: "EDIFC_USO".into(),
                    op: CompareOp::Eq,
                    value: Value::Text("01".into())
                }),
                min_scale: None,
                max_scale: Some(25_000.0),
                symbolizers: vec![Symbolizer::Polygon(PolygonSymbolizer {
                    fill: Some(Fill { color: color("#ddd3c4") }),
                    stroke: Some(Stroke { color: color("#8a8073"), width: 1.0, dash: None, cap: LineCap::Butt, join: LineJoin::Bevel }),
                })],
            }
        );
        assert_eq!(r[1].filter, RuleFilter::Else);
        assert_eq!(r[1].title.as_deref(), Some("Altro"));
        assert_eq!(
            r[1].symbolizers,
            vec![Symbolizer::Polygon(PolygonSymbolizer {
                fill: None, // a graphic fill without colour: not drawn
                stroke: Some(Stroke {
                    color: Color { a: 128, ..color("#232323") },
                    width: 0.5,
                    dash: Some(vec![4.0, 2.0]),
                    cap: LineCap::Square,
                    join: LineJoin::Round
                }),
            })]
        );
        assert_eq!(
            r[2].symbolizers,
            vec![Symbolizer::Text(TextSymbolizer {
                property: "piani".into(),
                size: 13.0,
                fill: Fill { color: color("#323232") },
                halo: Some((1.0, Fill { color: color("#fafafa") })),
                placement: LabelPlacement::Point,
                bold: false,
                anchor: [0.0, 0.5],
                displacement: [0.0, 0.0],
            })]
        );
        assert_eq!(r[2].max_scale, Some(5_000.0));

        let servizi = &report.styles[1];
        assert_eq!(servizi.name, "servizi per tipo");
        // The rule with a function in its filter is left out.
        assert_eq!(servizi.feature_type_styles[0].rules.len(), 1);
        assert_eq!(
            servizi.feature_type_styles[0].rules[0].symbolizers,
            vec![Symbolizer::Point(PointSymbolizer {
                shape: MarkShape::Circle,
                size: 7.0,
                rotation: 45.0,
                fill: Some(Fill { color: color("#f39c12") }),
                stroke: Some(Stroke { color: WHITE, ..default_stroke() }),
                graphic: None,
            })]
        );

        let fts = "StyledLayerDescriptor/NamedLayer/UserStyle/FeatureTypeStyle/Rule";
        let expected = vec![
            format!(
                "{fts}/PolygonSymbolizer[@uom='http://www.opengeospatial.org/se/units/metre'] (line {})",
                line_of(QGIS_SE, "units/metre")
            ),
            format!("{fts}/PolygonSymbolizer/Fill/GraphicFill (line {})", line_of(QGIS_SE, "<se:GraphicFill>")),
            format!("{fts}/TextSymbolizer/VendorOption[@name='maxDisplacement'] (line {})", line_of(QGIS_SE, "<se:VendorOption")),
            format!("{fts}/PointSymbolizer/Graphic/ExternalGraphic (line {})", line_of(QGIS_SE, "<se:ExternalGraphic>")),
            format!("{fts}/Filter (line {})", line_of(QGIS_SE, "<ogc:Filter xmlns:ogc=\"http://www.opengis.net/ogc\">\n            <ogc:PropertyIsEqualTo>\n              <ogc:Function")),
        ];
        assert_eq!(report.unsupported, expected);
    }

    #[test]
    fn sld10_literals_defaults_and_unsupported_parameters() {
        let doc = sld(r##"
<Rule>
  <Name>a</Name>
  <PolygonSymbolizer>
    <Geometry><ogc:PropertyName>geom</ogc:PropertyName></Geometry>
    <Fill/>
  </PolygonSymbolizer>
  <LineSymbolizer/>
  <PointSymbolizer/>
  <PointSymbolizer>
    <Graphic>
      <Mark><WellKnownName><ogc:Literal>Star</ogc:Literal></WellKnownName></Mark>
      <Opacity>0.5</Opacity>
      <Size><ogc:Literal>12</ogc:Literal></Size>
      <Rotation><ogc:PropertyName>angolo</ogc:PropertyName></Rotation>
    </Graphic>
  </PointSymbolizer>
  <PointSymbolizer><Graphic><ExternalGraphic/></Graphic></PointSymbolizer>
  <LineSymbolizer>
    <Stroke>
      <CssParameter name="stroke"><ogc:Literal>#F80</ogc:Literal></CssParameter>
      <CssParameter name="stroke-width"><ogc:PropertyName>larghezza</ogc:PropertyName></CssParameter>
      <CssParameter name="stroke-dasharray">5</CssParameter>
      <CssParameter name="stroke-dashoffset">0</CssParameter>
      <CssParameter name="stroke-linecap">round</CssParameter>
      <CssParameter name="colour">#000000</CssParameter>
    </Stroke>
  </LineSymbolizer>
  <LineSymbolizer><Stroke><GraphicStroke/></Stroke></LineSymbolizer>
  <LineSymbolizer><Stroke><CssParameter name="stroke">red</CssParameter></Stroke><PerpendicularOffset>3</PerpendicularOffset></LineSymbolizer>
  <TextSymbolizer><Label>n. <ogc:PropertyName>civico</ogc:PropertyName></Label></TextSymbolizer>
  <TextSymbolizer>
    <Label><ogc:PropertyName>ns:nome</ogc:PropertyName></Label>
    <Font>
      <CssParameter name="font-family">Times New Roman</CssParameter>
      <CssParameter name="font-style">italic</CssParameter>
      <CssParameter name="font-weight">bold</CssParameter>
    </Font>
    <LabelPlacement><LinePlacement><PerpendicularOffset>0</PerpendicularOffset><IsRepeated>true</IsRepeated></LinePlacement></LabelPlacement>
    <Halo/>
  </TextSymbolizer>
  <RasterSymbolizer/>
</Rule>"##);
        let report = parse_sld(&doc).unwrap();
        assert_eq!(report.styles[0].name, "prova", "the style name defaults to the layer name");
        let rule = only_rule(&report);
        let grey = Fill { color: GREY };
        assert_eq!(
            rule.symbolizers,
            vec![
                Symbolizer::Polygon(PolygonSymbolizer { fill: Some(grey), stroke: None }),
                Symbolizer::Line(LineSymbolizer { stroke: default_stroke() }),
                Symbolizer::Point(default_point()),
                Symbolizer::Point(PointSymbolizer {
                    shape: MarkShape::Star,
                    size: 12.0,
                    rotation: 0.0,
                    fill: Some(Fill { color: GREY.with_opacity(0.5) }),
                    stroke: Some(Stroke { color: BLACK.with_opacity(0.5), ..default_stroke() }),
                    graphic: None,
                }),
                Symbolizer::Line(LineSymbolizer {
                    stroke: Stroke {
                        color: color("#ff8800"),
                        width: 1.0,
                        dash: Some(vec![5.0, 5.0]),
                        cap: LineCap::Round,
                        join: LineJoin::Miter
                    }
                }),
                Symbolizer::Line(LineSymbolizer { stroke: default_stroke() }),
                Symbolizer::Text(TextSymbolizer {
                    property: "nome".into(),
                    size: DEFAULT_FONT_SIZE,
                    fill: Fill { color: BLACK },
                    halo: Some((1.0, Fill { color: WHITE })),
                    placement: LabelPlacement::Line,
                    bold: true,
                    anchor: [0.5, 0.5],
                    displacement: [0.0, 0.0],
                }),
            ]
        );
        let r = "StyledLayerDescriptor/NamedLayer/UserStyle/FeatureTypeStyle/Rule";
        let paths: Vec<&str> = report.unsupported.iter().map(|u| u.split(" (line").next().unwrap()).collect();
        assert_eq!(
            paths,
            vec![
                format!("{r}/PolygonSymbolizer/Geometry"),
                format!("{r}/PointSymbolizer/Graphic/Rotation"),
                format!("{r}/PointSymbolizer/Graphic/ExternalGraphic"),
                format!("{r}/LineSymbolizer/Stroke/CssParameter[@name='stroke-width']"),
                format!("{r}/LineSymbolizer/Stroke/CssParameter[@name='colour']"),
                format!("{r}/LineSymbolizer/Stroke/GraphicStroke"),
                format!("{r}/LineSymbolizer/Stroke/CssParameter[@name='stroke']"),
                format!("{r}/LineSymbolizer/PerpendicularOffset"),
                format!("{r}/TextSymbolizer/Label"),
                format!("{r}/TextSymbolizer/Font/CssParameter[@name='font-style']"),
                format!("{r}/TextSymbolizer/Font/CssParameter[@name='font-family']"),
                format!("{r}/TextSymbolizer/LabelPlacement/LinePlacement/IsRepeated"),
                format!("{r}/RasterSymbolizer"),
            ]
        );
        for u in &report.unsupported {
            assert!(u.ends_with(')') && u.contains(" (line "), "{u}");
        }
    }

    #[test]
    fn filters_in_both_encodings_and_else() {
        let doc = sld(r#"
<Rule><Filter xmlns="http://www.opengis.net/ogc"><PropertyIsBetween><PropertyName>prova/pendenza</PropertyName>
  <LowerBoundary><Literal>10</Literal></LowerBoundary><UpperBoundary><Literal>30</Literal></UpperBoundary></PropertyIsBetween></Filter>
  <MinScaleDenominator>1000</MinScaleDenominator><MaxScaleDenominator>5e4</MaxScaleDenominator>
  <LineSymbolizer/></Rule>
<Rule><fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"><fes:PropertyIsLike wildCard="%" singleChar="_" escapeChar="\">
  <fes:ValueReference>tipo</fes:ValueReference><fes:Literal>asilo%</fes:Literal></fes:PropertyIsLike></fes:Filter><LineSymbolizer/></Rule>
<Rule><ogc:Filter><ogc:FeatureId fid="prova.3"/></ogc:Filter><LineSymbolizer/></Rule>
<Rule><ElseFilter/><LineSymbolizer/></Rule>"#);
        let report = parse_sld(&doc).unwrap();
        let r: Vec<&Rule> = rules(&report.styles[0]).collect();
        assert_eq!(
            r[0].filter,
            RuleFilter::Filter(Filter::Between {
                property: "pendenza".into(),
                low: Value::Text("10".into()),
                high: Value::Text("30".into())
            })
        );
        assert_eq!((r[0].min_scale, r[0].max_scale), (Some(1_000.0), Some(50_000.0)));
        assert_eq!(r[1].filter, RuleFilter::Filter(Filter::Like { property: "tipo".into(), pattern: "asilo%".into(), match_case: true }));
        assert_eq!(r[2].filter, RuleFilter::Filter(Filter::Ids(vec![3])));
        assert_eq!(r[3].filter, RuleFilter::Else);
        // A feature-id filter never matches when rendering: listed.
        assert_eq!(report.unsupported.len(), 1, "{:?}", report.unsupported);
        assert!(report.unsupported[0].ends_with(&format!("Rule/Filter (line {})", line_of(&doc, "<ogc:Filter><ogc:FeatureId"))));

        // Invalid filters are errors; two filters in a rule too.
        let bad = sld(
            "<Rule><ogc:Filter><ogc:PropertyIsEqualTo><ogc:PropertyName>a</ogc:PropertyName></ogc:PropertyIsEqualTo></ogc:Filter></Rule>",
        );
        assert!(matches!(parse_sld(&bad), Err(SldError::Filter(_))));
        assert!(matches!(parse_sld(&sld("<Rule><ogc:Filter/></Rule>")), Err(SldError::Filter(_))));
        assert!(matches!(parse_sld(&sld("<Rule><ElseFilter/><ElseFilter/></Rule>")), Err(SldError::Syntax(_))));
    }

    #[test]
    fn other_roots_metadata_and_layers() {
        // A bare SE FeatureTypeStyle, and a UserLayer with inline features and a named style.
        let se = r#"<se:FeatureTypeStyle xmlns:se="http://www.opengis.net/se" version="1.1.0"><se:Name>solo</se:Name>
            <se:Rule><se:LineSymbolizer uom="http://www.opengeospatial.org/se/units/pixel"/></se:Rule></se:FeatureTypeStyle>"#;
        let report = parse_sld(se).unwrap();
        assert_eq!(report.styles[0].name, "solo");
        assert!(report.unsupported.is_empty());
        let doc = r#"<sld:StyledLayerDescriptor xmlns:sld="http://www.opengis.net/sld" version="1.0.0">
            <sld:Name>doc</sld:Name>
            <sld:NamedLayer><sld:Name>a</sld:Name><sld:NamedStyle><sld:Name>x</sld:Name></sld:NamedStyle>
              <sld:LayerFeatureConstraints><sld:FeatureTypeConstraint/></sld:LayerFeatureConstraints></sld:NamedLayer>
            <sld:UserLayer><sld:InlineFeature/><sld:UserStyle><sld:Title>T</sld:Title><sld:IsDefault>1</sld:IsDefault>
              <sld:FeatureTypeStyle><sld:Rule/></sld:FeatureTypeStyle></sld:UserStyle></sld:UserLayer>
        </sld:StyledLayerDescriptor>"#;
        let report = parse_sld(doc).unwrap();
        assert_eq!(report.styles.len(), 1);
        assert_eq!((report.styles[0].name.as_str(), report.styles[0].title.as_deref()), ("default", Some("T")));
        assert_eq!(report.layers, vec![None]);
        assert_eq!(report.unsupported.len(), 2, "{:?}", report.unsupported);
        assert!(report.unsupported[0].starts_with("StyledLayerDescriptor/NamedLayer/NamedStyle (line 3)"));
        assert!(report.unsupported[1].starts_with("StyledLayerDescriptor/UserLayer/InlineFeature (line 5)"));
        // Nothing to draw at all.
        let only_named = r#"<StyledLayerDescriptor><NamedLayer><Name>a</Name><NamedStyle><Name>x</Name></NamedStyle></NamedLayer></StyledLayerDescriptor>"#;
        assert!(matches!(parse_sld(only_named), Err(SldError::Syntax(_))));
        assert!(matches!(parse_sld("<Filter/>"), Err(SldError::Syntax(_))));
        // A byte order mark and entities are fine.
        let bom = format!("\u{feff}{}", sld("<Rule><Title>Città &amp; &#233;</Title><LineSymbolizer/></Rule>"));
        assert_eq!(parse_sld(&bom).unwrap().styles[0].feature_type_styles[0].rules[0].title.as_deref(), Some("Città & é"));
    }

    #[test]
    fn uom_metre_is_listed_and_read_as_pixels() {
        let doc = sld(
            r#"<Rule><LineSymbolizer uom="http://www.opengeospatial.org/se/units/foot"><Stroke><CssParameter name="stroke-width">3</CssParameter></Stroke></LineSymbolizer></Rule>"#,
        );
        let report = parse_sld(&doc).unwrap();
        let Symbolizer::Line(l) = &only_rule(&report).symbolizers[0] else { panic!() };
        assert_eq!(l.stroke.width, 3.0);
        assert_eq!(report.unsupported.len(), 1);
        assert!(report.unsupported[0].contains("LineSymbolizer[@uom='http://www.opengeospatial.org/se/units/foot']"));
    }

    #[test]
    fn fonts_colours_and_dashes() {
        for f in ["DejaVu Sans", "sans-serif", "Arial", "'Noto Sans'", "MS Shell Dlg 2", "SansSerif"] {
            assert!(is_plain_sans(f), "{f}");
        }
        for f in ["Serif", "DejaVu Sans Mono", "Arial Bold", "Times New Roman", "Courier", ""] {
            assert!(!is_plain_sans(f), "{f}");
        }
        assert_eq!(parse_color("#abc"), parse_color("#aabbcc"));
        assert_eq!(parse_color("#AABBCC80").map(|c| c.a), Some(0x80));
        for bad in ["red", "#ab", "#abcd", "aabbcc", "#gggggg", "#aabbc"] {
            assert_eq!(parse_color(bad), None, "{bad}");
        }
        assert_eq!(parse_dash("4 2"), Some(Some(vec![4.0, 2.0])));
        assert_eq!(parse_dash("4,2,1"), Some(Some(vec![4.0, 2.0, 1.0, 4.0, 2.0, 1.0])));
        assert_eq!(parse_dash("0 0"), Some(None));
        assert_eq!(parse_dash(""), Some(None));
        assert_eq!(parse_dash("4 -2"), None);
        assert_eq!(parse_dash("4 x"), None);
        assert_eq!(parse_dash(&"1 ".repeat(100)), None);
        // A font family list in one parameter.
        let doc = sld(r#"<Rule><TextSymbolizer><Label><ogc:PropertyName>nome</ogc:PropertyName></Label>
            <Font><CssParameter name="font-family">Garamond, sans-serif</CssParameter><CssParameter name="font-size">12px</CssParameter></Font>
            </TextSymbolizer></Rule>"#);
        let report = parse_sld(&doc).unwrap();
        assert!(report.unsupported.is_empty(), "{:?}", report.unsupported);
        let Symbolizer::Text(t) = &only_rule(&report).symbolizers[0] else { panic!() };
        assert_eq!(t.size, 12.0);
    }

    #[test]
    fn hostile_inputs_are_refused() {
        let dtd = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
            <StyledLayerDescriptor><NamedLayer><UserStyle><Title>&lol2;</Title></UserStyle></NamedLayer></StyledLayerDescriptor>"#;
        assert!(matches!(parse_sld(dtd), Err(SldError::Dtd)));
        assert!(matches!(parse_sld("<!doctype x><StyledLayerDescriptor/>"), Err(SldError::Dtd)));
        // An external entity reference without a DTD is an unknown entity.
        assert!(matches!(parse_sld(&sld("<Rule><Title>&xxe;</Title></Rule>")), Err(SldError::Syntax(_))));

        let huge = format!("{}{}", sld(""), " ".repeat(MAX_SLD_BYTES));
        assert!(matches!(parse_sld(&huge), Err(SldError::TooLarge(_))));

        let deep = sld(&format!("{}{}", "<Rule>".repeat(200), "</Rule>".repeat(200)));
        assert!(matches!(parse_sld(&deep), Err(SldError::TooLarge(_))));

        let many = sld(&"<VendorOption/>".repeat(MAX_SLD_ELEMENTS + 1));
        assert!(many.len() < MAX_SLD_BYTES);
        assert!(matches!(parse_sld(&many), Err(SldError::TooLarge(_))));

        let rules = sld(&"<Rule/>".repeat(MAX_RULES + 1));
        assert!(matches!(parse_sld(&rules), Err(SldError::TooLarge(_))));
        assert!(parse_sld(&sld(&"<Rule/>".repeat(MAX_RULES))).is_ok());

        // A deep filter is refused by the filter parser.
        let deep_filter = sld(&format!(
            "<Rule><ogc:Filter>{}<ogc:PropertyIsNull><ogc:PropertyName>a</ogc:PropertyName></ogc:PropertyIsNull>{}</ogc:Filter></Rule>",
            "<ogc:Not>".repeat(100),
            "</ogc:Not>".repeat(100)
        ));
        assert!(matches!(parse_sld(&deep_filter), Err(SldError::Filter(_))));

        // Many unsupported items are capped, with a summary.
        let noisy = sld(&format!("<Rule>{}</Rule>", "<VendorOption name='x'/>".repeat(MAX_UNSUPPORTED + 20)));
        let report = parse_sld(&noisy).unwrap();
        assert_eq!(report.unsupported.len(), MAX_UNSUPPORTED + 1);
        assert_eq!(report.unsupported.last().unwrap(), "… and 20 more unsupported items");

        for bad in [
            "",
            "   ",
            "text",
            "<StyledLayerDescriptor>",
            "<StyledLayerDescriptor></NamedLayer>",
            "<StyledLayerDescriptor/><StyledLayerDescriptor/>",
            "<StyledLayerDescriptor/>trailing",
            "<StyledLayerDescriptor a='1' a='2'/>",
            "<StyledLayerDescriptor a=1/>",
            "<StyledLayerDescriptor><NamedLayer><UserStyle><FeatureTypeStyle><Rule><ogc:Filter><ogc:And>",
        ] {
            assert!(parse_sld(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn truncated_and_mangled_documents_never_panic() {
        let doc = demo_style("strade");
        let mut cut = 0;
        while cut < doc.len() {
            if doc.is_char_boundary(cut) {
                let _ = parse_sld(&doc[..cut]);
                let _ = parse_sld(&format!("{}<{}", &doc[..cut], &doc[cut..]));
            }
            cut += 13;
        }
        let _ = parse_sld(QGIS_SE);
    }

    #[test]
    fn errors_are_short_and_client_safe() {
        let long = format!("<{} />", "x".repeat(5_000));
        let e = parse_sld(&long).unwrap_err().to_string();
        assert!(e.len() < 200, "{e}");
    }
}
