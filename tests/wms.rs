//! End-to-end tests of the WMS (1.3.0 and 1.1.1, KVP GET) against the real binary over the
//! demo data: GetMap images (size, content, axis order, transparency, empty areas), exception
//! reports (schema-valid, right code and status, or drawn in the image), GetFeatureInfo compared
//! with the GeoPackage read directly, and GDAL's WMS driver as a real client.

mod common;

use std::process::Command;

use common::server::{demo_server, get, get_bytes, ogc_validate_all};
use geo::Centroid;
use navigli::crs::{transform_point, Crs};

/// Milano around the Duomo, WMS 1.3.0 EPSG:4326 order (lat, lon).
const DUOMO_LATLON: &str = "45.455,9.17,45.475,9.20";
const DUOMO_LONLAT: &str = "9.17,45.455,9.20,45.475";

fn decode(png: &[u8]) -> tiny_skia::Pixmap {
    tiny_skia::Pixmap::decode_png(png).unwrap_or_else(|e| panic!("not a PNG: {e}"))
}

/// Pixels that differ from `background` (RGBA, premultiplied by tiny-skia).
fn painted(p: &tiny_skia::Pixmap, background: [u8; 4]) -> usize {
    p.pixels().iter().filter(|c| [c.red(), c.green(), c.blue(), c.alpha()] != background).count()
}

fn getmap(version: &str, layers: &str, crs: &str, bbox: &str, extra: &str) -> String {
    let crs_key = if version == "1.1.1" { "SRS" } else { "CRS" };
    format!("/milano/wms?SERVICE=WMS&VERSION={version}&REQUEST=GetMap&LAYERS={layers}&STYLES=&{crs_key}={crs}&BBOX={bbox}&WIDTH=400&HEIGHT=300&FORMAT=image/png{extra}")
}

#[test]
fn getmap_draws_the_requested_layers_at_the_requested_size() {
    let (server, _dir) = demo_server();
    let (status, head, body) =
        get_bytes(&server, &getmap("1.3.0", "uso_suolo,strade,edifici,servizi_pubblici", "EPSG:4326", DUOMO_LATLON, ""));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(head.contains("content-type: image/png"));
    let map = decode(&body);
    assert_eq!((map.width(), map.height()), (400, 300));
    assert!(painted(&map, [255, 255, 255, 255]) > 400 * 300 / 2, "most of central Milano is drawn");
    // 1.3.0 EPSG:4326 (lat, lon) and 1.1.1 EPSG:4326 (lon, lat) show the same map.
    let (_, _, v111) = get_bytes(&server, &getmap("1.1.1", "uso_suolo,strade,edifici,servizi_pubblici", "EPSG:4326", DUOMO_LONLAT, ""));
    assert_eq!(body, v111, "axis order differs between 1.3.0 and 1.1.1");
    // CRS:84 is lon, lat in 1.3.0 too.
    let (_, _, crs84) = get_bytes(&server, &getmap("1.3.0", "uso_suolo,strade,edifici,servizi_pubblici", "CRS:84", DUOMO_LONLAT, ""));
    assert_eq!(body, crs84);
    // A group name draws its members.
    let (status, _, group) = get_bytes(&server, &getmap("1.3.0", "dbt", "EPSG:4326", DUOMO_LATLON, ""));
    assert_eq!(status, 200);
    assert!(painted(&decode(&group), [255, 255, 255, 255]) > 1000);
    // The same area in the data's own CRS draws too.
    let (sw_e, sw_n) = transform_point(Crs::CRS84, Crs::UTM32N, 9.17, 45.455).unwrap();
    let (ne_e, ne_n) = transform_point(Crs::CRS84, Crs::UTM32N, 9.20, 45.475).unwrap();
    let bbox = format!("{sw_e},{sw_n},{ne_e},{ne_n}");
    let (status, _, utm) = get_bytes(&server, &getmap("1.3.0", "edifici", "EPSG:32632", &bbox, ""));
    assert_eq!(status, 200);
    assert!(painted(&decode(&utm), [255, 255, 255, 255]) > 1000);
}

#[test]
fn transparency_background_and_empty_areas() {
    let (server, _dir) = demo_server();
    // Far outside the metropolitan area: an empty (background) image, not an error.
    let (status, _, body) = get_bytes(&server, &getmap("1.3.0", "edifici", "EPSG:4326", "40.0,12.0,40.1,12.1", ""));
    assert_eq!(status, 200);
    assert_eq!(painted(&decode(&body), [255, 255, 255, 255]), 0);
    let (_, _, body) = get_bytes(&server, &getmap("1.3.0", "edifici", "EPSG:4326", "40.0,12.0,40.1,12.1", "&TRANSPARENT=TRUE"));
    assert_eq!(painted(&decode(&body), [0, 0, 0, 0]), 0, "transparent and empty");
    let (_, _, body) = get_bytes(&server, &getmap("1.3.0", "edifici", "EPSG:4326", "40.0,12.0,40.1,12.1", "&BGCOLOR=0x336699"));
    assert_eq!(painted(&decode(&body), [0x33, 0x66, 0x99, 255]), 0, "BGCOLOR fills the map");
    // Transparent map over data: some pixels stay fully transparent, some are drawn.
    let (_, _, body) = get_bytes(&server, &getmap("1.3.0", "servizi_pubblici", "EPSG:4326", DUOMO_LATLON, "&TRANSPARENT=TRUE"));
    let map = decode(&body);
    let drawn = painted(&map, [0, 0, 0, 0]);
    assert!(drawn > 0 && drawn < 400 * 300 / 4, "{drawn} pixels drawn");
}

#[test]
fn wrong_requests_get_wms_exceptions() {
    let (server, _dir) = demo_server();
    let cases: Vec<(String, u16, &str, &str)> = vec![
        (getmap("1.3.0", "nessuno", "EPSG:4326", DUOMO_LATLON, ""), 400, "LayerNotDefined", "layers"),
        (getmap("1.3.0", "servizi_sociali", "EPSG:4326", DUOMO_LATLON, ""), 400, "LayerNotDefined", "layers"),
        (getmap("1.3.0", "edifici", "EPSG:9999", DUOMO_LATLON, ""), 400, "InvalidCRS", "crs"),
        (getmap("1.3.0", "edifici", "EPSG:4326", "45.5,9.2,45.4,9.1", ""), 400, "InvalidParameterValue", "bbox"),
        (
            getmap("1.3.0", "edifici", "EPSG:4326", DUOMO_LATLON, "&FORMAT=image/gif").replace("FORMAT=image/png&FORMAT", "FORMAT"),
            400,
            "InvalidFormat",
            "format",
        ),
        (
            getmap("1.3.0", "edifici", "EPSG:4326", DUOMO_LATLON, "").replace("WIDTH=400", "WIDTH=99999"),
            400,
            "InvalidParameterValue",
            "width",
        ),
        (getmap("1.3.0", "edifici", "EPSG:4326", DUOMO_LATLON, "").replace("STYLES=", "STYLES=fancy"), 400, "StyleNotDefined", "styles"),
    ];
    let mut docs = Vec::new();
    for (path, status, code, locator) in &cases {
        // FORMAT appears once: the gif case replaces the png value.
        let path = if path.contains("image/gif") { path.replace("&FORMAT=image/png", "") } else { path.clone() };
        let (got, head, body) = get(&server, &path);
        assert_eq!(got, *status, "{path}: {body}");
        assert!(head.contains("text/xml"), "{path}: {head}");
        assert!(body.contains(&format!("code=\"{code}\" locator=\"{locator}\"")), "{path}: {body}");
        docs.push((format!("wms130-{code}-{locator}"), body));
    }
    let (got, head, body) = get(&server, &getmap("1.1.1", "edifici", "EPSG:9999", DUOMO_LONLAT, ""));
    assert_eq!(got, 400);
    assert!(head.contains("application/vnd.ogc.se_xml"));
    assert!(body.contains("code=\"InvalidSRS\""), "{body}");
    docs.push(("wms111-InvalidSRS".into(), body));
    let refs: Vec<(&str, &str)> = docs.iter().map(|(n, b)| (b.as_str(), n.as_str())).collect();
    ogc_validate_all(&refs);
    // EXCEPTIONS=INIMAGE / BLANK answer with an image of the requested size.
    for mode in ["INIMAGE", "BLANK", "application/vnd.ogc.se_inimage"] {
        let (status, head, body) =
            get_bytes(&server, &getmap("1.3.0", "nessuno", "EPSG:4326", DUOMO_LATLON, &format!("&EXCEPTIONS={mode}")));
        assert_eq!(status, 200, "{mode}");
        assert!(head.contains("image/png"));
        let img = decode(&body);
        assert_eq!((img.width(), img.height()), (400, 300));
        // Not TRANSPARENT: the background colour (white by default) fills the image.
        let drawn = painted(&img, [255, 255, 255, 255]);
        if mode == "BLANK" {
            assert_eq!(drawn, 0);
        } else {
            assert!(drawn > 0, "INIMAGE marks the image");
        }
    }
}

/// A building of Milano read straight from the GeoPackage: (fid, centroid lon, lat).
fn a_milano_building() -> (i64, f64, f64) {
    let conn = rusqlite::Connection::open_with_flags(common::demo_gpkg(), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let (fid, blob): (i64, Vec<u8>) = conn
        .query_row("SELECT fid, geom FROM edifici WHERE cod_istat = '015146' ORDER BY fid LIMIT 1 OFFSET 500", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    let wkb = navigli::source::gpkg::gpkg_wkb(&blob).unwrap();
    use geozero::ToGeo;
    let geometry = geozero::wkb::Wkb(wkb.to_vec()).to_geo().unwrap();
    let c = geometry.centroid().unwrap();
    let (lon, lat) = transform_point(Crs::UTM32N, Crs::CRS84, c.x(), c.y()).unwrap();
    (fid, lon, lat)
}

#[test]
fn getfeatureinfo_finds_the_building_under_the_pixel() {
    let (server, _dir) = demo_server();
    let (fid, lon, lat) = a_milano_building();
    // A 101×101 map centred on the building's centroid, about 20 m across.
    let d = 0.0001;
    let bbox13 = format!("{},{},{},{}", lat - d, lon - d, lat + d, lon + d);
    let bbox11 = format!("{},{},{},{}", lon - d, lat - d, lon + d, lat + d);
    let q13 = format!("/milano/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetFeatureInfo&LAYERS=edifici&QUERY_LAYERS=edifici&STYLES=&CRS=EPSG:4326&BBOX={bbox13}&WIDTH=101&HEIGHT=101&I=50&J=50&FEATURE_COUNT=10");
    let (status, _, body) = get(&server, &format!("{q13}&INFO_FORMAT=application/json"));
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let ids: Vec<String> = v["features"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_string()).collect();
    assert!(ids.contains(&format!("edifici.{fid}")), "{ids:?} lacks edifici.{fid}");
    let q11 = format!("/milano/wms?SERVICE=WMS&VERSION=1.1.1&REQUEST=GetFeatureInfo&LAYERS=edifici&QUERY_LAYERS=edifici&STYLES=&SRS=EPSG:4326&BBOX={bbox11}&WIDTH=101&HEIGHT=101&X=50&Y=50&FEATURE_COUNT=10");
    for format in ["text/plain", "text/html", "application/vnd.ogc.gml"] {
        let (status, _, body) = get(&server, &format!("{q11}&INFO_FORMAT={format}"));
        assert_eq!(status, 200, "{format}: {body}");
        assert!(body.contains(&format!("edifici.{fid}")), "{format}: {body}");
    }
    // Errors: a pixel outside the map, an unknown format.
    let (status, _, body) = get(&server, &format!("{}&INFO_FORMAT=text/plain", q13.replace("I=50", "I=500")));
    assert_eq!(status, 400);
    assert!(body.contains("code=\"InvalidPoint\" locator=\"i\""), "{body}");
    let (status, _, body) = get(&server, &format!("{q13}&INFO_FORMAT=application/x-nonsense"));
    assert_eq!(status, 400);
    assert!(body.contains("code=\"InvalidFormat\""), "{body}");
    ogc_validate_all(&[(body.as_str(), "gfi-invalid-format")]);
}

#[test]
fn gdal_wms_driver_reads_a_map() {
    let (server, _dir) = demo_server();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("map.png");
    let url = format!("WMS:{}{}", server.base(), getmap("1.3.0", "uso_suolo,edifici", "EPSG:4326", DUOMO_LATLON, ""));
    let status = Command::new("gdal_translate")
        .args(["-q", "-of", "PNG", "-outsize", "320", "240", &url])
        .arg(&out)
        .status()
        .expect("gdal_translate (gdal-bin)");
    assert!(status.success());
    let img = decode(&std::fs::read(&out).unwrap());
    assert_eq!((img.width(), img.height()), (320, 240));
    assert!(painted(&img, [255, 255, 255, 255]) > 320 * 240 / 4, "GDAL's copy of the map has content");
}
