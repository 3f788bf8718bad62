//! Deterministic demo data over a comuni table (the shipped one: the 133 comuni of the Città
//! Metropolitana di Milano), and the boundaries GeoPackage `navigli init` starts a deployment
//! with ([`write_boundaries_gpkg`]).
//!
//! [`write_gpkg`] writes a GeoPackage and [`load_postgis`] fills the PostGIS schema of
//! `migrations/V1__cmm_schema.sql`; both write exactly the same rows (same fids, values and
//! coordinates), generated once in memory as a pure function of the comuni table and the
//! [`DemoOptions`] (size and seed). Nothing here is real data except the comuni table itself and
//! a handful of hand-written facts (waypoints of the Navigli, rivers and motorways, Milano's
//! parks and hospitals, see `facts.rs`); all geometry is in EPSG:32632, rounded to millimetres.
//!
//! The tables:
//! - `comuni`: approximate boundaries, a power (weighted Voronoi) diagram of the centroids whose
//!   cell areas follow the real areas, clipped to a buffered hull (`approssimato` = true);
//! - `zone_omogenee`: the comuni dissolved per zona omogenea;
//! - `edifici` (DBT A020102) and `falde` (roof planes, 1–4 per building);
//! - `strade` (DBT L010107): motorways, radial and provincial roads, each comune's street grid;
//! - `idrografia`: Navigli, Canale Villoresi and rivers, split per comune;
//! - `aree_verdi`, `uso_suolo` (DUSAF-like classes on a 500 m grid), `servizi_pubblici`, and
//!   the restricted `servizi_sociali`.
//!
//! Sizes: [`DemoSize::Small`] has one building per 100 inhabitants (≈ 30,000, at least 20 per
//! comune); [`DemoSize::Full`] one per 18 in Milano and one per 7 elsewhere (≈ 320,000, at
//! least 150 per comune; the hinterland has more buildings per head than the city). Roof planes
//! follow the buildings (about two per building); the other layers are the same in both sizes.
//!
//! Identifiers are stable: `fid`s run from 1 in each table, in ISTAT-code order of the comuni
//! (zones in code order, waterways along their course), and every random choice comes from a
//! stream keyed by (seed, layer, comune).

mod buildings;
mod cells;
mod facts;
mod generate;
mod geom;
mod gpkg;
pub mod lidar;
mod postgis;
mod rng;
mod schema;
mod services;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::config::Comune;

/// How much data to generate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DemoSize {
    /// About 30,000 buildings: quick to generate, for development and tests.
    #[default]
    Small,
    /// About 320,000 buildings: for load tests.
    Full,
}

impl FromStr for DemoSize {
    type Err = DemoError;

    fn from_str(s: &str) -> Result<DemoSize, DemoError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "small" => Ok(DemoSize::Small),
            "full" => Ok(DemoSize::Full),
            _ => Err(DemoError::InvalidSize(s.to_string())),
        }
    }
}

impl fmt::Display for DemoSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DemoSize::Small => "small",
            DemoSize::Full => "full",
        })
    }
}

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoOptions {
    /// Dataset size.
    pub size: DemoSize,
    /// Seed of every random choice: the same seed gives the same data.
    pub seed: u64,
}

impl Default for DemoOptions {
    fn default() -> DemoOptions {
        DemoOptions { size: DemoSize::Small, seed: 42 }
    }
}

/// What was written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DemoReport {
    /// Rows written per table, in schema order.
    pub tables: Vec<(String, usize)>,
}

impl DemoReport {
    /// Rows written to `table` (`None` if it is not a demo table).
    pub fn rows(&self, table: &str) -> Option<usize> {
        self.tables.iter().find(|(t, _)| t == table).map(|(_, n)| *n)
    }

    /// Rows written in all.
    pub fn total(&self) -> usize {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

/// Demo data could not be generated or written.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// A size other than `small` or `full`.
    #[error("unknown demo size '{0}' (expected 'small' or 'full')")]
    InvalidSize(String),
    /// The comuni table cannot be used (empty, duplicate codes, centroids out of range).
    #[error("invalid input: {0}")]
    Input(String),
    /// A coordinate transform failed.
    #[error(transparent)]
    Transform(#[from] crate::crs::TransformError),
    /// Encoding a geometry failed.
    #[error("geometry encoding failed: {0}")]
    Geometry(#[from] geozero::error::GeozeroError),
    /// File system error.
    #[error("{path}: {error}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        error: std::io::Error,
    },
    /// SQLite error while writing the GeoPackage.
    #[error("GeoPackage: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The migrations could not be applied.
    #[error(transparent)]
    Migrate(#[from] crate::migrate::MigrateError),
    /// PostgreSQL error while loading.
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// The generator thread failed.
    #[error("generator failed: {0}")]
    Task(String),
}

fn report(data: &schema::Dataset) -> DemoReport {
    DemoReport { tables: data.tables.iter().map(|t| (t.def.name.to_string(), t.rows.len())).collect() }
}

/// Generates the dataset and writes a new GeoPackage at `path` (replacing it atomically:
/// written to a temporary file in the same directory, then renamed).
pub fn write_gpkg(path: &Path, comuni: &[Comune], opts: &DemoOptions) -> Result<DemoReport, DemoError> {
    let data = generate::generate(comuni, opts)?;
    write_atomically(path, &data, &gpkg::Srs::utm_north(32))?;
    tracing::info!(path = %path.display(), rows = data.tables.iter().map(|t| t.rows.len()).sum::<usize>(), "demo GeoPackage written");
    Ok(report(&data))
}

/// Writes a GeoPackage holding only a `comuni` table (the demo's columns) from real
/// boundaries, stored in WGS 84 / UTM zone `utm_zone`N: what `navigli init` starts a
/// deployment with. Each comune's geometry is in that CRS; `approssimato` is false. Replaces
/// `path` atomically.
pub fn write_boundaries_gpkg(path: &Path, comuni: &[(Comune, geo::MultiPolygon<f64>)], utm_zone: u32) -> Result<(), DemoError> {
    use schema::{Row, TableRows};
    let rows = comuni
        .iter()
        .enumerate()
        .map(|(i, (c, geom))| Row {
            fid: i as i64 + 1,
            geom: geo::Geometry::MultiPolygon(geom.clone()),
            values: schema::comune_values(c, false),
        })
        .collect();
    let data = schema::Dataset { tables: vec![TableRows { def: &schema::COMUNI, rows }] };
    write_atomically(path, &data, &gpkg::Srs::utm_north(utm_zone))
}

/// Writes `data` to a temporary file beside `path`, then renames it over `path`.
fn write_atomically(path: &Path, data: &schema::Dataset, srs: &gpkg::Srs) -> Result<(), DemoError> {
    let io = |p: &Path| {
        let path = p.to_path_buf();
        move |error| DemoError::Io { path, error }
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path.file_name().ok_or_else(|| DemoError::Input(format!("{} is not a file path", path.display())))?;
    let tmp = dir.join(format!(".{}.{}.tmp", file_name.to_string_lossy(), std::process::id()));
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&tmp)(e)),
        _ => {}
    }
    if let Err(e) = gpkg::write(&tmp, data, srs) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(path)(e)
    })
}

/// Applies the migrations ([`crate::migrate::run`]), then truncates and fills the same tables in
/// PostGIS with exactly the rows [`write_gpkg`] writes (same fids, values and coordinates), in
/// one transaction, and analyses them.
pub async fn load_postgis(url: &str, comuni: &[Comune], opts: &DemoOptions) -> Result<DemoReport, DemoError> {
    crate::migrate::run(url).await?;
    let comuni = comuni.to_vec();
    let opts = *opts;
    let data =
        tokio::task::spawn_blocking(move || generate::generate(&comuni, &opts)).await.map_err(|e| DemoError::Task(e.to_string()))??;
    let mut client = crate::migrate::connect(url).await?;
    postgis::load(&mut client, &data).await?;
    tracing::info!(rows = data.tables.iter().map(|t| t.rows.len()).sum::<usize>(), "demo data loaded into PostGIS");
    Ok(report(&data))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::OnceLock;

    use geo::{Geometry, MultiPolygon};

    use super::schema::Dataset;
    use super::*;

    fn comuni() -> Vec<Comune> {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/comuni.csv")).unwrap();
        crate::config::parse_comuni(&text).unwrap()
    }

    /// The Small dataset with the default seed, generated once for all tests.
    fn small() -> &'static Dataset {
        static DATA: OnceLock<Dataset> = OnceLock::new();
        DATA.get_or_init(|| generate::generate(&comuni(), &DemoOptions::default()).unwrap())
    }

    fn cod_istat(row: &schema::Row, def: &schema::TableDef) -> Option<String> {
        let i = def.columns.iter().position(|c| c.name == "cod_istat")?;
        match &row.values[i] {
            schema::Val::Text(Some(s)) => Some(s.to_string()),
            _ => None,
        }
    }

    #[test]
    fn sizes_parse() {
        assert_eq!("small".parse::<DemoSize>().unwrap(), DemoSize::Small);
        assert_eq!("Full".parse::<DemoSize>().unwrap(), DemoSize::Full);
        assert!("huge".parse::<DemoSize>().is_err());
        assert_eq!(DemoOptions::default(), DemoOptions { size: DemoSize::Small, seed: 42 });
    }

    #[test]
    fn generation_is_deterministic() {
        let data = small();
        let again = generate::generate(&comuni(), &DemoOptions::default()).unwrap();
        assert!(*data == again, "same seed, different data");
        // Another seed changes the data (a few comuni suffice to show it, and it is quick).
        let few: Vec<Comune> = comuni().into_iter().filter(|c| c.zona_code == "SE").collect();
        let a = generate::generate(&few, &DemoOptions { seed: 1, ..Default::default() }).unwrap();
        let b = generate::generate(&few, &DemoOptions { seed: 2, ..Default::default() }).unwrap();
        assert!(a.table("edifici").unwrap().rows != b.table("edifici").unwrap().rows);
        assert_eq!(a.table("comuni").unwrap().rows, b.table("comuni").unwrap().rows, "boundaries depend on the comuni only");
    }

    #[test]
    fn every_row_fits_its_table() {
        let data = small();
        assert_eq!(data.tables.len(), 13);
        for t in &data.tables {
            // the roof tables are filled by `navigli roofs compute`, not by the generator
            let computed = matches!(t.def.name, "tetti_rossi" | "tetti_verdi");
            assert_eq!(t.rows.is_empty(), computed, "{} rows: {}", t.def.name, t.rows.len());
            for (k, row) in t.rows.iter().enumerate() {
                assert_eq!(row.fid, k as i64 + 1, "{}: fids are 1..n", t.def.name);
                assert_eq!(row.values.len(), t.def.columns.len());
                assert!(row.values.iter().zip(t.def.columns).all(|(v, c)| v.fits(c)), "{} {}: {:?}", t.def.name, row.fid, row.values);
                let ok = matches!(
                    (&row.geom, t.def.geom_type),
                    (Geometry::MultiPolygon(_), schema::GeomType::MultiPolygon)
                        | (Geometry::Point(_), schema::GeomType::Point)
                        | (Geometry::MultiLineString(_), schema::GeomType::MultiLineString)
                );
                assert!(ok, "{} {}: wrong geometry type", t.def.name, row.fid);
            }
        }
    }

    /// House numbers: one per (comune, street, number, exponent), every comune has some, each
    /// sits beside a piece of its own street (within the carriageway half-width plus the
    /// setback, give or take a metre), odd on one side and even on the other.
    #[test]
    fn house_numbers_are_unique_and_beside_their_street() {
        use geo::{Distance, Euclidean};
        let data = small();
        let civici = data.table("civici").unwrap();
        let strade = data.table("strade").unwrap();
        let text =
            |r: &schema::Row, def: &schema::TableDef, col: &str| match &r.values[def.columns.iter().position(|c| c.name == col).unwrap()] {
                schema::Val::Text(t) => t.as_ref().map(|t| t.to_string()),
                schema::Val::Int(i) => i.map(|i| i.to_string()),
                _ => None,
            };
        let mut seen = std::collections::HashSet::new();
        let mut per_comune: HashMap<String, usize> = HashMap::new();
        for r in &civici.rows {
            let key = (
                text(r, civici.def, "cod_istat"),
                text(r, civici.def, "odonimo"),
                text(r, civici.def, "civico"),
                text(r, civici.def, "esponente"),
            );
            assert!(seen.insert(key.clone()), "duplicate house number {key:?}");
            *per_comune.entry(key.0.unwrap()).or_default() += 1;
        }
        assert_eq!(per_comune.len(), 133, "every comune has house numbers");
        assert!((20_000..=400_000).contains(&civici.rows.len()), "{} civici", civici.rows.len());
        let mut streets: HashMap<(String, String), Vec<&Geometry<f64>>> = HashMap::new();
        for r in &strade.rows {
            if let (Some(c), Some(n)) = (text(r, strade.def, "cod_istat"), text(r, strade.def, "nome")) {
                streets.entry((c, n)).or_default().push(&r.geom);
            }
        }
        for r in civici.rows.iter().step_by(97) {
            let Geometry::Point(p) = &r.geom else { panic!("civico {} is not a point", r.fid) };
            let key = (text(r, civici.def, "cod_istat").unwrap(), text(r, civici.def, "odonimo").unwrap());
            let d = streets[&key]
                .iter()
                .map(|g| match g {
                    Geometry::MultiLineString(ml) => ml.0.iter().map(|l| Euclidean.distance(p, l)).fold(f64::INFINITY, f64::min),
                    _ => f64::INFINITY,
                })
                .fold(f64::INFINITY, f64::min);
            assert!((9.0..=15.0).contains(&d), "civico {} is {d:.1} m from {}", r.fid, key.1);
        }
    }

    #[test]
    fn counts_and_coverage_of_the_small_dataset() {
        let data = small();
        let all = comuni();
        let count = |t: &str| data.table(t).unwrap().rows.len();
        assert_eq!(count("comuni"), 133);
        assert_eq!(count("zone_omogenee"), 8);
        let edifici = count("edifici");
        assert!((25_000..=40_000).contains(&edifici), "edifici {edifici}");
        let falde = count("falde");
        assert!(falde > edifici * 3 / 2 && falde < edifici * 4, "falde {falde}");
        let per = |t: &str| -> HashMap<String, usize> {
            let tr = data.table(t).unwrap();
            let mut m = HashMap::new();
            for r in &tr.rows {
                *m.entry(cod_istat(r, tr.def).unwrap()).or_default() += 1;
            }
            m
        };
        let buildings = per("edifici");
        let comuni_rows = per("comuni");
        for c in &all {
            assert!(
                buildings.get(&c.istat_code).copied().unwrap_or(0) >= 20,
                "{} has {:?} buildings",
                c.name,
                buildings.get(&c.istat_code)
            );
            assert_eq!(comuni_rows.get(&c.istat_code), Some(&1));
        }
        let milano = buildings["015146"];
        assert!(buildings.values().all(|&n| n <= milano));
        for t in ["strade", "aree_verdi", "uso_suolo", "servizi_pubblici", "servizi_sociali"] {
            let m = per(t);
            assert!(all.iter().all(|c| m.contains_key(&c.istat_code)), "{t}: a comune has none");
        }
        let water: Vec<String> = data.table("idrografia").unwrap().rows.iter().map(|r| format!("{:?}", r.values[1])).collect();
        for name in
            ["Naviglio Grande", "Naviglio Pavese", "Naviglio della Martesana", "Naviglio di Bereguardo", "Canale Villoresi", "Fiume Lambro"]
        {
            assert!(water.iter().any(|w| w.contains(name)), "{name} missing");
        }
    }

    #[test]
    fn buildings_lie_inside_their_comune_and_cells_tile() {
        let data = small();
        let comuni = data.table("comuni").unwrap();
        let mut cells: HashMap<String, geom::ConvexCell> = HashMap::new();
        let mut total = 0.0;
        for r in &comuni.rows {
            let Geometry::MultiPolygon(MultiPolygon(polys)) = &r.geom else { panic!() };
            assert_eq!(polys.len(), 1);
            let ext = &polys[0].exterior().0;
            assert_eq!(ext.first(), ext.last(), "closed ring");
            let open = ext[..ext.len() - 1].to_vec();
            assert!(geom::ring_area(&open) > 0.0, "comune {}: exterior ring is not CCW", r.fid);
            total += geom::ring_area(&open);
            cells.insert(cod_istat(r, comuni.def).unwrap(), geom::ConvexCell::new(open));
        }
        // Roughly the real area of the metropolitan city (1,575 km²), inflated by the hull.
        assert!((1.2e9..3.0e9).contains(&total), "total area {total}");
        for t in ["edifici", "falde", "aree_verdi"] {
            let tr = data.table(t).unwrap();
            for r in &tr.rows {
                let cell = &cells[&cod_istat(r, tr.def).unwrap()];
                let Geometry::MultiPolygon(mp) = &r.geom else { panic!() };
                for p in &mp.0 {
                    let ext = &p.exterior().0;
                    assert!(geom::ring_area(&ext[..ext.len() - 1]) > 0.0, "{t} {}: clockwise", r.fid);
                    assert!(ext.iter().all(|c| cell.depth(*c) >= 0.0), "{t} {} outside its comune", r.fid);
                }
            }
        }
        for t in ["servizi_pubblici", "servizi_sociali"] {
            let tr = data.table(t).unwrap();
            for r in &tr.rows {
                let Geometry::Point(p) = &r.geom else { panic!() };
                assert!(cells[&cod_istat(r, tr.def).unwrap()].depth(p.0) >= 0.0, "{t} {} outside its comune", r.fid);
            }
        }
    }

    #[test]
    fn polygons_are_valid() {
        use geo::Validation;
        let data = small();
        for t in ["comuni", "zone_omogenee", "aree_verdi", "uso_suolo", "edifici", "falde"] {
            let tr = data.table(t).unwrap();
            // Every row of the small tables, a sample of the big ones.
            let step = (tr.rows.len() / 2_000).max(1);
            for r in tr.rows.iter().step_by(step) {
                assert!(r.geom.is_valid(), "{t} {}: {:?}", r.fid, r.geom.check_validation());
            }
        }
        let zones = data.table("zone_omogenee").unwrap();
        let parts: Vec<usize> = zones
            .rows
            .iter()
            .map(|r| match &r.geom {
                Geometry::MultiPolygon(mp) => mp.0.len(),
                _ => 0,
            })
            .collect();
        // One part per zone, two for Sud Est (San Colombano al Lambro is an exclave).
        assert_eq!(parts, vec![1, 1, 1, 1, 1, 1, 2, 1]);
    }

    #[test]
    fn buildings_do_not_overlap() {
        use geo::{BoundingRect, Intersects};
        let tr = small().table("edifici").unwrap();
        // Bucket by 100 m tiles of the bbox centre, compare neighbours.
        let mut tiles: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
        let rects: Vec<geo::Rect> = tr.rows.iter().map(|r| r.geom.bounding_rect().unwrap()).collect();
        for (k, r) in rects.iter().enumerate() {
            tiles.entry(((r.center().x / 100.0).floor() as i64, (r.center().y / 100.0).floor() as i64)).or_default().push(k);
        }
        let mut checked = 0;
        for (&(tx, ty), members) in &tiles {
            for &a in members {
                for dx in -1..=1 {
                    for dy in -1..=1 {
                        for &b in tiles.get(&(tx + dx, ty + dy)).map(Vec::as_slice).unwrap_or(&[]) {
                            if a < b && rects[a].intersects(&rects[b]) {
                                checked += 1;
                                assert!(!tr.rows[a].geom.intersects(&tr.rows[b].geom), "buildings {} and {} overlap", a + 1, b + 1);
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > 0, "no neighbouring buildings compared");
    }

    #[test]
    fn geopackage_has_rtrees_and_contents() {
        let data = small();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.gpkg");
        gpkg::write(&path, data, &gpkg::Srs::utm_north(32)).unwrap();
        let conn = rusqlite::Connection::open(&path).unwrap();
        let app: i64 = conn.query_row("PRAGMA application_id", [], |r| r.get(0)).unwrap();
        assert_eq!(app, 0x4750_4B47);
        for t in &data.tables {
            let name = t.def.name;
            let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {name}"), [], |r| r.get(0)).unwrap();
            let rt: i64 = conn.query_row(&format!("SELECT count(*) FROM rtree_{name}_geom"), [], |r| r.get(0)).unwrap();
            assert_eq!((n as usize, rt as usize), (t.rows.len(), t.rows.len()), "{name}");
            let kind: String =
                conn.query_row("SELECT geometry_type_name FROM gpkg_geometry_columns WHERE table_name = ?1", [name], |r| r.get(0)).unwrap();
            assert_eq!(kind, t.def.geom_type.gpkg_name());
        }
        let date: Option<String> =
            conn.query_row("SELECT data_rilievo FROM edifici WHERE data_rilievo IS NOT NULL LIMIT 1", [], |r| r.get(0)).unwrap();
        assert_eq!(date.unwrap().len(), 10);
        // The GeoPackage source of the server reads it back.
        let blob: Vec<u8> = conn.query_row("SELECT geom FROM comuni WHERE fid = 1", [], |r| r.get(0)).unwrap();
        let wkb = crate::source::gpkg::gpkg_wkb(&blob).unwrap();
        use geozero::ToGeo;
        let g = geozero::wkb::Wkb(wkb.to_vec()).to_geo().unwrap();
        assert_eq!(g, data.table("comuni").unwrap().rows[0].geom);
    }
}
