//! Buildings (`edifici`, DBT A020102 EDIFC) and their roof planes (`falde`).
//!
//! Buildings are rectangles or L-shapes aligned with the comune's street grid, placed in the
//! local frame around the centroid with a density that decays with distance (plus a few
//! farmstead clusters in the countryside). The occupancy bitmap keeps them off roads, water,
//! parks and each other; every corner is checked to lie inside the comune cell.
//!
//! Codes: `EDIFC_USO` 01 residenziale, 02 amministrativo, 03 servizi pubblici, 05 luogo di
//! culto, 06 commerciale, 07 industriale/artigianale, 08 agricolo, 09 ricreativo/sportivo,
//! 10 trasporti. `EDIFC_STAT` 01 costruito, 02 in costruzione. `EDIFC_TY` 01 edificio
//! isolato, 02 a schiera, 03 in linea, 04 a torre, 05 capannone.
//!
//! Roofs: flat (one plane, 0–3°), gable (two halves split along the ridge), hip (two
//! trapezoids and two triangles); an L-shape is split into its two arms. `esposizione` is the
//! downslope direction in degrees clockwise from grid north.

use geo::Coord;

use super::generate::{Occupancy, Out, Place, T_EDIFICI, T_FALDE};
use super::geom::{multipolygon, ring_area, ring_centroid, round_to};

/// Signed area of an open ring of (x, y) pairs.
fn area_xy(ring: &[(f64, f64)]) -> f64 {
    ring_area(&ring.iter().map(|&(x, y)| Coord { x, y }).collect::<Vec<_>>())
}
use super::rng::Rng;
use super::schema::{days_from_civil, Val};

/// Gap (m) kept around every building (Milano's blocks stand closer).
const GAP: f64 = 2.0;
const GAP_HUB: f64 = 1.0;
/// Buildings stay this far (m) inside their comune cell.
const CELL_MARGIN: f64 = 3.0;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Roof {
    Flat,
    Gable,
    Hip,
}

#[derive(Clone, Copy, Debug)]
enum Shape {
    Rect,
    /// The top-right corner of the box is cut away, by these fractions of the sides.
    L(f64, f64),
}

/// What to build, before placing it.
struct Spec {
    uso: &'static str,
    ty: &'static str,
    a: f64,
    b: f64,
    height: f64,
    shape: Shape,
    roof: Roof,
    slope: f64,
    year: Option<i64>,
}

/// One roof plane in the building's canonical frame.
struct Plane {
    ring: Vec<(f64, f64)>,
    /// Downslope unit direction.
    down: (f64, f64),
    /// A point of the eave line.
    eave: (f64, f64),
}

/// Places `count` buildings (and their roof planes) in a comune.
pub(crate) fn place_buildings(place: &Place, count: usize, occ: &mut Occupancy, rng: &mut Rng, out: &mut Out) {
    let farm_share = if place.is_hub { 0.01 } else { 0.06 };
    let farm_target = (count as f64 * farm_share).round() as usize;
    let mut placed = 0usize;
    // Farmstead clusters (cascine) outside the built-up area.
    let mut tries = 0;
    while placed < farm_target && tries < 200 {
        tries += 1;
        let cell = &place.cell;
        let c = Coord { x: rng.range(cell.min.x, cell.max.x), y: rng.range(cell.min.y, cell.max.y) };
        if !cell.contains(c, 80.0) || super::geom::dist(c, place.site) < 1.1 * place.urban_radius {
            continue;
        }
        let (cu, cv) = place.frame.to_local(c);
        let n = rng.int(2, 5) as usize;
        for _ in 0..n {
            for _ in 0..8 {
                let spec = farm_spec(rng);
                let (u, v) = (cu + rng.range(-45.0, 45.0), cv + rng.range(-45.0, 45.0));
                if try_place(place, &spec, u, v, rng.below(4), occ, rng, out) {
                    placed += 1;
                    break;
                }
            }
        }
    }
    // The built-up area: density decays with the distance from the centroid. When the core
    // fills up (few recent successes), the area grows a little.
    let mut spread = 1.0f64;
    let mut success = 1.0f64; // moving average of the success rate
    let mut failures = 0usize;
    while placed < count && failures < 20 * count.max(50) {
        let q = spread * rng.f64().powf(0.75);
        let angle = rng.range(0.0, std::f64::consts::TAU);
        let r = q * place.urban_radius;
        let (u, v) = (r * angle.cos(), r * angle.sin());
        let spec = urban_spec(place, q.min(1.0), rng);
        let ok = try_place(place, &spec, u, v, rng.below(4), occ, rng, out);
        success = 0.98 * success + if ok { 0.02 } else { 0.0 };
        if ok {
            placed += 1;
        } else {
            failures += 1;
            if success < 0.1 {
                spread = (spread * 1.01).min(2.5);
                success = 0.2;
            }
        }
    }
}

/// A farmstead building.
fn farm_spec(rng: &mut Rng) -> Spec {
    let uso = if rng.chance(0.6) { "08" } else { "01" };
    let (a, b) = (rng.range(12.0, 35.0), rng.range(8.0, 14.0));
    let height = rng.range(4.0, 9.0);
    let year = rng.chance(0.85).then(|| rng.int(1850, 1960));
    Spec { uso, ty: "01", a, b, height, shape: Shape::Rect, roof: Roof::Gable, slope: rng.range(20.0, 30.0), year }
}

/// A building of the built-up area at relative distance `q` from the centroid.
fn urban_spec(place: &Place, q: f64, rng: &mut Rng) -> Spec {
    let milano = place.is_hub;
    let uso = if q < 0.5 {
        *rng.weighted(&[("01", 0.78), ("06", 0.10), ("02", 0.04), ("03", 0.04), ("05", 0.02), ("09", 0.02)])
    } else if q < 0.9 {
        *rng.weighted(&[("01", 0.80), ("06", 0.06), ("07", 0.06), ("03", 0.04), ("05", 0.01), ("09", 0.02), ("10", 0.01)])
    } else {
        *rng.weighted(&[("01", 0.50), ("07", 0.30), ("06", 0.08), ("08", 0.05), ("10", 0.02), ("09", 0.05)])
    };
    let pitched = |rng: &mut Rng, flat: f64| -> Roof {
        if rng.chance(flat) {
            Roof::Flat
        } else if rng.chance(0.6) {
            Roof::Gable
        } else {
            Roof::Hip
        }
    };
    let old_centre = q < 0.3;
    let (mut a, mut b, height, ty, roof, slope, year_range, lshape);
    match uso {
        "07" => {
            a = rng.range(20.0, 40.0);
            b = rng.range(15.0, 40.0);
            height = if milano { rng.range(8.0, 15.0) } else { rng.range(6.0, 12.0) };
            ty = "05";
            roof = if rng.chance(0.6) { Roof::Flat } else { Roof::Gable };
            slope = rng.range(5.0, 12.0);
            year_range = (1950, 2015);
            lshape = false;
        }
        "06" => {
            a = rng.range(15.0, 40.0);
            b = rng.range(12.0, 30.0);
            height = if milano { rng.range(8.0, 25.0) } else { rng.range(4.0, 10.0) };
            ty = "01";
            roof = pitched(rng, 0.8);
            slope = rng.range(10.0, 25.0);
            year_range = (1955, 2022);
            lshape = rng.chance(0.15);
        }
        "08" => {
            a = rng.range(12.0, 35.0);
            b = rng.range(8.0, 14.0);
            height = rng.range(4.0, 9.0);
            ty = "01";
            roof = Roof::Gable;
            slope = rng.range(20.0, 30.0);
            year_range = (1880, 1990);
            lshape = false;
        }
        "01" if milano => {
            let tower = rng.chance(if q < 0.6 { 0.04 } else { 0.10 });
            if tower {
                a = rng.range(18.0, 30.0);
                b = rng.range(18.0, 30.0);
                height = rng.range(35.0, 60.0);
                ty = "04";
                roof = Roof::Flat;
                year_range = (1955, 2022);
                lshape = false;
            } else {
                a = rng.range(18.0, 40.0);
                b = rng.range(12.0, 25.0);
                height = if q < 0.6 { rng.range(15.0, 30.0) } else { rng.range(10.0, 30.0) };
                ty = "03";
                roof = pitched(rng, 0.7);
                year_range = if old_centre { (1850, 1940) } else { (1920, 2022) };
                lshape = rng.chance(0.3);
            }
            slope = rng.range(15.0, 30.0);
        }
        "01" => {
            let kind = *rng.weighted(&[(0u8, if q < 0.4 { 0.35 } else { 0.55 }), (1, if q < 0.4 { 0.5 } else { 0.3 }), (2, 0.15)]);
            match kind {
                0 => {
                    a = rng.range(8.0, 14.0);
                    b = rng.range(8.0, 12.0);
                    height = rng.range(3.0, 7.0);
                    ty = "01";
                    roof = pitched(rng, 0.15);
                    lshape = rng.chance(0.3);
                }
                1 => {
                    a = rng.range(16.0, 32.0);
                    b = rng.range(10.0, 16.0);
                    height = rng.range(9.0, 15.0);
                    ty = "03";
                    roof = pitched(rng, 0.4);
                    lshape = rng.chance(0.25);
                }
                _ => {
                    a = rng.range(24.0, 40.0);
                    b = rng.range(8.0, 10.0);
                    height = rng.range(6.0, 8.0);
                    ty = "02";
                    roof = Roof::Gable;
                    lshape = false;
                }
            }
            slope = rng.range(18.0, 40.0);
            year_range = if old_centre { (1880, 1960) } else { (1945, 2022) };
        }
        _ => {
            a = rng.range(12.0, 35.0);
            b = rng.range(10.0, 25.0);
            height = if milano { rng.range(8.0, 30.0) } else { rng.range(5.0, 15.0) };
            ty = "01";
            roof = pitched(rng, 0.5);
            slope = rng.range(15.0, 35.0);
            year_range = if old_centre { (1600, 1950) } else { (1920, 2020) };
            lshape = rng.chance(0.25);
        }
    }
    a = a.clamp(8.0, 40.0);
    b = b.clamp(8.0, 40.0);
    if rng.chance(0.5) && !matches!(ty, "02") {
        std::mem::swap(&mut a, &mut b);
    }
    let (lo, hi) = if milano { (6.0, 60.0) } else { (3.0, 15.0) };
    let year = if rng.chance(0.12) {
        None
    } else {
        let mid = (year_range.0 + year_range.1) as f64 / 2.0;
        let sd = (year_range.1 - year_range.0) as f64 / 4.0;
        Some(((mid + sd * rng.normal()).round() as i64).clamp(year_range.0, year_range.1))
    };
    let shape = if lshape { Shape::L(rng.range(0.35, 0.6), rng.range(0.35, 0.6)) } else { Shape::Rect };
    Spec { uso, ty, a, b, height: height.clamp(lo, hi), shape, roof, slope, year }
}

/// Rotates a canonical point by `k` quarter turns.
fn quarter(k: usize, (x, y): (f64, f64)) -> (f64, f64) {
    match k % 4 {
        0 => (x, y),
        1 => (-y, x),
        2 => (-x, -y),
        _ => (y, -x),
    }
}

/// Tries to place a building centred at local (u, v), turned by `k` quarter turns.
#[allow(clippy::too_many_arguments)]
fn try_place(place: &Place, spec: &Spec, u: f64, v: f64, k: usize, occ: &mut Occupancy, rng: &mut Rng, out: &mut Out) -> bool {
    let (ha, hb) = if k % 2 == 0 { (spec.a / 2.0, spec.b / 2.0) } else { (spec.b / 2.0, spec.a / 2.0) };
    let gap = if place.is_hub { GAP_HUB } else { GAP };
    if !occ.is_free(u - ha - gap, v - hb - gap, u + ha + gap, v + hb + gap) {
        return false;
    }
    let corners = [(u - ha, v - hb), (u + ha, v - hb), (u + ha, v + hb), (u - ha, v + hb)];
    if !corners.iter().all(|&(cu, cv)| place.cell.contains(place.frame.to_world(cu, cv), CELL_MARGIN)) {
        return false;
    }
    let to_world = |p: (f64, f64)| {
        let (x, y) = quarter(k, p);
        place.frame.to_world(u + x, v + y)
    };
    let footprint: Vec<(f64, f64)> = footprint(spec);
    let ring: Vec<Coord> = footprint.iter().map(|&p| to_world(p)).collect();
    let Some(geom) = multipolygon(&ring) else { return false };
    occ.mark(u - ha, v - hb, u + ha, v + hb);

    let height = round_to(spec.height, 1);
    let piani = ((height / 3.0).round() as i64).max(1);
    let stato = if rng.chance(0.03) { "02" } else { "01" };
    let year = if stato == "02" { None } else { spec.year };
    let rilievo = rng.chance(0.85).then(|| {
        let (d0, d1) = (days_from_civil(2012, 1, 1), days_from_civil(2023, 12, 31));
        d0 + rng.below((d1 - d0 + 1) as usize) as i32
    });
    // Protection and existing photovoltaics from a stream of their own (keyed by the place on
    // the ground), so the other draws of the demo stay as they were.
    let mut own = Rng::derive(0, "edifici-vincoli-fv", u.to_bits() ^ v.to_bits().rotate_left(21) ^ k as u64);
    let vincolo = match year {
        Some(y) if y < 1930 && own.chance(0.35) => Some("Bene culturale (D.Lgs. 42/2004, art. 10)"),
        Some(y) if y < 1950 && place.is_hub && own.chance(0.25) => Some("Nucleo di antica formazione (PGT)"),
        _ => None,
    };
    let fv_kwp = (vincolo.is_none() && year.is_some_and(|y| y >= 1970) && own.chance(0.05))
        .then(|| round_to((spec.a * spec.b * 0.06).clamp(2.0, 200.0), 1));
    let fid = out.push(
        T_EDIFICI,
        geom.into(),
        vec![
            place.istat(),
            Val::text(spec.uso),
            Val::text(stato),
            Val::text(spec.ty),
            Val::Real(height),
            Val::int(piani),
            Val::Int(year),
            Val::Date(rilievo),
            // measured by `navigli lidar import`
            Val::Text(None),
            Val::Int(None),
            Val::NullReal,
            Val::NullReal,
            Val::Text(vincolo.map(Into::into)),
            fv_kwp.map_or(Val::NullReal, Val::Real),
        ],
    );

    let (roof, slope) = match spec.roof {
        Roof::Flat => (Roof::Flat, rng.range(0.0, 3.0)),
        r => (r, spec.slope),
    };
    let slope = round_to(slope, 1);
    let drain = rng.below(4);
    for plane in roof_planes(spec, roof, drain) {
        let ring: Vec<Coord> = plane.ring.iter().map(|&p| to_world(p)).collect();
        let Some(mp) = multipolygon(&ring) else { continue };
        let planar = area_xy(&plane.ring).abs();
        let (dx, dy) = quarter(k, plane.down);
        let (wx, wy) = place.frame.dir_to_world(dx, dy);
        let aspect = round_to(wx.atan2(wy).to_degrees().rem_euclid(360.0), 1) % 360.0;
        let c = ring_centroid(&plane.ring.iter().map(|&(x, y)| Coord { x, y }).collect::<Vec<_>>());
        let upslope = (plane.eave.0 - c.x) * plane.down.0 + (plane.eave.1 - c.y) * plane.down.1;
        let tan = slope.to_radians().tan();
        let altezza = round_to(height + tan * upslope.max(0.0), 2);
        let area = round_to(planar / slope.to_radians().cos(), 2);
        out.push(
            T_FALDE,
            mp.into(),
            vec![
                place.istat(),
                Val::int(fid),
                Val::Real(slope),
                Val::Real(aspect),
                Val::Real(area),
                Val::Real(altezza),
                // solar attributes: `navigli roofs compute` fills them
                Val::NullReal,
                Val::NullReal,
                Val::NullReal,
                Val::NullReal,
                Val::Text(None),
                Val::Text(None),
                Val::NullReal,
                // lineage of measured planes (`navigli lidar import`)
                Val::Text(None),
                Val::Int(None),
                Val::NullReal,
                Val::Int(None),
                Val::NullReal,
                Val::NullReal,
                Val::Int(None),
                Val::Int(None),
            ],
        );
    }
    true
}

/// The footprint ring in the canonical frame (box a × b centred at the origin, CCW).
fn footprint(spec: &Spec) -> Vec<(f64, f64)> {
    let (x0, y0, x1, y1) = (-spec.a / 2.0, -spec.b / 2.0, spec.a / 2.0, spec.b / 2.0);
    match spec.shape {
        Shape::Rect => vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1)],
        Shape::L(fa, fb) => {
            let (xc, yc) = (x1 - spec.a * fa, y1 - spec.b * fb);
            vec![(x0, y0), (x1, y0), (x1, yc), (xc, yc), (xc, y1), (x0, y1)]
        }
    }
}

/// The roof planes of a building in its canonical frame.
fn roof_planes(spec: &Spec, roof: Roof, drain: usize) -> Vec<Plane> {
    let (x0, y0, x1, y1) = (-spec.a / 2.0, -spec.b / 2.0, spec.a / 2.0, spec.b / 2.0);
    if roof == Roof::Flat {
        let ring = footprint(spec);
        let down = quarter(drain, (0.0, -1.0));
        // The eave is the lowest side: the extreme of the ring along `down`.
        let eave = ring
            .iter()
            .copied()
            .max_by(|p, q| (p.0 * down.0 + p.1 * down.1).total_cmp(&(q.0 * down.0 + q.1 * down.1)))
            .unwrap_or((0.0, 0.0));
        return vec![Plane { ring, down, eave }];
    }
    match spec.shape {
        Shape::Rect => rect_planes(x0, y0, x1, y1, roof),
        Shape::L(fa, fb) => {
            let (xc, yc) = (x1 - spec.a * fa, y1 - spec.b * fb);
            let mut planes = rect_planes(x0, y0, x1, yc, Roof::Gable);
            planes.extend(rect_planes(x0, yc, xc, y1, Roof::Gable));
            planes
        }
    }
}

/// Gable or hip planes of the box [x0, x1] × [y0, y1]; the ridge follows the longer side.
fn rect_planes(x0: f64, y0: f64, x1: f64, y1: f64, roof: Roof) -> Vec<Plane> {
    let (w, h) = (x1 - x0, y1 - y0);
    if h > w {
        // Solve the transposed box (ridge along x) and turn it back a quarter.
        let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        let turned = rect_planes(-h / 2.0, -w / 2.0, h / 2.0, w / 2.0, roof);
        let back = |p: (f64, f64)| {
            let (x, y) = quarter(1, p);
            (x + cx, y + cy)
        };
        return turned
            .into_iter()
            .map(|p| Plane { ring: p.ring.into_iter().map(back).collect(), down: quarter(1, p.down), eave: back(p.eave) })
            .collect();
    }
    let ym = (y0 + y1) / 2.0;
    let hh = h / 2.0;
    if roof == Roof::Hip && w - h >= 1.0 {
        return vec![
            Plane { ring: vec![(x0, y0), (x1, y0), (x1 - hh, ym), (x0 + hh, ym)], down: (0.0, -1.0), eave: (x0, y0) },
            Plane { ring: vec![(x0 + hh, ym), (x1 - hh, ym), (x1, y1), (x0, y1)], down: (0.0, 1.0), eave: (x0, y1) },
            Plane { ring: vec![(x0, y0), (x0 + hh, ym), (x0, y1)], down: (-1.0, 0.0), eave: (x0, y0) },
            Plane { ring: vec![(x1, y0), (x1, y1), (x1 - hh, ym)], down: (1.0, 0.0), eave: (x1, y0) },
        ];
    }
    vec![
        Plane { ring: vec![(x0, y0), (x1, y0), (x1, ym), (x0, ym)], down: (0.0, -1.0), eave: (x0, y0) },
        Plane { ring: vec![(x0, ym), (x1, ym), (x1, y1), (x0, y1)], down: (0.0, 1.0), eave: (x0, y1) },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roof_planes_partition_the_footprint() {
        let base =
            Spec { uso: "01", ty: "01", a: 20.0, b: 12.0, height: 10.0, shape: Shape::Rect, roof: Roof::Gable, slope: 30.0, year: None };
        for (roof, shape, n) in [
            (Roof::Gable, Shape::L(0.4, 0.5), 4),
            (Roof::Hip, Shape::Rect, 4),
            (Roof::Gable, Shape::Rect, 2),
            (Roof::Flat, Shape::L(0.4, 0.5), 1),
        ] {
            for (a, b) in [(20.0, 12.0), (12.0, 20.0)] {
                let s = Spec { shape, a, b, ..base };
                let fp = area_xy(&footprint(&s));
                let planes = roof_planes(&s, roof, 1);
                assert_eq!(planes.len(), n);
                let sum: f64 = planes.iter().map(|p| area_xy(&p.ring)).sum();
                assert!((sum - fp).abs() < 1e-9, "{roof:?} {shape:?}: {sum} vs {fp}");
                assert!(planes.iter().all(|p| area_xy(&p.ring) > 0.0), "{roof:?} {shape:?}: clockwise plane");
                for p in &planes {
                    // The eave is the lowest edge: no vertex lies further downslope.
                    let e = p.eave.0 * p.down.0 + p.eave.1 * p.down.1;
                    assert!(p.ring.iter().all(|q| q.0 * p.down.0 + q.1 * p.down.1 <= e + 1e-9));
                }
            }
        }
    }
}
