//! The GeoPortale page in headless Chromium (Debian's, npm `playwright-core`): a citizen searches
//! the catalog by text, opens a record, sees its map preview and copies a URL for QGIS, on a
//! desktop and a phone; axe-core finds no serious WCAG 2.1 AA violation at any step; no request
//! leaves navigli. `tests/fixtures/geoportale_check.mjs` only reports; this file judges. Also
//! without a browser: the search narrows by theme, type and extent, restricted records stay
//! hidden, typed text is escaped.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::server::{demo_server, get};
use serde_json::Value;

fn serious(violations: &Value) -> Vec<&Value> {
    violations.as_array().expect("axe list").iter().filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical"))).collect()
}

#[test]
fn a_citizen_finds_a_layer_and_copies_its_url_in_chromium() {
    let hint = "run scripts/deps.sh test (it runs scripts/web.sh)";
    assert!(Path::new("/usr/bin/chromium").exists(), "/usr/bin/chromium is missing ({hint})");
    assert!(common::root().join("target/npm/node_modules/playwright-core/package.json").exists(), "playwright-core is missing ({hint})");
    assert!(common::root().join("web/dist/manifest.json").exists(), "the web bundle is missing ({hint})");
    let (server, _dir) = demo_server();
    let out = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("node");
    cmd.arg(common::root().join("tests/fixtures/geoportale_check.mjs")).args([
        &server.base(),
        &common::root().join("target/npm").display().to_string(),
        &out.path().display().to_string(),
        "cmm",
        "edifici",
    ]);
    let report = common::run_report(cmd, "geoportale check", hint, Duration::from_secs(120));
    for device in ["desktop", "phone"] {
        let r = &report[device];
        assert_eq!(r["lang"], "it", "{device}");
        assert_eq!(r["errors"], serde_json::json!([]), "{device}: script errors");
        assert_eq!(r["foreign"], serde_json::json!([]), "{device}: requests outside navigli");
        let results: Vec<&str> = r["results"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert!(results.first().is_some_and(|t| t.starts_with("Edifici")), "{device}: {results:?}");
        assert!(results.len() < 15, "{device}: the text narrows the search: {results:?}");
        assert!(r["record_title"].as_str().unwrap().starts_with("Edifici"), "{device}: {r}");
        let preview = &r["preview"];
        assert!(
            preview["width"].as_u64() == Some(640) && preview["height"].as_u64().unwrap() > 100,
            "{device}: the preview map loaded: {r}"
        );
        assert!(preview["drawn"].as_f64().unwrap() > 0.005, "{device}: the preview shows the buildings: {preview}");
        assert_eq!(r["url_label"], "WMS");
        assert!(r["url_value"].as_str().unwrap().ends_with("/cmm/wms"));
        assert_eq!(r["clipboard"], r["url_value"], "{device}: the copy button copies the URL");
        assert_eq!(r["status"], "Indirizzo copiato negli appunti.");
        assert!(r["button_size"][1].as_u64().unwrap() >= 44, "{device}: a 44 px target: {}", r["button_size"]);
        for step in ["axe_start", "axe_results", "axe_record"] {
            assert!(serious(&r[step]).is_empty(), "{device} {step}: {}", r[step]);
        }
        assert_eq!(
            (r["overflow_results"].as_bool(), r["overflow_record"].as_bool()),
            (Some(false), Some(false)),
            "{device}: no horizontal scroll"
        );
        assert_eq!(r["english"]["lang"], "en");
        assert_eq!(r["english"]["heading"], "Addresses for QGIS and other programs");
    }
}

#[test]
fn the_search_narrows_and_hides_what_it_must() {
    let (server, _dir) = demo_server();
    let count = |path: &str| -> usize {
        let (status, _, body) = get(&server, path);
        assert_eq!(status, 200, "{path}: {body}");
        body.matches("<li><h3>").count()
    };
    let all = count("/cmm/geoportale");
    assert_eq!(all, 15, "12 public layers and 3 services");
    assert_eq!(count("/cmm/geoportale?tipo=service"), 3);
    assert_eq!(count("/cmm/geoportale?tema=Buildings"), 3, "edifici, falde, tetti verdi");
    assert_eq!(count("/cmm/geoportale?q=introvabile"), 0);
    assert_eq!(count("/cmm/geoportale?bbox=7.5,45.0,7.7,45.1"), 0, "nothing around Torino");
    assert_eq!(count("/cmm/geoportale?bbox=9.1,45.4,9.2,45.5"), 15);
    assert!(!get(&server, "/cmm/geoportale?q=sociali").2.contains("servizi_sociali"), "the restricted layer is not listed");
    let (status, head, _) = get(&server, "/cmm/geoportale?comune=milano&q=strade");
    assert_eq!(status, 303);
    assert!(head.contains("location: /milano/geoportale?q=strade"), "{head}");
    let (_, _, body) = get(&server, "/milano/geoportale/record?id=cmm:015146.strade");
    assert!(body.contains("/milano/wfs") && body.contains("navigli:strade"), "{body}");
    let (_, _, body) = get(&server, "/cmm/geoportale?q=%3Cscript%3Ealert(1)%3C/script%3E");
    assert!(!body.contains("<script>alert") && body.contains("&lt;script&gt;"), "typed text is escaped");
    assert_eq!(get(&server, "/cmm/geoportale/record?id=nope").0, 404);
}
