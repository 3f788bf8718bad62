//! GML geometry literals inside filters: Point, LineString, Polygon (with holes), Envelope/Box,
//! the Multi* geometries, in GML 3.2 (`pos`/`posList`) and GML 2/3.1.1 (`coordinates`,
//! `outerBoundaryIs`) spellings, each with its `srsName` and `srsDimension` (axis order as the
//! module documentation of [`super`] says). The coordinates of one filter are capped
//! ([`super::MAX_COORDINATES`]).

use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};

use super::{echo, FesError, Node, Parser, SimpleText, Srs, MAX_COORDINATES};
use crate::crs::{Bbox, Crs, CrsSpelling};
use crate::filter::GeometryLiteral;

impl Parser<'_, '_> {
    /// The reading rules of `node`: its own `srsName`/`srsDimension`, else the inherited ones.
    pub(super) fn srs(&self, node: &Node, inherited: Option<Srs>) -> Result<Srs, FesError> {
        let mut srs = match node.attr("srsName") {
            Some(name) => {
                let (crs, spelling) = Crs::parse(name).ok_or_else(|| FesError::InvalidValue(format!("unknown srsName {}", echo(name))))?;
                if inherited.is_some_and(|p| p.crs != crs) {
                    return Err(FesError::Unsupported(format!("mixed CRS in one geometry ({})", echo(name))));
                }
                let swap = matches!(spelling, CrsSpelling::Urn | CrsSpelling::Uri) && crs.north_first() && !self.ctx.xy_order;
                Srs { crs, swap, dim: inherited.and_then(|p| p.dim) }
            }
            None => inherited.unwrap_or(Srs { crs: self.ctx.default_crs, swap: false, dim: None }),
        };
        if let Some(dim) = dimension(node)? {
            srs.dim = Some(dim);
        }
        Ok(srs)
    }

    pub(super) fn geometry_literal(&mut self, node: &Node) -> Result<GeometryLiteral, FesError> {
        let srs = self.srs(node, None)?;
        let geometry = self.geometry(node, srs)?;
        Ok(GeometryLiteral { geometry, crs: srs.crs })
    }

    fn geometry(&mut self, node: &Node, parent: Srs) -> Result<Geometry<f64>, FesError> {
        let srs = self.srs(node, Some(parent))?;
        let name = node.local.as_str();
        Ok(match name {
            "Point" => Geometry::Point(self.point(node, srs)?),
            "LineString" => Geometry::LineString(self.line_string(node, srs)?),
            "Polygon" => Geometry::Polygon(self.polygon(node, srs)?),
            "Envelope" | "Box" => Geometry::Polygon(self.envelope(node, srs)?.to_polygon()),
            "MultiPoint" => {
                let mut points = Vec::new();
                for (m, srs) in self.members(node, srs, &["pointMember"], &["pointMembers"])? {
                    expect_name(m, &["Point"], name)?;
                    points.push(self.point(m, srs)?);
                }
                Geometry::MultiPoint(MultiPoint(points))
            }
            "MultiCurve" | "MultiLineString" => {
                let mut lines = Vec::new();
                for (m, srs) in self.members(node, srs, &["curveMember", "lineStringMember"], &["curveMembers"])? {
                    expect_name(m, &["LineString"], name)?;
                    lines.push(self.line_string(m, srs)?);
                }
                Geometry::MultiLineString(MultiLineString(lines))
            }
            "MultiSurface" | "MultiPolygon" => {
                let mut polygons = Vec::new();
                for (m, srs) in self.members(node, srs, &["surfaceMember", "polygonMember"], &["surfaceMembers"])? {
                    expect_name(m, &["Polygon"], name)?;
                    polygons.push(self.polygon(m, srs)?);
                }
                Geometry::MultiPolygon(MultiPolygon(polygons))
            }
            "Curve"
            | "Surface"
            | "OrientableCurve"
            | "OrientableSurface"
            | "CompositeCurve"
            | "CompositeSurface"
            | "MultiGeometry"
            | "Solid"
            | "MultiSolid"
            | "PolyhedralSurface"
            | "TriangulatedSurface"
            | "Tin"
            | "Ring"
            | "LinearRing" => return Err(FesError::Unsupported(format!("gml:{name} is not supported as a geometry literal"))),
            other => return Err(FesError::Syntax(format!("unknown geometry element {}", echo(other)))),
        })
    }

    /// The member geometries of a multi-geometry, each with the reading rules it inherits.
    fn members<'n>(&self, node: &'n Node, srs: Srs, single: &[&str], plural: &[&str]) -> Result<Vec<(&'n Node, Srs)>, FesError> {
        let mut out = Vec::new();
        for child in &node.children {
            if child.is(single) {
                let [m] = child.children.as_slice() else {
                    return Err(FesError::Syntax(format!("{} needs exactly one geometry", child.local)));
                };
                out.push((m, self.srs(child, Some(srs))?));
            } else if child.is(plural) {
                let srs = self.srs(child, Some(srs))?;
                out.extend(child.children.iter().map(|m| (m, srs)));
            } else {
                return Err(FesError::Syntax(format!("unexpected element {} in {}", echo(&child.local), node.local)));
            }
        }
        if out.is_empty() {
            return Err(FesError::Syntax(format!("{} has no members", node.local)));
        }
        Ok(out)
    }

    fn point(&mut self, node: &Node, parent: Srs) -> Result<Point<f64>, FesError> {
        let srs = self.srs(node, Some(parent))?;
        let coords = self.positions(node, srs)?;
        match coords.as_slice() {
            [c] => Ok(Point(*c)),
            _ => Err(FesError::Syntax("Point needs exactly one position".into())),
        }
    }

    fn line_string(&mut self, node: &Node, parent: Srs) -> Result<LineString<f64>, FesError> {
        let srs = self.srs(node, Some(parent))?;
        let coords = self.positions(node, srs)?;
        if coords.len() < 2 {
            return Err(FesError::InvalidValue("LineString needs at least two positions".into()));
        }
        Ok(LineString(coords))
    }

    fn polygon(&mut self, node: &Node, parent: Srs) -> Result<Polygon<f64>, FesError> {
        let srs = self.srs(node, Some(parent))?;
        let mut exterior = None;
        let mut interiors = Vec::new();
        for child in &node.children {
            let outer = match child.local.as_str() {
                "exterior" | "outerBoundaryIs" => true,
                "interior" | "innerBoundaryIs" => false,
                other => return Err(FesError::Syntax(format!("unexpected element {} in Polygon", echo(other)))),
            };
            let child_srs = self.srs(child, Some(srs))?;
            let [ring] = child.children.as_slice() else {
                return Err(FesError::Syntax(format!("{} needs one LinearRing", child.local)));
            };
            let ring = self.ring(ring, child_srs)?;
            if outer {
                if exterior.replace(ring).is_some() {
                    return Err(FesError::Syntax("Polygon has more than one exterior".into()));
                }
            } else {
                interiors.push(ring);
            }
        }
        let exterior = exterior.ok_or_else(|| FesError::Syntax("Polygon needs an exterior".into()))?;
        Ok(Polygon::new(exterior, interiors))
    }

    fn ring(&mut self, node: &Node, parent: Srs) -> Result<LineString<f64>, FesError> {
        match node.local.as_str() {
            "LinearRing" => {}
            "Ring" => return Err(FesError::Unsupported("gml:Ring is not supported, use gml:LinearRing".into())),
            other => return Err(FesError::Syntax(format!("expected LinearRing, found {}", echo(other)))),
        }
        let srs = self.srs(node, Some(parent))?;
        let coords = self.positions(node, srs)?;
        if coords.len() < 4 {
            return Err(FesError::InvalidValue("LinearRing needs at least four positions".into()));
        }
        if coords.first() != coords.last() {
            return Err(FesError::InvalidValue("LinearRing is not closed (first and last positions differ)".into()));
        }
        Ok(LineString(coords))
    }

    pub(super) fn envelope(&mut self, node: &Node, parent: Srs) -> Result<Bbox, FesError> {
        let srs = self.srs(node, Some(parent))?;
        let name = node.local.as_str();
        let corners: Vec<Coord<f64>> = if node.children.iter().any(|c| c.is(&["lowerCorner", "upperCorner"])) {
            let (mut lower, mut upper) = (None, None);
            for child in &node.children {
                let slot = match child.local.as_str() {
                    "lowerCorner" => &mut lower,
                    "upperCorner" => &mut upper,
                    other => return Err(FesError::Syntax(format!("unexpected element {} in {name}", echo(other)))),
                };
                let s = self.srs(child, Some(srs))?;
                let c = self.position(child, s)?;
                if slot.replace(c).is_some() {
                    return Err(FesError::Syntax(format!("duplicate {} in {name}", child.local)));
                }
            }
            match (lower, upper) {
                (Some(l), Some(u)) => vec![l, u],
                _ => return Err(FesError::Syntax(format!("{name} needs lowerCorner and upperCorner"))),
            }
        } else {
            self.positions(node, srs)?
        };
        let [l, u] = corners.as_slice() else {
            return Err(FesError::Syntax(format!("{name} needs two corners")));
        };
        Bbox::new(l.x, l.y, u.x, u.y)
            .ok_or_else(|| FesError::InvalidValue(format!("{name} lower corner is not below and left of the upper corner")))
    }

    /// All positions held by the children of a curve, ring or point element.
    fn positions(&mut self, node: &Node, srs: Srs) -> Result<Vec<Coord<f64>>, FesError> {
        let mut out = Vec::new();
        for child in &node.children {
            let child_srs = self.srs(child, Some(srs))?;
            match child.local.as_str() {
                "pos" => out.push(self.position(child, child_srs)?),
                "posList" => {
                    let dim = child_srs.dim.unwrap_or(2);
                    let mut ordinates = Vec::with_capacity(dim);
                    for token in child.text.split_ascii_whitespace() {
                        ordinates.push(number(token, "posList")?);
                        if ordinates.len() == dim {
                            out.push(self.coord(ordinates[0], ordinates[1], child_srs)?);
                            ordinates.clear();
                        }
                    }
                    if !ordinates.is_empty() {
                        return Err(FesError::InvalidValue(format!("posList length is not a multiple of its dimension {dim}")));
                    }
                    if !child.children.is_empty() {
                        return Err(FesError::Syntax("unexpected element in posList".into()));
                    }
                }
                "coordinates" => self.coordinates(child, child_srs, &mut out)?,
                "coord" => {
                    let mut xy = [None, None];
                    for c in &child.children {
                        let slot = match c.local.as_str() {
                            "X" => &mut xy[0],
                            "Y" => &mut xy[1],
                            "Z" => continue,
                            other => return Err(FesError::Syntax(format!("unexpected element {} in coord", echo(other)))),
                        };
                        *slot = Some(number(c.simple_text()?.trim(), "coord")?);
                    }
                    let [Some(x), Some(y)] = xy else {
                        return Err(FesError::Syntax("coord needs X and Y".into()));
                    };
                    out.push(self.coord(x, y, child_srs)?);
                }
                other => return Err(FesError::Syntax(format!("unexpected element {} in {}", echo(other), node.local))),
            }
        }
        if out.is_empty() {
            return Err(FesError::Syntax(format!("{} has no coordinates", node.local)));
        }
        Ok(out)
    }

    /// One `pos`-like element (`pos`, `lowerCorner`, `upperCorner`).
    fn position(&mut self, node: &Node, srs: Srs) -> Result<Coord<f64>, FesError> {
        let name = node.local.as_str();
        let text = node.simple_text()?;
        let mut ordinates = [0.0; 3];
        let mut n = 0;
        for token in text.split_ascii_whitespace() {
            if n == 3 {
                return Err(FesError::InvalidValue(format!("{name} has too many coordinates")));
            }
            ordinates[n] = number(token, name)?;
            n += 1;
        }
        if n < 2 || srs.dim.is_some_and(|d| d != n) {
            return Err(FesError::InvalidValue(format!("{name} needs {} coordinates", srs.dim.unwrap_or(2))));
        }
        self.coord(ordinates[0], ordinates[1], srs)
    }

    /// GML 2 style `coordinates` with its `cs`, `ts` and `decimal` separators.
    fn coordinates(&mut self, node: &Node, srs: Srs, out: &mut Vec<Coord<f64>>) -> Result<(), FesError> {
        let text = node.simple_text()?;
        let cs = node.attr("cs").unwrap_or(",");
        let ts = node.attr("ts").unwrap_or(" ");
        let decimal = node.attr("decimal").unwrap_or(".");
        if cs.is_empty() || ts.is_empty() || decimal.is_empty() || cs == ts || cs == decimal || ts == decimal {
            return Err(FesError::InvalidValue("invalid separators in coordinates".into()));
        }
        let tuples: Box<dyn Iterator<Item = &str>> =
            if ts.trim().is_empty() { Box::new(text.split_whitespace()) } else { Box::new(text.split(ts).map(str::trim)) };
        for tuple in tuples {
            if tuple.is_empty() {
                continue;
            }
            let mut ordinates = [0.0; 3];
            let mut n = 0;
            for part in tuple.split(cs) {
                if n == 3 {
                    return Err(FesError::InvalidValue("coordinates tuple has too many values".into()));
                }
                let part = part.trim();
                ordinates[n] =
                    if decimal == "." { number(part, "coordinates")? } else { number(&part.replace(decimal, "."), "coordinates")? };
                n += 1;
            }
            if n < 2 || srs.dim.is_some_and(|d| d != n) {
                return Err(FesError::InvalidValue(format!("coordinates tuple needs {} values", srs.dim.unwrap_or(2))));
            }
            out.push(self.coord(ordinates[0], ordinates[1], srs)?);
        }
        Ok(())
    }

    /// A coordinate in GIS order, counted against [`MAX_COORDINATES`].
    fn coord(&mut self, a: f64, b: f64, srs: Srs) -> Result<Coord<f64>, FesError> {
        self.coordinates += 1;
        if self.coordinates > MAX_COORDINATES {
            return Err(FesError::TooLarge(format!("geometry literals hold more than {MAX_COORDINATES} positions")));
        }
        Ok(if srs.swap { Coord { x: b, y: a } } else { Coord { x: a, y: b } })
    }
}

fn expect_name(node: &Node, names: &[&str], within: &str) -> Result<(), FesError> {
    if node.is(names) {
        Ok(())
    } else {
        Err(FesError::Syntax(format!("unexpected element {} in {within}", echo(&node.local))))
    }
}

fn dimension(node: &Node) -> Result<Option<usize>, FesError> {
    match node.attr("srsDimension").map(str::trim) {
        None => Ok(None),
        Some("2") => Ok(Some(2)),
        Some("3") => Ok(Some(3)),
        Some(other) => Err(FesError::InvalidValue(format!("unsupported srsDimension {}", echo(other)))),
    }
}

pub(super) fn number(token: &str, element: &str) -> Result<f64, FesError> {
    match token.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(FesError::InvalidValue(format!("invalid number {} in {element}", echo(token)))),
    }
}
