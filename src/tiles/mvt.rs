//! Mapbox Vector Tile 2.1 encoding, our own: geometries in Web Mercator are simplified to half a
//! tile unit, moved to tile coordinates (y down), clipped to the buffered tile square, snapped
//! to the integer grid, cleaned (repeated points, degenerate rings and lines dropped), oriented
//! (exterior rings clockwise on screen, holes counter-clockwise) and written as protobuf.
//! Used for every backend without its own tile SQL (GeoPackage); PostGIS uses `ST_AsMVT`.
//!
//! A tile is a protobuf message whose field 3 repeats layers, so a composite tile is the
//! concatenation of one-layer tiles.

use std::collections::HashMap;

use geo::{Coord, Geometry, LineString, Polygon, Simplify};

use crate::crs::Bbox;
use crate::model::Value;

/// MVT geometry types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeomType {
    /// Points.
    Point = 1,
    /// Lines.
    LineString = 2,
    /// Polygons.
    Polygon = 3,
}

/// Where a tile sits: its Web Mercator box, the grid size and the clip buffer (tile units).
#[derive(Clone, Copy, Debug)]
pub struct TileFrame {
    /// The tile's square in EPSG:3857 metres.
    pub bbox: Bbox,
    /// Grid size (4096 by default).
    pub extent: u32,
    /// Clip buffer around the tile, in tile units.
    pub buffer: u32,
}

impl TileFrame {
    /// Metres per tile unit.
    pub fn unit(&self) -> f64 {
        (self.bbox.max_x - self.bbox.min_x) / f64::from(self.extent)
    }

    /// The buffered square in EPSG:3857 metres.
    pub fn buffered_bbox(&self) -> Bbox {
        let b = f64::from(self.buffer) * self.unit();
        Bbox { min_x: self.bbox.min_x - b, min_y: self.bbox.min_y - b, max_x: self.bbox.max_x + b, max_y: self.bbox.max_y + b }
    }

    fn tile_point(&self, c: Coord<f64>) -> (f64, f64) {
        let e = f64::from(self.extent);
        (
            (c.x - self.bbox.min_x) / (self.bbox.max_x - self.bbox.min_x) * e,
            (self.bbox.max_y - c.y) / (self.bbox.max_y - self.bbox.min_y) * e,
        )
    }
}

fn zigzag(n: i64) -> u32 {
    ((n << 1) ^ (n >> 63)) as u32
}

fn command(id: u32, count: usize) -> u32 {
    (id & 7) | ((count as u32) << 3)
}

/// Appends parameter integers for a run of points (relative to the cursor).
fn push_points(out: &mut Vec<u32>, cursor: &mut (i64, i64), points: &[(i64, i64)]) {
    for &(x, y) in points {
        out.push(zigzag(x - cursor.0));
        out.push(zigzag(y - cursor.1));
        *cursor = (x, y);
    }
}

/// Clips a ring (float tile coordinates) to the square `lo..hi` (Sutherland–Hodgman).
fn clip_ring(ring: &[(f64, f64)], lo: f64, hi: f64) -> Vec<(f64, f64)> {
    let mut pts: Vec<(f64, f64)> = ring.to_vec();
    // Each edge: inside test and intersection, for x ≥ lo, x ≤ hi, y ≥ lo, y ≤ hi.
    for edge in 0..4 {
        if pts.is_empty() {
            break;
        }
        let inside = |p: (f64, f64)| match edge {
            0 => p.0 >= lo,
            1 => p.0 <= hi,
            2 => p.1 >= lo,
            _ => p.1 <= hi,
        };
        let cross = |a: (f64, f64), b: (f64, f64)| {
            let (v, av, bv) = match edge {
                0 => (lo, a.0, b.0),
                1 => (hi, a.0, b.0),
                2 => (lo, a.1, b.1),
                _ => (hi, a.1, b.1),
            };
            let t = (v - av) / (bv - av);
            (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))
        };
        let input = std::mem::take(&mut pts);
        for i in 0..input.len() {
            let (cur, prev) = (input[i], input[(i + input.len() - 1) % input.len()]);
            match (inside(prev), inside(cur)) {
                (true, true) => pts.push(cur),
                (true, false) => pts.push(cross(prev, cur)),
                (false, true) => {
                    pts.push(cross(prev, cur));
                    pts.push(cur);
                }
                (false, false) => {}
            }
        }
    }
    pts
}

fn snap(points: &[(f64, f64)]) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(points.len());
    for &(x, y) in points {
        let p = (x.round() as i64, y.round() as i64);
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    out
}

/// Twice the signed area (surveyor's formula, tile coordinates, y down: clockwise > 0).
fn area2(ring: &[(i64, i64)]) -> i64 {
    let n = ring.len();
    (0..n).map(|i| ring[i].0 * ring[(i + 1) % n].1 - ring[(i + 1) % n].0 * ring[i].1).sum()
}

/// Encodes a geometry (EPSG:3857) into MVT commands for `frame`; `None` when nothing of it
/// remains in the tile.
pub fn encode_geometry(geometry: &Geometry<f64>, frame: &TileFrame, simplify: bool) -> Option<(GeomType, Vec<u32>)> {
    let tolerance = frame.unit() / 2.0;
    let simplify = simplify && tolerance > 0.0;
    let lo = -f64::from(frame.buffer);
    let hi = f64::from(frame.extent + frame.buffer);
    let mut out = Vec::new();
    let mut cursor = (0i64, 0i64);
    // Lines and polygons smaller than half a tile unit either way are not worth sending (the
    // rule of PostGIS's ST_AsMVTGeom, so both backends drop the same features).
    if !matches!(geometry, Geometry::Point(_) | Geometry::MultiPoint(_)) {
        use geo::BoundingRect;
        let r = geometry.bounding_rect()?;
        if r.width() < tolerance && r.height() < tolerance {
            return None;
        }
    }
    let ring_points = |l: &LineString<f64>| -> Vec<(f64, f64)> { l.0.iter().map(|c| frame.tile_point(*c)).collect() };
    match geometry {
        Geometry::Point(_) | Geometry::MultiPoint(_) => {
            let pts: Vec<Coord<f64>> = match geometry {
                Geometry::Point(p) => vec![p.0],
                Geometry::MultiPoint(mp) => mp.0.iter().map(|p| p.0).collect(),
                _ => unreachable!(),
            };
            let mut tile: Vec<(i64, i64)> = pts
                .iter()
                .map(|c| frame.tile_point(*c))
                .map(|(x, y)| (x.round(), y.round()))
                .filter(|p| p.0 >= lo && p.0 <= hi && p.1 >= lo && p.1 <= hi)
                .map(|(x, y)| (x as i64, y as i64))
                .collect();
            tile.dedup();
            if tile.is_empty() {
                return None;
            }
            out.push(command(1, tile.len()));
            push_points(&mut out, &mut cursor, &tile);
            Some((GeomType::Point, out))
        }
        Geometry::LineString(_) | Geometry::MultiLineString(_) => {
            let lines: Vec<&LineString<f64>> = match geometry {
                Geometry::LineString(l) => vec![l],
                Geometry::MultiLineString(ml) => ml.0.iter().collect(),
                _ => unreachable!(),
            };
            for l in lines {
                let l = if simplify { l.simplify(tolerance) } else { l.clone() };
                for part in crate::clip::clip_polyline(&ring_points(&l), (lo, lo, hi, hi)) {
                    let pts = snap(&part);
                    if pts.len() < 2 {
                        continue;
                    }
                    out.push(command(1, 1));
                    push_points(&mut out, &mut cursor, &pts[..1]);
                    out.push(command(2, pts.len() - 1));
                    push_points(&mut out, &mut cursor, &pts[1..]);
                }
            }
            (!out.is_empty()).then_some((GeomType::LineString, out))
        }
        Geometry::Polygon(_) | Geometry::MultiPolygon(_) => {
            let polygons: Vec<&Polygon<f64>> = match geometry {
                Geometry::Polygon(p) => vec![p],
                Geometry::MultiPolygon(mp) => mp.0.iter().collect(),
                _ => unreachable!(),
            };
            for p in polygons {
                let p = if simplify { p.simplify(tolerance) } else { p.clone() };
                let mut rings = Vec::new();
                for (i, ring) in std::iter::once(p.exterior()).chain(p.interiors()).enumerate() {
                    let mut pts = ring_points(ring);
                    pts.pop(); // the closing point
                    let mut snapped = snap(&clip_ring(&pts, lo, hi));
                    while snapped.len() > 1 && snapped.first() == snapped.last() {
                        snapped.pop();
                    }
                    let a = if snapped.len() >= 3 { area2(&snapped) } else { 0 };
                    // Rings under one square tile unit (a lone half-cell triangle) are dropped,
                    // as ST_AsMVTGeom drops them.
                    if a.abs() < 2 {
                        if i == 0 {
                            break; // no exterior: the whole polygon is gone
                        }
                        continue;
                    }
                    // Exterior clockwise on screen (positive area), holes the other way.
                    if (i == 0) != (a > 0) {
                        snapped.reverse();
                    }
                    rings.push(snapped);
                }
                for ring in rings {
                    out.push(command(1, 1));
                    push_points(&mut out, &mut cursor, &ring[..1]);
                    out.push(command(2, ring.len() - 1));
                    push_points(&mut out, &mut cursor, &ring[1..]);
                    out.push(command(7, 1));
                }
            }
            (!out.is_empty()).then_some((GeomType::Polygon, out))
        }
        Geometry::GeometryCollection(_) | Geometry::Line(_) | Geometry::Rect(_) | Geometry::Triangle(_) => None,
    }
}

/// Reads a feature stream (geometries in EPSG:3857) into one MVT layer. The decoding and
/// encoding run on the blocking pool, pulling rows from the stream there, so a large tile never
/// holds up the server's async workers.
pub async fn encode_layer(
    mut rows: crate::source::FeatureStream,
    layer: std::sync::Arc<crate::source::SourceLayer>,
    query: crate::source::ResolvedQuery,
    params: crate::source::sql::MvtParams,
) -> Result<Vec<u8>, crate::source::SourceError> {
    use futures_util::StreamExt;
    let runtime = tokio::runtime::Handle::current();
    let encode = move || {
        let frame = TileFrame { bbox: params.bbox, extent: params.extent, buffer: params.buffer };
        let names: Vec<&str> = query.columns.iter().map(|&i| layer.attributes[i].name.as_str()).collect();
        let mut encoder = LayerEncoder::new(&params.name, params.extent);
        while let Some(row) = runtime.block_on(rows.next()) {
            let row = row?;
            let Some(wkb) = &row.wkb else { continue };
            let geometry = crate::encode::decode_wkb(row.id, wkb).map_err(|e| crate::source::SourceError::Geometry {
                layer: layer.name.clone(),
                id: row.id,
                message: e.to_string(),
            })?;
            let Some(encoded) = encode_geometry(&geometry, &frame, params.tolerance > 0.0) else { continue };
            let attributes: Vec<(&str, &Value)> = names.iter().copied().zip(row.values.iter()).collect();
            encoder.add(row.id, &attributes, encoded);
        }
        Ok(encoder.finish())
    };
    tokio::task::spawn_blocking(encode)
        .await
        .map_err(|e| crate::source::SourceError::Failed { source_id: String::new(), message: format!("tile encoder: {e}") })?
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn key(out: &mut Vec<u8>, field: u32, wire: u32) {
    varint(out, u64::from((field << 3) | wire));
}

fn bytes_field(out: &mut Vec<u8>, field: u32, data: &[u8]) {
    key(out, field, 2);
    varint(out, data.len() as u64);
    out.extend_from_slice(data);
}

fn packed(out: &mut Vec<u8>, field: u32, values: &[u32]) {
    let mut body = Vec::with_capacity(values.len() * 2);
    for &v in values {
        varint(&mut body, u64::from(v));
    }
    bytes_field(out, field, &body);
}

/// A layer value key for de-duplication (floats by bit pattern).
#[derive(Clone, PartialEq, Eq, Hash)]
enum ValueKey {
    Text(String),
    Int(i64),
    Float(u64),
    Bool(bool),
}

/// One MVT layer being written.
pub struct LayerEncoder {
    name: String,
    extent: u32,
    keys: Vec<String>,
    key_index: HashMap<String, u32>,
    values: Vec<ValueKey>,
    value_index: HashMap<ValueKey, u32>,
    features: Vec<u8>,
    count: usize,
}

impl LayerEncoder {
    /// A new, empty layer.
    pub fn new(name: &str, extent: u32) -> LayerEncoder {
        LayerEncoder {
            name: name.to_string(),
            extent,
            keys: Vec::new(),
            key_index: HashMap::new(),
            values: Vec::new(),
            value_index: HashMap::new(),
            features: Vec::new(),
            count: 0,
        }
    }

    /// Features written so far.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether no feature was written.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn key_of(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.key_index.get(name) {
            return i;
        }
        let i = self.keys.len() as u32;
        self.keys.push(name.to_string());
        self.key_index.insert(name.to_string(), i);
        i
    }

    fn value_of(&mut self, v: ValueKey) -> u32 {
        if let Some(&i) = self.value_index.get(&v) {
            return i;
        }
        let i = self.values.len() as u32;
        self.values.push(v.clone());
        self.value_index.insert(v, i);
        i
    }

    /// Adds a feature: id, attributes (NULLs are left out, as `ST_AsMVT` does) and encoded
    /// geometry.
    pub fn add(&mut self, id: i64, attributes: &[(&str, &Value)], geometry: (GeomType, Vec<u32>)) {
        let mut tags = Vec::with_capacity(attributes.len() * 2);
        for &(name, value) in attributes {
            let v = match value {
                Value::Null => continue,
                Value::Text(t) => ValueKey::Text(t.clone()),
                Value::Int(i) => ValueKey::Int(*i),
                Value::Float(f) => ValueKey::Float(f.to_bits()),
                Value::Bool(b) => ValueKey::Bool(*b),
            };
            tags.push(self.key_of(name));
            tags.push(self.value_of(v));
        }
        let mut f = Vec::with_capacity(16 + geometry.1.len() * 2);
        if id >= 0 {
            key(&mut f, 1, 0);
            varint(&mut f, id as u64);
        }
        if !tags.is_empty() {
            packed(&mut f, 2, &tags);
        }
        key(&mut f, 3, 0);
        varint(&mut f, geometry.0 as u64);
        packed(&mut f, 4, &geometry.1);
        bytes_field(&mut self.features, 2, &f);
        self.count += 1;
    }

    /// The tile (one layer) as bytes; empty when the layer has no feature.
    pub fn finish(self) -> Vec<u8> {
        if self.count == 0 {
            return Vec::new();
        }
        let mut layer = Vec::with_capacity(self.features.len() + 64);
        key(&mut layer, 15, 0);
        varint(&mut layer, 2);
        bytes_field(&mut layer, 1, self.name.as_bytes());
        layer.extend_from_slice(&self.features);
        for k in &self.keys {
            bytes_field(&mut layer, 3, k.as_bytes());
        }
        for v in &self.values {
            let mut body = Vec::new();
            match v {
                ValueKey::Text(t) => bytes_field(&mut body, 1, t.as_bytes()),
                ValueKey::Float(bits) => {
                    key(&mut body, 3, 1);
                    body.extend_from_slice(&f64::from_bits(*bits).to_le_bytes());
                }
                ValueKey::Int(i) if *i >= 0 => {
                    key(&mut body, 5, 0);
                    varint(&mut body, *i as u64);
                }
                ValueKey::Int(i) => {
                    key(&mut body, 6, 0);
                    varint(&mut body, ((*i << 1) ^ (*i >> 63)) as u64);
                }
                ValueKey::Bool(b) => {
                    key(&mut body, 7, 0);
                    varint(&mut body, u64::from(*b));
                }
            }
            bytes_field(&mut layer, 4, &body);
        }
        key(&mut layer, 5, 0);
        varint(&mut layer, u64::from(self.extent));
        let mut tile = Vec::with_capacity(layer.len() + 8);
        bytes_field(&mut tile, 3, &layer);
        tile
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> TileFrame {
        TileFrame { bbox: Bbox { min_x: 0.0, min_y: 0.0, max_x: 4096.0, max_y: 4096.0 }, extent: 4096, buffer: 64 }
    }

    /// Decodes commands back to absolute points per command run (for the tests).
    fn decode(cmds: &[u32]) -> Vec<(u32, Vec<(i64, i64)>)> {
        let mut out = Vec::new();
        let (mut i, mut cur) = (0, (0i64, 0i64));
        while i < cmds.len() {
            let (id, count) = (cmds[i] & 7, (cmds[i] >> 3) as usize);
            i += 1;
            let mut pts = Vec::new();
            if id != 7 {
                for _ in 0..count {
                    let un = |v: u32| ((v >> 1) as i64) ^ -((v & 1) as i64);
                    cur = (cur.0 + un(cmds[i]), cur.1 + un(cmds[i + 1]));
                    pts.push(cur);
                    i += 2;
                }
            }
            out.push((id, pts));
        }
        out
    }

    #[test]
    fn polygons_are_clipped_and_oriented_for_screen_space() {
        // A square from (-1000, 1000) to (1000, 3000) in map units: y up, so on screen its
        // rows run from 1096 down to 3096; x is clipped at -64.
        let square = Geometry::Polygon(geo::Rect::new((-1000.0, 1000.0), (1000.0, 3000.0)).to_polygon());
        let (t, cmds) = encode_geometry(&square, &frame(), false).unwrap();
        assert_eq!(t, GeomType::Polygon);
        let runs = decode(&cmds);
        assert_eq!(runs.len(), 3, "{runs:?}");
        let ring: Vec<(i64, i64)> = runs[0].1.iter().chain(runs[1].1.iter()).copied().collect();
        assert!(ring.iter().all(|p| p.0 >= -64 && p.0 <= 1000), "{ring:?}");
        assert!(area2(&ring) > 0, "exterior clockwise on screen: {ring:?}");
        assert_eq!(runs[2].0, 7);
        // Entirely outside the buffer: nothing.
        let far = Geometry::Polygon(geo::Rect::new((9000.0, 9000.0), (9500.0, 9500.0)).to_polygon());
        assert!(encode_geometry(&far, &frame(), false).is_none());
        // Smaller than a grid cell: nothing.
        let speck = Geometry::Polygon(geo::Rect::new((10.1, 10.1), (10.2, 10.2)).to_polygon());
        assert!(encode_geometry(&speck, &frame(), false).is_none());
    }

    #[test]
    fn holes_wind_against_the_exterior() {
        let outer = LineString::from(vec![(100.0, 100.0), (1000.0, 100.0), (1000.0, 1000.0), (100.0, 100.0)]);
        let poly = Polygon::new(
            LineString::from(vec![(100.0, 100.0), (2000.0, 100.0), (2000.0, 2000.0), (100.0, 2000.0), (100.0, 100.0)]),
            vec![LineString::from(vec![(500.0, 500.0), (800.0, 500.0), (800.0, 800.0), (500.0, 800.0), (500.0, 500.0)])],
        );
        let _ = outer;
        let (_, cmds) = encode_geometry(&Geometry::Polygon(poly), &frame(), false).unwrap();
        let runs = decode(&cmds);
        let ring = |a: usize| -> Vec<(i64, i64)> { runs[a].1.iter().chain(runs[a + 1].1.iter()).copied().collect() };
        assert!(area2(&ring(0)) > 0);
        assert!(area2(&ring(3)) < 0);
    }

    #[test]
    fn lines_split_where_they_leave_the_tile_and_points_outside_are_dropped() {
        // In at the left, out at the top, back in: two parts.
        let line = Geometry::LineString(LineString::from(vec![(-500.0, 2000.0), (2000.0, 2000.0), (2000.0, 9000.0), (3000.0, 2000.0)]));
        let (t, cmds) = encode_geometry(&line, &frame(), false).unwrap();
        assert_eq!(t, GeomType::LineString);
        let moves = decode(&cmds).iter().filter(|r| r.0 == 1).count();
        assert_eq!(moves, 2);
        let pts = Geometry::MultiPoint(geo::MultiPoint::from(vec![(10.0, 10.0), (-100.0, 10.0), (4000.0, 4000.0)]));
        let (t, cmds) = encode_geometry(&pts, &frame(), false).unwrap();
        assert_eq!(t, GeomType::Point);
        assert_eq!(decode(&cmds), vec![(1, vec![(10, 4086), (4000, 96)])]);
    }

    #[test]
    fn layers_deduplicate_keys_and_values() {
        let mut layer = LayerEncoder::new("edifici", 4096);
        let g = || (GeomType::Point, vec![command(1, 1), zigzag(5), zigzag(5)]);
        let uso = Value::Text("01".into());
        layer.add(1, &[("uso", &uso), ("piani", &Value::Int(3))], g());
        layer.add(2, &[("uso", &uso), ("piani", &Value::Null)], g());
        assert_eq!(layer.len(), 2);
        assert_eq!((layer.keys.len(), layer.values.len()), (2, 2));
        let bytes = layer.finish();
        assert_eq!(bytes[0], 0x1a, "field 3, length-delimited");
        assert!(LayerEncoder::new("x", 4096).finish().is_empty());
    }
}
