//! Measured faces against the truth: one-to-one matching by overlap, then detection
//! completeness and correctness, slope, aspect, area and height errors ([`Tally`]).
//!
//! A true face and a measured one match when their outlines overlap by at least half of each;
//! pairs are taken greedily, largest overlap first. Only true faces of at least `min_area` m²
//! (sloped) count for completeness, and only measured faces of at least that size for
//! correctness (a measured face matching a smaller true face, such as a dormer's, is correct).

use geo::{Area, BooleanOps};

use super::Face;

/// Errors gathered over many buildings.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// True faces counted.
    pub truth: usize,
    /// Of which matched.
    pub found: usize,
    /// Measured faces counted.
    pub detected: usize,
    /// Of which matched.
    pub correct: usize,
    /// Slope errors (degrees, measured − true).
    pub slope: Vec<f64>,
    /// Aspect errors (degrees, wrapped to ±180) for true slopes ≥ 10°.
    pub aspect: Vec<f64>,
    /// Relative sloped-area errors ((measured − true) / true).
    pub area: Vec<f64>,
    /// Eave height errors (m).
    pub eave: Vec<f64>,
    /// Ridge height errors (m).
    pub ridge: Vec<f64>,
    /// The matched pairs of the last building: (true index, measured index).
    pub pairs: Vec<(usize, usize)>,
}

impl Tally {
    /// Adds one building's faces.
    pub fn add(&mut self, truth: &[Face], measured: &[Face], min_area: f64) {
        let mut overlaps: Vec<(f64, usize, usize)> = Vec::new();
        for (i, t) in truth.iter().enumerate() {
            let ta = t.outline.unsigned_area();
            for (j, m) in measured.iter().enumerate() {
                let ma = m.outline.unsigned_area();
                let o = t.outline.intersection(&m.outline).unsigned_area();
                if o >= 0.5 * ta && o >= 0.5 * ma {
                    overlaps.push((o, i, j));
                }
            }
        }
        overlaps.sort_by(|a, b| b.0.total_cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))));
        let (mut used_t, mut used_m) = (vec![false; truth.len()], vec![false; measured.len()]);
        self.pairs.clear();
        for (_, i, j) in overlaps {
            if !used_t[i] && !used_m[j] {
                used_t[i] = true;
                used_m[j] = true;
                self.pairs.push((i, j));
            }
        }
        for (i, t) in truth.iter().enumerate() {
            if t.area >= min_area {
                self.truth += 1;
                self.found += used_t[i] as usize;
            }
        }
        for (j, m) in measured.iter().enumerate() {
            if m.area >= min_area {
                self.detected += 1;
                self.correct += used_m[j] as usize;
            }
        }
        for &(i, j) in &self.pairs {
            let (t, m) = (&truth[i], &measured[j]);
            if t.area < min_area {
                continue;
            }
            self.slope.push(m.slope - t.slope);
            if let (Some(ta), Some(ma), true) = (t.aspect, m.aspect, t.slope >= 10.0) {
                self.aspect.push((ma - ta + 540.0).rem_euclid(360.0) - 180.0);
            }
            self.area.push((m.area - t.area) / t.area);
            self.eave.push(m.eave - t.eave);
            self.ridge.push(m.ridge - t.ridge);
        }
    }

    /// Found true faces / true faces.
    pub fn completeness(&self) -> f64 {
        self.found as f64 / self.truth.max(1) as f64
    }

    /// Correct measured faces / measured faces.
    pub fn correctness(&self) -> f64 {
        self.correct as f64 / self.detected.max(1) as f64
    }
}

/// Root mean square.
pub fn rmse(v: &[f64]) -> f64 {
    (v.iter().map(|e| e * e).sum::<f64>() / v.len().max(1) as f64).sqrt()
}

/// The `q` quantile (0–1) of the absolute values, nearest rank.
pub fn abs_quantile(v: &[f64], q: f64) -> f64 {
    let mut a: Vec<f64> = v.iter().map(|e| e.abs()).collect();
    if a.is_empty() {
        return 0.0;
    }
    a.sort_by(f64::total_cmp);
    let k = ((q * a.len() as f64).ceil() as usize).clamp(1, a.len()) - 1;
    a[k]
}

/// Largest absolute value.
pub fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, e| m.max(e.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_and_rmse() {
        let v = [1.0, -2.0, 3.0, -4.0];
        assert!((rmse(&v) - 7.5f64.sqrt()).abs() < 1e-12);
        assert_eq!(abs_quantile(&v, 0.5), 2.0);
        assert_eq!(abs_quantile(&v, 0.95), 4.0);
        assert_eq!(max_abs(&v), 4.0);
    }
}
