//! Reading RFC 7946 GeoJSON geometries into `geo` types, for every place GeoJSON comes in:
//! features clients send (`edit`), remote OGC API – Features answers (`source`), boundary
//! files (`navigli init`). Positions are checked (finite numbers, rings closed, lines of two
//! positions or more) and counted against a budget; every problem names the member at fault
//! with a JSON pointer.

use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use serde_json::Value as Json;

/// A refusal: the JSON pointer of the member at fault and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonProblem {
    /// JSON pointer (`/properties/nome`).
    pub pointer: String,
    /// Why.
    pub message: String,
}

/// A problem at `pointer`.
pub fn problem(pointer: impl Into<String>, message: impl Into<String>) -> JsonProblem {
    JsonProblem { pointer: pointer.into(), message: message.into() }
}

/// How positions are read.
#[derive(Clone, Copy, Debug)]
pub struct Reader {
    /// The CRS has its axes north first: the first coordinate is y.
    pub swap: bool,
    /// Positions with a third coordinate (an elevation) keep x and y; otherwise they are refused
    /// (the layers are 2-D and a client should know its Z is not stored).
    pub drop_z: bool,
    /// Most positions in one geometry.
    pub max_positions: usize,
}

impl Reader {
    /// Reads the geometry object `g` found at pointer `at`.
    pub fn geometry(&self, g: &Json, at: &str) -> Result<Geometry<f64>, JsonProblem> {
        let mut budget = self.max_positions;
        self.read(g, at, &mut budget)
    }

    fn read(&self, g: &Json, at: &str, budget: &mut usize) -> Result<Geometry<f64>, JsonProblem> {
        let kind = g.get("type").and_then(Json::as_str).ok_or_else(|| problem(format!("{at}/type"), "a geometry needs a type"))?;
        let coords = || g.get("coordinates").ok_or_else(|| problem(format!("{at}/coordinates"), "a geometry needs coordinates"));
        let at = format!("{at}/coordinates");
        Ok(match kind {
            "Point" => Geometry::Point(Point(self.position(coords()?, &at, budget)?)),
            "MultiPoint" => Geometry::MultiPoint(MultiPoint(
                list(coords()?, &at)?
                    .iter()
                    .enumerate()
                    .map(|(i, p)| self.position(p, &format!("{at}/{i}"), budget).map(Point))
                    .collect::<Result<_, _>>()?,
            )),
            "LineString" => Geometry::LineString(self.line(coords()?, &at, budget)?),
            "MultiLineString" => Geometry::MultiLineString(MultiLineString(
                list(coords()?, &at)?
                    .iter()
                    .enumerate()
                    .map(|(i, l)| self.line(l, &format!("{at}/{i}"), budget))
                    .collect::<Result<_, _>>()?,
            )),
            "Polygon" => Geometry::Polygon(self.polygon(coords()?, &at, budget)?),
            "MultiPolygon" => Geometry::MultiPolygon(MultiPolygon(
                list(coords()?, &at)?
                    .iter()
                    .enumerate()
                    .map(|(i, p)| self.polygon(p, &format!("{at}/{i}"), budget))
                    .collect::<Result<_, _>>()?,
            )),
            "GeometryCollection" => {
                return Err(problem(at.replace("/coordinates", "/type"), "geometry collections cannot be stored in a layer"))
            }
            other => return Err(problem(at.replace("/coordinates", "/type"), format!("unknown geometry type {}", clip(other)))),
        })
    }

    fn position(&self, v: &Json, at: &str, budget: &mut usize) -> Result<Coord<f64>, JsonProblem> {
        let a = list(v, at)?;
        if *budget == 0 {
            return Err(problem(at, format!("the geometry has more than {} positions", self.max_positions)));
        }
        *budget -= 1;
        let n = |i: usize| a.get(i).and_then(Json::as_f64).filter(|f| f.is_finite());
        let xy = |x: f64, y: f64| if self.swap { Coord { x: y, y: x } } else { Coord { x, y } };
        match (a.len(), n(0), n(1)) {
            (2, Some(x), Some(y)) => Ok(xy(x, y)),
            (3.., Some(x), Some(y)) if self.drop_z && a[2..].iter().all(|z| z.as_f64().is_some_and(f64::is_finite)) => Ok(xy(x, y)),
            (3.., _, _) if !self.drop_z => Err(problem(at, "positions have two coordinates here (the layers are 2D)")),
            _ => Err(problem(at, "a position is an array of two finite numbers")),
        }
    }

    fn line(&self, v: &Json, at: &str, budget: &mut usize) -> Result<LineString<f64>, JsonProblem> {
        let points = list(v, at)?;
        let coords: Vec<Coord<f64>> =
            points.iter().enumerate().map(|(i, p)| self.position(p, &format!("{at}/{i}"), budget)).collect::<Result<_, _>>()?;
        if coords.len() < 2 {
            return Err(problem(at, "a line needs at least two positions"));
        }
        Ok(LineString(coords))
    }

    fn polygon(&self, v: &Json, at: &str, budget: &mut usize) -> Result<Polygon<f64>, JsonProblem> {
        let rings = list(v, at)?;
        let mut out = Vec::with_capacity(rings.len());
        for (i, r) in rings.iter().enumerate() {
            let ring = self.line(r, &format!("{at}/{i}"), budget)?;
            if ring.0.len() < 4 || ring.0.first() != ring.0.last() {
                return Err(problem(format!("{at}/{i}"), "a ring needs at least four positions, the last equal to the first"));
            }
            out.push(ring);
        }
        let mut it = out.into_iter();
        let shell = it.next().ok_or_else(|| problem(at, "a polygon needs an exterior ring"))?;
        Ok(Polygon::new(shell, it.collect()))
    }
}

/// The first 40 characters of `s`, for messages.
pub fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

fn list<'j>(v: &'j Json, at: &str) -> Result<&'j Vec<Json>, JsonProblem> {
    v.as_array().ok_or_else(|| problem(at, "expected an array"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const R: Reader = Reader { swap: false, drop_z: false, max_positions: 10 };

    #[test]
    fn geometries_read_with_pointers_to_problems() {
        let g = R.geometry(&json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}), "/geometry").unwrap();
        assert!(matches!(g, Geometry::Polygon(p) if p.exterior().0.len() == 4));
        let swapped = Reader { swap: true, ..R }.geometry(&json!({"type": "Point", "coordinates": [45.0, 9.0]}), "").unwrap();
        assert_eq!(swapped, Geometry::Point(Point::new(9.0, 45.0)));
        let z = json!({"type": "Point", "coordinates": [1, 2, 3]});
        assert_eq!(R.geometry(&z, "/g").unwrap_err().pointer, "/g/coordinates");
        assert_eq!(Reader { drop_z: true, ..R }.geometry(&z, "/g").unwrap(), Geometry::Point(Point::new(1.0, 2.0)));
        let many = json!({"type": "LineString", "coordinates": vec![[0, 0]; 11]});
        assert!(R.geometry(&many, "").unwrap_err().message.contains("more than 10"));
        let open = json!({"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 1]]]]});
        assert_eq!(R.geometry(&open, "").unwrap_err().pointer, "/coordinates/0/0");
        assert_eq!(R.geometry(&json!({"type": "Circle"}), "").unwrap_err().pointer, "/type");
    }
}
