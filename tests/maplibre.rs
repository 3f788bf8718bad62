//! End-to-end: MapLibre GL JS (npm `maplibre-gl`, in `target/npm` from `scripts/deps.sh test`)
//! draws navigli's vector tiles in headless Chromium (Debian's, driven by npm `playwright-core`).
//! `tests/fixtures/maplibre_check.mjs` serves a page from another loopback port (so every
//! TileJSON and tile request is cross-origin and needs navigli's CORS header), opens a map over
//! central Milano at zoom 15 with the `dbt` and `sit` groups through their TileJSON URLs, waits
//! for `idle`, takes a screenshot and runs `queryRenderedFeatures`; it only reports, this file
//! judges. A missing Chromium, Node.js or npm package is a failure, never a skip.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::server::demo_server;
use serde_json::Value;

const CHROMIUM: &str = "/usr/bin/chromium";
/// Longest run of the browser script.
const TIMEOUT: Duration = Duration::from_secs(150);
/// The map's size (the script's viewport), pixels.
const SIZE: (u32, u32) = (800, 600);
/// The style's colours (fills are drawn opaque, so their inner pixels are exactly these).
const EDIFICI_FILL: [u8; 3] = [0xc8, 0x50, 0x3c];
const STRADE_LINE: [u8; 3] = [0x28, 0x28, 0x28];
const AREE_VERDI_FILL: [u8; 3] = [0x78, 0xc8, 0x78];

fn npm_dir() -> PathBuf {
    common::root().join("target/npm")
}

/// Fails (never skips) when the browser or a package is missing.
fn check_installed() {
    let hint = "run scripts/deps.sh test";
    assert!(Path::new(CHROMIUM).exists(), "{CHROMIUM} is missing: install Debian's chromium ({hint})");
    let node = Command::new("node").arg("--version").output();
    assert!(node.is_ok_and(|o| o.status.success()), "node (Node.js) is missing ({hint})");
    for package in ["maplibre-gl", "playwright-core"] {
        let manifest = npm_dir().join("node_modules").join(package).join("package.json");
        assert!(manifest.exists(), "npm package {package} is missing from {} ({hint})", npm_dir().display());
    }
}

/// Runs the browser script with a deadline; exit status 3 means something is missing.
fn run_script(base: &str, png: &Path) -> Value {
    let mut cmd = Command::new("node");
    cmd.arg(common::root().join("tests/fixtures/maplibre_check.mjs")).arg(base).arg(npm_dir()).arg(png);
    common::run_report(cmd, "MapLibre", "run scripts/deps.sh test", TIMEOUT)
}

fn count(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

fn is_empty_list(v: &Value) -> bool {
    v.as_array().is_some_and(Vec::is_empty)
}

#[test]
fn maplibre_draws_the_tiles_in_chromium() {
    check_installed();
    let (server, dir) = demo_server();
    let started = Instant::now();
    let png = dir.path().join("maplibre.png");
    let report = run_script(&server.base(), &png);
    let elapsed = started.elapsed();

    assert!(report["fatal"].is_null(), "the browser session failed: {}", report["fatal"].as_str().unwrap_or_default());
    for list in ["page_errors", "console_errors", "map_errors", "failed_requests", "bad_responses"] {
        assert!(is_empty_list(&report[list]), "{list}: {}", report[list]);
    }
    assert_eq!(report["idle"], true, "the map never became idle: {report}");
    assert!(report["webgl"].is_string(), "no WebGL in Chromium: {}", report["webgl"]);

    // What MapLibre fetched from navigli: both TileJSONs, then tiles of both groups at the
    // map's zoom, all 200 with the CORS header (the page is on another origin).
    let responses = report["navigli_responses"].as_array().expect("navigli_responses");
    for r in responses {
        assert_eq!(r["status"], 200, "{r}");
        assert_eq!(r["cors"], "*", "no CORS header: {r}");
    }
    let urls: Vec<&str> = responses.iter().map(|r| r["url"].as_str().unwrap()).collect();
    for group in ["dbt", "sit"] {
        assert!(urls.contains(&format!("/cmm/tiles/{group}.json").as_str()), "TileJSON of {group} not fetched: {urls:?}");
        let tiles: Vec<&Value> =
            responses.iter().filter(|r| r["url"].as_str().unwrap().starts_with(&format!("/cmm/tiles/{group}/15/"))).collect();
        assert!(tiles.len() >= 4, "{group}: only {} tiles at z15 fetched: {urls:?}", tiles.len());
        for t in tiles {
            assert_eq!(t["content_type"], "application/vnd.mapbox-vector-tile", "{t}");
        }
    }

    // queryRenderedFeatures: buildings with their DBT attributes, named roads, Milano.
    let distinct = &report["distinct_features"];
    let rendered = &report["features"];
    let props = &report["property_counts"];
    let edifici = count(&rendered["edifici"]);
    assert!(count(&distinct["edifici"]) > 100, "too few buildings rendered: {distinct}");
    for key in ["EDIFC_USO", "EDIFC_TY", "piani", "cod_istat"] {
        assert_eq!(count(&props["edifici"][key]), edifici, "edifici without {key}: {}", props["edifici"]);
    }
    for sample in report["samples"]["edifici"].as_array().expect("edifici samples") {
        assert_eq!(sample["geometry"], "Polygon", "{sample}");
        let uso = sample["properties"]["EDIFC_USO"].as_str().unwrap_or_else(|| panic!("EDIFC_USO is not a string: {sample}"));
        assert_eq!(uso.len(), 2, "EDIFC_USO is a two-digit DBT code: {sample}");
        assert!(sample["id"].is_u64(), "features keep their ids: {sample}");
    }
    assert!(count(&distinct["strade"]) > 20, "too few roads rendered: {distinct}");
    assert!(count(&props["strade"]["nome"]) > 10, "roads without names: {}", props["strade"]);
    assert!(report["samples"]["strade"].as_array().unwrap().iter().all(|s| s["geometry"] == "LineString"), "{}", report["samples"]);
    assert!(count(&distinct["comuni"]) >= 1, "no comune rendered: {distinct}");
    let comune = &report["samples"]["comuni"][0]["properties"];
    assert_eq!((comune["nome"].as_str(), comune["cod_istat"].as_str()), (Some("Milano"), Some("015146")), "{comune}");
    assert_eq!(report["comuni_in_source"], serde_json::json!(["Milano"]));

    // The screenshot: the map, drawn.
    let bytes = std::fs::read(&png).unwrap_or_else(|e| panic!("{}: {e}", png.display()));
    let shot = tiny_skia::Pixmap::decode_png(&bytes).unwrap_or_else(|e| panic!("{} is not a PNG: {e}", png.display()));
    assert_eq!((shot.width(), shot.height()), SIZE, "screenshot size");
    let total = shot.pixels().len();
    let rgb = |c: &tiny_skia::PremultipliedColorU8| [c.red(), c.green(), c.blue()];
    let painted = shot.pixels().iter().filter(|c| rgb(c) != [255, 255, 255]).count();
    let of = |colour: [u8; 3]| shot.pixels().iter().filter(|c| rgb(c) == colour).count();
    let (buildings, roads, green) = (of(EDIFICI_FILL), of(STRADE_LINE), of(AREE_VERDI_FILL));
    let share = painted as f64 / total as f64;
    assert!(share > 0.10, "only {:.1}% of the screenshot is drawn ({painted}/{total} pixels)", share * 100.0);
    assert!(share < 0.95, "the screenshot is almost all painted ({painted}/{total} pixels)");
    assert!(buildings > total / 20, "building fill on only {buildings}/{total} pixels");
    assert!(roads > total / 100, "road lines on only {roads}/{total} pixels");

    eprintln!(
        "MapLibre {} on Chromium {} ({}): {} tiles; rendered {} buildings ({edifici} tile parts), {} roads, {} green areas, \
         comune {}; painted {:.1}% (buildings {:.1}%, roads {:.1}%, green {:.1}%); browser {} ms, test {:.1}s",
        report["maplibre_version"].as_str().unwrap_or("?"),
        report["chromium_version"].as_str().unwrap_or("?"),
        report["webgl"].as_str().unwrap_or("?"),
        urls.iter().filter(|u| u.ends_with(".mvt")).count(),
        distinct["edifici"],
        distinct["strade"],
        distinct["aree_verdi"],
        comune["nome"],
        share * 100.0,
        buildings as f64 * 100.0 / total as f64,
        roads as f64 * 100.0 / total as f64,
        green as f64 * 100.0 / total as f64,
        report["timings_ms"]["total"],
        elapsed.as_secs_f64()
    );
}
