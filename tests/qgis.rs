//! End-to-end: QGIS (PyQGIS 3.22, headless, Debian's `python3-qgis`) as a client of navigli's
//! WFS. `tests/fixtures/qgis_wfs.py` opens Milano's layers with QGIS's WFS provider (2.0.0 and
//! 1.1.0, plus a layer large enough to need paging), counts their features by iterating them,
//! and renders one to a PNG; this file compares what QGIS saw with answers computed
//! independently from the demo GeoPackage with GDAL (`ogr2ogr -sql`, `gdaltransform`) and with
//! the allow-lists of `layers.toml`. A missing PyQGIS is a failure, never a skip.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use common::server::demo_server;
use serde_json::{json, Value};

/// Milano's ISTAT code.
const MILANO: &str = "015146";
/// QGIS's page size for the paged layer.
const PAGE_SIZE: u64 = 1000;
/// Side of the rendered PNG, pixels.
const PNG_SIZE: u32 = 256;

// ------------------------------------------------------------------------------------------------
// GDAL over the demo GeoPackage: the independent oracle
// ------------------------------------------------------------------------------------------------

/// Runs a GDAL command (with optional standard input) and returns its standard output.
fn run(mut cmd: Command, stdin: &str) -> String {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} (GDAL's gdal-bin must be installed: `scripts/deps.sh test`)"));
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{cmd:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The rows of an SQL query on the demo GeoPackage (SQLite dialect with SpatiaLite functions).
fn gpkg_rows(sql: &str) -> Vec<Value> {
    let mut cmd = Command::new("ogr2ogr");
    cmd.args(["-f", "GeoJSON", "/vsistdout/", &common::demo_gpkg().display().to_string(), "-sql", sql]);
    let v: Value = serde_json::from_str(&run(cmd, "")).expect("GDAL GeoJSON");
    v["features"].as_array().expect("features").iter().map(|f| f["properties"].clone()).collect()
}

/// The attribute columns of a GeoPackage table (`ogrinfo -so`).
fn gpkg_columns(table: &str) -> Vec<String> {
    let mut cmd = Command::new("ogrinfo");
    cmd.args(["-so", "-nomd", &common::demo_gpkg().display().to_string(), table]);
    let out = run(cmd, "");
    let fields = out.split("Geometry Column").nth(1).unwrap_or_else(|| panic!("ogrinfo -so {table}:\n{out}"));
    fields.lines().skip(1).filter_map(|l| l.split_once(": ").map(|(name, _)| name.trim().to_string())).collect()
}

/// Milano's features of a layer: count, bounding box and, optionally, the sum of an integer
/// column and the total area.
struct Expected {
    count: u64,
    extent: [f64; 4],
    sum: Option<i64>,
    area: Option<f64>,
}

fn expected(table: &str, sum_field: Option<&str>, area: bool) -> Expected {
    let mut sql = "SELECT count(*) AS n, min(ST_MinX(geom)) AS x0, min(ST_MinY(geom)) AS y0, \
                   max(ST_MaxX(geom)) AS x1, max(ST_MaxY(geom)) AS y1"
        .to_string();
    if let Some(f) = sum_field {
        sql += &format!(", sum(\"{f}\") AS s");
    }
    if area {
        sql += ", sum(ST_Area(geom)) AS a";
    }
    sql += &format!(" FROM {table} WHERE cod_istat = '{MILANO}'");
    let row = &gpkg_rows(&sql)[0];
    let f = |k: &str| row[k].as_f64().unwrap_or_else(|| panic!("{k} in {row}"));
    Expected {
        count: row["n"].as_u64().expect("count"),
        extent: [f("x0"), f("y0"), f("x1"), f("y1")],
        sum: sum_field.map(|_| row["s"].as_i64().expect("sum")),
        area: area.then(|| f("a")),
    }
}

/// The attribute allow-list of a layer in `layers.toml`.
fn allow_list(layer: &str) -> Vec<String> {
    let l = common::config().layers.iter().find(|l| l.name == layer).unwrap_or_else(|| panic!("no layer {layer}"));
    l.attributes.iter().map(|a| a.name.clone()).collect()
}

fn geometry_type(layer: &str) -> String {
    common::config().layers.iter().find(|l| l.name == layer).unwrap().geometry_type.clone()
}

/// The EPSG:32632 envelope of a CRS:84 box: its boundary, densified, through `gdaltransform`.
fn utm_envelope([lon0, lat0, lon1, lat1]: [f64; 4]) -> [f64; 4] {
    const STEPS: usize = 32;
    let mut points = String::new();
    for i in 0..=STEPS {
        let t = i as f64 / STEPS as f64;
        let (lon, lat) = (lon0 + t * (lon1 - lon0), lat0 + t * (lat1 - lat0));
        for (x, y) in [(lon, lat0), (lon, lat1), (lon0, lat), (lon1, lat)] {
            points += &format!("{x} {y}\n");
        }
    }
    let mut cmd = Command::new("gdaltransform");
    cmd.args(["-s_srs", "OGC:CRS84", "-t_srs", "EPSG:32632", "-output_xy"]);
    let out = run(cmd, &points);
    let mut env = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    for line in out.lines() {
        let xy: Vec<f64> = line.split_whitespace().map(|v| v.parse().expect("gdaltransform number")).collect();
        env = [env[0].min(xy[0]), env[1].min(xy[1]), env[2].max(xy[0]), env[3].max(xy[1])];
    }
    assert_eq!(out.lines().count(), 4 * (STEPS + 1), "gdaltransform output:\n{out}");
    env
}

fn within(inner: [f64; 4], outer: [f64; 4], tolerance: f64) -> bool {
    inner[0] >= outer[0] - tolerance
        && inner[1] >= outer[1] - tolerance
        && inner[2] <= outer[2] + tolerance
        && inner[3] <= outer[3] + tolerance
}

fn bbox(v: &Value) -> [f64; 4] {
    let a: Vec<f64> = v.as_array().unwrap_or_else(|| panic!("not a bbox: {v}")).iter().map(|c| c.as_f64().unwrap()).collect();
    [a[0], a[1], a[2], a[3]]
}

// ------------------------------------------------------------------------------------------------
// QGIS
// ------------------------------------------------------------------------------------------------

/// Runs `tests/fixtures/qgis_wfs.py` on `job` with a private HOME/XDG_RUNTIME_DIR/TMPDIR (QGIS
/// writes its profile, network cache and WFS feature cache there, never into the repository)
/// and returns its report.
fn run_qgis(job: &Value, dir: &Path) -> Value {
    common::run_pyqgis("qgis_wfs.py", job, dir)
}

/// The value of a query parameter in a URL QGIS sent (names are case-insensitive).
fn param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|kv| kv.split_once('=').filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.to_string()))
}

/// One layer QGIS opens: the report id, the layer, the WFS version, whether QGIS pages through
/// it, and the aggregates compared with the GeoPackage (sum of an integer column, total area).
struct Case {
    id: &'static str,
    layer: &'static str,
    version: &'static str,
    paged: bool,
    sum_field: Option<&'static str>,
    area: bool,
}

/// QGIS loads Milano's public services with WFS 2.0.0 and 1.1.0 and its buildings with WFS 2.0.0
/// paging: every layer is valid, in EPSG:32632, with exactly the allow-listed fields, the
/// GeoPackage's count, bounding box, aggregates, inside Milano's extent; and QGIS draws the
/// services.
#[test]
fn qgis_loads_counts_and_draws_the_wfs_layers() {
    let started = Instant::now();
    let (server, _server_dir) = demo_server();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("{}/milano/wfs", server.base());
    let png = dir.path().join("servizi_pubblici.png");
    let uri = |layer: &str, version: &str, extra: &str| {
        format!("url='{url}' typename='navigli:{layer}' version='{version}' hideDownloadProgressDialog='1'{extra}")
    };
    let paging = format!(" pagingEnabled='true' pageSize='{PAGE_SIZE}'");
    let cases = [
        Case { id: "servizi_pubblici 2.0.0", layer: "servizi_pubblici", version: "2.0.0", paged: false, sum_field: None, area: false },
        Case { id: "servizi_pubblici 1.1.0", layer: "servizi_pubblici", version: "1.1.0", paged: false, sum_field: None, area: false },
        Case { id: "edifici 2.0.0 paged", layer: "edifici", version: "2.0.0", paged: true, sum_field: Some("piani"), area: true },
    ];
    let job = json!({
        "layers": cases.iter().map(|c| {
            let mut spec = json!({"id": c.id, "uri": uri(c.layer, c.version, if c.paged { &paging } else { "" })});
            if let Some(f) = c.sum_field {
                spec["sum_field"] = json!(f);
            }
            if c.layer == "servizi_pubblici" {
                spec["histogram_field"] = json!("tipo");
            }
            spec
        }).collect::<Vec<_>>(),
        "render": {"layer": "servizi_pubblici 2.0.0", "png": png, "size": PNG_SIZE},
    });
    let qgis_started = Instant::now();
    let report = run_qgis(&job, dir.path());
    let qgis_time = qgis_started.elapsed();

    // Milano's extent as the service publishes it, in the layers' CRS.
    let tenant = common::server::json(&server, "/milano?f=json");
    assert_eq!(tenant["extent"]["crs"], "CRS:84", "/milano?f=json extent: {}", tenant["extent"]);
    let milano = utm_envelope(bbox(&tenant["extent"]["bbox"]));

    let servizi_tipi: BTreeMap<String, u64> =
        gpkg_rows(&format!("SELECT tipo, count(*) AS n FROM servizi_pubblici WHERE cod_istat = '{MILANO}' GROUP BY tipo"))
            .iter()
            .map(|r| (r["tipo"].as_str().unwrap().to_string(), r["n"].as_u64().unwrap()))
            .collect();

    let mut seen = Vec::new();
    for Case { id, layer, version: _, paged, sum_field, area } in cases {
        let r = &report["layers"][id];
        assert_eq!(r["valid"], true, "QGIS could not load {id}: {}", r["error"]);
        let want = expected(layer, sum_field, area);
        let count = r["feature_count"].as_u64().unwrap();
        assert_eq!(count, want.count, "{id}: features QGIS iterated vs the GeoPackage's Milano features");
        assert_eq!(r["null_geometries"], 0, "{id}: features without geometry");
        assert_eq!(r["crs"], "EPSG:32632", "{id}: layer CRS");
        assert_eq!(r["geometry_type"].as_str().unwrap(), geometry_type(layer), "{id}: geometry type");

        let fields: Vec<String> = r["fields"].as_array().unwrap().iter().map(|f| f.as_str().unwrap().to_string()).collect();
        let allowed = allow_list(layer);
        let hidden: Vec<String> = gpkg_columns(layer).into_iter().filter(|c| !allowed.contains(c)).collect();
        let leaked: Vec<&String> = fields.iter().filter(|f| hidden.contains(f)).collect();
        assert!(leaked.is_empty(), "{id}: QGIS sees columns outside the allow-list: {leaked:?}");
        assert_eq!(fields, allowed, "{id}: QGIS fields vs the allow-list of layers.toml");

        // Geometry: the features' bounding box is the GeoPackage's (coordinates are in mm).
        let features_extent = bbox(&r["features_extent"]);
        let close = features_extent.iter().zip(want.extent).all(|(got, want)| (got - want).abs() < 0.002);
        assert!(close, "{id}: features' bbox {features_extent:?} vs the GeoPackage's {:?}", want.extent);
        let extent = bbox(&r["extent"]);
        assert!(within(features_extent, extent, 0.002), "{id}: layer extent {extent:?} misses features {features_extent:?}");
        assert!(within(extent, milano, 1.0), "{id}: layer extent {extent:?} outside Milano's {milano:?} (EPSG:32632)");
        if let Some(s) = want.sum {
            assert_eq!(r["sum"].as_i64(), Some(s), "{id}: sum of {}", sum_field.unwrap());
        }
        if let Some(a) = want.area {
            let got = r["area"].as_f64().unwrap();
            assert!((got - a).abs() <= 1e-6 * a, "{id}: total area {got} vs the GeoPackage's {a}");
        }
        if layer == "servizi_pubblici" {
            let tipi: BTreeMap<String, u64> = serde_json::from_value(r["histogram"].clone()).unwrap();
            assert_eq!(tipi, servizi_tipi, "{id}: features per tipo");
        }
        // The provider's own count comes from RESULTTYPE=hits (numberMatched in 2.0.0,
        // numberOfFeatures in 1.1.0).
        assert_eq!(r["provider_feature_count"].as_u64(), Some(want.count), "{id}: QGIS featureCount() (from RESULTTYPE=hits)");

        let pages: Vec<&str> = r["getfeature_urls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u.as_str().unwrap())
            .filter(|u| param(u, "resulttype").is_none_or(|t| !t.eq_ignore_ascii_case("hits")))
            .collect();
        assert!(!pages.is_empty(), "{id}: no GetFeature request recorded");
        if paged {
            let starts: Vec<u64> = pages.iter().map(|u| param(u, "startindex").and_then(|s| s.parse().ok()).unwrap_or(0)).collect();
            let want_starts: Vec<u64> = (0..want.count.div_ceil(PAGE_SIZE)).map(|i| i * PAGE_SIZE).collect();
            assert!(
                pages.iter().all(|u| param(u, "count").as_deref() == Some(&PAGE_SIZE.to_string())),
                "{id}: pages of {PAGE_SIZE} expected: {pages:#?}"
            );
            // QGIS may ask its pages in any order (it downloads in a thread): every page once.
            assert!(want_starts.iter().all(|s| starts.contains(s)), "{id}: STARTINDEX of the pages {starts:?}, expected {want_starts:?}");
        }
        seen.push(format!("{id}: {count} features in {} GetFeature request(s), {}s", pages.len(), r["seconds"]));
    }

    // QGIS draws the services.
    let render = &report["render"];
    assert_eq!(render["saved"], true, "PNG not written: {render}");
    assert_eq!(render["errors"].as_array().map(Vec::len), Some(0), "rendering errors: {render}");
    assert_eq!((render["width"].as_u64(), render["height"].as_u64()), (Some(PNG_SIZE.into()), Some(PNG_SIZE.into())));
    let painted = render["non_background_pixels"].as_u64().unwrap();
    let total = u64::from(PNG_SIZE * PNG_SIZE);
    assert!(painted > 0, "QGIS drew nothing for servizi_pubblici");
    assert!(painted < total, "QGIS painted every pixel: the background is missing");
    let bytes = std::fs::read(&png).expect("rendered PNG");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG: {}", png.display());

    eprintln!(
        "QGIS {}: {}; servizi_pubblici drawn on {painted}/{total} pixels; QGIS script {:.1}s, test {:.1}s",
        report["qgis_version"].as_str().unwrap_or("?"),
        seen.join("; "),
        qgis_time.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}
