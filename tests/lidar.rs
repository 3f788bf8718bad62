//! Roof planes from a synthetic airborne survey, measured against its truth (issue 16's
//! accuracy thresholds, on a fixed-seed subset of the suite; `make bench` runs all of it).
//!
//! Every roof shape of `demo::lidar` (flat, shed, gable, hip, mansard, L cross gable, dormers,
//! chimneys) at 4, 10, 20 and 55 pts/m², σz 3 and 5 cm, 5 cm planimetric noise, outliers and
//! overhanging trees; faces of at least 10 m² are scored.

use geo::{Area, BooleanOps};
use navigli::demo::lidar::{synth_building, Flight, RoofShape, SynthBuilding};
use navigli::lidar::eval::{abs_quantile, max_abs, rmse, Tally};
use navigli::lidar::planes::Params;
use navigli::lidar::roof::building_points;
use navigli::lidar::roof_faces;

const CENTRE: (f64, f64) = (515_000.0, 5_035_000.0);

fn building(shape: RoofShape, flight: &Flight, seed: u64) -> SynthBuilding {
    let rotation = (seed as f64 * 37.0 + shape as u64 as f64 * 11.0) % 360.0;
    synth_building(shape, CENTRE, rotation, flight, seed)
}

fn measure(b: &SynthBuilding) -> Vec<navigli::lidar::Face> {
    roof_faces(&b.footprint, &building_points(&b.footprint, &b.points), &Params::default())
}

fn tally(flight: &Flight, seeds: std::ops::Range<u64>) -> Tally {
    let mut t = Tally::default();
    for seed in seeds {
        for shape in RoofShape::ALL {
            let b = building(shape, flight, seed);
            t.add(&b.truth, &measure(&b), 10.0);
        }
    }
    t
}

fn check(name: &str, t: &Tally, low_density: bool) {
    let report = format!(
        "{name}: completeness {:.3} correctness {:.3} slope rmse {:.2}° max {:.2}° aspect rmse {:.2}° area median {:.3} p95 {:.3} eave rmse {:.3} m ridge rmse {:.3} m ({} faces)",
        t.completeness(),
        t.correctness(),
        rmse(&t.slope),
        max_abs(&t.slope),
        rmse(&t.aspect),
        abs_quantile(&t.area, 0.5),
        abs_quantile(&t.area, 0.95),
        rmse(&t.eave),
        rmse(&t.ridge),
        t.truth
    );
    println!("{report}");
    let (detection, slope) = if low_density { (0.95, 1.0) } else { (0.98, 0.5) };
    assert!(t.truth >= 16, "{report}");
    assert!(t.completeness() >= detection && t.correctness() >= detection, "{report}");
    assert!(rmse(&t.slope) <= slope && max_abs(&t.slope) <= 2.0, "{report}");
    assert!(rmse(&t.aspect) <= 1.0, "{report}");
    assert!(abs_quantile(&t.area, 0.5) <= 0.03 && abs_quantile(&t.area, 0.95) <= 0.08, "{report}");
    assert!(rmse(&t.eave) <= 0.10 && rmse(&t.ridge) <= 0.10, "{report}");
}

#[test]
fn accuracy_at_4_pts_per_m2() {
    check("4 pts/m², σz 5 cm", &tally(&Flight { density: 4.0, sigma_z: 0.05, ..Flight::default() }, 1..4), true);
}

#[test]
fn accuracy_at_10_pts_per_m2() {
    check("10 pts/m², σz 5 cm", &tally(&Flight { density: 10.0, sigma_z: 0.05, ..Flight::default() }, 1..3), false);
}

#[test]
fn accuracy_at_20_pts_per_m2() {
    check("20 pts/m², σz 3 cm", &tally(&Flight { density: 20.0, sigma_z: 0.03, ..Flight::default() }, 1..3), false);
}

#[test]
fn accuracy_at_55_pts_per_m2() {
    check("55 pts/m², σz 5 cm", &tally(&Flight { density: 55.0, sigma_z: 0.05, ..Flight::default() }, 1..2), false);
}

#[test]
fn accuracy_of_an_unclassified_survey() {
    // Every point class 1: ground and roof told apart by height, trees left unfitted.
    let flight = Flight { density: 10.0, sigma_z: 0.05, classified: false, ..Flight::default() };
    check("10 pts/m², unclassified", &tally(&flight, 3..5), false);
}

#[test]
fn faces_tile_the_footprint() {
    let flight = Flight { density: 10.0, ..Flight::default() };
    for shape in RoofShape::ALL {
        let b = building(shape, &flight, 11);
        let faces = measure(&b);
        let fp = b.footprint.unsigned_area();
        let sum: f64 = faces.iter().map(|f| f.outline.unsigned_area()).sum();
        assert!((sum - fp).abs() <= 1e-3 * fp, "{shape:?}: faces {sum:.2} m² vs footprint {fp:.2} m²");
        for (i, f) in faces.iter().enumerate() {
            assert!((f.area - f.outline.unsigned_area() / f.slope.to_radians().cos()).abs() < 1e-6);
            for g in &faces[i + 1..] {
                let overlap = f.outline.intersection(&g.outline).unsigned_area();
                assert!(overlap < 1e-3, "{shape:?}: faces overlap by {overlap} m²");
            }
        }
    }
}

#[test]
fn flat_faces_have_no_aspect_and_clutter_is_counted() {
    let flight = Flight { density: 20.0, ..Flight::default() };
    let flat = measure(&building(RoofShape::Flat, &flight, 2));
    assert_eq!(flat.len(), 1);
    assert!(flat[0].slope < 5.0 && flat[0].aspect.is_none(), "{:?}", flat[0].aspect);
    let mansard = measure(&building(RoofShape::Mansard, &flight, 2));
    assert_eq!(mansard.iter().filter(|f| f.aspect.is_none()).count(), 1, "the mansard's top is flat");
    // Two chimneys stand on the hip roof: their points fit no face and are counted over one.
    let chimneys = measure(&building(RoofShape::Chimneys, &flight, 2));
    let clutter: usize = chimneys.iter().map(|f| f.clutter).sum();
    assert!(clutter >= 10, "chimney points over the faces: {clutter}");
    let hip = measure(&building(RoofShape::Hip, &Flight { trees: false, outliers: 0.0, ..flight }, 2));
    assert_eq!(hip.iter().map(|f| f.clutter + f.vegetation).sum::<usize>(), 0, "a clean hip roof has no clutter");
}

#[test]
fn overhanging_trees_are_vegetation_not_faces() {
    // Find a seed whose building has a tree over its roof, then check its canopy is counted.
    let flight = Flight { density: 20.0, ..Flight::default() };
    let mut seen = 0;
    for seed in 1..12 {
        let b = building(RoofShape::Gable, &flight, seed);
        let canopy = building_points(&b.footprint, &b.points).iter().filter(|p| p.class == 5).count();
        if canopy < 20 {
            continue;
        }
        seen += 1;
        let faces = measure(&b);
        assert_eq!(faces.len(), 2, "seed {seed}: the canopy made no face");
        let vegetation: usize = faces.iter().map(|f| f.vegetation).sum();
        assert!(vegetation * 2 >= canopy, "seed {seed}: {vegetation} of {canopy} canopy points counted");
    }
    assert!(seen >= 2, "the suite has trees over roofs ({seen})");
}

#[test]
fn detection_is_deterministic() {
    let b = building(RoofShape::CrossGable, &Flight::default(), 5);
    let (one, two) = (measure(&b), measure(&b));
    assert_eq!(one.len(), two.len());
    for (a, c) in one.iter().zip(&two) {
        assert_eq!(a.outline, c.outline);
        assert_eq!((a.slope, a.aspect, a.area, a.points), (c.slope, c.aspect, c.area, c.points));
    }
    // The points' order does not matter either.
    let mut reversed = b.clone();
    reversed.points.reverse();
    let three = measure(&reversed);
    assert_eq!(one.len(), three.len());
    for (a, c) in one.iter().zip(&three) {
        assert!((a.slope - c.slope).abs() < 1e-9 && (a.area - c.area).abs() < 1e-6, "{} vs {}", a.area, c.area);
    }
}
