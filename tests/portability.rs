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
