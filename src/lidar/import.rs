//! `navigli lidar import`: LAS/LAZ tiles + the DBT building footprints → measured roof faces
//! written into `falde`, building heights into `edifici`, and the survey's lineage into
//! `rilievi_lidar` — in the GeoPackage or PostGIS database of the roof planes layer.
//!
//! Streaming: the tiles' headers are read first; every building the survey covers whole then
//! waits for the tiles that overlap it (its footprint's box and 3 m around, for the ground), tiles are read one by
//! one, south to north, each point going to the buckets of the buildings around it; a building
//! whose tiles are all read is measured at once and its points dropped. A survey of any size
//! only ever holds the points of the buildings still waiting, never all of them.
//!
//! Buildings are measured in parallel batches whose results are kept in building order, so the
//! output does not depend on the thread count. A building with too few roof points (less than
//! [`MIN_POINTS_PER_M2`] per m² of footprint, or no face found) keeps its previous planes and
//! is flagged `lidar = 'insufficiente'`; a measured one is flagged `'misurato'`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use geo::{Area, BoundingRect, Polygon};
use geozero::wkb::Wkb;
use geozero::{CoordDimensions, ToGeo, ToWkb};
use indicatif::{ProgressBar, ProgressStyle};

use super::las::{LasError, Survey};
use super::planes::Params;
use super::roof::{building_points, roof_faces};
use super::{Face, Point};
use crate::roofs::compute::Target;

/// Below this many roof points per m² of footprint a building is not measured.
pub const MIN_POINTS_PER_M2: f64 = 1.0;
/// Points this far (m) around a footprint are kept with it (for its ground level).
pub const MARGIN: f64 = 3.0;
/// The method recorded in the lineage.
pub const METHOD: &str = "navigli lidar: PCA normals, region growing, coplanar merging, robust refit; faces partition the DBT footprint";

/// What to import.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// LAS/LAZ files.
    pub files: Vec<PathBuf>,
    /// The survey's CRS when its files do not say, or say wrong (`EPSG:n`).
    pub crs: Option<String>,
    /// Survey name for the lineage (default: the first file's name).
    pub name: Option<String>,
    /// Survey date (ISO `YYYY-MM-DD`) for the lineage.
    pub date: Option<String>,
    /// Worker threads (0: all cores).
    pub threads: usize,
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportReport {
    /// Files read.
    pub files: usize,
    /// Points read.
    pub points: u64,
    /// Buildings overlapped by the survey.
    pub buildings: usize,
    /// Buildings measured (their planes replaced).
    pub measured: usize,
    /// Buildings left with their previous planes (too few points).
    pub insufficient: usize,
    /// Faces written.
    pub faces: usize,
    /// Mean roof point density over the measured buildings (points per m²).
    pub density: f64,
    /// The survey's id in `rilievi_lidar`.
    pub survey_id: i64,
}

/// An import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A survey file.
    #[error("{0}")]
    Las(#[from] LasError),
    /// GeoPackage error.
    #[error("GeoPackage: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL error.
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// Could not connect or migrate.
    #[error("{0}")]
    Migrate(#[from] crate::migrate::MigrateError),
    /// Bad input (CRS, schema, options).
    #[error("{0}")]
    Invalid(String),
}

/// A DBT building as read.
#[derive(Clone, Debug)]
pub struct Building {
    /// Its fid in `edifici`.
    pub fid: i64,
    /// Its comune.
    pub cod_istat: String,
    /// Its footprint (the first polygon of its multipolygon).
    pub footprint: Polygon<f64>,
    bbox: [f64; 4],
}

impl Building {
    /// A building from its row.
    pub fn new(fid: i64, cod_istat: String, wkb: &[u8]) -> Option<Building> {
        let geom = Wkb(wkb.to_vec()).to_geo().ok()?;
        let footprint = match geom {
            geo::Geometry::Polygon(p) => p,
            geo::Geometry::MultiPolygon(mp) => mp.0.into_iter().max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))?,
            _ => return None,
        };
        let r = footprint.bounding_rect()?;
        Some(Building { fid, cod_istat, bbox: [r.min().x, r.min().y, r.max().x, r.max().y], footprint })
    }
}

/// One building's measurement.
#[derive(Clone, Debug)]
pub struct Measured {
    /// The building's fid.
    pub fid: i64,
    /// Its comune.
    pub cod_istat: String,
    /// The faces (empty: insufficient).
    pub faces: Vec<Face>,
    /// Ground level (m), when points around it say.
    pub ground: Option<f64>,
    /// Roof points per m² of footprint.
    pub density: f64,
}

/// Measures one building from the points around it.
pub fn measure(b: &Building, pts: &[Point], params: &Params) -> Measured {
    let sel = building_points(&b.footprint, pts);
    let area = b.footprint.unsigned_area().max(1e-9);
    let density = sel.roof.iter().filter(|p| !super::roof::is_vegetation(p.class)).count() as f64 / area;
    let faces = if density >= MIN_POINTS_PER_M2 { roof_faces(&b.footprint, &sel.roof, params) } else { Vec::new() };
    Measured { fid: b.fid, cod_istat: b.cod_istat.clone(), faces, ground: sel.ground, density }
}

/// Measures many buildings on `threads` threads; results in input order.
pub fn measure_all(jobs: Vec<(&Building, Vec<Point>)>, params: &Params, threads: usize) -> Vec<Measured> {
    let threads = threads.max(1).min(jobs.len().max(1));
    if threads == 1 {
        return jobs.iter().map(|(b, p)| measure(b, p, params)).collect();
    }
    let chunk = jobs.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> =
            jobs.chunks(chunk).map(|part| s.spawn(move || part.iter().map(|(b, p)| measure(b, p, params)).collect::<Vec<_>>())).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}

/// How survey coordinates become the buildings' coordinates.
enum Reproject {
    /// Same CRS: units to metres.
    Same,
    /// Another CRS: PROJ, on the file's own units.
    Proj(proj::Proj),
}

impl Reproject {
    fn new(info: &super::las::SurveyInfo, forced: Option<&str>, target_epsg: i32) -> Result<Reproject, ImportError> {
        let from = match (forced, info.epsg, &info.wkt) {
            (Some(c), _, _) => c.to_string(),
            (None, Some(code), _) => format!("EPSG:{code}"),
            (None, None, Some(wkt)) => wkt.clone(),
            (None, None, None) => format!("EPSG:{target_epsg}"),
        };
        if from.eq_ignore_ascii_case(&format!("EPSG:{target_epsg}")) {
            return Ok(Reproject::Same);
        }
        proj::Proj::new_known_crs(&from, &format!("EPSG:{target_epsg}"), None)
            .map(Reproject::Proj)
            .map_err(|e| ImportError::Invalid(format!("cannot reproject the survey from {} to EPSG:{target_epsg}: {e}", short(&from))))
    }

    fn apply(&self, p: &mut Point, xy_unit: f64) {
        match self {
            Reproject::Same => {}
            Reproject::Proj(proj) => {
                // `Survey` gives metres; PROJ wants the file's own units back.
                if let Ok((x, y)) = proj.convert((p.x / xy_unit, p.y / xy_unit)) {
                    p.x = x;
                    p.y = y;
                }
            }
        }
    }
}

fn short(s: &str) -> String {
    s.chars().take(60).collect()
}

/// A survey file as pass 1 found it.
struct Tile {
    path: PathBuf,
    /// Its box in the buildings' CRS.
    bbox: [f64; 4],
    points: u64,
    reproject: Reproject,
}

/// A grid of building boxes (with the margin) for assigning points.
struct BuildingGrid {
    cell: f64,
    cells: HashMap<(i64, i64), Vec<u32>>,
}

impl BuildingGrid {
    fn new(buildings: &[Building]) -> BuildingGrid {
        let cell = 25.0;
        let mut cells: HashMap<(i64, i64), Vec<u32>> = HashMap::new();
        for (k, b) in buildings.iter().enumerate() {
            let (i0, j0) = (((b.bbox[0] - MARGIN) / cell).floor() as i64, ((b.bbox[1] - MARGIN) / cell).floor() as i64);
            let (i1, j1) = (((b.bbox[2] + MARGIN) / cell).floor() as i64, ((b.bbox[3] + MARGIN) / cell).floor() as i64);
            for j in j0..=j1 {
                for i in i0..=i1 {
                    cells.entry((i, j)).or_default().push(k as u32);
                }
            }
        }
        BuildingGrid { cell, cells }
    }

    fn around(&self, x: f64, y: f64) -> &[u32] {
        self.cells.get(&((x / self.cell).floor() as i64, (y / self.cell).floor() as i64)).map_or(&[], |v| v.as_slice())
    }
}

fn overlaps(a: &[f64; 4], b: &[f64; 4]) -> bool {
    a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} ({eta})") {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(what.to_string());
    pb
}

/// Reads the survey and measures every building it covers (the streaming pass).
pub fn survey_buildings(
    buildings: &[Building],
    target_epsg: i32,
    opts: &ImportOptions,
    params: &Params,
) -> Result<(Vec<Measured>, u64), ImportError> {
    if opts.files.is_empty() {
        return Err(ImportError::Invalid("no LAS/LAZ file given".into()));
    }
    // Pass 1: headers — each tile's box in the buildings' CRS, its points, its reprojection.
    let mut tiles: Vec<Tile> = Vec::new();
    for f in &opts.files {
        let s = Survey::open(f)?;
        let r = Reproject::new(&s.info, opts.crs.as_deref(), target_epsg)?;
        let (lo, hi) = s.info.bounds;
        let mut bb = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for (x, y) in [(lo[0], lo[1]), (hi[0], lo[1]), (hi[0], hi[1]), (lo[0], hi[1])] {
            let mut p = Point { x: x * s.info.xy_unit, y: y * s.info.xy_unit, z: 0.0, class: 0 };
            r.apply(&mut p, s.info.xy_unit);
            bb = [bb[0].min(p.x), bb[1].min(p.y), bb[2].max(p.x), bb[3].max(p.y)];
        }
        tiles.push(Tile { path: f.clone(), bbox: bb, points: s.info.points, reproject: r });
    }
    tiles.sort_by(|a, b| a.bbox[1].total_cmp(&b.bbox[1]).then(a.bbox[0].total_cmp(&b.bbox[0])).then(a.path.cmp(&b.path)));
    // Each building waits for the tiles over it. Only buildings the survey covers whole (every
    // corner of the footprint's box inside a tile) are surveyed: half a roof is no measure.
    let mut pending: Vec<usize> = buildings
        .iter()
        .map(|b| {
            let bb = [b.bbox[0] - MARGIN, b.bbox[1] - MARGIN, b.bbox[2] + MARGIN, b.bbox[3] + MARGIN];
            tiles.iter().filter(|t| overlaps(&bb, &t.bbox)).count()
        })
        .collect();
    let inside = |x: f64, y: f64| tiles.iter().any(|t| x >= t.bbox[0] && x <= t.bbox[2] && y >= t.bbox[1] && y <= t.bbox[3]);
    let whole = |b: &Building| {
        [(b.bbox[0], b.bbox[1]), (b.bbox[2], b.bbox[1]), (b.bbox[2], b.bbox[3]), (b.bbox[0], b.bbox[3])].iter().all(|&(x, y)| inside(x, y))
    };
    let covered: Vec<usize> = (0..buildings.len()).filter(|&k| pending[k] > 0 && whole(&buildings[k])).collect();
    let surveyed: Vec<Building> = covered.iter().map(|&k| buildings[k].clone()).collect();
    pending = covered.iter().map(|&k| pending[k]).collect();
    let grid = BuildingGrid::new(&surveyed);
    let mut buckets: Vec<Vec<Point>> = vec![Vec::new(); surveyed.len()];
    let mut done = vec![false; surveyed.len()];
    let mut results: Vec<Option<Measured>> = vec![None; surveyed.len()];
    let threads = if opts.threads == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { opts.threads };
    let pb = bar(tiles.iter().map(|t| t.points).sum(), "points");
    let mut read = 0u64;
    for tile in &tiles {
        let (bb, r) = (&tile.bbox, &tile.reproject);
        let mut s = Survey::open(&tile.path)?;
        let xy_unit = s.info.xy_unit;
        s.for_each_chunk(1 << 20, |chunk| {
            for p in chunk {
                let mut q = *p;
                r.apply(&mut q, xy_unit);
                for &k in grid.around(q.x, q.y) {
                    let b = &surveyed[k as usize].bbox;
                    if q.x >= b[0] - MARGIN && q.x <= b[2] + MARGIN && q.y >= b[1] - MARGIN && q.y <= b[3] + MARGIN {
                        buckets[k as usize].push(q);
                    }
                }
            }
            read += chunk.len() as u64;
            pb.set_position(read);
        })?;
        // Buildings whose last tile this was are measured now, their points dropped.
        let mut ready = Vec::new();
        for (k, b) in surveyed.iter().enumerate() {
            let bbx = [b.bbox[0] - MARGIN, b.bbox[1] - MARGIN, b.bbox[2] + MARGIN, b.bbox[3] + MARGIN];
            if !done[k] && overlaps(&bbx, bb) {
                pending[k] -= 1;
                if pending[k] == 0 {
                    done[k] = true;
                    ready.push(k);
                }
            }
        }
        let jobs: Vec<(&Building, Vec<Point>)> = ready.iter().map(|&k| (&surveyed[k], std::mem::take(&mut buckets[k]))).collect();
        for (k, m) in ready.iter().zip(measure_all(jobs, params, threads)) {
            results[*k] = Some(m);
        }
    }
    pb.finish_and_clear();
    Ok((results.into_iter().flatten().collect(), read))
}

/// One face as a `falde` row.
struct FaceRow {
    wkb: Vec<u8>,
    bbox: [f64; 4],
    slope: f64,
    aspect: f64,
    area: f64,
    altezza: f64,
    rms: f64,
    points: i64,
    eave: f64,
    ridge: f64,
    clutter: i64,
    vegetation: i64,
}

fn face_row(m: &Measured, f: &Face) -> Option<FaceRow> {
    // Heights above the ground; without ground points around, above the face's own eave.
    let ground = m.ground.unwrap_or(f.eave);
    let r = f.outline.bounding_rect()?;
    // The face's mean height, taken halfway between eave and ridge (exact for a rectangle
    // between them, an approximation for hip triangles and trapezoids).
    let mid = (f.eave + f.ridge) / 2.0;
    let wkb = geo::Geometry::MultiPolygon(f.outline.clone()).to_wkb(CoordDimensions::xy()).ok()?;
    Some(FaceRow {
        wkb,
        bbox: [r.min().x, r.min().y, r.max().x, r.max().y],
        slope: round(f.slope, 2),
        // Flat faces have no aspect; their racked rows face south (the roof model's rule).
        aspect: round(f.aspect.unwrap_or(180.0), 2),
        area: round(f.area, 2),
        altezza: round(mid - ground, 2),
        rms: round(f.rms, 3),
        points: f.points as i64,
        eave: round(f.eave - ground, 2),
        ridge: round(f.ridge - ground, 2),
        clutter: f.clutter as i64,
        vegetation: f.vegetation as i64,
    })
}

fn round(v: f64, d: i32) -> f64 {
    let k = 10f64.powi(d);
    (v * k).round() / k
}

/// The survey's lineage.
struct Lineage {
    name: String,
    date: Option<String>,
    files: String,
    points: i64,
    density: f64,
    crs: String,
}

/// Imports a survey into the planes layer's backend.
pub async fn import(target: &Target, opts: &ImportOptions, params: &Params) -> Result<ImportReport, ImportError> {
    match target {
        Target::Gpkg(path) => {
            let (path, opts, params) = (path.clone(), opts.clone(), *params);
            tokio::task::spawn_blocking(move || import_gpkg(&path, &opts, &params))
                .await
                .map_err(|e| ImportError::Invalid(format!("worker failed: {e}")))?
        }
        Target::Postgis(url) => import_postgis(url, opts, params).await,
    }
}

fn lineage(opts: &ImportOptions, points: u64, measured: &[Measured]) -> Lineage {
    let ok: Vec<&Measured> = measured.iter().filter(|m| !m.faces.is_empty()).collect();
    let density = if ok.is_empty() { 0.0 } else { ok.iter().map(|m| m.density).sum::<f64>() / ok.len() as f64 };
    let first = opts.files.first().and_then(|f| f.file_name()).map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    Lineage {
        name: opts.name.clone().unwrap_or(first),
        date: opts.date.clone(),
        files: opts.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(";"),
        points: points as i64,
        density: round(density, 1),
        crs: opts.crs.clone().unwrap_or_else(|| "from the files".into()),
    }
}

fn report(files: usize, points: u64, measured: &[Measured], survey_id: i64, lin: &Lineage) -> ImportReport {
    ImportReport {
        files,
        points,
        buildings: measured.len(),
        measured: measured.iter().filter(|m| !m.faces.is_empty()).count(),
        insufficient: measured.iter().filter(|m| m.faces.is_empty()).count(),
        faces: measured.iter().map(|m| m.faces.len()).sum(),
        density: lin.density,
        survey_id,
    }
}

/// Columns the import adds to a GeoPackage's `falde` and `edifici` made before they existed
/// (name, SQLite type; PostGIS has them from migration V10).
pub const FALDE_COLUMNS: [(&str, &str); 8] = [
    ("fonte", "TEXT"),
    ("rilievo", "INTEGER"),
    ("rms_m", "REAL"),
    ("punti", "INTEGER"),
    ("gronda", "REAL"),
    ("colmo", "REAL"),
    ("ingombri", "INTEGER"),
    ("vegetazione", "INTEGER"),
];
/// See [`FALDE_COLUMNS`].
pub const EDIFICI_COLUMNS: [(&str, &str); 4] = [("lidar", "TEXT"), ("rilievo", "INTEGER"), ("gronda_m", "REAL"), ("colmo_m", "REAL")];

fn import_gpkg(path: &Path, opts: &ImportOptions, params: &Params) -> Result<ImportReport, ImportError> {
    if !path.exists() {
        return Err(ImportError::Invalid(format!("{}: no such GeoPackage", path.display())));
    }
    let mut conn = rusqlite::Connection::open(path)?;
    let srs: i32 = conn
        .query_row("SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = 'edifici'", [], |r| r.get(0))
        .map_err(|_| ImportError::Invalid(format!("{}: no edifici layer", path.display())))?;
    let mut buildings = Vec::new();
    {
        let mut stmt = conn.prepare("SELECT fid, cod_istat, geom FROM edifici ORDER BY fid")?;
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            let (fid, cod, blob): (i64, String, Vec<u8>) = (r.get(0)?, r.get(1)?, r.get(2)?);
            if let Some(b) = crate::source::gpkg::gpkg_wkb(&blob).and_then(|w| Building::new(fid, cod, w)) {
                buildings.push(b);
            }
        }
    }
    let (measured, points) = survey_buildings(&buildings, srs, opts, params)?;
    let lin = lineage(opts, points, &measured);
    let tx = conn.transaction()?;
    for (table, cols) in [("falde", &FALDE_COLUMNS[..]), ("edifici", &EDIFICI_COLUMNS[..])] {
        let have: Vec<String> =
            tx.prepare(&format!("PRAGMA table_info({table})"))?.query_map([], |r| r.get(1))?.collect::<Result<_, _>>()?;
        for (name, ty) in cols {
            if !have.iter().any(|h| h.eq_ignore_ascii_case(name)) {
                tx.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {name} {ty}"))?;
            }
        }
    }
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS rilievi_lidar (id INTEGER PRIMARY KEY, nome TEXT NOT NULL, data TEXT, file TEXT NOT NULL, \
         punti INTEGER NOT NULL, densita REAL NOT NULL, crs TEXT NOT NULL, metodo TEXT NOT NULL, importato TEXT NOT NULL)",
    )?;
    tx.execute(
        "INSERT INTO rilievi_lidar (nome, data, file, punti, densita, crs, metodo, importato) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, strftime('%Y-%m-%dT%H:%M:%SZ','now'))",
        rusqlite::params![lin.name, lin.date, lin.files, lin.points, lin.density, lin.crs, METHOD],
    )?;
    let survey_id = tx.last_insert_rowid();
    let mut next_fid: i64 = tx.query_row("SELECT coalesce(max(fid), 0) + 1 FROM falde", [], |r| r.get(0))?;
    {
        let mut old_ids = tx.prepare("SELECT fid FROM falde WHERE edificio_fid = ?1")?;
        let mut del_rtree = tx.prepare("DELETE FROM rtree_falde_geom WHERE id = ?1")?;
        let mut del = tx.prepare("DELETE FROM falde WHERE edificio_fid = ?1")?;
        let mut ins = tx.prepare(
            "INSERT INTO falde (fid, geom, cod_istat, edificio_fid, pendenza, esposizione, area_m2, altezza, fonte, rilievo, rms_m, punti, gronda, colmo, ingombri, vegetazione) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'lidar', ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        )?;
        let mut ins_rtree = tx.prepare("INSERT INTO rtree_falde_geom (id, minx, maxx, miny, maxy) VALUES (?1, ?2, ?3, ?4, ?5)")?;
        let mut upd = tx.prepare(
            "UPDATE edifici SET \"UN_VOL_AV\" = ?2, gronda_m = ?2, colmo_m = ?3, lidar = 'misurato', rilievo = ?4 WHERE fid = ?1",
        )?;
        let mut flag = tx.prepare("UPDATE edifici SET lidar = 'insufficiente', rilievo = ?2 WHERE fid = ?1")?;
        let pb = bar(measured.len() as u64, "writing");
        for (i, m) in measured.iter().enumerate() {
            let rows: Vec<FaceRow> = m.faces.iter().filter_map(|f| face_row(m, f)).collect();
            if rows.is_empty() {
                flag.execute(rusqlite::params![m.fid, survey_id])?;
                continue;
            }
            let ids: Vec<i64> = old_ids.query_map([m.fid], |r| r.get(0))?.collect::<Result<_, _>>()?;
            for id in ids {
                del_rtree.execute([id])?;
            }
            del.execute([m.fid])?;
            for r in &rows {
                let bbox = crate::crs::Bbox { min_x: r.bbox[0], min_y: r.bbox[1], max_x: r.bbox[2], max_y: r.bbox[3] };
                let blob = crate::source::gpkg::gpkg_blob(srs, &r.wkb, Some(&bbox));
                ins.execute(rusqlite::params![
                    next_fid,
                    blob,
                    m.cod_istat,
                    m.fid,
                    r.slope,
                    r.aspect,
                    r.area,
                    r.altezza,
                    survey_id,
                    r.rms,
                    r.points,
                    r.eave,
                    r.ridge,
                    r.clutter,
                    r.vegetation
                ])?;
                ins_rtree.execute(rusqlite::params![next_fid, r.bbox[0], r.bbox[2], r.bbox[1], r.bbox[3]])?;
                next_fid += 1;
            }
            let eave = rows.iter().map(|r| r.eave).fold(f64::MAX, f64::min);
            let ridge = rows.iter().map(|r| r.ridge).fold(f64::MIN, f64::max);
            upd.execute(rusqlite::params![m.fid, eave, ridge, survey_id])?;
            if i % 1024 == 0 {
                pb.set_position(i as u64);
            }
        }
        pb.finish_and_clear();
    }
    tx.execute("UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name IN ('falde', 'edifici')", [])?;
    tx.commit()?;
    Ok(report(opts.files.len(), points, &measured, survey_id, &lin))
}

async fn import_postgis(url: &str, opts: &ImportOptions, params: &Params) -> Result<ImportReport, ImportError> {
    crate::migrate::run(url).await?;
    let mut client = crate::migrate::connect(url).await?;
    let srs: i32 = client.query_one("SELECT Find_SRID('public', 'edifici', 'geom')", &[]).await?.get(0);
    let buildings: Vec<Building> = client
        .query("SELECT fid, cod_istat, ST_AsBinary(geom) FROM edifici ORDER BY fid", &[])
        .await?
        .iter()
        .filter_map(|r| Building::new(r.get(0), r.get(1), &r.get::<_, Vec<u8>>(2)))
        .collect();
    let (opts2, params2) = (opts.clone(), *params);
    let (measured, points) = tokio::task::spawn_blocking(move || survey_buildings(&buildings, srs, &opts2, &params2))
        .await
        .map_err(|e| ImportError::Invalid(format!("worker failed: {e}")))??;
    let lin = lineage(opts, points, &measured);
    let tx = client.transaction().await?;
    let survey_id: i64 = tx
        .query_one(
            "INSERT INTO rilievi_lidar (nome, data, file, punti, densita, crs, metodo) VALUES ($1, $2::text::date, $3, $4, $5, $6, $7) RETURNING id",
            &[&lin.name, &lin.date, &lin.files, &lin.points, &lin.density, &lin.crs, &METHOD],
        )
        .await?
        .get(0);
    let mut next_fid: i64 = tx.query_one("SELECT coalesce(max(fid), 0) + 1 FROM falde", &[]).await?.get(0);
    let del = tx.prepare("DELETE FROM falde WHERE edificio_fid = $1").await?;
    let ins = tx
        .prepare(
            "INSERT INTO falde (fid, geom, cod_istat, edificio_fid, pendenza, esposizione, area_m2, altezza, fonte, rilievo, rms_m, punti, gronda, colmo, ingombri, vegetazione) \
             VALUES ($1, ST_Multi(ST_SetSRID(ST_GeomFromWKB($2), $16)), $3, $4, $5, $6, $7, $8, 'lidar', $9, $10, $11, $12, $13, $14, $15)",
        )
        .await?;
    let upd = tx
        .prepare("UPDATE edifici SET \"UN_VOL_AV\" = $2, gronda_m = $2, colmo_m = $3, lidar = 'misurato', rilievo = $4 WHERE fid = $1")
        .await?;
    let flag = tx.prepare("UPDATE edifici SET lidar = 'insufficiente', rilievo = $2 WHERE fid = $1").await?;
    for m in &measured {
        let rows: Vec<FaceRow> = m.faces.iter().filter_map(|f| face_row(m, f)).collect();
        if rows.is_empty() {
            tx.execute(&flag, &[&m.fid, &survey_id]).await?;
            continue;
        }
        tx.execute(&del, &[&m.fid]).await?;
        for r in &rows {
            tx.execute(
                &ins,
                &[
                    &next_fid,
                    &r.wkb,
                    &m.cod_istat,
                    &m.fid,
                    &r.slope,
                    &r.aspect,
                    &r.area,
                    &r.altezza,
                    &survey_id,
                    &r.rms,
                    &r.points,
                    &r.eave,
                    &r.ridge,
                    &r.clutter,
                    &r.vegetation,
                    &srs,
                ],
            )
            .await?;
            next_fid += 1;
        }
        let eave = rows.iter().map(|r| r.eave).fold(f64::MAX, f64::min);
        let ridge = rows.iter().map(|r| r.ridge).fold(f64::MIN, f64::max);
        tx.execute(&upd, &[&m.fid, &eave, &ridge, &survey_id]).await?;
    }
    tx.commit().await?;
    Ok(report(opts.files.len(), points, &measured, survey_id, &lin))
}
