//! Portability: another Città Metropolitana sets navigli up from its boundaries alone, step by
//! step as the README's "Set up navigli for another Città Metropolitana" says — `navigli init`,
//! `navigli check`, `navigli serve` — with the 312 comuni of the Città metropolitana di Torino
//! (`../shared/data/comuni-torino/`, CC-BY; read, never copied; the test skips visibly when the
//! workspace's `../shared` is absent).

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::server::{get, get_bytes, json, ogc_validate_all, start};

const TITLE: &str = "Città metropolitana di Torino";

/// The Torino boundaries, or `None` (with a note) outside the workspace.
fn torino_boundaries() -> Option<PathBuf> {
    let file = common::root().join("../shared/data/comuni-torino/limits_P_1_municipalities.geojson");
    if file.exists() {
        Some(file)
    } else {
        eprintln!("SKIPPED: {} is absent (outside the navigli workspace)", file.display());
        None
    }
}

fn navigli(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_navigli")).args(args).output().expect("run navigli");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// Runs the README's steps into `dir`: init from the boundaries and a small facts table, then
/// check. Returns the configuration file.
fn set_up_torino(dir: &std::path::Path, boundaries: &std::path::Path) -> PathBuf {
    // An operator's own facts table (ISTAT style: `;`, thousands separators), for two comuni.
    let facts = dir.join("fatti.csv");
    std::fs::write(
        &facts,
        "PRO_COM_T;Comune;Residenti;Zona omogenea\n001272;Torino;848.885;Torino\n001156;Moncalieri;57.234;Area metropolitana sud\n",
    )
    .unwrap();
    let out = dir.join("cmto");
    let (ok, text) = navigli(&[
        "init",
        "--id",
        "cmto",
        "--title",
        TITLE,
        "--boundaries",
        boundaries.to_str().unwrap(),
        "--comuni",
        facts.to_str().unwrap(),
        "--email",
        "sit@cmto.example.invalid",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "navigli init: {text}");
    assert!(text.contains("312 comuni, boundaries in EPSG:32632"), "{text}");
    assert!(text.contains("310 comuni have no row"), "{text}");
    let config = out.join("layers.toml");
    let (ok, text) = navigli(&["check", "--config", config.to_str().unwrap()]);
    assert!(ok && text.contains("313 tenants"), "navigli check: {text}");
    config
}

#[test]
fn torino_is_set_up_from_its_boundaries_and_serves_its_312_comuni() {
    let Some(boundaries) = torino_boundaries() else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = set_up_torino(dir.path(), &boundaries);

    // The comuni table: computed areas and centroids, the facts where given.
    let table = std::fs::read_to_string(config.parent().unwrap().join("data/comuni.csv")).unwrap();
    let torino = table.lines().find(|l| l.starts_with("001272,")).expect("Torino's row");
    let f: Vec<&str> = torino.split(',').collect();
    assert_eq!(&f[..6], &["001272", "Torino", "torino", "", "Torino", "848885"], "{torino}");
    let (area, lon, lat): (f64, f64, f64) = (f[6].parse().unwrap(), f[7].parse().unwrap(), f[8].parse().unwrap());
    assert!((area - 130.0).abs() < 2.0, "Torino's area is about 130 km²: {area}");
    assert!((lon - 7.68).abs() < 0.03 && (lat - 45.07).abs() < 0.03, "Torino's centroid: {lon} {lat}");

    let server = start(&config, &[]);
    let landing = json(&server, "/?f=json");
    let tenants = landing["tenants"].as_array().unwrap();
    assert_eq!(tenants.len(), 313, "the metropolitan tenant and 312 comuni");
    assert_eq!(tenants[0]["id"], "cmto");
    assert!(landing["description"].as_str().unwrap().contains(TITLE));

    // Every comune is its own service: its WFS holds exactly its own boundary.
    let comuni: Vec<(String, String)> = table
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[2].to_string())
        })
        .collect();
    assert_eq!(comuni.len(), 312);
    for (code, slug) in &comuni {
        let path = format!("/{slug}/ogcapi/collections/comuni/items?f=json&limit=5&properties=cod_istat");
        let doc = json(&server, &path);
        let codes: Vec<&str> = doc["features"].as_array().unwrap().iter().map(|f| f["properties"]["cod_istat"].as_str().unwrap()).collect();
        assert_eq!(codes, vec![code.as_str()], "{path}");
    }
    let (status, _, body) = get(&server, "/cmto/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=comuni&RESULTTYPE=hits");
    assert!(status == 200 && body.contains("numberMatched=\"312\""), "{body}");

    // Capabilities name Torino's administration and namespace, never Milano's; schema-valid.
    let mut docs = Vec::new();
    for path in [
        "/cmto/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities",
        "/moncalieri/wms?SERVICE=WMS&VERSION=1.1.1&REQUEST=GetCapabilities",
        "/torino/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetCapabilities",
        "/torino/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=comuni",
    ] {
        let (status, _, body) = get(&server, path);
        assert_eq!(status, 200, "{path}: {body}");
        assert!(!body.contains("Milano") && !body.contains("cittametropolitana.mi.it"), "{path} names Milano");
        docs.push((body, path.split('/').nth(1).unwrap().to_string()));
    }
    assert!(docs[0].0.contains(TITLE) && docs[0].0.contains("sit@cmto.example.invalid"));
    assert!(docs[2].0.contains("urn:navigli:cmto"));
    assert!(docs[1].0.contains("Area metropolitana sud"), "the zona omogenea from the facts");
    let named: Vec<(&str, &str)> = docs.iter().map(|(x, n)| (x.as_str(), n.as_str())).collect();
    ogc_validate_all(&named);

    // Its catalog: the boundary layer and the three services, Torino's records in Torino's page.
    let (status, _, body) = get(&server, "/cmto/csw?SERVICE=CSW&VERSION=2.0.2&REQUEST=GetRecords&typeNames=csw:Record&resultType=hits");
    assert!(status == 200 && body.contains("numberOfRecordsMatched=\"4\""), "{body}");
    let (status, _, page) = get(&server, "/torino/geoportale?q=comuni");
    assert!(status == 200 && page.contains("Comuni — Comune di Torino") && !page.contains("Milano"), "{page}");

    // A map of the whole area and of one comune: drawn, in both axis orders.
    for path in [
        "/cmto/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=comuni&STYLES=&CRS=EPSG:4326&BBOX=44.7,6.6,45.6,8.2&WIDTH=400&HEIGHT=300&FORMAT=image/png&TRANSPARENT=TRUE",
        "/torino/wms?SERVICE=WMS&VERSION=1.1.1&REQUEST=GetMap&LAYERS=comuni&STYLES=&SRS=EPSG:4326&BBOX=7.55,45.0,7.78,45.15&WIDTH=300&HEIGHT=200&FORMAT=image/png&TRANSPARENT=TRUE",
    ] {
        let (status, head, png) = get_bytes(&server, path);
        assert!(status == 200 && head.contains("image/png"), "{path}");
        let mut decoder = png::Decoder::new(std::io::Cursor::new(png));
        decoder.set_transformations(png::Transformations::EXPAND);
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgba, "{path}: a transparent map");
        let drawn = buf[..info.buffer_size()].chunks(4).filter(|p| p[3] > 0).count();
        assert!(drawn > (info.width * info.height / 4) as usize, "{path}: only {drawn} pixels drawn");
    }
}

/// The secret the CMM instance sends to Torino (from its environment): it must never come back.
const REMOTE_KEY: &str = "fed-s3cret-7f1c";
const REMOTE_SECRET: &str = "ApiKey fed-s3cret-7f1c";

/// RGBA pixels of a PNG.
fn rgba(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("PNG frame");
    assert_eq!(info.color_type, png::ColorType::Rgba);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// Drawn pixels and the share of drawn pixels that differ between two maps.
fn compare_maps(a: &[u8], b: &[u8]) -> (usize, f64) {
    let (a, b) = (rgba(a), rgba(b));
    assert_eq!((a.0, a.1), (b.0, b.1));
    let (mut drawn, mut differ) = (0usize, 0usize);
    for (p, q) in a.2.chunks(4).zip(b.2.chunks(4)) {
        if p[3] > 0 || q[3] > 0 {
            drawn += 1;
            if p.iter().zip(q).any(|(x, y)| x.abs_diff(*y) > 48) {
                differ += 1;
            }
        }
    }
    (drawn, differ as f64 / drawn.max(1) as f64)
}

/// The CMM configuration (the demo) with Torino's `comuni` as the remote layer `torino_comuni`.
fn cmm_federating(dir: &std::path::Path, torino: &str) -> PathBuf {
    let config = common::server::write_config(dir, common::demo_gpkg());
    let text = std::fs::read_to_string(&config).unwrap();
    let remote = format!(
        r#"[[source]]
id = "torino"
kind = "ogcapi"
url = "{torino}/cmto/ogcapi"
timeout_ms = 1500
page_size = 100
breaker_failures = 2
retry_after_s = 2
authorization_env = "NAVIGLI_TEST_TORINO_AUTH"

[[group]]
name = "federati"
title = "Città Metropolitane federate"

[[layer]]
name = "torino_comuni"
title = "Comuni della Città metropolitana di Torino"
group = "federati"
source = "torino"
table = "comuni"
crs = "EPSG:4326"
geometry_type = "MultiPolygon"
attributes = [
  {{ name = "cod_istat", type = "text" }},
  {{ name = "nome", type = "text" }},
  {{ name = "area_km2", type = "float" }},
]

[[group]]
name = "sit""#
    );
    let text = text.replacen("[[group]]\nname = \"sit\"", &remote, 1).replacen(
        "groups = [\"sit\", \"dbt\", \"tetti\", \"welfare\"]",
        "groups = [\"sit\", \"dbt\", \"tetti\", \"welfare\", \"federati\"]",
        1,
    );
    assert!(text.contains("torino_comuni") && text.contains("\"federati\"]"), "the demo configuration changed shape");
    std::fs::write(&config, text).unwrap();
    config
}

#[test]
fn cmm_federates_torino_and_survives_it_hanging() {
    let Some(boundaries) = torino_boundaries() else { return };
    let dir = tempfile::tempdir().unwrap();
    // Torino knows the key CMM federates with (a credential of its own API-key list).
    let torino_config = set_up_torino(dir.path(), &boundaries);
    use sha2::Digest;
    let digest: String = sha2::Sha256::digest(REMOTE_KEY.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let mut text = std::fs::read_to_string(&torino_config).unwrap();
    text.push_str(&format!("\n[[api_key]]\nname = \"cmm-federation\"\nsha256 = \"{digest}\"\nroles = []\n"));
    std::fs::write(&torino_config, text).unwrap();
    let torino = start(&torino_config, &[]);
    let cmm_dir = dir.path().join("cmm");
    std::fs::create_dir_all(&cmm_dir).unwrap();
    let config = cmm_federating(&cmm_dir, &torino.base());
    let log = cmm_dir.join("navigli.log");
    let (child, port, startup) = common::server::spawn_server_env(
        &config,
        &[],
        "info,navigli::source::remote=debug",
        Some(&log),
        &[("NAVIGLI_TEST_TORINO_AUTH", REMOTE_SECRET)],
    );
    let cmm = common::server::Server { child, port, startup };
    let mut seen = String::new();
    let mut fetch = |server: &common::server::Server, path: &str| {
        let (status, head, body) = get(server, path);
        seen.push_str(&head);
        seen.push_str(&body);
        (status, body)
    };

    // The same features through the cascade as at the source: counts, filters, sorting, paging.
    let hits = |body: &str| body.split("numberMatched=\"").nth(1).and_then(|r| r.split('"').next()).map(str::to_string);
    let (_, direct) = fetch(&torino, "/cmto/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=comuni&RESULTTYPE=hits");
    let (status, cascaded) = fetch(&cmm, "/cmm/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=torino_comuni&RESULTTYPE=hits");
    assert_eq!(status, 200, "{cascaded}");
    assert_eq!((hits(&cascaded), hits(&direct)), (Some("312".into()), Some("312".into())));
    let names = |body: &str| -> Vec<String> {
        let doc: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
        doc["features"].as_array().unwrap().iter().map(|f| f["properties"]["nome"].as_str().unwrap().to_string()).collect()
    };
    for q in [
        "filter=area_km2%20%3E%20100&sortby=-area_km2&limit=20",
        "filter=nome%20LIKE%20%27San%25%27&limit=7&offset=3",
        "bbox=7.5,45.0,7.8,45.2&limit=50",
    ] {
        let (_, a) = fetch(&torino, &format!("/cmto/ogcapi/collections/comuni/items?f=json&{q}"));
        let (status, b) = fetch(&cmm, &format!("/cmm/ogcapi/collections/torino_comuni/items?f=json&{q}"));
        assert_eq!(status, 200, "{q}: {b}");
        let (a, b) = (names(&a), names(&b));
        assert!(!a.is_empty(), "{q}: the query selects something");
        if q.contains("sortby") {
            assert_eq!(a, b, "{q}");
        } else {
            let (mut a, mut b) = (a, b);
            a.sort();
            b.sort();
            assert_eq!(a, b, "{q}");
        }
    }

    // GDAL reads the cascaded layer as a WFS: every feature.
    let out = Command::new("ogrinfo")
        .args(["-ro", "-so", &format!("WFS:{}/cmm/wfs?VERSION=2.0.0", cmm.base()), "navigli:torino_comuni"])
        .output()
        .expect("ogrinfo (gdal-bin)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Feature Count: 312"), "ogrinfo: {text}{}", String::from_utf8_lossy(&out.stderr));

    // Maps: the cascaded layer draws as the source draws it, in both WMS versions and axis orders.
    for (version, crs_key, crs, bbox) in [
        ("1.3.0", "CRS", "EPSG:4326", "44.9,7.4,45.25,7.9"),
        ("1.1.1", "SRS", "EPSG:4326", "7.4,44.9,7.9,45.25"),
        ("1.3.0", "CRS", "EPSG:32632", "365000,4975000,410000,5010000"),
        ("1.1.1", "SRS", "EPSG:32632", "365000,4975000,410000,5010000"),
    ] {
        let q = |tenant: &str, layer: &str| {
            format!("/{tenant}/wms?SERVICE=WMS&VERSION={version}&REQUEST=GetMap&LAYERS={layer}&STYLES=&{crs_key}={crs}&BBOX={bbox}&WIDTH=400&HEIGHT=300&FORMAT=image/png&TRANSPARENT=TRUE")
        };
        let (s1, _, a) = get_bytes(&torino, &q("cmto", "comuni"));
        let (s2, _, b) = get_bytes(&cmm, &q("cmm", "torino_comuni"));
        assert_eq!((s1, s2), (200, 200), "{version} {crs}");
        let (drawn, differ) = compare_maps(&a, &b);
        assert!(drawn > 400 * 300 / 4, "{version} {crs}: {drawn} pixels drawn");
        assert!(differ < 0.01, "{version} {crs}: {:.2} % of the pixels differ", differ * 100.0);
    }
    // GetFeatureInfo through the cascade: the comune under Piazza Castello is Torino.
    let (status, info) = fetch(
        &cmm,
        "/cmm/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetFeatureInfo&LAYERS=torino_comuni&QUERY_LAYERS=torino_comuni&STYLES=&CRS=EPSG:4326&BBOX=45.06,7.67,45.08,7.70&WIDTH=100&HEIGHT=100&I=50&J=50&INFO_FORMAT=application/json",
    );
    assert_eq!(status, 200, "{info}");
    assert!(info.contains("\"Torino\"") && info.contains("001272"), "{info}");

    // Torino hangs (stopped: connections are accepted, nothing answers). The timeout fires, the
    // other layers of the map still render, the circuit opens, /ready stays ready.
    let pid = torino.child.id().to_string();
    assert!(Command::new("kill").args(["-STOP", &pid]).status().unwrap().success());
    let map = "/cmm/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=comuni,torino_comuni&STYLES=&CRS=EPSG:4326&BBOX=44.6,6.6,45.7,9.6&WIDTH=600&HEIGHT=220&FORMAT=image/png&TRANSPARENT=TRUE";
    let mut times = Vec::new();
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let (status, head, png) = get_bytes(&cmm, map);
        times.push(t.elapsed());
        assert!(status == 200 && head.contains("image/png"), "the map renders without the hanging remote: {status}");
        assert!(
            head.contains("x-navigli-layers-unavailable: torino_comuni") && head.contains("cache-control: no-store"),
            "a partial map says so and is not cached: {head}"
        );
        let (w, _, px) = rgba(&png);
        let milano_side = px.chunks(4).enumerate().filter(|(i, p)| (*i as u32 % w) > w * 2 / 3 && p[3] > 0).count();
        let torino_side = px.chunks(4).enumerate().filter(|(i, p)| (*i as u32 % w) < w / 2 && p[3] > 0).count();
        assert!(milano_side > 1000 && torino_side == 0, "Milano drawn ({milano_side}), Torino left out ({torino_side})");
    }
    let (_, _, noted) = get_bytes(&cmm, &format!("{map}&EXCEPTIONS=INIMAGE"));
    let (_, _, px) = rgba(&noted);
    assert!(px.chunks(4).any(|p| p[0] >= 150 && p[1] < 40 && p[2] < 40 && p[3] > 0), "INIMAGE: the missing layer is noted on the map");
    assert!(
        times[0] >= std::time::Duration::from_millis(1400) && times[0] < std::time::Duration::from_secs(8),
        "the timeout fired: {times:?}"
    );
    // The third map does not wait for Torino: the circuit is open (the log says so; timings on
    // a loaded machine are only a sanity bound).
    assert!(times[2] < std::time::Duration::from_secs(5), "{times:?}");
    let log_now = std::fs::read_to_string(&log).unwrap();
    assert!(log_now.contains("remote circuit open"), "the circuit opened");
    assert!(log_now.contains("it is asked again in"), "a request was answered by the open circuit");
    let (status, body) = fetch(&cmm, "/cmm/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=torino_comuni&RESULTTYPE=hits");
    assert_eq!(status, 503, "{body}");
    let (_, _, metrics) = get(&cmm, "/metrics");
    assert!(metrics.contains("navigli_remote_circuit_open{source=\"torino\"} 1"), "{metrics}");
    let failed = metrics
        .lines()
        .find_map(|l| l.strip_prefix("navigli_remote_requests_total{source=\"torino\",result=\"failed\"} "))
        .map(|n| n.parse::<u64>().unwrap());
    assert!(failed >= Some(2), "the timeouts are counted: {failed:?}");
    let ready = json(&cmm, "/ready");
    assert_eq!(ready["status"], "ready", "{ready}");
    assert!(ready["sources"].as_array().unwrap().iter().any(|s| s["id"] == "torino" && s["ok"] == false), "{ready}");

    // Torino comes back: after retry_after the cascade recovers by itself.
    assert!(Command::new("kill").args(["-CONT", &pid]).status().unwrap().success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (status, body) = fetch(&cmm, "/cmm/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=torino_comuni&RESULTTYPE=hits");
        if status == 200 {
            assert_eq!(hits(&body), Some("312".into()));
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no recovery: {status} {body}");
        std::thread::sleep(std::time::Duration::from_millis(500));
    }

    let (_, _, metrics) = get(&cmm, "/metrics");
    assert!(metrics.contains("navigli_remote_circuit_open{source=\"torino\"} 0"), "closed again: {metrics}");

    // The credential went to Torino only: in no answer, in no log line.
    drop(cmm);
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(log_text.contains("remote GET"), "the remote requests are logged (without credentials)");
    for secret in [REMOTE_SECRET, "fed-s3cret"] {
        assert!(!seen.contains(secret), "a response holds the remote credential");
        assert!(!log_text.contains(secret), "the log holds the remote credential");
    }
}

/// The hostile remote of `tests/fixtures/hostile_ogcapi.py`, killed on drop.
struct Hostile(std::process::Child, u16);

impl Drop for Hostile {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn hostile_remote() -> Hostile {
    use std::io::BufRead;
    let mut child = Command::new("/usr/bin/python3")
        .arg(common::root().join("tests/fixtures/hostile_ogcapi.py"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let port = line.trim().parse().unwrap_or_else(|_| panic!("hostile remote: {line}"));
    Hostile(child, port)
}

#[test]
fn a_hostile_remote_fails_alone_and_clearly() {
    // Needs nothing from ../shared: the remote is a small script of ours that misbehaves on
    // purpose (the well-behaved remote is a real navigli, above).
    let remote = hostile_remote();
    let dir = tempfile::tempdir().unwrap();
    let config = common::server::write_config(dir.path(), common::demo_gpkg());
    let mut text = std::fs::read_to_string(&config).unwrap();
    let mut layers = String::new();
    for name in ["ok", "garbage", "foreign", "loop", "huge", "badgeom"] {
        layers.push_str(&format!(
            "[[layer]]\nname = \"h_{name}\"\ntitle = \"{name}\"\ngroup = \"federati\"\nsource = \"hostile\"\ntable = \"{name}\"\ncrs = \"EPSG:4326\"\n\
             geometry_type = \"Point\"\nattributes = [{{ name = \"nome\", type = \"text\" }}]\n\n"
        ));
    }
    let remote_sections = format!(
        "[[source]]\nid = \"hostile\"\nkind = \"ogcapi\"\nurl = \"http://127.0.0.1:{}\"\ntimeout_ms = 5000\nbreaker_failures = 1000\n\n\
         [[group]]\nname = \"federati\"\ntitle = \"Federati\"\n\n{layers}[[group]]\nname = \"sit\"",
        remote.1
    );
    text = text.replacen("[[group]]\nname = \"sit\"", &remote_sections, 1).replacen(
        "groups = [\"sit\", \"dbt\", \"tetti\", \"welfare\"]",
        "groups = [\"sit\", \"dbt\", \"tetti\", \"welfare\", \"federati\"]",
        1,
    );
    std::fs::write(&config, text).unwrap();
    let server = start(&config, &[]);

    let doc = json(&server, "/cmm/ogcapi/collections/h_ok/items?f=json");
    assert_eq!(doc["features"].as_array().unwrap().len(), 2, "{doc}");
    let (status, head, tile) = get_bytes(&server, "/cmm/tiles/h_ok/5/16/11.mvt");
    assert!(status == 200 && !tile.is_empty(), "a remote layer is a vector tile source too: {status} {head}");
    for name in ["garbage", "foreign", "loop", "huge", "badgeom"] {
        let started = std::time::Instant::now();
        let (status, _, body) = get(&server, &format!("/cmm/ogcapi/collections/h_{name}/items?f=json&limit=1000"));
        assert_eq!(status, 503, "{name}: {body}");
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "{name}: answered in {:?}", started.elapsed());
        let (status, _, body) =
            get(&server, &format!("/cmm/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=h_{name}&COUNT=1000"));
        assert_eq!(status, 503, "{name} (WFS): {body}");
        let (status, head, _) = get_bytes(
            &server,
            &format!("/cmm/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=comuni,h_{name}&STYLES=&CRS=EPSG:4326&BBOX=44.6,6.6,45.7,9.6&WIDTH=300&HEIGHT=120&FORMAT=image/png"),
        );
        assert!(status == 200 && head.contains("image/png"), "{name}: the map is drawn without the failing layer");
    }
    let (status, _, _) = get(&server, "/health");
    assert_eq!(status, 200);
    let doc = json(&server, "/cmm/ogcapi/collections/h_ok/items?f=json");
    assert_eq!(doc["features"].as_array().unwrap().len(), 2, "the good layer of the same remote still answers");
}
