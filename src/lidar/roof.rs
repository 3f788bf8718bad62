//! One building: its footprint and points → its measured faces ([`roof_faces`]).

use geo::{Area, Contains, Polygon};

use super::partition::{self, Frame, Raster, CELL};
use super::planes::{self, Params};
use super::{slope_aspect, Face, Point, CLASS_BUILDING, CLASS_GROUND};

/// Whether an ASPRS class is vegetation (low, medium, high).
pub fn is_vegetation(class: u8) -> bool {
    (3..=5).contains(&class)
}

/// The measured faces of one building, largest first. `pts` are the building's points (roof
/// points; ground, noise and vegetation classes are left out of the fit and vegetation is
/// counted over the faces).
pub fn roof_faces(footprint: &Polygon<f64>, pts: &[Point], params: &Params) -> Vec<Face> {
    let area = footprint.unsigned_area();
    if area <= 0.0 {
        return Vec::new();
    }
    let frame = Frame::of(footprint);
    let local_fp = frame.polygon_to_local(footprint);
    let to_local = |p: &Point| {
        let (u, v) = frame.to_local(p.x, p.y);
        [u, v, p.z]
    };
    let roof: Vec<[f64; 3]> = pts.iter().filter(|p| fits(p.class)).map(to_local).collect();
    let density = roof.len() as f64 / area;
    let found = planes::detect(&roof, density, params);
    if found.regions.is_empty() {
        return Vec::new();
    }
    let planes: Vec<_> = found.regions.iter().map(|r| r.plane).collect();
    let mut raster = Raster::over(&local_fp, CELL);
    let spacing = 1.0 / density.max(0.5).sqrt();
    let meets = partition::label(&mut raster, &roof, &found.labels, &planes, spacing, params.min_face_m2);
    let outlines = partition::outlines(&raster, &frame, footprint, 0.6 * CELL, Some(&meets));

    // Points over each face that fit none: clutter, or vegetation.
    let unfitted: Vec<(&Point, [f64; 3])> = {
        let mut fitted = found.labels.iter();
        pts.iter()
            .filter(|p| p.class != CLASS_GROUND && p.class != 7)
            .filter(|p| !fits(p.class) || fitted.next().is_some_and(|l| l.is_none()))
            .map(|p| (p, to_local(p)))
            .collect()
    };
    let mut faces: Vec<Face> = outlines
        .into_iter()
        .filter(|(l, mp)| *l >= 0 && mp.unsigned_area() > 0.0)
        .map(|(l, outline)| {
            let region = &found.regions[l as usize];
            let plane = region.plane;
            let (wx, wy) = frame.dir_to_world(plane.n[0], plane.n[1]);
            let (slope, aspect) = slope_aspect([wx, wy, plane.n[2]]);
            let (mut eave, mut ridge) = (f64::MAX, f64::MIN);
            for c in outline.0.iter().flat_map(|p| p.exterior().0.iter()) {
                let (u, v) = frame.to_local(c.x, c.y);
                let z = plane.z_at(u, v);
                eave = eave.min(z);
                ridge = ridge.max(z);
            }
            let (mut clutter, mut vegetation) = (0, 0);
            for (p, q) in &unfitted {
                if plane.distance(*q) > 0.3 && outline.contains(&geo::Point::new(p.x, p.y)) {
                    if is_vegetation(p.class) {
                        vegetation += 1;
                    } else {
                        clutter += 1;
                    }
                }
            }
            Face {
                area: outline.unsigned_area() / slope.to_radians().cos(),
                outline,
                slope,
                aspect,
                eave,
                ridge,
                rms: region.rms,
                points: region.members.len(),
                clutter,
                vegetation,
            }
        })
        .collect();
    faces.sort_by(|a, b| b.area.total_cmp(&a.area));
    faces
}

/// Height above the ground (m) from which an unclassified point inside a footprint is roof.
pub const MIN_ROOF_HEIGHT: f64 = 2.0;

/// A building's points and its ground.
#[derive(Clone, Debug, Default)]
pub struct BuildingPoints {
    /// The roof points (with vegetation over the roof, for counting).
    pub roof: Vec<Point>,
    /// The ground level (m): the 10th percentile of the ground points around (class 2 in a
    /// classified survey, every point outside the footprint otherwise); `None` when none is
    /// around.
    pub ground: Option<f64>,
}

/// The points of one building from the survey points around it: those inside the footprint
/// that are classified building (6) or vegetation (3–5) when the survey has a building class;
/// otherwise those at least [`MIN_ROOF_HEIGHT`] above the ground (or above the lowest point
/// inside when nothing is around). Noise (7, 18) is left out.
pub fn building_points(footprint: &Polygon<f64>, pts: &[Point]) -> BuildingPoints {
    let classified = pts.iter().any(|p| p.class == CLASS_BUILDING);
    let noise = |p: &&Point| p.class == 7 || p.class == 18;
    let (inside, outside): (Vec<Point>, Vec<Point>) =
        pts.iter().filter(|p| !noise(p)).partition(|p| footprint.contains(&geo::Point::new(p.x, p.y)));
    let mut around: Vec<f64> = outside.iter().filter(|p| !classified || p.class == CLASS_GROUND).map(|p| p.z).collect();
    around.sort_by(f64::total_cmp);
    let ground = around.get(around.len() / 10).copied();
    if classified {
        let roof = inside.into_iter().filter(|p| p.class == CLASS_BUILDING || is_vegetation(p.class)).collect();
        return BuildingPoints { roof, ground };
    }
    let Some(base) = ground.or_else(|| inside.iter().map(|p| p.z).min_by(f64::total_cmp)) else { return BuildingPoints::default() };
    BuildingPoints { roof: inside.into_iter().filter(|p| p.z >= base + MIN_ROOF_HEIGHT).collect(), ground }
}

/// Whether a point of this class takes part in the plane fit.
fn fits(class: u8) -> bool {
    !(is_vegetation(class) || class == CLASS_GROUND || class == 7 || class == 18)
}
