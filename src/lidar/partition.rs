//! Roof faces as a partition of the building's footprint.
//!
//! A raster of [`CELL`]-metre cells in the building's own frame (turned to its longest
//! footprint edge, so rectilinear outlines need no staircase) is labelled cell by cell: the
//! planes of the points within reach are the candidates, and between two of them the roof's
//! shape decides — at a ridge or hip (each plane above the other at the other's centre) the
//! lower plane wins, at a valley the higher, at a vertical step the plane of the nearest point.
//! Specks are given to their neighbours, the labels are traced into rings, the boundaries
//! between faces are split at junctions and each is simplified once (so neighbouring faces share
//! exactly the same vertices), and every face is clipped to the footprint: the faces tile it.

use std::collections::{BTreeMap, HashMap};

use geo::{Area, BooleanOps, Coord, Intersects, LineString, MultiPolygon, Polygon, Simplify};

use super::linalg::Plane;
use super::planes::Grid;

/// Raster cell (m).
pub const CELL: f64 = 0.25;

/// The building's frame: origin and rotation (local u along the footprint's longest edge).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    /// World origin (x, y).
    pub origin: (f64, f64),
    cos: f64,
    sin: f64,
}

impl Frame {
    /// The frame of a footprint: its first exterior vertex, turned to its longest edge (mod 90°).
    pub fn of(footprint: &Polygon<f64>) -> Frame {
        let ring = &footprint.exterior().0;
        let origin = ring.first().map(|c| (c.x, c.y)).unwrap_or((0.0, 0.0));
        let mut best = (0.0, 0.0);
        for w in ring.windows(2) {
            let (dx, dy) = (w[1].x - w[0].x, w[1].y - w[0].y);
            let len = dx.hypot(dy);
            if len > best.0 {
                best = (len, dy.atan2(dx).rem_euclid(std::f64::consts::FRAC_PI_2));
            }
        }
        Frame { origin, cos: best.1.cos(), sin: best.1.sin() }
    }

    /// World → local.
    pub fn to_local(&self, x: f64, y: f64) -> (f64, f64) {
        let (dx, dy) = (x - self.origin.0, y - self.origin.1);
        (dx * self.cos + dy * self.sin, -dx * self.sin + dy * self.cos)
    }

    /// Local → world.
    pub fn to_world(&self, u: f64, v: f64) -> (f64, f64) {
        (self.origin.0 + u * self.cos - v * self.sin, self.origin.1 + u * self.sin + v * self.cos)
    }

    /// A local direction (or normal's horizontal part) in world axes.
    pub fn dir_to_world(&self, du: f64, dv: f64) -> (f64, f64) {
        (du * self.cos - dv * self.sin, du * self.sin + dv * self.cos)
    }

    /// A polygon in local coordinates.
    pub fn polygon_to_local(&self, p: &Polygon<f64>) -> Polygon<f64> {
        let ring = |ls: &LineString<f64>| {
            LineString::from(
                ls.0.iter()
                    .map(|c| {
                        let (u, v) = self.to_local(c.x, c.y);
                        Coord { x: u, y: v }
                    })
                    .collect::<Vec<_>>(),
            )
        };
        Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect())
    }
}

/// A label raster in the local frame: `-1` outside, `-2` unknown, else a face index.
#[derive(Clone, Debug)]
pub struct Raster {
    /// Local coordinates of the lower-left corner.
    pub u0: f64,
    /// See `u0`.
    pub v0: f64,
    /// Cell side (m).
    pub cell: f64,
    /// Columns.
    pub w: usize,
    /// Rows.
    pub h: usize,
    /// Labels, row by row from the bottom.
    pub labels: Vec<i32>,
}

/// Outside the footprint.
pub const OUTSIDE: i32 = -1;
/// Inside, not yet labelled.
pub const UNKNOWN: i32 = -2;

impl Raster {
    /// A raster over the local footprint: cells within one and a half cells of it are `UNKNOWN`,
    /// the rest `OUTSIDE`.
    pub fn over(footprint: &Polygon<f64>, cell: f64) -> Raster {
        let (mut u0, mut v0, mut u1, mut v1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for c in &footprint.exterior().0 {
            u0 = u0.min(c.x);
            v0 = v0.min(c.y);
            u1 = u1.max(c.x);
            v1 = v1.max(c.y);
        }
        let (u0, v0) = (u0 - cell, v0 - cell);
        let w = (((u1 - u0) / cell).ceil() as usize + 1).min(2000);
        let h = (((v1 - v0) / cell).ceil() as usize + 1).min(2000);
        let mut labels = vec![OUTSIDE; w * h];
        // One and a half cells: the traced outline stays outside the footprint even after
        // simplification (by less than a cell), so clipping to the footprint leaves no sliver.
        let reach = 1.5 * cell;
        let rings: Vec<&LineString<f64>> = std::iter::once(footprint.exterior()).chain(footprint.interiors()).collect();
        for j in 0..h {
            for i in 0..w {
                let (u, v) = (u0 + (i as f64 + 0.5) * cell, v0 + (j as f64 + 0.5) * cell);
                let inside = rings.iter().filter(|r| crossings(r, u, v)).count() % 2 == 1;
                if inside || rings.iter().any(|r| ring_distance(r, u, v) <= reach) {
                    labels[j * w + i] = UNKNOWN;
                }
            }
        }
        Raster { u0, v0, cell, w, h, labels }
    }

    /// The centre of cell (i, j).
    pub fn centre(&self, i: usize, j: usize) -> (f64, f64) {
        (self.u0 + (i as f64 + 0.5) * self.cell, self.v0 + (j as f64 + 0.5) * self.cell)
    }

    fn at(&self, i: isize, j: isize) -> i32 {
        if i < 0 || j < 0 || i >= self.w as isize || j >= self.h as isize {
            OUTSIDE
        } else {
            self.labels[j as usize * self.w + i as usize]
        }
    }
}

/// Whether the ray from (u, v) towards +u crosses the ring an odd number of times at this edge
/// set (even-odd rule).
fn crossings(ring: &LineString<f64>, u: f64, v: f64) -> bool {
    let mut inside = false;
    for w in ring.0.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a.y > v) != (b.y > v) {
            let x = a.x + (v - a.y) * (b.x - a.x) / (b.y - a.y);
            if x > u {
                inside = !inside;
            }
        }
    }
    inside
}

/// Distance from (u, v) to the ring's edges.
fn ring_distance(ring: &LineString<f64>, u: f64, v: f64) -> f64 {
    ring.0.windows(2).map(|w| segment_distance(Coord { x: u, y: v }, w[0], w[1])).fold(f64::MAX, f64::min)
}

/// How two neighbouring planes meet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Meet {
    /// Ridge or hip: the lower plane is the roof.
    Convex,
    /// Valley: the higher plane is the roof.
    Concave,
    /// A vertical step (or unclear): the nearest point's plane.
    Step,
}

/// The planes of a building's faces and how each pair meets: what lets the tracer put a
/// boundary between two faces on their planes' intersection line.
#[derive(Clone, Debug)]
pub struct Meets {
    planes: Vec<Plane>,
    meets: Vec<Vec<Meet>>,
    /// Junctions closer than this (m) are one meeting point.
    cluster: f64,
}

impl Meets {
    /// How the planes meet, from contacts `(a, b, u, v)`: a position of face `a` next to face
    /// `b`. Two faces meet at a ridge or hip when at each one's contacts the other plane is
    /// above on average (the lower plane is the roof), at a valley when it is below, and at a
    /// step otherwise (or when they never touch).
    pub fn new(planes: &[Plane], contacts: impl Iterator<Item = (usize, usize, f64, f64)>) -> Meets {
        let n = planes.len();
        // (sum of the other plane's height above, contacts) at a's contacts with b
        let mut count = vec![(0.0f64, 0usize); n * n];
        for (a, b, u, v) in contacts {
            if a >= n || b >= n || a == b {
                continue;
            }
            let c = &mut count[a * n + b];
            c.0 += planes[b].z_at(u, v) - planes[a].z_at(u, v);
            c.1 += 1;
        }
        // +1 when the other plane is above on average (by 2 cm at least), −1 below.
        let side = |a: usize, b: usize| -> i8 {
            let (sum, k) = count[a * n + b];
            let mean = if k == 0 { 0.0 } else { sum / k as f64 };
            if mean > 0.02 {
                1
            } else if mean < -0.02 {
                -1
            } else {
                0
            }
        };
        let meets = (0..n)
            .map(|a| {
                (0..n)
                    .map(|b| match (side(a, b), side(b, a)) {
                        (1, 1) => Meet::Convex,
                        (-1, -1) => Meet::Concave,
                        _ => Meet::Step,
                    })
                    .collect()
            })
            .collect();
        Meets { planes: planes.to_vec(), meets, cluster: 0.5 }
    }

    /// How the planes of a labelled raster meet (contacts between 4-neighbouring cells).
    pub fn of_raster(r: &Raster, planes: &[Plane]) -> Meets {
        let mut contacts = Vec::new();
        for j in 0..r.h {
            for i in 0..r.w {
                let a = r.labels[j * r.w + i];
                if a < 0 {
                    continue;
                }
                let (u, v) = r.centre(i, j);
                for (di, dj) in [(-1, 0), (1, 0), (0, -1), (0, 1)] {
                    let b = r.at(i as isize + di, j as isize + dj);
                    if b >= 0 && b != a {
                        contacts.push((a as usize, b as usize, u, v));
                    }
                }
            }
        }
        Meets::new(planes, contacts.into_iter())
    }

    /// Whether faces `a` and `b` meet along their planes' intersection (ridge, hip, valley).
    fn along_line(&self, a: i32, b: i32) -> bool {
        a >= 0 && b >= 0 && a != b && self.meets[a as usize][b as usize] != Meet::Step
    }

    /// A junction of the given labels moved onto its planes: the common point of three or
    /// more planes, or the nearest point of the intersection line of two; unchanged when the
    /// planes do not say (steps, parallel planes) or would move it by more than a metre.
    fn snap(&self, labels: &[i32], at: Coord<f64>) -> Coord<f64> {
        let mut faces: Vec<usize> = labels.iter().filter(|&&l| l >= 0).map(|&l| l as usize).collect();
        faces.sort_unstable();
        faces.dedup();
        let mut rows: Vec<(f64, f64, f64)> = Vec::new();
        for (k, &a) in faces.iter().enumerate() {
            for &b in &faces[k + 1..] {
                if self.meets[a][b] == Meet::Step {
                    return at;
                }
                // z_a = z_b ⇔ (gu_a − gu_b) u + (gv_a − gv_b) v = z0_b − z0_a
                let (pa, pb) = (&self.planes[a], &self.planes[b]);
                let (za, zb) = (pa.z_at(0.0, 0.0), pb.z_at(0.0, 0.0));
                let ga = (pa.z_at(1.0, 0.0) - za, pa.z_at(0.0, 1.0) - za);
                let gb = (pb.z_at(1.0, 0.0) - zb, pb.z_at(0.0, 1.0) - zb);
                rows.push((ga.0 - gb.0, ga.1 - gb.1, zb - za));
            }
        }
        let moved = match rows.len() {
            0 => return at,
            1 => {
                let (a, b, c) = rows[0];
                let n2 = a * a + b * b;
                if n2 < 1e-6 {
                    return at;
                }
                let e = (a * at.x + b * at.y - c) / n2;
                Coord { x: at.x - e * a, y: at.y - e * b }
            }
            _ => {
                let (mut saa, mut sab, mut sbb, mut sac, mut sbc) = (0.0, 0.0, 0.0, 0.0, 0.0);
                for (a, b, c) in rows {
                    saa += a * a;
                    sab += a * b;
                    sbb += b * b;
                    sac += a * c;
                    sbc += b * c;
                }
                let det = saa * sbb - sab * sab;
                if det.abs() < 1e-6 {
                    return at;
                }
                Coord { x: (sac * sbb - sbc * sab) / det, y: (saa * sbc - sab * sac) / det }
            }
        };
        if (moved.x - at.x).hypot(moved.y - at.y) <= 1.0 {
            moved
        } else {
            at
        }
    }
}

/// Labels the raster from the labelled points (local coordinates) and the planes; `spacing` is
/// the mean point spacing (m) and `min_face_m2` the smallest face kept. Returns how the planes
/// meet, for [`outlines`].
pub fn label(raster: &mut Raster, pts: &[[f64; 3]], labels: &[Option<usize>], planes: &[Plane], spacing: f64, min_face_m2: f64) -> Meets {
    let kept: Vec<[f64; 3]> = pts.iter().zip(labels).filter(|(_, l)| l.is_some()).map(|(p, _)| *p).collect();
    let kept_label: Vec<usize> = labels.iter().flatten().copied().collect();
    if kept.is_empty() || planes.is_empty() {
        return Meets { planes: planes.to_vec(), meets: vec![vec![Meet::Step; planes.len()]; planes.len()], cluster: 0.5 };
    }
    let grid = Grid::new(&kept, (2.0 * spacing).max(0.5));
    let mut contacts = Vec::new();
    let touch = (1.5 * spacing).max(0.4);
    let mut others = Vec::new();
    for (p, &a) in kept.iter().zip(&kept_label) {
        others.clear();
        grid.within(&kept, p[0], p[1], touch, |q, _| {
            if kept_label[q] != a {
                others.push(kept_label[q]);
            }
        });
        others.sort_unstable();
        others.dedup();
        contacts.extend(others.iter().map(|&b| (a, b, p[0], p[1])));
    }
    let mut meets = Meets::new(planes, contacts.into_iter());
    meets.cluster = (1.5 * spacing).max(2.0 * raster.cell);
    let reach = (1.5 * spacing).clamp(0.5, 1.5);
    // Per cell: each candidate plane with its nearest point's squared distance, by plane.
    let mut nearest: Vec<(usize, f64)> = Vec::new();
    for j in 0..raster.h {
        for i in 0..raster.w {
            let k = j * raster.w + i;
            if raster.labels[k] == OUTSIDE {
                continue;
            }
            let (u, v) = raster.centre(i, j);
            nearest.clear();
            grid.within(&kept, u, v, reach, |p, d2| match nearest.iter_mut().find(|(l, _)| *l == kept_label[p]) {
                Some(e) => e.1 = e.1.min(d2),
                None => nearest.push((kept_label[p], d2)),
            });
            nearest.sort_unstable_by_key(|e| e.0);
            let mut winner: Option<(usize, f64)> = None;
            for &(c, d2c) in &nearest {
                winner = Some(match winner {
                    None => (c, d2c),
                    Some((w, d2w)) => match meets.meets[w][c] {
                        Meet::Convex if planes[c].z_at(u, v) < planes[w].z_at(u, v) => (c, d2c),
                        Meet::Concave if planes[c].z_at(u, v) > planes[w].z_at(u, v) => (c, d2c),
                        Meet::Step if d2c < d2w => (c, d2c),
                        _ => (w, d2w),
                    },
                });
            }
            let winner = winner.map(|(w, _)| w);
            if let Some(w) = winner {
                raster.labels[k] = w as i32;
            }
        }
    }
    fill_unknown(raster);
    let min_cells = (min_face_m2 / (raster.cell * raster.cell)).ceil() as usize;
    for _ in 0..3 {
        let absorbed = absorb_specks(raster, min_cells, (1.0 / (raster.cell * raster.cell)) as usize);
        let moved = enforce_envelope(raster, &meets);
        if !absorbed && !moved {
            break;
        }
    }
    meets
}

/// Moves boundary cells to the side their planes put them on: a cell of face `a` next to a
/// face `b` it meets at a ridge goes to `b` where `b` is lower, at a valley where `b` is
/// higher, within two cells of their intersection line; repeated until stable (at most four
/// passes). Returns whether anything moved.
fn enforce_envelope(r: &mut Raster, meets: &Meets) -> bool {
    let mut any = false;
    for _ in 0..4 {
        let mut changes = Vec::new();
        for j in 0..r.h {
            for i in 0..r.w {
                let a = r.labels[j * r.w + i];
                if a < 0 {
                    continue;
                }
                let (u, v) = r.centre(i, j);
                let za = meets.planes[a as usize].z_at(u, v);
                let beaten = [(-1, 0), (1, 0), (0, -1), (0, 1)].into_iter().find_map(|(di, dj)| {
                    let b = r.at(i as isize + di, j as isize + dj);
                    if b < 0 || b == a {
                        return None;
                    }
                    let zb = meets.planes[b as usize].z_at(u, v);
                    let wins = match meets.meets[a as usize][b as usize] {
                        Meet::Convex => zb < za,
                        Meet::Concave => zb > za,
                        Meet::Step => false,
                    };
                    // Only near the two planes' intersection line: farther away a third face
                    // decides, and a pairwise rule would spread across the roof.
                    (wins && line_distance(&meets.planes[a as usize], &meets.planes[b as usize], u, v) <= 2.0 * r.cell).then_some(b)
                });
                if let Some(b) = beaten {
                    changes.push((j * r.w + i, b));
                }
            }
        }
        if changes.is_empty() {
            break;
        }
        any = true;
        for (k, l) in changes {
            r.labels[k] = l;
        }
    }
    any
}

/// Gives unknown cells the most frequent label around them, until none is left (or nothing
/// around is known).
pub fn fill_unknown(r: &mut Raster) {
    loop {
        let mut changes = Vec::new();
        for j in 0..r.h {
            for i in 0..r.w {
                if r.labels[j * r.w + i] != UNKNOWN {
                    continue;
                }
                let mut count: BTreeMap<i32, usize> = BTreeMap::new();
                for (di, dj) in [(-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (1, 1), (-1, 1), (1, -1)] {
                    let l = r.at(i as isize + di, j as isize + dj);
                    if l >= 0 {
                        *count.entry(l).or_default() += 1;
                    }
                }
                if let Some((&l, _)) = count.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))) {
                    changes.push((j * r.w + i, l));
                }
            }
        }
        if changes.is_empty() {
            return;
        }
        for (k, l) in changes {
            r.labels[k] = l;
        }
    }
}

/// Relabels small connected pieces: every piece of a face smaller than `min_cells` in total,
/// and every piece but the largest smaller than `min_piece`, goes to its most frequent
/// neighbouring face. Returns whether anything changed.
fn absorb_specks(r: &mut Raster, min_cells: usize, min_piece: usize) -> bool {
    let mut piece = vec![usize::MAX; r.labels.len()];
    let mut pieces: Vec<(i32, Vec<usize>)> = Vec::new();
    for start in 0..r.labels.len() {
        let l = r.labels[start];
        if l < 0 || piece[start] != usize::MAX {
            continue;
        }
        let id = pieces.len();
        let mut cells = vec![start];
        piece[start] = id;
        let mut head = 0;
        while head < cells.len() {
            let k = cells[head];
            head += 1;
            let (i, j) = ((k % r.w) as isize, (k / r.w) as isize);
            for (di, dj) in [(-1, 0), (1, 0), (0, -1), (0, 1)] {
                let (ni, nj) = (i + di, j + dj);
                if r.at(ni, nj) == l {
                    let nk = nj as usize * r.w + ni as usize;
                    if piece[nk] == usize::MAX {
                        piece[nk] = id;
                        cells.push(nk);
                    }
                }
            }
        }
        pieces.push((l, cells));
    }
    let mut total: BTreeMap<i32, usize> = BTreeMap::new();
    let mut largest: BTreeMap<i32, usize> = BTreeMap::new();
    for (id, (l, cells)) in pieces.iter().enumerate() {
        *total.entry(*l).or_default() += cells.len();
        let e = largest.entry(*l).or_insert(id);
        if pieces[*e].1.len() < cells.len() {
            *e = id;
        }
    }
    let mut changed = false;
    // Smallest pieces first, so a speck never feeds another speck.
    let mut order: Vec<usize> = (0..pieces.len()).collect();
    order.sort_by_key(|&id| (pieces[id].1.len(), id));
    for id in order {
        let (l, cells) = &pieces[id];
        let small = total[l] < min_cells || (largest[l] != id && cells.len() < min_piece);
        if !small {
            continue;
        }
        let mut count: BTreeMap<i32, usize> = BTreeMap::new();
        for &k in cells {
            let (i, j) = ((k % r.w) as isize, (k / r.w) as isize);
            for (di, dj) in [(-1, 0), (1, 0), (0, -1), (0, 1)] {
                let n = r.at(i + di, j + dj);
                if n >= 0 && n != *l {
                    *count.entry(n).or_default() += 1;
                }
            }
        }
        if let Some((&n, _)) = count.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))) {
            for &k in cells {
                r.labels[k] = n;
            }
            changed = true;
        }
    }
    changed
}

/// Traces the labelled raster into one multipolygon per label (local coordinates), the
/// boundaries between labels simplified once with tolerance `tol` so that neighbours share them
/// exactly. With `meets`, a boundary between two faces meeting at a ridge, hip or valley is the
/// straight segment between its junctions, and junctions sit on the planes' intersections.
pub fn polygons(r: &Raster, tol: f64, meets: Option<&Meets>) -> BTreeMap<i32, MultiPolygon<f64>> {
    let vw = r.w + 1;
    let vid = |i: usize, j: usize| j * vw + i;
    let junction = |v: usize| -> bool {
        let (i, j) = ((v % vw) as isize, (v / vw) as isize);
        let q = [r.at(i - 1, j - 1), r.at(i, j - 1), r.at(i, j), r.at(i - 1, j)];
        let mut d = q.to_vec();
        d.sort_unstable();
        d.dedup();
        d.len() >= 3 || (d.len() == 2 && q[0] == q[2] && q[1] == q[3])
    };
    // Directed boundary edges of each label, region on the left.
    let mut out: BTreeMap<i32, HashMap<usize, Vec<usize>>> = BTreeMap::new();
    for j in 0..r.h {
        for i in 0..r.w {
            let l = r.labels[j * r.w + i];
            if l < 0 {
                continue;
            }
            let e = out.entry(l).or_default();
            let (ii, jj) = (i as isize, j as isize);
            if r.at(ii, jj - 1) != l {
                e.entry(vid(i, j)).or_default().push(vid(i + 1, j));
            }
            if r.at(ii + 1, jj) != l {
                e.entry(vid(i + 1, j)).or_default().push(vid(i + 1, j + 1));
            }
            if r.at(ii, jj + 1) != l {
                e.entry(vid(i + 1, j + 1)).or_default().push(vid(i, j + 1));
            }
            if r.at(ii - 1, jj) != l {
                e.entry(vid(i, j + 1)).or_default().push(vid(i, j));
            }
        }
    }
    let grid_xy = |v: usize| Coord { x: r.u0 + (v % vw) as f64 * r.cell, y: r.v0 + (v / vw) as f64 * r.cell };
    let around = |v: usize| {
        let (i, j) = ((v % vw) as isize, (v / vw) as isize);
        [r.at(i - 1, j - 1), r.at(i, j - 1), r.at(i, j), r.at(i - 1, j)]
    };
    // Junctions within `cluster` metres of each other are one meeting point of all their faces (four
    // faces where two ridges cross trace as two nearby three-face junctions): each cluster is
    // snapped once, to the common point of all its planes.
    let snapped: HashMap<usize, Coord<f64>> = match meets {
        None => HashMap::new(),
        Some(m) => {
            let vh = r.h + 1;
            // Only junctions of two faces or more move (not a pinch of one face and the outside).
            let faces_at = |v: usize| {
                let mut f: Vec<i32> = around(v).into_iter().filter(|&l| l >= 0).collect();
                f.sort_unstable();
                f.dedup();
                f.len()
            };
            let junctions: Vec<usize> = (0..vw * vh).filter(|&v| junction(v) && faces_at(v) >= 2).collect();
            let mut parent: Vec<usize> = (0..junctions.len()).collect();
            fn root(p: &mut [usize], mut k: usize) -> usize {
                while p[k] != k {
                    p[k] = p[p[k]];
                    k = p[k];
                }
                k
            }
            let index: HashMap<usize, usize> = junctions.iter().enumerate().map(|(k, &v)| (v, k)).collect();
            for (k, &v) in junctions.iter().enumerate() {
                let (i, j) = ((v % vw) as isize, (v / vw) as isize);
                let reach = (m.cluster / r.cell).round().max(1.0) as isize;
                for dj in -reach..=reach {
                    for di in -reach..=reach {
                        let (ni, nj) = (i + di, j + dj);
                        if ni < 0 || nj < 0 || ni >= vw as isize || nj >= vh as isize {
                            continue;
                        }
                        if let Some(&o) = index.get(&(nj as usize * vw + ni as usize)) {
                            let (a, b) = (root(&mut parent, k), root(&mut parent, o));
                            if a != b {
                                parent[a.max(b)] = a.min(b);
                            }
                        }
                    }
                }
            }
            let mut clusters: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
            for (k, &v) in junctions.iter().enumerate() {
                let c = root(&mut parent, k);
                clusters.entry(c).or_default().push(v);
            }
            let mut out = HashMap::new();
            for members in clusters.values() {
                let mut labels: Vec<i32> = members.iter().flat_map(|&v| around(v)).collect();
                labels.sort_unstable();
                labels.dedup();
                let n = members.len() as f64;
                let centre =
                    members.iter().map(|&v| grid_xy(v)).fold(Coord { x: 0.0, y: 0.0 }, |a, c| Coord { x: a.x + c.x / n, y: a.y + c.y / n });
                let point = if members.len() == 1 { m.snap(&labels, grid_xy(members[0])) } else { m.snap(&labels, centre) };
                for &v in members {
                    out.insert(v, point);
                }
            }
            out
        }
    };
    let xy = |v: usize, end: bool| -> Coord<f64> {
        match snapped.get(&v) {
            Some(&c) if end => c,
            _ => grid_xy(v),
        }
    };
    // The label on the right of the edge a → b.
    let right_of = |a: usize, b: usize| {
        let (ai, aj) = ((a % vw) as f64, (a / vw) as f64);
        let (dx, dy) = ((b % vw) as f64 - ai, (b / vw) as f64 - aj);
        let (cx, cy) = (ai + 0.5 * dx + 0.5 * dy, aj + 0.5 * dy - 0.5 * dx);
        r.at(cx.floor() as isize, cy.floor() as isize)
    };
    // A boundary between two faces meeting at a ridge, hip or valley is straight when the
    // traced cells follow the segment between its snapped ends (a dormer's front is a step).
    let straight = |l: i32, chain: &[usize]| {
        let last = chain.len() - 1;
        if chain.len() < 2 || chain[0] == chain[last] || !meets.is_some_and(|m| m.along_line(l, right_of(chain[0], chain[1]))) {
            return false;
        }
        let (a, b) = (xy(chain[0], true), xy(chain[last], true));
        chain.iter().all(|&v| segment_distance(grid_xy(v), a, b) <= 1.5 * r.cell)
    };
    let mut cache: HashMap<Vec<usize>, Vec<Coord<f64>>> = HashMap::new();
    let mut result = BTreeMap::new();
    for (l, mut edges) in out {
        let mut rings: Vec<Vec<usize>> = Vec::new();
        let mut starts: Vec<usize> = edges.keys().copied().collect();
        starts.sort_unstable();
        for s in starts {
            while edges.get(&s).is_some_and(|v| !v.is_empty()) {
                let mut ring = vec![s];
                let mut prev = s;
                let mut cur = take(&mut edges, s, None, vw);
                while let Some(c) = cur {
                    if c == s {
                        break;
                    }
                    ring.push(c);
                    let next = take(&mut edges, c, Some(prev), vw);
                    prev = c;
                    cur = next;
                }
                rings.push(ring);
            }
        }
        let mut exteriors: Vec<Polygon<f64>> = Vec::new();
        let mut holes: Vec<LineString<f64>> = Vec::new();
        for ring in rings {
            let coords = simplify_ring(&ring, &junction, &xy, &|c: &[usize]| straight(l, c), tol, &mut cache);
            if coords.len() < 4 {
                continue;
            }
            let ls = LineString::from(coords);
            let poly = Polygon::new(ls.clone(), vec![]);
            let a = poly.signed_area();
            if a.abs() < 1e-9 {
                continue;
            }
            if a > 0.0 {
                exteriors.push(poly);
            } else {
                holes.push(ls);
            }
        }
        let mut parts: Vec<(Polygon<f64>, Vec<LineString<f64>>)> = exteriors.into_iter().map(|p| (p, vec![])).collect();
        for h in holes {
            let probe = geo::Point(h.0[0]);
            let host = parts
                .iter()
                .enumerate()
                .filter(|(_, (p, _))| p.intersects(&probe))
                .min_by(|a, b| a.1 .0.unsigned_area().total_cmp(&b.1 .0.unsigned_area()))
                .map(|(k, _)| k);
            if let Some(k) = host {
                parts[k].1.push(h);
            }
        }
        let polys: Vec<Polygon<f64>> = parts.into_iter().map(|(p, hs)| Polygon::new(p.exterior().clone(), hs)).collect();
        result.insert(l, MultiPolygon(polys));
    }
    result
}

/// Horizontal distance from (u, v) to the line where the two planes have the same height.
fn line_distance(a: &Plane, b: &Plane, u: f64, v: f64) -> f64 {
    let grad = |p: &Plane| (-p.n[0] / p.n[2], -p.n[1] / p.n[2]);
    let (ga, gb) = (grad(a), grad(b));
    let g = (ga.0 - gb.0).hypot(ga.1 - gb.1);
    if g < 1e-9 {
        return f64::MAX;
    }
    (a.z_at(u, v) - b.z_at(u, v)).abs() / g
}

/// Distance from `p` to the segment a–b.
fn segment_distance(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 { (((p.x - a.x) * dx + (p.y - a.y) * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
    (p.x - a.x - t * dx).hypot(p.y - a.y - t * dy)
}

/// Takes an outgoing edge from `v`: at a pinch (two ways out) the left turn, so each ring stays
/// simple.
fn take(edges: &mut HashMap<usize, Vec<usize>>, v: usize, prev: Option<usize>, vw: usize) -> Option<usize> {
    let outs = edges.get_mut(&v)?;
    if outs.is_empty() {
        return None;
    }
    let k = match (prev, outs.len()) {
        (Some(p), n) if n > 1 => {
            let d = |a: usize, b: usize| ((b % vw) as isize - (a % vw) as isize, (b / vw) as isize - (a / vw) as isize);
            let (ix, iy) = d(p, v);
            // The left turn of (ix, iy) is (-iy, ix).
            outs.iter().position(|&o| d(v, o) == (-iy, ix)).unwrap_or(0)
        }
        _ => 0,
    };
    Some(outs.swap_remove(k))
}

/// A closed ring of vertex ids → simplified coordinates (closed), each junction-to-junction
/// chain simplified in a canonical direction so both faces along it get the same vertices.
fn simplify_ring(
    ring: &[usize],
    junction: &impl Fn(usize) -> bool,
    xy: &impl Fn(usize, bool) -> Coord<f64>,
    straight: &impl Fn(&[usize]) -> bool,
    tol: f64,
    cache: &mut HashMap<Vec<usize>, Vec<Coord<f64>>>,
) -> Vec<Coord<f64>> {
    let n = ring.len();
    let cuts: Vec<usize> = (0..n).filter(|&k| junction(ring[k])).collect();
    let mut chains: Vec<Vec<usize>> = Vec::new();
    if cuts.is_empty() {
        // No junction: one closed chain starting at its smallest vertex.
        let s = (0..n).min_by_key(|&k| ring[k]).unwrap_or(0);
        let mut c: Vec<usize> = (0..=n).map(|k| ring[(s + k) % n]).collect();
        if c.len() > 2 && c[1] > c[c.len() - 2] {
            c.reverse();
        }
        chains.push(c);
    } else {
        for w in 0..cuts.len() {
            let (a, b) = (cuts[w], cuts[(w + 1) % cuts.len()]);
            let len = if b > a { b - a } else { b + n - a };
            chains.push((0..=len).map(|k| ring[(a + k) % n]).collect());
        }
    }
    let mut coords: Vec<Coord<f64>> = Vec::new();
    for chain in chains {
        let simplified = simplified_chain(&chain, xy, straight(&chain), tol, cache);
        for c in simplified {
            if coords.last() != Some(&c) {
                coords.push(c);
            }
        }
    }
    if coords.first() != coords.last() {
        if let Some(&f) = coords.first() {
            coords.push(f);
        }
    }
    coords
}

/// One chain simplified (cached by its canonical form, returned in the chain's direction).
fn simplified_chain(
    chain: &[usize],
    xy: &impl Fn(usize, bool) -> Coord<f64>,
    straight: bool,
    tol: f64,
    cache: &mut HashMap<Vec<usize>, Vec<Coord<f64>>>,
) -> Vec<Coord<f64>> {
    let mut key = chain.to_vec();
    let reversed = {
        let (f, l) = (key[0], key[key.len() - 1]);
        f > l || (f == l && key.len() > 2 && key[1] > key[key.len() - 2])
    };
    if reversed {
        key.reverse();
    }
    let coords = cache
        .entry(key.clone())
        .or_insert_with(|| {
            let last = key.len() - 1;
            if straight {
                return vec![xy(key[0], true), xy(key[last], true)];
            }
            let pts: Vec<Coord<f64>> = key.iter().enumerate().map(|(k, &v)| xy(v, k == 0 || k == last)).collect();
            if key[0] == key[last] && pts.len() > 3 {
                // A loop: split at the vertex farthest from its start, simplify both halves.
                let far = (1..pts.len() - 1)
                    .max_by(|&a, &b| {
                        let da = (pts[a].x - pts[0].x).hypot(pts[a].y - pts[0].y);
                        let db = (pts[b].x - pts[0].x).hypot(pts[b].y - pts[0].y);
                        da.total_cmp(&db).then(b.cmp(&a))
                    })
                    .unwrap_or(1);
                let mut first = LineString::from(pts[..=far].to_vec()).simplify(tol).0;
                let second = LineString::from(pts[far..].to_vec()).simplify(tol).0;
                first.extend_from_slice(&second[1..]);
                first
            } else {
                LineString::from(pts).simplify(tol).0
            }
        })
        .clone();
    if reversed {
        coords.into_iter().rev().collect()
    } else {
        coords
    }
}

/// The faces' outlines in world coordinates, clipped to the footprint (which tiles it exactly
/// when the labels cover it).
pub fn outlines(r: &Raster, frame: &Frame, footprint: &Polygon<f64>, tol: f64, meets: Option<&Meets>) -> BTreeMap<i32, MultiPolygon<f64>> {
    let fp = MultiPolygon(vec![footprint.clone()]);
    polygons(r, tol, meets)
        .into_iter()
        .map(|(l, mp)| {
            let world = MultiPolygon(
                mp.0.iter()
                    .map(|p| {
                        let ring = |ls: &LineString<f64>| {
                            LineString::from(
                                ls.0.iter()
                                    .map(|c| {
                                        let (x, y) = frame.to_world(c.x, c.y);
                                        Coord { x, y }
                                    })
                                    .collect::<Vec<_>>(),
                            )
                        };
                        Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect())
                    })
                    .collect(),
            );
            (l, world.intersection(&fp))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon<f64> {
        Polygon::new(LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]), vec![])
    }

    #[test]
    fn traced_faces_tile_the_footprint_and_share_their_boundary() {
        let fp = rect(0.0, 0.0, 10.3, 6.1);
        let mut r = Raster::over(&fp, CELL);
        // Two faces split along a diagonal staircase, an island of a third inside the first.
        for j in 0..r.h {
            for i in 0..r.w {
                let k = j * r.w + i;
                if r.labels[k] == OUTSIDE {
                    continue;
                }
                let (u, v) = r.centre(i, j);
                r.labels[k] = if (u - 2.0).abs() < 0.8 && (v - 4.0).abs() < 0.8 {
                    2
                } else if v < 0.4 * u + 1.0 {
                    0
                } else {
                    1
                };
            }
        }
        let frame = Frame::of(&fp);
        let faces = outlines(&r, &frame, &fp, 1.2 * CELL, None);
        assert_eq!(faces.len(), 3);
        let total: f64 = faces.values().map(|m| m.unsigned_area()).sum();
        assert!((total - fp.unsigned_area()).abs() < 1e-6, "{total} vs {}", fp.unsigned_area());
        // The diagonal boundary is simplified to (nearly) a straight line: few vertices.
        assert!(faces[&0].0[0].exterior().0.len() <= 8, "{:?}", faces[&0]);
        // Overlaps are nil.
        let overlap = faces[&0].intersection(&faces[&1]).unsigned_area();
        assert!(overlap < 1e-6, "{overlap}");
        let expected_first = {
            // area under v = 0.4u + 1 within the rectangle, minus nothing (island is above)
            let full: f64 = (0..1030).map(|k| ((k as f64 + 0.5) / 100.0 * 0.4 + 1.0).min(6.1) / 100.0).sum();
            full
        };
        assert!((faces[&0].unsigned_area() - expected_first).abs() < 0.5, "{} vs {expected_first}", faces[&0].unsigned_area());
    }
}
