//! The LIDAR benchmark's two halves (run by `bench/lidar-whitebox.sh`, not by `make test`):
//! `export` writes the synthetic suite (one LAZ, the footprints, the true faces) into
//! `$NAVIGLI_BENCH_DIR` and times navigli on it end to end (LAZ → faces, three runs);
//! `compare` scores navigli's and WhiteboxTools' faces against the same truth.

use std::path::PathBuf;
use std::time::Instant;

use geo::Area;
use navigli::demo::lidar::{synth_building, Flight, RoofShape};
use navigli::lidar::eval::{abs_quantile, max_abs, rmse, Tally};
use navigli::lidar::import::{survey_buildings, Building, ImportOptions};
use navigli::lidar::planes::Params;
use navigli::lidar::Face;
use serde_json::{json, Value};

fn dir() -> PathBuf {
    PathBuf::from(std::env::var("NAVIGLI_BENCH_DIR").expect("NAVIGLI_BENCH_DIR: the benchmark's folder"))
}

fn env(name: &str, default: f64) -> f64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn feature(geom: &geo::MultiPolygon<f64>, props: Value) -> Value {
    let rings = |p: &geo::Polygon<f64>| -> Vec<Vec<[f64; 2]>> {
        std::iter::once(p.exterior()).chain(p.interiors()).map(|r| r.0.iter().map(|c| [c.x, c.y]).collect()).collect()
    };
    json!({"type": "Feature", "properties": props, "geometry": {"type": "MultiPolygon", "coordinates": geom.0.iter().map(rings).collect::<Vec<_>>()}})
}

/// A GeoJSON Polygon or MultiPolygon geometry as a multipolygon.
fn multipolygon(g: &Value) -> Option<geo::MultiPolygon<f64>> {
    let ring = |r: &Value| -> Option<geo::LineString<f64>> {
        Some(geo::LineString::from(r.as_array()?.iter().filter_map(|c| Some((c[0].as_f64()?, c[1].as_f64()?))).collect::<Vec<_>>()))
    };
    let polygon = |p: &Value| -> Option<geo::Polygon<f64>> {
        let rings: Vec<_> = p.as_array()?.iter().filter_map(ring).collect();
        let (outer, inner) = rings.split_first()?;
        Some(geo::Polygon::new(outer.clone(), inner.to_vec()))
    };
    match g["type"].as_str()? {
        "Polygon" => Some(geo::MultiPolygon(vec![polygon(&g["coordinates"])?])),
        "MultiPolygon" => Some(geo::MultiPolygon(g["coordinates"].as_array()?.iter().filter_map(polygon).collect())),
        _ => None,
    }
}

fn collection(features: Vec<Value>) -> Value {
    json!({"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32632"}}, "features": features})
}

fn face_json(f: &Face, building: usize) -> Value {
    feature(
        &f.outline,
        json!({"building": building, "slope": f.slope, "aspect": f.aspect, "area": f.area, "eave": f.eave, "ridge": f.ridge}),
    )
}

#[test]
#[ignore = "benchmark: run by bench/lidar-whitebox.sh"]
fn export() {
    let out = dir();
    std::fs::create_dir_all(&out).unwrap();
    let density = env("DENSITY", 10.0);
    let seeds = env("SEEDS", 10.0) as u64;
    let flight = Flight { density, sigma_z: 0.05, ..Flight::default() };
    // The suite on a 60 m grid, one building per cell.
    let mut points = Vec::new();
    let (mut footprints, mut truth) = (Vec::new(), Vec::new());
    let mut k = 0usize;
    for seed in 1..=seeds {
        for shape in RoofShape::ALL {
            let (i, j) = (k % 20, k / 20);
            let centre = (500_000.0 + 60.0 * i as f64, 5_030_000.0 + 60.0 * j as f64);
            let b = synth_building(shape, centre, (seed as f64 * 37.0 + shape as u64 as f64 * 11.0) % 360.0, &flight, seed);
            points.extend(b.points.iter().copied());
            footprints
                .push(feature(&geo::MultiPolygon(vec![b.footprint.clone()]), json!({"building": k + 1, "shape": format!("{shape:?}")})));
            truth.extend(b.truth.iter().map(|f| face_json(f, k + 1)));
            k += 1;
        }
    }
    let laz = out.join("suite.laz");
    navigli::lidar::las::write(&laz, &points).unwrap();
    std::fs::write(out.join("footprints.geojson"), collection(footprints.clone()).to_string()).unwrap();
    std::fs::write(out.join("truth.geojson"), collection(truth).to_string()).unwrap();

    // navigli end to end: LAZ decoding, points to buildings, faces. Three runs, the median.
    let buildings: Vec<Building> = footprints
        .iter()
        .map(|f| {
            let geom = geo::Geometry::MultiPolygon(multipolygon(&f["geometry"]).unwrap());
            let wkb = geozero::ToWkb::to_wkb(&geom, geozero::CoordDimensions::xy()).unwrap();
            Building::new(f["properties"]["building"].as_i64().unwrap(), "000000".into(), &wkb).unwrap()
        })
        .collect();
    let threads = env("THREADS", 1.0) as usize;
    let opts = ImportOptions { files: vec![laz.clone()], crs: Some("EPSG:32632".into()), threads, ..Default::default() };
    let mut times = Vec::new();
    let mut measured = Vec::new();
    for _ in 0..3 {
        let t0 = Instant::now();
        let (m, _) = survey_buildings(&buildings, 32632, &opts, &Params::default()).unwrap();
        times.push(t0.elapsed().as_secs_f64());
        measured = m;
    }
    times.sort_by(f64::total_cmp);
    // Per building, faces only (no I/O), for the median.
    let mut per_building = Vec::new();
    let sel: Vec<_> = buildings.iter().map(|b| (b, points.iter().filter(|p| inside_box(b, p)).copied().collect::<Vec<_>>())).collect();
    for (b, pts) in &sel {
        let t0 = Instant::now();
        let _ = navigli::lidar::import::measure(b, pts, &Params::default());
        per_building.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    per_building.sort_by(f64::total_cmp);
    // LAZ decoding alone.
    let t0 = Instant::now();
    let n = navigli::lidar::las::Survey::open(&laz).unwrap().read_all().unwrap().len();
    let decode = t0.elapsed().as_secs_f64();
    let faces: Vec<Value> = measured.iter().flat_map(|m| m.faces.iter().map(move |f| face_json(f, m.fid as usize))).collect();
    std::fs::write(out.join("navigli.geojson"), collection(faces).to_string()).unwrap();
    let timing = json!({
        "points": n, "buildings": buildings.len(), "threads": threads, "density": density,
        "seconds": times[1], "points_per_second": n as f64 / times[1],
        "decode_seconds": decode, "decode_points_per_second": n as f64 / decode,
        "building_ms_median": per_building[per_building.len() / 2],
        "building_ms_p95": per_building[(per_building.len() * 95 / 100).min(per_building.len() - 1)],
    });
    println!("{timing}");
    std::fs::write(out.join("navigli-timing.json"), timing.to_string()).unwrap();
}

fn inside_box(b: &Building, p: &navigli::lidar::Point) -> bool {
    let r = geo::BoundingRect::bounding_rect(&b.footprint).unwrap();
    p.x >= r.min().x - 3.0 && p.x <= r.max().x + 3.0 && p.y >= r.min().y - 3.0 && p.y <= r.max().y + 3.0
}

/// Faces from a GeoJSON file, grouped by building; `slope`, `aspect` and (sloped) `area` from
/// the properties named.
fn read_faces(path: &std::path::Path, slope: &str, aspect: &str, building: &str) -> std::collections::BTreeMap<i64, Vec<Face>> {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut out: std::collections::BTreeMap<i64, Vec<Face>> = Default::default();
    for f in v["features"].as_array().unwrap() {
        let Some(outline) = multipolygon(&f["geometry"]) else { continue };
        let p = &f["properties"];
        let s = p[slope].as_f64().unwrap_or(0.0);
        let face = Face {
            area: outline.unsigned_area() / s.to_radians().cos(),
            outline,
            slope: s,
            aspect: p[aspect].as_f64().filter(|_| s >= 5.0),
            eave: p["eave"].as_f64().unwrap_or(0.0),
            ridge: p["ridge"].as_f64().unwrap_or(0.0),
            rms: 0.0,
            points: 0,
            clutter: 0,
            vegetation: 0,
        };
        out.entry(p[building].as_i64().unwrap_or(0)).or_default().push(face);
    }
    out
}

#[test]
#[ignore = "benchmark: run by bench/lidar-whitebox.sh"]
fn compare() {
    let d = dir();
    let truth = read_faces(&d.join("truth.geojson"), "slope", "aspect", "building");
    let ours = read_faces(&d.join("navigli.geojson"), "slope", "aspect", "building");
    let theirs = read_faces(&d.join("whitebox.geojson"), "SLOPE", "ASPECT", "BUILDING");
    let mut rows = Vec::new();
    for (name, faces) in [("navigli", &ours), ("WhiteboxTools", &theirs)] {
        let mut t = Tally::default();
        for (b, tf) in &truth {
            t.add(tf, faces.get(b).map_or(&[][..], |v| v.as_slice()), 10.0);
        }
        // Lenient: a true face is found when some measured face lies at least half inside it
        // (the largest such is its measure), whatever the measured outline's share of it.
        let (mut found, mut counted, mut slope, mut aspect, mut area) = (0, 0, Vec::new(), Vec::new(), Vec::new());
        for (b, tf) in &truth {
            let mf = faces.get(b).map_or(&[][..], |v| v.as_slice());
            for t in tf.iter().filter(|t| t.area >= 10.0) {
                counted += 1;
                let best = mf
                    .iter()
                    .filter(|m| geo::BooleanOps::intersection(&t.outline, &m.outline).unsigned_area() >= 0.5 * m.outline.unsigned_area())
                    .max_by(|a, b| a.area.total_cmp(&b.area));
                if let Some(m) = best {
                    found += 1;
                    slope.push(m.slope - t.slope);
                    if let (Some(ta), Some(ma), true) = (t.aspect, m.aspect, t.slope >= 10.0) {
                        aspect.push((ma - ta + 540.0).rem_euclid(360.0) - 180.0);
                    }
                    area.push((m.area - t.area) / t.area);
                }
            }
        }
        rows.push(json!({
            "lenient_found": found as f64 / counted.max(1) as f64, "lenient_slope_rmse": rmse(&slope),
            "lenient_aspect_rmse": rmse(&aspect), "lenient_area_median": abs_quantile(&area, 0.5),
            "tool": name, "truth": t.truth, "completeness": t.completeness(), "correctness": t.correctness(),
            "slope_rmse": rmse(&t.slope), "slope_max": max_abs(&t.slope), "aspect_rmse": rmse(&t.aspect),
            "area_median": abs_quantile(&t.area, 0.5), "area_p95": abs_quantile(&t.area, 0.95),
            "area_mean_signed": t.area.iter().sum::<f64>() / t.area.len().max(1) as f64,
        }));
    }
    let report = json!(rows);
    println!("{report}");
    std::fs::write(d.join("compare.json"), report.to_string()).unwrap();
}
