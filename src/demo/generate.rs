//! The dataset generator: a pure function of the comuni table and the options.
//!
//! Order of work: comune cells (see [`super::cells`]), then the linear features that cross
//! comuni (Navigli and rivers, motorways, radial and provincial roads, Milano's ring roads),
//! clipped to every cell; then, comune by comune in ISTAT order, in a local frame rotated to
//! the comune's street grid: an occupancy bitmap (linear features stamped first), parks,
//! the street grid, buildings with their roof planes, and services; finally land use and the
//! zone omogenee. Every layer of every comune draws from its own random stream.
//!
//! Road codes: `EL_STR_TY` 01 elemento stradale ordinario, 02 di servizio; `EL_STR_SED` 01 a
//! raso, 02 in galleria, 03 su ponte o viadotto. Road names are NULL for about 8% of the
//! urban street segments.

use std::borrow::Cow;
use std::collections::BTreeMap;

use geo::{BooleanOps, Coord, Geometry, LineString, MultiPolygon, Orient, Point, Polygon};

use super::buildings::place_buildings;
use super::cells::{partition, Site};
use super::facts;
use super::geom::{
    dist, dist_to_polyline, finish_ring, lerp, mm, multilinestring, multipolygon, polygon, ring_area, round_to, ConvexCell, Frame,
};
use super::rng::Rng;
use super::schema::{Dataset, Row, TableRows, Val, TABLES};
use super::services::{place_services, StreetRef};
use super::{DemoError, DemoOptions, DemoSize};
use crate::config::Comune;
use crate::crs::{transform_point, Crs};

/// Table indexes into [`TABLES`].
pub(crate) const T_COMUNI: usize = 0;
pub(crate) const T_ZONE: usize = 1;
pub(crate) const T_USO_SUOLO: usize = 2;
pub(crate) const T_SERVIZI_PUBBLICI: usize = 3;
pub(crate) const T_EDIFICI: usize = 4;
pub(crate) const T_STRADE: usize = 5;
pub(crate) const T_IDROGRAFIA: usize = 6;
pub(crate) const T_AREE_VERDI: usize = 7;
pub(crate) const T_FALDE: usize = 8;
pub(crate) const T_SERVIZI_SOCIALI: usize = 9;
pub(crate) const T_CIVICI: usize = 12;

/// Resolution (m) of the occupancy bitmap.
const RES: f64 = 2.0;
/// Side (m) of the land-use grid.
const LAND_USE_GRID: f64 = 500.0;

/// Rows being collected, per table; fids are assigned in push order.
pub(crate) struct Out {
    tables: Vec<Vec<Row>>,
}

impl Out {
    fn new() -> Out {
        Out { tables: TABLES.iter().map(|_| Vec::new()).collect() }
    }

    /// Appends a row; returns its fid.
    pub fn push(&mut self, table: usize, geom: Geometry<f64>, values: Vec<Val>) -> i64 {
        let rows = &mut self.tables[table];
        let fid = rows.len() as i64 + 1;
        debug_assert_eq!(values.len(), TABLES[table].columns.len(), "{}", TABLES[table].name);
        debug_assert!(values.iter().zip(TABLES[table].columns).all(|(v, c)| v.fits(c)), "{}: {values:?}", TABLES[table].name);
        rows.push(Row { fid, geom, values });
        fid
    }
}

/// One comune with everything derived from it.
pub(crate) struct Place<'a> {
    pub comune: &'a Comune,
    /// Index in ISTAT order.
    pub index: usize,
    /// Centroid in EPSG:32632.
    pub site: Coord,
    /// The (rounded) cell.
    pub cell: ConvexCell,
    /// Radius (m) of the built-up area.
    pub urban_radius: f64,
    /// Local frame: origin at the centroid, rotated to the street grid.
    pub frame: Frame,
    /// The hub of the radial roads (Milano).
    pub is_hub: bool,
}

impl Place<'_> {
    /// The cod_istat value.
    pub fn istat(&self) -> Val {
        Val::text(self.comune.istat_code.clone())
    }
}

/// Occupancy bitmap in a comune's local frame: buildings never overlap what is marked.
pub(crate) struct Occupancy {
    u0: f64,
    v0: f64,
    nx: usize,
    ny: usize,
    bits: Vec<u64>,
}

impl Occupancy {
    /// A bitmap covering the cell, in the place's frame.
    pub fn new(place: &Place) -> Occupancy {
        let (mut umin, mut vmin, mut umax, mut vmax) = (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
        for p in &place.cell.ring {
            let (u, v) = place.frame.to_local(*p);
            umin = umin.min(u);
            vmin = vmin.min(v);
            umax = umax.max(u);
            vmax = vmax.max(v);
        }
        let (u0, v0) = (umin - 10.0, vmin - 10.0);
        let nx = ((umax + 10.0 - u0) / RES).ceil() as usize + 1;
        let ny = ((vmax + 10.0 - v0) / RES).ceil() as usize + 1;
        Occupancy { u0, v0, nx, ny, bits: vec![0; (nx * ny).div_ceil(64)] }
    }

    /// Index range of the cells touching [lo, hi] along one axis (clamped), or None if outside.
    fn span(lo: f64, hi: f64, origin: f64, n: usize) -> Option<(usize, usize, bool)> {
        let a = ((lo - origin) / RES).floor();
        let b = ((hi - origin) / RES).floor();
        if b < 0.0 || a >= n as f64 {
            return None;
        }
        let clipped = a < 0.0 || b >= n as f64;
        Some((a.max(0.0) as usize, (b as usize).min(n - 1), clipped))
    }

    /// Nothing is marked in the rectangle, which lies entirely in the bitmap.
    pub fn is_free(&self, umin: f64, vmin: f64, umax: f64, vmax: f64) -> bool {
        let (Some((i0, i1, cu)), Some((j0, j1, cv))) = (Self::span(umin, umax, self.u0, self.nx), Self::span(vmin, vmax, self.v0, self.ny))
        else {
            return false;
        };
        if cu || cv {
            return false;
        }
        for j in j0..=j1 {
            for i in i0..=i1 {
                let k = j * self.nx + i;
                if self.bits[k / 64] & (1 << (k % 64)) != 0 {
                    return false;
                }
            }
        }
        true
    }

    /// Marks a rectangle (clamped to the bitmap).
    pub fn mark(&mut self, umin: f64, vmin: f64, umax: f64, vmax: f64) {
        let (Some((i0, i1, _)), Some((j0, j1, _))) = (Self::span(umin, umax, self.u0, self.nx), Self::span(vmin, vmax, self.v0, self.ny))
        else {
            return;
        };
        for j in j0..=j1 {
            for i in i0..=i1 {
                let k = j * self.nx + i;
                self.bits[k / 64] |= 1 << (k % 64);
            }
        }
    }

    /// Marks a corridor of half-width `hw` along a world polyline.
    pub fn mark_line(&mut self, frame: &Frame, line: &[Coord], hw: f64) {
        for w in line.windows(2) {
            let (a, b) = (frame.to_local(w[0]), frame.to_local(w[1]));
            let len = (b.0 - a.0).hypot(b.1 - a.1);
            let steps = (len / RES).ceil().max(1.0) as usize;
            for s in 0..=steps {
                let t = s as f64 / steps as f64;
                let (u, v) = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
                self.mark(u - hw, v - hw, u + hw, v + hw);
            }
        }
    }
}

/// Attributes of a linear feature crossing comuni.
enum LinearKind {
    Road { classe: &'static str, nome: Option<String> },
    Water { nome: &'static str, tipo: &'static str },
}

/// A polyline crossing comuni.
struct Linear {
    kind: LinearKind,
    line: Vec<Coord>,
    half_width: f64,
}

/// A piece of a linear feature inside one cell.
struct Piece {
    feature: usize,
    /// Where along the feature the piece starts (segment index + t).
    position: f64,
    parts: Vec<Vec<Coord>>,
}

/// A park placed in a comune (local bbox kept for the street grid).
pub(crate) struct Park {
    pub bbox: (f64, f64, f64, f64),
}

/// Generates the whole dataset.
pub(crate) fn generate(comuni: &[Comune], opts: &DemoOptions) -> Result<Dataset, DemoError> {
    if comuni.is_empty() {
        return Err(DemoError::Input("the comuni table is empty".into()));
    }
    let mut sorted: Vec<&Comune> = comuni.iter().collect();
    sorted.sort_by(|a, b| a.istat_code.cmp(&b.istat_code));
    if let Some(w) = sorted.windows(2).find(|w| w[0].istat_code == w[1].istat_code) {
        return Err(DemoError::Input(format!("duplicate ISTAT code {}", w[0].istat_code)));
    }
    for c in &sorted {
        if !(6.0..=12.0).contains(&c.centroid_lon) || !(40.0..=48.0).contains(&c.centroid_lat) || c.area_km2.is_nan() || c.area_km2 <= 0.0 {
            return Err(DemoError::Input(format!("comune {}: centroid or area out of range", c.istat_code)));
        }
    }
    let seed = opts.seed;
    let sites: Vec<Coord> = sorted.iter().map(|c| utm(c.centroid_lon, c.centroid_lat)).collect::<Result<_, _>>()?;
    let neighbours: Vec<Site> =
        facts::NEIGHBOURS.iter().map(|&(lon, lat, a)| Ok(Site { pos: utm(lon, lat)?, area: a * 1e6 })).collect::<Result<_, DemoError>>()?;
    let part_sites: Vec<Site> = sites.iter().zip(&sorted).map(|(&pos, c)| Site { pos, area: c.area_km2 * 1e6 }).collect();
    let raw_cells = partition(&part_sites, &neighbours);
    let hub = sorted
        .iter()
        .position(|c| c.slug == "milano")
        .unwrap_or_else(|| (0..sorted.len()).max_by_key(|&i| (sorted[i].population, std::cmp::Reverse(i))).unwrap_or(0));

    let mut places = Vec::with_capacity(sorted.len());
    for (i, (c, raw)) in sorted.iter().zip(raw_cells).enumerate() {
        let ring = finish_ring(&raw.ring).ok_or_else(|| DemoError::Input(format!("comune {} has an empty cell", c.istat_code)))?;
        let cell = ConvexCell::new(ring);
        let equivalent = (cell.area() / std::f64::consts::PI).sqrt();
        let urban_radius = (300.0 + 6.0 * (c.population as f64).sqrt()).min(1.2 * equivalent);
        let angle = Rng::derive(seed, "frame", i as u64).range(0.0, std::f64::consts::FRAC_PI_2);
        places.push(Place {
            comune: c,
            index: i,
            site: sites[i],
            cell,
            urban_radius,
            frame: Frame::new(sites[i], angle),
            is_hub: i == hub,
        });
    }

    let mut out = Out::new();
    write_comuni(&places, &mut out);
    write_zones(&places, &mut out);

    // Linear features and their pieces per cell.
    let linears = linear_features(&places, hub, seed)?;
    let mut pieces: Vec<Vec<Piece>> = places.iter().map(|_| Vec::new()).collect();
    for (f, lin) in linears.iter().enumerate() {
        for (i, place) in places.iter().enumerate() {
            let parts = place.cell.clip_polyline(&lin.line, 0.0);
            if !parts.is_empty() {
                let position = first_position(&lin.line, &parts[0][0]);
                pieces[i].push(Piece { feature: f, position, parts });
            }
        }
    }
    write_water(&places, &linears, &pieces, &mut out);

    // Milano's named parks and hospitals stay in Milano: a point the approximate boundary
    // leaves outside is moved toward the centre until it is well inside.
    let mut named_parks: Vec<(&str, &str, Coord, f64)> = Vec::new();
    let mut hospitals: Vec<(&'static str, Coord)> = Vec::new();
    if places[hub].comune.slug == "milano" {
        let inside = |p: Coord| {
            (0..=20)
                .map(|k| lerp(p, places[hub].site, k as f64 / 20.0))
                .find(|q| places[hub].cell.contains(*q, 300.0))
                .unwrap_or(places[hub].site)
        };
        for &(name, tipo, lon, lat, ha) in facts::MILANO_PARKS {
            named_parks.push((name, tipo, inside(utm(lon, lat)?), ha * 10_000.0));
        }
        for &(name, lon, lat) in facts::MILANO_HOSPITALS {
            hospitals.push((name, inside(utm(lon, lat)?)));
        }
    }

    // Buildings per inhabitant: the hinterland has more buildings per head than Milano.
    let (hub_rate, rate, minimum) = match opts.size {
        DemoSize::Small => (1.0 / 100.0, 1.0 / 100.0, 20.0),
        DemoSize::Full => (1.0 / 18.0, 1.0 / 7.0, 150.0),
    };
    // Distance (m) between consecutive house numbers on one side of a street.
    let civici_step = match opts.size {
        DemoSize::Small => 80.0,
        DemoSize::Full => 24.0,
    };
    for place in &places {
        let i = place.index;
        let mut occ = Occupancy::new(place);
        for piece in &pieces[i] {
            for part in &piece.parts {
                occ.mark_line(&place.frame, part, linears[piece.feature].half_width);
            }
        }
        let parks = place_parks(
            place,
            if place.is_hub { &named_parks } else { &[] },
            &mut occ,
            &mut Rng::derive(seed, "aree_verdi", i as u64),
            &mut out,
        );
        write_linear_roads(place, &linears, &pieces[i], &mut Rng::derive(seed, "strade-ext", i as u64), &mut out);
        let mut numbers = HouseNumbers { step: civici_step, rng: Rng::derive(seed, "civici", i as u64), count: 0 };
        let streets = street_grid(place, &parks, &mut occ, &mut Rng::derive(seed, "strade", i as u64), &mut numbers, &mut out);
        let per_person = if place.is_hub { hub_rate } else { rate };
        let n_buildings = (place.comune.population as f64 * per_person).round().max(minimum) as usize;
        place_buildings(place, n_buildings, &mut occ, &mut Rng::derive(seed, "edifici", i as u64), &mut out);
        place_services(place, &streets, if place.is_hub { &hospitals } else { &[] }, seed, &mut out);
    }
    land_use(&places, &linears, seed, &mut out)?;

    Ok(Dataset { tables: TABLES.iter().zip(out.tables).map(|(def, rows)| TableRows { def, rows }).collect() })
}

/// CRS84 to EPSG:32632.
pub(crate) fn utm(lon: f64, lat: f64) -> Result<Coord, DemoError> {
    let (x, y) = transform_point(Crs::CRS84, Crs::UTM32N, lon, lat)?;
    Ok(Coord { x, y })
}

/// Segment index + fraction of the point of `line` closest to `p`.
fn first_position(line: &[Coord], p: &Coord) -> f64 {
    let mut best = (f64::INFINITY, 0.0);
    for (k, w) in line.windows(2).enumerate() {
        let (dx, dy) = (w[1].x - w[0].x, w[1].y - w[0].y);
        let len2 = dx * dx + dy * dy;
        let t = if len2 > 0.0 { (((p.x - w[0].x) * dx + (p.y - w[0].y) * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
        let d = dist(*p, lerp(w[0], w[1], t));
        if d < best.0 {
            best = (d, k as f64 + t);
        }
    }
    best.1
}

fn write_comuni(places: &[Place], out: &mut Out) {
    for p in places {
        let c = p.comune;
        let geom = MultiPolygon::new(vec![polygon(p.cell.ring.clone())]);
        out.push(T_COMUNI, geom.into(), super::schema::comune_values(c, true));
    }
}

/// Dissolves the cells per zona omogenea (zones in code order).
fn write_zones(places: &[Place], out: &mut Out) {
    let mut zones: BTreeMap<&str, Vec<&Place>> = BTreeMap::new();
    for p in places {
        zones.entry(p.comune.zona_code.as_str()).or_default().push(p);
    }
    for (code, members) in zones {
        let rings: Vec<&[Coord]> = members.iter().map(|p| p.cell.ring.as_slice()).collect();
        let geom = dissolve(&rings).unwrap_or_else(|| {
            // Fallback when shared edges do not match exactly: a general polygon union.
            let union = rings.iter().fold(MultiPolygon::new(vec![]), |u, r| u.union(&MultiPolygon::new(vec![polygon(r.to_vec())])));
            clean_multipolygon(&union)
        });
        let pop: u64 = members.iter().map(|p| p.comune.population).sum();
        out.push(
            T_ZONE,
            geom.into(),
            vec![
                Val::text(code.to_string()),
                Val::text(members[0].comune.zona_name.clone()),
                Val::int(members.len() as i64),
                Val::int(pop as i64),
            ],
        );
    }
}

/// Exact union of CCW rings that tile without overlaps and share edges vertex for vertex
/// (as the rounded comune cells do): edges shared by two rings cancel, and the rest are
/// chained into rings, turning as far left as possible at pinch points. `None` if the edges
/// do not chain (shared edges that do not match exactly).
fn dissolve(rings: &[&[Coord]]) -> Option<MultiPolygon<f64>> {
    type Key = (u64, u64);
    let key = |c: Coord| (c.x.to_bits(), c.y.to_bits());
    let mut all: BTreeMap<(Key, Key), (Coord, Coord)> = BTreeMap::new();
    for ring in rings {
        for i in 0..ring.len() {
            let (a, b) = (ring[i], ring[(i + 1) % ring.len()]);
            all.insert((key(a), key(b)), (a, b));
        }
    }
    let boundary: Vec<(Coord, Coord)> = all.iter().filter(|((a, b), _)| !all.contains_key(&(*b, *a))).map(|(_, e)| *e).collect();
    let mut outgoing: BTreeMap<Key, Vec<usize>> = BTreeMap::new();
    for (k, (a, _)) in boundary.iter().enumerate() {
        outgoing.entry(key(*a)).or_default().push(k);
    }
    let mut used = vec![false; boundary.len()];
    let mut found: Vec<Vec<Coord>> = Vec::new();
    for start in 0..boundary.len() {
        if used[start] {
            continue;
        }
        let mut ring = Vec::new();
        let mut e = start;
        loop {
            used[e] = true;
            let (a, b) = boundary[e];
            ring.push(a);
            if key(b) == key(boundary[start].0) {
                break;
            }
            let din = (b.x - a.x, b.y - a.y);
            let next = outgoing.get(&key(b))?.iter().copied().filter(|&n| !used[n]).max_by(|&m, &n| {
                let turn = |k: usize| {
                    let d = (boundary[k].1.x - b.x, boundary[k].1.y - b.y);
                    (din.0 * d.1 - din.1 * d.0).atan2(din.0 * d.0 + din.1 * d.1)
                };
                turn(m).total_cmp(&turn(n))
            })?;
            e = next;
        }
        found.push(ring);
    }
    let (exteriors, holes): (Vec<Vec<Coord>>, Vec<Vec<Coord>>) =
        found.into_iter().filter(|r| r.len() >= 3).partition(|r| ring_area(r) > 0.0);
    let mut polys: Vec<(Vec<Coord>, Vec<LineString<f64>>)> = exteriors.into_iter().map(|r| (r, Vec::new())).collect();
    for hole in holes {
        let p = hole[0];
        let inside = |r: &[Coord]| {
            let mut c = false;
            for i in 0..r.len() {
                let (a, b) = (r[i], r[(i + 1) % r.len()]);
                if (a.y > p.y) != (b.y > p.y) && p.x < a.x + (p.y - a.y) / (b.y - a.y) * (b.x - a.x) {
                    c = !c;
                }
            }
            c
        };
        let owner = polys.iter_mut().filter(|(r, _)| inside(r)).min_by(|a, b| ring_area(&a.0).total_cmp(&ring_area(&b.0)))?;
        owner.1.push(LineString::new(hole));
    }
    let polys = polys.into_iter().map(|(r, holes)| Polygon::new(LineString::new(r), holes)).collect();
    Some(MultiPolygon::new(polys))
}

/// Rounds to millimetres, drops slivers and specks, orients rings (exterior CCW).
fn clean_multipolygon(mp: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    let open = |ls: &LineString<f64>| -> Vec<Coord> { ls.0[..ls.0.len().saturating_sub(1)].to_vec() };
    let mut polys = Vec::new();
    for poly in &mp.0 {
        let Some(ext) = finish_ring(&open(poly.exterior())) else { continue };
        if ring_area(&ext) < 10.0 {
            continue;
        }
        let holes: Vec<LineString<f64>> =
            poly.interiors().iter().filter_map(|r| finish_ring(&open(r))).filter(|r| ring_area(r) >= 10.0).map(LineString::new).collect();
        polys.push(Polygon::new(LineString::new(ext), holes).orient(geo::orient::Direction::Default));
    }
    MultiPolygon::new(polys)
}

/// Waterways, motorways, radial and provincial roads, Milano's rings and corsi.
fn linear_features(places: &[Place], hub: usize, seed: u64) -> Result<Vec<Linear>, DemoError> {
    let mut out = Vec::new();
    for (k, w) in facts::WATERWAYS.iter().enumerate() {
        let pts: Vec<Coord> = w.points.iter().map(|&(lon, lat)| utm(lon, lat)).collect::<Result<_, _>>()?;
        let mut rng = Rng::derive(seed, "idrografia", k as u64);
        let (levels, amp, hw) = match w.tipo {
            "fiume" if w.name.contains("Ticino") || w.name.contains("Adda") => (4, 0.14, 30.0),
            "fiume" => (4, 0.12, 10.0),
            _ => (2, 0.02, 8.0),
        };
        out.push(Linear {
            kind: LinearKind::Water { nome: w.name, tipo: w.tipo },
            line: meander(&pts, levels, amp, &mut rng),
            half_width: hw,
        });
    }
    for (k, m) in facts::MOTORWAYS.iter().enumerate() {
        let pts: Vec<Coord> = m.points.iter().map(|&(lon, lat)| utm(lon, lat)).collect::<Result<_, _>>()?;
        let mut rng = Rng::derive(seed, "autostrade", k as u64);
        out.push(Linear {
            kind: LinearKind::Road { classe: "autostrada", nome: Some(m.name.to_string()) },
            line: meander(&pts, 2, 0.02, &mut rng),
            half_width: 14.0,
        });
    }
    // Radial roads through comune centroids (missing comuni are skipped).
    let by_slug: BTreeMap<&str, usize> = places.iter().map(|p| (p.comune.slug.as_str(), p.index)).collect();
    let mut linked: std::collections::BTreeSet<(usize, usize)> = std::collections::BTreeSet::new();
    for (k, (name, slugs)) in facts::RADIALS.iter().enumerate() {
        let idx: Vec<usize> = slugs.iter().filter_map(|s| by_slug.get(s).copied()).collect();
        if idx.len() < 2 {
            continue;
        }
        for w in idx.windows(2) {
            linked.insert((w[0].min(w[1]), w[0].max(w[1])));
        }
        let mut pts: Vec<Coord> = idx.iter().map(|&i| places[i].site).collect();
        if idx[0] == hub {
            // Start at the edge of the historic centre, not at the very centroid.
            let d = dist(pts[0], pts[1]);
            pts[0] = lerp(pts[0], pts[1], (1_600.0 / d).min(0.5));
        }
        let mut rng = Rng::derive(seed, "radiali", k as u64);
        out.push(Linear {
            kind: LinearKind::Road { classe: "extraurbana", nome: Some(name.to_string()) },
            line: meander(&pts, 2, 0.04, &mut rng),
            half_width: 9.0,
        });
    }
    // Provincial roads: every comune to its nearest neighbour closer to the hub.
    let mut rng = Rng::derive(seed, "provinciali", 0);
    for p in places {
        if p.index == hub {
            continue;
        }
        let d_hub = dist(p.site, places[hub].site);
        let next = places
            .iter()
            .filter(|q| q.index != p.index && dist(q.site, places[hub].site) < d_hub)
            .min_by(|a, b| dist(p.site, a.site).total_cmp(&dist(p.site, b.site)));
        let Some(q) = next else { continue };
        let key = (p.index.min(q.index), p.index.max(q.index));
        if dist(p.site, q.site) > 15_000.0 || !linked.insert(key) {
            continue;
        }
        let number = rng.int(11, 240);
        let line = meander(&[p.site, q.site], 2, 0.05, &mut rng);
        out.push(Linear { kind: LinearKind::Road { classe: "extraurbana", nome: Some(format!("SP{number}")) }, line, half_width: 7.0 });
    }
    // Milano's rings and radial corsi around the Duomo.
    if places[hub].comune.slug == "milano" {
        let duomo = utm(facts::DUOMO.0, facts::DUOMO.1)?;
        let mut rng = Rng::derive(seed, "milano", 0);
        for &(name, r) in facts::MILANO_RINGS {
            let phase = rng.range(0.0, std::f64::consts::TAU);
            let n = 72;
            let mut ring: Vec<Coord> = (0..=n)
                .map(|k| {
                    let a = std::f64::consts::TAU * (k % n) as f64 / n as f64;
                    let rr = r * (1.0 + 0.05 * (3.0 * a + phase).sin() + 0.02 * (5.0 * a).cos());
                    Coord { x: duomo.x + rr * a.cos(), y: duomo.y + rr * a.sin() }
                })
                .collect();
            ring[n] = ring[0];
            out.push(Linear {
                kind: LinearKind::Road { classe: "urbana principale", nome: Some(name.to_string()) },
                line: ring,
                half_width: 10.0,
            });
        }
        for &(name, bearing) in facts::MILANO_CORSI {
            let b = bearing.to_radians();
            let dir = Coord { x: b.sin(), y: b.cos() };
            let pts: Vec<Coord> =
                [1_500.0, 3_000.0, 4_500.0, 5_500.0].iter().map(|&r| Coord { x: duomo.x + r * dir.x, y: duomo.y + r * dir.y }).collect();
            out.push(Linear {
                kind: LinearKind::Road { classe: "urbana principale", nome: Some(name.to_string()) },
                line: meander(&pts, 2, 0.03, &mut rng),
                half_width: 10.0,
            });
        }
    }
    Ok(out)
}

/// Midpoint displacement: `levels` rounds, perpendicular offsets up to `amp` × segment length.
fn meander(points: &[Coord], levels: usize, amp: f64, rng: &mut Rng) -> Vec<Coord> {
    let mut pts = points.to_vec();
    for _ in 0..levels {
        let mut next = Vec::with_capacity(pts.len() * 2);
        for w in pts.windows(2) {
            let (a, b) = (w[0], w[1]);
            let len = dist(a, b);
            let off = (rng.normal() * 0.5).clamp(-1.0, 1.0) * amp * len;
            let m = lerp(a, b, 0.5);
            next.push(a);
            if len > 0.0 {
                next.push(Coord { x: m.x - (b.y - a.y) / len * off, y: m.y + (b.x - a.x) / len * off });
            }
        }
        next.push(pts[pts.len() - 1]);
        pts = next;
    }
    pts
}

/// Idrografia rows: by waterway, then along its course.
fn write_water(places: &[Place], linears: &[Linear], pieces: &[Vec<Piece>], out: &mut Out) {
    for (f, lin) in linears.iter().enumerate() {
        let LinearKind::Water { nome, tipo } = &lin.kind else { continue };
        let mut found: Vec<(f64, usize, &Piece)> = Vec::new();
        for (i, ps) in pieces.iter().enumerate() {
            for p in ps.iter().filter(|p| p.feature == f) {
                found.push((p.position, i, p));
            }
        }
        found.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (_, i, p) in found {
            if let Some(g) = multilinestring(&p.parts, 1.0) {
                out.push(T_IDROGRAFIA, g.into(), vec![places[i].istat(), Val::text(*nome), Val::text(*tipo)]);
            }
        }
    }
}

/// Strade rows for the pieces of cross-comune roads inside one cell.
fn write_linear_roads(place: &Place, linears: &[Linear], pieces: &[Piece], rng: &mut Rng, out: &mut Out) {
    for p in pieces {
        let LinearKind::Road { classe, nome } = &linears[p.feature].kind else { continue };
        let Some(g) = multilinestring(&p.parts, 1.0) else { continue };
        let sede = match *classe {
            "autostrada" => *rng.weighted(&[("01", 0.8), ("03", 0.15), ("02", 0.05)]),
            "extraurbana" => *rng.weighted(&[("01", 0.95), ("03", 0.05)]),
            _ => "01",
        };
        out.push(
            T_STRADE,
            g.into(),
            vec![place.istat(), Val::text("01"), Val::text(sede), Val::text(*classe), Val::opt_text(nome.clone())],
        );
    }
}

/// A star-shaped organic ring of about `area` m² around local (cu, cv).
fn organic_ring(place: &Place, cu: f64, cv: f64, area: f64, rng: &mut Rng) -> Vec<Coord> {
    let aspect = rng.range(0.7, 1.4);
    let rot = rng.range(0.0, std::f64::consts::PI);
    let r = (area / std::f64::consts::PI).sqrt();
    let n = 18;
    let (p1, p2) = (rng.range(0.0, 6.3), rng.range(0.0, 6.3));
    let (a1, a2) = (rng.range(0.05, 0.15), rng.range(0.02, 0.08));
    (0..n)
        .map(|k| {
            let t = std::f64::consts::TAU * k as f64 / n as f64;
            let rr = r * (1.0 + a1 * (2.0 * t + p1).sin() + a2 * (3.0 * t + p2).sin());
            let (x, y) = (rr * aspect.sqrt() * t.cos(), rr / aspect.sqrt() * t.sin());
            let (x, y) = (x * rot.cos() - y * rot.sin(), x * rot.sin() + y * rot.cos());
            place.frame.to_world(cu + x, cv + y)
        })
        .collect()
}

/// Local bounding box of a world ring.
fn local_bbox(place: &Place, ring: &[Coord]) -> (f64, f64, f64, f64) {
    ring.iter().map(|p| place.frame.to_local(*p)).fold((f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY), |b, (u, v)| {
        (b.0.min(u), b.1.min(v), b.2.max(u), b.3.max(v))
    })
}

/// Named and generic parks of a comune (aree_verdi rows); their boxes are marked occupied.
fn place_parks(place: &Place, named: &[(&str, &str, Coord, f64)], occ: &mut Occupancy, rng: &mut Rng, out: &mut Out) -> Vec<Park> {
    let mut parks = Vec::new();
    let mut emit = |ring: Vec<Coord>, tipo: &str, nome: Option<String>, occ: &mut Occupancy, out: &mut Out| {
        let Some(mp) = multipolygon(&ring) else { return };
        let area = round_to(ring_area(&mp.0[0].exterior().0[..mp.0[0].exterior().0.len() - 1]).abs(), 2);
        let bbox = local_bbox(place, &ring);
        occ.mark(bbox.0, bbox.1, bbox.2, bbox.3);
        parks.push(Park { bbox });
        out.push(T_AREE_VERDI, mp.into(), vec![place.istat(), Val::text(tipo.to_string()), Val::opt_text(nome), Val::Real(area)]);
    };
    for &(name, tipo, centre, area) in named {
        let (cu, cv) = place.frame.to_local(centre);
        let mut a = area;
        for _ in 0..12 {
            let ring = organic_ring(place, cu, cv, a, rng);
            if ring.iter().all(|p| place.cell.contains(*p, 5.0)) {
                emit(ring, tipo, Some(name.to_string()), occ, out);
                break;
            }
            a *= 0.75;
        }
    }
    let pop = place.comune.population as f64;
    let n = if place.is_hub { 40 } else { (1.0 + pop / 12_000.0).floor().min(8.0) as usize };
    let r = place.urban_radius;
    for k in 0..n {
        let (tipo, lo, hi) = *rng.weighted(&[
            (("giardino pubblico", 3_000.0, 20_000.0), 0.5),
            (("parco urbano", 20_000.0, 120_000.0), 0.2),
            (("area giochi", 800.0, 5_000.0), 0.15),
            (("verde sportivo", 10_000.0, 40_000.0), 0.15),
        ]);
        let (tipo, lo, hi) = if k == 0 && !place.is_hub { ("parco urbano", 15_000.0, 60_000.0) } else { (tipo, lo, hi) };
        let mut area = rng.range(lo, hi);
        for attempt in 0..30 {
            if attempt % 10 == 9 {
                area *= 0.7;
            }
            let q = rng.range(0.1, 1.0);
            let a = rng.range(0.0, std::f64::consts::TAU);
            let (cu, cv) = (q * r * a.cos(), q * r * a.sin());
            let ring = organic_ring(place, cu, cv, area, rng);
            if !ring.iter().all(|p| place.cell.contains(*p, 5.0)) {
                continue;
            }
            let b = local_bbox(place, &ring);
            if !occ.is_free(b.0 - 4.0, b.1 - 4.0, b.2 + 4.0, b.3 + 4.0) {
                continue;
            }
            let nome = match tipo {
                "parco urbano" if k == 0 => Some(format!("Parco comunale di {}", place.comune.name)),
                "parco urbano" => Some(if rng.chance(0.5) {
                    format!("Parco {}", rng.pick(facts::PEOPLE))
                } else {
                    format!("Parco di {}", rng.pick(facts::VILLAS))
                }),
                "giardino pubblico" => rng.chance(0.7).then(|| format!("Giardino {}", rng.pick(facts::PEOPLE))),
                "area giochi" => rng.chance(0.5).then(|| format!("Area giochi {}", rng.pick(facts::NICE_NAMES))),
                _ => Some(format!("Centro sportivo {}", rng.pick(facts::PEOPLE))),
            };
            emit(ring, tipo, nome, occ, out);
            break;
        }
    }
    parks
}

/// House numbering along a comune's named streets (`civici` rows).
struct HouseNumbers {
    /// Distance (m) between consecutive numbers on one side.
    step: f64,
    rng: Rng,
    /// Numbers written so far in this comune.
    count: i64,
}

/// Where the numbers sit: this far (m) beyond the carriageway's edge, at the façades.
const CIVICO_SETBACK: f64 = 6.0;

impl HouseNumbers {
    /// Numbers one block run of a street that starts at `s0` (`stops`: the run's ends and the
    /// crossings between them): odd numbers on the left (+ side), even on the right, numbered
    /// from the street's start so that the runs of one street continue each other, none in a
    /// crossing; now and then a number with exponent "A" just after.
    #[allow(clippy::too_many_arguments)]
    fn number_run(
        &mut self,
        place: &Place,
        at: &dyn Fn(f64, f64) -> Coord,
        name: &str,
        prefix: &str,
        base: &str,
        hw: f64,
        s0: f64,
        stops: &[f64],
        out: &mut Out,
    ) {
        let (a, z) = (stops[0], stops[stops.len() - 1]);
        let first = ((a - s0) / self.step - 0.5).ceil().max(0.0) as i64;
        let last = ((z - s0) / self.step - 0.5).floor() as i64;
        for k in first..=last {
            let s = s0 + (k as f64 + 0.5) * self.step;
            if stops[1..stops.len() - 1].iter().any(|c| (s - c).abs() < 10.0) {
                continue;
            }
            for (side, number) in [(1.0, 2 * k + 1), (-1.0, 2 * k + 2)] {
                let exponents: &[Option<&'static str>] = if self.rng.chance(0.06) && s + 4.0 < z { &[None, Some("A")] } else { &[None] };
                for (j, exponent) in exponents.iter().enumerate() {
                    let q = at(s + 4.0 * j as f64, side * (hw + CIVICO_SETBACK));
                    if !place.cell.contains(q, 5.0) {
                        continue;
                    }
                    self.count += 1;
                    let code: i64 = place.comune.istat_code.parse().unwrap_or(0);
                    out.push(
                        T_CIVICI,
                        point(q),
                        vec![
                            place.istat(),
                            Val::int(code * 1_000_000 + self.count),
                            Val::text(prefix.to_string()),
                            Val::text(base.to_string()),
                            Val::text(name.to_string()),
                            Val::int(number),
                            Val::opt_text(*exponent),
                        ],
                    );
                }
            }
        }
    }
}

/// The jittered street grid of a comune (strade rows, and civici along the named streets);
/// returns the named streets for addresses.
fn street_grid(
    place: &Place,
    parks: &[Park],
    occ: &mut Occupancy,
    rng: &mut Rng,
    numbers: &mut HouseNumbers,
    out: &mut Out,
) -> Vec<StreetRef> {
    let spacing = if place.is_hub { rng.range(120.0, 150.0) } else { rng.range(110.0, 170.0) };
    let reach = place.urban_radius * 1.05;
    let k_max = (reach / spacing).ceil() as i64;
    let jitter =
        |rng: &mut Rng| -> Vec<(i64, f64)> { (-k_max..=k_max).map(|k| (k, k as f64 * spacing + rng.range(-0.2, 0.2) * spacing)).collect() };
    let us = jitter(rng);
    let vs = jitter(rng);
    let mut pool: Vec<&str> = facts::STREET_NAMES.to_vec();
    rng.shuffle(&mut pool);
    let mut name_no = 0usize;
    let mut streets = Vec::new();
    // Axis 0: lines u = const (running along v); axis 1: v = const.
    for (axis, (lines, cross)) in [(&us, &vs), (&vs, &us)].into_iter().enumerate() {
        for &(k, c) in lines.iter() {
            if c.abs() >= reach {
                continue;
            }
            let half = (reach * reach - c * c).sqrt() * rng.range(0.7, 1.0);
            let beside = |s: f64, off: f64| if axis == 0 { place.frame.to_world(c + off, s) } else { place.frame.to_world(s, c + off) };
            let at = |s: f64| beside(s, 0.0);
            let Some((t0, t1)) = place.cell.clip_segment(at(-half), at(half), 8.0) else { continue };
            let (s0, s1) = (-half + 2.0 * half * t0, -half + 2.0 * half * t1);
            if s1 - s0 < 30.0 {
                continue;
            }
            let main = k % 4 == 0;
            let base = pool[name_no % pool.len()];
            let prefix = if main {
                facts::MAIN_PREFIXES[name_no % 2]
            } else if name_no >= pool.len() {
                "Vicolo"
            } else {
                "Via"
            };
            name_no += 1;
            let name = format!("{prefix} {base}");
            let hw = if main { 7.0 } else { 5.0 };
            // Blocks between crossing streets; a block through a park is left out.
            let mut stops: Vec<f64> = vec![s0];
            stops.extend(cross.iter().map(|&(_, s)| s).filter(|&s| s > s0 + 10.0 && s < s1 - 10.0));
            stops.push(s1);
            let blocked = |a: f64, b: f64| {
                parks.iter().any(|p| {
                    let (umin, vmin, umax, vmax) = if axis == 0 { (c - hw, a, c + hw, b) } else { (a, c - hw, b, c + hw) };
                    umin < p.bbox.2 && umax > p.bbox.0 && vmin < p.bbox.3 && vmax > p.bbox.1
                })
            };
            let mut b = 0;
            while b + 1 < stops.len() {
                if blocked(stops[b], stops[b + 1]) {
                    b += 1;
                    continue;
                }
                let mut e = b + 1;
                let run = rng.int(1, 4) as usize;
                while e + 1 < stops.len() && e - b < run && !blocked(stops[e], stops[e + 1]) {
                    e += 1;
                }
                let (a, z) = (stops[b], stops[e]);
                if z - a >= 20.0 {
                    let pts: Vec<Coord> = stops[b..=e].iter().map(|&s| at(s)).collect();
                    if axis == 0 {
                        occ.mark(c - hw, a, c + hw, z);
                    } else {
                        occ.mark(a, c - hw, z, c + hw);
                    }
                    let nome = (!rng.chance(0.08)).then(|| name.clone());
                    let ty = if rng.chance(0.05) { "02" } else { "01" };
                    let classe = if main { "urbana principale" } else { "locale" };
                    if let Some(g) = multilinestring(std::slice::from_ref(&pts), 1.0) {
                        out.push(
                            T_STRADE,
                            g.into(),
                            vec![place.istat(), Val::text(ty), Val::text("01"), Val::text(classe), Val::opt_text(nome.clone())],
                        );
                        if let Some(n) = nome {
                            numbers.number_run(place, &beside, &n, prefix, base, hw, s0, &stops[b..=e], out);
                            streets.push(StreetRef { name: n, line: pts });
                        }
                    }
                }
                b = e;
            }
        }
    }
    streets
}

/// DUSAF-like land use on a world-aligned grid clipped to every cell.
fn land_use(places: &[Place], linears: &[Linear], seed: u64, out: &mut Out) -> Result<(), DemoError> {
    let big_rivers: Vec<&[Coord]> = linears
        .iter()
        .filter(|l| matches!(l.kind, LinearKind::Water { nome, .. } if nome.contains("Ticino") || nome.contains("Adda")))
        .map(|l| l.line.as_slice())
        .collect();
    // The rice district south-west of Milano (Abbiatense, Sud Ovest).
    let rice = utm(9.12, 45.43)?;
    for place in places {
        let mut rng = Rng::derive(seed, "uso_suolo", place.index as u64);
        let cell = &place.cell;
        let g = LAND_USE_GRID;
        let (i0, i1) = ((cell.min.x / g).floor() as i64, (cell.max.x / g).ceil() as i64);
        let (j0, j1) = ((cell.min.y / g).floor() as i64, (cell.max.y / g).ceil() as i64);
        let dense = if place.is_hub { 0.7 } else { 0.45 };
        for j in j0..j1 {
            for i in i0..i1 {
                let (x, y) = (i as f64 * g, j as f64 * g);
                let square = [Coord { x, y }, Coord { x: x + g, y }, Coord { x: x + g, y: y + g }, Coord { x, y: y + g }];
                let piece = cell.clip_polygon(&square);
                let Some(ring) = finish_ring(&piece) else { continue };
                let area = ring_area(&ring);
                if area < 1.0 {
                    continue;
                }
                let c = super::geom::ring_centroid(&ring);
                let q = dist(c, place.site) / place.urban_radius + rng.range(-0.12, 0.12);
                let classe = if q < dense {
                    "1111"
                } else if q < 0.8 {
                    "1112"
                } else if q < 1.0 {
                    "1121"
                } else if q < 1.25 {
                    *rng.weighted(&[("12111", 0.45), ("1122", 0.55)])
                } else if big_rivers.iter().any(|l| dist_to_polyline(c, l) < 1_200.0) {
                    *rng.weighted(&[("3112", 0.45), ("3113", 0.35), ("2241", 0.2)])
                } else if c.x < rice.x && c.y < rice.y {
                    *rng.weighted(&[("213", 0.55), ("2111", 0.35), ("2311", 0.1)])
                } else {
                    *rng.weighted(&[("2111", 0.68), ("2112", 0.08), ("2311", 0.12), ("1123", 0.06), ("3112", 0.06)])
                };
                let mp = MultiPolygon::new(vec![polygon(ring)]);
                out.push(
                    T_USO_SUOLO,
                    mp.into(),
                    vec![place.istat(), Val::text(classe), Val::text(dusaf(classe)), Val::Real(round_to(area, 2))],
                );
            }
        }
    }
    Ok(())
}

/// DUSAF description of a class code.
fn dusaf(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "1111" => "Tessuto residenziale denso",
        "1112" => "Tessuto residenziale continuo mediamente denso",
        "1121" => "Tessuto residenziale discontinuo",
        "1122" => "Tessuto residenziale rado e nucleiforme",
        "1123" => "Tessuto residenziale sparso",
        "12111" => "Insediamenti industriali, artigianali, commerciali",
        "2111" => "Seminativi semplici",
        "2112" => "Seminativi arborati",
        "213" => "Risaie",
        "2241" => "Pioppeti",
        "2311" => "Prati permanenti in assenza di specie arboree ed arbustive",
        "3112" => "Boschi di latifoglie a densità media e alta",
        "3113" => "Formazioni ripariali",
        _ => "Altro",
    })
}

/// A point geometry rounded to millimetres.
pub(crate) fn point(p: Coord) -> Geometry<f64> {
    Point::new(mm(p.x), mm(p.y)).into()
}
