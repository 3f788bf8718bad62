//! End-to-end: QGIS (PyQGIS 3.22, headless, Debian's `python3-qgis`) as a client of navigli's
//! vector tiles. `tests/fixtures/qgis_vectortile.py` opens the `dbt` group of the metropolitan
//! tenant as a `QgsVectorTileLayer` (`type=xyz&url=…/{z}/{x}/{y}.mvt`), renders central Milano
//! and reports what QGIS's own MVT decoder made of every tile it drew; this file checks the
//! drawing and compares each tile, layer by layer, with the same tile decoded independently by
//! GDAL's MVT driver (`tests/fixtures/mvt_oracle.py`). A missing PyQGIS is a failure, never a
//! skip.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::server::{demo_server, get_bytes, Server};
use serde_json::Value;

/// The interpreter with Debian's PyQGIS and GDAL (`python3` on PATH may be a pyenv without them).
const PYTHON: &str = "/usr/bin/python3";
/// Longest run of the QGIS script.
const TIMEOUT: Duration = Duration::from_secs(60);
/// Side of the rendered map, pixels.
const SIZE: u32 = 512;
/// Half the side of the map in EPSG:3857 units: about 1.5 km on the ground at Milano's latitude
/// (a Web Mercator metre is 1/cos(45.46°) ≈ 1.43 ground metres), which QGIS draws from z14 tiles.
const HALF: f64 = 1070.0;
/// Central Milano (the Duomo) in EPSG:3857.
const CENTRE: (f64, f64) = (1_023_300.0, 5_694_700.0);
/// Half the side of the Web Mercator square.
const WORLD: f64 = 20_037_508.342_789_244;
/// The vector-tile source QGIS opens: the DBT group (edifici, strade, idrografia, aree_verdi).
const SOURCE: &str = "/cmm/tiles/dbt";

/// Runs the QGIS script with a private HOME/XDG_RUNTIME_DIR/TMPDIR (QGIS writes its profile and
/// network cache there) and a deadline; returns its JSON report.
fn run_qgis(uri: &str, png: &Path, extent: [f64; 4], dir: &Path) -> Value {
    let (home, runtime) = (dir.join("home"), dir.join("run"));
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&runtime).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let mut child = Command::new(PYTHON)
        .arg(common::root().join("tests/fixtures/qgis_vectortile.py"))
        .arg(uri)
        .arg(png)
        .arg(SIZE.to_string())
        .args(extent.map(|v| v.to_string()))
        .current_dir(&home)
        .env("QT_QPA_PLATFORM", "offscreen")
        .env("HOME", &home)
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("TMPDIR", dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {PYTHON}: {e} (QGIS needs Debian's python3 and python3-qgis: run scripts/deps.sh test)"));
    let started = Instant::now();
    while child.try_wait().expect("wait for the QGIS script").is_none() {
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let out = child.wait_with_output().expect("QGIS script output");
            panic!("the QGIS script ran longer than {TIMEOUT:?}:\n{}", String::from_utf8_lossy(&out.stderr));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let Output { status, stdout, stderr } = child.wait_with_output().expect("QGIS script output");
    let stderr = String::from_utf8_lossy(&stderr);
    assert_ne!(
        status.code(),
        Some(3),
        "PyQGIS is not available, so QGIS cannot be tested: install Debian's python3-qgis (run scripts/deps.sh test):\n{stderr}"
    );
    assert!(status.success(), "the QGIS script failed ({status}):\n{stderr}\n{}", String::from_utf8_lossy(&stdout));
    serde_json::from_slice(&stdout).unwrap_or_else(|e| panic!("QGIS report is not JSON ({e}):\n{}", String::from_utf8_lossy(&stdout)))
}

/// A tile of `SOURCE` as navigli serves it (identity encoding), decoded by GDAL's MVT driver:
/// layer → MVT feature id → {props, type, area, length}.
fn gdal_tile(server: &Server, (z, x, y): (u8, u32, u32), dir: &Path) -> BTreeMap<String, BTreeMap<String, Value>> {
    let path = format!("{SOURCE}/{z}/{x}/{y}.mvt");
    let (status, _, body) = get_bytes(server, &path);
    assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
    let file = dir.join(format!("{z}-{x}-{y}.mvt"));
    std::fs::write(&file, &body).unwrap();
    let out = Command::new(PYTHON)
        .arg(common::root().join("tests/fixtures/mvt_oracle.py"))
        .args(["decode", &file.display().to_string(), &z.to_string(), &x.to_string(), &y.to_string()])
        .output()
        .expect("/usr/bin/python3 with GDAL (python3-gdal: run scripts/deps.sh test)");
    assert!(out.status.success(), "mvt_oracle decode {path}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("oracle JSON")
}

/// The XYZ tiles (WebMercatorQuad) covering an EPSG:3857 extent at zoom `z`.
fn tiles_covering([xmin, ymin, xmax, ymax]: [f64; 4], z: u8) -> BTreeSet<(u8, u32, u32)> {
    let side = 2.0 * WORLD / f64::from(1u32 << z);
    let col = |x: f64| ((x + WORLD) / side).floor() as u32;
    let row = |y: f64| ((WORLD - y) / side).floor() as u32;
    (col(xmin)..=col(xmax)).flat_map(|x| (row(ymax)..=row(ymin)).map(move |y| (z, x, y))).collect()
}

fn parse_tile(key: &str) -> (u8, u32, u32) {
    let p: Vec<&str> = key.split('/').collect();
    assert_eq!(p.len(), 3, "tile key {key}");
    (p[0].parse().unwrap(), p[1].parse().unwrap(), p[2].parse().unwrap())
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()) + 1e-3
}

/// QGIS opens navigli's `dbt` vector tiles as a valid layer, requests exactly the tiles covering
/// the map, draws a substantial part of it, and decodes every tile to the features GDAL decodes
/// from the same tile: per layer the same count, total area or length, and for `edifici` the
/// same EDIFC_USO values and floors.
#[test]
fn qgis_loads_renders_and_decodes_the_vector_tiles() {
    let started = Instant::now();
    let (server, _server_dir) = demo_server();
    let dir = tempfile::tempdir().unwrap();
    let template = format!("{}{SOURCE}/{{z}}/{{x}}/{{y}}.mvt", server.base());
    // QGIS 3.22 takes the braces raw or percent-encoded (QgsDataSourceUri writes %7Bz%7D).
    let uri = format!("type=xyz&url={template}&zmin=0&zmax=16");
    let extent = [CENTRE.0 - HALF, CENTRE.1 - HALF, CENTRE.0 + HALF, CENTRE.1 + HALF];
    let png = dir.path().join("qgis_tiles.png");
    let qgis_started = Instant::now();
    let report = run_qgis(&uri, &png, extent, dir.path());
    let qgis_time = qgis_started.elapsed();

    // The layer.
    let error = report.get("error").cloned().unwrap_or(Value::Null);
    assert_eq!(report["valid"], true, "QGIS could not load the vector tiles {uri}: {error}");
    assert_eq!(report["crs"], "EPSG:3857", "layer CRS");
    assert_eq!(report["source_type"], "xyz");
    assert_eq!(report["source_path"].as_str(), Some(template.as_str()), "QGIS's tile URL template");
    assert_eq!((report["source_min_zoom"].as_u64(), report["source_max_zoom"].as_u64()), (Some(0), Some(16)));

    // The tiles: one zoom level in z14..z16, exactly the tiles covering the map, each requested
    // from navigli with the template filled in.
    let tiles: Vec<(u8, u32, u32)> = report["tiles"].as_object().expect("tiles").keys().map(|k| parse_tile(k)).collect();
    assert!(!tiles.is_empty(), "QGIS drew no tile: {report}");
    let zooms: BTreeSet<u8> = tiles.iter().map(|t| t.0).collect();
    assert_eq!(zooms.len(), 1, "QGIS drew tiles of several zoom levels: {tiles:?}");
    let z = tiles[0].0;
    assert!((14..=16).contains(&z), "QGIS chose zoom {z} at scale 1:{}", report["scale"]);
    let drawn: BTreeSet<(u8, u32, u32)> = tiles.iter().copied().collect();
    assert_eq!(drawn, tiles_covering(extent, z), "tiles QGIS drew vs the tiles covering the map");
    let range: Vec<u64> = serde_json::from_value(report["tile_ranges"][z.to_string()].clone()).expect("tile range");
    let (cols, rows) = (drawn.iter().map(|t| u64::from(t.1)), drawn.iter().map(|t| u64::from(t.2)));
    let want_range = vec![cols.clone().min().unwrap(), cols.max().unwrap(), rows.clone().min().unwrap(), rows.max().unwrap()];
    assert_eq!(range, want_range, "QgsTileMatrix.tileRangeFromExtent vs the tiles drawn");
    let requested: BTreeSet<String> =
        report["tile_urls"].as_array().expect("tile_urls").iter().map(|u| u.as_str().unwrap().to_string()).collect();
    let want_urls: BTreeSet<String> = drawn.iter().map(|(z, x, y)| format!("{}{SOURCE}/{z}/{x}/{y}.mvt", server.base())).collect();
    assert_eq!(requested, want_urls, "tile requests QGIS sent");

    // The drawing.
    assert_eq!(report["saved"], true, "PNG not written: {report}");
    assert_eq!(report["errors"].as_array().map(Vec::len), Some(0), "rendering errors: {}", report["errors"]);
    let bytes = std::fs::read(&png).unwrap_or_else(|e| panic!("{}: {e}", png.display()));
    let map = tiny_skia::Pixmap::decode_png(&bytes).unwrap_or_else(|e| panic!("{} is not a PNG: {e}", png.display()));
    assert_eq!((map.width(), map.height()), (SIZE, SIZE));
    let painted = map.pixels().iter().filter(|c| [c.red(), c.green(), c.blue(), c.alpha()] != [255, 255, 255, 255]).count();
    let total = (SIZE * SIZE) as usize;
    let share = painted as f64 / total as f64;
    assert!(share > 0.10, "QGIS painted only {painted}/{total} pixels of central Milano ({:.1} %)", 100.0 * share);
    assert!(share < 0.90, "QGIS painted {painted}/{total} pixels: the background is missing");

    // Every tile, as QGIS decoded it, against GDAL's decoding of the same tile.
    let mut seen = Vec::new();
    let mut edifici_total = 0;
    for &tile in &drawn {
        let key = format!("{}/{}/{}", tile.0, tile.1, tile.2);
        let qgis = report["tiles"][&key].as_object().unwrap();
        let gdal = gdal_tile(&server, tile, dir.path());
        let names = |m: Vec<&String>| m.into_iter().cloned().collect::<Vec<_>>();
        assert_eq!(names(qgis.keys().collect()), names(gdal.keys().collect()), "{key}: layers QGIS vs GDAL decoded");
        let mut counts = Vec::new();
        for (layer, q) in qgis {
            let g = &gdal[layer];
            let count = q["count"].as_u64().unwrap() as usize;
            assert_eq!(count, g.len(), "{key} {layer}: features QGIS decoded vs GDAL");
            assert_eq!(q["no_geometry"], 0, "{key} {layer}: features QGIS decoded without geometry");
            for measure in ["area", "length"] {
                let want: f64 = g.values().map(|f| f[measure].as_f64().unwrap_or(0.0)).sum();
                let got = q[measure].as_f64().unwrap();
                assert!(close(got, want), "{key} {layer}: total {measure} QGIS {got} vs GDAL {want} (EPSG:3857)");
            }
            counts.push(format!("{layer} {count}"));
        }
        if let Some(q) = qgis.get("edifici") {
            let fields: Vec<&str> = q["fields"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
            assert!(fields.contains(&"EDIFC_USO") && fields.contains(&"piani"), "{key} edifici: fields QGIS decoded {fields:?}");
            let mut uso: BTreeMap<String, u64> = BTreeMap::new();
            let mut piani = 0;
            for f in gdal["edifici"].values() {
                let value = f["props"]["EDIFC_USO"].as_str().map_or("None".to_string(), str::to_string);
                *uso.entry(value).or_default() += 1;
                piani += f["props"]["piani"].as_i64().unwrap_or(0);
            }
            let got: BTreeMap<String, u64> = serde_json::from_value(q["edifc_uso"].clone()).unwrap();
            assert!(!got.contains_key("None"), "{key}: edifici without EDIFC_USO in QGIS: {got:?}");
            assert_eq!(got, uso, "{key}: edifici per EDIFC_USO, QGIS vs GDAL");
            assert_eq!(q["piani_sum"].as_i64(), Some(piani), "{key}: sum of edifici.piani, QGIS vs GDAL");
            edifici_total += q["count"].as_u64().unwrap();
        }
        seen.push(format!("{key}: {}", counts.join(", ")));
    }
    assert!(edifici_total > 0, "no edifici in the tiles of central Milano: {seen:?}");

    eprintln!(
        "QGIS {}: {uri} valid; zoom {z} at 1:{:.0}, {} tiles ({}); {painted}/{total} pixels painted ({:.1} %); \
         QGIS script {:.1}s, test {:.1}s",
        report["qgis_version"].as_str().unwrap_or("?"),
        report["scale"].as_f64().unwrap_or(0.0),
        drawn.len(),
        seen.join("; "),
        100.0 * share,
        qgis_time.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}
