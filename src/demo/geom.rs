//! Plane geometry for the generator: convex hulls and buffers, half-plane clipping of convex
//! polygons, clipping polylines to convex cells, local (rotated) frames, and the final rounding
//! of coordinates to millimetres. Rings are open (`Vec<Coord>` without the closing point) until
//! they become `geo` geometries.

use geo::{Coord, LineString, MultiLineString, MultiPolygon, Polygon};

/// 2D cross product of (a - o) and (b - o).
pub(crate) fn cross(o: Coord, a: Coord, b: Coord) -> f64 {
    (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x)
}

/// Euclidean distance.
pub(crate) fn dist(a: Coord, b: Coord) -> f64 {
    (a.x - b.x).hypot(a.y - b.y)
}

/// Linear interpolation.
pub(crate) fn lerp(a: Coord, b: Coord, t: f64) -> Coord {
    Coord { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t }
}

/// Distance from `p` to the segment `a`–`b`.
pub(crate) fn dist_to_segment(p: Coord, a: Coord, b: Coord) -> f64 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 { (((p.x - a.x) * dx + (p.y - a.y) * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
    dist(p, Coord { x: a.x + t * dx, y: a.y + t * dy })
}

/// Distance from `p` to a polyline.
pub(crate) fn dist_to_polyline(p: Coord, line: &[Coord]) -> f64 {
    line.windows(2).map(|w| dist_to_segment(p, w[0], w[1])).fold(f64::INFINITY, f64::min)
}

/// Signed area of an open ring (positive when counter-clockwise).
pub(crate) fn ring_area(ring: &[Coord]) -> f64 {
    let n = ring.len();
    if n < 3 {
        return 0.0;
    }
    let mut s = 0.0;
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        s += a.x * b.y - b.x * a.y;
    }
    s / 2.0
}

/// Area centroid of an open ring (vertex mean for degenerate rings).
pub(crate) fn ring_centroid(ring: &[Coord]) -> Coord {
    let n = ring.len();
    let a = ring_area(ring);
    if a.abs() < 1e-9 {
        let (sx, sy) = ring.iter().fold((0.0, 0.0), |(x, y), c| (x + c.x, y + c.y));
        return Coord { x: sx / n.max(1) as f64, y: sy / n.max(1) as f64 };
    }
    // Relative to the first vertex, for precision with UTM-sized coordinates.
    let o = ring[0];
    let (mut cx, mut cy) = (0.0, 0.0);
    for i in 0..n {
        let (p, q) = (ring[i], ring[(i + 1) % n]);
        let (px, py, qx, qy) = (p.x - o.x, p.y - o.y, q.x - o.x, q.y - o.y);
        let f = px * qy - qx * py;
        cx += (px + qx) * f;
        cy += (py + qy) * f;
    }
    Coord { x: o.x + cx / (6.0 * a), y: o.y + cy / (6.0 * a) }
}

/// Convex hull (Andrew's monotone chain), counter-clockwise, without collinear points.
pub(crate) fn convex_hull(points: &[Coord]) -> Vec<Coord> {
    let mut pts = points.to_vec();
    pts.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)));
    pts.dedup();
    if pts.len() < 3 {
        return pts;
    }
    let mut lower: Vec<Coord> = Vec::new();
    for &p in &pts {
        while lower.len() >= 2 && cross(lower[lower.len() - 2], lower[lower.len() - 1], p) <= 0.0 {
            lower.pop();
        }
        lower.push(p);
    }
    let mut upper: Vec<Coord> = Vec::new();
    for &p in pts.iter().rev() {
        while upper.len() >= 2 && cross(upper[upper.len() - 2], upper[upper.len() - 1], p) <= 0.0 {
            upper.pop();
        }
        upper.push(p);
    }
    lower.pop();
    upper.pop();
    lower.extend(upper);
    lower
}

/// The outward buffer of a convex CCW polygon (or of one or two points) by `d`, with round
/// joins approximated every `step` radians. The result is convex and CCW.
pub(crate) fn buffer_convex(hull: &[Coord], d: f64, step: f64) -> Vec<Coord> {
    let arc = |c: Coord, a0: f64, sweep: f64, out: &mut Vec<Coord>| {
        let n = (sweep / step).ceil().max(1.0) as usize;
        for k in 0..=n {
            let a = a0 + sweep * k as f64 / n as f64;
            out.push(Coord { x: c.x + d * a.cos(), y: c.y + d * a.sin() });
        }
    };
    let mut out = Vec::new();
    match hull.len() {
        0 => {}
        1 => {
            let n = (std::f64::consts::TAU / step).ceil() as usize;
            for k in 0..n {
                let a = std::f64::consts::TAU * k as f64 / n as f64;
                out.push(Coord { x: hull[0].x + d * a.cos(), y: hull[0].y + d * a.sin() });
            }
        }
        n => {
            for i in 0..n {
                let (prev, cur, next) = (hull[(i + n - 1) % n], hull[i], hull[(i + 1) % n]);
                // Outward normals of the incoming and outgoing edges (right-hand side of a CCW ring).
                let a_in = (prev.x - cur.x).atan2(cur.y - prev.y);
                let a_out = (cur.x - next.x).atan2(next.y - cur.y);
                let sweep = (a_out - a_in).rem_euclid(std::f64::consts::TAU);
                arc(cur, a_in, sweep, &mut out);
            }
        }
    }
    dedup_ring(out, 1e-6)
}

/// Removes consecutive (and closing) points closer than `tol`.
pub(crate) fn dedup_ring(ring: Vec<Coord>, tol: f64) -> Vec<Coord> {
    let mut out: Vec<Coord> = Vec::with_capacity(ring.len());
    for p in ring {
        if out.last().is_none_or(|q| dist(*q, p) > tol) {
            out.push(p);
        }
    }
    while out.len() > 1 && dist(out[0], out[out.len() - 1]) <= tol {
        out.pop();
    }
    out
}

/// Keeps the part of a convex polygon where `n · p <= c` (Sutherland–Hodgman, one plane).
pub(crate) fn clip_halfplane(poly: &[Coord], n: Coord, c: f64) -> Vec<Coord> {
    let mut out = Vec::with_capacity(poly.len() + 1);
    let len = poly.len();
    for i in 0..len {
        let (a, b) = (poly[i], poly[(i + 1) % len]);
        let da = n.x * a.x + n.y * a.y - c;
        let db = n.x * b.x + n.y * b.y - c;
        if da <= 0.0 {
            out.push(a);
        }
        if (da < 0.0 && db > 0.0) || (da > 0.0 && db < 0.0) {
            out.push(lerp(a, b, da / (da - db)));
        }
    }
    out
}

/// A convex CCW polygon with precomputed edges, for containment tests and clipping.
#[derive(Clone, Debug)]
pub(crate) struct ConvexCell {
    /// The open CCW ring.
    pub ring: Vec<Coord>,
    /// Per edge: start point and inward unit normal.
    edges: Vec<(Coord, Coord)>,
    /// Bounding box (min, max).
    pub min: Coord,
    /// Bounding box max corner.
    pub max: Coord,
}

impl ConvexCell {
    /// Builds the cell of an open CCW convex ring.
    pub fn new(ring: Vec<Coord>) -> ConvexCell {
        let n = ring.len();
        let mut edges = Vec::with_capacity(n);
        for i in 0..n {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            let len = dist(a, b);
            if len > 0.0 {
                edges.push((a, Coord { x: -(b.y - a.y) / len, y: (b.x - a.x) / len }));
            }
        }
        let mut min = Coord { x: f64::INFINITY, y: f64::INFINITY };
        let mut max = Coord { x: f64::NEG_INFINITY, y: f64::NEG_INFINITY };
        for p in &ring {
            min = Coord { x: min.x.min(p.x), y: min.y.min(p.y) };
            max = Coord { x: max.x.max(p.x), y: max.y.max(p.y) };
        }
        ConvexCell { ring, edges, min, max }
    }

    /// Signed distance of `p` inside the cell (positive inside, the smallest over edges).
    pub fn depth(&self, p: Coord) -> f64 {
        self.edges.iter().map(|(a, n)| (p.x - a.x) * n.x + (p.y - a.y) * n.y).fold(f64::INFINITY, f64::min)
    }

    /// `p` lies inside, at least `margin` from every edge.
    pub fn contains(&self, p: Coord, margin: f64) -> bool {
        p.x >= self.min.x + margin
            && p.x <= self.max.x - margin
            && p.y >= self.min.y + margin
            && p.y <= self.max.y - margin
            && self.depth(p) >= margin
    }

    /// Area of the cell.
    pub fn area(&self) -> f64 {
        ring_area(&self.ring).abs()
    }

    /// Clips a convex polygon to this cell.
    pub fn clip_polygon(&self, poly: &[Coord]) -> Vec<Coord> {
        let mut out = poly.to_vec();
        for (a, n) in &self.edges {
            // inside: n · (p - a) >= 0  <=>  (-n) · p <= -n · a
            out = clip_halfplane(&out, Coord { x: -n.x, y: -n.y }, -(n.x * a.x + n.y * a.y));
            if out.len() < 3 {
                return Vec::new();
            }
        }
        out
    }

    /// Cyrus–Beck: the parameter interval of segment `a`–`b` inside the cell shrunk by
    /// `margin`, or `None`. Unclipped ends keep exactly 0.0 and 1.0.
    pub fn clip_segment(&self, a: Coord, b: Coord, margin: f64) -> Option<(f64, f64)> {
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        let d = Coord { x: b.x - a.x, y: b.y - a.y };
        for (e, n) in &self.edges {
            let num = (a.x - e.x) * n.x + (a.y - e.y) * n.y - margin; // >= 0 inside at t = 0
            let den = d.x * n.x + d.y * n.y;
            if den == 0.0 {
                if num < 0.0 {
                    return None;
                }
            } else {
                let t = -num / den;
                if den > 0.0 {
                    t0 = t0.max(t);
                } else {
                    t1 = t1.min(t);
                }
                if t0 > t1 {
                    return None;
                }
            }
        }
        (t1 > t0).then_some((t0, t1))
    }

    /// Clips a polyline; returns the parts inside (each at least two points).
    pub fn clip_polyline(&self, line: &[Coord], margin: f64) -> Vec<Vec<Coord>> {
        let mut parts: Vec<Vec<Coord>> = Vec::new();
        let mut open = false; // the last part ends at the end of the previous segment
        for w in line.windows(2) {
            let (a, b) = (w[0], w[1]);
            let bb_min = Coord { x: a.x.min(b.x), y: a.y.min(b.y) };
            let bb_max = Coord { x: a.x.max(b.x), y: a.y.max(b.y) };
            let disjoint = bb_max.x < self.min.x || bb_min.x > self.max.x || bb_max.y < self.min.y || bb_min.y > self.max.y;
            match if disjoint { None } else { self.clip_segment(a, b, margin) } {
                Some((t0, t1)) => {
                    let (p, q) = (if t0 == 0.0 { a } else { lerp(a, b, t0) }, if t1 == 1.0 { b } else { lerp(a, b, t1) });
                    if open && t0 == 0.0 {
                        parts.last_mut().expect("open part").push(q);
                    } else {
                        parts.push(vec![p, q]);
                    }
                    open = t1 == 1.0;
                }
                None => open = false,
            }
        }
        parts
    }
}

/// A local frame: origin plus rotation; local `u` runs along the rotated x axis.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Frame {
    /// Origin in world coordinates.
    pub origin: Coord,
    cos: f64,
    sin: f64,
}

impl Frame {
    /// A frame at `origin` rotated counter-clockwise by `angle` radians.
    pub fn new(origin: Coord, angle: f64) -> Frame {
        Frame { origin, cos: angle.cos(), sin: angle.sin() }
    }
    /// Local (u, v) to world.
    pub fn to_world(self, u: f64, v: f64) -> Coord {
        Coord { x: self.origin.x + u * self.cos - v * self.sin, y: self.origin.y + u * self.sin + v * self.cos }
    }
    /// World to local (u, v).
    pub fn to_local(self, p: Coord) -> (f64, f64) {
        let (dx, dy) = (p.x - self.origin.x, p.y - self.origin.y);
        (dx * self.cos + dy * self.sin, -dx * self.sin + dy * self.cos)
    }
    /// A local direction in world terms.
    pub fn dir_to_world(self, du: f64, dv: f64) -> (f64, f64) {
        (du * self.cos - dv * self.sin, du * self.sin + dv * self.cos)
    }
}

/// Rounds to millimetres (all published coordinates are rounded).
pub(crate) fn mm(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// Rounds to `decimals` decimal places.
pub(crate) fn round_to(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (v * f).round() / f
}

/// Rounds a ring to millimetres, drops repeated points and makes it counter-clockwise.
/// `None` when fewer than three distinct points remain or the area vanishes.
pub(crate) fn finish_ring(ring: &[Coord]) -> Option<Vec<Coord>> {
    let rounded: Vec<Coord> = ring.iter().map(|c| Coord { x: mm(c.x), y: mm(c.y) }).collect();
    let mut r = dedup_ring(rounded, 0.0005);
    if r.len() < 3 {
        return None;
    }
    let a = ring_area(&r);
    if a.abs() < 0.01 {
        return None;
    }
    if a < 0.0 {
        r.reverse();
    }
    Some(r)
}

/// A closed `geo` polygon from an open ring (already finished).
pub(crate) fn polygon(ring: Vec<Coord>) -> Polygon<f64> {
    Polygon::new(LineString::new(ring), vec![])
}

/// A one-part multipolygon from an open ring, rounded and oriented; `None` if degenerate.
pub(crate) fn multipolygon(ring: &[Coord]) -> Option<MultiPolygon<f64>> {
    finish_ring(ring).map(|r| MultiPolygon::new(vec![polygon(r)]))
}

/// A multilinestring from parts, rounded to millimetres; parts shorter than `min_len` or
/// collapsing to one point are dropped. `None` when nothing remains.
pub(crate) fn multilinestring(parts: &[Vec<Coord>], min_len: f64) -> Option<MultiLineString<f64>> {
    let mut out = Vec::new();
    for part in parts {
        let len: f64 = part.windows(2).map(|w| dist(w[0], w[1])).sum();
        if len < min_len {
            continue;
        }
        let mut pts: Vec<Coord> = Vec::with_capacity(part.len());
        for c in part {
            let c = Coord { x: mm(c.x), y: mm(c.y) };
            if pts.last() != Some(&c) {
                pts.push(c);
            }
        }
        if pts.len() >= 2 {
            out.push(LineString::new(pts));
        }
    }
    (!out.is_empty()).then(|| MultiLineString::new(out))
}

/// Total length of a polyline.
pub(crate) fn polyline_length(line: &[Coord]) -> f64 {
    line.windows(2).map(|w| dist(w[0], w[1])).sum()
}

/// The point at distance `s` along a polyline, with the unit direction there.
pub(crate) fn point_along(line: &[Coord], s: f64) -> (Coord, Coord) {
    let mut rest = s.max(0.0);
    let mut last = (line[line.len() - 1], Coord { x: 1.0, y: 0.0 });
    for w in line.windows(2) {
        let l = dist(w[0], w[1]);
        if l <= 0.0 {
            continue;
        }
        let dir = Coord { x: (w[1].x - w[0].x) / l, y: (w[1].y - w[0].y) / l };
        if rest <= l {
            return (lerp(w[0], w[1], rest / l), dir);
        }
        rest -= l;
        last = (w[1], dir);
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(x: f64, y: f64) -> Coord {
        Coord { x, y }
    }

    #[test]
    fn hull_buffer_and_clip() {
        let pts = [c(0.0, 0.0), c(10.0, 0.0), c(10.0, 10.0), c(0.0, 10.0), c(5.0, 5.0)];
        let hull = convex_hull(&pts);
        assert_eq!(hull.len(), 4);
        assert!(ring_area(&hull) > 0.0);
        let buf = buffer_convex(&hull, 1.0, 0.1);
        let a = ring_area(&buf);
        assert!((a - (100.0 + 40.0 + std::f64::consts::PI)).abs() < 0.05, "{a}");
        let cell = ConvexCell::new(hull.clone());
        assert!(cell.contains(c(5.0, 5.0), 4.9));
        assert!(!cell.contains(c(5.0, 5.0), 5.1));
        let half = clip_halfplane(&hull, c(1.0, 0.0), 4.0);
        assert!((ring_area(&half) - 40.0).abs() < 1e-9);
        assert_eq!(cell.clip_segment(c(-5.0, 5.0), c(15.0, 5.0), 0.0), Some((0.25, 0.75)));
        let parts = cell.clip_polyline(&[c(-5.0, 5.0), c(5.0, 5.0), c(5.0, 20.0)], 0.0);
        assert_eq!(parts, vec![vec![c(0.0, 5.0), c(5.0, 5.0), c(5.0, 10.0)]]);
        let two = buffer_convex(&[c(0.0, 0.0), c(10.0, 0.0)], 1.0, 0.05);
        assert!((ring_area(&two) - (20.0 + std::f64::consts::PI)).abs() < 0.05);
    }

    #[test]
    fn frames_round_trip() {
        let f = Frame::new(c(500_000.0, 5_000_000.0), 0.7);
        let p = f.to_world(12.0, -3.0);
        let (u, v) = f.to_local(p);
        assert!((u - 12.0).abs() < 1e-6 && (v + 3.0).abs() < 1e-6);
    }
}
