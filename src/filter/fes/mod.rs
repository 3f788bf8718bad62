//! OGC Filter Encoding parser: FES 2.0 (WFS 2.0) and Filter Encoding 1.1 (WFS 1.1) XML into the
//! shared [`Filter`] AST.
//!
//! The document is read by the one hardened XML reader ([`crate::xml`]: DTDs refused, depth,
//! element and size caps, namespaces resolved), then the tree, at most [`MAX_XML_DEPTH`] deep,
//! is interpreted recursively. [`parse_filter_element`] interprets a `Filter` element that is
//! part of a larger document (an SLD rule) with the same caps.
//!
//! Elements are matched on their local names; only the namespace of the root `Filter` is checked
//! against the requested version (undeclared prefixes and unprefixed names are accepted).
//!
//! GML geometry literals come out in GIS axis order (x = east/longitude): coordinates are read in
//! the authority order (and swapped when it is north-first) only when `srsName` is spelled as an
//! OGC URN or `http://www.opengis.net/def/crs/...` URI. The short `EPSG:4326` spelling, the legacy
//! `…/epsg.xml#4326` one, `CRS:84` and geometries without `srsName` are read x/y as written.

use crate::crs::Crs;
use crate::filter::{CompareOp, Filter, SpatialOp, MAX_FILTER_DEPTH, MAX_FILTER_NODES};
use crate::model::Value;
use crate::xml::XmlError;

mod gml;

use gml::number;

/// Largest filter document accepted, in bytes.
pub const MAX_INPUT_BYTES: usize = 1 << 20;
/// Deepest element nesting accepted.
pub const MAX_XML_DEPTH: usize = 64;
/// Most elements a filter document may hold.
pub const MAX_ELEMENTS: usize = 10_000;
/// Largest single literal (or property name), in bytes.
pub const MAX_LITERAL_BYTES: usize = 64 << 10;
/// Most coordinate positions all geometry literals of one filter may hold together.
pub const MAX_COORDINATES: usize = 200_000;

/// Longest piece of client text echoed back in an error message.
const ECHO_MAX: usize = 80;

/// The Filter Encoding version a request uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FesVersion {
    /// FES 2.0 (`http://www.opengis.net/fes/2.0`, GML 3.2), used by WFS 2.0.
    V2_0,
    /// Filter Encoding 1.1 (`http://www.opengis.net/ogc`, GML 3.1.1), used by WFS 1.1.
    V1_1,
}

impl FesVersion {
    /// The namespace of the `Filter` element in this version.
    pub fn namespace(self) -> &'static str {
        match self {
            FesVersion::V2_0 => "http://www.opengis.net/fes/2.0",
            FesVersion::V1_1 => "http://www.opengis.net/ogc",
        }
    }
}

/// What the parser needs to know about the request.
#[derive(Clone, Copy, Debug)]
pub struct FesContext<'a> {
    /// Filter Encoding version.
    pub version: FesVersion,
    /// The feature type queried (feature ids are `<type_name>.<integer>`; a leading
    /// `<type_name>/` step of property paths is accepted).
    pub type_name: &'a str,
    /// CRS of geometry literals without `srsName`.
    pub default_crs: Crs,
    /// The feature type's geometry property, when known: a spatial operator must name it (or
    /// no property at all), never another one — a filter must not quietly mean something else.
    pub geometry: Option<&'a str>,
    /// Coordinates are x/y (east first) whatever the `srsName` spelling: WFS 1.0.0 documents,
    /// written before axis order was a notion (QGIS keeps a URN there and still writes x/y).
    pub xy_order: bool,
}

/// Why a filter was rejected. Messages are meant for clients: short and free of internals.
#[derive(Debug, thiserror::Error)]
pub enum FesError {
    /// Malformed XML or a structurally invalid filter.
    #[error("{0}")]
    Syntax(String),
    /// A valid construct the server does not implement.
    #[error("{0}")]
    Unsupported(String),
    /// The filter exceeds a size limit.
    #[error("{0}")]
    TooLarge(String),
    /// A value (number, id, CRS, unit, flag) that cannot be used.
    #[error("{0}")]
    InvalidValue(String),
}

/// Parses a filter root element `<fes:Filter>` (or `<ogc:Filter>`).
///
/// The element is accepted with or without a namespace prefix, and with the namespace declared
/// anywhere in scope; when the root's namespace is known it must be the one of `ctx.version`.
pub fn parse_filter(xml: &str, ctx: &FesContext) -> Result<Filter, FesError> {
    let root = crate::xml::read(xml, &XML_LIMITS).map_err(|e| match e {
        XmlError::Dtd => dtd_error(),
        XmlError::TooLarge(m) => FesError::TooLarge(m),
        XmlError::Syntax(m) => FesError::Syntax(m),
    })?;
    parse_filter_element(&root, ctx)
}

/// How a filter document is read ([`crate::xml`]).
const XML_LIMITS: crate::xml::Limits = crate::xml::Limits {
    max_bytes: MAX_INPUT_BYTES,
    max_depth: MAX_XML_DEPTH,
    max_elements: MAX_ELEMENTS,
    max_attribute_bytes: MAX_LITERAL_BYTES,
    what: "filter",
};

/// Interprets a `Filter` element already read by [`crate::xml`] (from a filter document, or
/// inside a style or a WFS request), with the same caps as [`parse_filter`].
pub fn parse_filter_element(root: &Node, ctx: &FesContext) -> Result<Filter, FesError> {
    let (elements, depth) = root.size_and_depth();
    if elements > MAX_ELEMENTS {
        return Err(FesError::TooLarge(format!("filter has more than {MAX_ELEMENTS} elements")));
    }
    if depth > MAX_XML_DEPTH {
        return Err(FesError::TooLarge(format!("filter nested deeper than {MAX_XML_DEPTH} elements")));
    }
    no_mixed_content(root)?;
    if root.local != "Filter" {
        return Err(FesError::Syntax(format!("expected a Filter element, found {}", echo(&root.local))));
    }
    if let Some(ns) = &root.ns {
        if ns != ctx.version.namespace() {
            return Err(FesError::InvalidValue(format!(
                "Filter namespace {} does not match the requested version (expected {})",
                echo(ns),
                ctx.version.namespace()
            )));
        }
    }
    let mut parser = Parser { ctx, coordinates: 0 };
    let filter = parser.filter_root(root)?;
    let (nodes, depth) = filter.size_and_depth();
    if nodes > MAX_FILTER_NODES {
        return Err(FesError::TooLarge(format!("filter has more than {MAX_FILTER_NODES} terms")));
    }
    if depth > MAX_FILTER_DEPTH {
        return Err(FesError::TooLarge(format!("filter is nested deeper than {MAX_FILTER_DEPTH} levels")));
    }
    Ok(filter)
}

/// Interprets a GML geometry element (a feature's geometry property in a WFS transaction) with
/// the rules and caps of geometry literals in filters.
pub fn parse_geometry_element(node: &Node, ctx: &FesContext) -> Result<crate::filter::GeometryLiteral, FesError> {
    let (elements, depth) = node.size_and_depth();
    if elements > MAX_ELEMENTS || depth > MAX_XML_DEPTH {
        return Err(FesError::TooLarge(format!("geometry has more than {MAX_ELEMENTS} elements or is nested too deeply")));
    }
    no_mixed_content(node)?;
    let mut parser = Parser { ctx, coordinates: 0 };
    parser.geometry_literal(node)
}

/// Filters have no mixed content: an element holds text or elements, never both.
fn no_mixed_content(root: &Node) -> Result<(), FesError> {
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if !node.children.is_empty() && !node.text.trim().is_empty() {
            return Err(FesError::Syntax(format!("unexpected text in {}", node.local)));
        }
        stack.extend(node.children.iter());
    }
    Ok(())
}

fn dtd_error() -> FesError {
    FesError::Syntax("DTDs are not allowed".into())
}

/// Client text for an error message: cut to a few dozen characters.
fn echo(s: &str) -> String {
    echo_n(s, ECHO_MAX)
}

fn echo_n(s: &str, max: usize) -> String {
    let s = s.trim();
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The element tree of [`crate::xml`].
type Node = crate::xml::Element;

/// The text content when an element holds only text, capped at [`MAX_LITERAL_BYTES`].
trait SimpleText {
    fn simple_text(&self) -> Result<&str, FesError>;
}

impl SimpleText for Node {
    fn simple_text(&self) -> Result<&str, FesError> {
        if let Some(child) = self.children.first() {
            return Err(FesError::Syntax(format!("unexpected element {} in {}", echo(&child.local), self.local)));
        }
        if self.text.len() > MAX_LITERAL_BYTES {
            return Err(FesError::TooLarge(format!("{} longer than {} KiB", self.local, MAX_LITERAL_BYTES >> 10)));
        }
        Ok(&self.text)
    }
}

// ------------------------------------------------------------------------------------------------
// Filter interpretation
// ------------------------------------------------------------------------------------------------

const ID_ELEMENTS: &[&str] = &["ResourceId", "FeatureId", "GmlObjectId"];
const UNSUPPORTED_SPATIAL: &[&str] = &["Overlaps", "Crosses", "Touches", "Equals"];
const TEMPORAL: &[&str] = &[
    "After",
    "Before",
    "Begins",
    "BegunBy",
    "TContains",
    "During",
    "EndedBy",
    "Ends",
    "TEquals",
    "Meets",
    "MetBy",
    "TOverlaps",
    "OverlappedBy",
    "AnyInteracts",
];

struct Parser<'c, 'a> {
    ctx: &'c FesContext<'a>,
    coordinates: usize,
}

/// An operand of a comparison.
enum Expr<'n> {
    Property(String),
    Literal(&'n Node),
}

/// How coordinates of a geometry element are to be read.
#[derive(Clone, Copy)]
struct Srs {
    crs: Crs,
    /// Coordinates are written north first: swap them into GIS order.
    swap: bool,
    /// `srsDimension`, when given.
    dim: Option<usize>,
}

impl Parser<'_, '_> {
    fn filter_root(&mut self, root: &Node) -> Result<Filter, FesError> {
        let mut list = self.predicates(root)?;
        match list.len() {
            0 => Err(FesError::Syntax("empty Filter".into())),
            1 => Ok(list.remove(0)),
            _ => Err(FesError::Syntax("Filter must hold exactly one operator (combine them with And or Or)".into())),
        }
    }

    /// The predicates among the children of `parent`; sibling feature ids form one [`Filter::Ids`].
    fn predicates(&mut self, parent: &Node) -> Result<Vec<Filter>, FesError> {
        let mut out = Vec::new();
        let mut ids: Option<(usize, Vec<i64>)> = None;
        for child in &parent.children {
            if child.is(ID_ELEMENTS) {
                let slot = ids.get_or_insert_with(|| (out.len(), Vec::new()));
                if let Some(id) = self.feature_id(child)? {
                    slot.1.push(id);
                }
            } else {
                out.push(self.predicate(child)?);
            }
        }
        if let Some((at, ids)) = ids {
            out.insert(at, Filter::Ids(ids));
        }
        Ok(out)
    }

    fn predicate(&mut self, node: &Node) -> Result<Filter, FesError> {
        let name = node.local.as_str();
        match name {
            "And" | "Or" => {
                let mut list = self.predicates(node)?;
                match list.len() {
                    0 => Err(FesError::Syntax(format!("{name} needs at least one operand"))),
                    1 => Ok(list.remove(0)),
                    _ if name == "And" => Ok(Filter::And(list)),
                    _ => Ok(Filter::Or(list)),
                }
            }
            "Not" => {
                let mut list = self.predicates(node)?;
                if list.len() != 1 {
                    return Err(FesError::Syntax("Not needs exactly one operand".into()));
                }
                Ok(Filter::Not(Box::new(list.remove(0))))
            }
            "PropertyIsEqualTo" => self.comparison(node, CompareOp::Eq),
            "PropertyIsNotEqualTo" => self.comparison(node, CompareOp::Ne),
            "PropertyIsLessThan" => self.comparison(node, CompareOp::Lt),
            "PropertyIsGreaterThan" => self.comparison(node, CompareOp::Gt),
            "PropertyIsLessThanOrEqualTo" => self.comparison(node, CompareOp::Le),
            "PropertyIsGreaterThanOrEqualTo" => self.comparison(node, CompareOp::Ge),
            "PropertyIsBetween" => self.between(node),
            "PropertyIsLike" => self.like(node),
            "PropertyIsNull" | "PropertyIsNil" => {
                let [child] = node.children.as_slice() else {
                    return Err(FesError::Syntax(format!("{name} needs exactly one property")));
                };
                match self.expression(child, name)? {
                    Expr::Property(property) => Ok(Filter::IsNull { property }),
                    Expr::Literal(_) => Err(FesError::Unsupported(format!("{name} must name a property"))),
                }
            }
            "ResourceId" | "FeatureId" | "GmlObjectId" => Ok(Filter::Ids(self.feature_id(node)?.into_iter().collect())),
            "BBOX" => self.bbox(node),
            "Intersects" => self.spatial(node, SpatialOp::Intersects, false),
            "Within" => self.spatial(node, SpatialOp::Within, false),
            "Contains" => self.spatial(node, SpatialOp::Contains, false),
            "Disjoint" => self.spatial(node, SpatialOp::Intersects, true),
            "DWithin" => self.distance_op(node, false),
            "Beyond" => self.distance_op(node, true),
            _ if node.is(UNSUPPORTED_SPATIAL) => Err(FesError::Unsupported(format!("spatial operator {name} is not supported"))),
            _ if node.is(TEMPORAL) => Err(FesError::Unsupported(format!("temporal operator {name} is not supported"))),
            "Function" => Err(FesError::Unsupported("functions are not supported".into())),
            _ => Err(FesError::Syntax(format!("unknown filter operator {}", echo(name)))),
        }
    }

    fn expression<'n>(&self, node: &'n Node, within: &str) -> Result<Expr<'n>, FesError> {
        match node.local.as_str() {
            "ValueReference" | "PropertyName" => Ok(Expr::Property(self.property_name(node)?)),
            "Literal" => Ok(Expr::Literal(node)),
            "Function" => Err(FesError::Unsupported("functions are not supported".into())),
            "Add" | "Sub" | "Mul" | "Div" => Err(FesError::Unsupported("arithmetic expressions are not supported".into())),
            other => Err(FesError::Syntax(format!("unexpected element {} in {within}", echo(other)))),
        }
    }

    /// A text literal (geometry or other element content is refused).
    fn literal(&self, node: &Node) -> Result<String, FesError> {
        if !node.children.is_empty() {
            return Err(FesError::Unsupported("only text literals are supported here".into()));
        }
        Ok(node.simple_text()?.to_string())
    }

    /// Normalises a property reference to a bare attribute name.
    fn property_name(&self, node: &Node) -> Result<String, FesError> {
        let text = node.simple_text()?.trim();
        if text.is_empty() {
            return Err(FesError::Syntax(format!("empty {}", node.local)));
        }
        let unsupported = || FesError::Unsupported(format!("unsupported property path {}", echo(text)));
        let mut path = text;
        if let Some((first, rest)) = text.split_once('/') {
            if strip_prefix(first) != strip_prefix(self.ctx.type_name) {
                return Err(unsupported());
            }
            path = rest;
        }
        let name = match path.split_once(':') {
            Some((prefix, local)) if is_simple_name(prefix) => local,
            Some(_) => return Err(unsupported()),
            None => path,
        };
        if name.contains(['/', '[', ']', '(', ')', '@', '*', ':', '|', '=', '$'])
            || name.contains("..")
            || name.chars().any(char::is_whitespace)
        {
            return Err(unsupported());
        }
        if name == "." {
            return Err(unsupported());
        }
        if !is_simple_name(name) {
            return Err(FesError::InvalidValue(format!("invalid property name {}", echo(text))));
        }
        Ok(name.to_string())
    }

    fn comparison(&mut self, node: &Node, op: CompareOp) -> Result<Filter, FesError> {
        let name = node.local.as_str();
        let [a, b] = node.children.as_slice() else {
            return Err(FesError::Syntax(format!("{name} needs a property and a literal")));
        };
        let (property, literal, flipped) = match (self.expression(a, name)?, self.expression(b, name)?) {
            (Expr::Property(p), Expr::Literal(l)) => (p, l, false),
            (Expr::Literal(l), Expr::Property(p)) => (p, l, true),
            _ => return Err(FesError::Unsupported(format!("{name} must compare a property with a literal"))),
        };
        let value = self.literal(literal)?;
        let match_case = bool_attr(node, "matchCase", true)?;
        let op = if flipped { flip(op) } else { op };
        if !match_case && matches!(op, CompareOp::Eq | CompareOp::Ne) {
            let like = Filter::Like { property, pattern: escape_like(&value), match_case: false };
            return Ok(if op == CompareOp::Ne { Filter::Not(Box::new(like)) } else { like });
        }
        Ok(Filter::Compare { property, op, value: Value::Text(value) })
    }

    fn between(&mut self, node: &Node) -> Result<Filter, FesError> {
        let (mut property, mut low, mut high) = (None, None, None);
        for child in &node.children {
            match child.local.as_str() {
                "LowerBoundary" | "UpperBoundary" => {
                    let [inner] = child.children.as_slice() else {
                        return Err(FesError::Syntax(format!("{} needs one literal", child.local)));
                    };
                    let Expr::Literal(lit) = self.expression(inner, &child.local)? else {
                        return Err(FesError::Unsupported(format!("{} must be a literal", child.local)));
                    };
                    let slot = if child.local == "LowerBoundary" { &mut low } else { &mut high };
                    if slot.replace(Value::Text(self.literal(lit)?)).is_some() {
                        return Err(FesError::Syntax(format!("duplicate {} in PropertyIsBetween", child.local)));
                    }
                }
                _ => match self.expression(child, "PropertyIsBetween")? {
                    Expr::Property(p) if property.is_none() => property = Some(p),
                    _ => return Err(FesError::Syntax("PropertyIsBetween needs one property".into())),
                },
            }
        }
        match (property, low, high) {
            (Some(property), Some(low), Some(high)) => Ok(Filter::Between { property, low, high }),
            (None, _, _) => Err(FesError::Syntax("PropertyIsBetween needs a property".into())),
            (_, None, _) => Err(FesError::Syntax("PropertyIsBetween needs a LowerBoundary".into())),
            (_, _, None) => Err(FesError::Syntax("PropertyIsBetween needs an UpperBoundary".into())),
        }
    }

    fn like(&mut self, node: &Node) -> Result<Filter, FesError> {
        let [a, b] = node.children.as_slice() else {
            return Err(FesError::Syntax("PropertyIsLike needs a property and a literal".into()));
        };
        let (property, literal) = match (self.expression(a, "PropertyIsLike")?, self.expression(b, "PropertyIsLike")?) {
            (Expr::Property(p), Expr::Literal(l)) | (Expr::Literal(l), Expr::Property(p)) => (p, l),
            _ => return Err(FesError::Unsupported("PropertyIsLike must compare a property with a literal".into())),
        };
        let pattern = self.literal(literal)?;
        let wild = node.attr("wildCard").ok_or_else(|| FesError::Syntax("PropertyIsLike needs a wildCard attribute".into()))?;
        let single = node.attr("singleChar").ok_or_else(|| FesError::Syntax("PropertyIsLike needs a singleChar attribute".into()))?;
        let escape = node.attr("escapeChar").or_else(|| node.attr("escape"));
        let match_case = bool_attr(node, "matchCase", true)?;
        let pattern = convert_like(&pattern, wild, single, escape)?;
        Ok(Filter::Like { property, pattern, match_case })
    }

    /// A feature id for this type, `None` for another type's id.
    fn feature_id(&self, node: &Node) -> Result<Option<i64>, FesError> {
        let attr = match node.local.as_str() {
            "ResourceId" => "rid",
            "FeatureId" => "fid",
            _ => "id",
        };
        if !node.children.is_empty() {
            return Err(FesError::Syntax(format!("unexpected content in {}", node.local)));
        }
        let id = node.attr(attr).ok_or_else(|| FesError::Syntax(format!("{} needs a {attr} attribute", node.local)))?.trim();
        let malformed = || FesError::InvalidValue(format!("malformed feature id {}", echo(id)));
        let (type_name, number) = id.rsplit_once('.').ok_or_else(malformed)?;
        let number: i64 = number.parse().map_err(|_| malformed())?;
        if type_name.is_empty() {
            return Err(malformed());
        }
        Ok((strip_prefix(type_name) == strip_prefix(self.ctx.type_name)).then_some(number))
    }

    /// Splits the children of a spatial operator into an optional property, the geometry
    /// element (unwrapped from `Literal`) and an optional `Distance`.
    fn spatial_operands<'n>(&self, node: &'n Node) -> Result<(&'n Node, Option<&'n Node>), FesError> {
        let name = node.local.as_str();
        let (mut geometry, mut distance, mut property) = (None, None, false);
        for child in &node.children {
            let slot = match child.local.as_str() {
                "ValueReference" | "PropertyName" => {
                    // A plain name, and the type's geometry when the caller knows it.
                    let named = self.property_name(child)?;
                    if let Some(geometry) = self.ctx.geometry.filter(|g| *g != named) {
                        return Err(FesError::InvalidValue(format!(
                            "{name} names {}, which is not the geometry property of {} ({geometry})",
                            echo(&named),
                            strip_prefix(self.ctx.type_name)
                        )));
                    }
                    if std::mem::replace(&mut property, true) {
                        return Err(FesError::Syntax(format!("{name} has more than one property")));
                    }
                    continue;
                }
                "Distance" => &mut distance,
                "Literal" => {
                    let [inner] = child.children.as_slice() else {
                        return Err(FesError::Syntax(format!("{name} needs a geometry")));
                    };
                    if geometry.replace(inner).is_some() {
                        return Err(FesError::Syntax(format!("{name} has more than one geometry")));
                    }
                    continue;
                }
                "Function" => return Err(FesError::Unsupported("functions are not supported".into())),
                _ => &mut geometry,
            };
            if slot.replace(child).is_some() {
                return Err(FesError::Syntax(format!("{name} has more than one {}", child.local)));
            }
        }
        let geometry = geometry.ok_or_else(|| FesError::Syntax(format!("{name} needs a geometry")))?;
        Ok((geometry, distance))
    }

    fn bbox(&mut self, node: &Node) -> Result<Filter, FesError> {
        let (envelope, distance) = self.spatial_operands(node)?;
        if distance.is_some() {
            return Err(FesError::Syntax("unexpected element Distance in BBOX".into()));
        }
        if !envelope.is(&["Envelope", "Box"]) {
            return Err(FesError::Syntax(format!("BBOX needs a gml:Envelope, found {}", echo(&envelope.local))));
        }
        let srs = self.srs(envelope, None)?;
        let bbox = self.envelope(envelope, srs)?;
        Ok(Filter::BBox { bbox, crs: srs.crs })
    }

    fn spatial(&mut self, node: &Node, op: SpatialOp, negate: bool) -> Result<Filter, FesError> {
        let (geometry, distance) = self.spatial_operands(node)?;
        if distance.is_some() {
            return Err(FesError::Syntax(format!("unexpected element Distance in {}", node.local)));
        }
        let geometry = self.geometry_literal(geometry)?;
        let f = Filter::Spatial { op, geometry };
        Ok(if negate { Filter::Not(Box::new(f)) } else { f })
    }

    fn distance_op(&mut self, node: &Node, negate: bool) -> Result<Filter, FesError> {
        let (geometry, distance) = self.spatial_operands(node)?;
        let distance = distance.ok_or_else(|| FesError::Syntax(format!("{} needs a Distance", node.local)))?;
        let metres = distance_metres(distance)?;
        let geometry = self.geometry_literal(geometry)?;
        let f = Filter::DWithin { geometry, distance: metres };
        Ok(if negate { Filter::Not(Box::new(f)) } else { f })
    }
}

// ------------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------------

fn bool_attr(node: &Node, name: &str, default: bool) -> Result<bool, FesError> {
    match node.attr(name).map(str::trim) {
        None => Ok(default),
        Some("true" | "1") => Ok(true),
        Some("false" | "0") => Ok(false),
        Some(other) => Err(FesError::InvalidValue(format!("invalid {name} value {}", echo(other)))),
    }
}

fn flip(op: CompareOp) -> CompareOp {
    match op {
        CompareOp::Lt => CompareOp::Gt,
        CompareOp::Gt => CompareOp::Lt,
        CompareOp::Le => CompareOp::Ge,
        CompareOp::Ge => CompareOp::Le,
        other => other,
    }
}

/// `name` without its namespace prefix.
fn strip_prefix(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, local)| local)
}

/// An XML name-like token: letters, digits, `_`, `-`, `.` (not `..`), not empty.
fn is_simple_name(s: &str) -> bool {
    !s.is_empty() && !s.contains("..") && s.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// A literal as a LIKE pattern matching exactly that text.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Converts an FES `PropertyIsLike` pattern to SQL LIKE syntax with `\` as escape.
fn convert_like(pattern: &str, wild: &str, single: &str, escape: Option<&str>) -> Result<String, FesError> {
    if wild.is_empty() || single.is_empty() || wild == single {
        return Err(FesError::InvalidValue("PropertyIsLike needs distinct wildCard and singleChar".into()));
    }
    let escape = escape.filter(|e| !e.is_empty());
    if escape.is_some_and(|e| e == wild || e == single) {
        return Err(FesError::InvalidValue("PropertyIsLike escapeChar must differ from the wildcards".into()));
    }
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut rest = pattern;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = escape.and_then(|e| rest.strip_prefix(e)) {
            // The escaped token: a whole wildcard string, or else the next character.
            let token =
                [wild, single].into_iter().find(|t| after.starts_with(*t)).or_else(|| after.chars().next().map(|c| &after[..c.len_utf8()]));
            match token {
                Some(token) => {
                    out.push_str(&escape_like(token));
                    rest = &after[token.len()..];
                }
                None => {
                    // A trailing escape character stands for itself.
                    out.push_str(&escape_like(escape.unwrap_or_default()));
                    rest = after;
                }
            }
        } else if let Some(after) = rest.strip_prefix(wild) {
            out.push('%');
            rest = after;
        } else if let Some(after) = rest.strip_prefix(single) {
            out.push('_');
            rest = after;
        } else {
            if matches!(c, '%' | '_' | '\\') {
                out.push('\\');
            }
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    Ok(out)
}

/// Converts a `Distance` element (`uom` in FES 2.0, `units` in 1.1) to metres.
fn distance_metres(node: &Node) -> Result<f64, FesError> {
    let text = node.simple_text()?.trim();
    let value = number(text, "Distance")?;
    if value < 0.0 {
        return Err(FesError::InvalidValue("Distance must not be negative".into()));
    }
    let unit = node
        .attr("uom")
        .or_else(|| node.attr("units"))
        .ok_or_else(|| FesError::InvalidValue("Distance needs a uom attribute".into()))?
        .trim();
    let factor = match unit.to_ascii_lowercase().as_str() {
        "m" | "metre" | "meter" | "metres" | "meters" | "urn:ogc:def:uom:epsg::9001" | "http://www.opengis.net/def/uom/epsg/0/9001" => 1.0,
        "km"
        | "kilometre"
        | "kilometer"
        | "kilometres"
        | "kilometers"
        | "urn:ogc:def:uom:epsg::9036"
        | "http://www.opengis.net/def/uom/epsg/0/9036" => 1000.0,
        _ => return Err(FesError::InvalidValue(format!("unsupported distance unit {}", echo(unit)))),
    };
    let metres = value * factor;
    if !metres.is_finite() {
        return Err(FesError::InvalidValue("Distance is too large".into()));
    }
    Ok(metres)
}

#[cfg(test)]
mod tests {
    use geo::{Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};

    use super::*;
    use crate::crs::Bbox;
    use crate::filter::like_matches;
    use crate::filter::GeometryLiteral;
    use std::time::{Duration, Instant};

    const FES: &str = r#"xmlns:fes="http://www.opengis.net/fes/2.0" xmlns:gml="http://www.opengis.net/gml/3.2""#;
    const OGC: &str = r#"xmlns:ogc="http://www.opengis.net/ogc" xmlns:gml="http://www.opengis.net/gml""#;

    fn ctx(version: FesVersion) -> FesContext<'static> {
        FesContext { version, type_name: "edifici", default_crs: Crs::UTM32N, geometry: None, xy_order: false }
    }

    fn p2(body: &str) -> Result<Filter, FesError> {
        parse_filter(&format!("<fes:Filter {FES}>{body}</fes:Filter>"), &ctx(FesVersion::V2_0))
    }

    fn p11(body: &str) -> Result<Filter, FesError> {
        parse_filter(&format!("<ogc:Filter {OGC}>{body}</ogc:Filter>"), &ctx(FesVersion::V1_1))
    }

    fn cmp(property: &str, op: CompareOp, value: &str) -> Filter {
        Filter::Compare { property: property.into(), op, value: Value::Text(value.into()) }
    }

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    fn geom(f: &Filter) -> &GeometryLiteral {
        match f {
            Filter::Spatial { geometry, .. } | Filter::DWithin { geometry, .. } => geometry,
            Filter::Not(inner) => geom(inner),
            other => panic!("not spatial: {other:?}"),
        }
    }

    #[track_caller]
    fn syntax(r: Result<Filter, FesError>) -> String {
        match r {
            Err(FesError::Syntax(m)) => m,
            other => panic!("expected Syntax, got {other:?}"),
        }
    }

    #[track_caller]
    fn invalid(r: Result<Filter, FesError>) -> String {
        match r {
            Err(FesError::InvalidValue(m)) => m,
            other => panic!("expected InvalidValue, got {other:?}"),
        }
    }

    #[track_caller]
    fn unsupported(r: Result<Filter, FesError>) -> String {
        match r {
            Err(FesError::Unsupported(m)) => m,
            other => panic!("expected Unsupported, got {other:?}"),
        }
    }

    #[track_caller]
    fn too_large(r: Result<Filter, FesError>) -> String {
        match r {
            Err(FesError::TooLarge(m)) => m,
            other => panic!("expected TooLarge, got {other:?}"),
        }
    }

    const OPS: [(&str, CompareOp); 6] = [
        ("PropertyIsEqualTo", CompareOp::Eq),
        ("PropertyIsNotEqualTo", CompareOp::Ne),
        ("PropertyIsLessThan", CompareOp::Lt),
        ("PropertyIsGreaterThan", CompareOp::Gt),
        ("PropertyIsLessThanOrEqualTo", CompareOp::Le),
        ("PropertyIsGreaterThanOrEqualTo", CompareOp::Ge),
    ];

    #[test]
    fn comparisons_in_both_versions() {
        for (name, op) in OPS {
            let f = p2(&format!("<fes:{name}><fes:ValueReference>piani</fes:ValueReference><fes:Literal>3</fes:Literal></fes:{name}>"));
            assert_eq!(f.unwrap(), cmp("piani", op, "3"), "{name}");
            let f =
                p11(&format!("<ogc:{name}><ogc:PropertyName>navigli:piani</ogc:PropertyName><ogc:Literal>3</ogc:Literal></ogc:{name}>"));
            assert_eq!(f.unwrap(), cmp("piani", op, "3"), "{name}");
        }
    }

    #[test]
    fn literal_first_flips_the_operator() {
        let flipped = [CompareOp::Eq, CompareOp::Ne, CompareOp::Gt, CompareOp::Lt, CompareOp::Ge, CompareOp::Le];
        for ((name, _), op) in OPS.iter().zip(flipped) {
            let f = p2(&format!("<fes:{name}><fes:Literal>10</fes:Literal><fes:ValueReference>piani</fes:ValueReference></fes:{name}>"));
            assert_eq!(f.unwrap(), cmp("piani", op, "10"), "{name}");
        }
        let two_props = "<fes:PropertyIsEqualTo><fes:ValueReference>a</fes:ValueReference><fes:ValueReference>b</fes:ValueReference></fes:PropertyIsEqualTo>";
        unsupported(p2(two_props));
        let one = "<fes:PropertyIsEqualTo><fes:ValueReference>a</fes:ValueReference></fes:PropertyIsEqualTo>";
        syntax(p2(one));
        let func = r#"<fes:PropertyIsEqualTo><fes:Function name="strToUpper"><fes:ValueReference>a</fes:ValueReference></fes:Function><fes:Literal>X</fes:Literal></fes:PropertyIsEqualTo>"#;
        unsupported(p2(func));
    }

    #[test]
    fn match_case_false_equality_becomes_case_insensitive_like() {
        let f = p2(r#"<fes:PropertyIsEqualTo matchCase="false"><fes:ValueReference>nome</fes:ValueReference><fes:Literal>50%_a\b</fes:Literal></fes:PropertyIsEqualTo>"#).unwrap();
        assert_eq!(f, Filter::Like { property: "nome".into(), pattern: r"50\%\_a\\b".into(), match_case: false });
        let Filter::Like { pattern, .. } = &f else { unreachable!() };
        assert!(like_matches("50%_A\\B", pattern, false));
        assert!(!like_matches("50x_a\\b", pattern, false));
        let f = p11(r#"<ogc:PropertyIsNotEqualTo matchCase="false"><ogc:PropertyName>nome</ogc:PropertyName><ogc:Literal>Duomo</ogc:Literal></ogc:PropertyIsNotEqualTo>"#).unwrap();
        assert_eq!(f, Filter::Not(Box::new(Filter::Like { property: "nome".into(), pattern: "Duomo".into(), match_case: false })));
        let f = p2(
            r#"<fes:PropertyIsEqualTo matchCase="true"><fes:ValueReference>nome</fes:ValueReference><fes:Literal>Duomo</fes:Literal></fes:PropertyIsEqualTo>"#,
        );
        assert_eq!(f.unwrap(), cmp("nome", CompareOp::Eq, "Duomo"));
        invalid(p2(
            r#"<fes:PropertyIsEqualTo matchCase="maybe"><fes:ValueReference>nome</fes:ValueReference><fes:Literal>x</fes:Literal></fes:PropertyIsEqualTo>"#,
        ));
    }

    #[test]
    fn between_in_both_versions() {
        let want = Filter::Between { property: "anno".into(), low: text("1900"), high: text("2000") };
        let f = p2("<fes:PropertyIsBetween><fes:ValueReference>anno</fes:ValueReference><fes:LowerBoundary><fes:Literal>1900</fes:Literal></fes:LowerBoundary><fes:UpperBoundary><fes:Literal>2000</fes:Literal></fes:UpperBoundary></fes:PropertyIsBetween>");
        assert_eq!(f.unwrap(), want);
        let f = p11("<ogc:PropertyIsBetween><ogc:PropertyName>anno</ogc:PropertyName><ogc:LowerBoundary><ogc:Literal>1900</ogc:Literal></ogc:LowerBoundary><ogc:UpperBoundary><ogc:Literal>2000</ogc:Literal></ogc:UpperBoundary></ogc:PropertyIsBetween>");
        assert_eq!(f.unwrap(), want);
        let m = syntax(p2("<fes:PropertyIsBetween><fes:ValueReference>anno</fes:ValueReference><fes:LowerBoundary><fes:Literal>1</fes:Literal></fes:LowerBoundary></fes:PropertyIsBetween>"));
        assert!(m.contains("UpperBoundary"), "{m}");
    }

    #[test]
    fn like_patterns_are_converted_to_sql() {
        let f = p2(r#"<fes:PropertyIsLike wildCard="*" singleChar="." escapeChar="!"><fes:ValueReference>nome</fes:ValueReference><fes:Literal>Via *_100%!*!.!!x</fes:Literal></fes:PropertyIsLike>"#).unwrap();
        assert_eq!(f, Filter::Like { property: "nome".into(), pattern: r"Via %\_100\%*.!x".into(), match_case: true });
        let Filter::Like { pattern, .. } = &f else { unreachable!() };
        assert!(like_matches("Via Roma_100%*.!x", pattern, true));
        assert!(!like_matches("Via Roma-100%*.!x", pattern, true));

        // 1.1 spelling `escape`, SQL-looking wildcards, backslash in the pattern, matchCase.
        let f = p11(r#"<ogc:PropertyIsLike wildCard="%" singleChar="_" escape="\" matchCase="false"><ogc:PropertyName>nome</ogc:PropertyName><ogc:Literal>a\%b%c_\\</ogc:Literal></ogc:PropertyIsLike>"#).unwrap();
        assert_eq!(f, Filter::Like { property: "nome".into(), pattern: r"a\%b%c_\\".into(), match_case: false });
        let f = p11(r##"<ogc:PropertyIsLike wildCard="#" singleChar="?" escapeChar="/"><ogc:PropertyName>nome</ogc:PropertyName><ogc:Literal>C:\#?/#</ogc:Literal></ogc:PropertyIsLike>"##).unwrap();
        assert_eq!(f, Filter::Like { property: "nome".into(), pattern: r"C:\\%_#".into(), match_case: true });

        syntax(p2(
            r#"<fes:PropertyIsLike singleChar="." escapeChar="!"><fes:ValueReference>nome</fes:ValueReference><fes:Literal>a</fes:Literal></fes:PropertyIsLike>"#,
        ));
        invalid(p2(
            r#"<fes:PropertyIsLike wildCard="*" singleChar="*" escapeChar="!"><fes:ValueReference>nome</fes:ValueReference><fes:Literal>a</fes:Literal></fes:PropertyIsLike>"#,
        ));
    }

    #[test]
    fn null_and_nil() {
        let want = Filter::IsNull { property: "nome".into() };
        assert_eq!(p2("<fes:PropertyIsNull><fes:ValueReference>nome</fes:ValueReference></fes:PropertyIsNull>").unwrap(), want);
        assert_eq!(
            p2(r#"<fes:PropertyIsNil nilReason="missing"><fes:ValueReference>nome</fes:ValueReference></fes:PropertyIsNil>"#).unwrap(),
            want
        );
        assert_eq!(p11("<ogc:PropertyIsNull><ogc:PropertyName>nome</ogc:PropertyName></ogc:PropertyIsNull>").unwrap(), want);
        syntax(p2("<fes:PropertyIsNull/>"));
    }

    #[test]
    fn logical_operators() {
        let a = "<fes:PropertyIsNull><fes:ValueReference>a</fes:ValueReference></fes:PropertyIsNull>";
        let b = "<fes:PropertyIsEqualTo><fes:ValueReference>b</fes:ValueReference><fes:Literal>1</fes:Literal></fes:PropertyIsEqualTo>";
        let fa = Filter::IsNull { property: "a".into() };
        let fb = cmp("b", CompareOp::Eq, "1");
        let f = p2(&format!("<fes:And>{a}<fes:Or>{a}{b}</fes:Or><fes:Not>{b}</fes:Not></fes:And>")).unwrap();
        assert_eq!(f, Filter::And(vec![fa.clone(), Filter::Or(vec![fa.clone(), fb.clone()]), Filter::Not(Box::new(fb.clone()))]));
        // One operand is accepted leniently.
        assert_eq!(p2(&format!("<fes:Or>{a}</fes:Or>")).unwrap(), fa);
        let f = p11("<ogc:Or><ogc:PropertyIsNull><ogc:PropertyName>a</ogc:PropertyName></ogc:PropertyIsNull><ogc:Not><ogc:PropertyIsNull><ogc:PropertyName>a</ogc:PropertyName></ogc:PropertyIsNull></ogc:Not></ogc:Or>");
        assert_eq!(f.unwrap(), Filter::Or(vec![fa.clone(), Filter::Not(Box::new(fa))]));
        syntax(p2("<fes:And/>"));
        syntax(p2(&format!("<fes:Not>{a}{b}</fes:Not>")));
        syntax(p2(&format!("{a}{b}")));
        syntax(p2(""));
    }

    #[test]
    fn resource_ids() {
        let f = p2(r#"<fes:ResourceId rid="edifici.12"/><fes:ResourceId rid="strade.3"/><fes:ResourceId rid="edifici.40"/>"#);
        assert_eq!(f.unwrap(), Filter::Ids(vec![12, 40]));
        // Only foreign ids: matches nothing.
        assert_eq!(p2(r#"<fes:ResourceId rid="strade.3"/>"#).unwrap(), Filter::Ids(vec![]));
        let m = invalid(p2(r#"<fes:ResourceId rid="edifici.abc"/>"#));
        assert!(m.contains("edifici.abc"), "{m}");
        invalid(p2(r#"<fes:ResourceId rid="edifici"/>"#));
        invalid(p2(r#"<fes:ResourceId rid="edifici."/>"#));
        invalid(p2(r#"<fes:ResourceId rid=".5"/>"#));
        syntax(p2(r#"<fes:ResourceId/>"#));
        // Inside logical operators, mixed with other predicates.
        let f = p2(
            r#"<fes:Or><fes:ResourceId rid="edifici.1"/><fes:ResourceId rid="edifici.2"/><fes:PropertyIsNull><fes:ValueReference>a</fes:ValueReference></fes:PropertyIsNull></fes:Or>"#,
        );
        assert_eq!(f.unwrap(), Filter::Or(vec![Filter::Ids(vec![1, 2]), Filter::IsNull { property: "a".into() }]));
        // 1.1 forms.
        assert_eq!(p11(r#"<ogc:GmlObjectId gml:id="edifici.7"/><ogc:GmlObjectId gml:id="edifici.8"/>"#).unwrap(), Filter::Ids(vec![7, 8]));
        assert_eq!(p11(r#"<ogc:FeatureId fid="edifici.9"/>"#).unwrap(), Filter::Ids(vec![9]));
        invalid(p11(r#"<ogc:FeatureId fid="edifici.9x"/>"#));
        // Ids cannot be mixed with an operator directly under Filter.
        syntax(p2(
            r#"<fes:ResourceId rid="edifici.1"/><fes:PropertyIsNull><fes:ValueReference>a</fes:ValueReference></fes:PropertyIsNull>"#,
        ));
    }

    fn bbox_of(f: Filter) -> (Bbox, Crs) {
        match f {
            Filter::BBox { bbox, crs } => (bbox, crs),
            other => panic!("not a bbox: {other:?}"),
        }
    }

    #[test]
    fn bbox_axis_order_follows_the_srs_name_spelling() {
        let env = |srs: &str, lo: &str, hi: &str| {
            format!(
                r#"<fes:BBOX><fes:ValueReference>geom</fes:ValueReference><gml:Envelope srsName="{srs}"><gml:lowerCorner>{lo}</gml:lowerCorner><gml:upperCorner>{hi}</gml:upperCorner></gml:Envelope></fes:BBOX>"#
            )
        };
        // URN: latitude first, swapped into lon/lat.
        let (b, crs) = bbox_of(p2(&env("urn:ogc:def:crs:EPSG::4326", "45.4 9.1", "45.5 9.3")).unwrap());
        assert_eq!((b, crs), (Bbox::new(9.1, 45.4, 9.3, 45.5).unwrap(), Crs::WGS84));
        let (b, _) = bbox_of(p2(&env("http://www.opengis.net/def/crs/EPSG/0/4326", "45.4 9.1", "45.5 9.3")).unwrap());
        assert_eq!(b, Bbox::new(9.1, 45.4, 9.3, 45.5).unwrap());
        // Short EPSG:4326 is read longitude first.
        let (b, crs) = bbox_of(p2(&env("EPSG:4326", "9.1 45.4", "9.3 45.5")).unwrap());
        assert_eq!((b, crs), (Bbox::new(9.1, 45.4, 9.3, 45.5).unwrap(), Crs::WGS84));
        let (b, crs) = bbox_of(p2(&env("CRS:84", "9.1 45.4", "9.3 45.5")).unwrap());
        assert_eq!((b, crs), (Bbox::new(9.1, 45.4, 9.3, 45.5).unwrap(), Crs::CRS84));
        // Projected, east first in every spelling.
        let (b, crs) = bbox_of(p2(&env("EPSG:32632", "510000 5030000", "520000 5040000")).unwrap());
        assert_eq!((b, crs), (Bbox::new(510000.0, 5030000.0, 520000.0, 5040000.0).unwrap(), Crs::UTM32N));
        let (b, _) = bbox_of(p2(&env("urn:ogc:def:crs:EPSG::32632", "510000 5030000", "520000 5040000")).unwrap());
        assert_eq!(b, Bbox::new(510000.0, 5030000.0, 520000.0, 5040000.0).unwrap());
        // Unknown CRS and inverted corners.
        let m = invalid(p2(&env("EPSG:9999", "0 0", "1 1")));
        assert!(m.contains("EPSG:9999"), "{m}");
        invalid(p2(&env("EPSG:32632", "5 5", "1 1")));
        invalid(p2(&env("EPSG:32632", "a 5", "1 1")));
        // No property, no srsName: default CRS.
        let (b, crs) = bbox_of(p2("<fes:BBOX><gml:Envelope><gml:lowerCorner>1 2</gml:lowerCorner><gml:upperCorner>3 4</gml:upperCorner></gml:Envelope></fes:BBOX>").unwrap());
        assert_eq!((b, crs), (Bbox::new(1.0, 2.0, 3.0, 4.0).unwrap(), Crs::UTM32N));
        // 1.1: GML 3.1.1 Envelope and GML 2 Box.
        let f = p11(
            r#"<ogc:BBOX><ogc:PropertyName>geom</ogc:PropertyName><gml:Envelope srsName="urn:x-ogc:def:crs:EPSG:4326"><gml:lowerCorner>45.4 9.1</gml:lowerCorner><gml:upperCorner>45.5 9.3</gml:upperCorner></gml:Envelope></ogc:BBOX>"#,
        );
        assert_eq!(bbox_of(f.unwrap()).0, Bbox::new(9.1, 45.4, 9.3, 45.5).unwrap());
        let f = p11(
            r#"<ogc:BBOX><ogc:PropertyName>geom</ogc:PropertyName><gml:Box srsName="http://www.opengis.net/gml/srs/epsg.xml#4326"><gml:coordinates>9.1,45.4 9.3,45.5</gml:coordinates></gml:Box></ogc:BBOX>"#,
        );
        assert_eq!(bbox_of(f.unwrap()), (Bbox::new(9.1, 45.4, 9.3, 45.5).unwrap(), Crs::WGS84));
        syntax(p2(r#"<fes:BBOX><gml:Point><gml:pos>1 2</gml:pos></gml:Point></fes:BBOX>"#));
        syntax(p2(r#"<fes:BBOX><gml:Envelope><gml:lowerCorner>1 2</gml:lowerCorner></gml:Envelope></fes:BBOX>"#));
    }

    #[test]
    fn polygon_with_hole_in_both_versions() {
        let f = p2(r#"<fes:Intersects><fes:ValueReference>geom</fes:ValueReference><gml:Polygon gml:id="p1" srsName="urn:ogc:def:crs:EPSG::4326"><gml:exterior><gml:LinearRing><gml:posList>45 9 45 10 46 10 46 9 45 9</gml:posList></gml:LinearRing></gml:exterior><gml:interior><gml:LinearRing><gml:pos>45.2 9.2</gml:pos><gml:pos>45.4 9.2</gml:pos><gml:pos>45.4 9.4</gml:pos><gml:pos>45.2 9.2</gml:pos></gml:LinearRing></gml:interior></gml:Polygon></fes:Intersects>"#).unwrap();
        let want = Polygon::new(
            LineString::from(vec![(9.0, 45.0), (10.0, 45.0), (10.0, 46.0), (9.0, 46.0), (9.0, 45.0)]),
            vec![LineString::from(vec![(9.2, 45.2), (9.2, 45.4), (9.4, 45.4), (9.2, 45.2)])],
        );
        assert_eq!(f, Filter::Spatial { op: SpatialOp::Intersects, geometry: GeometryLiteral { geometry: want.into(), crs: Crs::WGS84 } });

        let f = p11(r#"<ogc:Within><ogc:PropertyName>geom</ogc:PropertyName><gml:Polygon srsName="EPSG:32632"><gml:outerBoundaryIs><gml:LinearRing><gml:coordinates>0,0 10,0 10,10 0,10 0,0</gml:coordinates></gml:LinearRing></gml:outerBoundaryIs><gml:innerBoundaryIs><gml:LinearRing><gml:coordinates decimal="," cs=";" ts=" ">1,5;1 2;1 2;2 1,5;1</gml:coordinates></gml:LinearRing></gml:innerBoundaryIs></gml:Polygon></ogc:Within>"#).unwrap();
        let want = Polygon::new(
            LineString::from(vec![(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0), (0.0, 0.0)]),
            vec![LineString::from(vec![(1.5, 1.0), (2.0, 1.0), (2.0, 2.0), (1.5, 1.0)])],
        );
        assert_eq!(f, Filter::Spatial { op: SpatialOp::Within, geometry: GeometryLiteral { geometry: want.into(), crs: Crs::UTM32N } });
        // GML 3.1.1 exterior in a 1.1 filter is fine too.
        p11(r#"<ogc:Contains><gml:Polygon><gml:exterior><gml:LinearRing><gml:posList>0 0 1 0 1 1 0 0</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></ogc:Contains>"#).unwrap();
    }

    #[test]
    fn malformed_geometries_are_rejected() {
        let ring = |pos_list: &str| {
            format!(
                r#"<fes:Intersects><gml:Polygon><gml:exterior><gml:LinearRing><gml:posList>{pos_list}</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></fes:Intersects>"#
            )
        };
        let m = invalid(p2(&ring("0 0 1 0 1 1 0 1")));
        assert!(m.contains("not closed"), "{m}");
        let m = invalid(p2(&ring("0 0 1 0 1 1 0")));
        assert!(m.contains("posList"), "{m}");
        invalid(p2(&ring("0 0 1 0 0 0")));
        let m = invalid(p2(&ring("0 0 1 x 1 1 0 0")));
        assert!(m.contains("posList"), "{m}");
        invalid(p2(&ring("0 0 1 NaN 1 1 0 0")));
        syntax(p2(
            r#"<fes:Intersects><gml:Polygon><gml:interior><gml:LinearRing><gml:posList>0 0 1 0 1 1 0 0</gml:posList></gml:LinearRing></gml:interior></gml:Polygon></fes:Intersects>"#,
        ));
        syntax(p2(r#"<fes:Intersects><gml:Point/></fes:Intersects>"#));
        syntax(p2(r#"<fes:Intersects><gml:Point><gml:pos>1 2</gml:pos><gml:pos>3 4</gml:pos></gml:Point></fes:Intersects>"#));
        invalid(p2(r#"<fes:Intersects><gml:LineString><gml:posList>1 2</gml:posList></gml:LineString></fes:Intersects>"#));
        syntax(p2(r#"<fes:Intersects><gml:Blob><gml:pos>1 2</gml:pos></gml:Blob></fes:Intersects>"#));
        syntax(p2(r#"<fes:Intersects><fes:ValueReference>geom</fes:ValueReference></fes:Intersects>"#));
        unsupported(p2(r#"<fes:Intersects><gml:Curve><gml:segments/></gml:Curve></fes:Intersects>"#));
        invalid(p2(
            r#"<fes:Intersects><gml:Point srsName="EPSG:4326" srsDimension="4"><gml:pos>1 2</gml:pos></gml:Point></fes:Intersects>"#,
        ));
        unsupported(p2(
            r#"<fes:Intersects><gml:MultiPoint srsName="EPSG:4326"><gml:pointMember><gml:Point srsName="EPSG:32632"><gml:pos>1 2</gml:pos></gml:Point></gml:pointMember></gml:MultiPoint></fes:Intersects>"#,
        ));
    }

    #[test]
    fn points_lines_and_third_dimension() {
        let f = p2(
            r#"<fes:Intersects><gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>45.46 9.19</gml:pos></gml:Point></fes:Intersects>"#,
        )
        .unwrap();
        assert_eq!(geom(&f).geometry, Geometry::Point(Point::new(9.19, 45.46)));
        let f = p11(
            r#"<ogc:Intersects><gml:Point srsName="EPSG:4326"><gml:coordinates>9.19,45.46</gml:coordinates></gml:Point></ogc:Intersects>"#,
        )
        .unwrap();
        assert_eq!(geom(&f).geometry, Geometry::Point(Point::new(9.19, 45.46)));
        let f = p2(r#"<fes:Intersects><gml:LineString srsName="EPSG:32632" srsDimension="3"><gml:posList>1 2 3 4 5 6</gml:posList></gml:LineString></fes:Intersects>"#).unwrap();
        assert_eq!(geom(&f).geometry, Geometry::LineString(LineString::from(vec![(1.0, 2.0), (4.0, 5.0)])));
        let f = p2(
            r#"<fes:Intersects><gml:LineString><gml:posList srsDimension="3">1 2 3 4 5 6</gml:posList></gml:LineString></fes:Intersects>"#,
        )
        .unwrap();
        assert_eq!(geom(&f).geometry, Geometry::LineString(LineString::from(vec![(1.0, 2.0), (4.0, 5.0)])));
        assert_eq!(geom(&f).crs, Crs::UTM32N);
        let f = p2(r#"<fes:Intersects><gml:LineString><gml:pos>1 2 9</gml:pos><gml:pos>3 4</gml:pos></gml:LineString></fes:Intersects>"#)
            .unwrap();
        assert_eq!(geom(&f).geometry, Geometry::LineString(LineString::from(vec![(1.0, 2.0), (3.0, 4.0)])));
        // Geometry wrapped in a Literal and an Envelope used as a geometry.
        let f = p2(r#"<fes:Within><fes:Literal><gml:Envelope srsName="EPSG:32632"><gml:lowerCorner>0 0</gml:lowerCorner><gml:upperCorner>2 1</gml:upperCorner></gml:Envelope></fes:Literal></fes:Within>"#).unwrap();
        assert_eq!(geom(&f).geometry, Geometry::Polygon(Bbox::new(0.0, 0.0, 2.0, 1.0).unwrap().to_polygon()));
    }

    #[test]
    fn multi_geometries() {
        let f = p2(r#"<fes:Intersects><gml:MultiPoint srsName="urn:ogc:def:crs:EPSG::4326"><gml:pointMember><gml:Point><gml:pos>45 9</gml:pos></gml:Point></gml:pointMember><gml:pointMembers><gml:Point><gml:pos>46 10</gml:pos></gml:Point><gml:Point srsName="EPSG:4326"><gml:pos>11 47</gml:pos></gml:Point></gml:pointMembers></gml:MultiPoint></fes:Intersects>"#).unwrap();
        assert_eq!(geom(&f).geometry, Geometry::MultiPoint(MultiPoint::from(vec![(9.0, 45.0), (10.0, 46.0), (11.0, 47.0)])));
        assert_eq!(geom(&f).crs, Crs::WGS84);

        let f = p2(r#"<fes:Intersects><gml:MultiCurve srsName="EPSG:32632"><gml:curveMember><gml:LineString><gml:posList>0 0 1 1</gml:posList></gml:LineString></gml:curveMember><gml:curveMember><gml:LineString><gml:posList>2 2 3 3</gml:posList></gml:LineString></gml:curveMember></gml:MultiCurve></fes:Intersects>"#).unwrap();
        let lines = MultiLineString(vec![LineString::from(vec![(0.0, 0.0), (1.0, 1.0)]), LineString::from(vec![(2.0, 2.0), (3.0, 3.0)])]);
        assert_eq!(geom(&f).geometry, Geometry::MultiLineString(lines.clone()));
        let f = p11(r#"<ogc:Intersects><gml:MultiLineString srsName="EPSG:32632"><gml:lineStringMember><gml:LineString><gml:coordinates>0,0 1,1</gml:coordinates></gml:LineString></gml:lineStringMember><gml:lineStringMember><gml:LineString><gml:coordinates>2,2 3,3</gml:coordinates></gml:LineString></gml:lineStringMember></gml:MultiLineString></ogc:Intersects>"#).unwrap();
        assert_eq!(geom(&f).geometry, Geometry::MultiLineString(lines));

        let square = |o: f64| LineString::from(vec![(o, o), (o + 1.0, o), (o + 1.0, o + 1.0), (o, o)]);
        let polys = MultiPolygon(vec![Polygon::new(square(0.0), vec![]), Polygon::new(square(5.0), vec![])]);
        let f = p2(r#"<fes:Intersects><gml:MultiSurface srsName="EPSG:32632"><gml:surfaceMember><gml:Polygon><gml:exterior><gml:LinearRing><gml:posList>0 0 1 0 1 1 0 0</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember><gml:surfaceMember><gml:Polygon><gml:exterior><gml:LinearRing><gml:posList>5 5 6 5 6 6 5 5</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember></gml:MultiSurface></fes:Intersects>"#).unwrap();
        assert_eq!(geom(&f).geometry, Geometry::MultiPolygon(polys.clone()));
        let f = p11(r#"<ogc:Intersects><gml:MultiPolygon srsName="EPSG:32632"><gml:polygonMember><gml:Polygon><gml:outerBoundaryIs><gml:LinearRing><gml:coordinates>0,0 1,0 1,1 0,0</gml:coordinates></gml:LinearRing></gml:outerBoundaryIs></gml:Polygon></gml:polygonMember><gml:polygonMember><gml:Polygon><gml:outerBoundaryIs><gml:LinearRing><gml:coordinates>5,5 6,5 6,6 5,5</gml:coordinates></gml:LinearRing></gml:outerBoundaryIs></gml:Polygon></gml:polygonMember></gml:MultiPolygon></ogc:Intersects>"#).unwrap();
        assert_eq!(geom(&f).geometry, Geometry::MultiPolygon(polys));

        syntax(p2(r#"<fes:Intersects><gml:MultiPoint/></fes:Intersects>"#));
        syntax(p2(
            r#"<fes:Intersects><gml:MultiPoint><gml:pointMember><gml:LineString><gml:posList>0 0 1 1</gml:posList></gml:LineString></gml:pointMember></gml:MultiPoint></fes:Intersects>"#,
        ));
    }

    #[test]
    fn spatial_operators_and_distances() {
        let point = r#"<gml:Point srsName="EPSG:32632"><gml:pos>515000 5034000</gml:pos></gml:Point>"#;
        let lit = GeometryLiteral { geometry: Point::new(515000.0, 5034000.0).into(), crs: Crs::UTM32N };
        let f = p2(&format!(
            r#"<fes:DWithin><fes:ValueReference>geom</fes:ValueReference>{point}<fes:Distance uom="km">1.5</fes:Distance></fes:DWithin>"#
        ));
        assert_eq!(f.unwrap(), Filter::DWithin { geometry: lit.clone(), distance: 1500.0 });
        let f = p2(&format!(r#"<fes:Beyond>{point}<fes:Distance uom="urn:ogc:def:uom:EPSG::9001">20</fes:Distance></fes:Beyond>"#));
        assert_eq!(f.unwrap(), Filter::Not(Box::new(Filter::DWithin { geometry: lit.clone(), distance: 20.0 })));
        let f = p11(&format!(
            r#"<ogc:DWithin><ogc:PropertyName>geom</ogc:PropertyName>{point}<ogc:Distance units="m">250</ogc:Distance></ogc:DWithin>"#
        ));
        assert_eq!(f.unwrap(), Filter::DWithin { geometry: lit.clone(), distance: 250.0 });
        let f = p11(&format!(r#"<ogc:Beyond>{point}<ogc:Distance units="metre">5</ogc:Distance></ogc:Beyond>"#));
        assert_eq!(f.unwrap(), Filter::Not(Box::new(Filter::DWithin { geometry: lit.clone(), distance: 5.0 })));
        invalid(p2(&format!(r#"<fes:DWithin>{point}<fes:Distance uom="ft">5</fes:Distance></fes:DWithin>"#)));
        invalid(p2(&format!(r#"<fes:DWithin>{point}<fes:Distance>5</fes:Distance></fes:DWithin>"#)));
        invalid(p2(&format!(r#"<fes:DWithin>{point}<fes:Distance uom="m">-5</fes:Distance></fes:DWithin>"#)));
        syntax(p2(&format!(r#"<fes:DWithin>{point}</fes:DWithin>"#)));

        let f = p2(&format!("<fes:Disjoint><fes:ValueReference>geom</fes:ValueReference>{point}</fes:Disjoint>"));
        assert_eq!(f.unwrap(), Filter::Not(Box::new(Filter::Spatial { op: SpatialOp::Intersects, geometry: lit.clone() })));
        let f = p11(&format!("<ogc:Disjoint><ogc:PropertyName>geom</ogc:PropertyName>{point}</ogc:Disjoint>"));
        assert_eq!(f.unwrap(), Filter::Not(Box::new(Filter::Spatial { op: SpatialOp::Intersects, geometry: lit.clone() })));
        for (name, op) in [("Intersects", SpatialOp::Intersects), ("Within", SpatialOp::Within), ("Contains", SpatialOp::Contains)] {
            let f = p2(&format!("<fes:{name}><fes:ValueReference>navigli:the_geom</fes:ValueReference>{point}</fes:{name}>"));
            assert_eq!(f.unwrap(), Filter::Spatial { op, geometry: lit.clone() });
        }
        for name in ["Overlaps", "Crosses", "Touches", "Equals"] {
            let m = unsupported(p2(&format!("<fes:{name}><fes:ValueReference>geom</fes:ValueReference>{point}</fes:{name}>")));
            assert!(m.contains(name), "{m}");
        }
        unsupported(p2(&format!("<fes:Intersects><fes:ValueReference>geom/@x</fes:ValueReference>{point}</fes:Intersects>")));
        unsupported(p2("<fes:During><fes:ValueReference>data</fes:ValueReference></fes:During>"));
    }

    #[test]
    fn spatial_operators_must_name_the_geometry_when_it_is_known() {
        let known = FesContext { geometry: Some("geom"), ..ctx(FesVersion::V2_0) };
        let point = r#"<gml:Point srsName="EPSG:32632"><gml:pos>515000 5035000</gml:pos></gml:Point>"#;
        let envelope = r#"<gml:Envelope srsName="EPSG:32632"><gml:lowerCorner>0 0</gml:lowerCorner><gml:upperCorner>1 1</gml:upperCorner></gml:Envelope>"#;
        let operators = [
            format!("<fes:BBOX><fes:ValueReference>{{p}}</fes:ValueReference>{envelope}</fes:BBOX>"),
            format!("<fes:Intersects><fes:ValueReference>{{p}}</fes:ValueReference>{point}</fes:Intersects>"),
            format!("<fes:Within><fes:ValueReference>{{p}}</fes:ValueReference>{point}</fes:Within>"),
            format!("<fes:Contains><fes:ValueReference>{{p}}</fes:ValueReference>{point}</fes:Contains>"),
            format!("<fes:Disjoint><fes:ValueReference>{{p}}</fes:ValueReference>{point}</fes:Disjoint>"),
            format!(
                r#"<fes:DWithin><fes:ValueReference>{{p}}</fes:ValueReference>{point}<fes:Distance uom="m">5</fes:Distance></fes:DWithin>"#
            ),
            format!(
                r#"<fes:Beyond><fes:ValueReference>{{p}}</fes:ValueReference>{point}<fes:Distance uom="m">5</fes:Distance></fes:Beyond>"#
            ),
        ];
        for op in &operators {
            let parse = |p: &str| parse_filter(&format!("<fes:Filter {FES}>{}</fes:Filter>", op.replace("{p}", p)), &known);
            for good in ["geom", "navigli:geom", "edifici/geom"] {
                assert!(parse(good).is_ok(), "{op} with {good}: {:?}", parse(good));
            }
            for bad in ["nome", "navigli:piani", "the_geom"] {
                match parse(bad) {
                    Err(FesError::InvalidValue(m)) => assert!(m.contains("not the geometry property"), "{m}"),
                    other => panic!("{op} with {bad}: {other:?}"),
                }
            }
        }
        // Without a property, the operator means the type's geometry.
        let bare = format!("<fes:Filter {FES}><fes:Intersects>{point}</fes:Intersects></fes:Filter>");
        assert!(parse_filter(&bare, &known).is_ok());
    }

    #[test]
    fn property_names_are_simplified_or_refused() {
        let eq = |prop: &str| {
            p2(&format!("<fes:PropertyIsEqualTo><fes:ValueReference>{prop}</fes:ValueReference><fes:Literal>1</fes:Literal></fes:PropertyIsEqualTo>"))
        };
        for ok in ["nome", "navigli:nome", "edifici/nome", "navigli:edifici/navigli:nome", " nome ", "anno_costruzione", "città"] {
            assert_eq!(eq(ok).unwrap(), cmp(ok.trim().rsplit([':', '/']).next().unwrap(), CompareOp::Eq, "1"), "{ok}");
        }
        for xpath in
            ["edifici/nome/x", "strade/nome", "nome[1]", "@nome", "*", "../nome", "count(nome)", "nome | x", "a b", ".", "/nome", "a:b:c"]
        {
            unsupported(eq(xpath));
        }
        invalid(eq("nome';--"));
        syntax(eq(""));
        syntax(p2(
            "<fes:PropertyIsEqualTo><fes:ValueReference><x/></fes:ValueReference><fes:Literal>1</fes:Literal></fes:PropertyIsEqualTo>",
        ));
    }

    #[test]
    fn sql_injection_text_stays_a_literal() {
        let f = p2("<fes:PropertyIsEqualTo><fes:ValueReference>nome</fes:ValueReference><fes:Literal>' OR '1'='1</fes:Literal></fes:PropertyIsEqualTo>");
        assert_eq!(f.unwrap(), cmp("nome", CompareOp::Eq, "' OR '1'='1"));
        let f = p2("<fes:PropertyIsEqualTo><fes:ValueReference>nome</fes:ValueReference><fes:Literal>&apos; OR &#39;1&#x27;=&quot;1&lt;&gt;&amp;</fes:Literal></fes:PropertyIsEqualTo>");
        assert_eq!(f.unwrap(), cmp("nome", CompareOp::Eq, "' OR '1'=\"1<>&"));
        let f = p2("<fes:PropertyIsEqualTo><fes:ValueReference>nome</fes:ValueReference><fes:Literal><![CDATA[<b> & ' ]]></fes:Literal></fes:PropertyIsEqualTo>");
        assert_eq!(f.unwrap(), cmp("nome", CompareOp::Eq, "<b> & ' "));
        let f = p2("<fes:PropertyIsEqualTo><fes:ValueReference>nome</fes:ValueReference><fes:Literal/></fes:PropertyIsEqualTo>");
        assert_eq!(f.unwrap(), cmp("nome", CompareOp::Eq, ""));
        unsupported(p2("<fes:PropertyIsEqualTo><fes:ValueReference>nome</fes:ValueReference><fes:Literal><gml:Point><gml:pos>1 2</gml:pos></gml:Point></fes:Literal></fes:PropertyIsEqualTo>"));
    }

    #[test]
    fn root_element_and_namespaces() {
        let body = "<PropertyIsNull><ValueReference>a</ValueReference></PropertyIsNull>";
        let want = Filter::IsNull { property: "a".into() };
        let v2 = ctx(FesVersion::V2_0);
        // No namespace at all, default namespace on the root, undeclared prefixes.
        assert_eq!(parse_filter(&format!("<Filter>{body}</Filter>"), &v2).unwrap(), want);
        assert_eq!(parse_filter(&format!(r#"<Filter xmlns="http://www.opengis.net/fes/2.0">{body}</Filter>"#), &v2).unwrap(), want);
        let prefixed = "<fes:Filter><fes:PropertyIsNull><fes:ValueReference>a</fes:ValueReference></fes:PropertyIsNull></fes:Filter>";
        assert_eq!(parse_filter(prefixed, &v2).unwrap(), want);
        let with_decl = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c --><?pi x?>\n<Filter xmlns=\"http://www.opengis.net/ogc\">{body}</Filter>\n");
        assert_eq!(parse_filter(&with_decl, &ctx(FesVersion::V1_1)).unwrap(), want);
        // The wrong version's namespace.
        invalid(parse_filter(&format!(r#"<Filter xmlns="http://www.opengis.net/ogc">{body}</Filter>"#), &v2));
        invalid(parse_filter(&format!(r#"<fes:Filter {FES}>{body}</fes:Filter>"#), &ctx(FesVersion::V1_1)));
        syntax(parse_filter(&format!("<Query>{body}</Query>"), &v2));
        syntax(parse_filter(&format!("<Filter>{body}</Filter><Filter>{body}</Filter>"), &v2));
        syntax(parse_filter(&format!("<Filter>{body}</Filter>trailing"), &v2));
        syntax(parse_filter(&format!("<Filter>oops{body}</Filter>"), &v2));
    }

    #[test]
    fn malformed_documents() {
        let v2 = ctx(FesVersion::V2_0);
        syntax(parse_filter("", &v2));
        syntax(parse_filter("   \n ", &v2));
        syntax(parse_filter("not xml", &v2));
        let m = syntax(parse_filter("<Filter><PropertyIsNull><ValueReference>a</PropertyIsNull></ValueReference></Filter>", &v2));
        assert!(m.contains("ValueReference") || m.contains("PropertyIsNull"), "{m}");
        syntax(parse_filter("<Filter><PropertyIsNull><ValueReference>a</ValueReference></PropertyIsNull>", &v2));
        syntax(parse_filter("<Filter></Filter></Filter>", &v2));
        syntax(parse_filter(r#"<Filter a="1" a="2"/>"#, &v2));
        syntax(parse_filter("<Filter><PropertyIsNull><ValueReference>&foo;</ValueReference></PropertyIsNull></Filter>", &v2));
        let m = syntax(p2("<fes:PropertyIsSimilarTo><fes:ValueReference>a</fes:ValueReference></fes:PropertyIsSimilarTo>"));
        assert!(m.contains("PropertyIsSimilarTo"), "{m}");
        unsupported(p2("<fes:Function name=\"x\"/>"));
    }

    #[test]
    fn dtds_and_entities_are_refused() {
        let v2 = ctx(FesVersion::V2_0);
        let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<Filter><PropertyIsEqualTo><ValueReference>a</ValueReference><Literal>&lol9;</Literal></PropertyIsEqualTo></Filter>"#;
        assert_eq!(syntax(parse_filter(laughs, &v2)), "DTDs are not allowed");
        let xxe = r#"<!doctype Filter [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Filter><PropertyIsEqualTo><ValueReference>a</ValueReference><Literal>&xxe;</Literal></PropertyIsEqualTo></Filter>"#;
        assert_eq!(syntax(parse_filter(xxe, &v2)), "DTDs are not allowed");
        assert_eq!(syntax(parse_filter("<!ENTITY x \"y\"><Filter/>", &v2)), "DTDs are not allowed");
        assert_eq!(syntax(parse_filter("<Filter/><!DOCTYPE Filter>", &v2)), "DTDs are not allowed");
    }

    #[test]
    fn deep_nesting_is_refused_quickly() {
        let v2 = ctx(FesVersion::V2_0);
        let start = Instant::now();
        let deep = format!("<Filter>{}{}</Filter>", "<Not>".repeat(10_000), "</Not>".repeat(10_000));
        too_large(parse_filter(&deep, &v2));
        let unclosed = format!("<Filter>{}", "<Not>".repeat(100_000));
        too_large(parse_filter(&unclosed, &v2));
        // Refused without walking the nesting (a loose bound: tests share the machine).
        assert!(start.elapsed() < Duration::from_secs(10), "took {:?}", start.elapsed());
        // Within the XML limit but deeper than the filter AST allows.
        let leaf = "<PropertyIsNull><ValueReference>a</ValueReference></PropertyIsNull>";
        let nots = format!("<Filter>{}{leaf}{}</Filter>", "<Not>".repeat(40), "</Not>".repeat(40));
        too_large(parse_filter(&nots, &v2));
        let ok = format!("<Filter>{}{leaf}{}</Filter>", "<Not>".repeat(20), "</Not>".repeat(20));
        parse_filter(&ok, &v2).unwrap();
    }

    #[test]
    fn size_caps() {
        let v2 = ctx(FesVersion::V2_0);
        let literal = |n: usize| {
            format!(
                "<Filter><PropertyIsEqualTo><ValueReference>a</ValueReference><Literal>{}</Literal></PropertyIsEqualTo></Filter>",
                "x".repeat(n)
            )
        };
        parse_filter(&literal(MAX_LITERAL_BYTES), &v2).unwrap();
        too_large(parse_filter(&literal(MAX_LITERAL_BYTES + 1), &v2));
        too_large(parse_filter(&literal(MAX_INPUT_BYTES), &v2));
        // Too many elements.
        let many = format!("<Filter><Or>{}</Or></Filter>", "<ResourceId rid=\"edifici.1\"/>".repeat(MAX_ELEMENTS));
        too_large(parse_filter(&many, &v2));
        // Too many AST nodes.
        let leaf = "<PropertyIsNull><ValueReference>a</ValueReference></PropertyIsNull>";
        let wide = format!("<Filter><Or>{}</Or></Filter>", leaf.repeat(MAX_FILTER_NODES));
        too_large(parse_filter(&wide, &v2));
        let ids = format!("<Filter>{}</Filter>", "<ResourceId rid=\"edifici.1\"/>".repeat(MAX_FILTER_NODES));
        too_large(parse_filter(&ids, &v2));
        // Too many coordinates.
        let coords = "0 0 ".repeat(MAX_COORDINATES + 1);
        let line = format!("<Filter><Intersects><LineString><posList>{coords}</posList></LineString></Intersects></Filter>");
        assert!(line.len() < MAX_INPUT_BYTES);
        too_large(parse_filter(&line, &v2));
    }
}
