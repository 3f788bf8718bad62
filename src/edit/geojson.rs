//! GeoJSON features sent by clients (OGC API – Features Part 4): a `Feature` object into an
//! [`Incoming`] — its properties as values, its geometry (RFC 7946 types, two coordinates per
//! position, at most [`super::MAX_COORDINATES`]) in the CRS the request names. Every problem is
//! a message with a JSON pointer to the member at fault.

use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use serde_json::Value as Json;

use super::{Incoming, MAX_COORDINATES};
use crate::crs::Crs;
use crate::filter::GeometryLiteral;
use crate::model::Value;

/// A refusal: the JSON pointer of the member at fault and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonProblem {
    /// JSON pointer (`/properties/nome`).
    pub pointer: String,
    /// Why.
    pub message: String,
}

fn problem(pointer: impl Into<String>, message: impl Into<String>) -> JsonProblem {
    JsonProblem { pointer: pointer.into(), message: message.into() }
}

/// Reads a GeoJSON `Feature` (`crs`: the CRS of its coordinates, with its axis order when
/// `north_first`). An `id` member, when present, is returned for the caller to check.
pub fn feature(doc: &Json, crs: Crs) -> Result<(Incoming, Option<Json>), JsonProblem> {
    let obj = doc.as_object().ok_or_else(|| problem("", "the body must be a GeoJSON Feature object"))?;
    match obj.get("type").and_then(Json::as_str) {
        Some("Feature") => {}
        Some(other) => return Err(problem("/type", format!("expected a Feature, found {}", clip(other)))),
        None => return Err(problem("/type", "a GeoJSON Feature needs \"type\": \"Feature\"")),
    }
    let mut properties = Vec::new();
    match obj.get("properties") {
        None | Some(Json::Null) => {}
        Some(Json::Object(map)) => {
            for (name, v) in map {
                let pointer = format!("/properties/{}", name.replace('~', "~0").replace('/', "~1"));
                let value = match v {
                    Json::Null => Value::Null,
                    Json::Bool(b) => Value::Bool(*b),
                    Json::Number(n) => match n.as_i64() {
                        Some(i) => Value::Int(i),
                        None => Value::Float(n.as_f64().ok_or_else(|| problem(&pointer, "number out of range"))?),
                    },
                    Json::String(s) => Value::Text(s.clone()),
                    Json::Array(_) | Json::Object(_) => {
                        return Err(problem(pointer, "property values are strings, numbers, booleans or null"))
                    }
                };
                properties.push((name.clone(), value));
            }
        }
        Some(_) => return Err(problem("/properties", "properties must be an object")),
    }
    let geometry = match obj.get("geometry") {
        None | Some(Json::Null) => None,
        Some(g) => {
            let mut budget = MAX_COORDINATES;
            let geometry = read_geometry(g, "/geometry", crs.north_first(), &mut budget)?;
            Some(GeometryLiteral { geometry, crs })
        }
    };
    Ok((Incoming { properties, geometry }, obj.get("id").cloned()))
}

fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

fn read_geometry(g: &Json, at: &str, swap: bool, budget: &mut usize) -> Result<Geometry<f64>, JsonProblem> {
    let kind = g.get("type").and_then(Json::as_str).ok_or_else(|| problem(format!("{at}/type"), "a geometry needs a type"))?;
    let coords = || g.get("coordinates").ok_or_else(|| problem(format!("{at}/coordinates"), "a geometry needs coordinates"));
    let at = format!("{at}/coordinates");
    Ok(match kind {
        "Point" => Geometry::Point(Point(position(coords()?, &at, swap, budget)?)),
        "MultiPoint" => Geometry::MultiPoint(MultiPoint(
            list(coords()?, &at)?
                .iter()
                .enumerate()
                .map(|(i, p)| position(p, &format!("{at}/{i}"), swap, budget).map(Point))
                .collect::<Result<_, _>>()?,
        )),
        "LineString" => Geometry::LineString(line(coords()?, &at, swap, budget)?),
        "MultiLineString" => Geometry::MultiLineString(MultiLineString(
            list(coords()?, &at)?.iter().enumerate().map(|(i, l)| line(l, &format!("{at}/{i}"), swap, budget)).collect::<Result<_, _>>()?,
        )),
        "Polygon" => Geometry::Polygon(polygon(coords()?, &at, swap, budget)?),
        "MultiPolygon" => Geometry::MultiPolygon(MultiPolygon(
            list(coords()?, &at)?
                .iter()
                .enumerate()
                .map(|(i, p)| polygon(p, &format!("{at}/{i}"), swap, budget))
                .collect::<Result<_, _>>()?,
        )),
        "GeometryCollection" => {
            return Err(problem(at.replace("/coordinates", "/type"), "geometry collections cannot be stored in a layer"))
        }
        other => return Err(problem(at.replace("/coordinates", "/type"), format!("unknown geometry type {}", clip(other)))),
    })
}

fn list<'j>(v: &'j Json, at: &str) -> Result<&'j Vec<Json>, JsonProblem> {
    v.as_array().ok_or_else(|| problem(at, "expected an array"))
}

fn position(v: &Json, at: &str, swap: bool, budget: &mut usize) -> Result<Coord<f64>, JsonProblem> {
    let a = list(v, at)?;
    if *budget == 0 {
        return Err(problem(at, format!("the geometry has more than {MAX_COORDINATES} positions")));
    }
    *budget -= 1;
    let n = |i: usize| a.get(i).and_then(Json::as_f64).filter(|f| f.is_finite());
    match (a.len(), n(0), n(1)) {
        (2, Some(x), Some(y)) => Ok(if swap { Coord { x: y, y: x } } else { Coord { x, y } }),
        (3.., _, _) => Err(problem(at, "positions have two coordinates here (the layers are 2D)")),
        _ => Err(problem(at, "a position is an array of two finite numbers")),
    }
}

fn line(v: &Json, at: &str, swap: bool, budget: &mut usize) -> Result<LineString<f64>, JsonProblem> {
    let points = list(v, at)?;
    let coords: Vec<Coord<f64>> =
        points.iter().enumerate().map(|(i, p)| position(p, &format!("{at}/{i}"), swap, budget)).collect::<Result<_, _>>()?;
    if coords.len() < 2 {
        return Err(problem(at, "a line needs at least two positions"));
    }
    Ok(LineString(coords))
}

fn polygon(v: &Json, at: &str, swap: bool, budget: &mut usize) -> Result<Polygon<f64>, JsonProblem> {
    let rings = list(v, at)?;
    let mut out = Vec::with_capacity(rings.len());
    for (i, r) in rings.iter().enumerate() {
        let ring = line(r, &format!("{at}/{i}"), swap, budget)?;
        if ring.0.len() < 4 || ring.0.first() != ring.0.last() {
            return Err(problem(format!("{at}/{i}"), "a ring needs at least four positions, the last equal to the first"));
        }
        out.push(ring);
    }
    let mut it = out.into_iter();
    let shell = it.next().ok_or_else(|| problem(at, "a polygon needs an exterior ring"))?;
    Ok(Polygon::new(shell, it.collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn features_read_with_pointers_to_problems() {
        let doc = json!({"type": "Feature", "properties": {"nome": "Scuola", "posti": 3}, "geometry": {"type": "Point", "coordinates": [9.19, 45.46]}});
        let (f, id) = feature(&doc, Crs::CRS84).unwrap();
        assert!(id.is_none());
        assert_eq!(f.properties, vec![("nome".into(), Value::Text("Scuola".into())), ("posti".into(), Value::Int(3))]);
        assert_eq!(f.geometry.unwrap().geometry, Geometry::Point(Point::new(9.19, 45.46)));
        let bad = json!({"type": "Feature", "properties": {"a/b": [1]}, "geometry": null});
        assert_eq!(feature(&bad, Crs::CRS84).unwrap_err().pointer, "/properties/a~1b");
        let bad = json!({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}});
        assert_eq!(feature(&bad, Crs::CRS84).unwrap_err().pointer, "/geometry/coordinates/0");
        let bad = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2, 3]}});
        assert!(feature(&bad, Crs::CRS84).is_err());
        assert_eq!(feature(&json!({"type": "FeatureCollection"}), Crs::CRS84).unwrap_err().pointer, "/type");
    }
}
