//! GeoJSON feature collections (`application/json`), written as they go. Coordinates are always
//! easting/longitude first (RFC 7946); a CRS other than WGS84 is named in a `crs` member
//! (GeoJSON 2008), which GDAL and QGIS read.

use std::io::Write as _;

use geo::{Coord, Geometry, LineString, Polygon};

use super::{decode_wkb, EncodeError, FeatureEncoder};
use crate::source::{Attribute, Feature, Value};

/// Everything known before the first feature.
#[derive(Clone, Debug)]
pub struct GeoJsonCollection {
    /// `numberMatched` (None: omitted).
    pub number_matched: Option<u64>,
    /// `numberReturned`.
    pub number_returned: u64,
    /// ISO 8601 time stamp.
    pub timestamp: String,
    /// URN of the CRS when it is not WGS84 (lon/lat).
    pub crs_urn: Option<String>,
    /// Next/previous page links.
    pub links: Vec<(String, String)>,
    /// Feature type name and selected attributes, per stream.
    pub types: Vec<(String, Vec<Attribute>)>,
}

/// Streaming GeoJSON writer.
pub struct GeoJsonEncoder {
    c: GeoJsonCollection,
    current: usize,
    first: bool,
}

impl GeoJsonEncoder {
    /// A writer for `collection`.
    pub fn new(c: GeoJsonCollection) -> GeoJsonEncoder {
        GeoJsonEncoder { c, current: 0, first: true }
    }
}

fn coord(out: &mut Vec<u8>, c: &Coord<f64>) {
    let _ = write!(out, "[{},{}]", c.x, c.y);
}

fn line(out: &mut Vec<u8>, l: &LineString<f64>) {
    out.push(b'[');
    for (i, c) in l.0.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        coord(out, c);
    }
    out.push(b']');
}

fn polygon(out: &mut Vec<u8>, p: &Polygon<f64>) {
    out.push(b'[');
    line(out, p.exterior());
    for hole in p.interiors() {
        out.push(b',');
        line(out, hole);
    }
    out.push(b']');
}

fn list<T>(out: &mut Vec<u8>, items: &[T], f: impl Fn(&mut Vec<u8>, &T)) {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        f(out, item);
    }
    out.push(b']');
}

/// Writes the `coordinates` array of one geometry.
type CoordinatesWriter<'a> = Box<dyn Fn(&mut Vec<u8>) + 'a>;

/// Writes a geometry object.
pub fn write_geometry(out: &mut Vec<u8>, g: &Geometry<f64>) -> Result<(), String> {
    let (kind, body): (&str, CoordinatesWriter<'_>) = match g {
        Geometry::Point(p) => ("Point", Box::new(move |o: &mut Vec<u8>| coord(o, &p.0))),
        Geometry::LineString(l) => ("LineString", Box::new(move |o: &mut Vec<u8>| line(o, l))),
        Geometry::Polygon(p) => ("Polygon", Box::new(move |o: &mut Vec<u8>| polygon(o, p))),
        Geometry::MultiPoint(mp) => ("MultiPoint", Box::new(move |o: &mut Vec<u8>| list(o, &mp.0, |o, p| coord(o, &p.0)))),
        Geometry::MultiLineString(ml) => ("MultiLineString", Box::new(move |o: &mut Vec<u8>| list(o, &ml.0, line))),
        Geometry::MultiPolygon(mp) => ("MultiPolygon", Box::new(move |o: &mut Vec<u8>| list(o, &mp.0, polygon))),
        _ => return Err("unsupported geometry type".into()),
    };
    let _ = write!(out, "{{\"type\":\"{kind}\",\"coordinates\":");
    body(out);
    out.push(b'}');
    Ok(())
}

fn json_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) if f.is_finite() => {
            let _ = write!(out, "{f}");
        }
        Value::Float(_) => out.extend_from_slice(b"null"),
        Value::Text(s) => {
            let _ = serde_json::to_writer(&mut *out, s);
        }
    }
}

impl FeatureEncoder for GeoJsonEncoder {
    fn begin(&mut self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.extend_from_slice(b"{\"type\":\"FeatureCollection\"");
        if let Some(n) = self.c.number_matched {
            let _ = write!(out, ",\"numberMatched\":{n}");
        }
        let _ = write!(out, ",\"numberReturned\":{},\"timeStamp\":\"{}\"", self.c.number_returned, self.c.timestamp);
        if let Some(urn) = &self.c.crs_urn {
            out.extend_from_slice(b",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":");
            let _ = serde_json::to_writer(&mut *out, urn);
            out.extend_from_slice(b"}}");
        }
        if !self.c.links.is_empty() {
            out.extend_from_slice(b",\"links\":[");
            for (i, (rel, href)) in self.c.links.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let _ = write!(out, "{{\"rel\":\"{rel}\",\"type\":\"application/json\",\"href\":");
                let _ = serde_json::to_writer(&mut *out, href);
                out.push(b'}');
            }
            out.push(b']');
        }
        out.extend_from_slice(b",\"features\":[\n");
        Ok(())
    }

    fn feature(&mut self, out: &mut Vec<u8>, f: &Feature) -> Result<(), EncodeError> {
        let Some((type_name, attrs)) = self.c.types.get(self.current) else { return Ok(()) };
        if !self.first {
            out.extend_from_slice(b",\n");
        }
        self.first = false;
        let _ = write!(out, "{{\"type\":\"Feature\",\"id\":\"{type_name}.{}\",", f.id);
        geometry_and_properties(out, attrs, f, false)?;
        out.push(b'}');
        Ok(())
    }

    fn end(&mut self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.extend_from_slice(b"\n]}\n");
        Ok(())
    }

    fn next_stream(&mut self) {
        self.current += 1;
    }
}

/// A link of an OGC API document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// Relation (`self`, `next`, …).
    pub rel: String,
    /// Media type.
    pub media_type: String,
    /// Absolute URL.
    pub href: String,
}

impl Link {
    /// A link.
    pub fn new(rel: &str, media_type: &str, href: impl Into<String>) -> Link {
        Link { rel: rel.into(), media_type: media_type.into(), href: href.into() }
    }

    fn write(&self, out: &mut Vec<u8>) {
        let _ = write!(out, "{{\"rel\":");
        let _ = serde_json::to_writer(&mut *out, &self.rel);
        out.extend_from_slice(b",\"type\":");
        let _ = serde_json::to_writer(&mut *out, &self.media_type);
        out.extend_from_slice(b",\"href\":");
        let _ = serde_json::to_writer(&mut *out, &self.href);
        out.push(b'}');
    }
}

fn write_links(out: &mut Vec<u8>, links: &[Link]) {
    out.push(b'[');
    for (i, l) in links.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        l.write(out);
    }
    out.push(b']');
}

/// One page of an OGC API – Features `/items` answer.
#[derive(Clone, Debug)]
pub struct ItemsPage {
    /// Selected attributes.
    pub attributes: Vec<Attribute>,
    /// Most features of the page: the source is asked for one more, which is not written but
    /// tells that a next page exists.
    pub limit: u64,
    /// `numberMatched`, when it was cheap to know (else it is written only when the page
    /// shows it: a last page that is not full ends the selection at `offset` + its features).
    pub number_matched: Option<u64>,
    /// Features skipped before this page.
    pub offset: u64,
    /// ISO 8601 time stamp.
    pub timestamp: String,
    /// Write coordinates northing/latitude first (the output CRS's authority order).
    pub swap_axes: bool,
    /// `self`, `alternate`, `prev`, `collection`… links.
    pub links: Vec<Link>,
    /// The `next` link, written only when a further feature arrived.
    pub next: Link,
}

/// Streaming writer of an OGC API `/items` page: the features first, then `numberReturned`,
/// `numberMatched` and the links, which depend on how many features came.
pub struct ItemsEncoder {
    page: ItemsPage,
    written: u64,
    more: bool,
}

impl ItemsEncoder {
    /// A writer for `page`.
    pub fn new(page: ItemsPage) -> ItemsEncoder {
        ItemsEncoder { page, written: 0, more: false }
    }
}

/// The `"geometry":…,"properties":{…}` members of a feature (axes swapped when asked).
fn geometry_and_properties(out: &mut Vec<u8>, attributes: &[Attribute], f: &Feature, swap_axes: bool) -> Result<(), EncodeError> {
    out.extend_from_slice(b"\"geometry\":");
    match &f.wkb {
        Some(wkb) => {
            let mut g = decode_wkb(f.id, wkb)?;
            if swap_axes {
                use geo::MapCoordsInPlace;
                g.map_coords_in_place(|c| Coord { x: c.y, y: c.x });
            }
            write_geometry(out, &g).map_err(|message| EncodeError::Geometry { id: f.id, message })?;
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"properties\":{");
    for (i, (attr, value)) in attributes.iter().zip(&f.values).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let _ = serde_json::to_writer(&mut *out, &attr.name);
        out.push(b':');
        json_value(out, value);
    }
    out.push(b'}');
    Ok(())
}

/// Writes one OGC API feature object (numeric id; `links` when given).
pub fn write_item(out: &mut Vec<u8>, attributes: &[Attribute], f: &Feature, swap_axes: bool, links: &[Link]) -> Result<(), EncodeError> {
    let _ = write!(out, "{{\"type\":\"Feature\",\"id\":{},", f.id);
    geometry_and_properties(out, attributes, f, swap_axes)?;
    if !links.is_empty() {
        out.extend_from_slice(b",\"links\":");
        write_links(out, links);
    }
    out.push(b'}');
    Ok(())
}

impl FeatureEncoder for ItemsEncoder {
    fn begin(&mut self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.extend_from_slice(b"{\"type\":\"FeatureCollection\",\"features\":[\n");
        Ok(())
    }

    fn feature(&mut self, out: &mut Vec<u8>, f: &Feature) -> Result<(), EncodeError> {
        if self.written >= self.page.limit {
            self.more = true;
            return Ok(());
        }
        if self.written > 0 {
            out.extend_from_slice(b",\n");
        }
        self.written += 1;
        write_item(out, &self.page.attributes, f, self.page.swap_axes, &[])
    }

    fn end(&mut self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let _ = write!(out, "\n],\"numberReturned\":{}", self.written);
        let shown = (!self.more && (self.written > 0 || self.page.offset == 0)).then_some(self.page.offset.saturating_add(self.written));
        if let Some(n) = self.page.number_matched.or(shown) {
            let _ = write!(out, ",\"numberMatched\":{n}");
        }
        let _ = write!(out, ",\"timeStamp\":\"{}\",\"links\":", self.page.timestamp);
        let mut links = self.page.links.clone();
        if self.more {
            links.push(self.page.next.clone());
        }
        write_links(out, &links);
        out.extend_from_slice(b"}\n");
        Ok(())
    }
}
