//! End-to-end: the app viewer (the OpenLayers bundle of `web/`, built by `scripts/web.sh`) in
//! headless Chromium (Debian's, driven by npm `playwright-core`, from `scripts/deps.sh test`),
//! over the real binary with the demo apps published by `navigli apps demo`. The browser script
//! `tests/fixtures/viewer_check.mjs` only reports; this file judges: every layer kind draws
//! (WMS, MVT, WFS), visible WMS layers come in one GetMap, identify shows exactly what WFS
//! returns for the building clicked, the permalink gives the same view in a fresh browser,
//! axe-core finds no serious or critical WCAG 2.1 AA violation on a desktop and a 390×844 phone,
//! and no request leaves navigli's origin. A missing browser, package or bundle is a failure.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

const CHROMIUM: &str = "/usr/bin/chromium";
const TIMEOUT: Duration = Duration::from_secs(170);

fn check_installed() {
    let hint = "run scripts/deps.sh test (it runs scripts/web.sh)";
    assert!(Path::new(CHROMIUM).exists(), "{CHROMIUM} is missing ({hint})");
    for package in ["playwright-core", "axe-core"] {
        let manifest = common::root().join("target/npm/node_modules").join(package).join("package.json");
        assert!(manifest.exists(), "npm package {package} is missing ({hint})");
    }
    assert!(common::root().join("web/dist/manifest.json").exists(), "the web bundle web/dist is missing ({hint})");
}

fn run_script(base: &str, out: &Path, app: &str, lon: f64, lat: f64, search: &str) -> Value {
    let mut cmd = Command::new("node");
    cmd.arg(common::root().join("tests/fixtures/viewer_check.mjs"))
        .args([base, &common::root().join("target/npm").display().to_string(), &out.display().to_string(), app])
        .args([format!("{lon}"), format!("{lat}"), search.to_string()]);
    common::run_report(cmd, "viewer check", "run scripts/deps.sh test", TIMEOUT)
}

fn serious(violations: &Value) -> Vec<&Value> {
    violations.as_array().expect("axe list").iter().filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical"))).collect()
}

#[test]
fn a_published_app_works_in_chromium() {
    check_installed();
    let (server, dir) = common::server::demo_apps_server();
    // A building of Milano (read by WFS here, not by the browser script): the map opens at it.
    let fc = common::server::json(
        &server,
        "/milano/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=edifici&COUNT=1&OUTPUTFORMAT=application/json&SRSNAME=urn:ogc:def:crs:OGC:1.3:CRS84",
    );
    let ring = &fc["features"][0]["geometry"]["coordinates"][0][0];
    let n = ring.as_array().expect("a building ring").len() - 1;
    let (lon, lat) =
        (0..n).fold((0.0, 0.0), |(x, y), i| (x + ring[i][0].as_f64().unwrap() / n as f64, y + ring[i][1].as_f64().unwrap() / n as f64));

    // A house number of Milano, also read by WFS: searched for in the browser.
    let fc = common::server::json(
        &server,
        "/milano/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=civici&COUNT=50&STARTINDEX=200&OUTPUTFORMAT=application/json\
         &SRSNAME=urn:ogc:def:crs:OGC:1.3:CRS84",
    );
    let civico = fc["features"].as_array().unwrap().iter().find(|f| f["properties"]["esponente"].is_null()).expect("a house number");
    let label = format!("{} {}", civico["properties"]["odonimo"].as_str().unwrap(), civico["properties"]["civico"]);
    let at = (civico["geometry"]["coordinates"][0].as_f64().unwrap(), civico["geometry"]["coordinates"][1].as_f64().unwrap());

    let report = run_script(&server.base(), dir.path(), "/milano/apps/mappa", lon, lat, &label);
    assert!(report["error"].is_null(), "the browser session failed: {}", report["error"].as_str().unwrap_or_default());
    assert_eq!(report["status"], 200);
    for list in ["foreign", "console_errors", "failed"] {
        assert!(report[list].as_array().is_some_and(Vec::is_empty), "{list}: {}", report[list]);
    }
    let csp = report["csp"].as_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'") && csp.contains("connect-src 'self';"), "{csp}");

    // Every layer kind drew: the WMS run over the comune, MVT roads and WFS services, then the
    // MVT buildings close up.
    let overview = &report["pixels_overview"];
    for layer in ["nv-wms-aree_verdi-idrografia", "nv-strade", "nv-servizi_pubblici"] {
        assert!(overview[layer].as_u64().unwrap_or(0) > 500, "{layer} drew nothing over Milano: {overview}");
    }
    assert!(report["pixels"]["nv-edifici"].as_u64().unwrap_or(0) > 5000, "no buildings drawn at zoom 18: {}", report["pixels"]);
    // The visible WMS layers of a view in one GetMap (plus the basemap's), hidden ones absent.
    assert_eq!(report["getmaps_overview"], serde_json::json!(["comuni", "aree_verdi,idrografia"]), "{}", report["getmaps_overview"]);
    let after: Vec<&str> = report["getmaps_after_toggle"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(!after.is_empty() && after.iter().all(|l| !l.contains("idrografia")), "hiding a WMS layer: {after:?}");
    assert!(report["legends"].as_array().unwrap().iter().all(|l| l == true), "a legend did not load: {}", report["legends"]);

    // Identify: exactly WFS's attributes of the building clicked.
    let target = &report["identify_target"];
    assert!(target.is_object(), "no building found in the view to click");
    let hit = &report["identify"][0];
    assert_eq!(format!("edifici.{}", hit["id"].as_str().unwrap()), target["id"].as_str().unwrap(), "{hit}");
    let wfs = target["properties"].as_object().unwrap();
    let shown = hit["rows"].as_object().unwrap();
    assert_eq!(shown.len(), wfs.len(), "identify shows {shown:?}, WFS has {wfs:?}");
    for (k, v) in wfs {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Null => "—".into(),
            other => other.to_string(),
        };
        assert_eq!(shown.get(k).and_then(Value::as_str), Some(text.as_str()), "attribute {k}");
    }

    // The permalink: same centre (within 1 m), zoom, layers and selected building.
    let link = report["permalink"].as_str().unwrap();
    assert!(link.contains("#map=18.00/") && link.contains(&format!("sel={}", target["id"].as_str().unwrap())), "{link}");
    let (a, b) = (&report["view"], &report["view_again"]);
    for i in 0..2 {
        let d = (a["center"][i].as_f64().unwrap() - b["center"][i].as_f64().unwrap()).abs();
        assert!(d < 1.0, "centre moved {d} m: {a} vs {b}");
    }
    assert_eq!(a["zoom"], b["zoom"]);
    assert_eq!(a["visible"], b["visible"]);
    assert_eq!(report["selected_again"], serde_json::json!([target["id"]]), "the fresh browser does not show the selected building");

    // Accessibility and the phone.
    assert!(serious(&report["axe_print"]).is_empty(), "axe (print dialog): {}", report["axe_print"]);
    // The print dialog's sheet: this view, exactly the visible layers, the choices made.
    let print = &report["print"];
    assert_eq!(print["path"], "/milano/apps/mappa/print", "{print}");
    assert_eq!(
        (print["status"].as_u64(), print["type"].as_str(), print["magic"].as_str()),
        (Some(200), Some("application/pdf"), Some("%PDF-"))
    );
    let p = &print["params"];
    let visible: Vec<&str> = report["view"]["visible"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(p["layers"].as_str().unwrap(), visible.join(","), "{print}");
    assert_eq!((p["paper"].as_str(), p["orientation"].as_str(), p["scale"].as_str()), (Some("a3"), Some("landscape"), Some("2000")));
    let bbox: Vec<f64> = p["bbox"].as_str().unwrap().split(',').map(|v| v.parse().unwrap()).collect();
    let centre = &report["view"]["center"];
    let (cx, cy) = (centre[0].as_f64().unwrap(), centre[1].as_f64().unwrap());
    assert!(bbox[0] < cx && cx < bbox[2] && bbox[1] < cy && cy < bbox[3], "the view's centre is inside the printed box: {print}");
    assert!(serious(&report["axe_desktop"]).is_empty(), "axe (desktop): {}", report["axe_desktop"]);
    assert!(serious(&report["axe_phone"]).is_empty(), "axe (phone): {}", report["axe_phone"]);
    let phone = &report["phone"];
    assert_eq!(phone["lang"], "en", "?lang=en");
    assert_eq!(phone["overflow"], false, "horizontal scroll on a 390 px phone");
    assert!(phone["small_targets"].as_array().unwrap().is_empty(), "targets below 44 px: {}", phone["small_targets"]);
    assert_eq!(phone["sheet_open"], true, "the bottom sheet did not open");

    // Search with the keyboard: the first result is the house number, the map centred on it
    // (within 5 m) close up, the combobox wired for screen readers, and axe still clean.
    let found = &report["search"];
    assert_eq!(found["options"][0], label, "{found}");
    assert_eq!(found["id"], civico["id"], "{found}");
    assert_eq!((found["expanded"].as_str(), found["activedescendant"].as_str()), (Some("true"), Some("search-opt-0")), "{found}");
    let c = (found["centre"][0].as_f64().unwrap(), found["centre"][1].as_f64().unwrap());
    let k = std::f64::consts::PI / 180.0 * 6_371_000.0;
    let d = (((c.0 - at.0) * k * (at.1 * std::f64::consts::PI / 180.0).cos()).powi(2) + ((c.1 - at.1) * k).powi(2)).sqrt();
    assert!(d < 5.0, "the map is centred {d:.1} m from {label}: {found}");
    assert!(found["zoom"].as_f64().unwrap() >= 18.0, "{found}");
    assert!(serious(&report["axe_search"]).is_empty(), "axe (search results open): {}", report["axe_search"]);
    eprintln!("viewer ready in {} ms (permalink view), screenshots in {}", report["ready_ms"], dir.path().display());
}
