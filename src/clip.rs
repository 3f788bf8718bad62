//! Clipping polylines to an axis-aligned rectangle (Liang–Barsky), shared by the vector tile
//! encoder (tile square plus buffer) and the label placer (the visible image).

/// Clips a polyline to the rectangle `(min_x, min_y, max_x, max_y)`, splitting it wherever it
/// leaves; parts of fewer than two points are dropped.
pub fn clip_polyline(line: &[(f64, f64)], (min_x, min_y, max_x, max_y): (f64, f64, f64, f64)) -> Vec<Vec<(f64, f64)>> {
    let mut parts = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    for seg in line.windows(2) {
        let (a, b) = (seg[0], seg[1]);
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        let mut visible = true;
        for (p, q) in [(-dx, a.0 - min_x), (dx, max_x - a.0), (-dy, a.1 - min_y), (dy, max_y - a.1)] {
            if p == 0.0 {
                if q < 0.0 {
                    visible = false;
                }
            } else {
                let t = q / p;
                if p < 0.0 {
                    t0 = t0.max(t);
                } else {
                    t1 = t1.min(t);
                }
            }
        }
        if !visible || t0 > t1 {
            if current.len() > 1 {
                parts.push(std::mem::take(&mut current));
            }
            current.clear();
            continue;
        }
        let start = (a.0 + t0 * dx, a.1 + t0 * dy);
        let end = (a.0 + t1 * dx, a.1 + t1 * dy);
        if current.is_empty() || t0 > 0.0 {
            if current.len() > 1 {
                parts.push(std::mem::take(&mut current));
            }
            current.clear();
            current.push(start);
        }
        current.push(end);
        if t1 < 1.0 {
            parts.push(std::mem::take(&mut current));
        }
    }
    if current.len() > 1 {
        parts.push(current);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_where_they_leave_and_vanish_outside() {
        let r = (0.0, 0.0, 100.0, 100.0);
        assert_eq!(clip_polyline(&[(-100.0, 50.0), (50.0, 50.0), (300.0, 50.0)], r), vec![vec![(0.0, 50.0), (50.0, 50.0), (100.0, 50.0)]]);
        assert!(clip_polyline(&[(-10.0, -10.0), (-5.0, -5.0)], r).is_empty());
        // Out through the top and back in: two parts.
        let parts = clip_polyline(&[(10.0, 10.0), (10.0, 200.0), (20.0, 200.0), (20.0, 10.0)], r);
        assert_eq!(parts.len(), 2);
    }
}
