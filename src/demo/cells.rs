//! Approximate comune boundaries: a power (weighted Voronoi) diagram of the centroids.
//!
//! Centroids are grouped into components (a centroid farther than [`EXCLAVE_GAP`] from all
//! others, like San Colombano al Lambro, is an exclave and gets a round cell of its real
//! area). Each component's outline is the convex hull of its centroids buffered by
//! [`OUTLINE_BUFFER`]; comuni of neighbouring provinces lying inside the outline take part in the
//! partition and their cells are discarded, which carves the outline where the real boundary is
//! concave. Every cell is the outline clipped by the power bisectors, hence convex. Weights are
//! fitted iteratively so that cell areas follow the real areas (scaled to the outline), under a
//! constraint that keeps each centroid well inside its own cell.

use geo::Coord;

use super::geom::{buffer_convex, clip_halfplane, convex_hull, dist, ring_area, ConvexCell};

/// Distance (m) beyond which a centroid forms its own component.
pub(crate) const EXCLAVE_GAP: f64 = 12_000.0;
/// Buffer (m) of the convex hull of a component's centroids.
pub(crate) const OUTLINE_BUFFER: f64 = 2_500.0;
/// A centroid stays at least this fraction of the distance to any other centroid inside its cell.
const MARGIN: f64 = 0.1;
const ITERATIONS: usize = 120;

/// One site of the partition.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Site {
    pub pos: Coord,
    /// Real area in m².
    pub area: f64,
}

/// Computes one convex CCW cell per comune site (`neighbours` only shape the partition).
pub(crate) fn partition(sites: &[Site], neighbours: &[Site]) -> Vec<ConvexCell> {
    let n = sites.len();
    // Single-linkage components.
    let mut comp: Vec<usize> = (0..n).collect();
    fn root(comp: &mut [usize], mut i: usize) -> usize {
        while comp[i] != i {
            comp[i] = comp[comp[i]];
            i = comp[i];
        }
        i
    }
    for i in 0..n {
        for j in i + 1..n {
            if dist(sites[i].pos, sites[j].pos) <= EXCLAVE_GAP {
                let (a, b) = (root(&mut comp, i), root(&mut comp, j));
                comp[a.max(b)] = a.min(b);
            }
        }
    }
    let mut cells: Vec<Option<ConvexCell>> = vec![None; n];
    let roots: Vec<usize> = (0..n).map(|i| root(&mut comp, i)).collect();
    let mut done = vec![false; n];
    for r in 0..n {
        if roots[r] != r || done[r] {
            continue;
        }
        let members: Vec<usize> = (0..n).filter(|&i| roots[i] == r).collect();
        for &m in &members {
            done[m] = true;
        }
        if members.len() == 1 && n > 1 {
            // An exclave: a round cell of its real area.
            let s = sites[members[0]];
            let radius = (s.area / std::f64::consts::PI).sqrt().max(300.0);
            let ring = buffer_convex(&[s.pos], radius, std::f64::consts::TAU / 40.0);
            cells[members[0]] = Some(ConvexCell::new(ring));
            continue;
        }
        let comp_sites: Vec<Site> = members.iter().map(|&i| sites[i]).collect();
        let rings = component_cells(&comp_sites, neighbours);
        for (&m, ring) in members.iter().zip(rings) {
            cells[m] = Some(ConvexCell::new(ring));
        }
    }
    cells.into_iter().map(|c| c.expect("every site has a cell")).collect()
}

/// The cells of one component (rings in world coordinates, CCW, not rounded).
fn component_cells(sites: &[Site], neighbours: &[Site]) -> Vec<Vec<Coord>> {
    // Work relative to the component's mean position, for numerical precision.
    let k = sites.len() as f64;
    let o = Coord { x: sites.iter().map(|s| s.pos.x).sum::<f64>() / k, y: sites.iter().map(|s| s.pos.y).sum::<f64>() / k };
    let rel = |p: Coord| Coord { x: p.x - o.x, y: p.y - o.y };
    let pts: Vec<Coord> = sites.iter().map(|s| rel(s.pos)).collect();
    let outline = buffer_convex(&convex_hull(&pts), OUTLINE_BUFFER, std::f64::consts::TAU / 36.0);
    let outline_cell = ConvexCell::new(outline.clone());
    let mut all: Vec<Site> = sites.iter().map(|s| Site { pos: rel(s.pos), area: s.area }).collect();
    let real = all.len();
    for nb in neighbours {
        let p = rel(nb.pos);
        // Only neighbours well inside the outline and not on top of a comune centroid matter.
        if outline_cell.contains(p, 500.0) && all[..real].iter().all(|s| dist(s.pos, p) > 1_500.0) {
            all.push(Site { pos: p, area: nb.area });
        }
    }
    let total_area = ring_area(&outline);
    let scale = total_area / all.iter().map(|s| s.area).sum::<f64>();
    let targets: Vec<f64> = all.iter().map(|s| s.area * scale).collect();
    let pos: Vec<Coord> = all.iter().map(|s| s.pos).collect();
    let m = pos.len();
    // Other sites by increasing distance, for each site.
    let order: Vec<Vec<usize>> = (0..m)
        .map(|i| {
            let mut o: Vec<usize> = (0..m).filter(|&j| j != i).collect();
            o.sort_by(|&a, &b| dist(pos[i], pos[a]).total_cmp(&dist(pos[i], pos[b])).then(a.cmp(&b)));
            o
        })
        .collect();
    let mut w = vec![0.0f64; m];
    for _ in 0..ITERATIONS {
        let areas: Vec<f64> = (0..m).map(|i| ring_area(&power_cell(i, &pos, &w, &outline, &order[i])).abs()).collect();
        for i in 0..m {
            w[i] += 0.8 * (targets[i] - areas[i]) / std::f64::consts::PI;
        }
        constrain(&pos, &mut w);
    }
    (0..real)
        .map(|i| power_cell(i, &pos, &w, &outline, &order[i]).into_iter().map(|p| Coord { x: p.x + o.x, y: p.y + o.y }).collect())
        .collect()
}

/// Keeps every site inside its own cell: the bisector of i and j lies between MARGIN·d and
/// (1 − MARGIN)·d from i, i.e. |w_i − w_j| ≤ (1 − 2·MARGIN)·d².
fn constrain(pos: &[Coord], w: &mut [f64]) {
    let m = pos.len();
    for _ in 0..4 {
        let mut changed = false;
        for i in 0..m {
            for j in i + 1..m {
                let d = dist(pos[i], pos[j]);
                let limit = (1.0 - 2.0 * MARGIN) * d * d;
                let diff = w[i] - w[j];
                if diff.abs() > limit {
                    let excess = (diff.abs() - limit) / 2.0 * diff.signum();
                    w[i] -= excess;
                    w[j] += excess;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
}

/// The power cell of site `i`: the outline clipped by every bisector that can reach it.
fn power_cell(i: usize, pos: &[Coord], w: &[f64], outline: &[Coord], order: &[usize]) -> Vec<Coord> {
    let wmax = w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let s = pos[i];
    let mut poly = outline.to_vec();
    for &j in order {
        let d = dist(s, pos[j]);
        let reach = poly.iter().map(|p| dist(s, *p)).fold(0.0, f64::max);
        // The bisector with any farther site lies at least this far from s.
        if (d * d + w[i] - wmax) / (2.0 * d) > reach {
            break;
        }
        let q = pos[j];
        let n = Coord { x: q.x - s.x, y: q.y - s.y };
        let c = ((q.x * q.x + q.y * q.y) - (s.x * s.x + s.y * s.y) - w[j] + w[i]) / 2.0;
        poly = clip_halfplane(&poly, n, c);
        if poly.len() < 3 {
            return Vec::new();
        }
    }
    poly
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_tile_the_outline_and_follow_areas() {
        let sites: Vec<Site> = (0..5)
            .flat_map(|i| {
                (0..5).map(move |j| Site {
                    pos: Coord { x: i as f64 * 3000.0, y: j as f64 * 3000.0 },
                    area: if i == 2 && j == 2 { 4e7 } else { 1e7 },
                })
            })
            .collect();
        let cells = partition(&sites, &[]);
        let total: f64 = cells.iter().map(|c| c.area()).sum();
        let hull =
            buffer_convex(&convex_hull(&sites.iter().map(|s| s.pos).collect::<Vec<_>>()), OUTLINE_BUFFER, std::f64::consts::TAU / 36.0);
        assert!((total - ring_area(&hull)).abs() / total < 1e-6);
        for (s, c) in sites.iter().zip(&cells) {
            assert!(c.contains(s.pos, 100.0));
        }
        assert!(cells[12].area() > 2.0 * cells[0].area());
    }
}
