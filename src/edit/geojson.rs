//! GeoJSON features sent by clients (OGC API – Features Part 4): a `Feature` object into an
//! [`Incoming`] — its properties as values, its geometry (RFC 7946 types, two coordinates per
//! position, at most [`super::MAX_COORDINATES`]) in the CRS the request names. Every problem is
//! a message with a JSON pointer to the member at fault.

use serde_json::Value as Json;

use super::{Incoming, MAX_COORDINATES};
use crate::crs::Crs;
use crate::filter::GeometryLiteral;
pub use crate::geojson::JsonProblem;
use crate::geojson::{clip, problem, Reader};
use crate::model::Value;

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
            let reader = Reader { swap: crs.north_first(), drop_z: false, max_positions: MAX_COORDINATES };
            let geometry = reader.geometry(g, "/geometry")?;
            Some(GeometryLiteral { geometry, crs })
        }
    };
    Ok((Incoming { properties, geometry }, obj.get("id").cloned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Geometry, Point};
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
