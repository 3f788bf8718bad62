//! A synthetic airborne laser survey of buildings, with the truth of every roof face kept
//! aside so plane detection is measured, not asserted.
//!
//! A roof is a height field in the building's frame (u along its length, v across): a union of
//! *parts* — boxes whose roof is the lower envelope of their planes (a gable is the lower of two
//! planes, a hip of four, a mansard of five) — where overlapping parts take the higher (an
//! L-shaped cross gable is two gables; a dormer is a small gable on a sloped face).
//! Chimneys stand on top as boxes and belong to no face. Points are a Poisson process of
//! the chosen density over the footprint and 3 m of ground around it; each gets a vertical
//! noise σz, a planimetric noise σxy (the height is that of the true position), a few gross
//! outliers, and trees overhanging the eaves (canopy returns above the roof). Classes follow
//! ASPRS (2 ground, 5 high vegetation, 6 building, 7 noise) or are all 1 in an unclassified
//! survey.
//!
//! The truth faces are traced from a 10 cm raster of the height field's face labels, with the
//! same tracer as the measured faces, and clipped to the footprint.

use geo::{Coord, LineString, Polygon};

use super::rng::Rng;
use crate::lidar::linalg::Plane;
use crate::lidar::partition::{self, Frame, Meets, Raster};
use crate::lidar::{slope_aspect, Face, Point};

/// The roof shapes of the synthetic suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoofShape {
    /// A flat roof (1–2° for drainage).
    Flat,
    /// One pitch.
    Shed,
    /// Two pitches meeting at a ridge.
    Gable,
    /// Four pitches.
    Hip,
    /// Steep lower faces on every side under a flat top.
    Mansard,
    /// Two gables in an L, meeting in valleys.
    CrossGable,
    /// A gable with two dormers on one side.
    Dormers,
    /// A hip roof with two chimneys.
    Chimneys,
}

impl RoofShape {
    /// Every shape.
    pub const ALL: [RoofShape; 8] = [
        RoofShape::Flat,
        RoofShape::Shed,
        RoofShape::Gable,
        RoofShape::Hip,
        RoofShape::Mansard,
        RoofShape::CrossGable,
        RoofShape::Dormers,
        RoofShape::Chimneys,
    ];
}

/// How the survey is flown.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Flight {
    /// Points per m².
    pub density: f64,
    /// Vertical noise (m, standard deviation).
    pub sigma_z: f64,
    /// Planimetric noise (m, standard deviation).
    pub sigma_xy: f64,
    /// Share of gross outliers.
    pub outliers: f64,
    /// Whether trees overhang the roof.
    pub trees: bool,
    /// Whether points carry ASPRS classes (else all are 1).
    pub classified: bool,
}

impl Default for Flight {
    fn default() -> Flight {
        Flight { density: 20.0, sigma_z: 0.03, sigma_xy: 0.05, outliers: 0.002, trees: true, classified: true }
    }
}

/// A tree crown: centre, radius and top height, in the sampling's coordinates.
#[derive(Clone, Copy, Debug)]
struct Tree {
    x: f64,
    y: f64,
    r: f64,
    top: f64,
}

impl Flight {
    /// The laser return at (x, y): the roof there (or the ground) or a canopy above it, with
    /// vertical noise and the odd gross outlier — its height and ASPRS class.
    fn sample(&self, rng: &mut Rng, (x, y): (f64, f64), roof: Option<f64>, ground: f64, trees: &[Tree]) -> (f64, u8) {
        let class = |c: u8| if self.classified { c } else { 1 };
        let (mut z, mut c) = match roof {
            Some(z) => (z, class(6)),
            None => (ground, class(2)),
        };
        for t in trees {
            let d2 = (x - t.x).powi(2) + (y - t.y).powi(2);
            if d2 < t.r * t.r {
                // Canopy returns from the crown's dome, some deeper inside.
                let crown = t.top - t.r + (t.r * t.r - d2).sqrt() - rng.f64().powi(2) * t.r;
                if crown > z && rng.chance(0.85) {
                    z = crown;
                    c = class(5);
                }
            }
        }
        let mut zz = z + self.sigma_z * rng.normal();
        if rng.chance(self.outliers) {
            zz += if rng.chance(0.5) { rng.range(2.0, 25.0) } else { -rng.range(1.0, 5.0) };
            c = class(7);
        }
        (zz, c)
    }
}

/// A face's plane `z = c0 + cu·u + cv·v` in the building frame.
#[derive(Clone, Copy, Debug)]
struct FacePlane {
    id: usize,
    c: [f64; 3],
}

impl FacePlane {
    fn z(&self, u: f64, v: f64) -> f64 {
        self.c[0] + self.c[1] * u + self.c[2] * v
    }
}

/// A box and its roof (the lower envelope of its planes).
#[derive(Clone, Debug)]
struct Part {
    b: [f64; 4],
    planes: Vec<FacePlane>,
}

/// A synthetic building: footprint, roof and points.
#[derive(Clone, Debug)]
pub struct SynthBuilding {
    /// The footprint (world coordinates).
    pub footprint: Polygon<f64>,
    /// The true faces.
    pub truth: Vec<Face>,
    /// The survey's points over the building and the ground around it.
    pub points: Vec<Point>,
    /// The shape.
    pub shape: RoofShape,
}

/// The roof model of a building, in its frame.
struct Roof {
    parts: Vec<Part>,
    /// Chimneys: box and top height.
    chimneys: Vec<([f64; 4], f64)>,
    footprint: Vec<(f64, f64)>,
}

fn inside(b: &[f64; 4], u: f64, v: f64) -> bool {
    u >= b[0] && u < b[2] && v >= b[1] && v < b[3]
}

impl Roof {
    /// The roof height and face at (u, v), `None` off the building.
    fn at(&self, u: f64, v: f64) -> Option<(f64, usize)> {
        let mut best: Option<(f64, usize)> = None;
        for part in &self.parts {
            if !inside(&part.b, u, v) {
                continue;
            }
            let low = part.planes.iter().map(|p| (p.z(u, v), p.id)).min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))?;
            if best.is_none_or(|b| low.0 > b.0) {
                best = Some(low);
            }
        }
        best
    }

    /// The surface a laser return sees (chimneys included).
    fn surface(&self, u: f64, v: f64) -> Option<f64> {
        let (z, _) = self.at(u, v)?;
        let top = self.chimneys.iter().filter(|(b, _)| inside(b, u, v)).map(|(_, t)| *t).fold(z, f64::max);
        Some(top)
    }

    fn planes(&self) -> Vec<FacePlane> {
        let mut all: Vec<FacePlane> = self.parts.iter().flat_map(|p| p.planes.iter().copied()).collect();
        all.sort_by_key(|p| p.id);
        all.dedup_by_key(|p| p.id);
        all
    }
}

fn gable_planes(id: usize, b: [f64; 4], eave: f64, t: f64, along_u: bool) -> Vec<FacePlane> {
    if along_u {
        vec![FacePlane { id, c: [eave - t * b[1], 0.0, t] }, FacePlane { id: id + 1, c: [eave + t * b[3], 0.0, -t] }]
    } else {
        vec![FacePlane { id, c: [eave - t * b[0], t, 0.0] }, FacePlane { id: id + 1, c: [eave + t * b[2], -t, 0.0] }]
    }
}

/// Builds the roof model of a shape with random dimensions.
fn roof_model(shape: RoofShape, rng: &mut Rng) -> Roof {
    let a = rng.range(14.0, 24.0);
    let b = rng.range(9.0, 12.5);
    let eave = rng.range(6.0, 18.0);
    let slope = rng.range(18.0, 40.0);
    let t = slope.to_radians().tan();
    let rect = vec![(0.0, 0.0), (a, 0.0), (a, b), (0.0, b)];
    let whole = [0.0, 0.0, a, b];
    let mut chimneys = Vec::new();
    let (parts, footprint) = match shape {
        RoofShape::Flat => {
            let tilt = rng.range(1.0, 2.0).to_radians().tan();
            (vec![Part { b: whole, planes: vec![FacePlane { id: 0, c: [eave, 0.0, tilt] }] }], rect)
        }
        RoofShape::Shed => {
            let t = rng.range(8.0, 20.0).to_radians().tan();
            (vec![Part { b: whole, planes: vec![FacePlane { id: 0, c: [eave, 0.0, t] }] }], rect)
        }
        RoofShape::Gable => (vec![Part { b: whole, planes: gable_planes(0, whole, eave, t, true) }], rect),
        RoofShape::Hip | RoofShape::Chimneys => {
            let mut planes = gable_planes(0, whole, eave, t, true);
            planes.extend(gable_planes(2, whole, eave, t, false));
            if shape == RoofShape::Chimneys {
                for k in 0..2 {
                    let (cu, cv) = (a * (0.3 + 0.4 * k as f64), b * rng.range(0.2, 0.4));
                    let top = eave + t * cv + rng.range(1.0, 1.6);
                    chimneys.push(([cu, cv, cu + 0.6, cv + 0.6], top));
                }
            }
            (vec![Part { b: whole, planes }], rect)
        }
        RoofShape::Mansard => {
            let steep = rng.range(60.0, 70.0).to_radians().tan();
            let mut planes = gable_planes(0, whole, eave, steep, true);
            planes.extend(gable_planes(2, whole, eave, steep, false));
            planes.push(FacePlane { id: 4, c: [eave + rng.range(2.5, 3.2), 0.0, 0.0] });
            (vec![Part { b: whole, planes }], rect)
        }
        RoofShape::CrossGable => {
            let w = b;
            let long = rng.range(16.0, 22.0);
            let arm_a = [0.0, 0.0, a, w];
            let arm_b = [0.0, 0.0, w, long];
            let parts = vec![
                Part { b: arm_a, planes: gable_planes(0, arm_a, eave, t, true) },
                Part { b: arm_b, planes: gable_planes(2, arm_b, eave, t, false) },
            ];
            (parts, vec![(0.0, 0.0), (a, 0.0), (a, w), (w, w), (w, long), (0.0, long)])
        }
        RoofShape::Dormers => {
            let mut parts = vec![Part { b: whole, planes: gable_planes(0, whole, eave, t, true) }];
            for k in 0..2 {
                let wd = rng.range(1.8, 2.4);
                let u0 = a * (0.25 + 0.45 * k as f64) - wd / 2.0;
                let (v0, v1) = (0.6, 0.6 + rng.range(2.0, 2.8));
                let e = eave + t * v0 + 0.3;
                let db = [u0, v0, u0 + wd, v1];
                parts.push(Part { b: db, planes: gable_planes(4 + 2 * k, db, e, 35f64.to_radians().tan(), false) });
            }
            (parts, rect)
        }
    };
    Roof { parts, chimneys, footprint }
}

/// A Poisson count of mean `lambda`.
fn poisson(lambda: f64, rng: &mut Rng) -> usize {
    if lambda < 30.0 {
        let (l, mut k, mut p) = ((-lambda).exp(), 0usize, 1.0);
        loop {
            p *= rng.f64();
            if p <= l {
                return k;
            }
            k += 1;
        }
    }
    (lambda + lambda.sqrt() * rng.normal()).round().max(0.0) as usize
}

/// Generates one building of `shape` centred at `centre`, turned by `rotation` degrees, with
/// its survey (`seed` fixes every random choice).
pub fn synth_building(shape: RoofShape, centre: (f64, f64), rotation: f64, flight: &Flight, seed: u64) -> SynthBuilding {
    let mut rng = Rng::derive(seed, "lidar-building", shape as u64);
    let roof = roof_model(shape, &mut rng);
    let (mut u1, mut v1) = (0.0f64, 0.0f64);
    for &(u, v) in &roof.footprint {
        u1 = u1.max(u);
        v1 = v1.max(v);
    }
    let (cr, sr) = (rotation.to_radians().cos(), rotation.to_radians().sin());
    let to_world = |u: f64, v: f64| {
        let (du, dv) = (u - u1 / 2.0, v - v1 / 2.0);
        (centre.0 + du * cr - dv * sr, centre.1 + du * sr + dv * cr)
    };
    let ring: Vec<Coord<f64>> = roof
        .footprint
        .iter()
        .chain(roof.footprint.first())
        .map(|&(u, v)| {
            let (x, y) = to_world(u, v);
            Coord { x, y }
        })
        .collect();
    let footprint = Polygon::new(LineString::from(ring), vec![]);
    let truth = truth_faces(&roof, &footprint, &to_world, (cr, sr));
    let points = survey(&roof, (u1, v1), &to_world, flight, &mut Rng::derive(seed, "lidar-points", shape as u64));
    SynthBuilding { footprint, truth, points, shape }
}

/// The true faces: a 10 cm raster of face labels traced into outlines.
fn truth_faces(roof: &Roof, footprint: &Polygon<f64>, to_world: &impl Fn(f64, f64) -> (f64, f64), rot: (f64, f64)) -> Vec<Face> {
    let frame = Frame::of(footprint);
    let local = frame.polygon_to_local(footprint);
    let mut raster = Raster::over(&local, 0.1);
    // Frame::of picks its own origin and turn: map its cells back to the roof's (u, v).
    let (o_u, o_v) = {
        // world of roof (0,0) in the raster frame
        let (x, y) = to_world(0.0, 0.0);
        frame.to_local(x, y)
    };
    let (x_u, y_u) = to_world(1.0, 0.0);
    let (du_u, du_v) = {
        let (p, q) = frame.to_local(x_u, y_u);
        (p - o_u, q - o_v)
    };
    let roof_uv = |s: f64, t: f64| {
        // raster frame (s, t) → roof (u, v): u axis is (du_u, du_v), v axis its left normal.
        let (ds, dt) = (s - o_u, t - o_v);
        (ds * du_u + dt * du_v, -ds * du_v + dt * du_u)
    };
    for j in 0..raster.h {
        for i in 0..raster.w {
            let k = j * raster.w + i;
            let (s, t) = raster.centre(i, j);
            let (u, v) = roof_uv(s, t);
            if let Some((_, id)) = roof.at(u, v) {
                raster.labels[k] = id as i32;
            }
        }
    }
    // The margin cells around the footprint take their neighbours' faces (clipped away later).
    partition::fill_unknown(&mut raster);
    let planes = roof.planes();
    // The true planes in the raster's frame, indexed by face id, so boundaries between faces
    // are put exactly on their intersections.
    let ids = planes.iter().map(|p| p.id).max().map_or(0, |m| m + 1);
    let local: Vec<Plane> = (0..ids)
        .map(|id| {
            let p = planes.iter().find(|p| p.id == id).copied().unwrap_or(FacePlane { id, c: [0.0, 0.0, 0.0] });
            let z = |s: f64, t: f64| {
                let (u, v) = roof_uv(s, t);
                p.z(u, v)
            };
            let z0 = z(0.0, 0.0);
            Plane::through([0.0, 0.0, z0], [-(z(1.0, 0.0) - z0), -(z(0.0, 1.0) - z0), 1.0]).unwrap_or(Plane { n: [0.0, 0.0, 1.0], d: z0 })
        })
        .collect();
    let meets = Meets::of_raster(&raster, &local);
    let outlines = partition::outlines(&raster, &frame, footprint, 0.03, Some(&meets));
    let world_to_uv = |x: f64, y: f64| {
        let (s, t) = frame.to_local(x, y);
        roof_uv(s, t)
    };
    let mut faces: Vec<Face> = planes
        .iter()
        .filter_map(|p| {
            let outline = outlines.get(&(p.id as i32))?.clone();
            use geo::Area;
            let planar = outline.unsigned_area();
            if planar <= 0.0 {
                return None;
            }
            // Normal of z = c0 + cu u + cv v is (−cu, −cv, 1); turn its horizontal part to world.
            let len = (p.c[1] * p.c[1] + p.c[2] * p.c[2] + 1.0).sqrt();
            let (nu, nv) = (-p.c[1] / len, -p.c[2] / len);
            let n = [nu * rot.0 - nv * rot.1, nu * rot.1 + nv * rot.0, 1.0 / len];
            let (slope, aspect) = slope_aspect(n);
            let (mut eave, mut ridge) = (f64::MAX, f64::MIN);
            for c in outline.0.iter().flat_map(|q| q.exterior().0.iter()) {
                let (u, v) = world_to_uv(c.x, c.y);
                eave = eave.min(p.z(u, v));
                ridge = ridge.max(p.z(u, v));
            }
            Some(Face {
                area: planar / slope.to_radians().cos(),
                outline,
                slope,
                aspect,
                eave,
                ridge,
                rms: 0.0,
                points: 0,
                clutter: 0,
                vegetation: 0,
            })
        })
        .collect();
    faces.sort_by(|a, b| b.area.total_cmp(&a.area));
    faces
}

/// The survey's points over the roof and 3 m of ground around it.
fn survey(roof: &Roof, size: (f64, f64), to_world: &impl Fn(f64, f64) -> (f64, f64), f: &Flight, rng: &mut Rng) -> Vec<Point> {
    let margin = 3.0;
    let (u0, v0, u1, v1) = (-margin, -margin, size.0 + margin, size.1 + margin);
    let ground = 0.0;
    // Trees: crowns centred beside an eave, overhanging it.
    let mut trees: Vec<Tree> = Vec::new();
    if f.trees {
        for _ in 0..rng.int(0, 2) {
            let r = rng.range(2.0, 3.5);
            let (u, v) = if rng.chance(0.5) { (rng.range(0.0, size.0), -r * 0.6) } else { (-r * 0.6, rng.range(0.0, size.1)) };
            let top = roof.at(0.1, 0.1).map(|(z, _)| z).unwrap_or(8.0) + rng.range(1.0, 4.0);
            trees.push(Tree { x: u, y: v, r, top });
        }
    }
    let n = poisson(f.density * (u1 - u0) * (v1 - v0), rng);
    let mut pts = Vec::with_capacity(n);
    for _ in 0..n {
        let (u, v) = (rng.range(u0, u1), rng.range(v0, v1));
        let (zz, c) = f.sample(rng, (u, v), roof.surface(u, v), ground, &trees);
        let (x, y) = to_world(u + f.sigma_xy * rng.normal(), v + f.sigma_xy * rng.normal());
        pts.push(Point { x: round_mm(x), y: round_mm(y), z: round_mm(zz), class: c });
    }
    pts
}

fn round_mm(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// A synthetic survey of a block of the demo buildings (`navigli demo --lidar`).
#[derive(Clone, Debug, PartialEq)]
pub struct DemoSurvey {
    /// The comune whose densest part is flown (its buildings' median position).
    pub comune: String,
    /// Side of the square block (m).
    pub size: f64,
    /// Side of each LAZ tile (m).
    pub tile: f64,
    /// How it is flown.
    pub flight: Flight,
    /// Seed.
    pub seed: u64,
}

impl Default for DemoSurvey {
    fn default() -> DemoSurvey {
        DemoSurvey { comune: "015146".into(), size: 500.0, tile: 250.0, flight: Flight { density: 10.0, ..Flight::default() }, seed: 42 }
    }
}

/// What [`survey_gpkg`] wrote.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DemoSurveyReport {
    /// The LAZ tiles.
    pub files: Vec<std::path::PathBuf>,
    /// Points written.
    pub points: usize,
    /// Buildings inside the block.
    pub buildings: usize,
    /// Their roof planes (the truth, also in `truth.csv`).
    pub planes: usize,
    /// The block (min x, min y, max x, max y), EPSG:32632.
    pub block: [f64; 4],
}

/// A demo roof plane as a height field: z = ground + altezza − tan(slope)·((p − c)·down).
struct DemoPlane {
    outline: geo::MultiPolygon<f64>,
    bbox: [f64; 4],
    centre: (f64, f64),
    down: (f64, f64),
    tan: f64,
    altezza: f64,
}

impl DemoPlane {
    fn z(&self, x: f64, y: f64) -> f64 {
        self.altezza - self.tan * ((x - self.centre.0) * self.down.0 + (y - self.centre.1) * self.down.1)
    }
}

/// Flies a synthetic survey over a block of the demo GeoPackage's buildings: LAZ tiles in
/// `out` (EPSG:32632, ground at 120 m) and `truth.csv` beside them (the `falde` rows flown:
/// fid, building, slope, aspect, sloped area, height).
pub fn survey_gpkg(gpkg: &std::path::Path, out: &std::path::Path, s: &DemoSurvey) -> Result<DemoSurveyReport, super::DemoError> {
    use geo::{BoundingRect, Centroid, Contains};
    let conn = rusqlite::Connection::open_with_flags(gpkg, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let wkb_of = |blob: &[u8]| -> Option<geo::Geometry<f64>> {
        use geozero::ToGeo;
        geozero::wkb::Wkb(crate::source::gpkg::gpkg_wkb(blob)?.to_vec()).to_geo().ok()
    };
    // The block: centred on the median building of the comune.
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    {
        let mut st = conn.prepare("SELECT minx, maxx, miny, maxy FROM rtree_edifici_geom JOIN edifici ON edifici.fid = rtree_edifici_geom.id WHERE cod_istat = ?1")?;
        let mut q = st.query([&s.comune])?;
        while let Some(r) = q.next()? {
            let (a, b, c, d): (f64, f64, f64, f64) = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            xs.push((a + b) / 2.0);
            ys.push((c + d) / 2.0);
        }
    }
    if xs.is_empty() {
        return Err(super::DemoError::Input(format!("no building of comune {} in {}", s.comune, gpkg.display())));
    }
    xs.sort_by(f64::total_cmp);
    ys.sort_by(f64::total_cmp);
    let (cx, cy) = ((xs[xs.len() / 2]).round(), (ys[ys.len() / 2]).round());
    let h = s.size / 2.0;
    let block = [cx - h, cy - h, cx + h, cy + h];
    // The planes of the buildings wholly inside the block.
    let mut planes: Vec<DemoPlane> = Vec::new();
    let mut truth = String::from("fid,edificio_fid,pendenza,esposizione,area_m2,altezza\n");
    let mut buildings = std::collections::BTreeSet::new();
    {
        let mut st = conn.prepare(
            "SELECT f.fid, f.edificio_fid, f.pendenza, f.esposizione, f.area_m2, f.altezza, f.geom FROM falde f \
             JOIN rtree_edifici_geom r ON r.id = f.edificio_fid \
             WHERE r.minx >= ?1 AND r.maxx <= ?3 AND r.miny >= ?2 AND r.maxy <= ?4 ORDER BY f.fid",
        )?;
        let mut q = st.query(rusqlite::params![block[0], block[1], block[2], block[3]])?;
        while let Some(r) = q.next()? {
            let (fid, building, slope, aspect, area, altezza): (i64, i64, f64, f64, f64, f64) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
            let blob: Vec<u8> = r.get(6)?;
            let Some(geo::Geometry::MultiPolygon(outline)) = wkb_of(&blob) else { continue };
            let (Some(rect), Some(c)) = (outline.bounding_rect(), outline.centroid()) else { continue };
            truth.push_str(&format!("{fid},{building},{slope},{aspect},{area},{altezza}\n"));
            buildings.insert(building);
            let a = aspect.to_radians();
            planes.push(DemoPlane {
                bbox: [rect.min().x, rect.min().y, rect.max().x, rect.max().y],
                outline,
                centre: (c.x(), c.y()),
                down: (a.sin(), a.cos()),
                tan: slope.to_radians().tan(),
                altezza,
            });
        }
    }
    // A grid over the planes' boxes.
    let cell = 20.0;
    let key = |x: f64, y: f64| (((x - block[0]) / cell).floor() as i64, ((y - block[1]) / cell).floor() as i64);
    let mut grid: std::collections::HashMap<(i64, i64), Vec<usize>> = Default::default();
    for (k, p) in planes.iter().enumerate() {
        let (i0, j0) = key(p.bbox[0], p.bbox[1]);
        let (i1, j1) = key(p.bbox[2], p.bbox[3]);
        for j in j0..=j1 {
            for i in i0..=i1 {
                grid.entry((i, j)).or_default().push(k);
            }
        }
    }
    let surface = |x: f64, y: f64| -> Option<f64> {
        let pt = geo::Point::new(x, y);
        grid.get(&key(x, y))?.iter().map(|&k| &planes[k]).find(|p| p.outline.contains(&pt)).map(|p| p.z(x, y))
    };
    std::fs::create_dir_all(out).map_err(|error| super::DemoError::Io { path: out.to_path_buf(), error })?;
    let f = &s.flight;
    let ground = 120.0;
    let mut report = DemoSurveyReport { block, buildings: buildings.len(), planes: planes.len(), ..Default::default() };
    let n_tiles = (s.size / s.tile).ceil() as usize;
    for tj in 0..n_tiles {
        for ti in 0..n_tiles {
            let mut rng = Rng::derive(s.seed, "lidar-demo-tile", (tj * n_tiles + ti) as u64);
            let (x0, y0) = (block[0] + ti as f64 * s.tile, block[1] + tj as f64 * s.tile);
            let (x1, y1) = ((x0 + s.tile).min(block[2]), (y0 + s.tile).min(block[3]));
            // Trees: a few per hectare, some of them beside a roof.
            let trees: Vec<Tree> = (0..((x1 - x0) * (y1 - y0) / 2500.0) as usize)
                .filter_map(|_| {
                    let (tx, ty) = (rng.range(x0, x1), rng.range(y0, y1));
                    let (r, top) = (rng.range(2.0, 4.0), ground + rng.range(6.0, 14.0));
                    // Trees stand on the ground; those beside a building overhang its roof.
                    surface(tx, ty).is_none().then_some(Tree { x: tx, y: ty, r, top })
                })
                .collect();
            let n = poisson(f.density * (x1 - x0) * (y1 - y0), &mut rng);
            let mut pts = Vec::with_capacity(n);
            for _ in 0..n {
                let (x, y) = (rng.range(x0, x1), rng.range(y0, y1));
                let (zz, c) = f.sample(&mut rng, (x, y), surface(x, y).map(|z| ground + z), ground, &trees);
                let (px, py) = (x + f.sigma_xy * rng.normal(), y + f.sigma_xy * rng.normal());
                pts.push(Point { x: round_mm(px), y: round_mm(py), z: round_mm(zz), class: c });
            }
            let path = out.join(format!("navigli_demo_{}_{}.laz", x0.round() as i64, y0.round() as i64));
            crate::lidar::las::write(&path, &pts).map_err(|e| super::DemoError::Input(e.to_string()))?;
            report.points += pts.len();
            report.files.push(path);
        }
    }
    let truth_path = out.join("truth.csv");
    std::fs::write(&truth_path, truth).map_err(|error| super::DemoError::Io { path: truth_path, error })?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;

    #[test]
    fn truth_faces_tile_the_footprint() {
        for shape in RoofShape::ALL {
            let b = synth_building(shape, (515_000.0, 5_035_000.0), 27.0, &Flight::default(), 7);
            let sum: f64 = b.truth.iter().map(|f| f.outline.unsigned_area()).sum();
            let fp = b.footprint.unsigned_area();
            assert!((sum - fp).abs() < 1e-3 * fp, "{shape:?}: {sum} vs {fp}");
            let expected = match shape {
                RoofShape::Flat | RoofShape::Shed => 1,
                RoofShape::Gable => 2,
                RoofShape::Hip | RoofShape::Chimneys | RoofShape::CrossGable => 4,
                RoofShape::Mansard => 5,
                RoofShape::Dormers => 6,
            };
            assert_eq!(b.truth.len(), expected, "{shape:?}");
            assert!(b.points.len() as f64 > 0.9 * 20.0 * fp, "{shape:?}");
        }
    }
}
