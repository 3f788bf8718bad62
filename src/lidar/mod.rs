//! From an airborne laser survey to measured roof planes (`navigli lidar import`).
//!
//! The pipeline, per DBT building (its footprint and its points):
//! 1. [`planes::detect`]: normals by PCA on each point's nearest neighbours, region growing from
//!    the flattest seeds, merging of coplanar neighbouring regions, robust plane refits and a
//!    final reassignment of every point to the best-fitting neighbouring plane;
//! 2. [`partition::partition`]: the faces as a **partition of the footprint** — a raster in the
//!    building's own frame labelled by the planes (at a ridge or hip the lower plane wins, at a
//!    valley the higher, at a vertical step the nearest point), traced into rings whose shared
//!    boundaries are simplified once so neighbouring faces tile exactly, then clipped to the
//!    footprint;
//! 3. per face: slope, aspect (none below 5°), sloped area = planimetric area / cos slope,
//!    eave and ridge heights, fit RMS, point count and clutter counts ([`Face`]).
//!
//! [`eval`] measures detected faces against the truth of a synthetic survey (completeness,
//! correctness, slope, aspect, area and height errors); `demo::lidar` generates such surveys.
//! Everything is single-threaded per building and deterministic: the same points give the same
//! faces whatever the thread count.

pub mod eval;
pub mod import;
pub mod las;
pub mod linalg;
pub mod partition;
pub mod planes;
pub mod roof;

pub use roof::roof_faces;

use geo::MultiPolygon;

/// One survey point (projected coordinates in metres, ASPRS class).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Easting (m).
    pub x: f64,
    /// Northing (m).
    pub y: f64,
    /// Height (m).
    pub z: f64,
    /// ASPRS classification (1 unclassified, 2 ground, 3–5 vegetation, 6 building, 7 noise).
    pub class: u8,
}

/// ASPRS class of ground points.
pub const CLASS_GROUND: u8 = 2;
/// ASPRS class of building points.
pub const CLASS_BUILDING: u8 = 6;
/// Below this slope (degrees) a face is flat and has no aspect.
pub const FLAT_DEG: f64 = 5.0;

/// A measured (or true) roof face.
#[derive(Clone, Debug)]
pub struct Face {
    /// The face's outline, in the survey's coordinates (planimetric).
    pub outline: MultiPolygon<f64>,
    /// Slope in degrees from horizontal.
    pub slope: f64,
    /// Downslope direction in degrees clockwise from north; `None` for flat faces.
    pub aspect: Option<f64>,
    /// Sloped (true) area in m²: the outline's area / cos(slope).
    pub area: f64,
    /// Lowest height of the face (m).
    pub eave: f64,
    /// Highest height of the face (m).
    pub ridge: f64,
    /// Root-mean-square distance of its points to the plane (m); 0 for a true face.
    pub rms: f64,
    /// Points fitted.
    pub points: usize,
    /// Points above the face that belong to no face (chimneys, dormers, antennas).
    pub clutter: usize,
    /// Vegetation points above the face (classes 3–5, or unfitted scattered points).
    pub vegetation: usize,
}

/// Slope (degrees) and aspect (degrees clockwise from north, `None` when flat) of a plane with
/// upward unit normal `n` (east, north, up).
pub fn slope_aspect(n: [f64; 3]) -> (f64, Option<f64>) {
    let slope = n[2].clamp(-1.0, 1.0).acos().to_degrees();
    // The normal leans towards the downslope side.
    let aspect = (slope >= FLAT_DEG).then(|| n[0].atan2(n[1]).to_degrees().rem_euclid(360.0));
    (slope, aspect)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slope_and_aspect_of_normals() {
        let s = 30f64.to_radians();
        // A face going down to the south leans its normal south.
        let (slope, aspect) = slope_aspect([0.0, -s.sin(), s.cos()]);
        assert!((slope - 30.0).abs() < 1e-9);
        assert!((aspect.unwrap() - 180.0).abs() < 1e-9);
        let (_, east) = slope_aspect([s.sin(), 0.0, s.cos()]);
        assert!((east.unwrap() - 90.0).abs() < 1e-9);
        assert_eq!(slope_aspect([0.02, 0.0, 1.0]).1, None);
    }
}
