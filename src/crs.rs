//! Coordinate reference systems: the registry of CRS navigli serves, how their identifiers are
//! spelled in OGC requests, their authority axis order, and coordinate transforms.
//!
//! Internally every coordinate is kept in "GIS order" (x = easting/longitude, y =
//! northing/latitude); encoders swap axes where [`Crs::north_first`] and the protocol say so.
//! Transforms go through the `proj` crate. A `proj::Proj` is neither `Send` nor `Sync` and costs
//! tens of milliseconds to build, so each thread keeps its own cache of transforms per CRS pair.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

use geo::{Geometry, MapCoordsInPlace};

/// One CRS of the registry.
#[derive(Debug, PartialEq)]
pub struct CrsDef {
    /// EPSG code used for storage and for PROJ (CRS:84 uses 4326).
    pub srid: u32,
    /// The short identifier, e.g. `EPSG:32632` or `CRS:84`.
    pub code: &'static str,
    /// Human-readable name.
    pub title: &'static str,
    /// Geographic (degrees) rather than projected (metres).
    pub geographic: bool,
    /// The authority's axis order puts northing/latitude first.
    pub north_first: bool,
    /// Area of use in WGS84 lon/lat (min_lon, min_lat, max_lon, max_lat).
    pub area_of_use: [f64; 4],
}

/// The CRS navigli can serve and transform between.
pub static REGISTRY: &[CrsDef] = &[
    CrsDef {
        srid: 4326,
        code: "EPSG:4326",
        title: "WGS 84",
        geographic: true,
        north_first: true,
        area_of_use: [-180.0, -90.0, 180.0, 90.0],
    },
    CrsDef {
        srid: 4326,
        code: "CRS:84",
        title: "WGS 84 (longitude, latitude)",
        geographic: true,
        north_first: false,
        area_of_use: [-180.0, -90.0, 180.0, 90.0],
    },
    CrsDef {
        srid: 3857,
        code: "EPSG:3857",
        title: "WGS 84 / Pseudo-Mercator",
        geographic: false,
        north_first: false,
        area_of_use: [-180.0, -85.06, 180.0, 85.06],
    },
    CrsDef {
        srid: 32632,
        code: "EPSG:32632",
        title: "WGS 84 / UTM zone 32N",
        geographic: false,
        north_first: false,
        area_of_use: [6.0, 0.0, 12.0, 84.0],
    },
    CrsDef {
        srid: 25832,
        code: "EPSG:25832",
        title: "ETRS89 / UTM zone 32N",
        geographic: false,
        north_first: false,
        area_of_use: [6.0, 38.76, 12.0, 84.33],
    },
    CrsDef {
        srid: 7791,
        code: "EPSG:7791",
        title: "RDN2008 / UTM zone 32N",
        geographic: false,
        north_first: false,
        area_of_use: [6.0, 36.53, 12.0, 47.04],
    },
    CrsDef {
        srid: 6707,
        code: "EPSG:6707",
        title: "RDN2008 / UTM zone 32N (N-E)",
        geographic: false,
        north_first: true,
        area_of_use: [6.0, 36.53, 12.0, 47.04],
    },
    CrsDef {
        srid: 3003,
        code: "EPSG:3003",
        title: "Monte Mario / Italy zone 1",
        geographic: false,
        north_first: false,
        area_of_use: [6.0, 36.53, 12.0, 47.04],
    },
    // Zone 33: the Città Metropolitane east of 12°E (Venezia, Roma, Napoli, Bari, Reggio
    // Calabria, Palermo, Messina, Catania).
    CrsDef {
        srid: 32633,
        code: "EPSG:32633",
        title: "WGS 84 / UTM zone 33N",
        geographic: false,
        north_first: false,
        area_of_use: [12.0, 0.0, 18.0, 84.0],
    },
    CrsDef {
        srid: 25833,
        code: "EPSG:25833",
        title: "ETRS89 / UTM zone 33N",
        geographic: false,
        north_first: false,
        area_of_use: [12.0, 34.79, 18.01, 84.42],
    },
    CrsDef {
        srid: 7792,
        code: "EPSG:7792",
        title: "RDN2008 / UTM zone 33N",
        geographic: false,
        north_first: false,
        area_of_use: [12.0, 34.76, 18.0, 47.1],
    },
    CrsDef {
        srid: 3004,
        code: "EPSG:3004",
        title: "Monte Mario / Italy zone 2",
        geographic: false,
        north_first: false,
        area_of_use: [12.0, 34.76, 19.0, 47.1],
    },
];

/// A CRS of the registry (cheap to copy, compared by identity of its definition).
#[derive(Clone, Copy)]
pub struct Crs(&'static CrsDef);

impl PartialEq for Crs {
    fn eq(&self, other: &Crs) -> bool {
        self.0.code == other.0.code
    }
}

impl Eq for Crs {}

impl std::hash::Hash for Crs {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.code.hash(state)
    }
}

impl fmt::Debug for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.code)
    }
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.code)
    }
}

/// How a CRS identifier was spelled in a request; protocols use it to decide the axis order
/// (e.g. WFS 2.0 reads `urn:ogc:def:crs:EPSG::4326` latitude first, while many clients mean
/// longitude first by the short `EPSG:4326`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrsSpelling {
    /// `EPSG:4326`, `CRS:84`.
    Short,
    /// `urn:ogc:def:crs:EPSG::4326` (and the `urn:x-ogc` variant).
    Urn,
    /// `http://www.opengis.net/def/crs/EPSG/0/4326`.
    Uri,
    /// `http://www.opengis.net/gml/srs/epsg.xml#4326` (always longitude first).
    LegacyXml,
}

impl Crs {
    /// WGS 84 with authority (latitude, longitude) axis order.
    pub const WGS84: Crs = Crs(&REGISTRY[0]);
    /// WGS 84 longitude, latitude (OGC CRS:84).
    pub const CRS84: Crs = Crs(&REGISTRY[1]);
    /// Web Mercator.
    pub const WEB_MERCATOR: Crs = Crs(&REGISTRY[2]);
    /// WGS 84 / UTM 32N, the CRS of the demo data.
    pub const UTM32N: Crs = Crs(&REGISTRY[3]);

    /// The definition behind this CRS.
    pub fn def(&self) -> &'static CrsDef {
        self.0
    }
    /// EPSG code used for storage and transforms.
    pub fn srid(&self) -> u32 {
        self.0.srid
    }
    /// Short identifier (`EPSG:32632`, `CRS:84`).
    pub fn code(&self) -> &'static str {
        self.0.code
    }
    /// Degrees rather than metres.
    pub fn is_geographic(&self) -> bool {
        self.0.geographic
    }
    /// The authority axis order puts northing/latitude first.
    pub fn north_first(&self) -> bool {
        self.0.north_first
    }
    /// OGC URN form, e.g. `urn:ogc:def:crs:EPSG::4326`.
    pub fn urn(&self) -> String {
        if *self == Crs::CRS84 {
            "urn:ogc:def:crs:OGC:1.3:CRS84".to_string()
        } else {
            format!("urn:ogc:def:crs:EPSG::{}", self.0.srid)
        }
    }
    /// OGC URI form, e.g. `http://www.opengis.net/def/crs/EPSG/0/4326`.
    pub fn uri(&self) -> String {
        if *self == Crs::CRS84 {
            "http://www.opengis.net/def/crs/OGC/1.3/CRS84".to_string()
        } else {
            format!("http://www.opengis.net/def/crs/EPSG/0/{}", self.0.srid)
        }
    }

    /// The registry entry for an EPSG code (4326 gives latitude-first EPSG:4326).
    pub fn from_srid(srid: u32) -> Option<Crs> {
        REGISTRY.iter().find(|d| d.srid == srid).map(Crs)
    }

    /// Parses any OGC spelling of a supported CRS. Returns `None` for unknown or malformed
    /// identifiers.
    pub fn parse(text: &str) -> Option<(Crs, CrsSpelling)> {
        let t = text.trim();
        let lower = t.to_ascii_lowercase();
        let crs84 = Crs::CRS84;
        if lower == "crs:84" || lower == "ogc:crs84" {
            return Some((crs84, CrsSpelling::Short));
        }
        if lower == "urn:ogc:def:crs:ogc:1.3:crs84" || lower == "urn:ogc:def:crs:ogc::crs84" {
            return Some((crs84, CrsSpelling::Urn));
        }
        if lower == "http://www.opengis.net/def/crs/ogc/1.3/crs84" {
            return Some((crs84, CrsSpelling::Uri));
        }
        let (code, spelling) = if let Some(c) = lower.strip_prefix("epsg:") {
            (c, CrsSpelling::Short)
        } else if let Some(c) = lower.strip_prefix("urn:ogc:def:crs:epsg:") {
            (c, CrsSpelling::Urn)
        } else if let Some(c) = lower.strip_prefix("urn:x-ogc:def:crs:epsg:") {
            (c, CrsSpelling::Urn)
        } else if let Some(c) = lower.strip_prefix("http://www.opengis.net/def/crs/epsg/") {
            (c, CrsSpelling::Uri)
        } else if let Some(c) = lower.strip_prefix("http://www.opengis.net/gml/srs/epsg.xml#") {
            (c, CrsSpelling::LegacyXml)
        } else {
            return None;
        };
        // URN and URI forms carry an optional version segment: `EPSG:8.9:4326`, `EPSG/0/4326`.
        let number = code.rsplit([':', '/']).next()?;
        if number.is_empty() || number.len() > 6 || !number.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let srid: u32 = number.parse().ok()?;
        let crs = Crs::from_srid(srid)?;
        Some((crs, spelling))
    }

    /// Every CRS of the registry.
    pub fn all() -> impl Iterator<Item = Crs> {
        REGISTRY.iter().map(Crs)
    }
}

/// An axis-aligned rectangle in GIS order (x = east/lon, y = north/lat).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bbox {
    /// Minimum x (easting or longitude).
    pub min_x: f64,
    /// Minimum y (northing or latitude).
    pub min_y: f64,
    /// Maximum x.
    pub max_x: f64,
    /// Maximum y.
    pub max_y: f64,
}

impl Bbox {
    /// A bbox from its corners; `None` unless all are finite and min ≤ max.
    pub fn new(min_x: f64, min_y: f64, max_x: f64, max_y: f64) -> Option<Bbox> {
        let ok = [min_x, min_y, max_x, max_y].iter().all(|v| v.is_finite()) && min_x <= max_x && min_y <= max_y;
        ok.then_some(Bbox { min_x, min_y, max_x, max_y })
    }
    /// The smallest bbox holding both.
    pub fn union(&self, o: &Bbox) -> Bbox {
        Bbox {
            min_x: self.min_x.min(o.min_x),
            min_y: self.min_y.min(o.min_y),
            max_x: self.max_x.max(o.max_x),
            max_y: self.max_y.max(o.max_y),
        }
    }
    /// Grown by `d` on every side.
    pub fn expand(&self, d: f64) -> Bbox {
        Bbox { min_x: self.min_x - d, min_y: self.min_y - d, max_x: self.max_x + d, max_y: self.max_y + d }
    }
    /// The point lies in the box (edges included).
    pub fn contains(&self, x: f64, y: f64) -> bool {
        (self.min_x..=self.max_x).contains(&x) && (self.min_y..=self.max_y).contains(&y)
    }
    /// The two boxes share at least one point.
    pub fn intersects(&self, o: &Bbox) -> bool {
        self.min_x <= o.max_x && o.min_x <= self.max_x && self.min_y <= o.max_y && o.min_y <= self.max_y
    }
    /// As a closed polygon.
    pub fn to_polygon(&self) -> geo::Polygon<f64> {
        geo::Rect::new((self.min_x, self.min_y), (self.max_x, self.max_y)).to_polygon()
    }
    /// The bbox of a geometry (None when empty).
    pub fn of_geometry(g: &Geometry<f64>) -> Option<Bbox> {
        use geo::BoundingRect;
        g.bounding_rect().map(|r| Bbox { min_x: r.min().x, min_y: r.min().y, max_x: r.max().x, max_y: r.max().y })
    }
}

/// A transform failed (point outside the area of use, or PROJ could not build the pipeline).
#[derive(Debug, thiserror::Error)]
#[error("cannot transform from {from} to {to}: {reason}")]
pub struct TransformError {
    /// Source CRS.
    pub from: Crs,
    /// Target CRS.
    pub to: Crs,
    /// PROJ's message.
    pub reason: String,
}

thread_local! {
    static TRANSFORMS: RefCell<HashMap<(u32, u32), proj::Proj>> = RefCell::new(HashMap::new());
}

/// Runs `f` with this thread's cached PROJ transform from `from` to `to` (GIS axis order both
/// ways). Callers must not hold the transform across an `.await`.
fn with_transform<R>(from: Crs, to: Crs, f: impl FnOnce(&proj::Proj) -> Result<R, TransformError>) -> Result<R, TransformError> {
    TRANSFORMS.with(|cell| {
        let mut map = cell.borrow_mut();
        let key = (from.srid(), to.srid());
        let p = match map.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => v.insert(
                proj::Proj::new_known_crs(&format!("EPSG:{}", from.srid()), &format!("EPSG:{}", to.srid()), None)
                    .map_err(|e| TransformError { from, to, reason: e.to_string() })?,
            ),
        };
        f(p)
    })
}

/// Transforms one point (GIS order in and out).
pub fn transform_point(from: Crs, to: Crs, x: f64, y: f64) -> Result<(f64, f64), TransformError> {
    if from.srid() == to.srid() {
        return Ok((x, y));
    }
    with_transform(from, to, |p| {
        let (tx, ty) = p.convert((x, y)).map_err(|e| TransformError { from, to, reason: e.to_string() })?;
        if tx.is_finite() && ty.is_finite() {
            Ok((tx, ty))
        } else {
            Err(TransformError { from, to, reason: format!("point ({x}, {y}) is outside the area of use") })
        }
    })
}

/// Transforms a geometry in place.
pub fn transform_geometry(from: Crs, to: Crs, g: &mut Geometry<f64>) -> Result<(), TransformError> {
    if from.srid() == to.srid() {
        return Ok(());
    }
    with_transform(from, to, |p| {
        let convert = |c: geo::Coord<f64>| -> Result<geo::Coord<f64>, TransformError> {
            let (x, y) = p.convert((c.x, c.y)).map_err(|e| TransformError { from, to, reason: e.to_string() })?;
            if x.is_finite() && y.is_finite() {
                Ok(geo::coord! { x: x, y: y })
            } else {
                Err(TransformError { from, to, reason: "coordinate outside the area of use".into() })
            }
        };
        map_geometry(g, &convert)
    })
}

/// Applies `f` to every coordinate. geo's own `try_map_coords_in_place` on `Geometry` recurses
/// through collections with an ever-growing closure type, so collections are walked here.
fn map_geometry(
    g: &mut Geometry<f64>,
    f: &dyn Fn(geo::Coord<f64>) -> Result<geo::Coord<f64>, TransformError>,
) -> Result<(), TransformError> {
    match g {
        Geometry::GeometryCollection(gc) => gc.0.iter_mut().try_for_each(|g| map_geometry(g, f)),
        Geometry::Point(x) => x.try_map_coords_in_place(f),
        Geometry::Line(x) => x.try_map_coords_in_place(f),
        Geometry::LineString(x) => x.try_map_coords_in_place(f),
        Geometry::Polygon(x) => x.try_map_coords_in_place(f),
        Geometry::MultiPoint(x) => x.try_map_coords_in_place(f),
        Geometry::MultiLineString(x) => x.try_map_coords_in_place(f),
        Geometry::MultiPolygon(x) => x.try_map_coords_in_place(f),
        Geometry::Rect(x) => x.try_map_coords_in_place(f),
        Geometry::Triangle(x) => x.try_map_coords_in_place(f),
    }
}

/// Transforms a bbox, sampling each edge so the result covers the curved image of the box.
pub fn transform_bbox(from: Crs, to: Crs, b: &Bbox) -> Result<Bbox, TransformError> {
    if from.srid() == to.srid() {
        return Ok(*b);
    }
    const STEPS: usize = 16;
    let mut out: Option<Bbox> = None;
    for i in 0..=STEPS {
        let t = i as f64 / STEPS as f64;
        let x = b.min_x + (b.max_x - b.min_x) * t;
        let y = b.min_y + (b.max_y - b.min_y) * t;
        for (px, py) in [(x, b.min_y), (x, b.max_y), (b.min_x, y), (b.max_x, y)] {
            let (tx, ty) = transform_point(from, to, px, py)?;
            let p = Bbox { min_x: tx, min_y: ty, max_x: tx, max_y: ty };
            out = Some(out.map_or(p, |o| o.union(&p)));
        }
    }
    Ok(out.expect("at least one sample"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_spelling() {
        assert_eq!(Crs::parse("EPSG:4326"), Some((Crs::WGS84, CrsSpelling::Short)));
        assert_eq!(Crs::parse("urn:ogc:def:crs:EPSG::4326"), Some((Crs::WGS84, CrsSpelling::Urn)));
        assert_eq!(Crs::parse("urn:x-ogc:def:crs:EPSG:6.11:32632"), Some((Crs::UTM32N, CrsSpelling::Urn)));
        assert_eq!(Crs::parse("http://www.opengis.net/def/crs/EPSG/0/3857"), Some((Crs::WEB_MERCATOR, CrsSpelling::Uri)));
        assert_eq!(Crs::parse("http://www.opengis.net/gml/srs/epsg.xml#32632"), Some((Crs::UTM32N, CrsSpelling::LegacyXml)));
        assert_eq!(Crs::parse("CRS:84"), Some((Crs::CRS84, CrsSpelling::Short)));
        assert_eq!(Crs::parse("urn:ogc:def:crs:OGC:1.3:CRS84").map(|c| c.0), Some(Crs::CRS84));
        assert_eq!(Crs::parse("EPSG:6707").map(|c| c.0.north_first()), Some(true));
        assert_eq!(Crs::parse("EPSG:7791").map(|c| c.0.north_first()), Some(false));
        assert!(Crs::parse("EPSG:999999").is_none());
        assert!(Crs::parse("EPSG:").is_none());
        assert!(Crs::parse("EPSG:43a6").is_none());
        assert!(Crs::parse("foo").is_none());
    }

    #[test]
    fn transforms_milan_duomo_between_registry_crs() {
        // Duomo di Milano, about 9.1916 E 45.4642 N.
        let (e, n) = transform_point(Crs::CRS84, Crs::UTM32N, 9.1916, 45.4642).unwrap();
        assert!((e - 515_060.0).abs() < 100.0, "easting {e}");
        assert!((n - 5_034_600.0).abs() < 200.0, "northing {n}");
        for crs in Crs::all() {
            let (x, y) = transform_point(Crs::UTM32N, crs, e, n).unwrap();
            let (bx, by) = transform_point(crs, Crs::UTM32N, x, y).unwrap();
            let tolerance = if crs.srid() == 3003 { 5.0 } else { 0.01 };
            assert!((bx - e).abs() < tolerance && (by - n).abs() < tolerance, "{crs}: round trip {bx},{by}");
        }
        let (x, y) = transform_point(Crs::CRS84, Crs::WEB_MERCATOR, 9.1916, 45.4642).unwrap();
        assert!((x - 1_023_200.0).abs() < 200.0 && (y - 5_694_800.0).abs() < 500.0, "{x} {y}");
    }

    #[test]
    fn bbox_transform_covers_the_curved_edges() {
        let b = Bbox::new(8.7, 45.16, 9.55, 45.65).unwrap();
        let t = transform_bbox(Crs::CRS84, Crs::UTM32N, &b).unwrap();
        let back = transform_bbox(Crs::UTM32N, Crs::CRS84, &t).unwrap();
        assert!(back.min_x <= b.min_x + 1e-9 && back.max_x >= b.max_x - 1e-9);
        assert!(back.min_y <= b.min_y + 1e-9 && back.max_y >= b.max_y - 1e-9);
        assert!(Bbox::new(1.0, 0.0, 0.0, 1.0).is_none());
        assert!(Bbox::new(0.0, 0.0, f64::NAN, 1.0).is_none());
    }
}
