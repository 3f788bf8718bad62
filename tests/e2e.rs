//! End-to-end: the real `navigli` binary on a free local port, over the demo GeoPackage (and,
//! under `make test`, PostGIS), probed over HTTP; exception reports validated against the
//! official OGC schemas with `../shared/tools/ogc-validate`; the real-data path (ogr2ogr of
//! the real comuni boundaries into a GeoPackage and PostGIS) exercised with GDAL.

mod common;

use std::process::Command;

use common::server::{demo_server, get, json, ogc_validate, start, write_config, Server};

#[test]
fn landing_lists_134_tenants_and_public_layers_only() {
    let (server, _dir) = demo_server();
    eprintln!("startup to first /health answer: {:.0} ms", server.startup.as_secs_f64() * 1000.0);
    let v = json(&server, "/?f=json");
    let tenants = v["tenants"].as_array().unwrap();
    assert_eq!(tenants.len(), 134);
    assert_eq!(tenants[0]["id"], "cmm");
    let layers: Vec<&str> = v["layers"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap()).collect();
    for l in ["comuni", "zone_omogenee", "uso_suolo", "servizi_pubblici", "edifici", "strade", "idrografia", "aree_verdi", "falde"] {
        assert!(layers.contains(&l), "{l} missing from {layers:?}");
    }
    let (status, head, html) = get(&server, "/");
    assert_eq!(status, 200);
    assert!(head.contains("text/html"));
    assert!(html.contains("/milano/wms") && html.contains("Vermezzo con Zelo"));
    // Restricted welfare layers are listed nowhere.
    assert!(!v.to_string().contains("servizi_sociali") && !html.contains("servizi_sociali"));
    let milano = json(&server, "/milano?f=json");
    assert!(!milano.to_string().contains("servizi_sociali"));
    assert_eq!(milano["id"], "015146");
    assert_eq!(milano["extent"]["estimated"], false);
    // Per-comune overrides: title, and groups (Vermezzo con Zelo has no tetti layers).
    assert_eq!(milano["title"], "Comune di Milano — SIT");
    let vermezzo = json(&server, "/015251?f=json");
    assert!(!vermezzo["layers"].as_array().unwrap().iter().any(|l| l["name"] == "falde"));
    assert!(json(&server, "/abbiategrasso?f=json")["layers"].as_array().unwrap().iter().any(|l| l["name"] == "falde"));
}

#[test]
fn health_ready_and_unknown_tenants() {
    let (server, _dir) = demo_server();
    assert_eq!(json(&server, "/health")["status"], "ok");
    assert_eq!(json(&server, "/ready")["status"], "ready");
    let (status, _, body) = get(&server, "/atlantide?f=json");
    assert_eq!(status, 404);
    assert!(body.contains("no tenant 'atlantide'"), "{body}");
    let (status, head, body) = get(&server, "/atlantide/wfs?SERVICE=WFS&REQUEST=GetCapabilities");
    assert_eq!(status, 404);
    assert!(head.contains("application/xml"));
    assert!(body.contains("locator=\"tenant\""), "{body}");
    ogc_validate(&body, "tenant-not-found");
    let (status, _, _) = get(&server, "/cmm/nothing/here");
    assert_eq!(status, 404);
}

#[test]
fn ogc_requests_get_schema_valid_exceptions_with_the_right_status() {
    let (server, _dir) = demo_server();
    let (status, _, body) = get(&server, "/cmm/wfs?SERVICE=WFS&VERSION=2.0.0");
    assert_eq!(status, 400);
    assert!(body.contains("exceptionCode=\"MissingParameterValue\" locator=\"request\""), "{body}");
    ogc_validate(&body, "wfs20-missing-request");

    let (status, _, body) = get(&server, "/milano/wfs?service=wfs&version=1.1.0&request=Frobnicate");
    assert_eq!(status, 501);
    assert!(body.contains("xmlns:ows=\"http://www.opengis.net/ows\"") && body.contains("OperationNotSupported"), "{body}");
    ogc_validate(&body, "wfs11-unknown-request");

    let (status, _, body) = get(&server, "/015146/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=Frobnicate");
    assert_eq!(status, 501);
    assert!(body.contains("<ServiceExceptionReport version=\"1.3.0\""), "{body}");
    ogc_validate(&body, "wms130-unknown-request");

    let (status, head, body) = get(&server, "/cmm/wms?SERVICE=WMS&VERSION=1.1.1&REQUEST=Frobnicate");
    assert_eq!(status, 501);
    assert!(head.contains("application/vnd.ogc.se_xml"));
    ogc_validate(&body, "wms111-unknown-request");

    let (status, _, body) = get(&server, "/cmm/ows?REQUEST=GetCapabilities");
    assert_eq!(status, 400);
    assert!(body.contains("locator=\"service\""), "{body}");
    let (status, _, body) = get(&server, "/cmm/wms?SERVICE=WFS&REQUEST=GetCapabilities");
    assert_eq!(status, 400);
    assert!(body.contains("InvalidParameterValue"), "{body}");
    // Hostile input is escaped, never echoed raw.
    let (_, _, body) = get(&server, "/cmm/wfs?SERVICE=WFS&REQUEST=%3Cscript%3E");
    assert!(!body.contains("<script>"), "{body}");
    ogc_validate(&body, "escaped");
}

#[test]
fn check_reports_every_error_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    let text = std::fs::read_to_string(common::root().join("layers.toml"))
        .unwrap()
        .replace("bind = \"127.0.0.1:8080\"", "bind = \"localhost\"\ncolour = \"red\"")
        .replace("crs = \"EPSG:32632\"\n", "")
        .replace(
            "group = \"dbt\"\nsource = \"main\"\ntable = \"edifici\"",
            "group = \"dbt\"\nsource = \"nessuna\"\ntable = \"edifici\"\ncrs = \"EPSG:1234\"",
        )
        .replace("comuni = \"data/comuni.csv\"", &format!("comuni = {:?}", common::root().join("data/comuni.csv").display().to_string()))
        .replace("id = \"015251\"", "id = \"099999\"");
    std::fs::write(&bad, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_navigli")).args(["check", "--config", bad.to_str().unwrap()]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    for expected in
        ["bind 'localhost'", "unknown key 'colour'", "unknown source 'nessuna'", "unsupported crs 'EPSG:1234'", "'099999' is neither"]
    {
        assert!(stderr.contains(expected), "missing '{expected}' in:\n{stderr}");
    }
    assert!(stderr.lines().filter(|l| l.starts_with("error:")).count() >= 5, "{stderr}");
    let ok = Command::new(env!("CARGO_BIN_EXE_navigli"))
        .args(["check", "--config", common::root().join("layers.toml").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
}

/// Loading real data: ogr2ogr the real comuni boundaries (CC-BY, from ../shared) into a
/// GeoPackage and into PostGIS, point a config at them, and check navigli takes each
/// comune's extent from the real polygons.
#[test]
fn real_boundaries_loaded_with_ogr2ogr() {
    let geojson = common::root().join("../shared/data/comuni/cmm_comuni_133_with_zones.geojson");
    if !geojson.exists() {
        eprintln!("SKIPPED real_boundaries_loaded_with_ogr2ogr: {} is absent (outside the navigli workspace)", geojson.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("real.gpkg");
    let sql = "SELECT com_istat_code AS cod_istat, name AS nome FROM cmm_comuni_133_with_zones";
    let status = Command::new("ogr2ogr")
        .args([
            "-f",
            "GPKG",
            gpkg.to_str().unwrap(),
            geojson.to_str().unwrap(),
            "-sql",
            sql,
            "-nln",
            "comuni",
            "-nlt",
            "MULTIPOLYGON",
            "-t_srs",
            "EPSG:32632",
            "-lco",
            "FID=fid",
            "-lco",
            "GEOMETRY_NAME=geom",
        ])
        .status()
        .expect("ogr2ogr (gdal-bin) must be installed: make test installs it");
    assert!(status.success());
    let config = format!(
        r#"
[server]
bind = "127.0.0.1:8080"
[[source]]
id = "main"
kind = "gpkg"
path = {gpkg:?}
[[group]]
name = "sit"
title = "SIT"
[[layer]]
name = "comuni"
title = "Comuni (ISTAT)"
group = "sit"
source = "main"
table = "comuni"
geometry_type = "MultiPolygon"
tenant_column = "cod_istat"
attributes = [{{ name = "cod_istat", type = "text" }}, {{ name = "nome", type = "text" }}]
[tenants]
comuni = {comuni:?}
metro_id = "cmm"
metro_title = "Città Metropolitana di Milano"
boundary_layer = "comuni"
groups = ["sit"]
"#,
        gpkg = gpkg.display().to_string(),
        comuni = common::root().join("data/comuni.csv").display().to_string()
    );
    let config_path = dir.path().join("real.toml");
    std::fs::write(&config_path, config).unwrap();
    let check_milano = |server: &Server| {
        let m = json(server, "/milano?f=json");
        assert_eq!(m["extent"]["estimated"], false);
        let b: Vec<f64> = m["extent"]["bbox"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        // The real Milano boundary spans about 9.04–9.28 E, 45.39–45.54 N.
        for (got, want) in b.iter().zip([9.04, 45.39, 9.28, 45.54]) {
            assert!((got - want).abs() < 0.02, "Milano extent {b:?}");
        }
        let cmm = json(server, "/cmm?f=json");
        let b: Vec<f64> = cmm["extent"]["bbox"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        for (got, want) in b.iter().zip([8.7061, 45.1615, 9.5503, 45.6426]) {
            assert!((got - want).abs() < 0.005, "CMM extent {b:?}");
        }
    };
    let server = start(&config_path, &[]);
    check_milano(&server);
    drop(server);

    let Some(url) = common::demo_postgis() else { return };
    let (host_port_db, _) = (url.trim_start_matches("postgresql://postgres@"), ());
    let (host_port, db) = host_port_db.split_once('/').unwrap();
    let (host, port) = host_port.split_once(':').unwrap();
    let pg = format!("PG:host={host} port={port} user=postgres dbname={db}");
    let status = Command::new("ogr2ogr")
        .args([
            "-f",
            "PostgreSQL",
            &pg,
            geojson.to_str().unwrap(),
            "-sql",
            sql,
            "-nln",
            "real_comuni",
            "-nlt",
            "MULTIPOLYGON",
            "-t_srs",
            "EPSG:32632",
            "-lco",
            "FID=fid",
            "-lco",
            "GEOMETRY_NAME=geom",
            "-overwrite",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::write(&config_path, std::fs::read_to_string(&config_path).unwrap().replace("table = \"comuni\"", "table = \"real_comuni\""))
        .unwrap();
    let server = start(&config_path, &["--source", &format!("main={url}")]);
    check_milano(&server);
    assert_eq!(json(&server, "/ready")["status"], "ready");
}

#[test]
fn the_same_service_runs_on_postgis() {
    let Some(url) = common::demo_postgis() else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), common::demo_gpkg());
    let server = start(&config, &["--source", &format!("main={url}")]);
    assert_eq!(json(&server, "/ready")["status"], "ready");
    let v = json(&server, "/?f=json");
    assert_eq!(v["tenants"].as_array().unwrap().len(), 134);
    assert_eq!(json(&server, "/milano?f=json")["extent"]["estimated"], false);
}

#[test]
fn migrate_is_idempotent_and_indexes_every_geometry() {
    let Some(url) = common::demo_postgis() else { return };
    for _ in 0..2 {
        let out = Command::new(env!("CARGO_BIN_EXE_navigli")).args(["migrate", "--database-url", url]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        // demo_postgis() already migrated: nothing left to apply.
        assert!(String::from_utf8_lossy(&out.stdout).contains("none (up to date)"), "{}", String::from_utf8_lossy(&out.stdout));
    }
    let out = Command::new("psql")
        .args([url, "-Atc", "SELECT count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM pg_indexes i WHERE i.tablename = g.f_table_name AND i.indexdef ILIKE '%gist%')) || '/' || count(*) FROM geometry_columns g WHERE f_table_schema = 'public' AND f_table_name <> 'real_comuni'"])
        .output()
        .expect("psql");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0/13", "tables without a GiST index / tables");
}
