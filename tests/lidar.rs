//! Roof planes from a synthetic airborne survey, measured against its truth (issue 16's
//! accuracy thresholds, on a fixed-seed subset of the suite; `make bench` runs all of it).
//!
//! Every roof shape of `demo::lidar` (flat, shed, gable, hip, mansard, L cross gable, dormers,
//! chimneys) at 4, 10, 20 and 55 pts/m², σz 3 and 5 cm, 5 cm planimetric noise, outliers and
//! overhanging trees; faces of at least 10 m² are scored.

mod common;

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
    roof_faces(&b.footprint, &building_points(&b.footprint, &b.points).roof, &Params::default())
}

/// Yearly kWh of a face by the roof model (unshaded).
fn kwh(roofs: &navigli::roofs::Roofs, f: &navigli::lidar::Face) -> f64 {
    let input =
        navigli::roofs::PlaneInput { slope: f.slope, aspect: f.aspect.unwrap_or(180.0), area_m2: f.area, shading: 0.0, main_home: true };
    roofs.evaluate(&input, &Default::default()).solar.annual_kwh
}

/// The suite's errors, and the relative error of each matched face's yearly kWh.
fn tally(flight: &Flight, seeds: std::ops::Range<u64>) -> (Tally, Vec<f64>) {
    let roofs = navigli::roofs::Roofs::new(&Default::default());
    let mut t = Tally::default();
    let mut energy = Vec::new();
    for seed in seeds {
        for shape in RoofShape::ALL {
            let b = building(shape, flight, seed);
            let faces = measure(&b);
            t.add(&b.truth, &faces, 10.0);
            for &(i, j) in &t.pairs {
                let truth = kwh(&roofs, &b.truth[i]);
                if b.truth[i].area >= 10.0 && truth > 0.0 {
                    energy.push((kwh(&roofs, &faces[j]) - truth) / truth);
                }
            }
        }
    }
    (t, energy)
}

fn check(name: &str, (t, energy): &(Tally, Vec<f64>), low_density: bool) {
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
    let report = format!("{report}; kWh/yr median {:.3} p95 {:.3}", abs_quantile(energy, 0.5), abs_quantile(energy, 0.95));
    println!("{report}");
    assert!(!energy.is_empty() && abs_quantile(energy, 0.5) <= 0.02 && abs_quantile(energy, 0.95) <= 0.05, "{report}");
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
        let canopy = building_points(&b.footprint, &b.points).roof.iter().filter(|p| p.class == 5).count();
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

// ---- Real airborne samples (../shared/data/lidar, from laspy's BSD-licensed test data) ----

fn samples() -> Option<std::path::PathBuf> {
    let dir = common::root().join("../shared/data/lidar");
    if dir.join("simple.las").exists() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: {} is absent (outside the navigli workspace)", dir.display());
        None
    }
}

#[test]
fn samples_read_as_laspy_reads_them() {
    let Some(dir) = samples() else { return };
    let files = ["autzen_trim.laz", "nebraska_buildings_ft.las", "simple.las", "simple.laz"];
    let python = common::pyvenv("laspy, lazrs");
    let out = std::process::Command::new(python)
        .arg(common::root().join("tests/fixtures/laspy_facts.py"))
        .args(files.iter().map(|f| dir.join(f)))
        .output()
        .expect("run laspy");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let facts: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for f in files {
        let path = dir.join(f);
        let want = &facts[path.to_str().unwrap()];
        let mut s = navigli::lidar::las::Survey::open(&path).unwrap();
        let i = s.info.clone();
        assert_eq!(i.points, want["points"].as_u64().unwrap(), "{f}");
        assert_eq!(serde_json::json!([i.version.0, i.version.1]), want["version"], "{f}");
        assert_eq!(u64::from(i.point_format), want["point_format"].as_u64().unwrap(), "{f}");
        assert_eq!(i.compressed, f.ends_with(".laz"), "{f}");
        for k in 0..3 {
            let close = |a: f64, b: &serde_json::Value| (a - b.as_f64().unwrap()).abs() <= 1e-9 * a.abs().max(1.0);
            assert!(close(i.bounds.0[k], &want["mins"][k]), "{f} min {k}: {} vs {}", i.bounds.0[k], want["mins"][k]);
            assert!(close(i.bounds.1[k], &want["maxs"][k]), "{f} max {k}: {} vs {}", i.bounds.1[k], want["maxs"][k]);
            assert_eq!(i.scale[k], want["scales"][k].as_f64().unwrap(), "{f} scale {k}");
            assert_eq!(i.offset[k], want["offsets"][k].as_f64().unwrap(), "{f} offset {k}");
        }
        assert_eq!(i.wkt.is_some(), want["has_wkt"].as_bool().unwrap(), "{f}");
        assert_eq!(i.geotiff_projected.map(u64::from), want["geotiff_epsg"].as_u64(), "{f}");
        // Decoded points in file units (undo the metre factors) agree with laspy's.
        let pts = s.read_all().unwrap();
        let (ku, kz) = (i.xy_unit, i.z_unit);
        let sums =
            pts.iter().fold([0.0, 0.0, 0.0, 0.0], |a, p| [a[0] + p.x / ku, a[1] + p.y / ku, a[2] + p.z / kz, a[3] + f64::from(p.class)]);
        for k in 0..3 {
            let w = want["sum"][k].as_f64().unwrap();
            assert!((sums[k] - w).abs() <= 1e-9 * w.abs().max(1.0) + 1e-3, "{f} sum {k}: {} vs {w}", sums[k]);
        }
        assert_eq!(sums[3], want["sum"][3].as_f64().unwrap(), "{f} classes");
        for (p, w) in pts.iter().zip(want["first"].as_array().unwrap()) {
            assert!((p.x / ku - w[0].as_f64().unwrap()).abs() < 1e-6 && (p.z / kz - w[2].as_f64().unwrap()).abs() < 1e-6, "{f}");
            assert_eq!(u64::from(p.class), w[3].as_u64().unwrap(), "{f}");
        }
    }
    // The CRS facts navigli takes from the headers.
    let neb = navigli::lidar::las::Survey::open(&dir.join("nebraska_buildings_ft.las")).unwrap().info;
    // Its WKT (ESRI style) names no authority, and its GeoTIFF key (32104, in metres) is stale.
    assert_eq!(neb.epsg, None);
    assert!(neb.wkt.as_deref().is_some_and(|w| w.contains("Nebraska")));
    assert!((neb.xy_unit - 1200.0 / 3937.0).abs() < 1e-12 && (neb.z_unit - 1200.0 / 3937.0).abs() < 1e-12, "US survey feet");
    let autzen = navigli::lidar::las::Survey::open(&dir.join("autzen_trim.laz")).unwrap().info;
    assert!((autzen.xy_unit - 0.3048).abs() < 1e-9, "international feet: {}", autzen.xy_unit);
}

#[test]
fn las_and_laz_twins_decode_identically() {
    let Some(dir) = samples() else { return };
    let a = navigli::lidar::las::Survey::open(&dir.join("simple.las")).unwrap().read_all().unwrap();
    let b = navigli::lidar::las::Survey::open(&dir.join("simple.laz")).unwrap().read_all().unwrap();
    assert_eq!(a.len(), 1065);
    assert_eq!(a, b);
}

#[test]
fn nebraska_roof_planes() {
    // A real 18 × 12 m clip (≈ 114 pts/m², US survey feet): about five roof planes of 17–23°.
    let Some(dir) = samples() else { return };
    let pts = navigli::lidar::las::Survey::open(&dir.join("nebraska_buildings_ft.las")).unwrap().read_all().unwrap();
    let roof: Vec<_> = pts.iter().filter(|p| p.class == 6).copied().collect();
    assert_eq!(roof.len(), 3737);
    // No footprint comes with the clip: the buildings' points' bounding box stands for it.
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for p in &roof {
        (x0, y0, x1, y1) = (x0.min(p.x), y0.min(p.y), x1.max(p.x), y1.max(p.y));
    }
    let footprint = geo::Polygon::new(geo::LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]), vec![]);
    let faces = roof_faces(&footprint, &roof, &Params::default());
    for f in &faces {
        println!(
            "slope {:.1}° aspect {:?} area {:.1} m² rms {:.3} m points {}",
            f.slope,
            f.aspect.map(|a| a.round()),
            f.area,
            f.rms,
            f.points
        );
    }
    // The three well-sampled pitches (aspects ≈ 0°, 180°, 270°); WhiteboxTools'
    // lidar_rooftop_analysis on the same class-6 points and box finds two of them (17°/358°,
    // 22°/268°). The "≥ 4 planes of 17–23°" is not in this clip as measured: its
    // remaining building points are façades (slopes ≈ 88°, RMS 0.1–0.15 m), left unfitted.
    for aspect in [0.0f64, 180.0, 270.0] {
        let face = faces.iter().find(|f| f.aspect.is_some_and(|a| ((a - aspect + 540.0) % 360.0 - 180.0).abs() <= 5.0) && f.points >= 200);
        let face = face.unwrap_or_else(|| panic!("no pitch facing {aspect}°"));
        assert!((16.5..=23.0).contains(&face.slope), "facing {aspect}°: slope {:.1}°", face.slope);
        assert!(face.rms <= 0.05, "facing {aspect}°: fit RMS {:.3} m", face.rms);
    }
    let walls = pts.iter().filter(|p| p.class == 6).count() - faces.iter().map(|f| f.points).sum::<usize>();
    assert!(walls > 0 && faces.iter().all(|f| f.slope < 75.0), "façade points are no face");
}

// ---- Survey → import → roofs compute, on a copy of the demo GeoPackage ----

/// Reads the planes of the given buildings from a GeoPackage: (building, outline, slope,
/// aspect, area) for rows whose `fonte` is as asked (`None`: the demo's own).
fn gpkg_planes(path: &std::path::Path, lidar: bool) -> Vec<(i64, geo::MultiPolygon<f64>, f64, f64, f64)> {
    use geozero::ToGeo;
    let conn = rusqlite::Connection::open(path).unwrap();
    let has_fonte = conn.prepare("SELECT fonte FROM falde LIMIT 1").is_ok();
    let sql = match (has_fonte, lidar) {
        (true, true) => "SELECT edificio_fid, geom, pendenza, esposizione, area_m2 FROM falde WHERE fonte = 'lidar' ORDER BY fid",
        (true, false) => "SELECT edificio_fid, geom, pendenza, esposizione, area_m2 FROM falde WHERE fonte IS NULL ORDER BY fid",
        (false, _) => "SELECT edificio_fid, geom, pendenza, esposizione, area_m2 FROM falde ORDER BY fid",
    };
    let mut st = conn.prepare(sql).unwrap();
    let rows = st
        .query_map([], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?, r.get::<_, f64>(2)?, r.get::<_, f64>(3)?, r.get::<_, f64>(4)?))
        })
        .unwrap()
        .map(|r| r.unwrap())
        .filter_map(|(b, blob, s, a, area)| {
            let wkb = navigli::source::gpkg::gpkg_wkb(&blob)?.to_vec();
            match geozero::wkb::Wkb(wkb).to_geo().ok()? {
                geo::Geometry::MultiPolygon(mp) => Some((b, mp, s, a, area)),
                _ => None,
            }
        })
        .collect();
    rows
}

#[test]
fn a_demo_survey_imports_into_measured_planes() {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("demo.gpkg");
    std::fs::copy(common::demo_gpkg(), &gpkg).unwrap();
    let survey = navigli::demo::lidar::DemoSurvey { comune: "015118".into(), size: 300.0, tile: 150.0, ..Default::default() };
    let flown = navigli::demo::lidar::survey_gpkg(&gpkg, &dir.path().join("lidar"), &survey).unwrap();
    assert_eq!(flown.files.len(), 4, "four 150 m tiles");
    assert!(flown.buildings >= 8, "buildings in the block: {}", flown.buildings);
    let truth_csv = std::fs::read_to_string(dir.path().join("lidar/truth.csv")).unwrap();
    assert_eq!(truth_csv.lines().count(), flown.planes + 1, "truth.csv has every flown plane");
    let truth = gpkg_planes(&gpkg, false);
    let heights: std::collections::HashMap<i64, f64> = {
        let conn = rusqlite::Connection::open(&gpkg).unwrap();
        let mut st = conn.prepare("SELECT fid, \"UN_VOL_AV\" FROM edifici").unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(|r| r.unwrap()).collect()
    };

    let opts = navigli::lidar::import::ImportOptions {
        files: flown.files.clone(),
        name: Some("demo".into()),
        date: Some("2023-05-01".into()),
        threads: 2,
        ..Default::default()
    };
    let target = navigli::roofs::compute::Target::Gpkg(gpkg.clone());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let report = rt.block_on(navigli::lidar::import::import(&target, &opts, &Params::default())).unwrap();
    println!("{report:?}");
    assert_eq!(report.points as usize, flown.points);
    assert_eq!(report.buildings, flown.buildings, "the buildings wholly inside the block are surveyed, no other");
    assert!(report.measured >= report.buildings - 1, "{report:?}");

    // The measured planes against the demo's own (the truth): same matching as the suite.
    let measured = gpkg_planes(&gpkg, true);
    let to_face = |(_, outline, slope, aspect, area): &(i64, geo::MultiPolygon<f64>, f64, f64, f64)| navigli::lidar::Face {
        outline: outline.clone(),
        slope: *slope,
        aspect: (*slope >= 5.0).then_some(*aspect),
        area: *area,
        eave: 0.0,
        ridge: 0.0,
        rms: 0.0,
        points: 0,
        clutter: 0,
        vegetation: 0,
    };
    let mut t = Tally::default();
    let mut eave_errors = Vec::new();
    let conn = rusqlite::Connection::open(&gpkg).unwrap();
    let mut st = conn.prepare("SELECT fid, \"UN_VOL_AV\", lidar, rilievo FROM edifici WHERE lidar IS NOT NULL").unwrap();
    let flagged: Vec<(i64, f64, String, i64)> =
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap().map(|r| r.unwrap()).collect();
    assert_eq!(flagged.len(), report.buildings);
    for (fid, height, state, rilievo) in &flagged {
        assert_eq!(*rilievo, report.survey_id);
        if state != "misurato" {
            continue;
        }
        let tf: Vec<_> = truth.iter().filter(|p| p.0 == *fid).map(to_face).collect();
        let mf: Vec<_> = measured.iter().filter(|p| p.0 == *fid).map(to_face).collect();
        assert!(!mf.is_empty());
        t.add(&tf, &mf, 10.0);
        eave_errors.push(height - heights[fid]);
    }
    println!(
        "demo block: {} of {} true faces found, {} of {} measured correct; slope rmse {:.2}°, area p95 {:.3}, eave height rmse {:.3} m",
        t.found,
        t.truth,
        t.correct,
        t.detected,
        rmse(&t.slope),
        abs_quantile(&t.area, 0.95),
        rmse(&eave_errors)
    );
    assert!(t.truth >= 8 && t.completeness() >= 0.95 && t.correctness() >= 0.95);
    assert!(rmse(&t.slope) <= 0.5 && abs_quantile(&t.area, 0.5) <= 0.03 && abs_quantile(&t.area, 0.95) <= 0.08);
    assert!(rmse(&eave_errors) <= 0.10, "eave heights (UN_VOL_AV) within 10 cm");

    // The lineage, then the roof model runs unchanged on measured planes.
    let (name, date, density): (String, String, f64) = conn
        .query_row("SELECT nome, data, densita FROM rilievi_lidar WHERE id = ?1", [report.survey_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!((name.as_str(), date.as_str()), ("demo", "2023-05-01"));
    assert!((8.0..12.0).contains(&density), "roof density {density}");
    drop(st);
    // Only the block's buildings stay (roofs compute on the whole demo takes long in a debug
    // build): the rest of the table is not what this test is about.
    conn.execute_batch(
        "DELETE FROM rtree_falde_geom WHERE id IN (SELECT fid FROM falde WHERE edificio_fid NOT IN (SELECT fid FROM edifici WHERE lidar IS NOT NULL)); \
         DELETE FROM falde WHERE edificio_fid NOT IN (SELECT fid FROM edifici WHERE lidar IS NOT NULL);",
    )
    .unwrap();
    drop(conn);
    let roofs = navigli::roofs::Roofs::new(&Default::default());
    rt.block_on(navigli::roofs::compute::compute(&roofs, &target)).unwrap();
    let conn = rusqlite::Connection::open(&gpkg).unwrap();
    let unfilled: i64 = conn.query_row("SELECT count(*) FROM falde WHERE fonte = 'lidar' AND kwh_anno IS NULL", [], |r| r.get(0)).unwrap();
    assert_eq!(unfilled, 0, "roofs compute evaluates the measured planes");
}

#[test]
fn an_import_into_postgis_measures_and_flags() {
    // A fresh database: the migrations, three synthetic buildings (one the survey misses),
    // their survey as LAZ, the import; then falde, edifici and the lineage as written.
    let Some(url) = common::demo_postgis() else { return };
    let (base, _) = url.rsplit_once('/').unwrap();
    let db = format!("navigli_lidar_{}", std::process::id());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let admin = navigli::migrate::connect(url).await.unwrap();
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db}")).await.unwrap();
        admin.batch_execute(&format!("CREATE DATABASE {db}")).await.unwrap();
    });
    let db_url = format!("{base}/{db}");
    let flight = Flight { density: 10.0, ..Flight::default() };
    let shapes = [RoofShape::Hip, RoofShape::CrossGable, RoofShape::Gable];
    let built: Vec<SynthBuilding> = shapes
        .iter()
        .enumerate()
        .map(|(k, &s)| synth_building(s, (515_000.0 + 60.0 * k as f64, 5_035_000.0), 20.0 * k as f64, &flight, 3))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let laz = dir.path().join("survey.laz");
    // The third building is not flown.
    let points: Vec<_> = built[..2].iter().flat_map(|b| b.points.iter().copied()).collect();
    navigli::lidar::las::write(&laz, &points).unwrap();
    rt.block_on(async {
        navigli::migrate::run(&db_url).await.unwrap();
        let c = navigli::migrate::connect(&db_url).await.unwrap();
        for (k, b) in built.iter().enumerate() {
            use geozero::ToWkb;
            let wkb =
                geo::Geometry::MultiPolygon(geo::MultiPolygon(vec![b.footprint.clone()])).to_wkb(geozero::CoordDimensions::xy()).unwrap();
            c.execute(
                "INSERT INTO edifici (fid, geom, cod_istat, \"EDIFC_USO\", \"EDIFC_STAT\", \"EDIFC_TY\", \"UN_VOL_AV\", piani) \
                 VALUES ($1, ST_Multi(ST_SetSRID(ST_GeomFromWKB($2), 32632)), '015146', '01', '01', '01', 9.0, 3)",
                &[&(k as i64 + 1), &wkb],
            )
            .await
            .unwrap();
            c.execute(
                "INSERT INTO falde (fid, geom, cod_istat, edificio_fid, pendenza, esposizione, area_m2, altezza) \
                 SELECT $1, geom, cod_istat, fid, 30, 180, 100, 10 FROM edifici WHERE fid = $1",
                &[&(k as i64 + 1)],
            )
            .await
            .unwrap();
        }
    });
    let target = navigli::roofs::compute::Target::Postgis(db_url.clone());
    let opts = navigli::lidar::import::ImportOptions {
        files: vec![laz],
        crs: Some("EPSG:32632".into()),
        name: Some("prova".into()),
        ..Default::default()
    };
    let report = rt.block_on(navigli::lidar::import::import(&target, &opts, &Params::default())).unwrap();
    assert_eq!((report.buildings, report.measured, report.insufficient), (2, 2, 0), "{report:?}");
    let rows = rt.block_on(async {
        let c = navigli::migrate::connect(&db_url).await.unwrap();
        let faces = c
            .query(
                "SELECT edificio_fid, ST_AsBinary(geom), pendenza, esposizione, area_m2, fonte, rilievo, rms_m, punti FROM falde ORDER BY fid",
                &[],
            )
            .await
            .unwrap();
        let flags = c.query("SELECT fid, lidar, \"UN_VOL_AV\" FROM edifici ORDER BY fid", &[]).await.unwrap();
        let lineage: i64 = c.query_one("SELECT count(*) FROM rilievi_lidar WHERE nome = 'prova' AND crs = 'EPSG:32632'", &[]).await.unwrap().get(0);
        (faces, flags, lineage)
    });
    let (faces, flags, lineage) = rows;
    assert_eq!(lineage, 1);
    let state: Vec<Option<String>> = flags.iter().map(|r| r.get(1)).collect();
    assert_eq!(state, [Some("misurato".into()), Some("misurato".into()), None], "the unflown building is untouched");
    assert_eq!(flags[2].get::<_, f64>(2), 9.0);
    // The third building keeps its one old plane; the others have their measured ones.
    let kept: Vec<_> = faces.iter().filter(|r| r.get::<_, i64>(0) == 3).collect();
    assert_eq!(kept.len(), 1);
    assert!(kept[0].get::<_, Option<String>>(5).is_none());
    for (k, b) in built[..2].iter().enumerate() {
        use geozero::ToGeo;
        let measured: Vec<navigli::lidar::Face> = faces
            .iter()
            .filter(|r| r.get::<_, i64>(0) == k as i64 + 1)
            .map(|r| {
                assert_eq!(r.get::<_, Option<String>>(5).as_deref(), Some("lidar"));
                assert_eq!(r.get::<_, Option<i64>>(6), Some(report.survey_id));
                assert!(r.get::<_, Option<f64>>(7).unwrap() < 0.05 && r.get::<_, Option<i64>>(8).unwrap() > 100);
                let outline = match geozero::wkb::Wkb(r.get::<_, Vec<u8>>(1)).to_geo().unwrap() {
                    geo::Geometry::MultiPolygon(mp) => mp,
                    g => panic!("{g:?}"),
                };
                let slope: f64 = r.get(2);
                navigli::lidar::Face {
                    outline,
                    slope,
                    aspect: Some(r.get(3)),
                    area: r.get(4),
                    eave: 0.0,
                    ridge: 0.0,
                    rms: 0.0,
                    points: 0,
                    clutter: 0,
                    vegetation: 0,
                }
            })
            .collect();
        let mut t = Tally::default();
        t.add(&b.truth, &measured, 10.0);
        assert_eq!((t.found, t.truth, t.correct, t.detected), (t.truth, b.truth.len(), t.detected, measured.len()), "{:?}", b.shape);
        assert!(rmse(&t.slope) < 0.5 && abs_quantile(&t.area, 1.0) < 0.08, "{:?}: {:?} {:?}", b.shape, t.slope, t.area);
    }
    rt.block_on(async {
        let admin = navigli::migrate::connect(url).await.unwrap();
        admin.batch_execute(&format!("DROP DATABASE {db}")).await.unwrap();
    });
}
