//! Reading and writing LAS 1.2–1.4 and LAZ surveys (the `las` crate, `laz` feature).
//!
//! [`Survey::open`] reads a file's header: version, point format, count, bounds, scales and
//! offsets, and its CRS — from the WKT VLR when there is one (the projected CRS's own
//! `AUTHORITY`/`ID`, its `UNIT`/`LENGTHUNIT` and the vertical CRS's), else from the GeoTIFF
//! keys (ProjectedCRSGeoKey 3072; units 3076/4099: 9001 metre, 9002 foot, 9003 US survey
//! foot). [`Survey::for_each_chunk`] then streams the points in chunks, in
//! metres, so a survey of any size never sits in memory. [`write`] writes points as LAS or LAZ
//! (by extension) with millimetre scales and offsets at the data's minimum.

use std::path::{Path, PathBuf};

use las::{Builder, Reader, Transform, Vector, Writer};

use super::Point;

/// A survey file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum LasError {
    /// The LAS/LAZ library failed.
    #[error("{path}: {source}")]
    Las {
        /// The file.
        path: PathBuf,
        /// What failed.
        #[source]
        source: las::Error,
    },
}

fn err(path: &Path) -> impl FnOnce(las::Error) -> LasError + '_ {
    move |source| LasError::Las { path: path.to_path_buf(), source }
}

/// The metre per unit of a GeoTIFF linear unit code.
fn geotiff_unit(code: u16) -> Option<f64> {
    match code {
        9001 => Some(1.0),
        9002 => Some(0.3048),
        9003 => Some(1200.0 / 3937.0),
        _ => None,
    }
}

/// What a survey file's header says.
#[derive(Clone, Debug, PartialEq)]
pub struct SurveyInfo {
    /// LAS version (major, minor).
    pub version: (u8, u8),
    /// Point data format.
    pub point_format: u8,
    /// Whether it is LAZ.
    pub compressed: bool,
    /// Number of points.
    pub points: u64,
    /// Bounds in file units: min (x, y, z), max (x, y, z).
    pub bounds: ([f64; 3], [f64; 3]),
    /// Scales (x, y, z).
    pub scale: [f64; 3],
    /// Offsets (x, y, z).
    pub offset: [f64; 3],
    /// EPSG code of the (projected) CRS, when the file says.
    pub epsg: Option<u32>,
    /// Metres per horizontal unit (1 when unknown).
    pub xy_unit: f64,
    /// Metres per vertical unit (the horizontal one when unknown).
    pub z_unit: f64,
    /// The WKT, when the file has one.
    pub wkt: Option<String>,
    /// The GeoTIFF ProjectedCRSGeoKey (3072) as written (32767 is user-defined).
    pub geotiff_projected: Option<u16>,
}

/// An open survey file.
pub struct Survey {
    path: PathBuf,
    reader: Reader,
    /// Its header.
    pub info: SurveyInfo,
}

impl Survey {
    /// Opens a LAS or LAZ file and reads its header.
    pub fn open(path: &Path) -> Result<Survey, LasError> {
        let reader = Reader::from_path(path).map_err(err(path))?;
        let h = reader.header();
        let version = h.version();
        let b = h.bounds();
        let t = h.transforms();
        let wkt = h.get_wkt_crs_bytes().map(|b| String::from_utf8_lossy(b).trim_end_matches('\0').to_string());
        let geotiff = h.get_geotiff_crs().ok().flatten();
        let key = |id: u16| {
            geotiff.as_ref().and_then(|g| {
                g.entries.iter().find(|e| e.id == id).and_then(|e| match e.data {
                    las::crs::GeoTiffData::U16(v) => Some(v),
                    _ => None,
                })
            })
        };
        // A WKT, when present, is the CRS (LAS 1.4: the GeoTIFF keys are then legacy).
        let (w_epsg, w_xy, w_z) = wkt.as_deref().map(wkt_crs).unwrap_or_default();
        let geotiff_projected = key(3072);
        // A WKT without an authority names no code (its GeoTIFF twin may be stale: the Nebraska
        // sample's says EPSG:32104, in metres, over data in US feet).
        let epsg = if wkt.is_some() { w_epsg } else { geotiff_projected.filter(|v| (1024..32767).contains(v)).map(u32::from) };
        let xy_unit = w_xy.or(key(3076).and_then(geotiff_unit)).unwrap_or(1.0);
        let z_unit = w_z.or(key(4099).and_then(geotiff_unit)).unwrap_or(xy_unit);
        let info = SurveyInfo {
            version: (version.major, version.minor),
            point_format: h.point_format().to_u8().unwrap_or(0),
            compressed: h.point_format().is_compressed,
            points: h.number_of_points(),
            bounds: ([b.min.x, b.min.y, b.min.z], [b.max.x, b.max.y, b.max.z]),
            scale: [t.x.scale, t.y.scale, t.z.scale],
            offset: [t.x.offset, t.y.offset, t.z.offset],
            epsg,
            xy_unit,
            z_unit,
            wkt,
            geotiff_projected,
        };
        Ok(Survey { path: path.to_path_buf(), reader, info })
    }

    /// Streams every point, in metres (file units times the unit factors), `chunk` at a time.
    pub fn for_each_chunk(&mut self, chunk: u64, mut f: impl FnMut(&[Point])) -> Result<(), LasError> {
        let (ku, kz) = (self.info.xy_unit, self.info.z_unit);
        let mut buf: Vec<Point> = Vec::with_capacity(chunk as usize);
        loop {
            let pd = self.reader.read_points(chunk).map_err(err(&self.path))?;
            if pd.is_empty() {
                return Ok(());
            }
            buf.clear();
            buf.extend(pd.x().zip(pd.y()).zip(pd.z()).zip(pd.classification()).map(|(((x, y), z), class)| Point {
                x: x * ku,
                y: y * ku,
                z: z * kz,
                class,
            }));
            f(&buf);
        }
    }

    /// Every point, in metres (for small files and tests).
    pub fn read_all(&mut self) -> Result<Vec<Point>, LasError> {
        let mut all = Vec::with_capacity(self.info.points as usize);
        self.for_each_chunk(1 << 20, |c| all.extend_from_slice(c))?;
        Ok(all)
    }
}

/// A WKT node: keyword, plain arguments (numbers, quoted strings unquoted) and child nodes.
#[derive(Debug, Default)]
struct WktNode {
    keyword: String,
    args: Vec<String>,
    children: Vec<WktNode>,
}

/// Parses one WKT node starting at `*i` (a keyword followed by `[` or `(`).
fn wkt_node(b: &[u8], i: &mut usize, depth: usize) -> Option<WktNode> {
    if depth > 32 {
        return None;
    }
    let start = *i;
    while *i < b.len() && b[*i] != b'[' && b[*i] != b'(' {
        *i += 1;
    }
    let keyword = std::str::from_utf8(&b[start..*i]).ok()?.trim().to_ascii_uppercase();
    *i += 1;
    let mut node = WktNode { keyword, ..Default::default() };
    loop {
        while *i < b.len() && (b[*i] == b',' || b[*i].is_ascii_whitespace()) {
            *i += 1;
        }
        match b.get(*i)? {
            b']' | b')' => {
                *i += 1;
                return Some(node);
            }
            b'"' => {
                let s = *i + 1;
                *i = s;
                // A doubled quote is a quote inside the string.
                while *i < b.len() && !(b[*i] == b'"' && b.get(*i + 1) != Some(&b'"')) {
                    *i += if b[*i] == b'"' { 2 } else { 1 };
                }
                node.args.push(String::from_utf8_lossy(&b[s..*i]).replace("\"\"", "\""));
                *i += 1;
            }
            _ => {
                let s = *i;
                while *i < b.len() && !matches!(b[*i], b',' | b']' | b')' | b'[' | b'(') {
                    *i += 1;
                }
                if matches!(b.get(*i), Some(b'[') | Some(b'(')) {
                    *i = s;
                    node.children.push(wkt_node(b, i, depth + 1)?);
                } else {
                    node.args.push(String::from_utf8_lossy(&b[s..*i]).trim().to_string());
                }
            }
        }
    }
}

impl WktNode {
    fn find(&self, keywords: &[&str]) -> Option<&WktNode> {
        if keywords.contains(&self.keyword.as_str()) {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(keywords))
    }

    /// The metres per unit of the first linear `UNIT`/`LENGTHUNIT` inside, outside any
    /// geographic base CRS.
    fn linear_unit(&self) -> Option<f64> {
        for c in &self.children {
            if matches!(c.keyword.as_str(), "GEOGCS" | "BASEGEOGCRS" | "BASEGEODCRS") {
                continue;
            }
            if matches!(c.keyword.as_str(), "UNIT" | "LENGTHUNIT") {
                if let Some(f) = c.args.get(1).and_then(|a| a.parse::<f64>().ok()) {
                    let name = c.args[0].to_ascii_lowercase();
                    if f > 0.0 && !(name.contains("degree") || name.contains("radian") || name.contains("grad")) {
                        return Some(f);
                    }
                }
            }
            if let Some(f) = c.linear_unit() {
                return Some(f);
            }
        }
        None
    }

    /// Its own EPSG code (`AUTHORITY["EPSG","n"]` or `ID["EPSG",n]` directly inside).
    fn epsg(&self) -> Option<u32> {
        self.children
            .iter()
            .filter(|c| matches!(c.keyword.as_str(), "AUTHORITY" | "ID"))
            .find(|c| c.args.first().is_some_and(|a| a.eq_ignore_ascii_case("EPSG")))
            .and_then(|c| c.args.get(1)?.trim().parse().ok())
    }
}

/// Facts from a WKT (1 or 2): the projected CRS's EPSG code, metres per horizontal and
/// vertical unit.
pub fn wkt_crs(wkt: &str) -> (Option<u32>, Option<f64>, Option<f64>) {
    let Some(root) = wkt_node(wkt.as_bytes(), &mut 0, 0) else { return (None, None, None) };
    let projected = root.find(&["PROJCS", "PROJCRS"]);
    let vertical = root.find(&["VERT_CS", "VERTCRS"]);
    (projected.and_then(WktNode::epsg), projected.and_then(WktNode::linear_unit), vertical.and_then(WktNode::linear_unit))
}

/// Writes points (metres) as LAS 1.4 point format 6, or LAZ when the path ends in `.laz`, with
/// 1 mm scales and offsets at the minimum (no CRS record: the caller's lineage says it).
pub fn write(path: &Path, pts: &[Point]) -> Result<(), LasError> {
    let mut builder = Builder::from((1, 4));
    builder.point_format = las::point::Format::new(6).map_err(err(path))?;
    let min = |f: fn(&Point) -> f64| pts.iter().map(f).fold(f64::MAX, f64::min);
    let origin = if pts.is_empty() { [0.0; 3] } else { [min(|p| p.x).floor(), min(|p| p.y).floor(), min(|p| p.z).floor()] };
    let t = |o: f64| Transform { scale: 0.001, offset: o };
    builder.transforms = Vector { x: t(origin[0]), y: t(origin[1]), z: t(origin[2]) };
    builder.generating_software = "navigli demo --lidar".to_string();
    let header = builder.into_header().map_err(err(path))?;
    let mut writer = Writer::from_path(path, header).map_err(err(path))?;
    for p in pts {
        let point = las::Point {
            x: p.x,
            y: p.y,
            z: p.z,
            classification: las::point::Classification::new(p.class).map_err(err(path))?,
            return_number: 1,
            number_of_returns: 1,
            gps_time: Some(0.0),
            ..Default::default()
        };
        writer.write_point(point).map_err(err(path))?;
    }
    writer.close().map_err(err(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wkt_units_and_codes() {
        let wkt = r#"COMPD_CS["NAD83(2011) / Nebraska (ftUS) + NAVD88 height (ftUS)",PROJCS["NAD83(2011) / Nebraska (ftUS)",GEOGCS["NAD83(2011)",DATUM["NAD83_National_Spatial_Reference_System_2011",SPHEROID["GRS 1980",6378137,298.257222101,AUTHORITY["EPSG","7019"]],AUTHORITY["EPSG","1116"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","6318"]],PROJECTION["Lambert_Conformal_Conic_2SP"],UNIT["US survey foot",0.304800609601219,AUTHORITY["EPSG","9003"]],AUTHORITY["EPSG","6880"]],VERT_CS["NAVD88 height (ftUS)",VERT_DATUM["North American Vertical Datum 1988",2005,AUTHORITY["EPSG","5103"]],UNIT["US survey foot",0.304800609601219,AUTHORITY["EPSG","9003"]],AUTHORITY["EPSG","6360"]]]"#;
        let (epsg, xy, z) = wkt_crs(wkt);
        assert_eq!(epsg, Some(6880));
        assert!((xy.unwrap() - 0.304800609601219).abs() < 1e-15);
        assert!((z.unwrap() - 0.304800609601219).abs() < 1e-15);
        let (epsg, xy, _) = wkt_crs(
            r#"PROJCS["WGS 84 / UTM zone 32N",GEOGCS["WGS 84",UNIT["degree",0.0174532925199433]],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AUTHORITY["EPSG","32632"]]"#,
        );
        assert_eq!((epsg, xy), (Some(32632), Some(1.0)));
    }

    #[test]
    fn writes_and_reads_back_laz_and_las() {
        let dir = tempfile::tempdir().unwrap();
        let pts: Vec<Point> = (0..500)
            .map(|i| Point {
                x: 515_000.0 + i as f64 * 0.013,
                y: 5_035_000.0 - i as f64 * 0.007,
                z: 120.0 + (i % 7) as f64,
                class: (i % 3) as u8 + 1,
            })
            .collect();
        for name in ["a.las", "a.laz"] {
            let path = dir.path().join(name);
            write(&path, &pts).unwrap();
            let mut s = Survey::open(&path).unwrap();
            assert_eq!(s.info.compressed, name.ends_with("laz"));
            assert_eq!(s.info.points, 500);
            let back = s.read_all().unwrap();
            for (a, b) in pts.iter().zip(&back) {
                assert!((a.x - b.x).abs() < 6e-4 && (a.y - b.y).abs() < 6e-4 && (a.z - b.z).abs() < 6e-4);
                assert_eq!(a.class, b.class);
            }
        }
    }
}
