//! End-to-end: real WMS clients read navigli's WMS over the demo data. OWSLib (the Python OGC
//! client, in the `target/pyvenv` venv of `scripts/deps.sh test`) lists the capabilities of WMS
//! 1.3.0 and 1.1.1 and fetches `edifici` maps, written to files and decoded here; QGIS (PyQGIS
//! 3.22, headless) opens `edifici` with its WMS provider and renders it. The scripts are in
//! `tests/fixtures/owslib_wms.py` and `tests/fixtures/qgis_wms.py`; they only report, this file
//! judges. A missing OWSLib or PyQGIS is a failure, never a skip.
//!
//! `edifici` has MaxScaleDenominator 25000, so the maps cover about 1 km at 256 px (≈1:14,000):
//! a 2 km square at 256 px (≈1:28,000) is correctly drawn empty.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::server::demo_server;
use serde_json::Value;

/// The public groups Milano's capabilities name besides the public layers (groups are layers
/// in WMS).
const PUBLIC_GROUPS: [&str; 3] = ["sit", "dbt", "tetti"];
/// Restricted: the layer and its group (which has no other member) must not be listed.
const HIDDEN: [&str; 2] = ["servizi_sociali", "welfare"];
/// The interpreter with Debian's PyQGIS (`python3` on PATH may be a pyenv without it).
const SYSTEM_PYTHON: &str = "/usr/bin/python3";
/// Longest run of a client script.
const TIMEOUT: Duration = Duration::from_secs(120);
/// Side of every map, pixels.
const SIZE: u32 = 256;

fn fixture(name: &str) -> PathBuf {
    common::root().join("tests/fixtures").join(name)
}

/// Runs a client script with a deadline; exit status 3 means the client library is missing.
fn run_script(cmd: Command, what: &str, missing: &str) -> Value {
    common::run_report(cmd, what, missing, TIMEOUT)
}

/// The Python of the OWSLib venv (`scripts/deps.sh test` makes it).
fn owslib_python() -> PathBuf {
    let python = common::root().join("target/pyvenv/bin/python");
    let ok = Command::new(&python).args(["-c", "import owslib"]).output().is_ok_and(|o| o.status.success());
    assert!(ok, "OWSLib is missing: {} cannot import owslib (run scripts/deps.sh test)", python.display());
    python
}

fn decode(path: &Path) -> tiny_skia::Pixmap {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    tiny_skia::Pixmap::decode_png(&bytes)
        .unwrap_or_else(|e| panic!("{} is not a PNG ({e}): {}", path.display(), String::from_utf8_lossy(&bytes)))
}

/// Pixels that are not opaque white.
fn painted(p: &tiny_skia::Pixmap) -> usize {
    p.pixels().iter().filter(|c| [c.red(), c.green(), c.blue(), c.alpha()] != [255, 255, 255, 255]).count()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().unwrap_or_else(|| panic!("not a list: {v}")).iter().map(|s| s.as_str().unwrap().to_string()).collect()
}

#[test]
fn owslib_lists_the_layers_and_gets_maps_with_both_versions() {
    let python = owslib_python();
    let (server, dir) = demo_server();
    let started = Instant::now();
    let mut cmd = Command::new(&python);
    cmd.arg(fixture("owslib_wms.py")).arg(format!("{}/milano/wms", server.base())).arg(dir.path());
    let report = run_script(cmd, "OWSLib", "run scripts/deps.sh test (target/pyvenv with owslib)");

    let mut want: Vec<String> = common::PUBLIC_LAYERS.iter().chain(&PUBLIC_GROUPS).map(|s| s.to_string()).collect();
    want.sort();
    for version in ["1.3.0", "1.1.1"] {
        let r = &report[version];
        assert!(r["error"].is_null(), "OWSLib WMS {version} capabilities: {}", r["error"]);
        assert_eq!(r["version"], version);
        let contents = strings(&r["contents"]);
        for hidden in HIDDEN {
            assert!(!contents.iter().any(|c| c == hidden), "WMS {version} lists the restricted {hidden}: {contents:?}");
        }
        assert_eq!(contents, want, "WMS {version}: layers and groups OWSLib sees");
        assert!(strings(&r["edifici_crs"]).iter().any(|c| c == "EPSG:4326"), "WMS {version}: edifici CRSs {}", r["edifici_crs"]);
        assert_eq!(strings(&r["formats"]), ["image/png", "image/png; mode=8bit", "image/jpeg"], "WMS {version}: GetMap formats");
    }

    // OWSLib takes the bbox as lon, lat and swaps it for 1.3.0 EPSG:4326: the same map, drawn,
    // whatever the axis order on the wire.
    let mut maps = Vec::new();
    for (case, bbox) in [
        ("1.3.0-EPSG_4326", "crs=EPSG%3A4326&bbox=45.462%2C9.18%2C45.468%2C9.19"),
        ("1.3.0-CRS_84", "crs=CRS%3A84&bbox=9.18%2C45.462%2C9.19%2C45.468"),
        ("1.1.1-EPSG_4326", "srs=EPSG%3A4326&bbox=9.18%2C45.462%2C9.19%2C45.468"),
    ] {
        let m = &report["maps"][case];
        assert!(m["error"].is_null(), "OWSLib getmap {case}: {}", m["error"]);
        let url = m["url"].as_str().unwrap();
        assert!(url.contains(bbox), "{case}: OWSLib sent {url}, expected {bbox}");
        assert_eq!(m["content_type"].as_str().map(|t| t.starts_with("image/png")), Some(true), "{case}: {m}");
        let map = decode(Path::new(m["png"].as_str().unwrap()));
        assert_eq!((map.width(), map.height()), (SIZE, SIZE), "{case}");
        let drawn = painted(&map);
        assert!(drawn > 1000, "{case}: only {drawn} non-white pixels ({url})");
        maps.push((case, drawn, map));
    }
    assert!(
        maps.windows(2).all(|w| w[0].2 == w[1].2),
        "the three requests should give the same map: {:?}",
        maps.iter().map(|m| (m.0, m.1)).collect::<Vec<_>>()
    );
    eprintln!(
        "OWSLib: 12 layers/groups in both versions; edifici drawn on {}/{} pixels; {:.1}s",
        maps[0].1,
        SIZE * SIZE,
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn qgis_renders_a_wms_layer() {
    let (server, dir) = demo_server();
    let started = Instant::now();
    let uri =
        format!("contextualWMSLegend=0&crs=EPSG:32632&dpiMode=7&format=image/png&layers=edifici&styles=&url={}/milano/wms", server.base());
    let png = dir.path().join("qgis_wms.png");
    // QGIS writes its profile and caches under HOME and XDG_RUNTIME_DIR: keep them private.
    let (home, runtime) = (dir.path().join("home"), dir.path().join("run"));
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&runtime).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let mut cmd = Command::new(SYSTEM_PYTHON);
    cmd.arg(fixture("qgis_wms.py"))
        .arg(&uri)
        .arg(&png)
        .arg(SIZE.to_string())
        .args(["514500", "5033500", "515500", "5034500"])
        .env("QT_QPA_PLATFORM", "offscreen")
        .env("HOME", &home)
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("TMPDIR", dir.path());
    let report = run_script(cmd, "PyQGIS", "install Debian's python3-qgis (scripts/deps.sh test)");

    assert_eq!(report["valid"], true, "QGIS could not load the WMS layer {uri}: {}", report["error"]);
    assert_eq!(report["crs"], "EPSG:32632");
    assert_eq!(report["saved"], true, "PNG not written: {report}");
    assert_eq!(report["errors"].as_array().map(Vec::len), Some(0), "rendering errors: {report}");
    assert_eq!((report["width"].as_u64(), report["height"].as_u64()), (Some(SIZE.into()), Some(SIZE.into())));
    let urls = strings(&report["getmap_urls"]);
    assert!(!urls.is_empty(), "QGIS sent no GetMap: {report}");
    let drawn = report["non_background_pixels"].as_u64().unwrap();
    assert!(drawn > 1000, "QGIS drew only {drawn} pixels of edifici; GetMap: {urls:?}");
    assert!(drawn < u64::from(SIZE * SIZE), "QGIS painted every pixel: {urls:?}");
    assert_eq!(painted(&decode(&png)) as u64, drawn, "the saved PNG and QGIS's count disagree");
    eprintln!(
        "QGIS {}: edifici drawn on {drawn}/{} pixels with {} GetMap request(s); {:.1}s",
        report["qgis_version"].as_str().unwrap_or("?"),
        SIZE * SIZE,
        urls.len(),
        started.elapsed().as_secs_f64()
    );
}
