//! `navigli roofs compute`: evaluates every roof plane of a source with the model and writes
//! the results into the same backend — the solar columns of `falde`, and the per-building
//! tables `tetti_rossi` and `tetti_verdi` (rebuilt from scratch; each row carries the
//! building's fid and footprint). GeoPackage and PostGIS get the same rows.
//!
//! The tables and columns are the DBT-derived schema of `migrations/V1__cmm_schema.sql` and
//! `V3__roofs.sql` (the demo GeoPackage has them too). Planes sharing a module orientation
//! (to 0.1°) share one yield computation, so a whole metropolitan area takes seconds.
//! Residential buildings (DBT use 01…) are costed with the main-home deduction, others with
//! the ordinary one.
//!
//! **Shading** (`falde.ombreggiamento`, V5): each plane's skyline is built from the
//! neighbouring buildings within [`NEIGHBOUR_RADIUS`] metres that rise above the plane — each
//! seen as its footprint's bounding box at its eave height (`UN_VOL_AV`), filling the 10°
//! sectors it spans with the elevation of its nearest point — and
//! [`SolarModel::shading_factor`](super::SolarModel::shading_factor) turns the skyline into the
//! fraction of the year's light lost.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::pin::pin;

use indicatif::{ProgressBar, ProgressStyle};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

use geo::BoundingRect;
use geozero::ToGeo;

use super::solar::{Horizon, HORIZON_SECTORS};
use super::{BuildingInfo, BuildingSummary, GreenType, PlaneInput, PlaneYield, RoofReport, Roofs, SolarClass};

/// Neighbours farther than this (metres, plane centre to footprint) cast no shade counted.
pub const NEIGHBOUR_RADIUS: f64 = 60.0;

/// Where to compute.
#[derive(Clone, Debug)]
pub enum Target {
    /// A GeoPackage file.
    Gpkg(PathBuf),
    /// A PostGIS database URL.
    Postgis(String),
}

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ComputeReport {
    /// Planes evaluated.
    pub planes: usize,
    /// Distinct module orientations computed.
    pub orientations: usize,
    /// Rows written to `tetti_rossi`.
    pub tetti_rossi: usize,
    /// Rows written to `tetti_verdi`.
    pub tetti_verdi: usize,
    /// Planes per class, best first.
    pub per_class: [usize; 4],
}

/// A run failed.
#[derive(Debug, thiserror::Error)]
pub enum ComputeError {
    /// GeoPackage error.
    #[error("GeoPackage: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL error.
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// Could not connect or migrate.
    #[error("{0}")]
    Migrate(#[from] crate::migrate::MigrateError),
    /// The data does not have the expected tables.
    #[error("{0}")]
    Schema(String),
}

/// One roof plane as read.
#[derive(Clone, Debug)]
struct PlaneRow {
    fid: i64,
    cod_istat: String,
    building: i64,
    slope: f64,
    aspect: f64,
    area: f64,
    height: Option<f64>,
    uso: Option<String>,
    /// Centre of the plane's bounding box (projected metres) and its mean height.
    centre: (f64, f64),
    altezza: f64,
}

/// A building as an obstacle: footprint bounding box and eave height.
#[derive(Clone, Copy, Debug)]
struct Obstacle {
    fid: i64,
    min: (f64, f64),
    max: (f64, f64),
    height: f64,
}

/// Bounding box of a WKB geometry: (min, max).
fn wkb_bbox(wkb: &[u8]) -> Option<((f64, f64), (f64, f64))> {
    let g = geozero::wkb::Wkb(wkb.to_vec()).to_geo().ok()?;
    let r = g.bounding_rect()?;
    Some(((r.min().x, r.min().y), (r.max().x, r.max().y)))
}

/// Buildings on a square grid, for neighbour lookups.
struct ObstacleGrid {
    cell: f64,
    cells: HashMap<(i64, i64), Vec<Obstacle>>,
}

impl ObstacleGrid {
    fn new(obstacles: Vec<Obstacle>) -> ObstacleGrid {
        let cell = NEIGHBOUR_RADIUS;
        let mut cells: HashMap<(i64, i64), Vec<Obstacle>> = HashMap::new();
        for o in obstacles {
            // registered in every cell its box touches, so a lookup of the 3×3 cells around a
            // point finds every box within one cell size of it
            let (x0, y0) = ((o.min.0 / cell).floor() as i64, (o.min.1 / cell).floor() as i64);
            let (x1, y1) = ((o.max.0 / cell).floor() as i64, (o.max.1 / cell).floor() as i64);
            for cx in x0..=x1.min(x0 + 8) {
                for cy in y0..=y1.min(y0 + 8) {
                    cells.entry((cx, cy)).or_default().push(o);
                }
            }
        }
        ObstacleGrid { cell, cells }
    }

    /// The skyline seen from `(x, y)` at height `z`, ignoring building `own`.
    fn horizon(&self, (x, y): (f64, f64), z: f64, own: i64) -> Horizon {
        let mut h: Horizon = [0.0; HORIZON_SECTORS];
        let (cx, cy) = ((x / self.cell).floor() as i64, (y / self.cell).floor() as i64);
        let mut seen = std::collections::HashSet::new();
        for gx in cx - 1..=cx + 1 {
            for gy in cy - 1..=cy + 1 {
                for o in self.cells.get(&(gx, gy)).map(Vec::as_slice).unwrap_or(&[]) {
                    if o.fid == own || o.height <= z + 0.5 || !seen.insert(o.fid) {
                        continue;
                    }
                    let dx = (o.min.0 - x).max(0.0).max(x - o.max.0);
                    let dy = (o.min.1 - y).max(0.0).max(y - o.max.1);
                    let d = dx.hypot(dy);
                    if !(1e-9..=NEIGHBOUR_RADIUS).contains(&d) {
                        continue; // too far, or the point lies inside it (bad data)
                    }
                    let elevation = ((o.height - z) / d.max(1.0)).atan();
                    // the sectors the box spans, as seen from the point
                    let centre = ((o.min.0 + o.max.0) / 2.0 - x).atan2((o.min.1 + o.max.1) / 2.0 - y);
                    let (mut lo, mut hi) = (0.0f64, 0.0f64);
                    for (px, py) in [(o.min.0, o.min.1), (o.min.0, o.max.1), (o.max.0, o.min.1), (o.max.0, o.max.1)] {
                        let a = (px - x).atan2(py - y);
                        let delta = (a - centre + std::f64::consts::PI).rem_euclid(2.0 * std::f64::consts::PI) - std::f64::consts::PI;
                        lo = lo.min(delta);
                        hi = hi.max(delta);
                    }
                    let first = ((centre + lo).to_degrees() / 10.0).floor() as i64;
                    let last = ((centre + hi).to_degrees() / 10.0).floor() as i64;
                    for k in first..=last.min(first + HORIZON_SECTORS as i64 - 1) {
                        let sector = k.rem_euclid(HORIZON_SECTORS as i64) as usize;
                        h[sector] = h[sector].max(elevation);
                    }
                }
            }
        }
        h
    }
}

/// The solar columns of one plane.
#[derive(Clone, Debug)]
struct PlaneOut {
    fid: i64,
    irradiazione: f64,
    resa: f64,
    kwp: f64,
    kwh: f64,
    classe: &'static str,
    verde: &'static str,
    ombreggiamento: f64,
}

/// One building's row of `tetti_rossi` and `tetti_verdi`.
#[derive(Clone, Debug)]
struct BuildingOut {
    fid: i64,
    cod_istat: String,
    summary: BuildingSummary,
}

fn green_label(kind: Option<GreenType>) -> &'static str {
    match kind {
        Some(GreenType::Intensive) => "intensivo",
        Some(GreenType::Extensive) => "estensivo",
        None => "non idoneo",
    }
}

fn bar(len: usize, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len as u64);
    pb.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

/// Evaluates the planes (grouped by building, in fid order) into plane and building rows.
fn evaluate(roofs: &Roofs, rows: &[PlaneRow], obstacles: Vec<Obstacle>, report: &mut ComputeReport) -> (Vec<PlaneOut>, Vec<BuildingOut>) {
    let grid = ObstacleGrid::new(obstacles);
    let mut cache: HashMap<(i64, i64), PlaneYield> = HashMap::new();
    let pb = bar(rows.len(), "planes");
    let mut planes = Vec::with_capacity(rows.len());
    let mut buildings = Vec::new();
    let mut current: Vec<RoofReport> = Vec::new();
    let flush = |current: &mut Vec<RoofReport>, row: &PlaneRow, buildings: &mut Vec<BuildingOut>| {
        if !current.is_empty() {
            let main_home = row.uso.as_deref().is_some_and(|u| u.starts_with("01"));
            let summary = roofs.summarize(current.iter(), main_home);
            buildings.push(BuildingOut { fid: row.building, cod_istat: row.cod_istat.clone(), summary });
            current.clear();
        }
    };
    for (i, row) in rows.iter().enumerate() {
        if i > 0 && rows[i - 1].building != row.building {
            flush(&mut current, &rows[i - 1], &mut buildings);
        }
        let (tilt, aspect, _) = roofs.module_orientation(row.slope, row.aspect);
        let key = ((tilt * 10.0).round() as i64, (aspect * 10.0).round() as i64);
        let open = *cache.entry(key).or_insert_with(|| roofs.plane_yield(key.0 as f64 / 10.0, key.1 as f64 / 10.0, 0.0));
        let horizon = grid.horizon(row.centre, row.altezza, row.building);
        // rounded to 0.1 %: what is stored is what the API computes for `shading=` that value
        let shading = (roofs.shading_factor(key.0 as f64 / 10.0, key.1 as f64 / 10.0, &horizon) * 1000.0).round() / 1000.0;
        let y = open.shaded(shading);
        let main_home = row.uso.as_deref().is_some_and(|u| u.starts_with("01"));
        let input = PlaneInput { slope: row.slope, aspect: row.aspect, area_m2: row.area, shading, main_home };
        let info = BuildingInfo { height_m: row.height, uso: row.uso.clone() };
        let r = roofs.report(&input, &info, &y);
        report.per_class[r.solar.class.rank() as usize] += 1;
        planes.push(PlaneOut {
            fid: row.fid,
            irradiazione: r.solar.irradiation_kwh_m2,
            resa: r.solar.specific_yield_kwh_per_kwp,
            kwp: r.solar.kwp,
            kwh: r.solar.annual_kwh,
            classe: r.solar.class.label(),
            verde: green_label(r.green.kind),
            ombreggiamento: shading,
        });
        current.push(r);
        if i % 1024 == 0 {
            pb.set_position(i as u64);
        }
    }
    if let Some(last) = rows.last() {
        flush(&mut current, last, &mut buildings);
    }
    pb.finish_and_clear();
    report.planes = planes.len();
    report.orientations = cache.len();
    report.tetti_rossi = buildings.len();
    report.tetti_verdi = buildings.len();
    (planes, buildings)
}

/// Runs the computation on `target` with the model `roofs`.
pub async fn compute(roofs: &Roofs, target: &Target) -> Result<ComputeReport, ComputeError> {
    match target {
        Target::Gpkg(path) => {
            let path = path.clone();
            let roofs = roofs.clone();
            tokio::task::spawn_blocking(move || compute_gpkg(&roofs, &path))
                .await
                .map_err(|e| ComputeError::Schema(format!("worker failed: {e}")))?
        }
        Target::Postgis(url) => compute_postgis(roofs, url).await,
    }
}

const READ_PLANES: &str = "SELECT f.fid, f.cod_istat, f.edificio_fid, f.pendenza, f.esposizione, f.area_m2, \
     e.\"UN_VOL_AV\", e.\"EDIFC_USO\", f.altezza, GEOM FROM falde f LEFT JOIN edifici e ON e.fid = f.edificio_fid \
     ORDER BY f.edificio_fid, f.fid";

/// Planes' geometry as WKB: the GeoPackage blob is unwrapped in Rust, PostGIS sends WKB.
fn read_planes_sql(postgis: bool) -> String {
    READ_PLANES.replace("GEOM", if postgis { "ST_AsBinary(f.geom)" } else { "f.geom" })
}

fn read_obstacles_sql(postgis: bool) -> &'static str {
    if postgis {
        "SELECT fid, ST_AsBinary(geom), \"UN_VOL_AV\" FROM edifici"
    } else {
        "SELECT fid, geom, \"UN_VOL_AV\" FROM edifici"
    }
}

/// A plane row from the columns of [`READ_PLANES`] (geometry as WKB).
#[allow(clippy::too_many_arguments)]
fn plane_row(
    fid: i64,
    cod_istat: String,
    building: i64,
    slope: f64,
    aspect: f64,
    area: f64,
    height: Option<f64>,
    uso: Option<String>,
    altezza: f64,
    wkb: &[u8],
) -> Result<PlaneRow, ComputeError> {
    let (min, max) = wkb_bbox(wkb).ok_or_else(|| ComputeError::Schema(format!("falde {fid}: unreadable geometry")))?;
    Ok(PlaneRow {
        fid,
        cod_istat,
        building,
        slope,
        aspect,
        area,
        height,
        uso,
        centre: ((min.0 + max.0) / 2.0, (min.1 + max.1) / 2.0),
        altezza,
    })
}

fn obstacle(fid: i64, wkb: &[u8], height: Option<f64>) -> Option<Obstacle> {
    let (min, max) = wkb_bbox(wkb)?;
    Some(Obstacle { fid, min, max, height: height? })
}

fn compute_gpkg(roofs: &Roofs, path: &Path) -> Result<ComputeReport, ComputeError> {
    if !path.exists() {
        return Err(ComputeError::Schema(format!("{}: no such GeoPackage", path.display())));
    }
    let mut conn = rusqlite::Connection::open(path)?;
    for t in ["falde", "edifici", "tetti_rossi", "tetti_verdi", "rtree_tetti_rossi_geom", "rtree_tetti_verdi_geom"] {
        let n: i64 = conn.query_row("SELECT count(*) FROM sqlite_master WHERE name = ?1", [t], |r| r.get(0))?;
        if n == 0 {
            return Err(ComputeError::Schema(format!(
                "{}: table {t} missing (GeoPackages made by `navigli demo` since the roofs model have it)",
                path.display()
            )));
        }
    }
    let mut rows: Vec<PlaneRow> = Vec::new();
    {
        let mut stmt = conn.prepare(&read_planes_sql(false))?;
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            let blob: Vec<u8> = r.get(9)?;
            let wkb = crate::source::gpkg::gpkg_wkb(&blob).unwrap_or(&[]);
            rows.push(plane_row(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, wkb)?);
        }
    }
    let mut obstacles = Vec::new();
    {
        let mut stmt = conn.prepare(read_obstacles_sql(false))?;
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            let blob: Vec<u8> = r.get(1)?;
            obstacles.extend(obstacle(r.get(0)?, crate::source::gpkg::gpkg_wkb(&blob).unwrap_or(&[]), r.get(2)?));
        }
    }
    let mut report = ComputeReport::default();
    let (planes, buildings) = evaluate(roofs, &rows, obstacles, &mut report);

    let tx = conn.transaction()?;
    {
        let pb = bar(planes.len() + buildings.len(), "writing");
        let mut upd = tx.prepare(
            "UPDATE falde SET irradiazione = ?1, resa_specifica = ?2, kwp = ?3, kwh_anno = ?4, classe = ?5, verde = ?6, ombreggiamento = ?8 WHERE fid = ?7",
        )?;
        for (i, p) in planes.iter().enumerate() {
            upd.execute(rusqlite::params![p.irradiazione, p.resa, p.kwp, p.kwh, p.classe, p.verde, p.fid, p.ombreggiamento])?;
            if i % 4096 == 0 {
                pb.set_position(i as u64);
            }
        }
        tx.execute_batch(
            "DELETE FROM tetti_rossi; DELETE FROM rtree_tetti_rossi_geom; DELETE FROM tetti_verdi; DELETE FROM rtree_tetti_verdi_geom;",
        )?;
        let mut rosso = tx.prepare(
            "INSERT INTO tetti_rossi (fid, geom, cod_istat, classe, falde_idonee, area_m2, kwp, kwh_anno, costo_eur, risparmio_eur, rientro_anni, co2_kg) \
             SELECT fid, geom, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11 FROM edifici WHERE fid = ?1",
        )?;
        let mut verde = tx.prepare(
            "INSERT INTO tetti_verdi (fid, geom, cod_istat, tipo, area_m2, carico_kg_m2, costo_eur, acqua_m3) \
             SELECT fid, geom, ?2, ?3, ?4, ?5, ?6, ?7 FROM edifici WHERE fid = ?1",
        )?;
        let mut rtree_rosso =
            tx.prepare("INSERT INTO rtree_tetti_rossi_geom SELECT id, minx, maxx, miny, maxy FROM rtree_edifici_geom WHERE id = ?1")?;
        let mut rtree_verde =
            tx.prepare("INSERT INTO rtree_tetti_verdi_geom SELECT id, minx, maxx, miny, maxy FROM rtree_edifici_geom WHERE id = ?1")?;
        for (i, b) in buildings.iter().enumerate() {
            let s = &b.summary;
            let e = &s.economics;
            rosso.execute(rusqlite::params![
                b.fid,
                b.cod_istat,
                s.best_class.label(),
                s.suitable_planes as i64,
                s.module_area_m2,
                s.kwp,
                s.annual_kwh,
                e.cost_eur,
                e.annual_savings_eur,
                e.payback_years,
                e.co2_avoided_kg_per_year
            ])?;
            rtree_rosso.execute([b.fid])?;
            verde.execute(rusqlite::params![
                b.fid,
                b.cod_istat,
                green_label(s.green_type),
                s.green_area_m2,
                s.green_load_kg_m2,
                s.green_cost_eur,
                s.retained_rain_m3_per_year
            ])?;
            rtree_verde.execute([b.fid])?;
            if i % 4096 == 0 {
                pb.set_position((planes.len() + i) as u64);
            }
        }
        for t in ["tetti_rossi", "tetti_verdi", "falde"] {
            tx.execute(
                &format!(
                    "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now'), \
                     min_x = (SELECT min(minx) FROM rtree_{t}_geom), min_y = (SELECT min(miny) FROM rtree_{t}_geom), \
                     max_x = (SELECT max(maxx) FROM rtree_{t}_geom), max_y = (SELECT max(maxy) FROM rtree_{t}_geom) \
                     WHERE table_name = ?1"
                ),
                [t],
            )?;
        }
        pb.finish_and_clear();
    }
    tx.commit()?;
    Ok(report)
}

async fn compute_postgis(roofs: &Roofs, url: &str) -> Result<ComputeReport, ComputeError> {
    crate::migrate::run(url).await?;
    let mut client = crate::migrate::connect(url).await?;
    let rows: Vec<PlaneRow> = client
        .query(&read_planes_sql(true), &[])
        .await?
        .iter()
        .map(|r| {
            let wkb: Vec<u8> = r.get(9);
            plane_row(r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6), r.get(7), r.get(8), &wkb)
        })
        .collect::<Result<_, _>>()?;
    let obstacles: Vec<Obstacle> = client
        .query(read_obstacles_sql(true), &[])
        .await?
        .iter()
        .filter_map(|r| obstacle(r.get(0), &r.get::<_, Vec<u8>>(1), r.get(2)))
        .collect();
    let mut report = ComputeReport::default();
    let roofs2 = roofs.clone();
    let (planes, buildings, report) = tokio::task::spawn_blocking(move || {
        let (p, b) = evaluate(&roofs2, &rows, obstacles, &mut report);
        (p, b, report)
    })
    .await
    .map_err(|e| ComputeError::Schema(format!("worker failed: {e}")))?;

    let pb = bar(planes.len() + buildings.len(), "writing");
    let tx = client.transaction().await?;
    tx.batch_execute(
        "CREATE TEMP TABLE navigli_roof_planes (fid bigint, irradiazione float8, resa_specifica float8, kwp float8, kwh_anno float8, classe text, verde text, ombreggiamento float8) ON COMMIT DROP;
         CREATE TEMP TABLE navigli_roof_buildings (fid bigint, cod_istat text, classe text, falde_idonee bigint, area_m2 float8, kwp float8, kwh_anno float8,
             costo_eur float8, risparmio_eur float8, rientro_anni float8, co2_kg float8, tipo text, verde_area_m2 float8, carico_kg_m2 float8,
             verde_costo_eur float8, acqua_m3 float8) ON COMMIT DROP;",
    )
    .await?;
    {
        let sink = tx.copy_in("COPY navigli_roof_planes FROM STDIN (FORMAT binary)").await?;
        let types = [Type::INT8, Type::FLOAT8, Type::FLOAT8, Type::FLOAT8, Type::FLOAT8, Type::TEXT, Type::TEXT, Type::FLOAT8];
        let mut w = pin!(BinaryCopyInWriter::new(sink, &types));
        for (i, p) in planes.iter().enumerate() {
            let values: [&(dyn ToSql + Sync); 8] =
                [&p.fid, &p.irradiazione, &p.resa, &p.kwp, &p.kwh, &p.classe, &p.verde, &p.ombreggiamento];
            w.as_mut().write(&values).await?;
            if i % 4096 == 0 {
                pb.set_position(i as u64);
            }
        }
        w.as_mut().finish().await?;
    }
    {
        let sink = tx.copy_in("COPY navigli_roof_buildings FROM STDIN (FORMAT binary)").await?;
        let mut types = vec![Type::INT8, Type::TEXT, Type::TEXT, Type::INT8];
        types.extend([Type::FLOAT8; 7]);
        types.push(Type::TEXT);
        types.extend([Type::FLOAT8; 4]);
        let mut w = pin!(BinaryCopyInWriter::new(sink, &types));
        for b in &buildings {
            let s = &b.summary;
            let e = &s.economics;
            let n = s.suitable_planes as i64;
            let values: [&(dyn ToSql + Sync); 16] = [
                &b.fid,
                &b.cod_istat,
                &s.best_class_label,
                &n,
                &s.module_area_m2,
                &s.kwp,
                &s.annual_kwh,
                &e.cost_eur,
                &e.annual_savings_eur,
                &e.payback_years,
                &e.co2_avoided_kg_per_year,
                &green_label(s.green_type),
                &s.green_area_m2,
                &s.green_load_kg_m2,
                &s.green_cost_eur,
                &s.retained_rain_m3_per_year,
            ];
            w.as_mut().write(&values).await?;
        }
        w.as_mut().finish().await?;
    }
    tx.batch_execute(
        "UPDATE falde f SET irradiazione = t.irradiazione, resa_specifica = t.resa_specifica, kwp = t.kwp, kwh_anno = t.kwh_anno,
                classe = t.classe, verde = t.verde, ombreggiamento = t.ombreggiamento
           FROM navigli_roof_planes t WHERE f.fid = t.fid;
         DELETE FROM tetti_rossi;
         DELETE FROM tetti_verdi;
         INSERT INTO tetti_rossi (fid, geom, cod_istat, classe, falde_idonee, area_m2, kwp, kwh_anno, costo_eur, risparmio_eur, rientro_anni, co2_kg)
           SELECT e.fid, e.geom, t.cod_istat, t.classe, t.falde_idonee, t.area_m2, t.kwp, t.kwh_anno, t.costo_eur, t.risparmio_eur, t.rientro_anni, t.co2_kg
             FROM navigli_roof_buildings t JOIN edifici e ON e.fid = t.fid;
         INSERT INTO tetti_verdi (fid, geom, cod_istat, tipo, area_m2, carico_kg_m2, costo_eur, acqua_m3)
           SELECT e.fid, e.geom, t.cod_istat, t.tipo, t.verde_area_m2, t.carico_kg_m2, t.verde_costo_eur, t.acqua_m3
             FROM navigli_roof_buildings t JOIN edifici e ON e.fid = t.fid;",
    )
    .await?;
    tx.commit().await?;
    client.batch_execute("ANALYZE falde; ANALYZE tetti_rossi; ANALYZE tetti_verdi;").await?;
    pb.finish_and_clear();
    Ok(report)
}

impl ComputeReport {
    /// Planes per class, as `label count` pairs.
    pub fn classes(&self) -> Vec<(&'static str, usize)> {
        [SolarClass::VeryGood, SolarClass::Good, SolarClass::Fair, SolarClass::Unsuitable]
            .iter()
            .map(|c| (c.label(), self.per_class[c.rank() as usize]))
            .collect()
    }
}
