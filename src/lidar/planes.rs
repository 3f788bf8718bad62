//! Roof planes in a building's points: normals by PCA on the nearest neighbours, region
//! growing from the flattest seeds, merging of coplanar neighbouring regions, robust refits
//! and a final reassignment of every point to the best-fitting neighbouring plane.
//!
//! Coordinates are local to the building (metres, any horizontal origin): the caller moves
//! the points there so the sums stay well conditioned. The thresholds are in [`Params`]; their
//! defaults suit surveys of 4–60 pts/m² with a vertical noise up to 5 cm.

use super::linalg::{Moments, Plane};

/// Detection thresholds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params {
    /// Neighbourhood radius (m) aimed at for normals; the count is clamped to 10–24 points.
    pub normal_radius: f64,
    /// A point joins a growing region within this distance of its plane (m, at most: 3.5 times
    /// the survey's noise when that is less)…
    pub grow_distance: f64,
    /// …and with a normal within this angle of the region's (degrees; rough points skip it).
    pub grow_angle: f64,
    /// Regions closer than this angle (degrees) are merged when their union stays planar.
    pub merge_angle: f64,
    /// A point is finally given to the best neighbouring plane within this distance (m, at most:
    /// 4 times the survey's noise when that is less).
    pub assign_distance: f64,
    /// Smallest face kept (m² of footprint).
    pub min_face_m2: f64,
    /// Steeper regions are walls, not roof faces (degrees).
    pub max_slope: f64,
    /// Regions fitting their plane worse than this RMS (m) are scattered points, not a face.
    pub max_rms: f64,
    /// A point seeds or steers growth when its neighbourhood fits a plane within this RMS (m).
    pub seed_rms: f64,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            normal_radius: 0.8,
            grow_distance: 0.15,
            grow_angle: 12.0,
            merge_angle: 5.0,
            assign_distance: 0.2,
            min_face_m2: 2.0,
            max_slope: 75.0,
            max_rms: 0.075,
            seed_rms: 0.06,
        }
    }
}

/// A detected plane and the points that fit it.
#[derive(Clone, Debug)]
pub struct Region {
    /// The refitted plane.
    pub plane: Plane,
    /// Indices of the points assigned to it, ascending.
    pub members: Vec<usize>,
    /// RMS distance of the members to the plane (m).
    pub rms: f64,
}

/// What [`detect`] found.
#[derive(Clone, Debug, Default)]
pub struct Detection {
    /// The planes, largest first.
    pub regions: Vec<Region>,
    /// For each point, the index of its region.
    pub labels: Vec<Option<usize>>,
}

/// A uniform grid over the points' (x, y) for neighbour queries.
pub struct Grid {
    cell: f64,
    x0: f64,
    y0: f64,
    nx: usize,
    ny: usize,
    start: Vec<u32>,
    items: Vec<u32>,
}

impl Grid {
    /// Indexes `pts` with square cells of side `cell`.
    pub fn new(pts: &[[f64; 3]], cell: f64) -> Grid {
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for p in pts {
            x0 = x0.min(p[0]);
            y0 = y0.min(p[1]);
            x1 = x1.max(p[0]);
            y1 = y1.max(p[1]);
        }
        if pts.is_empty() {
            (x0, y0, x1, y1) = (0.0, 0.0, 0.0, 0.0);
        }
        let nx = (((x1 - x0) / cell) as usize + 1).min(4096);
        let ny = (((y1 - y0) / cell) as usize + 1).min(4096);
        let cell_of = |p: &[f64; 3]| {
            let i = (((p[0] - x0) / cell) as usize).min(nx - 1);
            let j = (((p[1] - y0) / cell) as usize).min(ny - 1);
            j * nx + i
        };
        let mut count = vec![0u32; nx * ny + 1];
        for p in pts {
            count[cell_of(p) + 1] += 1;
        }
        for k in 1..count.len() {
            count[k] += count[k - 1];
        }
        let mut fill = count.clone();
        let mut items = vec![0u32; pts.len()];
        for (i, p) in pts.iter().enumerate() {
            let c = cell_of(p);
            items[fill[c] as usize] = i as u32;
            fill[c] += 1;
        }
        Grid { cell, x0, y0, nx, ny, start: count, items }
    }

    fn cell_range(&self, v: f64, v0: f64, n: usize) -> isize {
        (((v - v0) / self.cell).floor() as isize).clamp(-1, n as isize)
    }

    /// Calls `f` with every point index within `r` of (x, y) in the plane (unordered).
    pub fn within(&self, pts: &[[f64; 3]], x: f64, y: f64, r: f64, mut f: impl FnMut(usize, f64)) {
        let (i0, i1) = (self.cell_range(x - r, self.x0, self.nx).max(0), self.cell_range(x + r, self.x0, self.nx));
        let (j0, j1) = (self.cell_range(y - r, self.y0, self.ny).max(0), self.cell_range(y + r, self.y0, self.ny));
        for j in j0..=j1.min(self.ny as isize - 1) {
            for i in i0..=i1.min(self.nx as isize - 1) {
                let c = j as usize * self.nx + i as usize;
                for &k in &self.items[self.start[c] as usize..self.start[c + 1] as usize] {
                    let p = pts[k as usize];
                    let d2 = (p[0] - x) * (p[0] - x) + (p[1] - y) * (p[1] - y);
                    if d2 <= r * r {
                        f(k as usize, d2);
                    }
                }
            }
        }
    }

    /// The `k` nearest points to point `i` in space (itself excluded), nearest first; ties
    /// broken by index. In space, not in plan: a roof under an overhang, or a canopy over a
    /// roof, is no neighbour of the surface metres above or below it.
    pub fn knn(&self, pts: &[[f64; 3]], i: usize, k: usize) -> Vec<usize> {
        let p = pts[i];
        // Start at about the radius expected to hold k points (a cell is two point spacings).
        let mut r = self.cell * (k as f64 / 3.0).sqrt() * 0.6;
        let mut found: Vec<(f64, usize)> = Vec::new();
        loop {
            found.clear();
            self.within(pts, p[0], p[1], r, |j, d2| {
                let d3 = d2 + (pts[j][2] - p[2]).powi(2);
                if j != i && d3 <= r * r {
                    found.push((d3, j));
                }
            });
            if found.len() >= k || found.len() + 1 >= pts.len() || r > 50.0 {
                break;
            }
            r *= 1.6;
        }
        let order = |a: &(f64, usize), b: &(f64, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
        if found.len() > k {
            found.select_nth_unstable_by(k, order);
            found.truncate(k);
        }
        found.sort_by(order);
        found.into_iter().map(|(_, j)| j).collect()
    }
}

/// Fits a plane to the given points, then twice drops the points farther than three robust
/// standard deviations (at least 5 cm) and fits again. Returns the plane, its inliers' RMS and
/// the inliers.
pub fn robust_fit(pts: &[[f64; 3]], members: &[usize]) -> Option<(Plane, f64, Vec<usize>)> {
    let mut kept: Vec<usize> = members.to_vec();
    let mut plane = None;
    for round in 0..3 {
        let mut m = Moments::default();
        for &i in &kept {
            m.add(pts[i]);
        }
        let (p, _) = m.plane()?;
        plane = Some(p);
        if round == 2 {
            break;
        }
        let mut res: Vec<f64> = kept.iter().map(|&i| p.distance(pts[i]).abs()).collect();
        let mid = res.len() / 2;
        let mad = *res.select_nth_unstable_by(mid, f64::total_cmp).1 * 1.4826;
        let cut = (2.5 * mad).max(0.02);
        let next: Vec<usize> = kept.iter().copied().filter(|&i| p.distance(pts[i]).abs() <= cut).collect();
        if next.len() < 3 || next.len() == kept.len() {
            break;
        }
        kept = next;
    }
    let plane = plane?;
    let ss: f64 = kept.iter().map(|&i| plane.distance(pts[i]).powi(2)).sum();
    Some((plane, (ss / kept.len() as f64).sqrt(), kept))
}

/// Finds the roof planes among a building's points; `density` is points per m² of footprint.
pub fn detect(pts: &[[f64; 3]], density: f64, params: &Params) -> Detection {
    let n = pts.len();
    if n < 10 {
        return Detection { regions: Vec::new(), labels: vec![None; n] };
    }
    let density = density.max(0.5);
    let k = ((density * std::f64::consts::PI * params.normal_radius.powi(2)).round() as usize).clamp(10, 24);
    let min_pts = ((params.min_face_m2 * density * 0.5).round() as usize).max(8);
    let grid = Grid::new(pts, (2.0 / density.sqrt()).max(0.3));
    let neighbours: Vec<Vec<usize>> = (0..n).map(|i| grid.knn(pts, i, k)).collect();

    // Normals and roughness from each neighbourhood.
    let mut normals = Vec::with_capacity(n);
    let mut rough = Vec::with_capacity(n);
    for i in 0..n {
        let mut m = Moments::default();
        m.add(pts[i]);
        for &j in &neighbours[i] {
            m.add(pts[j]);
        }
        match m.plane() {
            Some((p, c)) => {
                normals.push(p.n);
                rough.push(c);
            }
            None => {
                normals.push([0.0, 0.0, 1.0]);
                rough.push(1.0);
            }
        }
    }
    // The survey's noise: the median RMS of the neighbourhoods' planes. Growing and assignment
    // distances follow it (3.5σ and 4σ), within the configured maxima.
    let mut sorted = rough.clone();
    sorted.sort_by(f64::total_cmp);
    let sigma = sorted[sorted.len() / 2];
    let tuned = Params {
        grow_distance: (3.5 * sigma).clamp(0.06, params.grow_distance),
        assign_distance: (4.0 * sigma).clamp(0.08, params.assign_distance),
        ..*params
    };
    let params = &tuned;
    // Smooth: the neighbourhood's points lie within noise of one plane (RMS in metres).
    let smooth = |i: usize| rough[i] < params.seed_rms;

    let cos_grow = params.grow_angle.to_radians().cos();
    // Region growing from the flattest seeds.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| rough[a].total_cmp(&rough[b]).then(a.cmp(&b)));
    let mut label: Vec<Option<usize>> = vec![None; n];
    let mut tried = vec![false; n];
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for &seed in &order {
        if label[seed].is_some() || tried[seed] || !smooth(seed) {
            continue;
        }
        let id = groups.len();
        let mut moments = Moments::default();
        let Some(mut current) = Plane::through(pts[seed], normals[seed]) else {
            tried[seed] = true;
            continue;
        };
        let mut members = vec![seed];
        label[seed] = Some(id);
        moments.add(pts[seed]);
        let mut fitted_at = 1usize;
        let mut head = 0;
        while head < members.len() {
            let i = members[head];
            head += 1;
            for &j in &neighbours[i] {
                if label[j].is_some() {
                    continue;
                }
                if current.distance(pts[j]).abs() > params.grow_distance {
                    continue;
                }
                // Normals within the angle, either way up: |cos| at least cos(angle).
                if smooth(j) && dot(current.n, normals[j]).abs() < cos_grow {
                    continue;
                }
                label[j] = Some(id);
                members.push(j);
                moments.add(pts[j]);
            }
            if members.len() >= 2 * fitted_at && members.len() >= 6 {
                if let Some((p, _)) = moments.plane() {
                    current = p;
                }
                fitted_at = members.len();
            }
        }
        // Too few points, or a wall (or a line of points any plane fits): not a roof face.
        let wall = moments.plane().is_none_or(|(p, _)| p.n[2] < params.max_slope.to_radians().cos());
        // A slab of scattered points grown within the distance is no plane either.
        let slab = members.len() >= min_pts && robust_fit(pts, &members).is_none_or(|(_, rms, _)| rms > params.max_rms);
        if members.len() < min_pts || wall || slab {
            for &i in &members {
                label[i] = None;
                tried[i] = true;
            }
            continue;
        }
        groups.push(members);
    }

    // Merge coplanar neighbouring regions (most parallel pairs first) until none is left.
    let mut groups = merge_coplanar(pts, groups, &mut label, params);

    // Robust refits, then every point goes to the best neighbouring plane.
    let ctx = Ctx { pts, neighbours: &neighbours, normals: &normals, rough: &rough, min_pts, params: *params };
    for _ in 0..2 {
        let none = vec![false; groups.len()];
        groups = ctx.reassign(&groups, &mut label, &none);
    }
    // A region most of whose points fit their other neighbouring planes as well is a seam
    // along a ridge or valley, not a face: it is dissolved into them (smallest first).
    let planes: Vec<Option<Plane>> = groups.iter().map(|g| robust_fit(pts, g).map(|(p, _, _)| p)).collect();
    let mut dissolved = vec![false; groups.len()];
    let mut by_size: Vec<usize> = (0..groups.len()).collect();
    by_size.sort_by_key(|&g| (groups[g].len(), g));
    for g in by_size {
        let explained = groups[g]
            .iter()
            .filter(|&&i| {
                neighbours[i]
                    .iter()
                    .filter_map(|&j| label[j])
                    .any(|h| h != g && !dissolved[h] && planes[h].is_some_and(|p| p.distance(pts[i]).abs() <= params.assign_distance))
            })
            .count();
        if explained * 10 >= groups[g].len() * 8 {
            dissolved[g] = true;
        }
    }
    if dissolved.iter().any(|&d| d) {
        groups = ctx.reassign(&groups, &mut label, &dissolved);
    }

    let mut regions: Vec<Region> = groups
        .into_iter()
        .filter_map(|members| {
            let (plane, rms, _) = robust_fit(pts, &members)?;
            (rms <= params.max_rms && plane.n[2] >= params.max_slope.to_radians().cos()).then_some(Region { plane, members, rms })
        })
        .collect();
    regions.sort_by(|a, b| b.members.len().cmp(&a.members.len()).then(a.members[0].cmp(&b.members[0])));
    let mut labels = vec![None; n];
    for (id, r) in regions.iter().enumerate() {
        for &i in &r.members {
            labels[i] = Some(id);
        }
    }
    Detection { regions, labels }
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// What reassignment needs of the cloud.
struct Ctx<'a> {
    pts: &'a [[f64; 3]],
    neighbours: &'a [Vec<usize>],
    normals: &'a [[f64; 3]],
    rough: &'a [f64],
    min_pts: usize,
    params: Params,
}

impl Ctx<'_> {
    /// Whether point `i` may belong to `plane`: near it and, where its neighbourhood is
    /// smooth, with a normal along it (an eave's gutter or a slope break is another surface).
    fn fits(&self, i: usize, plane: &Plane) -> Option<f64> {
        let d = plane.distance(self.pts[i]).abs();
        let along =
            self.rough[i] >= self.params.seed_rms || dot(plane.n, self.normals[i]).abs() >= self.params.grow_angle.to_radians().cos();
        (d <= self.params.assign_distance && along).then_some(d)
    }

    /// Every point to the best-fitting plane among its own group's and its neighbours' groups
    /// (skipping `excluded` ones); groups left with fewer than `min_pts` points are dropped.
    /// Relabels `label`.
    fn reassign(&self, groups: &[Vec<usize>], label: &mut [Option<usize>], excluded: &[bool]) -> Vec<Vec<usize>> {
        let planes: Vec<Option<Plane>> =
            groups.iter().zip(excluded).map(|(g, &x)| if x { None } else { robust_fit(self.pts, g).map(|(p, _, _)| p) }).collect();
        let mut next: Vec<Vec<usize>> = vec![Vec::new(); groups.len()];
        for i in 0..self.pts.len() {
            let mut best: Option<(f64, usize)> = None;
            let mut candidates: Vec<usize> = label[i].into_iter().chain(self.neighbours[i].iter().filter_map(|&j| label[j])).collect();
            candidates.sort_unstable();
            candidates.dedup();
            for g in candidates {
                let Some(d) = planes[g].and_then(|p| self.fits(i, &p)) else { continue };
                if best.is_none_or(|(bd, bg)| d < bd || (d == bd && g < bg)) {
                    best = Some((d, g));
                }
            }
            if let Some((_, g)) = best {
                next[g].push(i);
            }
        }
        for l in label.iter_mut() {
            *l = None;
        }
        let kept: Vec<Vec<usize>> = next.into_iter().filter(|g| g.len() >= self.min_pts).collect();
        for (id, g) in kept.iter().enumerate() {
            for &i in g {
                label[i] = Some(id);
            }
        }
        kept
    }
}

/// Merges groups whose planes are within the merge angle and whose union stays as planar as
/// its parts; relabels `label`.
fn merge_coplanar(pts: &[[f64; 3]], mut groups: Vec<Vec<usize>>, label: &mut [Option<usize>], params: &Params) -> Vec<Vec<usize>> {
    loop {
        let fits: Vec<Option<(Plane, f64)>> = groups.iter().map(|g| robust_fit(pts, g).map(|(p, rms, _)| (p, rms))).collect();
        // Any two regions, touching or not: the parts of one plane split by another face
        // (a valley's corner, a dormer) are one face.
        let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
        for a in 0..groups.len() {
            for b in a + 1..groups.len() {
                let (Some((pa, _)), Some((pb, _))) = (fits[a], fits[b]) else { continue };
                let angle = pa.angle_to(&pb);
                if angle <= params.merge_angle {
                    pairs.push((angle, a, b));
                }
            }
        }
        pairs.sort_by(|x, y| x.0.total_cmp(&y.0).then((x.1, x.2).cmp(&(y.1, y.2))));
        let mut merged = None;
        for (_, a, b) in pairs {
            let (Some((_, ra)), Some((_, rb))) = (fits[a], fits[b]) else { continue };
            let union: Vec<usize> = groups[a].iter().chain(&groups[b]).copied().collect();
            let Some((_, rms, inliers)) = robust_fit(pts, &union) else { continue };
            if rms <= 1.5 * ra.max(rb) + 0.01 && inliers.len() * 10 >= union.len() * 9 {
                merged = Some((a, b));
                break;
            }
        }
        let Some((a, b)) = merged else { return groups };
        let moved = std::mem::take(&mut groups[b]);
        groups[a].extend(moved);
        groups[a].sort_unstable();
        groups.remove(b);
        for l in label.iter_mut() {
            *l = match *l {
                Some(g) if g == b => Some(a),
                Some(g) if g > b => Some(g - 1),
                other => other,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A gable roof, ridge along x at y = 0, 30°, on a jittered 0.25 m lattice.
    fn gable() -> Vec<[f64; 3]> {
        let t = 30f64.to_radians().tan();
        let mut pts = Vec::new();
        let mut s = 1u64;
        let mut r = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) - 0.5
        };
        for i in 0..60 {
            for j in 0..40 {
                let (x, y) = (i as f64 * 0.25 + 0.1 * r(), -5.0 + j as f64 * 0.25 + 0.1 * r());
                pts.push([x, y, 10.0 - t * y.abs() + 0.02 * r()]);
            }
        }
        pts
    }

    #[test]
    fn a_gable_gives_two_planes() {
        let pts = gable();
        let d = detect(&pts, 16.0, &Params::default());
        assert_eq!(d.regions.len(), 2, "{:?}", d.regions.iter().map(|r| r.members.len()).collect::<Vec<_>>());
        for r in &d.regions {
            let slope = r.plane.n[2].acos().to_degrees();
            assert!((slope - 30.0).abs() < 0.3, "slope {slope}");
            assert!(r.rms < 0.02);
        }
        let assigned = d.labels.iter().filter(|l| l.is_some()).count();
        assert!(assigned * 100 >= pts.len() * 97, "{assigned} of {}", pts.len());
    }
}
