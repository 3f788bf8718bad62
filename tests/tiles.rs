//! Vector tiles end to end, over the real binary: tiles decoded by GDAL's MVT driver (an
//! independent decoder) hold the features GDAL itself finds in the demo GeoPackage for that
//! tile, with their attributes; the GeoPackage and PostGIS backends give the same features;
//! low zooms keep what the layer's `tile_filters` say; HTTP semantics (gzip, ETag/304, 204, 404,
//! TileJSON 3.0.0, index); tenant isolation; and a
//! PostGIS update evicting exactly the tiles it touches.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use common::server::{demo_server, get, get_bytes, postgis_server, start, Server};
use serde_json::Value;

const PYTHON: &str = "/usr/bin/python3";
/// Milano's ISTAT code.
const MILANO: &str = "015146";

fn url(server: &Server, path: &str) -> String {
    format!("{}{path}", server.base())
}

fn oracle(args: &[&str]) -> Value {
    let script = common::root().join("tests/fixtures/mvt_oracle.py");
    let out =
        Command::new(PYTHON).arg(&script).args(args).output().expect("/usr/bin/python3 with GDAL (python3-gdal, installed by make test)");
    assert!(out.status.success(), "mvt_oracle {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("oracle JSON")
}

/// A tile fetched without gzip, decoded by GDAL: layer → fid → feature.
fn decoded(server: &Server, tenant: &str, source: &str, (z, x, y): (u8, u32, u32)) -> BTreeMap<String, BTreeMap<String, Value>> {
    let (status, head, body) = get_bytes(server, &format!("/{tenant}/tiles/{source}/{z}/{x}/{y}.mvt"));
    if status == 204 {
        return BTreeMap::new();
    }
    assert_eq!(status, 200, "{source} {z}/{x}/{y}: {}", String::from_utf8_lossy(&body));
    assert!(head.contains("content-type: application/vnd.mapbox-vector-tile"), "{head}");
    let file = tempfile::Builder::new().suffix(".mvt").tempfile().unwrap();
    std::fs::write(file.path(), &body).unwrap();
    let v = oracle(&["decode", &file.path().display().to_string(), &z.to_string(), &x.to_string(), &y.to_string()]);
    serde_json::from_value(v).unwrap()
}

/// Tiles over central Milano (the Duomo) and the metropolitan area.
const DUOMO_Z12: (u8, u32, u32) = (12, 2152, 1465);
const DUOMO_Z14: (u8, u32, u32) = (14, 8610, 5863);
const DUOMO_Z16: (u8, u32, u32) = (16, 34441, 23454);
const CMM_Z9: (u8, u32, u32) = (9, 269, 183);

#[test]
fn tiles_hold_the_features_gdal_finds_in_the_source() {
    let (server, _dir) = demo_server();
    let gpkg = common::demo_gpkg().display().to_string();
    // The 64-unit buffer, plus half a unit: points are snapped to the grid before the buffer
    // test (as ST_AsMVTGeom does).
    let buffer = (64.5f64 / 4096.0).to_string();
    for (source, tile, expected_layers) in [
        ("edifici", DUOMO_Z14, vec!["edifici"]),
        ("dbt", DUOMO_Z16, vec!["edifici", "strade", "civici", "aree_verdi", "idrografia"]),
        ("comuni,servizi_pubblici", DUOMO_Z12, vec!["comuni", "servizi_pubblici"]),
        ("sit", CMM_Z9, vec!["comuni", "zone_omogenee", "uso_suolo", "servizi_pubblici"]),
    ] {
        let tile_layers = decoded(&server, "cmm", source, tile);
        let names: Vec<&str> = tile_layers.keys().map(String::as_str).collect();
        let mut want = expected_layers.clone();
        want.sort();
        // Layers with no feature in the tile are left out of it, as ST_AsMVT does.
        for name in &names {
            assert!(want.contains(name), "{source} {tile:?}: unexpected layer {name}");
        }
        for layer in &expected_layers {
            let in_tile: BTreeSet<i64> =
                tile_layers.get(*layer).map(|f| f.keys().map(|k| k.parse().unwrap()).collect()).unwrap_or_default();
            let (z, x, y) = tile;
            let src: BTreeSet<i64> =
                serde_json::from_value(oracle(&["source", &gpkg, layer, &z.to_string(), &x.to_string(), &y.to_string(), &buffer])).unwrap();
            if *layer == expected_layers[0] {
                assert!(!src.is_empty(), "{layer} {tile:?}: the oracle finds nothing; pick another tile");
            }
            let extra: Vec<_> = in_tile.difference(&src).collect();
            assert!(extra.is_empty(), "{layer} {tile:?}: features not in the source's tile: {extra:?}");
            // Only slivers thinner than a tile unit may vanish when snapped to the grid.
            let missing = src.difference(&in_tile).count();
            assert!(missing * 100 <= src.len(), "{layer} {tile:?}: {missing} of {} source features missing", src.len());
        }
    }
    // Attributes: the allow-listed columns, with their values (checked on the points).
    let tile = decoded(&server, "cmm", "servizi_pubblici", DUOMO_Z12);
    let sample = tile["servizi_pubblici"].values().next().expect("services in central Milano");
    let props = sample["props"].as_object().unwrap();
    for key in ["nome", "tipo", "indirizzo"] {
        assert!(props.contains_key(key), "{props:?}");
    }
    assert_eq!(sample["type"], "POINT");
}

/// The features of `layer` GDAL finds in the demo GeoPackage for `tile`, with an OGR SQL
/// attribute filter (`None`: all).
fn source_ids(layer: &str, (z, x, y): (u8, u32, u32), filter: Option<&str>) -> BTreeSet<i64> {
    let gpkg = common::demo_gpkg().display().to_string();
    let buffer = (64.5f64 / 4096.0).to_string();
    let (z, x, y) = (z.to_string(), x.to_string(), y.to_string());
    let mut args = vec!["source", &gpkg, layer, &z, &x, &y, &buffer];
    let sql = filter.map(|f| format!("sql:{f}"));
    if let Some(s) = &sql {
        args.push(s);
    }
    serde_json::from_value(oracle(&args)).unwrap()
}

#[test]
fn low_zoom_tiles_keep_what_the_tile_filters_say() {
    // layers.toml: strade from zoom 8; below 11 only motorways and extra-urban roads, below 13
    // everything but local roads, from 13 the whole network. Checked against GDAL reading the
    // GeoPackage with the same conditions in OGR SQL, on both backends.
    let (gpkg, _d1) = demo_server();
    let pg = postgis_server();
    if pg.is_none() {
        eprintln!("NOTE: no PostGIS (NAVIGLI_TEST_DATABASE_URL unset): the PostGIS half of this test NOT RUN (use `make test`)");
    }
    for (tile, filter) in
        [(CMM_Z9, Some("classe IN ('autostrada', 'extraurbana')")), (DUOMO_Z12, Some("classe <> 'locale'")), (DUOMO_Z14, None)]
    {
        let want = source_ids("strade", tile, filter);
        assert!(!want.is_empty(), "{tile:?}: the oracle finds no road; pick another tile");
        if filter.is_some() {
            assert!(source_ids("strade", tile, None).len() > want.len(), "{tile:?}: the filter leaves roads out");
        }
        for server in std::iter::once(&gpkg).chain(pg.as_ref().map(|(s, _)| s)) {
            let decoded = decoded(server, "cmm", "strade", tile);
            let features = decoded.get("strade").cloned().unwrap_or_default();
            let got: BTreeSet<i64> = features.keys().map(|k| k.parse().unwrap()).collect();
            let extra: Vec<_> = got.difference(&want).take(5).collect();
            assert!(extra.is_empty(), "{tile:?}: roads the filter leaves out are in the tile: {extra:?}");
            let missing = want.difference(&got).count();
            assert!(missing * 100 <= want.len(), "{tile:?}: {missing} of {} roads missing", want.len());
            let classes: BTreeSet<&str> = features.values().filter_map(|f| f["props"]["classe"].as_str()).collect();
            match filter {
                Some(_) => assert!(!classes.contains("locale"), "{tile:?}: {classes:?}"),
                None => assert!(classes.contains("locale") && classes.contains("urbana principale"), "{tile:?}: {classes:?}"),
            }
        }
    }
    // Below the layer's lowest zoom the layer has no tiles at all.
    let (status, _, body) = get_bytes(&gpkg, "/cmm/tiles/strade/7/67/45.mvt");
    assert_eq!(status, 404, "{}", String::from_utf8_lossy(&body));
}

#[test]
fn geopackage_and_postgis_tiles_decode_to_the_same_features() {
    let (gpkg, _d1) = demo_server();
    let Some((pg, _d2)) = postgis_server() else {
        eprintln!("NOTE: no PostGIS (NAVIGLI_TEST_DATABASE_URL unset): backend comparison NOT RUN (use `make test`)");
        return;
    };
    for (tenant, source, tile) in [
        ("cmm", "edifici", DUOMO_Z14),
        ("cmm", "dbt", DUOMO_Z16),
        ("cmm", "sit", CMM_Z9),
        ("milano", "dbt", DUOMO_Z14),
        ("cmm", "falde", DUOMO_Z16),
    ] {
        let a = decoded(&gpkg, tenant, source, tile);
        let b = decoded(&pg, tenant, source, tile);
        assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>(), "{tenant} {source} {tile:?}: layers");
        for (layer, fa) in &a {
            let fb = &b[layer];
            let (ka, kb): (BTreeSet<&String>, BTreeSet<&String>) = (fa.keys().collect(), fb.keys().collect());
            let only_a: Vec<_> = ka.difference(&kb).take(5).collect();
            let only_b: Vec<_> = kb.difference(&ka).take(5).collect();
            assert!(
                only_a.is_empty() && only_b.is_empty(),
                "{tenant} {source} {tile:?} {layer}: {} vs {} features; only in GeoPackage {only_a:?}, only in PostGIS {only_b:?}",
                ka.len(),
                kb.len()
            );
            for (id, f) in fa {
                let g = &fb[id];
                assert_eq!(f["props"], g["props"], "{layer}.{id}: attributes");
                assert_eq!(f["type"], g["type"], "{layer}.{id}: geometry type");
                // Both simplify to half a tile unit and snap to the grid, with different
                // algorithms: small shapes may differ by a few grid cells.
                let unit = 2.0 * 20_037_508.342_789_244 / f64::from(1u32 << tile.0) / 4096.0;
                for (measure, slack) in [("area", 8.0 * unit * unit), ("length", 4.0 * unit)] {
                    let (x, y) = (f[measure].as_f64().unwrap(), g[measure].as_f64().unwrap());
                    assert!((x - y).abs() <= 0.05 * x.max(y) + slack, "{layer}.{id}: {measure} {x} vs {y}");
                }
            }
        }
    }
}

#[test]
fn tile_http_semantics_tilejson_and_index() {
    let (server, _dir) = demo_server();
    let path = "/cmm/tiles/edifici/14/8610/5863.mvt";
    // Gzip when accepted (stored compressed once), identity otherwise: the same tile.
    let (status, head, plain) = get_bytes(&server, path);
    assert_eq!(status, 200);
    let etag = head.lines().find_map(|l| l.strip_prefix("etag: ")).expect("ETag").trim().to_string();
    assert!(head.contains("cache-control: public, max-age="), "{head}");
    let out = Command::new("curl")
        .args(["-s", "-D", "-", "-o", "/dev/null", "-H", "Accept-Encoding: gzip"])
        .arg(url(&server, path))
        .output()
        .unwrap();
    let gz_head = String::from_utf8_lossy(&out.stdout).to_lowercase();
    assert!(gz_head.contains("content-encoding: gzip"), "{gz_head}");
    assert!(gz_head.contains("x-tile-cache: hit"), "the second request is served from the cache: {gz_head}");
    let out = Command::new("curl").args(["-s", "--compressed"]).arg(url(&server, path)).output().unwrap();
    assert_eq!(out.stdout, plain, "gzip and identity carry the same tile");
    // .pbf is the same tile; a matching If-None-Match gets 304.
    let (_, _, pbf) = get_bytes(&server, "/cmm/tiles/edifici/14/8610/5863.pbf");
    assert_eq!(pbf, plain);
    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", &format!("If-None-Match: {etag}")])
        .arg(url(&server, path))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "304");
    // Empty tiles are 204, consistently: outside the tenant, and in the sea off Africa.
    assert_eq!(get_bytes(&server, "/milano/tiles/edifici/14/8620/5863.mvt").0, 204, "a tile east of Milano's boundary");
    assert_eq!(get_bytes(&server, "/cmm/tiles/edifici/14/8000/8000.mvt").0, 204);
    // 404: below a layer's zoom range, beyond the grid, unknown or restricted sources (to an
    // anonymous caller a restricted layer does not exist), bad names.
    for bad in [
        "/cmm/tiles/servizi_sociali/14/8610/5863.mvt",
        "/cmm/tiles/edifici,servizi_sociali/14/8610/5863.mvt",
        "/cmm/tiles/edifici/5/16/11.mvt",
        "/cmm/tiles/edifici/14/99999/5863.mvt",
        "/cmm/tiles/edifici/25/0/0.mvt",
        "/cmm/tiles/nessuno/14/8610/5863.mvt",
        "/cmm/tiles/edifici/14/8610/5863.png",
        "/cmm/tiles/edifici/14/8610/abc.mvt",
        "/nowhere/tiles/edifici/14/8610/5863.mvt",
    ] {
        let (status, _, body) = get(&server, bad);
        assert_eq!(status, 404, "{bad}: {body}");
        assert!(body.contains("\"code\""), "{bad}: a JSON error: {body}");
    }
    // TileJSON 3.0.0.
    let (status, _, body) = get(&server, "/milano/tiles/dbt.json");
    assert_eq!(status, 200);
    let tj: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(tj["tilejson"], "3.0.0");
    assert_eq!(tj["tiles"][0].as_str().unwrap(), url(&server, "/milano/tiles/dbt/{z}/{x}/{y}.mvt"));
    let ids: Vec<&str> = tj["vector_layers"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["edifici", "strade", "civici", "idrografia", "aree_verdi"]);
    let edifici = &tj["vector_layers"][0];
    assert_eq!(edifici["minzoom"], 13);
    assert_eq!(edifici["fields"]["piani"], "Number");
    assert_eq!(edifici["fields"]["EDIFC_USO"], "String");
    let bounds: Vec<f64> = serde_json::from_value(tj["bounds"].clone()).unwrap();
    assert!(bounds[0] > 9.0 && bounds[2] < 9.35 && bounds[1] > 45.35 && bounds[3] < 45.6, "Milano's bounds: {bounds:?}");
    assert_eq!(tj["minzoom"], 0);
    // The index lists groups and layers, never a restricted one.
    let (status, _, body) = get(&server, "/cmm/tiles");
    assert_eq!(status, 200);
    let index: Value = serde_json::from_str(&body).unwrap();
    let listed: Vec<&str> = index["tiles"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert!(listed.contains(&"dbt") && listed.contains(&"edifici"), "{listed:?}");
    assert!(!body.contains("servizi_sociali") && !body.contains("welfare"), "{body}");
    assert_eq!(get(&server, "/cmm/tiles/servizi_sociali.json").0, 404);
}

#[test]
fn a_comune_gets_only_its_own_features() {
    let (server, _dir) = demo_server();
    // A z14 tile on Milano's eastern edge holds buildings of Milano and of Segrate.
    let all = decoded(&server, "cmm", "edifici", (14, 8613, 5862));
    let own = decoded(&server, "milano", "edifici", (14, 8613, 5862));
    let codes = |t: &BTreeMap<String, BTreeMap<String, Value>>| -> BTreeSet<String> {
        t.get("edifici").map(|f| f.values().map(|v| v["props"]["cod_istat"].as_str().unwrap().to_string()).collect()).unwrap_or_default()
    };
    assert!(codes(&all).len() > 1, "pick a tile across a boundary: {:?}", codes(&all));
    assert_eq!(codes(&own), BTreeSet::from([MILANO.to_string()]));
}

/// A database of its own for the invalidation test (the shared one must not change under the
/// other tests), loaded with `navigli demo`.
fn private_database(base_url: &str, name: &str) -> String {
    let (prefix, _) = base_url.rsplit_once('/').expect("database URL");
    let admin = format!("{prefix}/postgres");
    let psql = |url: &str, sql: &str| {
        let out = Command::new("psql").args(["-q", "-X", "-v", "ON_ERROR_STOP=1", url, "-c", sql]).output().expect("psql");
        assert!(out.status.success(), "{sql}: {}", String::from_utf8_lossy(&out.stderr));
    };
    psql(&admin, &format!("DROP DATABASE IF EXISTS {name}"));
    psql(&admin, &format!("CREATE DATABASE {name}"));
    let url = format!("{prefix}/{name}");
    let out = Command::new(env!("CARGO_BIN_EXE_navigli"))
        .args(["demo", "--config", &common::root().join("layers.toml").display().to_string(), "--postgis", &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "navigli demo: {}", String::from_utf8_lossy(&out.stderr));
    url
}

#[test]
fn a_postgis_update_evicts_exactly_the_tiles_it_touches() {
    let Some(shared) = common::demo_postgis() else {
        eprintln!("NOTE: no PostGIS (NAVIGLI_TEST_DATABASE_URL unset): invalidation test NOT RUN (use `make test`)");
        return;
    };
    let db = format!("navigli_tiles_{}", std::process::id());
    let db_url = private_database(shared, &db);
    let dir = tempfile::tempdir().unwrap();
    let config = common::server::write_config(dir.path(), common::demo_gpkg());
    // Buildings from z12 in this test's configuration (the shipped one starts at z13).
    let text = std::fs::read_to_string(&config).unwrap().replacen("min_zoom = 13", "min_zoom = 12", 1);
    std::fs::write(&config, text).unwrap();
    let server = start(&config, &["--source", &format!("main={db_url}")]);
    // A building near the Duomo, present at z12 and z16; an unrelated tile far away.
    let (z16, z12, far) = (DUOMO_Z16, DUOMO_Z12, (16, 34436, 23454));
    let before16 = decoded(&server, "cmm", "edifici", z16);
    let id: i64 = before16["edifici"].keys().next().unwrap().parse().unwrap();
    let before12 = decoded(&server, "cmm", "edifici", z12);
    let area = |t: &BTreeMap<String, BTreeMap<String, Value>>| t["edifici"][&id.to_string()]["area"].as_f64().unwrap();
    let (a16, a12) = (area(&before16), area(&before12));
    let (s, _, far_before) = get_bytes(&server, &format!("/cmm/tiles/edifici/{}/{}/{}.mvt", far.0, far.1, far.2));
    assert_eq!(s, 200, "the unrelated tile has buildings");
    // Cached now.
    let cached = |p: &str| {
        let out = Command::new("curl").args(["-s", "-D", "-", "-o", "/dev/null"]).arg(url(&server, p)).output().unwrap();
        String::from_utf8_lossy(&out.stdout).to_lowercase().contains("x-tile-cache: hit")
    };
    let p16 = format!("/cmm/tiles/edifici/{}/{}/{}.mvt", z16.0, z16.1, z16.2);
    let pfar = format!("/cmm/tiles/edifici/{}/{}/{}.mvt", far.0, far.1, far.2);
    assert!(cached(&p16) && cached(&pfar));
    // Grow the building fourfold around its centroid.
    let out = Command::new("psql")
        .args(["-q", "-X", "-v", "ON_ERROR_STOP=1", &db_url, "-c"])
        .arg(format!("UPDATE edifici SET geom = ST_Multi(ST_Scale(geom, ST_MakePoint(2, 2), ST_Centroid(geom))) WHERE fid = {id}"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The notification arrives within moments; the next request sees the new geometry.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let after16 = decoded(&server, "cmm", "edifici", z16);
        if (area(&after16) - 4.0 * a16).abs() < 0.1 * a16 || std::time::Instant::now() > deadline {
            assert!((area(&after16) - 4.0 * a16).abs() < 0.1 * a16, "z16: area {} after, {a16} before", area(&after16));
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let after12 = decoded(&server, "cmm", "edifici", z12);
    assert!((area(&after12) - 4.0 * a12).abs() < 0.15 * a12 + 1.0, "z12: area {} after, {a12} before", area(&after12));
    // The unrelated tile was not evicted: still a cache hit, same bytes.
    assert!(cached(&pfar), "the far tile stays cached");
    assert_eq!(get_bytes(&server, &pfar).2, far_before);
    drop(server);
    let (prefix, _) = shared.rsplit_once('/').unwrap();
    let _ = Command::new("psql")
        .args(["-q", "-X", &format!("{prefix}/postgres"), "-c", &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")])
        .output();
}

#[test]
fn a_geopackage_edit_while_serving_is_picked_up() {
    // A copy of the demo GeoPackage, edited with GDAL while navigli serves it.
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("demo.gpkg");
    std::fs::copy(common::demo_gpkg(), &gpkg).unwrap();
    let config = common::server::write_config(dir.path(), &gpkg);
    let server = start(&config, &[]);
    let before = decoded(&server, "cmm", "edifici", DUOMO_Z14);
    let (id, feature) = before["edifici"].iter().next().unwrap();
    assert_ne!(feature["props"]["piani"], 99);
    let out = Command::new("ogrinfo")
        .arg(&gpkg)
        .args(["-q", "-sql", &format!("UPDATE edifici SET piani = 99 WHERE fid = {id}")])
        .output()
        .expect("ogrinfo (gdal-bin)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The watcher polls every second.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let after = decoded(&server, "cmm", "edifici", DUOMO_Z14);
        if after["edifici"][id]["props"]["piani"] == 99 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the edit was not picked up within 10 s");
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}
