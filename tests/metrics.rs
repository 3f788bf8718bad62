//! `/metrics` read by a Prometheus client nobody here wrote: the `prometheus_client` package's
//! exposition-format parser (PyPI, pinned in tests/requirements-ogcapi.txt) parses it, and its
//! counters move as requests are made — per protocol, tenant and status, the latency histogram,
//! the tile cache's hits and misses — with labels from a bounded set (no URL becomes a label).

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use common::server::{demo_server, get};

/// The samples of `/metrics` as `name{label="v",…}` → value, through prometheus_client's parser.
fn scrape(server: &common::server::Server) -> BTreeMap<String, f64> {
    let (status, head, body) = get(server, "/metrics");
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/plain; version=0.0.4"), "{head}");
    let script = "import sys, json\nfrom prometheus_client.parser import text_string_to_metric_families\nout = {}\nfor fam in text_string_to_metric_families(sys.stdin.read()):\n    for s in fam.samples:\n        labels = ','.join(f'{k}=\"{v}\"' for k, v in sorted(s.labels.items()))\n        out[f'{s.name}{{{labels}}}'] = s.value\nprint(json.dumps(out))\n";
    let mut child = Command::new(common::tools_python())
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(body.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "prometheus_client refused the exposition:\n{}\n{body}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn value(m: &BTreeMap<String, f64>, key: &str) -> f64 {
    m.get(key).copied().unwrap_or(0.0)
}

#[test]
fn metrics_parse_and_move_with_requests() {
    let (server, _dir) = demo_server();
    let before = scrape(&server);
    let wms = r#"navigli_requests_total{protocol="wms",status="200",tenant="015146"}"#;
    let api_404 = r#"navigli_requests_total{protocol="ogcapi",status="404",tenant="cmm"}"#;
    let hits = r#"navigli_tile_cache_requests_total{result="hit"}"#;
    let misses = r#"navigli_tile_cache_requests_total{result="miss"}"#;
    for _ in 0..3 {
        assert_eq!(get(&server, "/milano/wms?SERVICE=WMS&REQUEST=GetCapabilities").0, 200);
    }
    assert_eq!(get(&server, "/cmm/ogcapi/collections/nosuch").0, 404);
    // The same tile twice: one miss, one hit.
    assert_eq!(get(&server, "/milano/tiles/edifici/14/8610/5863.mvt").0, 200);
    assert_eq!(get(&server, "/milano/tiles/edifici/14/8610/5863.mvt").0, 200);
    // Unknown tenants and odd paths do not become labels.
    let _ = get(&server, "/no-such-tenant-123/wms");
    let _ = get(&server, "/x/%3Cscript%3E");
    let after = scrape(&server);
    assert_eq!(value(&after, wms) - value(&before, wms), 3.0, "{after:?}");
    assert_eq!(value(&after, api_404) - value(&before, api_404), 1.0);
    assert_eq!(value(&after, misses) - value(&before, misses), 1.0);
    assert_eq!(value(&after, hits) - value(&before, hits), 1.0);
    assert!(value(&after, "navigli_tile_cache_entries{}") >= 1.0);
    assert!(value(&after, "navigli_tile_cache_bytes{}") > 0.0);
    let count = r#"navigli_request_duration_seconds_count{protocol="wms"}"#;
    let inf = r#"navigli_request_duration_seconds_bucket{le="+Inf",protocol="wms"}"#;
    assert_eq!(value(&after, count), value(&after, inf));
    assert!(value(&after, count) >= 3.0);
    for key in after.keys() {
        assert!(!key.contains("no-such-tenant") && !key.contains("script"), "an unbounded label: {key}");
    }
}

#[test]
fn json_access_logs_are_one_object_per_line() {
    // This test's own process (nextest runs one test per process): the server inherits it.
    std::env::set_var("NAVIGLI_LOG_FORMAT", "json");
    let dir = tempfile::tempdir().unwrap();
    let config = common::server::write_config(dir.path(), common::demo_gpkg());
    let log = dir.path().join("server.log");
    let (mut child, port, _) = common::server::spawn_server(&config, &[], "navigli::access=info,warn", Some(&log));
    // An unknown key: refused (401), and logged without the key.
    let (status, _, _) = common::server::try_get(port, "/milano/ogcapi/collections?apikey=secret-key-123").unwrap();
    assert_eq!(status, 401);
    let _ = child.kill();
    let _ = child.wait();
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let access = lines
        .iter()
        .find(|l| l["target"] == "navigli::access" && l["fields"]["path"] == "/milano/ogcapi/collections")
        .unwrap_or_else(|| panic!("no access line:\n{text}"));
    assert_eq!(access["fields"]["status"], 401);
    assert_eq!(access["fields"]["query"], "apikey=***", "keys are masked in JSON logs too");
    assert!(!text.contains("secret-key-123"));
}
