//! Small linear algebra for plane fitting: point moments, the eigenvectors of a symmetric 3 × 3
//! matrix (cyclic Jacobi) and total-least-squares planes.

/// First and second moments of a set of 3-D points (coordinates local to the building, so the
/// sums stay well conditioned).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Moments {
    /// Number of points.
    pub n: f64,
    s: [f64; 3],
    ss: [f64; 6],
}

impl Moments {
    /// Adds a point.
    pub fn add(&mut self, p: [f64; 3]) {
        self.n += 1.0;
        for (acc, v) in self.s.iter_mut().zip(p) {
            *acc += v;
        }
        let [x, y, z] = p;
        let prods = [x * x, x * y, x * z, y * y, y * z, z * z];
        for (acc, v) in self.ss.iter_mut().zip(prods) {
            *acc += v;
        }
    }

    /// The centroid.
    pub fn mean(&self) -> [f64; 3] {
        let n = self.n.max(1.0);
        [self.s[0] / n, self.s[1] / n, self.s[2] / n]
    }

    /// The covariance matrix (population).
    pub fn covariance(&self) -> [[f64; 3]; 3] {
        let n = self.n.max(1.0);
        let m = self.mean();
        let e = |k: usize, i: usize, j: usize| self.ss[k] / n - m[i] * m[j];
        let (xx, xy, xz, yy, yz, zz) = (e(0, 0, 0), e(1, 0, 1), e(2, 0, 2), e(3, 1, 1), e(4, 1, 2), e(5, 2, 2));
        [[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]]
    }

    /// The total-least-squares plane, with the RMS distance of the points to it (the square
    /// root of the smallest eigenvalue); `None` below three points.
    pub fn plane(&self) -> Option<(Plane, f64)> {
        if self.n < 3.0 {
            return None;
        }
        let (values, vectors) = symmetric_eigen(self.covariance());
        Some((Plane::through(self.mean(), vectors[0])?, values[0].max(0.0).sqrt()))
    }
}

/// A plane `n · p = d` with a unit normal pointing up (`n[2] > 0`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plane {
    /// Unit normal, upward.
    pub n: [f64; 3],
    /// Offset.
    pub d: f64,
}

impl Plane {
    /// The plane through `p` with normal `n` (turned upward); `None` for vertical planes.
    pub fn through(p: [f64; 3], n: [f64; 3]) -> Option<Plane> {
        let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
        if len == 0.0 || !len.is_finite() {
            return None;
        }
        let sign = if n[2] < 0.0 { -1.0 } else { 1.0 };
        let n = [sign * n[0] / len, sign * n[1] / len, sign * n[2] / len];
        if n[2] < 0.05 {
            return None;
        }
        Some(Plane { n, d: n[0] * p[0] + n[1] * p[1] + n[2] * p[2] })
    }

    /// Signed distance of a point (positive above).
    pub fn distance(&self, p: [f64; 3]) -> f64 {
        self.n[0] * p[0] + self.n[1] * p[1] + self.n[2] * p[2] - self.d
    }

    /// The plane's height at (x, y).
    pub fn z_at(&self, x: f64, y: f64) -> f64 {
        (self.d - self.n[0] * x - self.n[1] * y) / self.n[2]
    }

    /// Angle between the normals, degrees.
    pub fn angle_to(&self, o: &Plane) -> f64 {
        angle(self.n, o.n)
    }
}

/// Angle between two unit vectors, degrees.
pub fn angle(a: [f64; 3], b: [f64; 3]) -> f64 {
    (a[0] * b[0] + a[1] * b[1] + a[2] * b[2]).clamp(-1.0, 1.0).acos().to_degrees()
}

/// Eigenvalues (ascending) and unit eigenvectors of a symmetric 3 × 3 matrix.
pub fn symmetric_eigen(m: [[f64; 3]; 3]) -> ([f64; 3], [[f64; 3]; 3]) {
    let mut a = m;
    let mut v = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    for _ in 0..32 {
        let off = a[0][1].abs() + a[0][2].abs() + a[1][2].abs();
        let scale = a[0][0].abs() + a[1][1].abs() + a[2][2].abs();
        if off <= 1e-15 * scale.max(1e-300) {
            break;
        }
        for (p, q) in [(0, 1), (0, 2), (1, 2)] {
            if a[p][q] == 0.0 {
                continue;
            }
            let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
            let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
            let t = if theta == 0.0 { 1.0 } else { t };
            let c = 1.0 / (t * t + 1.0).sqrt();
            let s = t * c;
            // a' = Jᵀ a J with the rotation J in the (p, q) plane.
            for row in a.iter_mut() {
                let (akp, akq) = (row[p], row[q]);
                row[p] = c * akp - s * akq;
                row[q] = s * akp + c * akq;
            }
            let (rp, rq) = (a[p], a[q]);
            a[p] = std::array::from_fn(|k| c * rp[k] - s * rq[k]);
            a[q] = std::array::from_fn(|k| s * rp[k] + c * rq[k]);
            for row in v.iter_mut() {
                let (vp, vq) = (row[p], row[q]);
                row[p] = c * vp - s * vq;
                row[q] = s * vp + c * vq;
            }
        }
    }
    let mut order = [0usize, 1, 2];
    order.sort_by(|&i, &j| a[i][i].total_cmp(&a[j][j]));
    let values = [a[order[0]][order[0]], a[order[1]][order[1]], a[order[2]][order[2]]];
    let col = |j: usize| [v[0][j], v[1][j], v[2][j]];
    (values, [col(order[0]), col(order[1]), col(order[2])])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigenvectors_diagonalise() {
        let m = [[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 1.0]];
        let (values, vectors) = symmetric_eigen(m);
        assert!(values[0] <= values[1] && values[1] <= values[2]);
        for (lambda, v) in values.iter().zip(vectors) {
            for i in 0..3 {
                let mv: f64 = (0..3).map(|j| m[i][j] * v[j]).sum();
                assert!((mv - lambda * v[i]).abs() < 1e-9, "{mv} vs {}", lambda * v[i]);
            }
        }
    }

    #[test]
    fn plane_fit_recovers_a_tilted_plane() {
        let mut m = Moments::default();
        for i in 0..20 {
            for j in 0..20 {
                let (x, y) = (i as f64 * 0.5, j as f64 * 0.3);
                m.add([x, y, 2.0 + 0.5 * x - 0.25 * y]);
            }
        }
        let (plane, rms) = m.plane().unwrap();
        assert!(rms < 1e-6);
        assert!((plane.z_at(3.0, 1.0) - (2.0 + 1.5 - 0.25)).abs() < 1e-9);
        assert!(plane.distance([1.0, 1.0, 10.0]) > 0.0);
    }
}
