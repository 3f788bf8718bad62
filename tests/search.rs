//! End-to-end: the place search (`/{tenant}/search`) over the real binary and the demo data,
//! with its index built on the first search, in the embedded SQLite catalog database and in
//! PostgreSQL (`[server] apps_source`). What is searched for comes from the data itself, read
//! by WFS: a house number is found first and where WFS says it is, a typo still finds its
//! street, a number that does not exist falls back to its street, a comune's tenant finds only
//! its own places, a restricted layer is searched only for callers granted it, and bad
//! requests get a JSON error with the parameter at fault.

mod common;

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Some house numbers of a tenant, from WFS in lon/lat: (fid, label, lon, lat, properties).
fn civici(server: &common::server::Server, tenant: &str) -> Vec<(i64, String, f64, f64, Value)> {
    let fc = common::server::json(
        server,
        &format!(
            "/{tenant}/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=civici&COUNT=400&OUTPUTFORMAT=application/json\
             &SRSNAME=urn:ogc:def:crs:OGC:1.3:CRS84"
        ),
    );
    let features = fc["features"].as_array().expect("civici features");
    assert!(features.len() >= 100, "{tenant} has {} civici", features.len());
    features
        .iter()
        .map(|f| {
            let p = &f["properties"];
            let label = format!("{} {}{}", p["odonimo"].as_str().unwrap(), p["civico"], p["esponente"].as_str().unwrap_or(""));
            let id = f["id"].as_str().unwrap().rsplit('.').next().unwrap().parse().unwrap();
            let c = &f["geometry"]["coordinates"];
            (id, label, c[0].as_f64().unwrap(), c[1].as_f64().unwrap(), p.clone())
        })
        .collect()
}

fn search(server: &common::server::Server, tenant: &str, q: &str, extra: &str) -> Value {
    let q: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
    let (status, headers, body) = common::server::get(server, &format!("/{tenant}/search?q={q}{extra}"));
    assert_eq!(status, 200, "{q}: {body}");
    assert!(headers.to_ascii_lowercase().contains("content-type: application/geo+json"), "{headers}");
    serde_json::from_str(&body).unwrap()
}

fn labels(fc: &Value) -> Vec<String> {
    fc["features"].as_array().unwrap().iter().map(|f| f["properties"]["label"].as_str().unwrap().to_string()).collect()
}

/// Metres between two lon/lat points (equirectangular; fine at these distances).
fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let k = std::f64::consts::PI / 180.0 * 6_371_000.0;
    (((a.0 - b.0) * k * (a.1 * std::f64::consts::PI / 180.0).cos()).powi(2) + ((a.1 - b.1) * k).powi(2)).sqrt()
}

/// The checks shared by both catalog databases.
fn finds_places(server: &common::server::Server) {
    let all = civici(server, "milano");
    // A number without exponent, far enough along its street that its neighbours exist.
    let (fid, label, lon, lat, props) =
        all.iter().find(|c| c.4["esponente"].is_null() && c.4["civico"].as_i64().unwrap() >= 5).unwrap().clone();

    // The house number: first, with its position, kind and comune.
    let fc = search(server, "milano", &label, "");
    let first = &fc["features"][0];
    assert_eq!(first["id"], format!("civici.{fid}"), "{label}: {:?}", labels(&fc));
    assert_eq!(first["properties"]["kind"], "civico");
    assert_eq!(first["properties"]["detail"], "Milano");
    let c = &first["geometry"]["coordinates"];
    let d = metres((c[0].as_f64().unwrap(), c[1].as_f64().unwrap()), (lon, lat));
    assert!(d < 0.05, "{label} is {d} m from where WFS has it");
    // Lower case, no accents, extra spaces: the same answer.
    let fc = search(server, "milano", &format!("  {}  ", label.to_lowercase()), "&limit=3");
    assert_eq!(fc["features"][0]["id"], format!("civici.{fid}"));
    assert!(fc["features"].as_array().unwrap().len() <= 3);

    // A typo in the street's longest word (two letters swapped) still finds the street.
    let street = props["odonimo"].as_str().unwrap();
    let dug = props["dug"].as_str().unwrap();
    let word = props["denominazione"].as_str().unwrap().split(' ').max_by_key(|w| w.len()).unwrap();
    assert!(word.chars().count() >= 5, "{street}: no long word to misspell");
    let mut chars: Vec<char> = word.chars().collect();
    chars.swap(1, 2);
    let typo: String = chars.into_iter().collect();
    let q = format!("{dug} {typo}");
    let fc = search(server, "milano", &q, "");
    let hits = labels(&fc);
    assert_eq!(fc["features"][0]["properties"]["kind"], "strada", "{q}: {hits:?}");
    assert!(hits.iter().take(3).any(|h| h == street), "{q}: {street} not in {hits:?}");
    let street_hit = fc["features"].as_array().unwrap().iter().find(|f| f["properties"]["label"] == street).unwrap();
    let b = street_hit["bbox"].as_array().expect("a street has a bbox");
    assert!(b[0].as_f64() <= b[2].as_f64() && b[1].as_f64() <= b[3].as_f64(), "{b:?}");

    // A number the street does not have: the street itself.
    let fc = search(server, "milano", &format!("{street} 99999"), "");
    assert_eq!(fc["features"][0]["properties"]["label"], street, "{:?}", labels(&fc));

    // Typing: a prefix of the street name finds it.
    let prefix: String = street.chars().take(street.len() - 2).collect();
    assert!(labels(&search(server, "milano", &prefix, "&limit=20")).iter().any(|h| h == street), "{prefix}");

    // The comune itself, from the metropolitan tenant, with the box to fit.
    let fc = search(server, "cmm", "Sesto San Giovanni", "");
    assert_eq!(fc["features"][0]["properties"]["kind"], "comune", "{:?}", labels(&fc));
    assert_eq!(fc["features"][0]["properties"]["label"], "Sesto San Giovanni");
    assert!(fc["features"][0]["bbox"].is_array());

    // A comune's tenant finds only its own places; the metropolitan one finds Rho's.
    let rho = civici(server, "rho");
    let (rho_fid, rho_label, ..) = rho.iter().find(|c| c.4["esponente"].is_null()).unwrap().clone();
    let fc = search(server, "cmm", &format!("{rho_label} rho"), "");
    assert_eq!(fc["features"][0]["id"], format!("civici.{rho_fid}"), "{:?}", labels(&fc));
    let fc = search(server, "milano", &format!("{rho_label} rho"), "");
    for f in fc["features"].as_array().unwrap() {
        assert_eq!(f["properties"]["detail"], "Milano", "milano found {f}");
    }

    // Nothing at all.
    assert!(search(server, "milano", "zzqqxx", "")["features"].as_array().unwrap().is_empty());
}

#[test]
fn the_search_finds_places_in_the_embedded_database() {
    let (server, _dir) = common::server::demo_server();
    finds_places(&server);

    // Bad requests: JSON errors naming the parameter.
    for (query, locator) in [
        ("", "q"),
        ("?q=", "q"),
        ("?q=%20%20", "q"),
        ("?q=via&limit=0", "limit"),
        ("?q=via&limit=21", "limit"),
        ("?q=via&limit=x", "limit"),
    ] {
        let (status, _, body) = common::server::get(&server, &format!("/milano/search{query}"));
        assert_eq!(status, 400, "{query}: {body}");
        let v: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{query}: not JSON: {body}"));
        assert_eq!(v["locator"], locator, "{query}: {body}");
    }
    let long = "a".repeat(201);
    let (status, _, body) = common::server::get(&server, &format!("/milano/search?q={long}"));
    assert_eq!(status, 400, "{body}");
    let (status, _, _) = common::server::get(&server, "/nowhere/search?q=via");
    assert_eq!(status, 404);
}

#[test]
fn the_search_finds_places_in_postgresql() {
    let Some(url) = common::demo_postgis() else {
        eprintln!("SKIPPED the_search_finds_places_in_postgresql: NAVIGLI_TEST_DATABASE_URL is not set");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = common::server::write_config(dir.path(), common::demo_gpkg());
    let text = std::fs::read_to_string(&config).unwrap().replacen("[server]\n", "[server]\napps_source = \"main\"\n", 1);
    std::fs::write(&config, text).unwrap();
    let server = common::server::start(&config, &["--source", &format!("main={url}")]);
    finds_places(&server);
}

#[test]
fn a_restricted_layer_is_searched_only_for_callers_granted_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::server::write_config(dir.path(), common::demo_gpkg());
    let key = "chiave-di-prova-welfare-ricerca";
    let digest: String = Sha256::digest(key.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let mut text = std::fs::read_to_string(&config).unwrap();
    text += &format!(
        "\n[[search]]\nlayer = \"servizi_sociali\"\nkind = \"servizio\"\nlabel = \"{{nome}}\"\n\n\
         [[role]]\nname = \"welfare\"\nlayers = [\"servizi_sociali\"]\ntenants = [\"milano\"]\n\n\
         [[api_key]]\nname = \"welfare\"\nsha256 = \"{digest}\"\nroles = [\"welfare\"]\n"
    );
    std::fs::write(&config, text).unwrap();
    let server = common::server::start(&config, &[]);
    let fc = common::server::json(
        &server,
        &format!("/milano/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=servizi_sociali&COUNT=5&OUTPUTFORMAT=application/json&apikey={key}"),
    );
    let name = fc["features"][0]["properties"]["nome"].as_str().expect("a social service's name").to_string();
    let granted = search(&server, "milano", &name, &format!("&apikey={key}"));
    assert!(granted["features"].as_array().unwrap().iter().any(|f| f["properties"]["layer"] == "servizi_sociali"), "{granted}");
    let anonymous = search(&server, "milano", &name, "");
    assert!(anonymous["features"].as_array().unwrap().iter().all(|f| f["properties"]["layer"] != "servizi_sociali"), "{anonymous}");
}
