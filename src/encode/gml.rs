//! GML feature collections for WFS: GML 3.2 in a WFS 2.0 `wfs:FeatureCollection`, and GML
//! 3.1.1 in a WFS 1.1 one. Written as it goes; geometries are decoded from WKB and written with
//! the requested axis order.

// Documents are written line by line; a trailing "\n" in a write! is intended.
#![allow(clippy::write_with_newline)]

use std::fmt::Write as _;

use geo::{Geometry, LineString, Polygon};

use super::{decode_wkb, EncodeError, FeatureEncoder};
use crate::encode::xml_escape;
use crate::source::{Attribute, Feature, Value};

/// GML flavour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GmlVersion {
    /// GML 3.2 (WFS 2.0).
    V3_2,
    /// GML 3.1.1 (WFS 1.1).
    V3_1_1,
    /// GML 2.1.2 (WFS 1.0): `coordinates`, `outerBoundaryIs`, `fid` attributes.
    V2,
}

impl GmlVersion {
    /// The GML namespace.
    pub fn namespace(self) -> &'static str {
        match self {
            GmlVersion::V3_2 => "http://www.opengis.net/gml/3.2",
            GmlVersion::V3_1_1 | GmlVersion::V2 => "http://www.opengis.net/gml",
        }
    }
    /// The official schema location.
    pub fn schema(self) -> &'static str {
        match self {
            GmlVersion::V3_2 => "http://schemas.opengis.net/gml/3.2.1/gml.xsd",
            GmlVersion::V3_1_1 => "http://schemas.opengis.net/gml/3.1.1/base/gml.xsd",
            GmlVersion::V2 => "http://schemas.opengis.net/gml/2.1.2/feature.xsd",
        }
    }
    /// MIME type of the output format.
    pub fn mime(self) -> &'static str {
        match self {
            GmlVersion::V3_2 => "application/gml+xml; version=3.2",
            GmlVersion::V3_1_1 => "text/xml; subtype=gml/3.1.1",
            GmlVersion::V2 => "text/xml; subtype=gml/2.1.2",
        }
    }
}

/// Everything about a collection known before its first feature.
#[derive(Clone, Debug)]
pub struct GmlCollection {
    /// GML flavour (3.2 → WFS 2.0 collection, 3.1.1 → WFS 1.1).
    pub version: GmlVersion,
    /// Feature type namespace prefix and URI.
    pub prefix: String,
    /// Feature type namespace URI.
    pub namespace: String,
    /// `xsi:schemaLocation` pairs beyond WFS and GML (our DescribeFeatureType URL).
    pub schema_location: String,
    /// `numberMatched` (None: `unknown`).
    pub number_matched: Option<u64>,
    /// `numberReturned` / `numberOfFeatures`.
    pub number_returned: u64,
    /// ISO 8601 time stamp.
    pub timestamp: String,
    /// Next page URL.
    pub next: Option<String>,
    /// Previous page URL.
    pub previous: Option<String>,
    /// `srsName` written on geometries.
    pub srs_name: String,
    /// Write northing first.
    pub swap_axes: bool,
    /// Feature type name and its selected attributes, per stream in order.
    pub types: Vec<(String, Vec<Attribute>)>,
    /// Name of the geometry property.
    pub geometry_property: Vec<String>,
    /// Write one bare feature (GetFeatureById) instead of a collection.
    pub bare: bool,
}

/// Streaming GML writer.
pub struct GmlEncoder {
    c: GmlCollection,
    /// Index into `types` of the current stream.
    current: usize,
}

impl GmlEncoder {
    /// A writer for `collection`.
    pub fn new(collection: GmlCollection) -> GmlEncoder {
        GmlEncoder { c: collection, current: 0 }
    }
}

fn coords(out: &mut Vec<u8>, line: &LineString<f64>, swap: bool) {
    let mut s = String::with_capacity(line.0.len() * 24);
    for (i, c) in line.0.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let (a, b) = if swap { (c.y, c.x) } else { (c.x, c.y) };
        let _ = write!(s, "{a} {b}");
    }
    out.extend_from_slice(s.as_bytes());
}

struct GeomWriter<'a> {
    out: &'a mut Vec<u8>,
    swap: bool,
    v32: bool,
    /// GML 2: `coordinates` lists, `outerBoundaryIs`/`innerBoundaryIs`, Multi* members.
    v2: bool,
    id_base: String,
    n: usize,
}

impl GeomWriter<'_> {
    /// Opening tag attributes: gml:id (required in GML 3.2) and, on the outermost, srsName.
    fn open(&mut self, name: &str, srs: Option<&str>) {
        self.n += 1;
        let id = if self.v32 { format!(" gml:id=\"{}.{}\"", self.id_base, self.n) } else { String::new() };
        let srs = srs.map(|s| format!(" srsName=\"{}\"", xml_escape(s))).unwrap_or_default();
        let _ = write!(Sink(self.out), "<gml:{name}{id}{srs}>");
    }

    /// A coordinate list: `posList`/`pos` (GML 3) or `coordinates` (GML 2, x,y pairs).
    fn list(&mut self, l: &LineString<f64>, single: bool) {
        if self.v2 {
            self.out.extend_from_slice(b"<gml:coordinates decimal=\".\" cs=\",\" ts=\" \">");
            let mut s = String::with_capacity(l.0.len() * 24);
            for (i, c) in l.0.iter().enumerate() {
                let _ = write!(s, "{}{},{}", if i > 0 { " " } else { "" }, c.x, c.y);
            }
            self.out.extend_from_slice(s.as_bytes());
            self.out.extend_from_slice(b"</gml:coordinates>");
        } else {
            self.out.extend_from_slice(if single { b"<gml:pos>" as &[u8] } else { b"<gml:posList>" });
            coords(self.out, l, self.swap);
            self.out.extend_from_slice(if single { b"</gml:pos>" as &[u8] } else { b"</gml:posList>" });
        }
    }

    fn ring(&mut self, ring: &LineString<f64>) {
        self.out.extend_from_slice(b"<gml:LinearRing>");
        self.list(ring, false);
        self.out.extend_from_slice(b"</gml:LinearRing>");
    }

    fn polygon(&mut self, p: &Polygon<f64>, srs: Option<&str>) {
        let inner = if self.v2 {
            ("<gml:outerBoundaryIs>", "</gml:outerBoundaryIs>", "<gml:innerBoundaryIs>", "</gml:innerBoundaryIs>")
        } else {
            ("<gml:exterior>", "</gml:exterior>", "<gml:interior>", "</gml:interior>")
        };
        self.open("Polygon", srs);
        self.out.extend_from_slice(inner.0.as_bytes());
        self.ring(p.exterior());
        self.out.extend_from_slice(inner.1.as_bytes());
        for hole in p.interiors() {
            self.out.extend_from_slice(inner.2.as_bytes());
            self.ring(hole);
            self.out.extend_from_slice(inner.3.as_bytes());
        }
        self.out.extend_from_slice(b"</gml:Polygon>");
    }

    fn line(&mut self, l: &LineString<f64>, srs: Option<&str>) {
        self.open("LineString", srs);
        self.list(l, false);
        self.out.extend_from_slice(b"</gml:LineString>");
    }

    fn point(&mut self, p: &geo::Point<f64>, srs: Option<&str>) {
        self.open("Point", srs);
        self.list(&LineString::from(vec![p.0]), true);
        self.out.extend_from_slice(b"</gml:Point>");
    }

    fn geometry(&mut self, g: &Geometry<f64>, srs: Option<&str>) -> Result<(), String> {
        match g {
            Geometry::Point(p) => self.point(p, srs),
            Geometry::LineString(l) => self.line(l, srs),
            Geometry::Polygon(p) => self.polygon(p, srs),
            Geometry::MultiPoint(mp) => {
                self.open("MultiPoint", srs);
                for p in &mp.0 {
                    self.out.extend_from_slice(b"<gml:pointMember>");
                    self.point(p, None);
                    self.out.extend_from_slice(b"</gml:pointMember>");
                }
                self.out.extend_from_slice(b"</gml:MultiPoint>");
            }
            Geometry::MultiLineString(ml) => {
                let (name, member) = if self.v2 { ("MultiLineString", "lineStringMember") } else { ("MultiCurve", "curveMember") };
                self.open(name, srs);
                for l in &ml.0 {
                    let _ = write!(Sink(self.out), "<gml:{member}>");
                    self.line(l, None);
                    let _ = write!(Sink(self.out), "</gml:{member}>");
                }
                let _ = write!(Sink(self.out), "</gml:{name}>");
            }
            Geometry::MultiPolygon(mp) => {
                let (name, member) = if self.v2 { ("MultiPolygon", "polygonMember") } else { ("MultiSurface", "surfaceMember") };
                self.open(name, srs);
                for p in &mp.0 {
                    let _ = write!(Sink(self.out), "<gml:{member}>");
                    self.polygon(p, None);
                    let _ = write!(Sink(self.out), "</gml:{member}>");
                }
                let _ = write!(Sink(self.out), "</gml:{name}>");
            }
            other => return Err(format!("unsupported geometry type {other:?}").chars().take(60).collect()),
        }
        Ok(())
    }
}

/// `fmt::Write` into a byte buffer.
struct Sink<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Sink<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Writes a value as XML text (floats in shortest round-trip form, booleans as xsd:boolean).
pub fn write_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => {}
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Int(i) => {
            let _ = write!(Sink(out), "{i}");
        }
        Value::Float(f) => {
            let _ = write!(Sink(out), "{f}");
        }
        Value::Text(s) => out.extend_from_slice(xml_escape(s).as_bytes()),
    }
}

impl FeatureEncoder for GmlEncoder {
    fn begin(&mut self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let c = &self.c;
        let gml = c.version.namespace();
        let mut head = String::with_capacity(1024);
        head.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        if c.bare {
            out.extend_from_slice(head.as_bytes());
            return Ok(());
        }
        match c.version {
            GmlVersion::V3_2 => {
                let matched = c.number_matched.map_or("unknown".to_string(), |n| n.to_string());
                let _ = write!(
                    head,
                    "<wfs:FeatureCollection xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" xmlns:gml=\"{gml}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
                     xmlns:{p}=\"{ns}\" xsi:schemaLocation=\"http://www.opengis.net/wfs/2.0 http://schemas.opengis.net/wfs/2.0/wfs.xsd {gml} {gs} {sl}\" \
                     numberMatched=\"{matched}\" numberReturned=\"{}\" timeStamp=\"{}\"",
                    c.number_returned,
                    c.timestamp,
                    p = c.prefix,
                    ns = xml_escape(&c.namespace),
                    gs = c.version.schema(),
                    sl = xml_escape(&c.schema_location),
                );
                if let Some(next) = &c.next {
                    let _ = write!(head, " next=\"{}\"", xml_escape(next));
                }
                if let Some(prev) = &c.previous {
                    let _ = write!(head, " previous=\"{}\"", xml_escape(prev));
                }
                head.push_str(">\n");
            }
            GmlVersion::V2 => {
                // GML 2 collections must say their bounds; the stream cannot know them yet.
                let _ = write!(
                    head,
                    "<wfs:FeatureCollection xmlns:wfs=\"http://www.opengis.net/wfs\" xmlns:gml=\"{gml}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
                     xmlns:{p}=\"{ns}\" xsi:schemaLocation=\"http://www.opengis.net/wfs http://schemas.opengis.net/wfs/1.0.0/WFS-basic.xsd {sl}\">\n\
                     <gml:boundedBy><gml:null>unknown</gml:null></gml:boundedBy>\n",
                    p = c.prefix,
                    ns = xml_escape(&c.namespace),
                    sl = xml_escape(&c.schema_location),
                );
            }
            GmlVersion::V3_1_1 => {
                let _ = write!(
                    head,
                    "<wfs:FeatureCollection xmlns:wfs=\"http://www.opengis.net/wfs\" xmlns:gml=\"{gml}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
                     xmlns:{p}=\"{ns}\" xsi:schemaLocation=\"http://www.opengis.net/wfs http://schemas.opengis.net/wfs/1.1.0/wfs.xsd {sl}\" \
                     numberOfFeatures=\"{}\" timeStamp=\"{}\">\n",
                    c.number_returned,
                    c.timestamp,
                    p = c.prefix,
                    ns = xml_escape(&c.namespace),
                    sl = xml_escape(&c.schema_location),
                );
            }
        }
        out.extend_from_slice(head.as_bytes());
        Ok(())
    }

    fn feature(&mut self, out: &mut Vec<u8>, f: &Feature) -> Result<(), EncodeError> {
        let Some((type_name, attrs)) = self.c.types.get(self.current) else { return Ok(()) };
        let geom_prop = self.c.geometry_property.get(self.current).map_or("geom", String::as_str);
        let p = &self.c.prefix;
        let (open_member, close_member) = match self.c.version {
            _ if self.c.bare => ("", "\n"),
            GmlVersion::V3_2 => ("<wfs:member>", "</wfs:member>\n"),
            GmlVersion::V3_1_1 | GmlVersion::V2 => ("<gml:featureMember>", "</gml:featureMember>\n"),
        };
        let declarations = if self.c.bare {
            format!(
                " xmlns:{p}=\"{}\" xmlns:gml=\"{}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"{} {} {}\"",
                xml_escape(&self.c.namespace),
                self.c.version.namespace(),
                self.c.version.namespace(),
                self.c.version.schema(),
                xml_escape(&self.c.schema_location)
            )
        } else {
            String::new()
        };
        let id_attr = if self.c.version == GmlVersion::V2 { "fid" } else { "gml:id" };
        let _ = write!(Sink(out), "{open_member}<{p}:{type_name}{declarations} {id_attr}=\"{type_name}.{}\">", f.id);
        if let Some(wkb) = &f.wkb {
            let g = decode_wkb(f.id, wkb)?;
            let _ = write!(Sink(out), "<{p}:{geom_prop}>");
            let mut w = GeomWriter {
                out,
                swap: self.c.swap_axes,
                v32: self.c.version == GmlVersion::V3_2,
                v2: self.c.version == GmlVersion::V2,
                id_base: format!("{type_name}.{}.g", f.id),
                n: 0,
            };
            w.geometry(&g, Some(&self.c.srs_name)).map_err(|message| EncodeError::Geometry { id: f.id, message })?;
            let _ = write!(Sink(out), "</{p}:{geom_prop}>");
        }
        for (attr, value) in attrs.iter().zip(&f.values) {
            if *value == Value::Null {
                continue;
            }
            let _ = write!(Sink(out), "<{p}:{}>", attr.name);
            write_value(out, value);
            let _ = write!(Sink(out), "</{p}:{}>", attr.name);
        }
        let _ = write!(Sink(out), "</{p}:{type_name}>{close_member}");
        Ok(())
    }

    fn end(&mut self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if !self.c.bare {
            out.extend_from_slice(b"</wfs:FeatureCollection>\n");
        }
        Ok(())
    }

    fn next_stream(&mut self) {
        self.current += 1;
    }
}

/// What a GetPropertyValue member holds.
#[derive(Clone, Debug)]
pub enum ValueKind {
    /// The first selected attribute.
    Attribute,
    /// The geometry, as GML 3.2.
    Geometry,
    /// The feature identifier (`@gml:id`).
    Id,
}

/// Streaming `wfs:ValueCollection` writer (WFS 2.0 GetPropertyValue).
pub struct ValueEncoder {
    c: GmlCollection,
    kind: ValueKind,
}

impl ValueEncoder {
    /// A writer for `collection` (types must hold the one queried type).
    pub fn new(collection: GmlCollection, kind: ValueKind) -> ValueEncoder {
        ValueEncoder { c: collection, kind }
    }
}

impl FeatureEncoder for ValueEncoder {
    fn begin(&mut self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let c = &self.c;
        let matched = c.number_matched.map_or("unknown".to_string(), |n| n.to_string());
        let _ = write!(
            Sink(out),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<wfs:ValueCollection xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" xmlns:gml=\"{}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
             xmlns:{}=\"{}\" xsi:schemaLocation=\"http://www.opengis.net/wfs/2.0 http://schemas.opengis.net/wfs/2.0/wfs.xsd {} {}\" numberMatched=\"{matched}\" numberReturned=\"{}\" timeStamp=\"{}\"",
            c.version.namespace(),
            c.prefix,
            xml_escape(&c.namespace),
            c.version.namespace(),
            c.version.schema(),
            c.number_returned,
            c.timestamp
        );
        if let Some(next) = &c.next {
            let _ = write!(Sink(out), " next=\"{}\"", xml_escape(next));
        }
        if let Some(prev) = &c.previous {
            let _ = write!(Sink(out), " previous=\"{}\"", xml_escape(prev));
        }
        out.extend_from_slice(b">\n");
        Ok(())
    }

    fn feature(&mut self, out: &mut Vec<u8>, f: &Feature) -> Result<(), EncodeError> {
        let type_name = self.c.types.first().map_or("feature", |t| t.0.as_str());
        out.extend_from_slice(b"<wfs:member>");
        match self.kind {
            ValueKind::Attribute => {
                if let Some(v) = f.values.first() {
                    write_value(out, v);
                }
            }
            ValueKind::Id => {
                let _ = write!(Sink(out), "{type_name}.{}", f.id);
            }
            ValueKind::Geometry => {
                if let Some(wkb) = &f.wkb {
                    let g = decode_wkb(f.id, wkb)?;
                    let mut w =
                        GeomWriter { out, swap: self.c.swap_axes, v32: true, v2: false, id_base: format!("{type_name}.{}.g", f.id), n: 0 };
                    w.geometry(&g, Some(&self.c.srs_name)).map_err(|message| EncodeError::Geometry { id: f.id, message })?;
                }
            }
        }
        out.extend_from_slice(b"</wfs:member>\n");
        Ok(())
    }

    fn end(&mut self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.extend_from_slice(b"</wfs:ValueCollection>\n");
        Ok(())
    }
}
